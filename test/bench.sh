#!/usr/bin/env bash
# bench.sh: make bench.  Starts a throwaway preloaded cluster and prints, for
# each case, the median of several runs and its ratio to a baseline measured
# in the same run (machines here are shared and noisy: only ratios are
# compared, never absolute times).  Not a test: it asserts nothing.  A
# complete run also writes its output into docs/figures.md (section
# bench-pgMAJOR; test/figures_lib.sh, FIGURES_FILE= to only print).
#
#   BENCH_ROUNDS   runs per case (default 5)
#   BENCH_INSERT_ROUNDS  runs per INSERT case (default 11: the kernel's work
#                  extending files makes those the noisiest)
#   BENCH_KEYS     keys routed per query (default 2000000)
#   PG_CONFIG      the server (Debian's PostgreSQL 15 by default); make bench
#                  PG_VERSIONS="15 18" runs this on each in turn
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/prepare.sh
source test/cluster.sh
source test/figures_lib.sh

ROUNDS=${BENCH_ROUNDS:-5}
KEYS=${BENCH_KEYS:-2000000}
export PGDATABASE=bench

cluster_new C "shared_preload_libraries = 'dakera_shard'" "shared_buffers = 1GB" "jit = off" \
	"max_parallel_workers_per_gather = 0" "synchronous_commit = off" "max_wal_size = 4GB" \
	"autovacuum = off"  # no vacuum or analyze of one case's rows while another is timed
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
PGDATABASE=postgres psql_q "CREATE DATABASE bench" >/dev/null

reshape() {  # reshape STRATEGY NUM_SHARDS: restart with that ring and record it
	cluster_stop "$C"
	cluster_conf "$C" "dakera_shard.strategy = $1" "dakera_shard.num_shards = $2" "dakera_shard.virtual_nodes = 150"
	cluster_start "$C" || { cat "$C/server.log"; exit 1; }
	psql_q "SELECT record_shard_ring()" >/dev/null
}

major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
figures_capture "bench-pg$major" "Routing, ring and tables, PostgreSQL $major" "make bench (test/bench.sh)" text
echo "== machine"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; memory: $(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "postgres: $("$PG_BIN/postgres" --version); rounds: $ROUNDS (INSERT: ${BENCH_INSERT_ROUNDS:-11}); keys per query: $KEYS"

psql_script() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -o /dev/null; }
psql_script <<SQL
CREATE EXTENSION dakera_shard;
CREATE TABLE keys AS SELECT 'vec-' || substr(md5(g::text), 1, 16) AS id FROM generate_series(1, $KEYS) g;
VACUUM ANALYZE keys;
-- median wall time in ms of each query, run round-robin ROUNDS times (each
-- round starting at the next query); setup
-- (if any) runs untimed before every timed query
CREATE FUNCTION bench(queries text[], rounds int, setup text DEFAULT NULL) RETURNS TABLE (q int, median_ms float8)
LANGUAGE plpgsql AS \$\$
DECLARE
    t0 timestamptz;
    i int;
BEGIN
    FOR i IN 1 .. array_length(queries, 1) LOOP EXECUTE queries[i]; END LOOP;  -- warm
    CREATE TEMP TABLE IF NOT EXISTS bench_times (q int, ms float8);
    TRUNCATE bench_times;
    FOR r IN 1 .. rounds LOOP
        -- each round starts at another query, so no case always runs first
        FOR j IN 0 .. array_length(queries, 1) - 1 LOOP
            i := (j + r) % array_length(queries, 1) + 1;
            IF setup IS NOT NULL THEN EXECUTE setup; END IF;
            t0 := clock_timestamp();
            EXECUTE queries[i];
            INSERT INTO bench_times VALUES (i, 1000 * extract(epoch FROM clock_timestamp() - t0));
        END LOOP;
    END LOOP;
    RETURN QUERY SELECT b.q, percentile_cont(0.5) WITHIN GROUP (ORDER BY b.ms) FROM bench_times b GROUP BY b.q ORDER BY b.q;
END
\$\$;
SQL

# run_cases LABEL QUERY...: print the medians and the ratio of each to the first
# (BENCH_SETUP, if set, runs untimed before every timed query)
run_cases() {
	local label=$1; shift
	local setup=${BENCH_SETUP:+\$s\$$BENCH_SETUP\$s\$}
	local array="ARRAY[" sep="" q
	for q in "$@"; do array+="$sep\$q\$$q\$q\$"; sep=","; done
	array+="]"
	psql_q "SELECT string_agg(to_char(median_ms, 'FM999990.0'), ' ' ORDER BY q) FROM bench($array, $ROUNDS, ${setup:-NULL})" |
		awk -v label="$label" '{ printf "%-34s", label; for (i = 1; i <= NF; i++) printf " %9s", $i;
		                          for (i = 2; i <= NF; i++) printf "  %6.3f", $i / $1; printf "\n" }'
}

