/* Integration test of sifang-grid: the real daemon against the test
 * PostgreSQL cluster, called through sf_client as principals of several
 * roles and scopes. Covers creating, reading, listing, paging and updating
 * every aggregate, zone views and ResponsibleFor, scope and role checks,
 * masking of phones and identity numbers, the events emitted, and bad input
 * (each refused with its status and field, and nothing written). */
#include "sf_test.h"
#include "grid_test_support.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Personal identifiers that must never leave the service in the clear. */
#define ID_NUMBER "370205199003071232"
#define ID_NUMBER_2 "11010519491231002X"
#define PHONE "13812345678"
#define PHONE_MASKED "138****5678"
#define STAFF_PHONE "13998765432"

static sf_client_t *admin;      /* role admin, whole district */
static sf_client_t *street;     /* role street, scope STREET_1 */
static sf_client_t *viewer;     /* role viewer, whole district */
static sf_client_t *department; /* role department, whole district */
static PGconn *db;              /* superuser, for counting rows */
static long long events_expected;
static char log_path[512];

/* Replies are freed together at the end. */
static ProtobufCMessage *kept[4096];
static size_t n_kept;

static void *
keep(ProtobufCMessage *message)
{
    if (message && n_kept < sizeof kept / sizeof kept[0])
        kept[n_kept++] = message;
    return message;
}

static void
release_kept(void)
{
    for (size_t i = 0; i < n_kept; i++)
        protobuf_c_message_free_unpacked(kept[i], NULL);
    n_kept = 0;
}

/* Calls method; the reply (NULL unless OK) is kept. */
static sf_status_t
call(sf_client_t *client, const char *method, const void *request,
     const ProtobufCMessageDescriptor *reply_descriptor, void *reply_p, sf_reply_info_t *info)
{
    ProtobufCMessage *reply = NULL;
    sf_reply_info_t local;
    sf_status_t status = sf_client_call(client, method, NULL, (const ProtobufCMessage *) request,
                                        reply_descriptor, &reply, info ? info : &local);
    if (reply_p)
        *(ProtobufCMessage **) reply_p = status == SF_OK ? keep(reply) : NULL;
    else if (status == SF_OK)
        keep(reply);
    return status;
}

/* A write expected to succeed: counts its event. */
static void *
wrote(sf_client_t *client, const char *method, const void *request,
      const ProtobufCMessageDescriptor *reply_descriptor, int line)
{
    void *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = call(client, method, request, reply_descriptor, &reply, &info);
    if (status != SF_OK) {
        SF_FAIL("line %d: %s: %s: %s (%s)", line, method, sf_status_name(status),
                info.message ? info.message : "",
                info.n_violations ? info.violation_fields[0] : "no field");
        return NULL;
    }
    events_expected++;
    return reply;
}
#define WROTE(client, method, request, descriptor) wrote(client, method, request, descriptor, __LINE__)

static bool
has_violation(const sf_reply_info_t *info, const char *field)
{
    for (size_t i = 0; i < info->n_violations; i++)
        if (strcmp(info->violation_fields[i], field) == 0)
            return true;
    return false;
}

/* Every row of grid's tables and the event head, as one string. */
static void
fingerprint(char *out, size_t size)
{
    PGresult *result = PQexec(db,
        "SELECT (SELECT count(*) FROM grid.org_unit) || ',' || (SELECT count(*) FROM grid.household)"
        " || ',' || (SELECT count(*) FROM grid.resident) || ',' || (SELECT count(*) FROM grid.staff)"
        " || ',' || (SELECT count(*) FROM grid.responsibility) || ',' ||"
        " (SELECT count(*) FROM grid.department) || ',' || (SELECT count(*) FROM grid.pairing)"
        " || ',' || (SELECT count(*) FROM grid.event_log) || ',' ||"
        " (SELECT md5(string_agg(t::text, ';' ORDER BY t::text)) FROM"
        "  (SELECT u::text AS t FROM grid.org_unit u UNION ALL SELECT h::text FROM grid.household h"
        "   UNION ALL SELECT r::text FROM grid.resident r UNION ALL SELECT s::text FROM grid.staff s"
        "   UNION ALL SELECT x::text FROM grid.responsibility x) rows)");
    snprintf(out, size, "%s", PQresultStatus(result) == PGRES_TUPLES_OK ? PQgetvalue(result, 0, 0) : "?");
    PQclear(result);
}

/* A request that must be refused with status and a violation on field
 * (NULL: no field expected), leaving the registry as it was. */
static void
refused(sf_client_t *client, const char *method, const void *request, sf_status_t expected,
        const char *field, int line)
{
    char before[256], after[256];
    fingerprint(before, sizeof before);
    sf_reply_info_t info;
    sf_status_t status = call(client, method, request, NULL, NULL, &info);
    if (status != expected)
        SF_FAIL("line %d: %s: expected %s, got %s (%s)", line, method, sf_status_name(expected),
                sf_status_name(status), info.message ? info.message : "");
    else if (field && !has_violation(&info, field))
        SF_FAIL("line %d: %s: %s without a violation on %s (first: %s)", line, method,
                sf_status_name(status), field,
                info.n_violations ? info.violation_fields[0] : "none");
    else
        SF_CHECK(true);
    fingerprint(after, sizeof after);
    if (strcmp(before, after) != 0)
        SF_FAIL("line %d: %s was refused but the registry changed", line, method);
}
#define REFUSED(client, method, request, status, field) \
    refused(client, method, request, status, field, __LINE__)

static long long
count(const char *sql)
{
    return sf_test_pg_int(db, sql);
}

/* --- building blocks ------------------------------------------------------ */

