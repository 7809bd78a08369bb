/*
 * table_route.h: how one table's rows are judged, from the catalog
 * (table_route.c); deparse.c writes the SQL.
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
	AttrNumber	key_attnum;		/* 0 when unknown (a plain column without a key) */
	Oid			key_type;
	int32		key_typmod;
	char	   *key_name;		/* for messages */
	AttrNumber	shard_attnum;	/* the column that stores shard ids, or 0 */
	Oid			eq_opr;			/* the key type's btree operators */
	Oid			lt_opr;
	Oid			gt_opr;
	int32		num_shards;
	bool		server_ring;
} TableRoute;

extern void resolve_table_route(TableRoute *route, Oid relid, const char *key_column,
								const char *shard_column, bool allow_generated);
extern void resolve_table_key(TableRoute *route, Oid relid, const char *key_column);
extern AttrNumber user_column(Oid relid, const char *column);
extern void partition_places(Oid parent, int32 num_shards, Datum *shards_array,
							 Datum *leaves_array, int32 *unplaced);
extern Datum int_list_array(List *list, Oid element_type);
extern List *taken_shards(Oid parent);

#endif
