/*
 * ring.c: build and search the consistent-hash ring of the routing contract.
 *
 * Design: the engine keeps a BTreeMap<u64, u32> of h("shard-{s}-vnode-{v}")
 * -> s, filled shard by shard, v ascending, so that of two equal points the
 * later insertion wins.  We generate the points in that order, sort them with
 * a stable LSD radix sort (equal points keep insertion order) and keep the
 * last of every run of equal points: the same map, in ascending order.
 *
 * Layout.  The hash space is cut into B equal buckets (a hash h is in
 * bucket floor(h * B / 2^64), one multiply), each with a line of 4-byte
 * words: its points' entries, ascending, then fillers, then a tail word.  A
 * line is 16 words (one cache line, B = N * V / 9) while the lines fit in
 * 512 kB, else 32 words (two cache lines, B = N * V / 18); either way 7.1
 * bytes a point.  An entry holds its point's shard in the low s bits (2^s >
 * N, so all ones is no shard) and, above them, the point's fingerprint: the
 * top 32 - s bits of its place in the bucket, the low 64 bits of h * B.  A
 * filler and the tail hold the shard of the next point after the bucket
 * under all-ones fingerprint bits, so they compare above any hash.  A bucket
 * with more points than its line keeps the first in the line, the shards of
 * the rest in a spill area, and an all-ones tail.  Beside the lines, cold:
 * the exact points, ascending, each bucket's first point, and the spilled
 * buckets with where their shards are.
 *
 * Lookup (ring_lookup in ring.h): read the hash's line (one place in memory),
 * count the words below the hash's fingerprint (SSE2: 4 or 8 compares of 4
 * words, no branch), and the word at that count is the answer: an entry, or
 * a filler or tail holding the next shard.  Only a tie of fingerprints or a
 * spilled line's tail takes the exact path, a binary search of the bucket's
 * exact points: 1 lookup in 193 at 64 x 150, 1 in 4737 at 4096 x 150, 1 in
 * 208 at 1000000 x 4 (12-bit fingerprints), over 10^7 random hashes.  The
 * lines are 4.4 MB at 4096 x 150: one cache miss where a binary search over
 * the points takes ~20 and a mispredicted branch at each step.
 * Memory: 7.1 (line) + 8 (point) + 0.2 to 0.45 (bucket firsts) bytes a
 * point, 4 a spilled point and 8 a spilled bucket, and under 300 bytes more:
 * 15.3 to 15.8 bytes a point for rings of 600 points and more.
 */
#include "ring.h"

#include "keyhash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct RingEntry
{
	uint64_t	point;
	uint32_t	shard;
} RingEntry;

#define RADIX_BITS 16
#define RADIX_SIZE (1u << RADIX_BITS)

/*
 * Lines of one cache line while the ring's lines fit in 512 kB, where a
 * lookup's cost is mostly its compares (measured: 64 x 150 ran 3-4% faster
 * than with lines of two).  Above, lines of two cache lines at twice the
 * points a bucket: the same bytes a point, and a line of 31 entries at 18
 * points a bucket spills far less often than one of 15 at 9 (4096 x 150 ran
 * 4-6% faster).
 */
#define SMALL_RING_LINE_BYTES (512 * 1024)

static size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t) 7;
}

/* Words of a bucket's line for a ring of n points. */
static uint32_t
line_words_for(uint64_t n)
{
	return n * 128 / 18 <= SMALL_RING_LINE_BYTES ? RING_SMALL_LINE_WORDS : RING_LARGE_LINE_WORDS;
}

/* B: buckets of about 18 points for lines of 32 words, of 9 for 16 (7.1 bytes a point). */
static uint64_t
bucket_count(uint64_t n, uint32_t line_words)
{
	uint64_t	load = line_words == RING_SMALL_LINE_WORDS ? 9 : 18;

	return (n + load - 1) / load;
}

static inline uint64_t
bucket_of(uint64_t x, uint64_t num_buckets)
{
	return (uint64_t) (((unsigned __int128) x * num_buckets) >> 64);
}

/* s: the least number of bits with 2^s > num_shards, so all ones is no shard. */
static uint32_t
shard_bits_for(uint32_t num_shards)
{
	uint32_t	bits = 1;

	while ((1ULL << bits) <= num_shards)
		bits++;
	return bits;
}

/* The ring's array of 4-byte words at offset off: lines, firsts, spills or spilled. */
static inline uint32_t *
ring_words(const Ring *ring, uint64_t off)
{
	return (uint32_t *) ((char *) ring + off);
}

/* What spills past full lines: how many buckets, how many points. */
typedef struct Spill
{
	uint64_t	buckets;
	uint64_t	points;
} Spill;