static Sifang__V1__OrgUnit *
create_unit(const char *code, Sifang__V1__UnitKind kind, const char *name, const char *parent)
{
    Sifang__V1__OrgUnit unit = SIFANG__V1__ORG_UNIT__INIT;
    Sifang__V1__GeoPoint location = SIFANG__V1__GEO_POINT__INIT;
    location.lat = 36.1;
    location.lon = 120.37;
    unit.code = (char *) code;
    unit.kind = kind;
    unit.name = (char *) name;
    unit.parent_code = (char *) parent;
    if (kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
        unit.location = &location;
    return WROTE(admin, "UnitCreate", &unit, &sifang__v1__org_unit__descriptor);
}

static Sifang__V1__Household *
create_household(const char *code, const char *group, size_t n_flags, Sifang__V1__HouseholdFlag *flags)
{
    Sifang__V1__Household household = SIFANG__V1__HOUSEHOLD__INIT;
    household.code = (char *) code;
    household.building_group_code = (char *) group;
    household.address = "人民路 1 号";
    household.n_flags = n_flags;
    household.flags = flags;
    return WROTE(admin, "HouseholdCreate", &household, &sifang__v1__household__descriptor);
}

static Sifang__V1__Staff *
create_staff(const char *name, Sifang__V1__StaffKind kind, const char *unit, const char *department_code,
             const char *employer)
{
    Sifang__V1__Staff staff = SIFANG__V1__STAFF__INIT;
    staff.name = (char *) name;
    staff.kind = kind;
    staff.unit_code = (char *) unit;
    staff.department_code = (char *) (department_code ? department_code : "");
    staff.employer = (char *) (employer ? employer : "");
    staff.phone = STAFF_PHONE;
    return WROTE(admin, "StaffCreate", &staff, &sifang__v1__staff__descriptor);
}

static Sifang__V1__Responsibility *
assign(sf_client_t *client, const char *staff_id, const char *unit, Sifang__V1__ResponsibilityKind kind)
{
    Sifang__V1__Responsibility responsibility = SIFANG__V1__RESPONSIBILITY__INIT;
    responsibility.staff_id = (char *) staff_id;
    responsibility.unit_code = (char *) unit;
    responsibility.kind = kind;
    return WROTE(client, "ResponsibilityAssign", &responsibility,
                 &sifang__v1__responsibility__descriptor);
}

/* --- the tests ------------------------------------------------------------ */

static void
test_units(void)
{
    SF_CHECK(create_unit(DISTRICT, SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT, "四方区", "") != NULL);
    SF_CHECK(create_unit(STREET_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "兴隆路街道", DISTRICT) != NULL);
    SF_CHECK(create_unit(STREET_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "洛阳路街道", DISTRICT) != NULL);
    SF_CHECK(create_unit(COMMUNITY_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "福寿社区", STREET_1) != NULL);
    SF_CHECK(create_unit(COMMUNITY_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "洛阳社区", STREET_2) != NULL);
    Sifang__V1__OrgUnit *zone = create_unit(ZONE_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "一片区", COMMUNITY_1);
    SF_CHECK(create_unit(ZONE_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "二片区", COMMUNITY_2) != NULL);
    SF_CHECK(create_unit(GROUP_1A, SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "一楼组", ZONE_1) != NULL);
    SF_CHECK(create_unit(GROUP_1B, SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "二楼组", ZONE_1) != NULL);
    SF_CHECK(create_unit(GROUP_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "三楼组", ZONE_2) != NULL);
    if (SF_CHECK(zone != NULL)) {
        SF_CHECK_EQ_STR(zone->parent_code, COMMUNITY_1);
        SF_CHECK_EQ_INT(zone->version, 1);
        SF_CHECK(zone->location && zone->location->lat > 36.0 && zone->location->lon > 120.3);
        SF_CHECK(zone->created_unix_ms > 0 && zone->updated_unix_ms >= zone->created_unix_ms);
    }
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.org_unit"), 10);

    Sifang__V1__CodeRequest get = SIFANG__V1__CODE_REQUEST__INIT;
    get.code = STREET_1;
    Sifang__V1__OrgUnit *unit;
    if (SF_CHECK_EQ_INT(call(viewer, "UnitGet", &get, &sifang__v1__org_unit__descriptor, &unit, NULL), SF_OK)) {
        SF_CHECK_EQ_STR(unit->name, "兴隆路街道");
        SF_CHECK_EQ_INT(unit->kind, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET);
        SF_CHECK(unit->location == NULL);
    }
    get.code = "370205009";
    SF_CHECK_EQ_INT(call(viewer, "UnitGet", &get, &sifang__v1__org_unit__descriptor, &unit, NULL), SF_NOT_FOUND);

    /* Lists: children, subtree, kind, name. */
    Sifang__V1__UnitListRequest list = SIFANG__V1__UNIT_LIST_REQUEST__INIT;
    Sifang__V1__UnitListReply *units;
    list.parent_code = DISTRICT;
    if (SF_CHECK_EQ_INT(call(viewer, "UnitList", &list, &sifang__v1__unit_list_reply__descriptor, &units, NULL), SF_OK)
        && SF_CHECK_EQ_INT(units->n_units, 2)) {
        SF_CHECK_EQ_STR(units->units[0]->code, STREET_1);
        SF_CHECK_EQ_STR(units->units[1]->code, STREET_2);
        SF_CHECK_EQ_STR(units->next_page_token, "");
    }
    list.parent_code = "";
    list.under = STREET_1;
    if (SF_CHECK_EQ_INT(call(viewer, "UnitList", &list, &sifang__v1__unit_list_reply__descriptor, &units, NULL), SF_OK))
        SF_CHECK_EQ_INT(units->n_units, 5);   /* the street, community, zone, 2 groups */
    list.under = "";
    list.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE;
    if (SF_CHECK_EQ_INT(call(viewer, "UnitList", &list, &sifang__v1__unit_list_reply__descriptor, &units, NULL), SF_OK))
        SF_CHECK_EQ_INT(units->n_units, 2);
    list.kind = 0;
    list.name_contains = "楼组";
    if (SF_CHECK_EQ_INT(call(viewer, "UnitList", &list, &sifang__v1__unit_list_reply__descriptor, &units, NULL), SF_OK))
        SF_CHECK_EQ_INT(units->n_units, 3);
    list.name_contains = "";

    /* Paging: pages of 3 give every unit once, in code order. */
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 3;
    list.page = &page;
    int seen = 0, pages = 0;
    char last[32] = "";
    for (;;) {
        if (!SF_CHECK_EQ_INT(call(viewer, "UnitList", &list, &sifang__v1__unit_list_reply__descriptor, &units, NULL), SF_OK))
            break;
        pages++;
        for (size_t i = 0; i < units->n_units; i++) {
            SF_CHECK(strcmp(units->units[i]->code, last) > 0);
            snprintf(last, sizeof last, "%s", units->units[i]->code);
            seen++;
        }
        if (!*units->next_page_token)
            break;
        page.page_token = units->next_page_token;
    }
    SF_CHECK_EQ_INT(seen, 10);
    SF_CHECK_EQ_INT(pages, 4);
    page.page_token = "";
    page.page_size = 1001;
    REFUSED(viewer, "UnitList", &list, SF_INVALID_ARGUMENT, "page.page_size");
    page.page_size = -1;
    REFUSED(viewer, "UnitList", &list, SF_INVALID_ARGUMENT, "page.page_size");
    page.page_size = 0;
    page.page_token = "not a token";
    REFUSED(viewer, "UnitList", &list, SF_INVALID_ARGUMENT, "page.page_token");
    list.page = NULL;
    list.under = "3702x";
    REFUSED(viewer, "UnitList", &list, SF_INVALID_ARGUMENT, "under");

    /* Updates with versions. */
    Sifang__V1__UnitUpdateRequest update = SIFANG__V1__UNIT_UPDATE_REQUEST__INIT;
    update.code = STREET_1;
    update.name = "兴隆路街道办事处";
    update.expected_version = 1;
    Sifang__V1__OrgUnit *updated = WROTE(admin, "UnitUpdate", &update, &sifang__v1__org_unit__descriptor);
    if (SF_CHECK(updated != NULL)) {
        SF_CHECK_EQ_INT(updated->version, 2);
        SF_CHECK_EQ_STR(updated->name, "兴隆路街道办事处");
        SF_CHECK_EQ_STR(updated->parent_code, DISTRICT);
    }
    REFUSED(admin, "UnitUpdate", &update, SF_FAILED_PRECONDITION, "expected_version");
    update.expected_version = 0;
    update.code = "370205009";
    REFUSED(admin, "UnitUpdate", &update, SF_NOT_FOUND, NULL);
    update.code = ZONE_1;
    update.name = "";
    Sifang__V1__GeoPoint moved = SIFANG__V1__GEO_POINT__INIT;
    moved.lat = 36.2;
    moved.lon = 120.4;
    update.location = &moved;
    updated = WROTE(admin, "UnitUpdate", &update, &sifang__v1__org_unit__descriptor);
    if (SF_CHECK(updated != NULL)) {
        SF_CHECK_EQ_STR(updated->name, "一片区");
        SF_CHECK(updated->location && updated->location->lat > 36.15);
    }
    moved.lat = 91;
    REFUSED(admin, "UnitUpdate", &update, SF_INVALID_ARGUMENT, "location.lat");
}

static void
test_unit_bad_input(void)
{
    Sifang__V1__GeoPoint location = SIFANG__V1__GEO_POINT__INIT;
    location.lat = 36;
    location.lon = 120;
    char long_name[400];
    memset(long_name, 0, sizeof long_name);
    for (int i = 0; i < 101; i++)
        strcat(long_name, "区");
    struct {
        const char *code;
        Sifang__V1__UnitKind kind;
        const char *name;
        const char *parent;
        bool located;
        sf_status_t status;
        const char *field;
    } cases[] = {
        { "", SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "x", DISTRICT, false, SF_INVALID_ARGUMENT, "code" },
        { "37020500a", SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "x", DISTRICT, false, SF_INVALID_ARGUMENT, "code" },
        { "3702050033", SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "x", DISTRICT, false, SF_INVALID_ARGUMENT, "code" },
        { "370205003", SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED, "x", DISTRICT, false, SF_INVALID_ARGUMENT, "kind" },
        { "370205003", (Sifang__V1__UnitKind) 42, "x", DISTRICT, false, SF_INVALID_ARGUMENT, "kind" },
        { "370205003", SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "", DISTRICT, false, SF_INVALID_ARGUMENT, "name" },
        { "370205003", SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "   ", DISTRICT, false, SF_INVALID_ARGUMENT, "name" },
        { "370205003", SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, long_name, DISTRICT, false, SF_INVALID_ARGUMENT, "name" },
        { "370205003", SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "a\nb", DISTRICT, false, SF_INVALID_ARGUMENT, "name" },
        { "370205003", SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "x", "", false, SF_INVALID_ARGUMENT, "parent_code" },
        { "370205003", SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "x", STREET_1, false, SF_INVALID_ARGUMENT, "parent_code" },
        { "370206003", SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "x", DISTRICT, false, SF_INVALID_ARGUMENT, "code" },
        { "370206", SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT, "x", DISTRICT, false, SF_INVALID_ARGUMENT, "parent_code" },
        { "37020500100102", SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "x", COMMUNITY_1, false, SF_INVALID_ARGUMENT, "location" },
        { "370207001", SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "x", "370207", false, SF_FAILED_PRECONDITION, "parent_code" },
        { "37020500100902", SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "x", "370205001009", true, SF_FAILED_PRECONDITION, "parent_code" },
        { STREET_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "again", DISTRICT, false, SF_ALREADY_EXISTS, "code" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Sifang__V1__OrgUnit unit = SIFANG__V1__ORG_UNIT__INIT;
        unit.code = (char *) cases[i].code;
        unit.kind = cases[i].kind;
        unit.name = (char *) cases[i].name;
        unit.parent_code = (char *) cases[i].parent;
        unit.location = cases[i].located ? &location : NULL;
        refused(admin, "UnitCreate", &unit, cases[i].status, cases[i].field, 1000 + (int) i);
    }
    /* A zone's coordinates out of range. */
    Sifang__V1__OrgUnit unit = SIFANG__V1__ORG_UNIT__INIT;
    unit.code = "37020500100102";
    unit.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE;
    unit.name = "x";
    unit.parent_code = COMMUNITY_1;
    location.lon = 181;
    unit.location = &location;
    REFUSED(admin, "UnitCreate", &unit, SF_INVALID_ARGUMENT, "location.lon");
}

static void
test_households(void)
{
    Sifang__V1__HouseholdFlag laid_off[] = { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF };
    /* Given out of order and twice: stored sorted and once. */
    Sifang__V1__HouseholdFlag several[] = {
        SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME,
        SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_DISABLED,
        SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME,
    };
    Sifang__V1__Household *household = create_household(GROUP_1A "001", GROUP_1A, 1, laid_off);
    if (SF_CHECK(household != NULL)) {
        SF_CHECK_EQ_STR(household->zone_code, ZONE_1);
        SF_CHECK_EQ_INT(household->n_flags, 1);
        SF_CHECK_EQ_INT(household->residents, 0);
        SF_CHECK_EQ_INT(household->version, 1);
    }
    household = create_household(GROUP_1A "002", "", 3, several);   /* group derived */
    if (SF_CHECK(household != NULL)) {
        SF_CHECK_EQ_STR(household->building_group_code, GROUP_1A);
        if (SF_CHECK_EQ_INT(household->n_flags, 2)) {
            SF_CHECK_EQ_INT(household->flags[0], SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_DISABLED);
            SF_CHECK_EQ_INT(household->flags[1], SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME);
        }
    }
    SF_CHECK(create_household(GROUP_1A "003", GROUP_1A, 0, NULL) != NULL);
    SF_CHECK(create_household(GROUP_1B "001", GROUP_1B, 0, NULL) != NULL);
    SF_CHECK(create_household(GROUP_2 "001", GROUP_2, 1, laid_off) != NULL);

    /* Bad input. */
    Sifang__V1__HouseholdFlag bad_flag[] = { (Sifang__V1__HouseholdFlag) 99 };
    char long_address[300];
    memset(long_address, 'a', 201);
    long_address[201] = 0;
    struct {
        const char *code, *group, *address;
        size_t n_flags;
        Sifang__V1__HouseholdFlag *flags;
        sf_status_t status;
        const char *field;
    } cases[] = {
        { "", GROUP_1A, "", 0, NULL, SF_INVALID_ARGUMENT, "code" },
        { GROUP_1A "01", GROUP_1A, "", 0, NULL, SF_INVALID_ARGUMENT, "code" },
        { GROUP_1A "0a1", GROUP_1A, "", 0, NULL, SF_INVALID_ARGUMENT, "code" },
        { GROUP_1B "004", GROUP_1A, "", 0, NULL, SF_INVALID_ARGUMENT, "code" },
        { GROUP_1A "004", ZONE_1, "", 0, NULL, SF_INVALID_ARGUMENT, "building_group_code" },
        { GROUP_1A "004", GROUP_1A, long_address, 0, NULL, SF_INVALID_ARGUMENT, "address" },
        { GROUP_1A "004", GROUP_1A, "", 1, bad_flag, SF_INVALID_ARGUMENT, "flags[0]" },
        { "370205001001019001", "370205001001019", "", 0, NULL, SF_FAILED_PRECONDITION, "building_group_code" },
        { GROUP_1A "001", GROUP_1A, "", 0, NULL, SF_ALREADY_EXISTS, "code" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Sifang__V1__Household bad = SIFANG__V1__HOUSEHOLD__INIT;
        bad.code = (char *) cases[i].code;
        bad.building_group_code = (char *) cases[i].group;
        bad.address = (char *) cases[i].address;
        bad.n_flags = cases[i].n_flags;
        bad.flags = cases[i].flags;
        refused(admin, "HouseholdCreate", &bad, cases[i].status, cases[i].field, 2000 + (int) i);
    }

    /* Get, list, filter, page. */
    Sifang__V1__CodeRequest get = SIFANG__V1__CODE_REQUEST__INIT;
    get.code = GROUP_1A "002";
    SF_CHECK_EQ_INT(call(department, "HouseholdGet", &get, &sifang__v1__household__descriptor, &household, NULL), SF_OK);
    get.code = GROUP_1A "009";
    SF_CHECK_EQ_INT(call(department, "HouseholdGet", &get, &sifang__v1__household__descriptor, &household, NULL), SF_NOT_FOUND);
    Sifang__V1__HouseholdListRequest list = SIFANG__V1__HOUSEHOLD_LIST_REQUEST__INIT;
    Sifang__V1__HouseholdListReply *households;
    list.under = ZONE_1;
    if (SF_CHECK_EQ_INT(call(department, "HouseholdList", &list, &sifang__v1__household_list_reply__descriptor, &households, NULL), SF_OK))
        SF_CHECK_EQ_INT(households->n_households, 4);
    list.under = "";
    list.flag = SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF;
    if (SF_CHECK_EQ_INT(call(department, "HouseholdList", &list, &sifang__v1__household_list_reply__descriptor, &households, NULL), SF_OK)
        && SF_CHECK_EQ_INT(households->n_households, 2)) {
        SF_CHECK_EQ_STR(households->households[0]->code, GROUP_1A "001");
        SF_CHECK_EQ_STR(households->households[1]->code, GROUP_2 "001");
    }
    list.flag = 0;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 2;
    list.page = &page;
    int seen = 0;
    for (int pages = 0; pages < 10; pages++) {
        if (!SF_CHECK_EQ_INT(call(department, "HouseholdList", &list, &sifang__v1__household_list_reply__descriptor, &households, NULL), SF_OK))
            break;
        seen += (int) households->n_households;
        if (!*households->next_page_token)
            break;
        page.page_token = households->next_page_token;
    }
    SF_CHECK_EQ_INT(seen, 5);

    /* Updates. */
    Sifang__V1__HouseholdUpdateRequest update = SIFANG__V1__HOUSEHOLD_UPDATE_REQUEST__INIT;
    update.code = GROUP_1A "003";
    update.set_flags = true;
    Sifang__V1__HouseholdFlag elderly[] = { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_ELDERLY_ALONE };
    update.n_flags = 1;
    update.flags = elderly;
    update.expected_version = 1;
    household = WROTE(admin, "HouseholdUpdate", &update, &sifang__v1__household__descriptor);
    if (SF_CHECK(household != NULL)) {
        SF_CHECK_EQ_INT(household->version, 2);
        SF_CHECK_EQ_INT(household->n_flags, 1);
        SF_CHECK_EQ_STR(household->address, "人民路 1 号");
    }
    REFUSED(admin, "HouseholdUpdate", &update, SF_FAILED_PRECONDITION, "expected_version");
    update.expected_version = 0;
    update.set_flags = false;
    update.n_flags = 0;
    update.address = "人民路 3 号";
    household = WROTE(admin, "HouseholdUpdate", &update, &sifang__v1__household__descriptor);
    if (SF_CHECK(household != NULL)) {
        SF_CHECK_EQ_INT(household->n_flags, 1);   /* kept */
        SF_CHECK_EQ_STR(household->address, "人民路 3 号");
    }
    update.code = GROUP_1A "009";
    REFUSED(admin, "HouseholdUpdate", &update, SF_NOT_FOUND, NULL);
}

static Sifang__V1__Resident *first_resident;

static void
test_residents(void)
{
    Sifang__V1__Resident resident = SIFANG__V1__RESIDENT__INIT;
    resident.household_code = GROUP_1A "001";
    resident.name = "张三";
    resident.id_number = ID_NUMBER;
    resident.phone = PHONE;
    resident.relation = "head";
    resident.party_member = true;
    Sifang__V1__Resident *created = WROTE(admin, "ResidentCreate", &resident, &sifang__v1__resident__descriptor);
    first_resident = created;
    if (SF_CHECK(created != NULL)) {
        SF_CHECK_EQ_STR(created->id, "R0000001");
        SF_CHECK_EQ_STR(created->id_number, "");
        SF_CHECK_EQ_STR(created->id_number_masked, "370205********1232");
        SF_CHECK_EQ_STR(created->phone, PHONE);              /* admin sees it */
        SF_CHECK_EQ_STR(created->birth_date, "1990-03-07");  /* from the number */
        SF_CHECK_EQ_INT(created->gender, SIFANG__V1__GENDER__GENDER_MALE);
        SF_CHECK(created->party_member);
    }
    resident.id_number = "";
    resident.phone = "0532-88881234";
    resident.name = "李四";
    resident.relation = "spouse";
    resident.party_member = false;
    resident.birth_date = "1991-05-01";
    resident.gender = SIFANG__V1__GENDER__GENDER_FEMALE;
    SF_CHECK(WROTE(admin, "ResidentCreate", &resident, &sifang__v1__resident__descriptor) != NULL);
    resident.household_code = GROUP_2 "001";
    resident.name = "王五";
    resident.phone = "";
    resident.birth_date = "";
    resident.gender = 0;
    resident.id_number = ID_NUMBER_2;   /* with X */
    SF_CHECK(WROTE(admin, "ResidentCreate", &resident, &sifang__v1__resident__descriptor) != NULL);

    /* Nothing holds the number in the clear; the hash is 32 bytes. */
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.resident r WHERE r::text LIKE '%" ID_NUMBER "%'"), 0);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.resident WHERE octet_length(id_number_hash) = 32"), 2);

    /* Bad input. */
    char long_relation[64];
    memset(long_relation, 'r', 21);
    long_relation[21] = 0;
    struct {
        const char *household, *name, *id_number, *phone, *birth_date, *relation;
        int gender;
        sf_status_t status;
        const char *field;
    } cases[] = {
        { "", "x", "", "", "", "", 0, SF_INVALID_ARGUMENT, "household_code" },
        { GROUP_1A, "x", "", "", "", "", 0, SF_INVALID_ARGUMENT, "household_code" },
        { GROUP_1A "001", "", "", "", "", "", 0, SF_INVALID_ARGUMENT, "name" },
        { GROUP_1A "001", "x", "370205199003071233", "", "", "", 0, SF_INVALID_ARGUMENT, "id_number" },
        { GROUP_1A "001", "x", "37020519900307123", "", "", "", 0, SF_INVALID_ARGUMENT, "id_number" },
        { GROUP_1A "001", "x", "", "1381234567", "", "", 0, SF_INVALID_ARGUMENT, "phone" },
        { GROUP_1A "001", "x", "", "phone", "", "", 0, SF_INVALID_ARGUMENT, "phone" },
        /* The suite's phone rule (sf_ids.h): no mobile network starts 12,
         * a landline needs its area code. */
        { GROUP_1A "001", "x", "", "12345678901", "", "", 0, SF_INVALID_ARGUMENT, "phone" },
        { GROUP_1A "001", "x", "", "88881234", "", "", 0, SF_INVALID_ARGUMENT, "phone" },
        { GROUP_1A "001", "x", "", "0532-8888-1234", "", "", 0, SF_INVALID_ARGUMENT, "phone" },
        { GROUP_1A "001", "x", "", "", "1990-02-30", "", 0, SF_INVALID_ARGUMENT, "birth_date" },
        { GROUP_1A "001", "x", "", "", "", long_relation, 0, SF_INVALID_ARGUMENT, "relation" },
        { GROUP_1A "001", "x", "", "", "", "", 7, SF_INVALID_ARGUMENT, "gender" },
        { GROUP_1A "001", "x", "370205200002294560", "", "1999-01-01", "", 0, SF_INVALID_ARGUMENT, "birth_date" },
        { GROUP_1A "001", "x", "370205200002294560", "", "", "", SIFANG__V1__GENDER__GENDER_MALE, SF_INVALID_ARGUMENT, "gender" },
        { GROUP_1A "009", "x", "", "", "", "", 0, SF_FAILED_PRECONDITION, "household_code" },
        { GROUP_1A "002", "x", ID_NUMBER, "", "", "", 0, SF_ALREADY_EXISTS, "id_number" },
        { GROUP_1A "002", "x", "11010519491231002x", "", "", "", 0, SF_ALREADY_EXISTS, "id_number" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Sifang__V1__Resident bad = SIFANG__V1__RESIDENT__INIT;
        bad.household_code = (char *) cases[i].household;
        bad.name = (char *) cases[i].name;
        bad.id_number = (char *) cases[i].id_number;
        bad.phone = (char *) cases[i].phone;
        bad.birth_date = (char *) cases[i].birth_date;
        bad.relation = (char *) cases[i].relation;
        bad.gender = (Sifang__V1__Gender) cases[i].gender;
        refused(admin, "ResidentCreate", &bad, cases[i].status, cases[i].field, 3000 + (int) i);
    }
    /* A refused number is not echoed back. */
    Sifang__V1__Resident bad = SIFANG__V1__RESIDENT__INIT;
    bad.household_code = GROUP_1A "001";
    bad.name = "x";
    bad.id_number = "370205199003071233";
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(call(admin, "ResidentCreate", &bad, NULL, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(strstr(info.message ? info.message : "", "370205199003071233") == NULL);
    for (size_t i = 0; i < info.n_violations; i++)
        SF_CHECK(strstr(info.violation_descriptions[i], "370205199003071233") == NULL);

    /* Phones by role: admin, street see them; viewer, department do not. */
    Sifang__V1__IdRequest get = SIFANG__V1__ID_REQUEST__INIT;
    get.id = "R0000001";
    Sifang__V1__Resident *read;
    if (SF_CHECK_EQ_INT(call(department, "ResidentGet", &get, &sifang__v1__resident__descriptor, &read, NULL), SF_OK)) {
        SF_CHECK_EQ_STR(read->phone, PHONE_MASKED);
        SF_CHECK_EQ_STR(read->id_number, "");
        SF_CHECK_EQ_STR(read->id_number_masked, "370205********1232");
    }
    if (SF_CHECK_EQ_INT(call(department, "ResidentGet", &get, &sifang__v1__resident__descriptor, &read, NULL), SF_OK))
        SF_CHECK_EQ_STR(read->phone, PHONE_MASKED);
    if (SF_CHECK_EQ_INT(call(street, "ResidentGet", &get, &sifang__v1__resident__descriptor, &read, NULL), SF_OK))
        SF_CHECK_EQ_STR(read->phone, PHONE);
    get.id = "R0000002";
    if (SF_CHECK_EQ_INT(call(department, "ResidentGet", &get, &sifang__v1__resident__descriptor, &read, NULL), SF_OK))
        SF_CHECK_EQ_STR(read->phone, "0532-****1234");
    get.id = "R0000099";
    SF_CHECK_EQ_INT(call(department, "ResidentGet", &get, &sifang__v1__resident__descriptor, &read, NULL), SF_NOT_FOUND);
    get.id = "S0000001";
    REFUSED(department, "ResidentGet", &get, SF_INVALID_ARGUMENT, "id");

    /* Find by number, any case of the X. */
    Sifang__V1__ResidentFindRequest find = SIFANG__V1__RESIDENT_FIND_REQUEST__INIT;
    find.id_number = "11010519491231002x";
    if (SF_CHECK_EQ_INT(call(department, "ResidentFind", &find, &sifang__v1__resident__descriptor, &read, NULL), SF_OK)) {
        SF_CHECK_EQ_STR(read->name, "王五");
        SF_CHECK_EQ_STR(read->birth_date, "1949-12-31");
        SF_CHECK_EQ_INT(read->gender, SIFANG__V1__GENDER__GENDER_FEMALE);
    }
    find.id_number = "370205200002294560";
    SF_CHECK_EQ_INT(call(department, "ResidentFind", &find, &sifang__v1__resident__descriptor, &read, NULL), SF_NOT_FOUND);
    find.id_number = "12345";
    REFUSED(department, "ResidentFind", &find, SF_INVALID_ARGUMENT, "id_number");

    /* Lists. */
    Sifang__V1__ResidentListRequest list = SIFANG__V1__RESIDENT_LIST_REQUEST__INIT;
    Sifang__V1__ResidentListReply *residents;
    list.household_code = GROUP_1A "001";
    if (SF_CHECK_EQ_INT(call(department, "ResidentList", &list, &sifang__v1__resident_list_reply__descriptor, &residents, NULL), SF_OK)
        && SF_CHECK_EQ_INT(residents->n_residents, 2))
        SF_CHECK_EQ_STR(residents->residents[0]->phone, PHONE_MASKED);
    list.household_code = "";
    list.party_members_only = true;
    if (SF_CHECK_EQ_INT(call(department, "ResidentList", &list, &sifang__v1__resident_list_reply__descriptor, &residents, NULL), SF_OK))
        SF_CHECK_EQ_INT(residents->n_residents, 1);
    list.party_members_only = false;
    list.under = STREET_2;
    if (SF_CHECK_EQ_INT(call(department, "ResidentList", &list, &sifang__v1__resident_list_reply__descriptor, &residents, NULL), SF_OK))
        SF_CHECK_EQ_INT(residents->n_residents, 1);
    list.under = "";
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 1;
    list.page = &page;
    int seen = 0;
    for (int pages = 0; pages < 10; pages++) {
        if (!SF_CHECK_EQ_INT(call(department, "ResidentList", &list, &sifang__v1__resident_list_reply__descriptor, &residents, NULL), SF_OK))
            break;
        seen += (int) residents->n_residents;
        if (!*residents->next_page_token)
            break;
        page.page_token = residents->next_page_token;
    }
    SF_CHECK_EQ_INT(seen, 3);

    /* The household counts its residents. */
    Sifang__V1__CodeRequest household_get = SIFANG__V1__CODE_REQUEST__INIT;
    household_get.code = GROUP_1A "001";
    Sifang__V1__Household *household;
    if (SF_CHECK_EQ_INT(call(department, "HouseholdGet", &household_get, &sifang__v1__household__descriptor, &household, NULL), SF_OK))
        SF_CHECK_EQ_INT(household->residents, 2);

    /* Updates: move, phone, party membership, versions. */
    Sifang__V1__ResidentUpdateRequest update = SIFANG__V1__RESIDENT_UPDATE_REQUEST__INIT;
    update.id = "R0000002";
    update.household_code = GROUP_1A "002";
    update.phone = "13900001111";
    update.set_party_member = true;
    update.party_member = true;
    update.expected_version = 1;
    Sifang__V1__Resident *updated = WROTE(admin, "ResidentUpdate", &update, &sifang__v1__resident__descriptor);
    if (SF_CHECK(updated != NULL)) {
        SF_CHECK_EQ_STR(updated->household_code, GROUP_1A "002");
        SF_CHECK_EQ_STR(updated->phone, "13900001111");
        SF_CHECK(updated->party_member);
        SF_CHECK_EQ_STR(updated->name, "李四");
        SF_CHECK_EQ_INT(updated->version, 2);
    }
    REFUSED(admin, "ResidentUpdate", &update, SF_FAILED_PRECONDITION, "expected_version");
    update.expected_version = 0;
    update.household_code = GROUP_1A "009";
    REFUSED(admin, "ResidentUpdate", &update, SF_FAILED_PRECONDITION, "household_code");
    update.household_code = "";
    update.phone = "12";
    REFUSED(admin, "ResidentUpdate", &update, SF_INVALID_ARGUMENT, "phone");
    update.phone = "";
    update.id = "R0000099";
    REFUSED(admin, "ResidentUpdate", &update, SF_NOT_FOUND, NULL);
}

static Sifang__V1__Staff *cadre_1, *cadre_1b, *cadre_2, *committee_1, *leader, *part_time;

static void
test_departments(void)
{
    Sifang__V1__Department department_request = SIFANG__V1__DEPARTMENT__INIT;
    department_request.code = "civil-affairs";
    department_request.name = "区民政局";
    Sifang__V1__Department *created = WROTE(admin, "DepartmentCreate", &department_request,
                                            &sifang__v1__department__descriptor);
    if (SF_CHECK(created != NULL))
        SF_CHECK(created->created_unix_ms > 0);
    department_request.code = "human-resources";
    department_request.name = "区人社局";
    SF_CHECK(WROTE(admin, "DepartmentCreate", &department_request, &sifang__v1__department__descriptor) != NULL);
    department_request.code = "civil-affairs";
    REFUSED(admin, "DepartmentCreate", &department_request, SF_ALREADY_EXISTS, "code");
    department_request.code = "Civil Affairs";
    REFUSED(admin, "DepartmentCreate", &department_request, SF_INVALID_ARGUMENT, "code");
    department_request.code = "audit";
    department_request.name = "";
    REFUSED(admin, "DepartmentCreate", &department_request, SF_INVALID_ARGUMENT, "name");
    department_request.name = "审计局";
    REFUSED(street, "DepartmentCreate", &department_request, SF_PERMISSION_DENIED, NULL);

    Sifang__V1__DepartmentListRequest list = SIFANG__V1__DEPARTMENT_LIST_REQUEST__INIT;
    Sifang__V1__DepartmentListReply *departments;
    if (SF_CHECK_EQ_INT(call(street, "DepartmentList", &list, &sifang__v1__department_list_reply__descriptor, &departments, NULL), SF_OK))
        SF_CHECK_EQ_INT(departments->n_departments, 2);

    Sifang__V1__Pairing pairing = SIFANG__V1__PAIRING__INIT;
    pairing.department_code = "civil-affairs";
    pairing.community_code = COMMUNITY_1;
    Sifang__V1__Pairing *paired = WROTE(admin, "PairingCreate", &pairing, &sifang__v1__pairing__descriptor);
    if (SF_CHECK(paired != NULL)) {
        SF_CHECK_EQ_STR(paired->department_name, "区民政局");
        SF_CHECK_EQ_STR(paired->community_name, "福寿社区");
    }
    pairing.department_code = "human-resources";
    pairing.community_code = COMMUNITY_2;
    SF_CHECK(WROTE(admin, "PairingCreate", &pairing, &sifang__v1__pairing__descriptor) != NULL);
    REFUSED(admin, "PairingCreate", &pairing, SF_ALREADY_EXISTS, "department_code");
    pairing.community_code = ZONE_1;
    REFUSED(admin, "PairingCreate", &pairing, SF_INVALID_ARGUMENT, "community_code");
    pairing.community_code = "370205001009";
    REFUSED(admin, "PairingCreate", &pairing, SF_FAILED_PRECONDITION, "community_code");
    pairing.community_code = COMMUNITY_1;
    pairing.department_code = "audit";
    REFUSED(admin, "PairingCreate", &pairing, SF_FAILED_PRECONDITION, "department_code");
    pairing.department_code = "";
    REFUSED(admin, "PairingCreate", &pairing, SF_INVALID_ARGUMENT, "department_code");

    Sifang__V1__PairingListRequest pairing_list = SIFANG__V1__PAIRING_LIST_REQUEST__INIT;
    Sifang__V1__PairingListReply *pairings;
    pairing_list.under = STREET_2;
    if (SF_CHECK_EQ_INT(call(viewer, "PairingList", &pairing_list, &sifang__v1__pairing_list_reply__descriptor, &pairings, NULL), SF_OK)
        && SF_CHECK_EQ_INT(pairings->n_pairings, 1))
        SF_CHECK_EQ_STR(pairings->pairings[0]->department_code, "human-resources");
    pairing_list.under = "";
    if (SF_CHECK_EQ_INT(call(street, "PairingList", &pairing_list, &sifang__v1__pairing_list_reply__descriptor, &pairings, NULL), SF_OK))
        SF_CHECK_EQ_INT(pairings->n_pairings, 1);   /* clipped to its street */
}

static void
test_staff(void)
{
    cadre_1 = create_staff("赵街干", SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE, STREET_1, NULL, NULL);
    cadre_1b = create_staff("钱街干", SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE, STREET_1, NULL, NULL);
    cadre_2 = create_staff("孙街干", SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE, STREET_2, NULL, NULL);
    committee_1 = create_staff("周委员", SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE, COMMUNITY_1, NULL, NULL);
    leader = create_staff("吴区长", SIFANG__V1__STAFF_KIND__STAFF_KIND_DISTRICT_LEADER, DISTRICT, NULL, NULL);
    part_time = create_staff("郑兼职", SIFANG__V1__STAFF_KIND__STAFF_KIND_PART_TIME_COMMITTEE, COMMUNITY_1, NULL, "青岛啤酒厂");
    Sifang__V1__Staff *officer = create_staff("王科员", SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF, DISTRICT, "civil-affairs", NULL);
    if (!SF_CHECK(cadre_1 && cadre_1b && cadre_2 && committee_1 && leader && part_time && officer))
        return;
    SF_CHECK_EQ_STR(cadre_1->id, "S00001");
    SF_CHECK(cadre_1->active);
    SF_CHECK_EQ_STR(cadre_1->phone, STAFF_PHONE);
    SF_CHECK_EQ_STR(officer->department_code, "civil-affairs");

    struct {
        const char *name;
        int kind;
        const char *unit, *department_code, *employer, *phone;
        sf_status_t status;
        const char *field;
    } cases[] = {
        { "", 1, STREET_1, "", "", "", SF_INVALID_ARGUMENT, "name" },
        { "x", 0, STREET_1, "", "", "", SF_INVALID_ARGUMENT, "kind" },
        { "x", 1, "", "", "", "", SF_INVALID_ARGUMENT, "unit_code" },
        { "x", 1, STREET_1, "civil-affairs", "", "", SF_INVALID_ARGUMENT, "department_code" },
        { "x", 4, DISTRICT, "", "", "", SF_INVALID_ARGUMENT, "department_code" },
        { "x", 5, COMMUNITY_1, "", "", "", SF_INVALID_ARGUMENT, "employer" },
        { "x", 1, STREET_1, "", "", "555", SF_INVALID_ARGUMENT, "phone" },
        { "x", 1, COMMUNITY_1, "", "", "", SF_FAILED_PRECONDITION, "unit_code" },
        { "x", 1, "370205009", "", "", "", SF_FAILED_PRECONDITION, "unit_code" },
        { "x", 4, DISTRICT, "audit", "", "", SF_FAILED_PRECONDITION, "department_code" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Sifang__V1__Staff bad = SIFANG__V1__STAFF__INIT;
        bad.name = (char *) cases[i].name;
        bad.kind = (Sifang__V1__StaffKind) cases[i].kind;
        bad.unit_code = (char *) cases[i].unit;
        bad.department_code = (char *) cases[i].department_code;
        bad.employer = (char *) cases[i].employer;
        bad.phone = (char *) cases[i].phone;
        refused(admin, "StaffCreate", &bad, cases[i].status, cases[i].field, 4000 + (int) i);
    }

    Sifang__V1__IdRequest get = SIFANG__V1__ID_REQUEST__INIT;
    get.id = cadre_1->id;
    Sifang__V1__Staff *read;
    if (SF_CHECK_EQ_INT(call(viewer, "StaffGet", &get, &sifang__v1__staff__descriptor, &read, NULL), SF_OK))
        SF_CHECK_EQ_STR(read->phone, "139****5432");
    Sifang__V1__StaffListRequest list = SIFANG__V1__STAFF_LIST_REQUEST__INIT;
    Sifang__V1__StaffListReply *staff;
    list.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE;
    if (SF_CHECK_EQ_INT(call(viewer, "StaffList", &list, &sifang__v1__staff_list_reply__descriptor, &staff, NULL), SF_OK))
        SF_CHECK_EQ_INT(staff->n_staff, 3);
    list.kind = 0;
    list.under = STREET_1;
    if (SF_CHECK_EQ_INT(call(viewer, "StaffList", &list, &sifang__v1__staff_list_reply__descriptor, &staff, NULL), SF_OK))
        SF_CHECK_EQ_INT(staff->n_staff, 4);
    list.under = "";
    list.department_code = "civil-affairs";
    if (SF_CHECK_EQ_INT(call(viewer, "StaffList", &list, &sifang__v1__staff_list_reply__descriptor, &staff, NULL), SF_OK))
        SF_CHECK_EQ_INT(staff->n_staff, 1);
    list.department_code = "";
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 4;
    list.page = &page;
    int seen = 0;
    for (int pages = 0; pages < 10; pages++) {
        if (!SF_CHECK_EQ_INT(call(viewer, "StaffList", &list, &sifang__v1__staff_list_reply__descriptor, &staff, NULL), SF_OK))
            break;
        seen += (int) staff->n_staff;
        if (!*staff->next_page_token)
            break;
        page.page_token = staff->next_page_token;
    }
    SF_CHECK_EQ_INT(seen, 7);

    Sifang__V1__StaffUpdateRequest update = SIFANG__V1__STAFF_UPDATE_REQUEST__INIT;
    update.id = cadre_1b->id;
    update.title = "副主任";
    update.expected_version = 1;
    Sifang__V1__Staff *updated = WROTE(admin, "StaffUpdate", &update, &sifang__v1__staff__descriptor);
    if (SF_CHECK(updated != NULL)) {
        SF_CHECK_EQ_STR(updated->title, "副主任");
        SF_CHECK_EQ_INT(updated->version, 2);
    }
    REFUSED(admin, "StaffUpdate", &update, SF_FAILED_PRECONDITION, "expected_version");
    update.expected_version = 0;
    update.unit_code = COMMUNITY_1;
    REFUSED(admin, "StaffUpdate", &update, SF_FAILED_PRECONDITION, "unit_code");
    update.unit_code = "";
    update.id = "S99999";
    REFUSED(admin, "StaffUpdate", &update, SF_NOT_FOUND, NULL);
}

static void
test_responsibilities(void)
{
    if (!cadre_1 || !committee_1 || !leader || !part_time || !cadre_2 || !cadre_1b)
        return;
    Sifang__V1__Responsibility *assigned =
        assign(admin, cadre_1->id, ZONE_1, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE);
    if (SF_CHECK(assigned != NULL)) {
        SF_CHECK_EQ_STR(assigned->staff_name, "赵街干");
        SF_CHECK_EQ_STR(assigned->unit_name, "一片区");
        SF_CHECK(assigned->since_unix_ms > 0);
    }
    SF_CHECK(assign(admin, committee_1->id, ZONE_1,
                    SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE) != NULL);
    SF_CHECK(assign(admin, leader->id, STREET_1,
                    SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_LEADER_CONTACT) != NULL);
    SF_CHECK(assign(admin, leader->id, COMMUNITY_1,
                    SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_LEADER_CONTACT) != NULL);
    SF_CHECK(assign(street, part_time->id, COMMUNITY_1,
                    SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_PART_TIME_COMMITTEE) != NULL);

    struct {
        const char *staff_id, *unit;
        int kind;
        sf_client_t **client;
        sf_status_t status;
        const char *field;
    } cases[] = {
        /* A second cadre while the first holds the zone. */
        { cadre_1b->id, ZONE_1, 1, &admin, SF_ALREADY_EXISTS, "unit_code" },
        { cadre_1->id, ZONE_1, 1, &admin, SF_ALREADY_EXISTS, "unit_code" },
        { leader->id, STREET_1, 3, &admin, SF_ALREADY_EXISTS, "staff_id" },
        /* A cadre of another street, a committee member as cadre. */
        { cadre_2->id, ZONE_1, 1, &admin, SF_FAILED_PRECONDITION, "staff_id" },
        { committee_1->id, ZONE_2, 2, &admin, SF_FAILED_PRECONDITION, "staff_id" },
        { cadre_2->id, COMMUNITY_2, 1, &admin, SF_FAILED_PRECONDITION, "unit_code" },
        { leader->id, ZONE_1, 3, &admin, SF_FAILED_PRECONDITION, "unit_code" },
        { cadre_1->id, STREET_1, 3, &admin, SF_FAILED_PRECONDITION, "staff_id" },
        { part_time->id, COMMUNITY_2, 4, &admin, SF_FAILED_PRECONDITION, "staff_id" },
        { "S99999", ZONE_2, 1, &admin, SF_FAILED_PRECONDITION, "staff_id" },
        { cadre_2->id, "37020500200109", 1, &admin, SF_FAILED_PRECONDITION, "unit_code" },
        { "", ZONE_2, 1, &admin, SF_INVALID_ARGUMENT, "staff_id" },
        { "X1", ZONE_2, 1, &admin, SF_INVALID_ARGUMENT, "staff_id" },
        { cadre_2->id, "", 1, &admin, SF_INVALID_ARGUMENT, "unit_code" },
        { cadre_2->id, ZONE_2, 0, &admin, SF_INVALID_ARGUMENT, "kind" },
        /* Scope and role. */
        { cadre_2->id, ZONE_2, 1, &street, SF_PERMISSION_DENIED, NULL },
        { leader->id, COMMUNITY_1, 3, &street, SF_PERMISSION_DENIED, NULL },
        { cadre_2->id, ZONE_2, 1, &viewer, SF_PERMISSION_DENIED, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Sifang__V1__Responsibility bad = SIFANG__V1__RESPONSIBILITY__INIT;
        bad.staff_id = (char *) cases[i].staff_id;
        bad.unit_code = (char *) cases[i].unit;
        bad.kind = (Sifang__V1__ResponsibilityKind) cases[i].kind;
        refused(*cases[i].client, "ResponsibilityAssign", &bad, cases[i].status, cases[i].field,
                5000 + (int) i);
    }

    /* Moving or retiring staff who hold a responsibility is refused. */
    Sifang__V1__StaffUpdateRequest retire = SIFANG__V1__STAFF_UPDATE_REQUEST__INIT;
    retire.id = cadre_1->id;
    retire.set_active = true;
    retire.active = false;
    REFUSED(admin, "StaffUpdate", &retire, SF_FAILED_PRECONDITION, "active");
    retire.set_active = false;
    retire.unit_code = STREET_2;
    REFUSED(admin, "StaffUpdate", &retire, SF_FAILED_PRECONDITION, "unit_code");

    /* The zone view. */
    Sifang__V1__CodeRequest get = SIFANG__V1__CODE_REQUEST__INIT;
    get.code = ZONE_1;
    Sifang__V1__ZoneView *view;
    if (SF_CHECK_EQ_INT(call(viewer, "ZoneGet", &get, &sifang__v1__zone_view__descriptor, &view, NULL), SF_OK)) {
        SF_CHECK_EQ_STR(view->zone->code, ZONE_1);
        SF_CHECK_EQ_INT(view->n_building_groups, 2);
        SF_CHECK_EQ_INT(view->households, 4);
        SF_CHECK_EQ_INT(view->residents, 2);
        if (SF_CHECK_EQ_INT(view->n_responsible, 2)) {
            SF_CHECK_EQ_STR(view->responsible[0]->staff_id, cadre_1->id);
            SF_CHECK_EQ_INT(view->responsible[0]->kind, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE);
            SF_CHECK_EQ_STR(view->responsible[1]->staff_name, "周委员");
        }
    }
    get.code = COMMUNITY_1;
    SF_CHECK_EQ_INT(call(viewer, "ZoneGet", &get, &sifang__v1__zone_view__descriptor, &view, NULL), SF_NOT_FOUND);

    /* Who answers for a household. */
    Sifang__V1__ResponsibleForRequest ask = SIFANG__V1__RESPONSIBLE_FOR_REQUEST__INIT;
    ask.household_code = GROUP_1A "001";
    Sifang__V1__ResponsibleForReply *answer;
    if (SF_CHECK_EQ_INT(call(viewer, "ResponsibleFor", &ask, &sifang__v1__responsible_for_reply__descriptor, &answer, NULL), SF_OK)) {
        if (SF_CHECK_EQ_INT(answer->n_path, 5)) {
            SF_CHECK_EQ_STR(answer->path[0]->code, DISTRICT);
            SF_CHECK_EQ_STR(answer->path[4]->code, GROUP_1A);
        }
        SF_CHECK_EQ_STR(answer->zone_code, ZONE_1);
        /* Leader on the street, leader and part-timer on the community, the
         * zone's pair. */
        SF_CHECK_EQ_INT(answer->n_responsibilities, 5);
        if (SF_CHECK_EQ_INT(answer->n_pairings, 1))
            SF_CHECK_EQ_STR(answer->pairings[0]->department_code, "civil-affairs");
    }
    ask.household_code = "";
    ask.unit_code = STREET_1;
    if (SF_CHECK_EQ_INT(call(viewer, "ResponsibleFor", &ask, &sifang__v1__responsible_for_reply__descriptor, &answer, NULL), SF_OK)) {
        SF_CHECK_EQ_INT(answer->n_path, 2);
        SF_CHECK_EQ_STR(answer->zone_code, "");
        SF_CHECK_EQ_INT(answer->n_responsibilities, 1);
        SF_CHECK_EQ_INT(answer->n_pairings, 0);
    }
    ask.household_code = GROUP_1A "001";
    REFUSED(viewer, "ResponsibleFor", &ask, SF_INVALID_ARGUMENT, "unit_code");
    ask.household_code = "";
    ask.unit_code = "";
    REFUSED(viewer, "ResponsibleFor", &ask, SF_INVALID_ARGUMENT, "household_code");
    ask.household_code = GROUP_1A "009";
    SF_CHECK_EQ_INT(call(viewer, "ResponsibleFor", &ask, &sifang__v1__responsible_for_reply__descriptor, &answer, NULL), SF_NOT_FOUND);

    /* Lists and paging. */
    Sifang__V1__ResponsibilityListRequest list = SIFANG__V1__RESPONSIBILITY_LIST_REQUEST__INIT;
    Sifang__V1__ResponsibilityListReply *responsibilities;
    list.unit_code = COMMUNITY_1;
    if (SF_CHECK_EQ_INT(call(viewer, "ResponsibilityList", &list, &sifang__v1__responsibility_list_reply__descriptor, &responsibilities, NULL), SF_OK))
        SF_CHECK_EQ_INT(responsibilities->n_responsibilities, 4);
    list.unit_code = "";
    list.staff_id = leader->id;
    if (SF_CHECK_EQ_INT(call(viewer, "ResponsibilityList", &list, &sifang__v1__responsibility_list_reply__descriptor, &responsibilities, NULL), SF_OK))
        SF_CHECK_EQ_INT(responsibilities->n_responsibilities, 2);
    list.staff_id = "";
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 2;
    list.page = &page;
    int seen = 0;
    for (int pages = 0; pages < 10; pages++) {
        if (!SF_CHECK_EQ_INT(call(viewer, "ResponsibilityList", &list, &sifang__v1__responsibility_list_reply__descriptor, &responsibilities, NULL), SF_OK))
            break;
        seen += (int) responsibilities->n_responsibilities;
        if (!*responsibilities->next_page_token)
            break;
        page.page_token = responsibilities->next_page_token;
    }
    SF_CHECK_EQ_INT(seen, 5);

    /* Remove the cadre; then another may take the zone. */
    Sifang__V1__Responsibility remove = SIFANG__V1__RESPONSIBILITY__INIT;
    remove.staff_id = cadre_1->id;
    remove.unit_code = ZONE_1;
    remove.kind = SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE;
    Sifang__V1__Responsibility *removed = WROTE(street, "ResponsibilityRemove", &remove,
                                                &sifang__v1__responsibility__descriptor);
    if (SF_CHECK(removed != NULL))
        SF_CHECK_EQ_STR(removed->staff_name, "赵街干");
    REFUSED(street, "ResponsibilityRemove", &remove, SF_NOT_FOUND, NULL);
    SF_CHECK(assign(street, cadre_1b->id, ZONE_1,
                    SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE) != NULL);
}

static void
test_scope(void)
{
    /* A street principal sees its street only; outside is not found. */
    Sifang__V1__CodeRequest get = SIFANG__V1__CODE_REQUEST__INIT;
    get.code = STREET_2;
    Sifang__V1__OrgUnit *unit;
    SF_CHECK_EQ_INT(call(street, "UnitGet", &get, &sifang__v1__org_unit__descriptor, &unit, NULL), SF_NOT_FOUND);
    get.code = DISTRICT;
    SF_CHECK_EQ_INT(call(street, "UnitGet", &get, &sifang__v1__org_unit__descriptor, &unit, NULL), SF_NOT_FOUND);
    get.code = ZONE_1;
    SF_CHECK_EQ_INT(call(street, "UnitGet", &get, &sifang__v1__org_unit__descriptor, &unit, NULL), SF_OK);
    get.code = ZONE_2;
    Sifang__V1__ZoneView *view;
    SF_CHECK_EQ_INT(call(street, "ZoneGet", &get, &sifang__v1__zone_view__descriptor, &view, NULL), SF_NOT_FOUND);
    get.code = GROUP_2 "001";
    Sifang__V1__Household *household;
    SF_CHECK_EQ_INT(call(street, "HouseholdGet", &get, &sifang__v1__household__descriptor, &household, NULL), SF_NOT_FOUND);
    Sifang__V1__IdRequest id = SIFANG__V1__ID_REQUEST__INIT;
    id.id = "R0000003";   /* lives in street 2 */
    Sifang__V1__Resident *resident;
    SF_CHECK_EQ_INT(call(street, "ResidentGet", &id, &sifang__v1__resident__descriptor, &resident, NULL), SF_NOT_FOUND);
    Sifang__V1__ResidentFindRequest find = SIFANG__V1__RESIDENT_FIND_REQUEST__INIT;
    find.id_number = ID_NUMBER_2;
    SF_CHECK_EQ_INT(call(street, "ResidentFind", &find, &sifang__v1__resident__descriptor, &resident, NULL), SF_NOT_FOUND);
    if (cadre_2) {
        id.id = cadre_2->id;
        Sifang__V1__Staff *staff;
        SF_CHECK_EQ_INT(call(street, "StaffGet", &id, &sifang__v1__staff__descriptor, &staff, NULL), SF_NOT_FOUND);
    }

    Sifang__V1__UnitListRequest list = SIFANG__V1__UNIT_LIST_REQUEST__INIT;
    Sifang__V1__UnitListReply *units;
    if (SF_CHECK_EQ_INT(call(street, "UnitList", &list, &sifang__v1__unit_list_reply__descriptor, &units, NULL), SF_OK))
        SF_CHECK_EQ_INT(units->n_units, 5);
    list.under = STREET_2;
    if (SF_CHECK_EQ_INT(call(street, "UnitList", &list, &sifang__v1__unit_list_reply__descriptor, &units, NULL), SF_OK))
        SF_CHECK_EQ_INT(units->n_units, 0);
    Sifang__V1__HouseholdListRequest households = SIFANG__V1__HOUSEHOLD_LIST_REQUEST__INIT;
    Sifang__V1__HouseholdListReply *household_list;
    if (SF_CHECK_EQ_INT(call(street, "HouseholdList", &households, &sifang__v1__household_list_reply__descriptor, &household_list, NULL), SF_OK))
        SF_CHECK_EQ_INT(household_list->n_households, 4);

    /* Writes outside the scope, or by roles that may not write. */
    Sifang__V1__Household outside = SIFANG__V1__HOUSEHOLD__INIT;
    outside.code = GROUP_2 "002";
    outside.building_group_code = GROUP_2;
    REFUSED(street, "HouseholdCreate", &outside, SF_PERMISSION_DENIED, NULL);
    REFUSED(viewer, "HouseholdCreate", &outside, SF_PERMISSION_DENIED, NULL);
    REFUSED(department, "HouseholdCreate", &outside, SF_PERMISSION_DENIED, NULL);
    outside.code = GROUP_1B "002";
    outside.building_group_code = GROUP_1B;
    SF_CHECK(WROTE(street, "HouseholdCreate", &outside, &sifang__v1__household__descriptor) != NULL);
    Sifang__V1__OrgUnit unit_request = SIFANG__V1__ORG_UNIT__INIT;
    unit_request.code = "370205001002";
    unit_request.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY;
    unit_request.name = "新社区";
    unit_request.parent_code = STREET_1;
    REFUSED(street, "UnitCreate", &unit_request, SF_PERMISSION_DENIED, NULL);
    Sifang__V1__ResidentUpdateRequest move = SIFANG__V1__RESIDENT_UPDATE_REQUEST__INIT;
    move.id = "R0000001";
    move.household_code = GROUP_2 "001";
    REFUSED(street, "ResidentUpdate", &move, SF_PERMISSION_DENIED, NULL);
    move.id = "R0000003";
    move.household_code = "";
    move.name = "改名";
    REFUSED(street, "ResidentUpdate", &move, SF_NOT_FOUND, NULL);

    /* The summary, whole and clipped. */
    Sifang__V1__GridSummaryRequest ask = SIFANG__V1__GRID_SUMMARY_REQUEST__INIT;
    Sifang__V1__GridSummaryReply *summary;
    if (SF_CHECK_EQ_INT(call(viewer, "Summary", &ask, &sifang__v1__grid_summary_reply__descriptor, &summary, NULL), SF_OK)) {
        SF_CHECK_EQ_INT(summary->streets, 2);
        SF_CHECK_EQ_INT(summary->communities, 2);
        SF_CHECK_EQ_INT(summary->zones, 2);
        SF_CHECK_EQ_INT(summary->building_groups, 3);
        SF_CHECK_EQ_INT(summary->households, 6);
        SF_CHECK_EQ_INT(summary->residents, 3);
        SF_CHECK_EQ_INT(summary->staff, 7);
        SF_CHECK_EQ_INT(summary->households_in_difficulty, 4);
        SF_CHECK_EQ_INT(summary->zones_fully_staffed, 1);
    }
    if (SF_CHECK_EQ_INT(call(street, "Summary", &ask, &sifang__v1__grid_summary_reply__descriptor, &summary, NULL), SF_OK)) {
        SF_CHECK_EQ_INT(summary->streets, 1);
        SF_CHECK_EQ_INT(summary->households, 5);
        SF_CHECK_EQ_INT(summary->residents, 2);
        SF_CHECK_EQ_INT(summary->staff, 4);
    }
    ask.under = STREET_2;
    if (SF_CHECK_EQ_INT(call(street, "Summary", &ask, &sifang__v1__grid_summary_reply__descriptor, &summary, NULL), SF_OK))
        SF_CHECK_EQ_INT(summary->households, 0);
}

/* --- the summary's zone figures ------------------------------------------- */

/* Zones whose kept figures differ from a count of the rows (0: none). */
#define ZONE_FIGURES_WRONG \
    "SELECT count(*) FROM grid.zone_figures f FULL JOIN" \
    " (SELECT zone, sum(households) AS households, sum(residents) AS residents, sum(difficulty) AS difficulty" \
    "   FROM (SELECT left(code, 14) AS zone, 1 AS households, 0 AS residents," \
    "          (cardinality(flags) > 0)::int AS difficulty FROM grid.household" \
    "         UNION ALL SELECT left(household_code, 14), 0, 1, 0 FROM grid.resident) c GROUP BY zone) r" \
    " ON r.zone = f.zone_code" \
    " WHERE (COALESCE(f.households, 0), COALESCE(f.residents, 0), COALESCE(f.households_in_difficulty, 0))" \
    "  IS DISTINCT FROM (COALESCE(r.households, 0), COALESCE(r.residents, 0), COALESCE(r.difficulty, 0))"

/* Summary of every unit and of the whole district, field by field, against
 * the rows counted in SQL, as Summary counted them before zone_figures. */
static void
check_summary_of_every_unit(sf_client_t *client, const char *when)
{
    PGresult *units = PQexec(db, "SELECT '' UNION ALL SELECT code FROM grid.org_unit ORDER BY 1");
    if (!SF_CHECK(PQresultStatus(units) == PGRES_TUPLES_OK)) {
        PQclear(units);
        return;
    }
    SF_CHECK(PQntuples(units) > 8);
    for (int u = 0; u < PQntuples(units); u++) {
        const char *code = PQgetvalue(units, u, 0);
        const char *params[1] = { code };
        PGresult *counted = PQexecParams(db,
            "SELECT (SELECT count(*) FROM grid.org_unit WHERE kind = 2 AND starts_with(code, $1)),"
            " (SELECT count(*) FROM grid.org_unit WHERE kind = 3 AND starts_with(code, $1)),"
            " (SELECT count(*) FROM grid.org_unit WHERE kind = 4 AND starts_with(code, $1)),"
            " (SELECT count(*) FROM grid.org_unit WHERE kind = 5 AND starts_with(code, $1)),"
            " (SELECT count(*) FROM grid.household WHERE starts_with(code, $1)),"
            " (SELECT count(*) FROM grid.resident WHERE starts_with(household_code, $1)),"
            " (SELECT count(*) FROM grid.staff WHERE active AND starts_with(unit_code, $1)),"
            " (SELECT count(*) FROM grid.household WHERE cardinality(flags) > 0 AND starts_with(code, $1)),"
            " (SELECT count(*) FROM (SELECT unit_code FROM grid.responsibility WHERE kind IN (1, 2)"
            "   AND starts_with(unit_code, $1) GROUP BY unit_code HAVING count(DISTINCT kind) = 2) s)",
            1, NULL, params, NULL, NULL, 0);
        Sifang__V1__GridSummaryRequest ask = SIFANG__V1__GRID_SUMMARY_REQUEST__INIT;
        ask.under = (char *) code;
        Sifang__V1__GridSummaryReply *summary = NULL;
        if (SF_CHECK(PQresultStatus(counted) == PGRES_TUPLES_OK)
            && SF_CHECK_EQ_INT(call(client, "Summary", &ask, &sifang__v1__grid_summary_reply__descriptor, &summary,
                                    NULL), SF_OK)) {
            int32_t got[] = { summary->streets, summary->communities, summary->zones, summary->building_groups,
                              summary->households, summary->residents, summary->staff,
                              summary->households_in_difficulty, summary->zones_fully_staffed };
            for (int f = 0; f < 9; f++)
                if (got[f] != atoi(PQgetvalue(counted, 0, f)))
                    SF_FAIL("%s: Summary of \"%s\": field %d is %d, the rows say %s", when, code, f + 1, got[f],
                            PQgetvalue(counted, 0, f));
        }
        PQclear(counted);
    }
    PQclear(units);
}

/* Households and residents written every way grid writes them (created,
 * flagged and unflagged, moved within a zone and to another zone, each
 * before and here), and after each the summary of every unit is what
 * counting the rows gives. */
static void
test_summary_figures(void)
{
    SF_CHECK_EQ_INT(count(ZONE_FIGURES_WRONG), 0);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.zone_figures WHERE households > 0"), 2);
    check_summary_of_every_unit(viewer, "after the households and residents tests");

    Sifang__V1__HouseholdFlag flags[] = { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME };
    create_household(GROUP_2 "007", GROUP_2, 1, flags);
    Sifang__V1__ResidentUpdateRequest move = SIFANG__V1__RESIDENT_UPDATE_REQUEST__INIT;
    move.id = "R0000002";
    move.household_code = GROUP_2 "007";
    WROTE(admin, "ResidentUpdate", &move, &sifang__v1__resident__descriptor);
    Sifang__V1__HouseholdUpdateRequest unflag = SIFANG__V1__HOUSEHOLD_UPDATE_REQUEST__INIT;
    unflag.code = GROUP_1A "003";
    unflag.set_flags = true;
    WROTE(admin, "HouseholdUpdate", &unflag, &sifang__v1__household__descriptor);
    SF_CHECK_EQ_INT(count(ZONE_FIGURES_WRONG), 0);
    check_summary_of_every_unit(viewer, "after a move to another zone and flags changed");
    SF_CHECK_EQ_INT(count("SELECT residents FROM grid.zone_figures WHERE zone_code = '" ZONE_2 "'"),
                    count("SELECT count(*) FROM grid.resident WHERE household_code LIKE '" ZONE_2 "%'"));
}

/* Migration 005 on a grid that holds households and residents: the daemon
 * stopped, the figures and their triggers dropped and the migration made
 * pending again, grid builds them from the rows when it starts. */
static void
test_summary_migration(sf_test_daemon_t **daemon, const char *path, const char *const env[])
{
    SF_CHECK_EQ_INT(sf_test_daemon_stop(daemon), 0);
    SF_CHECK(sf_test_pg_exec(db,
        "DROP FUNCTION grid.household_figures_insert, grid.household_figures_update, grid.household_figures_delete,"
        " grid.resident_figures_insert, grid.resident_figures_update, grid.resident_figures_delete CASCADE;"
        " DROP TABLE grid.zone_figures;"
        " DELETE FROM grid.schema_migrations WHERE component = 'grid' AND version = 5") == 0);
    *daemon = sf_test_daemon_start(path, env, log_path);
    if (!SF_CHECK(*daemon != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(*daemon, 10000), 0))
        return;
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.schema_migrations WHERE component = 'grid' AND version = 5"), 1);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.zone_figures"), 2);
    SF_CHECK_EQ_INT(count(ZONE_FIGURES_WRONG), 0);
    sf_client_t *client = sf_client_new(sf_test_daemon_endpoint(*daemon, "endpoint"), NULL);
    if (SF_CHECK(client != NULL)) {
        sf_client_set_principal(client, "it-viewer", "viewer", "");
        check_summary_of_every_unit(client, "after migration 005");
    }
    sf_client_destroy(&client);
}

static void
test_events(void)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = 0;
    fetch.limit = 10000;
    Sifang__V1__EventsFetchReply *reply;
    if (!SF_CHECK_EQ_INT(call(viewer, "Sys.EventsFetch", &fetch, &sifang__v1__events_fetch_reply__descriptor, &reply, NULL), SF_OK))
        return;
    SF_CHECK_EQ_INT(reply->n_events, events_expected);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.event_log"), events_expected);
    const char *types[] = {
        "unit.created", "unit.updated", "household.created", "household.updated",
        "resident.created", "resident.updated", "staff.created", "staff.updated",
        "responsibility.assigned", "responsibility.removed", "department.created", "pairing.created",
    };
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        bool found = false;
        for (size_t i = 0; i < reply->n_events && !found; i++)
            found = strcmp(reply->events[i]->type, types[t]) == 0;
        if (!found)
            SF_FAIL("no %s event", types[t]);
    }
    /* Resident and staff events carry masked phones and no numbers. */
    int residents = 0, staff = 0;
    for (size_t i = 0; i < reply->n_events; i++) {
        Sifang__V1__Event *event = reply->events[i];
        SF_CHECK_EQ_STR(event->source, "grid");
        if (strcmp(event->type, "resident.created") == 0 && strcmp(event->key, "R0000001") == 0) {
            SF_CHECK_EQ_STR(event->payload_type, "sifang.v1.Resident");
            Sifang__V1__Resident *payload = sifang__v1__resident__unpack(NULL, event->payload.len, event->payload.data);
            if (SF_CHECK(payload != NULL)) {
                SF_CHECK_EQ_STR(payload->phone, PHONE_MASKED);
                SF_CHECK_EQ_STR(payload->id_number, "");
                SF_CHECK_EQ_STR(payload->id_number_masked, "370205********1232");
                SF_CHECK_EQ_STR(payload->name, "张三");
                sifang__v1__resident__free_unpacked(payload, NULL);
            }
            residents++;
        }
        if (strcmp(event->type, "staff.created") == 0 && first_resident && staff == 0) {
            Sifang__V1__Staff *payload = sifang__v1__staff__unpack(NULL, event->payload.len, event->payload.data);
            if (SF_CHECK(payload != NULL)) {
                SF_CHECK_EQ_STR(payload->phone, "139****5432");
                sifang__v1__staff__free_unpacked(payload, NULL);
            }
            staff++;
        }
        if (strcmp(event->type, "unit.created") == 0 && strcmp(event->key, ZONE_1) == 0) {
            Sifang__V1__OrgUnit *payload = sifang__v1__org_unit__unpack(NULL, event->payload.len, event->payload.data);
            if (SF_CHECK(payload != NULL)) {
                SF_CHECK_EQ_STR(payload->code, ZONE_1);
                SF_CHECK(payload->location != NULL);
                sifang__v1__org_unit__free_unpacked(payload, NULL);
            }
        }
    }
    SF_CHECK_EQ_INT(residents, 1);
    SF_CHECK_EQ_INT(staff, 1);
    /* No identifier in the clear anywhere in the log. */
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.event_log WHERE"
                          " position(convert_to('" PHONE "', 'UTF8') IN payload) > 0"
                          " OR position(convert_to('" STAFF_PHONE "', 'UTF8') IN payload) > 0"
                          " OR position(convert_to('13900001111', 'UTF8') IN payload) > 0"
                          " OR position(convert_to('88881234', 'UTF8') IN payload) > 0"
                          " OR position(convert_to('" ID_NUMBER "', 'UTF8') IN payload) > 0"
                          " OR position(convert_to('" ID_NUMBER_2 "', 'UTF8') IN payload) > 0"),
                    0);
}

