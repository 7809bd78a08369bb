# build_lib.sh: sourced by test/pg_build.sh.  How a pinned dependency is
# built so that a build cannot lie:
#
# - each step runs on its own and its status is checked (step, step_in): no
#   subshell under `|| die`, where bash switches off set -e for the whole
#   subshell and a failed build went on to its last step and was marked done;
# - the environment of an outer make (MAKELEVEL, MAKEFLAGS, ...) is dropped
#   before any step: PostgreSQL makes its generated headers only in a
#   top-level make, so a build started from make test stopped at
#   utils/errcodes.h while the same build from a shell passed;
# - an install is trusted only through its stamp (write_stamp, written last):
#   the sum of the pinned source and the recipe; anything else is rebuilt
#   (and everything, under DAKERA_REBUILD=1: make test-fresh).

deps=${DAKERA_DEPS:-../shared/deps}
cache=$(realpath -m "${DAKERA_PG_CACHE:-/var/cache/dakera_shard}")

# a build of ours is a top-level make, wherever it is started from
unset MAKELEVEL MAKEFLAGS MFLAGS MAKEOVERRIDES GNUMAKEFLAGS MAKE_TERMOUT MAKE_TERMERR

die() { echo "pg_build: $*" >&2; exit 1; }
note() { echo "pg_build: $*" >&2; }

checked_tarball() {  # checked_tarball FILE: its path, once its sum matches SHA256SUMS
	local file=$1
	[ -f "$deps/$file" ] || die "$deps/$file is missing (shared/ must sit beside the project root)"
	(cd "$deps" && grep " $file\$" SHA256SUMS | sha256sum --check --status) ||
		die "$deps/$file does not match $deps/SHA256SUMS"
	echo "$deps/$file"
}

build_stamp() {  # build_stamp TARBALL RECIPE: what a finished build records
	local sum
	sum=$(cd "$deps" && grep " $1\$" SHA256SUMS | cut -d' ' -f1)
	[ -n "$sum" ] || die "$1 is not listed in $deps/SHA256SUMS"
	printf '%s %s\n%s\n' "$sum" "$1" "$2"
}

stamp_matches() {  # stamp_matches FILE STAMP (never, under DAKERA_REBUILD=1)
	[ "${DAKERA_REBUILD:-}" != 1 ] && [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]
}

write_stamp() {  # write_stamp FILE STAMP
	printf '%s\n' "$2" >"$1.tmp" && mv "$1.tmp" "$1"
}

step() {  # step LOG COMMAND...: run it, its output to LOG; stop the build if it fails
	local log=$1
	shift
	echo "+ $*" >>"$log"
	"$@" >>"$log" 2>&1 || die "'$*' failed with status $? (see $log)"
}

step_in() {  # step_in DIR LOG COMMAND...
	local dir=$1 log=$2
	shift 2
	echo "+ (cd $dir) $*" >>"$log"
	(cd "$dir" && exec "$@") >>"$log" 2>&1 || die "'$*' in $dir failed with status $? (see $log)"
}

take_build_lock() {  # one build into the cache at a time (held until the script ends)
	mkdir -p "$cache"
	exec 9>"$cache/.lock"
	flock 9
}

# the recipe of each build: a change here rebuilds what was built before it
PG_RECIPE="configure --enable-tap-tests --without-icu --enable-debug; install, contrib/postgres_fdw, contrib/citext, src/test/isolation, src/test/perl"
PGVECTOR_TARBALL=pgvector_0.8.6.tar.gz
PGVECTOR_RECIPE="make OPTFLAGS=; make install"

