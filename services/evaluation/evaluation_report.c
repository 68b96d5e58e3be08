/* A period's report: the scorecard, the district's KPIs, the survey rounds'
 * results and the sensitivity of the ranking, as one JSON document and as a
 * printable HTML page (the gateway serves both). */
#include "evaluation.h"
#include "sf_json.h"
#include "sf_textbuf.h"
#include <cjson/cJSON.h>
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
    PGresult *kpi_names;      /* code, name: each KPI's latest definition */
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
    /* A KPI not in the report's own Chinese names is named by its row. */
    report->kpi_names = sf_call_query(call,
        "SELECT DISTINCT ON (code) code, name FROM kpi ORDER BY code, version DESC", NULL);
    if (!report->kpi_names)
        return sf_call_status(call);
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

/* The printed report is read by the district's officials: its words are
 * Chinese. Codes (units, KPIs of a scheme's own) stay as they are. */

/* The row's class, for the stylesheet. */
static const char *
flag_name(Sifang__V1__AppraisalFlag flag)
{
    return flag == SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_COMMENDATION ? "commendation"
         : flag == SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_ATTENTION ? "attention" : "";
}

static const char *
flag_label(Sifang__V1__AppraisalFlag flag)
{
    return flag == SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_COMMENDATION ? "表彰"
         : flag == SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_ATTENTION ? "关注" : "";
}

static const char *
sign_off_name(Sifang__V1__SignOffState state)
{
    return state == SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_APPROVED ? "已确认"
         : state == SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_RETURNED ? "已退回" : "待签批";
}

/* A KPI's name as defined, in Chinese where it begins so: the catalogue's
 * later KPIs are named "联系点问题解决率 Contact point problems solved", and
 * the report is read in Chinese. Cut at an ASCII space, a character's
 * boundary. */
static const char *
chinese_part(sf_call_t *call, const char *name)
{
    if ((unsigned char) name[0] < 0x80)
        return name;
    for (const char *space = strchr(name, ' '); space; space = strchr(space + 1, ' '))
        if ((unsigned char) space[1] < 0x80)
            return sf_call_printf(call, "%.*s", (int) (space - name), name);
    return name;
}

/* The catalogue's KPIs by their Chinese names (002_catalogue.sql defines
 * them with English ones, later migrations with both); another KPI by the
 * name it was defined with (given, or its latest row's), never its code
 * while it has a name. */
static const char *
kpi_label(sf_call_t *call, const report_t *report, const char *code, const char *name)
{
    static const struct {
        const char *code, *label;
    } names[] = {
        { "cases_received", "受理诉求数" }, { "on_time_rate", "按时办结率" }, { "backlog", "超期积压件" },
        { "return_visit_satisfaction", "回访满意度" }, { "first_responder_closure", "首接办结率（已停用）" },
        { "first_responder_follow_through", "首问跟进率" }, { "rework_rate", "返工率" },
        { "complaint_rate", "投诉率" }, { "receipt_timeliness", "签收及时率" },
        { "first_response_timeliness", "首次响应及时率" }, { "stage_completion_timeliness", "办结及时率（按时限归属）" },
        { "people_placed", "就业安置人数" }, { "entrepreneurs_supported", "创业扶持人数" },
        { "difficulty_employment_rate", "就业困难人员就业率" }, { "volunteer_hours_per_1000", "每千人志愿服务时长" },
        { "pairing_coverage", "结对帮扶覆盖率" }, { "pairing_contact_rate", "结对联系率" },
        { "survey_satisfaction", "群众满意度" }, { "survey_response_rate", "问卷应答率" },
        { "cadre_visits", "干部走访户数" }, { "cadre_visits_per_100_households", "每百户干部走访数" },
        { "cases_per_10k_yuan", "每万元经费办结诉求数" }, { "volunteer_hours_per_1000_yuan", "每千元经费志愿服务时长" },
        /* 007's rework figures and issue 19's district work (010, 011). */
        { "answer_rework_rate", "答复返工率" }, { "answer_complaint_rate", "答复被投诉率" },
        { "case_reopened_share", "返工办件占比" }, { "funding_to_residents", "经费用于居民活动和服务比例" },
        { "part_time_attendance", "兼职委员出席率" }, { "cobuilding_kept", "共建承诺兑现率" },
        { "contact_problem_solved", "联系点问题解决率" }, { "contact_problem_dealt", "联系点问题处置率" },
        { "department_visits_per_pairing", "帮建部门结对走访次数" },
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(names[i].code, code) == 0)
            return names[i].label;
    if (name && *name)
        return chinese_part(call, name);
    for (int row = 0; report->kpi_names && row < PQntuples(report->kpi_names); row++)
        if (strcmp(sf_db_text(report->kpi_names, row, 0), code) == 0 && *sf_db_text(report->kpi_names, row, 1))
            return chinese_part(call, sf_db_text(report->kpi_names, row, 1));
    return code;
}

