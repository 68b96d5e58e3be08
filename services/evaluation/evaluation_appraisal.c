/* 述职考核 and 双挂钩 (issue 19): a person's or a unit's half-year report,
 * written by them, with their figures attached at submission, graded by
 * those above them; and awards (评先选优) decided with the appraisal's grade
 * and the survey's satisfaction they are linked to, and the outcome. */
#include "evaluation.h"
#include "sf_codes.h"
#include "sf_row.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Who grades: those who manage and may write where the subject is (a
 * leader views the district but writes nothing). */
#define EVAL_ROLES_GRADE SF_ROLES_APPRAISAL " street community street_staff community_staff"
/* Who writes a unit's report: its own staff and keys. */
#define EVAL_ROLES_UNIT_REPORT "district street community street_staff community_staff"

#define REPORT_MAX_CHARS 20000
#define NOTE_MAX_CHARS 2000

/* The subject of a report or an award: a person (their unit) or a unit. */
typedef struct {
    const char *staff_id;        /* "" for a unit */
    const char *unit_code;       /* the unit's, or the person's */
    const char *name;
    int unit_kind;               /* a unit's */
    const char *parent_code;     /* a unit's */
} subject_t;

/* Finds the subject named by staff_id or unit_code (exactly one); a
 * violation or NOT_FOUND on the call when there is none. */
static sf_status_t
subject_find(sf_call_t *call, const char *staff_id, const char *unit_code, subject_t *subject)
{
    memset(subject, 0, sizeof *subject);
    if (!!*staff_id == !!*unit_code)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "staff_id", "name exactly one of staff_id and unit_code");
    PGresult *r;
    if (*staff_id) {
        r = sf_call_query(call, "SELECT id, unit_code, name FROM staff WHERE id = $1", SF_PARAMS(staff_id));
        if (!r)
            return sf_call_status(call);
        if (PQntuples(r) == 0)
            return sf_call_refuse(call, SF_NOT_FOUND, "staff_id", "no staff member %s", staff_id);
        subject->staff_id = sf_call_strdup(call, sf_db_text(r, 0, 0));
        subject->unit_code = sf_call_strdup(call, sf_db_text(r, 0, 1));
        subject->name = sf_call_strdup(call, sf_db_text(r, 0, 2));
        return SF_OK;
    }
    r = sf_call_query(call, "SELECT code, kind, name, coalesce(parent_code, '') FROM unit WHERE code = $1",
                      SF_PARAMS(unit_code));
    if (!r)
        return sf_call_status(call);
    if (PQntuples(r) == 0)
        return sf_call_refuse(call, SF_NOT_FOUND, "unit_code", "no unit %s", unit_code);
    subject->staff_id = "";
    subject->unit_code = sf_call_strdup(call, sf_db_text(r, 0, 0));
    subject->unit_kind = (int) sf_db_int(r, 0, 1);
    subject->name = sf_call_strdup(call, sf_db_text(r, 0, 2));
    subject->parent_code = sf_call_strdup(call, sf_db_text(r, 0, 3));
    if (subject->unit_kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET
        && subject->unit_kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "unit_code", "a street or a community reports, not %s",
                              unit_code);
    return SF_OK;
}

static bool
is_caller(sf_call_t *call, const char *staff_id)
{
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    return *staff_id && sf_call_is_person(call) && principal && principal->id && strcmp(principal->id, staff_id) == 0;
}

/* Whether the caller may see a report or award of the subject: a person's
 * their own and their managers'; a unit's those who manage where it is. */
static bool
may_see(sf_call_t *call, const char *staff_id, const char *unit_code)
{
    return *staff_id ? eval_may_see_person(call, staff_id, unit_code)
                     : sf_call_covers_as(call, EVAL_ROLES_TEAM, unit_code);
}

/* --- reading reports ----------------------------------------------------------------- */

#define REPORT_COLUMNS \
    "id, staff_id, unit_code, period, body, subject_name, submitted_by, " EVAL_MS("submitted_at") ", grade," \
    " graded_by, coalesce(" EVAL_MS("graded_at") ", 0), grade_note, version, figures"

