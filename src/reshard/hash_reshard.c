/*
 * hash_reshard.c: re-sharding a table PARTITION BY HASH (id shard_ops).
 *
 * Design: such a table holds shard s in the partition of remainder s only
 * while the modulus is the server's shard count, and PostgreSQL refuses
 * partitions of moduli that do not divide each other (4 and 6), so a new
 * shard count needs new partitions.  The procedure swaps first and moves
 * after, so that the table keeps its identity (OID, grants, triggers,
 * policies, views and indexes on the parent) and new rows land in their new
 * partitions at once.  A ring that routes differently at the same shard
 * count (other virtual_nodes or strategy) leaves rows in partitions that no
 * longer take their shard: the same count is then laid out anew, the same
 * way, once shard_verify finds a stale row:
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
#include "postgres.h"

#include "compat.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_partitioned_table.h"
#include "catalog/pg_trigger.h"
#include "commands/comment.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "storage/ipc.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "extension.h"
#include "hashops/hashops.h"
#include "reshard/reshard.h"
#include "routing/routing.h"
#include "tables/tables.h"

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
	AttrNumber	key_attnum;
	int32		num_shards;
} HashReshard;

/* The insertable columns of relid, each after prefix (deparse.c). */
static char *
insertable_columns(Oid relid, const char *prefix)
{
	StringInfoData buf;

	initStringInfo(&buf);
	deparse_insertable_columns(&buf, relid, prefix);
	return buf.data;
}

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
					   r->rel_sql, name, NAMEDATALEN - 1),
				errhint("Rename the table to a shorter name first."));
	return name;
}

static bool layout_is_current(const HashReshard *r, List *partitions);

/* Are relid's partitions exactly the N of modulus N? */
static bool
hash_layout_matches(Oid relid, int32 num_shards)
{
	HashReshard r;

	memset(&r, 0, sizeof(r));
	r.relid = relid;
	r.num_shards = num_shards;
	return layout_is_current(&r, find_inheritance_children(relid, NoLock));
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

/*
 * How many rows of the table sit in a partition that does not take the shard
 * the server's ring gives them now (shard_verify, which scans as the table's
 * owner).  The layout can be the current one while rows are stale: the
 * recorded shape changed to one that routes differently at the same shard
 * count (other virtual_nodes or strategy).
 */
static int64
stale_rows(const HashReshard *r)
{
	ScopedStatement stmt = {0};
	FirstRow	row = FIRST_ROW_INIT;

	stmt.sql = psprintf("SELECT v.stale_rows FROM %s.shard_verify(%s::pg_catalog.regclass, %s::pg_catalog.name, "
						"NULL::pg_catalog.name) v",
						extension_schema_sql(), quote_literal_cstr(r->rel_sql),
						quote_literal_cstr(get_attname(r->relid, r->key_attnum, false)));
	stmt.on_row = keep_first_row;
	stmt.arg = &row;
	(void) run_as_caller(&stmt);
	return !row.found || row.nulls[0] ? 0 : DatumGetInt64(row.values[0]);
}

/*
 * Can the table hold no row at all?  Only when every leaf below it is a plain
 * table that has never had a block (or was truncated since): then no row of
 * it was placed under an old ring.  Anything else (a foreign partition, a
 * page that may hold live or in-progress rows) cannot be excluded.
 */
static bool
holds_no_rows(Oid relid)
{
	ListCell   *lc;

	foreach(lc, find_all_inheritors(relid, AccessShareLock, NULL))
	{
		Oid			leaf = lfirst_oid(lc);
		char		relkind = get_rel_relkind(leaf);
		Relation	rel;
		bool		empty;

		if (relkind == RELKIND_PARTITIONED_TABLE)
			continue;
		if (relkind != RELKIND_RELATION)
			return false;
		rel = table_open(leaf, NoLock);
		/* another session's temporary table: its pages may sit in that session's buffers */
		empty = !RELATION_IS_OTHER_TEMP(rel) && RelationGetNumberOfBlocks(rel) == 0;
		table_close(rel, NoLock);
		if (!empty)
			return false;
	}
	return true;
}

/* Only plain local partitions can be moved; say what to do otherwise. */
static void
check_movable(const HashReshard *r, Oid partition)
{
	char		relkind = get_rel_relkind(partition);

	if (relkind == RELKIND_RELATION && check_enable_rls(partition, r->owner, true) == RLS_ENABLED)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("cannot re-shard %s: partition %s forces row-level security on its owner",
					   r->rel_sql, qualified_relation(partition)),
				errdetail("Its rows are moved as the table's owner; its policies would hide some of them from the move. Nothing was changed."),
				errhint("Run ALTER TABLE %s NO FORCE ROW LEVEL SECURITY for the time of the re-shard, then FORCE it again.",
						qualified_relation(partition)));
	if (relkind == RELKIND_RELATION)
		return;
	ereport(ERROR,
			errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			errmsg("cannot re-shard %s: partition %s is a %s", r->rel_sql, qualified_relation(partition),
				   relkind == RELKIND_FOREIGN_TABLE ? "foreign table" : "partitioned table"),
			errdetail("reshard_hash_table moves the rows of plain local partitions only; nothing was changed."),
			errhint("Copy its rows into a local table, detach it, attach the local table with the same bound, and run reshard_hash_table again."));
}

