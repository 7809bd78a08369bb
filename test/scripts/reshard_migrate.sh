#!/usr/bin/env bash
# reshard_migrate.sh: the documented migration from 4 to 8 shards, end to end.
# Rows of a table with a generated shard column and of a table partitioned by
# shard are re-routed; count and a content checksum prove nothing was lost or
# duplicated; a cancelled run leaves no half-moved row and is finished by
# running it again; shard_verify finds no stale row at the end.
cd "$(dirname "$0")/../.." || exit 1
source test/lib.sh

ROWS=30000
cluster_new C "shared_preload_libraries = 'dakera_shard'"
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
psql_q "CREATE EXTENSION dakera_shard" >/dev/null
psql_q "CREATE TABLE vec (id text PRIMARY KEY, embedding real[] NOT NULL,
                          shard_id int GENERATED ALWAYS AS (shard_for(id)) STORED);
        INSERT INTO vec (id, embedding)
        SELECT 'vec-' || g, ARRAY[g, g * 0.5, g * 0.25]::real[] FROM generate_series(1, $ROWS) g;
        CREATE TABLE vec_parted (id text NOT NULL, embedding real[] NOT NULL) PARTITION BY LIST (shard_for(id));
        SELECT count(*) FROM create_shard_partitions('vec_parted');
        INSERT INTO vec_parted SELECT id, embedding FROM vec" >/dev/null

checksum() {  # count and content of a table, independent of where rows sit
	psql_q "SELECT count(*) || ':' || md5(string_agg(id || '=' || embedding::text, ',' ORDER BY id)) FROM $1"
}
sum_before=$(checksum vec)
parted_before=$(checksum vec_parted)
expect_eq "both tables hold the same rows" "${parted_before}" "${sum_before}"

# 1. plan: how many rows will move, before changing anything
planned=$(psql_q "SELECT sum(rows) FILTER (WHERE from_shard <> to_shard) FROM reshard_plan('vec'::regclass, 'id', 8)")
fraction=$(psql_q "SELECT round(sum(fraction) FILTER (WHERE from_shard <> to_shard)::numeric, 4) FROM reshard_plan(8)")
echo "plan: $planned of $ROWS rows move (hash-space fraction $fraction)"

# 2. change the settings and restart; 3. record the new shape
cluster_stop "$C"
cluster_conf "$C" "dakera_shard.num_shards = 8"
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
out=$(psql_q "INSERT INTO vec (id, embedding) VALUES ('late', '{1}')" 2>&1)
expect_match "before recording, writes are refused" "$out" "differs from the ring recorded"
psql_q "SELECT record_shard_ring()" >/dev/null
expect_eq "stale rows found by shard_verify = rows the plan said would move" \
	"$(psql_q "SELECT stale_rows FROM shard_verify('vec', 'id', 'shard_id')")" "$planned"
expect_eq "the partitioned table has as many rows in the wrong partition" \
	"$(psql_q "SELECT stale_rows FROM shard_verify('vec_parted', 'id')")" "$planned"

# 4. new partitions, then re-route; the first run is cancelled part-way
expect_eq "create_shard_partitions adds shards 4..7" \
	"$(psql_q "SELECT string_agg(c::text, ',') FROM create_shard_partitions('vec_parted') c")" \
	"vec_parted_shard_4,vec_parted_shard_5,vec_parted_shard_6,vec_parted_shard_7"
"$PG_BIN/psql" -X -q -c "CALL reshard_table('vec', 'id', 'shard_id', batch_size => 1000, pause_ms => 100)" \
	>"$C/cancelled.log" 2>&1 &
caller=$!
for i in $(seq 1 100); do  # wait until some batches are done
	grep -q "batch 3," "$C/cancelled.log" && break
	sleep 0.1
done
psql_q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'CALL reshard_table%'" >/dev/null
wait $caller
expect_match "the run was cancelled" "$(cat "$C/cancelled.log")" "canceling statement due to user request"
left=$(psql_q "SELECT stale_rows FROM shard_verify('vec', 'id', 'shard_id')")
if [ "$left" -gt 0 ] && [ "$left" -lt "$planned" ]; then
	pass "after the cancel some rows moved and some wait ($left of $planned stale)"
else
	fail "after the cancel expected a part of $planned rows stale, got $left"
fi
expect_eq "no row lost or doubled by the cancel" "$(checksum vec)" "$sum_before"
expect_eq "every row's shard column is its shard under 4 or under 8 shards" \
	"$(psql_q "SELECT count(*) FROM vec WHERE shard_id <> shard_for(id, 4) AND shard_id <> shard_for(id, 8)")" "0"

notices=$("$PG_BIN/psql" -X -q -c "CALL reshard_table('vec', 'id', 'shard_id', batch_size => 5000)" 2>&1)
expect_match "the rerun reports progress per batch" "$notices" "NOTICE: +reshard_table public.vec: batch 1, 5000 rows read"
expect_match "the rerun moves what was left" "$notices" "done, $ROWS rows read, $left moved"
"$PG_BIN/psql" -X -q -c "CALL reshard_table('vec_parted', 'id', batch_size => 5000)" >/dev/null 2>&1

# 5. verify: nothing stale, nothing lost, nothing doubled
expect_eq "shard_verify: no stale row in vec" "$(psql_q "SELECT stale_rows FROM shard_verify('vec', 'id', 'shard_id')")" "0"
expect_eq "shard_verify: no row in a wrong partition" "$(psql_q "SELECT stale_rows FROM shard_verify('vec_parted', 'id')")" "0"
expect_eq "vec: same count and checksum" "$(checksum vec)" "$sum_before"
expect_eq "vec_parted: same count and checksum" "$(checksum vec_parted)" "$sum_before"
expect_eq "every partition holds only its shard" \
	"$(psql_q "SELECT count(*) FROM vec_parted WHERE tableoid <> ('vec_parted_shard_' || shard_for(id, 8))::regclass")" "0"
expect_eq "writes work again" "$(psql_q "INSERT INTO vec (id, embedding) VALUES ('late', '{1}') RETURNING shard_id = shard_for('late', 8)")" "t"

echo "reshard_migrate: $PASSED passed, $FAILED failed"
exit $((FAILED > 0))