/* The daemon's log never names an identity number or a phone. */
static void
test_log_clean(void)
{
    FILE *file = fopen(log_path, "r");
    if (!SF_CHECK(file != NULL))
        return;
    char line[8192];
    int lines = 0;
    const char *secrets[] = { ID_NUMBER, ID_NUMBER_2, "11010519491231002x", "370205199003071233",
                              PHONE, STAFF_PHONE, "13900001111", "88881234" };
    while (fgets(line, sizeof line, file)) {
        lines++;
        for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
            if (strstr(line, secrets[i]))
                SF_FAIL("the log names %s: %s", secrets[i], line);
    }
    fclose(file);
    SF_CHECK(lines > 0);
}

int
main(void)
{
    char dir[256], path[512];
    char endpoint_env[128], publish_env[128], key_env[600];
    sf_test_daemon_t *daemon = NULL;
    char *endpoint = NULL, *publish = NULL;
    if (!SF_CHECK_EQ_INT(sf_test_pg_env("grid_it"), 0) || !SF_CHECK_EQ_INT(sf_test_tmpdir(dir, sizeof dir), 0))
        return sf_test_done();
    db = sf_test_pg_connect();
    if (!SF_CHECK(db != NULL))
        goto cleanup;
    /* Each run starts from an empty schema. */
    if (grid_test_prepare(db, "grid", dir, key_env, sizeof key_env) != 0)
        goto cleanup;
    snprintf(log_path, sizeof log_path, "%s/grid.log", dir);
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "grid"), 0))
        goto cleanup;
    /* TCP port 0: grid says the ports it got in its serving line. */
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=%s", SF_TEST_TCP_ANY);
    const char *env[] = {
        endpoint_env, publish_env, key_env,
        "SIFANG_GRID_DATABASE_URL=user=sifang_grid",
        NULL,
    };
    daemon = sf_test_daemon_start(path, env, log_path);
    if (!SF_CHECK(daemon != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(daemon, 10000), 0))
        goto cleanup;
    endpoint = strdup(sf_test_daemon_endpoint(daemon, "endpoint") ? sf_test_daemon_endpoint(daemon, "endpoint") : "");
    publish = strdup(sf_test_daemon_endpoint(daemon, "publish") ? sf_test_daemon_endpoint(daemon, "publish") : "");
    if (!SF_CHECK(endpoint && publish && strncmp(endpoint, "tcp://127.0.0.1:", 16) == 0))
        goto cleanup;

    admin = sf_client_new(endpoint, NULL);
    street = sf_client_new(endpoint, NULL);
    viewer = sf_client_new(endpoint, NULL);
    department = sf_client_new(endpoint, NULL);
    if (!SF_CHECK(admin && street && viewer && department))
        goto cleanup;
    sf_client_set_principal(admin, "it-admin", "admin", "");
    sf_client_set_principal(street, "it-street", "street", STREET_1);
    sf_client_set_principal(viewer, "it-viewer", "viewer", "");
    sf_client_set_principal(department, "it-department", "department", "");
    if (!SF_CHECK(sf_test_wait_database(admin, 20000)))
        goto cleanup;

    test_units();
    test_unit_bad_input();
    test_households();
    test_residents();
    test_departments();
    test_staff();
    test_responsibilities();
    test_scope();
    test_summary_figures();
    test_events();
    test_summary_migration(&daemon, path, env);
    if (daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemon), 0);
    test_log_clean();

cleanup:
    release_kept();
    sf_client_destroy(&admin);
    sf_client_destroy(&street);
    sf_client_destroy(&viewer);
    sf_client_destroy(&department);
    if (daemon)
        sf_test_daemon_stop(&daemon);
    free(endpoint);
    free(publish);
    if (db)
        PQfinish(db);
    return grid_test_done(dir);
}
