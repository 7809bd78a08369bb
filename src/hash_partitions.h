/*
 * hash_partitions.h: tables PARTITION BY HASH (key shard_ops), read from the
 * catalog (hash_partitions.c).
 */
#ifndef HASH_PARTITIONS_H
#define HASH_PARTITIONS_H

#include "routing_key.h"

#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"

extern bool is_shard_hash_opclass(Oid opclass);
extern bool hash_partition_routing(Oid relid, RoutingKey *key);
extern List *hash_bound_shards(const PartitionBoundSpec *spec);
extern PartitionBoundSpec *partition_bound(Oid partition);
extern void check_hash_partition_modulus(Oid parent, int32 num_shards);
extern Oid	reshard_pending_holder(Oid relid);

#endif
