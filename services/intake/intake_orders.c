/* The work-order rules of the 12345 hotlines and grid platforms, the parts
 * every step shares: case types and their limits (CaseTypeList,
 * CaseTypePut), reading the rules' columns into a case, who must act after a
 * step, what a new assignment starts (the receipt and first-response
 * deadlines in working minutes), a stage met late, the level above a
 * holder; and the two steps of the assignee at the start: signing for the
 * case (签收) and sending it back (退单), the second send-back making a
 * no-owner case (无头事项) that the level above assigns by decision.
 * docs/work-orders.md says how each rule works. */
#include "intake.h"
#include "sf_row.h"
#include <stdio.h>
#include <string.h>

#define CASE_STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define CASE_ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name
#define ASSIGNEE(name) SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_##name

/* --- reading ---------------------------------------------------------------- */

/* A message built on the stack, in the call's memory (its strings are the
 * result's, which lives as long as the call). */
static void *
copy_message(sf_call_t *call, const ProtobufCMessage *message, size_t size)
{
    return memcpy(sf_call_alloc(call, size), message, size);
}

int
intake_orders_from_row(sf_call_t *call, Sifang__V1__Case *c, const PGresult *result, int row, int k)
{
    c->case_type = (Sifang__V1__CaseType) sf_db_int(result, row, k++);
    c->direct_answer = sf_db_bool(result, row, k++);
    Sifang__V1__CaseAssignee waiting = SIFANG__V1__CASE_ASSIGNEE__INIT;
    waiting.kind = (Sifang__V1__AssigneeKind) sf_db_int(result, row, k++);
    waiting.code = (char *) sf_db_text(result, row, k++);
    waiting.name = (char *) sf_db_text(result, row, k++);
    waiting.route = (char *) sf_db_text(result, row, k++);
    Sifang__V1__CaseStages stages = SIFANG__V1__CASE_STAGES__INIT;
    stages.assignment = (int32_t) sf_db_int(result, row, k++);
    stages.assigned_unix_ms = sf_db_int(result, row, k++);
    stages.receipt_due_unix_ms = sf_db_int(result, row, k++);
    stages.signed_unix_ms = sf_db_int(result, row, k++);
    stages.first_response_due_unix_ms = sf_db_int(result, row, k++);
    stages.first_responded_unix_ms = sf_db_int(result, row, k++);
    stages.receipt_late = sf_db_bool(result, row, k++);
    stages.first_response_late = sf_db_bool(result, row, k++);
    c->send_backs = (int32_t) sf_db_int(result, row, k++);
    c->no_owner = sf_db_bool(result, row, k++);
    Sifang__V1__CaseExtension extension = SIFANG__V1__CASE_EXTENSION__INIT;
    extension.state = (Sifang__V1__CaseExtensionState) sf_db_int(result, row, k++);
    extension.working_days = (int32_t) sf_db_int(result, row, k++);
    extension.reason = (char *) sf_db_text(result, row, k++);
    extension.requested_by = (char *) sf_db_text(result, row, k++);
    extension.requested_unix_ms = sf_db_int(result, row, k++);
    extension.approver_unit = (char *) sf_db_text(result, row, k++);
    extension.decided_by = (char *) sf_db_text(result, row, k++);
    extension.decided_unix_ms = sf_db_int(result, row, k++);
    extension.decision_note = (char *) sf_db_text(result, row, k++);
    extension.granted = (int32_t) sf_db_int(result, row, k++);
    extension.granted_days = (int32_t) sf_db_int(result, row, k++);
    Sifang__V1__CaseReview review = SIFANG__V1__CASE_REVIEW__INIT;
    review.state = (Sifang__V1__CaseReviewState) sf_db_int(result, row, k++);
    review.resolved_by = (char *) sf_db_text(result, row, k++);
    review.reviewer_id = (char *) sf_db_text(result, row, k++);
    review.reviewer_name = (char *) sf_db_text(result, row, k++);
    review.reviewed_unix_ms = sf_db_int(result, row, k++);
    review.note = (char *) sf_db_text(result, row, k++);
    review.refusals = (int32_t) sf_db_int(result, row, k++);
    c->cohandler_tasks = (int32_t) sf_db_int(result, row, k++);
    c->cohandler_tasks_open = (int32_t) sf_db_int(result, row, k++);
    /* Nested messages only when there is something to say: an unset one
     * stays unset on the wire. */
    c->waiting_on = waiting.kind ? copy_message(call, &waiting.base, sizeof waiting) : NULL;
    c->stages = stages.assignment ? copy_message(call, &stages.base, sizeof stages) : NULL;
    c->extension = extension.state ? copy_message(call, &extension.base, sizeof extension) : NULL;
    c->review = review.state ? copy_message(call, &review.base, sizeof review) : NULL;
    return k;
}

