/*
 * table_route.c: how one table's rows are judged, from the catalog.
 *
 * Design: every function that scans a table (partition_info(rel),
 * shard_verify, reshard_table, reshard_plan(rel)) first resolves the table's
 * routing from the catalog (routing_key.c) into a TableRoute of OIDs and
 * attribute numbers (the key type's own btree operators among them, so that
 * ordering, equality and "after the last key" agree for any key type, citext
 * included); deparse.c writes the query from those recognised parts only.
 *
 * A table is judged by its own routing: a generated column by its own
 * expression (the explicit form's shape included), a table partitioned by
 * shard by where its partitions are, and a plain shard column by the server's
 * ring.  A row whose key is NULL has no shard: it is never stale and never
 * moved.  A row of a table partitioned by shard is in place when the
 * top-level partition that holds it (through any sub-partitions) is the one
 * that takes its shard now, or the DEFAULT partition when none takes it.
 */
#include "postgres.h"

#include "compat.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "extension.h"
#include "hashops/hashops.h"
#include "routing/routing.h"
#include "tables/tables.h"

/* Number of attributes of a relation, dropped ones included. */
static int
relation_natts(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	int			natts;

	if (!HeapTupleIsValid(tuple))
		return 0;
	natts = ((Form_pg_class) GETSTRUCT(tuple))->relnatts;
	ReleaseSysCache(tuple);
	return natts;
}

/* A user column by name, or the error that says it is not there. */
AttrNumber
user_column(Oid relid, const char *column)
{
	AttrNumber	attnum = get_attnum(relid, column);

	if (attnum <= 0)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_COLUMN),
				errmsg("column \"%s\" of relation \"%s\" does not exist", column, get_rel_name(relid)),
				attnum < 0 ? errhint("System columns hold no shard ids.") : 0);
	return attnum;
}

/* The key type's btree operators, or the error that says batches cannot walk it. */
static void
key_operators(TableRoute *route)
{
	TypeCacheEntry *type = lookup_type_cache(route->key_type,
											 TYPECACHE_EQ_OPR | TYPECACHE_LT_OPR | TYPECACHE_GT_OPR);

	if (!OidIsValid(type->eq_opr) || !OidIsValid(type->lt_opr) || !OidIsValid(type->gt_opr))
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_FUNCTION),
				errmsg("key type %s has no default btree operator class", format_type_be(route->key_type)),
				errhint("Re-sharding walks the key in order: use a key column whose type can be sorted."));
	route->eq_opr = type->eq_opr;
	route->lt_opr = type->lt_opr;
	route->gt_opr = type->gt_opr;
}

static void
set_key(TableRoute *route, AttrNumber attnum)
{
	Oid			collation;

	route->key_attnum = attnum;
	get_atttypetypmodcoll(route->relid, attnum, &route->key_type, &route->key_typmod, &collation);
	route->key_name = get_attname(route->relid, attnum, false);
}

/* The routed key must be the key the caller names, when the caller names one. */
static void
check_key_column(const TableRoute *route, const char *key_column)
{
	if (key_column != NULL && strcmp(key_column, route->key_name) != 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("table %s routes by column \"%s\", not \"%s\"",
					   qualified_relation(route->relid), route->key_name, key_column),
				errhint("Name the column that its shard_for expression reads."));
}

/* The only generated column of relid that our routing fills; error unless exactly one. */
static AttrNumber
only_routed_column(Oid relid, RoutingKey *key)
{
	int			natts = relation_natts(relid);
	int			found = 0;
	AttrNumber	result = InvalidAttrNumber;
	RoutingKey	candidate;

	for (AttrNumber a = 1; a <= natts; a++)
		if (column_routing(relid, a, &candidate))
		{
			found++;
			result = a;
			*key = candidate;
		}
	if (found != 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("cannot tell which column of %s holds its shard ids", qualified_relation(relid)),
				errdetail("The table has %d generated columns that call shard_for and is not partitioned by shard_for.", found),
				errhint("Name the column: partition_info(rel, 'shard_id')."));
	return result;
}

