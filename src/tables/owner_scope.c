/*
 * owner_scope.c: run SQL on a user's table as PostgreSQL runs maintenance.
 *
 * Design: scanning a table can run its owner's code (casts of the key's type,
 * row-level security policies, and on UPDATE triggers, index expressions,
 * constraints and generated columns).  The caller may be a superuser and the
 * owner anyone, so, as VACUUM, ANALYZE, REINDEX and REFRESH MATERIALIZED VIEW
 * do, we first check the caller's right to do what is asked (and, since the
 * owner sees rows that row-level security may hide from the caller, refuse
 * a reader whom policies restrict), then switch to
 * the table's owner under SECURITY_RESTRICTED_OPERATION with search_path
 * pinned to pg_catalog, pg_temp (and the settings that change how values
 * print pinned to their defaults) for the scan, and switch back after it.  An
 * error anywhere is unwound by the (sub)transaction abort, which restores the
 * user, the security context and the GUC nest level.
 *
 * run_as_owner() is the one way the extension runs SQL on a user's table:
 * one statement, with parameters, its rows streamed to a callback as the
 * executor makes them (a DestReceiver, as PL/pgSQL's RETURN QUERY), inside
 * the sequence of vacuum_rel(): SetUserIdAndSecContext to the owner with
 * SECURITY_RESTRICTED_OPERATION, NewGUCNestLevel, search_path pinned
 * (RestrictSearchPath() on 17+), the statement, AtEOXact_GUC(false), which
 * also undoes any SET the statement's code made, and the caller's user back.
 * run_as_caller() is the same sequence for statements on the extension's own
 * tables, which run with the caller's own rights (GRANTs decide who may
 * write them).  call_as_owner() is the same sequence around work that is not
 * one statement (the re-shard's write guard, made by CreateTrigger() as the
 * table's owner).  All three go through call_as(), the only place that
 * changes the user.  Every failure of SPI is reported the same way, with
 * SPI_result_code_string.
 */
#include "postgres.h"

#include "compat.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "tables/tables.h"

/*
 * Each check below returns whether the caller passes it; when report is
 * true a failure is an error that says why, otherwise it only answers (for
 * table_readable(), which shard_overview filters with).
 */
#define REFUSE(report, ...) \
	do { if (report) ereport(ERROR, __VA_ARGS__); return false; } while (0)

/* "schema"."name" of an existing relation, for a hint. */
static char *
qualified_name_of(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
}

/* Only tables hold rows we can route: refuse views and everything else. */
static bool
scannable(Oid relid, bool report)
{
	char		relkind = get_rel_relkind(relid);

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_FOREIGN_TABLE)
		REFUSE(report,
			   errcode(ERRCODE_WRONG_OBJECT_TYPE),
			   errmsg("\"%s\" is not a table", get_rel_name(relid)),
			   errhint("Name a table, a partitioned table or a foreign table."));
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP &&
		isOtherTempNamespace(get_rel_namespace(relid)))
		REFUSE(report,
			   errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			   errmsg("cannot access temporary tables of other sessions"));
	return true;
}

/* The caller may look into the table's schema, as a query naming it would need. */
static bool
schema_usage(Oid relid, bool report)
{
	Oid			nsp = get_rel_namespace(relid);
	AclResult	acl = ds_namespace_aclcheck(nsp, GetUserId(), ACL_USAGE);

	if (acl != ACLCHECK_OK)
	{
		if (report)
			aclcheck_error(acl, OBJECT_SCHEMA, get_namespace_name(nsp));
		return false;
	}
	return true;
}

/* SELECT to read a table, ownership (or membership in its owner) to move its rows. */
static bool
table_right(Oid relid, TableRight right, bool report)
{
	AclResult	acl = right == TABLE_READ ? pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) :
		ds_owns_relation(relid, GetUserId()) ? ACLCHECK_OK : ACLCHECK_NOT_OWNER;

	if (acl != ACLCHECK_OK)
	{
		if (report)
			aclcheck_error(acl, OBJECT_TABLE, get_rel_name(relid));
		return false;
	}
	return true;
}

/* The user mapping a query of user's would use on the server (theirs, else PUBLIC's), or InvalidOid. */
static Oid
mapping_of(Oid user, Oid serverid)
{
	HeapTuple	tuple = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(user), ObjectIdGetDatum(serverid));
	Oid			umid;

	if (!HeapTupleIsValid(tuple))
		tuple = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid), ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	umid = ((Form_pg_user_mapping) GETSTRUCT(tuple))->oid;
	ReleaseSysCache(tuple);
	return umid;
}

