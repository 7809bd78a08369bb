/*
 * naive_ring.h: the routing contract's ring built the plain way, as the
 * reference that the unit tests and the fuzzer hold ring.c to.
 *
 * Every point h("shard-{s}-vnode-{v}") with its insertion order, sorted by
 * (point, order) with qsort, the last of each run of equal points kept (the
 * engine's BTreeMap), and a binary search: nothing shared with ring.c but
 * key_hash, so a fault in ring.c's packing, index or window shows up here.
 */
#ifndef DAKERA_NAIVE_RING_H
#define DAKERA_NAIVE_RING_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "keyhash.h"

typedef struct NaivePoint
{
	uint64_t	point;
	uint32_t	shard;
	uint32_t	order;
} NaivePoint;

typedef struct NaiveRing
{
	uint32_t	num_points;
	NaivePoint *points;
} NaiveRing;

static int
naive_point_cmp(const void *a, const void *b)
{
	const NaivePoint *x = a,
			   *y = b;

	if (x->point != y->point)
		return x->point < y->point ? -1 : 1;
	return x->order < y->order ? -1 : (x->order > y->order ? 1 : 0);
}

static NaiveRing
naive_ring_build(uint32_t num_shards, uint32_t virtual_nodes)
{
	NaiveRing	ring;
	uint32_t	n = num_shards * virtual_nodes,
				kept = 0;
	char		name[64];

	ring.points = malloc(sizeof(NaivePoint) * n);
	if (ring.points == NULL)
		abort();
	for (uint32_t s = 0; s < num_shards; s++)
		for (uint32_t v = 0; v < virtual_nodes; v++)
		{
			uint32_t	i = s * virtual_nodes + v;
			int			len = snprintf(name, sizeof(name), "shard-%u-vnode-%u", s, v);

			ring.points[i] = (NaivePoint) {key_hash(name, (size_t) len), s, i};
		}
	qsort(ring.points, n, sizeof(NaivePoint), naive_point_cmp);
	for (uint32_t i = 0; i < n; i++)
		if (i + 1 == n || ring.points[i + 1].point != ring.points[i].point)
			ring.points[kept++] = ring.points[i];
	ring.num_points = kept;
	return ring;
}

/* Index of the first point >= hash, num_points if none. */
static uint32_t
naive_ring_search(const NaiveRing *ring, uint64_t hash)
{
	uint32_t	lo = 0,
				hi = ring->num_points;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (ring->points[mid].point < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint32_t
naive_ring_lookup(const NaiveRing *ring, uint64_t hash)
{
	uint32_t	p = naive_ring_search(ring, hash);

	return ring->points[p == ring->num_points ? 0 : p].shard;
}

#endif
