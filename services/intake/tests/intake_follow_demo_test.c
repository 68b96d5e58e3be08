/* The demo district's follow-through (sifang-intake-demo-follow) through the
 * real grid and intake daemons, small (scale 0.02): grid's demo loader,
 * intake's, then the follow-through loader with the 2027 calendar file, and
 * what an official would check in intake's tables: cases reopened after an
 * unsatisfactory return visit (some closed at a second one), complaints,
 * the supervision ladder on cases past due, first responders' follow-ups
 * (some within a working day of the miss, as the case says), meetings of
 * the three new kinds with their matters as cases, the people concerned
 * told in their inboxes, the 2027 calendar as the file says; a second run
 * adds nothing. */
#include "sf_config.h"
#include "sf_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCALE "0.02"

static char dir[256];
static PGconn *conn;
static char *grid_endpoint, *grid_publish, *intake_endpoint, *intake_publish;
static char env_lines[10][200];
static const char *env[11];

static sf_test_daemon_t *
start(const char *service)
{
    char path[512], log_path[512], url[96];
    sf_test_service_path(path, sizeof path, service);
    snprintf(log_path, sizeof log_path, "%s/%s.log", dir, service);
    snprintf(url, sizeof url, "SIFANG_%s_DATABASE_URL=user=sifang_%s", strcmp(service, "grid") ? "INTAKE" : "GRID",
             service);
    const char *own[16] = { url };
    size_t n = 1;
    for (size_t i = 0; env[i]; i++)
        own[n++] = env[i];
    own[n] = NULL;
    sf_test_daemon_t *daemon = sf_test_daemon_start(path, own, log_path);
    if (!SF_CHECK(daemon && sf_test_daemon_wait_ready(daemon, 20000) == 0))
        printf("%s did not start: see %s\n", service, log_path);
    return daemon;
}

