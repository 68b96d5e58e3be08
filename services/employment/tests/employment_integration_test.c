/* Integration test of sifang-employment with the real grid it follows, the
 * test PostgreSQL cluster and real sockets: people and their history,
 * enterprises, vacancies whose positions fall, placements (one full-time at a
 * time, in the service and in the database), entrepreneurship support,
 * matching in the fifteen-minute circle, training, statistics recomputed by
 * plain SQL, the JSON Lines import (bad input of every kind, idempotency,
 * updates, the per-record fallback) and the change feed checked against the
 * JSON Schemas; every refusal leaves the tables as they were. */
#include "emp_test.h"
#include "sf_config.h"
#include "sf_json.h"
#include "sf_registry.h"
#include "sf_test_person.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define E "employment"
#define DISTRICT "370205"
#define STREET_1 "370205001"
#define STREET_2 "370205002"
#define COMMUNITY_1 "370205001001"
#define COMMUNITY_2 "370205002001"
#define ZONE_1 "37020500100101"   /* 36.1000, 120.3700 */
#define ZONE_2 "37020500100102"   /* 556 m north of ZONE_1 */
#define ZONE_3 "37020500200101"   /* some 7 km away */
#define CREDIT_1 "91350100M000100Y43"
#define CREDIT_2 "91110000600037341L"
#define CREDIT_BAD "91350100M000100Y44"

static emp_daemons_t daemons;
/* reader: a department's tool, which reads persons in clear; viewer: the
 * anonymous viewer, who gets aggregates and catalogues only. */
static sf_client_t *grid_admin, *admin, *street2, *viewer, *reader, *importer;
static PGconn *db;
static emp_result_t r;

/* Residents grid assigns in this order: R0000001 ... */
static const struct {
    const char *household, *name, *gender, *birth;
} residents[] = {
    { "370205001001011001", "王建国", "GENDER_MALE", "1960-03-02" },    /* R1 zone 1; 4050 at 51 */
    { "370205001001011001", "李秀英", "GENDER_FEMALE", "1970-07-09" },  /* R2 samples; 4050 at 41 */
    { "370205001001021001", "张伟", "GENDER_MALE", "1985-01-20" },      /* R3 samples */
    { "370205001001021001", "刘芳", "GENDER_FEMALE", "1990-11-11" },    /* R4 invalid samples */
    { "370205002001011001", "陈军", "GENDER_MALE", "1960-05-05" },      /* R5 zone 3 */
    { "370205002001011001", "赵老汉", "GENDER_MALE", "1940-01-01" },    /* R6 too old */
    { "370205001001021002", "孙小妹", "GENDER_FEMALE", "2000-02-02" },  /* R7 too young */
    { "370205002001011002", "周强", "GENDER_MALE", "1988-08-08" },      /* R8 zone 3 */
    { "370205001001021002", "吴静", "GENDER_FEMALE", "1980-04-04" },    /* R9 zone 2 */
    { "370205001001021003", "郑浩", "GENDER_MALE", "1982-12-12" },      /* R10 zone 2 */
    { "370205001001011002", "冯磊", "GENDER_MALE", "1983-06-06" },      /* R11 import */
    { "370205001001021003", "何丽", "GENDER_FEMALE", "1986-09-09" },    /* R12 import */
};
#define N_RESIDENTS (sizeof residents / sizeof residents[0])

static long long
count(const char *sql)
{
    return sf_test_pg_int(db, sql);
}

/* Every row employment owns (but its reference copies) and its event head. */
static void
fingerprint(char *out, size_t size)
{
    PGresult *result = PQexec(db,
        "SELECT md5(string_agg(t, ';' ORDER BY t)) || ' ' || (SELECT seq FROM employment.event_head) FROM ("
        " SELECT p::text AS t FROM employment.person p UNION ALL SELECT v::text FROM employment.vacancy v"
        " UNION ALL SELECT x::text FROM employment.placement x UNION ALL SELECT e::text FROM employment.enterprise e"
        " UNION ALL SELECT s::text FROM employment.support s UNION ALL SELECT s::text FROM employment.status_period s"
        " UNION ALL SELECT d::text FROM employment.difficulty_period d UNION ALL SELECT c::text FROM employment.course c"
        " UNION ALL SELECT n::text FROM employment.enrolment n UNION ALL SELECT m::text FROM employment.mock_test m"
        " UNION ALL SELECT x::text FROM employment.exam_result x) rows");
    snprintf(out, size, "%s", PQresultStatus(result) == PGRES_TUPLES_OK ? PQgetvalue(result, 0, 0) : "?");
    PQclear(result);
}

/* A call that must be refused with status (and a violation on field unless
 * NULL), changing nothing. */
#define REFUSED(client, method, status, field, ...) refused(client, method, status, field, __LINE__, __VA_ARGS__)
static void
refused(sf_client_t *client, const char *method, sf_status_t expected, const char *field, int line,
        const char *format, ...) __attribute__((format(printf, 6, 7)));
static void
refused(sf_client_t *client, const char *method, sf_status_t expected, const char *field, int line,
        const char *format, ...)
{
    char before[128], after[128], *json = NULL;
    va_list args;
    va_start(args, format);
    if (vasprintf(&json, format, args) < 0)
        json = NULL;
    va_end(args);
    fingerprint(before, sizeof before);
    sf_status_t status = emp_jcall(client, E, method, &r, "%s", json ? json : "{}");
    if (status != expected)
        SF_FAIL("line %d: %s: expected %s, got %s (%s)", line, method, sf_status_name(expected),
                sf_status_name(status), r.message);
    else if (field && strcmp(r.field, field) != 0)
        SF_FAIL("line %d: %s: %s on field '%s', expected '%s' (%s)", line, method, sf_status_name(status), r.field,
                field, r.message);
    else
        SF_CHECK(true);
    fingerprint(after, sizeof after);
    if (strcmp(before, after) != 0)
        SF_FAIL("line %d: %s was refused but employment's tables changed", line, method);
    free(json);
}

/* A call that must succeed; its reply stays in r. */
#define OK(client, method, ...) ok_call(client, method, __LINE__, __VA_ARGS__)
static bool
ok_call(sf_client_t *client, const char *method, int line, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
static bool
ok_call(sf_client_t *client, const char *method, int line, const char *format, ...)
{
    char *json = NULL;
    va_list args;
    va_start(args, format);
    if (vasprintf(&json, format, args) < 0)
        json = NULL;
    va_end(args);
    sf_status_t status = emp_jcall(client, E, method, &r, "%s", json ? json : "{}");
    free(json);
    if (status != SF_OK)
        return SF_FAIL("line %d: %s: %s: %s (field %s)", line, method, sf_status_name(status), r.message, r.field);
    return SF_CHECK(r.reply != NULL);
}

/* --- the district in grid ------------------------------------------------------ */

static void
grid_call(const char *method, const char *json)
{
    sf_status_t status = emp_jcall(grid_admin, "grid", method, NULL, "%s", json);
    if (status != SF_OK && status != SF_ALREADY_EXISTS)
        SF_FAIL("grid %s: %s for %s", method, sf_status_name(status), json);
}

static void
build_district(void)
{
    char json[512];
    grid_call("UnitCreate", "{\"code\":\"370205\",\"kind\":\"UNIT_KIND_DISTRICT\",\"name\":\"四方区\"}");
    grid_call("UnitCreate", "{\"code\":\"" STREET_1 "\",\"kind\":\"UNIT_KIND_STREET\",\"name\":\"兴隆路街道\",\"parent_code\":\"370205\"}");
    grid_call("UnitCreate", "{\"code\":\"" STREET_2 "\",\"kind\":\"UNIT_KIND_STREET\",\"name\":\"洛阳路街道\",\"parent_code\":\"370205\"}");
    grid_call("UnitCreate", "{\"code\":\"" COMMUNITY_1 "\",\"kind\":\"UNIT_KIND_COMMUNITY\",\"name\":\"福寿社区\",\"parent_code\":\"" STREET_1 "\"}");
    grid_call("UnitCreate", "{\"code\":\"" COMMUNITY_2 "\",\"kind\":\"UNIT_KIND_COMMUNITY\",\"name\":\"洛阳社区\",\"parent_code\":\"" STREET_2 "\"}");
    grid_call("UnitCreate", "{\"code\":\"" ZONE_1 "\",\"kind\":\"UNIT_KIND_ZONE\",\"name\":\"一片区\",\"parent_code\":\"" COMMUNITY_1 "\",\"location\":{\"lat\":36.1,\"lon\":120.37}}");
    grid_call("UnitCreate", "{\"code\":\"" ZONE_2 "\",\"kind\":\"UNIT_KIND_ZONE\",\"name\":\"二片区\",\"parent_code\":\"" COMMUNITY_1 "\",\"location\":{\"lat\":36.105,\"lon\":120.37}}");
    grid_call("UnitCreate", "{\"code\":\"" ZONE_3 "\",\"kind\":\"UNIT_KIND_ZONE\",\"name\":\"三片区\",\"parent_code\":\"" COMMUNITY_2 "\",\"location\":{\"lat\":36.15,\"lon\":120.42}}");
    const char *groups[][2] = { { "370205001001011", ZONE_1 }, { "370205001001021", ZONE_2 }, { "370205002001011", ZONE_3 } };
    for (int i = 0; i < 3; i++) {
        snprintf(json, sizeof json, "{\"code\":\"%s\",\"kind\":\"UNIT_KIND_BUILDING_GROUP\",\"name\":\"楼组%d\",\"parent_code\":\"%s\"}",
                 groups[i][0], i + 1, groups[i][1]);
        grid_call("UnitCreate", json);
    }
    const char *households[] = { "370205001001011001", "370205001001011002", "370205001001021001", "370205001001021002",
                                 "370205001001021003", "370205002001011001", "370205002001011002" };
    for (int i = 0; i < 7; i++) {
        snprintf(json, sizeof json, "{\"code\":\"%s\",\"building_group_code\":\"%.15s\",\"address\":\"人民路 %d 号\"}",
                 households[i], households[i], i + 1);
        grid_call("HouseholdCreate", json);
    }
    for (size_t i = 0; i < N_RESIDENTS; i++) {
        snprintf(json, sizeof json, "{\"household_code\":\"%s\",\"name\":\"%s\",\"gender\":\"%s\",\"birth_date\":\"%s\",\"relation\":\"member\"}",
                 residents[i].household, residents[i].name, residents[i].gender, residents[i].birth);
        grid_call("ResidentCreate", json);
    }
    grid_call("StaffCreate", "{\"name\":\"马联络\",\"kind\":\"STAFF_KIND_STREET_CADRE\",\"unit_code\":\"" STREET_1 "\",\"active\":true}");
    SF_CHECK(emp_wait_for(db, "SELECT count(*) FROM employment.ref_resident", N_RESIDENTS, 15000));
    SF_CHECK(emp_wait_for(db, "SELECT count(*) FROM employment.ref_staff", 1, 5000));
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.ref_unit WHERE kind = 4 AND lat IS NOT NULL"), 3);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.ref_household WHERE zone_code = '" ZONE_2 "'"), 3);
}

