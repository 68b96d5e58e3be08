/* Least privilege, role by role, through the whole suite: every real daemon
 * with CURVE on, the gateway in front, one personal account per role
 * logged in with a session cookie, and for every read and write that
 * touches people, a request in the person's scope and one outside it. Each
 * answer is checked against docs/operations.md's table ("People and
 * permissions"): allowed or refused with the right status, and every
 * personal field of a reply compared with the row in SQL, in clear or
 * masked as the role's duty says. */
#include "hard_suite.h"
#include "http_client.h"
#include "sf_ids.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static hs_suite_t suite;

/* The people, one per role (hard_suite.h). */
#define people suite.people

static int
person_call(const hs_person_t *p, const char *method, const char *path, const char *body, http_reply_t *reply)
{
    return hs_person_call(&suite, p, method, path, body, reply);
}

/* --- what a reply may show --------------------------------------------------- */

/* The resident's row: name, birth date, phone, and their household's address. */
typedef struct {
    char id[16], name[64], birth_date[16], phone[24], household[24], address[128];
} resident_row_t;

static void
resident_row(const char *id, resident_row_t *row)
{
    char sql[512];
    memset(row, 0, sizeof *row);
    snprintf(sql, sizeof sql,
             "SELECT r.name, COALESCE(to_char(r.birth_date, 'YYYY-MM-DD'), ''), r.phone, r.household_code, h.address"
             " FROM grid.resident r JOIN grid.household h ON h.code = r.household_code"
             " WHERE r.serial = %d", atoi(id + 1));
    PGresult *result = PQexec(suite.db, sql);
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
        snprintf(row->id, sizeof row->id, "%s", id);
        snprintf(row->name, sizeof row->name, "%s", PQgetvalue(result, 0, 0));
        snprintf(row->birth_date, sizeof row->birth_date, "%s", PQgetvalue(result, 0, 1));
        snprintf(row->phone, sizeof row->phone, "%s", PQgetvalue(result, 0, 2));
        snprintf(row->household, sizeof row->household, "%s", PQgetvalue(result, 0, 3));
        snprintf(row->address, sizeof row->address, "%s", PQgetvalue(result, 0, 4));
    } else
        SF_FAIL("no row for resident %s", id);
    PQclear(result);
}

typedef enum { CLEAR, MASKED } shown_t;

/* A resident as a reply shows it: the name clear or masked by the duty;
 * birth date and phone always masked outside a reveal. */
static void
check_resident(const char *who, const cJSON *json, const resident_row_t *row, shown_t shown, bool revealed, int line)
{
    char mask[SF_MASK_SIZE];
    if (strcmp(hs_text(json, "id"), row->id) != 0) {
        SF_FAIL("line %d (%s): resident %s expected, got %s", line, who, row->id, hs_text(json, "id"));
        return;
    }
    sf_name_mask(row->name, mask, sizeof mask);
    const char *name = shown == CLEAR ? row->name : mask;
    if (strcmp(hs_text(json, "name"), name) != 0)
        SF_FAIL("line %d (%s): name \"%s\", expected \"%s\"", line, who, hs_text(json, "name"), name);
    sf_birth_date_mask(row->birth_date, mask, sizeof mask);
    const char *birth = revealed ? row->birth_date : mask;
    if (strcmp(hs_text(json, "birth_date"), birth) != 0)
        SF_FAIL("line %d (%s): birth date \"%s\", expected \"%s\"", line, who, hs_text(json, "birth_date"), birth);
    sf_phone_mask(row->phone, mask, sizeof mask);
    const char *phone = revealed ? row->phone : mask;
    if (strcmp(hs_text(json, "phone"), phone) != 0)
        SF_FAIL("line %d (%s): phone \"%s\", expected \"%s\"", line, who, hs_text(json, "phone"), phone);
    /* The identity number is never whole, whoever asks. */
    const char *masked_id = hs_text(json, "id_number_masked");
    if (strlen(masked_id) != 18 || strstr(masked_id, "********") == NULL)
        SF_FAIL("line %d (%s): identity number shown as \"%s\"", line, who, masked_id);
    SF_CHECK(true);
}

