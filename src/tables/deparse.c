/*
 * deparse.c: the SQL text of the statements the extension runs on a user's
 * table, in one place.
 *
 * Design (after postgres_fdw's deparse.c): a statement is built into a
 * StringInfo from what the catalog names by OID and attribute number:
 * relations and columns quoted and schema-qualified, our own shard_for with
 * exact argument types, the key type's btree operators as OPERATOR(schema.op),
 * integer and quoted-literal constants.  No text from the catalog is parsed
 * and no user expression is copied; what a table routes by comes from its
 * recognised TableRoute (table_route.c).  Every statement reads the table as
 * alias t and names parameters $n with explicit types.  The statements run
 * through owner_scope.c with search_path pinned.
 */
#include "postgres.h"

#include "compat.h"

#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_operator.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "extension.h"
#include "tables/tables.h"

/* "schema"."name" of a relation, or the error that says it does not exist. */
char *
qualified_relation(Oid relid)
{
	char	   *name = get_rel_name(relid);

	if (name == NULL)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_TABLE),
				errmsg("relation with OID %u does not exist", relid));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), name);
}

void
deparse_relation(StringInfo buf, Oid relid)
{
	appendStringInfoString(buf, qualified_relation(relid));
}

/* t."column" */
void
deparse_column(StringInfo buf, Oid relid, AttrNumber attnum)
{
	appendStringInfo(buf, "t.%s", quote_identifier(get_attname(relid, attnum, false)));
}

/* OPERATOR("schema".op) */
static void
deparse_operator(StringInfo buf, Oid opno)
{
	HeapTuple	tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	Form_pg_operator form;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	form = (Form_pg_operator) GETSTRUCT(tuple);
	appendStringInfo(buf, "OPERATOR(%s.%s)", quote_identifier(get_namespace_name(form->oprnamespace)),
					 NameStr(form->oprname));
	ReleaseSysCache(tuple);
}

/*
 * Each user column of relid (not dropped; not generated when insertable),
 * read from the syscache without opening the relation: its quoted name.
 */
static List *
user_columns(Oid relid, bool insertable)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	List	   *names = NIL;
	int			natts;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	natts = ((Form_pg_class) GETSTRUCT(tuple))->relnatts;
	ReleaseSysCache(tuple);
	for (AttrNumber a = 1; a <= natts; a++)
	{
		HeapTuple	att = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(a));
		Form_pg_attribute form;

		if (!HeapTupleIsValid(att))
			continue;
		form = (Form_pg_attribute) GETSTRUCT(att);
		if (!form->attisdropped && !(insertable && form->attgenerated))
			names = lappend(names, pstrdup(quote_identifier(NameStr(form->attname))));
		ReleaseSysCache(att);
	}
	return names;
}

/* Each user column of relid that is not dropped: its quoted name. */
List *
user_column_names(Oid relid)
{
	return user_columns(relid, false);
}

/* The columns an INSERT may set (neither dropped nor generated), comma-separated, each after prefix. */
void
deparse_insertable_columns(StringInfo buf, Oid relid, const char *prefix)
{
	ListCell   *lc;

	foreach(lc, user_columns(relid, true))
		appendStringInfo(buf, "%s%s%s", foreach_current_index(lc) > 0 ? ", " : "", prefix,
						 (char *) lfirst(lc));
}

/* The bytes of a row's column values as stored: the sum of pg_column_size of each user column. */
static void
deparse_row_bytes(StringInfo buf, Oid relid)
{
	List	   *names = user_columns(relid, false);
	ListCell   *lc;

	if (names == NIL)
		appendStringInfoString(buf, "0");
	foreach(lc, names)
		appendStringInfo(buf, "%scoalesce(pg_catalog.pg_column_size(t.%s), 0)",
						 foreach_current_index(lc) > 0 ? " + " : "", (char *) lfirst(lc));
}

/* The key column of a route (t."key"). */
static void
deparse_key(StringInfo buf, const TableRoute *route)
{
	deparse_column(buf, route->relid, route->key_attnum);
}

