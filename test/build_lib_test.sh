#!/usr/bin/env bash
# build_lib_test.sh: tests of test/build_lib.sh, the way every pinned
# dependency is built, on a fake pgvector source and a fake pg_config (seconds,
# no compiler).  The fake source builds only in a top-level make, as
# PostgreSQL does, and can be made to fail in its first step while its last
# step succeeds: the two ways a build of PostgreSQL 17 once failed inside make
# test and was marked complete.  Prints TAP; exits non-zero on a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
failed=0
ok() {  # ok STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

# a fake server: pg_config answers from $work/pg
mkdir -p "$work/pg/share/extension" "$work/pg/lib" "$work/deps"
cat >"$work/pg/pg_config" <<EOF
#!/bin/sh
case "\$1" in
--sharedir) echo "$work/pg/share" ;;
--pkglibdir) echo "$work/pg/lib" ;;
--version) echo "PostgreSQL 99.0" ;;
esac
EOF
chmod +x "$work/pg/pg_config"

# fake_source MODE: pgvector_0.8.6.tar.gz whose build is good, or whose first
# step fails while install succeeds (MODE=bad), listed in SHA256SUMS
fake_source() {
	local src=$work/src/pgvector-0.8.6
	rm -rf "$work/src" && mkdir -p "$src"
	cat >"$src/Makefile" <<'EOF'
all:
ifneq ($(MAKELEVEL),0)
	@echo "inherited MAKELEVEL=$(MAKELEVEL): generated headers are made only in a top-level make"; exit 1
endif
	@test ! -f bad || { echo "the build fails"; exit 1; }
	echo built >vector.so
install:
	@test -f vector.so || echo partial >vector.so
	cp vector.so $$($(PG_CONFIG) --pkglibdir)/vector.so
EOF
	[ "$1" = bad ] && touch "$src/bad"
	echo "$1 $RANDOM" >"$src/VERSION"
	tar -czf "$work/deps/pgvector_0.8.6.tar.gz" -C "$work/src" pgvector-0.8.6
	(cd "$work/deps" && sha256sum pgvector_0.8.6.tar.gz >SHA256SUMS)
}

build() {  # a build of pgvector as make test starts it: from inside make
	MAKELEVEL=2 MAKEFLAGS="-s -j2 -- PG_CONFIG=/elsewhere" DAKERA_REBUILD= DAKERA_DEPS="$work/deps" DAKERA_PG_CACHE="$work/cache" \
		bash -c '. test/build_lib.sh && take_build_lock && build_pgvector "$1"' _ "$work/pg/pg_config" >"$work/out" 2>&1
}
stamp=$work/pg/share/extension/vector.dakera-build
builds() { grep -c '^== ' "$work/cache/pgvector.log" 2>/dev/null || echo 0; }

fake_source good
build
ok $? "a build started from inside make succeeds (make's variables are not inherited)"
[ -f "$stamp" ] && [ "$(cat "$work/pg/lib/vector.so")" = built ]
ok $? "it installed the library and then wrote its stamp"
grep -q "$(cut -d' ' -f1 "$work/deps/SHA256SUMS")" "$stamp"
ok $? "the stamp names the sum of the source it was built from"

build
ok $? "a second run succeeds"
[ "$(builds)" -eq 1 ]
ok $? "a second run with the same source and recipe does not build again"

fake_source good
build
[ $? -eq 0 ] && [ "$(builds)" -eq 2 ]
ok $? "another source (another sum) is rebuilt, not trusted"

rm -f "$stamp"
build
[ $? -eq 0 ] && [ "$(builds)" -eq 3 ]
ok $? "an install without its stamp is rebuilt"

fake_source bad
build
[ $? -ne 0 ]
ok $? "a failing first step fails the build, though its last step would succeed"
! grep -q "$(cut -d' ' -f1 "$work/deps/SHA256SUMS")" "$stamp"
ok $? "a failed build leaves no stamp for its source"
grep -q "failed with status" "$work/out"
ok $? "the failure names the step that failed and its log"
build
[ $? -ne 0 ] && [ "$(builds)" -eq 5 ]
ok $? "the next run tries the failed build again rather than trusting it"

echo 'ffff  pgvector_0.8.6.tar.gz' >"$work/deps/SHA256SUMS"
build
[ $? -ne 0 ] && grep -q "does not match" "$work/out"
ok $? "a source that does not match SHA256SUMS is refused"

echo "1..$n"
[ "$failed" -eq 0 ]
