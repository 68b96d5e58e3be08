/* The district's own work as facts and KPIs (issue 19) through the real
 * daemons: grid (communities' budgets and spending, part-time committee
 * members' seats and meeting attendance) and volunteer (co-buildings, their
 * commitments and deliveries) change while evaluation follows them; every
 * fact for the half-year, for the district, its streets and communities,
 * equals the same figure counted by SQL over the sources' own tables, and
 * so do the catalogue's three KPIs (funds reaching residents, part-time
 * members' attendance, co-building commitments kept) at the district.
 * Spending reversed (红字冲销, FundingSpendingReverse) leaves the facts of
 * the day it was spent, checked also for that month alone; deliveries
 * reversed (CoBuildingDeliveryReverse) count towards no commitment kept.
 * Evaluation restarted in the middle counts nothing twice. */
#include "evaluation_test_district.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char dir[256], half[16], half_start[16], half_end[16], today[16];
static PGconn *conn;
static td_district_t district;
static char *grid_endpoint, *grid_publish, *volunteer_endpoint, *volunteer_publish, *eval_endpoint, *eval_publish;
static sf_client_t *grid, *volunteer;

static sf_test_daemon_t *
start_evaluation(void)
{
    char grid_e[200], grid_p[200], volunteer_e[200], volunteer_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    snprintf(volunteer_e, sizeof volunteer_e, "SIFANG_VOLUNTEER_ENDPOINT=%s", volunteer_endpoint);
    snprintf(volunteer_p, sizeof volunteer_p, "SIFANG_VOLUNTEER_PUBLISH=%s", volunteer_publish);
    const char *env[] = { grid_e, grid_p, volunteer_e, volunteer_p, "SIFANG_EVALUATION_SOURCES=grid volunteer",
                          "SIFANG_EVALUATION_POLL_MS=100", "SIFANG_EVALUATION_PAGE_SIZE=20", NULL };
    return td_start("evaluation", dir, eval_endpoint, eval_publish, env);
}

/* --- grid: funding and attendance ------------------------------------------------- */

static int
funding(int round)
{
    int failures = 0;
    for (int c = 0; c < TD_STREETS * TD_COMMUNITIES; c++) {
        const char *community = district.community_codes[c];
        if (round == 0) {
            Sifang__V1__FundingSource finance = SIFANG__V1__FUNDING_SOURCE__INIT, fees = SIFANG__V1__FUNDING_SOURCE__INIT;
            finance.kind = SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_DISTRICT_FINANCE;
            finance.amount_fen = 2000000;
            fees.kind = SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_PARTY_FEES;
            fees.amount_fen = 700000;
            Sifang__V1__FundingSource *sources[] = { &finance, &fees };
            Sifang__V1__FundingBudget budget = SIFANG__V1__FUNDING_BUDGET__INIT;
            budget.community_code = (char *) community;
            budget.year = atoi(today);
            budget.budget_fen = 2700000;
            budget.sources = sources;
            budget.n_sources = 2;
            failures += td_call(grid, "FundingBudgetSet", &budget.base, NULL, NULL) != SF_OK;
        }
        /* Activities, services and office in turns, amounts differing by
         * community and round. */
        for (int k = 0; k < 3; k++) {
            Sifang__V1__FundingSpending spending = SIFANG__V1__FUNDING_SPENDING__INIT;
            spending.community_code = (char *) community;
            spending.purpose = (Sifang__V1__FundingPurpose) ((c + k + round) % 6 + 1);
            spending.amount_fen = 10000 * (c + 1) + 137 * k + round;
            /* The first on the half-year's first day: a reversal made
             * today must leave that day's facts, not today's. */
            spending.spent_on = k == 0 ? half_start : today;
            spending.voucher = "记-0001";
            spending.description = "社区活动";
            failures += td_call(grid, "FundingSpendingRecord", &spending.base, NULL, NULL) != SF_OK;
        }
    }
    return failures;
}

/* Reverses every spending whose serial is round modulo 4 (not reversed
 * yet): a red entry each, as a community's staff would for a wrong amount. */
