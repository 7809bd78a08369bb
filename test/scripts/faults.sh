#!/usr/bin/env bash
# faults.sh: a backend killed with SIGKILL in the middle of a large
# shard_batch.  The postmaster restarts every process and rebuilds shared
# memory; the ring answers as before, registered placement is intact, and node
# health (runtime state, documented as such) starts over.
cd "$(dirname "$0")/../.." || exit 1
source test/lib.sh

cluster_new C "shared_preload_libraries = 'dakera_shard'" "dakera_shard.nodes = 'n1, n2, n3'" "restart_after_crash = on"
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
"$PG_BIN/psql" -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || exit 1
CREATE EXTENSION dakera_shard;
CREATE TABLE shard_vectors (strategy text, num_shards int, virtual_nodes int, key_hex text, shard_id int);
\copy shard_vectors FROM '../shared/vectors/shard_vectors.tsv' WITH (FORMAT text, HEADER true)
CREATE TABLE ring_vectors AS
SELECT convert_from(decode(key_hex, 'hex'), 'UTF8') AS key, shard_id
FROM shard_vectors WHERE strategy IN ('consistent_hash', 'modulo') AND num_shards = 4 AND virtual_nodes = 150;
SELECT register_shard_nodes(2, ARRAY['pinned-1', 'pinned-2']);
SELECT set_node_health('n1', false);
SQL
check_answers() {
	psql_q "SELECT count(*) || '/' || count(*) FILTER (WHERE shard_for(key) = shard_id) FROM ring_vectors"
}
expect_eq "answers before the fault" "$(check_answers)" "240/240"
placement_before=$(psql_q "SELECT string_agg(array_to_string(node_ids, '+'), ' ' ORDER BY shard_id) FROM partition_info()")

# a large batch, killed part-way
"$PG_BIN/psql" -X -q -c "SELECT count(*) FROM shard_batch(ARRAY(SELECT 'key-' || g FROM generate_series(1, 10000000) g))" \
	>"$C/victim.log" 2>&1 &
victim=$!
pid=""
for i in $(seq 1 100); do
	pid=$(psql_q "SELECT pid FROM pg_stat_activity WHERE query LIKE '%shard_batch(ARRAY(SELECT%' AND pid <> pg_backend_pid()
	              AND now() - query_start > interval '0.5 s'")
	[ -n "$pid" ] && break
	sleep 0.1
done
if [ -n "$pid" ]; then pass "the batch is running (backend $pid)"; else fail "the batch never started"; fi
kill -9 "$pid"
wait $victim
for i in $(seq 1 300); do
	psql_q "SELECT 1" >/dev/null 2>&1 && break
	sleep 0.1
done

log=$(cat "$C/server.log")
expect_match "the kill is logged" "$log" "was terminated by signal 9"
expect_match "the server reinitialized" "$log" "all server processes terminated; reinitializing"
expect_eq "the ring was built again at the restart" "$(grep -c 'dakera_shard: ring strategy=' "$C/server.log")" "2"
expect_eq "answers after the fault" "$(check_answers)" "240/240"
expect_eq "registered placement is intact" \
	"$(psql_q "SELECT string_agg(array_to_string(node_ids, '+'), ' ' ORDER BY shard_id) FROM partition_info()")" "$placement_before"
expect_eq "health reports start over" "$(psql_q "SELECT count(*) FROM node_health()")" "0"
expect_eq "the ring is in shared memory again" "$(psql_q "SELECT shared_memory AND routes_alike FROM shard_ring()")" "t"
expect_eq "a large batch completes after the restart" \
	"$(psql_q "SELECT count(*) || '/' || sum(cardinality(ids)) FROM shard_batch(ARRAY(SELECT 'key-' || g FROM generate_series(1, 1000000) g))")" \
	"4/1000000"

echo "faults: $PASSED passed, $FAILED failed"
exit $((FAILED > 0))
