/* The joint mechanisms' member units at their meetings as facts and a KPI
 * (issue 19) through the real daemons: grid holds every community's
 * five-party meeting (五方联席会) and every street's joint meeting
 * (街道党建联席会议) with their member units, and records their meetings
 * while evaluation follows it; a member unit leaves in between, evaluation
 * is away for the second round and restarted. Every fact for the
 * half-year, for the district, its streets and communities, equals SQL over
 * grid's own tables, and so does the catalogue's KPI 联席会议成员单位出席率
 * for the district, each street and each community; each meeting is counted
 * once. */
#include "evaluation_test_district.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MECH(name) SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_##name
#define N_COMMUNITIES (TD_STREETS * TD_COMMUNITIES)
#define FIVE 5
#define STREET_MEMBERS 3

static char dir[256], half[16], half_start[16], half_end[16], today[16];
static PGconn *conn;
static td_district_t district;
static char *grid_endpoint, *grid_publish, *eval_endpoint, *eval_publish;
static sf_client_t *grid;
static char five[N_COMMUNITIES][FIVE][16], street_members[TD_STREETS][STREET_MEMBERS][16];

static sf_test_daemon_t *
start_evaluation(void)
{
    char grid_e[200], grid_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    const char *env[] = { grid_e, grid_p, "SIFANG_EVALUATION_SOURCES=grid", "SIFANG_EVALUATION_POLL_MS=100",
                          "SIFANG_EVALUATION_PAGE_SIZE=20", NULL };
    return td_start("evaluation", dir, eval_endpoint, eval_publish, env);
}

static int
join(const char *unit, Sifang__V1__MeetingAttendanceMechanism mechanism, Sifang__V1__JointMemberKind kind,
     const char *name, char id[16])
{
    Sifang__V1__JointMember member = SIFANG__V1__JOINT_MEMBER__INIT;
    member.unit_code = (char *) unit;
    member.mechanism = mechanism;
    member.kind = kind;
    member.name = (char *) name;
    member.representative = "王主任";
    member.active = true;
    member.joined_on = half_start;
    Sifang__V1__JointMember *joined = NULL;
    if (td_call(grid, "JointMemberSet", &member.base, &sifang__v1__joint_member__descriptor,
                (ProtobufCMessage **) &joined) != SF_OK)
        return 1;
    snprintf(id, 16, "%s", joined->id);
    protobuf_c_message_free_unpacked(&joined->base, NULL);
    return 0;
}

static int
members(void)
{
    static const char *const names[FIVE] = { "社区党委", "社区居委会", "物业服务公司", "业主委员会", "驻区单位" };
    int failures = 0;
    for (int c = 0; c < N_COMMUNITIES; c++)
        for (int k = 0; k < FIVE; k++)
            failures += join(district.community_codes[c], MECH(FIVE_PARTY), (Sifang__V1__JointMemberKind) (k + 1),
                             names[k], five[c][k]);
    static const char *const street_names[STREET_MEMBERS] = { "街道党工委", "区人民医院", "区民政局" };
    static const Sifang__V1__JointMemberKind street_kinds[STREET_MEMBERS] = {
        SIFANG__V1__JOINT_MEMBER_KIND__JOINT_MEMBER_KIND_PARTY_ORGANISATION,
        SIFANG__V1__JOINT_MEMBER_KIND__JOINT_MEMBER_KIND_RESIDENT_UNIT,
        SIFANG__V1__JOINT_MEMBER_KIND__JOINT_MEMBER_KIND_DEPARTMENT,
    };
    for (int s = 0; s < TD_STREETS; s++) {
        char street[16];
        snprintf(street, sizeof street, "%.9s", district.community_codes[s * TD_COMMUNITIES]);
        for (int k = 0; k < STREET_MEMBERS; k++)
            failures += join(street, MECH(STREET_JOINT), street_kinds[k], street_names[k], street_members[s][k]);
    }
    return failures;
}

/* A meeting of unit naming the n members, their statuses turning with
 * round and place. */
