/* The daemon's PostgreSQL connection: reconnect with backoff, statements
 * prepared once per connection, SQL errors mapped to reply statuses. */
#include "sf_db.h"
#include "sf_config.h"
#include "sf_log.h"
#include "sf_text.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reconnecting: the first attempt after a loss goes at once, then 100 ms,
 * doubling to 1 s between attempts: a database that returns is found
 * within a second, and one attempt a second per connection (refused at
 * once while PostgreSQL is down) costs it nothing. sf_db_alive, asked by
 * a Ping, tries sooner: when the last attempt began 250 ms ago or more. */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 1000
#define ALIVE_RETRY_MS 250
/* The idle connection is looked at every 500 ms at most by
 * sf_db_maintain (a poll and a read that does not wait). */
#define CHECK_INTERVAL_MS 500
/* A connection attempt is non-blocking: each sf_db_maintain or
 * sf_db_alive takes it at most 100 ms further (a local connection takes
 * a few ms, tens on a loaded machine), so a loop is never held long by a
 * host that does not answer; the attempt is given up after
 * connect_timeout (the conninfo's or PGCONNECT_TIMEOUT), else 5 s. */
#define ATTEMPT_SLICE_MS 100
#define CONNECT_TIMEOUT_MS 5000
/* Past this many distinct statements, the rest run unprepared: dynamic SQL
 * must not grow the cache without bound. */
#define STATEMENT_CACHE_MAX 512

typedef struct {
    char *sql;
    char name[16];
    uint64_t hash;
} prepared_t;

struct sf_db_t {
    char *conninfo;
    char *schema;
    char **keywords, **values;    /* the conninfo parsed, with our defaults (NULL: it did not parse) */
    int connect_timeout_ms;
    PGconn *conn;
    bool was_up;              /* connected at least once: later connects are reconnects */
    int64_t reconnects;
    int64_t next_attempt_ms;  /* monotonic */
    int backoff_ms;
    int64_t checked_ms;       /* the idle connection last looked at */
    bool goodbye;             /* the server sent a FATAL outside a statement */
    int failures;             /* attempts failed since the last success */
    int64_t warned_ms;
    /* The connection attempt in progress (conn NULL when none). */
    struct {
        PGconn *conn;
        int64_t started_ms, deadline_ms;
        PostgresPollingStatusType polling;
        bool setting_path;
    } attempt;
    prepared_t *prepared;     /* open addressing, STATEMENT_CACHE_MAX * 2 slots */
    int n_prepared;
    int statement_serial;
    /* Commands waiting to go out ahead of the next statement (sf_db_defer):
     * literals, so only pointers are kept. */
    const char *deferred[SF_DB_DEFERRED_MAX];
    int n_deferred;
    /* A pipeline sent and not yet received (sf_db_pipeline_send): how many
     * steps, the deferred commands among them first, or the failure that
     * kept it from being sent. */
    struct {
        int n, n_deferred;
        sf_db_step_t deferred[SF_DB_DEFERRED_MAX];
        bool sent;
        PGresult *failure;
        int failure_step;
    } flight;
};

#define CACHE_SLOTS (STATEMENT_CACHE_MAX * 2)

static uint64_t
text_hash(const char *text)
{
    uint64_t hash = 1469598103934665603ULL;    /* FNV-1a */
    for (const unsigned char *c = (const unsigned char *) text; *c; c++)
        hash = (hash ^ *c) * 1099511628211ULL;
    return hash;
}

static void
forget_prepared(sf_db_t *self)
{
    for (int i = 0; i < CACHE_SLOTS; i++) {
        free(self->prepared[i].sql);
        self->prepared[i].sql = NULL;
    }
    self->n_prepared = 0;
}

static int build_params(sf_db_t *self, char *error, size_t error_size);

static void
free_params(sf_db_t *self)
{
    for (size_t i = 0; self->keywords && self->keywords[i]; i++) {
        free(self->keywords[i]);
        free(self->values[i]);
    }
    free(self->keywords);
    free(self->values);
    self->keywords = self->values = NULL;
}

sf_db_t *
sf_db_new(const char *conninfo, const char *schema)
{
    sf_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->conninfo = strdup(conninfo ? conninfo : "");
    self->schema = strdup(schema ? schema : "public");
    self->prepared = calloc(CACHE_SLOTS, sizeof(prepared_t));
    self->backoff_ms = BACKOFF_FIRST_MS;
    if (!self->conninfo || !self->schema || !self->prepared) {
        sf_db_destroy(&self);
        return NULL;
    }
    char error[256];
    if (build_params(self, error, sizeof error) != 0) {
        /* Said once: it will never connect. */
        error[strcspn(error, "\n")] = 0;
        sf_error("database settings do not parse", "schema", self->schema, "reason", error);
        free_params(self);
    }
    return self;
}

void
sf_db_destroy(sf_db_t **self_p)
{
    sf_db_t *self = *self_p;
    if (!self)
        return;
    if (self->conn)
        PQfinish(self->conn);
    if (self->attempt.conn)
        PQfinish(self->attempt.conn);
    free_params(self);
    PQclear(self->flight.failure);
    if (self->prepared)
        forget_prepared(self);
    free(self->prepared);
    free(self->conninfo);
    free(self->schema);
    free(self);
    *self_p = NULL;
}

