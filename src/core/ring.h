/*
 * ring.h: the consistent-hash ring, built once into one flat block of memory.
 *
 * The block holds no pointers, only offsets from its own start, so the same
 * bytes work in PostgreSQL shared memory (mapped anywhere), in a backend's
 * local memory and in the core's unit tests.  ring.c describes the layout.
 */
#ifndef DAKERA_RING_H
#define DAKERA_RING_H

#include <stddef.h>
#include <stdint.h>

/*
 * Entries a lookup compares without a branch; a bucket with more points is
 * binary-searched.  The sanitizer build of the unit tests narrows it to one
 * entry so that the search is tested on every bucket of two points or more.
 */
#ifndef RING_WINDOW
#define RING_WINDOW 4
#endif

typedef struct Ring
{
	uint32_t	num_shards;
	uint32_t	virtual_nodes;
	uint32_t	num_points;		/* distinct points after equal ones merged */
	uint32_t	index_bits;		/* b: one bucket for each value of a hash's top b bits */
	uint32_t	shard_bits;		/* s: low bits of an entry that hold its shard */
	uint32_t	unused;
	uint64_t	entries_off;	/* uint32_t[num_points + RING_WINDOW], see ring.c */
	uint64_t	points_off;		/* uint64_t[num_points], ascending */
	uint64_t	buckets_off;	/* uint32_t[2^b + 1]: index of each bucket's first point */
	uint64_t	total_bytes;	/* size of the whole block */
} Ring;

/* Bytes of the flat block for a ring of num_shards x virtual_nodes points. */
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

static inline const uint32_t *
ring_entries(const Ring *ring)
{
	return (const uint32_t *) ((const char *) ring + ring->entries_off);
}

static inline const uint32_t *
ring_buckets(const Ring *ring)
{
	return (const uint32_t *) ((const char *) ring + ring->buckets_off);
}

/* Shard of point i. */
static inline uint32_t
ring_point_shard(const Ring *ring, uint32_t i)
{
	return ring_entries(ring)[i] & ((1u << ring->shard_bits) - 1);
}

/* The fingerprint of a hash or point, in place above an entry's shard bits. */
static inline uint32_t
ring_fingerprint(const Ring *ring, uint64_t x)
{
	return (uint32_t) ((x << ring->index_bits) >> (32 + ring->shard_bits)) << ring->shard_bits;
}

/* How many of count ascending points lie below hash (binary search). */
uint32_t	ring_count_below(const uint64_t *points, uint32_t count, uint64_t hash);

/*
 * Shard of the first point >= hash, wrapping past the last point.  Inline:
 * it is the whole cost of routing a key beyond hashing it (see ring.c).
 */
static inline uint32_t
ring_lookup(const Ring *ring, uint64_t hash)
{
	const uint32_t *buckets = ring_buckets(ring);
	uint64_t	bucket = hash >> (64 - ring->index_bits);
	uint32_t	first = buckets[bucket];
	uint32_t	count = buckets[bucket + 1] - first;
	const uint32_t *entries = ring_entries(ring) + first;
	uint32_t	key = ring_fingerprint(ring, hash);
	uint32_t	below = 0,
				found;

#pragma GCC unroll 16
	for (uint32_t k = 0; k < RING_WINDOW; k++)
		below += (k < count) & (entries[k] < key);
	found = entries[below];
	/* fingerprints ascend within a bucket: a tie can only be at the entry found */
	if ((count > RING_WINDOW) | ((below < count) & ((found ^ key) >> ring->shard_bits == 0)))
		found = entries[ring_count_below(ring_points(ring) + first, count, hash)];
	return found & ((1u << ring->shard_bits) - 1);
}

#endif
