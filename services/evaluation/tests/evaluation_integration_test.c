/* Evaluation against a real grid and a real PostgreSQL: KPIs defined as data
 * and computed per unit equal the same figures from grid's own tables;
 * inputs per yuan; a questionnaire, a reproducible stratified sample and
 * validated responses with their intervals; a scheme, scorecards, sign-off
 * (approved, returned, approved again), freezing and the appraisal list;
 * sensitivity; the report as JSON and HTML; names at their limits in
 * Chinese sent back whole. Every invalid request gets its status and field
 * and writes nothing. */
#include "evaluation_test_district.h"
#include "sf_test_person.h"
#include "sf_config.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256], half[16], year[16];
static char *grid_endpoint, *grid_publish, *eval_endpoint, *eval_publish;
static PGconn *conn;
static td_district_t district;

static sf_client_t *
client_as(const char *id, const char *role, const char *scope)
{
    sf_client_t *client = sf_client_new(eval_endpoint, NULL);
    sf_client_set_timeout(client, 20000);
    if (role)
        sf_client_set_principal(client, id, role, scope);
    return client;
}

/* Rows written in evaluation's own tables (not the follower's): an invalid
 * request must change none of them. */
static long long
own_rows(void)
{
    return sf_test_pg_int(conn,
        "SELECT (SELECT count(*) FROM evaluation.kpi) + (SELECT count(*) FROM evaluation.input_value)"
        " + (SELECT count(*) FROM evaluation.questionnaire) + (SELECT count(*) FROM evaluation.survey_round)"
        " + (SELECT count(*) FROM evaluation.survey_sample) + (SELECT count(*) FROM evaluation.survey_response)"
        " + (SELECT count(*) FROM evaluation.scheme) + (SELECT count(*) FROM evaluation.sign_off)"
        " + (SELECT count(*) FROM evaluation.period_frozen) + (SELECT count(*) FROM evaluation.event_log)");
}

/* KPI values by unit code for one KPI and a kind of unit. */
static int
kpi_values(sf_client_t *client, const char *kpi, const char *period, int kind, char codes[][16], double *values,
           bool *has, int max)
{
    Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
    char *codes_wanted[1] = { (char *) kpi };
    request.kpi_codes = codes_wanted;
    request.n_kpi_codes = 1;
    request.period = (char *) period;
    request.kind = (Sifang__V1__UnitKind) kind;
    Sifang__V1__KpiValuesReply *reply = NULL;
    if (td_call(client, "KpiValues", &request.base, &sifang__v1__kpi_values_reply__descriptor,
                (ProtobufCMessage **) &reply) != SF_OK)
        return -1;
    int n = 0;
    for (size_t i = 0; i < reply->n_values && n < max; i++, n++) {
        snprintf(codes[n], 16, "%s", reply->values[i]->unit_code);
        values[n] = reply->values[i]->value;
        has[n] = reply->values[i]->has_value;
    }
    protobuf_c_message_free_unpacked(&reply->base, NULL);
    return n;
}

/* The KPI for every unit of a kind equals what SQL over grid's tables gives
 * (sql takes the unit code as $1 via format: %s). */
static void
check_against_grid(sf_client_t *client, const char *kpi, int kind, const char *sql_format)
{
    char codes[64][16];
    double values[64];
    bool has[64];
    int n = kpi_values(client, kpi, half, kind, codes, values, has, 64);
    if (!SF_CHECK(n > 0))
        return;
    for (int i = 0; i < n; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql, sql_format, codes[i], codes[i], codes[i], codes[i]);
        PGresult *result = PQexec(conn, sql);
        double expected = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1
                              ? atof(PQgetvalue(result, 0, 0)) : NAN;
        PQclear(result);
        if (!SF_CHECK(has[i] && fabs(values[i] - expected) < 1e-9))
            printf("%s at %s: evaluation %.12g, grid %.12g\n", kpi, codes[i], values[i], expected);
    }
}

static void
define_kpi(sf_client_t *client, const char *code, const char *numerator, const char *denominator, double factor,
           int direction, int expected_version)
{
    Sifang__V1__Kpi kpi = SIFANG__V1__KPI__INIT;
    kpi.code = (char *) code;
    kpi.name = (char *) code;
    kpi.numerator = (char *) numerator;
    kpi.denominator = (char *) denominator;
    kpi.factor = factor;
    kpi.direction = (Sifang__V1__KpiDirection) direction;
    Sifang__V1__Kpi *defined = NULL;
    if (SF_CHECK(td_call(client, "KpiDefine", &kpi.base, &sifang__v1__kpi__descriptor,
                         (ProtobufCMessage **) &defined) == SF_OK)) {
        SF_CHECK_EQ_INT(defined->version, expected_version);
        protobuf_c_message_free_unpacked(&defined->base, NULL);
    }
}

static void
test_kpis(sf_client_t *admin)
{
    /* A district adds KPIs without code: shares and counts over grid's facts. */
    define_kpi(admin, "difficulty_share", "#{households_in_difficulty}", "#{households}", 100, 2, 1);
    define_kpi(admin, "difficulty_share", "#{households_in_difficulty}", "#{households}", 100, 2, 1);  /* same */
    define_kpi(admin, "residents_per_household", "#{residents}", "#{households}", 0, 1, 1);
    define_kpi(admin, "households_count", "#{households}", "", 0, 1, 1);
    define_kpi(admin, "households_count", "#{households} + 0", "", 0, 1, 2);   /* changed: version 2 */

    check_against_grid(admin, "households_count", 3,
        "SELECT count(*) FROM grid.household WHERE code LIKE '%s%%'");
    check_against_grid(admin, "households_count", 4,
        "SELECT count(*) FROM grid.household WHERE code LIKE '%s%%'");
    check_against_grid(admin, "difficulty_share", 2,
        "SELECT 100.0 * count(*) FILTER (WHERE cardinality(flags) > 0) / count(*) FROM grid.household"
        " WHERE code LIKE '%s%%'");
    check_against_grid(admin, "residents_per_household", 1,
        "SELECT (SELECT count(*) FROM grid.resident WHERE household_code LIKE '%s%%')::float8"
        " / (SELECT count(*) FROM grid.household WHERE code LIKE '%s%%')");

    /* AVERAGE over the hierarchy: a street's value is the mean of its
     * communities'. */
    Sifang__V1__Kpi averaged = SIFANG__V1__KPI__INIT;
    averaged.code = "difficulty_share_mean";
    averaged.name = "Mean community difficulty share";
    averaged.numerator = "#{households_in_difficulty}";
    averaged.denominator = "#{households}";
    averaged.factor = 100;
    averaged.unit_aggregation = SIFANG__V1__UNIT_AGGREGATION__UNIT_AGGREGATION_AVERAGE;
    SF_CHECK(td_call(admin, "KpiDefine", &averaged.base, NULL, NULL) == SF_OK);
    check_against_grid(admin, "difficulty_share_mean", 2,
        "SELECT avg(share) FROM (SELECT 100.0 * count(*) FILTER (WHERE cardinality(flags) > 0) / count(*) AS share"
        " FROM grid.household WHERE code LIKE '%s%%' GROUP BY left(code, 12)) c");

    /* AVERAGE over time: a stock's month-end levels (all of this period's
     * households arrived this month, so earlier months hold none). */
    Sifang__V1__Kpi monthly = SIFANG__V1__KPI__INIT;
    monthly.code = "households_monthly_mean";
    monthly.name = "Households, mean of month ends";
    monthly.numerator = "#{households}";
    monthly.time_aggregation = SIFANG__V1__TIME_AGGREGATION__TIME_AGGREGATION_AVERAGE;
    SF_CHECK(td_call(admin, "KpiDefine", &monthly.base, NULL, NULL) == SF_OK);
    char codes[4][16];
    double values[4];
    bool has[4];
    if (SF_CHECK(kpi_values(admin, "households_monthly_mean", half, 0, codes, values, has, 4) == 1)) {
        char month[16];
        td_current_period(1, month);
        int months_at_end = 6 - (atoi(month + 5) - 1) % 6;   /* this month and those after it in the half */
        SF_CHECK(fabs(values[0] - district.n_households * months_at_end / 6.0) < 1e-9);
    }

    /* The catalogue and versions. */
    Sifang__V1__KpiListRequest list = SIFANG__V1__KPI_LIST_REQUEST__INIT;
    Sifang__V1__KpiListReply *kpis = NULL;
    if (SF_CHECK(td_call(admin, "KpiList", &list.base, &sifang__v1__kpi_list_reply__descriptor,
                         (ProtobufCMessage **) &kpis) == SF_OK)) {
        SF_CHECK(kpis->n_kpis >= 17 + 5);
        protobuf_c_message_free_unpacked(&kpis->base, NULL);
    }
    Sifang__V1__KpiGetRequest get = SIFANG__V1__KPI_GET_REQUEST__INIT;
    get.code = "households_count";
    get.version = 1;
    Sifang__V1__Kpi *first = NULL;
    if (SF_CHECK(td_call(admin, "KpiGet", &get.base, &sifang__v1__kpi__descriptor, (ProtobufCMessage **) &first)
                 == SF_OK)) {
        SF_CHECK_EQ_STR(first->numerator, "#{households}");
        protobuf_c_message_free_unpacked(&first->base, NULL);
    }

    /* Invalid definitions: each names its field and writes nothing. */
    long long before = own_rows();
    Sifang__V1__Kpi bad = SIFANG__V1__KPI__INIT;
    bad.code = "Bad Code";
    bad.name = "x";
    bad.numerator = "#{households}";
    SF_CHECK(td_refused(admin, "KpiDefine", &bad.base, SF_INVALID_ARGUMENT, "code"));
    bad.code = "ok_code";
    bad.numerator = "#{households} +";
    SF_CHECK(td_refused(admin, "KpiDefine", &bad.base, SF_INVALID_ARGUMENT, "numerator"));
    bad.numerator = "#{no_such_fact}";
    SF_CHECK(td_refused(admin, "KpiDefine", &bad.base, SF_INVALID_ARGUMENT, "numerator"));
    bad.numerator = "#{households}";
    bad.denominator = "(#{residents}";
    SF_CHECK(td_refused(admin, "KpiDefine", &bad.base, SF_INVALID_ARGUMENT, "denominator"));
    bad.denominator = "";
    bad.time_aggregation = 9;
    SF_CHECK(td_refused(admin, "KpiDefine", &bad.base, SF_INVALID_ARGUMENT, "time_aggregation"));
    bad.time_aggregation = 0;
    bad.name = "";
    SF_CHECK(td_refused(admin, "KpiDefine", &bad.base, SF_INVALID_ARGUMENT, "name"));
    bad.name = "x";
    sf_client_t *viewer = client_as("v1", "viewer", "");
    SF_CHECK(td_refused(viewer, "KpiDefine", &bad.base, SF_PERMISSION_DENIED, NULL));
    sf_client_destroy(&viewer);
    Sifang__V1__KpiValuesRequest values_bad = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
    values_bad.period = "2026-13";
    SF_CHECK(td_refused(admin, "KpiValues", &values_bad.base, SF_INVALID_ARGUMENT, "period"));
    /* Every violation at once: a bad unit is named beside a bad period. */
    values_bad.unit_code = "37020x";
    SF_CHECK(td_refused(admin, "KpiValues", &values_bad.base, SF_INVALID_ARGUMENT, "period"));
    SF_CHECK(td_refused(admin, "KpiValues", &values_bad.base, SF_INVALID_ARGUMENT, "unit_code"));
    Sifang__V1__FactValuesRequest facts_bad = SIFANG__V1__FACT_VALUES_REQUEST__INIT;
    facts_bad.period = "2026-13";
    facts_bad.unit_code = "37020x";
    SF_CHECK(td_refused(admin, "FactValues", &facts_bad.base, SF_INVALID_ARGUMENT, "period"));
    SF_CHECK(td_refused(admin, "FactValues", &facts_bad.base, SF_INVALID_ARGUMENT, "unit_code"));
    values_bad.unit_code = "";
    values_bad.period = half;
    char *unknown[1] = { "no_such_kpi" };
    values_bad.kpi_codes = unknown;
    values_bad.n_kpi_codes = 1;
    SF_CHECK(td_refused(admin, "KpiValues", &values_bad.base, SF_INVALID_ARGUMENT, "kpi_codes[0]"));
    SF_CHECK_EQ_INT(own_rows(), before);
}

