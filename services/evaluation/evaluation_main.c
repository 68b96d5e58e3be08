/* The evaluation daemon: its settings, its method table, and main, which
 * builds the service around the common service loop and hooks a follower
 * per source instance into it. */
#include "evaluation.h"
#include "evaluation_settings.h"
#include "sf_dates.h"
#include "sf_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Generated from migrations/ by sifang_embed_migrations(). */
extern const sf_migration_t sifang_evaluation_migrations[];

/* Named fields: the optional ones (a batch handler) stay unset. */
#define METHOD(method, fn, method_kind, allowed) \
    { .name = (method), .handler = (fn), .kind = (method_kind), .roles = (allowed) }

const sf_method_t evaluation_methods[] = {
    METHOD("FactList", eval_fact_list, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("FactValues", eval_fact_values, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("KpiDefine", eval_kpi_define, SF_METHOD_WRITE, EVAL_ROLES_DISTRICT),
    METHOD("KpiGet", eval_kpi_get, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("KpiList", eval_kpi_list, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("KpiValues", eval_kpi_values, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("InputRecord", eval_input_record, SF_METHOD_WRITE, EVAL_ROLES_INPUTS),
    METHOD("InputList", eval_input_list, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("SourceList", eval_source_list, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("QuestionnaireDefine", eval_questionnaire_define, SF_METHOD_WRITE, EVAL_ROLES_DISTRICT),
    METHOD("QuestionnaireGet", eval_questionnaire_get, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("SurveyRoundCreate", eval_survey_round_create, SF_METHOD_WRITE, EVAL_ROLES_DISTRICT),
    METHOD("SurveyRoundGet", eval_survey_round_get, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("SurveyRoundList", eval_survey_round_list, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("SurveyRoundClose", eval_survey_round_close, SF_METHOD_WRITE, EVAL_ROLES_DISTRICT),
    METHOD("SurveySample", eval_survey_sample, SF_METHOD_READ, EVAL_ROLES_SURVEY),
    METHOD("SurveyResponseRecord", eval_survey_response_record, SF_METHOD_WRITE, EVAL_ROLES_SURVEY),
    METHOD("SurveyResults", eval_survey_results, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("SchemeDefine", eval_scheme_define, SF_METHOD_WRITE, EVAL_ROLES_DISTRICT),
    METHOD("SchemeGet", eval_scheme_get, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("ScorecardGet", eval_scorecard_get, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("SignOff", eval_sign_off, SF_METHOD_WRITE, EVAL_ROLES_SIGN_OFF),
    METHOD("SignOffHistory", eval_sign_off_history, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("PeriodFreeze", eval_period_freeze, SF_METHOD_WRITE, EVAL_ROLES_DISTRICT),
    METHOD("AppraisalList", eval_appraisal_list, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("Sensitivity", eval_sensitivity, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("ReportJson", eval_report_json, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("ReportHtml", eval_report_html, SF_METHOD_READ, EVAL_ROLES_READ),
    { .name = NULL },
};

int
main(int argc, char **argv)
{
    int exit_code = sf_server_command_line(argc, argv, "evaluation",
        "Usage: sifang-evaluation [--help]\n\n"
        "The evaluation service: follows the event logs of grid, intake, employment and\n"
        "volunteer (a cursor per source instance) into facts per org unit and period;\n"
        "KPIs as data; household and phone surveys; weighted scorecards with sign-off,\n"
        "freezing and the appraisal link; sensitivity; period reports as JSON and HTML.",
        evaluation_settings);
    if (exit_code >= 0)
        return exit_code;
    sf_log_init("evaluation");
    evaluation_t *evaluation = calloc(1, sizeof *evaluation);
    if (!evaluation) {
        sf_error("out of memory");
        return 1;
    }
    char error[512];
    int rc = 1;
    sf_server_t *server = NULL;
    evaluation_settings_t settings;
    if (sf_settings_load(evaluation_settings, "evaluation", &settings, error, sizeof error) != 0) {
        sf_error("bad setting", "reason", error);   /* checked at start: not reached */
        rc = 2;
        goto cleanup;
    }
    /* The name's shape is the table's; whether tzdata knows it, the calendar's. */
    if (!sf_calendar_set("SIFANG_EVALUATION_TIMEZONE", settings.timezone, error, sizeof error)) {
        sf_error("bad setting", "setting", "SIFANG_EVALUATION_TIMEZONE", "reason", error);
        rc = 2;
        goto cleanup;
    }
    evaluation->poll_ms = settings.poll_ms;
    evaluation->page_size = settings.page_size;
    /* The list's words and each source's endpoints, checked together. */
    if (eval_sources_configure(evaluation, settings.sources, error, sizeof error) != 0) {
        sf_error("bad setting", "setting", "SIFANG_EVALUATION_SOURCES", "reason", error);
        rc = 2;
        goto cleanup;
    }
    sf_service_t service = {
        .service = "evaluation",
        .descriptor = &sifang__v1__evaluation__descriptor,
        .methods = evaluation_methods,
        .migrations = sifang_evaluation_migrations,
        .state = evaluation,
    };
    for (const sf_migration_t *m = sifang_evaluation_migrations; m->sql; m++)
        if (m->version > evaluation->last_migration)
            evaluation->last_migration = m->version;
    server = sf_server_new(&service, error, sizeof error);
    if (!server) {
        sf_error("cannot start", "reason", error);
        goto cleanup;
    }
    if (eval_sources_start(evaluation, server, error, sizeof error) != 0) {
        sf_error("cannot start", "reason", error);
        goto cleanup;
    }
    rc = sf_server_run(server);
cleanup:
    eval_sources_stop(evaluation);
    sf_server_destroy(&server);
    free(evaluation);
    return rc;
}
