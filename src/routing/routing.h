/*
 * routing.h: routing and the ring, in sections: the settings of the shape
 * (settings.c), bad shapes' errors (shape_errors.c), the server's ring
 * (server_ring.c), the shape recorded in the database (ring_record.c), key
 * hashing in any encoding (key_encoding.c) and the rings of explicit shapes
 * (ring_cache.c).  shard_for itself is routing.c and shard_batch.c.
 */
#ifndef DAKERA_SHARD_ROUTING_H
#define DAKERA_SHARD_ROUTING_H

#include "mb/pg_wchar.h"

#include "core/keyhash.h"
#include "core/shape.h"

/* settings.c: the GUCs of the shape (placement's are in placement.h) */
extern int	ds_strategy_setting;
extern int	ds_num_shards_setting;
extern int	ds_virtual_nodes_setting;

extern void define_settings(bool preloading);
extern void check_shape_settings(void);
extern Shape settings_shape(void);

/* shape_errors.c: one error report for a bad shape, from SQL or settings */
extern void report_shape_error(ShapeError err, const char *strategy,
							   int64 num_shards, int64 virtual_nodes,
							   bool from_settings);
extern char *shape_describe(const Shape *shape);
extern Shape shape_from_sql(text *strategy, int32 num_shards, int32 virtual_nodes);

/* server_ring.c: the server's ring, in shared memory or backend-local */
typedef struct ServerRing
{
	Shape		shape;
	const Ring *ring;			/* NULL unless strategy_uses_ring() */
	bool		shared;			/* true when it lives in shared memory */
	double		build_ms;
	Size		bytes;
} ServerRing;

extern Size ring_block_size(const Shape *shape);
extern Ring *build_ring_into(void *block, const Shape *shape);
extern Size server_ring_shmem_size(void);
extern void server_ring_shmem_init(void);
extern const ServerRing *server_ring(void);
extern const ServerRing *server_ring_if_built(void);
extern Shape server_shape(void);

/* ring_record.c: the shape recorded in this database */
extern const ServerRing *ds_checked_ring;	/* set once the check has passed */
extern const ServerRing *check_recorded_ring(void);

/*
 * The server's ring, after checking that it routes as the shape recorded in
 * this database.  The hot path of shard_for(text) is this one test.
 */
static inline const ServerRing *
checked_server_ring(void)
{
	if (likely(ds_checked_ring != NULL))
		return ds_checked_ring;
	return check_recorded_ring();
}

/* key_encoding.c: the contract hashes a key's UTF-8 bytes, whatever the database's encoding */
extern uint64 converted_key_hash(const char *data, size_t len);

/* The key hash of text in the database's encoding. */
static inline uint64
text_key_hash(const char *data, size_t len)
{
	if (likely(GetDatabaseEncoding() == PG_UTF8))
		return key_hash(data, len);
	return converted_key_hash(data, len);
}

/* ring_cache.c: rings of explicit shapes, built once per backend */
extern const Ring *ring_cache_get(uint32 num_shards, uint32 virtual_nodes,
								  uint64 *epoch);
extern uint64 ds_ring_cache_epoch;	/* bumped whenever a cached ring is freed */

#endif
