/*
 * routing_key.h: how a table routes its rows, recognised from the catalog
 * (routing_key.c).
 */
#ifndef ROUTING_KEY_H
#define ROUTING_KEY_H

#include "dakera_shard.h"

#include "nodes/nodes.h"

typedef enum RouteFunction
{
	ROUTE_NONE,
	ROUTE_SERVER,				/* shard_for(key): the server's ring */
	ROUTE_EXPLICIT				/* shard_for(key, num_shards, strategy, virtual_nodes) */
} RouteFunction;

typedef struct RoutingKey
{
	RouteFunction function;
	Oid			funcid;
	AttrNumber	key_attnum;		/* the column routed */
	AttrNumber	shard_attnum;	/* the generated column that stores it, or 0: the partition key */
	int			strategy;		/* -1 when the explicit strategy is unknown */
	const char *strategy_name;
	int32		num_shards;
	int32		virtual_nodes;
} RoutingKey;

extern bool recognise_routing(Node *expr, RoutingKey *key);
extern bool partition_routing(Oid relid, RoutingKey *key);
extern bool hash_partition_routing(Oid relid, RoutingKey *key);
extern bool column_routing(Oid relid, AttrNumber attnum, RoutingKey *key);
extern Node *stored_column_default(Oid relid, AttrNumber attnum);
extern Shape routing_shape(const RoutingKey *key);

#endif
