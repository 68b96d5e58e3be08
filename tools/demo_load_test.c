/* Integration test of the tools against a real grid and PostgreSQL: the
 * demo loader at scale 0.02 (then again, which must write nothing twice),
 * the district's shape as grid stores it (households with their people,
 * ages that fit, cadres and committees), the sifang CLI's output and exit
 * codes, and intake's demo loader at the same scale against an intake that
 * follows that grid: its cases inside the demo's twelve months, few open
 * cases past due, return visits within days. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "demo_district.h"
#include "sf_dates.h"
#include "sf_test.h"

#define SCALE "0.02"

static char tools_dir[512];
static char work_dir[256];

/* Runs a shell command line; its stdout into *out (malloc'd, may be NULL),
 * stderr into the file err_path. Returns the exit code, -1 when it did not
 * run. */
static int
run(char **out, const char *err_path, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int
run(char **out, const char *err_path, const char *format, ...)
{
    char command[2048], line[2200];
    va_list args;
    va_start(args, format);
    vsnprintf(command, sizeof command, format, args);
    va_end(args);
    snprintf(line, sizeof line, "%s 2>'%s'", command, err_path);
    FILE *pipe = popen(line, "r");
    if (!pipe)
        return -1;
    size_t size = 0;
    char *text = NULL;
    FILE *capture = open_memstream(&text, &size);
    char buffer[4096];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0)
        fwrite(buffer, 1, got, capture);
    fclose(capture);
    int status = pclose(pipe);
    if (out)
        *out = text;
    else
        free(text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *
slurp(const char *path)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return strdup("");
    char *text = calloc(1, 1 << 20);
    size_t got = text ? fread(text, 1, (1 << 20) - 1, file) : 0;
    (void) got;
    fclose(file);
    return text;
}

static cJSON *
call_json(const char *method, const char *request, int *rc_p)
{
    char err_path[512];
    snprintf(err_path, sizeof err_path, "%s/cli.err", work_dir);
    char *out = NULL;
    int rc = run(&out, err_path, "'%s/sifang' call grid %s '%s'", tools_dir, method, request);
    if (rc_p)
        *rc_p = rc;
    cJSON *json = out ? cJSON_Parse(out) : NULL;
    free(out);
    return json;
}

static long
json_int(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsNumber(item) ? (long) item->valuedouble : -1;
}

static void
check_summary(const demo_district_t *d)
{
    int rc;
    cJSON *summary = call_json("Summary", "{}", &rc);
    if (!SF_CHECK_EQ_INT(rc, 0) || !SF_CHECK(summary != NULL))
        goto cleanup;
    SF_CHECK_EQ_INT(json_int(summary, "streets"), (long) d->n_streets);
    SF_CHECK_EQ_INT(json_int(summary, "communities"), (long) d->n_communities);
    SF_CHECK_EQ_INT(json_int(summary, "zones"), (long) d->n_zones);
    SF_CHECK_EQ_INT(json_int(summary, "building_groups"), (long) d->n_building_groups);
    SF_CHECK_EQ_INT(json_int(summary, "households"), (long) d->n_households);
    SF_CHECK_EQ_INT(json_int(summary, "residents"), (long) d->n_residents);
    SF_CHECK_EQ_INT(json_int(summary, "staff"), (long) d->n_staff);
    SF_CHECK_EQ_INT(json_int(summary, "households_in_difficulty"), (long) d->n_households_in_difficulty);
    SF_CHECK_EQ_INT(json_int(summary, "zones_fully_staffed"), (long) d->n_zones);
cleanup:
    cJSON_Delete(summary);
}

static void
test_loader(const demo_district_t *d)
{
    char err_path[512];
    snprintf(err_path, sizeof err_path, "%s/load.err", work_dir);
    int rc = run(NULL, err_path, "'%s/sifang-demo-load' --scale " SCALE " --window 64", tools_dir);
    if (!SF_CHECK_EQ_INT(rc, 0)) {
        char *log = slurp(err_path);
        fprintf(stderr, "--- loader ---\n%s\n", log);
        free(log);
        return;
    }
    check_summary(d);

    /* Again: every request is answered from grid's store, nothing new. */
    snprintf(err_path, sizeof err_path, "%s/reload.err", work_dir);
    rc = run(NULL, err_path, "'%s/sifang-demo-load' --scale " SCALE, tools_dir);
    char *log = slurp(err_path);
    if (!SF_CHECK_EQ_INT(rc, 0))
        fprintf(stderr, "--- loader again ---\n%s\n", log);
    /* The summary table: the households line shows 0 created. */
    const char *table = strstr(log, "created repeated");
    const char *line = table ? strstr(table, "\nhouseholds ") : NULL;
    long total = -1, created = -1;
    if (SF_CHECK(line != NULL))
        SF_CHECK(sscanf(line, "\nhouseholds %ld %ld", &total, &created) == 2);
    SF_CHECK_EQ_INT(total, (long) d->n_households);
    SF_CHECK_EQ_INT(created, 0);
    free(log);
    check_summary(d);
}

/* A count of rows, or -1. */
static long long
count_of(PGconn *db, const char *sql)
{
    long long n = sf_test_pg_int(db, sql);
    return n;
}

/* What grid holds, as a district official would check it: every household
 * with one head and 1-6 people, 2.4-2.8 on average, a sixth to a quarter
 * alone, three generations present; ages that fit what each person is; a
 * street cadre covering several zones, two committees of 5-9 members in
 * every community, departments with 4-6 staff. */
static void
check_people(PGconn *db, const demo_district_t *d)
{
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM grid.resident"), (long long) d->n_residents);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM grid.household h WHERE (SELECT count(*) FROM grid.resident r"
                                 " WHERE r.household_code = h.code AND r.relation = 'head') <> 1"), 0);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM (SELECT household_code FROM grid.resident GROUP BY 1"
                                 " HAVING count(*) > 6) big"), 0);
    long long mean = count_of(db, "SELECT round(100.0 * (SELECT count(*) FROM grid.resident)"
                                  " / (SELECT count(*) FROM grid.household))");
    long long alone = count_of(db, "SELECT round(1000.0 * count(*) / (SELECT count(*) FROM grid.household)) FROM"
                                   " (SELECT household_code FROM grid.resident GROUP BY 1 HAVING count(*) = 1) one");
    long long generations = count_of(db, "SELECT count(DISTINCT household_code) FROM grid.resident"
                                         " WHERE relation = 'parent'");
    printf("grid: %zu households, %zu residents (%.2f a household), %.1f%% alone, %lld with three generations\n",
           d->n_households, d->n_residents, (double) mean / 100, (double) alone / 10, generations);
    SF_CHECK(mean >= 240 && mean <= 280);
    SF_CHECK(alone >= 150 && alone <= 250);
    SF_CHECK(generations * 100 >= (long long) d->n_households * 4);
    /* Ages against what each person is in the household. */
    SF_CHECK_EQ_INT(count_of(db,
        "SELECT count(*) FROM grid.resident r JOIN grid.resident h ON h.household_code = r.household_code"
        " AND h.relation = 'head' WHERE r.birth_date IS NULL OR r.birth_date > current_date"
        " OR (r.relation = 'head' AND r.birth_date > current_date - interval '18 years')"
        " OR (r.relation = 'spouse' AND (r.gender = h.gender"
        "     OR r.birth_date > current_date - interval '20 years'))"
        " OR (r.relation = 'child' AND r.birth_date < h.birth_date + interval '18 years')"
        " OR (r.relation = 'parent' AND h.birth_date < r.birth_date + interval '18 years')"
        " OR r.relation NOT IN ('head', 'spouse', 'child', 'parent')"
        " OR (r.party_member AND r.birth_date > current_date - interval '18 years')"
        " OR (r.phone <> '' AND r.birth_date > current_date - interval '12 years')"), 0);
    /* The elderly alone are 60 or older and no more than two. */
    SF_CHECK_EQ_INT(count_of(db,
        "SELECT count(*) FROM grid.household h JOIN grid.resident r ON r.household_code = h.code"
        " WHERE 3 = ANY (h.flags) AND (r.birth_date > current_date - interval '60 years'"
        " OR (SELECT count(*) FROM grid.resident o WHERE o.household_code = h.code) > 2)"), 0);
    /* Staff: cadres cover several zones; committees of 5-9; departments of 4-6. */
    long long cadres = count_of(db, "SELECT count(*) FROM grid.staff WHERE kind = 1");
    SF_CHECK(cadres >= 1 && cadres * 2 <= (long long) d->n_zones);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM (SELECT unit_code FROM grid.staff WHERE kind = 2 GROUP BY 1"
                                 " HAVING count(*) NOT BETWEEN 5 AND 9) odd"), 0);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(DISTINCT unit_code) FROM grid.staff WHERE kind = 2"),
                    (long long) d->n_communities);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM grid.department dep WHERE (SELECT count(*) FROM grid.staff s"
                                 " WHERE s.kind = 4 AND s.department_code = dep.code) NOT BETWEEN 4 AND 6"), 0);
    /* Every community station and street office has its head (负责人), and
     * its reviewer (审核人) but for a street of one cadre: its own committee
     * member or cadre, two people. */
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM grid.responsibility WHERE kind = 5"),
                    (long long) (d->n_communities + d->n_streets));
    long long lone_cadres = count_of(db, "SELECT count(*) FROM (SELECT unit_code FROM grid.staff WHERE kind = 1"
                                         " GROUP BY 1 HAVING count(*) = 1) lone");
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM grid.responsibility WHERE kind = 6"),
                    (long long) (d->n_communities + d->n_streets) - lone_cadres);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM grid.responsibility r JOIN grid.staff s ON s.serial = r.staff_serial"
                                 " WHERE r.kind IN (5, 6) AND (s.unit_code <> r.unit_code"
                                 "   OR s.kind <> CASE WHEN length(r.unit_code) = 9 THEN 1 ELSE 2 END)"), 0);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM grid.responsibility h JOIN grid.responsibility r"
                                 " ON r.unit_code = h.unit_code AND r.kind = 6 WHERE h.kind = 5"
                                 " AND r.staff_serial = h.staff_serial"), 0);
}

