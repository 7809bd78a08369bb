/*
 * extension.h: the extension's own catalog (extension_catalog.c): the
 * extension, its schema, its tables and their columns, and the one way to
 * read them.  It depends on no other part of the extension.
 */
#ifndef DAKERA_SHARD_EXTENSION_H
#define DAKERA_SHARD_EXTENSION_H

#include "nodes/nodes.h"
#include "utils/snapshot.h"

#define EXTENSION_NAME "dakera_shard"

/* The extension's tables (sql/install/storage.sql), after pg_cron's Natts_/Anum_ constants. */
typedef enum ExtensionTable
{
	SHARD_PLACEMENT,
	SHARD_RING_RECORD,
	EXTENSION_TABLES
} ExtensionTable;

#define Natts_shard_placement 4
#define Anum_shard_placement_shard_id 1
#define Anum_shard_placement_node_ids 2
#define Anum_shard_placement_registered_at 3
#define Anum_shard_placement_registered_by 4

#define Natts_shard_ring_record 6
#define Anum_shard_ring_record_singleton 1
#define Anum_shard_ring_record_strategy 2
#define Anum_shard_ring_record_num_shards 3
#define Anum_shard_ring_record_virtual_nodes 4
#define Anum_shard_ring_record_recorded_at 5
#define Anum_shard_ring_record_recorded_by 6

#define EXTENSION_TABLE_MAX_NATTS 6

extern Oid	extension_oid(bool missing_ok);
extern Oid	extension_schema(void);
extern const char *extension_schema_sql(void);
extern Oid	extension_table(ExtensionTable table, bool missing_ok);
extern const char *extension_table_name(ExtensionTable table);

/* One row of an extension table, values and nulls by Anum_ - 1; in the scan's memory. */
typedef void (*ExtensionRowFn) (void *arg, Datum *values, bool *nulls);

/*
 * Called by the relcache callback when shard_ring_record may have changed
 * (ring_record.c sets it, to drop its verdict: the catalog calls up, never
 * includes what is above it).
 */
typedef void (*RecordChangedHook) (void);
extern void set_record_changed_hook(RecordChangedHook hook);

/*
 * A node tree stored in a catalog row (partition bounds, argument defaults),
 * read from the syscache, never evaluated; NULL when the row or the value
 * is missing.
 */
extern Node *syscache_node(int cacheid, Oid oid, AttrNumber attnum);

extern bool scan_extension_table(ExtensionTable table, Snapshot snapshot,
								 ExtensionRowFn on_row, void *arg);

#endif
