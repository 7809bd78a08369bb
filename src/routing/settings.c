/*
 * settings.c: the dakera_shard.* configuration parameters.
 *
 * Design: the ring's shape (strategy, num_shards, virtual_nodes) is
 * PGC_POSTMASTER when the library is preloaded, since the shared ring is
 * built once at server start.  PostgreSQL forbids defining PGC_POSTMASTER
 * parameters after startup, so a library loaded on demand defines them as
 * PGC_SIGHUP instead, and each backend snapshots the shape at its first
 * routing call (server_ring.c); the recorded-shape check still guards it.
 *
 * PostgreSQL applies a value set before a custom parameter is defined (from
 * postgresql.conf or -c) with only a WARNING when it is invalid, falling back
 * to the default.  A routing extension must not fall back silently to another
 * shard count, so we keep those raw values and validate them again with
 * ERROR: at server start (the server refuses to start) or, when loaded on
 * demand, at the first routing call.
 */
#include "postgres.h"

#include "compat.h"

#include <ctype.h>

#include "utils/guc.h"
#include "utils/memutils.h"

#include "placement/placement.h"
#include "routing/routing.h"

int			ds_strategy_setting = STRATEGY_CONSISTENT_HASH;
int			ds_num_shards_setting = 4;
int			ds_virtual_nodes_setting = 150;
int			ds_replication_factor = 2;
static char *nodes_setting = NULL;
char	   *ds_local_node = NULL;

static const NodeList no_nodes = {0};
const NodeList *ds_nodes = &no_nodes;

static const struct config_enum_entry strategy_options[] = {
	{"consistent_hash", STRATEGY_CONSISTENT_HASH, false},
	{"range", STRATEGY_RANGE, false},
	{"modulo", STRATEGY_MODULO, false},
	{"jump", STRATEGY_JUMP, false},
	{NULL, 0, false}
};

#define NUM_SETTINGS 6
static const char *const setting_names[NUM_SETTINGS] = {
	"dakera_shard.strategy", "dakera_shard.num_shards",
	"dakera_shard.virtual_nodes", "dakera_shard.nodes",
	"dakera_shard.replication_factor", "dakera_shard.local_node"
};
static char *raw_values[NUM_SETTINGS];	/* values set before definition */
static GucContext shape_context;
static bool raw_values_checked = false;

/* Trim white space at both ends, in place. */
static char *
trim(char *s)
{
	char	   *end;

	while (isspace((unsigned char) *s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char) end[-1]))
		*--end = '\0';
	return s;
}

/* Parse one comma-separated list into list; false with a GUC detail if bad. */
static bool
parse_node_list(char *names, NodeList *list)
{
	char	   *p = trim(names);

	list->count = 0;
	if (*p == '\0')
		return true;			/* empty: no nodes configured */
	while (p != NULL)
	{
		char	   *comma = strchr(p, ',');
		char	   *name;
		const char *problem;

		if (comma)
			*comma = '\0';
		name = trim(p);
		p = comma ? comma + 1 : NULL;
		problem = node_name_problem(name, strlen(name));
		if (problem != NULL)
		{
			if (*name == '\0')
				GUC_check_errdetail("Node name %d is empty.", list->count + 1);
			else
				GUC_check_errdetail("Node name \"%s\" %s.", name, problem);
			return false;
		}
		if (list->count == MAX_NODES)
		{
			GUC_check_errdetail("More than %d nodes are listed.", MAX_NODES);
			return false;
		}
		for (int i = 0; i < list->count; i++)
			if (strcmp(list->names[i], name) == 0)
			{
				GUC_check_errdetail("Node \"%s\" is listed twice.", name);
				return false;
			}
		strlcpy(list->names[list->count++], name, NAMEDATALEN);
	}
	return true;
}

/*
 * dakera_shard.nodes: comma-separated names, trimmed, distinct, non-empty.
 * The extra is freed by PostgreSQL, with free() on 15 and guc_free() from 16
 * on: compat.h's ds_guc_malloc allocates it as each expects.
 */
static bool
check_nodes(char **newval, void **extra, GucSource source)
{
	char	   *copy = strdup(*newval);
	int			max = 1;
	NodeList   *list;
	bool		ok;

	if (copy == NULL)
		return false;
	for (char *c = copy; *c; c++)
		max += (*c == ',');
	list = ds_guc_malloc(offsetof(NodeList, names) + (Size) max * NAMEDATALEN);
	if (list == NULL)
	{
		free(copy);
		return false;
	}
	ok = parse_node_list(copy, list);
	free(copy);
	if (!ok)
	{
		GUC_check_errhint("List distinct node names separated by commas, for example 'n1, n2, n3'.");
		ds_guc_free(list);
		return false;
	}
	*extra = list;
	return true;
}

