/* PostgreSQL restarted under concurrent load to every service: the daemons
 * answer UNAVAILABLE meanwhile and reconnect; writers retry with their
 * request ids. Afterwards every acknowledged write is there exactly once,
 * nothing unacknowledged is half-written, and evaluation's figures converge
 * to the sources'. RUN_SERIAL: it restarts the shared test cluster. */
#include "fault_load.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hs_suite_t suite;

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
done:
    hs_finish(&suite);
    return sf_test_done();
}