build_postgres() {  # build_postgres MAJOR PREFIX
	local major=$1 prefix=$2 tarball src stamp
	case "$major" in
	17) tarball=postgresql-17_17.11.orig.tar.bz2 ;;
	18) tarball=postgresql-18_18.6.orig.tar.bz2 ;;
	esac
	stamp=$(build_stamp "$tarball" "$PG_RECIPE")
	stamp_matches "$prefix/.complete" "$stamp" && return 0
	src=$(checked_tarball "$tarball")
	note "building PostgreSQL $major into $prefix (log: $prefix.log)"
	rm -rf "$prefix" "$prefix.src"
	mkdir -p "$prefix.src"
	: >"$prefix.log"
	step "$prefix.log" tar -xjf "$src" -C "$prefix.src" --strip-components=1
	step_in "$prefix.src" "$prefix.log" ./configure --prefix="$prefix" --enable-tap-tests --without-icu --enable-debug
	step_in "$prefix.src" "$prefix.log" make -j"$(nproc)" -s
	step_in "$prefix.src" "$prefix.log" make -s install
	local dir
	for dir in contrib/postgres_fdw contrib/citext src/test/isolation src/test/perl; do
		step_in "$prefix.src" "$prefix.log" make -s -C "$dir" install
	done
	rm -rf "$prefix.src"
	write_stamp "$prefix/.complete" "$stamp"
}

# pgvector into the server that pg_config names; its stamp sits in that
# server's extension directory, so that a server rebuilt (or reinstalled by
# apt) without it gets it again
build_pgvector() {  # build_pgvector PG_CONFIG
	local pg_config=$1 stamp stampfile work
	stamp=$(build_stamp "$PGVECTOR_TARBALL" "$PGVECTOR_RECIPE $("$pg_config" --version)")
	stampfile=$("$pg_config" --sharedir)/extension/vector.dakera-build
	stamp_matches "$stampfile" "$stamp" && [ -f "$("$pg_config" --pkglibdir)/vector.so" ] && return 0
	local src log=$cache/pgvector.log
	src=$(checked_tarball "$PGVECTOR_TARBALL")
	note "building pgvector 0.8.6 into $("$pg_config" --version) (log: $log)"
	work=$(mktemp -d)
	echo "== $(date -u +%FT%TZ) pgvector into $pg_config" >>"$log"
	step "$log" tar -xzf "$src" -C "$work" --strip-components=1
	step_in "$work" "$log" make PG_CONFIG="$pg_config" OPTFLAGS=""
	step_in "$work" "$log" make PG_CONFIG="$pg_config" OPTFLAGS="" install
	rm -rf "$work"
	write_stamp "$stampfile" "$stamp"
}

# Citus into the server that pg_config names (see ../shared/deps/README.md)
build_citus() {  # build_citus PG_CONFIG MAJOR
	local pg_config=$1 major=$2 tarball patch="" stamp stampfile work src log=$cache/citus.log
	case "$major" in
	15) tarball=citus_13.2.2.tar.gz patch=citus_13.2.2-pg15.20.patch ;;
	*) tarball=citus_14.0.1.tar.gz ;;
	esac
	stamp=$(build_stamp "$tarball" "configure --without-libcurl; make; make install; patch ${patch:-none} $("$pg_config" --version)")
	stampfile=$("$pg_config" --sharedir)/extension/citus.dakera-build
	stamp_matches "$stampfile" "$stamp" && [ -f "$("$pg_config" --pkglibdir)/citus.so" ] && return 0
	src=$(checked_tarball "$tarball")
	note "building ${tarball%.tar.gz} into $("$pg_config" --version) (log: $log)"
	work=$(mktemp -d)
	echo "== $(date -u +%FT%TZ) $tarball into $pg_config" >>"$log"
	step "$log" tar -xzf "$src" -C "$work" --strip-components=1
	if [ -n "$patch" ]; then
		step_in "$work" "$log" patch -p1 -i "$(realpath "$(checked_tarball "$patch")")"
	fi
	step_in "$work" "$log" ./configure --without-libcurl PG_CONFIG="$pg_config"
	step_in "$work" "$log" make -j"$(nproc)" -s
	step_in "$work" "$log" make -s install
	rm -rf "$work"
	write_stamp "$stampfile" "$stamp"
}