static int
meeting(const char *unit, Sifang__V1__MeetingAttendanceMechanism mechanism, char ids[][16], int n, int round)
{
    Sifang__V1__MeetingMemberEntry entries[FIVE];
    Sifang__V1__MeetingMemberEntry *list[FIVE];
    for (int k = 0; k < n; k++) {
        sifang__v1__meeting_member_entry__init(&entries[k]);
        entries[k].member_id = ids[k];
        entries[k].status = (Sifang__V1__MeetingAttendanceStatus) ((k + round + unit[strlen(unit) - 1]) % 4 == 3 ? 2
                                                                   : (k + round) % 5 == 4 ? 3 : 1);
        list[k] = &entries[k];
    }
    Sifang__V1__MeetingAttendance attendance = SIFANG__V1__MEETING_ATTENDANCE__INIT;
    attendance.unit_code = (char *) unit;
    attendance.mechanism = mechanism;
    attendance.title = mechanism == MECH(FIVE_PARTY) ? "五方联席会" : "街道党建联席会议";
    attendance.held_on = today;
    attendance.member_units = list;
    attendance.n_member_units = (size_t) n;
    return td_call(grid, "MeetingAttendanceRecord", &attendance.base, NULL, NULL) != SF_OK;
}

static int
meetings(int round)
{
    int failures = 0;
    for (int c = 0; c < N_COMMUNITIES; c++)
        failures += meeting(district.community_codes[c], MECH(FIVE_PARTY), five[c], FIVE, round);
    for (int s = 0; s < TD_STREETS; s++) {
        char street[16];
        snprintf(street, sizeof street, "%.9s", district.community_codes[s * TD_COMMUNITIES]);
        /* In the second round the first street's department has left. */
        int n = round == 1 && s == 0 ? STREET_MEMBERS - 1 : STREET_MEMBERS;
        failures += meeting(street, MECH(STREET_JOINT), street_members[s], n, round);
    }
    return failures;
}

static int
leave(void)
{
    Sifang__V1__JointMember member = SIFANG__V1__JOINT_MEMBER__INIT;
    member.id = street_members[0][2];
    member.kind = SIFANG__V1__JOINT_MEMBER_KIND__JOINT_MEMBER_KIND_DEPARTMENT;
    member.name = "区民政局";
    member.representative = "王主任";
    member.joined_on = half_start;
    member.left_on = today;
    return td_call(grid, "JointMemberSet", &member.base, NULL, NULL) != SF_OK;
}

/* --- the comparison ------------------------------------------------------------------- */

#define UNITS_SQL(condition) \
    "SELECT count(*) FROM grid.meeting_member_unit m JOIN grid.meeting_attendance a ON a.serial = m.attendance_serial" \
    " WHERE a.unit_code LIKE '%1$s%%' AND a.held_on BETWEEN '%2$s' AND '%3$s'" condition

static double
sql_value(const char *format, const char *unit)
{
    char sql[2048];
    snprintf(sql, sizeof sql, format, unit, half_start, half_end);
    PGresult *result = PQexec(conn, sql);
    double value = NAN;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1 && !PQgetisnull(result, 0, 0))
        value = atof(PQgetvalue(result, 0, 0));
    else if (PQresultStatus(result) != PGRES_TUPLES_OK)
        printf("%s: %s\n", sql, PQresultErrorMessage(result));
    PQclear(result);
    return value;
}

