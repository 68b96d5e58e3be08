/* A follower of grid's events (the mirror daemon) that is killed mid-stream,
 * stopped and started again while grid keeps changing ends with exactly
 * grid's state: every unit and household, each change applied once. Real
 * grid, real mirror, real PostgreSQL. */
#include "sf_client.h"
#include "sf_config.h"
#include "sf_test.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];
static char *grid_endpoint, *grid_publish, *mirror_endpoint, *mirror_publish;

static sf_test_daemon_t *
start_grid(void)
{
    char path[512], endpoint[128], publish[128], log_path[512];
    sf_test_service_path(path, sizeof path, "grid");
    snprintf(endpoint, sizeof endpoint, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(publish, sizeof publish, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    snprintf(log_path, sizeof log_path, "%s/grid.log", dir);
    const char *env[] = { endpoint, publish, NULL };
    sf_test_daemon_t *daemon = sf_test_daemon_start(path, env, log_path);
    SF_CHECK(daemon && sf_test_daemon_wait_ready(daemon, 10000) == 0);
    return daemon;
}

static sf_test_daemon_t *
start_mirror(void)
{
    char grid_e[128], grid_p[128], mirror_e[128], mirror_p[128], log_path[512];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    snprintf(mirror_e, sizeof mirror_e, "SIFANG_MIRROR_ENDPOINT=%s", mirror_endpoint);
    snprintf(mirror_p, sizeof mirror_p, "SIFANG_MIRROR_PUBLISH=%s", mirror_publish);
    snprintf(log_path, sizeof log_path, "%s/mirror.log", dir);
    const char *env[] = { grid_e, grid_p, mirror_e, mirror_p, "SIFANG_MIRROR_POLL_MS=200", "SIFANG_MIRROR_PAGE_SIZE=20", NULL };
    sf_test_daemon_t *daemon = sf_test_daemon_start(MIRROR_PATH, env, log_path);
    SF_CHECK(daemon && sf_test_daemon_wait_ready(daemon, 10000) == 0);
    return daemon;
}

/* Sends everything pipelined; returns how many came back OK. */
static int
pipeline(sf_client_t *client, const char *method, ProtobufCMessage **requests, char **request_ids, int n)
{
    int sent = 0, received = 0, ok = 0;
    while (received < n) {
        while (sent < n && sent - received < 300) {
            if (sf_client_send(client, method, request_ids[sent], requests[sent]) != 0)
                break;
            sent++;
        }
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        if (sf_client_recv(client, 15000, &body, &size, &info) != 1)
            break;
        free(body);
        received++;
        if (info.status == SF_OK)
            ok++;
        else
            printf("%s %s: %s %s\n", method, info.request_id, sf_status_name(info.status), info.message);
    }
    return ok;
}

/* The test district: 1 district, 2 streets, 4 communities, 24 zones, 48
 * building groups, 30 households in each. */
#define N_UNITS 79
#define N_HOUSEHOLDS (48 * 30)

static char unit_codes[N_UNITS][16];
static int unit_kinds[N_UNITS];
static char household_codes[N_HOUSEHOLDS][20];

static void
plan_district(void)
{
    int n = 0, h = 0;
    snprintf(unit_codes[n], 16, "370205");
    unit_kinds[n++] = 1;
    for (int s = 1; s <= 2; s++) {
        snprintf(unit_codes[n], 16, "370205%03d", s);
        unit_kinds[n++] = 2;
        for (int c = 1; c <= 2; c++) {
            snprintf(unit_codes[n], 16, "370205%03d%03d", s, c);
            unit_kinds[n++] = 3;
            for (int z = 1; z <= 6; z++) {
                snprintf(unit_codes[n], 16, "370205%03d%03d%02d", s, c, z);
                unit_kinds[n++] = 4;
                for (int b = 1; b <= 2; b++) {
                    snprintf(unit_codes[n], 16, "370205%03d%03d%02d%d", s, c, z, b);
                    unit_kinds[n++] = 5;
                    for (int k = 1; k <= 30; k++)
                        snprintf(household_codes[h++], 20, "370205%03d%03d%02d%d%03d", s, c, z, b, k);
                }
            }
        }
    }
}

static int
create_units(sf_client_t *client)
{
    int ok = 0;
    for (int kind = 1; kind <= 5; kind++) {
        ProtobufCMessage *requests[N_UNITS];
        char *ids[N_UNITS];
        Sifang__V1__OrgUnit units[N_UNITS];
        Sifang__V1__GeoPoint points[N_UNITS];
        char parents[N_UNITS][16], names[N_UNITS][32], request_ids[N_UNITS][48];
        int n = 0;
        for (int i = 0; i < N_UNITS; i++) {
            if (unit_kinds[i] != kind)
                continue;
            sifang__v1__org_unit__init(&units[n]);
            sifang__v1__geo_point__init(&points[n]);
            units[n].code = unit_codes[i];
            units[n].kind = (Sifang__V1__UnitKind) kind;
            snprintf(names[n], sizeof names[n], "unit %s", unit_codes[i]);
            units[n].name = names[n];
            /* The parent's code is the longest other code this one starts with. */
            size_t length = strlen(unit_codes[i]);
            size_t parent_length = kind == 2 ? 6 : kind == 3 ? 9 : kind == 4 ? 12 : kind == 5 ? 14 : 0;
            (void) length;
            snprintf(parents[n], sizeof parents[n], "%.*s", (int) parent_length, unit_codes[i]);
            units[n].parent_code = parents[n];
            if (kind == 4) {
                points[n].lat = 36.10 + i * 0.0005;
                points[n].lon = 120.36 + i * 0.0005;
                units[n].location = &points[n];
            }
            snprintf(request_ids[n], sizeof request_ids[n], "unit-create-%s", unit_codes[i]);
            requests[n] = &units[n].base;
            ids[n] = request_ids[n];
            n++;
        }
        ok += pipeline(client, "UnitCreate", requests, ids, n);
    }
    return ok;
}

static int
create_households(sf_client_t *client, int from, int to)
{
    int n = to - from;
    ProtobufCMessage **requests = calloc((size_t) n, sizeof *requests);
    char **ids = calloc((size_t) n, sizeof *ids);
    Sifang__V1__Household *households = calloc((size_t) n, sizeof *households);
    char (*building_groups)[16] = calloc((size_t) n, sizeof *building_groups);
    char (*request_ids)[48] = calloc((size_t) n, sizeof *request_ids);
    for (int i = 0; i < n; i++) {
        const char *code = household_codes[from + i];
        sifang__v1__household__init(&households[i]);
        households[i].code = (char *) code;
        snprintf(building_groups[i], sizeof building_groups[i], "%.15s", code);
        households[i].building_group_code = building_groups[i];
        households[i].address = "test road";
        snprintf(request_ids[i], sizeof request_ids[i], "household-create-%s", code);
        requests[i] = &households[i].base;
        ids[i] = request_ids[i];
    }
    int ok = pipeline(client, "HouseholdCreate", requests, ids, n);
    free(requests);
    free(ids);
    free(households);
    free(building_groups);
    free(request_ids);
    return ok;
}

/* Renames every zone and flags every 7th household: changes after creation,
 * so the mirror must apply updates in order, once each. */
static int
update_some(sf_client_t *client, int round)
{
    int ok = 0;
    char name[64], request_id[64];
    for (int i = 0; i < N_UNITS; i++) {
        if (unit_kinds[i] != 4)
            continue;
        Sifang__V1__UnitUpdateRequest update = SIFANG__V1__UNIT_UPDATE_REQUEST__INIT;
        update.code = unit_codes[i];
        snprintf(name, sizeof name, "zone %.15s round %d", unit_codes[i], round);
        update.name = name;
        snprintf(request_id, sizeof request_id, "unit-update-%d-%.15s", round, unit_codes[i]);
        ok += sf_client_call(client, "UnitUpdate", request_id, &update.base, NULL, NULL, NULL) == SF_OK;
    }
    Sifang__V1__HouseholdFlag flags[1] = { round % 2 ? SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME
                                                     : SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_DISABLED };
    for (int i = round; i < N_HOUSEHOLDS; i += 7) {
        Sifang__V1__HouseholdUpdateRequest update = SIFANG__V1__HOUSEHOLD_UPDATE_REQUEST__INIT;
        update.code = household_codes[i];
        update.set_flags = true;
        update.n_flags = 1;
        update.flags = flags;
        snprintf(request_id, sizeof request_id, "household-update-%d-%s", round, household_codes[i]);
        ok += sf_client_call(client, "HouseholdUpdate", request_id, &update.base, NULL, NULL, NULL) == SF_OK;
    }
    return ok;
}

static int64_t
grid_head(sf_client_t *grid)
{
    Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
    Sifang__V1__PingReply *pong = NULL;
    int64_t head = -1;
    if (sf_client_call(grid, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                       (ProtobufCMessage **) &pong, NULL) == SF_OK) {
        head = pong->event_head;
        protobuf_c_message_free_unpacked(&pong->base, NULL);
    }
    return head;
}

static int64_t
mirror_cursor(void)
{
    sf_client_t *mirror = sf_client_new(mirror_endpoint, NULL);
    Sifang__V1__StatsRequest request = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *stats = NULL;
    int64_t cursor = -1;
    if (sf_client_call(mirror, "Sys.Stats", NULL, &request.base, &sifang__v1__stats_reply__descriptor,
                       (ProtobufCMessage **) &stats, NULL) == SF_OK) {
        if (stats->n_followers == 1)
            cursor = stats->followers[0]->count;
        protobuf_c_message_free_unpacked(&stats->base, NULL);
    }
    sf_client_destroy(&mirror);
    return cursor;
}

int
main(void)
{
    if (sf_test_pg_env("grid_follower_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    /* ipc: grid and the mirror come back where the other expects them. */
    grid_endpoint = sf_test_ipc_endpoint(dir, "grid.router");
    grid_publish = sf_test_ipc_endpoint(dir, "grid.pub");
    mirror_endpoint = sf_test_ipc_endpoint(dir, "mirror.router");
    mirror_publish = sf_test_ipc_endpoint(dir, "mirror.pub");
    plan_district();
    PGconn *conn = sf_test_pg_connect();
    sf_test_daemon_t *grid = start_grid();
    sf_test_daemon_t *mirror = start_mirror();
    sf_client_t *client = sf_client_new(grid_endpoint, NULL);
    sf_client_set_timeout(client, 10000);
    if (!SF_CHECK(conn && grid && mirror && client))
        goto cleanup;

    /* The mirror is away while the first wave lands, then killed while it
     * catches up, between two of its pages. */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&mirror), 0);
    SF_CHECK_EQ_INT(create_units(client), N_UNITS);
    SF_CHECK_EQ_INT(create_households(client, 0, N_HOUSEHOLDS / 2), N_HOUSEHOLDS / 2);
    int64_t first_head = grid_head(client), cursor_at_kill = -1;
    mirror = start_mirror();
    for (int i = 0; i < 2000; i++) {
        cursor_at_kill = mirror_cursor();
        if (cursor_at_kill > 0)
            break;
        usleep(2000);
    }
    SF_CHECK_EQ_INT(sf_test_daemon_kill(&mirror), 128 + 9);
    printf("mirror killed at cursor %lld of head %lld\n", (long long) cursor_at_kill, (long long) first_head);
    SF_CHECK(cursor_at_kill > 0 && cursor_at_kill < first_head);

    SF_CHECK_EQ_INT(create_households(client, N_HOUSEHOLDS / 2, N_HOUSEHOLDS), N_HOUSEHOLDS / 2);
    int updates = update_some(client, 1);
    SF_CHECK(updates > 200);

    /* Started, then stopped cleanly mid-stream, then started for good. */
    mirror = start_mirror();
    usleep(100 * 1000);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&mirror), 0);
    SF_CHECK(update_some(client, 2) == updates);
    mirror = start_mirror();
    SF_CHECK(update_some(client, 3) == updates);

    /* Grid goes away: the mirror keeps answering at once (its follower
     * waits on nothing), and picks up again when grid is back. */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);
    int64_t slowest = 0;
    for (int i = 0; i < 30; i++) {
        int64_t started = sf_clock_ms();
        SF_CHECK(mirror_cursor() >= 0);
        int64_t took = sf_clock_ms() - started;
        slowest = took > slowest ? took : slowest;
        usleep(100 * 1000);
    }
    printf("mirror's slowest answer while grid was down: %lld ms\n", (long long) slowest);
    SF_CHECK(slowest < 500);
    grid = start_grid();
    SF_CHECK(update_some(client, 4) == updates);

    int64_t head = grid_head(client), cursor = -1;
    for (int i = 0; i < 300 && cursor != head; i++) {
        usleep(100 * 1000);
        cursor = mirror_cursor();
    }
    printf("grid head %lld, mirror cursor %lld\n", (long long) head, (long long) cursor);
    SF_CHECK_EQ_INT(cursor, head);

    /* Exactly grid's state, both ways, and every change applied once: a unit
     * applied twice would show more events than its version. */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn,
        "SELECT count(*) FROM (SELECT code, kind::int, name, version FROM grid.org_unit"
        " EXCEPT SELECT code, kind, name, version FROM mirror.unit) AS missing"), 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn,
        "SELECT count(*) FROM (SELECT code, kind, name, version FROM mirror.unit"
        " EXCEPT SELECT code, kind::int, name, version FROM grid.org_unit) AS extra"), 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.unit WHERE events <> version"), 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.unit"), N_UNITS);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn,
        "SELECT count(*) FROM (SELECT code, address, flags::int[], version FROM grid.household"
        " EXCEPT SELECT code, address, flags, version FROM mirror.household) AS missing"), 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.household"), N_HOUSEHOLDS);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.household WHERE version = 2"),
                    sf_test_pg_int(conn, "SELECT count(*) FROM grid.household WHERE version = 2"));

cleanup:
    sf_client_destroy(&client);
    if (mirror)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&mirror), 0);
    if (grid)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);
    if (conn)
        PQfinish(conn);
    if (!sf_test_failures())
        sf_test_rmtree(dir);
    else
        printf("logs in %s\n", dir);
    free(grid_endpoint);
    free(grid_publish);
    free(mirror_endpoint);
    free(mirror_publish);
    return sf_test_done();
}
