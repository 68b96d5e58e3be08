/* The hardening tests' suite of real daemons: keys and allowlist, starting
 * and stopping, JSON calls through the registry, the test district, logs. */
#include "hard_suite.h"
#include "sf_json.h"
#include "sf_registry.h"
#include "sifang/v1/sys.pb-c.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const hs_services[HS_N] = { "grid", "intake", "employment", "volunteer", "evaluation" };

static void
pause_ms(int ms)
{
    struct timespec pause = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

static void
upper(char *out, size_t size, const char *name)
{
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++)
        out[i] = (char) toupper((unsigned char) name[i]);
    out[i] = 0;
}

static bool
save_keypair(hs_suite_t *suite, const char *name, const sf_keypair_t *keypair)
{
    char path[512], error[256];
    snprintf(path, sizeof path, "%s/%s.key", suite->dir, name);
    if (sf_keypair_save(keypair, path, true, error, sizeof error) != 0)
        return SF_FAIL("%s", error);
    snprintf(path, sizeof path, "%s/%s.pub", suite->dir, name);
    if (sf_keypair_save(keypair, path, false, error, sizeof error) != 0)
        return SF_FAIL("%s", error);
    return true;
}

static bool
admit(sf_allowlist_t *allowlist, const char *public_key, const char *id, const char *role, const char *scope)
{
    sf_client_key_t key;
    memset(&key, 0, sizeof key);
    snprintf(key.public_key, sizeof key.public_key, "%s", public_key);
    snprintf(key.principal_id, sizeof key.principal_id, "%s", id);
    snprintf(key.role, sizeof key.role, "%s", role);
    snprintf(key.scope, sizeof key.scope, "%s", scope);
    return SF_CHECK(sf_allowlist_add(allowlist, &key) == 0);
}

static hs_key_t *
add_key(hs_suite_t *suite, const char *line)
{
    if (suite->n_keys >= HS_MAX_KEYS)
        return NULL;
    hs_key_t *key = &suite->keys[suite->n_keys++];
    memset(key, 0, sizeof *key);
    key->admitted = line[0] != '!';
    if (!key->admitted)
        line++;
    if (sscanf(line, "%63s %31s %63s", key->id, key->role, key->scope) < 2)
        SF_FAIL("bad principal line \"%s\"", line);
    if (strcmp(key->scope, "\"\"") == 0)
        key->scope[0] = 0;
    SF_CHECK(sf_keypair_generate(&key->keypair) == 0);
    return key;
}

bool
hs_init(hs_suite_t *suite, const char *dbname, bool curve, const char *const principals[])
{
    memset(suite, 0, sizeof *suite);
    suite->curve = curve;
    if (sf_test_pg_env(dbname) != 0 || sf_test_tmpdir(suite->dir, sizeof suite->dir) != 0)
        return false;
    suite->db = sf_test_pg_connect();
    for (int s = 0; s < HS_N; s++) {
        hs_daemon_t *daemon = &suite->daemons[s];
        daemon->service = hs_services[s];
        /* ipc in the suite's directory: a daemon restarted by a test comes
         * back where the others and the gateway expect it. */
        char name[64];
        snprintf(name, sizeof name, "%s.router", daemon->service);
        char *endpoint = sf_test_ipc_endpoint(suite->dir, name);
        snprintf(name, sizeof name, "%s.pub", daemon->service);
        char *publish = sf_test_ipc_endpoint(suite->dir, name);
        if (!SF_CHECK(endpoint && publish)) {
            free(endpoint);
            free(publish);
            return false;
        }
        snprintf(daemon->endpoint, sizeof daemon->endpoint, "%s", endpoint);
        snprintf(daemon->publish, sizeof daemon->publish, "%s", publish);
        free(endpoint);
        free(publish);
        snprintf(daemon->log, sizeof daemon->log, "%s/%s.log", suite->dir, daemon->service);
        SF_CHECK(sf_keypair_generate(&daemon->keypair) == 0);
    }
    snprintf(suite->gateway_log, sizeof suite->gateway_log, "%s/gateway.log", suite->dir);
    SF_CHECK(sf_keypair_generate(&suite->gateway_keypair) == 0);
    add_key(suite, "admin admin");
    for (size_t i = 0; principals && principals[i]; i++)
        add_key(suite, principals[i]);
    if (!curve)
        return suite->db != NULL;

    sf_allowlist_t *allowlist = sf_allowlist_new();
    for (int s = 0; s < HS_N; s++) {
        save_keypair(suite, hs_services[s], &suite->daemons[s].keypair);
        admit(allowlist, suite->daemons[s].keypair.public_key, hs_services[s], "service", "");
    }
    save_keypair(suite, "gateway", &suite->gateway_keypair);
    admit(allowlist, suite->gateway_keypair.public_key, "gateway", "gateway", "");
    for (int k = 0; k < suite->n_keys; k++)
        if (suite->keys[k].admitted)
            admit(allowlist, suite->keys[k].keypair.public_key, suite->keys[k].id, suite->keys[k].role,
                  suite->keys[k].scope);
    char path[512], error[256];
    snprintf(path, sizeof path, "%s/allowlist", suite->dir);
    bool saved = SF_CHECK(sf_allowlist_save(allowlist, path, error, sizeof error) == 0);
    sf_allowlist_destroy(&allowlist);
    return saved && suite->db != NULL;
}

