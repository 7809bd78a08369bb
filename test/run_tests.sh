#!/usr/bin/env bash
# run_tests.sh: every test of dakera_shard (make test), from a machine that may
# have nothing.  Installs what it needs (test/deps.sh), then
#   once:  the pure C core's unit tests (plain, ASan+UBSan, without SSE2),
#          the tests of how dependencies are built (test/build_lib_test.sh),
#          under valgrind, and libFuzzer for FUZZ_SECONDS (60 by default);
#   on each PostgreSQL of PG_VERSIONS ("15 17 18" by default), one after the
#   other: builds with -Werror, installs, and runs the pg_regress suites of
#          every server configuration, the isolation specs and the TAP tests
#          (the targets of make installcheck).
# PG_CONFIG, when set, is used for its own major version; otherwise 15 is
# Debian's package and 17 and 18 are built once by test/pg_build.sh.
# Prints one line per version and ends with "tests: N passed, N failed",
# counting checks: unit-test runs, pg_regress tests, isolation specs and TAP
# assertions.  Exits non-zero on any failure.  Logs go to log/.
set -uo pipefail
cd "$(dirname "$0")/.."
VECTORS=test/data
PG_VERSIONS=${PG_VERSIONS:-15 17 18}
LOGS=log

if [ ! -f "$VECTORS/shard_vectors.tsv" ] || [ ! -f "$VECTORS/hash_vectors.tsv" ]; then
	echo "FATAL: the routing test vectors are missing: $(pwd)/$VECTORS" >&2
	exit 1
fi
bash test/deps.sh || { echo "FATAL: could not install dependencies" >&2; exit 1; }
# as root, the suites run as postgres (initdb refuses root), who must be able
# to read the project and the vectors
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -r "$PWD/sql" -a -r "$PWD/$VECTORS/shard_vectors.tsv"; then
	echo "FATAL: the user postgres, who runs the tests, cannot read $(pwd) or $VECTORS" >&2
	echo "       Make the directories above them readable (chmod o+rx) or clone elsewhere." >&2
	exit 1
fi
rm -rf "$LOGS" && mkdir -p "$LOGS"
# DAKERA_REBUILD=1 (make test-fresh) is for the builds below, once each, not
# for what the tests start
rebuild=${DAKERA_REBUILD:-}
unset DAKERA_REBUILD
# every version gets pgvector (test/pg_build.sh): its tests run, never skip
export DAKERA_REQUIRE_PGVECTOR=1
# and Citus (pg_build.sh MAJOR citus): test/t/110_citus.pl runs, never skips
export DAKERA_REQUIRE_CITUS=1

passed=0
failed=0
summaries=()
elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# --- the pure C core, once (it does not depend on PostgreSQL)
start=$SECONDS
unit_passed=0
unit_failed=0
unit() {  # unit NAME COMMAND...: one check
	if "${@:2}" >"$LOGS/unit-$1.log" 2>&1; then
		unit_passed=$((unit_passed + 1)); echo "ok - $1"
	else
		unit_failed=$((unit_failed + 1)); echo "not ok - $1 (log: $LOGS/unit-$1.log)"
		tail -n 20 "$LOGS/unit-$1.log"
	fi
}
echo "== the C core: unit tests, valgrind, libFuzzer for ${FUZZ_SECONDS:-60} s"
make -s test/core/test_core test/core/test_core_san test/core/test_core_scalar >"$LOGS/unit-build.log" 2>&1
unit core test/core/test_core "$VECTORS"
unit core-asan-ubsan test/core/test_core_san "$VECTORS"
unit core-without-sse2 test/core/test_core_scalar "$VECTORS"
unit core-valgrind make -s valgrind
unit build-lib bash test/build_lib_test.sh
unit core-fuzz make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
grep -hE '^(Done|stat::number_of_executed_units)' "$LOGS/unit-core-fuzz.log"
passed=$((passed + unit_passed)); failed=$((failed + unit_failed))
summaries+=("the C core: $unit_passed passed, $unit_failed failed in $(elapsed $((SECONDS - start)))")

