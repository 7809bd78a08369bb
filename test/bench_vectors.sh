#!/usr/bin/env bash
# bench_vectors.sh: the vector part of make bench (also alone: make
# bench-vectors).  pgvector rows of 64 dimensions in the sharded table of
# test/vectors_table.sql (one partition per shard, an HNSW index on each)
# against one unpartitioned table with one HNSW index, in one throwaway
# cluster, at 4 shards and then at 16 (a restart with the new ring between):
#
#   - k-NN (k = 10) latency of each query vector, from the server's own clock
#     (planning included, as a client's query pays it): median and p95, the
#     sharded table's beside the unpartitioned one's measured in the same
#     rounds, and recall@10 of each against the exact answer (a full scan);
#     the sharded table once more with a lower hnsw.ef_search;
#   - COPY of the rows into each table (its id index in place, no HNSW yet):
#     median of BENCH_ROUNDS, the ratio sharded / unpartitioned;
#   - CREATE INDEX ... USING hnsw on each, once (informative only).
#
# Not a test: it asserts nothing.  The machine is shared and noisy: compare
# the ratios, not the times.  A complete run also writes its output into
# docs/figures.md (section vectors-pgMAJOR; test/figures_lib.sh,
# FIGURES_FILE= to only print).
#
#   BENCH_VECTOR_ROWS     rows (default 100000)
#   BENCH_VECTOR_QUERIES  query vectors (default 200)
#   BENCH_ROUNDS          rounds of every query and every COPY (default 5)
#   BENCH_SHARDS          shard counts (default "4 16")
#   BENCH_SHARDED_EF_SEARCH  the sharded table is also searched with this
#                         hnsw.ef_search (default 20): each partition then
#                         gives fewer candidates, and the merge still 10
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/prepare.sh
source test/cluster.sh
source test/figures_lib.sh

ROWS=${BENCH_VECTOR_ROWS:-100000}
QUERIES=${BENCH_VECTOR_QUERIES:-200}
ROUNDS=${BENCH_ROUNDS:-5}
SHARDS=${BENCH_SHARDS:-4 16}
EF=${BENCH_SHARDED_EF_SEARCH:-20}
if [ ! -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ]; then
	echo "== vectors: skipped, pgvector is not installed (test/pgvector.sh installs it from ../shared/deps)"
	exit 0
fi

major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
figures_capture "vectors-pg$major" "Vectors with pgvector, PostgreSQL $major" \
	"make bench or make bench-vectors (test/bench_vectors.sh)" text
cluster_new C "shared_preload_libraries = 'dakera_shard'" "shared_buffers = 1GB" "jit = off" \
	"max_parallel_workers_per_gather = 0" "max_parallel_maintenance_workers = 0" \
	"maintenance_work_mem = 512MB" "synchronous_commit = off" "max_wal_size = 4GB" "autovacuum = off"
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
psql_script() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -o /dev/null "$@"; }
reshape() {  # reshape NUM_SHARDS: restart with that ring and record it
	cluster_stop "$C"
	cluster_conf "$C" "dakera_shard.num_shards = $1"
	cluster_start "$C" || { cat "$C/server.log"; exit 1; }
	psql_q "SELECT record_shard_ring()" >/dev/null
}

echo "== vectors: k-NN (k = 10) over $ROWS rows of 64 dimensions, HNSW (vector_cosine_ops, m 16,"
echo "   ef_construction 64, ef_search 40: the defaults), $QUERIES query vectors x $ROUNDS rounds"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; load average: $(cut -d" " -f1-3 /proc/loadavg)"
echo "postgres: $("$PG_BIN/postgres" --version); pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$("$PG_CONFIG" --sharedir)/extension/vector.control")"

# the rows (around 100 topics, as embeddings of a corpus cluster), the query
# vectors (near the same topics), and the rows as a COPY file
psql_script -v rows="$ROWS" -v queries="$QUERIES" -v data="$C/vectors.copy" <<'SQL'
CREATE EXTENSION dakera_shard;
CREATE EXTENSION vector;
SELECT setseed(0.5);
CREATE TABLE topics AS
    SELECT t, array_agg((random() - 0.5)::real ORDER BY d) AS center
    FROM generate_series(0, 99) t, generate_series(1, 64) d GROUP BY t;
