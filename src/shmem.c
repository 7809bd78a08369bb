/*
 * shmem.c: the shared-memory hooks, after pg_stat_statements on PostgreSQL 15.
 *
 * Design: shmem_request_hook asks for the ring of the configured shape and for
 * the node-health table (with its LWLock tranche); shmem_startup_hook builds
 * or attaches to both under AddinShmemInitLock.  Installed only when the
 * library is preloaded.
 */
#include "postgres.h"

#include "compat.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

#include "extension.h"
#include "placement.h"
#include "routing.h"

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

void
install_shmem_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
}
