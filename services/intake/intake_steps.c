/* The steps of a case's lifecycle after submission: accept, assign, start,
 * resolve, close (the return visit), reject and transfer. Each step is one
 * statement that changes the case, appends its audit row and returns the
 * case, and one event. */
#include "intake.h"
#include "intake_registration.h"
#include <stdio.h>
#include <string.h>

#define STEP_SQL_HEAD \
    "WITH t AS (SELECT coalesce(to_timestamp($5::bigint / 1000.0), now()) AS at)," \
    " u AS (UPDATE intake_case c SET "
#define STEP_SQL_UPDATED \
    ", version = c.version + 1, last_at = t.at," \
    " imported_at = CASE WHEN $5::bigint IS NULL THEN c.imported_at ELSE now() END" \
    " FROM t WHERE c.id = $1 RETURNING c.*),"
/* (a step's own statement on u may come here: intake_step_t.also) */
#define STEP_SQL_TAIL \
    " h AS (INSERT INTO case_history (case_id, seq, action, from_status, to_status, actor_id," \
    "                                 actor_name, at, note)" \
    "       SELECT u.id, u.version, $2, $3, u.status, $4," \
    "              coalesce((SELECT s.name FROM ref_staff s WHERE s.id = $4), ''), t.at, $6" \
    "         FROM u, t RETURNING seq, actor_name, at)" \
    " SELECT " INTAKE_CASE_COLUMNS ", h.seq AS step_seq, h.actor_name AS step_actor_name," \
    "        " INTAKE_MS("h.at") " AS step_at_ms" \
    " FROM u AS c CROSS JOIN h LEFT JOIN service_item i ON i.code = c.item_code"

#define CASE_STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define CASE_ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name

void
intake_step_init(intake_step_t *step, int64_t case_id, Sifang__V1__CaseAction action,
                 Sifang__V1__CaseStatus from_status, const char *actor, int64_t at_ms, const char *note,
                 const char *set)
{
    step->case_id = case_id;
    step->action = action;
    step->from_status = from_status;
    step->actor = actor;
    step->at_ms = at_ms;
    step->note = note ? note : "";
    step->set = set;
    step->set_waiting = false;
    step->waiting = NULL;
    step->also = NULL;
    sf_params_init(&step->params);
    sf_params_int(&step->params, case_id);
    sf_params_int(&step->params, action);
    sf_params_int(&step->params, from_status);
    sf_params_text(&step->params, actor);
    if (at_ms)
        sf_params_int(&step->params, at_ms);
    else
        sf_params_null(&step->params);
    sf_params_text(&step->params, step->note);
}

