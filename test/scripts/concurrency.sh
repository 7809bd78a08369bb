#!/usr/bin/env bash
# concurrency.sh: pgbench, 8 clients for CONCURRENCY_SECONDS (default 30),
# calling shard_for, shard_batch, partition_info and shard_assignment while
# another process changes placement every 100 ms: registrations, node health,
# and the nodes setting with pg_reload_conf().  Every answer is checked inside
# the query (a wrong one divides by zero), so any error fails the run; the
# server log must show no crash.
cd "$(dirname "$0")/../.." || exit 1
source test/lib.sh
SECONDS_TO_RUN=${CONCURRENCY_SECONDS:-30}

cluster_new C "shared_preload_libraries = 'dakera_shard'" "dakera_shard.nodes = 'a1, a2, a3'" "max_connections = 40"
cluster_start "$C" || { cat "$C/server.log"; exit 1; }
"$PG_BIN/psql" -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL' || exit 1
CREATE EXTENSION dakera_shard;
GRANT dakera_shard_admin TO CURRENT_USER;
CREATE TABLE shard_vectors (strategy text, num_shards int, virtual_nodes int, key_hex text, shard_id int);
\copy shard_vectors FROM '../shared/vectors/shard_vectors.tsv' WITH (FORMAT text, HEADER true)
-- the rows made with the server's ring: consistent_hash (and modulo) 4 x 150
CREATE TABLE ring_vectors AS
SELECT row_number() OVER (ORDER BY strategy, key_hex) AS n,
       convert_from(decode(key_hex, 'hex'), 'UTF8') AS key, shard_id
FROM shard_vectors WHERE strategy IN ('consistent_hash', 'modulo') AND num_shards = 4 AND virtual_nodes = 150;
SQL
expect_eq "240 vector rows for the server's ring" "$(psql_q "SELECT count(*) FROM ring_vectors")" "240"

# the changer: every 100 ms one change of placement, health or the nodes setting
changes=$C/changes.count
(
	i=0
	end=$((SECONDS + SECONDS_TO_RUN))
	while [ $SECONDS -lt $end ]; do
		case $((i % 6)) in
			0) sql="SELECT register_shard_nodes(1, ARRAY['r1', 'r2'])" ;;
			1) sql="SELECT set_node_health('a1', false); SELECT set_node_health('b2', false)" ;;
			2) sql="ALTER SYSTEM SET dakera_shard.nodes = 'b1, b2'; SELECT pg_reload_conf()" ;;
			3) sql="SELECT unregister_shard_nodes(1)" ;;
			4) sql="SELECT set_node_health('a1', true); SELECT reset_node_health('b2')" ;;
			5) sql="ALTER SYSTEM SET dakera_shard.nodes = 'a1, a2, a3'; SELECT pg_reload_conf()" ;;
		esac
		# on standard input each statement is its own transaction (ALTER SYSTEM needs that)
		printf '%s;\n' "$sql" | "$PG_BIN/psql" -X -q -o /dev/null -v ON_ERROR_STOP=1 2>>"$C/changer.err" ||
			echo "change failed: $sql" >>"$C/changer.err"
		i=$((i + 1))
		echo "$i" >"$changes"
		sleep 0.1
	done
) &
changer=$!

"$PG_BIN/pgbench" -n -c 8 -j 2 -T "$SECONDS_TO_RUN" \
	-f test/concurrency/route.sql -f test/concurrency/batch.sql \
	-f test/concurrency/partition_info.sql -f test/concurrency/assignment.sql >"$C/pgbench.out" 2>&1
status=$?
wait $changer
tail -n 12 "$C/pgbench.out"
transactions=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$C/pgbench.out")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$C/pgbench.out")
echo "changes made while it ran: $(cat "$changes"); transactions: $transactions"

expect_eq "pgbench exits 0 (no client aborted on an error)" "$status" "0"
expect_eq "no failed transaction" "${failed:-0}" "0"
if [ "${transactions:-0}" -gt 1000 ]; then pass "$transactions transactions ran"; else fail "only ${transactions:-0} transactions ran"; fi
if [ "$(cat "$changes")" -gt $((SECONDS_TO_RUN * 3)) ]; then pass "$(cat "$changes") placement changes ran"; else fail "too few placement changes: $(cat "$changes")"; fi
expect_eq "every change went through" "$(cat "$C/changer.err" 2>/dev/null)" ""
expect_eq "no crash in the server log" \
	"$(grep -cE 'terminated by signal|server process .* was terminated|PANIC|TRAP' "$C/server.log")" "0"

echo "concurrency: $PASSED passed, $FAILED failed"
exit $((FAILED > 0))
