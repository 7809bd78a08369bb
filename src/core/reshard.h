/*
 * reshard.h: which fraction of the 64-bit hash space moves from each shard to
 * each shard when the ring changes shape.
 *
 * consistent_hash, modulo and range split the hash space into intervals, so
 * their fractions are exact: the lengths of the overlaps of the two shapes'
 * intervals, summed per (from, to) pair.  jump has no intervals; its fractions
 * are the exact expected values for a uniformly random hash (jump to jump:
 * Lamping and Veach's property that growing N to M keeps a key with
 * probability N/M and otherwise sends it to a shard in N..M-1 uniformly;
 * jump against another strategy: the two are independent).
 */
#ifndef DAKERA_RESHARD_H
#define DAKERA_RESHARD_H

#include <stddef.h>
#include <stdint.h>

#include "shape.h"

typedef struct MoveFraction
{
	uint32_t	from_shard;
	uint32_t	to_shard;
	double		fraction;		/* of all keys, in [0, 1] */
} MoveFraction;

/*
 * Most (from, to) pairs, or arcs of two rings, a plan may have: it bounds a
 * plan's memory to about 100 MB (48 bytes an arc of scratch, 16 a pair).
 */
#define RESHARD_MAX_PAIRS 2097152

/*
 * Called every few tens of thousands of steps of a plan, when set: the
 * PostgreSQL glue checks for interrupts there (query cancel, timeouts).
 */
extern void (*reshard_poll_hook) (void);

/*
 * Upper bound on the pairs plan_moves returns for these shapes; compare it with
 * RESHARD_MAX_PAIRS before allocating.
 */
uint64_t	plan_moves_bound(const Shape *from, const Ring *from_ring,
							 const Shape *to, const Ring *to_ring);

/*
 * Fill out (plan_moves_bound entries) with every pair that receives a
 * non-zero fraction, sorted by (from_shard, to_shard); returns how many.  The
 * rings are the shapes' rings when they use one (NULL otherwise).  scratch
 * must hold plan_moves_scratch_size bytes.  Fractions sum to 1.
 */
size_t		plan_moves(const Shape *from, const Ring *from_ring,
					   const Shape *to, const Ring *to_ring,
					   MoveFraction *out, void *scratch);
size_t		plan_moves_scratch_size(const Shape *from, const Ring *from_ring,
									const Shape *to, const Ring *to_ring);

#endif
