/* Self-test of the test support library: the test cluster's layout (each
 * service's role reaches only its own schema), the daemon runner, and the
 * endpoints daemons bound on port 0 and said in their serving line. */
#include "sf_test.h"
#include "sifang/v1/sys.pb-c.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

static void check_layout(void)
{
    PGconn *super = NULL, *grid = NULL;
    if (!SF_CHECK_EQ_INT(sf_test_pg_env("testlib_selftest"), 0))
        return;
    /* createdb is idempotent. */
    SF_CHECK_EQ_INT(sf_test_pg_env("testlib_selftest"), 0);
    SF_CHECK_EQ_STR(getenv("PGDATABASE"), "testlib_selftest");
    SF_CHECK(getenv("PGHOST") && getenv("PGPORT"));
    /* Daemons started by tests connect as their own roles. */
    SF_CHECK(getenv("PGUSER") == NULL);

    super = sf_test_pg_connect();
    if (!SF_CHECK(super != NULL))
        goto cleanup;
    SF_CHECK_EQ_INT(sf_test_pg_int(super, "SELECT count(*) FROM pg_namespace WHERE nspname IN "
                                          "('grid','intake','employment','volunteer',"
                                          "'evaluation','gateway','mirror')"),
                    7);
    SF_CHECK_EQ_INT(sf_test_pg_int(super, "SELECT count(*) FROM pg_namespace n JOIN pg_roles r "
                                          "ON r.oid = n.nspowner WHERE r.rolname = 'sifang_' || "
                                          "n.nspname"),
                    7);
    SF_CHECK_EQ_INT(sf_test_pg_exec(super, "CREATE TABLE IF NOT EXISTS intake.secret (x int)"), 0);

    grid = sf_test_pg_connect_as("sifang_grid");
    if (!SF_CHECK(grid != NULL))
        goto cleanup;
    /* 42501: insufficient_privilege. */
    SF_CHECK_EQ_STR(sf_test_pg_sqlstate(grid, "CREATE TABLE intake.stolen (x int)"), "42501");
    SF_CHECK_EQ_STR(sf_test_pg_sqlstate(grid, "SELECT * FROM intake.secret"), "42501");
    SF_CHECK_EQ_STR(sf_test_pg_sqlstate(grid, "CREATE TABLE public.stray (x int)"), "42501");
    SF_CHECK_EQ_STR(sf_test_pg_sqlstate(grid, "CREATE SCHEMA extra"), "42501");
    SF_CHECK_EQ_STR(sf_test_pg_sqlstate(grid, "DROP TABLE IF EXISTS grid.own"), "");
    SF_CHECK_EQ_STR(sf_test_pg_sqlstate(grid, "CREATE TABLE grid.own (x int)"), "");
    SF_CHECK_EQ_STR(sf_test_pg_sqlstate(grid, "INSERT INTO grid.own VALUES (1)"), "");
    /* The role's search_path is its schema. */
    SF_CHECK_EQ_INT(sf_test_pg_int(grid, "SELECT count(*) FROM own"), 1);
    /* A role the layout does not know cannot even connect. */
    SF_CHECK_EQ_INT(sf_test_pg_exec(super, "DROP ROLE IF EXISTS selftest_outsider"), 0);
    SF_CHECK_EQ_INT(sf_test_pg_exec(super, "CREATE ROLE selftest_outsider LOGIN"), 0);
    const char *keys[] = {"user", NULL};
    const char *values[] = {"selftest_outsider", NULL};
    PGconn *outsider = PQconnectdbParams(keys, values, 0);
    SF_CHECK(PQstatus(outsider) != CONNECTION_OK);
    PQfinish(outsider);
    SF_CHECK_EQ_INT(sf_test_pg_exec(super, "DROP ROLE selftest_outsider"), 0);

cleanup:
    PQfinish(grid);
    PQfinish(super);
}

