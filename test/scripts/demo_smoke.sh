#!/usr/bin/env bash
# demo_smoke.sh: make demo works end to end and prints what it promises:
# every sample row routed, per-shard counts that add up, the partition map.
cd "$(dirname "$0")/../.." || exit 1
source test/lib.sh

out=$(DEMO_ROWS=3000 bash test/demo.sh 2>&1)
status=$?
expect_eq "make demo exits 0" "$status" "0"
expect_match "the ring is built in shared memory" "$out" "consistent_hash \| +4 \| +150 \| +600 \| +9488 \| t "
counts=$(awk '/^== Rows per shard/{f=1;next} /^==/{f=0} f && $1 ~ /^[0-3]$/ {s+=$3; n++} END {print n "|" s}' <<<"$out")
expect_eq "rows per shard: four shards adding up to every row" "$counts" "4|3000"
parts=$(awk '/^== The same rows in a table partitioned/{f=1;next} /^==/{f=0} f && $1 ~ /^vectors_by_shard_/ {s+=$3; n++} END {print n "|" s}' <<<"$out")
expect_eq "LIST partitions: four, holding every row" "$parts" "4|3000"
expect_match "the partition map shows primaries and replicas" "$out" " 2 \| \{pg-c,pg-a\} +\| pg-c "
measured=$(awk '/^== partition_info\(table\)/{f=1;next} /^==/{f=0} f && $1 ~ /^[0-3]$/ {s+=$9; n++} END {print n "|" s}' <<<"$out")
expect_eq "partition_info(table) counts every row" "$measured" "4|3000"
overview=$(awk '/^== shard_overview/{f=1;next} /^==/{f=0} f && $1 ~ /^[0-3]$/ {s+=$13; n++} END {print n "|" s}' <<<"$out")
expect_eq "shard_overview counts every row of both tables" "$overview" "4|6000"
expect_match "with pg-a down, shard 0 is served by pg-b" "$out" " 0 \| \{pg-a,pg-b\} +\| pg-a +\| pg-b +\| t "
echo "demo_smoke: $PASSED passed, $FAILED failed"
exit $((FAILED > 0))
