/*
 * hash_reshard.c: re-sharding a table PARTITION BY HASH (id shard_ops).
 *
 * Design: such a table holds shard s in the partition of remainder s only
 * while the modulus is the server's shard count, and PostgreSQL refuses
 * partitions of moduli that do not divide each other (4 and 6), so a new
 * shard count needs new partitions.  The procedure swaps first and moves
 * after, so that the table keeps its identity (OID, grants, triggers,
 * policies, views and indexes on the parent) and new rows land in their new
 * partitions at once:
 *
 *   swap   (one transaction, under an ACCESS EXCLUSIVE lock of the parent,
 *          no row read): a holding table <rel>_reshard_pending is made, the
 *          old partitions are detached, renamed <rel>_pending_<remainder> and
 *          made inheritance children of it (no validation: nothing is
 *          scanned), and the N new partitions <rel>_shard_<s> are attached.
 *   move   (one transaction per batch): up to batch_size rows are deleted
 *          from one pending table and inserted through the parent, in one
 *          statement, so a row is in exactly one place at every commit.
 *   finish (one transaction): the empty pending tables and the holder are
 *          dropped.
 *
 * Each step finds where the last one stopped from the catalog (the holder,
 * marked by its comment, and its children), so a cancelled run resumes by
 * being run again, and no row is lost or copied twice.  Between the swap and
 * the finish a lookup through the parent does not see rows still pending;
 * the holder (a plain table, its children included) does.
 *
 * Every statement runs as the table's owner, security-restricted, with
 * search_path pinned (owner_scope.c), after checking that the caller owns
 * the table: moving rows runs the table's triggers, constraints and index
 * expressions.  The holder is adopted on resume only if it carries our
 * marker and belongs to the table's owner, as must each pending table.
 * Foreign and sub-partitioned partitions are refused before anything
 * changes.  Each step first takes a SHARE UPDATE EXCLUSIVE lock of the
 * table, so two runs on one table take turns and each reads the catalog as
 * the last one left it; reads and writes of the table go on meanwhile.  A
 * row written through the table during the re-shard with the key of a row
 * still pending makes that row's move fail on the table's unique index, if
 * it has one: loudly, naming the key, and resumable once one of the two is
 * deleted.
 */
#include "dakera_shard.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "commands/comment.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "hash_partitions.h"
#include "owner_scope.h"
#include "table_route.h"

typedef struct HashReshard
{
	Oid			relid;
	Oid			nsp;
	Oid			owner;
	char	   *nsp_sql;		/* "schema" */
	char	   *rel_sql;		/* "schema"."rel" */
	char	   *relname;
	char	   *holder_name;
	char	   *marker;
	int32		num_shards;
} HashReshard;

/* One statement of the re-shard, as the table's owner (owner_scope.c); the caller owns the table. */
static void
run_sql(const HashReshard *r, const char *sql)
{
	ScopedStatement stmt = {.sql = sql};

	(void) run_as_owner(r->relid, TABLE_ALTER, &stmt);
}

static char *
checked_name(const HashReshard *r, const char *fmt, int n)
{
	char	   *name = n < 0 ? psprintf(fmt, r->relname) : psprintf(fmt, r->relname, n);

	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				errcode(ERRCODE_NAME_TOO_LONG),
				errmsg("cannot re-shard %s: the name \"%s\" is longer than %d bytes",
					   r->relname, name, NAMEDATALEN - 1),
				errhint("Rename the table to a shorter name first."));
	return name;
}

/* Does the table already have exactly the N partitions of modulus N? */
static bool
layout_is_current(const HashReshard *r, List *partitions)
{
	ListCell   *lc;

	if (list_length(partitions) != r->num_shards)
		return false;
	foreach(lc, partitions)
	{
		PartitionBoundSpec *spec = partition_bound(lfirst_oid(lc));

		if (spec == NULL || spec->modulus != r->num_shards)
			return false;
	}
	return true;
}

/* Only plain local partitions can be moved; say what to do otherwise. */
static void
check_movable(const HashReshard *r, Oid partition)
{
	char		relkind = get_rel_relkind(partition);

	if (relkind == RELKIND_RELATION)
		return;
	ereport(ERROR,
			errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			errmsg("cannot re-shard %s: partition %s is a %s", r->relname, get_rel_name(partition),
				   relkind == RELKIND_FOREIGN_TABLE ? "foreign table" : "partitioned table"),
			errdetail("reshard_hash_table moves the rows of plain local partitions only; nothing was changed."),
			errhint("Copy its rows into a local table, detach it, attach the local table with the same bound, and run reshard_hash_table again."));
}