static void
test_inputs(sf_client_t *admin)
{
    /* Budgets per community for the year, 10,000 to 27,000 yuan. */
    for (int i = 0; i < TD_STREETS * TD_COMMUNITIES; i++) {
        Sifang__V1__InputValue input = SIFANG__V1__INPUT_VALUE__INIT;
        input.input = "activity_budget";
        input.unit_code = district.community_codes[i];
        input.period = year;
        input.value = 10000 + 17000.0 * i / (TD_STREETS * TD_COMMUNITIES - 1);
        SF_CHECK(td_call(admin, "InputRecord", &input.base, NULL, NULL) == SF_OK);
    }
    define_kpi(admin, "households_per_10k_yuan", "#{households}", "I{activity_budget}", 10000, 1, 1);
    /* A half-year reads half of each year's budget; a street the sum of its
     * communities'. */
    check_against_grid(admin, "households_per_10k_yuan", 3,
        "SELECT 10000.0 * (SELECT count(*) FROM grid.household WHERE code LIKE '%s%%')"
        " / (SELECT sum(value) / 2 FROM evaluation.input_value WHERE unit_code LIKE '%s%%')");
    check_against_grid(admin, "households_per_10k_yuan", 2,
        "SELECT 10000.0 * (SELECT count(*) FROM grid.household WHERE code LIKE '%s%%')"
        " / (SELECT sum(value) / 2 FROM evaluation.input_value WHERE unit_code LIKE '%s%%')");

    long long before = own_rows();
    Sifang__V1__InputValue bad = SIFANG__V1__INPUT_VALUE__INIT;
    bad.input = "activity_budget";
    bad.unit_code = district.community_codes[0];
    bad.period = year;
    bad.value = -1;
    SF_CHECK(td_refused(admin, "InputRecord", &bad.base, SF_INVALID_ARGUMENT, "value"));
    bad.value = 1;
    bad.period = "2026-Q1";
    SF_CHECK(td_refused(admin, "InputRecord", &bad.base, SF_INVALID_ARGUMENT, "period"));
    bad.period = year;
    bad.unit_code = "37020x";
    SF_CHECK(td_refused(admin, "InputRecord", &bad.base, SF_INVALID_ARGUMENT, "unit_code"));
    bad.unit_code = district.community_codes[0];
    sf_client_t *other_street = client_as("street-2", "street", "370205002");
    SF_CHECK(td_refused(other_street, "InputRecord", &bad.base, SF_PERMISSION_DENIED, NULL));
    sf_client_destroy(&other_street);

    /* People: a leader reads within their view and writes nothing; the
     * appraisal office writes within its write scope. */
    char street_1[16];
    snprintf(street_1, sizeof street_1, "%.9s", district.community_codes[0]);
    sf_test_grant_t lead[] = { { "leader", street_1, NULL, NULL } };
    sf_test_grant_t appraise[] = { { "appraisal_office", "*", "370205999", NULL } };
    sf_client_t *leader = client_as("S00901", NULL, NULL);
    sf_client_t *office = client_as("S00902", NULL, NULL);
    SF_CHECK(sf_test_set_person(leader, "S00901", NULL, lead, 1) == 0);
    SF_CHECK(sf_test_set_person(office, "S00902", NULL, appraise, 1) == 0);
    Sifang__V1__InputListRequest list = SIFANG__V1__INPUT_LIST_REQUEST__INIT;
    list.input = "activity_budget";
    list.period = year;
    Sifang__V1__InputListReply *listed = NULL;
    if (SF_CHECK(td_call(leader, "InputList", &list.base, &sifang__v1__input_list_reply__descriptor,
                         (ProtobufCMessage **) &listed) == SF_OK)) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM evaluation.input_value WHERE input = 'activity_budget'"
                                  " AND unit_code LIKE '%s%%'", street_1);
        SF_CHECK_EQ_INT((long long) listed->n_inputs, sf_test_pg_int(conn, sql));
        for (size_t i = 0; i < listed->n_inputs; i++)
            SF_CHECK(strncmp(listed->inputs[i]->unit_code, street_1, strlen(street_1)) == 0);
        protobuf_c_message_free_unpacked(&listed->base, NULL);
    }
    list.under = "370205002";
    if (SF_CHECK(td_call(leader, "InputList", &list.base, &sifang__v1__input_list_reply__descriptor,
                         (ProtobufCMessage **) &listed) == SF_OK)) {
        SF_CHECK_EQ_INT((long long) listed->n_inputs, 0);
        protobuf_c_message_free_unpacked(&listed->base, NULL);
    }
    SF_CHECK(td_refused(leader, "InputRecord", &bad.base, SF_PERMISSION_DENIED, NULL));
    SF_CHECK(td_refused(office, "InputRecord", &bad.base, SF_PERMISSION_DENIED, NULL));
    sf_client_destroy(&leader);
    sf_client_destroy(&office);
    SF_CHECK_EQ_INT(own_rows(), before);
}

