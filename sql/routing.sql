-- routing: every vector row through shard_key_hash and the explicit shard_for.

-- the key hash, bit for bit (the bigint's bits read as unsigned)
SELECT count(*) AS rows,
       count(*) FILTER (WHERE u64(shard_key_hash(key)) <> hash_u64) AS mismatches
FROM hash_vectors;

-- every shard vector through shard_for(key, num_shards, strategy, virtual_nodes)
SELECT strategy, num_shards, virtual_nodes, count(*) AS rows,
       count(*) FILTER (WHERE shard_for(key, num_shards, strategy, virtual_nodes) <> shard_id) AS mismatches
FROM shard_vectors GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- range, recomputed in numeric from the hash: min(floor(h / step), N - 1)
SELECT n, count(*) AS keys,
       count(*) FILTER (WHERE shard_for(key, n, 'range') <>
           least(floor(u64(shard_key_hash(key)) / floor((18446744073709551615::numeric) / n)), n - 1)) AS mismatches
FROM hash_vectors, (VALUES (1), (2), (3), (7), (1000), (1000000)) AS t(n)
GROUP BY n ORDER BY n;

-- modulo is served by the consistent-hash ring: the same shard, every key and shape
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE shard_for(key, n, 'modulo', v) <> shard_for(key, n, 'consistent_hash', v)) AS differ
FROM hash_vectors, (VALUES (1, 1), (3, 7), (16, 150), (100, 10)) AS t(n, v);

-- results stay within 0 .. num_shards - 1 for every strategy
SELECT s AS strategy, min(shard_for(key, 5, s, 3)) AS lowest, max(shard_for(key, 5, s, 3)) AS highest
FROM hash_vectors, unnest(ARRAY['consistent_hash', 'range', 'modulo', 'jump']) AS s
GROUP BY s ORDER BY s;

-- defaults: strategy consistent_hash, 150 virtual nodes
SELECT count(*) FILTER (WHERE shard_for(key, 16) <> shard_for(key, 16, 'consistent_hash', 150)) AS differ
FROM hash_vectors;

-- NULL in, NULL out; the empty key is a key
SELECT shard_for(NULL) IS NULL AS server_form, shard_for(NULL, 4) IS NULL AS explicit_form,
       shard_for('k', NULL) IS NULL AS null_shards, shard_key_hash(NULL) IS NULL AS hash;
SELECT u64(shard_key_hash('')) = (SELECT hash_u64 FROM hash_vectors WHERE key_hex = '') AS empty_key_hash,
       shard_for('', 4) = (SELECT shard_id FROM shard_vectors
                           WHERE key_hex = '' AND strategy = 'consistent_hash' AND num_shards = 4 AND virtual_nodes = 150) AS empty_key_shard;

-- a 1 MB multi-byte key, stored compressed and out of line: the hash sees the
-- same bytes as the literal, and range agrees with the numeric formula
CREATE TABLE big_keys (id text);
INSERT INTO big_keys VALUES (repeat('ключ', 131072));
SELECT octet_length(id) AS bytes,
       pg_column_size(id) < octet_length(id) AS stored_compressed,
       shard_key_hash(id) = shard_key_hash(repeat('ключ', 131072)) AS same_hash,
       shard_for(id, 7, 'range') = least(floor(u64(shard_key_hash(id)) / floor(18446744073709551615::numeric / 7)), 6) AS range_agrees,
       shard_for(id, 7, 'jump') BETWEEN 0 AND 6 AS jump_in_range,
       shard_for(id) = shard_for(repeat('ключ', 131072)) AS same_server_shard
FROM big_keys;
-- stored out of line without compression: the same
ALTER TABLE big_keys ALTER COLUMN id SET STORAGE EXTERNAL;
INSERT INTO big_keys VALUES (repeat('Schlüssel', 100000));
SELECT pg_column_compression(id) IS NULL AS not_compressed,
       shard_key_hash(id) = shard_key_hash(repeat('Schlüssel', 100000)) AS same_hash,
       shard_for(id) = shard_for(repeat('Schlüssel', 100000)) AS same_server_shard,
       shard_for(id, 64, 'consistent_hash', 150) = shard_for(repeat('Schlüssel', 100000), 64, 'consistent_hash', 150) AS same_explicit_shard
FROM big_keys WHERE id LIKE 'Sch%';
DROP TABLE big_keys;

-- the explicit form inside one query with several shapes: each call site
-- keeps its own ring, and rings rebuilt after eviction answer the same
SELECT count(*) FILTER (WHERE a <> shard_id) AS mismatches
FROM (SELECT shard_id, shard_for(key, num_shards, strategy, virtual_nodes) AS a
      FROM shard_vectors ORDER BY random()) s;
