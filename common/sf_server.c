/* The service loop: construction, ROUTER and PUB sockets, receiving and
 * refusing requests, the loop with its database reconnects, timers and
 * signals. Calls are in sf_call.c, write batches in sf_batch.c, read
 * methods that touch the database on the read pool (sf_server_reads.c),
 * the Sys methods in sf_sys.c, method tables in sf_methods.c. */
#include "sf_server_private.h"
#include "sf_heap.h"
#include "sf_roles.h"
#include "sf_log.h"
#include "sf_text.h"
#include "sifang/v1/sys.pb-c.h"
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How often the loop gives back what work left free in the heaps
 * (release_heap). */
#define HEAP_RELEASE_MS 5000

/* The service loop's settings: what sf_server_new reads, in one struct. */
typedef struct {
    char endpoint[256];
    char publish[256];
    char instance[96];
    char schema[64];
    int max_message;
    int batch_max;
    int idempotency_ttl_hours;
    int read_threads;
    int read_after_wait_ms;
} server_settings_t;

static const char *
service_name(const char *service)
{
    return service;
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
      .check = sf_schema_name_valid, .at = offsetof(server_settings_t, schema) + 1,
      .size = sizeof(((server_settings_t *) 0)->schema), .description = "the schema the service owns" },
    SF_CHECKED("PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD", SF_SETTING_LIBPQ, NULL, "standard libpq variables"),
    /* Up to the transport's cut (64 MiB): larger frames are dropped unread. */
    SF_INTEGER("SIFANG_MAX_MESSAGE_BYTES", server_settings_t, max_message, "1048576", 1024, 64 << 20,
               "largest request body accepted; larger ones are answered RESOURCE_EXHAUSTED"),
    SF_INTEGER("SIFANG_BATCH_MAX", server_settings_t, batch_max, "256", 1, 10000,
               "most write requests committed in one transaction"),
    SF_DURATION("SIFANG_IDEMPOTENCY_TTL_HOURS", server_settings_t, idempotency_ttl_hours, "48", "hours", 1, 8760,
                "how long replies are kept for repeated request ids"),
    /* Each thread holds a connection: the database's max_connections bounds
     * threads x replicas of every service. Four keep two cores busy while
     * some reads wait on I/O or locks. */
    SF_INTEGER("SIFANG_<SVC>_READ_THREADS", server_settings_t, read_threads, "4", 1, 64,
               "read methods run on this many threads, each with its own database connection, beside the write loop"),
    SF_CHECKED("SIFANG_<SVC>_READ_DATABASE_URL", SF_SETTING_TEXT, NULL,
               "libpq connection string the read threads use: a hot standby (or several hosts with"
               " target_session_attrs=prefer-standby); else the primary's"),
    SF_DURATION("SIFANG_<SVC>_READ_AFTER_WAIT_MS", server_settings_t, read_after_wait_ms, "300", "ms", 0, 10000,
                "how long a read that names a write's position waits for the standby to replay it before it runs"
                " on the primary"),
    /* The CURVE files, a client's wait and the log's level: sf_process_settings,
     * listed after this table. */
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

/* --- construction ------------------------------------------------------- */

sf_server_t *
sf_server_new(const sf_service_t *service, char *error, size_t error_size)
{
    if (!sf_methods_check(service, error, error_size))
        return NULL;
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
    self->read_threads = settings.read_threads;
    self->read_after_wait_ms = settings.read_after_wait_ms;
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
    const sf_var_t *const tables[] = { sf_server_settings, sf_process_settings, own, NULL };   /* own NULL ends it early */
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
    /* Before the ROUTER closes: the reads the workers finish are answered. */
    sf_reads__destroy(self);
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
        sf_server__publish_head(self);
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
const char *sf_server_schema(const sf_server_t *self) { return self->schema; }
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

/* A principal a trusted forwarder named: id, role and scope copied; a
 * person's grants, account and department borrowed from the header, which
 * lives as long as the request (the batch takes both). */
static void
principal_forwarded(Sifang__V1__Principal *principal, const Sifang__V1__Principal *named)
{
    principal_set(principal, named->id, named->role, named->scope);
    principal->n_grants = named->n_grants;
    principal->grants = named->grants;
    principal->account = named->account;
    principal->department = named->department;
}

void
sf_server__principal_release(Sifang__V1__Principal *principal)
{
    free(principal->id);
    free(principal->role);
    free(principal->scope);
    principal->id = principal->role = principal->scope = NULL;
    principal->n_grants = 0;
    principal->grants = NULL;   /* borrowed from the request's header */
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
            principal_forwarded(principal, named);
        else
            principal_set(principal, "local", "admin", "");
        return 0;
    }
    const char *user_id = zmq_msg_gets(frame, "User-Id");
    const sf_client_key_t *key = user_id ? sf_allowlist_find_principal(self->curve.allowlist, user_id) : NULL;
    if (!key)
        return -1;
    if (names_someone && sf_role_in(key->role, "gateway service"))
        principal_forwarded(principal, named);
    else
        principal_set(principal, key->principal_id, key->role, key->scope);
    return 0;
}

