/* Integration test of sifang-grid's rules for people logged in at the
 * gateway (personal accounts, issue 15): for every method that reads or
 * writes residents, households and staff, a person whose resident duty
 * reaches the record, one whose duty does not, roles without that duty
 * (leader, appraisal office, privacy officer), the anonymous viewer key and
 * the admin key; every field shown compared with the row in SQL, in the
 * clear or masked by the suite's masks. Then reveals and exports (the
 * resident whole, exactly one row in the access log, written in the same
 * transaction as the stored reply, none when the write fails) and the
 * privacy officer's AccessLogList with its filters and paging. */
#include "sf_test.h"
#include "sf_test_person.h"
#include "grid_test_support.h"
#include "sf_client.h"
#include "sf_ids.h"
#include "sifang/v1/grid.pb-c.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUSEHOLD_1 GROUP_1A "001"   /* street 1, flags laid off and low income */
#define HOUSEHOLD_2 GROUP_2 "001"    /* street 2 */

static PGconn *db;
static char resident_1[16], resident_2[16], resident_3[16], staff_1[16];

/* Keys. */
static sf_client_t *admin, *viewer, *department;
/* People: a street's staff (view and write street 1, search the district);
 * a community's staff of street 2; a zone cadre (view and write zone 1,
 * search street 1); a window clerk who views street 1 but writes only in
 * street 2; a leader and the appraisal office (the district, no duty to
 * residents); the privacy officer; a street's staff of street 1 who is also
 * a leader (two grants). */
static sf_client_t *street_staff, *community_2, *zone_cadre, *clerk_view_only, *leader, *appraisal,
    *privacy, *leader_and_street;

static ProtobufCMessage *kept[1024];
static size_t n_kept;

static sf_status_t
call_as(sf_client_t *client, const char *method, const char *request_id, const void *request,
        const ProtobufCMessageDescriptor *descriptor, void *reply_p, sf_reply_info_t *info)
{
    ProtobufCMessage *reply = NULL;
    sf_reply_info_t local;
    sf_status_t status = sf_client_call(client, method, request_id, (const ProtobufCMessage *) request,
                                        descriptor, &reply, info ? info : &local);
    if (reply && n_kept < sizeof kept / sizeof kept[0])
        kept[n_kept++] = reply;
    if (reply_p)
        *(ProtobufCMessage **) reply_p = status == SF_OK ? reply : NULL;
    return status;
}
#define CALL(client, method, request, descriptor, reply_p) \
    call_as(client, method, NULL, request, descriptor, reply_p, NULL)

/* Expects status; reports the line of the test. */
static bool
expect(sf_status_t got, sf_status_t want, const char *what, int line)
{
    if (got == want)
        return SF_CHECK(true);
    return SF_FAIL("line %d: %s: expected %s, got %s", line, what, sf_status_name(want), sf_status_name(got));
}
#define EXPECT(got, want, what) expect(got, want, what, __LINE__)

static bool
field_eq(const char *got, const char *want, const char *field, int line)
{
    if (strcmp(got ? got : "", want ? want : "") == 0)
        return SF_CHECK(true);
    return SF_FAIL("line %d: %s is \"%s\", expected \"%s\"", line, field, got ? got : "(null)", want);
}

static long long
count(const char *format, ...) __attribute__((format(printf, 1, 2)));
static long long
count(const char *format, ...)
{
    char sql[2048];
    va_list args;
    va_start(args, format);
    vsnprintf(sql, sizeof sql, format, args);
    va_end(args);
    return sf_test_pg_int(db, sql);
}

/* --- what a caller sees of a resident and a household ------------------ */

typedef enum {
    SHOW_WHOLE,    /* everything in the clear: the admin key, a reveal */
    SHOW_KEY,      /* a key that may not see phones: the phone masked */
    SHOW_DUTY,     /* a person whose resident duty reaches: birth date and phone masked */
    SHOW_MASKED,   /* any other person: name, birth date and phone masked */
} show_t;

static void
check_resident(const Sifang__V1__Resident *resident, show_t show, int line)
{
    long long serial = 0;
    if (!SF_CHECK(resident != NULL) || sscanf(resident->id, "R%lld", &serial) != 1) {
        SF_FAIL("line %d: no resident", line);
        return;
    }
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT household_code, name, gender, COALESCE(to_char(birth_date, 'YYYY-MM-DD'), ''),"
             " id_number_masked, phone, party_member::text, relation, version FROM grid.resident"
             " WHERE serial = %lld", serial);
    PGresult *row = PQexec(db, sql);
    if (PQresultStatus(row) != PGRES_TUPLES_OK || PQntuples(row) != 1) {
        SF_FAIL("line %d: resident %s not in SQL", line, resident->id);
        PQclear(row);
        return;
    }
    char name[SF_MASK_SIZE], birth_date[SF_MASK_SIZE], phone[SF_MASK_SIZE];
    if (show == SHOW_MASKED)
        sf_name_mask(PQgetvalue(row, 0, 1), name, sizeof name);
    else
        snprintf(name, sizeof name, "%s", PQgetvalue(row, 0, 1));
    if (show == SHOW_DUTY || show == SHOW_MASKED)
        sf_birth_date_mask(PQgetvalue(row, 0, 3), birth_date, sizeof birth_date);
    else
        snprintf(birth_date, sizeof birth_date, "%s", PQgetvalue(row, 0, 3));
    if (show == SHOW_WHOLE)
        snprintf(phone, sizeof phone, "%s", PQgetvalue(row, 0, 5));
    else
        sf_phone_mask(PQgetvalue(row, 0, 5), phone, sizeof phone);
    field_eq(resident->household_code, PQgetvalue(row, 0, 0), "household_code", line);
    field_eq(resident->name, name, "name", line);
    if ((int) resident->gender != atoi(PQgetvalue(row, 0, 2)))
        SF_FAIL("line %d: gender %d", line, resident->gender);
    field_eq(resident->birth_date, birth_date, "birth_date", line);
    field_eq(resident->id_number, "", "id_number", line);
    field_eq(resident->id_number_masked, PQgetvalue(row, 0, 4), "id_number_masked", line);
    field_eq(resident->phone, phone, "phone", line);
    field_eq(resident->party_member ? "true" : "false", PQgetvalue(row, 0, 6), "party_member", line);
    field_eq(resident->relation, PQgetvalue(row, 0, 7), "relation", line);
    if (resident->version != atoll(PQgetvalue(row, 0, 8)))
        SF_FAIL("line %d: version %lld", line, (long long) resident->version);
    PQclear(row);
}

/* Flags as smallint[]'s text: "{1,4}". */
static void
flags_text(size_t n, const Sifang__V1__HouseholdFlag *flags, char *out, size_t size)
{
    size_t at = (size_t) snprintf(out, size, "{");
    for (size_t i = 0; i < n && at < size; i++)
        at += (size_t) snprintf(out + at, size - at, "%s%d", i ? "," : "", flags[i]);
    snprintf(out + at, size - at, "}");
}

/* A household's address and flags as shown, against SQL: clear, or the
 * address masked and no flags. */