sf_status_t
intake_step_run(sf_call_t *call, intake_step_t *step, Sifang__V1__Case **case_p)
{
    *case_p = NULL;
    const char *set = step->set;
    if (step->set_waiting) {
        /* Who must act after the step (the notices name them). */
        const Sifang__V1__CaseAssignee *waiting = step->waiting;
        int n = (int) step->params.count;
        sf_params_int(&step->params, waiting ? waiting->kind : 0);
        sf_params_text(&step->params, waiting ? waiting->code : "");
        sf_params_text(&step->params, waiting ? waiting->name : "");
        sf_params_text(&step->params, waiting ? waiting->route : "");
        set = sf_call_printf(call, "%s, waiting_kind = $%d, waiting_code = $%d, waiting_name = $%d,"
                             " waiting_role = $%d", set, n + 1, n + 2, n + 3, n + 4);
    }
    char *sql = sf_call_printf(call, "%s%s%s%s%s", STEP_SQL_HEAD, set, STEP_SQL_UPDATED,
                               step->also ? step->also : "", STEP_SQL_TAIL);
    PGresult *result = sf_call_query(call, sql, &step->params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_fail(call, SF_NOT_FOUND, "case %lld is gone", (long long) step->case_id);
    Sifang__V1__Case *updated = intake_case_from_row(call, result, 0, 0, NULL);
    int seq_column = intake_column(call, result, "step_seq");
    int actor_name_column = intake_column(call, result, "step_actor_name");
    int at_column = intake_column(call, result, "step_at_ms");
    if (!updated || seq_column < 0 || actor_name_column < 0 || at_column < 0)
        return sf_call_status(call);
    Sifang__V1__CaseTransition *transition = (Sifang__V1__CaseTransition *)
        sf_call_new_message(call, &sifang__v1__case_transition__descriptor);
    transition->seq = (int32_t) sf_db_int(result, 0, seq_column);
    transition->action = step->action;
    transition->from_status = step->from_status;
    transition->to_status = updated->status;
    transition->actor_id = (char *) step->actor;
    transition->actor_name = (char *) sf_db_text(result, 0, actor_name_column);
    transition->at_unix_ms = sf_db_int(result, 0, at_column);
    transition->note = (char *) step->note;
    updated->last_transition = transition;
    intake_case_emit(call, updated);
    *case_p = updated;
    return SF_OK;
}

sf_status_t
intake_step_reply(sf_call_t *call, intake_step_t *step, ProtobufCMessage **reply_p)
{
    Sifang__V1__Case *updated;
    sf_status_t status = intake_step_run(call, step, &updated);
    if (status == SF_OK)
        *reply_p = &updated->base;
    return status;
}

bool
intake_step_after(sf_call_t *call, const char *field, int64_t at_ms, const intake_case_extra_t *extra)
{
    if (!at_ms || at_ms >= extra->last_at_ms)
        return true;
    sf_call_violation(call, sf_call_printf(call, "%s.at_unix_ms", field),
                      "must not be before the case's last step");
    return false;
}

/* A step of the lifecycle a request asks for, as data: what the history
 * records, the statuses it is taken from (a bit each; ANY_OPEN: every open
 * status) and what a case in another is told, the status it leads to, and
 * what its statement sets: "status = $7", then its own parameters from $8
 * on. already: a case already in the status the step leads to is told just
 * that, not what the step needs. */
typedef struct {
    Sifang__V1__CaseAction action;
    unsigned from;
    const char *refusal;
    Sifang__V1__CaseStatus to;
    const char *set;
    bool already;
} step_kind_t;

#define FROM(name) (1u << CASE_STATUS(name))
#define ANY_OPEN 0u

/* A case that ends before its provider served it: a registry dispatch is
 * cancelled by the peers thread; one the station made simply ends. */
#define END_DISPATCH \
    "dispatch_state = CASE WHEN c.dispatch_state IN (1, 2, 3) AND c.volunteer_dispatch_id <> '' THEN 7" \
    " WHEN c.dispatch_state IN (1, 2, 3) THEN 8 ELSE c.dispatch_state END"

/* Accepting may also route the case (then it is assigned at once) and ask
 * the volunteer registry for a provider. */
static const step_kind_t ACCEPTING = {
    CASE_ACTION(ACCEPTED), FROM(RECEIVED), "only a received case is accepted", CASE_STATUS(ACCEPTED),
    "status = $7, registration_number = $8, accepted_at = t.at,"
    " due_at = to_timestamp($9::bigint / 1000.0), first_responder_id = $4,"
    " first_responder_name = coalesce((SELECT s.name FROM ref_staff s WHERE s.id = $4), ''),"
    " item_code = $10, category = $11, assignee_kind = $12, assignee_code = $13,"
    " assignee_name = $14, assignee_route = $15, dispatch_state = $16,"
    " dispatch_attempt = CASE WHEN $16::smallint > 0 THEN 1 ELSE 0 END,"
    " dispatch_requested_at = CASE WHEN $16::smallint > 0 THEN t.at END", false,
};
static const step_kind_t ASSIGNING = {
    CASE_ACTION(ASSIGNED), FROM(ACCEPTED) | FROM(ASSIGNED) | FROM(IN_PROGRESS),
    "only an accepted, assigned or started case is assigned", CASE_STATUS(ASSIGNED),
    "status = $7, assignee_kind = $8, assignee_code = $9, assignee_name = $10, assignee_route = $11,"
    /* 转办: a handoff from one handler to another (three send a case up). */
    " handoff_count = c.handoff_count + CASE WHEN c.assignee_kind <> 0 AND (c.assignee_kind <> $8::smallint"
    "   OR c.assignee_code IS DISTINCT FROM $9::text) THEN 1 ELSE 0 END", false,
};
static const step_kind_t STARTING = {
    CASE_ACTION(STARTED), FROM(ACCEPTED) | FROM(ASSIGNED), "only an accepted or assigned case is started",
    CASE_STATUS(IN_PROGRESS),
    "status = $7, signed_at = coalesce(c.signed_at, CASE WHEN c.assignee_kind <> 0 THEN t.at END),"
    " first_responded_at = coalesce(c.first_responded_at, CASE WHEN c.assignee_kind <> 0 THEN t.at END)", false,
};
static const step_kind_t RESOLVING = {
    CASE_ACTION(RESOLVED), FROM(ACCEPTED) | FROM(ASSIGNED) | FROM(IN_PROGRESS),
    "only an accepted, assigned or started case is resolved", CASE_STATUS(RESOLVED),
    "status = $7, resolution = $6, resolved_at = t.at,"
    " overdue = c.overdue OR (c.due_at IS NOT NULL AND t.at > c.due_at),"
    " signed_at = coalesce(c.signed_at, CASE WHEN c.assignee_kind <> 0 THEN t.at END),"
    " first_responded_at = coalesce(c.first_responded_at, CASE WHEN c.assignee_kind <> 0 THEN t.at END),"
    /* 审核: $8 whether the reply waits for the unit's reviewer */
    " review_state = CASE WHEN $8::boolean THEN 1 ELSE c.review_state END,"
    " review_resolved_by = CASE WHEN $8::boolean THEN $4 ELSE c.review_resolved_by END", false,
};
/* A closed case is said to be closed, not that its return visit lacks a
 * note. */
static const step_kind_t CLOSING = {
    CASE_ACTION(CLOSED), FROM(RESOLVED), "only a resolved case is closed after the return visit",
    CASE_STATUS(CLOSED), "status = $7, satisfaction = $8, closed_at = t.at", true,
};
static const step_kind_t REJECTING = {
    CASE_ACTION(REJECTED), ANY_OPEN, "only an open case is rejected", CASE_STATUS(REJECTED),
    "status = $7, reject_reason = $6, " END_DISPATCH, false,
};
static const step_kind_t TRANSFERRING = {
    CASE_ACTION(TRANSFERRED), ANY_OPEN, "only an open case is transferred", CASE_STATUS(TRANSFERRED),
    "status = $7, transferred_to = $8, " END_DISPATCH, false,
};

/* A step asked of a case in a status it cannot be taken from. */
static sf_status_t
refuse_status(sf_call_t *call, const Sifang__V1__Case *the_case, const char *what)
{
    return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is %s; %s",
                          (long long) the_case->id, intake_status_name(the_case->status), what);
}

