/* Issue 18's per-stage lateness in the performance evaluation: each stage
 * (签收 receipt, first response, 办结 completion) counts against the tier
 * that held the case when the stage fell due, not the one holding it at
 * the end. Real grid, intake and evaluation daemons:
 *  A  re-assigned to the street office, whose receipt falls due unmet (the
 *     sweep marks it); the street sends it back (退单) and the dispatcher
 *     gives it to the community station, which signs in time and starts
 *     late: the receipt is late against the street only, the first response
 *     against the community;
 *  B  the committee member's receipt falls due unmet, then the case goes
 *     past due: escalation moves it to the community station and on to the
 *     street office, which signs in time: receipt and completion late
 *     against the member's community only;
 *  C  signed, started and resolved in time by the member of another street.
 * Evaluation's facts for every unit from the district to the communities
 * equal SQL recounts over intake's case_stage_late rows (late) and what the
 * steps did (in time), and the KPIs are the shares. */
#include "evaluation_test_district.h"
#include "sifang/v1/intake.pb-c.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256], month[16];
static PGconn *conn;
static td_district_t district;
static char *grid_endpoint, *grid_publish, *intake_endpoint, *intake_publish, *eval_endpoint, *eval_publish;
static sf_client_t *intake_client;

#define STREET_1 "370205001"
#define COMMUNITY_1_1 "370205001001"
#define COMMUNITY_1_2 "370205001002"
#define COMMUNITY_2_1 "370205002001"

static void
sql(const char *format, long long id)
{
    char text[400];
    snprintf(text, sizeof text, format, id);
    SF_CHECK(sf_test_pg_exec(conn, text) == 0);
}

static Sifang__V1__Case *
case_call(const char *method, const ProtobufCMessage *request)
{
    Sifang__V1__Case *c = NULL;
    if (td_call(intake_client, method, request, &sifang__v1__case__descriptor, (ProtobufCMessage **) &c) != SF_OK)
        return NULL;
    return c;
}

/* A step on the case; whether it went through. */
static bool
step(const char *method, int64_t id)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__CaseStepRequest request = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    request.ref = &ref;
    request.note = "步骤";
    Sifang__V1__Case *c = case_call(method, &request.base);
    if (c)
        protobuf_c_message_free_unpacked(&c->base, NULL);
    return c != NULL;
}

static bool
assign_unit(int64_t id, const char *unit)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__CaseAssignee unit_holder = SIFANG__V1__CASE_ASSIGNEE__INIT;
    unit_holder.kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT;
    unit_holder.code = (char *) unit;
    Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    assign.ref = &ref;
    assign.assignee = &unit_holder;
    Sifang__V1__Case *c = case_call("CaseAssign", &assign.base);
    bool moved = c && c->assignee && strcmp(c->assignee->code, unit) == 0;
    if (c)
        protobuf_c_message_free_unpacked(&c->base, NULL);
    return moved;
}

static void
sweep(void)
{
    Sifang__V1__CaseSweepRequest request = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    SF_CHECK(td_call(intake_client, "CaseSweep", &request.base, NULL, NULL) == SF_OK);
}

/* A resident's request for help from a household of community c (its
 * first zone), routed to the community's committee member. */
static int64_t
submit(int community)
{
    Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
    requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    char household[32];
    /* The first household of the community's first zone (td_build's codes). */
    snprintf(household, sizeof household, "370205%03d%03d011001", (community / TD_COMMUNITIES + 1) % 1000,
             (community % TD_COMMUNITIES + 1) % 1000);
    requester.household_code = household;
    requester.name = "张秀英";
    Sifang__V1__CaseSubmitRequest request = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
    request.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_HOTLINE;
    request.item_code = "appliance-repair";
    request.case_type = SIFANG__V1__CASE_TYPE__CASE_TYPE_HELP;
    request.requester = &requester;
    request.description = "冰箱不制冷";
    Sifang__V1__Case *c = case_call("CaseSubmit", &request.base);
    int64_t id = 0;
    if (SF_CHECK(c && c->assignee && c->assignee->kind == SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF))
        id = c->id;
    else if (c)
        printf("case %lld: status %d, assignee %s\n", (long long) c->id, c->status,
               c->assignee ? c->assignee->code : "(none)");
    if (c)
        protobuf_c_message_free_unpacked(&c->base, NULL);
    return id;
}

