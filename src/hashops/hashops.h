/*
 * hashops.h: tables PARTITION BY HASH (key shard_ops): what their partitions'
 * bounds mean (hash_partitions.c); the operator classes themselves are SQL
 * entry points (shard_hash_ops.c) and their keys are recognised with every
 * other routing key (tables.h).
 */
#ifndef DAKERA_SHARD_HASHOPS_H
#define DAKERA_SHARD_HASHOPS_H

#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"

extern List *hash_bound_shards(const PartitionBoundSpec *spec);
extern PartitionBoundSpec *partition_bound(Oid partition);
extern void check_hash_partition_modulus(Oid parent, int32 num_shards);

#endif
