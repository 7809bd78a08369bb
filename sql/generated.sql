-- generated: shard_for(text) in a generated column, in LIST partitions by
-- shard, and in an expression index, as application developers use it.

-- a table of vector rows with a generated shard column
CREATE TABLE items (
    id        text PRIMARY KEY,
    embedding real[] NOT NULL,
    shard_id  int GENERATED ALWAYS AS (shard_for(id)) STORED
);
INSERT INTO items (id, embedding)
SELECT 'vec-' || g, ARRAY[g, g / 2.0, g / 3.0]::real[] FROM generate_series(1, 2000) g;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE shard_id <> shard_for(id, 4, 'consistent_hash', 150)) AS wrong_shard,
       count(DISTINCT shard_id) AS shards_used
FROM items;
-- an UPDATE of the key moves the row's shard with it
UPDATE items SET id = 'moved-' || id WHERE id IN ('vec-1', 'vec-2');
SELECT id, shard_id = shard_for(id) AS follows_key FROM items WHERE id LIKE 'moved-%' ORDER BY id;

-- an expression index on shard_for (requires IMMUTABLE) is used
CREATE INDEX items_by_shard ON items (shard_for(id));
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM items WHERE shard_for(id) = 2;
SELECT count(*) = (SELECT count(*) FROM items WHERE shard_id = 2) AS index_agrees
FROM items WHERE shard_for(id) = 2;
RESET enable_seqscan;

-- a table partitioned by shard: one LIST partition per shard
CREATE TABLE items_parted (id text NOT NULL, embedding real[] NOT NULL)
    PARTITION BY LIST (shard_for(id));
CREATE TABLE items_parted_0 PARTITION OF items_parted FOR VALUES IN (0);
CREATE TABLE items_parted_1 PARTITION OF items_parted FOR VALUES IN (1);
CREATE TABLE items_parted_2 PARTITION OF items_parted FOR VALUES IN (2);
CREATE TABLE items_parted_3 PARTITION OF items_parted FOR VALUES IN (3);
INSERT INTO items_parted SELECT id, embedding FROM items;
-- every row sits in the partition of its shard
SELECT tableoid::regclass AS partition, count(*) > 0 AS has_rows,
       bool_and(shard_for(id) = substring(tableoid::regclass::text FROM '\d+$')::int) AS all_belong
FROM items_parted GROUP BY 1 ORDER BY 1;
SELECT (SELECT count(*) FROM items_parted) = (SELECT count(*) FROM items) AS nothing_lost;
-- a query on one shard scans one partition
EXPLAIN (COSTS OFF) SELECT * FROM items_parted WHERE shard_for(id) = 1;
-- a query by key prunes to its shard's partition when the key is a constant
EXPLAIN (COSTS OFF) SELECT * FROM items_parted WHERE shard_for(id) = shard_for('vec-10');

-- the explicit form works as a partition key too
CREATE TABLE items_jump (id text NOT NULL) PARTITION BY LIST (shard_for(id, 2, 'jump'));
CREATE TABLE items_jump_0 PARTITION OF items_jump FOR VALUES IN (0);
CREATE TABLE items_jump_1 PARTITION OF items_jump FOR VALUES IN (1);
INSERT INTO items_jump SELECT id FROM items;
SELECT count(*) FILTER (WHERE shard_for(id, 2, 'jump') <> substring(tableoid::regclass::text FROM '\d+$')::int) AS misplaced
FROM items_jump;

-- a row whose shard has no partition is refused, not lost
DROP TABLE items_parted_3;
INSERT INTO items_parted SELECT id, embedding FROM items WHERE shard_id = 3 LIMIT 1;

DROP TABLE items, items_parted, items_jump;

-- declared volatility, strictness and parallel safety of every function
SELECT p.oid::regprocedure AS function, p.provolatile AS volatility,
       p.proisstrict AS strict, p.proparallel AS parallel
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dakera_shard'
ORDER BY p.oid::regprocedure::text;

-- every object the extension installs is explained (\dx+, \df+, \d+ show it)
SELECT pg_describe_object(d.classid, d.objid, 0) AS undocumented
FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dakera_shard'
WHERE d.deptype = 'e'
  AND pg_catalog.obj_description(d.objid, (SELECT c.relname FROM pg_class c WHERE c.oid = d.classid)) IS NULL
  -- 17 and later record the row types of the extension's tables and views as
  -- its members too; they are described by their relations
  AND NOT EXISTS (SELECT FROM pg_type t WHERE d.classid = 'pg_type'::regclass AND t.oid = d.objid
                  AND (t.typrelid <> 0 OR EXISTS (SELECT FROM pg_type e WHERE e.oid = t.typelem AND e.typrelid <> 0)))
UNION ALL
SELECT format('column %s.%s', a.attrelid::regclass, a.attname)
FROM pg_attribute a JOIN pg_depend d ON d.objid = a.attrelid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dakera_shard'
WHERE a.attnum > 0 AND NOT a.attisdropped AND pg_catalog.col_description(a.attrelid, a.attnum) IS NULL
ORDER BY 1;
SELECT pg_catalog.shobj_description(oid, 'pg_authid') IS NOT NULL AS admin_role_documented
FROM pg_roles WHERE rolname = 'dakera_shard_admin';
