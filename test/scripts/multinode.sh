#!/usr/bin/env bash
# multinode.sh: shards on other PostgreSQL nodes through postgres_fdw.
# Three clusters on loopback: a coordinator (dakera_shard preloaded, itself
# node "coord") and nodes "node1" and "node2".  create_shard_partitions(...,
# remote => true) first refuses, saying what is missing, and creates nothing;
# then, with servers, user mappings and tables in place, it makes the
# coordinator's shards local and the others foreign tables.  100000 vector
# rows inserted through the coordinator must each live on the node
# partition_info() names for its shard, the per-node counts must add up, and a
# lookup by id must reach one node only.  All clusters are removed at exit.
cd "$(dirname "$0")/../.." || exit 1
source test/lib.sh
ROWS=100000
SHARDS=6

shape=("dakera_shard.num_shards = $SHARDS" "listen_addresses = '127.0.0.1'")
cluster_new N1 "${shape[@]}"
cluster_new N2 "${shape[@]}"
cluster_new CO "${shape[@]}" "shared_preload_libraries = 'dakera_shard'" \
	"dakera_shard.nodes = 'coord, node1, node2'" "dakera_shard.replication_factor = 1" \
	"dakera_shard.local_node = 'coord'"
for d in "$N1" "$N2" "$CO"; do cluster_start "$d" || { cat "$d/server.log"; exit 1; }; done
port_of() { sed -n 's/^port = //p' "$1/data/postgresql.conf" | tail -n 1; }
on() {  # on DIR SQL: run SQL on that cluster
	PGHOST=$1 PGPORT=$(port_of "$1") psql_q "$2"
}

on "$CO" "CREATE EXTENSION dakera_shard; CREATE EXTENSION postgres_fdw;
          CREATE TABLE vectors (id text NOT NULL, embedding real[] NOT NULL) PARTITION BY LIST (shard_for(id))" >/dev/null
for d in "$N1" "$N2"; do on "$d" "CREATE EXTENSION dakera_shard" >/dev/null; done
expect_eq "the coordinator places shards round robin on three nodes" \
	"$(on "$CO" "SELECT string_agg(shard_id || '=' || primary_node, ' ' ORDER BY shard_id) FROM partition_info()")" \
	"0=coord 1=node1 2=node2 3=coord 4=node1 5=node2"
partitions() { on "$CO" "SELECT count(*) FROM pg_inherits WHERE inhparent = 'vectors'::regclass"; }

# what is missing is said up front, and nothing is created
out=$(on "$CO" "SELECT * FROM create_shard_partitions('vectors', remote => true)" 2>&1)
expect_match "no servers: refused" "$out" 'shard 1: no postgres_fdw server "node1"'
expect_match "every missing server is listed" "$out" 'shard 5: no postgres_fdw server "node2"'
expect_eq "nothing was created" "$(partitions)" "0"
for n in 1 2; do
	dir_var=N$n
	on "$CO" "CREATE SERVER node$n FOREIGN DATA WRAPPER postgres_fdw
	          OPTIONS (host '127.0.0.1', port '$(port_of "${!dir_var}")', dbname 'postgres', batch_size '1000')" >/dev/null
done
out=$(on "$CO" "SELECT * FROM create_shard_partitions('vectors', remote => true)" 2>&1)
expect_match "no user mappings: refused" "$out" 'shard 1: no user mapping for "postgres" on server "node1"'
for n in 1 2; do on "$CO" "CREATE USER MAPPING FOR CURRENT_USER SERVER node$n OPTIONS (user 'postgres')" >/dev/null; done
out=$(on "$CO" "SELECT * FROM create_shard_partitions('vectors', remote => true)" 2>&1)
expect_match "no remote tables: refused" "$out" 'shard 4: remote table public.vectors_shard_4 on server "node1": relation "public.vectors_shard_4" does not exist'
expect_eq "still nothing created" "$(partitions)" "0"

