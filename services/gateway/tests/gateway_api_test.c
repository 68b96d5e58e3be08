/* The gateway over real HTTP (loopback) in front of a real grid, with CURVE
 * on the link between them, and a real PostgreSQL: REST routes, API keys
 * (made by sifang-gateway-keys and by the admin routes, revoked both ways),
 * a department's scope enforced end to end by grid for the principal the
 * gateway names, rate limits with 429 and Retry-After, every kind of bad
 * input refused with a JSON error and nothing reaching grid, idempotent
 * retries, /healthz, /readyz and /metrics, grid going away and coming back,
 * and SIGTERM finishing a request in flight before exit 0. */
#include "http_client.h"
#include "sf_client.h"
#include "sf_curve.h"
#include "sf_test.h"
#include "sf_text.h"
#include "sifang/v1/sys.pb-c.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char dir[256];
static int port;
static char grid_endpoint[128], grid_publish[128], relay_endpoint[64];
static char admin_key[128];
static sf_client_t *tester;        /* straight to grid, as admin: counts what reached it */
static PGconn *db;
static sf_test_daemon_t *grid;
static sf_test_daemon_t *gateway;

static void
pause_ms(int ms)
{
    struct timespec pause = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

/* --- HTTP --------------------------------------------------------------------- */

static int
call(const char *method, const char *path, const char *key, const char *body, http_reply_t *reply)
{
    char headers[512] = "";
    if (key)
        snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\n", key);
    return http_request(port, method, path, headers, body, body ? strlen(body) : 0, reply);
}

/* A request that must answer expect; the reply is released. */
static bool
expect_status(const char *method, const char *path, const char *key, const char *body, int expect, int line)
{
    http_reply_t reply;
    int status = call(method, path, key, body, &reply);
    bool ok = status == expect;
    if (!ok)
        SF_FAIL("line %d: %s %s: expected %d, got %d: %.300s", line, method, path, expect, status,
                reply.body ? reply.body : "");
    else
        SF_CHECK(true);
    http_reply_release(&reply);
    return ok;
}
#define EXPECT(method, path, key, body, status) expect_status(method, path, key, body, status, __LINE__)

static const char *
json_text(const cJSON *json, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, name);
    return cJSON_IsString(item) ? item->valuestring : "";
}

/* --- a counting relay between the gateway (TCP) and grid (its ipc socket) -------
 * Every byte the gateway sends grid passes through it and is counted, so a
 * test can show that a refused request sent grid nothing at all (CURVE and
 * ZeroMQ framing pass through untouched; an idle link sends no bytes). */
static atomic_llong relayed_bytes;
static int relay_listener = -1;

typedef struct {
    int client;
    int server;
} relay_pair_t;

