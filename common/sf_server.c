/* The service loop: ROUTER and PUB sockets, envelope checks, read methods at
 * once, write methods in group-committed batches with idempotency and the
 * event log, database reconnects, timers and signals. */
#include "sf_server.h"
#include "sf_arena.h"
#include "sf_curve.h"
#include "sf_envelope.h"
#include "sf_eventlog.h"
#include "sf_log.h"
#include "sf_metrics.h"
#include "sf_text.h"
#include "sifang/v1/sys.pb-c.h"
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define MAX_TIMERS 16
#define MAX_READERS 16
#define MAX_VIOLATIONS SF_ENVELOPE_MAX_VIOLATIONS

/* The service loop's settings: what sf_server_new reads, in one struct. */
typedef struct {
    char endpoint[256];
    char publish[256];
    char instance[96];
    char schema[64];
    int max_message;
    int batch_max;
    int idempotency_ttl_hours;
} server_settings_t;

static const char *
service_name(const char *service)
{
    return service;
}

/* A schema name used unquoted in SQL: lower case, digits and _. */
static bool
schema_name_valid(const char *value, char *why, size_t why_size)
{
    size_t length = strlen(value);
    if (length > 0 && length < 64 && strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_") == length
        && !(value[0] >= '0' && value[0] <= '9'))
        return true;
    snprintf(why, why_size, "\"%.64s\" is not a schema name: lower-case letters, digits and _, not led by a digit",
             value);
    return false;
}

const sf_var_t sf_server_settings[] = {
    { .name = "SIFANG_<SVC>_ENDPOINT", .type = SF_SETTING_ENDPOINT, .fallback_of = sf_default_endpoint,
      .fallback_note = "tcp://127.0.0.1:71x1", .at = offsetof(server_settings_t, endpoint) + 1,
      .size = sizeof(((server_settings_t *) 0)->endpoint),
      .description = "where the service's ROUTER binds (requests); port 0 or an ipc socket: said in the serving line" },
    { .name = "SIFANG_<SVC>_PUBLISH", .type = SF_SETTING_ENDPOINT, .fallback_of = sf_default_publish,
      .fallback_note = "tcp://127.0.0.1:71x2", .at = offsetof(server_settings_t, publish) + 1,
      .size = sizeof(((server_settings_t *) 0)->publish), .description = "where its PUB binds (event notices)" },
    { .name = "SIFANG_INSTANCE", .type = SF_SETTING_TEXT, .fallback_of = service_name, .fallback_note = "<service>",
      .at = offsetof(server_settings_t, instance) + 1, .size = sizeof(((server_settings_t *) 0)->instance),
      .description = "instance name in events, e.g. intake@civil-affairs" },
    SF_CHECKED("SIFANG_<SVC>_DATABASE_URL", SF_SETTING_TEXT, NULL,
               "libpq connection string; else the PG* variables as role sifang_<svc>"),
    { .name = "SIFANG_<SVC>_SCHEMA", .type = SF_SETTING_TEXT, .fallback_of = service_name, .fallback_note = "<service>",
      .check = schema_name_valid, .at = offsetof(server_settings_t, schema) + 1,
      .size = sizeof(((server_settings_t *) 0)->schema), .description = "the schema the service owns" },
    SF_CHECKED("PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD", SF_SETTING_LIBPQ, NULL, "standard libpq variables"),
    /* Up to the transport's cut (64 MiB): larger frames are dropped unread. */
    SF_INTEGER("SIFANG_MAX_MESSAGE_BYTES", server_settings_t, max_message, "1048576", 1024, 64 << 20,
               "largest request body accepted; larger ones are answered RESOURCE_EXHAUSTED"),
    SF_INTEGER("SIFANG_BATCH_MAX", server_settings_t, batch_max, "256", 1, 10000,
               "most write requests committed in one transaction"),
    SF_DURATION("SIFANG_IDEMPOTENCY_TTL_HOURS", server_settings_t, idempotency_ttl_hours, "48", "hours", 1, 8760,
                "how long replies are kept for repeated request ids"),
    SF_CHECKED("SIFANG_CURVE_SECRET_KEY_FILE", SF_SETTING_PATH, NULL, "the service's CURVE keypair (enables CURVE)"),
    SF_CHECKED("SIFANG_CURVE_ALLOWLIST", SF_SETTING_PATH, NULL,
               "admitted client keys: <public-key> <principal> <role> [scope]"),
    { .name = "SIFANG_CURVE_CLIENT_KEY_FILE", .type = SF_SETTING_PATH, .fallback_note = "the service's own key",
      .description = "this daemon's key as a client of other services" },
    SF_CHECKED("SIFANG_<PEER>_PUBLIC_KEY_FILE", SF_SETTING_PATH, NULL,
               "a peer service's public key, for calling or following it"),
    /* Read by sf_client and sf_log where they start; checked here first. */
    { .name = "SIFANG_CLIENT_TIMEOUT_MS", .type = SF_SETTING_DURATION, .fallback = "3000", .unit = "ms",
      .min = 1, .max = 600000, .description = "a client's wait for each attempt (calls to peers)" },
    { .name = "SIFANG_LOG_LEVEL", .type = SF_SETTING_ENUM, .fallback = "info", .choices = "debug info warn error",
      .description = "the least severe level logged" },
    { .name = NULL },
};

/* SIGTERM/SIGINT only set this; the loop sees it after zmq_poll returns. */
static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int signal_number)
{
    (void) signal_number;
    stop_requested = 1;
}

typedef struct {
    int interval_ms;
    int64_t due_ms;
    sf_timer_fn fn;
    void *arg;
} timer_t_;

typedef struct {
    void *socket;
    void *(*socket_fn)(void *);   /* or looked up each turn, for sockets that change */
    void *socket_arg;
    sf_reader_fn fn;
    void *arg;
} reader_t;

/* A write request waiting for its batch. */
typedef struct {
    zmq_msg_t identity;
    Sifang__V1__RequestHeader *header;
    ProtobufCMessage *request;
    const sf_method_t *method;
    Sifang__V1__Principal principal;   /* strings owned by the pending */
    int64_t received_ms;
    /* Filled while the batch runs. */
    sf_status_t status;
    char *message;
    uint8_t *reply_body;
    size_t reply_size;
    size_t n_violations;
    char **violation_fields;
    char **violation_descriptions;
    sf_outbox_t events;
    bool replayed;
    /* The idempotency key (principal, request id) is bound to the method and
     * to this digest of the body (decoded and packed again, so that two
     * encodings of one message agree). */
    uint8_t digest[crypto_generichash_BYTES];
    /* The batch index of the first request with the same key, or -1: a
     * repeat never runs, it gets that one's outcome (link_repeat). */
    int first;
    /* Answered before running: a key reused for another request. */
    bool refused;
} pending_t;

struct sf_server_t {
    const sf_service_t *service;
    char instance[96];
    char schema[64];
    char *endpoint;
    char *publish;
    size_t max_message;
    int batch_max;
    int idempotency_ttl_hours;
    void *context;
    void *router;
    void *pub;
    sf_curve_server_t curve;
    sf_zap_t *zap;
    sf_db_t *db;
    bool migrated;
    int64_t migrate_retry_ms;
    sf_metrics_t *metrics;
    sf_arena_t *arena;
    timer_t_ timers[MAX_TIMERS];
    int n_timers;
    reader_t readers[MAX_READERS];
    int n_readers;
    bool stopping;
    int64_t started_ms;
    int64_t batches;
    int64_t batched_requests;
    int64_t replayed;
    int64_t event_head;
    pending_t *batch;
    int n_batch;
    /* The other half of the double buffer: the batch being answered while
     * the next one's BEGIN is with the server (run_batch). */
    pending_t *answering;
    bool begun;                 /* batch's BEGIN pipeline is in flight */
    int chained;                /* batches begun back to back without the loop */
    sf_server_stats_fn stats_fns[MAX_READERS];
    void *stats_args[MAX_READERS];
    int n_stats_hooks;
};

struct sf_call_t {
    sf_server_t *server;
    sf_db_t *db;                     /* the server's, or a fork's own */
    sf_arena_t *arena;               /* the server's, or a fork's own */
    const char *method;
    const char *request_id;
    const Sifang__V1__Principal *principal;
    bool writes;
    sf_status_t status;
    char message[512];
    size_t n_violations;
    char *violation_fields[MAX_VIOLATIONS];
    char *violation_descriptions[MAX_VIOLATIONS];
    PGresult **results;
    size_t n_results;
    size_t results_capacity;
    sf_outbox_t events;              /* emitted, owned until handed to the batch */
    bool group_events;               /* sf_call_group_events */
    sf_call_t **forks;               /* sf_call_fork: released with the call */
    size_t n_forks;
    bool timer;                      /* a timer's call (sf_timer_fn) */
    Sifang__V1__Principal own;       /* a timer's principal: the server's own */
};

static void publish_head(sf_server_t *self);

/* --- construction ------------------------------------------------------- */