static void check_daemons(void)
{
    char dir[256], log_path[512];
    if (!SF_CHECK_EQ_INT(sf_test_tmpdir(dir, sizeof dir), 0))
        return;
    snprintf(log_path, sizeof log_path, "%s/daemon.log", dir);

    /* SIGTERM ends a plain process: 128 + 15. */
    const char *sleep_argv[] = {"/bin/sleep", "30", NULL};
    sf_test_daemon_t *sleeper = sf_test_daemon_start_argv(sleep_argv, NULL, log_path);
    if (SF_CHECK(sleeper != NULL)) {
        SF_CHECK(sf_test_daemon_pid(sleeper) > 0);
        SF_CHECK(sf_test_daemon_running(sleeper));
        SF_CHECK(kill(sf_test_daemon_pid(sleeper), 0) == 0);
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&sleeper), 128 + SIGTERM);
        SF_CHECK(sleeper == NULL);
    }
    sleeper = sf_test_daemon_start_argv(sleep_argv, NULL, NULL);
    if (SF_CHECK(sleeper != NULL))
        SF_CHECK_EQ_INT(sf_test_daemon_kill(&sleeper), 128 + SIGKILL);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&sleeper), -1);

    /* The environment reaches the child; its output goes to the log; its
     * exit code comes back; "serving" in the log means ready. */
    const char *env[] = {"SF_SELFTEST_WORD=serving", "PGDATABASE=overridden", NULL};
    const char *sh_argv[] = {"/bin/sh", "-c",
                             "echo \"{\\\"msg\\\":\\\"$SF_SELFTEST_WORD\\\",\\\"db\\\":\\\"$PGDATABASE\\\"}\";"
                             " trap 'exit 7' TERM; while :; do sleep 0.05; done",
                             NULL};
    sf_test_daemon_t *shell = sf_test_daemon_start_argv(sh_argv, env, log_path);
    if (SF_CHECK(shell != NULL)) {
        SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(shell, 10000), 0);
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&shell), 7);
    }
    FILE *log = fopen(log_path, "r");
    char line[256] = "";
    if (SF_CHECK(log != NULL)) {
        SF_CHECK(fgets(line, sizeof line, log) != NULL);
        fclose(log);
    }
    SF_CHECK_EQ_STR(line, "{\"msg\":\"serving\",\"db\":\"overridden\"}\n");

    /* A process that dies before serving is noticed, not waited for. */
    const char *dying_argv[] = {"/bin/sh", "-c", "echo starting; exit 3", NULL};
    sf_test_daemon_t *dying = sf_test_daemon_start_argv(dying_argv, NULL, log_path);
    if (SF_CHECK(dying != NULL)) {
        SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(dying, 10000), -1);
        SF_CHECK(!sf_test_daemon_running(dying));
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&dying), 3);
    }

    /* A JSON log line that only mentions the word is not the serving line. */
    const char *refusing_argv[] = {"/bin/sh", "-c",
                                   "echo '{\"msg\":\"cannot start\",\"reason\":\"serving twice\"}'; sleep 0.3; exit 1",
                                   NULL};
    sf_test_daemon_t *refusing = sf_test_daemon_start_argv(refusing_argv, NULL, log_path);
    if (SF_CHECK(refusing != NULL)) {
        SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(refusing, 10000), -1);
        SF_CHECK(sf_test_daemon_endpoint(refusing, "reason") == NULL);
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&refusing), 1);
    }

    /* A binary that does not exist: NULL at once. */
    SF_CHECK(sf_test_daemon_start("/nonexistent/sifang-nothing", NULL, log_path) == NULL);

    SF_CHECK_EQ_INT(sf_test_rmtree(dir), 0);
    SF_CHECK(access(dir, F_OK) != 0);
}

/* Connects to 127.0.0.1:port, sends request and reads what comes back
 * into reply; 0 when anything came back. */
