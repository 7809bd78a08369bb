/*
 * dakera_shard.c: the library's entry point and its shared-memory hooks.
 *
 * Design: _PG_init defines the settings and, when the library is preloaded,
 * installs the shared-memory hooks that build the server's ring once at
 * server start (server_ring.c).  Loaded on demand it installs no shared-memory
 * hooks: each backend builds the ring itself on first use and answers the
 * same.  Either way it installs the ProcessUtility hook that gives a failed
 * restore of a table partitioned by shard its hint (copy_hint.c).
 *
 * The hooks (after pg_stat_statements on PostgreSQL 15): shmem_request_hook
 * asks for the ring of the configured shape and for the node-health table
 * (with its LWLock tranche); shmem_startup_hook builds or attaches to both
 * under AddinShmemInitLock.
 */
#include "postgres.h"

#include "compat.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

#include "placement/placement.h"
#include "routing/routing.h"
#include "tables/tables.h"

DS_MODULE_MAGIC;				/* compat.h: names the library on 18 */

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(add_size(server_ring_shmem_size(), node_health_shmem_size()));
	node_health_shmem_request();
}

static void
shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	server_ring_shmem_init();
	node_health_shmem_init();
	LWLockRelease(AddinShmemInitLock);
}

static void
install_shmem_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
}

void
_PG_init(void)
{
	bool		preloading = process_shared_preload_libraries_in_progress;

	define_settings(preloading);
	if (preloading)
		install_shmem_hooks();
	install_copy_hint_hook();
}
