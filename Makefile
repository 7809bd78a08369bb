# dakera_shard: PGXS build, after pgvector's Makefile.
#
#   make && make install      build and install against PG_CONFIG
#   make test                 every test on PostgreSQL 15, 17 and 18 (PG_VERSIONS="15" narrows it),
#                             on a fresh Debian 12 machine (installs what it needs)
#   make test-fresh           the same with an empty build cache: everything built again
#   make installcheck         pg_regress, isolation and TAP tests against the installed extension
#   make demo                 a throwaway preloaded cluster routing sample vector rows
#   make demo-citus           a throwaway Citus cluster whose shards are the engine's
#   make unittest             the pure C core's unit tests: plain, ASan+UBSan, scalar (no SSE2)

EXTENSION = dakera_shard
EXTVERSION = 0.2.0

MODULE_big = dakera_shard

# Install scripts.  Released ones are files in sql/, never edited.  The
# version in development is built from sql/install/, one file per concern:
# the fresh install from all of them, the update from the last release from
# its own head and storage steps plus the same definitions (functions and
# views are CREATE OR REPLACE), so that each object is written once and the
# upgrade test can compare both results object by object.
DATA = sql/$(EXTENSION)--0.1.0.sql
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql sql/$(EXTENSION)--0.1.0--$(EXTVERSION).sql
FRESH_PIECES = $(patsubst %,sql/install/%.sql,head prerequisites routing placement storage shape tables reshard hash_ops \
	key_type citus overview privileges privileges-since-0.1.0 record)
UPDATE_PIECES = $(patsubst %,sql/install/%.sql,0.1.0--0.2.0-head prerequisites 0.1.0--0.2.0-drops routing placement \
	0.1.0--0.2.0-storage shape tables reshard \
	hash_ops key_type citus overview privileges-since-0.1.0)
CORE_OBJS = src/core/keyhash.o src/core/ring.o src/core/jump.o src/core/shape.o src/core/placement.o \
	src/core/reshard.o
OBJS = $(CORE_OBJS) src/dakera_shard.o src/extension_catalog.o \
	src/routing/settings.o src/routing/shape_errors.o src/routing/server_ring.o src/routing/ring_record.o \
	src/routing/ring_cache.o src/routing/routing.o src/routing/shard_batch.o src/routing/key_encoding.o \
	src/placement/node_health.o src/placement/shard_placement.o \
	src/tables/routing_key.o src/tables/table_route.o src/tables/deparse.o src/tables/owner_scope.o \
	src/tables/table_functions.o src/tables/partition_ddl.o src/tables/copy_hint.o \
	src/reshard/hash_reshard.o src/reshard/reshard_plan.o \
	src/hashops/shard_hash_ops.o src/hashops/hash_partitions.o src/hashops/shard_key_type.o

# pg_regress suites (sql/NAME.sql, expected/NAME.out), by server
# configuration: each runs in a temporary instance started with
# test/regress/CONFIG.conf (--temp-config); REGRESS_CONFIG lists its suites.
# To add a suite, add its name to the lists of the configurations it runs
# under; to add a configuration, add test/regress/NAME.conf, a REGRESS_NAME
# list and NAME to REGRESS_CONFIGS.  make installcheck runs them all.
REGRESS_CONFIGS = ring4 modulo100 range65536 jump1000 ring64_local
REGRESS_ring4 = setup routing server_ring batch partition_info generated ring_shape placement tables \
	privileges reshard hash_partitions key_type hash_collation hash_vectors trust errors
REGRESS_modulo100 = setup routing server_ring batch hash_vectors errors encoding
REGRESS_range65536 = setup routing server_ring batch hash_vectors errors encoding
REGRESS_jump1000 = setup routing server_ring batch hash_vectors errors encoding
REGRESS_ring64_local = setup routing server_ring batch hash_vectors errors encoding no_preload first_call
REGRESS_OPTS = --inputdir=. --dbname=contrib_regression

# isolation specs (test/isolation/specs/NAME.spec, expected/NAME.out), in a
# temporary instance started with test/isolation/isolation.conf
ISOLATION_SPECS = shape_record registrations reshard_writer
ISOLATION_CONF = test/isolation/isolation.conf