static void
test_cli(const demo_district_t *d)
{
    char request[256], err_path[512];
    snprintf(err_path, sizeof err_path, "%s/cli.err", work_dir);
    int rc;

    /* OK: the reply on stdout. */
    snprintf(request, sizeof request, "{\"code\":\"%s\"}", d->zones[0].code);
    cJSON *view = call_json("ZoneGet", request, &rc);
    SF_CHECK_EQ_INT(rc, 0);
    const cJSON *zone = cJSON_GetObjectItemCaseSensitive(view, "zone");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(zone, "code");
    SF_CHECK(cJSON_IsString(code) && strcmp(code->valuestring, d->zones[0].code) == 0);
    cJSON_Delete(view);

    cJSON *stats = call_json("Sys.Stats", "{}", &rc);
    SF_CHECK_EQ_INT(rc, 0);
    SF_CHECK(cJSON_GetObjectItemCaseSensitive(stats, "methods") != NULL);
    cJSON_Delete(stats);

    /* An error status: exit 1, the error object on stderr. */
    cJSON *missing = call_json("ZoneGet", "{\"code\":\"37020599999999\"}", &rc);
    SF_CHECK_EQ_INT(rc, 1);
    SF_CHECK(missing == NULL);
    char *err = slurp(err_path);
    cJSON *error = cJSON_Parse(err);
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(error, "status");
    SF_CHECK(cJSON_IsString(status) && strcmp(status->valuestring, "NOT_FOUND") == 0);
    SF_CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(error, "violations")));
    cJSON_Delete(error);
    free(err);

    /* Violations name the field. */
    call_json("UnitCreate", "{\"code\":\"12\",\"kind\":\"UNIT_KIND_ZONE\",\"name\":\"x\"}", &rc);
    SF_CHECK_EQ_INT(rc, 1);
    err = slurp(err_path);
    SF_CHECK(strstr(err, "INVALID_ARGUMENT") && strstr(err, "\"field\""));
    free(err);

    /* JSON from stdin; the same request id twice writes once. */
    char *out = NULL;
    snprintf(request, sizeof request,
             "{\"code\":\"%s9\",\"kind\":\"UNIT_KIND_BUILDING_GROUP\",\"name\":\"测试楼组\","
             "\"parent_code\":\"%s\"}", d->zones[0].code, d->zones[0].code);
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = run(&out, err_path, "echo '%s' | '%s/sifang' --request-id cli-test-unit call grid UnitCreate -",
                 request, tools_dir);
        SF_CHECK_EQ_INT(rc, 0);
        SF_CHECK(out && strstr(out, "测试楼组"));
        free(out);
        out = NULL;
    }

    /* Usage errors: 2; no service: 3. */
    SF_CHECK_EQ_INT(run(NULL, err_path, "'%s/sifang' call grid NoSuchMethod '{}'", tools_dir), 2);
    SF_CHECK_EQ_INT(run(NULL, err_path, "'%s/sifang' call grid ZoneGet '{\"nope\":1}'", tools_dir), 2);
    SF_CHECK_EQ_INT(run(NULL, err_path, "'%s/sifang' call grid ZoneGet '{'", tools_dir), 2);
    SF_CHECK_EQ_INT(run(NULL, err_path, "'%s/sifang' --principal nobody call grid Sys.Ping", tools_dir), 2);
    /* A socket path in the test's directory that nothing binds: no service. */
    SF_CHECK_EQ_INT(run(NULL, err_path, "SIFANG_GRID_ENDPOINT=ipc://%s/nothing.ipc '%s/sifang' "
                                        "--timeout 200 call grid Sys.Ping '{}'", work_dir, tools_dir), 3);
    SF_CHECK_EQ_INT(run(&out, err_path, "'%s/sifang' describe grid UnitCreate", tools_dir), 0);
    SF_CHECK(out && strstr(out, "parent_code") && strstr(out, "UNIT_KIND_ZONE"));
    free(out);
    SF_CHECK_EQ_INT(run(&out, err_path, "'%s/sifang' describe grid GeoPoint", tools_dir), 0);
    SF_CHECK(out && strstr(out, "lat") && strstr(out, "double"));
    free(out);
    SF_CHECK_EQ_INT(run(&out, err_path, "'%s/sifang' methods grid", tools_dir), 0);
    SF_CHECK(out && strstr(out, "Sys.Stats") && strstr(out, "HouseholdCreate"));
    free(out);
}

