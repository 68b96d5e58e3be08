/* Each person's inbox of notices, a projection of the case's own steps.
 *
 * Every step of a case passes through intake_case_emit, which calls
 * intake_notices_project in the step's own transaction: the notices exist
 * exactly when the step committed, once per step and person (the topic
 * "case:<id>:<seq>" is unique per recipient and kind), with no cursor to
 * keep and nothing to catch up after a crash. A follower of intake's own
 * log would have given the same rows later, at the price of a cursor, a
 * second connection and a window in which a person's inbox lags the case
 * page they are looking at. A new kind of step (another engineer's send
 * back, extension or review) maps to its notices here, in notice_rules,
 * and nowhere else.
 *
 * Who is told: the assignee (a staff member; the people answering for a
 * zone; a community's or street's own staff; a department's staff), the
 * first responder (首问负责: of every step of a case they answer for), and
 * the level a case is escalated or referred to. Never the person who took
 * the step. A step recorded more than NOTICE_HORIZON_MS before it was
 * loaded (an earlier system's register) tells no one now. */
#include "intake.h"
#include "sf_log.h"
#include "sf_row.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASE_ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name
#define NOTICE(name) SIFANG__V1__NOTICE_KIND__NOTICE_KIND_##name
#define NOTICE_HORIZON_MS (7LL * 24 * 3600 * 1000)

/* Whom a rule reaches. */
typedef enum {
    TO_NONE = 0,
    TO_ASSIGNEE,            /* the case's assignee, whatever its kind */
    TO_FIRST_RESPONDER,
    TO_ESCALATED,           /* the head of the unit it was escalated to (else the unit's staff) */
    TO_REFERRED,            /* the staff of the unit it was referred up to */
    TO_WAITING,             /* who must act next (Case.waiting_on: the dispatcher, the approver, the reviewer) */
} audience_t;

/* What each step tells whom: up to three audiences, each with the kind of
 * notice it gets. A step not listed tells its first responder
 * (NOTICE_KIND_STEP) and no one else. */
typedef struct {
    Sifang__V1__CaseAction action;
    struct {
        audience_t to;
        Sifang__V1__NoticeKind kind;
        const char *route;          /* TO_WAITING: only when waiting_on's route is this (NULL: any) */
    } tell[3];
} notice_rule_t;

/* An audience and the kind of notice it gets; _IF: only when who must act
 * next has that part (route). */
#define TELL(to, kind) { TO_##to, NOTICE(kind), NULL }
#define TELL_IF(to, kind, route) { TO_##to, NOTICE(kind), route }

