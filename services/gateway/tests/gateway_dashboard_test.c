/* The dashboard end to end: a real grid with a small district loaded through
 * the gateway, the gateway configured for all five services while only grid
 * runs, and tests/e2e/dashboard.test.mjs driving the page in Debian's
 * headless Chromium with playwright-core (installed with npm ci into the
 * build tree, once). The screenshots stay in the build tree:
 * <build>/services/gateway/dashboard.png and dashboard-zone.png. */
#include "http_client.h"
#include "sf_test.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int port;
static char admin_key[128];
static char dir[256];

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

static bool
post(const char *path, const char *body)
{
    char headers[256];
    snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\n", admin_key);
    http_reply_t reply;
    int status = http_request(port, "POST", path, headers, body, strlen(body), &reply);
    if (status != 201)
        SF_FAIL("POST %s: %d %.200s", path, status, reply.body ? reply.body : "");
    http_reply_release(&reply);
    return status == 201;
}

static bool
unit(const char *code, const char *kind, const char *name, const char *parent, bool located)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"code\":\"%s\",\"kind\":\"UNIT_KIND_%s\",\"name\":\"%s\",\"parent_code\":\"%s\"%s}", code, kind, name,
             parent, located ? ",\"location\":{\"lat\":36.11,\"lon\":120.38}" : "");
    return post("/v1/grid/units", body);
}

/* 2 streets x 2 communities x 2 zones x 2 building groups x 3 households. */
static int
load_district(void)
{
    bool ok = unit("370205", "DISTRICT", "四方区", "", false);
    int households = 0;
    for (int s = 1; s <= 2 && ok; s++) {
        char street[32], street_name[64];
        snprintf(street, sizeof street, "370205%03d", s);
        snprintf(street_name, sizeof street_name, "Street %d 街道", s);
        ok = unit(street, "STREET", street_name, "370205", false);
        for (int c = 1; c <= 2 && ok; c++) {
            char community[48], community_name[64];
            snprintf(community, sizeof community, "%s%03d", street, c);
            snprintf(community_name, sizeof community_name, "Community %d-%d 社区", s, c);
            ok = unit(community, "COMMUNITY", community_name, street, false);
            for (int z = 1; z <= 2 && ok; z++) {
                char zone[64], zone_name[64];
                snprintf(zone, sizeof zone, "%s%02d", community, z);
                snprintf(zone_name, sizeof zone_name, "Zone %d-%d-%d", s, c, z);
                ok = unit(zone, "ZONE", zone_name, community, true);
                for (int b = 1; b <= 2 && ok; b++) {
                    char group[80], group_name[64];
                    snprintf(group, sizeof group, "%s%d", zone, b);
                    snprintf(group_name, sizeof group_name, "Building group %d", b);
                    ok = unit(group, "BUILDING_GROUP", group_name, zone, false);
                    for (int h = 1; h <= 3 && ok; h++) {
                        char body[512];
                        snprintf(body, sizeof body,
                                 "{\"code\":\"%s%03d\",\"building_group_code\":\"%s\",\"address\":\"%d Road\"%s}", group,
                                 h, group, h, h == 1 ? ",\"flags\":[\"HOUSEHOLD_FLAG_ELDERLY_ALONE\"]" : "");
                        ok = post("/v1/grid/households", body);
                        households += ok;
                    }
                }
            }
        }
    }
    return ok ? households : -1;
}

static bool
file_exists(const char *path, long min_size)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size >= min_size;
}

/* playwright-core from tests/e2e's lock file, installed once into the build
 * tree (npm ci again only when the lock file changes). */
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
    if (rc != 0) {
        SF_FAIL("npm ci for playwright-core failed (exit %d): node and npm are needed (scripts/packages.txt)", rc);
        return false;
    }
    return true;
}

