/* The deadline sweep: open cases past due are marked overdue and escalated
 * to their community's head; those still open a while later to their
 * street's head. Each change is a step of the case with its audit row and event.
 * The loop runs it on a timer; CaseSweep runs it now. */
#include "intake.h"
#include "sf_log.h"
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* A pass handles at most this many cases per kind; the timer comes back. */
#define SWEEP_LIMIT 1000
/* A case whose earlier register is being loaded is judged once the load
 * has passed it (SIFANG_INTAKE_IMPORT_GRACE_S, $4 below): its imported steps
 * would otherwise land after the sweep's mark of "now" and be refused as out
 * of order. */
#define IMPORT_GRACE "make_interval(secs => $4)"
#define SWEEP_ACTOR "intake-sweep"

/* Escalation moves the case (not only a flag) to the next level's
 * responsible PERSON: the head (负责人) grid names for the community station,
 * then the street office (ref_responsibility kind 5, UNIT_HEAD, an active
 * staff member), a new assignment with its stages afresh; the unit is kept
 * (escalated_to) and the person beside it (escalated_person_*). A unit with
 * nobody named holds the case itself, its staff are told, and the sweep
 * counts it (Sys.Stats escalation.units_without_head) and warns. LEVEL is
 * the unit's code length: 12 the community, 9 the street. The case moves
 * when it is being handled and held below that level by someone other than
 * a department (the district's body) and other than the head. */
#define HEAD_OF(level) \
    " head AS (SELECT due.id, s.id AS head_id, s.name AS head_name FROM due JOIN intake_case x ON x.id = due.id" \
    "            JOIN ref_responsibility r ON r.unit_code = left(x.unit_code, " level ") AND r.kind = 5" \
    "            JOIN ref_staff s ON s.id = r.staff_id AND s.active),"
#define MOVES(level) \
    "(c.status BETWEEN 2 AND 4 AND length(c.unit_code) >= " level " AND c.assignee_kind <> 1" \
    " AND NOT (c.assignee_kind = 3 AND length(c.assignee_code) <= " level ")" \
    " AND NOT (c.assignee_kind = 2 AND c.assignee_code = coalesce(head.head_id, '')))"
#define UNIT_NAME(level) "coalesce((SELECT r.name FROM ref_unit r WHERE r.code = left(c.unit_code, " level ")), '')"
#define MOVE_TO(level, words) \
    " assignee_kind = CASE WHEN " MOVES(level) " THEN CASE WHEN head.head_id IS NULL THEN 3 ELSE 2 END" \
    "   ELSE c.assignee_kind END," \
    " assignee_code = CASE WHEN " MOVES(level) " THEN coalesce(head.head_id, left(c.unit_code, " level "))" \
    "   ELSE c.assignee_code END," \
    " assignee_name = CASE WHEN " MOVES(level) " THEN coalesce(head.head_name, " UNIT_NAME(level) ")" \
    "   ELSE c.assignee_name END," \
    " assignee_route = CASE WHEN " MOVES(level) " THEN CASE WHEN head.head_id IS NULL THEN 'escalated to the " \
    words "' ELSE 'escalated to the " words "''s head (负责人)' END ELSE c.assignee_route END," \
    " status = CASE WHEN " MOVES(level) " AND c.status = 2 THEN 3 ELSE c.status END," \
    " assignment = c.assignment + CASE WHEN " MOVES(level) " THEN 1 ELSE 0 END," \
    " assigned_at = CASE WHEN " MOVES(level) " THEN now() ELSE c.assigned_at END," \
    " signed_at = CASE WHEN " MOVES(level) " THEN NULL ELSE c.signed_at END," \
    " first_responded_at = CASE WHEN " MOVES(level) " THEN NULL ELSE c.first_responded_at END," \
    " receipt_due_at = CASE WHEN " MOVES(level) " THEN intake_working_minutes(now(), (SELECT y.receipt_minutes" \
    "   FROM case_type y WHERE y.type = c.case_type), $2) ELSE c.receipt_due_at END," \
    " first_response_due_at = CASE WHEN " MOVES(level) " THEN intake_working_minutes(now(), (SELECT" \
    "   y.first_response_minutes FROM case_type y WHERE y.type = c.case_type), $2) ELSE c.first_response_due_at END," \
    " waiting_kind = CASE WHEN " MOVES(level) " THEN CASE WHEN head.head_id IS NULL THEN 3 ELSE 2 END" \
    "   ELSE c.waiting_kind END," \
    " waiting_code = CASE WHEN " MOVES(level) " THEN coalesce(head.head_id, left(c.unit_code, " level "))" \
    "   ELSE c.waiting_code END," \
    " waiting_name = CASE WHEN " MOVES(level) " THEN coalesce(head.head_name, " UNIT_NAME(level) ")" \
    "   ELSE c.waiting_name END," \
    " waiting_role = CASE WHEN " MOVES(level) " THEN 'assignee' ELSE c.waiting_role END," \
    " escalated_to = left(c.unit_code, " level "), escalated_person_id = coalesce(head.head_id, '')," \
    " escalated_person_name = coalesce(head.head_name, ''),"