sf_status_t
intake_step_begin(sf_call_t *call, const Sifang__V1__CaseRef *ref, const Sifang__V1__CaseImport *imported,
                  intake_step_case_t *asked)
{
    intake_case_ref_id(call, "ref", ref);
    intake_step_time(call, "imported", imported, &asked->at_ms, &asked->actor);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_status_t status = intake_case_load(call, "ref", ref, true, true, &asked->the_case, &asked->extra);
    if (status != SF_OK)
        return status;
    if (!intake_step_after(call, "imported", asked->at_ms, &asked->extra))
        return sf_call_status(call);
    return SF_OK;
}

/* intake_step_begin, then whether the case may take the step: the case's
 * state is checked before the request's other fields (notes, reasons, the
 * item), so a step asked of a case in the wrong state is told the state,
 * not that its note is missing. */
static sf_status_t
step_begin(sf_call_t *call, const step_kind_t *kind, const Sifang__V1__CaseRef *ref,
           const Sifang__V1__CaseImport *imported, intake_step_case_t *asked)
{
    sf_status_t status = intake_step_begin(call, ref, imported, asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked->the_case;
    if (kind->already && the_case->status == kind->to)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is already %s",
                              (long long) the_case->id, intake_status_name(the_case->status));
    bool allowed = kind->from == ANY_OPEN ? intake_status_open(the_case->status)
                                          : (kind->from & (1u << the_case->status)) != 0;
    return allowed ? SF_OK : refuse_status(call, the_case, kind->refusal);
}

