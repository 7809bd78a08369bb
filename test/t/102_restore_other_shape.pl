# pg_dump of a database with tables partitioned by shard, restored into a
# server with another shape (issue 11, item 4): the procedure of docs/resharding.md
# (dump with --load-via-partition-root; restore the schema; add the new
# shape's partitions; restore the data; re-shard the HASH tables) loses no
# row, and every row lands in the partition of its shard under the new shape.
# The database holds a LIST table, a generated-column table, a plain shard
# column and a HASH (id shard_ops) table: the step that adds partitions used
# to stop at the HASH table and make none for the LIST table, whose rows then
# did not restore (review finding 33).  A restore that skips the procedure is
# shown to fail loudly rather than silently.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $rows = 10000;
my $old = PostgreSQL::Test::Cluster->new('four_shards');
$old->init;
$old->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dakera_shard'
dakera_shard.num_shards = 4
});
$old->start;
$old->safe_psql('postgres', qq{
	CREATE EXTENSION dakera_shard;
	CREATE TABLE parted (id text NOT NULL, embedding real[] NOT NULL) PARTITION BY LIST (shard_for(id));
	SELECT count(*) FROM create_shard_partitions('parted');
	CREATE TABLE gen (id text PRIMARY KEY, shard_id int GENERATED ALWAYS AS (shard_for(id)) STORED);
	CREATE TABLE plain (id text PRIMARY KEY, shard_id int);
	INSERT INTO parted SELECT 'vec-' || g, ARRAY[g, g / 7.0]::real[] FROM generate_series(1, $rows) g;
	INSERT INTO gen (id) SELECT id FROM parted;
	INSERT INTO plain SELECT id, shard_for(id) FROM parted;
	CREATE TABLE hashed (id text PRIMARY KEY, n int NOT NULL) PARTITION BY HASH (id shard_ops);
	SELECT count(*) FROM create_shard_partitions('hashed');
	INSERT INTO hashed SELECT 'h-' || g, g FROM generate_series(1, $rows) g;
	SELECT register_shard_nodes(1, ARRAY['pinned-a', 'pinned-b']);
});
my $checksum = q{SELECT count(*) || ':' || md5(string_agg(id || '=' || embedding::text, ',' ORDER BY id)) FROM parted};
my $before = $old->safe_psql('postgres', $checksum);
my $hashed_sum = q{SELECT count(*) || ':' || md5(string_agg(id || '=' || n, ',' ORDER BY id)) FROM hashed};
my $hashed_before = $old->safe_psql('postgres', $hashed_sum);

my $dumpdir = PostgreSQL::Test::Utils::tempdir;
my $dump = "$dumpdir/app.dump";
$old->command_ok(
	[ 'pg_dump', '--load-via-partition-root', '-Fc', '-f', $dump, '-d', $old->connstr('postgres') ],
	'pg_dump --load-via-partition-root');
my $plain_dump = "$dumpdir/plain.sql";
$old->command_ok([ 'pg_dump', '-f', $plain_dump, '-d', $old->connstr('postgres') ], 'a plain pg_dump too');
$old->stop;

my $new = PostgreSQL::Test::Cluster->new('eight_shards');
$new->init;
$new->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dakera_shard'
dakera_shard.num_shards = 8
});
$new->start;

# without the procedure: the old partitions' COPY fails their constraints
$new->safe_psql('postgres', 'CREATE DATABASE naive');
my ($rc, $out, $err) = $new->psql('naive', undef, extra_params => [ '-f', $plain_dump ]);
like($err, qr/violates partition constraint/, 'a plain restore into another shape fails its partition constraints');
# issue 19, item 5: and the failure says what to do
like($err, qr/violates partition constraint.*\nDETAIL:  [^\n]*\nHINT:  This table is partitioned by shard, and its rows were dumped from a server whose ring has another shape\. Restore through the partition root: pg_dump --load-via-partition-root/,
	'the error of that COPY names the procedure in its hint');