/* --- the matrix ------------------------------------------------------------------ */

/* What a role gets for one record: refused for its role (403), not found
 * (404: outside its view), or the record with personal data clear or
 * masked. */
typedef enum { DENIED, HIDDEN, SHOWN_CLEAR, SHOWN_MASKED } outcome_t;

static const char *
outcome_name(outcome_t o)
{
    return o == DENIED ? "403" : o == HIDDEN ? "404" : o == SHOWN_CLEAR ? "200 clear" : "200 masked";
}

/* GET /v1/grid/residents/{id} for each role, in and out of scope. */
static void
test_resident_get(void)
{
    const hs_district_t *d = &suite.district;
    /* in = street 1, community 1, zone 1; out = street 2. */
    static const outcome_t in[P_N] = {
        [P_CLERK] = SHOWN_CLEAR, [P_CADRE] = SHOWN_CLEAR, [P_COMMUNITY] = SHOWN_CLEAR, [P_STREET] = SHOWN_CLEAR,
        [P_DEPARTMENT] = SHOWN_MASKED, [P_COUNSELLOR] = SHOWN_MASKED, [P_COORDINATOR] = SHOWN_MASKED,
        [P_APPRAISAL] = SHOWN_MASKED, [P_LEADER] = SHOWN_MASKED, [P_PRIVACY] = DENIED, [P_ADMIN] = DENIED,
    };
    static const outcome_t out[P_N] = {
        [P_CLERK] = HIDDEN, [P_CADRE] = HIDDEN, [P_COMMUNITY] = HIDDEN, [P_STREET] = HIDDEN,
        [P_DEPARTMENT] = SHOWN_MASKED, [P_COUNSELLOR] = HIDDEN, [P_COORDINATOR] = HIDDEN,
        [P_APPRAISAL] = SHOWN_MASKED, [P_LEADER] = SHOWN_MASKED, [P_PRIVACY] = DENIED, [P_ADMIN] = DENIED,
    };
    for (int side = 0; side < 2; side++) {
        resident_row_t row;
        resident_row(d->residents[side][0], &row);
        for (int i = 0; i < P_N; i++) {
            outcome_t expect = side == 0 ? in[i] : out[i];
            char path[128];
            snprintf(path, sizeof path, "/v1/grid/residents/%s", row.id);
            http_reply_t reply;
            int status = person_call(&people[i], "GET", path, NULL, &reply);
            int want = expect == DENIED ? 403 : expect == HIDDEN ? 404 : 200;
            if (status != want)
                SF_FAIL("%s GET %s (%s scope): %d, expected %s: %.200s", people[i].role, path, side ? "out of" : "in",
                        status, outcome_name(expect), reply.body ? reply.body : "");
            else if (status == 200)
                check_resident(people[i].role, reply.json, &row, expect == SHOWN_CLEAR ? CLEAR : MASKED, false,
                               __LINE__);
            else
                SF_CHECK(true);
            http_reply_release(&reply);
        }
    }
}

/* GET /v1/grid/residents?under= for each role: what the list holds, every
 * resident's fields as for one. */
