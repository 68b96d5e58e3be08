/* The reference copy of grid by declaration (NEEDS_POSTGRES): grid's events
 * written into a consumer's declared tables by a real server, each rule of
 * sf_gridref.h seen in the rows: the version guard, a location kept when an
 * event has none, columns kept as first written, "" as NULL, a household's
 * zone, community and flags, a date that is not one, the responsibility
 * set, the row as it was for a hook, and SF_DATA_LOSS (nothing written) for
 * a payload that does not decode or a household that belongs nowhere. */
#include "sf_gridref.h"
#include "sf_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGconn *conn;
static sf_db_t *db;

/* What the household hook saw: the row as it was. */
static int hook_calls;
static char hook_old_flags[64];
static long long hook_old_count;

static sf_status_t
household_seen(sf_db_t *db_, const sf_gridref_event_t *event, void *arg)
{
    (void) db_;
    SF_CHECK_EQ_STR((const char *) arg, "consumer's own");
    hook_calls++;
    snprintf(hook_old_flags, sizeof hook_old_flags, "%s",
             sf_db_is_null(event->old, 0, 2) ? "NULL" : sf_db_text(event->old, 0, 2));
    hook_old_count = sf_db_int(event->old, 0, 5);
    return SF_OK;
}

static const sf_gridref_table_t tables[] = {
    { SF_GRID_UNIT, "unit", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "kind", SF_GRID_KIND, SF_GRIDREF_KEEP },
        { "name", SF_GRID_NAME, 0 }, { "parent_code", SF_GRID_PARENT_CODE, SF_GRIDREF_NULL_IF_EMPTY },
        { "lat", SF_GRID_LAT, 0 }, { "lon", SF_GRID_LON, 0 }, { "version", SF_GRID_VERSION, 0 } }, false, NULL, NULL },
    { SF_GRID_HOUSEHOLD, "household", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "zone_code", SF_GRID_ZONE_CODE, 0 },
        { "flags", SF_GRID_FLAGS, 0 }, { "community_code", SF_GRID_COMMUNITY_CODE, 0 },
        { "in_difficulty", SF_GRID_IN_DIFFICULTY, 0 } }, true, household_seen, NULL },
    { SF_GRID_RESIDENT, "resident", {
        { "id", SF_GRID_ID, SF_GRIDREF_KEY }, { "birth_date", SF_GRID_BIRTH_DATE, 0 } }, false, NULL, NULL },
    { SF_GRID_RESPONSIBILITY, "duty", {
        { "unit_code", SF_GRID_UNIT_CODE, SF_GRIDREF_KEY }, { "kind", SF_GRID_KIND, SF_GRIDREF_KEY },
        { "staff_id", SF_GRID_STAFF_ID, SF_GRIDREF_KEY }, { "since", SF_GRID_SINCE, SF_GRIDREF_KEEP } },
      false, NULL, NULL },
    { 0, NULL, { { NULL, 0, 0 } }, false, NULL, NULL },
};
static const sf_gridref_t declaration = { tables, false };

/* Applies a message as grid's event of type, in a transaction of its own. */
static sf_status_t
apply(const char *type, const ProtobufCMessage *message, int64_t at_ms)
{
    uint8_t buffer[1024];
    Sifang__V1__Event event = SIFANG__V1__EVENT__INIT;
    event.type = (char *) type;
    event.occurred_unix_ms = at_ms;
    event.payload.data = buffer;
    event.payload.len = message ? protobuf_c_message_pack(message, buffer) : 1;
    if (!message)
        buffer[0] = 0xff;   /* a tag cut short: does not decode */
    SF_CHECK(sf_db_begin(db));
    sf_status_t status = sf_gridref_apply(&declaration, db, &event, "consumer's own");
    SF_CHECK(status == SF_OK ? sf_db_commit(db) : (sf_db_rollback(db), true));
    return status;
}

static sf_status_t
apply_unit(const char *type, const char *name, int kind, const char *parent, bool located, int64_t version)
{
    Sifang__V1__OrgUnit unit = SIFANG__V1__ORG_UNIT__INIT;
    Sifang__V1__GeoPoint point = SIFANG__V1__GEO_POINT__INIT;
    point.lat = 36.1;
    point.lon = 120.4;
    unit.code = "37020500100101";
    unit.kind = kind;
    unit.name = (char *) name;
    unit.parent_code = (char *) parent;
    unit.location = located ? &point : NULL;
    unit.version = version;
    return apply(type, &unit.base, 0);
}

