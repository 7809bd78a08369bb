# A user's trigger that happens to be named dakera_shard_reshard_guard (review
# finding 46).  The write guard of a HASH re-shard was recognised by its name
# alone: such a trigger stood in for the guard (after an interrupted run in
# mode block_writes a write was let through and could miss a pending row,
# silently), and the end of the run dropped the user's trigger.  Now the guard
# is recognised by its function and shape; a re-shard that would need it
# refuses, before it changes anything, a table whose trigger has the name,
# with a hint; recording a new shape warns that such a table is not guarded;
# and no trigger that is not the guard is ever dropped.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('guard_name', preload(), 'dakera_shard.num_shards = 4');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE ROLE tenant LOGIN;
	CREATE SCHEMA app AUTHORIZATION tenant;
	SET ROLE tenant;
	CREATE TABLE app.audit (tab text, op text);
	CREATE FUNCTION app.audit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN INSERT INTO app.audit VALUES (TG_TABLE_NAME, TG_OP); RETURN NULL; END $$;
	CREATE TABLE app.gn (id text NOT NULL, v int) PARTITION BY HASH (id shard_ops);
	CREATE TABLE app.go (id text NOT NULL, v int) PARTITION BY HASH (id shard_ops);
	SELECT count(*) FROM public.create_shard_partitions('app.gn');
	SELECT count(*) FROM public.create_shard_partitions('app.go');
	INSERT INTO app.gn SELECT 'k' || g, g FROM generate_series(1, 1000) g;
	INSERT INTO app.go SELECT 'k' || g, g FROM generate_series(1, 1000) g;
	CREATE TRIGGER dakera_shard_reshard_guard AFTER INSERT OR UPDATE OR DELETE ON app.gn
		FOR EACH STATEMENT EXECUTE FUNCTION app.audit();
	CREATE TRIGGER dakera_shard_reshard_guard AFTER INSERT OR UPDATE OR DELETE ON app.go
		FOR EACH STATEMENT EXECUTE FUNCTION app.audit();
});
sub user_trigger
{
	my ($table) = @_;
	return $node->safe_psql('postgres', qq{SELECT string_agg(t.tgname, ',' ORDER BY t.tgname) FROM pg_trigger t
		WHERE t.tgrelid = '$table'::regclass AND t.tgfoid = 'app.audit()'::regprocedure});
}
sub partitions
{
	my ($table) = @_;
	return $node->safe_psql('postgres', qq{SELECT count(*) FROM pg_inherits WHERE inhparent = '$table'::regclass});
}

$node->append_conf('postgresql.conf', 'dakera_shard.num_shards = 8');
$node->restart;
my ($rc, $out, $err) = $node->psql('postgres', q{SELECT record_shard_ring()});
is($rc, 0, 'the new shape is recorded') or diag $err;
like($err, qr/WARNING:  table app\.gn is partitioned for another shard count than 8, and writes to it are not refused.*HINT:  Rename that trigger/s,
	'recording warns that the table whose trigger has the guard\'s name is not guarded');
is(user_trigger('app.gn'), 'dakera_shard_reshard_guard', 'and leaves the user\'s trigger alone');

# block_writes (the default): refused before anything changes
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; CALL public.reshard_hash_table('app.gn', 50)});
isnt($rc, 0, 'reshard_hash_table refuses the table');
like($err, qr/table app\.gn has a trigger named "dakera_shard_reshard_guard" that is not dakera_shard's write guard.*HINT:  Rename that trigger \(ALTER TRIGGER dakera_shard_reshard_guard ON app\.gn RENAME TO \.\.\.\)/s,
	'naming the trigger, with a hint') or diag $err;
is(user_trigger('app.gn'), 'dakera_shard_reshard_guard', 'the user\'s trigger is still there');
is(partitions('app.gn'), '4', 'nothing changed: the 4 partitions of the old shape');
is($node->safe_psql('postgres', q{SELECT count(*) FROM app.gn}), '1000', 'every row there');

# renamed: the run goes through and keeps the user's trigger
$node->safe_psql('postgres', q{SET ROLE tenant; ALTER TRIGGER dakera_shard_reshard_guard ON app.gn RENAME TO gn_audit});
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; CALL public.reshard_hash_table('app.gn', 300)});
is($rc, 0, 'after the rename the re-shard runs') or diag $err;
is(partitions('app.gn'), '8', '8 partitions');
is($node->safe_psql('postgres', q{SELECT count(*) FROM app.gn}), '1000', 'every row there');
is(user_trigger('app.gn'), 'gn_audit', 'the user\'s trigger is kept');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_trigger WHERE tgrelid = 'app.gn'::regclass
	AND tgfoid = 'dakera_shard_internal.reshard_write_guard()'::regprocedure}), '0', 'the guard is gone');

# online puts no guard: it runs, and never drops the user's trigger of that name
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; CALL public.reshard_hash_table('app.go', 300, mode => 'online')});
is($rc, 0, 'mode online re-shards a table with a trigger of that name') or diag $err;
is(partitions('app.go'), '8', '8 partitions');
is(user_trigger('app.go'), 'dakera_shard_reshard_guard', 'and the user\'s trigger is kept');
$node->safe_psql('postgres', q{SET ROLE tenant; UPDATE app.go SET v = -v WHERE id = 'k7'});
is($node->safe_psql('postgres', q{SELECT v FROM app.go WHERE id = 'k7'}), '-7', 'writes go on');

# the real guard is found whatever its name: an interrupted run, then a rename by the owner
$node->safe_psql('postgres', q{
	SET ROLE tenant;
	CREATE TABLE app.gr (id text NOT NULL, v int) PARTITION BY HASH (id shard_ops);
	CREATE TABLE app.gr_0 PARTITION OF app.gr FOR VALUES WITH (MODULUS 4, REMAINDER 0);
	CREATE TABLE app.gr_1 PARTITION OF app.gr FOR VALUES WITH (MODULUS 4, REMAINDER 1);
	CREATE TABLE app.gr_2 PARTITION OF app.gr FOR VALUES WITH (MODULUS 4, REMAINDER 2);
	CREATE TABLE app.gr_3 PARTITION OF app.gr FOR VALUES WITH (MODULUS 4, REMAINDER 3);
	INSERT INTO app.gr SELECT 'k' || g, g FROM generate_series(1, 1000) g;
	SELECT step FROM dakera_shard_internal.reshard_hash_step('app.gr', 100, 'block_writes');
	ALTER TRIGGER dakera_shard_reshard_guard ON app.gr RENAME TO renamed_guard;
});
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE tenant; UPDATE app.gr SET v = -v WHERE id = 'k7'});
like($err, qr/table app\.gr has rows waiting to be re-sharded/, 'the renamed guard still refuses writes while interrupted');
$node->safe_psql('postgres', q{SET ROLE tenant; CALL public.reshard_hash_table('app.gr', 300)});
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_trigger WHERE tgrelid = 'app.gr'::regclass}), '0',
	'the finished run removes it under its new name');
is($node->safe_psql('postgres', q{SELECT count(*) FROM app.gr}), '1000', 'every row there');
$node->stop;
done_testing();
