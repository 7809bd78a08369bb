# shard_ops and shard_uuid_ops are for partition keys only (review finding
# 29), and the default hash classes of the key types shard_key and shard_uuid
# hash by the server's ring too.  A hash index built with them hashes by the server's ring: after the
# recorded shape changed, lookups through it found 2604 of 5000 rows,
# silently.  An event trigger now refuses every index that uses them, however
# it is made, for every role; partitioning by them, the extension's own DDL
# (create_shard_partitions, reshard_hash_table) and pg_dump / pg_restore go on
# working.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('shard_ops_index', preload(), 'dakera_shard.num_shards = 4');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE ROLE tenant LOGIN;
	CREATE SCHEMA app AUTHORIZATION tenant;
	SET ROLE tenant;
	CREATE TABLE app.hi (id text NOT NULL, u uuid);
	INSERT INTO app.hi SELECT 'k' || g, gen_random_uuid() FROM generate_series(1, 500) g;
	CREATE TABLE app.v (id text PRIMARY KEY, n int) PARTITION BY HASH (id shard_ops);
	SELECT count(*) FROM public.create_shard_partitions('app.v');
	INSERT INTO app.v SELECT 'k' || g, g FROM generate_series(1, 500) g;
});

# On a table with rows the build itself is refused first, by the classes' hash
# support functions (their error names the index and the class; the table is
# not known there); on an empty one, the event trigger names all three.
my @refused = (
	[ 'CREATE INDEX', 'CREATE INDEX hi_idx ON app.hi USING hash (id shard_ops)', qr/index "hi_idx" uses the operator class shard_ops, which is for partition keys only/ ],
	[ 'CREATE INDEX (uuid)', 'CREATE INDEX hu_idx ON app.hi USING hash (u shard_uuid_ops)', qr/index "hu_idx" uses the operator class shard_uuid_ops/ ],
	[ 'an exclusion constraint in CREATE TABLE', 'CREATE TABLE app.ex (id text, EXCLUDE USING hash (id shard_ops WITH =))', qr/index app\.ex_id_excl/ ],
	[ 'ALTER TABLE ADD CONSTRAINT', 'ALTER TABLE app.hi ADD CONSTRAINT hx EXCLUDE USING hash (id shard_ops WITH =)', qr/index "hx" uses the operator class shard_ops/ ],
	[ 'an index on the partitioned table', 'CREATE INDEX ON app.v USING hash (id shard_ops)', qr/uses the operator class shard_ops/ ],
	[ 'a hash index on a shard_key column', 'CREATE TABLE app.sk (id public.shard_key); CREATE INDEX ON app.sk USING hash (id)',
	  qr/uses the operator class shard_key_hash_ops/ ],
	[ 'a hash index on a shard_uuid column', 'CREATE TABLE app.su (id public.shard_uuid); CREATE INDEX ON app.su USING hash (id)',
	  qr/uses the operator class shard_uuid_hash_ops/ ],
);
for my $case (@refused)
{
	my ($what, $sql, $re) = @$case;
	my ($rc, $out, $err) = $node->psql('postgres', "SET ROLE tenant; $sql");
	isnt($rc, 0, "$what with shard_ops is refused");
	like($err, $re, "$what: the error names the index, its table and the operator class");
	like($err, qr/HINT:  Index the column with a btree/, "$what: the hint says what to use");
}
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM pg_index i JOIN pg_opclass o ON o.oid = ANY (i.indclass::oid[])
	WHERE o.opcname IN ('shard_ops', 'shard_uuid_ops', 'shard_key_hash_ops', 'shard_uuid_hash_ops')}), '0', 'no index uses them');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname = 'ex'}), '0', 'the refused table was not made');

# what still works
$node->safe_psql('postgres', q{
	SET ROLE tenant;
	CREATE INDEX hi_ok ON app.hi USING hash (id);
	CREATE INDEX v_n ON app.v (n);
	CREATE TABLE app.v_like (LIKE app.v INCLUDING ALL);
	CREATE TABLE app.sk2 (id public.shard_key PRIMARY KEY);});
pass('indexes with the default operator classes, on partitioned tables too, and CREATE TABLE ... LIKE');

my $dump = PostgreSQL::Test::Utils::tempdir . '/db.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE copy');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('copy'), $dump ], 'pg_restore');
is($node->safe_psql('copy', 'SELECT count(*) FROM app.v'), '500', 'the restored HASH table has its rows');

$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$node->restart;
$node->safe_psql('postgres', 'SELECT record_shard_ring()');
my ($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; CALL public.reshard_hash_table('app.v')});
is($rc, 0, 'reshard_hash_table (its CREATE TABLE, ATTACH, DETACH) passes the event trigger') or diag $err;
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_inherits WHERE inhparent = 'app.v'::regclass}), '8', '8 partitions');
is($node->safe_psql('postgres', q{SELECT count(*) FROM app.v WHERE id = ANY (SELECT 'k' || g FROM generate_series(1, 500) g)}),
	'500', 'every row found by id');
$node->stop;
done_testing();
