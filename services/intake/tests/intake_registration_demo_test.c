/* The demo district's registrations (sifang-intake-demo-registrations)
 * through the real grid, intake, employment and volunteer daemons, small
 * (scale 0.02): grid's demo loader, then the registrations loader, and what
 * an official would check, in the services' own tables: every registration
 * answered; employment's people and the registry's volunteers made from
 * them equal to the cases' registrations; at least one linked and one
 * refused for each service, the refused cases back in progress with the
 * reason, the linked ones closed after their return visit; each case one
 * answer step and one link row in its service; a second run adds nothing. */
#include "sf_config.h"
#include "sf_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCALE "0.02"
#define SEED "7"

static char dir[256];
static PGconn *conn;

typedef struct {
    const char *service;
    char *endpoint, *publish;
    sf_test_daemon_t *daemon;
} daemon_t;

static daemon_t grid = { .service = "grid" }, intake = { .service = "intake" },
                employment = { .service = "employment" }, volunteer = { .service = "volunteer" };
static daemon_t *const daemons[] = { &grid, &intake, &employment, &volunteer };
#define N_DAEMONS (sizeof daemons / sizeof *daemons)
static char env_lines[2 * N_DAEMONS + 8][200];
static const char *env[2 * N_DAEMONS + 9];

static void
upper(const char *service, char *out, size_t size)
{
    size_t i = 0;
    for (; service[i] && i + 1 < size; i++)
        out[i] = (char) (service[i] >= 'a' && service[i] <= 'z' ? service[i] - 32 : service[i]);
    out[i] = 0;
}

/* Every daemon's endpoints, for the daemons (followers) and the loaders. */
static void
set_env(void)
{
    size_t n = 0;
    for (size_t d = 0; d < N_DAEMONS; d++) {
        char name[32];
        upper(daemons[d]->service, name, sizeof name);
        snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_%s_ENDPOINT=%s", name, daemons[d]->endpoint);
        snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_%s_PUBLISH=%s", name, daemons[d]->publish);
    }
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_INTAKE_GRID_POLL_MS=200");
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_INTAKE_VOLUNTEER_POLL_MS=200");
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_EMPLOYMENT_GRID_POLL_MS=200");
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_VOLUNTEER_GRID_POLL_MS=200");
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_VOLUNTEER_INTAKE_POLL_MS=200");
    for (size_t i = 0; i < n; i++)
        env[i] = env_lines[i];
    env[n] = NULL;
}

static sf_test_daemon_t *
start(const daemon_t *d)
{
    char path[512], log_path[512], url[96], name[32];
    sf_test_service_path(path, sizeof path, d->service);
    snprintf(log_path, sizeof log_path, "%s/%s.log", dir, d->service);
    upper(d->service, name, sizeof name);
    /* Each daemon as its own role, as deployed. */
    snprintf(url, sizeof url, "SIFANG_%s_DATABASE_URL=user=sifang_%s", name, d->service);
    const char *own[2 * N_DAEMONS + 12] = { url };
    size_t n = 1;
    for (size_t i = 0; env[i]; i++)
        own[n++] = env[i];
    own[n] = NULL;
    sf_test_daemon_t *daemon = sf_test_daemon_start(path, own, log_path);
    if (!SF_CHECK(daemon && sf_test_daemon_wait_ready(daemon, 20000) == 0))
        printf("%s did not start: see %s\n", d->service, log_path);
    return daemon;
}

/* Runs a loader to its end: its exit status, or -1. */
static int
run_loader(const char *path, const char *name)
{
    char log_path[512];
    snprintf(log_path, sizeof log_path, "%s/%s.log", dir, name);
    const char *argv[] = { path, "--seed", SEED, "--scale", SCALE, NULL };
    int64_t started = sf_clock_ms();
    sf_test_daemon_t *loader = sf_test_daemon_start_argv(argv, env, log_path);
    if (!SF_CHECK(loader != NULL))
        return -1;
    int64_t until = sf_clock_ms() + 240000;
    while (sf_test_daemon_running(loader) && sf_clock_ms() < until)
        usleep(100 * 1000);
    int rc = sf_test_daemon_stop(&loader);
    char tail[700];
    snprintf(tail, sizeof tail, "tail -n 3 '%s'", log_path);
    printf("%s: exit %d in %.1f s\n", name, rc, (double) (sf_clock_ms() - started) / 1000.0);
    SF_IGNORE(system(tail));
    return rc;
}

static long long
count(const char *sql)
{
    return sf_test_pg_int(conn, sql);
}

/* What the registrations left, as one line of figures (for the second
 * run: the same). */
static void
figures(char *out, size_t size)
{
    snprintf(out, size, "%lld cases, %lld answer steps, %lld employment links, %lld volunteer links, %lld people,"
             " %lld volunteers",
             count("SELECT count(*) FROM intake.case_registration"),
             count("SELECT count(*) FROM intake.case_history WHERE action IN (45, 46)"),
             count("SELECT count(*) FROM employment.case_registration"),
             count("SELECT count(*) FROM volunteer.case_registration"),
             count("SELECT count(*) FROM employment.person"), count("SELECT count(*) FROM volunteer.volunteer"));
}