static void
check_address(const char *code, const char *address, size_t n_flags, const Sifang__V1__HouseholdFlag *flags,
              bool clear, int line)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT address, flags::text FROM grid.household WHERE code = '%s'", code);
    PGresult *row = PQexec(db, sql);
    if (PQresultStatus(row) != PGRES_TUPLES_OK || PQntuples(row) != 1) {
        SF_FAIL("line %d: household %s not in SQL", line, code);
        PQclear(row);
        return;
    }
    char want[SF_MASK_SIZE], got_flags[64];
    if (clear)
        snprintf(want, sizeof want, "%s", PQgetvalue(row, 0, 0));
    else
        sf_address_mask(PQgetvalue(row, 0, 0), want, sizeof want);
    field_eq(address, want, "address", line);
    flags_text(n_flags, flags, got_flags, sizeof got_flags);
    field_eq(got_flags, clear ? PQgetvalue(row, 0, 1) : "{}", "flags", line);
    PQclear(row);
}

static void
check_household(const Sifang__V1__Household *household, bool clear, int line)
{
    if (!SF_CHECK(household != NULL))
        return;
    check_address(household->code, household->address, household->n_flags, household->flags, clear, line);
    if (household->residents != count("SELECT count(*) FROM grid.resident WHERE household_code = '%s'",
                                      household->code))
        SF_FAIL("line %d: residents %d", line, household->residents);
    if (household->version != count("SELECT version FROM grid.household WHERE code = '%s'", household->code))
        SF_FAIL("line %d: version", line);
}

static void
check_revealed(const Sifang__V1__RevealedResident *revealed, int line)
{
    if (!SF_CHECK(revealed != NULL && revealed->resident != NULL))
        return;
    check_resident(revealed->resident, SHOW_WHOLE, line);
    check_address(revealed->resident->household_code, revealed->address, revealed->n_flags, revealed->flags,
                  true, line);
}

/* The newest access log row against what it should say. */
static void
check_log_row(const char *actor, const char *roles, const char *kind, const char *method,
              const char *request_id, const char *resident_ids, const char *filter, int rows,
              const char *reason, int line)
{
    PGresult *row = PQexec(db,
        "SELECT actor, account, array_to_string(roles, ' '), kind, method, request_id,"
        " array_to_string(resident_ids, ' '), filter, row_count::text, reason"
        " FROM grid.personal_access_log ORDER BY id DESC LIMIT 1");
    if (PQresultStatus(row) != PGRES_TUPLES_OK || PQntuples(row) != 1) {
        SF_FAIL("line %d: no access log row", line);
        PQclear(row);
        return;
    }
    char rows_text[16];
    snprintf(rows_text, sizeof rows_text, "%d", rows);
    field_eq(PQgetvalue(row, 0, 0), actor, "actor", line);
    /* Keys have no account; a test person's account is their id. */
    field_eq(PQgetvalue(row, 0, 1), actor[0] == 'S' ? actor : "", "account", line);
    field_eq(PQgetvalue(row, 0, 2), roles, "roles", line);
    field_eq(PQgetvalue(row, 0, 3), kind, "kind", line);
    field_eq(PQgetvalue(row, 0, 4), method, "method", line);
    if (request_id)
        field_eq(PQgetvalue(row, 0, 5), request_id, "request_id", line);
    field_eq(PQgetvalue(row, 0, 6), resident_ids, "resident_ids", line);
    if (filter)
        field_eq(PQgetvalue(row, 0, 7), filter, "filter", line);
    field_eq(PQgetvalue(row, 0, 8), rows_text, "row_count", line);
    field_eq(PQgetvalue(row, 0, 9), reason, "reason", line);
    PQclear(row);
}

/* --- the district ------------------------------------------------------- */

static void
build_district(void)
{
    struct { const char *code; int kind; const char *parent; } units[] = {
        { DISTRICT, 1, "" }, { STREET_1, 2, DISTRICT }, { STREET_2, 2, DISTRICT },
        { COMMUNITY_1, 3, STREET_1 }, { COMMUNITY_2, 3, STREET_2 },
        { ZONE_1, 4, COMMUNITY_1 }, { ZONE_2, 4, COMMUNITY_2 },
        { GROUP_1A, 5, ZONE_1 }, { GROUP_2, 5, ZONE_2 },
    };
    Sifang__V1__GeoPoint location = SIFANG__V1__GEO_POINT__INIT;
    location.lat = 36.1;
    location.lon = 120.37;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        Sifang__V1__OrgUnit unit = SIFANG__V1__ORG_UNIT__INIT;
        unit.code = (char *) units[i].code;
        unit.kind = (Sifang__V1__UnitKind) units[i].kind;
        unit.name = (char *) units[i].code;
        unit.parent_code = (char *) units[i].parent;
        unit.location = units[i].kind == 4 ? &location : NULL;
        EXPECT(CALL(admin, "UnitCreate", &unit, &sifang__v1__org_unit__descriptor, NULL), SF_OK, "UnitCreate");
    }
    Sifang__V1__HouseholdFlag flags[] = { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF,
                                          SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME };
    Sifang__V1__Household household = SIFANG__V1__HOUSEHOLD__INIT;
    household.code = HOUSEHOLD_1;
    household.address = "人民路 12 号 3 单元 401 室";
    household.n_flags = 2;
    household.flags = flags;
    EXPECT(CALL(admin, "HouseholdCreate", &household, &sifang__v1__household__descriptor, NULL), SF_OK, "household");
    household.code = HOUSEHOLD_2;
    household.address = "延安路 8 号 2 单元 102 室";
    household.n_flags = 1;
    EXPECT(CALL(admin, "HouseholdCreate", &household, &sifang__v1__household__descriptor, NULL), SF_OK, "household");

    struct { const char *household, *name, *id_number, *birth_date, *phone; char *id; } residents[] = {
        { HOUSEHOLD_1, "张三丰", "370205199003071232", "", "13812345678", resident_1 },
        { HOUSEHOLD_2, "王五", "11010519491231002X", "", "13987654321", resident_2 },
        { HOUSEHOLD_1, "李小龙", "", "2001-05-06", "0532-88881234", resident_3 },
    };
    for (size_t i = 0; i < 3; i++) {
        Sifang__V1__Resident resident = SIFANG__V1__RESIDENT__INIT;
        resident.household_code = (char *) residents[i].household;
        resident.name = (char *) residents[i].name;
        resident.id_number = (char *) residents[i].id_number;
        resident.birth_date = (char *) residents[i].birth_date;
        resident.phone = (char *) residents[i].phone;
        resident.relation = "head";
        Sifang__V1__Resident *created;
        if (EXPECT(CALL(admin, "ResidentCreate", &resident, &sifang__v1__resident__descriptor, &created), SF_OK,
                   "ResidentCreate"))
            snprintf(residents[i].id, 16, "%s", created->id);
    }
    Sifang__V1__Staff staff = SIFANG__V1__STAFF__INIT;
    staff.name = "赵六";
    staff.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE;
    staff.unit_code = COMMUNITY_1;
    staff.phone = "13900001111";
    Sifang__V1__Staff *created;
    if (EXPECT(CALL(admin, "StaffCreate", &staff, &sifang__v1__staff__descriptor, &created), SF_OK, "StaffCreate"))
        snprintf(staff_1, sizeof staff_1, "%s", created->id);
}

/* --- reads ---------------------------------------------------------------- */

