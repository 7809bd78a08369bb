/*
 * shape.c: strategy names, shape limits and shape comparison.
 */
#include "shape.h"

#include <string.h>

static const char *const strategy_names[STRATEGY_COUNT] = {
	"consistent_hash", "range", "modulo", "jump"
};

int
strategy_from_name(const char *name, size_t len)
{
	for (int i = 0; i < STRATEGY_COUNT; i++)
		if (strlen(strategy_names[i]) == len && memcmp(strategy_names[i], name, len) == 0)
			return i;
	return -1;
}

const char *
strategy_name(Strategy strategy)
{
	return (unsigned) strategy < STRATEGY_COUNT ? strategy_names[strategy] : "unknown";
}

ShapeError
shape_check(int strategy, int64_t num_shards, int64_t virtual_nodes)
{
	if (strategy < 0 || strategy >= STRATEGY_COUNT)
		return SHAPE_BAD_STRATEGY;
	if (num_shards < 1 || num_shards > SHAPE_MAX_SHARDS)
		return SHAPE_BAD_SHARDS;
	if (virtual_nodes < 1 || virtual_nodes > SHAPE_MAX_VIRTUAL_NODES)
		return SHAPE_BAD_VIRTUAL_NODES;
	if (strategy_uses_ring((Strategy) strategy) &&
		num_shards * virtual_nodes > SHAPE_MAX_RING_POINTS)
		return SHAPE_TOO_MANY_POINTS;
	return SHAPE_OK;
}

int
shape_routes_alike(const Shape *a, const Shape *b)
{
	if (a->num_shards != b->num_shards)
		return 0;
	if (strategy_uses_ring(a->strategy) && strategy_uses_ring(b->strategy))
		return a->virtual_nodes == b->virtual_nodes;
	return a->strategy == b->strategy;
}