/* Every daemon knows every service's endpoints (and public keys). */
static int
common_env(const hs_suite_t *suite, char lines[][600], int n)
{
    for (int s = 0; s < HS_N; s++) {
        char name[32];
        upper(name, sizeof name, hs_services[s]);
        snprintf(lines[n++], 600, "SIFANG_%s_ENDPOINT=%s", name, suite->daemons[s].endpoint);
        snprintf(lines[n++], 600, "SIFANG_%s_PUBLISH=%s", name, suite->daemons[s].publish);
        if (suite->curve)
            snprintf(lines[n++], 600, "SIFANG_%s_PUBLIC_KEY_FILE=%s/%s.pub", name, suite->dir, hs_services[s]);
    }
    return n;
}

static bool
launch(hs_suite_t *suite, int s)
{
    hs_daemon_t *daemon = &suite->daemons[s];
    char lines[40][600];
    const char *env[48];
    int n = common_env(suite, lines, 0);
    /* Each daemon as its own role, as deployed (the tests' PGUSER is the
     * superuser, which the daemons would otherwise take). */
    char name[32];
    upper(name, sizeof name, daemon->service);
    snprintf(lines[n++], 600, "SIFANG_%s_DATABASE_URL=user=sifang_%s", name, daemon->service);
    if (suite->curve) {
        snprintf(lines[n++], 600, "SIFANG_CURVE_SECRET_KEY_FILE=%s/%s.key", suite->dir, daemon->service);
        snprintf(lines[n++], 600, "SIFANG_CURVE_ALLOWLIST=%s/allowlist", suite->dir);
    }
    int e = 0;
    for (int i = 0; i < n; i++)
        env[e++] = lines[i];
    static const char *const own[HS_N][6] = {
        { NULL },
        { "SIFANG_INTAKE_VOLUNTEER=false", "SIFANG_INTAKE_GRID_POLL_MS=200", NULL },
        { "SIFANG_EMPLOYMENT_GRID_POLL_MS=200", NULL },
        { "SIFANG_VOLUNTEER_GRID_POLL_MS=200", NULL },
        { "SIFANG_EVALUATION_SOURCES=grid intake employment volunteer", "SIFANG_EVALUATION_POLL_MS=200", NULL },
    };
    for (int i = 0; own[s][i]; i++)
        env[e++] = own[s][i];
    for (int i = 0; daemon->extra[i] && e < 46; i++)
        env[e++] = daemon->extra[i];
    env[e] = NULL;
    char path[512];
    sf_test_service_path(path, sizeof path, daemon->service);
    const char *argv[12];
    int a = 0;
    for (int i = 0; daemon->wrapper[i] && a < 10; i++)
        argv[a++] = daemon->wrapper[i];
    argv[a++] = path;
    argv[a] = NULL;
    daemon->daemon = sf_test_daemon_start_argv(argv, env, daemon->log);
    return daemon->daemon != NULL || SF_FAIL("cannot start %s", daemon->service);
}

