/* The dashboard end to end, over the whole suite: real grid, intake,
 * employment, volunteer and evaluation daemons and the gateway on the test
 * cluster; a small district with cases (one overdue), a placement,
 * volunteers with approved hours and an evaluation scheme, loaded through
 * the services' own methods; then services/gateway/tests/e2e/
 * dashboard.test.mjs drives the page in Debian's headless Chromium with
 * playwright-core (npm ci into the build tree, once) and checks every panel
 * against those figures, the drill-down and the key form. Last, employment
 * and evaluation are stopped and the page must say their panels are not
 * available while the rest still works. Screenshots stay in the build tree:
 * <build>/tests/dashboard/dashboard.png, -zone.png and -degraded.png. */
#include "hard_suite.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static hs_suite_t suite;
static char today[16], half_year[16];

/* playwright-core from the e2e directory's lock file, installed once into
 * the build tree (npm ci again only when the lock file changes). */
static bool
prepare_e2e(char *e2e, size_t size)
{
    snprintf(e2e, size, "%s/services/gateway/e2e", sf_test_binary_dir());
    char command[4096];
    snprintf(command, sizeof command,
             "set -e; mkdir -p '%s'; src='%s/services/gateway/tests/e2e'; cd '%s';"
             " cp \"$src/package.json\" \"$src/dashboard.test.mjs\" .;"
             " if ! cmp -s \"$src/package-lock.json\" package-lock.json || [ ! -f node_modules/playwright-core/package.json ];"
             " then cp \"$src/package-lock.json\" .; npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1"
             " || { cat npm.log >&2; exit 1; }; fi",
             e2e, sf_test_source_dir(), e2e);
    int rc = system(command);
    if (rc != 0)
        return SF_FAIL("npm ci for playwright-core failed (exit %d): node and npm are needed (scripts/packages.txt)", rc);
    return true;
}

/* A case from a household, submitted by a station; its id. */
static long long
submit_case(sf_client_t *station, const char *household, const char *item)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"channel\":\"CASE_CHANNEL_WINDOW\",\"item_code\":\"%s\",\"description\":\"办理\","
             "\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":\"%s\",\"name\":\"住户\"}}",
             item, household);
    cJSON *reply = NULL;
    long long id = 0;
    if (HS_MUST(station, "intake", "CaseSubmit", json, &reply) == SF_OK)
        id = (long long) cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(reply, "id"));
    cJSON_Delete(reply);
    return id;
}

static bool
resolve_and_close(sf_client_t *station, long long id, int satisfaction)
{
    char json[256];
    snprintf(json, sizeof json, "{\"ref\":{\"id\":%lld},\"resolution\":\"已办结\"}", id);
    bool ok = HS_MUST(station, "intake", "CaseResolve", json, NULL) == SF_OK;
    snprintf(json, sizeof json, "{\"ref\":{\"id\":%lld},\"satisfaction\":%d}", id, satisfaction);
    return ok && HS_MUST(station, "intake", "CaseClose", json, NULL) == SF_OK;
}

/* Street 1: three cases by its station, one closed (open 2). Street 2: one
 * registered ten days ago (overdue after the sweep) and one closed (open
 * 1). Closed at once, so on time: the on-time rate is 100. */
static bool
load_cases(void)
{
    hs_district_t *d = &suite.district;
    sf_client_t *station1 = hs_client(&suite, HS_INTAKE, "station1", 5000, 1);
    sf_client_t *station2 = hs_client(&suite, HS_INTAKE, "station2", 5000, 1);
    long long a = submit_case(station1, d->households[0][0], "pension-certification");
    long long b = submit_case(station1, d->households[0][1], "residence-certificate");
    long long c = submit_case(station1, d->households[0][2], "pension-certification");
    long long e = submit_case(station2, d->households[1][0], "residence-certificate");
    bool ok = SF_CHECK(a && b && c && e) && resolve_and_close(station1, a, 5) && resolve_and_close(station2, e, 4);

    char json[512];
    snprintf(json, sizeof json,
             "{\"channel\":\"CASE_CHANNEL_HOTLINE\",\"item_code\":\"pension-certification\",\"description\":\"补录\","
             "\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":\"%s\",\"name\":\"住户\"},"
             "\"imported\":{\"at_unix_ms\":%lld,\"actor_id\":\"%s\"}}",
             d->households[1][1], (long long) time(NULL) * 1000 - 10LL * 86400 * 1000, d->staff[1]);
    ok = ok && HS_MUST(suite.admin[HS_INTAKE], "intake", "CaseSubmit", json, NULL) == SF_OK;
    cJSON *swept = NULL;
    ok = ok && HS_MUST(suite.admin[HS_INTAKE], "intake", "CaseSweep", "{}", &swept) == SF_OK;
    ok = ok && SF_CHECK_EQ_INT((int) cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(swept, "overdue")), 1);
    cJSON_Delete(swept);
    sf_client_destroy(&station1);
    sf_client_destroy(&station2);
    return ok;
}

