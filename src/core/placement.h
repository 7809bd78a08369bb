/*
 * placement.h: which nodes serve a shard (docs/routing.md, "Node placement").
 *
 * Placement never changes a key's shard.  With no nodes configured shard s is
 * served by "node-{s}" alone; with nodes n0..n(M-1) and replication factor R,
 * by n[(s + r) mod M] for r in 0..min(R, M)-1, primary first, as the engine's
 * rebalance does.
 */
#ifndef DAKERA_PLACEMENT_H
#define DAKERA_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

/* Longest node name, in bytes (PostgreSQL's NAMEDATALEN - 1, as for a server name). */
#define NODE_NAME_MAX 63

/*
 * Why a node name is not acceptable, or NULL if it is: non-empty, at most
 * NODE_NAME_MAX bytes, no comma (names are listed comma-separated in
 * dakera_shard.nodes) and no white space at either end (the list is trimmed).
 */
const char *node_name_problem(const char *name, size_t len);

/*
 * Write into out[] the indexes (into the node list) of the nodes that serve
 * shard, primary first, and return how many: min(replication_factor,
 * num_nodes).  With num_nodes == 0 it returns 0: the caller names the single
 * default node "node-{shard}".
 */
uint32_t	placement_for_shard(uint32_t shard, uint32_t num_nodes,
								uint32_t replication_factor, uint32_t *out);

#endif