/* --- people -------------------------------------------------------------------- */

static void
test_people(void)
{
    if (OK(admin, "PersonRegister", "{\"resident_id\":\"R0000001\",\"status\":\"LABOR_STATUS_UNEMPLOYED\","
           "\"registered_on\":\"2012-01-05\",\"difficulties\":[\"DIFFICULTY_CATEGORY_AGED_4050\"],\"seeking_work\":true,"
           "\"skills\":[{\"occupation_code\":\"4-03-02-01\",\"grade\":\"SKILL_GRADE_INTERMEDIATE\",\"years\":5}]}")) {
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "name"), "王建国");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "home_zone_code"), ZONE_1);
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "birth_date"), "1960-03-02");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "status_since"), "2012-01-05");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "skills[0].occupation_code"), "4-03-02-01");
    }
    REFUSED(admin, "PersonRegister", SF_INVALID_ARGUMENT, "status", "{\"resident_id\":\"R0000005\"}");
    REFUSED(admin, "PersonRegister", SF_INVALID_ARGUMENT, "difficulties[0]",
            "{\"resident_id\":\"R0000005\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"difficulties\":[99]}");
    REFUSED(admin, "PersonRegister", SF_INVALID_ARGUMENT, "registered_on",
            "{\"resident_id\":\"R0000005\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"registered_on\":\"2099-01-01\"}");
    REFUSED(admin, "PersonRegister", SF_INVALID_ARGUMENT, "skills[0].occupation_code",
            "{\"resident_id\":\"R0000005\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"skills\":[{\"occupation_code\":\"4-99-99-99\"}]}");
    REFUSED(admin, "PersonRegister", SF_FAILED_PRECONDITION, "resident_id",
            "{\"resident_id\":\"R9999999\",\"status\":\"LABOR_STATUS_UNEMPLOYED\"}");
    REFUSED(admin, "PersonRegister", SF_FAILED_PRECONDITION, "resident_id",
            "{\"resident_id\":\"R0000006\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"registered_on\":\"2012-01-05\"}");
    REFUSED(admin, "PersonRegister", SF_FAILED_PRECONDITION, "resident_id",
            "{\"resident_id\":\"R0000007\",\"status\":\"LABOR_STATUS_STUDENT\",\"registered_on\":\"2012-01-05\"}");
    REFUSED(admin, "PersonRegister", SF_ALREADY_EXISTS, "resident_id",
            "{\"resident_id\":\"R0000001\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"registered_on\":\"2012-01-05\"}");
    REFUSED(street2, "PersonRegister", SF_PERMISSION_DENIED, NULL,
            "{\"resident_id\":\"R0000009\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"registered_on\":\"2012-01-05\"}");
    REFUSED(viewer, "PersonRegister", SF_PERMISSION_DENIED, NULL,
            "{\"resident_id\":\"R0000009\",\"status\":\"LABOR_STATUS_UNEMPLOYED\"}");

    OK(street2, "PersonRegister", "{\"resident_id\":\"R0000005\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"registered_on\":\"2012-01-06\","
       "\"difficulties\":[\"DIFFICULTY_CATEGORY_LOW_INCOME\"],\"seeking_work\":true,"
       "\"skills\":[{\"occupation_code\":\"4-07-05-01\",\"grade\":\"SKILL_GRADE_ENTRY\"}]}");
    OK(admin, "PersonRegister", "{\"resident_id\":\"R0000008\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"registered_on\":\"2012-01-06\","
       "\"seeking_work\":true,\"desired_occupations\":[\"4-03\"]}");
    OK(admin, "PersonRegister", "{\"resident_id\":\"R0000009\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"registered_on\":\"2012-01-07\","
       "\"difficulties\":[\"DIFFICULTY_CATEGORY_DISABLED\"],\"difficulty_since\":\"2011-06-01\",\"seeking_work\":true,"
       "\"disability_certificate\":\"37020519800404123342\","
       "\"skills\":[{\"occupation_code\":\"4-03-02-05\",\"grade\":\"SKILL_GRADE_ENTRY\"}]}");
    OK(admin, "PersonRegister", "{\"resident_id\":\"R0000010\",\"status\":\"LABOR_STATUS_STUDENT\",\"registered_on\":\"2012-01-08\"}");
    long long version = emp_json_int(r.reply, "version");

    /* Status and categories change through their history. */
    REFUSED(admin, "PersonUpdate", SF_FAILED_PRECONDITION, "expected_version",
            "{\"resident_id\":\"R0000010\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"expected_version\":%lld}", version + 5);
    REFUSED(admin, "PersonUpdate", SF_FAILED_PRECONDITION, "effective_on",
            "{\"resident_id\":\"R0000010\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"effective_on\":\"2011-01-01\"}");
    REFUSED(street2, "PersonUpdate", SF_NOT_FOUND, NULL,
            "{\"resident_id\":\"R0000010\",\"status\":\"LABOR_STATUS_UNEMPLOYED\"}");
    if (OK(admin, "PersonUpdate", "{\"resident_id\":\"R0000010\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"effective_on\":\"2012-03-01\","
           "\"reason\":\"graduated\",\"set_difficulties\":true,\"difficulties\":[\"DIFFICULTY_CATEGORY_LONG_TERM_UNEMPLOYED\"],"
           "\"set_seeking_work\":true,\"seeking_work\":true,\"expected_version\":%lld}", version)) {
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "status"), "LABOR_STATUS_UNEMPLOYED");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "status_since"), "2012-03-01");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "difficulties[0]"), "DIFFICULTY_CATEGORY_LONG_TERM_UNEMPLOYED");
    }
    if (OK(reader, "PersonHistory", "{\"resident_id\":\"R0000010\"}") && SF_CHECK_EQ_INT(emp_json_len(r.reply, "changes"), 2)) {
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[0].status"), "LABOR_STATUS_STUDENT");
        /* Each period with what began it: the registration, then the update. */
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[0].reason"), "registered");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[0].event"), "STATUS_EVENT_REGISTRATION");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[0].until"), "2012-02-29");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[1].reason"), "graduated");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[1].event"), "STATUS_EVENT_UPDATE");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[1].effective_on"), "2012-03-01");
    }
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.status_period WHERE until = '2012-02-29'"), 1);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.difficulty_period WHERE difficulties = '{}'"), 1);

    if (OK(reader, "PersonList", "{\"under\":\"" STREET_1 "\"}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "people"), 3);
    if (OK(reader, "PersonList", "{\"difficulty\":\"DIFFICULTY_CATEGORY_LOW_INCOME\"}"))
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "people[0].resident_id"), "R0000005");
    if (OK(street2, "PersonList", "{}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "people"), 2);
    if (OK(reader, "PersonList", "{\"page\":{\"page_size\":2}}")) {
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "people"), 2);
        char token[32];
        snprintf(token, sizeof token, "%s", emp_json_str(r.reply, "next_page_token"));
        if (OK(reader, "PersonList", "{\"page\":{\"page_size\":2,\"page_token\":\"%s\"}}", token))
            SF_CHECK_EQ_INT(emp_json_len(r.reply, "people"), 2);
    }
    SF_CHECK_EQ_INT(emp_jcall(street2, E, "PersonGet", &r, "{\"resident_id\":\"R0000001\"}"), SF_NOT_FOUND);
    SF_CHECK_EQ_INT(emp_jcall(reader, E, "PersonGet", &r, "{\"resident_id\":\"R0000002\"}"), SF_NOT_FOUND);
}

/* --- enterprises and vacancies ---------------------------------------------------- */

