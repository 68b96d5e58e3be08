/* Idempotency of the service loop against the real notebook daemon and a
 * real PostgreSQL (NEEDS_POSTGRES). A key is (principal, request id), bound
 * to the method and body it was first used for: a repeat anywhere in a batch
 * or after the commit gets the first request's outcome and never runs; a
 * reuse for another method or body is refused, never answered with a reply
 * that is not its own. */
#include "sf_client.h"
#include "sf_config.h"
#include "sf_test.h"
#include "notebook.pb-c.h"
#include "notebook_fixture.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One request of a held batch and what came back for it. */
typedef struct {
    const char *method;
    const char *request_id;
    const char *key;
    const char *text;
    sf_status_t status;
    bool replayed;
    char *message;
    char *violation_field;
    void *body;
    size_t size;
} exchange_t;

static void
exchange_release(exchange_t *exchange)
{
    free(exchange->message);
    free(exchange->violation_field);
    free(exchange->body);
}

static int64_t
batches_so_far(sf_client_t *client)
{
    Sifang__V1__StatsRequest request = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *reply = NULL;
    int64_t batches = -1;
    if (sf_client_call(client, "Sys.Stats", NULL, &request.base, &sifang__v1__stats_reply__descriptor,
                       (ProtobufCMessage **) &reply, NULL) == SF_OK)
        batches = reply->batches;
    if (reply)
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    return batches;
}

/* Sends the exchanges in order on one DEALER while another session holds
 * the event head, so that a first write waits in its COMMIT and all of them
 * arrive meanwhile and run as the next batch, together. Collects the
 * replies, which come back in batch order. */
static bool
run_held_batch(sf_client_t *client, PGconn *holder, exchange_t *exchanges, int n)
{
    if (!SF_CHECK(sf_test_pg_exec(holder, "BEGIN") == 0)
        || !SF_CHECK(sf_test_pg_exec(holder, "SELECT seq FROM mirror.event_head FOR UPDATE") == 0))
        return false;
    Sifang__Test__Note blocker = SIFANG__TEST__NOTE__INIT;
    blocker.key = "held-blocker";
    blocker.text = "waits in its commit";
    SF_CHECK(sf_client_send(client, "NoteAdd", "held-blocker", &blocker.base) == 0);
    usleep(300 * 1000);
    for (int i = 0; i < n; i++) {
        Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
        note.key = (char *) exchanges[i].key;
        note.text = (char *) exchanges[i].text;
        SF_CHECK(sf_client_send(client, exchanges[i].method, exchanges[i].request_id, &note.base) == 0);
    }
    usleep(300 * 1000);
    SF_CHECK(sf_test_pg_exec(holder, "COMMIT") == 0);

    sf_reply_info_t info;
    void *body = NULL;
    size_t size = 0;
    if (!SF_CHECK_EQ_INT(sf_client_recv(client, 10000, &body, &size, &info), 1))
        return false;
    SF_CHECK_EQ_STR(info.request_id, "held-blocker");
    free(body);
    for (int i = 0; i < n; i++) {
        body = NULL;
        if (!SF_CHECK_EQ_INT(sf_client_recv(client, 10000, &body, &size, &info), 1))
            return false;
        exchange_t *exchange = &exchanges[i];
        SF_CHECK_EQ_STR(info.request_id, exchange->request_id);
        exchange->status = info.status;
        exchange->replayed = info.replayed;
        exchange->message = strdup(info.message ? info.message : "");
        exchange->violation_field = strdup(info.n_violations ? info.violation_fields[0] : "");
        exchange->body = body;
        exchange->size = size;
    }
    return true;
}

static bool
same_reply(const exchange_t *a, const exchange_t *b)
{
    return a->size == b->size && a->size > 0 && memcmp(a->body, b->body, a->size) == 0;
}

/* The report's case: CaseSubmit R, a write that fails, CaseSubmit S, then R
 * again (a client's timeout retry), all in one batch; here with notes, on
 * the same path every batched method takes. */
static void
test_repeats_in_one_batch(sf_client_t *client, PGconn *conn, PGconn *holder)
{
    const char *const sent[][4] = {
        { "NoteAdd", "held-r", "held-r", "first" },
        { "NoteAddThenFail", "held-f", "held-f", "fails" },
        { "NoteAdd", "held-s", "held-s", "second" },
        { "NoteAdd", "held-r", "held-r", "first" },           /* the retry of R */
        { "NoteAddThenFail", "held-f", "held-f", "fails" },   /* the retry of a failure */
        { "NoteAdd", "held-r", "held-other", "not R" },       /* R's id, another body */
        { "NoteAddElsewhere", "held-s", "held-s", "second" }, /* S's id, another method */
        { "NoteAdd", "held-t", "held-t", "third" },
    };
    enum { n = sizeof sent / sizeof sent[0] };
    exchange_t exchanges[n];
    memset(exchanges, 0, sizeof exchanges);
    for (int i = 0; i < n; i++) {
        exchanges[i].method = sent[i][0];
        exchanges[i].request_id = sent[i][1];
        exchanges[i].key = sent[i][2];
        exchanges[i].text = sent[i][3];
    }
    int64_t batches = batches_so_far(client);
    if (!run_held_batch(client, holder, exchanges, n))
        goto cleanup;
    /* The blocker's batch and one more: all of them ran together. */
    SF_CHECK_EQ_INT(batches_so_far(client), batches + 2);

    exchange_t *r = &exchanges[0], *f = &exchanges[1], *s = &exchanges[2], *r_again = &exchanges[3],
               *f_again = &exchanges[4], *r_other = &exchanges[5], *s_other = &exchanges[6], *t = &exchanges[7];
    SF_CHECK_EQ_INT(r->status, SF_OK);
    SF_CHECK(!r->replayed);
    SF_CHECK_EQ_INT(s->status, SF_OK);
    SF_CHECK(!s->replayed);
    SF_CHECK_EQ_INT(t->status, SF_OK);
    SF_CHECK_EQ_INT(r_again->status, SF_OK);
    SF_CHECK(r_again->replayed);
    SF_CHECK(same_reply(r, r_again));
    SF_CHECK_EQ_INT(f->status, SF_FAILED_PRECONDITION);
    SF_CHECK_EQ_INT(f_again->status, f->status);
    SF_CHECK_EQ_STR(f_again->message, f->message);
    SF_CHECK_EQ_INT(r_other->status, SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_STR(r_other->violation_field, "header.request_id");
    SF_CHECK(strstr(r_other->message, "already used for another NoteAdd") != NULL);
    SF_CHECK_EQ_INT(s_other->status, SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_STR(s_other->violation_field, "header.request_id");
    SF_CHECK(strstr(s_other->message, "already used for NoteAdd") != NULL);

    /* By SQL: one note and one event for each request that ran, nothing for
     * the refused reuses, one stored reply per key, bound to its method. */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key = 'held-r'"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.event_log WHERE key = 'held-r'"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key = 'held-s'"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.event_log WHERE key = 'held-s'"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key IN ('held-f', 'held-other')"), 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key = 'held-t'"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.request_log"
                                         " WHERE request_id IN ('held-r', 'held-s') AND method = 'NoteAdd'"
                                         "   AND length(request_digest) = 32"), 2);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.request_log WHERE request_id = 'held-f'"), 0);
cleanup:
    for (int i = 0; i < n; i++)
        exchange_release(&exchanges[i]);
}