int
main(void)
{
    if (sf_test_pg_env("gateway_dashboard_test") != 0 || sf_test_tmpdir(dir, sizeof dir) != 0)
        return sf_test_done();
    signal(SIGPIPE, SIG_IGN);
    sf_test_daemon_t *grid = NULL, *gateway = NULL;
    char e2e[1024];
    if (!SF_CHECK(access("/usr/bin/chromium", X_OK) == 0) || !prepare_e2e(e2e, sizeof e2e))
        goto cleanup;

    char *grid_endpoint = sf_test_endpoint(), *grid_publish = sf_test_endpoint();
    char grid_env[128], publish_env[128], path[512], log_path[512];
    snprintf(grid_env, sizeof grid_env, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    sf_test_service_path(path, sizeof path, "grid");
    snprintf(log_path, sizeof log_path, "%s/grid.log", dir);
    const char *grid_envs[] = { grid_env, publish_env, NULL };
    grid = sf_test_daemon_start(path, grid_envs, log_path);
    if (!SF_CHECK(grid && sf_test_daemon_wait_ready(grid, 20000) == 0))
        goto cleanup;

    cJSON *made = keys_tool("create --principal ops --role admin");
    snprintf(admin_key, sizeof admin_key, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(made, "key")) ?: "");
    cJSON_Delete(made);
    made = keys_tool("create --principal district-office --role viewer --rate 200 --burst 400");
    char viewer_key[128];
    snprintf(viewer_key, sizeof viewer_key, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(made, "key")) ?: "");
    cJSON_Delete(made);
    if (!SF_CHECK(admin_key[0] && viewer_key[0]))
        goto cleanup;

    /* The other services are configured but nothing answers there. */
    port = sf_test_free_port();
    char http_env[64], intake_env[128], employment_env[128], volunteer_env[128], evaluation_env[128];
    snprintf(http_env, sizeof http_env, "SIFANG_GATEWAY_HTTP=127.0.0.1:%d", port);
    char *silent[4] = { sf_test_endpoint(), sf_test_endpoint(), sf_test_endpoint(), sf_test_endpoint() };
    snprintf(intake_env, sizeof intake_env, "SIFANG_INTAKE_ENDPOINT=%s", silent[0]);
    snprintf(employment_env, sizeof employment_env, "SIFANG_EMPLOYMENT_ENDPOINT=%s", silent[1]);
    snprintf(volunteer_env, sizeof volunteer_env, "SIFANG_VOLUNTEER_ENDPOINT=%s", silent[2]);
    snprintf(evaluation_env, sizeof evaluation_env, "SIFANG_EVALUATION_ENDPOINT=%s", silent[3]);
    sf_test_service_path(path, sizeof path, "gateway");
    snprintf(log_path, sizeof log_path, "%s/gateway.log", dir);
    const char *gateway_envs[] = { http_env, grid_env, intake_env, employment_env, volunteer_env, evaluation_env,
                                   "SIFANG_GATEWAY_TIMEOUT_MS=300", "SIFANG_GATEWAY_RETRIES=0",
                                   "SIFANG_GATEWAY_KEYS_REFRESH_MS=200", NULL };
    gateway = sf_test_daemon_start(path, gateway_envs, log_path);
    for (int i = 0; i < 4; i++)
        free(silent[i]);
    free(grid_endpoint);
    free(grid_publish);
    if (!SF_CHECK(gateway && sf_test_daemon_wait_ready(gateway, 20000) == 0))
        goto cleanup;
    int households = load_district();
    if (!SF_CHECK_EQ_INT(households, 48))
        goto cleanup;

    char screenshot[1024], user_data[512], command[4096];
    snprintf(screenshot, sizeof screenshot, "%s/services/gateway/dashboard.png", sf_test_binary_dir());
    snprintf(user_data, sizeof user_data, "%s/chromium-profile", dir);
    unlink(screenshot);
    snprintf(command, sizeof command,
             "cd '%s' && GATEWAY_URL='http://127.0.0.1:%d/' API_KEY='%s' SCREENSHOT='%s' USER_DATA_DIR='%s'"
             " EXPECT_STREETS=2 EXPECT_HOUSEHOLDS=%d EXPECT_STREET=370205001 EXPECT_COMMUNITY=370205001002"
             " EXPECT_ZONE=37020500100202 timeout 120 node dashboard.test.mjs",
             e2e, port, viewer_key, screenshot, user_data, households);
    SF_CHECK_EQ_INT(system(command), 0);
    SF_CHECK(file_exists(screenshot, 10000));
    printf("screenshot: %s\n", screenshot);
    SF_CHECK(sf_test_daemon_running(gateway));
cleanup:
    if (gateway)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&gateway), 0);
    if (grid)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);
    if (!sf_test_failures())
        sf_test_rmtree(dir);
    else
        fprintf(stderr, "logs kept in %s\n", dir);
    return sf_test_done();
}