# TAP tests: every test/t/*.pl, by prove (PROVE_TESTS=test/t/001_x.pl for one)
PROVE_TESTS ?= $(sort $(wildcard test/t/*.pl))

PG_CPPFLAGS = -I$(srcdir)/src -DDAKERA_SHARD_VERSION='"$(EXTVERSION)"'
# -fvisibility=hidden: the library exports only its SQL entry points, _PG_init
# and the magic block (PGXS does this itself from 16; src/compat.h marks them on 15)
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -fvisibility=hidden

EXTRA_CLEAN = .pg_built_for test/core/test_core test/core/test_core_san test/core/test_core_scalar \
	test/fuzz/fuzz_core test/fuzz/work

# Debian's PostgreSQL 15 first; override with make PG_CONFIG=...
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
# installcheck is ours (below): one temporary instance per configuration
NO_INSTALLCHECK = 1
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
all install installcheck:
	@echo "PostgreSQL server development files not found (pg_config: $(PG_CONFIG))." >&2
	@echo "Install them with: bash test/deps.sh  (Debian: postgresql-server-dev-15)" >&2
	@exit 1
endif

# the scripts of the version in development, from their pieces (after PGXS,
# so that "all" stays the default goal)
# (and again when the Makefile changes which pieces they are made of)
sql/$(EXTENSION)--$(EXTVERSION).sql: $(FRESH_PIECES) Makefile
	cat $(FRESH_PIECES) > $@
sql/$(EXTENSION)--0.1.0--$(EXTVERSION).sql: $(UPDATE_PIECES) Makefile
	cat $(UPDATE_PIECES) > $@

# PGXS tracks no header dependencies: rebuild every object when a header
# changes (the ring lookup, for one, is inline in src/core/ring.h)
$(OBJS): $(wildcard src/*.h src/*/*.h)

# Objects are built for one PostgreSQL: after a build for another
# (PG_CONFIG=...), rebuild them rather than install a library that the
# server cannot load.  The stamp changes only when the target does.
.pg_built_for: FORCE
	@echo '$(PGXS) $(VERSION)' | cmp -s - $@ || echo '$(PGXS) $(VERSION)' > $@
$(OBJS) $(OBJS:.o=.bc): .pg_built_for
.PHONY: FORCE

CORE_SRCS = $(CORE_OBJS:.o=.c)
CORE_CFLAGS = -std=c99 -O2 -g -Wall -Wextra -Werror -Isrc/core

TEST_CORE_DEPS = test/core/test_core.c test/core/naive_ring.h $(CORE_SRCS) src/core/*.h

test/core/test_core: $(TEST_CORE_DEPS)
	$(CC) $(CORE_CFLAGS) -o $@ test/core/test_core.c $(CORE_SRCS) -lm

# the sanitizer build also narrows the ring's bucket lines to 4 words (3
# entries), so that nearly every bucket spills and lookups take the exact path
test/core/test_core_san: $(TEST_CORE_DEPS)
	$(CC) $(CORE_CFLAGS) -DRING_SMALL_LINE_WORDS=4 -DRING_LARGE_LINE_WORDS=8 -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer -o $@ test/core/test_core.c $(CORE_SRCS) -lm

FUZZ_SECONDS ?= 60
CLANG ?= $(firstword $(wildcard /usr/bin/clang-14 /usr/bin/clang) clang)

test/fuzz/fuzz_core: test/fuzz/fuzz_core.c test/core/naive_ring.h $(CORE_SRCS) src/core/*.h
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc/core -Itest/core \
		-o $@ test/fuzz/fuzz_core.c $(CORE_SRCS)

# valgrind over the plain unit-test build (ASan and valgrind cannot share a binary)
valgrind: test/core/test_core
	valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
		test/core/test_core test/data

.PHONY: unittest test test-fresh demo figures bench bench-vectors bench-citus fuzz valgrind

# libFuzzer for FUZZ_SECONDS from the committed seeds; new inputs go to a
# scratch directory, never into the repository
fuzz: test/fuzz/fuzz_core
	rm -rf test/fuzz/work && mkdir -p test/fuzz/work
	test/fuzz/fuzz_core -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
		test/fuzz/work test/fuzz/corpus

# the ring's portable line compare, as CPUs without SSE2 run it
test/core/test_core_scalar: $(TEST_CORE_DEPS)
	$(CC) $(CORE_CFLAGS) -U__SSE2__ -o $@ test/core/test_core.c $(CORE_SRCS) -lm

unittest: test/core/test_core test/core/test_core_san test/core/test_core_scalar
	test/core/test_core test/data
	test/core/test_core_san test/data
	test/core/test_core_scalar test/data

# Tests against the installed extension, each in servers of its own (as root
# they run as the postgres user: initdb refuses root).  Output goes to
# tmp_check/: regress/CONFIG/ and isolation/ (results, regression.diffs, the
# server log) and tap/ (the TAP tests' logs and clusters).
#   make installcheck               every suite below
#   make installcheck-CONFIG        the pg_regress suites of one configuration
#   make installcheck-regress       every configuration
#   make installcheck-isolation     the isolation specs
#   make installcheck-tap           the TAP tests (PROVE_TESTS=..., PROVE_FLAGS=-v)
TEST_OUT = tmp_check
EXTRA_CLEAN += $(TEST_OUT)
AS_TESTER = $(if $(filter 0,$(shell id -u)),runuser -u postgres --)
# servers made by the tests are UTF-8 whatever the caller's locale (the
# contract hashes UTF-8; a machine without LANG would give SQL_ASCII);
# pg_regress and the TAP framework drop LC_ALL themselves
TEST_ENV = env LANG=C.UTF-8 LC_CTYPE=C.UTF-8
PG_REGRESS = $(top_builddir)/src/test/regress/pg_regress
PG_ISOLATION_REGRESS = $(top_builddir)/src/test/isolation/pg_isolation_regress

.PHONY: print-regress-configs installcheck installcheck-regress installcheck-isolation installcheck-tap prove_installcheck test-out

installcheck: installcheck-regress installcheck-isolation installcheck-tap

installcheck-regress: $(addprefix installcheck-,$(REGRESS_CONFIGS))

print-regress-configs:
	@echo $(REGRESS_CONFIGS)

test-out:
	@mkdir -p $(TEST_OUT)
	@$(if $(AS_TESTER),chown postgres: $(TEST_OUT))

installcheck-%: test/regress/%.conf test-out
	@$(AS_TESTER) rm -rf $(TEST_OUT)/regress/$*
	@$(AS_TESTER) mkdir -p $(TEST_OUT)/regress/$*
	@echo "+++ pg_regress [$*]: $(REGRESS_$*)"
	$(AS_TESTER) $(TEST_ENV) $(PG_REGRESS) --bindir='$(bindir)' $(REGRESS_OPTS) \
		--temp-instance=$(TEST_OUT)/regress/$*/instance --temp-config=$< \
		--outputdir=$(TEST_OUT)/regress/$* $(REGRESS_$*)

installcheck-isolation: test-out
	@$(AS_TESTER) rm -rf $(TEST_OUT)/isolation
	@$(AS_TESTER) mkdir -p $(TEST_OUT)/isolation
	@echo "+++ isolation: $(ISOLATION_SPECS)"
	$(AS_TESTER) $(TEST_ENV) $(PG_ISOLATION_REGRESS) --bindir='$(bindir)' --inputdir=test/isolation \
		--dbname=isolation_regression \
		--temp-instance=$(TEST_OUT)/isolation/instance --temp-config=$(ISOLATION_CONF) \
		--outputdir=$(TEST_OUT)/isolation $(ISOLATION_SPECS)

# as pgvector's prove_installcheck, with the clusters' output under
# tmp_check/tap/tmp_check (TESTDIR on 15 and 16, TESTDATADIR and TESTLOGDIR
# from 17)
installcheck-tap prove_installcheck: test-out
	@$(AS_TESTER) rm -rf $(TEST_OUT)/tap
	@$(AS_TESTER) mkdir -p $(TEST_OUT)/tap
	@echo "+++ tap: $(notdir $(PROVE_TESTS))"
	$(AS_TESTER) $(TEST_ENV) TESTDIR='$(CURDIR)/$(TEST_OUT)/tap' TESTDATADIR='$(CURDIR)/$(TEST_OUT)/tap/tmp_check' \
		TESTLOGDIR='$(CURDIR)/$(TEST_OUT)/tap/tmp_check/log' PATH="$(bindir):$$PATH" PG_CONFIG='$(PG_CONFIG)' \
		PGPORT='6$(DEF_PGPORT)' PG_REGRESS='$(PG_REGRESS)' \
		$(PROVE) $(PG_PROVE_FLAGS) -I test/perl $(PROVE_FLAGS) $(PROVE_TESTS)

# every test on every tested PostgreSQL (PG_VERSIONS="15 17 18" by default);
# PG_CONFIG, when given, is used for its own major version
test:
	bash test/run_tests.sh

# make test as on a machine that has never built anything: PostgreSQL 17 and
# 18, pgvector (and Citus where asked) built again into an empty cache, and
# into Debian's PostgreSQL 15 again, whatever stamps they carry
test-fresh:
	cache=$$(mktemp -d /var/tmp/dakera_fresh.XXXXXX) && chmod 755 $$cache && \
		DAKERA_PG_CACHE=$$cache DAKERA_REBUILD=1 bash test/run_tests.sh; \
		status=$$?; rm -rf $$cache; exit $$status

demo:
	bash test/demo.sh

# a throwaway Citus coordinator and two workers: Citus shard i = engine shard i
demo-citus:
	bash test/demo_citus.sh

figures:
	bash test/figures.sh

# PG_CONFIG=... picks the server (PostgreSQL 15 by default); PG_VERSIONS="15
# 18", as make test takes it, runs the benchmarks on each in turn
bench:
ifdef PG_VERSIONS
	set -e; for major in $(PG_VERSIONS); do \
		pg_config=$$(bash test/pg_build.sh $$major); \
		PG_CONFIG=$$pg_config bash test/bench.sh; \
		PG_CONFIG=$$pg_config bash test/bench_vectors.sh; \
		PG_CONFIG=$$pg_config bash test/bench_citus.sh; \
	done
else
	bash test/bench.sh
	bash test/bench_vectors.sh
	bash test/bench_citus.sh
endif

# shard_key against text and k-NN across workers on a Citus cluster (part of make bench)
bench-citus:
	bash test/bench_citus.sh

# k-NN and COPY over pgvector rows, sharded vs one table (part of make bench)
bench-vectors:
	bash test/bench_vectors.sh
