
-- Grants on objects created or re-created since 0.1.0, in the fresh install
-- and in the update alike (re-created objects start from default privileges).
GRANT SELECT ON shard_overview TO PUBLIC;

-- Internal helpers (dakera_shard_internal, new since 0.1.0).  Those that the
-- public functions call as their caller stay executable by everyone who may
-- call those: valid_node_ids (the CHECK of shard_placement), local_node,
-- routed_tables, table_routing, table_readable, shard_rows,
-- shard_partition_plan, create_shard_partition, reshard_batch,
-- reshard_hash_step, and the Citus helpers of partition_info and
-- shard_overview (citus_tables, citus_shard_nodes, citus_one_ring,
-- citus_partition_info, citus_listed_tables: catalog reads, and the
-- measuring of shard_rows).  Each checks its own arguments and the caller's rights
-- (ownership to create partitions or move rows, SELECT to measure) before it
-- reads or runs anything, so that calling one directly gives nothing the
-- public function would not (test/t/103_call_everything.pl calls every one
-- as a plain role).  ring_cache is a diagnostic no public function calls:
-- for superusers and dakera_shard_admin only.
REVOKE ALL ON FUNCTION dakera_shard_internal.ring_cache() FROM PUBLIC;
-- the event trigger's function is called by PostgreSQL only
REVOKE ALL ON FUNCTION dakera_shard_internal.refuse_shard_ops_index() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dakera_shard_internal.ring_cache() TO dakera_shard_admin;
COMMENT ON ROLE dakera_shard_admin IS
    'Members may change dakera_shard placement, node health and the recorded ring shape.';
-- citus_reshard records the ring as record_shard_ring does: for superusers
-- and dakera_shard_admin (who must also own the tables it rewrites)
REVOKE ALL ON FUNCTION citus_reshard(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION citus_reshard(regclass) TO dakera_shard_admin;