static const notice_rule_t notice_rules[] = {
    { CASE_ACTION(ACCEPTED), { TELL(ASSIGNEE, ASSIGNED) } },
    { CASE_ACTION(ASSIGNED), { TELL(ASSIGNEE, ASSIGNED), TELL(FIRST_RESPONDER, STEP) } },
    { CASE_ACTION(OVERDUE), { TELL(ESCALATED, ESCALATED), TELL(ASSIGNEE, OVERDUE),
                              TELL(FIRST_RESPONDER, OVERDUE) } },
    { CASE_ACTION(ESCALATED), { TELL(ESCALATED, ESCALATED), TELL(ASSIGNEE, OVERDUE),
                                TELL(FIRST_RESPONDER, ESCALATED) } },
    { CASE_ACTION(PROVIDER_ACCEPTED), { TELL(ASSIGNEE, DISPATCH_ANSWERED),
                                        TELL(FIRST_RESPONDER, DISPATCH_ANSWERED) } },
    { CASE_ACTION(PROVIDER_DECLINED), { TELL(ASSIGNEE, DISPATCH_ANSWERED),
                                        TELL(FIRST_RESPONDER, DISPATCH_ANSWERED) } },
    { CASE_ACTION(PROVIDER_COMPLETED), { TELL(ASSIGNEE, DISPATCH_ANSWERED),
                                         TELL(FIRST_RESPONDER, DISPATCH_ANSWERED) } },
    { CASE_ACTION(DISPATCH_UNMATCHED), { TELL(ASSIGNEE, DISPATCH_TIMED_OUT),
                                         TELL(FIRST_RESPONDER, DISPATCH_TIMED_OUT) } },
    { CASE_ACTION(REMINDED), { TELL(ASSIGNEE, DUE_SOON), TELL(FIRST_RESPONDER, DUE_SOON) } },
    { CASE_ACTION(SUPERVISED), { TELL(ASSIGNEE, SUPERVISED), TELL(FIRST_RESPONDER, SUPERVISED) } },
    { CASE_ACTION(REFERRED_UP), { TELL(REFERRED, ESCALATED), TELL(ASSIGNEE, SUPERVISED),
                                  TELL(FIRST_RESPONDER, SUPERVISED) } },
    { CASE_ACTION(REOPENED), { TELL(ASSIGNEE, REOPENED), TELL(FIRST_RESPONDER, REOPENED) } },
    { CASE_ACTION(COMPLAINED), { TELL(ASSIGNEE, REOPENED), TELL(FIRST_RESPONDER, REOPENED) } },
    { CASE_ACTION(FOLLOWED_UP), { TELL(ASSIGNEE, STEP) } },
    /* The work-order rules' steps (work-orders.md): whoever must act next. */
    { CASE_ACTION(SENT_BACK), { TELL(WAITING, SENT_BACK), TELL(FIRST_RESPONDER, SENT_BACK) } },
    { CASE_ACTION(EXTENSION_REQUESTED), { TELL(WAITING, EXTENSION),
                                          TELL(FIRST_RESPONDER, EXTENSION) } },
    { CASE_ACTION(EXTENSION_APPROVED), { TELL(ASSIGNEE, EXTENSION), TELL(FIRST_RESPONDER, EXTENSION) } },
    { CASE_ACTION(EXTENSION_REFUSED), { TELL(ASSIGNEE, EXTENSION), TELL(FIRST_RESPONDER, EXTENSION) } },
    { CASE_ACTION(RESOLVED), { TELL_IF(WAITING, REVIEW, "reviewer"), TELL(FIRST_RESPONDER, STEP) } },
    { CASE_ACTION(REVIEW_REFUSED), { TELL(ASSIGNEE, REVIEW), TELL(FIRST_RESPONDER, STEP) } },
    /* 协办: the co-handling unit's staff are given their task (the step
     * makes the co-handler who the case waits on). */
    { CASE_ACTION(COHANDLER_ADDED), { TELL_IF(WAITING, ASSIGNED, "co-handler"),
                                      TELL(FIRST_RESPONDER, STEP) } },
    /* 签收 or first response late: the sweep marks it only while the case
     * is with the assignee who holds that stage. */
    { CASE_ACTION(STAGE_LATE), { TELL(ASSIGNEE, OVERDUE), TELL(FIRST_RESPONDER, STEP) } },
    /* The owning service refused the registration: the handler the case
     * now waits on corrects it and resolves again, or rejects the case. */
    { CASE_ACTION(REGISTRATION_REFUSED), { TELL(WAITING, REOPENED), TELL(FIRST_RESPONDER, STEP) } },
    /* A hand-off to another instance refused or cancelled: the case is
     * back at this desk, its holder must act (waiting_on, route handoff). */
    { CASE_ACTION(HANDOFF_REFUSED), { TELL(WAITING, HANDOFF_RETURNED), TELL(ASSIGNEE, HANDOFF_RETURNED),
                                      TELL(FIRST_RESPONDER, HANDOFF_RETURNED) } },
    { CASE_ACTION(HANDOFF_CANCELLED), { TELL(WAITING, HANDOFF_RETURNED), TELL(ASSIGNEE, HANDOFF_RETURNED),
                                        TELL(FIRST_RESPONDER, HANDOFF_RETURNED) } },
};

/* The words of each kind, zh-CN first (the workbench translates the kind;
 * the text is what a phone's or an event's reader sees). */
