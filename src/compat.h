/*
 * compat.h: the one place for differences between PostgreSQL major versions.
 * Each entry says why it is here.
 */
#ifndef DAKERA_SHARD_COMPAT_H
#define DAKERA_SHARD_COMPAT_H

#include "postgres.h"

#include "utils/acl.h"
#include "utils/lsyscache.h"

/* 16 replaced pg_class_ownercheck() with the generic object_ownercheck() */
#if PG_VERSION_NUM >= 160000
#include "catalog/pg_class.h"
#define ds_owns_relation(relid, role) object_ownercheck(RelationRelationId, (relid), (role))
#else
#define ds_owns_relation(relid, role) pg_class_ownercheck((relid), (role))
#endif

/* The owner of a relation, from the syscache. */
extern Oid	ds_relation_owner(Oid relid);

#endif