static void *
relay_connection(void *arg)
{
    relay_pair_t pair = *(relay_pair_t *) arg;
    free(arg);
    char buffer[65536];
    struct pollfd items[2] = { { pair.client, POLLIN, 0 }, { pair.server, POLLIN, 0 } };
    for (;;) {
        if (poll(items, 2, -1) < 0 && errno != EINTR)
            break;
        bool done = false;
        for (int i = 0; i < 2 && !done; i++) {
            if (!(items[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t got = recv(items[i].fd, buffer, sizeof buffer, 0);
            if (got <= 0) {
                done = true;
                break;
            }
            if (i == 0)
                atomic_fetch_add(&relayed_bytes, (long long) got);
            for (ssize_t sent = 0; sent < got;) {
                ssize_t n = send(items[1 - i].fd, buffer + sent, (size_t) (got - sent), MSG_NOSIGNAL);
                if (n <= 0) {
                    done = true;
                    break;
                }
                sent += n;
            }
        }
        if (done)
            break;
    }
    close(pair.client);
    close(pair.server);
    return NULL;
}

static void *
relay_main(void *arg)
{
    (void) arg;
    for (;;) {
        int client = accept(relay_listener, NULL, NULL);
        if (client < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        /* grid's ipc endpoint is a Unix socket at the same path across its
         * restart. */
        int server = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un address;
        memset(&address, 0, sizeof address);
        address.sun_family = AF_UNIX;
        snprintf(address.sun_path, sizeof address.sun_path, "%.107s", grid_endpoint + strlen("ipc://"));
        if (server < 0 || connect(server, (struct sockaddr *) &address, sizeof address) != 0) {
            if (server >= 0)
                close(server);
            close(client);
            continue;
        }
        relay_pair_t *pair = malloc(sizeof *pair);
        pthread_t thread;
        if (!pair) {
            close(client);
            close(server);
            continue;
        }
        *pair = (relay_pair_t) { client, server };
        if (pthread_create(&thread, NULL, relay_connection, pair) == 0)
            pthread_detach(thread);
    }
}

/* Listens on a port the kernel chooses (port 0); returns it, or -1. */
static int
relay_start(void)
{
    relay_listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(relay_listener, (struct sockaddr *) &address, sizeof address) != 0 || listen(relay_listener, 64) != 0
        || getsockname(relay_listener, (struct sockaddr *) &address, &length) != 0)
        return -1;
    int relay_port = ntohs(address.sin_port);
    pthread_t thread;
    if (pthread_create(&thread, NULL, relay_main, NULL) != 0)
        return -1;
    pthread_detach(thread);
    return relay_port;
}

/* Bytes the gateway has sent grid so far, once the link is quiet. */
static long long
grid_requests(void)
{
    pause_ms(100);
    return atomic_load(&relayed_bytes);
}

/* Whether grid reports its requests by method (Sys.Stats): the gateway's
 * /metrics shows them when it does. */
static bool
grid_reports_methods(void)
{
    ProtobufCMessage *reply = NULL;
    sf_reply_info_t info;
    if (sf_client_call(tester, "Sys.Stats", NULL, NULL, &sifang__v1__stats_reply__descriptor, &reply, &info) != SF_OK)
        return false;
    bool reports = ((Sifang__V1__StatsReply *) reply)->n_methods > 0;
    protobuf_c_message_free_unpacked(reply, NULL);
    return reports;
}

/* --- the daemons ------------------------------------------------------------------- */

static void
make_key(const char *name, sf_keypair_t *keypair)
{
    char path[512], error[256];
    SF_CHECK(sf_keypair_generate(keypair) == 0);
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    SF_CHECK(sf_keypair_save(keypair, path, true, error, sizeof error) == 0);
    snprintf(path, sizeof path, "%s/%s.pub", dir, name);
    SF_CHECK(sf_keypair_save(keypair, path, false, error, sizeof error) == 0);
}

static void
admit(sf_allowlist_t *allowlist, const sf_keypair_t *keypair, const char *principal, const char *role)
{
    sf_client_key_t key;
    memset(&key, 0, sizeof key);
    snprintf(key.public_key, sizeof key.public_key, "%s", keypair->public_key);
    snprintf(key.principal_id, sizeof key.principal_id, "%s", principal);
    snprintf(key.role, sizeof key.role, "%s", role);
    SF_CHECK(sf_allowlist_add(allowlist, &key) == 0);
}

static int
start_grid(void)
{
    char path[512], key_env[600], allow_env[600], endpoint_env[160], publish_env[160], log_path[512];
    sf_test_service_path(path, sizeof path, "grid");
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    snprintf(key_env, sizeof key_env, "SIFANG_CURVE_SECRET_KEY_FILE=%s/grid.key", dir);
    snprintf(allow_env, sizeof allow_env, "SIFANG_CURVE_ALLOWLIST=%s/allowlist", dir);
    snprintf(log_path, sizeof log_path, "%s/grid.log", dir);
    const char *env[] = { endpoint_env, publish_env, key_env, allow_env, NULL };
    grid = sf_test_daemon_start(path, env, log_path);
    return grid ? sf_test_daemon_wait_ready(grid, 20000) : -1;
}

static int
start_gateway(void)
{
    char path[512], http_env[64], endpoint_env[128], client_env[600], public_env[600], log_path[512];
    sf_test_service_path(path, sizeof path, "gateway");
    snprintf(http_env, sizeof http_env, "SIFANG_GATEWAY_HTTP=%s", SF_TEST_HTTP_ANY);
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=%s", relay_endpoint);
    snprintf(client_env, sizeof client_env, "SIFANG_CURVE_CLIENT_KEY_FILE=%s/gateway.key", dir);
    snprintf(public_env, sizeof public_env, "SIFANG_GRID_PUBLIC_KEY_FILE=%s/grid.pub", dir);
    snprintf(log_path, sizeof log_path, "%s/gateway.log", dir);
    const char *env[] = { http_env, endpoint_env, client_env, public_env, "SIFANG_GATEWAY_SERVICES=grid",
                          "SIFANG_GATEWAY_KEYS_REFRESH_MS=200", "SIFANG_GATEWAY_MAX_BODY_BYTES=65536",
                          "SIFANG_GATEWAY_TIMEOUT_MS=1000", "SIFANG_GATEWAY_RETRIES=0", NULL };
    gateway = sf_test_daemon_start(path, env, log_path);
    if (!gateway || sf_test_daemon_wait_ready(gateway, 20000) != 0)
        return -1;
    port = sf_test_daemon_http_port(gateway);   /* what port 0 got */
    return port > 0 ? 0 : -1;
}

/* Runs sifang-gateway-keys with args; its stdout (JSON) parsed. */
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
    int rc = pclose(pipe);
    if (rc != 0) {
        SF_FAIL("sifang-gateway-keys %s: exit %d", args, rc);
        return NULL;
    }
    return cJSON_Parse(output);
}

/* --- the parts of the test ------------------------------------------------------------ */

static void
test_health(void)
{
    http_reply_t reply;
    SF_CHECK_EQ_INT(call("GET", "/healthz", NULL, NULL, &reply), 200);
    SF_CHECK_EQ_STR(json_text(reply.json, "status"), "ok");
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("GET", "/readyz", NULL, NULL, &reply), 200);
    cJSON *services = cJSON_GetObjectItemCaseSensitive(reply.json, "services");
    SF_CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(services, "grid"),
                                                           "reachable")));
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("GET", "/openapi.json", NULL, NULL, &reply), 200);
    SF_CHECK(cJSON_GetObjectItemCaseSensitive(reply.json, "paths") != NULL);
    http_reply_release(&reply);
    /* No workbench configured (SIFANG_GATEWAY_WORKBENCH_DIR unset): / is a
     * page saying how to set it; the old dashboard is gone. */
    SF_CHECK_EQ_INT(call("GET", "/", NULL, NULL, &reply), 200);
    SF_CHECK(reply.body && strstr(reply.body, "<html") != NULL);
    SF_CHECK(reply.body && strstr(reply.body, "SIFANG_GATEWAY_WORKBENCH_DIR") != NULL);
    SF_CHECK(reply.body && strstr(reply.body, "四方工作台未配置") != NULL);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("GET", "/dashboard/", NULL, NULL, &reply), 404);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("GET", "/dashboard/app.js", NULL, NULL, &reply), 404);
    http_reply_release(&reply);
}

