/* The test support library: checks, the test PostgreSQL cluster, the daemon
 * runner with the endpoints daemons say they bound, and temporary
 * directories (see sf_test.h). */
#include "sf_test.h"
#include <cjson/cJSON.h>
#include "sifang/v1/evaluation.pb-c.h"
#include "sifang/v1/sys.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SIFANG_SOURCE_DIR
#error "SIFANG_SOURCE_DIR must be defined by the build (tests/CMakeLists.txt)"
#endif
#ifndef SIFANG_BINARY_DIR
#error "SIFANG_BINARY_DIR must be defined by the build (tests/CMakeLists.txt)"
#endif

extern char **environ;

static atomic_int checks_run;
static atomic_int failures;

/* ---- Checks ------------------------------------------------------------- */

/* Prints a value quoted, control bytes escaped, long values cut. */
static void print_quoted(FILE *out, const char *s)
{
    if (!s) {
        fputs("NULL", out);
        return;
    }
    fputc('"', out);
    size_t i = 0;
    for (; s[i] && i < 2000; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
    if (s[i])
        fprintf(out, "... (%zu bytes)", strlen(s));
}

bool sf_test_check_(bool ok, const char *file, int line, const char *expr)
{
    atomic_fetch_add(&checks_run, 1);
    if (ok)
        return true;
    atomic_fetch_add(&failures, 1);
    flockfile(stderr);
    fprintf(stderr, "%s:%d: FAIL: %s\n", file, line, expr);
    funlockfile(stderr);
    return false;
}

bool sf_test_check_int_(const char *file, int line, const char *a_expr, const char *b_expr,
                        long long a, long long b)
{
    atomic_fetch_add(&checks_run, 1);
    if (a == b)
        return true;
    atomic_fetch_add(&failures, 1);
    flockfile(stderr);
    fprintf(stderr, "%s:%d: FAIL: %s == %s\n    left:  %lld\n    right: %lld\n", file, line,
            a_expr, b_expr, a, b);
    funlockfile(stderr);
    return false;
}

bool sf_test_check_str_(const char *file, int line, const char *a_expr, const char *b_expr,
                        const char *a, const char *b)
{
    atomic_fetch_add(&checks_run, 1);
    if ((!a && !b) || (a && b && strcmp(a, b) == 0))
        return true;
    atomic_fetch_add(&failures, 1);
    flockfile(stderr);
    fprintf(stderr, "%s:%d: FAIL: %s == %s\n    left:  ", file, line, a_expr, b_expr);
    print_quoted(stderr, a);
    fputs("\n    right: ", stderr);
    print_quoted(stderr, b);
    fputc('\n', stderr);
    funlockfile(stderr);
    return false;
}

static void vfail(const char *file, int line, const char *fmt, va_list args)
{
    atomic_fetch_add(&checks_run, 1);
    atomic_fetch_add(&failures, 1);
    flockfile(stderr);
    if (file)
        fprintf(stderr, "%s:%d: FAIL: ", file, line);
    else
        fputs("FAIL: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    funlockfile(stderr);
}

bool sf_test_fail_(const char *file, int line, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vfail(file, line, fmt, args);
    va_end(args);
    return false;
}

/* A failure of the library's own setup work (no caller file:line to give). */
__attribute__((format(printf, 1, 2))) static void setup_fail(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vfail(NULL, 0, fmt, args);
    va_end(args);
}

int sf_test_failures(void)
{
    return atomic_load(&failures);
}

int sf_test_done(void)
{
    int failed = atomic_load(&failures);
    fprintf(stderr, "%s: %d checks, %d failures%s\n", program_invocation_short_name,
            atomic_load(&checks_run), failed, failed ? "" : ": PASS");
    fflush(stderr);
    return failed ? 1 : 0;
}

/* ---- Processes ---------------------------------------------------------- */

/* The exit code of a wait status, or 128 + the signal that ended it. */
static int decode_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

static int wait_child(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return decode_status(status);
}

/* Runs bash scripts/pg.sh <action> <dir> [<name>]; returns its exit code.
 * Through bash so that a lost executable bit does not matter. */
static int run_pg_script(const char *action, const char *dir, const char *name)
{
    const char *script = SIFANG_SOURCE_DIR "/scripts/pg.sh";
    const char *argv[] = {"bash", script, action, dir, name, NULL};
    pid_t pid;
    int err = posix_spawnp(&pid, "bash", NULL, NULL, (char *const *) argv, environ);
    if (err != 0) {
        fprintf(stderr, "sf_test: cannot run %s: %s\n", script, strerror(err));
        return -1;
    }
    return wait_child(pid);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- The test PostgreSQL cluster ---------------------------------------- */

static const char *pg_dir(const char *who)
{
    const char *dir = getenv("SIFANG_TEST_PG");
    if (!dir || !*dir) {
        setup_fail("%s: SIFANG_TEST_PG is not set; run this test through ctest, which starts "
                   "the test cluster (fixture pg_cluster) and sets it",
                   who);
        return NULL;
    }
    return dir;
}

/* Reads one shell word (the quoting that scripts/pg.sh writes: bare,
 * '...', "..." and backslash escapes) from *p into out. */
static int shell_word(const char **p, char *out, size_t size)
{
    const char *s = *p;
    size_t n = 0;
    while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '#') {
        if (*s == '\'') {
            const char *end = strchr(s + 1, '\'');
            if (!end)
                return -1;
            for (s++; s < end; s++) {
                if (n + 1 >= size)
                    return -1;
                out[n++] = *s;
            }
            s++;
        } else if (*s == '"') {
            for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && strchr("\"\\$`", s[1]))
                    s++;
                if (n + 1 >= size)
                    return -1;
                out[n++] = *s;
            }
            if (*s != '"')
                return -1;
            s++;
        } else {
            if (*s == '\\' && s[1])
                s++;
            if (n + 1 >= size)
                return -1;
            out[n++] = *s++;
        }
    }
    out[n] = '\0';
    *p = s;
    return 0;
}