/* The step's statement, once the request is checked: the fixed parameters
 * and $7, the status it leads to; the caller adds the kind's own. */
static void
step_prepare(const step_kind_t *kind, const intake_step_case_t *asked, const char *note,
             Sifang__V1__CaseStatus to, intake_step_t *step)
{
    intake_step_init(step, asked->the_case->id, kind->action, asked->the_case->status, asked->actor,
                     asked->at_ms, note, kind->set);
    sf_params_int(&step->params, to);
}

/* A step with no parameters of its own and one text the history keeps
 * (field, up to max characters, required or not): the whole handler. */
static sf_status_t
step_take(sf_call_t *call, const step_kind_t *kind, const Sifang__V1__CaseRef *ref,
          const Sifang__V1__CaseImport *imported, const char *field, const char *note, size_t max,
          bool required, ProtobufCMessage **reply_p)
{
    intake_step_case_t asked;
    sf_status_t status = step_begin(call, kind, ref, imported, &asked);
    if (status != SF_OK)
        return status;
    if (!sf_call_check_note(call, field, note, max, required))
        return sf_call_status(call);
    intake_step_t step;
    step_prepare(kind, &asked, note, kind->to, &step);
    if (kind->action == CASE_ACTION(STARTED)) {
        step.also = intake_stage_met_late(SIFANG__V1__CASE_STAGE__CASE_STAGE_FIRST_RESPONSE);
        const Sifang__V1__CaseAssignee *holder = asked.the_case->assignee;
        step.set_waiting = holder != NULL;
        step.waiting = holder ? intake_waiting(call, holder->kind, holder->code, holder->name, "assignee") : NULL;
    } else {
        /* Rejected: no one is to act on it any more. */
        step.set_waiting = true;
        step.waiting = NULL;
    }
    return intake_step_reply(call, &step, reply_p);
}

/* The item a case is (re)accepted under: exists, takes cases, and suits the
 * requester. */
static sf_status_t
item_for_acceptance(sf_call_t *call, const char *item_code, Sifang__V1__RequesterKind requester_kind,
                    int64_t at_ms, Sifang__V1__CaseType case_type, PGresult **result_p)
{
    sf_params_t *params = SF_PARAMS(item_code, case_type);
    if (at_ms)
        sf_params_int(params, at_ms);
    else
        sf_params_null(params);
    sf_params_text(params, ((const intake_t *) sf_call_state(call))->config.timezone);
    /* An item without a limit of its own takes its case type's. */
    PGresult *result = sf_call_query(call,
        "SELECT i.category, i.routing, i.department_code, i.enterprise, i.active, i.provider_skill,"
        "       to_char(t.at AT TIME ZONE $4, 'YYYYMMDD'),"
        "       coalesce(" INTAKE_MS("CASE WHEN i.time_limit > 0 THEN intake_due(t.at, i.time_limit,"
        "                 i.time_limit_unit, $4) ELSE intake_due(t.at, y.time_limit, y.time_limit_unit, $4) END")
        ", 0)"
        "  FROM service_item i LEFT JOIN case_type y ON y.type = $2::smallint,"
        "       (SELECT coalesce(to_timestamp($3::bigint / 1000.0), now()) AS at) t"
        " WHERE i.code = $1", params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "item_code", "no service item %s", item_code);
    if (!sf_db_bool(result, 0, 4))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "item_code", "service item %s takes no new cases",
                              item_code);
    bool enterprise_item = sf_db_bool(result, 0, 3);
    bool enterprise = requester_kind == SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_ENTERPRISE;
    if (enterprise_item != enterprise)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "item_code", enterprise
                              ? "%s is not an enterprise item" : "%s is for enterprises only", item_code);
    if (sf_db_int(result, 0, 7) == 0)
        return sf_call_fail(call, SF_FAILED_PRECONDITION, "the working-day calendar ends before the case"
                            " would be due");
    *result_p = result;
    return SF_OK;
}