/* The pending tables of a holder, each checked to be the table owner's. */
static List *
pending_tables(const HashReshard *r, Oid holder, LOCKMODE lockmode)
{
	List	   *children = find_inheritance_children(holder, lockmode);
	ListCell   *lc;

	foreach(lc, children)
		if (ds_relation_owner(lfirst_oid(lc)) != r->owner ||
			get_rel_relkind(lfirst_oid(lc)) != RELKIND_RELATION)
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					errmsg("table %s under %s is not a pending part of %s",
						   qualified_relation(lfirst_oid(lc)), r->holder_name, r->rel_sql),
					errhint("Remove it from the holding table (ALTER TABLE ... NO INHERIT) and run reshard_hash_table again."));
	return children;
}

/*
 * The comment that marks a holder: it names the table, never its OID, so
 * that a dump restored elsewhere (new OIDs) still finds its re-shard.
 */
static char *
holder_marker(const char *relname)
{
	return psprintf("dakera_shard: rows of table %s waiting to be re-sharded", quote_identifier(relname));
}

/*
 * Is holder the holding table of a re-shard of relid: in its schema, a plain
 * table of the same owner, carrying the marker, with the table's columns
 * (names and types, as CREATE TABLE ... LIKE made it)?
 */
static bool
is_holder_of(Oid relid, Oid holder)
{
	char	   *comment;
	HeapTuple	tuple;
	int			natts;
	int			columns = 0;

	if (get_rel_relkind(holder) != RELKIND_RELATION || get_rel_namespace(holder) != get_rel_namespace(relid) ||
		ds_relation_owner(holder) != ds_relation_owner(relid))
		return false;
	comment = GetComment(holder, RelationRelationId, 0);
	if (comment == NULL || strcmp(comment, holder_marker(get_rel_name(relid))) != 0)
		return false;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(holder));
	if (!HeapTupleIsValid(tuple))
		return false;
	natts = ((Form_pg_class) GETSTRUCT(tuple))->relnatts;
	ReleaseSysCache(tuple);
	for (AttrNumber a = 1; a <= natts; a++)
	{
		HeapTuple	att = SearchSysCache2(ATTNUM, ObjectIdGetDatum(holder), Int16GetDatum(a));
		Form_pg_attribute form;
		bool		same = true;

		if (!HeapTupleIsValid(att))
			continue;
		form = (Form_pg_attribute) GETSTRUCT(att);
		if (!form->attisdropped)
		{
			AttrNumber	match = get_attnum(relid, NameStr(form->attname));
			Oid			type;
			int32		typmod;
			Oid			collation;

			columns++;
			if (match == InvalidAttrNumber)
				same = false;
			else
			{
				get_atttypetypmodcoll(relid, match, &type, &typmod, &collation);
				same = type == form->atttypid && typmod == form->atttypmod;
			}
		}
		ReleaseSysCache(att);
		if (!same)
			return false;
	}
	return columns == list_length(user_column_names(relid));
}

/*
 * The holder of a re-shard under way, or InvalidOid; refuses a table of that
 * name that is not ours, and says how to keep whatever rows it holds.
 */
