/* Open311 GeoReport v2 through the gateway on a real intake (following a
 * real grid) and PostgreSQL: reads without a key while anonymous access is
 * off, a submission refused 403 without one, a submission by household
 * read back through intake's REST route; then open311_conformance.py, a
 * client that is not ours, drives every endpoint in both formats and
 * checks each field and error against the spec, and the database shows
 * its refusals wrote nothing (three submissions, two of them of a place,
 * not a household). */
#include "http_client.h"
#include "sf_test.h"
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int port;
static char admin_key[128];
static char dir[256];

static void
pause_ms(int ms)
{
    struct timespec pause = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

static cJSON *
keys_tool(const char *args)
{
    char command[1024];
    snprintf(command, sizeof command, "%s/services/gateway/sifang-gateway-keys %s 2>>%s/keys.log",
             sf_test_binary_dir(), args, dir);
    FILE *pipe = popen(command, "r");
    if (!pipe)
        return NULL;
    static char output[65536];
    size_t size = fread(output, 1, sizeof output - 1, pipe);
    output[size] = 0;
    if (pclose(pipe) != 0)
        return NULL;
    return cJSON_Parse(output);
}

static int
call(const char *method, const char *path, const char *key, const char *content_type, const char *body,
     http_reply_t *reply)
{
    char headers[512] = "";
    size_t used = 0;
    if (key)
        used += (size_t) snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\n", key);
    if (content_type)
        snprintf(headers + used, sizeof headers - used, "Content-Type: %s\r\n", content_type);
    return http_request(port, method, path, headers, body, body ? strlen(body) : 0, reply);
}

static bool
rest(const char *method, const char *path, const char *body, int expect)
{
    http_reply_t reply;
    int status = call(method, path, admin_key, NULL, body, &reply);
    if (status != expect)
        SF_FAIL("%s %s: expected %d, got %d: %.300s", method, path, expect, status, reply.body ? reply.body : "");
    http_reply_release(&reply);
    return status == expect;
}

/* An Open311 error list whose first entry has code and mentions text. */
static void
open311_error(const http_reply_t *reply, int code, const char *text, int line)
{
    cJSON *first = cJSON_GetArrayItem(reply->json, 0);
    cJSON *number = cJSON_GetObjectItemCaseSensitive(first, "code");
    cJSON *description = cJSON_GetObjectItemCaseSensitive(first, "description");
    if (!cJSON_IsArray(reply->json) || !cJSON_IsNumber(number) || number->valueint != code
        || !cJSON_IsString(description) || (text && !strstr(description->valuestring, text)))
        SF_FAIL("line %d: not an Open311 error %d about %s: %.300s", line, code, text ? text : "-",
                reply->body ? reply->body : "");
    else
        SF_CHECK(true);
}
#define OPEN311_ERROR(reply, code, text) open311_error(reply, code, text, __LINE__)

static bool
list_has(const cJSON *list, const char *field, const char *value)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
        const cJSON *found = cJSON_GetObjectItemCaseSensitive(item, field);
        if (cJSON_IsString(found) && strcmp(found->valuestring, value) == 0)
            return true;
    }
    return false;
}

