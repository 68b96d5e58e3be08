/* Who may do what, with CURVE on every link, against every real daemon:
 * - a key that is not on the allowlist (and a plain connection) gets no
 *   reply from grid, intake, employment, volunteer or evaluation, writes
 *   nothing, and each daemon logs the refused key;
 * - a department's (and a street's) principal cannot read or change what
 *   lies in another's scope: households, residents, cases, people; directly
 *   over CURVE and through the gateway with API keys;
 * - the audit trail names who did it: each event's actor is the principal
 *   (the key's own, or the one the gateway names for an API key);
 * - identity numbers and phones never appear in any daemon's log, after a
 *   run that created residents with both, looked them up and took cases
 *   with requesters' phones. */
#include "hard_suite.h"
#include "http_client.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hs_suite_t suite;

static const char *const principals[] = {
    "dept-a department 370205001", "dept-b department 370205002",
    "street-a street 370205001", "street-b street 370205002",
    "!stranger viewer", NULL,
};

/* --- admission ---------------------------------------------------------- */

static void
test_admission(void)
{
    /* A write each service would take from an admitted admin. */
    static const char *const writes[HS_N][3] = {
        { "grid", "DepartmentCreate", "{\"code\":\"stranger-dept\",\"name\":\"x\"}" },
        { "intake", "ItemPut", "{\"code\":\"stranger-item\",\"name\":\"x\"}" },
        { "employment", "CourseCreate", "{\"title\":\"stranger course\"}" },
        { "volunteer", "SkillDefine", "{\"code\":\"stranger-skill\",\"name\":\"x\"}" },
        { "evaluation", "KpiDefine", "{\"code\":\"stranger_kpi\",\"name\":\"x\",\"numerator\":\"1\"}" },
    };
    const hs_key_t *stranger = hs_key(&suite, "stranger");
    for (int s = 0; s < HS_N; s++) {
        long long head = sf_test_event_head(suite.admin[s]);
        sf_client_t *client = hs_client(&suite, s, "stranger", 1000, 0);
        sf_reply_info_t info;
        if (!SF_CHECK_EQ_INT(hs_call(client, writes[s][0], writes[s][1], NULL, writes[s][2], NULL, &info),
                             SF_UNAVAILABLE))
            printf("%s answered a key that is not admitted: %s\n", hs_services[s], info.message);
        SF_CHECK_EQ_INT(hs_call(client, hs_services[s], "Sys.Ping", NULL, "{}", NULL, &info), SF_UNAVAILABLE);
        sf_client_destroy(&client);
        /* Plain TCP to a CURVE service: nothing either. */
        client = sf_client_new(suite.daemons[s].endpoint, NULL);
        sf_client_set_timeout(client, 1000);
        sf_client_set_retries(client, 0);
        sf_client_set_principal(client, "admin", "admin", "");
        SF_CHECK_EQ_INT(hs_call(client, writes[s][0], writes[s][1], NULL, writes[s][2], NULL, &info),
                        SF_UNAVAILABLE);
        sf_client_destroy(&client);
        SF_CHECK_EQ_INT(sf_test_event_head(suite.admin[s]), head);
        if (!SF_CHECK(hs_log_contains(&suite, s, stranger->keypair.public_key)))
            printf("%s did not log the refused key %s\n", hs_services[s], stranger->keypair.public_key);
    }
    SF_CHECK_EQ_INT(sf_test_pg_int(suite.db, "SELECT count(*) FROM grid.department WHERE code = 'stranger-dept'"), 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(suite.db, "SELECT count(*) FROM volunteer.skill WHERE code = 'stranger-skill'"), 0);
    printf("admission: a key not admitted and a plain connection got no reply from %d daemons\n", HS_N);
}

/* --- scope, directly over CURVE ----------------------------------------- */

static bool
refused(sf_status_t status)
{
    return status == SF_PERMISSION_DENIED || status == SF_NOT_FOUND;
}

static void
check_refused(sf_client_t *client, const char *service, const char *method, const char *json, int line)
{
    sf_reply_info_t info;
    sf_status_t status = hs_call(client, service, method, NULL, json, NULL, &info);
    if (!refused(status))
        SF_FAIL("line %d: %s.%s %s out of scope: %s %s", line, service, method, json, sf_status_name(status),
                info.message ? info.message : "");
    else
        SF_CHECK(true);
}
#define REFUSED(client, service, method, json) check_refused(client, service, method, json, __LINE__)

