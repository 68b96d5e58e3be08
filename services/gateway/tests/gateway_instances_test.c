/* The gateway reaching every instance it is configured with, a department's
 * own intake (intake@civil-affairs, its own schema) beside the district's:
 * real grid, both intakes and the gateway over HTTP.
 *
 *   - /readyz names the instance and pings it;
 *   - /v1/instances/intake@civil-affairs/<a route's path> calls that
 *     instance: a case submitted there is the bureau's (its registration
 *     prefix, its schema, not the district's), read back there, and the
 *     district's route reads the district's case of that id or none;
 *   - the route's access rules hold the same way (a viewer's key refused a
 *     write at the instance as at the service; HandoffReceive's service-only
 *     route refused to a community's key);
 *   - an instance the gateway does not reach, an instance of another service
 *     and a path naming no route are 404;
 *   - a person works at one intake: an account's instance (set by the tool,
 *     by the admin route, refused when the gateway reaches no such intake)
 *     is in the session with the intakes the gateway reaches; the bureau's
 *     person calls the bureau's routes, the district's person is refused
 *     them (403) and keeps the district's. */
#include "http_client.h"
#include "intake_test_support.h"
#include "sf_json.h"
#include "sf_test.h"
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define CIVIL "intake@civil-affairs"

static intake_world_t world;
static char civil_dir[300], keys_log[300];
static char *civil_endpoint, *civil_publish;
static sf_test_daemon_t *civil, *gateway;
static int port;

static void
pause_ms(int ms)
{
    struct timespec delay = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep(&delay, NULL);
}

static bool
start_civil(void)
{
    char env_store[4][300];
    snprintf(env_store[0], sizeof env_store[0], "SIFANG_INTAKE_ENDPOINT=%s", civil_endpoint);
    snprintf(env_store[1], sizeof env_store[1], "SIFANG_INTAKE_PUBLISH=%s", civil_publish);
    snprintf(env_store[2], sizeof env_store[2], "SIFANG_GRID_ENDPOINT=%s", world.grid_endpoint);
    snprintf(env_store[3], sizeof env_store[3], "SIFANG_GRID_PUBLISH=%s", world.grid_publish);
    const char *env[] = { env_store[0], env_store[1], env_store[2], env_store[3], "SIFANG_INSTANCE=" CIVIL,
                          "SIFANG_INTAKE_SCHEMA=intake_civil", "SIFANG_INTAKE_DATABASE_URL=user=sifang_intake",
                          "SIFANG_INTAKE_REGISTRATION_PREFIX=MZ", "SIFANG_INTAKE_VOLUNTEER=false",
                          "SIFANG_INTAKE_EMPLOYMENT=false", "SIFANG_INTAKE_GRID_POLL_MS=200", NULL };
    civil = sf_test_service_start("intake", civil_dir, env, 20000);
    return civil != NULL;
}

static bool
start_gateway(void)
{
    char env_store[4][300];
    snprintf(env_store[0], sizeof env_store[0], "SIFANG_GRID_ENDPOINT=%s", world.grid_endpoint);
    snprintf(env_store[1], sizeof env_store[1], "SIFANG_INTAKE_ENDPOINT=%s", world.intake_endpoint);
    snprintf(env_store[2], sizeof env_store[2], "SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT=%s", civil_endpoint);
    snprintf(env_store[3], sizeof env_store[3], "SIFANG_GATEWAY_HTTP=%s", SF_TEST_HTTP_ANY);
    const char *env[] = { env_store[0], env_store[1], env_store[2], env_store[3],
                          "SIFANG_GATEWAY_SERVICES=grid intake " CIVIL, "SIFANG_GATEWAY_KEYS_REFRESH_MS=200",
                          "SIFANG_GATEWAY_TIMEOUT_MS=5000", NULL };
    gateway = sf_test_service_start("gateway", world.dir, env, 20000);
    if (!gateway)
        return false;
    port = sf_test_daemon_http_port(gateway);
    return port > 0;
}

/* A key made by sifang-gateway-keys: its bearer token into key. */
static bool
make_key(const char *args, char *key, size_t key_size)
{
    char command[1024];
    snprintf(command, sizeof command, "%s/services/gateway/sifang-gateway-keys create %s 2>>%s",
             sf_test_binary_dir(), args, keys_log);
    FILE *pipe = popen(command, "r");
    if (!pipe)
        return false;
    static char output[8192];
    size_t size = fread(output, 1, sizeof output - 1, pipe);
    output[size] = 0;
    int rc = pclose(pipe);
    cJSON *made = rc == 0 ? cJSON_Parse(output) : NULL;
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(made, "key");
    bool ok = cJSON_IsString(token);
    if (ok)
        snprintf(key, key_size, "%s", token->valuestring);
    cJSON_Delete(made);
    return SF_CHECK(ok);
}