/* A flagged unit's reason, as the scorecard writes it (evaluation_scorecards.c:
 * "<kpi> <value> is at or below threshold <t>", "composite <c> below <a>",
 * "composite <c> at or above <a>"), in Chinese; another as written. */
static void
put_reason(sf_call_t *call, const report_t *report, sf_textbuf_t *page, const char *reason)
{
    char kpi[64], value[32], side[8], limit[32];
    if (sscanf(reason, "%63[a-z0-9_] %31s is at or %7s threshold %31s", kpi, value, side, limit) == 4) {
        sf_textbuf_put_markup(page, kpi_label(call, report, kpi, NULL));
        sf_textbuf_printf(page, " ");
        sf_textbuf_put_markup(page, value);
        sf_textbuf_printf(page, strcmp(side, "above") == 0 ? "，超过底线值 " : "，未达到底线值 ");
        sf_textbuf_put_markup(page, limit);
    } else if (sscanf(reason, "composite %31s at or above %31s", value, limit) == 2) {
        sf_textbuf_printf(page, "综合得分 ");
        sf_textbuf_put_markup(page, value);
        sf_textbuf_printf(page, "，达到表彰线 ");
        sf_textbuf_put_markup(page, limit);
    } else if (sscanf(reason, "composite %31s below %31s", value, limit) == 2) {
        sf_textbuf_printf(page, "综合得分 ");
        sf_textbuf_put_markup(page, value);
        sf_textbuf_printf(page, "，低于关注线 ");
        sf_textbuf_put_markup(page, limit);
    } else
        sf_textbuf_put_markup(page, reason);
}

