# 120_citus_ring_change.pl: a ring change under Citus tables (outside review,
# round 4, R2-1 and R2-3), on a coordinator and two workers on loopback.
#
#   - the same shard count with another ring (virtual_nodes 150 -> 100),
#     recorded on every node: citus_shard_check reads the rows and reports,
#     per Citus shard, those whose key now hashes outside it (as many as an
#     independent count by shard_for finds), where it said "all ok" before;
#     lookups by id miss exactly those rows; citus_reshard() rewrites the
#     tables (alter_distributed_table cannot: the shard count is the same)
#     and every row is found again, count and md5 unchanged;
#   - a re-shard 6 -> 8 with a writer running all along (insert if absent
#     of existing keys, new keys with a ledger, each in its own
#     transaction, through a cached plan): the workers record, then
#     citus_reshard() records the coordinator and rewrites in one
#     transaction; 0 duplicate keys, the old rows' count and md5 unchanged,
#     the new rows exactly the writer's ledger, Citus shard i = engine shard
#     i and 0 rows misplaced after.
#
# Skipped without Citus, as 110.
use strict;
use warnings;
use lib 'test/perl';
use DakeraShardTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $pg_config = $ENV{PG_CONFIG} // 'pg_config';
my ($sharedir, $pkglibdir) = map { my $d = `"$pg_config" --$_`; chomp $d; $d } qw(sharedir pkglibdir);
if (!-f "$sharedir/extension/citus.control" || !-f "$pkglibdir/citus.so")
{
	my $why = "citus is not installed in this server (no $sharedir/extension/citus.control)";
	BAIL_OUT($why) if $ENV{DAKERA_REQUIRE_CITUS};
	plan skip_all => $why;
}

my %node;
for my $name (qw(coord w1 w2))
{
	$node{$name} = new_node($name, "shared_preload_libraries = 'citus,dakera_shard'",
		"listen_addresses = '127.0.0.1'", 'max_connections = 60', 'dakera_shard.num_shards = 6',
		'dakera_shard.strategy = consistent_hash', 'dakera_shard.virtual_nodes = 150');
	$node{$name}->start;
	$node{$name}->safe_psql('postgres', 'CREATE EXTENSION citus');
}
my $coord = $node{coord};
my %port = map { $_ => $node{$_}->port } keys %node;

sub sql { return $coord->safe_psql('postgres', $_[0]); }

# every node restarted with the ring's settings, and recorded on the workers
sub restart_all
{
	my ($settings) = @_;
	for my $n (qw(coord w1 w2))
	{
		$node{$n}->append_conf('postgresql.conf', $settings);
		$node{$n}->restart;
	}
	sql(q{SELECT * FROM run_command_on_workers('SELECT public.record_shard_ring()')});
}

sql("SELECT citus_set_coordinator_host('127.0.0.1', $port{coord})");
sql("SELECT citus_add_node('127.0.0.1', $port{$_})") for qw(w1 w2);
sql('CREATE EXTENSION dakera_shard');
sql(q{CREATE TABLE items (id shard_key PRIMARY KEY, n int NOT NULL);
      SELECT distribute_table('items');
      INSERT INTO items SELECT 'k' || g, g FROM generate_series(1, 600) g;
      CREATE TABLE notes (id shard_key PRIMARY KEY, body text);
      SELECT distribute_table('notes');
      INSERT INTO notes SELECT 'k' || g, 'note ' || g FROM generate_series(1, 200) g;
      CREATE TABLE docs (id shard_uuid PRIMARY KEY, n int);
      SELECT distribute_table('docs');
      INSERT INTO docs SELECT md5(g::text)::uuid, g FROM generate_series(1, 300) g});
is(sql(q{SELECT count(*) FILTER (WHERE NOT ok) FROM citus_shard_check()}), '0', 'at first every check passes');
like(sql(q{SELECT detail FROM citus_shard_check('items') WHERE subject = 'shard 0'}),
	qr/^shard \d+ on 127\.0\.0\.1:\d+, \d+ rows, each hashes into it$/, 'a shard\'s row says its rows hash into it');

# rows of each Citus shard whose engine shard (shard_for) is not the shard's, counted on the workers
sub misplaced
{
	my ($rel, $key) = @_;
	return sql(qq{SELECT coalesce(sum(e.value::bigint) FILTER (WHERE e.key::int <> m.shard), 0)
        FROM run_command_on_shards('$rel',
             \$c\$SELECT coalesce(json_object_agg(s, c), '{}') FROM (SELECT public.shard_for($key) s, count(*) c FROM %s GROUP BY 1) x\$c\$) r
        JOIN citus_shard_map('$rel') m USING (shardid), jsonb_each_text(r.result::jsonb) e});
}
# lookups by id, one statement each (routed by Citus to one shard)
sql(q{CREATE FUNCTION found_by_id() RETURNS int LANGUAGE plpgsql AS $$
      DECLARE f int := 0; BEGIN
          FOR g IN 1 .. 600 LOOP
              IF EXISTS (SELECT FROM items WHERE id = 'k' || g) THEN f := f + 1; END IF;
          END LOOP;
          RETURN f;
      END $$});