Sifang__V1__CaseAssignee *
intake_waiting(sf_call_t *call, int kind, const char *code, const char *name, const char *role)
{
    Sifang__V1__CaseAssignee *waiting = (Sifang__V1__CaseAssignee *)
        sf_call_new_message(call, &sifang__v1__case_assignee__descriptor);
    waiting->kind = (Sifang__V1__AssigneeKind) kind;
    waiting->code = sf_call_strdup(call, code ? code : "");
    waiting->name = sf_call_strdup(call, name ? name : "");
    waiting->route = (char *) role;
    return waiting;
}

/* --- what steps share ----------------------------------------------------------- */

const char *
intake_step_new_assignment(sf_call_t *call, intake_step_t *step, const char *set)
{
    const intake_t *intake = sf_call_state(call);
    int zone = (int) step->params.count + 1;
    sf_params_text(&step->params, intake->config.timezone);
    return sf_call_printf(call,
        "%s, assignment = c.assignment + 1, assigned_at = t.at, signed_at = NULL, first_responded_at = NULL,"
        " receipt_due_at = intake_working_minutes(t.at,"
        "   (SELECT y.receipt_minutes FROM case_type y WHERE y.type = c.case_type), $%d),"
        " first_response_due_at = intake_working_minutes(t.at,"
        "   (SELECT y.first_response_minutes FROM case_type y WHERE y.type = c.case_type), $%d)",
        set, zone, zone);
}

/* Receipt and first response are keyed by assignment (each holder has its
 * own); completion by the case (assignment 0: it falls due once, and is
 * counted against whoever held the case then). */
#define STAGE_MET_LATE(stage, due, met, assignment) \
    "SELECT u.id, " stage "::smallint, " assignment ", u.assignee_kind, coalesce(u.assignee_code, '')," \
    " u.assignee_name, intake_holder_unit(u.assignee_kind, u.assignee_code), u.unit_code, u." due ", u." met \
    " FROM u WHERE u.assignee_kind <> 0 AND u." met " > u." due

const char *
intake_stage_met_late(int stage)
{
    switch (stage) {
    case SIFANG__V1__CASE_STAGE__CASE_STAGE_RECEIPT:
        return " l AS (INSERT INTO case_stage_late (case_id, stage, assignment, holder_kind, holder_code,"
               " holder_name, holder_unit, unit_code, due_at, marked_at) "
               STAGE_MET_LATE("1", "receipt_due_at", "signed_at", "u.assignment")
               " ON CONFLICT DO NOTHING),";
    case SIFANG__V1__CASE_STAGE__CASE_STAGE_FIRST_RESPONSE:
        /* Starting also signs for the case when no one had. */
        return " l AS (INSERT INTO case_stage_late (case_id, stage, assignment, holder_kind, holder_code,"
               " holder_name, holder_unit, unit_code, due_at, marked_at) "
               STAGE_MET_LATE("1", "receipt_due_at", "signed_at", "u.assignment")
               " UNION ALL " STAGE_MET_LATE("2", "first_response_due_at", "first_responded_at", "u.assignment")
               " ON CONFLICT DO NOTHING),";
    default:
        /* Resolving meets every stage still open. */
        return " l AS (INSERT INTO case_stage_late (case_id, stage, assignment, holder_kind, holder_code,"
               " holder_name, holder_unit, unit_code, due_at, marked_at) "
               STAGE_MET_LATE("1", "receipt_due_at", "signed_at", "u.assignment")
               " UNION ALL " STAGE_MET_LATE("2", "first_response_due_at", "first_responded_at", "u.assignment")
               " UNION ALL " STAGE_MET_LATE("3", "due_at", "resolved_at", "0")
               " ON CONFLICT DO NOTHING),";
    }
}

