
-- Grants on objects created or re-created since 0.1.0, in the fresh install
-- and in the update alike (re-created objects start from default privileges).
GRANT SELECT ON shard_overview TO PUBLIC;
COMMENT ON ROLE dakera_shard_admin IS
    'Members may change dakera_shard placement, node health and the recorded ring shape.';
