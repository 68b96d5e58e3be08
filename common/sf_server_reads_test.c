/* The read pool against the real notebook daemon and PostgreSQL
 * (NEEDS_POSTGRES): a slow read delays neither a write nor other reads,
 * reads run side by side, a deadline cancels the query on the server (or
 * answers a read that waited too long without running it), and Sys.Stats
 * reports the pool. */
#include "notebook_fixture.h"
#include "sf_config.h"
#include "notebook.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_THREADS 3

static sf_client_t *
client_of(const notebook_fixture_t *notebook)
{
    sf_client_t *client = sf_client_new(notebook->endpoint, NULL);
    SF_CHECK(client != NULL);
    return client;
}

/* Sends NoteCountAll, sleeping ms in the database, without waiting. */
static bool
send_slow_read(sf_client_t *client, const char *request_id, int ms)
{
    Sifang__Test__Pause pause = SIFANG__TEST__PAUSE__INIT;
    pause.ms = ms;
    pause.in_database = true;
    return sf_client_send(client, "NoteCountAll", request_id, &pause.base) == 0;
}

/* Waits for the next reply on client; its status (-1: none in timeout_ms),
 * request id into id. */
static int
receive(sf_client_t *client, int timeout_ms, char *id, size_t id_size)
{
    void *body = NULL;
    size_t size = 0;
    sf_reply_info_t info;
    int got = sf_client_recv(client, timeout_ms, &body, &size, &info);
    free(body);
    if (got != 1)
        return -1;
    if (id)
        snprintf(id, id_size, "%s", info.request_id);
    return (int) info.status;
}

static int64_t
timed_write(sf_client_t *client, const char *request_id, const char *key)
{
    Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
    note.key = (char *) key;
    note.text = "beside a slow read";
    int64_t started = sf_clock_ms();
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(sf_client_call(client, "NoteAdd", request_id, &note.base, NULL, NULL, &info), SF_OK);
    return sf_clock_ms() - started;
}

static Sifang__V1__StatsReply *
stats(sf_client_t *client)
{
    Sifang__V1__StatsRequest request = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *reply = NULL;
    SF_IGNORE(sf_client_call(client, "Sys.Stats", NULL, &request.base, &sifang__v1__stats_reply__descriptor,
                             (ProtobufCMessage **) &reply, NULL));
    SF_CHECK(reply != NULL && reply->read_pool != NULL);
    return reply;
}

/* A write's latency with a 2 s read in flight stays what it is alone. */
static void
test_write_beside_slow_read(const notebook_fixture_t *notebook, PGconn *conn)
{
    sf_client_t *reader = client_of(notebook), *writer = client_of(notebook);
    int64_t alone = timed_write(writer, "alone-1", "alone");
    int64_t started = sf_clock_ms();
    SF_CHECK(send_slow_read(reader, "slow-2s", 2000));
    usleep(100 * 1000);    /* the read is running */
    int64_t beside = 0;
    char request_id[32], key[32];
    for (int i = 0; i < 5; i++) {
        snprintf(request_id, sizeof request_id, "beside-%d", i);
        snprintf(key, sizeof key, "beside-%d", i);
        int64_t took = timed_write(writer, request_id, key);
        if (took > beside)
            beside = took;
    }
    int64_t writes_done = sf_clock_ms() - started;
    char id[64] = "";
    SF_CHECK_EQ_INT(receive(reader, 5000, id, sizeof id), SF_OK);
    SF_CHECK_EQ_STR(id, "slow-2s");
    int64_t read_took = sf_clock_ms() - started;
    printf("write alone %lld ms; slowest of 5 beside a 2 s read %lld ms (all 5 done at %lld ms, the read at %lld ms)\n",
           (long long) alone, (long long) beside, (long long) writes_done, (long long) read_took);
    /* Without the pool each write waited for the read: 2 s. */
    SF_CHECK(beside < 500);
    SF_CHECK(writes_done < 1000);
    SF_CHECK(read_took >= 2000);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key LIKE 'beside-%'"), 5);
    sf_client_destroy(&reader);
    sf_client_destroy(&writer);
}

