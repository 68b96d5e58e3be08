/* Write batches: the requests waiting for one, the BEGIN pipeline that
 * finds their stored replies and repeats, runs through a batch handler,
 * each request in its savepoint, and the store-append-commit that ends the
 * batch before its replies go out. */
#include "sf_server_private.h"
#include "sf_eventlog.h"
#include "sf_log.h"
#include "sf_metrics.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- write batches ---------------------------------------------------------- */

static void
pending_release(pending_t *pending)
{
    zmq_msg_close(&pending->identity);
    if (pending->header)
        protobuf_c_message_free_unpacked(&pending->header->base, NULL);
    if (pending->request)
        protobuf_c_message_free_unpacked(pending->request, NULL);
    sf_server__principal_release(&pending->principal);
    free(pending->message);
    free(pending->reply_body);
    for (size_t i = 0; i < pending->n_violations; i++) {
        free(pending->violation_fields[i]);
        free(pending->violation_descriptions[i]);
    }
    free(pending->violation_fields);
    free(pending->violation_descriptions);
    sf_outbox_release(&pending->events);
    memset(pending, 0, sizeof *pending);
}

static void
pending_set_result(pending_t *pending, sf_status_t status, const char *message)
{
    pending->status = status;
    free(pending->message);
    pending->message = strdup(message ? message : "");
}

/* Copies a failure into pending: its status, message and violations (what
 * they are copied from is about to go: a call's memory, another pending). */
static void
pending_copy_failure(pending_t *pending, sf_status_t status, const char *message, size_t n_violations,
                     char *const *fields, char *const *descriptions)
{
    pending_set_result(pending, status, message);
    pending->n_violations = n_violations;
    if (n_violations) {
        pending->violation_fields = calloc(n_violations, sizeof(char *));
        pending->violation_descriptions = calloc(n_violations, sizeof(char *));
        if (!pending->violation_fields || !pending->violation_descriptions)
            abort();
        for (size_t i = 0; i < n_violations; i++) {
            pending->violation_fields[i] = strdup(fields[i]);
            pending->violation_descriptions[i] = strdup(descriptions[i]);
        }
    }
}

/* Copies a success into pending: a reply body already packed (stored for
 * its request id, or its first's in the batch). */
static void
pending_copy_success(pending_t *pending, const void *body, size_t size, bool replayed)
{
    pending->reply_body = malloc(size ? size : 1);
    if (!pending->reply_body)
        abort();
    memcpy(pending->reply_body, body, size);
    pending->reply_size = size;
    pending->replayed = replayed;
    pending_set_result(pending, SF_OK, "");
}

/* Takes a call's outcome into pending before the call's memory is reset:
 * on SF_OK its reply packed and its events, else its failure (its events
 * dropped). */
static void
pending_take_call(pending_t *pending, sf_call_t *call, sf_status_t status, const ProtobufCMessage *reply)
{
    if (status != SF_OK) {
        pending_copy_failure(pending, status, sf_call__failure_message(call, status), call->n_violations,
                             call->violation_fields, call->violation_descriptions);
        sf_outbox_release(&call->events);
        return;
    }
    pending->reply_body = sf_call__pack_reply(reply, &pending->reply_size);
    if (!pending->reply_body)
        abort();
    pending_set_result(pending, SF_OK, "");
    if (call->group_events)
        sf_outbox_group(&call->events, 0);
    pending->events = call->events;
    call->events = (sf_outbox_t) { 0 };
}

/* Refuses a request whose key was first used for another request
 * (first_method, or the same method with another body): answering it with
 * that one's reply would hand the caller something that is not its own. */
static void
pending_refuse_reuse(pending_t *pending, const char *first_method)
{
    char message[400];
    bool same_method = strcmp(first_method, pending->header->method) == 0;
    snprintf(message, sizeof message,
             "request id already used for %s%s; a retry repeats its request exactly,"
             " anything else needs a new request id",
             same_method ? "another " : "", first_method);
    char *field = "header.request_id", *description = message;
    pending_copy_failure(pending, SF_INVALID_ARGUMENT, message, 1, &field, &description);
    pending->refused = true;
}