bool
hs_start(hs_suite_t *suite, int s)
{
    if (!launch(suite, s))
        return false;
    if (sf_test_daemon_wait_ready(suite->daemons[s].daemon, 30000) != 0)
        return SF_FAIL("%s did not start (log %s)", hs_services[s], suite->daemons[s].log);
    if (!suite->admin[s])
        suite->admin[s] = hs_client(suite, s, "admin", 10000, 3);
    return sf_test_wait_database(suite->admin[s], 30000) || SF_FAIL("%s: database not up", hs_services[s]);
}

bool
hs_start_all(hs_suite_t *suite)
{
    if (!hs_start(suite, HS_GRID))
        return false;
    bool ok = true;
    for (int s = 1; s < HS_N; s++)
        ok = launch(suite, s) && ok;
    for (int s = 1; s < HS_N && ok; s++) {
        if (sf_test_daemon_wait_ready(suite->daemons[s].daemon, 30000) != 0)
            return SF_FAIL("%s did not start (log %s)", hs_services[s], suite->daemons[s].log);
        suite->admin[s] = hs_client(suite, s, "admin", 10000, 3);
        ok = (sf_test_wait_database(suite->admin[s], 30000) || SF_FAIL("%s: database not up", hs_services[s])) && ok;
    }
    return ok;
}

bool
hs_stop(hs_suite_t *suite, int s)
{
    if (!suite->daemons[s].daemon)
        return true;
    return SF_CHECK_EQ_INT(sf_test_daemon_stop(&suite->daemons[s].daemon), 0);
}

void
hs_kill(hs_suite_t *suite, int s)
{
    if (suite->daemons[s].daemon)
        sf_test_daemon_kill(&suite->daemons[s].daemon);
}

bool
hs_start_gateway(hs_suite_t *suite)
{
    char lines[40][600];
    const char *env[48];
    int n = common_env(suite, lines, 0);
    /* Port 0: the gateway says the port it got, read below; a restart gets
     * another one. */
    snprintf(lines[n++], 600, "SIFANG_GATEWAY_HTTP=%s", SF_TEST_HTTP_ANY);
    snprintf(lines[n++], 600, "SIFANG_GATEWAY_DATABASE_URL=user=sifang_gateway");
    if (suite->curve)
        snprintf(lines[n++], 600, "SIFANG_CURVE_CLIENT_KEY_FILE=%s/gateway.key", suite->dir);
    int e = 0;
    for (int i = 0; i < n; i++)
        env[e++] = lines[i];
    /* First: the environment's first setting of a name is the one read. */
    for (int i = 0; suite->gateway_extra[i] && e < 40; i++)
        env[e++] = suite->gateway_extra[i];
    env[e++] = "SIFANG_GATEWAY_SERVICES=grid intake employment volunteer evaluation";
    env[e++] = "SIFANG_GATEWAY_ORIGINS=" HS_ORIGIN;
    env[e++] = "SIFANG_GATEWAY_LOGIN_ADDRESS_BURST=200";
    env[e++] = "SIFANG_GATEWAY_KEYS_REFRESH_MS=200";
    env[e++] = "SIFANG_GATEWAY_TIMEOUT_MS=5000";
    env[e] = NULL;
    char path[512];
    sf_test_service_path(path, sizeof path, "gateway");
    suite->gateway = sf_test_daemon_start(path, env, suite->gateway_log);
    if (!suite->gateway || sf_test_daemon_wait_ready(suite->gateway, 30000) != 0)
        return false;
    atomic_store(&suite->http_port, sf_test_daemon_http_port(suite->gateway));
    return atomic_load(&suite->http_port) > 0 || SF_FAIL("the gateway's serving line names no port");
}

