# A tenant creating and dropping routed tables in a loop while the DBA lists
# (review finding 13): every call of shard_overview and sharded_tables()
# succeeds.  A listing used to read a table's catalog rows and columns, then
# open it, with nothing keeping the table from being dropped in between:
# about 1 call in 12 failed with "relation with OID ... does not exist",
# "cache lookup failed for attribute ..." (an internal error) or a NULL name.
# Now each table is locked (without waiting) before its catalog is read, and
# one that vanished is left out.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('listings_churn', preload(), 'dakera_shard.num_shards = 4');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE ROLE tenant LOGIN;
	CREATE ROLE dba LOGIN IN ROLE dakera_shard_admin;
	CREATE SCHEMA app AUTHORIZATION tenant;
	GRANT USAGE ON SCHEMA app TO PUBLIC;
	SET ROLE tenant;
	CREATE SEQUENCE app.rounds;
	CREATE TABLE app.keep (id text, s int GENERATED ALWAYS AS (public.shard_for(id)) STORED);
	INSERT INTO app.keep (id) SELECT g::text FROM generate_series(1, 100) g;
	GRANT SELECT ON app.keep TO PUBLIC;
	CREATE PROCEDURE app.churn(n int) LANGUAGE plpgsql AS $$
	BEGIN
		FOR i IN 1 .. n LOOP
			CREATE TABLE app.churn (id text, s int GENERATED ALWAYS AS (public.shard_for(id)) STORED);
			GRANT SELECT ON app.churn TO PUBLIC;
			INSERT INTO app.churn (id) SELECT g::text FROM generate_series(1, 500) g;
			COMMIT;
			CREATE TABLE app.churn_l (id text NOT NULL) PARTITION BY LIST (public.shard_for(id));
			PERFORM count(*) FROM public.create_shard_partitions('app.churn_l');
			GRANT SELECT ON app.churn_l TO PUBLIC;
			INSERT INTO app.churn_l SELECT g::text FROM generate_series(1, 200) g;
			COMMIT;
			DROP TABLE app.churn;
			COMMIT;
			DROP TABLE app.churn_l;
			PERFORM nextval('app.rounds');
			COMMIT;
		END LOOP;
	END $$;
});

my $churn = $node->background_psql('postgres', on_error_stop => 0);
$churn->query_safe('SET ROLE tenant');
$churn->query_until(qr/started/, "\\echo started\nCALL app.churn(1000000);\n");
ok($node->poll_query_until('postgres', q{SELECT last_value > 2 FROM app.rounds}), 'the tenant churns');
my $start = $node->safe_psql('postgres', 'SELECT last_value FROM app.rounds');

my (%failed, $calls);
for my $i (1 .. 75)
{
	for my $query ('SELECT sum(rows) FROM public.shard_overview', 'SELECT count(*) FROM public.sharded_tables()')
	{
		my ($rc, $out, $err) = $node->psql('postgres', "SET ROLE dba; $query");
		$calls++;
		if ($rc != 0)
		{
			my ($msg) = $err =~ /(ERROR:.*)/;
			$failed{$msg // $err}++;
		}
	}
}
my $end = $node->safe_psql('postgres', 'SELECT last_value FROM app.rounds');
ok($end > $start, "the tenant churned throughout (" . ($end - $start) . " rounds)");
is(scalar(keys %failed), 0, "none of $calls listings failed") or diag explain \%failed;
$node->safe_psql('postgres', q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'CALL app.churn%'});
eval { $churn->quit };
$node->safe_psql('postgres', 'DROP TABLE IF EXISTS app.churn, app.churn_l');
my ($rc, $out, $err) = $node->psql('postgres', q{SET ROLE dba; SELECT sum(rows) FROM public.shard_overview});
is($out, '100', 'quiet again: the kept table is counted') or diag $err;
$node->stop;
done_testing();
