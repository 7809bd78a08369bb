/*
 * table_functions.c: the SQL functions that list, measure, verify and
 * re-shard tables routed by shard_for.
 *
 * Design: listing (shard_key_info, routed_tables) reads the catalog only
 * (routing_key.c) and never opens, scans or evaluates anything of a table.
 * Measuring, verifying and moving rows scan the table with a query built
 * from recognised parts (table_route.c), run through SPI as the table's
 * owner under a security-restricted operation (owner_scope.c), after the
 * caller's right to read (or, to move rows, to own) the table is checked.
 */
#include "postgres.h"

#include "compat.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/partition.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_partitioned_table.h"
#include "catalog/pg_type.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "hashops/hashops.h"
#include "reshard/reshard.h"
#include "routing/routing.h"
#include "tables/tables.h"

static char *
name_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : pstrdup(NameStr(*PG_GETARG_NAME(n)));
}

/* Values of one routing as (num_shards, server_ring, key_column, strategy, virtual_nodes). */
static void
routing_values(Oid relid, const RoutingKey *key, Datum *values, bool *nulls)
{
	values[0] = Int32GetDatum(key->num_shards);
	values[1] = BoolGetDatum(key->function == ROUTE_SERVER);
	values[2] = CStringGetDatum(get_attname(relid, key->key_attnum, false));
	values[2] = DirectFunctionCall1(namein, values[2]);
	nulls[3] = key->strategy_name == NULL;
	values[3] = nulls[3] ? (Datum) 0 : CStringGetTextDatum(key->strategy_name);
	values[4] = Int32GetDatum(key->virtual_nodes);
}

/*
 * shard_key_info(rel regclass, shard_column name DEFAULT NULL): for the
 * table's partition key (no column) or the column's generation expression,
 * when it is our shard_for applied to a column, its routing; no row otherwise.
 * The 0.1.0 declaration has the first two columns only.
 */
