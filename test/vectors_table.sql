-- vectors_table.sql: the sharded vector table, written once for make demo,
-- the TAP test test/t/050_vectors.pl and make bench.  A psql script: set
-- :tbl (the table's name) and :embedding_type (vector(64), or real[] where
-- pgvector is missing) first.
--
-- One partition per shard of the server's ring: PARTITION BY HASH (id
-- shard_ops), whose partition of remainder s holds shard s, so that
-- PostgreSQL prunes a lookup by id to one partition with no shard_for in the
-- query (docs/partitioning.md).  LIST (shard_for(id)) would work
-- here too; create_shard_partitions makes the partitions for either.
CREATE TABLE :"tbl" (
    id        text NOT NULL,
    embedding :embedding_type NOT NULL,
    metadata  jsonb NOT NULL DEFAULT '{}'
) PARTITION BY HASH (id shard_ops);
SELECT count(*) AS partitions_created FROM create_shard_partitions(:'tbl');
-- lookups by id (and reshard_table's batches, which walk the id in order)
CREATE INDEX ON :"tbl" (id);