static void
test_units(void)
{
    SF_CHECK_EQ_INT(apply_unit("unit.created", "Zone one", 4, "", true, 1), SF_OK);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.unit WHERE code = '37020500100101'"
                                         " AND kind = 4 AND name = 'Zone one' AND parent_code IS NULL"
                                         " AND lat = 36.1 AND lon = 120.4 AND version = 1"), 1);
    /* No location: the one known stays; the kind is kept as first seen. */
    SF_CHECK_EQ_INT(apply_unit("unit.updated", "Zone one (renamed)", 3, "370205001001", false, 2), SF_OK);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.unit WHERE kind = 4"
                                         " AND name = 'Zone one (renamed)' AND parent_code = '370205001001'"
                                         " AND lat = 36.1 AND lon = 120.4 AND version = 2"), 1);
    /* Older than the row: nothing changes. */
    SF_CHECK_EQ_INT(apply_unit("unit.updated", "Stale", 4, "", true, 1), SF_OK);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.unit WHERE name = 'Zone one (renamed)'"
                                         " AND version = 2"), 1);
    /* Does not decode: SF_DATA_LOSS, nothing written. */
    SF_CHECK_EQ_INT(apply("unit.updated", NULL, 0), SF_DATA_LOSS);
    /* Not a kind of event a reference copy keeps, or a kind not declared. */
    SF_CHECK_EQ_INT(apply("unit.deleted", NULL, 0), SF_OK);
    SF_CHECK_EQ_INT(apply("staff.created", NULL, 0), SF_OK);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.unit"), 1);
}

static void
test_households(void)
{
    Sifang__V1__Household household = SIFANG__V1__HOUSEHOLD__INIT;
    Sifang__V1__HouseholdFlag flags[] = { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_UNSPECIFIED, 2, 3 };
    household.code = "370205001001011007";
    household.flags = flags;
    household.n_flags = 3;
    SF_CHECK_EQ_INT(apply("household.created", &household.base, 0), SF_OK);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.household WHERE code = '370205001001011007'"
                                         " AND zone_code = '37020500100101' AND community_code = '370205001001'"
                                         " AND flags = '{2,3}' AND in_difficulty"), 1);
    SF_CHECK_EQ_INT(hook_calls, 1);
    SF_CHECK_EQ_STR(hook_old_flags, "NULL");
    SF_CHECK_EQ_INT(hook_old_count, 0);
    /* Only unspecified flags: not in difficulty; grid's zone wins. The hook
     * sees the row as it was. */
    household.n_flags = 1;
    household.zone_code = "37020500100102";
    SF_CHECK_EQ_INT(apply("household.updated", &household.base, 0), SF_OK);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.household WHERE zone_code = '37020500100102'"
                                         " AND flags = '{}' AND NOT in_difficulty"), 1);
    SF_CHECK_EQ_INT(hook_calls, 2);
    SF_CHECK_EQ_STR(hook_old_flags, "{2,3}");
    SF_CHECK_EQ_INT(hook_old_count, 1);
    /* A code with no zone in it belongs nowhere: not written, no hook. */
    household.code = "3702050010";
    household.zone_code = "";
    SF_CHECK_EQ_INT(apply("household.created", &household.base, 0), SF_DATA_LOSS);
    SF_CHECK_EQ_INT(hook_calls, 2);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.household"), 1);
}

static void
test_residents_and_duties(void)
{
    Sifang__V1__Resident resident = SIFANG__V1__RESIDENT__INIT;
    resident.id = "R1";
    resident.birth_date = "2020-02-29";
    SF_CHECK_EQ_INT(apply("resident.created", &resident.base, 0), SF_OK);
    resident.id = "R2";
    resident.birth_date = "2021-02-29";
    SF_CHECK_EQ_INT(apply("resident.created", &resident.base, 0), SF_OK);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.resident"
                                         " WHERE (id = 'R1' AND birth_date = '2020-02-29')"
                                         "    OR (id = 'R2' AND birth_date IS NULL)"), 2);

    Sifang__V1__Responsibility duty = SIFANG__V1__RESPONSIBILITY__INIT;
    duty.unit_code = "37020500100101";
    duty.kind = 2;
    duty.staff_id = "S1";
    SF_CHECK_EQ_INT(apply("responsibility.assigned", &duty.base, 1700000000123), SF_OK);
    SF_CHECK_EQ_INT(apply("responsibility.assigned", &duty.base, 1800000000000), SF_OK);   /* seen twice */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.duty WHERE staff_id = 'S1' AND kind = 2"
                                         " AND since = to_timestamp(1700000000.123)"), 1);
    duty.staff_id = "S2";
    duty.since_unix_ms = 1600000000000;
    SF_CHECK_EQ_INT(apply("responsibility.assigned", &duty.base, 1700000000123), SF_OK);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.duty WHERE staff_id = 'S2'"
                                         " AND since = to_timestamp(1600000000)"), 1);
    duty.staff_id = "S1";
    SF_CHECK_EQ_INT(apply("responsibility.removed", &duty.base, 0), SF_OK);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.duty"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.duty WHERE staff_id = 'S2'"), 1);
}

