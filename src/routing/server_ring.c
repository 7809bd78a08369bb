/*
 * server_ring.c: the ring of the server's settings, built once.
 *
 * Design (after pg_stat_statements on PostgreSQL 15): when the library is in
 * shared_preload_libraries, the shared-memory hooks (shmem.c) ask for the
 * exact size of the ring of the configured shape and build it in the
 * postmaster under AddinShmemInitLock; every backend inherits the pointer and
 * only reads it, so no lock is needed after startup.  The shape is
 * PGC_POSTMASTER then, so the ring never changes while the server runs.
 *
 * Loaded on demand (no preload), each backend builds the same ring from the
 * same settings in its own memory at its first routing call, and keeps it
 * for the life of the session.
 */
#include "postgres.h"

#include "compat.h"

#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "routing/routing.h"

/* What shared memory holds: the description, then the ring's flat block. */
typedef struct SharedRing
{
	ServerRing	info;			/* info.ring points into this segment */
	char		block[FLEXIBLE_ARRAY_MEMBER] pg_attribute_aligned(64);
} SharedRing;

static SharedRing *shared_ring = NULL;
static ServerRing local_ring;
static const ServerRing *the_ring = NULL;
static Shape local_shape;		/* without preload: the shape fixed at first use */
static bool local_shape_fixed = false;

/* Bytes of the shape's ring block (0 without a ring), with a clear error if it cannot be sized. */
Size
ring_block_size(const Shape *shape)
{
	size_t		size;

	if (!strategy_uses_ring(shape->strategy))
		return 0;
	size = ring_size(shape->num_shards, shape->virtual_nodes);
	if (size == SIZE_MAX)
		ereport(ERROR,
				errcode(ERRCODE_OUT_OF_MEMORY),
				errmsg("out of memory sizing the ring %s", shape_describe(shape)),
				errhint("Lower dakera_shard.num_shards or dakera_shard.virtual_nodes, or give the server more memory."));
	return size;
}

/*
 * Build a ring into block, with a clear error when its temporary memory
 * cannot be had (in the postmaster that error stops the server from starting).
 */
Ring *
build_ring_into(void *block, const Shape *shape)
{
	Size		size = ring_scratch_size(shape->num_shards, shape->virtual_nodes);
	void	   *scratch = MemoryContextAllocExtended(CurrentMemoryContext, size,
													 MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	Ring	   *ring;

	if (scratch == NULL)
		ereport(ERROR,
				errcode(ERRCODE_OUT_OF_MEMORY),
				errmsg("out of memory building the ring %s", shape_describe(shape)),
				errdetail("Building it needs %zu bytes of temporary memory.", size),
				errhint("Lower dakera_shard.num_shards or dakera_shard.virtual_nodes, or give the server more memory."));
	ring = ring_build(block, shape->num_shards, shape->virtual_nodes, scratch);
	pfree(scratch);
	return ring;
}

/* Build the shape's ring into block and fill info; times the build. */
static void
build_ring(ServerRing *info, const Shape *shape, void *block)
{
	instr_time	start,
				elapsed;

	INSTR_TIME_SET_CURRENT(start);
	info->shape = *shape;
	info->ring = NULL;
	info->bytes = 0;
	if (strategy_uses_ring(shape->strategy))
	{
		info->ring = build_ring_into(block, shape);
		info->bytes = info->ring->total_bytes;
	}
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	info->build_ms = INSTR_TIME_GET_MILLISEC(elapsed);
}

/*
 * Bytes of shared memory for the ring of the configured shape.  Sizing a ring
 * hashes its points (ring.h), so the postmaster does it once, when it asks
 * for shared memory, and remembers it for when it builds the ring.
 */
Size
server_ring_shmem_size(void)
{
	static Size size = 0;

	if (size == 0)
	{
		Shape		shape = settings_shape();

		size = add_size(offsetof(SharedRing, block), ring_block_size(&shape));
	}
	return size;
}

/* Attach to (or, first, build) the shared ring; caller holds AddinShmemInitLock. */
void
server_ring_shmem_init(void)
{
	Shape		shape = settings_shape();
	bool		found;

	shared_ring = ShmemInitStruct("dakera_shard ring", server_ring_shmem_size(), &found);
	if (!found)
	{
		build_ring(&shared_ring->info, &shape, shared_ring->block);
		shared_ring->info.shared = true;
		ereport(LOG,
				errmsg("dakera_shard: ring %s built in %.1f ms, %zu bytes of shared memory",
					   shape_describe(&shape), shared_ring->info.build_ms,
					   shared_ring->info.bytes));
	}
}

/* The server's ring: shared when preloaded, else built here once. */
const ServerRing *
server_ring(void)
{
	Shape		shape;
	void	   *block;

	if (the_ring != NULL)
		return the_ring;
	if (shared_ring != NULL)
		return the_ring = &shared_ring->info;

	shape = server_shape();
	/* a context of its own, so that pg_backend_memory_contexts shows the ring */
	block = MemoryContextAllocHuge(AllocSetContextCreate(TopMemoryContext, "dakera_shard server ring",
														 ALLOCSET_SMALL_SIZES),
								   Max(ring_block_size(&shape), 1));
	build_ring(&local_ring, &shape, block);
	local_ring.shared = false;
	return the_ring = &local_ring;
}

/*
 * The server's shape, without building its ring: the ring's when there is
 * one (shared, or built by this backend), else the settings', checked and
 * fixed for the session at the first call, as server_ring() builds them.  For whatever needs only the shard
 * count or the strategy (listing, placement).
 */
Shape
server_shape(void)
{
	const ServerRing *ring = server_ring_if_built();

	if (ring != NULL)
		return ring->shape;
	if (!local_shape_fixed)
	{
		check_shape_settings();
		local_shape = settings_shape();	/* this backend's shape from now on, as its ring's */
		local_shape_fixed = true;
	}
	return local_shape;
}

/* The server's ring if it exists already (never builds, never fails). */
const ServerRing *
server_ring_if_built(void)
{
	if (the_ring == NULL && shared_ring != NULL)
		the_ring = &shared_ring->info;
	return the_ring;
}
