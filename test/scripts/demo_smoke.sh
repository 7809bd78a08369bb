#!/usr/bin/env bash
# demo_smoke.sh: make demo works end to end and prints what it promises:
# every vector row in the partition of its shard, a lookup by id that reads
# one partition, a k-NN search merged from every shard's HNSW index (where
# pgvector is installed), shard_batch over its ids, partition_info and
# shard_overview counting every row, the partition map.  Then the same demo
# in its real[] variant, as a server without pgvector runs it.
cd "$(dirname "$0")/../.." || exit 1
source test/lib.sh

# section NAME: the demo's output from the "== NAME" line to the next "=="
section() { awk -v name="== $1" 'index($0, name) == 1 {f=1; next} /^==/ {f=0} f' <<<"$out"; }

check_demo() {  # check_demo ROWS VARIANT
	local rows=$1 variant=$2 counts
	expect_match "[$variant] the ring is built in shared memory" "$out" "consistent_hash \| +4 \| +150 \| +600 \| +9488 \| t "
	counts=$(section "COPY the rows in" | awk '$1 ~ /^vectors_shard_[0-3]$/ && $7 == "t" {s+=$3; n++} END {print n "|" s}')
	expect_eq "[$variant] COPY: four partitions holding every row, each only rows of its shard" "$counts" "4|$rows"
	expect_eq "[$variant] the lookup by id reads one partition" \
		"$(section "A lookup by id" | grep -c 'on vectors_shard_')" "1"
	expect_eq "[$variant] shard_batch groups the 10 ids of the search" \
		"$(section "shard_batch over the ids" | awk -F'|' '$1 ~ /^ *[0-3] *$/ {n += split($2, a, ",")} END {print n}')" "10"
	expect_match "[$variant] the partition map shows primaries and replicas" "$out" " 2 \| \{pg-c,pg-a\} +\| pg-c "
	counts=$(section "partition_info(table)" | awk '$1 ~ /^[0-3]$/ && $11 > 264 * $9 {s+=$9; n++} END {print n "|" s}')
	expect_eq "[$variant] partition_info(table) counts every row, its bytes above the embeddings" "$counts" "4|$rows"
	counts=$(section "shard_overview" | awk '$1 ~ /^[0-3]$/ {s+=$13; n++} END {print n "|" s}')
	expect_eq "[$variant] shard_overview counts every row" "$counts" "4|$rows"
	expect_match "[$variant] with pg-a down, shard 0 is served by pg-b" "$out" " 0 \| \{pg-a,pg-b\} +\| pg-b"
}

out=$(bash test/demo.sh 2>&1)
expect_eq "make demo exits 0" "$?" "0"
if grep -q '^pgvector: not installed' <<<"$out"; then
	echo "# pgvector is not installed: the demo ran with real[]"
	check_demo 20000 "real[]"
else
	check_demo 20000 pgvector
	knn=$(section "The 10 nearest neighbours")
	expect_match "k-NN across shards: one Merge Append" "$knn" "-> +Merge Append"
	expect_eq "k-NN across shards: an HNSW index scan on each of the four partitions" \
		"$(grep -oE 'Index Scan using vectors_shard_[0-3]_embedding_idx' <<<"$knn" | sort -u | wc -l)" "4"
	expect_eq "k-NN within one shard: one HNSW index scan" \
		"$(section "The same search within one shard" | grep -cE 'Index Scan using vectors_shard_[0-3]_embedding_idx')" "1"
	out=$(DEMO_PGVECTOR=off DEMO_ROWS=3000 bash test/demo.sh 2>&1)
	expect_eq "make demo without pgvector exits 0" "$?" "0"
	expect_eq "without pgvector the demo says so in one line" "$(grep -c '^pgvector: not installed' <<<"$out")" "1"
	check_demo 3000 "real[]"
fi
echo "demo_smoke: $PASSED passed, $FAILED failed"
exit $((FAILED > 0))