/* Runs a loader to its end: its exit status, or -1. */
static int
run_loader(const char *const argv[], const char *name)
{
    char log_path[512];
    snprintf(log_path, sizeof log_path, "%s/%s.log", dir, name);
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

/* What the follow-through left, as one line of figures. */
static void
figures(char *out, size_t size)
{
    snprintf(out, size, "%lld steps (%lld reopened, %lld complaints, %lld reminded, %lld supervised, %lld referred,"
             " %lld followed up), %lld meetings, %lld notices, %lld calendar days of 2027",
             count("SELECT count(*) FROM intake.case_history"),
             count("SELECT count(*) FROM intake.case_history WHERE action = 33"),
             count("SELECT count(*) FROM intake.case_history WHERE action = 34"),
             count("SELECT count(*) FROM intake.case_history WHERE action = 30"),
             count("SELECT count(*) FROM intake.case_history WHERE action = 31"),
             count("SELECT count(*) FROM intake.case_history WHERE action = 32"),
             count("SELECT count(*) FROM intake.case_history WHERE action = 35"),
             count("SELECT count(*) FROM intake.community_meeting"), count("SELECT count(*) FROM intake.notice"),
             count("SELECT count(*) FROM intake.calendar_exception WHERE day BETWEEN '2027-01-01' AND '2027-12-31'"));
}

static void
check_follow_through(void)
{
    /* 零误差: reopened, and some closed at a second return visit after it. */
    SF_CHECK(count("SELECT count(*) FROM intake.case_history WHERE action = 33") >= 2);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.intake_case WHERE rework_count <>"
                          " (SELECT count(*) FROM intake.case_history h WHERE h.case_id = intake_case.id"
                          "   AND h.action IN (33, 34))"), 0);
    SF_CHECK(count("SELECT count(*) FROM intake.intake_case c WHERE c.status = 6 AND c.rework_count > 0") >= 1);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.intake_case c WHERE c.status = 6 AND c.rework_count > 0"
                          " AND c.satisfaction <= 2"), 0);
    SF_CHECK(count("SELECT count(*) FROM intake.intake_case WHERE complaint_count > 0 AND status = 4") >= 1);
    /* The ladder: 督办 only of cases past due at the time, 提级督办 recorded
     * with where it went; a supervision level for each. */
    SF_CHECK(count("SELECT count(*) FROM intake.case_history WHERE action = 30") >= 1);
    SF_CHECK(count("SELECT count(*) FROM intake.case_history WHERE action = 31") >= 1);
    SF_CHECK(count("SELECT count(*) FROM intake.case_history WHERE action = 32") >= 1);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.case_history h JOIN intake.intake_case c ON c.id = h.case_id"
                          " WHERE h.action = 31 AND NOT (c.due_at < h.at OR c.overdue)"), 0);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.intake_case WHERE supervision_level = 3 AND referred_to = ''"),
                    0);
    /* 首问负责: follow-ups by the first responder only; some in time. */
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.case_history h JOIN intake.intake_case c ON c.id = h.case_id"
                          " WHERE h.action = 35 AND h.actor_id <> c.first_responder_id"), 0);
    long long in_time = count("SELECT count(*) FROM intake.intake_case WHERE followed_up_in_time");
    long long late = count("SELECT count(*) FROM intake.intake_case WHERE followed_up_at IS NOT NULL"
                           " AND NOT followed_up_in_time");
    printf("follow-ups: %lld in time, %lld not\n", in_time, late);
    SF_CHECK(in_time >= 1);
    SF_CHECK(late >= 1);
    /* intake_due reads intake's working days. */
    SF_CHECK_EQ_INT(sf_test_pg_exec(conn, "SET search_path = intake, public"), 0);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.intake_case WHERE followed_up_in_time"
                          " AND NOT (followed_up_at >= missed_at"
                          "          AND followed_up_at <= intake.intake_due(missed_at, 1, 1::smallint, 'Asia/Shanghai'))"),
                    0);
    /* The new meetings, each with its matter followed as a case. */
    for (int kind = 4; kind <= 6; kind++) {
        char sql[300];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.community_meeting m WHERE m.kind = %d"
                 " AND EXISTS (SELECT 1 FROM intake.intake_case c WHERE c.meeting_id = m.id)", kind);
        SF_CHECK(count(sql) >= 1);
    }
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.community_meeting WHERE kind = 6"
                          " AND length(community_code) <> 9"), 0);
    /* The people concerned are told: the reopened cases' assignees, the
     * supervised cases' first responders. */
    SF_CHECK(count("SELECT count(*) FROM intake.notice WHERE kind = 7") >= 1);
    SF_CHECK(count("SELECT count(*) FROM intake.notice WHERE kind = 8") >= 1);
    SF_CHECK(count("SELECT count(*) FROM intake.notice WHERE reason = 'first_responder'") >= 1);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.notice n JOIN intake.case_history h"
                          " ON h.case_id = n.case_id AND h.seq = n.case_seq WHERE n.recipient_id = h.actor_id"), 0);
    /* The 2027 calendar as its file says: its weekday holidays. */
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.calendar_exception WHERE day BETWEEN '2027-01-01'"
                          " AND '2027-12-31' AND NOT working"), 7);
}

/* Grid's staff id of a row of grid.staff s (grid_staff.c). */
#define GRID_STAFF_ID "('S' || lpad(s.serial::text, 5, '0'))"

/* Grid's demo names every community's and street's head (负责人) and
 * reviewer (审核人): the sweep's escalations went to the head of the unit
 * escalated to, never to a unit alone, and the replies reviewed (审核) were
 * signed by the case's community's reviewer (or head, of the reviewer's own
 * reply). */
