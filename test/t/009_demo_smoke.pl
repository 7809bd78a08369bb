# make demo works end to end and prints what it promises: every sample row
# routed, per-shard counts that add up, the partition map.  Runs test/demo.sh
# as make demo does, against the extension make test installed.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;

local $ENV{DEMO_ROWS} = 3000;
local $ENV{DAKERA_INSTALLED} = 1;
my ($out, $err) = run_command([ 'bash', 'test/demo.sh' ]);
my $status = $? >> 8;
note($err) if $status;
is($status, 0, 'make demo exits 0');

# section(TITLE): the lines of the section whose header starts with TITLE
sub section
{
	my ($title) = @_;
	my ($text) = $out =~ /^== \Q$title\E[^\n]*\n(.*?)(?=^==|\z)/ms;
	return defined $text ? split(/\n/, $text) : ();
}
# sum_column(TITLE, COLUMN, FIRST): rows whose first cell matches FIRST, and
# the sum of their COLUMN (1-based, cells split at |): "rows|sum"
sub sum_column
{
	my ($title, $column, $first) = @_;
	my ($n, $sum) = (0, 0);
	for my $line (section($title))
	{
		my @cells = map { s/^\s+|\s+$//gr } split /\|/, $line;
		next unless @cells >= $column && $cells[0] =~ $first;
		$n++;
		$sum += $cells[ $column - 1 ];
	}
	return "$n|$sum";
}

like($out, qr/consistent_hash \| +4 \| +150 \| +600 \| +9488 \| t /, 'the ring is built in shared memory');
is(sum_column('Rows per shard', 2, qr/^[0-3]$/), '4|3000', 'rows per shard: four shards adding up to every row');
is(sum_column('The same rows in a table partitioned', 2, qr/^vectors_by_shard_/), '4|3000',
	'LIST partitions: four, holding every row');
like($out, qr/ 2 \| \{pg-c,pg-a\} +\| pg-c /, 'the partition map shows primaries and replicas');
is(sum_column('partition_info(table)', 5, qr/^[0-3]$/), '4|3000', 'partition_info(table) counts every row');
is(sum_column('shard_overview', 7, qr/^[0-3]$/), '4|6000', 'shard_overview counts every row of both tables');
like($out, qr/ 0 \| \{pg-a,pg-b\} +\| pg-a +\| pg-b +\| t /, 'with pg-a down, shard 0 is served by pg-b');

done_testing();
