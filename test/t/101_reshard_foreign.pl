# Re-sharding a table whose shards live on other nodes (issue 11, item 4):
# 4 -> 8 shards with postgres_fdw foreign partitions.  Stale rows inside a
# foreign partition, and local rows whose new shard is foreign, are moved
# (deleted where they are, inserted through the parent), the run reports what
# it moved, and afterwards every row lives on the node partition_info() names
# for its shard, once, unchanged.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $remote = PostgreSQL::Test::Cluster->new('node1');
$remote->init;
$remote->start;
$remote->safe_psql('postgres', 'CREATE EXTENSION dakera_shard');

my $coord = PostgreSQL::Test::Cluster->new('coord');
$coord->init;
$coord->append_conf('postgresql.conf', q{
shared_preload_libraries = 'dakera_shard'
dakera_shard.num_shards = 4
dakera_shard.nodes = 'coord, node1'
dakera_shard.replication_factor = 1
dakera_shard.local_node = 'coord'
});
$coord->start;
my ($rhost, $rport) = ($remote->host, $remote->port);
$coord->safe_psql('postgres', qq{
	CREATE EXTENSION dakera_shard;
	CREATE EXTENSION postgres_fdw;
	CREATE SERVER node1 FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '$rhost', port '$rport', dbname 'postgres');
	CREATE USER MAPPING FOR CURRENT_USER SERVER node1 OPTIONS (user '@{[ $ENV{USER} // 'postgres' ]}');
	CREATE TABLE vectors (id text NOT NULL, embedding real[] NOT NULL) PARTITION BY LIST (shard_for(id));
});
my $table = 'CREATE TABLE vectors_shard_%d (id text NOT NULL, embedding real[] NOT NULL)';

# node1 is the primary of the odd shards, under 4 shards and under 8
sub remote_shards
{
	return split /,/, $coord->safe_psql('postgres',
		q{SELECT string_agg(shard_id::text, ',' ORDER BY shard_id) FROM partition_info() WHERE primary_node = 'node1'});
}
$remote->safe_psql('postgres', sprintf($table, $_)) for remote_shards();
$coord->safe_psql('postgres', q{SELECT count(*) FROM create_shard_partitions('vectors', remote => true)});
is($coord->safe_psql('postgres',
		q{SELECT string_agg(c.relname || ':' || c.relkind::text, ' ' ORDER BY c.relname)
		  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'vectors'::regclass}),
	'vectors_shard_0:r vectors_shard_1:f vectors_shard_2:r vectors_shard_3:f',
	'4 shards: two local partitions, two on node1');
$coord->safe_psql('postgres',
	q{INSERT INTO vectors SELECT 'vec-' || g, ARRAY[g, g / 3.0]::real[] FROM generate_series(1, 5000) g});
my $checksum = q{SELECT count(*) || ':' || md5(string_agg(id || '=' || embedding::text, ',' ORDER BY id)) FROM vectors};
my $before = $coord->safe_psql('postgres', $checksum);

# 4 -> 8 shards: restart, record, the new partitions (5 and 7 on node1)
$coord->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$coord->restart;
$coord->safe_psql('postgres', 'SELECT record_shard_ring()');
my @remote_now = remote_shards();
is(join(',', @remote_now), '1,3,5,7', 'under 8 shards node1 is the primary of 1, 3, 5 and 7');
$remote->safe_psql('postgres', sprintf($table, $_)) for (5, 7);
$coord->safe_psql('postgres', q{SELECT count(*) FROM create_shard_partitions('vectors', remote => true)});
my $stale = $coord->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('vectors', 'id')});
my $stale_remote = $remote->safe_psql('postgres',
	q{SELECT (SELECT count(*) FROM vectors_shard_1 WHERE shard_for(id, 8) <> 1)
	       + (SELECT count(*) FROM vectors_shard_3 WHERE shard_for(id, 8) <> 3)});
ok($stale > 0 && $stale_remote > 0, "$stale rows are stale, $stale_remote of them inside node1's partitions");

my ($rc, $out, $err) = $coord->psql('postgres', q{CALL reshard_table('vectors', 'id', batch_size => 1000)});
is($rc, 0, 'reshard_table moves rows into, out of and between foreign partitions') or diag($err);
like($err, qr/done, 5000 rows read, $stale moved in 5 batches/, 'and reports the rows it moved');
is($coord->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('vectors', 'id')}), '0',
	'no stale row remains');
is($coord->safe_psql('postgres', $checksum), $before, 'every row is there once, unchanged');

# every row lives where partition_info() says, under 8 shards
for my $s (0 .. 7)
{
	my $on_remote = grep { $_ == $s } @remote_now;
	my $node = $on_remote ? $remote : $coord;
	my $where = $on_remote ? 'node1' : 'coord';
	is($node->safe_psql('postgres', "SELECT count(*) FROM vectors_shard_$s WHERE shard_for(id, 8) <> $s"),
		'0', "shard $s on $where holds only its own rows");
}
is($remote->safe_psql('postgres',
		q{SELECT sum(n) FROM (SELECT count(*) n FROM vectors_shard_1 UNION ALL SELECT count(*) FROM vectors_shard_3
		  UNION ALL SELECT count(*) FROM vectors_shard_5 UNION ALL SELECT count(*) FROM vectors_shard_7) x}),
	$coord->safe_psql('postgres',
		q{SELECT count(*) FROM vectors WHERE shard_for(id) IN (1, 3, 5, 7)}),
	"node1 holds exactly the rows of its shards");
($rc, $out, $err) = $coord->psql('postgres', q{CALL reshard_table('vectors', 'id', batch_size => 1000)});
like($err, qr/done, 5000 rows read, 0 moved/, 'a second run moves nothing');

$coord->stop;
$remote->stop;
done_testing();