static void
test_enterprises_and_vacancies(void)
{
    REFUSED(admin, "EnterpriseRegister", SF_INVALID_ARGUMENT, "credit_code",
            "{\"credit_code\":\"" CREDIT_BAD "\",\"name\":\"错码公司\"}");
    REFUSED(admin, "EnterpriseRegister", SF_FAILED_PRECONDITION, "liaison_staff_id",
            "{\"credit_code\":\"" CREDIT_1 "\",\"name\":\"四方饭店\",\"liaison_staff_id\":\"S99999\"}");
    if (OK(admin, "EnterpriseRegister", "{\"credit_code\":\"" CREDIT_1 "\",\"name\":\"四方饭店\",\"zone_code\":\"" ZONE_1 "\","
           "\"liaison_staff_id\":\"S00001\",\"industry\":\"餐饮\"}"))
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "liaison_name"), "马联络");
    REFUSED(admin, "EnterpriseRegister", SF_ALREADY_EXISTS, "credit_code", "{\"credit_code\":\"" CREDIT_1 "\",\"name\":\"again\"}");
    OK(admin, "EnterpriseRegister", "{\"credit_code\":\"" CREDIT_2 "\",\"name\":\"洛阳路保安公司\",\"zone_code\":\"" ZONE_3 "\"}");
    if (OK(admin, "EnterpriseUpdate", "{\"credit_code\":\"" CREDIT_2 "\",\"liaison_staff_id\":\"S00001\"}"))
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "version"), 2);
    if (OK(viewer, "EnterpriseList", "{\"liaison_staff_id\":\"S00001\"}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "enterprises"), 2);

    REFUSED(admin, "VacancyPost", SF_INVALID_ARGUMENT, "closes_on",
            "{\"enterprise_credit_code\":\"" CREDIT_1 "\",\"title\":\"厨师\",\"occupation_code\":\"4-03-02-01\",\"positions\":2,"
            "\"opens_on\":\"2012-03-01\",\"closes_on\":\"2012-02-01\"}");
    REFUSED(admin, "VacancyPost", SF_INVALID_ARGUMENT, "occupation_code",
            "{\"enterprise_credit_code\":\"" CREDIT_1 "\",\"title\":\"厨师\",\"occupation_code\":\"9-99\",\"positions\":2}");
    REFUSED(admin, "VacancyPost", SF_INVALID_ARGUMENT, "positions",
            "{\"enterprise_credit_code\":\"" CREDIT_1 "\",\"title\":\"厨师\",\"occupation_code\":\"4-03-02-01\"}");
    REFUSED(admin, "VacancyPost", SF_FAILED_PRECONDITION, "enterprise_credit_code",
            "{\"enterprise_credit_code\":\"91370200163562681G\",\"title\":\"厨师\",\"occupation_code\":\"4-03-02-01\",\"positions\":1}");
    REFUSED(admin, "VacancyPost", SF_FAILED_PRECONDITION, "work_zone_code",
            "{\"enterprise_credit_code\":\"" CREDIT_1 "\",\"title\":\"厨师\",\"occupation_code\":\"4-03-02-01\",\"positions\":1,"
            "\"work_zone_code\":\"37020500900101\"}");
    /* V1 cook in zone 1, V2 security guard in zone 3, V3 waiter (part-time) in zone 2. */
    OK(admin, "VacancyPost", "{\"enterprise_credit_code\":\"" CREDIT_1 "\",\"title\":\"厨师\",\"occupation_code\":\"4-03-02-01\","
       "\"positions\":2,\"full_time\":true,\"wage_min\":3000,\"wage_max\":4500,\"opens_on\":\"2012-01-01\"}");
    SF_CHECK_EQ_INT(emp_json_int(r.reply, "id"), 1);
    SF_CHECK_EQ_STR(emp_json_str(r.reply, "work_zone_code"), ZONE_1);
    SF_CHECK_EQ_STR(emp_json_str(r.reply, "liaison_name"), "马联络");
    OK(admin, "VacancyPost", "{\"enterprise_credit_code\":\"" CREDIT_2 "\",\"title\":\"保安\",\"occupation_code\":\"4-07-05-01\","
       "\"positions\":1,\"full_time\":true,\"opens_on\":\"2012-01-01\"}");
    OK(admin, "VacancyPost", "{\"enterprise_credit_code\":\"" CREDIT_1 "\",\"title\":\"服务员\",\"occupation_code\":\"4-03-02-05\","
       "\"positions\":3,\"full_time\":false,\"work_zone_code\":\"" ZONE_2 "\",\"opens_on\":\"2012-01-01\"}");
    if (OK(viewer, "VacancyList", "{\"occupation_code\":\"4-03\",\"open_only\":true}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "vacancies"), 2);
    if (OK(viewer, "EnterpriseGet", "{\"credit_code\":\"" CREDIT_1 "\"}"))
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "open_vacancies"), 2);
}

/* --- matching ---------------------------------------------------------------------- */

static void
test_matching(void)
{
    /* R1 lives in zone 1 and cooks: the cook's job at home, the waiter's job
     * 556 m away (a near occupation), the guard's job far off. */
    if (OK(reader, "MatchVacancies", "{\"resident_id\":\"R0000001\"}") && SF_CHECK_EQ_INT(emp_json_len(r.reply, "matches"), 3)) {
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "matches[0].vacancy.id"), 1);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "matches[1].vacancy.id"), 3);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "matches[2].vacancy.id"), 2);
        SF_CHECK(emp_json_num(r.reply, "matches[0].fit") > 0.99);
        SF_CHECK(emp_json_num(r.reply, "matches[1].fit") > 0.69 && emp_json_num(r.reply, "matches[1].fit") < 0.71);
        long long near = emp_json_int(r.reply, "matches[1].distance_m");
        SF_CHECK(near > 540 && near < 570);
        SF_CHECK(cJSON_IsTrue(emp_json_at(r.reply, "matches[1].within_circle")));
        SF_CHECK(!cJSON_IsTrue(emp_json_at(r.reply, "matches[2].within_circle")));
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "radius_m"), 1500);
    }
    /* A circle of 100 m: the waiter's job is outside it, still before the
     * guard's for its fit. */
    if (OK(reader, "MatchVacancies", "{\"resident_id\":\"R0000001\",\"radius_m\":100}")) {
        SF_CHECK(!cJSON_IsTrue(emp_json_at(r.reply, "matches[1].within_circle")));
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "matches[1].vacancy.id"), 3);
    }
    /* R8 wishes for any 4-03 work and lives in zone 3: the guard's job is
     * near but does not fit; within the circle still comes first. */
    if (OK(reader, "MatchVacancies", "{\"resident_id\":\"R0000008\"}")) {
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "matches[0].vacancy.id"), 2);
        SF_CHECK(emp_json_num(r.reply, "matches[1].fit") > 0.89);
    }
    /* For the guard's vacancy in zone 3: those in a difficulty category
     * first, R5 (a guard, zone 3) before them all; R8, in none, last. */
    if (OK(reader, "MatchSeekers", "{\"vacancy_id\":2}") && SF_CHECK_EQ_INT(emp_json_len(r.reply, "matches"), 5)) {
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "matches[0].person.resident_id"), "R0000005");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "matches[4].person.resident_id"), "R0000008");
    }
    if (OK(street2, "MatchSeekers", "{\"vacancy_id\":1}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "matches"), 2);
    REFUSED(reader, "MatchVacancies", SF_INVALID_ARGUMENT, "radius_m", "{\"resident_id\":\"R0000001\",\"radius_m\":-1}");
    SF_CHECK_EQ_INT(emp_jcall(reader, E, "MatchVacancies", &r, "{\"resident_id\":\"R0000002\"}"), SF_NOT_FOUND);
}

/* --- placements and support ----------------------------------------------------------- */

static void
test_placements(void)
{
    if (OK(admin, "PlacementRegister", "{\"resident_id\":\"R0000001\",\"vacancy_id\":1,\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
           "\"source\":\"PLACEMENT_SOURCE_JOB_FAIR\",\"start_date\":\"2012-02-01\"}")) {
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "enterprise_credit_code"), CREDIT_1);
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "occupation_code"), "4-03-02-01");
        SF_CHECK(cJSON_IsTrue(emp_json_at(r.reply, "full_time")));
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "employer_name"), "四方饭店");
    }
    SF_CHECK_EQ_INT(count("SELECT open_positions FROM employment.vacancy WHERE id = 1"), 1);
    SF_CHECK_EQ_INT(count("SELECT status FROM employment.person WHERE resident_id = 'R0000001'"), 1);
    /* A part-time job beside it is allowed. */
    OK(admin, "PlacementRegister", "{\"resident_id\":\"R0000001\",\"vacancy_id\":3,\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
       "\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-02-10\"}");
    /* A second full-time one over the same days is not, here or in the database. */
    REFUSED(admin, "PlacementRegister", SF_FAILED_PRECONDITION, "start_date",
            "{\"resident_id\":\"R0000001\",\"enterprise_credit_code\":\"" CREDIT_2 "\",\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
            "\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"full_time\":true,\"start_date\":\"2012-03-01\"}");
    SF_CHECK_EQ_STR(sf_test_pg_sqlstate(db,
        "INSERT INTO employment.placement (person_serial, kind, source, full_time, start_date, home_zone_code)"
        " SELECT serial, 2, 1, true, '2012-05-01', home_zone_code FROM employment.person WHERE resident_id = 'R0000001'"),
        "23505");
    REFUSED(admin, "PlacementRegister", SF_INVALID_ARGUMENT, "end_date",
            "{\"resident_id\":\"R0000009\",\"vacancy_id\":1,\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
            "\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-03-01\",\"end_date\":\"2012-02-01\"}");
    REFUSED(admin, "PlacementRegister", SF_FAILED_PRECONDITION, "resident_id",
            "{\"resident_id\":\"R0000002\",\"vacancy_id\":1,\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
            "\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-03-01\"}");
    REFUSED(admin, "PlacementRegister", SF_FAILED_PRECONDITION, "start_date",
            "{\"resident_id\":\"R0000005\",\"vacancy_id\":2,\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
            "\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2011-12-01\"}");
    REFUSED(admin, "PlacementRegister", SF_INVALID_ARGUMENT, "kind",
            "{\"resident_id\":\"R0000005\",\"vacancy_id\":2,\"kind\":7,\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-02-01\"}");
    REFUSED(admin, "PlacementRegister", SF_INVALID_ARGUMENT, "enterprise_credit_code",
            "{\"resident_id\":\"R0000005\",\"kind\":\"PLACEMENT_KIND_ENTERPRISE\",\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-02-01\"}");
    REFUSED(street2, "PlacementRegister", SF_PERMISSION_DENIED, NULL,
            "{\"resident_id\":\"R0000009\",\"vacancy_id\":1,\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
            "\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-02-15\"}");
    /* The last position: the vacancy is filled, and refuses the next one. */
    OK(admin, "PlacementRegister", "{\"resident_id\":\"R0000009\",\"vacancy_id\":1,\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
       "\"source\":\"PLACEMENT_SOURCE_SERVICE_CENTRE\",\"start_date\":\"2012-02-15\"}");
    long long r9_placement = emp_json_int(r.reply, "id");
    SF_CHECK_EQ_INT(count("SELECT open_positions * 10 + status FROM employment.vacancy WHERE id = 1"), 2);
    REFUSED(admin, "PlacementRegister", SF_FAILED_PRECONDITION, "vacancy_id",
            "{\"resident_id\":\"R0000005\",\"vacancy_id\":1,\"kind\":\"PLACEMENT_KIND_ENTERPRISE\","
            "\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-03-01\"}");

    /* Ending one: out of work from the next day, in the history. */
    REFUSED(admin, "PlacementEnd", SF_INVALID_ARGUMENT, "end_date",
            "{\"id\":%lld,\"end_date\":\"2012-01-01\",\"reason\":\"SEPARATION_REASON_CONTRACT_ENDED\"}", r9_placement);
    if (OK(admin, "PlacementEnd", "{\"id\":%lld,\"end_date\":\"2012-05-31\",\"reason\":\"SEPARATION_REASON_CONTRACT_ENDED\"}",
           r9_placement))
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "end_date"), "2012-05-31");
    if (OK(reader, "PersonGet", "{\"resident_id\":\"R0000009\"}")) {
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "status"), "LABOR_STATUS_UNEMPLOYED");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "status_since"), "2012-06-01");
    }
    if (OK(reader, "PersonHistory", "{\"resident_id\":\"R0000009\"}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "changes"), 3);

    /* Requests that arrive together go through the batch handler: one bad
     * one is refused alone. */
    sf_client_t *pipe = emp_client(daemons.employment_endpoint, "loader", "district", "");
    const char *bodies[] = {
        "{\"resident_id\":\"R0000005\",\"vacancy_id\":2,\"kind\":\"PLACEMENT_KIND_ENTERPRISE\",\"source\":\"PLACEMENT_SOURCE_JOB_FAIR\",\"start_date\":\"2012-04-01\"}",
        "{\"resident_id\":\"R0000010\",\"vacancy_id\":2,\"kind\":\"PLACEMENT_KIND_ENTERPRISE\",\"source\":\"PLACEMENT_SOURCE_JOB_FAIR\",\"start_date\":\"2012-04-02\"}",
        "{\"resident_id\":\"R0000010\",\"kind\":\"PLACEMENT_KIND_FLEXIBLE\",\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-04-03\",\"employer_name\":\"快递站\"}",
    };
    const ProtobufCMethodDescriptor *method = sf_registry_method(E, "PlacementRegister");
    for (int i = 0; i < 3; i++) {
        ProtobufCMessage *request = sf_json_parse_message(method->input, bodies[i], strlen(bodies[i]), NULL, 0, NULL, 0);
        char id[32];
        snprintf(id, sizeof id, "pipe-%d", i);
        SF_CHECK(request && sf_client_send(pipe, "PlacementRegister", id, request) == 0);
        if (request)
            protobuf_c_message_free_unpacked(request, NULL);
    }
    sf_status_t statuses[3] = { SF_INTERNAL, SF_INTERNAL, SF_INTERNAL };
    for (int got = 0; got < 3;) {
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        if (!SF_CHECK_EQ_INT(sf_client_recv(pipe, 10000, &body, &size, &info), 1))
            break;
        statuses[atoi(info.request_id + 5)] = info.status;
        free(body);
        got++;
    }
    SF_CHECK_EQ_INT(statuses[0], SF_OK);
    SF_CHECK_EQ_INT(statuses[1], SF_FAILED_PRECONDITION);   /* the guard's one position went to R5 */
    SF_CHECK_EQ_INT(statuses[2], SF_OK);
    sf_client_destroy(&pipe);
    SF_CHECK_EQ_INT(count("SELECT status FROM employment.vacancy WHERE id = 2"), 2);
    SF_CHECK_EQ_INT(count("SELECT status FROM employment.person WHERE resident_id = 'R0000010'"), 3);
    if (OK(reader, "PlacementList", "{\"resident_id\":\"R0000001\"}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "placements"), 2);
    if (OK(reader, "PlacementList", "{\"under\":\"" STREET_2 "\",\"started_from\":\"2012-04-01\"}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "placements"), 1);

    /* Entrepreneurship support: R8 becomes an entrepreneur. */
    REFUSED(admin, "SupportGrant", SF_INVALID_ARGUMENT, "subsidy_yuan",
            "{\"resident_id\":\"R0000008\",\"business_name\":\"周记早点\",\"granted_on\":\"2012-04-10\"}");
    REFUSED(admin, "SupportGrant", SF_FAILED_PRECONDITION, "resident_id",
            "{\"resident_id\":\"R0000002\",\"business_name\":\"x\",\"subsidy_yuan\":5000}");
    REFUSED(admin, "SupportGrant", SF_INVALID_ARGUMENT, "business_credit_code",
            "{\"resident_id\":\"R0000008\",\"business_name\":\"x\",\"subsidy_yuan\":5000,\"business_credit_code\":\"" CREDIT_BAD "\"}");
    if (OK(admin, "SupportGrant", "{\"resident_id\":\"R0000008\",\"business_name\":\"周记早点\",\"subsidy_yuan\":5000,"
           "\"guaranteed_loan_yuan\":50000,\"incubation_base\":\"四方创业园\",\"granted_on\":\"2012-04-10\"}"))
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "home_zone_code"), ZONE_3);
    if (OK(reader, "PersonGet", "{\"resident_id\":\"R0000008\"}"))
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "status"), "LABOR_STATUS_ENTREPRENEUR");
    if (OK(reader, "SupportList", "{\"granted_from\":\"2012-04-01\",\"granted_to\":\"2012-04-30\"}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "supports"), 1);
}

/* --- training ------------------------------------------------------------------------- */

static void
test_training(void)
{
    REFUSED(admin, "CourseCreate", SF_INVALID_ARGUMENT, "hours", "{\"code\":\"C-CHEF\",\"title\":\"中式烹调\",\"hours\":0}");
    OK(admin, "CourseCreate", "{\"code\":\"C-CHEF\",\"title\":\"中式烹调师（三级）\",\"occupation_code\":\"4-03-02-01\","
       "\"grade\":\"SKILL_GRADE_ADVANCED\",\"hours\":120,\"online\":true,\"provider\":\"四方区网上职业学校\"}");
    REFUSED(admin, "CourseCreate", SF_ALREADY_EXISTS, "code", "{\"code\":\"C-CHEF\",\"title\":\"again\",\"hours\":1}");
    OK(admin, "EnrolmentCreate", "{\"course_code\":\"C-CHEF\",\"resident_id\":\"R0000008\",\"enrolled_on\":\"2012-05-01\"}");
    long long enrolment = emp_json_int(r.reply, "id");
    REFUSED(admin, "EnrolmentCreate", SF_ALREADY_EXISTS, "course_code", "{\"course_code\":\"C-CHEF\",\"resident_id\":\"R0000008\"}");
    REFUSED(admin, "EnrolmentCreate", SF_FAILED_PRECONDITION, "course_code", "{\"course_code\":\"C-NONE\",\"resident_id\":\"R0000008\"}");
    REFUSED(admin, "MockTestRecord", SF_INVALID_ARGUMENT, "score", "{\"enrolment_id\":%lld,\"score\":150}", enrolment);
    REFUSED(admin, "MockTestRecord", SF_INVALID_ARGUMENT, "taken_on",
            "{\"enrolment_id\":%lld,\"score\":50,\"taken_on\":\"2012-04-01\"}", enrolment);
    OK(admin, "MockTestRecord", "{\"enrolment_id\":%lld,\"score\":85,\"taken_on\":\"2012-06-01\"}", enrolment);
    REFUSED(admin, "ExamResultRecord", SF_INVALID_ARGUMENT, "certificate_number",
            "{\"resident_id\":\"R0000008\",\"occupation_code\":\"4-03-02-01\",\"grade\":\"SKILL_GRADE_ADVANCED\","
            "\"exam_date\":\"2012-06-20\",\"theory_score\":40,\"practical_score\":70,\"certificate_number\":\"X\"}");
    if (OK(admin, "ExamResultRecord", "{\"resident_id\":\"R0000008\",\"occupation_code\":\"4-03-02-01\",\"grade\":\"SKILL_GRADE_ADVANCED\","
           "\"exam_date\":\"2012-06-20\",\"theory_score\":80,\"practical_score\":75,\"certificate_number\":\"QD-2012-000123\"}"))
        SF_CHECK(cJSON_IsTrue(emp_json_at(r.reply, "passed")));
    if (OK(reader, "PersonGet", "{\"resident_id\":\"R0000008\"}")) {
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "certificates[0].number"), "QD-2012-000123");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "skills[0].occupation_code"), "4-03-02-01");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "skills[0].grade"), "SKILL_GRADE_ADVANCED");
    }
    REFUSED(admin, "ExamResultRecord", SF_ALREADY_EXISTS, "certificate_number",
            "{\"resident_id\":\"R0000008\",\"occupation_code\":\"4-03-02-01\",\"grade\":\"SKILL_GRADE_ADVANCED\","
            "\"exam_date\":\"2012-06-21\",\"theory_score\":80,\"practical_score\":75,\"certificate_number\":\"QD-2012-000123\"}");
    OK(admin, "EnrolmentUpdate", "{\"id\":%lld,\"status\":\"ENROLMENT_STATUS_COMPLETED\",\"finished_on\":\"2012-06-30\"}", enrolment);
    REFUSED(admin, "EnrolmentUpdate", SF_FAILED_PRECONDITION, "status", "{\"id\":%lld,\"status\":\"ENROLMENT_STATUS_WITHDRAWN\"}", enrolment);
    if (OK(reader, "TrainingRecord", "{\"resident_id\":\"R0000008\"}")) {
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "enrolments"), 1);
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "mock_tests"), 1);
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "exams"), 1);
    }
    if (OK(viewer, "CourseList", "{\"occupation_code\":\"4-03\"}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "courses"), 1);
    if (OK(viewer, "OccupationList", "{}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "occupations"), 8);
    if (OK(viewer, "OccupationList", "{\"isco_code\":\"9621\"}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "occupations"), 2);
    if (OK(viewer, "OccupationGet", "{\"code\":\"4-10-01-05\"}"))
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "name"), "养老护理员");
}

/* --- people: what each duty sees and writes ------------------------------------------ */

/* One text from SQL (the first column of the first row), "" when none. */
static const char *
sql_text(char *out, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));
static const char *
sql_text(char *out, size_t size, const char *format, ...)
{
    char sql[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(sql, sizeof sql, format, args);
    va_end(args);
    PGresult *result = PQexec(db, sql);
    snprintf(out, size, "%s", PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0
                                  ? PQgetvalue(result, 0, 0) : "");
    PQclear(result);
    return out;
}

/* A person of a reply against their rows in SQL: clear, or masked as the
 * suite masks (the first character of the name and a * for each further
 * one; the birth year; no difficulties), the rest the same either way. */
static void
check_person_shown(const cJSON *person, bool clear, int line)
{
    const char *id = emp_json_str(person, "resident_id");
    char want[256];
    if (clear)
        sql_text(want, sizeof want, "SELECT name FROM employment.ref_resident WHERE id = '%s'", id);
    else
        sql_text(want, sizeof want, "SELECT left(name, 1) || repeat('*', char_length(name) - 1)"
                                    " FROM employment.ref_resident WHERE id = '%s'", id);
    if (strcmp(emp_json_str(person, "name"), want) != 0)
        SF_FAIL("line %d: %s name '%s', expected '%s'", line, id, emp_json_str(person, "name"), want);
    sql_text(want, sizeof want, clear ? "SELECT to_char(birth_date, 'YYYY-MM-DD') FROM employment.ref_resident WHERE id = '%s'"
                                      : "SELECT to_char(birth_date, 'YYYY') || '-**-**' FROM employment.ref_resident WHERE id = '%s'",
             id);
    if (strcmp(emp_json_str(person, "birth_date"), want) != 0)
        SF_FAIL("line %d: %s birth_date '%s', expected '%s'", line, id, emp_json_str(person, "birth_date"), want);
    long long categories = atoll(sql_text(want, sizeof want, "SELECT COALESCE(cardinality(difficulties), 0)"
                                                             " FROM employment.person WHERE resident_id = '%s'", id));
    SF_CHECK_EQ_INT(emp_json_len(person, "difficulties"), clear ? categories : 0);
    sql_text(want, sizeof want, "SELECT COALESCE(to_char(difficulty_since, 'YYYY-MM-DD'), '') FROM employment.person"
                                " WHERE resident_id = '%s'", id);
    SF_CHECK_EQ_STR(emp_json_str(person, "difficulty_since"), clear ? want : "");
    sql_text(want, sizeof want, "SELECT home_zone_code FROM employment.person WHERE resident_id = '%s'", id);
    SF_CHECK_EQ_STR(emp_json_str(person, "home_zone_code"), want);
    sql_text(want, sizeof want, "SELECT household_code FROM employment.ref_resident WHERE id = '%s'", id);
    SF_CHECK_EQ_STR(emp_json_str(person, "household_code"), want);
}
#define CHECK_PERSON(person, clear) check_person_shown(person, clear, __LINE__)

static sf_client_t *
person(const char *id, const sf_test_grant_t *grants, size_t n)
{
    sf_client_t *client = emp_client(daemons.employment_endpoint, id, "", "");
    SF_CHECK(client && sf_test_set_person(client, id, NULL, grants, n) == 0);
    return client;
}

static void
test_people_access(void)
{
    /* A counsellor of street 1; a leader of the district; a window clerk of
     * community 1; and a leader who also counsels street 2. */
    sf_test_grant_t counsel_1[] = { { "employment_counsellor", STREET_1, STREET_1, "*" } };
    sf_test_grant_t lead[] = { { "leader", "*", NULL, NULL } };
    sf_test_grant_t clerk_1[] = { { "window_clerk", COMMUNITY_1, COMMUNITY_1, "*" } };
    sf_test_grant_t lead_counsel_2[] = { { "leader", "*", NULL, NULL },
                                         { "employment_counsellor", STREET_2, STREET_2, "*" } };
    sf_client_t *counsellor = person("S00901", counsel_1, 1);
    sf_client_t *leader = person("S00902", lead, 1);
    sf_client_t *clerk = person("S00903", clerk_1, 1);
    sf_client_t *both = person("S00904", lead_counsel_2, 2);

    /* One person: in clear to the duty within its scope, masked to the
     * others, not there outside the view; never to the anonymous viewer. */
    if (OK(counsellor, "PersonGet", "{\"resident_id\":\"R0000001\"}"))
        CHECK_PERSON(r.reply, true);
    if (OK(leader, "PersonGet", "{\"resident_id\":\"R0000001\"}"))
        CHECK_PERSON(r.reply, false);
    if (OK(clerk, "PersonGet", "{\"resident_id\":\"R0000009\"}"))
        CHECK_PERSON(r.reply, false);
    if (OK(both, "PersonGet", "{\"resident_id\":\"R0000001\"}"))
        CHECK_PERSON(r.reply, false);
    if (OK(both, "PersonGet", "{\"resident_id\":\"R0000005\"}"))
        CHECK_PERSON(r.reply, true);
    REFUSED(counsellor, "PersonGet", SF_NOT_FOUND, NULL, "{\"resident_id\":\"R0000005\"}");
    REFUSED(counsellor, "PersonGet", SF_NOT_FOUND, NULL, "{\"resident_id\":\"R0000002\"}");
    REFUSED(clerk, "PersonGet", SF_NOT_FOUND, NULL, "{\"resident_id\":\"R0000005\"}");
    REFUSED(counsellor, "PersonHistory", SF_NOT_FOUND, NULL, "{\"resident_id\":\"R0000005\"}");
    SF_CHECK(OK(counsellor, "PersonHistory", "{\"resident_id\":\"R0000001\"}"));
    REFUSED(counsellor, "MatchVacancies", SF_NOT_FOUND, NULL, "{\"resident_id\":\"R0000005\"}");
    REFUSED(counsellor, "TrainingRecord", SF_NOT_FOUND, NULL, "{\"resident_id\":\"R0000008\"}");
    REFUSED(counsellor, "TrainingRecord", SF_NOT_FOUND, NULL, "{\"resident_id\":\"R0000002\"}");
    if (OK(both, "TrainingRecord", "{\"resident_id\":\"R0000008\"}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "enrolments"), 1);
    const char *person_reads[][2] = {
        { "PersonGet", "{\"resident_id\":\"R0000001\"}" }, { "PersonList", "{}" },
        { "PersonHistory", "{\"resident_id\":\"R0000001\"}" }, { "MatchVacancies", "{\"resident_id\":\"R0000001\"}" },
        { "MatchSeekers", "{\"vacancy_id\":2}" }, { "TrainingRecord", "{\"resident_id\":\"R0000008\"}" },
        { "PlacementList", "{}" }, { "SupportList", "{}" }, { "ExportEvents", "{}" },
    };
    for (size_t i = 0; i < sizeof person_reads / sizeof person_reads[0]; i++)
        REFUSED(viewer, person_reads[i][0], SF_PERMISSION_DENIED, NULL, "%s", person_reads[i][1]);

    /* Lists: the caller's view, each person shown as the caller may see
     * them; a scope widened in the request gives nothing. */
    if (OK(counsellor, "PersonList", "{}")) {
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "people"),
                        count("SELECT count(*) FROM employment.person WHERE home_zone_code LIKE '" STREET_1 "%'"));
        for (int i = 0; i < emp_json_len(r.reply, "people"); i++)
            CHECK_PERSON(cJSON_GetArrayItem(cJSON_GetObjectItem(r.reply, "people"), i), true);
    }
    if (OK(counsellor, "PersonList", "{\"under\":\"" STREET_2 "\"}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "people"), 0);
    if (OK(both, "PersonList", "{}")) {
        const cJSON *people = cJSON_GetObjectItem(r.reply, "people");
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "people"), count("SELECT count(*) FROM employment.person"));
        for (int i = 0; i < cJSON_GetArraySize(people); i++) {
            const cJSON *one = cJSON_GetArrayItem(people, i);
            CHECK_PERSON(one, strncmp(emp_json_str(one, "home_zone_code"), STREET_2, strlen(STREET_2)) == 0);
        }
    }
    /* Who is in a difficulty category is the duty's: a filter on it finds
     * only those the caller's duty reaches. */
    if (OK(leader, "PersonList", "{\"difficulty\":\"DIFFICULTY_CATEGORY_LOW_INCOME\"}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "people"), 0);
    if (OK(both, "PersonList", "{\"difficulty\":\"DIFFICULTY_CATEGORY_LOW_INCOME\"}")
        && SF_CHECK_EQ_INT(emp_json_len(r.reply, "people"), 1))
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "people[0].resident_id"), "R0000005");
    if (OK(counsellor, "MatchSeekers", "{\"vacancy_id\":2}")) {
        const cJSON *matches = cJSON_GetObjectItem(r.reply, "matches");
        SF_CHECK_EQ_INT(cJSON_GetArraySize(matches),
                        count("SELECT count(*) FROM employment.person WHERE seeking_work"
                              " AND home_zone_code LIKE '" STREET_1 "%'"));
        for (int i = 0; i < cJSON_GetArraySize(matches); i++)
            CHECK_PERSON(emp_json_at(cJSON_GetArrayItem(matches, i), "person"), true);
    }
    if (OK(leader, "MatchSeekers", "{\"vacancy_id\":2}")) {
        const cJSON *matches = cJSON_GetObjectItem(r.reply, "matches");
        SF_CHECK_EQ_INT(cJSON_GetArraySize(matches), count("SELECT count(*) FROM employment.person WHERE seeking_work"));
        for (int i = 0; i < cJSON_GetArraySize(matches); i++)
            CHECK_PERSON(emp_json_at(cJSON_GetArrayItem(matches, i), "person"), false);
    }
    if (OK(counsellor, "PlacementList", "{}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "placements"),
                        count("SELECT count(*) FROM employment.placement WHERE home_zone_code LIKE '" STREET_1 "%'"));

    /* Writes: the employment duty within its write scope; a person outside
     * the view is not there; other duties may not write at all. */
    REFUSED(counsellor, "PersonUpdate", SF_NOT_FOUND, NULL,
            "{\"resident_id\":\"R0000005\",\"set_seeking_work\":true,\"seeking_work\":false}");
    REFUSED(both, "PersonUpdate", SF_PERMISSION_DENIED, NULL,
            "{\"resident_id\":\"R0000001\",\"set_seeking_work\":true,\"seeking_work\":false}");
    REFUSED(leader, "PersonUpdate", SF_PERMISSION_DENIED, NULL,
            "{\"resident_id\":\"R0000001\",\"set_seeking_work\":true,\"seeking_work\":false}");
    REFUSED(clerk, "PersonUpdate", SF_PERMISSION_DENIED, NULL,
            "{\"resident_id\":\"R0000001\",\"set_seeking_work\":true,\"seeking_work\":false}");
    REFUSED(both, "PersonRegister", SF_PERMISSION_DENIED, NULL,
            "{\"resident_id\":\"R0000011\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"registered_on\":\"2012-01-05\"}");
    REFUSED(counsellor, "SupportGrant", SF_FAILED_PRECONDITION, "resident_id",
            "{\"resident_id\":\"R0000008\",\"business_name\":\"x\",\"subsidy_yuan\":1,\"granted_on\":\"2012-04-02\"}");
    REFUSED(both, "EnrolmentCreate", SF_PERMISSION_DENIED, NULL, "{\"course_code\":\"C-CHEF\",\"resident_id\":\"R0000009\"}");
    REFUSED(counsellor, "VacancyPost", SF_PERMISSION_DENIED, NULL,
            "{\"enterprise_credit_code\":\"" CREDIT_1 "\",\"title\":\"x\",\"occupation_code\":\"4-03-02-01\","
            "\"positions\":1,\"work_zone_code\":\"" ZONE_3 "\"}");
    long long version = count("SELECT version FROM employment.person WHERE resident_id = 'R0000010'");
    if (OK(counsellor, "PersonUpdate", "{\"resident_id\":\"R0000010\",\"set_seeking_work\":true,\"seeking_work\":false}")) {
        SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.person WHERE resident_id = 'R0000010' AND NOT seeking_work"), 1);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "version"), version + 1);
        SF_CHECK(OK(counsellor, "PersonUpdate", "{\"resident_id\":\"R0000010\",\"set_seeking_work\":true,\"seeking_work\":true}"));
    }
    sf_client_destroy(&counsellor);
    sf_client_destroy(&leader);
    sf_client_destroy(&clerk);
    sf_client_destroy(&both);
}

/* --- import ----------------------------------------------------------------------------- */

static char *
read_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    char *text = calloc(1, 1 << 20);
    size_t got = text ? fread(text, 1, (1 << 20) - 1, file) : 0;
    (void) got;
    fclose(file);
    return text;
}

static const char *
result_at(int i, const char *what)
{
    static char path[64];
    snprintf(path, sizeof path, "results[%d].%s", i, what);
    return emp_json_str(r.reply, path);
}

static bool
import_text(sf_client_t *client, const char *text, bool errors_only)
{
    cJSON *request = cJSON_CreateObject();
    cJSON_AddStringToObject(request, "system", "qd-labour");
    cJSON_AddStringToObject(request, "text", text);
    cJSON_AddBoolToObject(request, "errors_only", errors_only);
    char *json = cJSON_PrintUnformatted(request);
    cJSON_Delete(request);
    sf_status_t status = emp_jcall(client, E, "ImportBatch", &r, "%s", json);
    free(json);
    if (status != SF_OK)
        return SF_FAIL("ImportBatch: %s: %s (%s)", sf_status_name(status), r.message, r.field);
    return true;
}

static void
test_import(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/services/employment/schema/samples/valid.jsonl", sf_test_source_dir());
    char *valid = read_file(path);
    snprintf(path, sizeof path, "%s/services/employment/schema/samples/invalid.jsonl", sf_test_source_dir());
    char *invalid = read_file(path);
    if (!SF_CHECK(valid && invalid))
        goto cleanup;

    /* The documented samples import as they are. */
    if (import_text(importer, valid, false)) {
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "created"), 5);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "failed"), 0);
        SF_CHECK_EQ_STR(result_at(3, "kind"), "placement");
    }
    SF_CHECK_EQ_INT(count("SELECT open_positions FROM employment.vacancy WHERE ext_id = 'V-100'"), 4);
    SF_CHECK_EQ_INT(count("SELECT status FROM employment.person WHERE resident_id = 'R0000002'"), 1);
    /* Again (another request id): unchanged, no event. */
    long long head = count("SELECT seq FROM employment.event_head");
    if (import_text(importer, valid, false)) {
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "unchanged"), 5);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "created"), 0);
    }
    SF_CHECK_EQ_INT(count("SELECT seq FROM employment.event_head"), head);

    /* Every documented bad line is refused, and nothing changes. */
    char before[128], after[128];
    fingerprint(before, sizeof before);
    if (import_text(importer, invalid, false)) {
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "failed"), emp_json_int(r.reply, "lines"));
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "lines"), 11);
        SF_CHECK_EQ_STR(result_at(2, "field"), "person.difficulties[0]");
        SF_CHECK_EQ_STR(result_at(3, "field"), "registered_on");
        SF_CHECK_EQ_STR(result_at(5, "field"), "enterprise_credit_code");
    }
    fingerprint(after, sizeof after);
    SF_CHECK_EQ_STR(after, before);

    /* Bad lines among good ones: each with its line number and reason, the
     * rest applied. */
    const char *mixed =
        "{\"external_id\":\n"
        "{\"external_id\":\"P-200\",\"person\":{\"resident_id\":\"R0000011\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"difficulties\":[\"DIFFICULTY_CATEGORY_HUNGRY\"]}}\n"
        "{\"external_id\":\"P-201\",\"person\":{\"resident_id\":\"R0000011\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"registered_on\":\"2012-02-01\",\"difficulties\":[\"DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY\"]}}\n"
        "{\"external_id\":\"PL-200\",\"placement\":{\"resident_id\":\"R0000012\",\"kind\":\"PLACEMENT_KIND_FLEXIBLE\",\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-05-01\"}}\n"
        "{\"external_id\":\"PL-201\",\"placement\":{\"resident_id\":\"R0000011\",\"kind\":\"PLACEMENT_KIND_FLEXIBLE\",\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-05-01\",\"end_date\":\"2012-04-01\"}}\n"
        "{\"external_id\":\"PL-202\",\"placement\":{\"resident_id\":\"R0000011\",\"kind\":\"PLACEMENT_KIND_FLEXIBLE\",\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"full_time\":true,\"start_date\":\"2012-05-01\"}}\n"
        "\n"
        "{\"external_id\":\"V-200\",\"vacancy\":{\"enterprise_credit_code\":\"" CREDIT_2 "\",\"title\":\"巡逻员\",\"occupation_code\":\"4-07-05-01\",\"positions\":2,\"full_time\":true,\"opens_on\":\"2012-05-01\"}}\n"
        "{\"external_id\":\"V-201\",\"vacancy\":{\"enterprise_credit_code\":\"" CREDIT_2 "\",\"title\":\"巡逻员\",\"occupation_code\":\"4-07-05-01\",\"positions\":2,\"opens_on\":\"2012-05-01\",\"closes_on\":\"2012-04-30\"}}\n"
        "{\"external_id\":\"PL-203\",\"placement\":{\"resident_id\":\"R0000011\",\"vacancy_external_id\":\"V-200\",\"kind\":\"PLACEMENT_KIND_ENTERPRISE\",\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-05-10\"}}\n";
    if (import_text(importer, mixed, false) && SF_CHECK_EQ_INT(emp_json_len(r.reply, "results"), 9)) {
        static const struct { int line; const char *outcome, *field; } expected[] = {
            { 1, "IMPORT_OUTCOME_FAILED", "" },
            { 2, "IMPORT_OUTCOME_FAILED", "person.difficulties[0]" },
            { 3, "IMPORT_OUTCOME_CREATED", "" },
            { 4, "IMPORT_OUTCOME_FAILED", "resident_id" },
            { 5, "IMPORT_OUTCOME_FAILED", "end_date" },
            { 6, "IMPORT_OUTCOME_CREATED", "" },
            { 8, "IMPORT_OUTCOME_CREATED", "" },
            { 9, "IMPORT_OUTCOME_FAILED", "closes_on" },
            { 10, "IMPORT_OUTCOME_FAILED", "start_date" },   /* full-time PL-202 holds those days */
        };
        for (int i = 0; i < 9; i++) {
            char at[64];
            snprintf(at, sizeof at, "results[%d].line", i);
            SF_CHECK_EQ_INT(emp_json_int(r.reply, at), expected[i].line);
            SF_CHECK_EQ_STR(result_at(i, "outcome"), expected[i].outcome);
            SF_CHECK_EQ_STR(result_at(i, "field"), expected[i].field);
        }
        SF_CHECK(strstr(result_at(0, "error"), "malformed JSON") != NULL);
        SF_CHECK(strstr(result_at(3, "error"), "no person R0000012") != NULL);
        SF_CHECK_EQ_STR(result_at(3, "status"), "FAILED_PRECONDITION");
    }
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.placement pl JOIN employment.person p ON p.serial = pl.person_serial"
                          " WHERE p.resident_id = 'R0000011'"), 1);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.person WHERE resident_id = 'R0000012'"), 0);
    SF_CHECK_EQ_INT(count("SELECT open_positions FROM employment.vacancy WHERE ext_id = 'V-200'"), 2);

    /* Changed content updates: a status through its history, an end date. */
    const char *changes =
        "{\"external_id\":\"P-201\",\"person\":{\"resident_id\":\"R0000011\",\"status\":\"LABOR_STATUS_FLEXIBLE\",\"status_since\":\"2012-05-01\",\"registered_on\":\"2012-02-01\",\"difficulties\":[\"DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY\"]}}\n"
        "{\"external_id\":\"PL-202\",\"placement\":{\"resident_id\":\"R0000011\",\"kind\":\"PLACEMENT_KIND_FLEXIBLE\",\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"full_time\":true,\"start_date\":\"2012-05-01\",\"end_date\":\"2012-08-31\"}}\n"
        "{\"external_id\":\"PL-202\",\"placement\":{\"resident_id\":\"R0000011\",\"kind\":\"PLACEMENT_KIND_ENTERPRISE\",\"enterprise_credit_code\":\"" CREDIT_2 "\",\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"full_time\":true,\"start_date\":\"2012-05-01\"}}\n"
        "{\"external_id\":\"V-200\",\"vacancy\":{\"enterprise_credit_code\":\"" CREDIT_2 "\",\"title\":\"巡逻员\",\"occupation_code\":\"4-07-05-01\",\"positions\":5,\"full_time\":true,\"opens_on\":\"2012-05-01\"}}\n";
    if (import_text(importer, changes, false)) {
        SF_CHECK_EQ_STR(result_at(0, "outcome"), "IMPORT_OUTCOME_UPDATED");
        SF_CHECK_EQ_STR(result_at(1, "outcome"), "IMPORT_OUTCOME_UPDATED");
        SF_CHECK_EQ_STR(result_at(2, "outcome"), "IMPORT_OUTCOME_FAILED");
        SF_CHECK_EQ_STR(result_at(2, "field"), "external_id");
        SF_CHECK_EQ_STR(result_at(3, "outcome"), "IMPORT_OUTCOME_UPDATED");
    }
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.placement WHERE ext_id = 'PL-202' AND end_date = '2012-08-31'"), 1);
    SF_CHECK_EQ_INT(count("SELECT open_positions FROM employment.vacancy WHERE ext_id = 'V-200'"), 5);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.status_period s JOIN employment.person p ON p.serial = s.person_serial"
                          " WHERE p.resident_id = 'R0000011'"), 2);

    /* A failure only the database sees sinks the set-based statement: each
     * record then runs alone in its savepoint, and only the bad one fails. */
    SF_CHECK_EQ_INT(sf_test_pg_exec(db, "ALTER TABLE employment.vacancy ADD CONSTRAINT test_no_forbidden CHECK (title <> 'FORBIDDEN')"), 0);
    const char *forbidden =
        "{\"external_id\":\"V-300\",\"vacancy\":{\"enterprise_credit_code\":\"" CREDIT_2 "\",\"title\":\"门卫\",\"occupation_code\":\"4-07-05-01\",\"positions\":1,\"opens_on\":\"2012-06-01\"}}\n"
        "{\"external_id\":\"V-301\",\"vacancy\":{\"enterprise_credit_code\":\"" CREDIT_2 "\",\"title\":\"FORBIDDEN\",\"occupation_code\":\"4-07-05-01\",\"positions\":1,\"opens_on\":\"2012-06-01\"}}\n"
        "{\"external_id\":\"V-302\",\"vacancy\":{\"enterprise_credit_code\":\"" CREDIT_2 "\",\"title\":\"夜班门卫\",\"occupation_code\":\"4-07-05-01\",\"positions\":1,\"opens_on\":\"2012-06-01\"}}\n";
    if (import_text(importer, forbidden, true)) {
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "created"), 2);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "failed"), 1);
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "results"), 1);   /* errors only */
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "results[0].line"), 2);
        SF_CHECK_EQ_STR(result_at(0, "status"), "INVALID_ARGUMENT");
    }
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.vacancy WHERE ext_id IN ('V-300', 'V-301', 'V-302')"), 2);
    /* The import's events are one group in the log (see test_export for how
     * they read back): the two posted vacancies, the first one's key. */
    SF_CHECK_EQ_INT(count("SELECT events FROM employment.event_log WHERE type = 'vacancy.posted' AND key IN"
                          " (SELECT id::text FROM employment.vacancy WHERE ext_id = 'V-300')"), 2);
    SF_CHECK_EQ_INT(sf_test_pg_exec(db, "ALTER TABLE employment.vacancy DROP CONSTRAINT test_no_forbidden"), 0);

    /* Whole-request refusals. */
    REFUSED(viewer, "ImportBatch", SF_PERMISSION_DENIED, NULL, "{\"text\":\"{}\"}");
    REFUSED(importer, "ImportBatch", SF_INVALID_ARGUMENT, "system", "{\"system\":\"bad system\",\"text\":\"{}\"}");
    char *big = malloc(210000);
    if (big) {
        memset(big, ' ', 209999);
        big[0] = '{';
        big[209998] = '}';
        big[209999] = 0;
        cJSON *request = cJSON_CreateObject();
        cJSON_AddStringToObject(request, "text", big);
        char *json = cJSON_PrintUnformatted(request);
        REFUSED(importer, "ImportBatch", SF_INVALID_ARGUMENT, "text", "%s", json);
        free(json);
        cJSON_Delete(request);
        free(big);
    }

    /* The file tool: the same samples again, from a file, all unchanged. */
    char command[2048];
    snprintf(command, sizeof command,
             "SIFANG_EMPLOYMENT_ENDPOINT=%s %s/services/employment/sifang-employment-import --all"
             " --system qd-labour --principal qd-labour:service %s/services/employment/schema/samples/valid.jsonl > %s/tool.out 2>&1",
             daemons.employment_endpoint, sf_test_binary_dir(), sf_test_source_dir(), daemons.dir);
    int rc = system(command);
    SF_CHECK_EQ_INT(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0);
    snprintf(path, sizeof path, "%s/tool.out", daemons.dir);
    char *out = read_file(path);
    SF_CHECK(out && strstr(out, "\"line\":5,\"outcome\":\"IMPORT_OUTCOME_UNCHANGED\"") != NULL);
    SF_CHECK(out && strstr(out, "5 unchanged, 0 failed") != NULL);
    /* Its results are what the schema documents. */
    if (out) {
        FILE *results = fopen(path, "w");
        for (char *line = strtok(out, "\n"); results && line; line = strtok(NULL, "\n"))
            if (line[0] == '{')
                fprintf(results, "%s\n", line);
        if (results)
            fclose(results);
        snprintf(command, sizeof command, "/usr/bin/python3 %s/services/employment/schema/validate.py"
                 " import-result.schema.json %s", sf_test_source_dir(), path);
        rc = system(command);
        SF_CHECK_EQ_INT(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0);
    }
    free(out);
    snprintf(command, sizeof command,
             "SIFANG_EMPLOYMENT_ENDPOINT=%s %s/services/employment/sifang-employment-import --principal qd-labour:service"
             " %s/services/employment/schema/samples/invalid.jsonl > /dev/null 2>&1",
             daemons.employment_endpoint, sf_test_binary_dir(), sf_test_source_dir());
    rc = system(command);
    SF_CHECK_EQ_INT(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 1);