/* Links the newest request of the batch to the first one with its key,
 * anywhere in the batch: it will get that one's outcome and never run. A
 * key reused for another method or body is refused at once. */
static void
link_repeat(sf_server_t *self, int index)
{
    pending_t *pending = &self->batch[index];
    pending->first = -1;
    for (int i = 0; i < index; i++) {
        const pending_t *earlier = &self->batch[i];
        if (strcmp(earlier->header->request_id, pending->header->request_id) != 0
            || strcmp(earlier->principal.id, pending->principal.id) != 0)
            continue;
        if (earlier->method != pending->method
            || sodium_memcmp(earlier->digest, pending->digest, sizeof pending->digest) != 0)
            pending_refuse_reuse(pending, earlier->header->method);
        else
            pending->first = i;
        return;
    }
}

/* The digest a key is bound to: the body decoded and packed again, so
 * that a retry from a runtime that orders fields differently still agrees. */
static void
request_digest(const ProtobufCMessage *request, uint8_t digest[crypto_generichash_BYTES])
{
    size_t size = protobuf_c_message_get_packed_size(request);
    uint8_t *packed = malloc(size ? size : 1);
    if (!packed)
        abort();
    protobuf_c_message_pack(request, packed);
    crypto_generichash(digest, crypto_generichash_BYTES, packed, size, NULL, 0);
    free(packed);
}

/* Queues a write request in the batch, taking over its header, body and
 * principal and moving its identity frame: the caller frees none of them. */
void
sf_batch__add(sf_server_t *self, zmq_msg_t *identity, Sifang__V1__RequestHeader *header,
              ProtobufCMessage *request, const sf_method_t *method, Sifang__V1__Principal *principal,
              int64_t received_ms)
{
    pending_t *pending = &self->batch[self->n_batch++];
    memset(pending, 0, sizeof *pending);
    zmq_msg_init(&pending->identity);
    zmq_msg_move(&pending->identity, identity);
    pending->header = header;
    pending->request = request;
    pending->method = method;
    pending->principal = *principal;
    pending->received_ms = received_ms;
    request_digest(request, pending->digest);
    link_repeat(self, self->n_batch - 1);
}

/* Sends what opens the batch's transaction: BEGIN, the look-up of the
 * stored replies of its request ids and the service's batch probe, in one
 * pipeline whose results begin_receive takes. */
static void
begin_send(sf_server_t *self)
{
    sf_binarray_t principals, request_ids, methods, digests;
    sf_binarray_init(&principals, SF_OID_TEXT);
    sf_binarray_init(&request_ids, SF_OID_TEXT);
    sf_binarray_init(&methods, SF_OID_TEXT);
    sf_binarray_init(&digests, SF_OID_BYTEA);
    for (int i = 0; i < self->n_batch; i++) {
        const pending_t *pending = &self->batch[i];
        sf_binarray_text(&principals, pending->principal.id);
        sf_binarray_text(&request_ids, pending->header->request_id);
        sf_binarray_text(&methods, pending->header->method);
        sf_binarray_bytes(&digests, pending->digest, sizeof pending->digest);
    }
    sf_params_t params;
    sf_params_init(&params);
    sf_binarray_param(&principals, &params);
    sf_binarray_param(&request_ids, &params);
    sf_binarray_param(&methods, &params);
    sf_binarray_param(&digests, &params);
    /* One primary-key probe per request (a lateral look-up is a nested
     * loop by construction: a plain join could keep a plan made while
     * request_log was small and scan it whole every batch). Each row says
     * which request of the batch it answers, whether the stored key was
     * used for the same request, and the stored reply only then. */
    const sf_db_step_t steps[3] = {
        { "BEGIN", NULL },
        { "SELECT k.i - 1, found.same, found.method, CASE WHEN found.same THEN found.reply_body END"
          " FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[]) WITH ORDINALITY"
          "   AS k(principal, request_id, method, digest, i),"
          " LATERAL (SELECT r.method, r.reply_body,"
          "                 r.method = k.method AND (r.request_digest IS NULL OR r.request_digest = k.digest) AS same"
          "            FROM request_log r"
          "           WHERE r.principal = k.principal AND r.request_id = k.request_id) AS found", &params },
        { self->service->batch_probe_sql, NULL },
    };
    /* The parameters are copied into the connection's buffer as they go. */
    sf_db_pipeline_send(self->db, steps, self->service->batch_probe_sql ? 3 : 2);
    sf_binarray_release(&principals);
    sf_binarray_release(&request_ids);
    sf_binarray_release(&methods);
    sf_binarray_release(&digests);
    self->begun = true;
}