/* kpi's values for the half at every unit of kind 1..3, against sql. */
static int
compare_kpi(sf_client_t *evaluation, const char *kpi, const char *sql, int *nonzero)
{
    int compared = 0;
    for (int kind = 1; kind <= 3; kind++) {
        Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
        char *codes[1] = { (char *) kpi };
        request.kpi_codes = codes;
        request.n_kpi_codes = 1;
        request.period = half;
        request.kind = (Sifang__V1__UnitKind) kind;
        Sifang__V1__KpiValuesReply *reply = NULL;
        if (!SF_CHECK(td_call(evaluation, "KpiValues", &request.base, &sifang__v1__kpi_values_reply__descriptor,
                              (ProtobufCMessage **) &reply) == SF_OK))
            continue;
        SF_CHECK(reply->n_values == (kind == 1 ? 1u : kind == 2 ? (unsigned) TD_STREETS : (unsigned) N_COMMUNITIES));
        for (size_t i = 0; i < reply->n_values; i++) {
            const Sifang__V1__KpiValue *value = reply->values[i];
            double expected = sql_value(sql, value->unit_code);
            bool same = isnan(expected) ? !value->has_value
                                        : value->has_value && fabs(value->value - expected) < 1e-9;
            if (!SF_CHECK(same))
                printf("%s at %s: evaluation %s%.10g, grid %.10g\n", kpi, value->unit_code,
                       value->has_value ? "" : "(none) ", value->value, expected);
            compared++;
            *nonzero += !isnan(expected) && expected != 0;
        }
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
    return compared;
}

static int
compare(sf_client_t *evaluation)
{
    static const struct { const char *fact, *sql; } facts[] = {
        { "joint_units_expected", UNITS_SQL("") },
        { "joint_units_attended", UNITS_SQL(" AND m.status = 1") },
    };
    int compared = 0, nonzero = 0;
    for (size_t f = 0; f < sizeof facts / sizeof *facts; f++) {
        char code[48], numerator[64];
        snprintf(code, sizeof code, "f_%s", facts[f].fact);
        snprintf(numerator, sizeof numerator, "#{%s}", facts[f].fact);
        Sifang__V1__Kpi kpi = SIFANG__V1__KPI__INIT;
        kpi.code = code;
        kpi.name = code;
        kpi.numerator = numerator;
        SF_CHECK(td_call(evaluation, "KpiDefine", &kpi.base, NULL, NULL) == SF_OK);
        compared += compare_kpi(evaluation, code, facts[f].sql, &nonzero);
    }
    /* The catalogue's KPI: attended over expected, per cent, at every level. */
    compared += compare_kpi(evaluation, "joint_unit_attendance",
        "SELECT 100.0 * count(*) FILTER (WHERE m.status = 1) / NULLIF(count(*), 0)"
        " FROM grid.meeting_member_unit m JOIN grid.meeting_attendance a ON a.serial = m.attendance_serial"
        " WHERE a.unit_code LIKE '%1$s%%' AND a.held_on BETWEEN '%2$s' AND '%3$s'", &nonzero);
    /* Every figure was something somewhere: the district and each street
     * and community, for both facts and the KPI (some attended). */
    SF_CHECK_EQ_INT(nonzero, 3 * (1 + TD_STREETS + N_COMMUNITIES));
    return compared;
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (sf_test_pg_env("evaluation_joint_test") != 0)
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
    eval_endpoint = sf_test_ipc_endpoint(dir, "evaluation.router");
    eval_publish = sf_test_ipc_endpoint(dir, "evaluation.pub");
    sf_test_daemon_t *grid_daemon = td_start("grid", dir, grid_endpoint, grid_publish, NULL);
    grid = sf_client_new(grid_endpoint, NULL);
    sf_client_t *client = sf_client_new(eval_endpoint, NULL);
    sf_client_set_timeout(grid, 20000);
    sf_client_set_timeout(client, 20000);
    sf_test_daemon_t *evaluation = NULL;
    if (!SF_CHECK(conn && grid_daemon && grid && client))
        goto cleanup;
    SF_CHECK_EQ_INT(td_build(grid, &district), 0);

    /* The first round while evaluation runs, the second while it is away. */
    evaluation = start_evaluation();
    SF_CHECK_EQ_INT(members(), 0);
    SF_CHECK_EQ_INT(meetings(0), 0);
    SF_CHECK(td_wait_caught_up(client, "grid", grid_endpoint, 30000));
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    SF_CHECK_EQ_INT(leave(), 0);
    SF_CHECK_EQ_INT(meetings(1), 0);
    evaluation = start_evaluation();
    if (!SF_CHECK(td_wait_caught_up(client, "grid", grid_endpoint, 30000)))
        goto cleanup;
    int compared = compare(client);
    printf("compared %d figures (fact or KPI x unit) with grid's own tables\n", compared);
    SF_CHECK_EQ_INT(compared, 3 * (1 + TD_STREETS + N_COMMUNITIES));
    /* Each meeting counted once: as many as grid recorded. */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.counted_record"),
                    sf_test_pg_int(conn, "SELECT count(*) FROM grid.meeting_attendance"));
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM grid.meeting_member_unit"),
                    2 * (N_COMMUNITIES * FIVE + TD_STREETS * STREET_MEMBERS) - 1);

cleanup:
    if (evaluation)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    if (grid_daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid_daemon), 0);
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