static const char *const kind_words[] = {
    [NOTICE(ASSIGNED)] = "新派工单 new case assigned",
    [NOTICE(DUE_SOON)] = "即将到期 due soon",
    [NOTICE(OVERDUE)] = "已超期 overdue",
    [NOTICE(ESCALATED)] = "升级至您处 escalated to you",
    [NOTICE(DISPATCH_ANSWERED)] = "服务方已答复 the provider answered",
    [NOTICE(DISPATCH_TIMED_OUT)] = "派单未果 no provider in time",
    [NOTICE(REOPENED)] = "重新办理 reopened for rework",
    [NOTICE(SUPERVISED)] = "督办 supervised",
    [NOTICE(STEP)] = "您首问的工单有进展 a step of your case",
    [NOTICE(SENT_BACK)] = "退单 sent back",
    [NOTICE(EXTENSION)] = "延期 extension",
    [NOTICE(REVIEW)] = "待审核 to review",
    [NOTICE(CALENDAR_MISSING)] = "缺少工作日历 no working-day calendar",
    [NOTICE(OFFER_TIMED_OUT)] = "服务方未答复 the provider did not answer in time",
    [NOTICE(HANDOFF_RETURNED)] = "移交被退回 hand-off returned to your desk",
};

static const char *const reasons[] = {
    [TO_ASSIGNEE] = "assignee", [TO_FIRST_RESPONDER] = "first_responder",
    [TO_ESCALATED] = "escalated_to", [TO_REFERRED] = "referred_to", [TO_WAITING] = "waiting_on",
};

/* Recipients' modes in the statement: 1 a staff id, 2 a unit's own staff
 * (a community's committee, a street's cadres, the district's leaders),
 * 3 the people answering for a zone, 4 a department's staff. */
#define NOTICE_COLUMNS \
    "n.id, n.recipient_id, n.kind, n.reason, coalesce(n.case_id, 0) AS case_id, n.registration_number," \
    " n.case_seq, n.action, n.body AS text, n.unit_code, " INTAKE_MS("n.created_at") " AS created_unix_ms," \
    " n.read_at IS NOT NULL AS read, coalesce(" INTAKE_MS("n.read_at") ", 0) AS read_unix_ms"
#define NOTICE_FIELDS \
    "id recipient_id kind reason case_id registration_number case_seq action text unit_code created_unix_ms" \
    " read read_unix_ms"

static const char project_sql[] =
    "WITH t AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::text[]) WITH ORDINALITY"
    "             AS t(mode, code, reason, kind, words, ord)),"
    " who AS (SELECT s.id AS recipient_id, t.reason, t.kind, t.words, t.ord FROM t JOIN ref_staff s ON s.active AND ("
    "           (t.mode = 1 AND s.id = t.code)"
    "        OR (t.mode = 2 AND s.unit_code = t.code AND s.kind IN (1, 2, 3, 5))"
    "        OR (t.mode = 3 AND s.id IN (SELECT r.staff_id FROM ref_responsibility r"
    "                                     WHERE r.unit_code = t.code AND r.kind IN (1, 2)))"
    "        OR (t.mode = 4 AND s.department_code = t.code AND s.kind = 4))"
    "         WHERE s.id <> $6),"
    " one AS (SELECT DISTINCT ON (recipient_id) * FROM who ORDER BY recipient_id, ord),"
    " n AS (INSERT INTO notice AS n (recipient_id, kind, reason, topic, case_id, registration_number, case_seq,"
    "                                action, body, unit_code, created_at)"
    "       SELECT recipient_id, kind, reason, $7, $8, $9, $10, $11, $12 || words || $13, $14,"
    "              to_timestamp($15::bigint / 1000.0)"
    "         FROM one ON CONFLICT (recipient_id, topic, kind) DO NOTHING RETURNING n.*)"
    " SELECT " NOTICE_COLUMNS " FROM n ORDER BY n.id";

/* The arrays of a step's audiences, one element each. */
typedef struct {
    sf_pgarray_t modes, codes, reasons, kinds, words;
} audiences_t;

