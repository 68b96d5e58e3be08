/* What every C test needs: checks that report and carry on, the test
 * PostgreSQL cluster (the pg_cluster fixture), a runner for daemons that
 * tells the endpoints they bound, and temporary directories. */
#ifndef SF_TEST_H
#define SF_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <libpq-fe.h>
#include "sf_client.h"

/* ---- Checks -------------------------------------------------------------
 * A failed check prints file:line and the values and counts a failure; the
 * test goes on. Each macro is an expression that is true when the check
 * passed, so a test can stop where going on makes no sense:
 *     if (!SF_CHECK(conn != NULL)) goto cleanup;
 * Arguments are evaluated once. Safe to use from several threads. */
#define SF_CHECK(cond) sf_test_check_((cond) ? true : false, __FILE__, __LINE__, #cond)
#define SF_CHECK_EQ_INT(a, b) \
    sf_test_check_int_(__FILE__, __LINE__, #a, #b, (long long) (a), (long long) (b))
/* NULL equals only NULL. */
#define SF_CHECK_EQ_STR(a, b) sf_test_check_str_(__FILE__, __LINE__, #a, #b, (a), (b))
/* An unconditional failure with a printf-style message. */
#define SF_FAIL(...) sf_test_fail_(__FILE__, __LINE__, __VA_ARGS__)

/* Failures so far. */
int sf_test_failures(void);
/* Prints a summary ("name: N checks, M failures") and returns the exit code
 * for main: 0 when nothing failed, 1 otherwise. */
int sf_test_done(void);

bool sf_test_check_(bool ok, const char *file, int line, const char *expr);
bool sf_test_check_int_(const char *file, int line, const char *a_expr, const char *b_expr,
                        long long a, long long b);
bool sf_test_check_str_(const char *file, int line, const char *a_expr, const char *b_expr,
                        const char *a, const char *b);
bool sf_test_fail_(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- The test PostgreSQL cluster -----------------------------------------
 * ctest starts it (fixture pg_cluster) and passes its directory in
 * SIFANG_TEST_PG. These functions print why they failed and count it as a
 * test failure: a test without its database fails, it never skips. */

/* Puts the cluster's PGHOST, PGPORT ... from $SIFANG_TEST_PG/env into the
 * environment, creates database dbname with the suite's layout (scripts/pg.sh
 * createdb: a schema and a role sifang_<svc> per service) and sets
 * PGDATABASE=dbname. Give every test its own dbname (lower-case letters,
 * digits, _): tests run in parallel on one cluster. Daemons started
 * afterwards inherit all of it, and no PGUSER: each connects as its own
 * service's role, as in production; the superuser is only for the test's own
 * connections (sf_test_pg_connect). Returns 0 or -1. */
int sf_test_pg_env(const char *dbname);
/* Runs scripts/pg.sh <action> $SIFANG_TEST_PG: "stop", "start", "restart",
 * for tests that take the database away. Returns 0 or -1. */
int sf_test_pg_run(const char *action);
/* A connection to PGDATABASE as the superuser (call sf_test_pg_env first);
 * NULL on failure. The caller PQfinish()es it. */
PGconn *sf_test_pg_connect(void);
/* The cluster's superuser (after sf_test_pg_env), for the test's own tools
 * (pgbench, psql): the environment does not name it, so daemons never take it. */
const char *sf_test_pg_superuser(void);
/* The same as role user (e.g. "sifang_grid"); NULL user = the superuser. */
PGconn *sf_test_pg_connect_as(const char *user);
/* Runs sql (no parameters); returns 0 on success, else -1 after printing the
 * error. Does not count a failure: wrap it in SF_CHECK when it must work. */
int sf_test_pg_exec(PGconn *conn, const char *sql);
/* The first column of the first row of sql as an integer; -1 on error or no
 * row (printed, not counted). */
long long sf_test_pg_int(PGconn *conn, const char *sql);
/* The SQLSTATE sql fails with ("42501" ...), "" when it succeeds; into a
 * static buffer. For checking that something is refused. */
const char *sf_test_pg_sqlstate(PGconn *conn, const char *sql);

/* A cluster of the caller's own (benchmarks, which run outside ctest):
 * scripts/pg.sh init in pg_dir, made the cluster the functions above use.
 * sf_test_pg_run("destroy") removes it. Returns 0 or -1. */
int sf_test_pg_own_cluster(const char *pg_dir);

/* ---- Commands and figures ------------------------------------------------- */

/* Runs argv[0] (searched in PATH) with argv and waits; stdout goes to
 * output_path when it is not NULL. The exit status (127 when it could not
 * be executed, 128 + signal when killed by one). */
int sf_test_run(const char *const argv[], const char *output_path);
/* The p-quantile (0 < p <= 1, nearest rank) of n values, which it sorts in
 * place; 0 for none. */
double sf_test_percentile(double *values, size_t n, double p);

/* ---- Daemons --------------------------------------------------------------
 * A child process with the current environment plus extra NAME=VALUE
 * entries, stdout and stderr appended to a log file, stdin /dev/null. It is
 * killed if the test process dies (PR_SET_PDEATHSIG; start it from the main
 * thread or a thread that outlives it). */
typedef struct sf_test_daemon_t sf_test_daemon_t;

/* Starts path with no arguments. env: NULL-terminated "NAME=VALUE" entries
 * that add to or override the environment (may be NULL). log_path: NULL =
 * the test's own stdout/stderr. Returns NULL (printed) if it cannot be
 * executed. */
sf_test_daemon_t *sf_test_daemon_start(const char *path, const char *const env[],
                                       const char *log_path);
/* The same with arguments: argv[0] is the path, NULL-terminated. */
sf_test_daemon_t *sf_test_daemon_start_argv(const char *const argv[], const char *const env[],
                                            const char *log_path);
/* Waits until the log, from where this start began, holds the daemon's
 * "serving" line (a JSON log line with msg "serving", or for a program
 * that does not log JSON any line with the word), which it keeps for
 * sf_test_daemon_endpoint. 0 when ready; -1 on timeout or if the process
 * exited (printed, with the end of the log). */
int sf_test_daemon_wait_ready(sf_test_daemon_t *self, int timeout_ms);
/* Whether the process is still running (reaps it if it has exited). */
bool sf_test_daemon_running(sf_test_daemon_t *self);
/* SIGTERM, wait up to 10 s, then SIGKILL. Frees and NULLs *self_p. Returns
 * the exit code, or 128 + signal when killed by one; -1 if *self_p is NULL. */
int sf_test_daemon_stop(sf_test_daemon_t **self_p);
/* SIGKILL and reap. Frees and NULLs *self_p; returns as sf_test_daemon_stop. */
int sf_test_daemon_kill(sf_test_daemon_t **self_p);
pid_t sf_test_daemon_pid(const sf_test_daemon_t *self);

/* The built daemon of service (sifang-<service>) with env, its log in
 * dir/<service>.log, waited for until it serves (timeout_ms): then
 * sf_test_daemon_endpoint says where. NULL (said on stderr, with where its
 * log is) when it did not come up. */
sf_test_daemon_t *sf_test_service_start(const char *service, const char *dir, const char *const env[],
                                        int timeout_ms);

/* Waits until the service behind client answers Sys.Ping with its database
 * up (connected and migrated): "serving" in the log says only that the
 * sockets are open. Polls every 100 ms; false after timeout_ms. */
bool sf_test_wait_database(sf_client_t *client, int timeout_ms);

/* The service's event head (Sys.Ping); -1 when it does not answer. */
int64_t sf_test_event_head(sf_client_t *client);
/* Evaluation's cursor (SourceList) for the source instance; -1 when none. */
int64_t sf_test_source_cursor(sf_client_t *evaluation, const char *source);
/* Waits until evaluation's cursor for source reaches head (polls every
 * 50 ms); false after timeout_ms, saying both figures. */
bool sf_test_wait_caught_up(sf_client_t *evaluation, const char *source, int64_t head, int timeout_ms);

/* ---- Endpoints --------------------------------------------------------------
 * No test picks a port: a port that was free when a test looked can be taken
 * by another test, or by the local end of any outgoing connection, before
 * the daemon binds it. Daemons bind what they are told and say what they got
 * in their "serving" line, so a test gives each daemon either
 *   - sf_test_ipc_endpoint(dir, name), a socket file in the test's own
 *     directory, where the address must stay the same across a restart
 *     (peers and followers reconnect to it), or where nothing is about TCP;
 *   - SF_TEST_TCP_ANY, port 0, and reads the port it got with
 *     sf_test_daemon_endpoint / sf_test_daemon_http_port once it serves
 *     (and again after a restart, which gets another port). */

/* The ZeroMQ endpoint (SIFANG_<SVC>_ENDPOINT, _PUBLISH) that binds a port
 * the kernel chooses on the loopback interface. */
#define SF_TEST_TCP_ANY "tcp://127.0.0.1:0"
/* The gateway's SIFANG_GATEWAY_HTTP that does the same. */
#define SF_TEST_HTTP_ANY "127.0.0.1:0"

/* "ipc://<dir>/<name>.ipc", malloc'd (caller frees): a socket file, which
 * a restarted daemon binds again and which no other test can hold. dir is
 * the test's own sf_test_tmpdir. The suffix is there because binding
 * replaces whatever is at the path: "grid.pub" alone would be grid's CURVE
 * public key file. NULL (said on stderr) when the path does not
 * fit an ipc address (107 bytes). */
char *sf_test_ipc_endpoint(const char *dir, const char *name);
/* A field of the daemon's "serving" line as it logged it once ready: a
 * service's "endpoint" (ROUTER) and "publish" (PUB) are the endpoints it
 * bound, with the port the kernel chose for port 0; the gateway's "http" is
 * host:port. NULL before it served or when the line has no such field.
 * Valid until the daemon is stopped. */
const char *sf_test_daemon_endpoint(const sf_test_daemon_t *self, const char *field);
/* The port of the gateway's "http" (its HTTP listener); -1 when none. */
int sf_test_daemon_http_port(const sf_test_daemon_t *self);

/* ---- Paths, directories -------------------------------------------------- */

/* The source and build trees (compiled in by CMake). */
const char *sf_test_source_dir(void);
const char *sf_test_binary_dir(void);
/* The built daemon of a service: <build>/services/<svc>/sifang-<svc>. Returns
 * 0, or -1 if it does not fit. */
int sf_test_service_path(char *out, size_t size, const char *service);

/* Makes a fresh directory under $TMPDIR (or /tmp) and writes its path to
 * out. Returns 0 or -1. */
int sf_test_tmpdir(char *out, size_t size);
/* Removes a directory tree (for a sf_test_tmpdir). Returns 0 or -1. */
int sf_test_rmtree(const char *path);

#endif