sf_server_t *
sf_server_new(const sf_service_t *service, char *error, size_t error_size)
{
    sf_server_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    self->service = service;
    server_settings_t settings;
    if (sf_settings_load(sf_server_settings, service->service, &settings, error, error_size) != 0) {
        free(self);
        return NULL;
    }
    snprintf(self->instance, sizeof self->instance, "%s", settings.instance);
    snprintf(self->schema, sizeof self->schema, "%s", settings.schema);
    self->endpoint = settings.endpoint[0] ? strdup(settings.endpoint) : NULL;
    self->publish = settings.publish[0] ? strdup(settings.publish) : NULL;
    self->max_message = (size_t) settings.max_message;
    self->batch_max = settings.batch_max;
    self->idempotency_ttl_hours = settings.idempotency_ttl_hours;
    self->started_ms = sf_clock_ms();
    self->event_head = -1;
    if (sodium_init() < 0) {
        snprintf(error, error_size, "libsodium cannot start");
        goto failed;
    }
    self->metrics = sf_metrics_new();
    self->arena = sf_arena_new();
    self->batch = calloc((size_t) self->batch_max, sizeof(pending_t));
    self->answering = calloc((size_t) self->batch_max, sizeof(pending_t));
    /* Made now so followers and clients inside the daemon can share it. */
    self->context = zmq_ctx_new();
    if (!self->endpoint || !self->publish) {
        snprintf(error, error_size, "no endpoint configured for %s (set SIFANG_%s_ENDPOINT and _PUBLISH)",
                 service->service, service->service);
        goto failed;
    }
    if (!self->metrics || !self->arena || !self->batch || !self->answering || !self->context) {
        snprintf(error, error_size, "out of memory");
        goto failed;
    }
    if (sf_curve_server_from_env(&self->curve, error, error_size) != 0)
        goto failed;

    /* A dead host must not hang a reconnect attempt for minutes. */
    setenv("PGCONNECT_TIMEOUT", "3", 0);
    char *conninfo = sf_db_conninfo_from_env(service->service);
    self->db = conninfo ? sf_db_new(conninfo, self->schema) : NULL;
    free(conninfo);
    if (!self->db) {
        snprintf(error, error_size, "out of memory");
        goto failed;
    }
    return self;
failed:
    sf_server_destroy(&self);
    return NULL;
}

int
sf_server_command_line(int argc, char **argv, const char *service, const char *usage, const sf_var_t *own)
{
    const sf_var_t *const tables[] = { sf_server_settings, own, NULL };   /* own NULL ends it early */
    return sf_settings_start(argc, argv, service, usage, tables);
}

static void
close_socket(void **socket_p)
{
    if (*socket_p) {
        zmq_close(*socket_p);
        *socket_p = NULL;
    }
}

void
sf_server_destroy(sf_server_t **self_p)
{
    sf_server_t *self = *self_p;
    if (!self)
        return;
    close_socket(&self->router);
    close_socket(&self->pub);
    sf_zap_destroy(&self->zap);
    if (self->context)
        zmq_ctx_term(self->context);
    sf_curve_server_release(&self->curve);
    sf_db_destroy(&self->db);
    sf_metrics_destroy(&self->metrics);
    sf_arena_destroy(&self->arena);
    free(self->batch);
    free(self->answering);
    free(self->endpoint);
    free(self->publish);
    free(self);
    *self_p = NULL;
}

void
sf_server_add_timer(sf_server_t *self, int interval_ms, sf_timer_fn fn, void *arg)
{
    if (self->n_timers >= MAX_TIMERS) {
        sf_error("too many timers", "service", self->service->service);
        abort();
    }
    self->timers[self->n_timers++] = (timer_t_) { interval_ms, sf_clock_ms() + interval_ms, fn, arg };
}

void
sf_server_note_event_head(sf_server_t *self, int64_t head)
{
    if (head > self->event_head) {
        self->event_head = head;
        publish_head(self);
    }
}

void
sf_server_wake_timer(sf_server_t *self, sf_timer_fn fn, void *arg)
{
    for (int i = 0; i < self->n_timers; i++)
        if (self->timers[i].fn == fn && self->timers[i].arg == arg)
            self->timers[i].due_ms = sf_clock_ms();
}

void
sf_server_add_reader(sf_server_t *self, void *socket, sf_reader_fn fn, void *arg)
{
    if (self->n_readers >= MAX_READERS) {
        sf_error("too many readers", "service", self->service->service);
        abort();
    }
    self->readers[self->n_readers++] = (reader_t) { socket, NULL, NULL, fn, arg };
}

void
sf_server_add_reader_fn(sf_server_t *self, void *(*socket_fn)(void *), void *socket_arg,
                        sf_reader_fn fn, void *arg)
{
    if (self->n_readers >= MAX_READERS) {
        sf_error("too many readers", "service", self->service->service);
        abort();
    }
    self->readers[self->n_readers++] = (reader_t) { NULL, socket_fn, socket_arg, fn, arg };
}

void
sf_server_add_stats_hook(sf_server_t *self, sf_server_stats_fn fn, void *arg)
{
    if (self->n_stats_hooks >= MAX_READERS) {
        sf_error("too many stats hooks", "service", self->service->service);
        abort();
    }
    self->stats_fns[self->n_stats_hooks] = fn;
    self->stats_args[self->n_stats_hooks++] = arg;
}

void
sf_server_stop(sf_server_t *self)
{
    self->stopping = true;
}

void *sf_server_zmq_context(sf_server_t *self) { return self->context; }
sf_db_t *sf_server_db(sf_server_t *self) { return self->db; }

sf_db_t *
sf_server_new_db(const sf_server_t *self)
{
    char *conninfo = sf_db_conninfo_from_env(self->service->service);
    sf_db_t *db = conninfo ? sf_db_new(conninfo, self->schema) : NULL;
    free(conninfo);
    return db;
}
const char *sf_server_instance(const sf_server_t *self) { return self->instance; }
const char *sf_server_service(const sf_server_t *self) { return self->service->service; }
void *sf_server_state(sf_server_t *self) { return self->service->state; }
bool sf_server_ready(const sf_server_t *self) { return self->migrated && sf_db_is_up(self->db); }

/* --- principals ---------------------------------------------------------- */

static void
principal_set(Sifang__V1__Principal *principal, const char *id, const char *role, const char *scope)
{
    sifang__v1__principal__init(principal);
    principal->id = strdup(id ? id : "");
    principal->role = strdup(role ? role : "");
    principal->scope = strdup(scope ? scope : "");
}

static void
principal_release(Sifang__V1__Principal *principal)
{
    free(principal->id);
    free(principal->role);
    free(principal->scope);
    principal->id = principal->role = principal->scope = NULL;
}

static bool
role_in(const char *role, const char *roles)
{
    if (!roles)
        return true;
    if (!role || !*role)
        return false;
    size_t length = strlen(role);
    for (const char *at = roles; (at = strstr(at, role)) != NULL; at += length) {
        bool starts = at == roles || at[-1] == ' ';
        bool ends = at[length] == 0 || at[length] == ' ';
        if (starts && ends)
            return true;
    }
    return false;
}

/* Who is asking. With CURVE, the key the ZAP handler admitted decides; only
 * trusted forwarders (gateway, service) may act for a principal they name.
 * Without CURVE (development on one machine) the header is believed, and a
 * request naming no one acts as the local administrator. */
static int
resolve_principal(sf_server_t *self, zmq_msg_t *frame, const Sifang__V1__RequestHeader *header,
                  Sifang__V1__Principal *principal)
{
    const Sifang__V1__Principal *named = header->principal;
    bool names_someone = named && named->id && *named->id;
    if (!self->curve.enabled) {
        if (names_someone)
            principal_set(principal, named->id, named->role, named->scope);
        else
            principal_set(principal, "local", "admin", "");
        return 0;
    }
    const char *user_id = zmq_msg_gets(frame, "User-Id");
    const sf_client_key_t *key = user_id ? sf_allowlist_find_principal(self->curve.allowlist, user_id) : NULL;
    if (!key)
        return -1;
    if (names_someone && role_in(key->role, "gateway service"))
        principal_set(principal, named->id, named->role, named->scope);
    else
        principal_set(principal, key->principal_id, key->role, key->scope);
    return 0;
}

/* --- replies ------------------------------------------------------------- */

static void
send_reply(sf_server_t *self, zmq_msg_t *identity, const char *request_id, const char *trace_id,
           sf_status_t status, const char *message, size_t n_violations,
           char *const *fields, char *const *descriptions, bool replayed,
           const void *body, size_t body_size)
{
    sf_reply_header_t reply = {
        .request_id = request_id, .trace_id = trace_id, .status = status, .message = message,
        .n_violations = n_violations, .violation_fields = fields, .violation_descriptions = descriptions,
        .replayed = replayed,
    };
    size_t header_size = 0;
    uint8_t *header = sf_envelope_encode_reply(&reply, &header_size);
    if (!header)
        return;
    zmq_msg_t id_copy;
    zmq_msg_init(&id_copy);
    zmq_msg_copy(&id_copy, identity);
    /* A peer that has gone away makes ROUTER drop the reply: nothing to do. */
    if (zmq_msg_send(&id_copy, self->router, ZMQ_SNDMORE) < 0)
        zmq_msg_close(&id_copy);
    else if (zmq_send(self->router, header, header_size, ZMQ_SNDMORE) >= 0)
        zmq_send(self->router, body ? body : "", body ? body_size : 0, 0);
    free(header);
}

