/*
 * tables.h: tables routed by shard_for, in sections: how a table routes its
 * rows (routing_key.c), how its rows are judged (table_route.c), the SQL that
 * scans it (deparse.c), and running that SQL as its owner (owner_scope.c).
 * The SQL functions that list, measure and re-shard tables are in
 * table_functions.c and partition_ddl.c.
 */
#ifndef DAKERA_SHARD_TABLES_H
#define DAKERA_SHARD_TABLES_H

#include "access/tupdesc.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/nodes.h"
#include "nodes/pg_list.h"

#include "core/shape.h"

/* routing_key.c: how a table routes its rows, recognised from the catalog */

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

/* table_route.c: how one table's rows are judged */

typedef enum RouteKind
{
	ROUTE_BY_PARTITION,			/* PARTITION BY LIST (shard_for(...)) */
	ROUTE_BY_GENERATED,			/* a stored generated shard_for column */
	ROUTE_BY_PLAIN_COLUMN,		/* a plain column of shard ids, judged by the server's ring */
	ROUTE_BY_KEY_TYPE			/* a shard_key or shard_uuid column: its shard is shard_for(key)
								 * of the server's ring (a Citus table distributed by it) */
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
extern void resolve_key_type_route(TableRoute *route, Oid relid, const char *key_column);
extern AttrNumber user_column(Oid relid, const char *column);
extern void partition_places(Oid parent, int32 num_shards, Datum *shards_array,
							 Datum *leaves_array, int32 *unplaced);
extern Datum int_list_array(List *list, Oid element_type);
extern List *taken_shards(Oid parent);

/* table_functions.c */
extern char *insert_droppers(Oid relid);

/* deparse.c: the SQL of every statement on a user's table */

/* names and lists */
extern char *qualified_relation(Oid relid);
extern void deparse_relation(StringInfo buf, Oid relid);
extern void deparse_column(StringInfo buf, Oid relid, AttrNumber attnum);
extern void deparse_insertable_columns(StringInfo buf, Oid relid, const char *prefix);
extern List *user_column_names(Oid relid);

/* statements over a routed table (alias t) */
extern char *deparse_shard_rows(const TableRoute *route, bool only, Oid pending);
extern char *deparse_stale_keys(const TableRoute *route, Oid pending, bool sample);
extern char *deparse_reshard_through_delete(const TableRoute *route);
extern char *deparse_reshard_lock(const TableRoute *route);
extern char *deparse_reshard_move(const TableRoute *route);
extern char *deparse_reshard_still_there(const TableRoute *route);
extern char *deparse_reshard_plan_rows(const TableRoute *route);
extern char *deparse_count_rows(Oid relid);

/* copy_hint.c: the hint of a restore into another shape (a ProcessUtility hook) */
extern void install_copy_hint_hook(void);

/* owner_scope.c: SQL on a user's table runs as its owner, security-restricted */

typedef enum TableRight
{
	TABLE_READ,					/* the caller needs SELECT on the table */
	TABLE_OWN,					/* the caller must own the table (or be a superuser) */
	TABLE_ALTER					/* the same, for DDL that reads no row of it */
} TableRight;

/* One row of a statement's result, in the statement's memory: copy what must outlive the call. */
typedef void (*ScopedRowFn) (void *arg, TupleDesc desc, Datum *values, bool *nulls);

/* One statement: its text, its parameters $1..$nargs, and where its rows go. */
typedef struct ScopedStatement
{
	const char *sql;
	int			nargs;
	const Oid  *types;
	const Datum *values;
	const bool *nulls;			/* NULL: no parameter is NULL */
	ScopedRowFn on_row;			/* NULL: the rows are not wanted */
	void	   *arg;
} ScopedStatement;

/* The first row of a result, copied into the memory current at the call (on_row = keep_first_row). */
#define FIRST_ROW_MAX_COLUMNS 4
typedef struct FirstRow
{
	MemoryContext cxt;
	bool		found;
	Datum		values[FIRST_ROW_MAX_COLUMNS];
	bool		nulls[FIRST_ROW_MAX_COLUMNS];
} FirstRow;

#define FIRST_ROW_INIT {.cxt = CurrentMemoryContext}

extern void keep_first_row(void *arg, TupleDesc desc, Datum *values, bool *nulls);
extern void put_row(void *arg, TupleDesc desc, Datum *values, bool *nulls);	/* arg: a ReturnSetInfo */

extern void check_table_right(Oid relid, TableRight right);
extern uint64 run_as_owner(Oid relid, TableRight right, const ScopedStatement *stmt);
extern uint64 run_as_caller(const ScopedStatement *stmt);
/* work that is not one statement, as a table's owner, in the same restricted scope */
typedef void (*ScopedCall) (void *arg);
extern void call_as_owner(Oid relid, ScopedCall call, void *arg);
extern Oid	ds_relation_owner(Oid relid);

/* a listing's hold on one table it lists (ds_lock_listed) */
typedef enum ListedLock
{
	LISTED_HELD,				/* locked, and it exists: safe to read */
	LISTED_GONE,				/* dropped meanwhile: leave it out silently */
	LISTED_BUSY					/* another session holds a conflicting lock */
} ListedLock;
extern ListedLock ds_lock_listed(Oid relid);

/* checks of the arguments of C entry points that are not STRICT */
extern void ds_arg_required(FunctionCallInfo fcinfo, int n, const char *function, const char *argname);
extern Oid	ds_relation_arg(FunctionCallInfo fcinfo, int n, const char *function, const char *argname);

#endif