static sf_status_t
call(sf_client_t *client, const char *method, const char *request_id, const char *key, const char *text,
     int64_t *serial, sf_reply_info_t *info)
{
    Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
    note.key = (char *) key;
    note.text = (char *) text;
    Sifang__Test__Note *stored = NULL;
    sf_status_t status = sf_client_call(client, method, request_id, &note.base, &sifang__test__note__descriptor,
                                        (ProtobufCMessage **) &stored, info);
    if (stored) {
        if (serial)
            *serial = stored->serial;
        protobuf_c_message_free_unpacked(&stored->base, NULL);
    }
    return status;
}

/* The report's second case: an id reused by a different method, or with a
 * different body, after the first was committed. */
static void
test_reuse_after_commit(sf_client_t *client, PGconn *conn)
{
    sf_reply_info_t info;
    int64_t first = 0, again = 0;
    SF_CHECK_EQ_INT(call(client, "NoteAdd", "reused-1", "reused", "the first", &first, &info), SF_OK);
    SF_CHECK_EQ_INT(call(client, "NoteAddElsewhere", "reused-1", "reused-elsewhere", "", NULL, &info),
                    SF_INVALID_ARGUMENT);
    SF_CHECK(!info.replayed);
    SF_CHECK(info.n_violations == 1 && strcmp(info.violation_fields[0], "header.request_id") == 0);
    SF_CHECK(info.message && strstr(info.message, "already used for NoteAdd") != NULL);
    SF_CHECK_EQ_INT(call(client, "NoteAdd", "reused-1", "reused", "another text", NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(info.message && strstr(info.message, "already used for another NoteAdd") != NULL);
    SF_CHECK_EQ_INT(call(client, "NoteAdd", "reused-1", "reused", "the first", &again, &info), SF_OK);
    SF_CHECK(info.replayed);
    SF_CHECK_EQ_INT(again, first);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key LIKE 'reused%'"), 1);

    /* A reply stored before keys were bound to a body has no digest: it is
     * bound by its method alone. */
    SF_CHECK(sf_test_pg_exec(conn, "UPDATE mirror.request_log SET request_digest = NULL"
                                   " WHERE request_id = 'reused-1'") == 0);
    SF_CHECK_EQ_INT(call(client, "NoteAdd", "reused-1", "reused", "any text", &again, &info), SF_OK);
    SF_CHECK(info.replayed);
    SF_CHECK_EQ_INT(again, first);
    SF_CHECK_EQ_INT(call(client, "NoteAddElsewhere", "reused-1", "reused", "the first", NULL, &info),
                    SF_INVALID_ARGUMENT);

    /* The key is per principal: another principal's same id is its own. */
    sf_client_set_principal(client, "clerk-a", "community", "");
    SF_CHECK_EQ_INT(call(client, "NoteAdd", "shared-id", "of-clerk-a", "", NULL, &info), SF_OK);
    sf_client_set_principal(client, "clerk-b", "community", "");
    SF_CHECK_EQ_INT(call(client, "NoteAdd", "shared-id", "of-clerk-b", "", NULL, &info), SF_OK);
    SF_CHECK(!info.replayed);
    sf_client_set_principal(client, "", "", "");
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key LIKE 'of-clerk-%'"), 2);
}

int
main(void)
{
    if (sf_test_pg_env("idempotency_test") != 0)
        return sf_test_done();
    notebook_fixture_t notebook = { .client = NULL };   /* finish is safe on one never started */
    PGconn *conn = sf_test_pg_connect();
    PGconn *holder = sf_test_pg_connect();
    if (SF_CHECK(conn && holder) && notebook_fixture_start(&notebook, NOTEBOOK_PATH, NULL)) {
        test_repeats_in_one_batch(notebook.client, conn, holder);
        test_reuse_after_commit(notebook.client, conn);
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&notebook.daemon), 0);
    }
    notebook_fixture_finish(&notebook);
    if (holder)
        PQfinish(holder);
    if (conn)
        PQfinish(conn);
    return sf_test_done();
}