char *
sf_db_conninfo_from_env(const char *service)
{
    const char *url = sf_service_database_url(service);
    if (url)
        return strdup(url);
    /* The PG* variables supply host, port and database; the role is the
     * service's own unless PGUSER says otherwise. */
    char conninfo[128];
    if (getenv("PGUSER"))
        snprintf(conninfo, sizeof conninfo, "%s", "");
    else
        snprintf(conninfo, sizeof conninfo, "user=sifang_%s", service);
    return strdup(conninfo);
}

/* --- the connection ------------------------------------------------------- */

/* Notices and errors that arrive outside a statement (the FATAL a backend
 * sends as the server shuts down, seen by the idle check) go to the log as
 * JSON lines, not to stderr as libpq's default would print them. */
static void
on_notice(void *arg, const PGresult *result)
{
    sf_db_t *self = arg;
    const char *severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    /* A FATAL outside a statement is the server's goodbye: the connection
     * is over even before its end of file is read. */
    if (severity && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0))
        self->goodbye = true;
    char message[512];
    sf_text_format(message, sizeof message, "%s", PQresultErrorMessage(result));
    message[strcspn(message, "\n")] = 0;
    bool routine = severity && (strcmp(severity, "NOTICE") == 0 || strcmp(severity, "INFO") == 0
                                || strcmp(severity, "DEBUG") == 0 || strcmp(severity, "LOG") == 0);
    if (routine)
        sf_debug("database notice", "schema", self->schema, "message", message);
    else
        sf_warn("database notice", "schema", self->schema, "message", message);
}

/* The keywords and values to connect with: the conninfo's own (a URL or
 * key=value text, parsed by libpq), then the keepalive and timeout settings
 * below for those it leaves unset. Returns -1 when the conninfo does not
 * parse (said in error). */
