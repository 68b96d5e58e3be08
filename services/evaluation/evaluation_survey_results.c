/* Survey results per unit: response rates with Wilson intervals, mean
 * satisfaction with t intervals, the share satisfied; communities (and
 * zones) from their own sample, streets and the district as stratified
 * estimates over their communities weighted by households. */
#include "evaluation.h"
#include "sf_row.h"
#include "evaluation_stats.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define SATISFIED_AT 75.0

static const char method_text[] =
    "95% intervals. Proportions (response rate, share satisfied, score >= 75): Wilson score intervals, which"
    " stay within 0..1 and keep their coverage for small samples and rates near 0 or 1. Mean satisfaction"
    " (0-100): Student's t intervals on the sample variance. Communities and zones use their own sample"
    " (proportional allocation across zones makes a community's sample self-weighting). Streets and the"
    " district are stratified estimates over their communities, weighted by households, with the stratified"
    " variance (t with the pooled degrees of freedom; the share satisfied by Wilson on the effective sample"
    " size); their response rate is completed over sampled.";

/* One stratum's figures (a community or a zone). */
typedef struct {
    char code[16];
    double sampled, responded, completed, scored, mean, variance, satisfied, by_visit, by_phone, households;
} stratum_t;

static void
fill_single(Sifang__V1__SurveyResult *result, const stratum_t *s)
{
    result->sampled = (int32_t) s->sampled;
    result->responded = (int32_t) s->responded;
    result->completed = (int32_t) s->completed;
    result->household_mode = (int32_t) s->by_visit;
    result->phone_mode = (int32_t) s->by_phone;
    result->response_rate = s->sampled ? s->completed / s->sampled : 0;
    eval_wilson(s->completed, s->sampled, &result->response_rate_low, &result->response_rate_high);
    result->scored = (int32_t) s->scored;
    if (s->scored > 0) {
        result->satisfaction_mean = s->mean;
        double half = s->scored >= 2 ? eval_t975(s->scored - 1) * sqrt(s->variance / s->scored) : INFINITY;
        result->satisfaction_low = fmax(0, s->mean - half);
        result->satisfaction_high = fmin(100, s->mean + half);
        result->satisfied_share = s->satisfied / s->scored;
        eval_wilson(s->satisfied, s->scored, &result->satisfied_low, &result->satisfied_high);
    } else {
        result->satisfaction_high = 100;
        result->satisfied_high = 1;
    }
}

/* A stratified estimate over the strata under a code. */
static void
fill_stratified(Sifang__V1__SurveyResult *result, const stratum_t *strata, size_t n, const char *under)
{
    stratum_t pooled = { 0 };
    double weight_total = 0, mean = 0, share = 0, variance_mean = 0, variance_share = 0, df = 0;
    size_t length = strlen(under);
    for (size_t i = 0; i < n; i++) {
        const stratum_t *s = &strata[i];
        if (strncmp(s->code, under, length) != 0)
            continue;
        pooled.sampled += s->sampled;
        pooled.responded += s->responded;
        pooled.completed += s->completed;
        pooled.scored += s->scored;
        pooled.by_visit += s->by_visit;
        pooled.by_phone += s->by_phone;
        if (s->scored > 0)
            weight_total += s->households > 0 ? s->households : s->sampled;
    }
    fill_single(result, &pooled);
    if (weight_total <= 0)
        return;
    for (size_t i = 0; i < n; i++) {
        const stratum_t *s = &strata[i];
        if (strncmp(s->code, under, length) != 0 || s->scored <= 0)
            continue;
        double w = (s->households > 0 ? s->households : s->sampled) / weight_total;
        double p = s->satisfied / s->scored;
        mean += w * s->mean;
        share += w * p;
        variance_mean += w * w * s->variance / s->scored;
        /* Within a stratum the share's variance is p(1-p)/(n-1) unbiased; n
         * of 1 adds nothing it could estimate. */
        if (s->scored > 1)
            variance_share += w * w * p * (1 - p) / (s->scored - 1);
        df += s->scored - 1;
    }
    result->satisfaction_mean = mean;
    double half = df >= 1 ? eval_t975(df) * sqrt(variance_mean) : INFINITY;
    result->satisfaction_low = fmax(0, mean - half);
    result->satisfaction_high = fmin(100, mean + half);
    result->satisfied_share = share;
    double effective = variance_share > 0 ? share * (1 - share) / variance_share : pooled.scored;
    if (effective > pooled.scored * 10 || effective <= 0)
        effective = pooled.scored;
    eval_wilson(share * effective, effective, &result->satisfied_low, &result->satisfied_high);
}