static void
test_grid_routes(void)
{
    EXPECT("POST", "/v1/grid/units", admin_key, "{\"code\":\"370205\",\"kind\":\"UNIT_KIND_DISTRICT\",\"name\":\"四方区\"}",
           201);
    EXPECT("POST", "/v1/grid/units", admin_key,
           "{\"code\":\"370205001\",\"kind\":\"UNIT_KIND_STREET\",\"name\":\"Street 1\",\"parent_code\":\"370205\"}", 201);
    EXPECT("POST", "/v1/grid/units", admin_key,
           "{\"code\":\"370205002\",\"kind\":\"UNIT_KIND_STREET\",\"name\":\"Street 2\",\"parent_code\":\"370205\"}", 201);
    EXPECT("POST", "/v1/grid/units", admin_key,
           "{\"code\":\"370205001001\",\"kind\":\"UNIT_KIND_COMMUNITY\",\"name\":\"C 1\",\"parent_code\":\"370205001\"}",
           201);
    EXPECT("POST", "/v1/grid/units", admin_key,
           "{\"code\":\"37020500100101\",\"kind\":\"UNIT_KIND_ZONE\",\"name\":\"Z 1\",\"parent_code\":\"370205001001\","
           "\"location\":{\"lat\":36.1,\"lon\":120.37}}", 201);
    EXPECT("POST", "/v1/grid/units", admin_key,
           "{\"code\":\"370205001001011\",\"kind\":\"UNIT_KIND_BUILDING_GROUP\",\"name\":\"B 1\","
           "\"parent_code\":\"37020500100101\"}", 201);
    EXPECT("POST", "/v1/grid/units", admin_key,
           "{\"code\":\"370205002001\",\"kind\":\"UNIT_KIND_COMMUNITY\",\"name\":\"C 2\",\"parent_code\":\"370205002\"}",
           201);
    EXPECT("POST", "/v1/grid/units", admin_key,
           "{\"code\":\"37020500200101\",\"kind\":\"UNIT_KIND_ZONE\",\"name\":\"Z 2\",\"parent_code\":\"370205002001\","
           "\"location\":{\"lat\":36.1,\"lon\":120.38}}", 201);
    EXPECT("POST", "/v1/grid/units", admin_key,
           "{\"code\":\"370205002001011\",\"kind\":\"UNIT_KIND_BUILDING_GROUP\",\"name\":\"B 2\","
           "\"parent_code\":\"37020500200101\"}", 201);
    http_reply_t reply;
    SF_CHECK_EQ_INT(call("GET", "/v1/grid/units/370205001", admin_key, NULL, &reply), 200);
    SF_CHECK_EQ_STR(json_text(reply.json, "name"), "Street 1");
    SF_CHECK_EQ_STR(json_text(reply.json, "kind"), "UNIT_KIND_STREET");
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("PATCH", "/v1/grid/units/370205001", admin_key, "{\"name\":\"Street One\"}", &reply), 200);
    SF_CHECK_EQ_STR(json_text(reply.json, "name"), "Street One");
    http_reply_release(&reply);
    /* A conflicting version: FAILED_PRECONDITION is 400. */
    SF_CHECK_EQ_INT(call("PATCH", "/v1/grid/units/370205001", admin_key, "{\"name\":\"X\",\"expected_version\":1}",
                         &reply), 400);
    SF_CHECK_EQ_STR(http_error_status(&reply), "FAILED_PRECONDITION");
    http_reply_release(&reply);
    /* Already there: 409. */
    SF_CHECK_EQ_INT(call("POST", "/v1/grid/units", admin_key,
                         "{\"code\":\"370205002\",\"kind\":\"UNIT_KIND_STREET\",\"name\":\"Again\",\"parent_code\":\"370205\"}",
                         &reply), 409);
    SF_CHECK_EQ_STR(http_error_status(&reply), "ALREADY_EXISTS");
    http_reply_release(&reply);
    /* grid's own validation comes back as field violations. */
    SF_CHECK_EQ_INT(call("POST", "/v1/grid/units", admin_key,
                         "{\"code\":\"12\",\"kind\":\"UNIT_KIND_STREET\",\"name\":\"Bad\",\"parent_code\":\"370205\"}",
                         &reply), 400);
    SF_CHECK(http_has_violation(&reply, "code"));
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("GET", "/v1/grid/units/370205009", admin_key, NULL, &reply), 404);
    SF_CHECK_EQ_STR(http_error_status(&reply), "NOT_FOUND");
    http_reply_release(&reply);
    /* Paging through the query. */
    SF_CHECK_EQ_INT(call("GET", "/v1/grid/units?parent_code=370205&page_size=1", admin_key, NULL, &reply), 200);
    cJSON *units = cJSON_GetObjectItemCaseSensitive(reply.json, "units");
    SF_CHECK_EQ_INT(cJSON_GetArraySize(units), 1);
    char next[512], path[768];
    snprintf(next, sizeof next, "%s", json_text(reply.json, "next_page_token"));
    http_reply_release(&reply);
    SF_CHECK(next[0] != 0);
    snprintf(path, sizeof path, "/v1/grid/units?parent_code=370205&page_size=1&page_token=%s", next);
    SF_CHECK_EQ_INT(call("GET", path, admin_key, NULL, &reply), 200);
    units = cJSON_GetObjectItemCaseSensitive(reply.json, "units");
    SF_CHECK_EQ_STR(json_text(cJSON_GetArrayItem(units, 0), "code"), "370205002");
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("GET", "/v1/grid/units?under=370205&kind=UNIT_KIND_ZONE", admin_key, NULL, &reply), 200);
    SF_CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(reply.json, "units")), 2);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("GET", "/v1/grid/summary?under=370205", admin_key, NULL, &reply), 200);
    SF_CHECK_EQ_INT(cJSON_GetObjectItemCaseSensitive(reply.json, "streets")->valueint, 2);
    SF_CHECK_EQ_INT(cJSON_GetObjectItemCaseSensitive(reply.json, "zones")->valueint, 2);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("GET", "/v1/grid/zones/37020500100101", admin_key, NULL, &reply), 200);
    SF_CHECK_EQ_STR(json_text(cJSON_GetObjectItemCaseSensitive(reply.json, "zone"), "code"), "37020500100101");
    http_reply_release(&reply);
}

