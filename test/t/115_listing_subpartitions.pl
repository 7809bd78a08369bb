# Which tables the listings show, and how often their rows count (review
# finding 18): a table partitioned by shard below a parent partitioned by
# time (RANGE) is listed by sharded_tables() and counted by shard_overview,
# once; a partition of a table that is itself routed by shard is not listed
# (its parent is, and the parent's scan counts its rows).  "Partitions are
# not listed" used to apply to every partition, so the month tables below a
# RANGE parent were invisible to both listings.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('listing_subpartitions', preload(), 'dakera_shard.num_shards = 4');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE ROLE tenant LOGIN;
	CREATE ROLE dba LOGIN IN ROLE dakera_shard_admin;
	CREATE SCHEMA app AUTHORIZATION tenant;
	GRANT USAGE ON SCHEMA app TO PUBLIC;
	SET ROLE tenant;
	-- by month, then by shard
	CREATE TABLE app.ev (at date NOT NULL, id text NOT NULL) PARTITION BY RANGE (at);
	CREATE TABLE app.ev_2026_11 PARTITION OF app.ev FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')
		PARTITION BY LIST (public.shard_for(id));
	CREATE TABLE app.ev_2026_12 PARTITION OF app.ev FOR VALUES FROM ('2026-12-01') TO ('2027-01-01')
		PARTITION BY LIST (public.shard_for(id));
	SELECT count(*) FROM public.create_shard_partitions('app.ev_2026_11');
	SELECT count(*) FROM public.create_shard_partitions('app.ev_2026_12');
	INSERT INTO app.ev SELECT '2026-11-04', 'n' || g FROM generate_series(1, 30) g;
	INSERT INTO app.ev SELECT '2026-12-04', 'k' || g FROM generate_series(1, 100) g;
	-- by time, with a generated shard column on the parent: the parent is listed, its partitions not
	CREATE TABLE app.gen (at date NOT NULL, id text NOT NULL,
		s int GENERATED ALWAYS AS (public.shard_for(id)) STORED) PARTITION BY RANGE (at);
	CREATE TABLE app.gen_2026 PARTITION OF app.gen FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
	INSERT INTO app.gen (at, id) SELECT '2026-05-05', 'g' || g FROM generate_series(1, 7) g;
	-- by shard, a partition further partitioned by shard: only the top is listed
	CREATE TABLE app.l (id text NOT NULL) PARTITION BY LIST (public.shard_for(id));
	CREATE TABLE app.l_0 PARTITION OF app.l FOR VALUES IN (0, 1, 2, 3) PARTITION BY LIST (public.shard_for(id));
	CREATE TABLE app.l_0_all PARTITION OF app.l_0 DEFAULT;
	INSERT INTO app.l SELECT 'l' || g FROM generate_series(1, 11) g;
	GRANT SELECT ON ALL TABLES IN SCHEMA app TO PUBLIC;
});

is($node->safe_psql('postgres', q{SELECT string_agg(rel::text || ':' || coalesce(shard_column::text, '-'), ',' ORDER BY rel::text)
	FROM public.sharded_tables()}),
	'app.ev_2026_11:-,app.ev_2026_12:-,app.gen:s,app.l:-',
	'the month tables partitioned by shard are listed; partitions of a routed table are not');
is($node->safe_psql('postgres', q{SET ROLE dba; SELECT sum(rows) FROM public.shard_overview}), '148',
	'shard_overview counts every row once (30 + 100 + 7 + 11)');
is($node->safe_psql('postgres', q{SELECT sum(vector_count) FROM public.partition_info('app.ev_2026_12')}), '100',
	'partition_info of a month table');
$node->stop;
done_testing();