static void
test_resident_list(void)
{
    const char *unders[2] = { HS_COMMUNITY_1, HS_COMMUNITY_2 };
    /* How many of the community's residents a role's list holds (-1: 403). */
    static const int in[P_N] = {
        [P_CLERK] = HS_MAX_HOUSEHOLDS, [P_CADRE] = HS_MAX_HOUSEHOLDS, [P_COMMUNITY] = HS_MAX_HOUSEHOLDS,
        [P_STREET] = HS_MAX_HOUSEHOLDS, [P_DEPARTMENT] = HS_MAX_HOUSEHOLDS, [P_COUNSELLOR] = HS_MAX_HOUSEHOLDS,
        [P_COORDINATOR] = HS_MAX_HOUSEHOLDS, [P_APPRAISAL] = HS_MAX_HOUSEHOLDS, [P_LEADER] = HS_MAX_HOUSEHOLDS,
        [P_PRIVACY] = -1, [P_ADMIN] = -1,
    };
    static const int out[P_N] = {
        [P_CLERK] = 0, [P_CADRE] = 0, [P_COMMUNITY] = 0, [P_STREET] = 0, [P_DEPARTMENT] = HS_MAX_HOUSEHOLDS,
        [P_COUNSELLOR] = 0, [P_COORDINATOR] = 0, [P_APPRAISAL] = HS_MAX_HOUSEHOLDS, [P_LEADER] = HS_MAX_HOUSEHOLDS,
        [P_PRIVACY] = -1, [P_ADMIN] = -1,
    };
    static const bool clear[P_N] = { [P_CLERK] = true, [P_CADRE] = true, [P_COMMUNITY] = true, [P_STREET] = true };
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < P_N; i++) {
            char path[160];
            snprintf(path, sizeof path, "/v1/grid/residents?under=%s&page_size=50", unders[side]);
            http_reply_t reply;
            int status = person_call(&people[i], "GET", path, NULL, &reply);
            int want_count = side == 0 ? in[i] : out[i];
            if (want_count < 0) {
                if (!SF_CHECK_EQ_INT(status, 403))
                    printf("%s listed residents\n", people[i].role);
                http_reply_release(&reply);
                continue;
            }
            const cJSON *list = cJSON_GetObjectItemCaseSensitive(reply.json, "residents"), *resident;
            if (status != 200 || cJSON_GetArraySize(list) != want_count)
                SF_FAIL("%s GET %s: %d with %d residents, expected %d", people[i].role, path, status,
                        cJSON_GetArraySize(list), want_count);
            cJSON_ArrayForEach(resident, list) {
                resident_row_t row;
                resident_row(hs_text(resident, "id"), &row);
                check_resident(people[i].role, resident, &row, clear[i] && side == 0 ? CLEAR : MASKED, false,
                               __LINE__);
            }
            http_reply_release(&reply);
        }
}

/* POST /v1/grid/residents:find by identity number: within the search
 * scope, shown by the view rule; outside it, not found. */
static void
test_resident_find(void)
{
    const hs_district_t *d = &suite.district;
    static const outcome_t in[P_N] = {
        [P_CLERK] = SHOWN_CLEAR, [P_CADRE] = SHOWN_CLEAR, [P_COMMUNITY] = SHOWN_CLEAR, [P_STREET] = SHOWN_CLEAR,
        [P_DEPARTMENT] = HIDDEN, [P_COUNSELLOR] = SHOWN_MASKED, [P_COORDINATOR] = HIDDEN,
        [P_APPRAISAL] = HIDDEN, [P_LEADER] = HIDDEN, [P_PRIVACY] = DENIED, [P_ADMIN] = DENIED,
    };
    /* A resident who lives in street 2: found by those who search the
     * district, masked (their duty does not reach street 2). */
    static const outcome_t out[P_N] = {
        [P_CLERK] = SHOWN_MASKED, [P_CADRE] = HIDDEN, [P_COMMUNITY] = SHOWN_MASKED, [P_STREET] = SHOWN_MASKED,
        [P_DEPARTMENT] = HIDDEN, [P_COUNSELLOR] = SHOWN_MASKED, [P_COORDINATOR] = HIDDEN,
        [P_APPRAISAL] = HIDDEN, [P_LEADER] = HIDDEN, [P_PRIVACY] = DENIED, [P_ADMIN] = DENIED,
    };
    for (int side = 0; side < 2; side++) {
        resident_row_t row;
        resident_row(d->residents[side][1], &row);
        char body[128];
        snprintf(body, sizeof body, "{\"id_number\":\"%s\"}", d->id_numbers[side][1]);
        for (int i = 0; i < P_N; i++) {
            outcome_t expect = side == 0 ? in[i] : out[i];
            http_reply_t reply;
            int status = person_call(&people[i], "POST", "/v1/grid/residents:find", body, &reply);
            int want = expect == DENIED ? 403 : expect == HIDDEN ? 404 : 200;
            if (status != want)
                SF_FAIL("%s finds a resident of street %d: %d, expected %s: %.200s", people[i].role, side + 1, status,
                        outcome_name(expect), reply.body ? reply.body : "");
            else if (status == 200) {
                const cJSON *resident = cJSON_GetObjectItemCaseSensitive(reply.json, "resident");
                check_resident(people[i].role, resident ? resident : reply.json, &row,
                               expect == SHOWN_CLEAR ? CLEAR : MASKED, false, __LINE__);
            } else
                SF_CHECK(true);
            http_reply_release(&reply);
        }
    }
}

