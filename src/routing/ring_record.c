/*
 * ring_record.c: the ring shape recorded in each database, and its check.
 *
 * Design: shard_for(text) is IMMUTABLE, so PostgreSQL may store its answers
 * (generated columns, partition bounds, expression indexes).  Those answers
 * hold only while the server routes with the shape they were made with.  As
 * PostgreSQL records collation versions, the extension records that shape in
 * the table shard_ring_record (at CREATE EXTENSION, and again when the DBA
 * calls record_shard_ring() after re-sharding).  The first routing call of a
 * backend compares it with the server's shape and raises an ERROR naming
 * both if they route differently; after that the check costs one pointer
 * test.  The table is the extension's (extension_catalog.c).  A statement
 * trigger on the table sends a relcache invalidation for it, and the
 * extension catalog's relcache callback drops the cached verdict (and the
 * cached plans) in every backend, so a new record is seen at the next
 * transaction everywhere, by prepared statements too.  C code that needs the
 * checked ring calls checked_server_ring(), never shard_for through SQL.
 */
#include "postgres.h"

#include "compat.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "commands/trigger.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "extension.h"
#include "reshard/reshard.h"
#include "routing/routing.h"

typedef struct RecordedShape
{
	bool		found;
	Shape		shape;
	char	   *strategy_text;	/* as stored, for messages */
	TimestampTz recorded_at;
	bool		lenient;		/* an invalid record is no record (found false), not an error */
} RecordedShape;

const ServerRing *ds_checked_ring = NULL;

/*
 * The record may have changed (extension_catalog.c's relcache callback): check
 * again at the next call, and drop this backend's cached plans, since a plan
 * may hold shard_for(text) of a constant folded under the old verdict (a
 * prepared statement, a PL/pgSQL plan); replanned, it calls shard_for again.
 */
static void
forget_checked_ring(void)
{
	if (ds_checked_ring != NULL)
		ResetPlanCache();
	ds_checked_ring = NULL;
}

/* The one row of shard_ring_record, checked. */
static void
recorded_row(void *arg, Datum *values, bool *nulls)
{
	RecordedShape *rec = (RecordedShape *) arg;
	int			strategy;

	if (rec->found)
		return;
	rec->strategy_text = TextDatumGetCString(values[Anum_shard_ring_record_strategy - 1]);
	strategy = strategy_from_name(rec->strategy_text, strlen(rec->strategy_text));
	if (strategy < 0 || nulls[Anum_shard_ring_record_num_shards - 1] ||
		nulls[Anum_shard_ring_record_virtual_nodes - 1] ||
		shape_check(strategy, DatumGetInt32(values[Anum_shard_ring_record_num_shards - 1]),
					DatumGetInt32(values[Anum_shard_ring_record_virtual_nodes - 1])) != SHAPE_OK)
	{
		if (rec->lenient)
			return;
		ereport(ERROR,
				errcode(ERRCODE_DATA_CORRUPTED),
				errmsg("the ring shape recorded in %s is not valid", extension_table_name(SHARD_RING_RECORD)),
				errhint("Record the server's shape with SELECT record_shard_ring()."));
	}
	rec->shape.strategy = (Strategy) strategy;
	rec->shape.num_shards = DatumGetInt32(values[Anum_shard_ring_record_num_shards - 1]);
	rec->shape.virtual_nodes = DatumGetInt32(values[Anum_shard_ring_record_virtual_nodes - 1]);
	rec->recorded_at = nulls[Anum_shard_ring_record_recorded_at - 1] ? 0 :
		DatumGetTimestampTz(values[Anum_shard_ring_record_recorded_at - 1]);
	rec->found = true;
}

/* Read the record under a fresh catalog snapshot; false if none. */
static bool
read_recorded_shape(RecordedShape *rec)
{
	memset(rec, 0, sizeof(RecordedShape));
	(void) scan_extension_table(SHARD_RING_RECORD, NULL, recorded_row, rec);
	return rec->found;
}

