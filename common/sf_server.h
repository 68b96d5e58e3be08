/* The service loop every Sifang daemon runs: a ROUTER for requests, a PUB for
 * event notices, a table of methods to handlers, and group commit.
 *
 * Each turn of the loop drains the requests that have arrived (up to a
 * batch). Bad envelopes, unknown methods, oversized or undecodable bodies,
 * expired deadlines and denied principals get an error reply at once. Read
 * methods that touch the database run on the read pool: worker threads
 * (SIFANG_<SVC>_READ_THREADS), each with its own connection, each read in a
 * read-only REPEATABLE READ transaction of its own, cancelled on the
 * server at its deadline (sf_server_reads.c); Sys.Ping and Sys.Stats run
 * on the loop's thread. Write methods of the batch run
 * together in one transaction, each inside a savepoint (a failing request
 * rolls back only itself); repeats of a request id already answered get the
 * stored reply; the events they emitted are appended to the event log and the
 * replies stored for idempotency in the same transaction; only after COMMIT do
 * the replies go out and the new event head is announced on PUB. While
 * PostgreSQL is down every database method answers UNAVAILABLE and the loop
 * reconnects with backoff. SIGTERM/SIGINT: stop taking requests, finish the
 * batch in hand, exit 0. */
#ifndef SF_SERVER_H
#define SF_SERVER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "sf_status.h"
#include "sf_config.h"
#include "sf_db.h"
#include "sf_migrate.h"
#include "sf_params.h"
#include "sifang/v1/envelope.pb-c.h"
#include "sifang/v1/sys.pb-c.h"

typedef struct sf_server_t sf_server_t;
typedef struct sf_call_t sf_call_t;

/* A handler reads its request and, on SF_OK, sets *reply_p to a reply message
 * of the method's output type allocated from the call (sf_call_new_message,
 * sf_call_alloc, sf_call_strdup): the server packs it and frees the call's
 * memory at once. On failure it returns the status, having described it with
 * sf_call_fail / sf_call_violation. */
/* A function type, not a pointer: a service header declares its handlers
 * with it (sf_handler_fn grid_unit_get, grid_unit_list;), which the
 * compiler checks against each definition, written out in full. */
typedef sf_status_t sf_handler_fn(sf_call_t *call, const ProtobufCMessage *request,
                                  ProtobufCMessage **reply_p);

typedef enum {
    /* No writes: runs on a read pool thread in a read-only transaction of
     * its own, beside the loop and other reads. Its handler may share the
     * service's state (sf_call_state) with the loop and other reads only
     * for reading what is set before the server starts, or under a lock
     * or atomics of its own. */
    SF_METHOD_READ,
    SF_METHOD_WRITE,  /* runs in the batch transaction; idempotent by request id */
} sf_method_kind_t;

/* The optional fast path of a write method that arrives many at a time (case
 * submission): one call for a run of consecutive requests of the method in a
 * batch, so that n requests cost a few statements (INSERT ... SELECT FROM
 * unnest(...)) instead of n round trips each. calls[i] and requests[i] are the
 * i-th request's. A request the handler refuses on its own (a violation) is
 * failed on its call with sf_call_fail / sf_call_violation, and the rest go
 * on; the others get replies[i]. Returning anything but SF_OK fails the run
 * as a whole: the server rolls the run back and runs each request alone
 * through the ordinary handler, so one bad request never fails the others. */
typedef sf_status_t sf_batch_handler_fn(sf_call_t **calls, const ProtobufCMessage **requests,
                                        ProtobufCMessage **replies, size_t n);

typedef struct {
    const char *name;          /* an rpc of the service's descriptor */
    sf_handler_fn *handler;
    sf_method_kind_t kind;
    const char *roles;         /* space-separated roles allowed (admin always is); NULL = any */
    sf_batch_handler_fn *batch_handler;  /* optional, write methods only */
} sf_method_t;

