#!/usr/bin/env bash
# demo.sh: the main job (make demo).  On a machine that may have nothing:
# installs what it needs, builds and installs the extension, starts a
# throwaway PostgreSQL with dakera_shard preloaded, routes sample vector rows
# through a generated shard column and LIST partitions by shard, and prints
# the per-shard counts and the partition map.  The cluster is removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/prepare.sh
source test/cluster.sh

ROWS=${DEMO_ROWS:-20000}
cluster_new C \
	"shared_preload_libraries = 'dakera_shard'" \
	"dakera_shard.strategy = consistent_hash" \
	"dakera_shard.num_shards = 4" \
	"dakera_shard.virtual_nodes = 150" \
	"dakera_shard.nodes = 'pg-a, pg-b, pg-c'" \
	"dakera_shard.replication_factor = 2"
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
echo "server log: $(grep -o 'dakera_shard: ring.*' "$C/server.log")"

"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -v rows="$ROWS" <<'SQL'
\pset footer off
CREATE EXTENSION dakera_shard;

\echo
\echo == The ring of the server (settings in postgresql.conf, built once in shared memory)
SELECT strategy, num_shards, virtual_nodes, ring_points, ring_bytes, shared_memory,
       round(build_ms::numeric, 2) AS build_ms, recorded_num_shards, routes_alike
FROM shard_ring();

\echo == Vector rows with a generated shard column
CREATE TABLE vectors (
    id        text PRIMARY KEY,
    embedding real[] NOT NULL,
    shard_id  int GENERATED ALWAYS AS (shard_for(id)) STORED
);
INSERT INTO vectors (id, embedding)
SELECT format('ns%s:doc-%s#chunk-%s', g % 7, g / 10, g % 10),
       array(SELECT round(random()::numeric, 4)::real FROM generate_series(1, 8) WHERE g > 0)
FROM generate_series(1, :rows) g;
SELECT id, shard_id, shard_key_hash(id) AS key_hash, embedding[1:3] AS embedding_head
FROM vectors ORDER BY id LIMIT 5;

\echo == Rows per shard
SELECT shard_id, count(*) AS vectors,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS percent
FROM vectors GROUP BY shard_id ORDER BY shard_id;

\echo == The same rows in a table partitioned by shard (LIST partitions)
CREATE TABLE vectors_by_shard (id text NOT NULL, embedding real[] NOT NULL)
    PARTITION BY LIST (shard_for(id));
SELECT format('CREATE TABLE vectors_by_shard_%s PARTITION OF vectors_by_shard FOR VALUES IN (%s)',
              shard_id, shard_id)
FROM partition_info() \gexec
INSERT INTO vectors_by_shard SELECT id, embedding FROM vectors;
SELECT tableoid::regclass AS partition, count(*) AS vectors
FROM vectors_by_shard GROUP BY 1 ORDER BY 1;
EXPLAIN (COSTS OFF) SELECT * FROM vectors_by_shard WHERE shard_for(id) = shard_for('ns3:doc-42#chunk-3');

\echo == shard_batch: get_shards_batch of the engine, for one request
SELECT shard_id, ids FROM shard_batch(ARRAY(SELECT id FROM vectors ORDER BY id LIMIT 8));

\echo == partition_info(): the partition map (no table given, so sizes are NULL)
SELECT * FROM partition_info();

\echo == partition_info(table): rows and bytes measured from the table itself
SELECT * FROM partition_info('vectors');

\echo == Node pg-a reported down: its shards are served by a replica
SELECT set_node_health('pg-a', false);
SELECT * FROM shard_assignment('ns3:doc-42#chunk-3');

\echo == shard_overview: per shard, nodes, health, rows and bytes of every sharded table
SELECT * FROM shard_overview;
SQL
