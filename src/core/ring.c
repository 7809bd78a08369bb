/*
 * ring.c: build and search the consistent-hash ring of the routing contract.
 *
 * Design: the engine keeps a BTreeMap<u64, u32> of h("shard-{s}-vnode-{v}")
 * -> s, filled shard by shard, v ascending, so that of two equal points the
 * later insertion wins.  We generate the points in that order, sort them with
 * a stable LSD radix sort (equal points keep insertion order) and keep the
 * last of every run of equal points: the same map, as two sorted arrays.
 *
 * Lookup: a bucket index over the top index_bits of the hash.  A bucket that
 * holds no point answers by itself: every hash in it goes to the shard of the
 * next point, stored in the entry with BUCKET_DIRECT set (one memory access).
 * Otherwise the entry is the bucket's first point, and the lookup scans a
 * point or two from there (two dependent accesses), instead of a binary
 * search's ~20 cache misses over a large ring.
 * Memory: 8 (point) + 4 (shard) + at most 4 (bucket) bytes per point.
 */
#include "ring.h"

#include "keyhash.h"

#include <stdio.h>
#include <string.h>

typedef struct RingEntry
{
	uint64_t	point;
	uint32_t	shard;
} RingEntry;

#define RADIX_BITS 16
#define RADIX_SIZE (1u << RADIX_BITS)

/* Largest b with 2^b <= n (0 for n <= 1): buckets never outnumber points. */
static uint32_t
index_bits_for(uint64_t n)
{
	uint32_t	bits = 0;

	while (bits < 32 && (2ULL << bits) <= n)
		bits++;
	return bits;
}

static size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t) 7;
}

size_t
ring_size(uint32_t num_shards, uint32_t virtual_nodes)
{
	uint64_t	n = (uint64_t) num_shards * virtual_nodes;
	uint64_t	buckets = 1ULL << index_bits_for(n);

	return align8(sizeof(Ring)) + align8(n * sizeof(uint64_t)) +
		align8(n * sizeof(uint32_t)) + align8(buckets * sizeof(uint32_t));
}

size_t
ring_scratch_size(uint32_t num_shards, uint32_t virtual_nodes)
{
	uint64_t	n = (uint64_t) num_shards * virtual_nodes;

	return 2 * n * sizeof(RingEntry) + RADIX_SIZE * sizeof(uint64_t);
}

/* Stable LSD radix sort of n entries by point; the result ends up in *a. */
static void
radix_sort(RingEntry **a, RingEntry **b, uint64_t n, uint64_t *count)
{
	for (int shift = 0; shift < 64; shift += RADIX_BITS)
	{
		RingEntry  *src = *a,
				   *dst = *b,
				   *tmp;
		uint64_t	sum = 0;

		memset(count, 0, RADIX_SIZE * sizeof(uint64_t));
		for (uint64_t i = 0; i < n; i++)
			count[(src[i].point >> shift) & (RADIX_SIZE - 1)]++;
		for (uint32_t d = 0; d < RADIX_SIZE; d++)
		{
			uint64_t	c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (uint64_t i = 0; i < n; i++)
			dst[count[(src[i].point >> shift) & (RADIX_SIZE - 1)]++] = src[i];
		tmp = *a;
		*a = *b;
		*b = tmp;
	}
}

/*
 * Fill the bucket index: for bucket i (hashes from i << (64 - bits)), the
 * shard of the next point with BUCKET_DIRECT when no point lies in the
 * bucket, else the index of its first point.
 */
static void
build_buckets(uint32_t *buckets, const uint64_t *points, const uint32_t *shards,
			  uint32_t n, uint32_t bits)
{
	uint64_t	nbuckets = 1ULL << bits;
	uint32_t	p = 0;

	for (uint64_t i = 0; i < nbuckets; i++)
	{
		uint64_t	lowest = bits == 0 ? 0 : i << (64 - bits);
		int			last_bucket = i + 1 == nbuckets;
		uint64_t	next_lowest = last_bucket ? 0 : (i + 1) << (64 - bits);

		while (p < n && points[p] < lowest)
			p++;
		if (p == n || (!last_bucket && points[p] >= next_lowest))
			buckets[i] = BUCKET_DIRECT | shards[p == n ? 0 : p];
		else
			buckets[i] = p;
	}
}

Ring *
ring_build(void *block, uint32_t num_shards, uint32_t virtual_nodes, void *scratch)
{
	Ring	   *ring = (Ring *) block;
	uint64_t	n = (uint64_t) num_shards * virtual_nodes;
	RingEntry  *a = (RingEntry *) scratch;
	RingEntry  *b = a + n;
	uint64_t   *count = (uint64_t *) (b + n);
	uint64_t   *points;
	uint32_t   *shards;
	uint64_t	i = 0;
	uint32_t	kept = 0;
	char		name[64];

	for (uint32_t s = 0; s < num_shards; s++)
		for (uint32_t v = 0; v < virtual_nodes; v++)
		{
			int			len = snprintf(name, sizeof(name), "shard-%u-vnode-%u", s, v);

			a[i].point = key_hash(name, (size_t) len);
			a[i].shard = s;
			i++;
		}
	radix_sort(&a, &b, n, count);

	memset(ring, 0, sizeof(Ring));
	ring->num_shards = num_shards;
	ring->virtual_nodes = virtual_nodes;
	ring->index_bits = index_bits_for(n);
	ring->points_off = align8(sizeof(Ring));
	ring->shards_off = ring->points_off + align8(n * sizeof(uint64_t));
	ring->buckets_off = ring->shards_off + align8(n * sizeof(uint32_t));
	ring->total_bytes = ring_size(num_shards, virtual_nodes);
	points = (uint64_t *) ((char *) ring + ring->points_off);
	shards = (uint32_t *) ((char *) ring + ring->shards_off);

	/* of a run of equal points keep the last inserted, as BTreeMap::insert */
	for (i = 0; i < n; i++)
	{
		if (i + 1 < n && a[i + 1].point == a[i].point)
			continue;
		points[kept] = a[i].point;
		shards[kept] = a[i].shard;
		kept++;
	}
	ring->num_points = kept;
	build_buckets((uint32_t *) ((char *) ring + ring->buckets_off),
				  points, shards, kept, ring->index_bits);
	return ring;
}

uint32_t
ring_lookup(const Ring *ring, uint64_t hash)
{
	const uint64_t *points = ring_points(ring);
	uint32_t	entry = ring_buckets(ring)[ring->index_bits == 0 ? 0 : hash >> (64 - ring->index_bits)];
	uint32_t	p;

	if (entry & BUCKET_DIRECT)
		return entry & ~BUCKET_DIRECT;
	/* the first point >= hash is in this bucket or is the next bucket's first */
	for (p = entry; p < ring->num_points && points[p] < hash; p++)
		;
	if (p == ring->num_points)
		p = 0;					/* past the last point: wrap */
	return ring_shards(ring)[p];
}

uint32_t
ring_search(const Ring *ring, uint64_t hash)
{
	const uint64_t *points = ring_points(ring);
	uint32_t	lo = 0,
				hi = ring->num_points;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (points[mid] < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint32_t
ring_lookup_reference(const Ring *ring, uint64_t hash)
{
	uint32_t	p = ring_search(ring, hash);

	return ring_shards(ring)[p == ring->num_points ? 0 : p];
}
