/* The district's employment practice through the real daemons (grid and
 * employment), the test cluster and real sockets: the difficulty categories'
 * rules (4050 by birth date and sex, the disabled person's certificate, the
 * zero-employment household) with each refusal; MatchSeekers ranking the
 * unemployed seekers, difficulty categories first, never the employed;
 * placements clearing seeking_work and separations (with their reason)
 * restoring it; status periods labelled by the event that began them;
 * follow-up visits scheduled, falling due, overdue and recorded; incubation
 * bases and tenants; the enterprises' side of 招工难 by industry and street;
 * certificates named by the national grades. Every reply and the event it
 * emitted (read back through ExportEvents, the change feed) is compared
 * field by field with the rows in SQL. */
#include "emp_test.h"
#include "sf_config.h"
#include "sf_ids.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define E "employment"
#define STREET_1 "370205001"
#define STREET_2 "370205002"
#define ZONE_1 "37020500100101"   /* 36.1000, 120.3700 */
#define ZONE_2 "37020500100102"   /* 556 m north */
#define ZONE_3 "37020500200101"   /* some 7 km away, street 2 */
#define CREDIT_1 "91350100M000100Y43"
#define CREDIT_2 "91110000600037341L"

static emp_daemons_t daemons;
static sf_client_t *grid_admin, *admin, *street2;
static PGconn *db;
static emp_result_t r;

/* Residents grid assigns in this order: R0000001 ... Ages are worked out
 * from today, so that the 40/50 line holds whatever day the test runs. */
static const struct {
    const char *household, *name, *gender;
    int age;   /* on today, a day past the birthday */
} residents[] = {
    { "370205001001011001", "李秀英", "GENDER_FEMALE", 45 },  /* R1 4050: a woman over 40 */
    { "370205001001011001", "王丽", "GENDER_FEMALE", 39 },    /* R2 a woman under 40 */
    { "370205001001021001", "张伟", "GENDER_MALE", 45 },      /* R3 a man under 50 */
    { "370205001001021001", "刘建国", "GENDER_MALE", 52 },    /* R4 4050: a man over 50 */
    { "370205001001021002", "陈芳", "GENDER_FEMALE", 35 },    /* R5 disabled */
    { "370205002001011001", "周强", "GENDER_MALE", 30 },      /* R6 employed, seeking another job */
    { "370205002001011001", "吴静", "GENDER_FEMALE", 32 },    /* R7 in R6's household */
    { "370205002001011002", "郑浩", "GENDER_MALE", 41 },      /* R8 zero-employment household */
    { "370205001001021003", "何丽", "GENDER_FEMALE", 28 },    /* R9 a seeker near the work */
    { "370205001001011002", "冯磊", "GENDER_MALE", 33 },      /* R10 a seeker, entrepreneur later */
};
#define N_RESIDENTS (sizeof residents / sizeof residents[0])

static char birth_dates[N_RESIDENTS][11];

/* --- SQL ---------------------------------------------------------------------- */

static long long
count(const char *sql)
{
    return sf_test_pg_int(db, sql);
}

/* A day relative to the district's today, "YYYY-MM-DD" (a few kept). */
static const char *
day(int offset)
{
    static char days[16][11];
    static int next;
    char *out = days[next++ % 16];
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT to_char((now() AT TIME ZONE 'Asia/Shanghai')::date + %d, 'YYYY-MM-DD')", offset);
    PGresult *result = PQexec(db, sql);
    snprintf(out, 11, "%s", PQresultStatus(result) == PGRES_TUPLES_OK ? PQgetvalue(result, 0, 0) : "?");
    PQclear(result);
    return out;
}

/* The JSON a statement gives (one row, one column), parsed; NULL on failure. */
static cJSON *
sql_json(const char *sql)
{
    PGresult *result = PQexec(db, sql);
    cJSON *json = NULL;
    if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) != 1)
        SF_FAIL("%s: %s", sql, PQresultErrorMessage(result));
    else
        json = cJSON_Parse(PQgetvalue(result, 0, 0));
    PQclear(result);
    return json;
}

/* Names of enums as the wire's JSON prints them. */
#define ENUM(names, value, zero) "pg_temp.e(ARRAY[" names "], " value ", '" zero "')"
#define LABOR(v) ENUM("'LABOR_STATUS_EMPLOYED','LABOR_STATUS_UNEMPLOYED','LABOR_STATUS_FLEXIBLE','LABOR_STATUS_ENTREPRENEUR'," \
                      "'LABOR_STATUS_STUDENT','LABOR_STATUS_RETIRED'", v, "LABOR_STATUS_UNSPECIFIED")
#define EVENT(v) ENUM("'STATUS_EVENT_REGISTRATION','STATUS_EVENT_PLACEMENT','STATUS_EVENT_SEPARATION'," \
                      "'STATUS_EVENT_CERTIFICATION','STATUS_EVENT_SUPPORT','STATUS_EVENT_UPDATE','STATUS_EVENT_IMPORT'", \
                      v, "STATUS_EVENT_UNSPECIFIED")
#define SEPARATION(v) ENUM("'SEPARATION_REASON_CONTRACT_ENDED','SEPARATION_REASON_RESIGNED','SEPARATION_REASON_DISMISSED'," \
                           "'SEPARATION_REASON_MUTUAL','SEPARATION_REASON_ENTERPRISE_CLOSED','SEPARATION_REASON_OTHER'", \
                           v, "SEPARATION_REASON_UNSPECIFIED")
#define FKIND(v) ENUM("'FOLLOW_UP_KIND_PLACEMENT','FOLLOW_UP_KIND_STARTUP'", v, "FOLLOW_UP_KIND_UNSPECIFIED")
#define FOUTCOME(v) ENUM("'FOLLOW_UP_OUTCOME_STILL_EMPLOYED','FOLLOW_UP_OUTCOME_LEFT_JOB','FOLLOW_UP_OUTCOME_BUSINESS_OPERATING'," \
                         "'FOLLOW_UP_OUTCOME_BUSINESS_CLOSED','FOLLOW_UP_OUTCOME_NEEDS_HELP','FOLLOW_UP_OUTCOME_NOT_REACHED'", \
                         v, "FOLLOW_UP_OUTCOME_UNSPECIFIED")
#define KIND(v) ENUM("'PLACEMENT_KIND_ENTERPRISE','PLACEMENT_KIND_FLEXIBLE','PLACEMENT_KIND_PUBLIC_WELFARE_POST'," \
                     "'PLACEMENT_KIND_SELF_EMPLOYED'", v, "PLACEMENT_KIND_UNSPECIFIED")
#define SOURCE(v) ENUM("'PLACEMENT_SOURCE_SERVICE_CENTRE','PLACEMENT_SOURCE_JOB_FAIR','PLACEMENT_SOURCE_ONLINE'", v, \
                       "PLACEMENT_SOURCE_UNSPECIFIED")
#define GRADE(v) ENUM("'SKILL_GRADE_ENTRY','SKILL_GRADE_INTERMEDIATE','SKILL_GRADE_ADVANCED','SKILL_GRADE_TECHNICIAN'," \
                      "'SKILL_GRADE_SENIOR_TECHNICIAN'", v, "SKILL_GRADE_UNSPECIFIED")
#define DIFFICULTY(v) ENUM("'DIFFICULTY_CATEGORY_AGED_4050','DIFFICULTY_CATEGORY_DISABLED'," \
                           "'DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY','DIFFICULTY_CATEGORY_LONG_TERM_UNEMPLOYED'," \
                           "'DIFFICULTY_CATEGORY_LOW_INCOME','DIFFICULTY_CATEGORY_LAND_LOST'," \
                           "'DIFFICULTY_CATEGORY_SINGLE_PARENT'", v, "DIFFICULTY_CATEGORY_UNSPECIFIED")
#define D(column) "COALESCE(to_char(" column ", 'YYYY-MM-DD'), '')"
#define MS(column) "(extract(epoch FROM " column ") * 1000)::bigint"

