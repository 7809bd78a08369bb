# 091_upgrade.pl: ALTER EXTENSION dakera_shard UPDATE from 0.1.0 keeps the
# user's data and ends exactly where a fresh install of the new version
# starts.
#
# One preloaded server, two databases:
#   upgraded  CREATE EXTENSION dakera_shard VERSION '0.1.0', then what users
#             create on it (tables with generated shard columns, a table
#             partitioned by LIST (shard_for(id)) with its partitions, an
#             expression index, placements, node health, a shape recorded by
#             a second role that holds dakera_shard_admin, grants on an
#             extension function and table to a third role), used through the 0.1.0
#             declarations while the new library serves them, then
#             ALTER EXTENSION dakera_shard UPDATE;
#   fresh     CREATE EXTENSION dakera_shard (the default version), the same
#             grants.
# Then (1) every row, placement, health report and the recorded shape are as
# they were, and the new functions read them; (2) the extension's objects,
# read from the catalog, are identical in both databases: every member and
# its comment and initial privileges; functions with arguments, result,
# language, volatility, strictness, parallel safety, security definer,
# leakproof, cost, rows, settings (search_path), body, owner and ACL; tables
# and views with columns, defaults, constraints, indexes, triggers, policies,
# options, owner, ACL and definition; schemas; types; the extension's own
# row.  A difference fails and names the object and the property.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'dakera_shard'
dakera_shard.nodes = 'n1, n2, n3'
dakera_shard.replication_factor = 2
});
$node->start;

my $released = '0.1.0';
chomp(my $current = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'dakera_shard'}));
isnt($current, $released, "the default version ($current) is not the released $released");
# from 18 the magic block names the library and its version (src/compat.h)
if ($node->pg_version >= 18)
{
	is($node->safe_psql('postgres',
			q{SELECT module_name || ' ' || version FROM pg_get_loaded_modules() WHERE file_name = 'dakera_shard.so'}),
		"dakera_shard $current", 'pg_get_loaded_modules() names the library and its version');
}

# -- the database on 0.1.0, as users left it ---------------------------------

$node->safe_psql('postgres', q{
	CREATE DATABASE upgraded;
	CREATE DATABASE fresh;
	CREATE ROLE app LOGIN;
	CREATE ROLE ops LOGIN;
});
$node->safe_psql('upgraded', qq{
	CREATE EXTENSION dakera_shard VERSION '$released';
	GRANT dakera_shard_admin TO app;
	GRANT EXECUTE ON FUNCTION public.set_node_health(text, bool) TO ops;
	GRANT INSERT ON public.shard_placement TO ops;
	CREATE SCHEMA vec AUTHORIZATION app;
});
is($node->safe_psql('upgraded', q{SELECT extversion FROM pg_extension WHERE extname = 'dakera_shard'}),
	$released, "installed at $released");

# everything below is made by app, an ordinary role
$node->safe_psql('upgraded', q{
	SET ROLE app;
	CREATE TABLE vec.items (
		id        text PRIMARY KEY,
		embedding real[] NOT NULL,
		shard_id  int GENERATED ALWAYS AS (public.shard_for(id)) STORED,
		shard8    int GENERATED ALWAYS AS (public.shard_for(id, 8, 'jump', 1)) STORED
	);
	INSERT INTO vec.items (id, embedding)
	SELECT 'vec-' || g, ARRAY[g, g / 2.0]::real[] FROM generate_series(1, 500) g;
	CREATE INDEX items_by_shard ON vec.items (public.shard_for(id));
	CREATE TABLE vec.parted (id text NOT NULL, body text) PARTITION BY LIST (public.shard_for(id));
	SELECT count(*) FROM public.create_shard_partitions('vec.parted');
	INSERT INTO vec.parted SELECT id, 'body of ' || id FROM vec.items;
	GRANT SELECT ON vec.items, vec.parted TO ops;
	GRANT USAGE ON SCHEMA vec TO ops;
	SELECT public.register_shard_nodes(1, '{n3,n1}');
	SELECT public.register_shard_nodes(2, '{n2}');
	SELECT public.set_node_health('n2', false);
	SELECT public.record_shard_ring();
});