static void
reply_error(sf_server_t *self, zmq_msg_t *identity, const Sifang__V1__RequestHeader *header,
            const char *method, int64_t received_ms, sf_status_t status, const char *field,
            const char *format, ...) __attribute__((format(printf, 8, 9)));

static void
reply_error(sf_server_t *self, zmq_msg_t *identity, const Sifang__V1__RequestHeader *header,
            const char *method, int64_t received_ms, sf_status_t status, const char *field,
            const char *format, ...)
{
    char message[512];
    va_list args;
    va_start(args, format);
    sf_text_vformat(message, sizeof message, format, args);
    va_end(args);
    char *fields[1] = { (char *) field };
    char *descriptions[1] = { message };
    send_reply(self, identity, header ? header->request_id : "", header ? header->trace_id : "",
               status, message, field ? 1 : 0, fields, descriptions, false, NULL, 0);
    sf_metrics_record(self->metrics, method, status, (double) (sf_clock_ms() - received_ms));
    sf_info("request refused", "method", method, "status", sf_status_name(status),
            "request_id", header ? header->request_id : NULL, "reason", message);
}

/* --- calls --------------------------------------------------------------- */

static void
call_init(sf_call_t *call, sf_server_t *server, const char *method, const char *request_id,
          const Sifang__V1__Principal *principal, bool writes)
{
    memset(call, 0, sizeof *call);
    call->server = server;
    call->db = server->db;
    call->arena = server->arena;
    call->method = method;
    call->request_id = request_id ? request_id : "";
    call->principal = principal;
    call->writes = writes;
}

/* Frees the call's statement results. */
static void
call_release_results(sf_call_t *call)
{
    for (size_t i = 0; i < call->n_results; i++)
        PQclear(call->results[i]);
    free(call->results);
    call->results = NULL;
    call->n_results = 0;
}

/* Frees what the call holds but the events (handed to the batch on success),
 * and the memory its reply was built in. */
static void
call_release(sf_call_t *call)
{
    call_release_results(call);
    for (size_t i = 0; i < call->n_forks; i++) {
        sf_call_t *fork = call->forks[i];
        call_release_results(fork);
        sf_outbox_release(&fork->events);
        sf_arena_destroy(&fork->arena);
        free(fork);
    }
    free(call->forks);
    call->forks = NULL;
    call->n_forks = 0;
    sf_arena_reset(call->arena);
}

sf_call_t *
sf_call_fork(sf_call_t *call, sf_db_t *db)
{
    sf_call_t *fork = calloc(1, sizeof *fork);
    sf_call_t **grown = realloc(call->forks, (call->n_forks + 1) * sizeof *grown);
    if (!fork || !grown)
        abort();
    call->forks = grown;
    call->forks[call->n_forks++] = fork;
    fork->server = call->server;
    fork->db = db;
    fork->arena = sf_arena_new();
    if (!fork->arena)
        abort();
    fork->method = call->method;
    fork->request_id = call->request_id;
    fork->principal = call->principal;
    fork->writes = call->writes;
    fork->group_events = call->group_events;
    return fork;
}

bool
sf_call_commit(sf_call_t *fork, int64_t *head_p)
{
    if (fork->group_events)
        sf_outbox_group(&fork->events, 0);
    bool ok = sf_outbox_commit(&fork->events, fork->db, fork->principal->id, fork->request_id, head_p);
    /* A timer runs in the loop's thread: it may announce at once. */
    if (ok && fork->timer && *head_p >= 0)
        sf_server_note_event_head(fork->server, *head_p);
    return ok;
}

/* A timer's call: the server's connection and memory, its own principal,
 * writes allowed (a timer opens and commits its own transactions). */
static void
call_init_timer(sf_call_t *call, sf_server_t *server)
{
    memset(call, 0, sizeof *call);
    sifang__v1__principal__init(&call->own);
    call->own.id = server->instance;
    call->own.role = "service";
    call->own.scope = "";
    call->server = server;
    call->db = server->db;
    call->arena = server->arena;
    call->method = "(timer)";
    call->request_id = "";
    call->principal = &call->own;
    call->writes = true;
    call->timer = true;
}

void
sf_call_act_as(sf_call_t *call, const char *id)
{
    if (!call->timer) {
        sf_error("sf_call_act_as outside a timer is ignored", "method", call->method);
        return;
    }
    call->own.id = (char *) (id ? id : "");
}

void
sf_call_clear_failure(sf_call_t *call)
{
    call->status = SF_OK;
    call->message[0] = 0;
    call->n_violations = 0;
}

void *sf_call_state(sf_call_t *call) { return call->server->service->state; }
const Sifang__V1__Principal *sf_call_principal(const sf_call_t *call) { return call->principal; }
const char *sf_call_request_id(const sf_call_t *call) { return call->request_id; }
const char *sf_call_method(const sf_call_t *call) { return call->method; }
sf_db_t *sf_call_db(sf_call_t *call) { return call->db; }
sf_server_t *sf_call_server(sf_call_t *call) { return call->server; }

void *
sf_call_alloc(sf_call_t *call, size_t size)
{
    void *memory = sf_arena_alloc(call->arena, size);
    if (!memory) {
        sf_error("out of memory in a handler", "method", call->method);
        abort();
    }
    return memory;
}

char *
sf_call_strdup(sf_call_t *call, const char *text)
{
    char *copy = sf_arena_strdup(call->arena, text);
    if (!copy) {
        sf_error("out of memory in a handler", "method", call->method);
        abort();
    }
    return copy;
}

char *
sf_call_vprintf(sf_call_t *call, const char *format, va_list args)
{
    char *text = sf_arena_vprintf(call->arena, format, args);
    if (!text) {
        sf_error("out of memory in a handler", "method", call->method);
        abort();
    }
    return text;
}

char *
sf_call_printf(sf_call_t *call, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *text = sf_call_vprintf(call, format, args);
    va_end(args);
    return text;
}

ProtobufCMessage *
sf_call_new_message(sf_call_t *call, const ProtobufCMessageDescriptor *descriptor)
{
    ProtobufCMessage *message = sf_call_alloc(call, descriptor->sizeof_message);
    descriptor->message_init(message);
    return message;
}

void *
sf_call_new_array(sf_call_t *call, size_t n, size_t element_size)
{
    return sf_call_alloc(call, (n ? n : 1) * element_size);
}

static void
call_keep_result(sf_call_t *call, PGresult *result)
{
    if (call->n_results == call->results_capacity) {
        size_t capacity = call->results_capacity ? call->results_capacity * 2 : 8;
        PGresult **grown = realloc(call->results, capacity * sizeof *grown);
        if (!grown) {
            sf_error("out of memory in a handler", "method", call->method);
            abort();
        }
        call->results = grown;
        call->results_capacity = capacity;
    }
    call->results[call->n_results++] = result;
}

PGresult *
sf_call_query(sf_call_t *call, const char *sql, const sf_params_t *params)
{
    PGresult *result = sf_db_query(call->db, sql, params);
    if (sf_db_result_ok(result)) {
        call_keep_result(call, result);
        return result;
    }
    sf_status_t status = sf_db_status(result);
    if (status == SF_UNAVAILABLE)
        sf_call_fail(call, status, "database unavailable");
    else if (status == SF_INTERNAL) {
        /* Our SQL is wrong: the details are for the log, not the caller. */
        sf_error("statement failed", "method", call->method, "request_id", call->request_id,
                 "reason", PQresultErrorMessage(result));
        sf_call_fail(call, status, "internal error");
    } else {
        const char *primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
        sf_call_fail(call, status, "%s", primary ? primary : sf_status_name(status));
    }
    PQclear(result);
    return NULL;
}

sf_status_t
sf_call_fail(sf_call_t *call, sf_status_t status, const char *format, ...)
{
    /* The first failure is the one that explains; later ones are its echoes. */
    if (call->status != SF_OK && call->message[0])
        return call->status;
    call->status = status;
    va_list args;
    va_start(args, format);
    sf_text_vformat(call->message, sizeof call->message, format, args);
    va_end(args);
    return status;
}

void
sf_call_violation(sf_call_t *call, const char *field, const char *format, ...)
{
    if (call->status == SF_OK)
        call->status = SF_INVALID_ARGUMENT;
    if (call->n_violations >= MAX_VIOLATIONS)
        return;
    va_list args;
    va_start(args, format);
    int length = vsnprintf(NULL, 0, format, args);
    va_end(args);
    char *description = sf_call_alloc(call, (size_t) (length > 0 ? length : 0) + 1);
    va_start(args, format);
    vsnprintf(description, (size_t) length + 1, format, args);
    va_end(args);
    call->violation_fields[call->n_violations] = sf_call_strdup(call, field);
    call->violation_descriptions[call->n_violations] = description;
    call->n_violations++;
}

/* The sentence a failed call's reply carries. A handler that only noted
 * violations gets the first one said in words ("name: is required"), so
 * that a client reading only the message learns what to fix. */