cleanup:
    free(valid);
    free(invalid);
}

/* --- the change feed -------------------------------------------------------------------- */

static void
test_export(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/export.jsonl", daemons.dir);
    FILE *file = fopen(path, "w");
    if (!SF_CHECK(file != NULL))
        return;
    long long cursor = 0, head = count("SELECT seq FROM employment.event_head"), lines = 0, last = 0;
    bool ordered = true;
    for (int page = 0; page < 100 && cursor < head; page++) {
        if (!OK(importer, "ExportEvents", "{\"after\":%lld,\"limit\":7}", cursor))
            break;
        const char *text = emp_json_str(r.reply, "text");
        fputs(text, file);
        for (const char *p = text; *p; p++)
            lines += *p == '\n';
        char first[64];
        snprintf(first, sizeof first, "%.60s", text);
        long long seq = atoll(strstr(text, "\"seq\":") ? strstr(text, "\"seq\":") + 6 : "0");
        ordered = ordered && seq == last + 1;
        SF_CHECK(emp_json_int(r.reply, "count") <= 7);
        cursor = emp_json_int(r.reply, "next_cursor");
        last = cursor;
    }
    fclose(file);
    SF_CHECK(ordered);
    SF_CHECK_EQ_INT(cursor, head);
    SF_CHECK_EQ_INT(lines, head);
    char command[1024];
    snprintf(command, sizeof command, "/usr/bin/python3 %s/services/employment/schema/validate.py export-event.schema.json %s",
             sf_test_source_dir(), path);
    int rc = system(command);
    SF_CHECK_EQ_INT(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0);
    /* A scoped principal gets no district-wide feed. */
    sf_client_t *scoped = emp_client(daemons.employment_endpoint, "s2", "service", STREET_2);
    SF_CHECK_EQ_INT(emp_jcall(scoped, E, "ExportEvents", &r, "{}"), SF_PERMISSION_DENIED);
    sf_client_destroy(&scoped);
    SF_CHECK(count("SELECT sum(events) FROM employment.event_log WHERE type = 'person.status_changed'") >= 5);
}