/* Rows a request holds are skipped (SKIP LOCKED): the sweep never waits
 * for a batch and never deadlocks with one; they are caught next time. */
static const char overdue_sql[] =
    "WITH due AS (SELECT id, assignee_kind AS held_kind, coalesce(assignee_code, '') AS held_code,"
    "                    assignee_name AS held_name, due_at AS held_due"
    "               FROM intake_case WHERE status <= 4 AND NOT overdue AND due_at < now()"
    "                AND (imported_at IS NULL OR imported_at < now() - " IMPORT_GRACE ")"
    "              ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED),"
    HEAD_OF("12")
    " u AS (UPDATE intake_case c SET overdue = true, escalation_level = greatest(c.escalation_level, 1),"
    /* The deadline missed is the due time itself; a follow-up already
     * recorded for it (CaseFollowUp) stands. */
    "         missed_at = c.due_at,"
    "         followed_up_in_time = c.followed_up_in_time AND c.missed_at IS NOT DISTINCT FROM c.due_at,"
    MOVE_TO("12", "community")
    "         escalated_at = now(), version = c.version + 1, last_at = greatest(c.last_at, now())"
    "       FROM due LEFT JOIN head ON head.id = due.id WHERE c.id = due.id RETURNING c.*),"
    /* Completion late, against whoever held the case when it fell due. */
    " l AS (INSERT INTO case_stage_late (case_id, stage, assignment, holder_kind, holder_code, holder_name,"
    "                                    holder_unit, unit_code, due_at, marked_at)"
    "       SELECT due.id, 3, 0, due.held_kind, due.held_code, due.held_name,"
    "              intake_holder_unit(due.held_kind, due.held_code), u.unit_code, due.held_due, now()"
    "         FROM due JOIN u ON u.id = due.id WHERE due.held_kind <> 0 ON CONFLICT DO NOTHING),"
    " h AS (INSERT INTO case_history (case_id, seq, action, from_status, to_status, actor_id, at, note)"
    "       SELECT u.id, u.version, 9, u.status, u.status, $1, now(),"
    "              'past due ' || to_char(u.due_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI')"
    "              || '; escalated to community ' || u.escalated_to"
    "              || CASE WHEN u.escalated_person_id <> '' THEN ', its head ' || u.escalated_person_name"
    "                 || ' (' || u.escalated_person_id || ')' ELSE ' (no head named: the unit holds it)' END FROM u"
    "       RETURNING case_id, seq, at, note)"
    " SELECT " INTAKE_CASE_COLUMNS ", h.seq AS step_seq, " INTAKE_MS("h.at") " AS step_at_ms, h.note AS step_note"
    "   FROM u AS c JOIN h ON h.case_id = c.id LEFT JOIN service_item i ON i.code = c.item_code"
    "  ORDER BY c.id";

/* The street office's head takes it from the community (a department
 * keeps it: the district's body answers to the district). */
static const char escalate_sql[] =
    "WITH due AS (SELECT id FROM intake_case WHERE status <= 4 AND escalation_level = 1"
    "                AND escalated_at < now() - make_interval(hours => $5)"
    "                AND (imported_at IS NULL OR imported_at < now() - " IMPORT_GRACE ")"
    "              ORDER BY escalated_at LIMIT $3 FOR UPDATE SKIP LOCKED),"
    HEAD_OF("9")
    " u AS (UPDATE intake_case c SET"
    MOVE_TO("9", "street")
    "         escalation_level = 2, escalated_at = now(), version = c.version + 1,"
    "         last_at = greatest(c.last_at, now())"
    "       FROM due LEFT JOIN head ON head.id = due.id WHERE c.id = due.id RETURNING c.*),"
    " h AS (INSERT INTO case_history (case_id, seq, action, from_status, to_status, actor_id, at, note)"
    "       SELECT u.id, u.version, 10, u.status, u.status, $1, now(),"
    "              'still open ' || $5 || ' hours after escalation to the community; escalated to street '"
    "              || u.escalated_to"
    "              || CASE WHEN u.escalated_person_id <> '' THEN ', its head ' || u.escalated_person_name"
    "                 || ' (' || u.escalated_person_id || ')' ELSE ' (no head named: the unit holds it)' END"
    "              || ' (due ' || to_char(u.due_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI') || ')'"
    "         FROM u RETURNING case_id, seq, at, note)"
    " SELECT " INTAKE_CASE_COLUMNS ", h.seq AS step_seq, " INTAKE_MS("h.at") " AS step_at_ms, h.note AS step_note"
    "   FROM u AS c JOIN h ON h.case_id = c.id LEFT JOIN service_item i ON i.code = c.item_code"
    "  ORDER BY c.id";