static char superuser[128];

/* Puts every NAME=VALUE of a file of "export NAME=VALUE ..." lines into the
 * environment, but PGUSER, which is kept for the tests' own connections. */
static int load_env_file(const char *path)
{
    FILE *file = fopen(path, "r");
    if (!file) {
        setup_fail("sf_test: cannot read %s: %s (did the pg_cluster fixture run?)", path,
                   strerror(errno));
        return -1;
    }
    int rc = 0, loaded = 0;
    char line[4096], word[4096];
    while (rc == 0 && fgets(line, sizeof line, file)) {
        const char *p = line;
        for (;;) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (!*p || *p == '\n' || *p == '#')
                break;
            if (shell_word(&p, word, sizeof word) < 0) {
                setup_fail("sf_test: cannot parse %s: %s", path, line);
                rc = -1;
                break;
            }
            if (strcmp(word, "export") == 0)
                continue;
            char *eq = strchr(word, '=');
            if (!eq || eq == word) {
                setup_fail("sf_test: cannot parse %s: %s", path, line);
                rc = -1;
                break;
            }
            *eq = '\0';
            /* The superuser is the tests' own, never the daemons': a daemon
             * started by a test must connect as its service's role, as in
             * production, not inherit a PGUSER that can read every schema. */
            if (strcmp(word, "PGUSER") == 0)
                snprintf(superuser, sizeof superuser, "%s", eq + 1);
            else
                setenv(word, eq + 1, 1);
            loaded++;
        }
    }
    fclose(file);
    if (rc == 0 && loaded == 0) {
        setup_fail("sf_test: %s sets nothing", path);
        rc = -1;
    }
    return rc;
}

int sf_test_pg_env(const char *dbname)
{
    const char *dir = pg_dir("sf_test_pg_env");
    if (!dir)
        return -1;
    char path[4096];
    if ((size_t) snprintf(path, sizeof path, "%s/env", dir) >= sizeof path) {
        setup_fail("sf_test_pg_env: SIFANG_TEST_PG is too long");
        return -1;
    }
    /* Settings from the caller's environment that would point libpq elsewhere. */
    unsetenv("PGHOSTADDR");
    unsetenv("PGSERVICE");
    unsetenv("PGSERVICEFILE");
    unsetenv("PGUSER");
    if (load_env_file(path) < 0)
        return -1;
    int rc = run_pg_script("createdb", dir, dbname);
    if (rc != 0) {
        setup_fail("sf_test_pg_env: scripts/pg.sh createdb %s %s failed (exit %d)", dir, dbname,
                   rc);
        return -1;
    }
    setenv("PGDATABASE", dbname, 1);
    return 0;
}