/* --- the figures ---------------------------------------------------------------- */

static const char *const late_facts[3] = { "receipts_late", "first_responses_late", "completions_late" };
static const char *const in_time_facts[3] = { "receipts_in_time", "first_responses_in_time", "completions_in_time" };

static double
fact_value(sf_client_t *evaluation, const char *fact, const char *unit)
{
    Sifang__V1__FactValuesRequest request = SIFANG__V1__FACT_VALUES_REQUEST__INIT;
    char *facts[1] = { (char *) fact };
    request.facts = facts;
    request.n_facts = 1;
    request.period = month;
    request.unit_code = (char *) unit;
    Sifang__V1__FactValuesReply *reply = NULL;
    if (td_call(evaluation, "FactValues", &request.base, &sifang__v1__fact_values_reply__descriptor,
                (ProtobufCMessage **) &reply) != SF_OK)
        return NAN;
    double value = 0;
    for (size_t v = 0; v < reply->n_values; v++)
        if (strcmp(reply->values[v]->fact, fact) == 0 && strcmp(reply->values[v]->unit_code, unit) == 0
            && strcmp(reply->values[v]->period, month) == 0)
            value = reply->values[v]->value;
    protobuf_c_message_free_unpacked(&reply->base, NULL);
    return value;
}

/* Intake's late stages of a kind that count under unit this month: the
 * holder's unit (the district for a department), by the day due. */
static double
late_in_sql(int stage, const char *unit)
{
    char text[600];
    snprintf(text, sizeof text,
             "SELECT count(*) FROM intake.case_stage_late WHERE stage = %d"
             "   AND (CASE holder_unit WHEN '' THEN left(unit_code, 6) ELSE holder_unit END) LIKE '%s%%'"
             "   AND to_char(due_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') = '%s'", stage, unit, month);
    return (double) sf_test_pg_int(conn, text);
}

/* Every late fact against SQL, every in-time fact against what the steps
 * did (expected[unit][stage]), for the district, streets and communities. */
static void
compare(sf_client_t *evaluation, const char *const *units, int n_units, const int expected_in_time[][3])
{
    int compared = 0;
    for (int u = 0; u < n_units; u++)
        for (int stage = 1; stage <= 3; stage++) {
            double late = fact_value(evaluation, late_facts[stage - 1], units[u]);
            double recount = late_in_sql(stage, units[u]);
            if (!SF_CHECK(fabs(late - recount) < 1e-9))
                printf("%s at %s: evaluation %g, intake's case_stage_late %g\n", late_facts[stage - 1], units[u],
                       late, recount);
            double in_time = fact_value(evaluation, in_time_facts[stage - 1], units[u]);
            if (!SF_CHECK(fabs(in_time - expected_in_time[u][stage - 1]) < 1e-9))
                printf("%s at %s: evaluation %g, expected %d\n", in_time_facts[stage - 1], units[u], in_time,
                       expected_in_time[u][stage - 1]);
            compared += 2;
        }
    printf("compared %d figures (fact x unit)\n", compared);
}

static double
kpi_value(sf_client_t *evaluation, const char *kpi, const char *unit)
{
    Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
    char *kpis[1] = { (char *) kpi };
    request.kpi_codes = kpis;
    request.n_kpi_codes = 1;
    request.period = month;
    request.unit_code = (char *) unit;
    Sifang__V1__KpiValuesReply *reply = NULL;
    if (td_call(evaluation, "KpiValues", &request.base, &sifang__v1__kpi_values_reply__descriptor,
                (ProtobufCMessage **) &reply) != SF_OK)
        return NAN;
    double value = NAN;
    for (size_t v = 0; v < reply->n_values; v++)
        if (strcmp(reply->values[v]->kpi_code, kpi) == 0 && strcmp(reply->values[v]->unit_code, unit) == 0)
            value = reply->values[v]->value;
    protobuf_c_message_free_unpacked(&reply->base, NULL);
    return value;
}