const char *
intake_level_above(sf_call_t *call, const Sifang__V1__Case *the_case)
{
    const Sifang__V1__CaseAssignee *holder = the_case->assignee;
    size_t street = sf_code_ancestor(the_case->unit_code, INTAKE_STREET_CODE_LENGTH);
    bool held_above_community = (holder && holder->kind == ASSIGNEE(DEPARTMENT))
        || (holder && holder->kind == ASSIGNEE(UNIT) && strlen(holder->code) <= INTAKE_STREET_CODE_LENGTH)
        || the_case->escalation_level >= 2 || !*the_case->community_code;
    if (held_above_community || !street)
        return sf_call_printf(call, "%.*s", (int) sf_code_ancestor(the_case->unit_code, SF_CODE_DISTRICT_LENGTH),
                              the_case->unit_code);
    return sf_call_printf(call, "%.*s", (int) street, the_case->unit_code);
}

/* The name of an org unit from grid's copy ("" when unknown). */
static const char *
unit_name(sf_call_t *call, const char *code)
{
    PGresult *result = sf_call_query(call, "SELECT name FROM ref_unit WHERE code = $1", SF_PARAMS(code));
    return result && PQntuples(result) == 1 ? sf_db_text(result, 0, 0) : "";
}

Sifang__V1__CaseAssignee *
intake_reviewer_of(sf_call_t *call, const Sifang__V1__Case *the_case, const char *writer, const char **unit_p)
{
    const Sifang__V1__CaseAssignee *holder = the_case->assignee;
    const char *station = *the_case->community_code ? the_case->community_code : the_case->street_code;
    const char *unit = station;
    /* The unit that handled it: a department (grid names no reviewer of a
     * department: its own staff review); a community or street holding it;
     * the unit a head took it for on escalation; else (a zone, a zone's
     * people) the community station above the zone. */
    if (holder && holder->kind == SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_DEPARTMENT) {
        *unit_p = holder->code;
        return intake_waiting(call, holder->kind, holder->code, holder->name, "reviewer");
    }
    if (holder && holder->kind == SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT
        && strlen(holder->code) <= INTAKE_COMMUNITY_CODE_LENGTH)
        unit = holder->code;
    else if (holder && holder->kind == SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF
             && *the_case->escalated_to_person_id && strcmp(holder->code, the_case->escalated_to_person_id) == 0)
        unit = the_case->escalated_to;
    *unit_p = unit;
    PGresult *named = sf_call_query(call,
        "SELECT s.id, s.name FROM ref_responsibility r JOIN ref_staff s ON s.id = r.staff_id AND s.active"
        " WHERE r.unit_code = $1 AND r.kind IN (5, 6) AND s.id <> $2 ORDER BY r.kind DESC, s.id LIMIT 1",
        SF_PARAMS(unit, writer ? writer : ""));
    if (!named)
        return NULL;
    if (PQntuples(named) == 1)
        return intake_waiting(call, SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF, sf_db_text(named, 0, 0),
                              sf_db_text(named, 0, 1), "reviewer");
    return intake_waiting(call, SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT, unit, unit_name(call, unit), "reviewer");
}

bool
intake_review_expected(sf_call_t *call, Sifang__V1__Case *the_case)
{
    if (!the_case->review || the_case->review->state != SIFANG__V1__CASE_REVIEW_STATE__CASE_REVIEW_STATE_PENDING)
        return true;
    /* The reviewer as the review step would check it now (grid may have
     * named another since the reply was written): the page offers the
     * step to that person only, and tells the others whom it waits on. */
    const char *unit;
    the_case->review->expected_reviewer = intake_reviewer_of(call, the_case, the_case->review->resolved_by, &unit);
    return the_case->review->expected_reviewer != NULL;
}