static int
reversals(int round)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT 'F' || lpad(serial::text, 6, '0') FROM grid.funding_spending"
             " WHERE serial %% 4 = %d AND serial NOT IN (SELECT spending_serial FROM grid.funding_reversal)", round);
    PGresult *result = PQexec(conn, sql);
    int failures = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0 ? 0 : 1;
    for (int row = 0; !failures && row < PQntuples(result); row++) {
        Sifang__V1__FundingSpendingReverseRequest reverse = SIFANG__V1__FUNDING_SPENDING_REVERSE_REQUEST__INIT;
        reverse.id = PQgetvalue(result, row, 0);
        reverse.reason = "金额录错";
        failures += td_call(grid, "FundingSpendingReverse", &reverse.base, NULL, NULL) != SF_OK;
    }
    PQclear(result);
    return failures;
}

/* Reverses every delivery whose serial is round modulo 3 (not reversed
 * yet): the people or money a unit did not in fact deliver. */
static int
delivery_reversals(int round)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT 'J' || lpad(serial::text, 8, '0') FROM volunteer.cobuilding_delivery"
             " WHERE serial %% 3 = %d AND serial NOT IN (SELECT delivery_serial FROM volunteer.cobuilding_delivery_reversal)",
             round);
    PGresult *result = PQexec(conn, sql);
    int failures = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0 ? 0 : 1;
    for (int row = 0; !failures && row < PQntuples(result); row++) {
        Sifang__V1__CoBuildingDeliveryReverseRequest reverse = SIFANG__V1__CO_BUILDING_DELIVERY_REVERSE_REQUEST__INIT;
        reverse.id = PQgetvalue(result, row, 0);
        reverse.reason = "未实际兑现，误登记";
        failures += td_call(volunteer, "CoBuildingDeliveryReverse", &reverse.base, NULL, NULL) != SF_OK;
    }
    PQclear(result);
    return failures;
}

static char members[TD_STREETS * TD_COMMUNITIES][2][16];

static int
seats(void)
{
    int failures = 0;
    for (int c = 0; c < TD_STREETS * TD_COMMUNITIES; c++)
        for (int m = 0; m < 2; m++) {
            Sifang__V1__Staff staff = SIFANG__V1__STAFF__INIT;
            staff.name = m ? "陈委员" : "刘委员";
            staff.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_PART_TIME_COMMITTEE;
            staff.unit_code = district.community_codes[c];
            staff.employer = "驻区单位";
            staff.active = true;
            Sifang__V1__Staff *created = NULL;
            if (td_call(grid, "StaffCreate", &staff.base, &sifang__v1__staff__descriptor, (ProtobufCMessage **) &created)
                != SF_OK) {
                failures++;
                continue;
            }
            snprintf(members[c][m], sizeof members[c][m], "%s", created->id);
            protobuf_c_message_free_unpacked(&created->base, NULL);
            Sifang__V1__Responsibility seat = SIFANG__V1__RESPONSIBILITY__INIT;
            seat.staff_id = members[c][m];
            seat.unit_code = district.community_codes[c];
            seat.kind = SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_PART_TIME_COMMITTEE;
            failures += td_call(grid, "ResponsibilityAssign", &seat.base, NULL, NULL) != SF_OK;
        }
    return failures;
}

static int
attendance(int round)
{
    int failures = 0;
    for (int c = 0; c < TD_STREETS * TD_COMMUNITIES; c++) {
        Sifang__V1__MeetingAttendanceEntry first = SIFANG__V1__MEETING_ATTENDANCE_ENTRY__INIT,
                                           second = SIFANG__V1__MEETING_ATTENDANCE_ENTRY__INIT;
        first.staff_id = members[c][0];
        first.status = SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ATTENDED;
        second.staff_id = members[c][1];
        second.status = (Sifang__V1__MeetingAttendanceStatus) ((c + round) % 3 + 1);
        Sifang__V1__MeetingAttendanceEntry *entries[] = { &first, &second };
        Sifang__V1__MeetingAttendance meeting = SIFANG__V1__MEETING_ATTENDANCE__INIT;
        meeting.unit_code = district.community_codes[c];
        meeting.mechanism = SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_PART_TIME_COMMITTEE;
        meeting.title = "兼职委员会议";
        meeting.held_on = today;
        meeting.attendees = entries;
        meeting.n_attendees = 2;
        failures += td_call(grid, "MeetingAttendanceRecord", &meeting.base, NULL, NULL) != SF_OK;
    }
    return failures;
}

