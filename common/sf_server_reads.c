/* The read pool: read methods that touch the database run on worker
 * threads, each with a connection of its own, so that a slow read neither
 * waits for another read nor holds up the loop's group commit (writes,
 * timers and followers stay on the loop's thread, in their order).
 *
 * Each read runs in a read-only transaction of its own, REPEATABLE READ, so
 * that all its statements see one snapshot (a summary's totals and its rows
 * agree), and ends with ROLLBACK: there is nothing to keep.
 *
 * Who owns what. A request is handed over whole (its identity frame,
 * decoded header and body, principal): the job is the loop's until it is
 * queued, the worker's while it runs (its sf_call_t's memory is the
 * worker's own arena, reset after each read), and the loop's again when
 * its pointer comes back through the inproc PUSH/PULL pair. Only the
 * loop's thread touches the ROUTER: a worker packs the reply header and
 * body, the loop sends them, records the method's metrics and frees the
 * job. ZeroMQ sockets are not thread-safe; each worker's PUSH is made,
 * used and closed in its own thread.
 *
 * Deadlines. A read whose deadline passed while it was queued is answered
 * DEADLINE_EXCEEDED without running. One that runs gets statement_timeout
 * set to the time it has left, in the BEGIN's round trip, so its statement
 * is cancelled by the server at the deadline; a read of several statements
 * that runs past it is cancelled by the pool's watchdog thread (PQcancel,
 * which connects to the server and may wait: never on the loop's thread).
 * Either way it is answered DEADLINE_EXCEEDED.
 *
 * Hot standbys. With SIFANG_<SVC>_READ_DATABASE_URL the workers read from
 * it (a standby, or several hosts libpq chooses among), keeping a primary
 * connection of their own, opened when first needed, for what the standby
 * cannot serve. Read-your-writes: a write's reply carries its commit
 * position (sf_batch.c), clients send the highest they saw with later
 * requests (read_after_lsn), and a read that names one runs on the standby
 * only once pg_last_wal_replay_lsn() has reached it: the worker asks again
 * every couple of milliseconds for up to SIFANG_<SVC>_READ_AFTER_WAIT_MS
 * (within the deadline), then runs it on the primary. The replay position
 * is read before the read's snapshot is taken, so the snapshot holds the
 * write. A standby that is down sends its reads to the primary until it is
 * back (each worker reconnects as the loop does). */
#include "sf_server_private.h"
#include "sf_log.h"
#include "sf_text.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Reads waiting for a worker, at most: beyond, a read is answered
 * UNAVAILABLE at once rather than after everyone before it. */
#define READ_QUEUE_MAX 10000
/* An idle worker looks at its connection this often (sf_db_maintain), so
 * that a database that went away is found, and reconnected to, before
 * the next read needs it. */
#define IDLE_CHECK_MS 500
/* How often a read waiting for the standby to replay its position asks
 * again: replay of a small commit takes about a millisecond. */
#define REPLAY_POLL_US 2000

typedef struct read_job_t read_job_t;
struct read_job_t {
    read_job_t *next;                /* the queue */
    zmq_msg_t identity;
    Sifang__V1__RequestHeader *header;
    ProtobufCMessage *request;
    const sf_method_t *method;
    Sifang__V1__Principal principal; /* strings owned by the job; grants borrowed from header */
    int64_t received_ms;
    /* The answer, packed by the worker. */
    sf_status_t status;
    uint8_t *reply_header;
    size_t reply_header_size;
    uint8_t *body;
    size_t body_size;
};

typedef struct {
    sf_reads_t *pool;
    pthread_t thread;
    bool started;
    sf_db_t *db;                     /* where reads go: the standby, or the primary */
    sf_db_t *primary;                /* with a standby: for what it cannot serve; else NULL */
    bool primary_used;               /* connected once: kept up from then on */
    uint64_t replayed;               /* the standby's replay position, as last read */
    sf_arena_t *arena;
    /* What the watchdog looks at, under lock: the read running, its
     * deadline and the means to cancel its statement on the server. The
     * worker ends a read under the lock too, so a cancel never outlives
     * the read it was meant for. */
    pthread_mutex_t lock;
    const read_job_t *running;
    int64_t deadline_unix_ms;
    PGcancel *cancel;
    bool cancelled;
} worker_t;