/* Two user mappings with the same options (in any order): they log in alike. */
static bool
same_mapping_options(Oid user1, Oid user2, Oid serverid)
{
	List	   *a = GetUserMapping(user1, serverid)->options;
	List	   *b = GetUserMapping(user2, serverid)->options;
	ListCell   *la,
			   *lb;

	if (list_length(a) != list_length(b))
		return false;
	foreach(la, a)
	{
		DefElem    *da = lfirst_node(DefElem, la);
		bool		found = false;

		foreach(lb, b)
		{
			DefElem    *db = lfirst_node(DefElem, lb);

			if (strcmp(da->defname, db->defname) == 0 && strcmp(defGetString(da), defGetString(db)) == 0)
				found = true;
		}
		if (!found)
			return false;
	}
	return true;
}

/*
 * The owner's scan reaches foreign tables through the owner's user mappings
 * (its credentials on the remote server), which may see more remote rows
 * than the caller's own: counts and sample keys read that way would tell
 * the caller about rows they can never read.  So a caller other than the
 * owner (and superusers) must have a user mapping of their own (or PUBLIC's)
 * for each foreign table's server, and it must be the owner's mapping or
 * one with the same options: the caller then reads the remote rows as the
 * owner does.  Anything else is refused (and left out of shard_overview).
 */
static bool
foreign_access(Oid relid, bool report)
{
	Oid			caller = GetUserId();
	Oid			owner = ds_relation_owner(relid);
	ListCell   *lc;

	foreach(lc, find_all_inheritors(relid, NoLock, NULL))
	{
		Oid			leaf = lfirst_oid(lc);
		ForeignServer *server;
		Oid			theirs,
					owners;

		if (get_rel_relkind(leaf) != RELKIND_FOREIGN_TABLE)
			continue;
		server = GetForeignServer(GetForeignTable(leaf)->serverid);
		theirs = mapping_of(caller, server->serverid);
		if (!OidIsValid(theirs))
			REFUSE(report,
				   errcode(ERRCODE_UNDEFINED_OBJECT),
				   errmsg("user mapping not found for user \"%s\", server \"%s\"",
						  GetUserNameFromId(caller, false), server->servername),
				   errdetail("Table \"%s\" is a foreign table on that server.", get_rel_name(leaf)),
				   errhint("Create a user mapping for yourself on server \"%s\", as reading the table yourself would need.",
						   server->servername));
		if (caller == owner || superuser_arg(caller))
			continue;
		owners = mapping_of(owner, server->serverid);
		if (!OidIsValid(owners) || theirs == owners || same_mapping_options(caller, owner, server->serverid))
			continue;			/* the owner without a mapping: the scan fails on its own */
		REFUSE(report,
			   errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			   errmsg("your user mapping for server \"%s\" is not the one the owner of table \"%s\" reads it with",
					  server->servername, get_rel_name(leaf)),
			   errdetail("dakera_shard reads a table as its owner, through the owner's user mapping, which may see remote rows that yours does not."),
			   errhint("Ask the owner \"%s\" to run it, or use a user mapping with the same options as the owner's.",
					   GetUserNameFromId(owner, false)));
	}
	return true;
}

/*
 * Row-level security: the owner sees every row unless the table forces its
 * policies on its owner too.  Refuse a caller whom policies restrict (the
 * owner would count rows hidden from them), and any scan the policies would
 * restrict for the owner (it would be silently incomplete).
 */
static bool
row_security_allows(Oid relid, Oid owner, bool report)
{
	if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		REFUSE(report,
			   errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			   errmsg("row-level security hides rows of table \"%s\" from you", get_rel_name(relid)),
			   errdetail("Measuring counts every row of the table, including rows its policies do not show you."),
			   errhint("Ask the table's owner, or a role that bypasses row-level security, to run it."));
	if (check_enable_rls(relid, owner, true) == RLS_ENABLED)
		REFUSE(report,
			   errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			   errmsg("table \"%s\" forces row-level security on its owner", get_rel_name(relid)),
			   errdetail("dakera_shard reads and moves rows as the table's owner; its policies would hide some of them, and the work would be incomplete."),
			   errhint("Run ALTER TABLE ... NO FORCE ROW LEVEL SECURITY for the time of the work, then FORCE it again."));
	return true;
}

