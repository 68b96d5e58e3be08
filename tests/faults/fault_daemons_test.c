/* Faults under concurrent load, each bounded: every daemon (grid, intake,
 * employment, volunteer, evaluation, the gateway) SIGKILLed and started
 * again while writers keep writing to all of them (and through the
 * gateway); then evaluation, the consumer, stopped for a while and started
 * again. After each: every acknowledged write is there exactly once, nothing
 * unacknowledged is half-written, and evaluation's figures converge to those
 * computed from the sources. Prints the summary table. */
#include "fault_load.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hs_suite_t suite;
#define ALL_KINDS ((1u << FL_KINDS) - 1)

/* Lets the writers get going (or time pass) before the fault. */
static void
warm_up(fl_load_t *load, long acknowledged, int max_ms)
{
    for (int waited = 0; waited < max_ms && fl_acknowledged(load) < acknowledged; waited += 50)
        fl_pause_ms(50);
}

static void
kill_and_restart(int service)
{
    char fault[48];
    snprintf(fault, sizeof fault, "kill_%s", service < 0 ? "gateway" : hs_services[service]);
    fl_load_t *load = fl_start(&suite, fault, ALL_KINDS);
    warm_up(load, 60, 3000);
    if (service < 0)
        sf_test_daemon_kill(&suite.gateway);
    else
        hs_kill(&suite, service);
    fl_pause_ms(800);
    SF_CHECK(service < 0 ? hs_start_gateway(&suite) : hs_start(&suite, service));
    long before = fl_acknowledged(load);
    warm_up(load, before + 60, 3000);
    fl_finish(&load);
    fl_converged(&suite, 30000);
}

int
main(void)
{
    if (!hs_init(&suite, "fault_daemons_test", false, NULL) || !hs_start_all(&suite) || !hs_load_district(&suite))
        goto done;
    char key[128];
    if (!SF_CHECK(hs_api_key(&suite, "fault-writer", "admin", "", key, sizeof key) && hs_start_gateway(&suite)))
        goto done;
    fl_set_gateway_key(key);
    for (int s = 0; s < HS_N; s++)
        kill_and_restart(s);
    kill_and_restart(-1);

    /* The consumer away for a while: the sources go on; it catches up. */
    fl_load_t *load = fl_start(&suite, "stop_evaluation", ALL_KINDS & ~(1u << FL_KPI));
    warm_up(load, 60, 3000);
    hs_stop(&suite, HS_EVALUATION);
    fl_pause_ms(3000);
    SF_CHECK(hs_start(&suite, HS_EVALUATION));
    fl_pause_ms(500);
    fl_finish(&load);
    fl_converged(&suite, 30000);

    SF_CHECK_EQ_INT(fl_summary(), 0);
done:
    hs_finish(&suite);
    return sf_test_done();
}