/* --- volunteer: co-buildings and deliveries ------------------------------------------ */

static char pairs[TD_STREETS * TD_COMMUNITIES][16];

static int
cobuildings(void)
{
    int failures = 0;
    for (int c = 0; c < TD_STREETS * TD_COMMUNITIES; c++) {
        Sifang__V1__CoBuildingCommitment people = SIFANG__V1__CO_BUILDING_COMMITMENT__INIT,
                                         money = SIFANG__V1__CO_BUILDING_COMMITMENT__INIT;
        people.kind = SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_PEOPLE;
        people.description = "志愿服务";
        people.quantity = 10;
        people.unit = "人次";
        money.kind = SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_MONEY;
        money.description = "活动经费";
        money.quantity = 1000.5;
        money.unit = "元";
        Sifang__V1__CoBuildingCommitment *commitments[] = { &people, &money };
        Sifang__V1__CoBuilding pair = SIFANG__V1__CO_BUILDING__INIT;
        pair.unit_name = "驻区单位";
        pair.community_code = district.community_codes[c];
        pair.commitments = commitments;
        pair.n_commitments = 2;
        pair.since = today;
        Sifang__V1__CoBuilding *created = NULL;
        if (td_call(volunteer, "CoBuildingCreate", &pair.base, &sifang__v1__co_building__descriptor,
                    (ProtobufCMessage **) &created) != SF_OK) {
            failures++;
            continue;
        }
        snprintf(pairs[c], sizeof pairs[c], "%s", created->id);
        protobuf_c_message_free_unpacked(&created->base, NULL);
    }
    return failures;
}

static int
deliveries(int round)
{
    int failures = 0;
    for (int c = 0; c < TD_STREETS * TD_COMMUNITIES; c++) {
        /* People in steps of 4 (kept at the third), money in halves (kept
         * by the second in communities 0 and 2). */
        for (int commitment = 0; commitment < 2; commitment++) {
            Sifang__V1__CoBuildingDelivery delivery = SIFANG__V1__CO_BUILDING_DELIVERY__INIT;
            delivery.cobuilding_id = pairs[c];
            delivery.commitment = commitment;
            delivery.quantity = commitment ? (c % 2 ? 300 : 500.25) : 4;
            delivery.delivered_on = today;
            delivery.evidence = round ? "签到表" : "照片";
            failures += td_call(volunteer, "CoBuildingDeliveryRecord", &delivery.base, NULL, NULL) != SF_OK;
        }
    }
    if (round == 1) {
        /* The last community's co-building ends: its commitments no longer go on. */
        Sifang__V1__CoBuildingEndRequest end = SIFANG__V1__CO_BUILDING_END_REQUEST__INIT;
        end.id = pairs[TD_STREETS * TD_COMMUNITIES - 1];
        end.reason = "单位搬迁";
        failures += td_call(volunteer, "CoBuildingEnd", &end.base, NULL, NULL) != SF_OK;
    }
    return failures;
}

/* --- the comparison ------------------------------------------------------------------- */

/* Grid's spending that no red entry reversed. */
#define LIVE_SPENDING "(SELECT * FROM grid.funding_spending x WHERE x.serial NOT IN" \
    " (SELECT spending_serial FROM grid.funding_reversal))"

typedef struct {
    const char *fact;
    const char *sql;          /* %1$s the unit's code, %2$s and %3$s the half-year's first and last day */
} check_t;

