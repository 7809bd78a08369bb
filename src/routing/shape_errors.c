/*
 * shape_errors.c: the one place that turns a bad ring shape into an error.
 *
 * The same limits apply to the explicit shard_for(key, num_shards, strategy,
 * virtual_nodes) and to the dakera_shard.* settings; only the words that name
 * the offending value differ, so that the user knows what to change.
 */
#include "postgres.h"

#include "compat.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "routing/routing.h"

static void
report_out_of_range(const char *name, int64 value, int max)
{
	ereport(ERROR,
			errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			errmsg("%s %lld is out of range", name, (long long) value),
			errhint("%s must be between 1 and %d.", name, max));
}

void
report_shape_error(ShapeError err, const char *strategy, int64 num_shards,
				   int64 virtual_nodes, bool from_settings)
{
	const char *shards_name = from_settings ? "dakera_shard.num_shards" : "num_shards";
	const char *vnodes_name = from_settings ? "dakera_shard.virtual_nodes" : "virtual_nodes";

	switch (err)
	{
		case SHAPE_OK:
			return;
		case SHAPE_BAD_STRATEGY:
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("unknown sharding strategy \"%s\"", strategy),
					errhint("Valid strategies are consistent_hash, range, modulo and jump."));
			break;
		case SHAPE_BAD_SHARDS:
			report_out_of_range(shards_name, num_shards, SHAPE_MAX_SHARDS);
			break;
		case SHAPE_BAD_VIRTUAL_NODES:
			report_out_of_range(vnodes_name, virtual_nodes, SHAPE_MAX_VIRTUAL_NODES);
			break;
		case SHAPE_TOO_MANY_POINTS:
			ereport(ERROR,
					errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					errmsg("consistent-hash ring of %lld shards x %lld virtual nodes is too large",
						   (long long) num_shards, (long long) virtual_nodes),
					errdetail("The ring would hold %lld points; the limit is %d.",
							  (long long) (num_shards * virtual_nodes), SHAPE_MAX_RING_POINTS),
					errhint("Lower %s or %s so that their product is at most %d, or use the range or jump strategy, which need no ring.",
							shards_name, vnodes_name, SHAPE_MAX_RING_POINTS));
			break;
	}
}

/* A shape from SQL arguments, or the error that says what is wrong with it. */
Shape
shape_from_sql(text *strategy, int32 num_shards, int32 virtual_nodes)
{
	int			s = strategy_from_name(VARDATA_ANY(strategy), VARSIZE_ANY_EXHDR(strategy));
	ShapeError	err = shape_check(s, num_shards, virtual_nodes);
	Shape		shape;

	if (err != SHAPE_OK)
		report_shape_error(err, text_to_cstring(strategy), num_shards, virtual_nodes, false);
	shape.strategy = (Strategy) s;
	shape.num_shards = (uint32) num_shards;
	shape.virtual_nodes = (uint32) virtual_nodes;
	return shape;
}

/* "strategy=consistent_hash num_shards=4 virtual_nodes=150", for messages. */
char *
shape_describe(const Shape *shape)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "strategy=%s num_shards=%u",
					 strategy_name(shape->strategy), shape->num_shards);
	if (strategy_uses_ring(shape->strategy))
		appendStringInfo(&buf, " virtual_nodes=%u", shape->virtual_nodes);
	return buf.data;
}