static int
sweep_pass(sf_call_t *call, const char *sql, Sifang__V1__CaseAction action)
{
    sf_params_t params;
    sf_params_init(&params);
    const intake_t *intake = sf_call_state(call);
    SF_PARAMS_ADD(&params, SWEEP_ACTOR, intake->config.timezone, SWEEP_LIMIT, intake->config.import_grace_s);
    if (action == SIFANG__V1__CASE_ACTION__CASE_ACTION_ESCALATED)
        sf_params_int(&params, intake->config.street_escalation_hours);
    PGresult *result = sf_call_query(call, sql, &params);
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
        if (!*the_case->escalated_to_person_id) {
            /* Nobody named to answer for the unit: it holds the case and
             * its staff are told; grid should name its head. */
            atomic_fetch_add(&((intake_t *) sf_call_state(call))->escalations_without_head, 1);
            sf_warn("escalated to a unit without a head named in grid (UNIT_HEAD)", "unit", the_case->escalated_to,
                    "case", sf_call_printf(call, "%lld", (long long) the_case->id));
        }
    }
    return rows;
}

sf_status_t
intake_sweep(sf_call_t *call, int *overdue, int *escalated)
{
    *overdue = *escalated = 0;
    /* The per-stage deadlines first: receipt and first response
     * (intake_stages.c) are late against the assignment that held the case
     * when they fell due, and an escalation below starts a new assignment.
     * A case whose stages and completion all fell due since the last sweep
     * (a backlog, an import) has each recorded against its holder. */
    if (intake_stages_sweep(call) < 0)
        return sf_call_status(call);
    int rows = sweep_pass(call, overdue_sql, SIFANG__V1__CASE_ACTION__CASE_ACTION_OVERDUE);
    if (rows < 0)
        return sf_call_status(call);
    *overdue = rows;
    rows = sweep_pass(call, escalate_sql, SIFANG__V1__CASE_ACTION__CASE_ACTION_ESCALATED);
    if (rows < 0)
        return sf_call_status(call);
    *escalated = rows;
    /* The supervision ladder's reminders and referrals (intake_follow.c),
     * and the warning of a coming year without a calendar (intake_notices.c). */
    if (intake_follow_sweep(call) < 0)
        return sf_call_status(call);
    int days = intake_calendar_warn(call);
    if (days < -1)
        return sf_call_status(call);
    atomic_store(&((intake_t *) sf_call_state(call))->calendar_days_left, days);
    return SF_OK;
}

sf_status_t
intake_case_sweep(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    (void) request;
    Sifang__V1__CaseSweepReply *reply = (Sifang__V1__CaseSweepReply *)
        sf_call_new_message(call, &sifang__v1__case_sweep_reply__descriptor);
    int overdue, escalated;
    sf_status_t status = intake_sweep(call, &overdue, &escalated);
    if (status != SF_OK)
        return status;
    reply->overdue = overdue;
    reply->escalated = escalated;
    *reply_p = &reply->base;
    return SF_OK;
}

int
intake_sweep_run(sf_call_t *call)
{
    sf_db_t *db = sf_call_db(call);
    if (!sf_server_ready(sf_call_server(call)) || !sf_db_begin(db))
        return -1;
    sf_call_act_as(call, SWEEP_ACTOR);
    int overdue = 0, escalated = 0;
    int64_t head = -1;
    sf_status_t status = intake_sweep(call, &overdue, &escalated);
    /* The commit announces the sweep's events: followers hear of them now,
     * not at the next batch. */
    if (status != SF_OK || !sf_call_commit(call, &head)) {
        if (status != SF_OK && status != SF_UNAVAILABLE)
            sf_warn("deadline sweep failed", "status", sf_status_name(status), "reason", sf_call_message(call));
        sf_db_rollback(db);
        return -1;
    }
    int changed = overdue + escalated;
    if (changed) {
        char counts[64];
        snprintf(counts, sizeof counts, "%d overdue, %d escalated to the street", overdue, escalated);
        sf_info("deadline sweep", "changed", counts);
    }
    return changed;
}
