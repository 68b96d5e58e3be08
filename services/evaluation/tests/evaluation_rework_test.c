/* Rework (零误差) and 首问负责 in the evaluation (issue 18), through real grid,
 * intake and evaluation daemons: every unit's (district, streets,
 * communities) numerator and denominator of the follow-through KPI
 * (first_responder_follow_through) and of the rework KPIs (rework_rate,
 * complaint_rate in the case's unit; answer_rework_rate,
 * answer_complaint_rate against the unit of who gave the answer;
 * case_reopened_share), for the month, half-year and year, equal SQL over
 * intake's own rows (intake_case, case_history) and grid's staff; and each
 * handler's reworks (StaffFigures.cases_reworked) likewise.
 *
 * The cases: A reworked once after a return visit of 2; B closed, then
 * complained of and done again; C reworked twice; E, of community 2-2,
 * assigned to community 2-1's member, who answers it and has it reopened
 * (the answer's unit is not the case's); D and F miss their deadlines, D's
 * first responder follows it up within a working day, F's late; G misses
 * and nobody follows it up. */
#include "evaluation_test_district.h"
#include "sf_test_person.h"
#include "sifang/v1/intake.pb-c.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256], month[16], half[16], year[16];
static PGconn *conn;
static td_district_t district;
static char *grid_endpoint, *grid_publish, *intake_endpoint, *intake_publish, *eval_endpoint, *eval_publish;
static sf_client_t *intake_client;
/* The committee member of each community (0: 1-1, 1: 1-2, 2: 2-1, 3: 2-2). */
static char members[4][16];
static const char *const member_names[4] = { "member 1-1", "member 1-2", "member 2-1", "member 2-2" };
static const char *const community_codes[4] = { "370205001001", "370205001002", "370205002001", "370205002002" };

/* Grid's staff id of its row (grid_staff.c: "S" and the serial, 5 digits). */
#define GRID_STAFF_ID "('S' || lpad(s.serial::text, 5, '0'))"
#define MONTH_OF(column) "to_char(" column " AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
/* The unit answering for an actor: theirs in grid, else the case's district. */
#define UNIT_OF(actor) \
    "coalesce((SELECT nullif(s.unit_code, '') FROM grid.staff s WHERE " GRID_STAFF_ID " = " actor "), left(c.unit_code, 6))"
/* The latest resolving step (办结, 直接答复) of a case before a seq. */
#define RESOLVER(case_id, before) \
    "(SELECT y.actor_id FROM intake.case_history y WHERE y.case_id = " case_id " AND y.seq < " before \
    "   AND y.action IN (5, 28) ORDER BY y.seq DESC LIMIT 1)"
/* When the case was first closed (the return visit's 办结, or 直接答复). */
#define FIRST_CLOSED "(SELECT min(x.at) FROM intake.case_history x WHERE x.case_id = c.id AND x.action IN (6, 28))"
#define FIRST_REOPENED "(SELECT min(x.at) FROM intake.case_history x WHERE x.case_id = c.id AND x.action IN (33, 34))"

static void
staff_id_of(const char *name, char out[16])
{
    char text[200];
    snprintf(text, sizeof text, "SELECT " GRID_STAFF_ID " FROM grid.staff s WHERE name = '%s'", name);
    PGresult *r = PQexec(conn, text);
    snprintf(out, 16, "%s", PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
}

/* Makes client act as a person with one role over one unit (NULL: as the
 * service, which may do anything). */
static void
as(sf_client_t *client, const char *id, const char *role, const char *unit)
{
    if (!id) {
        sf_client_set_principal(client, NULL, NULL, NULL);
        return;
    }
    sf_test_grant_t grant = { role, unit, unit, unit };
    SF_CHECK(sf_test_set_person(client, id, NULL, &grant, 1) == 0);
}

static bool
done(Sifang__V1__Case *c)
{
    if (c)
        protobuf_c_message_free_unpacked(&c->base, NULL);
    return c != NULL;
}

static Sifang__V1__Case *
case_call(const char *method, const ProtobufCMessage *request)
{
    Sifang__V1__Case *c = NULL;
    if (td_call(intake_client, method, request, &sifang__v1__case__descriptor, (ProtobufCMessage **) &c) != SF_OK)
        return NULL;
    return c;
}

static bool
step(const char *method, int64_t id, const char *note)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__CaseStepRequest request = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    request.ref = &ref;
    request.note = (char *) note;
    return done(case_call(method, &request.base));
}