static Oid
find_holder(const HashReshard *r)
{
	Oid			holder = get_relname_relid(r->holder_name, r->nsp);

	if (!OidIsValid(holder))
		return InvalidOid;
	if (!is_holder_of(r->relid, holder))
		ereport(ERROR,
				errcode(ERRCODE_DUPLICATE_TABLE),
				errmsg("table %s.%s exists and is not a re-shard of %s under way",
					   r->nsp_sql, quote_identifier(r->holder_name), r->rel_sql),
				errdetail("A holding table carries the comment \"%s\", belongs to the table's owner and has the table's columns.",
						  holder_marker(r->relname)),
				errhint("Nothing was changed. Rename that table to keep its rows (ALTER TABLE %s.%s RENAME TO ...); if they are rows of %s, insert them back into it from the renamed table (INSERT INTO %s SELECT * FROM ...); then run reshard_hash_table again.",
						r->nsp_sql, quote_identifier(r->holder_name), r->rel_sql, r->rel_sql));
	return holder;
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

/*
 * How many rows rel holds, counted from its heap with the latest snapshot:
 * no trigger, rule or row-level security policy takes part, and the caller
 * holds a lock that keeps writers out, so the answer stays true until commit.
 */
static int64
rows_present(Oid relid)
{
	Relation	rel = table_open(relid, NoLock);
	Snapshot	snapshot;
	TableScanDesc scan;
	TupleTableSlot *slot;
	int64		n = 0;

	CommandCounterIncrement();	/* our own deletes, moves included */
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snapshot, 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		n++;
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, NoLock);
	return n;
}

/* What can keep rows in a pending table that a DELETE as its owner meets: for an error's detail. */
static char *
what_keeps_rows(const HashReshard *r, Oid pending)
{
	Relation	rel = table_open(pending, NoLock);
	StringInfoData buf;

	initStringInfo(&buf);
	if (check_enable_rls(pending, r->owner, true) == RLS_ENABLED)
		appendStringInfoString(&buf, " It forces row-level security on its owner, whose policies hide rows from the move.");
	if (rel->trigdesc != NULL)
		for (int i = 0; i < rel->trigdesc->numtriggers; i++)
		{
			Trigger    *t = &rel->trigdesc->triggers[i];

			if (t->tgenabled != TRIGGER_DISABLED && TRIGGER_FOR_ROW(t->tgtype) &&
				TRIGGER_FOR_BEFORE(t->tgtype) && TRIGGER_FOR_DELETE(t->tgtype))
				appendStringInfo(&buf, " Its BEFORE DELETE trigger \"%s\" may return NULL.", t->tgname);
		}
	if (rel->rd_rules != NULL)
		appendStringInfoString(&buf, " It has rules, which may rewrite the DELETE.");
	table_close(rel, NoLock);
	if (buf.len == 0)
		appendStringInfoString(&buf, " Something in the table stops a DELETE from reaching them.");
	return buf.data + 1;
}

/*
 * move: up to batch_size rows of one pending table (or of the holder
 * itself), deleted there and inserted through the parent, in one statement.
 * A trigger or rule that drops a row on its way in would lose it: a batch
 * that deletes more rows than it inserts is refused, and rolls back whole.
 */
static int64
move_batch(const HashReshard *r, Oid pending, int32 batch_size)
{
	char	   *pending_sql = psprintf("%s.%s", r->nsp_sql, quote_identifier(get_rel_name(pending)));
	char	   *sql;
	int64		counts[2];
	ScopedStatement stmt = {0};
	FirstRow	row = FIRST_ROW_INIT;

	sql = psprintf("WITH gone AS (DELETE FROM ONLY %1$s t WHERE t.ctid OPERATOR(pg_catalog.=) ANY "
				   "(ARRAY(SELECT c.ctid FROM ONLY %1$s c LIMIT %2$d)) RETURNING %3$s), "
				   "moved AS (INSERT INTO %4$s (%5$s) OVERRIDING SYSTEM VALUE SELECT %6$s FROM gone g RETURNING 1) "
				   "SELECT (SELECT pg_catalog.count(*) FROM gone), (SELECT pg_catalog.count(*) FROM moved)",
				   pending_sql, batch_size, insertable_columns(r->relid, "t."), r->rel_sql,
				   insertable_columns(r->relid, ""), insertable_columns(r->relid, "g."));
	stmt.sql = sql;
	stmt.on_row = keep_first_row;
	stmt.arg = &row;
	(void) run_as_owner(r->relid, TABLE_OWN, &stmt);
	for (int i = 0; i < 2; i++)
		counts[i] = !row.found || row.nulls[i] ? 0 : DatumGetInt64(row.values[i]);
	if (counts[0] != counts[1])
		ereport(ERROR,
				errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
				errmsg("a batch of reshard_hash_table deleted " INT64_FORMAT " rows from %s but inserted " INT64_FORMAT " into %s",
					   counts[0], qualified_relation(pending), counts[1], r->rel_sql),
				errdetail("A trigger or rule of %s dropped rows on their way in; the batch was rolled back and nothing was lost.",
						  r->rel_sql),
				errhint("Disable the BEFORE INSERT trigger that returns NULL (%s: ALTER TABLE ... DISABLE TRIGGER ...) for the time of the re-shard, then run CALL reshard_hash_table('%s') again.",
						insert_droppers(r->relid)[0] ? insert_droppers(r->relid) : "or the rule", r->rel_sql));
	return counts[1];
}