/* The station that dispatches a case (the community's, else the street's),
 * as who must act. */
static Sifang__V1__CaseAssignee *
dispatcher(sf_call_t *call, const Sifang__V1__Case *the_case, const char *role)
{
    const char *code = *the_case->community_code ? the_case->community_code : the_case->street_code;
    return intake_waiting(call, ASSIGNEE(UNIT), code, unit_name(call, code), role);
}

/* Whether the caller holds the case: a key within whose scope it lies
 * (intake_case_load checked), or the person it is assigned to, their
 * department's staff, or the staff of the unit it is assigned to. Who
 * may write at the case's community (its station) holds it too, as the
 * dispatcher who gave it out. */
bool
intake_caller_holds(sf_call_t *call, const Sifang__V1__Case *the_case)
{
    if (!sf_call_is_person(call))
        return true;
    const Sifang__V1__CaseAssignee *holder = the_case->assignee;
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    if (!holder)
        return false;
    if (holder->kind == ASSIGNEE(STAFF) && strcmp(holder->code, principal->id) == 0)
        return true;
    if (holder->kind == ASSIGNEE(DEPARTMENT))
        return strcmp(holder->code, principal->department) == 0
            && sf_call_has_role(call, INTAKE_ROLE_DEPARTMENT_STAFF);
    const char *station = *the_case->community_code ? the_case->community_code : the_case->street_code;
    return sf_call_may_write(call, holder->kind == ASSIGNEE(UNIT) ? holder->code : station);
}

/* --- after a run of submissions ---------------------------------------------------- */

/* The rules' part of a registration, for the cases a run wrote (one
 * statement): each case's type, the stage deadlines of its first
 * assignment when routed at once, and who must act (its assignee, or the
 * station that dispatches or accepts it). */
static const char after_submit_sql[] =
    "WITH x AS (SELECT * FROM unnest($1::bigint[], $2::int[]) AS x(id, type)),"
    " u AS (UPDATE intake_case c SET case_type = x.type,"
    "         assignment = CASE WHEN c.assignee_kind <> 0 THEN 1 ELSE 0 END,"
    "         assigned_at = CASE WHEN c.assignee_kind <> 0 THEN c.received_at END,"
    "         receipt_due_at = CASE WHEN c.assignee_kind <> 0"
    "           THEN intake_working_minutes(c.received_at, y.receipt_minutes, $3) END,"
    "         first_response_due_at = CASE WHEN c.assignee_kind <> 0"
    "           THEN intake_working_minutes(c.received_at, y.first_response_minutes, $3) END,"
    "         waiting_kind = CASE WHEN c.assignee_kind <> 0 THEN c.assignee_kind ELSE 3 END,"
    "         waiting_code = CASE WHEN c.assignee_kind <> 0 THEN c.assignee_code"
    "           ELSE left(c.unit_code, CASE WHEN length(c.unit_code) >= 12 THEN 12 ELSE 9 END) END,"
    "         waiting_name = CASE WHEN c.assignee_kind <> 0 THEN c.assignee_name ELSE coalesce((SELECT r.name"
    "           FROM ref_unit r WHERE r.code = left(c.unit_code, CASE WHEN length(c.unit_code) >= 12"
    "           THEN 12 ELSE 9 END)), '') END,"
    "         waiting_role = CASE WHEN c.assignee_kind <> 0 THEN 'assignee' ELSE 'dispatcher' END"
    "       FROM x JOIN case_type y ON y.type = x.type WHERE c.id = x.id RETURNING c.*)"
    " SELECT " INTAKE_CASE_COLUMNS " FROM u AS c LEFT JOIN service_item i ON i.code = c.item_code";

/* A station's answer on the spot (直接答复): the case is closed at once,
 * a step of its own after the registration, counted apart. */