static bool
resolve(int64_t id)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__CaseResolveRequest request = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    request.ref = &ref;
    request.resolution = "已上门维修";
    return done(case_call("CaseResolve", &request.base));
}

/* The return visit: 1-2 reopens the case for rework, 3-5 closes it. */
static bool
visit(int64_t id, int satisfaction)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__CaseCloseRequest request = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    request.ref = &ref;
    request.satisfaction = satisfaction;
    request.note = satisfaction <= 2 ? "修理后仍不制冷" : "";
    Sifang__V1__Case *c = case_call("CaseClose", &request.base);
    bool as_expected = c && c->status == (satisfaction <= 2 ? SIFANG__V1__CASE_STATUS__CASE_STATUS_IN_PROGRESS
                                                           : SIFANG__V1__CASE_STATUS__CASE_STATUS_CLOSED);
    done(c);
    return as_expected;
}

/* Signed, started and resolved by whoever the client acts as. */
static bool
handle(int64_t id)
{
    return step("CaseSign", id, "签收") && step("CaseStart", id, "上门") && resolve(id);
}

/* A request for help from the first household of community k's zone z,
 * registered at the community's window by its committee member (the first
 * responder) and routed to them. */
static int64_t
submit(int k, int zone)
{
    Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
    requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    char household[48];   /* room for what -Wformat-truncation cannot rule out */
    snprintf(household, sizeof household, "%s%02d1001", community_codes[k], zone + 1);
    requester.household_code = household;
    requester.name = "王桂兰";
    Sifang__V1__CaseSubmitRequest request = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
    request.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW;
    request.item_code = "appliance-repair";
    request.case_type = SIFANG__V1__CASE_TYPE__CASE_TYPE_HELP;
    request.requester = &requester;
    request.description = "冰箱不制冷";
    as(intake_client, members[k], "window_clerk", community_codes[k]);
    Sifang__V1__Case *c = case_call("CaseSubmit", &request.base);
    int64_t id = c ? c->id : 0;
    done(c);
    return id;
}

static bool
past_due(int64_t id, const char *ago)
{
    char text[200];
    snprintf(text, sizeof text, "UPDATE intake.intake_case SET due_at = now() - interval '%s' WHERE id = %lld", ago,
             (long long) id);
    return sf_test_pg_exec(conn, text) == 0;
}

static bool
sweep(void)
{
    as(intake_client, NULL, NULL, NULL);
    Sifang__V1__CaseSweepRequest request = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    return td_call(intake_client, "CaseSweep", &request.base, NULL, NULL) == SF_OK;
}

/* --- the KPIs against intake's rows ------------------------------------------ */

/* Each KPI's numerator and denominator as SQL: %1$s the unit's code (a
 * prefix of the codes under it), %2$s the period's months (an array). */
