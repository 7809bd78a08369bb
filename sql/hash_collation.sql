-- hash_collation: shard_ops hashes a key's bytes, so it refuses keys under a
-- nondeterministic collation (keys such a collation finds equal could land in
-- different partitions).  Nondeterministic collations need ICU: a server
-- built without it prints the other expected output (hash_collation_1.out).
SELECT count(*) = 1 AS has_icu FROM pg_collation WHERE collname = 'und-x-icu' \gset
\if :has_icu
CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE hci (id text COLLATE case_insensitive) PARTITION BY HASH (id shard_ops);
CREATE TABLE hci_all PARTITION OF hci FOR VALUES WITH (MODULUS 1, REMAINDER 0);
INSERT INTO hci VALUES ('a');
DROP TABLE hci;
DROP COLLATION case_insensitive;
\else
SELECT 'no ICU' AS skipped;
\endif
