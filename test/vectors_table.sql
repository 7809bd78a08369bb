-- vectors_table.sql: the sharded vector table, written once for make demo,
-- the TAP test test/t/050_vectors.pl and make bench.  A psql script: set
-- :tbl (the table's name) and :embedding_type (vector(64), or real[] where
-- pgvector is missing) first.
--
-- One partition per shard of the server's ring.  The partition key is
-- LIST (shard_for(id)) until the hash operator class of issue 14 is merged;
-- then the PARTITION BY line below becomes
--     ) PARTITION BY HASH (id shard_ops);
-- and nothing else here changes (create_shard_partitions then makes the
-- MODULUS N REMAINDER s partitions).
CREATE TABLE :"tbl" (
    id        text NOT NULL,
    embedding :embedding_type NOT NULL,
    metadata  jsonb NOT NULL DEFAULT '{}'
) PARTITION BY LIST (shard_for(id));
SELECT count(*) AS partitions_created FROM create_shard_partitions(:'tbl');
-- lookups by id (and reshard_table's batches, which walk the id in order)
CREATE INDEX ON :"tbl" (id);
