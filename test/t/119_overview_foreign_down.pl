# One tenant's table with a foreign partition on a node that is down never
# makes shard_overview fail for anyone else (outside review, finding 14): the
# table is left out with a NOTICE that names it, and every other table is
# still counted.  partition_info on that one table fails loudly, as it should.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('overview_foreign_down', preload(), 'dakera_shard.num_shards = 4');
$node->start;
my ($rc) = $node->psql('postgres', 'CREATE EXTENSION postgres_fdw');
plan skip_all => 'postgres_fdw is not installed' if $rc != 0;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE ROLE tenant LOGIN;
	CREATE ROLE tenant2 LOGIN;
	CREATE ROLE dba LOGIN IN ROLE pg_read_all_data;
	CREATE SCHEMA t AUTHORIZATION tenant;
	CREATE SCHEMA t2 AUTHORIZATION tenant2;
	CREATE SERVER deadnode FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '1', dbname 'x');
	CREATE USER MAPPING FOR PUBLIC SERVER deadnode OPTIONS (user 'x', password 'x');
	GRANT USAGE ON FOREIGN SERVER deadnode TO tenant2;
	SET ROLE tenant;
	CREATE TABLE t.ok (id text NOT NULL, s int GENERATED ALWAYS AS (public.shard_for(id)) STORED);
	INSERT INTO t.ok SELECT 'k' || g FROM generate_series(1, 100) g;
	GRANT USAGE ON SCHEMA t TO PUBLIC;
	GRANT SELECT ON t.ok TO PUBLIC;
	SET ROLE tenant2;
	CREATE TABLE t2.fd (id text NOT NULL) PARTITION BY LIST (public.shard_for(id));
	CREATE TABLE t2.fd_0 PARTITION OF t2.fd FOR VALUES IN (0, 1, 2);
	CREATE FOREIGN TABLE t2.fd_3 PARTITION OF t2.fd FOR VALUES IN (3) SERVER deadnode;
	GRANT USAGE ON SCHEMA t2 TO PUBLIC;
	GRANT SELECT ON t2.fd TO PUBLIC;
});

for my $who ('postgres', 'dba', 'tenant')
{
	my $set = $who eq 'postgres' ? '' : "SET ROLE $who;";
	my ($ret, $out, $err) = $node->psql('postgres', "$set SELECT sum(rows) FROM public.shard_overview");
	is($ret, 0, "[$who] shard_overview does not fail for a tenant's node that is down");
	is($out, '100', "[$who] every other table is still counted");
	like($err, qr/NOTICE:.*t2\.fd/, "[$who] a NOTICE names the table left out") if $who ne 'tenant';
}
my ($ret, $out, $err) = $node->psql('postgres', q{SELECT * FROM public.partition_info('t2.fd')});
isnt($ret, 0, 'partition_info on the table itself fails loudly');
$node->stop;
done_testing();