struct sf_reads_t {
    sf_server_t *server;
    /* The queue and the counters, under lock. */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    read_job_t *head, *tail;
    int queued, busy;
    int64_t waits, served, expired, cancelled;
    int64_t standby_reads, primary_reads, replay_waits;
    bool standby;                    /* SIFANG_<SVC>_READ_DATABASE_URL is set */
    bool stopping;
    /* The watchdog: a thread that cancels reads running past their
     * deadline. Woken (watch) when a read with a deadline starts;
     * starts counts those, so that none is missed between a scan and its
     * wait. */
    pthread_t watchdog;
    bool watchdog_started;
    pthread_cond_t watch;
    int64_t starts;
    int n_workers;
    worker_t *workers;
    void *replies;                   /* PULL, the loop's */
    char endpoint[64];
};

/* --- jobs ------------------------------------------------------------------- */

static void
job_free(read_job_t *job)
{
    zmq_msg_close(&job->identity);
    if (job->request)
        protobuf_c_message_free_unpacked(job->request, NULL);
    sf_server__principal_release(&job->principal);
    if (job->header)
        protobuf_c_message_free_unpacked(&job->header->base, NULL);
    free(job->reply_header);
    free(job->body);
    free(job);
}

/* Packs the reply header of call's outcome (status, message, violations)
 * into the job. */
static void
job_answer(read_job_t *job, sf_call_t *call, sf_status_t status)
{
    sf_reply_header_t reply = {
        .request_id = job->header->request_id, .trace_id = job->header->trace_id, .status = status,
        .message = status == SF_OK ? "" : sf_call__failure_message(call, status),
        .n_violations = status == SF_OK ? 0 : call->n_violations,
        .violation_fields = call->violation_fields, .violation_descriptions = call->violation_descriptions,
    };
    job->status = status;
    job->reply_header = sf_envelope_encode_reply(&reply, &job->reply_header_size);
}

/* --- a worker ---------------------------------------------------------------- */

static int64_t
counter_add(sf_reads_t *pool, int64_t *counter)
{
    pthread_mutex_lock(&pool->lock);
    int64_t value = ++*counter;
    pthread_mutex_unlock(&pool->lock);
    return value;
}

/* Whether db is up, reconnecting if it can without waiting long. */
static bool
usable(sf_db_t *db)
{
    return sf_db_maintain(db) || sf_db_alive(db);
}

/* The same for a database the loop has just found up (the primary: the
 * loop hands out reads only then): a connection still down, its reconnect
 * waiting for the backoff, is made now. A server that is up answers a
 * connect at once, so this is not the wait for a dead host it would be for
 * a standby. */
static bool
usable_now(sf_db_t *db)
{
    return usable(db) || sf_db_connect(db);
}

/* Opens the read's transaction, with the statement_timeout its deadline
 * leaves (one round trip), and shows the watchdog what runs. */
static bool
read_begin(worker_t *worker, sf_db_t *db, const read_job_t *job, int64_t deadline)
{
    char sql[160];
    int length = snprintf(sql, sizeof sql, "BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ");
    if (deadline) {
        int64_t left = deadline - sf_now_ms();
        snprintf(sql + length, sizeof sql - (size_t) length, "; SET LOCAL statement_timeout = %lld",
                 (long long) (left > 1 ? left : 1));
    }
    /* A connection the server closed while it sat idle (a restart) may be
     * found only by the BEGIN: then once more, on a fresh one. */
    bool begun = false;
    bool primary = !worker->pool->standby || db == worker->primary;
    for (int attempt = 0; attempt < 2 && !begun; attempt++) {
        if (!(primary ? usable_now(db) : usable(db)))
            return false;
        begun = sf_db_command(db, sql);
        if (!begun) {
            sf_db_rollback(db);
            if (sf_db_is_up(db))
                return false;    /* refused, not lost */
        }
    }
    if (!begun)
        return false;
    pthread_mutex_lock(&worker->lock);
    worker->running = job;
    worker->deadline_unix_ms = deadline;
    worker->cancelled = false;
    worker->cancel = deadline && sf_db_conn(db) ? PQgetCancel(sf_db_conn(db)) : NULL;
    pthread_mutex_unlock(&worker->lock);
    if (deadline) {
        sf_reads_t *pool = worker->pool;
        pthread_mutex_lock(&pool->lock);
        pool->starts++;
        pthread_cond_signal(&pool->watch);
        pthread_mutex_unlock(&pool->lock);
    }
    return true;
}

