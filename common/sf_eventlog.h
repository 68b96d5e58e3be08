/* A service's event log (the transactional outbox): events are appended in
 * the transaction of the change they record, with sequence numbers handed out
 * in commit order, and read back by followers through Sys.EventsFetch. */
#ifndef SF_EVENTLOG_H
#define SF_EVENTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sf_db.h"
#include "sifang/v1/sys.pb-c.h"

/* An event not yet in the log. Strings and payload are borrowed. */
typedef struct {
    const char *type;
    const char *key;
    const char *payload_type;
    const uint8_t *payload;
    size_t payload_size;
    const char *actor;
    const char *request_id;
    int64_t occurred_unix_ms;
    int32_t events;       /* > 1: a group (payload: an EventGroup of them); else one */
} sf_event_draft_t;

/* Appends events inside the caller's open transaction and returns the new
 * head sequence, or -1. Taking the head row locks it until the caller's
 * commit: call this last before COMMIT so the lock is held briefly, and the
 * sequence order is the commit order (no reader ever skips a late commit). */
int64_t sf_eventlog_append(sf_db_t *db, const sf_event_draft_t *events, size_t n);

/* The same as statements for the caller to run: a batch is cut into pieces
 * of about SF_EVENT_PIECE_BYTES, each one statement, so that libpq's output
 * buffer, which keeps the size of the largest message it ever sent for the
 * connection's life, stays about that size however large a batch (an import,
 * a bulk approval) is. Every piece takes the head row in turn inside the
 * caller's transaction, so the sequence numbers run on from piece to piece.
 * init builds the pieces' parameters from the drafts (always true: running
 * out of memory aborts, as in sf_binarray); run_leading runs every piece but
 * the last in the caller's open transaction (false, logged, when one
 * failed: the caller rolls back); the last piece's statement is
 * sf_event_batch_sql with sf_event_batch_last's parameters, for the caller
 * to run (alone, or last in a pipeline before COMMIT); head reads the new
 * head from its result (-1 when it failed); release frees the parameters. */
#define SF_EVENT_BATCH_ARRAYS 9
#define SF_EVENT_PIECE_BYTES (1024 * 1024)
typedef struct {
    sf_binarray_t arrays[SF_EVENT_BATCH_ARRAYS];
    sf_params_t params;
} sf_event_piece_t;
typedef struct {
    sf_event_piece_t *pieces;
    size_t n;             /* >= 1 */
} sf_event_batch_t;
extern const char sf_event_batch_sql[];
bool sf_event_batch_init(sf_event_batch_t *batch, const sf_event_draft_t *events, size_t n);
bool sf_event_batch_run_leading(sf_db_t *db, const sf_event_batch_t *batch) SF_MUST_USE;
const sf_params_t *sf_event_batch_last(const sf_event_batch_t *batch);
int64_t sf_event_batch_head(const PGresult *result);
void sf_event_batch_release(sf_event_batch_t *batch);

/* Events a change has emitted and not yet appended, each packed when it is
 * added; the outbox owns the copies of its type, key, request id and
 * payload until cleared. Zeroed is empty. The actor, and the request id of
 * an event added without one, are the appender's to fill in (the service
 * loop's: the request's principal and id). */
typedef struct {
    sf_event_draft_t *events;
    size_t n, capacity;
} sf_outbox_t;
/* request_id may be NULL: the appender's. Aborts when out of memory. */
void sf_outbox_add(sf_outbox_t *self, const char *type, const char *key, const char *request_id,
                   const ProtobufCMessage *payload);
/* Appends the events in the caller's transaction with actor (and
 * request_id where an event has none) and clears the outbox. Returns the
 * new head (the current one when empty), or -1. */
int64_t sf_outbox_append(sf_outbox_t *self, sf_db_t *db, const char *actor, const char *request_id);
/* The same, then COMMIT, in one round trip (the event head stays locked
 * for the commit alone). *head_p is the new head (-1 when there were no
 * events, or on failure). False when the commit failed: the caller rolls
 * back. */
bool sf_outbox_commit(sf_outbox_t *self, sf_db_t *db, const char *actor, const char *request_id, int64_t *head_p) SF_MUST_USE;
/* Folds the events from the from-th on into groups: each run of
 * consecutive events of one type, payload type and request id becomes one
 * row of the log (up to SF_EVENT_GROUP_MAX events; see EventGroup in
 * sys.proto). For a request that emits thousands of events, an import: a
 * row each costs more than the change it records. Readers see the members
 * one by one (sf_eventlog_fetch). */
#define SF_EVENT_GROUP_MAX 256
void sf_outbox_group(sf_outbox_t *self, size_t from);
/* Frees the events from the n-th on (those added after a savepoint that
 * was rolled back), keeps the first n. */
void sf_outbox_truncate(sf_outbox_t *self, size_t n);
/* Frees the events, keeps the room for more. */
void sf_outbox_clear(sf_outbox_t *self);
/* Frees everything; the outbox is empty (zeroed) again. */
void sf_outbox_release(sf_outbox_t *self);

/* The highest committed sequence, or -1 when the database is down. */
int64_t sf_eventlog_head(sf_db_t *db);

/* Fills reply with up to limit events after `after`, in order. Allocates with
 * malloc: release with sf_eventlog_release_fetch. Returns 0 or -1 (down). */
int sf_eventlog_fetch(sf_db_t *db, const char *source, int64_t after, int limit,
                      Sifang__V1__EventsFetchReply *reply) SF_MUST_USE;
void sf_eventlog_release_fetch(Sifang__V1__EventsFetchReply *reply);

#endif