#define KEPT_SQL \
    "WITH d AS (SELECT d.*, b.community_code, (b.commitments -> d.commitment ->> 'quantity')::numeric AS committed," \
    "  sum(d.quantity) OVER (PARTITION BY d.cobuilding_serial, d.commitment, extract(year FROM d.delivered_on)" \
    "   ORDER BY d.serial) AS running FROM volunteer.cobuilding_delivery d" \
    "  JOIN volunteer.cobuilding b ON b.serial = d.cobuilding_serial" \
    "  WHERE d.serial NOT IN (SELECT delivery_serial FROM volunteer.cobuilding_delivery_reversal))" \
    " SELECT count(*) FROM d WHERE running >= committed" \
    "  AND NOT (running - quantity >= committed AND running - quantity > 0)" \
    "  AND community_code LIKE '%1$s%%' AND delivered_on BETWEEN '%2$s' AND '%3$s'"

static const check_t checks[] = {
    { "funding_spent_fen",
      "SELECT COALESCE(sum(amount_fen), 0) FROM " LIVE_SPENDING " s WHERE community_code LIKE '%1$s%%'"
      " AND spent_on BETWEEN '%2$s' AND '%3$s'" },
    { "funding_for_residents_fen",
      "SELECT COALESCE(sum(amount_fen), 0) FROM " LIVE_SPENDING " s WHERE community_code LIKE '%1$s%%'"
      " AND purpose IN (1, 2) AND spent_on BETWEEN '%2$s' AND '%3$s'" },
    { "part_time_seats_expected",
      "SELECT count(*) FROM grid.meeting_attendee m JOIN grid.meeting_attendance a ON a.serial = m.attendance_serial"
      " WHERE m.seat_code LIKE '%1$s%%' AND a.held_on BETWEEN '%2$s' AND '%3$s'" },
    { "part_time_seats_attended",
      "SELECT count(*) FROM grid.meeting_attendee m JOIN grid.meeting_attendance a ON a.serial = m.attendance_serial"
      " WHERE m.status = 1 AND m.seat_code LIKE '%1$s%%' AND a.held_on BETWEEN '%2$s' AND '%3$s'" },
    { "cobuilding_commitments",
      "SELECT COALESCE(sum(jsonb_array_length(commitments)), 0) FROM volunteer.cobuilding WHERE active"
      " AND community_code LIKE '%1$s%%'" },
    { "cobuilding_commitments_kept", KEPT_SQL },
};
#define N_CHECKS (sizeof checks / sizeof *checks)
#define N_FUNDING_CHECKS 2

static double
sql_value_between(const char *format, const char *unit, const char *first, const char *last)
{
    char sql[2048];
    snprintf(sql, sizeof sql, format, unit, first, last);
    PGresult *result = PQexec(conn, sql);
    double value = NAN;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1)
        value = atof(PQgetvalue(result, 0, 0));
    else
        printf("%s: %s\n", sql, PQresultErrorMessage(result));
    PQclear(result);
    return value;
}

static double
sql_value(const char *format, const char *unit)
{
    return sql_value_between(format, unit, half_start, half_end);
}

/* The funding facts of the half-year's first month alone (where reversed
 * spending was dated, though reversed today), for every unit; the KPIs
 * compare() defined. Returns how many were compared. */
