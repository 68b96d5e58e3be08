/* The demo loader of the district's money, meetings and co-building
 * deliveries (sifang-district-work-demo-load) against a real grid and
 * volunteer: grid's demo district at a small scale and a few co-buildings,
 * then the loader's two parts as up.sh runs them (grid's, then the
 * co-building deliveries). Every community has last year's 10,000 yuan and this
 * year's 27,000 with sources adding up, spending within the budget and
 * inside the twelve months; every part-time committee seat at its meetings;
 * every community's five-party and every street's joint meeting with their
 * member units, each meeting naming those of the day;
 * deliveries against the co-buildings' commitments, none before the
 * pairing began; then the loader whole again, which writes nothing more. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "demo_district.h"
#include "sf_config.h"
#include "sf_test.h"
#include "sf_client.h"
#include "sf_dates.h"
#include "sifang/v1/volunteer.pb-c.h"

/* DISTRICT_WORK_DEMO_SCALE overrides it, to time the loader on the seed's
 * district (1: 93 communities). */
#define SCALE "0.05"

static char work_dir[256];
static PGconn *db;

static int
run(const char *err_path, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int
run(const char *err_path, const char *format, ...)
{
    char command[2048], line[2400];
    va_list args;
    va_start(args, format);
    vsnprintf(command, sizeof command, format, args);
    va_end(args);
    snprintf(line, sizeof line, "%s >/dev/null 2>'%s'", command, err_path);
    int status = system(line);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
show(const char *path)
{
    char line[512];
    FILE *file = fopen(path, "r");
    while (file && fgets(line, sizeof line, file))
        fputs(line, stderr);
    if (file)
        fclose(file);
}

static long long
count(const char *format, ...) __attribute__((format(printf, 1, 2)));
static long long
count(const char *format, ...)
{
    char sql[2048];
    va_list args;
    va_start(args, format);
    vsnprintf(sql, sizeof sql, format, args);
    va_end(args);
    return sf_test_pg_int(db, sql);
}

static bool
endpoints_of(const char *service, const char *name)
{
    char file[64], variable[64];
    snprintf(file, sizeof file, "%s.router", name);
    char *endpoint = sf_test_ipc_endpoint(work_dir, file);
    snprintf(file, sizeof file, "%s.pub", name);
    char *publish = sf_test_ipc_endpoint(work_dir, file);
    bool ok = SF_CHECK(endpoint && publish);
    if (ok) {
        snprintf(variable, sizeof variable, "SIFANG_%s_ENDPOINT", service);
        setenv(variable, endpoint, 1);
        snprintf(variable, sizeof variable, "SIFANG_%s_PUBLISH", service);
        setenv(variable, publish, 1);
    }
    free(endpoint);
    free(publish);
    return ok;
}

static void
check_loaded(const demo_timeline_t *timeline)
{
    char first[16], today[16];
    snprintf(today, sizeof today, "%s", timeline->today_text);
    demo_timeline_t start;
    demo_timeline_on(&start, timeline->first_day);
    snprintf(first, sizeof first, "%s", start.today_text);
    int year = atoi(today);
    long long communities = count("SELECT count(*) FROM grid.org_unit WHERE kind = 3");
    SF_CHECK(communities > 0);
    /* Budgets: two a community, last year's 10,000 yuan, this year's 27,000,
     * the sources adding up to each. */
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.funding_budget WHERE year = %d AND budget_fen = 1000000", year - 1),
                    communities);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.funding_budget WHERE year = %d AND budget_fen = 2700000", year),
                    communities);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.funding_budget b WHERE budget_fen <> (SELECT sum(amount_fen)"
                          " FROM grid.funding_source s WHERE s.community_code = b.community_code AND s.year = b.year)"), 0);
    /* Spending: every community this year, within each budget and the history. */
    SF_CHECK_EQ_INT(count("SELECT count(DISTINCT community_code) FROM grid.funding_spending WHERE year = %d", year),
                    communities);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.funding_budget b WHERE budget_fen < (SELECT COALESCE(sum(amount_fen),"
                          " 0) FROM grid.funding_spending s WHERE s.community_code = b.community_code AND s.year = b.year)"),
                    0);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.funding_spending WHERE spent_on NOT BETWEEN '%s' AND '%s'", first,
                          today), 0);
    long long residents = count("SELECT sum(amount_fen) FILTER (WHERE purpose IN (1, 2)) * 100 / sum(amount_fen)"
                                " FROM grid.funding_spending");
    SF_CHECK(residents >= 40 && residents <= 80);
    /* Attendance: every seated community met, each meeting naming exactly
     * the seats under its unit. */
    long long seated = count("SELECT count(DISTINCT unit_code) FROM grid.responsibility WHERE kind = 4");
    SF_CHECK(seated > 0);
    SF_CHECK_EQ_INT(count("SELECT count(DISTINCT unit_code) FROM grid.meeting_attendance WHERE mechanism = 1"), seated);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.meeting_attendance a WHERE (SELECT count(*) FROM"
                          " grid.meeting_attendee m WHERE m.attendance_serial = a.serial) <> (SELECT count(DISTINCT"
                          " staff_serial) FROM grid.responsibility r WHERE r.kind = 4 AND r.unit_code LIKE a.unit_code || '%%')"),
                    0);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.meeting_attendance WHERE held_on NOT BETWEEN '%s' AND '%s'", first,
                          today), 0);
    SF_CHECK(count("SELECT count(*) FROM grid.meeting_attendance WHERE mechanism = 3") > 0);
    long long attended = count("SELECT count(*) FILTER (WHERE status = 1) * 100 / count(*) FROM grid.meeting_attendee");
    SF_CHECK(attended >= 70 && attended <= 95);
    /* The joint mechanisms: every community's five-party meeting with its
     * party committee, residents' committee and property company, every
     * street's joint meeting with its party working committee and five
     * resident units or more; each of their meetings naming exactly the
     * member units of its mechanism on the day held (a few joined or left
     * during the year), most attending, a substitute now and then. */
    long long streets = count("SELECT count(*) FROM grid.org_unit WHERE kind = 2");
    SF_CHECK_EQ_INT(count("SELECT count(DISTINCT unit_code) FROM grid.joint_member WHERE mechanism = 2 AND kind = 1"),
                    communities);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM (SELECT unit_code FROM grid.joint_member WHERE mechanism = 2"
                          " GROUP BY unit_code HAVING count(DISTINCT kind) FILTER (WHERE kind IN (1, 2, 3)) = 3) c"),
                    communities);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM (SELECT unit_code FROM grid.joint_member WHERE mechanism = 3"
                          " GROUP BY unit_code HAVING count(*) FILTER (WHERE kind = 5) >= 5"
                          " AND count(*) FILTER (WHERE kind = 1) = 1) s"), streets);
    SF_CHECK(count("SELECT count(*) FROM grid.joint_member WHERE left_on IS NOT NULL") > 0);
    SF_CHECK_EQ_INT(count("SELECT count(DISTINCT unit_code) FROM grid.meeting_attendance WHERE mechanism = 2"),
                    communities);
    SF_CHECK_EQ_INT(count("SELECT count(DISTINCT unit_code) FROM grid.meeting_attendance WHERE mechanism = 3"), streets);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM grid.meeting_attendance a WHERE a.mechanism IN (2, 3)"
                          " AND (SELECT array_agg(member_serial ORDER BY member_serial) FROM grid.meeting_member_unit m"
                          "  WHERE m.attendance_serial = a.serial)"
                          " IS DISTINCT FROM (SELECT array_agg(serial ORDER BY serial) FROM grid.joint_member j"
                          "  WHERE j.unit_code = a.unit_code AND j.mechanism = a.mechanism AND j.joined_on <= a.held_on"
                          "  AND (j.left_on IS NULL OR j.left_on > a.held_on))"), 0);
    long long units_attended = count("SELECT count(*) FILTER (WHERE status = 1) * 100 / count(*)"
                                     " FROM grid.meeting_member_unit");
    SF_CHECK(units_attended >= 75 && units_attended <= 95);
    SF_CHECK(count("SELECT count(*) FROM grid.meeting_member_unit WHERE substitute") > 0);
    printf("%lld joint member units (%lld left during the year); %lld of their attendances, %lld%% attended\n",
           count("SELECT count(*) FROM grid.joint_member"),
           count("SELECT count(*) FROM grid.joint_member WHERE left_on IS NOT NULL"),
           count("SELECT count(*) FROM grid.meeting_member_unit"), units_attended);
    /* Deliveries: some of every pairing's commitments, none before it began. */
    SF_CHECK(count("SELECT count(*) FROM volunteer.cobuilding_delivery") > 0);
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM volunteer.cobuilding_delivery d JOIN volunteer.cobuilding b"
                          " ON b.serial = d.cobuilding_serial WHERE d.delivered_on < b.since OR d.delivered_on > '%s'",
                          today), 0);
    printf("%lld communities: %lld spendings (%lld%% on residents); %lld meetings' attendance (%lld%% attended);"
           " %lld deliveries\n", communities, count("SELECT count(*) FROM grid.funding_spending"), residents,
           count("SELECT count(*) FROM grid.meeting_attendance"), attended,
           count("SELECT count(*) FROM volunteer.cobuilding_delivery"));
}

