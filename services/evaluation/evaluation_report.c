/* A period's report: the scorecard, the district's KPIs, the survey rounds'
 * results and the sensitivity of the ranking, as one JSON document and as a
 * printable HTML page (the gateway serves both). */
#include "evaluation.h"
#include "sf_json.h"
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything a report shows, gathered through the methods that show it. */
typedef struct {
    Sifang__V1__Scorecard *card;
    Sifang__V1__KpiValuesReply *kpis;
    Sifang__V1__SurveyResultsReply **surveys;
    size_t n_surveys;
    Sifang__V1__SensitivityReply *sensitivity;
} report_t;

static sf_status_t
gather(sf_call_t *call, const char *period, report_t *report)
{
    memset(report, 0, sizeof *report);
    if (!eval_check_period(call, "period", period, 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, NULL))
        return sf_call_status(call);
    sf_status_t status = eval_scorecard_build(call, period, true, &report->card);
    if (status != SF_OK)
        return status;
    Sifang__V1__KpiValuesRequest values = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
    values.period = (char *) period;
    status = eval_kpi_values(call, &values.base, (ProtobufCMessage **) &report->kpis);
    if (status != SF_OK)
        return status;
    Sifang__V1__SensitivityRequest sensitivity = SIFANG__V1__SENSITIVITY_REQUEST__INIT;
    sensitivity.period = (char *) period;
    status = eval_sensitivity(call, &sensitivity.base, (ProtobufCMessage **) &report->sensitivity);
    if (status != SF_OK)
        return status;
    /* Survey rounds of the half-year, or of both halves of the year. */
    PGresult *rounds = sf_call_query(call,
        "SELECT code FROM survey_round WHERE period = $1 OR left(period, 4) = $1 ORDER BY period, code",
        SF_PARAMS(period));
    if (!rounds)
        return sf_call_status(call);
    report->surveys = sf_call_new_array(call, (size_t) PQntuples(rounds), sizeof *report->surveys);
    for (int row = 0; row < PQntuples(rounds); row++) {
        Sifang__V1__SurveyResultsRequest ask = SIFANG__V1__SURVEY_RESULTS_REQUEST__INIT;
        ask.round_code = (char *) sf_db_text(rounds, row, 0);
        ask.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET;
        Sifang__V1__SurveyResultsReply *results = NULL;
        status = eval_survey_results(call, &ask.base, (ProtobufCMessage **) &results);
        if (status != SF_OK)
            return status;
        report->surveys[report->n_surveys++] = results;
    }
    return SF_OK;
}

static Sifang__V1__ReportReply *
reply_of(sf_call_t *call, const char *content_type, char *body)
{
    Sifang__V1__ReportReply *reply = (Sifang__V1__ReportReply *)
        sf_call_new_message(call, &sifang__v1__report_reply__descriptor);
    reply->content_type = (char *) content_type;
    reply->body = sf_call_strdup(call, body);
    return reply;
}

sf_status_t
eval_report_json(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ReportRequest *ask = (const Sifang__V1__ReportRequest *) request;
    report_t report;
    sf_status_t status = gather(call, ask->period, &report);
    if (status != SF_OK)
        return status;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "sifang.evaluation.report/v1");
    cJSON_AddStringToObject(root, "period", ask->period);
    cJSON_AddItemToObject(root, "scorecard", sf_json_from_message(&report.card->base));
    cJSON_AddItemToObject(root, "district_kpis", sf_json_from_message(&report.kpis->base));
    cJSON *surveys = cJSON_AddArrayToObject(root, "surveys");
    for (size_t i = 0; i < report.n_surveys; i++)
        cJSON_AddItemToArray(surveys, sf_json_from_message(&report.surveys[i]->base));
    cJSON_AddItemToObject(root, "sensitivity", sf_json_from_message(&report.sensitivity->base));
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return sf_call_fail(call, SF_RESOURCE_EXHAUSTED, "out of memory for the report");
    *reply_p = &reply_of(call, "application/json", text)->base;
    free(text);
    return SF_OK;
}

/* --- HTML ------------------------------------------------------------------- */

typedef struct {
    char *text;
    size_t length, capacity;
    bool failed;
} page_t;

