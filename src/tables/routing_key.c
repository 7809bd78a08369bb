/*
 * routing_key.c: recognise how a table routes its rows, from the catalog.
 *
 * Design: listing and inspecting tables must never run a table owner's code
 * (the caller may be a superuser and the owner anyone).  So we read the
 * expression PostgreSQL stored (pg_partitioned_table.partexprs for a LIST
 * partition key, pg_attrdef.adbin for a stored generated column) as a node
 * tree and never evaluate, fold or simplify it.  A table is routed by the
 * extension only when that tree is exactly one of our shard_for functions
 * (checked by OID membership in the extension and by C symbol) applied to a
 * column of the table, with at most one built-in cast around the column, and
 * with constants for the explicit form's shape.  Anything else is not ours.
 * Because the recognised key contains no user function at all, a scan that
 * evaluates it runs no user code through the key; other expressions of the
 * table (triggers, indexes, policies) are the scanner's concern
 * (owner_scope.c).  Relations are not opened: catalog lookups take no lock
 * that could wait behind another session's DDL.
 */
#include "postgres.h"

#include "compat.h"

#include "access/genam.h"
#include "access/hash.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_language.h"
#include "catalog/pg_partitioned_table.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "nodes/nodeFuncs.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "extension.h"
#include "routing/routing.h"
#include "tables/tables.h"

/* shard_for(key, num_shards, strategy, virtual_nodes) */
#define EXPLICIT_ARGS 4

/*
 * The C symbol of funcid when it is one of this extension's C functions (a
 * member of the extension, by pg_depend), else NULL: the one test of "ours"
 * for shard_for in a key or a generated column and for the extended hash
 * function of a HASH partition key's operator class.
 */
static char *
our_c_symbol(Oid funcid)
{
	Oid			extension = extension_oid(true);
	HeapTuple	tuple;
	char	   *symbol = NULL;
	bool		isnull;
	Datum		src;

	if (!OidIsValid(funcid) || !OidIsValid(extension) ||
		getExtensionOfObject(ProcedureRelationId, funcid) != extension)
		return NULL;
	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tuple))
		return NULL;
	if (((Form_pg_proc) GETSTRUCT(tuple))->prolang == ClanguageId)
	{
		src = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc, &isnull);
		if (!isnull)
			symbol = TextDatumGetCString(src);
	}
	ReleaseSysCache(tuple);
	return symbol;
}

/* Which of our routing functions funcid is. */
static RouteFunction
route_function(Oid funcid)
{
	char	   *symbol = our_c_symbol(funcid);

	if (symbol == NULL)
		return ROUTE_NONE;
	/* shard_for(uuid) is shard_for(key::text): the server's ring */
	if (strcmp(symbol, "shard_for_server") == 0 || strcmp(symbol, "shard_for_uuid") == 0)
		return ROUTE_SERVER;
	if (strcmp(symbol, "shard_for_explicit") == 0)
		return ROUTE_EXPLICIT;
	return ROUTE_NONE;
}

/*
 * Is opclass one whose partitions are shards (its extended hash support
 * function is ours)?  shard_ops and shard_uuid_ops (text, uuid), and the
 * default hash classes of shard_key and shard_uuid, whose extended hash with
 * the partition seed is shard_ops' (shard_key_type.c): PARTITION BY HASH (id)
 * of a shard_key column routes exactly as PARTITION BY HASH (id shard_ops),
 * and goes stale with it when the recorded shape changes.
 */
static bool
is_shard_hash_opclass(Oid opclass)
{
	Oid			family = get_opclass_family(opclass);
	Oid			input = get_opclass_input_type(opclass);
	char	   *symbol;

	if (!OidIsValid(family) || !OidIsValid(input))
		return false;
	symbol = our_c_symbol(get_opfamily_proc(family, input, input, HASHEXTENDED_PROC));
	return symbol != NULL && (strcmp(symbol, "shard_hash_text_extended") == 0 ||
							  strcmp(symbol, "shard_hash_uuid_extended") == 0 ||
							  strcmp(symbol, "shard_interval_hash_extended") == 0 ||
							  strcmp(symbol, "shard_uuid_interval_hash_extended") == 0);
}