/*
 * The shard the route's routing gives the key now: our shard_for, the
 * server's ring for a plain shard column or the route's own shape otherwise.
 */
static void
deparse_route_shard(StringInfo buf, const TableRoute *route)
{
	const RoutingKey *key = route->kind == ROUTE_BY_PLAIN_COLUMN || route->kind == ROUTE_BY_KEY_TYPE ?
		NULL : &route->key;

	appendStringInfo(buf, "%s.shard_for(", extension_schema_sql());
	deparse_key(buf, route);
	if (key == NULL || key->function == ROUTE_SERVER)
		appendStringInfoString(buf, "::pg_catalog.text)");
	else
		appendStringInfo(buf, "::pg_catalog.text, %d, %s::pg_catalog.text, %d)", key->num_shards,
						 quote_literal_cstr(key->strategy_name), key->virtual_nodes);
}

/*
 * The shard id a row carries now: its column, or its partition key's value,
 * or for a shard_key or shard_uuid key (whose hash puts it in the Citus shard
 * of its engine shard) shard_for(key).
 */
static void
deparse_stored_shard(StringInfo buf, const TableRoute *route)
{
	if (route->kind == ROUTE_BY_PARTITION || route->kind == ROUTE_BY_KEY_TYPE)
		deparse_route_shard(buf, route);
	else
		deparse_column(buf, route->relid, route->shard_attnum);
}

/*
 * The shard id a row carries now, as int4: a plain column's value outside
 * int4 (a bigint column) is no shard id (NULL) rather than an error.
 */
static void
deparse_stored_shard_int4(StringInfo buf, const TableRoute *route)
{
	if (route->kind != ROUTE_BY_PLAIN_COLUMN)
	{
		appendStringInfoChar(buf, '(');
		deparse_stored_shard(buf, route);
		appendStringInfoString(buf, ")::pg_catalog.int4");
		return;
	}
	appendStringInfoString(buf, "(CASE WHEN ");
	deparse_column(buf, route->relid, route->shard_attnum);
	appendStringInfoString(buf, "::pg_catalog.numeric OPERATOR(pg_catalog.>=) -2147483648 AND ");
	deparse_column(buf, route->relid, route->shard_attnum);
	appendStringInfoString(buf, "::pg_catalog.numeric OPERATOR(pg_catalog.<=) 2147483647 THEN ");
	deparse_column(buf, route->relid, route->shard_attnum);
	appendStringInfoString(buf, " END)::pg_catalog.int4");
}

/*
 * The condition that a row (alias t, key not NULL) is stale.  For a table
 * partitioned by shard, $1 and $2 are the arrays of partition_places().
 */
static void
deparse_stale_condition(StringInfo buf, const TableRoute *route)
{
	if (route->kind == ROUTE_BY_PARTITION)
	{
		appendStringInfoString(buf, "ROW(");
		deparse_route_shard(buf, route);
		appendStringInfoString(buf, ", t.tableoid) NOT IN (SELECT p.shard, p.leaf FROM "
							   "ROWS FROM (pg_catalog.unnest($1::pg_catalog.int4[]), "
							   "pg_catalog.unnest($2::pg_catalog.oid[])) AS p(shard, leaf))");
		return;
	}
	deparse_column(buf, route->relid, route->shard_attnum);
	appendStringInfoString(buf, " IS DISTINCT FROM ");
	deparse_route_shard(buf, route);
}

/*
 * shard_rows: (shard, rows, bytes) per shard id the rows carry; only leaves
 * out inheritance children; the rows of pending (an unfinished HASH
 * re-shard's holder, or InvalidOid) are counted under the shard they move to.
 */