/* A person as SQL holds them, in the wire's JSON. */
#define PERSON_SQL(where) \
    "SELECT json_build_object('resident_id', p.resident_id, 'name', r.name, 'gender'," \
    " " ENUM("'GENDER_FEMALE','GENDER_MALE'", "r.gender", "GENDER_UNSPECIFIED") "," \
    " 'birth_date', " D("r.birth_date") ", 'household_code', r.household_code, 'home_zone_code', p.home_zone_code," \
    " 'status', " LABOR("p.status") ", 'status_since', " D("p.status_since") "," \
    " 'difficulties', (SELECT COALESCE(json_agg(" DIFFICULTY("d") " ORDER BY o), '[]') FROM unnest(p.difficulties)" \
    "   WITH ORDINALITY u(d, o)), 'difficulty_since', " D("p.difficulty_since") "," \
    " 'skills', (SELECT COALESCE(json_agg(json_build_object('occupation_code', c, 'grade', " GRADE("g") ", 'years', y)" \
    "   ORDER BY o), '[]') FROM unnest(p.skill_codes, p.skill_grades, p.skill_years) WITH ORDINALITY u(c, g, y, o))," \
    " 'certificates', (SELECT COALESCE(json_agg(json_build_object('number', c->>'number', 'name', c->>'name'," \
    "   'occupation_code', COALESCE(c->>'occupation_code', ''), 'grade', " GRADE("(c->>'grade')::int") "," \
    "   'issued_on', COALESCE(c->>'issued_on', ''), 'issuer', COALESCE(c->>'issuer', '')) ORDER BY o), '[]')" \
    "   FROM jsonb_array_elements(p.certificates) WITH ORDINALITY u(c, o))," \
    " 'seeking_work', p.seeking_work, 'desired_occupations', to_json(p.desired), 'registered_on', " D("p.registered_on") "," \
    " 'external_system', COALESCE(p.ext_system, ''), 'external_id', COALESCE(p.ext_id, '')," \
    " 'created_unix_ms', " MS("p.created_at") ", 'updated_unix_ms', " MS("p.updated_at") ", 'version', p.version," \
    " 'disability_certificate', p.disability_certificate, 'status_event', " EVENT("p.status_event") ")" \
    " FROM person p JOIN ref_resident r ON r.id = p.resident_id WHERE " where

#define PLACEMENT_SQL(where) \
    "SELECT json_build_object('id', pl.id, 'resident_id', p.resident_id, 'enterprise_credit_code'," \
    " COALESCE(pl.enterprise_credit_code, ''), 'vacancy_id', COALESCE(pl.vacancy_id, 0), 'vacancy_external_id', ''," \
    " 'occupation_code', COALESCE(pl.occupation_code, ''), 'kind', " KIND("pl.kind") ", 'source', " SOURCE("pl.source") "," \
    " 'full_time', pl.full_time, 'start_date', " D("pl.start_date") ", 'end_date', " D("pl.end_date") "," \
    " 'employer_name', pl.employer_name, 'home_zone_code', pl.home_zone_code, 'external_system', ''," \
    " 'external_id', '', 'created_unix_ms', " MS("pl.created_at") ", 'updated_unix_ms', " MS("pl.updated_at") "," \
    " 'version', pl.version, 'separation_reason', " SEPARATION("pl.separation_reason") "," \
    " 'separation_note', pl.separation_note)" \
    " FROM placement pl JOIN person p ON p.serial = pl.person_serial WHERE " where

#define FOLLOW_UP_SQL(where) \
    "SELECT json_build_object('id', f.id, 'kind', " FKIND("f.kind") ", 'placement_id', COALESCE(f.placement_id, 0)," \
    " 'support_id', COALESCE(f.support_id, 0), 'resident_id', p.resident_id, 'home_zone_code', f.home_zone_code," \
    " 'subject', COALESCE(CASE WHEN f.kind = 1 THEN COALESCE(NULLIF(pl.employer_name, ''), e.name)" \
    "   ELSE su.business_name END, ''), 'step', f.step, 'due_on', " D("f.due_on") ", 'visited_on', " D("f.visited_on") "," \
    " 'outcome', " FOUTCOME("f.outcome") ", 'note', f.note, 'visitor_id', f.visitor_id, 'cancelled', f.cancelled," \
    " 'overdue', f.visited_on IS NULL AND NOT f.cancelled AND f.due_on < (now() AT TIME ZONE 'Asia/Shanghai')::date," \
    " 'created_unix_ms', " MS("f.created_at") ", 'updated_unix_ms', " MS("f.updated_at") ", 'version', f.version)" \
    " FROM follow_up f JOIN person p ON p.serial = f.person_serial LEFT JOIN placement pl ON pl.id = f.placement_id" \
    " LEFT JOIN enterprise e ON e.credit_code = pl.enterprise_credit_code LEFT JOIN support su ON su.id = f.support_id" \
    " WHERE " where

#define TENANT_SQL(where) \
    "SELECT json_build_object('id', t.id, 'base_id', t.base_id, 'base_name', b.name, 'business_name', t.business_name," \
    " 'business_credit_code', COALESCE(t.business_credit_code, ''), 'resident_id', COALESCE(p.resident_id, '')," \
    " 'support_id', COALESCE(t.support_id, 0), 'entered_on', " D("t.entered_on") ", 'left_on', " D("t.left_on") "," \
    " 'left_reason', t.left_reason, 'created_unix_ms', " MS("t.created_at") ", 'updated_unix_ms', " MS("t.updated_at") "," \
    " 'version', t.version) FROM incubation_tenant t JOIN incubation_base b ON b.id = t.base_id" \
    " LEFT JOIN person p ON p.serial = t.person_serial WHERE " where

/* --- comparing -------------------------------------------------------------------- */

/* A scalar as text, its default ("", 0, false, null) as "". */
static void
canon(const cJSON *value, char *out, size_t size)
{
    if (!value || cJSON_IsNull(value) || cJSON_IsFalse(value))
        snprintf(out, size, "%s", "");
    else if (cJSON_IsTrue(value))
        snprintf(out, size, "%s", "true");
    else if (cJSON_IsNumber(value)) {
        double v = value->valuedouble;
        if (v == 0)
            snprintf(out, size, "%s", "");
        else if (v == floor(v) && fabs(v) < 1e18)
            snprintf(out, size, "%.0f", v);
        else
            snprintf(out, size, "%.6f", v);
    } else if (cJSON_IsString(value) || cJSON_IsRaw(value))
        snprintf(out, size, "%s", strcmp(value->valuestring, "0") == 0 ? "" : value->valuestring);
    else {
        char *printed = cJSON_PrintUnformatted(value);
        snprintf(out, size, "%s", printed && strcmp(printed, "[]") != 0 ? printed : "");
        free(printed);
    }
}

static bool
ignored(const char *name, const char *const *ignore)
{
    for (size_t i = 0; ignore && ignore[i]; i++)
        if (strcmp(ignore[i], name) == 0)
            return true;
    return false;
}

/* Walks both values field by field (every key of either), naming each
 * difference; returns how many. */
static int
compare(const char *where, const char *path, const cJSON *got, const cJSON *want, const char *const *ignore)
{
    int differences = 0;
    char sub[256];
    if (cJSON_IsObject(got) || cJSON_IsObject(want)) {
        const cJSON *item, *got_object = cJSON_IsObject(got) ? got : NULL;
        const cJSON *want_object = cJSON_IsObject(want) ? want : NULL;
        cJSON_ArrayForEach(item, got_object) {
            if (ignored(item->string, ignore))
                continue;
            snprintf(sub, sizeof sub, "%s.%s", path, item->string);
            differences += compare(where, sub, item, cJSON_GetObjectItemCaseSensitive(want, item->string), ignore);
        }
        cJSON_ArrayForEach(item, want_object) {
            if (ignored(item->string, ignore) || cJSON_GetObjectItemCaseSensitive(got, item->string))
                continue;
            snprintf(sub, sizeof sub, "%s.%s", path, item->string);
            differences += compare(where, sub, NULL, item, ignore);
        }
        return differences;
    }
    if (cJSON_IsArray(got) && cJSON_IsArray(want) && cJSON_GetArraySize(got) == cJSON_GetArraySize(want)) {
        for (int i = 0; i < cJSON_GetArraySize(got); i++) {
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
            differences += compare(where, sub, cJSON_GetArrayItem(got, i), cJSON_GetArrayItem(want, i), ignore);
        }
        return differences;
    }
    char a[2048], b[2048];
    canon(got, a, sizeof a);
    canon(want, b, sizeof b);
    if (strcmp(a, b) != 0) {
        SF_FAIL("%s: %s is '%s', SQL says '%s'", where, path, a, b);
        return 1;
    }
    return 0;
}

/* The reply (or event) against what SQL says it is. */
static void
check_sql(const char *where, const cJSON *got, const char *sql, const char *const *ignore)
{
    cJSON *want = sql_json(sql);
    if (!SF_CHECK(got && want))
        SF_FAIL("%s: nothing to compare", where);
    else
        SF_CHECK_EQ_INT(compare(where, "", got, want, ignore), 0);
    cJSON_Delete(want);
}

/* --- events, through the change feed --------------------------------------------- */

static long long
event_head(void)
{
    return count("SELECT seq FROM employment.event_head");
}

/* The events after head, as ExportEvents gives them (owned by the caller). */
static cJSON *
events_after(long long head)
{
    cJSON *lines = cJSON_CreateArray();
    emp_result_t feed;
    memset(&feed, 0, sizeof feed);
    if (emp_jcall(admin, E, "ExportEvents", &feed, "{\"after\":%lld}", head) == SF_OK) {
        const char *text = emp_json_str(feed.reply, "text");
        while (*text) {
            const char *end = strchr(text, '\n');
            size_t length = end ? (size_t) (end - text) : strlen(text);
            cJSON *line = cJSON_ParseWithLength(text, length);
            if (line)
                cJSON_AddItemToArray(lines, line);
            text += length + (end ? 1 : 0);
        }
    } else
        SF_FAIL("ExportEvents: %s", feed.message);
    emp_result_release(&feed);
    return lines;
}