sf_test_daemon_t *sf_test_service_start(const char *service, const char *dir, const char *const env[],
                                        int timeout_ms)
{
    char path[4096], log_path[4096];
    if (sf_test_service_path(path, sizeof path, service) != 0
        || (size_t) snprintf(log_path, sizeof log_path, "%s/%s.log", dir, service) >= sizeof log_path)
        return NULL;
    sf_test_daemon_t *daemon = sf_test_daemon_start(path, env, log_path);
    if (daemon && sf_test_daemon_wait_ready(daemon, timeout_ms) != 0)
        sf_test_daemon_stop(&daemon);
    if (!daemon)
        fprintf(stderr, "sf_test: %s did not start (see %s)\n", service, log_path);
    return daemon;
}

bool sf_test_wait_database(sf_client_t *client, int timeout_ms)
{
    long long until = monotonic_ms() + timeout_ms;
    for (;;) {
        Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
        Sifang__V1__PingReply *pong = NULL;
        if (client && sf_client_call(client, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                                     (ProtobufCMessage **) &pong, NULL) == SF_OK) {
            bool up = pong->database_up;
            protobuf_c_message_free_unpacked(&pong->base, NULL);
            if (up)
                return true;
        }
        if (monotonic_ms() >= until)
            return false;
        sleep_ms(100);
    }
}

int64_t sf_test_event_head(sf_client_t *client)
{
    Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
    Sifang__V1__PingReply *pong = NULL;
    if (!client || sf_client_call(client, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                                  (ProtobufCMessage **) &pong, NULL) != SF_OK)
        return -1;
    int64_t head = pong->event_head;
    protobuf_c_message_free_unpacked(&pong->base, NULL);
    return head;
}

int64_t sf_test_source_cursor(sf_client_t *evaluation, const char *source)
{
    Sifang__V1__SourceListRequest request = SIFANG__V1__SOURCE_LIST_REQUEST__INIT;
    Sifang__V1__SourceListReply *reply = NULL;
    int64_t cursor = -1;
    if (sf_client_call(evaluation, "SourceList", NULL, &request.base, &sifang__v1__source_list_reply__descriptor,
                       (ProtobufCMessage **) &reply, NULL) == SF_OK) {
        for (size_t i = 0; i < reply->n_sources; i++)
            if (strcmp(reply->sources[i]->source, source) == 0)
                cursor = reply->sources[i]->cursor;
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
    return cursor;
}

bool sf_test_wait_caught_up(sf_client_t *evaluation, const char *source, int64_t head, int timeout_ms)
{
    int64_t cursor = -1;
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        cursor = sf_test_source_cursor(evaluation, source);
        if (head >= 0 && cursor == head)
            return true;
        sleep_ms(50);
    }
    printf("%s: head %lld, evaluation's cursor %lld\n", source, (long long) head, (long long) cursor);
    return false;
}

int sf_test_pg_own_cluster(const char *dir)
{
    int rc = run_pg_script("init", dir, NULL);
    if (rc != 0) {
        setup_fail("sf_test_pg_own_cluster: scripts/pg.sh init %s failed (exit %d)", dir, rc);
        return -1;
    }
    setenv("SIFANG_TEST_PG", dir, 1);
    return 0;
}

int sf_test_run(const char *const argv[], const char *output_path)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (output_path && !freopen(output_path, "w", stdout))
            _exit(127);
        execvp(argv[0], (char *const *) argv);
        _exit(127);
    }
    return wait_child(pid);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

double sf_test_percentile(double *values, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(values, n, sizeof *values, compare_doubles);
    double exact = p * (double) n;
    size_t rank = (size_t) exact;
    if ((double) rank < exact)
        rank++;   /* the nearest rank rounds up */
    return values[rank == 0 ? 0 : rank > n ? n - 1 : rank - 1];
}

int sf_test_pg_run(const char *action)
{
    const char *dir = pg_dir("sf_test_pg_run");
    if (!dir)
        return -1;
    int rc = run_pg_script(action, dir, NULL);
    if (rc != 0) {
        setup_fail("sf_test_pg_run: scripts/pg.sh %s %s failed (exit %d)", action, dir, rc);
        return -1;
    }
    return 0;
}

const char *sf_test_pg_superuser(void)
{
    return superuser;
}

