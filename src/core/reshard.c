/*
 * reshard.c: exact moved fractions between two ring shapes (see reshard.h).
 *
 * Design: a shape that splits the hash space into intervals is written as
 * its interval starts, ascending from 0, each with its shard.  Two such lists
 * are merged in one pass into segments, each with one (from, to) pair and a
 * length; lengths are summed per pair in 128-bit integers, so the result is
 * the exact share of the 2^64 hashes, rounded once to a double at the end.
 */
#include "reshard.h"

#include <stdlib.h>
#include <string.h>

/* 8-byte aligned, as palloc gives: scratch comes from the caller */
typedef unsigned __int128 u128 __attribute__((aligned(8)));

#define HASH_SPACE (((u128) 1) << 64)

typedef struct Boundary
{
	uint64_t	start;
	uint32_t	shard;
} Boundary;

typedef struct Segment
{
	uint32_t	from_shard;
	uint32_t	to_shard;
	u128		length;
} Segment;

void		(*reshard_poll_hook) (void) = NULL;

#define POLL_EVERY 65536

static inline void
poll(size_t step)
{
	if (reshard_poll_hook != NULL && step % POLL_EVERY == 0)
		reshard_poll_hook();
}

static int
uses_intervals(const Shape *shape)
{
	return shape->strategy != STRATEGY_JUMP;
}

static size_t
boundary_count(const Shape *shape, const Ring *ring)
{
	return strategy_uses_ring(shape->strategy) ? (size_t) ring->num_points + 1 : shape->num_shards;
}

/* The shape's intervals as ascending starts; returns how many. */
static size_t
shape_boundaries(const Shape *shape, const Ring *ring, Boundary *out)
{
	size_t		n = 0;

	if (strategy_uses_ring(shape->strategy))
	{
		const uint64_t *points = ring_points(ring);
		uint32_t	last = ring->num_points - 1;

		/* a hash goes to the first point >= it, wrapping past the last */
		out[n++] = (Boundary) {0, ring_point_shard(ring, 0)};
		for (uint32_t i = 1; i <= last; i++)
			out[n++] = (Boundary) {points[i - 1] + 1, ring_point_shard(ring, i)};
		if (points[last] != UINT64_MAX)
			out[n++] = (Boundary) {points[last] + 1, ring_point_shard(ring, 0)};
	}
	else
	{
		uint64_t	step = UINT64_MAX / shape->num_shards;

		for (uint32_t i = 0; i < shape->num_shards; i++)
			out[n++] = (Boundary) {step * i, i};
	}
	return n;
}

static u128
boundary_end(const Boundary *b, size_t n, size_t i)
{
	return i + 1 < n ? (u128) b[i + 1].start : HASH_SPACE;
}

/* Merge two interval lists into segments; returns how many. */
static size_t
merge_intervals(const Boundary *a, size_t na, const Boundary *b, size_t nb, Segment *out)
{
	size_t		i = 0,
				j = 0,
				n = 0;
	u128		at = 0;

	while (at < HASH_SPACE)
	{
		u128		end_a = boundary_end(a, na, i),
					end_b = boundary_end(b, nb, j),
					end = end_a < end_b ? end_a : end_b;

		poll(n);
		out[n++] = (Segment) {a[i].shard, b[j].shard, end - at};
		at = end;
		if (end == end_a)
			i++;
		if (end == end_b)
			j++;
	}
	return n;
}

static int
compare_segments(const void *x, const void *y)
{
	const Segment *a = x,
			   *b = y;

	if (a->from_shard != b->from_shard)
		return a->from_shard < b->from_shard ? -1 : 1;
	if (a->to_shard != b->to_shard)
		return a->to_shard < b->to_shard ? -1 : 1;
	return 0;
}

static double
share(u128 length)
{
	return (double) length / (double) HASH_SPACE;
}

