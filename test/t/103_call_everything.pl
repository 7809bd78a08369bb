# Every function and procedure of the extension, read from the catalog, called
# with NULL in each argument and with edge values of each argument's type, as a
# plain role (that owns the tables it is given) and as a superuser (issue 19,
# item 2).  Nothing may crash the server (its log never says a process was
# terminated by a signal, and no session loses its connection) and no call may
# end in an internal error (SQLSTATE XX000, elog's default).  A new function
# is covered as soon as it exists: nothing here names the functions.
#
# How: one argument at a time takes each edge value of its type while the
# others keep a plausible value (chosen by the argument's name, so that the
# call reaches past the first check), for each table form as the table
# argument; and one call with every argument NULL.  Each call is its own
# transaction in autocommit (procedures that commit need that), under a
# statement_timeout and a lock_timeout.  After a crash the sweep waits for the
# server and goes on from the next call, so that one run reports every call
# that crashes, not only the first.
#
# Bounded on purpose: pause_ms takes no huge value (a procedure would sleep
# until the timeout on every call); tables stay small (20 rows); the sweep
# runs on a throwaway cluster, so calls that change placements, health, the
# recorded shape or the tables (creating partitions, re-sharding) are allowed
# and simply happen.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DakeraShardTest;

my $node = new_node('call_everything', preload(), 'dakera_shard.num_shards = 4', 'restart_after_crash = on');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dakera_shard;
	CREATE ROLE tenant LOGIN;
	GRANT CREATE ON SCHEMA public TO tenant;
	SET ROLE tenant;
	CREATE TABLE list_t (id text NOT NULL, v int) PARTITION BY LIST (shard_for(id));
	SELECT count(*) FROM create_shard_partitions('list_t');
	INSERT INTO list_t SELECT 'l-' || g, g FROM generate_series(1, 20) g;
	CREATE TABLE hash_t (id text NOT NULL, v int) PARTITION BY HASH (id shard_ops);
	SELECT count(*) FROM create_shard_partitions('hash_t');
	INSERT INTO hash_t SELECT 'h-' || g, g FROM generate_series(1, 20) g;
	CREATE TABLE gen_t (id text PRIMARY KEY, sid int GENERATED ALWAYS AS (shard_for(id)) STORED);
	INSERT INTO gen_t (id) SELECT 'g-' || g FROM generate_series(1, 20) g;
	CREATE TABLE plain_t (id text PRIMARY KEY, sid int);
	INSERT INTO plain_t SELECT 'p-' || g, shard_for('p-' || g, 2) FROM generate_series(1, 20) g;
	CREATE TABLE uuid_t (id uuid NOT NULL) PARTITION BY HASH (id shard_uuid_ops);
	SELECT count(*) FROM create_shard_partitions('uuid_t');
	CREATE VIEW a_view AS SELECT * FROM gen_t;
	CREATE SEQUENCE a_seq;
	CREATE TYPE a_type AS (a int);
	CREATE TABLE dropped_t (id text);
	RESET ROLE;
});
my $dropped = $node->safe_psql('postgres', q{SELECT 'dropped_t'::regclass::oid});
$node->safe_psql('postgres', 'DROP TABLE dropped_t');
# a foreign table (postgres_fdw, when installed) and another session's temporary table
my @foreign;
my ($fdw_rc) = $node->psql('postgres', q{
	CREATE EXTENSION postgres_fdw;
	CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'nowhere');
	CREATE FOREIGN TABLE a_foreign (id text) SERVER elsewhere;
	ALTER FOREIGN TABLE a_foreign OWNER TO tenant;
});
push @foreign, q{'a_foreign'} if $fdw_rc == 0;
note($fdw_rc == 0 ? 'with a postgres_fdw foreign table' : 'postgres_fdw is not installed: no foreign table');
my $other = $node->background_psql('postgres');
$other->query_safe(q{CREATE TEMP TABLE theirs (id text, sid int GENERATED ALWAYS AS (shard_for(id)) STORED)});
my $temp = $other->query_safe(q{SELECT 'theirs'::regclass::oid});