/* A reveal: the whole resident, for a role whose duty reaches them, with a
 * reason, and its audit row read back; refused to everyone else, and
 * nothing written for a refusal. */
static void
test_reveal(void)
{
    const hs_district_t *d = &suite.district;
    resident_row_t row;
    resident_row(d->residents[0][2], &row);
    char path[128];
    snprintf(path, sizeof path, "/v1/grid/residents/%s/reveal", row.id);
    long long before = sf_test_pg_int(suite.db, "SELECT count(*) FROM grid.personal_access_log");
    for (int i = 0; i < P_N; i++) {
        bool duty = i == P_CLERK || i == P_CADRE || i == P_COMMUNITY || i == P_STREET;
        http_reply_t reply;
        int status = person_call(&people[i], "POST", path, "{\"reason\":\"核实低保申请材料\"}", &reply);
        if (duty) {
            if (!SF_CHECK_EQ_INT(status, 200)) {
                printf("%s reveal: %.200s\n", people[i].role, reply.body ? reply.body : "");
                http_reply_release(&reply);
                continue;
            }
            const cJSON *resident = cJSON_GetObjectItemCaseSensitive(reply.json, "resident");
            check_resident(people[i].role, resident ? resident : reply.json, &row, CLEAR, true, __LINE__);
            char sql[512];
            snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM grid.personal_access_log WHERE kind = 'reveal' AND actor = '%s'"
                     " AND reason = '核实低保申请材料' AND '%s' = ANY (resident_ids)", people[i].staff_id, row.id);
            SF_CHECK_EQ_INT(sf_test_pg_int(suite.db, sql), 1);
        } else if (status != 403 && status != 404)
            SF_FAIL("%s revealed a resident: %d", people[i].role, status);
        else
            SF_CHECK(true);
        http_reply_release(&reply);
    }
    SF_CHECK_EQ_INT(sf_test_pg_int(suite.db, "SELECT count(*) FROM grid.personal_access_log") - before, 4);
    /* Without a reason: refused, nothing written. */
    http_reply_t reply;
    SF_CHECK_EQ_INT(person_call(&people[P_CLERK], "POST", path, "{}", &reply), 400);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(sf_test_pg_int(suite.db, "SELECT count(*) FROM grid.personal_access_log") - before, 4);
    /* Out of the clerk's scope: not found. */
    snprintf(path, sizeof path, "/v1/grid/residents/%s/reveal", d->residents[1][2]);
    SF_CHECK_EQ_INT(person_call(&people[P_CLERK], "POST", path, "{\"reason\":\"核实\"}", &reply), 404);
    http_reply_release(&reply);
    /* The audit: the privacy officer reads it; nobody else does. */
    for (int i = 0; i < P_N; i++) {
        int status = person_call(&people[i], "GET", "/v1/grid/access-log", NULL, &reply);
        if (i == P_PRIVACY) {
            const cJSON *entries = cJSON_GetArrayItem(reply.json, 0);
            (void) entries;
            SF_CHECK_EQ_INT(status, 200);
            SF_CHECK(strstr(reply.body ? reply.body : "", "核实低保申请材料") != NULL);
        } else if (!SF_CHECK_EQ_INT(status, 403))
            printf("%s read the access log\n", people[i].role);
        http_reply_release(&reply);
    }
}

/* Writes: a resident's phone changed by those who may write in its unit;
 * refused outside (nothing changed) and to other roles. */