static void
define_questionnaire(sf_client_t *admin)
{
    Sifang__V1__SurveyQuestion q1 = SIFANG__V1__SURVEY_QUESTION__INIT, q2 = SIFANG__V1__SURVEY_QUESTION__INIT,
                               q3 = SIFANG__V1__SURVEY_QUESTION__INIT, q4 = SIFANG__V1__SURVEY_QUESTION__INIT;
    q1.code = "overall";
    q1.text = "How satisfied are you with the community's work?";
    q1.kind = SIFANG__V1__QUESTION_KIND__QUESTION_KIND_SCALE;
    q1.required = true;
    q1.satisfaction = true;
    q2.code = "cadre_known";
    q2.text = "Do you know your zone's cadre?";
    q2.kind = SIFANG__V1__QUESTION_KIND__QUESTION_KIND_YES_NO;
    q3.code = "channel";
    q3.text = "How do you usually ask for help?";
    q3.kind = SIFANG__V1__QUESTION_KIND__QUESTION_KIND_CHOICE;
    char *choices[] = { "window", "hotline", "one-key call" };
    q3.choices = choices;
    q3.n_choices = 3;
    q4.code = "comment";
    q4.text = "Anything else?";
    q4.kind = SIFANG__V1__QUESTION_KIND__QUESTION_KIND_TEXT;
    Sifang__V1__SurveyQuestion *questions[] = { &q1, &q2, &q3, &q4 };
    Sifang__V1__Questionnaire questionnaire = SIFANG__V1__QUESTIONNAIRE__INIT;
    questionnaire.code = "household_survey";
    questionnaire.title = "Half-yearly household survey";
    questionnaire.questions = questions;
    questionnaire.n_questions = 4;
    Sifang__V1__Questionnaire *defined = NULL;
    if (SF_CHECK(td_call(admin, "QuestionnaireDefine", &questionnaire.base, &sifang__v1__questionnaire__descriptor,
                         (ProtobufCMessage **) &defined) == SF_OK)) {
        SF_CHECK_EQ_INT(defined->version, 1);
        SF_CHECK_EQ_INT(defined->n_questions, 4);
        SF_CHECK_EQ_INT(defined->questions[0]->scale_max, 5);
        SF_CHECK_EQ_INT(defined->questions[2]->n_choices, 3);
        protobuf_c_message_free_unpacked(&defined->base, NULL);
    }
    /* Again, unchanged: still version 1. */
    if (SF_CHECK(td_call(admin, "QuestionnaireDefine", &questionnaire.base, &sifang__v1__questionnaire__descriptor,
                         (ProtobufCMessage **) &defined) == SF_OK)) {
        SF_CHECK_EQ_INT(defined->version, 1);
        protobuf_c_message_free_unpacked(&defined->base, NULL);
    }
    long long before = own_rows();
    q1.satisfaction = false;
    SF_CHECK(td_refused(admin, "QuestionnaireDefine", &questionnaire.base, SF_INVALID_ARGUMENT, "questions"));
    q1.satisfaction = true;
    q2.code = "overall";
    SF_CHECK(td_refused(admin, "QuestionnaireDefine", &questionnaire.base, SF_INVALID_ARGUMENT, "questions[1].code"));
    q2.code = "cadre_known";
    q1.scale_min = 5;
    q1.scale_max = 3;
    SF_CHECK(td_refused(admin, "QuestionnaireDefine", &questionnaire.base, SF_INVALID_ARGUMENT,
                        "questions[0].scale_max"));
    q1.scale_min = q1.scale_max = 0;
    q3.n_choices = 1;
    SF_CHECK(td_refused(admin, "QuestionnaireDefine", &questionnaire.base, SF_INVALID_ARGUMENT,
                        "questions[2].choices"));
    q3.n_choices = 3;
    SF_CHECK_EQ_INT(own_rows(), before);
}

static Sifang__V1__SurveyRound *
create_round(sf_client_t *admin, const char *code, int64_t seed, int per_community)
{
    Sifang__V1__SurveyRound round = SIFANG__V1__SURVEY_ROUND__INIT;
    round.code = (char *) code;
    round.questionnaire_code = "household_survey";
    round.period = half;
    round.mode = SIFANG__V1__SURVEY_MODE__SURVEY_MODE_HOUSEHOLD;
    round.per_community = per_community;
    round.seed = seed;
    Sifang__V1__SurveyRound *created = NULL;
    td_call(admin, "SurveyRoundCreate", &round.base, &sifang__v1__survey_round__descriptor,
            (ProtobufCMessage **) &created);
    return created;
}

