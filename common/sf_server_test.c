/* Tests of the service loop, the envelope and idempotency against the real
 * notebook daemon and a real PostgreSQL (NEEDS_POSTGRES): every kind of bad
 * input, repeats, group commit, a database that goes away, SIGKILL under load
 * and SIGTERM. */
#include "sf_client.h"
#include "sf_config.h"
#include "sf_test.h"
#include "notebook.pb-c.h"
#include "sifang/v1/envelope.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

static char *endpoint;
static char *publish;
static char log_path[512];

static sf_test_daemon_t *
start_notebook(void)
{
    char endpoint_env[128], publish_env[128];
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_NOTEBOOK_ENDPOINT=%s", endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_NOTEBOOK_PUBLISH=%s", publish);
    const char *env[] = {
        endpoint_env, publish_env,
        "SIFANG_NOTEBOOK_SCHEMA=mirror",
        "SIFANG_NOTEBOOK_DATABASE_URL=user=sifang_mirror",
        "SIFANG_MAX_MESSAGE_BYTES=65536",
        NULL,
    };
    sf_test_daemon_t *daemon = sf_test_daemon_start(NOTEBOOK_PATH, env, log_path);
    if (!SF_CHECK(daemon != NULL))
        return NULL;
    SF_CHECK(sf_test_daemon_wait_ready(daemon, 10000) == 0);
    return daemon;
}

/* Waits until the service answers Ping with its database up. */
static bool
wait_database(sf_client_t *client, int timeout_ms)
{
    int64_t until = sf_clock_ms() + timeout_ms;
    while (sf_clock_ms() < until) {
        Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
        Sifang__V1__PingReply *pong = NULL;
        if (sf_client_call(client, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                           (ProtobufCMessage **) &pong, NULL) == SF_OK) {
            bool up = pong->database_up;
            protobuf_c_message_free_unpacked(&pong->base, NULL);
            if (up)
                return true;
        }
        usleep(100 * 1000);
    }
    return false;
}

static sf_status_t
add_note(sf_client_t *client, const char *request_id, const char *key, const char *text,
         int64_t *serial, sf_reply_info_t *info)
{
    Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
    note.key = (char *) key;
    note.text = (char *) text;
    Sifang__Test__Note *stored = NULL;
    sf_status_t status = sf_client_call(client, "NoteAdd", request_id, &note.base,
                                        &sifang__test__note__descriptor, (ProtobufCMessage **) &stored, info);
    if (stored) {
        if (serial)
            *serial = stored->serial;
        protobuf_c_message_free_unpacked(&stored->base, NULL);
    }
    return status;
}

static long long
count_notes(PGconn *conn)
{
    return sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note");
}

static Sifang__V1__StatsReply *
stats(sf_client_t *client)
{
    Sifang__V1__StatsRequest request = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *reply = NULL;
    /* A failed call leaves reply NULL, which every caller checks. */
    SF_IGNORE(sf_client_call(client, "Sys.Stats", NULL, &request.base, &sifang__v1__stats_reply__descriptor,
                             (ProtobufCMessage **) &reply, NULL));
    return reply;
}

/* Sends raw frames on a fresh DEALER and returns the reply header (or NULL
 * when there was no reply within timeout_ms). */
static Sifang__V1__ReplyHeader *
raw_exchange(void *context, const void *const frames[], const size_t sizes[], int n, int timeout_ms)
{
    void *dealer = zmq_socket(context, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(dealer, endpoint);
    for (int i = 0; i < n; i++)
        zmq_send(dealer, frames[i], sizes[i], i + 1 < n ? ZMQ_SNDMORE : 0);
    Sifang__V1__ReplyHeader *header = NULL;
    zmq_pollitem_t item = { dealer, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&item, 1, timeout_ms) == 1) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        zmq_msg_recv(&frame, dealer, 0);
        header = sifang__v1__reply_header__unpack(NULL, zmq_msg_size(&frame), zmq_msg_data(&frame));
        while (zmq_msg_more(&frame)) {
            zmq_msg_close(&frame);
            zmq_msg_init(&frame);
            zmq_msg_recv(&frame, dealer, 0);
        }
        zmq_msg_close(&frame);
    }
    zmq_close(dealer);
    return header;
}