/* Takes what begin_send sent: the transaction open, the requests whose
 * replies are stored answered with them, the probe handed to the service.
 * false when the transaction could not be opened. */
static bool
begin_receive(sf_server_t *self)
{
    self->begun = false;
    int n_steps = self->service->batch_probe_sql ? 3 : 2;
    PGresult *results[3] = { NULL, NULL, NULL };
    /* Each step's result says how it went, and is read below. */
    SF_IGNORE(sf_db_pipeline_receive(self->db, results, n_steps));
    PGresult *begun = results[0], *result = results[1], *probe = results[2];
    bool open = sf_db_result_ok(begun);
    PQclear(begun);
    if (open && !sf_db_result_ok(result)) {
        /* The transaction is aborted: the batch cannot run in it. */
        if (result)
            sf_error("looking up stored replies failed", "reason", PQresultErrorMessage(result));
        open = false;
    }
    if (open && n_steps == 3) {
        if (sf_db_result_ok(probe))
            self->service->batch_probe_fn(self->service->state, probe);
        else {
            if (probe)
                sf_error("the batch probe failed", "reason", PQresultErrorMessage(probe));
            open = false;
        }
    }
    PQclear(probe);
    if (!open) {
        PQclear(result);
        sf_db_rollback(self->db);
        return false;
    }
    for (int row = 0; row < PQntuples(result); row++) {
        int64_t index = sf_db_int(result, row, 0);
        if (index < 0 || index >= self->n_batch)
            continue;
        pending_t *pending = &self->batch[index];
        if (pending->refused)
            continue;
        if (!sf_db_bool(result, row, 1)) {
            pending_refuse_reuse(pending, sf_db_text(result, row, 2));
            continue;
        }
        size_t size = 0;
        unsigned char *body = PQunescapeBytea((const unsigned char *) sf_db_text(result, row, 3), &size);
        if (!body)
            abort();
        pending_copy_success(pending, body, size, true);
        PQfreemem(body);
    }
    PQclear(result);
    return true;
}

/* Whether pending has its answer before running: a stored reply, or a
 * refusal of its reused key. */
static bool
pending_answered(const pending_t *pending)
{
    return pending->replayed || pending->refused;
}

/* A repeat in the batch takes the outcome of the first request with its
 * key, once that has run: the same reply (marked replayed) or the same
 * failure. */
static void
pending_take_outcome(pending_t *pending, const pending_t *first)
{
    if (first->status == SF_OK)
        pending_copy_success(pending, first->reply_body, first->reply_size, true);
    else
        pending_copy_failure(pending, first->status, first->message, first->n_violations,
                             first->violation_fields, first->violation_descriptions);
}

/* Runs one write request inside its own savepoint. Returns false when the
 * database went away (the whole batch is lost). */
static bool
run_write(sf_server_t *self, pending_t *pending)
{
    if (pending->header->deadline_unix_ms && sf_now_ms() > pending->header->deadline_unix_ms) {
        pending_set_result(pending, SF_DEADLINE_EXCEEDED, "deadline passed before the request ran");
        return true;
    }
    /* Deferred: it goes out with the handler's first statement, and a
     * request refused before any statement costs no round trip at all. */
    sf_db_defer(self->db, "SAVEPOINT request");
    sf_call_t call;
    sf_call__init(&call, self, pending->header->method, pending->header->request_id, &pending->principal, true);
    ProtobufCMessage *reply = NULL;
    sf_status_t status = pending->method->handler(&call, pending->request, &reply);
    if (status == SF_OK && call.status != SF_OK)
        status = call.status;
    bool database_up = sf_db_is_up(self->db);
    pending_take_call(pending, &call, status, reply);
    /* On success the savepoint is not released: the next request's nests
     * inside this one, and COMMIT ends them all. A round trip less per
     * request. */
    if (status != SF_OK) {
        if (database_up && !sf_db_take_back(self->db, "SAVEPOINT request"))
            database_up = sf_db_command(self->db, "ROLLBACK TO SAVEPOINT request")
                       && sf_db_command(self->db, "RELEASE SAVEPOINT request");
    }
    sf_call__release(&call);
    return database_up;
}