static void
test_surveys(sf_client_t *admin)
{
    define_questionnaire(admin);
    int communities = TD_STREETS * TD_COMMUNITIES;
    Sifang__V1__SurveyRound *round = create_round(admin, "round-a", 42, 7);
    if (!SF_CHECK(round))
        return;
    SF_CHECK_EQ_INT(round->sampled, communities * 7);
    SF_CHECK_EQ_INT(round->questionnaire_version, 1);
    protobuf_c_message_free_unpacked(&round->base, NULL);
    /* Reproducible: the same seed draws the same households; another seed
     * another sample. Stratified: each zone gets its proportional share. */
    Sifang__V1__SurveyRound *again = create_round(admin, "round-b", 42, 7);
    Sifang__V1__SurveyRound *other = create_round(admin, "round-c", 43, 7);
    SF_CHECK(again && other);
    if (again)
        protobuf_c_message_free_unpacked(&again->base, NULL);
    if (other)
        protobuf_c_message_free_unpacked(&other->base, NULL);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn,
        "SELECT count(*) FROM (SELECT household_code, draw FROM evaluation.survey_sample WHERE round_code = 'round-a'"
        " EXCEPT SELECT household_code, draw FROM evaluation.survey_sample WHERE round_code = 'round-b') d"), 0);
    SF_CHECK(sf_test_pg_int(conn,
        "SELECT count(*) FROM (SELECT household_code FROM evaluation.survey_sample WHERE round_code = 'round-a'"
        " EXCEPT SELECT household_code FROM evaluation.survey_sample WHERE round_code = 'round-c') d") > 0);
    /* Proportional allocation: a zone's share differs from n_zone * 7 /
     * n_community by less than one household. */
    SF_CHECK_EQ_INT(sf_test_pg_int(conn,
        "WITH z AS (SELECT left(code, 14) AS zone, count(*) AS n FROM grid.household GROUP BY 1),"
        " c AS (SELECT left(zone, 12) AS community, sum(n) AS n FROM z GROUP BY 1),"
        " s AS (SELECT zone_code AS zone, count(*) AS taken FROM evaluation.survey_sample"
        "       WHERE round_code = 'round-a' GROUP BY 1)"
        " SELECT count(*) FROM z JOIN c ON c.community = left(z.zone, 12) LEFT JOIN s USING (zone)"
        " WHERE abs(COALESCE(s.taken, 0) - z.n * 7.0 / c.n) >= 1"), 0);

    /* Responses: every sampled household of round-a, one in five refusing,
     * answers spread over the scale by household. */
    Sifang__V1__SurveySampleRequest sample = SIFANG__V1__SURVEY_SAMPLE_REQUEST__INIT;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 10;
    sample.round_code = "round-a";
    sample.page = &page;
    int listed = 0, answered = 0;
    char token[32] = "";
    char first_household[20] = "";
    for (;;) {
        page.page_token = token;
        Sifang__V1__SurveySampleReply *households = NULL;
        if (!SF_CHECK(td_call(admin, "SurveySample", &sample.base, &sifang__v1__survey_sample_reply__descriptor,
                              (ProtobufCMessage **) &households) == SF_OK))
            break;
        for (size_t i = 0; i < households->n_households; i++, listed++) {
            const char *code = households->households[i]->household_code;
            if (!first_household[0])
                snprintf(first_household, sizeof first_household, "%s", code);
            int digit = code[17] - '0';
            Sifang__V1__SurveyResponse response = SIFANG__V1__SURVEY_RESPONSE__INIT;
            Sifang__V1__SurveyAnswer overall = SIFANG__V1__SURVEY_ANSWER__INIT, known = SIFANG__V1__SURVEY_ANSWER__INIT;
            Sifang__V1__SurveyAnswer *answers[] = { &overall, &known };
            response.round_code = "round-a";
            response.household_code = (char *) code;
            response.mode = listed % 3 ? SIFANG__V1__SURVEY_MODE__SURVEY_MODE_HOUSEHOLD
                                       : SIFANG__V1__SURVEY_MODE__SURVEY_MODE_PHONE;
            response.interviewer = "S00001";
            if (listed % 5 == 4)
                response.outcome = SIFANG__V1__RESPONSE_OUTCOME__RESPONSE_OUTCOME_REFUSED;
            else {
                response.outcome = SIFANG__V1__RESPONSE_OUTCOME__RESPONSE_OUTCOME_COMPLETED;
                overall.question = "overall";
                overall.value = 1 + (digit + listed) % 5;
                known.question = "cadre_known";
                known.value = digit % 2;
                response.answers = answers;
                response.n_answers = 2;
            }
            answered += td_call(admin, "SurveyResponseRecord", &response.base, NULL, NULL) == SF_OK;
        }
        snprintf(token, sizeof token, "%s", households->next_page_token);
        protobuf_c_message_free_unpacked(&households->base, NULL);
        if (!*token)
            break;
    }
    SF_CHECK_EQ_INT(listed, communities * 7);
    SF_CHECK_EQ_INT(answered, listed);

    /* Invalid responses: named fields, nothing written. */
    long long before = own_rows();
    Sifang__V1__SurveyResponse bad = SIFANG__V1__SURVEY_RESPONSE__INIT;
    Sifang__V1__SurveyAnswer answer = SIFANG__V1__SURVEY_ANSWER__INIT;
    Sifang__V1__SurveyAnswer *answers[] = { &answer };
    bad.round_code = "round-c";
    bad.household_code = first_household;
    bad.mode = SIFANG__V1__SURVEY_MODE__SURVEY_MODE_PHONE;
    bad.outcome = SIFANG__V1__RESPONSE_OUTCOME__RESPONSE_OUTCOME_COMPLETED;
    bad.answers = answers;
    bad.n_answers = 1;
    answer.question = "overall";
    answer.value = 6;
    SF_CHECK(td_refused(admin, "SurveyResponseRecord", &bad.base, SF_INVALID_ARGUMENT, "answers[0].value"));
    answer.question = "nonsense";
    answer.value = 3;
    SF_CHECK(td_refused(admin, "SurveyResponseRecord", &bad.base, SF_INVALID_ARGUMENT, "answers[0].question"));
    answer.question = "cadre_known";
    answer.value = 1;
    SF_CHECK(td_refused(admin, "SurveyResponseRecord", &bad.base, SF_INVALID_ARGUMENT, "answers"));  /* overall missing */
    bad.outcome = SIFANG__V1__RESPONSE_OUTCOME__RESPONSE_OUTCOME_REFUSED;
    SF_CHECK(td_refused(admin, "SurveyResponseRecord", &bad.base, SF_INVALID_ARGUMENT, "answers"));
    bad.n_answers = 0;
    bad.mode = 7;
    SF_CHECK(td_refused(admin, "SurveyResponseRecord", &bad.base, SF_INVALID_ARGUMENT, "mode"));
    bad.mode = SIFANG__V1__SURVEY_MODE__SURVEY_MODE_PHONE;
    bad.round_code = "round-a";
    SF_CHECK(td_refused(admin, "SurveyResponseRecord", &bad.base, SF_ALREADY_EXISTS, "household_code"));
    bad.round_code = "round-c";
    bad.household_code = "370205001001011999";
    SF_CHECK(td_refused(admin, "SurveyResponseRecord", &bad.base, SF_NOT_FOUND, "household_code"));
    bad.round_code = "no-round";
    SF_CHECK(td_refused(admin, "SurveyResponseRecord", &bad.base, SF_NOT_FOUND, "round_code"));
    Sifang__V1__SurveyRound bad_round = SIFANG__V1__SURVEY_ROUND__INIT;
    bad_round.code = "round-x";
    bad_round.questionnaire_code = "household_survey";
    bad_round.period = "2026-05";
    bad_round.mode = SIFANG__V1__SURVEY_MODE__SURVEY_MODE_PHONE;
    bad_round.per_community = 5;
    SF_CHECK(td_refused(admin, "SurveyRoundCreate", &bad_round.base, SF_INVALID_ARGUMENT, "period"));
    bad_round.period = half;
    bad_round.per_community = 0;
    SF_CHECK(td_refused(admin, "SurveyRoundCreate", &bad_round.base, SF_INVALID_ARGUMENT, "per_community"));
    bad_round.per_community = 5;
    bad_round.questionnaire_code = "missing";
    SF_CHECK(td_refused(admin, "SurveyRoundCreate", &bad_round.base, SF_NOT_FOUND, "questionnaire_code"));
    bad_round.questionnaire_code = "household_survey";
    bad_round.code = "round-a";
    SF_CHECK(td_refused(admin, "SurveyRoundCreate", &bad_round.base, SF_ALREADY_EXISTS, "code"));
    SF_CHECK_EQ_INT(own_rows(), before);

    /* Results: rates and means equal the SQL over the responses; intervals
     * hold the estimate. */
    Sifang__V1__SurveyResultsRequest ask = SIFANG__V1__SURVEY_RESULTS_REQUEST__INIT;
    ask.round_code = "round-a";
    ask.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY;
    Sifang__V1__SurveyResultsReply *results = NULL;
    if (SF_CHECK(td_call(admin, "SurveyResults", &ask.base, &sifang__v1__survey_results_reply__descriptor,
                         (ProtobufCMessage **) &results) == SF_OK)) {
        SF_CHECK_EQ_INT(results->n_results, communities);
        for (size_t i = 0; i < results->n_results; i++) {
            const Sifang__V1__SurveyResult *r = results->results[i];
            char sql[512];
            snprintf(sql, sizeof sql,
                     "SELECT round(avg(satisfaction)::numeric * 1000) FROM evaluation.survey_response"
                     " WHERE round_code = 'round-a' AND household_code LIKE '%s%%'", r->unit_code);
            SF_CHECK_EQ_INT(llround(r->satisfaction_mean * 1000), sf_test_pg_int(conn, sql));
            SF_CHECK_EQ_INT(r->sampled, 7);
            SF_CHECK(r->response_rate_low <= r->response_rate && r->response_rate <= r->response_rate_high);
            SF_CHECK(r->satisfaction_low <= r->satisfaction_mean && r->satisfaction_mean <= r->satisfaction_high);
            SF_CHECK(r->satisfied_low <= r->satisfied_share && r->satisfied_share <= r->satisfied_high);
        }
        SF_CHECK(strstr(results->method, "Wilson") != NULL);
        protobuf_c_message_free_unpacked(&results->base, NULL);
    }
    ask.kind = 0;
    if (SF_CHECK(td_call(admin, "SurveyResults", &ask.base, &sifang__v1__survey_results_reply__descriptor,
                         (ProtobufCMessage **) &results) == SF_OK)) {
        const Sifang__V1__SurveyResult *r = results->results[0];
        SF_CHECK_EQ_INT(r->sampled, communities * 7);
        SF_CHECK_EQ_INT(r->completed, sf_test_pg_int(conn,
            "SELECT count(*) FROM evaluation.survey_response WHERE round_code = 'round-a' AND outcome = 1"));
        SF_CHECK(r->satisfaction_low < r->satisfaction_mean && r->satisfaction_mean < r->satisfaction_high);
        protobuf_c_message_free_unpacked(&results->base, NULL);
    }
    /* The survey KPIs read the same responses. */
    char codes[8][16];
    double values[8];
    bool has[8];
    if (SF_CHECK(kpi_values(admin, "survey_response_rate", half, 0, codes, values, has, 8) == 1)) {
        double expected = 100.0 * (double) sf_test_pg_int(conn,
            "SELECT count(*) FROM evaluation.survey_response WHERE outcome = 1")
            / (double) sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.survey_sample");
        SF_CHECK(fabs(values[0] - expected) < 1e-9);
    }
}

static Sifang__V1__Scorecard *
scorecard(sf_client_t *client, bool with_cadres)
{
    Sifang__V1__ScorecardRequest request = SIFANG__V1__SCORECARD_REQUEST__INIT;
    request.period = half;
    request.with_cadres = with_cadres;
    Sifang__V1__Scorecard *card = NULL;
    td_call(client, "ScorecardGet", &request.base, &sifang__v1__scorecard__descriptor, (ProtobufCMessage **) &card);
    return card;
}

static bool
sign_off(sf_client_t *client, const char *unit, int decision, const char *note)
{
    Sifang__V1__SignOffRequest request = SIFANG__V1__SIGN_OFF_REQUEST__INIT;
    request.period = half;
    request.unit_code = (char *) unit;
    request.decision = (Sifang__V1__SignOffDecision) decision;
    request.note = (char *) note;
    return td_call(client, "SignOff", &request.base, NULL, NULL) == SF_OK;
}

static bool
same_card(const Sifang__V1__Scorecard *a, const Sifang__V1__Scorecard *b)
{
    size_t size = protobuf_c_message_get_packed_size(&a->base);
    if (size != protobuf_c_message_get_packed_size(&b->base))
        return false;
    uint8_t *x = malloc(size + 1), *y = malloc(size + 1);
    protobuf_c_message_pack(&a->base, x);
    protobuf_c_message_pack(&b->base, y);
    bool same = memcmp(x, y, size) == 0;
    free(x);
    free(y);
    return same;
}

/* The community's first cadre's name, as the card gives it. */
static const char *
first_cadre_name(const Sifang__V1__Scorecard *card, const char *community)
{
    for (size_t i = 0; i < card->n_communities; i++)
        if (strcmp(card->communities[i]->unit_code, community) == 0 && card->communities[i]->n_cadres > 0)
            return card->communities[i]->cadres[0]->name;
    return "";
}

