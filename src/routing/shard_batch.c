/*
 * shard_batch.c: shard_batch(keys text[]), the engine's get_shards_batch.
 *
 * Design: one row per shard that received keys, ascending shard_id, ids in
 * input order, built in three sequential passes over the input array's own
 * bytes (no deconstruct_array, no Datum per key):
 *   1. hash each key where it lies and route it;
 *   2. number the shards that received keys, ascending, and size each
 *      shard's array exactly;
 *   3. copy each key, as it is stored, to the end of its shard's array.
 * Pass 3 reads the input in order and writes to one stream per shard, which
 * caches serve well; gathering keys shard by shard (construct_array over a
 * sorted order) would read the input in random order, one cache miss a key,
 * and construct_array also copies every short-header key to a fresh palloc.
 */
#include "postgres.h"

#include "compat.h"

#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"

#include "routing/routing.h"

/* The keys of one shard, as they are written into its array. */
typedef struct ShardOutput
{
	uint32		shard;
	int			count;
	Size		data_bytes;
	ArrayType  *array;
	char	   *next;			/* where its next key goes */
} ShardOutput;

/* Raise the error for a NULL key or a multi-dimensional array, if any. */
static void
check_batch_keys(ArrayType *array)
{
	int			nkeys = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	bits8	   *nullmap = ARR_NULLBITMAP(array);

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				errmsg("shard_batch expects a one-dimensional array, got %d dimensions",
					   ARR_NDIM(array)),
				errhint("Flatten the keys, for example with array(SELECT unnest(keys))."));
	if (nullmap == NULL)
		return;
	for (int i = 0; i < nkeys; i++)
		if ((nullmap[i / 8] & (1 << (i % 8))) == 0)
			ereport(ERROR,
					errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("shard_batch keys must not be NULL (element %d is NULL)",
						   i + ARR_LBOUND(array)[0]),
					errhint("A NULL key has no shard; remove NULL keys before routing, for example with array_remove(keys, NULL)."));
}

/* ARR_DATA_PTR, written so that -Wsign-compare accepts it. */
static inline char *
array_data(ArrayType *array)
{
	return (char *) array + (ARR_HASNULL(array) ? (Size) array->dataoffset :
							 ARR_OVERHEAD_NONULLS(ARR_NDIM(array)));
}

/* The next key of an array of text with no NULLs, and the bytes it takes. */
static inline const char *
next_key(const char **cursor, Size *bytes)
{
	const char *key = *cursor;

	*bytes = VARSIZE_ANY(key);
	*cursor = (const char *) att_align_nominal(key + *bytes, TYPALIGN_INT);
	return key;
}

/* Pass 1: the shard of every key. */
static void
route_keys(const ServerRing *ring, ArrayType *array, int nkeys, uint32 *shards)
{
	const char *cursor = array_data(array);

	for (int i = 0; i < nkeys; i++)
	{
		Size		bytes;
		const char *key = next_key(&cursor, &bytes);

		shards[i] = shape_route(&ring->shape, ring->ring,
								text_key_hash(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key)));
	}
}