/* intake's demo loader at the test's scale, against an intake following
 * this grid that judges imported cases at once. */
static void
test_intake(PGconn *db, const demo_district_t *d)
{
    char path[512], log_path[512], err_path[512];
    snprintf(log_path, sizeof log_path, "%s/intake.log", work_dir);
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "intake"), 0))
        return;
    const char *env[] = { "SIFANG_INTAKE_IMPORT_GRACE_S=0", "SIFANG_INTAKE_VOLUNTEER=false",
                          "SIFANG_INTAKE_GRID_POLL_MS=200", NULL };
    sf_test_daemon_t *intake = sf_test_daemon_start(path, env, log_path);
    if (!SF_CHECK(intake != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(intake, 30000), 0))
        goto done;
    snprintf(err_path, sizeof err_path, "%s/intake-load.err", work_dir);
    int rc = run(NULL, err_path, "'%s/../services/intake/sifang-intake-demo-load' --scale " SCALE " --wait 120",
                 tools_dir);
    char *log = slurp(err_path);
    if (!SF_CHECK_EQ_INT(rc, 0))
        fprintf(stderr, "--- intake's loader ---\n%s\n", log);
    free(log);

    /* Every case inside the twelve months ending today, from their start to
     * their end; the meetings too. */
    const demo_timeline_t *t = &d->timeline;
    char sql[1024], first[11];
    sf_date_format(t->first_day, first);
    long long cases = count_of(db, "SELECT count(*) FROM intake.intake_case");
    SF_CHECK(cases >= 24000 * 0.02);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.intake_case WHERE (received_at AT TIME ZONE 'Asia/Shanghai')::date"
             " NOT BETWEEN '%s' AND '%s'::date - 1", first, t->today_text);
    SF_CHECK_EQ_INT(count_of(db, sql), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.intake_case WHERE (received_at AT TIME ZONE 'Asia/Shanghai')::date"
             " < '%s'::date + 7", first);
    SF_CHECK(count_of(db, sql) > 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.intake_case WHERE (received_at AT TIME ZONE 'Asia/Shanghai')::date"
             " > '%s'::date - 7", t->today_text);
    SF_CHECK(count_of(db, sql) > 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.community_meeting WHERE held_on NOT BETWEEN '%s' AND '%s'", first,
             t->today_text);
    SF_CHECK_EQ_INT(count_of(db, sql), 0);

    /* The deadline sweep judges the open cases: a few past due, each
     * saying why, the rest within their limits. */
    char *out = NULL;
    SF_CHECK_EQ_INT(run(&out, err_path, "'%s/sifang' call intake CaseSweep '{}'", tools_dir), 0);
    free(out);
    long long open = count_of(db, "SELECT count(*) FROM intake.intake_case WHERE status <= 4");
    long long overdue = count_of(db, "SELECT count(*) FROM intake.intake_case WHERE status <= 4 AND overdue");
    printf("intake: %lld cases, %lld open, %lld past due (%.1f%%)\n", cases, open, overdue,
           open ? 100.0 * (double) overdue / (double) open : 0.0);
    SF_CHECK(open > 0);
    SF_CHECK(overdue * 10 < open);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM intake.intake_case c WHERE c.status <= 4 AND c.overdue"
                                 " AND NOT EXISTS (SELECT 1 FROM intake.case_history h WHERE h.case_id = c.id"
                                 " AND (h.note LIKE '%待%' OR h.note LIKE '%约定%' OR h.note LIKE '%未遇%'))"), 0);
    /* Return visits follow the resolution within three working days (by
     * intake's own calendar): those done, and those still to come. */
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM intake.intake_case c WHERE c.status = 6"
                                 " AND (SELECT count(*) FROM intake.working_day w"
                                 " WHERE w.day > (c.resolved_at AT TIME ZONE 'Asia/Shanghai')::date"
                                 " AND w.day < (c.closed_at AT TIME ZONE 'Asia/Shanghai')::date) > 3"), 0);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM intake.intake_case c WHERE c.status = 5"
                                 " AND (SELECT count(*) FROM intake.working_day w"
                                 " WHERE w.day > (c.resolved_at AT TIME ZONE 'Asia/Shanghai')::date"
                                 " AND w.day < (now() AT TIME ZONE 'Asia/Shanghai')::date) > 3"), 0);
    /* The work-order rules (docs/work-orders.md), each exercised: every
     * case type, answers on the spot closed at once, send-backs and no-owner
     * cases assigned by decision, extensions granted with the resident told,
     * co-handled cases whose tasks were done before the lead resolved them,
     * complaints reviewed before their return visit, stages signed late
     * against their holder. */
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(DISTINCT case_type) FROM intake.intake_case"), 4);
    SF_CHECK(count_of(db, "SELECT count(*) FROM intake.intake_case WHERE direct_answer AND status = 6") > 0);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM intake.intake_case WHERE direct_answer AND status <> 6"), 0);
    SF_CHECK(count_of(db, "SELECT count(*) FROM intake.intake_case WHERE send_backs = 1") > 0);
    SF_CHECK(count_of(db, "SELECT count(*) FROM intake.intake_case WHERE no_owner AND send_backs = 2"
                          " AND assignee_route LIKE 'assigned by decision%'") > 0);
    long long granted = count_of(db, "SELECT count(*) FROM intake.case_history WHERE action = 21");
    SF_CHECK(granted > 0);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM intake.case_history WHERE action = 23"), granted);
    SF_CHECK(count_of(db, "SELECT count(*) FROM intake.case_cohandler") > 0);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM intake.case_cohandler k JOIN intake.intake_case c"
                                 " ON c.id = k.case_id WHERE c.status >= 5 AND NOT k.done"), 0);
    SF_CHECK(count_of(db, "SELECT count(*) FROM intake.intake_case WHERE case_type = 3 AND review_state = 2"
                          " AND status = 6") > 0);
    SF_CHECK_EQ_INT(count_of(db, "SELECT count(*) FROM intake.intake_case WHERE status = 6 AND review_state = 1"), 0);
    SF_CHECK(count_of(db, "SELECT count(*) FROM intake.case_stage_late WHERE stage = 1") > 0);
    SF_CHECK(count_of(db, "SELECT count(*) FROM intake.case_stage_late WHERE stage = 2") > 0);
    /* Most are signed in time: the late ones are a minority. */
    SF_CHECK(count_of(db, "SELECT count(*) FROM intake.case_stage_late WHERE stage = 1") * 2
             < count_of(db, "SELECT count(*) FROM intake.intake_case WHERE signed_at IS NOT NULL"));
