/* The rules that follow a case through to its end (the 12345 work-order
 * practice): the supervision ladder 催办 -> 督办 -> 提级督办 (reminders before
 * and after the deadline, formal supervision of an overdue case, referral
 * to the level above after three handoffs or three re-handlings), rework
 * after an unsatisfactory return visit or a complaint (零误差), and the
 * first responder's follow-up (首问负责). Each is a step of the case: an
 * audit row, a "case.<action>" event, and the notices it gives
 * (intake_notices.c). */
#include "intake.h"
#include "sf_log.h"
#include "sf_row.h"
#include <stdio.h>
#include <string.h>

#define CASE_STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define CASE_ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name
#define SUPERVISE(name) SIFANG__V1__CASE_SUPERVISE_KIND__CASE_SUPERVISE_KIND_##name
#define SWEEP_ACTOR "intake-sweep"
#define SWEEP_LIMIT 1000
/* Three handoffs or three re-handlings send a case up a level. */
#define REFERRAL_COUNT 3

/* A rework's new deadline: the item's limit again from the step (the old
 * one when the item has none the calendar can give); zone names the
 * parameter holding the district's time zone. */
#define NEW_DUE(zone) \
    "due_at = coalesce((SELECT intake_due(t.at, i.time_limit, i.time_limit_unit, " zone ") FROM service_item i" \
    "                    WHERE i.code = c.item_code), c.due_at), overdue = false"
/* Where a referral goes: the street above a community's or zone's case,
 * the district above a street's or one already escalated to its street. */
#define REFERRAL_UNIT \
    "CASE WHEN c.escalation_level >= 2 OR length(c.unit_code) <= 9 THEN left(c.unit_code, 6)" \
    " ELSE left(c.unit_code, 9) END"

int
intake_follow_from_row(Sifang__V1__Case *the_case, const PGresult *result, int row, int column)
{
    return sf_row_read(result, row, column, &the_case->base,
                       "rework_count complaint_count handoff_count supervision_level supervised_by referred_to"
                       " reminded_unix_ms missed_unix_ms followed_up_unix_ms followed_up_in_time"
                       " escalated_to_person_id escalated_to_person_name");
}

static const char *
timezone_of(sf_call_t *call)
{
    return ((const intake_t *) sf_call_state(call))->config.timezone;
}

/* --- rework (零误差) ---------------------------------------------------------- */

sf_status_t
intake_case_rework(sf_call_t *call, const intake_step_case_t *asked, int satisfaction, const char *note,
                   ProtobufCMessage **reply_p)
{
    intake_step_t step;
    intake_step_init(&step, asked->the_case->id, CASE_ACTION(REOPENED), asked->the_case->status, asked->actor,
                     asked->at_ms, note,
                     "status = 4, satisfaction = $7, rework_count = c.rework_count + 1, resolved_at = NULL,"
                     " resolution = '', " NEW_DUE("$8"));
    sf_params_int(&step.params, satisfaction);
    sf_params_text(&step.params, timezone_of(call));
    return intake_step_reply(call, &step, reply_p);
}

sf_status_t
intake_case_complain(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseComplainRequest *complain = (const Sifang__V1__CaseComplainRequest *) request;
    intake_step_case_t asked;
    sf_status_t status = intake_step_begin(call, complain->ref, complain->imported, &asked);
    if (status != SF_OK)
        return status;
    Sifang__V1__CaseStatus now = asked.the_case->status;
    if (now != CASE_STATUS(RESOLVED) && now != CASE_STATUS(CLOSED))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is %s; a complaint reopens only a"
                              " resolved or closed case", (long long) asked.the_case->id, intake_status_name(now));
    if (!sf_call_check_note(call, "note", complain->note, 1000, true))
        return sf_call_status(call);
    intake_step_t step;
    intake_step_init(&step, asked.the_case->id, CASE_ACTION(COMPLAINED), now, asked.actor, asked.at_ms,
                     complain->note,
                     "status = 4, complaint_count = c.complaint_count + 1, rework_count = c.rework_count + 1,"
                     " resolved_at = NULL, closed_at = NULL, resolution = '', " NEW_DUE("$7"));
    sf_params_text(&step.params, timezone_of(call));
    return intake_step_reply(call, &step, reply_p);
}

