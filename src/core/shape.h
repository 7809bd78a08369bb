/*
 * shape.h: a ring's shape (strategy, shard count, virtual nodes), its limits,
 * and routing a key hash to a shard under that shape.
 *
 * Two shapes "route alike" when every key gets the same shard under both:
 * modulo is served by the consistent-hash ring (as in dakera-engine 0.10.2),
 * and virtual nodes matter only to the ring.  The recorded-shape check in the
 * extension compares shapes this way, so renaming modulo to consistent_hash is
 * not mistaken for a re-shard.
 */
#ifndef DAKERA_SHAPE_H
#define DAKERA_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "jump.h"
#include "range.h"
#include "ring.h"

typedef enum Strategy
{
	STRATEGY_CONSISTENT_HASH = 0,
	STRATEGY_RANGE = 1,
	STRATEGY_MODULO = 2,
	STRATEGY_JUMP = 3
} Strategy;

#define STRATEGY_COUNT 4

/* Limits; documented in README.md ("Limits"). */
#define SHAPE_MAX_SHARDS 1000000
#define SHAPE_MAX_VIRTUAL_NODES 10000
#define SHAPE_MAX_RING_POINTS 4194304	/* num_shards * virtual_nodes, ~64 MB */

typedef struct Shape
{
	Strategy	strategy;
	uint32_t	num_shards;
	uint32_t	virtual_nodes;
} Shape;

typedef enum ShapeError
{
	SHAPE_OK = 0,
	SHAPE_BAD_STRATEGY,
	SHAPE_BAD_SHARDS,
	SHAPE_BAD_VIRTUAL_NODES,
	SHAPE_TOO_MANY_POINTS
} ShapeError;

/* Strategy for a name (exact, lower case), or -1 if there is none. */
int			strategy_from_name(const char *name, size_t len);
const char *strategy_name(Strategy strategy);

/* Whether the strategy routes through a consistent-hash ring. */
static inline int
strategy_uses_ring(Strategy strategy)
{
	return strategy == STRATEGY_CONSISTENT_HASH || strategy == STRATEGY_MODULO;
}

/* Check a shape given as signed values straight from SQL or a setting. */
ShapeError	shape_check(int strategy, int64_t num_shards, int64_t virtual_nodes);

/* Whether every key gets the same shard under a and b. */
int			shape_routes_alike(const Shape *a, const Shape *b);

/*
 * Shard of a key hash.  ring must be the shape's ring when the strategy uses
 * one (it is ignored otherwise).
 */
static ROUTE_INLINE uint32_t
shape_route(const Shape *shape, const Ring *ring, uint64_t hash)
{
	switch (shape->strategy)
	{
		case STRATEGY_RANGE:
			return range_shard(hash, shape->num_shards);
		case STRATEGY_JUMP:
			return jump_shard(hash, shape->num_shards);
		default:
			return ring_lookup(ring, hash);
	}
}

#endif
