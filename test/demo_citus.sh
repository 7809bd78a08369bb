#!/usr/bin/env bash
# demo_citus.sh: the engine's shards as Citus's shards (make demo-citus).  A
# throwaway Citus cluster, a coordinator and two workers on loopback, with
# dakera_shard preloaded on each: a table of vector rows distributed by its
# shard_key id with distribute_table(), the engine's shard map as Citus
# placements, a lookup by id that runs on one worker, and the k nearest
# neighbours across the workers.  The clusters are removed at exit.
#
# Needs Citus in the server PG_CONFIG names: built from ../shared/deps by
# test/pg_build.sh MAJOR citus when it is missing (several minutes, once).
#
#   DEMO_ROWS   vector rows (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/prepare.sh
source test/cluster.sh

major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
if [ ! -f "$("$PG_CONFIG" --sharedir)/extension/citus.control" ]; then
	echo "Citus is not installed in $("$PG_CONFIG" --version): building it (test/pg_build.sh $major citus)"
	PG_CONFIG=$PG_CONFIG bash test/pg_build.sh "$major" citus >/dev/null
fi
[ -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ] || {
	echo "pgvector is not installed in $("$PG_CONFIG" --version) (bash test/pgvector.sh installs it)" >&2
	exit 1
}

ROWS=${DEMO_ROWS:-20000}
declare -A port
for n in coord w1 w2; do
	cluster_new dir \
		"shared_preload_libraries = 'citus,dakera_shard'" \
		"listen_addresses = '127.0.0.1'" \
		"dakera_shard.num_shards = 6"
	eval "dir_$n=\$dir"
	port[$n]=$(sed -n 's/^port = //p' "$dir/data/postgresql.conf" | tail -n 1)
	cluster_start "$dir" || { cat "$dir/server.log"; exit 1; }
	psql_q 'CREATE EXTENSION citus' >/dev/null
done
# the coordinator's, from here on
export PGHOST=$dir_coord PGPORT=${port[coord]}

"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -v rows="$ROWS" \
	-v pc="${port[coord]}" -v p1="${port[w1]}" -v p2="${port[w2]}" <<'SQL'
\pset footer off
SELECT citus_set_coordinator_host('127.0.0.1', :pc) \g /dev/null
SELECT citus_add_node('127.0.0.1', :p1) \g /dev/null
SELECT citus_add_node('127.0.0.1', :p2) \g /dev/null
CREATE EXTENSION vector;
CREATE EXTENSION dakera_shard;   -- Citus creates both on the workers

\echo
\echo == One ring on every node (dakera_shard.num_shards = 6 everywhere)
SELECT node, strategy, num_shards, virtual_nodes, routes_alike, same_as_coordinator FROM citus_node_rings();

\echo == A table of vector rows, distributed by its shard_key id: Citus shard i = engine shard i
CREATE TABLE vectors (id shard_key PRIMARY KEY, embedding vector(16) NOT NULL);
SELECT distribute_table('vectors');
INSERT INTO vectors
SELECT 'vec-' || g, ARRAY(SELECT sin(g * (d + 1) * 0.37) FROM generate_series(1, 16) d)::vector
FROM generate_series(1, :rows) g;

\echo == The shard map of the engine, as the placements of Citus
SELECT m.shard, m.shardid, m.min_hash, m.max_hash, m.mirrors, m.nodes, pg_size_pretty(s.shard_size) AS size
FROM citus_shard_map('vectors') m JOIN citus_shards s USING (shardid) ORDER BY m.shard;
SELECT count(*) FILTER (WHERE ok) AS checks_passed, count(*) AS checks FROM citus_shard_check();

\echo == A lookup by id: Citus sends it to the worker that holds its engine shard, as one task
SELECT shard_for('vec-42') AS engine_shard,
       (SELECT nodes[1] FROM citus_shard_map('vectors') WHERE shard = shard_for('vec-42')) AS its_node;
EXPLAIN (COSTS OFF) SELECT id FROM vectors WHERE id = 'vec-42';

\echo == The 5 nearest neighbours of vec-42, across both workers (one task per shard, merged on the coordinator)
SELECT embedding AS q FROM vectors WHERE id = 'vec-42' \gset
SELECT id, round((embedding <-> :'q')::numeric, 4) AS distance, shard_for(id) AS shard
FROM vectors ORDER BY embedding <-> :'q' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM vectors ORDER BY embedding <-> :'q' LIMIT 5;
SQL