static void
test_resident_get(void)
{
    Sifang__V1__IdRequest get = SIFANG__V1__ID_REQUEST__INIT;
    Sifang__V1__Resident *resident;
    get.id = resident_1;
    if (EXPECT(CALL(street_staff, "ResidentGet", &get, &sifang__v1__resident__descriptor, &resident), SF_OK, "duty"))
        check_resident(resident, SHOW_DUTY, __LINE__);
    if (EXPECT(CALL(zone_cadre, "ResidentGet", &get, &sifang__v1__resident__descriptor, &resident), SF_OK, "cadre"))
        check_resident(resident, SHOW_DUTY, __LINE__);
    /* Out of the duty's scope: not found, as if there were none. */
    EXPECT(CALL(community_2, "ResidentGet", &get, &sifang__v1__resident__descriptor, &resident), SF_NOT_FOUND,
           "out of scope");
    if (EXPECT(CALL(leader, "ResidentGet", &get, &sifang__v1__resident__descriptor, &resident), SF_OK, "leader"))
        check_resident(resident, SHOW_MASKED, __LINE__);
    if (EXPECT(CALL(appraisal, "ResidentGet", &get, &sifang__v1__resident__descriptor, &resident), SF_OK, "appraisal"))
        check_resident(resident, SHOW_MASKED, __LINE__);
    EXPECT(CALL(privacy, "ResidentGet", &get, &sifang__v1__resident__descriptor, &resident), SF_PERMISSION_DENIED,
           "privacy officer");
    EXPECT(CALL(viewer, "ResidentGet", &get, &sifang__v1__resident__descriptor, &resident), SF_PERMISSION_DENIED,
           "viewer");
    if (EXPECT(CALL(admin, "ResidentGet", &get, &sifang__v1__resident__descriptor, &resident), SF_OK, "admin"))
        check_resident(resident, SHOW_WHOLE, __LINE__);
    if (EXPECT(CALL(department, "ResidentGet", &get, &sifang__v1__resident__descriptor, &resident), SF_OK, "dept"))
        check_resident(resident, SHOW_KEY, __LINE__);
    /* Two grants: each within its own scope. */
    if (EXPECT(CALL(leader_and_street, "ResidentGet", &get, &sifang__v1__resident__descriptor, &resident), SF_OK,
               "two grants, duty"))
        check_resident(resident, SHOW_DUTY, __LINE__);
    get.id = resident_2;
    if (EXPECT(CALL(leader_and_street, "ResidentGet", &get, &sifang__v1__resident__descriptor, &resident), SF_OK,
               "two grants, leader"))
        check_resident(resident, SHOW_MASKED, __LINE__);
    if (EXPECT(CALL(community_2, "ResidentGet", &get, &sifang__v1__resident__descriptor, &resident), SF_OK, "c2"))
        check_resident(resident, SHOW_DUTY, __LINE__);
}

static void
test_resident_list(void)
{
    Sifang__V1__ResidentListRequest list = SIFANG__V1__RESIDENT_LIST_REQUEST__INIT;
    Sifang__V1__ResidentListReply *reply;
    if (EXPECT(CALL(street_staff, "ResidentList", &list, &sifang__v1__resident_list_reply__descriptor, &reply),
               SF_OK, "duty") && SF_CHECK_EQ_INT(reply->n_residents, 2))
        for (size_t i = 0; i < reply->n_residents; i++) {
            SF_CHECK_EQ_STR(reply->residents[i]->household_code, HOUSEHOLD_1);
            check_resident(reply->residents[i], SHOW_DUTY, __LINE__);
        }
    if (EXPECT(CALL(leader, "ResidentList", &list, &sifang__v1__resident_list_reply__descriptor, &reply), SF_OK,
               "leader") && SF_CHECK_EQ_INT(reply->n_residents, 3))
        for (size_t i = 0; i < reply->n_residents; i++)
            check_resident(reply->residents[i], SHOW_MASKED, __LINE__);
    EXPECT(CALL(viewer, "ResidentList", &list, &sifang__v1__resident_list_reply__descriptor, &reply),
           SF_PERMISSION_DENIED, "viewer");
    /* A subtree outside the scope: an empty list, never more. */
    list.under = STREET_2;
    if (EXPECT(CALL(street_staff, "ResidentList", &list, &sifang__v1__resident_list_reply__descriptor, &reply),
               SF_OK, "outside"))
        SF_CHECK_EQ_INT(reply->n_residents, 0);
    list.under = "";
    list.household_code = HOUSEHOLD_2;
    if (EXPECT(CALL(street_staff, "ResidentList", &list, &sifang__v1__resident_list_reply__descriptor, &reply),
               SF_OK, "outside household"))
        SF_CHECK_EQ_INT(reply->n_residents, 0);
    list.household_code = "";
    /* A person browses 50 at a time; more is an export. */
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 51;
    list.page = &page;
    sf_reply_info_t info;
    if (EXPECT(call_as(leader, "ResidentList", NULL, &list, &sifang__v1__resident_list_reply__descriptor, &reply,
                       &info), SF_INVALID_ARGUMENT, "51 a page") && SF_CHECK_EQ_INT(info.n_violations, 1)) {
        SF_CHECK_EQ_STR(info.violation_fields[0], "page.page_size");
        SF_CHECK(strstr(info.violation_descriptions[0], "50") && strstr(info.violation_descriptions[0], "ResidentExport"));
    }
    if (EXPECT(CALL(admin, "ResidentList", &list, &sifang__v1__resident_list_reply__descriptor, &reply), SF_OK,
               "a key, 51"))
        SF_CHECK_EQ_INT(reply->n_residents, 3);
    page.page_size = 50;
    if (EXPECT(CALL(leader, "ResidentList", &list, &sifang__v1__resident_list_reply__descriptor, &reply), SF_OK,
               "50"))
        SF_CHECK_EQ_INT(reply->n_residents, 3);
}

static void
test_resident_find(void)
{
    Sifang__V1__ResidentFindRequest find = SIFANG__V1__RESIDENT_FIND_REQUEST__INIT;
    Sifang__V1__Resident *resident;
    find.id_number = "370205199003071232";   /* resident 1, street 1 */
    if (EXPECT(CALL(zone_cadre, "ResidentFind", &find, &sifang__v1__resident__descriptor, &resident), SF_OK,
               "cadre in zone") && SF_CHECK_EQ_STR(resident->id, resident_1))
        check_resident(resident, SHOW_DUTY, __LINE__);
    /* Searching the district, a community's staff of street 2 finds a
     * resident of street 1 (who moved away), masked. */
    if (EXPECT(CALL(community_2, "ResidentFind", &find, &sifang__v1__resident__descriptor, &resident), SF_OK,
               "search scope") && SF_CHECK_EQ_STR(resident->id, resident_1))
        check_resident(resident, SHOW_MASKED, __LINE__);
    /* A leader has no search scope. */
    EXPECT(CALL(leader, "ResidentFind", &find, &sifang__v1__resident__descriptor, &resident), SF_NOT_FOUND, "leader");
    EXPECT(CALL(viewer, "ResidentFind", &find, &sifang__v1__resident__descriptor, &resident), SF_PERMISSION_DENIED,
           "viewer");
    if (EXPECT(CALL(admin, "ResidentFind", &find, &sifang__v1__resident__descriptor, &resident), SF_OK, "admin"))
        check_resident(resident, SHOW_WHOLE, __LINE__);
    find.id_number = "11010519491231002X";   /* resident 2, street 2: outside the cadre's search */
    EXPECT(CALL(zone_cadre, "ResidentFind", &find, &sifang__v1__resident__descriptor, &resident), SF_NOT_FOUND,
           "outside search");
    if (EXPECT(CALL(street_staff, "ResidentFind", &find, &sifang__v1__resident__descriptor, &resident), SF_OK,
               "street staff search district"))
        check_resident(resident, SHOW_MASKED, __LINE__);
}