/* key routes column attnum by the server's ring (shard_for(key), or HASH (key shard_ops)). */
static void
server_routing(RoutingKey *key, AttrNumber attnum)
{
	Shape		server = server_shape();

	key->function = ROUTE_SERVER;
	key->key_attnum = attnum;
	key->num_shards = (int32) server.num_shards;
	key->virtual_nodes = (int32) server.virtual_nodes;
	key->strategy = server.strategy;
	key->strategy_name = pstrdup(strategy_name(server.strategy));
}

/*
 * Whether a value of this type prints the same whatever the session's
 * settings: text types, integers, numeric, uuid, bool.  Not bytea
 * (bytea_output), floats (extra_float_digits), dates and times (DateStyle,
 * TimeZone, IntervalStyle) or money (lc_monetary): a key cast from those to
 * text would route differently from one session to the next.
 */
static bool
prints_alike_everywhere(Oid type)
{
	switch (getBaseType(type))
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
		case CHAROID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case NUMERICOID:
		case UUIDOID:
		case BOOLOID:
			return true;
		default:
			return false;
	}
}

/*
 * A cast PostgreSQL itself provides whose result cannot depend on settings:
 * binary (RelabelType), or through I/O or a built-in function from a type
 * that prints alike everywhere.  NULL when node is some other cast.
 */
static Node *
strip_builtin_cast(Node *node)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, RelabelType))
		return (Node *) ((RelabelType *) node)->arg;
	if (IsA(node, CoerceViaIO))
	{
		Node	   *arg = (Node *) ((CoerceViaIO *) node)->arg;

		return prints_alike_everywhere(exprType(arg)) ? arg : NULL;
	}
	if (IsA(node, FuncExpr))
	{
		FuncExpr   *f = (FuncExpr *) node;

		if ((f->funcformat == COERCE_EXPLICIT_CAST || f->funcformat == COERCE_IMPLICIT_CAST) &&
			f->funcid < FirstNormalObjectId && list_length(f->args) >= 1)
			return prints_alike_everywhere(exprType(linitial(f->args))) ? (Node *) linitial(f->args) : NULL;
	}
	return node;
}

/* The one argument of shard_for(key), whether written by position or by name (key => id). */
static Node *
named_argument_value(Node *arg)
{
	if (arg != NULL && IsA(arg, NamedArgExpr))
		return (Node *) ((NamedArgExpr *) arg)->arg;
	return arg;
}

/* The column the key argument reads, with at most one built-in cast; 0 if none. */
static AttrNumber
key_column(Node *arg)
{
	Node	   *inner = strip_builtin_cast(arg);

	if (inner != NULL && IsA(inner, Var) && ((Var *) inner)->varattno > 0 &&
		((Var *) inner)->varlevelsup == 0)
		return ((Var *) inner)->varattno;
	return InvalidAttrNumber;
}

static bool
const_int(Node *node, int32 *value)
{
	Const	   *c = (Const *) node;

	if (node == NULL || !IsA(node, Const) || c->constisnull || c->consttype != INT4OID)
		return false;
	*value = DatumGetInt32(c->constvalue);
	return true;
}

static bool
const_text(Node *node, char **value)
{
	Const	   *c = (Const *) node;

	if (node == NULL || !IsA(node, Const) || c->constisnull || c->consttype != TEXTOID)
		return false;
	*value = TextDatumGetCString(c->constvalue);
	return true;
}

/* The declared defaults of a function's trailing arguments, as stored in pg_proc. */
static List *
declared_defaults(Oid funcid)
{
	Node	   *defaults = syscache_node(PROCOID, funcid, Anum_pg_proc_proargdefaults);

	return defaults == NULL ? NIL : castNode(List, defaults);
}

/*
 * The explicit form's four arguments in declared order, as the call was
 * written (positional, named with =>, or left to their defaults, which the
 * stored expression does not hold: the planner adds them).  False when an
 * argument cannot be placed.
 */
