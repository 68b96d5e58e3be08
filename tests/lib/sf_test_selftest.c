/* Self-test of the test support library: the test cluster's layout (each
 * service's role reaches only its own schema) and the daemon runner. */
#include "sf_test.h"

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

    /* A binary that does not exist: NULL at once. */
    SF_CHECK(sf_test_daemon_start("/nonexistent/sifang-nothing", NULL, log_path) == NULL);

    SF_CHECK_EQ_INT(sf_test_rmtree(dir), 0);
    SF_CHECK(access(dir, F_OK) != 0);
}

static void check_ports(void)
{
    int port = sf_test_free_port();
    SF_CHECK(port > 0 && port < 65536);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((unsigned short) port);
    SF_CHECK(bind(fd, (struct sockaddr *) &addr, sizeof addr) == 0);
    close(fd);

    char *endpoint = sf_test_endpoint();
    SF_CHECK(endpoint && strncmp(endpoint, "tcp://127.0.0.1:", 16) == 0 && atoi(endpoint + 16) > 0);
    free(endpoint);

    char path[512];
    SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "grid"), 0);
    SF_CHECK(strstr(path, "/services/grid/sifang-grid") != NULL);
    SF_CHECK_EQ_INT(sf_test_service_path(path, 8, "grid"), -1);
}

int main(void)
{
    check_ports();
    check_daemons();
    check_layout();
    return sf_test_done();
}