echo
echo "== shard_for vs hashtext(id) % N, $KEYS keys of 20 bytes (ms: baseline, shard_for(id), explicit form; ratios)"
printf "%-34s %9s %9s %9s  %6s  %6s\n" "strategy / N" "hashtext" "server" "explicit" "srv/b" "exp/b"
for n in 64 4096; do
	for s in consistent_hash modulo range jump; do
		reshape "$s" "$n"
		run_cases "$s / $n" \
			"SELECT sum(hashtext(id) % $n) FROM keys" \
			"SELECT sum(shard_for(id)) FROM keys" \
			"SELECT sum(shard_for(id, $n, '$s', 150)) FROM keys"
	done
done

echo
echo "== ring build at server start and shared memory (consistent_hash 4096 x 150)"
reshape consistent_hash 4096
psql_q "SELECT format('build %s ms; %s points; %s bytes of shared memory = %s bytes a point',
                      round(build_ms::numeric, 1), ring_points, ring_bytes, round(ring_bytes::numeric / ring_points, 2))
        FROM shard_ring()"
grep -o 'dakera_shard: ring .*' "$C/server.log" | tail -n 1

echo
echo "== a new connection's first shard_for: the first statement's time in each of 60 new sessions"
echo "   (median ms), the two rings measured in turn twice"
first_calls() {  # print the first statement's time (ms) in 30 new sessions
	for i in $(seq 1 30); do
		"$PG_BIN/psql" -X -q -c '\timing on' -c "SELECT shard_for('vec-$i')" 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
	done
}
: >"$C/first_big.txt"; : >"$C/first_small.txt"
for turn in 1 2; do
	first_calls >>"$C/first_big.txt"   # the server has the 4096 x 150 ring here
	reshape consistent_hash 4
	first_calls >>"$C/first_small.txt"
	if [ $turn -eq 1 ]; then reshape consistent_hash 4096; fi
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
awk -v s="$(median "$C/first_small.txt")" -v b="$(median "$C/first_big.txt")" \
	'BEGIN { printf "4 x 150: %.3f ms   4096 x 150: %.3f ms   ratio %.3f\n", s, b, b / s }'

echo
echo "== shard_batch over a 1000000-element array vs GROUP BY shard_for (consistent_hash 64)"
reshape consistent_hash 64
psql_q "CREATE TABLE batch_input AS SELECT array_agg(id) AS a FROM (SELECT id FROM keys LIMIT 1000000) k" >/dev/null
printf "%-34s %9s %9s  %6s\n" "" "group by" "batch" "b/g"
run_cases "1000000 keys" \
	"SELECT count(*) FROM (SELECT shard_for(k), array_agg(k) FROM batch_input, unnest(a) k GROUP BY 1) s" \
	"SELECT count(*) FROM batch_input, shard_batch(a)"

echo
echo "== INSERT of 1000000 vector rows (text id, real[128]): without a shard column, with the generated"
echo "   column, with a generated column of constant 0 (what PostgreSQL's stored generated columns cost"
echo "   by themselves), with a plain int column filled by shard_for(id) in the same INSERT, and"
echo "   filled with 0 (what the column costs without the function); unlogged tables, so that the"
echo "   disk's write speed (noisy here) is not what is measured"
psql_script <<SQL
CREATE TABLE source AS SELECT id, array_fill((row_number() OVER ())::real, ARRAY[128]) AS embedding
FROM (SELECT id FROM keys LIMIT 1000000) k;
CREATE UNLOGGED TABLE plain_rows (id text, embedding real[]);
CREATE UNLOGGED TABLE sharded_rows (id text, embedding real[], shard_id int GENERATED ALWAYS AS (shard_for(id)) STORED);
CREATE UNLOGGED TABLE constant_rows (id text, embedding real[], shard_id int GENERATED ALWAYS AS (0) STORED);
CREATE UNLOGGED TABLE filled_rows (id text, embedding real[], shard_id int);
VACUUM ANALYZE source;
SQL
printf "%-34s %9s %9s %9s %9s %9s  %6s  %6s  %6s  %6s\n" "" "plain" "generated" "constant" "filled" "filled 0" \
	"g/p" "c/p" "f/p" "0/p"
