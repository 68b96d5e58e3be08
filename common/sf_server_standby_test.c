/* The read pool on a hot standby, with read-your-writes, against real
 * PostgreSQL: a primary of the test's own and a standby made of it by
 * pg_basebackup (scripts/pg.sh standby), streaming; the notebook daemon
 * writes to the primary and reads from the standby. It proves that reads
 * are served by the standby, that a read naming a write's commit position
 * sees the write even while the standby's replay is paused (it waits, then
 * goes to the primary; or is served by the standby once replay resumes),
 * and that reads go to the primary while the standby is down and back to
 * it once it returns. */
#include "notebook_fixture.h"
#include "sf_config.h"
#include "notebook.pb-c.h"
#include "sifang/v1/envelope.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define REPLAY_WAIT_MS 300

static char standby_dir[512];
static char standby_host[700];
static int standby_port;

static int
pg_script(const char *action, const char *dir, const char *other)
{
    char script[1024];
    snprintf(script, sizeof script, "%s/scripts/pg.sh", sf_test_source_dir());
    const char *argv[] = { "bash", script, action, dir, other, NULL };
    return sf_test_run(argv, NULL);
}

/* The standby's socket directory and port, from the env file pg.sh wrote. */
static bool
read_standby_env(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/env", standby_dir);
    FILE *file = fopen(path, "r");
    if (!file)
        return false;
    char line[700];
    while (fgets(line, sizeof line, file)) {
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, "export PGHOST='", 15) == 0) {
            snprintf(standby_host, sizeof standby_host, "%s", line + 15);
            standby_host[strcspn(standby_host, "'")] = 0;
        } else if (strncmp(line, "export PGPORT=", 14) == 0)
            standby_port = atoi(line + 14);
    }
    fclose(file);
    return standby_host[0] && standby_port > 0;
}