char *
deparse_shard_rows(const TableRoute *route, bool only, Oid pending)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (!OidIsValid(pending))
	{
		appendStringInfoString(&buf, "SELECT ");
		deparse_stored_shard_int4(&buf, route);
		appendStringInfoString(&buf, ", pg_catalog.count(*), pg_catalog.sum(");
		deparse_row_bytes(&buf, route->relid);
		appendStringInfo(&buf, ")::pg_catalog.int8 FROM %s", only ? "ONLY " : "");
		deparse_relation(&buf, route->relid);
		appendStringInfoString(&buf, " t GROUP BY 1");
		return buf.data;
	}
	appendStringInfoString(&buf, "SELECT u.s, pg_catalog.count(*), pg_catalog.sum(u.b)::pg_catalog.int8 FROM (SELECT ");
	deparse_stored_shard_int4(&buf, route);
	appendStringInfoString(&buf, " AS s, ");
	deparse_row_bytes(&buf, route->relid);
	appendStringInfoString(&buf, " AS b FROM ");
	deparse_relation(&buf, route->relid);
	appendStringInfoString(&buf, " t UNION ALL SELECT (");
	deparse_route_shard(&buf, route);
	appendStringInfoString(&buf, ")::pg_catalog.int4, ");
	deparse_row_bytes(&buf, route->relid);
	appendStringInfoString(&buf, " FROM ");
	deparse_relation(&buf, pending);
	appendStringInfoString(&buf, " t) u GROUP BY 1");
	return buf.data;
}

/*
 * shard_verify: the stale rows' count, or (sample) up to ten of their keys
 * as text, in order.  Every row of pending (as in deparse_shard_rows) is
 * stale.  $1, $2: partition_places().
 */
char *
deparse_stale_keys(const TableRoute *route, Oid pending, bool sample)
{
	StringInfoData from;
	StringInfoData buf;

	initStringInfo(&from);
	if (OidIsValid(pending))
	{
		appendStringInfoString(&from, "(SELECT ");
		deparse_key(&from, route);
		appendStringInfo(&from, " AS %s FROM ", quote_identifier(route->key_name));
	}
	deparse_relation(&from, route->relid);
	appendStringInfoString(&from, " t WHERE ");
	deparse_key(&from, route);
	appendStringInfoString(&from, " IS NOT NULL AND ");
	deparse_stale_condition(&from, route);
	if (OidIsValid(pending))
	{
		appendStringInfoString(&from, " UNION ALL SELECT ");
		deparse_key(&from, route);
		appendStringInfoString(&from, " FROM ");
		deparse_relation(&from, pending);
		appendStringInfoString(&from, " t WHERE ");
		deparse_key(&from, route);
		appendStringInfoString(&from, " IS NOT NULL) t");
	}

	initStringInfo(&buf);
	if (!sample)
	{
		appendStringInfo(&buf, "SELECT pg_catalog.count(*) FROM %s", from.data);
		return buf.data;
	}
	appendStringInfoString(&buf, "SELECT pg_catalog.array_agg(s.k) FROM (SELECT ");
	deparse_key(&buf, route);
	appendStringInfo(&buf, "::pg_catalog.text AS k FROM %s ORDER BY 1 LIMIT 10) s", from.data);
	return buf.data;
}

/* The condition that a row of the batch's keys b is stale: "t.key = b.k AND <stale>". */
static void
deparse_batch_match(StringInfo buf, const TableRoute *route)
{
	deparse_key(buf, route);
	appendStringInfoChar(buf, ' ');
	deparse_operator(buf, route->eq_opr);
	appendStringInfoString(buf, " b.k AND ");
	deparse_stale_condition(buf, route);
}

/*
 * The key range of a batch: after $3 (NULL: from the first key), up to and
 * including $4, both text read back as the key's own type.
 */
static void
deparse_batch_range(StringInfo buf, const TableRoute *route, const char *key_type, const char *last)
{
	appendStringInfo(buf, "($3::%s IS NULL OR ", key_type);
	deparse_key(buf, route);
	appendStringInfoChar(buf, ' ');
	deparse_operator(buf, route->gt_opr);
	appendStringInfo(buf, " $3::%s)", key_type);
	if (last == NULL)
		return;
	appendStringInfoString(buf, " AND NOT ");
	deparse_key(buf, route);
	appendStringInfoChar(buf, ' ');
	deparse_operator(buf, route->gt_opr);
	appendStringInfo(buf, " %s::%s", last, key_type);
}