PG_FUNCTION_INFO_V1(shard_key_info);
Datum
shard_key_info(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RoutingKey	key;
	bool		found = false;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || get_rel_relkind(PG_GETARG_OID(0)) == '\0')
		return (Datum) 0;
	if (PG_ARGISNULL(1))
		found = partition_routing(PG_GETARG_OID(0), &key);
	else
	{
		AttrNumber	attnum = get_attnum(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)));

		if (attnum == InvalidAttrNumber)
			(void) user_column(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)));
		found = attnum > 0 && column_routing(PG_GETARG_OID(0), attnum, &key);
	}
	if (found)
	{
		routing_values(PG_GETARG_OID(0), &key, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* One row of routed_tables(). */
static void
put_routed(ReturnSetInfo *rsinfo, Oid relid, const char *column, const RoutingKey *key)
{
	Datum		values[7];
	bool		nulls[7] = {false};

	values[0] = ObjectIdGetDatum(relid);
	nulls[1] = column == NULL;
	values[1] = column ? DirectFunctionCall1(namein, CStringGetDatum(column)) : (Datum) 0;
	routing_values(relid, key, values + 2, nulls + 2);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * Is the table routed by our shard_for (partition key or a stored generated
 * column)?  From the catalog alone, as routed_tables reads it.
 */
static bool
routed_table(Oid relid)
{
	RoutingKey	key;
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	int			natts;

	if (!HeapTupleIsValid(tuple))
		return false;
	natts = ((Form_pg_class) GETSTRUCT(tuple))->relnatts;
	ReleaseSysCache(tuple);
	if (partition_routing(relid, &key))
		return true;
	for (AttrNumber attnum = 1; attnum <= natts; attnum++)
		if (column_routing(relid, attnum, &key))
			return true;
	return false;
}

/*
 * Tables that routed_tables lists: not a partition of a table that is
 * itself routed by shard (that table is listed and its scan counts the
 * partition's rows), but a table partitioned by shard below a parent
 * partitioned otherwise (by time, say) is; and not other sessions'
 * temporary tables, which nobody but their session can read (as
 * shard_overview leaves them out, so does sharded_tables, so that every
 * table it lists can be passed to partition_info).
 */
static bool
listed_relation(Oid relid)
{
	char		relkind = get_rel_relkind(relid);
	ListCell   *lc;

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_FOREIGN_TABLE)
		return false;
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP && isOtherTempNamespace(get_rel_namespace(relid)))
		return false;
	if (!get_rel_relispartition(relid))
		return true;
	foreach(lc, get_partition_ancestors(relid))
		if (routed_table(lfirst_oid(lc)))
			return false;
	return true;
}

/*
 * Lock a table routed_tables is about to read (ds_lock_listed), and check
 * again that it is one to list: whether to read it.  A table another
 * session holds (being dropped, altered, locked) is left out with a NOTICE.
 */
static bool
lock_routed(Oid relid)
{
	char	   *name;
	char	   *nsp;

	if (!listed_relation(relid))
		return false;
	switch (ds_lock_listed(relid))
	{
		case LISTED_HELD:
			return listed_relation(relid);
		case LISTED_GONE:
			return false;
		case LISTED_BUSY:
			name = get_rel_name(relid);
			nsp = name ? get_namespace_name(get_rel_namespace(relid)) : NULL;
			if (nsp != NULL)
				ereport(NOTICE,
						errmsg("table %s is left out: another session holds a lock on it",
							   quote_qualified_identifier(nsp, name)),
						errhint("It is listed again once that session's transaction ends."));
			return false;
	}
	return false;
}

/*
 * A HASH table's unfinished re-shard (its holder <rel>_reshard_pending),
 * from the catalog alone: a NOTICE that says so and how to finish it.
 */
static void
report_unfinished_reshard(Oid relid)
{
	Oid			holder = reshard_pending_holder(relid);

	if (OidIsValid(holder))
		ereport(NOTICE,
				errmsg("table %s has an unfinished re-shard: rows are pending in %s",
					   qualified_relation(relid), get_rel_name(holder)),
				errdetail("Lookups and writes through the table do not see the pending rows; shard_verify counts them as stale."),
				errhint("CALL reshard_hash_table('%s') to finish it.", qualified_relation(relid)));
}

/*
 * routed_tables(): every table partitioned by our shard_for, and every
 * stored generated column filled by it, from pg_partitioned_table and
 * pg_attrdef.  Columns: rel, shard_column, num_shards, server_ring,
 * key_column, strategy, virtual_nodes.  A partition is not listed when a
 * table above it is (listed_relation).  Each table is locked before its
 * catalog rows are read (lock_routed): the lock stays to the end of the
 * transaction, so that the callers (shard_overview) find it still there.
 */
PG_FUNCTION_INFO_V1(routed_tables);
Datum
routed_tables(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	catalog;
	SysScanDesc scan;
	HeapTuple	tuple;
	RoutingKey	key;
	List	   *partitioned = NIL;
	List	   *generated = NIL;
	List	   *attnums = NIL;
	ListCell   *lc,
			   *lc2;

	InitMaterializedSRF(fcinfo, 0);
	/* the candidates first: a lock taken while a catalog scan is open would not renew its snapshot */
	catalog = table_open(PartitionedRelationId, AccessShareLock);
	scan = systable_beginscan(catalog, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		partitioned = lappend_oid(partitioned, ((Form_pg_partitioned_table) GETSTRUCT(tuple))->partrelid);
	systable_endscan(scan);
	table_close(catalog, AccessShareLock);

	catalog = table_open(AttrDefaultRelationId, AccessShareLock);
	scan = systable_beginscan(catalog, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_attrdef def = (Form_pg_attrdef) GETSTRUCT(tuple);

		generated = lappend_oid(generated, def->adrelid);
		attnums = lappend_int(attnums, def->adnum);
	}
	systable_endscan(scan);
	table_close(catalog, AccessShareLock);

	foreach(lc, partitioned)
	{
		Oid			relid = lfirst_oid(lc);

		CHECK_FOR_INTERRUPTS();
		if (lock_routed(relid) && partition_routing(relid, &key))
		{
			put_routed(rsinfo, relid, NULL, &key);
			report_unfinished_reshard(relid);
		}
	}
	forboth(lc, generated, lc2, attnums)
	{
		Oid			relid = lfirst_oid(lc);
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc2);
		char	   *column;

		CHECK_FOR_INTERRUPTS();
		if (!lock_routed(relid) || (column = get_attname(relid, attnum, true)) == NULL)
			continue;
		if (column_routing(relid, attnum, &key))
			put_routed(rsinfo, relid, column, &key);
	}
	return (Datum) 0;
}

/*
 * table_routing(rel, shard_column): which column holds the table's shard ids
 * (NULL: its partition key), its key column, and its shard count; the errors
 * of partition_info(rel) when it cannot tell.
 */
PG_FUNCTION_INFO_V1(table_routing);
Datum
table_routing(PG_FUNCTION_ARGS)
{
	TableRoute	route;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	resolve_table_route(&route, ds_relation_arg(fcinfo, 0, "partition_info", "rel"), NULL, name_arg(fcinfo, 1), true);
	nulls[0] = route.shard_attnum == InvalidAttrNumber;
	values[0] = nulls[0] ? (Datum) 0 :
		DirectFunctionCall1(namein, CStringGetDatum(get_attname(route.relid, route.shard_attnum, false)));
	nulls[1] = route.key_name == NULL;
	values[1] = nulls[1] ? (Datum) 0 : DirectFunctionCall1(namein, CStringGetDatum(route.key_name));
	values[2] = Int32GetDatum(route.num_shards);
	values[3] = BoolGetDatum(route.server_ring);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* Run one statement over relid as its owner (owner_scope.c); rows to on_row. */
static void
scan_table(Oid relid, TableRight right, const char *sql, int nargs, Oid *types, Datum *values,
		   bool *nulls, ScopedRowFn on_row, void *arg)
{
	ScopedStatement stmt = {sql, nargs, types, values, nulls, on_row, arg};

	(void) run_as_owner(relid, right, &stmt);
}

/* $1 and $2 of a scan: partition places when partitioned by shard, else empty. */
static void
place_args(const TableRoute *route, Oid *types, Datum *values, int32 *unplaced)
{
	types[0] = INT4ARRAYOID;
	types[1] = OIDARRAYOID;
	*unplaced = -1;
	if (route->kind == ROUTE_BY_PARTITION)
		partition_places(route->relid, route->num_shards, &values[0], &values[1], unplaced);
	else
	{
		values[0] = int_list_array(NIL, INT4OID);
		values[1] = int_list_array(NIL, OIDOID);
	}
}

/*
 * The holder of an unfinished re-shard of a HASH table (InvalidOid if none),
 * and a NOTICE with its rows, counted as the table's owner: those rows are
 * part of the table, invisible through it until moved.
 */
static Oid
pending_rows(const TableRoute *route)
{
	Oid			holder = route->kind == ROUTE_BY_PARTITION ? reshard_pending_holder(route->relid) : InvalidOid;
	FirstRow	count = FIRST_ROW_INIT;

	if (!OidIsValid(holder))
		return InvalidOid;
	scan_table(route->relid, TABLE_READ, deparse_count_rows(holder), 0, NULL, NULL, NULL, keep_first_row, &count);
	ereport(NOTICE,
			errmsg("table %s has an unfinished re-shard: " INT64_FORMAT " rows are pending in %s",
				   qualified_relation(route->relid), DatumGetInt64(count.values[0]), get_rel_name(holder)),
			errdetail("Lookups and writes through the table do not see them; shard_verify counts them as stale, partition_info and shard_overview under the shard they move to."),
			errhint("CALL reshard_hash_table('%s') to finish it.", qualified_relation(route->relid)));
	return holder;
}

/*
 * Lock the table and everything below it for the scan without waiting:
 * whether every lock was granted.
 */
static bool
lock_tree_nowait(Oid relid)
{
	ListCell   *lc;

	if (!ConditionalLockRelationOid(relid, AccessShareLock))
		return false;
	foreach(lc, find_all_inheritors(relid, NoLock, NULL))
		if (lfirst_oid(lc) != relid && !ConditionalLockRelationOid(lfirst_oid(lc), AccessShareLock))
			return false;
	return true;
}

/* What one call of shard_rows scans, and where its rows go. */
typedef struct RowsScan
{
	Oid			relid;
	const char *shard_column;
	const char *key_column;		/* not NULL: rows routed by this shard_key or shard_uuid column */
	bool		listing;
	ScopedRowFn on_row;
	void	   *arg;
} RowsScan;

/*
 * The scan of shard_rows: rows and bytes per shard id, with the rows pending
 * in an unfinished HASH re-shard counted under the shard they move to.  For
 * a listing, false (and nothing scanned) when another session holds a lock
 * on the table or on its pending rows' holder.
 */
static bool
shard_rows_run(const RowsScan *scan)
{
	Oid			relid = scan->relid;
	TableRoute	route;
	Oid			holder;

	if (scan->key_column != NULL && scan->shard_column == NULL)
		resolve_key_type_route(&route, relid, scan->key_column);
	else
		resolve_table_route(&route, relid, NULL, scan->shard_column, false);
	if (scan->listing && !lock_tree_nowait(relid))
		return false;
	holder = route.kind == ROUTE_BY_PARTITION ? reshard_pending_holder(relid) : InvalidOid;
	if (scan->listing && OidIsValid(holder) && !lock_tree_nowait(holder))
		return false;
	/* rows pending in an unfinished HASH re-shard: counted under the shard they move to */
	scan_table(relid, TABLE_READ,
			   deparse_shard_rows(&route, scan->listing && get_rel_relkind(relid) == RELKIND_RELATION &&
								  route.kind != ROUTE_BY_KEY_TYPE, pending_rows(&route)),
			   0, NULL, NULL, NULL, scan->on_row, scan->arg);
	return true;
}

/* Rows of a scan held back until it has succeeded whole. */
typedef struct HeldRows
{
	MemoryContext cxt;
	TupleDesc	desc;
	List	   *rows;
} HeldRows;

static void
hold_row(void *arg, TupleDesc desc, Datum *values, bool *nulls)
{
	HeldRows   *held = (HeldRows *) arg;
	MemoryContext old = MemoryContextSwitchTo(held->cxt);

	held->rows = lappend(held->rows, heap_form_tuple(held->desc, values, nulls));
	MemoryContextSwitchTo(old);
}

/*
 * A listing's scan of one table (shard_overview): in a subtransaction, so
 * that a table that cannot be measured now (locked by another session, its
 * foreign server down, any error of the scan) is left out with a NOTICE
 * rather than make the whole listing wait or fail.  A cancel is not caught.
 * Its rows stream from the executor: they are held, and reach the
 * tuplestore only once the scan has succeeded whole.
 */
static void
listing_scan(RowsScan *scan, ReturnSetInfo *rsinfo)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	HeldRows	held = {cxt, rsinfo->setDesc, NIL};
	ListCell   *lc;

	scan->on_row = hold_row;
	scan->arg = &held;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		if (!shard_rows_run(scan))
			ereport(NOTICE,
					errmsg("table %s is left out: another session holds a lock on it", qualified_relation(scan->relid)),
					errhint("Its rows are counted again once that session's transaction ends."));
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED || edata->elevel > ERROR)
			ReThrowError(edata);
		ereport(NOTICE,
				errmsg("table %s is left out: %s", qualified_relation(scan->relid), edata->message),
				edata->hint ? errhint("%s", edata->hint) :
				errhint("partition_info('%s') shows the error on its own.", qualified_relation(scan->relid)));
		held.rows = NIL;
	}
	PG_END_TRY();
	foreach(lc, held.rows)
		tuplestore_puttuple(rsinfo->setResult, (HeapTuple) lfirst(lc));
}

