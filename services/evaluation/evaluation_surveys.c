/* Surveys: versioned questionnaires, rounds with their reproducible
 * stratified sample of households, and household and phone responses with
 * their validation. Responses count as survey facts of the round's
 * half-year where the household lives. */
#include "evaluation.h"
#include "sf_row.h"
#include "sf_codes.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* --- questionnaires -------------------------------------------------------- */

static Sifang__V1__Questionnaire *
questionnaire_load(sf_call_t *call, const char *code, int version, sf_status_t *status)
{
    *status = SF_OK;
    sf_params_t *params = SF_PARAMS(code, version);
    PGresult *head = sf_call_query(call,
        "SELECT code, version, title, " EVAL_MS("defined_at") " FROM questionnaire"
        " WHERE code = $1 AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1", params);
    if (!head) {
        *status = sf_call_status(call);
        return NULL;
    }
    if (PQntuples(head) == 0)
        return NULL;
    Sifang__V1__Questionnaire *questionnaire = (Sifang__V1__Questionnaire *)
        sf_call_new_message(call, &sifang__v1__questionnaire__descriptor);
    sf_row_read(head, 0, 0, &questionnaire->base, "code version title defined_unix_ms");
    params = SF_PARAMS(code, questionnaire->version);
    PGresult *rows = sf_call_query(call,
        "SELECT question, text, kind, scale_min, scale_max, required, satisfaction, cardinality(choices)"
        " FROM questionnaire_question WHERE code = $1 AND version = $2 ORDER BY position",
        params);
    if (!rows) {
        *status = sf_call_status(call);
        return NULL;
    }
    int n = PQntuples(rows);
    questionnaire->questions = sf_call_new_array(call, (size_t) n, sizeof *questionnaire->questions);
    for (int row = 0; row < n; row++) {
        Sifang__V1__SurveyQuestion *question = (Sifang__V1__SurveyQuestion *)
            sf_call_new_message(call, &sifang__v1__survey_question__descriptor);
        sf_row_read(rows, row, 0, &question->base, "code text kind scale_min scale_max required satisfaction");
        int n_choices = (int) sf_db_int(rows, row, 7);
        if (n_choices > 0) {
            /* One more statement for each CHOICE question: they are few. */
            question->choices = sf_call_new_array(call, (size_t) n_choices, sizeof *question->choices);
            sf_params_init(params);
            SF_PARAMS_ADD(params, code, questionnaire->version, question->code);
            PGresult *choices = sf_call_query(call,
                "SELECT unnest(choices) FROM questionnaire_question WHERE code = $1 AND version = $2"
                " AND question = $3", params);
            for (int c = 0; choices && c < PQntuples(choices) && c < n_choices; c++)
                question->choices[question->n_choices++] = (char *) sf_db_text(choices, c, 0);
        }
        questionnaire->questions[questionnaire->n_questions++] = question;
    }
    return questionnaire;
}

static bool
same_questionnaire(const Sifang__V1__Questionnaire *a, const Sifang__V1__Questionnaire *b)
{
    if (strcmp(a->title, b->title) != 0 || a->n_questions != b->n_questions)
        return false;
    for (size_t i = 0; i < a->n_questions; i++) {
        const Sifang__V1__SurveyQuestion *x = a->questions[i], *y = b->questions[i];
        if (strcmp(x->code, y->code) != 0 || strcmp(x->text, y->text) != 0 || x->kind != y->kind
            || x->scale_min != y->scale_min || x->scale_max != y->scale_max || x->required != y->required
            || x->satisfaction != y->satisfaction || x->n_choices != y->n_choices)
            return false;
        for (size_t c = 0; c < x->n_choices; c++)
            if (strcmp(x->choices[c], y->choices[c]) != 0)
                return false;
    }
    return true;
}

