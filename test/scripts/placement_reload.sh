#!/usr/bin/env bash
# placement_reload.sh: partition_info() follows dakera_shard.nodes and
# replication_factor through pg_reload_conf(), without a restart, and a bad
# node list is refused without disturbing the one in force.
cd "$(dirname "$0")/../.." || exit 1
source test/lib.sh

cluster_new C "shared_preload_libraries = 'dakera_shard'" "dakera_shard.num_shards = 5"
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
psql_q "CREATE EXTENSION dakera_shard" >/dev/null

# wait_for_setting NAME VALUE: new sessions see VALUE within 10 s of a reload
wait_for_setting() {
	local i
	for i in $(seq 1 100); do
		[ "$(psql_q "SHOW $1")" == "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
placement() {
	psql_q "SELECT string_agg(shard_id || '=' || array_to_string(node_ids, '+') || '/' || primary_node, ' ' ORDER BY shard_id) FROM partition_info()"
}

expect_eq "no nodes configured: shard s on node-{s} alone" "$(placement)" \
	"0=node-0/node-0 1=node-1/node-1 2=node-2/node-2 3=node-3/node-3 4=node-4/node-4"
expect_eq "no health reports: every shard healthy; sizes unknown: NULL" \
	"$(psql_q "SELECT count(*) FROM partition_info() WHERE is_healthy AND vector_count IS NULL AND memory_bytes IS NULL")" "5"
hash_before=$(psql_q "SELECT string_agg(shard_for('vec-' || g)::text, ',') FROM generate_series(1, 500) g")

psql_q "ALTER SYSTEM SET dakera_shard.nodes = 'alpha, beta, gamma'" >/dev/null
psql_q "SELECT pg_reload_conf()" >/dev/null
wait_for_setting dakera_shard.nodes "alpha, beta, gamma"
expect_eq "after a reload: three nodes, two replicas, round robin" "$(placement)" \
	"0=alpha+beta/alpha 1=beta+gamma/beta 2=gamma+alpha/gamma 3=alpha+beta/alpha 4=beta+gamma/beta"

psql_q "ALTER SYSTEM SET dakera_shard.replication_factor = 5" >/dev/null
psql_q "SELECT pg_reload_conf()" >/dev/null
wait_for_setting dakera_shard.replication_factor 5
expect_eq "a replication factor above the node count uses every node once" "$(placement)" \
	"0=alpha+beta+gamma/alpha 1=beta+gamma+alpha/beta 2=gamma+alpha+beta/gamma 3=alpha+beta+gamma/alpha 4=beta+gamma+alpha/beta"

expect_eq "placement never changes a key's shard" \
	"$(psql_q "SELECT string_agg(shard_for('vec-' || g)::text, ',') FROM generate_series(1, 500) g")" "$hash_before"

out=$(psql_q "ALTER SYSTEM SET dakera_shard.nodes = 'alpha, alpha'" 2>&1)
expect_match "a duplicate node is refused" "$out" 'Node "alpha" is listed twice'
out=$(psql_q "ALTER SYSTEM SET dakera_shard.nodes = 'alpha,,beta'" 2>&1)
expect_match "an empty node name is refused" "$out" 'Node name 2 is empty'
out=$(psql_q "ALTER SYSTEM SET dakera_shard.nodes = '$(printf 'n%.0s' $(seq 1 64))'" 2>&1)
expect_match "a node name longer than 63 bytes is refused" "$out" 'is longer than 63 bytes'
out=$(psql_q "ALTER SYSTEM SET dakera_shard.replication_factor = 0" 2>&1)
expect_match "replication_factor 0 is refused" "$out" 'outside the valid range for parameter "dakera_shard.replication_factor" \(1 .. 100\)'

# a bad value written into postgresql.conf by hand is rejected at reload,
# and the list in force stays
psql_q "ALTER SYSTEM RESET dakera_shard.nodes" >/dev/null
cluster_conf "$C" "dakera_shard.nodes = 'x, x'"
psql_q "SELECT pg_reload_conf()" >/dev/null
sleep 1
expect_match "the reload logs the bad value" "$(cat "$C/server.log")" 'invalid value for parameter "dakera_shard.nodes": "x, x"'
expect_eq "the node list in force is kept" "$(psql_q "SHOW dakera_shard.nodes")" "alpha, beta, gamma"

# back to no nodes
cluster_conf "$C" "dakera_shard.nodes = ''"
psql_q "ALTER SYSTEM RESET ALL" >/dev/null
psql_q "SELECT pg_reload_conf()" >/dev/null
wait_for_setting dakera_shard.nodes ""
expect_eq "an empty node list restores node-{s}" "$(psql_q "SELECT string_agg(primary_node, ',' ORDER BY shard_id) FROM partition_info()")" \
	"node-0,node-1,node-2,node-3,node-4"

echo "placement_reload: $PASSED passed, $FAILED failed"
exit $((FAILED > 0))