/* --- statistics, recomputed by plain SQL ---------------------------------------------------- */

static void
check_statistics(const char *from, const char *to, int length, const char *group_by)
{
    if (!OK(viewer, "Statistics", "{\"from\":\"%s\",\"to\":\"%s\",\"group_by\":\"%s\"}", from, to, group_by))
        return;
    char sql[4096];
    int rows = emp_json_len(r.reply, "rows");
    SF_CHECK(rows >= 2);
    for (int i = -1; i < rows; i++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, i < 0 ? "total" : "rows[%d]", i);
        char at[96];
        snprintf(at, sizeof at, "%s.unit_code", prefix);
        const char *unit = emp_json_str(r.reply, at);
        int cut = i < 0 ? 0 : length;
        /* The raw rows, counted plainly: placements and supports started in
         * the period; for each person the status and categories whose period
         * covers its last day (the current ones, or a closed period). */
        snprintf(sql, sizeof sql,
            "SELECT %s FROM (SELECT"
            " (SELECT count(DISTINCT person_serial) FROM employment.placement WHERE start_date >= '%s' AND start_date <= '%s'"
            "   AND left(home_zone_code, %d) = '%s') AS people_placed,"
            " (SELECT count(*) FROM employment.placement WHERE start_date >= '%s' AND start_date <= '%s'"
            "   AND left(home_zone_code, %d) = '%s') AS placements,"
            " (SELECT count(DISTINCT person_serial) FROM employment.support WHERE granted_on >= '%s' AND granted_on <= '%s'"
            "   AND left(home_zone_code, %d) = '%s') AS supported,"
            " (SELECT count(*) FROM employment.person p WHERE p.registered_on <= '%s' AND left(p.home_zone_code, %d) = '%s'"
            "   AND EXISTS (SELECT 1 FROM (SELECT difficulties, since, until FROM employment.difficulty_period"
            "     WHERE person_serial = p.serial UNION ALL SELECT p.difficulties, p.difficulty_since, DATE '9999-12-31') d"
            "     WHERE d.since <= '%s' AND d.until >= '%s' AND d.difficulties <> '{}')) AS registered,"
            " (SELECT count(*) FROM employment.person p WHERE p.registered_on <= '%s' AND left(p.home_zone_code, %d) = '%s'"
            "   AND EXISTS (SELECT 1 FROM (SELECT difficulties, since, until FROM employment.difficulty_period"
            "     WHERE person_serial = p.serial UNION ALL SELECT p.difficulties, p.difficulty_since, DATE '9999-12-31') d"
            "     WHERE d.since <= '%s' AND d.until >= '%s' AND d.difficulties <> '{}')"
            "   AND EXISTS (SELECT 1 FROM (SELECT status, since, until FROM employment.status_period"
            "     WHERE person_serial = p.serial UNION ALL SELECT p.status, p.status_since, DATE '9999-12-31') s"
            "     WHERE s.since <= '%s' AND s.until >= '%s' AND s.status IN (1, 3, 4))) AS employed) f",
            "%s", from, to, cut, unit, from, to, cut, unit, from, to, cut, unit,
            to, cut, unit, to, to, to, cut, unit, to, to, to, to);
        static const char *const figures[][2] = {
            { "people_placed", "people_placed" }, { "placements", "placements" },
            { "entrepreneurs_supported", "supported" }, { "difficulty_registered", "registered" },
            { "difficulty_employed", "employed" },
        };
        long long registered = 0, employed = 0;
        for (size_t f = 0; f < 5; f++) {
            char one[4200];
            snprintf(one, sizeof one, sql, figures[f][1]);
            snprintf(at, sizeof at, "%s.%s", prefix, figures[f][0]);
            long long reported = emp_json_int(r.reply, at), plain = count(one);
            if (reported != plain)
                SF_FAIL("%s..%s %s %s: reported %lld, plain SQL %lld", from, to, unit, figures[f][0], reported, plain);
            else
                SF_CHECK(true);
            if (f == 3)
                registered = plain;
            if (f == 4)
                employed = plain;
        }
        snprintf(at, sizeof at, "%s.difficulty_employment_rate", prefix);
        double rate = emp_json_num(r.reply, at);
        SF_CHECK(registered ? rate > (double) employed / registered - 1e-9 && rate < (double) employed / registered + 1e-9
                            : rate == 0.0);
    }
}