/* As many slow reads as threads finish in about the time of one. */
static void
test_reads_side_by_side(const notebook_fixture_t *notebook)
{
    sf_client_t *client = client_of(notebook);
    int64_t started = sf_clock_ms();
    char request_id[32];
    for (int i = 0; i < READ_THREADS; i++) {
        snprintf(request_id, sizeof request_id, "parallel-%d", i);
        SF_CHECK(send_slow_read(client, request_id, 600));
    }
    int ok = 0;
    for (int i = 0; i < READ_THREADS; i++)
        ok += receive(client, 5000, NULL, 0) == SF_OK;
    int64_t took = sf_clock_ms() - started;
    printf("%d reads of 600 ms side by side: %lld ms\n", READ_THREADS, (long long) took);
    SF_CHECK_EQ_INT(ok, READ_THREADS);
    SF_CHECK(took >= 600);
    SF_CHECK(took < 600 * 2);    /* one after another: 1800 ms */
    sf_client_destroy(&client);
}

/* Stats while the pool is full: every thread busy, the rest queued, the
 * waits counted; then idle again. */
static void
test_stats(const notebook_fixture_t *notebook)
{
    sf_client_t *client = client_of(notebook), *observer = client_of(notebook);
    Sifang__V1__StatsReply *before = stats(observer);
    char request_id[32];
    for (int i = 0; i < READ_THREADS + 2; i++) {
        snprintf(request_id, sizeof request_id, "full-%d", i);
        SF_CHECK(send_slow_read(client, request_id, 700));
    }
    usleep(250 * 1000);
    Sifang__V1__StatsReply *during = stats(observer);
    int ok = 0;
    for (int i = 0; i < READ_THREADS + 2; i++)
        ok += receive(client, 5000, NULL, 0) == SF_OK;
    SF_CHECK_EQ_INT(ok, READ_THREADS + 2);
    Sifang__V1__StatsReply *after = stats(observer);
    if (before && before->read_pool && during && during->read_pool && after && after->read_pool) {
        printf("pool: threads %d, busy %d, queued %d, waits %lld -> %lld, served %lld -> %lld\n",
               during->read_pool->threads, during->read_pool->busy, during->read_pool->queued,
               (long long) before->read_pool->waits, (long long) after->read_pool->waits,
               (long long) before->read_pool->served, (long long) after->read_pool->served);
        SF_CHECK_EQ_INT(during->read_pool->threads, READ_THREADS);
        SF_CHECK_EQ_INT(during->read_pool->busy, READ_THREADS);
        SF_CHECK_EQ_INT(during->read_pool->queued, 2);
        SF_CHECK_EQ_INT(after->read_pool->waits - before->read_pool->waits, 2);
        SF_CHECK_EQ_INT(after->read_pool->served - before->read_pool->served, READ_THREADS + 2);
        SF_CHECK_EQ_INT(after->read_pool->busy, 0);
        SF_CHECK_EQ_INT(after->read_pool->queued, 0);
    }
    Sifang__V1__StatsReply *replies[] = { before, during, after };
    for (size_t i = 0; i < 3; i++)
        if (replies[i])
            protobuf_c_message_free_unpacked(&replies[i]->base, NULL);
    sf_client_destroy(&client);
    sf_client_destroy(&observer);
}

/* Whether a pg_sleep of the notebook's role still runs on the server. */
static long long
sleeping_queries(PGconn *conn)
{
    return sf_test_pg_int(conn, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'sifang_mirror'"
                                " AND state = 'active' AND query LIKE '%pg_sleep%'");
}

/* A read past its deadline is cancelled on the server and answered
 * DEADLINE_EXCEEDED about when the deadline passes; one whose deadline
 * passes while it waits for a worker is answered without running. */