my $found = q{SELECT found_by_id()};
my $digest = q{SELECT count(*) || ' ' || md5(string_agg(id || ' ' || n, ',' ORDER BY id)) FROM items};
my $before = sql($digest);
my $docs_digest = q{SELECT count(*) || ' ' || md5(string_agg(id || ' ' || n, ',' ORDER BY id)) FROM docs};
my $docs_before = sql($docs_digest);

# R2-1: the same shard count, another ring, recorded everywhere
restart_all('dakera_shard.virtual_nodes = 100');
sql('SELECT record_shard_ring()');
my $wrong = misplaced('items', 'id::text');
my $wrong_docs = misplaced('docs', 'id::uuid');
cmp_ok($wrong, '>', 0, "another ring: $wrong of 600 rows of items are not in their engine shard");
is(sql($found), 600 - $wrong, 'lookups by id miss exactly those rows');
my $report = sql(q{SELECT string_agg(relation || ' ' || subject || ': ' || detail, E'\n') FROM citus_shard_check() WHERE NOT ok});
like($report, qr/^items shard \d+: \d+ of the \d+ rows of shard \d+ hash outside it \(into shards [\d, ]+\): they were placed under another ring; lookups by id miss them; rewrite the table with SELECT \* FROM citus_reshard\('public\.items'\)$/m,
	'citus_shard_check reports the rows that hash outside their shard');