static void
test_households(void)
{
    Sifang__V1__CodeRequest get = SIFANG__V1__CODE_REQUEST__INIT;
    Sifang__V1__Household *household;
    get.code = HOUSEHOLD_1;
    if (EXPECT(CALL(street_staff, "HouseholdGet", &get, &sifang__v1__household__descriptor, &household), SF_OK,
               "duty"))
        check_household(household, true, __LINE__);
    EXPECT(CALL(community_2, "HouseholdGet", &get, &sifang__v1__household__descriptor, &household), SF_NOT_FOUND,
           "out of scope");
    if (EXPECT(CALL(leader, "HouseholdGet", &get, &sifang__v1__household__descriptor, &household), SF_OK, "leader"))
        check_household(household, false, __LINE__);
    if (EXPECT(CALL(appraisal, "HouseholdGet", &get, &sifang__v1__household__descriptor, &household), SF_OK, "ao"))
        check_household(household, false, __LINE__);
    EXPECT(CALL(viewer, "HouseholdGet", &get, &sifang__v1__household__descriptor, &household), SF_PERMISSION_DENIED,
           "viewer");
    if (EXPECT(CALL(admin, "HouseholdGet", &get, &sifang__v1__household__descriptor, &household), SF_OK, "admin"))
        check_household(household, true, __LINE__);

    Sifang__V1__HouseholdListRequest list = SIFANG__V1__HOUSEHOLD_LIST_REQUEST__INIT;
    Sifang__V1__HouseholdListReply *reply;
    if (EXPECT(CALL(leader_and_street, "HouseholdList", &list, &sifang__v1__household_list_reply__descriptor,
                    &reply), SF_OK, "two grants") && SF_CHECK_EQ_INT(reply->n_households, 2)) {
        check_household(reply->households[0], true, __LINE__);    /* street 1: the duty's */
        check_household(reply->households[1], false, __LINE__);   /* street 2: the leader's */
    }
    EXPECT(CALL(viewer, "HouseholdList", &list, &sifang__v1__household_list_reply__descriptor, &reply),
           SF_PERMISSION_DENIED, "viewer");
    /* Filtering by a flag would tell it: only where the duty shows flags. */
    list.flag = SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF;
    sf_reply_info_t info;
    if (EXPECT(call_as(leader, "HouseholdList", NULL, &list, &sifang__v1__household_list_reply__descriptor, &reply,
                       &info), SF_PERMISSION_DENIED, "leader by flag") && SF_CHECK_EQ_INT(info.n_violations, 1))
        SF_CHECK_EQ_STR(info.violation_fields[0], "flag");
    if (EXPECT(CALL(street_staff, "HouseholdList", &list, &sifang__v1__household_list_reply__descriptor, &reply),
               SF_OK, "duty by flag") && SF_CHECK_EQ_INT(reply->n_households, 1))
        check_household(reply->households[0], true, __LINE__);
    list.flag = 0;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 51;
    list.page = &page;
    EXPECT(CALL(street_staff, "HouseholdList", &list, &sifang__v1__household_list_reply__descriptor, &reply),
           SF_INVALID_ARGUMENT, "51 a page");
    if (EXPECT(CALL(department, "HouseholdList", &list, &sifang__v1__household_list_reply__descriptor, &reply),
               SF_OK, "key 51") && SF_CHECK_EQ_INT(reply->n_households, 2))
        check_household(reply->households[0], true, __LINE__);
}

static void
test_staff(void)
{
    Sifang__V1__IdRequest get = SIFANG__V1__ID_REQUEST__INIT;
    Sifang__V1__Staff *staff;
    get.id = staff_1;
    /* Names are public; the phone in the clear for a resident duty over
     * the member's unit (and keys that see phones), masked elsewhere. */
    struct { sf_client_t *client; bool clear; } cases[] = {
        { street_staff, true }, { leader, false }, { appraisal, false }, { viewer, false },
        { admin, true }, { department, false },
    };
    /* Outside a person's view, as outside a key's scope: not found. */
    EXPECT(CALL(community_2, "StaffGet", &get, &sifang__v1__staff__descriptor, &staff), SF_NOT_FOUND, "outside");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (EXPECT(CALL(cases[i].client, "StaffGet", &get, &sifang__v1__staff__descriptor, &staff), SF_OK, "StaffGet")) {
            SF_CHECK_EQ_STR(staff->name, "赵六");
            field_eq(staff->phone, cases[i].clear ? "13900001111" : "139****1111", "staff phone", (int) i);
        }
    Sifang__V1__StaffListRequest list = SIFANG__V1__STAFF_LIST_REQUEST__INIT;
    Sifang__V1__StaffListReply *reply;
    if (EXPECT(CALL(viewer, "StaffList", &list, &sifang__v1__staff_list_reply__descriptor, &reply), SF_OK, "list")
        && SF_CHECK_EQ_INT(reply->n_staff, 1))
        SF_CHECK_EQ_STR(reply->staff[0]->phone, "139****1111");
    EXPECT(CALL(privacy, "StaffList", &list, &sifang__v1__staff_list_reply__descriptor, &reply),
           SF_PERMISSION_DENIED, "privacy officer");
}

/* --- writes --------------------------------------------------------------- */