# each insert starts from empty tables and a checkpoint, so none pays for another's dirty pages
ROUNDS=${BENCH_INSERT_ROUNDS:-11} BENCH_SETUP="TRUNCATE plain_rows, sharded_rows, constant_rows, filled_rows; CHECKPOINT" run_cases "1000000 rows" \
	"INSERT INTO plain_rows SELECT id, embedding FROM source" \
	"INSERT INTO sharded_rows (id, embedding) SELECT id, embedding FROM source" \
	"INSERT INTO constant_rows (id, embedding) SELECT id, embedding FROM source" \
	"INSERT INTO filled_rows SELECT id, embedding, shard_for(id) FROM source" \
	"INSERT INTO filled_rows SELECT id, embedding, 0 FROM source"

echo
echo "== distribution over 1000000 keys: peak-to-mean load, and keys moved from N to N+1 (optimum 1/(N+1))"
psql_q "CREATE TABLE keys1m AS SELECT id FROM keys LIMIT 1000000" >/dev/null
printf "%-16s %6s %13s %12s %12s\n" "strategy" "N" "peak/mean" "moved" "optimum"
for s in consistent_hash modulo range jump; do
	for n in 16 64 1024; do
		psql_q "SELECT format('%-16s %6s %13s %12s %12s', '$s', $n,
		            (SELECT round(max(c) / avg(c), 4) FROM (SELECT count(*) AS c FROM keys1m GROUP BY shard_for(id, $n, '$s')) x),
		            (SELECT round(avg((shard_for(id, $n, '$s') <> shard_for(id, $n + 1, '$s'))::int), 4) FROM keys1m),
		            round(1.0 / ($n + 1), 4))"
	done
done

echo
echo "== PARTITION BY HASH (id shard_ops) vs PostgreSQL's own HASH (id) text_ops, 16 partitions each"
echo "   (consistent_hash 16): COPY of 1000000 rows (text id, real[128]) from a file into unlogged"
echo "   tables, and 100000 lookups by id through a prepared generic plan (run-time pruning, index"
echo "   on id) from a PL/pgSQL loop; ratios shard_ops / text_ops"
reshape consistent_hash 16
psql_script <<SQL
COPY source TO '$C/rows.copy';
CREATE UNLOGGED TABLE by_shard (id text NOT NULL, embedding real[]) PARTITION BY HASH (id shard_ops);
SELECT count(*) FROM create_shard_partitions('by_shard');
CREATE UNLOGGED TABLE by_text (id text NOT NULL, embedding real[]) PARTITION BY HASH (id);
SELECT format('CREATE UNLOGGED TABLE by_text_%s PARTITION OF by_text FOR VALUES WITH (MODULUS 16, REMAINDER %s)', r, r)
FROM generate_series(0, 15) r \gexec
SELECT format('ALTER TABLE by_shard_shard_%s SET UNLOGGED', s) FROM generate_series(0, 15) s \gexec
SQL
printf "%-34s %9s %9s  %6s\n" "" "text_ops" "shard_ops" "s/t"
ROUNDS=${BENCH_INSERT_ROUNDS:-11} BENCH_SETUP="TRUNCATE by_shard, by_text; CHECKPOINT" run_cases "COPY 1000000 rows" \
	"COPY by_text FROM '$C/rows.copy'" \
	"COPY by_shard FROM '$C/rows.copy'"
psql_script <<SQL
COPY by_text FROM '$C/rows.copy';
COPY by_shard FROM '$C/rows.copy';
CREATE INDEX ON by_text (id);
CREATE INDEX ON by_shard (id);
VACUUM ANALYZE by_text;
VACUUM ANALYZE by_shard;
CREATE TABLE lookup_ids AS SELECT array_agg(id ORDER BY md5(id)) AS ids FROM (SELECT id FROM source LIMIT 100000) s;
CREATE FUNCTION lookups_text(ids text[]) RETURNS bigint LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS \$\$
DECLARE n bigint := 0; k text; c int;
BEGIN
    FOREACH k IN ARRAY ids LOOP SELECT count(*) INTO c FROM by_text WHERE id = k; n := n + c; END LOOP;
    RETURN n;
END \$\$;
CREATE FUNCTION lookups_shard(ids text[]) RETURNS bigint LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS \$\$
DECLARE n bigint := 0; k text; c int;
BEGIN
    FOREACH k IN ARRAY ids LOOP SELECT count(*) INTO c FROM by_shard WHERE id = k; n := n + c; END LOOP;
    RETURN n;
END \$\$;
SQL
run_cases "100000 lookups, generic plan" \
	"SELECT lookups_text(ids) FROM lookup_ids" \
	"SELECT lookups_shard(ids) FROM lookup_ids"

figures_write