/*
 * shard_rows(rel, shard_column, listing, key_column): rows and bytes per
 * shard id the rows carry (their column, or their partition key's value now,
 * or, with key_column and no shard_column, shard_for of that shard_key or
 * shard_uuid column: a Citus table distributed by it, whose rows are counted
 * where they are, on the workers, by one distributed query).  listing
 * (shard_overview) leaves out inheritance children of a plain table (they
 * are listed, and counted, on their own), and gives no rows, with a NOTICE,
 * for a table that cannot be measured now (listing_scan).
 */
PG_FUNCTION_INFO_V1(shard_rows);
Datum
shard_rows(PG_FUNCTION_ARGS)
{
	RowsScan	scan = {0};

	ds_arg_required(fcinfo, 0, "shard_rows", "rel");
	ds_arg_required(fcinfo, 2, "shard_rows", "listing");
	scan.listing = PG_GETARG_BOOL(2);
	InitMaterializedSRF(fcinfo, 0);
	/* a listing's table dropped since it was listed: nothing to count */
	if (scan.listing && ds_lock_listed(PG_GETARG_OID(0)) == LISTED_GONE)
		return (Datum) 0;
	scan.relid = ds_relation_arg(fcinfo, 0, "shard_rows", "rel");
	scan.shard_column = name_arg(fcinfo, 1);
	scan.key_column = PG_NARGS() > 3 ? name_arg(fcinfo, 3) : NULL;
	if (scan.listing)
		listing_scan(&scan, (ReturnSetInfo *) fcinfo->resultinfo);
	else
	{
		scan.on_row = put_row;
		scan.arg = fcinfo->resultinfo;
		(void) shard_rows_run(&scan);
	}
	return (Datum) 0;
}

