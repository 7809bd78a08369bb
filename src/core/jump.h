/*
 * jump.h: Lamping and Veach's jump consistent hash over the 64-bit key hash.
 *
 * Not in the engine; offered because it needs no memory, balances evenly and
 * moves only 1/(N+1) of the keys when N grows by one.
 */
#ifndef DAKERA_JUMP_H
#define DAKERA_JUMP_H

#include <stdint.h>

/* The contract's algorithm as written (docs/routing.md, "jump"): the reference. */
static inline uint32_t
jump_shard_reference(uint64_t key, uint32_t num_shards)
{
	int64_t		b = -1,
				j = 0;

	while (j < (int64_t) num_shards)
	{
		b = j;
		key = key * 2862933555777941757ULL + 1;
		j = (int64_t) ((double) (b + 1) *
					   ((double) (1LL << 31) / (double) ((key >> 33) + 1)));
	}
	return (uint32_t) b;
}

/* The same answer, on a faster path where the CPU has one (jump.c). */
uint32_t	jump_shard(uint64_t key, uint32_t num_shards);

#endif