/* Fills in the scale's defaults and checks one question. */
static void
check_question(sf_call_t *call, size_t i, Sifang__V1__SurveyQuestion *question,
               Sifang__V1__SurveyQuestion **all)
{
    char *field = sf_call_printf(call, "questions[%zu]", i);
    eval_check_name(call, sf_call_printf(call, "%s.code", field), question->code);
    for (size_t j = 0; j < i; j++)
        if (strcmp(all[j]->code, question->code) == 0)
            sf_call_violation(call, sf_call_printf(call, "%s.code", field), "repeats questions[%zu]", j);
    sf_call_check_text(call, sf_call_printf(call, "%s.text", field), question->text, 300, true);
    switch (question->kind) {
    case SIFANG__V1__QUESTION_KIND__QUESTION_KIND_SCALE:
        if (question->scale_min == 0 && question->scale_max == 0) {
            question->scale_min = 1;
            question->scale_max = 5;
        }
        if (question->scale_max <= question->scale_min || question->scale_max - question->scale_min > 9)
            sf_call_violation(call, sf_call_printf(call, "%s.scale_max", field),
                              "must exceed scale_min by 1 to 9 points");
        break;
    case SIFANG__V1__QUESTION_KIND__QUESTION_KIND_CHOICE:
        if (question->n_choices < 2 || question->n_choices > 20)
            sf_call_violation(call, sf_call_printf(call, "%s.choices", field), "must list 2 to 20 choices");
        for (size_t c = 0; c < question->n_choices; c++)
            sf_call_check_text(call, sf_call_printf(call, "%s.choices[%zu]", field, c), question->choices[c], 100,
                               true);
        break;
    case SIFANG__V1__QUESTION_KIND__QUESTION_KIND_YES_NO:
    case SIFANG__V1__QUESTION_KIND__QUESTION_KIND_TEXT:
        break;
    default:
        sf_call_violation(call, sf_call_printf(call, "%s.kind", field), "must be SCALE, YES_NO, CHOICE or TEXT");
    }
    if (question->kind != SIFANG__V1__QUESTION_KIND__QUESTION_KIND_SCALE) {
        if (question->satisfaction)
            sf_call_violation(call, sf_call_printf(call, "%s.satisfaction", field), "only a SCALE question counts");
        question->scale_min = question->scale_max = 0;
    }
    if (question->kind != SIFANG__V1__QUESTION_KIND__QUESTION_KIND_CHOICE && question->n_choices)
        sf_call_violation(call, sf_call_printf(call, "%s.choices", field), "only a CHOICE question has choices");
}

