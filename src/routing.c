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

PG_MODULE_MAGIC;

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
	int			s = strategy_from_name(VARDATA_ANY(strategy), len);
	ShapeError	err = shape_check(s, num_shards, virtual_nodes);

	if (err != SHAPE_OK)
		report_shape_error(err, text_to_cstring(strategy), num_shards, virtual_nodes, false);
	cache->shape.strategy = (Strategy) s;
	cache->shape.num_shards = (uint32) num_shards;
	cache->shape.virtual_nodes = (uint32) virtual_nodes;
	cache->strategy_len = len;
	memcpy(cache->strategy, VARDATA_ANY(strategy), len);	/* len < 32: s is valid */
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
 * Order key indexes by shard, input order kept within a shard: a counting
 * sort when shards are few against keys, else a sort of (shard, index).
 */
typedef struct ShardedKey
{
	uint32		shard;
	uint32		index;
} ShardedKey;

static int
compare_sharded_keys(const void *a, const void *b)
{
	const ShardedKey *x = a,
			   *y = b;

	if (x->shard != y->shard)
		return x->shard < y->shard ? -1 : 1;
	return x->index < y->index ? -1 : (x->index > y->index ? 1 : 0);
}

static void
order_by_shard(ShardedKey *keys, int nkeys, uint32 num_shards)
{
	if ((uint64) num_shards <= 4 * (uint64) nkeys)
	{
		uint32	   *start = palloc0(sizeof(uint32) * (num_shards + 1));
		ShardedKey *sorted = palloc(sizeof(ShardedKey) * nkeys);

		for (int i = 0; i < nkeys; i++)
			start[keys[i].shard + 1]++;
		for (uint32 s = 0; s < num_shards; s++)
			start[s + 1] += start[s];
		for (int i = 0; i < nkeys; i++)
			sorted[start[keys[i].shard]++] = keys[i];
		memcpy(keys, sorted, sizeof(ShardedKey) * nkeys);
		pfree(sorted);
		pfree(start);
	}
	else
		qsort(keys, nkeys, sizeof(ShardedKey), compare_sharded_keys);
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

/* What shard_batch keeps between the rows it returns. */
typedef struct BatchState
{
	Datum	   *elems;			/* the keys, detoasted once */
	ShardedKey *keys;			/* ordered by shard, input order within */
	int			nkeys;
	int			next;			/* first key not returned yet */
	Datum	   *ids;			/* scratch for one row's ids */
} BatchState;

/*
 * shard_batch(keys text[]): the engine's get_shards_batch.  One row per shard
 * that received keys, ascending shard_id, ids in input order.  Value-per-call:
 * each shard's array is built when its row is asked for, so a large batch is
 * neither copied into a tuplestore nor spilled to disk.
 */
PG_FUNCTION_INFO_V1(shard_batch);
Datum
shard_batch(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	BatchState *state;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		const ServerRing *ring = checked_server_ring(fcinfo);
		TupleDesc	tupdesc;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		funcctx->tuple_desc = BlessTupleDesc(tupdesc);
		state = palloc0(sizeof(BatchState));
		/* detoasted (if at all) into this long-lived context; a plain argument
		 * lives as long as the calls: PostgreSQL keeps SRF arguments until done */
		state->nkeys = batch_keys(PG_GETARG_ARRAYTYPE_P(0), &state->elems);
		state->keys = palloc(sizeof(ShardedKey) * Max(state->nkeys, 1));
		state->ids = palloc(sizeof(Datum) * Max(state->nkeys, 1));
		for (int i = 0; i < state->nkeys; i++)
		{
			state->keys[i].shard = shape_route(&ring->shape, ring->ring,
											   text_key_hash(DatumGetTextPP(state->elems[i])));
			state->keys[i].index = (uint32) i;
		}
		order_by_shard(state->keys, state->nkeys, ring->shape.num_shards);
		funcctx->user_fctx = state;
		MemoryContextSwitchTo(old);
	}

	funcctx = SRF_PERCALL_SETUP();
	state = funcctx->user_fctx;
	if (state->next < state->nkeys)
	{
		int			first = state->next,
					last = first;
		Datum		values[2];
		bool		nulls[2] = {false, false};

		while (last < state->nkeys && state->keys[last].shard == state->keys[first].shard)
		{
			state->ids[last - first] = state->elems[state->keys[last].index];
			last++;
		}
		state->next = last;
		values[0] = Int32GetDatum((int32) state->keys[first].shard);
		values[1] = PointerGetDatum(construct_array(state->ids, last - first, TEXTOID, -1, false, TYPALIGN_INT));
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
	}
	SRF_RETURN_DONE(funcctx);
}
