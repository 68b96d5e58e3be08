/* /metrics: every service's Sys.Stats and the gateway's own counters in
 * Prometheus text format. The gateway's own requests are counted the way
 * the services count theirs (sf_metrics, a route standing for a method), so
 * one rendering serves both; HTTP codes, refusals and upstream calls are
 * the gateway's alone. */
#include "gateway.h"
#include "sf_metrics.h"
#include "sf_registry.h"
#include "sf_textbuf.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CODE_ENTRIES 512

static const char *const refusal_reasons[] = { "unauthenticated", "rate_limited", "invalid", "too_large",
                                               "not_found", NULL };
#define N_REASONS 5

typedef struct {
    char *route;
    int code;
    long long count;
} code_count_t;

struct gateway_metrics_t {
    pthread_mutex_t lock;
    sf_metrics_t *requests;
    code_count_t codes[MAX_CODE_ENTRIES];
    size_t n_codes;
    long long refused[N_REASONS];
};

gateway_metrics_t *
gateway_metrics_new(void)
{
    gateway_metrics_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->requests = sf_metrics_new();
    if (!self->requests) {
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

void
gateway_metrics_destroy(gateway_metrics_t **self_p)
{
    gateway_metrics_t *self = *self_p;
    if (!self)
        return;
    sf_metrics_destroy(&self->requests);
    for (size_t i = 0; i < self->n_codes; i++)
        free(self->codes[i].route);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

void
gateway_metrics_record(gateway_metrics_t *self, const char *route, int http_status, sf_status_t status,
                       double latency_ms)
{
    pthread_mutex_lock(&self->lock);
    /* Route names come from the route table and a few fixed names, never
     * from the request, so the tables stay small. */
    sf_metrics_record(self->requests, route, (int) status, latency_ms);
    size_t i = 0;
    while (i < self->n_codes && !(self->codes[i].code == http_status && strcmp(self->codes[i].route, route) == 0))
        i++;
    if (i == self->n_codes && self->n_codes < MAX_CODE_ENTRIES) {
        self->codes[i].route = strdup(route);
        self->codes[i].code = http_status;
        if (self->codes[i].route)
            self->n_codes++;
    }
    if (i < self->n_codes)
        self->codes[i].count++;
    pthread_mutex_unlock(&self->lock);
}

void
gateway_metrics_refused(gateway_metrics_t *self, const char *reason)
{
    for (int i = 0; refusal_reasons[i]; i++)
        if (strcmp(refusal_reasons[i], reason) == 0) {
            pthread_mutex_lock(&self->lock);
            self->refused[i]++;
            pthread_mutex_unlock(&self->lock);
            return;
        }
}

/* --- Prometheus text ------------------------------------------------------------ */

/* A label value with \, " and newlines escaped. */
static void
label(sf_textbuf_t *out, const char *name, const char *value, bool first)
{
    sf_textbuf_printf(out, "%s%s=\"", first ? "" : ",", name);
    for (const char *c = value ? value : ""; *c; c++) {
        if (*c == '\\' || *c == '"')
            sf_textbuf_printf(out, "\\%c", *c);
        else if (*c == '\n')
            sf_textbuf_append(out, "\\n", 2);
        else
            sf_textbuf_append(out, c, 1);
    }
    sf_textbuf_append(out, "\"", 1);
}

static void
family(sf_textbuf_t *out, const char *name, const char *type, const char *help)
{
    sf_textbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
service_labels(sf_textbuf_t *out, const Sifang__V1__StatsReply *stats)
{
    label(out, "service", stats->service, true);
    label(out, "instance", stats->instance, false);
}

static void
number(sf_textbuf_t *out, double value)
{
    if (isinf(value))
        sf_textbuf_printf(out, " %s\n", value > 0 ? "+Inf" : "-Inf");
    else if (value == floor(value) && fabs(value) < 1e15)
        sf_textbuf_printf(out, " %.0f\n", value);
    else
        sf_textbuf_printf(out, " %.17g\n", value);
}

/* One gauge or counter per service. */
typedef double (*stat_fn)(const Sifang__V1__StatsReply *stats);
/* The gateway has no event log (its event_head is -1): no sample rather
 * than a sequence that cannot be. */
static double stat_event_head(const Sifang__V1__StatsReply *s) { return s->event_head < 0 ? NAN : (double) s->event_head; }
static double stat_database_up(const Sifang__V1__StatsReply *s) { return s->database_up ? 1 : 0; }
static double stat_reconnects(const Sifang__V1__StatsReply *s) { return (double) s->database_reconnects; }
static double stat_batches(const Sifang__V1__StatsReply *s) { return (double) s->batches; }
static double stat_batched(const Sifang__V1__StatsReply *s) { return (double) s->batched_requests; }
static double stat_replayed(const Sifang__V1__StatsReply *s) { return (double) s->replayed; }
static double stat_uptime(const Sifang__V1__StatsReply *s) { return (double) s->uptime_ms / 1000.0; }
/* The services' read pools (the gateway has none: no sample). */
#define READ_POOL_STAT(field) (s->read_pool ? (double) s->read_pool->field : NAN)
static double stat_read_threads(const Sifang__V1__StatsReply *s) { return READ_POOL_STAT(threads); }
static double stat_read_busy(const Sifang__V1__StatsReply *s) { return READ_POOL_STAT(busy); }
static double stat_read_queued(const Sifang__V1__StatsReply *s) { return READ_POOL_STAT(queued); }
static double stat_read_waits(const Sifang__V1__StatsReply *s) { return READ_POOL_STAT(waits); }
static double stat_read_expired(const Sifang__V1__StatsReply *s) { return READ_POOL_STAT(expired); }
static double stat_read_cancelled(const Sifang__V1__StatsReply *s) { return READ_POOL_STAT(cancelled); }
/* With a hot standby only (SIFANG_<SVC>_READ_DATABASE_URL). */
#define STANDBY_STAT(field) (s->read_pool && s->read_pool->standby ? (double) s->read_pool->field : NAN)
static double stat_standby_reads(const Sifang__V1__StatsReply *s) { return STANDBY_STAT(standby_reads); }
static double stat_primary_reads(const Sifang__V1__StatsReply *s) { return STANDBY_STAT(primary_reads); }
static double stat_replay_waits(const Sifang__V1__StatsReply *s) { return STANDBY_STAT(replay_waits); }

static void
per_service(sf_textbuf_t *out, Sifang__V1__StatsReply **stats, size_t n, const char *name, const char *type,
            const char *help, stat_fn fn)
{
    family(out, name, type, help);
    for (size_t i = 0; i < n; i++) {
        if (!stats[i] || isnan(fn(stats[i])))
            continue;
        sf_textbuf_printf(out, "%s{", name);
        service_labels(out, stats[i]);
        sf_textbuf_append(out, "}", 1);
        number(out, fn(stats[i]));
    }
}

static void
render_stats(sf_textbuf_t *out, Sifang__V1__StatsReply **stats, size_t n)
{
    family(out, "sifang_requests_total", "counter", "Requests answered, by service, method and status.");
    for (size_t i = 0; i < n; i++)
        for (size_t m = 0; stats[i] && m < stats[i]->n_methods; m++) {
            const Sifang__V1__MethodStats *method = stats[i]->methods[m];
            for (size_t s = 0; s < method->n_statuses; s++) {
                sf_textbuf_printf(out, "sifang_requests_total{");
                service_labels(out, stats[i]);
                label(out, "method", method->method, false);
                label(out, "status", method->statuses[s]->status, false);
                sf_textbuf_append(out, "}", 1);
                number(out, (double) method->statuses[s]->count);
            }
        }
    /* Sys.Stats counts milliseconds; Prometheus' base unit is the second. */
    family(out, "sifang_request_duration_seconds", "histogram",
           "Time from receiving a request to answering it, by service and method.");
    for (size_t i = 0; i < n; i++)
        for (size_t m = 0; stats[i] && m < stats[i]->n_methods; m++) {
            const Sifang__V1__MethodStats *method = stats[i]->methods[m];
            for (size_t b = 0; b < method->n_latency; b++) {
                char bound[32];
                if (isinf(method->latency[b]->le_ms))
                    snprintf(bound, sizeof bound, "+Inf");
                else
                    snprintf(bound, sizeof bound, "%g", method->latency[b]->le_ms / 1000.0);
                sf_textbuf_printf(out, "sifang_request_duration_seconds_bucket{");
                service_labels(out, stats[i]);
                label(out, "method", method->method, false);
                label(out, "le", bound, false);
                sf_textbuf_append(out, "}", 1);
                number(out, (double) method->latency[b]->count);
            }
            sf_textbuf_printf(out, "sifang_request_duration_seconds_sum{");
            service_labels(out, stats[i]);
            label(out, "method", method->method, false);
            sf_textbuf_append(out, "}", 1);
            number(out, method->latency_sum_ms / 1000.0);
            sf_textbuf_printf(out, "sifang_request_duration_seconds_count{");
            service_labels(out, stats[i]);
            label(out, "method", method->method, false);
            sf_textbuf_append(out, "}", 1);
            number(out, (double) method->count);
        }
    per_service(out, stats, n, "sifang_event_head", "gauge", "Highest sequence in the service's event log.",
                stat_event_head);
    per_service(out, stats, n, "sifang_database_up", "gauge", "1 when the service's database connection is up.",
                stat_database_up);
    per_service(out, stats, n, "sifang_database_reconnects_total", "counter",
                "Times the database connection was re-established.", stat_reconnects);
    per_service(out, stats, n, "sifang_batches_total", "counter", "Write transactions committed.", stat_batches);
    per_service(out, stats, n, "sifang_batched_requests_total", "counter",
                "Write requests committed in those transactions.", stat_batched);
    per_service(out, stats, n, "sifang_replayed_total", "counter",
                "Repeated requests answered from the idempotency store.", stat_replayed);
    per_service(out, stats, n, "sifang_uptime_seconds", "gauge", "Seconds since the daemon started.", stat_uptime);
    per_service(out, stats, n, "sifang_read_threads", "gauge",
                "Read pool threads, each with its own database connection (SIFANG_<SVC>_READ_THREADS).",
                stat_read_threads);
    per_service(out, stats, n, "sifang_read_busy", "gauge", "Read pool threads running a read now.", stat_read_busy);
    per_service(out, stats, n, "sifang_read_queued", "gauge", "Reads waiting for a free read thread now.",
                stat_read_queued);
    per_service(out, stats, n, "sifang_read_waits_total", "counter",
                "Reads that found no read thread free and waited their turn.", stat_read_waits);
    per_service(out, stats, n, "sifang_read_expired_total", "counter",
                "Reads whose deadline passed while they waited: answered without running.", stat_read_expired);
    per_service(out, stats, n, "sifang_read_cancelled_total", "counter",
                "Reads cancelled on the database at their deadline.", stat_read_cancelled);
    per_service(out, stats, n, "sifang_read_standby_total", "counter",
                "Reads served by the hot standby.", stat_standby_reads);
    per_service(out, stats, n, "sifang_read_primary_total", "counter",
                "Reads the hot standby could not serve (down, or behind the write they named): served by the primary.",
                stat_primary_reads);
    per_service(out, stats, n, "sifang_read_replay_waits_total", "counter",
                "Reads that waited for the hot standby to replay the write they named.", stat_replay_waits);
    family(out, "sifang_follower_cursor", "gauge", "Last event applied from each followed source.");
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; stats[i] && f < stats[i]->n_followers; f++) {
            sf_textbuf_printf(out, "sifang_follower_cursor{");
            service_labels(out, stats[i]);
            label(out, "source", stats[i]->followers[f]->status, false);
            sf_textbuf_append(out, "}", 1);
            number(out, (double) stats[i]->followers[f]->count);
        }
    family(out, "sifang_follower_skipped_total", "counter",
           "Events of each followed source that did not decode: recorded in event_skipped and passed over.");
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; stats[i] && f < stats[i]->n_skipped; f++) {
            sf_textbuf_printf(out, "sifang_follower_skipped_total{");
            service_labels(out, stats[i]);
            label(out, "source", stats[i]->skipped[f]->status, false);
            sf_textbuf_append(out, "}", 1);
            number(out, (double) stats[i]->skipped[f]->count);
        }
}

char *
gateway_metrics_page(gateway_t *gw, size_t *length_p)
{
    size_t n_services = gateway_upstream_count(gw->upstream);
    ProtobufCMessage *replies[GATEWAY_UPSTREAM_MAX] = { NULL };
    gateway_upstream_ask_all(gw->upstream, "Sys.Stats", 1000, replies);

    /* The gateway's own figures, shaped like a service's. */
    gateway_metrics_t *self = gw->metrics;
    Sifang__V1__StatsReply own = SIFANG__V1__STATS_REPLY__INIT;
    own.service = "gateway";
    own.instance = gw->instance;
    own.uptime_ms = sf_clock_ms() - gw->started_ms;
    own.event_head = -1;
    pthread_mutex_lock(&gw->db_lock);
    own.database_up = sf_db_is_up(gw->db);
    own.database_reconnects = sf_db_reconnects(gw->db);
    pthread_mutex_unlock(&gw->db_lock);
    pthread_mutex_lock(&self->lock);
    sf_metrics_fill_stats(self->requests, &own);
    code_count_t codes[MAX_CODE_ENTRIES];
    size_t n_codes = self->n_codes;
    memcpy(codes, self->codes, n_codes * sizeof *codes);
    long long refused[N_REASONS];
    memcpy(refused, self->refused, sizeof refused);
    sf_textbuf_t out;
    sf_textbuf_init(&out);
    /* Route names are copied while locked: the table may grow after. */
    for (size_t i = 0; i < n_codes; i++)
        codes[i].route = strdup(codes[i].route);
    pthread_mutex_unlock(&self->lock);

    Sifang__V1__StatsReply *all[9];
    size_t n = 0;
    for (size_t i = 0; i < n_services; i++)
        all[n++] = (Sifang__V1__StatsReply *) replies[i];
    all[n++] = &own;
    render_stats(&out, all, n);

    family(&out, "sifang_up", "gauge", "1 when the gateway reached the service for this scrape.");
    for (size_t i = 0; i < n_services; i++) {
        sf_textbuf_printf(&out, "sifang_up{");
        label(&out, "service", gateway_upstream_name(gw->upstream, i), true);
        sf_textbuf_append(&out, "}", 1);
        number(&out, replies[i] ? 1 : 0);
    }
    family(&out, "sifang_gateway_http_responses_total", "counter", "HTTP responses by route and code.");
    for (size_t i = 0; i < n_codes; i++) {
        if (!codes[i].route)
            continue;
        sf_textbuf_printf(&out, "sifang_gateway_http_responses_total{");
        label(&out, "route", codes[i].route, true);
        sf_textbuf_printf(&out, ",code=\"%d\"}", codes[i].code);
        number(&out, (double) codes[i].count);
        free(codes[i].route);
    }
    family(&out, "sifang_gateway_refused_total", "counter",
           "Requests answered by the gateway without reaching a service, by reason.");
    for (int i = 0; refusal_reasons[i]; i++) {
        sf_textbuf_printf(&out, "sifang_gateway_refused_total{");
        label(&out, "reason", refusal_reasons[i], true);
        sf_textbuf_append(&out, "}", 1);
        number(&out, (double) refused[i]);
    }
    family(&out, "sifang_gateway_upstream_calls_total", "counter", "Calls to the services by service and status.");
    for (size_t i = 0; i < n_services; i++) {
        long long counts[SF_STATUS_COUNT] = { 0 };
        gateway_upstream_counts(gw->upstream, i, counts);
        for (int s = 0; s < SF_STATUS_COUNT; s++) {
            if (!counts[s])
                continue;
            sf_textbuf_printf(&out, "sifang_gateway_upstream_calls_total{");
            label(&out, "service", gateway_upstream_name(gw->upstream, i), true);
            label(&out, "status", sf_status_name(s), false);
            sf_textbuf_append(&out, "}", 1);
            number(&out, (double) counts[s]);
        }
    }
    family(&out, "sifang_gateway_requests_in_flight", "gauge", "HTTP requests being served.");
    sf_textbuf_printf(&out, "sifang_gateway_requests_in_flight");
    number(&out, (double) atomic_load(&gw->in_flight));
    gateway_workers_load_t load;
    gateway_workers_load(gw, &load);
    family(&out, "sifang_gateway_workers", "gauge", "Worker threads answering requests (SIFANG_GATEWAY_THREADS).");
    sf_textbuf_printf(&out, "sifang_gateway_workers");
    number(&out, load.threads);
    family(&out, "sifang_gateway_workers_busy", "gauge", "Workers answering a request now.");
    sf_textbuf_printf(&out, "sifang_gateway_workers_busy");
    number(&out, load.busy);
    family(&out, "sifang_gateway_requests_waiting", "gauge", "Requests waiting for a free worker.");
    sf_textbuf_printf(&out, "sifang_gateway_requests_waiting");
    number(&out, load.waiting);
    family(&out, "sifang_gateway_requests_queued_total", "counter",
           "Requests that found no worker free and waited their turn.");
    sf_textbuf_printf(&out, "sifang_gateway_requests_queued_total");
    number(&out, (double) load.queued_total);
    family(&out, "sifang_gateway_api_keys", "gauge", "API keys in force.");
    sf_textbuf_printf(&out, "sifang_gateway_api_keys");
    number(&out, (double) gateway_keyring_size(gw->keyring));

    sf_metrics_release_stats(&own);
    for (size_t i = 0; i < n_services; i++)
        if (replies[i])
            protobuf_c_message_free_unpacked(replies[i], NULL);
    return sf_textbuf_take(&out, length_p);
}