/* ScorecardGet's replies are kept with the version of the data they were
 * built from (common/sf_kept.h): asked again, the same card, computed at
 * the same instant; a change made behind the daemon's back (no event, no
 * cursor) is not seen; the next write (a sign-off, its event) makes the
 * card built again, with the change and the sign-off. */
static void
test_scorecard_kept(sf_client_t *admin, const Sifang__V1__Scorecard *first)
{
    Sifang__V1__Scorecard *again = scorecard(admin, true);
    if (SF_CHECK(again)) {
        SF_CHECK(same_card(first, again));
        SF_CHECK_EQ_INT(again->computed_unix_ms, first->computed_unix_ms);
        protobuf_c_message_free_unpacked(&again->base, NULL);
    }
    const char *community = district.community_codes[0];
    char name[256];
    snprintf(name, sizeof name, "%s", first_cadre_name(first, community));
    SF_CHECK(name[0] != 0);
    SF_CHECK_EQ_INT(sf_test_pg_exec(conn, "UPDATE evaluation.staff SET name = name || '（改）'"), 0);
    again = scorecard(admin, true);
    if (SF_CHECK(again)) {
        SF_CHECK(same_card(first, again));
        SF_CHECK_EQ_STR(first_cadre_name(again, community), name);
        protobuf_c_message_free_unpacked(&again->base, NULL);
    }
    sf_client_t *street1 = client_as("street-1", "street", "370205001");
    SF_CHECK(sign_off(street1, community, SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_APPROVE, ""));
    again = scorecard(admin, true);
    if (SF_CHECK(again)) {
        char renamed[300];
        snprintf(renamed, sizeof renamed, "%s（改）", name);
        SF_CHECK_EQ_STR(first_cadre_name(again, community), renamed);
        SF_CHECK(again->computed_unix_ms >= first->computed_unix_ms);
        for (size_t i = 0; i < again->n_communities; i++)
            SF_CHECK_EQ_INT(again->communities[i]->sign_off,
                            strcmp(again->communities[i]->unit_code, community) == 0
                                ? SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_APPROVED
                                : SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_PENDING);
        protobuf_c_message_free_unpacked(&again->base, NULL);
    }
    /* The names put back, and a write after them (the community approved
     * again) so that no kept card has the changed names. */
    SF_CHECK_EQ_INT(sf_test_pg_exec(conn, "UPDATE evaluation.staff SET name = left(name, -3)"
                                          " WHERE name LIKE '%（改）'"), 0);
    SF_CHECK(sign_off(street1, community, SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_APPROVE, ""));
    again = scorecard(admin, true);
    if (SF_CHECK(again)) {
        SF_CHECK_EQ_STR(first_cadre_name(again, community), name);
        protobuf_c_message_free_unpacked(&again->base, NULL);
    }
    sf_client_destroy(&street1);
}

