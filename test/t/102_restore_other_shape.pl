# pg_dump of a database with tables partitioned by shard, restored into a
# server with another shape (issue 11, item 4): the procedure of docs/resharding.md
# (dump with --load-via-partition-root; restore the schema; add the new
# shape's partitions; restore the data) loses no row, and every row lands in
# the partition of its shard under the new shape.  A restore that skips the
# procedure is shown to fail loudly rather than silently.
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
	SELECT register_shard_nodes(1, ARRAY['pinned-a', 'pinned-b']);
});
my $checksum = q{SELECT count(*) || ':' || md5(string_agg(id || '=' || embedding::text, ',' ORDER BY id)) FROM parted};
my $before = $old->safe_psql('postgres', $checksum);

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
is($new->safe_psql('app',
		q{SELECT sum(n) FROM sharded_tables() t, LATERAL (SELECT count(*) n FROM create_shard_partitions(t.rel)) c
		  WHERE t.shard_column IS NULL}),
	'4', '2. create_shard_partitions adds the new shape\'s partitions');
$new->command_ok([ 'pg_restore', '--section=data', '--section=post-data', '-d', $new->connstr('app'), $dump ],
	'3. restore the data through the partition root, then indexes and constraints');

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