/* Whether pending i may join a batch run of method: same method, not
 * answered yet, and not a repeat (a repeat never runs: it waits for the
 * first request with its key, wherever that is in the batch). */
static bool
joins_run(const sf_server_t *self, int i, const sf_method_t *method)
{
    const pending_t *pending = &self->batch[i];
    if (pending->method != method || pending_answered(pending) || pending->first >= 0)
        return false;
    if (pending->header->deadline_unix_ms && sf_now_ms() > pending->header->deadline_unix_ms)
        return false;
    return true;
}

/* Runs batch[start, start + n) through the method's batch handler in one
 * savepoint. Returns false when the database went away. *fell_back says the
 * handler failed the run and each request must run alone. */
static bool
run_write_batch(sf_server_t *self, int start, int n, bool *fell_back)
{
    *fell_back = false;
    const sf_method_t *method = self->batch[start].method;
    sf_call_t *calls = calloc((size_t) n, sizeof *calls);
    sf_call_t **call_ptrs = calloc((size_t) n, sizeof *call_ptrs);
    const ProtobufCMessage **requests = calloc((size_t) n, sizeof *requests);
    ProtobufCMessage **replies = calloc((size_t) n, sizeof *replies);
    if (!calls || !call_ptrs || !requests || !replies)
        abort();
    for (int i = 0; i < n; i++) {
        pending_t *pending = &self->batch[start + i];
        sf_call__init(&calls[i], self, pending->header->method, pending->header->request_id, &pending->principal, true);
        call_ptrs[i] = &calls[i];
        requests[i] = pending->request;
    }
    /* Deferred, as in run_write. */
    sf_db_defer(self->db, "SAVEPOINT run");
    bool up = sf_db_is_up(self->db);
    sf_status_t status = up ? method->batch_handler(call_ptrs, requests, replies, (size_t) n) : SF_UNAVAILABLE;
    up = up && sf_db_is_up(self->db);
    if (up && status == SF_OK) {
        for (int i = 0; i < n; i++) {
            pending_t *pending = &self->batch[start + i];
            sf_call_t *call = &calls[i];
            sf_status_t outcome = call->status != SF_OK || replies[i] ? call->status : SF_INTERNAL;
            pending_take_call(pending, call, outcome, replies[i]);
        }
        /* Not released, as in run_write. */
    } else {
        for (int i = 0; i < n; i++) {
            sf_outbox_release(&calls[i].events);
        }
        if (up) {
            up = sf_db_take_back(self->db, "SAVEPOINT run")
              || (sf_db_command(self->db, "ROLLBACK TO SAVEPOINT run")
                  && sf_db_command(self->db, "RELEASE SAVEPOINT run"));
            *fell_back = true;
        }
    }
    for (int i = 0; i < n; i++)
        sf_call__release_results(&calls[i]);
    sf_arena_reset(self->arena);
    free(calls);
    free(call_ptrs);
    free(requests);
    free(replies);
    return up;
}

/* Ends the batch's transaction: its successful replies stored for
 * idempotency, its events appended to the log, COMMIT, and the WAL
 * position after it, all in one round trip. *head is the new event head
 * (-1 when there were no events); *commit_lsn the primary's WAL insert
 * position read after the COMMIT (0 when unknown): at or past the commit
 * record, it is what a reply's reader names to read its write on a hot
 * standby. false when anything failed: the caller rolls back. */
