/*
 * ring_cache.c: consistent-hash rings of explicit shapes, built once per
 * backend and reused by every later call.
 *
 * Design: a handful of rings in TopMemoryContext, least recently built first
 * out.  A ring of the server's own shape is never built again: the server's
 * ring (shared or local) serves it.  Call sites keep a ring pointer between
 * rows; the epoch, bumped whenever a ring is freed, tells them to look again.
 */
#include "dakera_shard.h"

#include "utils/memutils.h"

#define RING_CACHE_SLOTS 4

typedef struct CachedRing
{
	uint32		num_shards;
	uint32		virtual_nodes;
	uint64		last_used;
	Ring	   *ring;
} CachedRing;

static CachedRing slots[RING_CACHE_SLOTS];
static uint64 use_clock = 0;
uint64		ds_ring_cache_epoch = 1;

static Ring *
build_local_ring(uint32 num_shards, uint32 virtual_nodes)
{
	Shape		shape = {STRATEGY_CONSISTENT_HASH, num_shards, virtual_nodes};
	void	   *block = MemoryContextAllocHuge(TopMemoryContext, ring_block_size(&shape));
	Ring	   *ring = NULL;

	PG_TRY();
	{
		ring = build_ring_into(block, &shape);
	}
	PG_CATCH();
	{
		pfree(block);			/* TopMemoryContext: do not keep it on error */
		PG_RE_THROW();
	}
	PG_END_TRY();
	return ring;
}

const Ring *
ring_cache_get(uint32 num_shards, uint32 virtual_nodes, uint64 *ring_epoch)
{
	const ServerRing *server = server_ring_if_built();
	CachedRing *victim = &slots[0];

	*ring_epoch = ds_ring_cache_epoch;
	if (server != NULL && server->ring != NULL && server->shape.num_shards == num_shards &&
		server->shape.virtual_nodes == virtual_nodes)
		return server->ring;

	for (int i = 0; i < RING_CACHE_SLOTS; i++)
	{
		if (slots[i].ring != NULL && slots[i].num_shards == num_shards &&
			slots[i].virtual_nodes == virtual_nodes)
		{
			slots[i].last_used = ++use_clock;
			return slots[i].ring;
		}
		if (slots[i].last_used < victim->last_used)
			victim = &slots[i];
	}

	if (victim->ring != NULL)
	{
		pfree(victim->ring);
		victim->ring = NULL;
		*ring_epoch = ++ds_ring_cache_epoch;	/* pointers kept by call sites may dangle now */
	}
	victim->ring = build_local_ring(num_shards, virtual_nodes);
	victim->num_shards = num_shards;
	victim->virtual_nodes = virtual_nodes;
	victim->last_used = ++use_clock;
	return victim->ring;
}
