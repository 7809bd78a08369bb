/*
 * node_health.c: which nodes are up, held in shared memory.
 *
 * Design: health is runtime state reported by an operator or a monitor with
 * set_node_health(); every backend sees a report at once.  A fixed table of
 * MAX_HEALTH_NODES entries, kept sorted by name, under one LWLock: writers
 * take it exclusively, readers take it shared just long enough to copy the
 * table (node_health_snapshot), so a caller never sees a half-written entry
 * and can judge a whole partition map against one consistent view.  A node
 * that has no report is healthy.  Nothing is written to disk: a restart (or a
 * crash restart) forgets every report.  Only a preloaded library has the
 * table; without it these functions say so.
 */
#include "postgres.h"

#include "compat.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "placement/placement.h"

typedef struct HealthTable
{
	LWLock	   *lock;
	int			count;
	NodeHealth	nodes[MAX_HEALTH_NODES];	/* sorted by name */
} HealthTable;

static HealthTable *health_table = NULL;

Size
node_health_shmem_size(void)
{
	return MAXALIGN(sizeof(HealthTable));
}

void
node_health_shmem_request(void)
{
	RequestNamedLWLockTranche("dakera_shard", 1);
}

/* Caller holds AddinShmemInitLock. */
void
node_health_shmem_init(void)
{
	bool		found;

	health_table = ShmemInitStruct("dakera_shard node health", node_health_shmem_size(), &found);
	if (!found)
	{
		health_table->lock = &(GetNamedLWLockTranche("dakera_shard"))->lock;
		health_table->count = 0;
	}
}

static void
require_health_table(void)
{
	if (health_table == NULL)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("node health needs dakera_shard in shared_preload_libraries"),
				errdetail("Node health is kept in shared memory, which only a preloaded library has."),
				errhint("Add dakera_shard to shared_preload_libraries in postgresql.conf and restart the server."));
}

/* Index of name in the sorted table, or -(insertion point) - 1. */
static int
find_node(const NodeHealth *nodes, int count, const char *name)
{
	int			lo = 0,
				hi = count;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			cmp = strcmp(nodes[mid].name, name);

		if (cmp == 0)
			return mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -lo - 1;
}

/* A consistent copy of every report, or NULL when not preloaded. */
HealthSnapshot *
node_health_snapshot(void)
{
	HealthSnapshot *snap;

	if (health_table == NULL)
		return NULL;
	LWLockAcquire(health_table->lock, LW_SHARED);
	/* sized to the reports there are: usually none or a few */
	snap = palloc(offsetof(HealthSnapshot, nodes) + sizeof(NodeHealth) * health_table->count);
	snap->count = health_table->count;
	memcpy(snap->nodes, health_table->nodes, sizeof(NodeHealth) * snap->count);
	LWLockRelease(health_table->lock);
	return snap;
}

/* Healthy unless reported down; everything is healthy without a snapshot. */
bool
node_is_healthy(const HealthSnapshot *health, const char *node)
{
	int			i;

	if (health == NULL)
		return true;
	i = find_node(health->nodes, health->count, node);
	return i < 0 || health->nodes[i].healthy;
}

/* The node's name from SQL, checked with the rules of dakera_shard.nodes. */
static char *
checked_node_name(text *node)
{
	char	   *name = text_to_cstring(node);
	const char *problem = node_name_problem(VARDATA_ANY(node), VARSIZE_ANY_EXHDR(node));

	if (problem != NULL)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("node name \"%s\" %s", name, problem),
				errhint(NODE_NAME_HINT));
	return name;
}

/* set_node_health(node text, healthy bool): report a node up or down. */
PG_FUNCTION_INFO_V1(set_node_health);
Datum
set_node_health(PG_FUNCTION_ARGS)
{
	char	   *name;
	bool		healthy;
	int			i;

	require_health_table();
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("node and healthy must not be NULL"),
				errhint("To forget a node's report, use reset_node_health(node)."));
	name = checked_node_name(PG_GETARG_TEXT_PP(0));
	healthy = PG_GETARG_BOOL(1);
	LWLockAcquire(health_table->lock, LW_EXCLUSIVE);
	i = find_node(health_table->nodes, health_table->count, name);
	if (i < 0)
	{
		if (health_table->count >= MAX_HEALTH_NODES)
		{
			LWLockRelease(health_table->lock);
			ereport(ERROR,
					errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					errmsg("cannot report the health of more than %d nodes", MAX_HEALTH_NODES),
					errhint("Forget the reports of nodes that are gone with reset_node_health(node)."));
		}
		i = -i - 1;
		memmove(&health_table->nodes[i + 1], &health_table->nodes[i],
				sizeof(NodeHealth) * (health_table->count - i));
		health_table->count++;
		strlcpy(health_table->nodes[i].name, name, NAMEDATALEN);
		health_table->nodes[i].healthy = !healthy;	/* so that it counts as a change */
	}
	if (health_table->nodes[i].healthy != healthy)
	{
		health_table->nodes[i].healthy = healthy;
		health_table->nodes[i].changed_at = GetCurrentTimestamp();
	}
	LWLockRelease(health_table->lock);
	PG_RETURN_VOID();
}

/* reset_node_health(node text DEFAULT NULL): forget one report, or all. */
PG_FUNCTION_INFO_V1(reset_node_health);
Datum
reset_node_health(PG_FUNCTION_ARGS)
{
	char	   *name = PG_ARGISNULL(0) ? NULL : checked_node_name(PG_GETARG_TEXT_PP(0));
	int			removed = 0;

	require_health_table();
	LWLockAcquire(health_table->lock, LW_EXCLUSIVE);
	if (name == NULL)
	{
		removed = health_table->count;
		health_table->count = 0;
	}
	else
	{
		int			i = find_node(health_table->nodes, health_table->count, name);

		if (i >= 0)
		{
			memmove(&health_table->nodes[i], &health_table->nodes[i + 1],
					sizeof(NodeHealth) * (health_table->count - i - 1));
			health_table->count--;
			removed = 1;
		}
	}
	LWLockRelease(health_table->lock);
	PG_RETURN_INT32(removed);
}

/* node_health(): every report, by node name. */
PG_FUNCTION_INFO_V1(node_health);
Datum
node_health(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HealthSnapshot *snap;

	require_health_table();
	snap = node_health_snapshot();
	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < snap->count; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(snap->nodes[i].name);
		values[1] = BoolGetDatum(snap->nodes[i].healthy);
		values[2] = TimestampTzGetDatum(snap->nodes[i].changed_at);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