typedef struct {
    const char *service;                          /* "grid" */
    const ProtobufCServiceDescriptor *descriptor; /* its rpcs */
    const sf_method_t *methods;                   /* ends with { NULL } */
    const sf_migration_t *migrations;             /* the service's own */
    void *state;                                  /* handed to handlers via sf_call_state */
    /* Optional: a statement without parameters sent with each write batch's
     * BEGIN, in the same round trip, and what to make of its rows before
     * the batch's handlers run (fn gets state). For a service whose
     * handlers must see something fresh each batch: intake's reference
     * generation. A failure fails the batch like a failed BEGIN. */
    const char *batch_probe_sql;
    void (*batch_probe_fn)(void *state, const PGresult *result);
} sf_service_t;

/* The service loop's settings (sf_server_new reads them): <SVC> is the
 * service. A daemon of the loop also takes sf_process_settings (CURVE, a
 * client's wait, the log), listed after these. */
extern const sf_var_t sf_server_settings[];

/* The command line and start every daemon takes: nothing, or --help (-h),
 * which prints usage, then the service loop's settings, the process's
 * (sf_process_settings) and own's. Returns
 * -1 to go on and serve, else the exit code: 0 after --help, 2 for any
 * other argument (said on stderr) or a bad value of any setting of either
 * table (one JSON line on stderr naming the variable and why). */
int sf_server_command_line(int argc, char **argv, const char *service, const char *usage,
                           const sf_var_t *own);

/* Whether service's method table matches its descriptor: every entry names
 * an rpc of it (once) and has a handler, every rpc has an entry, and a batch
 * handler is only on a write method. False with the first mismatch in
 * error. sf_server_new refuses a service that fails it. */
bool sf_methods_check(const sf_service_t *service, char *error, size_t error_size);

/* Builds the server from the environment (see sf_server_settings): endpoints,
 * database, CURVE, limits. Returns NULL with a reason in error (a method
 * table that does not match the descriptor, sf_methods_check, among them). */
sf_server_t *sf_server_new(const sf_service_t *service, char *error, size_t error_size);
void sf_server_destroy(sf_server_t **self_p);

/* A periodic task run by the loop between batches (overdue sweeps,
 * idempotency pruning, follower polls). It gets a call of its own, so that
 * code shared by handlers and timers takes one sf_call_t and uses one API
 * (sf_call_alloc, sf_call_query, sf_call_fail, sf_call_emit, ...):
 *   - on the server's connection (sf_call_db), outside any batch: no
 *     transaction is open; a timer that writes opens its own (sf_db_begin)
 *     and ends it with sf_call_commit, which appends what it emitted,
 *     commits and announces the new event head; or rolls back;
 *   - as the server's own principal: id the instance (sf_server_instance),
 *     role "service", no scope; no request id; method "(timer)";
 *     sf_call_act_as names another actor for its events;
 *   - its memory, results, failure and uncommitted events are released
 *     when fn returns.
 * The server may not be ready (sf_server_ready): the database is then
 * down or not yet migrated, and most timers return at once. */
typedef void (*sf_timer_fn)(sf_call_t *call, void *arg);
void sf_server_add_timer(sf_server_t *self, int interval_ms, sf_timer_fn fn, void *arg);
/* Makes the timer (fn, arg) due now: it runs on the next turn of the loop,
 * after the requests waiting then. For work done in slices. */
void sf_server_wake_timer(sf_server_t *self, sf_timer_fn fn, void *arg);

/* An extra socket the loop polls (a follower's SUB); fn runs when readable. */
typedef void (*sf_reader_fn)(sf_server_t *server, void *socket, void *arg);
void sf_server_add_reader(sf_server_t *self, void *socket, sf_reader_fn fn, void *arg);
/* The same for a socket that may be replaced (a client's DEALER after a
 * Lazy Pirate reset): socket_fn(socket_arg) gives the current one, or NULL. */
void sf_server_add_reader_fn(sf_server_t *self, void *(*socket_fn)(void *), void *socket_arg,
                             sf_reader_fn fn, void *arg);

/* Binds, applies migrations once the database is up, serves until SIGTERM or
 * SIGINT. Returns the process exit code. */
int sf_server_run(sf_server_t *self);
/* Asks the loop to stop after the batch in hand (also what signals do). */
void sf_server_stop(sf_server_t *self);

/* Lets a service add its own figures to Sys.Stats (a follower's cursors,
 * say): fn runs inside the Stats call and may allocate from it. */