static void
test_resident_update(void)
{
    const hs_district_t *d = &suite.district;
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < P_N; i++) {
            bool may = side == 0 && (i == P_CLERK || i == P_CADRE || i == P_COMMUNITY || i == P_STREET);
            char path[128], body[128], phone[16];
            snprintf(phone, sizeof phone, "1370000%02d%02d", side, i);
            snprintf(path, sizeof path, "/v1/grid/residents/%s", d->residents[side][3]);
            snprintf(body, sizeof body, "{\"phone\":\"%s\"}", phone);
            http_reply_t reply;
            int status = person_call(&people[i], "PATCH", path, body, &reply);
            resident_row_t row;
            resident_row(d->residents[side][3], &row);
            if (may) {
                if (SF_CHECK_EQ_INT(status, 200))
                    SF_CHECK_EQ_STR(row.phone, phone);
            } else {
                if (status != 403 && status != 404)
                    SF_FAIL("%s changed a resident of street %d: %d", people[i].role, side + 1, status);
                SF_CHECK(strcmp(row.phone, phone) != 0);
            }
            http_reply_release(&reply);
        }
}

/* Cases: a window clerk registers in their unit, not elsewhere; the
 * requester shows clear to those whose duty reaches the case's unit and to
 * the clerk who registered it, masked to others. */
static void
test_cases(void)
{
    const hs_district_t *d = &suite.district;
    char body[768];
    snprintf(body, sizeof body,
             "{\"channel\":\"CASE_CHANNEL_WINDOW\",\"item_code\":\"residence-certificate\",\"description\":\"开证明\","
             "\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":\"%s\",\"name\":\"张秀英\","
             "\"phone\":\"13812345678\"}}", d->households[0][4]);
    http_reply_t reply;
    int status = person_call(&people[P_CLERK], "POST", "/v1/intake/cases", body, &reply);
    long long id = 0;
    if (SF_CHECK_EQ_INT(status, 201)) {
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(reply.json, "id");
        id = cJSON_IsNumber(got) ? (long long) got->valuedouble : atoll(hs_text(reply.json, "id"));
        SF_CHECK_EQ_STR(hs_text(reply.json, "first_responder_id"), people[P_CLERK].staff_id);
    }
    http_reply_release(&reply);
    /* In another street: refused, nothing written. */
    long long cases_before = sf_test_pg_int(suite.db, "SELECT count(*) FROM intake.intake_case");
    snprintf(body, sizeof body,
             "{\"channel\":\"CASE_CHANNEL_WINDOW\",\"item_code\":\"residence-certificate\",\"description\":\"越权\","
             "\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":\"%s\",\"name\":\"李四\","
             "\"phone\":\"13812345679\"}}", d->households[1][4]);
    status = person_call(&people[P_CLERK], "POST", "/v1/intake/cases", body, &reply);
    if (status != 403 && status != 404)
        SF_FAIL("a window clerk registered a case in another street: %d", status);
    http_reply_release(&reply);
    /* Roles that do not register cases. */
    for (int i = 0; i < P_N; i++) {
        if (i == P_CLERK || i == P_CADRE || i == P_COMMUNITY || i == P_STREET)
            continue;
        status = person_call(&people[i], "POST", "/v1/intake/cases", body, &reply);
        if (!SF_CHECK(status == 403 || status == 404))
            printf("%s registered a case: %d\n", people[i].role, status);
        http_reply_release(&reply);
    }
    SF_CHECK_EQ_INT(sf_test_pg_int(suite.db, "SELECT count(*) FROM intake.intake_case"), cases_before);
    if (!id)
        return;
    /* Who sees the requester of the clerk's case, and how. */
    static const outcome_t seen[P_N] = {
        [P_CLERK] = SHOWN_CLEAR, [P_CADRE] = SHOWN_CLEAR, [P_COMMUNITY] = SHOWN_CLEAR, [P_STREET] = SHOWN_CLEAR,
        [P_DEPARTMENT] = SHOWN_MASKED, [P_COUNSELLOR] = SHOWN_MASKED, [P_COORDINATOR] = SHOWN_MASKED,
        [P_APPRAISAL] = SHOWN_MASKED, [P_LEADER] = SHOWN_MASKED, [P_PRIVACY] = DENIED, [P_ADMIN] = DENIED,
    };
    char path[96], name_mask[SF_MASK_SIZE], phone_mask[SF_PHONE_SIZE];
    sf_name_mask("张秀英", name_mask, sizeof name_mask);
    sf_phone_mask("13812345678", phone_mask, sizeof phone_mask);
    snprintf(path, sizeof path, "/v1/intake/cases/%lld", id);
    for (int i = 0; i < P_N; i++) {
        status = person_call(&people[i], "GET", path, NULL, &reply);
        int want = seen[i] == DENIED ? 403 : seen[i] == HIDDEN ? 404 : 200;
        if (status != want)
            SF_FAIL("%s GET %s: %d, expected %s: %.200s", people[i].role, path, status, outcome_name(seen[i]),
                    reply.body ? reply.body : "");
        else if (status == 200) {
            const cJSON *requester = cJSON_GetObjectItemCaseSensitive(reply.json, "requester");
            bool clear = seen[i] == SHOWN_CLEAR;
            SF_CHECK_EQ_STR(hs_text(requester, "name"), clear ? "张秀英" : name_mask);
            /* The requester's phone: the stations see it, as before. */
            if (!clear)
                SF_CHECK_EQ_STR(hs_text(requester, "phone"), phone_mask);
        } else
            SF_CHECK(true);
        http_reply_release(&reply);
    }
}

