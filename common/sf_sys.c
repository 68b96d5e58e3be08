/* The methods every service answers under Sys.: Ping, Stats and
 * EventsFetch. Ping and Stats need no database and run on the loop's
 * thread (they report the loop's own state); EventsFetch runs on the read
 * pool like any read. */
#include "sf_server_private.h"
#include "sf_eventlog.h"
#include "sf_metrics.h"
#include <string.h>

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
    sf_reads__stats(self, call, reply);
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
    /* The call's connection: a read worker's (sf_server_reads.c). */
    if (sf_eventlog_fetch(sf_call_db(call), call->server->instance, fetch->after,
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

const sf_method_t sf_sys_methods[] = {
    { "Ping", sys_ping, SF_METHOD_READ, NULL, NULL },
    { "Stats", sys_stats, SF_METHOD_READ, NULL, NULL },
    { "EventsFetch", sys_events_fetch, SF_METHOD_READ, NULL, NULL },
    { NULL, NULL, SF_METHOD_READ, NULL, NULL },
};

/* Methods that answer without the database. */
bool
sf_sys__needs_database(const sf_method_t *method)
{
    return method->handler != sys_ping && method->handler != sys_stats;
}

