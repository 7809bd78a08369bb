# Placement and health changes and configuration reloads under concurrency
# (issue 19, "go past this list").  pgbench clients at once: writers that
# register and unregister placements and report node health, a reloader that
# changes dakera_shard.nodes and reloads, and readers that check, in one
# REPEATABLE READ snapshot, that placement_map agrees with shard_placement
# (every registered shard shows its registered nodes, every other shard a
# computed list), that a shard's primary is its first node and its preferred
# node one of its nodes.  A reader that sees otherwise divides by zero, which
# aborts its client.  Afterwards, quiet, the map is exactly the table.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('placement_reloads', preload(), 'dakera_shard.num_shards = 16',
	q{dakera_shard.nodes = 'n1,n2,n3'}, 'dakera_shard.replication_factor = 2');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION dakera_shard');

my %scripts = (
	writer => q{\set s random(0, 15)
\set n random(1, 6)
\set up random(0, 1)
SELECT register_shard_nodes(:s, ARRAY['w' || :n, 'w' || (:n % 6 + 1)]);
SELECT unregister_shard_nodes((:s + 5) % 16);
SELECT set_node_health('w' || :n, :up = 1);
SELECT set_node_health('n' || (:n % 3 + 1), :up = 0);
},
	reloader => q{ALTER SYSTEM SET dakera_shard.nodes = 'n1,n2,n3,n4,n5';
SELECT pg_reload_conf();
ALTER SYSTEM SET dakera_shard.nodes = 'n1,n2,n3';
SELECT pg_reload_conf();
},
	reader => q{BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 1 / (count(*) = 0)::int FROM placement_map() m LEFT JOIN shard_placement p USING (shard_id)
WHERE m.registered IS DISTINCT FROM (p.shard_id IS NOT NULL)
   OR (p.shard_id IS NOT NULL AND m.node_ids IS DISTINCT FROM p.node_ids)
   OR cardinality(m.node_ids) < 1
   OR m.primary_node IS DISTINCT FROM m.node_ids[1]
   OR (m.preferred_node IS NOT NULL AND m.preferred_node <> ALL (m.node_ids));
SELECT 1 / (count(*) = 16)::int FROM placement_map();
SELECT 1 / (shard_id BETWEEN 0 AND 15 AND nodes[1] IS NOT NULL)::int FROM shard_assignment('k-' || random());
COMMIT;
},
);
my @args;
for my $name (sort keys %scripts)
{
	my $file = $node->basedir . "/$name.sql";
	open(my $fh, '>', $file) or die "cannot write $file: $!";
	print $fh $scripts{$name};
	close $fh;
	# weights: readers most, then writers, the reloader least
	push @args, '-f', "$file\@" . { reader => 6, writer => 3, reloader => 1 }->{$name};
}
my ($out, $err) = ('', '');
my $ok = IPC::Run::run([ 'pgbench', '-n', '-c', '4', '-t', '400', @args, '-d', $node->connstr('postgres') ],
	'>', \$out, '2>', \$err);
ok($ok, 'pgbench ran to its end') or diag($out, $err);
like($out, qr/number of transactions actually processed: 1600/, 'every transaction was processed: no reader saw an inconsistent map')
  or diag($out, $err);
unlike($err, qr/division by zero|aborted/, 'no client aborted') or diag($err);

# quiet: the map is the table, health as last reported
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM placement_map() m LEFT JOIN shard_placement p USING (shard_id)
	WHERE m.registered IS DISTINCT FROM (p.shard_id IS NOT NULL) OR (p.shard_id IS NOT NULL AND m.node_ids <> p.node_ids)}),
	'0', 'afterwards placement_map shows exactly the registered placements');
is($node->safe_psql('postgres', 'SHOW dakera_shard.nodes'), 'n1,n2,n3', 'and the last reload\'s nodes');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM placement_map() m WHERE NOT m.registered AND NOT (m.node_ids <@ ARRAY['n1', 'n2', 'n3'])}),
	'0', 'computed placements use them');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|PANIC/, 'no backend crashed');

$node->stop;
done_testing();