static int exchange(int port, const char *request, char *reply, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((unsigned short) port);
    int rc = -1;
    reply[0] = '\0';
    if (fd >= 0 && connect(fd, (struct sockaddr *) &addr, sizeof addr) == 0
        && write(fd, request, strlen(request)) == (ssize_t) strlen(request)) {
        ssize_t got = read(fd, reply, size - 1);
        if (got > 0) {
            reply[got] = '\0';
            rc = 0;
        }
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

/* A service told port 0 binds one the kernel chooses, says it in its serving
 * line, and answers there; an ipc endpoint is said back as given. The
 * gateway's HTTP port 0 likewise. No port is picked by the test. */
static void check_endpoints(void)
{
    char dir[256];
    if (!SF_CHECK_EQ_INT(sf_test_tmpdir(dir, sizeof dir), 0))
        return;
    sf_client_t *client = NULL;
    sf_test_daemon_t *grid = NULL, *gateway = NULL;
    char *publish = sf_test_ipc_endpoint(dir, "grid.pub");
    if (!SF_CHECK(publish != NULL))
        goto cleanup;
    SF_CHECK(strncmp(publish, "ipc://", 6) == 0);

    char endpoint_env[64], publish_env[512];
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=%s", publish);
    const char *grid_env[] = {endpoint_env, publish_env, NULL};
    grid = sf_test_service_start("grid", dir, grid_env, 30000);
    if (!SF_CHECK(grid != NULL))
        goto cleanup;
    const char *endpoint = sf_test_daemon_endpoint(grid, "endpoint");
    if (!SF_CHECK(endpoint != NULL))
        goto cleanup;
    int port = strncmp(endpoint, "tcp://127.0.0.1:", 16) == 0 ? atoi(endpoint + 16) : -1;
    SF_CHECK(port > 0 && port < 65536);
    char expected[64];
    snprintf(expected, sizeof expected, "tcp://127.0.0.1:%d", port);
    SF_CHECK_EQ_STR(endpoint, expected);
    SF_CHECK_EQ_STR(sf_test_daemon_endpoint(grid, "publish"), publish);
    SF_CHECK_EQ_STR(sf_test_daemon_endpoint(grid, "service"), "grid");
    SF_CHECK(sf_test_daemon_endpoint(grid, "no such field") == NULL);
    SF_CHECK_EQ_INT(sf_test_daemon_http_port(grid), -1);

    /* The reported endpoint is where it answers. */
    client = sf_client_new(endpoint, NULL);
    Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
    Sifang__V1__PingReply *pong = NULL;
    if (SF_CHECK(client != NULL)
        && SF_CHECK_EQ_INT(sf_client_call(client, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                                          (ProtobufCMessage **) &pong, NULL),
                           SF_OK)) {
        SF_CHECK_EQ_STR(pong->service, "grid");
        protobuf_c_message_free_unpacked(&pong->base, NULL);
    }

    /* The gateway on HTTP port 0: its serving line says the port it got. */
    char grid_at[600];
    snprintf(grid_at, sizeof grid_at, "SIFANG_GRID_ENDPOINT=%s", endpoint);
    const char *gateway_env[] = {"SIFANG_GATEWAY_HTTP=" SF_TEST_HTTP_ANY, "SIFANG_GATEWAY_SERVICES=grid", grid_at,
                                 NULL};
    gateway = sf_test_service_start("gateway", dir, gateway_env, 30000);
    if (!SF_CHECK(gateway != NULL))
        goto cleanup;
    int http_port = sf_test_daemon_http_port(gateway);
    SF_CHECK(http_port > 0 && http_port < 65536);
    snprintf(expected, sizeof expected, "127.0.0.1:%d", http_port);
    SF_CHECK_EQ_STR(sf_test_daemon_endpoint(gateway, "http"), expected);
    char reply[512];
    SF_CHECK_EQ_INT(exchange(http_port, "GET /healthz HTTP/1.0\r\n\r\n", reply, sizeof reply), 0);
    reply[strcspn(reply, "\r\n")] = '\0';
    SF_CHECK_EQ_STR(reply, "HTTP/1.1 200 OK");

cleanup:
    sf_client_destroy(&client);
    if (gateway)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&gateway), 0);
    if (grid)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);
    free(publish);
    sf_test_rmtree(dir);

    /* An ipc path longer than an ipc address holds is refused at once, not
     * at the daemon's bind. */
    char long_dir[200];
    memset(long_dir, 'd', sizeof long_dir - 1);
    long_dir[sizeof long_dir - 1] = '\0';
    SF_CHECK(sf_test_ipc_endpoint(long_dir, "x") == NULL);
}

static void check_paths(void)
{
    char path[512];
    SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "grid"), 0);
    SF_CHECK(strstr(path, "/services/grid/sifang-grid") != NULL);
    SF_CHECK_EQ_INT(sf_test_service_path(path, 8, "grid"), -1);
}

int main(void)
{
    check_paths();
    check_daemons();
    check_layout();
    check_endpoints();
    return sf_test_done();
}