/* Makes a key through the admin route; its secret into out. */
static bool
admin_make_key(const char *body, char *out, size_t size, char *id, size_t id_size)
{
    http_reply_t reply;
    int status = call("POST", "/v1/admin/keys", admin_key, body, &reply);
    bool ok = SF_CHECK_EQ_INT(status, 201);
    snprintf(out, size, "%s", json_text(reply.json, "key"));
    if (id)
        snprintf(id, id_size, "%s", json_text(reply.json, "id"));
    http_reply_release(&reply);
    return ok && out[0];
}

static char street_key[128], viewer_key[128], slow_key[128], slow_key_id[32];

static void
test_keys_and_scope(void)
{
    SF_CHECK(admin_make_key("{\"principal_id\":\"cadre-street-1\",\"role\":\"street\",\"scope\":\"370205001\","
                            "\"name\":\"street one's tools\"}", street_key, sizeof street_key, NULL, 0));
    SF_CHECK(admin_make_key("{\"principal_id\":\"dept-civil-affairs\",\"role\":\"viewer\"}", viewer_key,
                            sizeof viewer_key, NULL, 0));
    SF_CHECK(admin_make_key("{\"principal_id\":\"labour-system\",\"role\":\"viewer\",\"rate_per_second\":0.5,"
                            "\"burst\":2}", slow_key, sizeof slow_key, slow_key_id, sizeof slow_key_id));
    http_reply_t reply;
    /* A bad key request: violations, and no key made. */
    long long keys_before = sf_test_pg_int(db, "SELECT count(*) FROM gateway.api_key");
    SF_CHECK_EQ_INT(call("POST", "/v1/admin/keys", admin_key, "{\"principal_id\":\"x\",\"role\":\"emperor\"}", &reply),
                    400);
    SF_CHECK(http_has_violation(&reply, "role"));
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM gateway.api_key"), keys_before);
    /* Secrets are never stored, only their hash. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM gateway.api_key WHERE hash = sha256('%s'::bytea)", street_key);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, sql), 1);
    SF_CHECK_EQ_INT(call("GET", "/v1/admin/keys", admin_key, NULL, &reply), 200);
    SF_CHECK(reply.body && !strstr(reply.body, street_key) && strstr(reply.body, "cadre-street-1"));
    http_reply_release(&reply);

    /* Who a key stands for. */
    SF_CHECK_EQ_INT(call("GET", "/v1/me", street_key, NULL, &reply), 200);
    SF_CHECK_EQ_STR(json_text(reply.json, "id"), "cadre-street-1");
    SF_CHECK_EQ_STR(json_text(reply.json, "scope"), "370205001");
    http_reply_release(&reply);

    /* The street key sees its street only: grid enforces the scope of the
     * principal the gateway names over its CURVE link. */
    EXPECT("GET", "/v1/grid/units/370205001001", street_key, NULL, 200);
    EXPECT("GET", "/v1/grid/units/370205002", street_key, NULL, 404);
    SF_CHECK_EQ_INT(call("GET", "/v1/grid/units?under=370205", street_key, NULL, &reply), 200);
    cJSON *unit;
    bool outside = false;
    int seen = 0;
    cJSON_ArrayForEach(unit, cJSON_GetObjectItemCaseSensitive(reply.json, "units")) {
        seen++;
        outside = outside || strncmp(json_text(unit, "code"), "370205001", 9) != 0;
    }
    SF_CHECK(seen > 0 && !outside);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(call("POST", "/v1/grid/units", street_key,
                         "{\"code\":\"370205002001\",\"kind\":\"UNIT_KIND_COMMUNITY\",\"name\":\"Not mine\","
                         "\"parent_code\":\"370205002\"}", &reply), 403);
    SF_CHECK_EQ_STR(http_error_status(&reply), "PERMISSION_DENIED");
    http_reply_release(&reply);
    /* A viewer may read, not write; no one but an admin may touch keys. */
    EXPECT("GET", "/v1/grid/units/370205002", viewer_key, NULL, 200);
    EXPECT("POST", "/v1/grid/departments", viewer_key, "{\"code\":\"civil-affairs\",\"name\":\"民政局\"}", 403);
    EXPECT("GET", "/v1/admin/keys", street_key, NULL, 403);
    /* A household in its street, not in another; grid's event log names
     * the principal, not the gateway. */
    EXPECT("POST", "/v1/grid/households", street_key,
           "{\"code\":\"370205001001011001\",\"building_group_code\":\"370205001001011\",\"address\":\"1 Road\"}",
           201);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM grid.event_log WHERE key = '370205001001011001'"
                                       " AND type = 'household.created' AND actor = 'cadre-street-1'"), 1);
    SF_CHECK_EQ_INT(call("POST", "/v1/grid/households", street_key,
                         "{\"code\":\"370205002001011001\",\"building_group_code\":\"370205002001011\","
                         "\"address\":\"2 Road\"}", &reply), 403);
    SF_CHECK_EQ_STR(http_error_status(&reply), "PERMISSION_DENIED");
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM grid.household WHERE code = '370205002001011001'"), 0);
}

