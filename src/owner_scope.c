/*
 * owner_scope.c: run a scan of a user's table as PostgreSQL runs maintenance.
 *
 * Design: scanning a table can run its owner's code (casts of the key's type,
 * row-level security policies, and on UPDATE triggers, index expressions,
 * constraints and generated columns).  The caller may be a superuser and the
 * owner anyone, so, as VACUUM, ANALYZE, REINDEX and REFRESH MATERIALIZED VIEW
 * do, we first check the caller's right to do what is asked (and, since the
 * owner sees rows that row-level security may hide from the caller, refuse
 * a reader whom policies restrict), then switch to
 * the table's owner under SECURITY_RESTRICTED_OPERATION with search_path
 * pinned to pg_catalog, pg_temp for the scan, and switch back after it.  An
 * error anywhere is unwound by the (sub)transaction abort, which restores the
 * user, the security context and the GUC nest level.
 */
#include "dakera_shard.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "owner_scope.h"

/* Only tables hold rows we can route: refuse views and everything else. */
static void
check_scannable(Oid relid)
{
	char		relkind = get_rel_relkind(relid);

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("\"%s\" is not a table", get_rel_name(relid)),
				errhint("Name a table, a partitioned table or a foreign table."));
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP &&
		isOtherTempNamespace(get_rel_namespace(relid)))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("cannot access temporary tables of other sessions"));
}

/* The caller's right: SELECT to read a table, ownership to change its rows' places. */
static void
check_caller_right(Oid relid, TableRight right)
{
	if (right == TABLE_READ)
	{
		AclResult	acl = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);

		if (acl != ACLCHECK_OK)
			aclcheck_error(acl, OBJECT_TABLE, get_rel_name(relid));
		/* the owner sees every row: refuse where policies hide some from the caller */
		if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
			ereport(ERROR,
					errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					errmsg("row-level security hides rows of table \"%s\" from you", get_rel_name(relid)),
					errdetail("Measuring counts every row of the table, including rows its policies do not show you."),
					errhint("Ask the table's owner, or a role that bypasses row-level security, to run it."));
	}
	else if (!ds_owns_relation(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
}

/* Check the caller, then become the table's owner, security-restricted. */
void
owner_scope_enter(OwnerScope *scope, Oid relid, TableRight right)
{
	Oid			owner;

	check_scannable(relid);
	check_caller_right(relid, right);
	owner = ds_relation_owner(relid);
	GetUserIdAndSecContext(&scope->saved_user, &scope->saved_sec_context);
	SetUserIdAndSecContext(owner, scope->saved_sec_context | SECURITY_RESTRICTED_OPERATION);
	scope->nest_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

void
owner_scope_exit(OwnerScope *scope)
{
	AtEOXact_GUC(false, scope->nest_level);
	SetUserIdAndSecContext(scope->saved_user, scope->saved_sec_context);
}

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