/* The pending tables of a holder, each checked to be the table owner's. */
static List *
pending_tables(const HashReshard *r, Oid holder)
{
	List	   *children = find_inheritance_children(holder, NoLock);
	ListCell   *lc;

	foreach(lc, children)
		if (ds_relation_owner(lfirst_oid(lc)) != r->owner ||
			get_rel_relkind(lfirst_oid(lc)) != RELKIND_RELATION)
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					errmsg("table %s under %s is not a pending part of %s",
						   get_rel_name(lfirst_oid(lc)), r->holder_name, r->relname),
					errhint("Remove it from the holding table (ALTER TABLE ... NO INHERIT) and run reshard_hash_table again."));
	return children;
}

/* The holder of a re-shard under way, or InvalidOid; refuses a table of that name that is not ours. */
static Oid
find_holder(const HashReshard *r)
{
	Oid			holder = get_relname_relid(r->holder_name, r->nsp);
	char	   *comment;

	if (!OidIsValid(holder))
		return InvalidOid;
	comment = GetComment(holder, RelationRelationId, 0);
	if (get_rel_relkind(holder) != RELKIND_RELATION || ds_relation_owner(holder) != r->owner ||
		comment == NULL || strcmp(comment, r->marker) != 0)
		ereport(ERROR,
				errcode(ERRCODE_DUPLICATE_TABLE),
				errmsg("table %s exists and is not a re-shard of %s under way", r->holder_name, r->relname),
				errhint("Rename or drop that table, then run reshard_hash_table again."));
	return holder;
}

/* The insertable columns of rel (not dropped, not generated), quoted, with a prefix. */
static char *
column_list(Oid relid, const char *prefix)
{
	StringInfoData buf;
	int			natts;
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

	natts = ((Form_pg_class) GETSTRUCT(tuple))->relnatts;
	ReleaseSysCache(tuple);
	initStringInfo(&buf);
	for (AttrNumber a = 1; a <= natts; a++)
	{
		HeapTuple	att = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(a));
		Form_pg_attribute form;

		if (!HeapTupleIsValid(att))
			continue;
		form = (Form_pg_attribute) GETSTRUCT(att);
		if (!form->attisdropped && !form->attgenerated)
			appendStringInfo(&buf, "%s%s%s", buf.len > 0 ? ", " : "", prefix,
							 quote_identifier(NameStr(form->attname)));
		ReleaseSysCache(att);
	}
	return buf.data;
}

/* swap: the old partitions become pending children of a holder; N new partitions. */
static void
swap_layout(const HashReshard *r, List *partitions)
{
	ListCell   *lc;
	char	   *holder_sql = psprintf("%s.%s", r->nsp_sql, quote_identifier(r->holder_name));

	foreach(lc, partitions)
		check_movable(r, lfirst_oid(lc));
	run_sql(r, psprintf("LOCK TABLE %s IN ACCESS EXCLUSIVE MODE", r->rel_sql));
	run_sql(r, psprintf("CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING GENERATED)",
					 holder_sql, r->rel_sql));
	run_sql(r, psprintf("COMMENT ON TABLE %s IS %s", holder_sql, quote_literal_cstr(r->marker)));
	foreach(lc, partitions)
	{
		Oid			part = lfirst_oid(lc);
		PartitionBoundSpec *spec = partition_bound(part);
		char	   *pending = checked_name(r, "%s_pending_%d", spec ? spec->remainder : foreach_current_index(lc));
		char	   *pending_sql = psprintf("%s.%s", r->nsp_sql, quote_identifier(pending));

		run_sql(r, psprintf("ALTER TABLE %s DETACH PARTITION %s.%s", r->rel_sql, r->nsp_sql,
						 quote_identifier(get_rel_name(part))));
		run_sql(r, psprintf("ALTER TABLE %s.%s RENAME TO %s", r->nsp_sql,
						 quote_identifier(get_rel_name(part)), quote_identifier(pending)));
		run_sql(r, psprintf("ALTER TABLE %s INHERIT %s", pending_sql, holder_sql));
	}
	for (int32 s = 0; s < r->num_shards; s++)
		run_sql(r, psprintf("CREATE TABLE %s.%s PARTITION OF %s FOR VALUES WITH (MODULUS %d, REMAINDER %d)",
						 r->nsp_sql, quote_identifier(checked_name(r, "%s_shard_%d", s)),
						 r->rel_sql, r->num_shards, s));
}