/* --- the first responder's follow-up (首问负责) -------------------------------- */

/* The deadline a case last missed, as its step at t.at sees it. */
#define LAST_MISS "(CASE WHEN c.due_at < t.at THEN c.due_at ELSE c.missed_at END)"

sf_status_t
intake_case_follow_up(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseFollowUpRequest *follow = (const Sifang__V1__CaseFollowUpRequest *) request;
    intake_step_case_t asked;
    intake_case_ref_id(call, "ref", follow->ref);
    intake_step_time(call, "imported", follow->imported, &asked.at_ms, &asked.actor);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    /* Read, not write: a first responder who moved on still answers for
     * what they registered, and may follow it up wherever they work now. */
    sf_status_t status = intake_case_load(call, "ref", follow->ref, true, false, &asked.the_case, &asked.extra);
    if (status != SF_OK)
        return status;
    if (!intake_step_after(call, "imported", asked.at_ms, &asked.extra))
        return sf_call_status(call);
    const Sifang__V1__Case *the_case = asked.the_case;
    if (!*the_case->first_responder_id || strcmp(the_case->first_responder_id, asked.actor) != 0)
        return sf_call_fail(call, SF_PERMISSION_DENIED, "only the case's first responder (%s) follows it up",
                            *the_case->first_responder_id ? the_case->first_responder_id : "none yet");
    if (!intake_status_open(the_case->status) && the_case->status != CASE_STATUS(RESOLVED))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is %s; the first responder answers"
                              " for it until it closes", (long long) the_case->id,
                              intake_status_name(the_case->status));
    if (!sf_call_check_note(call, "note", follow->note, 500, true))
        return sf_call_status(call);
    /* In time: within one working day of the deadline it last missed (its
     * due time, if that has passed, whether or not the sweep has marked it
     * yet; else the one missed before a rework gave it a new one). */
    intake_step_t step;
    intake_step_init(&step, the_case->id, CASE_ACTION(FOLLOWED_UP), the_case->status, asked.actor, asked.at_ms,
                     follow->note,
                     "followed_up_at = t.at, missed_at = " LAST_MISS ","
                     " followed_up_in_time = (c.followed_up_in_time AND c.missed_at IS NOT DISTINCT FROM " LAST_MISS ")"
                     " OR (" LAST_MISS " IS NOT NULL AND t.at >= " LAST_MISS
                     "     AND t.at <= intake_due(" LAST_MISS ", 1, 1::smallint, $7))");
    sf_params_text(&step.params, timezone_of(call));
    return intake_step_reply(call, &step, reply_p);
}

/* --- the supervisor's steps (催办, 督办, 提级督办) ------------------------------ */

