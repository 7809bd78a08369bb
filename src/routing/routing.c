/*
 * routing.c: shard_for and shard_key_hash (shard_batch is in shard_batch.c).
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
#include "postgres.h"

#include "compat.h"

#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "routing/routing.h"

/*
 * Hash of the key in argument 0.  PG_GETARG_TEXT_PP without its function
 * call for the usual key: only a compressed or out-of-line key is detoasted.
 */
static inline uint64
key_arg_hash(FunctionCallInfo fcinfo)
{
	struct varlena *key = (struct varlena *) PG_GETARG_POINTER(0);

	if (unlikely(VARATT_IS_COMPRESSED(key) || VARATT_IS_EXTERNAL(key)))
		key = pg_detoast_datum_packed(key);
	return text_key_hash(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));
}

/* shard_for(key text): the key's shard under the server's ring. */
PG_FUNCTION_INFO_V1(shard_for_server);
Datum
shard_for_server(PG_FUNCTION_ARGS)
{
	const ServerRing *ring = checked_server_ring();

	PG_RETURN_INT32((int32) shape_route(&ring->shape, ring->ring, key_arg_hash(fcinfo)));
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

/*
 * Is argument n of this call site a constant of the query?  Not
 * get_fn_expr_arg_stable(), which also says yes for a PARAM_EXTERN: a
 * PL/pgSQL variable is one, and its value changes between calls that share
 * this FmgrInfo.
 */
static bool
arg_is_const(FmgrInfo *flinfo, int n)
{
	Node	   *expr = flinfo->fn_expr;
	List	   *args;

	if (expr == NULL || !IsA(expr, FuncExpr))
		return false;
	args = ((FuncExpr *) expr)->args;
	return n < list_length(args) && IsA(list_nth(args, n), Const);
}

/* shard_for(key, num_shards, strategy, virtual_nodes): an explicit ring. */
PG_FUNCTION_INFO_V1(shard_for_explicit);
Datum
shard_for_explicit(PG_FUNCTION_ARGS)
{
	ExplicitShape *cache = (ExplicitShape *) fcinfo->flinfo->fn_extra;
	int32		num_shards;
	text	   *strategy;
	int32		virtual_nodes;

	/* the common case: constant shape arguments, resolved on the first row */
	if (likely(cache != NULL && cache->constant_args &&
			   (cache->ring == NULL || cache->ring_epoch == ds_ring_cache_epoch)))
		PG_RETURN_INT32((int32) shape_route(&cache->shape, cache->ring, key_arg_hash(fcinfo)));

	num_shards = PG_GETARG_INT32(1);
	strategy = PG_GETARG_TEXT_PP(2);
	virtual_nodes = PG_GETARG_INT32(3);

	if (unlikely(cache == NULL))
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ExplicitShape));
		cache->strategy_len = -1;
		cache->constant_args = arg_is_const(fcinfo->flinfo, 1) && arg_is_const(fcinfo->flinfo, 2) &&
			arg_is_const(fcinfo->flinfo, 3);
		fcinfo->flinfo->fn_extra = cache;
	}
	if (cache->shape.num_shards != (uint32) num_shards ||
		cache->shape.virtual_nodes != (uint32) virtual_nodes ||
		cache->strategy_len != (int) VARSIZE_ANY_EXHDR(strategy) ||
		memcmp(cache->strategy, VARDATA_ANY(strategy), cache->strategy_len) != 0 ||
		(cache->ring != NULL && cache->ring_epoch != ds_ring_cache_epoch))
		resolve_explicit_shape(cache, strategy, num_shards, virtual_nodes);

	PG_RETURN_INT32((int32) shape_route(&cache->shape, cache->ring, key_arg_hash(fcinfo)));
}

/* shard_key_hash(key text): the 64-bit key hash, its bits read as signed. */
PG_FUNCTION_INFO_V1(shard_key_hash);
Datum
shard_key_hash(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) key_arg_hash(fcinfo));
}
