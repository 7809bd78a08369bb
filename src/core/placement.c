/*
 * placement.c: the engine's round-robin placement of shards on nodes.
 */
#include "placement.h"

uint32_t
placement_for_shard(uint32_t shard, uint32_t num_nodes,
					uint32_t replication_factor, uint32_t *out)
{
	uint32_t	count = replication_factor < num_nodes ? replication_factor : num_nodes;

	for (uint32_t r = 0; r < count; r++)
		out[r] = (uint32_t) (((uint64_t) shard + r) % num_nodes);
	return count;
}
