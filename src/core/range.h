/*
 * range.h: the range strategy, equal slices of the 64-bit hash space.
 *
 * The engine keeps boundaries step * i (i = 1..N-1) with
 * step = floor((2^64 - 1) / N) and counts those <= h, which is
 * min(floor(h / step), N - 1): no table is needed.
 */
#ifndef DAKERA_RANGE_H
#define DAKERA_RANGE_H

#include <stdint.h>

static inline uint32_t
range_shard(uint64_t hash, uint32_t num_shards)
{
	uint64_t	step = UINT64_MAX / num_shards;
	uint64_t	slice = hash / step;

	return slice < num_shards - 1 ? (uint32_t) slice : num_shards - 1;
}

#endif