/*
 * shard_verify(rel, key_column, shard_column DEFAULT NULL): how many rows
 * carry a shard other than the one their table's routing gives them now,
 * and up to ten of their keys.  Rows with a NULL key have no shard.
 */
PG_FUNCTION_INFO_V1(shard_verify);
Datum
shard_verify(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	TableRoute	route;
	FirstRow	count = FIRST_ROW_INIT,
				sample = FIRST_ROW_INIT;
	Oid			types[2];
	Datum		args[2];
	int32		unplaced;
	Oid			pending;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	resolve_table_route(&route, relid, name_arg(fcinfo, 1), name_arg(fcinfo, 2), false);
	place_args(&route, types, args, &unplaced);
	/* every row pending in an unfinished HASH re-shard is stale: it is not where the table looks */
	pending = pending_rows(&route);
	scan_table(relid, TABLE_READ, deparse_stale_keys(&route, pending, false),
			   2, types, args, NULL, keep_first_row, &count);
	scan_table(relid, TABLE_READ, deparse_stale_keys(&route, pending, true),
			   2, types, args, NULL, keep_first_row, &sample);
	values[0] = count.values[0];
	nulls[0] = count.nulls[0];
	values[1] = sample.values[0];
	nulls[1] = sample.nulls[0];
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* Does any leaf below relid live on another server (a foreign table)? */
static bool
has_foreign_partition(Oid relid)
{
	ListCell   *lc;

	foreach(lc, find_all_inheritors(relid, NoLock, NULL))
		if (get_rel_relkind(lfirst_oid(lc)) == RELKIND_FOREIGN_TABLE)
			return true;
	return false;
}

/* A plain shard column must be one reshard_batch can set: not one PostgreSQL generates. */
static void
check_settable_shard_column(const TableRoute *route)
{
	if (route->kind == ROUTE_BY_PLAIN_COLUMN && get_attgenerated(route->relid, route->shard_attnum) != '\0')
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("column \"%s\" of %s is generated by an expression that is not shard_for of a column",
					   get_attname(route->relid, route->shard_attnum, false), qualified_relation(route->relid)),
				errhint("PostgreSQL computes that column; only a column of shard_for(key), or a plain integer column, can be re-sharded."));
}