static void
test_writes(void)
{
    Sifang__V1__ResidentUpdateRequest update = SIFANG__V1__RESIDENT_UPDATE_REQUEST__INIT;
    Sifang__V1__Resident *resident;
    update.id = resident_3;
    update.relation = "son";
    if (EXPECT(CALL(street_staff, "ResidentUpdate", &update, &sifang__v1__resident__descriptor, &resident), SF_OK,
               "duty writes")) {
        check_resident(resident, SHOW_DUTY, __LINE__);
        SF_CHECK_EQ_STR(resident->relation, "son");
    }
    update.relation = "grandson";
    EXPECT(CALL(clerk_view_only, "ResidentUpdate", &update, &sifang__v1__resident__descriptor, &resident),
           SF_PERMISSION_DENIED, "viewed, not written");
    EXPECT(CALL(community_2, "ResidentUpdate", &update, &sifang__v1__resident__descriptor, &resident), SF_NOT_FOUND,
           "out of view");
    EXPECT(CALL(leader, "ResidentUpdate", &update, &sifang__v1__resident__descriptor, &resident),
           SF_PERMISSION_DENIED, "leader");
    EXPECT(CALL(viewer, "ResidentUpdate", &update, &sifang__v1__resident__descriptor, &resident),
           SF_PERMISSION_DENIED, "viewer");
    /* Moving to a household the writer may not write in. */
    update.relation = "";
    update.household_code = HOUSEHOLD_2;
    EXPECT(CALL(street_staff, "ResidentUpdate", &update, &sifang__v1__resident__descriptor, &resident),
           SF_PERMISSION_DENIED, "move out of write scope");
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.resident WHERE serial = %d AND relation = 'son'"
                          " AND household_code = '" HOUSEHOLD_1 "'", atoi(resident_3 + 1)), 1);

    Sifang__V1__Resident create = SIFANG__V1__RESIDENT__INIT;
    create.household_code = HOUSEHOLD_2;
    create.name = "周七";
    EXPECT(CALL(street_staff, "ResidentCreate", &create, &sifang__v1__resident__descriptor, &resident),
           SF_PERMISSION_DENIED, "create outside");
    EXPECT(CALL(leader, "ResidentCreate", &create, &sifang__v1__resident__descriptor, &resident),
           SF_PERMISSION_DENIED, "leader creates");
    if (EXPECT(CALL(community_2, "ResidentCreate", &create, &sifang__v1__resident__descriptor, &resident), SF_OK,
               "create inside"))
        check_resident(resident, SHOW_DUTY, __LINE__);

    Sifang__V1__HouseholdUpdateRequest household_update = SIFANG__V1__HOUSEHOLD_UPDATE_REQUEST__INIT;
    Sifang__V1__Household *household;
    household_update.code = HOUSEHOLD_1;
    household_update.address = "人民路 12 号 3 单元 402 室";
    if (EXPECT(CALL(zone_cadre, "HouseholdUpdate", &household_update, &sifang__v1__household__descriptor,
                    &household), SF_OK, "cadre writes"))
        check_household(household, true, __LINE__);
    EXPECT(CALL(clerk_view_only, "HouseholdUpdate", &household_update, &sifang__v1__household__descriptor,
                &household), SF_PERMISSION_DENIED, "viewed, not written");
    EXPECT(CALL(appraisal, "HouseholdUpdate", &household_update, &sifang__v1__household__descriptor, &household),
           SF_PERMISSION_DENIED, "appraisal");
    household_update.code = HOUSEHOLD_2;
    EXPECT(CALL(zone_cadre, "HouseholdUpdate", &household_update, &sifang__v1__household__descriptor, &household),
           SF_PERMISSION_DENIED, "outside");
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.household WHERE address LIKE '%%402%%'"), 1);

    Sifang__V1__StaffUpdateRequest staff_update = SIFANG__V1__STAFF_UPDATE_REQUEST__INIT;
    Sifang__V1__Staff *staff;
    staff_update.id = staff_1;
    staff_update.title = "委员";
    EXPECT(CALL(community_2, "StaffUpdate", &staff_update, &sifang__v1__staff__descriptor, &staff),
           SF_NOT_FOUND, "staff outside");
    EXPECT(CALL(clerk_view_only, "StaffUpdate", &staff_update, &sifang__v1__staff__descriptor, &staff),
           SF_PERMISSION_DENIED, "staff viewed, not written");
    EXPECT(CALL(leader, "StaffUpdate", &staff_update, &sifang__v1__staff__descriptor, &staff),
           SF_PERMISSION_DENIED, "leader");
    if (EXPECT(CALL(street_staff, "StaffUpdate", &staff_update, &sifang__v1__staff__descriptor, &staff), SF_OK,
               "staff duty")) {
        SF_CHECK_EQ_STR(staff->title, "委员");
        SF_CHECK_EQ_STR(staff->phone, "13900001111");
    }

    Sifang__V1__Responsibility responsibility = SIFANG__V1__RESPONSIBILITY__INIT;
    responsibility.staff_id = staff_1;
    responsibility.unit_code = ZONE_1;
    responsibility.kind = SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE;
    EXPECT(CALL(clerk_view_only, "ResponsibilityAssign", &responsibility, &sifang__v1__responsibility__descriptor,
                NULL), SF_PERMISSION_DENIED, "assign, not written");
    EXPECT(CALL(leader, "ResponsibilityAssign", &responsibility, &sifang__v1__responsibility__descriptor, NULL),
           SF_PERMISSION_DENIED, "leader assigns");
    EXPECT(CALL(zone_cadre, "ResponsibilityAssign", &responsibility, &sifang__v1__responsibility__descriptor, NULL),
           SF_OK, "cadre assigns");
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.responsibility WHERE unit_code = '" ZONE_1 "'"), 1);

    EXPECT(CALL(clerk_view_only, "ResponsibilityRemove", &responsibility, &sifang__v1__responsibility__descriptor,
                NULL), SF_PERMISSION_DENIED, "remove, not written");
    EXPECT(CALL(zone_cadre, "ResponsibilityRemove", &responsibility, &sifang__v1__responsibility__descriptor, NULL),
           SF_OK, "cadre removes");
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.responsibility WHERE unit_code = '" ZONE_1 "'"), 0);

    /* Registering households and staff: within the write scopes. */
    Sifang__V1__Household new_household = SIFANG__V1__HOUSEHOLD__INIT;
    new_household.code = GROUP_2 "002";
    new_household.address = "延安路 8 号 2 单元 202 室";
    EXPECT(CALL(zone_cadre, "HouseholdCreate", &new_household, &sifang__v1__household__descriptor, &household),
           SF_PERMISSION_DENIED, "household outside");
    EXPECT(CALL(leader, "HouseholdCreate", &new_household, &sifang__v1__household__descriptor, &household),
           SF_PERMISSION_DENIED, "leader registers");
    EXPECT(CALL(viewer, "HouseholdCreate", &new_household, &sifang__v1__household__descriptor, &household),
           SF_PERMISSION_DENIED, "viewer registers");
    new_household.code = GROUP_1A "002";
    if (EXPECT(CALL(zone_cadre, "HouseholdCreate", &new_household, &sifang__v1__household__descriptor, &household),
               SF_OK, "household inside"))
        check_household(household, true, __LINE__);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.household"), 3);
    Sifang__V1__Staff new_staff = SIFANG__V1__STAFF__INIT;
    new_staff.name = "孙八";
    new_staff.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE;
    new_staff.unit_code = COMMUNITY_2;
    new_staff.phone = "13700002222";
    EXPECT(CALL(street_staff, "StaffCreate", &new_staff, &sifang__v1__staff__descriptor, &staff),
           SF_PERMISSION_DENIED, "staff outside");
    EXPECT(CALL(appraisal, "StaffCreate", &new_staff, &sifang__v1__staff__descriptor, &staff),
           SF_PERMISSION_DENIED, "appraisal registers staff");
    new_staff.unit_code = COMMUNITY_1;
    if (EXPECT(CALL(street_staff, "StaffCreate", &new_staff, &sifang__v1__staff__descriptor, &staff), SF_OK,
               "staff inside"))
        SF_CHECK_EQ_STR(staff->phone, "13700002222");
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.staff"), 2);

    /* The district's shape stays the district keys'. */
    Sifang__V1__OrgUnit unit = SIFANG__V1__ORG_UNIT__INIT;
    unit.code = GROUP_1B;
    unit.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP;
    unit.name = "楼组";
    unit.parent_code = ZONE_1;
    EXPECT(CALL(street_staff, "UnitCreate", &unit, &sifang__v1__org_unit__descriptor, NULL), SF_PERMISSION_DENIED,
           "unit by a person");
}

/* --- reveals, exports, the access log ---------------------------------- */