PGconn *sf_test_pg_connect_as(const char *user)
{
    const char *keys[] = {"user", "application_name", "connect_timeout", NULL};
    const char *values[] = {user ? user : superuser, program_invocation_short_name, "10", NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 0);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        setup_fail("sf_test_pg_connect: cannot connect as %s to %s: %s",
                   user ? user : "the superuser", getenv("PGDATABASE") ? getenv("PGDATABASE") : "?",
                   conn ? PQerrorMessage(conn) : "out of memory");
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

PGconn *sf_test_pg_connect(void)
{
    return sf_test_pg_connect_as(NULL);
}

int sf_test_pg_exec(PGconn *conn, const char *sql)
{
    PGresult *result = PQexec(conn, sql);
    ExecStatusType status = PQresultStatus(result);
    int rc = 0;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        fprintf(stderr, "sf_test_pg_exec: %s\n    %s", sql, PQerrorMessage(conn));
        rc = -1;
    }
    PQclear(result);
    return rc;
}

long long sf_test_pg_int(PGconn *conn, const char *sql)
{
    PGresult *result = PQexec(conn, sql);
    long long value = -1;
    if (PQresultStatus(result) != PGRES_TUPLES_OK)
        fprintf(stderr, "sf_test_pg_int: %s\n    %s", sql, PQerrorMessage(conn));
    else if (PQntuples(result) < 1 || PQnfields(result) < 1 || PQgetisnull(result, 0, 0))
        fprintf(stderr, "sf_test_pg_int: %s: no value\n", sql);
    else
        value = strtoll(PQgetvalue(result, 0, 0), NULL, 10);
    PQclear(result);
    return value;
}

const char *sf_test_pg_sqlstate(PGconn *conn, const char *sql)
{
    static _Thread_local char state[8];
    PGresult *result = PQexec(conn, sql);
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        state[0] = '\0';
    } else {
        const char *field = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
        snprintf(state, sizeof state, "%s", field ? field : "?????");
    }
    PQclear(result);
    return state;
}

/* ---- Daemons ------------------------------------------------------------- */

struct sf_test_daemon_t {
    pid_t pid;
    bool exited;
    int exit_status; /* once exited: exit code or 128 + signal */
    char *log_path;  /* NULL: the test's own output */
    off_t log_start; /* the log's size when this start began */
    cJSON *serving;  /* its "serving" line, once it logged one */
};

static bool same_name(const char *entry, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    size_t n = eq ? (size_t) (eq - assignment) : strlen(assignment);
    return strncmp(entry, assignment, n) == 0 && entry[n] == '=';
}

/* environ with env's entries added or replacing; built before fork because
 * the child of a threaded process may not allocate. */
static char **merged_environment(const char *const env[])
{
    size_t base = 0, extra = 0;
    while (environ && environ[base])
        base++;
    while (env && env[extra])
        extra++;
    char **merged = calloc(base + extra + 1, sizeof *merged);
    if (!merged)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < base; i++) {
        bool overridden = false;
        for (size_t j = 0; j < extra && !overridden; j++)
            overridden = same_name(environ[i], env[j]);
        if (!overridden)
            merged[n++] = environ[i];
    }
    for (size_t j = 0; j < extra; j++) {
        if (strchr(env[j], '='))
            merged[n++] = (char *) env[j];
    }
    merged[n] = NULL;
    return merged;
}