static bool
explicit_arguments(FuncExpr *call, Node *slots[EXPLICIT_ARGS])
{
	List	   *defaults = declared_defaults(call->funcid);
	int			first_default = EXPLICIT_ARGS - list_length(defaults);
	int			position = 0;
	ListCell   *lc;

	memset(slots, 0, sizeof(Node *) * EXPLICIT_ARGS);
	foreach(lc, call->args)
	{
		Node	   *arg = lfirst(lc);
		int			at = position++;

		if (IsA(arg, NamedArgExpr))
		{
			at = ((NamedArgExpr *) arg)->argnumber;
			arg = (Node *) ((NamedArgExpr *) arg)->arg;
		}
		if (at < 0 || at >= EXPLICIT_ARGS || slots[at] != NULL)
			return false;
		slots[at] = arg;
	}
	for (int i = 0; i < EXPLICIT_ARGS; i++)
		if (slots[i] == NULL)
		{
			if (i < first_default || first_default < 0)
				return false;
			slots[i] = list_nth(defaults, i - first_default);
		}
	return true;
}

/* The explicit form's key column and its shape from constant arguments; false if not so. */
static bool
explicit_routing(FuncExpr *call, RoutingKey *key)
{
	Node	   *slots[EXPLICIT_ARGS];
	int32		num_shards,
				virtual_nodes;
	char	   *strategy;

	if (!explicit_arguments(call, slots))
		return false;
	key->key_attnum = key_column(slots[0]);
	if (key->key_attnum == InvalidAttrNumber || !const_int(slots[1], &num_shards) ||
		!const_text(slots[2], &strategy) || !const_int(slots[3], &virtual_nodes))
		return false;
	key->num_shards = num_shards;
	key->virtual_nodes = virtual_nodes;
	key->strategy = strategy_from_name(strategy, strlen(strategy));
	key->strategy_name = strategy;
	return true;
}

/* Recognise expr as our routing of one column; fills key, false if it is not ours. */
bool
recognise_routing(Node *expr, RoutingKey *key)
{
	FuncExpr   *call;
	AttrNumber	attnum;

	memset(key, 0, sizeof(RoutingKey));
	if (expr == NULL || !IsA(expr, FuncExpr))
		return false;
	call = (FuncExpr *) expr;
	key->function = route_function(call->funcid);
	if (key->function == ROUTE_NONE || call->args == NIL)
		return false;
	key->funcid = call->funcid;
	if (key->function == ROUTE_EXPLICIT)
		return explicit_routing(call, key);
	if (list_length(call->args) != 1)
		return false;
	attnum = key_column(named_argument_value(linitial(call->args)));
	if (attnum == InvalidAttrNumber)
		return false;
	server_routing(key, attnum);
	return true;
}

/*
 * A partition key as pg_partitioned_table stores it: its strategy, and
 * either its one expression (LIST (shard_for(...))) or its one column and
 * that column's operator class (HASH (key shard_ops)).
 */
typedef struct PartitionKeyEntry
{
	char		strategy;
	Node	   *expr;
	AttrNumber	attnum;
	Oid			opclass;
} PartitionKeyEntry;

static bool
read_partition_key(Oid relid, PartitionKeyEntry *entry)
{
	HeapTuple	tuple = SearchSysCache1(PARTRELID, ObjectIdGetDatum(relid));
	Form_pg_partitioned_table form;
	bool		isnull;
	Datum		datum;

	memset(entry, 0, sizeof(PartitionKeyEntry));
	if (!HeapTupleIsValid(tuple))
		return false;
	form = (Form_pg_partitioned_table) GETSTRUCT(tuple);
	entry->strategy = form->partstrat;
	if (form->partnatts == 1 && form->partattrs.values[0] == 0)
	{
		datum = SysCacheGetAttr(PARTRELID, tuple, Anum_pg_partitioned_table_partexprs, &isnull);
		if (!isnull)
		{
			List	   *list = (List *) stringToNode(TextDatumGetCString(datum));

			if (list_length(list) == 1)
				entry->expr = (Node *) linitial(list);
		}
	}
	else if (form->partnatts == 1)
	{
		datum = SysCacheGetAttr(PARTRELID, tuple, Anum_pg_partitioned_table_partclass, &isnull);
		if (!isnull)
		{
			entry->attnum = form->partattrs.values[0];
			entry->opclass = ((oidvector *) DatumGetPointer(datum))->values[0];
		}
	}
	ReleaseSysCache(tuple);
	return true;
}