/* Adds the audience's recipients (mode, code) to the arrays. */
static void
add_audience(const Sifang__V1__Case *c, audience_t to, Sifang__V1__NoticeKind kind, const char *route,
             audiences_t *out)
{
    const char *code = NULL, *reason = reasons[to];
    int mode = 0;
    const Sifang__V1__CaseAssignee *who = NULL;
    if (to == TO_WAITING) {
        who = c->waiting_on;
        if (!who || (route && strcmp(who->route, route) != 0))
            return;
        reason = *who->route ? who->route : "waiting_on";
    } else if (to == TO_ASSIGNEE)
        who = c->assignee;
    switch (to) {
    case TO_ASSIGNEE:
    case TO_WAITING:
        if (!who || !*who->code)
            return;
        code = who->code;
        switch (who->kind) {
        case SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF: mode = 1; break;
        case SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_DEPARTMENT: mode = 4; break;
        case SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT:
            mode = strlen(code) == INTAKE_ZONE_CODE_LENGTH ? 3 : 2;
            break;
        default: return;
        }
        break;
    case TO_FIRST_RESPONDER: code = c->first_responder_id; mode = 1; break;
    case TO_ESCALATED:
        /* The person grid names to answer for the unit (its head, 负责人);
         * the unit's own staff only when it names nobody. */
        if (*c->escalated_to_person_id) {
            code = c->escalated_to_person_id;
            mode = 1;
        } else {
            code = c->escalated_to;
            mode = 2;
        }
        break;
    case TO_REFERRED: code = c->referred_to; mode = 2; break;
    default: return;
    }
    if (!code || !*code)
        return;
    sf_pgarray_add_int(&out->modes, mode);
    sf_pgarray_add_text(&out->codes, code);
    sf_pgarray_add_text(&out->reasons, reason);
    sf_pgarray_add_int(&out->kinds, kind);
    sf_pgarray_add_text(&out->words, kind_words[kind]);
}

/* Emits "notice.created" for each row. */
static void
emit_notices(sf_call_t *call, const PGresult *result)
{
    for (int row = 0; row < PQntuples(result); row++) {
        Sifang__V1__Notice *notice = (Sifang__V1__Notice *)
            sf_call_row_message(call, &sifang__v1__notice__descriptor, result, row, NOTICE_FIELDS);
        sf_call_emit(call, "notice.created", sf_call_printf(call, "%lld", (long long) notice->id), &notice->base);
    }
}

