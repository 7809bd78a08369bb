/*
 * copy_hint.c: a restore that would lose rows says what to do.
 *
 * Design: a plain pg_dump writes each partition's rows into that partition.
 * Restored into a server whose ring has another shape, a table partitioned
 * by shard (LIST (shard_for(id)) or HASH (id shard_ops)) refuses most of
 * them on its partition constraint, and PostgreSQL's error names only the
 * constraint.  A ProcessUtility hook recognises COPY ... FROM into a
 * partition of such a table (catalog only, before the COPY runs; nothing of
 * the table is evaluated) and, when that COPY fails on the partition
 * constraint, raises the same error with a hint naming the procedure
 * (docs/resharding.md: dump with --load-via-partition-root,
 * restore the schema, create_shard_partitions, then the data).  Every other
 * statement, and every other error, passes through untouched.  The hook is
 * installed when the library loads (preloaded: in every backend).
 */
#include "postgres.h"

#include "compat.h"

#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/elog.h"
#include "utils/lsyscache.h"

#include "tables/tables.h"

static ProcessUtility_hook_type prev_process_utility = NULL;

/* Whether relid is a partition (at any depth) of a table partitioned by shard. */
static bool
partition_of_sharded_table(Oid relid)
{
	List	   *ancestors;
	RoutingKey	key;

	if (!OidIsValid(relid) || !get_rel_relispartition(relid))
		return false;
	ancestors = get_partition_ancestors(relid);
	return ancestors != NIL && partition_routing(llast_oid(ancestors), &key);
}

static void
copy_hint_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				  ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	bool		watch = false;
	MemoryContext cxt = CurrentMemoryContext;

	if (IsA(parsetree, CopyStmt) && ((CopyStmt *) parsetree)->is_from && ((CopyStmt *) parsetree)->relation)
		watch = partition_of_sharded_table(RangeVarGetRelid(((CopyStmt *) parsetree)->relation, NoLock, true));

#define DS_NEXT_UTILITY() \
	(prev_process_utility ? prev_process_utility : standard_ProcessUtility) \
		(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc)

	if (!watch)
	{
		DS_NEXT_UTILITY();
		return;
	}
	PG_TRY();
	{
		DS_NEXT_UTILITY();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		/* the partition constraint: a check violation that names no constraint */
		if (edata->sqlerrcode != ERRCODE_CHECK_VIOLATION || edata->constraint_name != NULL || edata->hint != NULL)
			PG_RE_THROW();
		FlushErrorState();
		edata->hint = pstrdup("This table is partitioned by shard, and its rows were dumped from a server whose ring has "
							  "another shape. Restore through the partition root: pg_dump --load-via-partition-root, "
							  "restore the schema, run create_shard_partitions, then restore the data "
							  "(docs/resharding.md, \"Restoring a dump into a server of another shape\"); "
							  "a HASH (id shard_ops) table then needs "
							  "CALL reshard_hash_table.");
		ReThrowError(edata);
	}
	PG_END_TRY();
#undef DS_NEXT_UTILITY
}

void
install_copy_hint_hook(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = copy_hint_utility;
}
