
-- 0.1.0's tables, brought to 0.2.0's shape (storage.sql): constraints named,
-- node lists and recorded shapes validated by the tables themselves.  A row
-- that breaks them stops the update, naming the constraint.
ALTER TABLE shard_placement
    DROP CONSTRAINT shard_placement_node_ids_check,
    ADD CONSTRAINT shard_placement_node_ids_check CHECK (dakera_shard_internal.valid_node_ids(node_ids));
ALTER TABLE shard_ring_record
    ADD CONSTRAINT shard_ring_record_shape_check CHECK (
        strategy IN ('consistent_hash', 'range', 'modulo', 'jump')
        AND num_shards BETWEEN 1 AND 1000000
        AND virtual_nodes BETWEEN 1 AND 10000
        AND (strategy IN ('range', 'jump') OR num_shards::bigint * virtual_nodes <= 4194304));