static void
test_reveal(void)
{
    Sifang__V1__ResidentRevealRequest reveal = SIFANG__V1__RESIDENT_REVEAL_REQUEST__INIT;
    Sifang__V1__RevealedResident *revealed;
    sf_reply_info_t info;
    reveal.id = resident_1;
    reveal.reason = "入户走访核实联系方式";
    long long rows_before = count("SELECT count(*) FROM grid.personal_access_log");
    if (EXPECT(call_as(street_staff, "ResidentReveal", "reveal-1", &reveal, &sifang__v1__revealed_resident__descriptor,
                       &revealed, &info), SF_OK, "duty reveals"))
        check_revealed(revealed, __LINE__);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.personal_access_log"), rows_before + 1);
    check_log_row("S00101", "street_staff", "reveal", "ResidentReveal", "reveal-1", resident_1, "", 1,
                  "入户走访核实联系方式", __LINE__);
    /* Written by the transaction that stored the reply. */
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.personal_access_log a JOIN grid.request_log l"
                          " ON l.request_id = a.request_id AND l.xmin = a.xmin WHERE a.request_id = 'reveal-1'"), 1);
    /* A retry is the stored reply, not a second row. */
    if (EXPECT(call_as(street_staff, "ResidentReveal", "reveal-1", &reveal, &sifang__v1__revealed_resident__descriptor,
                       &revealed, &info), SF_OK, "retry")) {
        SF_CHECK(info.replayed);
        check_revealed(revealed, __LINE__);
    }
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.personal_access_log"), rows_before + 1);

    /* Refused: out of the duty's scope (not found), roles without the duty,
     * the viewer, bad reasons; none leaves a row. */
    reveal.id = resident_2;
    EXPECT(CALL(street_staff, "ResidentReveal", &reveal, &sifang__v1__revealed_resident__descriptor, &revealed),
           SF_NOT_FOUND, "outside");
    EXPECT(CALL(leader_and_street, "ResidentReveal", &reveal, &sifang__v1__revealed_resident__descriptor, &revealed),
           SF_NOT_FOUND, "a leader's view does not reveal");
    reveal.id = resident_1;
    EXPECT(CALL(leader, "ResidentReveal", &reveal, &sifang__v1__revealed_resident__descriptor, &revealed),
           SF_PERMISSION_DENIED, "leader");
    EXPECT(CALL(appraisal, "ResidentReveal", &reveal, &sifang__v1__revealed_resident__descriptor, &revealed),
           SF_PERMISSION_DENIED, "appraisal");
    EXPECT(CALL(privacy, "ResidentReveal", &reveal, &sifang__v1__revealed_resident__descriptor, &revealed),
           SF_PERMISSION_DENIED, "privacy");
    EXPECT(CALL(viewer, "ResidentReveal", &reveal, &sifang__v1__revealed_resident__descriptor, &revealed),
           SF_PERMISSION_DENIED, "viewer");
    EXPECT(CALL(department, "ResidentReveal", &reveal, &sifang__v1__revealed_resident__descriptor, &revealed),
           SF_PERMISSION_DENIED, "department key");
    char long_reason[256];
    memset(long_reason, 'x', 201);
    long_reason[201] = 0;
    const char *bad[] = { "", "x", "  ", long_reason, "a\nb" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reveal.reason = (char *) bad[i];
        if (EXPECT(call_as(street_staff, "ResidentReveal", NULL, &reveal, &sifang__v1__revealed_resident__descriptor,
                           &revealed, &info), SF_INVALID_ARGUMENT, "bad reason")
            && SF_CHECK_EQ_INT(info.n_violations, 1))
            SF_CHECK_EQ_STR(info.violation_fields[0], "reason");
    }
    reveal.reason = "核实";   /* 2 characters */
    reveal.id = "X1";
    EXPECT(CALL(street_staff, "ResidentReveal", &reveal, &sifang__v1__revealed_resident__descriptor, &revealed),
           SF_INVALID_ARGUMENT, "bad id");
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.personal_access_log"), rows_before + 1);

    /* A key within scope: its role stands for the roles. */
    reveal.id = resident_2;
    if (EXPECT(call_as(admin, "ResidentReveal", "reveal-admin", &reveal, &sifang__v1__revealed_resident__descriptor,
                       &revealed, &info), SF_OK, "admin"))
        check_revealed(revealed, __LINE__);
    check_log_row("grid-people-admin", "admin", "reveal", "ResidentReveal", "reveal-admin", resident_2, "", 1, "核实",
                  __LINE__);

    /* No reveal without its row: when the row cannot be written the
     * resident is not shown, and nothing of the request is kept. */
    sf_test_pg_exec(db, "CREATE FUNCTION grid.refuse_test_reason() RETURNS trigger LANGUAGE plpgsql AS"
                        " $$BEGIN IF NEW.reason = '写不进去' THEN RAISE EXCEPTION 'refused by the test'; END IF;"
                        " RETURN NEW; END$$");
    sf_test_pg_exec(db, "CREATE TRIGGER refuse_test_reason BEFORE INSERT ON grid.personal_access_log"
                        " FOR EACH ROW EXECUTE FUNCTION grid.refuse_test_reason()");
    reveal.id = resident_1;
    reveal.reason = "写不进去";
    revealed = NULL;
    sf_status_t status = call_as(street_staff, "ResidentReveal", "reveal-fails", &reveal,
                                 &sifang__v1__revealed_resident__descriptor, &revealed, &info);
    SF_CHECK(status != SF_OK && revealed == NULL);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.personal_access_log WHERE reason = '写不进去'"), 0);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.request_log WHERE request_id = 'reveal-fails'"), 0);
    sf_test_pg_exec(db, "DROP TRIGGER refuse_test_reason ON grid.personal_access_log");
    sf_test_pg_exec(db, "DROP FUNCTION grid.refuse_test_reason()");
}