static const struct {
    const char *kpi, *numerator, *denominator;
} checks[] = {
    { "first_responder_follow_through",
      "SELECT count(*) FROM intake.intake_case c WHERE c.unit_code LIKE '%1$s%%'"
      " AND " MONTH_OF("c.missed_at") " = ANY(%2$s) AND c.followed_up_in_time",
      "SELECT count(*) FROM intake.intake_case c WHERE c.unit_code LIKE '%1$s%%'"
      " AND " MONTH_OF("c.missed_at") " = ANY(%2$s)" },
    { "rework_rate",
      "SELECT count(*) FROM intake.case_history x JOIN intake.intake_case c ON c.id = x.case_id"
      " WHERE x.action IN (33, 34) AND c.unit_code LIKE '%1$s%%' AND " MONTH_OF("x.at") " = ANY(%2$s)",
      "SELECT count(*) FROM intake.intake_case c WHERE c.unit_code LIKE '%1$s%%'"
      " AND " MONTH_OF(FIRST_CLOSED) " = ANY(%2$s)" },
    { "complaint_rate",
      "SELECT count(*) FROM intake.case_history x JOIN intake.intake_case c ON c.id = x.case_id"
      " WHERE x.action = 34 AND c.unit_code LIKE '%1$s%%' AND " MONTH_OF("x.at") " = ANY(%2$s)",
      "SELECT count(*) FROM intake.intake_case c WHERE c.unit_code LIKE '%1$s%%'"
      " AND " MONTH_OF(FIRST_CLOSED) " = ANY(%2$s)" },
    { "answer_rework_rate",
      "SELECT count(*) FROM intake.case_history x JOIN intake.intake_case c ON c.id = x.case_id"
      " WHERE x.action IN (33, 34) AND " MONTH_OF("x.at") " = ANY(%2$s)"
      "   AND " UNIT_OF(RESOLVER("x.case_id", "x.seq")) " LIKE '%1$s%%'",
      "SELECT count(*) FROM intake.case_history x JOIN intake.intake_case c ON c.id = x.case_id"
      " WHERE x.action IN (5, 28) AND " MONTH_OF("x.at") " = ANY(%2$s) AND " UNIT_OF("x.actor_id") " LIKE '%1$s%%'" },
    { "answer_complaint_rate",
      "SELECT count(*) FROM intake.case_history x JOIN intake.intake_case c ON c.id = x.case_id"
      " WHERE x.action = 34 AND " MONTH_OF("x.at") " = ANY(%2$s)"
      "   AND " UNIT_OF(RESOLVER("x.case_id", "x.seq")) " LIKE '%1$s%%'",
      "SELECT count(*) FROM intake.case_history x JOIN intake.intake_case c ON c.id = x.case_id"
      " WHERE x.action IN (5, 28) AND " MONTH_OF("x.at") " = ANY(%2$s) AND " UNIT_OF("x.actor_id") " LIKE '%1$s%%'" },
    { "case_reopened_share",
      "SELECT count(*) FROM intake.intake_case c WHERE c.unit_code LIKE '%1$s%%'"
      " AND " MONTH_OF(FIRST_REOPENED) " = ANY(%2$s)",
      "SELECT count(*) FROM intake.intake_case c WHERE c.unit_code LIKE '%1$s%%'"
      " AND " MONTH_OF(FIRST_CLOSED) " = ANY(%2$s)" },
};
#define N_CHECKS (sizeof checks / sizeof checks[0])

/* The months of a period as an SQL array literal. */
static void
months_of(const char *period, char *out, size_t size)
{
    if (strlen(period) == 7 && period[5] != 'H')
        snprintf(out, size, "ARRAY['%s']", period);
    else {
        int first = strlen(period) == 4 ? 1 : period[6] == '1' ? 1 : 7, last = strlen(period) == 4 ? 12 : first + 5;
        size_t used = (size_t) snprintf(out + 0, size, "ARRAY[");
        for (int m = first; m <= last; m++)
            used += (size_t) snprintf(out + used, size - used, "%s'%.4s-%02d'", m > first ? "," : "", period, m);
        snprintf(out + used, size - used, "]");
    }
}

static double
sql_count(const char *format, const char *unit, const char *months)
{
    char text[4000];
    snprintf(text, sizeof text, format, unit, months);
    PGresult *r = PQexec(conn, text);
    double value = NAN;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        value = atof(PQgetvalue(r, 0, 0));
    else
        printf("SQL failed: %s\n%s\n", text, PQerrorMessage(conn));
    PQclear(r);
    return value;
}

static int compared;

/* Every unit's numerator, denominator and value of every KPI over the
 * period against the SQL; returns the district's numerators summed. */
