/* Leaders' contact points (一线工作法) and departments' work in their paired
 * communities (帮建对子) as facts and KPIs (issue 19) through the real
 * daemons: leaders visit their points and record problems, solve them, hand
 * them to cases, reopen them; departments are paired with communities,
 * visit them, take problems on and give resources, while evaluation follows
 * grid. Every fact for the half-year, for the district, its streets and
 * communities, equals the same figure counted by SQL over grid's own tables,
 * and so do the catalogue's three KPIs at the district and departments'
 * visit coverage (走遍社区) at every level. Evaluation restarted in the
 * middle counts nothing twice. Then the upgrade (migration 013): the state
 * evaluation before 011 left (its cursor past every record, none counted),
 * grid going on meanwhile; started again, evaluation reads grid's records
 * again before it follows on, and every figure is again grid's; read a
 * second time, nothing is counted twice. Problems solved or become cases
 * count with the problems found in the same period (a cohort, migration
 * 020), one found on the last evening of a month and solved on the first
 * of the next among them; and after the upgrade past 020 (problems counted
 * on the day closed, no day found kept) the records read again date them
 * and every figure is again grid's cohort. */
#include "evaluation_test_district.h"
#include "sf_config.h"
#include "sifang/v1/intake.pb-c.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_COMMUNITIES (TD_STREETS * TD_COMMUNITIES)
#define DAY_MS (24LL * 3600 * 1000)

static char dir[256], half[16], half_start[16], half_end[16];
static PGconn *conn;
static td_district_t district;
static char *grid_endpoint, *grid_publish, *eval_endpoint, *eval_publish, *intake_endpoint, *intake_publish;
static sf_client_t *grid, *intake;
/* Cases registered at intake, that problems are handed to (audit29 A1). */
static int64_t case_ids[4];
static char case_numbers[4][40];
static const char *sources = "grid";
static char leaders[2][16], department_staff[2][16];
/* Leader 0's point is the first community, leader 1's the second street. */
static const char *points[2] = { NULL, "370205002" };
static char problems[64][16];
static int n_problems;

/* Evaluation following grid, and intake once sources says so. */
static sf_test_daemon_t *
start_evaluation(void)
{
    char grid_e[200], grid_p[200], intake_e[200], intake_p[200], followed[64];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    snprintf(intake_e, sizeof intake_e, "SIFANG_INTAKE_ENDPOINT=%s", intake_endpoint);
    snprintf(intake_p, sizeof intake_p, "SIFANG_INTAKE_PUBLISH=%s", intake_publish);
    snprintf(followed, sizeof followed, "SIFANG_EVALUATION_SOURCES=%s", sources);
    const char *env[] = { grid_e, grid_p, intake_e, intake_p, followed, "SIFANG_EVALUATION_POLL_MS=100",
                          "SIFANG_EVALUATION_PAGE_SIZE=20", NULL };
    return td_start("evaluation", dir, eval_endpoint, eval_publish, env);
}

/* A case registered at intake for a household of community c, by the
 * district's office: its id and registration number kept. */
static int
register_case(int index, int c)
{
    Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
    requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    requester.household_code = district.households[td_households_in(c / TD_COMMUNITIES, c % TD_COMMUNITIES, 0)];
    requester.name = "王桂兰";
    Sifang__V1__CaseSubmitRequest request = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
    request.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW;
    request.item_code = "appliance-repair";
    request.case_type = SIFANG__V1__CASE_TYPE__CASE_TYPE_HELP;
    request.requester = &requester;
    request.description = "联系点转来：楼道灯坏了";
    Sifang__V1__Case *created = NULL;
    if (td_call(intake, "CaseSubmit", &request.base, &sifang__v1__case__descriptor, (ProtobufCMessage **) &created)
        != SF_OK)
        return 1;
    case_ids[index] = created->id;
    snprintf(case_numbers[index], sizeof case_numbers[index], "%s", created->registration_number);
    protobuf_c_message_free_unpacked(&created->base, NULL);
    return case_ids[index] > 0 && *case_numbers[index] ? 0 : 1;
}

static int
staff(const char *name, Sifang__V1__StaffKind kind, const char *department, char id[16])
{
    Sifang__V1__Staff s = SIFANG__V1__STAFF__INIT;
    s.name = (char *) name;
    s.kind = kind;
    s.unit_code = "370205";
    s.department_code = (char *) department;
    s.active = true;
    Sifang__V1__Staff *created = NULL;
    if (td_call(grid, "StaffCreate", &s.base, &sifang__v1__staff__descriptor, (ProtobufCMessage **) &created) != SF_OK)
        return 1;
    snprintf(id, 16, "%s", created->id);
    protobuf_c_message_free_unpacked(&created->base, NULL);
    return 0;
}

/* Noon of the day before this half-year began, Shanghai, as Unix ms. */
static int64_t
previous_half_last_day_ms(void)
{
    struct tm tm = { .tm_year = atoi(half_start) - 1900, .tm_mon = atoi(half_start + 5) - 1, .tm_mday = 1 };
    return ((int64_t) timegm(&tm) - 8 * 3600) * 1000 - 12 * 3600 * 1000;
}

/* Two departments, the first paired with every community, the second with
 * the first street's; a member of staff each; two leaders with a point each. */