/* Offsets of the parts for n points and a spill, and the total size. */
static void
ring_layout(Ring *ring, uint64_t n, Spill spill)
{
	uint64_t	buckets = ring->num_buckets;

	ring->lines_off = (sizeof(Ring) + 63) & ~(size_t) 63;
	ring->points_off = ring->lines_off + buckets * ring->line_words * sizeof(uint32_t);
	ring->firsts_off = ring->points_off + n * sizeof(uint64_t);
	ring->spills_off = ring->firsts_off + align8((buckets + 1) * sizeof(uint32_t));
	ring->spilled_off = ring->spills_off + spill.buckets * 2 * sizeof(uint32_t);
	ring->total_bytes = ring->spilled_off + align8(spill.points * sizeof(uint32_t));
}

/* Hash of the ring point of shard s, virtual node v. */
static uint64_t
point_hash(uint32_t s, uint32_t v)
{
	char		name[64];
	int			len = snprintf(name, sizeof(name), "shard-%u-vnode-%u", s, v);

	return key_hash(name, (size_t) len);
}

/* The spill past full lines of line_entries, over buckets of counts[b] points. */
static Spill
spill_count(const uint32_t *counts, uint64_t num_buckets, uint32_t line_entries)
{
	Spill		spill = {0, 0};

	for (uint64_t b = 0; b < num_buckets; b++)
		if (counts[b] > line_entries)
		{
			spill.buckets++;
			spill.points += counts[b] - line_entries;
		}
	return spill;
}

size_t
ring_size(uint32_t num_shards, uint32_t virtual_nodes)
{
	uint64_t	n = (uint64_t) num_shards * virtual_nodes;
	Ring		shape = {.line_words = line_words_for(n)};
	uint32_t   *counts;
	Spill		spill;

	shape.num_buckets = bucket_count(n, shape.line_words);
	counts = calloc(shape.num_buckets, sizeof(uint32_t));
	if (counts == NULL)
		return SIZE_MAX;
	/* equal points are counted twice here: the spill area may be a little large */
	for (uint32_t s = 0; s < num_shards; s++)
		for (uint32_t v = 0; v < virtual_nodes; v++)
			counts[bucket_of(point_hash(s, v), shape.num_buckets)]++;
	spill = spill_count(counts, shape.num_buckets, shape.line_words - 1);
	free(counts);
	ring_layout(&shape, n, spill);
	return shape.total_bytes;
}

