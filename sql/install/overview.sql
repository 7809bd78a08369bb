
-- Measured: partition_info(rel) and shard_overview, after citus.sql, whose
-- functions they call for the tables Citus distributes by a shard_key or
-- shard_uuid column.

CREATE OR REPLACE FUNCTION partition_info(rel regclass, shard_column name DEFAULT NULL)
RETURNS TABLE (shard_id int, node_ids text[], primary_node text,
               is_healthy bool, vector_count bigint, memory_bytes bigint)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    -- a Citus table distributed by a shard_key or shard_uuid column: its
    -- shards' nodes are Citus's placements (citus_partition_info); only one
    -- of the two branches runs (each is gated on k)
    WITH k AS MATERIALIZED (
             SELECT t.key_column FROM dakera_shard_internal.citus_tables() t
             WHERE t.rel = partition_info.rel AND partition_info.shard_column IS NULL),
         r AS MATERIALIZED (
             SELECT * FROM dakera_shard_internal.table_routing(rel, shard_column)
             WHERE NOT EXISTS (SELECT FROM k)),
         c AS (SELECT s.* FROM r, dakera_shard_internal.shard_rows(rel, r.shard_column, false) s),
         m AS (SELECT p.* FROM r, @extschema@.placement_map(r.num_shards) p)
    SELECT coalesce(m.shard_id, c.shard_id), m.node_ids, m.primary_node, m.is_healthy,
           coalesce(c.rows, 0), coalesce(c.bytes, 0)
    FROM m FULL JOIN c ON c.shard_id = m.shard_id
    UNION ALL
    SELECT i.* FROM dakera_shard_internal.citus_partition_info(rel, (SELECT k.key_column FROM k)) i
    WHERE EXISTS (SELECT FROM k)
    ORDER BY 1
$$;
COMMENT ON FUNCTION partition_info(regclass, name) IS
    'partition_info() with vector_count and memory_bytes measured exactly from a table''s rows by one scan; for a Citus table distributed by a shard_key or shard_uuid column, each shard''s nodes are Citus''s placements.';

-- Per shard of the server's ring: nodes, health, and the rows and bytes of
-- every table routed by the server's ring that the caller may read, each row
-- counted once: tables partitioned by it or with a shard_for column, and the
-- tables Citus distributes by a shard_key or shard_uuid column (counted on
-- the workers, citus.sql; their placements' nodes in citus_nodes).  Tables
-- the caller may not measure (table_readable: other sessions' temporary
-- tables, no SELECT or schema USAGE, no user mapping for a foreign table,
-- row-level security in the way) are left out, and so, with a NOTICE, are
-- tables that cannot be measured now (their owner lacks the rights the scan
-- runs with, another session holds a lock on them, the scan fails, a Citus
-- node routes with another ring): one tenant's table never makes the view
-- fail or wait.  After citus.sql, whose functions it calls.
CREATE VIEW shard_overview WITH (security_invoker = true) AS
WITH tables AS (
    SELECT DISTINCT ON (t.rel) t.rel, t.shard_column
    FROM @extschema@.sharded_tables() t
    WHERE t.server_ring
      AND dakera_shard_internal.table_readable(t.rel)
    ORDER BY t.rel, t.shard_column NULLS FIRST
), citus AS MATERIALIZED (
    SELECT c.rel, c.key_column FROM dakera_shard_internal.citus_listed_tables() c
), per_table AS (
    SELECT r.shard_id, r.rows, r.bytes
    FROM tables t, dakera_shard_internal.shard_rows(t.rel, t.shard_column, true) r
    UNION ALL
    SELECT r.shard_id, r.rows, r.bytes
    FROM citus c, dakera_shard_internal.shard_rows(c.rel, NULL::pg_catalog.name, true, c.key_column) r
), placed AS (
    SELECT n.shard_id, pg_catalog.array_agg(DISTINCT u.node ORDER BY u.node) AS node_ids
    FROM citus c, @extschema@.shard_ring() s,
         dakera_shard_internal.citus_shard_nodes(c.rel, s.num_shards) n, pg_catalog.unnest(n.node_ids) u(node)
    GROUP BY 1
)
SELECT m.shard_id, m.node_ids, m.primary_node, m.preferred_node, m.is_healthy,
       m.registered, coalesce(pg_catalog.sum(p.rows), 0)::pg_catalog.int8 AS rows,
       coalesce(pg_catalog.sum(p.bytes), 0)::pg_catalog.int8 AS bytes,
       c.node_ids AS citus_nodes
FROM @extschema@.placement_map(NULL::pg_catalog.int4) m
LEFT JOIN per_table p ON p.shard_id OPERATOR(pg_catalog.=) m.shard_id
LEFT JOIN placed c ON c.shard_id OPERATOR(pg_catalog.=) m.shard_id
GROUP BY 1, 2, 3, 4, 5, 6, 9
ORDER BY 1;
COMMENT ON VIEW shard_overview IS
    'Per shard of the server''s ring: nodes, health, the rows and bytes of every table routed by it that you may read (Citus tables distributed by a shard_key or shard_uuid column included), and the nodes of their Citus placements.';
COMMENT ON COLUMN shard_overview.shard_id IS 'A shard of the server''s ring.';
COMMENT ON COLUMN shard_overview.node_ids IS 'Its nodes, primary first.';
COMMENT ON COLUMN shard_overview.primary_node IS 'Its first node.';
COMMENT ON COLUMN shard_overview.preferred_node IS 'Its first healthy node.';
COMMENT ON COLUMN shard_overview.is_healthy IS 'Whether any of its nodes is healthy (NULL: health unknown, not preloaded).';
COMMENT ON COLUMN shard_overview.registered IS 'Whether its placement is registered rather than computed.';
COMMENT ON COLUMN shard_overview.rows IS 'Rows of this shard in the tables routed by the server''s ring that you may read.';
COMMENT ON COLUMN shard_overview.bytes IS 'Bytes of their column values as stored.';
COMMENT ON COLUMN shard_overview.citus_nodes IS 'The nodes of Citus''s active placements of this shard over the tables Citus distributes by a shard_key or shard_uuid column that you may read; NULL without such tables.';