/* The detail of the one event of type and key after head (NULL, failing,
 * when there is not exactly one). Kept in *events for the caller to free. */
static const cJSON *
event_of(cJSON **events, long long head, const char *type, const char *key, const char *detail)
{
    if (!*events)
        *events = events_after(head);
    const cJSON *found = NULL, *line;
    int n = 0;
    cJSON_ArrayForEach(line, *events) {
        if (strcmp(emp_json_str(line, "type"), type) == 0 && strcmp(emp_json_str(line, "key"), key) == 0) {
            found = emp_json_at(line, detail);
            n++;
        }
    }
    if (n != 1)
        SF_FAIL("%d events %s of %s after %lld, expected one", n, type, key, head);
    return n == 1 ? found : NULL;
}

/* --- calls ----------------------------------------------------------------------- */

static bool
ok_call(sf_client_t *client, const char *method, int line, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
#define OK(client, method, ...) ok_call(client, method, __LINE__, __VA_ARGS__)
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

/* Every row employment owns and its event head: a refusal changes none. */
static void
fingerprint(char *out, size_t size)
{
    PGresult *result = PQexec(db,
        "SELECT md5(string_agg(t, ';' ORDER BY t)) || ' ' || (SELECT seq FROM employment.event_head) FROM ("
        " SELECT p::text AS t FROM person p UNION ALL SELECT x::text FROM placement x"
        " UNION ALL SELECT s::text FROM status_period s UNION ALL SELECT d::text FROM difficulty_period d"
        " UNION ALL SELECT f::text FROM follow_up f UNION ALL SELECT b::text FROM incubation_base b"
        " UNION ALL SELECT t::text FROM incubation_tenant t UNION ALL SELECT s::text FROM support s) rows");
    snprintf(out, size, "%s", PQresultStatus(result) == PGRES_TUPLES_OK ? PQgetvalue(result, 0, 0) : "?");
    PQclear(result);
}

/* A call that must be refused with status on field, its message containing
 * words (NULL: any), changing nothing. */
#define REFUSED(client, method, status, field, words, ...) \
    refused(client, method, status, field, words, __LINE__, __VA_ARGS__)
static void
refused(sf_client_t *client, const char *method, sf_status_t expected, const char *field, const char *words,
        int line, const char *format, ...) __attribute__((format(printf, 7, 8)));
static void
refused(sf_client_t *client, const char *method, sf_status_t expected, const char *field, const char *words,
        int line, const char *format, ...)
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
    else if (words && !strstr(r.message, words))
        SF_FAIL("line %d: %s: the refusal '%s' does not say '%s'", line, method, r.message, words);
    else
        SF_CHECK(true);
    fingerprint(after, sizeof after);
    if (strcmp(before, after) != 0)
        SF_FAIL("line %d: %s was refused but employment's tables changed", line, method);
    free(json);
}

/* --- the district ------------------------------------------------------------------ */

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
    grid_call("UnitCreate", "{\"code\":\"370205001001\",\"kind\":\"UNIT_KIND_COMMUNITY\",\"name\":\"福寿社区\",\"parent_code\":\"" STREET_1 "\"}");
    grid_call("UnitCreate", "{\"code\":\"370205002001\",\"kind\":\"UNIT_KIND_COMMUNITY\",\"name\":\"洛阳社区\",\"parent_code\":\"" STREET_2 "\"}");
    grid_call("UnitCreate", "{\"code\":\"" ZONE_1 "\",\"kind\":\"UNIT_KIND_ZONE\",\"name\":\"一片区\",\"parent_code\":\"370205001001\",\"location\":{\"lat\":36.1,\"lon\":120.37}}");
    grid_call("UnitCreate", "{\"code\":\"" ZONE_2 "\",\"kind\":\"UNIT_KIND_ZONE\",\"name\":\"二片区\",\"parent_code\":\"370205001001\",\"location\":{\"lat\":36.105,\"lon\":120.37}}");
    grid_call("UnitCreate", "{\"code\":\"" ZONE_3 "\",\"kind\":\"UNIT_KIND_ZONE\",\"name\":\"三片区\",\"parent_code\":\"370205002001\",\"location\":{\"lat\":36.15,\"lon\":120.42}}");
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
        /* Born the day after today's date, age + 1 years ago: aged age today. */
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT to_char((now() AT TIME ZONE 'Asia/Shanghai')::date - interval '%d years'"
                 " - interval '1 day', 'YYYY-MM-DD')", residents[i].age);
        PGresult *result = PQexec(db, sql);
        snprintf(birth_dates[i], sizeof birth_dates[i], "%s", PQgetvalue(result, 0, 0));
        PQclear(result);
        snprintf(json, sizeof json, "{\"household_code\":\"%s\",\"name\":\"%s\",\"gender\":\"%s\",\"birth_date\":\"%s\",\"relation\":\"member\"}",
                 residents[i].household, residents[i].name, residents[i].gender, birth_dates[i]);
        grid_call("ResidentCreate", json);
    }
    SF_CHECK(emp_wait_for(db, "SELECT count(*) FROM employment.ref_resident", N_RESIDENTS, 15000));
    SF_CHECK(emp_wait_for(db, "SELECT count(*) FROM employment.ref_unit WHERE kind = 4", 3, 5000));
}

/* The disabled person's certificate of resident i: their ID number (a
 * region, the birth date, a sequence and the check character), the kind of
 * disability and its grade. */
static void
certificate_of(size_t i, const char *kind_grade, char out[21])
{
    char first17[18];
    snprintf(first17, sizeof first17, "370205%.4s%.2s%.2s123", birth_dates[i], birth_dates[i] + 5,
             birth_dates[i] + 8);
    snprintf(out, 21, "%s%c%s", first17, sf_id_number_check_char(first17), kind_grade);
}

/* --- the categories' rules ----------------------------------------------------------- */

static void
register_checked(const char *resident, const char *json_tail)
{
    long long head = event_head();
    cJSON *events = NULL;
    if (OK(admin, "PersonRegister", "{\"resident_id\":\"%s\"%s}", resident, json_tail)) {
        char sql[8192];
        snprintf(sql, sizeof sql, PERSON_SQL("p.resident_id = '%s'"), resident);
        check_sql("PersonRegister reply", r.reply, sql, NULL);
        check_sql("person.registered", event_of(&events, head, "person.registered", resident, "record.person"), sql,
                  NULL);
    }
    cJSON_Delete(events);
}