static void
put(page_t *page, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void
put(page_t *page, const char *format, ...)
{
    if (page->failed)
        return;
    for (;;) {
        va_list args;
        va_start(args, format);
        size_t room = page->capacity - page->length;
        int n = vsnprintf(page->text ? page->text + page->length : NULL, page->text ? room : 0, format, args);
        va_end(args);
        if (n < 0) {
            page->failed = true;
            return;
        }
        if (page->text && (size_t) n < room) {
            page->length += (size_t) n;
            return;
        }
        size_t grown = page->capacity ? page->capacity * 2 : 16384;
        while (grown < page->length + (size_t) n + 1)
            grown *= 2;
        char *bigger = realloc(page->text, grown);
        if (!bigger) {
            page->failed = true;
            return;
        }
        page->text = bigger;
        page->capacity = grown;
    }
}

/* Text escaped for HTML. */
static void
put_text(page_t *page, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '<': put(page, "&lt;"); break;
        case '>': put(page, "&gt;"); break;
        case '&': put(page, "&amp;"); break;
        case '"': put(page, "&quot;"); break;
        default: put(page, "%c", *p);
        }
    }
}

static const char *
flag_name(Sifang__V1__AppraisalFlag flag)
{
    return flag == SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_COMMENDATION ? "commendation"
         : flag == SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_ATTENTION ? "attention" : "";
}

static const char *
sign_off_name(Sifang__V1__SignOffState state)
{
    return state == SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_APPROVED ? "approved"
         : state == SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_RETURNED ? "returned" : "pending";
}

static void
put_scores(page_t *page, const char *title, Sifang__V1__UnitScore *const *units, size_t n)
{
    put(page, "<h2>");
    put_text(page, title);
    put(page, "</h2>\n<table>\n<thead><tr><th>Rank</th><th>Code</th><th>Name</th><th>Composite</th>");
    if (n)
        for (size_t i = 0; i < units[0]->n_items; i++) {
            put(page, "<th>");
            put_text(page, units[0]->items[i]->kpi_name);
            put(page, "<br><small>w %.3g, target %.4g</small></th>", units[0]->items[i]->weight,
                units[0]->items[i]->target);
        }
    put(page, "<th>Flag</th><th>Sign-off</th><th>Responsible</th></tr></thead>\n<tbody>\n");
    for (size_t u = 0; u < n; u++) {
        const Sifang__V1__UnitScore *unit = units[u];
        put(page, "<tr class=\"%s\"><td>%d</td><td>", flag_name(unit->flag), unit->rank);
        put_text(page, unit->unit_code);
        put(page, "</td><td>");
        put_text(page, unit->unit_name);
        put(page, "</td><td class=\"n\"><b>%.1f</b></td>", unit->composite);
        for (size_t i = 0; i < unit->n_items; i++) {
            const Sifang__V1__ItemScore *item = unit->items[i];
            if (item->has_value)
                put(page, "<td class=\"n%s\">%.4g<br><small>%.0f</small></td>", item->below_threshold ? " low" : "",
                    item->value, item->score);
            else
                put(page, "<td class=\"n\">&ndash;</td>");
        }
        put(page, "<td>%s", flag_name(unit->flag));
        for (size_t r = 0; r < unit->n_reasons; r++) {
            put(page, "<br><small>");
            put_text(page, unit->reasons[r]);
            put(page, "</small>");
        }
        put(page, "</td><td>%s%s</td><td><small>", sign_off_name(unit->sign_off),
            unit->changed_since_approval ? " (changed since)" : "");
        for (size_t c = 0; c < unit->n_cadres && c < 6; c++) {
            put_text(page, unit->cadres[c]->name);
            put(page, c + 1 < unit->n_cadres && c < 5 ? ", " : "");
        }
        if (unit->n_cadres > 6)
            put(page, " and %zu more", unit->n_cadres - 6);
        put(page, "</small></td></tr>\n");
    }
    put(page, "</tbody></table>\n");
}