static void
test_scorecards(sf_client_t *admin)
{
    Sifang__V1__SchemeItem items[5] = {
        SIFANG__V1__SCHEME_ITEM__INIT, SIFANG__V1__SCHEME_ITEM__INIT,
        SIFANG__V1__SCHEME_ITEM__INIT, SIFANG__V1__SCHEME_ITEM__INIT, SIFANG__V1__SCHEME_ITEM__INIT,
    };
    items[0].kpi_code = "survey_satisfaction";
    items[0].weight = 4;
    items[0].target = 80;
    items[0].threshold = 30;
    items[1].kpi_code = "survey_response_rate";
    items[1].weight = 2;
    items[1].target = 90;
    items[1].threshold = 50;
    items[2].kpi_code = "difficulty_share";
    items[2].weight = 1;
    items[2].target = 20;
    items[2].threshold = 40;
    items[3].kpi_code = "households_per_10k_yuan";
    items[3].weight = 1;
    items[3].target = 60;
    items[3].threshold = 10;
    /* An indicator (指标, weight 0): shown for every unit, below its
     * threshold everywhere (2 or 3 residents a household), scoring and
     * flagging nothing. */
    items[4].kpi_code = "residents_per_household";
    items[4].weight = 0;
    items[4].target = 100;
    items[4].threshold = 50;
    Sifang__V1__SchemeItem *list[5] = { &items[0], &items[1], &items[2], &items[3], &items[4] };
    Sifang__V1__EvaluationScheme scheme = SIFANG__V1__EVALUATION_SCHEME__INIT;
    scheme.period = half;
    scheme.name = "Half-year appraisal";
    scheme.items = list;
    scheme.n_items = 5;
    scheme.commend_at = 70;
    scheme.attention_at = 40;

    long long before = own_rows();
    items[2].threshold = 10;   /* lower is better: the threshold must lie above the target */
    SF_CHECK(td_refused(admin, "SchemeDefine", &scheme.base, SF_INVALID_ARGUMENT, "items[2].threshold"));
    items[2].threshold = 40;
    items[1].kpi_code = "no_such_kpi";
    SF_CHECK(td_refused(admin, "SchemeDefine", &scheme.base, SF_INVALID_ARGUMENT, "items[1].kpi_code"));
    items[1].kpi_code = "survey_response_rate";
    items[0].weight = -1;
    SF_CHECK(td_refused(admin, "SchemeDefine", &scheme.base, SF_INVALID_ARGUMENT, "items[0].weight"));
    /* Indicators alone weigh nothing: not a scheme. */
    for (int i = 0; i < 4; i++)
        items[i].weight = 0;
    SF_CHECK(td_refused(admin, "SchemeDefine", &scheme.base, SF_INVALID_ARGUMENT, "items"));
    items[0].weight = 4;
    items[1].weight = 2;
    items[2].weight = items[3].weight = 1;
    scheme.period = "2026-05";
    SF_CHECK(td_refused(admin, "SchemeDefine", &scheme.base, SF_INVALID_ARGUMENT, "period"));
    scheme.period = half;
    SF_CHECK_EQ_INT(own_rows(), before);
    Sifang__V1__ScorecardRequest early = SIFANG__V1__SCORECARD_REQUEST__INIT;
    early.period = half;
    SF_CHECK(td_refused(admin, "ScorecardGet", &early.base, SF_FAILED_PRECONDITION, "period"));

    Sifang__V1__EvaluationScheme *defined = NULL;
    if (SF_CHECK(td_call(admin, "SchemeDefine", &scheme.base, &sifang__v1__evaluation_scheme__descriptor,
                         (ProtobufCMessage **) &defined) == SF_OK)) {
        SF_CHECK_EQ_INT(defined->version, 1);
        protobuf_c_message_free_unpacked(&defined->base, NULL);
    }
    items[0].weight = 3;   /* a second version */
    if (SF_CHECK(td_call(admin, "SchemeDefine", &scheme.base, &sifang__v1__evaluation_scheme__descriptor,
                         (ProtobufCMessage **) &defined) == SF_OK)) {
        SF_CHECK_EQ_INT(defined->version, 2);
        SF_CHECK(defined->n_items == 5 && defined->items[4]->weight == 0);
        protobuf_c_message_free_unpacked(&defined->base, NULL);
    }
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.scheme_item WHERE version = 2"
                                         " AND kpi_code = 'residents_per_household' AND weight = 0 AND position = 4"), 1);

    int64_t started = sf_clock_ms();
    Sifang__V1__Scorecard *card = scorecard(admin, true);
    printf("scorecard in %lld ms\n", (long long) (sf_clock_ms() - started));
    if (!SF_CHECK(card))
        return;
    SF_CHECK_EQ_INT(card->scheme_version, 2);
    SF_CHECK_EQ_INT(card->n_streets, TD_STREETS);
    SF_CHECK_EQ_INT(card->n_communities, TD_STREETS * TD_COMMUNITIES);
    SF_CHECK(card->district && strcmp(card->district->unit_code, "370205") == 0);
    /* Ranked best first, like with like; composites within 0..100; each
     * community's cadres are its zones' pairs. */
    for (size_t i = 0; i < card->n_communities; i++) {
        const Sifang__V1__UnitScore *unit = card->communities[i];
        SF_CHECK(unit->composite >= 0 && unit->composite <= 100);
        SF_CHECK_EQ_INT(unit->ranked, TD_STREETS * TD_COMMUNITIES);
        SF_CHECK_EQ_INT(unit->n_items, 5);
        SF_CHECK_EQ_INT(unit->n_cadres, TD_ZONES * 2);
        /* The indicator: its value and score shown, below, never a reason. */
        SF_CHECK(unit->n_items == 5 && unit->items[4]->weight == 0 && unit->items[4]->has_value
                 && unit->items[4]->below_threshold && unit->items[4]->score == 0);
        for (size_t r = 0; r < unit->n_reasons; r++)
            SF_CHECK(strstr(unit->reasons[r], "residents_per_household") == NULL);
        if (i > 0)
            SF_CHECK(card->communities[i - 1]->composite >= unit->composite
                     && card->communities[i - 1]->rank <= unit->rank);
        double weighted = 0, weights = 0;
        for (size_t k = 0; k < unit->n_items; k++)
            if (unit->items[k]->has_value) {
                weighted += unit->items[k]->weight * unit->items[k]->score;
                weights += unit->items[k]->weight;
            }
        SF_CHECK(fabs(unit->composite - (weights ? weighted / weights : 0)) < 1e-9);
        bool below = false;
        for (size_t k = 0; k < unit->n_items; k++)
            below = below || (unit->items[k]->below_threshold && unit->items[k]->weight > 0);
        if (below || unit->composite < 40)
            SF_CHECK_EQ_INT(unit->flag, SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_ATTENTION);
        else if (unit->composite >= 70)
            SF_CHECK_EQ_INT(unit->flag, SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_COMMENDATION);
    }
    SF_CHECK_EQ_INT(card->streets[0]->rank, 1);
    SF_CHECK_EQ_INT(card->streets[0]->n_cadres, TD_COMMUNITIES * TD_ZONES);   /* the street cadre's zones */
    test_scorecard_kept(admin, card);
    protobuf_c_message_free_unpacked(&card->base, NULL);

    /* Sensitivity: each item's weight at 0.8 and 1.2, for streets and for
     * communities. */
    Sifang__V1__SensitivityRequest sensitivity = SIFANG__V1__SENSITIVITY_REQUEST__INIT;
    sensitivity.period = half;
    Sifang__V1__SensitivityReply *moves = NULL;
    if (SF_CHECK(td_call(admin, "Sensitivity", &sensitivity.base, &sifang__v1__sensitivity_reply__descriptor,
                         (ProtobufCMessage **) &moves) == SF_OK)) {
        SF_CHECK_EQ_INT(moves->n_cases, 4 * 2 * 2);   /* the four weighted items, not the indicator */
        for (size_t i = 0; i < moves->n_cases; i++) {
            SF_CHECK(strcmp(moves->cases[i]->kpi_code, "residents_per_household") != 0);
            SF_CHECK(moves->cases[i]->spearman >= -1 - 1e-9 && moves->cases[i]->spearman <= 1 + 1e-9);
            SF_CHECK_EQ_INT(moves->cases[i]->units_moved, (int) moves->cases[i]->n_moves);
        }
        protobuf_c_message_free_unpacked(&moves->base, NULL);
    }
    sensitivity.change = 2;
    SF_CHECK(td_refused(admin, "Sensitivity", &sensitivity.base, SF_INVALID_ARGUMENT, "change"));

    /* Sign-off: a community may not sign itself off; a street signs off its
     * communities, the district its streets. Freezing waits for all. */
    sf_client_t *community = client_as("c-1", "community", district.community_codes[0]);
    sf_client_t *street1 = client_as("street-1", "street", "370205001");
    sf_client_t *street2 = client_as("street-2", "street", "370205002");
    sf_client_t *office = client_as("district-office", "district", "");
    Sifang__V1__SignOffRequest denied = SIFANG__V1__SIGN_OFF_REQUEST__INIT;
    denied.period = half;
    denied.unit_code = district.community_codes[0];
    denied.decision = SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_APPROVE;
    SF_CHECK(td_refused(community, "SignOff", &denied.base, SF_PERMISSION_DENIED, NULL));
    SF_CHECK(td_refused(street2, "SignOff", &denied.base, SF_PERMISSION_DENIED, NULL));
    denied.unit_code = "370205001";
    SF_CHECK(td_refused(street1, "SignOff", &denied.base, SF_PERMISSION_DENIED, NULL));
    denied.decision = SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_RETURN;
    SF_CHECK(td_refused(office, "SignOff", &denied.base, SF_INVALID_ARGUMENT, "note"));
    denied.unit_code = "370205001001011";
    denied.note = "why";
    SF_CHECK(td_refused(office, "SignOff", &denied.base, SF_NOT_FOUND, "unit_code"));

    Sifang__V1__PeriodFreezeRequest freeze = SIFANG__V1__PERIOD_FREEZE_REQUEST__INIT;
    freeze.period = half;
    SF_CHECK(td_refused(office, "PeriodFreeze", &freeze.base, SF_FAILED_PRECONDITION, "period"));
    for (int i = 0; i < TD_STREETS * TD_COMMUNITIES; i++)
        SF_CHECK(sign_off(i < TD_COMMUNITIES ? street1 : street2, district.community_codes[i],
                          SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_APPROVE, ""));
    SF_CHECK(sign_off(office, "370205001", SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_APPROVE, ""));
    SF_CHECK(sign_off(office, "370205002", SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_APPROVE, ""));
    /* Returned for checking: no freezing until approved again. */
    SF_CHECK(sign_off(office, district.community_codes[1], SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_RETURN,
                      "budget figure looks wrong"));
    SF_CHECK(td_refused(office, "PeriodFreeze", &freeze.base, SF_FAILED_PRECONDITION, "period"));
    SF_CHECK(sign_off(street1, district.community_codes[1], SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_APPROVE,
                      "checked"));
    Sifang__V1__SignOffHistoryRequest history = SIFANG__V1__SIGN_OFF_HISTORY_REQUEST__INIT;
    history.period = half;
    history.unit_code = district.community_codes[1];
    Sifang__V1__SignOffReply *trail = NULL;
    if (SF_CHECK(td_call(admin, "SignOffHistory", &history.base, &sifang__v1__sign_off_reply__descriptor,
                         (ProtobufCMessage **) &trail) == SF_OK)) {
        SF_CHECK_EQ_INT(trail->n_history, 3);
        SF_CHECK_EQ_INT(trail->state, SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_APPROVED);
        protobuf_c_message_free_unpacked(&trail->base, NULL);
    }
    Sifang__V1__AppraisalRequest appraisal = SIFANG__V1__APPRAISAL_REQUEST__INIT;
    appraisal.period = half;
    SF_CHECK(td_refused(admin, "AppraisalList", &appraisal.base, SF_FAILED_PRECONDITION, "period"));

    Sifang__V1__Scorecard *frozen = NULL;
    if (SF_CHECK(td_call(office, "PeriodFreeze", &freeze.base, &sifang__v1__scorecard__descriptor,
                         (ProtobufCMessage **) &frozen) == SF_OK)) {
        SF_CHECK(frozen->frozen);
        protobuf_c_message_free_unpacked(&frozen->base, NULL);
    }
    /* Frozen: figures stay as approved, nothing more for the period. */
    card = scorecard(admin, false);
    if (SF_CHECK(card)) {
        SF_CHECK(card->frozen);
        SF_CHECK_EQ_INT(card->communities[0]->sign_off, SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_APPROVED);
        protobuf_c_message_free_unpacked(&card->base, NULL);
    }
    before = own_rows();
    denied.unit_code = district.community_codes[0];
    SF_CHECK(td_refused(office, "SignOff", &denied.base, SF_FAILED_PRECONDITION, "period"));
    SF_CHECK(td_refused(admin, "SchemeDefine", &scheme.base, SF_FAILED_PRECONDITION, "period"));
    Sifang__V1__InputValue late = SIFANG__V1__INPUT_VALUE__INIT;
    late.input = "activity_budget";
    late.unit_code = district.community_codes[0];
    late.period = half;
    late.value = 1;
    SF_CHECK(td_refused(admin, "InputRecord", &late.base, SF_FAILED_PRECONDITION, "period"));
    SF_CHECK_EQ_INT(own_rows(), before);
    Sifang__V1__AppraisalReply *flagged = NULL;
    if (SF_CHECK(td_call(admin, "AppraisalList", &appraisal.base, &sifang__v1__appraisal_reply__descriptor,
                         (ProtobufCMessage **) &flagged) == SF_OK)) {
        for (size_t i = 0; i < flagged->n_entries; i++) {
            SF_CHECK(flagged->entries[i]->flag != SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_NONE);
            SF_CHECK(flagged->entries[i]->n_reasons > 0 && flagged->entries[i]->n_cadres > 0);
        }
        protobuf_c_message_free_unpacked(&flagged->base, NULL);
    }
    sf_client_destroy(&community);
    sf_client_destroy(&street1);
    sf_client_destroy(&street2);
    sf_client_destroy(&office);
}

/* The report's 全区指标: a row for each current KPI, named in Chinese. Only
 * a KPI whose own name has no Chinese (this test's, defined with their
 * codes) reads ASCII-only; no catalogue KPI reads as its code, the later
 * ones (007, 010, 011) included. */
