/* Deferred commands against a real PostgreSQL (NEEDS_POSTGRES): a command
 * queued with sf_db_defer runs ahead of the next statement whichever way
 * that statement goes out (prepared, simple protocol, pipeline, COMMIT);
 * one taken back never runs; a failed one fails that statement with its
 * own error; a statement new on the connection finds them run; a rollback
 * drops the queue. */
#include "sf_db.h"
#include "sf_test.h"
#include <string.h>

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
    return sf_test_done();
}