static void
test_difficulty_rules(void)
{
    const char *unemployed = ",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"seeking_work\":true";
    char tail[512], certificate[21];
    /* 4050: women from 40, men from 50, by grid's birth date and sex. */
    REFUSED(admin, "PersonRegister", SF_FAILED_PRECONDITION, "difficulties[0]", "women aged 40 or more",
            "{\"resident_id\":\"R0000002\"%s,\"difficulties\":[\"DIFFICULTY_CATEGORY_AGED_4050\"]}", unemployed);
    REFUSED(admin, "PersonRegister", SF_FAILED_PRECONDITION, "difficulties[1]", "men aged 50 or more",
            "{\"resident_id\":\"R0000003\"%s,\"difficulties\":[\"DIFFICULTY_CATEGORY_LOW_INCOME\","
            "\"DIFFICULTY_CATEGORY_AGED_4050\"]}", unemployed);
    /* The age on the day the category is recognised: R1 was under 40 six years ago. */
    REFUSED(admin, "PersonRegister", SF_FAILED_PRECONDITION, "difficulties[0]", "she is 38",
            "{\"resident_id\":\"R0000001\"%s,\"registered_on\":\"%s\",\"difficulties\":[\"DIFFICULTY_CATEGORY_AGED_4050\"]}",
            unemployed, day(-6 * 366));
    snprintf(tail, sizeof tail, "%s,\"difficulties\":[\"DIFFICULTY_CATEGORY_AGED_4050\"],\"desired_occupations\":[\"4-03-02-01\"],"
             "\"registered_on\":\"%s\"", unemployed, day(-200));
    register_checked("R0000001", tail);
    snprintf(tail, sizeof tail, "%s,\"difficulties\":[\"DIFFICULTY_CATEGORY_AGED_4050\"]", unemployed);
    register_checked("R0000004", tail);

    /* Disabled: the certificate is required, well formed, and the person's. */
    REFUSED(admin, "PersonRegister", SF_FAILED_PRECONDITION, "difficulties[0]", "disability_certificate",
            "{\"resident_id\":\"R0000005\"%s,\"difficulties\":[\"DIFFICULTY_CATEGORY_DISABLED\"]}", unemployed);
    certificate_of(4, "49", certificate);   /* grade 9: none such */
    REFUSED(admin, "PersonRegister", SF_INVALID_ARGUMENT, "disability_certificate", "grade (1-4)",
            "{\"resident_id\":\"R0000005\"%s,\"difficulties\":[\"DIFFICULTY_CATEGORY_DISABLED\"],"
            "\"disability_certificate\":\"%s\"}", unemployed, certificate);
    certificate_of(0, "42", certificate);   /* R1's birth date */
    REFUSED(admin, "PersonRegister", SF_FAILED_PRECONDITION, "disability_certificate", "not of this person",
            "{\"resident_id\":\"R0000005\"%s,\"difficulties\":[\"DIFFICULTY_CATEGORY_DISABLED\"],"
            "\"disability_certificate\":\"%s\"}", unemployed, certificate);
    certificate_of(4, "42", certificate);
    snprintf(tail, sizeof tail, "%s,\"difficulties\":[\"DIFFICULTY_CATEGORY_DISABLED\"],\"disability_certificate\":\"%s\"",
             unemployed, certificate);
    register_checked("R0000005", tail);

    /* Zero-employment household: R6 works (and seeks another job); R7 lives with him. */
    register_checked("R0000006", ",\"status\":\"LABOR_STATUS_EMPLOYED\",\"seeking_work\":true,"
                     "\"desired_occupations\":[\"4-03-02-01\"]");
    REFUSED(admin, "PersonRegister", SF_FAILED_PRECONDITION, "difficulties[0]", "R0000006 lives there and is in work",
            "{\"resident_id\":\"R0000007\"%s,\"difficulties\":[\"DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY\"]}", unemployed);
    REFUSED(admin, "PersonRegister", SF_FAILED_PRECONDITION, "difficulties[0]", "the person is",
            "{\"resident_id\":\"R0000008\",\"status\":\"LABOR_STATUS_FLEXIBLE\","
            "\"difficulties\":[\"DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY\"]}");
    snprintf(tail, sizeof tail, "%s,\"difficulties\":[\"DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY\"],"
             "\"desired_occupations\":[\"4-03\"]", unemployed);
    register_checked("R0000008", tail);
    register_checked("R0000007", unemployed);

    /* The same rules on an update (PersonUpdate's path, intake's too). */
    REFUSED(admin, "PersonUpdate", SF_FAILED_PRECONDITION, "difficulties[0]", "R0000006 lives there",
            "{\"resident_id\":\"R0000007\",\"set_difficulties\":true,"
            "\"difficulties\":[\"DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY\"]}");
    REFUSED(admin, "PersonUpdate", SF_FAILED_PRECONDITION, "difficulties[0]", "she is 32",
            "{\"resident_id\":\"R0000007\",\"set_difficulties\":true,\"difficulties\":[\"DIFFICULTY_CATEGORY_AGED_4050\"]}");
    REFUSED(admin, "PersonUpdate", SF_FAILED_PRECONDITION, "difficulties[0]", "disability_certificate",
            "{\"resident_id\":\"R0000005\",\"set_disability_certificate\":true,\"disability_certificate\":\"\"}");
    REFUSED(admin, "PersonUpdate", SF_INVALID_ARGUMENT, "event", NULL,
            "{\"resident_id\":\"R0000007\",\"event\":\"STATUS_EVENT_PLACEMENT\"}");
    /* A category held already is not recognised again: R1 keeps 4050 when
     * a low-income one is added by a certification. */
    long long head = event_head();
    cJSON *events = NULL;
    if (OK(admin, "PersonUpdate", "{\"resident_id\":\"R0000001\",\"set_difficulties\":true,\"difficulties\":"
           "[\"DIFFICULTY_CATEGORY_AGED_4050\",\"DIFFICULTY_CATEGORY_LOW_INCOME\"],\"event\":\"STATUS_EVENT_CERTIFICATION\"}")) {
        check_sql("PersonUpdate reply", r.reply, PERSON_SQL("p.resident_id = 'R0000001'"), NULL);
        check_sql("person.updated", event_of(&events, head, "person.updated", "R0000001", "record.person"),
                  PERSON_SQL("p.resident_id = 'R0000001'"), NULL);
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "difficulties"), 2);
    }
    cJSON_Delete(events);
}

/* --- seekers, placements, separations, history ----------------------------------------- */

static long long vacancy_near, vacancy_far, placement_id;