static Sifang__V1__AppraisalReport *
report_of(sf_call_t *call, const PGresult *rows, int row)
{
    Sifang__V1__AppraisalReport *report = (Sifang__V1__AppraisalReport *)
        sf_call_new_message(call, &sifang__v1__appraisal_report__descriptor);
    int column = sf_row_read(rows, row, 0, &report->base,
                             "id staff_id unit_code period text subject_name submitted_by submitted_unix_ms grade "
                             "graded_by graded_unix_ms grade_note version");
    if (sf_db_is_null(rows, row, column))
        return report;
    size_t size = 0;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *) sf_db_text(rows, row, column), &size);
    if (!bytes)
        return report;
    if (*report->staff_id)
        report->staff_figures = sifang__v1__staff_figures__unpack(eval_call_allocator(call), size, bytes);
    else
        report->unit_score = sifang__v1__unit_score__unpack(eval_call_allocator(call), size, bytes);
    PQfreemem(bytes);
    return report;
}

static sf_status_t
report_load(sf_call_t *call, int64_t id, Sifang__V1__AppraisalReport **report_p)
{
    *report_p = NULL;
    PGresult *rows = sf_call_query(call, "SELECT " REPORT_COLUMNS " FROM appraisal_report WHERE id = $1",
                                   SF_PARAMS(id));
    if (!rows)
        return sf_call_status(call);
    if (PQntuples(rows) == 1)
        *report_p = report_of(call, rows, 0);
    return SF_OK;
}

/* --- submitting --------------------------------------------------------------------- */

/* The subject's figures now, packed: a person's StaffFigures, a unit's line
 * of the period's scorecard (none when the period has no scheme yet). */
static sf_status_t
figures_snapshot(sf_call_t *call, const subject_t *subject, const eval_period_t *period, uint8_t **packed_p,
                 size_t *size_p)
{
    *packed_p = NULL;
    *size_p = 0;
    const ProtobufCMessage *figures = NULL;
    if (*subject->staff_id) {
        Sifang__V1__StaffFigures *person;
        sf_status_t status = eval_staff_figures_of(call, subject->staff_id, period, &person);
        if (status != SF_OK)
            return status;
        figures = person ? &person->base : NULL;
    } else {
        Sifang__V1__EvaluationScheme *scheme;
        sf_status_t status = eval_scheme_load(call, period->code, 0, &scheme);
        if (status != SF_OK)
            return status;
        if (scheme) {
            Sifang__V1__Scorecard *card;
            if ((status = eval_scorecard_build(call, period->code, false, &card)) != SF_OK)
                return status;
            Sifang__V1__UnitScore **lists[2] = { card->streets, card->communities };
            size_t counts[2] = { card->n_streets, card->n_communities };
            for (int l = 0; l < 2; l++)
                for (size_t i = 0; i < counts[l]; i++)
                    if (strcmp(lists[l][i]->unit_code, subject->unit_code) == 0)
                        figures = &lists[l][i]->base;
        }
    }
    if (!figures)
        return SF_OK;
    *size_p = protobuf_c_message_get_packed_size(figures);
    *packed_p = sf_call_alloc(call, *size_p + 1);
    protobuf_c_message_pack(figures, *packed_p);
    return SF_OK;
}

