/*
 * shard_placement.c: which nodes serve each shard, and the SQL around it.
 *
 * Design: a shard's nodes are its explicit registration (table
 * shard_placement, written by register_shard_nodes) if it has one, and
 * otherwise the engine's round robin over dakera_shard.nodes with
 * dakera_shard.replication_factor (core/placement.c).  Registrations are read
 * with the statement's snapshot, so they are transactional like any table;
 * health comes from one consistent copy of the shared health table.  A
 * shard is healthy when one of its nodes is; its preferred node is its first
 * healthy node, so a shard whose primary is down is served by a replica.
 * Placement never changes a key's shard.
 */
#include "postgres.h"

#include "compat.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "extension.h"
#include "placement/placement.h"
#include "routing/routing.h"
#include "tables/tables.h"

typedef struct Registration
{
	uint32		shard;
	ArrayType  *node_ids;
} Registration;

typedef struct Registrations
{
	int			count;
	int			capacity;
	Registration *items;		/* sorted by shard */
} Registrations;

/* The nodes of one shard, primary first, with the health they were judged by. */
typedef struct Placement
{
	int			count;
	Datum	   *names;			/* text */
	bool		registered;
} Placement;

static int
compare_registrations(const void *a, const void *b)
{
	uint32		x = ((const Registration *) a)->shard,
				y = ((const Registration *) b)->shard;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* One row of shard_placement. */
static void
add_registration(void *arg, Datum *values, bool *nulls)
{
	Registrations *regs = (Registrations *) arg;

	if (regs->count == regs->capacity)
		regs->items = repalloc(regs->items, sizeof(Registration) * (regs->capacity *= 2));
	regs->items[regs->count].shard = (uint32) DatumGetInt32(values[Anum_shard_placement_shard_id - 1]);
	regs->items[regs->count].node_ids = DatumGetArrayTypePCopy(values[Anum_shard_placement_node_ids - 1]);
	regs->count++;
}

/* Every registration, read with the statement's snapshot. */
static Registrations *
read_registrations(void)
{
	Registrations *regs = palloc0(sizeof(Registrations));
	Snapshot	snapshot = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();

	regs->capacity = 16;
	regs->items = palloc(sizeof(Registration) * regs->capacity);
	if (!scan_extension_table(SHARD_PLACEMENT, snapshot, add_registration, regs))
		(void) extension_table(SHARD_PLACEMENT, false);	/* the error that says it is missing */
	qsort(regs->items, regs->count, sizeof(Registration), compare_registrations);
	return regs;
}

static ArrayType *
registration_for(const Registrations *regs, uint32 shard)
{
	Registration key = {shard, NULL};
	Registration *found = bsearch(&key, regs->items, regs->count,
								  sizeof(Registration), compare_registrations);

	return found ? found->node_ids : NULL;
}

/* Computed placement over names[0..num_names-1]; node-{s} when there are none. */
static void
computed_placement(Placement *p, uint32 shard, const char *const *names, int num_names,
				   int replication_factor)
{
	uint32		index[NODE_ARRAY_MAX];	/* replication_factor <= NODE_ARRAY_MAX */

	p->registered = false;
	if (num_names == 0)
	{
		p->names = palloc(sizeof(Datum));
		p->names[0] = CStringGetTextDatum(psprintf("node-%u", shard));
		p->count = 1;
		return;
	}
	p->count = (int) placement_for_shard(shard, (uint32) num_names,
										 (uint32) replication_factor, index);
	p->names = palloc(sizeof(Datum) * p->count);
	for (int r = 0; r < p->count; r++)
		p->names[r] = CStringGetTextDatum(names[index[r]]);
}

/* The placement of a shard under the server's settings and registrations. */
static void
placement_of(Placement *p, uint32 shard, const Registrations *regs)
{
	ArrayType  *registered = registration_for(regs, shard);
	const char *names[MAX_NODES];
	int			n = ds_nodes->count;

	if (registered != NULL)
	{
		deconstruct_array(registered, TEXTOID, -1, false, TYPALIGN_INT, &p->names, NULL, &p->count);
		p->registered = true;
		return;
	}
	for (int i = 0; i < n; i++)
		names[i] = ds_nodes->names[i];
	computed_placement(p, shard, names, n, ds_replication_factor);
}

/* First healthy node, or -1 when every node is reported down. */
static int
preferred_index(const Placement *p, const HealthSnapshot *health)
{
	for (int i = 0; i < p->count; i++)
	{
		char	   *name = TextDatumGetCString(p->names[i]);
		bool		healthy = node_is_healthy(health, name);

		pfree(name);
		if (healthy)
			return i;
	}
	return -1;
}

static bool
same_name(Datum a, Datum b)
{
	text	   *x = DatumGetTextPP(a),
			   *y = DatumGetTextPP(b);

	return VARSIZE_ANY_EXHDR(x) == VARSIZE_ANY_EXHDR(y) &&
		memcmp(VARDATA_ANY(x), VARDATA_ANY(y), VARSIZE_ANY_EXHDR(x)) == 0;
}

static bool
same_nodes(const Placement *a, const Placement *b)
{
	if (a->count != b->count)
		return false;
	for (int i = 0; i < a->count; i++)
		if (!same_name(a->names[i], b->names[i]))
			return false;
	return true;
}

static Datum
names_array(const Placement *p)
{
	return PointerGetDatum(construct_array(p->names, p->count, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * placement_map(num_shards int): the partition map of shards 0..num_shards-1
 * (NULL: the server's shards).  Columns: shard_id, node_ids, primary_node,
 * preferred_node, is_healthy, registered.  Health is judged against one copy
 * of the health table; without preloading it is unknown: is_healthy is NULL
 * and the preferred node is the primary.
 */
PG_FUNCTION_INFO_V1(placement_map);
Datum
placement_map(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32		num_shards = PG_ARGISNULL(0) ?
		(int32) server_shape().num_shards : PG_GETARG_INT32(0);
	Registrations *regs = read_registrations();
	HealthSnapshot *health = node_health_snapshot();
	MemoryContext per_shard = AllocSetContextCreate(CurrentMemoryContext, "placement_map",
													ALLOCSET_SMALL_SIZES);

	if (num_shards < 1 || num_shards > SHAPE_MAX_SHARDS)
		report_shape_error(SHAPE_BAD_SHARDS, NULL, num_shards, 1, false);
	InitMaterializedSRF(fcinfo, 0);
	for (uint32 shard = 0; shard < (uint32) num_shards; shard++)
	{
		MemoryContext old = MemoryContextSwitchTo(per_shard);
		Placement	p;
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, health == NULL, false};
		int			preferred;

		placement_of(&p, shard, regs);
		preferred = preferred_index(&p, health);
		values[0] = Int32GetDatum((int32) shard);
		values[1] = names_array(&p);
		values[2] = p.names[0];
		values[3] = preferred >= 0 ? p.names[preferred] : (Datum) 0;
		nulls[3] = preferred < 0;
		values[4] = BoolGetDatum(preferred >= 0);
		values[5] = BoolGetDatum(p.registered);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(per_shard);
	}
	return (Datum) 0;
}

/* Registrations read under one snapshot, kept by a call site between rows. */
typedef struct RegistrationCache
{
	uint64		completion;		/* the snapshot's snapXactCompletionCount */
	CommandId	curcid;
	TransactionId xmin;
	MemoryContext cxt;
	Registrations *regs;
} RegistrationCache;

/*
 * The registrations as the active snapshot sees them, read again only when
 * the snapshot could see something else (another transaction committed, or
 * this one moved on a command): a bulk query reads the table once.
 */
static Registrations *
cached_registrations(FunctionCallInfo fcinfo)
{
	RegistrationCache *cache = fcinfo->flinfo->fn_extra;
	Snapshot	snapshot = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
	MemoryContext old;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RegistrationCache));
		cache->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "registrations",
										   ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = cache;
	}
	else if (cache->regs != NULL && cache->completion == snapshot->snapXactCompletionCount &&
			 cache->curcid == snapshot->curcid && cache->xmin == snapshot->xmin)
		return cache->regs;
	MemoryContextReset(cache->cxt);
	old = MemoryContextSwitchTo(cache->cxt);
	cache->regs = read_registrations();
	MemoryContextSwitchTo(old);
	cache->completion = snapshot->snapXactCompletionCount;
	cache->curcid = snapshot->curcid;
	cache->xmin = snapshot->xmin;
	return cache->regs;
}

/* shard_assignment(key text): the engine's ShardAssignment for one key. */
PG_FUNCTION_INFO_V1(shard_assignment);
Datum
shard_assignment(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(0);
	const ServerRing *ring = checked_server_ring();
	uint32		shard = shape_route(&ring->shape, ring->ring,
									text_key_hash(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key)));
	Registrations *regs = cached_registrations(fcinfo);
	HealthSnapshot *health = node_health_snapshot();
	TupleDesc	tupdesc;
	Placement	p;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int			preferred;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	placement_of(&p, shard, regs);
	preferred = preferred_index(&p, health);
	values[0] = Int32GetDatum((int32) shard);
	values[1] = names_array(&p);
	values[2] = preferred >= 0 ? p.names[preferred] : (Datum) 0;
	nulls[2] = preferred < 0;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* What is wrong with a list of node names, for an error or for valid_node_ids(). */
typedef struct NodeArrayProblem
{
	int			sqlerrcode;		/* 0: nothing is wrong */
	char	   *message;
	const char *hint;
} NodeArrayProblem;

/*
 * Node names from a text[]: one dimension, 1 to max of them (NODE_ARRAY_MAX
 * for one shard's nodes, MAX_NODES for a cluster's), no NULL, each
 * acceptable (node_name_problem) and distinct.  what names the argument in
 * messages.  Returns the names, or NULL with *problem set.
 */
static char **
node_array_names(ArrayType *array, const char *what, int max, int *count, NodeArrayProblem *problem)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **names;

	memset(problem, 0, sizeof(NodeArrayProblem));
	if (ARR_NDIM(array) > 1)
	{
		problem->sqlerrcode = ERRCODE_ARRAY_SUBSCRIPT_ERROR;
		problem->message = psprintf("%s must be a one-dimensional array", what);
		return NULL;
	}
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, count);
	if (*count == 0 || *count > max)
	{
		problem->sqlerrcode = ERRCODE_INVALID_PARAMETER_VALUE;
		problem->message = *count == 0 ? psprintf("%s must name at least one node", what) :
			psprintf("%s names %d nodes; the limit is %d", what, *count, max);
		problem->hint = *count == 0 ? "Name at least one node, primary first." :
			psprintf("Name at most %d nodes%s.", max, max == NODE_ARRAY_MAX ? " for one shard" : "");
		return NULL;
	}
	names = palloc(sizeof(char *) * *count);
	for (int i = 0; i < *count; i++)
	{
		const char *bad;

		if (nulls[i])
		{
			problem->sqlerrcode = ERRCODE_NULL_VALUE_NOT_ALLOWED;
			problem->message = psprintf("%s must not contain NULL", what);
			return NULL;
		}
		names[i] = TextDatumGetCString(elems[i]);
		bad = node_name_problem(names[i], strlen(names[i]));
		if (bad != NULL)
		{
			problem->sqlerrcode = ERRCODE_INVALID_PARAMETER_VALUE;
			problem->message = psprintf("node name \"%s\" %s", names[i], bad);
			problem->hint = NODE_NAME_HINT;
			return NULL;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(names[j], names[i]) == 0)
			{
				problem->sqlerrcode = ERRCODE_INVALID_PARAMETER_VALUE;
				problem->message = psprintf("node \"%s\" is listed twice in %s", names[i], what);
				problem->hint = "A node serves a shard once; list each node once.";
				return NULL;
			}
	}
	return names;
}

