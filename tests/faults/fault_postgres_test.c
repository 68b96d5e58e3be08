/* PostgreSQL restarted under concurrent load to every service: the daemons
 * answer UNAVAILABLE meanwhile and reconnect; writers retry with their
 * request ids. Afterwards every acknowledged write is there exactly once,
 * nothing unacknowledged is half-written, and evaluation's figures converge
 * to the sources'.
 * Then PostgreSQL stopped while every daemon is idle (issue 14, defect 7):
 * Sys.Ping says the database is down within 2 s, though no request found
 * the connection dead; once PostgreSQL is back, Ping says up within 2 s and
 * the first read after it succeeds, as does a first read 1.5 s after the
 * start with no Ping before it. RUN_SERIAL: it stops the shared cluster. */
#include "fault_load.h"
#include "sf_config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hs_suite_t suite;

/* Ping's database_up: 1 or 0, -1 when there was no answer. */
static int
database_up(sf_client_t *client, int s)
{
    cJSON *reply = NULL;
    if (hs_call(client, hs_services[s], "Sys.Ping", NULL, "{}", &reply, NULL) != SF_OK)
        return -1;
    int up = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "database_up"));
    cJSON_Delete(reply);
    return up;
}

static long long
sql_int(const char *sql)
{
    return sf_test_pg_int(suite.db, sql);
}

/* Starts PostgreSQL again; the test's own connection is made anew. */
static void
start(void)
{
    SF_CHECK(sf_test_pg_run("start") == 0);
    PQreset(suite.db);
}

static int
array_size(const cJSON *reply, const char *name)
{
    return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(reply, name));
}

/* One read of service s from the database, checked against the rows: its
 * status is what the test is about, so it is returned (and a wrong answer
 * is a failure of its own). */
static sf_status_t
first_read(sf_client_t *client, int s)
{
    cJSON *reply = NULL;
    sf_status_t status;
    switch (s) {
    case HS_GRID:
        status = hs_call(client, "grid", "UnitGet", NULL, "{\"code\":\"" HS_STREET_1 "\"}", &reply, NULL);
        if (status == SF_OK)
            SF_CHECK_EQ_STR(hs_text(reply, "code"), HS_STREET_1);
        break;
    case HS_EMPLOYMENT:
        status = hs_call(client, "employment", "CourseList", NULL, "{\"page\":{\"page_size\":1000}}", &reply,
                         NULL);
        if (status == SF_OK)
            SF_CHECK_EQ_INT(array_size(reply, "courses"), sql_int("SELECT count(*) FROM employment.course"));
        break;
    case HS_EVALUATION:
        status = hs_call(client, "evaluation", "KpiList", NULL, "{}", &reply, NULL);
        if (status == SF_OK)
            SF_CHECK_EQ_INT(array_size(reply, "kpis"),
                            sql_int("SELECT count(*) FROM (SELECT DISTINCT ON (code) retired FROM evaluation.kpi"
                                    " ORDER BY code, version DESC) current WHERE NOT retired"));
        break;
    default:
        /* Intake and volunteer: their event log's first event. */
        status = hs_call(client, hs_services[s], "Sys.EventsFetch", NULL, "{\"after\":0,\"limit\":1}", &reply,
                         NULL);
        if (status == SF_OK)
            SF_CHECK_EQ_INT(array_size(reply, "events"), 1);
        break;
    }
    cJSON_Delete(reply);
    return status;
}

/* Stops PostgreSQL and waits until every daemon's Ping says so; each must
 * within 2 s. */
