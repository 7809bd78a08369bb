/*
 * table_route.h: how one table's rows are judged, as SQL fragments
 * (table_route.c).
 */
#ifndef TABLE_ROUTE_H
#define TABLE_ROUTE_H

#include "routing_key.h"

#include "nodes/pg_list.h"

typedef enum RouteKind
{
	ROUTE_BY_PARTITION,			/* PARTITION BY LIST (shard_for(...)) */
	ROUTE_BY_GENERATED,			/* a stored generated shard_for column */
	ROUTE_BY_PLAIN_COLUMN		/* a plain column of shard ids, judged by the server's ring */
} RouteKind;

typedef struct TableRoute
{
	Oid			relid;
	RouteKind	kind;
	RoutingKey	key;			/* the recognised routing, unless a plain column */
	char	   *rel_sql;		/* "schema"."table" */
	char	   *ext_schema;		/* the extension's schema, quoted */
	AttrNumber	key_attnum;		/* 0 when unknown (a plain column without a key) */
	Oid			key_type;
	int32		key_typmod;
	char	   *key_name;
	char	   *key_sql;		/* t."key" */
	AttrNumber	shard_attnum;	/* the column that stores shard ids, or 0 */
	char	   *shard_sql;		/* t."shard_id" */
	char	   *route_sql;		/* the key's shard now */
	char	   *eq_sql;			/* the key type's btree operators */
	char	   *lt_sql;
	char	   *gt_sql;
	int32		num_shards;
	bool		server_ring;
} TableRoute;

extern void resolve_table_route(TableRoute *route, Oid relid, const char *key_column,
								const char *shard_column, bool allow_generated);
extern char *qualified_relation(Oid relid);
extern void resolve_table_key(TableRoute *route, Oid relid, const char *key_column);
extern AttrNumber user_column(Oid relid, const char *column);
extern const char *stored_shard_sql(const TableRoute *route);
extern char *stale_condition_sql(const TableRoute *route);
extern void partition_places(Oid parent, int32 num_shards, Datum *shards_array,
							 Datum *leaves_array, int32 *unplaced);
extern Datum int_list_array(List *list, Oid element_type);
extern char *row_bytes_sql(Oid relid);
extern List *taken_shards(Oid parent);

#endif
