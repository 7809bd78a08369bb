# Hostile input: keys from 0 bytes to 100 MB, a batch of 10 million keys, ring
# shapes at and past every limit, the largest ring at server start, and a ring
# the server's memory cannot hold: errors, never crashes.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('hostile', preload());
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION dakera_shard');
sub sql { return $node->safe_psql('postgres', $_[0]); }
my $u64 = 'CASE WHEN h < 0 THEN h::numeric + 18446744073709551616 ELSE h::numeric END';

# keys of every size: the range shard agrees with the numeric formula over
# the key's hash, and the ring and jump answer within range
for my $bytes (0, 1, 7, 8, 9, 1000, 1000000, 100000000)
{
	my ($ret, $out, $err) = $node->psql('postgres', qq{
		WITH k AS (SELECT repeat('x', $bytes) AS key), h AS (SELECT key, shard_key_hash(key) AS h FROM k)
		SELECT shard_for(key, 7, 'range') = least(floor(($u64) / floor(18446744073709551615::numeric / 7)), 6)
		       AND shard_for(key) BETWEEN 0 AND 3 AND shard_for(key, 1000, 'jump') BETWEEN 0 AND 999
		FROM h});
	is("$out$err", 't', "a key of $bytes bytes");
}
is(sql(q{SELECT shard_key_hash(repeat('ab', 50000000)) = shard_key_hash(repeat('ab', 50000000))}),
	't', 'a 100 MB key hashes the same twice');

# ten million keys in one batch: every one comes out once
is(sql(q{SELECT count(*) || '/' || sum(cardinality(ids)) FROM shard_batch(ARRAY(SELECT 'key-' || g FROM generate_series(1, 10000000) g))}),
	'4/10000000', 'shard_batch of 10000000 keys');

# shapes at and past every limit, in the explicit form
is(sql(q{SELECT shard_for('k', 4096, 'consistent_hash', 1024) BETWEEN 0 AND 4095}), 't', 'ring at the point limit (4096 x 1024)');
is(sql(q{SELECT shard_for('k', 1000000, 'jump') BETWEEN 0 AND 999999}), 't', 'jump at the shard limit');
is(sql(q{SELECT shard_for('k', 1000000, 'range') BETWEEN 0 AND 999999}), 't', 'range at the shard limit');
is(sql(q{SELECT shard_for('k', 419, 'modulo', 10000) BETWEEN 0 AND 418}), 't', 'virtual nodes at their limit');
for my $past (q{4097, 'consistent_hash', 1024}, q{1000001, 'jump'}, q{4, 'range', 10001}, '0',
	q{-2147483648, 'jump'}, q{2147483647, 'range'}, q{4, 'consistent_hash', -1})
{
	my ($ret, $out, $err) = $node->psql('postgres', "SELECT shard_for('k', $past)");
	like($err, qr/ERROR: .*(out of range|too large)/, "past a limit: shard_for('k', $past) is an error");
}
is(sql('SELECT 1'), '1', 'the server survives all of it');

# the largest ring at server start
$node->stop;
$node->append_conf('postgresql.conf',
	"dakera_shard.num_shards = 4096\ndakera_shard.virtual_nodes = 1024\nshared_buffers = 16MB\n");
my $offset = log_offset($node);
is($node->start(fail_ok => 1), 1, 'the largest ring starts');
like(log_since($node, $offset),
	qr/ring strategy=consistent_hash num_shards=4096 virtual_nodes=1024 built in [0-9.]+ ms, 64319128 bytes/,
	'and is built in shared memory');
sql('SELECT record_shard_ring()');
is(sql(q{SELECT shard_for('k') = shard_for('k', 4096, 'consistent_hash', 1024)}), 't', 'and routes');
my ($postmaster) = slurp_file($node->data_dir . '/postmaster.pid') =~ /^(\d+)/;
my ($vmsize) = slurp_file("/proc/$postmaster/status") =~ /^VmSize:\s+(\d+)/m;
$node->stop;

# start_limited(KB): start with the address space limited to KB; pg_ctl's status
sub start_limited
{
	my ($kb) = @_;
	$offset = log_offset($node);
	my $status = system_log('bash', '-c', "ulimit -v $kb; exec pg_ctl -w -D '" . $node->data_dir
		  . "' -l '" . $node->logfile . "' start") >> 8;
	system_log('pg_ctl', '-D', $node->data_dir, '-m', 'immediate', 'stop') if $status == 0;
	return $status;
}

# a ring the server's memory cannot hold: a clear startup error, not a crash.
# Address space a little short of what the server had: the shared memory
# segment (with the 64 MB ring) cannot be mapped.
is(start_limited($vmsize - 40000), 1, "too little memory for the shared ring: the server does not start");
like(log_since($node, $offset), qr/FATAL: +(could not map anonymous shared memory|out of memory building the ring)/,
	'and says why');
# room for the segment but not for the 128 MB needed to build the ring
is(start_limited($vmsize + 60000), 1, 'too little memory to build the ring: the server does not start');
my $log = log_since($node, $offset);
like($log, qr/FATAL: +out of memory building the ring strategy=consistent_hash num_shards=4096 virtual_nodes=1024/,
	'and names the ring and the settings to lower');
unlike(slurp_file($node->logfile), qr/terminated by signal/, 'no crash: nothing was killed by a signal');

done_testing();