static int
compare_first_month(sf_client_t *evaluation)
{
    char month[16], first[16], last[16];
    snprintf(month, sizeof month, "%.7s", half_start);
    snprintf(first, sizeof first, "%.7s-01", half_start);
    snprintf(last, sizeof last, "%.7s-31", half_start);
    int compared = 0, nonzero = 0;
    for (size_t c = 0; c < N_FUNDING_CHECKS; c++) {
        char code[48];
        snprintf(code, sizeof code, "f_%s", checks[c].fact);
        for (int kind = 1; kind <= 3; kind++) {
            Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
            char *codes[1] = { code };
            request.kpi_codes = codes;
            request.n_kpi_codes = 1;
            request.period = month;
            request.kind = (Sifang__V1__UnitKind) kind;
            Sifang__V1__KpiValuesReply *reply = NULL;
            if (!SF_CHECK(td_call(evaluation, "KpiValues", &request.base, &sifang__v1__kpi_values_reply__descriptor,
                                  (ProtobufCMessage **) &reply) == SF_OK))
                continue;
            for (size_t i = 0; i < reply->n_values; i++) {
                const Sifang__V1__KpiValue *value = reply->values[i];
                double expected = sql_value_between(checks[c].sql, value->unit_code, first, last);
                if (!SF_CHECK(value->has_value && fabs(value->value - expected) < 1e-9))
                    printf("%s in %s at %s: evaluation %.10g, source %.10g\n", checks[c].fact, month,
                           value->unit_code, value->value, expected);
                compared++;
                nonzero += expected != 0;
            }
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        }
    }
    SF_CHECK(nonzero > 0);
    return compared;
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
                    printf("%s at %s: evaluation %.10g, source %.10g\n", checks[c].fact, value->unit_code,
                           value->value, expected);
                compared++;
                nonzero += expected != 0;
            }
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        }
    }
    /* The run exercised every fact somewhere. */
    SF_CHECK(nonzero >= (int) N_CHECKS * (1 + TD_STREETS));
    return compared;
}

static void
compare_catalogue(sf_client_t *evaluation)
{
    struct { const char *kpi; const char *sql; } kpis[] = {
        { "funding_to_residents",
          "SELECT 100.0 * sum(amount_fen) FILTER (WHERE purpose IN (1, 2)) / sum(amount_fen) FROM " LIVE_SPENDING " s" },
        { "part_time_attendance",
          "SELECT 100.0 * count(*) FILTER (WHERE status = 1) / count(*) FROM grid.meeting_attendee" },
        { "cobuilding_kept",
          "SELECT 100.0 * (" KEPT_SQL ") / (SELECT sum(jsonb_array_length(commitments)) FROM volunteer.cobuilding"
          "  WHERE active)" },
    };
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
        char sql[2048];
        snprintf(sql, sizeof sql, kpis[k].sql, "", half_start, half_end);
        double expected = sql_value("%s", sql);
        if (!SF_CHECK(reply->n_values == 1 && reply->values[0]->has_value
                      && fabs(reply->values[0]->value - expected) < 1e-9))
            printf("%s: evaluation %.10g, sources %.10g\n", kpis[k].kpi,
                   reply->n_values ? reply->values[0]->value : NAN, expected);
        else
            printf("%s = %.4g%%\n", kpis[k].kpi, expected);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
}