/* The key's own type, typmod included: char(8) read as bare "character" is char(1). */
static char *
batch_key_type(const TableRoute *route)
{
	return format_type_extended(route->key_type, route->key_typmod,
								FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY);
}

/* The batch's keys: WITH batch AS (...), keys AS (...), in key order from after $3, $4 rows. */
static void
deparse_batch_keys(StringInfo buf, const TableRoute *route)
{
	char	   *key_type = batch_key_type(route);

	appendStringInfoString(buf, "WITH batch AS (SELECT ");
	deparse_key(buf, route);
	appendStringInfoString(buf, " AS k FROM ");
	deparse_relation(buf, route->relid);
	appendStringInfoString(buf, " t WHERE ");
	deparse_key(buf, route);
	appendStringInfoString(buf, " IS NOT NULL AND ");
	deparse_batch_range(buf, route, key_type, NULL);
	appendStringInfoString(buf, " ORDER BY ");
	deparse_key(buf, route);
	appendStringInfoString(buf, " USING ");
	deparse_operator(buf, route->lt_opr);
	appendStringInfoString(buf, " LIMIT $4), keys AS (SELECT DISTINCT b.k FROM batch b)");
}

/* The batch's last key as text and the rows it read. */
static void
deparse_batch_summary(StringInfo buf, const TableRoute *route)
{
	appendStringInfoString(buf, "(SELECT b.k::pg_catalog.text FROM batch b ORDER BY b.k USING ");
	deparse_operator(buf, route->gt_opr);
	appendStringInfoString(buf, " LIMIT 1), (SELECT pg_catalog.count(*) FROM batch)");
}

/*
 * reshard_batch through a foreign partition (which cannot take a row moved by
 * UPDATE): the next $4 keys after $3, the stale rows among them deleted and
 * inserted through the parent, in one statement.  Returns (the batch's last
 * key as text, keys read, rows deleted, rows inserted): the caller compares
 * the last two.  $1, $2: partition_places().
 */
char *
deparse_reshard_through_delete(const TableRoute *route)
{
	StringInfoData buf;

	initStringInfo(&buf);
	deparse_batch_keys(&buf, route);
	appendStringInfoString(&buf, ", gone AS (DELETE FROM ");
	deparse_relation(&buf, route->relid);
	appendStringInfoString(&buf, " t USING keys b WHERE ");
	deparse_batch_match(&buf, route);
	appendStringInfoString(&buf, " RETURNING ");
	deparse_insertable_columns(&buf, route->relid, "t.");
	appendStringInfoString(&buf, "), moved AS (INSERT INTO ");
	deparse_relation(&buf, route->relid);
	appendStringInfoString(&buf, " (");
	deparse_insertable_columns(&buf, route->relid, "");
	appendStringInfoString(&buf, ") OVERRIDING SYSTEM VALUE SELECT ");
	deparse_insertable_columns(&buf, route->relid, "g.");
	appendStringInfoString(&buf, " FROM gone g RETURNING 1) SELECT ");
	deparse_batch_summary(&buf, route);
	appendStringInfoString(&buf, ", (SELECT pg_catalog.count(*) FROM gone), (SELECT pg_catalog.count(*) FROM moved)");
	return buf.data;
}

/*
 * reshard_batch, first statement: the next $4 keys after $3 (text, read back
 * as the key's own type) in the key type's order, and the stale rows among
 * them locked FOR UPDATE, so that nobody else changes or deletes them before
 * the batch commits.  Returns (the batch's last key as text, keys read, the
 * stale rows' tableoid[] and ctid[]).  $1, $2: partition_places().
 */