# regress_counts LOG STATUS: "passed failed" from a pg_regress or
# pg_isolation_regress log (its summary line: "All N tests passed." or "M of
# N tests failed."); no summary, or a failed run that says all passed, is
# one failure more
regress_counts() {
	local line p=0 f=0
	line=$(grep -E 'All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests failed' "$1" | tail -n 1)
	if [[ $line =~ All\ ([0-9]+)\ tests\ passed ]]; then
		p=${BASH_REMATCH[1]}
	elif [[ $line =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ failed ]]; then
		f=${BASH_REMATCH[1]}; p=$((BASH_REMATCH[2] - f))
	fi
	[ "$2" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	echo "$p $f"
}

# tap_results LOG STATUS: from prove -v, a line per test file, then "TOTAL
# passed failed": each "ok N" and "not ok N" line, plus one failure for a
# file that stopped early with no failed assertion (it died, or none ran),
# one for a bail-out, and one if prove failed with none of those
tap_results() {
	awk -v status="$2" '
		/^test\/t\/[^ ]+\.pl \.+ *$/ { f = $1; order[++n] = f; next }
		/^test\/t\/[^ ]+\.pl \.+ skipped/ { f = ""; order[++n] = $1; sub(/^[^ ]+ \.+ skipped:? */, ""); skip[order[n]] = $0; next }
		/^Bailout called/ { bailouts++ }
		f && /^ok [0-9]/ { ok[f]++ }
		f && /^not ok [0-9]/ { nok[f]++; print "   " f ": " $0 }
		f && /^Dubious, test returned/ { died[f] = 1 }
		END {
			for (i = 1; i <= n; i++) {
				f = order[i]
				if (f in skip) { printf "TAP %s: skipped: %s\n", f, skip[f]; continue }
				p += ok[f]; x += nok[f]
				if (died[f] && !nok[f]) x++
				printf "TAP %s: %d passed, %d failed%s\n", f, ok[f], nok[f] + (died[f] && !nok[f]),
					died[f] ? " (it stopped early)" : ""
			}
			x += bailouts
			if (status != 0 && x == 0) x = 1
			print "TOTAL", p + 0, x + 0
		}' "$1"
}

# --- each PostgreSQL in turn
for major in $PG_VERSIONS; do
	start=$SECONDS
	vlog=$LOGS/pg$major
	mkdir -p "$vlog"
	echo
	echo "== PostgreSQL $major"
	if ! pg_config=$(DAKERA_REBUILD=$rebuild bash test/pg_build.sh "$major" citus); then
		failed=$((failed + 1))
		summaries+=("PostgreSQL $major: not available (see above), counted as 1 failed")
		continue
	fi
	version=$("$pg_config" --version)
	echo "$version ($pg_config)"
	make -s clean >/dev/null
	if ! { make -s PG_CONFIG="$pg_config" && make -s PG_CONFIG="$pg_config" install; } >"$vlog/build.log" 2>&1; then
		cat "$vlog/build.log"
		failed=$((failed + 1))
		summaries+=("$version: the build or install failed, counted as 1 failed")
		continue
	fi
	v_passed=0 v_failed=0 detail=""
	add() {  # add WHAT "PASSED FAILED"
		set -- "$1" $2
		v_passed=$((v_passed + $2)); v_failed=$((v_failed + $3))
		detail+="${detail:+, }$1 $2/$(($2 + $3))"
	}
	# pg_regress, one server configuration after the other
	r_passed=0 r_failed=0
	for config in $(make -s PG_CONFIG="$pg_config" print-regress-configs); do
		make -s PG_CONFIG="$pg_config" "installcheck-$config" >"$vlog/regress-$config.log" 2>&1
		read -r p f < <(regress_counts "$vlog/regress-$config.log" $?)
		r_passed=$((r_passed + p)); r_failed=$((r_failed + f))
		echo "pg_regress [$config]: $p passed, $f failed"
		if [ "$f" -ne 0 ]; then
			grep -E 'FAILED|^not ok' "$vlog/regress-$config.log" | head -n 20
			cp tmp_check/regress/"$config"/regression.diffs "$vlog/regress-$config.diffs" 2>/dev/null &&
				echo "   diffs: $vlog/regress-$config.diffs"
		fi
	done
	add pg_regress "$r_passed $r_failed"
	# the isolation specs
	make -s PG_CONFIG="$pg_config" installcheck-isolation >"$vlog/isolation.log" 2>&1
	read -r p f < <(regress_counts "$vlog/isolation.log" $?)
	echo "isolation: $p passed, $f failed"
	if [ "$f" -ne 0 ]; then
		cp tmp_check/isolation/regression.diffs "$vlog/isolation.diffs" 2>/dev/null &&
			echo "   diffs: $vlog/isolation.diffs"
	fi
	add isolation "$p $f"
	# the TAP tests
	make -s PG_CONFIG="$pg_config" installcheck-tap PROVE_FLAGS=-v >"$vlog/tap.log" 2>&1
	tap_results "$vlog/tap.log" $? >"$vlog/tap.summary"
	grep -v '^TOTAL' "$vlog/tap.summary"
	grep -E '^Bailout|Looks like your test (exited|died)' "$vlog/tap.log"
	read -r _ p f < <(grep '^TOTAL' "$vlog/tap.summary")
	echo "TAP: $p passed, $f failed"
	add TAP "$p $f"
	[ "$f" -ne 0 ] && cp -r tmp_check/tap/tmp_check/log "$vlog/tap-logs" 2>/dev/null &&
		echo "   server and test logs: $vlog/tap-logs"
	passed=$((passed + v_passed)); failed=$((failed + v_failed))
	summaries+=("$version: $v_passed passed, $v_failed failed ($detail) in $(elapsed $((SECONDS - start)))")
done

echo
printf '%s\n' "${summaries[@]}"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
