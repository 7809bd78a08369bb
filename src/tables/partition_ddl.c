/*
 * partition_ddl.c: create_shard_partitions' DDL, run as the parent's owner.
 *
 * Design: CREATE TABLE ... PARTITION OF copies the parent's indexes, and
 * PostgreSQL checks their expressions (and predicates) for mutability by
 * folding them: a function of the parent's owner in an index expression
 * would run as whoever creates the partition.  So, as for scans
 * (owner_scope.c), the caller's right is checked first (ownership of the
 * parent, as PostgreSQL itself requires for PARTITION OF) and the statement
 * runs as the parent's owner, security-restricted, with search_path pinned.
 * The statement is built here from quoted names and integers only: the
 * partition's name in the parent's schema, the bound (LIST: IN (shard);
 * HASH (id shard_ops): WITH (MODULUS n, REMAINDER shard)), and for a remote
 * shard the postgres_fdw server and the remote table of the same name.
 * probe also reads the new foreign table once (the caller rolls it back).
 */
#include "postgres.h"

#include "compat.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "tables/tables.h"

static char *
partition_ddl(Oid parent, const char *name, int32 shard, int32 modulus, const char *server)
{
	char	   *schema = get_namespace_name(get_rel_namespace(parent));
	char	   *qualified = quote_qualified_identifier(schema, name);
	char	   *parent_sql = quote_qualified_identifier(schema, get_rel_name(parent));
	char	   *bound = modulus > 0 ? psprintf("WITH (MODULUS %d, REMAINDER %d)", modulus, shard) :
		psprintf("IN (%d)", shard);

	if (server == NULL)
		return psprintf("CREATE TABLE %s PARTITION OF %s FOR VALUES %s", qualified, parent_sql, bound);
	return psprintf("CREATE FOREIGN TABLE %s PARTITION OF %s FOR VALUES %s SERVER %s "
					"OPTIONS (schema_name %s, table_name %s)",
					qualified, parent_sql, bound, quote_identifier(server),
					quote_literal_cstr(schema), quote_literal_cstr(name));
}

/* One statement as the parent's owner (owner_scope.c); the caller must own the parent. */
static void
run_ddl(Oid parent, const char *sql)
{
	ScopedStatement stmt = {.sql = sql};

	(void) run_as_owner(parent, TABLE_ALTER, &stmt);
}

/*
 * create_shard_partition(parent, name, shard, modulus, server, probe):
 * one partition of a table partitioned by shard; modulus 0 for LIST, server
 * NULL for a local table.  Returns the partition.
 */
PG_FUNCTION_INFO_V1(create_shard_partition);
Datum
create_shard_partition(PG_FUNCTION_ARGS)
{
	Oid			parent;
	char	   *name;
	int32		shard;
	int32		modulus;
	char	   *server;
	Oid			partition;

	/* only the server may be NULL (a local partition); the parent must exist before its names are read */
	parent = ds_relation_arg(fcinfo, 0, "create_shard_partition", "parent");
	ds_arg_required(fcinfo, 1, "create_shard_partition", "name");
	ds_arg_required(fcinfo, 2, "create_shard_partition", "shard");
	ds_arg_required(fcinfo, 3, "create_shard_partition", "modulus");
	ds_arg_required(fcinfo, 5, "create_shard_partition", "probe");
	name = NameStr(*PG_GETARG_NAME(1));
	shard = PG_GETARG_INT32(2);
	modulus = PG_GETARG_INT32(3);
	server = PG_ARGISNULL(4) ? NULL : NameStr(*PG_GETARG_NAME(4));

	if (shard < 0 || modulus < 0 || (modulus > 0 && shard >= modulus))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("shard %d does not fit modulus %d", shard, modulus),
				errhint("Use create_shard_partitions(), which computes both."));
	run_ddl(parent, partition_ddl(parent, name, shard, modulus, server));
	partition = get_relname_relid(name, get_rel_namespace(parent));
	if (server != NULL && PG_GETARG_BOOL(5))
		run_ddl(parent, psprintf("SELECT FROM %s LIMIT 1",
								 quote_qualified_identifier(get_namespace_name(get_rel_namespace(parent)), name)));
	PG_RETURN_OID(partition);
}