char *
deparse_reshard_lock(const TableRoute *route)
{
	StringInfoData buf;

	initStringInfo(&buf);
	deparse_batch_keys(&buf, route);
	appendStringInfoString(&buf, ", stale AS (SELECT t.tableoid AS r, t.ctid AS c FROM ");
	deparse_relation(&buf, route->relid);
	appendStringInfoString(&buf, " t, keys b WHERE ");
	deparse_batch_match(&buf, route);
	appendStringInfoString(&buf, " FOR UPDATE OF t) SELECT ");
	deparse_batch_summary(&buf, route);
	appendStringInfoString(&buf, ", a.r, a.c FROM (SELECT pg_catalog.array_agg(s.r) AS r, "
						   "pg_catalog.array_agg(s.c) AS c FROM stale s) a");
	return buf.data;
}

/* Rows ($1 tableoid[], $2 ctid[]) in the key range after $3 up to $4: "WHERE ...". */
static void
deparse_locked_rows(StringInfo buf, const TableRoute *route)
{
	appendStringInfoString(buf, " WHERE ");
	deparse_batch_range(buf, route, batch_key_type(route), "$4");
	appendStringInfoString(buf, " AND ROW(t.tableoid, t.ctid) IN (SELECT p.r, p.c FROM ROWS FROM "
						   "(pg_catalog.unnest($1::pg_catalog.oid[]), pg_catalog.unnest($2::pg_catalog.tid[])) "
						   "AS p(r, c))");
}

/*
 * reshard_batch, second statement: the rows locked by the first moved: a
 * plain column set, a generated one recomputed, a row moved to its partition
 * by a cross-partition UPDATE.  Returns the rows that arrived (RETURNING:
 * a row whose insert half a trigger skipped does not come back).
 */
char *
deparse_reshard_move(const TableRoute *route)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "WITH moved AS (UPDATE ");
	deparse_relation(&buf, route->relid);
	if (route->kind == ROUTE_BY_PLAIN_COLUMN)
	{
		appendStringInfo(&buf, " t SET %s = ",
						 quote_identifier(get_attname(route->relid, route->shard_attnum, false)));
		deparse_route_shard(&buf, route);
	}
	else
	{
		appendStringInfo(&buf, " t SET %s = ", quote_identifier(route->key_name));
		deparse_key(&buf, route);
	}
	deparse_locked_rows(&buf, route);
	appendStringInfoString(&buf, " RETURNING 1) SELECT pg_catalog.count(*) FROM moved");
	return buf.data;
}

/* reshard_batch, third statement: how many of the rows locked by the first are still where they were. */
char *
deparse_reshard_still_there(const TableRoute *route)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "SELECT pg_catalog.count(*) FROM ");
	deparse_relation(&buf, route->relid);
	appendStringInfoString(&buf, " t");
	deparse_locked_rows(&buf, route);
	return buf.data;
}

/*
 * reshard_plan(rel, ...): rows per (shard under the server's ring, shard
 * under the shape $1 (num_shards), $2 (strategy), $3 (virtual_nodes)).
 */
char *
deparse_reshard_plan_rows(const TableRoute *route)
{
	const char *ext = extension_schema_sql();
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "SELECT %s.shard_for(", ext);
	deparse_key(&buf, route);
	appendStringInfo(&buf, "::pg_catalog.text), %s.shard_for(", ext);
	deparse_key(&buf, route);
	appendStringInfoString(&buf, "::pg_catalog.text, $1, $2, $3), pg_catalog.count(*) FROM ");
	deparse_relation(&buf, route->relid);
	appendStringInfoString(&buf, " t WHERE ");
	deparse_key(&buf, route);
	appendStringInfoString(&buf, " IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2");
	return buf.data;
}

/* The rows of a table, counted through SQL (its own and its children's). */
char *
deparse_count_rows(Oid relid)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "SELECT pg_catalog.count(*) FROM ");
	deparse_relation(&buf, relid);
	appendStringInfoString(&buf, " t");
	return buf.data;
}