static const char *
call_failure_message(sf_call_t *call, sf_status_t status)
{
    if (!call->message[0] && call->n_violations == 1)
        sf_text_format(call->message, sizeof call->message, "%s: %s", call->violation_fields[0],
                       call->violation_descriptions[0]);
    else if (!call->message[0] && call->n_violations > 1)
        sf_text_format(call->message, sizeof call->message, "%s: %s (and %zu more)", call->violation_fields[0],
                       call->violation_descriptions[0], call->n_violations - 1);
    return call->message[0] ? call->message : sf_status_name(status);
}

bool sf_call_has_violations(const sf_call_t *call) { return call->n_violations > 0; }
sf_status_t sf_call_status(const sf_call_t *call) { return call->status; }

void
sf_call_group_events(sf_call_t *call)
{
    call->group_events = true;
}

void
sf_call_emit(sf_call_t *call, const char *type, const char *key, const ProtobufCMessage *payload)
{
    if (!call->writes) {
        sf_error("event emitted by a read method is dropped", "method", call->method, "type", type);
        return;
    }
    sf_outbox_add(&call->events, type, key, NULL, payload);
}

bool
sf_call_has_role(const sf_call_t *call, const char *roles)
{
    return strcmp(call->principal->role, "admin") == 0 || role_in(call->principal->role, roles);
}

bool
sf_call_covers(const sf_call_t *call, const char *unit_code)
{
    const char *scope = call->principal->scope;
    if (!scope || !*scope)
        return true;
    return unit_code && strncmp(unit_code, scope, strlen(scope)) == 0;
}

/* Packs a handler's reply into malloc'd memory. */
static uint8_t *
pack_reply(const ProtobufCMessage *reply, size_t *size)
{
    *size = reply ? protobuf_c_message_get_packed_size(reply) : 0;
    uint8_t *body = malloc(*size ? *size : 1);
    if (body && reply)
        protobuf_c_message_pack(reply, body);
    return body;
}

/* --- the methods every service answers ------------------------------------ */

static sf_status_t
sys_ping(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    (void) request;
    sf_server_t *self = call->server;
    Sifang__V1__PingReply *reply = (Sifang__V1__PingReply *)
        sf_call_new_message(call, &sifang__v1__ping_reply__descriptor);
    reply->service = (char *) self->service->service;
    reply->instance = self->instance;
    /* The database now, not as the last statement found it: an idle
     * connection the server has closed is noticed here. */
    reply->database_up = self->migrated && sf_db_alive(self->db);
    reply->event_head = self->event_head;
    reply->uptime_ms = sf_clock_ms() - self->started_ms;
    *reply_p = &reply->base;
    return SF_OK;
}

static sf_status_t
sys_stats(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    (void) request;
    sf_server_t *self = call->server;
    Sifang__V1__StatsReply *reply = (Sifang__V1__StatsReply *)
        sf_call_new_message(call, &sifang__v1__stats_reply__descriptor);
    reply->service = (char *) self->service->service;
    reply->instance = self->instance;
    reply->event_head = self->event_head;
    reply->database_up = sf_server_ready(self);
    reply->database_reconnects = sf_db_reconnects(self->db);
    reply->batches = self->batches;
    reply->batched_requests = self->batched_requests;
    reply->uptime_ms = sf_clock_ms() - self->started_ms;
    reply->replayed = self->replayed;
    /* The counters are copied into the call's memory: the reply is packed
     * after this returns, and the table may grow meanwhile. */
    Sifang__V1__StatsReply counters = SIFANG__V1__STATS_REPLY__INIT;
    sf_metrics_fill_stats(self->metrics, &counters);
    reply->n_methods = counters.n_methods;
    reply->methods = sf_call_new_array(call, counters.n_methods, sizeof *reply->methods);
    for (size_t i = 0; i < counters.n_methods; i++) {
        const Sifang__V1__MethodStats *from = counters.methods[i];
        Sifang__V1__MethodStats *stats = (Sifang__V1__MethodStats *)
            sf_call_new_message(call, &sifang__v1__method_stats__descriptor);
        stats->method = sf_call_strdup(call, from->method);
        stats->count = from->count;
        stats->latency_sum_ms = from->latency_sum_ms;
        stats->n_statuses = from->n_statuses;
        stats->statuses = sf_call_new_array(call, from->n_statuses, sizeof *stats->statuses);
        for (size_t s = 0; s < from->n_statuses; s++) {
            Sifang__V1__StatusCount *count = (Sifang__V1__StatusCount *)
                sf_call_new_message(call, &sifang__v1__status_count__descriptor);
            count->status = sf_call_strdup(call, from->statuses[s]->status);
            count->count = from->statuses[s]->count;
            stats->statuses[s] = count;
        }
        stats->n_latency = from->n_latency;
        stats->latency = sf_call_new_array(call, from->n_latency, sizeof *stats->latency);
        for (size_t b = 0; b < from->n_latency; b++) {
            Sifang__V1__LatencyBucket *bucket = (Sifang__V1__LatencyBucket *)
                sf_call_new_message(call, &sifang__v1__latency_bucket__descriptor);
            *bucket = *from->latency[b];
            stats->latency[b] = bucket;
        }
        reply->methods[i] = stats;
    }
    sf_metrics_release_stats(&counters);
    for (int i = 0; i < self->n_stats_hooks; i++)
        self->stats_fns[i](self, call, reply, self->stats_args[i]);
    *reply_p = &reply->base;
    return SF_OK;
}

static sf_status_t
sys_events_fetch(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__EventsFetchRequest *fetch = (const Sifang__V1__EventsFetchRequest *) request;
    if (fetch->after < 0)
        sf_call_violation(call, "after", "must be 0 or more");
    if (fetch->limit < 0 || fetch->limit > 10000)
        sf_call_violation(call, "limit", "must be between 1 and 10000 (0 = 1000)");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__EventsFetchReply fetched = SIFANG__V1__EVENTS_FETCH_REPLY__INIT;
    if (sf_eventlog_fetch(call->server->db, call->server->instance, fetch->after,
                          fetch->limit ? fetch->limit : 1000, &fetched) != 0) {
        sf_eventlog_release_fetch(&fetched);
        return sf_call_fail(call, SF_UNAVAILABLE, "database unavailable");
    }
    /* Copy into the call's memory so the server can free it like any reply. */
    Sifang__V1__EventsFetchReply *reply = (Sifang__V1__EventsFetchReply *)
        sf_call_new_message(call, &sifang__v1__events_fetch_reply__descriptor);
    reply->source = sf_call_strdup(call, fetched.source);
    reply->head = fetched.head;
    reply->n_events = fetched.n_events;
    reply->events = sf_call_new_array(call, fetched.n_events, sizeof *reply->events);
    for (size_t i = 0; i < fetched.n_events; i++) {
        const Sifang__V1__Event *from = fetched.events[i];
        Sifang__V1__Event *event = (Sifang__V1__Event *)
            sf_call_new_message(call, &sifang__v1__event__descriptor);
        event->source = reply->source;
        event->seq = from->seq;
        event->type = sf_call_strdup(call, from->type);
        event->key = sf_call_strdup(call, from->key);
        event->occurred_unix_ms = from->occurred_unix_ms;
        event->payload_type = sf_call_strdup(call, from->payload_type);
        event->payload.len = from->payload.len;
        event->payload.data = sf_call_alloc(call, from->payload.len + 1);
        memcpy(event->payload.data, from->payload.data, from->payload.len);
        event->actor = sf_call_strdup(call, from->actor);
        event->request_id = sf_call_strdup(call, from->request_id);
        reply->events[i] = event;
    }
    sf_eventlog_release_fetch(&fetched);
    *reply_p = &reply->base;
    return SF_OK;
}

static const sf_method_t sys_methods[] = {
    { "Ping", sys_ping, SF_METHOD_READ, NULL, NULL },
    { "Stats", sys_stats, SF_METHOD_READ, NULL, NULL },
    { "EventsFetch", sys_events_fetch, SF_METHOD_READ, NULL, NULL },
    { NULL, NULL, SF_METHOD_READ, NULL, NULL },
};

/* Methods that answer without the database. */
static bool
needs_database(const sf_method_t *method)
{
    return method->handler != sys_ping && method->handler != sys_stats;
}

/* The method table entry and its descriptor for a header's method name. */
static const sf_method_t *
find_method(const sf_server_t *self, const char *name, const ProtobufCMethodDescriptor **descriptor)
{
    const ProtobufCServiceDescriptor *service = self->service->descriptor;
    const sf_method_t *table = self->service->methods;
    if (strncmp(name, "Sys.", 4) == 0) {
        service = &sifang__v1__sys__descriptor;
        table = sys_methods;
        name += 4;
    }
    /* A service with no rpcs of its own (a pure follower) has no descriptor. */
    *descriptor = service ? protobuf_c_service_descriptor_get_method_by_name(service, name) : NULL;
    if (!*descriptor)
        return NULL;
    for (const sf_method_t *method = table; method && method->name; method++)
        if (strcmp(method->name, name) == 0)
            return method;
    return NULL;
}

/* --- read methods ---------------------------------------------------------- */