void
hs_finish(hs_suite_t *suite)
{
    if (suite->gateway)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&suite->gateway), 0);
    for (int s = HS_N - 1; s >= 0; s--) {
        sf_client_destroy(&suite->admin[s]);
        if (suite->daemons[s].daemon && !SF_CHECK_EQ_INT(sf_test_daemon_stop(&suite->daemons[s].daemon), 0))
            printf("%s did not exit 0 on SIGTERM (log %s)\n", hs_services[s], suite->daemons[s].log);
    }
    if (suite->db)
        PQfinish(suite->db);
    suite->db = NULL;
    if (!sf_test_failures())
        sf_test_rmtree(suite->dir);
    else
        printf("logs kept in %s\n", suite->dir);
}

const hs_key_t *
hs_key(const hs_suite_t *suite, const char *id)
{
    for (int k = 0; k < suite->n_keys; k++)
        if (strcmp(suite->keys[k].id, id) == 0)
            return &suite->keys[k];
    return NULL;
}

sf_client_t *
hs_client(const hs_suite_t *suite, int s, const char *principal, int timeout_ms, int retries)
{
    const hs_key_t *key = hs_key(suite, principal);
    if (!key) {
        SF_FAIL("no principal %s", principal);
        return NULL;
    }
    sf_client_t *client;
    if (suite->curve) {
        sf_curve_client_t curve;
        memset(&curve, 0, sizeof curve);
        curve.enabled = true;
        curve.keypair = key->keypair;
        snprintf(curve.server_public_key, sizeof curve.server_public_key, "%s",
                 suite->daemons[s].keypair.public_key);
        client = sf_client_new(suite->daemons[s].endpoint, &curve);
    } else {
        client = sf_client_new(suite->daemons[s].endpoint, NULL);
        sf_client_set_principal(client, key->id, key->role, key->scope);
    }
    sf_client_set_timeout(client, timeout_ms);
    sf_client_set_retries(client, retries);
    return client;
}

sf_status_t
hs_call(sf_client_t *client, const char *service, const char *method, const char *request_id, const char *json,
        cJSON **reply, sf_reply_info_t *info)
{
    static sf_reply_info_t local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    info->message = "";
    if (reply)
        *reply = NULL;
    const ProtobufCMethodDescriptor *rpc = sf_registry_method(service, method);
    if (!rpc) {
        SF_FAIL("%s has no method %s", service, method);
        return SF_UNIMPLEMENTED;
    }
    char field[128], error[256];
    ProtobufCMessage *request = sf_json_parse_message(rpc->input, json, strlen(json), field, sizeof field, error,
                                                      sizeof error);
    if (!request) {
        SF_FAIL("%s.%s: request %s does not map: %s: %s", service, method, json, field, error);
        return SF_INVALID_ARGUMENT;
    }
    ProtobufCMessage *reply_message = NULL;
    sf_status_t status = sf_client_call(client, method, request_id, request, rpc->output, &reply_message, info);
    protobuf_c_message_free_unpacked(request, NULL);
    if (status == SF_OK && reply_message) {
        if (reply)
            *reply = sf_json_from_message(reply_message);
        protobuf_c_message_free_unpacked(reply_message, NULL);
    }
    return status;
}

sf_status_t
hs_must(sf_client_t *client, const char *service, const char *method, const char *json, cJSON **reply, int line)
{
    sf_reply_info_t info;
    sf_status_t status = hs_call(client, service, method, NULL, json, reply, &info);
    if (status != SF_OK)
        SF_FAIL("line %d: %s.%s %s: %s: %s%s%s", line, service, method, json, sf_status_name(status),
                info.message ? info.message : "", info.n_violations ? " field " : "",
                info.n_violations ? info.violation_fields[0] : "");
    return status;
}

const char *
hs_text(const cJSON *json, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, name);
    return cJSON_IsString(item) ? item->valuestring : "";
}

