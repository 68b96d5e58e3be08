/* Request counters and latency histograms, one entry per method name. */
#include "sf_metrics.h"
#include "sf_status.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Buckets in ms, in the manner of Prometheus client defaults scaled to a
 * service whose commits take a millisecond or two. */
static const double bucket_bounds[] = { 0.5, 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2500, 5000 };
#define N_BUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])

typedef struct {
    char *method;
    int64_t count;
    int64_t by_status[SF_STATUS_COUNT];
    int64_t buckets[N_BUCKETS + 1];   /* last: +Inf */
    double latency_sum_ms;
} method_counters_t;

struct sf_metrics_t {
    method_counters_t *methods;
    size_t n_methods;
    size_t capacity;
};

sf_metrics_t *
sf_metrics_new(void)
{
    return calloc(1, sizeof(sf_metrics_t));
}

void
sf_metrics_destroy(sf_metrics_t **self_p)
{
    sf_metrics_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n_methods; i++)
        free(self->methods[i].method);
    free(self->methods);
    free(self);
    *self_p = NULL;
}

static method_counters_t *
counters_for(sf_metrics_t *self, const char *method)
{
    for (size_t i = 0; i < self->n_methods; i++)
        if (strcmp(self->methods[i].method, method) == 0)
            return &self->methods[i];
    /* Unknown method names from clients are folded into one entry so a
     * hostile client cannot grow this table. */
    if (self->n_methods >= 256)
        method = "(other)";
    for (size_t i = 0; i < self->n_methods; i++)
        if (strcmp(self->methods[i].method, method) == 0)
            return &self->methods[i];
    if (self->n_methods == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 16;
        method_counters_t *grown = realloc(self->methods, capacity * sizeof *grown);
        if (!grown)
            return NULL;
        self->methods = grown;
        self->capacity = capacity;
    }
    method_counters_t *entry = &self->methods[self->n_methods];
    memset(entry, 0, sizeof *entry);
    entry->method = strdup(method);
    if (!entry->method)
        return NULL;
    self->n_methods++;
    return entry;
}

void
sf_metrics_record(sf_metrics_t *self, const char *method, int status, double latency_ms)
{
    method_counters_t *entry = counters_for(self, method && *method ? method : "(none)");
    if (!entry)
        return;
    entry->count++;
    entry->by_status[status >= 0 && status < SF_STATUS_COUNT ? status : SF_UNKNOWN]++;
    size_t b = 0;
    while (b < N_BUCKETS && latency_ms > bucket_bounds[b])
        b++;
    entry->buckets[b]++;
    entry->latency_sum_ms += latency_ms;
}

void
sf_metrics_fill_stats(const sf_metrics_t *self, Sifang__V1__StatsReply *reply)
{
    reply->n_methods = 0;
    reply->methods = calloc(self->n_methods ? self->n_methods : 1, sizeof(Sifang__V1__MethodStats *));
    if (!reply->methods)
        return;
    for (size_t i = 0; i < self->n_methods; i++) {
        const method_counters_t *entry = &self->methods[i];
        Sifang__V1__MethodStats *stats = calloc(1, sizeof *stats);
        if (!stats)
            return;
        sifang__v1__method_stats__init(stats);
        stats->method = entry->method;   /* borrowed: not freed by release */
        stats->count = entry->count;
        stats->latency_sum_ms = entry->latency_sum_ms;
        stats->statuses = calloc(SF_STATUS_COUNT, sizeof(Sifang__V1__StatusCount *));
        stats->latency = calloc(N_BUCKETS + 1, sizeof(Sifang__V1__LatencyBucket *));
        for (int s = 0; stats->statuses && s < SF_STATUS_COUNT; s++) {
            if (!entry->by_status[s])
                continue;
            Sifang__V1__StatusCount *count = calloc(1, sizeof *count);
            if (!count)
                break;
            sifang__v1__status_count__init(count);
            count->status = (char *) sf_status_name(s);
            count->count = entry->by_status[s];
            stats->statuses[stats->n_statuses++] = count;
        }
        int64_t cumulative = 0;
        for (size_t b = 0; stats->latency && b <= N_BUCKETS; b++) {
            Sifang__V1__LatencyBucket *bucket = calloc(1, sizeof *bucket);
            if (!bucket)
                break;
            sifang__v1__latency_bucket__init(bucket);
            cumulative += entry->buckets[b];
            bucket->le_ms = b < N_BUCKETS ? bucket_bounds[b] : INFINITY;
            bucket->count = cumulative;
            stats->latency[stats->n_latency++] = bucket;
        }
        reply->methods[reply->n_methods++] = stats;
    }
}

void
sf_metrics_release_stats(Sifang__V1__StatsReply *reply)
{
    for (size_t i = 0; i < reply->n_methods; i++) {
        Sifang__V1__MethodStats *stats = reply->methods[i];
        for (size_t s = 0; s < stats->n_statuses; s++)
            free(stats->statuses[s]);
        for (size_t b = 0; b < stats->n_latency; b++)
            free(stats->latency[b]);
        free(stats->statuses);
        free(stats->latency);
        free(stats);
    }
    free(reply->methods);
    reply->methods = NULL;
    reply->n_methods = 0;
}
