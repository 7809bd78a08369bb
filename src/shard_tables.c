/*
 * shard_tables.c: how many shards a table's shard_for expression routes to.
 *
 * Design: the SQL helpers (create_shard_partitions, partition_info(regclass),
 * sharded_tables)
 * need the shard count of a table's routing, which is the server's for
 * shard_for(text) and the constant num_shards of the explicit form.  We read
 * it from the expression PostgreSQL stored (the partition key, or a generated
 * column's expression) rather than from its text, and recognise our
 * functions by their C symbol, so schema names and quoting play no part.
 */
#include "dakera_shard.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_proc.h"
#include "nodes/nodeFuncs.h"
#include "nodes/primnodes.h"
#include "optimizer/optimizer.h"
#include "partitioning/partdefs.h"
#include "rewrite/rewriteHandler.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

typedef enum ShardFunction
{
	NOT_SHARD_FOR,
	SHARD_FOR_SERVER,
	SHARD_FOR_EXPLICIT
} ShardFunction;

/* Which of our routing functions funcid is, by its C symbol and library. */
static ShardFunction
shard_function(Oid funcid)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	ShardFunction result = NOT_SHARD_FOR;
	bool		isnull;
	Datum		src,
				bin;

	if (!HeapTupleIsValid(tuple))
		return NOT_SHARD_FOR;
	src = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc, &isnull);
	bin = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_probin, &isnull);
	if (!isnull && strstr(TextDatumGetCString(bin), "dakera_shard") != NULL)
	{
		char	   *name = TextDatumGetCString(src);

		if (strcmp(name, "shard_for_server") == 0)
			result = SHARD_FOR_SERVER;
		else if (strcmp(name, "shard_for_explicit") == 0)
			result = SHARD_FOR_EXPLICIT;
	}
	ReleaseSysCache(tuple);
	return result;
}

/* Shard count of a routing expression, or -1 if it is not a call of shard_for. */
static int32
expression_shards(Node *expr, bool *server)
{
	FuncExpr   *call;

	*server = false;
	expr = strip_implicit_coercions(expr);
	if (expr == NULL || !IsA(expr, FuncExpr))
		return -1;
	call = (FuncExpr *) expr;
	switch (shard_function(call->funcid))
	{
		case SHARD_FOR_SERVER:
			*server = true;
			return (int32) server_ring()->shape.num_shards;
		case SHARD_FOR_EXPLICIT:
			{
				Node	   *n = list_length(call->args) >= 2 ? lsecond(call->args) : NULL;

				if (n != NULL && IsA(n, Const) && !((Const *) n)->constisnull)
					return DatumGetInt32(((Const *) n)->constvalue);
				return -1;
			}
		default:
			return -1;
	}
}

static Node *
partition_key_expression(Relation rel)
{
	PartitionKey key;

	if (rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		return NULL;
	key = RelationGetPartitionKey(rel);
	if (key->strategy != PARTITION_STRATEGY_LIST || key->partnatts != 1 || key->partattrs[0] != 0)
		return NULL;
	return (Node *) linitial(key->partexprs);
}

static Node *
generated_column_expression(Relation rel, const char *column)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), column);
	Node	   *expr;

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_COLUMN),
				errmsg("column \"%s\" of relation \"%s\" does not exist",
					   column, RelationGetRelationName(rel)));
	if (TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attgenerated != ATTRIBUTE_GENERATED_STORED)
		return NULL;
	expr = build_column_default(rel, attnum);
	return expr ? eval_const_expressions(NULL, expr) : NULL;
}

/*
 * shard_key_info(rel regclass, shard_column name DEFAULT NULL): for the
 * table's partition key (no column) or the column's generation expression,
 * when it is a call of shard_for, the shard count it routes to and whether it
 * routes by the server's ring; no row otherwise.
 */
PG_FUNCTION_INFO_V1(shard_key_info);
Datum
shard_key_info(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel = relation_open(relid, AccessShareLock);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Node	   *expr;
	int32		shards;
	bool		server;

	if (PG_ARGISNULL(1))
		expr = partition_key_expression(rel);
	else
		expr = generated_column_expression(rel, NameStr(*PG_GETARG_NAME(1)));
	shards = expression_shards(expr, &server);
	relation_close(rel, AccessShareLock);
	InitMaterializedSRF(fcinfo, 0);
	if (shards >= 0)
	{
		Datum		values[2] = {Int32GetDatum(shards), BoolGetDatum(server)};
		bool		nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