CREATE FUNCTION near(center real[]) RETURNS vector LANGUAGE sql VOLATILE
RETURN (SELECT array_agg((c.x + 0.3 * (random() - 0.5))::real ORDER BY c.n)
        FROM unnest(center) WITH ORDINALITY c(x, n))::vector;
CREATE TABLE queries AS
    SELECT q, near(center) AS v FROM generate_series(1, :queries) q JOIN topics ON t = (q * 37) % 100;
COPY (SELECT format('ns%s:doc-%s#chunk-%s', g % 7, g / 8, g % 8), near(center), jsonb_build_object('doc', g / 8, 'chunk', g % 8)
      FROM generate_series(1, :rows) g JOIN topics ON t = g % 100) TO :'data';
-- the unpartitioned table, as the baseline
CREATE TABLE flat (id text NOT NULL, embedding vector(64) NOT NULL, metadata jsonb NOT NULL DEFAULT '{}');
CREATE INDEX ON flat (id);
-- its twin without the HNSW index: the baseline of COPY
CREATE TABLE flat_copy (LIKE flat INCLUDING ALL);

-- latency of each query of each case, rounds interleaved: in each round
-- every query runs once in every case, the order of the cases turning with
-- the round and the query, so that no case always runs first.  A case is a
-- table, or 'table ef_search' to search it with that hnsw.ef_search.
CREATE FUNCTION knn_times(cases text[], rounds int)
RETURNS TABLE (tbl text, q int, ms float8, ids text[]) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    found text[];
    r record;
    n int := array_length(cases, 1);
BEGIN
    PERFORM '[1]'::vector;                 -- pgvector loaded: its settings exist
    FOR round IN 0 .. rounds LOOP          -- round 0 warms the caches, untimed
        FOR r IN SELECT * FROM queries ORDER BY queries.q LOOP
            FOR j IN 0 .. n - 1 LOOP
                tbl := cases[(j + round + r.q) % n + 1];
                PERFORM set_config('hnsw.ef_search', coalesce(nullif(split_part(tbl, ' ', 2), ''), '40'), false);
                t0 := clock_timestamp();
                EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM %I ORDER BY embedding <=> $1 LIMIT 10) s',
                               split_part(tbl, ' ', 1))
                    INTO found USING r.v;
                IF round > 0 THEN
                    q := r.q; ms := 1000 * extract(epoch FROM clock_timestamp() - t0); ids := found;
                    RETURN NEXT;
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
END $$;

-- median ms of each statement, run round-robin; setup runs untimed before each
CREATE FUNCTION statement_times(statements text[], rounds int, setup text)
RETURNS TABLE (i int, median_ms float8) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    n int := array_length(statements, 1);
    k int;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS times (i int, ms float8);
    TRUNCATE times;
    FOR round IN 1 .. rounds LOOP
        FOR j IN 0 .. n - 1 LOOP
            k := (j + round) % n + 1;
            EXECUTE setup;
            t0 := clock_timestamp();
            EXECUTE statements[k];
            INSERT INTO times VALUES (k, 1000 * extract(epoch FROM clock_timestamp() - t0));
        END LOOP;
    END LOOP;
    RETURN QUERY SELECT t.i, percentile_cont(0.5) WITHIN GROUP (ORDER BY t.ms) FROM times t GROUP BY t.i ORDER BY t.i;
END $$;
SQL

timed() {  # timed SQL: run it once, print its wall time in ms
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 <<SQL
SELECT clock_timestamp() AS t0 \gset
$1;
SELECT round(1000 * extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));
SQL
}

# the unpartitioned table, loaded once: the exact answers are read from it
# (a full scan), then its HNSW index is built, once for every shard count
psql_q "COPY flat FROM '$C/vectors.copy'" >/dev/null
psql_q "SET enable_indexscan = off; SET enable_bitmapscan = off;
        CREATE TABLE truth AS SELECT q, ARRAY(SELECT id FROM flat ORDER BY embedding <=> v LIMIT 10) AS ids FROM queries" >/dev/null