static long long
statistics_supported(const char *from, const char *to)
{
    if (!OK(viewer, "Statistics", "{\"from\":\"%s\",\"to\":\"%s\",\"group_by\":\"STATISTICS_GROUPING_STREET\"}",
            from, to))
        return -1;
    return emp_json_int(r.reply, "total.entrepreneurs_supported");
}

/* Statistics' replies are kept with the version of employment's data they
 * were computed from (common/sf_kept.h) and given again only while it
 * holds. Shown by a change made behind the daemon's back, with no event:
 * the kept reply still counts the row as it was; the next write, with its
 * event, makes the figures computed again, equal to plain SQL. */
static void
test_statistics_kept(void)
{
    const char *from = "2012-04-01", *to = "2012-04-30";
    static const char away[] = "UPDATE employment.support SET granted_on = granted_on - 366"
                               " WHERE granted_on BETWEEN '2012-04-01' AND '2012-04-30'";
    static const char back[] = "UPDATE employment.support SET granted_on = granted_on + 366"
                               " WHERE granted_on BETWEEN '2011-04-01' AND '2011-04-30'";
    long long supported = statistics_supported(from, to);
    SF_CHECK(supported >= 1);
    SF_CHECK_EQ_INT(sf_test_pg_exec(db, away), 0);
    SF_CHECK_EQ_INT(statistics_supported(from, to), supported);
    /* A write elsewhere (a support of R8's in June): its event moves the
     * version, and April is counted again without the row moved away. */
    for (int round = 0; round < 2; round++) {
        if (OK(admin, "SupportGrant", "{\"resident_id\":\"R0000008\",\"business_name\":\"周记早点%d店\","
               "\"subsidy_yuan\":2000,\"granted_on\":\"2012-06-1%d\"}", round + 2, round + 5))
            SF_CHECK_EQ_STR(emp_json_str(r.reply, "home_zone_code"), ZONE_3);
        check_statistics(from, to, 9, "STATISTICS_GROUPING_STREET");
        check_statistics(from, to, 12, "STATISTICS_GROUPING_COMMUNITY");
        SF_CHECK_EQ_INT(statistics_supported(from, to), round == 0 ? supported - 1 : supported);
        /* Then the row put back, behind the daemon's back again, and the
         * next round's write. */
        if (round == 0)
            SF_CHECK_EQ_INT(sf_test_pg_exec(db, back), 0);
    }
}

