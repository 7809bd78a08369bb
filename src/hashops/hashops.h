/*
 * hashops.h: tables PARTITION BY HASH (key shard_ops): what their partitions'
 * bounds mean (hash_partitions.c); the operator classes themselves are SQL
 * entry points (shard_hash_ops.c), which share their hash with the key types
 * shard_key and shard_uuid of Citus (shard_key_type.c); their keys are
 * recognised with every other routing key (tables.h).
 */
#ifndef DAKERA_SHARD_HASHOPS_H
#define DAKERA_SHARD_HASHOPS_H

#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"

/* hash_partitions.c: what a partition's bound takes */
extern List *hash_bound_shards(const PartitionBoundSpec *spec);
extern PartitionBoundSpec *partition_bound(Oid partition);
extern void check_hash_partition_modulus(Oid parent, int32 num_shards);

/* shard_hash_ops.c: what the hash of the key type (shard_key_type.c) shares with shard_ops */
extern void shard_hash_check_collation(Oid collid, const char *what);
extern void shard_hash_refuse_index(FunctionCallInfo fcinfo, const char *opclass);
extern int64 shard_partition_hash(uint32 shard);
#define UUID_TEXT_LEN 36		/* uuid's canonical text, without terminator */
struct pg_uuid_t;
extern void shard_uuid_text(const struct pg_uuid_t *uuid, char *out);

#endif