sf_test_daemon_t *sf_test_daemon_start_argv(const char *const argv[], const char *const env[],
                                            const char *log_path)
{
    sf_test_daemon_t *self = NULL;
    char **envp = NULL;
    int log_fd = -1, null_fd = -1, report[2] = {-1, -1};

    if (!argv || !argv[0]) {
        fprintf(stderr, "sf_test_daemon_start: no program\n");
        return NULL;
    }
    self = calloc(1, sizeof *self);
    envp = merged_environment(env);
    if (!self || !envp)
        goto failed;
    if (log_path) {
        self->log_path = strdup(log_path);
        if (!self->log_path)
            goto failed;
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) {
            fprintf(stderr, "sf_test_daemon_start: cannot open %s: %s\n", log_path,
                    strerror(errno));
            goto failed;
        }
        struct stat st;
        self->log_start = fstat(log_fd, &st) == 0 ? st.st_size : 0;
    }
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    /* The child writes errno here if exec fails; exec closes it otherwise. */
    if (null_fd < 0 || pipe2(report, O_CLOEXEC) < 0) {
        fprintf(stderr, "sf_test_daemon_start: %s\n", strerror(errno));
        goto failed;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "sf_test_daemon_start: fork: %s\n", strerror(errno));
        goto failed;
    }
    if (pid == 0) {
        /* Only async-signal-safe calls from here to exec. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGTERM, &dfl, NULL);
        sigaction(SIGINT, &dfl, NULL);
        sigaction(SIGCHLD, &dfl, NULL);
        dup2(null_fd, STDIN_FILENO);
        if (log_fd >= 0) {
            dup2(log_fd, STDOUT_FILENO);
            dup2(log_fd, STDERR_FILENO);
        }
        execve(argv[0], (char *const *) argv, envp);
        int err = errno;
        ssize_t ignored = write(report[1], &err, sizeof err);
        (void) ignored;
        _exit(127);
    }
    close(report[1]);
    report[1] = -1;
    int child_errno = 0;
    ssize_t got;
    while ((got = read(report[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
    }
    if (got == (ssize_t) sizeof child_errno) {
        fprintf(stderr, "sf_test_daemon_start: cannot execute %s: %s\n", argv[0],
                strerror(child_errno));
        wait_child(pid);
        goto failed;
    }
    self->pid = pid;
    close(report[0]);
    close(null_fd);
    if (log_fd >= 0)
        close(log_fd);
    free(envp);
    return self;

failed:
    if (report[0] >= 0)
        close(report[0]);
    if (report[1] >= 0)
        close(report[1]);
    if (null_fd >= 0)
        close(null_fd);
    if (log_fd >= 0)
        close(log_fd);
    free(envp);
    if (self)
        free(self->log_path);
    free(self);
    return NULL;
}

sf_test_daemon_t *sf_test_daemon_start(const char *path, const char *const env[],
                                       const char *log_path)
{
    const char *argv[] = {path, NULL};
    return sf_test_daemon_start_argv(argv, env, log_path);
}

pid_t sf_test_daemon_pid(const sf_test_daemon_t *self)
{
    return self ? self->pid : -1;
}

bool sf_test_daemon_running(sf_test_daemon_t *self)
{
    if (!self || self->exited)
        return false;
    int status;
    pid_t got = waitpid(self->pid, &status, WNOHANG);
    if (got == self->pid) {
        self->exited = true;
        self->exit_status = decode_status(status);
        return false;
    }
    return got == 0;
}

/* The log written since this start began, malloc'd and NUL-terminated. */
static char *read_log_since(const sf_test_daemon_t *self, size_t *size_out)
{
    int fd = open(self->log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *text = NULL;
    if (fstat(fd, &st) == 0 && st.st_size >= self->log_start) {
        size_t size = (size_t) (st.st_size - self->log_start);
        text = malloc(size + 1);
        if (text) {
            ssize_t got = pread(fd, text, size, self->log_start);
            size = got > 0 ? (size_t) got : 0;
            text[size] = '\0';
            *size_out = size;
        }
    }
    close(fd);
    return text;
}

static void print_log_tail(const sf_test_daemon_t *self)
{
    size_t size = 0;
    char *text = read_log_since(self, &size);
    if (!text)
        return;
    const char *start = size > 3000 ? text + size - 3000 : text;
    fprintf(stderr, "---- end of %s ----\n%s%s---- ----\n", self->log_path, start,
            size && text[size - 1] == '\n' ? "" : "\n");
    free(text);
}

/* The first complete line of text that says the daemon serves: a JSON log
 * line whose msg is "serving" (kept in self->serving, for the endpoints it
 * names), or a line of a program that does not log JSON holding the word.
 * A JSON line that only mentions the word (an error about it) is not one. */
static bool find_serving(sf_test_daemon_t *self, char *text)
{
    for (char *line = text, *end; (end = strchr(line, '\n')) != NULL; line = end + 1) {
        *end = '\0';
        bool mentions = strstr(line, "serving") != NULL;
        cJSON *json = mentions ? cJSON_Parse(line) : NULL;
        if (json && cJSON_IsObject(json)) {
            const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "msg"));
            if (msg && strcmp(msg, "serving") == 0) {
                cJSON_Delete(self->serving);
                self->serving = json;
                return true;
            }
            cJSON_Delete(json);
            continue;
        }
        cJSON_Delete(json);
        if (mentions)
            return true;
    }
    return false;
}

