/*
 * compat.h: the one place for differences between PostgreSQL major versions.
 *
 * dakera_shard builds from one source tree against 15, 16, 17 and 18 (15, 17
 * and 18 are tested; 16 is covered here from its release's API changes).
 * Each entry says why it is here; every glue file includes this header
 * right after postgres.h, before anything else of PostgreSQL's.  It
 * includes only what its own definitions need: a macro here names what the
 * file that uses it includes (utils/acl.h, utils/guc.h, catalog/pg_class.h,
 * catalog/pg_namespace.h), so that no catalog header reaches every file.
 */
#ifndef DAKERA_SHARD_COMPAT_H
#define DAKERA_SHARD_COMPAT_H

/* fmgr.h first: PG_FUNCTION_INFO_V1 is redefined below on 15 */
#include "fmgr.h"

/* 16 moved the varlena macros (VARDATA_ANY, VARSIZE_ANY_EXHDR, ...) from postgres.h to varatt.h */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/* 16 keeps GUC values and check hooks' extra in its own memory (guc_malloc, guc_free); 15 free()s them */
#if PG_VERSION_NUM >= 160000
#define ds_guc_malloc(size) guc_malloc(LOG, (size))
#define ds_guc_free(ptr) guc_free(ptr)
#else
#define ds_guc_malloc(size) malloc(size)
#define ds_guc_free(ptr) free(ptr)
#endif

/* 16 replaced pg_class_ownercheck() with the generic object_ownercheck() (needs catalog/pg_class.h) */
#if PG_VERSION_NUM >= 160000
#define ds_owns_relation(relid, role) object_ownercheck(RelationRelationId, (relid), (role))
#else
#define ds_owns_relation(relid, role) pg_class_ownercheck((relid), (role))
#endif

/* 16 replaced pg_namespace_aclcheck() with the generic object_aclcheck() (needs catalog/pg_namespace.h) */
#if PG_VERSION_NUM >= 160000
#define ds_namespace_aclcheck(nspid, role, mode) object_aclcheck(NamespaceRelationId, (nspid), (role), (mode))
#else
#define ds_namespace_aclcheck(nspid, role, mode) pg_namespace_aclcheck((nspid), (role), (mode))
#endif

/*
 * 16's PGXS hides every symbol of a module (-fvisibility=hidden) and its
 * fmgr.h marks SQL entry points and _PG_init PGDLLEXPORT; 15 does neither.
 * The Makefile hides on every version; on 15 these mark what must stay
 * visible, as 16 does, so that generic names (key_hash, ring_build) cannot
 * clash with another loaded library's.
 */
#if PG_VERSION_NUM < 160000 && defined(__GNUC__) && !defined(WIN32)
#undef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#undef PG_FUNCTION_INFO_V1
#define PG_FUNCTION_INFO_V1(funcname) \
extern PGDLLEXPORT Datum funcname(PG_FUNCTION_ARGS); \
extern PGDLLEXPORT const Pg_finfo_record * CppConcat(pg_finfo_,funcname)(void); \
const Pg_finfo_record * \
CppConcat(pg_finfo_,funcname) (void) \
{ \
	static const Pg_finfo_record my_finfo = { 1 }; \
	return &my_finfo; \
} \
extern int no_such_variable
extern PGDLLEXPORT void _PG_init(void);
#endif

/* 18's magic block can name the library and its version (pg_get_loaded_modules()) */
#if PG_VERSION_NUM >= 180000
#define DS_MODULE_MAGIC PG_MODULE_MAGIC_EXT(.name = "dakera_shard", .version = DAKERA_SHARD_VERSION)
#else
#define DS_MODULE_MAGIC PG_MODULE_MAGIC
#endif

/* 17 has RestrictSearchPath(): search_path pinned to pg_catalog, pg_temp for maintenance; 15 and 16 set it */
#if PG_VERSION_NUM >= 170000
#define ds_restrict_search_path() RestrictSearchPath()
#else
#define ds_restrict_search_path() \
	((void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, \
							  GUC_ACTION_SAVE, true, 0, false))
#endif

/* 17 keeps the backend's local transaction id in MyProc->vxid (storage/proc.h) */
#if PG_VERSION_NUM >= 170000
#define DS_MY_LXID (MyProc->vxid.lxid)
#else
#define DS_MY_LXID (MyProc->lxid)
#endif

#endif