/* A plain column of shard ids must be able to hold one: an integer column. */
static void
check_plain_shard_column(const TableRoute *route)
{
	Oid			type = getBaseType(get_atttype(route->relid, route->shard_attnum));
	char	   *name = get_attname(route->relid, route->shard_attnum, false);

	if (type != INT2OID && type != INT4OID && type != INT8OID)
		ereport(ERROR,
				errcode(ERRCODE_DATATYPE_MISMATCH),
				errmsg("column \"%s\" of %s is of type %s, not an integer type that can hold shard ids",
					   name, qualified_relation(route->relid), format_type_be(type)),
				errhint("Name the column that holds shard ids (smallint, integer or bigint)."));
}

/* Only the key of relid, for a scan that routes it by the server's ring and another shape. */
void
resolve_table_key(TableRoute *route, Oid relid, const char *key_column)
{
	memset(route, 0, sizeof(TableRoute));
	route->relid = relid;
	set_key(route, user_column(relid, key_column));
}

/* Whether type is the extension's own type named name (shard_key, shard_uuid). */
static bool
is_extension_type(Oid type, const char *name)
{
	Oid			schema = extension_schema();

	return OidIsValid(schema) &&
		type == GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum(name), ObjectIdGetDatum(schema));
}

/*
 * A table whose rows route by the default hash of their shard_key or
 * shard_uuid column (a Citus table distributed by it: each row is in the
 * Citus shard whose interval holds the engine's shard of its key): its shard
 * is shard_for(key) of the server's ring, which only measuring (shard_rows)
 * computes.  The column must be of one of those types.
 */
void
resolve_key_type_route(TableRoute *route, Oid relid, const char *key_column)
{
	resolve_table_key(route, relid, key_column);
	if (!is_extension_type(route->key_type, "shard_key") && !is_extension_type(route->key_type, "shard_uuid"))
		ereport(ERROR,
				errcode(ERRCODE_DATATYPE_MISMATCH),
				errmsg("column \"%s\" of %s has type %s, not shard_key or shard_uuid",
					   route->key_name, qualified_relation(relid), format_type_be(route->key_type)),
				errhint("Only a shard_key or shard_uuid column routes its rows by its type's hash."));
	route->kind = ROUTE_BY_KEY_TYPE;
	route->num_shards = (int32) server_shape().num_shards;
	route->server_ring = true;
	key_operators(route);
}

/*
 * Resolve how relid's rows are judged.  shard_column NULL: its partition key
 * (or, when allow_generated, its one generated routed column); otherwise that
 * column: generated by our routing, or plain (judged by the server's ring on
 * key_column).  key_column, when given, must be the routed key.
 */
void
resolve_table_route(TableRoute *route, Oid relid, const char *key_column,
					const char *shard_column, bool allow_generated)
{
	memset(route, 0, sizeof(TableRoute));
	route->relid = relid;
	if (shard_column == NULL && partition_routing(relid, &route->key))
		route->kind = ROUTE_BY_PARTITION;
	else if (shard_column == NULL && allow_generated)
	{
		route->shard_attnum = only_routed_column(relid, &route->key);
		route->kind = ROUTE_BY_GENERATED;
	}
	else if (shard_column == NULL)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("table %s has no shard column to check", qualified_relation(relid)),
				errhint("Name the column that holds shard ids, or use a table partitioned by LIST (shard_for(...))."));
	else
	{
		route->shard_attnum = user_column(relid, shard_column);
		route->kind = column_routing(relid, route->shard_attnum, &route->key) ?
			ROUTE_BY_GENERATED : ROUTE_BY_PLAIN_COLUMN;
	}

	if (route->kind == ROUTE_BY_PLAIN_COLUMN)
	{
		Shape		server = server_shape();

		route->num_shards = (int32) server.num_shards;
		route->server_ring = true;
		check_plain_shard_column(route);
		if (key_column != NULL)
			set_key(route, user_column(relid, key_column));
		if (route->key_attnum == route->shard_attnum)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("column \"%s\" cannot be both the key and the shard column", route->key_name),
					errhint("Name the column that holds the keys, then the column that holds their shard ids."));
	}
	else
	{
		(void) routing_shape(&route->key);
		route->num_shards = route->key.num_shards;
		route->server_ring = route->key.function == ROUTE_SERVER;
		set_key(route, route->key.key_attnum);
		check_key_column(route, key_column);
	}
	if (route->key_attnum != InvalidAttrNumber)
		key_operators(route);
}