static int
build_params(sf_db_t *self, char *error, size_t error_size)
{
    char *parse_error = NULL;
    PQconninfoOption *options = PQconninfoParse(self->conninfo, &parse_error);
    if (!options) {
        snprintf(error, error_size, "%s", parse_error ? parse_error : "out of memory");
        PQfreemem(parse_error);
        return -1;
    }
    /* A dead host sends no FIN: only TCP keepalives find an idle
     * connection to it gone, after keepalives_idle + count * interval
     * (5 + 3 * 2 = 11 s); tcp_user_timeout fails a statement whose bytes
     * the host never acknowledges after 10 s, instead of after TCP's
     * ~15 minutes of retransmissions. Over a Unix socket libpq ignores
     * them. */
    static const char *const defaults[][2] = {
        { "keepalives", "1" }, { "keepalives_idle", "5" }, { "keepalives_interval", "2" },
        { "keepalives_count", "3" }, { "tcp_user_timeout", "10000" },
    };
    size_t n_defaults = sizeof defaults / sizeof defaults[0], n = 0;
    for (PQconninfoOption *option = options; option->keyword; option++)
        n++;
    self->keywords = calloc(n + n_defaults + 1, sizeof(char *));
    self->values = calloc(n + n_defaults + 1, sizeof(char *));
    if (!self->keywords || !self->values) {
        PQconninfoFree(options);
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    size_t count = 0;
    /* The attempt's bound: libpq keeps connect_timeout only when it
     * connects blocking, so it is kept here. */
    const char *connect_timeout = getenv("PGCONNECT_TIMEOUT");
    int seconds = connect_timeout ? atoi(connect_timeout) : 0;
    for (PQconninfoOption *option = options; option->keyword; option++) {
        bool is_default = false;
        size_t d;
        for (d = 0; d < n_defaults; d++)
            if (strcmp(option->keyword, defaults[d][0]) == 0) {
                is_default = true;
                break;
            }
        const char *value = option->val ? option->val : is_default ? defaults[d][1] : NULL;
        if (!value)
            continue;
        if (strcmp(option->keyword, "connect_timeout") == 0)
            seconds = atoi(value);
        self->keywords[count] = strdup(option->keyword);
        self->values[count] = strdup(value);
        if (!self->keywords[count] || !self->values[count]) {
            free(self->keywords[count]);
            free(self->values[count]);
            self->keywords[count] = self->values[count] = NULL;
            PQconninfoFree(options);
            snprintf(error, error_size, "out of memory");
            return -1;
        }
        count++;
    }
    PQconninfoFree(options);
    self->connect_timeout_ms = seconds > 0 ? seconds * 1000 : CONNECT_TIMEOUT_MS;
    return 0;
}

/* Waits up to timeout_ms for socket to be readable (or writable); true
 * when it is, or has an error or hang-up to report. */
static bool
socket_ready(int socket, bool write, int timeout_ms)
{
    struct pollfd item = { .fd = socket, .events = write ? POLLOUT : POLLIN, .revents = 0 };
    int rc;
    do
        rc = poll(&item, 1, timeout_ms < 0 ? 0 : timeout_ms);
    while (rc < 0 && errno == EINTR);
    return rc > 0;
}

/* The attempt failed: the next one after the backoff. An outage's first
 * failure is a warning; the later ones, one a second, are debug lines but
 * for one every minute, so that a long outage is seen in the log without
 * filling it. */
static void
attempt_failed(sf_db_t *self, const char *why)
{
    char reason[256];
    sf_text_format(reason, sizeof reason, "%s", why);
    reason[strcspn(reason, "\n")] = 0;
    if (self->attempt.conn)
        PQfinish(self->attempt.conn);
    self->attempt.conn = NULL;
    int64_t now = sf_clock_ms();
    if (self->failures++ == 0 || now - self->warned_ms >= 60000) {
        sf_warn("database unavailable", "schema", self->schema, "reason", reason);
        self->warned_ms = now;
    } else
        sf_debug("database unavailable", "schema", self->schema, "reason", reason);
    self->next_attempt_ms = now + self->backoff_ms;
    self->backoff_ms = self->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : self->backoff_ms * 2;
}

static void
attempt_start(sf_db_t *self)
{
    int64_t now = sf_clock_ms();
    self->attempt.started_ms = now;
    self->attempt.deadline_ms = now + self->connect_timeout_ms;
    self->attempt.setting_path = false;
    self->attempt.polling = PGRES_POLLING_WRITING;    /* how libpq says to begin */
    self->attempt.conn = PQconnectStartParams((const char *const *) self->keywords,
                                              (const char *const *) self->values, 0);
    if (!self->attempt.conn)
        attempt_failed(self, "out of memory");
    else if (PQstatus(self->attempt.conn) == CONNECTION_BAD)
        attempt_failed(self, PQerrorMessage(self->attempt.conn));
    else
        PQsetNoticeReceiver(self->attempt.conn, on_notice, self);
}

/* The attempt has its connection: it becomes the one in use. */
static void
attempt_succeeded(sf_db_t *self)
{
    self->conn = self->attempt.conn;
    self->attempt.conn = NULL;
    if (self->was_up) {
        self->reconnects++;
        sf_info("database connection restored", "schema", self->schema);
    } else
        sf_info("database connected", "schema", self->schema);
    self->was_up = true;
    self->goodbye = false;
    self->failures = 0;
    self->backoff_ms = BACKOFF_FIRST_MS;
    self->checked_ms = sf_clock_ms();
}

/* Takes the attempt in progress as far as it goes within budget_ms (and
 * its deadline): libpq's non-blocking connect, then the search_path sent
 * and its answer read the same way, so that nothing here waits on a host
 * that does not answer for longer than budget_ms. */
static void
attempt_advance(sf_db_t *self, int budget_ms)
{
    int64_t until = sf_clock_ms() + budget_ms;
    while (self->attempt.conn) {
        PGconn *conn = self->attempt.conn;
        int64_t now = sf_clock_ms();
        if (now >= self->attempt.deadline_ms) {
            attempt_failed(self, "timeout expired");
            return;
        }
        int64_t wait = (until < self->attempt.deadline_ms ? until : self->attempt.deadline_ms) - now;
        bool write = !self->attempt.setting_path && self->attempt.polling == PGRES_POLLING_WRITING;
        if (!socket_ready(PQsocket(conn), write, (int) (wait > 0 ? wait : 0)))
            return;    /* not yet: the next call goes on */
        if (!self->attempt.setting_path) {
            self->attempt.polling = PQconnectPoll(conn);
            if (self->attempt.polling == PGRES_POLLING_FAILED) {
                attempt_failed(self, PQerrorMessage(conn));
                return;
            }
            if (self->attempt.polling != PGRES_POLLING_OK)
                continue;
            /* Connected: every statement here names its tables without the
             * schema. */
            const char *values[1] = { self->schema };
            if (PQsendQueryParams(conn, "SELECT pg_catalog.set_config('search_path', $1, false)",
                                  1, NULL, values, NULL, NULL, 0) != 1) {
                attempt_failed(self, PQerrorMessage(conn));
                return;
            }
            self->attempt.setting_path = true;
            continue;
        }
        if (PQflush(conn) < 0 || PQconsumeInput(conn) != 1) {
            attempt_failed(self, PQerrorMessage(conn));
            return;
        }
        if (PQisBusy(conn))
            continue;
        bool ok = true;
        char reason[256] = "";
        for (PGresult *result; (result = PQgetResult(conn)) != NULL; PQclear(result))
            if (PQresultStatus(result) != PGRES_TUPLES_OK) {
                ok = false;
                sf_text_format(reason, sizeof reason, "cannot set search_path: %s", PQresultErrorMessage(result));
            }
        if (!ok) {
            attempt_failed(self, reason);
            return;
        }
        attempt_succeeded(self);
    }
}

static void
mark_down(sf_db_t *self, const char *reason)
{
    if (!self->conn)
        return;
    sf_error("database connection lost", "schema", self->schema, "reason", reason);
    PQfinish(self->conn);
    self->conn = NULL;
    self->goodbye = false;
    self->n_deferred = 0;
    forget_prepared(self);
    /* The server may be back (a restart) or about to be: the first attempt
     * comes at once. */
    self->backoff_ms = BACKOFF_FIRST_MS;
    self->next_attempt_ms = sf_clock_ms();
}

/* Whether the idle connection still stands: what the server sent meanwhile
 * is read without waiting (the FATAL a backend sends as PostgreSQL stops,
 * then end of file; a keepalive's verdict on a dead host). One that has
 * gone is marked down. Not while a statement, a pipeline or a transaction
 * is in progress: those find a loss by themselves, and input read here
 * would be theirs. */
static void
check_idle(sf_db_t *self)
{
    if (!self->conn || self->flight.n)
        return;
    if (PQstatus(self->conn) == CONNECTION_BAD) {
        mark_down(self, "connection bad");
        return;
    }
    if (PQtransactionStatus(self->conn) != PQTRANS_IDLE)
        return;
    self->checked_ms = sf_clock_ms();
    /* Each read takes what has arrived, and the goodbye's end of file
     * comes to a read of its own: read while there is something to. */
    for (int reads = 0; reads < 8 && socket_ready(PQsocket(self->conn), false, 0); reads++) {
        if (PQconsumeInput(self->conn) != 1 || PQstatus(self->conn) == CONNECTION_BAD) {
            char reason[256];
            sf_text_format(reason, sizeof reason, "%s", PQerrorMessage(self->conn));
            reason[strcspn(reason, "\n")] = 0;
            mark_down(self, reason[0] ? reason : "connection closed");
            return;
        }
        PQisBusy(self->conn);    /* parses it: an error goes to on_notice */
        /* Nothing of ours was pending; a notification has no reader. */
        for (PGnotify *notify; (notify = PQnotifies(self->conn)) != NULL;)
            PQfreemem(notify);
        if (self->goodbye) {
            mark_down(self, "the server ended the connection");
            return;
        }
    }
}

bool
sf_db_connect(sf_db_t *self)
{
    if (self->conn)
        return true;
    if (!self->keywords)
        return false;
    if (!self->attempt.conn)
        attempt_start(self);
    if (self->attempt.conn)
        attempt_advance(self, self->connect_timeout_ms);
    return self->conn != NULL;
}

bool
sf_db_maintain(sf_db_t *self)
{
    int64_t now = sf_clock_ms();
    if (self->conn && now - self->checked_ms >= CHECK_INTERVAL_MS)
        check_idle(self);
    if (!self->conn && !self->attempt.conn && self->keywords && now >= self->next_attempt_ms)
        attempt_start(self);
    if (!self->conn && self->attempt.conn)
        attempt_advance(self, ATTEMPT_SLICE_MS);
    return self->conn != NULL;
}

bool
sf_db_alive(sf_db_t *self)
{
    if (self->conn)
        check_idle(self);
    if (!self->conn && !self->attempt.conn && self->keywords
        && sf_clock_ms() - self->attempt.started_ms >= ALIVE_RETRY_MS)
        attempt_start(self);
    if (!self->conn && self->attempt.conn)
        attempt_advance(self, ATTEMPT_SLICE_MS);
    return self->conn != NULL;
}

bool
sf_db_is_up(const sf_db_t *self)
{
    return self->conn != NULL;
}

int64_t
sf_db_reconnects(const sf_db_t *self)
{
    return self->reconnects;
}

PGconn *
sf_db_conn(sf_db_t *self)
{
    return self->conn;
}

/* --- parameters --------------------------------------------------------- */

void
sf_params_init(sf_params_t *params)
{
    params->count = 0;
}

static int
next_param(sf_params_t *params)
{
    /* Overflow is a programming error: abort loudly rather than run SQL with
     * the wrong parameters. */
    SF_ASSERT(params->count < SF_DB_MAX_PARAMS);
    int i = params->count++;
    params->lengths[i] = 0;
    params->formats[i] = 0;
    return i;
}

void
sf_params_text(sf_params_t *params, const char *value)
{
    int i = next_param(params);
    params->values[i] = value;
}

void
sf_params_text_or_null(sf_params_t *params, const char *value)
{
    sf_params_text(params, value && *value ? value : NULL);
}

void
sf_params_int(sf_params_t *params, int64_t value)
{
    int i = next_param(params);
    snprintf(params->numbers[i], sizeof params->numbers[i], "%lld", (long long) value);
    params->values[i] = params->numbers[i];
}

void
sf_params_double(sf_params_t *params, double value)
{
    int i = next_param(params);
    snprintf(params->numbers[i], sizeof params->numbers[i], "%.17g", value);
    params->values[i] = params->numbers[i];
}

void
sf_params_bool(sf_params_t *params, bool value)
{
    int i = next_param(params);
    params->values[i] = value ? "true" : "false";
}

void
sf_params_bytes(sf_params_t *params, const void *data, size_t size)
{
    int i = next_param(params);
    params->values[i] = data ? (const char *) data : "";
    params->lengths[i] = (int) size;
    params->formats[i] = 1;
}

void
sf_params_null(sf_params_t *params)
{
    int i = next_param(params);
    params->values[i] = NULL;
}

/* --- statements --------------------------------------------------------- */

static bool
connection_lost(sf_db_t *self, const PGresult *result)
{
    if (PQstatus(self->conn) == CONNECTION_BAD)
        return true;
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    /* 08: connection exceptions; 57P01-03: shutdown and cannot connect now. */
    return state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0);
}