static void
test_rate_limit(void)
{
    EXPECT("GET", "/v1/grid/units/370205", slow_key, NULL, 200);
    EXPECT("GET", "/v1/grid/units/370205", slow_key, NULL, 200);
    long long before = grid_requests();
    http_reply_t reply;
    SF_CHECK_EQ_INT(call("GET", "/v1/grid/units/370205", slow_key, NULL, &reply), 429);
    SF_CHECK_EQ_STR(http_error_status(&reply), "RESOURCE_EXHAUSTED");
    char retry_after[16];
    SF_CHECK(http_header(&reply, "Retry-After", retry_after, sizeof retry_after) && atoi(retry_after) >= 1);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(grid_requests(), before);
    /* Other keys are not held up by it. */
    EXPECT("GET", "/v1/grid/units/370205", viewer_key, NULL, 200);
    /* A token is back after Retry-After. */
    pause_ms(atoi(retry_after) * 1000 + 100);
    EXPECT("GET", "/v1/grid/units/370205", slow_key, NULL, 200);
}

/* One bad request: its status, error status and (optionally) field. */
static void
bad(const char *raw_or_method, const char *path, const char *key, const char *body, int expect,
    const char *error_status, const char *field, int line)
{
    http_reply_t reply;
    int status;
    if (!path)
        status = http_raw(port, raw_or_method, strlen(raw_or_method), 5000, &reply);
    else
        status = call(raw_or_method, path, key, body, &reply);
    if (status != expect)
        SF_FAIL("line %d: expected %d, got %d: %.200s", line, expect, status, reply.body ? reply.body : "");
    else if (error_status && strcmp(http_error_status(&reply), error_status) != 0)
        SF_FAIL("line %d: expected %s, got \"%s\": %.200s", line, error_status, http_error_status(&reply),
                reply.body ? reply.body : "");
    else if (field && !http_has_violation(&reply, field))
        SF_FAIL("line %d: no violation on %s: %.200s", line, field, reply.body ? reply.body : "");
    else
        SF_CHECK(true);
    http_reply_release(&reply);
}
#define BAD(method, path, key, body, status, error_status, field) \
    bad(method, path, key, body, status, error_status, field, __LINE__)