void
intake_notices_project(sf_call_t *call, const Sifang__V1__Case *c)
{
    const Sifang__V1__CaseTransition *step = c->last_transition;
    if (!step || sf_call_status(call) != SF_OK)
        return;
    if (step->at_unix_ms && step->at_unix_ms < sf_now_ms() - NOTICE_HORIZON_MS)
        return;
    const notice_rule_t *rule = NULL;
    for (size_t i = 0; i < sizeof notice_rules / sizeof *notice_rules && !rule; i++)
        if (notice_rules[i].action == step->action)
            rule = &notice_rules[i];
    static const notice_rule_t by_default = { CASE_ACTION(UNSPECIFIED), { TELL(FIRST_RESPONDER, STEP) } };
    if (!rule)
        rule = &by_default;
    /* 催办 is "due soon" only when the sweep reminds before the deadline;
     * after it, or from a supervisor, it is supervision. */
    static const notice_rule_t reminded = { CASE_ACTION(REMINDED),
        { TELL(ASSIGNEE, SUPERVISED), TELL(FIRST_RESPONDER, SUPERVISED) } };
    if (step->action == CASE_ACTION(REMINDED) && (c->overdue || strcmp(step->actor_id, "intake-sweep") != 0))
        rule = &reminded;
    /* A refusal after which the dispatch state is DECLINED left no provider:
     * the registry gave the case back to the desk (its attempts used up by
     * refusals or time-outs, or no one else to ask). Not an answer to read
     * but a case to dispatch again. */
    static const notice_rule_t back_on_desk = { CASE_ACTION(PROVIDER_DECLINED),
        { TELL(ASSIGNEE, DISPATCH_TIMED_OUT), TELL(FIRST_RESPONDER, DISPATCH_TIMED_OUT) } };
    /* A provider that let its offer time out did not answer at all
     * (CaseDispatch.timed_out): the registry offered the next one. */
    static const notice_rule_t offer_timed_out = { CASE_ACTION(PROVIDER_DECLINED),
        { TELL(ASSIGNEE, OFFER_TIMED_OUT), TELL(FIRST_RESPONDER, OFFER_TIMED_OUT) } };
    if (step->action == CASE_ACTION(PROVIDER_DECLINED) && c->dispatch
        && c->dispatch->state == SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_DECLINED)
        rule = &back_on_desk;
    else if (step->action == CASE_ACTION(PROVIDER_DECLINED) && c->dispatch && c->dispatch->timed_out)
        rule = &offer_timed_out;
    audiences_t to;
    sf_pgarray_t *arrays[] = { &to.modes, &to.codes, &to.reasons, &to.kinds, &to.words };
    for (size_t i = 0; i < 5; i++)
        sf_pgarray_init(arrays[i]);
    for (size_t i = 0; i < 3; i++)
        add_audience(c, rule->tell[i].to, rule->tell[i].kind, rule->tell[i].route, &to);
    bool anyone = to.modes.count > 0;
    sf_params_t *params = SF_PARAMS(sf_call_strdup(call, sf_pgarray_text(&to.modes)),
                                    sf_call_strdup(call, sf_pgarray_text(&to.codes)),
                                    sf_call_strdup(call, sf_pgarray_text(&to.reasons)),
                                    sf_call_strdup(call, sf_pgarray_text(&to.kinds)),
                                    sf_call_strdup(call, sf_pgarray_text(&to.words)));
    for (size_t i = 0; i < 5; i++)
        sf_pgarray_release(arrays[i]);
    if (!anyone)
        return;
    const char *number = *c->registration_number ? c->registration_number
                                                 : sf_call_printf(call, "#%lld", (long long) c->id);
    SF_PARAMS_ADD(params, step->actor_id, sf_call_printf(call, "case:%lld:%d", (long long) c->id, step->seq),
                  c->id, c->registration_number, step->seq, step->action, sf_call_printf(call, "%s ", number),
                  sf_call_printf(call, "：%s%s%s", c->item_name, *step->note ? " — " : "", step->note),
                  c->unit_code, step->at_unix_ms ? step->at_unix_ms : sf_now_ms());
    PGresult *result = sf_call_query(call, project_sql, params);
    if (result)
        emit_notices(call, result);
}

/* --- the calendar's warning ------------------------------------------------- */

