/*
 * routing.c: shard_for, shard_key_hash and shard_batch.
 *
 * Design: these are the per-row functions of INSERTs and generated columns,
 * so each does the least per call: the key is hashed in place (no copy, no
 * detoast of a short varlena header), the server ring is one pointer test
 * away (ring_record.c), and the explicit form keeps its parsed shape and ring
 * in fn_extra so that a bulk query parses the strategy and finds the ring
 * once per query, not once per row; when those arguments are constants (as
 * they nearly always are) a row costs one flag and one epoch test more than
 * shard_for(text).
 */
#include "dakera_shard.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

static inline uint64
text_key_hash(text *key)
{
	return key_hash(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));
}

/* shard_for(key text): the key's shard under the server's ring. */
PG_FUNCTION_INFO_V1(shard_for_server);
Datum
shard_for_server(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(0);
	const ServerRing *ring = checked_server_ring(fcinfo);

	PG_RETURN_INT32((int32) shape_route(&ring->shape, ring->ring, text_key_hash(key)));
}

/* What an explicit call site remembers between rows. */
typedef struct ExplicitShape
{
	Shape		shape;
	const Ring *ring;
	uint64		ring_epoch;		/* ring_cache epoch the ring pointer is valid for */
	bool		constant_args;	/* shape arguments are the same on every row */
	int			strategy_len;
	char		strategy[32];
} ExplicitShape;

static void
resolve_explicit_shape(ExplicitShape *cache, text *strategy, int32 num_shards,
					   int32 virtual_nodes)
{
	int			len = VARSIZE_ANY_EXHDR(strategy);

	cache->shape = shape_from_sql(strategy, num_shards, virtual_nodes);
	cache->strategy_len = len;
	memcpy(cache->strategy, VARDATA_ANY(strategy), len);	/* len < 32: a valid name */
	cache->ring = NULL;
	if (strategy_uses_ring(cache->shape.strategy))
		cache->ring = ring_cache_get(num_shards, virtual_nodes, &cache->ring_epoch);
}

/* shard_for(key, num_shards, strategy, virtual_nodes): an explicit ring. */
PG_FUNCTION_INFO_V1(shard_for_explicit);
Datum
shard_for_explicit(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(0);
	int32		num_shards = PG_GETARG_INT32(1);
	text	   *strategy = PG_GETARG_TEXT_PP(2);
	int32		virtual_nodes = PG_GETARG_INT32(3);
	ExplicitShape *cache = (ExplicitShape *) fcinfo->flinfo->fn_extra;

	/* the common case: constant shape arguments, resolved on the first row */
	if (likely(cache != NULL && cache->constant_args &&
			   (cache->ring == NULL || cache->ring_epoch == ds_ring_cache_epoch)))
		PG_RETURN_INT32((int32) shape_route(&cache->shape, cache->ring, text_key_hash(key)));

	if (unlikely(cache == NULL))
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ExplicitShape));
		cache->strategy_len = -1;
		cache->constant_args = get_fn_expr_arg_stable(fcinfo->flinfo, 1) &&
			get_fn_expr_arg_stable(fcinfo->flinfo, 2) &&
			get_fn_expr_arg_stable(fcinfo->flinfo, 3);
		fcinfo->flinfo->fn_extra = cache;
	}
	if (cache->shape.num_shards != (uint32) num_shards ||
		cache->shape.virtual_nodes != (uint32) virtual_nodes ||
		cache->strategy_len != (int) VARSIZE_ANY_EXHDR(strategy) ||
		memcmp(cache->strategy, VARDATA_ANY(strategy), cache->strategy_len) != 0 ||
		(cache->ring != NULL && cache->ring_epoch != ds_ring_cache_epoch))
		resolve_explicit_shape(cache, strategy, num_shards, virtual_nodes);

	PG_RETURN_INT32((int32) shape_route(&cache->shape, cache->ring, text_key_hash(key)));
}

/* shard_key_hash(key text): the 64-bit key hash, its bits read as signed. */
PG_FUNCTION_INFO_V1(shard_key_hash);
Datum
shard_key_hash(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) text_key_hash(PG_GETARG_TEXT_PP(0)));
}

/*
 * The keys' indexes in shard order, input order kept within a shard, and the
 * runs of equal shards: a counting sort when shards are few against keys,
 * else a sort of (shard, index) pairs.
 */
typedef struct ShardedKey
{
	uint32		shard;
	uint32		index;
} ShardedKey;

typedef struct ShardRun
{
	uint32		shard;
	uint32		begin;			/* into the order: begin .. next run's begin */
} ShardRun;