/* --- replies ------------------------------------------------------------- */

void
sf_server__send_reply(sf_server_t *self, zmq_msg_t *identity, const char *request_id, const char *trace_id,
           sf_status_t status, const char *message, size_t n_violations,
           char *const *fields, char *const *descriptions, bool replayed,
           uint64_t commit_lsn, const void *body, size_t body_size)
{
    sf_reply_header_t reply = {
        .request_id = request_id, .trace_id = trace_id, .status = status, .message = message,
        .n_violations = n_violations, .violation_fields = fields, .violation_descriptions = descriptions,
        .replayed = replayed, .commit_lsn = commit_lsn,
    };
    size_t header_size = 0;
    uint8_t *header = sf_envelope_encode_reply(&reply, &header_size);
    if (!header)
        return;
    sf_server__send_frames(self, identity, header, header_size, body, body_size);
    free(header);
}

void
sf_server__send_frames(sf_server_t *self, zmq_msg_t *identity, const void *header, size_t header_size,
                       const void *body, size_t body_size)
{
    zmq_msg_t id_copy;
    zmq_msg_init(&id_copy);
    zmq_msg_copy(&id_copy, identity);
    /* A peer that has gone away makes ROUTER drop the reply: nothing to do. */
    if (zmq_msg_send(&id_copy, self->router, ZMQ_SNDMORE) < 0)
        zmq_msg_close(&id_copy);
    else if (zmq_send(self->router, header, header_size, ZMQ_SNDMORE) >= 0)
        zmq_send(self->router, body ? body : "", body ? body_size : 0, 0);
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
    sf_server__send_reply(self, identity, header ? header->request_id : "", header ? header->trace_id : "",
               status, message, field ? 1 : 0, fields, descriptions, false, 0, NULL, 0);
    sf_metrics_record(self->metrics, method, status, (double) (sf_clock_ms() - received_ms));
    sf_info("request refused", "method", method, "status", sf_status_name(status),
            "request_id", header ? header->request_id : NULL, "reason", message);
}

/* --- read methods ---------------------------------------------------------- */

/* A read that needs no database (Sys.Ping, Sys.Stats), at once on the
 * loop's thread: what it reports is the loop's own. */
static void
run_read(sf_server_t *self, zmq_msg_t *identity, const Sifang__V1__RequestHeader *header,
         const sf_method_t *method, const ProtobufCMessage *request,
         const Sifang__V1__Principal *principal, int64_t received_ms)
{
    sf_call_t call;
    sf_call__init(&call, self, header->method, header->request_id, principal, false);
    ProtobufCMessage *reply = NULL;
    sf_status_t status = method->handler(&call, request, &reply);
    if (status == SF_OK && call.status != SF_OK)
        status = call.status;   /* a violation noted but not returned */
    size_t size = 0;
    uint8_t *body = status == SF_OK ? sf_call__pack_reply(reply, &size) : NULL;
    sf_server__send_reply(self, identity, header->request_id, header->trace_id, status,
               status == SF_OK ? "" : sf_call__failure_message(&call, status), call.n_violations,
               call.violation_fields, call.violation_descriptions, false, 0, body, size);
    sf_metrics_record(self->metrics, header->method, status, (double) (sf_clock_ms() - received_ms));
    if (status != SF_OK)
        sf_debug("request failed", "method", header->method, "request_id", header->request_id,
                 "status", sf_status_name(status), "reason", call.message);
    free(body);
    sf_call__release(&call);
}

void
sf_server__publish_head(sf_server_t *self)
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


/* --- receiving ---------------------------------------------------------------- */

/* A request being received: everything receive_one takes hold of, owned
 * here until incoming_release, whatever the request's fate; queueing it
 * in the batch hands over the header, body and principal (and empties the
 * identity frame). One owner, one place that frees. */
typedef struct {
    zmq_msg_t frames[3];          /* identity, header, body */
    int n_frames;
    size_t extra_frames;          /* beyond three: read and dropped */
    int64_t received_ms;
    Sifang__V1__RequestHeader *header;
    Sifang__V1__Principal principal;
    bool has_principal;
    ProtobufCMessage *request;
} incoming_t;

