# partition_info() follows dakera_shard.nodes and replication_factor through
# pg_reload_conf(), without a restart, and a bad node list is refused without
# disturbing the one in force.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('reload', preload(), 'dakera_shard.num_shards = 5');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION dakera_shard');

sub sql { return $node->safe_psql('postgres', $_[0]); }

# new sessions see VALUE for setting NAME (within the poll's timeout)
sub wait_for_setting
{
	my ($name, $value) = @_;
	return $node->poll_query_until('postgres', "SELECT current_setting('$name') = '$value'");
}
my $placement = q{SELECT string_agg(shard_id || '=' || array_to_string(node_ids, '+') || '/' || primary_node, ' '
                                     ORDER BY shard_id) FROM partition_info()};

is(sql($placement), '0=node-0/node-0 1=node-1/node-1 2=node-2/node-2 3=node-3/node-3 4=node-4/node-4',
	'no nodes configured: shard s on node-{s} alone');
is(sql('SELECT count(*) FROM partition_info() WHERE is_healthy AND vector_count IS NULL AND memory_bytes IS NULL'),
	'5', 'no health reports: every shard healthy; sizes unknown: NULL');
my $keys = q{SELECT string_agg(shard_for('vec-' || g)::text, ',') FROM generate_series(1, 500) g};
my $hash_before = sql($keys);

sql(q{ALTER SYSTEM SET dakera_shard.nodes = 'alpha, beta, gamma'});
sql('SELECT pg_reload_conf()');
ok(wait_for_setting('dakera_shard.nodes', 'alpha, beta, gamma'), 'the reload takes the node list');
is(sql($placement), '0=alpha+beta/alpha 1=beta+gamma/beta 2=gamma+alpha/gamma 3=alpha+beta/alpha 4=beta+gamma/beta',
	'after a reload: three nodes, two replicas, round robin');

sql('ALTER SYSTEM SET dakera_shard.replication_factor = 5');
sql('SELECT pg_reload_conf()');
ok(wait_for_setting('dakera_shard.replication_factor', '5'), 'the reload takes the replication factor');
is(sql($placement),
	'0=alpha+beta+gamma/alpha 1=beta+gamma+alpha/beta 2=gamma+alpha+beta/gamma 3=alpha+beta+gamma/alpha 4=beta+gamma+alpha/beta',
	'a replication factor above the node count uses every node once');
is(sql($keys), $hash_before, 'placement never changes a key\'s shard');

my ($ret, $out, $err);
($ret, $out, $err) = $node->psql('postgres', q{ALTER SYSTEM SET dakera_shard.nodes = 'alpha, alpha'});
like($err, qr/Node "alpha" is listed twice/, 'a duplicate node is refused');
($ret, $out, $err) = $node->psql('postgres', q{ALTER SYSTEM SET dakera_shard.nodes = 'alpha,,beta'});
like($err, qr/Node name 2 is empty/, 'an empty node name is refused');
($ret, $out, $err) = $node->psql('postgres', "ALTER SYSTEM SET dakera_shard.nodes = '" . ('n' x 64) . "'");
like($err, qr/is longer than 63 bytes/, 'a node name longer than 63 bytes is refused');
($ret, $out, $err) = $node->psql('postgres', 'ALTER SYSTEM SET dakera_shard.replication_factor = 0');
like($err, qr/outside the valid range for parameter "dakera_shard.replication_factor" \(1 \.\. 100\)/,
	'replication_factor 0 is refused');
is(sql('SHOW dakera_shard.nodes'), 'alpha, beta, gamma', 'refused values leave the list in force');

# a bad value written into postgresql.conf by hand is rejected at reload, and
# the list in force stays
sql('ALTER SYSTEM RESET dakera_shard.nodes');
$node->append_conf('postgresql.conf', q{dakera_shard.nodes = 'x, x'});
my $offset = log_offset($node);
sql('SELECT pg_reload_conf()');
ok($node->wait_for_log(qr/invalid value for parameter "dakera_shard.nodes": "x, x"/, $offset),
	'the reload logs the bad value');
is(sql('SHOW dakera_shard.nodes'), 'alpha, beta, gamma', 'the node list in force is kept');

# back to no nodes
$node->append_conf('postgresql.conf', q{dakera_shard.nodes = ''});
sql('ALTER SYSTEM RESET ALL');
sql('SELECT pg_reload_conf()');
ok(wait_for_setting('dakera_shard.nodes', ''), 'the reload takes the empty list');
is(sql(q{SELECT string_agg(primary_node, ',' ORDER BY shard_id) FROM partition_info()}),
	'node-0,node-1,node-2,node-3,node-4', 'an empty node list restores node-{s}');

$node->stop;
done_testing();