sf_status_t
eval_questionnaire_define(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    /* A copy the checks may fill defaults into. */
    Sifang__V1__Questionnaire *questionnaire = (Sifang__V1__Questionnaire *) sf_call_new_message(
        call, &sifang__v1__questionnaire__descriptor);
    const Sifang__V1__Questionnaire *asked = (const Sifang__V1__Questionnaire *) request;
    *questionnaire = *asked;
    questionnaire->questions = sf_call_new_array(call, asked->n_questions, sizeof *questionnaire->questions);
    for (size_t i = 0; i < asked->n_questions; i++) {
        questionnaire->questions[i] = sf_call_alloc(call, sizeof **questionnaire->questions);
        *questionnaire->questions[i] = *asked->questions[i];
    }
    eval_check_name(call, "code", questionnaire->code);
    sf_call_check_text(call, "title", questionnaire->title, 200, true);
    if (questionnaire->n_questions < 1 || questionnaire->n_questions > 100)
        sf_call_violation(call, "questions", "must hold 1 to 100 questions");
    bool scored = false;
    for (size_t i = 0; i < questionnaire->n_questions && i < 100; i++) {
        check_question(call, i, questionnaire->questions[i], questionnaire->questions);
        scored = scored || questionnaire->questions[i]->satisfaction;
    }
    if (questionnaire->n_questions && !scored)
        sf_call_violation(call, "questions", "at least one SCALE question must count toward satisfaction");
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    sf_status_t status;
    sf_params_t *params = SF_PARAMS(questionnaire->code);
    /* Serialises definitions of one code within the batch's transaction. */
    PGresult *lock = sf_call_query(call, "SELECT pg_advisory_xact_lock(hashtext('questionnaire:' || $1))", params);
    if (!lock)
        return sf_call_status(call);
    Sifang__V1__Questionnaire *current = questionnaire_load(call, questionnaire->code, 0, &status);
    if (status != SF_OK)
        return status;
    if (current && same_questionnaire(current, questionnaire)) {
        *reply_p = &current->base;
        return SF_OK;
    }
    params = SF_PARAMS(questionnaire->code, questionnaire->title);
    PGresult *result = sf_call_query(call,
        "INSERT INTO questionnaire (code, version, title)"
        " SELECT $1, COALESCE(max(version), 0) + 1, $2 FROM questionnaire WHERE code = $1 RETURNING version",
        params);
    if (!result)
        return sf_call_status(call);
    int version = (int) sf_db_int(result, 0, 0);
    for (size_t i = 0; i < questionnaire->n_questions; i++) {
        const Sifang__V1__SurveyQuestion *question = questionnaire->questions[i];
        sf_pgarray_t choices;
        sf_pgarray_init(&choices);
        for (size_t c = 0; c < question->n_choices; c++)
            sf_pgarray_add_text(&choices, question->choices[c]);
        sf_params_init(params);
        SF_PARAMS_ADD(params, questionnaire->code, version, (int64_t) i, question->code, question->text,
                              question->kind, question->scale_min, question->scale_max,
                              sf_call_strdup(call, sf_pgarray_text(&choices)), sf_param_bool(question->required),
                              sf_param_bool(question->satisfaction));
        sf_pgarray_release(&choices);
        if (!sf_call_query(call,
                "INSERT INTO questionnaire_question (code, version, position, question, text, kind, scale_min,"
                " scale_max, choices, required, satisfaction) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                params))
            return sf_call_status(call);
    }
    Sifang__V1__Questionnaire *defined = questionnaire_load(call, questionnaire->code, version, &status);
    if (status != SF_OK || !defined)
        return status != SF_OK ? status : sf_call_fail(call, SF_INTERNAL, "questionnaire vanished");
    return sf_call_emit_reply(call, reply_p, "questionnaire.defined", defined->code, &defined->base);
}

sf_status_t
eval_questionnaire_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__QuestionnaireGetRequest *ask = (const Sifang__V1__QuestionnaireGetRequest *) request;
    eval_check_name(call, "code", ask->code);
    if (ask->version < 0)
        sf_call_violation(call, "version", "must be 0 (current) or a version");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_status_t status;
    Sifang__V1__Questionnaire *questionnaire = questionnaire_load(call, ask->code, ask->version, &status);
    if (status != SF_OK)
        return status;
    if (!questionnaire)
        return sf_call_refuse(call, SF_NOT_FOUND, "code", "no questionnaire %s%s", ask->code,
                              ask->version ? sf_call_printf(call, " version %d", ask->version) : "");
    *reply_p = &questionnaire->base;
    return SF_OK;
}

/* --- rounds ----------------------------------------------------------------- */

#define ROUND_SELECT \
    "SELECT r.code, r.questionnaire_code, r.questionnaire_version, r.period, r.mode, r.per_community, r.seed," \
    " r.under, r.closed, (SELECT count(*) FROM survey_sample s WHERE s.round_code = r.code)," \
    " (SELECT count(*) FROM survey_response p WHERE p.round_code = r.code AND p.outcome = 1), " \
    EVAL_MS("r.created_at") " FROM survey_round r"
/* The same without its counts (sampled, completed: 0), for a response to
 * be recorded: counting the round's sample and responses for each of them
 * cost a round's recording time that grew with its square. */
#define ROUND_SELECT_UNCOUNTED \
    "SELECT r.code, r.questionnaire_code, r.questionnaire_version, r.period, r.mode, r.per_community, r.seed," \
    " r.under, r.closed, 0, 0, " EVAL_MS("r.created_at") " FROM survey_round r"

static Sifang__V1__SurveyRound *
round_from_row(sf_call_t *call, const PGresult *result, int row)
{
    return sf_call_row_message(call, &sifang__v1__survey_round__descriptor, result, row,
        "code questionnaire_code questionnaire_version period mode per_community seed under closed sampled"
        " completed created_unix_ms");
}

static sf_status_t
round_load_as(sf_call_t *call, const char *sql, const char *code, Sifang__V1__SurveyRound **round_p)
{
    *round_p = NULL;
    PGresult *result = sf_call_query(call, sql, SF_PARAMS(code));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 1)
        *round_p = round_from_row(call, result, 0);
    return SF_OK;
}

static sf_status_t
round_load(sf_call_t *call, const char *code, bool lock, Sifang__V1__SurveyRound **round_p)
{
    return round_load_as(call, lock ? ROUND_SELECT " WHERE r.code = $1 FOR UPDATE OF r"
                                    : ROUND_SELECT " WHERE r.code = $1", code, round_p);
}