done:
    if (intake)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&intake), 0);
}

/* A service's ipc endpoints in the test's directory, set in the
 * environment everything started here inherits. */
static bool
endpoints_of(const char *service, const char *name, char **endpoint_p, char **publish_p)
{
    char file[64], variable[64];
    snprintf(file, sizeof file, "%s.router", name);
    *endpoint_p = sf_test_ipc_endpoint(work_dir, file);
    snprintf(file, sizeof file, "%s.pub", name);
    *publish_p = sf_test_ipc_endpoint(work_dir, file);
    if (!SF_CHECK(*endpoint_p && *publish_p))
        return false;
    snprintf(variable, sizeof variable, "SIFANG_%s_ENDPOINT", service);
    setenv(variable, *endpoint_p, 1);
    snprintf(variable, sizeof variable, "SIFANG_%s_PUBLISH", service);
    setenv(variable, *publish_p, 1);
    return true;
}

int
main(void)
{
    snprintf(tools_dir, sizeof tools_dir, "%s/tools", sf_test_binary_dir());
    sf_test_daemon_t *grid = NULL;
    demo_district_t *district = demo_district_new(DEMO_SEED_DEFAULT, atof(SCALE));
    char *endpoint = NULL, *publish = NULL, *intake_endpoint = NULL, *intake_publish = NULL;
    /* A database of its own each run: the loader's second pass must find
     * only its own first pass. */
    char dbname[64];
    snprintf(dbname, sizeof dbname, "tools_demo_load_%ld", (long) getpid());
    if (!SF_CHECK(district != NULL)
        || !SF_CHECK_EQ_INT(sf_test_tmpdir(work_dir, sizeof work_dir), 0)
        || !SF_CHECK_EQ_INT(sf_test_pg_env(dbname), 0))
        goto cleanup;
    /* ipc in the test's directory: grid, intake, the loaders and the CLI
     * find them by the same SIFANG_GRID_ENDPOINT and SIFANG_INTAKE_ENDPOINT. */
    if (!endpoints_of("GRID", "grid", &endpoint, &publish)
        || !endpoints_of("INTAKE", "intake", &intake_endpoint, &intake_publish))
        goto cleanup;

    char path[512], log_path[512];
    snprintf(log_path, sizeof log_path, "%s/grid.log", work_dir);
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "grid"), 0))
        goto cleanup;
    grid = sf_test_daemon_start(path, NULL, log_path);
    if (!SF_CHECK(grid != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(grid, 30000), 0))
        goto cleanup;

    test_loader(district);
    PGconn *db = sf_test_pg_connect();
    if (SF_CHECK(db != NULL)) {
        check_people(db, district);
        test_intake(db, district);
        PQfinish(db);
    }
    test_cli(district);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);

cleanup:
    if (grid)
        sf_test_daemon_kill(&grid);
    if (work_dir[0] && sf_test_failures() == 0)
        sf_test_rmtree(work_dir);
    else if (work_dir[0])
        fprintf(stderr, "logs kept in %s\n", work_dir);
    free(endpoint);
    free(publish);
    free(intake_endpoint);
    free(intake_publish);
    demo_district_destroy(&district);
    return sf_test_done();
}
