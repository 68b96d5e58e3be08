/* The event follower: SUB for notices, Sys.EventsFetch for the events, one
 * transaction per page holding both the applied changes and the cursor. */
#include "sf_follower.h"
#include "sf_config.h"
#include "sf_eventlog.h"
#include "sf_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define PAGE_SIZE 1000

enum { NO_REQUEST, PING_IN_FLIGHT, FETCH_IN_FLIGHT };

struct sf_follower_t {
    void *context;
    sf_db_t *db;
    char service[32];
    char *endpoint;
    char *publish;
    sf_curve_client_t curve;
    sf_client_t *client;
    void *sub;
    sf_follower_apply_fn apply;
    void *arg;
    char source[96];          /* the source's instance name, from Sys.Ping */
    char cursor_key[96];      /* what its cursor is kept under, when not the instance's name */
    int64_t cursor;
    int64_t head_seen;
    int64_t skipped;          /* events that did not decode (event_skipped) */
    bool cursor_loaded;
    int page_size;
    /* Asynchronous mode (attached to a service loop). */
    int in_flight;            /* NO_REQUEST, PING_IN_FLIGHT or FETCH_IN_FLIGHT */
    char request_id[33];
    int64_t sent_ms;
    int64_t retry_at_ms;
    int backoff_ms;
    sf_server_t *server;      /* the loop it is attached to, if any */
    /* Events emitted by the apply function during the page being applied. */
    sf_outbox_t emitted;
    int64_t applying_seq;     /* the source event being applied, for ids */
    /* What the consumer gathered over the page, written or forgotten at its end. */
    sf_follower_page_fn page_end;
    void *page_arg;
};



static int
open_sub(sf_follower_t *self)
{
    self->sub = zmq_socket(self->context, ZMQ_SUB);
    if (!self->sub)
        return -1;
    int linger = 0;
    zmq_setsockopt(self->sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->sub, ZMQ_SUBSCRIBE, "", 0);
    if (self->curve.enabled
        && sf_curve_client_setup(self->sub, &self->curve.keypair, self->curve.server_public_key) != 0)
        return -1;
    return zmq_connect(self->sub, self->publish);
}

sf_follower_t *
sf_follower_new(void *zmq_context, sf_db_t *db, const char *source,
                const char *endpoint, const char *publish, const sf_curve_client_t *curve,
                sf_follower_apply_fn apply, void *arg)
{
    sf_follower_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->context = zmq_context;
    self->db = db;
    snprintf(self->service, sizeof self->service, "%s", source);
    self->endpoint = strdup(endpoint);
    self->publish = strdup(publish);
    if (curve)
        self->curve = *curve;
    self->apply = apply;
    self->arg = arg;
    self->client = self->endpoint ? sf_client_new_in(zmq_context, endpoint, curve) : NULL;
    if (!self->endpoint || !self->publish || !self->client || open_sub(self) != 0) {
        sf_follower_destroy(&self);
        return NULL;
    }
    /* A follower runs inside a service loop: a source that is down must cost
     * a second, not the loop's whole attention. */
    sf_client_set_timeout(self->client, 1000);
    sf_client_set_retries(self->client, 0);
    self->page_size = PAGE_SIZE;
    return self;
}

sf_follower_t *
sf_follower_new_from_env(void *zmq_context, sf_db_t *db, const char *source,
                         sf_follower_apply_fn apply, void *arg, char *error, size_t error_size)
{
    const char *endpoint = sf_service_endpoint(source);
    const char *publish = sf_service_publish(source);
    if (!endpoint || !publish) {
        snprintf(error, error_size, "no endpoints for %s: set SIFANG_<SVC>_ENDPOINT and _PUBLISH", source);
        return NULL;
    }
    sf_curve_client_t curve;
    if (sf_curve_client_from_env(&curve, source, error, error_size) != 0)
        return NULL;
    sf_follower_t *self = sf_follower_new(zmq_context, db, source, endpoint, publish, &curve, apply, arg);
    if (!self)
        snprintf(error, error_size, "cannot open sockets to %s", endpoint);
    return self;
}

void
sf_follower_destroy(sf_follower_t **self_p)
{
    sf_follower_t *self = *self_p;
    if (!self)
        return;
    if (self->sub)
        zmq_close(self->sub);
    sf_client_destroy(&self->client);
    sf_outbox_release(&self->emitted);
    free(self->endpoint);
    free(self->publish);
    free(self);
    *self_p = NULL;
}

void *sf_follower_socket(sf_follower_t *self) { return self->sub; }