/*
 * The scan runs as the table's owner, so the owner's own rights decide
 * whether it can run: an owner may have revoked its own SELECT (or UPDATE)
 * on the table, or its USAGE on the table's schema.  Checked here, before
 * anything runs, so that the caller gets a refusal that says what to do
 * rather than "permission denied" from inside the scan, and so that a
 * listing can leave such a table out (with a NOTICE: unlike a caller's
 * missing right, this is one tenant's table that nobody can measure).
 */
static bool
owner_may(Oid relid, TableRight right, bool report)
{
	Oid			owner = ds_relation_owner(relid);
	Oid			nsp = get_rel_namespace(relid);
	const char *owner_name = GetUserNameFromId(owner, false);
	static const struct
	{
		AclMode		mode;
		const char *name;
	}			rights[] = {{ACL_SELECT, "SELECT"}, {ACL_UPDATE, "UPDATE"}};

	if (ds_namespace_aclcheck(nsp, owner, ACL_USAGE) != ACLCHECK_OK)
	{
		if (!report)
			ereport(NOTICE,
					errmsg("table %s is left out: its owner \"%s\" may not use its schema \"%s\"",
						   qualified_name_of(relid), owner_name, get_namespace_name(nsp)),
					errhint("dakera_shard reads a table as its owner; GRANT USAGE ON SCHEMA %s TO %s brings it back.",
							quote_identifier(get_namespace_name(nsp)), quote_identifier(owner_name)));
		REFUSE(report,
			   errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			   errmsg("the owner \"%s\" of table %s may not use its schema \"%s\"",
					  owner_name, qualified_name_of(relid), get_namespace_name(nsp)),
			   errdetail("dakera_shard reads and moves a table's rows as its owner, with the owner's rights."),
			   errhint("Run GRANT USAGE ON SCHEMA %s TO %s (as the schema's owner), or give the table an owner that may use its schema.",
					   quote_identifier(get_namespace_name(nsp)), quote_identifier(owner_name)));
	}
	for (int i = 0; i < (right == TABLE_READ ? 1 : 2); i++)
	{
		if (pg_class_aclcheck(relid, owner, rights[i].mode) == ACLCHECK_OK)
			continue;
		if (!report)
			ereport(NOTICE,
					errmsg("table %s is left out: its owner \"%s\" has no %s privilege on it",
						   qualified_name_of(relid), owner_name, rights[i].name),
					errhint("dakera_shard reads a table as its owner; GRANT %s ON %s TO %s brings it back.",
							rights[i].name, qualified_name_of(relid), quote_identifier(owner_name)));
		REFUSE(report,
			   errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			   errmsg("the owner \"%s\" of table %s has no %s privilege on it",
					  owner_name, qualified_name_of(relid), rights[i].name),
			   errdetail("dakera_shard reads and moves a table's rows as its owner, with the owner's rights."),
			   errhint("Run GRANT %s ON %s TO %s (as the table's owner).",
					   rights[i].name, qualified_name_of(relid), quote_identifier(owner_name)));
	}
	return true;
}

/* Every check, in the order a refusal is most useful in. */
static bool
caller_may(Oid relid, TableRight right, bool report)
{
	if (!scannable(relid, report) || !schema_usage(relid, report) || !table_right(relid, right, report))
		return false;
	if (right == TABLE_ALTER)
		return true;			/* no row is read: row access is not in question */
	return foreign_access(relid, report) && owner_may(relid, right, report) &&
		row_security_allows(relid, ds_relation_owner(relid), report);
}

/*
 * A listing reads the catalog rows of tables that other sessions may be
 * creating, altering or dropping at that moment; a table dropped between two
 * catalog reads fails the second ("relation with OID ... does not exist",
 * "cache lookup failed for attribute ...").  So a listing locks each table
 * it is about to read, ACCESS SHARE as a query would and without waiting
 * (only ACCESS EXCLUSIVE conflicts: DROP, most ALTER TABLE, TRUNCATE, LOCK
 * TABLE), then checks that it still exists: once the lock is granted the
 * catalog is current for it and stays so until the end of the transaction.
 * LISTED_GONE: it was dropped (nothing to list); LISTED_BUSY: another
 * session holds it (the listing leaves it out with a NOTICE, never waits).
 */
ListedLock
ds_lock_listed(Oid relid)
{
	if (!ConditionalLockRelationOid(relid, AccessShareLock))
		return SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)) ? LISTED_BUSY : LISTED_GONE;
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
	{
		UnlockRelationOid(relid, AccessShareLock);
		return LISTED_GONE;
	}
	return LISTED_HELD;
}