static void
run_read(sf_server_t *self, zmq_msg_t *identity, const Sifang__V1__RequestHeader *header,
         const sf_method_t *method, const ProtobufCMessage *request,
         const Sifang__V1__Principal *principal, int64_t received_ms)
{
    sf_call_t call;
    call_init(&call, self, header->method, header->request_id, principal, false);
    ProtobufCMessage *reply = NULL;
    sf_status_t status = method->handler(&call, request, &reply);
    if (status == SF_OK && call.status != SF_OK)
        status = call.status;   /* a violation noted but not returned */
    size_t size = 0;
    uint8_t *body = status == SF_OK ? pack_reply(reply, &size) : NULL;
    send_reply(self, identity, header->request_id, header->trace_id, status,
               status == SF_OK ? "" : call_failure_message(&call, status), call.n_violations,
               call.violation_fields, call.violation_descriptions, false, body, size);
    sf_metrics_record(self->metrics, header->method, status, (double) (sf_clock_ms() - received_ms));
    if (status != SF_OK)
        sf_debug("request failed", "method", header->method, "request_id", header->request_id,
                 "status", sf_status_name(status), "reason", call.message);
    free(body);
    call_release(&call);
}

/* --- write batches ---------------------------------------------------------- */

static void
pending_release(pending_t *pending)
{
    zmq_msg_close(&pending->identity);
    if (pending->header)
        protobuf_c_message_free_unpacked(&pending->header->base, NULL);
    if (pending->request)
        protobuf_c_message_free_unpacked(pending->request, NULL);
    principal_release(&pending->principal);
    free(pending->message);
    free(pending->reply_body);
    for (size_t i = 0; i < pending->n_violations; i++) {
        free(pending->violation_fields[i]);
        free(pending->violation_descriptions[i]);
    }
    free(pending->violation_fields);
    free(pending->violation_descriptions);
    sf_outbox_release(&pending->events);
    memset(pending, 0, sizeof *pending);
}

static void
pending_set_result(pending_t *pending, sf_status_t status, const char *message)
{
    pending->status = status;
    free(pending->message);
    pending->message = strdup(message ? message : "");
}

/* Copies a failed call's description into the pending (the call's memory is
 * about to be reset). */
static void
pending_take_failure(pending_t *pending, sf_call_t *call, sf_status_t status)
{
    pending_set_result(pending, status, call_failure_message(call, status));
    pending->n_violations = call->n_violations;
    if (call->n_violations) {
        pending->violation_fields = calloc(call->n_violations, sizeof(char *));
        pending->violation_descriptions = calloc(call->n_violations, sizeof(char *));
        if (!pending->violation_fields || !pending->violation_descriptions)
            abort();
        for (size_t i = 0; i < call->n_violations; i++) {
            pending->violation_fields[i] = strdup(call->violation_fields[i]);
            pending->violation_descriptions[i] = strdup(call->violation_descriptions[i]);
        }
    }
}

/* Refuses a request whose key was first used for another request
 * (first_method, or the same method with another body): answering it with
 * that one's reply would hand the caller something that is not its own. */
static void
pending_refuse_reuse(pending_t *pending, const char *first_method)
{
    char message[400];
    bool same_method = strcmp(first_method, pending->header->method) == 0;
    snprintf(message, sizeof message,
             "request id already used for %s%s; a retry repeats its request exactly,"
             " anything else needs a new request id",
             same_method ? "another " : "", first_method);
    pending_set_result(pending, SF_INVALID_ARGUMENT, message);
    pending->violation_fields = calloc(1, sizeof(char *));
    pending->violation_descriptions = calloc(1, sizeof(char *));
    if (!pending->violation_fields || !pending->violation_descriptions)
        abort();
    pending->violation_fields[0] = strdup("header.request_id");
    pending->violation_descriptions[0] = strdup(message);
    pending->n_violations = 1;
    pending->refused = true;
}

/* Links the newest request of the batch to the first one with its key,
 * anywhere in the batch: it will get that one's outcome and never run. A
 * key reused for another method or body is refused at once. */
static void
link_repeat(sf_server_t *self, int index)
{
    pending_t *pending = &self->batch[index];
    pending->first = -1;
    for (int i = 0; i < index; i++) {
        const pending_t *earlier = &self->batch[i];
        if (strcmp(earlier->header->request_id, pending->header->request_id) != 0
            || strcmp(earlier->principal.id, pending->principal.id) != 0)
            continue;
        if (earlier->method != pending->method
            || sodium_memcmp(earlier->digest, pending->digest, sizeof pending->digest) != 0)
            pending_refuse_reuse(pending, earlier->header->method);
        else
            pending->first = i;
        return;
    }
}

/* The digest a key is bound to: the body decoded and packed again, so
 * that a retry from a runtime that orders fields differently still agrees. */
static void
request_digest(const ProtobufCMessage *request, uint8_t digest[crypto_generichash_BYTES])
{
    size_t size = protobuf_c_message_get_packed_size(request);
    uint8_t *packed = malloc(size ? size : 1);
    if (!packed)
        abort();
    protobuf_c_message_pack(request, packed);
    crypto_generichash(digest, crypto_generichash_BYTES, packed, size, NULL, 0);
    free(packed);
}

/* Sends what opens the batch's transaction: BEGIN, the look-up of the
 * stored replies of its request ids and the service's batch probe, in one
 * pipeline whose results begin_receive takes. */
static void
begin_send(sf_server_t *self)
{
    sf_binarray_t principals, request_ids, methods, digests;
    sf_binarray_init(&principals, SF_OID_TEXT);
    sf_binarray_init(&request_ids, SF_OID_TEXT);
    sf_binarray_init(&methods, SF_OID_TEXT);
    sf_binarray_init(&digests, SF_OID_BYTEA);
    for (int i = 0; i < self->n_batch; i++) {
        const pending_t *pending = &self->batch[i];
        sf_binarray_text(&principals, pending->principal.id);
        sf_binarray_text(&request_ids, pending->header->request_id);
        sf_binarray_text(&methods, pending->header->method);
        sf_binarray_bytes(&digests, pending->digest, sizeof pending->digest);
    }
    sf_params_t params;
    sf_params_init(&params);
    sf_binarray_param(&principals, &params);
    sf_binarray_param(&request_ids, &params);
    sf_binarray_param(&methods, &params);
    sf_binarray_param(&digests, &params);
    /* One primary-key probe per request (a lateral look-up is a nested
     * loop by construction: a plain join could keep a plan made while
     * request_log was small and scan it whole every batch). Each row says
     * which request of the batch it answers, whether the stored key was
     * used for the same request, and the stored reply only then. */
    const sf_db_step_t steps[3] = {
        { "BEGIN", NULL },
        { "SELECT k.i - 1, found.same, found.method, CASE WHEN found.same THEN found.reply_body END"
          " FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[]) WITH ORDINALITY"
          "   AS k(principal, request_id, method, digest, i),"
          " LATERAL (SELECT r.method, r.reply_body,"
          "                 r.method = k.method AND (r.request_digest IS NULL OR r.request_digest = k.digest) AS same"
          "            FROM request_log r"
          "           WHERE r.principal = k.principal AND r.request_id = k.request_id) AS found", &params },
        { self->service->batch_probe_sql, NULL },
    };
    /* The parameters are copied into the connection's buffer as they go. */
    sf_db_pipeline_send(self->db, steps, self->service->batch_probe_sql ? 3 : 2);
    sf_binarray_release(&principals);
    sf_binarray_release(&request_ids);
    sf_binarray_release(&methods);
    sf_binarray_release(&digests);
    self->begun = true;
}

/* Takes what begin_send sent: the transaction open, the requests whose
 * replies are stored answered with them, the probe handed to the service.
 * false when the transaction could not be opened. */
static bool
begin_receive(sf_server_t *self)
{
    self->begun = false;
    int n_steps = self->service->batch_probe_sql ? 3 : 2;
    PGresult *results[3] = { NULL, NULL, NULL };
    sf_db_pipeline_receive(self->db, results, n_steps);
    PGresult *begun = results[0], *result = results[1], *probe = results[2];
    bool open = sf_db_result_ok(begun);
    PQclear(begun);
    if (open && !sf_db_result_ok(result)) {
        /* The transaction is aborted: the batch cannot run in it. */
        if (result)
            sf_error("looking up stored replies failed", "reason", PQresultErrorMessage(result));
        open = false;
    }
    if (open && n_steps == 3) {
        if (sf_db_result_ok(probe))
            self->service->batch_probe_fn(self->service->state, probe);
        else {
            if (probe)
                sf_error("the batch probe failed", "reason", PQresultErrorMessage(probe));
            open = false;
        }
    }
    PQclear(probe);
    if (!open) {
        PQclear(result);
        sf_db_rollback(self->db);
        return false;
    }
    for (int row = 0; row < PQntuples(result); row++) {
        int64_t index = sf_db_int(result, row, 0);
        if (index < 0 || index >= self->n_batch)
            continue;
        pending_t *pending = &self->batch[index];
        if (pending->refused)
            continue;
        if (!sf_db_bool(result, row, 1)) {
            pending_refuse_reuse(pending, sf_db_text(result, row, 2));
            continue;
        }
        size_t size = 0;
        unsigned char *body = PQunescapeBytea((const unsigned char *) sf_db_text(result, row, 3), &size);
        pending->reply_body = malloc(size ? size : 1);
        if (!body || !pending->reply_body)
            abort();
        memcpy(pending->reply_body, body, size);
        pending->reply_size = size;
        PQfreemem(body);
        pending->replayed = true;
        pending_set_result(pending, SF_OK, "");
    }
    PQclear(result);
    return true;
}

