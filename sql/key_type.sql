-- key_type: the key type shard_key without Citus: its hash lands in the
-- interval of the key's shard, PARTITION BY HASH (id) keeps the shards, and
-- it works with text as text does.

-- support function 1: -2^31 + s * (2^32 / N) + (low bits from the key's
-- hash), so the interval of each hash is the key's shard; distinct keys
-- still get (almost always) distinct hashes
SELECT count(*) AS keys,
       count(*) FILTER (WHERE least((h::bigint + 2147483648) / (4294967296 / n), n - 1) = shard_for(k)) AS in_its_interval,
       count(DISTINCT h) AS distinct_hashes
FROM (SELECT 'vec-' || g AS k FROM generate_series(1, 10000) g) x,
     LATERAL (SELECT shard_interval_hash(x.k::shard_key) AS h, (SELECT num_shards FROM shard_ring()) AS n) y;
-- support function 2 agrees with it at seed 0, and differs with other seeds
SELECT count(*) FILTER (WHERE (shard_interval_hash_extended(k::shard_key, 0) & 4294967295)
                              <> (shard_interval_hash(k::shard_key)::bigint & 4294967295)) AS disagree_at_seed_0,
       count(DISTINCT shard_interval_hash_extended(k::shard_key, 7)) AS distinct_seed_7
FROM (SELECT 'vec-' || g AS k FROM generate_series(1, 1000) g) x;

-- the default classes, and both validate
SELECT c.opcname, a.amname, c.opcdefault, amvalidate(c.oid) AS valid
FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
WHERE c.opcintype = 'shard_key'::regtype ORDER BY 1;

-- PARTITION BY HASH (id) with the default class: shard s in remainder s
CREATE TABLE kp (id shard_key NOT NULL, n int) PARTITION BY HASH (id);
CREATE TABLE kp_0 PARTITION OF kp FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE kp_1 PARTITION OF kp FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE kp_2 PARTITION OF kp FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE kp_3 PARTITION OF kp FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO kp SELECT 'vec-' || g, g FROM generate_series(1, 2000) g;
SELECT tableoid::regclass AS partition, count(*) > 0 AS has_rows,
       bool_and(shard_for(id) = substring(tableoid::regclass::text FROM '\d+$')::int) AS all_belong
FROM kp GROUP BY 1 ORDER BY 1;
SELECT shard_for('vec-10');
EXPLAIN (COSTS OFF) SELECT * FROM kp WHERE id = 'vec-10';

-- with text: casts, comparisons both ways, text functions
SELECT 'a'::shard_key = 'a'::text AS key_eq_text, 'a'::text < 'b'::shard_key AS text_lt_key,
       'vec'::shard_key || '-1' AS concatenated, shard_for('doc-1'::shard_key) = shard_for('doc-1') AS same_shard,
       pg_typeof('x'::shard_key::text) AS to_text;
CREATE TABLE kt (id shard_key PRIMARY KEY, note text);
INSERT INTO kt SELECT 'vec-' || g, 'note ' || g FROM generate_series(1, 1000) g;
INSERT INTO kt VALUES ('from-text'::text, 'assigned');
ANALYZE kt;
-- a text parameter uses the key index (= between shard_key and text is in its B-tree family)
PREPARE by_text(text) AS SELECT note FROM kt WHERE id = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE by_text('vec-5');
EXECUTE by_text('vec-5');
RESET plan_cache_mode;
DEALLOCATE by_text;
-- a join with a text column
CREATE TEMP TABLE refs AS SELECT 'vec-' || g AS ref FROM generate_series(1, 1000, 7) g;
SELECT count(*) AS joined FROM refs JOIN kt ON kt.id = refs.ref;
-- hash aggregate and DISTINCT on keys
SET enable_sort = off;
SELECT count(*) AS groups FROM (SELECT id FROM kt GROUP BY id) g;
RESET enable_sort;

-- shard_uuid: the same for uuid keys, routed as their canonical text
SELECT count(*) AS keys,
       count(*) FILTER (WHERE least((h::bigint + 2147483648) / (4294967296 / n), n - 1) = shard_for(u)) AS in_its_interval,
       count(*) FILTER (WHERE h = shard_interval_hash(u::text::shard_key)) AS as_its_text
FROM (SELECT md5(g::text)::uuid AS u FROM generate_series(1, 2000) g) x,
     LATERAL (SELECT shard_interval_hash(x.u::shard_uuid) AS h, (SELECT num_shards FROM shard_ring()) AS n) y;
SELECT c.opcname, a.amname, c.opcdefault, amvalidate(c.oid) AS valid
FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
WHERE c.opcintype = 'shard_uuid'::regtype ORDER BY 1;
CREATE TABLE ku (id shard_uuid NOT NULL) PARTITION BY HASH (id);
CREATE TABLE ku_0 PARTITION OF ku FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE ku_1 PARTITION OF ku FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE ku_2 PARTITION OF ku FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE ku_3 PARTITION OF ku FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO ku SELECT md5(g::text)::uuid FROM generate_series(1, 2000) g;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE shard_for(id) <> substring(tableoid::regclass::text FROM '\d+$')::int) AS misplaced
FROM ku;
SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::shard_uuid = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS key_eq_uuid,
       pg_typeof('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::shard_uuid::uuid) AS to_uuid;
DROP TABLE ku;

-- the Citus functions without Citus: refused, with what to do
SELECT distribute_table('kt');
SELECT * FROM citus_shard_check();
SELECT * FROM citus_shard_map('kt');

DROP TABLE kp, kt;