/* --- created rows a run at a time ------------------------------------------ */

static size_t created_runs, created_rows;
static char created_keys[256];

static sf_status_t
residents_created(sf_db_t *db_, const char *keys, size_t n, void *arg)
{
    (void) db_;
    SF_CHECK_EQ_STR((const char *) arg, "batched");
    created_runs++;
    created_rows += n;
    snprintf(created_keys, sizeof created_keys, "%s", keys);
    return SF_OK;
}

static sf_status_t
resident_one(sf_db_t *db_, const sf_gridref_event_t *event, void *arg)
{
    (void) db_;
    (void) event;
    (void) arg;
    return SF_OK;
}

static const sf_gridref_table_t batched_tables[] = {
    { SF_GRID_UNIT, "unit", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "kind", SF_GRID_KIND, SF_GRIDREF_KEEP },
        { "name", SF_GRID_NAME, 0 }, { "parent_code", SF_GRID_PARENT_CODE, SF_GRIDREF_NULL_IF_EMPTY },
        { "lat", SF_GRID_LAT, 0 }, { "lon", SF_GRID_LON, 0 }, { "version", SF_GRID_VERSION, 0 } }, false, NULL, NULL },
    { SF_GRID_HOUSEHOLD, "household", {
        { "code", SF_GRID_CODE, SF_GRIDREF_KEY }, { "zone_code", SF_GRID_ZONE_CODE, 0 },
        { "flags", SF_GRID_FLAGS, 0 }, { "community_code", SF_GRID_COMMUNITY_CODE, 0 },
        { "in_difficulty", SF_GRID_IN_DIFFICULTY, 0 } }, false, NULL, NULL },
    { SF_GRID_RESIDENT, "person", {
        { "id", SF_GRID_ID, SF_GRIDREF_KEY }, { "name", SF_GRID_NAME, 0 }, { "birth_date", SF_GRID_BIRTH_DATE, 0 },
        { "party_member", SF_GRID_PARTY_MEMBER, 0 }, { "version", SF_GRID_VERSION, 0 } },
      false, resident_one, residents_created },
    { 0, NULL, { { NULL, 0, 0 } }, false, NULL, NULL },
};
static const sf_gridref_t batched = { batched_tables, true };

static sf_status_t
apply_batched(const char *type, const ProtobufCMessage *message)
{
    uint8_t buffer[1024];
    Sifang__V1__Event event = SIFANG__V1__EVENT__INIT;
    event.type = (char *) type;
    event.payload.data = buffer;
    event.payload.len = protobuf_c_message_pack(message, buffer);
    return sf_gridref_apply(&batched, db, &event, "batched");
}

static sf_status_t
apply_person(const char *type, const char *id, const char *name, int64_t version)
{
    Sifang__V1__Resident resident = SIFANG__V1__RESIDENT__INIT;
    resident.id = (char *) id;
    resident.household_code = "370205001001011007";
    resident.name = (char *) name;
    resident.birth_date = "1961-02-03";
    resident.party_member = true;
    resident.version = version;
    return apply_batched(type, &resident.base);
}

/* Created rows wait for the run's one statement: the created hook sees the
 * run; a key twice in a run keeps its later row; another table's row, an
 * update or the page's end write the run first; a rolled-back page forgets
 * it. Values that need escaping in the run's JSON arrive whole. */