/* Whether pending has its answer before running: a stored reply, or a
 * refusal of its reused key. */
static bool
pending_answered(const pending_t *pending)
{
    return pending->replayed || pending->refused;
}

/* A repeat in the batch takes the outcome of the first request with its
 * key, once that has run: the same reply (marked replayed) or the same
 * failure. */
static void
pending_take_outcome(pending_t *pending, const pending_t *first)
{
    pending_set_result(pending, first->status, first->message);
    if (first->status == SF_OK) {
        pending->reply_body = malloc(first->reply_size ? first->reply_size : 1);
        if (!pending->reply_body)
            abort();
        memcpy(pending->reply_body, first->reply_body, first->reply_size);
        pending->reply_size = first->reply_size;
        pending->replayed = true;
        return;
    }
    pending->n_violations = first->n_violations;
    if (first->n_violations) {
        pending->violation_fields = calloc(first->n_violations, sizeof(char *));
        pending->violation_descriptions = calloc(first->n_violations, sizeof(char *));
        if (!pending->violation_fields || !pending->violation_descriptions)
            abort();
        for (size_t i = 0; i < first->n_violations; i++) {
            pending->violation_fields[i] = strdup(first->violation_fields[i]);
            pending->violation_descriptions[i] = strdup(first->violation_descriptions[i]);
        }
    }
}

/* Runs one write request inside its own savepoint. Returns false when the
 * database went away (the whole batch is lost). */
static bool
run_write(sf_server_t *self, pending_t *pending)
{
    if (pending->header->deadline_unix_ms && sf_now_ms() > pending->header->deadline_unix_ms) {
        pending_set_result(pending, SF_DEADLINE_EXCEEDED, "deadline passed before the request ran");
        return true;
    }
    /* Deferred: it goes out with the handler's first statement, and a
     * request refused before any statement costs no round trip at all. */
    sf_db_defer(self->db, "SAVEPOINT request");
    sf_call_t call;
    call_init(&call, self, pending->header->method, pending->header->request_id, &pending->principal, true);
    ProtobufCMessage *reply = NULL;
    sf_status_t status = pending->method->handler(&call, pending->request, &reply);
    if (status == SF_OK && call.status != SF_OK)
        status = call.status;
    bool database_up = sf_db_is_up(self->db);
    if (status == SF_OK) {
        pending->reply_body = pack_reply(reply, &pending->reply_size);
        if (!pending->reply_body)
            abort();
        pending_set_result(pending, SF_OK, "");
        if (call.group_events)
            sf_outbox_group(&call.events, 0);
        pending->events = call.events;
        call.events = (sf_outbox_t) { 0 };
        /* Not released: the next request's savepoint nests inside this one,
         * and COMMIT ends them all. A round trip less per request. */
    } else {
        pending_take_failure(pending, &call, status);
        sf_outbox_release(&call.events);
        if (database_up && !sf_db_take_back(self->db, "SAVEPOINT request"))
            database_up = sf_db_command(self->db, "ROLLBACK TO SAVEPOINT request")
                       && sf_db_command(self->db, "RELEASE SAVEPOINT request");
    }
    call_release(&call);
    return database_up;
}

/* Whether pending i may join a batch run of method: same method, not
 * answered yet, and not a repeat (a repeat never runs: it waits for the
 * first request with its key, wherever that is in the batch). */
static bool
joins_run(const sf_server_t *self, int i, const sf_method_t *method)
{
    const pending_t *pending = &self->batch[i];
    if (pending->method != method || pending_answered(pending) || pending->first >= 0)
        return false;
    if (pending->header->deadline_unix_ms && sf_now_ms() > pending->header->deadline_unix_ms)
        return false;
    return true;
}

/* Runs batch[start, start + n) through the method's batch handler in one
 * savepoint. Returns false when the database went away. *fell_back says the
 * handler failed the run and each request must run alone. */
static bool
run_write_batch(sf_server_t *self, int start, int n, bool *fell_back)
{
    *fell_back = false;
    const sf_method_t *method = self->batch[start].method;
    sf_call_t *calls = calloc((size_t) n, sizeof *calls);
    sf_call_t **call_ptrs = calloc((size_t) n, sizeof *call_ptrs);
    const ProtobufCMessage **requests = calloc((size_t) n, sizeof *requests);
    ProtobufCMessage **replies = calloc((size_t) n, sizeof *replies);
    if (!calls || !call_ptrs || !requests || !replies)
        abort();
    for (int i = 0; i < n; i++) {
        pending_t *pending = &self->batch[start + i];
        call_init(&calls[i], self, pending->header->method, pending->header->request_id, &pending->principal, true);
        call_ptrs[i] = &calls[i];
        requests[i] = pending->request;
    }
    /* Deferred, as in run_write. */
    sf_db_defer(self->db, "SAVEPOINT run");
    bool up = sf_db_is_up(self->db);
    sf_status_t status = up ? method->batch_handler(call_ptrs, requests, replies, (size_t) n) : SF_UNAVAILABLE;
    up = up && sf_db_is_up(self->db);
    if (up && status == SF_OK) {
        for (int i = 0; i < n; i++) {
            pending_t *pending = &self->batch[start + i];
            sf_call_t *call = &calls[i];
            if (call->status == SF_OK && replies[i]) {
                pending->reply_body = pack_reply(replies[i], &pending->reply_size);
                if (!pending->reply_body)
                    abort();
                pending_set_result(pending, SF_OK, "");
                if (call->group_events)
                    sf_outbox_group(&call->events, 0);
                pending->events = call->events;
                call->events = (sf_outbox_t) { 0 };
            } else {
                pending_take_failure(pending, call, call->status != SF_OK ? call->status : SF_INTERNAL);
                sf_outbox_release(&call->events);
            }
        }
        /* Not released, as in run_write. */
    } else {
        for (int i = 0; i < n; i++) {
            sf_outbox_release(&calls[i].events);
        }
        if (up) {
            up = sf_db_take_back(self->db, "SAVEPOINT run")
              || (sf_db_command(self->db, "ROLLBACK TO SAVEPOINT run")
                  && sf_db_command(self->db, "RELEASE SAVEPOINT run"));
            *fell_back = true;
        }
    }
    for (int i = 0; i < n; i++)
        call_release_results(&calls[i]);
    sf_arena_reset(self->arena);
    free(calls);
    free(call_ptrs);
    free(requests);
    free(replies);
    return up;
}

/* Ends the batch's transaction: its successful replies stored for
 * idempotency, its events appended to the log, COMMIT, all in one round
 * trip. *head is the new event head (-1 when there were no events). false
 * when anything failed: the caller rolls back. */
static bool
store_append_commit(sf_server_t *self, int64_t *head)
{
    sf_binarray_t principals, request_ids, methods, digests, bodies;
    sf_binarray_init(&principals, SF_OID_TEXT);
    sf_binarray_init(&request_ids, SF_OID_TEXT);
    sf_binarray_init(&methods, SF_OID_TEXT);
    sf_binarray_init(&digests, SF_OID_BYTEA);
    sf_binarray_init(&bodies, SF_OID_BYTEA);
    size_t n_replies = 0, n_events = 0;
    for (int i = 0; i < self->n_batch; i++) {
        pending_t *pending = &self->batch[i];
        if (pending->status != SF_OK || pending->replayed || pending->first >= 0)
            continue;
        n_events += pending->events.n;
        sf_binarray_text(&principals, pending->principal.id);
        sf_binarray_text(&request_ids, pending->header->request_id);
        sf_binarray_text(&methods, pending->header->method);
        sf_binarray_bytes(&digests, pending->digest, sizeof pending->digest);
        sf_binarray_bytes(&bodies, pending->reply_body, pending->reply_size);
        n_replies++;
    }
    sf_event_draft_t *drafts = n_events ? calloc(n_events, sizeof *drafts) : NULL;
    if (n_events && !drafts)
        abort();
    size_t at = 0;
    for (int i = 0; i < self->n_batch; i++) {
        pending_t *pending = &self->batch[i];
        if (pending->status != SF_OK || pending->replayed || pending->first >= 0)
            continue;
        for (size_t e = 0; e < pending->events.n; e++) {
            drafts[at] = pending->events.events[e];
            drafts[at].actor = pending->principal.id;
            drafts[at++].request_id = pending->header->request_id;
        }
    }

    sf_db_step_t steps[3];
    int n_steps = 0, replies_step = -1, events_step = -1;
    sf_params_t reply_params;
    bool built = true;
    if (n_replies) {
        sf_params_init(&reply_params);
        sf_binarray_param(&principals, &reply_params);
        sf_binarray_param(&request_ids, &reply_params);
        sf_binarray_param(&methods, &reply_params);
        sf_binarray_param(&digests, &reply_params);
        sf_binarray_param(&bodies, &reply_params);
        replies_step = n_steps;
        steps[n_steps++] = (sf_db_step_t) {
            "INSERT INTO request_log (principal, request_id, method, request_digest, reply_header, reply_body)"
            " SELECT p, r, m, d, '\\x'::bytea, b"
            "   FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bytea[]) AS k(p, r, m, d, b)",
            &reply_params };
    }
    /* Last before COMMIT: the event head stays locked only for the commit. */
    sf_event_batch_t events;
    if (n_events) {
        built = sf_event_batch_init(&events, drafts, n_events) && built;
        events_step = n_steps;
        steps[n_steps++] = (sf_db_step_t) { sf_event_batch_sql, &events.params };
    }
    steps[n_steps++] = (sf_db_step_t) { "COMMIT", NULL };

    PGresult *results[3] = { NULL, NULL, NULL };
    bool ok = built && sf_db_pipeline(self->db, steps, n_steps, results);
    if (replies_step >= 0 && results[replies_step] && !sf_db_result_ok(results[replies_step]))
        sf_error("storing replies failed", "reason", PQresultErrorMessage(results[replies_step]));
    *head = events_step >= 0 ? sf_event_batch_head(results[events_step]) : -1;
    if (events_step >= 0 && *head < 0)
        ok = false;
    /* A COMMIT of an aborted transaction reports ROLLBACK: a failure. */
    PGresult *commit = results[n_steps - 1];
    ok = ok && commit && strcmp(PQcmdStatus(commit), "COMMIT") == 0;
    for (int i = 0; i < n_steps; i++)
        PQclear(results[i]);
    if (n_events)
        sf_event_batch_release(&events);
    free(drafts);
    sf_binarray_release(&principals);
    sf_binarray_release(&request_ids);
    sf_binarray_release(&methods);
    sf_binarray_release(&digests);
    sf_binarray_release(&bodies);
    return ok;
}