static void
incoming_release(incoming_t *in)
{
    if (in->request)
        protobuf_c_message_free_unpacked(in->request, NULL);
    if (in->has_principal)
        sf_server__principal_release(&in->principal);
    if (in->header)
        protobuf_c_message_free_unpacked(&in->header->base, NULL);
    for (int i = 0; i < in->n_frames; i++)
        zmq_msg_close(&in->frames[i]);
}

/* Reads one message's frames from the ROUTER; false when nothing was
 * waiting. */
static bool
incoming_read(sf_server_t *self, incoming_t *in)
{
    memset(in, 0, sizeof *in);
    for (;;) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, self->router, in->n_frames == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&frame);
            if (in->n_frames == 0)
                return false;
            break;
        }
        bool more = zmq_msg_more(&frame);
        if (in->n_frames < 3)
            in->frames[in->n_frames++] = frame;
        else {
            zmq_msg_close(&frame);
            in->extra_frames++;
        }
        if (!more)
            break;
    }
    in->received_ms = sf_clock_ms();
    return true;
}

/* Answers in at once (a refusal, a read without the database), hands it
 * to the read pool, or queues it in the batch. */
static void
incoming_serve(sf_server_t *self, incoming_t *in)
{
    zmq_msg_t *identity = &in->frames[0];
    int64_t received_ms = in->received_ms;
    if (in->n_frames != 3 || in->extra_frames) {
        reply_error(self, identity, NULL, "(none)", received_ms, SF_INVALID_ARGUMENT, NULL,
                    "a request is two frames, header and body; got %zu", (size_t) in->n_frames - 1 + in->extra_frames);
        return;
    }
    sf_refusal_t refusal;
    in->header = sf_envelope_decode_header(zmq_msg_data(&in->frames[1]), zmq_msg_size(&in->frames[1]), &refusal);
    const Sifang__V1__RequestHeader *header = in->header;
    if (!header) {
        reply_error(self, identity, NULL, "(none)", received_ms, refusal.status, refusal.field, "%s", refusal.message);
        return;
    }
    const char *method_name = header->method;
    const ProtobufCMethodDescriptor *descriptor = NULL;
    const sf_method_t *method = sf_methods_find(self->service, header->method, &descriptor);
    if (!method) {
        reply_error(self, identity, header, "(unknown)", received_ms, SF_UNIMPLEMENTED, "header.method",
                    "unknown method \"%.*s\" of service %s", (int) sf_utf8_prefix(header->method, 64),
                    header->method, self->service->service);
        return;
    }
    if (resolve_principal(self, &in->frames[1], header, &in->principal) != 0) {
        reply_error(self, identity, header, method_name, received_ms, SF_UNAUTHENTICATED, NULL,
                    "the connection's key is not admitted");
        return;
    }
    in->has_principal = true;
    const Sifang__V1__Principal *principal = &in->principal;
    if (method->roles && !sf_principal_has_role(principal, method->roles)) {
        reply_error(self, identity, header, method_name, received_ms, SF_PERMISSION_DENIED, NULL,
                    "role \"%s\" may not call %s", principal->role, header->method);
        return;
    }
    if (header->deadline_unix_ms && sf_now_ms() > header->deadline_unix_ms) {
        reply_error(self, identity, header, method_name, received_ms, SF_DEADLINE_EXCEEDED, NULL,
                    "deadline passed before the request was read");
        return;
    }
    in->request = sf_envelope_decode_body(descriptor->input, zmq_msg_data(&in->frames[2]),
                                          zmq_msg_size(&in->frames[2]), self->max_message, &refusal);
    if (!in->request) {
        reply_error(self, identity, header, method_name, received_ms, refusal.status, refusal.field,
                    "%s", refusal.message);
        return;
    }
    /* A database that has come back is taken at once (sf_db_alive does not
     * wait for the reconnect backoff), so the first request after an outage
     * is served rather than refused. */
    bool needs_database = sf_sys__needs_database(method);
    if (needs_database && !sf_server_ready(self) && sf_db_alive(self->db))
        sf_server__maintain_database(self);
    if (needs_database && !sf_server_ready(self)) {
        reply_error(self, identity, header, method_name, received_ms, SF_UNAVAILABLE, NULL,
                    "database unavailable; retry later");
        return;
    }
    if (method->kind == SF_METHOD_READ && !needs_database) {
        run_read(self, identity, header, method, in->request, principal, received_ms);
        return;
    }
    if (method->kind == SF_METHOD_READ) {
        if (!sf_reads__submit(self, identity, in->header, in->request, method, &in->principal, received_ms)) {
            reply_error(self, identity, header, method_name, received_ms, SF_UNAVAILABLE, NULL,
                        "too many reads waiting; retry later");
            return;
        }
        in->header = NULL;
        in->request = NULL;
        in->has_principal = false;
        return;
    }
    if (!*header->request_id) {
        reply_error(self, identity, header, method_name, received_ms, SF_INVALID_ARGUMENT, "header.request_id",
                    "a write needs a request id (it makes retries safe)");
        return;
    }
    sf_batch__add(self, identity, in->header, in->request, method, &in->principal, received_ms);
    in->header = NULL;
    in->request = NULL;
    in->has_principal = false;
}