static size_t
pack_header(uint8_t *buffer, const char *method, const char *request_id)
{
    Sifang__V1__RequestHeader header = SIFANG__V1__REQUEST_HEADER__INIT;
    header.method = (char *) method;
    header.request_id = (char *) request_id;
    return sifang__v1__request_header__pack(&header, buffer);
}

static void
test_bad_envelopes(void)
{
    void *context = zmq_ctx_new();
    uint8_t header[256];
    size_t header_size = pack_header(header, "NoteGet", "raw-1");

    /* One frame only. */
    const void *one[] = { header };
    size_t one_size[] = { header_size };
    Sifang__V1__ReplyHeader *reply = raw_exchange(context, one, one_size, 1, 3000);
    if (SF_CHECK(reply != NULL)) {
        SF_CHECK_EQ_INT(reply->status, SF_INVALID_ARGUMENT);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
    /* A header that is not a protobuf message. */
    const void *garbage[] = { "\xff\xff\xff\xff\x0f", "" };
    size_t garbage_size[] = { 5, 0 };
    reply = raw_exchange(context, garbage, garbage_size, 2, 3000);
    if (SF_CHECK(reply != NULL)) {
        SF_CHECK_EQ_INT(reply->status, SF_INVALID_ARGUMENT);
        SF_CHECK(reply->n_violations == 1 && strcmp(reply->violations[0]->field, "header") == 0);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
    /* Three frames. */
    const void *three[] = { header, "", "" };
    size_t three_size[] = { header_size, 0, 0 };
    reply = raw_exchange(context, three, three_size, 3, 3000);
    if (SF_CHECK(reply != NULL)) {
        SF_CHECK_EQ_INT(reply->status, SF_INVALID_ARGUMENT);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
    /* A write without a request id. */
    header_size = pack_header(header, "NoteAdd", "");
    Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
    note.key = "no-request-id";
    uint8_t body[64];
    size_t body_size = sifang__test__note__pack(&note, body);
    const void *anonymous[] = { header, body };
    size_t anonymous_size[] = { header_size, body_size };
    reply = raw_exchange(context, anonymous, anonymous_size, 2, 3000);
    if (SF_CHECK(reply != NULL)) {
        SF_CHECK_EQ_INT(reply->status, SF_INVALID_ARGUMENT);
        SF_CHECK(reply->n_violations == 1 && strcmp(reply->violations[0]->field, "header.request_id") == 0);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
    zmq_ctx_term(context);
}

static void
test_bad_requests(sf_client_t *client, PGconn *conn)
{
    sf_reply_info_t info;
    long long before = count_notes(conn);

    SF_CHECK_EQ_INT(add_note(client, NULL, "", "no key", NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(info.n_violations == 1 && strcmp(info.violation_fields[0], "key") == 0);

    SF_CHECK_EQ_INT(sf_client_call_raw(client, "NoSuchMethod", NULL, "", 0, NULL, NULL, &info), SF_UNIMPLEMENTED);
    SF_CHECK(info.n_violations == 1 && strcmp(info.violation_fields[0], "header.method") == 0);

    SF_CHECK_EQ_INT(sf_client_call_raw(client, "NoteAdd", NULL, "\xff\xff\xff", 3, NULL, NULL, &info),
                    SF_INVALID_ARGUMENT);
    SF_CHECK(info.n_violations == 1 && strcmp(info.violation_fields[0], "body") == 0);

    size_t big = 100 * 1024;
    char *oversized = malloc(big);
    memset(oversized, 'x', big);
    SF_CHECK_EQ_INT(sf_client_call_raw(client, "NoteAdd", NULL, oversized, big, NULL, NULL, &info),
                    SF_RESOURCE_EXHAUSTED);
    free(oversized);

    Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
    note.key = "written-then-failed";
    SF_CHECK_EQ_INT(sf_client_call(client, "NoteAddThenFail", NULL, &note.base, NULL, NULL, &info),
                    SF_FAILED_PRECONDITION);

    sf_client_set_principal(client, "someone", "viewer", "");
    SF_CHECK_EQ_INT(add_note(client, NULL, "viewer-note", "", NULL, &info), SF_PERMISSION_DENIED);
    sf_client_set_principal(client, "", "", "");

    SF_CHECK_EQ_INT(count_notes(conn), before);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.event_log WHERE key = 'written-then-failed'"), 0);
}

static void
test_idempotency(sf_client_t *client, PGconn *conn)
{
    sf_reply_info_t info;
    int64_t first = 0, second = 0;
    SF_CHECK_EQ_INT(add_note(client, "once-1", "once", "first", &first, &info), SF_OK);
    SF_CHECK(!info.replayed);
    SF_CHECK_EQ_INT(add_note(client, "once-1", "once", "first", &second, &info), SF_OK);
    SF_CHECK(info.replayed);
    SF_CHECK_EQ_INT(first, second);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key = 'once'"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.event_log WHERE key = 'once'"), 1);
    /* A new request id for the same key is a second write: refused. */
    SF_CHECK_EQ_INT(add_note(client, "once-2", "once", "again", NULL, &info), SF_ALREADY_EXISTS);

    /* The same request id twice in one batch: one write, two equal replies. */
    Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
    note.key = "twice-in-a-batch";
    SF_CHECK(sf_client_send(client, "NoteAdd", "twice-1", &note.base) == 0);
    SF_CHECK(sf_client_send(client, "NoteAdd", "twice-1", &note.base) == 0);
    int ok = 0;
    for (int i = 0; i < 2; i++) {
        void *body = NULL;
        size_t size = 0;
        if (sf_client_recv(client, 5000, &body, &size, &info) == 1 && info.status == SF_OK)
            ok++;
        free(body);
    }
    SF_CHECK_EQ_INT(ok, 2);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key = 'twice-in-a-batch'"), 1);
}

/* A handler's fork (sf_call_fork) writes on a connection of its own and
 * commits there with its events (sf_call_commit): three, as one group. */
static void
test_fork(sf_client_t *client, PGconn *conn)
{
    long long head = sf_test_pg_int(conn, "SELECT seq FROM mirror.event_head");
    Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
    note.key = "elsewhere";
    note.text = "forked";
    Sifang__Test__Note *stored = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(sf_client_call(client, "NoteAddElsewhere", "fork-1", &note.base, &sifang__test__note__descriptor,
                                   (ProtobufCMessage **) &stored, &info), SF_OK);
    SF_CHECK(stored && stored->serial > 0 && strcmp(stored->text, "forked") == 0);
    if (stored)
        protobuf_c_message_free_unpacked(&stored->base, NULL);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key = 'elsewhere'"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.event_log WHERE key = 'elsewhere'"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT events FROM mirror.event_log WHERE key = 'elsewhere'"), 3);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT seq FROM mirror.event_head"), head + 3);
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head + 1;   /* inside the group */
    Sifang__V1__EventsFetchReply *page = NULL;
    SF_CHECK_EQ_INT(sf_client_call(client, "Sys.EventsFetch", NULL, &fetch.base, &sifang__v1__events_fetch_reply__descriptor,
                                   (ProtobufCMessage **) &page, NULL), SF_OK);
    if (SF_CHECK(page != NULL) && SF_CHECK_EQ_INT(page->n_events, 2)) {
        SF_CHECK_EQ_INT(page->events[0]->seq, head + 2);
        SF_CHECK_EQ_INT(page->events[1]->seq, head + 3);
        SF_CHECK_EQ_STR(page->events[1]->key, "elsewhere");
        SF_CHECK_EQ_STR(page->events[1]->request_id, "fork-1");
        SF_CHECK_EQ_STR(page->events[1]->payload_type, "sifang.test.Note");
    }
    if (page)
        protobuf_c_message_free_unpacked(&page->base, NULL);
    /* Its repeat gets the stored reply; the same key under a new request id
     * fails in the fork, which leaves nothing. */
    SF_CHECK_EQ_INT(sf_client_call(client, "NoteAddElsewhere", "fork-1", &note.base, &sifang__test__note__descriptor,
                                   NULL, &info), SF_OK);
    SF_CHECK(info.replayed);
    SF_CHECK_EQ_INT(sf_client_call(client, "NoteAddElsewhere", "fork-2", &note.base, &sifang__test__note__descriptor,
                                   NULL, &info), SF_ALREADY_EXISTS);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT seq FROM mirror.event_head"), head + 3);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key = 'elsewhere'"), 1);
}

