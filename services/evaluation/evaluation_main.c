/* The evaluation daemon: its method table and its hooks into the daemons'
 * shared main (sf_daemon.h): its state from the settings and the sources'
 * list, and a follower per source instance, in a thread of their own. */
#include "evaluation.h"
#include "evaluation_settings.h"
#include "sf_daemon.h"
#include "sf_dates.h"
#include "sf_log.h"
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
    METHOD("CityScorecardGet", eval_city_scorecard_get, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("ZoneScorecardGet", eval_zone_scorecard_get, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("QuestionnaireDefine", eval_questionnaire_define, SF_METHOD_WRITE, EVAL_ROLES_DISTRICT),
    METHOD("QuestionnaireGet", eval_questionnaire_get, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("SurveyRoundCreate", eval_survey_round_create, SF_METHOD_WRITE, EVAL_ROLES_DISTRICT),
    METHOD("SurveyRoundGet", eval_survey_round_get, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("SurveyRoundList", eval_survey_round_list, SF_METHOD_READ, EVAL_ROLES_READ),
    METHOD("SurveyRoundClose", eval_survey_round_close, SF_METHOD_WRITE, EVAL_ROLES_DISTRICT),
    METHOD("SurveySample", eval_survey_sample, SF_METHOD_READ, EVAL_ROLES_SURVEY),
    { .name = "SurveyResponseRecord", .handler = eval_survey_response_record, .kind = SF_METHOD_WRITE,
      .roles = EVAL_ROLES_SURVEY, .batch_handler = eval_survey_response_record_batch },
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
    /* People: each handler narrows to the person and their managers. */
    METHOD("StaffFiguresGet", eval_staff_figures_get, SF_METHOD_READ, SF_ROLES_STAFF),
    METHOD("StaffFiguresList", eval_staff_figures_list, SF_METHOD_READ, SF_ROLES_STAFF),
    METHOD("AppraisalReportSubmit", eval_appraisal_report_submit, SF_METHOD_WRITE, SF_ROLES_STAFF),
    METHOD("AppraisalReportGet", eval_appraisal_report_get, SF_METHOD_READ, SF_ROLES_STAFF),
    METHOD("AppraisalReportList", eval_appraisal_report_list, SF_METHOD_READ, SF_ROLES_STAFF),
    METHOD("AppraisalReportGrade", eval_appraisal_report_grade, SF_METHOD_WRITE, SF_ROLES_STAFF),
    METHOD("AwardDecide", eval_award_decide, SF_METHOD_WRITE, EVAL_ROLES_DISTRICT),
    METHOD("AwardList", eval_award_list, SF_METHOD_READ, SF_ROLES_STAFF),
    /* What a person is measured on: read by anyone who has figures, defined
     * by the appraisal office. */
    METHOD("PersonKpiDefine", eval_person_kpi_define, SF_METHOD_WRITE, EVAL_ROLES_DISTRICT),
    METHOD("PersonKpiList", eval_person_kpi_list, SF_METHOD_READ, SF_ROLES_STAFF),
    { .name = NULL },
};

static void
destroy(void *state)
{
    evaluation_t *evaluation = state;
    if (evaluation)
        sf_kept_destroy(&evaluation->scorecards);
    free(evaluation);
}

/* The state, from the settings and what the table cannot check alone: the
 * zone tzdata must know, the sources' list with each one's endpoints. */
static int
prepare(void *config, void **state_p)
{
    const evaluation_settings_t *settings = config;
    evaluation_t *evaluation = calloc(1, sizeof *evaluation);
    *state_p = evaluation;
    if (!evaluation) {
        sf_error("out of memory");
        return SF_DAEMON_CANNOT_START;
    }
    char error[512];
    /* The name's shape is the table's; whether tzdata knows it, the calendar's. */
    if (!sf_calendar_set("SIFANG_EVALUATION_TIMEZONE", settings->timezone, error, sizeof error)) {
        sf_error("bad setting", "setting", "SIFANG_EVALUATION_TIMEZONE", "reason", error);
        return SF_DAEMON_BAD_SETTING;
    }
    /* Each period's card with and without cadres: two half-years and a
     * year at a time, and a few more looked back at. */
    evaluation->scorecards = sf_kept_new(16);
    if (!evaluation->scorecards) {
        sf_error("out of memory");
        return SF_DAEMON_CANNOT_START;
    }
    evaluation->poll_ms = settings->poll_ms;
    evaluation->page_size = settings->page_size;
    evaluation->city = strcmp(settings->level, "city") == 0;
    /* The list's words and each source's endpoints, checked together. */
    if (eval_sources_configure(evaluation, settings->sources, error, sizeof error) != 0) {
        sf_error("bad setting", "setting", "SIFANG_EVALUATION_SOURCES", "reason", error);
        return SF_DAEMON_BAD_SETTING;
    }
    for (const sf_migration_t *m = sifang_evaluation_migrations; m->sql; m++) {
        if (m->version > evaluation->last_migration)
            evaluation->last_migration = m->version;
        evaluation->n_migrations++;
    }
    return 0;
}

static bool
start(sf_server_t *server, void *state)
{
    char error[512];
    if (eval_sources_start(state, server, error, sizeof error) != 0) {
        sf_error("cannot start", "reason", error);
        return false;
    }
    return true;
}

static void
stop(void *state)
{
    eval_sources_stop(state);
}

int
main(int argc, char **argv)
{
    static evaluation_settings_t settings;
    static const sf_daemon_t daemon = {
        .service = "evaluation",
        .about = "The evaluation service: follows the event logs of grid, intake, employment and\n"
            "volunteer (a cursor per source instance) into facts per org unit and period;\n"
            "KPIs as data; household and phone surveys; weighted scorecards with sign-off,\n"
            "freezing and the appraisal link; sensitivity; period reports as JSON and HTML.",
        .settings = evaluation_settings,
        .config = &settings,
        .methods = evaluation_methods,
        .migrations = sifang_evaluation_migrations,
        .prepare = prepare,
        .start = start,
        .stop = stop,
        .destroy = destroy,
    };
    return sf_daemon_main(argc, argv, &daemon);
}