/* Receives one message from the ROUTER and answers it or queues it in the
 * batch. Returns false when nothing was waiting. */
bool
sf_server__receive_one(sf_server_t *self)
{
    incoming_t in;
    if (!incoming_read(self, &in))
        return false;
    incoming_serve(self, &in);
    incoming_release(&in);
    return true;
}

/* --- the loop -------------------------------------------------------------------- */

/* Keeps the database usable: reconnects with backoff, applies migrations once
 * it is up, and reads the event head. */
void
sf_server__maintain_database(sf_server_t *self)
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

/* What a burst of work left free in the heaps goes back to the system
 * (sf_heap.c). Every time, not only after the loop had work: a follower's
 * or the import lanes' threads free their memory without the loop seeing
 * it. An arena with little free costs microseconds to walk. */
static void
release_heap(sf_call_t *call, void *arg)
{
    (void) call;
    (void) arg;
    sf_heap_release();
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

int
sf_server__next_wait_ms(sf_server_t *self)
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
            sf_call__init_timer(&call, self);
            timer->fn(&call, timer->arg);
            /* Events a timer emitted but never committed are dropped. */
            sf_outbox_release(&call.events);
            sf_call__release(&call);
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
    if (sf_reads__start(self) != 0) {
        sf_error("cannot start the read pool", "service", self->service->service);
        return 1;
    }
    sf_server_add_timer(self, 60000, prune_request_log, NULL);
    sf_server_add_timer(self, HEAP_RELEASE_MS, release_heap, NULL);
    /* Down now is no reason not to serve: sf_server__maintain_database retries. */
    SF_IGNORE(sf_db_connect(self->db));
    sf_server__maintain_database(self);
    char read_threads[16];
    snprintf(read_threads, sizeof read_threads, "%d", self->read_threads);
    sf_info("serving", "service", self->service->service, "instance", self->instance,
            "endpoint", self->endpoint, "publish", self->publish,
            "curve", self->curve.enabled ? "on" : "off",
            "read_threads", read_threads);

    /* The ROUTER, the read pool's replies, then the readers. */
    enum { FIXED_ITEMS = 2 };
    zmq_pollitem_t items[FIXED_ITEMS + MAX_READERS];
    while (!stop_requested && !self->stopping) {
        items[0] = (zmq_pollitem_t) { self->router, 0, ZMQ_POLLIN, 0 };
        items[1] = (zmq_pollitem_t) { sf_reads__socket(self), 0, ZMQ_POLLIN, 0 };
        for (int i = 0; i < self->n_readers; i++) {
            reader_t *reader = &self->readers[i];
            void *socket = reader->socket_fn ? reader->socket_fn(reader->socket_arg) : reader->socket;
            /* A socket that is gone for now (a reset that failed) is polled
             * as nothing: a NULL socket with fd -1. */
            items[FIXED_ITEMS + i] = (zmq_pollitem_t) { socket, -1, socket ? ZMQ_POLLIN : 0, 0 };
        }
        int ready = zmq_poll(items, FIXED_ITEMS + self->n_readers, sf_server__next_wait_ms(self));
        if (ready < 0 && errno != EINTR) {
            sf_error("poll failed", "reason", zmq_strerror(errno));
            break;
        }
        sf_server__maintain_database(self);
        if (ready > 0 && (items[1].revents & ZMQ_POLLIN))
            sf_reads__deliver(self);
        if (ready > 0 && (items[0].revents & ZMQ_POLLIN)) {
            /* Drain what has arrived: reads answer at once, writes gather
             * into one batch and one commit. */
            while (self->n_batch < self->batch_max && sf_server__receive_one(self))
                ;
            sf_batch__run(self);
            while (self->begun)
                sf_batch__run(self);
        }
        for (int i = 0; ready > 0 && i < self->n_readers; i++)
            if (items[FIXED_ITEMS + i].revents & ZMQ_POLLIN)
                self->readers[i].fn(self, items[FIXED_ITEMS + i].socket, self->readers[i].arg);
        run_due_timers(self);
        /* Replies that came back while the batch or a timer ran go out now,
         * not after the next poll. */
        sf_reads__deliver(self);
    }
    sf_reads__stop(self);
    /* Requests still queued in the socket were never taken: their clients
     * retry against the next instance. The batch in hand has been answered. */
    sf_info("stopping", "service", self->service->service);
    return 0;
}