static void
test_deadline(void)
{
    /* A request whose deadline passed before the service read it is
     * refused, not run: a write, and a read (which the read pool would
     * otherwise take; sf_server_reads_test has the deadlines of reads that
     * wait and run). */
    void *context = zmq_ctx_new();
    const char *methods[] = { "NoteAdd", "NoteGet" };
    for (size_t m = 0; m < 2; m++) {
        Sifang__V1__RequestHeader header = SIFANG__V1__REQUEST_HEADER__INIT;
        header.method = (char *) methods[m];
        header.request_id = "late-1";
        header.deadline_unix_ms = sf_now_ms() - 1000;
        uint8_t packed_header[256];
        size_t header_size = sifang__v1__request_header__pack(&header, packed_header);
        Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
        note.key = "too-late";
        uint8_t body[64];
        size_t body_size = sifang__test__note__pack(&note, body);
        const void *frames[] = { packed_header, body };
        size_t sizes[] = { header_size, body_size };
        Sifang__V1__ReplyHeader *reply = raw_exchange(context, frames, sizes, 2, 3000);
        if (SF_CHECK(reply != NULL)) {
            SF_CHECK_EQ_INT(reply->status, SF_DEADLINE_EXCEEDED);
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        }
    }
    zmq_ctx_term(context);
}