static sf_test_daemon_t *
start_evaluation(void)
{
    char grid_e[200], grid_p[200], intake_e[200], intake_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    snprintf(intake_e, sizeof intake_e, "SIFANG_INTAKE_ENDPOINT=%s", intake_endpoint);
    snprintf(intake_p, sizeof intake_p, "SIFANG_INTAKE_PUBLISH=%s", intake_publish);
    const char *env[] = { grid_e, grid_p, intake_e, intake_p, "SIFANG_EVALUATION_SOURCES=grid intake",
                          "SIFANG_EVALUATION_POLL_MS=200", NULL };
    return td_start("evaluation", dir, eval_endpoint, eval_publish, env);
}

int
main(void)
{
    if (sf_test_pg_env("evaluation_lateness_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    td_current_period(1, month);   /* the month */
    grid_endpoint = sf_test_ipc_endpoint(dir, "grid.router");
    grid_publish = sf_test_ipc_endpoint(dir, "grid.pub");
    intake_endpoint = sf_test_ipc_endpoint(dir, "intake.router");
    intake_publish = sf_test_ipc_endpoint(dir, "intake.pub");
    eval_endpoint = sf_test_ipc_endpoint(dir, "evaluation.router");
    eval_publish = sf_test_ipc_endpoint(dir, "evaluation.pub");
    conn = sf_test_pg_connect();
    sf_test_daemon_t *grid = td_start("grid", dir, grid_endpoint, grid_publish, NULL), *intake = NULL,
                     *evaluation = NULL;
    sf_client_t *grid_client = sf_client_new(grid_endpoint, NULL), *client = sf_client_new(eval_endpoint, NULL);
    intake_client = sf_client_new(intake_endpoint, NULL);
    sf_client_set_timeout(grid_client, 20000);
    sf_client_set_timeout(intake_client, 20000);
    sf_client_set_timeout(client, 20000);
    if (!SF_CHECK(conn && grid) || !SF_CHECK_EQ_INT(td_build(grid_client, &district), 0))
        goto cleanup;
    char grid_e[200], grid_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    /* The sweep runs when the test asks. */
    const char *intake_env[] = { grid_e, grid_p, "SIFANG_INTAKE_GRID_POLL_MS=200", "SIFANG_INTAKE_VOLUNTEER=false",
                                 "SIFANG_INTAKE_IMPORT_GRACE_S=0", "SIFANG_INTAKE_SWEEP_MS=86400000", NULL };
    intake = td_start("intake", dir, intake_endpoint, intake_publish, intake_env);
    evaluation = start_evaluation();
    if (!SF_CHECK(intake && evaluation))
        goto cleanup;
    for (int i = 0; i < 200; i++) {
        if (sf_test_pg_int(conn, "SELECT count(*) FROM intake.ref_household") == district.n_households
            && sf_test_pg_int(conn, "SELECT count(*) FROM intake.ref_staff") > 0)
            break;
        usleep(50 * 1000);
    }

    /* A: the street's receipt late; sent back, the community signs in time
     * and starts late. */
    int64_t a = submit(0);
    if (!SF_CHECK(a && assign_unit(a, STREET_1)))
        goto cleanup;
    sql("UPDATE intake.intake_case SET receipt_due_at = now() - interval '1 minute' WHERE id = %lld", a);
    sweep();
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = a;
    Sifang__V1__CaseSendBackRequest back = SIFANG__V1__CASE_SEND_BACK_REQUEST__INIT;
    back.ref = &ref;
    back.reason = "不属于街道职责，应由社区办理";
    Sifang__V1__Case *sent = case_call("CaseSendBack", &back.base);
    SF_CHECK(sent && !sent->assignee && sent->send_backs == 1);
    if (sent)
        protobuf_c_message_free_unpacked(&sent->base, NULL);
    SF_CHECK(assign_unit(a, COMMUNITY_1_1) && step("CaseSign", a));
    sql("UPDATE intake.intake_case SET first_response_due_at = now() - interval '1 minute' WHERE id = %lld", a);
    SF_CHECK(step("CaseStart", a));

    /* B: the member's receipt late, then past due: escalated to the
     * community station and on to the street office, which signs in time. */
    int64_t b = submit(1);
    if (!SF_CHECK(b))
        goto cleanup;
    sql("UPDATE intake.intake_case SET receipt_due_at = now() - interval '1 minute' WHERE id = %lld", b);
    sweep();
    sql("UPDATE intake.intake_case SET due_at = now() - interval '1 hour' WHERE id = %lld", b);
    sweep();
    sql("UPDATE intake.intake_case SET escalated_at = now() - interval '25 hours',"
        " receipt_due_at = now() + interval '1 hour', first_response_due_at = now() + interval '1 hour'"
        " WHERE id = %lld", b);
    sweep();
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM intake.intake_case WHERE assignee_kind = 3"
                                         " AND assignee_code = '" STREET_1 "' AND assignment = 3"), 1);
    SF_CHECK(step("CaseSign", b));

    /* C: every stage in time. */
    int64_t c = submit(2);
    if (!SF_CHECK(c))
        goto cleanup;
    SF_CHECK(step("CaseSign", c) && step("CaseStart", c));
    Sifang__V1__CaseRef c_ref = SIFANG__V1__CASE_REF__INIT;
    c_ref.id = c;
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = &c_ref;
    resolve.resolution = "已上门维修";
    Sifang__V1__Case *resolved = case_call("CaseResolve", &resolve.base);
    SF_CHECK(resolved && resolved->resolved_in_time);
    if (resolved)
        protobuf_c_message_free_unpacked(&resolved->base, NULL);

    /* Intake recorded each against its holder then. */
    char text[300];
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld AND stage = 1"
             " AND holder_unit = '" STREET_1 "'", (long long) a);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, text), 1);
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld AND stage = 2"
             " AND holder_unit = '" COMMUNITY_1_1 "'", (long long) a);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, text), 1);
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld"
             " AND stage IN (1, 3) AND holder_kind = 2 AND holder_unit = '" COMMUNITY_1_2 "'", (long long) b);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, text), 2);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM intake.case_stage_late"), 4);

    if (!SF_CHECK(td_wait_caught_up(client, "grid", grid_endpoint, 60000)
                  && td_wait_caught_up(client, "intake", intake_endpoint, 60000)))
        goto cleanup;
    const char *units[] = { "370205", STREET_1, "370205002", COMMUNITY_1_1, COMMUNITY_1_2, "370205002001",
                            "370205002002" };
    /* In time: A's receipt at community 1-1, B's at street 1 (as the street
     * office itself, so not under community 1-2), C's three at 2-1. */
    const int in_time[][3] = {
        { 3, 1, 1 }, { 2, 0, 0 }, { 1, 1, 1 }, { 1, 0, 0 }, { 0, 0, 0 }, { 1, 1, 1 }, { 0, 0, 0 },
    };
    compare(client, units, (int) (sizeof units / sizeof *units), in_time);
    /* The point of it: the receipts late count against whoever held the
     * case then: the street for A (now with community 1-1, which has none),
     * the member of community 1-2 for B (now with the street office). */
    SF_CHECK(fact_value(client, "receipts_late", COMMUNITY_1_1) == 0);
    SF_CHECK(fact_value(client, "receipts_late", COMMUNITY_1_2) == 1);
    SF_CHECK(fact_value(client, "completions_late", COMMUNITY_1_2) == 1);
    SF_CHECK(fact_value(client, "receipts_late", STREET_1) == 2);
    /* The shares: street 1 signed 2 of 4 receipts in time (its own and its
     * communities'), community 2-1 every stage. */
    SF_CHECK(fabs(kpi_value(client, "receipt_timeliness", STREET_1) - 50) < 1e-9);
    SF_CHECK(fabs(kpi_value(client, "first_response_timeliness", COMMUNITY_1_1) - 0) < 1e-9);
    SF_CHECK(fabs(kpi_value(client, "receipt_timeliness", COMMUNITY_2_1) - 100) < 1e-9);
    SF_CHECK(fabs(kpi_value(client, "stage_completion_timeliness", "370205") - 50) < 1e-9);

    /* Restarted, evaluation counts nothing twice. */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    evaluation = start_evaluation();
    if (SF_CHECK(evaluation && td_wait_caught_up(client, "intake", intake_endpoint, 60000)))
        compare(client, units, (int) (sizeof units / sizeof *units), in_time);

cleanup:
    sf_client_destroy(&client);
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