/* Two job seekers of street 2 (of working age), one placed today. */
static bool
load_employment(void)
{
    hs_district_t *d = &suite.district;
    sf_client_t *admin = suite.admin[HS_EMPLOYMENT];
    char json[512];
    bool ok = true;
    for (int h = 3; h <= 4 && ok; h++) {
        snprintf(json, sizeof json, "{\"resident_id\":\"%s\",\"status\":\"LABOR_STATUS_UNEMPLOYED\",\"seeking_work\":true}",
                 d->residents[1][h]);
        ok = HS_MUST(admin, "employment", "PersonRegister", json, NULL) == SF_OK;
    }
    snprintf(json, sizeof json,
             "{\"resident_id\":\"%s\",\"kind\":\"PLACEMENT_KIND_FLEXIBLE\",\"source\":\"PLACEMENT_SOURCE_SERVICE_CENTRE\","
             "\"full_time\":true,\"start_date\":\"%s\",\"employer_name\":\"社区便民服务站\"}",
             d->residents[1][3], today);
    return ok && HS_MUST(admin, "employment", "PlacementRegister", json, NULL) == SF_OK;
}

/* Two volunteers in street 1, one in street 2; 3.5 hours approved, 1
 * pending (pending hours do not count). */
static bool
load_volunteers(void)
{
    hs_district_t *d = &suite.district;
    sf_client_t *admin = suite.admin[HS_VOLUNTEER];
    const char *residents[3] = { d->residents[0][5], d->residents[0][6], d->residents[1][5] };
    char ids[3][16], json[512];
    bool ok = true;
    for (int i = 0; i < 3 && ok; i++) {
        snprintf(json, sizeof json, "{\"resident_id\":\"%s\",\"skills\":[{\"skill\":\"meals\",\"level\":4}]}",
                 residents[i]);
        cJSON *reply = NULL;
        ok = HS_MUST(admin, "volunteer", "VolunteerRegister", json, &reply) == SF_OK;
        snprintf(ids[i], sizeof ids[i], "%s", hs_text(reply, "id"));
        cJSON_Delete(reply);
    }
    char records[2][16];
    const double hours[2] = { 3.5, 1 };
    for (int i = 0; i < 2 && ok; i++) {
        snprintf(json, sizeof json, "{\"volunteer_id\":\"%s\",\"activity\":\"送餐\",\"served_on\":\"%s\",\"hours\":%g}",
                 ids[i], today, hours[i]);
        cJSON *reply = NULL;
        ok = HS_MUST(admin, "volunteer", "ServiceRecordSubmit", json, &reply) == SF_OK;
        snprintf(records[i], sizeof records[i], "%s", hs_text(reply, "id"));
        cJSON_Delete(reply);
    }
    snprintf(json, sizeof json, "{\"ids\":[\"%s\"],\"decision\":\"REVIEW_DECISION_APPROVE\"}", records[0]);
    return ok && HS_MUST(admin, "volunteer", "ServiceRecordReview", json, NULL) == SF_OK;
}

static bool
define_scheme(void)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"period\":\"%s\",\"name\":\"半年考核\",\"commend_at\":70,\"attention_at\":40,\"items\":["
             "{\"kpi_code\":\"on_time_rate\",\"weight\":3,\"target\":98,\"threshold\":60},"
             "{\"kpi_code\":\"return_visit_satisfaction\",\"weight\":2,\"target\":90,\"threshold\":60},"
             "{\"kpi_code\":\"cases_received\",\"weight\":1,\"target\":10,\"threshold\":0}]}",
             half_year);
    return HS_MUST(suite.admin[HS_EVALUATION], "evaluation", "SchemeDefine", json, NULL) == SF_OK;
}

