-- batch: shard_batch(text[]) groups keys as the engine's get_shards_batch.

-- all vector keys, duplicates included: every input element comes out exactly
-- once, on the shard shard_for gives it, shards ascending, input order kept
CREATE TABLE batch_input AS
SELECT array_agg(key ORDER BY ord) AS keys
FROM (SELECT key, row_number() OVER () AS ord
      FROM (SELECT key FROM shard_vectors UNION ALL SELECT key FROM hash_vectors) k) t;
CREATE TABLE batch_output AS
SELECT row_number() OVER () AS row_no, b.shard_id, b.ids FROM batch_input, shard_batch(keys) b;

SELECT (SELECT cardinality(keys) FROM batch_input) AS keys_in,
       (SELECT sum(cardinality(ids)) FROM batch_output) AS keys_out,
       (SELECT count(*) FROM batch_output) = (SELECT count(DISTINCT shard_for(k)) FROM batch_input, unnest(keys) k) AS one_row_per_shard,
       (SELECT bool_and(shard_id > prev) FROM (SELECT shard_id, lag(shard_id, 1, -1) OVER (ORDER BY row_no) AS prev FROM batch_output) s) AS ascending;

-- the same multiset of keys, each on its own shard
WITH input AS (SELECT k, ord FROM batch_input, unnest(keys) WITH ORDINALITY AS u(k, ord)),
     output AS (SELECT o.shard_id, u.k, u.pos FROM batch_output o, unnest(o.ids) WITH ORDINALITY AS u(k, pos))
SELECT (SELECT count(*) FROM (SELECT k, count(*) FROM input GROUP BY k
                              EXCEPT SELECT k, count(*) FROM output GROUP BY k) d) AS key_counts_differ,
       (SELECT count(*) FROM output WHERE shard_for(k) <> shard_id) AS wrong_shard;
-- input order inside a shard, checked on keys with repeats: each id array
-- equals the input keys of that shard in input order
SELECT count(*) AS shards_out_of_order
FROM batch_output o
WHERE o.ids IS DISTINCT FROM (SELECT array_agg(k ORDER BY ord)
                             FROM batch_input, unnest(keys) WITH ORDINALITY AS u(k, ord)
                             WHERE shard_for(k) = o.shard_id);
-- the id arrays are ordinary text[] values: one dimension from 1, the same
-- after a round trip through their text form, and equal to their copies
-- stored in batch_output
SELECT bool_and(array_ndims(ids) = 1 AND array_lower(ids, 1) = 1 AND
                array_upper(ids, 1) = cardinality(ids)) AS one_dimension_from_1,
       bool_and(ids = ids::text::text[]) AS same_after_text_round_trip
FROM batch_output;
SELECT count(*) AS stored_arrays_differ
FROM batch_output o, batch_input i, shard_batch(i.keys) b
WHERE b.shard_id = o.shard_id AND b.ids IS DISTINCT FROM o.ids;
DROP TABLE batch_input, batch_output;

-- an array that once held a NULL keeps its null bitmap: it routes like any other
CREATE TABLE bitmap_input AS SELECT ARRAY['k1', NULL, 'k3']::text[] AS keys;
UPDATE bitmap_input SET keys[2] = 'k2';
SELECT array_agg(shard_id = shard_for(k) ORDER BY k) AS each_on_its_shard, array_agg(k ORDER BY k) AS keys
FROM bitmap_input, shard_batch(keys), unnest(ids) k;
DROP TABLE bitmap_input;

-- duplicates are kept, in input order, whatever shards the keys land on
WITH input(keys) AS (VALUES (ARRAY['a', 'b', 'a', 'a', 'c']))
SELECT (SELECT count(*) FROM shard_batch(keys)) = (SELECT count(DISTINCT shard_for(k)) FROM unnest(keys) k) AS one_row_per_shard,
       (SELECT sum(cardinality(ids)) FROM shard_batch(keys)) AS ids,
       (SELECT ids FROM shard_batch(keys) WHERE shard_id = shard_for('a')) =
       (SELECT array_agg(k ORDER BY o) FROM unnest(keys) WITH ORDINALITY u(k, o) WHERE shard_for(k) = shard_for('a')) AS a_row_in_order,
       (SELECT cardinality(array_positions(ids, 'a')) FROM shard_batch(keys) WHERE 'a' = ANY (ids)) AS copies_of_a
FROM input;

-- empty and NULL input give no rows; a one-element array gives one
SELECT count(*) AS from_empty FROM shard_batch('{}'::text[]);
SELECT count(*) AS from_null FROM shard_batch(NULL);
SELECT shard_id = shard_for('solo') AS same_shard, ids FROM shard_batch(ARRAY['solo']);
-- lower bounds other than 1 are fine
SELECT sum(cardinality(ids)) AS ids FROM shard_batch('[5:7]={x,y,z}'::text[]);

-- 100000 keys agree with GROUP BY shard_for, in both directions
WITH keys AS (SELECT array_agg('doc-' || g ORDER BY g) AS a FROM generate_series(1, 100000) g),
     batch AS (SELECT b.shard_id, cardinality(b.ids)::bigint AS n FROM keys, shard_batch(keys.a) b),
     grouped AS (SELECT shard_for(k) AS shard_id, count(*) AS n FROM keys, unnest(keys.a) k GROUP BY 1)
SELECT (SELECT count(*) FROM batch) = (SELECT count(*) FROM grouped) AS same_shards,
       (SELECT count(*) FROM ((TABLE batch EXCEPT TABLE grouped) UNION ALL (TABLE grouped EXCEPT TABLE batch)) d) AS differences;

-- nothing silently dropped: NULL elements and nested arrays are errors
SELECT * FROM shard_batch(ARRAY['a', NULL, 'b']);
SELECT * FROM shard_batch('[0:1]={x,NULL}'::text[]);
SELECT * FROM shard_batch(ARRAY[['a', 'b'], ['c', 'd']]);