void
sf_follower_set_page_size(sf_follower_t *self, int page_size)
{
    self->page_size = page_size < 1 ? 1 : page_size > 10000 ? 10000 : page_size;
}

void
sf_follower_set_cursor_key(sf_follower_t *self, const char *key)
{
    snprintf(self->cursor_key, sizeof self->cursor_key, "%s", key ? key : "");
}

/* The cursor's key: the source's instance name unless the consumer keys
 * several sources of one name apart (evaluation's city level). */
static const char *
cursor_key(const sf_follower_t *self)
{
    return self->cursor_key[0] ? self->cursor_key : self->source;
}
const char *sf_follower_source(const sf_follower_t *self) { return self->source; }
int64_t sf_follower_cursor(const sf_follower_t *self) { return self->cursor; }
int64_t sf_follower_head(const sf_follower_t *self) { return self->head_seen; }
int64_t sf_follower_skipped(const sf_follower_t *self) { return self->skipped; }

/* Learns the source's instance name and our cursor for it. */
static int
load_cursor(sf_follower_t *self)
{
    if (self->cursor_loaded)
        return 0;
    if (!self->source[0]) {
        Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
        Sifang__V1__PingReply *pong = NULL;
        if (sf_client_call(self->client, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                           (ProtobufCMessage **) &pong, NULL) != SF_OK)
            return -1;
        /* The source's instance keys the cursor: never a cut one, which
         * two instances could share. */
        bool fits = strlen(pong->instance) < sizeof self->source;
        if (fits)
            snprintf(self->source, sizeof self->source, "%s", pong->instance);
        else
            sf_error("the source's instance name is too long to follow", "service", self->service);
        protobuf_c_message_free_unpacked(&pong->base, NULL);
        if (!fits)
            return -1;
    }
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, cursor_key(self));
    PGresult *result = sf_db_query(self->db,
        "SELECT (SELECT last_seq FROM event_cursor WHERE source = $1),"
        "       (SELECT count(*) FROM event_skipped WHERE source = $1)", &params);
    if (!sf_db_result_ok(result)) {
        PQclear(result);
        return -1;
    }
    self->cursor = sf_db_is_null(result, 0, 0) ? 0 : sf_db_int(result, 0, 0);
    self->skipped = sf_db_int(result, 0, 1);
    PQclear(result);
    self->cursor_loaded = true;
    return 0;
}

void
sf_follower_emit(sf_follower_t *self, const char *type, const char *key, const ProtobufCMessage *payload)
{
    /* Traceable to the source event that caused it. */
    char request_id[128];
    snprintf(request_id, sizeof request_id, "%s#%lld", cursor_key(self), (long long) self->applying_seq);
    sf_outbox_add(&self->emitted, type, key, request_id, payload);
}

/* Records an event that did not decode, in the page's transaction, and
 * says so once: it is passed over, never retried (sf_follower.h). */
static bool
skip_event(sf_follower_t *self, const Sifang__V1__Event *event)
{
    char reason[200];
    snprintf(reason, sizeof reason, "payload does not decode as %s",
             *event->payload_type ? event->payload_type : "its type says");
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, cursor_key(self));
    sf_params_int(&params, event->seq);
    sf_params_text(&params, event->type);
    sf_params_text(&params, reason);
    PGresult *result = sf_db_query(self->db,
        "INSERT INTO event_skipped (source, seq, type, reason) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (source, seq) DO NOTHING", &params);
    bool ok = sf_db_result_ok(result);
    PQclear(result);
    if (ok) {
        char seq[32];
        snprintf(seq, sizeof seq, "%lld", (long long) event->seq);
        sf_warn("event does not decode; recorded in event_skipped and skipped", "source", self->source,
                "seq", seq, "type", event->type, "reason", reason);
    }
    return ok;
}