/* Rows that stay in a pending table, alone with us under our lock: stop, and drop nothing. */
static void
refuse_kept_rows(const HashReshard *r, Oid pending, int64 rows)
{
	ereport(ERROR,
			errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			errmsg("cannot finish re-sharding %s: %s still holds " INT64_FORMAT " rows that a move does not reach",
				   r->rel_sql, qualified_relation(pending), rows),
			errdetail("%s", what_keeps_rows(r, pending)),
			errhint("Nothing was dropped. Remove what keeps the rows (DROP or DISABLE the trigger, ALTER TABLE ... NO FORCE ROW LEVEL SECURITY), or move them yourself, then run CALL reshard_hash_table('%s') again.",
					r->rel_sql));
}

/*
 * finish: drop the pending tables and the holder, once proven empty.  The
 * holder and every pending table are locked ACCESS EXCLUSIVE first, so no
 * writer can put a row back before commit; each is then counted from its
 * heap (rows_present).  Rows still there (a concurrent writer kept them from
 * the last batch) are moved under the lock, and the run goes on; rows that
 * even then do not move stop the run with an error.  Returns the rows moved.
 */
static int64
finish(const HashReshard *r, Oid holder, int32 batch_size)
{
	List	   *sources;
	ListCell   *lc;

	LockRelationOid(holder, AccessExclusiveLock);
	sources = pending_tables(r, holder, AccessExclusiveLock);
	sources = lappend_oid(sources, holder);
	foreach(lc, sources)
	{
		Oid			source = lfirst_oid(lc);
		int64		rows = rows_present(source);
		int64		moved;

		if (rows == 0)
			continue;
		moved = move_batch(r, source, batch_size);
		if (moved > 0)
			return moved;
		refuse_kept_rows(r, source, rows);
	}
	foreach(lc, sources)
		if (lfirst_oid(lc) != holder)
			run_sql(r, psprintf("DROP TABLE %s.%s", r->nsp_sql, quote_identifier(get_rel_name(lfirst_oid(lc)))));
	run_sql(r, psprintf("DROP TABLE %s.%s", r->nsp_sql, quote_identifier(get_rel_name(holder))));
	return 0;
}

/*
 * Writes during a re-shard in mode block_writes.  While the CALL runs, its
 * session holds an EXCLUSIVE lock of the table across its commits (a
 * session lock, as CREATE INDEX CONCURRENTLY holds one): INSERT, UPDATE,
 * DELETE and TRUNCATE through the table wait, reads go on.  A writer that
 * waited takes its snapshot after the lock is granted (PostgreSQL takes
 * relation locks before the statement's snapshot), so it sees every row the
 * run moved.  PostgreSQL releases a session lock when a transaction of its
 * session aborts, so an interrupted run frees the table; a statement
 * trigger, made with the swap and dropped with the holder, then refuses
 * those writes until the run is resumed.  The session's own moves pass it.
 */
#define GUARD_TRIGGER "dakera_shard_reshard_guard"

static Oid	blocking_relid = InvalidOid;	/* the table our session lock holds */
static Oid	moving_relid = InvalidOid;	/* the table whose writes the guard lets through */
static bool callback_registered = false;

static void
reshard_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		blocking_relid = InvalidOid;	/* released with the transaction's locks */
	if (event != XACT_EVENT_PRE_COMMIT && event != XACT_EVENT_PARALLEL_PRE_COMMIT &&
		event != XACT_EVENT_PRE_PREPARE)
		moving_relid = InvalidOid;
}

static LockRelId
session_lock_id(Oid relid)
{
	LockRelId	id;

	id.relId = relid;
	id.dbId = MyDatabaseId;
	return id;
}