static long long case_in_street_2;

static void
test_scope_direct(void)
{
    hs_district_t *d = &suite.district;
    char json[1024];
    for (int who = 0; who < 2; who++) {
        const char *principal = who ? "street-a" : "dept-a";
        sf_client_t *grid = hs_client(&suite, HS_GRID, principal, 5000, 1);
        /* Its own scope: yes. */
        snprintf(json, sizeof json, "{\"code\":\"%s\"}", d->households[0][0]);
        SF_CHECK_EQ_INT(HS_MUST(grid, "grid", "HouseholdGet", json, NULL), SF_OK);
        /* The other street's household and resident: no. */
        snprintf(json, sizeof json, "{\"code\":\"%s\"}", d->households[1][0]);
        REFUSED(grid, "grid", "HouseholdGet", json);
        snprintf(json, sizeof json, "{\"id\":\"%s\"}", d->residents[1][0]);
        REFUSED(grid, "grid", "ResidentGet", json);
        /* Listing the whole district shows only its own street. */
        cJSON *reply = NULL;
        if (HS_MUST(grid, "grid", "HouseholdList", "{\"under\":\"370205\"}", &reply) == SF_OK) {
            const cJSON *households = cJSON_GetObjectItemCaseSensitive(reply, "households"), *h;
            int seen = 0;
            cJSON_ArrayForEach(h, households) {
                seen++;
                if (strncmp(hs_text(h, "code"), HS_STREET_1, 9) != 0)
                    SF_FAIL("%s sees household %s outside its scope", principal, hs_text(h, "code"));
            }
            SF_CHECK_EQ_INT(seen, HS_MAX_HOUSEHOLDS);
        }
        cJSON_Delete(reply);
        snprintf(json, sizeof json, "{\"under\":\"%s\"}", HS_STREET_2);
        if (HS_MUST(grid, "grid", "HouseholdList", json, &reply) == SF_OK)
            SF_CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(reply, "households")), 0);
        cJSON_Delete(reply);
        /* Changing the other street's household: refused, nothing changed. */
        snprintf(json, sizeof json, "{\"code\":\"%s\",\"address\":\"taken over by %s\"}", d->households[1][1],
                 principal);
        sf_reply_info_t info;
        sf_status_t status = hs_call(grid, "grid", "HouseholdUpdate", NULL, json, NULL, &info);
        SF_CHECK(status == SF_PERMISSION_DENIED || status == SF_NOT_FOUND);
        sf_client_destroy(&grid);

        /* Intake: no case for, and no sight of, the other street. */
        sf_client_t *intake = hs_client(&suite, HS_INTAKE, principal, 5000, 1);
        snprintf(json, sizeof json,
                 "{\"channel\":\"CASE_CHANNEL_WINDOW\",\"item_code\":\"residence-certificate\",\"description\":"
                 "\"out of scope\",\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":\"%s\","
                 "\"name\":\"x\",\"phone\":\"13700000001\"}}", d->households[1][2]);
        status = hs_call(intake, "intake", "CaseSubmit", NULL, json, NULL, &info);
        if (!SF_CHECK(status == SF_PERMISSION_DENIED || status == SF_NOT_FOUND || status == SF_INVALID_ARGUMENT))
            printf("%s submitted a case in another street: %s\n", principal, sf_status_name(status));
        snprintf(json, sizeof json, "{\"id\":%lld}", case_in_street_2);
        REFUSED(intake, "intake", "CaseGet", json);
        REFUSED(intake, "intake", "CaseHistory", json);
        if (HS_MUST(intake, "intake", "CaseList", "{}", &reply) == SF_OK) {
            const cJSON *cases = cJSON_GetObjectItemCaseSensitive(reply, "cases"), *c;
            cJSON_ArrayForEach(c, cases)
                if (strncmp(hs_text(c, "unit_code"), HS_STREET_1, 9) != 0)
                    SF_FAIL("%s sees case of %s", principal, hs_text(c, "unit_code"));
        }
        cJSON_Delete(reply);
        sf_client_destroy(&intake);

        /* Employment and volunteer: not for the other street's residents. */
        sf_client_t *employment = hs_client(&suite, HS_EMPLOYMENT, principal, 5000, 1);
        snprintf(json, sizeof json,
                 "{\"resident_id\":\"%s\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"seeking_work\":true}",
                 d->residents[1][3]);
        status = hs_call(employment, "employment", "PersonRegister", NULL, json, NULL, &info);
        if (!SF_CHECK(status == SF_PERMISSION_DENIED || status == SF_NOT_FOUND))
            printf("%s registered a person of another street: %s %s\n", principal, sf_status_name(status),
                   info.message);
        sf_client_destroy(&employment);
        if (who == 1) {
            sf_client_t *volunteer = hs_client(&suite, HS_VOLUNTEER, principal, 5000, 1);
            snprintf(json, sizeof json, "{\"resident_id\":\"%s\"}", d->residents[1][4]);
            status = hs_call(volunteer, "volunteer", "VolunteerRegister", NULL, json, NULL, &info);
            if (!SF_CHECK(status == SF_PERMISSION_DENIED || status == SF_NOT_FOUND))
                printf("%s registered a volunteer of another street: %s %s\n", principal, sf_status_name(status),
                       info.message);
            sf_client_destroy(&volunteer);
        }
    }
    SF_CHECK_EQ_INT(sf_test_pg_int(suite.db, "SELECT count(*) FROM grid.household WHERE address LIKE 'taken over%'"),
                    0);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM employment.person WHERE resident_id = '%s'", d->residents[1][3]);
    SF_CHECK_EQ_INT(sf_test_pg_int(suite.db, sql), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.intake_case WHERE description = 'out of scope'");
    SF_CHECK_EQ_INT(sf_test_pg_int(suite.db, sql), 0);
    printf("scope over CURVE: a department and a street saw and changed nothing of the other street\n");
}