static bool
check_round_code(sf_call_t *call, const char *field, const char *code)
{
    size_t length = strlen(code);
    bool ok = length >= 1 && length <= 40 && (islower((unsigned char) code[0]) || isdigit((unsigned char) code[0]));
    for (size_t i = 0; ok && i < length; i++)
        ok = islower((unsigned char) code[i]) || isdigit((unsigned char) code[i]) || code[i] == '_' || code[i] == '-';
    if (!ok)
        sf_call_violation(call, field, length ? "must match [a-z0-9][a-z0-9_-]{0,39}" : "is required");
    return ok;
}

/* The stratified draw: strata are the community's zones, allocated in
 * proportion to their households by largest remainders (ties to the lower
 * zone code); within a zone the households with the smallest md5(seed:code)
 * are taken. Depends on the set of households alone, never on order. */
#define SAMPLE_DRAW \
    "WITH h AS (SELECT code, zone_code, left(zone_code, 12) AS community," \
    "             md5($2::text || ':' || code) AS draw_key FROM household" \
    "           WHERE code >= $3 AND code < $4 AND length(zone_code) = 14)," \
    " z AS (SELECT community, zone_code, count(*) AS n_zone FROM h GROUP BY community, zone_code)," \
    " c AS (SELECT community, sum(n_zone) AS n_community, least($5::bigint, sum(n_zone)) AS n_take" \
    "       FROM z GROUP BY community)," \
    " q AS (SELECT z.community, z.zone_code, c.n_take, z.n_zone * c.n_take / c.n_community::numeric AS quota" \
    "       FROM z JOIN c USING (community))," \
    " a AS (SELECT community, zone_code, floor(quota)::bigint" \
    "         + CASE WHEN row_number() OVER (PARTITION BY community ORDER BY quota - floor(quota) DESC, zone_code)" \
    "                     <= n_take - sum(floor(quota)) OVER (PARTITION BY community) THEN 1 ELSE 0 END AS n_alloc" \
    "       FROM q)," \
    " ranked AS (SELECT h.*, row_number() OVER (PARTITION BY h.zone_code ORDER BY draw_key, code) AS zone_rank" \
    "            FROM h)" \
    " INSERT INTO survey_sample (round_code, household_code, zone_code, community_code, draw)" \
    " SELECT $1, r.code, r.zone_code, r.community," \
    "        row_number() OVER (PARTITION BY r.community ORDER BY r.draw_key, r.code)" \
    " FROM ranked r JOIN a USING (zone_code) WHERE r.zone_rank <= a.n_alloc"

sf_status_t
eval_survey_round_create(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__SurveyRound *round = (const Sifang__V1__SurveyRound *) request;
    eval_period_t period;
    check_round_code(call, "code", round->code);
    eval_check_name(call, "questionnaire_code", round->questionnaire_code);
    if (round->questionnaire_version < 0)
        sf_call_violation(call, "questionnaire_version", "must be 0 (current) or a version");
    eval_check_period(call, "period", round->period, 1u << EVAL_PERIOD_HALF_YEAR, &period);
    if (round->mode != SIFANG__V1__SURVEY_MODE__SURVEY_MODE_HOUSEHOLD
        && round->mode != SIFANG__V1__SURVEY_MODE__SURVEY_MODE_PHONE)
        sf_call_violation(call, "mode", "must be HOUSEHOLD or PHONE");
    if (round->per_community < 1 || round->per_community > 1000)
        sf_call_violation(call, "per_community", "must be 1 to 1000 households");
    eval_check_unit(call, "under", round->under, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const char *scope = sf_call_principal(call)->scope;
    const char *under = *round->under ? round->under : scope;
    if (!sf_call_covers(call, under))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside your scope", under);

    sf_status_t status;
    Sifang__V1__Questionnaire *questionnaire =
        questionnaire_load(call, round->questionnaire_code, round->questionnaire_version, &status);
    if (status != SF_OK)
        return status;
    if (!questionnaire)
        return sf_call_refuse(call, SF_NOT_FOUND, "questionnaire_code", "no questionnaire %s%s",
                              round->questionnaire_code,
                              round->questionnaire_version
                              ? sf_call_printf(call, " version %d", round->questionnaire_version) : "");
    sf_params_t *params = SF_PARAMS(round->code, questionnaire->code, questionnaire->version, period.code,
                                    round->mode, round->per_community, round->seed, under);
    PGresult *result = sf_call_query(call,
        "INSERT INTO survey_round (code, questionnaire_code, questionnaire_version, period, mode, per_community,"
        " seed, under) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code) DO NOTHING RETURNING code",
        params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "code", "round %s exists", round->code);

    char upper[24], seed[32];
    eval_subtree_upper(under, upper, sizeof upper);
    snprintf(seed, sizeof seed, "%lld", (long long) round->seed);
    params = SF_PARAMS(round->code, seed, under, upper, round->per_community);
    if (!sf_call_query(call, SAMPLE_DRAW, params))
        return sf_call_status(call);

    /* The draw counts as sampled households of the round's half-year. */
    params = SF_PARAMS(round->code);
    result = sf_call_query(call,
        "SELECT zone_code, count(*) FROM survey_sample WHERE round_code = $1 GROUP BY zone_code", params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "under",
                              "no households known under %s yet (grid's households feed the frame)",
                              *under ? under : "the district");
    eval_period_t periods[2];
    periods[0] = period;
    eval_period_year_of(&period, &periods[1]);
    for (int row = 0; row < PQntuples(result); row++) {
        eval_delta_t sampled = { "survey_sampled", (double) sf_db_int(result, row, 1) };
        status = eval_facts_add_periods(sf_call_db(call), sf_db_text(result, row, 0), periods, 2, &sampled, 1);
        if (status != SF_OK)
            return sf_call_fail(call, status, "cannot count the sample");
    }
    Sifang__V1__SurveyRound *created;
    status = round_load(call, round->code, false, &created);
    if (status != SF_OK)
        return status;
    return sf_call_emit_reply(call, reply_p, "survey_round.created", created->code, &created->base);
}

sf_status_t
eval_survey_round_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__SurveyRoundGetRequest *ask = (const Sifang__V1__SurveyRoundGetRequest *) request;
    if (!check_round_code(call, "code", ask->code))
        return sf_call_status(call);
    Sifang__V1__SurveyRound *round;
    sf_status_t status = round_load(call, ask->code, false, &round);
    if (status != SF_OK)
        return status;
    if (!round)
        return sf_call_refuse(call, SF_NOT_FOUND, "code", "no round %s", ask->code);
    *reply_p = &round->base;
    return SF_OK;
}

