# make demo works end to end and prints what it promises: every vector row in
# the partition of its shard, a lookup by id that reads one partition, a k-NN
# search merged from every shard's HNSW index (where pgvector is installed),
# shard_batch over its ids, partition_info and shard_overview counting every
# row, the partition map.  Then the same demo in its real[] variant, as a
# server without pgvector runs it.  Runs test/demo.sh as make demo does,
# against the extension make test installed (PG_CONFIG names the server).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;

local $ENV{DAKERA_INSTALLED} = 1;
my $out;

# demo(ENV...): run the demo with these settings; its exit status
sub demo
{
	my (%env) = @_;
	local @ENV{ keys %env } = values %env;
	my ($stdout, $stderr) = run_command([ 'bash', 'test/demo.sh' ]);
	my $status = $? >> 8;
	$out = "$stdout\n$stderr";
	note($out) if $status;
	return $status;
}

# section(NAME): the demo's lines from the "== NAME" line to the next "=="
sub section
{
	my ($name) = @_;
	my ($text) = $out =~ /^== \Q$name\E[^\n]*\n(.*?)(?=^==|\z)/ms;
	return defined $text ? split(/\n/, $text) : ();
}

# cells(LINE): the cells of a psql table row, trimmed
sub cells { return map { s/^\s+|\s+$//gr } split /\|/, $_[0]; }

# check_demo(ROWS, VARIANT): what both variants print
sub check_demo
{
	my ($rows, $variant) = @_;
	like($out, qr/consistent_hash \| +4 \| +150 \| +600 \| +9488 \| t /, "[$variant] the ring is built in shared memory");
	my ($n, $sum) = (0, 0);
	for (section('COPY the rows in'))
	{
		my @c = cells($_);
		next unless @c >= 4 && $c[0] =~ /^vectors_shard_[0-3]$/ && $c[3] eq 't';
		$n++;
		$sum += $c[1];
	}
	is("$n|$sum", "4|$rows", "[$variant] COPY: four partitions holding every row, each only rows of its shard");
	is(scalar(grep { /on vectors_shard_/ } section('A lookup by id')), 1, "[$variant] the lookup by id reads one partition");
	my $ids = 0;
	for (section('shard_batch over the ids'))
	{
		my @c = cells($_);
		$ids += scalar(split /,/, $c[1]) if @c >= 2 && $c[0] =~ /^[0-3]$/;
	}
	is($ids, 10, "[$variant] shard_batch groups the 10 ids of the search");
	like($out, qr/ 2 \| \{pg-c,pg-a\} +\| pg-c /, "[$variant] the partition map shows primaries and replicas");
	($n, $sum) = (0, 0);
	for (section('partition_info(table)'))
	{
		my @c = cells($_);
		next unless @c >= 6 && $c[0] =~ /^[0-3]$/ && $c[5] > 264 * $c[4];
		$n++;
		$sum += $c[4];
	}
	is("$n|$sum", "4|$rows", "[$variant] partition_info(table) counts every row, its bytes above the embeddings");
	($n, $sum) = (0, 0);
	for (section('shard_overview'))
	{
		my @c = cells($_);
		next unless @c >= 7 && $c[0] =~ /^[0-3]$/;
		$n++;
		$sum += $c[6];
	}
	is("$n|$sum", "4|$rows", "[$variant] shard_overview counts every row");
	like($out, qr/ 0 \| \{pg-a,pg-b\} +\| pg-b/, "[$variant] with pg-a down, shard 0 is served by pg-b");
}

is(demo(), 0, 'make demo exits 0');
if ($out =~ /^pgvector: not installed/m)
{
	# make test installs pgvector everywhere (DAKERA_REQUIRE_PGVECTOR)
	fail('pgvector is installed for the demo') if $ENV{DAKERA_REQUIRE_PGVECTOR};
	note('pgvector is not installed: the demo ran with real[]');
	check_demo(20000, 'real[]');
}
else
{
	check_demo(20000, 'pgvector');
	my $knn = join("\n", section('The 10 nearest neighbours'));
	like($knn, qr/-> +Merge Append/, 'k-NN across shards: one Merge Append');
	my %scans = map { $_ => 1 } $knn =~ /Index Scan using (vectors_shard_[0-3]_embedding_idx)/g;
	is(scalar(keys %scans), 4, 'k-NN across shards: an HNSW index scan on each of the four partitions');
	is(scalar(grep { /Index Scan using vectors_shard_[0-3]_embedding_idx/ } section('The same search within one shard')),
		1, 'k-NN within one shard: one HNSW index scan');
	is(demo(DEMO_PGVECTOR => 'off', DEMO_ROWS => 3000), 0, 'make demo without pgvector exits 0');
	is(scalar(() = $out =~ /^pgvector: not installed/mg), 1, 'without pgvector the demo says so in one line');
	check_demo(3000, 'real[]');
}

done_testing();