sf_status_t
intake_case_supervise(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseSuperviseRequest *supervise = (const Sifang__V1__CaseSuperviseRequest *) request;
    if (supervise->kind < SUPERVISE(REMIND) || supervise->kind > SUPERVISE(REFER_UP)) {
        sf_call_violation(call, "kind", "must be remind (催办), supervise (督办) or refer up (提级督办)");
        intake_case_ref_id(call, "ref", supervise->ref);
        return sf_call_status(call);
    }
    intake_step_case_t asked;
    sf_status_t status = intake_step_begin(call, supervise->ref, supervise->imported, &asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked.the_case;
    long long id = (long long) the_case->id;
    if (!intake_status_open(the_case->status))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is %s; only an open case is"
                              " supervised", id, intake_status_name(the_case->status));
    /* Past due is overdue, whether or not the sweep has marked it yet. */
    int64_t at = asked.at_ms ? asked.at_ms : sf_now_ms();
    bool past_due = the_case->overdue || (the_case->due_unix_ms && the_case->due_unix_ms < at);
    if (supervise->kind == SUPERVISE(SUPERVISE) && !past_due)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "kind", "case %lld is not overdue; remind (催办)"
                              " its handler instead", id);
    if (supervise->kind == SUPERVISE(REFER_UP) && the_case->supervision_level >= 3)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "kind", "case %lld is already referred up to %s",
                              id, the_case->referred_to);
    if (supervise->kind == SUPERVISE(REFER_UP) && the_case->supervision_level < 2
        && the_case->handoff_count < REFERRAL_COUNT && the_case->rework_count < REFERRAL_COUNT)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "kind", "case %lld is referred up once supervised"
                              " (督办), or handed off or reworked %d times (now %d and %d)", id, REFERRAL_COUNT,
                              the_case->handoff_count, the_case->rework_count);
    if (!sf_call_check_note(call, "note", supervise->note, 500, true))
        return sf_call_status(call);
    static const struct {
        Sifang__V1__CaseAction action;
        const char *set;
    } steps[] = {
        [SUPERVISE(REMIND)] = { CASE_ACTION(REMINDED),
            "supervision_level = greatest(c.supervision_level, 1), reminded_at = t.at" },
        [SUPERVISE(SUPERVISE)] = { CASE_ACTION(SUPERVISED),
            "supervision_level = greatest(c.supervision_level, 2)" },
        [SUPERVISE(REFER_UP)] = { CASE_ACTION(REFERRED_UP),
            "supervision_level = 3, referred_to = " REFERRAL_UNIT },
    };
    intake_step_t step;
    intake_step_init(&step, the_case->id, steps[supervise->kind].action, the_case->status, asked.actor,
                     asked.at_ms, supervise->note,
                     sf_call_printf(call, "%s, supervised_by = $4", steps[supervise->kind].set));
    return intake_step_reply(call, &step, reply_p);
}

/* --- the sweep's share ---------------------------------------------------------- */

/* Each statement picks the open cases due a step (SKIP LOCKED: a request's
 * rows wait for the next sweep), changes them, writes their audit rows
 * and returns them with the step. $1 the sweep's actor, $2 the zone, $3 the
 * limit, $4 the import grace in seconds, $5 the hours of the rule. */
#define PICK(condition, order) \
    "WITH due AS (SELECT id FROM intake_case c WHERE c.status <= 4 AND " condition \
    "                AND (c.imported_at IS NULL OR c.imported_at < now() - make_interval(secs => $4))" \
    "              ORDER BY " order " LIMIT $3 FOR UPDATE SKIP LOCKED)," \
    " u AS (UPDATE intake_case c SET "
#define STEP(action, note) \
    ", version = c.version + 1, last_at = greatest(c.last_at, now())" \
    "       FROM due WHERE c.id = due.id RETURNING c.*)," \
    " h AS (INSERT INTO case_history (case_id, seq, action, from_status, to_status, actor_id, at, note)" \
    "       SELECT u.id, u.version, " action ", u.status, u.status, $1, now(), " note " FROM u" \
    "       RETURNING case_id, seq, at, note)" \
    " SELECT " INTAKE_CASE_COLUMNS ", h.seq AS step_seq, " INTAKE_MS("h.at") " AS step_at_ms," \
    "        h.note AS step_note" \
    "   FROM u AS c JOIN h ON h.case_id = c.id LEFT JOIN service_item i ON i.code = c.item_code ORDER BY c.id"
#define DUE_TEXT "to_char(u.due_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI')"

/* 催办 before the deadline: due within the hours, not yet reminded of this
 * due time (a rework's new due time is reminded again). */
static const char remind_before_sql[] =
    PICK("c.due_at > now() AND c.due_at <= now() + make_interval(hours => $5)"
         " AND c.reminded_before_due IS DISTINCT FROM c.due_at", "c.due_at")
    "supervision_level = greatest(c.supervision_level, 1), reminded_at = now(), reminded_before_due = c.due_at,"
    " supervised_by = $1"
    STEP("30", "'催办：将于 ' || " DUE_TEXT " || ' 到期 (reminder: due ' || " DUE_TEXT " || ')'");