static void
check_places(const TableRoute *route, int32 unplaced)
{
	if (unplaced >= 0)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("shard %d of table %s has no partition", unplaced, qualified_relation(route->relid)),
				errhint("Create the missing partitions first: SELECT * FROM create_shard_partitions('%s');",
						qualified_relation(route->relid)));
}

/*
 * What can drop a row on its way into relid or one of its partitions or
 * children: its enabled BEFORE INSERT row triggers and its rules, named, for
 * an error's hint ("" when none is seen).
 */
char *
insert_droppers(Oid relid)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, find_all_inheritors(relid, NoLock, NULL))
	{
		Relation	rel = relation_open(lfirst_oid(lc), NoLock);

		if (rel->trigdesc != NULL)
			for (int i = 0; i < rel->trigdesc->numtriggers; i++)
			{
				Trigger    *t = &rel->trigdesc->triggers[i];

				/* a clone of a parent's trigger is named once, with the parent */
				if (t->tgenabled != TRIGGER_DISABLED && !t->tgisclone && TRIGGER_FOR_ROW(t->tgtype) &&
					TRIGGER_FOR_BEFORE(t->tgtype) && TRIGGER_FOR_INSERT(t->tgtype))
					appendStringInfo(&buf, "%strigger %s on %s", buf.len > 0 ? ", " : "",
									 quote_identifier(t->tgname), qualified_relation(RelationGetRelid(rel)));
			}
		if (rel->rd_rules != NULL)
			appendStringInfo(&buf, "%sthe rules of %s", buf.len > 0 ? ", " : "",
							 qualified_relation(RelationGetRelid(rel)));
		relation_close(rel, NoLock);
	}
	return buf.data;
}

/*
 * A move whose rows did not all arrive: roll the batch back, loudly, naming
 * what dropped them.
 */