/* GET /v1/grid/households/{code}: the address clear to a resident duty
 * viewing it, masked to other staff, hidden outside the view. */
static void
test_household_get(void)
{
    const hs_district_t *d = &suite.district;
    static const outcome_t in[P_N] = {
        [P_CLERK] = SHOWN_CLEAR, [P_CADRE] = SHOWN_CLEAR, [P_COMMUNITY] = SHOWN_CLEAR, [P_STREET] = SHOWN_CLEAR,
        [P_DEPARTMENT] = SHOWN_MASKED, [P_COUNSELLOR] = SHOWN_MASKED, [P_COORDINATOR] = SHOWN_MASKED,
        [P_APPRAISAL] = SHOWN_MASKED, [P_LEADER] = SHOWN_MASKED, [P_PRIVACY] = DENIED, [P_ADMIN] = DENIED,
    };
    static const outcome_t out[P_N] = {
        [P_CLERK] = HIDDEN, [P_CADRE] = HIDDEN, [P_COMMUNITY] = HIDDEN, [P_STREET] = HIDDEN,
        [P_DEPARTMENT] = SHOWN_MASKED, [P_COUNSELLOR] = HIDDEN, [P_COORDINATOR] = HIDDEN,
        [P_APPRAISAL] = SHOWN_MASKED, [P_LEADER] = SHOWN_MASKED, [P_PRIVACY] = DENIED, [P_ADMIN] = DENIED,
    };
    for (int side = 0; side < 2; side++) {
        char sql[256], address[128], mask[SF_MASK_SIZE], path[96];
        snprintf(sql, sizeof sql, "SELECT address FROM grid.household WHERE code = '%s'", d->households[side][0]);
        PGresult *result = PQexec(suite.db, sql);
        snprintf(address, sizeof address, "%s", PQntuples(result) == 1 ? PQgetvalue(result, 0, 0) : "?");
        PQclear(result);
        sf_address_mask(address, mask, sizeof mask);
        snprintf(path, sizeof path, "/v1/grid/households/%s", d->households[side][0]);
        for (int i = 0; i < P_N; i++) {
            outcome_t expect = side == 0 ? in[i] : out[i];
            http_reply_t reply;
            int status = person_call(&people[i], "GET", path, NULL, &reply);
            int want = expect == DENIED ? 403 : expect == HIDDEN ? 404 : 200;
            if (status != want)
                SF_FAIL("%s GET %s: %d, expected %s", people[i].role, path, status, outcome_name(expect));
            else if (status == 200)
                SF_CHECK_EQ_STR(hs_text(reply.json, "address"), expect == SHOWN_CLEAR ? address : mask);
            else
                SF_CHECK(true);
            http_reply_release(&reply);
        }
    }
}

/* Job seekers and volunteers: registered by their duty within its scope;
 * their names clear to that duty, masked to other staff, hidden outside the
 * view; the resident's name as grid holds it. */