sf_status_t
intake_case_accept(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseAcceptRequest *accept = (const Sifang__V1__CaseAcceptRequest *) request;
    const intake_t *intake = sf_call_state(call);
    intake_step_case_t asked;
    sf_status_t status = step_begin(call, &ACCEPTING, accept->ref, accept->imported, &asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked.the_case;
    if (*accept->item_code)
        sf_call_check_text(call, "item_code", accept->item_code, 48, true);
    sf_call_check_note(call, "note", accept->note, 500, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const char *item_code = *accept->item_code ? accept->item_code : the_case->item_code;
    PGresult *item = NULL;
    status = item_for_acceptance(call, item_code, the_case->requester->kind, asked.at_ms, the_case->case_type,
                                 &item);
    if (status == SF_OK)
        status = intake_registration_may_accept(call, the_case, item_code);
    if (status != SF_OK)
        return status;
    int routing = (int) sf_db_int(item, 0, 1);
    Sifang__V1__CaseAssignee *assignee;
    status = intake_route(call, the_case->unit_code, routing, sf_db_text(item, 0, 2), &assignee);
    if (status != SF_OK)
        return status;
    bool dispatch = routing == SIFANG__V1__CASE_ROUTING__CASE_ROUTING_PROVIDER
                 && intake->config.use_volunteer && !asked.at_ms;
    intake_step_t step;
    step_prepare(&ACCEPTING, &asked,
                 *accept->note ? accept->note
                               : sf_call_printf(call, "accepted%s%s", assignee ? "; routed to " : "",
                                                assignee ? assignee->name : ""),
                 assignee ? CASE_STATUS(ASSIGNED) : CASE_STATUS(ACCEPTED), &step);
    sf_params_text(&step.params, intake_registration_number(call, intake->config.registration_prefix,
                                                            sf_db_text(item, 0, 6), the_case->id));
    sf_params_int(&step.params, sf_db_int(item, 0, 7));
    sf_params_text(&step.params, item_code);
    sf_params_int(&step.params, sf_db_int(item, 0, 0));
    sf_params_int(&step.params, assignee ? assignee->kind : 0);
    sf_params_text_or_null(&step.params, assignee ? assignee->code : "");
    sf_params_text(&step.params, assignee ? assignee->name : "");
    sf_params_text(&step.params, assignee ? assignee->route : "");
    sf_params_int(&step.params, dispatch ? SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_REQUESTED : 0);
    /* Routed at once: its first assignment; else the station dispatches. */
    if (assignee)
        step.set = intake_step_new_assignment(call, &step, step.set);
    step.set_waiting = true;
    step.waiting = assignee ? intake_waiting(call, assignee->kind, assignee->code, assignee->name, "assignee")
                            : intake_waiting(call, SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT,
                                             *the_case->community_code ? the_case->community_code
                                                                       : the_case->street_code, "", "dispatcher");
    return intake_step_reply(call, &step, reply_p);
}

/* Checks an assignee named by the caller against grid's copy. */
static sf_status_t
assignee_check(sf_call_t *call, const Sifang__V1__CaseAssignee *named, Sifang__V1__CaseAssignee **assignee_p)
{
    *assignee_p = NULL;
    if (!sf_call_check_text(call, "assignee.code", named->code, 64, true))
        return sf_call_status(call);
    const char *sql = NULL;
    const char *route = "assigned by hand";
    switch (named->kind) {
    case SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_DEPARTMENT:
        sql = "SELECT name FROM ref_department WHERE code = $1";
        break;
    case SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF:
        sql = "SELECT name FROM ref_staff WHERE id = $1 AND active";
        break;
    case SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT:
        if (!sf_call_covers(call, named->code))
            return sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside your scope", named->code);
        sql = "SELECT name FROM ref_unit WHERE code = $1";
        break;
    default:
        sf_call_violation(call, "assignee.kind", "must be a department, a staff member or an org unit");
        return sf_call_status(call);
    }
    PGresult *result = sf_call_query(call, sql, SF_PARAMS(named->code));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "assignee.code",
                              "%s is not known from grid", named->code);
    Sifang__V1__CaseAssignee *assignee = (Sifang__V1__CaseAssignee *)
        sf_call_new_message(call, &sifang__v1__case_assignee__descriptor);
    assignee->kind = named->kind;
    assignee->code = named->code;
    assignee->name = (char *) sf_db_text(result, 0, 0);
    assignee->route = (char *) route;
    *assignee_p = assignee;
    return SF_OK;
}

sf_status_t
intake_case_assign(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseAssignRequest *assign = (const Sifang__V1__CaseAssignRequest *) request;
    intake_step_case_t asked;
    sf_status_t status = step_begin(call, &ASSIGNING, assign->ref, assign->imported, &asked);
    if (status != SF_OK)
        return status;
    if (!sf_call_check_note(call, "note", assign->note, 500, false))
        return sf_call_status(call);
    /* A no-owner case (无头事项) is assigned by the level above's decision. */
    const char *decided_by = NULL;
    if (asked.the_case->no_owner && asked.the_case->status == CASE_STATUS(ACCEPTED)) {
        decided_by = intake_level_above(call, asked.the_case);
        if (!sf_call_may_write(call, decided_by))
            return sf_call_fail(call, SF_PERMISSION_DENIED, "case %lld is a no-owner case: %s assigns it by"
                                " decision", (long long) asked.the_case->id, decided_by);
        if (!assign->assignee || !assign->assignee->kind)
            return sf_call_refuse(call, SF_INVALID_ARGUMENT, "assignee", "a no-owner case is assigned by decision"
                                  " to a named handler, not routed again");
    }
    Sifang__V1__CaseAssignee *assignee = NULL;
    if (assign->assignee && assign->assignee->kind)
        status = assignee_check(call, assign->assignee, &assignee);
    else
        status = intake_route(call, asked.the_case->unit_code, asked.extra.item_routing,
                              asked.extra.department_code, &assignee);
    if (status != SF_OK)
        return status;
    if (!assignee)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "assignee", "no handler found for unit %s",
                              asked.the_case->unit_code);
    intake_step_t step;
    step_prepare(&ASSIGNING, &asked,
                 *assign->note ? assign->note
                               : sf_call_printf(call, "assigned to %s (%s)%s", assignee->name, assignee->route,
                                                decided_by ? "; a no-owner case, by decision" : ""),
                 ASSIGNING.to, &step);
    if (decided_by)
        assignee->route = "assigned by decision (no-owner case)";
    sf_params_int(&step.params, assignee->kind);
    sf_params_text(&step.params, assignee->code);
    sf_params_text(&step.params, assignee->name);
    sf_params_text(&step.params, assignee->route);
    step.set = intake_step_new_assignment(call, &step, step.set);
    step.set_waiting = true;
    step.waiting = intake_waiting(call, assignee->kind, assignee->code, assignee->name, "assignee");
    return intake_step_reply(call, &step, reply_p);
}

