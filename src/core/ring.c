/*
 * ring.c: build and search the consistent-hash ring of the routing contract.
 *
 * Design: the engine keeps a BTreeMap<u64, u32> of h("shard-{s}-vnode-{v}")
 * -> s, filled shard by shard, v ascending, so that of two equal points the
 * later insertion wins.  We generate the points in that order, sort them with
 * a stable LSD radix sort (equal points keep insertion order) and keep the
 * last of every run of equal points: the same map, in ascending order.
 *
 * Layout: the points, ascending; a bucket index over the top b bits of a
 * hash, about 1 to 2 points a bucket; and one 4-byte entry per point holding
 * its shard in the low s bits and, above them, the point's fingerprint: the
 * 32 - s bits that follow the bucket's b bits.  Within a bucket, a point
 * whose fingerprint is below the hash's lies below the hash, one above lies
 * above it; only equal fingerprints (about one lookup in 2^(32 - s)) need
 * the exact points.  One entry more after the last holds the first point's
 * shard, for hashes past the last point; RING_WINDOW - 1 more pad the window.
 *
 * Lookup (ring_lookup, inline in ring.h): read the bucket's first point and
 * count, count the entries below the hash's fingerprint over a fixed window
 * of RING_WINDOW entries with no branch, and take the shard from the entry
 * found.  A bucket past the window, or a found entry with the hash's own
 * fingerprint, is settled by the exact points.  So a lookup reads 8 bytes a
 * point (index and entries, 4.5 MB at 4096 x 150) in two dependent accesses
 * and mispredicts nothing, where a binary search over the points costs ~20
 * cache misses and a mispredicted branch at each step.
 * Memory: 8 (point) + 4 (entry) + under 4 (index) bytes a point, and under
 * 96 bytes more.
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

static size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t) 7;
}

/* Offsets of the entries, points and bucket index, and the total size. */
static void
ring_layout(Ring *ring, uint64_t n)
{
	ring->entries_off = align8(sizeof(Ring));
	ring->points_off = ring->entries_off + align8((n + RING_WINDOW) * sizeof(uint32_t));
	ring->buckets_off = ring->points_off + n * sizeof(uint64_t);
	ring->total_bytes = ring->buckets_off + align8(((1ULL << ring->index_bits) + 1) * sizeof(uint32_t));
}

/* b: 1 to 2 points a bucket on average (2^b < n <= 2^(b + 1)), and b >= 1. */
static uint32_t
index_bits_for(uint64_t n)
{
	uint32_t	bits = 1;

	while ((2ULL << bits) < n)
		bits++;
	return bits;
}

/* s: enough bits for any shard number. */
static uint32_t
shard_bits_for(uint32_t num_shards)
{
	uint32_t	bits = 0;

	while ((1ULL << bits) < num_shards)
		bits++;
	return bits;
}

size_t
ring_size(uint32_t num_shards, uint32_t virtual_nodes)
{
	uint64_t	n = (uint64_t) num_shards * virtual_nodes;
	Ring		shape = {.index_bits = index_bits_for(n)};

	ring_layout(&shape, n);
	return shape.total_bytes;
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
 * Fill the points, entries and bucket index from the n sorted, distinct
 * points: bucket i starts at the first point whose top bits are >= i.
 */
static void
fill_ring(Ring *ring, const RingEntry *sorted, uint32_t n)
{
	uint64_t   *points = (uint64_t *) ring_points(ring);
	uint32_t   *entries = (uint32_t *) ring_entries(ring);
	uint32_t   *buckets = (uint32_t *) ring_buckets(ring);
	uint32_t	bits = ring->index_bits;
	uint64_t	nbuckets = 1ULL << bits;
	uint32_t	p = 0;

	for (uint32_t i = 0; i < n; i++)
	{
		points[i] = sorted[i].point;
		entries[i] = ring_fingerprint(ring, sorted[i].point) | sorted[i].shard;
	}
	for (uint32_t i = n; i < n + RING_WINDOW; i++)
		entries[i] = sorted[0].shard;	/* past the last point: the first */
	for (uint64_t i = 0; i < nbuckets; i++)
	{
		while (p < n && (sorted[p].point >> (64 - bits)) < i)
			p++;
		buckets[i] = p;
	}
	buckets[nbuckets] = n;
}

Ring *
ring_build(void *block, uint32_t num_shards, uint32_t virtual_nodes, void *scratch)
{
	Ring	   *ring = (Ring *) block;
	uint64_t	n = (uint64_t) num_shards * virtual_nodes;
	RingEntry  *a = (RingEntry *) scratch;
	RingEntry  *b = a + n;
	uint64_t   *count = (uint64_t *) (b + n);
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

	/* of a run of equal points keep the last inserted, as BTreeMap::insert */
	for (i = 0; i < n; i++)
	{
		if (i + 1 < n && a[i + 1].point == a[i].point)
			continue;
		b[kept++] = a[i];
	}

	memset(ring, 0, sizeof(Ring));
	ring->num_shards = num_shards;
	ring->virtual_nodes = virtual_nodes;
	ring->num_points = kept;
	ring->index_bits = index_bits_for(n);
	ring->shard_bits = shard_bits_for(num_shards);
	ring_layout(ring, n);
	fill_ring(ring, b, kept);
	return ring;
}

uint32_t
ring_count_below(const uint64_t *points, uint32_t count, uint64_t hash)
{
	uint32_t	lo = 0,
				hi = count;

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