static void
test_seekers_and_separations(void)
{
    char tail[512];
    /* Registered months ago: the placement and the support below begin
     * statuses after theirs. */
    snprintf(tail, sizeof tail, ",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"seeking_work\":true,\"registered_on\":\"%s\","
             "\"skills\":[{\"occupation_code\":\"4-03-02-01\",\"grade\":\"SKILL_GRADE_INTERMEDIATE\",\"years\":4}],"
             "\"desired_occupations\":[\"4-03-02-01\"]", day(-200));
    register_checked("R0000009", tail);
    snprintf(tail, sizeof tail, ",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"seeking_work\":true,\"registered_on\":\"%s\"",
             day(-200));
    register_checked("R0000010", tail);
    OK(admin, "EnterpriseRegister", "{\"credit_code\":\"" CREDIT_1 "\",\"name\":\"青岛四方餐饮有限公司\","
       "\"zone_code\":\"" ZONE_1 "\",\"industry\":\"住宿和餐饮业\"}");
    OK(admin, "EnterpriseRegister", "{\"credit_code\":\"" CREDIT_2 "\",\"name\":\"青岛洛阳物流有限公司\","
       "\"zone_code\":\"" ZONE_3 "\",\"industry\":\"交通运输、仓储和邮政业\"}");
    if (OK(admin, "VacancyPost", "{\"enterprise_credit_code\":\"" CREDIT_1 "\",\"title\":\"中式烹调师\","
           "\"occupation_code\":\"4-03-02-01\",\"positions\":3,\"wage_min\":4000,\"opens_on\":\"%s\"}", day(-60)))
        vacancy_near = emp_json_int(r.reply, "id");
    if (OK(admin, "VacancyPost", "{\"enterprise_credit_code\":\"" CREDIT_2 "\",\"title\":\"仓库管理员\","
           "\"occupation_code\":\"4-02-06-01\",\"positions\":2,\"wage_min\":3800}"))
        vacancy_far = emp_json_int(r.reply, "id");

    /* The unemployed seekers, difficulty categories first (R1 4050, R4
     * 4050, R5 disabled, R8 zero-employment), then R9 who fits best and
     * lives within the circle, R10 (within, no fit) and R7 (outside).
     * Never R6, who is employed though seeking. */
    if (OK(admin, "MatchSeekers", "{\"vacancy_id\":%lld,\"limit\":50}", vacancy_near)) {
        const cJSON *matches = emp_json_at(r.reply, "matches");
        int n = cJSON_GetArraySize(matches);
        bool difficulty_done = false;
        int seen_r9 = -1;
        for (int i = 0; i < n; i++) {
            const cJSON *match = cJSON_GetArrayItem(matches, i);
            const char *id = emp_json_str(match, "person.resident_id");
            SF_CHECK(strcmp(id, "R0000006") != 0);
            SF_CHECK_EQ_STR(emp_json_str(match, "person.status"), "LABOR_STATUS_UNEMPLOYED");
            bool difficult = emp_json_len(match, "person.difficulties") > 0;
            if (!difficult)
                difficulty_done = true;
            else if (difficulty_done)
                SF_FAIL("MatchSeekers: %s (in difficulty) ranked after one who is not", id);
            if (strcmp(id, "R0000009") == 0)
                seen_r9 = i;
            char sql[8192];
            snprintf(sql, sizeof sql, PERSON_SQL("p.resident_id = '%s'"), id);
            check_sql("MatchSeekers person", emp_json_at(match, "person"), sql, NULL);
        }
        SF_CHECK_EQ_INT(n, 7);   /* R1 R4 R5 R8 | R9 R7 R10 */
        SF_CHECK_EQ_INT(seen_r9, 4);   /* first of those not in difficulty: the best fit */
        /* Within the difficulty categories: R1 (her wish is the vacancy's
         * occupation, 0.9) before R8 (a wish for the medium group, 0.4*0.8). */
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "matches[0].person.resident_id"), "R0000001");
    }

    /* A placement clears seeking_work (and the status period begins with it). */
    long long head = event_head();
    cJSON *events = NULL;
    char placement_key[32];
    if (OK(admin, "PlacementRegister", "{\"resident_id\":\"R0000009\",\"vacancy_id\":%lld,\"enterprise_credit_code\":\"" CREDIT_1 "\","
           "\"kind\":\"PLACEMENT_KIND_ENTERPRISE\",\"source\":\"PLACEMENT_SOURCE_SERVICE_CENTRE\",\"full_time\":true,"
           "\"start_date\":\"%s\"}", vacancy_near, day(-45))) {
        placement_id = emp_json_int(r.reply, "id");
        snprintf(placement_key, sizeof placement_key, "%lld", placement_id);
        char sql[8192];
        snprintf(sql, sizeof sql, PLACEMENT_SQL("pl.id = %lld"), placement_id);
        check_sql("PlacementRegister reply", r.reply, sql, NULL);
        check_sql("placement.registered", event_of(&events, head, "placement.registered", placement_key, "record.placement"),
                  sql, NULL);
        const char *const ignore[] = { "recorded_unix_ms", "until", NULL };
        check_sql("person.status_changed (placement)",
                  event_of(&events, head, "person.status_changed", "R0000009", "status_change"),
                  "SELECT json_build_object('resident_id', p.resident_id, 'status', " LABOR("p.status") ","
                  " 'effective_on', " D("p.status_since") ", 'reason', p.status_reason, 'event', " EVENT("p.status_event") ","
                  " 'seeking_work', p.seeking_work) FROM person p WHERE p.resident_id = 'R0000009'", ignore);
        SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.person WHERE resident_id = 'R0000009'"
                              " AND NOT seeking_work AND status = 1 AND status_event = 2"), 1);
        /* Its visits: one, three and six months after the start; the first
         * is overdue already, the others are not yet due. */
        char due[3][11];
        for (int step = 1; step <= 3; step++) {
            snprintf(sql, sizeof sql, "SELECT to_char(('%s'::date + interval '%d months')::date, 'YYYY-MM-DD')", day(-45),
                     step == 1 ? 1 : step == 2 ? 3 : 6);
            PGresult *result = PQexec(db, sql);
            snprintf(due[step - 1], 11, "%s", PQgetvalue(result, 0, 0));
            PQclear(result);
        }
        if (OK(admin, "FollowUpList", "{\"resident_id\":\"R0000009\"}")) {
            SF_CHECK_EQ_INT(emp_json_len(r.reply, "follow_ups"), 3);
            for (int i = 0; i < 3; i++) {
                char path[64];
                snprintf(path, sizeof path, "follow_ups[%d].due_on", i);
                SF_CHECK_EQ_STR(emp_json_str(r.reply, path), due[i]);
                snprintf(sql, sizeof sql, FOLLOW_UP_SQL("f.id = %lld"),
                         emp_json_int(cJSON_GetArrayItem(emp_json_at(r.reply, "follow_ups"), i), "id"));
                check_sql("FollowUpList row", cJSON_GetArrayItem(emp_json_at(r.reply, "follow_ups"), i), sql, NULL);
            }
            SF_CHECK(cJSON_IsTrue(emp_json_at(r.reply, "follow_ups[0].overdue")));
            SF_CHECK(!cJSON_IsTrue(emp_json_at(r.reply, "follow_ups[1].overdue")));
            SF_CHECK_EQ_STR(emp_json_str(r.reply, "follow_ups[0].subject"), "青岛四方餐饮有限公司");
        }
    }
    cJSON_Delete(events);
    events = NULL;
    /* Never matched while placed. */
    if (OK(admin, "MatchSeekers", "{\"vacancy_id\":%lld,\"limit\":50}", vacancy_near))
        for (int i = 0; i < emp_json_len(r.reply, "matches"); i++) {
            char path[64];
            snprintf(path, sizeof path, "matches[%d].person.resident_id", i);
            SF_CHECK(strcmp(emp_json_str(r.reply, path), "R0000009") != 0);
        }

    /* A separation needs its reason; it restores seeking_work, cancels the
     * visits not yet due, and begins a period of its own. */
    REFUSED(admin, "PlacementEnd", SF_INVALID_ARGUMENT, "reason", "why",
            "{\"id\":%lld,\"end_date\":\"%s\"}", placement_id, day(-10));
    REFUSED(admin, "PlacementEnd", SF_INVALID_ARGUMENT, "reason", NULL,
            "{\"id\":%lld,\"end_date\":\"%s\",\"reason\":9}", placement_id, day(-10));
    REFUSED(admin, "PlacementEnd", SF_INVALID_ARGUMENT, "end_date", "before start_date",
            "{\"id\":%lld,\"end_date\":\"%s\",\"reason\":\"SEPARATION_REASON_RESIGNED\"}", placement_id, day(-50));
    head = event_head();
    if (OK(admin, "PlacementEnd", "{\"id\":%lld,\"end_date\":\"%s\",\"reason\":\"SEPARATION_REASON_RESIGNED\","
           "\"note\":\"家中老人需照顾\"}", placement_id, day(-10))) {
        char sql[8192];
        snprintf(sql, sizeof sql, PLACEMENT_SQL("pl.id = %lld"), placement_id);
        check_sql("PlacementEnd reply", r.reply, sql, NULL);
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "separation_reason"), "SEPARATION_REASON_RESIGNED");
        check_sql("placement.ended", event_of(&events, head, "placement.ended", placement_key, "record.placement"), sql, NULL);
        const char *const ignore[] = { "recorded_unix_ms", "until", NULL };
        check_sql("person.status_changed (separation)",
                  event_of(&events, head, "person.status_changed", "R0000009", "status_change"),
                  "SELECT json_build_object('resident_id', p.resident_id, 'status', " LABOR("p.status") ","
                  " 'effective_on', " D("p.status_since") ", 'reason', p.status_reason, 'event', " EVENT("p.status_event") ","
                  " 'seeking_work', p.seeking_work) FROM person p WHERE p.resident_id = 'R0000009'", ignore);
        SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.person WHERE resident_id = 'R0000009'"
                              " AND seeking_work AND status = 2 AND status_event = 3"), 1);
        SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.follow_up WHERE placement_id = (SELECT max(id) FROM employment.placement)"
                              " AND cancelled"), 2);
    }
    cJSON_Delete(events);
    events = NULL;
    /* Seeking again: matched again. */
    if (OK(admin, "MatchSeekers", "{\"vacancy_id\":%lld,\"limit\":50}", vacancy_near))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "matches"), 7);
    /* The separation in the list of separations. */
    if (OK(admin, "PlacementList", "{\"ended_from\":\"%s\",\"ended_to\":\"%s\"}", day(-30), day(0))) {
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "placements"), 1);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "placements[0].id"), placement_id);
    }

    /* The history: each period with the event that began it. */
    if (OK(admin, "PersonHistory", "{\"resident_id\":\"R0000009\"}")) {
        check_sql("PersonHistory", r.reply,
                  "SELECT json_build_object('changes', json_agg(json_build_object('resident_id', 'R0000009',"
                  " 'status', " LABOR("h.status") ", 'effective_on', " D("h.since") ", 'reason', h.reason,"
                  " 'recorded_unix_ms', " MS("h.recorded_at") ", 'until', " D("h.until") ", 'event', " EVENT("h.event") ","
                  " 'seeking_work', false) ORDER BY h.since, h.recorded_at)) FROM ("
                  " SELECT s.status, s.since, s.until, s.reason, s.event, s.recorded_at FROM status_period s"
                  "  JOIN person p ON p.serial = s.person_serial WHERE p.resident_id = 'R0000009'"
                  " UNION ALL SELECT status, status_since, NULL, status_reason, status_event, updated_at FROM person"
                  "  WHERE resident_id = 'R0000009') h", NULL);
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "changes"), 3);
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[0].event"), "STATUS_EVENT_REGISTRATION");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[0].status"), "LABOR_STATUS_UNEMPLOYED");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[0].until"), day(-46));
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[1].event"), "STATUS_EVENT_PLACEMENT");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[1].status"), "LABOR_STATUS_EMPLOYED");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[1].effective_on"), day(-45));
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[1].until"), day(-10));
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[2].event"), "STATUS_EVENT_SEPARATION");
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[2].effective_on"), day(-9));
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[2].until"), "");
    }
}

/* --- follow-ups falling due, recorded; start-up support ------------------------------------- */