/* --- scope and audit through the gateway -------------------------------- */

static int
http(const char *method, const char *path, const char *key, const char *body, http_reply_t *reply)
{
    char headers[512];
    snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\n", key);
    return http_request(suite.http_port, method, path, headers, body, body ? strlen(body) : 0, reply);
}

static void
expect_http(const char *method, const char *path, const char *key, const char *body, int low, int high, int line)
{
    http_reply_t reply;
    int status = http(method, path, key, body, &reply);
    if (status < low || status > high)
        SF_FAIL("line %d: %s %s: %d, expected %d..%d: %.300s", line, method, path, status, low, high,
                reply.body ? reply.body : "");
    else
        SF_CHECK(true);
    http_reply_release(&reply);
}
#define EXPECT_HTTP(method, path, key, body, low, high) expect_http(method, path, key, body, low, high, __LINE__)

/* The actor of the newest event of a service whose key is key. */
static bool
actor_of(int s, const char *type, const char *key, const char *actor)
{
    long long head = sf_test_event_head(suite.admin[s]);
    char json[128];
    snprintf(json, sizeof json, "{\"after\":%lld,\"limit\":1000}", head > 200 ? head - 200 : 0);
    cJSON *reply = NULL;
    if (HS_MUST(suite.admin[s], hs_services[s], "Sys.EventsFetch", json, &reply) != SF_OK)
        return false;
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(reply, "events"), *event;
    const char *found = NULL;
    cJSON_ArrayForEach(event, events)
        if (strcmp(hs_text(event, "type"), type) == 0 && strcmp(hs_text(event, "key"), key) == 0)
            found = hs_text(event, "actor");
    bool ok = found && strcmp(found, actor) == 0;
    if (!ok)
        SF_FAIL("%s event %s of %s: actor %s, expected %s", hs_services[s], type, key, found ? found : "(none)",
                actor);
    else
        SF_CHECK(true);
    cJSON_Delete(reply);
    return ok;
}

