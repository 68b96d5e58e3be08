/* The civil affairs bureau's own intake for the hand-off's browser test
 * (workbench_handoff.h). It runs as the suite's intake does: the intake
 * role, CURVE on the suite's allowlist. On the test's one machine it serves
 * with intake's key, so that the two intakes know each other by the public
 * key the allowlist admits as the service intake. */
#include "workbench_handoff.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
pause_ms(int ms)
{
    struct timespec pause = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

bool
wb_handoff_prepare(wb_handoff_t *handoff, hs_suite_t *suite, int at)
{
    memset(handoff, 0, sizeof *handoff);
    char *router = sf_test_ipc_endpoint(suite->dir, "intake-civil.router");
    char *pub = sf_test_ipc_endpoint(suite->dir, "intake-civil.pub");
    bool ok = router && pub;
    if (ok) {
        snprintf(handoff->endpoint, sizeof handoff->endpoint, "%s", router);
        snprintf(handoff->publish, sizeof handoff->publish, "%s", pub);
    }
    free(router);
    free(pub);
    if (!SF_CHECK(ok))
        return false;
    snprintf(handoff->peers[0], sizeof handoff->peers[0], "SIFANG_INTAKE_HANDOFF_PEERS=" WB_BUREAU);
    snprintf(handoff->peers[1], sizeof handoff->peers[1], "SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_ENDPOINT=%s",
             handoff->endpoint);
    snprintf(handoff->peers[2], sizeof handoff->peers[2],
             "SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_PUBLIC_KEY_FILE=%s/intake.pub", suite->dir);
    for (int i = 0; i < 3; i++)
        suite->daemons[HS_INTAKE].extra[at + i] = handoff->peers[i];
    return true;
}

bool
wb_handoff_start(wb_handoff_t *handoff, hs_suite_t *suite)
{
    if (!SF_CHECK_EQ_INT(sf_test_pg_exec(suite->db, "CREATE SCHEMA IF NOT EXISTS " WB_BUREAU_SCHEMA
                                                    " AUTHORIZATION sifang_intake"), 0))
        return false;
    /* The test compares the page with the rows as the superuser (psql):
     * who that is, for its PGUSER (the daemons name their own roles). */
    setenv("WB_SQL_USER", PQuser(suite->db), 1);
    const hs_daemon_t *grid = &suite->daemons[HS_GRID], *district = &suite->daemons[HS_INTAKE];
    char lines[14][600];
    int n = 0;
    snprintf(lines[n++], 600, "SIFANG_INSTANCE=" WB_BUREAU);
    snprintf(lines[n++], 600, "SIFANG_INTAKE_SCHEMA=" WB_BUREAU_SCHEMA);
    snprintf(lines[n++], 600, "SIFANG_INTAKE_DATABASE_URL=user=sifang_intake");
    snprintf(lines[n++], 600, "SIFANG_INTAKE_ENDPOINT=%s", handoff->endpoint);
    snprintf(lines[n++], 600, "SIFANG_INTAKE_PUBLISH=%s", handoff->publish);
    snprintf(lines[n++], 600, "SIFANG_GRID_ENDPOINT=%s", grid->endpoint);
    snprintf(lines[n++], 600, "SIFANG_GRID_PUBLISH=%s", grid->publish);
    snprintf(lines[n++], 600, "SIFANG_GRID_PUBLIC_KEY_FILE=%s/grid.pub", suite->dir);
    snprintf(lines[n++], 600, "SIFANG_CURVE_SECRET_KEY_FILE=%s/intake.key", suite->dir);
    snprintf(lines[n++], 600, "SIFANG_CURVE_ALLOWLIST=%s/allowlist", suite->dir);
    snprintf(lines[n++], 600, "SIFANG_INTAKE_HANDOFF_PEERS=intake");
    snprintf(lines[n++], 600, "SIFANG_HANDOFF_INTAKE_ENDPOINT=%s", district->endpoint);
    snprintf(lines[n++], 600, "SIFANG_HANDOFF_INTAKE_PUBLIC_KEY_FILE=%s/intake.pub", suite->dir);
    const char *env[24];
    for (int i = 0; i < n; i++)
        env[i] = lines[i];
    env[n++] = "SIFANG_INTAKE_REGISTRATION_PREFIX=MZ";
    env[n++] = "SIFANG_INTAKE_VOLUNTEER=false";
    env[n++] = "SIFANG_INTAKE_EMPLOYMENT=false";
    env[n++] = "SIFANG_INTAKE_GRID_POLL_MS=200";
    env[n++] = "SIFANG_INTAKE_IMPORT_GRACE_S=0";
    env[n] = NULL;
    char path[512];
    if (!SF_CHECK(sf_test_service_path(path, sizeof path, "intake") == 0))
        return false;
    snprintf(handoff->log, sizeof handoff->log, "%s/intake-civil-affairs.log", suite->dir);
    handoff->intake = sf_test_daemon_start(path, env, handoff->log);
    if (handoff->intake && sf_test_daemon_wait_ready(handoff->intake, 30000) == 0)
        return true;
    SF_FAIL("the bureau's intake did not start (log %s)", handoff->log);
    if (handoff->intake)
        sf_test_daemon_kill(&handoff->intake);
    return false;
}

void
wb_handoff_gateway_settings(wb_handoff_t *handoff, hs_suite_t *suite)
{
    int free_slot = 0;
    while (free_slot < 7 && suite->gateway_extra[free_slot])
        free_slot++;
    const char *services = "grid intake employment volunteer evaluation";
    for (int i = 0; i < free_slot; i++)
        if (strncmp(suite->gateway_extra[i], "SIFANG_GATEWAY_SERVICES=", 24) == 0) {
            services = suite->gateway_extra[i] + 24;
            suite->gateway_extra[i] = handoff->settings[0];
        }
    char line[400];
    snprintf(line, sizeof line, "SIFANG_GATEWAY_SERVICES=%s " WB_BUREAU, services);
    snprintf(handoff->settings[0], sizeof handoff->settings[0], "%s", line);
    snprintf(handoff->settings[1], sizeof handoff->settings[1], "SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT=%s",
             handoff->endpoint);
    snprintf(handoff->settings[2], sizeof handoff->settings[2],
             "SIFANG_INTAKE_CIVIL_AFFAIRS_PUBLIC_KEY_FILE=%s/intake.pub", suite->dir);
    bool replaced = false;
    for (int i = 0; i < free_slot; i++)
        replaced = replaced || suite->gateway_extra[i] == handoff->settings[0];
    for (int i = replaced ? 1 : 0; i < 3 && free_slot < 7; i++)
        suite->gateway_extra[free_slot++] = handoff->settings[i];
}

bool
wb_handoff_wait_district(const wb_handoff_t *handoff, hs_suite_t *suite)
{
    (void) handoff;
    const char *sql = "SELECT (SELECT count(*) FROM " WB_BUREAU_SCHEMA ".ref_household)"
                      " - (SELECT count(*) FROM intake.ref_household)";
    for (int i = 0; i < 300; i++) {
        if (sf_test_pg_int(suite->db, sql) == 0
            && sf_test_pg_int(suite->db, "SELECT count(*) FROM intake.ref_household") > 0)
            return true;
        pause_ms(100);
    }
    return SF_FAIL("the bureau's intake has not the district's households after 30 s");
}

void
wb_handoff_stop(wb_handoff_t *handoff)
{
    if (handoff->intake && !SF_CHECK_EQ_INT(sf_test_daemon_stop(&handoff->intake), 0))
        printf("the bureau's intake did not exit 0 on SIGTERM (log %s)\n", handoff->log);
}