static void
publish_head(sf_server_t *self)
{
    Sifang__V1__EventNotice notice = SIFANG__V1__EVENT_NOTICE__INIT;
    notice.source = self->instance;
    notice.head = self->event_head;
    uint8_t buffer[256];
    size_t size = sifang__v1__event_notice__get_packed_size(&notice);
    if (size <= sizeof buffer) {
        sifang__v1__event_notice__pack(&notice, buffer);
        zmq_send(self->pub, buffer, size, ZMQ_DONTWAIT);
    }
}

static bool receive_one(sf_server_t *self);
static int next_wait_ms(sf_server_t *self);
static void maintain_database(sf_server_t *self);

/* How many batches may follow one another straight from run_batch before
 * the loop gets its turn (timers, followers' sockets). */
#define CHAIN_MAX 16

/* Runs the batch in one transaction; replies go out only after COMMIT.
 * Then, before they go, the next batch (what has arrived meanwhile) has
 * its BEGIN sent: the server opens it while this one is answered, and the
 * loop runs it next (self->begun). */
static void
run_batch(sf_server_t *self)
{
    if (self->n_batch == 0)
        return;
    if (!self->begun)
        begin_send(self);
    bool committed = false;
    int64_t head = -1;
    if (begin_receive(self)) {
        bool up = true;
        for (int i = 0; i < self->n_batch && up; i++) {
            pending_t *pending = &self->batch[i];
            if (pending_answered(pending) || pending->first >= 0)
                continue;
            if (pending->method->batch_handler && joins_run(self, i, pending->method)) {
                int n = 1;
                while (i + n < self->n_batch && joins_run(self, i + n, pending->method))
                    n++;
                bool fell_back = false;
                up = run_write_batch(self, i, n, &fell_back);
                if (up && fell_back)
                    for (int j = 0; j < n && up; j++)
                        up = run_write(self, &self->batch[i + j]);
                i += n - 1;
                continue;
            }
            up = run_write(self, pending);
        }
        for (int i = 0; i < self->n_batch && up; i++) {
            pending_t *pending = &self->batch[i];
            if (pending->first >= 0 && !pending_answered(pending))
                pending_take_outcome(pending, &self->batch[pending->first]);
        }
        committed = up && store_append_commit(self, &head);
        if (!committed)
            sf_db_rollback(self->db);
    }
    if (committed) {
        self->batches++;
        self->batched_requests += self->n_batch;
        if (head >= 0 && head != self->event_head) {
            self->event_head = head;
            publish_head(self);
        }
    } else
        sf_warn("batch not committed", "requests", NULL, "reason",
                sf_db_is_up(self->db) ? "commit failed" : "database unavailable");

    pending_t *answering = self->batch;
    int n_answering = self->n_batch;
    self->batch = self->answering;
    self->answering = answering;
    self->n_batch = 0;
    /* Reads among what arrived run now, as the loop would run them; a
     * retry of a request of the batch just committed finds its reply
     * stored. Not when a timer is due or after CHAIN_MAX: the loop's turn. */
    if (committed && self->chained < CHAIN_MAX && next_wait_ms(self) > 0) {
        while (self->n_batch < self->batch_max && receive_one(self))
            ;
        if (self->n_batch)
            begin_send(self);
    }
    self->chained = self->begun ? self->chained + 1 : 0;

    for (int i = 0; i < n_answering; i++) {
        pending_t *pending = &answering[i];
        /* Nothing of an uncommitted batch may be acknowledged: the client
         * retries with the same request id. */
        if (!committed)
            pending_set_result(pending, SF_UNAVAILABLE, "database unavailable; retry with the same request id");
        bool ok = pending->status == SF_OK;
        if (ok && pending->replayed)
            self->replayed++;
        send_reply(self, &pending->identity, pending->header->request_id, pending->header->trace_id,
                   pending->status, pending->message, committed ? pending->n_violations : 0,
                   pending->violation_fields, pending->violation_descriptions, pending->replayed,
                   ok ? pending->reply_body : NULL, ok ? pending->reply_size : 0);
        sf_metrics_record(self->metrics, pending->header->method, pending->status,
                          (double) (sf_clock_ms() - pending->received_ms));
        if (!ok)
            sf_debug("request failed", "method", pending->header->method,
                     "request_id", pending->header->request_id,
                     "status", sf_status_name(pending->status), "reason", pending->message);
        pending_release(pending);
    }
}

/* --- receiving ---------------------------------------------------------------- */

/* Receives one message from the ROUTER and answers it or queues it in the
 * batch. Returns false when nothing was waiting. */
static bool
receive_one(sf_server_t *self)
{
    zmq_msg_t frames[3];
    int n_frames = 0;
    size_t extra_frames = 0;
    for (;;) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, self->router, n_frames == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&frame);
            if (n_frames == 0)
                return false;
            break;
        }
        bool more = zmq_msg_more(&frame);
        if (n_frames < 3)
            frames[n_frames++] = frame;
        else {
            zmq_msg_close(&frame);
            extra_frames++;
        }
        if (!more)
            break;
    }
    int64_t received_ms = sf_clock_ms();
    zmq_msg_t *identity = &frames[0];
    Sifang__V1__RequestHeader *header = NULL;
    const char *method_name = "(none)";
    bool queued = false;

    if (n_frames != 3 || extra_frames) {
        reply_error(self, identity, NULL, method_name, received_ms, SF_INVALID_ARGUMENT, NULL,
                    "a request is two frames, header and body; got %zu", (size_t) n_frames - 1 + extra_frames);
        goto done;
    }
    sf_refusal_t refusal;
    header = sf_envelope_decode_header(zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), &refusal);
    if (!header) {
        reply_error(self, identity, NULL, method_name, received_ms, refusal.status, refusal.field,
                    "%s", refusal.message);
        goto done;
    }
    method_name = header->method;
    const ProtobufCMethodDescriptor *descriptor = NULL;
    const sf_method_t *method = find_method(self, header->method, &descriptor);
    if (!method) {
        reply_error(self, identity, header, "(unknown)", received_ms, SF_UNIMPLEMENTED, "header.method",
                    "unknown method \"%.*s\" of service %s", (int) sf_utf8_prefix(header->method, 64),
                    header->method, self->service->service);
        goto done;
    }
    Sifang__V1__Principal principal;
    if (resolve_principal(self, &frames[1], header, &principal) != 0) {
        reply_error(self, identity, header, method_name, received_ms, SF_UNAUTHENTICATED, NULL,
                    "the connection's key is not admitted");
        goto done;
    }
    if (!role_in(principal.role, method->roles) && strcmp(principal.role, "admin") != 0) {
        reply_error(self, identity, header, method_name, received_ms, SF_PERMISSION_DENIED, NULL,
                    "role \"%s\" may not call %s", principal.role, header->method);
        principal_release(&principal);
        goto done;
    }
    if (header->deadline_unix_ms && sf_now_ms() > header->deadline_unix_ms) {
        reply_error(self, identity, header, method_name, received_ms, SF_DEADLINE_EXCEEDED, NULL,
                    "deadline passed before the request was read");
        principal_release(&principal);
        goto done;
    }
    ProtobufCMessage *request = sf_envelope_decode_body(descriptor->input, zmq_msg_data(&frames[2]),
                                                        zmq_msg_size(&frames[2]), self->max_message, &refusal);
    if (!request) {
        reply_error(self, identity, header, method_name, received_ms, refusal.status, refusal.field,
                    "%s", refusal.message);
        principal_release(&principal);
        goto done;
    }
    /* A database that has come back is taken at once (sf_db_alive does not
     * wait for the reconnect backoff), so the first request after an outage
     * is served rather than refused. */
    if (needs_database(method) && !sf_server_ready(self) && sf_db_alive(self->db))
        maintain_database(self);
    if (needs_database(method) && !sf_server_ready(self)) {
        reply_error(self, identity, header, method_name, received_ms, SF_UNAVAILABLE, NULL,
                    "database unavailable; retry later");
        protobuf_c_message_free_unpacked(request, NULL);
        principal_release(&principal);
        goto done;
    }
    if (method->kind == SF_METHOD_READ) {
        run_read(self, identity, header, method, request, &principal, received_ms);
        protobuf_c_message_free_unpacked(request, NULL);
        principal_release(&principal);
        goto done;
    }
    if (!*header->request_id) {
        reply_error(self, identity, header, method_name, received_ms, SF_INVALID_ARGUMENT, "header.request_id",
                    "a write needs a request id (it makes retries safe)");
        protobuf_c_message_free_unpacked(request, NULL);
        principal_release(&principal);
        goto done;
    }
    pending_t *pending = &self->batch[self->n_batch++];
    memset(pending, 0, sizeof *pending);
    zmq_msg_init(&pending->identity);
    zmq_msg_move(&pending->identity, identity);
    pending->header = header;
    pending->request = request;
    pending->method = method;
    pending->principal = principal;
    pending->received_ms = received_ms;
    request_digest(request, pending->digest);
    link_repeat(self, self->n_batch - 1);
    queued = true;