/* Per-shard share of the hash space (1/N each for jump); sums holds num_shards. */
static void
shard_shares(const Shape *shape, const Ring *ring, double *out, Boundary *scratch, u128 *sums)
{
	if (!uses_intervals(shape))
	{
		for (uint32_t s = 0; s < shape->num_shards; s++)
			out[s] = 1.0 / shape->num_shards;
		return;
	}
	{
		size_t		n = shape_boundaries(shape, ring, scratch);

		memset(sums, 0, sizeof(u128) * shape->num_shards);
		for (size_t i = 0; i < n; i++)
			sums[scratch[i].shard] += boundary_end(scratch, n, i) - scratch[i].start;
		for (uint32_t s = 0; s < shape->num_shards; s++)
			out[s] = share(sums[s]);
	}
}

uint64_t
plan_moves_bound(const Shape *from, const Ring *from_ring, const Shape *to, const Ring *to_ring)
{
	if (uses_intervals(from) && uses_intervals(to))
		return boundary_count(from, from_ring) + boundary_count(to, to_ring);
	return (uint64_t) from->num_shards * to->num_shards;
}

size_t
plan_moves_scratch_size(const Shape *from, const Ring *from_ring, const Shape *to, const Ring *to_ring)
{
	size_t		na = boundary_count(from, from_ring),
				nb = boundary_count(to, to_ring);

	return (na + nb) * (sizeof(Boundary) + sizeof(Segment)) +
		(from->num_shards + to->num_shards) * (sizeof(double) + sizeof(u128));
}

/* jump to jump: keep with probability min/max, else spread uniformly. */
static size_t
jump_to_jump(uint32_t n, uint32_t m, MoveFraction *out)
{
	size_t		k = 0;
	double		stay = 1.0 / (n > m ? n : m),
				move = 1.0 / ((double) n * m);

	for (uint32_t a = 0; a < n; a++)
	{
		poll(0);
		if (a < m)
			out[k++] = (MoveFraction) {a, a, stay};
		if (m > n)
			for (uint32_t b = n; b < m; b++)
				out[k++] = (MoveFraction) {a, b, move};
		else if (a >= m)
			for (uint32_t b = 0; b < m; b++)
				out[k++] = (MoveFraction) {a, b, move};
	}
	return k;
}

size_t
plan_moves(const Shape *from, const Ring *from_ring, const Shape *to, const Ring *to_ring,
		   MoveFraction *out, void *scratch)
{
	size_t		na = boundary_count(from, from_ring),
				nb = boundary_count(to, to_ring);
	Boundary   *a = scratch;
	Boundary   *b = a + na;
	Segment    *seg = (Segment *) (b + nb);
	double	   *from_share = (double *) (seg + na + nb);
	double	   *to_share = from_share + from->num_shards;
	u128	   *sums = (u128 *) (to_share + to->num_shards);
	size_t		k = 0;

	if (!uses_intervals(from) && !uses_intervals(to))
		return jump_to_jump(from->num_shards, to->num_shards, out);

	if (!uses_intervals(from) || !uses_intervals(to))
	{
		/* jump against intervals: independent, so shares multiply */
		shard_shares(from, from_ring, from_share, a, sums);
		shard_shares(to, to_ring, to_share, b, sums);
		for (uint32_t x = 0; x < from->num_shards; x++)
		{
			poll(0);
			for (uint32_t y = 0; y < to->num_shards; y++)
				if (from_share[x] > 0 && to_share[y] > 0)
					out[k++] = (MoveFraction) {x, y, from_share[x] * to_share[y]};
		}
		return k;
	}

	{
		size_t		n = merge_intervals(a, shape_boundaries(from, from_ring, a),
										b, shape_boundaries(to, to_ring, b), seg);

		qsort(seg, n, sizeof(Segment), compare_segments);
		for (size_t i = 0; i < n;)
		{
			u128		total = 0;
			size_t		j = i;

			while (j < n && compare_segments(&seg[i], &seg[j]) == 0)
				total += seg[j++].length;
			out[k++] = (MoveFraction) {seg[i].from_shard, seg[i].to_shard, share(total)};
			i = j;
		}
	}
	return k;
}
