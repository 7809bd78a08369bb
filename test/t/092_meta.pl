# 092_meta.pl: META.json is a valid PGXN distribution description (Meta Spec
# 1.0, the rules of PGXN's v1 JSON schemas) and agrees with the build: one
# version in META.json, the Makefile's EXTVERSION and the control file's
# default_version; the files it names exist; LICENSE is the PostgreSQL
# License it declares.  Also: the released install scripts are unchanged
# (sql/released.sha256).
#
# No validator is packaged for Debian (PGXN's are a CPAN module and a Rust
# crate), so the schema's rules are checked here; needs only core Perl.
use strict;
use warnings FATAL => 'all';

use Digest::SHA;
use File::Basename qw(dirname);
use JSON::PP;
use Test::More;

my $root = dirname(__FILE__) . '/../..';
sub slurp { my ($f) = @_; open my $fh, '<', "$root/$f" or return undef; local $/; return <$fh>; }

my $text = slurp('META.json');
ok(defined $text, 'META.json exists') or BAIL_OUT('no META.json');
my $meta = eval { JSON::PP->new->decode($text) };
ok(ref $meta eq 'HASH', 'META.json is a JSON object') or BAIL_OUT("not JSON: $@");

my @problems;
sub problem { push @problems, join('', @_); }

# Meta Spec pieces
my $semver = qr/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
my $range_one = qr/(?:(?:[=!]=|[<>]=?)\s*)?(?:(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?|0)/;
my $term = qr/^[^\/\\\s[:cntrl:]]{2,}$/;
my $uri = qr/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
my $email = qr/^[^@\s]+@[^@\s]+\.[^@\s]+$/;
my %licenses = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd freebsd gfdl_1_2
  gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1 openssl perl_5 postgresql qpl_1_0
  ssleay sun zlib open_source restricted unrestricted unknown);
sub custom { return $_[0] =~ /^[xX]_./; }

sub keys_only    # keys_only WHERE HASH ALLOWED...: no other keys but x_ ones
{
	my ($where, $h, @allowed) = @_;
	my %ok = map { $_ => 1 } @allowed;
	problem("$where: unknown key '$_'") for grep { !$ok{$_} && !custom($_) } sort keys %$h;
}
sub nonempty_string { return defined $_[0] && !ref $_[0] && length $_[0] >= 1; }

problem("missing required key '$_'") for grep { !exists $meta->{$_} }
  qw(name version abstract maintainer license provides meta-spec);
keys_only('META.json', $meta, qw(name version abstract maintainer license provides meta-spec description
  generated_by tags no_index prereqs release_status resources));

