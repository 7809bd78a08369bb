/*
 * hash_partitions.c: tables PARTITION BY HASH (key shard_ops), read from the
 * catalog.
 *
 * Design: such a table is routed by the server's ring (shard_hash_ops.c puts
 * shard s in the partition of remainder s when the modulus is the shard
 * count).  It is recognised from pg_partitioned_table alone: HASH strategy,
 * one key column (partattrs, no expression), and an operator class
 * (partclass) whose extended hash support function is one of ours: that is
 * recognised in routing_key.c, with every other routing key.  Here: what
 * the partitions' bounds mean.  Nothing is evaluated and no relation is
 * opened.  A partition's bound
 * (MODULUS m, REMAINDER r) takes the shards s of the server's ring with
 * s mod m = r: exactly shard r when m is the shard count, which is the only
 * layout create_shard_partitions makes; another modulus (a table not yet
 * re-sharded) still says truthfully where PostgreSQL puts each shard's rows.
 */
#include "postgres.h"

#include "compat.h"

#include "access/hash.h"
#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_language.h"
#include "catalog/pg_partitioned_table.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "extension.h"
#include "hashops/hashops.h"
#include "routing/routing.h"
#include "tables/tables.h"

/* The shards of the server's ring that a HASH bound (MODULUS m, REMAINDER r) takes. */
List *
hash_bound_shards(const PartitionBoundSpec *spec)
{
	int32		num_shards = (int32) server_shape().num_shards;
	List	   *shards = NIL;

	if (spec->modulus <= 0 || spec->remainder < 0)
		return NIL;
	for (int32 s = spec->remainder; s < num_shards; s += spec->modulus)
		shards = lappend_int(shards, s);
	return shards;
}

/* The bound spec of a partition, read from pg_class; NULL when it has none. */
PartitionBoundSpec *
partition_bound(Oid partition)
{
	Node	   *spec = syscache_node(RELOID, partition, Anum_pg_class_relpartbound);

	return spec != NULL && IsA(spec, PartitionBoundSpec) ? (PartitionBoundSpec *) spec : NULL;
}

/*
 * create_shard_partitions on a HASH parent: every existing partition must
 * use the modulus num_shards (PostgreSQL accepts moduli that divide each
 * other, but a partition of another modulus takes several shards, or part of
 * one).  Refuses with the partition and its modulus otherwise.
 */
void
check_hash_partition_modulus(Oid parent, int32 num_shards)
{
	ListCell   *lc;

	foreach(lc, find_inheritance_children(parent, NoLock))
	{
		PartitionBoundSpec *spec = partition_bound(lfirst_oid(lc));

		if (spec != NULL && spec->strategy == PARTITION_STRATEGY_HASH && spec->modulus != num_shards)
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					errmsg("partition %s of %s uses modulus %d, but the server's ring has %d shards",
						   qualified_relation(lfirst_oid(lc)), qualified_relation(parent), spec->modulus, num_shards),
					errdetail("A partition holds exactly one shard only when its modulus is the shard count; with modulus %d it takes other shards' rows.",
							  spec->modulus),
					errhint("Re-shard the table to %d partitions with CALL reshard_hash_table('%s'), or restart the server with the shape the table was made for.",
							num_shards, qualified_relation(parent)));
	}
}
