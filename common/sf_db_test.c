/* sf_db against a real PostgreSQL (NEEDS_POSTGRES).
 * Deferred commands: a command queued with sf_db_defer runs ahead of the
 * next statement whichever way that statement goes out (prepared, simple
 * protocol, pipeline, COMMIT); one taken back never runs; a failed one fails
 * that statement with its own error; a statement new on the connection
 * finds them run; a rollback drops the queue.
 * The connection's life: an idle connection the server ends is found by
 * sf_db_alive and by sf_db_maintain without a statement failing, and
 * replaced at once; a database that refuses is retried, and found again
 * within the backoff's second; a host that accepts and never answers holds
 * no call for long; keepalives are on by default. */
#include "sf_db.h"
#include "sf_config.h"
#include "sf_test.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Whether the named savepoint exists in the open transaction: rolling back
 * to it succeeds (and leaves it in place). */
static bool
savepoint_exists(sf_db_t *db, const char *name)
{
    char sql[128];
    snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT %s", name);
    PGresult *result = PQexec(sf_db_conn(db), sql);
    bool exists = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    return exists;
}

static int64_t
count_rows(sf_db_t *db)
{
    PGresult *result = sf_db_query(db, "SELECT count(*) FROM deferred_test", NULL);
    int64_t n = sf_db_result_ok(result) ? sf_db_int(result, 0, 0) : -1;
    PQclear(result);
    return n;
}

/* One statement text for every insert: prepared at its first use, it
 * shares the deferred commands' round trip from then on. */
static PGresult *
insert_row(sf_db_t *db, int n)
{
    sf_params_t params;
    sf_params_init(&params);
    sf_params_int(&params, n);
    return sf_db_query(db, "INSERT INTO deferred_test VALUES ($1)", &params);
}

static void
test_with_each_way_out(sf_db_t *db)
{
    /* A prepared statement. */
    SF_CHECK(sf_db_begin(db));
    sf_db_defer(db, "SAVEPOINT a");
    PGresult *result = insert_row(db, 1);
    SF_CHECK(sf_db_result_ok(result));
    PQclear(result);
    SF_CHECK(savepoint_exists(db, "a"));
    SF_CHECK_EQ_INT(count_rows(db), 0);    /* the insert came after the savepoint */
    sf_db_rollback(db);

    /* The simple protocol (sf_db_command). */
    SF_CHECK(sf_db_begin(db));
    sf_db_defer(db, "SAVEPOINT b");
    SF_CHECK(sf_db_command(db, "INSERT INTO deferred_test VALUES (2)"));
    SF_CHECK(savepoint_exists(db, "b"));
    SF_CHECK_EQ_INT(count_rows(db), 0);
    sf_db_rollback(db);

    /* A pipeline: results stay the caller's steps'. */
    SF_CHECK(sf_db_begin(db));
    sf_db_defer(db, "SAVEPOINT c");
    sf_db_defer(db, "SAVEPOINT d");
    const sf_db_step_t steps[2] = { { "INSERT INTO deferred_test VALUES (3)", NULL },
                                    { "SELECT count(*) FROM deferred_test", NULL } };
    PGresult *results[2];
    SF_CHECK(sf_db_pipeline(db, steps, 2, results));
    SF_CHECK(PQresultStatus(results[0]) == PGRES_COMMAND_OK);
    SF_CHECK(PQresultStatus(results[1]) == PGRES_TUPLES_OK && sf_db_int(results[1], 0, 0) == 1);
    PQclear(results[0]);
    PQclear(results[1]);
    SF_CHECK(savepoint_exists(db, "d"));
    SF_CHECK(savepoint_exists(db, "c"));
    sf_db_rollback(db);

    /* COMMIT: the savepoint is made and ended with the transaction. */
    SF_CHECK(sf_db_begin(db));
    result = insert_row(db, 4);
    PQclear(result);
    sf_db_defer(db, "SAVEPOINT e");
    SF_CHECK(sf_db_commit(db));
    SF_CHECK_EQ_INT(count_rows(db), 1);
}