# What the update must keep, read before it.
my %state_sql = (
	'items rows' => q{SELECT count(*) || ' ' || md5(string_agg(i::text, '|' ORDER BY id)) FROM vec.items i},
	'parted rows and their partitions' =>
	  q{SELECT count(*) || ' ' || md5(string_agg(p.tableoid::regclass || ':' || p::text, '|' ORDER BY id)) FROM vec.parted p},
	'partitions' => q{SELECT string_agg(c.oid::regclass || ' ' || pg_get_expr(c.relpartbound, c.oid), '|' ORDER BY c.relname)
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'vec.parted'::regclass},
	'placements' => q{SELECT string_agg(p::text, '|' ORDER BY shard_id) FROM public.shard_placement p},
	'recorded shape' => q{SELECT r::text FROM public.shard_ring_record r},
	'node health' => q{SELECT string_agg(n::text, '|' ORDER BY node) FROM public.node_health() n},
	'placement map' => q{SELECT string_agg(m::text, '|' ORDER BY shard_id) FROM public.placement_map() m},
	'index' => q{SELECT pg_get_indexdef('vec.items_by_shard'::regclass)},
	'grants' => q{SELECT has_function_privilege('ops', 'public.set_node_health(text, bool)', 'EXECUTE')
		|| ' ' || pg_has_role('app', 'dakera_shard_admin', 'MEMBER')
		|| ' ' || has_table_privilege('ops', 'vec.items', 'SELECT')
		|| ' ' || (SELECT relacl::text FROM pg_class WHERE oid = 'vec.parted'::regclass)},
);
my %before = map { $_ => $node->safe_psql('upgraded', $state_sql{$_}) } keys %state_sql;
like($before{'items rows'}, qr/^500 /, 'items has its 500 rows');
like($before{'placements'}, qr/\(1,"\{n3,n1\}".*\(2,\{n2\}/, 'both placements registered');
like($before{'recorded shape'}, qr/,app\)$/, 'the shape was recorded by app');
like($before{'node health'}, qr/\(n2,f,/, 'n2 reported down');
is(scalar(split /\|/, $before{'partitions'}), 4, 'vec.parted has its 4 partitions');

# -- 0.1.0's declarations, served by the new library ---------------------------
# Every C function of the released script, called as 0.1.0 declares it (some
# gained result columns since: shard_key_info has 5 now, 0.1.0 reads 2).
my %old_calls = (
	'shard_for' => [ q{SELECT public.shard_for('vec-1') = shard_id FROM vec.items WHERE id = 'vec-1'}, 't' ],
	'shard_for explicit' => [ q{SELECT public.shard_for('vec-1', 8, 'jump', 1) = shard8 FROM vec.items WHERE id = 'vec-1'}, 't' ],
	'shard_key_hash' => [ q{SELECT public.shard_key_hash('') IS NOT NULL}, 't' ],
	'shard_batch' => [ q{SELECT sum(cardinality(ids)) FROM public.shard_batch('{a,b,c,d}')}, '4' ],
	'shard_key_info, generated column' => [ q{SELECT k::text FROM public.shard_key_info('vec.items', 'shard_id') k}, '(4,t)' ],
	'shard_key_info, explicit column' => [ q{SELECT k::text FROM public.shard_key_info('vec.items', 'shard8') k}, '(8,f)' ],
	'shard_key_info, partition key' => [ q{SELECT k::text FROM public.shard_key_info('vec.parted') k}, '(4,t)' ],
	'shard_key_info, not routed' => [ q{SELECT count(*) FROM public.shard_key_info('vec.items', 'id')}, '0' ],
	'sharded_tables' => [ q{SELECT string_agg(t::text, '|') FROM public.sharded_tables() t},
		'(vec.items,shard8,8,f)|(vec.items,shard_id,4,t)|(vec.parted,,4,t)' ],
	'placement_map' => [ q{SELECT string_agg(primary_node || ':' || registered, ',' ORDER BY shard_id) FROM public.placement_map()},
		'n1:false,n3:true,n2:true,n1:false' ],
	'node_health' => [ q{SELECT count(*) FROM public.node_health()}, '1' ],
	'shard_assignment' => [ q{SELECT a.shard_id = public.shard_for('vec-7') FROM public.shard_assignment('vec-7') a}, 't' ],
	'rebalance_plan' => [ q{SELECT count(*) FROM public.rebalance_plan('{n1,n2}', 1)}, '4' ],
	'reshard_plan' => [ q{SELECT round(sum(fraction)::numeric, 6) FROM public.reshard_plan(8)}, '1.000000' ],
	'reshard_plan_between' => [ q{SELECT round(sum(fraction)::numeric, 6) FROM public.reshard_plan_between(4, 'consistent_hash', 150, 8, 'jump', 1)}, '1.000000' ],
	'shard_ring' => [ q{SELECT routes_alike FROM public.shard_ring()}, 't' ],
	# 0.1.0 granted nobody SELECT on its view
	'shard_overview' => [ q{RESET ROLE; SELECT sum(rows) FROM public.shard_overview}, '1000' ],
	'partition_info(rel)' => [ q{SELECT sum(vector_count) FROM public.partition_info('vec.items', 'shard_id')}, '500' ],
	'shard_verify' => [ q{SELECT stale_rows FROM public.shard_verify('vec.items', 'id', 'shard_id')}, '0' ],
	'register and unregister' => [ q{SELECT public.register_shard_nodes(3, '{n1}'); SELECT public.unregister_shard_nodes(3)}, 't' ],
	'node health set and reset' => [ q{SELECT public.set_node_health('n9', true); SELECT public.reset_node_health('n9')}, '1' ],
);
for my $name (sort keys %old_calls)
{
	my ($sql, $want) = @{ $old_calls{$name} };
	my ($rc, $out, $err) = $node->psql('upgraded', "SET ROLE app; $sql");
	$out = (split /\n/, $out)[-1] // '';    # the last statement's
	is("$rc $out", "0 $want", "on $released with the new library: $name") or diag $err;
}
is($node->safe_psql('upgraded', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'}), '1',
	'the server is still up');

# -- the update -----------------------------------------------------------------

$node->safe_psql('upgraded', 'ALTER EXTENSION dakera_shard UPDATE');
is($node->safe_psql('upgraded', q{SELECT extversion FROM pg_extension WHERE extname = 'dakera_shard'}),
	$current, "updated to $current");

# (1) nothing the users made or recorded changed
for my $what (sort keys %state_sql)
{
	is($node->safe_psql('upgraded', $state_sql{$what}), $before{$what}, "after the update: $what unchanged");
}
# a grant the user made on an extension function is still the user's: pg_dump
# carries it (it would not if the update had recorded it as the extension's)
$node->command_like([ 'pg_dump', '--schema-only', '-d', $node->connstr('upgraded') ],
	qr/GRANT ALL ON FUNCTION public\.set_node_health\(node text, healthy boolean\) TO ops;/,
	"after the update: pg_dump carries the user's grant on set_node_health");
$node->command_like([ 'pg_dump', '--schema-only', '-d', $node->connstr('upgraded') ],
	qr/GRANT INSERT ON TABLE public\.shard_placement TO ops;/,
	"after the update: pg_dump carries the user's grant on shard_placement");

# and the new version reads it
my %new_calls = (
	'sharded_tables' => [ q{SELECT string_agg(rel || ':' || coalesce(shard_column, '') || ':' || key_column, ',') FROM public.sharded_tables()},
		'vec.items:shard8:id,vec.items:shard_id:id,vec.parted::id' ],
	'shard_key_info' => [ q{SELECT k::text FROM public.shard_key_info('vec.items', 'shard8') k}, '(8,f,id,jump,1)' ],
	'shard_verify' => [ q{SELECT stale_rows FROM public.shard_verify('vec.items', 'id', 'shard_id')}, '0' ],
	'shard_overview' => [ q{SELECT sum(rows) FROM public.shard_overview}, '1000' ],
	'partition_info(rel)' => [ q{SELECT sum(vector_count) FROM public.partition_info('vec.parted')}, '500' ],
	'then a new row routes' => [ q{INSERT INTO vec.items (id, embedding) VALUES ('new', '{1}') RETURNING shard_id = public.shard_for('new')}, 't' ],
	'placement rules hold' => [ q{SELECT public.register_shard_nodes(3, '{n1,n1}')}, 'ERROR' ],
);
for my $name (sort keys %new_calls)
{
	my ($sql, $want) = @{ $new_calls{$name} };
	my ($rc, $out, $err) = $node->psql('upgraded', "SET ROLE app; $sql");
	if ($want eq 'ERROR')
	{
		isnt($rc, 0, "after the update: $name") or diag $out;
	}
	else
	{
		is("$rc $out", "0 $want", "after the update: $name") or diag $err;
	}
}

# -- (2) the same objects as a fresh install ----------------------------------

$node->safe_psql('fresh', q{
	CREATE EXTENSION dakera_shard;
	GRANT EXECUTE ON FUNCTION public.set_node_health(text, bool) TO ops;
	GRANT INSERT ON public.shard_placement TO ops;
});

# One line per (object, property): object NUL property NUL value, newlines
# escaped.  Objects are named by pg_describe_object (no OIDs), ACLs expanded
# from their defaults, so that both databases can be compared as text.
my $catalog_sql = <<'EOSQL';
WITH ext AS (
    SELECT * FROM pg_extension WHERE extname = 'dakera_shard'
), members AS (
    SELECT d.classid, d.objid, d.objsubid, pg_describe_object(d.classid, d.objid, d.objsubid) AS obj
    FROM pg_depend d, ext
    WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), props(obj, prop, val) AS (
    SELECT 'extension dakera_shard', 'row',
           concat_ws(' ', e.extnamespace::regnamespace, e.extrelocatable, e.extversion,
                     (SELECT string_agg(c::regclass::text, ',' ORDER BY c::regclass::text) FROM unnest(e.extconfig) c),
                     array_to_string(e.extcondition, ','))
    FROM ext e
    UNION ALL
    SELECT m.obj, 'member', 'yes' FROM members m
    UNION ALL
    SELECT m.obj, 'comment', coalesce(obj_description(m.objid, m.classid::regclass::name), '(none)')
    FROM members m
    UNION ALL
    SELECT m.obj, 'initial privileges',
           coalesce((SELECT string_agg(i.objsubid || ' ' || i.privtype::text || ' ' || pg_temp.sorted_acl(i.initprivs), ',' ORDER BY i.objsubid)
                     FROM pg_init_privs i WHERE i.objoid = m.objid AND i.classoid = m.classid), '(none)')
    FROM members m
    UNION ALL
    -- functions and procedures
    SELECT m.obj, x.prop, x.val
    FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
    JOIN pg_language l ON l.oid = p.prolang,
    LATERAL (VALUES
        ('kind', p.prokind::text),
        ('arguments', pg_get_function_arguments(p.oid)),
        ('result', coalesce(pg_get_function_result(p.oid), '')),
        ('language', l.lanname::text),
        ('volatility', p.provolatile::text),
        ('strict', p.proisstrict::text),
        ('parallel', p.proparallel::text),
        ('security definer', p.prosecdef::text),
        ('leakproof', p.proleakproof::text),
        ('cost and rows', p.procost || ' ' || p.prorows),
        ('returns set', p.proretset::text),
        ('settings', coalesce(p.proconfig::text, '(none)')),
        ('body', p.prosrc),
        ('library', coalesce(p.probin, '(none)')),
        ('owner', p.proowner::regrole::text),
        ('acl', pg_temp.sorted_acl(coalesce(p.proacl, acldefault('f', p.proowner))))
    ) x(prop, val)
    UNION ALL
    -- tables, views and the rest of pg_class
    SELECT m.obj, x.prop, x.val
    FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid,
    LATERAL (VALUES
        ('kind', concat_ws(' ', c.relkind, c.relpersistence, 'rls=' || c.relrowsecurity, 'replident=' || c.relreplident::text)),
        ('options', coalesce(c.reloptions::text, '(none)')),
        ('owner', c.relowner::regrole::text),
        ('acl', pg_temp.sorted_acl(coalesce(c.relacl, acldefault((CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::"char", c.relowner)))),
        ('columns', (SELECT string_agg(concat_ws(' ', a.attname, format_type(a.atttypid, a.atttypmod),
                                                 CASE WHEN a.attnotnull THEN 'not null' END,
                                                 CASE WHEN a.attgenerated <> '' THEN 'generated ' || a.attgenerated::text END,
                                                 CASE WHEN a.attidentity <> '' THEN 'identity ' || a.attidentity::text END,
                                                 'default ' || pg_get_expr(ad.adbin, ad.adrelid),
                                                 CASE WHEN a.attcollation <> 0 THEN 'collate ' || a.attcollation::regcollation END,
                                                 'acl ' || pg_temp.sorted_acl(a.attacl),
                                                 'comment ' || col_description(c.oid, a.attnum)),
                                       ', ' ORDER BY a.attnum)
                     FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)),
        ('definition', CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) ELSE '(none)' END)
    ) x(prop, val)
    UNION ALL
    SELECT m.obj, 'constraint ' || k.conname,
           concat_ws(' ', k.contype, pg_get_constraintdef(k.oid), k.condeferrable, k.condeferred, k.convalidated,
                     'comment ' || obj_description(k.oid, 'pg_constraint'))
    FROM members m JOIN pg_constraint k ON m.classid = 'pg_class'::regclass AND k.conrelid = m.objid
    UNION ALL
    SELECT m.obj, 'index ' || i.indexrelid::regclass::text,
           concat_ws(' ', pg_get_indexdef(i.indexrelid), 'comment ' || obj_description(i.indexrelid, 'pg_class'))
    FROM members m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
    UNION ALL
    SELECT m.obj, 'trigger ' || t.tgname,
           concat_ws(' ', pg_get_triggerdef(t.oid), t.tgenabled, 'comment ' || obj_description(t.oid, 'pg_trigger'))
    FROM members m JOIN pg_trigger t ON m.classid = 'pg_class'::regclass AND t.tgrelid = m.objid AND NOT t.tgisinternal
    UNION ALL
    SELECT m.obj, 'policy ' || p.polname,
           concat_ws(' ', p.polcmd, p.polpermissive, p.polroles::regrole[]::text,
                     pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
    FROM members m JOIN pg_policy p ON m.classid = 'pg_class'::regclass AND p.polrelid = m.objid
    UNION ALL
    SELECT m.obj, 'rule ' || r.rulename, pg_get_ruledef(r.oid)
    FROM members m JOIN pg_rewrite r ON m.classid = 'pg_class'::regclass AND r.ev_class = m.objid
    WHERE r.rulename <> '_RETURN'
    UNION ALL
    -- schemas
    SELECT m.obj, x.prop, x.val
    FROM members m JOIN pg_namespace n ON m.classid = 'pg_namespace'::regclass AND n.oid = m.objid,
    LATERAL (VALUES
        ('owner', n.nspowner::regrole::text),
        ('acl', pg_temp.sorted_acl(coalesce(n.nspacl, acldefault('n', n.nspowner))))
    ) x(prop, val)
    UNION ALL
    -- types
    SELECT m.obj, 'type', concat_ws(' ', t.typtype, t.typowner::regrole,
                                    pg_temp.sorted_acl(coalesce(t.typacl, acldefault('T', t.typowner))),
                                    (SELECT string_agg(e.enumlabel::text, ',' ORDER BY e.enumsortorder)
                                     FROM pg_enum e WHERE e.enumtypid = t.oid))
    FROM members m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
)
SELECT obj || chr(1) || prop || chr(1) || replace(replace(coalesce(val, '(null)'), E'\\', E'\\\\'), E'\n', E'\\n')
FROM props
ORDER BY 1
EOSQL

sub catalog
{
	my ($db) = @_;
	my %objects;
	# an ACL's entries in a fixed order: REVOKE then GRANT reorders them, meaning nothing
	my $sorted_acl = q{CREATE FUNCTION pg_temp.sorted_acl(aclitem[]) RETURNS text LANGUAGE sql IMMUTABLE
		AS $$ SELECT array_agg(x ORDER BY x::text)::text FROM unnest($1) x $$;};
	for my $line (split /\n/, $node->safe_psql($db, $sorted_acl . $catalog_sql))
	{
		my ($obj, $prop, $val) = split /\x01/, $line, 3;
		$objects{$obj}{$prop} = $val;
	}
	return \%objects;
}

my $upgraded = catalog('upgraded');
my $fresh = catalog('fresh');
cmp_ok(scalar(keys %$fresh), '>=', 30, 'the fresh install has its objects: ' . scalar(keys %$fresh));

my %all = map { $_ => 1 } (keys %$upgraded, keys %$fresh);
for my $obj (sort keys %all)
{
	my ($u, $f) = ($upgraded->{$obj}, $fresh->{$obj});
	if (!$u || !$f)
	{
		fail("$obj: only in the " . ($u ? 'updated' : 'fresh') . ' database');
		next;
	}
	my @diffs;
	my %props = map { $_ => 1 } (keys %$u, keys %$f);
	for my $prop (sort keys %props)
	{
		my ($uv, $fv) = ($u->{$prop} // '(missing)', $f->{$prop} // '(missing)');
		push @diffs, "$prop:\n    updated: $uv\n    fresh:   $fv" if $uv ne $fv;
	}
	ok(!@diffs, "$obj: identical after the update") or diag join("\n", @diffs);
}

$node->stop;
done_testing();
