/*
 * reshard_plan.c: reshard_plan() and reshard_plan_between(), the share of the
 * hash space that moves between two ring shapes (core/reshard.c).
 *
 * Design: the source is the server's ring (reshard_plan) or an explicit shape
 * (reshard_plan_between); explicit rings come from the per-backend ring cache,
 * so planning against the same target twice builds its ring once.
 */
#include "postgres.h"

#include "compat.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "core/reshard.h"
#include "routing/routing.h"

/* A shape from SQL arguments, checked, with its ring when it uses one. */
static Shape
shape_from_args(text *strategy, int32 num_shards, int32 virtual_nodes, const Ring **ring)
{
	Shape		shape = shape_from_sql(strategy, num_shards, virtual_nodes);
	uint64		epoch;

	*ring = strategy_uses_ring(shape.strategy) ?
		ring_cache_get(shape.num_shards, shape.virtual_nodes, &epoch) : NULL;
	return shape;
}

/*
 * reshard_plan(num_shards, strategy, virtual_nodes): from the server's ring.
 * reshard_plan_between(from_num_shards, from_strategy, from_virtual_nodes,
 *                      num_shards, strategy, virtual_nodes): between two shapes.
 * Rows (from_shard, to_shard, fraction), unmoved pairs included.
 */
static void
poll_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/* Boundaries a shape cuts the hash space at, at most: its ring points, or its shards. */
static uint64
shape_cuts(const Shape *shape)
{
	return strategy_uses_ring(shape->strategy) ?
		(uint64) shape->num_shards * shape->virtual_nodes : shape->num_shards;
}

/*
 * The most pairs a plan between two shapes can have, from the shapes alone:
 * jump pairs every shard with every shard; two interval shapes give at most
 * one pair per cut of either.  Checked before any ring is built.
 */
static void
check_plan_size(const Shape *from, const Shape *to)
{
	bool		jump = from->strategy == STRATEGY_JUMP || to->strategy == STRATEGY_JUMP;
	uint64		bound = jump ? (uint64) from->num_shards * to->num_shards :
		shape_cuts(from) + shape_cuts(to);

	if (bound > RESHARD_MAX_PAIRS)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("a plan from %s to %s could have %llu shard pairs",
					   shape_describe(from), shape_describe(to), (unsigned long long) bound),
				errdetail("jump pairs every shard of one shape with every shard of the other, and ring shapes give a pair per ring point; the limit is %d pairs.",
						  RESHARD_MAX_PAIRS),
				errhint("Plan with fewer shards or virtual nodes, or against a range shape."));
}

PG_FUNCTION_INFO_V1(reshard_plan_fractions);
Datum
reshard_plan_fractions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		between = PG_NARGS() == 6;
	int			t = between ? 3 : 0;	/* first argument of the target */
	Shape		from,
				to;
	const Ring *from_ring,
			   *to_ring;
	uint64		bound;
	MoveFraction *moves;
	size_t		count;

	/* both shapes checked, and the plan's size bounded, before any ring is built */
	if (between)
		from = shape_from_sql(PG_GETARG_TEXT_PP(1), PG_GETARG_INT32(0), PG_GETARG_INT32(2));
	else
		from = server_shape();
	to = shape_from_sql(PG_GETARG_TEXT_PP(t + 1), PG_GETARG_INT32(t), PG_GETARG_INT32(t + 2));
	check_plan_size(&from, &to);

	if (between)
		from = shape_from_args(PG_GETARG_TEXT_PP(1), PG_GETARG_INT32(0), PG_GETARG_INT32(2), &from_ring);
	else
		from_ring = server_ring()->ring;
	/* the cache keeps every ring this statement uses: from_ring stays valid */
	to = shape_from_args(PG_GETARG_TEXT_PP(t + 1), PG_GETARG_INT32(t), PG_GETARG_INT32(t + 2), &to_ring);

	reshard_poll_hook = poll_interrupts;
	bound = plan_moves_bound(&from, from_ring, &to, to_ring);
	Assert(bound <= RESHARD_MAX_PAIRS);
	moves = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(MoveFraction) * Max(bound, 1));
	count = plan_moves(&from, from_ring, &to, to_ring, moves,
					   MemoryContextAllocHuge(CurrentMemoryContext,
											  plan_moves_scratch_size(&from, from_ring, &to, to_ring)));

	InitMaterializedSRF(fcinfo, 0);
	for (size_t i = 0; i < count; i++)
	{
		Datum		values[3] = {Int32GetDatum((int32) moves[i].from_shard),
		Int32GetDatum((int32) moves[i].to_shard), Float8GetDatum(moves[i].fraction)};
		bool		nulls[3] = {false, false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