/* sql's entry in the statement cache, or the empty slot where it would go
 * (entry->sql NULL). */
static prepared_t *
cache_entry(const sf_db_t *self, const char *sql, uint64_t hash)
{
    for (int slot = (int) (hash % CACHE_SLOTS);; slot = (slot + 1) % CACHE_SLOTS) {
        prepared_t *entry = &self->prepared[slot];
        if (!entry->sql || (entry->hash == hash && strcmp(entry->sql, sql) == 0))
            return entry;
    }
}

/* The prepared name for sql on this connection, preparing it if new; NULL
 * when the cache is full (run unprepared) or preparing failed. */
static const char *
prepared_name(sf_db_t *self, const char *sql, const sf_params_t *params, PGresult **failure)
{
    uint64_t hash = text_hash(sql);
    prepared_t *entry = cache_entry(self, sql, hash);
    if (entry->sql)
        return entry->name;
    if (self->n_prepared >= STATEMENT_CACHE_MAX)
        return NULL;
    snprintf(entry->name, sizeof entry->name, "sf%d", ++self->statement_serial);
    PGresult *result = PQprepare(self->conn, entry->name, sql, params ? params->count : 0, NULL);
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
        *failure = result;
        return NULL;
    }
    PQclear(result);
    entry->sql = strdup(sql);
    entry->hash = hash;
    self->n_prepared++;
    return entry->name;
}