static int
call(const char *method, const char *path, const char *key, const char *body, http_reply_t *reply)
{
    char headers[512] = "";
    if (key)
        snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\n", key);
    return http_request(port, method, path, headers, body, body ? strlen(body) : 0, reply);
}

static const char *
text_of(const cJSON *json, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, name);
    return cJSON_IsString(item) ? item->valuestring : "";
}

/* A key's first request waits for the gateway to have read it. */
static int
call_ready(const char *method, const char *path, const char *key, const char *body, http_reply_t *reply)
{
    int status = 0;
    for (int i = 0; i < 50; i++) {
        status = call(method, path, key, body, reply);
        if (status != 401)
            break;
        http_reply_release(reply);
        pause_ms(100);
    }
    return status;
}

/* Its database migrated and its keys read: /readyz says 200. */
static bool
wait_ready(void)
{
    for (int i = 0; i < 200; i++) {
        http_reply_t reply;
        int status = call("GET", "/readyz", NULL, NULL, &reply);
        http_reply_release(&reply);
        if (status == 200)
            return true;
        pause_ms(100);
    }
    return false;
}

static void
readyz(void)
{
    http_reply_t reply;
    SF_CHECK_EQ_INT(call("GET", "/readyz", NULL, NULL, &reply), 200);
    const cJSON *services = cJSON_GetObjectItemCaseSensitive(reply.json, "services");
    const cJSON *bureau = cJSON_GetObjectItemCaseSensitive(services, CIVIL);
    SF_CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(bureau, "reachable")));
    SF_CHECK_EQ_STR(text_of(bureau, "instance"), CIVIL);
    SF_CHECK_EQ_STR(text_of(cJSON_GetObjectItemCaseSensitive(services, "intake"), "instance"), "intake");
    http_reply_release(&reply);
}

static void
cases_at_the_instance(const char *station_key, const char *viewer_key)
{
    const char *body = "{\"channel\":\"CASE_CHANNEL_WINDOW\",\"item_code\":\"dispute-mediation\","
                       "\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":\"" T_HOUSEHOLD "\","
                       "\"name\":\"王芳\",\"phone\":\"13800000001\"},"
                       "\"description\":\"在民政局窗口登记：邻里纠纷调解\"}";
    http_reply_t reply;
    SF_CHECK_EQ_INT(call_ready("POST", "/v1/instances/" CIVIL "/intake/cases", station_key, body, &reply), 201);
    const cJSON *id_json = cJSON_GetObjectItemCaseSensitive(reply.json, "id");
    long long id = cJSON_IsNumber(id_json) ? (long long) id_json->valuedouble
                 : cJSON_IsString(id_json) ? atoll(id_json->valuestring) : 0;
    char registration[64];
    snprintf(registration, sizeof registration, "%s", text_of(reply.json, "registration_number"));
    http_reply_release(&reply);
    SF_CHECK(id > 0);
    SF_CHECK(strncmp(registration, "MZ", 2) == 0);
    char sql[512];
    /* The bureau's schema has it, as answered; the district's has no such case. */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake_civil.intake_case WHERE id = %lld"
                              " AND registration_number = '%s' AND description = '在民政局窗口登记：邻里纠纷调解'",
             id, registration);
    SF_CHECK_EQ_INT(sf_test_pg_int(world.db, sql), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(world.db, "SELECT count(*) FROM intake.intake_case"
                                             " WHERE description = '在民政局窗口登记：邻里纠纷调解'"), 0);
    /* Read back at the instance: every field the row has. */
    char path[256];
    snprintf(path, sizeof path, "/v1/instances/" CIVIL "/intake/cases/%lld", id);
    SF_CHECK_EQ_INT(call("GET", path, station_key, NULL, &reply), 200);
    SF_CHECK_EQ_STR(text_of(reply.json, "registration_number"), registration);
    SF_CHECK_EQ_STR(text_of(reply.json, "description"), "在民政局窗口登记：邻里纠纷调解");
    SF_CHECK_EQ_STR(text_of(reply.json, "unit_code"), T_ZONE);
    snprintf(sql, sizeof sql, "SELECT (unit_code = '" T_ZONE "' AND item_code = 'dispute-mediation')::int"
                              " FROM intake_civil.intake_case WHERE id = %lld", id);
    SF_CHECK_EQ_INT(sf_test_pg_int(world.db, sql), 1);
    http_reply_release(&reply);
    /* The district's route with that id: the district's case, if it has one. */
    snprintf(path, sizeof path, "/v1/intake/cases/%lld", id);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.intake_case WHERE id = %lld", id);
    long long district_has = sf_test_pg_int(world.db, sql);
    int status = call("GET", path, station_key, NULL, &reply);
    SF_CHECK_EQ_INT(status, district_has ? 200 : 404);
    if (status == 200)
        SF_CHECK(strcmp(text_of(reply.json, "registration_number"), registration) != 0);
    http_reply_release(&reply);

    /* The same access rules at the instance as at the service. */
    int at_service = call_ready("POST", "/v1/intake/cases", viewer_key, body, &reply);
    char message[512];
    snprintf(message, sizeof message, "%s", text_of(reply.json, "message"));
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(at_service, 403);
    SF_CHECK_EQ_INT(call("POST", "/v1/instances/" CIVIL "/intake/cases", viewer_key, body, &reply), at_service);
    SF_CHECK_EQ_STR(text_of(reply.json, "message"), message);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("POST", "/v1/instances/" CIVIL "/intake/handoffs", station_key, "{}", &reply), 403);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(sf_test_pg_int(world.db, "SELECT count(*) FROM intake_civil.intake_case"), 1);
}

