/* sifang-probe against the real grid daemon and PostgreSQL, and against a
 * small HTTP server: healthy only when Sys.Ping answers with the database
 * up (or HTTP 2xx), --live when it answers at all; a wildcard bind address
 * probed on the loopback; CURVE with the daemon's own key beside it, and a
 * key the allowlist does not hold refused; no reply, --wait, bad usage; a
 * body in Chinese quoted cut on a character. */
#include "sf_test.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs sifang-probe with extra environment entries; its exit status, and
 * what it printed (stdout then stderr) in out. */
static int
run_probe(const char *const env[], const char *const args[], char *out, size_t out_size)
{
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_fds[1], 1);
        dup2(pipe_fds[1], 2);
        close(pipe_fds[0]);
        for (int i = 0; env && env[i]; i++) {
            char name[128];
            const char *equals = strchr(env[i], '=');
            snprintf(name, sizeof name, "%.*s", (int) (equals - env[i]), env[i]);
            if (equals[1])
                setenv(name, equals + 1, 1);
            else
                unsetenv(name);
        }
        const char *argv[16] = { PROBE_PATH };
        int n = 1;
        for (int i = 0; args[i] && n < 15; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(PROBE_PATH, (char *const *) argv);
        _exit(127);
    }
    close(pipe_fds[1]);
    size_t got = 0;
    ssize_t n;
    while ((n = read(pipe_fds[0], out + got, out_size - 1 - got)) > 0 && got + 1 < out_size)
        got += (size_t) n;
    out[got] = 0;
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("  sifang-probe%s%s%s%s -> %d: %s", args[0] ? " " : "", args[0] ? args[0] : "",
           args[0] && args[1] ? " " : "", args[0] && args[1] ? args[1] : "",
           WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define PROBE(env, out, ...) run_probe((env), (const char *const[]) { __VA_ARGS__, NULL }, (out), sizeof (out))
/* An environment list that survives being a macro argument. */
#define ENV(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* --- a one-connection-at-a-time HTTP server ------------------------------ */

typedef struct {
    int listener;
    int port;
    int statuses[8];        /* replies in turn; the last one repeats */
    int n_statuses;
    int served;
    const char *body;       /* a failure's body instead of the gateway's JSON */
} http_server_t;

static void *
http_serve(void *arg)
{
    http_server_t *server = arg;
    for (;;) {
        int fd = accept(server->listener, NULL, NULL);
        if (fd < 0)
            return NULL;
        char request[1024];
        ssize_t n = recv(fd, request, sizeof request - 1, 0);
        int index = server->served < server->n_statuses ? server->served : server->n_statuses - 1;
        int status = server->statuses[index];
        server->served++;
        if (n > 0) {
            char reply[1024];
            const char *body = status == 200 ? "{\"status\":\"ok\"}"
                             : server->body ? server->body : "{\"status\":\"unavailable\",\"down\":[\"intake\"]}";
            int length = snprintf(reply, sizeof reply,
                                  "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                  status, strlen(body), body);
            send(fd, reply, (size_t) length, MSG_NOSIGNAL);
        }
        close(fd);
    }
}

static int
http_server_start(http_server_t *server, pthread_t *thread)
{
    server->listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t length = sizeof address;
    if (server->listener < 0 || bind(server->listener, (struct sockaddr *) &address, sizeof address) != 0
        || listen(server->listener, 8) != 0
        || getsockname(server->listener, (struct sockaddr *) &address, &length) != 0)
        return -1;
    server->port = ntohs(address.sin_port);
    return pthread_create(thread, NULL, http_serve, server);
}

/* --- the checks ----------------------------------------------------------- */

/* A loopback port held bound but not listening: a connection to it is
 * refused, and no other process can take it while the test holds it (a
 * port that was merely closed could be). Its descriptor; *port the port. */
static int
hold_unlistened_port(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || bind(fd, (struct sockaddr *) &address, sizeof address) != 0
        || getsockname(fd, (struct sockaddr *) &address, &length) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(address.sin_port);
    return fd;
}

/* After grid, bound to port 0 on every interface, serves: the port it says it got, written
 * into the probe's settings as a deployment would name it (the wildcard,
 * which the probe reaches on the loopback) and as the loopback. */
static bool
said_port(sf_test_daemon_t *grid, char *bind_env, size_t bind_size, char *loopback_env, size_t loopback_size)
{
    const char *endpoint = sf_test_daemon_endpoint(grid, "endpoint");
    const char *colon = endpoint ? strrchr(endpoint, ':') : NULL;
    int port = colon ? atoi(colon + 1) : 0;
    if (!SF_CHECK(port > 0))
        return false;
    printf("  grid says it serves at %s\n", endpoint);
    snprintf(bind_env, bind_size, "SIFANG_GRID_ENDPOINT=tcp://*:%d", port);
    snprintf(loopback_env, loopback_size, "SIFANG_GRID_ENDPOINT=tcp://127.0.0.1:%d", port);
    return true;
}

static void
check_http(void)
{
    printf("HTTP (the gateway's /readyz and /healthz)\n");
    http_server_t server = { .statuses = { 200 }, .n_statuses = 1 };
    pthread_t thread;
    if (!SF_CHECK(http_server_start(&server, &thread) == 0))
        return;
    char url[128], out[2048];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/readyz", server.port);
    SF_CHECK_EQ_INT(PROBE(NULL, out, "--http", url), 0);
    SF_CHECK(strstr(out, "HTTP 200") != NULL);

    server.served = 0;
    server.statuses[0] = 503;
    SF_CHECK_EQ_INT(PROBE(NULL, out, "--http", url), 1);
    SF_CHECK(strstr(out, "HTTP 503") != NULL && strstr(out, "intake") != NULL);   /* the body says why */

    /* A body in Chinese, 100 characters of 3 bytes: the line quotes its
     * first 160 bytes cut on a character (53 characters, 159 bytes), never
     * in one. */
    static const char *const words[] = { "数", "据", "库", "未", "就", "绪", "，", "请", "稍", "后", "再", "试", "。" };
    char chinese[100 * 3 + 1] = "", excerpt[53 * 3 + 1] = "", expected[512];
    for (int i = 0; i < 100; i++) {
        strcat(chinese, words[i % 13]);
        if (i < 53)
            strcat(excerpt, words[i % 13]);
    }
    server.served = 0;
    server.body = chinese;
    SF_CHECK_EQ_INT(PROBE(NULL, out, "--http", url), 1);
    snprintf(expected, sizeof expected, "%s: HTTP 503 %s\n", url, excerpt);
    SF_CHECK_EQ_STR(out, expected);
    server.body = NULL;

    /* --wait: 503 twice, then 200. */
    server.served = 0;
    server.statuses[0] = 503;
    server.statuses[1] = 503;
    server.statuses[2] = 200;
    server.n_statuses = 3;
    SF_CHECK_EQ_INT(PROBE(NULL, out, "--wait", "10", "--http", url), 0);
    SF_CHECK_EQ_INT(server.served, 3);

    shutdown(server.listener, SHUT_RDWR);
    close(server.listener);
    pthread_join(thread, NULL);
    int held_port = 0, held = hold_unlistened_port(&held_port);
    SF_CHECK(held >= 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/readyz", held_port);
    SF_CHECK_EQ_INT(PROBE(NULL, out, "--timeout", "500", "--http", url), 1);   /* nothing listens */
    SF_CHECK(strstr(out, "cannot connect") != NULL);
    if (held >= 0)
        close(held);
    SF_CHECK_EQ_INT(PROBE(NULL, out, "--http", "https://127.0.0.1/readyz"), 1);
}

static void
check_usage(void)
{
    printf("usage\n");
    char out[2048];
    SF_CHECK_EQ_INT(PROBE(NULL, out, "--help"), 0);
    SF_CHECK(strstr(out, "usage: sifang-probe") != NULL);
    SF_CHECK_EQ_INT(PROBE(NULL, out, "--frobnicate"), 1);
    SF_CHECK_EQ_INT(run_probe(NULL, (const char *const[]) { NULL }, out, sizeof out), 1);
    SF_CHECK_EQ_INT(PROBE(NULL, out, "Grid;rm"), 1);
    SF_CHECK_EQ_INT(PROBE(NULL, out, "grid", "intake"), 1);
}

int
main(void)
{
    check_usage();
    check_http();
    if (sf_test_pg_env("deploy_probe_test") != 0)
        return sf_test_done();

    char dir[256], grid_path[512], log_path[600], out[2048];
    sf_test_tmpdir(dir, sizeof dir);
    sf_test_service_path(grid_path, sizeof grid_path, "grid");
    int held = -1;

    /* The daemon binds every interface, as in a container; the probe runs
     * with the same environment and must find it on the loopback. The
     * daemon binds port 0 and says the port it got, which the probe's
     * settings then name (bind_env: what a deployment would set). */
    printf("plain TCP, database up\n");
    char bind_env[96], publish_env[96], loopback_env[96];
    snprintf(bind_env, sizeof bind_env, "SIFANG_GRID_ENDPOINT=tcp://*:0");
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=tcp://*:0");
    snprintf(log_path, sizeof log_path, "%s/grid.log", dir);
    const char *grid_env[] = { bind_env, publish_env, NULL };
    sf_test_daemon_t *grid = sf_test_daemon_start(grid_path, grid_env, log_path);
    if (!SF_CHECK(grid && sf_test_daemon_wait_ready(grid, 30000) == 0)
        || !said_port(grid, bind_env, sizeof bind_env, loopback_env, sizeof loopback_env))
        goto cleanup;
    /* Ready = serving and migrated; the first pings may precede the
     * migrations: --wait covers that. */
    SF_CHECK_EQ_INT(PROBE(grid_env, out, "--wait", "20", "grid"), 0);
    SF_CHECK(strstr(out, "grid: ok") != NULL && strstr(out, "database up") != NULL);
    SF_CHECK_EQ_INT(PROBE(ENV(loopback_env), out, "grid"), 0);
    SF_CHECK_EQ_INT(PROBE(ENV(loopback_env), out, "--live", "grid"), 0);
    char endpoint_arg[96];
    snprintf(endpoint_arg, sizeof endpoint_arg, "%s", loopback_env + strlen("SIFANG_GRID_ENDPOINT="));
    SF_CHECK_EQ_INT(PROBE(ENV("SIFANG_GRID_ENDPOINT="), out,
                          "--endpoint", endpoint_arg, "grid"), 0);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);

    /* A port held bound and not listening: nothing can answer there. */
    printf("nothing listening\n");
    int held_port = 0;
    held = hold_unlistened_port(&held_port);
    if (!SF_CHECK(held >= 0))
        goto cleanup;
    snprintf(bind_env, sizeof bind_env, "SIFANG_GRID_ENDPOINT=tcp://*:%d", held_port);
    SF_CHECK_EQ_INT(PROBE(grid_env, out, "--timeout", "300", "grid"), 1);
    SF_CHECK(strstr(out, "no reply") != NULL);
    SF_CHECK_EQ_INT(PROBE(grid_env, out, "--timeout", "300", "--live", "grid"), 1);

    /* A daemon whose database is not there: alive, not ready. */
    printf("database down\n");
    snprintf(bind_env, sizeof bind_env, "SIFANG_GRID_ENDPOINT=tcp://*:0");
    const char *no_database_env[] = { bind_env, publish_env, "PGDATABASE=deploy_probe_no_such_database", NULL };
    grid = sf_test_daemon_start(grid_path, no_database_env, log_path);
    if (!SF_CHECK(grid && sf_test_daemon_wait_ready(grid, 30000) == 0)
        || !said_port(grid, bind_env, sizeof bind_env, loopback_env, sizeof loopback_env))
        goto cleanup;
    SF_CHECK_EQ_INT(PROBE(grid_env, out, "grid"), 1);
    SF_CHECK(strstr(out, "database down") != NULL);
    SF_CHECK_EQ_INT(PROBE(grid_env, out, "--live", "grid"), 0);
    SF_CHECK(strstr(out, "alive") != NULL);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);

    /* CURVE: keys from sifang-keygen; the daemon admits grid's own key (a
     * service) but not the stranger's. */
    printf("CURVE\n");
    char keygen_command[1024];
    snprintf(keygen_command, sizeof keygen_command, "'%s' '%s/keys' grid:service stranger >/dev/null",
             KEYGEN_PATH, dir);
    if (!SF_CHECK(system(keygen_command) == 0))
        goto cleanup;
    char secret_env[400], allowlist_env[400], stranger_env[400], server_key_env[400];
    snprintf(secret_env, sizeof secret_env, "SIFANG_CURVE_SECRET_KEY_FILE=%s/keys/grid.key", dir);
    snprintf(allowlist_env, sizeof allowlist_env, "SIFANG_CURVE_ALLOWLIST=%s/keys/allowlist", dir);
    snprintf(stranger_env, sizeof stranger_env, "SIFANG_CURVE_CLIENT_KEY_FILE=%s/keys/stranger.key", dir);
    snprintf(server_key_env, sizeof server_key_env, "SIFANG_GRID_PUBLIC_KEY_FILE=%s/keys/grid.pub", dir);
    const char *curve_env[] = { bind_env, publish_env, secret_env, allowlist_env, NULL };
    snprintf(bind_env, sizeof bind_env, "SIFANG_GRID_ENDPOINT=tcp://*:0");
    grid = sf_test_daemon_start(grid_path, curve_env, log_path);
    if (!SF_CHECK(grid && sf_test_daemon_wait_ready(grid, 30000) == 0)
        || !said_port(grid, bind_env, sizeof bind_env, loopback_env, sizeof loopback_env))
        goto cleanup;
    SF_CHECK_EQ_INT(PROBE(curve_env, out, "--wait", "20", "grid"), 0);   /* beside the daemon */
    SF_CHECK(strstr(out, "grid: ok") != NULL);
    SF_CHECK_EQ_INT(PROBE(ENV(loopback_env, stranger_env, server_key_env), out,
                          "--timeout", "500", "grid"), 1);
    SF_CHECK(strstr(out, "allowlist") != NULL);
    SF_CHECK_EQ_INT(PROBE(grid_env, out, "--timeout", "500", "grid"), 1);  /* plain TCP to a CURVE server */
    SF_CHECK_EQ_INT(PROBE(ENV(loopback_env, stranger_env), out, "grid"), 1);
    SF_CHECK(strstr(out, "bad configuration") != NULL);   /* a client key without the server's */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);

cleanup:
    if (held >= 0)
        close(held);
    if (grid)
        sf_test_daemon_kill(&grid);
    if (sf_test_failures() == 0)
        sf_test_rmtree(dir);
    else
        printf("kept %s (the daemon's log)\n", dir);
    return sf_test_done();
}
