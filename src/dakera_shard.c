/*
 * dakera_shard.c: the library's entry point.
 *
 * Design: _PG_init defines the settings and, when the library is preloaded,
 * installs the shared-memory hooks that build the server's ring once at
 * server start (server_ring.c).  Loaded on demand it installs no shared-memory
 * hooks: each backend builds the ring itself on first use and answers the
 * same.  Either way it installs the ProcessUtility hook that gives a failed
 * restore of a table partitioned by shard its hint (copy_hint.c).
 */
#include "dakera_shard.h"

#include "fmgr.h"
#include "miscadmin.h"

DS_MODULE_MAGIC;				/* compat.h: names the library on 18 */

void
_PG_init(void)
{
	bool		preloading = process_shared_preload_libraries_in_progress;

	define_settings(preloading);
	if (preloading)
		install_shmem_hooks();
	install_copy_hint_hook();
}