/* The server's ring once it routes as the recorded shape, or the error that says why not. */
const ServerRing *
check_recorded_ring(void)
{
	const ServerRing *ring = server_ring();
	RecordedShape rec;

	if (!read_recorded_shape(&rec))
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("no ring shape is recorded in database \"%s\"",
					   get_database_name(MyDatabaseId)),
				errdetail("CREATE EXTENSION and record_shard_ring() record the shape that stored shard ids are made with; without it they cannot be checked."),
				errhint("Record the server's shape (%s) with SELECT record_shard_ring().",
						shape_describe(&ring->shape)));
	if (!shape_routes_alike(&ring->shape, &rec.shape))
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("the server's ring differs from the ring recorded in database \"%s\"",
					   get_database_name(MyDatabaseId)),
				errdetail("The server routes with %s; shard ids stored in this database were made with %s.",
						  shape_describe(&ring->shape), shape_describe(&rec.shape)),
				errhint("Restart the server with the recorded dakera_shard settings, or record the new shape with SELECT record_shard_ring() and re-shard the stored rows with reshard_table()."));
	set_record_changed_hook(forget_checked_ring);	/* before the verdict is kept */
	ds_checked_ring = ring;
	return ring;
}

/*
 * The record as it was before the statement that changes it (the BEFORE
 * statement trigger keeps it): HASH tables' rows were placed under that
 * shape, so a new record that routes differently, even at the same shard
 * count (other virtual_nodes or strategy), makes them stale.
 */
static RecordedShape record_before;
static LocalTransactionId record_before_lxid = InvalidLocalTransactionId;

/* Did the statement change the record to a shape that routes differently (unknown: yes)? */
static bool
record_routes_differently(const RecordedShape *now)
{
	if (record_before_lxid != DS_MY_LXID || !record_before.found)
		return true;
	return !shape_routes_alike(&record_before.shape, &now->shape);
}

/* BEFORE and AFTER ... FOR EACH STATEMENT trigger on shard_ring_record. */
PG_FUNCTION_INFO_V1(shard_ring_record_changed);
Datum
shard_ring_record_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("shard_ring_record_changed() must be called as a trigger"));
	if (TRIGGER_FIRED_BEFORE(trigdata->tg_event))
	{
		/* a record that is not valid is being replaced: unknown, so every HASH table that may hold rows is guarded */
		memset(&record_before, 0, sizeof(RecordedShape));
		record_before.lenient = true;
		(void) scan_extension_table(SHARD_RING_RECORD, NULL, recorded_row, &record_before);
		record_before_lxid = DS_MY_LXID;
		PG_RETURN_POINTER(NULL);
	}
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	/* HASH (shard_ops) tables whose rows the new record routes elsewhere refuse writes until re-sharded */
	if (!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) && !TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		RecordedShape rec;
		Snapshot	snapshot;

		CommandCounterIncrement();	/* the statement's own change, as SPI would see it */
		snapshot = RegisterSnapshot(GetLatestSnapshot());

		memset(&rec, 0, sizeof(RecordedShape));
		(void) scan_extension_table(SHARD_RING_RECORD, snapshot, recorded_row, &rec);
		UnregisterSnapshot(snapshot);
		/* a record the server does not route alike refuses every routing already */
		if (rec.found)
		{
			Shape		server = server_shape();

			if (shape_routes_alike(&server, &rec.shape))
				guard_stale_hash_tables(&rec.shape, record_routes_differently(&rec));
		}
	}
	PG_RETURN_POINTER(NULL);
}

/*
 * shard_ring(): the server's shape, the recorded one, and the ring itself.
 * Never raises the mismatch error: it is what a DBA runs to see it.
 */
PG_FUNCTION_INFO_V1(shard_ring);
Datum
shard_ring(PG_FUNCTION_ARGS)
{
	const ServerRing *ring = server_ring();
	RecordedShape rec;
	bool		recorded = read_recorded_shape(&rec);
	TupleDesc	tupdesc;
	Datum		values[12];
	bool		nulls[12] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	values[0] = CStringGetTextDatum(strategy_name(ring->shape.strategy));
	values[1] = Int32GetDatum(ring->shape.num_shards);
	values[2] = Int32GetDatum(ring->shape.virtual_nodes);
	if (recorded)
	{
		values[3] = CStringGetTextDatum(rec.strategy_text);
		values[4] = Int32GetDatum(rec.shape.num_shards);
		values[5] = Int32GetDatum(rec.shape.virtual_nodes);
		values[6] = TimestampTzGetDatum(rec.recorded_at);
		nulls[6] = rec.recorded_at == 0;
		values[7] = BoolGetDatum(shape_routes_alike(&ring->shape, &rec.shape));
	}
	else
		nulls[3] = nulls[4] = nulls[5] = nulls[6] = nulls[7] = true;
	values[8] = Int32GetDatum(ring->ring ? ring->ring->num_points : 0);
	values[9] = Int64GetDatum((int64) ring->bytes);
	values[10] = BoolGetDatum(ring->shared);
	values[11] = Float8GetDatum(ring->build_ms);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