static void
test_take_back_and_rollback(sf_db_t *db)
{
    SF_CHECK(sf_db_begin(db));
    sf_db_defer(db, "SAVEPOINT kept");
    sf_db_defer(db, "SAVEPOINT unused");
    SF_CHECK(!sf_db_take_back(db, "SAVEPOINT kept"));   /* not the last one */
    SF_CHECK(sf_db_take_back(db, "SAVEPOINT unused"));
    SF_CHECK(sf_db_command(db, "SELECT 1"));
    SF_CHECK(savepoint_exists(db, "kept"));
    SF_CHECK(!savepoint_exists(db, "unused"));          /* never sent */
    sf_db_rollback(db);
    SF_CHECK(!sf_db_take_back(db, "SAVEPOINT unused"));  /* the queue is empty */

    /* A rollback drops what was queued: outside a transaction a SAVEPOINT
     * would fail the next statement. */
    SF_CHECK(sf_db_begin(db));
    sf_db_defer(db, "SAVEPOINT dropped");
    sf_db_rollback(db);
    PGresult *result = sf_db_query(db, "SELECT 1", NULL);
    SF_CHECK(sf_db_result_ok(result));
    PQclear(result);
}

static void
test_failure(sf_db_t *db)
{
    /* The failed command's error is the statement's; the statement does not run. */
    SF_CHECK(sf_db_begin(db));
    sf_db_defer(db, "RELEASE SAVEPOINT never_made");
    PGresult *result = insert_row(db, 5);
    SF_CHECK(!sf_db_result_ok(result));
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    SF_CHECK_EQ_STR(state ? state : "(none)", "3B001");   /* invalid savepoint specification */
    PQclear(result);
    SF_CHECK(PQtransactionStatus(sf_db_conn(db)) == PQTRANS_INERROR);
    sf_db_rollback(db);
    SF_CHECK(sf_db_is_up(db));

    /* In a pipeline: every step is reported not run. */
    SF_CHECK(sf_db_begin(db));
    sf_db_defer(db, "RELEASE SAVEPOINT never_made");
    sf_params_t params;
    sf_params_init(&params);
    sf_params_int(&params, 6);
    const sf_db_step_t steps[1] = { { "INSERT INTO deferred_test VALUES ($1)", &params } };
    PGresult *results[1];
    SF_CHECK(!sf_db_pipeline(db, steps, 1, results));
    SF_CHECK(results[0] == NULL);
    sf_db_rollback(db);

    /* A statement new on the connection is prepared on its own first: the
     * commands go out before it, so an error preparing it finds them done
     * (here the savepoint, which then undoes the error). */
    SF_CHECK(sf_db_begin(db));
    sf_db_defer(db, "SAVEPOINT before_new");
    result = sf_db_query(db, "SELEC 'a typo'", NULL);
    state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    SF_CHECK_EQ_STR(state ? state : "(none)", "42601");   /* syntax error */
    PQclear(result);
    SF_CHECK(savepoint_exists(db, "before_new"));
    result = insert_row(db, 8);
    SF_CHECK(sf_db_result_ok(result));
    PQclear(result);
    sf_db_rollback(db);

    /* With sf_db_command and sf_db_commit. */
    SF_CHECK(sf_db_begin(db));
    sf_db_defer(db, "RELEASE SAVEPOINT never_made");
    SF_CHECK(!sf_db_command(db, "INSERT INTO deferred_test VALUES (7)"));
    sf_db_rollback(db);
    SF_CHECK(sf_db_begin(db));
    sf_db_defer(db, "RELEASE SAVEPOINT never_made");
    SF_CHECK(!sf_db_commit(db));
    sf_db_rollback(db);
    SF_CHECK_EQ_INT(count_rows(db), 1);   /* only the committed row of the first test */
}