/*
 * table_readable(rel): whether the caller may measure the table, without
 * an error when not (shard_overview leaves such tables out).
 */
PG_FUNCTION_INFO_V1(table_readable);
Datum
table_readable(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);

	/* under shard_overview, sharded_tables() already holds the table */
	if (ds_lock_listed(relid) == LISTED_GONE)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(caller_may(relid, TABLE_READ, false));
}

/*
 * Settings that change how values print, and so the text of a key routed as
 * text: pinned to PostgreSQL's defaults for the statement, so that the text a
 * batch ends on reads back as the same key, and a key's text is the same
 * whoever runs the scan.  search_path is pinned first, by
 * ds_restrict_search_path() (compat.h).
 */
static const char *const pinned_settings[][2] = {
	{"row_security", "on"},
	{"extra_float_digits", "1"},
	{"bytea_output", "hex"},
	{"DateStyle", "ISO, MDY"},
	{"IntervalStyle", "postgres"},
	{"TimeZone", "UTC"},
};

/* The caller's right to what is asked of relid, or the error that says why not. */
void
check_table_right(Oid relid, TableRight right)
{
	(void) caller_may(relid, right, true);
}

/* Where a statement's rows go: each to the statement's callback. */
typedef struct RowReceiver
{
	DestReceiver pub;
	const ScopedStatement *stmt;
} RowReceiver;

static bool
receive_row(TupleTableSlot *slot, DestReceiver *self)
{
	const ScopedStatement *stmt = ((RowReceiver *) self)->stmt;

	slot_getallattrs(slot);
	stmt->on_row(stmt->arg, slot->tts_tupleDescriptor, slot->tts_values, slot->tts_isnull);
	return true;
}

static void
receiver_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
receiver_shutdown(DestReceiver *self)
{
}

/* The one report of a failed SPI call: what failed, SPI's code, the statement. */
static void
report_spi_failure(const char *step, int code, const ScopedStatement *stmt)
{
	ereport(ERROR,
			errcode(ERRCODE_INTERNAL_ERROR),
			errmsg("dakera_shard could not %s a statement: %s", step, SPI_result_code_string(code)),
			errdetail_internal("The statement was: %s", stmt->sql),
			errhint("This is a bug in dakera_shard; please report it with the statement."));
}

/* Run the statement through SPI, its rows to its callback; returns the rows it processed. */
static uint64
execute(const ScopedStatement *stmt, bool read_only)
{
	RowReceiver receiver;
	SPIExecuteOptions options;
	SPIPlanPtr	plan;
	int			code;
	uint64		processed;

	if ((code = SPI_connect()) != SPI_OK_CONNECT)
		report_spi_failure("connect to SPI for", code, stmt);
	plan = SPI_prepare(stmt->sql, stmt->nargs, (Oid *) stmt->types);
	if (plan == NULL)
		report_spi_failure("prepare", SPI_result, stmt);
	memset(&options, 0, sizeof(options));
	options.read_only = read_only;
	if (stmt->nargs > 0)
	{
		options.params = makeParamList(stmt->nargs);
		for (int i = 0; i < stmt->nargs; i++)
		{
			ParamExternData *param = &options.params->params[i];

			param->value = stmt->values[i];
			param->isnull = stmt->nulls != NULL && stmt->nulls[i];
			param->pflags = PARAM_FLAG_CONST;
			param->ptype = stmt->types[i];
		}
	}
	if (stmt->on_row != NULL)
	{
		/* DestTuplestore, as PL/pgSQL's RETURN QUERY: SPI sends the rows here and keeps none */
		memset(&receiver, 0, sizeof(receiver));
		receiver.pub.receiveSlot = receive_row;
		receiver.pub.rStartup = receiver_startup;
		receiver.pub.rShutdown = receiver_shutdown;
		receiver.pub.rDestroy = receiver_shutdown;
		receiver.pub.mydest = DestTuplestore;
		receiver.stmt = stmt;
		options.dest = &receiver.pub;
	}
	else
		options.dest = None_Receiver;
	if ((code = SPI_execute_plan_extended(plan, &options)) < 0)
		report_spi_failure("run", code, stmt);
	processed = SPI_processed;
	if ((code = SPI_finish()) != SPI_OK_FINISH)
		report_spi_failure("finish", code, stmt);
	return processed;
}