static void
test_employment_and_volunteers(void)
{
    const hs_district_t *d = &suite.district;
    /* Job seekers of working age: street 1's heads of household are past
     * it, so one more resident there, born in 1980. */
    char seekers[2][16], id_number[19], json[256];
    snprintf(seekers[1], sizeof seekers[1], "%s", d->residents[1][6]);   /* born 1976 */
    hs_id_number(id_number, 30);
    snprintf(json, sizeof json,
             "{\"household_code\":\"%s\",\"name\":\"求职者\",\"id_number\":\"%s\",\"relation\":\"child\"}",
             d->households[0][6], id_number);
    cJSON *created = NULL;
    if (HS_MUST(suite.admin[HS_GRID], "grid", "ResidentCreate", json, &created) != SF_OK)
        return;
    snprintf(seekers[0], sizeof seekers[0], "%s", hs_text(created, "id"));
    cJSON_Delete(created);
    /* employment's copy of grid has them before they register. */
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM employment.ref_resident WHERE id = '%s'", seekers[0]);
    for (int waited = 0; waited < 10000 && sf_test_pg_int(suite.db, sql) != 1; waited += 50)
        usleep(50000);
    /* Registering: the counsellor in their unit only; nobody else. */
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < P_N; i++) {
            char body[256];
            snprintf(body, sizeof body,
                     "{\"resident_id\":\"%s\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"seeking_work\":true}",
                     seekers[side]);
            http_reply_t reply;
            int status = person_call(&people[i], "POST", "/v1/employment/persons", body, &reply);
            bool may = i == P_COUNSELLOR && side == 0;
            if (may ? status != 201 : status != 403 && status != 404)
                SF_FAIL("%s registers a job seeker of street %d: %d %.200s", people[i].role, side + 1, status,
                        reply.body ? reply.body : "");
            else
                SF_CHECK(true);
            http_reply_release(&reply);
        }
    /* The other street's by the district's key, to be read. */
    snprintf(json, sizeof json,
             "{\"resident_id\":\"%s\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"seeking_work\":true}",
             seekers[1]);
    HS_MUST(suite.admin[HS_EMPLOYMENT], "employment", "PersonRegister", json, NULL);
    char volunteer_ids[2][16] = { "", "" };
    for (int side = 0; side < 2; side++) {
        cJSON *registered = NULL;
        snprintf(json, sizeof json, "{\"resident_id\":\"%s\"}", d->residents[side][7]);
        if (HS_MUST(suite.admin[HS_VOLUNTEER], "volunteer", "VolunteerRegister", json, &registered) == SF_OK)
            snprintf(volunteer_ids[side], sizeof volunteer_ids[side], "%s", hs_text(registered, "id"));
        cJSON_Delete(registered);
    }
    static const outcome_t job_in[P_N] = {
        [P_CLERK] = SHOWN_MASKED, [P_CADRE] = SHOWN_MASKED, [P_COMMUNITY] = SHOWN_MASKED, [P_STREET] = SHOWN_MASKED,
        [P_DEPARTMENT] = SHOWN_MASKED, [P_COUNSELLOR] = SHOWN_CLEAR, [P_COORDINATOR] = SHOWN_MASKED,
        [P_APPRAISAL] = SHOWN_MASKED, [P_LEADER] = SHOWN_MASKED, [P_PRIVACY] = DENIED, [P_ADMIN] = DENIED,
    };
    static const outcome_t volunteer_in[P_N] = {
        [P_CLERK] = SHOWN_MASKED, [P_CADRE] = SHOWN_MASKED, [P_COMMUNITY] = SHOWN_MASKED, [P_STREET] = SHOWN_MASKED,
        [P_DEPARTMENT] = SHOWN_MASKED, [P_COUNSELLOR] = SHOWN_MASKED, [P_COORDINATOR] = SHOWN_CLEAR,
        [P_APPRAISAL] = SHOWN_MASKED, [P_LEADER] = SHOWN_MASKED, [P_PRIVACY] = DENIED, [P_ADMIN] = DENIED,
    };
    /* Outside street 1: hidden from everyone whose view is their unit; the
     * district's viewers see it masked. */
    static const outcome_t out[P_N] = {
        [P_CLERK] = HIDDEN, [P_CADRE] = HIDDEN, [P_COMMUNITY] = HIDDEN, [P_STREET] = HIDDEN,
        [P_DEPARTMENT] = SHOWN_MASKED, [P_COUNSELLOR] = HIDDEN, [P_COORDINATOR] = HIDDEN,
        [P_APPRAISAL] = SHOWN_MASKED, [P_LEADER] = SHOWN_MASKED, [P_PRIVACY] = DENIED, [P_ADMIN] = DENIED,
    };
    for (int kind = 0; kind < 2; kind++)
        for (int side = 0; side < 2; side++) {
            const char *resident = kind == 0 ? seekers[side] : d->residents[side][7];
            resident_row_t row;
            resident_row(resident, &row);
            char path[128], mask[SF_MASK_SIZE];
            sf_name_mask(row.name, mask, sizeof mask);
            if (kind == 0)
                snprintf(path, sizeof path, "/v1/employment/persons/%s", resident);
            else
                snprintf(path, sizeof path, "/v1/volunteer/volunteers/%s", volunteer_ids[side]);
            for (int i = 0; i < P_N; i++) {
                outcome_t expect = side == 1 ? out[i] : kind == 0 ? job_in[i] : volunteer_in[i];
                http_reply_t reply;
                int status = person_call(&people[i], "GET", path, NULL, &reply);
                int want = expect == DENIED ? 403 : expect == HIDDEN ? 404 : 200;
                if (status != want)
                    SF_FAIL("%s GET %s: %d, expected %s: %.200s", people[i].role, path, status, outcome_name(expect),
                            reply.body ? reply.body : "");
                else if (status == 200)
                    SF_CHECK_EQ_STR(hs_text(reply.json, "name"), expect == SHOWN_CLEAR ? row.name : mask);
                else
                    SF_CHECK(true);
                http_reply_release(&reply);
            }
        }
}

