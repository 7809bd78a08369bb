-- hash_vectors: under the server's own ring, whatever its shape, every vector
-- of the engine made with that shape lands in the partition FOR VALUES WITH
-- (MODULUS <shards>, REMAINDER <its shard>) of a table PARTITION BY HASH
-- (key shard_ops), and a lookup of its key is pruned to that partition.
-- The output is the same under every server configuration run by make test.

-- the vectors made with the server's shape (modulo and consistent_hash route
-- alike; virtual nodes matter only to the ring)
CREATE TABLE server_vectors AS
SELECT DISTINCT v.key, v.shard_id FROM shard_vectors v, shard_ring() s
WHERE v.num_shards = s.num_shards
  AND CASE WHEN s.strategy IN ('consistent_hash', 'modulo')
           THEN v.strategy IN ('consistent_hash', 'modulo') AND v.virtual_nodes = s.virtual_nodes
           ELSE v.strategy = s.strategy END;
SELECT count(*) >= 120 AS has_vectors FROM server_vectors;

-- one partition for each shard the vectors reach (a server may have 65536)
CREATE TABLE hvx (key text, shard_id int) PARTITION BY HASH (key shard_ops);
DO $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT DISTINCT v.shard_id, s.num_shards FROM server_vectors v, shard_ring() s LOOP
        EXECUTE format('CREATE TABLE hvx_%s PARTITION OF hvx FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                       p.shard_id, p.num_shards, p.shard_id);
    END LOOP;
END
$$;
INSERT INTO hvx SELECT key, shard_id FROM server_vectors;

-- the one partition a lookup of a key scans, from its plan
CREATE FUNCTION scanned_partitions(k text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    found text := '';
BEGIN
    FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT * FROM hvx WHERE key = %L', k) LOOP
        IF line ~ 'Scan on ' THEN
            found := found || substring(line from 'Scan on (\S+)') || ' ';
        END IF;
    END LOOP;
    RETURN rtrim(found);
END
$$;
SELECT count(*) >= 120 AS rows,
       count(*) FILTER (WHERE tableoid::regclass::text <> 'hvx_' || shard_id) AS misplaced,
       count(*) FILTER (WHERE scanned_partitions(key) <> 'hvx_' || shard_id) AS not_pruned_to_own,
       count(*) FILTER (WHERE shard_for(key) <> shard_id) AS shard_for_differs
FROM hvx
HAVING count(*) = (SELECT count(*) FROM server_vectors);

-- uuid-shaped keys, stored as uuid, route as their text
CREATE TABLE uvx (key uuid, shard_id int) PARTITION BY HASH (key shard_uuid_ops);
DO $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT DISTINCT v.shard_id, s.num_shards FROM server_vectors v, shard_ring() s LOOP
        EXECUTE format('CREATE TABLE uvx_%s PARTITION OF uvx FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                       p.shard_id, p.num_shards, p.shard_id);
    END LOOP;
END
$$;
INSERT INTO uvx SELECT key::uuid, shard_id FROM server_vectors
WHERE key ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
SELECT count(*) >= 30 AS has_uuid_vectors,
       count(*) FILTER (WHERE tableoid::regclass::text <> 'uvx_' || shard_id) AS misplaced,
       count(*) FILTER (WHERE shard_for(key) <> shard_id) AS shard_for_uuid_differs
FROM uvx;

DROP TABLE hvx, uvx, server_vectors;
DROP FUNCTION scanned_partitions(text);
