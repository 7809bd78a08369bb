-- hash_partitions: PARTITION BY HASH (id shard_ops), one partition per shard,
-- pruned by PostgreSQL from plain predicates on the id.
-- Run under dakera_shard.strategy = consistent_hash, num_shards = 4,
-- virtual_nodes = 150, preloaded (test/run_tests.sh, ring4), after setup.

-- the partition a row of a HASH-partitioned table sits in, by its remainder
CREATE FUNCTION remainder_of(part regclass) RETURNS int LANGUAGE sql STABLE
    RETURN (SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'remainder (\d+)', 'i'))[1]::int
            FROM pg_class c WHERE c.oid = part);

CREATE TABLE hv (id text NOT NULL, payload int) PARTITION BY HASH (id shard_ops);
SELECT p::text FROM create_shard_partitions('hv') p ORDER BY 1;
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'hv'::regclass ORDER BY 1;
-- a second run creates nothing
SELECT count(*) AS created_again FROM create_shard_partitions('hv');

-- COPY and INSERT ... SELECT: every row in the partition of shard_for(id)
COPY hv FROM STDIN;
doc-1#chunk-0	1
doc-1#chunk-1	2
doc-2#chunk-0	3
doc-14	4
	5
x	6
\.
INSERT INTO hv SELECT 'vec-' || g, g FROM generate_series(1, 20000) g;
SELECT tableoid::regclass AS partition, count(*) AS rows,
       count(*) FILTER (WHERE shard_for(id) IS DISTINCT FROM remainder_of(tableoid)) AS elsewhere
FROM hv GROUP BY 1 ORDER BY 1;
SELECT shard_for('doc-1#chunk-0') AS doc1_shard, shard_for('vec-1') AS vec1_shard,
       shard_for('vec-2') AS vec2_shard, shard_for('vec-3') AS vec3_shard;

-- plan-time pruning: =, IN, = ANY, UPDATE and DELETE by id
EXPLAIN (COSTS OFF) SELECT * FROM hv WHERE id = 'doc-1#chunk-0';
EXPLAIN (COSTS OFF) SELECT * FROM hv WHERE id IN ('vec-1', 'vec-2');
EXPLAIN (COSTS OFF) SELECT * FROM hv WHERE id = ANY (ARRAY['vec-1', 'vec-3']);
EXPLAIN (COSTS OFF) UPDATE hv SET payload = 0 WHERE id = 'vec-1';
EXPLAIN (COSTS OFF) DELETE FROM hv WHERE id = 'vec-2';
SELECT * FROM hv WHERE id = 'doc-1#chunk-0';
SELECT * FROM hv WHERE id IN ('vec-1', 'vec-2') ORDER BY id;
-- a varchar argument is compared as text and pruned the same way
EXPLAIN (COSTS OFF) SELECT * FROM hv WHERE id = 'vec-3'::varchar;