static void
check_district_kpi_labels(const char *body)
{
    const char *table = strstr(body, "<h2>全区指标</h2>");
    const char *end = table ? strstr(table, "</tbody>") : NULL;
    if (!SF_CHECK(table && end))
        return;
    int rows = 0, ascii_only = 0;
    for (const char *row = strstr(table, "<tr><td>"); row && row < end; row = strstr(row + 1, "<tr><td>")) {
        const char *label = row + strlen("<tr><td>"), *close = strstr(label, "</td>");
        if (!SF_CHECK(close))
            break;
        bool ascii = true;
        for (const char *c = label; c < close; c++)
            ascii = ascii && (unsigned char) *c < 0x80;
        ascii_only += ascii;
        rows++;
        if (ascii)
            printf("ASCII-only label in 全区指标: %.*s\n", (int) (close - label), label);
    }
    SF_CHECK_EQ_INT(rows, (int) sf_test_pg_int(conn,
        "SELECT count(*) FROM (SELECT DISTINCT ON (code) retired FROM evaluation.kpi ORDER BY code, version DESC) k"
        " WHERE NOT retired"));
    /* The catalogue's (002 named them in English) all in Chinese: only
     * this test's own, named without Chinese, read ASCII-only. */
    SF_CHECK_EQ_INT(ascii_only, (int) sf_test_pg_int(conn,
        "SELECT count(*) FROM (SELECT DISTINCT ON (code) name, retired, defined_by FROM evaluation.kpi"
        " ORDER BY code, version DESC) k WHERE NOT retired AND defined_by <> 'catalogue'"
        " AND name !~ '[^\\x01-\\x7f]'"));
    SF_CHECK(strstr(table, "<tr><td>联系点问题解决率</td>") && strstr(table, "<tr><td>帮建部门结对走访次数</td>")
             && strstr(table, "<tr><td>答复返工率</td>") && strstr(table, "<tr><td>经费用于居民活动和服务比例</td>"));
    printf("全区指标: %d rows, %d named only in ASCII (this test's own KPIs)\n", rows, ascii_only);
}

static void
test_reports(sf_client_t *admin)
{
    Sifang__V1__ReportRequest request = SIFANG__V1__REPORT_REQUEST__INIT;
    request.period = half;
    Sifang__V1__ReportReply *report = NULL;
    if (SF_CHECK(td_call(admin, "ReportJson", &request.base, &sifang__v1__report_reply__descriptor,
                         (ProtobufCMessage **) &report) == SF_OK)) {
        SF_CHECK_EQ_STR(report->content_type, "application/json");
        cJSON *json = cJSON_Parse(report->body);
        SF_CHECK(json && cJSON_IsObject(cJSON_GetObjectItem(json, "scorecard")));
        SF_CHECK(json && cJSON_GetArraySize(cJSON_GetObjectItem(json, "surveys")) == 3);
        cJSON_Delete(json);
        protobuf_c_message_free_unpacked(&report->base, NULL);
    }
    if (SF_CHECK(td_call(admin, "ReportHtml", &request.base, &sifang__v1__report_reply__descriptor,
                         (ProtobufCMessage **) &report) == SF_OK)) {
        SF_CHECK(strncmp(report->body, "<!DOCTYPE html>", 15) == 0);
        SF_CHECK(strstr(report->body, "<h2>社区</h2>") && strstr(report->body, "</html>"));
        SF_CHECK(strstr(report->body, half) != NULL);
        /* In Chinese for the officials who read it: headings, KPI names,
         * flags and their reasons; no English words left but the method's
         * names (Wilson, Spearman). */
        SF_CHECK(strstr(report->body, "绩效考核报告") && strstr(report->body, "群众满意度")
                 && strstr(report->body, "全区指标"));
        SF_CHECK(strstr(report->body, "Communities") == NULL && strstr(report->body, "composite") == NULL
                 && strstr(report->body, "threshold") == NULL && strstr(report->body, "Survey") == NULL);
        check_district_kpi_labels(report->body);
        char path[512];
        snprintf(path, sizeof path, "%s/report.html", dir);
        FILE *out = fopen(path, "w");
        if (out) {
            fputs(report->body, out);
            fclose(out);
        }
        protobuf_c_message_free_unpacked(&report->base, NULL);
    }
    request.period = "2026-02";
    SF_CHECK(td_refused(admin, "ReportHtml", &request.base, SF_INVALID_ARGUMENT, "period"));
}

/* n Chinese characters (3 bytes each in UTF-8): a name at its field's
 * limit in characters is three times as long in bytes. */
static void
chinese_text(char *out, size_t size, int n)
{
    static const char *const pool[] = { "幸", "福", "里", "社", "区", "居", "民", "委", "员", "会",
                                        "第", "一", "网", "格", "服", "务", "站", "满", "意", "率" };
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && used + 4 <= size; i++)
        used += (size_t) snprintf(out + used, size - used, "%s", pool[(i * 7) % 20]);
}

/* The text of SQL's one row (a parameter $1), or "" (malloc'd). */
static char *
sql_text(const char *sql, const char *param)
{
    const char *params[1] = { param };
    PGresult *result = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
    char *text = strdup(PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1
                            ? PQgetvalue(result, 0, 0) : "");
    PQclear(result);
    return text;
}

/* Whether name is what grid holds for the unit code. */
static bool
unit_name_is_grids(const char *code, const char *name)
{
    char *expected = sql_text("SELECT name FROM grid.org_unit WHERE code = $1", code);
    bool same = SF_CHECK_EQ_STR(name, expected);
    free(expected);
    return same;
}

/* Names people type at their fields' limits in characters (a community's
 * 100, a KPI's 100), in Chinese: KpiValues and the scorecard send them back
 * whole, as grid and the KPI's row hold them, not cut in bytes. */
static void
test_long_names(sf_client_t *admin, sf_client_t *grid)
{
    char community_name[100 * 3 + 1], kpi_name[100 * 3 + 1], unit_label[40 * 3 + 1];
    chinese_text(community_name, sizeof community_name, 100);
    chinese_text(kpi_name, sizeof kpi_name, 100);
    chinese_text(unit_label, sizeof unit_label, 40);
    Sifang__V1__UnitUpdateRequest rename = SIFANG__V1__UNIT_UPDATE_REQUEST__INIT;
    rename.code = district.community_codes[0];
    rename.name = community_name;
    SF_CHECK(td_call(grid, "UnitUpdate", &rename.base, NULL, NULL) == SF_OK);
    SF_CHECK(td_wait_caught_up(admin, "grid", grid_endpoint, 20000));
    Sifang__V1__Kpi kpi = SIFANG__V1__KPI__INIT;
    kpi.code = "households_long_name";
    kpi.name = kpi_name;
    kpi.numerator = "#{households}";
    kpi.unit_label = unit_label;
    SF_CHECK(td_call(admin, "KpiDefine", &kpi.base, NULL, NULL) == SF_OK);
    char *stored_name = sql_text("SELECT name FROM evaluation.kpi WHERE code = $1 ORDER BY version DESC LIMIT 1",
                                 kpi.code);
    SF_CHECK_EQ_STR(stored_name, kpi_name);

    Sifang__V1__KpiValuesRequest values = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
    char *codes[1] = { kpi.code };
    values.kpi_codes = codes;
    values.n_kpi_codes = 1;
    values.period = year;
    values.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY;
    Sifang__V1__KpiValuesReply *reply = NULL;
    if (SF_CHECK(td_call(admin, "KpiValues", &values.base, &sifang__v1__kpi_values_reply__descriptor,
                         (ProtobufCMessage **) &reply) == SF_OK)) {
        SF_CHECK_EQ_INT(reply->n_values, TD_STREETS * TD_COMMUNITIES);
        bool renamed_seen = false;
        for (size_t i = 0; i < reply->n_values; i++) {
            unit_name_is_grids(reply->values[i]->unit_code, reply->values[i]->unit_name);
            renamed_seen = renamed_seen || strcmp(reply->values[i]->unit_name, community_name) == 0;
        }
        SF_CHECK(renamed_seen);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }

    /* A scheme of the year with that KPI: every unit's name and the item's
     * KPI name as in SQL. */
    Sifang__V1__SchemeItem item = SIFANG__V1__SCHEME_ITEM__INIT;
    item.kpi_code = kpi.code;
    item.weight = 1;
    item.target = 100;
    item.threshold = 10;
    Sifang__V1__SchemeItem *items[1] = { &item };
    Sifang__V1__EvaluationScheme scheme = SIFANG__V1__EVALUATION_SCHEME__INIT;
    scheme.period = year;
    scheme.name = kpi_name;
    scheme.items = items;
    scheme.n_items = 1;
    scheme.commend_at = 70;
    scheme.attention_at = 40;
    SF_CHECK(td_call(admin, "SchemeDefine", &scheme.base, NULL, NULL) == SF_OK);
    Sifang__V1__ScorecardRequest request = SIFANG__V1__SCORECARD_REQUEST__INIT;
    request.period = year;
    Sifang__V1__Scorecard *card = NULL;
    if (SF_CHECK(td_call(admin, "ScorecardGet", &request.base, &sifang__v1__scorecard__descriptor,
                         (ProtobufCMessage **) &card) == SF_OK)) {
        SF_CHECK_EQ_INT(card->n_communities, TD_STREETS * TD_COMMUNITIES);
        SF_CHECK_EQ_STR(card->scheme_name, kpi_name);
        const Sifang__V1__UnitScore *all[1 + TD_STREETS + TD_STREETS * TD_COMMUNITIES];
        size_t n = 0;
        if (SF_CHECK(card->district))
            all[n++] = card->district;
        for (size_t i = 0; i < card->n_streets && i < TD_STREETS; i++)
            all[n++] = card->streets[i];
        for (size_t i = 0; i < card->n_communities && i < TD_STREETS * TD_COMMUNITIES; i++)
            all[n++] = card->communities[i];
        bool renamed_seen = false;
        for (size_t u = 0; u < n; u++) {
            unit_name_is_grids(all[u]->unit_code, all[u]->unit_name);
            renamed_seen = renamed_seen || strcmp(all[u]->unit_name, community_name) == 0;
            if (SF_CHECK_EQ_INT(all[u]->n_items, 1))
                SF_CHECK_EQ_STR(all[u]->items[0]->kpi_name, stored_name);
        }
        SF_CHECK(renamed_seen);
        protobuf_c_message_free_unpacked(&card->base, NULL);
    }
    free(stored_name);
}