static sf_status_t
direct_answer(sf_call_t *call, Sifang__V1__Case **case_p, const char *answer, int64_t at_ms)
{
    Sifang__V1__Case *registered = *case_p;
    intake_step_t step;
    intake_step_init(&step, registered->id, CASE_ACTION(DIRECT_ANSWERED), registered->status,
                     registered->last_transition->actor_id, at_ms, answer,
                     "status = 6, resolution = $6, resolved_at = t.at, closed_at = t.at, direct_answer = true,"
                     " signed_at = CASE WHEN c.assignee_kind <> 0 THEN t.at END,"
                     " first_responded_at = CASE WHEN c.assignee_kind <> 0 THEN t.at END");
    step.set_waiting = true;
    step.waiting = NULL;
    return intake_step_run(call, &step, case_p);
}

sf_status_t
intake_orders_check_submission(sf_call_t *call, const char *prefix, const Sifang__V1__CaseSubmitRequest *request,
                               bool station)
{
    if (request->case_type < 0 || request->case_type > SIFANG__V1__CASE_TYPE__CASE_TYPE_SUGGESTION)
        sf_call_violation(call, sf_call_printf(call, "%scase_type", prefix),
                          "must be consultation, help, complaint or suggestion");
    if (*request->direct_answer) {
        const char *field = sf_call_printf(call, "%sdirect_answer", prefix);
        if (!sf_call_check_note(call, field, request->direct_answer, 1000, true))
            return sf_call_status(call);
        if (!station)
            return sf_call_refuse(call, SF_PERMISSION_DENIED, field,
                                  "only a station registering the case answers it on the spot");
    }
    return SF_OK;
}

sf_status_t
intake_orders_after_submit(sf_call_t *db_call, intake_submission_t *submissions, size_t n)
{
    const intake_t *intake = sf_call_state(db_call);
    sf_pgarray_t ids, types;
    sf_pgarray_init(&ids);
    sf_pgarray_init(&types);
    size_t written = 0;
    for (size_t i = 0; i < n; i++) {
        Sifang__V1__Case *c = submissions[i].the_case;
        if (!c)
            continue;
        int type = submissions[i].request->case_type ? submissions[i].request->case_type
                                                     : SIFANG__V1__CASE_TYPE__CASE_TYPE_HELP;
        sf_pgarray_add_int(&ids, c->id);
        sf_pgarray_add_int(&types, type);
        written++;
    }
    sf_status_t status = SF_OK;
    PGresult *result = NULL;
    if (written)
        result = sf_call_query(db_call, after_submit_sql,
                               SF_PARAMS(sf_call_strdup(db_call, sf_pgarray_text(&ids)),
                                         sf_call_strdup(db_call, sf_pgarray_text(&types)), intake->config.timezone));
    sf_pgarray_release(&ids);
    sf_pgarray_release(&types);
    if (written && !result)
        return sf_call_status(db_call);
    /* Each case's reply takes the rules' fields from the row (as a read
     * would), in its own call's memory; the rest is as the run built it. */
    for (int row = 0; result && row < PQntuples(result); row++) {
        Sifang__V1__Case *from_row = intake_case_from_row(db_call, result, row, 0, NULL);
        if (!from_row)
            return sf_call_status(db_call);
        for (size_t i = 0; i < n; i++) {
            Sifang__V1__Case *c = submissions[i].the_case;
            if (!c || c->id != from_row->id)
                continue;
            c->case_type = from_row->case_type;
            c->waiting_on = from_row->waiting_on;
            c->stages = from_row->stages;
            c->due_unix_ms = from_row->due_unix_ms;
            c->handoff_target = from_row->handoff_target;   /* the rule's, in the daemon's memory */
        }
    }
    return status;
}

sf_status_t
intake_orders_answer_directly(intake_submission_t *submission)
{
    const char *answer = submission->request->direct_answer;
    if (!submission->the_case || !*answer)
        return SF_OK;
    const Sifang__V1__CaseImport *imported = submission->request->imported;
    return direct_answer(submission->call, &submission->the_case, answer, imported ? imported->at_unix_ms : 0);
}

/* --- case types ------------------------------------------------------------------- */

#define CASE_TYPE_COLUMNS \
    "type, name, time_limit, time_limit_unit, receipt_minutes, first_response_minutes, review_required, version"