static bool run_pipeline(sf_db_t *self, const sf_db_step_t *steps, int n, PGresult **results);

/* Whether sql would be prepared on its own before going out (new on this
 * connection, and room in the cache). */
static bool
needs_prepare(const sf_db_t *self, const char *sql)
{
    return self->n_prepared < STATEMENT_CACHE_MAX && !cache_entry(self, sql, text_hash(sql))->sql;
}

/* Puts the deferred commands ahead of steps[0, n) in steps_out (room for
 * SF_DB_PIPELINE_MAX + SF_DB_DEFERRED_MAX) and empties the queue; returns
 * how many steps there are now. */
static int
take_deferred(sf_db_t *self, const sf_db_step_t *steps, int n, sf_db_step_t *steps_out)
{
    int count = 0;
    for (int i = 0; i < self->n_deferred; i++)
        steps_out[count++] = (sf_db_step_t) { self->deferred[i], NULL };
    self->n_deferred = 0;
    for (int i = 0; i < n; i++)
        steps_out[count++] = steps[i];
    return count;
}

/* Logs the deferred command that failed among results[0, n_deferred) and
 * returns its index, or -1 when they all succeeded. */
static int
failed_deferred(const sf_db_step_t *steps, int n_deferred, PGresult *const *results)
{
    for (int i = 0; i < n_deferred; i++)
        if (!sf_db_result_ok(results[i])) {
            /* No result: the connection was lost, and that is logged. */
            if (results[i])
                sf_warn("statement failed", "sql", steps[i].sql, "reason", PQresultErrorMessage(results[i]));
            return i;
        }
    return -1;
}

/* Sends the deferred commands now, in a round trip of their own: before a
 * statement that is prepared first (an error preparing it would abort the
 * transaction before they ran) or that cannot share a pipeline. */
static void
flush_deferred(sf_db_t *self)
{
    if (!self->n_deferred)
        return;
    sf_db_step_t steps[SF_DB_PIPELINE_MAX + SF_DB_DEFERRED_MAX] = { { NULL, NULL } };
    PGresult *results[SF_DB_PIPELINE_MAX + SF_DB_DEFERRED_MAX];
    int n = take_deferred(self, NULL, 0, steps);
    run_pipeline(self, steps, n, results);
    failed_deferred(steps, n, results);
    for (int i = 0; i < n; i++)
        PQclear(results[i]);
}

/* sf_db_query with deferred commands ahead of it: one pipeline. A failed
 * command's result stands for the statement's. */
static PGresult *
query_after_deferred(sf_db_t *self, const char *sql, const sf_params_t *params)
{
    if (needs_prepare(self, sql)) {
        flush_deferred(self);
        return sf_db_query(self, sql, params);
    }
    int n_deferred = self->n_deferred;
    sf_db_step_t steps[SF_DB_PIPELINE_MAX + SF_DB_DEFERRED_MAX];
    PGresult *results[SF_DB_PIPELINE_MAX + SF_DB_DEFERRED_MAX];
    const sf_db_step_t step = { sql, params };
    int n = take_deferred(self, &step, 1, steps);
    run_pipeline(self, steps, n, results);
    int failed = failed_deferred(steps, n_deferred, results);
    PGresult *result = failed >= 0 ? results[failed] : results[n - 1];
    for (int i = 0; i < n; i++)
        if (results[i] != result)
            PQclear(results[i]);
    return result;
}

/* A statement while a pipeline is in flight would read that pipeline's
 * results as its own: a caller's mistake, refused loudly. */
static bool
in_flight_refused(const sf_db_t *self, const char *sql)
{
    if (!self->flight.n)
        return false;
    sf_error("statement refused: a pipeline is in flight", "schema", self->schema, "sql", sql);
    return true;
}

PGresult *
sf_db_query(sf_db_t *self, const char *sql, const sf_params_t *params)
{
    if (!self->conn || in_flight_refused(self, sql))
        return NULL;
    if (self->n_deferred)
        return query_after_deferred(self, sql, params);
    int n = params ? params->count : 0;
    const char *const *values = params ? params->values : NULL;
    const int *lengths = params ? params->lengths : NULL;
    const int *formats = params ? params->formats : NULL;
    PGresult *failure = NULL;
    const char *name = prepared_name(self, sql, params, &failure);
    PGresult *result;
    if (failure)
        result = failure;
    else if (name)
        result = PQexecPrepared(self->conn, name, n, values, lengths, formats, 0);
    else
        result = PQexecParams(self->conn, sql, n, NULL, values, lengths, formats, 0);
    if (!sf_db_result_ok(result) && connection_lost(self, result)) {
        mark_down(self, result ? PQresultErrorMessage(result) : "no result");
        PQclear(result);
        return NULL;
    }
    return result;
}

/* PQexec of sql after the deferred commands. Not in one text: a syntax
 * error anywhere in a simple query keeps all of it from running, and its
 * texts may hold several statements, which a pipeline cannot. */
static PGresult *
exec_after_deferred(sf_db_t *self, const char *sql)
{
    flush_deferred(self);
    return self->conn ? PQexec(self->conn, sql) : NULL;
}

bool
sf_db_command(sf_db_t *self, const char *sql)
{
    if (!self->conn || in_flight_refused(self, sql))
        return false;
    PGresult *result = exec_after_deferred(self, sql);
    bool ok = sf_db_result_ok(result);
    if (!ok) {
        if (connection_lost(self, result))
            mark_down(self, result ? PQresultErrorMessage(result) : "no result");
        else
            sf_warn("statement failed", "sql", sql,
                    "reason", result ? PQresultErrorMessage(result) : "no result");
    }
    PQclear(result);
    return ok;
}