/* Ends the read's transaction; whether the watchdog cancelled it. */
static bool
read_end(worker_t *worker, sf_db_t *db)
{
    pthread_mutex_lock(&worker->lock);
    bool cancelled = worker->cancelled;
    if (worker->cancel)
        PQfreeCancel(worker->cancel);
    worker->cancel = NULL;
    worker->running = NULL;
    pthread_mutex_unlock(&worker->lock);
    /* Read-only: ROLLBACK ends it as cheaply as COMMIT would. A cancel that
     * reached the server as the read ended may fail the first ROLLBACK:
     * the second then ends the transaction (a no-op when idle). */
    sf_db_rollback(db);
    sf_db_rollback(db);
    return cancelled;
}

/* The primary, for a read the standby cannot serve: NULL when it is down
 * too. Its first use connects (waiting up to the connect timeout). */
static sf_db_t *
primary_for(worker_t *worker)
{
    worker->primary_used = true;
    return usable_now(worker->primary) ? worker->primary : NULL;
}

/* The standby's replay position (a primary's own position when the read
 * database is not in recovery); 0 when it cannot be read. */
static uint64_t
replay_position(sf_db_t *db)
{
    PGresult *result = sf_db_query(db, "SELECT (COALESCE(pg_last_wal_replay_lsn(), pg_current_wal_insert_lsn())"
                                       " - '0/0'::pg_lsn)::int8", NULL);
    uint64_t position = sf_db_result_ok(result) && PQntuples(result) == 1 ? (uint64_t) sf_db_int(result, 0, 0) : 0;
    PQclear(result);
    return position;
}

/* Where a read runs: without a standby, the worker's one connection; with
 * one, the standby once it is up and has replayed the position the read
 * names (waiting for it up to the pool's wait, within the deadline), else
 * the primary. NULL when nothing can serve it. */
static sf_db_t *
read_database(worker_t *worker, const read_job_t *job, int64_t deadline)
{
    sf_reads_t *pool = worker->pool;
    if (!pool->standby)
        return worker->db;
    uint64_t after = job->header->read_after_lsn;
    if (!usable(worker->db))
        return primary_for(worker);
    if (after > worker->replayed) {
        int64_t until = sf_clock_ms() + pool->server->read_after_wait_ms;
        if (deadline && until > sf_clock_ms() + (deadline - sf_now_ms()))
            until = sf_clock_ms() + (deadline - sf_now_ms());
        bool waited = false;
        for (;;) {
            uint64_t position = replay_position(worker->db);
            if (position > worker->replayed)
                worker->replayed = position;
            if (after <= worker->replayed || !sf_db_is_up(worker->db) || sf_clock_ms() >= until)
                break;
            waited = true;
            usleep(REPLAY_POLL_US);
        }
        if (waited)
            counter_add(pool, &pool->replay_waits);
        if (after > worker->replayed)
            return primary_for(worker);
    }
    return worker->db;
}

/* The read's transaction, begun where it runs (read_database); a standby
 * found gone only by the BEGIN sends it to the primary. The database, or
 * NULL when nothing can serve it. */
static sf_db_t *
read_begin_where(worker_t *worker, const read_job_t *job, int64_t deadline)
{
    sf_reads_t *pool = worker->pool;
    sf_db_t *db = read_database(worker, job, deadline);
    bool begun = db && read_begin(worker, db, job, deadline);
    if (!begun && db && pool->standby && db == worker->db) {
        db = primary_for(worker);
        begun = db && read_begin(worker, db, job, deadline);
    }
    if (!begun)
        return NULL;
    if (pool->standby)
        counter_add(pool, db == worker->db ? &pool->standby_reads : &pool->primary_reads);
    return db;
}