static double
compare_kpis(sf_client_t *evaluation, const char *period, double district_values[N_CHECKS][2])
{
    char months[200];
    months_of(period, months, sizeof months);
    double numerators = 0;
    for (size_t k = 0; k < N_CHECKS; k++) {
        /* The district alone, then its streets, then its communities. */
        const Sifang__V1__UnitKind kinds[3] = { SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED,
                                                SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET,
                                                SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY };
        const size_t expected_units[3] = { 1, TD_STREETS, TD_STREETS * TD_COMMUNITIES };
        for (int u = 0; u < 3; u++) {
            Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
            char *codes[1] = { (char *) checks[k].kpi };
            request.kpi_codes = codes;
            request.n_kpi_codes = 1;
            request.period = (char *) period;
            request.kind = kinds[u];
            Sifang__V1__KpiValuesReply *reply = NULL;
            if (!SF_CHECK(td_call(evaluation, "KpiValues", &request.base, &sifang__v1__kpi_values_reply__descriptor,
                                  (ProtobufCMessage **) &reply) == SF_OK))
                continue;
            SF_CHECK_EQ_INT((int) reply->n_values, (int) expected_units[u]);
            for (size_t i = 0; i < reply->n_values; i++) {
                const Sifang__V1__KpiValue *v = reply->values[i];
                double numerator = sql_count(checks[k].numerator, v->unit_code, months);
                double denominator = sql_count(checks[k].denominator, v->unit_code, months);
                bool same = strcmp(v->kpi_code, checks[k].kpi) == 0 && strcmp(v->period, period) == 0
                         && fabs(v->numerator - numerator) < 1e-9 && fabs(v->denominator - denominator) < 1e-9
                         && v->has_value == (denominator > 0)
                         && (!v->has_value || fabs(v->value - 100 * numerator / denominator) < 1e-9);
                if (!SF_CHECK(same))
                    printf("%s %s at %s: evaluation %g / %g = %g (%s), intake %g / %g\n", checks[k].kpi, period,
                           v->unit_code, v->numerator, v->denominator, v->value, v->has_value ? "value" : "none",
                           numerator, denominator);
                compared++;
                if (u == 0) {
                    district_values[k][0] = numerator;
                    district_values[k][1] = denominator;
                    numerators += numerator;
                }
            }
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        }
    }
    return numerators;
}

/* Each handler's reworks against the reopenings of answers they gave. */
static void
compare_handlers(sf_client_t *evaluation, const char *period)
{
    char months[200], text[1200];
    months_of(period, months, sizeof months);
    for (int k = 0; k < 4; k++) {
        Sifang__V1__StaffFiguresGetRequest request = SIFANG__V1__STAFF_FIGURES_GET_REQUEST__INIT;
        request.staff_id = members[k];
        request.period = (char *) period;
        Sifang__V1__StaffFigures *figures = NULL;
        if (!SF_CHECK(td_call(evaluation, "StaffFiguresGet", &request.base, &sifang__v1__staff_figures__descriptor,
                              (ProtobufCMessage **) &figures) == SF_OK))
            continue;
        snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_history x WHERE x.action IN (33, 34)"
                 " AND " MONTH_OF("x.at") " = ANY(%s) AND " RESOLVER("x.case_id", "x.seq") " = '%s'", months,
                 members[k]);
        int want = sf_test_pg_int(conn, text);
        if (!SF_CHECK(figures->cases_reworked == want))
            printf("%s's reworks %s: evaluation %lld, intake %d\n", member_names[k], period,
                   (long long) figures->cases_reworked, want);
        compared++;
        protobuf_c_message_free_unpacked(&figures->base, NULL);
    }
}

