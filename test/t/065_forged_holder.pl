# A relation that only looks like a re-shard's holding table is never read.
# The reports (shard_overview, partition_info, shard_verify) count the pending
# rows of an unfinished HASH re-shard, as the table's owner.  A second tenant
# who may create in the same schema planted a VIEW named <table>_reshard_pending
# with the holder's marker comment (it names the table): the reports
# ran the view's function as the first tenant, who thereby granted the second
# one every right on its table (outside review, finding 43).  The holder is
# now only a plain table of the routed table's own owner.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('forged_holder', preload(), 'dakera_shard.num_shards = 4');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE ROLE tenant LOGIN;
	CREATE ROLE tenant2 LOGIN;
	CREATE ROLE dba LOGIN IN ROLE pg_read_all_data;
	CREATE SCHEMA app;
	GRANT USAGE, CREATE ON SCHEMA app TO tenant, tenant2;
	GRANT USAGE ON SCHEMA app TO dba;
	CREATE SCHEMA t2x AUTHORIZATION tenant2;
	SET ROLE tenant;
	CREATE TABLE app.vec (id text NOT NULL, v int) PARTITION BY HASH (id public.shard_ops);
	SELECT count(*) FROM public.create_shard_partitions('app.vec');
	INSERT INTO app.vec SELECT 'k' || g, g FROM generate_series(1, 100) g;
	GRANT SELECT ON app.vec TO dba;
	SET ROLE tenant2;
	CREATE TABLE t2x.ran (who name);
	GRANT INSERT ON t2x.ran TO PUBLIC;
	CREATE FUNCTION t2x.steal() RETURNS bool LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO t2x.ran VALUES (current_user);
		EXECUTE 'GRANT ALL ON app.vec TO tenant2';
		RETURN true;
	END $$;
	GRANT USAGE ON SCHEMA t2x TO PUBLIC;
	CREATE VIEW app.vec_reshard_pending AS SELECT 'x'::text AS id, 1 AS v WHERE t2x.steal();
	GRANT SELECT ON app.vec_reshard_pending TO PUBLIC;
	COMMENT ON VIEW app.vec_reshard_pending IS 'dakera_shard: rows of table vec waiting to be re-sharded';
	CREATE TABLE app.other (id text NOT NULL, v int) PARTITION BY HASH (id public.shard_ops);
	SELECT count(*) FROM public.create_shard_partitions('app.other');
	RESET ROLE;
	-- a plain table of another owner with the marker: not ours either
	SET ROLE tenant2;
	CREATE TABLE app.vec2_reshard_pending (id text, v int);
	INSERT INTO app.vec2_reshard_pending VALUES ('fake-1', 1), ('fake-2', 2);
	GRANT SELECT ON app.vec2_reshard_pending TO PUBLIC;
	RESET ROLE;
	SET ROLE tenant;
	CREATE TABLE app.vec2 (id text NOT NULL, v int) PARTITION BY HASH (id public.shard_ops);
	SELECT count(*) FROM public.create_shard_partitions('app.vec2');
	INSERT INTO app.vec2 SELECT 'k' || g, g FROM generate_series(1, 10) g;
	GRANT SELECT ON app.vec2 TO dba;
	RESET ROLE;
	SET ROLE tenant2;
	COMMENT ON TABLE app.vec2_reshard_pending IS 'dakera_shard: rows of table vec2 waiting to be re-sharded';
});

for my $who ('dba', 'postgres')
{
	my $set = $who eq 'postgres' ? '' : "SET ROLE $who;";
	is($node->safe_psql('postgres', "$set SELECT sum(rows) FROM public.shard_overview"), '110',
		"[$who] shard_overview counts the tables' own rows, none of a planted holder");
	is($node->safe_psql('postgres', "$set SELECT sum(vector_count) FROM public.partition_info('app.vec')"), '100',
		"[$who] partition_info counts no planted row");
	is($node->safe_psql('postgres', "$set SELECT sum(vector_count) FROM public.partition_info('app.vec2')"), '10',
		"[$who] a planted plain table of another owner is not read either");
	is($node->safe_psql('postgres', "$set SELECT stale_rows FROM public.shard_verify('app.vec', 'id')"), '0',
		"[$who] shard_verify sees no planted stale row");
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM t2x.ran'), '0', "the planted view's function never ran");
is($node->safe_psql('postgres', q{SELECT has_table_privilege('tenant2', 'app.vec', 'UPDATE')}), 'f',
	'the second tenant gained no right on the table');
$node->stop;
done_testing();