sf_status_t
eval_survey_results(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__SurveyResultsRequest *ask = (const Sifang__V1__SurveyResultsRequest *) request;
    if (!*ask->round_code)
        sf_call_violation(call, "round_code", "is required");
    eval_check_unit(call, "unit_code", ask->unit_code, true);
    if (ask->kind < 0 || ask->kind > SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
        sf_call_violation(call, "kind", "must be unset, DISTRICT, STREET, COMMUNITY or ZONE");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const char *scope = sf_call_principal(call)->scope;
    const char *unit = *ask->unit_code ? ask->unit_code : *scope ? scope : eval_district_code(call);
    if (!unit)
        return sf_call_status(call);
    if (!*unit)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "unit_code", "no district known yet: name a unit");
    if (!sf_call_covers(call, unit))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside your scope", unit);

    sf_params_t *params = SF_PARAMS(ask->round_code);
    PGresult *round_row = sf_call_query(call,
        "SELECT code, questionnaire_code, questionnaire_version, period, mode, per_community, seed, under, closed,"
        " " EVAL_MS("created_at") " FROM survey_round WHERE code = $1", params);
    if (!round_row)
        return sf_call_status(call);
    if (PQntuples(round_row) == 0)
        return sf_call_refuse(call, SF_NOT_FOUND, "round_code", "no round %s", ask->round_code);
    Sifang__V1__SurveyRound *round = (Sifang__V1__SurveyRound *)
        sf_call_new_message(call, &sifang__v1__survey_round__descriptor);
    sf_row_read(round_row, 0, 0, &round->base,
                "code questionnaire_code questionnaire_version period mode per_community seed under closed"
                " created_unix_ms");

    /* Strata: zones when zones are asked for, communities otherwise. */
    bool by_zone = ask->kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE || eval_code_kind(unit) == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE;
    params = SF_PARAMS(ask->round_code, by_zone ? 14 : 12, sf_param_double(SATISFIED_AT));
    PGresult *rows = sf_call_query(call,
        "WITH s AS (SELECT left(s.zone_code, $2) AS stratum, r.outcome, r.mode, r.satisfaction"
        "           FROM survey_sample s LEFT JOIN survey_response r USING (round_code, household_code)"
        "           WHERE s.round_code = $1),"
        " frame AS (SELECT left(zone_code, $2) AS stratum, count(*) AS households FROM household GROUP BY 1)"
        " SELECT s.stratum, count(*), count(s.outcome), count(*) FILTER (WHERE s.outcome = 1),"
        "  count(s.satisfaction), COALESCE(avg(s.satisfaction), 0), COALESCE(var_samp(s.satisfaction), 0),"
        "  count(*) FILTER (WHERE s.satisfaction >= $3), count(*) FILTER (WHERE s.outcome = 1 AND s.mode = 1),"
        "  count(*) FILTER (WHERE s.outcome = 1 AND s.mode = 2), COALESCE(max(frame.households), 0)"
        " FROM s LEFT JOIN frame USING (stratum) GROUP BY s.stratum ORDER BY s.stratum", params);
    if (!rows)
        return sf_call_status(call);
    size_t n_strata = (size_t) PQntuples(rows);
    stratum_t *strata = sf_call_alloc(call, sizeof *strata * (n_strata + 1));
    for (size_t i = 0; i < n_strata; i++) {
        int row = (int) i;
        snprintf(strata[i].code, sizeof strata[i].code, "%s", sf_db_text(rows, row, 0));
        strata[i].sampled = (double) sf_db_int(rows, row, 1);
        strata[i].responded = (double) sf_db_int(rows, row, 2);
        strata[i].completed = (double) sf_db_int(rows, row, 3);
        strata[i].scored = (double) sf_db_int(rows, row, 4);
        strata[i].mean = sf_db_double(rows, row, 5);
        strata[i].variance = sf_db_double(rows, row, 6);
        strata[i].satisfied = (double) sf_db_int(rows, row, 7);
        strata[i].by_visit = (double) sf_db_int(rows, row, 8);
        strata[i].by_phone = (double) sf_db_int(rows, row, 9);
        strata[i].households = (double) sf_db_int(rows, row, 10);
    }
    eval_unit_t *units;
    size_t n_units;
    sf_status_t status = eval_units_load(call, unit, ask->kind, &units, &n_units);
    if (status != SF_OK)
        return status;
    Sifang__V1__SurveyResultsReply *reply = (Sifang__V1__SurveyResultsReply *)
        sf_call_new_message(call, &sifang__v1__survey_results_reply__descriptor);
    reply->round = round;
    reply->method = (char *) method_text;
    reply->results = sf_call_new_array(call, n_units, sizeof *reply->results);
    size_t stratum_length = by_zone ? 14 : 12;
    for (size_t u = 0; u < n_units; u++) {
        Sifang__V1__SurveyResult *result = (Sifang__V1__SurveyResult *)
            sf_call_new_message(call, &sifang__v1__survey_result__descriptor);
        result->unit_code = units[u].code;
        result->unit_name = units[u].name;
        result->unit_kind = (Sifang__V1__UnitKind) units[u].kind;
        if (strlen(units[u].code) >= stratum_length) {
            stratum_t mine = { 0 };
            for (size_t i = 0; i < n_strata; i++)
                if (strncmp(strata[i].code, units[u].code, stratum_length) == 0)
                    mine = strata[i];
            fill_single(result, &mine);
        } else
            fill_stratified(result, strata, n_strata, units[u].code);
        reply->results[reply->n_results++] = result;
    }
    *reply_p = &reply->base;
    return SF_OK;
}
