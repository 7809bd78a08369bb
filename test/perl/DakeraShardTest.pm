# DakeraShardTest: what the TAP tests in test/t share, on top of
# PostgreSQL::Test::Cluster.  prove runs from the project root (make
# installcheck-tap), with the PostgreSQL under test first in PATH.
package DakeraShardTest;

use strict;
use warnings;
use Cwd qw(abs_path);
use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

our @EXPORT = qw(new_node vectors_dir log_offset log_since preload start_after_crash);

# the shared_preload_libraries line of a preloaded server
sub preload { return "shared_preload_libraries = 'dakera_shard'"; }

# the engine's routing vectors, the repository's test data (test/data)
sub vectors_dir
{
	my $dir = abs_path('test/data');
	die "the routing vectors are missing: test/data from " . abs_path('.') . "\n"
	  unless defined $dir && -f "$dir/shard_vectors.tsv";
	return $dir;
}

# new_node(NAME, postgresql.conf lines...): a cluster, not started, made
# UTF-8 whatever the machine's locale (the contract hashes UTF-8 bytes)
sub new_node
{
	my ($name, @conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
	$node->append_conf('postgresql.conf', join("\n", @conf) . "\n") if @conf;
	return $node;
}

# where the server log ends now, and what it says from there on
sub log_offset { my ($node) = @_; return -s $node->logfile; }

sub log_since
{
	my ($node, $offset) = @_;
	return slurp_file($node->logfile, $offset);
}

# start_after_crash(NODE): start a node whose postmaster was killed (kill9);
# its backends take a moment to notice and leave (as poll_start in
# PostgreSQL's src/test/recovery/t/017_shm.pl).  Whether it started.
sub start_after_crash
{
	my ($node) = @_;
	for (1 .. 10 * $PostgreSQL::Test::Utils::timeout_default)
	{
		return 1 if $node->start(fail_ok => 1);
		select(undef, undef, undef, 0.1);
		# forget the failed attempt's pid file before the next one
		$node->stop('fast', fail_ok => 1);
	}
	return 0;
}

1;