static void
test_bad_input(void)
{
    long long before = grid_requests();
    long long rows = sf_test_pg_int(db, "SELECT count(*) FROM grid.org_unit");
    BAD("POST", "/v1/grid/units", admin_key, "{\"code\": \"370205003\", ", 400, "INVALID_ARGUMENT", "body");
    BAD("POST", "/v1/grid/units", admin_key, "not json at all", 400, "INVALID_ARGUMENT", "body");
    BAD("POST", "/v1/grid/units", admin_key, "[{\"code\": \"370205003\"}]", 400, "INVALID_ARGUMENT", "body");
    BAD("POST", "/v1/grid/units", admin_key, "{\"code\": 370205003}", 400, "INVALID_ARGUMENT", "code");
    BAD("POST", "/v1/grid/units", admin_key, "{\"code\": \"370205003\", \"kind\": 2.5}", 400, "INVALID_ARGUMENT", "kind");
    BAD("POST", "/v1/grid/units", admin_key, "{\"location\": {\"lat\": true}}", 400, "INVALID_ARGUMENT", "location.lat");
    BAD("POST", "/v1/grid/units", admin_key, "{\"planet\": \"mars\"}", 400, "INVALID_ARGUMENT", "planet");
    BAD("POST", "/v1/grid/units", admin_key, "{\"name\": \"\xc3\x28\"}", 400, "INVALID_ARGUMENT", "name");
    BAD("GET", "/v1/grid/units/370205?colour=red", admin_key, NULL, 400, "INVALID_ARGUMENT", "colour");
    BAD("GET", "/v1/grid/units?kind=UNIT_KIND_PLANET", admin_key, NULL, 400, "INVALID_ARGUMENT", "kind");
    BAD("GET", "/v1/grid/units?page_size=lots", admin_key, NULL, 400, "INVALID_ARGUMENT", "page.page_size");
    BAD("GET", "/v1/grid/residents?party_members_only=maybe", admin_key, NULL, 400, "INVALID_ARGUMENT",
        "party_members_only");
    BAD("GET", "/v1/grid/units/370205", admin_key, "{}", 400, "INVALID_ARGUMENT", "body");
    /* U+0000, which C strings (and cJSON) would cut the text at: "\u0000" in
     * the body, %00 in the path or the query, each refused naming where. */
    BAD("POST", "/v1/grid/units", admin_key, "{\"code\": \"370205003\", \"name\": \"Wire\\u0000\\u0007junk\"}", 400,
        "INVALID_ARGUMENT", "name");
    BAD("GET", "/v1/grid/units/370205%00zzz", admin_key, NULL, 400, "INVALID_ARGUMENT", "code");
    BAD("GET", "/v1/grid/units?under=370205%00", admin_key, NULL, 400, "INVALID_ARGUMENT", "under");
    http_reply_t nul_reply;
    SF_CHECK_EQ_INT(call("POST", "/v1/grid/units", admin_key, "{\"members\": [], \"name\": \"\\u0000\"}", &nul_reply), 400);
    SF_CHECK(nul_reply.body && strstr(nul_reply.body, "\"message\":\"name: must not hold a NUL character (U+0000)\""));
    http_reply_release(&nul_reply);
    /* A message quoting a long path is cut on a character boundary (200
     * bytes of "/v1/grid/" and 四 fell inside a character), valid UTF-8. */
    char chinese_path[1024];
    char *c = chinese_path + sprintf(chinese_path, "/v1/grid/");
    for (int i = 0; i < 80; i++)
        c += sprintf(c, "%%E5%%9B%%9B");
    SF_CHECK_EQ_INT(call("GET", chinese_path, admin_key, NULL, &nul_reply), 404);
    if (!SF_CHECK(nul_reply.body && strstr(nul_reply.body, "no route for GET /v1/grid/四四四")
                  && sf_text_utf8_valid(nul_reply.body)))
        printf("404 of a long path: %s\n", nul_reply.body ? nul_reply.body : "(none)");
    http_reply_release(&nul_reply);
    /* Deep nesting and a body over the limit. */
    static char deep[20000];
    char *at = deep + sprintf(deep, "{\"location\":");
    for (int i = 0; i < 4000; i++)
        *at++ = '[';
    *at = 0;
    BAD("POST", "/v1/grid/units", admin_key, deep, 400, "INVALID_ARGUMENT", "body");
    static char big[70000];
    memset(big, ' ', sizeof big - 1);
    big[0] = '{';
    big[sizeof big - 2] = '}';
    BAD("POST", "/v1/grid/units", admin_key, big, 413, "RESOURCE_EXHAUSTED", NULL);
    char chunked[512];
    snprintf(chunked, sizeof chunked, "POST /v1/grid/units HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n", admin_key);
    static char chunked_request[200000];
    at = chunked_request + sprintf(chunked_request, "%s", chunked);
    for (int i = 0; i < 20; i++) {
        at += sprintf(at, "1000\r\n");
        memset(at, ' ', 4096);
        at += 4096;
        at += sprintf(at, "\r\n");
    }
    sprintf(at, "0\r\n\r\n");
    BAD(chunked_request, NULL, NULL, NULL, 413, "RESOURCE_EXHAUSTED", NULL);
    /* Routes and methods that do not exist. */
    BAD("GET", "/v1/grid/planets/1", admin_key, NULL, 404, "NOT_FOUND", NULL);
    BAD("GET", "/v1/nothing", NULL, NULL, 404, "NOT_FOUND", NULL);
    BAD("GET", "/etc/passwd", NULL, NULL, 404, "NOT_FOUND", NULL);
    BAD("GET", "/dashboard/../../etc/passwd", NULL, NULL, 404, NULL, NULL);
    BAD("PUT", "/v1/grid/units", admin_key, "{}", 405, "UNIMPLEMENTED", NULL);
    BAD("DELETE", "/v1/grid/units/370205", admin_key, NULL, 405, "UNIMPLEMENTED", NULL);
    /* Keys: missing, malformed, unknown, wrong scheme. */
    BAD("GET", "/v1/grid/units/370205", NULL, NULL, 401, "UNAUTHENTICATED", NULL);
    BAD("GET", "/v1/grid/units/370205", "garbage", NULL, 401, "UNAUTHENTICATED", NULL);
    BAD("GET", "/v1/grid/units/370205", "sfk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, 401,
        "UNAUTHENTICATED", NULL);
    char forged[128];
    snprintf(forged, sizeof forged, "%s", admin_key);
    forged[strlen(forged) - 2] = forged[strlen(forged) - 2] == 'x' ? 'y' : 'x';
    BAD("GET", "/v1/grid/units/370205", forged, NULL, 401, "UNAUTHENTICATED", NULL);
    char basic[256];
    snprintf(basic, sizeof basic, "GET /v1/grid/units/370205 HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YTpi\r\n"
             "Connection: close\r\n\r\n");
    BAD(basic, NULL, NULL, NULL, 401, "UNAUTHENTICATED", NULL);
    http_reply_t reply;
    SF_CHECK_EQ_INT(call("GET", "/v1/grid/units/370205", NULL, NULL, &reply), 401);
    char challenge[64];
    SF_CHECK(http_header(&reply, "WWW-Authenticate", challenge, sizeof challenge) != NULL);
    http_reply_release(&reply);
    /* Nothing of all that reached grid or changed it (measured before the
     * raw bytes below, whose waits would let the gateway's own poll of
     * grid's events fall inside); a good request does. */
    SF_CHECK_EQ_INT(grid_requests(), before);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM grid.org_unit"), rows);
    /* Not HTTP at all, and a request line without end: the gateway answers
     * or hangs up (or, polling with epoll, lets the half-closed connection
     * time out), and goes on serving. */
    http_raw(port, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, 500, &reply);
    http_reply_release(&reply);
    http_raw(port, "GET /v1/grid/units HTTP/1.1\r\nHost: x\r\nX: \x01\x02\r\n\r\n", 45, 500, &reply);
    http_reply_release(&reply);
    static char long_header[70000];
    at = long_header + sprintf(long_header, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: ");
    memset(at, 'a', 66000);
    sprintf(at + 66000, "\r\n\r\n");
    int status = http_raw(port, long_header, strlen(long_header), 5000, &reply);
    SF_CHECK(status == 0 || status >= 400);
    http_reply_release(&reply);
    SF_CHECK(sf_test_daemon_running(gateway));
    EXPECT("GET", "/healthz", NULL, NULL, 200);
    EXPECT("GET", "/v1/grid/units/370205", admin_key, NULL, 200);
    SF_CHECK(grid_requests() > before);
}

static void
test_idempotency_and_revocation(void)
{
    const char *body = "{\"code\":\"civil-affairs\",\"name\":\"民政局\"}";
    char headers[256];
    snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\nIdempotency-Key: dept-1\r\n", admin_key);
    http_reply_t first, second;
    SF_CHECK_EQ_INT(http_request(port, "POST", "/v1/grid/departments", headers, body, strlen(body), &first), 201);
    SF_CHECK_EQ_INT(http_request(port, "POST", "/v1/grid/departments", headers, body, strlen(body), &second), 201);
    SF_CHECK(first.body && second.body && strcmp(first.body, second.body) == 0);
    http_reply_release(&first);
    http_reply_release(&second);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM grid.department"), 1);
    /* Without the key, a repeat is a second write: refused as a duplicate. */
    EXPECT("POST", "/v1/grid/departments", admin_key, body, 409);
    snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\nIdempotency-Key: no spaces allowed\r\n", admin_key);
    SF_CHECK_EQ_INT(http_request(port, "POST", "/v1/grid/departments", headers, body, strlen(body), &first), 400);
    SF_CHECK(http_has_violation(&first, "Idempotency-Key"));
    http_reply_release(&first);

    /* Revoked by the admin route: refused with the very next request. */
    char path[128];
    snprintf(path, sizeof path, "/v1/admin/keys/%s", slow_key_id);
    EXPECT("DELETE", path, admin_key, NULL, 200);
    EXPECT("GET", "/v1/grid/units/370205", slow_key, NULL, 401);
    EXPECT("DELETE", "/v1/admin/keys/000000000000", admin_key, NULL, 404);

    /* Made and revoked by the tool: the gateway follows within its refresh. */
    cJSON *made = keys_tool("create --principal tool-made --role viewer --name 'from the tool'");
    char key[128] = "", id[32] = "";
    snprintf(key, sizeof key, "%s", json_text(made, "key"));
    snprintf(id, sizeof id, "%s", json_text(made, "id"));
    cJSON_Delete(made);
    int status = 0;
    for (int i = 0; i < 50 && status != 200; i++) {
        http_reply_t reply;
        status = call("GET", "/v1/grid/units/370205", key, NULL, &reply);
        http_reply_release(&reply);
        if (status != 200)
            pause_ms(100);
    }
    SF_CHECK_EQ_INT(status, 200);
    char args[128];
    snprintf(args, sizeof args, "revoke %s", id);
    cJSON_Delete(keys_tool(args));
    for (int i = 0; i < 50 && status != 401; i++) {
        http_reply_t reply;
        status = call("GET", "/v1/grid/units/370205", key, NULL, &reply);
        http_reply_release(&reply);
        if (status != 401)
            pause_ms(100);
    }
    SF_CHECK_EQ_INT(status, 401);
    cJSON *list = keys_tool("list --all");
    SF_CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "keys")) >= 5);
    cJSON_Delete(list);
    /* Usage is written back to the table. */
    pause_ms(500);
    SF_CHECK(sf_test_pg_int(db, "SELECT requests FROM gateway.api_key WHERE principal_id = 'cadre-street-1'") > 0);
}