/* Starts evaluation with one bad setting: it must stop by itself, its log
 * saying expected. */
static void
refused_at_start(const char *setting, const char *expected)
{
    static int attempt;
    char path[512], log_path[512];
    sf_test_service_path(path, sizeof path, "evaluation");
    snprintf(log_path, sizeof log_path, "%s/bad-start-%d.log", dir, ++attempt);
    const char *bad_env[] = { setting, NULL };
    sf_test_daemon_t *bad = sf_test_daemon_start(path, bad_env, log_path);
    for (int i = 0; bad && i < 100 && sf_test_daemon_running(bad); i++)
        usleep(50 * 1000);
    SF_CHECK(bad && !sf_test_daemon_running(bad));
    if (bad)
        sf_test_daemon_kill(&bad);
    FILE *log = fopen(log_path, "r");
    char text[4096] = "";
    if (log) {
        size_t n = fread(text, 1, sizeof text - 1, log);
        text[n] = '\0';
        fclose(log);
    }
    if (!SF_CHECK(strstr(text, expected) != NULL))
        printf("%s: the log does not say \"%s\": %s\n", setting, expected, text);
}

/* Whether evaluation says it is catching up: SourceList's flag and an
 * unfrozen period's scorecard's (-1 when either call fails). */
static int
catching_up(sf_client_t *admin, const char *period)
{
    Sifang__V1__SourceListRequest request = SIFANG__V1__SOURCE_LIST_REQUEST__INIT;
    Sifang__V1__SourceListReply *sources = NULL;
    if (td_call(admin, "SourceList", &request.base, &sifang__v1__source_list_reply__descriptor,
                (ProtobufCMessage **) &sources) != SF_OK)
        return -1;
    bool listed = sources->catching_up;
    protobuf_c_message_free_unpacked(&sources->base, NULL);
    Sifang__V1__ScorecardRequest ask = SIFANG__V1__SCORECARD_REQUEST__INIT;
    ask.period = (char *) period;
    Sifang__V1__Scorecard *card = NULL;
    if (td_call(admin, "ScorecardGet", &ask.base, &sifang__v1__scorecard__descriptor, (ProtobufCMessage **) &card)
        != SF_OK)
        return -1;
    bool scored = card->catching_up;
    protobuf_c_message_free_unpacked(&card->base, NULL);
    return listed == scored ? listed : -1;
}

/* Readiness: restarted while grid is down, evaluation says it is catching up
 * (SourceList, and the scorecard of a period still open) instead of passing
 * figures without grid's off as the district's; once grid is back and its
 * log applied, it says so no more. The frozen period's scorecard never
 * says it: it is as approved. */
static void
test_catching_up(sf_client_t *admin, sf_test_daemon_t **grid, sf_test_daemon_t **evaluation,
                 const char *const *grid_env, const char *const *eval_env)
{
    /* The half-year before this one, still open, with a scheme. */
    char previous[16];
    int y = atoi(half);
    snprintf(previous, sizeof previous, half[6] == '2' ? "%04d-H1" : "%04d-H2", half[6] == '2' ? y : y - 1);
    Sifang__V1__SchemeItem item = SIFANG__V1__SCHEME_ITEM__INIT;
    item.kpi_code = "difficulty_share";
    item.weight = 1;
    item.target = 20;
    item.threshold = 40;
    Sifang__V1__SchemeItem *items[1] = { &item };
    Sifang__V1__EvaluationScheme scheme = SIFANG__V1__EVALUATION_SCHEME__INIT;
    scheme.period = previous;
    scheme.name = "上半年考核";
    scheme.items = items;
    scheme.n_items = 1;
    scheme.commend_at = 70;
    scheme.attention_at = 40;
    if (!SF_CHECK(td_call(admin, "SchemeDefine", &scheme.base, NULL, NULL) == SF_OK))
        return;
    /* Caught up now (grid's log applied at the start of main). */
    int state = 1;
    for (int i = 0; i < 100 && state != 0; i++, usleep(100 * 1000))
        state = catching_up(admin, previous);
    SF_CHECK_EQ_INT(state, 0);

    SF_CHECK_EQ_INT(sf_test_daemon_stop(evaluation), 0);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(grid), 0);
    *evaluation = td_start("evaluation", dir, eval_endpoint, eval_publish, eval_env);
    if (!SF_CHECK(*evaluation))
        return;
    /* Polls a second apart; grid never answers one. */
    usleep(1500 * 1000);
    SF_CHECK_EQ_INT(catching_up(admin, previous), 1);
    Sifang__V1__Scorecard *frozen = scorecard(admin, false);
    if (SF_CHECK(frozen)) {
        SF_CHECK(frozen->frozen);
        SF_CHECK(!frozen->catching_up);
        protobuf_c_message_free_unpacked(&frozen->base, NULL);
    }

    *grid = td_start("grid", dir, grid_endpoint, grid_publish, grid_env);
    if (!SF_CHECK(*grid))
        return;
    state = 1;
    for (int i = 0; i < 200 && state != 0; i++, usleep(100 * 1000))
        state = catching_up(admin, previous);
    SF_CHECK_EQ_INT(state, 0);
}

int
main(void)
{
    if (sf_test_pg_env("evaluation_integration_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    td_current_period(2, half);
    td_current_period(3, year);
    grid_endpoint = sf_test_ipc_endpoint(dir, "grid.router");
    grid_publish = sf_test_ipc_endpoint(dir, "grid.pub");
    eval_endpoint = sf_test_ipc_endpoint(dir, "evaluation.router");
    eval_publish = sf_test_ipc_endpoint(dir, "evaluation.pub");
    conn = sf_test_pg_connect();
    char grid_e[160], grid_p[160];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    const char *eval_env[] = { grid_e, grid_p, "SIFANG_EVALUATION_SOURCES=grid", "SIFANG_EVALUATION_POLL_MS=200",
                               NULL };
    sf_test_daemon_t *grid = td_start("grid", dir, grid_endpoint, grid_publish, NULL);
    sf_test_daemon_t *evaluation = td_start("evaluation", dir, eval_endpoint, eval_publish, eval_env);
    sf_client_t *grid_client = sf_client_new(grid_endpoint, NULL);
    sf_client_set_timeout(grid_client, 20000);
    sf_client_t *admin = client_as(NULL, NULL, NULL);
    if (!SF_CHECK(conn && grid && evaluation && grid_client && admin))
        goto cleanup;
    SF_CHECK_EQ_INT(td_build(grid_client, &district), 0);
    if (!SF_CHECK(td_wait_caught_up(admin, "grid", grid_endpoint, 20000)))
        goto cleanup;
    test_kpis(admin);
    test_inputs(admin);
    test_surveys(admin);
    test_scorecards(admin);
    test_reports(admin);
    test_long_names(admin, grid_client);
    test_catching_up(admin, &grid, &evaluation, NULL, eval_env);
    /* Bad configuration: refused at start with a reason naming it. A zone
     * tzdata does not know (its shape is fine: the calendar finds it
     * missing), and the offset in minutes evaluation once took. */
    refused_at_start("SIFANG_EVALUATION_SOURCES=grid intake@civil-affairs", "SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT");
    refused_at_start("SIFANG_EVALUATION_TIMEZONE=Nowhere/Atlantis",
                     "\"setting\":\"SIFANG_EVALUATION_TIMEZONE\",\"reason\":\"SIFANG_EVALUATION_TIMEZONE: no time zone");
    refused_at_start("SIFANG_EVALUATION_UTC_OFFSET_MINUTES=480",
                     "\"setting\":\"SIFANG_EVALUATION_UTC_OFFSET_MINUTES\",\"reason\":\"is no longer read");
cleanup:
    sf_client_destroy(&admin);
    sf_client_destroy(&grid_client);
    if (evaluation)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
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
    free(eval_endpoint);
    free(eval_publish);
    return sf_test_done();
}