/* The pipeline's first half, for at most SF_DB_PIPELINE_MAX +
 * SF_DB_DEFERRED_MAX steps: prepared (once per connection and text), sent
 * and flushed. false when not sent; *failure is then a preparing step's
 * error (at *failure_step), or NULL when the connection was lost. */
static bool
send_steps(sf_db_t *self, const sf_db_step_t *steps, int n, PGresult **failure, int *failure_step)
{
    *failure = NULL;
    *failure_step = -1;
    if (!self->conn || n < 1 || n > SF_DB_PIPELINE_MAX + SF_DB_DEFERRED_MAX)
        return false;
    const char *names[SF_DB_PIPELINE_MAX + SF_DB_DEFERRED_MAX];
    for (int i = 0; i < n; i++) {
        PGresult *prepare_failure = NULL;
        names[i] = prepared_name(self, steps[i].sql, steps[i].params, &prepare_failure);
        if (prepare_failure) {
            if (connection_lost(self, prepare_failure)) {
                mark_down(self, PQresultErrorMessage(prepare_failure));
                PQclear(prepare_failure);
            } else {
                *failure = prepare_failure;
                *failure_step = i;
            }
            return false;
        }
    }
    PGconn *conn = self->conn;
    bool sent = PQenterPipelineMode(conn) == 1;
    for (int i = 0; sent && i < n; i++) {
        const sf_params_t *params = steps[i].params;
        int count = params ? params->count : 0;
        const char *const *values = params ? params->values : NULL;
        const int *lengths = params ? params->lengths : NULL;
        const int *formats = params ? params->formats : NULL;
        sent = names[i] ? PQsendQueryPrepared(conn, names[i], count, values, lengths, formats, 0) == 1
                        : PQsendQueryParams(conn, steps[i].sql, count, NULL, values, lengths, formats, 0) == 1;
    }
    /* In pipeline mode the sync only queues: the flush sends, so that the
     * server works while the caller does (libpq would flush only when
     * asked for a result). */
    sent = sent && PQpipelineSync(conn) == 1 && PQflush(conn) == 0;
    if (!sent) {
        mark_down(self, PQerrorMessage(conn));
        return false;
    }
    return true;
}

/* The second half: the n steps' results (see sf_db_pipeline). */
static bool
receive_steps(sf_db_t *self, int n, PGresult **results)
{
    for (int i = 0; i < n; i++)
        results[i] = NULL;
    if (!self->conn)
        return false;
    PGconn *conn = self->conn;
    /* Each step's result, then NULL; a step after a failure answers
     * PIPELINE_ABORTED; last the sync. */
    bool ok = true, lost = false;
    for (int i = 0; i < n; i++) {
        PGresult *result = PQgetResult(conn);
        if (!result) {
            lost = true;
            break;
        }
        if (!sf_db_result_ok(result)) {
            ok = false;
            lost = lost || (PQresultStatus(result) != PGRES_PIPELINE_ABORTED && connection_lost(self, result));
        }
        if (PQresultStatus(result) == PGRES_PIPELINE_ABORTED)
            PQclear(result);
        else
            results[i] = result;
        for (PGresult *extra; (extra = PQgetResult(conn)) != NULL;)
            PQclear(extra);
    }
    PGresult *sync = lost ? NULL : PQgetResult(conn);
    lost = lost || !sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (lost || PQexitPipelineMode(conn) != 1) {
        mark_down(self, PQerrorMessage(conn));
        for (int i = 0; i < n; i++) {
            PQclear(results[i]);
            results[i] = NULL;
        }
        return false;
    }
    return ok;
}

static bool
run_pipeline(sf_db_t *self, const sf_db_step_t *steps, int n, PGresult **results)
{
    PGresult *failure;
    int failure_step;
    if (send_steps(self, steps, n, &failure, &failure_step))
        return receive_steps(self, n, results);
    for (int i = 0; i < n; i++)
        results[i] = i == failure_step ? failure : NULL;
    return false;
}

bool
sf_db_pipeline_send(sf_db_t *self, const sf_db_step_t *steps, int n)
{
    if (self->flight.n) {
        sf_error("a pipeline is already in flight", "schema", self->schema);
        return false;
    }
    for (int i = 0; self->n_deferred && i < n && i < SF_DB_PIPELINE_MAX; i++)
        if (needs_prepare(self, steps[i].sql))
            flush_deferred(self);
    sf_db_step_t all_steps[SF_DB_PIPELINE_MAX + SF_DB_DEFERRED_MAX];
    int n_deferred = self->n_deferred;
    int n_all = n >= 1 && n <= SF_DB_PIPELINE_MAX ? take_deferred(self, steps, n, all_steps) : 0;
    self->flight.n = n_all > 0 ? n_all : 1;    /* what receive must hand back, even when nothing went */
    self->flight.n_deferred = n_all > 0 ? n_deferred : 0;
    for (int i = 0; i < self->flight.n_deferred; i++)
        self->flight.deferred[i] = all_steps[i];
    self->flight.sent = n_all > 0
                     && send_steps(self, all_steps, n_all, &self->flight.failure, &self->flight.failure_step);
    return self->flight.sent;
}