sf_status_t
eval_survey_round_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__SurveyRoundListRequest *ask = (const Sifang__V1__SurveyRoundListRequest *) request;
    if (*ask->period && !eval_check_period(call, "period", ask->period, 1u << EVAL_PERIOD_HALF_YEAR, NULL))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call,
        ROUND_SELECT " WHERE $1 = '' OR r.period = $1 ORDER BY r.period, r.code LIMIT 1000", SF_PARAMS(ask->period));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__SurveyRoundListReply *reply = (Sifang__V1__SurveyRoundListReply *)
        sf_call_new_message(call, &sifang__v1__survey_round_list_reply__descriptor);
    int rows = PQntuples(result);
    reply->rounds = sf_call_new_array(call, (size_t) rows, sizeof *reply->rounds);
    for (int row = 0; row < rows; row++)
        reply->rounds[reply->n_rounds++] = round_from_row(call, result, row);
    *reply_p = &reply->base;
    return SF_OK;
}

sf_status_t
eval_survey_round_close(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__SurveyRoundCloseRequest *ask = (const Sifang__V1__SurveyRoundCloseRequest *) request;
    if (!check_round_code(call, "code", ask->code))
        return sf_call_status(call);
    Sifang__V1__SurveyRound *round;
    sf_status_t status = round_load(call, ask->code, true, &round);
    if (status != SF_OK)
        return status;
    if (!round)
        return sf_call_refuse(call, SF_NOT_FOUND, "code", "no round %s", ask->code);
    if (!round->closed) {
        if (!sf_call_query(call, "UPDATE survey_round SET closed = true WHERE code = $1", SF_PARAMS(ask->code)))
            return sf_call_status(call);
        round->closed = true;
        sf_call_emit(call, "survey_round.closed", round->code, &round->base);
    }
    *reply_p = &round->base;
    return SF_OK;
}