static void
test_gateway(void)
{
    hs_district_t *d = &suite.district;
    char dept_key[128], street_key[128], path[256], body[1024];
    if (!SF_CHECK(hs_api_key(&suite, "dept-a-api", "department", HS_STREET_1, dept_key, sizeof dept_key)
                  && hs_api_key(&suite, "street-a-api", "street", HS_STREET_1, street_key, sizeof street_key)
                  && hs_start_gateway(&suite)))
        return;
    for (int k = 0; k < 2; k++) {
        const char *key = k ? street_key : dept_key;
        snprintf(path, sizeof path, "/v1/grid/households/%s", d->households[0][0]);
        EXPECT_HTTP("GET", path, key, NULL, 200, 200);
        snprintf(path, sizeof path, "/v1/grid/households/%s", d->households[1][0]);
        EXPECT_HTTP("GET", path, key, NULL, 403, 404);
        snprintf(path, sizeof path, "/v1/grid/residents/%s", d->residents[1][0]);
        EXPECT_HTTP("GET", path, key, NULL, 403, 404);
        snprintf(path, sizeof path, "/v1/grid/households/%s", d->households[1][1]);
        EXPECT_HTTP("PATCH", path, key, "{\"address\":\"taken over through the gateway\"}", 403, 404);
        snprintf(path, sizeof path, "/v1/intake/cases/%lld", case_in_street_2);
        EXPECT_HTTP("GET", path, key, NULL, 403, 404);
        snprintf(body, sizeof body,
                 "{\"channel\":\"CASE_CHANNEL_WEBSITE\",\"item_code\":\"residence-certificate\",\"description\":"
                 "\"gateway out of scope\",\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":"
                 "\"%s\",\"name\":\"x\"}}", d->households[1][2]);
        EXPECT_HTTP("POST", "/v1/intake/cases", key, body, 400, 404);
        http_reply_t reply;
        if (SF_CHECK_EQ_INT(http("GET", "/v1/grid/households?under=370205", key, NULL, &reply), 200)) {
            const cJSON *households = cJSON_GetObjectItemCaseSensitive(reply.json, "households"), *h;
            cJSON_ArrayForEach(h, households)
                if (strncmp(hs_text(h, "code"), HS_STREET_1, 9) != 0)
                    SF_FAIL("an API key of %s sees %s", HS_STREET_1, hs_text(h, "code"));
        }
        http_reply_release(&reply);
    }
    SF_CHECK_EQ_INT(sf_test_pg_int(suite.db, "SELECT count(*) FROM grid.household WHERE address LIKE 'taken over%'"),
                    0);
    SF_CHECK_EQ_INT(sf_test_pg_int(suite.db,
                                   "SELECT count(*) FROM intake.intake_case WHERE description LIKE 'gateway out%'"), 0);

    /* The audit trail through the gateway: the API key's principal. */
    snprintf(path, sizeof path, "/v1/grid/households/%s", d->households[0][3]);
    EXPECT_HTTP("PATCH", path, street_key, "{\"address\":\"changed through the gateway\"}", 200, 200);
    actor_of(HS_GRID, "household.updated", d->households[0][3], "street-a-api");
    snprintf(body, sizeof body,
             "{\"channel\":\"CASE_CHANNEL_WEBSITE\",\"item_code\":\"residence-certificate\",\"description\":"
             "\"through the gateway\",\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":"
             "\"%s\",\"name\":\"x\",\"phone\":\"13611112222\"}}", d->households[0][4]);
    http_reply_t reply;
    if (SF_CHECK_EQ_INT(http("POST", "/v1/intake/cases", dept_key, body, &reply), 201)) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(reply.json, "id");
        char key[32];
        snprintf(key, sizeof key, "%lld", cJSON_IsNumber(id) ? (long long) id->valuedouble : -1LL);
        long long events = sf_test_pg_int(suite.db, "SELECT count(*) FROM intake.event_log WHERE actor = 'dept-a-api'");
        SF_CHECK(events >= 1);
    }
    http_reply_release(&reply);
    printf("gateway: API keys of a department and a street kept to their scope; events name them\n");
}

static void
test_audit_direct(void)
{
    hs_district_t *d = &suite.district;
    char json[512];
    sf_client_t *grid = hs_client(&suite, HS_GRID, "street-a", 5000, 1);
    snprintf(json, sizeof json, "{\"code\":\"%s\",\"address\":\"changed by street-a\"}", d->households[0][2]);
    SF_CHECK_EQ_INT(HS_MUST(grid, "grid", "HouseholdUpdate", json, NULL), SF_OK);
    actor_of(HS_GRID, "household.updated", d->households[0][2], "street-a");
    /* A key claims to be someone else in its header: still itself. */
    sf_client_set_principal(grid, "admin", "admin", "");
    snprintf(json, sizeof json, "{\"code\":\"%s\",\"address\":\"changed again by street-a\"}", d->households[0][2]);
    SF_CHECK_EQ_INT(HS_MUST(grid, "grid", "HouseholdUpdate", json, NULL), SF_OK);
    actor_of(HS_GRID, "household.updated", d->households[0][2], "street-a");
    snprintf(json, sizeof json, "{\"code\":\"%s\",\"address\":\"claimed admin\"}", d->households[1][2]);
    REFUSED(grid, "grid", "HouseholdUpdate", json);
    sf_client_destroy(&grid);
    /* Every event so far in every service names a principal. */
    const char *sql[] = { "SELECT count(*) FROM grid.event_log WHERE actor = ''",
                          "SELECT count(*) FROM intake.event_log WHERE actor = ''",
                          "SELECT count(*) FROM employment.event_log WHERE actor = ''",
                          "SELECT count(*) FROM volunteer.event_log WHERE actor = ''" };
    for (size_t i = 0; i < 4; i++)
        if (!SF_CHECK_EQ_INT(sf_test_pg_int(suite.db, sql[i]), 0))
            printf("%s\n", sql[i]);
    SF_CHECK(sf_test_pg_int(suite.db, "SELECT count(*) FROM grid.event_log WHERE actor = 'admin'") >= 20);
    printf("audit: events name the principal of the key that caused them\n");
}

