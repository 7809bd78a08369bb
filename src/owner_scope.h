/*
 * owner_scope.h: SQL on a user's table runs as its owner, security-restricted,
 * through one executor (owner_scope.c).
 */
#ifndef OWNER_SCOPE_H
#define OWNER_SCOPE_H

#include "access/tupdesc.h"

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
extern Oid	ds_relation_owner(Oid relid);

/* checks of the arguments of C entry points that are not STRICT */
extern void ds_arg_required(FunctionCallInfo fcinfo, int n, const char *function, const char *argname);
extern Oid	ds_relation_arg(FunctionCallInfo fcinfo, int n, const char *function, const char *argname);

#endif
