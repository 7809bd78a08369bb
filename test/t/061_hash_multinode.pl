# PARTITION BY HASH (id shard_ops) across three clusters with postgres_fdw.
#
# A coordinator (dakera_shard preloaded, itself node "coord") and nodes
# "node1" and "node2", 6 shards placed round robin.  create_shard_partitions
# (remote => true) makes the coordinator's shards local partitions and the
# others postgres_fdw foreign tables FOR VALUES WITH (MODULUS 6, REMAINDER s).
# Rows inserted through the coordinator must each live on the node
# partition_info() names for their shard, and a lookup by id, written without
# any shard_for, must be one Foreign Scan on one node: at plan time for a
# constant, at run time for a prepared statement's generic plan.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $ROWS = 20000;
my $SHARDS = 6;

sub new_node
{
	my ($name, @conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
	$node->append_conf('postgresql.conf', join("\n", "dakera_shard.num_shards = $SHARDS", @conf) . "\n");
	return $node;
}

my $node1 = new_node('node1');
my $node2 = new_node('node2');
my $coord = new_node('coord', "shared_preload_libraries = 'dakera_shard'",
	q{dakera_shard.nodes = 'coord, node1, node2'}, 'dakera_shard.replication_factor = 1',
	q{dakera_shard.local_node = 'coord'});
$_->start for ($node1, $node2, $coord);

my $table = '(id text NOT NULL, embedding real[] NOT NULL)';
$coord->safe_psql('postgres', qq{
	CREATE EXTENSION dakera_shard;
	CREATE EXTENSION postgres_fdw;
	CREATE TABLE vectors $table PARTITION BY HASH (id shard_ops);});
$_->safe_psql('postgres', 'CREATE EXTENSION dakera_shard') for ($node1, $node2);
is($coord->safe_psql('postgres', q{SELECT string_agg(shard_id || '=' || primary_node, ' ' ORDER BY shard_id) FROM partition_info()}),
	'0=coord 1=node1 2=node2 3=coord 4=node1 5=node2', 'shards placed round robin on three nodes');

for my $n (1, 2)
{
	my $node = $n == 1 ? $node1 : $node2;
	$coord->safe_psql('postgres', sprintf(q{
		CREATE SERVER node%d FOREIGN DATA WRAPPER postgres_fdw
		    OPTIONS (host '%s', port '%d', dbname 'postgres', batch_size '1000');
		CREATE USER MAPPING FOR CURRENT_USER SERVER node%d OPTIONS (user '%s');},
		$n, $node->host, $node->port, $n, scalar getpwuid($<)));
}
my ($ret, $out, $err) = $coord->psql('postgres', q{SELECT * FROM create_shard_partitions('vectors', remote => true)});
like($err, qr/shard 4: remote table public.vectors_shard_4 on server "node1"/,
	'missing remote tables are reported, and nothing is created');
$node1->safe_psql('postgres', "CREATE TABLE vectors_shard_$_ $table") for (1, 4);
$node2->safe_psql('postgres', "CREATE TABLE vectors_shard_$_ $table") for (2, 5);
$coord->safe_psql('postgres', q{SELECT * FROM create_shard_partitions('vectors', remote => true)});
is($coord->safe_psql('postgres', q{
	SELECT string_agg(c.relname || ':' || c.relkind::text || ':' || pg_get_expr(c.relpartbound, c.oid), ' ' ORDER BY c.relname)
	FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'vectors'::regclass}),
	join(' ', map {
		sprintf('vectors_shard_%d:%s:FOR VALUES WITH (modulus 6, remainder %d)', $_, ($_ % 3 == 0 ? 'r' : 'f'), $_)
	} 0 .. 5),
	'two local partitions and four foreign ones, MODULUS 6 REMAINDER s');

$coord->safe_psql('postgres',
	"INSERT INTO vectors SELECT 'vec-' || g, ARRAY[g, g / 2.0]::real[] FROM generate_series(1, $ROWS) g");
is($coord->safe_psql('postgres', 'SELECT count(*) FROM vectors'), $ROWS, 'the coordinator sees every row');

my $total = 0;
for my $s (0 .. 5)
{
	my $node = $s % 3 == 0 ? $coord : $s % 3 == 1 ? $node1 : $node2;
	my $got = $node->safe_psql('postgres',
		"SELECT count(*) || ':' || count(*) FILTER (WHERE shard_for(id) <> $s) FROM vectors_shard_$s");
	my ($count, $strays) = split /:/, $got;
	is($strays, '0', "shard $s: its node holds only rows of shard $s ($count rows)");
	is($count, $coord->safe_psql('postgres', "SELECT vector_count FROM partition_info('vectors') WHERE shard_id = $s"),
		"shard $s: partition_info counts the rows its node holds");
	$total += $count;
}
is($total, $ROWS, 'the nodes hold every row once');
is($coord->safe_psql('postgres', q{SELECT rel::text || ':' || num_shards FROM sharded_tables()}), 'vectors:6',
	'sharded_tables lists the table');

# a lookup by id, without shard_for, reaches one node
my $key = $coord->safe_psql('postgres', q{
	SELECT k FROM (SELECT 'vec-' || g AS k, g FROM generate_series(1, 100) g) x
	WHERE shard_for(k) = 5 ORDER BY g LIMIT 1});
my $lookup = "SELECT id, embedding FROM vectors WHERE id = '$key'";
unlike($lookup, qr/shard_for/, 'the lookup does not mention shard_for');
my $plan = $coord->safe_psql('postgres', "EXPLAIN (VERBOSE, COSTS OFF) $lookup");
note($plan);
is(scalar(() = $plan =~ /Scan on/g), 1, 'the plan scans one partition');
like($plan, qr/^Foreign Scan on public\.vectors_shard_5/m, 'a Foreign Scan on the shard of the key');
like($plan, qr/Remote SQL: SELECT id, embedding FROM public\.vectors_shard_5 WHERE \(\(id = '\Q$key\E'\)\)/,
	'the condition runs on node2');
unlike($plan, qr/shard_for|shard_hash/, 'no routing function in the plan or the remote query');
is($coord->safe_psql('postgres', "SELECT id FROM vectors WHERE id = '$key'"), $key, 'the lookup finds the row');

# the same with a prepared statement's generic plan: pruned at run time
$plan = $coord->safe_psql('postgres', qq{
	SET plan_cache_mode = force_generic_plan;
	PREPARE by_id(text) AS SELECT id FROM vectors WHERE id = \$1;
	EXPLAIN (COSTS OFF) EXECUTE by_id('$key');});
note($plan);
like($plan, qr/Subplans Removed: 5/, 'a generic plan prunes five of six partitions at run time');
is(scalar(() = $plan =~ /Foreign Scan on vectors_shard_5/g), 1, 'and keeps the Foreign Scan on node2');

# UPDATE and DELETE by id reach one node
$plan = $coord->safe_psql('postgres', "EXPLAIN (COSTS OFF) UPDATE vectors SET embedding = '{0}' WHERE id = '$key'");
is(scalar(() = $plan =~ /Foreign (Update|Scan) on/g) > 0 && $plan !~ /vectors_shard_[0-4]/, 1,
	'an UPDATE by id touches only the node of its shard');
$coord->safe_psql('postgres', "UPDATE vectors SET embedding = '{0}' WHERE id = '$key'");
is($node2->safe_psql('postgres', "SELECT embedding FROM vectors_shard_5 WHERE id = '$key'"), '{0}',
	'and changes the row there');

# re-sharding moves rows of local partitions only: foreign ones are refused
# before anything changes, with what to do instead
$coord->stop;
$coord->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$coord->start;
$coord->safe_psql('postgres', 'SELECT record_shard_ring()');
($ret, $out, $err) = $coord->psql('postgres', q{CALL reshard_hash_table('vectors')});
like($err, qr/cannot re-shard public\.vectors: partition public\.vectors_shard_\d is a foreign table/,
	're-sharding a table with foreign partitions is refused');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM pg_inherits WHERE inhparent = 'vectors'::regclass}),
	'6', 'and nothing changed');

$_->stop for ($coord, $node1, $node2);
done_testing();