/* 催办 after the deadline: still open the hours after it. */
static const char remind_after_sql[] =
    PICK("c.due_at <= now() - make_interval(hours => $5) AND c.reminded_after_due IS DISTINCT FROM c.due_at",
         "c.due_at")
    "supervision_level = greatest(c.supervision_level, 1), reminded_at = now(), reminded_after_due = c.due_at,"
    " supervised_by = $1"
    STEP("30", "'催办：已超期，时限 ' || " DUE_TEXT " || ' (reminder: overdue since ' || " DUE_TEXT " || ')'");

/* 提级督办: handed off or reworked three times, not yet referred. */
static const char refer_up_sql[] =
    PICK("c.supervision_level < 3 AND (c.handoff_count >= $5 OR c.rework_count >= $5)", "c.id")
    "supervision_level = 3, referred_to = " REFERRAL_UNIT ", supervised_by = $1"
    STEP("32", "'提级督办：转办 ' || u.handoff_count || ' 次，返工 ' || u.rework_count || ' 次，提交 ' || u.referred_to"
               " || ' (referred up: ' || u.handoff_count || ' handoffs, ' || u.rework_count || ' reworks; due '"
               " || coalesce(" DUE_TEXT ", '-') || ')'");

static int
follow_pass(sf_call_t *call, const char *sql, Sifang__V1__CaseAction action, int64_t rule)
{
    const intake_t *intake = sf_call_state(call);
    PGresult *result = sf_call_query(call, sql, SF_PARAMS(SWEEP_ACTOR, intake->config.timezone, SWEEP_LIMIT,
                                                         intake->config.import_grace_s, rule));
    if (!result)
        return -1;
    int rows = PQntuples(result);
    int seq_column = intake_column(call, result, "step_seq");
    int at_column = intake_column(call, result, "step_at_ms");
    int note_column = intake_column(call, result, "step_note");
    if (seq_column < 0 || at_column < 0 || note_column < 0)
        return -1;
    for (int row = 0; row < rows; row++) {
        Sifang__V1__Case *the_case = intake_case_from_row(call, result, row, 0, NULL);
        if (!the_case)
            return -1;
        Sifang__V1__CaseTransition *transition = (Sifang__V1__CaseTransition *)
            sf_call_new_message(call, &sifang__v1__case_transition__descriptor);
        transition->seq = (int32_t) sf_db_int(result, row, seq_column);
        transition->action = action;
        transition->from_status = the_case->status;
        transition->to_status = the_case->status;
        transition->actor_id = SWEEP_ACTOR;
        transition->actor_name = "";
        transition->at_unix_ms = sf_db_int(result, row, at_column);
        transition->note = (char *) sf_db_text(result, row, note_column);
        the_case->last_transition = transition;
        the_case->updated_unix_ms = transition->at_unix_ms;
        intake_case_emit(call, the_case);
    }
    return rows;
}

int
intake_follow_sweep(sf_call_t *call)
{
    const intake_t *intake = sf_call_state(call);
    int before = follow_pass(call, remind_before_sql, CASE_ACTION(REMINDED), intake->config.remind_before_hours);
    if (before < 0)
        return -1;
    int after = follow_pass(call, remind_after_sql, CASE_ACTION(REMINDED), intake->config.remind_after_hours);
    if (after < 0)
        return -1;
    int referred = follow_pass(call, refer_up_sql, CASE_ACTION(REFERRED_UP), REFERRAL_COUNT);
    if (referred < 0)
        return -1;
    if (before + after + referred) {
        char counts[96];
        snprintf(counts, sizeof counts, "%d reminded before due, %d after, %d referred up", before, after, referred);
        sf_info("supervision sweep", "changed", counts);
    }
    return before + after + referred;
}