static void
test_deadlines(const notebook_fixture_t *notebook, PGconn *conn)
{
    sf_client_t *client = client_of(notebook), *observer = client_of(notebook);
    Sifang__V1__StatsReply *before = stats(observer);

    sf_client_set_deadline(client, 300);
    int64_t started = sf_clock_ms();
    SF_CHECK(send_slow_read(client, "cancel-me", 5000));
    usleep(150 * 1000);
    SF_CHECK_EQ_INT(sleeping_queries(conn), 1);
    sf_client_set_deadline(client, 0);
    sf_reply_info_t info;
    void *body = NULL;
    size_t size = 0;
    SF_CHECK_EQ_INT(sf_client_recv(client, 5000, &body, &size, &info), 1);
    free(body);
    int64_t took = sf_clock_ms() - started;
    SF_CHECK_EQ_INT(info.status, SF_DEADLINE_EXCEEDED);
    SF_CHECK(strstr(info.message, "cancelled on the database") != NULL);
    printf("a 5 s query with a 300 ms deadline: DEADLINE_EXCEEDED after %lld ms\n", (long long) took);
    SF_CHECK(took >= 300 && took < 1500);
    /* Gone from the server, not left running. */
    SF_CHECK_EQ_INT(sleeping_queries(conn), 0);

    /* A read whose statement starts late (after 200 ms in the handler): its
     * statement_timeout, set at the start, would end it only at 500 ms;
     * the watchdog cancels it at the deadline. */
    Sifang__Test__Pause late_start = SIFANG__TEST__PAUSE__INIT;
    late_start.ms = 200;
    late_start.then_database_ms = 5000;
    Sifang__V1__StatsReply *before_late = stats(observer);
    sf_client_set_deadline(client, 300);
    started = sf_clock_ms();
    SF_CHECK(sf_client_send(client, "NoteCountAll", "cancel-late", &late_start.base) == 0);
    sf_client_set_deadline(client, 0);
    body = NULL;
    SF_CHECK_EQ_INT(sf_client_recv(client, 5000, &body, &size, &info), 1);
    free(body);
    took = sf_clock_ms() - started;
    SF_CHECK_EQ_INT(info.status, SF_DEADLINE_EXCEEDED);
    printf("a read whose 5 s statement starts 200 ms in, with a 300 ms deadline: DEADLINE_EXCEEDED after %lld ms\n",
           (long long) took);
    SF_CHECK(took >= 300 && took < 1500);
    SF_CHECK_EQ_INT(sleeping_queries(conn), 0);
    /* The watchdog's cancel is counted; the server's statement_timeout
     * (which would have come at 500 ms) is not. */
    Sifang__V1__StatsReply *after_late = stats(observer);
    if (before_late && before_late->read_pool && after_late && after_late->read_pool)
        SF_CHECK_EQ_INT(after_late->read_pool->cancelled - before_late->read_pool->cancelled, 1);
    if (before_late)
        protobuf_c_message_free_unpacked(&before_late->base, NULL);
    if (after_late)
        protobuf_c_message_free_unpacked(&after_late->base, NULL);

    /* Every thread busy: a read with 200 ms to live waits, and is answered
     * at its turn without running. */
    char request_id[32];
    for (int i = 0; i < READ_THREADS; i++) {
        snprintf(request_id, sizeof request_id, "hold-%d", i);
        SF_CHECK(send_slow_read(client, request_id, 800));
    }
    usleep(100 * 1000);
    sf_client_set_deadline(client, 200);
    Sifang__Test__NoteKey key = SIFANG__TEST__NOTE_KEY__INIT;
    key.key = "alone";
    SF_CHECK(sf_client_send(client, "NoteGet", "queued-too-long", &key.base) == 0);
    sf_client_set_deadline(client, 0);
    int late = -1;
    for (int i = 0; i < READ_THREADS + 1; i++) {
        char id[64] = "";
        int status = receive(client, 5000, id, sizeof id);
        if (strcmp(id, "queued-too-long") == 0)
            late = status;
        else
            SF_CHECK_EQ_INT(status, SF_OK);
    }
    SF_CHECK_EQ_INT(late, SF_DEADLINE_EXCEEDED);

    Sifang__V1__StatsReply *after = stats(observer);
    if (before && before->read_pool && after && after->read_pool) {
        SF_CHECK_EQ_INT(after->read_pool->expired - before->read_pool->expired, 1);
        /* The late statement's cancel was the watchdog's; the first one's
         * the server's statement_timeout, or the watchdog's if it got there
         * first. */
        int64_t cancelled = after->read_pool->cancelled - before->read_pool->cancelled;
        SF_CHECK(cancelled >= 1 && cancelled <= 2);
    }
    if (before)
        protobuf_c_message_free_unpacked(&before->base, NULL);
    if (after)
        protobuf_c_message_free_unpacked(&after->base, NULL);
    sf_client_destroy(&client);
    sf_client_destroy(&observer);
}

int
main(void)
{
    if (sf_test_pg_env("server_reads_test") != 0)
        return sf_test_done();
    PGconn *conn = sf_test_pg_connect();
    const char *extra[] = { "SIFANG_NOTEBOOK_READ_THREADS=3", NULL };
    notebook_fixture_t notebook = { .client = NULL };   /* finish is safe on one never started */
    if (SF_CHECK(conn != NULL) && notebook_fixture_start(&notebook, NOTEBOOK_PATH, extra)) {
        test_write_beside_slow_read(&notebook, conn);
        test_reads_side_by_side(&notebook);
        test_stats(&notebook);
        test_deadlines(&notebook, conn);
        /* A clean exit (under the sanitizers: nothing leaked). */
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&notebook.daemon), 0);
    }
    notebook_fixture_finish(&notebook);
    if (conn)
        PQfinish(conn);
    return sf_test_done();
}