/* Batches whose events are more than one piece of the event statement
 * (SF_EVENT_PIECE_BYTES, 1 MB): sixty notes of 60 kB (the test daemon's
 * messages are at most 64 kB) sent at once go in at most three
 * transactions, so some batch carried twenty or more (1.2 MB of events and
 * up: two statements or more); every note's event is whole and the
 * sequence dense. */
static void
test_big_batch(sf_client_t *client, PGconn *conn)
{
    enum { NOTES = 60, TEXT = 60 * 1024 };
    char *text = malloc(TEXT + 1);
    if (!SF_CHECK(text != NULL))
        return;
    for (size_t i = 0; i < TEXT; i++)
        text[i] = (char) ('a' + i % 26);
    text[TEXT] = '\0';
    Sifang__V1__StatsReply *before = stats(client);
    char key[32], request_id[32];
    int sent = 0, ok = 0;
    for (int i = 0; i < NOTES; i++) {
        Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
        snprintf(key, sizeof key, "big-%d", i);
        snprintf(request_id, sizeof request_id, "big-req-%d", i);
        note.key = key;
        note.text = text;
        if (sf_client_send(client, "NoteAdd", request_id, &note.base) == 0)
            sent++;
    }
    for (int i = 0; i < sent; i++) {
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        if (sf_client_recv(client, 10000, &body, &size, &info) == 1 && info.status == SF_OK)
            ok++;
        free(body);
    }
    SF_CHECK_EQ_INT(ok, NOTES);
    Sifang__V1__StatsReply *after = stats(client);
    if (SF_CHECK(before && after))
        SF_CHECK(after->batches - before->batches <= 3);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.event_log WHERE key LIKE 'big-%'"
                                         " AND length(payload) > 60 * 1024"), NOTES);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key LIKE 'big-%'"
                                         " AND text = repeat('abcdefghijklmnopqrstuvwxyz', 2363) || 'ab'"),
                    NOTES);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT max(seq) - sum(events) FROM mirror.event_log"), 0);
    if (after)
        SF_CHECK_EQ_INT(after->event_head, sf_test_pg_int(conn, "SELECT sum(events) FROM mirror.event_log"));
    if (before)
        protobuf_c_message_free_unpacked(&before->base, NULL);
    if (after)
        protobuf_c_message_free_unpacked(&after->base, NULL);
    free(text);
}