flat_build=$(timed "CREATE INDEX ON flat USING hnsw (embedding vector_cosine_ops)")
psql_q "VACUUM ANALYZE flat" >/dev/null

results=()
for n in $SHARDS; do
	reshape "$n"
	# the sharded table exactly as the demo and the TAP test make it
	psql_script -v tbl="sharded_$n" -v embedding_type="vector(64)" -f test/vectors_table.sql
	copy=$(psql_q "SELECT string_agg(to_char(median_ms, 'FM9999990.0'), ' ' ORDER BY i)
	               FROM statement_times(ARRAY['COPY flat_copy FROM ''$C/vectors.copy''', 'COPY sharded_$n FROM ''$C/vectors.copy'''],
	                                    $ROUNDS, 'TRUNCATE flat_copy, sharded_$n; CHECKPOINT')")
	psql_q "TRUNCATE flat_copy; COPY sharded_$n FROM '$C/vectors.copy'" >/dev/null
	build=$(timed "CREATE INDEX ON sharded_$n USING hnsw (embedding vector_cosine_ops)")
	psql_q "VACUUM ANALYZE sharded_$n" >/dev/null
	plan=$(psql_q "EXPLAIN (COSTS OFF) SELECT id FROM sharded_$n ORDER BY embedding <=> (SELECT v FROM queries WHERE q = 1) LIMIT 10")
	plan_shape="Merge Append of $(grep -c 'Index Scan using sharded_.*embedding_idx' <<<"$plan" || true) HNSW index scans"
	grep -q 'Merge Append' <<<"$plan" || plan_shape="no Merge Append: $(grep -oE 'Index Scan|Seq Scan' <<<"$plan" | sort | uniq -c | xargs)"
	stats=$(psql_q "CREATE TEMP TABLE times AS SELECT * FROM knn_times(ARRAY['flat', 'sharded_$n', 'sharded_$n $EF'], $ROUNDS);
		SELECT string_agg(format('%s %s %s', round(median::numeric, 3), round(p95::numeric, 3), round(recall::numeric, 4)), ' ' ORDER BY tbl)
		FROM (SELECT tbl, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median,
		             percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95,
		             avg((SELECT count(*) FROM unnest(t.ids) x WHERE x = ANY (truth.ids)) / 10.0) AS recall
		      FROM times t JOIN truth USING (q) GROUP BY tbl) s")
	results+=("$n|$stats|$copy|$build|$plan_shape")
	psql_q "DROP TABLE sharded_$n" >/dev/null
done

echo
printf "%-16s %10s %10s %10s   %-18s %s\n" "k-NN, k = 10" "median ms" "p95 ms" "recall@10" "median / unpart." "plan"
for line in "${results[@]}"; do
	IFS='|' read -r n stats copy build plan_shape <<<"$line"
	read -r fmed fp95 frec smed sp95 srec emed ep95 erec <<<"$stats"
	printf "%-16s %10s %10s %10s\n" "unpartitioned" "$fmed" "$fp95" "$frec"
	printf "%-16s %10s %10s %10s   %-18.3f %s\n" \
		"$n shards" "$smed" "$sp95" "$srec" "$(awk -v a="$smed" -v b="$fmed" 'BEGIN { print a / b }')" "$plan_shape"
	printf "%-16s %10s %10s %10s   %-18.3f %s\n" \
		"  ef_search $EF" "$emed" "$ep95" "$erec" "$(awk -v a="$emed" -v b="$fmed" 'BEGIN { print a / b }')" "the same, each partition searched with hnsw.ef_search = $EF"
done
echo
printf "%-16s %10s %10s %10s   %s\n" "COPY $ROWS rows" "unpart. ms" "sharded ms" "ratio" "HNSW build, once (unpartitioned: $flat_build ms)"
for line in "${results[@]}"; do
	IFS='|' read -r n stats copy build plan_shape <<<"$line"
	read -r cflat cshard <<<"$copy"
	printf "%-16s %10s %10s %10.3f   %s ms\n" "$n shards" "$cflat" "$cshard" \
		"$(awk -v a="$cshard" -v b="$cflat" 'BEGIN { print a / b }')" "$build"
done

figures_write