static void
check_registrations(void)
{
    /* Every registration answered, each once. */
    SF_CHECK(count("SELECT count(*) FROM intake.case_registration") >= 10);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.case_registration WHERE state NOT IN (3, 4)"), 0);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.case_registration r WHERE (SELECT count(*)"
                          " FROM intake.case_history h WHERE h.case_id = r.case_id AND h.action IN (45, 46)) <> 1"), 0);
    /* Employment: the people made or updated are the cases' registrations. */
    long long linked = count("SELECT count(*) FROM intake.case_registration WHERE service = 'employment' AND state = 3");
    long long refused = count("SELECT count(*) FROM intake.case_registration WHERE service = 'employment' AND state = 4");
    printf("employment: %lld linked, %lld refused\n", linked, refused);
    SF_CHECK(linked >= 1);
    SF_CHECK(refused >= 1);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.case_registration r"
                          " JOIN employment.person p ON p.resident_id = r.linked_id"
                          " JOIN employment.ref_resident g ON g.id = r.resident_id"
                          " WHERE r.service = 'employment' AND r.state = 3 AND g.name = r.name"
                          "   AND g.birth_date = r.birth_date AND g.gender = r.gender"
                          "   AND g.household_code = r.household_code AND p.status = r.labor_status"
                          "   AND p.seeking_work = r.seeking_work AND p.difficulties::int[] @> r.difficulties::int[]"),
                    linked);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.case_registration r JOIN employment.case_registration e"
                          " ON e.case_ref = 'intake/' || r.case_id AND e.resident_id = r.resident_id"
                          " WHERE r.service = 'employment' AND ((r.state = 3 AND e.outcome IN (1, 2)"
                          "   AND e.outcome = CASE WHEN r.created THEN 1 ELSE 2 END)"
                          "   OR (r.state = 4 AND e.outcome = 3 AND e.refusal = r.refusal))"), linked + refused);
    /* The registry: the volunteers are the members, in the community
     * reported to, in service, with their organisation. */
    long long members = count("SELECT count(*) FROM intake.case_registration WHERE service = 'volunteer' AND state = 3");
    long long turned = count("SELECT count(*) FROM intake.case_registration WHERE service = 'volunteer' AND state = 4");
    printf("volunteer: %lld linked, %lld refused\n", members, turned);
    SF_CHECK(members >= 1);
    SF_CHECK(turned >= 1);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.case_registration r"
                          " JOIN intake.intake_case c ON c.id = r.case_id"
                          " JOIN volunteer.volunteer v ON 'V' || lpad(v.serial::text, 6, '0') = r.linked_id"
                          " JOIN volunteer.ref_resident g ON g.id = v.resident_id"
                          " WHERE r.service = 'volunteer' AND r.state = 3 AND v.resident_id = r.resident_id"
                          "   AND v.community_code = left(c.unit_code, 12) AND v.in_service"
                          "   AND v.party_organisation = r.party_organisation AND g.party_member"
                          "   AND g.name = r.name AND g.household_code = r.household_code"), members);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.case_registration r JOIN volunteer.case_registration e"
                          " ON e.case_ref = 'intake/' || r.case_id AND e.resident_id = r.resident_id"
                          " WHERE r.service = 'volunteer' AND ((r.state = 3 AND e.outcome IN (1, 2))"
                          "   OR (r.state = 4 AND e.outcome = 3 AND e.refusal = r.refusal))"), members + turned);
    /* Refused: back with the handler, the reason on the case; linked:
     * closed after the return visit. */
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.case_registration r JOIN intake.intake_case c ON c.id = r.case_id"
                          " WHERE r.state = 4 AND (c.status <> 4 OR r.refusal = '')"), 0);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.case_registration r JOIN intake.intake_case c ON c.id = r.case_id"
                          " WHERE r.state = 3 AND c.status <> 6"), 0);
}

int
main(void)
{
    if (sf_test_pg_env("intake_registration_demo_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    conn = sf_test_pg_connect();
    for (size_t d = 0; d < N_DAEMONS; d++) {
        char name[64];
        snprintf(name, sizeof name, "%s.router", daemons[d]->service);
        daemons[d]->endpoint = sf_test_ipc_endpoint(dir, name);
        snprintf(name, sizeof name, "%s.pub", daemons[d]->service);
        daemons[d]->publish = sf_test_ipc_endpoint(dir, name);
    }
    set_env();
    bool up = conn != NULL;
    for (size_t d = 0; d < N_DAEMONS && up; d++)
        up = (daemons[d]->daemon = start(daemons[d])) != NULL;
    if (!SF_CHECK(up))
        goto cleanup;
    char path[512];
    snprintf(path, sizeof path, "%s/tools/sifang-demo-load", sf_test_binary_dir());
    if (!SF_CHECK_EQ_INT(run_loader(path, "grid-demo"), 0))
        goto cleanup;
    snprintf(path, sizeof path, "%s/services/intake/sifang-intake-demo-registrations", sf_test_binary_dir());
    if (!SF_CHECK_EQ_INT(run_loader(path, "registrations"), 0))
        goto cleanup;
    check_registrations();
    /* Again: every request a repeat, nothing new. */
    char before[400], after[400];
    figures(before, sizeof before);
    SF_CHECK_EQ_INT(run_loader(path, "registrations-again"), 0);
    figures(after, sizeof after);
    SF_CHECK_EQ_STR(after, before);
    printf("registrations: %s\n", after);
cleanup:
    for (size_t d = N_DAEMONS; d-- > 0;)
        if (daemons[d]->daemon)
            SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemons[d]->daemon), 0);
    for (size_t d = 0; d < N_DAEMONS; d++) {
        free(daemons[d]->endpoint);
        free(daemons[d]->publish);
    }
    if (conn)
        PQfinish(conn);
    sf_test_rmtree(dir);
    return sf_test_done();
}
