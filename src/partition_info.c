/*
 * partition_info.c: partition_info(), the DBA's map of shards to nodes.
 *
 * Design: one row per shard of the server's ring with its placement from
 * dakera_shard.nodes and dakera_shard.replication_factor (ROUTING.md, "Node
 * placement"; core/placement.c).  Those settings are PGC_SIGHUP, so the map
 * follows pg_reload_conf() without a restart.  What the extension does not
 * know (node health, vector counts, bytes) is NULL, never a made-up value.
 */
#include "dakera_shard.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#define PARTITION_INFO_COLS 6

/* The serving nodes of one shard as text Datums, primary first. */
static int
shard_node_names(uint32 shard, Datum *names, uint32 *scratch)
{
	uint32		count;

	if (ds_nodes->count == 0)
	{
		names[0] = CStringGetTextDatum(psprintf("node-%u", shard));
		return 1;
	}
	count = placement_for_shard(shard, (uint32) ds_nodes->count,
								(uint32) ds_replication_factor, scratch);
	for (uint32 r = 0; r < count; r++)
		names[r] = CStringGetTextDatum(ds_nodes->names[scratch[r]]);
	return (int) count;
}

PG_FUNCTION_INFO_V1(partition_info);
Datum
partition_info(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const ServerRing *ring = server_ring();
	int			max_nodes = Max(1, Min(ds_replication_factor, ds_nodes->count));
	Datum	   *names = palloc(sizeof(Datum) * max_nodes);
	uint32	   *scratch = palloc(sizeof(uint32) * max_nodes);

	InitMaterializedSRF(fcinfo, 0);
	for (uint32 shard = 0; shard < ring->shape.num_shards; shard++)
	{
		Datum		values[PARTITION_INFO_COLS];
		bool		nulls[PARTITION_INFO_COLS] = {false, false, false, true, true, true};
		int			count = shard_node_names(shard, names, scratch);

		values[0] = Int32GetDatum((int32) shard);
		values[1] = PointerGetDatum(construct_array(names, count, TEXTOID, -1, false, TYPALIGN_INT));
		values[2] = names[0];
		/* is_healthy, vector_count, memory_bytes: not known here, so NULL */
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		for (int i = 0; i < count; i++)
			pfree(DatumGetPointer(names[i]));
	}
	return (Datum) 0;
}