done:
    if (!queued && header)
        protobuf_c_message_free_unpacked(&header->base, NULL);
    for (int i = 0; i < n_frames; i++)
        zmq_msg_close(&frames[i]);
    return true;
}

/* --- the loop -------------------------------------------------------------------- */

/* Keeps the database usable: reconnects with backoff, applies migrations once
 * it is up, and reads the event head. */
static void
maintain_database(sf_server_t *self)
{
    bool was_ready = sf_server_ready(self);
    if (!sf_db_maintain(self->db))
        return;
    if (!self->migrated && sf_clock_ms() >= self->migrate_retry_ms) {
        char error[512];
        if (sf_migrate(self->db, self->schema, "common", sf_common_migrations, error, sizeof error) != 0
            || sf_migrate(self->db, self->schema, self->service->service, self->service->migrations,
                          error, sizeof error) != 0) {
            sf_error("migrations failed; retrying", "schema", self->schema, "reason", error);
            self->migrate_retry_ms = sf_clock_ms() + 5000;
            return;
        }
        self->migrated = true;
    }
    if (!was_ready && sf_server_ready(self)) {
        self->event_head = sf_eventlog_head(self->db);
        char head[32];
        snprintf(head, sizeof head, "%lld", (long long) self->event_head);
        sf_info("database ready", "schema", self->schema, "event_head", head);
    }
}

/* Binds socket to *endpoint_p and replaces it with the endpoint it got: a
 * tcp port 0 (or *) becomes the port the kernel chose, which the "serving"
 * line then says. Tests bind port 0 and read it there, so no port is ever
 * picked by one process and bound by another. */
int64_t
sf_server_transport_cut(size_t max_message)
{
    int64_t cut = (int64_t) 64 << 20;
    int64_t scaled = (int64_t) max_message * 4 + SF_ENVELOPE_MAX_HEADER_BYTES;
    return scaled > cut ? scaled : cut;
}

static int
bind_socket(void *socket, char **endpoint_p, const char *what)
{
    if (zmq_bind(socket, *endpoint_p) != 0) {
        sf_error("cannot bind", "socket", what, "endpoint", *endpoint_p, "reason", zmq_strerror(errno));
        return -1;
    }
    char bound[512];
    size_t size = sizeof bound;
    if (zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, bound, &size) == 0 && size > 1) {
        char *copy = strdup(bound);
        if (copy) {
            free(*endpoint_p);
            *endpoint_p = copy;
        }
    }
    return 0;
}

static void
prune_request_log(sf_call_t *call, void *arg)
{
    (void) arg;
    sf_server_t *self = call->server;
    if (!sf_server_ready(self))
        return;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_int(&params, self->idempotency_ttl_hours);
    /* Bounded per pass so a long outage's backlog never stalls the loop. */
    PGresult *result = sf_db_query(self->db,
        "DELETE FROM request_log WHERE ctid = ANY (ARRAY(SELECT ctid FROM request_log"
        " WHERE created_at < now() - make_interval(hours => $1::int) LIMIT 10000))", &params);
    PQclear(result);
}

static int
open_sockets(sf_server_t *self)
{
    /* The ZAP handler must be bound before any CURVE server socket. */
    if (self->curve.enabled) {
        self->zap = sf_zap_start(self->context, self->curve.allowlist, self->service->service);
        if (!self->zap) {
            sf_error("cannot start the ZAP handler");
            return -1;
        }
    }
    self->router = zmq_socket(self->context, ZMQ_ROUTER);
    self->pub = zmq_socket(self->context, ZMQ_PUB);
    if (!self->router || !self->pub)
        return -1;
    int linger = 1000;
    zmq_setsockopt(self->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->pub, ZMQ_LINGER, &linger, sizeof linger);
    int mandatory = 0;
    zmq_setsockopt(self->router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
    /* Two limits. A frame up to the transport's cut is read and, when over
     * SIFANG_MAX_MESSAGE_BYTES, answered RESOURCE_EXHAUSTED, so a client
     * learns why; a frame over the cut is a peer sending something absurd,
     * and libzmq drops its connection before we read it (no reply). The cut
     * is far above any real request: 64 MiB, or 4x the limit when larger. */
    int64_t max_size = sf_server_transport_cut(self->max_message);
    zmq_setsockopt(self->router, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size);
    int hwm = 100000;
    zmq_setsockopt(self->router, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(self->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (self->curve.enabled
        && (sf_curve_server_setup(self->router, &self->curve.keypair) != 0
            || sf_curve_server_setup(self->pub, &self->curve.keypair) != 0))
        return -1;
    if (bind_socket(self->router, &self->endpoint, "router") != 0
        || bind_socket(self->pub, &self->publish, "pub") != 0)
        return -1;
    return 0;
}

static int
next_wait_ms(sf_server_t *self)
{
    int64_t now = sf_clock_ms();
    int64_t wait = sf_server_ready(self) ? 1000 : 100;
    for (int i = 0; i < self->n_timers; i++) {
        int64_t until = self->timers[i].due_ms - now;
        if (until < wait)
            wait = until < 0 ? 0 : until;
    }
    return (int) wait;
}

static void
run_due_timers(sf_server_t *self)
{
    int64_t now = sf_clock_ms();
    for (int i = 0; i < self->n_timers; i++) {
        timer_t_ *timer = &self->timers[i];
        if (now >= timer->due_ms) {
            timer->due_ms = now + timer->interval_ms;
            sf_call_t call;
            call_init_timer(&call, self);
            timer->fn(&call, timer->arg);
            /* Events a timer emitted but never committed are dropped. */
            sf_outbox_release(&call.events);
            call_release(&call);
        }
    }
}

int
sf_server_run(sf_server_t *self)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (open_sockets(self) != 0) {
        sf_error("cannot start", "service", self->service->service);
        return 1;
    }
    sf_server_add_timer(self, 60000, prune_request_log, NULL);
    sf_db_connect(self->db);
    maintain_database(self);
    sf_info("serving", "service", self->service->service, "instance", self->instance,
            "endpoint", self->endpoint, "publish", self->publish,
            "curve", self->curve.enabled ? "on" : "off");

    zmq_pollitem_t items[1 + MAX_READERS];
    while (!stop_requested && !self->stopping) {
        items[0] = (zmq_pollitem_t) { self->router, 0, ZMQ_POLLIN, 0 };
        for (int i = 0; i < self->n_readers; i++) {
            reader_t *reader = &self->readers[i];
            void *socket = reader->socket_fn ? reader->socket_fn(reader->socket_arg) : reader->socket;
            /* A socket that is gone for now (a reset that failed) is polled
             * as nothing: a NULL socket with fd -1. */
            items[1 + i] = (zmq_pollitem_t) { socket, -1, socket ? ZMQ_POLLIN : 0, 0 };
        }
        int ready = zmq_poll(items, 1 + self->n_readers, next_wait_ms(self));
        if (ready < 0 && errno != EINTR) {
            sf_error("poll failed", "reason", zmq_strerror(errno));
            break;
        }
        maintain_database(self);
        if (ready > 0 && (items[0].revents & ZMQ_POLLIN)) {
            /* Drain what has arrived: reads answer at once, writes gather
             * into one batch and one commit. */
            while (self->n_batch < self->batch_max && receive_one(self))
                ;
            run_batch(self);
            while (self->begun)
                run_batch(self);
        }
        for (int i = 0; ready > 0 && i < self->n_readers; i++)
            if (items[1 + i].revents & ZMQ_POLLIN)
                self->readers[i].fn(self, items[1 + i].socket, self->readers[i].arg);
        run_due_timers(self);
    }
    /* Requests still queued in the socket were never taken: their clients
     * retry against the next instance. The batch in hand has been answered. */
    sf_info("stopping", "service", self->service->service);
    return 0;
}