static void
serve(worker_t *worker, read_job_t *job)
{
    sf_reads_t *pool = worker->pool;
    const Sifang__V1__RequestHeader *header = job->header;
    int64_t deadline = header->deadline_unix_ms;
    sf_call_t call;
    sf_call__init(&call, pool->server, header->method, header->request_id, &job->principal, false);
    call.db = worker->db;
    call.arena = worker->arena;
    ProtobufCMessage *reply = NULL;
    sf_status_t status;
    sf_db_t *db = NULL;
    if (deadline && sf_now_ms() > deadline) {
        counter_add(pool, &pool->expired);
        status = sf_call_fail(&call, SF_DEADLINE_EXCEEDED, "deadline passed while the read waited for a worker");
    } else if (!(db = read_begin_where(worker, job, deadline)))
        status = sf_call_fail(&call, SF_UNAVAILABLE, "database unavailable; retry later");
    else {
        call.db = db;
        status = job->method->handler(&call, job->request, &reply);
        if (status == SF_OK && call.status != SF_OK)
            status = call.status;   /* a violation noted but not returned */
        bool cancelled = read_end(worker, db);
        /* The server's statement_timeout (57014, DEADLINE_EXCEEDED) or the
         * watchdog's cancel: either way the deadline is why. */
        if (status != SF_OK && (status == SF_DEADLINE_EXCEEDED || cancelled
                                || (deadline && sf_now_ms() >= deadline))) {
            sf_call_clear_failure(&call);
            status = sf_call_fail(&call, SF_DEADLINE_EXCEEDED,
                                  "deadline passed while the read ran: cancelled on the database");
        }
    }
    size_t size = 0;
    job->body = status == SF_OK ? sf_call__pack_reply(reply, &size) : NULL;
    job->body_size = size;
    job_answer(job, &call, status);
    if (status != SF_OK)
        sf_debug("request failed", "method", header->method, "request_id", header->request_id,
                 "status", sf_status_name(status), "reason", call.message);
    sf_call__release(&call);
}

static void
deadline_in(struct timespec *at, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, at);
    at->tv_sec += ms / 1000;
    at->tv_nsec += (long) (ms % 1000) * 1000000L;
    if (at->tv_nsec >= 1000000000L) {
        at->tv_sec++;
        at->tv_nsec -= 1000000000L;
    }
}

static void *
worker_main(void *arg)
{
    worker_t *worker = arg;
    sf_reads_t *pool = worker->pool;
    void *push = zmq_socket(pool->server->context, ZMQ_PUSH);
    if (!push || zmq_connect(push, pool->endpoint) != 0) {
        /* Nothing could ever be answered: the daemon is not fit to run. */
        sf_error("read worker cannot reach the loop", "reason", zmq_strerror(errno));
        abort();
    }
    SF_IGNORE(sf_db_connect(worker->db));
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->stopping && !pool->head) {
            struct timespec until;
            deadline_in(&until, IDLE_CHECK_MS);
            if (pthread_cond_timedwait(&pool->wake, &pool->lock, &until) == ETIMEDOUT) {
                pthread_mutex_unlock(&pool->lock);
                SF_IGNORE(sf_db_maintain(worker->db));
                if (worker->primary_used)
                    SF_IGNORE(sf_db_maintain(worker->primary));
                pthread_mutex_lock(&pool->lock);
            }
        }
        if (pool->stopping)
            break;
        read_job_t *job = pool->head;
        pool->head = job->next;
        if (!pool->head)
            pool->tail = NULL;
        pool->queued--;
        pool->busy++;
        pthread_mutex_unlock(&pool->lock);
        serve(worker, job);
        pthread_mutex_lock(&pool->lock);
        pool->busy--;
        pthread_mutex_unlock(&pool->lock);
        /* The pointer only: the job is the loop's again. */
        while (zmq_send(push, &job, sizeof job, 0) < 0 && errno == EINTR)
            ;
        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    zmq_close(push);
    return NULL;
}

/* --- the loop's side ---------------------------------------------------------- */

static void
workers_release(sf_reads_t *pool)
{
    for (int i = 0; i < pool->n_workers; i++) {
        worker_t *worker = &pool->workers[i];
        sf_db_destroy(&worker->db);
        sf_db_destroy(&worker->primary);
        sf_arena_destroy(&worker->arena);
        pthread_mutex_destroy(&worker->lock);
    }
    free(pool->workers);
    pool->workers = NULL;
    pool->n_workers = 0;
}