/* Evaluation has applied everything each source has logged. */
static bool
evaluation_caught_up(void)
{
    bool ok = true;
    for (int s = HS_GRID; s < HS_EVALUATION; s++)
        ok = SF_CHECK(sf_test_wait_caught_up(suite.admin[HS_EVALUATION], hs_services[s],
                                             sf_test_event_head(suite.admin[s]), 30000)) && ok;
    return ok;
}

static bool
run_page(const char *e2e, const char *mode, const char *screenshot, const char *key, const char *down)
{
    char user_data[512], command[4096];
    snprintf(user_data, sizeof user_data, "%s/chromium-%s", suite.dir, mode);
    unlink(screenshot);
    snprintf(command, sizeof command,
             "cd '%s' && GATEWAY_URL='http://127.0.0.1:%d/' API_KEY='%s' SCREENSHOT='%s' USER_DATA_DIR='%s'"
             " MODE=%s EXPECT_DOWN='%s' EXPECT_STREETS=2 EXPECT_HOUSEHOLDS=%d"
             " EXPECT_STREET=%s EXPECT_COMMUNITY=%s EXPECT_ZONE=%s EXPECT_STREET_OPEN=2 EXPECT_STREET_VOLUNTEERS=2"
             " EXPECT_OPEN=3 EXPECT_OVERDUE=1 EXPECT_PLACED=1 EXPECT_VOLUNTEERS=3 EXPECT_HOURS=3.5"
             " EXPECT_PERIOD=%s EXPECT_ON_TIME=100 timeout 150 node dashboard.test.mjs",
             e2e, suite.http_port, key, screenshot, user_data, mode, down, 2 * HS_MAX_HOUSEHOLDS, HS_STREET_1,
             HS_COMMUNITY_1, HS_ZONE_1, half_year);
    bool ok = SF_CHECK_EQ_INT(system(command), 0);
    struct stat st;
    return SF_CHECK(stat(screenshot, &st) == 0 && st.st_size > 10000) && ok;
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    time_t now = time(NULL);
    struct tm local;
    now += 8 * 3600;   /* the district's calendar (UTC+8) */
    gmtime_r(&now, &local);
    strftime(today, sizeof today, "%Y-%m-%d", &local);
    snprintf(half_year, sizeof half_year, "%d-H%d", local.tm_year + 1900, local.tm_mon < 6 ? 1 : 2);

    const char *principals[] = { "station1 community " HS_COMMUNITY_1, "station2 community " HS_COMMUNITY_2, NULL };
    char e2e[1024];
    if (!SF_CHECK(access("/usr/bin/chromium", X_OK) == 0) || !prepare_e2e(e2e, sizeof e2e)
        || !hs_init(&suite, "dashboard_e2e", false, principals))
        goto done;
    /* Registered ten days back and judged at once by the sweep. */
    suite.daemons[HS_INTAKE].extra[0] = "SIFANG_INTAKE_IMPORT_GRACE_S=0";
    /* A stopped service's panel should say so quickly. */
    suite.gateway_extra[0] = "SIFANG_GATEWAY_TIMEOUT_MS=500";
    suite.gateway_extra[1] = "SIFANG_GATEWAY_RETRIES=0";
    char viewer_key[128];
    if (!hs_start_all(&suite) || !hs_start_gateway(&suite) || !hs_load_district(&suite)
        || !hs_api_key(&suite, "district-office", "viewer", "", viewer_key, sizeof viewer_key))
        goto done;
    if (!load_cases() || !load_employment() || !load_volunteers() || !define_scheme() || !evaluation_caught_up())
        goto done;

    char screenshot[1024];
    snprintf(screenshot, sizeof screenshot, "%s/tests/dashboard/dashboard.png", sf_test_binary_dir());
    if (!run_page(e2e, "full", screenshot, viewer_key, ""))
        goto done;
    printf("screenshots: %s and -zone.png\n", screenshot);

    /* Two services down: their panels say so, the rest still works. */
    if (!hs_stop(&suite, HS_EMPLOYMENT) || !hs_stop(&suite, HS_EVALUATION))
        goto done;
    snprintf(screenshot, sizeof screenshot, "%s/tests/dashboard/dashboard-degraded.png", sf_test_binary_dir());
    run_page(e2e, "degraded", screenshot, viewer_key, "employment evaluation");
    SF_CHECK(sf_test_daemon_running(suite.gateway));
done:
    hs_finish(&suite);
    return sf_test_done();
}