-- run-time pruning: a prepared statement with a generic plan
SET plan_cache_mode = force_generic_plan;
PREPARE by_id(text) AS SELECT * FROM hv WHERE id = $1;
EXPLAIN (COSTS OFF) EXECUTE by_id('vec-3');
EXECUTE by_id('vec-3');
EXECUTE by_id('doc-14');
PREPARE by_ids(text[]) AS SELECT * FROM hv WHERE id = ANY ($1) ORDER BY id;
EXPLAIN (COSTS OFF) EXECUTE by_ids(ARRAY['vec-1', 'vec-2']);
EXECUTE by_ids(ARRAY['vec-1', 'vec-2']);
-- (PostgreSQL prunes = ANY only for a constant array: with a parameter array
-- every partition is scanned, and the answer is the same)
-- UPDATE and DELETE with a generic plan: the partitions scanned (PostgreSQL
-- 18 also leaves the pruned partitions out of the plan's result relations,
-- which earlier versions list: only the scan is shown)
CREATE FUNCTION scanned(statement text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || statement LOOP
        IF line ~ 'Scan on|Subplans Removed' THEN
            RETURN NEXT regexp_replace(line, ' hv(_[0-9]+)?$', '');
        END IF;
    END LOOP;
END $$;
PREPARE upd(text) AS UPDATE hv SET payload = payload + 1 WHERE id = $1;
SELECT * FROM scanned('EXECUTE upd(''vec-1'')');
EXECUTE upd('vec-1');
PREPARE del(text) AS DELETE FROM hv WHERE id = $1;
SELECT * FROM scanned('EXECUTE del(''doc-2#chunk-0'')');
EXECUTE del('doc-2#chunk-0');
SELECT id, payload FROM hv WHERE id IN ('vec-1', 'doc-2#chunk-0');
DEALLOCATE upd;
DROP FUNCTION scanned(text);
DEALLOCATE del;
DEALLOCATE by_id;
DEALLOCATE by_ids;
RESET plan_cache_mode;

-- a row whose id changes moves to its new shard's partition
UPDATE hv SET id = 'vec-3-renamed' WHERE id = 'vec-3';
SELECT remainder_of(tableoid) = shard_for(id) AS in_its_shard FROM hv WHERE id = 'vec-3-renamed';

-- every vector of the engine for the server's shape lands in its shard's
-- partition (modulo routes as consistent_hash); the uuid-shaped ones too, as uuid
CREATE TABLE hvec (key text, shard_id int) PARTITION BY HASH (key shard_ops);
SELECT count(*) AS partitions FROM create_shard_partitions('hvec');
INSERT INTO hvec SELECT DISTINCT v.key, v.shard_id FROM shard_vectors v, shard_ring() s
WHERE v.num_shards = s.num_shards AND v.virtual_nodes = s.virtual_nodes
  AND v.strategy IN ('consistent_hash', 'modulo');
SELECT count(*) >= 120 AS has_vectors,
       count(*) FILTER (WHERE remainder_of(tableoid) IS DISTINCT FROM shard_id) AS misplaced,
       count(DISTINCT tableoid) AS partitions_used
FROM hvec;
CREATE TABLE uvec (key uuid, shard_id int) PARTITION BY HASH (key shard_uuid_ops);
SELECT count(*) AS partitions FROM create_shard_partitions('uvec');
INSERT INTO uvec SELECT key::uuid, shard_id FROM hvec
WHERE key ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
SELECT count(*) >= 30 AS has_uuid_vectors,
       count(*) FILTER (WHERE remainder_of(tableoid) IS DISTINCT FROM shard_id) AS misplaced,
       count(*) FILTER (WHERE shard_for(key) <> shard_id) AS shard_for_uuid_differs,
       count(*) FILTER (WHERE shard_for(key) <> shard_for(key::text)) AS differs_from_text
FROM uvec;
-- upper-case input is the same uuid, and routes as its canonical text
SELECT shard_for('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid) = shard_for('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11') AS canonical;
EXPLAIN (COSTS OFF) SELECT * FROM uvec WHERE key = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';

-- NULL keys: PostgreSQL gives a NULL key no hash and puts it in remainder 0,
-- whatever shard_for would say (it says NULL); reached by IS NULL, which is
-- pruned to that partition.  shard_verify and re-sharding leave it alone.
CREATE TABLE hnull (id text, n int) PARTITION BY HASH (id shard_ops);
SELECT count(*) AS partitions FROM create_shard_partitions('hnull');
INSERT INTO hnull VALUES (NULL, 1), ('vec-1', 2), (NULL, 3);
SELECT n, id IS NULL AS null_key, remainder_of(tableoid) AS remainder, shard_for(id) FROM hnull ORDER BY n;
EXPLAIN (COSTS OFF) SELECT * FROM hnull WHERE id IS NULL;
SELECT * FROM shard_verify('hnull', 'id');

-- what understands tables routed by shard_for understands these
SELECT * FROM sharded_tables() WHERE rel::text IN ('hv', 'hvec', 'uvec', 'hnull') ORDER BY rel::text;
SELECT * FROM shard_key_info('uvec');
SELECT shard_id, node_ids, primary_node, vector_count, memory_bytes > 0 AS has_bytes
FROM partition_info('hv');
SELECT * FROM shard_verify('hv', 'id');
SELECT sum(rows) AS rows, count(*) FILTER (WHERE from_shard <> to_shard) > 0 AS some_move
FROM reshard_plan('hv'::regclass, 'id', 8);
SELECT sum(rows) >= (SELECT count(*) FROM hv) AS overview_counts_hv FROM shard_overview;

-- a row put in the wrong partition by hand (ALTER TABLE ... DETACH, insert,
-- ATTACH is refused by PostgreSQL's own check) cannot be made: satisfies_hash_partition
-- uses the same function
CREATE TABLE hv_stray (id text NOT NULL, payload int);
INSERT INTO hv_stray VALUES ('vec-1', 0);
ALTER TABLE hv DETACH PARTITION hv_shard_1;
ALTER TABLE hv ATTACH PARTITION hv_stray FOR VALUES WITH (MODULUS 4, REMAINDER 1);
ALTER TABLE hv ATTACH PARTITION hv_shard_1 FOR VALUES WITH (MODULUS 4, REMAINDER 1);
DROP TABLE hv_stray;

-- other hash tables are not ours: PostgreSQL's text_ops, and a class whose
-- support function has our name but is not the extension's
CREATE TABLE hplain (id text) PARTITION BY HASH (id);
CREATE SCHEMA evil;
CREATE FUNCTION evil.shard_hash_extended(key text, seed bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE RETURN 0;
CREATE OPERATOR CLASS fake_shard_ops FOR TYPE text USING hash AS
    OPERATOR 1 = (text, text), FUNCTION 2 evil.shard_hash_extended(text, bigint);
CREATE TABLE hfake (id text) PARTITION BY HASH (id fake_shard_ops);
SELECT count(*) AS listed FROM sharded_tables() WHERE rel::text IN ('hplain', 'hfake');
SELECT * FROM create_shard_partitions('hfake');
DROP TABLE hfake, hplain;
DROP OPERATOR FAMILY fake_shard_ops USING hash;
DROP SCHEMA evil CASCADE;

-- another modulus is refused, and nothing is created
CREATE TABLE hmod (id text) PARTITION BY HASH (id shard_ops);
CREATE TABLE hmod_half PARTITION OF hmod FOR VALUES WITH (MODULUS 2, REMAINDER 0);
SELECT * FROM create_shard_partitions('hmod');
SELECT count(*) AS partitions FROM pg_inherits WHERE inhparent = 'hmod'::regclass;
DROP TABLE hmod;

-- the shape check: a recorded shape that differs from the server's is
-- refused by routing and by pruning alike, never silently routed elsewhere
BEGIN;
UPDATE shard_ring_record SET num_shards = 8;
SAVEPOINT s;
INSERT INTO hv VALUES ('new-row', 0);
ROLLBACK TO s;
SELECT * FROM hv WHERE id = 'vec-1';
ROLLBACK TO s;
COPY hv FROM STDIN;
copied	1
\.
ROLLBACK TO s;
-- reading without routing still works
SELECT count(*) > 0 AS readable FROM hv;
ROLLBACK;
SELECT count(*) AS vec1 FROM hv WHERE id = 'vec-1';

DROP TABLE hv, hvec, uvec, hnull;
DROP FUNCTION remainder_of(regclass);
