/*
 * dakera_shard.c: the library's entry point.
 *
 * Design: _PG_init defines the settings and, when the library is preloaded,
 * installs the shared-memory hooks that build the server's ring once at
 * server start (server_ring.c).  Loaded on demand it installs no hooks: each
 * backend builds the ring itself on first use and answers the same.
 */
#include "postgres.h"

#include "compat.h"

#include "miscadmin.h"

#include "extension.h"
#include "routing.h"

DS_MODULE_MAGIC;				/* compat.h: names the library on 18 */

void
_PG_init(void)
{
	bool		preloading = process_shared_preload_libraries_in_progress;

	define_settings(preloading);
	if (preloading)
		install_shmem_hooks();
}