/* Applies one fetched page in one transaction. Returns events applied or -1. */
static int
apply_page(sf_follower_t *self, const Sifang__V1__EventsFetchReply *page)
{
    if (!sf_db_begin(self->db))
        return -1;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, cursor_key(self));
    PGresult *result = sf_db_query(self->db,
        "INSERT INTO event_cursor (source, last_seq) VALUES ($1, 0) ON CONFLICT (source) DO NOTHING", &params);
    bool ok = sf_db_result_ok(result);
    PQclear(result);
    /* The row lock makes replicas of the consumer take turns; the stored
     * cursor, not our memory of it, says where to start. */
    result = ok ? sf_db_query(self->db, "SELECT last_seq FROM event_cursor WHERE source = $1 FOR UPDATE", &params)
                : NULL;
    ok = sf_db_result_ok(result) && PQntuples(result) == 1;
    int64_t cursor = ok ? sf_db_int(result, 0, 0) : 0;
    PQclear(result);
    int applied = 0, skipped = 0;
    for (size_t i = 0; ok && i < page->n_events; i++) {
        const Sifang__V1__Event *event = page->events[i];
        if (event->seq <= cursor)
            continue;   /* applied already (by us before a restart, or a replica) */
        if (event->seq != cursor + 1) {
            char expected[32], got[32];
            snprintf(expected, sizeof expected, "%lld", (long long) cursor + 1);
            snprintf(got, sizeof got, "%lld", (long long) event->seq);
            sf_warn("gap in fetched events; refetching", "source", self->source, "expected", expected, "got", got);
            break;
        }
        self->applying_seq = event->seq;
        sf_status_t status = self->apply(self->db, event, self->arg);
        if (status == SF_DATA_LOSS && skip_event(self, event)) {
            skipped++;
            status = SF_OK;
        }
        if (status != SF_OK) {
            char seq[32];
            snprintf(seq, sizeof seq, "%lld", (long long) event->seq);
            sf_error("event not applied; will retry", "source", self->source, "seq", seq,
                     "type", event->type, "status", sf_status_name(status));
            ok = false;
            break;
        }
        cursor = event->seq;
        applied++;
    }
    if (ok && applied && self->page_end) {
        sf_status_t status = self->page_end(self->db, true, self->page_arg);
        if (status != SF_OK) {
            sf_error("page's gathered effects not written; will retry", "source", self->source,
                     "status", sf_status_name(status));
            ok = false;
        }
    }
    if (ok && applied) {
        sf_params_init(&params);
        sf_params_text(&params, cursor_key(self));
        sf_params_int(&params, cursor);
        result = sf_db_query(self->db,
            "UPDATE event_cursor SET last_seq = $2, updated_at = now() WHERE source = $1", &params);
        ok = sf_db_result_ok(result);
        PQclear(result);
    }
    /* Last before COMMIT: the event log's head row stays locked briefly. */
    int64_t head = 0;
    if (ok && self->emitted.n) {
        char actor[128];
        snprintf(actor, sizeof actor, "follower:%s", cursor_key(self));
        head = sf_outbox_append(&self->emitted, self->db, actor, NULL);
    }
    ok = ok && head >= 0;
    sf_outbox_clear(&self->emitted);
    if (ok && sf_db_commit(self->db)) {
        if (!applied && self->page_end)
            self->page_end(self->db, false, self->page_arg);   /* nothing of it was kept */
        self->cursor = cursor;
        self->skipped += skipped;
        if (head > 0 && self->server)
            sf_server_note_event_head(self->server, head);
        return applied;
    }
    sf_db_rollback(self->db);
    if (self->page_end)
        self->page_end(self->db, false, self->page_arg);
    return -1;
}

void
sf_follower_set_page_end(sf_follower_t *self, sf_follower_page_fn fn, void *arg)
{
    self->page_end = fn;
    self->page_arg = arg;
}

int
sf_follower_sync(sf_follower_t *self)
{
    /* A follower on a connection of its own (evaluation's thread) is the
     * only one to look after it: a connection that died while the source
     * was quiet is found here and replaced, not by the first page failing. */
    if (!sf_db_maintain(self->db) || load_cursor(self) != 0)
        return -1;
    int total = 0;
    for (;;) {
        Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
        fetch.after = self->cursor;
        fetch.limit = self->page_size;
        Sifang__V1__EventsFetchReply *page = NULL;
        sf_reply_info_t info;
        sf_status_t status = sf_client_call(self->client, "Sys.EventsFetch", NULL, &fetch.base,
                                            &sifang__v1__events_fetch_reply__descriptor,
                                            (ProtobufCMessage **) &page, &info);
        if (status != SF_OK) {
            sf_debug("cannot fetch events", "source", self->service, "status", sf_status_name(status),
                     "reason", info.message);
            return total ? total : -1;
        }
        self->head_seen = page->head;
        if (page->source && *page->source && strcmp(page->source, self->source) != 0) {
            /* The source was renamed under us: its log is another log. */
            sf_error("source instance changed; not following", "expected", self->source, "got", page->source);
            protobuf_c_message_free_unpacked(&page->base, NULL);
            return -1;
        }
        size_t n = page->n_events;
        int applied = n ? apply_page(self, page) : 0;
        protobuf_c_message_free_unpacked(&page->base, NULL);
        if (applied < 0)
            return total ? total : -1;
        total += applied;
        if (n < (size_t) self->page_size || applied == 0)
            break;
    }
    return total;
}



