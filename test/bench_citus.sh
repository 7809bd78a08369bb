#!/usr/bin/env bash
# bench_citus.sh: the Citus part of make bench.  A throwaway Citus cluster, a
# coordinator and two workers on loopback, dakera_shard preloaded on each
# (num_shards = 8), and, each the median of several runs with its ratio to a
# baseline measured in the same run (machines here are shared and noisy:
# only ratios are compared, never absolute times):
#
#   - lookups by id and COPY into a table distributed by a shard_key column
#     (distribute_table) against the same table distributed by a text column
#     (create_distributed_table, 8 shards): what the key type's hash costs;
#   - k-NN (pgvector HNSW, k = 10) over a table in 4 and in 16 shards, on one
#     node (a table partitioned by hash on the coordinator, an index per
#     partition) and across the two workers (distributed by shard_key), against
#     one table with one index on the coordinator, at the default
#     hnsw.ef_search (40) everywhere, then at equal recall: the smallest
#     per-shard ef_search that reaches the one index's recall at 40.
#
# Not a test: it asserts nothing.  A complete run also writes its output into
# docs/figures.md (section citus-pgMAJOR; test/figures_lib.sh, FIGURES_FILE=
# to only print).  Skipped, with a line that says so, on a server without
# Citus or pgvector (test/pg_build.sh MAJOR citus, test/pgvector.sh).
#
#   BENCH_ROUNDS          runs per case (default 5)
#   BENCH_CITUS_LOOKUPS   lookups per run (default 3000)
#   BENCH_CITUS_ROWS      rows per COPY (default 200000)
#   BENCH_CITUS_VECTORS   vector rows (default 20000, 32 dimensions)
#   BENCH_CITUS_QUERIES   k-NN query vectors (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/prepare.sh
source test/cluster.sh
source test/figures_lib.sh

ROUNDS=${BENCH_ROUNDS:-5}
LOOKUPS=${BENCH_CITUS_LOOKUPS:-3000}
ROWS=${BENCH_CITUS_ROWS:-200000}
VECTORS=${BENCH_CITUS_VECTORS:-20000}
QUERIES=${BENCH_CITUS_QUERIES:-50}
sharedir=$("$PG_CONFIG" --sharedir)
for ext in citus vector; do
	if [ ! -f "$sharedir/extension/$ext.control" ]; then
		echo "== citus: skipped, $ext is not installed in $("$PG_CONFIG" --version) (test/pg_build.sh MAJOR citus, test/pgvector.sh)"
		exit 0
	fi
done

declare -A port dir
for n in coord w1 w2; do
	cluster_new d "shared_preload_libraries = 'citus,dakera_shard'" "listen_addresses = '127.0.0.1'" \
		"dakera_shard.num_shards = 8" "shared_buffers = 512MB" "jit = off" "max_parallel_workers_per_gather = 0" \
		"max_parallel_maintenance_workers = 0" "maintenance_work_mem = 256MB" "synchronous_commit = off" \
		"max_wal_size = 4GB" "autovacuum = off"
	dir[$n]=$d
	port[$n]=$(sed -n 's/^port = //p' "$d/data/postgresql.conf" | tail -n 1)
	cluster_start "$d" || { cat "$d/server.log"; exit 1; }
	psql_q 'CREATE EXTENSION citus' >/dev/null
done
export PGHOST=${dir[coord]} PGPORT=${port[coord]}
psql_script() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -o /dev/null "$@"; }
data=${dir[coord]}/rows.copy vdata=${dir[coord]}/vectors.copy

major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
figures_capture "citus-pg$major" "Citus, PostgreSQL $major" "make bench (test/bench_citus.sh)" text
echo "== citus: a coordinator and two workers on loopback, num_shards = 8"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; load average: $(cut -d" " -f1-3 /proc/loadavg)"
echo "postgres: $("$PG_BIN/postgres" --version); citus $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$sharedir/extension/citus.control");" \
	"pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$sharedir/extension/vector.control"); rounds: $ROUNDS"