static bool
store_append_commit(sf_server_t *self, int64_t *head, uint64_t *commit_lsn)
{
    sf_binarray_t principals, request_ids, methods, digests, bodies;
    sf_binarray_init(&principals, SF_OID_TEXT);
    sf_binarray_init(&request_ids, SF_OID_TEXT);
    sf_binarray_init(&methods, SF_OID_TEXT);
    sf_binarray_init(&digests, SF_OID_BYTEA);
    sf_binarray_init(&bodies, SF_OID_BYTEA);
    size_t n_replies = 0, n_events = 0;
    for (int i = 0; i < self->n_batch; i++) {
        pending_t *pending = &self->batch[i];
        if (pending->status != SF_OK || pending->replayed || pending->first >= 0)
            continue;
        n_events += pending->events.n;
        sf_binarray_text(&principals, pending->principal.id);
        sf_binarray_text(&request_ids, pending->header->request_id);
        sf_binarray_text(&methods, pending->header->method);
        sf_binarray_bytes(&digests, pending->digest, sizeof pending->digest);
        sf_binarray_bytes(&bodies, pending->reply_body, pending->reply_size);
        n_replies++;
    }
    sf_event_draft_t *drafts = n_events ? calloc(n_events, sizeof *drafts) : NULL;
    if (n_events && !drafts)
        abort();
    size_t at = 0;
    for (int i = 0; i < self->n_batch; i++) {
        pending_t *pending = &self->batch[i];
        if (pending->status != SF_OK || pending->replayed || pending->first >= 0)
            continue;
        for (size_t e = 0; e < pending->events.n; e++) {
            drafts[at] = pending->events.events[e];
            drafts[at].actor = pending->principal.id;
            drafts[at++].request_id = pending->header->request_id;
        }
    }

    sf_db_step_t steps[4];
    int n_steps = 0, replies_step = -1, events_step = -1;
    sf_params_t reply_params;
    bool built = true;
    if (n_replies) {
        sf_params_init(&reply_params);
        sf_binarray_param(&principals, &reply_params);
        sf_binarray_param(&request_ids, &reply_params);
        sf_binarray_param(&methods, &reply_params);
        sf_binarray_param(&digests, &reply_params);
        sf_binarray_param(&bodies, &reply_params);
        replies_step = n_steps;
        steps[n_steps++] = (sf_db_step_t) {
            "INSERT INTO request_log (principal, request_id, method, request_digest, reply_header, reply_body)"
            " SELECT p, r, m, d, '\\x'::bytea, b"
            "   FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bytea[]) AS k(p, r, m, d, b)",
            &reply_params };
    }
    /* Last before COMMIT: the event head stays locked only for the commit. */
    sf_event_batch_t events;
    if (n_events) {
        /* A batch of more than one piece sends the others first (the head
         * is then locked from the first of them: only for such a batch). */
        built = sf_event_batch_init(&events, drafts, n_events) && built;
        built = built && sf_event_batch_run_leading(self->db, &events);
        events_step = n_steps;
        steps[n_steps++] = (sf_db_step_t) { sf_event_batch_sql, sf_event_batch_last(&events) };
    }
    int commit_step = n_steps;
    steps[n_steps++] = (sf_db_step_t) { "COMMIT", NULL };
    steps[n_steps++] = (sf_db_step_t) { "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::int8", NULL };

    PGresult *results[4] = { NULL, NULL, NULL, NULL };
    /* The position's step after COMMIT cannot undo it: the batch stands
     * or falls by the steps up to the COMMIT. */
    SF_IGNORE(built && sf_db_pipeline(self->db, steps, n_steps, results));
    bool ok = built;
    for (int i = 0; i <= commit_step; i++)
        ok = ok && sf_db_result_ok(results[i]);
    if (replies_step >= 0 && results[replies_step] && !sf_db_result_ok(results[replies_step]))
        sf_error("storing replies failed", "reason", PQresultErrorMessage(results[replies_step]));
    *head = events_step >= 0 ? sf_event_batch_head(results[events_step]) : -1;
    if (events_step >= 0 && *head < 0)
        ok = false;
    /* A COMMIT of an aborted transaction reports ROLLBACK: a failure. */
    PGresult *commit = results[commit_step];
    ok = ok && commit && strcmp(PQcmdStatus(commit), "COMMIT") == 0;
    PGresult *position = results[commit_step + 1];
    *commit_lsn = ok && sf_db_result_ok(position) && PQntuples(position) == 1
        ? (uint64_t) sf_db_int(position, 0, 0) : 0;
    for (int i = 0; i < n_steps; i++)
        PQclear(results[i]);
    if (n_events)
        sf_event_batch_release(&events);
    free(drafts);
    sf_binarray_release(&principals);
    sf_binarray_release(&request_ids);
    sf_binarray_release(&methods);
    sf_binarray_release(&digests);
    sf_binarray_release(&bodies);
    return ok;
}