# the nodes' tables, for the shards whose primary each node is
for s in 1 4; do on "$N1" "CREATE TABLE vectors_shard_$s (id text NOT NULL, embedding real[] NOT NULL)" >/dev/null; done
for s in 2 5; do on "$N2" "CREATE TABLE vectors_shard_$s (id text NOT NULL, embedding real[] NOT NULL)" >/dev/null; done
created=$(on "$CO" "SELECT string_agg(p::text, ' ' ORDER BY p::text) FROM create_shard_partitions('vectors', remote => true) p" 2>&1)
echo "created: $created"
expect_eq "with everything in place: two local partitions, four foreign" \
	"$(on "$CO" "SELECT string_agg(c.relname || ':' || c.relkind::text, ' ' ORDER BY c.relname)
	             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'vectors'::regclass")" \
	"vectors_shard_0:r vectors_shard_1:f vectors_shard_2:f vectors_shard_3:r vectors_shard_4:f vectors_shard_5:f"
expect_eq "a second run creates nothing" "$(on "$CO" "SELECT count(*) FROM create_shard_partitions('vectors', remote => true)")" "0"

# 100000 rows through the coordinator
on "$CO" "INSERT INTO vectors SELECT 'vec-' || g, ARRAY[g, g / 2.0]::real[] FROM generate_series(1, $ROWS) g" >/dev/null
expect_eq "the coordinator sees every row" "$(on "$CO" "SELECT count(*) FROM vectors")" "$ROWS"

# every row lives on the node partition_info() names for its shard
total=0
for node in coord node1 node2; do
	case $node in coord) d=$CO ;; node1) d=$N1 ;; node2) d=$N2 ;; esac
	shards=$(on "$CO" "SELECT string_agg(shard_id::text, ' ') FROM partition_info() WHERE primary_node = '$node'")
	count=0
	for s in $shards; do
		got=$(on "$d" "SELECT count(*) || ':' || count(*) FILTER (WHERE shard_for(id) <> $s) FROM vectors_shard_$s")
		expect_eq "$node holds shard $s, and only rows of shard $s" "${got#*:}" "0"
		count=$((count + ${got%%:*}))
	done
	echo "$node: $count rows (shards $shards)"
	expect_eq "$node holds the rows partition_info counts for its shards" "$count" \
		"$(on "$CO" "SELECT sum(i.vector_count) FROM partition_info('vectors') i JOIN partition_info() p USING (shard_id) WHERE p.primary_node = '$node'")"
	total=$((total + count))
done
expect_eq "per-node counts add up to the total" "$total" "$ROWS"
expect_eq "no shard table on a node that is not its primary" \
	"$(on "$N1" "SELECT count(*) FROM pg_tables WHERE tablename IN ('vectors_shard_0', 'vectors_shard_2', 'vectors_shard_3', 'vectors_shard_5')")/$(on "$N2" "SELECT count(*) FROM pg_tables WHERE tablename IN ('vectors_shard_0', 'vectors_shard_1', 'vectors_shard_3', 'vectors_shard_4')")" "0/0"

# a lookup by id reaches one node only
key=$(on "$CO" "SELECT k FROM (SELECT 'vec-' || g AS k FROM generate_series(1, 100) g) x
               JOIN partition_info() p ON p.shard_id = shard_for(x.k) WHERE p.primary_node = 'node2' LIMIT 1")
plan=$(on "$CO" "EXPLAIN (COSTS OFF) SELECT * FROM vectors WHERE shard_for(id) = shard_for('$key') AND id = '$key'")
echo "$plan"
expect_eq "the plan scans one partition" "$(grep -c 'Scan on vectors_shard_' <<<"$plan")" "1"
expect_match "and it is a foreign scan on node2's table" "$plan" "Foreign Scan on vectors_shard_[25]"
expect_eq "the lookup finds the row" "$(on "$CO" "SELECT id FROM vectors WHERE shard_for(id) = shard_for('$key') AND id = '$key'")" "$key"

echo "multinode: $PASSED passed, $FAILED failed"
exit $((FAILED > 0))