static char **
checked_node_array(ArrayType *array, const char *what, int max, int *count)
{
	NodeArrayProblem problem;
	char	  **names = node_array_names(array, what, max, count, &problem);

	if (names == NULL)
		ereport(ERROR,
				errcode(problem.sqlerrcode),
				errmsg_internal("%s", problem.message),
				problem.hint ? errhint("%s", problem.hint) : 0);
	return names;
}

/* valid_node_ids(text[]): the CHECK constraint of shard_placement. */
PG_FUNCTION_INFO_V1(valid_node_ids);
Datum
valid_node_ids(PG_FUNCTION_ARGS)
{
	NodeArrayProblem problem;
	int			count;

	PG_RETURN_BOOL(node_array_names(PG_GETARG_ARRAYTYPE_P(0), "node_ids", NODE_ARRAY_MAX, &count, &problem) != NULL);
}

/* local_node(): dakera_shard.local_node; calling it loads the library, which defines it. */
PG_FUNCTION_INFO_V1(local_node);
Datum
local_node(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(GetConfigOption("dakera_shard.local_node", false, false)));
}

static void
check_shard_in_ring(int32 shard)
{
	uint32		num_shards = server_shape().num_shards;

	if (shard < 0 || (uint32) shard >= num_shards)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("shard %d is not a shard of the server's ring", shard),
				errhint("Shards are numbered 0 to %u (dakera_shard.num_shards = %u).",
						num_shards - 1, num_shards));
}