static void
stop_and_see_down(sf_client_t *clients[HS_N])
{
    SF_CHECK(sf_test_pg_run("stop") == 0);
    int64_t stopped = sf_clock_ms();
    int64_t down_ms[HS_N];
    int n_down = 0;
    for (int s = 0; s < HS_N; s++)
        down_ms[s] = -1;
    while (n_down < HS_N && sf_clock_ms() - stopped <= 3000) {
        for (int s = 0; s < HS_N; s++)
            if (down_ms[s] < 0 && database_up(clients[s], s) == 0) {
                down_ms[s] = sf_clock_ms() - stopped;
                n_down++;
            }
        fl_pause_ms(100);
    }
    for (int s = 0; s < HS_N; s++) {
        printf("%s: Ping said down %lld ms after PostgreSQL stopped\n", hs_services[s], (long long) down_ms[s]);
        if (down_ms[s] < 0 || down_ms[s] > 2000)
            SF_FAIL("%s: Ping still said the database was up %d ms after PostgreSQL stopped", hs_services[s],
                    down_ms[s] < 0 ? 3000 : (int) down_ms[s]);
    }
}

static void
readiness_while_idle(void)
{
    sf_client_t *clients[HS_N];
    for (int s = 0; s < HS_N; s++)
        clients[s] = hs_client(&suite, s, "admin", 3000, 0);    /* no retries: the first answer counts */
    /* Idle: nothing has asked anything for a while. */
    fl_pause_ms(1500);

    /* Ping until it says up, then the first read. */
    stop_and_see_down(clients);
    start();
    int64_t started = sf_clock_ms();
    bool up[HS_N] = { false };
    int n_up = 0;
    while (n_up < HS_N && sf_clock_ms() - started <= 5000) {
        for (int s = 0; s < HS_N; s++)
            if (!up[s] && database_up(clients[s], s) == 1) {
                int64_t took = sf_clock_ms() - started;
                up[s] = true;
                n_up++;
                sf_status_t status = first_read(clients[s], s);
                printf("%s: Ping said up %lld ms after PostgreSQL started; the first read: %s\n",
                       hs_services[s], (long long) took, sf_status_name(status));
                if (took > 2000)
                    SF_FAIL("%s: Ping said up only %lld ms after PostgreSQL started", hs_services[s],
                            (long long) took);
                if (status != SF_OK)
                    SF_FAIL("%s: the first read after Ping said up: %s", hs_services[s], sf_status_name(status));
            }
        fl_pause_ms(100);
    }
    for (int s = 0; s < HS_N; s++)
        if (!up[s])
            SF_FAIL("%s: Ping did not say up within 5 s of PostgreSQL's start", hs_services[s]);

    /* The first request 1.5 s after the start is a read, with no Ping
     * before it. */
    fl_pause_ms(1500);
    stop_and_see_down(clients);
    start();
    fl_pause_ms(1500);
    for (int s = 0; s < HS_N; s++) {
        sf_status_t status = first_read(clients[s], s);
        if (status != SF_OK)
            SF_FAIL("%s: the first read 1.5 s after PostgreSQL started: %s", hs_services[s],
                    sf_status_name(status));
        SF_CHECK_EQ_INT(database_up(clients[s], s), 1);
    }
    for (int s = 0; s < HS_N; s++)
        sf_client_destroy(&clients[s]);
}

int
main(void)
{
    if (!hs_init(&suite, "fault_postgres_test", false, NULL) || !hs_start_all(&suite) || !hs_load_district(&suite))
        goto done;
    unsigned kinds = (1u << FL_RESIDENT) | (1u << FL_CASE) | (1u << FL_VISIT) | (1u << FL_COURSE) | (1u << FL_KPI);
    fl_load_t *load = fl_start(&suite, "restart_postgres", kinds);
    for (int waited = 0; waited < 3000 && fl_acknowledged(load) < 60; waited += 50)
        fl_pause_ms(50);
    SF_CHECK(sf_test_pg_run("restart") == 0);
    long before = fl_acknowledged(load);
    for (int waited = 0; waited < 15000 && fl_acknowledged(load) < before + 100; waited += 50)
        fl_pause_ms(50);
    PQreset(suite.db);
    SF_CHECK(PQstatus(suite.db) == CONNECTION_OK);
    fl_finish(&load);
    for (int s = 0; s < HS_N; s++)
        SF_CHECK(sf_test_wait_database(suite.admin[s], 20000));
    fl_converged(&suite, 30000);
    SF_CHECK_EQ_INT(fl_summary(), 0);
    readiness_while_idle();
done:
    hs_finish(&suite);
    return sf_test_done();
}