sf_status_t
intake_case_start(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseStepRequest *start = (const Sifang__V1__CaseStepRequest *) request;
    return step_take(call, &STARTING, start->ref, start->imported, "note", start->note, 500, false, reply_p);
}

/* Who makes the return visit (回访): the first responder, else the station. */
Sifang__V1__CaseAssignee *
intake_return_visitor(sf_call_t *call, const Sifang__V1__Case *the_case)
{
    if (*the_case->first_responder_id)
        return intake_waiting(call, SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF, the_case->first_responder_id,
                              the_case->first_responder_name, "return visit");
    const char *station = *the_case->community_code ? the_case->community_code : the_case->street_code;
    return intake_waiting(call, SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT, station, "", "return visit");
}

sf_status_t
intake_case_resolve(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseResolveRequest *resolve = (const Sifang__V1__CaseResolveRequest *) request;
    intake_step_case_t asked;
    sf_status_t status = step_begin(call, &RESOLVING, resolve->ref, resolve->imported, &asked);
    if (status != SF_OK)
        return status;
    /* 牵头/协办: the lead answers for the whole case, so not before every
     * co-handler has answered its part. */
    if (asked.the_case->cohandler_tasks_open > 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld has %d co-handler task%s still"
                              " open; the lead resolves it once every co-handler has answered",
                              (long long) asked.the_case->id, asked.the_case->cohandler_tasks_open,
                              asked.the_case->cohandler_tasks_open == 1 ? "" : "s");
    if (!sf_call_check_note(call, "resolution", resolve->resolution, 1000, true))
        return sf_call_status(call);
    /* Resolving a registration is its approval: it goes to the service
     * that owns it (intake_registration.h), which follows this step. */
    if ((status = intake_registration_send(call, asked.the_case)) != SF_OK)
        return status;
    /* 审核: a type whose replies are reviewed waits for the unit's reviewer
     * (an imported register's too: its review is imported as a step). */
    PGresult *type = sf_call_query(call, "SELECT review_required FROM case_type WHERE type = $1",
                                   SF_PARAMS(asked.the_case->case_type));
    if (!type)
        return sf_call_status(call);
    bool review = PQntuples(type) == 1 && sf_db_bool(type, 0, 0);
    intake_step_t step;
    step_prepare(&RESOLVING, &asked, resolve->resolution, RESOLVING.to, &step);
    SF_PARAMS_ADD(&step.params, sf_param_bool(review));
    step.also = intake_stage_met_late(SIFANG__V1__CASE_STAGE__CASE_STAGE_COMPLETION);
    step.set_waiting = true;
    /* The reviewer is who grid names for the unit, not its writer
     * (intake_orders.c). */
    const char *review_unit;
    step.waiting = review ? intake_reviewer_of(call, asked.the_case, asked.actor, &review_unit)
                          : intake_return_visitor(call, asked.the_case);
    if (!step.waiting)
        return sf_call_status(call);
    return intake_step_reply(call, &step, reply_p);
}

