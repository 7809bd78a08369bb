/*
 * owner_scope.h: scans of a user's table run as its owner, security-restricted
 * (owner_scope.c).
 */
#ifndef OWNER_SCOPE_H
#define OWNER_SCOPE_H

typedef enum TableRight
{
	TABLE_READ,					/* the caller needs SELECT on the table */
	TABLE_OWN,					/* the caller must own the table (or be a superuser) */
	TABLE_ALTER					/* the same, for DDL that reads no row of it */
} TableRight;

typedef struct OwnerScope
{
	Oid			saved_user;
	int			saved_sec_context;
	int			nest_level;
} OwnerScope;

extern void owner_scope_enter(OwnerScope *scope, Oid relid, TableRight right);
extern void owner_scope_exit(OwnerScope *scope);

/* checks of the arguments of C entry points that are not STRICT */
extern void ds_arg_required(FunctionCallInfo fcinfo, int n, const char *function, const char *argname);
extern Oid	ds_relation_arg(FunctionCallInfo fcinfo, int n, const char *function, const char *argname);

#endif
