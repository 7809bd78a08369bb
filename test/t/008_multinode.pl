# Shards on other PostgreSQL nodes through postgres_fdw.  Three clusters: a
# coordinator (dakera_shard preloaded, itself node "coord") and nodes "node1"
# and "node2".  create_shard_partitions(..., remote => true) first refuses,
# saying what is missing, and creates nothing; then, with servers, user
# mappings and tables in place, it makes the coordinator's shards local and
# the others foreign tables.  100000 vector rows inserted through the
# coordinator must each live on the node partition_info() names for its
# shard, the per-node counts must add up, and a lookup by id must reach one
# node only.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $rows = 100000;
my $shape = 'dakera_shard.num_shards = 6';
my %node = (
	node1 => new_node('node1', $shape),
	node2 => new_node('node2', $shape),
	coord => new_node('coord', $shape, preload(), q{dakera_shard.nodes = 'coord, node1, node2'},
		'dakera_shard.replication_factor = 1', q{dakera_shard.local_node = 'coord'}));
$_->start for values %node;
my $co = $node{coord};
sub on { my ($name, $sql) = @_; return $node{$name}->safe_psql('postgres', $sql); }
sub refusal { my ($ret, $out, $err) = $co->psql('postgres', $_[0]); return $err; }

on(coord => q{CREATE EXTENSION dakera_shard; CREATE EXTENSION postgres_fdw;
	CREATE TABLE vectors (id text NOT NULL, embedding real[] NOT NULL) PARTITION BY LIST (shard_for(id))});
on($_ => 'CREATE EXTENSION dakera_shard') for qw(node1 node2);
is(on(coord => q{SELECT string_agg(shard_id || '=' || primary_node, ' ' ORDER BY shard_id) FROM partition_info()}),
	'0=coord 1=node1 2=node2 3=coord 4=node1 5=node2', 'the coordinator places shards round robin on three nodes');
my $partitions = q{SELECT count(*) FROM pg_inherits WHERE inhparent = 'vectors'::regclass};
my $create = q{SELECT * FROM create_shard_partitions('vectors', remote => true)};

# what is missing is said up front, and nothing is created
my $err = refusal($create);
like($err, qr/shard 1: no postgres_fdw server "node1"/, 'no servers: refused');
like($err, qr/shard 5: no postgres_fdw server "node2"/, 'every missing server is listed');
is(on(coord => $partitions), '0', 'nothing was created');
for my $n (qw(node1 node2))
{
	on(coord => sprintf(q{CREATE SERVER %s FOREIGN DATA WRAPPER postgres_fdw
		OPTIONS (host '%s', port '%s', dbname 'postgres', batch_size '1000')}, $n, $node{$n}->host, $node{$n}->port));
}
my $user = on(coord => 'SELECT current_user');
like(refusal($create), qr/shard 1: no user mapping for "\Q$user\E" on server "node1"/, 'no user mappings: refused');
on(coord => "CREATE USER MAPPING FOR CURRENT_USER SERVER $_ OPTIONS (user '$user')") for qw(node1 node2);
like(refusal($create),
	qr/shard 4: remote table public\.vectors_shard_4 on server "node1": relation "public\.vectors_shard_4" does not exist/,
	'no remote tables: refused');
is(on(coord => $partitions), '0', 'still nothing created');

# the nodes' tables, for the shards whose primary each node is
on(node1 => "CREATE TABLE vectors_shard_$_ (id text NOT NULL, embedding real[] NOT NULL)") for (1, 4);
on(node2 => "CREATE TABLE vectors_shard_$_ (id text NOT NULL, embedding real[] NOT NULL)") for (2, 5);
note('created: ' . on(coord => q{SELECT string_agg(p::text, ' ' ORDER BY p::text) FROM create_shard_partitions('vectors', remote => true) p}));
is(on(coord => q{SELECT string_agg(c.relname || ':' || c.relkind::text, ' ' ORDER BY c.relname)
	FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'vectors'::regclass}),
	'vectors_shard_0:r vectors_shard_1:f vectors_shard_2:f vectors_shard_3:r vectors_shard_4:f vectors_shard_5:f',
	'with everything in place: two local partitions, four foreign');
is(on(coord => q{SELECT count(*) FROM create_shard_partitions('vectors', remote => true)}), '0',
	'a second run creates nothing');

# 100000 rows through the coordinator
on(coord => "INSERT INTO vectors SELECT 'vec-' || g, ARRAY[g, g / 2.0]::real[] FROM generate_series(1, $rows) g");
is(on(coord => 'SELECT count(*) FROM vectors'), $rows, 'the coordinator sees every row');

# every row lives on the node partition_info() names for its shard
my $total = 0;
for my $n (qw(coord node1 node2))
{
	my @shards = split / /, on(coord => "SELECT string_agg(shard_id::text, ' ') FROM partition_info() WHERE primary_node = '$n'");
	my $count = 0;
	for my $s (@shards)
	{
		my ($all, $wrong) = split /\|/, on($n => "SELECT count(*), count(*) FILTER (WHERE shard_for(id) <> $s) FROM vectors_shard_$s");
		is($wrong, '0', "$n holds shard $s, and only rows of shard $s");
		$count += $all;
	}
	note("$n: $count rows (shards @shards)");
	is($count, on(coord => "SELECT sum(i.vector_count) FROM partition_info('vectors') i
		JOIN partition_info() p USING (shard_id) WHERE p.primary_node = '$n'"),
		"$n holds the rows partition_info counts for its shards");
	$total += $count;
}
is($total, $rows, 'per-node counts add up to the total');
is(on(node1 => q{SELECT count(*) FROM pg_tables WHERE tablename IN ('vectors_shard_0', 'vectors_shard_2', 'vectors_shard_3', 'vectors_shard_5')})
	. '/' . on(node2 => q{SELECT count(*) FROM pg_tables WHERE tablename IN ('vectors_shard_0', 'vectors_shard_1', 'vectors_shard_3', 'vectors_shard_4')}),
	'0/0', 'no shard table on a node that is not its primary');

# a lookup by id reaches one node only
my $key = on(coord => q{SELECT k FROM (SELECT 'vec-' || g AS k FROM generate_series(1, 100) g) x
	JOIN partition_info() p ON p.shard_id = shard_for(x.k) WHERE p.primary_node = 'node2' LIMIT 1});
my $plan = on(coord => "EXPLAIN (COSTS OFF) SELECT * FROM vectors WHERE shard_for(id) = shard_for('$key') AND id = '$key'");
note($plan);
is(scalar(() = $plan =~ /Scan on vectors_shard_/g), 1, 'the plan scans one partition');
like($plan, qr/Foreign Scan on vectors_shard_[25]/, "and it is a foreign scan on node2's table");
is(on(coord => "SELECT id FROM vectors WHERE shard_for(id) = shard_for('$key') AND id = '$key'"), $key,
	'the lookup finds the row');

$_->stop for values %node;
done_testing();