/* The anonymous visitor and a forged cookie: nothing personal. */
static void
test_strangers(void)
{
    const hs_district_t *d = &suite.district;
    char path[128];
    snprintf(path, sizeof path, "/v1/grid/residents/%s", d->residents[0][0]);
    http_reply_t reply;
    int status = http_request(atomic_load(&suite.http_port), "GET", path, NULL, NULL, 0, &reply);
    SF_CHECK(status == 401 || status == 403);
    SF_CHECK(reply.body == NULL || strstr(reply.body, "住户") == NULL);
    http_reply_release(&reply);
    hs_person_t forged = people[P_STREET];
    snprintf(forged.cookie, sizeof forged.cookie, "%s", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    SF_CHECK_EQ_INT(person_call(&forged, "GET", path, NULL, &reply), 401);
    http_reply_release(&reply);
    /* A real cookie with a write from another site: refused, nothing written. */
    hs_person_t cross = people[P_STREET];
    snprintf(cross.csrf, sizeof cross.csrf, "not-the-token");
    char body[64];
    snprintf(body, sizeof body, "{\"phone\":\"13600000000\"}");
    snprintf(path, sizeof path, "/v1/grid/residents/%s", d->residents[0][5]);
    SF_CHECK_EQ_INT(person_call(&cross, "PATCH", path, body, &reply), 403);
    http_reply_release(&reply);
    resident_row_t row;
    resident_row(d->residents[0][5], &row);
    SF_CHECK(strcmp(row.phone, "13600000000") != 0);
}

int
main(void)
{
    if (!hs_init(&suite, "security_people_test", true, NULL) || !hs_start_all(&suite) || !hs_load_district(&suite)
        || !hs_start_gateway(&suite) || !hs_make_people(&suite))
        goto done;
    test_resident_get();
    test_resident_list();
    test_resident_find();
    test_reveal();
    test_resident_update();
    test_household_get();
    test_cases();
    test_employment_and_volunteers();
    test_strangers();
done:
    hs_finish(&suite);
    return sf_test_done();
}