static void
test_metrics(void)
{
    http_reply_t reply;
    SF_CHECK_EQ_INT(call("GET", "/metrics", NULL, NULL, &reply), 200);
    const char *page = reply.body ? reply.body : "";
    SF_CHECK(strstr(page, "# TYPE sifang_requests_total counter") != NULL);
    if (grid_reports_methods()) {
        SF_CHECK(strstr(page, "sifang_requests_total{service=\"grid\",instance=\"grid\",method=\"UnitCreate\",status=\"OK\"}"));
        SF_CHECK(strstr(page, "sifang_request_duration_seconds_bucket{service=\"grid\""));
    } else
        fprintf(stderr, "note: grid's Sys.Stats reports no methods (common/sf_server.c sys_stats does not fill"
                        " them): only the gateway's own requests by method are shown\n");
    SF_CHECK(strstr(page, "sifang_event_head{service=\"grid\""));
    /* The gateway keeps no event log: no head at all, not -1. */
    SF_CHECK(!strstr(page, "sifang_event_head{service=\"gateway\""));
    SF_CHECK(strstr(page, "sifang_database_up{service=\"grid\",instance=\"grid\"} 1"));
    SF_CHECK(strstr(page, "sifang_batches_total{service=\"grid\""));
    SF_CHECK(strstr(page, "sifang_up{service=\"grid\"} 1"));
    SF_CHECK(strstr(page, "method=\"POST /v1/grid/units\",status=\"OK\""));
    SF_CHECK(strstr(page, "sifang_gateway_http_responses_total{route=\"POST /v1/grid/units\",code=\"413\"}"));
    SF_CHECK(strstr(page, "sifang_gateway_refused_total{reason=\"rate_limited\"}"));
    SF_CHECK(strstr(page, "sifang_gateway_upstream_calls_total{service=\"grid\",status=\"OK\"}"));
    /* Each family is declared once (Prometheus refuses a second TYPE). */
    SF_CHECK(strstr(page, "# TYPE sifang_event_head gauge") == strstr(page, "# TYPE sifang_event_head"));
    const char *first = strstr(page, "# TYPE sifang_requests_total");
    SF_CHECK(first && !strstr(first + 1, "# TYPE sifang_requests_total"));
    http_reply_release(&reply);
}