sf_status_t
eval_report_html(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ReportRequest *ask = (const Sifang__V1__ReportRequest *) request;
    report_t report;
    sf_status_t status = gather(call, ask->period, &report);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Scorecard *card = report.card;
    page_t page = { 0 };
    put(&page, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n<title>Evaluation ");
    put_text(&page, card->period);
    put(&page, "</title>\n<style>\n"
               "body{font-family:sans-serif;font-size:11pt;margin:2em;color:#111}\n"
               "h1{font-size:18pt}h2{font-size:14pt;margin-top:1.5em;page-break-after:avoid}\n"
               "table{border-collapse:collapse;width:100%%;font-size:9pt;page-break-inside:auto}\n"
               "tr{page-break-inside:avoid}th,td{border:1px solid #999;padding:2px 4px;vertical-align:top}\n"
               "th{background:#eee}td.n{text-align:right}td.low{color:#a00;font-weight:bold}\n"
               "tr.commendation td:first-child{border-left:4px solid #2a7}\n"
               "tr.attention td:first-child{border-left:4px solid #c33}\n"
               "p.note{font-size:9pt;color:#444}\n"
               "@media print{body{margin:0}@page{size:A4 landscape;margin:12mm}}\n"
               "</style></head><body>\n<h1>Performance evaluation, ");
    put_text(&page, card->district ? card->district->unit_name : "");
    put(&page, " &mdash; ");
    put_text(&page, card->period);
    put(&page, "</h1>\n<p>Scheme &ldquo;");
    put_text(&page, card->scheme_name);
    put(&page, "&rdquo;, version %d. %s</p>\n", card->scheme_version,
        card->frozen ? "Frozen: these are the signed-off figures that feed appraisal."
                     : "Not frozen: figures may still change until every unit is signed off.");
    if (card->district)
        put(&page, "<p>District composite: <b>%.1f</b>.</p>\n", card->district->composite);

    put(&page, "<h2>District KPIs</h2>\n<table><thead><tr><th>KPI</th><th>Value</th><th>Numerator</th>"
               "<th>Denominator</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < report.kpis->n_values; i++) {
        const Sifang__V1__KpiValue *value = report.kpis->values[i];
        put(&page, "<tr><td>");
        put_text(&page, value->kpi_code);
        if (value->has_value)
            put(&page, "</td><td class=\"n\">%.4g</td><td class=\"n\">%.6g</td><td class=\"n\">%.6g</td></tr>\n",
                value->value, value->numerator, value->denominator);
        else
            put(&page, "</td><td class=\"n\">&ndash;</td><td class=\"n\">%.6g</td><td class=\"n\">%.6g</td></tr>\n",
                value->numerator, value->denominator);
    }
    put(&page, "</tbody></table>\n");

    put_scores(&page, "Streets", card->streets, card->n_streets);
    put_scores(&page, "Communities", card->communities, card->n_communities);

    for (size_t s = 0; s < report.n_surveys; s++) {
        const Sifang__V1__SurveyResultsReply *survey = report.surveys[s];
        put(&page, "<h2>Survey ");
        put_text(&page, survey->round->code);
        put(&page, "</h2>\n<table><thead><tr><th>Unit</th><th>Sampled</th><th>Completed</th>"
                   "<th>Response rate (95%% CI)</th><th>Satisfaction 0-100 (95%% CI)</th>"
                   "<th>Satisfied share (95%% CI)</th></tr></thead><tbody>\n");
        for (size_t r = 0; r < survey->n_results; r++) {
            const Sifang__V1__SurveyResult *result = survey->results[r];
            put(&page, "<tr><td>");
            put_text(&page, result->unit_name);
            put(&page, "</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                       "<td class=\"n\">%.1f%% (%.1f&ndash;%.1f)</td><td class=\"n\">%.1f (%.1f&ndash;%.1f)</td>"
                       "<td class=\"n\">%.1f%% (%.1f&ndash;%.1f)</td></tr>\n",
                result->sampled, result->completed, 100 * result->response_rate, 100 * result->response_rate_low,
                100 * result->response_rate_high, result->satisfaction_mean, result->satisfaction_low,
                result->satisfaction_high, 100 * result->satisfied_share, 100 * result->satisfied_low,
                100 * result->satisfied_high);
        }
        put(&page, "</tbody></table>\n<p class=\"note\">");
        put_text(&page, survey->method);
        put(&page, "</p>\n");
    }

    put(&page, "<h2>Sensitivity of the ranking (each weight &plusmn;20%%)</h2>\n<table><thead><tr><th>Units</th>"
               "<th>KPI</th><th>Weight &times;</th><th>Units moved</th><th>Largest move</th>"
               "<th>Spearman &rho;</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < report.sensitivity->n_cases; i++) {
        const Sifang__V1__SensitivityCase *one = report.sensitivity->cases[i];
        put(&page, "<tr><td>%s</td><td>", one->unit_kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET ? "streets"
                                                                                                  : "communities");
        put_text(&page, one->kpi_code);
        put(&page, "</td><td class=\"n\">%.2f</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                   "<td class=\"n\">%.3f</td></tr>\n", one->weight_factor, one->units_moved, one->max_move,
            one->spearman);
    }
    put(&page, "</tbody></table>\n<p class=\"note\">Item scores run from 0 at the threshold to 100 at the target;"
               " a composite is the weighted mean over the items a unit has figures for. Rankings compare streets"
               " with streets and communities with communities.</p>\n</body></html>\n");
    if (page.failed) {
        free(page.text);
        return sf_call_fail(call, SF_RESOURCE_EXHAUSTED, "out of memory for the report");
    }
    *reply_p = &reply_of(call, "text/html; charset=utf-8", page.text)->base;
    free(page.text);
    return SF_OK;
}