/* move: up to batch_size rows of one pending table, deleted there and inserted through the parent. */
static int64
move_batch(const HashReshard *r, Oid pending, int32 batch_size)
{
	char	   *pending_sql = psprintf("%s.%s", r->nsp_sql, quote_identifier(get_rel_name(pending)));
	char	   *sql;
	ScopedStatement stmt = {0};
	FirstRow	count = FIRST_ROW_INIT;

	sql = psprintf("WITH gone AS (DELETE FROM ONLY %1$s t WHERE t.ctid OPERATOR(pg_catalog.=) ANY "
				   "(ARRAY(SELECT c.ctid FROM ONLY %1$s c LIMIT %2$d)) RETURNING %3$s), "
				   "moved AS (INSERT INTO %4$s (%5$s) OVERRIDING SYSTEM VALUE SELECT %6$s FROM gone g RETURNING 1) "
				   "SELECT pg_catalog.count(*) FROM moved",
				   pending_sql, batch_size, column_list(r->relid, "t."), r->rel_sql,
				   column_list(r->relid, ""), column_list(r->relid, "g."));
	stmt.sql = sql;
	stmt.on_row = keep_first_row;
	stmt.arg = &count;
	(void) run_as_owner(r->relid, TABLE_OWN, &stmt);
	return !count.found || count.nulls[0] ? 0 : DatumGetInt64(count.values[0]);
}

/* finish: drop the empty pending tables and the holder. */
static void
drop_holder(const HashReshard *r, Oid holder, List *pending)
{
	ListCell   *lc;

	foreach(lc, pending)
		run_sql(r, psprintf("DROP TABLE %s.%s", r->nsp_sql, quote_identifier(get_rel_name(lfirst_oid(lc)))));
	run_sql(r, psprintf("DROP TABLE %s.%s", r->nsp_sql, quote_identifier(get_rel_name(holder))));
}

/*
 * reshard_hash_step(rel, batch_size) -> (step text, moved bigint): one
 * transaction's worth of re-sharding: 'swap', 'move' (rows moved), 'finish'
 * or 'done' (nothing left to do).
 */
PG_FUNCTION_INFO_V1(reshard_hash_step);
Datum
reshard_hash_step(PG_FUNCTION_ARGS)
{
	HashReshard r;
	RoutingKey	key;
	int32		batch_size = PG_GETARG_INT32(1);
	Oid			holder;
	const char *step = "done";
	int64		moved = 0;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	memset(&r, 0, sizeof(r));
	r.relid = PG_GETARG_OID(0);
	if (!hash_partition_routing(r.relid, &key))
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("table %s is not partitioned by HASH (... shard_ops)", get_rel_name(r.relid)),
				errhint("Re-shard other tables with reshard_table()."));
	if (batch_size < 1)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("batch_size must be at least 1"));
	r.nsp = get_rel_namespace(r.relid);
	r.owner = ds_relation_owner(r.relid);
	r.relname = get_rel_name(r.relid);
	r.nsp_sql = pstrdup(quote_identifier(get_namespace_name(r.nsp)));
	r.rel_sql = psprintf("%s.%s", r.nsp_sql, quote_identifier(r.relname));
	r.holder_name = checked_name(&r, "%s_reshard_pending", -1);
	r.marker = psprintf("dakera_shard: rows of table %u waiting to be re-sharded", r.relid);

	check_table_right(r.relid, TABLE_OWN);
	/* one re-shard of a table at a time, reads and writes unhindered; the catalog is read after it */
	LockRelationOid(r.relid, ShareUpdateExclusiveLock);
	/* the server's ring must route as the recorded shape */
	r.num_shards = (int32) checked_server_ring()->shape.num_shards;
	holder = find_holder(&r);
	if (!OidIsValid(holder))
	{
		List	   *partitions = find_inheritance_children(r.relid, NoLock);

		if (!layout_is_current(&r, partitions))
		{
			swap_layout(&r, partitions);
			step = "swap";
		}
	}
	else
	{
		List	   *pending = pending_tables(&r, holder);
		ListCell   *lc;

		step = "finish";
		foreach(lc, pending)
		{
			moved = move_batch(&r, lfirst_oid(lc), batch_size);
			if (moved > 0)
			{
				step = "move";
				break;
			}
		}
		if (moved == 0)
			drop_holder(&r, holder, pending);
	}
	values[0] = CStringGetTextDatum(step);
	values[1] = Int64GetDatum(moved);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