/*
 * Run one statement on shard_placement ("%s" in format) as the caller, whose
 * GRANTs decide whether they may, with search_path pinned so that nothing
 * the caller's search_path holds can stand in for the functions and
 * operators it names (owner_scope.c).
 */
static uint64
execute_on_placement(const char *format, int nargs, Oid *types, Datum *values)
{
	ScopedStatement stmt = {0};

	stmt.sql = psprintf(format, quote_qualified_identifier(get_namespace_name(extension_schema()),
														   extension_table_name(SHARD_PLACEMENT)));
	stmt.nargs = nargs;
	stmt.types = types;
	stmt.values = values;
	return run_as_caller(&stmt);
}

/* register_shard_nodes(shard_id int, node_ids text[]): an explicit placement. */
PG_FUNCTION_INFO_V1(register_shard_nodes);
Datum
register_shard_nodes(PG_FUNCTION_ARGS)
{
	int32		shard;
	ArrayType  *nodes;
	int			count;
	Oid			types[2] = {INT4OID, TEXTARRAYOID};
	Datum		values[2];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("shard_id and node_ids must not be NULL"),
				errhint("To drop a registration, use unregister_shard_nodes(shard_id)."));
	shard = PG_GETARG_INT32(0);
	nodes = PG_GETARG_ARRAYTYPE_P(1);
	check_shard_in_ring(shard);
	(void) checked_node_array(nodes, "node_ids", NODE_ARRAY_MAX, &count);
	values[0] = Int32GetDatum(shard);
	values[1] = PointerGetDatum(nodes);
	execute_on_placement("INSERT INTO %s AS p (shard_id, node_ids) VALUES ($1, $2) "
						 "ON CONFLICT (shard_id) DO UPDATE SET node_ids = excluded.node_ids, "
						 "registered_at = pg_catalog.now(), registered_by = CURRENT_USER",
						 2, types, values);
	PG_RETURN_VOID();
}