problem('name is not a term') unless ($meta->{name} // '') =~ $term;
problem('version is not a SemVer') unless ($meta->{version} // '') =~ $semver;
for my $k (qw(abstract description generated_by))
{
	problem("$k is not a non-empty string") if exists $meta->{$k} && !nonempty_string($meta->{$k});
}
my $m = $meta->{maintainer};
problem('maintainer is not a string or a list of strings')
  unless nonempty_string($m) || (ref $m eq 'ARRAY' && @$m && !grep { !nonempty_string($_) } @$m);

my $l = $meta->{license};
if (ref $l eq 'HASH') { problem("license $_ is not a URI") for grep { ($l->{$_} // '') !~ $uri } keys %$l; problem('license is empty') unless %$l; }
elsif (ref $l eq 'ARRAY') { problem("license '$_' is not a known shortcut") for grep { !$licenses{$_} } @$l; problem('license is empty') unless @$l; }
else { problem("license '" . ($l // '') . "' is not a known shortcut") unless $licenses{ $l // '' }; }

my $p = $meta->{provides};
if (ref $p ne 'HASH' || !%$p) { problem('provides is not a non-empty object'); $p = {}; }
for my $ext (sort keys %$p)
{
	my $e = $p->{$ext};
	if (ref $e ne 'HASH') { problem("provides.$ext is not an object"); next; }
	keys_only("provides.$ext", $e, qw(file version abstract docfile docpath));
	problem("provides.$ext: missing '$_'") for grep { !exists $e->{$_} } qw(file version);
	problem("provides.$ext.version is not a SemVer") unless ($e->{version} // '') =~ $semver;
	for my $f (qw(file docfile))
	{
		next unless exists $e->{$f};
		problem("provides.$ext.$f is not a relative Unix path") if $e->{$f} =~ m{^/|\\} || length $e->{$f} < 2;
		problem("provides.$ext.$f: $e->{$f} is not in the distribution") unless -f "$root/$e->{$f}";
	}
}

my $ms = $meta->{'meta-spec'};
if (ref $ms ne 'HASH') { problem('meta-spec is not an object'); }
else
{
	keys_only('meta-spec', $ms, qw(version url));
	problem('meta-spec.version is not 1.0.x') unless ($ms->{version} // '') =~ /^1\.0\.\d+$/;
	problem('meta-spec.url is not the spec') if exists $ms->{url} && $ms->{url} !~ m{^https?://pgxn\.org/meta/spec\.txt$};
}

if (exists $meta->{release_status})
{
	problem('release_status is not stable, testing or unstable') unless $meta->{release_status} =~ /^(stable|testing|unstable)$/;
}
if (exists $meta->{tags})
{
	my $t = $meta->{tags};
	problem('tags is not a non-empty list') unless ref $t eq 'ARRAY' && @$t;
	problem("tag '$_' is not 2 to 255 characters without slashes") for grep { !/^[^\/\\[:cntrl:]]{2,255}$/ } @{ ref $t eq 'ARRAY' ? $t : [] };
}
if (exists $meta->{prereqs})
{
	my $pr = $meta->{prereqs};
	problem('prereqs is not a non-empty object') unless ref $pr eq 'HASH' && %$pr;
	keys_only('prereqs', $pr, qw(configure build test runtime develop));
	for my $phase (grep { !custom($_) } sort keys %{ ref $pr eq 'HASH' ? $pr : {} })
	{
		my $ph = $pr->{$phase};
		if (ref $ph ne 'HASH' || !%$ph) { problem("prereqs.$phase is not a non-empty object"); next; }
		keys_only("prereqs.$phase", $ph, qw(requires recommends suggests conflicts));
		for my $rel (grep { !custom($_) } sort keys %$ph)
		{
			my $r = $ph->{$rel};
			if (ref $r ne 'HASH') { problem("prereqs.$phase.$rel is not an object"); next; }
			for my $dep (sort keys %$r)
			{
				problem("prereqs.$phase.$rel: '$dep' is not a term") unless $dep =~ $term;
				problem("prereqs.$phase.$rel.$dep: '$r->{$dep}' is not a version range")
				  unless "$r->{$dep}" =~ /^$range_one(?:,\s*$range_one)*$/;
			}
		}
	}
}
if (exists $meta->{resources})
{
	my $rs = $meta->{resources};
	if (ref $rs ne 'HASH' || !%$rs) { problem('resources is not a non-empty object'); $rs = {}; }
	keys_only('resources', $rs, qw(homepage bugtracker repository));
	problem('resources.homepage is not a URI') if exists $rs->{homepage} && $rs->{homepage} !~ $uri;
	if (my $b = $rs->{bugtracker})
	{
		keys_only('resources.bugtracker', $b, qw(web mailto));
		problem('resources.bugtracker needs web or mailto') unless exists $b->{web} || exists $b->{mailto};
		problem('resources.bugtracker.web is not a URI') if exists $b->{web} && $b->{web} !~ $uri;
		problem('resources.bugtracker.mailto is not an email address') if exists $b->{mailto} && $b->{mailto} !~ $email;
	}
	if (my $r = $rs->{repository})
	{
		keys_only('resources.repository', $r, qw(url web type));
		problem('resources.repository needs web, or url and type')
		  unless exists $r->{web} || (exists $r->{url} && exists $r->{type});
		problem("resources.repository.$_ is not a URI") for grep { exists $r->{$_} && $r->{$_} !~ $uri } qw(url web);
	}
}
is(join("\n", @problems), '', 'META.json follows the PGXN Meta Spec 1.0');

# ... and agrees with the build
my ($extversion) = (slurp('Makefile') // '') =~ /^EXTVERSION\s*=\s*(\S+)/m;
my ($default) = (slurp('dakera_shard.control') // '') =~ /^default_version\s*=\s*'([^']+)'/m;
is($meta->{version}, $extversion, "META.json's version is the Makefile's EXTVERSION ($extversion)");
is($default, $extversion, "the control file's default_version is EXTVERSION");
is($p->{dakera_shard}{version}, $extversion, 'provides.dakera_shard.version is EXTVERSION');
is($meta->{prereqs}{runtime}{requires}{PostgreSQL}, '>= 15.0.0', 'requires PostgreSQL 15 or later');
like(slurp('LICENSE') // '', qr/^PostgreSQL License\n/, 'LICENSE is the PostgreSQL License');

# released scripts are never edited: their sums are recorded at release
my $sums = slurp('sql/released.sha256') // '';
my @released = grep { !/^#/ && /\S/ } split /\n/, $sums;
ok(scalar(grep { /\sdakera_shard--0\.1\.0\.sql$/ } @released), 'sql/released.sha256 lists the 0.1.0 script');
for (@released)
{
	my ($sum, $file) = /^([0-9a-f]{64})\s+\*?(\S+)$/ or do { fail("sql/released.sha256: bad line '$_'"); next };
	is(Digest::SHA->new(256)->addfile("$root/sql/$file")->hexdigest, $sum, "released sql/$file is unchanged");
}

done_testing();