/*
 * A session that ends with the lock held (reshard_hash_step called on its
 * own, between two steps) releases it: PostgreSQL releases session locks at
 * a transaction's abort, not at a backend's exit, and a lock left in the
 * shared lock table would keep writers waiting for good and make the next
 * backend on this PGPROC fail with "lock ... is already held".
 */
static void
release_writes_at_exit(int code, Datum arg)
{
	if (OidIsValid(blocking_relid))
	{
		LockRelId	id = session_lock_id(blocking_relid);

		UnlockRelationIdForSession(&id, ExclusiveLock);
		blocking_relid = InvalidOid;
	}
}

static void
block_writes(Oid relid)
{
	static bool exit_callback = false;
	LockRelId	id = session_lock_id(relid);

	if (blocking_relid == relid)
		return;
	if (!exit_callback)
	{
		before_shmem_exit(release_writes_at_exit, (Datum) 0);
		exit_callback = true;
	}
	LockRelationIdForSession(&id, ExclusiveLock);
	blocking_relid = relid;
}

/* The run is over: writers wait for this transaction's commit, then go on. */
static void
release_writes(Oid relid)
{
	LockRelId	id = session_lock_id(relid);

	if (blocking_relid != relid)
		return;
	LockRelationOid(relid, ExclusiveLock);
	UnlockRelationIdForSession(&id, ExclusiveLock);
	blocking_relid = InvalidOid;
}

/*
 * The guard is recognised by what it is, never by its name alone: a trigger
 * of our reshard_write_guard(), BEFORE, FOR EACH STATEMENT, on INSERT,
 * UPDATE, DELETE and TRUNCATE, without arguments, columns or WHEN.  A user's
 * trigger that happens to be named dakera_shard_reshard_guard is not the
 * guard: taking it for one left writes unguarded after an interrupted run
 * (a write could miss a pending row), and the end of the run dropped it.
 */
#define GUARD_EVENTS (TRIGGER_TYPE_BEFORE | TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE | \
					  TRIGGER_TYPE_DELETE | TRIGGER_TYPE_TRUNCATE)

static Oid
guard_function(void)
{
	return LookupFuncName(list_make2(makeString("dakera_shard_internal"), makeString("reshard_write_guard")),
						  0, NULL, true);
}

static bool
is_guard(const Trigger *trigger, Oid function)
{
	return OidIsValid(function) && trigger->tgfoid == function && trigger->tgtype == GUARD_EVENTS &&
		trigger->tgnargs == 0 && trigger->tgnattr == 0 && trigger->tgqual == NULL &&
		!trigger->tgisinternal && !OidIsValid(trigger->tgconstraint);
}

/*
 * The name of the table's guard (NULL: none); *name_taken: whether a
 * trigger named dakera_shard_reshard_guard exists that is not the guard.
 */
static char *
find_guard(Oid relid, bool *name_taken)
{
	Relation	rel = table_open(relid, NoLock);
	Oid			function = guard_function();
	char	   *found = NULL;

	*name_taken = false;
	if (rel->trigdesc != NULL)
		for (int i = 0; i < rel->trigdesc->numtriggers; i++)
		{
			const Trigger *trigger = &rel->trigdesc->triggers[i];

			if (is_guard(trigger, function))
				found = pstrdup(trigger->tgname);
			else if (strcmp(trigger->tgname, GUARD_TRIGGER) == 0)
				*name_taken = true;
		}
	table_close(rel, NoLock);
	return found;
}

/* A re-shard that may need the guard refuses, before it changes anything, a table whose trigger has its name. */
static void
check_guard_name(const HashReshard *r)
{
	bool		name_taken;

	if (find_guard(r->relid, &name_taken) == NULL && name_taken)
		ereport(ERROR,
				errcode(ERRCODE_DUPLICATE_OBJECT),
				errmsg("table %s has a trigger named \"%s\" that is not dakera_shard's write guard",
					   qualified_relation(r->relid), GUARD_TRIGGER),
				errdetail("A re-shard in mode block_writes puts a trigger of that name on the table, to refuse writes while the run is interrupted."),
				errhint("Rename that trigger (ALTER TRIGGER %s ON %s RENAME TO ...), then run reshard_hash_table again; or re-shard with mode => 'online', which puts no guard.",
						GUARD_TRIGGER, qualified_relation(r->relid)));
}