typedef void (*sf_server_stats_fn)(sf_server_t *server, sf_call_t *call,
                                   Sifang__V1__StatsReply *reply, void *arg);
void sf_server_add_stats_hook(sf_server_t *self, sf_server_stats_fn fn, void *arg);

/* Events were appended to the log outside a batch (by a follower's apply,
 * say): the new head is announced on PUB. */
void sf_server_note_event_head(sf_server_t *self, int64_t head);

/* Another connection to the service's database, with the same settings
 * as the server's (not yet connected: sf_db_maintain). The caller owns it. */
sf_db_t *sf_server_new_db(const sf_server_t *self);

/* The largest frame the ROUTER reads (ZMQ_MAXMSGSIZE) for a body limit of
 * max_message (SIFANG_MAX_MESSAGE_BYTES): anything from the limit up to it
 * is answered RESOURCE_EXHAUSTED; a frame over it drops the connection
 * without a reply (libzmq's own guard). */
int64_t sf_server_transport_cut(size_t max_message);

/* Connected to the database with migrations applied. */
bool sf_server_ready(const sf_server_t *self);
void *sf_server_zmq_context(sf_server_t *self);
sf_db_t *sf_server_db(sf_server_t *self);
const char *sf_server_instance(const sf_server_t *self);
/* The schema the service owns (SIFANG_<SVC>_SCHEMA, checked at start). */
const char *sf_server_schema(const sf_server_t *self);
const char *sf_server_service(const sf_server_t *self);
void *sf_server_state(sf_server_t *self);

/* --- Inside a handler --------------------------------------------------- */

void *sf_call_state(sf_call_t *call);
sf_server_t *sf_call_server(sf_call_t *call);
/* Who asks (never NULL; fields never NULL). */
const Sifang__V1__Principal *sf_call_principal(const sf_call_t *call);
const char *sf_call_request_id(const sf_call_t *call);
const char *sf_call_method(const sf_call_t *call);
/* The database, inside the call's savepoint for write methods; a read's own
 * worker connection, in its read-only transaction (never the server's:
 * a read handler uses this, not sf_server_db). */
sf_db_t *sf_call_db(sf_call_t *call);

