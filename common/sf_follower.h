/* Follows another service's event log: applies its events in order, exactly
 * once, keeping the cursor (source instance, last sequence) in the consumer's
 * own schema in the same transaction as what each event changed.
 *
 * The source announces its new head on PUB; the follower also polls now and
 * then, since a notice can be missed (slow joiner, restart, a dropped PUB
 * message). Either way it pulls the missing range with Sys.EventsFetch, so a
 * follower that was stopped or slow catches up by itself. */
#ifndef SF_FOLLOWER_H
#define SF_FOLLOWER_H

#include <stdbool.h>
#include <stdint.h>
#include "sf_client.h"
#include "sf_db.h"
#include "sf_server.h"
#include "sifang/v1/sys.pb-c.h"

typedef struct sf_follower_t sf_follower_t;

/* Applies one event inside the follower's open transaction. Return SF_OK to
 * go on. An event the consumer does not care about is simply OK.
 *
 * The suite's one rule for an event that cannot be read (its payload does
 * not decode as its type says): return SF_DATA_LOSS, having written
 * nothing for it. The follower records it in the consumer's event_skipped
 * table (source, seq, type, reason) in the page's transaction, logs it once
 * (a warning), counts it in Sys.Stats (skipped, per source) and goes on:
 * one bad event never stalls a follower and is never silently dropped.
 * Grid wrote it; retrying cannot make it decode.
 *
 * "Written nothing" is kept by decoding first: an apply that writes several
 * things for one event (a review's records, a case's facts) decodes all of
 * what it is about to write before its first statement, so it needs no
 * savepoint. An apply sees one event at a time: a group in the source's
 * log reaches it member by member (Sys.EventsFetch), each recorded or
 * applied on its own.
 *
 * Any other status rolls the page back and the follower retries it later
 * (the database or a peer was unavailable: it will pass). */
typedef sf_status_t (*sf_follower_apply_fn)(sf_db_t *db, const Sifang__V1__Event *event, void *arg);

/* Emits an event into the consumer's own event log, in the transaction that
 * applies the source's event: for an apply function whose change is itself
 * news (employment moving a person's home zone when grid moves their
 * household). Call it only from inside the apply function. The event's actor
 * is "follower:<source>" and its request id "<source>#<seq>". */
void sf_follower_emit(sf_follower_t *self, const char *type, const char *key, const ProtobufCMessage *payload);

/* A follower of the service `source` (its ROUTER at endpoint, its PUB at
 * publish), writing through db (the consumer's connection, with the common
 * migrations applied: the cursor lives in its event_cursor table). curve may
 * be NULL. zmq_context is the consumer's. */
sf_follower_t *sf_follower_new(void *zmq_context, sf_db_t *db, const char *source,
                               const char *endpoint, const char *publish,
                               const sf_curve_client_t *curve,
                               sf_follower_apply_fn apply, void *arg);
/* The same with endpoints and CURVE from the environment (SIFANG_<SRC>_*). */
sf_follower_t *sf_follower_new_from_env(void *zmq_context, sf_db_t *db, const char *source,
                                        sf_follower_apply_fn apply, void *arg,
                                        char *error, size_t error_size);
void sf_follower_destroy(sf_follower_t **self_p);

/* Events fetched and applied per transaction (default 1000). */
void sf_follower_set_page_size(sf_follower_t *self, int page_size);
/* Keeps the cursor (and the skipped events) under key instead of the
 * source's instance name: for a consumer that follows several sources of
 * one name, each district's "grid" at evaluation's city level
 * ("sifang:grid"). The source must still call itself what it did. */
void sf_follower_set_cursor_key(sf_follower_t *self, const char *key);

/* The end of a page, for a consumer that gathers what many events add up to
 * (totals) and writes it once a page instead of once an event: called with
 * write true after the page's last event, in its transaction, before the
 * cursor is stored (anything but SF_OK rolls the page back and it is tried
 * again); with write false after a page was rolled back, to forget what it
 * gathered. */
typedef sf_status_t (*sf_follower_page_fn)(sf_db_t *db, bool write, void *arg);
void sf_follower_set_page_end(sf_follower_t *self, sf_follower_page_fn fn, void *arg);

/* Pulls and applies everything up to the source's head (in pages). Returns
 * the number of events applied, or -1 when the source or the database is
 * unavailable (try again later). */
int sf_follower_sync(sf_follower_t *self);

/* The SUB socket the consumer polls; when readable call
 * sf_follower_on_notice, which drains notices and syncs if behind. */
void *sf_follower_socket(sf_follower_t *self);
void sf_follower_on_notice(sf_follower_t *self);

/* Hooks the follower into a service loop: its SUB as a reader and a poll
 * every interval_ms. */
void sf_follower_attach(sf_follower_t *self, sf_server_t *server, int interval_ms);

/* What a daemon's start hook does to follow a source in its loop, in one
 * call: sf_follower_new_from_env on the server's ZeroMQ context and
 * connection, page_size events a transaction (0: the default) and
 * sf_follower_attach with a poll every interval_ms. NULL, having logged
 * "cannot follow <source>" and why, when the endpoints are unusable. */
sf_follower_t *sf_follower_start(sf_server_t *server, const char *source, sf_follower_apply_fn apply, void *arg,
                                 int page_size, int interval_ms);

/* The source's instance name (known after the first successful sync, else
 * ""), the last applied sequence and the source head last seen. */
const char *sf_follower_source(const sf_follower_t *self);
int64_t sf_follower_cursor(const sf_follower_t *self);
int64_t sf_follower_head(const sf_follower_t *self);
/* Events of the source skipped because they did not decode (event_skipped;
 * known after the first successful sync). */
int64_t sf_follower_skipped(const sf_follower_t *self);

#endif
