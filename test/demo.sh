#!/usr/bin/env bash
# demo.sh: the main job (make demo).  On a machine that may have nothing:
# installs what it needs (pgvector too, from ../shared/deps, when the server
# lacks it), builds and installs the extension, starts a throwaway PostgreSQL
# with dakera_shard preloaded, and does what a user storing embeddings would:
# a table of vector rows with one partition per shard (test/vectors_table.sql)
# and an HNSW index on each, rows loaded with COPY, a lookup by id that reads
# one partition, the k nearest neighbours across every shard and within one,
# then the per-shard rows and bytes and the partition map.  Without pgvector
# it says so in one line and runs the same with real[] and a SQL distance.
# The cluster is removed at exit.
#
#   DEMO_ROWS      vector rows (default 20000: with fewer than a few thousand
#                  a partition, PostgreSQL rightly prefers reading it to its index)
#   DEMO_PGVECTOR  off: run the real[] variant even where pgvector is installed
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/prepare.sh
source test/cluster.sh

ROWS=${DEMO_ROWS:-20000}
DIM=64
if [ "${DEMO_PGVECTOR:-on}" != off ] && [ -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ]; then
	have_vector=on embedding_type="vector($DIM)"
else
	have_vector=off embedding_type="real[]"
	echo "pgvector: not installed here and no source in ../shared/deps (or DEMO_PGVECTOR=off), so embeddings are real[] searched without an index"
fi

cluster_new C \
	"shared_preload_libraries = 'dakera_shard'" \
	"dakera_shard.strategy = consistent_hash" \
	"dakera_shard.num_shards = 4" \
	"dakera_shard.virtual_nodes = 150" \
	"dakera_shard.nodes = 'pg-a, pg-b, pg-c'" \
	"dakera_shard.replication_factor = 2"
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
echo "server log: $(grep -o 'dakera_shard: ring.*' "$C/server.log")"

"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -v rows="$ROWS" -v dim="$DIM" -v have_vector="$have_vector" \
	-v tbl=vectors -v embedding_type="$embedding_type" -v data="$C/embeddings.tsv" <<'SQL'
\pset footer off
CREATE EXTENSION dakera_shard;
\if :have_vector
CREATE EXTENSION vector;
\else
-- without pgvector: real[] and the same <=> (cosine distance) in SQL
CREATE FUNCTION cosine_distance(a real[], b real[]) RETURNS float8 LANGUAGE sql IMMUTABLE STRICT
RETURN 1 - (SELECT sum(x * y) / sqrt(sum(x * x) * sum(y * y)) FROM unnest(a, b) u(x, y));
CREATE OPERATOR <=> (LEFTARG = real[], RIGHTARG = real[], FUNCTION = cosine_distance);
\endif

\echo
\echo == The ring of the server (settings in postgresql.conf, built once in shared memory)
SELECT strategy, num_shards, virtual_nodes, ring_points, ring_bytes, shared_memory,
       round(build_ms::numeric, 2) AS build_ms, recorded_num_shards, routes_alike
FROM shard_ring();

\echo == A table of vector rows, one partition per shard (test/vectors_table.sql)
\i test/vectors_table.sql
\d+ vectors

-- what an embedding pipeline writes: ids, 64 dimensions around 32 topics,
-- metadata (generated here, the same on every run)
SELECT setseed(0.15) AS seeded \gset
\if :have_vector
\set lb '[' \set rb ']'
\else
\set lb '{' \set rb '}'
\endif
COPY (SELECT format('ns%s:doc-%s#chunk-%s', g % 7, g / 10, g % 10),
             (SELECT :'lb' || string_agg((c.x + 0.3 * (random() - 0.5))::real::text, ',' ORDER BY c.n) || :'rb'
              FROM unnest(topic.center) WITH ORDINALITY c(x, n)),
             json_build_object('doc', g / 10, 'chunk', g % 10, 'lang', (ARRAY['en', 'de', 'fr'])[1 + g % 3])
      FROM generate_series(1, :rows) g
      JOIN (SELECT t, array_agg((random() - 0.5)::real ORDER BY d) AS center
            FROM generate_series(0, 31) t, generate_series(1, :dim) d GROUP BY t) topic ON topic.t = g % 32)
TO :'data';

\echo == COPY the rows in: each lands in the partition of its shard
COPY vectors FROM :'data';
SELECT tableoid::regclass AS partition, count(*) AS vectors,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS percent,
       bool_and(shard_for(id) = split_part(tableoid::regclass::text, '_shard_', 2)::int) AS all_of_its_shard
FROM vectors GROUP BY 1 ORDER BY 1;

\if :have_vector
\echo == An HNSW index (vector_cosine_ops): one CREATE INDEX on the parent builds one on every partition
SET maintenance_work_mem = '256MB';
CREATE INDEX vectors_embedding_idx ON vectors USING hnsw (embedding vector_cosine_ops);
SELECT indexrelid::regclass AS index, indrelid::regclass AS partition,
       pg_size_pretty(pg_relation_size(indexrelid)) AS size
FROM pg_index WHERE indrelid IN (SELECT relid FROM pg_partition_tree('vectors') WHERE isleaf) AND indexrelid::regclass::text LIKE '%embedding%'
ORDER BY 2;
\endif
ANALYZE vectors;

\echo == A lookup by id reads one partition
\set key 'ns3:doc-42#chunk-3'
-- (the shard_for condition is what LIST partitions prune on; with
-- PARTITION BY HASH (id shard_ops) it can go: id = ... alone prunes)
SELECT id, shard_for(id) AS shard_id, metadata FROM vectors
WHERE id = :'key';
EXPLAIN (COSTS OFF) SELECT id, metadata FROM vectors
WHERE id = :'key';

\echo == The 10 nearest neighbours of that row across all shards: one ordered result merged from the index of every shard
SELECT id, shard_for(id) AS shard_id, round((embedding <=> q)::numeric, 4) AS cosine_distance, metadata->>'lang' AS lang
FROM vectors, (SELECT embedding AS q FROM vectors WHERE id = :'key') query
ORDER BY embedding <=> q LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM vectors
ORDER BY embedding <=> (SELECT embedding FROM vectors WHERE id = :'key')
LIMIT 10;

\echo == The same search within one shard: the partition of the shard is a table of its own
SELECT format('vectors_shard_%s', shard_for(:'key')) AS part \gset
SELECT id, round((embedding <=> q)::numeric, 4) AS cosine_distance
FROM :"part", (SELECT embedding AS q FROM vectors WHERE id = :'key') query
ORDER BY embedding <=> q LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM :"part"
ORDER BY embedding <=> (SELECT embedding FROM vectors WHERE id = :'key')
LIMIT 5;

\echo == shard_batch over the ids a search returned: get_shards_batch of the engine, one request per shard
SELECT shard_id, ids FROM shard_batch(ARRAY(
    SELECT id FROM vectors ORDER BY embedding <=> (SELECT embedding FROM vectors WHERE id = :'key') LIMIT 10));

\echo == partition_info(): the partition map (no table given, so sizes are NULL)
SELECT * FROM partition_info();

\echo == partition_info(table): rows and bytes (ids, embeddings, metadata) measured from the table itself
SELECT * FROM partition_info('vectors');

\echo == Node pg-a reported down: its shards are served by a replica
SELECT set_node_health('pg-a', false);
SELECT * FROM shard_assignment(:'key');

\echo == shard_overview: per shard, nodes, health, rows and bytes of every sharded table
SELECT * FROM shard_overview;
SQL
