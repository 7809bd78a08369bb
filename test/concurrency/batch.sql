-- a batch puts every key, once, on the shard shard_for gives it
\set first random(1, 200)
SELECT 1 / (count(*) = 41 AND bool_and(shard_for(k) = b.shard_id))::int
FROM shard_batch(ARRAY(SELECT key FROM ring_vectors WHERE n BETWEEN :first AND :first + 40 ORDER BY n)) b,
     unnest(b.ids) k;