static void
test_full_queue(sf_db_t *db)
{
    /* More than the queue holds: the oldest go out on their own, in order. */
    SF_CHECK(sf_db_begin(db));
    static const char *const commands[] = {
        "SAVEPOINT q1", "SAVEPOINT q2", "SAVEPOINT q3", "SAVEPOINT q4", "SAVEPOINT q5", "SAVEPOINT q6",
        "SAVEPOINT q7", "SAVEPOINT q8", "SAVEPOINT q9", "SAVEPOINT q10",
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        sf_db_defer(db, commands[i]);
    SF_CHECK(sf_db_command(db, "SELECT 1"));
    SF_CHECK(savepoint_exists(db, "q10"));
    SF_CHECK(savepoint_exists(db, "q1"));    /* rolling back to q1 ends q2..q10 */
    SF_CHECK(!savepoint_exists(db, "q2"));
    sf_db_rollback(db);
}

static void
test_halves(sf_db_t *db)
{
    /* The server works between send and receive; the connection refuses
     * anything else meanwhile. */
    SF_CHECK(sf_db_begin(db));
    sf_db_defer(db, "SAVEPOINT h");
    const sf_db_step_t steps[2] = { { "SELECT pg_sleep(0.05)", NULL }, { "SELECT 42", NULL } };
    SF_CHECK(sf_db_pipeline_send(db, steps, 2));
    SF_CHECK(sf_db_pipeline_in_flight(db));
    SF_CHECK(sf_db_query(db, "SELECT 1", NULL) == NULL);
    SF_CHECK(!sf_db_command(db, "SELECT 1"));
    PGresult *results[2];
    SF_CHECK(sf_db_pipeline_receive(db, results, 2));
    SF_CHECK(!sf_db_pipeline_in_flight(db));
    SF_CHECK(results[1] && sf_db_int(results[1], 0, 0) == 42);
    PQclear(results[0]);
    PQclear(results[1]);
    SF_CHECK(savepoint_exists(db, "h"));
    sf_db_rollback(db);
    SF_CHECK(sf_db_is_up(db));

    /* Nothing sent (too many steps): receive says so, with no results. */
    SF_CHECK(!sf_db_pipeline_send(db, steps, SF_DB_PIPELINE_MAX + 1));
    PGresult *none[SF_DB_PIPELINE_MAX + 1];
    SF_CHECK(!sf_db_pipeline_receive(db, none, SF_DB_PIPELINE_MAX + 1));
    SF_CHECK(none[0] == NULL && none[SF_DB_PIPELINE_MAX] == NULL);
    SF_CHECK(!sf_db_pipeline_in_flight(db));
}

/* Ends the backend behind db from the test's own superuser connection and
 * waits until it has gone (pg_terminate_backend with a timeout). */
static bool
terminate(PGconn *super, sf_db_t *db)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d, 5000)::int", PQbackendPID(sf_db_conn(db)));
    return sf_test_pg_int(super, sql) == 1;
}

/* Calls step (sf_db_alive or sf_db_maintain) every 20 ms until it says up,
 * for at most 1 s; each call must be short (an attempt goes on across
 * calls on a loaded machine). Returns how long it took, -1 if never. */
static int64_t
until_up(bool (*step)(sf_db_t *), sf_db_t *db)
{
    int64_t started = sf_clock_ms();
    while (sf_clock_ms() - started < 1000) {
        int64_t call = sf_clock_ms();
        bool up = step(db);
        if (sf_clock_ms() - call > 200)
            SF_FAIL("a call held %lld ms", (long long) (sf_clock_ms() - call));
        if (up)
            return sf_clock_ms() - started;
        usleep(20 * 1000);
    }
    return -1;
}

static bool
select_one(sf_db_t *db)
{
    PGresult *result = sf_db_query(db, "SELECT 1", NULL);
    bool ok = sf_db_result_ok(result) && sf_db_int(result, 0, 0) == 1;
    PQclear(result);
    return ok;
}

/* The test's own role, so that refusing its logins (NOLOGIN) touches no
 * other test: roles are the cluster's. */
#define ALIVE_ROLE "sf_db_test_alive"

static bool
make_role(PGconn *super)
{
    return sf_test_pg_exec(super, "DO $$ BEGIN CREATE ROLE " ALIVE_ROLE " LOGIN;"
                                  " EXCEPTION WHEN duplicate_object THEN NULL; END $$") == 0
        && sf_test_pg_exec(super, "ALTER ROLE " ALIVE_ROLE " LOGIN") == 0
        && sf_test_pg_exec(super, "GRANT CONNECT ON DATABASE sf_db_test TO " ALIVE_ROLE) == 0;
}