static void
test_statistics(void)
{
    check_statistics("2012-01-01", "2012-10-31", 9, "STATISTICS_GROUPING_STREET");
    check_statistics("2012-01-01", "2012-10-31", 12, "STATISTICS_GROUPING_COMMUNITY");
    /* At the end of February R9 was at work; at the end of October not. */
    check_statistics("2012-01-01", "2012-02-29", 9, "STATISTICS_GROUPING_STREET");
    check_statistics("2012-03-01", "2012-05-31", 12, "STATISTICS_GROUPING_COMMUNITY");
    if (OK(viewer, "Statistics", "{\"from\":\"2012-01-01\",\"to\":\"2012-02-29\",\"under\":\"" COMMUNITY_1 "\"}")) {
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "rows"), 1);
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "rows[0].unit_name"), "兴隆路街道");
        /* R1, R2 and R9 placed in February; R11 registered, not placed. */
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "total.difficulty_registered"), 4);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "total.difficulty_employed"), 3);
    }
    REFUSED(viewer, "Statistics", SF_INVALID_ARGUMENT, "to", "{\"from\":\"2012-05-01\",\"to\":\"2012-04-01\"}");
    REFUSED(viewer, "Statistics", SF_INVALID_ARGUMENT, "from", "{\"to\":\"2012-04-01\"}");
    test_statistics_kept();
}