/* unregister_shard_nodes(shard_id int): back to the computed placement. */
PG_FUNCTION_INFO_V1(unregister_shard_nodes);
Datum
unregister_shard_nodes(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {PG_GETARG_DATUM(0)};

	PG_RETURN_BOOL(execute_on_placement("DELETE FROM %s WHERE shard_id OPERATOR(pg_catalog.=) $1",
										1, types, values) > 0);
}

/*
 * rebalance_plan(nodes text[], replication_factor int): per shard, its nodes
 * now and after dakera_shard.nodes and replication_factor become these; a
 * registered shard keeps its registration.  changed_shards repeats, on every
 * row, how many shards change their primary or their node set.
 */
PG_FUNCTION_INFO_V1(rebalance_plan);
Datum
rebalance_plan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			num_names;
	char	  **names = checked_node_array(PG_GETARG_ARRAYTYPE_P(0), "nodes", MAX_NODES, &num_names);
	int32		replication_factor = PG_GETARG_INT32(1);
	uint32		num_shards = server_shape().num_shards;
	Registrations *regs = read_registrations();
	Datum	   *now_nodes = palloc(sizeof(Datum) * num_shards);
	Datum	   *planned_nodes = palloc(sizeof(Datum) * num_shards);
	bool	   *primary_moves = palloc(sizeof(bool) * num_shards);
	bool	   *nodes_change = palloc(sizeof(bool) * num_shards);
	int32		changed = 0;

	if (replication_factor < 1 || replication_factor > NODE_ARRAY_MAX)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("replication_factor %d is out of range", replication_factor),
				errhint("replication_factor must be between 1 and %d.", NODE_ARRAY_MAX));
	for (uint32 s = 0; s < num_shards; s++)
	{
		Placement	now,
					planned;

		placement_of(&now, s, regs);
		if (now.registered)
			planned = now;
		else
			computed_placement(&planned, s, (const char *const *) names, num_names, replication_factor);
		now_nodes[s] = names_array(&now);
		planned_nodes[s] = names_array(&planned);
		primary_moves[s] = !same_name(now.names[0], planned.names[0]);
		nodes_change[s] = !same_nodes(&now, &planned);
		changed += (primary_moves[s] || nodes_change[s]);
	}
	InitMaterializedSRF(fcinfo, 0);
	for (uint32 s = 0; s < num_shards; s++)
	{
		Datum		values[6] = {Int32GetDatum((int32) s), now_nodes[s], planned_nodes[s],
		BoolGetDatum(primary_moves[s]), BoolGetDatum(nodes_change[s]), Int32GetDatum(changed)};
		bool		nulls[6] = {false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