# edge values by type; the first is the plausible value unless a name says otherwise
my %edges = (
	text => [ q{'k1'}, 'NULL', q{''}, q{'-1'}, q{repeat('é', 2000)}, q{'consistent_hash'}, q{'jump'} ],
	name => [ q{'id'}, 'NULL', q{''}, q{'nope'}, q{'sid'}, q{'v'}, q{'tableoid'}, q{repeat('n', 63)} ],
	integer => [ '1', 'NULL', '0', '-1', '2147483647', '-2147483648', '4' ],
	bigint => [ '0', 'NULL', '-1', '9223372036854775807', '-9223372036854775808' ],
	boolean => [ 'false', 'NULL', 'true' ],
	uuid => [ q{'00000000-0000-0000-0000-000000000000'}, 'NULL' ],
	'text[]' => [
		q{'{n1,n2}'}, 'NULL', q{'{}'}, q{'{NULL}'}, q{'{a,NULL}'}, q{'{{a,b},{c,d}}'}, q{'[2:3]={a,b}'},
		q{'{""}'}, q{array_fill('x'::text, ARRAY[101])}, q{ARRAY(SELECT 'n' || g FROM generate_series(1, 101) g)}
	],
	regclass => [
		q{'gen_t'}, 'NULL', '0', $dropped, q{'pg_class'}, q{'a_view'}, q{'a_seq'}, q{'a_type'},
		q{'gen_t_pkey'}, q{'list_t_shard_0'}, q{'pg_toast.pg_toast_1255'}, $temp, @foreign
	],
);
# plausible values by argument name (the first value of the type otherwise)
my %by_name = (
	key_column => q{'id'}, shard_column => 'NULL', name => q{'fuzz_part'}, server => 'NULL',
	shard => '0', modulus => '0', probe => 'false', batch_size => '10', pause_ms => '0',
	after_key => 'NULL', only_rel => 'true', num_shards => '4', strategy => q{'consistent_hash'},
	virtual_nodes => '150', node_ids => q{'{n1}'}, shard_id => '0', node => q{'n1'},
	healthy => 'true', replication_factor => '1', keys => q{'{a,b}'}, seed => '0', remote => 'false',
	from_num_shards => '4', to_num_shards => '8', from_strategy => q{'consistent_hash'},
	to_strategy => q{'consistent_hash'}, from_virtual_nodes => '150', to_virtual_nodes => '150',
);
# tables given as the table argument, each with a shard column that fits it
my @tables = ([ q{'list_t'}, 'NULL' ], [ q{'hash_t'}, 'NULL' ], [ q{'gen_t'}, q{'sid'} ], [ q{'plain_t'}, q{'sid'} ],
	[ q{'uuid_t'}, 'NULL' ]);
# no huge pauses: a procedure sleeps that long between batches
my %bounded = (pause_ms => [ 'NULL', '0', '-1' ]);

# every function and procedure of the extension, with its input arguments
my $catalog = $node->safe_psql('postgres', q{
	SELECT p.oid, p.prokind, quote_ident(n.nspname) || '.' || quote_ident(p.proname),
	       coalesce((SELECT string_agg(format_type(t.type, NULL) || ':' || coalesce(p.proargnames[t.i], ''), ','
	                                   ORDER BY t.i)
	                 FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]),
	                             coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[p.pronargs])))
	                      WITH ORDINALITY AS t(type, mode, i)
	                 WHERE t.mode IN ('i', 'b', 'v')), '')
	FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid JOIN pg_namespace n ON n.oid = p.pronamespace
	WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dakera_shard')
	ORDER BY 3, 1});
