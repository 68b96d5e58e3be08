/* Tests of the event follower against the real notebook daemon and a real
 * PostgreSQL (NEEDS_POSTGRES): a follower stopped mid-stream and started
 * again ends with exactly the source's state, nothing missed, nothing twice;
 * PUB notices wake it; a failing apply rolls back its page; its connection
 * ended while idle is replaced before a page fails on it; an event that does
 * not decode is recorded in event_skipped, counted, and passed over. */
#include "sf_client.h"
#include "sf_config.h"
#include "sf_follower.h"
#include "sf_migrate.h"
#include "sf_test.h"
#include "notebook.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

static int applies;
static sf_follower_t *follower;   /* for the apply function's emits */
static int fail_at;    /* the apply call that fails; 0 = none */

/* Copies each note into the consumer's own table. A note seen twice would
 * violate the primary key: exactly-once is checked by the database too. */
static sf_status_t
apply_note(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    (void) arg;
    if (++applies == fail_at)
        return SF_INTERNAL;
    if (strcmp(event->type, "note.added") != 0)
        return SF_OK;
    Sifang__Test__Note *note = sifang__test__note__unpack(NULL, event->payload.len, event->payload.data);
    if (!note)
        return SF_DATA_LOSS;    /* the suite's rule: recorded and skipped */
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, note->key);
    sf_params_int(&params, event->seq);
    PGresult *result = sf_db_query(db, "INSERT INTO mirror_note (key, seq) VALUES ($1, $2)", &params);
    sf_status_t status = sf_db_status(result);
    PQclear(result);
    /* The copy is news of the consumer's own: an event in its log, in the
     * same transaction. */
    if (status == SF_OK)
        sf_follower_emit(follower, "note.copied", note->key, &note->base);
    protobuf_c_message_free_unpacked(&note->base, NULL);
    return status;
}

static const sf_migration_t consumer_migrations[] = {
    { 1, "mirror_note", "CREATE TABLE mirror_note (key text PRIMARY KEY, seq bigint NOT NULL UNIQUE);" },
    { 0, NULL, NULL },
};

/* How many Sys.EventsFetch the source has answered (Sys.Stats): the pages
 * the follower asked for. */
static int64_t
fetches(sf_client_t *client)
{
    Sifang__V1__StatsRequest request = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *stats = NULL;
    if (sf_client_call(client, "Sys.Stats", NULL, &request.base, &sifang__v1__stats_reply__descriptor,
                       (ProtobufCMessage **) &stats, NULL) != SF_OK)
        return -1;
    int64_t count = 0;
    for (size_t i = 0; i < stats->n_methods; i++)
        if (strcmp(stats->methods[i]->method, "Sys.EventsFetch") == 0)
            count = stats->methods[i]->count;
    protobuf_c_message_free_unpacked(&stats->base, NULL);
    return count;
}

static int
add_notes(sf_client_t *client, const char *prefix, int n)
{
    int ok = 0;
    char key[64];
    for (int i = 0; i < n; i++) {
        Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
        snprintf(key, sizeof key, "%s-%04d", prefix, i);
        note.key = key;
        ok += sf_client_call(client, "NoteAdd", NULL, &note.base, NULL, NULL, NULL) == SF_OK;
    }
    return ok;
}