static void
test_follow_ups(void)
{
    /* R1 placed 40 days ago: her first visit fell due ten days ago. */
    OK(admin, "PlacementRegister", "{\"resident_id\":\"R0000001\",\"vacancy_id\":%lld,\"enterprise_credit_code\":\"" CREDIT_1 "\","
       "\"kind\":\"PLACEMENT_KIND_ENTERPRISE\",\"source\":\"PLACEMENT_SOURCE_JOB_FAIR\",\"full_time\":true,"
       "\"start_date\":\"%s\"}", vacancy_near, day(-40));
    /* An old placement recorded late: no visit long past is scheduled. */
    OK(admin, "PlacementRegister", "{\"resident_id\":\"R0000004\",\"kind\":\"PLACEMENT_KIND_FLEXIBLE\","
       "\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"full_time\":false,\"employer_name\":\"个体维修\",\"start_date\":\"%s\"}",
       day(-400));
    long long old_placement = emp_json_int(r.reply, "id");
    char sql[8192];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM employment.follow_up WHERE placement_id = %lld", old_placement);
    SF_CHECK_EQ_INT(count(sql), 0);

    long long overdue_id = 0;
    if (OK(admin, "FollowUpList", "{\"overdue_only\":true}")) {
        /* R9's first (due before the separation) and R1's first. */
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "follow_ups"), 2);
        for (int i = 0; i < emp_json_len(r.reply, "follow_ups"); i++) {
            const cJSON *row = cJSON_GetArrayItem(emp_json_at(r.reply, "follow_ups"), i);
            snprintf(sql, sizeof sql, FOLLOW_UP_SQL("f.id = %lld"), emp_json_int(row, "id"));
            check_sql("FollowUpList overdue", row, sql, NULL);
            SF_CHECK(cJSON_IsTrue(emp_json_at(row, "overdue")));
            if (strcmp(emp_json_str(row, "resident_id"), "R0000001") == 0)
                overdue_id = emp_json_int(row, "id");
        }
        SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.follow_up WHERE visited_on IS NULL AND NOT cancelled"
                              " AND due_on < (now() AT TIME ZONE 'Asia/Shanghai')::date"), 2);
    }
    /* Due within the next two months, pending, by due date. */
    if (OK(admin, "FollowUpList", "{\"pending_only\":true,\"due_by\":\"%s\",\"page\":{\"page_size\":1}}", day(60))) {
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "follow_ups"), 1);
        const char *token = emp_json_str(r.reply, "next_page_token");
        SF_CHECK(*token);
        char first_due[11];
        snprintf(first_due, sizeof first_due, "%s", emp_json_str(r.reply, "follow_ups[0].due_on"));
        char token_copy[64];
        snprintf(token_copy, sizeof token_copy, "%s", token);
        if (OK(admin, "FollowUpList", "{\"pending_only\":true,\"due_by\":\"%s\",\"page\":{\"page_token\":\"%s\"}}",
               day(60), token_copy)) {
            SF_CHECK(emp_json_len(r.reply, "follow_ups") >= 1);
            SF_CHECK(strcmp(emp_json_str(r.reply, "follow_ups[0].due_on"), first_due) >= 0);
        }
    }
    REFUSED(admin, "FollowUpRecord", SF_INVALID_ARGUMENT, "outcome", "required", "{\"id\":%lld}", overdue_id);
    REFUSED(admin, "FollowUpRecord", SF_INVALID_ARGUMENT, "outcome", "placement's",
            "{\"id\":%lld,\"outcome\":\"FOLLOW_UP_OUTCOME_BUSINESS_OPERATING\"}", overdue_id);
    REFUSED(admin, "FollowUpRecord", SF_INVALID_ARGUMENT, "visited_on", "before the placement began",
            "{\"id\":%lld,\"outcome\":\"FOLLOW_UP_OUTCOME_STILL_EMPLOYED\",\"visited_on\":\"%s\"}", overdue_id, day(-41));
    REFUSED(street2, "FollowUpRecord", SF_NOT_FOUND, "id", NULL,
            "{\"id\":%lld,\"outcome\":\"FOLLOW_UP_OUTCOME_STILL_EMPLOYED\"}", overdue_id);
    long long head = event_head();
    cJSON *events = NULL;
    if (OK(admin, "FollowUpRecord", "{\"id\":%lld,\"outcome\":\"FOLLOW_UP_OUTCOME_STILL_EMPLOYED\",\"visited_on\":\"%s\","
           "\"note\":\"在岗稳定，工作适应\"}", overdue_id, day(-1))) {
        snprintf(sql, sizeof sql, FOLLOW_UP_SQL("f.id = %lld"), overdue_id);
        check_sql("FollowUpRecord reply", r.reply, sql, NULL);
        char key[32];
        snprintf(key, sizeof key, "%lld", overdue_id);
        check_sql("follow_up.recorded", event_of(&events, head, "follow_up.recorded", key, "follow_up"), sql, NULL);
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "visitor_id"), "centre");
        SF_CHECK(!cJSON_IsTrue(emp_json_at(r.reply, "overdue")));
    }
    cJSON_Delete(events);
    REFUSED(admin, "FollowUpRecord", SF_FAILED_PRECONDITION, "id", "recorded already",
            "{\"id\":%lld,\"outcome\":\"FOLLOW_UP_OUTCOME_STILL_EMPLOYED\"}", overdue_id);
    /* A cancelled one (R9's separation) cannot be recorded. */
    snprintf(sql, sizeof sql, "SELECT min(id) FROM employment.follow_up WHERE placement_id = %lld AND cancelled",
             placement_id);
    REFUSED(admin, "FollowUpRecord", SF_FAILED_PRECONDITION, "id", "cancelled",
            "{\"id\":%lld,\"outcome\":\"FOLLOW_UP_OUTCOME_LEFT_JOB\"}", count(sql));

    /* Start-up support: 创业跟踪服务 at three, six and twelve months. */
    head = event_head();
    if (OK(admin, "SupportGrant", "{\"resident_id\":\"R0000010\",\"business_name\":\"冯记修车铺\",\"subsidy_yuan\":10000,"
           "\"granted_on\":\"%s\"}", day(-100))) {
        long long support = emp_json_int(r.reply, "id");
        snprintf(sql, sizeof sql, "SELECT count(*) FROM employment.follow_up WHERE support_id = %lld AND kind = 2", support);
        SF_CHECK_EQ_INT(count(sql), 3);
        if (OK(admin, "FollowUpList", "{\"kind\":\"FOLLOW_UP_KIND_STARTUP\",\"overdue_only\":true}")) {
            SF_CHECK_EQ_INT(emp_json_len(r.reply, "follow_ups"), 1);   /* the third month's */
            SF_CHECK_EQ_STR(emp_json_str(r.reply, "follow_ups[0].subject"), "冯记修车铺");
            long long id = emp_json_int(r.reply, "follow_ups[0].id");
            REFUSED(admin, "FollowUpRecord", SF_INVALID_ARGUMENT, "outcome", "start-up's",
                    "{\"id\":%lld,\"outcome\":\"FOLLOW_UP_OUTCOME_STILL_EMPLOYED\"}", id);
            if (OK(admin, "FollowUpRecord", "{\"id\":%lld,\"outcome\":\"FOLLOW_UP_OUTCOME_BUSINESS_OPERATING\"}", id)) {
                snprintf(sql, sizeof sql, FOLLOW_UP_SQL("f.id = %lld"), id);
                check_sql("FollowUpRecord (start-up)", r.reply, sql, NULL);
            }
        }
        cJSON *support_events = NULL;
        const char *const ignore[] = { "recorded_unix_ms", "until", NULL };
        check_sql("person.status_changed (support)",
                  event_of(&support_events, head, "person.status_changed", "R0000010", "status_change"),
                  "SELECT json_build_object('resident_id', p.resident_id, 'status', " LABOR("p.status") ","
                  " 'effective_on', " D("p.status_since") ", 'reason', p.status_reason, 'event', " EVENT("p.status_event") ","
                  " 'seeking_work', p.seeking_work) FROM person p WHERE p.resident_id = 'R0000010'", ignore);
        cJSON_Delete(support_events);
    }
}

/* --- incubation bases ------------------------------------------------------------------- */