static void
test_group_commit(sf_client_t *client, PGconn *conn)
{
    Sifang__V1__StatsReply *before = stats(client);
    /* Every 100th note repeats the key before it under a new request id:
     * the batch's fast path fails on it, falls back to one by one, and only
     * the repeats are refused. */
    const int n = 2000, repeats = n / 100;
    int ok = 0, already = 0, sent = 0, received = 0;
    char key[64], request_id[64];
    while (received < n) {
        while (sent < n && sent - received < 500) {
            Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
            snprintf(key, sizeof key, "batch-%05d", sent % 100 == 99 ? sent - 1 : sent);
            snprintf(request_id, sizeof request_id, "batch-req-%05d", sent);
            note.key = key;
            note.text = "pipelined";
            if (sf_client_send(client, "NoteAdd", request_id, &note.base) != 0)
                break;
            sent++;
        }
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        int got = sf_client_recv(client, 10000, &body, &size, &info);
        free(body);
        if (got != 1)
            break;
        received++;
        if (info.status == SF_OK)
            ok++;
        else if (info.status == SF_ALREADY_EXISTS)
            already++;
    }
    SF_CHECK_EQ_INT(ok, n - repeats);
    SF_CHECK_EQ_INT(already, repeats);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key LIKE 'batch-%'"), n - repeats);
    Sifang__V1__StatsReply *after = stats(client);
    if (SF_CHECK(before && after)) {
        int64_t batches = after->batches - before->batches;
        int64_t requests = after->batched_requests - before->batched_requests;
        printf("group commit: %lld requests in %lld transactions\n", (long long) requests, (long long) batches);
        SF_CHECK(requests >= n);
        SF_CHECK(batches < requests);
        /* Dense event sequence, one event per note (test_fork's three in
         * one row: a row's seq is the last of its events). */
        SF_CHECK_EQ_INT(after->event_head, sf_test_pg_int(conn, "SELECT sum(events) FROM mirror.event_log"));
        SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT max(seq) - sum(events) FROM mirror.event_log"), 0);
        /* The per-method counters: NoteAdd by status, with its latency
         * histogram cumulative up to the count. */
        const Sifang__V1__MethodStats *note_add = NULL;
        for (size_t i = 0; i < after->n_methods; i++)
            if (strcmp(after->methods[i]->method, "NoteAdd") == 0)
                note_add = after->methods[i];
        if (SF_CHECK(note_add != NULL)) {
            int64_t ok_count = 0, exists_count = 0;
            for (size_t i = 0; i < note_add->n_statuses; i++) {
                if (strcmp(note_add->statuses[i]->status, "OK") == 0)
                    ok_count = note_add->statuses[i]->count;
                if (strcmp(note_add->statuses[i]->status, "ALREADY_EXISTS") == 0)
                    exists_count = note_add->statuses[i]->count;
            }
            SF_CHECK(ok_count >= n - repeats);
            SF_CHECK(exists_count >= repeats);
            SF_CHECK(note_add->n_latency > 1);
            SF_CHECK_EQ_INT(note_add->latency[note_add->n_latency - 1]->count, note_add->count);
        }
    }
    if (before)
        protobuf_c_message_free_unpacked(&before->base, NULL);
    if (after)
        protobuf_c_message_free_unpacked(&after->base, NULL);
}

