/* The lanes an import applies its runs in: connections of the service's own
 * beside the server's, each run split between them by what its records
 * write in common, and each part applied and committed in its own thread and
 * transaction. One connection keeps one core of PostgreSQL busy; an import
 * of 200,000 records was bound by that core while the other idled.
 *
 * Why this is safe:
 * - A record is still applied wholly or not at all: each part is one
 *   transaction, and within it a run that fails goes record by record in
 *   savepoints as before (emp_apply_run).
 * - Every part of a run commits before the next run begins, so a run sees
 *   all that the runs before it wrote (a placement, the person of an
 *   earlier line of the same batch).
 * - Records that share a row go to the same lane, in line order, and so do
 *   the records linked to them through other shared rows: a vacancy's
 *   placements (its open positions: the earlier lines fill them), a
 *   person's placements (one full-time job at a time, checked in C), an
 *   enterprise's vacancies (the first registers it). So each lane decides
 *   as one transaction in line order would, and two lanes never wait on
 *   each other's rows, but for the event head, taken just before each
 *   COMMIT.
 * - What a batch committed stays committed if a later run fails (the
 *   database went away): the reply says UNAVAILABLE, and the client's retry
 *   finds the records already applied (idempotent by system and external
 *   id) and reports them unchanged. */
#include "employment.h"
#include "sf_log.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Below this many records a run is not split: a thread and a transaction
 * cost more than they save. */
#define LANE_MIN_RECORDS 200

typedef struct {
    sf_call_t *fork;                    /* the lane's call: its connection, memory, events */
    emp_apply_fn apply;
    const ProtobufCMessage **records;
    emp_item_t *items;
    size_t *positions;                  /* where each item stands in the run */
    size_t n;
    sf_status_t status;
    int64_t head;                       /* the event head after the lane's commit, or -1 */
} lane_part_t;

/* Sys.Stats counts the lanes' reconnects with the server's own: the
 * operator watching database_reconnects sees every connection the daemon
 * keeps. (Each lane's first connect, at the first import, is not one.) */
static void
add_lane_stats(sf_server_t *server, sf_call_t *call, Sifang__V1__StatsReply *reply, void *arg)
{
    (void) server;
    (void) call;
    const employment_t *self = arg;
    for (int l = 0; l < self->n_lanes; l++)
        reply->database_reconnects += sf_db_reconnects(self->lanes[l]);
}

bool
emp_lanes_open(employment_t *self, sf_server_t *server)
{
    for (int l = 0; l < self->n_lanes; l++) {
        self->lanes[l] = sf_server_new_db(server);
        if (!self->lanes[l])
            return false;
    }
    sf_server_add_stats_hook(server, add_lane_stats, self);
    return true;
}

void
emp_lanes_close(employment_t *self)
{
    for (int l = 0; l < self->n_lanes; l++)
        sf_db_destroy(&self->lanes[l]);
}

/* A connection found dead before or at BEGIN (PostgreSQL restarted while
 * the lane was idle: sf_db_alive reads the server's goodbye) is reconnected
 * at once: the server's own connection is up, so the database is there, and
 * the import should not fail for a stale socket. */
static bool
lane_begin(sf_db_t *db)
{
    if (sf_db_alive(db) && sf_db_begin(db))
        return true;
    return sf_db_connect(db) && sf_db_begin(db);
}

/* Runs fn on each of the n parts (size bytes apart): the first in this
 * thread, the others beside it, one thread each; a part whose thread
 * cannot start runs here. Returns when every part is done. */
static void
run_beside(void *(*fn)(void *), void *parts, size_t size, size_t n)
{
    pthread_t threads[EMP_LANES_MAX];
    bool started[EMP_LANES_MAX] = { false };
    for (size_t p = 1; p < n; p++)
        started[p] = pthread_create(&threads[p], NULL, fn, (char *) parts + p * size) == 0;
    for (size_t p = 0; p < n; p++)
        if (!started[p])
            fn((char *) parts + p * size);
    for (size_t p = 1; p < n; p++)
        if (started[p])
            pthread_join(threads[p], NULL);
}

static void *
lane_apply(void *arg)
{
    lane_part_t *part = arg;
    sf_db_t *db = sf_call_db(part->fork);
    part->head = -1;
    part->status = SF_OK;
    if (part->n == 0)
        return NULL;   /* a lane the run's groups left empty */
    if (!lane_begin(db) || !emp_bulk_settings(part->fork)) {
        part->status = SF_UNAVAILABLE;
        sf_db_rollback(db);
        return NULL;
    }
    part->status = emp_apply_run(part->fork, part->apply, part->records, part->items, part->n);
    if (part->status == SF_OK && !sf_call_commit(part->fork, &part->head))
        part->status = SF_UNAVAILABLE;
    if (part->status != SF_OK) {
        part->head = -1;
        sf_db_rollback(db);
    }
    return NULL;
}