void
hs_id_number(char out[19], int serial)
{
    static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    char digits[40];
    snprintf(digits, sizeof digits, "370203%04d%02d%02d%03d", 1950 + serial % 40, 1 + serial % 12,
             1 + serial % 28, (serial * 7) % 1000);
    memcpy(out, digits, 17);
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (out[i] - '0') * weights[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = 0;
}

static bool
unit(hs_suite_t *suite, const char *code, const char *kind, const char *parent)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"code\":\"%s\",\"kind\":\"UNIT_KIND_%s\",\"name\":\"unit %s\",\"parent_code\":\"%s\"%s}", code, kind,
             code, parent, strcmp(kind, "ZONE") == 0 ? ",\"location\":{\"lat\":36.1,\"lon\":120.38}" : "");
    return HS_MUST(suite->admin[HS_GRID], "grid", "UnitCreate", json, NULL) == SF_OK;
}

bool
hs_load_district(hs_suite_t *suite)
{
    hs_district_t *d = &suite->district;
    bool ok = unit(suite, "370205", "DISTRICT", "");
    const char *streets[2] = { HS_STREET_1, HS_STREET_2 };
    const char *communities[2] = { HS_COMMUNITY_1, HS_COMMUNITY_2 };
    const char *zones[2] = { HS_ZONE_1, HS_ZONE_2 };
    sf_client_t *grid = suite->admin[HS_GRID];
    for (int s = 0; s < 2 && ok; s++) {
        char group[32];
        snprintf(group, sizeof group, "%s1", zones[s]);   /* the zone's first building group */
        ok = unit(suite, streets[s], "STREET", "370205") && unit(suite, communities[s], "COMMUNITY", streets[s])
             && unit(suite, zones[s], "ZONE", communities[s]) && unit(suite, group, "BUILDING_GROUP", zones[s]);
        char json[512];
        cJSON *reply = NULL;
        snprintf(json, sizeof json,
                 "{\"name\":\"委员%d\",\"kind\":\"STAFF_KIND_COMMUNITY_COMMITTEE\",\"unit_code\":\"%s\","
                 "\"active\":true}", s + 1, communities[s]);
        ok = ok && HS_MUST(grid, "grid", "StaffCreate", json, &reply) == SF_OK;
        snprintf(d->staff[s], sizeof d->staff[s], "%s", hs_text(reply, "id"));
        cJSON_Delete(reply);
        snprintf(json, sizeof json, "{\"staff_id\":\"%s\",\"unit_code\":\"%s\","
                 "\"kind\":\"RESPONSIBILITY_KIND_ZONE_COMMITTEE\"}", d->staff[s], zones[s]);
        ok = ok && HS_MUST(grid, "grid", "ResponsibilityAssign", json, NULL) == SF_OK;
        for (int h = 0; h < HS_MAX_HOUSEHOLDS && ok; h++) {
            snprintf(d->households[s][h], sizeof d->households[s][h], "%.15s%03d", group, (h + 1) % 1000);
            snprintf(json, sizeof json, "{\"code\":\"%s\",\"address\":\"%d号楼%d室\"}", d->households[s][h], s + 1,
                     h + 101);
            ok = HS_MUST(grid, "grid", "HouseholdCreate", json, NULL) == SF_OK;
            hs_id_number(d->id_numbers[s][h], s * 100 + h);
            snprintf(d->phones[s][h], sizeof d->phones[s][h], "139%08d", 41000000 + s * 1000 + h * 37);
            snprintf(json, sizeof json,
                     "{\"household_code\":\"%s\",\"name\":\"住户%d-%d\",\"id_number\":\"%s\",\"phone\":\"%s\","
                     "\"relation\":\"head\"}", d->households[s][h], s + 1, h + 1, d->id_numbers[s][h],
                     d->phones[s][h]);
            ok = ok && HS_MUST(grid, "grid", "ResidentCreate", json, &reply) == SF_OK;
            snprintf(d->residents[s][h], sizeof d->residents[s][h], "%s", hs_text(reply, "id"));
            cJSON_Delete(reply);
        }
    }
    if (!ok)
        return false;
    /* The followers have the households (and residents) in their copies. */
    const char *copies[] = { "SELECT count(*) FROM intake.ref_household", "SELECT count(*) FROM volunteer.ref_resident",
                             "SELECT count(*) FROM employment.ref_resident" };
    for (size_t c = 0; c < 3; c++) {
        long long have = -1;
        for (int waited = 0; waited < 20000; waited += 100) {
            have = sf_test_pg_int(suite->db, copies[c]);
            if (have >= 2 * HS_MAX_HOUSEHOLDS)
                break;
            pause_ms(100);
        }
        if (!SF_CHECK(have >= 2 * HS_MAX_HOUSEHOLDS))
            printf("%s: %lld\n", copies[c], have);
    }
    return true;
}