static void
test_database_outage(sf_client_t *client, PGconn **conn_p)
{
    SF_CHECK(sf_test_pg_run("stop") == 0);
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(add_note(client, "outage-1", "during-outage", "", NULL, &info), SF_UNAVAILABLE);
    SF_CHECK(strstr(info.message, "database") != NULL);
    Sifang__Test__NoteKey key = SIFANG__TEST__NOTE_KEY__INIT;
    key.key = "once";
    SF_CHECK_EQ_INT(sf_client_call(client, "NoteGet", NULL, &key.base, NULL, NULL, &info), SF_UNAVAILABLE);
    /* Still serving what needs no database. */
    Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
    SF_CHECK_EQ_INT(sf_client_call(client, "Sys.Ping", NULL, &ping.base, NULL, NULL, &info), SF_OK);

    SF_CHECK(sf_test_pg_run("start") == 0);
    PQfinish(*conn_p);
    *conn_p = sf_test_pg_connect();
    SF_CHECK(wait_database(client, 20000));
    /* The retry of the refused request now succeeds, once. */
    SF_CHECK_EQ_INT(add_note(client, "outage-1", "during-outage", "", NULL, &info), SF_OK);
    SF_CHECK_EQ_INT(sf_test_pg_int(*conn_p, "SELECT count(*) FROM mirror.note WHERE key = 'during-outage'"), 1);
    Sifang__V1__StatsReply *reply = stats(client);
    if (SF_CHECK(reply != NULL)) {
        SF_CHECK(reply->database_reconnects >= 1);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
}

/* SIGKILL while a pipelined load is in flight, restart, resend everything
 * with the same request ids: every acknowledged note keeps its reply, none
 * is written twice, and all end up written. */
static sf_test_daemon_t *
test_kill_under_load(sf_test_daemon_t *daemon, PGconn *conn)
{
    const int n = 1500;
    int64_t *acknowledged = calloc(n, sizeof *acknowledged);
    sf_client_t *client = sf_client_new(endpoint, NULL);
    char key[64], request_id[64];
    for (int i = 0; i < n; i++) {
        Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
        snprintf(key, sizeof key, "kill-%05d", i);
        snprintf(request_id, sizeof request_id, "kill-req-%05d", i);
        note.key = key;
        SF_CHECK(sf_client_send(client, "NoteAdd", request_id, &note.base) == 0);
    }
    int received = 0;
    while (received < n / 3) {
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        if (sf_client_recv(client, 10000, &body, &size, &info) != 1)
            break;
        received++;
        if (info.status == SF_OK) {
            Sifang__Test__Note *note = sifang__test__note__unpack(NULL, size, body);
            int index = atoi(info.request_id + strlen("kill-req-"));
            if (note && index >= 0 && index < n)
                acknowledged[index] = note->serial;
            if (note)
                protobuf_c_message_free_unpacked(&note->base, NULL);
        }
        free(body);
    }
    SF_CHECK_EQ_INT(sf_test_daemon_kill(&daemon), 128 + 9);
    sf_client_destroy(&client);

    daemon = start_notebook();
    client = sf_client_new(endpoint, NULL);
    SF_CHECK(wait_database(client, 20000));
    int same = 0, acknowledged_count = 0;
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "kill-%05d", i);
        snprintf(request_id, sizeof request_id, "kill-req-%05d", i);
        int64_t serial = 0;
        sf_reply_info_t info;
        sf_status_t status = add_note(client, request_id, key, "", &serial, &info);
        if (!SF_CHECK_EQ_INT(status, SF_OK))
            break;
        if (acknowledged[i]) {
            acknowledged_count++;
            same += serial == acknowledged[i] && info.replayed;
        }
    }
    printf("kill under load: %d acknowledged before SIGKILL, all %d replayed with their first reply\n",
           acknowledged_count, same);
    SF_CHECK(acknowledged_count > 0);
    SF_CHECK_EQ_INT(same, acknowledged_count);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key LIKE 'kill-%'"), n);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.event_log e"
                                         " WHERE key LIKE 'kill-%'"), n);
    sf_client_destroy(&client);
    free(acknowledged);
    return daemon;
}

int
main(void)
{
    if (sf_test_pg_env("server_test") != 0)
        return sf_test_done();
    char dir[256];
    sf_test_tmpdir(dir, sizeof dir);
    snprintf(log_path, sizeof log_path, "%s/notebook.log", dir);
    /* ipc: the restarted notebook comes back at the same address. */
    endpoint = sf_test_ipc_endpoint(dir, "notebook.router");
    publish = sf_test_ipc_endpoint(dir, "notebook.pub");
    PGconn *conn = sf_test_pg_connect();
    sf_test_daemon_t *daemon = start_notebook();
    sf_client_t *client = sf_client_new(endpoint, NULL);
    if (!SF_CHECK(conn && daemon && client && wait_database(client, 20000)))
        goto cleanup;

    test_bad_envelopes();
    test_bad_requests(client, conn);
    test_idempotency(client, conn);
    test_fork(client, conn);
    test_deadline();
    test_group_commit(client, conn);
    test_big_batch(client, conn);
    test_database_outage(client, &conn);
    sf_client_destroy(&client);
    daemon = test_kill_under_load(daemon, conn);
    /* SIGTERM: a clean exit. */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemon), 0);
cleanup:
    if (sf_test_failures())
        printf("daemon log: %s\n", log_path);
    else
        sf_test_rmtree(dir);
    sf_client_destroy(&client);
    if (daemon)
        sf_test_daemon_stop(&daemon);
    if (conn)
        PQfinish(conn);
    free(endpoint);
    free(publish);
    return sf_test_done();
}
