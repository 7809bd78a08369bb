# 090_exports.pl: the library exports its SQL entry points, _PG_init and the
# magic block, and nothing else.
#
# On PostgreSQL 15 PGXS hides nothing: a generic global such as key_hash or
# ring_build would be visible to every other library loaded into the backend
# and could be bound to theirs, or theirs to ours.  The Makefile builds with
# -fvisibility=hidden and src/compat.h marks the entry points visible (16+
# does both itself).  The entry points are the C symbols that the installed
# scripts name (AS 'MODULE_PATHNAME', 'symbol'), each with its pg_finfo_
# record; every script counts, released ones included, so that a database
# not yet updated from 0.1.0 keeps working with the new library.
#
# Reads the installation that pg_config names (PG_CONFIG, else the first on
# PATH); needs nm (binutils).
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Utils;
use IPC::Run;
use Test::More;

my $pg_config = $ENV{PG_CONFIG} || 'pg_config';
chomp(my $pkglibdir = `$pg_config --pkglibdir`);
chomp(my $sharedir = `$pg_config --sharedir`);
chomp(my $version = `$pg_config --version`);
die "cannot run $pg_config" unless $pkglibdir && $sharedir;
note "PostgreSQL: $version";

my $library = "$pkglibdir/dakera_shard.so";
ok(-f $library, "the library is installed: $library");

my @scripts = glob("$sharedir/extension/dakera_shard--*.sql");
ok(scalar(grep { m{--0\.1\.0\.sql$} } @scripts), 'the released 0.1.0 script is installed');

# C symbols named by the scripts (a definition may span lines)
my %named;
for my $script (@scripts)
{
	my $text = slurp_file($script);
	$named{$1} = 1 while $text =~ /AS\s+'MODULE_PATHNAME'\s*,\s*'(\w+)'/g;
}
cmp_ok(scalar(keys %named), '>=', 16, 'the install scripts name the C symbols');

my %expected = (Pg_magic_func => 1, _PG_init => 1);
$expected{$_} = $expected{"pg_finfo_$_"} = 1 for keys %named;

# the dynamic symbols the library defines: functions (T), data (D, B, R...)
my ($stdout, $stderr);
my $ok = IPC::Run::run([ 'nm', '-D', '--defined-only', $library ], '>', \$stdout, '2>', \$stderr);
ok($ok, 'nm reads the library') or diag $stderr;
my %exported;
for (split /\n/, $stdout)
{
	my ($addr, $type, $name) = split ' ';
	next unless defined $name;
	# versioned or linker-made symbols (_init, _fini, __bss_start...) are not ours
	next if $name =~ /^(_init|_fini|_edata|_end|__bss_start)$/;
	$exported{$name} = $type;
}

my @extra = sort grep { !$expected{$_} } keys %exported;
my @missing = sort grep { !$exported{$_} } keys %expected;
is(join(' ', @extra), '', 'no symbol is exported but the entry points, _PG_init and the magic block');
is(join(' ', @missing), '', 'every C symbol an install script names is exported, with its pg_finfo_ record');
note 'exported: ' . scalar(keys %exported) . ' symbols';

done_testing();