static void *watchdog_main(void *arg);

int
sf_reads__start(sf_server_t *self)
{
    sf_reads_t *pool = calloc(1, sizeof *pool);
    if (!pool)
        return -1;
    self->reads = pool;
    pool->server = self;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&pool->wake, &attributes);
    pthread_cond_init(&pool->watch, &attributes);
    pthread_condattr_destroy(&attributes);
    snprintf(pool->endpoint, sizeof pool->endpoint, "inproc://sf-reads-%p", (void *) pool);
    pool->replies = zmq_socket(self->context, ZMQ_PULL);
    if (!pool->replies || zmq_bind(pool->replies, pool->endpoint) != 0) {
        sf_error("cannot open the read pool's socket", "reason", zmq_strerror(errno));
        return -1;
    }
    pool->workers = calloc((size_t) self->read_threads, sizeof *pool->workers);
    if (!pool->workers)
        return -1;
    const char *standby = sf_service_read_database_url(self->service->service);
    pool->standby = standby && *standby;
    for (int i = 0; i < self->read_threads; i++) {
        worker_t *worker = &pool->workers[i];
        worker->pool = pool;
        pthread_mutex_init(&worker->lock, NULL);
        pool->n_workers++;
        worker->db = pool->standby ? sf_db_new(standby, self->schema) : sf_server_new_db(self);
        worker->primary = pool->standby ? sf_server_new_db(self) : NULL;
        worker->arena = sf_arena_new();
        if (!worker->db || (pool->standby && !worker->primary) || !worker->arena)
            return -1;
    }
    for (int i = 0; i < pool->n_workers; i++) {
        worker_t *worker = &pool->workers[i];
        if (pthread_create(&worker->thread, NULL, worker_main, worker) != 0) {
            sf_error("cannot start a read worker", "reason", strerror(errno));
            return -1;
        }
        worker->started = true;
    }
    if (pthread_create(&pool->watchdog, NULL, watchdog_main, pool) != 0) {
        sf_error("cannot start the read pool's watchdog", "reason", strerror(errno));
        return -1;
    }
    pool->watchdog_started = true;
    return 0;
}

void *
sf_reads__socket(sf_server_t *self)
{
    return self->reads ? self->reads->replies : NULL;
}