/* A few co-buildings in the first communities, a year and more ago. */
static bool
cobuildings(const demo_timeline_t *timeline)
{
    sf_client_t *volunteer = sf_client_new(getenv("SIFANG_VOLUNTEER_ENDPOINT"), NULL);
    sf_client_set_timeout(volunteer, 10000);
    sf_client_set_principal(volunteer, "demo-test", "admin", "");
    PGresult *result = PQexec(db, "SELECT code FROM grid.org_unit WHERE kind = 3 ORDER BY code LIMIT 5");
    bool ok = SF_CHECK(volunteer && PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0);
    char since[11];
    sf_date_format(timeline->first_day - 30, since);
    for (int i = 0; ok && i < PQntuples(result); i++) {
        Sifang__V1__CoBuildingCommitment people = SIFANG__V1__CO_BUILDING_COMMITMENT__INIT,
                                         money = SIFANG__V1__CO_BUILDING_COMMITMENT__INIT;
        people.kind = SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_PEOPLE;
        people.description = "职工志愿服务";
        people.quantity = 20;
        people.unit = "人次";
        money.kind = SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_MONEY;
        money.description = "活动经费";
        money.quantity = 5000;
        money.unit = "元";
        Sifang__V1__CoBuildingCommitment *commitments[] = { &people, &money };
        Sifang__V1__CoBuilding pair = SIFANG__V1__CO_BUILDING__INIT;
        pair.unit_name = "驻区单位";
        pair.community_code = PQgetvalue(result, i, 0);
        pair.commitments = commitments;
        pair.n_commitments = 2;
        pair.since = since;
        sf_reply_info_t info;
        sf_status_t status = SF_UNAVAILABLE;
        for (int attempt = 0; attempt < 100 && status != SF_OK; attempt++) {
            status = sf_client_call(volunteer, "CoBuildingCreate", NULL, &pair.base, NULL, NULL, &info);
            if (status != SF_OK)
                usleep(100 * 1000);   /* volunteer is still following grid's district */
        }
        ok = SF_CHECK_EQ_INT(status, SF_OK);
    }
    PQclear(result);
    sf_client_destroy(&volunteer);
    return ok;
}