static Sifang__V1__CaseTypeRule *
type_from_row(sf_call_t *call, const PGresult *result, int row)
{
    return (Sifang__V1__CaseTypeRule *) sf_call_row_message(call, &sifang__v1__case_type_rule__descriptor, result,
                                                           row, "type name time_limit time_limit_unit"
                                                           " receipt_minutes first_response_minutes review_required"
                                                           " version");
}

sf_status_t
intake_case_type_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    (void) request;
    PGresult *result = sf_call_query(call, "SELECT " CASE_TYPE_COLUMNS " FROM case_type ORDER BY type", NULL);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__CaseTypeListReply *reply = (Sifang__V1__CaseTypeListReply *)
        sf_call_new_message(call, &sifang__v1__case_type_list_reply__descriptor);
    int rows = PQntuples(result);
    reply->types = sf_call_new_array(call, (size_t) rows, sizeof *reply->types);
    for (int row = 0; row < rows; row++)
        reply->types[reply->n_types++] = type_from_row(call, result, row);
    *reply_p = &reply->base;
    return SF_OK;
}

sf_status_t
intake_case_type_put(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseTypeRule *rule = (const Sifang__V1__CaseTypeRule *) request;
    if (rule->type < SIFANG__V1__CASE_TYPE__CASE_TYPE_CONSULTATION || rule->type > SIFANG__V1__CASE_TYPE__CASE_TYPE_SUGGESTION)
        sf_call_violation(call, "type", "must be consultation, help, complaint or suggestion");
    sf_call_check_text(call, "name", rule->name, 20, true);
    if (rule->time_limit_unit == SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_WORKING_DAYS) {
        if (rule->time_limit < 1 || rule->time_limit > 365)
            sf_call_violation(call, "time_limit", "must be 1 to 365 working days");
    } else if (rule->time_limit_unit == SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_HOURS) {
        if (rule->time_limit < 1 || rule->time_limit > 720)
            sf_call_violation(call, "time_limit", "must be 1 to 720 hours");
    } else
        sf_call_violation(call, "time_limit_unit", "must be working days or hours");
    if (rule->receipt_minutes < 1 || rule->receipt_minutes > 2880)
        sf_call_violation(call, "receipt_minutes", "must be 1 to 2880 working minutes");
    if (rule->first_response_minutes < 1 || rule->first_response_minutes > 14400)
        sf_call_violation(call, "first_response_minutes", "must be 1 to 14400 working minutes");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call,
        "UPDATE case_type SET name = $2, time_limit = $3, time_limit_unit = $4, receipt_minutes = $5,"
        "       first_response_minutes = $6, review_required = $7, version = version + 1"
        " WHERE type = $1 RETURNING " CASE_TYPE_COLUMNS,
        SF_PARAMS(rule->type, rule->name, rule->time_limit, rule->time_limit_unit, rule->receipt_minutes,
                  rule->first_response_minutes, sf_param_bool(rule->review_required)));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, "type", "no case type %d", rule->type);
    /* Submissions read the limits from the loop's copy of the catalogue. */
    if (!sf_call_query(call, "UPDATE ref_generation SET catalogue = catalogue + 1", NULL))
        return sf_call_status(call);
    Sifang__V1__CaseTypeRule *changed = type_from_row(call, result, 0);
    char key[8];
    snprintf(key, sizeof key, "%d", changed->type);
    return sf_call_emit_reply(call, reply_p, "case_type.updated", sf_call_strdup(call, key), &changed->base);
}

/* --- signing for a case (签收) --------------------------------------------------------- */

static sf_status_t
refuse_status(sf_call_t *call, const Sifang__V1__Case *the_case, const char *what)
{
    return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is %s; %s", (long long) the_case->id,
                          intake_status_name(the_case->status), what);
}

