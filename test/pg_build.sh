#!/usr/bin/env bash
# pg_build.sh MAJOR: print the pg_config of PostgreSQL MAJOR, building it first
# when it is not there yet.
#
#   15        Debian 12's package (test/deps.sh installs it), or PG_CONFIG
#             when that names a PostgreSQL 15
#   17, 18    the pinned upstream sources in ../shared/deps/, checked against
#             SHA256SUMS, configured with --enable-tap-tests and installed with
#             contrib/postgres_fdw under $DAKERA_PG_CACHE/pgMAJOR (outside the
#             clone, reused by the next run)
#
# pgvector 0.8.0 is installed into every version, 15 included (Debian 12 has
# no package of it), from the same pinned sources by test/pgvector.sh.
#
# Build logs go to $DAKERA_PG_CACHE/pgMAJOR.log; the only line on stdout is
# the pg_config path.
set -euo pipefail
cd "$(dirname "$0")/.."
major=${1:?usage: pg_build.sh MAJOR}
deps=../shared/deps
cache=${DAKERA_PG_CACHE:-/var/cache/dakera_shard}

die() { echo "pg_build: $*" >&2; exit 1; }

checked_tarball() {  # checked_tarball FILE: the path, once its sum matches
	local file=$1
	[ -f "$deps/$file" ] || die "$deps/$file is missing (shared/ must sit beside the project root)"
	(cd "$deps" && grep " $file\$" SHA256SUMS | sha256sum --check --status) ||
		die "$deps/$file does not match $deps/SHA256SUMS"
	echo "$deps/$file"
}

# pgvector into the server that pg_config names, unless it has it already
# (not fatal: pgvector 0.8.0 does not build on 18, where vacuum_delay_point()
# gained an argument; the tests that need it skip, and it is not tried again)
build_pgvector() {
	local failed
	failed=$cache/pgvector-failed.$(echo "$1" | md5sum | cut -c1-12)
	[ -f "$failed" ] && return 0
	bash test/pgvector.sh "$1" || {
		echo "pg_build: pgvector could not be installed into $1 (see $cache/pgvector.log); going on without it" >&2
		touch "$failed"
	}
}

mkdir -p "$cache"
case "$major" in
15)
	# PG_CONFIG when it names a PostgreSQL 15 (each developer's own copy),
	# else Debian's
	pg_config=/usr/lib/postgresql/15/bin/pg_config
	if [ -n "${PG_CONFIG:-}" ] && "$PG_CONFIG" --version 2>/dev/null | grep -q '^PostgreSQL 15\.'; then
		pg_config=$PG_CONFIG
	fi
	[ -x "$pg_config" ] || die "PostgreSQL 15 is not installed (run test/deps.sh)"
	;;
17 | 18)
	prefix=$cache/pg$major
	pg_config=$prefix/bin/pg_config
	if [ ! -f "$prefix/.complete" ]; then
		case "$major" in
		17) tarball=postgresql-17_17.11.orig.tar.bz2 ;;
		18) tarball=postgresql-18_18.6.orig.tar.bz2 ;;
		esac
		src=$(checked_tarball "$tarball")
		echo "pg_build: building PostgreSQL $major into $prefix (log: $prefix.log)" >&2
		rm -rf "$prefix" "$prefix.src"
		mkdir -p "$prefix.src"
		tar -xjf "$src" -C "$prefix.src" --strip-components=1
		(
			cd "$prefix.src"
			./configure --prefix="$prefix" --enable-tap-tests --without-icu --enable-debug
			make -j"$(nproc)" -s
			make -s install
			make -s -C contrib/postgres_fdw install
			make -s -C contrib/citext install
			make -s -C src/test/isolation install
			make -s -C src/test/perl install
		) >"$prefix.log" 2>&1 || die "PostgreSQL $major did not build (see $prefix.log)"
		rm -rf "$prefix.src"
		touch "$prefix/.complete"
	fi
	;;
*) die "PostgreSQL $major: only 15, 17 and 18 are tested here" ;;
esac
build_pgvector "$pg_config"
echo "$pg_config"