static void
refuse_lost_rows(const TableRoute *route, int64 left, int64 arrived)
{
	char	   *droppers = insert_droppers(route->relid);

	ereport(ERROR,
			errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
			errmsg("a batch of reshard_table took " INT64_FORMAT " rows of %s from their place but only " INT64_FORMAT " arrived in their new one",
				   left, qualified_relation(route->relid), arrived),
			errdetail("Something dropped rows on their way in (a BEFORE INSERT trigger that returns NULL, or a rule); the batch was rolled back and nothing was lost."),
			droppers[0] != '\0' ?
			errhint("Disable what drops them for the time of the re-shard (%s: ALTER TABLE ... DISABLE TRIGGER ...), then CALL reshard_table('%s', ...) again.",
					droppers, qualified_relation(route->relid)) :
			errhint("Find what drops rows on their way into %s, disable it for the time of the re-shard, then CALL reshard_table again.",
					qualified_relation(route->relid)));
}

static int64
int8_or_zero(const FirstRow *row, int n)
{
	return !row->found || row->nulls[n] ? 0 : DatumGetInt64(row->values[n]);
}

/*
 * A batch's statement arguments: the places (rel's route), then last_key
 * (NULL for the first batch) and batch_size.
 */
typedef struct BatchArgs
{
	Oid			types[4];
	Datum		values[4];
	bool		nulls[4];
}			BatchArgs;

/*
 * The batch through a foreign partition, which cannot take a row moved by
 * UPDATE: one statement deletes and inserts through the parent and counts
 * both.
 */
static void
move_through_delete(const TableRoute *route, BatchArgs *batch, FirstRow *row, int64 *left, int64 *arrived)
{
	scan_table(route->relid, TABLE_OWN, deparse_reshard_through_delete(route), 4, batch->types,
			   batch->values, batch->nulls, keep_first_row, row);
	*left = int8_or_zero(row, 2);
	*arrived = int8_or_zero(row, 3);
}

/*
 * The batch by UPDATE: its stale rows locked (no other session changes or
 * deletes them until commit), moved (RETURNING counts the rows that
 * arrived), and the locked rows still in their place counted after: a row a
 * BEFORE UPDATE trigger skipped neither left nor arrived.
 */
static void
move_locked_rows(const TableRoute *route, BatchArgs *batch, FirstRow *row, int64 *left, int64 *arrived)
{
	FirstRow	count = FIRST_ROW_INIT;
	Oid			locked_types[4] = {OIDARRAYOID, TIDARRAYOID, TEXTOID, TEXTOID};
	Datum		locked[4];
	bool		locked_nulls[4] = {false, false, batch->nulls[2], false};

	scan_table(route->relid, TABLE_OWN, deparse_reshard_lock(route), 4, batch->types, batch->values,
			   batch->nulls, keep_first_row, row);
	*left = *arrived = 0;
	if (!row->found || row->nulls[2])
		return;
	locked[0] = row->values[2];
	locked[1] = row->values[3];
	locked[2] = batch->values[2];
	locked[3] = row->values[0];
	*left = ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(locked[0])), ARR_DIMS(DatumGetArrayTypeP(locked[0])));
	scan_table(route->relid, TABLE_OWN, deparse_reshard_move(route), 4, locked_types, locked, locked_nulls,
			   keep_first_row, &count);
	*arrived = int8_or_zero(&count, 0);
	count.found = false;
	scan_table(route->relid, TABLE_OWN, deparse_reshard_still_there(route), 4, locked_types, locked,
			   locked_nulls, keep_first_row, &count);
	*left -= int8_or_zero(&count, 0);
}

/*
 * reshard_batch(rel, key_column, shard_column, last_key text, batch_size):
 * one batch of reshard_table: the next batch_size keys after last_key in the
 * key type's own order, and the stale rows among them moved.  Returns the
 * batch's last key (as text), the rows read and the rows moved.
 *
 * Every move compares the rows that left their place with the rows that
 * arrived, in the batch's transaction, and rolls the batch back on a
 * difference: a BEFORE INSERT trigger that returns NULL turns PostgreSQL's
 * cross-partition UPDATE, or a DELETE and INSERT, into a delete.  Through
 * a foreign partition, one statement deletes and inserts and counts both.
 * Otherwise the stale rows are locked first (no other session changes or
 * deletes them until commit), moved by UPDATE (RETURNING: the rows that
 * arrived), and the locked rows still in their place counted after: the
 * others left.
 */