/* --- peers that go away ----------------------------------------------------------------------- */

static void
test_peers(void)
{
    /* Grid restarts: employment follows what grid does afterwards. */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemons.grid), 0);
    SF_CHECK(OK(reader, "PersonGet", "{\"resident_id\":\"R0000001\"}"));
    SF_CHECK(emp_start_grid(&daemons) != NULL);
    grid_call("ResidentCreate", "{\"household_code\":\"370205001001011002\",\"name\":\"新居民\",\"gender\":\"GENDER_MALE\","
                                "\"birth_date\":\"1991-01-01\",\"relation\":\"member\"}");
    SF_CHECK(emp_wait_for(db, "SELECT count(*) FROM employment.ref_resident", N_RESIDENTS + 1, 15000));
    /* Employment away while grid changes: it catches up when back. */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemons.employment), 0);
    grid_call("ResidentCreate", "{\"household_code\":\"370205001001011002\",\"name\":\"又一位\",\"gender\":\"GENDER_FEMALE\","
                                "\"birth_date\":\"1992-02-02\",\"relation\":\"member\"}");
    const char *extra[] = { "SIFANG_EMPLOYMENT_IMPORT_MAX_BYTES=200000", NULL };
    SF_CHECK(emp_start_employment(&daemons, extra) != NULL);
    SF_CHECK(emp_wait_for(db, "SELECT count(*) FROM employment.ref_resident", N_RESIDENTS + 2, 15000));
    OK(admin, "PersonRegister", "{\"resident_id\":\"R0000014\",\"status\":\"LABOR_STATUS_UNEMPLOYED\"}");

    /* Registrations that arrive together go in one set-based insert, which
     * takes no conflict quietly: the same resident twice in the batch sinks
     * it, each request then runs alone, and only the repeat is refused. */
    sf_client_t *pipe = emp_client(daemons.employment_endpoint, "loader", "district", "");
    const char *residents_twice[] = { "R0000013", "R0000013", "R0000012" };
    const ProtobufCMethodDescriptor *method = sf_registry_method(E, "PersonRegister");
    for (int i = 0; i < 3; i++) {
        char json[160], id[32];
        snprintf(json, sizeof json, "{\"resident_id\":\"%s\",\"status\":\"LABOR_STATUS_UNEMPLOYED\","
                 "\"registered_on\":\"2012-03-01\"}", residents_twice[i]);
        ProtobufCMessage *request = sf_json_parse_message(method->input, json, strlen(json), NULL, 0, NULL, 0);
        snprintf(id, sizeof id, "twice-%d", i);
        SF_CHECK(request && sf_client_send(pipe, "PersonRegister", id, request) == 0);
        if (request)
            protobuf_c_message_free_unpacked(request, NULL);
    }
    sf_status_t statuses[3] = { SF_INTERNAL, SF_INTERNAL, SF_INTERNAL };
    for (int got = 0; got < 3; got++) {
        void *reply = NULL;
        size_t reply_size = 0;
        sf_reply_info_t reply_info;
        if (!SF_CHECK_EQ_INT(sf_client_recv(pipe, 10000, &reply, &reply_size, &reply_info), 1))
            break;
        statuses[atoi(reply_info.request_id + 6)] = reply_info.status;
        free(reply);
    }
    sf_client_destroy(&pipe);
    SF_CHECK_EQ_INT(statuses[0] == SF_OK ? statuses[1] : statuses[0], SF_ALREADY_EXISTS);
    SF_CHECK_EQ_INT(statuses[0] == SF_OK || statuses[1] == SF_OK, 1);
    SF_CHECK_EQ_INT(statuses[2], SF_OK);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.person WHERE resident_id IN ('R0000012', 'R0000013')"), 2);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.event_log WHERE type = 'person.registered'"
                          " AND key IN ('R0000012', 'R0000013')"), 2);
    /* A body that does not decode. */
    sf_reply_info_t info;
    void *body = NULL;
    size_t size = 0;
    SF_CHECK_EQ_INT(sf_client_call_raw(admin, "PersonRegister", NULL, "\xff\xff\xff", 3, &body, &size, &info),
                    SF_INVALID_ARGUMENT);
    free(body);
}

/* --- the district's calendar -------------------------------------------------------- */

/* Employment's today is the district's (SIFANG_EMPLOYMENT_TIMEZONE), not
 * UTC's. Run in a zone whose date is not UTC's right now (14 hours ahead or
 * 12 behind: one of them always is), a grant dated the zone's today is
 * taken and one dated its tomorrow is not. */
static void
test_calendar(void)
{
    time_t now = time(NULL);
    bool ahead = (now + 14 * 3600) / 86400 != now / 86400;
    time_t there = now + (ahead ? 14 : -12) * 3600, next = there + 86400;
    struct tm day;
    char zone[64], today[11], tomorrow[11];
    snprintf(zone, sizeof zone, "SIFANG_EMPLOYMENT_TIMEZONE=%s", ahead ? "Etc/GMT-14" : "Etc/GMT+12");
    strftime(today, sizeof today, "%Y-%m-%d", gmtime_r(&there, &day));
    strftime(tomorrow, sizeof tomorrow, "%Y-%m-%d", gmtime_r(&next, &day));
    printf("calendar: %s, today %s there\n", zone, today);

    SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemons.employment), 0);
    const char *unknown[] = { "SIFANG_EMPLOYMENT_TIMEZONE=Nowhere/Atlantis", NULL };
    SF_CHECK(emp_start_employment(&daemons, unknown) == NULL);
    char *log = read_file(daemons.employment_log);
    SF_CHECK(log && strstr(log, "no time zone Nowhere/Atlantis"));
    free(log);
    const char *extra[] = { "SIFANG_EMPLOYMENT_IMPORT_MAX_BYTES=200000", zone, NULL };
    if (!SF_CHECK(emp_start_employment(&daemons, extra) != NULL))
        return;
    if (OK(admin, "SupportGrant", "{\"resident_id\":\"R0000008\",\"business_name\":\"周记夜宵\",\"subsidy_yuan\":3000,"
           "\"granted_on\":\"%s\"}", today))
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "granted_on"), today);
    REFUSED(admin, "SupportGrant", SF_INVALID_ARGUMENT, "granted_on",
            "{\"resident_id\":\"R0000008\",\"business_name\":\"周记夜宵\",\"subsidy_yuan\":3000,"
            "\"granted_on\":\"%s\"}", tomorrow);
    /* A placement ending on the zone's today is still going on there. */
    if (OK(reader, "PlacementList", "{\"active_only\":true}")) {
        int active = emp_json_len(r.reply, "placements");
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM employment.placement WHERE end_date IS NULL OR end_date >= '%s'",
                 today);
        SF_CHECK_EQ_INT(active, count(sql));
    }
}

int
main(void)
{
    if (sf_test_pg_env("employment_integration") != 0 || emp_daemons_init(&daemons) != 0)
        return sf_test_done();
    db = sf_test_pg_connect();
    const char *extra[] = { "SIFANG_EMPLOYMENT_IMPORT_MAX_BYTES=200000", NULL };
    if (!SF_CHECK(db && emp_start_grid(&daemons) && emp_start_employment(&daemons, extra)))
        goto cleanup;
    grid_admin = emp_client(daemons.grid_endpoint, "admin", "admin", "");
    admin = emp_client(daemons.employment_endpoint, "centre", "district", "");
    street2 = emp_client(daemons.employment_endpoint, "street-2", "street", STREET_2);
    viewer = emp_client(daemons.employment_endpoint, "viewer", "viewer", "");
    reader = emp_client(daemons.employment_endpoint, "labour-bureau", "department", "");
    importer = emp_client(daemons.employment_endpoint, "qd-labour", "service", "");
    int64_t started = sf_clock_ms();
    build_district();
    test_people();
    test_enterprises_and_vacancies();
    test_matching();
    test_placements();
    test_training();
    test_people_access();
    test_import();
    test_statistics();
    test_export();
    test_peers();
    test_calendar();
    fprintf(stderr, "employment_integration_test: %.1f s\n", (double) (sf_clock_ms() - started) / 1000.0);
cleanup:
    emp_result_release(&r);
    sf_client_destroy(&grid_admin);
    sf_client_destroy(&admin);
    sf_client_destroy(&street2);
    sf_client_destroy(&viewer);
    sf_client_destroy(&reader);
    sf_client_destroy(&importer);
    emp_daemons_cleanup(&daemons);
    if (db)
        PQfinish(db);
    return sf_test_done();
}
