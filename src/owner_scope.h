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

#endif