static PGconn *
standby_connect(void)
{
    char conninfo[1200];
    snprintf(conninfo, sizeof conninfo, "host=%s port=%d dbname=standby_test user=%s", standby_host, standby_port,
             sf_test_pg_superuser());
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        printf("cannot connect to the standby: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

static sf_status_t
add_note(sf_client_t *client, const char *key, sf_reply_info_t *info)
{
    Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
    note.key = (char *) key;
    note.text = "written on the primary";
    char request_id[64];
    snprintf(request_id, sizeof request_id, "add-%s", key);
    return sf_client_call(client, "NoteAdd", request_id, &note.base, NULL, NULL, info);
}

/* NoteGet key through client (which sends the highest position seen);
 * its status, and the text into text. */
static sf_status_t
get_note(sf_client_t *client, const char *key, char *text, size_t text_size)
{
    Sifang__Test__NoteKey request = SIFANG__TEST__NOTE_KEY__INIT;
    request.key = (char *) key;
    Sifang__Test__Note *note = NULL;
    sf_status_t status = sf_client_call(client, "NoteGet", NULL, &request.base, &sifang__test__note__descriptor,
                                        (ProtobufCMessage **) &note, NULL);
    snprintf(text, text_size, "%s", note ? note->text : "");
    if (note)
        protobuf_c_message_free_unpacked(&note->base, NULL);
    return status;
}

/* NoteGet key with a header that names no position, on a socket of its
 * own: what a reader that never wrote sees. Its status. */
static int
get_note_naming_nothing(const char *endpoint, const char *key)
{
    void *context = zmq_ctx_new();
    void *dealer = zmq_socket(context, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(dealer, endpoint);
    Sifang__V1__RequestHeader header = SIFANG__V1__REQUEST_HEADER__INIT;
    header.method = "NoteGet";
    header.request_id = "naming-nothing";
    uint8_t packed_header[256], body[128];
    size_t header_size = sifang__v1__request_header__pack(&header, packed_header);
    Sifang__Test__NoteKey request = SIFANG__TEST__NOTE_KEY__INIT;
    request.key = (char *) key;
    size_t body_size = sifang__test__note_key__pack(&request, body);
    zmq_send(dealer, packed_header, header_size, ZMQ_SNDMORE);
    zmq_send(dealer, body, body_size, 0);
    int status = -1;
    zmq_pollitem_t item = { dealer, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&item, 1, 5000) == 1) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        zmq_msg_recv(&frame, dealer, 0);
        Sifang__V1__ReplyHeader *reply = sifang__v1__reply_header__unpack(NULL, zmq_msg_size(&frame),
                                                                          zmq_msg_data(&frame));
        if (reply) {
            status = reply->status;
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        }
        zmq_msg_close(&frame);
    }
    zmq_close(dealer);
    zmq_ctx_term(context);
    return status;
}

typedef struct {
    int64_t standby_reads, primary_reads, replay_waits;
    bool standby;
} pool_figures_t;

static pool_figures_t
figures(sf_client_t *client)
{
    pool_figures_t figures = { -1, -1, -1, false };
    Sifang__V1__StatsRequest request = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *reply = NULL;
    SF_IGNORE(sf_client_call(client, "Sys.Stats", NULL, &request.base, &sifang__v1__stats_reply__descriptor,
                             (ProtobufCMessage **) &reply, NULL));
    if (SF_CHECK(reply && reply->read_pool)) {
        figures.standby = reply->read_pool->standby;
        figures.standby_reads = reply->read_pool->standby_reads;
        figures.primary_reads = reply->read_pool->primary_reads;
        figures.replay_waits = reply->read_pool->replay_waits;
    }
    if (reply)
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    return figures;
}

/* Reads go to the standby: its own connections there, and the counts. */
static void
test_reads_on_standby(notebook_fixture_t *notebook, PGconn *primary, PGconn *standby)
{
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(add_note(notebook->client, "first", &info), SF_OK);
    uint64_t lsn = info.commit_lsn;
    long long after = sf_test_pg_int(primary, "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::int8");
    printf("first write's commit position %llu (the primary is at %lld)\n", (unsigned long long) lsn, after);
    SF_CHECK(lsn > 0 && (long long) lsn <= after);
    SF_CHECK_EQ_INT(sf_client_read_after(notebook->client), lsn);

    pool_figures_t before = figures(notebook->client);
    SF_CHECK(before.standby);
    char text[128];
    SF_CHECK_EQ_INT(get_note(notebook->client, "first", text, sizeof text), SF_OK);
    SF_CHECK_EQ_STR(text, "written on the primary");
    pool_figures_t now = figures(notebook->client);
    SF_CHECK_EQ_INT(now.standby_reads - before.standby_reads, 1);
    SF_CHECK_EQ_INT(now.primary_reads - before.primary_reads, 0);
    /* The read threads' connections are the standby's (two threads). */
    SF_CHECK_EQ_INT(sf_test_pg_int(standby, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'sifang_mirror'"),
                    2);
}

/* Replay paused: a write's reader still sees it (from the primary, after
 * waiting), while a reader naming no position, served by the standby, does
 * not; then a read that waits while replay resumes is served by the
 * standby. */
static void
test_read_your_writes(notebook_fixture_t *notebook, PGconn *standby)
{
    SF_CHECK(sf_test_pg_exec(standby, "SELECT pg_wal_replay_pause()") == 0);
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(add_note(notebook->client, "paused", &info), SF_OK);
    pool_figures_t before = figures(notebook->client);
    int64_t started = sf_clock_ms();
    char text[128];
    SF_CHECK_EQ_INT(get_note(notebook->client, "paused", text, sizeof text), SF_OK);
    int64_t took = sf_clock_ms() - started;
    SF_CHECK_EQ_STR(text, "written on the primary");
    pool_figures_t now = figures(notebook->client);
    printf("replay paused: the write's read took %lld ms (waited, then the primary)\n", (long long) took);
    SF_CHECK(took >= REPLAY_WAIT_MS);
    SF_CHECK_EQ_INT(now.primary_reads - before.primary_reads, 1);
    SF_CHECK_EQ_INT(now.replay_waits - before.replay_waits, 1);
    /* The standby has not got it: without the position, not found. */
    SF_CHECK_EQ_INT(get_note_naming_nothing(notebook->endpoint, "paused"), SF_NOT_FOUND);

    /* Resumed while the read waits: the standby serves it. */
    SF_CHECK_EQ_INT(add_note(notebook->client, "resumed", &info), SF_OK);
    before = figures(notebook->client);
    Sifang__Test__NoteKey request = SIFANG__TEST__NOTE_KEY__INIT;
    request.key = "resumed";
    SF_CHECK(sf_client_send(notebook->client, "NoteGet", "resumed-read", &request.base) == 0);
    usleep(100 * 1000);
    SF_CHECK(sf_test_pg_exec(standby, "SELECT pg_wal_replay_resume()") == 0);
    void *body = NULL;
    size_t size = 0;
    SF_CHECK_EQ_INT(sf_client_recv(notebook->client, 5000, &body, &size, &info), 1);
    SF_CHECK_EQ_INT(info.status, SF_OK);
    Sifang__Test__Note *note = body ? sifang__test__note__unpack(NULL, size, body) : NULL;
    SF_CHECK(note && strcmp(note->key, "resumed") == 0);
    if (note)
        protobuf_c_message_free_unpacked(&note->base, NULL);
    free(body);
    now = figures(notebook->client);
    SF_CHECK_EQ_INT(now.standby_reads - before.standby_reads, 1);
    SF_CHECK_EQ_INT(now.primary_reads - before.primary_reads, 0);
    SF_CHECK_EQ_INT(now.replay_waits - before.replay_waits, 1);
}

/* The standby stopped: reads go to the primary; started again: back to
 * the standby. */
static void
test_standby_away(notebook_fixture_t *notebook)
{
    SF_CHECK(pg_script("stop", standby_dir, NULL) == 0);
    pool_figures_t before = figures(notebook->client);
    char text[128];
    for (int i = 0; i < 3; i++)
        SF_CHECK_EQ_INT(get_note(notebook->client, "first", text, sizeof text), SF_OK);
    pool_figures_t now = figures(notebook->client);
    SF_CHECK_EQ_INT(now.primary_reads - before.primary_reads, 3);
    SF_CHECK_EQ_INT(now.standby_reads - before.standby_reads, 0);

    SF_CHECK(pg_script("start", standby_dir, NULL) == 0);
    /* Each worker reconnects within a second or so. */
    int64_t until = sf_clock_ms() + 10000;
    before = figures(notebook->client);
    bool back = false;
    while (!back && sf_clock_ms() < until) {
        SF_CHECK_EQ_INT(get_note(notebook->client, "first", text, sizeof text), SF_OK);
        now = figures(notebook->client);
        back = now.standby_reads > before.standby_reads;
        if (!back)
            usleep(200 * 1000);
    }
    SF_CHECK(back);
}

int
main(void)
{
    char dir[256];
    if (!SF_CHECK(sf_test_tmpdir(dir, sizeof dir) == 0))
        return sf_test_done();
    char primary_dir[320];
    snprintf(primary_dir, sizeof primary_dir, "%s/primary", dir);
    snprintf(standby_dir, sizeof standby_dir, "%s/standby", dir);
    PGconn *primary = NULL, *standby = NULL;
    notebook_fixture_t notebook = { .client = NULL };
    if (sf_test_pg_own_cluster(primary_dir) != 0 || sf_test_pg_env("standby_test") != 0)
        goto cleanup;
    if (!SF_CHECK(pg_script("standby", primary_dir, standby_dir) == 0) || !SF_CHECK(read_standby_env()))
        goto cleanup;
    primary = sf_test_pg_connect();
    standby = standby_connect();
    if (!SF_CHECK(primary && standby))
        goto cleanup;
    char read_url[1400], wait[64];
    snprintf(read_url, sizeof read_url,
             "SIFANG_NOTEBOOK_READ_DATABASE_URL=host=%s port=%d dbname=standby_test user=sifang_mirror",
             standby_host, standby_port);
    snprintf(wait, sizeof wait, "SIFANG_NOTEBOOK_READ_AFTER_WAIT_MS=%d", REPLAY_WAIT_MS);
    const char *extra[] = { read_url, wait, "SIFANG_NOTEBOOK_READ_THREADS=2", NULL };
    if (notebook_fixture_start(&notebook, NOTEBOOK_PATH, extra)) {
        test_reads_on_standby(&notebook, primary, standby);
        test_read_your_writes(&notebook, standby);
        PQfinish(standby);
        standby = NULL;
        test_standby_away(&notebook);
        /* A clean exit (under the sanitizers: nothing leaked), the
         * standby's and the primary's connections closed. */
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&notebook.daemon), 0);
    }
cleanup:
    notebook_fixture_finish(&notebook);
    if (primary)
        PQfinish(primary);
    if (standby)
        PQfinish(standby);
    pg_script("destroy", standby_dir, NULL);
    sf_test_pg_run("destroy");
    if (!sf_test_failures())
        sf_test_rmtree(dir);
    return sf_test_done();
}