static void
test_incubation(void)
{
    REFUSED(admin, "IncubationBaseCreate", SF_INVALID_ARGUMENT, "capacity", NULL,
            "{\"name\":\"四方区创业孵化基地\",\"zone_code\":\"" ZONE_1 "\"}");
    REFUSED(admin, "IncubationBaseCreate", SF_FAILED_PRECONDITION, "zone_code", "no zone",
            "{\"name\":\"四方区创业孵化基地\",\"zone_code\":\"37020500100199\",\"capacity\":2}");
    REFUSED(street2, "IncubationBaseCreate", SF_PERMISSION_DENIED, NULL, NULL,
            "{\"name\":\"四方区创业孵化基地\",\"zone_code\":\"" ZONE_1 "\",\"capacity\":2}");
    long long head = event_head();
    cJSON *events = NULL;
    long long base = 0;
    const char *base_sql_format =
        "SELECT json_build_object('id', b.id, 'name', b.name, 'address', b.address, 'zone_code', b.zone_code,"
        " 'operator_name', b.operator_name, 'capacity', b.capacity, 'opened_on', " D("b.opened_on") ","
        " 'tenants', (SELECT count(*) FROM incubation_tenant t WHERE t.base_id = b.id AND t.left_on IS NULL),"
        " 'tenants_ever', (SELECT count(*) FROM incubation_tenant t WHERE t.base_id = b.id),"
        " 'created_unix_ms', " MS("b.created_at") ", 'version', b.version) FROM incubation_base b WHERE b.id = %lld";
    char sql[4096];
    if (OK(admin, "IncubationBaseCreate", "{\"name\":\"四方区创业孵化基地\",\"address\":\"兴隆路 1 号\",\"zone_code\":\"" ZONE_1 "\","
           "\"operator_name\":\"四方区人社局\",\"capacity\":1,\"opened_on\":\"%s\"}", day(-300))) {
        base = emp_json_int(r.reply, "id");
        snprintf(sql, sizeof sql, base_sql_format, base);
        check_sql("IncubationBaseCreate reply", r.reply, sql, NULL);
        char key[32];
        snprintf(key, sizeof key, "%lld", base);
        check_sql("incubation_base.created", event_of(&events, head, "incubation_base.created", key, "incubation_base"),
                  sql, NULL);
    }
    cJSON_Delete(events);
    events = NULL;
    REFUSED(admin, "IncubationBaseCreate", SF_ALREADY_EXISTS, "name", NULL,
            "{\"name\":\"四方区创业孵化基地\",\"zone_code\":\"" ZONE_1 "\",\"capacity\":2}");
    REFUSED(admin, "IncubationTenantAdmit", SF_INVALID_ARGUMENT, "entered_on", "before the base opened",
            "{\"base_id\":%lld,\"business_name\":\"冯记修车铺\",\"entered_on\":\"%s\"}", base, day(-301));
    REFUSED(admin, "IncubationTenantAdmit", SF_FAILED_PRECONDITION, "support_id", "granted to",
            "{\"base_id\":%lld,\"business_name\":\"冯记修车铺\",\"resident_id\":\"R0000009\",\"support_id\":%lld}", base,
            count("SELECT max(id) FROM employment.support"));
    head = event_head();
    long long tenant = 0;
    if (OK(admin, "IncubationTenantAdmit", "{\"base_id\":%lld,\"business_name\":\"冯记修车铺\",\"resident_id\":\"R0000010\","
           "\"support_id\":%lld,\"entered_on\":\"%s\"}", base, count("SELECT max(id) FROM employment.support"), day(-90))) {
        tenant = emp_json_int(r.reply, "id");
        snprintf(sql, sizeof sql, TENANT_SQL("t.id = %lld"), tenant);
        check_sql("IncubationTenantAdmit reply", r.reply, sql, NULL);
        char key[32];
        snprintf(key, sizeof key, "%lld", tenant);
        check_sql("incubation_tenant.admitted",
                  event_of(&events, head, "incubation_tenant.admitted", key, "incubation_tenant"), sql, NULL);
    }
    cJSON_Delete(events);
    events = NULL;
    REFUSED(admin, "IncubationTenantAdmit", SF_FAILED_PRECONDITION, "base_id", "full",
            "{\"base_id\":%lld,\"business_name\":\"青岛小微科技\",\"business_credit_code\":\"" CREDIT_2 "\"}", base);
    REFUSED(admin, "IncubationTenantLeave", SF_INVALID_ARGUMENT, "reason", NULL, "{\"id\":%lld}", tenant);
    REFUSED(admin, "IncubationTenantLeave", SF_INVALID_ARGUMENT, "left_on", "moved in",
            "{\"id\":%lld,\"reason\":\"孵化期满迁出\",\"left_on\":\"%s\"}", tenant, day(-91));
    head = event_head();
    if (OK(admin, "IncubationTenantLeave", "{\"id\":%lld,\"reason\":\"孵化期满迁出\",\"left_on\":\"%s\"}", tenant, day(-2))) {
        snprintf(sql, sizeof sql, TENANT_SQL("t.id = %lld"), tenant);
        check_sql("IncubationTenantLeave reply", r.reply, sql, NULL);
        char key[32];
        snprintf(key, sizeof key, "%lld", tenant);
        check_sql("incubation_tenant.left", event_of(&events, head, "incubation_tenant.left", key, "incubation_tenant"),
                  sql, NULL);
    }
    cJSON_Delete(events);
    REFUSED(admin, "IncubationTenantLeave", SF_FAILED_PRECONDITION, "id", "left already",
            "{\"id\":%lld,\"reason\":\"再次迁出\"}", tenant);
    /* Room again. */
    OK(admin, "IncubationTenantAdmit", "{\"base_id\":%lld,\"business_name\":\"青岛小微科技\","
       "\"business_credit_code\":\"" CREDIT_2 "\"}", base);
    if (OK(admin, "IncubationBaseList", "{\"under\":\"370205\"}")) {
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "bases"), 1);
        snprintf(sql, sizeof sql, base_sql_format, base);
        check_sql("IncubationBaseList", emp_json_at(r.reply, "bases[0]"), sql, NULL);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "bases[0].tenants"), 1);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "bases[0].tenants_ever"), 2);
    }
    if (OK(admin, "IncubationTenantList", "{\"base_id\":%lld,\"current_only\":true}", base)) {
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "tenants"), 1);
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "tenants[0].business_name"), "青岛小微科技");
    }
    if (OK(admin, "IncubationTenantList", "{\"base_id\":%lld}", base))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "tenants"), 2);
    if (OK(street2, "IncubationBaseList", "{}"))
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "bases"), 0);
}

/* --- 招工难 ----------------------------------------------------------------------------- */

/* The figures of one industry or street, by plain SQL over the same rows. */
#define HIRING_ROW_SQL(group) \
    "SELECT json_build_object('key', k, 'name', n, 'vacancies_posted', sum(posted), 'positions_posted', sum(pp)," \
    " 'placements', sum(placed), 'vacancies_open', sum(o), 'positions_open', sum(po), 'vacancies_unfilled', sum(u)," \
    " 'positions_unfilled', sum(pu), 'difficulty_rate', CASE WHEN sum(po) > 0 THEN sum(pu)::float8 / sum(po) ELSE 0 END)" \
    " FROM (SELECT " group ", (v.opens_on BETWEEN '%s' AND '%s')::int AS posted," \
    "  CASE WHEN v.opens_on BETWEEN '%s' AND '%s' THEN v.positions ELSE 0 END AS pp, 0 AS placed," \
    "  (v.status = 1 AND v.open_positions > 0)::int AS o, CASE WHEN v.status = 1 THEN v.open_positions ELSE 0 END AS po," \
    "  (v.status = 1 AND v.open_positions > 0 AND v.opens_on <= (now() AT TIME ZONE 'Asia/Shanghai')::date - 30)::int AS u," \
    "  CASE WHEN v.status = 1 AND v.opens_on <= (now() AT TIME ZONE 'Asia/Shanghai')::date - 30 THEN v.open_positions" \
    "   ELSE 0 END AS pu" \
    "  FROM vacancy v JOIN enterprise e ON e.credit_code = v.enterprise_credit_code" \
    "  UNION ALL SELECT " group ", 0, 0, 1, 0, 0, 0, 0 FROM placement pl JOIN enterprise e" \
    "  ON e.credit_code = pl.enterprise_credit_code, LATERAL (SELECT e.zone_code AS work_zone_code) v" \
    "  WHERE pl.start_date BETWEEN '%s' AND '%s') x WHERE k = '%s' GROUP BY k, n"

static void
test_hiring(void)
{
    const char *from = day(-180), *to = day(0);
    if (!OK(admin, "HiringDifficulty", "{\"under\":\"370205\",\"from\":\"%s\",\"to\":\"%s\"}", from, to))
        return;
    SF_CHECK_EQ_INT(emp_json_int(r.reply, "unfilled_days"), 30);
    SF_CHECK_EQ_INT(emp_json_len(r.reply, "by_industry"), 2);
    SF_CHECK_EQ_INT(emp_json_len(r.reply, "by_street"), 2);
    /* The restaurant's vacancy opened 60 days ago and has a position left:
     * its industry is the hardest, first. */
    SF_CHECK_EQ_STR(emp_json_str(r.reply, "by_industry[0].key"), "住宿和餐饮业");
    SF_CHECK(emp_json_num(r.reply, "by_industry[0].difficulty_rate") > 0.99);
    SF_CHECK_EQ_INT(emp_json_int(r.reply, "by_industry[0].placements"), 2);
    char sql[8192];
    for (int i = 0; i < 2; i++) {
        const cJSON *row = cJSON_GetArrayItem(emp_json_at(r.reply, "by_industry"), i);
        snprintf(sql, sizeof sql, HIRING_ROW_SQL("e.industry AS k, e.industry AS n"), from, to, from, to, from, to,
                 emp_json_str(row, "key"));
        check_sql("HiringDifficulty by industry", row, sql, NULL);
        row = cJSON_GetArrayItem(emp_json_at(r.reply, "by_street"), i);
        snprintf(sql, sizeof sql,
                 HIRING_ROW_SQL("left(COALESCE(v.work_zone_code, e.zone_code), 9) AS k,"
                                " (SELECT name FROM ref_unit WHERE code = left(COALESCE(v.work_zone_code, e.zone_code), 9)) AS n"),
                 from, to, from, to, from, to, emp_json_str(row, "key"));
        check_sql("HiringDifficulty by street", row, sql, NULL);
    }
    SF_CHECK_EQ_INT(emp_json_int(r.reply, "total.positions_open"),
                    count("SELECT sum(open_positions) FROM employment.vacancy WHERE status = 1"));
    SF_CHECK_EQ_INT(emp_json_int(r.reply, "total.vacancies_unfilled"), 1);
    /* A street sees its own. */
    if (OK(street2, "HiringDifficulty", "{\"from\":\"%s\",\"to\":\"%s\",\"unfilled_days\":1}", from, to)) {
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "by_street"), 1);
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "by_street[0].key"), STREET_2);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "total.vacancies_unfilled"), 0);   /* opened today */
    }
    REFUSED(admin, "HiringDifficulty", SF_INVALID_ARGUMENT, "to", NULL, "{\"from\":\"%s\"}", from);
    REFUSED(admin, "HiringDifficulty", SF_INVALID_ARGUMENT, "unfilled_days", NULL,
            "{\"from\":\"%s\",\"to\":\"%s\",\"unfilled_days\":-1}", from, to);
    /* The long-unfilled vacancies themselves. */
    if (OK(admin, "VacancyList", "{\"unfilled_days\":30}")) {
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "vacancies"), 1);
        SF_CHECK_EQ_INT(emp_json_int(r.reply, "vacancies[0].id"), vacancy_near);
    }
    (void) vacancy_far;
}