/* Reads every notice waiting on the SUB; returns the highest head seen, or
 * -1 when there was none. */
static int64_t
drain_notices(sf_follower_t *self)
{
    int64_t head = -1;
    for (;;) {
        uint8_t buffer[512];
        int size = zmq_recv(self->sub, buffer, sizeof buffer, ZMQ_DONTWAIT);
        if (size < 0)
            break;
        if ((size_t) size > sizeof buffer)
            continue;
        Sifang__V1__EventNotice *notice = sifang__v1__event_notice__unpack(NULL, (size_t) size, buffer);
        if (!notice)
            continue;
        if (notice->head > head)
            head = notice->head;
        protobuf_c_message_free_unpacked(&notice->base, NULL);
    }
    return head;
}

void
sf_follower_on_notice(sf_follower_t *self)
{
    int64_t head = drain_notices(self);
    if (head > self->cursor || !self->cursor_loaded)
        sf_follower_sync(self);
}

static void *
client_socket(void *arg)
{
    sf_follower_t *self = arg;
    return sf_client_socket(self->client);
}

/* --- inside a service loop: asynchronous ------------------------------------
 *
 * A follower attached to a service loop never waits on its source: it sends
 * Sys.Ping (to learn the source's instance name) or Sys.EventsFetch on its
 * DEALER and returns; the loop polls that socket and the reply is applied when
 * it arrives, one page per turn, so the service's own requests are answered in
 * between. A source that does not answer within the timeout is retried with
 * a growing backoff, without holding up the loop. */

#define ASYNC_TIMEOUT_MS 2000
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 15000

static void
back_off(sf_follower_t *self, const char *reason)
{
    self->in_flight = NO_REQUEST;
    self->backoff_ms = self->backoff_ms ? self->backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (self->backoff_ms > BACKOFF_MAX_MS)
        self->backoff_ms = BACKOFF_MAX_MS;
    self->retry_at_ms = sf_clock_ms() + self->backoff_ms;
    char wait[32];
    snprintf(wait, sizeof wait, "%d", self->backoff_ms);
    sf_debug("source unavailable; backing off", "source", self->service, "reason", reason, "retry_ms", wait);
}

/* Sends the next request if none is in flight and the backoff allows. */
static void
kick(sf_follower_t *self)
{
    if (self->in_flight != NO_REQUEST || sf_clock_ms() < self->retry_at_ms || !sf_db_is_up(self->db))
        return;
    sf_request_id_new(self->request_id);
    int rc;
    if (!self->source[0]) {
        Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
        rc = sf_client_send(self->client, "Sys.Ping", self->request_id, &ping.base);
        self->in_flight = PING_IN_FLIGHT;
    } else {
        if (!self->cursor_loaded && load_cursor(self) != 0) {
            self->in_flight = NO_REQUEST;
            return;
        }
        Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
        fetch.after = self->cursor;
        fetch.limit = self->page_size;
        rc = sf_client_send(self->client, "Sys.EventsFetch", self->request_id, &fetch.base);
        self->in_flight = FETCH_IN_FLIGHT;
    }
    self->sent_ms = sf_clock_ms();
    if (rc != 0)
        back_off(self, "cannot send");
}

/* A reply on the DEALER: the instance name, or a page to apply. */
static void
on_reply(sf_server_t *server, void *socket, void *arg)
{
    (void) server;
    (void) socket;
    sf_follower_t *self = arg;
    for (;;) {
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        if (sf_client_recv(self->client, 0, &body, &size, &info) != 1)
            break;
        int what = self->in_flight;
        bool ours = what != NO_REQUEST && strcmp(info.request_id, self->request_id) == 0;
        if (!ours) {
            free(body);
            continue;   /* a reply we stopped waiting for */
        }
        self->in_flight = NO_REQUEST;
        if (info.status != SF_OK) {
            free(body);
            back_off(self, sf_status_name(info.status));
            continue;
        }
        bool more = false;
        if (what == PING_IN_FLIGHT) {
            Sifang__V1__PingReply *pong = sifang__v1__ping_reply__unpack(NULL, size, body);
            if (pong) {
                snprintf(self->source, sizeof self->source, "%s", pong->instance);
                protobuf_c_message_free_unpacked(&pong->base, NULL);
                more = true;
            }
        } else {
            Sifang__V1__EventsFetchReply *page = sifang__v1__events_fetch_reply__unpack(NULL, size, body);
            if (page) {
                self->head_seen = page->head;
                if (page->source && *page->source && strcmp(page->source, self->source) != 0)
                    sf_error("source instance changed; not following", "expected", self->source,
                             "got", page->source);
                else if (page->n_events && apply_page(self, page) < 0)
                    back_off(self, "apply failed");
                else
                    more = page->n_events == (size_t) self->page_size || self->cursor < self->head_seen;
                protobuf_c_message_free_unpacked(&page->base, NULL);
            }
        }
        free(body);
        if (self->in_flight == NO_REQUEST && self->retry_at_ms <= sf_clock_ms())
            self->backoff_ms = 0;
        if (more)
            kick(self);
    }
}