static int
compare_sharded_keys(const void *a, const void *b)
{
	const ShardedKey *x = a,
			   *y = b;

	if (x->shard != y->shard)
		return x->shard < y->shard ? -1 : 1;
	return x->index < y->index ? -1 : (x->index > y->index ? 1 : 0);
}

/* Fills order[nkeys] and runs[]; returns the number of runs. */
static int
order_by_shard(const uint32 *shards, int nkeys, uint32 num_shards, uint32 *order, ShardRun *runs)
{
	int			nruns = 0;

	if ((uint64) num_shards <= 4 * (uint64) nkeys)
	{
		uint32	   *start = palloc0(sizeof(uint32) * (num_shards + 1));

		for (int i = 0; i < nkeys; i++)
			start[shards[i] + 1]++;
		for (uint32 s = 0; s < num_shards; s++)
		{
			if (start[s + 1] > 0)
				runs[nruns++] = (ShardRun) {s, start[s]};
			start[s + 1] += start[s];
		}
		for (int i = 0; i < nkeys; i++)
			order[start[shards[i]]++] = (uint32) i;
		pfree(start);
	}
	else
	{
		ShardedKey *pairs = palloc(sizeof(ShardedKey) * Max(nkeys, 1));

		for (int i = 0; i < nkeys; i++)
			pairs[i] = (ShardedKey) {shards[i], (uint32) i};
		qsort(pairs, nkeys, sizeof(ShardedKey), compare_sharded_keys);
		for (int i = 0; i < nkeys; i++)
		{
			if (i == 0 || pairs[i].shard != pairs[i - 1].shard)
				runs[nruns++] = (ShardRun) {pairs[i].shard, (uint32) i};
			order[i] = pairs[i].index;
		}
		pfree(pairs);
	}
	return nruns;
}

/* Deconstruct a one-dimensional text[] with no NULLs, or raise an error. */
static int
batch_keys(ArrayType *array, Datum **elems)
{
	bool	   *nulls;
	int			nkeys;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				errmsg("shard_batch expects a one-dimensional array, got %d dimensions",
					   ARR_NDIM(array)),
				errhint("Flatten the keys, for example with array(SELECT unnest(keys))."));
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, elems, &nulls, &nkeys);
	for (int i = 0; i < nkeys; i++)
		if (nulls[i])
			ereport(ERROR,
					errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("shard_batch keys must not be NULL (element %d is NULL)",
						   i + ARR_LBOUND(array)[0]),
					errhint("A NULL key has no shard; remove NULL keys before routing, for example with array_remove(keys, NULL)."));
	return nkeys;
}

/*
 * shard_batch(keys text[]): the engine's get_shards_batch.  One row per shard
 * that received keys, ascending shard_id, ids in input order.  The keys are
 * hashed where they lie in the array (array elements are never compressed or
 * stored out of line), so each key is copied once, into its shard's array.
 */
PG_FUNCTION_INFO_V1(shard_batch);
Datum
shard_batch(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const ServerRing *ring = checked_server_ring(fcinfo);
	Datum	   *elems;
	int			nkeys = batch_keys(PG_GETARG_ARRAYTYPE_P(0), &elems);
	uint32	   *shards = palloc(sizeof(uint32) * Max(nkeys, 1));
	uint32	   *order = palloc(sizeof(uint32) * Max(nkeys, 1));
	ShardRun   *runs = palloc(sizeof(ShardRun) * Max(Min((uint32) nkeys, ring->shape.num_shards), 1));
	Datum	   *ids = palloc(sizeof(Datum) * Max(nkeys, 1));
	int			nruns;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < nkeys; i++)
		shards[i] = shape_route(&ring->shape, ring->ring,
								text_key_hash((text *) DatumGetPointer(elems[i])));
	nruns = order_by_shard(shards, nkeys, ring->shape.num_shards, order, runs);

	for (int r = 0; r < nruns; r++)
	{
		uint32		end = r + 1 < nruns ? runs[r + 1].begin : (uint32) nkeys;
		int			count = (int) (end - runs[r].begin);
		Datum		values[2];
		bool		nulls[2] = {false, false};

		for (int i = 0; i < count; i++)
			ids[i] = elems[order[runs[r].begin + i]];
		values[0] = Int32GetDatum((int32) runs[r].shard);
		values[1] = PointerGetDatum(construct_array(ids, count, TEXTOID, -1, false, TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(DatumGetPointer(values[1]));
	}
	return (Datum) 0;
}