/* --- grades ---------------------------------------------------------------------------- */

static void
test_grades(void)
{
    OK(admin, "CourseCreate", "{\"code\":\"C-CHEF-01\",\"title\":\"中式烹调师（初级）\",\"occupation_code\":\"4-03-02-01\","
       "\"grade\":\"SKILL_GRADE_ENTRY\",\"hours\":60}");
    if (OK(admin, "ExamResultRecord", "{\"resident_id\":\"R0000007\",\"occupation_code\":\"4-03-02-01\","
           "\"grade\":\"SKILL_GRADE_ENTRY\",\"exam_date\":\"%s\",\"theory_score\":80,\"practical_score\":75,"
           "\"certificate_number\":\"QD-2026-000001\"}", day(-3))) {
        if (OK(admin, "PersonGet", "{\"resident_id\":\"R0000007\"}")) {
            SF_CHECK_EQ_STR(emp_json_str(r.reply, "certificates[0].name"), "中式烹调师 五级/初级工");
            check_sql("PersonGet after a certificate", r.reply, PERSON_SQL("p.resident_id = 'R0000007'"), NULL);
        }
    }
    char sql[256];
    const char *names[] = { "五级/初级工", "四级/中级工", "三级/高级工", "二级/技师", "一级/高级技师" };
    for (int grade = 1; grade <= 5; grade++) {
        snprintf(sql, sizeof sql, "SELECT (employment.skill_grade_name(%d) = '%s')::int", grade, names[grade - 1]);
        SF_CHECK_EQ_INT(count(sql), 1);
    }
}

/* --- migration 003 on data written before it --------------------------------------- */

/* The daemon stopped, what migration 003 made undone and R9's and R7's rows
 * put back as the service wrote them before it (a closed period with the
 * reason of the change that ended it; a certificate named "<occupation>
 * 1级"), the migration made pending again: employment migrates them when it
 * starts. */
static void
test_migration(void)
{
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemons.employment), 0);
    long long r9 = count("SELECT serial FROM employment.person WHERE resident_id = 'R0000009'");
    char sql[2048];
    snprintf(sql, sizeof sql,
        "UPDATE employment.status_period SET reason = 'placement' WHERE person_serial = %lld AND status = 2;"
        " UPDATE employment.status_period SET reason = 'placement %lld ended' WHERE person_serial = %lld AND status = 1;"
        " UPDATE employment.person SET certificates = jsonb_set(certificates, '{0,name}', '\"中式烹调师 1级\"')"
        "  || '[{\"number\":\"OLD-1\",\"name\":\"电工 1级\",\"occupation_code\":\"6-31-01-03\",\"grade\":1}]'"
        "  WHERE resident_id = 'R0000007';"
        " ALTER TABLE employment.person DROP COLUMN status_event, DROP COLUMN status_reason,"
        "  DROP COLUMN disability_certificate;"
        " ALTER TABLE employment.status_period DROP COLUMN event;"
        " DROP INDEX employment.placement_ended;"
        " ALTER TABLE employment.placement DROP COLUMN separation_reason, DROP COLUMN separation_note;"
        " DROP TABLE employment.follow_up, employment.follow_up_step, employment.incubation_tenant,"
        "  employment.incubation_base;"
        " DROP INDEX employment.ref_resident_household; DROP FUNCTION employment.skill_grade_name(int);"
        " DELETE FROM employment.schema_migrations WHERE component = 'employment' AND version = 3",
        r9, placement_id, r9);
    if (!SF_CHECK(sf_test_pg_exec(db, sql) == 0))
        return;
    if (!SF_CHECK(emp_start_employment(&daemons, NULL) != NULL))
        return;
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.schema_migrations WHERE component = 'employment'"
                          " AND version = 3"), 1);
    /* Each period now says what began it: the registration, the placement; the
     * current one the separation. */
    snprintf(sql, sizeof sql,
        "SELECT string_agg(status || ':' || reason || ':' || event, ' / ' ORDER BY since)"
        " FROM employment.status_period WHERE person_serial = %lld", r9);
    PGresult *result = PQexec(db, sql);
    char expected[128];
    snprintf(expected, sizeof expected, "2:registered:1 / 1:placement:2");
    SF_CHECK_EQ_STR(PQresultStatus(result) == PGRES_TUPLES_OK ? PQgetvalue(result, 0, 0) : "?", expected);
    PQclear(result);
    snprintf(sql, sizeof sql, "SELECT status_reason || ':' || status_event FROM employment.person WHERE serial = %lld", r9);
    result = PQexec(db, sql);
    snprintf(expected, sizeof expected, "placement %lld ended:3", placement_id);
    SF_CHECK_EQ_STR(PQresultStatus(result) == PGRES_TUPLES_OK ? PQgetvalue(result, 0, 0) : "?", expected);
    PQclear(result);
    /* The exam's certificate named by its grade; one not from an exam here left as it was. */
    result = PQexec(db, "SELECT string_agg(c->>'name', ' / ' ORDER BY o) FROM employment.person,"
                        " jsonb_array_elements(certificates) WITH ORDINALITY e(c, o) WHERE resident_id = 'R0000007'");
    SF_CHECK_EQ_STR(PQresultStatus(result) == PGRES_TUPLES_OK ? PQgetvalue(result, 0, 0) : "?",
                    "中式烹调师 五级/初级工 / 电工 1级");
    PQclear(result);
    /* And the service answers as before on the migrated rows. */
    if (OK(admin, "PersonHistory", "{\"resident_id\":\"R0000009\"}")) {
        SF_CHECK_EQ_INT(emp_json_len(r.reply, "changes"), 3);
        SF_CHECK_EQ_STR(emp_json_str(r.reply, "changes[2].event"), "STATUS_EVENT_SEPARATION");
    }
}

int
main(void)
{
    if (sf_test_pg_env("employment_practice") != 0 || emp_daemons_init(&daemons) != 0)
        return sf_test_done();
    db = sf_test_pg_connect();
    if (!SF_CHECK(db && emp_start_grid(&daemons) && emp_start_employment(&daemons, NULL)))
        goto cleanup;
    sf_test_pg_exec(db, "SET search_path = employment, public");
    sf_test_pg_exec(db, "CREATE FUNCTION pg_temp.e(names text[], v int, zero text) RETURNS text LANGUAGE sql AS"
                        " $$ SELECT CASE WHEN v IS NULL OR v = 0 THEN zero ELSE names[v] END $$");
    grid_admin = emp_client(daemons.grid_endpoint, "admin", "admin", "");
    admin = emp_client(daemons.employment_endpoint, "centre", "district", "");
    street2 = emp_client(daemons.employment_endpoint, "street-2", "street", STREET_2);
    int64_t started = sf_clock_ms();
    build_district();
    test_difficulty_rules();
    test_seekers_and_separations();
    test_follow_ups();
    test_incubation();
    test_hiring();
    test_grades();
    test_migration();
    fprintf(stderr, "employment_practice_test: %.1f s\n", (double) (sf_clock_ms() - started) / 1000.0);
cleanup:
    emp_result_release(&r);
    sf_client_destroy(&grid_admin);
    sf_client_destroy(&admin);
    sf_client_destroy(&street2);
    emp_daemons_cleanup(&daemons);
    if (db)
        PQfinish(db);
    return sf_test_done();
}