static void
test_alive(PGconn *super)
{
    sf_db_t *db = sf_db_new("user=" ALIVE_ROLE, "public");
    if (!SF_CHECK(db && sf_db_connect(db)))
        goto done;
    SF_CHECK(sf_db_alive(db));
    SF_CHECK_EQ_INT(sf_db_reconnects(db), 0);

    /* Ended while idle, and connections refused meanwhile: alive says so
     * (not the connection as last seen), and nothing waits. */
    SF_CHECK(sf_test_pg_exec(super, "ALTER ROLE " ALIVE_ROLE " NOLOGIN") == 0);
    int pid = PQbackendPID(sf_db_conn(db));
    SF_CHECK(terminate(super, db));
    int64_t started = sf_clock_ms();
    SF_CHECK(!sf_db_alive(db));
    SF_CHECK(!sf_db_is_up(db));
    SF_CHECK(sf_clock_ms() - started < 200);
    SF_CHECK(!sf_db_alive(db));               /* within 250 ms: not even tried */
    SF_CHECK(sf_db_query(db, "SELECT 1", NULL) == NULL);

    /* Allowed again: the next alive 250 ms after the last attempt
     * reconnects, whatever the backoff, and the connection is a new one
     * that answers (its statements prepared anew). */
    SF_CHECK(sf_test_pg_exec(super, "ALTER ROLE " ALIVE_ROLE " LOGIN") == 0);
    usleep(300 * 1000);
    SF_CHECK(until_up(sf_db_alive, db) >= 0);
    SF_CHECK(sf_db_is_up(db) && PQbackendPID(sf_db_conn(db)) != pid);
    SF_CHECK_EQ_INT(sf_db_reconnects(db), 1);
    SF_CHECK(select_one(db));

    /* Ended while idle with the database there: alive replaces the
     * connection at once (in the same call, unless the machine is slow),
     * so a Ping that says up is followed by a statement that works. */
    pid = PQbackendPID(sf_db_conn(db));
    SF_CHECK(terminate(super, db));
    usleep(300 * 1000);
    SF_CHECK(until_up(sf_db_alive, db) >= 0);
    SF_CHECK(PQbackendPID(sf_db_conn(db)) != pid);
    SF_CHECK_EQ_INT(sf_db_reconnects(db), 2);
    SF_CHECK(select_one(db));

    /* Inside a transaction alive reads nothing (the input would be the
     * transaction's): the loss is the next statement's to find. */
    SF_CHECK(sf_db_begin(db));
    SF_CHECK(terminate(super, db));
    SF_CHECK(sf_db_alive(db));
    SF_CHECK(!select_one(db));
    SF_CHECK(!sf_db_is_up(db));
    sf_db_rollback(db);
done:
    sf_db_destroy(&db);
}

static void
test_maintain(PGconn *super)
{
    sf_db_t *db = sf_db_new("user=" ALIVE_ROLE, "public");
    if (!SF_CHECK(db && sf_db_connect(db)))
        goto done;
    /* The loop's turn finds the idle connection ended, with no statement
     * failing first, and has a new one at once. */
    int pid = PQbackendPID(sf_db_conn(db));
    SF_CHECK(terminate(super, db));
    usleep(600 * 1000);    /* past the 500 ms between looks */
    int64_t took = until_up(sf_db_maintain, db);
    printf("maintain had a new connection %lld ms after its turn\n", (long long) took);
    SF_CHECK(took >= 0 && took < 500);
    SF_CHECK_EQ_INT(sf_db_reconnects(db), 1);
    SF_CHECK(PQbackendPID(sf_db_conn(db)) != pid);
    SF_CHECK(select_one(db));

    /* Ended and refused for a while (2.5 s: the backoff, 100 ms doubling,
     * reaches its 1 s cap): the loop's turns (every 100 ms here) find it down within the
     * 500 ms between looks, and say so from then on; once allowed again,
     * they have it back within the 1 s cap. */
    SF_CHECK(sf_test_pg_exec(super, "ALTER ROLE " ALIVE_ROLE " NOLOGIN") == 0);
    SF_CHECK(terminate(super, db));
    int64_t ended = sf_clock_ms(), found = -1;
    for (int64_t until = ended + 2500; sf_clock_ms() < until;) {
        int64_t turn = sf_clock_ms();
        bool up = sf_db_maintain(db);
        SF_CHECK(sf_clock_ms() - turn < 200);
        if (!up && found < 0)
            found = turn - ended;
        else if (up && found >= 0)
            SF_FAIL("up again at %lld ms while logins are refused", (long long) (turn - ended));
        usleep(100 * 1000);
    }
    printf("found down %lld ms after the connection was ended\n", (long long) found);
    SF_CHECK(found >= 0 && found <= 600);
    SF_CHECK(sf_test_pg_exec(super, "ALTER ROLE " ALIVE_ROLE " LOGIN") == 0);
    int64_t allowed = sf_clock_ms();
    while (!sf_db_maintain(db) && sf_clock_ms() - allowed < 5000)
        usleep(100 * 1000);
    took = sf_clock_ms() - allowed;
    printf("reconnected %lld ms after connections were allowed again\n", (long long) took);
    SF_CHECK(sf_db_is_up(db));
    SF_CHECK(took <= 1500);    /* the 1 s cap, a turn, the attempt */
    SF_CHECK(select_one(db));
done:
    sf_db_destroy(&db);
}

