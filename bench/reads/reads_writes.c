/* The write stream beside the readers: intake's CaseSubmit over ZeroMQ at
 * a steady rate (sent on a schedule, not when the previous reply came, so
 * a slow reply does not slow the stream down), each reply's latency from
 * its send. */
#include "reads_bench.h"
#include "sifang/v1/intake.pb-c.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A reply later than this after the stream's end counts as failed. */
#define DRAIN_MS 10000

struct reads_writer {
    pthread_t thread;
    const hs_suite_t *suite;
    char *const *households;
    int n_households;
    char *const *items;
    int n_items;
    double rate;
    int seconds;
    long first;
    reads_writes_t result;
};

double
reads_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static int
send_case(sf_client_t *intake, const reads_writer_t *w, long n)
{
    Sifang__V1__CaseSubmitRequest request = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
    Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
    long k = w->first + n;
    requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    requester.household_code = w->households[k % w->n_households];
    requester.name = "居民";
    request.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW;
    request.item_code = w->items[(k / w->n_households + k) % w->n_items];
    request.requester = &requester;
    request.description = "读取基准的写入流";
    char id[48];
    snprintf(id, sizeof id, "reads-bench-%ld", k);
    return sf_client_send(intake, "CaseSubmit", id, &request.base);
}

static void *
run(void *arg)
{
    reads_writer_t *w = arg;
    reads_writes_t *r = &w->result;
    long capacity = (long) (w->rate * w->seconds) + 16;
    double *sent_at = calloc((size_t) capacity, sizeof *sent_at);
    double *latency = calloc((size_t) capacity, sizeof *latency);
    sf_client_t *intake = hs_client(w->suite, HS_INTAKE, "admin", DRAIN_MS, 0);
    if (!intake || !sent_at || !latency)
        goto done;
    double start = reads_now_ms(), until = start + w->seconds * 1000.0;
    long ok = 0;
    for (;;) {
        double now = reads_now_ms();
        long due = now < until ? (long) ((now - start) * w->rate / 1000.0) + 1 : r->sent;
        if (due > capacity)
            due = capacity;
        while (r->sent < due) {
            sent_at[r->sent] = reads_now_ms();
            if (send_case(intake, w, r->sent) != 0) {
                fprintf(stderr, "reads_bench: the write stream could not send\n");
                goto done;
            }
            r->sent++;
        }
        if (now >= until && r->replied >= r->sent)
            break;
        if (now >= until + DRAIN_MS)
            break;
        /* Wait at most until the next send is due. */
        double next = start + (double) r->sent * 1000.0 / w->rate;
        int wait = now < until ? (int) (next - now) : 100;
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        int got = sf_client_recv(intake, wait > 0 ? wait : 0, &body, &size, &info);
        if (got < 0)
            break;
        if (got == 0)
            continue;
        free(body);
        double at = reads_now_ms();
        long k = strtol(info.request_id + strlen("reads-bench-"), NULL, 10) - w->first;
        r->replied++;
        if (info.status != SF_OK) {
            if (r->failed++ < 5)
                fprintf(stderr, "reads_bench: CaseSubmit: %s %s\n", sf_status_name(info.status), info.message);
            continue;
        }
        if (k >= 0 && k < r->sent)
            latency[ok++] = at - sent_at[k];
    }
    r->failed += r->sent - r->replied;
    r->rate = (double) ok / ((reads_now_ms() - start) / 1000.0);
    r->p50_ms = sf_test_percentile(latency, (size_t) ok, 0.5);
    r->p99_ms = sf_test_percentile(latency, (size_t) ok, 0.99);
    r->max_ms = sf_test_percentile(latency, (size_t) ok, 1.0);
done:
    sf_client_destroy(&intake);
    free(sent_at);
    free(latency);
    return NULL;
}

reads_writer_t *
reads_writer_start(const hs_suite_t *suite, char *const *households, int n_households, char *const *items,
                   int n_items, double rate, int seconds, long first)
{
    reads_writer_t *w = calloc(1, sizeof *w);
    if (!w || n_households < 1 || n_items < 1 || rate <= 0) {
        free(w);
        return NULL;
    }
    w->suite = suite;
    w->households = households;
    w->n_households = n_households;
    w->items = items;
    w->n_items = n_items;
    w->rate = rate;
    w->seconds = seconds;
    w->first = first;
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        free(w);
        return NULL;
    }
    return w;
}

void
reads_writer_join(reads_writer_t *w, reads_writes_t *out)
{
    memset(out, 0, sizeof *out);
    if (!w)
        return;
    pthread_join(w->thread, NULL);
    *out = w->result;
    free(w);
}