static int
setup(void)
{
    int failures = 0;
    const char *departments[][2] = { { "civil-affairs", "民政局" }, { "housing", "住建局" } };
    for (int d = 0; d < 2; d++) {
        Sifang__V1__Department department = SIFANG__V1__DEPARTMENT__INIT;
        department.code = (char *) departments[d][0];
        department.name = (char *) departments[d][1];
        failures += td_call(grid, "DepartmentCreate", &department.base, NULL, NULL) != SF_OK;
        failures += staff(d ? "住建干部" : "民政干部", SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF,
                          departments[d][0], department_staff[d]);
        for (int c = 0; c < (d ? TD_COMMUNITIES : N_COMMUNITIES); c++) {
            Sifang__V1__Pairing pairing = SIFANG__V1__PAIRING__INIT;
            pairing.department_code = (char *) departments[d][0];
            pairing.community_code = district.community_codes[c];
            /* Civil affairs paired since the last day of the previous
             * half-year (a pairing entered after the day it began), housing
             * since a week ago: work days back lies within both. */
            int64_t week_ago = sf_now_ms() - 7 * DAY_MS, half_before = previous_half_last_day_ms();
            pairing.since_unix_ms = d ? week_ago : half_before < week_ago ? half_before : week_ago;
            failures += td_call(grid, "PairingCreate", &pairing.base, NULL, NULL) != SF_OK;
        }
    }
    points[0] = district.community_codes[0];
    for (int l = 0; l < 2; l++) {
        failures += staff(l ? "郑副区长" : "吴区长", SIFANG__V1__STAFF_KIND__STAFF_KIND_DISTRICT_LEADER, "", leaders[l]);
        Sifang__V1__Responsibility point = SIFANG__V1__RESPONSIBILITY__INIT;
        point.staff_id = leaders[l];
        point.unit_code = (char *) points[l];
        point.kind = SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_LEADER_CONTACT;
        failures += td_call(grid, "ResponsibilityAssign", &point.base, NULL, NULL) != SF_OK;
    }
    return failures;
}

/* Each leader visits their point (the second at a zone under it), finding
 * round + 1 problems, days ago differing by round. */
static int
contact_visits(int round)
{
    int failures = 0;
    for (int l = 0; l < 2; l++) {
        Sifang__V1__ContactProblem found[3], *listed[3];
        for (int p = 0; p < round + 1; p++) {
            found[p] = (Sifang__V1__ContactProblem) SIFANG__V1__CONTACT_PROBLEM__INIT;
            found[p].description = p % 2 ? "老年人助餐点离得太远" : "3号楼楼道灯坏了";
            listed[p] = &found[p];
        }
        Sifang__V1__ContactVisit visit = SIFANG__V1__CONTACT_VISIT__INIT;
        visit.staff_id = leaders[l];
        visit.point_code = (char *) points[l];
        visit.place_code = l ? district.community_codes[TD_COMMUNITIES] : "";
        visit.visited_unix_ms = sf_now_ms() - (3 - round) * DAY_MS;
        visit.people_met = "居民王某某";
        visit.findings = "走访联系点，居民反映问题";
        visit.problems = listed;
        visit.n_problems = (size_t) round + 1;
        Sifang__V1__ContactVisit *recorded = NULL;
        if (td_call(grid, "ContactVisitRecord", &visit.base, &sifang__v1__contact_visit__descriptor,
                    (ProtobufCMessage **) &recorded) != SF_OK) {
            failures++;
            continue;
        }
        for (size_t p = 0; p < recorded->n_problems && n_problems < 64; p++)
            snprintf(problems[n_problems++], 16, "%s", recorded->problems[p]->id);
        protobuf_c_message_free_unpacked(&recorded->base, NULL);
    }
    return failures;
}

static int
problem_update(int index, Sifang__V1__ContactProblemStatus status, int64_t at_ms)
{
    Sifang__V1__ContactProblemUpdateRequest update = SIFANG__V1__CONTACT_PROBLEM_UPDATE_REQUEST__INIT;
    update.id = problems[index];
    update.status = status;
    update.resolution = status == SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_OPEN ? "" : "已协调解决";
    /* Intake's cases, but problem 5's: a made-up case (grid takes it;
     * evaluation never counts it). */
    bool to_case = status == SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_CASE;
    update.case_id = !to_case ? 0 : index == 5 ? 990000 + index : case_ids[index % 4];
    update.case_registration = !to_case ? "" : index == 5 ? "SF20990101-0990005" : case_numbers[index % 4];
    update.at_unix_ms = at_ms;
    return td_call(grid, "ContactProblemUpdate", &update.base, NULL, NULL) != SF_OK;
}

/* Each department visits its communities (not all), takes a problem on in
 * every other and gives a resource in the first street's; one follow-up. */
static int
department_work(int round)
{
    int failures = 0;
    for (int d = 0; d < 2; d++)
        for (int c = 0; c < (d ? TD_COMMUNITIES : N_COMMUNITIES); c++)
            for (int kind = 1; kind <= 3; kind++) {
                /* The first department never visits the last community,
                 * the second one more of its communities each round:
                 * visit coverage short of every pairing. */
                if ((kind == 2 && (c + round) % 2) || (kind == 3 && c >= TD_COMMUNITIES)
                    || (kind == 1 && ((d == 0 && c == N_COMMUNITIES - 1) || (d == 1 && c > round))))
                    continue;
                Sifang__V1__DepartmentWork work = SIFANG__V1__DEPARTMENT_WORK__INIT;
                work.department_code = d ? "housing" : "civil-affairs";
                work.community_code = district.community_codes[c];
                work.kind = (Sifang__V1__DepartmentWorkKind) kind;
                work.staff_id = department_staff[d];
                work.at_unix_ms = sf_now_ms() - (2 - round) * DAY_MS;
                work.people_met = kind == 1 ? "社区书记张敏" : "";
                work.content = kind == 1 ? "走访社区" : kind == 2 ? "承接社区活动室漏水问题" : "资助社区活动";
                if (kind == 3) {
                    work.resource_kind = SIFANG__V1__RESOURCE_KIND__RESOURCE_KIND_MONEY;
                    work.amount = 5000;
                }
                Sifang__V1__DepartmentWork *recorded = NULL;
                if (td_call(grid, "DepartmentWorkRecord", &work.base, &sifang__v1__department_work__descriptor,
                            (ProtobufCMessage **) &recorded) != SF_OK) {
                    failures++;
                    continue;
                }
                if (kind == 2 && c == 0) {
                    Sifang__V1__DepartmentWorkFollowUpRequest follow = SIFANG__V1__DEPARTMENT_WORK_FOLLOW_UP_REQUEST__INIT;
                    follow.id = recorded->id;
                    follow.follow_up = "已维修";
                    follow.done = true;
                    failures += td_call(grid, "DepartmentWorkFollowUp", &follow.base, NULL, NULL) != SF_OK;
                }
                protobuf_c_message_free_unpacked(&recorded->base, NULL);
            }
    return failures;
}

