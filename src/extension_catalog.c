/*
 * extension_catalog.c: the extension's own catalog, found once per backend.
 *
 * Design (after Citus's metadata_cache.c): the OIDs of the extension, of its
 * schema and of its tables are looked up together on first use and kept in
 * one cache; the relcache callback drops the cache when one of those tables
 * is invalidated (DROP EXTENSION, ALTER EXTENSION ... SET SCHEMA and a
 * rolled-back CREATE EXTENSION all send such an invalidation) or when every
 * relcache entry is, and tells the ring check (ring_record.c, through the
 * hook it sets) when the recorded shape may have changed.  A lookup that finds a table missing (in
 * the middle of an install script) is not cached.  This is the one way the
 * C code finds the extension's schema.
 *
 * The tables are read one way: a heap scan (systable_beginscan without an
 * index) under the snapshot the caller names, NULL for a fresh catalog
 * snapshot, after checking that the table has the columns the Anum_
 * constants of extension_catalog.h number.
 */
#include "postgres.h"

#include "compat.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "extension.h"

static const struct
{
	const char *name;
	int			natts;
}			extension_tables[EXTENSION_TABLES] = {
	[SHARD_PLACEMENT] = {"shard_placement", Natts_shard_placement},
	[SHARD_RING_RECORD] = {"shard_ring_record", Natts_shard_ring_record},
};

typedef struct ExtensionCache
{
	bool		valid;
	Oid			extension;
	Oid			schema;
	char	   *schema_sql;		/* quoted, in CacheMemoryContext */
	Oid			tables[EXTENSION_TABLES];
} ExtensionCache;

static ExtensionCache cache;
static bool callback_registered = false;
static RecordChangedHook record_changed_hook = NULL;

void
set_record_changed_hook(RecordChangedHook hook)
{
	record_changed_hook = hook;
}

static void
extension_catalog_invalidated(Datum arg, Oid relid)
{
	bool		ours = relid == InvalidOid;

	for (int t = 0; t < EXTENSION_TABLES; t++)
		ours |= OidIsValid(cache.tables[t]) && relid == cache.tables[t];
	if (!ours)
		return;
	if ((relid == InvalidOid || relid == cache.tables[SHARD_RING_RECORD]) && record_changed_hook != NULL)
		record_changed_hook();
	cache.valid = false;		/* the OIDs stay, to match invalidations until the next lookup */
}

/* The schema an extension is installed in (extnamespace of pg_extension). */
static Oid
schema_of_extension(Oid extension)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			result = InvalidOid;

	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extension));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
		result = ((Form_pg_extension) GETSTRUCT(tuple))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/* Fill the cache; false (and nothing cached) when the extension is not (yet wholly) installed. */
static bool
load_cache(void)
{
	ExtensionCache found;

	if (cache.valid)
		return true;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(extension_catalog_invalidated, (Datum) 0);
		callback_registered = true;
	}
	memset(&found, 0, sizeof(found));
	found.extension = get_extension_oid(EXTENSION_NAME, true);
	if (OidIsValid(found.extension))
		found.schema = schema_of_extension(found.extension);
	/* until every table is found, not valid: looked up again next time */
	cache.extension = found.extension;
	cache.schema = found.schema;
	if (!OidIsValid(found.schema))
		return false;
	for (int t = 0; t < EXTENSION_TABLES; t++)
	{
		found.tables[t] = get_relname_relid(extension_tables[t].name, found.schema);
		if (!OidIsValid(found.tables[t]))
			return false;
	}
	found.schema_sql = MemoryContextStrdup(CacheMemoryContext,
										   quote_identifier(get_namespace_name(found.schema)));
	found.valid = true;
	if (cache.schema_sql != NULL)
		pfree(cache.schema_sql);
	cache = found;
	return true;
}

/* The extension's OID; InvalidOid when missing_ok and it is not installed. */
Oid
extension_oid(bool missing_ok)
{
	if (load_cache())
		return cache.extension;
	return get_extension_oid(EXTENSION_NAME, missing_ok);
}

/* The schema the extension is installed in, or the error that says it is not installed. */
Oid
extension_schema(void)
{
	if (!load_cache() && !OidIsValid(cache.schema))
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("extension \"%s\" is not installed in this database", EXTENSION_NAME),
				errhint("Run CREATE EXTENSION %s.", EXTENSION_NAME));
	return cache.schema;
}

/* The extension's schema as SQL: its quoted name. */
const char *
extension_schema_sql(void)
{
	Oid			schema = extension_schema();

	return cache.valid ? cache.schema_sql : quote_identifier(get_namespace_name(schema));
}

const char *
extension_table_name(ExtensionTable table)
{
	return extension_tables[table].name;
}

/* One of the extension's tables; InvalidOid when missing_ok and it does not exist (yet). */
Oid
extension_table(ExtensionTable table, bool missing_ok)
{
	Oid			relid;

	if (load_cache())
		return cache.tables[table];
	relid = get_relname_relid(extension_tables[table].name, extension_schema());
	if (!OidIsValid(relid) && !missing_ok)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_TABLE),
				errmsg("table %s of extension %s is missing", extension_tables[table].name, EXTENSION_NAME),
				errhint("Update the extension with ALTER EXTENSION %s UPDATE, or reinstall it.", EXTENSION_NAME));
	return relid;
}

Node *
syscache_node(int cacheid, Oid oid, AttrNumber attnum)
{
	HeapTuple	tuple = SearchSysCache1(cacheid, ObjectIdGetDatum(oid));
	Node	   *node = NULL;
	bool		isnull;
	Datum		datum;

	if (!HeapTupleIsValid(tuple))
		return NULL;
	datum = SysCacheGetAttr(cacheid, tuple, attnum, &isnull);
	if (!isnull)
		node = stringToNode(TextDatumGetCString(datum));
	ReleaseSysCache(tuple);
	return node;
}

/*
 * Every row of one of the extension's tables to on_row, read under snapshot
 * (NULL: a fresh catalog snapshot).  False when the table does not exist.
 */
bool
scan_extension_table(ExtensionTable table, Snapshot snapshot, ExtensionRowFn on_row, void *arg)
{
	Oid			relid = extension_table(table, true);
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;
	Datum		values[EXTENSION_TABLE_MAX_NATTS];
	bool		nulls[EXTENSION_TABLE_MAX_NATTS];

	if (!OidIsValid(relid))
		return false;
	rel = table_open(relid, AccessShareLock);
	if (RelationGetDescr(rel)->natts != extension_tables[table].natts)
		elog(ERROR, "table %s has %d columns, expected %d",
			 extension_tables[table].name, RelationGetDescr(rel)->natts, extension_tables[table].natts);
	scan = systable_beginscan(rel, InvalidOid, false, snapshot, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		heap_deform_tuple(tuple, RelationGetDescr(rel), values, nulls);
		on_row(arg, values, nulls);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return true;
}