sf_status_t
intake_case_sign(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseStepRequest *sign = (const Sifang__V1__CaseStepRequest *) request;
    intake_step_case_t asked;
    sf_status_t status = intake_step_begin(call, sign->ref, sign->imported, &asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked.the_case;
    if (the_case->status != CASE_STATUS(ASSIGNED))
        return refuse_status(call, the_case, "only an assigned case is signed for");
    if (the_case->stages && the_case->stages->signed_unix_ms)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld was signed for already",
                              (long long) the_case->id);
    if (!intake_caller_holds(call, the_case))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "case %lld is assigned to %s, not to you",
                            (long long) the_case->id, the_case->assignee->name);
    if (!sf_call_check_note(call, "note", sign->note, 500, false))
        return sf_call_status(call);
    intake_step_t step;
    intake_step_init(&step, the_case->id, CASE_ACTION(SIGNED), the_case->status, asked.actor, asked.at_ms,
                     *sign->note ? sign->note : sf_call_printf(call, "signed for by %s", the_case->assignee->name),
                     "signed_at = t.at");
    step.also = intake_stage_met_late(SIFANG__V1__CASE_STAGE__CASE_STAGE_RECEIPT);
    return intake_step_reply(call, &step, reply_p);
}

/* --- sending back (退单) ------------------------------------------------------------- */

/* How many send-backs make a case a no-owner case (无头事项). */
#define NO_OWNER_AFTER 2

sf_status_t
intake_case_send_back(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseSendBackRequest *back = (const Sifang__V1__CaseSendBackRequest *) request;
    const intake_t *intake = sf_call_state(call);
    intake_step_case_t asked;
    sf_status_t status = intake_step_begin(call, back->ref, back->imported, &asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked.the_case;
    if (the_case->status != CASE_STATUS(ASSIGNED))
        return refuse_status(call, the_case, "only an assigned case, not yet started, is sent back");
    if (the_case->no_owner)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is a no-owner case assigned by"
                              " decision; it is not sent back again", (long long) the_case->id);
    if (!intake_caller_holds(call, the_case))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "case %lld is assigned to %s, not to you",
                            (long long) the_case->id, the_case->assignee->name);
    if (!sf_call_check_note(call, "reason", back->reason, 500, true))
        return sf_call_status(call);
    /* Only within the set working minutes of the assignment. */
    PGresult *window = sf_call_query(call,
        "SELECT coalesce(to_timestamp($2::bigint / 1000.0), now()) <= intake_working_minutes(c.assigned_at, $3, $4),"
        "       coalesce(" INTAKE_MS("intake_working_minutes(c.assigned_at, $3, $4)") ", 0)"
        "  FROM intake_case c WHERE c.id = $1",
        SF_PARAMS(the_case->id, asked.at_ms ? sf_param_int(asked.at_ms) : sf_param_text_or_null(""),
                  intake->config.send_back_minutes, intake->config.timezone));
    if (!window)
        return sf_call_status(call);
    if (PQntuples(window) != 1 || !sf_db_bool(window, 0, 0))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld may be sent back only within %d"
                              " working minutes of its assignment", (long long) the_case->id,
                              intake->config.send_back_minutes);
    bool no_owner = the_case->send_backs + 1 >= NO_OWNER_AFTER;
    Sifang__V1__CaseAssignee *waiting = dispatcher(call, the_case, "dispatcher");
    if (no_owner) {
        const char *above = intake_level_above(call, the_case);
        waiting = intake_waiting(call, ASSIGNEE(UNIT), above, unit_name(call, above), "decides the owner");
    }
    intake_step_t step;
    intake_step_init(&step, the_case->id, CASE_ACTION(SENT_BACK), the_case->status, asked.actor, asked.at_ms,
                     no_owner ? sf_call_printf(call, "%s; sent back %d times: a no-owner case (无头事项) for %s to"
                                               " assign by decision", back->reason, the_case->send_backs + 1,
                                               waiting->name)
                              : back->reason,
                     "status = 2, assignee_kind = 0, assignee_code = NULL, assignee_name = '', assignee_route = '',"
                     " send_backs = c.send_backs + 1, no_owner = $7::boolean");
    SF_PARAMS_ADD(&step.params, sf_param_bool(no_owner));
    step.set_waiting = true;
    step.waiting = waiting;
    return intake_step_reply(call, &step, reply_p);
}
