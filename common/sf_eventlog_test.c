/* Tests of the event log against a real PostgreSQL (NEEDS_POSTGRES): a slow
 * transaction's event is never passed over by a reader, sequences are dense
 * and in commit order, and fetch pages correctly. */
#include "sf_config.h"
#include "sf_eventlog.h"
#include "sf_migrate.h"
#include "sf_test.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sf_db_t *
connect_log(void)
{
    sf_db_t *db = sf_db_new("user=sifang_mirror", "mirror");
    return db && sf_db_connect(db) ? db : NULL;
}

static int64_t
append_one(sf_db_t *db, const char *key)
{
    sf_event_draft_t draft = { .type = "test.appended", .key = key, .payload_type = "none",
                               .payload = (const uint8_t *) key, .payload_size = strlen(key),
                               .actor = "tester", .request_id = key, .occurred_unix_ms = sf_now_ms() };
    return sf_eventlog_append(db, &draft, 1);
}

static int64_t fast_seq;

/* A second writer that starts while the slow one holds its transaction. */
static void *
fast_writer(void *arg)
{
    (void) arg;
    sf_db_t *db = connect_log();
    SF_CHECK(sf_db_begin(db));
    fast_seq = append_one(db, "fast");
    SF_CHECK(sf_db_commit(db));
    sf_db_destroy(&db);
    return NULL;
}