int sf_test_daemon_wait_ready(sf_test_daemon_t *self, int timeout_ms)
{
    if (!self)
        return -1;
    if (!self->log_path) {
        fprintf(stderr, "sf_test_daemon_wait_ready: pid %d has no log to watch\n", (int) self->pid);
        return -1;
    }
    long long deadline = monotonic_ms() + timeout_ms;
    for (;;) {
        size_t size = 0;
        char *text = read_log_since(self, &size);
        bool ready = text && find_serving(self, text);
        free(text);
        if (ready)
            return 0;
        if (!sf_test_daemon_running(self)) {
            fprintf(stderr, "sf_test_daemon_wait_ready: pid %d exited (status %d) before serving\n",
                    (int) self->pid, self->exit_status);
            print_log_tail(self);
            return -1;
        }
        if (monotonic_ms() >= deadline) {
            fprintf(stderr, "sf_test_daemon_wait_ready: pid %d not serving after %d ms\n",
                    (int) self->pid, timeout_ms);
            print_log_tail(self);
            return -1;
        }
        sleep_ms(20);
    }
}

static int finish(sf_test_daemon_t **self_p, int signal_first, int grace_ms)
{
    if (!self_p || !*self_p)
        return -1;
    sf_test_daemon_t *self = *self_p;
    if (sf_test_daemon_running(self)) {
        kill(self->pid, signal_first);
        long long deadline = monotonic_ms() + grace_ms;
        while (sf_test_daemon_running(self) && monotonic_ms() < deadline)
            sleep_ms(10);
        if (!self->exited) {
            fprintf(stderr, "sf_test_daemon_stop: pid %d still running after %d ms: SIGKILL\n",
                    (int) self->pid, grace_ms);
            kill(self->pid, SIGKILL);
            self->exit_status = wait_child(self->pid);
            self->exited = true;
        }
    }
    int status = self->exit_status;
    cJSON_Delete(self->serving);
    free(self->log_path);
    free(self);
    *self_p = NULL;
    return status;
}

int sf_test_daemon_stop(sf_test_daemon_t **self_p)
{
    return finish(self_p, SIGTERM, 10000);
}

int sf_test_daemon_kill(sf_test_daemon_t **self_p)
{
    return finish(self_p, SIGKILL, 10000);
}

/* ---- Paths, ports, directories ------------------------------------------ */

const char *sf_test_source_dir(void)
{
    return SIFANG_SOURCE_DIR;
}

const char *sf_test_binary_dir(void)
{
    return SIFANG_BINARY_DIR;
}

int sf_test_service_path(char *out, size_t size, const char *service)
{
    int n = snprintf(out, size, "%s/services/%s/sifang-%s", SIFANG_BINARY_DIR, service, service);
    return n < 0 || (size_t) n >= size ? -1 : 0;
}

const char *sf_test_daemon_endpoint(const sf_test_daemon_t *self, const char *field)
{
    if (!self || !self->serving)
        return NULL;
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(self->serving, field));
}

int sf_test_daemon_http_port(const sf_test_daemon_t *self)
{
    const char *http = sf_test_daemon_endpoint(self, "http");
    const char *colon = http ? strrchr(http, ':') : NULL;
    if (!colon)
        return -1;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    return *end == '\0' && port > 0 && port < 65536 ? (int) port : -1;
}

char *sf_test_ipc_endpoint(const char *dir, const char *name)
{
    char *endpoint = NULL;
    if (asprintf(&endpoint, "ipc://%s/%s.ipc", dir, name) < 0)
        return NULL;
    /* libzmq refuses a path that does not fit sun_path, with its NUL. */
    if (strlen(endpoint) - strlen("ipc://") >= sizeof ((struct sockaddr_un *) 0)->sun_path) {
        fprintf(stderr, "sf_test_ipc_endpoint: %s is too long for an ipc path (%zu bytes at most)\n", endpoint,
                sizeof ((struct sockaddr_un *) 0)->sun_path - 1);
        free(endpoint);
        return NULL;
    }
    return endpoint;
}

int sf_test_tmpdir(char *out, size_t size)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    int n = snprintf(out, size, "%s/sifang-test-XXXXXX", base);
    if (n < 0 || (size_t) n >= size)
        return -1;
    if (!mkdtemp(out)) {
        fprintf(stderr, "sf_test_tmpdir: %s: %s\n", out, strerror(errno));
        return -1;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove(path);
}

int sf_test_rmtree(const char *path)
{
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}