int
main(void)
{
    if (sf_test_pg_env("gateway_open311_test") != 0 || sf_test_tmpdir(dir, sizeof dir) != 0)
        return sf_test_done();
    signal(SIGPIPE, SIG_IGN);
    sf_test_daemon_t *grid = NULL, *intake = NULL, *gateway = NULL;
    char *endpoints[4] = { sf_test_ipc_endpoint(dir, "grid.router"), sf_test_ipc_endpoint(dir, "grid.pub"),
                           sf_test_ipc_endpoint(dir, "intake.router"), sf_test_ipc_endpoint(dir, "intake.pub") };
    if (!SF_CHECK(endpoints[0] && endpoints[1] && endpoints[2] && endpoints[3]))
        goto cleanup;
    char grid_env[128], grid_publish_env[128], intake_env[128], intake_publish_env[128], http_env[64];
    snprintf(grid_env, sizeof grid_env, "SIFANG_GRID_ENDPOINT=%s", endpoints[0]);
    snprintf(grid_publish_env, sizeof grid_publish_env, "SIFANG_GRID_PUBLISH=%s", endpoints[1]);
    snprintf(intake_env, sizeof intake_env, "SIFANG_INTAKE_ENDPOINT=%s", endpoints[2]);
    snprintf(intake_publish_env, sizeof intake_publish_env, "SIFANG_INTAKE_PUBLISH=%s", endpoints[3]);
    snprintf(http_env, sizeof http_env, "SIFANG_GATEWAY_HTTP=%s", SF_TEST_HTTP_ANY);
    char path[512], log_path[512];

    const char *grid_envs[] = { grid_env, grid_publish_env, NULL };
    sf_test_service_path(path, sizeof path, "grid");
    snprintf(log_path, sizeof log_path, "%s/grid.log", dir);
    grid = sf_test_daemon_start(path, grid_envs, log_path);
    const char *intake_envs[] = { grid_env, grid_publish_env, intake_env, intake_publish_env,
                                  "SIFANG_INTAKE_VOLUNTEER=false", "SIFANG_INTAKE_GRID_POLL_MS=200", NULL };
    sf_test_service_path(path, sizeof path, "intake");
    snprintf(log_path, sizeof log_path, "%s/intake.log", dir);
    intake = sf_test_daemon_start(path, intake_envs, log_path);
    if (!SF_CHECK(grid && intake && sf_test_daemon_wait_ready(grid, 20000) == 0
                  && sf_test_daemon_wait_ready(intake, 20000) == 0))
        goto cleanup;
    cJSON *made = keys_tool("create --principal ops --role admin");
    snprintf(admin_key, sizeof admin_key, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(made, "key")) ?: "");
    cJSON_Delete(made);
    made = keys_tool("create --principal open311-app --role community --scope 370205001001");
    char app_key[128];
    snprintf(app_key, sizeof app_key, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(made, "key")) ?: "");
    cJSON_Delete(made);
    /* An outside app's key: it passes residents' requests on to the stations. */
    made = keys_tool("create --principal city-app --role service --scope 370205");
    char city_key[128];
    snprintf(city_key, sizeof city_key, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(made, "key")) ?: "");
    cJSON_Delete(made);
    /* One whose rate limit a few reads use up. */
    made = keys_tool("create --principal slow-app --role service --rate 1 --burst 2");
    char slow_key[128];
    snprintf(slow_key, sizeof slow_key, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(made, "key")) ?: "");
    cJSON_Delete(made);
    const char *gateway_envs[] = { http_env, grid_env, intake_env, "SIFANG_GATEWAY_SERVICES=grid intake",
                                   "SIFANG_GATEWAY_JURISDICTION=sifang.qingdao",
                                   /* The conformance test reads a few hundred times without a key. */
                                   "SIFANG_GATEWAY_ANONYMOUS_RATE=2000", "SIFANG_GATEWAY_ANONYMOUS_BURST=2000", NULL };
    sf_test_service_path(path, sizeof path, "gateway");
    snprintf(log_path, sizeof log_path, "%s/gateway.log", dir);
    gateway = sf_test_daemon_start(path, gateway_envs, log_path);
    if (!SF_CHECK(admin_key[0] && app_key[0] && city_key[0] && slow_key[0] && gateway && sf_test_daemon_wait_ready(gateway, 20000) == 0))
        goto cleanup;
    port = sf_test_daemon_http_port(gateway);   /* what port 0 got */
    if (!SF_CHECK(port > 0))
        goto cleanup;

    /* The district, a household, and the catalogue, through the REST routes. */
    bool loaded =
        rest("POST", "/v1/grid/units", "{\"code\":\"370205\",\"kind\":\"UNIT_KIND_DISTRICT\",\"name\":\"四方区\"}", 201)
        && rest("POST", "/v1/grid/units", "{\"code\":\"370205001\",\"kind\":\"UNIT_KIND_STREET\",\"name\":\"S1\","
                "\"parent_code\":\"370205\"}", 201)
        && rest("POST", "/v1/grid/units", "{\"code\":\"370205001001\",\"kind\":\"UNIT_KIND_COMMUNITY\",\"name\":\"C1\","
                "\"parent_code\":\"370205001\"}", 201)
        && rest("POST", "/v1/grid/units", "{\"code\":\"37020500100101\",\"kind\":\"UNIT_KIND_ZONE\",\"name\":\"Z1\","
                "\"parent_code\":\"370205001001\",\"location\":{\"lat\":36.1,\"lon\":120.4}}", 201)
        && rest("POST", "/v1/grid/units", "{\"code\":\"370205001001011\",\"kind\":\"UNIT_KIND_BUILDING_GROUP\","
                "\"name\":\"兴隆路12号楼组\",\"parent_code\":\"37020500100101\"}", 201)
        && rest("POST", "/v1/grid/households", "{\"code\":\"370205001001011001\",\"building_group_code\":"
                "\"370205001001011\",\"address\":\"1 Road\"}", 201)
        && rest("POST", "/v1/grid/departments", "{\"code\":\"civil-affairs\",\"name\":\"民政局\"}", 201);
    if (!SF_CHECK(loaded))
        goto cleanup;
    /* Intake learns the department from grid's events within moments. */
    http_reply_t reply;
    int status = 0;
    for (int i = 0; i < 50 && status != 200; i++) {
        status = call("PUT", "/v1/intake/items/home-repair", admin_key, NULL,
                      "{\"name\":\"Home repair\",\"category\":\"SERVICE_CATEGORY_CONVENIENCE\","
                      "\"department_code\":\"civil-affairs\",\"routing\":\"CASE_ROUTING_ZONE\",\"time_limit\":3,"
                      "\"time_limit_unit\":\"TIME_LIMIT_UNIT_WORKING_DAYS\",\"active\":true,"
                      "\"description\":\"Small repairs at home\","
                      "\"required_materials\":[\"the household register\",\"a photo of the leak\"]}",
                      &reply);
        if (status != 200 && i == 49)
            SF_FAIL("ItemPut: %d %.300s", status, reply.body ? reply.body : "");
        http_reply_release(&reply);
        if (status != 200)
            pause_ms(200);
    }
    if (!SF_CHECK_EQ_INT(status, 200))
        goto cleanup;

    /* A service without questions, for the comma filters. */
    SF_CHECK(rest("PUT", "/v1/intake/items/street-lighting",
                  "{\"name\":\"Street lighting\",\"category\":\"SERVICE_CATEGORY_CONVENIENCE\","
                  "\"department_code\":\"civil-affairs\",\"routing\":\"CASE_ROUTING_ZONE\",\"time_limit\":2,"
                  "\"time_limit_unit\":\"TIME_LIMIT_UNIT_WORKING_DAYS\",\"active\":true,"
                  "\"description\":\"A lamp out in a stairwell or lane\"}", 200));

    /* Reads need no key, even with anonymous access off (as here). */
    SF_CHECK_EQ_INT(call("GET", "/open311/v2/services.json", NULL, NULL, NULL, &reply), 200);
    SF_CHECK(list_has(reply.json, "service_code", "home-repair"));
    http_reply_release(&reply);
    /* A submission needs a key: 403 and the spec's list, no 401. */
    SF_CHECK_EQ_INT(call("POST", "/open311/v2/requests.json", NULL, "application/x-www-form-urlencoded",
                         "service_code=home-repair&lat=36.1&long=120.4", &reply), 403);
    OPEN311_ERROR(&reply, 403, "api_key");
    http_reply_release(&reply);

    /* Intake learns the household from grid's events within moments: the
     * first submission by it is retried until it is known. */
    char form[512], id[32] = "";
    snprintf(form, sizeof form, "api_key=%s&jurisdiction_id=sifang.qingdao&service_code=home-repair"
             "&address_id=370205001001011001&description=The+kitchen+tap+leaks&first_name=Wei&last_name=Wang", app_key);
    status = 0;
    for (int i = 0; i < 50 && status != 201; i++) {
        status = call("POST", "/open311/v2/requests.json", NULL, "application/x-www-form-urlencoded", form, &reply);
        if (status == 201)
            snprintf(id, sizeof id, "%s",
                     cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(reply.json, 0), "service_request_id"))
                         ?: "");
        else if (i == 49)
            SF_FAIL("submission: %d %.300s", status, reply.body ? reply.body : "");
        http_reply_release(&reply);
        if (status != 201)
            pause_ms(200);
    }
    if (!SF_CHECK(status == 201 && id[0]))
        goto cleanup;
    /* The same case through intake's REST route. */
    char url[256];
    snprintf(url, sizeof url, "/v1/intake/cases/%s", id);
    SF_CHECK_EQ_INT(call("GET", url, admin_key, NULL, NULL, &reply), 200);
    SF_CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(reply.json, "item_code")), "home-repair");
    SF_CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(reply.json, "channel")), "CASE_CHANNEL_WEBSITE");
    http_reply_release(&reply);

    /* Everything else as an Open311 client that is not ours sees it; the
     * refusals in it write nothing. */
    long long cases_before = -1;
    PGconn *db = sf_test_pg_connect();
    if (db)
        cases_before = sf_test_pg_int(db, "SELECT count(*) FROM intake.intake_case");
    char command[4096];
    snprintf(command, sizeof command,
             "OPEN311_BASE=http://127.0.0.1:%d OPEN311_KEY=%s OPEN311_STAFF_KEY=%s OPEN311_SLOW_KEY=%s "
             "OPEN311_JURISDICTION=sifang.qingdao OPEN311_ZONE=37020500100101 OPEN311_ZONE_LAT=36.1 "
             "OPEN311_ZONE_LON=120.4 OPEN311_ZONE_ADDRESS='Z1, C1, S1' OPEN311_COMMUNITY_NAME=C1 "
             "OPEN311_BUILDING='兴隆路12号' OPEN311_HOUSEHOLD=370205001001011001 OPEN311_SERVICE=home-repair "
             "OPEN311_MATERIALS='[\"the household register\",\"a photo of the leak\"]' "
             "OPEN311_OTHER_SERVICE=street-lighting /usr/bin/python3 %s/services/gateway/tests/open311_conformance.py",
             port, city_key, app_key, slow_key, sf_test_source_dir());
    int rc = system(command);
    SF_CHECK_EQ_INT(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0);
    if (db) {
        /* The conformance test's three submissions, no more. */
        SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM intake.intake_case"), cases_before + 3);
        SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM intake.intake_case WHERE household_code IS NULL"
                                           " OR household_code = ''"), 2);
        PQfinish(db);
    }
    SF_CHECK(sf_test_daemon_running(gateway));
cleanup:
    if (gateway)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&gateway), 0);
    if (intake)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&intake), 0);
    if (grid)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);
    for (int i = 0; i < 4; i++)
        free(endpoints[i]);
    if (!sf_test_failures())
        sf_test_rmtree(dir);
    else
        fprintf(stderr, "logs kept in %s\n", dir);
    return sf_test_done();
}
