/* What the service loop's files share (sf_server.c, sf_call.c, sf_batch.c,
 * sf_sys.c, sf_methods.c): the server's and a call's structs, a request
 * waiting for its batch, and the functions one file calls in another.
 * Not for services: they see sf_server.h only. */
#ifndef SF_SERVER_PRIVATE_H
#define SF_SERVER_PRIVATE_H

#include "sf_server.h"
#include "sf_arena.h"
#include "sf_curve.h"
#include "sf_envelope.h"
#include "sf_eventlog.h"
#include "sf_metrics.h"
#include <sodium.h>
#include <zmq.h>

#define MAX_TIMERS 16
#define MAX_READERS 16
#define MAX_VIOLATIONS SF_ENVELOPE_MAX_VIOLATIONS

typedef struct {
    int interval_ms;
    int64_t due_ms;
    sf_timer_fn fn;
    void *arg;
} timer_t_;

typedef struct sf_reads_t sf_reads_t;   /* the read pool, sf_server_reads.c */

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
    int read_threads;           /* SIFANG_<SVC>_READ_THREADS */
    int read_after_wait_ms;     /* SIFANG_<SVC>_READ_AFTER_WAIT_MS */
    sf_reads_t *reads;          /* made by sf_server_run */
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
    char constraint[64];             /* the failed statement's, when it named one */
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


/* sf_call.c */
void sf_call__init(sf_call_t *call, sf_server_t *server, const char *method, const char *request_id,
                   const Sifang__V1__Principal *principal, bool writes);
void sf_call__init_timer(sf_call_t *call, sf_server_t *server);
void sf_call__release_results(sf_call_t *call);
void sf_call__release(sf_call_t *call);
const char *sf_call__failure_message(sf_call_t *call, sf_status_t status);
uint8_t *sf_call__pack_reply(const ProtobufCMessage *reply, size_t *size);

/* sf_sys.c */
extern const sf_method_t sf_sys_methods[];
bool sf_sys__needs_database(const sf_method_t *method);

/* sf_methods.c: the entry and rpc for a header's method name (Sys.* too),
 * or NULL. */
const sf_method_t *sf_methods_find(const sf_service_t *service, const char *name,
                                   const ProtobufCMethodDescriptor **descriptor);

/* sf_batch.c */
void sf_batch__add(sf_server_t *self, zmq_msg_t *identity, Sifang__V1__RequestHeader *header,
                   ProtobufCMessage *request, const sf_method_t *method, Sifang__V1__Principal *principal,
                   int64_t received_ms);
void sf_batch__run(sf_server_t *self);

/* sf_server_reads.c: read methods that touch the database run on a pool
 * of worker threads, each with its own connection, each request in a
 * read-only transaction of its own. The loop hands a request over whole
 * (identity, header, body, principal: _submit empties them), and a worker
 * hands back its packed reply through an inproc socket the loop polls
 * (_socket): only the loop's thread ever touches the ROUTER (_deliver
 * sends what came back). */
int sf_reads__start(sf_server_t *self);
/* False when the queue is full: nothing was taken. */
bool sf_reads__submit(sf_server_t *self, zmq_msg_t *identity, Sifang__V1__RequestHeader *header,
                      ProtobufCMessage *request, const sf_method_t *method, Sifang__V1__Principal *principal,
                      int64_t received_ms);
void *sf_reads__socket(sf_server_t *self);
void sf_reads__deliver(sf_server_t *self);
/* Stops the workers after the reads they run (answered), answers the
 * queued ones UNAVAILABLE. */
void sf_reads__stop(sf_server_t *self);
void sf_reads__destroy(sf_server_t *self);
void sf_reads__stats(sf_server_t *self, sf_call_t *call, Sifang__V1__StatsReply *reply);

/* sf_server.c */
/* Sends a reply whose header is packed already (a worker packed it). */
void sf_server__send_frames(sf_server_t *self, zmq_msg_t *identity, const void *header, size_t header_size,
                            const void *body, size_t body_size);
/* commit_lsn: a committed write's position (read-your-writes), else 0. */
void sf_server__send_reply(sf_server_t *self, zmq_msg_t *identity, const char *request_id, const char *trace_id,
                           sf_status_t status, const char *message, size_t n_violations,
                           char *const *fields, char *const *descriptions, bool replayed,
                           uint64_t commit_lsn, const void *body, size_t body_size);
void sf_server__publish_head(sf_server_t *self);
/* Frees the strings of a principal a request carried. */
void sf_server__principal_release(Sifang__V1__Principal *principal);
bool sf_server__receive_one(sf_server_t *self);
int sf_server__next_wait_ms(sf_server_t *self);
void sf_server__maintain_database(sf_server_t *self);

#endif