int
main(void)
{
    if (sf_test_pg_env("eventlog_test") != 0)
        return sf_test_done();
    sf_db_t *slow = connect_log(), *reader = connect_log();
    char error[256];
    if (!SF_CHECK(slow && reader)
        || !SF_CHECK(sf_migrate(slow, "mirror", "common", sf_common_migrations, error, sizeof error) == 0))
        return sf_test_done();

    /* The slow transaction appends first and commits last. */
    SF_CHECK(sf_db_begin(slow));
    int64_t slow_seq = append_one(slow, "slow");
    SF_CHECK_EQ_INT(slow_seq, 1);
    pthread_t thread;
    pthread_create(&thread, NULL, fast_writer, NULL);
    /* While it is open, a reader sees nothing at all: not the fast writer's
     * event either, which waits for the head row. */
    for (int i = 0; i < 10; i++) {
        Sifang__V1__EventsFetchReply page = SIFANG__V1__EVENTS_FETCH_REPLY__INIT;
        SF_CHECK(sf_eventlog_fetch(reader, "test", 0, 100, &page) == 0);
        SF_CHECK_EQ_INT(page.n_events, 0);
        SF_CHECK_EQ_INT(page.head, 0);
        sf_eventlog_release_fetch(&page);
        usleep(30 * 1000);
    }
    SF_CHECK(sf_db_commit(slow));
    pthread_join(thread, NULL);
    SF_CHECK_EQ_INT(fast_seq, 2);

    Sifang__V1__EventsFetchReply page = SIFANG__V1__EVENTS_FETCH_REPLY__INIT;
    SF_CHECK(sf_eventlog_fetch(reader, "test", 0, 100, &page) == 0);
    if (SF_CHECK_EQ_INT(page.n_events, 2)) {
        SF_CHECK_EQ_STR(page.events[0]->key, "slow");
        SF_CHECK_EQ_INT(page.events[0]->seq, 1);
        SF_CHECK_EQ_STR(page.events[1]->key, "fast");
        SF_CHECK_EQ_INT(page.events[1]->seq, 2);
        SF_CHECK_EQ_INT(page.events[0]->payload.len, 4);
        SF_CHECK_EQ_STR(page.events[0]->source, "test");
    }
    SF_CHECK_EQ_INT(page.head, 2);
    sf_eventlog_release_fetch(&page);

    /* A rolled-back append leaves no hole. */
    SF_CHECK(sf_db_begin(slow));
    SF_CHECK_EQ_INT(append_one(slow, "rolled-back"), 3);
    sf_db_rollback(slow);

    /* A batch: dense and in order, with paging. */
    sf_event_draft_t drafts[250];
    char keys[250][16];
    for (int i = 0; i < 250; i++) {
        snprintf(keys[i], sizeof keys[i], "k%03d", i);
        drafts[i] = (sf_event_draft_t) { .type = "test.batch", .key = keys[i], .payload_type = "none",
                                         .payload = (const uint8_t *) "\0\x01\"\\{}", .payload_size = 6,
                                         .occurred_unix_ms = sf_now_ms() };
    }
    SF_CHECK(sf_db_begin(slow));
    SF_CHECK_EQ_INT(sf_eventlog_append(slow, drafts, 250), 252);
    SF_CHECK(sf_db_commit(slow));
    int64_t after = 0, seen = 0;
    for (;;) {
        Sifang__V1__EventsFetchReply next = SIFANG__V1__EVENTS_FETCH_REPLY__INIT;
        SF_CHECK(sf_eventlog_fetch(reader, "test", after, 100, &next) == 0);
        for (size_t i = 0; i < next.n_events; i++) {
            SF_CHECK_EQ_INT(next.events[i]->seq, after + 1);
            after = next.events[i]->seq;
            seen++;
            if (after > 2)
                SF_CHECK(next.events[i]->payload.len == 6
                         && memcmp(next.events[i]->payload.data, "\0\x01\"\\{}", 6) == 0);
        }
        size_t n = next.n_events;
        sf_eventlog_release_fetch(&next);
        if (n == 0)
            break;
    }
    SF_CHECK_EQ_INT(seen, 252);
    SF_CHECK_EQ_INT(sf_eventlog_head(reader), 252);

    /* The service loop's commit: events and COMMIT in one pipeline. */
    sf_event_batch_t batch;
    sf_event_draft_t piped = { .type = "test.piped", .key = "piped", .payload_type = "x",
                               .payload = (const uint8_t *) "p", .payload_size = 1 };
    SF_CHECK(sf_event_batch_init(&batch, &piped, 1));
    SF_CHECK_EQ_INT(batch.n, 1);
    sf_db_step_t steps[3] = { { "BEGIN", NULL }, { sf_event_batch_sql, sf_event_batch_last(&batch) },
                              { "COMMIT", NULL } };
    PGresult *results[3];
    SF_CHECK(sf_db_pipeline(slow, steps, 3, results));
    SF_CHECK_EQ_INT(sf_event_batch_head(results[1]), 253);
    SF_CHECK_EQ_STR(PQcmdStatus(results[2]), "COMMIT");
    for (int i = 0; i < 3; i++)
        PQclear(results[i]);
    sf_event_batch_release(&batch);
    SF_CHECK_EQ_INT(sf_eventlog_head(reader), 253);
    /* A failed step: the later ones do not run, the transaction is left
     * aborted for the caller, and the connection serves on. */
    sf_db_step_t failing[3] = { { "BEGIN", NULL }, { "SELECT 1 / 0", NULL }, { "COMMIT", NULL } };
    SF_CHECK(!sf_db_pipeline(slow, failing, 3, results));
    SF_CHECK(results[0] && sf_db_result_ok(results[0]));
    SF_CHECK(results[1] && sf_db_status(results[1]) == SF_INVALID_ARGUMENT);
    SF_CHECK(results[2] == NULL);
    for (int i = 0; i < 3; i++)
        PQclear(results[i]);
    SF_CHECK(PQtransactionStatus(sf_db_conn(slow)) == PQTRANS_INERROR);
    sf_db_rollback(slow);
    SF_CHECK_EQ_INT(sf_eventlog_head(slow), 253);

    /* An outbox: messages packed as they are added, appended with the
     * appender's actor, and its request id where an event brings none. */
    sf_outbox_t outbox = { 0 };
    SF_CHECK(sf_db_begin(slow));
    SF_CHECK_EQ_INT(sf_outbox_append(&outbox, slow, "tester", "req-1"), 253);   /* empty: the head */
    Sifang__V1__EventsFetchRequest message = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    message.after = 41;
    message.limit = 7;
    for (int i = 0; i < 20; i++)   /* past the first room */
        sf_outbox_add(&outbox, "test.outbox", i ? "later" : "first", i ? NULL : "source#9", &message.base);
    /* Events of work rolled back to a savepoint go with it: never appended. */
    for (int i = 0; i < 3; i++)
        sf_outbox_add(&outbox, "test.undone", "undone", NULL, &message.base);
    sf_outbox_truncate(&outbox, 20);
    SF_CHECK_EQ_INT(outbox.n, 20);
    SF_CHECK_EQ_INT(sf_outbox_append(&outbox, slow, "tester", "req-1"), 273);
    SF_CHECK_EQ_INT(outbox.n, 0);
    SF_CHECK(sf_db_commit(slow));
    Sifang__V1__EventsFetchReply added = SIFANG__V1__EVENTS_FETCH_REPLY__INIT;
    SF_CHECK(sf_eventlog_fetch(reader, "test", 253, 100, &added) == 0);
    if (SF_CHECK_EQ_INT(added.n_events, 20)) {
        SF_CHECK_EQ_STR(added.events[0]->request_id, "source#9");
        SF_CHECK_EQ_STR(added.events[0]->key, "first");
        SF_CHECK_EQ_STR(added.events[19]->request_id, "req-1");
        SF_CHECK_EQ_STR(added.events[19]->actor, "tester");
        SF_CHECK_EQ_STR(added.events[19]->payload_type, "sifang.v1.EventsFetchRequest");
        Sifang__V1__EventsFetchRequest *decoded = sifang__v1__events_fetch_request__unpack(
            NULL, added.events[19]->payload.len, added.events[19]->payload.data);
        SF_CHECK(decoded && decoded->after == 41 && decoded->limit == 7);
        sifang__v1__events_fetch_request__free_unpacked(decoded, NULL);
    }
    sf_eventlog_release_fetch(&added);

    /* Groups: 600 events of one type (the cap splits them 256, 256, 88),
     * one of another type, then 3 of the first again, in four rows and a
     * single one. A reader sees 604 events with dense sequence numbers from
     * any cursor, inside a group too, and whatever the page size. */
    SF_CHECK(sf_db_begin(slow));
    for (int i = 0; i < 604; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        message.after = i;
        sf_outbox_add(&outbox, i == 600 ? "test.other" : "test.grouped", key, NULL, &message.base);
    }
    sf_outbox_group(&outbox, 0);
    SF_CHECK_EQ_INT(outbox.n, 5);
    SF_CHECK_EQ_INT(outbox.events[0].events, 256);
    SF_CHECK_EQ_INT(outbox.events[2].events, 88);
    SF_CHECK(outbox.events[3].events <= 1);
    SF_CHECK_EQ_INT(outbox.events[4].events, 3);
    SF_CHECK_EQ_INT(sf_outbox_append(&outbox, slow, "grouper", "req-2"), 273 + 604);
    SF_CHECK(sf_db_commit(slow));
    SF_CHECK_EQ_INT(sf_test_pg_int(sf_db_conn(reader), "SELECT count(*) FROM event_log WHERE seq > 273"), 5);
    static const int pages[] = { 1000, 100, 7, 256, 1 };
    for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
        int64_t after = 273 + (p == 2 ? 300 : 0);   /* one cursor inside a group */
        int seen = 0, wrong = 0;
        for (;;) {
            Sifang__V1__EventsFetchReply page = SIFANG__V1__EVENTS_FETCH_REPLY__INIT;
            if (!SF_CHECK(sf_eventlog_fetch(reader, "test", after, pages[p], &page) == 0))
                break;
            size_t n = page.n_events;
            for (size_t e = 0; e < n; e++) {
                const Sifang__V1__Event *event = page.events[e];
                int i = (int) (event->seq - 274);
                char key[16];
                snprintf(key, sizeof key, "k%d", i);
                Sifang__V1__EventsFetchRequest *decoded = sifang__v1__events_fetch_request__unpack(
                    NULL, event->payload.len, event->payload.data);
                if (event->seq != after + 1 || strcmp(event->key, key) != 0 || !decoded || decoded->after != i
                    || strcmp(event->type, i == 600 ? "test.other" : "test.grouped") != 0
                    || strcmp(event->request_id, "req-2") != 0 || strcmp(event->actor, "grouper") != 0)
                    wrong++;
                if (decoded)
                    sifang__v1__events_fetch_request__free_unpacked(decoded, NULL);
                after = event->seq;
                seen++;
            }
            SF_CHECK(n <= (size_t) pages[p]);
            sf_eventlog_release_fetch(&page);
            if (n == 0)
                break;
        }
        SF_CHECK_EQ_INT(seen, p == 2 ? 304 : 604);
        SF_CHECK_EQ_INT(wrong, 0);
    }

    /* A batch bigger than a piece (SF_EVENT_PIECE_BYTES): five events of
     * 400 kB go as three statements (two, two, one) in one transaction,
     * numbered on from piece to piece; then the same again the service
     * loop's way, the last piece in the pipeline with COMMIT. Each event
     * reads back whole, in order, with dense sequence numbers. */
    enum { BIG = 5, BIG_SIZE = 400 * 1024 };
    uint8_t *big = malloc((size_t) BIG * BIG_SIZE);
    SF_CHECK(big != NULL);
    sf_event_draft_t bigs[BIG];
    for (int i = 0; i < BIG; i++) {
        for (size_t b = 0; b < BIG_SIZE; b++)
            big[(size_t) i * BIG_SIZE + b] = (uint8_t) ((b * 31 + (size_t) i * 7) % 251);
        bigs[i] = (sf_event_draft_t) { .type = "test.big", .key = "big", .payload_type = "x",
                                       .payload = big + (size_t) i * BIG_SIZE, .payload_size = BIG_SIZE,
                                       .occurred_unix_ms = sf_now_ms() };
    }
    sf_event_batch_t pieces;
    SF_CHECK(sf_event_batch_init(&pieces, bigs, BIG));
    SF_CHECK_EQ_INT(pieces.n, 3);
    sf_event_batch_release(&pieces);
    SF_CHECK(sf_db_begin(slow));
    SF_CHECK_EQ_INT(sf_eventlog_append(slow, bigs, BIG), 877 + BIG);
    SF_CHECK(sf_db_commit(slow));
    SF_CHECK(sf_event_batch_init(&pieces, bigs, BIG));
    sf_db_step_t last[2] = { { sf_event_batch_sql, sf_event_batch_last(&pieces) }, { "COMMIT", NULL } };
    SF_CHECK(sf_db_begin(slow));
    SF_CHECK(sf_event_batch_run_leading(slow, &pieces));
    SF_CHECK(sf_db_pipeline(slow, last, 2, results));
    SF_CHECK_EQ_INT(sf_event_batch_head(results[0]), 877 + 2 * BIG);
    SF_CHECK_EQ_STR(PQcmdStatus(results[1]), "COMMIT");
    PQclear(results[0]);
    PQclear(results[1]);
    sf_event_batch_release(&pieces);
    SF_CHECK_EQ_INT(sf_test_pg_int(sf_db_conn(reader), "SELECT count(*) FROM event_log WHERE type = 'test.big'"),
                    2 * BIG);
    int64_t big_after = 877;
    int big_seen = 0, big_wrong = 0;
    for (;;) {
        Sifang__V1__EventsFetchReply page = SIFANG__V1__EVENTS_FETCH_REPLY__INIT;
        if (!SF_CHECK(sf_eventlog_fetch(reader, "test", big_after, 3, &page) == 0))
            break;
        size_t n = page.n_events;
        for (size_t e = 0; e < n; e++) {
            const Sifang__V1__Event *event = page.events[e];
            int i = big_seen % BIG;
            if (event->seq != big_after + 1 || strcmp(event->type, "test.big") != 0
                || event->payload.len != BIG_SIZE
                || memcmp(event->payload.data, big + (size_t) i * BIG_SIZE, BIG_SIZE) != 0)
                big_wrong++;
            big_after = event->seq;
            big_seen++;
        }
        sf_eventlog_release_fetch(&page);
        if (n == 0)
            break;
    }
    SF_CHECK_EQ_INT(big_seen, 2 * BIG);
    SF_CHECK_EQ_INT(big_wrong, 0);
    SF_CHECK_EQ_INT(sf_eventlog_head(reader), 877 + 2 * BIG);
    free(big);

    sf_outbox_add(&outbox, "test.outbox", "dropped", NULL, &message.base);
    sf_outbox_release(&outbox);   /* never appended: freed (ASan's leak check) */
    SF_CHECK(outbox.n == 0 && outbox.events == NULL);
    SF_CHECK(sf_db_is_up(slow));
    sf_db_destroy(&slow);
    sf_db_destroy(&reader);
    return sf_test_done();
}