my @failed_copies = $err =~ /violates partition constraint/g;
my @hinted = $err =~ /HINT:  This table is partitioned by shard/g;
is(scalar(@hinted), scalar(@failed_copies), 'every COPY that failed its partition constraint has the hint');
is($new->safe_psql('naive', 'SELECT count(*) FROM parted'), '0', '(and would lose those rows: the reason for the procedure)');

# the procedure
$new->safe_psql('postgres', 'CREATE DATABASE app');
$new->command_ok([ 'pg_restore', '--section=pre-data', '-d', $new->connstr('app'), $dump ],
	'1. restore the schema (CREATE EXTENSION records the new shape)');
is($new->safe_psql('app', 'SELECT num_shards FROM shard_ring()'), '8', 'the new server routes with 8 shards');
is($new->safe_psql('app', q{SELECT recorded_num_shards FROM shard_ring()}), '8', 'and the restore recorded 8');
# step 2 exactly as docs/resharding.md writes it (LIST tables only: a HASH
# table keeps its old partitions until step 4)
my ($rc2, $out2, $err2) = $new->psql('app', q{
	SELECT t.rel, c.* FROM sharded_tables() t
	JOIN pg_partitioned_table p ON p.partrelid = t.rel AND p.partstrat = 'l',
	LATERAL create_shard_partitions(t.rel) c});
is($rc2, 0, '2. create_shard_partitions adds the new shape\'s partitions of the LIST tables') or diag $err2;
is(scalar(split /\n/, $out2), 4, '   four of them (shards 4 to 7 of parted)');
$new->command_ok([ 'pg_restore', '--section=data', '--section=post-data', '-d', $new->connstr('app'), $dump ],
	'3. restore the data through the partition root, then indexes and constraints');
# step 4 as documented: every HASH table re-sharded (psql's \gexec runs each CALL on its own)
my ($rc4, $out4, $err4) = $new->psql('app', q{
	SELECT format('CALL reshard_hash_table(%L)', t.rel) FROM sharded_tables() t
	JOIN pg_partitioned_table p ON p.partrelid = t.rel AND p.partstrat = 'h' \gexec});
is($rc4, 0, '4. reshard_hash_table for each HASH table') or diag $err4;
like($err4, qr/reshard_hash_table public.hashed: done, $rows rows moved in \d+ batches; 0 stale rows/, '   it moves every row');
is($new->safe_psql('app', $hashed_sum), $hashed_before, 'every row of the HASH table arrived, unchanged');
is($new->safe_psql('app', q{SELECT count(*) FROM pg_inherits WHERE inhparent = 'hashed'::regclass}), '8',
	'   in 8 partitions');

is($new->safe_psql('app', $checksum), $before, 'every row of the partitioned table arrived, unchanged');
is($new->safe_psql('app', q{SELECT count(*) FROM parted WHERE tableoid <> ('parted_shard_' || shard_for(id))::regclass}),
	'0', 'each in the partition of its shard under 8 shards');
is($new->safe_psql('app', q{SELECT stale_rows FROM shard_verify('parted', 'id')}), '0', 'shard_verify agrees');
is($new->safe_psql('app', q{SELECT count(*) || ':' || count(*) FILTER (WHERE shard_id = shard_for(id, 8)) FROM gen}),
	"$rows:$rows", 'generated shard columns were recomputed under 8 shards');
is($new->safe_psql('app', q{SELECT stale_rows FROM shard_verify('plain', 'id', 'shard_id')}),
	$new->safe_psql('app', q{SELECT count(*) FROM plain WHERE shard_id <> shard_for(id)}),
	'a plain shard column keeps its old values, and shard_verify counts them');
$new->safe_psql('app', q{CALL reshard_table('plain', 'id', 'shard_id')});
is($new->safe_psql('app', q{SELECT stale_rows FROM shard_verify('plain', 'id', 'shard_id')}), '0',
	'reshard_table fixes them');
is($new->safe_psql('app', q{SELECT node_ids FROM shard_placement WHERE shard_id = 1}), '{pinned-a,pinned-b}',
	'registrations are restored');

$new->stop;
done_testing();