sf_status_t
eval_survey_sample(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__SurveySampleRequest *ask = (const Sifang__V1__SurveySampleRequest *) request;
    check_round_code(call, "round_code", ask->round_code);
    eval_check_unit(call, "under", ask->under, true);
    int size = ask->page && ask->page->page_size ? ask->page->page_size : EVAL_PAGE_DEFAULT;
    if (size < 1 || size > EVAL_PAGE_MAX)
        sf_call_violation(call, "page.page_size", "must be 1 to %d", EVAL_PAGE_MAX);
    const char *token = ask->page ? ask->page->page_token : "";
    if (*token && !eval_check_unit(call, "page.page_token", token, false))
        return sf_call_status(call);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__SurveyRound *round;
    sf_status_t status = round_load(call, ask->round_code, false, &round);
    if (status != SF_OK)
        return status;
    if (!round)
        return sf_call_refuse(call, SF_NOT_FOUND, "round_code", "no round %s", ask->round_code);
    Sifang__V1__SurveySampleReply *reply = (Sifang__V1__SurveySampleReply *)
        sf_call_new_message(call, &sifang__v1__survey_sample_reply__descriptor);
    *reply_p = &reply->base;
    /* The narrower of the filter and the caller's view (a key's scope or a
     * person's grants); outside it an empty page, as lists are. */
    const char *under = NULL;
    if (!sf_call_scope_under(call, "under", ask->under, &under))
        return sf_call_status(call);
    char upper[24];
    eval_subtree_upper(under, upper, sizeof upper);
    PGresult *result = sf_call_query(call,
        "SELECT s.household_code, s.zone_code, s.community_code, s.draw, COALESCE(r.outcome, 0)"
        " FROM survey_sample s LEFT JOIN survey_response r USING (round_code, household_code)"
        " WHERE s.round_code = $1 AND s.household_code >= $2 AND s.household_code < $3 AND s.household_code > $4"
        " ORDER BY s.household_code LIMIT $5", SF_PARAMS(ask->round_code, under, upper, token, size + 1));
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result), shown = rows > size ? size : rows;
    reply->households = sf_call_new_array(call, (size_t) shown, sizeof *reply->households);
    for (int row = 0; row < shown; row++) {
        Sifang__V1__SampledHousehold *household = (Sifang__V1__SampledHousehold *)
            sf_call_new_message(call, &sifang__v1__sampled_household__descriptor);
        sf_row_read(result, row, 0, &household->base, "household_code zone_code community_code draw outcome");
        reply->households[reply->n_households++] = household;
    }
    if (rows > size)
        reply->next_page_token = (char *) sf_db_text(result, shown - 1, 0);
    return SF_OK;
}

/* --- responses ---------------------------------------------------------- */

static const Sifang__V1__SurveyQuestion *
find_question(const Sifang__V1__Questionnaire *questionnaire, const char *code)
{
    for (size_t i = 0; i < questionnaire->n_questions; i++)
        if (strcmp(questionnaire->questions[i]->code, code) == 0)
            return questionnaire->questions[i];
    return NULL;
}

/* Checks the answers against the questionnaire; returns the household's
 * satisfaction (0..100) through *score, or -1 when it has none. */
static void
check_answers(sf_call_t *call, const Sifang__V1__SurveyResponse *response,
              const Sifang__V1__Questionnaire *questionnaire, double *score)
{
    *score = -1;
    bool completed = response->outcome == SIFANG__V1__RESPONSE_OUTCOME__RESPONSE_OUTCOME_COMPLETED;
    if (!completed) {
        if (response->n_answers)
            sf_call_violation(call, "answers", "only a COMPLETED response carries answers");
        return;
    }
    if (response->n_answers > 100)
        sf_call_violation(call, "answers", "at most 100 answers");
    double sum = 0;
    int scored = 0;
    for (size_t i = 0; i < response->n_answers && i < 100; i++) {
        const Sifang__V1__SurveyAnswer *answer = response->answers[i];
        char *field = sf_call_printf(call, "answers[%zu]", i);
        const Sifang__V1__SurveyQuestion *question = find_question(questionnaire, answer->question);
        if (!question) {
            sf_call_violation(call, sf_call_printf(call, "%s.question", field), "no question %s in %s version %d",
                              answer->question, questionnaire->code, questionnaire->version);
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(response->answers[j]->question, answer->question) == 0)
                sf_call_violation(call, sf_call_printf(call, "%s.question", field), "answers %s twice",
                                  answer->question);
        switch (question->kind) {
        case SIFANG__V1__QUESTION_KIND__QUESTION_KIND_SCALE:
            if (answer->value < question->scale_min || answer->value > question->scale_max)
                sf_call_violation(call, sf_call_printf(call, "%s.value", field), "must be %d to %d",
                                  question->scale_min, question->scale_max);
            else if (question->satisfaction) {
                sum += 100.0 * (answer->value - question->scale_min) / (question->scale_max - question->scale_min);
                scored++;
            }
            break;
        case SIFANG__V1__QUESTION_KIND__QUESTION_KIND_YES_NO:
            if (answer->value != 0 && answer->value != 1)
                sf_call_violation(call, sf_call_printf(call, "%s.value", field), "must be 1 (yes) or 0 (no)");
            break;
        case SIFANG__V1__QUESTION_KIND__QUESTION_KIND_CHOICE:
            if (answer->value < 1 || (size_t) answer->value > question->n_choices)
                sf_call_violation(call, sf_call_printf(call, "%s.value", field), "must be 1 to %zu",
                                  question->n_choices);
            break;
        default:
            sf_call_check_text(call, sf_call_printf(call, "%s.text", field), answer->text, 500, question->required);
        }
        if (question->kind != SIFANG__V1__QUESTION_KIND__QUESTION_KIND_TEXT && *answer->text)
            sf_call_violation(call, sf_call_printf(call, "%s.text", field), "only a TEXT question takes text");
    }
    for (size_t q = 0; q < questionnaire->n_questions; q++) {
        const Sifang__V1__SurveyQuestion *question = questionnaire->questions[q];
        bool answered = false;
        for (size_t i = 0; i < response->n_answers && !answered; i++)
            answered = strcmp(response->answers[i]->question, question->code) == 0;
        if (question->required && !answered)
            sf_call_violation(call, "answers", "question %s is required", question->code);
    }
    if (scored)
        *score = sum / scored;
}

