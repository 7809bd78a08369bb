/*
 * fuzz_core.c: libFuzzer harness for the pure C routing core.
 *
 * Input: byte 0 picks the strategy, bytes 1-2 the shard count (1..256, or
 * 1..4096 when byte 0's top bit is set: rings large enough for two-cache-line
 * bucket lines), byte 3 the virtual nodes (1..64), bytes 4-11 a second hash,
 * the rest the key.  Every input is checked against simple references:
 *   - key_hash (0xFF folded in place) equals plain SipHash over key || 0xFF;
 *   - the ring's lookup equals the plain ring's binary search
 *     (naive_ring.h), for the key's hash, the raw hash and both neighbours of
 *     every point it lands next to;
 *   - range equals min(h / step, N - 1) computed in 128-bit arithmetic;
 *   - every strategy answers within 0..N-1, and jump's fast path answers as
 *     the reference, for N up to 1000000;
 *   - a plan between two shapes sums to 1 and agrees with routing the hash.
 * Any mismatch aborts, which libFuzzer reports as a crash with the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyhash.h"
#include "naive_ring.h"
#include "reshard.h"
#include "ring.h"
#include "shape.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

/* Rings are costly to build: keep the last few. */
#define SLOTS 8
static struct
{
	uint32_t	n,
				v;
	Ring	   *ring;
	NaiveRing	naive;
}			cache[SLOTS];
static unsigned next_slot;

static const Ring *
ring_for(uint32_t n, uint32_t v)
{
	unsigned	slot = next_slot++ % SLOTS;
	void	   *scratch;

	for (int i = 0; i < SLOTS; i++)
		if (cache[i].ring && cache[i].n == n && cache[i].v == v)
		{
			next_slot--;
			return cache[i].ring;
		}
	free(cache[slot].ring);
	free(cache[slot].naive.points);
	scratch = malloc(ring_scratch_size(n, v));
	cache[slot].ring = ring_build(malloc(ring_size(n, v)), n, v, scratch);
	cache[slot].naive = naive_ring_build(n, v);
	free(scratch);
	cache[slot].n = n;
	cache[slot].v = v;
	return cache[slot].ring;
}

/* The plain ring built beside ring (the one ring_for returned last). */
static const NaiveRing *
naive_for(const Ring *ring)
{
	for (int i = 0; i < SLOTS; i++)
		if (cache[i].ring == ring)
			return &cache[i].naive;
	abort();
}

static void
check_ring(const Ring *ring, uint64_t h)
{
	const NaiveRing *naive = naive_for(ring);
	uint32_t	at = naive_ring_search(naive, h);

	CHECK(ring_lookup(ring, h) == naive_ring_lookup(naive, h));
	/* the points around h, and one hash either side of each */
	for (uint32_t p = at > 0 ? at - 1 : 0; p <= at && p < naive->num_points; p++)
		for (int d = -1; d <= 1; d++)
		{
			uint64_t	x = naive->points[p].point + (uint64_t) (int64_t) d;

			CHECK(ring_lookup(ring, x) == naive_ring_lookup(naive, x));
		}
}

static void
check_plan(const Shape *from, const Ring *ra, const Shape *to, const Ring *rb, uint64_t h)
{
	uint64_t	bound = plan_moves_bound(from, ra, to, rb);
	MoveFraction *m = malloc(sizeof(MoveFraction) * bound);
	void	   *scratch = malloc(plan_moves_scratch_size(from, ra, to, rb));
	size_t		n = plan_moves(from, ra, to, rb, m, scratch);
	double		total = 0;
	uint32_t	a = shape_route(from, ra, h),
				b = shape_route(to, rb, h);
	int			pair_found = 0;

	CHECK(n <= bound);
	for (size_t i = 0; i < n; i++)
	{
		CHECK(m[i].from_shard < from->num_shards && m[i].to_shard < to->num_shards);
		CHECK(m[i].fraction > 0);
		total += m[i].fraction;
		pair_found |= (m[i].from_shard == a && m[i].to_shard == b);
	}
	CHECK(total > 1 - 1e-9 && total < 1 + 1e-9);
	/* a hash's own (from, to) pair has a share, unless jump makes it a product */
	CHECK(pair_found || from->strategy == STRATEGY_JUMP || to->strategy == STRATEGY_JUMP);
	free(m);
	free(scratch);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Shape		shape,
				other;
	uint64_t	h,
				raw = 0;
	const uint8_t *key;
	size_t		len;
	uint8_t    *copy;
	const Ring *ring = NULL,
			   *other_ring = NULL;
	uint32_t	s;

	if (size < 12)
		return 0;
	shape.strategy = (Strategy) (data[0] % STRATEGY_COUNT);
	shape.num_shards = 1 + ((data[1] | (data[2] << 8)) % (data[0] & 0x80 ? 4096 : 256));
	shape.virtual_nodes = 1 + data[3] % 64;
	memcpy(&raw, data + 4, 8);
	key = data + 12;
	len = size - 12;

	/* the hash: in-place terminator against a copy with 0xFF appended */
	copy = malloc(len + 1);
	memcpy(copy, key, len);
	copy[len] = 0xff;
	h = key_hash(key, len);
	CHECK(h == siphash13(copy, len + 1));
	free(copy);

	CHECK(shape_check(shape.strategy, shape.num_shards, shape.virtual_nodes) == SHAPE_OK);
	if (strategy_uses_ring(shape.strategy))
	{
		ring = ring_for(shape.num_shards, shape.virtual_nodes);
		check_ring(ring, h);
		check_ring(ring, raw);
	}
	s = shape_route(&shape, ring, h);
	CHECK(s < shape.num_shards);
	if (shape.strategy == STRATEGY_RANGE)
	{
		unsigned __int128 step = UINT64_MAX / shape.num_shards;
		unsigned __int128 slice = (unsigned __int128) raw / step;

		CHECK(range_shard(raw, shape.num_shards) ==
			  (slice < shape.num_shards - 1 ? (uint32_t) slice : shape.num_shards - 1));
	}
	CHECK(jump_shard(raw, shape.num_shards) < shape.num_shards);
	CHECK(jump_shard(raw, shape.num_shards) == jump_shard_reference(raw, shape.num_shards));
	CHECK(jump_shard(h, 1 + (uint32_t) (raw % 1000000)) == jump_shard_reference(h, 1 + (uint32_t) (raw % 1000000)));

	/* a plan to a second shape drawn from the raw hash */
	other.strategy = (Strategy) (raw % STRATEGY_COUNT);
	other.num_shards = 1 + (raw >> 8) % 64;
	other.virtual_nodes = 1 + (raw >> 16) % 32;
	if (strategy_uses_ring(other.strategy))
		other_ring = ring_for(other.num_shards, other.virtual_nodes);
	if (strategy_uses_ring(shape.strategy))
		ring = ring_for(shape.num_shards, shape.virtual_nodes);	/* may have been evicted */
	check_plan(&shape, ring, &other, other_ring, h);
	return 0;
}
