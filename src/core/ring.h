/*
 * ring.h: the consistent-hash ring, built once into one flat block of memory.
 *
 * The block holds no pointers, only offsets from its own start, so the same
 * bytes work in PostgreSQL shared memory (mapped anywhere), in a backend's
 * local memory and in the core's unit tests.  ring.c describes the layout;
 * the lookup is here, inline, because it is the whole cost of routing a key
 * beyond hashing it.
 */
#ifndef DAKERA_RING_H
#define DAKERA_RING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* For the per-key path: compilers otherwise keep it out of line in places. */
#if defined(__GNUC__) || defined(__clang__)
#define ROUTE_INLINE inline __attribute__((always_inline))
#else
#define ROUTE_INLINE inline
#endif

/*
 * Words of a bucket's line (its points' entries, then fillers, then a tail
 * word): one cache line for a small ring, two for a large one (ring.c says
 * why).  Multiples of 4.  The sanitizer build of the unit tests narrows both
 * to 4 so that nearly every bucket spills and the exact path runs everywhere.
 */
#ifndef RING_SMALL_LINE_WORDS
#define RING_SMALL_LINE_WORDS 16
#endif
#ifndef RING_LARGE_LINE_WORDS
#define RING_LARGE_LINE_WORDS 32
#endif

typedef struct Ring
{
	uint32_t	num_shards;
	uint32_t	virtual_nodes;
	uint32_t	num_points;		/* distinct points after equal ones merged */
	uint32_t	shard_bits;		/* s: low bits of a line word that hold a shard */
	uint32_t	line_words;		/* RING_SMALL_LINE_WORDS or RING_LARGE_LINE_WORDS */
	uint32_t	spilled_buckets;	/* buckets with more points than their line */
	uint64_t	num_buckets;	/* B: a hash h is in bucket floor(h * B / 2^64) */
	uint64_t	lines_off;		/* uint32_t[B][line_words], see ring.c */
	uint64_t	points_off;		/* uint64_t[num_points], ascending */
	uint64_t	firsts_off;		/* uint32_t[B + 1]: index of each bucket's first point */
	uint64_t	spills_off;		/* uint32_t[spilled_buckets][2]: bucket, its first in spilled */
	uint64_t	spilled_off;	/* uint32_t[]: shards of the points past a full line */
	uint64_t	total_bytes;	/* size of the whole block */
} Ring;

/*
 * Bytes of the flat block for a ring of num_shards x virtual_nodes points.
 * It hashes the points to size the spill area; SIZE_MAX if it cannot get
 * the little memory it counts with.
 */
size_t		ring_size(uint32_t num_shards, uint32_t virtual_nodes);

/* Bytes of temporary memory that ring_build needs. */
size_t		ring_scratch_size(uint32_t num_shards, uint32_t virtual_nodes);

/*
 * Build the ring into block (ring_size bytes) using scratch (ring_scratch_size
 * bytes, freed by the caller afterwards).  Returns the ring, which starts at
 * block.  The shape must already be valid (see shape.h).
 */
Ring	   *ring_build(void *block, uint32_t num_shards, uint32_t virtual_nodes,
					   void *scratch);

/* The points, ascending (num_points of them). */
static inline const uint64_t *
ring_points(const Ring *ring)
{
	return (const uint64_t *) ((const char *) ring + ring->points_off);
}

/* Shard of point i. */
uint32_t	ring_point_shard(const Ring *ring, uint32_t i);

/* The lookup's exact path: the shard of the first point >= hash, by search. */
uint32_t	ring_lookup_exact(const Ring *ring, uint64_t bucket, uint64_t hash);

/* How many of a line's words lie below key: its entries below, in order. */
static ROUTE_INLINE uint32_t
ring_line_count_below(const uint32_t *line, uint32_t key, int line_words)
{
#ifdef __SSE2__
	/* unsigned compares as signed ones, with the top bit flipped on both sides */
	const __m128i flip = _mm_set1_epi32(INT32_MIN);
	const __m128i flipped_key = _mm_xor_si128(_mm_set1_epi32((int32_t) key), flip);
	__m128i		below = _mm_setzero_si128();

	for (int w = 0; w < line_words; w += 4)
	{
		__m128i		words = _mm_xor_si128(_mm_loadu_si128((const __m128i *) (line + w)), flip);

		below = _mm_sub_epi32(below, _mm_cmpgt_epi32(flipped_key, words));
	}
	below = _mm_add_epi32(below, _mm_shuffle_epi32(below, 0x4E));
	below = _mm_add_epi32(below, _mm_shuffle_epi32(below, 0xB1));
	return (uint32_t) _mm_cvtsi128_si32(below);
#else
	uint32_t	below = 0;

	for (int w = 0; w < line_words; w++)
		below += line[w] < key;
	return below;
#endif
}

/*
 * Shard of the first point >= hash, wrapping past the last point: one read
 * of the hash's bucket line and no branch taken, but in about one lookup in
 * 200 (small rings) to 5000 (4096 x 150), which searches the exact points.
 */
static ROUTE_INLINE uint32_t
ring_lookup(const Ring *ring, uint64_t hash)
{
	unsigned __int128 scaled = (unsigned __int128) hash * ring->num_buckets;
	uint64_t	bucket = (uint64_t) (scaled >> 64);
	uint32_t	shard_bits = ring->shard_bits;
	uint32_t	no_shard = (1u << shard_bits) - 1;
	uint32_t	key = (uint32_t) ((uint64_t) scaled >> (32 + shard_bits)) << shard_bits;
	const uint32_t *line = (const uint32_t *) ((const char *) ring + ring->lines_off) +
		bucket * ring->line_words;
	/* the same branch for every lookup of a ring: predicted; each call unrolled */
	uint32_t	below = ring->line_words == RING_SMALL_LINE_WORDS ?
		ring_line_count_below(line, key, RING_SMALL_LINE_WORDS) :
		ring_line_count_below(line, key, RING_LARGE_LINE_WORDS);
	uint32_t	found = line[below];

	/* a spilled line's tail, or the hash's own fingerprint: ask the points */
	if (__builtin_expect(((found & no_shard) == no_shard) | ((found ^ key) >> shard_bits == 0), 0))
		return ring_lookup_exact(ring, bucket, hash);
	return found & no_shard;
}

#endif