int
main(void)
{
    sf_test_daemon_t *grid = NULL, *volunteer = NULL;
    char dbname[64], tools[512], services[512], path[512], log_path[512], err_path[512];
    snprintf(tools, sizeof tools, "%s/tools", sf_test_binary_dir());
    snprintf(services, sizeof services, "%s/services", sf_test_binary_dir());
    snprintf(dbname, sizeof dbname, "district_work_demo_%ld", (long) getpid());
    if (!SF_CHECK_EQ_INT(sf_test_tmpdir(work_dir, sizeof work_dir), 0) || !SF_CHECK_EQ_INT(sf_test_pg_env(dbname), 0)
        || !endpoints_of("GRID", "grid") || !endpoints_of("VOLUNTEER", "volunteer"))
        goto cleanup;
    snprintf(log_path, sizeof log_path, "%s/grid.log", work_dir);
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "grid"), 0))
        goto cleanup;
    grid = sf_test_daemon_start(path, NULL, log_path);
    if (!SF_CHECK(grid != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(grid, 30000), 0))
        goto cleanup;
    snprintf(err_path, sizeof err_path, "%s/district.err", work_dir);
    const char *scale = getenv("DISTRICT_WORK_DEMO_SCALE") ? getenv("DISTRICT_WORK_DEMO_SCALE") : SCALE;
    if (strspn(scale, "0123456789.") != strlen(scale) || !*scale)
        scale = SCALE;
    if (!SF_CHECK_EQ_INT(run(err_path, "'%s/sifang-demo-load' --scale %s", tools, scale), 0)) {
        show(err_path);
        goto cleanup;
    }
    snprintf(log_path, sizeof log_path, "%s/volunteer.log", work_dir);
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "volunteer"), 0))
        goto cleanup;
    const char *volunteer_env[] = { "SIFANG_VOLUNTEER_GRID_POLL_MS=100", NULL };
    volunteer = sf_test_daemon_start(path, volunteer_env, log_path);
    if (!SF_CHECK(volunteer != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(volunteer, 30000), 0))
        goto cleanup;
    db = sf_test_pg_connect();
    demo_timeline_t timeline;
    demo_timeline_today(&timeline);
    if (!SF_CHECK(db != NULL) || !cobuildings(&timeline))
        goto cleanup;
    snprintf(err_path, sizeof err_path, "%s/work.err", work_dir);
    int64_t started = sf_clock_ms();
    int rc = run(err_path, "'%s/grid/sifang-district-work-demo-load' --wait 60 --part grid", services);
    show(err_path);
    if (!SF_CHECK_EQ_INT(rc, 0))
        goto cleanup;
    SF_CHECK_EQ_INT(count("SELECT count(*) FROM volunteer.cobuilding_delivery"), 0);
    rc = run(err_path, "'%s/grid/sifang-district-work-demo-load' --wait 60 --part cobuilding", services);
    int64_t took = sf_clock_ms() - started;
    show(err_path);
    if (!SF_CHECK_EQ_INT(rc, 0))
        goto cleanup;
    printf("loaded in %.1f s (at scale %s)\n", (double) took / 1000.0, scale);
    check_loaded(&timeline);
    /* Again, the same day: answered from grid's and volunteer's stores. */
    long long events = count("SELECT (SELECT count(*) FROM grid.event_log) + (SELECT count(*) FROM volunteer.event_log)");
    snprintf(err_path, sizeof err_path, "%s/work-again.err", work_dir);
    rc = run(err_path, "'%s/grid/sifang-district-work-demo-load' --wait 60", services);
    if (!SF_CHECK_EQ_INT(rc, 0))
        show(err_path);
    SF_CHECK_EQ_INT(count("SELECT (SELECT count(*) FROM grid.event_log) + (SELECT count(*) FROM volunteer.event_log)"),
                    events);
cleanup:
    if (db)
        PQfinish(db);
    if (volunteer)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&volunteer), 0);
    if (grid)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);
    if (work_dir[0] && sf_test_failures() == 0)
        sf_test_rmtree(work_dir);
    else if (work_dir[0])
        fprintf(stderr, "logs kept in %s\n", work_dir);
    return sf_test_done();
}
