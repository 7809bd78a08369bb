/*
 * deparse.h: the SQL text of every statement the extension runs on a user's
 * table, built from OIDs and attribute numbers (deparse.c).
 */
#ifndef DEPARSE_H
#define DEPARSE_H

#include "lib/stringinfo.h"

struct TableRoute;

/* names and lists */
extern char *qualified_relation(Oid relid);
extern void deparse_relation(StringInfo buf, Oid relid);
extern void deparse_column(StringInfo buf, Oid relid, AttrNumber attnum);
extern void deparse_insertable_columns(StringInfo buf, Oid relid, const char *prefix);

/* statements over a routed table (alias t) */
extern char *deparse_shard_rows(const struct TableRoute *route, bool only, Oid pending);
extern char *deparse_stale_keys(const struct TableRoute *route, Oid pending, bool sample);
extern char *deparse_reshard_batch(const struct TableRoute *route, bool through_delete);
extern char *deparse_reshard_plan_rows(const struct TableRoute *route);
extern char *deparse_count_rows(Oid relid);

#endif
