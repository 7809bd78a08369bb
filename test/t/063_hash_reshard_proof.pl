# reshard_hash_table destroys nothing without proof (issue 19 item 1, issue
# 22 item 3).  Its finish step used to drop the pending tables as soon as a
# round of batches moved 0 rows; each case below made a round move 0 rows
# while rows were still pending, and lost them.  Now the finish step locks
# the pending tables, proves them empty with a scan that neither triggers nor
# row-level security can hide rows from, moves what is left under that lock,
# and stops loudly, dropping nothing, when rows cannot leave.
#  A. a BEFORE DELETE trigger of one partition that returns NULL;
#  B. FORCE ROW LEVEL SECURITY on one partition (refused before anything
#     changes), and on a pending table after the swap (refused at the end);
#  C. a BEFORE INSERT trigger that drops rows on their way in (a batch that
#     would delete more rows than it inserts is rolled back);
#  D. a session that updates pending rows while the CALL is resumed (the
#     batch waits for it, then finds the rows' versions it picked gone);
#  E. a session that deletes the rows the next batch picks.
# Each case: 0 rows lost, and a loud error or a correct completion.
# The tables start with one shard (one partition, one pending table), so
# that the concurrent cases are deterministic.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('hash_reshard_proof', preload(), 'dakera_shard.num_shards = 1');
$node->start;
# the tables belong to a plain role: a superuser bypasses row-level security
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE ROLE tenant LOGIN;
	GRANT CREATE ON SCHEMA public TO tenant;});
for my $t (qw(a b b2 c d e))
{
	my $rows = $t =~ /^[de]$/ ? 6000 : 40;
	$node->safe_psql('postgres', qq{
		SET ROLE tenant;
		CREATE TABLE $t (id text PRIMARY KEY, n int NOT NULL) PARTITION BY HASH (id shard_ops);
		SELECT count(*) FROM create_shard_partitions('$t');
		INSERT INTO $t SELECT 'k-' || g, g FROM generate_series(1, $rows) g;});
}
# A: one partition keeps a sixth of its rows from any DELETE
$node->safe_psql('postgres', q{
	SET ROLE tenant;
	CREATE FUNCTION keep_some() RETURNS trigger LANGUAGE plpgsql AS
	    $$ BEGIN IF OLD.n % 6 = 0 THEN RETURN NULL; END IF; RETURN OLD; END $$;
	CREATE TRIGGER keep_some BEFORE DELETE ON a_shard_0 FOR EACH ROW EXECUTE FUNCTION keep_some();
	-- B: one partition's policies hide a sixth of its rows from its owner too
	ALTER TABLE b_shard_0 ENABLE ROW LEVEL SECURITY;
	ALTER TABLE b_shard_0 FORCE ROW LEVEL SECURITY;
	CREATE POLICY most ON b_shard_0 USING (n % 6 <> 0);
	-- C: a trigger that drops a sixth of the rows inserted
	CREATE FUNCTION drop_some() RETURNS trigger LANGUAGE plpgsql AS
	    $$ BEGIN IF NEW.n % 6 = 0 THEN RETURN NULL; END IF; RETURN NEW; END $$;
	CREATE TRIGGER drop_some BEFORE INSERT ON c FOR EACH ROW EXECUTE FUNCTION drop_some();});

$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 4');
$node->restart;
$node->safe_psql('postgres', 'SELECT record_shard_ring()');

# every row of a table, wherever it is (the table, or its pending tables)
sub everything
{
	my ($t) = @_;
	my $holder = $node->safe_psql('postgres', "SELECT to_regclass('${t}_reshard_pending') IS NOT NULL");
	my $from = $holder eq 't' ? "(SELECT * FROM $t UNION ALL SELECT * FROM ${t}_reshard_pending) u" : $t;
	return $node->safe_psql('postgres', "SELECT count(*) || ':' || sum(n) FROM $from");
}

# --- A: a BEFORE DELETE trigger returning NULL ------------------------------
my ($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('a')});
isnt($ret, 0, 'A: the run stops') or note($err);
like($err, qr/ERROR: .*a_pending_0 .*6 rows/, 'A: loudly, naming the pending table and its rows');
like($err, qr/HINT: .*Nothing was dropped/, 'A: the hint says nothing was dropped and what to do');
like($err, qr/trigger "keep_some"/, 'A: and names the trigger');
is(everything('a'), '40:820', 'A: 0 rows lost (40 rows, the same sum)');
$node->psql('postgres', 'DROP TRIGGER keep_some ON a_pending_0');
($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('a')});
like($err, qr/done, 6 rows moved in 1 batches; 0 stale rows/, 'A: once the trigger is gone, the run finishes');
is(everything('a'), '40:820', 'A: every row is in the table');

# --- B: FORCE ROW LEVEL SECURITY on one partition ---------------------------
($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('b')});
isnt($ret, 0, 'B: a partition that forces row-level security on its owner is refused');
like($err, qr/partition public\.b_shard_0 .*forces row-level security/, 'B: naming it');
is($node->safe_psql('postgres', q{SELECT to_regclass('b_reshard_pending') IS NULL}), 't', 'B: before anything changed');
is(everything('b'), '40:820', 'B: 0 rows lost');
# the same after the swap: forced on a pending table while the CALL was away
$node->psql('postgres', q{SET statement_timeout = '300ms'; CALL reshard_hash_table('b2', 1, 1000)});
$node->safe_psql('postgres', q{
	ALTER TABLE b2_pending_0 ENABLE ROW LEVEL SECURITY;
	ALTER TABLE b2_pending_0 FORCE ROW LEVEL SECURITY;
	CREATE POLICY most ON b2_pending_0 USING (n % 6 <> 0);});