static void
on_notice(sf_server_t *server, void *socket, void *arg)
{
    (void) server;
    (void) socket;
    sf_follower_t *self = arg;
    int64_t head = drain_notices(self);
    if (head > self->cursor || !self->cursor_loaded) {
        /* A notice says the source is back: no reason to wait out a backoff. */
        self->retry_at_ms = 0;
        kick(self);
    }
}

static void
on_timer(sf_call_t *call, void *arg)
{
    sf_server_t *server = sf_call_server(call);
    sf_follower_t *self = arg;
    if (!sf_server_ready(server))
        return;
    if (self->in_flight != NO_REQUEST && sf_clock_ms() - self->sent_ms > ASYNC_TIMEOUT_MS) {
        /* Lazy Pirate: the old socket could still deliver the late reply.
         * A reset that cannot open the new socket leaves none, and the
         * next send opens one. */
        SF_IGNORE(sf_client_reset(self->client));
        back_off(self, "no reply");
        return;
    }
    kick(self);
}

/* Sys.Stats reports each followed source with its cursor. */
static void
add_stats(sf_server_t *server, sf_call_t *call, Sifang__V1__StatsReply *reply, void *arg)
{
    (void) server;
    sf_follower_t *self = arg;
    Sifang__V1__StatusCount **grown = sf_call_new_array(call, reply->n_followers + 1, sizeof *grown);
    for (size_t i = 0; i < reply->n_followers; i++)
        grown[i] = reply->followers[i];
    Sifang__V1__StatusCount *entry = (Sifang__V1__StatusCount *)
        sf_call_new_message(call, &sifang__v1__status_count__descriptor);
    entry->status = sf_call_strdup(call, self->source[0] ? self->source : self->service);
    entry->count = self->cursor;
    grown[reply->n_followers++] = entry;
    reply->followers = grown;
    /* Beside the cursor, what the follower passed over (sf_follower.h). */
    Sifang__V1__StatusCount **skipped = sf_call_new_array(call, reply->n_skipped + 1, sizeof *skipped);
    for (size_t i = 0; i < reply->n_skipped; i++)
        skipped[i] = reply->skipped[i];
    Sifang__V1__StatusCount *count = (Sifang__V1__StatusCount *)
        sf_call_new_message(call, &sifang__v1__status_count__descriptor);
    count->status = entry->status;
    count->count = self->skipped;
    skipped[reply->n_skipped++] = count;
    reply->skipped = skipped;
}

void
sf_follower_attach(sf_follower_t *self, sf_server_t *server, int interval_ms)
{
    self->server = server;
    sf_server_add_reader(server, self->sub, on_notice, self);
    /* The DEALER can be replaced by a reset: the loop polls whatever socket
     * the client has, through a reader that looks it up each time. */
    sf_server_add_reader_fn(server, client_socket, self, on_reply, self);
    sf_server_add_timer(server, interval_ms, on_timer, self);
    sf_server_add_stats_hook(server, add_stats, self);
}

sf_follower_t *
sf_follower_start(sf_server_t *server, const char *source, sf_follower_apply_fn apply, void *arg, int page_size,
                  int interval_ms)
{
    char error[512];
    sf_follower_t *self = sf_follower_new_from_env(sf_server_zmq_context(server), sf_server_db(server), source,
                                                   apply, arg, error, sizeof error);
    if (!self) {
        char what[96];
        snprintf(what, sizeof what, "cannot follow %s", source);
        sf_error(what, "reason", error);
        return NULL;
    }
    if (page_size > 0)
        sf_follower_set_page_size(self, page_size);
    sf_follower_attach(self, server, interval_ms);
    return self;
}