static void
assign_nodes(const char *newval, void *extra)
{
	ds_nodes = extra ? (const NodeList *) extra : &no_nodes;
}

/* dakera_shard.local_node: empty, or one node name. */
static bool
check_local_node(char **newval, void **extra, GucSource source)
{
	const char *problem = node_name_problem(*newval, strlen(*newval));

	if (**newval != '\0' && problem != NULL)
	{
		GUC_check_errdetail("Node name \"%s\" %s.", *newval, problem);
		return false;
	}
	return true;
}

static void
define_shape_settings(GucContext context)
{
	DefineCustomEnumVariable("dakera_shard.strategy",
							 "Routing strategy of the server's ring.",
							 "consistent_hash, range, modulo (served by the consistent-hash ring, as in dakera-engine 0.10.2) or jump.",
							 &ds_strategy_setting, STRATEGY_CONSISTENT_HASH,
							 strategy_options, context, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("dakera_shard.num_shards",
							"Number of shards of the server's ring.",
							NULL, &ds_num_shards_setting, 4, 1, SHAPE_MAX_SHARDS,
							context, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("dakera_shard.virtual_nodes",
							"Virtual nodes per shard on the server's consistent-hash ring.",
							"Ignored by the range and jump strategies.",
							&ds_virtual_nodes_setting, 150, 1, SHAPE_MAX_VIRTUAL_NODES,
							context, 0, NULL, NULL, NULL);
}

static void
define_placement_settings(void)
{
	DefineCustomStringVariable("dakera_shard.nodes",
							   "Comma-separated names of the nodes that serve shards.",
							   "Empty: shard s is served by node-{s} alone.",
							   &nodes_setting, "", PGC_SIGHUP, 0,
							   check_nodes, assign_nodes, NULL);
	DefineCustomIntVariable("dakera_shard.replication_factor",
							"Number of nodes that serve each shard, primary included.",
							NULL, &ds_replication_factor, 2, 1, NODE_ARRAY_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("dakera_shard.local_node",
							   "Name of this server among the nodes.",
							   "create_shard_partitions(..., remote => true) keeps the shards whose primary is this node local and makes the others postgres_fdw foreign tables on the server named for their primary.",
							   &ds_local_node, "", PGC_SIGHUP, 0,
							   check_local_node, NULL, NULL);
}

/*
 * Validate a value that was set before the parameter existed, with ERROR.
 * changeVal = false: only the check runs, the error is PostgreSQL's own
 * ("... is outside the valid range for parameter ...").
 */
static void
recheck_raw_values(void)
{
	for (int i = 0; i < NUM_SETTINGS; i++)
		if (raw_values[i] != NULL)
			(void) set_config_option(setting_names[i], raw_values[i],
									 i < 3 ? shape_context : PGC_SIGHUP,
									 PGC_S_FILE, GUC_ACTION_SET, false, ERROR, false);
	raw_values_checked = true;
}

void
define_settings(bool preloading)
{
	for (int i = 0; i < NUM_SETTINGS; i++)
	{
		const char *raw = GetConfigOption(setting_names[i], true, false);

		raw_values[i] = raw ? MemoryContextStrdup(TopMemoryContext, raw) : NULL;
	}
	shape_context = preloading ? PGC_POSTMASTER : PGC_SIGHUP;
	define_shape_settings(shape_context);
	define_placement_settings();
	MarkGUCPrefixReserved("dakera_shard");

	/* in the postmaster an ERROR here stops the server from starting */
	if (preloading)
		check_shape_settings();
}

Shape
settings_shape(void)
{
	Shape		shape;

	shape.strategy = (Strategy) ds_strategy_setting;
	shape.num_shards = (uint32) ds_num_shards_setting;
	shape.virtual_nodes = (uint32) ds_virtual_nodes_setting;
	return shape;
}

/* Refuse settings that are invalid alone or together (the ring point limit). */
void
check_shape_settings(void)
{
	ShapeError	err;

	if (!raw_values_checked)
		recheck_raw_values();
	err = shape_check(ds_strategy_setting, ds_num_shards_setting, ds_virtual_nodes_setting);
	if (err != SHAPE_OK)
		report_shape_error(err, strategy_name((Strategy) ds_strategy_setting),
						   ds_num_shards_setting, ds_virtual_nodes_setting, true);
}