bool
sf_reads__submit(sf_server_t *self, zmq_msg_t *identity, Sifang__V1__RequestHeader *header,
                 ProtobufCMessage *request, const sf_method_t *method, Sifang__V1__Principal *principal,
                 int64_t received_ms)
{
    sf_reads_t *pool = self->reads;
    pthread_mutex_lock(&pool->lock);
    bool full = pool->queued >= READ_QUEUE_MAX;
    pthread_mutex_unlock(&pool->lock);
    if (full)
        return false;
    read_job_t *job = calloc(1, sizeof *job);
    if (!job) {
        sf_error("out of memory queueing a read", "method", header->method);
        abort();
    }
    zmq_msg_init(&job->identity);
    zmq_msg_move(&job->identity, identity);
    job->header = header;
    job->request = request;
    job->method = method;
    job->principal = *principal;
    job->received_ms = received_ms;
    pthread_mutex_lock(&pool->lock);
    if (pool->busy + pool->queued >= pool->n_workers)
        pool->waits++;      /* no free worker: it waits its turn */
    if (pool->tail)
        pool->tail->next = job;
    else
        pool->head = job;
    pool->tail = job;
    pool->queued++;
    pthread_cond_signal(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    return true;
}

static void
deliver(sf_server_t *self, read_job_t *job)
{
    if (job->reply_header)
        sf_server__send_frames(self, &job->identity, job->reply_header, job->reply_header_size,
                               job->body, job->body_size);
    sf_metrics_record(self->metrics, job->header->method, job->status,
                      (double) (sf_clock_ms() - job->received_ms));
    job_free(job);
}

void
sf_reads__deliver(sf_server_t *self)
{
    sf_reads_t *pool = self->reads;
    if (!pool)
        return;
    read_job_t *job;
    while (zmq_recv(pool->replies, &job, sizeof job, ZMQ_DONTWAIT) == (int) sizeof job) {
        counter_add(pool, &pool->served);
        deliver(self, job);
    }
}

/* Cancels on the server the reads running past their deadline; returns
 * the milliseconds until the next running read's deadline, or -1. */
static int64_t
watch_once(sf_reads_t *pool)
{
    int64_t now = sf_now_ms(), next = -1;
    for (int i = 0; i < pool->n_workers; i++) {
        worker_t *worker = &pool->workers[i];
        bool cancelled = false;
        pthread_mutex_lock(&worker->lock);
        if (worker->running && worker->deadline_unix_ms && !worker->cancelled) {
            int64_t left = worker->deadline_unix_ms - now;
            if (left <= 0) {
                char error[256] = "";
                if (worker->cancel && !PQcancel(worker->cancel, error, sizeof error))
                    sf_warn("cannot cancel a read past its deadline", "reason", error);
                worker->cancelled = cancelled = true;
            } else if (next < 0 || left < next)
                next = left;
        }
        pthread_mutex_unlock(&worker->lock);
        if (cancelled)
            counter_add(pool, &pool->cancelled);
    }
    return next;
}

static void *
watchdog_main(void *arg)
{
    sf_reads_t *pool = arg;
    pthread_mutex_lock(&pool->lock);
    while (!pool->stopping) {
        int64_t starts = pool->starts;
        pthread_mutex_unlock(&pool->lock);
        int64_t next = watch_once(pool);
        pthread_mutex_lock(&pool->lock);
        if (pool->stopping || pool->starts != starts)
            continue;
        struct timespec until;
        deadline_in(&until, next < 0 || next > 1000 ? 1000 : (int) next);
        pthread_cond_timedwait(&pool->watch, &pool->lock, &until);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

void
sf_reads__stop(sf_server_t *self)
{
    sf_reads_t *pool = self->reads;
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    read_job_t *queued = pool->head;
    pool->head = pool->tail = NULL;
    pool->queued = 0;
    pthread_cond_broadcast(&pool->wake);
    pthread_cond_signal(&pool->watch);
    pthread_mutex_unlock(&pool->lock);
    if (pool->watchdog_started) {
        pthread_join(pool->watchdog, NULL);
        pool->watchdog_started = false;
    }
    for (int i = 0; i < pool->n_workers; i++)
        if (pool->workers[i].started) {
            pthread_join(pool->workers[i].thread, NULL);
            pool->workers[i].started = false;
        }
    /* The reads that ran are answered; those still queued are told to go
     * elsewhere, as a request the loop never took would be. */
    sf_reads__deliver(self);
    while (queued) {
        read_job_t *job = queued;
        queued = job->next;
        sf_call_t call;
        sf_call__init(&call, self, job->header->method, job->header->request_id, &job->principal, false);
        job_answer(job, &call, sf_call_fail(&call, SF_UNAVAILABLE, "the service is stopping; retry"));
        sf_call__release(&call);
        deliver(self, job);
    }
}

void
sf_reads__destroy(sf_server_t *self)
{
    sf_reads_t *pool = self->reads;
    if (!pool)
        return;
    sf_reads__stop(self);
    if (pool->replies)
        zmq_close(pool->replies);
    workers_release(pool);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->watch);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
    self->reads = NULL;
}

void
sf_reads__stats(sf_server_t *self, sf_call_t *call, Sifang__V1__StatsReply *reply)
{
    sf_reads_t *pool = self->reads;
    if (!pool)
        return;
    Sifang__V1__ReadPoolStats *stats = (Sifang__V1__ReadPoolStats *)
        sf_call_new_message(call, &sifang__v1__read_pool_stats__descriptor);
    pthread_mutex_lock(&pool->lock);
    stats->threads = pool->n_workers;
    stats->busy = pool->busy;
    stats->queued = pool->queued;
    stats->waits = pool->waits;
    stats->served = pool->served;
    stats->expired = pool->expired;
    stats->cancelled = pool->cancelled;
    stats->standby = pool->standby;
    stats->standby_reads = pool->standby_reads;
    stats->primary_reads = pool->primary_reads;
    stats->replay_waits = pool->replay_waits;
    pthread_mutex_unlock(&pool->lock);
    reply->read_pool = stats;
}