sf_status_t
eval_survey_response_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__SurveyResponse *response = (const Sifang__V1__SurveyResponse *) request;
    check_round_code(call, "round_code", response->round_code);
    eval_check_unit(call, "household_code", response->household_code, false);
    if (response->mode != SIFANG__V1__SURVEY_MODE__SURVEY_MODE_HOUSEHOLD
        && response->mode != SIFANG__V1__SURVEY_MODE__SURVEY_MODE_PHONE)
        sf_call_violation(call, "mode", "must be HOUSEHOLD or PHONE");
    if (response->outcome < SIFANG__V1__RESPONSE_OUTCOME__RESPONSE_OUTCOME_COMPLETED
        || response->outcome > SIFANG__V1__RESPONSE_OUTCOME__RESPONSE_OUTCOME_NOT_REACHED)
        sf_call_violation(call, "outcome", "must be COMPLETED, REFUSED or NOT_REACHED");
    sf_call_check_text(call, "interviewer", response->interviewer, 64, false);
    int64_t now = sf_now_ms();
    if (response->at_unix_ms < 0 || response->at_unix_ms > now + 60000)
        sf_call_violation(call, "at_unix_ms", "must be 0 (now) or a moment not in the future");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!sf_call_may_write(call, response->household_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "household %s lies outside your scope",
                            response->household_code);
    Sifang__V1__SurveyRound *round;
    sf_status_t status = round_load_as(call, ROUND_SELECT_UNCOUNTED " WHERE r.code = $1", response->round_code,
                                       &round);
    if (status != SF_OK)
        return status;
    if (!round)
        return sf_call_refuse(call, SF_NOT_FOUND, "round_code", "no round %s", response->round_code);
    if (round->closed)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "round_code", "round %s is closed", round->code);
    Sifang__V1__Questionnaire *questionnaire =
        questionnaire_load(call, round->questionnaire_code, round->questionnaire_version, &status);
    if (status != SF_OK || !questionnaire)
        return status != SF_OK ? status : sf_call_fail(call, SF_INTERNAL, "the round's questionnaire is gone");
    double score;
    check_answers(call, response, questionnaire, &score);
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    sf_params_t *params = SF_PARAMS(round->code, response->household_code);
    PGresult *result = sf_call_query(call,
        "SELECT zone_code FROM survey_sample WHERE round_code = $1 AND household_code = $2", params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return sf_call_refuse(call, SF_NOT_FOUND, "household_code", "household %s is not in the sample of round %s",
                              response->household_code, round->code);
    const char *zone = sf_db_text(result, 0, 0);
    int64_t at = response->at_unix_ms ? response->at_unix_ms : now;
    params = SF_PARAMS(round->code, response->household_code, response->mode, response->outcome,
                       response->interviewer, at);
    if (score >= 0)
        sf_params_double(params, score);
    else
        sf_params_null(params);
    sf_params_text(params, sf_call_principal(call)->id);
    result = sf_call_query(call,
        "INSERT INTO survey_response (round_code, household_code, mode, outcome, interviewer, answered_at,"
        " satisfaction, recorded_by) VALUES ($1, $2, $3, $4, $5, to_timestamp($6 / 1000.0), $7, $8)"
        " ON CONFLICT (round_code, household_code) DO NOTHING RETURNING " EVAL_MS("recorded_at"), params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "household_code", "household %s has answered round %s",
                              response->household_code, round->code);
    int64_t recorded = sf_db_int(result, 0, 0);
    if (response->n_answers) {
        sf_pgarray_t questions, values, texts;
        sf_pgarray_init(&questions);
        sf_pgarray_init(&values);
        sf_pgarray_init(&texts);
        for (size_t i = 0; i < response->n_answers; i++) {
            sf_pgarray_add_text(&questions, response->answers[i]->question);
            sf_pgarray_add_int(&values, response->answers[i]->value);
            sf_pgarray_add_text(&texts, response->answers[i]->text);
        }
        sf_params_init(params);
        SF_PARAMS_ADD(params, round->code, response->household_code,
                              sf_call_strdup(call, sf_pgarray_text(&questions)),
                              sf_call_strdup(call, sf_pgarray_text(&values)),
                              sf_call_strdup(call, sf_pgarray_text(&texts)));
        sf_pgarray_release(&questions);
        sf_pgarray_release(&values);
        sf_pgarray_release(&texts);
        if (!sf_call_query(call,
                "INSERT INTO survey_answer (round_code, household_code, question, value, text)"
                " SELECT $1, $2, q, v, t FROM unnest($3::text[], $4::int[], $5::text[]) AS a(q, v, t)", params))
            return sf_call_status(call);
    }
    eval_period_t periods[2];
    eval_period_parse(round->period, &periods[0]);
    eval_period_year_of(&periods[0], &periods[1]);
    bool completed = response->outcome == SIFANG__V1__RESPONSE_OUTCOME__RESPONSE_OUTCOME_COMPLETED;
    eval_delta_t deltas[3] = {
        { "survey_completed", completed ? 1 : 0 },
        { "survey_scored", score >= 0 ? 1 : 0 },
        { "survey_satisfaction_points", score >= 0 ? score : 0 },
    };
    status = eval_facts_add_periods(sf_call_db(call), zone, periods, 2, deltas, 3);
    if (status != SF_OK)
        return sf_call_fail(call, status, "cannot count the response");
    Sifang__V1__SurveyResponse *recorded_response = (Sifang__V1__SurveyResponse *)
        sf_call_new_message(call, &sifang__v1__survey_response__descriptor);
    *recorded_response = *response;
    recorded_response->at_unix_ms = at;
    recorded_response->satisfaction = score >= 0 ? score : 0;
    recorded_response->recorded_unix_ms = recorded;
    return sf_call_emit_reply(call, reply_p, "survey_response.recorded", response->household_code,
                              &recorded_response->base);
}