/* The first record of i's group (union-find, halving the paths). */
static size_t
group_of(size_t *first, size_t i)
{
    while (first[i] != i) {
        first[i] = first[first[i]];
        i = first[i];
    }
    return i;
}

/* Each record's lane: records linked by a shared key form a group, and each
 * group, in the order of its first line, goes whole to the lane that has
 * the fewest records so far. */
static void
assign_lanes(sf_call_t *call, const char *const *lane_keys, size_t n, size_t n_lanes, size_t *lane)
{
    size_t *first = sf_call_new_array(call, n, sizeof *first);
    size_t *size = sf_call_new_array(call, n, sizeof *size);
    emp_strset_t seen;
    emp_strset_init(call, &seen, n * EMP_LANE_KEYS);
    for (size_t i = 0; i < n; i++) {
        first[i] = i;
        for (size_t k = 0; k < EMP_LANE_KEYS; k++) {
            const char *key = lane_keys[i * EMP_LANE_KEYS + k];
            if (!key || !*key)
                continue;
            size_t a = group_of(first, i), b = group_of(first, emp_strset_value(&seen, key, i));
            if (a != b)
                first[a > b ? a : b] = a < b ? a : b;   /* the earlier line heads the group */
        }
    }
    for (size_t i = 0; i < n; i++)
        size[group_of(first, i)]++;
    size_t filled[EMP_LANES_MAX] = { 0 };
    for (size_t i = 0; i < n; i++) {
        size_t head = group_of(first, i);
        if (head == i) {
            size_t emptiest = 0;
            for (size_t l = 1; l < n_lanes; l++)
                if (filled[l] < filled[emptiest])
                    emptiest = l;
            lane[i] = emptiest;
            filled[emptiest] += size[i];
        } else {
            lane[i] = lane[head];   /* head < i: assigned already */
        }
    }
}

sf_status_t
emp_lanes_apply_run(sf_call_t *call, emp_apply_fn apply, const ProtobufCMessage *const *records,
                    emp_item_t *items, const char *const *lane_keys, size_t n)
{
    employment_t *self = sf_call_state(call);
    if (n == 0)
        return SF_OK;
    size_t n_lanes = (size_t) self->n_lanes;
    if (n < 2 * LANE_MIN_RECORDS)
        n_lanes = 1;
    lane_part_t parts[EMP_LANES_MAX];
    memset(parts, 0, sizeof parts);
    size_t *lane = sf_call_new_array(call, n, sizeof *lane);
    if (n_lanes > 1)
        assign_lanes(call, lane_keys, n, n_lanes, lane);
    for (size_t i = 0; i < n; i++)
        parts[lane[i]].n++;
    for (size_t l = 0; l < n_lanes; l++) {
        lane_part_t *part = &parts[l];
        part->fork = sf_call_fork(call, self->lanes[l]);
        part->apply = apply;
        part->records = sf_call_new_array(call, part->n ? part->n : 1, sizeof *part->records);
        part->items = sf_call_new_array(call, part->n ? part->n : 1, sizeof *part->items);
        part->positions = sf_call_new_array(call, part->n ? part->n : 1, sizeof *part->positions);
        part->n = 0;
    }
    for (size_t i = 0; i < n; i++) {
        lane_part_t *part = &parts[lane[i]];
        part->records[part->n] = records[i];
        part->items[part->n] = items[i];
        part->positions[part->n] = i;
        part->n++;
    }

    run_beside(lane_apply, parts, sizeof parts[0], n_lanes);

    sf_status_t status = SF_OK;
    int64_t head = -1;
    for (size_t l = 0; l < n_lanes; l++) {
        lane_part_t *part = &parts[l];
        for (size_t k = 0; k < part->n; k++)
            items[part->positions[k]] = part->items[k];
        if (part->status != SF_OK)
            status = part->status;
        if (part->head > head)
            head = part->head;
    }
    if (head > 0)
        sf_server_note_event_head(sf_call_server(call), head);
    return status;
}

/* --- work in slices beside the lanes ------------------------------------------ */

typedef struct {
    sf_call_t *fork;
    size_t from, to;
    emp_slice_fn fn;
    void *arg;
} slice_t;

static void *
slice_run(void *arg)
{
    slice_t *slice = arg;
    slice->fn(slice->fork, slice->from, slice->to, slice->arg);
    return NULL;
}

void
emp_lanes_slices(sf_call_t *call, size_t n, emp_slice_fn fn, void *arg)
{
    employment_t *self = sf_call_state(call);
    size_t n_slices = n < 2 * LANE_MIN_RECORDS ? 1 : (size_t) self->n_lanes;
    if (n_slices == 1) {
        fn(call, 0, n, arg);
        return;
    }
    slice_t slices[EMP_LANES_MAX];
    for (size_t s = 0; s < n_slices; s++)
        slices[s] = (slice_t) { sf_call_fork(call, NULL), n * s / n_slices, n * (s + 1) / n_slices, fn, arg };
    run_beside(slice_run, slices, sizeof slices[0], n_slices);
}
