
-- The recorded ring shape ---------------------------------------------------

COMMENT ON TABLE shard_ring_record IS
    'Ring shape the shard ids stored in this database were made with; change it with record_shard_ring().';
COMMENT ON TABLE shard_placement IS
    'Explicit shard placements; change them with register_shard_nodes() and unregister_shard_nodes().';
COMMENT ON COLUMN shard_ring_record.singleton IS 'Always true: the table holds one row.';
COMMENT ON COLUMN shard_ring_record.strategy IS 'consistent_hash, range, modulo or jump.';
COMMENT ON COLUMN shard_ring_record.num_shards IS 'Shards of the recorded ring.';
COMMENT ON COLUMN shard_ring_record.virtual_nodes IS 'Ring points per shard (consistent_hash and modulo).';
COMMENT ON COLUMN shard_ring_record.recorded_at IS 'When the shape was recorded.';
COMMENT ON COLUMN shard_ring_record.recorded_by IS 'Who recorded it.';
COMMENT ON COLUMN shard_placement.shard_id IS 'The shard, 0 to num_shards - 1.';
COMMENT ON COLUMN shard_placement.node_ids IS 'Its nodes, primary first: 1 to 100 distinct names of 1 to 63 bytes.';
COMMENT ON COLUMN shard_placement.registered_at IS 'When the placement was registered.';
COMMENT ON COLUMN shard_placement.registered_by IS 'Who registered it.';

-- Any change to the record, by any route, tells every backend to check again
-- and to drop its cached plans (which may hold folded shard_for constants).
CREATE OR REPLACE FUNCTION shard_ring_record_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'shard_ring_record_changed'
LANGUAGE C;
COMMENT ON FUNCTION shard_ring_record_changed() IS
    'Trigger of shard_ring_record: every backend checks the recorded shape again at its next transaction.';

CREATE OR REPLACE TRIGGER shard_ring_record_changed
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON shard_ring_record
FOR EACH STATEMENT EXECUTE FUNCTION shard_ring_record_changed();
COMMENT ON TRIGGER shard_ring_record_changed ON shard_ring_record IS
    'Tells every backend that the recorded shape changed.';

-- The record before a change: HASH tables' rows were placed under it, and a
-- new record that routes differently (even at the same shard count) guards them.
CREATE OR REPLACE TRIGGER shard_ring_record_before_change
BEFORE INSERT OR UPDATE ON shard_ring_record
FOR EACH STATEMENT EXECUTE FUNCTION shard_ring_record_changed();
COMMENT ON TRIGGER shard_ring_record_before_change ON shard_ring_record IS
    'Keeps the recorded shape as it was before the statement, so that a change to a shape that routes differently guards the HASH tables whose rows it makes stale.';

CREATE OR REPLACE FUNCTION shard_ring(
    OUT strategy text, OUT num_shards int, OUT virtual_nodes int,
    OUT recorded_strategy text, OUT recorded_num_shards int,
    OUT recorded_virtual_nodes int, OUT recorded_at timestamptz,
    OUT routes_alike bool, OUT ring_points int, OUT ring_bytes bigint,
    OUT shared_memory bool, OUT build_ms float8)
AS 'MODULE_PATHNAME', 'shard_ring'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION shard_ring() IS
    'The server''s ring shape, the shape recorded in this database, whether they route alike, and the ring itself.';

CREATE OR REPLACE FUNCTION record_shard_ring() RETURNS text
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO @extschema@.shard_ring_record AS r (strategy, num_shards, virtual_nodes)
    SELECT s.strategy, s.num_shards, s.virtual_nodes FROM @extschema@.shard_ring() s
    ON CONFLICT (singleton) DO UPDATE
        SET strategy = excluded.strategy,
            num_shards = excluded.num_shards,
            virtual_nodes = excluded.virtual_nodes,
            recorded_at = pg_catalog.now(),
            recorded_by = CURRENT_USER
    RETURNING pg_catalog.format('strategy=%s num_shards=%s virtual_nodes=%s',
                                r.strategy, r.num_shards, r.virtual_nodes);
$$;
COMMENT ON FUNCTION record_shard_ring() IS
    'Records the server''s ring shape as the one this database''s stored shard ids are made with; run it after re-sharding.';