int
main(void)
{
    if (sf_test_pg_env("follower_test") != 0)
        return sf_test_done();
    char dir[256], log_path[512], endpoint_env[128], publish_env[128];
    sf_test_tmpdir(dir, sizeof dir);
    snprintf(log_path, sizeof log_path, "%s/notebook.log", dir);
    char *endpoint = sf_test_ipc_endpoint(dir, "notebook.router"), *publish = sf_test_ipc_endpoint(dir, "notebook.pub");
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_NOTEBOOK_ENDPOINT=%s", endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_NOTEBOOK_PUBLISH=%s", publish);
    const char *env[] = { endpoint_env, publish_env, "SIFANG_NOTEBOOK_SCHEMA=mirror",
                          "SIFANG_NOTEBOOK_DATABASE_URL=user=sifang_mirror", NULL };
    sf_test_daemon_t *daemon = sf_test_daemon_start(NOTEBOOK_PATH, env, log_path);
    SF_CHECK(daemon && sf_test_daemon_wait_ready(daemon, 10000) == 0);
    sf_client_t *client = sf_client_new(endpoint, NULL);
    PGconn *conn = sf_test_pg_connect();

    /* The consumer: its own schema and role, the common tables for the cursor. */
    sf_db_t *db = sf_db_new("user=sifang_evaluation", "evaluation");
    char error[256];
    SF_CHECK(sf_db_connect(db));
    SF_CHECK(sf_migrate(db, "evaluation", "common", sf_common_migrations, error, sizeof error) == 0);
    SF_CHECK(sf_migrate(db, "evaluation", "consumer", consumer_migrations, error, sizeof error) == 0);
    void *context = zmq_ctx_new();

    SF_CHECK_EQ_INT(add_notes(client, "first", 300), 300);

    /* Follow in pages of 50; the 120th apply fails: two pages stand, the
     * third rolls back, and the follower "stops" there. */
    follower = sf_follower_new(context, db, "notebook", endpoint, publish, NULL, apply_note, NULL);
    if (!SF_CHECK(follower != NULL))
        goto cleanup;
    sf_follower_set_page_size(follower, 50);
    fail_at = 120;
    SF_CHECK_EQ_INT(sf_follower_sync(follower), 100);
    SF_CHECK_EQ_INT(sf_follower_cursor(follower), 100);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.mirror_note"), 100);
    /* What the apply emitted stands with the pages that stand, and no more. */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.event_log WHERE type = 'note.copied'"), 100);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT max(seq) FROM evaluation.event_log"), 100);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.event_log"
                                         " WHERE actor = 'follower:notebook' AND request_id = 'notebook#' || seq"), 100);
    sf_follower_destroy(&follower);

    /* The source goes on while the follower is away. */
    SF_CHECK_EQ_INT(add_notes(client, "second", 200), 200);

    /* Started again, it resumes from its stored cursor. */
    fail_at = 0;
    follower = sf_follower_new(context, db, "notebook", endpoint, publish, NULL, apply_note, NULL);
    SF_CHECK_EQ_INT(sf_follower_sync(follower), 400);
    SF_CHECK_EQ_INT(sf_follower_cursor(follower), 500);
    SF_CHECK_EQ_INT(sf_follower_sync(follower), 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn,
        "SELECT count(*) FROM (SELECT key FROM mirror.note EXCEPT SELECT key FROM evaluation.mirror_note) AS missing"), 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn,
        "SELECT count(*) FROM (SELECT key FROM evaluation.mirror_note EXCEPT SELECT key FROM mirror.note) AS extra"), 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT last_seq FROM evaluation.event_cursor WHERE source = 'notebook'"), 500);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.event_log WHERE type = 'note.copied'"), 500);

    /* A notice on PUB wakes the follower. The subscription needs a moment to
     * be in place (slow joiner); the poll timer covers that in a daemon. */
    usleep(300 * 1000);
    SF_CHECK_EQ_INT(add_notes(client, "third", 1), 1);
    zmq_pollitem_t item = { sf_follower_socket(follower), 0, ZMQ_POLLIN, 0 };
    SF_CHECK_EQ_INT(zmq_poll(&item, 1, 5000), 1);
    sf_follower_on_notice(follower);
    SF_CHECK_EQ_INT(sf_follower_cursor(follower), 501);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.mirror_note"), 501);

    /* The follower's own connection ended while the source was quiet (as
     * when PostgreSQL restarts under an idle evaluation): a sync finds it
     * gone before it asks for a page, and replaces it; no page is fetched
     * to fail on the dead connection (the source answers one fetch). The
     * new connection may take longer than a call on a loaded machine: a
     * sync meanwhile says -1 and asks for nothing. */
    char terminate[96];
    snprintf(terminate, sizeof terminate, "SELECT pg_terminate_backend(%d, 5000)::int",
             PQbackendPID(sf_db_conn(db)));
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, terminate), 1);
    usleep(600 * 1000);    /* past the 500 ms between looks at an idle connection */
    SF_CHECK_EQ_INT(add_notes(client, "fourth", 3), 3);
    int64_t fetched = fetches(client);
    int synced = -1;
    for (int64_t until = sf_clock_ms() + 2000; synced < 0 && sf_clock_ms() < until;)
        if ((synced = sf_follower_sync(follower)) < 0)
            usleep(20 * 1000);
    SF_CHECK_EQ_INT(synced, 3);
    SF_CHECK_EQ_INT(fetches(client) - fetched, 1);
    SF_CHECK_EQ_INT(sf_follower_cursor(follower), 504);
    SF_CHECK_EQ_INT(sf_db_reconnects(db), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.mirror_note"), 504);

    /* An event whose payload does not decode, written into the source's log
     * as a broken writer would, between two good ones: recorded once in the
     * consumer's event_skipped, counted, and the follower goes on past it
     * (before, an apply's error stalled it on that event for ever). */
    SF_CHECK_EQ_INT(add_notes(client, "fifth", 1), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn,
        "WITH head AS (UPDATE mirror.event_head SET seq = seq + 1 RETURNING seq)"
        " INSERT INTO mirror.event_log (seq, type, key, occurred_at, payload_type, payload)"
        " SELECT seq, 'note.added', 'broken', now(), 'sifang.test.Note', '\\xff'::bytea FROM head"
        " RETURNING seq::int"), 506);
    SF_CHECK_EQ_INT(add_notes(client, "sixth", 1), 1);
    SF_CHECK_EQ_INT(sf_follower_sync(follower), 3);
    SF_CHECK_EQ_INT(sf_follower_cursor(follower), 507);
    SF_CHECK_EQ_INT(sf_follower_skipped(follower), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.mirror_note"), 506);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.event_skipped"
                                         " WHERE source = 'notebook' AND seq = 506 AND type = 'note.added'"
                                         " AND reason = 'payload does not decode as sifang.test.Note'"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.event_skipped"), 1);
    /* A follower started afresh knows the count from the table. */
    sf_follower_destroy(&follower);
    follower = sf_follower_new(context, db, "notebook", endpoint, publish, NULL, apply_note, NULL);
    SF_CHECK_EQ_INT(sf_follower_sync(follower), 0);
    SF_CHECK_EQ_INT(sf_follower_skipped(follower), 1);
    SF_CHECK_EQ_INT(sf_follower_cursor(follower), 507);

    /* A source that is down: -1, and nothing changes. */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemon), 0);
    SF_CHECK_EQ_INT(sf_follower_sync(follower), -1);
    SF_CHECK_EQ_INT(sf_follower_cursor(follower), 507);

cleanup:
    sf_follower_destroy(&follower);
    if (daemon)
        sf_test_daemon_stop(&daemon);
    sf_client_destroy(&client);
    zmq_ctx_term(context);
    sf_db_destroy(&db);
    if (conn)
        PQfinish(conn);
    if (!sf_test_failures())
        sf_test_rmtree(dir);
    free(endpoint);
    free(publish);
    return sf_test_done();
}