PG_FUNCTION_INFO_V1(reshard_batch);
Datum
reshard_batch(PG_FUNCTION_ARGS)
{
	Oid			relid;
	TableRoute	route;
	FirstRow	row = FIRST_ROW_INIT;
	BatchArgs	batch = {.nulls = {false, false, false, false}};
	int32		unplaced;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int64		left;
	int64		arrived;

	/* shard_column (a partitioned table) and after_key (the first batch) may be NULL */
	relid = ds_relation_arg(fcinfo, 0, "reshard_batch", "rel");
	ds_arg_required(fcinfo, 1, "reshard_batch", "key_column");
	ds_arg_required(fcinfo, 4, "reshard_batch", "batch_size");
	if (PG_GETARG_INT32(4) < 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("batch_size must be at least 1"),
				errhint("A batch of 10000 keys is the default of reshard_table."));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	resolve_table_route(&route, relid, name_arg(fcinfo, 1), name_arg(fcinfo, 2), false);
	place_args(&route, batch.types, batch.values, &unplaced);
	check_places(&route, unplaced);
	batch.types[2] = TEXTOID;
	batch.values[2] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	batch.nulls[2] = PG_ARGISNULL(3);
	batch.types[3] = INT4OID;
	batch.values[3] = PG_GETARG_DATUM(4);
	check_settable_shard_column(&route);

	if (route.kind == ROUTE_BY_PARTITION && has_foreign_partition(relid))
		move_through_delete(&route, &batch, &row, &left, &arrived);
	else
		move_locked_rows(&route, &batch, &row, &left, &arrived);
	if (left != arrived)
		refuse_lost_rows(&route, left, arrived);
	values[0] = row.found ? row.values[0] : (Datum) 0;
	nulls[0] = !row.found || row.nulls[0];
	values[1] = Int64GetDatum(int8_or_zero(&row, 1));
	values[2] = Int64GetDatum(arrived);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * reshard_plan(rel, key_column, num_shards, strategy, virtual_nodes): rows
 * per (shard under the server's ring now, shard under the target ring).
 * Rows with a NULL key have no shard and are not counted.
 */
PG_FUNCTION_INFO_V1(reshard_plan_rows);
Datum
reshard_plan_rows(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	TableRoute	route;
	Oid			types[3] = {INT4OID, TEXTOID, INT4OID};
	Datum		args[3] = {PG_GETARG_DATUM(2), PG_GETARG_DATUM(3), PG_GETARG_DATUM(4)};
	char	   *column = name_arg(fcinfo, 1);

	(void) shape_from_sql(PG_GETARG_TEXT_PP(3), PG_GETARG_INT32(2), PG_GETARG_INT32(4));
	resolve_table_key(&route, relid, column);
	InitMaterializedSRF(fcinfo, 0);
	scan_table(relid, TABLE_READ, deparse_reshard_plan_rows(&route),
			   3, types, args, NULL, put_row, fcinfo->resultinfo);
	return (Datum) 0;
}

/* Most partitions create_shard_partitions makes for one table: each takes locks and a file. */
#define SHARD_PARTITIONS_MAX 1024

/*
 * shard_partition_plan(parent): for a table partitioned by LIST
 * (shard_for(...)), its shard count, checked against the shape limits and
 * SHARD_PARTITIONS_MAX before anything is made, and the shards its
 * partitions already take.
 */
PG_FUNCTION_INFO_V1(shard_partition_plan);
Datum
shard_partition_plan(PG_FUNCTION_ARGS)
{
	Oid			parent = ds_relation_arg(fcinfo, 0, "create_shard_partitions", "parent");
	RoutingKey	key;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	/* partitions are created as the parent's owner: only the owner (or a superuser) may ask */
	if (!ds_owns_relation(parent, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(parent));
	if (!partition_routing(parent, &key))
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("table %s is not partitioned by LIST (shard_for(...))", qualified_relation(parent)),
				errhint("Create the table with PARTITION BY LIST (shard_for(id))."));
	(void) routing_shape(&key);
	check_hash_partition_modulus(parent, key.num_shards);
	if (key.num_shards > SHARD_PARTITIONS_MAX)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("table %s routes to %d shards; create_shard_partitions makes at most %d partitions",
					   qualified_relation(parent), key.num_shards, SHARD_PARTITIONS_MAX),
				errdetail("Each partition is a table with its own locks and files; thousands of them in one transaction exhaust the lock table."),
				errhint("Partition by shard with at most %d shards, or keep the shard id in a generated column instead.",
						SHARD_PARTITIONS_MAX));
	values[0] = Int32GetDatum(key.num_shards);
	values[1] = int_list_array(taken_shards(parent), INT4OID);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