/* A refusal of one request on its own (its fields, its household, its
 * round), as opposed to the database failing under the run. */
static bool
refused_alone(sf_status_t status)
{
    return status == SF_INVALID_ARGUMENT || status == SF_NOT_FOUND || status == SF_ALREADY_EXISTS
        || status == SF_FAILED_PRECONDITION || status == SF_PERMISSION_DENIED;
}

/* A run of responses (a round's interviews entered together, the demo's
 * rounds): each recorded as alone, but the fact totals they add up to
 * written once at the run's end. Alone, a response adds to its zone,
 * community, street and district in the half-year and the year, so a run
 * of them updated the same district rows hundreds of times in one
 * transaction, each update walking the versions the ones before it left
 * (35 responses a second). A request refused on its own fails alone;
 * anything else fails the run, which the server then runs request by
 * request. */
sf_status_t
eval_survey_response_record_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies,
                                  size_t n)
{
    eval_facts_gather(true);
    sf_status_t status = SF_OK;
    for (size_t i = 0; i < n && status == SF_OK; i++) {
        sf_status_t one = eval_survey_response_record(calls[i], requests[i], &replies[i]);
        if (one != SF_OK && !refused_alone(one))
            status = one;
    }
    if (status == SF_OK)
        status = eval_facts_page_end(sf_call_db(calls[0]), true, NULL);
    else
        eval_facts_page_end(NULL, false, NULL);
    eval_facts_gather(false);
    return status;
}