/* Put the guard on the table, or take it away; a trigger that is not the guard is never dropped. */
static void
set_guard(const HashReshard *r, bool on)
{
	bool		name_taken;
	char	   *guard = find_guard(r->relid, &name_taken);

	if (on && guard == NULL)
	{
		check_guard_name(r);
		run_sql(r, psprintf("CREATE TRIGGER " GUARD_TRIGGER " BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s "
							"FOR EACH STATEMENT EXECUTE FUNCTION dakera_shard_internal.reshard_write_guard()",
							r->rel_sql));
	}
	else if (!on && guard != NULL)
		run_sql(r, psprintf("DROP TRIGGER %s ON %s", quote_identifier(guard), r->rel_sql));
}

/*
 * reshard_write_guard(): the statement trigger on a table whose re-shard in
 * mode block_writes is unfinished: lets the run's own moves through, and
 * refuses every other write, which could miss a row still pending.
 */
PG_FUNCTION_INFO_V1(reshard_write_guard);
Datum
reshard_write_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Oid			relid;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("reshard_write_guard() may only be called as a trigger"));
	relid = RelationGetRelid(trigdata->tg_relation);
	if (relid == moving_relid)
		return PointerGetDatum(NULL);
	if (!OidIsValid(reshard_pending_holder(relid)))
	{
		/* put by record_shard_ring(): the recorded shape changed, the rows did not move */
		const ServerRing *ring = checked_server_ring();
		int32		num_shards = (int32) ring->shape.num_shards;

		if (hash_layout_matches(relid, num_shards))
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					errmsg("table %s may hold rows placed under another ring than the recorded shape (%s)",
						   qualified_relation(relid), shape_describe(&ring->shape)),
					errdetail("The recorded shape changed to one that routes keys differently; a row placed under the old one may sit in a partition where a write by id now misses it: an UPDATE or DELETE would affect 0 rows, an INSERT would add a second row with the key."),
					errhint("Re-shard it first: CALL reshard_hash_table('%s'), which moves the stale rows (or, if none is stale, only removes this guard). Writes are refused until then; reads go on.",
							qualified_relation(relid)));
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("table %s is partitioned for another shard count than the recorded shape's %d shards",
					   qualified_relation(relid), num_shards),
				errdetail("Its rows are still in the partitions of the old shape, where a write by id now could miss its row: an UPDATE or DELETE would affect 0 rows, an INSERT would add a second row with the key."),
				errhint("Re-shard it first: CALL reshard_hash_table('%s'). Writes are refused until then; reads go on.",
						qualified_relation(relid)));
	}
	ereport(ERROR,
			errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			errmsg("table %s has rows waiting to be re-sharded", qualified_relation(relid)),
			errdetail("Its re-shard (mode block_writes) was interrupted; a write now could miss a row still pending in %s_reshard_pending.",
					  get_rel_name(relid)),
			errhint("Finish it with CALL reshard_hash_table('%s'); writes wait for it while it runs. To let writes through meanwhile, missing pending rows, resume it with mode => 'online'.",
					qualified_relation(relid)));
	PG_RETURN_NULL();
}

/* CREATE TRIGGER dakera_shard_reshard_guard on *arg (a relation OID), run by call_as_owner. */
static void
create_write_guard(void *arg)
{
	Oid			relid = *(Oid *) arg;
	CreateTrigStmt *stmt = makeNode(CreateTrigStmt);

	stmt->trigname = GUARD_TRIGGER;
	stmt->relation = makeRangeVar(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid), -1);
	stmt->funcname = list_make2(makeString("dakera_shard_internal"), makeString("reshard_write_guard"));
	stmt->row = false;
	stmt->timing = TRIGGER_TYPE_BEFORE;
	stmt->events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE | TRIGGER_TYPE_TRUNCATE;
	(void) CreateTrigger(stmt, NULL, relid, InvalidOid, InvalidOid, InvalidOid, InvalidOid,
						 InvalidOid, NULL, false, false);
}