psql_script -v pc="${port[coord]}" -v p1="${port[w1]}" -v p2="${port[w2]}" -v rows="$ROWS" -v data="$data" \
	-v vectors="$VECTORS" -v queries="$QUERIES" -v vdata="$vdata" <<'SQL'
SELECT citus_set_coordinator_host('127.0.0.1', :pc);
SELECT citus_add_node('127.0.0.1', :p1);
SELECT citus_add_node('127.0.0.1', :p2);
CREATE EXTENSION vector;
CREATE EXTENSION dakera_shard;
-- the same rows in a table distributed by shard_key and one distributed by text
CREATE TABLE by_key (id shard_key PRIMARY KEY, v int NOT NULL, pad text NOT NULL);
SELECT distribute_table('by_key');
CREATE TABLE by_text (id text PRIMARY KEY, v int NOT NULL, pad text NOT NULL);
SELECT create_distributed_table('by_text', 'id', colocate_with => 'none', shard_count => 8);
COPY (SELECT 'vec-' || substr(md5(g::text), 1, 16), g, repeat('x', 40) FROM generate_series(1, :rows) g) TO :'data';
-- lookups by id: n keys of the table, each its own query (a router query to one worker)
-- (cast: written after the parameter, '::public.shard_key' to compare keys of the key type)
CREATE FUNCTION lookups(tbl regclass, n int, "cast" text DEFAULT '') RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    total bigint := 0;
    x int;
BEGIN
    FOR i IN 1 .. n LOOP
        EXECUTE format('SELECT v FROM %s WHERE id = $1%s', tbl, "cast") INTO x
            USING 'vec-' || substr(md5(((i * 7919) % 200000 + 1)::text), 1, 16);
        total := total + coalesce(x, 0);
    END LOOP;
    RETURN total;
END $$;
-- vectors: 100 topics, each row near one
SELECT setseed(0.5);
CREATE TABLE topics AS
    SELECT t, array_agg((random() - 0.5)::real ORDER BY d) AS center
    FROM generate_series(0, 99) t, generate_series(1, 32) d GROUP BY t;
CREATE FUNCTION near(center real[]) RETURNS vector LANGUAGE sql VOLATILE
RETURN (SELECT array_agg((c.x + 0.3 * (random() - 0.5))::real ORDER BY c.n)
        FROM unnest(center) WITH ORDINALITY c(x, n))::vector;
CREATE TABLE queries AS
    SELECT q, near(center) AS v FROM generate_series(1, :queries) q JOIN topics ON t = (q * 37) % 100;
COPY (SELECT 'doc-' || g, near(center) FROM generate_series(1, :vectors) g JOIN topics ON t = g % 100) TO :'vdata';
-- k-NN latency and answers of each query of each table, rounds interleaved
-- (the order of the tables turns with the round and the query)
CREATE FUNCTION knn_times(tables text[], rounds int)
RETURNS TABLE (tbl text, q int, ms float8, ids text[]) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    found text[];
    r record;
    n int := array_length(tables, 1);
BEGIN
    FOR round IN 0 .. rounds LOOP          -- round 0 warms the caches, untimed
        FOR r IN SELECT * FROM queries ORDER BY queries.q LOOP
            FOR j IN 0 .. n - 1 LOOP
                tbl := tables[(j + round + r.q) % n + 1];
                t0 := clock_timestamp();
                EXECUTE format('SELECT array_agg(id) FROM (SELECT id::text FROM %I ORDER BY embedding <=> $1 LIMIT 10) s', tbl)
                    INTO found USING r.v;
                IF round > 0 THEN
                    q := r.q; ms := 1000 * extract(epoch FROM clock_timestamp() - t0); ids := found;
                    RETURN NEXT;
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
END $$;
SQL
chmod 644 "$data" "$vdata"

