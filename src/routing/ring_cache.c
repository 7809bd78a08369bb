/*
 * ring_cache.c: consistent-hash rings of explicit shapes, built once per
 * backend and reused by every later call.
 *
 * Design: rings in the memory context "dakera_shard ring cache" (a child of
 * TopMemoryContext), least recently used first out, within
 * a budget of RING_CACHE_KEEP rings and RING_CACHE_BUDGET bytes.  A ring
 * used by the statement under way is never evicted: a query that routes
 * with K shapes builds each of its K rings once, not once per row (call
 * sites keep their ring pointer between rows, and would otherwise evict each
 * other's rings in turn).  The count may grow past RING_CACHE_KEEP within a
 * statement, the bytes never past RING_CACHE_BUDGET: a statement that needs
 * more is refused.  A ring of the server's own shape is never
 * built again: the server's ring (shared or local) serves it.  The epoch,
 * bumped whenever a ring is freed, tells call sites to look again.
 */
#include "postgres.h"

#include "compat.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "routing/routing.h"

#define RING_CACHE_KEEP 8
#define RING_CACHE_BUDGET ((Size) 256 * 1024 * 1024)

typedef struct CachedRing
{
	uint32		num_shards;
	uint32		virtual_nodes;
	uint64		last_used;
	TimestampTz statement;		/* start of the last statement that used it */
	Size		bytes;
	Ring	   *ring;
} CachedRing;

static CachedRing *rings = NULL;
static int	ring_count = 0;
static int	ring_capacity = 0;
static uint64 use_clock = 0;
static uint64 ring_builds = 0;	/* rings this backend has built, for ring_cache() */
uint64		ds_ring_cache_epoch = 1;
static MemoryContext ring_cache_context = NULL;	/* "dakera_shard ring cache" */

/* The cache's memory context (pg_backend_memory_contexts shows it), made at first use. */
static MemoryContext
cache_context(void)
{
	if (ring_cache_context == NULL)
		ring_cache_context = AllocSetContextCreate(TopMemoryContext, "dakera_shard ring cache",
												   ALLOCSET_SMALL_SIZES);
	return ring_cache_context;
}

static Ring *
build_local_ring(const Shape *shape, Size bytes)
{
	void	   *block = MemoryContextAllocHuge(cache_context(), bytes);
	Ring	   *ring = NULL;

	PG_TRY();
	{
		ring = build_ring_into(block, shape);
	}
	PG_CATCH();
	{
		pfree(block);			/* a long-lived context: do not keep it on error */
		PG_RE_THROW();
	}
	PG_END_TRY();
	return ring;
}

static Size
cached_bytes(void)
{
	Size		total = 0;

	for (int i = 0; i < ring_count; i++)
		total += rings[i].bytes;
	return total;
}

/* Evict rings no statement under way uses, oldest first, until within budget. */
static void
evict_to_budget(Size incoming, TimestampTz now)
{
	while (ring_count >= RING_CACHE_KEEP || cached_bytes() + incoming > RING_CACHE_BUDGET)
	{
		int			victim = -1;

		for (int i = 0; i < ring_count; i++)
			if (rings[i].statement != now &&
				(victim < 0 || rings[i].last_used < rings[victim].last_used))
				victim = i;
		if (victim < 0 && cached_bytes() + incoming > RING_CACHE_BUDGET)
			ereport(ERROR,
					errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					errmsg("a statement routes with more rings of explicit shapes than fit in %d MB",
						   (int) (RING_CACHE_BUDGET / (1024 * 1024))),
					errdetail("It holds %d rings of %zu bytes and needs another of %zu bytes.",
							  ring_count, cached_bytes(), incoming),
					errhint("Route one statement with fewer consistent_hash shapes, or with range or jump, which need no ring."));
		if (victim < 0)
			return;				/* all in use by this statement, within budget: keep them */
		pfree(rings[victim].ring);
		rings[victim] = rings[--ring_count];
		ds_ring_cache_epoch++;	/* pointers kept by call sites may dangle now */
	}
}

const Ring *
ring_cache_get(uint32 num_shards, uint32 virtual_nodes, uint64 *ring_epoch)
{
	const ServerRing *server = server_ring_if_built();
	TimestampTz now = GetCurrentStatementStartTimestamp();
	Shape		shape = {STRATEGY_CONSISTENT_HASH, num_shards, virtual_nodes};
	CachedRing *slot;
	Size		bytes;

	if (server != NULL && server->ring != NULL && server->shape.num_shards == num_shards &&
		server->shape.virtual_nodes == virtual_nodes)
	{
		*ring_epoch = ds_ring_cache_epoch;
		return server->ring;
	}
	for (int i = 0; i < ring_count; i++)
		if (rings[i].num_shards == num_shards && rings[i].virtual_nodes == virtual_nodes)
		{
			rings[i].last_used = ++use_clock;
			rings[i].statement = now;
			*ring_epoch = ds_ring_cache_epoch;
			return rings[i].ring;
		}

	CHECK_FOR_INTERRUPTS();		/* a ring takes up to a few hundred ms to build */
	bytes = ring_block_size(&shape);	/* sizing hashes the points: once */
	evict_to_budget(bytes, now);
	if (ring_count == ring_capacity)
	{
		ring_capacity = Max(RING_CACHE_KEEP, ring_capacity * 2);
		rings = rings == NULL ?
			MemoryContextAlloc(cache_context(), sizeof(CachedRing) * ring_capacity) :
			repalloc(rings, sizeof(CachedRing) * ring_capacity);
	}
	slot = &rings[ring_count];
	slot->ring = build_local_ring(&shape, bytes);
	ring_builds++;
	slot->num_shards = num_shards;
	slot->virtual_nodes = virtual_nodes;
	slot->bytes = bytes;
	slot->last_used = ++use_clock;
	slot->statement = now;
	ring_count++;
	*ring_epoch = ds_ring_cache_epoch;
	return slot->ring;
}

/*
 * ring_cache(): the rings of explicit shapes this backend holds now, their
 * bytes, and how many rings it has built since it started.
 */
PG_FUNCTION_INFO_V1(ring_cache);
Datum
ring_cache(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int32GetDatum(ring_count);
	values[1] = Int64GetDatum((int64) cached_bytes());
	values[2] = Int64GetDatum((int64) ring_builds);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
