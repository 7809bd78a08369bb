/*
 * ring.h: the consistent-hash ring, built once into one flat block of memory.
 *
 * The block holds no pointers, only offsets from its own start, so the same
 * bytes work in PostgreSQL shared memory (mapped anywhere), in a backend's
 * local memory and in the core's unit tests.
 */
#ifndef DAKERA_RING_H
#define DAKERA_RING_H

#include <stddef.h>
#include <stdint.h>

typedef struct Ring
{
	uint32_t	num_shards;
	uint32_t	virtual_nodes;
	uint32_t	num_points;		/* distinct points after equal ones merged */
	uint32_t	index_bits;		/* bucket index over the top index_bits of a hash */
	uint64_t	points_off;		/* uint64_t[num_points], ascending */
	uint64_t	shards_off;		/* uint32_t[num_points], shard of each point */
	uint64_t	buckets_off;	/* uint32_t[2^index_bits], see ring.c */
	uint64_t	total_bytes;	/* size of the whole block */
} Ring;

/* A bucket entry with this bit is the shard of every hash in the bucket. */
#define BUCKET_DIRECT 0x80000000u

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

/* Shard of the first point >= hash, wrapping past the last point. */
uint32_t	ring_lookup(const Ring *ring, uint64_t hash);

/* Index of the first point >= hash (num_points if none), by binary search. */
uint32_t	ring_search(const Ring *ring, uint64_t hash);

/* The same answer by a plain binary search; the reference for tests and fuzzing. */
uint32_t	ring_lookup_reference(const Ring *ring, uint64_t hash);

static inline const uint64_t *
ring_points(const Ring *ring)
{
	return (const uint64_t *) ((const char *) ring + ring->points_off);
}

static inline const uint32_t *
ring_shards(const Ring *ring)
{
	return (const uint32_t *) ((const char *) ring + ring->shards_off);
}

static inline const uint32_t *
ring_buckets(const Ring *ring)
{
	return (const uint32_t *) ((const char *) ring + ring->buckets_off);
}

#endif