my %outside;
$outside{$1} += $2 while $report =~ /^(\w+) shard \d+: (\d+) of the/mg;
is($outside{items}, $wrong, "items: the check counts the $wrong rows shard_for finds misplaced");
is($outside{docs}, $wrong_docs, "docs (shard_uuid): the check counts the $wrong_docs misplaced rows");
cmp_ok($outside{notes} // 0, '>', 0, 'notes (co-located with items): reported too');
unlike($report, qr/routing is still right/, 'nothing says routing is still right');

# alter_distributed_table refuses the same shard count; citus_reshard rewrites
is(sql(q{SELECT string_agg(relation || ' ' || shards_before || '->' || shards_after || ' ' || rows || ' ' || (misplaced_before > 0) || ' ' || rewritten, ', ' ORDER BY relation::text)
         FROM citus_reshard()}),
	'docs 6->6 300 true true, items 6->6 600 true true, notes 6->6 200 true true',
	'citus_reshard rewrites the three tables at the same shard count');
is(sql(q{SELECT count(*) FILTER (WHERE NOT ok) FROM citus_shard_check()}), '0', 'then every check passes');
is(misplaced('items', 'id::text') . ' ' . misplaced('docs', 'id::uuid'), '0 0', '0 rows misplaced');
is(sql($found), '600', 'every lookup by id finds its row');
is(sql($digest), $before, 'items: count and md5 unchanged');
is(sql($docs_digest), $docs_before, 'docs: count and md5 unchanged');
is(sql(q{SELECT count(DISTINCT colocationid) FROM pg_dist_partition WHERE logicalrelid IN ('items'::regclass, 'notes'::regclass)}),
	'1', 'items and notes are co-located again');
is(sql(q{SELECT string_agg(relation || ' ' || rewritten, ', ' ORDER BY relation::text) FROM citus_reshard()}),
	'docs false, items false, notes false', 'a second run rewrites nothing');

# R2-3: re-shard 6 -> 8 with a writer present.  The writer inserts, each in
# its own transaction, an existing key if absent (must never insert) and a
# new key (its ledger row in the same transaction); a statement that fails
# is counted; it stops after 150 new keys.
sql(q{CREATE TABLE ledger (id text PRIMARY KEY);
      CREATE TABLE progress (failed int NOT NULL, inserted int NOT NULL);
      INSERT INTO progress VALUES (0, 0);
      CREATE PROCEDURE writer() LANGUAGE plpgsql AS $$
      DECLARE g int := 0; ok int := 0; bad int := 0; n int;
      BEGIN
          WHILE ok < 150 AND g < 100000 LOOP
              g := g + 1;
              BEGIN
                  INSERT INTO items VALUES ('k' || (g % 600 + 1), -1) ON CONFLICT DO NOTHING;
                  GET DIAGNOSTICS n = ROW_COUNT;
                  IF n > 0 THEN RAISE EXCEPTION 'an existing key was inserted again'; END IF;
                  INSERT INTO items VALUES ('new' || g, g);
                  INSERT INTO ledger VALUES ('new' || g);
                  ok := ok + 1;
              EXCEPTION WHEN unique_violation OR object_not_in_prerequisite_state OR raise_exception THEN
                  bad := bad + 1;
              END;
              UPDATE progress SET failed = bad, inserted = ok;
              COMMIT;
              PERFORM pg_sleep(0.01);
          END LOOP;
      END $$});
restart_all("dakera_shard.num_shards = 8\ndakera_shard.virtual_nodes = 150");
my ($wout, $werr) = ('', '');
my $writer = IPC::Run::start([ 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-d', $coord->connstr('postgres'), '-c', 'CALL writer()' ],
	'>', \$wout, '2>', \$werr);
# the writer fails (the coordinator's record is the old ring) until citus_reshard commits
$coord->poll_query_until('postgres', 'SELECT failed >= 10 FROM progress') or die 'the writer did not start';
is(sql(q{SELECT string_agg(relation || ' ' || shards_before || '->' || shards_after || ' ' || rewritten, ', ' ORDER BY relation::text) FROM citus_reshard()}),
	'docs 6->8 true, items 6->8 true, notes 6->8 true', 'citus_reshard: the three tables to 8 shards');
$writer->finish;
is($werr, '', 'the writer ended without an error');
my ($failed, $inserted) = split /\|/, sql('SELECT failed, inserted FROM progress');
cmp_ok($failed, '>=', 10, "the writer ran before the re-shard ($failed statements failed, none wrote)");
is($inserted, '150', 'and wrote 150 new keys, the re-shard running meanwhile or done');
is(sql(q{SELECT count(*) - count(DISTINCT id) FROM items}), '0', '0 duplicate keys');
is(sql(q{SELECT count(*) || ' ' || md5(string_agg(id || ' ' || n, ',' ORDER BY id)) FROM items WHERE id::text NOT LIKE 'new%'}),
	$before, 'the old rows: count and md5 unchanged');
is(sql(q{SELECT count(*) FROM items i FULL JOIN ledger l ON l.id = i.id::text
         WHERE i.id::text LIKE 'new%' AND l.id IS NULL OR i.id IS NULL}), '0',
	'the new rows are exactly the writer\'s ledger');
is(sql(q{SELECT count(*) FROM ledger}), '150', '150 rows in the ledger');
is(sql(q{SELECT count(*) || ' ' || bool_and(mirrors) FROM citus_shard_map('items')}), '8 true',
	'Citus shard i = engine shard i of 8');
is(sql(q{SELECT count(*) FILTER (WHERE m.shard = shard_for(k.key))
         FROM (SELECT 'key-' || g AS key FROM generate_series(1, 2000) g) k
         JOIN citus_shard_map('items') m ON m.shardid = get_shard_id_for_distribution_column('items', k.key)}),
	'2000', '2000 of 2000 keys: Citus shard = shard_for');
is(misplaced('items', 'id::text') . ' ' . misplaced('docs', 'id::uuid'), '0 0', '0 rows misplaced');
is(sql(q{SELECT count(*) FILTER (WHERE NOT ok) FROM citus_shard_check()}), '0', 'every check passes');
is(sql($docs_digest), $docs_before, 'docs: count and md5 unchanged');

# a table created with another shard count keeps routing right: said only there
sql(q{CREATE TABLE four (id shard_key PRIMARY KEY);
      SELECT create_distributed_table('four', 'id', colocate_with => 'none', shard_count => 4);
      INSERT INTO four SELECT 'k' || g FROM generate_series(1, 100) g});
like(sql(q{SELECT detail FROM citus_shard_check('four') WHERE NOT ok}),
	qr/^4 shards, the ring has 8: Citus shard i is not engine shard i \(routing is still right: every row hashes into its shard\); re-shard with SELECT \* FROM citus_reshard\('public\.four'\)$/,
	'another shard count from the start: routing is still right');
# a caller who may not read the table: the rows are not checked, the check does not fail
sql(q{CREATE ROLE stranger LOGIN});
like(sql(q{SET ROLE stranger; SELECT string_agg(subject || ': ' || detail, E'\n') FROM citus_shard_check('items') WHERE NOT ok}),
	qr/^rows: cannot read the rows: you may not read the rows of public\.items$/,
	'a caller who may not read the table: the rows are reported not checked');
# citus_reshard refuses while a worker has not recorded the ring
$node{w2}->append_conf('postgresql.conf', 'dakera_shard.num_shards = 6');
$node{w2}->restart;
my ($ret, $out, $err) = $coord->psql('postgres', q{SELECT * FROM citus_reshard()});
like($err, qr/node 127\.0\.0\.1:$port{w2} does not route as the coordinator's settings/,
	'citus_reshard refuses while a worker routes otherwise');

$node{$_}->stop for qw(w1 w2 coord);
done_testing();