/* An account made by sifang-gateway-accounts (its password in a file), its
 * first password change taken as done; then logged in: the session's
 * token into token, its reply into session. */
static bool
person(const char *login, const char *instance_option, char *token, size_t token_size, http_reply_t *session)
{
    char password_file[400], command[1200];
    snprintf(password_file, sizeof password_file, "%s/%s.password", world.dir, login);
    FILE *file = fopen(password_file, "w");
    if (!SF_CHECK(file != NULL))
        return false;
    fputs("Bureau-Window-2026\n", file);
    fclose(file);
    snprintf(command, sizeof command, "%s/services/gateway/sifang-gateway-accounts create --login %s --display-name"
             " 窗口 --role window_clerk --staff-id S00001 %s --password-file %s >/dev/null 2>>%s",
             sf_test_binary_dir(), login, instance_option, password_file, keys_log);
    if (!SF_CHECK_EQ_INT(system(command), 0))
        return false;
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE gateway.account SET must_change_password = false WHERE login = '%s'", login);
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
    char body[160];
    snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"Bureau-Window-2026\"}", login);
    if (!SF_CHECK_EQ_INT(http_request(port, "POST", "/v1/session", NULL, body, strlen(body), session), 200))
        return false;
    char cookie[512] = "";
    http_header(session, "Set-Cookie", cookie, sizeof cookie);
    snprintf(token, token_size, "%.*s", (int) strcspn(cookie + 11, ";"), cookie + 11);
    return SF_CHECK(strncmp(cookie, "sf_session=", 11) == 0);
}

static int
as_person(const char *token, const char *method, const char *path, http_reply_t *reply)
{
    char headers[512];
    snprintf(headers, sizeof headers, "Cookie: sf_session=%s\r\n", token);
    return http_request(port, method, path, headers, NULL, 0, reply);
}