sf_status_t
eval_appraisal_report_submit(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__AppraisalReport *asked = (const Sifang__V1__AppraisalReport *) request;
    eval_period_t period;
    eval_check_period(call, "period", asked->period, 1u << EVAL_PERIOD_HALF_YEAR, &period);
    sf_call_check_note(call, "text", asked->text, REPORT_MAX_CHARS, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    subject_t subject;
    sf_status_t status = subject_find(call, asked->staff_id, asked->unit_code, &subject);
    if (status != SF_OK)
        return status;
    /* A person's report is written by the person; a unit's by its own. */
    if (*subject.staff_id ? !is_caller(call, subject.staff_id)
                          : !sf_principal_reaches(sf_call_principal(call), SF_SCOPE_WRITE, EVAL_ROLES_UNIT_REPORT,
                                                  subject.unit_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, *subject.staff_id
                            ? "a person's report is written by the person"
                            : "a unit's report is written by its own staff");
    PGresult *held = sf_call_query(call,
        "SELECT id, grade FROM appraisal_report WHERE period = $1 AND staff_id = $2"
        "   AND (staff_id <> '' OR unit_code = $3) FOR UPDATE",
        SF_PARAMS(period.code, subject.staff_id, subject.unit_code));
    if (!held)
        return sf_call_status(call);
    if (PQntuples(held) == 1 && sf_db_int(held, 0, 1) != 0)
        return sf_call_fail(call, SF_FAILED_PRECONDITION, "report %lld is graded: it is final",
                            (long long) sf_db_int(held, 0, 0));
    uint8_t *packed;
    size_t size;
    if ((status = figures_snapshot(call, &subject, &period, &packed, &size)) != SF_OK)
        return status;
    sf_params_t *params = SF_PARAMS(subject.staff_id, subject.unit_code, period.code, asked->text, subject.name,
                                    sf_call_principal(call)->id);
    if (packed)
        sf_params_bytes(params, packed, size);
    else
        sf_params_null(params);
    PGresult *written = sf_call_query(call, PQntuples(held) == 1
        ? "UPDATE appraisal_report SET body = $4, subject_name = $5, submitted_by = $6, figures = $7,"
          "       submitted_at = now(), unit_code = $2, version = version + 1"
          " WHERE period = $3 AND staff_id = $1 AND (staff_id <> '' OR unit_code = $2) RETURNING id"
        : "INSERT INTO appraisal_report (staff_id, unit_code, period, body, subject_name, submitted_by, figures,"
          "                              submitted_at)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, now()) RETURNING id", params);
    if (!written)
        return sf_call_status(call);
    Sifang__V1__AppraisalReport *report;
    if ((status = report_load(call, sf_db_int(written, 0, 0), &report)) != SF_OK)
        return status;
    if (!report)
        return sf_call_fail(call, SF_INTERNAL, "report vanished");
    return sf_call_emit_reply(call, reply_p, "appraisal_report.submitted", report->unit_code, &report->base);
}

sf_status_t
eval_appraisal_report_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__AppraisalReportGetRequest *ask = (const Sifang__V1__AppraisalReportGetRequest *) request;
    Sifang__V1__AppraisalReport *report;
    sf_status_t status = report_load(call, ask->id, &report);
    if (status != SF_OK)
        return status;
    if (!report || !may_see(call, report->staff_id, report->unit_code))
        return sf_call_refuse(call, SF_NOT_FOUND, "id", "no report %lld that you may see", (long long) ask->id);
    *reply_p = &report->base;
    return SF_OK;
}

sf_status_t
eval_appraisal_report_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__AppraisalReportListRequest *ask = (const Sifang__V1__AppraisalReportListRequest *) request;
    Sifang__V1__AppraisalReportListReply *reply = (Sifang__V1__AppraisalReportListReply *)
        sf_call_new_message(call, &sifang__v1__appraisal_report_list_reply__descriptor);
    *reply_p = &reply->base;
    eval_check_period(call, "period", ask->period, 1u << EVAL_PERIOD_HALF_YEAR, NULL);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    /* A manager's reports under their scope; anyone's own besides. */
    const char *prefix = NULL;
    bool team = sf_call_has_role(call, EVAL_ROLES_TEAM)
             && sf_call_scope_under_as(call, EVAL_ROLES_TEAM, "under", ask->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    const char *own = sf_call_is_person(call) && principal && principal->id ? principal->id : "";
    char upper[24];
    eval_subtree_upper(prefix ? prefix : "", upper, sizeof upper);
    PGresult *rows = sf_call_query(call,
        "SELECT " REPORT_COLUMNS " FROM appraisal_report WHERE period = $1"
        "   AND (($4 AND unit_code >= $2 AND unit_code < $3) OR ($5 <> '' AND staff_id = $5))"
        " ORDER BY unit_code, staff_id LIMIT 1000",
        SF_PARAMS(ask->period, prefix ? prefix : "", upper, sf_param_bool(team), own));
    if (!rows)
        return sf_call_status(call);
    int n = PQntuples(rows);
    reply->reports = sf_call_new_array(call, (size_t) n, sizeof *reply->reports);
    for (int row = 0; row < n; row++)
        reply->reports[reply->n_reports++] = report_of(call, rows, row);
    return SF_OK;
}

sf_status_t
eval_appraisal_report_grade(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__AppraisalReportGradeRequest *ask = (const Sifang__V1__AppraisalReportGradeRequest *) request;
    if (ask->grade < SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_EXCELLENT
        || ask->grade > SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_INCOMPETENT)
        sf_call_violation(call, "grade", "must be excellent, competent, basic or incompetent");
    sf_call_check_note(call, "note", ask->note, NOTE_MAX_CHARS, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__AppraisalReport *report;
    sf_status_t status = report_load(call, ask->id, &report);
    if (status != SF_OK)
        return status;
    if (!report || !may_see(call, report->staff_id, report->unit_code))
        return sf_call_refuse(call, SF_NOT_FOUND, "id", "no report %lld that you may see", (long long) ask->id);
    /* Graded from above: a person by their managers, never by themselves;
     * a unit by whoever may write at the level above it. */
    const char *where = report->unit_code;
    if (!*report->staff_id) {
        subject_t subject;
        if ((status = subject_find(call, "", report->unit_code, &subject)) != SF_OK)
            return status;
        where = subject.parent_code;
    }
    if (is_caller(call, report->staff_id)
        || !sf_principal_reaches(sf_call_principal(call), SF_SCOPE_WRITE, EVAL_ROLES_GRADE, where))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "a report is graded by those above its author");
    if (report->grade != SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_UNSPECIFIED)
        return sf_call_fail(call, SF_FAILED_PRECONDITION, "report %lld is graded already", (long long) ask->id);
    if (!sf_call_query(call,
            "UPDATE appraisal_report SET grade = $2, grade_note = $3, graded_by = $4, graded_at = now(),"
            "       version = version + 1 WHERE id = $1",
            SF_PARAMS(ask->id, (int) ask->grade, ask->note, sf_call_principal(call)->id)))
        return sf_call_status(call);
    if ((status = report_load(call, ask->id, &report)) != SF_OK)
        return status;
    return sf_call_emit_reply(call, reply_p, "appraisal_report.graded", report->unit_code, &report->base);
}

/* --- awards (双挂钩) ------------------------------------------------------------------- */

#define AWARD_COLUMNS \
    "id, award, staff_id, unit_code, period, outcome, note, subject_name, appraisal_grade, appraisal_report_id," \
    " has_survey, survey_satisfaction, survey_scored, decided_by, " EVAL_MS("decided_at")
#define AWARD_FIELDS \
    "id award staff_id unit_code period outcome note subject_name appraisal_grade appraisal_report_id " \
    "has_survey survey_satisfaction survey_scored decided_by decided_unix_ms"

sf_status_t
eval_award_decide(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__AwardDecision *asked = (const Sifang__V1__AwardDecision *) request;
    eval_period_t period;
    eval_check_period(call, "period", asked->period, 1u << EVAL_PERIOD_HALF_YEAR, &period);
    sf_call_check_text(call, "award", asked->award, 100, true);
    if (asked->outcome != SIFANG__V1__AWARD_OUTCOME__AWARD_OUTCOME_AWARDED
        && asked->outcome != SIFANG__V1__AWARD_OUTCOME__AWARD_OUTCOME_NOT_AWARDED)
        sf_call_violation(call, "outcome", "must be awarded or not awarded");
    sf_call_check_note(call, "note", asked->note, NOTE_MAX_CHARS,
                       asked->outcome == SIFANG__V1__AWARD_OUTCOME__AWARD_OUTCOME_NOT_AWARDED);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    subject_t subject;
    sf_status_t status = subject_find(call, asked->staff_id, asked->unit_code, &subject);
    if (status != SF_OK)
        return status;
    /* The appraisal it is linked to: the subject's graded report. */
    PGresult *report = sf_call_query(call,
        "SELECT id, grade FROM appraisal_report WHERE period = $1 AND staff_id = $2"
        "   AND (staff_id <> '' OR unit_code = $3)", SF_PARAMS(period.code, subject.staff_id, subject.unit_code));
    if (!report)
        return sf_call_status(call);
    if (PQntuples(report) == 0 || sf_db_int(report, 0, 1) == 0)
        return sf_call_fail(call, SF_FAILED_PRECONDITION, "%s has no graded report for %s: the award follows the "
                            "appraisal (双挂钩)", subject.name, period.code);
    int64_t report_id = sf_db_int(report, 0, 0);
    int grade = (int) sf_db_int(report, 0, 1);
    /* The survey it is linked to: the satisfaction of the subject's unit
     * (a person's: their unit) in the half-year. */
    PGresult *survey = sf_call_query(call,
        "SELECT coalesce(sum(value) FILTER (WHERE fact = 'survey_scored'), 0),"
        "       coalesce(sum(value) FILTER (WHERE fact = 'survey_satisfaction_points'), 0)"
        "  FROM fact_total WHERE period_kind = 2 AND period = $1 AND unit_code = $2"
        "   AND fact IN ('survey_scored', 'survey_satisfaction_points')", SF_PARAMS(period.code, subject.unit_code));
    if (!survey)
        return sf_call_status(call);
    double scored = sf_db_double(survey, 0, 0), points = sf_db_double(survey, 0, 1);
    bool has_survey = scored > 0;
    double satisfaction = has_survey ? points / scored : 0;
    if (asked->outcome == SIFANG__V1__AWARD_OUTCOME__AWARD_OUTCOME_AWARDED) {
        if (grade != SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_EXCELLENT
            && grade != SIFANG__V1__APPRAISAL_GRADE__APPRAISAL_GRADE_COMPETENT)
            return sf_call_fail(call, SF_FAILED_PRECONDITION, "%s was graded below competent for %s: no award",
                                subject.name, period.code);
        Sifang__V1__EvaluationScheme *scheme;
        if ((status = eval_scheme_load(call, period.code, 0, &scheme)) != SF_OK)
            return status;
        double bar = scheme ? scheme->attention_at : 60;
        if (has_survey && satisfaction < bar)
            return sf_call_fail(call, SF_FAILED_PRECONDITION, "the survey satisfaction of %s, %.1f, is below %.4g:"
                                " no award", subject.unit_code, satisfaction, bar);
    }
    PGresult *written = sf_call_query(call,
        "INSERT INTO award_decision (award, staff_id, unit_code, period, outcome, note, subject_name, appraisal_grade,"
        "                            appraisal_report_id, has_survey, survey_satisfaction, survey_scored, decided_by,"
        "                            decided_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now())"
        " ON CONFLICT (period, award, staff_id, unit_code) DO NOTHING RETURNING id",
        SF_PARAMS(asked->award, subject.staff_id, subject.unit_code, period.code, (int) asked->outcome, asked->note,
                  subject.name, grade, report_id, sf_param_bool(has_survey), sf_param_double(satisfaction),
                  (int64_t) llround(scored), sf_call_principal(call)->id));
    if (!written)
        return sf_call_status(call);
    if (PQntuples(written) == 0)
        return sf_call_fail(call, SF_ALREADY_EXISTS, "%s of %s for %s is decided already", asked->award, subject.name,
                            period.code);
    PGresult *rows = sf_call_query(call, "SELECT " AWARD_COLUMNS " FROM award_decision WHERE id = $1",
                                   SF_PARAMS(sf_db_int(written, 0, 0)));
    if (!rows)
        return sf_call_status(call);
    Sifang__V1__AwardDecision *decided = sf_call_row_message(call, &sifang__v1__award_decision__descriptor, rows, 0,
                                                             AWARD_FIELDS);
    return sf_call_emit_reply(call, reply_p, "award.decided", decided->unit_code, &decided->base);
}

sf_status_t
eval_award_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__AwardListRequest *ask = (const Sifang__V1__AwardListRequest *) request;
    Sifang__V1__AwardListReply *reply = (Sifang__V1__AwardListReply *)
        sf_call_new_message(call, &sifang__v1__award_list_reply__descriptor);
    *reply_p = &reply->base;
    eval_check_period(call, "period", ask->period, 1u << EVAL_PERIOD_HALF_YEAR, NULL);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const char *prefix = NULL;
    bool team = sf_call_has_role(call, EVAL_ROLES_TEAM)
             && sf_call_scope_under_as(call, EVAL_ROLES_TEAM, "under", ask->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    const char *own = sf_call_is_person(call) && principal && principal->id ? principal->id : "";
    char upper[24];
    eval_subtree_upper(prefix ? prefix : "", upper, sizeof upper);
    PGresult *rows = sf_call_query(call,
        "SELECT " AWARD_COLUMNS " FROM award_decision WHERE period = $1"
        "   AND (($4 AND unit_code >= $2 AND unit_code < $3) OR ($5 <> '' AND staff_id = $5))"
        " ORDER BY unit_code, staff_id, award LIMIT 1000",
        SF_PARAMS(ask->period, prefix ? prefix : "", upper, sf_param_bool(team), own));
    if (!rows)
        return sf_call_status(call);
    int n = PQntuples(rows);
    reply->awards = sf_call_new_array(call, (size_t) n, sizeof *reply->awards);
    for (int row = 0; row < n; row++)
        reply->awards[reply->n_awards++] = sf_call_row_message(call, &sifang__v1__award_decision__descriptor, rows,
                                                               row, AWARD_FIELDS);
    return SF_OK;
}
