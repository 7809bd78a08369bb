# Registered placement survives a restart, a crash of the server (kill9) and
# a pg_dump / pg_restore into a fresh cluster; node health, runtime state in
# shared memory, does not survive a restart (as documented).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $a = new_node('origin', preload(), q{dakera_shard.nodes = 'n1, n2, n3'});
$a->start;
$a->safe_psql('postgres', 'CREATE DATABASE app');
$a->safe_psql('app', 'CREATE EXTENSION dakera_shard');
$a->safe_psql('app', q{
	SELECT register_shard_nodes(1, ARRAY['edge-a', 'edge-b']);
	SELECT register_shard_nodes(3, ARRAY['edge-c']);
	SELECT set_node_health('n1', false);
	CREATE TABLE items (id text PRIMARY KEY, shard_id int GENERATED ALWAYS AS (shard_for(id)) STORED);
	INSERT INTO items (id) SELECT 'vec-' || g FROM generate_series(1, 300) g});
my $map = q{SELECT string_agg(shard_id || '=' || array_to_string(node_ids, '+'), ' ' ORDER BY shard_id) FROM partition_info()};
my $before = $a->safe_psql('app', $map);
is($before, '0=n1+n2 1=edge-a+edge-b 2=n3+n1 3=edge-c', 'registrations shape the map');
is($a->safe_psql('app', q{SELECT node || ':' || healthy FROM node_health()}), 'n1:false', 'health is reported');

$a->restart;
is($a->safe_psql('app', $map), $before, 'registrations survive a restart');
is($a->safe_psql('app', 'SELECT count(*) FROM node_health()'), '0', 'health reports do not survive a restart');

# the postmaster killed: registrations are committed rows, crash recovery keeps them
$a->safe_psql('app', q{SELECT set_node_health('n2', false)});
$a->kill9;
ok(start_after_crash($a), 'the server starts again after the crash');
is($a->safe_psql('app', $map), $before, 'registrations survive a crash of the server');
is($a->safe_psql('app', 'SELECT count(*) FROM node_health()'), '0', 'health reports do not survive a crash');

# dump, and restore into a fresh cluster
my $dump = PostgreSQL::Test::Utils::tempdir() . '/app.dump';
$a->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', 'app' ], 'pg_dump');
my $b = new_node('restored', preload(), q{dakera_shard.nodes = 'n1, n2, n3'});
$b->start;
$b->safe_psql('postgres', 'CREATE DATABASE app');
$b->command_ok([ 'pg_restore', '--exit-on-error', '-d', 'app', $dump ], 'pg_restore succeeds');
is($b->safe_psql('app', $map), $before, 'registrations are restored');
is($b->safe_psql('app', 'SELECT count(*) FROM shard_placement'), '2', 'registration rows are not doubled');
is($b->safe_psql('app', q{SELECT count(*) || '/' || count(*) FILTER (WHERE shard_id = shard_for(id, 4)) FROM items}),
	'300/300', 'rows and their shard ids are restored');
is($b->safe_psql('app', 'SELECT routes_alike FROM shard_ring()'), 't',
	'the restored database records the ring of its new server');

$a->stop;
$b->stop;
done_testing();