static void
people_at_their_intake(const char *admin_key)
{
    char bureau[128] = "", district[128] = "";
    http_reply_t session, reply;
    if (person("mz.window", "--instance " CIVIL, bureau, sizeof bureau, &session)) {
        SF_CHECK_EQ_STR(text_of(session.json, "instance"), CIVIL);
        const cJSON *instances = cJSON_GetObjectItemCaseSensitive(session.json, "instances");
        SF_CHECK_EQ_INT(cJSON_GetArraySize(instances), 2);
        SF_CHECK_EQ_STR(cJSON_GetArrayItem(instances, 0)->valuestring, "intake");
        SF_CHECK_EQ_STR(cJSON_GetArrayItem(instances, 1)->valuestring, CIVIL);
    }
    http_reply_release(&session);
    if (person("district.window", "", district, sizeof district, &session))
        SF_CHECK_EQ_STR(text_of(session.json, "instance"), "");
    http_reply_release(&session);
    SF_CHECK_EQ_INT(sf_test_pg_int(world.db, "SELECT count(*) FROM gateway.account WHERE (login, instance) IN"
                                             " (('mz.window', '" CIVIL "'), ('district.window', ''))"), 2);
    /* The bureau's person at the bureau's intake, and at the district's. */
    SF_CHECK_EQ_INT(as_person(bureau, "GET", "/v1/instances/" CIVIL "/intake/items", &reply), 200);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(as_person(bureau, "GET", "/v1/intake/items", &reply), 200);
    http_reply_release(&reply);
    /* The district's person: not at the bureau's (whatever the route). */
    SF_CHECK_EQ_INT(as_person(district, "GET", "/v1/instances/" CIVIL "/intake/items", &reply), 403);
    SF_CHECK_EQ_STR(text_of(cJSON_GetObjectItemCaseSensitive(reply.json, "error"), "message"),
                    "this account works at the district's intake, not " CIVIL "; an administrator sets the intake"
                    " an account works at");
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(as_person(district, "GET", "/v1/instances/" CIVIL "/intake/cases/1", &reply), 403);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(as_person(district, "GET", "/v1/intake/items", &reply), 200);
    http_reply_release(&reply);

    /* The admin route: an intake the gateway does not reach is refused, the
     * bureau's is kept; moved back to the district's, the person is refused
     * the bureau's at their next request. */
    const char *make = "{\"login\":\"mz.other\",\"display_name\":\"窗口\",\"staff_id\":\"S00001\","
                       "\"roles\":[\"window_clerk\"],\"instance\":\"intake@housing\"}";
    SF_CHECK_EQ_INT(call("POST", "/v1/admin/accounts", admin_key, make, &reply), 400);
    SF_CHECK(http_has_violation(&reply, "instance"));
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("PATCH", "/v1/admin/accounts/mz.window", admin_key, "{\"instance\":\"Intake@X\"}", &reply),
                    400);
    SF_CHECK(http_has_violation(&reply, "instance"));
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("PATCH", "/v1/admin/accounts/mz.window", admin_key, "{\"instance\":\"\"}", &reply), 200);
    SF_CHECK_EQ_STR(text_of(reply.json, "instance"), "");
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(as_person(bureau, "GET", "/v1/instances/" CIVIL "/intake/items", &reply), 403);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("PATCH", "/v1/admin/accounts/mz.window", admin_key, "{\"instance\":\"" CIVIL "\"}", &reply),
                    200);
    SF_CHECK_EQ_STR(text_of(reply.json, "instance"), CIVIL);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(sf_test_pg_int(world.db, "SELECT count(*) FROM gateway.account WHERE login = 'mz.window'"
                                             " AND instance = '" CIVIL "'"), 1);
    SF_CHECK_EQ_INT(as_person(bureau, "GET", "/v1/instances/" CIVIL "/intake/items", &reply), 200);
    http_reply_release(&reply);
}

static void
not_found(const char *station_key)
{
    const char *paths[] = {
        "/v1/instances/intake@housing/intake/cases/1",      /* an instance not reached */
        "/v1/instances/" CIVIL "/grid/units/370205",        /* of another service */
        "/v1/instances/" CIVIL,                             /* no route after it */
        "/v1/instances/" CIVIL "/intake/no-such-thing",
        "/v1/instances//intake/cases/1",
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        http_reply_t reply;
        if (!SF_CHECK_EQ_INT(call("GET", paths[i], station_key, NULL, &reply), 404))
            fprintf(stderr, "  path %s\n", paths[i]);
        http_reply_release(&reply);
    }
}

int
main(void)
{
    if (!intake_world_start(&world, "gateway_instances", NULL))
        return sf_test_done();
    snprintf(civil_dir, sizeof civil_dir, "%s/civil", world.dir);
    snprintf(keys_log, sizeof keys_log, "%s/keys.log", world.dir);
    SF_CHECK(mkdir(civil_dir, 0700) == 0);
    civil_endpoint = sf_test_ipc_endpoint(world.dir, "civil.router");
    civil_publish = sf_test_ipc_endpoint(world.dir, "civil.pub");
    SF_CHECK(sf_test_pg_exec(world.db, "CREATE SCHEMA intake_civil AUTHORIZATION sifang_intake") == 0);
    char station_key[160], viewer_key[160], admin_key[160];
    if (SF_CHECK(start_civil()) && SF_CHECK(start_gateway())
        && SF_CHECK(wait_ready())
        && make_key("--principal S00001 --role community --scope " T_COMMUNITY " --name station", station_key,
                    sizeof station_key)
        && make_key("--principal mz-viewer --role viewer --name viewer", viewer_key, sizeof viewer_key)
        && make_key("--principal accounts-admin --role admin --name admin", admin_key, sizeof admin_key)) {
        /* The bureau's copy of grid holds the zone before it registers. */
        for (int i = 0; i < 200 && sf_test_pg_int(world.db, "SELECT count(*) FROM intake_civil.ref_household"
                                                             " WHERE code = '" T_HOUSEHOLD "'") != 1; i++)
            pause_ms(100);
        readyz();
        cases_at_the_instance(station_key, viewer_key);
        not_found(station_key);
        people_at_their_intake(admin_key);
    }
    if (gateway)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&gateway), 0);
    if (civil)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&civil), 0);
    intake_world_stop(&world);
    free(civil_endpoint);
    free(civil_publish);
    return sf_test_done();
}
