/* gateway_bench: a write over HTTP through the gateway (wrk, keep-alive
 * connections) against the same write over ZeroMQ straight to the service
 * (sf_client_send/recv pipelined as deep as wrk has connections), in one
 * run on a PostgreSQL cluster made for it. The write is intake's case
 * submission (POST /v1/intake/cases, CaseSubmit) when sifang-intake is built,
 * else (or with --grid) grid's HouseholdCreate (POST /v1/grid/households).
 * Prints requests/s and latency of both; the last line is
 * gateway_vs_zmq=<ratio>. */
#include "sf_client.h"
#include "sf_config.h"
#include "sf_test.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/intake.pb-c.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ZONES 60                 /* 9 building groups each, 1000 households each */
#define GROUPS_PER_ZONE 9

static int seconds = 10;
static int connections = 32;
static bool use_intake = true;
/* Cases spread over many households (HTTP the first half, ZeroMQ the
 * second), as residents' are: intake looks for an open duplicate per
 * household and item. */
#define CASE_GROUP "370205001001011"
#define CASE_HOUSEHOLDS 998

static sf_status_t
create_unit(sf_client_t *grid, const char *code, Sifang__V1__UnitKind kind, const char *parent)
{
    Sifang__V1__OrgUnit unit = SIFANG__V1__ORG_UNIT__INIT;
    Sifang__V1__GeoPoint location = SIFANG__V1__GEO_POINT__INIT;
    location.lat = 36.1;
    location.lon = 120.4;
    unit.code = (char *) code;
    unit.kind = kind;
    unit.name = (char *) code;
    unit.parent_code = (char *) parent;
    if (kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
        unit.location = &location;
    sf_reply_info_t info;
    return sf_client_call(grid, "UnitCreate", NULL, &unit.base, NULL, NULL, &info);
}

/* The building group code of group index g (0-based). */
static void
group_code(char *out, size_t size, int g)
{
    snprintf(out, size, "370205001001%02d%d", g / GROUPS_PER_ZONE + 1, g % GROUPS_PER_ZONE + 1);
}

static int
load_units(sf_client_t *grid)
{
    if (create_unit(grid, "370205", SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT, "") != SF_OK
        || create_unit(grid, "370205001", SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "370205") != SF_OK
        || create_unit(grid, "370205001001", SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "370205001") != SF_OK)
        return -1;
    for (int z = 1; z <= ZONES; z++) {
        char zone[64];
        snprintf(zone, sizeof zone, "370205001001%02d", z);
        if (create_unit(grid, zone, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "370205001001") != SF_OK)
            return -1;
        for (int b = 1; b <= GROUPS_PER_ZONE; b++) {
            char group[80];
            snprintf(group, sizeof group, "%s%d", zone, b);
            if (create_unit(grid, group, SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, zone) != SF_OK)
                return -1;
        }
    }
    return 0;
}

static void
fill_case(Sifang__V1__CaseSubmitRequest *request, Sifang__V1__CaseRequester *requester, char *household,
          size_t size, int index)
{
    sifang__v1__case_submit_request__init(request);
    sifang__v1__case_requester__init(requester);
    snprintf(household, size, CASE_GROUP "%03d", index + 1);
    requester->kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    requester->household_code = household;
    request->channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WEBSITE;
    request->item_code = "bench-repair";
    request->requester = requester;
    request->description = "bench";
}

/* A department, a household and a catalogue item, and intake knowing them
 * (it follows grid's events): a case submission succeeds. */
static int
prepare_intake(sf_client_t *grid, sf_client_t *intake)
{
    Sifang__V1__Department department = SIFANG__V1__DEPARTMENT__INIT;
    department.code = "civil-affairs";
    department.name = "civil affairs";
    sf_reply_info_t info;
    if (sf_client_call(grid, "DepartmentCreate", NULL, &department.base, NULL, NULL, &info) != SF_OK)
        return -1;
    for (int h = 0; h < CASE_HOUSEHOLDS; h++) {
        char code[32];
        snprintf(code, sizeof code, CASE_GROUP "%03d", h + 1);
        Sifang__V1__Household household = SIFANG__V1__HOUSEHOLD__INIT;
        household.code = code;
        household.building_group_code = CASE_GROUP;
        household.address = "bench";
        if (sf_client_call(grid, "HouseholdCreate", NULL, &household.base, NULL, NULL, &info) != SF_OK)
            return -1;
    }
    Sifang__V1__ServiceItem item = SIFANG__V1__SERVICE_ITEM__INIT;
    item.code = "bench-repair";
    item.name = "bench repair";
    item.category = SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_CONVENIENCE;
    item.department_code = "civil-affairs";
    item.routing = SIFANG__V1__CASE_ROUTING__CASE_ROUTING_ZONE;
    item.time_limit = 3;
    item.time_limit_unit = SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_WORKING_DAYS;
    item.active = true;
    /* The last household registered: intake has them all once it knows it. */
    Sifang__V1__CaseSubmitRequest request;
    Sifang__V1__CaseRequester requester;
    char household_code[32];
    fill_case(&request, &requester, household_code, sizeof household_code, CASE_HOUSEHOLDS - 1);
    bool item_made = false;
    for (int i = 0; i < 100; i++) {
        if (!item_made)
            item_made = sf_client_call(intake, "ItemPut", NULL, &item.base, NULL, NULL, &info) == SF_OK;
        if (item_made && sf_client_call(intake, "CaseSubmit", NULL, &request.base, NULL, NULL, &info) == SF_OK)
            return 0;
        struct timespec pause = { 0, 200 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "gateway_bench: intake never accepted a case: %s\n", info.message ? info.message : "");
    return -1;
}

/* wrk's script: each thread its own building groups, a new household code
 * per request. */
static int
write_script(const char *path, const char *key, int first_group, int groups)
{
    FILE *file = fopen(path, "w");
    if (!file)
        return -1;
    fprintf(file, "local groups = {");
    for (int g = 0; g < groups; g++) {
        char code[32];
        group_code(code, sizeof code, first_group + g);
        fprintf(file, "%s\"%s\"", g ? "," : "", code);
    }
    fprintf(file, "}\n"
            "local threads = 0\n"
            "function setup(thread) thread:set(\"slot\", threads); threads = threads + 1 end\n"
            "local n = 0\n"
            "local per = 0\n"
            "function init(args) per = math.floor(#groups / 4) end\n"
            "wrk.method = \"POST\"\n"
            "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
            "wrk.headers[\"Authorization\"] = \"Bearer %s\"\n"
            "function request()\n"
            "  local group = groups[slot * per + math.floor(n / 1000) %% per + 1]\n"
            "  local body = string.format('{\"code\":\"%%s%%03d\",\"building_group_code\":\"%%s\",\"address\":\"bench\"}',"
            " group, n %% 1000, group)\n"
            "  n = n + 1\n"
            "  return wrk.format(nil, \"/v1/grid/households\", nil, body)\n"
            "end\n"
            "function done(summary, latency, requests)\n"
            "  io.write(string.format(\"wrk_summary requests=%%d errors=%%d p50_ms=%%.2f p99_ms=%%.2f\\n\","
            " summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read"
            " + summary.errors.write + summary.errors.timeout, latency:percentile(50) / 1000,"
            " latency:percentile(99) / 1000))\n"
            "end\n", key);
    return fclose(file);
}

static int
write_case_script(const char *path, const char *key)
{
    FILE *file = fopen(path, "w");
    if (!file)
        return -1;
    fprintf(file, "wrk.method = \"POST\"\n"
            "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
            "wrk.headers[\"Authorization\"] = \"Bearer %s\"\n"
            "local threads = 0\n"
            "function setup(thread) thread:set(\"slot\", threads); threads = threads + 1 end\n"
            "local n = 0\n"
            "function request()\n"
            "  local household = string.format(\"%s%%03d\", (slot * 131 + n) %% %d + 1)\n"
            "  n = n + 1\n"
            "  return wrk.format(nil, nil, nil, '{\"channel\":\"CASE_CHANNEL_WEBSITE\",\"item_code\":\"bench-repair\",'"
            " .. '\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":\"' .. household"
            " .. '\"},\"description\":\"bench\"}')\n"
            "end\n"
            "function done(summary, latency, requests)\n"
            "  io.write(string.format(\"wrk_summary requests=%%d errors=%%d p50_ms=%%.2f p99_ms=%%.2f\\n\","
            " summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read"
            " + summary.errors.write + summary.errors.timeout, latency:percentile(50) / 1000,"
            " latency:percentile(99) / 1000))\n"
            "end\n", key, CASE_GROUP, CASE_HOUSEHOLDS / 2);
    return fclose(file);
}

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

/* The same write over ZeroMQ, `connections` in flight at once. */
static double
zmq_run(const char *endpoint, int first_group, int run_seconds, long first, double *p50, double *p99, long *failed)
{
    sf_client_t *grid = sf_client_new(endpoint, NULL);
    sf_client_set_principal(grid, "bench", "admin", "");
    size_t capacity = 4000000;
    double *latencies = malloc(capacity * sizeof *latencies);
    int64_t *sent_at = calloc(1000000, sizeof *sent_at);
    long sent = first, received = first;
    *failed = 0;
    int64_t start = sf_clock_ms(), until = start + run_seconds * 1000L;
    char code[96], group[64], id[48];
    while (sf_clock_ms() < until || received < sent) {
        while (sent - received < connections && sf_clock_ms() < until && sent < 900000) {
            snprintf(id, sizeof id, "zmq-%ld", sent);
            sent_at[sent] = sf_clock_ms();
            int rc;
            if (use_intake) {
                Sifang__V1__CaseSubmitRequest request;
                Sifang__V1__CaseRequester requester;
                char household_code[32];
                fill_case(&request, &requester, household_code, sizeof household_code,
                          CASE_HOUSEHOLDS / 2 + (int) (sent % (CASE_HOUSEHOLDS / 2)));
                rc = sf_client_send(grid, "CaseSubmit", id, &request.base);
            } else {
                group_code(group, sizeof group, first_group + (int) ((sent - first) / 1000));
                snprintf(code, sizeof code, "%s%03ld", group, (sent - first) % 1000);
                Sifang__V1__Household household = SIFANG__V1__HOUSEHOLD__INIT;
                household.code = code;
                household.building_group_code = group;
                household.address = "bench";
                rc = sf_client_send(grid, "HouseholdCreate", id, &household.base);
            }
            if (rc != 0)
                break;
            sent++;
        }
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        int got = sf_client_recv(grid, 5000, &body, &size, &info);
        if (got <= 0)
            break;
        free(body);
        long index = strtol(info.request_id + 4, NULL, 10);
        if (info.status != SF_OK)
            (*failed)++;
        if (index >= 0 && index < 1000000 && (size_t) (received - first) < capacity)
            latencies[received - first] = (double) (sf_clock_ms() - sent_at[index]);
        received++;
    }
    double elapsed = (double) (sf_clock_ms() - start) / 1000.0;
    long count = received - first;
    qsort(latencies, (size_t) count, sizeof *latencies, compare_doubles);
    *p50 = count ? latencies[count / 2] : 0;
    *p99 = count ? latencies[(size_t) ((double) count * 0.99)] : 0;
    free(latencies);
    free(sent_at);
    sf_client_destroy(&grid);
    return elapsed > 0 ? (double) count / elapsed : 0;
}

int
main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--connections") == 0 && i + 1 < argc)
            connections = atoi(argv[++i]);
        else if (strcmp(argv[i], "--grid") == 0)
            use_intake = false;
        else {
            fprintf(stderr, "usage: gateway_bench [--seconds N] [--connections N] [--grid]\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    if (system("command -v wrk >/dev/null") != 0) {
        fprintf(stderr, "gateway_bench: wrk is not installed (apt-get install wrk)\n");
        return 1;
    }
    char dir[256], pg[512], command[2048];
    if (sf_test_tmpdir(dir, sizeof dir) != 0)
        return 1;
    chmod(dir, 0755);
    snprintf(pg, sizeof pg, "%s/pg", dir);
    printf("gateway_bench: PostgreSQL cluster in %s\n", pg);
    fflush(stdout);
    if (sf_test_pg_own_cluster(pg) != 0)
        return 1;
    int rc = 1;
    sf_test_daemon_t *grid = NULL, *gateway = NULL, *intake = NULL;
    char intake_path[512];
    sf_test_service_path(intake_path, sizeof intake_path, "intake");
    if (use_intake && access(intake_path, X_OK) != 0) {
        printf("gateway_bench: %s is not built: measuring grid's HouseholdCreate instead\n", intake_path);
        use_intake = false;
    }
    if (sf_test_pg_env("gateway_bench") != 0)
        goto done;
    /* TCP, as in production, on port 0: each daemon says the port it got
     * and the next one started is told it. */
    char endpoint_env[600], publish_env[600], http_env[64], path[512], log_path[512];
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=%s", SF_TEST_TCP_ANY);
    snprintf(http_env, sizeof http_env, "SIFANG_GATEWAY_HTTP=%s", SF_TEST_HTTP_ANY);
    sf_test_service_path(path, sizeof path, "grid");
    snprintf(log_path, sizeof log_path, "%s/grid.log", dir);
    const char *grid_env[] = { endpoint_env, publish_env, NULL };
    grid = sf_test_daemon_start(path, grid_env, log_path);
    if (!grid || sf_test_daemon_wait_ready(grid, 20000) != 0)
        goto done;
    const char *endpoint = sf_test_daemon_endpoint(grid, "endpoint");
    const char *publish = sf_test_daemon_endpoint(grid, "publish");
    if (!endpoint || !publish)
        goto done;
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=%s", endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=%s", publish);
    sf_client_t *loader = sf_client_new(endpoint, NULL);
    sf_client_set_timeout(loader, 10000);
    int loaded = load_units(loader);
    sf_client_destroy(&loader);
    if (loaded != 0) {
        fprintf(stderr, "gateway_bench: could not load the units\n");
        goto done;
    }
    const char *intake_endpoint = NULL;
    char intake_env[600], intake_publish_env[128];
    snprintf(intake_env, sizeof intake_env, "SIFANG_INTAKE_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(intake_publish_env, sizeof intake_publish_env, "SIFANG_INTAKE_PUBLISH=%s", SF_TEST_TCP_ANY);
    if (use_intake) {
        snprintf(log_path, sizeof log_path, "%s/intake.log", dir);
        const char *intake_envs[] = { endpoint_env, publish_env, intake_env, intake_publish_env,
                                      "SIFANG_INTAKE_VOLUNTEER=false", "SIFANG_INTAKE_GRID_POLL_MS=200", NULL };
        intake = sf_test_daemon_start(intake_path, intake_envs, log_path);
        if (!intake || sf_test_daemon_wait_ready(intake, 20000) != 0
            || !(intake_endpoint = sf_test_daemon_endpoint(intake, "endpoint")))
            goto done;
        snprintf(intake_env, sizeof intake_env, "SIFANG_INTAKE_ENDPOINT=%s", intake_endpoint);
        sf_client_t *grid_client = sf_client_new(endpoint, NULL), *intake_client = sf_client_new(intake_endpoint, NULL);
        int prepared = prepare_intake(grid_client, intake_client);
        sf_client_destroy(&grid_client);
        sf_client_destroy(&intake_client);
        if (prepared != 0)
            goto done;
    }
    snprintf(command, sizeof command,
             "%s/services/gateway/sifang-gateway-keys create --principal bench --role admin --rate 100000"
             " --burst 1000000 2>/dev/null | sed -n 's/.*\"key\":[[:space:]]*\"\\(sfk_[^\"]*\\)\".*/\\1/p'",
             sf_test_binary_dir());
    FILE *pipe = popen(command, "r");
    char key[128] = "";
    if (!pipe || !fgets(key, sizeof key, pipe)) {
        fprintf(stderr, "gateway_bench: cannot make an API key\n");
        if (pipe)
            pclose(pipe);
        goto done;
    }
    pclose(pipe);
    key[strcspn(key, "\n")] = 0;
    sf_test_service_path(path, sizeof path, "gateway");
    snprintf(log_path, sizeof log_path, "%s/gateway.log", dir);
    const char *gateway_env[] = { http_env, endpoint_env, intake_env,
                                  use_intake ? "SIFANG_GATEWAY_SERVICES=grid intake" : "SIFANG_GATEWAY_SERVICES=grid",
                                  NULL };
    gateway = sf_test_daemon_start(path, gateway_env, log_path);
    if (!gateway || sf_test_daemon_wait_ready(gateway, 20000) != 0)
        goto done;
    int port = sf_test_daemon_http_port(gateway);
    if (port <= 0)
        goto done;

    /* The ZeroMQ baseline runs half before and half after the HTTP run, so
     * that neither sees only the fuller tables. */
    const char *zmq_endpoint = use_intake ? intake_endpoint : endpoint;
    int half_time = seconds / 2 > 0 ? seconds / 2 : 1;
    double before_p50 = 0, before_p99 = 0;
    long before_failed = 0;
    printf("gateway_bench: the same %s over ZeroMQ, %d in flight, %d s before and %d s after\n",
           use_intake ? "CaseSubmit" : "HouseholdCreate", connections, half_time, half_time);
    fflush(stdout);
    double before_rps = zmq_run(zmq_endpoint, ZONES * GROUPS_PER_ZONE / 2, half_time, 0, &before_p50, &before_p99,
                                &before_failed);

    /* HTTP through the gateway: building groups 0..ZONES*9/2. */
    int half = ZONES * GROUPS_PER_ZONE / 2;
    char script[512], output[512];
    snprintf(script, sizeof script, "%s/post.lua", dir);
    snprintf(output, sizeof output, "%s/wrk.txt", dir);
    if ((use_intake ? write_case_script(script, key) : write_script(script, key, 0, half)) != 0)
        goto done;
    const char *operation = use_intake ? "POST /v1/intake/cases (CaseSubmit)"
                                       : "POST /v1/grid/households (HouseholdCreate)";
    printf("gateway_bench: wrk, %d connections, %d s: %s via the gateway\n", connections, seconds, operation);
    fflush(stdout);
    snprintf(command, sizeof command, "wrk -t4 -c%d -d%ds --latency -s '%s' http://127.0.0.1:%d%s >'%s' 2>&1",
             connections, seconds, script, port, use_intake ? "/v1/intake/cases" : "/", output);
    if (system(command) != 0) {
        fprintf(stderr, "gateway_bench: wrk failed\n");
        goto done;
    }
    FILE *result = fopen(output, "r");
    char line[512];
    double http_rps = 0, http_p50 = 0, http_p99 = 0;
    long http_requests = 0, http_errors = 0;
    while (result && fgets(line, sizeof line, result)) {
        sscanf(line, "Requests/sec: %lf", &http_rps);
        sscanf(line, "wrk_summary requests=%ld errors=%ld p50_ms=%lf p99_ms=%lf", &http_requests, &http_errors,
               &http_p50, &http_p99);
    }
    if (result)
        fclose(result);
    printf("gateway (HTTP/JSON, wrk): %.0f requests/s, latency p50 %.2f ms, p99 %.2f ms, %ld requests, %ld errors\n",
           http_rps, http_p50, http_p99, http_requests, http_errors);

    /* The same write over ZeroMQ, the other half of the building groups. */
    double zmq_p50 = 0, zmq_p99 = 0;
    long zmq_failed = 0;
    /* Grid's households of the second half go to building groups the first
     * did not fill. */
    int second_group = half + (int) (before_rps * half_time / 1000.0) + 2;
    double zmq_rps = zmq_run(zmq_endpoint, second_group, half_time, 450000, &zmq_p50, &zmq_p99, &zmq_failed);
    zmq_rps = (zmq_rps + before_rps) / 2;
    zmq_p50 = (zmq_p50 + before_p50) / 2;
    zmq_p99 = zmq_p99 > before_p99 ? zmq_p99 : before_p99;
    zmq_failed += before_failed;
    printf("zeromq (protobuf, sf_client pipelined %d deep, mean of both halves): %.0f requests/s, latency p50 %.2f ms,"
           " p99 %.2f ms,"
           " %ld failed\n", connections, zmq_rps, zmq_p50, zmq_p99, zmq_failed);
    printf("gateway_vs_zmq=%.3f\n", zmq_rps > 0 ? http_rps / zmq_rps : 0);
    rc = http_errors == 0 && zmq_failed == 0 ? 0 : 1;
done:
    if (gateway)
        sf_test_daemon_stop(&gateway);
    if (intake)
        sf_test_daemon_stop(&intake);
    if (grid)
        sf_test_daemon_stop(&grid);
    if (sf_test_pg_run("destroy") == 0)
        sf_test_rmtree(dir);
    return rc;
}
