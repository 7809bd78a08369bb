/*
 * reshard.h: re-sharding: plans between ring shapes (reshard_plan.c) and the
 * re-shard of a table PARTITION BY HASH (hash_reshard.c); reshard_table's
 * batches are table functions (tables.h).
 */
#ifndef DAKERA_SHARD_RESHARD_H
#define DAKERA_SHARD_RESHARD_H

#include "core/shape.h"

/* The holder of an unfinished HASH re-shard of relid, or InvalidOid (never an error). */
extern Oid	reshard_pending_holder(Oid relid);

/*
 * After the recorded shape changed: the write guard on HASH tables laid out
 * for another shard count, or (ring_changed: the old record routed
 * differently) holding rows that may have been placed under the old ring.
 */
extern void guard_stale_hash_tables(const Shape *recorded, bool ring_changed);

#endif