static int
compare_uint32(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a,
				y = *(const uint32 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * Pass 2, numbering: slots[i] becomes the number of key i's shard among the
 * shards that received keys, ascending; fills outputs[].shard and returns how
 * many.  A table over all shards when they are few against the keys, else a
 * sort of the distinct shards (a few keys on a million shards).
 */
static int
number_shards(const uint32 *shards, int nkeys, uint32 num_shards, uint32 *slots,
			  ShardOutput *outputs)
{
	int			noutputs = 0;

	if ((uint64) num_shards <= 4 * (uint64) nkeys)
	{
		uint32	   *slot_of = palloc0(sizeof(uint32) * num_shards);

		for (int i = 0; i < nkeys; i++)
			slot_of[shards[i]] = 1;
		for (uint32 s = 0; s < num_shards; s++)
			if (slot_of[s])
			{
				outputs[noutputs].shard = s;
				slot_of[s] = noutputs++;
			}
		for (int i = 0; i < nkeys; i++)
			slots[i] = slot_of[shards[i]];
		pfree(slot_of);
	}
	else
	{
		uint32	   *distinct = palloc(sizeof(uint32) * nkeys);

		memcpy(distinct, shards, sizeof(uint32) * nkeys);
		qsort(distinct, nkeys, sizeof(uint32), compare_uint32);
		for (int i = 0; i < nkeys; i++)
			if (i == 0 || distinct[i] != distinct[noutputs - 1])
			{
				distinct[noutputs] = distinct[i];
				outputs[noutputs++].shard = distinct[i];
			}
		for (int i = 0; i < nkeys; i++)
		{
			uint32	   *at = bsearch(&shards[i], distinct, noutputs, sizeof(uint32), compare_uint32);

			slots[i] = (uint32) (at - distinct);
		}
		pfree(distinct);
	}
	return noutputs;
}

/* Pass 2, sizing: count and bytes of each shard's keys, and its empty array. */
static void
allocate_outputs(ArrayType *array, int nkeys, const uint32 *slots, ShardOutput *outputs,
				 int noutputs)
{
	const char *cursor = array_data(array);

	for (int i = 0; i < nkeys; i++)
	{
		Size		bytes;

		next_key(&cursor, &bytes);
		outputs[slots[i]].count++;
		outputs[slots[i]].data_bytes += att_align_nominal(bytes, TYPALIGN_INT);
	}
	for (int o = 0; o < noutputs; o++)
	{
		Size		size = ARR_OVERHEAD_NONULLS(1) + outputs[o].data_bytes;
		ArrayType  *out = palloc(size);

		SET_VARSIZE(out, size);
		out->ndim = 1;
		out->dataoffset = 0;	/* no NULLs */
		out->elemtype = TEXTOID;
		ARR_DIMS(out)[0] = outputs[o].count;
		ARR_LBOUND(out)[0] = 1;
		outputs[o].array = out;
		outputs[o].next = array_data(out);
	}
}

/* Pass 3: each key, copied as it is stored, to the end of its shard's array. */
static void
scatter_keys(ArrayType *array, int nkeys, const uint32 *slots, ShardOutput *outputs)
{
	const char *cursor = array_data(array);

	for (int i = 0; i < nkeys; i++)
	{
		Size		bytes;
		const char *key = next_key(&cursor, &bytes);
		ShardOutput *out = &outputs[slots[i]];
		Size		padded = att_align_nominal(bytes, TYPALIGN_INT);

		memcpy(out->next, key, bytes);
		memset(out->next + bytes, 0, padded - bytes);	/* alignment padding, as PostgreSQL writes it */
		out->next += padded;
	}
}

PG_FUNCTION_INFO_V1(shard_batch);
Datum
shard_batch(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const ServerRing *ring = checked_server_ring();
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int			nkeys;
	uint32	   *shards,
			   *slots;
	ShardOutput *outputs;
	int			noutputs;

	check_batch_keys(array);
	nkeys = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	InitMaterializedSRF(fcinfo, 0);
	if (nkeys == 0)
		return (Datum) 0;

	shards = palloc(sizeof(uint32) * nkeys);
	slots = palloc(sizeof(uint32) * nkeys);
	outputs = palloc0(sizeof(ShardOutput) * Min((uint32) nkeys, ring->shape.num_shards));
	route_keys(ring, array, nkeys, shards);
	noutputs = number_shards(shards, nkeys, ring->shape.num_shards, slots, outputs);
	allocate_outputs(array, nkeys, slots, outputs, noutputs);
	scatter_keys(array, nkeys, slots, outputs);

	for (int o = 0; o < noutputs; o++)
	{
		Datum		values[2] = {Int32GetDatum((int32) outputs[o].shard), PointerGetDatum(outputs[o].array)};
		bool		nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(outputs[o].array);
	}
	return (Datum) 0;
}