bool
hs_log_contains(const hs_suite_t *suite, int s, const char *text)
{
    FILE *log = fopen(s < 0 ? suite->gateway_log : suite->daemons[s].log, "r");
    if (!log)
        return false;
    char line[16384];
    bool found = false;
    while (!found && fgets(line, sizeof line, log))
        found = strstr(line, text) != NULL;
    fclose(log);
    return found;
}

bool
hs_api_key(hs_suite_t *suite, const char *principal, const char *role, const char *scope, char *out, size_t size)
{
    char command[1024];
    snprintf(command, sizeof command,
             "SIFANG_GATEWAY_DATABASE_URL=user=sifang_gateway %s/services/gateway/sifang-gateway-keys create --principal %s --role %s%s%s 2>>%s/keys.log",
             sf_test_binary_dir(), principal, role, scope && *scope ? " --scope " : "", scope ? scope : "",
             suite->dir);
    FILE *pipe = popen(command, "r");
    if (!pipe)
        return false;
    char output[8192];
    size_t got = fread(output, 1, sizeof output - 1, pipe);
    output[got] = 0;
    int rc = pclose(pipe);
    cJSON *made = cJSON_Parse(output);
    snprintf(out, size, "%s", hs_text(made, "key"));
    cJSON_Delete(made);
    return (rc == 0 && out[0]) || SF_FAIL("sifang-gateway-keys create --principal %s: exit %d", principal, rc);
}

/* --- people ------------------------------------------------------------------ */

static const hs_person_t people_of_roles[P_N] = {
    [P_CLERK] = { "clerk", "window_clerk", "STAFF_KIND_COMMUNITY_COMMITTEE", HS_COMMUNITY_1, "" },
    [P_CADRE] = { "cadre", "zone_cadre", NULL, NULL, "" },
    [P_COMMUNITY] = { "community", "community_staff", "STAFF_KIND_COMMUNITY_COMMITTEE", HS_COMMUNITY_1, "" },
    [P_STREET] = { "street", "street_staff", "STAFF_KIND_STREET_CADRE", HS_STREET_1, "" },
    [P_DEPARTMENT] = { "dept", "department_staff", "STAFF_KIND_DEPARTMENT_STAFF", "370205", "civil-affairs" },
    [P_COUNSELLOR] = { "counsellor", "employment_counsellor", "STAFF_KIND_COMMUNITY_COMMITTEE", HS_COMMUNITY_1, "" },
    [P_COORDINATOR] = { "coordinator", "volunteer_coordinator", "STAFF_KIND_COMMUNITY_COMMITTEE", HS_COMMUNITY_1, "" },
    [P_APPRAISAL] = { "appraisal", "appraisal_office", "STAFF_KIND_DEPARTMENT_STAFF", "370205", "civil-affairs" },
    [P_LEADER] = { "leader", "leader", "STAFF_KIND_DISTRICT_LEADER", "370205", "" },
    [P_PRIVACY] = { "privacy", "privacy_officer", NULL, NULL, "" },
    [P_ADMIN] = { "admin.people", "administrator", NULL, NULL, "" },
};

int
hs_person_call(hs_suite_t *suite, const hs_person_t *p, const char *method, const char *path, const char *body,
               http_reply_t *reply)
{
    char headers[512];
    bool write = strcmp(method, "GET") != 0;
    snprintf(headers, sizeof headers, "Cookie: sf_session=%s\r\n%s%s%s%s", p->cookie,
             write ? "Origin: " HS_ORIGIN "\r\n" : "", write ? "X-CSRF-Token: " : "", write ? p->csrf : "",
             write ? "\r\n" : "");
    if (body)
        snprintf(headers + strlen(headers), sizeof headers - strlen(headers), "Content-Type: application/json\r\n");
    return http_request(atomic_load(&suite->http_port), method, path, headers, body, body ? strlen(body) : 0, reply);
}