($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('b2')});
isnt($ret, 0, 'B: a pending table that forces row-level security stops the run');
like($err, qr/ERROR: .*b2_pending_0 .*rows/, 'B: naming the pending table');
like($err, qr/forces row-level security/, 'B: and why');
is(everything('b2'), '40:820', 'B: 0 rows lost');
$node->psql('postgres', 'ALTER TABLE b2_pending_0 NO FORCE ROW LEVEL SECURITY');
($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('b2')});
like($err, qr/0 stale rows/, 'B: without it, the run finishes');
is(everything('b2'), '40:820', 'B: every row is in the table');

# --- C: a BEFORE INSERT trigger that drops rows -----------------------------
($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('c')});
isnt($ret, 0, 'C: a batch that would delete more rows than it inserts stops the run');
like($err, qr/ERROR: .*deleted \d+ rows from public\.c_pending_0 but inserted \d+/, 'C: loudly');
like($err, qr/HINT: .*trigger drop_some on public\.c:/, 'C: its hint names the trigger');
is(everything('c'), '40:820', 'C: 0 rows lost');
$node->safe_psql('postgres', 'DROP TRIGGER drop_some ON c');
($ret, $out, $err) = $node->psql('postgres', q{CALL reshard_hash_table('c')});
like($err, qr/0 stale rows/, 'C: without the trigger, the run finishes');
is(everything('c'), '40:820', 'C: every row is in the table');

# an interrupted run: the swap and two batches of 1000, then a cancel
sub interrupt
{
	my ($t) = @_;
	my ($r, $o, $e) = $node->psql('postgres', qq{SET statement_timeout = '1500ms'; CALL reshard_hash_table('$t', 1000, 1000)});
	like($e, qr/canceling statement due to statement timeout/, "$t: the first run is cancelled");
	return $node->safe_psql('postgres', "SELECT count(*) FROM ${t}_reshard_pending");
}

# --- D: a session updates pending rows while the CALL is resumed -----------
my $pending = interrupt('d');
ok($pending > 0 && $pending < 6000, "D: $pending rows pending");
is($node->safe_psql('postgres', q{SELECT stale_rows FROM shard_verify('d', 'id')}), $pending,
	'D: shard_verify counts the pending rows as stale');
my $updater = $node->background_psql('postgres');
$updater->query_safe('BEGIN; UPDATE d_reshard_pending SET n = n + 1000000');
my $mover = $node->background_psql('postgres', on_error_stop => 0);
$mover->query_until(qr/started/, q{
	\echo started
	CALL reshard_hash_table('d', 100000);
	\echo finished
});
ok($node->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE 'CALL reshard_hash_table%' AND wait_event_type = 'Lock'}),
	'D: the batch waits for the updated rows');
$updater->query_safe('COMMIT');
$updater->quit;
$mover->query_until(qr/finished/, '');
my $notices = $mover->{stderr};
$mover->quit;
is($node->safe_psql('postgres', 'SELECT count(*) || \':\' || sum(n) FROM d'),
	'6000:' . (18003000 + 1000000 * $pending), 'D: 0 rows lost, every update kept');
like($notices, qr/0 stale rows/, 'D: the run finishes') or note($notices);
is($node->safe_psql('postgres', q{SELECT to_regclass('d_reshard_pending') IS NULL}), 't', 'D: the pending tables are gone');

# --- E: a session deletes the rows the next batch picks --------------------
$pending = interrupt('e');
my $deleter = $node->background_psql('postgres');
my $deleted = $deleter->query_safe(q{BEGIN;
	WITH d AS (DELETE FROM ONLY e_pending_0 WHERE ctid = ANY (ARRAY(SELECT ctid FROM ONLY e_pending_0 LIMIT 100)) RETURNING n)
	SELECT count(*) || ':' || sum(n) FROM d});
my ($gone, $gone_sum) = split /:/, $deleted;
is($gone, 100, 'E: a session deletes the 100 rows the next batch will pick');
$mover = $node->background_psql('postgres', on_error_stop => 0);
$mover->query_until(qr/started/, q{
	\echo started
	CALL reshard_hash_table('e', 100);
	\echo finished
});
ok($node->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE 'CALL reshard_hash_table%' AND wait_event_type = 'Lock'}),
	'E: the batch waits for the deleted rows');
$deleter->query_safe('COMMIT');
$deleter->quit;
$mover->query_until(qr/finished/, '');
$notices = $mover->{stderr};
$mover->quit;
is($node->safe_psql('postgres', 'SELECT count(*) || \':\' || sum(n) FROM e'),
	'5900:' . (18003000 - $gone_sum), 'E: 0 rows lost: every row but the 100 deleted');
like($notices, qr/0 stale rows/, 'E: the run finishes') or note($notices);

$node->stop;
done_testing();
