/*
 * placement.h: placement and health, in sections: the settings of placement
 * (defined in settings.c with the others) and node health in shared memory
 * (node_health.c).  Which nodes serve a shard is shard_placement.c.
 */
#ifndef DAKERA_SHARD_PLACEMENT_H
#define DAKERA_SHARD_PLACEMENT_H

#include "datatype/timestamp.h"

#include "core/placement.h"

/* settings.c: dakera_shard.nodes and dakera_shard.replication_factor */
extern int	ds_replication_factor;

#define MAX_NODES 1024			/* names in dakera_shard.nodes */
#define NODE_ARRAY_MAX 100		/* nodes of one shard: the largest replication factor */

/* The hint of every error about a node name (the rule is node_name_problem's). */
#define NODE_NAME_HINT "A node name has 1 to 63 bytes, no comma and no white space at either end."
StaticAssertDecl(NODE_NAME_MAX == 63, "NODE_NAME_HINT states NODE_NAME_MAX");

typedef struct NodeList
{
	int			count;
	char		names[FLEXIBLE_ARRAY_MEMBER][NAMEDATALEN];
} NodeList;

extern const NodeList *ds_nodes;	/* parsed dakera_shard.nodes, never NULL */

/* node_health.c: node health reports in shared memory */
#define MAX_HEALTH_NODES 1024

typedef struct NodeHealth
{
	char		name[NAMEDATALEN];
	bool		healthy;
	TimestampTz changed_at;
} NodeHealth;

typedef struct HealthSnapshot
{
	int			count;
	NodeHealth	nodes[FLEXIBLE_ARRAY_MEMBER];	/* sorted by name */
} HealthSnapshot;

extern Size node_health_shmem_size(void);
extern void node_health_shmem_request(void);
extern void node_health_shmem_init(void);
extern HealthSnapshot *node_health_snapshot(void);
extern bool node_is_healthy(const HealthSnapshot *health, const char *node);

#endif