static void
test_created_runs(void)
{
    const char *odd = "王\"小\\明\n";   /* a quote, a backslash, a newline */
    SF_CHECK(sf_db_begin(db));
    SF_CHECK_EQ_INT(apply_person("resident.created", "R0000001", "张伟", 1), SF_OK);
    SF_CHECK_EQ_INT(apply_person("resident.created", "R0000002", odd, 1), SF_OK);
    SF_CHECK_EQ_INT(apply_person("resident.created", "R0000001", "张伟（改）", 2), SF_OK);
    /* Older than the run's other row of its key, though later: not kept. */
    SF_CHECK_EQ_INT(apply_person("resident.created", "R0000001", "旧名", 1), SF_OK);
    /* Held: not written yet, the hook not run. */
    PGresult *held = sf_db_query(db, "SELECT count(*) FROM person", NULL);
    SF_CHECK(held && sf_db_int(held, 0, 0) == 0);
    PQclear(held);
    SF_CHECK_EQ_INT(created_runs, 0);
    /* A household: the residents' run is written first, then it is held. */
    Sifang__V1__Household household = SIFANG__V1__HOUSEHOLD__INIT;
    Sifang__V1__HouseholdFlag flags[] = { 2 };
    household.code = "370205001001011008";
    household.flags = flags;
    household.n_flags = 1;
    SF_CHECK_EQ_INT(apply_batched("household.created", &household.base), SF_OK);
    SF_CHECK_EQ_INT(created_runs, 1);
    SF_CHECK_EQ_INT(created_rows, 4);
    SF_CHECK_EQ_STR(created_keys, "{\"R0000001\",\"R0000002\",\"R0000001\",\"R0000001\"}");
    SF_CHECK_EQ_INT(sf_gridref_page_end(db, true, NULL), SF_OK);
    SF_CHECK(sf_db_commit(db));
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.person"), 2);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.person WHERE id = 'R0000001'"
                                         " AND name = '张伟（改）' AND version = 2 AND birth_date = '1961-02-03'"
                                         " AND party_member"), 1);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM gridref.person WHERE id = 'R0000002' AND name = E'王\"小\\\\明\\n'");
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, sql), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.household WHERE code = '370205001001011008'"
                                         " AND zone_code = '37020500100101' AND flags = '{2}' AND in_difficulty"), 1);
    /* An older created event changes nothing (the version guard). */
    SF_CHECK(sf_db_begin(db));
    SF_CHECK_EQ_INT(apply_person("resident.created", "R0000001", "旧", 1), SF_OK);
    /* An update is written at once, after the run held. */
    SF_CHECK_EQ_INT(apply_person("resident.updated", "R0000002", "李娜", 2), SF_OK);
    SF_CHECK_EQ_INT(created_runs, 2);
    SF_CHECK_EQ_INT(sf_gridref_page_end(db, true, NULL), SF_OK);
    SF_CHECK(sf_db_commit(db));
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.person WHERE (id, name, version)"
                                         " IN (('R0000001', '张伟（改）', 2), ('R0000002', '李娜', 2))"), 2);
    /* A page rolled back: its held run is forgotten, nothing written. */
    SF_CHECK(sf_db_begin(db));
    SF_CHECK_EQ_INT(apply_person("resident.created", "R0000003", "刘洋", 1), SF_OK);
    SF_CHECK_EQ_INT(sf_gridref_page_end(db, false, NULL), SF_OK);
    sf_db_rollback(db);
    SF_CHECK(sf_db_begin(db));
    SF_CHECK_EQ_INT(sf_gridref_page_end(db, true, NULL), SF_OK);
    SF_CHECK(sf_db_commit(db));
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM gridref.person WHERE id = 'R0000003'"), 0);
    SF_CHECK_EQ_INT(created_runs, 2);
}

int
main(void)
{
    if (sf_test_pg_env("gridref_test") != 0)
        return sf_test_done();
    conn = sf_test_pg_connect();
    if (!SF_CHECK(conn))
        return sf_test_done();
    SF_CHECK_EQ_INT(sf_test_pg_exec(conn,
        "DROP SCHEMA IF EXISTS gridref CASCADE; CREATE SCHEMA gridref;"
        "CREATE TABLE gridref.unit (code text PRIMARY KEY, kind int NOT NULL, name text NOT NULL,"
        "  parent_code text, lat double precision, lon double precision, version bigint NOT NULL);"
        "CREATE TABLE gridref.household (code text PRIMARY KEY, zone_code text NOT NULL, flags smallint[] NOT NULL,"
        "  community_code text NOT NULL, in_difficulty boolean NOT NULL);"
        "CREATE TABLE gridref.resident (id text PRIMARY KEY, birth_date date);"
        "CREATE TABLE gridref.person (id text PRIMARY KEY, name text NOT NULL, birth_date date,"
        "  party_member boolean NOT NULL, version bigint NOT NULL);"
        "CREATE TABLE gridref.duty (unit_code text, kind smallint, staff_id text, since timestamptz NOT NULL,"
        "  PRIMARY KEY (unit_code, kind, staff_id));"), 0);
    char conninfo[128];
    snprintf(conninfo, sizeof conninfo, "user=%s", sf_test_pg_superuser());
    db = sf_db_new(conninfo, "gridref");
    if (SF_CHECK(db && sf_db_connect(db))) {
        test_units();
        test_households();
        test_residents_and_duties();
        test_created_runs();
    }
    sf_db_destroy(&db);
    PQfinish(conn);
    return sf_test_done();
}