static void
test_grid_outage(void)
{
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);
    http_reply_t reply;
    SF_CHECK_EQ_INT(call("GET", "/v1/grid/units/370205", admin_key, NULL, &reply), 503);
    SF_CHECK_EQ_STR(http_error_status(&reply), "UNAVAILABLE");
    char retry_after[16];
    SF_CHECK(http_header(&reply, "Retry-After", retry_after, sizeof retry_after) != NULL);
    http_reply_release(&reply);
    /* Right after, answered at once without waiting out a timeout. */
    long long started = (long long) time(NULL);
    EXPECT("GET", "/v1/grid/units/370205", admin_key, NULL, 503);
    SF_CHECK((long long) time(NULL) - started <= 1);
    SF_CHECK_EQ_INT(call("GET", "/readyz", NULL, NULL, &reply), 503);
    SF_CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(reply.json, "ready")));
    http_reply_release(&reply);
    SF_CHECK(sf_test_daemon_running(gateway));
    if (!SF_CHECK_EQ_INT(start_grid(), 0))
        return;
    int status = 0;
    for (int i = 0; i < 40 && status != 200; i++) {
        status = call("GET", "/v1/grid/units/370205", admin_key, NULL, &reply);
        http_reply_release(&reply);
        if (status != 200)
            pause_ms(250);
    }
    SF_CHECK_EQ_INT(status, 200);
    EXPECT("GET", "/readyz", NULL, NULL, 200);
}

static void
test_sigterm_drain(void)
{
    /* A request whose body is half sent when SIGTERM comes: it is served,
     * then the gateway exits 0. */
    const char *body = "{\"code\":\"370205003\",\"kind\":\"UNIT_KIND_STREET\",\"name\":\"Street 3\",\"parent_code\":\"370205\"}";
    char head[512];
    int n = snprintf(head, sizeof head, "POST /v1/grid/units HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%.10s",
                     admin_key, strlen(body), body);
    int socket = http_begin(port, head, (size_t) n);
    if (!SF_CHECK(socket >= 0))
        return;
    pause_ms(300);
    kill(sf_test_daemon_pid(gateway), SIGTERM);
    pause_ms(300);
    SF_CHECK(sf_test_daemon_running(gateway));
    http_reply_t reply;
    SF_CHECK_EQ_INT(http_finish(socket, body + 10, strlen(body) - 10, &reply), 201);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&gateway), 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM grid.org_unit WHERE code = '370205003'"), 1);
}

int
main(void)
{
    if (sf_test_pg_env("gateway_api_test") != 0 || sf_test_tmpdir(dir, sizeof dir) != 0)
        return sf_test_done();
    signal(SIGPIPE, SIG_IGN);
    sf_keypair_t grid_pair, gateway_pair, tester_pair;
    make_key("grid", &grid_pair);
    make_key("gateway", &gateway_pair);
    make_key("tester", &tester_pair);
    sf_allowlist_t *allowlist = sf_allowlist_new();
    admit(allowlist, &gateway_pair, "gateway", "gateway");
    admit(allowlist, &tester_pair, "tester", "admin");
    char path[512], error[256];
    snprintf(path, sizeof path, "%s/allowlist", dir);
    SF_CHECK(sf_allowlist_save(allowlist, path, error, sizeof error) == 0);
    sf_allowlist_destroy(&allowlist);
    /* ipc: grid, stopped and started again below, comes back at the same
     * address for the relay and the tester. */
    char *endpoint = sf_test_ipc_endpoint(dir, "grid.router"), *publish = sf_test_ipc_endpoint(dir, "grid.pub");
    snprintf(grid_endpoint, sizeof grid_endpoint, "%s", endpoint ? endpoint : "");
    snprintf(grid_publish, sizeof grid_publish, "%s", publish ? publish : "");
    free(endpoint);
    free(publish);
    int relay_port = relay_start();
    if (!SF_CHECK(relay_port > 0 && grid_endpoint[0] && grid_publish[0]))
        return sf_test_done();
    snprintf(relay_endpoint, sizeof relay_endpoint, "tcp://127.0.0.1:%d", relay_port);
    db = sf_test_pg_connect();
    if (!SF_CHECK(db && start_grid() == 0))
        goto cleanup;
    sf_curve_client_t curve;
    memset(&curve, 0, sizeof curve);
    curve.enabled = true;
    curve.keypair = tester_pair;
    snprintf(curve.server_public_key, sizeof curve.server_public_key, "%s", grid_pair.public_key);
    tester = sf_client_new(grid_endpoint, &curve);

    cJSON *made = keys_tool("create --principal ops-admin --role admin --name 'test administrator'");
    snprintf(admin_key, sizeof admin_key, "%s", json_text(made, "key"));
    cJSON_Delete(made);
    if (!SF_CHECK(admin_key[0] && start_gateway() == 0))
        goto cleanup;

    test_health();
    test_grid_routes();
    test_keys_and_scope();
    test_rate_limit();
    test_bad_input();
    test_idempotency_and_revocation();
    test_metrics();
    test_grid_outage();
    test_sigterm_drain();
cleanup:
    if (gateway)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&gateway), 0);
    if (grid)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);
    sf_client_destroy(&tester);
    if (db)
        PQfinish(db);
    if (!sf_test_failures())
        sf_test_rmtree(dir);
    else
        fprintf(stderr, "logs kept in %s\n", dir);
    return sf_test_done();
}