static bool
caught_up(sf_client_t *evaluation, int timeout_ms)
{
    bool ok = td_wait_caught_up(evaluation, "grid", grid_endpoint, timeout_ms);
    return td_wait_caught_up(evaluation, "volunteer", volunteer_endpoint, timeout_ms) && ok;
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (sf_test_pg_env("evaluation_district_work_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    td_current_period(2, half);
    int year = atoi(half);
    snprintf(half_start, sizeof half_start, "%04d-%s", year % 10000, half[6] == '1' ? "01-01" : "07-01");
    snprintf(half_end, sizeof half_end, "%04d-%s", year % 10000, half[6] == '1' ? "06-30" : "12-31");
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    conn = sf_test_pg_connect();
    grid_endpoint = sf_test_ipc_endpoint(dir, "grid.router");
    grid_publish = sf_test_ipc_endpoint(dir, "grid.pub");
    volunteer_endpoint = sf_test_ipc_endpoint(dir, "volunteer.router");
    volunteer_publish = sf_test_ipc_endpoint(dir, "volunteer.pub");
    eval_endpoint = sf_test_ipc_endpoint(dir, "evaluation.router");
    eval_publish = sf_test_ipc_endpoint(dir, "evaluation.pub");
    sf_test_daemon_t *grid_daemon = td_start("grid", dir, grid_endpoint, grid_publish, NULL);
    char grid_e[200], grid_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    const char *extra[] = { grid_e, grid_p, "SIFANG_VOLUNTEER_GRID_POLL_MS=100", NULL };
    sf_test_daemon_t *volunteer_daemon = td_start("volunteer", dir, volunteer_endpoint, volunteer_publish, extra);
    grid = sf_client_new(grid_endpoint, NULL);
    volunteer = sf_client_new(volunteer_endpoint, NULL);
    sf_client_t *client = sf_client_new(eval_endpoint, NULL);
    sf_client_set_timeout(grid, 20000);
    sf_client_set_timeout(volunteer, 20000);
    sf_client_set_timeout(client, 20000);
    sf_test_daemon_t *evaluation = NULL;
    if (!SF_CHECK(conn && grid_daemon && volunteer_daemon && grid && volunteer && client))
        goto cleanup;
    SF_CHECK_EQ_INT(td_build(grid, &district), 0);
    /* Volunteer knows the communities before co-buildings name them. */
    for (int i = 0; i < 400 && sf_test_pg_int(conn, "SELECT count(*) FROM volunteer.ref_unit WHERE kind = 3")
                                  < TD_STREETS * TD_COMMUNITIES; i++)
        usleep(25 * 1000);

    /* Half of it while evaluation runs, half while it is away. */
    evaluation = start_evaluation();
    SF_CHECK_EQ_INT(funding(0), 0);
    SF_CHECK_EQ_INT(reversals(0), 0);
    SF_CHECK_EQ_INT(seats(), 0);
    SF_CHECK_EQ_INT(attendance(0), 0);
    SF_CHECK_EQ_INT(cobuildings(), 0);
    SF_CHECK_EQ_INT(deliveries(0), 0);
    SF_CHECK_EQ_INT(deliveries(1), 0);
    SF_CHECK_EQ_INT(delivery_reversals(0), 0);
    SF_CHECK(caught_up(client, 30000));
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    SF_CHECK_EQ_INT(funding(1), 0);
    SF_CHECK_EQ_INT(reversals(1), 0);
    SF_CHECK_EQ_INT(attendance(1), 0);
    SF_CHECK_EQ_INT(deliveries(2), 0);
    SF_CHECK_EQ_INT(delivery_reversals(1), 0);
    SF_CHECK_EQ_INT(deliveries(3), 0);
    evaluation = start_evaluation();
    if (!SF_CHECK(caught_up(client, 30000)))
        goto cleanup;
    int compared = compare(client);
    printf("compared %d figures (fact x unit) with the sources' own tables\n", compared);
    SF_CHECK_EQ_INT(compared, (int) N_CHECKS * (1 + TD_STREETS + TD_STREETS * TD_COMMUNITIES));
    int in_month = compare_first_month(client);
    printf("compared %d funding figures of the half-year's first month (reversals on the day spent)\n", in_month);
    SF_CHECK_EQ_INT(in_month, N_FUNDING_CHECKS * (1 + TD_STREETS + TD_STREETS * TD_COMMUNITIES));
    compare_catalogue(client);
    /* Each record counted once: as many as there are. */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.counted_record"),
                    sf_test_pg_int(conn, "SELECT (SELECT count(*) FROM grid.funding_spending)"
                                         " + (SELECT count(*) FROM grid.funding_reversal)"
                                         " + (SELECT count(*) FROM grid.meeting_attendance)"
                                         " + (SELECT count(*) FROM volunteer.cobuilding_delivery)"
                                         " + (SELECT count(*) FROM volunteer.cobuilding_delivery_reversal)"));

cleanup:
    if (evaluation)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    if (volunteer_daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&volunteer_daemon), 0);
    if (grid_daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid_daemon), 0);
    sf_client_destroy(&client);
    sf_client_destroy(&grid);
    sf_client_destroy(&volunteer);
    if (conn)
        PQfinish(conn);
    free(grid_endpoint);
    free(grid_publish);
    free(volunteer_endpoint);
    free(volunteer_publish);
    free(eval_endpoint);
    free(eval_publish);
    return sf_test_done();
}