/*
 * The routing of a table's partition key: LIST (shard_for(...)) or HASH
 * (column shard_ops), the server's ring on that column; false if it has
 * neither.
 */
bool
partition_routing(Oid relid, RoutingKey *key)
{
	PartitionKeyEntry entry;

	memset(key, 0, sizeof(RoutingKey));
	if (!read_partition_key(relid, &entry))
		return false;
	if (entry.strategy == PARTITION_STRATEGY_HASH && entry.attnum > 0 &&
		is_shard_hash_opclass(entry.opclass))
	{
		server_routing(key, entry.attnum);
		return true;
	}
	if (entry.strategy != PARTITION_STRATEGY_LIST || !recognise_routing(entry.expr, key))
		return false;
	key->shard_attnum = InvalidAttrNumber;
	return true;
}

/* The routing of a table PARTITION BY HASH (column shard_ops); false for any other key. */
bool
hash_partition_routing(Oid relid, RoutingKey *key)
{
	PartitionKeyEntry entry;

	return read_partition_key(relid, &entry) && entry.strategy == PARTITION_STRATEGY_HASH &&
		partition_routing(relid, key);
}

/* The stored generation expression of a column, or NULL when it is not a stored generated column. */
static Node *
generated_expression(Oid relid, AttrNumber attnum)
{
	HeapTuple	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	bool		generated;

	if (!HeapTupleIsValid(tuple))
		return NULL;
	generated = ((Form_pg_attribute) GETSTRUCT(tuple))->attgenerated == ATTRIBUTE_GENERATED_STORED &&
		!((Form_pg_attribute) GETSTRUCT(tuple))->attisdropped;
	ReleaseSysCache(tuple);
	if (!generated)
		return NULL;
	return stored_column_default(relid, attnum);
}

/* The routing of a stored generated column; false if it is not our routing. */
bool
column_routing(Oid relid, AttrNumber attnum, RoutingKey *key)
{
	Node	   *expr = generated_expression(relid, attnum);

	if (expr == NULL || !recognise_routing(expr, key))
		return false;
	key->shard_attnum = attnum;
	return true;
}

/* pg_attrdef's expression for (relid, attnum), read without opening the relation. */
Node *
stored_column_default(Oid relid, AttrNumber attnum)
{
	Relation	attrdef = table_open(AttrDefaultRelationId, AccessShareLock);
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	Node	   *expr = NULL;

	ScanKeyInit(&keys[0], Anum_pg_attrdef_adrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[1], Anum_pg_attrdef_adnum, BTEqualStrategyNumber, F_INT2EQ,
				Int16GetDatum(attnum));
	scan = systable_beginscan(attrdef, AttrDefaultIndexId, true, NULL, 2, keys);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		bin = heap_getattr(tuple, Anum_pg_attrdef_adbin, RelationGetDescr(attrdef), &isnull);

		if (!isnull)
			expr = stringToNode(TextDatumGetCString(bin));
	}
	systable_endscan(scan);
	table_close(attrdef, AccessShareLock);
	return expr;
}

/* The shape a recognised key routes with, or the error that says what is wrong with it. */
Shape
routing_shape(const RoutingKey *key)
{
	ShapeError	err = shape_check(key->strategy, key->num_shards, key->virtual_nodes);
	Shape		shape;

	if (err != SHAPE_OK)
		report_shape_error(err, key->strategy_name, key->num_shards, key->virtual_nodes, false);
	shape.strategy = (Strategy) key->strategy;
	shape.num_shards = (uint32) key->num_shards;
	shape.virtual_nodes = (uint32) key->virtual_nodes;
	return shape;
}