/*
 * After the recorded shape changed (the trigger of shard_ring_record): every
 * HASH shard table (shard_ops, or a shard_key column's default class) that no
 * re-shard is under way for gets the write guard, made as its owner, when
 * its partitions are not those of the recorded count, or when ring_changed
 * (the record replaced routes differently: other virtual_nodes or strategy
 * at the same count, or it is unknown) and it may hold a row.  From now on
 * shard_ops routes by the new shape while the rows sit where the old one put
 * them, so a write by id could miss its row (an UPDATE or DELETE of 0 rows,
 * a second row with the key).  Nothing records under which ring a table's
 * rows were placed, so only a table whose leaves never had a page is known
 * to hold none; every other one is guarded, and reshard_hash_table finds
 * out (shard_verify) whether anything is stale.  Reads go on.
 * reshard_hash_table removes the guard (at the swap in mode online, at the
 * end in mode block_writes, at once when no row is stale).  A NOTICE names
 * each table.
 */
void
guard_stale_hash_tables(const Shape *recorded, bool ring_changed)
{
	int32		num_shards = (int32) recorded->num_shards;
	Relation	catalog = table_open(PartitionedRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(catalog, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	List	   *stale = NIL;
	ListCell   *lc;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_partitioned_table form = (Form_pg_partitioned_table) GETSTRUCT(tuple);
		RoutingKey	key;

		if (form->partstrat == PARTITION_STRATEGY_HASH && hash_partition_routing(form->partrelid, &key))
			stale = lappend_oid(stale, form->partrelid);
	}
	systable_endscan(scan);
	table_close(catalog, AccessShareLock);

	foreach(lc, stale)
	{
		Oid			relid = lfirst_oid(lc);
		HashReshard r;
		bool		name_taken;
		bool		laid_out = hash_layout_matches(relid, num_shards);

		if (OidIsValid(reshard_pending_holder(relid)))
			continue;
		/* at the new count already: stale only if the old ring routed differently and rows may exist */
		if (laid_out && (!ring_changed || holds_no_rows(relid)))
			continue;
		memset(&r, 0, sizeof(r));
		r.relid = relid;
		if (find_guard(relid, &name_taken) == NULL && name_taken)
		{
			ereport(WARNING,
					laid_out ?
					errmsg("table %s may hold rows placed under another ring than %s, and writes to it are not refused",
						   qualified_relation(relid), shape_describe(recorded)) :
					errmsg("table %s is partitioned for another shard count than %d, and writes to it are not refused",
						   qualified_relation(relid), num_shards),
					errdetail("Its trigger named \"%s\" is not dakera_shard's write guard, which would take that name; a write by id now could miss its row.",
							  GUARD_TRIGGER),
					errhint("Rename that trigger (ALTER TRIGGER %s ON %s RENAME TO ...), then CALL reshard_hash_table('%s').",
							GUARD_TRIGGER, qualified_relation(relid), qualified_relation(relid)));
			continue;
		}
		if (find_guard(relid, &name_taken) == NULL)
		{
			/* as the table's owner, security-restricted: the trigger belongs to the table */
			call_as_owner(relid, create_write_guard, &relid);
			CommandCounterIncrement();
		}
		ereport(NOTICE,
				laid_out ?
				errmsg("table %s may hold rows placed under another ring than %s: writes to it are refused until it is re-sharded",
					   qualified_relation(relid), shape_describe(recorded)) :
				errmsg("table %s is partitioned for another shard count than %d: writes to it are refused until it is re-sharded",
					   qualified_relation(relid), num_shards),
				errhint("CALL reshard_hash_table('%s') now.", qualified_relation(relid)));
	}
}

/* The holder of an unfinished re-shard of relid, or InvalidOid; never an error (for reports). */
Oid
reshard_pending_holder(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *name;
	Oid			holder;

	if (relname == NULL || get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE)
		return InvalidOid;
	name = psprintf("%s_reshard_pending", relname);
	if (strlen(name) >= NAMEDATALEN)
		return InvalidOid;
	holder = get_relname_relid(name, get_rel_namespace(relid));
	/*
	 * Only a plain table of the routed table's own owner, as find_holder
	 * demands: anyone who may create in the schema can plant a view or a
	 * table with that name and comment, and the reports read the holder as
	 * the routed table's owner.
	 */
	if (!OidIsValid(holder) || get_rel_relkind(holder) != RELKIND_RELATION ||
		ds_relation_owner(holder) != ds_relation_owner(relid))
		return InvalidOid;
	return is_holder_of(relid, holder) ? holder : InvalidOid;
}

/* The table to re-shard, checked to be partitioned by HASH (... shard_ops), and its names. */
static void
describe_reshard(HashReshard *r, Oid relid, int32 batch_size)
{
	RoutingKey	key;

	memset(r, 0, sizeof(HashReshard));
	r->relid = relid;
	if (!hash_partition_routing(r->relid, &key))
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("table %s is not partitioned by HASH (... shard_ops)", qualified_relation(r->relid)),
				errhint("Re-shard other tables with reshard_table()."));
	if (batch_size < 1)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("batch_size must be at least 1"));
	r->key_attnum = key.key_attnum;
	r->nsp = get_rel_namespace(r->relid);
	r->owner = ds_relation_owner(r->relid);
	r->relname = get_rel_name(r->relid);
	r->nsp_sql = pstrdup(quote_identifier(get_namespace_name(r->nsp)));
	r->rel_sql = psprintf("%s.%s", r->nsp_sql, quote_identifier(r->relname));
	r->holder_name = checked_name(r, "%s_reshard_pending", -1);
	r->marker = holder_marker(r->relname);
}

