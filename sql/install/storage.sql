
-- What holds state ----------------------------------------------------------
-- (an upgrade from 0.1.0 brings its tables to this shape: 0.1.0--0.2.0-storage.sql)

-- Explicit placements, overriding the round robin of dakera_shard.nodes.
-- Transactional, kept across restarts, and carried by pg_dump.  Validated by
-- the table itself, whatever route a row takes in.
CREATE TABLE shard_placement (
    shard_id      int PRIMARY KEY,
    node_ids      text[] NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),
    registered_by name NOT NULL DEFAULT current_user,
    CONSTRAINT shard_placement_shard_id_check CHECK (shard_id >= 0),
    CONSTRAINT shard_placement_node_ids_check CHECK (dakera_shard_internal.valid_node_ids(node_ids))
);
SELECT pg_catalog.pg_extension_config_dump('shard_placement', '');

-- One row: the shape this database's stored shard ids were made with.
CREATE TABLE shard_ring_record (
    singleton     bool PRIMARY KEY DEFAULT true,
    strategy      text NOT NULL,
    num_shards    int NOT NULL,
    virtual_nodes int NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    recorded_by   name NOT NULL DEFAULT current_user,
    CONSTRAINT shard_ring_record_singleton_check CHECK (singleton),
    CONSTRAINT shard_ring_record_shape_check CHECK (
        strategy IN ('consistent_hash', 'range', 'modulo', 'jump')
        AND num_shards BETWEEN 1 AND 1000000
        AND virtual_nodes BETWEEN 1 AND 10000
        AND (strategy IN ('range', 'jump') OR num_shards::bigint * virtual_nodes <= 4194304))
);