/* A host that takes the TCP connection and never answers (a listening
 * socket nobody accepts on): no call waits for it longer than a slice, and
 * sf_db_connect gives up after connect_timeout. */
static void
test_silent_host(void)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = 0 };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (!SF_CHECK(listener >= 0 && bind(listener, (struct sockaddr *) &address, sizeof address) == 0
                  && listen(listener, 8) == 0
                  && getsockname(listener, (struct sockaddr *) &address, &length) == 0))
        goto done;
    char conninfo[160];
    snprintf(conninfo, sizeof conninfo,
             "host=127.0.0.1 port=%d user=nobody dbname=nothing sslmode=disable connect_timeout=1",
             ntohs(address.sin_port));
    sf_db_t *db = sf_db_new(conninfo, "public");
    int64_t started = sf_clock_ms();
    SF_CHECK(!sf_db_alive(db));
    SF_CHECK(!sf_db_maintain(db));
    int64_t took = sf_clock_ms() - started;
    SF_CHECK(took < 300);    /* two calls, 100 ms each at most */
    started = sf_clock_ms();
    SF_CHECK(!sf_db_connect(db));
    took = sf_clock_ms() - started;
    printf("a silent host held sf_db_connect %lld ms (connect_timeout=1)\n", (long long) took);
    SF_CHECK(took >= 700 && took < 1500);
    sf_db_destroy(&db);
done:
    if (listener >= 0)
        close(listener);
}

/* Over TCP the connection has keepalives that find a dead host in seconds,
 * unless the conninfo says otherwise. */
static void
test_keepalives(void)
{
    const char *port = getenv("PGPORT");
    char conninfo[160];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%s user=sifang_mirror keepalives_count=4",
             port ? port : "5432");
    sf_db_t *db = sf_db_new(conninfo, "public");
    if (!SF_CHECK(db && sf_db_connect(db)))
        goto done;
    static const char *const expected[][2] = {
        { "keepalives", "1" }, { "keepalives_idle", "5" }, { "keepalives_interval", "2" },
        { "keepalives_count", "4" }, { "tcp_user_timeout", "10000" },
    };
    PQconninfoOption *options = PQconninfo(sf_db_conn(db));
    for (size_t e = 0; e < sizeof expected / sizeof expected[0]; e++)
        for (PQconninfoOption *option = options; option && option->keyword; option++)
            if (strcmp(option->keyword, expected[e][0]) == 0)
                SF_CHECK_EQ_STR(option->val, expected[e][1]);
    PQconninfoFree(options);
done:
    sf_db_destroy(&db);
}

int
main(void)
{
    if (sf_test_pg_env("sf_db_test") != 0)
        return sf_test_done();
    sf_db_t *db = sf_db_new("user=sifang_mirror", "public");
    if (!SF_CHECK(db && sf_db_connect(db)))
        return sf_test_done();
    SF_CHECK(sf_db_command(db, "CREATE TEMP TABLE deferred_test (n int)"));
    test_with_each_way_out(db);
    test_take_back_and_rollback(db);
    test_failure(db);
    test_full_queue(db);
    test_halves(db);
    sf_db_destroy(&db);
    PGconn *super = sf_test_pg_connect();
    if (SF_CHECK(super != NULL) && SF_CHECK(make_role(super))) {
        test_alive(super);
        test_maintain(super);
        PQfinish(super);
    }
    test_silent_host();
    test_keepalives();
    return sf_test_done();
}