# ms SETUP STATEMENT: run SETUP (untimed), then STATEMENT; its time in ms (psql's \timing)
ms() {
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -o /dev/null -c "$1" -c '\timing on' -c "$2" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
}
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# cases LABEL STATEMENT_TEXT STATEMENT_KEY: both run ROUNDS times, alternating
# which goes first; SETUP (with TABLE for by_text or by_key) runs untimed before each
cases() {
	local label=$1 text=$2 key=$3 t=() k=()
	for r in $(seq 1 "$ROUNDS"); do
		if [ $((r % 2)) -eq 0 ]; then
			t+=("$(ms "${SETUP//TABLE/by_text}" "$text")"); k+=("$(ms "${SETUP//TABLE/by_key}" "$key")")
		else
			k+=("$(ms "${SETUP//TABLE/by_key}" "$key")"); t+=("$(ms "${SETUP//TABLE/by_text}" "$text")")
		fi
	done
	local mt mk
	mt=$(median "${t[@]}") mk=$(median "${k[@]}")
	printf "%-36s %12.1f %12.1f %8.3f\n" "$label" "$mt" "$mk" "$(echo "$mk / $mt" | bc -l)"
}

echo
echo "== by id and COPY: shard_key against text, both distributed in 8 shards over the two workers"
printf "%-36s %12s %12s %8s\n" "case (median ms)" "text" "shard_key" "ratio"
psql_script -c "COPY by_key FROM '$data'" -c "COPY by_text FROM '$data'" -c 'VACUUM ANALYZE by_key' -c 'VACUUM ANALYZE by_text'
SETUP="SELECT lookups('TABLE', 100)" cases "$LOOKUPS lookups, id = \$1 (text)" \
	"SELECT lookups('by_text', $LOOKUPS)" "SELECT lookups('by_key', $LOOKUPS)"
SETUP="SELECT lookups('TABLE', 100, '::pg_catalog.text'), lookups('by_key', 100, '::public.shard_key')" \
	cases "$LOOKUPS lookups, id = \$1::shard_key" \
	"SELECT lookups('by_text', $LOOKUPS, '::pg_catalog.text')" "SELECT lookups('by_key', $LOOKUPS, '::public.shard_key')"
SETUP='TRUNCATE TABLE' cases "COPY $ROWS rows" "COPY by_text FROM '$data'" "COPY by_key FROM '$data'"
psql_q "SELECT count(*) FROM by_key" | grep -qx "$ROWS" || { echo "COPY lost rows" >&2; exit 1; }

echo
echo "== k-NN (k = 10, cosine) over $VECTORS rows of 32 dimensions, HNSW (m 16, ef_construction 64) on each shard,"
echo "   $QUERIES query vectors x $ROUNDS rounds: one index on the coordinator against 4 and 16 shards on one node"
echo "   (local_N: partitions of one table, merged in order by the executor) and over the two workers (shards_N:"
echo "   distributed by shard_key; Citus runs the query on every shard and merges)"
psql_script <<SQL
CREATE TABLE one_node (id text PRIMARY KEY, embedding vector(32) NOT NULL);
COPY one_node FROM '$vdata';
SET enable_indexscan = off;
CREATE TABLE truth AS SELECT q, ARRAY(SELECT id FROM one_node ORDER BY embedding <=> v LIMIT 10) AS ids FROM queries;
RESET enable_indexscan;
CREATE INDEX ON one_node USING hnsw (embedding vector_cosine_ops);
CREATE TABLE shards_4 (id shard_key PRIMARY KEY, embedding vector(32) NOT NULL);
SELECT create_distributed_table('shards_4', 'id', colocate_with => 'none', shard_count => 4);
CREATE TABLE shards_16 (id shard_key PRIMARY KEY, embedding vector(32) NOT NULL);
SELECT create_distributed_table('shards_16', 'id', colocate_with => 'none', shard_count => 16);
COPY shards_4 FROM '$vdata';
COPY shards_16 FROM '$vdata';
CREATE INDEX ON shards_4 USING hnsw (embedding vector_cosine_ops);
CREATE INDEX ON shards_16 USING hnsw (embedding vector_cosine_ops);
-- the same shards on one node: partitions of one table on the coordinator
CREATE TABLE local_4 (id text NOT NULL, embedding vector(32) NOT NULL) PARTITION BY HASH (id);
CREATE TABLE local_16 (id text NOT NULL, embedding vector(32) NOT NULL) PARTITION BY HASH (id);
SELECT format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER %s)', t || '_' || r, t, n, r)
FROM (VALUES ('local_4', 4), ('local_16', 16)) v(t, n), generate_series(0, n - 1) r \gexec
COPY local_4 FROM '$vdata';
COPY local_16 FROM '$vdata';
CREATE INDEX ON local_4 USING hnsw (embedding vector_cosine_ops);
CREATE INDEX ON local_16 USING hnsw (embedding vector_cosine_ops);
VACUUM ANALYZE one_node; VACUUM ANALYZE shards_4; VACUUM ANALYZE shards_16;
VACUUM ANALYZE local_4; VACUUM ANALYZE local_16;
SQL
# recall and median latency of tables, each query of each table once per round;
# SET LOCAL hnsw.ef_search in a transaction block reaches the workers
# (citus.propagate_set_commands = local)
knn() {  # knn EF TABLE...: lines "table median_ms recall"
	local ef=$1; shift
	local list
	list=$(printf "'%s'," "$@")
	"$PG_BIN/psql" -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 <<SQL
SET citus.propagate_set_commands = 'local';
BEGIN;
SET LOCAL hnsw.ef_search = $ef;
SELECT tbl, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3),
       round(avg((SELECT count(*) FROM unnest(t.ids) x WHERE x = ANY (truth.ids)) / 10.0), 4)
FROM knn_times(ARRAY[${list%,}], $ROUNDS) t JOIN truth USING (q) GROUP BY tbl ORDER BY tbl;
COMMIT;
SQL
}
declare -A med rec
while read -r tbl m r; do med[$tbl]=$m rec[$tbl]=$r; done < <(knn 40 one_node local_4 local_16 shards_4 shards_16)
printf "%-40s %10s %10s %12s\n" "k-NN, ef_search 40 everywhere" "median ms" "recall@10" "/ one index"
for t in one_node local_4 local_16 shards_4 shards_16; do
	printf "%-40s %10s %10s %12.2f\n" "$t" "${med[$t]}" "${rec[$t]}" "$(echo "${med[$t]} / ${med[one_node]}" | bc -l)"
done
# the setting reaches the workers: at ef_search 1 each shard's index gives one row
reached=$("$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" \
	-c "SET LOCAL hnsw.ef_search = 1" \
	-c "SELECT count(*) FROM (SELECT id FROM shards_4 ORDER BY embedding <=> (SELECT v FROM queries WHERE q = 1) LIMIT 10) s" -c "COMMIT")
echo "(rows of shards_4 at a per-shard ef_search of 1: $reached of 10; at most 4 shows that the setting reached the workers)"
echo
efs="1 2 3 4 6 8 10 15 20 30 40"
echo "equal recall: the smallest per-shard ef_search (of $efs) whose recall reaches one index's ${rec[one_node]}"
printf "%-40s %10s %10s %10s %12s\n" "table" "ef_search" "median ms" "recall@10" "/ one index"
for t in local_4 local_16 shards_4 shards_16; do
	for ef in $efs; do
		read -r _ m r < <(knn "$ef" "$t")
		[ "$(echo "$r >= ${rec[one_node]}" | bc -l)" = 1 ] && break
	done
	[ "$(echo "$r >= ${rec[one_node]}" | bc -l)" = 1 ] || ef="not reached, 40"
	printf "%-40s %10s %10s %10s %12.2f\n" "$t" "$ef" "$m" "$r" "$(echo "$m / ${med[one_node]}" | bc -l)"
done
figures_write