/* --- personal data in logs --------------------------------------------- */

static void
test_logs(void)
{
    hs_district_t *d = &suite.district;
    char json[256];
    /* Look residents up by identity number, also ones that do not exist. */
    for (int h = 0; h < 3; h++) {
        snprintf(json, sizeof json, "{\"id_number\":\"%s\"}", d->id_numbers[0][h]);
        SF_CHECK_EQ_INT(HS_MUST(suite.admin[HS_GRID], "grid", "ResidentFind", json, NULL), SF_OK);
    }
    char unknown[19];
    hs_id_number(unknown, 977);
    snprintf(json, sizeof json, "{\"id_number\":\"%s\"}", unknown);
    hs_call(suite.admin[HS_GRID], "grid", "ResidentFind", NULL, json, NULL, NULL);
    /* A resident whose identity number is taken: refused, must not be logged. */
    snprintf(json, sizeof json, "{\"household_code\":\"%s\",\"name\":\"dup\",\"id_number\":\"%s\",\"phone\":\"%s\"}",
             d->households[0][1], d->id_numbers[0][0], "13900000000");
    hs_call(suite.admin[HS_GRID], "grid", "ResidentCreate", NULL, json, NULL, NULL);
    /* Stop everything (what is logged at shutdown counts too). */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&suite.gateway), 0);
    for (int s = HS_N - 1; s >= 0; s--)
        hs_stop(&suite, s);
    int scanned = 0;
    for (int s = -1; s < HS_N; s++) {
        for (int street = 0; street < 2; street++)
            for (int h = 0; h < HS_MAX_HOUSEHOLDS; h++) {
                if (hs_log_contains(&suite, s, d->id_numbers[street][h]))
                    SF_FAIL("%s's log holds identity number %s", s < 0 ? "gateway" : hs_services[s],
                            d->id_numbers[street][h]);
                if (hs_log_contains(&suite, s, d->phones[street][h]))
                    SF_FAIL("%s's log holds phone %s", s < 0 ? "gateway" : hs_services[s], d->phones[street][h]);
                scanned += 2;
            }
        const char *more[] = { unknown, "13900000000", "13700000001", "13611112222", "13812345678" };
        for (size_t m = 0; m < sizeof more / sizeof *more; m++) {
            if (hs_log_contains(&suite, s, more[m]))
                SF_FAIL("%s's log holds %s", s < 0 ? "gateway" : hs_services[s], more[m]);
            scanned++;
        }
    }
    SF_CHECK(scanned > 0);
    printf("logs: %d identity numbers and phones looked for in 6 daemons' logs, none found\n", scanned);
}

int
main(void)
{
    if (!hs_init(&suite, "security_access_test", true, principals) || !hs_start_all(&suite)
        || !hs_load_district(&suite))
        goto done;
    /* A case in the second street, by its admin, with the requester's phone. */
    char json[1024];
    cJSON *reply = NULL;
    snprintf(json, sizeof json,
             "{\"channel\":\"CASE_CHANNEL_HOTLINE\",\"item_code\":\"residence-certificate\",\"description\":"
             "\"a case in street 2\",\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":\"%s\","
             "\"name\":\"张秀英\",\"phone\":\"13812345678\"}}", suite.district.households[1][0]);
    if (HS_MUST(suite.admin[HS_INTAKE], "intake", "CaseSubmit", json, &reply) == SF_OK) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(reply, "id");
        case_in_street_2 = cJSON_IsNumber(id) ? (long long) id->valuedouble : 0;
    }
    cJSON_Delete(reply);

    test_admission();
    test_scope_direct();
    test_audit_direct();
    test_gateway();
    test_logs();
done:
    hs_finish(&suite);
    return sf_test_done();
}
