/* The civil affairs bureau's own intake for the hand-off's browser test
 * (workbench/e2e/handoff.test.mjs): intake@civil-affairs beside the suite's
 * intake, as scripts/up.sh runs it (deploy/services.txt): its own schema
 * (intake_civil) in the suite's database, registration prefix MZ, following
 * the suite's grid; the two intakes each other's hand-off peers; the
 * gateway reaching it at /v1/instances/intake@civil-affairs/. Started only
 * for a run with that test. */
#ifndef WORKBENCH_HANDOFF_H
#define WORKBENCH_HANDOFF_H

#include "hard_suite.h"

#define WB_BUREAU "intake@civil-affairs"
#define WB_BUREAU_SCHEMA "intake_civil"

typedef struct {
    char endpoint[160], publish[160];
    char log[512];
    sf_test_daemon_t *intake;
    char peers[3][400];            /* the suite's intake's hand-off settings */
    char settings[3][400];         /* the gateway's (wb_handoff_gateway_settings) */
} wb_handoff_t;

/* Before hs_start_all: the bureau's endpoints, and the suite's intake told
 * of its peer (into its extra settings from index at; 3 of them). */
bool wb_handoff_prepare(wb_handoff_t *handoff, hs_suite_t *suite, int at);
/* After hs_start_all: the bureau's schema made and its intake started. */
bool wb_handoff_start(wb_handoff_t *handoff, hs_suite_t *suite);
/* Before hs_start_gateway: the settings that reach the bureau (into
 * suite->gateway_extra at its first free slot; a SIFANG_GATEWAY_SERVICES
 * already there gets the bureau added). */
void wb_handoff_gateway_settings(wb_handoff_t *handoff, hs_suite_t *suite);
/* After hs_load_district: the bureau's copy of grid holds every household
 * the suite's intake holds. */
bool wb_handoff_wait_district(const wb_handoff_t *handoff, hs_suite_t *suite);
void wb_handoff_stop(wb_handoff_t *handoff);

#endif