static void
check_heads(void)
{
    long long escalated = count("SELECT count(*) FROM intake.intake_case WHERE escalated_to <> ''");
    long long reviewed = count("SELECT count(*) FROM intake.case_history WHERE action = 24");
    printf("escalated: %lld cases, reviewed: %lld replies\n", escalated, reviewed);
    SF_CHECK(escalated >= 1 && reviewed >= 1);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.intake_case c WHERE c.escalated_to <> ''"
                          " AND NOT EXISTS (SELECT 1 FROM grid.responsibility r JOIN grid.staff s"
                          "   ON s.serial = r.staff_serial WHERE r.unit_code = c.escalated_to AND r.kind = 5"
                          "   AND " GRID_STAFF_ID " = c.escalated_person_id)"),
                    0);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM intake.case_history h JOIN intake.intake_case c ON c.id = h.case_id"
                          " WHERE h.action = 24 AND length(c.unit_code) >= 12 AND h.actor_id NOT IN"
                          " (SELECT " GRID_STAFF_ID " FROM grid.responsibility r JOIN grid.staff s"
                          "   ON s.serial = r.staff_serial WHERE r.unit_code = left(c.unit_code, 12)"
                          "   AND r.kind IN (5, 6))"), 0);
}

int
main(void)
{
    if (sf_test_pg_env("intake_follow_demo_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    conn = sf_test_pg_connect();
    grid_endpoint = sf_test_ipc_endpoint(dir, "grid.router");
    grid_publish = sf_test_ipc_endpoint(dir, "grid.pub");
    intake_endpoint = sf_test_ipc_endpoint(dir, "intake.router");
    intake_publish = sf_test_ipc_endpoint(dir, "intake.pub");
    size_t n = 0;
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_GRID_PUBLISH=%s", grid_publish);
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_INTAKE_ENDPOINT=%s", intake_endpoint);
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_INTAKE_PUBLISH=%s", intake_publish);
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_INTAKE_GRID_POLL_MS=200");
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_INTAKE_VOLUNTEER=false");
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_INTAKE_IMPORT_GRACE_S=0");
    /* The loaders sweep when they are done; the timer stays out of the way. */
    snprintf(env_lines[n++], sizeof env_lines[0], "SIFANG_INTAKE_SWEEP_MS=86400000");
    for (size_t i = 0; i < n; i++)
        env[i] = env_lines[i];
    env[n] = NULL;
    sf_test_daemon_t *grid = NULL, *intake = NULL;
    if (!SF_CHECK(conn && grid_endpoint && intake_endpoint) || !(grid = start("grid")) || !(intake = start("intake")))
        goto cleanup;
    char grid_loader[512], intake_loader[512], follow_loader[512], calendar[512];
    snprintf(grid_loader, sizeof grid_loader, "%s/tools/sifang-demo-load", sf_test_binary_dir());
    snprintf(intake_loader, sizeof intake_loader, "%s/services/intake/sifang-intake-demo-load", sf_test_binary_dir());
    snprintf(follow_loader, sizeof follow_loader, "%s/services/intake/sifang-intake-demo-follow", sf_test_binary_dir());
    snprintf(calendar, sizeof calendar, "%s/services/intake/calendar/2027.txt", sf_test_source_dir());
    const char *grid_argv[] = { grid_loader, "--scale", SCALE, NULL };
    const char *intake_argv[] = { intake_loader, "--scale", SCALE, "--wait", "120", NULL };
    const char *follow_argv[] = { follow_loader, "--calendar", calendar, NULL };
    if (!SF_CHECK_EQ_INT(run_loader(grid_argv, "grid-demo"), 0)
        || !SF_CHECK_EQ_INT(run_loader(intake_argv, "intake-demo"), 0)
        || !SF_CHECK_EQ_INT(run_loader(follow_argv, "follow"), 0))
        goto cleanup;
    check_follow_through();
    check_heads();
    /* Again: nothing new. */
    char before[600], after[600];
    figures(before, sizeof before);
    SF_CHECK_EQ_INT(run_loader(follow_argv, "follow-again"), 0);
    figures(after, sizeof after);
    SF_CHECK_EQ_STR(after, before);
    printf("follow-through: %s\n", after);
cleanup:
    if (intake)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&intake), 0);
    if (grid)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);
    free(grid_endpoint);
    free(grid_publish);
    free(intake_endpoint);
    free(intake_publish);
    if (conn)
        PQfinish(conn);
    sf_test_rmtree(dir);
    return sf_test_done();
}