bool
sf_db_pipeline_receive(sf_db_t *self, PGresult **results, int n)
{
    int n_all = self->flight.n, n_deferred = self->flight.n_deferred;
    PGresult *all_results[SF_DB_PIPELINE_MAX + SF_DB_DEFERRED_MAX];
    bool ok;
    if (self->flight.sent)
        ok = receive_steps(self, n_all, all_results);
    else {
        for (int i = 0; i < n_all; i++)
            all_results[i] = i == self->flight.failure_step ? self->flight.failure : NULL;
        ok = false;
    }
    failed_deferred(self->flight.deferred, n_deferred, all_results);
    for (int i = 0; i < n_deferred; i++)
        PQclear(all_results[i]);
    for (int i = 0; i < n; i++)
        results[i] = n_deferred + i < n_all ? all_results[n_deferred + i] : NULL;
    for (int i = n_deferred + n; i < n_all; i++)
        PQclear(all_results[i]);
    self->flight.n = 0;
    self->flight.failure = NULL;
    return ok;
}

bool
sf_db_pipeline_in_flight(const sf_db_t *self)
{
    return self->flight.n > 0;
}

bool
sf_db_pipeline(sf_db_t *self, const sf_db_step_t *steps, int n, PGresult **results)
{
    sf_db_pipeline_send(self, steps, n);
    return sf_db_pipeline_receive(self, results, n);
}

void
sf_db_defer(sf_db_t *self, const char *command)
{
    if (!self->conn)
        return;
    if (self->n_deferred == SF_DB_DEFERRED_MAX)
        flush_deferred(self);    /* full: the oldest go out now, on their own */
    self->deferred[self->n_deferred++] = command;
}

bool
sf_db_take_back(sf_db_t *self, const char *command)
{
    if (self->n_deferred == 0 || strcmp(self->deferred[self->n_deferred - 1], command) != 0)
        return false;
    self->n_deferred--;
    return true;
}

void
sf_db_failure_of(sf_db_failure_t *failure, const PGresult *result)
{
    failure->status = sf_db_status(result);
    failure->constraint[0] = 0;
    failure->detail[0] = 0;
    if (failure->status == SF_OK) {
        failure->message[0] = 0;
        return;
    }
    if (!result || failure->status == SF_UNAVAILABLE) {
        snprintf(failure->message, sizeof failure->message, "database unavailable");
        if (result)
            sf_text_format(failure->detail, sizeof failure->detail, "%s", PQresultErrorMessage(result));
        return;
    }
    sf_text_format(failure->detail, sizeof failure->detail, "%s", PQresultErrorMessage(result));
    sf_text_format(failure->constraint, sizeof failure->constraint, "%s", sf_db_constraint(result));
    /* Our SQL is wrong: the server's words are for the log, not the caller. */
    const char *primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    if (failure->status == SF_INTERNAL)
        snprintf(failure->message, sizeof failure->message, "internal error");
    else
        sf_text_format(failure->message, sizeof failure->message, "%s",
                       primary ? primary : sf_status_name(failure->status));
}

PGresult *
sf_db_try(sf_db_t *self, const char *sql, const sf_params_t *params, sf_db_failure_t *failure)
{
    PGresult *result = sf_db_query(self, sql, params);
    if (sf_db_result_ok(result)) {
        if (failure)
            failure->status = SF_OK;
        return result;
    }
    if (failure)
        sf_db_failure_of(failure, result);
    PQclear(result);
    return NULL;
}

sf_status_t
sf_db_run(sf_db_t *self, const char *sql, const sf_params_t *params, PGresult **result_p)
{
    sf_db_failure_t failure;
    PGresult *result = sf_db_try(self, sql, params, &failure);
    if (result_p && result)
        *result_p = result;
    else
        PQclear(result);
    return failure.status;
}

bool
sf_db_result_ok(const PGresult *result)
{
    if (!result)
        return false;
    ExecStatusType status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

sf_status_t
sf_db_status(const PGresult *result)
{
    if (!result)
        return SF_UNAVAILABLE;
    if (sf_db_result_ok(result))
        return SF_OK;
    const char *state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    if (!state)
        return SF_UNAVAILABLE;
    if (strcmp(state, "23505") == 0)
        return SF_ALREADY_EXISTS;
    if (strcmp(state, "23503") == 0)
        return SF_FAILED_PRECONDITION;
    if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0
        || strncmp(state, "22", 2) == 0)
        return SF_INVALID_ARGUMENT;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return SF_ABORTED;
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0)
        return SF_UNAVAILABLE;
    if (strcmp(state, "57014") == 0)
        return SF_DEADLINE_EXCEEDED;
    return SF_INTERNAL;
}

const char *
sf_db_constraint(const PGresult *result)
{
    const char *name = result ? PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME) : NULL;
    return name ? name : "";
}

bool
sf_db_begin(sf_db_t *self)
{
    return sf_db_command(self, "BEGIN");
}

bool
sf_db_commit(sf_db_t *self)
{
    if (!self->conn || in_flight_refused(self, "COMMIT"))
        return false;
    PGresult *result = exec_after_deferred(self, "COMMIT");
    /* A COMMIT of an aborted transaction reports success as ROLLBACK: that is
     * a failure for us. */
    bool ok = sf_db_result_ok(result) && strcmp(PQcmdStatus(result), "COMMIT") == 0;
    if (!ok && connection_lost(self, result))
        mark_down(self, result ? PQresultErrorMessage(result) : "commit failed");
    PQclear(result);
    return ok;
}

void
sf_db_rollback(sf_db_t *self)
{
    /* What was deferred belonged to the transaction. */
    self->n_deferred = 0;
    /* A ROLLBACK that fails has lost the connection (sf_db_command marks
     * it down), and the server ends the transaction with it. */
    if (self->conn && PQtransactionStatus(self->conn) != PQTRANS_IDLE)
        SF_IGNORE(sf_db_command(self, "ROLLBACK"));
}