my (@calls, %functions);
for my $line (split /\n/, $catalog)
{
	my ($oid, $kind, $qname, $args) = split /\|/, $line;
	my @args = map { [ split /:/, $_, 2 ] } grep { length } split /,/, $args;
	$functions{$oid} = 1;
	my $call = sub {
		my $list = join(', ', map { "$_[$_]::$args[$_][0]" } 0 .. $#args);
		return $kind eq 'p' ? "CALL $qname($list)" : "SELECT * FROM $qname($list)";
	};
	my @set_of_tables = (grep { $_->[0] eq 'regclass' } @args) ? @tables : ([ undef, undef ]);
	my %seen;
	for my $table (@set_of_tables)
	{
		my @base = map {
			my ($type, $argname) = @$_;
			$type eq 'regclass' && defined $table->[0] ? $table->[0]
			  : $argname eq 'shard_column' && defined $table->[1] ? $table->[1]
			  : exists $by_name{$argname} ? $by_name{$argname}
			  : $edges{$type} ? $edges{$type}[0]
			  : die "no edge values for type $type ($qname)";
		} @args;
		my @variants = ([@base], [ map { 'NULL' } @args ]);
		for my $i (0 .. $#args)
		{
			my ($type, $argname) = @{ $args[$i] };
			for my $value (@{ $bounded{$argname} // $edges{$type} })
			{
				my @v = @base;
				$v[$i] = $value;
				push @variants, \@v;
			}
		}
		for my $v (@variants)
		{
			my $sql = $call->(@$v);
			push @calls, $sql unless $seen{$sql}++;
		}
	}
}
my $nfunctions = scalar keys %functions;
ok($nfunctions >= 40, "the catalog lists $nfunctions functions and procedures of the extension");
note(scalar(@calls) . ' calls per role');

# the calls of one role, from $from on, in one psql session; returns the index
# of the last call that was sent and whether the session lost its server, and
# fills %state with each call's SQLSTATE
sub sweep
{
	my ($role, $from, $state) = @_;
	my $script = "\\set ON_ERROR_STOP 0\n\\o /dev/null\n"
	  . "SET statement_timeout = '5s';\nSET lock_timeout = '2s';\nSET client_min_messages = error;\n"
	  . ($role eq 'superuser' ? '' : "SET SESSION AUTHORIZATION $role;\n");
	for my $i ($from .. $#calls)
	{
		$script .= "\\echo \@\@start $i\n$calls[$i];\n\\echo \@\@done $i :SQLSTATE\n";
	}
	# from a file: psql stops reading when it loses its server, and a pipe would break
	my $file = $node->basedir . "/calls_$role.sql";
	open(my $fh, '>', $file) or die "cannot write $file: $!";
	print $fh $script;
	close $fh;
	my ($rc, $out, $err) = $node->psql('postgres', undef, extra_params => [ '-X', '-f', $file ]);
	my $last = $from - 1;
	my $lost = 0;
	for my $line (split /\n/, $out)
	{
		if ($line =~ /^\@\@start (\d+)/) { $last = $1; }
		elsif ($line =~ /^\@\@done (\d+) (\S+)/) { $state->{$1} = $2; }
	}
	$lost = 1 if !exists $state->{$last} && $last >= $from;
	return ($last, $lost);
}

for my $role ('tenant', 'superuser')
{
	my (%state, @crashed);
	my $from = 0;
	my $offset = log_offset($node);
	while ($from <= $#calls)
	{
		my ($last, $lost) = sweep($role, $from, \%state);
		last unless $lost;
		push @crashed, $calls[$last];
		last if @crashed >= 10;
		# the postmaster restarts every backend; wait for it, then go on
		$node->poll_query_until('postgres', 'SELECT true')
		  or BAIL_OUT('the server did not come back after a crash');
		$from = $last + 1;
	}
	my @internal = map { $calls[$_] } grep { ($state{$_} // '') eq 'XX000' } sort { $a <=> $b } keys %state;
	my $answered = scalar keys %state;
	my $failed = grep { $_ ne '00000' } values %state;
	note("$role: $answered calls answered, $failed of them with an error");
	is(scalar(@crashed), 0, "as $role, no call crashes the server") or diag(join("\n", 'crashed:', @crashed));
	my @signals = grep { /terminated by signal|terminated by exception/ } split /\n/, log_since($node, $offset);
	is(scalar(@signals), 0, "as $role, no server process was terminated by a signal")
	  or diag(join("\n", @signals));
	is(scalar(@internal), 0, "as $role, no call ends in an internal error (XX000)")
	  or diag(join("\n", 'XX000:', @internal));
	is($answered, scalar(@calls), "as $role, every call was made and answered");
}

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is up at the end');
$other->quit;
$node->stop;
done_testing();