/* The shards a LIST partition's bound takes; is_default for the DEFAULT partition. */
static List *
partition_bound_shards(Oid partition, bool *is_default)
{
	PartitionBoundSpec *spec = partition_bound(partition);
	List	   *shards = NIL;
	ListCell   *lc;

	*is_default = false;
	if (spec == NULL)
		return NIL;
	*is_default = spec->is_default;
	if (spec->strategy == PARTITION_STRATEGY_HASH)
		return hash_bound_shards(spec); /* PARTITION BY HASH (id shard_ops) */
	foreach(lc, spec->listdatums)
	{
		Const	   *value = lfirst_node(Const, lc);

		if (!value->constisnull && value->consttype == INT4OID)
			shards = lappend_int(shards, DatumGetInt32(value->constvalue));
	}
	return shards;
}

/*
 * For each shard 0..num_shards-1, the top-level partition of parent that
 * takes it (or the DEFAULT one), as (shard, leaf) pairs over every leaf
 * below that partition.  *unplaced gets a shard no partition takes, or -1.
 */
void
partition_places(Oid parent, int32 num_shards, Datum *shards_array, Datum *leaves_array,
				 int32 *unplaced)
{
	Oid		   *target = palloc0(sizeof(Oid) * num_shards);
	Oid			default_partition = InvalidOid;
	List	   *children = find_inheritance_children(parent, NoLock);
	List	   *shard_list = NIL,
			   *leaf_list = NIL;
	ListCell   *lc;

	foreach(lc, children)
	{
		Oid			child = lfirst_oid(lc);
		bool		is_default;
		ListCell   *v;

		foreach(v, partition_bound_shards(child, &is_default))
			if (lfirst_int(v) >= 0 && lfirst_int(v) < num_shards)
				target[lfirst_int(v)] = child;
		if (is_default)
			default_partition = child;
	}
	*unplaced = -1;
	for (int32 s = 0; s < num_shards; s++)
	{
		Oid			top = OidIsValid(target[s]) ? target[s] : default_partition;
		ListCell   *leaf;

		CHECK_FOR_INTERRUPTS();
		if (!OidIsValid(top))
		{
			if (*unplaced < 0)
				*unplaced = s;
			continue;
		}
		foreach(leaf, find_all_inheritors(top, NoLock, NULL))
		{
			shard_list = lappend_int(shard_list, s);
			leaf_list = lappend_oid(leaf_list, lfirst_oid(leaf));
		}
	}
	*shards_array = int_list_array(shard_list, INT4OID);
	*leaves_array = int_list_array(leaf_list, OIDOID);
}

/* An int4[] or oid[] from a List of ints or OIDs. */
Datum
int_list_array(List *list, Oid element_type)
{
	int			n = list_length(list);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, list)
		elems[i++] = element_type == OIDOID ? ObjectIdGetDatum(lfirst_oid(lc)) : Int32GetDatum(lfirst_int(lc));
	return PointerGetDatum(construct_array(elems, n, element_type, 4, true, TYPALIGN_INT));
}

/* Every shard some partition of parent takes, whatever its name. */
List *
taken_shards(Oid parent)
{
	List	   *taken = NIL;
	ListCell   *lc;

	foreach(lc, find_inheritance_children(parent, NoLock))
	{
		bool		is_default;

		taken = list_concat(taken, partition_bound_shards(lfirst_oid(lc), &is_default));
	}
	return taken;
}