/*
 * Run call(arg) as user, security-restricted, with the settings pinned;
 * restore the caller's user, security context and settings after it (an
 * error is unwound by the (sub)transaction abort, which restores the same).
 * The one place that changes the user for a table's owner.
 */
static void
call_as(Oid user, ScopedCall call, void *arg)
{
	Oid			saved_user;
	int			saved_sec_context;
	int			nest_level;

	GetUserIdAndSecContext(&saved_user, &saved_sec_context);
	SetUserIdAndSecContext(user, saved_sec_context | SECURITY_RESTRICTED_OPERATION);
	nest_level = NewGUCNestLevel();
	ds_restrict_search_path();
	for (int i = 0; i < (int) lengthof(pinned_settings); i++)
		(void) set_config_option(pinned_settings[i][0], pinned_settings[i][1], PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	call(arg);
	AtEOXact_GUC(false, nest_level);
	SetUserIdAndSecContext(saved_user, saved_sec_context);
}

/* One statement, run by call_as. */
typedef struct StatementCall
{
	const ScopedStatement *stmt;
	bool		read_only;
	uint64		processed;
} StatementCall;

static void
statement_call(void *arg)
{
	StatementCall *call = (StatementCall *) arg;

	call->processed = execute(call->stmt, call->read_only);
}

static uint64
execute_as(Oid user, const ScopedStatement *stmt, bool read_only)
{
	StatementCall call = {.stmt = stmt, .read_only = read_only};

	call_as(user, statement_call, &call);
	return call.processed;
}

/*
 * Run call(arg) as relid's owner in the same restricted scope, for work that
 * is not one statement (DDL through its C entry point).  The caller's right
 * is for the caller of this to check.
 */
void
call_as_owner(Oid relid, ScopedCall call, void *arg)
{
	call_as(ds_relation_owner(relid), call, arg);
}

/*
 * Check the caller's right, then run one statement on relid as its owner
 * (read-only when only reading).  Returns the rows it processed.
 */
uint64
run_as_owner(Oid relid, TableRight right, const ScopedStatement *stmt)
{
	check_table_right(relid, right);
	return execute_as(ds_relation_owner(relid), stmt, right == TABLE_READ);
}

/*
 * Run one statement on the extension's own tables as the caller, in the same
 * restricted scope: the tables' GRANTs decide what the caller may do.
 */
uint64
run_as_caller(const ScopedStatement *stmt)
{
	return execute_as(GetUserId(), stmt, false);
}

/* on_row: the first row, copied into FirstRow.cxt; later rows are ignored. */
void
keep_first_row(void *arg, TupleDesc desc, Datum *values, bool *nulls)
{
	FirstRow   *row = (FirstRow *) arg;
	MemoryContext old;

	if (row->found)
		return;
	Assert(desc->natts <= FIRST_ROW_MAX_COLUMNS);
	old = MemoryContextSwitchTo(row->cxt);
	for (int i = 0; i < desc->natts && i < FIRST_ROW_MAX_COLUMNS; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		row->nulls[i] = nulls[i];
		row->values[i] = nulls[i] ? (Datum) 0 : datumCopy(values[i], att->attbyval, att->attlen);
	}
	MemoryContextSwitchTo(old);
	row->found = true;
}

/* on_row: every row into the tuplestore of a materialized SRF (arg: its ReturnSetInfo). */
void
put_row(void *arg, TupleDesc desc, Datum *values, bool *nulls)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;

	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* The owner of a relation, from the syscache. */
Oid
ds_relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_TABLE),
				errmsg("relation with OID %u does not exist", relid));
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * Arguments of the C entry points that are not STRICT: every argument that
 * has no meaning as NULL is checked with ds_arg_required before it is read,
 * and a table argument with ds_relation_arg, which also refuses an OID that
 * names no relation (before anything looks up its name or schema).
 */
void
ds_arg_required(FunctionCallInfo fcinfo, int n, const char *function, const char *argname)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("%s of %s must not be NULL", argname, function),
				errhint("Only the arguments documented as optional may be NULL."));
}

Oid
ds_relation_arg(FunctionCallInfo fcinfo, int n, const char *function, const char *argname)
{
	Oid			relid;

	ds_arg_required(fcinfo, n, function, argname);
	relid = PG_GETARG_OID(n);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_TABLE),
				errmsg("relation with OID %u does not exist", relid),
				errhint("Name an existing table; it may have been dropped."));
	return relid;
}
