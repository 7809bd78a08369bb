# pg_dump and pg_restore of every table form the extension routes (issue 19,
# "go past this list"): LIST (shard_for(id)) with text and uuid keys, LIST by
# an explicit ring with a DEFAULT partition, HASH (id shard_ops) and HASH (id
# shard_uuid_ops), a generated shard_for column, a plain shard column, and the
# registered placements.  Restored into a database of the same shape, every
# row comes back unchanged and where it was (shard_verify 0 for every table).
# Restored into a server of another shape by the README's procedure
# (--load-via-partition-root; schema; create_shard_partitions; data; then
# reshard_hash_table for HASH tables and reshard_table for a plain column),
# every row comes back unchanged and in its new shard.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $rows = 2000;
my $node = new_node('dump_every_form', preload(), 'dakera_shard.num_shards = 4');
$node->start;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION dakera_shard;
	CREATE TABLE list_text (id text NOT NULL, v int) PARTITION BY LIST (shard_for(id));
	SELECT count(*) FROM create_shard_partitions('list_text');
	CREATE TABLE list_uuid (id uuid NOT NULL, v int) PARTITION BY LIST (shard_for(id));
	SELECT count(*) FROM create_shard_partitions('list_uuid');
	CREATE TABLE list_jump (id text NOT NULL, v int) PARTITION BY LIST (shard_for(id, 64, 'jump'));
	CREATE TABLE list_jump_low PARTITION OF list_jump FOR VALUES IN (0, 1, 2, 3, 4, 5, 6, 7);
	CREATE TABLE list_jump_rest PARTITION OF list_jump DEFAULT;
	CREATE TABLE hash_text (id text NOT NULL, v int) PARTITION BY HASH (id shard_ops);
	SELECT count(*) FROM create_shard_partitions('hash_text');
	CREATE TABLE hash_uuid (id uuid NOT NULL, v int) PARTITION BY HASH (id shard_uuid_ops);
	SELECT count(*) FROM create_shard_partitions('hash_uuid');
	CREATE TABLE generated (id text PRIMARY KEY, v int, sid int GENERATED ALWAYS AS (shard_for(id)) STORED);
	CREATE TABLE plain (id text PRIMARY KEY, v int, sid int);
	INSERT INTO list_text SELECT 'lt-' || g, g FROM generate_series(1, $rows) g;
	INSERT INTO list_uuid SELECT md5('lu-' || g)::uuid, g FROM generate_series(1, $rows) g;
	INSERT INTO list_jump SELECT 'lj-' || g, g FROM generate_series(1, $rows) g;
	INSERT INTO hash_text SELECT 'ht-' || g, g FROM generate_series(1, $rows) g;
	INSERT INTO hash_uuid SELECT md5('hu-' || g)::uuid, g FROM generate_series(1, $rows) g;
	INSERT INTO generated (id, v) SELECT 'ge-' || g, g FROM generate_series(1, $rows) g;
	INSERT INTO plain SELECT 'pl-' || g, g, shard_for('pl-' || g) FROM generate_series(1, $rows) g;
	SELECT register_shard_nodes(2, ARRAY['pinned-a', 'pinned-b']);
});
my @tables = qw(list_text list_uuid list_jump hash_text hash_uuid generated plain);
# per table: rows, and a checksum of every row with the table it is stored in
sub state
{
	my ($db) = @_;
	return join("\n", map {
		$node->safe_psql($db,
			qq{SELECT '$_ ' || count(*) || ':' || md5(string_agg(id::text || '=' || v || '\@' || tableoid::regclass::text, ',' ORDER BY id)) FROM $_})
	} @tables);
}
my $verify = q{SELECT string_agg(t.rel::text || '=' || v.stale_rows, ',' ORDER BY t.rel::text)
	FROM sharded_tables() t, LATERAL shard_verify(t.rel, t.key_column, t.shard_column) v};
my $before = state('postgres');
like($node->safe_psql('postgres', $verify), qr/^(\w+=0,?){6}$/, 'the source: six routed tables, none with a stale row');

my $dir = PostgreSQL::Test::Utils::tempdir;
$node->command_ok([ 'pg_dump', '-Fc', '-f', "$dir/same.dump", '-d', $node->connstr('postgres') ], 'pg_dump');
$node->command_ok([ 'pg_dump', '--load-via-partition-root', '-Fc', '-f', "$dir/root.dump", '-d', $node->connstr('postgres') ],
	'pg_dump --load-via-partition-root');

# the same shape: a plain pg_restore
$node->safe_psql('postgres', 'CREATE DATABASE same');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('same'), "$dir/same.dump" ], 'pg_restore into the same shape');
is(state('same'), $before, 'same shape: every row of every form back, unchanged, in the same partition');
unlike($node->safe_psql('same', $verify), qr/=[1-9]/, 'same shape: shard_verify finds no stale row in any table');
is($node->safe_psql('same', 'SELECT string_agg(rel::text, \',\' ORDER BY rel::text) FROM sharded_tables()'),
	$node->safe_psql('postgres', 'SELECT string_agg(rel::text, \',\' ORDER BY rel::text) FROM sharded_tables()'),
	'same shape: sharded_tables lists the same tables');
is($node->safe_psql('same', 'SELECT node_ids FROM shard_placement WHERE shard_id = 2'), '{pinned-a,pinned-b}',
	'same shape: placements restored');

# another shape: the README's procedure
my $content = q{SELECT '%s ' || count(*) || ':' || md5(string_agg(id::text || '=' || v, ',' ORDER BY id)) FROM %s};
my $rows_before = join("\n", map { $node->safe_psql('postgres', sprintf($content, $_, $_)) } @tables);
$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$node->restart;
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->command_ok([ 'pg_restore', '--section=pre-data', '-d', $node->connstr('other'), "$dir/root.dump" ],
	'another shape: the schema');
# the README's step 2: LIST tables of the server's ring only (HASH tables are
# re-sharded after the data; explicit rings do not follow the server)
$node->safe_psql('other', q{SELECT count(*) FROM sharded_tables() t, LATERAL create_shard_partitions(t.rel) c
	WHERE t.shard_column IS NULL AND t.server_ring
	  AND NOT EXISTS (SELECT FROM pg_partitioned_table p WHERE p.partrelid = t.rel AND p.partstrat = 'h')});
$node->command_ok(
	[ 'pg_restore', '--section=data', '--section=post-data', '-d', $node->connstr('other'), "$dir/root.dump" ],
	'another shape: the data through the partition roots');
$node->safe_psql('other', q{CALL reshard_hash_table('hash_text')});
$node->safe_psql('other', q{CALL reshard_hash_table('hash_uuid')});
$node->safe_psql('other', q{CALL reshard_table('plain', 'id', 'sid')});
is(join("\n", map { $node->safe_psql('other', sprintf($content, $_, $_)) } @tables), $rows_before,
	'another shape: every row of every form back, unchanged');
unlike($node->safe_psql('other', $verify), qr/=[1-9]/, 'another shape: shard_verify finds no stale row in any table');
is($node->safe_psql('other', q{SELECT stale_rows FROM shard_verify('plain', 'id', 'sid')}), '0',
	'another shape: nor in the plain shard column, re-sharded');
is($node->safe_psql('other', q{SELECT count(*) FROM hash_text_shard_7}) > 0 ? 'yes' : 'no', 'yes',
	'another shape: HASH tables have the new shards\' partitions');

$node->stop;
done_testing();