int
intake_calendar_warn(sf_call_t *call)
{
    const intake_t *intake = sf_call_state(call);
    /* The next year lacks its calendar until the State Council's notice is
     * loaded (calendar_year status 1): the statutory pattern, loaded while
     * the notice is not out, has none of the bridging days off and adjusted
     * working weekends, so the warning goes on, saying so. */
    PGresult *result = sf_call_query(call,
        "WITH y AS (SELECT date_trunc('year', (now() AT TIME ZONE $1)::date + make_interval(days => $2))::date"
        "             AS first_day)"
        " SELECT to_char(y.first_day, 'YYYY'), y.first_day - (now() AT TIME ZONE $1)::date,"
        "        EXISTS (SELECT 1 FROM calendar_year c WHERE c.year = extract(year FROM y.first_day) AND c.status = 2)"
        "   FROM y WHERE y.first_day > (now() AT TIME ZONE $1)::date"
        "    AND NOT EXISTS (SELECT 1 FROM calendar_year c"
        "                     WHERE c.year = extract(year FROM y.first_day) AND c.status = 1)",
        SF_PARAMS(intake->config.timezone, intake->config.calendar_warn_days));
    if (!result)
        return -2;
    if (PQntuples(result) == 0)
        return -1;
    const char *year = sf_db_text(result, 0, 0);
    int days = (int) sf_db_int(result, 0, 1);
    bool pattern = sf_db_bool(result, 0, 2);
    PGresult *sent = sf_call_query(call,
        "INSERT INTO notice AS n (recipient_id, kind, reason, topic, body, unit_code)"
        " SELECT s.id, 13, 'admin', 'calendar:' || $1, '缺少工作日历 no working-day calendar：' || $1"
        "        || CASE WHEN $3 THEN ' 年只载入了法定节假日（未按国务院通知核对，缺调休），'"
        "                ELSE ' 年的节假日安排尚未载入，' END || $2 || ' 天后开始 (the ' || $1"
        "        || CASE WHEN $3 THEN ' calendar holds only the statutory pattern, not the State Council''s notice;'"
        "                ELSE ' holiday arrangement is not loaded;' END"
        "        || ' the year begins in ' || $2 || ' days: sifang-intake-calendar FILE)', s.unit_code"
        "   FROM ref_staff s WHERE s.active AND length(s.unit_code) = 6"
        " ON CONFLICT (recipient_id, topic, kind) DO NOTHING RETURNING " NOTICE_COLUMNS,
        SF_PARAMS(year, days, sf_param_bool(pattern)));
    if (!sent)
        return -2;
    if (PQntuples(sent) > 0)
        sf_warn(pattern ? "only the statutory pattern for the coming year's calendar" :
                "no working-day calendar for the coming year", "year", year, "days_left",
                sf_call_printf(call, "%d", days));
    emit_notices(call, sent);
    return days;
}

/* --- the inbox ----------------------------------------------------------------- */

/* The page token: "u<id>" within the unread, "r<id>" within the read. */
static bool
read_token(sf_call_t *call, const char *token, bool *in_read, int64_t *after)
{
    *in_read = false;
    *after = 0;
    if (!*token)
        return true;
    char *end = NULL;
    long long id = (token[0] == 'u' || token[0] == 'r') ? strtoll(token + 1, &end, 10) : 0;
    if (id <= 0 || !end || *end || token[1] < '0' || token[1] > '9')
        return sf_page_bad_token(call);
    *in_read = token[0] == 'r';
    *after = id;
    return true;
}

static const char *
principal_id_of(sf_call_t *call)
{
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    return principal && principal->id ? principal->id : "";
}

sf_status_t
intake_notice_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__NoticeListRequest *list = (const Sifang__V1__NoticeListRequest *) request;
    sf_page_t page = sf_page_of(call, list->page);
    bool in_read = false;
    int64_t after = 0;
    if (list->kind < 0 || list->kind > NOTICE(OFFER_TIMED_OUT))
        sf_call_violation(call, "kind", "is not a notice kind");
    if (!sf_call_has_violations(call))
        read_token(call, page.token, &in_read, &after);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const char *me = principal_id_of(call);
    /* Unread first, then read, each newest first: the key is (read, id). */
    PGresult *result = sf_call_query(call,
        "SELECT " NOTICE_COLUMNS " FROM notice n"
        " WHERE n.recipient_id = $1 AND ($2 = 0 OR n.kind = $2) AND (NOT $3 OR n.read_at IS NULL)"
        "   AND ($5 = 0 OR ((n.read_at IS NOT NULL), -n.id) > ($4::boolean, -$5::bigint))"
        " ORDER BY (n.read_at IS NOT NULL), n.id DESC LIMIT $6",
        SF_PARAMS(me, list->kind, sf_param_bool(list->unread_only), sf_param_bool(in_read), after,
                  page.size + 1));
    if (!result)
        return sf_call_status(call);
    PGresult *unread = sf_call_query(call, "SELECT count(*) FROM notice WHERE recipient_id = $1 AND read_at IS NULL",
                                     SF_PARAMS(me));
    if (!unread)
        return sf_call_status(call);
    Sifang__V1__NoticeListReply *reply = (Sifang__V1__NoticeListReply *)
        sf_call_new_message(call, &sifang__v1__notice_list_reply__descriptor);
    int rows = sf_page_rows(&page, result);
    reply->notices = sf_call_new_array(call, (size_t) rows, sizeof *reply->notices);
    for (int row = 0; row < rows; row++)
        reply->notices[reply->n_notices++] = (Sifang__V1__Notice *)
            sf_call_row_message(call, &sifang__v1__notice__descriptor, result, row, NOTICE_FIELDS);
    reply->next_page_token = "";
    if (sf_page_more(&page, result) && rows > 0) {
        const Sifang__V1__Notice *last = reply->notices[rows - 1];
        reply->next_page_token = sf_call_printf(call, "%c%lld", last->read ? 'r' : 'u', (long long) last->id);
    }
    reply->unread = (int32_t) sf_db_int(unread, 0, 0);
    *reply_p = &reply->base;
    return SF_OK;
}

