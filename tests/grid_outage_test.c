/* Stopping PostgreSQL while grid serves: grid answers UNAVAILABLE (and Ping
 * says the database is down), keeps running, and recovers by itself when
 * PostgreSQL is back; a write refused during the outage succeeds, once, when
 * retried with its request id. Real grid, real PostgreSQL stopped and
 * started (RUN_SERIAL: the cluster is shared). */
#include "sf_client.h"
#include "sf_config.h"
#include "sf_test.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
database_up(sf_client_t *grid)
{
    Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
    Sifang__V1__PingReply *pong = NULL;
    int up = -1;
    if (sf_client_call(grid, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                       (ProtobufCMessage **) &pong, NULL) == SF_OK) {
        up = pong->database_up;
        protobuf_c_message_free_unpacked(&pong->base, NULL);
    }
    return up;
}

static sf_status_t
create_district(sf_client_t *grid, const char *request_id, sf_reply_info_t *info)
{
    Sifang__V1__OrgUnit unit = SIFANG__V1__ORG_UNIT__INIT;
    unit.code = "370205";
    unit.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT;
    unit.name = "四方区";
    return sf_client_call(grid, "UnitCreate", request_id, &unit.base, NULL, NULL, info);
}

static sf_status_t
get_district(sf_client_t *grid, sf_reply_info_t *info)
{
    Sifang__V1__CodeRequest request = SIFANG__V1__CODE_REQUEST__INIT;
    request.code = "370205";
    return sf_client_call(grid, "UnitGet", NULL, &request.base, NULL, NULL, info);
}

int
main(void)
{
    if (sf_test_pg_env("grid_outage_test") != 0)
        return sf_test_done();
    char dir[256], path[512], endpoint_env[128], publish_env[128], log_path[512];
    sf_test_tmpdir(dir, sizeof dir);
    char *endpoint = sf_test_ipc_endpoint(dir, "grid.router"), *publish = sf_test_ipc_endpoint(dir, "grid.pub");
    sf_test_service_path(path, sizeof path, "grid");
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=%s", endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=%s", publish);
    snprintf(log_path, sizeof log_path, "%s/grid.log", dir);
    const char *env[] = { endpoint_env, publish_env, NULL };
    sf_test_daemon_t *daemon = sf_test_daemon_start(path, env, log_path);
    sf_client_t *grid = sf_client_new(endpoint, NULL);
    sf_reply_info_t info;
    if (!SF_CHECK(daemon && grid && sf_test_daemon_wait_ready(daemon, 10000) == 0))
        goto cleanup;
    for (int i = 0; i < 100 && database_up(grid) != 1; i++)
        usleep(100 * 1000);
    SF_CHECK_EQ_INT(database_up(grid), 1);

    SF_CHECK(sf_test_pg_run("stop") == 0);
    SF_CHECK_EQ_INT(get_district(grid, &info), SF_UNAVAILABLE);
    SF_CHECK_EQ_INT(create_district(grid, "outage-create", &info), SF_UNAVAILABLE);
    SF_CHECK_EQ_INT(database_up(grid), 0);
    SF_CHECK(sf_test_daemon_running(daemon));

    SF_CHECK(sf_test_pg_run("start") == 0);
    int waited_ms = 0;
    while (waited_ms < 20000 && database_up(grid) != 1) {
        usleep(100 * 1000);
        waited_ms += 100;
    }
    printf("grid recovered %d ms after PostgreSQL came back\n", waited_ms);
    /* Reconnecting backs off to 1 s at most, and a Ping tries at once. */
    SF_CHECK(waited_ms <= 2000);
    SF_CHECK_EQ_INT(create_district(grid, "outage-create", &info), SF_OK);
    SF_CHECK(!info.replayed);
    SF_CHECK_EQ_INT(create_district(grid, "outage-create", &info), SF_OK);
    SF_CHECK(info.replayed);
    SF_CHECK_EQ_INT(get_district(grid, &info), SF_OK);
    PGconn *conn = sf_test_pg_connect();
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM grid.org_unit"), 1);
    if (conn)
        PQfinish(conn);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemon), 0);
cleanup:
    sf_client_destroy(&grid);
    if (daemon)
        sf_test_daemon_stop(&daemon);
    if (!sf_test_failures())
        sf_test_rmtree(dir);
    else
        printf("log: %s\n", log_path);
    free(endpoint);
    free(publish);
    return sf_test_done();
}