/* The first moment of this month in Shanghai, as Unix ms. */
static int64_t
month_start_ms(void)
{
    time_t local = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&local, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    return ((int64_t) timegm(&tm) - 8 * 3600) * 1000;
}

/* A problem found at leader 0's point on the last evening of last month
 * and solved just after midnight on the first of this one: it counts with
 * the problems found last month. Returns its index. */
static int
month_edge_problem(void)
{
    Sifang__V1__ContactProblem found = SIFANG__V1__CONTACT_PROBLEM__INIT, *listed[1] = { &found };
    found.description = "小区门口路灯不亮";
    Sifang__V1__ContactVisit visit = SIFANG__V1__CONTACT_VISIT__INIT;
    visit.staff_id = leaders[0];
    visit.point_code = (char *) points[0];
    visit.place_code = "";
    visit.visited_unix_ms = month_start_ms() - 3600 * 1000;   /* 23:00 on the last day */
    visit.findings = "月末走访联系点";
    visit.problems = listed;
    visit.n_problems = 1;
    Sifang__V1__ContactVisit *recorded = NULL;
    if (td_call(grid, "ContactVisitRecord", &visit.base, &sifang__v1__contact_visit__descriptor,
                (ProtobufCMessage **) &recorded) != SF_OK || recorded->n_problems != 1 || n_problems >= 64) {
        if (recorded)
            protobuf_c_message_free_unpacked(&recorded->base, NULL);
        return -1;
    }
    int index = n_problems;
    snprintf(problems[n_problems++], 16, "%s", recorded->problems[0]->id);
    protobuf_c_message_free_unpacked(&recorded->base, NULL);
    int64_t solved = month_start_ms() + 30 * 1000, now = sf_now_ms();
    if (problem_update(index, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED,
                       solved < now ? solved : now) != 0)
        return -1;
    return index;
}

/* --- the comparison ------------------------------------------------------------------- */

typedef struct {
    const char *fact;
    const char *sql;          /* %1$s the unit's code, %2$s and %3$s the half-year's first and last day */
} check_t;

#define DAY(column) "((" column ") AT TIME ZONE 'Asia/Shanghai')::date"
#define VISITS " FROM grid.contact_visit v WHERE v.point_code LIKE '%1$s%%'" \
    " AND " DAY("v.visited_at") " BETWEEN '%2$s' AND '%3$s'"
/* Solved and become cases as a cohort of the problems found in the period
 * (migration 020): by the day of the visit that found them. */
#define PROBLEMS(status) " FROM grid.contact_problem q JOIN grid.contact_visit v ON v.serial = q.visit_serial" \
    " WHERE q.status = " status " AND v.point_code LIKE '%1$s%%' AND " DAY("v.visited_at") " BETWEEN '%2$s' AND '%3$s'"
/* Become cases: those whose case intake has, under the number grid kept. */
#define CASES PROBLEMS("3") " AND EXISTS (SELECT 1 FROM intake.intake_case c WHERE c.id = q.case_id" \
    " AND c.registration_number = q.case_registration)"
#define WORK(kind) "SELECT count(*) FROM grid.department_work WHERE kind = " kind \
    " AND community_code LIKE '%1$s%%' AND " DAY("at") " BETWEEN '%2$s' AND '%3$s'"

/* 走遍社区: each pairing once a period it was visited in. */
#define VISITED "SELECT count(DISTINCT (department_code, community_code)) FROM grid.department_work WHERE kind = 1" \
    " AND community_code LIKE '%1$s%%' AND " DAY("at") " BETWEEN '%2$s' AND '%3$s'"
#define PAIRINGS "SELECT count(*) FROM grid.pairing WHERE community_code LIKE '%1$s%%' AND " DAY("since") " <= '%3$s'"

static const check_t checks[] = {
    { "contact_visits", "SELECT count(*)" VISITS },
    { "contact_problems_found",
      "SELECT count(*) FROM grid.contact_problem q JOIN grid.contact_visit v ON v.serial = q.visit_serial"
      " WHERE v.point_code LIKE '%1$s%%' AND " DAY("v.visited_at") " BETWEEN '%2$s' AND '%3$s'" },
    { "contact_problems_solved", "SELECT count(*)" PROBLEMS("2") },
    { "contact_problems_to_case", "SELECT count(*)" CASES },
    { "department_pairings", PAIRINGS },
    { "department_visits", WORK("1") },
    { "department_problems_taken", WORK("2") },
    { "department_resources_given", WORK("3") },
    { "department_pairings_visited", VISITED },
};
#define N_CHECKS (sizeof checks / sizeof *checks)

static double
sql_value(const char *format, const char *unit)
{
    char sql[4096];
    snprintf(sql, sizeof sql, format, unit, half_start, half_end);
    PGresult *result = PQexec(conn, sql);
    double value = NAN;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1)
        value = atof(PQgetvalue(result, 0, 0));
    else
        printf("%s: %s\n", sql, PQresultErrorMessage(result));
    PQclear(result);
    return value;
}