#define NOTICE_READ_MAX 1000

sf_status_t
intake_notice_read(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__NoticeReadRequest *mark = (const Sifang__V1__NoticeReadRequest *) request;
    if (!mark->all && mark->n_ids == 0)
        sf_call_violation(call, "ids", "is required: the notices to mark read (or all)");
    if (mark->all && mark->n_ids > 0)
        sf_call_violation(call, "ids", "must be empty when all is set");
    if (mark->n_ids > NOTICE_READ_MAX)
        sf_call_violation(call, "ids", "at most %d at a time", NOTICE_READ_MAX);
    for (size_t i = 0; i < mark->n_ids && i < NOTICE_READ_MAX; i++)
        if (mark->ids[i] <= 0)
            sf_call_violation(call, sf_call_printf(call, "ids[%zu]", i), "must be positive");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const char *me = principal_id_of(call);
    sf_pgarray_t ids;
    sf_pgarray_init(&ids);
    for (size_t i = 0; i < mark->n_ids; i++)
        sf_pgarray_add_text(&ids, sf_call_printf(call, "%lld", (long long) mark->ids[i]));
    sf_params_t *params = SF_PARAMS(me, sf_param_bool(mark->all), sf_call_strdup(call, sf_pgarray_text(&ids)));
    sf_pgarray_release(&ids);
    /* Another person's notice is refused as if there were none. */
    if (!mark->all) {
        PGresult *unknown = sf_call_query(call,
            "SELECT i FROM unnest($3::bigint[]) AS i WHERE NOT $2"
            "   AND NOT EXISTS (SELECT 1 FROM notice n WHERE n.id = i AND n.recipient_id = $1) LIMIT 1", params);
        if (!unknown)
            return sf_call_status(call);
        if (PQntuples(unknown) > 0)
            return sf_call_refuse(call, SF_NOT_FOUND, "ids", "no notice %s of yours", sf_db_text(unknown, 0, 0));
    }
    PGresult *result = sf_call_query(call,
        "UPDATE notice AS n SET read_at = now() WHERE n.recipient_id = $1 AND n.read_at IS NULL"
        "   AND ($2 OR n.id = ANY ($3::bigint[])) RETURNING " NOTICE_COLUMNS, params);
    if (!result)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(result); row++) {
        Sifang__V1__Notice *notice = (Sifang__V1__Notice *)
            sf_call_row_message(call, &sifang__v1__notice__descriptor, result, row, NOTICE_FIELDS);
        sf_call_emit(call, "notice.read", sf_call_printf(call, "%lld", (long long) notice->id), &notice->base);
    }
    PGresult *unread = sf_call_query(call, "SELECT count(*) FROM notice WHERE recipient_id = $1 AND read_at IS NULL",
                                     SF_PARAMS(me));
    if (!unread)
        return sf_call_status(call);
    Sifang__V1__NoticeReadReply *reply = (Sifang__V1__NoticeReadReply *)
        sf_call_new_message(call, &sifang__v1__notice_read_reply__descriptor);
    reply->marked = PQntuples(result);
    reply->unread = (int32_t) sf_db_int(unread, 0, 0);
    *reply_p = &reply->base;
    return SF_OK;
}