/* How many batches may follow one another straight from sf_batch__run before
 * the loop gets its turn (timers, followers' sockets). */
#define CHAIN_MAX 16

/* Runs the batch in one transaction; replies go out only after COMMIT.
 * Then, before they go, the next batch (what has arrived meanwhile) has
 * its BEGIN sent: the server opens it while this one is answered, and the
 * loop runs it next (self->begun). */
void
sf_batch__run(sf_server_t *self)
{
    if (self->n_batch == 0)
        return;
    if (!self->begun)
        begin_send(self);
    bool committed = false;
    int64_t head = -1;
    uint64_t commit_lsn = 0;
    if (begin_receive(self)) {
        bool up = true;
        for (int i = 0; i < self->n_batch && up; i++) {
            pending_t *pending = &self->batch[i];
            if (pending_answered(pending) || pending->first >= 0)
                continue;
            if (pending->method->batch_handler && joins_run(self, i, pending->method)) {
                int n = 1;
                while (i + n < self->n_batch && joins_run(self, i + n, pending->method))
                    n++;
                bool fell_back = false;
                up = run_write_batch(self, i, n, &fell_back);
                if (up && fell_back)
                    for (int j = 0; j < n && up; j++)
                        up = run_write(self, &self->batch[i + j]);
                i += n - 1;
                continue;
            }
            up = run_write(self, pending);
        }
        for (int i = 0; i < self->n_batch && up; i++) {
            pending_t *pending = &self->batch[i];
            if (pending->first >= 0 && !pending_answered(pending))
                pending_take_outcome(pending, &self->batch[pending->first]);
        }
        committed = up && store_append_commit(self, &head, &commit_lsn);
        if (!committed)
            sf_db_rollback(self->db);
    }
    if (committed) {
        self->batches++;
        self->batched_requests += self->n_batch;
        if (head >= 0 && head != self->event_head) {
            self->event_head = head;
            sf_server__publish_head(self);
        }
    } else
        sf_warn("batch not committed", "requests", NULL, "reason",
                sf_db_is_up(self->db) ? "commit failed" : "database unavailable");

    pending_t *answering = self->batch;
    int n_answering = self->n_batch;
    self->batch = self->answering;
    self->answering = answering;
    self->n_batch = 0;
    /* Reads among what arrived run now, as the loop would run them; a
     * retry of a request of the batch just committed finds its reply
     * stored. Not when a timer is due or after CHAIN_MAX: the loop's turn. */
    if (committed && self->chained < CHAIN_MAX && sf_server__next_wait_ms(self) > 0) {
        while (self->n_batch < self->batch_max && sf_server__receive_one(self))
            ;
        if (self->n_batch)
            begin_send(self);
    }
    self->chained = self->begun ? self->chained + 1 : 0;

    for (int i = 0; i < n_answering; i++) {
        pending_t *pending = &answering[i];
        /* Nothing of an uncommitted batch may be acknowledged: the client
         * retries with the same request id. */
        if (!committed)
            pending_set_result(pending, SF_UNAVAILABLE, "database unavailable; retry with the same request id");
        bool ok = pending->status == SF_OK;
        if (ok && pending->replayed)
            self->replayed++;
        sf_server__send_reply(self, &pending->identity, pending->header->request_id, pending->header->trace_id,
                   pending->status, pending->message, committed ? pending->n_violations : 0,
                   pending->violation_fields, pending->violation_descriptions, pending->replayed,
                   ok ? commit_lsn : 0, ok ? pending->reply_body : NULL, ok ? pending->reply_size : 0);
        sf_metrics_record(self->metrics, pending->header->method, pending->status,
                          (double) (sf_clock_ms() - pending->received_ms));
        if (!ok)
            sf_debug("request failed", "method", pending->header->method,
                     "request_id", pending->header->request_id,
                     "status", sf_status_name(pending->status), "reason", pending->message);
        pending_release(pending);
    }
}