sf_status_t
intake_case_close(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseCloseRequest *close = (const Sifang__V1__CaseCloseRequest *) request;
    intake_step_case_t asked;
    sf_status_t status = step_begin(call, &CLOSING, close->ref, close->imported, &asked);
    if (status == SF_OK)
        status = intake_registration_may_close(call, asked.the_case);
    if (status != SF_OK)
        return status;
    /* 审核 before 回访: the reply is signed by the unit's reviewer first. */
    if (asked.the_case->review
        && asked.the_case->review->state == SIFANG__V1__CASE_REVIEW_STATE__CASE_REVIEW_STATE_PENDING)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld's reply awaits its review (审核)"
                              " before the return visit", (long long) asked.the_case->id);
    if (close->satisfaction < 1 || close->satisfaction > 5)
        sf_call_violation(call, "satisfaction", "must be 1 (very dissatisfied) to 5 (very satisfied)");
    else
        sf_call_check_note(call, "note", close->note, 500, close->satisfaction <= 2);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    /* 零误差: a return visit of 1 or 2 reopens the case for rework instead
     * (intake_follow.c); an earlier system's register keeps its closure. */
    if (close->satisfaction <= 2 && !asked.at_ms)
        return intake_case_rework(call, &asked, close->satisfaction, close->note, reply_p);
    intake_step_t step;
    step_prepare(&CLOSING, &asked,
                 *close->note ? close->note
                              : sf_call_printf(call, "return visit: satisfaction %d", close->satisfaction),
                 CLOSING.to, &step);
    sf_params_int(&step.params, close->satisfaction);
    step.set_waiting = true;
    step.waiting = NULL;
    return intake_step_reply(call, &step, reply_p);
}

sf_status_t
intake_case_reject(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseRejectRequest *reject = (const Sifang__V1__CaseRejectRequest *) request;
    return step_take(call, &REJECTING, reject->ref, reject->imported, "reason", reject->reason, 500, true,
                     reply_p);
}

sf_status_t
intake_case_transfer(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseTransferRequest *transfer = (const Sifang__V1__CaseTransferRequest *) request;
    intake_step_case_t asked;
    sf_status_t status = step_begin(call, &TRANSFERRING, transfer->ref, transfer->imported, &asked);
    if (status != SF_OK)
        return status;
    sf_call_check_text(call, "transferred_to", transfer->transferred_to, 100, true);
    sf_call_check_note(call, "reason", transfer->reason, 500, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    intake_step_t step;
    step_prepare(&TRANSFERRING, &asked, transfer->reason, TRANSFERRING.to, &step);
    sf_params_text(&step.params, transfer->transferred_to);
    step.set_waiting = true;
    step.waiting = NULL;
    return intake_step_reply(call, &step, reply_p);
}
