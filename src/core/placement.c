/*
 * placement.c: the engine's round-robin placement of shards on nodes.
 */
#include "placement.h"

#include <string.h>

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

const char *
node_name_problem(const char *name, size_t len)
{
	if (len == 0)
		return "is empty";
	if (len > NODE_NAME_MAX)
		return "is longer than 63 bytes";
	if (memchr(name, ',', len) != NULL)
		return "contains a comma";
	if (is_space(name[0]) || is_space(name[len - 1]))
		return "begins or ends with white space";
	if (memchr(name, '\0', len) != NULL)
		return "contains a zero byte";
	return NULL;
}

uint32_t
placement_for_shard(uint32_t shard, uint32_t num_nodes,
					uint32_t replication_factor, uint32_t *out)
{
	uint32_t	count = replication_factor < num_nodes ? replication_factor : num_nodes;

	for (uint32_t r = 0; r < count; r++)
		out[r] = (uint32_t) (((uint64_t) shard + r) % num_nodes);
	return count;
}