/* Logs p in with password, and changes it when the account must. */
static bool
person_log_in(hs_suite_t *suite, hs_person_t *p, const char *password)
{
    char body[256];
    snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", p->login, password);
    http_reply_t reply;
    int status = http_request(atomic_load(&suite->http_port), "POST", "/v1/session",
                              "Content-Type: application/json\r\n", body, strlen(body), &reply);
    char cookie[256] = "";
    if (status != 200 || !http_header(&reply, "Set-Cookie", cookie, sizeof cookie)) {
        SF_FAIL("%s cannot log in: %d %.200s", p->login, status, reply.body ? reply.body : "");
        http_reply_release(&reply);
        return false;
    }
    sscanf(cookie, "sf_session=%95[^;]", p->cookie);
    snprintf(p->csrf, sizeof p->csrf, "%s", hs_text(reply.json, "csrf_token"));
    bool change = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply.json, "must_change_password"));
    http_reply_release(&reply);
    snprintf(p->password, sizeof p->password, "%s", password);
    if (change) {
        snprintf(p->password, sizeof p->password, "%.40s-Changed9", password);
        snprintf(body, sizeof body, "{\"old_password\":\"%s\",\"new_password\":\"%s\"}", password, p->password);
        status = hs_person_call(suite, p, "POST", "/v1/session/password", body, &reply);
        if (status != 200 && status != 204)
            SF_FAIL("%s cannot change the initial password: %d %.200s", p->login, status, reply.body ? reply.body : "");
        http_reply_release(&reply);
    }
    return SF_CHECK(p->cookie[0] && p->csrf[0]);
}

bool
hs_make_people(hs_suite_t *suite)
{
    sf_client_t *grid = suite->admin[HS_GRID];
    hs_call(grid, "grid", "DepartmentCreate", NULL, "{\"code\":\"civil-affairs\",\"name\":\"民政局\"}", NULL, NULL);
    for (int i = 0; i < P_N; i++) {
        hs_person_t *p = &suite->people[i];
        *p = people_of_roles[i];
        if (i == P_CADRE)
            snprintf(p->staff_id, sizeof p->staff_id, "%s", suite->district.staff[0]);
        else if (p->staff_kind) {
            char json[512];
            cJSON *reply = NULL;
            snprintf(json, sizeof json,
                     "{\"name\":\"%s\",\"kind\":\"%s\",\"unit_code\":\"%s\",\"department_code\":\"%s\","
                     "\"active\":true}", p->login, p->staff_kind, p->unit, p->department);
            if (HS_MUST(grid, "grid", "StaffCreate", json, &reply) != SF_OK)
                return false;
            snprintf(p->staff_id, sizeof p->staff_id, "%s", hs_text(reply, "id"));
            cJSON_Delete(reply);
        }
        char password_file[400], password[64], command[1400];
        snprintf(password, sizeof password, "Xk9#mQ2-%02d-vLw", i);
        snprintf(password_file, sizeof password_file, "%s/%s.password", suite->dir, p->login);
        FILE *file = fopen(password_file, "w");
        if (!file)
            return SF_FAIL("cannot write %s", password_file);
        fprintf(file, "%s\n", password);
        fclose(file);
        snprintf(command, sizeof command,
                 "%s/services/gateway/sifang-gateway-accounts create --login %s --display-name %s --role %s"
                 "%s%s%s%s --password-file %s >>%s/accounts.log 2>&1",
                 sf_test_binary_dir(), p->login, p->login, p->role, p->staff_id[0] ? " --staff-id " : "",
                 p->staff_id, p->department[0] ? " --department " : "", p->department, password_file, suite->dir);
        if (!SF_CHECK_EQ_INT(system(command), 0))
            return SF_FAIL("the accounts tool refused %s (see %s/accounts.log)", p->login, suite->dir);
        if (!person_log_in(suite, p, password))
            return false;
    }
    return true;
}