const char *
sf_db_text(const PGresult *result, int row, int column)
{
    if (!result || row >= PQntuples(result) || column >= PQnfields(result))
        return "";
    return PQgetvalue(result, row, column);
}

int64_t
sf_db_int(const PGresult *result, int row, int column)
{
    return strtoll(sf_db_text(result, row, column), NULL, 10);
}

double
sf_db_double(const PGresult *result, int row, int column)
{
    return strtod(sf_db_text(result, row, column), NULL);
}

bool
sf_db_bool(const PGresult *result, int row, int column)
{
    return sf_db_text(result, row, column)[0] == 't';
}

bool
sf_db_is_null(const PGresult *result, int row, int column)
{
    if (!result || row >= PQntuples(result) || column >= PQnfields(result))
        return true;
    return PQgetisnull(result, row, column);
}

/* --- array literals ----------------------------------------------------- */

void
sf_pgarray_init(sf_pgarray_t *array)
{
    memset(array, 0, sizeof *array);
}

/* Room for size more bytes (and the closing brace and NUL that
 * sf_pgarray_text adds); NULL once out of memory. A whole element is
 * reserved at once and written in place: for a batch's event payloads this
 * runs over megabytes. */
static char *
array_reserve(sf_pgarray_t *array, size_t size)
{
    if (array->failed)
        return NULL;
    if (array->length + size + 3 > array->capacity) {
        size_t capacity = array->capacity ? array->capacity : 256;
        while (capacity < array->length + size + 3)
            capacity *= 2;
        char *grown = realloc(array->text, capacity);
        if (!grown) {
            array->failed = true;
            return NULL;
        }
        array->text = grown;
        array->capacity = capacity;
    }
    return array->text + array->length;
}

static void
array_append(sf_pgarray_t *array, const char *text, size_t length)
{
    char *at = array_reserve(array, length);
    if (!at)
        return;
    memcpy(at, text, length);
    array->length += length;
}

/* The separator before the next element ("{" before the first) and room
 * for the element itself. */
static char *
array_element(sf_pgarray_t *array, size_t size)
{
    char *at = array_reserve(array, size + 1);
    if (!at)
        return NULL;
    *at = array->count++ ? ',' : '{';
    array->length++;
    return at + 1;
}

void
sf_pgarray_add_text(sf_pgarray_t *array, const char *value)
{
    if (!value) {
        char *at = array_element(array, 4);
        if (at) {
            memcpy(at, "NULL", 4);
            array->length += 4;
        }
        return;
    }
    /* Quoted element: only " and \ need a backslash, so at most twice the
     * length and the quotes. */
    size_t length = strlen(value);
    char *at = array_element(array, 2 * length + 2);
    if (!at)
        return;
    char *out = at;
    *out++ = '"';
    for (size_t i = 0; i < length; i++) {
        char c = value[i];
        if (c == '"' || c == '\\')
            *out++ = '\\';
        *out++ = c;
    }
    *out++ = '"';
    array->length += (size_t) (out - at);
}

void
sf_pgarray_add_int(sf_pgarray_t *array, int64_t value)
{
    char digits[24];
    size_t n = 0;
    /* Unsigned, so that the most negative value has its magnitude too. */
    uint64_t magnitude = value < 0 ? 0 - (uint64_t) value : (uint64_t) value;
    do {
        digits[n++] = (char) ('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    char *at = array_element(array, n + 1);
    if (!at)
        return;
    char *out = at;
    if (value < 0)
        *out++ = '-';
    while (n)
        *out++ = digits[--n];
    array->length += (size_t) (out - at);
}

void
sf_pgarray_add_bytes(sf_pgarray_t *array, const void *data, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    /* bytea's hex input "\x0a1b..." inside a quoted element: "\\x0a1b". */
    char *at = array_element(array, 2 * size + 5);
    if (!at)
        return;
    memcpy(at, "\"\\\\x", 4);
    char *out = at + 4;
    const unsigned char *bytes = data;
    for (size_t i = 0; i < size; i++) {
        out[0] = hex[bytes[i] >> 4];
        out[1] = hex[bytes[i] & 15];
        out += 2;
    }
    *out++ = '"';
    array->length += (size_t) (out - at);
}

const char *
sf_pgarray_text(sf_pgarray_t *array)
{
    if (array->count == 0)
        array_append(array, "{", 1);
    array_append(array, "}", 1);
    if (array->failed)
        return NULL;
    array->text[array->length] = 0;
    array->length--;   /* a later add overwrites the closing brace */
    return array->text;
}

void
sf_pgarray_release(sf_pgarray_t *array)
{
    free(array->text);
    memset(array, 0, sizeof *array);
}

size_t
sf_pgarray_parse(const char *literal, char *buffer, char **out, size_t max)
{
    size_t n = 0;
    const char *c = literal ? literal : "";
    if (*c == '{')
        c++;
    while (*c && *c != '}' && n < max) {
        char *start = buffer;
        if (*c == '"') {
            for (c++; *c && *c != '"'; c++) {
                if (*c == '\\' && c[1])
                    c++;
                *buffer++ = *c;
            }
            if (*c == '"')
                c++;
        } else
            for (; *c && *c != ',' && *c != '}'; c++)
                *buffer++ = *c;
        *buffer++ = 0;
        out[n++] = start;
        if (*c == ',')
            c++;
    }
    return n;
}