int
main(void)
{
    if (sf_test_pg_env("evaluation_rework_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    td_current_period(1, month);
    td_current_period(2, half);
    td_current_period(3, year);
    grid_endpoint = sf_test_ipc_endpoint(dir, "grid.router");
    grid_publish = sf_test_ipc_endpoint(dir, "grid.pub");
    intake_endpoint = sf_test_ipc_endpoint(dir, "intake.router");
    intake_publish = sf_test_ipc_endpoint(dir, "intake.pub");
    eval_endpoint = sf_test_ipc_endpoint(dir, "evaluation.router");
    eval_publish = sf_test_ipc_endpoint(dir, "evaluation.pub");
    conn = sf_test_pg_connect();
    sf_test_daemon_t *grid = td_start("grid", dir, grid_endpoint, grid_publish, NULL), *intake = NULL,
                     *evaluation = NULL;
    sf_client_t *grid_client = sf_client_new(grid_endpoint, NULL), *admin = sf_client_new(eval_endpoint, NULL);
    intake_client = sf_client_new(intake_endpoint, NULL);
    sf_client_set_timeout(grid_client, 20000);
    sf_client_set_timeout(intake_client, 20000);
    sf_client_set_timeout(admin, 20000);
    if (!SF_CHECK(conn && grid) || !SF_CHECK_EQ_INT(td_build(grid_client, &district), 0))
        goto cleanup;
    for (int k = 0; k < 4; k++) {
        staff_id_of(member_names[k], members[k]);
        SF_CHECK(*members[k]);
    }
    char grid_e[200], grid_p[200], intake_e[200], intake_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    snprintf(intake_e, sizeof intake_e, "SIFANG_INTAKE_ENDPOINT=%s", intake_endpoint);
    snprintf(intake_p, sizeof intake_p, "SIFANG_INTAKE_PUBLISH=%s", intake_publish);
    const char *intake_env[] = { grid_e, grid_p, "SIFANG_INTAKE_GRID_POLL_MS=200", "SIFANG_INTAKE_VOLUNTEER=false",
                                 "SIFANG_INTAKE_IMPORT_GRACE_S=0", "SIFANG_INTAKE_SWEEP_MS=86400000", NULL };
    intake = td_start("intake", dir, intake_endpoint, intake_publish, intake_env);
    const char *eval_env[] = { grid_e, grid_p, intake_e, intake_p, "SIFANG_EVALUATION_SOURCES=grid intake",
                               "SIFANG_EVALUATION_POLL_MS=200", NULL };
    evaluation = td_start("evaluation", dir, eval_endpoint, eval_publish, eval_env);
    if (!SF_CHECK(intake && evaluation && *members[0] && *members[1] && *members[2] && *members[3]))
        goto cleanup;
    for (int i = 0; i < 200; i++) {
        if (sf_test_pg_int(conn, "SELECT count(*) FROM intake.ref_household") == district.n_households
            && sf_test_pg_int(conn, "SELECT count(*) FROM intake.ref_staff") > 0)
            break;
        usleep(50 * 1000);
    }

    /* A: reworked once after a return visit of 2, then closed at 4. */
    int64_t a = submit(0, 0);
    SF_CHECK(a && handle(a) && visit(a, 2) && resolve(a) && visit(a, 4));
    /* B: closed at 5, complained of at the station, done again, closed. */
    int64_t b = submit(1, 0);
    SF_CHECK(b && handle(b) && visit(b, 5));
    as(intake_client, "S-manager-1-2", "community_staff", community_codes[1]);
    Sifang__V1__CaseRef b_ref = SIFANG__V1__CASE_REF__INIT;
    b_ref.id = b;
    Sifang__V1__CaseComplainRequest complaint = SIFANG__V1__CASE_COMPLAIN_REQUEST__INIT;
    complaint.ref = &b_ref;
    complaint.note = "居民来电：冰箱仍不制冷";
    Sifang__V1__Case *complained = case_call("CaseComplain", &complaint.base);
    SF_CHECK(complained && complained->complaint_count == 1 && complained->rework_count == 1);
    done(complained);
    as(intake_client, members[1], "window_clerk", community_codes[1]);
    SF_CHECK(resolve(b) && visit(b, 4));
    /* C: reworked twice. */
    int64_t c = submit(2, 0);
    SF_CHECK(c && handle(c) && visit(c, 1) && resolve(c) && visit(c, 2) && resolve(c) && visit(c, 3));
    /* E: community 2-2's case, assigned to community 2-1's member, whose
     * answer is reopened: against 2-1, while the case stays 2-2's. */
    int64_t e = submit(3, 0);
    as(intake_client, NULL, NULL, NULL);
    Sifang__V1__CaseRef e_ref = SIFANG__V1__CASE_REF__INIT;
    e_ref.id = e;
    Sifang__V1__CaseAssignee other = SIFANG__V1__CASE_ASSIGNEE__INIT;
    other.kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF;
    other.code = members[2];
    Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    assign.ref = &e_ref;
    assign.assignee = &other;
    SF_CHECK(e && done(case_call("CaseAssign", &assign.base)));
    /* Their scope must reach the case: the street's. */
    as(intake_client, members[2], "community_staff", "370205002");
    SF_CHECK(handle(e) && visit(e, 2));
    /* D, F, G miss their deadlines (F's ten days ago); the sweep marks them. */
    int64_t d = submit(0, 1), f = submit(1, 1), g = submit(2, 1);
    SF_CHECK(d && f && g && past_due(d, "1 minute") && past_due(f, "10 days") && past_due(g, "1 minute") && sweep());
    /* D's first responder follows it up at once, F's ten days late. */
    as(intake_client, members[0], "window_clerk", community_codes[0]);
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    Sifang__V1__CaseFollowUpRequest follow = SIFANG__V1__CASE_FOLLOW_UP_REQUEST__INIT;
    follow.ref = &ref;
    follow.note = "电话联系居民，说明进度";
    ref.id = d;
    Sifang__V1__Case *followed = case_call("CaseFollowUp", &follow.base);
    SF_CHECK(followed && followed->followed_up_in_time);
    done(followed);
    as(intake_client, members[1], "window_clerk", community_codes[1]);
    ref.id = f;
    followed = case_call("CaseFollowUp", &follow.base);
    SF_CHECK(followed && followed->missed_unix_ms && !followed->followed_up_in_time);
    done(followed);
    if (!SF_CHECK(td_wait_caught_up(admin, "grid", grid_endpoint, 60000)
                  && td_wait_caught_up(admin, "intake", intake_endpoint, 60000)))
        goto cleanup;

    const char *periods[3] = { month, half, year };
    double district_values[3][N_CHECKS][2];
    for (int p = 0; p < 3; p++) {
        compare_kpis(admin, periods[p], district_values[p]);
        compare_handlers(admin, periods[p]);
    }
    /* What the cases above make of the year (everything here happened in
     * it but F's miss, ten days ago): the figures are not empty. */
    double (*y)[2] = district_values[2];
    SF_CHECK(y[1][0] == 5 && y[2][0] == 1 && y[3][0] == 5 && y[4][0] == 1 && y[5][0] == 4 && y[1][1] == 3);
    SF_CHECK(y[0][1] >= 2 && y[0][0] >= 1 && y[3][1] == 8);
    printf("compared %d figures with SQL over intake; the year's district: follow-through %g/%g,"
           " rework %g/%g, answers reworked %g/%g\n",
           compared, y[0][0], y[0][1], y[1][0], y[1][1], y[3][0], y[3][1]);

cleanup:
    sf_client_destroy(&admin);
    sf_client_destroy(&intake_client);
    sf_client_destroy(&grid_client);
    if (evaluation)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    if (intake)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&intake), 0);
    if (grid)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);
    if (conn)
        PQfinish(conn);
    if (!sf_test_failures())
        sf_test_rmtree(dir);
    else
        printf("logs in %s\n", dir);
    free(grid_endpoint);
    free(grid_publish);
    free(intake_endpoint);
    free(intake_publish);
    free(eval_endpoint);
    free(eval_publish);
    return sf_test_done();
}
