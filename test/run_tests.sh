#!/usr/bin/env bash
# run_tests.sh: every test of dakera_shard, from a machine that may have nothing
# (make test).  Installs what it needs, builds with -Werror, installs the
# extension, then runs:
#   1. the pure C core's unit tests, plain, under ASan+UBSan, without SSE2
#      and under valgrind, and libFuzzer on the core for FUZZ_SECONDS (60 by
#      default);
#   2. the pg_regress suites against throwaway clusters of several ring shapes,
#      preloaded and not;
#   3. the script tests in test/scripts (restarts, reloads, dump and restore,
#      re-sharding, concurrency under reloads, faults, hostile input, the demo).
# Ends with "N passed, N failed" and a non-zero exit on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
VECTORS=../shared/vectors

if [ ! -f "$VECTORS/shard_vectors.tsv" ] || [ ! -f "$VECTORS/hash_vectors.tsv" ]; then
	echo "FATAL: the routing test vectors are missing: $(pwd)/$VECTORS" >&2
	echo "       shared/ must sit beside the project root (../shared), as in CI." >&2
	exit 1
fi

bash test/deps.sh || { echo "FATAL: could not install dependencies" >&2; exit 1; }
set -e
make -s clean >/dev/null
make -s 2>&1
make -s install >/dev/null
set +e

suites_passed=0
suites_failed=0
record() {  # record NAME STATUS
	if [ "$2" -eq 0 ]; then
		suites_passed=$((suites_passed + 1)); echo "== PASS $1"
	else
		suites_failed=$((suites_failed + 1)); echo "== FAIL $1"
	fi
}

echo "== core unit tests"
make -s unittest
record "core unit tests (plain, ASan+UBSan, without SSE2)" $?
echo "== core unit tests under valgrind"
make -s valgrind
record "core unit tests under valgrind" $?
echo "== fuzzing the core for ${FUZZ_SECONDS:-60} s"
make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}" 2>&1 | grep -E "^(Done|stat::|==[0-9]+==|SUMMARY|INFO: Seed|.*ERROR)" 
record "libFuzzer on the core (${FUZZ_SECONDS:-60} s, no crash, no mismatch)" "${PIPESTATUS[0]}"

# run_regress NAME "SUITES" [postgresql.conf lines...]
run_regress() (
	local name=$1 suites=$2
	shift 2
	source test/lib.sh
	cluster_new dir "$@"
	cluster_start "$dir" || { cat "$dir/server.log"; exit 1; }
	echo "== pg_regress [$name]: $suites"
	if make -s installcheck REGRESS="$suites"; then
		exit 0
	fi
	mkdir -p log && cp regression.diffs "log/regression-$name.diffs"
	cat regression.diffs
	exit 1
)

preload="shared_preload_libraries = 'dakera_shard'"
common="setup routing server_ring batch hash_vectors errors encoding"

run_regress ring4 "setup routing server_ring batch partition_info generated ring_shape placement tables privileges reshard hash_partitions hash_vectors trust errors" \
	"$preload" "dakera_shard.nodes = 'n1, n2, n3'" "dakera_shard.replication_factor = 2"
record "pg_regress consistent_hash 4 x 150, preloaded" $?
run_regress modulo100 "$common" "$preload" \
	"dakera_shard.strategy = modulo" "dakera_shard.num_shards = 100" "dakera_shard.virtual_nodes = 10"
record "pg_regress modulo 100 x 10, preloaded" $?
run_regress range65536 "$common" "$preload" \
	"dakera_shard.strategy = range" "dakera_shard.num_shards = 65536"
record "pg_regress range 65536, preloaded" $?
run_regress jump1000 "$common" "$preload" \
	"dakera_shard.strategy = jump" "dakera_shard.num_shards = 1000"
record "pg_regress jump 1000, preloaded" $?
run_regress ring64_local "$common no_preload first_call" \
	"dakera_shard.strategy = consistent_hash" "dakera_shard.num_shards = 64"
record "pg_regress consistent_hash 64 x 150, not preloaded (backend-local ring)" $?

shopt -s nullglob
for script in test/scripts/*.sh; do
	echo "== script $script"
	bash "$script"
	record "script $(basename "$script")" $?
done

echo
echo "tests: $suites_passed passed, $suites_failed failed"
[ "$suites_failed" -eq 0 ]