/* Memory that lives until the reply is packed. */
void *sf_call_alloc(sf_call_t *call, size_t size);          /* zeroed */
char *sf_call_strdup(sf_call_t *call, const char *text);    /* NULL -> "" */
char *sf_call_printf(sf_call_t *call, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
char *sf_call_vprintf(sf_call_t *call, const char *format, va_list args);
/* A message of the descriptor's type, initialised with its defaults. */
ProtobufCMessage *sf_call_new_message(sf_call_t *call, const ProtobufCMessageDescriptor *descriptor);
/* An array of n pointers for a repeated field. */
void *sf_call_new_array(sf_call_t *call, size_t n, size_t element_size);

/* Runs a statement on the call's database; the result is freed with the
 * call. On failure returns NULL and sets the call's status from the SQL error
 * (sf_db_status); the caller returns sf_call_status(call). */
PGresult *sf_call_query(sf_call_t *call, const char *sql, const sf_params_t *params);
/* A failed statement's failure (sf_db_try's) as the call's, as
 * sf_call_query makes it: status, message and the constraint it named
 * (sf_call_constraint); our SQL's errors (INTERNAL) logged. For a caller
 * that runs sf_db_try itself to own a large result (PQclear()s it). Returns
 * the call's status. */
sf_status_t sf_call_fail_statement(sf_call_t *call, const sf_db_failure_t *failure);

/* Describe a failure. fail returns status so a handler can
 * `return sf_call_fail(call, SF_NOT_FOUND, "zone %s not found", code);` */
sf_status_t sf_call_fail(sf_call_t *call, sf_status_t status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a field violation; the status becomes INVALID_ARGUMENT unless set. */
void sf_call_violation(sf_call_t *call, const char *field, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
bool sf_call_has_violations(const sf_call_t *call);
sf_status_t sf_call_status(const sf_call_t *call);
/* The failure's message ("" when none was given), and the constraint a
 * failed statement named ("" when none did, or the failure was not a
 * statement's): for code that turns a failure into its own words (an
 * import's item) and then clears it (sf_call_clear_failure). */
const char *sf_call_message(const sf_call_t *call);
const char *sf_call_constraint(const sf_call_t *call);
/* The failure in the words its reply would carry (the first violation with
 * its field when only violations were noted: "difficulties[0]: ..."), and
 * the field of the first violation ("" when none): for code that hands a
 * refusal on to someone else (a registration refused for a case). */
const char *sf_call_failure_text(sf_call_t *call);
const char *sf_call_violation_field(const sf_call_t *call);

/* Appends a domain event in the call's transaction (write methods only). The
 * payload is packed now; key is the aggregate's code. */
void sf_call_emit(sf_call_t *call, const char *type, const char *key,
                  const ProtobufCMessage *payload);
/* A write handler's usual last step: emits the event whose payload is the
 * record it wrote and replies with that same record, so that the caller
 * sees what every follower is told. Returns SF_OK, for
 * `return sf_call_emit_reply(call, reply_p, "department.created", created->code, &created->base);` */
sf_status_t sf_call_emit_reply(sf_call_t *call, ProtobufCMessage **reply_p, const char *type, const char *key,
                               ProtobufCMessage *record);

/* The call's events are stored grouped (sf_outbox_group): for a request
 * that emits thousands (an import). Followers and Sys.EventsFetch still see
 * them one by one, each with its own sequence number. */
void sf_call_group_events(sf_call_t *call);

/* A call for work a handler does in another thread on a connection of its
 * own (sf_server_new_db), in transactions of its own: the same principal,
 * request id and state; its own memory, results, failure and events. Made
 * in the handler's thread; used by one thread at a time; released with the
 * call, so what it allocates may go into the reply. */
sf_call_t *sf_call_fork(sf_call_t *call, sf_db_t *db);
/* Appends a fork's (or a timer's) events to the log in its open
 * transaction and commits it, in one round trip. *head_p is the new event
 * head (-1 without events or on failure); a fork's handler thread then
 * announces it (sf_server_note_event_head), a timer's call announces it
 * itself. False when the commit failed: the caller rolls back. */
bool sf_call_commit(sf_call_t *fork, int64_t *head_p);
/* A timer's call (sf_timer_fn) acting as a named part of the daemon: its
 * events' actor is id (intake's sweep signs "intake-sweep"). Timer calls
 * only; id must outlive the call. */
void sf_call_act_as(sf_call_t *call, const char *id);
/* Forgets the call's failure (status, message, constraint, violations): for
 * a timer that applies several independent pieces of work, each in its own
 * savepoint, where one refused piece must not mark the next; or a handler
 * that retries the items of a failed run alone, or has made a statement's
 * failure an item's outcome. */
void sf_call_clear_failure(sf_call_t *call);
/* Events a call emits live in memory until its transaction commits, so a
 * piece of work rolled back to a savepoint must also drop the events it
 * emitted: take a mark before the SAVEPOINT, and after ROLLBACK TO it undo
 * to the mark. Otherwise the log would announce a change that never was. */
size_t sf_call_events_mark(const sf_call_t *call);
void sf_call_events_undo(sf_call_t *call, size_t mark);

/* Roles and scopes (sf_roles.h says what they are). The role sets are
 * sf_roles.h's SF_ROLES_*. */
bool sf_call_has_role(const sf_call_t *call, const char *roles);
/* Whether the caller may read records of unit_code: a key's scope covers
 * it, or one of a person's grants views it. */
bool sf_call_covers(const sf_call_t *call, const char *unit_code);
/* The same, counting only grants whose role is in roles: for what only some
 * duties may see (residents' names and addresses: SF_ROLES_RESIDENT_DUTY),
 * each within its own scope. */
bool sf_call_covers_as(const sf_call_t *call, const char *roles, const char *unit_code);
/* Whether the caller may write records of unit_code (a key: its scope). */
bool sf_call_may_write(const sf_call_t *call, const char *unit_code);
/* Whether the caller may search in unit_code (find a resident who moved). */
bool sf_call_may_search(const sf_call_t *call, const char *unit_code);
/* Whether the caller is a person logged in at the gateway (not a key). */
bool sf_call_is_person(const sf_call_t *call);

#endif