static void
put_scores(sf_call_t *call, const report_t *report, sf_textbuf_t *page, const char *title,
           Sifang__V1__UnitScore *const *units, size_t n)
{
    sf_textbuf_printf(page, "<h2>");
    sf_textbuf_put_markup(page, title);
    sf_textbuf_printf(page, "</h2>\n<table>\n<thead><tr><th>名次</th><th>代码</th><th>名称</th><th>综合得分</th>");
    if (n)
        for (size_t i = 0; i < units[0]->n_items; i++) {
            sf_textbuf_printf(page, "<th>");
            sf_textbuf_put_markup(page, kpi_label(call, report, units[0]->items[i]->kpi_code, units[0]->items[i]->kpi_name));
            if (units[0]->items[i]->weight > 0)
                sf_textbuf_printf(page, "<br><small>权重 %.3g，目标 %.4g</small></th>", units[0]->items[i]->weight,
                    units[0]->items[i]->target);
            else   /* an indicator (migration 021) */
                sf_textbuf_printf(page, "<br><small>指标，不计入综合得分；目标 %.4g</small></th>",
                    units[0]->items[i]->target);
        }
    sf_textbuf_printf(page, "<th>考核结果</th><th>签批</th><th>责任人</th></tr></thead>\n<tbody>\n");
    for (size_t u = 0; u < n; u++) {
        const Sifang__V1__UnitScore *unit = units[u];
        sf_textbuf_printf(page, "<tr class=\"%s\"><td>%d</td><td>", flag_name(unit->flag), unit->rank);
        sf_textbuf_put_markup(page, unit->unit_code);
        sf_textbuf_printf(page, "</td><td>");
        sf_textbuf_put_markup(page, unit->unit_name);
        sf_textbuf_printf(page, "</td><td class=\"n\"><b>%.1f</b></td>", unit->composite);
        for (size_t i = 0; i < unit->n_items; i++) {
            const Sifang__V1__ItemScore *item = unit->items[i];
            if (item->has_value)
                sf_textbuf_printf(page, "<td class=\"n%s\">%.4g<br><small>%.0f</small></td>", item->below_threshold ? " low" : "",
                    item->value, item->score);
            else
                sf_textbuf_printf(page, "<td class=\"n\">&ndash;</td>");
        }
        sf_textbuf_printf(page, "<td>%s", flag_label(unit->flag));
        for (size_t r = 0; r < unit->n_reasons; r++) {
            sf_textbuf_printf(page, "<br><small>");
            put_reason(call, report, page, unit->reasons[r]);
            sf_textbuf_printf(page, "</small>");
        }
        sf_textbuf_printf(page, "</td><td>%s%s</td><td><small>", sign_off_name(unit->sign_off),
            unit->changed_since_approval ? "（签批后有变化）" : "");
        for (size_t c = 0; c < unit->n_cadres && c < 6; c++) {
            sf_textbuf_put_markup(page, unit->cadres[c]->name);
            sf_textbuf_printf(page, c + 1 < unit->n_cadres && c < 5 ? ", " : "");
        }
        if (unit->n_cadres > 6)
            sf_textbuf_printf(page, " 等 %zu 人", unit->n_cadres);
        sf_textbuf_printf(page, "</small></td></tr>\n");
    }
    sf_textbuf_printf(page, "</tbody></table>\n");
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
    sf_textbuf_t page;
    sf_textbuf_init(&page);
    sf_textbuf_printf(&page, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n<title>绩效考核报告 ");
    sf_textbuf_put_markup(&page, card->period);
    sf_textbuf_printf(&page, "</title>\n<style>\n"
               "body{font-family:sans-serif;font-size:11pt;margin:2em;color:#111}\n"
               "h1{font-size:18pt}h2{font-size:14pt;margin-top:1.5em;page-break-after:avoid}\n"
               "table{border-collapse:collapse;width:100%%;font-size:9pt;page-break-inside:auto}\n"
               "tr{page-break-inside:avoid}th,td{border:1px solid #999;padding:2px 4px;vertical-align:top}\n"
               "th{background:#eee}td.n{text-align:right}td.low{color:#a00;font-weight:bold}\n"
               "tr.commendation td:first-child{border-left:4px solid #2a7}\n"
               "tr.attention td:first-child{border-left:4px solid #c33}\n"
               "p.note{font-size:9pt;color:#444}\n"
               "@media print{body{margin:0}@page{size:A4 landscape;margin:12mm}}\n"
               "</style></head><body>\n<h1>");
    sf_textbuf_put_markup(&page, card->district ? card->district->unit_name : "");
    sf_textbuf_printf(&page, "绩效考核报告 &mdash; ");
    sf_textbuf_put_markup(&page, card->period);
    sf_textbuf_printf(&page, "</h1>\n<p>考核方案“");
    sf_textbuf_put_markup(&page, card->scheme_name);
    sf_textbuf_printf(&page, "”，第 %d 版。%s</p>\n", card->scheme_version,
        card->frozen ? "已冻结：以下为各单位签批确认的考核结果，用于双挂钩考核。"
                     : "未冻结：各单位签批确认并冻结前，得分仍可能变化。");
    if (card->district)
        sf_textbuf_printf(&page, "<p>全区综合得分：<b>%.1f</b>。</p>\n", card->district->composite);

    sf_textbuf_printf(&page, "<h2>全区指标</h2>\n<table><thead><tr><th>指标</th><th>数值</th><th>分子</th>"
               "<th>分母</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < report.kpis->n_values; i++) {
        const Sifang__V1__KpiValue *value = report.kpis->values[i];
        sf_textbuf_printf(&page, "<tr><td>");
        sf_textbuf_put_markup(&page, kpi_label(call, &report, value->kpi_code, NULL));
        if (value->has_value)
            sf_textbuf_printf(&page, "</td><td class=\"n\">%.4g</td><td class=\"n\">%.6g</td><td class=\"n\">%.6g</td></tr>\n",
                value->value, value->numerator, value->denominator);
        else
            sf_textbuf_printf(&page, "</td><td class=\"n\">&ndash;</td><td class=\"n\">%.6g</td><td class=\"n\">%.6g</td></tr>\n",
                value->numerator, value->denominator);
    }
    sf_textbuf_printf(&page, "</tbody></table>\n");

    put_scores(call, &report, &page, "街道", card->streets, card->n_streets);
    put_scores(call, &report, &page, "社区", card->communities, card->n_communities);

    for (size_t s = 0; s < report.n_surveys; s++) {
        const Sifang__V1__SurveyResultsReply *survey = report.surveys[s];
        sf_textbuf_printf(&page, "<h2>问卷调查 ");
        sf_textbuf_put_markup(&page, survey->round->code);
        sf_textbuf_printf(&page, "</h2>\n<table><thead><tr><th>单位</th><th>抽样户数</th><th>完成户数</th>"
                   "<th>应答率（95%% 置信区间）</th><th>满意度 0-100（95%% 置信区间）</th>"
                   "<th>满意比例（95%% 置信区间）</th></tr></thead><tbody>\n");
        for (size_t r = 0; r < survey->n_results; r++) {
            const Sifang__V1__SurveyResult *result = survey->results[r];
            sf_textbuf_printf(&page, "<tr><td>");
            sf_textbuf_put_markup(&page, result->unit_name);
            sf_textbuf_printf(&page, "</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                       "<td class=\"n\">%.1f%% (%.1f&ndash;%.1f)</td><td class=\"n\">%.1f (%.1f&ndash;%.1f)</td>"
                       "<td class=\"n\">%.1f%% (%.1f&ndash;%.1f)</td></tr>\n",
                result->sampled, result->completed, 100 * result->response_rate, 100 * result->response_rate_low,
                100 * result->response_rate_high, result->satisfaction_mean, result->satisfaction_low,
                result->satisfaction_high, 100 * result->satisfied_share, 100 * result->satisfied_low,
                100 * result->satisfied_high);
        }
        /* The method in Chinese (SurveyResults' method says the same). */
        sf_textbuf_printf(&page, "</tbody></table>\n<p class=\"note\">区间均为 95%% 置信区间。比例（应答率、满意比例即得分不低于"
                   " 75 的户数占比）用 Wilson 区间，在样本小或比例接近 0、1 时仍在 0 至 1 之间并保持覆盖率；平均满意度"
                   "（0-100）用样本方差的 t 区间。社区和网格用本单位样本（按网格户数比例分配，社区样本自加权）；街道和全区"
                   "按各社区户数加权合成分层估计，区间用分层方差；其应答率为完成户数除以抽样户数。</p>\n");
    }

    sf_textbuf_printf(&page, "<h2>排名敏感性（各项权重 &plusmn;20%%）</h2>\n<table><thead><tr><th>单位层级</th>"
               "<th>指标</th><th>权重倍数</th><th>名次变动单位数</th><th>最大变动</th>"
               "<th>Spearman &rho;</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < report.sensitivity->n_cases; i++) {
        const Sifang__V1__SensitivityCase *one = report.sensitivity->cases[i];
        sf_textbuf_printf(&page, "<tr><td>%s</td><td>", one->unit_kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET ? "街道" : "社区");
        sf_textbuf_put_markup(&page, kpi_label(call, &report, one->kpi_code, NULL));
        sf_textbuf_printf(&page, "</td><td class=\"n\">%.2f</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                   "<td class=\"n\">%.3f</td></tr>\n", one->weight_factor, one->units_moved, one->max_move,
            one->spearman);
    }
    sf_textbuf_printf(&page, "</tbody></table>\n<p class=\"note\">单项得分在底线值为 0 分、达到目标值为 100 分；综合得分为单位有数据的"
               "各项得分的加权平均。街道与街道、社区与社区分别排名。</p>\n</body></html>\n");
    char *html = sf_textbuf_take(&page, NULL);
    if (!html)
        return sf_call_fail(call, SF_RESOURCE_EXHAUSTED, "out of memory for the report");
    *reply_p = &reply_of(call, "text/html; charset=utf-8", html)->base;
    free(html);
    return SF_OK;
}