/* One KPI per fact, for the district, the streets and the communities. */
static int
compare(sf_client_t *evaluation)
{
    int compared = 0, nonzero = 0;
    for (size_t c = 0; c < N_CHECKS; c++) {
        char code[48], numerator[64];
        snprintf(code, sizeof code, "f_%s", checks[c].fact);
        snprintf(numerator, sizeof numerator, "#{%s}", checks[c].fact);
        Sifang__V1__Kpi kpi = SIFANG__V1__KPI__INIT;
        kpi.code = code;
        kpi.name = code;
        kpi.numerator = numerator;
        SF_CHECK(td_call(evaluation, "KpiDefine", &kpi.base, NULL, NULL) == SF_OK);
        for (int kind = 1; kind <= 3; kind++) {
            Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
            char *codes[1] = { code };
            request.kpi_codes = codes;
            request.n_kpi_codes = 1;
            request.period = half;
            request.kind = (Sifang__V1__UnitKind) kind;
            Sifang__V1__KpiValuesReply *reply = NULL;
            if (!SF_CHECK(td_call(evaluation, "KpiValues", &request.base, &sifang__v1__kpi_values_reply__descriptor,
                                  (ProtobufCMessage **) &reply) == SF_OK))
                continue;
            SF_CHECK(reply->n_values > 0);
            for (size_t i = 0; i < reply->n_values; i++) {
                const Sifang__V1__KpiValue *value = reply->values[i];
                double expected = sql_value(checks[c].sql, value->unit_code);
                if (!SF_CHECK(value->has_value && fabs(value->value - expected) < 1e-9))
                    printf("%s at %s: evaluation %.10g, grid %.10g\n", checks[c].fact, value->unit_code,
                           value->value, expected);
                compared++;
                nonzero += expected != 0;
            }
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        }
    }
    /* The run exercised every fact in the district and a street at least. */
    SF_CHECK(nonzero >= (int) N_CHECKS * 2);
    return compared;
}