static void
test_export(void)
{
    Sifang__V1__ResidentExportRequest export = SIFANG__V1__RESIDENT_EXPORT_REQUEST__INIT;
    Sifang__V1__ResidentExportReply *reply;
    export.reason = "年度入户普查";
    long long rows_before = count("SELECT count(*) FROM grid.personal_access_log");
    /* Two grants: only the export grant's scope counts (street 1). */
    if (EXPECT(call_as(leader_and_street, "ResidentExport", "export-1", &export,
                       &sifang__v1__resident_export_reply__descriptor, &reply, NULL), SF_OK, "export")
        && SF_CHECK_EQ_INT(reply->n_residents, 2)) {
        SF_CHECK_EQ_STR(reply->residents[0]->resident->id, resident_1);
        SF_CHECK_EQ_STR(reply->residents[1]->resident->id, resident_3);
        check_revealed(reply->residents[0], __LINE__);
        check_revealed(reply->residents[1], __LINE__);
        SF_CHECK_EQ_STR(reply->next_page_token, "");
    }
    char ids[64];
    snprintf(ids, sizeof ids, "%s %s", resident_1, resident_3);
    check_log_row("S00108", "leader street_staff", "export", "ResidentExport", "export-1", ids,
                  "under= household_code= page_size=100 page_token=", 2, "年度入户普查", __LINE__);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.personal_access_log a JOIN grid.request_log l"
                          " ON l.request_id = a.request_id AND l.xmin = a.xmin WHERE a.request_id = 'export-1'"), 1);

    /* Page by page: a row for each. */
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 1;
    export.page = &page;
    export.under = STREET_1;
    if (EXPECT(CALL(street_staff, "ResidentExport", &export, &sifang__v1__resident_export_reply__descriptor, &reply),
               SF_OK, "page 1") && SF_CHECK_EQ_INT(reply->n_residents, 1)) {
        check_revealed(reply->residents[0], __LINE__);
        SF_CHECK(*reply->next_page_token != 0);
        page.page_token = reply->next_page_token;
    }
    check_log_row("S00101", "street_staff", "export", "ResidentExport", NULL, resident_1,
                  "under=" STREET_1 " household_code= page_size=1 page_token=", 1, "年度入户普查", __LINE__);
    if (EXPECT(CALL(street_staff, "ResidentExport", &export, &sifang__v1__resident_export_reply__descriptor, &reply),
               SF_OK, "page 2") && SF_CHECK_EQ_INT(reply->n_residents, 1)) {
        SF_CHECK_EQ_STR(reply->residents[0]->resident->id, resident_3);
        SF_CHECK_EQ_STR(reply->next_page_token, "");
    }
    check_log_row("S00101", "street_staff", "export", "ResidentExport", NULL, resident_3, NULL, 1, "年度入户普查",
                  __LINE__);
    page.page_token = "";
    page.page_size = 1001;
    EXPECT(CALL(street_staff, "ResidentExport", &export, &sifang__v1__resident_export_reply__descriptor, &reply),
           SF_INVALID_ARGUMENT, "1001");
    page.page_size = 1000;
    /* Outside the scope: empty, and the attempt is logged. */
    if (EXPECT(CALL(community_2, "ResidentExport", &export, &sifang__v1__resident_export_reply__descriptor, &reply),
               SF_OK, "outside"))
        SF_CHECK_EQ_INT(reply->n_residents, 0);
    check_log_row("S00102", "community_staff", "export", "ResidentExport", NULL, "",
                  "under=" STREET_1 " household_code= page_size=1000 page_token=", 0, "年度入户普查", __LINE__);
    /* Roles without the duty to export. */
    EXPECT(CALL(zone_cadre, "ResidentExport", &export, &sifang__v1__resident_export_reply__descriptor, &reply),
           SF_PERMISSION_DENIED, "cadre");
    EXPECT(CALL(leader, "ResidentExport", &export, &sifang__v1__resident_export_reply__descriptor, &reply),
           SF_PERMISSION_DENIED, "leader");
    EXPECT(CALL(viewer, "ResidentExport", &export, &sifang__v1__resident_export_reply__descriptor, &reply),
           SF_PERMISSION_DENIED, "viewer");
    export.reason = "";
    EXPECT(CALL(street_staff, "ResidentExport", &export, &sifang__v1__resident_export_reply__descriptor, &reply),
           SF_INVALID_ARGUMENT, "no reason");
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.personal_access_log"), rows_before + 4);
    /* One household, by a key. */
    export.reason = "核对";
    export.under = "";
    export.household_code = HOUSEHOLD_2;
    if (EXPECT(CALL(admin, "ResidentExport", &export, &sifang__v1__resident_export_reply__descriptor, &reply), SF_OK,
               "admin household") && SF_CHECK_EQ_INT(reply->n_residents, 2))
        for (size_t i = 0; i < reply->n_residents; i++)
            check_revealed(reply->residents[i], __LINE__);
    /* No event tells of reveals or exports. */
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.event_log WHERE type LIKE '%%reveal%%'"
                          " OR type LIKE '%%export%%'"), 0);
}

static void
test_access_log(void)
{
    Sifang__V1__AccessLogListRequest list = SIFANG__V1__ACCESS_LOG_LIST_REQUEST__INIT;
    Sifang__V1__AccessLogListReply *reply;
    long long total = count("SELECT count(*) FROM grid.personal_access_log");
    SF_CHECK_EQ_INT(total, 7);
    if (EXPECT(CALL(privacy, "AccessLogList", &list, &sifang__v1__access_log_list_reply__descriptor, &reply), SF_OK,
               "privacy officer") && SF_CHECK_EQ_INT(reply->n_entries, total)) {
        /* Newest first, every field as in SQL. */
        PGresult *rows = PQexec(db,
            "SELECT id, (extract(epoch FROM at) * 1000)::bigint, actor, account, array_to_string(roles, ' '),"
            " kind, method, request_id, array_to_string(resident_ids, ' '), filter, row_count, reason"
            " FROM grid.personal_access_log ORDER BY id DESC");
        for (int i = 0; i < PQntuples(rows) && i < (int) reply->n_entries; i++) {
            const Sifang__V1__AccessLogEntry *entry = reply->entries[i];
            char roles[128] = "", residents[128] = "";
            for (size_t r = 0; r < entry->n_roles; r++)
                snprintf(roles + strlen(roles), sizeof roles - strlen(roles), "%s%s", r ? " " : "", entry->roles[r]);
            for (size_t r = 0; r < entry->n_resident_ids; r++)
                snprintf(residents + strlen(residents), sizeof residents - strlen(residents), "%s%s", r ? " " : "",
                         entry->resident_ids[r]);
            SF_CHECK_EQ_INT(entry->id, atoll(PQgetvalue(rows, i, 0)));
            SF_CHECK_EQ_INT(entry->at_unix_ms, atoll(PQgetvalue(rows, i, 1)));
            SF_CHECK_EQ_STR(entry->actor, PQgetvalue(rows, i, 2));
            SF_CHECK_EQ_STR(entry->account, PQgetvalue(rows, i, 3));
            SF_CHECK_EQ_STR(roles, PQgetvalue(rows, i, 4));
            SF_CHECK_EQ_STR(entry->kind, PQgetvalue(rows, i, 5));
            SF_CHECK_EQ_STR(entry->method, PQgetvalue(rows, i, 6));
            SF_CHECK_EQ_STR(entry->request_id, PQgetvalue(rows, i, 7));
            SF_CHECK_EQ_STR(residents, PQgetvalue(rows, i, 8));
            SF_CHECK_EQ_STR(entry->filter, PQgetvalue(rows, i, 9));
            SF_CHECK_EQ_INT(entry->rows, atoi(PQgetvalue(rows, i, 10)));
            SF_CHECK_EQ_STR(entry->reason, PQgetvalue(rows, i, 11));
        }
        PQclear(rows);
    }
    /* Filters. */
    list.actor = "S00101";
    if (EXPECT(CALL(privacy, "AccessLogList", &list, &sifang__v1__access_log_list_reply__descriptor, &reply), SF_OK,
               "actor"))
        SF_CHECK_EQ_INT(reply->n_entries, 3);
    list.kind = "reveal";
    if (EXPECT(CALL(privacy, "AccessLogList", &list, &sifang__v1__access_log_list_reply__descriptor, &reply), SF_OK,
               "actor and kind") && SF_CHECK_EQ_INT(reply->n_entries, 1))
        SF_CHECK_EQ_STR(reply->entries[0]->request_id, "reveal-1");
    list.actor = "";
    list.kind = "";
    list.resident_id = resident_2;
    if (EXPECT(CALL(privacy, "AccessLogList", &list, &sifang__v1__access_log_list_reply__descriptor, &reply), SF_OK,
               "resident") && SF_CHECK_EQ_INT(reply->n_entries, 2)) {
        SF_CHECK_EQ_STR(reply->entries[0]->method, "ResidentExport");
        SF_CHECK_EQ_STR(reply->entries[1]->request_id, "reveal-admin");
    }
    list.resident_id = "";
    list.since_unix_ms = count("SELECT (extract(epoch FROM at) * 1000)::bigint + 1 FROM grid.personal_access_log"
                               " WHERE request_id = 'export-1'");
    if (EXPECT(CALL(privacy, "AccessLogList", &list, &sifang__v1__access_log_list_reply__descriptor, &reply), SF_OK,
               "since"))
        SF_CHECK_EQ_INT(reply->n_entries, count("SELECT count(*) FROM grid.personal_access_log WHERE"
                                                " at >= to_timestamp(%lld / 1000.0)", (long long) list.since_unix_ms));
    list.until_unix_ms = list.since_unix_ms;
    list.since_unix_ms = 0;
    if (EXPECT(CALL(privacy, "AccessLogList", &list, &sifang__v1__access_log_list_reply__descriptor, &reply), SF_OK,
               "until"))
        SF_CHECK_EQ_INT(reply->n_entries, count("SELECT count(*) FROM grid.personal_access_log WHERE"
                                                " at < to_timestamp(%lld / 1000.0)", (long long) list.until_unix_ms));
    list.until_unix_ms = 0;
    /* Paging, newest first, by a key of admin. */
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 3;
    list.page = &page;
    long long seen = 0, last_id = 0;
    for (int pages = 0; pages < 10; pages++) {
        if (!EXPECT(CALL(admin, "AccessLogList", &list, &sifang__v1__access_log_list_reply__descriptor, &reply), SF_OK,
                    "page"))
            break;
        for (size_t i = 0; i < reply->n_entries; i++, seen++) {
            if (last_id && reply->entries[i]->id >= last_id)
                SF_FAIL("entry %lld after %lld", (long long) reply->entries[i]->id, last_id);
            last_id = reply->entries[i]->id;
        }
        if (!*reply->next_page_token)
            break;
        page.page_token = reply->next_page_token;
    }
    SF_CHECK_EQ_INT(seen, total);
    page.page_token = "";
    page.page_size = 1000;
    EXPECT(CALL(privacy, "AccessLogList", &list, &sifang__v1__access_log_list_reply__descriptor, &reply), SF_OK,
           "1000 a page");
    /* Bad filters. */
    list.kind = "peek";
    EXPECT(CALL(privacy, "AccessLogList", &list, &sifang__v1__access_log_list_reply__descriptor, &reply),
           SF_INVALID_ARGUMENT, "kind");
    list.kind = "";
    list.resident_id = "S00101";
    EXPECT(CALL(privacy, "AccessLogList", &list, &sifang__v1__access_log_list_reply__descriptor, &reply),
           SF_INVALID_ARGUMENT, "resident id");
    list.resident_id = "";
    /* Only the audit reads it. */
    sf_client_t *refused[] = { street_staff, leader, appraisal, department, viewer };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        EXPECT(CALL(refused[i], "AccessLogList", &list, &sifang__v1__access_log_list_reply__descriptor, &reply),
               SF_PERMISSION_DENIED, "not the audit");
}

