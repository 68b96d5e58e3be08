/* sifang-employment while its database goes away and comes back: requests in
 * the meantime get UNAVAILABLE and write nothing; retried with the same
 * request ids afterwards they apply once; an import is all there or not at
 * all; SIGTERM ends the daemon with 0. It stops the shared test cluster, so
 * it runs alone (RUN_SERIAL). */
#include "emp_test.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static PGconn *db;

static long long
count(const char *sql)
{
    return sf_test_pg_int(db, sql);
}

int
main(void)
{
    emp_daemons_t daemons;
    sf_client_t *client = NULL;
    if (sf_test_pg_env("employment_outage") != 0 || emp_daemons_init(&daemons) != 0)
        return sf_test_done();
    db = sf_test_pg_connect();
    /* No grid here: the reference copies are written as grid's events would. */
    if (!SF_CHECK(emp_start_employment(&daemons, NULL) != NULL))
        goto cleanup;
    SF_CHECK_EQ_INT(sf_test_pg_exec(db,
        "INSERT INTO employment.ref_unit VALUES ('37020500100101', 4, '一片区', '370205001001', 36.1, 120.37, 1);"
        "INSERT INTO employment.ref_household VALUES ('370205001001011001', '37020500100101', '{}', 1);"
        "INSERT INTO employment.ref_resident SELECT 'R000000' || i, '370205001001011001', '居民' || i, 2,"
        " DATE '1980-01-01', 1 FROM generate_series(1, 6) i"), 0);
    client = emp_client(daemons.employment_endpoint, "centre", "district", "");
    emp_result_t r;
    memset(&r, 0, sizeof r);
    SF_CHECK_EQ_INT(emp_jcall(client, "employment", "PersonRegister", &r,
                              "{\"resident_id\":\"R0000001\",\"status\":\"LABOR_STATUS_UNEMPLOYED\"}"), SF_OK);

    PQfinish(db);
    db = NULL;
    SF_CHECK_EQ_INT(sf_test_pg_run("stop"), 0);
    sf_client_set_timeout(client, 5000);
    SF_CHECK_EQ_INT(emp_jcall(client, "employment", "PersonRegister", &r,
                              "{\"resident_id\":\"R0000002\",\"status\":\"LABOR_STATUS_UNEMPLOYED\"}"), SF_UNAVAILABLE);
    SF_CHECK_EQ_INT(emp_jcall(client, "employment", "ImportBatch", &r,
                              "{\"system\":\"qd\",\"text\":\"{\\\"external_id\\\":\\\"a\\\",\\\"person\\\":{\\\"resident_id\\\":"
                              "\\\"R0000003\\\",\\\"status\\\":\\\"LABOR_STATUS_UNEMPLOYED\\\"}}\"}"), SF_UNAVAILABLE);
    SF_CHECK_EQ_INT(emp_jcall(client, "employment", "PersonGet", &r, "{\"resident_id\":\"R0000001\"}"), SF_UNAVAILABLE);
    SF_CHECK(sf_test_daemon_running(daemons.employment));
    SF_CHECK_EQ_INT(sf_test_pg_run("start"), 0);
    db = sf_test_pg_connect();
    if (!SF_CHECK(db != NULL))
        goto cleanup;

    /* Back: the same requests go through (the daemon reconnects by itself). */
    sf_status_t status = SF_UNAVAILABLE;
    for (int i = 0; i < 100 && status == SF_UNAVAILABLE; i++) {
        status = emp_jcall(client, "employment", "PersonGet", &r, "{\"resident_id\":\"R0000001\"}");
        if (status == SF_UNAVAILABLE)
            usleep(100000);
    }
    SF_CHECK_EQ_INT(status, SF_OK);
    SF_CHECK_EQ_INT(emp_jcall(client, "employment", "PersonRegister", &r,
                              "{\"resident_id\":\"R0000002\",\"status\":\"LABOR_STATUS_UNEMPLOYED\"}"), SF_OK);
    const char *lines = "{\\\"external_id\\\":\\\"a\\\",\\\"person\\\":{\\\"resident_id\\\":\\\"R0000003\\\","
                        "\\\"status\\\":\\\"LABOR_STATUS_UNEMPLOYED\\\"}}\\n{\\\"external_id\\\":\\\"b\\\",\\\"person\\\":"
                        "{\\\"resident_id\\\":\\\"R0000004\\\",\\\"status\\\":\\\"LABOR_STATUS_UNEMPLOYED\\\"}}";
    SF_CHECK_EQ_INT(emp_jcall(client, "employment", "ImportBatch", &r, "{\"system\":\"qd\",\"text\":\"%s\"}", lines), SF_OK);
    SF_CHECK_EQ_INT(emp_json_int(r.reply, "created"), 2);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM employment.person"), 4);
    SF_CHECK_EQ_INT(count("SELECT sum(events) FROM employment.event_log WHERE type = 'person.registered'"), 4);
    emp_result_release(&r);
cleanup:
    sf_client_destroy(&client);
    emp_daemons_cleanup(&daemons);
    if (db)
        PQfinish(db);
    return sf_test_done();
}