/*
 * A step with a holder: move one batch from the first pending table (or the
 * holder) that has rows; a round that moved nothing proves the pending
 * tables empty (or moves what a writer kept) and finishes.  Returns the rows
 * moved: 0 when finished.
 */
static int64
move_or_finish(const HashReshard *r, Oid holder, int32 batch_size, bool blocking)
{
	List	   *sources = lappend_oid(pending_tables(r, holder, NoLock), holder);
	ListCell   *lc;
	int64		moved = 0;

	set_guard(r, blocking);
	moving_relid = r->relid;
	foreach(lc, sources)
	{
		moved = move_batch(r, lfirst_oid(lc), batch_size);
		if (moved > 0)
			break;
	}
	if (moved == 0)
		moved = finish(r, holder, batch_size);
	moving_relid = InvalidOid;
	if (moved == 0)
		set_guard(r, false);
	return moved;
}

/*
 * reshard_hash_step(rel, batch_size, mode) -> (step text, moved bigint): one
 * transaction's worth of re-sharding: 'swap', 'move' (rows moved), 'finish'
 * or 'done' (nothing left to do).  mode: 'block_writes' or 'online'.
 */
PG_FUNCTION_INFO_V1(reshard_hash_step);
Datum
reshard_hash_step(PG_FUNCTION_ARGS)
{
	HashReshard r;
	int32		batch_size = PG_GETARG_INT32(1);
	char	   *mode = text_to_cstring(PG_GETARG_TEXT_PP(2));
	bool		blocking;
	Oid			holder;
	const char *step = "done";
	int64		moved = 0;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (strcmp(mode, "block_writes") != 0 && strcmp(mode, "online") != 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("unknown re-shard mode \"%s\"", mode),
				errhint("Use mode => 'block_writes' (the default: writes wait, none misses a pending row) or mode => 'online' (writes go on and may miss pending rows)."));
	blocking = strcmp(mode, "block_writes") == 0;
	describe_reshard(&r, PG_GETARG_OID(0), batch_size);

	if (!callback_registered)
	{
		RegisterXactCallback(reshard_xact_callback, NULL);
		callback_registered = true;
	}
	check_table_right(r.relid, TABLE_OWN);
	/* writers wait from here to the end of the run (block_writes); taken before any other lock */
	if (blocking)
		block_writes(r.relid);
	/* one re-shard of a table at a time, reads unhindered; the catalog is read after it */
	LockRelationOid(r.relid, ShareUpdateExclusiveLock);
	/* the server's ring must route as the recorded shape */
	r.num_shards = (int32) checked_server_ring()->shape.num_shards;
	holder = find_holder(&r);
	if (blocking)
		check_guard_name(&r);
	if (!OidIsValid(holder))
	{
		List	   *partitions = find_inheritance_children(r.relid, NoLock);

		/* a new layout for another count; the same layout anew when rows sit under another ring */
		if (!layout_is_current(&r, partitions) || stale_rows(&r) > 0)
		{
			swap_layout(&r, partitions);
			set_guard(&r, blocking);
			step = "swap";
		}
		else
			set_guard(&r, false);	/* a guard whose holder was dropped by hand */
	}
	else
	{
		moved = move_or_finish(&r, holder, batch_size, blocking);
		step = moved > 0 ? "move" : "finish";
	}
	if (strcmp(step, "finish") == 0 || strcmp(step, "done") == 0)
		release_writes(r.relid);
	values[0] = CStringGetTextDatum(step);
	values[1] = Int64GetDatum(moved);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