static void
compare_catalogue(sf_client_t *evaluation)
{
    struct { const char *kpi; const char *sql; } kpis[] = {
        { "contact_problem_solved", "SELECT 100.0 * (SELECT count(*)" PROBLEMS("2") ") / nullif((%4$s), 0)" },
        { "contact_problem_dealt",
          "SELECT 100.0 * ((SELECT count(*)" PROBLEMS("2") ") + (SELECT count(*)" CASES "))"
          " / nullif((%4$s), 0)" },
        { "department_visits_per_pairing",
          "SELECT 1.0 * (" WORK("1") ") / (SELECT count(*) FROM grid.pairing WHERE " DAY("since") " <= '%3$s')" },
    };
    const char *found = "SELECT count(*) FROM grid.contact_problem q JOIN grid.contact_visit v"
                        " ON v.serial = q.visit_serial WHERE " DAY("v.visited_at") " BETWEEN '%2$s' AND '%3$s'";
    char found_sql[1024];
    snprintf(found_sql, sizeof found_sql, found, "", half_start, half_end);
    for (size_t k = 0; k < sizeof kpis / sizeof *kpis; k++) {
        Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
        char *codes[1] = { (char *) kpis[k].kpi };
        request.kpi_codes = codes;
        request.n_kpi_codes = 1;
        request.period = half;
        Sifang__V1__KpiValuesReply *reply = NULL;
        if (!SF_CHECK(td_call(evaluation, "KpiValues", &request.base, &sifang__v1__kpi_values_reply__descriptor,
                              (ProtobufCMessage **) &reply) == SF_OK))
            continue;
        char sql[4096];
        snprintf(sql, sizeof sql, kpis[k].sql, "370205", half_start, half_end, found_sql);
        double expected = sql_value("%s", sql);
        if (!SF_CHECK(reply->n_values == 1 && reply->values[0]->has_value
                      && fabs(reply->values[0]->value - expected) < 1e-9))
            printf("%s: evaluation %.10g, grid %.10g\n", kpis[k].kpi,
                   reply->n_values ? reply->values[0]->value : NAN, expected);
        else
            printf("%s = %.4g\n", kpis[k].kpi, expected);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
}

/* 走遍社区 (migration 013): the share of pairings visited, for the district,
 * every street and community; returns how many were compared. */
static int
compare_coverage(sf_client_t *evaluation)
{
    int compared = 0;
    for (int kind = 1; kind <= 3; kind++) {
        Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
        char *codes[1] = { "department_visit_coverage" };
        request.kpi_codes = codes;
        request.n_kpi_codes = 1;
        request.period = half;
        request.kind = (Sifang__V1__UnitKind) kind;
        Sifang__V1__KpiValuesReply *reply = NULL;
        if (!SF_CHECK(td_call(evaluation, "KpiValues", &request.base, &sifang__v1__kpi_values_reply__descriptor,
                              (ProtobufCMessage **) &reply) == SF_OK))
            continue;
        for (size_t i = 0; i < reply->n_values; i++) {
            const Sifang__V1__KpiValue *value = reply->values[i];
            double visited = sql_value(VISITED, value->unit_code), paired = sql_value(PAIRINGS, value->unit_code);
            bool same = paired > 0 ? value->has_value && fabs(value->value - 100 * visited / paired) < 1e-9
                                   : !value->has_value;
            if (!SF_CHECK(same && fabs(value->numerator - visited) < 1e-9 && fabs(value->denominator - paired) < 1e-9))
                printf("department_visit_coverage at %s: evaluation %.10g (%g / %g), grid %g / %g\n", value->unit_code,
                       value->value, value->numerator, value->denominator, visited, paired);
            if (kind == 1)
                printf("department_visit_coverage = %.4g (%g of %g pairings)\n", value->value, visited, paired);
            compared++;
        }
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
    return compared;
}

/* 联系点问题解决率 and 处置率 for last month and this one at leader 0's point
 * and the district: numerator and denominator as a cohort of the problems
 * found in the month (SQL over grid's tables), never over 100 %; the
 * month-edge problem is among last month's solved. */
static void
compare_months(sf_client_t *evaluation, int edge)
{
    char months[2][16], days[2][2][16];
    int64_t starts[2] = { month_start_ms() - DAY_MS, month_start_ms() };
    for (int m = 0; m < 2; m++) {
        time_t local = (time_t) (starts[m] / 1000) + 8 * 3600;
        struct tm tm;
        gmtime_r(&local, &tm);
        snprintf(months[m], sizeof months[m], "%04d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100);
        snprintf(days[m][0], sizeof days[m][0], "%.7s-01", months[m]);
        /* The month's last day: the day before the next month's first. */
        struct tm next = { .tm_year = tm.tm_year + (tm.tm_mon == 11), .tm_mon = (tm.tm_mon + 1) % 12, .tm_mday = 1 };
        time_t last = timegm(&next) - 24 * 3600;
        struct tm end;
        gmtime_r(&last, &end);
        snprintf(days[m][1], sizeof days[m][1], "%.7s-%02d", months[m], end.tm_mday % 100);
    }
    char edge_month_sql[512];
    snprintf(edge_month_sql, sizeof edge_month_sql,
             "SELECT to_char(v.visited_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') || '/'"
             " || to_char(q.closed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') FROM grid.contact_problem q"
             " JOIN grid.contact_visit v ON v.serial = q.visit_serial WHERE 'Q' || lpad(q.serial::text, 6, '0') = '%s'",
             edge >= 0 ? problems[edge] : "");
    PGresult *result = PQexec(conn, edge_month_sql);
    char expected_edge[40];
    snprintf(expected_edge, sizeof expected_edge, "%s/%s", months[0], months[1]);
    SF_CHECK_EQ_STR(PQntuples(result) == 1 ? PQgetvalue(result, 0, 0) : PQresultErrorMessage(result), expected_edge);
    PQclear(result);
    const char *units[2] = { "370205", points[0] };
    for (int m = 0; m < 2; m++)
        for (int u = 0; u < 2; u++)
            for (int k = 0; k < 2; k++) {
                const char *code = k ? "contact_problem_dealt" : "contact_problem_solved";
                Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
                char *codes[1] = { (char *) code };
                request.kpi_codes = codes;
                request.n_kpi_codes = 1;
                request.period = months[m];
                request.unit_code = (char *) units[u];
                Sifang__V1__KpiValuesReply *reply = NULL;
                if (!SF_CHECK(td_call(evaluation, "KpiValues", &request.base,
                                      &sifang__v1__kpi_values_reply__descriptor, (ProtobufCMessage **) &reply) == SF_OK))
                    continue;
                char sql[2048];
                snprintf(sql, sizeof sql, k ? "SELECT (SELECT count(*)" PROBLEMS("2") ") + (SELECT count(*)" CASES ")"
                                            : "SELECT count(*)" PROBLEMS("2"),
                         units[u], days[m][0], days[m][1]);
                double solved = sql_value("%s", sql);
                snprintf(sql, sizeof sql,
                         "SELECT count(*) FROM grid.contact_problem q JOIN grid.contact_visit v ON v.serial = q.visit_serial"
                         " WHERE v.point_code LIKE '%s%%' AND " DAY("v.visited_at") " BETWEEN '%s' AND '%s'",
                         units[u], days[m][0], days[m][1]);
                double found = sql_value("%s", sql);
                const Sifang__V1__KpiValue *value = reply->n_values == 1 ? reply->values[0] : NULL;
                bool same = value && fabs(value->numerator - solved) < 1e-9 && fabs(value->denominator - found) < 1e-9
                         && value->has_value == (found > 0) && (!value->has_value || value->value <= 100 + 1e-9);
                if (!SF_CHECK(same))
                    printf("%s %s at %s: evaluation %g / %g, grid %g / %g\n", code, months[m], units[u],
                           value ? value->numerator : NAN, value ? value->denominator : NAN, solved, found);
                /* Last month holds the edge problem, solved, at both units. */
                if (m == 0)
                    SF_CHECK(solved >= 1 && found >= 1);
                protobuf_c_message_free_unpacked(&reply->base, NULL);
            }
    printf("month edge: a problem found %s, solved %s, counted in %s\n", months[0], months[1], months[0]);
}

/* 帮建部门结对走访次数 in the half-years before this one: the previous one,
 * on whose last day civil affairs' pairings began, has them as its
 * denominator (no visits then); the one before it has no pairing and no
 * value. Both against grid's pairing table. */
static void
compare_halves_before(sf_client_t *evaluation)
{
    int year = atoi(half_start), second = half_start[5] == '0' && half_start[6] == '7';
    char halves[2][16];
    snprintf(halves[0], sizeof halves[0], "%04d-H%d", (second ? year : year - 1) % 10000, second ? 1 : 2);
    snprintf(halves[1], sizeof halves[1], "%04d-H%d", (year - 1) % 10000, second ? 2 : 1);
    for (int h = 0; h < 2; h++) {
        Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
        char *codes[1] = { "department_visits_per_pairing" };
        request.kpi_codes = codes;
        request.n_kpi_codes = 1;
        request.period = halves[h];
        Sifang__V1__KpiValuesReply *reply = NULL;
        if (!SF_CHECK(td_call(evaluation, "KpiValues", &request.base, &sifang__v1__kpi_values_reply__descriptor,
                              (ProtobufCMessage **) &reply) == SF_OK))
            continue;
        /* Pairings going on at the half-year's end: begun before the
         * first day of the half-year after it. */
        char sql[512], after[16];
        if (h)
            snprintf(after, sizeof after, "%04d-%s", (second ? year : year - 1) % 10000, second ? "01-01" : "07-01");
        else
            snprintf(after, sizeof after, "%s", half_start);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM grid.pairing WHERE " DAY("since") " < '%s'", after);
        double paired = sql_value("%s", sql);
        char first[16], last[16];
        snprintf(first, sizeof first, "%.4s-%s", halves[h], halves[h][6] == '1' ? "01-01" : "07-01");
        snprintf(last, sizeof last, "%.4s-%s", halves[h], halves[h][6] == '1' ? "06-30" : "12-31");
        snprintf(sql, sizeof sql, WORK("1"), "", first, last);
        double visits = sql_value("%s", sql);
        const Sifang__V1__KpiValue *value = reply->n_values == 1 ? reply->values[0] : NULL;
        SF_CHECK(value && fabs(value->denominator - paired) < 1e-9 && fabs(value->numerator - visits) < 1e-9
                 && value->has_value == (paired > 0));
        SF_CHECK(h ? paired == 0 : paired >= N_COMMUNITIES);
        printf("department_visits_per_pairing %s: %g visits over %g pairings\n", halves[h],
               value ? value->numerator : NAN, value ? value->denominator : NAN);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
}

/* Every figure of the contact work and departments' work against grid's
 * tables: the facts at every level, the catalogue's KPIs at the district,
 * visit coverage at every level. */
static void
compare_all(sf_client_t *evaluation, const char *when)
{
    int compared = compare(evaluation);
    printf("%s: compared %d figures (fact x unit) with grid's own tables\n", when, compared);
    SF_CHECK_EQ_INT(compared, (int) N_CHECKS * (1 + TD_STREETS + N_COMMUNITIES));
    compare_catalogue(evaluation);
    SF_CHECK_EQ_INT(compare_coverage(evaluation), 1 + TD_STREETS + N_COMMUNITIES);
    /* Each visit, work record and pairing counted once; each problem's
     * state as grid has it. */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.counted_record WHERE id NOT LIKE 'visited %'"),
                    sf_test_pg_int(conn, "SELECT (SELECT count(*) FROM grid.contact_visit)"
                                         " + (SELECT count(*) FROM grid.department_work)"
                                         " + (SELECT count(*) FROM grid.pairing)"));
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.contact_problem_state s"
                                         " JOIN grid.contact_problem q ON 'Q' || lpad(q.serial::text, 6, '0') = s.id"
                                         " AND q.status = s.status AND q.version = s.version"),
                    sf_test_pg_int(conn, "SELECT count(*) FROM grid.contact_problem"));
}

/* What evaluation before migrations 011 and 013 left: its grid cursor past
 * every contact visit, problem, department's work and pairing, none of them
 * counted (grid's other events, households and residents, none here). */
static int
forget_as_before_011(void)
{
    static const char *const statements[] = {
        "DELETE FROM evaluation.fact_total WHERE fact IN ('contact_visits', 'contact_problems_found',"
        " 'contact_problems_solved', 'contact_problems_to_case', 'department_pairings', 'department_visits',"
        " 'department_problems_taken', 'department_resources_given', 'department_pairings_visited')",
        "DELETE FROM evaluation.counted_record WHERE source_service = 'grid'",
        "DELETE FROM evaluation.contact_problem_state",
        /* 013 to run again on the next start, as on an upgrade. */
        "DROP TABLE evaluation.source_backfill",
        "DELETE FROM evaluation.event_cursor WHERE source = 'grid#records'",
        "DELETE FROM evaluation.kpi WHERE code = 'department_visit_coverage'",
        "DELETE FROM evaluation.fact WHERE code = 'department_pairings_visited'",
        "DELETE FROM evaluation.schema_migrations WHERE component = 'evaluation' AND version = 13",
    };
    int failures = 0;
    for (size_t i = 0; i < sizeof statements / sizeof *statements; i++) {
        PGresult *result = PQexec(conn, statements[i]);
        if (PQresultStatus(result) != PGRES_COMMAND_OK) {
            printf("%s: %s\n", statements[i], PQresultErrorMessage(result));
            failures++;
        }
        PQclear(result);
    }
    return failures;
}

/* What evaluation before migration 020 left: each closed problem counted
 * on the day it was closed, not the day found, and no day found kept.
 * Moves every closed problem's fact from its found day's periods to its
 * closed day's, in its point and the point's ancestors (as the facts are
 * kept: eval_unit_ancestors' prefixes, month, half-year and year), and
 * forgets the day found; returns the problems so moved. */
static int
undate_as_before_020(void)
{
    PGresult *result = PQexec(conn,
        "WITH closed AS ("
        "  SELECT point_code, CASE status WHEN 2 THEN 'contact_problems_solved' ELSE 'contact_problems_to_case' END AS fact,"
        "         to_timestamp(found_ms / 1000.0) AT TIME ZONE 'Asia/Shanghai' AS found,"
        "         to_timestamp(closed_ms / 1000.0) AT TIME ZONE 'Asia/Shanghai' AS closed"
        "    FROM evaluation.contact_problem_state WHERE status = 2 OR (status = 3 AND case_counted)),"
        " moves AS ("
        "  SELECT left(point_code, l) AS unit, fact, k,"
        "         CASE k WHEN 1 THEN to_char(d, 'YYYY-MM')"
        "                WHEN 2 THEN to_char(d, 'YYYY') || '-H' || CASE WHEN extract(month FROM d) <= 6 THEN '1' ELSE '2' END"
        "                ELSE to_char(d, 'YYYY') END AS period, sum(sign) AS delta"
        "    FROM closed, LATERAL (VALUES (found, -1), (closed, 1)) AS x (d, sign),"
        "         unnest(ARRAY[6, 9, 12, 14]) AS l, generate_series(1, 3) AS k"
        "   WHERE l <= length(point_code) GROUP BY 1, 2, 3, 4),"
        " moved AS ("
        "  INSERT INTO evaluation.fact_total (period_kind, unit_code, fact, period, value)"
        "  SELECT k, unit, fact, period, delta FROM moves WHERE delta <> 0"
        "  ON CONFLICT (period_kind, unit_code, fact, period) DO UPDATE SET value = evaluation.fact_total.value + EXCLUDED.value"
        "  RETURNING 1),"
        " undated AS (UPDATE evaluation.contact_problem_state SET found_ms = NULL WHERE status IN (2, 3) RETURNING 1)"
        " SELECT (SELECT count(*) FROM undated), (SELECT count(*) FROM moved)");
    int problems = -1;
    if (PQresultStatus(result) == PGRES_TUPLES_OK)
        problems = atoi(PQgetvalue(result, 0, 0));
    else
        printf("undating: %s\n", PQresultErrorMessage(result));
    PQclear(result);
    return problems;
}

/* Evaluation started again reads grid's records again first (migration
 * 013), then follows on: waits for both. */
static bool
wait_backfilled(sf_client_t *evaluation)
{
    for (int waited = 0; waited < 30000; waited += 50) {
        if (sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.source_backfill") == 0)
            return td_wait_caught_up(evaluation, "grid", grid_endpoint, 30000)
                && (!strstr(sources, "intake") || td_wait_caught_up(evaluation, "intake", intake_endpoint, 30000));
        usleep(50 * 1000);
    }
    printf("grid's records not read again within 30 s\n");
    return false;
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (sf_test_pg_env("evaluation_contact_work_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    td_current_period(2, half);
    int year = atoi(half);
    snprintf(half_start, sizeof half_start, "%04d-%s", year % 10000, half[6] == '1' ? "01-01" : "07-01");
    snprintf(half_end, sizeof half_end, "%04d-%s", year % 10000, half[6] == '1' ? "06-30" : "12-31");
    conn = sf_test_pg_connect();
    grid_endpoint = sf_test_ipc_endpoint(dir, "grid.router");
    grid_publish = sf_test_ipc_endpoint(dir, "grid.pub");
    intake_endpoint = sf_test_ipc_endpoint(dir, "intake.router");
    intake_publish = sf_test_ipc_endpoint(dir, "intake.pub");
    eval_endpoint = sf_test_ipc_endpoint(dir, "evaluation.router");
    eval_publish = sf_test_ipc_endpoint(dir, "evaluation.pub");
    sf_test_daemon_t *grid_daemon = td_start("grid", dir, grid_endpoint, grid_publish, NULL);
    grid = sf_client_new(grid_endpoint, NULL);
    sf_client_t *client = sf_client_new(eval_endpoint, NULL);
    sf_client_set_timeout(grid, 20000);
    sf_client_set_timeout(client, 20000);
    sf_test_daemon_t *evaluation = NULL, *intake_daemon = NULL;
    if (!SF_CHECK(conn && grid_daemon && grid && client))
        goto cleanup;
    SF_CHECK_EQ_INT(td_build(grid, &district), 0);
    /* Intake, following grid, with four cases registered: problems are
     * handed to them (one to a case intake does not have). */
    char grid_e[200], grid_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    const char *intake_env[] = { grid_e, grid_p, "SIFANG_INTAKE_GRID_POLL_MS=200", "SIFANG_INTAKE_VOLUNTEER=false",
                                 "SIFANG_INTAKE_SWEEP_MS=86400000", NULL };
    intake_daemon = td_start("intake", dir, intake_endpoint, intake_publish, intake_env);
    intake = sf_client_new(intake_endpoint, NULL);
    if (!SF_CHECK(intake_daemon && intake))
        goto cleanup;
    sf_client_set_timeout(intake, 20000);
    sf_client_set_principal(intake, "S-office", "district", "370205");
    for (int i = 0; i < 200 && sf_test_pg_int(conn, "SELECT count(*) FROM intake.ref_household") < district.n_households; i++)
        usleep(50 * 1000);
    for (int c = 0; c < 4; c++)
        SF_CHECK_EQ_INT(register_case(c, c), 0);

    /* Half of it while evaluation runs (grid only: the cases not yet seen),
     * half while it is away. */
    evaluation = start_evaluation();
    SF_CHECK_EQ_INT(setup(), 0);
    SF_CHECK_EQ_INT(contact_visits(0), 0);   /* problems 0 and 1 */
    SF_CHECK_EQ_INT(contact_visits(1), 0);   /* 2, 3 (leader 0) and 4, 5 (leader 1) */
    int64_t now = sf_now_ms();
    SF_CHECK_EQ_INT(problem_update(0, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED, now - DAY_MS), 0);
    SF_CHECK_EQ_INT(problem_update(1, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_CASE, now), 0);
    SF_CHECK_EQ_INT(problem_update(2, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED, now), 0);
    SF_CHECK_EQ_INT(department_work(0), 0);
    SF_CHECK(td_wait_caught_up(client, "grid", grid_endpoint, 30000));
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    /* Problem 1 handed to intake's case 1, which evaluation has not seen
     * (it follows grid alone so far): waiting, not counted. */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.contact_problem_state"
                                         " WHERE status = 3 AND NOT case_counted AND case_source = 'intake'"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT COALESCE(sum(value), 0)::bigint FROM evaluation.fact_total"
                                         " WHERE fact = 'contact_problems_to_case'"), 0);
    sources = "grid intake";
    /* Away: a solved problem reopened, another solved then a case, one
     * solved again on another day, more visits and work. */
    SF_CHECK_EQ_INT(problem_update(2, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_OPEN, now), 0);
    SF_CHECK_EQ_INT(problem_update(4, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED, now - DAY_MS), 0);
    SF_CHECK_EQ_INT(problem_update(4, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_CASE, now), 0);
    SF_CHECK_EQ_INT(contact_visits(2), 0);   /* 6..8 and 9..11 */
    SF_CHECK_EQ_INT(problem_update(0, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_OPEN, now), 0);
    SF_CHECK_EQ_INT(problem_update(0, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED, now), 0);
    SF_CHECK_EQ_INT(problem_update(9, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED, now), 0);
    int edge = month_edge_problem();   /* 12 */
    SF_CHECK(edge >= 0);
    SF_CHECK_EQ_INT(department_work(1), 0);
    evaluation = start_evaluation();
    if (!SF_CHECK(td_wait_caught_up(client, "grid", grid_endpoint, 30000)
                  && td_wait_caught_up(client, "intake", intake_endpoint, 30000)))
        goto cleanup;
    compare_all(client, "followed");
    /* Seen now, intake's cases count their problems (1 and 4, in the
     * periods found); none waits. */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.contact_problem_state WHERE NOT case_counted"), 0);
    compare_months(client, edge);
    compare_halves_before(client);
    /* A fresh start asked for no reading again: nothing was past. */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.event_cursor WHERE source = 'grid#records'"), 0);

    /* The upgrade (migration 013): evaluation as it was before 011 had
     * passed every record without counting it. Meanwhile grid goes on:
     * problems found before the upgrade are solved, reopened and made
     * cases, more work is done. */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    int64_t passed = sf_test_pg_int(conn, "SELECT last_seq FROM evaluation.event_cursor WHERE source = 'grid'");
    SF_CHECK_EQ_INT(forget_as_before_011(), 0);
    SF_CHECK_EQ_INT(problem_update(2, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED, now), 0);
    SF_CHECK_EQ_INT(problem_update(5, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_CASE, now), 0);
    SF_CHECK_EQ_INT(problem_update(9, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_OPEN, now), 0);
    SF_CHECK_EQ_INT(department_work(2), 0);
    evaluation = start_evaluation();
    if (!SF_CHECK(wait_backfilled(client)))
        goto cleanup;
    compare_all(client, "upgraded");
    compare_months(client, edge);
    /* Problem 5 handed to a made-up case: grid holds it, evaluation never
     * counts it (CASES leaves it out of grid's figure too). */
    char made_up[200];
    snprintf(made_up, sizeof made_up, "SELECT count(*) FROM evaluation.contact_problem_state WHERE id = '%s'"
             " AND status = 3 AND case_id = 990005 AND NOT case_counted", problems[5]);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, made_up), 1);
    /* The records read up to where evaluation had passed, at least. */
    SF_CHECK(sf_test_pg_int(conn, "SELECT last_seq FROM evaluation.event_cursor WHERE source = 'grid#records'")
             >= passed);

    /* Read again once more (a backfill asked twice, or cut short by a
     * stop): nothing is counted twice. */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "WITH asked AS (INSERT INTO evaluation.source_backfill (source, until_seq)"
                                         " SELECT source, last_seq FROM evaluation.event_cursor WHERE source = 'grid'"
                                         " RETURNING 1) SELECT count(*) FROM asked"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "WITH reset AS (UPDATE evaluation.event_cursor SET last_seq = 0"
                                         " WHERE source = 'grid#records' RETURNING 1) SELECT count(*) FROM reset"), 1);
    SF_CHECK_EQ_INT(problem_update(3, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED, now), 0);
    evaluation = start_evaluation();
    if (!SF_CHECK(wait_backfilled(client)))
        goto cleanup;
    compare_all(client, "read again");
    compare_months(client, edge);

    /* The upgrade past migration 020: closed problems counted on the day
     * closed, none with its day found (the month-edge one in this month).
     * Started again, evaluation reads grid's records again (020 asks it):
     * each visit gives its problems their day, and what they counted moves
     * there; every figure is again grid's cohort. */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    int undated = undate_as_before_020();
    SF_CHECK(undated > 0);
    char last_month_solved[640];
    snprintf(last_month_solved, sizeof last_month_solved,
             "SELECT COALESCE(sum(value), 0)::bigint FROM evaluation.fact_total WHERE period_kind = 1"
             " AND unit_code = '%s' AND fact = 'contact_problems_solved' AND period = to_char((SELECT visited_at"
             " FROM grid.contact_visit v JOIN grid.contact_problem q ON q.visit_serial = v.serial"
             " WHERE 'Q' || lpad(q.serial::text, 6, '0') = '%s') AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')",
             points[0], edge >= 0 ? problems[edge] : "");
    long long legacy = sf_test_pg_int(conn, last_month_solved);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "WITH asked AS (INSERT INTO evaluation.source_backfill (source, until_seq)"
                                         " SELECT source, last_seq FROM evaluation.event_cursor WHERE source = 'grid'"
                                         " RETURNING 1) SELECT count(*) FROM asked"), 1);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "WITH reset AS (UPDATE evaluation.event_cursor SET last_seq = 0"
                                         " WHERE source = 'grid#records' RETURNING 1) SELECT count(*) FROM reset"), 1);
    evaluation = start_evaluation();
    if (!SF_CHECK(wait_backfilled(client)))
        goto cleanup;
    compare_all(client, "dated on upgrade past 020");
    compare_months(client, edge);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.contact_problem_state WHERE found_ms IS NULL"), 0);
    /* The edge problem came back to last month from this one. */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, last_month_solved), legacy + 1);
    printf("upgrade past 020: %d closed problems dated again; last month's solved at the point %lld -> %lld\n",
           undated, legacy, sf_test_pg_int(conn, last_month_solved));

cleanup:
    if (evaluation)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    if (intake_daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&intake_daemon), 0);
    if (grid_daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid_daemon), 0);
    sf_client_destroy(&intake);
    free(intake_endpoint);
    free(intake_publish);
    sf_client_destroy(&client);
    sf_client_destroy(&grid);
    if (conn)
        PQfinish(conn);
    free(grid_endpoint);
    free(grid_publish);
    free(eval_endpoint);
    free(eval_publish);
    return sf_test_done();
}
