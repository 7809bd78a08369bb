-- setup: the extension and the engine's test vectors, for the suites after it.
-- The vectors are the repository's test data (test/data/); a missing
-- file fails here, loudly, and every later suite with it.
SET client_min_messages = warning;
CREATE EXTENSION dakera_shard;
RESET client_min_messages;

CREATE TABLE shard_vectors (
    strategy text, num_shards int, virtual_nodes int, key_hex text, shard_id int);
\copy shard_vectors FROM 'test/data/shard_vectors.tsv' WITH (FORMAT text, HEADER true)
CREATE TABLE hash_vectors (key_hex text, hash_u64 numeric);
\copy hash_vectors FROM 'test/data/hash_vectors.tsv' WITH (FORMAT text, HEADER true)

-- decoded keys, and the hash's unsigned value as numeric, for the checks
ALTER TABLE shard_vectors ADD COLUMN key text;
UPDATE shard_vectors SET key = convert_from(decode(key_hex, 'hex'), 'UTF8');
ALTER TABLE hash_vectors ADD COLUMN key text;
UPDATE hash_vectors SET key = convert_from(decode(key_hex, 'hex'), 'UTF8');
CREATE FUNCTION u64(h bigint) RETURNS numeric LANGUAGE sql IMMUTABLE
    RETURN CASE WHEN h < 0 THEN h::numeric + 18446744073709551616 ELSE h::numeric END;

SELECT (SELECT count(*) FROM shard_vectors) AS shard_rows,
       (SELECT count(DISTINCT (strategy, num_shards, virtual_nodes)) FROM shard_vectors) AS shapes,
       (SELECT count(*) FROM hash_vectors) AS hash_rows,
       (SELECT count(*) FROM hash_vectors WHERE key = '') AS empty_keys,
       (SELECT max(octet_length(key)) FROM hash_vectors) AS longest_key_bytes;