static sf_client_t *
person(const char *endpoint, const char *id, const sf_test_grant_t *grants, size_t n)
{
    sf_client_t *client = sf_client_new(endpoint, NULL);
    if (client && sf_test_set_person(client, id, NULL, grants, n) != 0)
        sf_client_destroy(&client);
    return client;
}

int
main(void)
{
    char dir[256], path[512], endpoint_env[128], publish_env[128], key_env[600], log_path[600];
    sf_test_daemon_t *daemon = NULL;
    char *endpoint = NULL;
    if (!SF_CHECK_EQ_INT(sf_test_pg_env("grid_people"), 0) || !SF_CHECK_EQ_INT(sf_test_tmpdir(dir, sizeof dir), 0))
        return sf_test_done();
    db = sf_test_pg_connect();
    if (!SF_CHECK(db != NULL) || grid_test_prepare(db, "grid", dir, key_env, sizeof key_env) != 0)
        goto cleanup;
    snprintf(log_path, sizeof log_path, "%s/grid.log", dir);
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "grid"), 0))
        goto cleanup;
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=%s", SF_TEST_TCP_ANY);
    const char *env[] = { endpoint_env, publish_env, key_env, "SIFANG_GRID_DATABASE_URL=user=sifang_grid", NULL };
    daemon = sf_test_daemon_start(path, env, log_path);
    if (!SF_CHECK(daemon != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(daemon, 10000), 0))
        goto cleanup;
    endpoint = strdup(sf_test_daemon_endpoint(daemon, "endpoint") ? sf_test_daemon_endpoint(daemon, "endpoint") : "");

    admin = sf_client_new(endpoint, NULL);
    viewer = sf_client_new(endpoint, NULL);
    department = sf_client_new(endpoint, NULL);
    if (!SF_CHECK(admin && viewer && department))
        goto cleanup;
    sf_client_set_principal(admin, "grid-people-admin", "admin", "");
    sf_client_set_principal(viewer, "anonymous", "viewer", "");
    sf_client_set_principal(department, "grid-people-department", "department", "");
    const sf_test_grant_t street_grant[] = { { "street_staff", STREET_1, STREET_1, "*" } };
    const sf_test_grant_t community_grant[] = { { "community_staff", COMMUNITY_2, COMMUNITY_2, "*" } };
    const sf_test_grant_t cadre_grant[] = { { "zone_cadre", ZONE_1, ZONE_1, STREET_1 } };
    const sf_test_grant_t clerk_grant[] = { { "window_clerk", STREET_1, ZONE_2, "*" } };
    const sf_test_grant_t leader_grant[] = { { "leader", "*", NULL, NULL } };
    const sf_test_grant_t appraisal_grant[] = { { "appraisal_office", "*", NULL, NULL } };
    const sf_test_grant_t privacy_grant[] = { { "privacy_officer", NULL, NULL, NULL } };
    const sf_test_grant_t two_grants[] = { { "leader", "*", NULL, NULL }, { "street_staff", STREET_1, STREET_1, "*" } };
    street_staff = person(endpoint, "S00101", street_grant, 1);
    community_2 = person(endpoint, "S00102", community_grant, 1);
    zone_cadre = person(endpoint, "S00103", cadre_grant, 1);
    clerk_view_only = person(endpoint, "S00104", clerk_grant, 1);
    leader = person(endpoint, "S00105", leader_grant, 1);
    appraisal = person(endpoint, "S00106", appraisal_grant, 1);
    privacy = person(endpoint, "S00107", privacy_grant, 1);
    leader_and_street = person(endpoint, "S00108", two_grants, 2);
    if (!SF_CHECK(street_staff && community_2 && zone_cadre && clerk_view_only && leader && appraisal && privacy
                  && leader_and_street)
        || !SF_CHECK(sf_test_wait_database(admin, 20000)))
        goto cleanup;

    build_district();
    test_resident_get();
    test_resident_list();
    test_resident_find();
    test_households();
    test_staff();
    test_writes();
    test_reveal();
    test_export();
    test_access_log();

cleanup:
    for (size_t i = 0; i < n_kept; i++)
        protobuf_c_message_free_unpacked(kept[i], NULL);
    sf_client_t **clients[] = { &admin, &viewer, &department, &street_staff, &community_2, &zone_cadre,
                                &clerk_view_only, &leader, &appraisal, &privacy, &leader_and_street };
    for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++)
        sf_client_destroy(clients[i]);
    if (daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemon), 0);
    free(endpoint);
    if (db)
        PQfinish(db);
    return grid_test_done(dir);
}