size_t
ring_scratch_size(uint32_t num_shards, uint32_t virtual_nodes)
{
	uint64_t	n = (uint64_t) num_shards * virtual_nodes;

	return 2 * n * sizeof(RingEntry) + RADIX_SIZE * sizeof(uint64_t) +
		bucket_count(n, line_words_for(n)) * sizeof(uint32_t);
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

/* A line word: the fingerprint of point x above the shard bits, and shard. */
static uint32_t
line_entry(const Ring *ring, uint64_t x, uint32_t shard)
{
	uint64_t	place = (uint64_t) ((unsigned __int128) x * ring->num_buckets);

	return (uint32_t) (place >> (32 + ring->shard_bits)) << ring->shard_bits | shard;
}

/* A filler or tail word: above every fingerprint, holding the next shard. */
static uint32_t
line_filler(const Ring *ring, uint32_t next_shard)
{
	return (0xFFFFFFFFu << ring->shard_bits) | next_shard;
}

/* Each bucket's first point, of the n sorted, distinct points. */
static void
fill_bucket_firsts(Ring *ring, const RingEntry *sorted, uint32_t n)
{
	uint32_t   *firsts = ring_words(ring, ring->firsts_off);
	uint64_t	buckets = ring->num_buckets;
	uint32_t	p = 0;

	for (uint64_t b = 0; b < buckets; b++)
	{
		firsts[b] = p;
		while (p < n && bucket_of(sorted[p].point, buckets) == b)
			p++;
	}
	firsts[buckets] = n;
}

/* Each bucket's line, and the spilled buckets with their shards past the line. */
static void
fill_lines(Ring *ring, const RingEntry *sorted, uint32_t n)
{
	const uint32_t *firsts = ring_words(ring, ring->firsts_off);
	uint32_t   *spills = ring_words(ring, ring->spills_off);
	uint32_t   *spilled = ring_words(ring, ring->spilled_off);
	uint32_t	line_entries = ring->line_words - 1;
	uint32_t	spilled_buckets = 0,
				spilled_points = 0;

	for (uint64_t b = 0; b < ring->num_buckets; b++)
	{
		uint32_t   *line = ring_words(ring, ring->lines_off) + b * ring->line_words;
		uint32_t	first = firsts[b],
					count = firsts[b + 1] - first;
		uint32_t	next_shard = sorted[firsts[b + 1] == n ? 0 : firsts[b + 1]].shard;

		for (uint32_t k = 0; k < line_entries; k++)
			line[k] = k < count ? line_entry(ring, sorted[first + k].point, sorted[first + k].shard) :
				line_filler(ring, next_shard);
		line[line_entries] = count > line_entries ? 0xFFFFFFFFu : line_filler(ring, next_shard);
		if (count <= line_entries)
			continue;
		spills[2 * spilled_buckets] = (uint32_t) b;
		spills[2 * spilled_buckets + 1] = spilled_points;
		spilled_buckets++;
		for (uint32_t k = line_entries; k < count; k++)
			spilled[spilled_points++] = sorted[first + k].shard;
	}
	ring->spilled_buckets = spilled_buckets;
}

Ring *
ring_build(void *block, uint32_t num_shards, uint32_t virtual_nodes, void *scratch)
{
	Ring	   *ring = (Ring *) block;
	uint64_t	n = (uint64_t) num_shards * virtual_nodes;
	uint32_t	line_words = line_words_for(n);
	uint64_t	buckets = bucket_count(n, line_words);
	RingEntry  *a = (RingEntry *) scratch;
	RingEntry  *b = a + n;
	uint64_t   *count = (uint64_t *) (b + n);
	uint32_t   *bucket_counts = (uint32_t *) (count + RADIX_SIZE);
	uint64_t	i = 0;
	uint32_t	kept = 0;

	memset(bucket_counts, 0, buckets * sizeof(uint32_t));
	for (uint32_t s = 0; s < num_shards; s++)
		for (uint32_t v = 0; v < virtual_nodes; v++)
		{
			a[i].point = point_hash(s, v);
			a[i].shard = s;
			bucket_counts[bucket_of(a[i].point, buckets)]++;
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
	ring->shard_bits = shard_bits_for(num_shards);
	ring->line_words = line_words;
	ring->num_buckets = buckets;
	/* sized as ring_size sizes it, from every point, equal ones included */
	ring_layout(ring, n, spill_count(bucket_counts, buckets, line_words - 1));
	for (i = 0; i < kept; i++)
		((uint64_t *) ring_points(ring))[i] = b[i].point;
	fill_bucket_firsts(ring, b, kept);
	fill_lines(ring, b, kept);
	return ring;
}

/* How many of count ascending points lie below hash (binary search). */
static uint32_t
count_below(const uint64_t *points, uint32_t count, uint64_t hash)
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

/* Where a spilled bucket's shards start in spilled, by binary search of the spilled buckets. */
static uint32_t
spilled_first(const Ring *ring, uint64_t bucket)
{
	const uint32_t *spills = ring_words(ring, ring->spills_off);
	uint32_t	lo = 0,
				hi = ring->spilled_buckets;

	while (hi - lo > 1)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (spills[2 * mid] <= bucket)
			lo = mid;
		else
			hi = mid;
	}
	return spills[2 * lo + 1];
}

/* Shard of the bucket's point k (0 <= k <= count: count is the next point). */
static uint32_t
bucket_point_shard(const Ring *ring, uint64_t bucket, uint32_t k, uint32_t count)
{
	const uint32_t *lines = ring_words(ring, ring->lines_off);
	uint32_t	no_shard = (1u << ring->shard_bits) - 1;
	uint32_t	line_entries = ring->line_words - 1;

	if (k == count)				/* the next bucket's first word: its first point, or its next */
		return lines[(bucket + 1) % ring->num_buckets * ring->line_words] & no_shard;
	if (k < line_entries)
		return lines[bucket * ring->line_words + k] & no_shard;
	return ring_words(ring, ring->spilled_off)[spilled_first(ring, bucket) + k - line_entries];
}

uint32_t
ring_lookup_exact(const Ring *ring, uint64_t bucket, uint64_t hash)
{
	const uint32_t *firsts = ring_words(ring, ring->firsts_off);
	uint32_t	first = firsts[bucket],
				count = firsts[bucket + 1] - first;

	return bucket_point_shard(ring, bucket, count_below(ring_points(ring) + first, count, hash), count);
}

uint32_t
ring_point_shard(const Ring *ring, uint32_t i)
{
	const uint32_t *firsts = ring_words(ring, ring->firsts_off);
	uint64_t	bucket = bucket_of(ring_points(ring)[i], ring->num_buckets);

	return bucket_point_shard(ring, bucket, i - firsts[bucket], firsts[bucket + 1] - firsts[bucket]);
}
