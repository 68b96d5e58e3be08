/* The 15-minute life service circle, intake's side: dispatching a
 * convenience case to a provider (one the station names, or the volunteer
 * registry's best match, asked by the peers thread), recording the
 * provider's answer, and applying what the peers thread learned from the
 * registry (its offers and its "dispatch.*" events) to the cases. */
#include "intake.h"
#include "sf_log.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISPATCH(name) SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_##name
#define CASE_ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name
#define CASE_STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define INBOX_BATCH 100
#define REGISTRY_ACTOR "volunteer"

/* A dispatch that may be (re)made: none yet, or one that ended. */
static bool
dispatch_may_start(Sifang__V1__CaseDispatchState state)
{
    return state == 0 || state == DISPATCH(DECLINED) || state == DISPATCH(UNMATCHED)
        || state == DISPATCH(CANCELLED) || state == DISPATCH(COMPLETED);
}

static const char *
dispatch_state_name(Sifang__V1__CaseDispatchState state)
{
    static const char *const names[] = { "not dispatched", "requested", "offered", "accepted", "declined",
                                         "unmatched", "completed", "cancelling", "cancelled" };
    return (unsigned) state < sizeof names / sizeof *names ? names[state] : "unknown";
}

sf_status_t
intake_case_dispatch(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseDispatchRequest *dispatch = (const Sifang__V1__CaseDispatchRequest *) request;
    bool named = dispatch->provider_kind != 0;
    /* What finds the case first, then the case's state, then the rest of
     * the request: a case in the wrong state is told so first. */
    intake_step_case_t asked;
    sf_status_t status = intake_step_begin(call, dispatch->ref, dispatch->imported, &asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked.the_case;
    if (the_case->status != CASE_STATUS(ACCEPTED) && the_case->status != CASE_STATUS(ASSIGNED)
        && the_case->status != CASE_STATUS(IN_PROGRESS))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is %s; only an accepted case is"
                              " dispatched", (long long) the_case->id, intake_status_name(the_case->status));
    if (asked.extra.item_routing != SIFANG__V1__CASE_ROUTING__CASE_ROUTING_PROVIDER)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "%s is not dispatched to providers",
                              the_case->item_code);
    Sifang__V1__CaseDispatchState state = the_case->dispatch ? the_case->dispatch->state : 0;
    if (!dispatch_may_start(state))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is already dispatched (%s)",
                              (long long) the_case->id, dispatch_state_name(state));
    if (dispatch->provider_kind < 0 || dispatch->provider_kind > SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_BUSINESS)
        sf_call_violation(call, "provider_kind", "must be volunteer, team or business");
    sf_call_check_text(call, "provider_id", dispatch->provider_id, 64, false);
    sf_call_check_text(call, "provider_name", dispatch->provider_name, 100, named);
    sf_call_check_note(call, "note", dispatch->note, 500, false);
    if (!named && (*dispatch->provider_id || *dispatch->provider_name))
        sf_call_violation(call, "provider_kind", "is required when a provider is named");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!named && !((const intake_t *) sf_call_state(call))->config.use_volunteer)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "provider_kind",
                              "name the provider: the volunteer registry is not in use here (SIFANG_INTAKE_VOLUNTEER)");
    intake_step_t step;
    if (named) {
        intake_step_init(&step, the_case->id, CASE_ACTION(DISPATCHED), the_case->status, asked.actor, asked.at_ms,
                         *dispatch->note ? dispatch->note
                                         : sf_call_printf(call, "offered to %s", dispatch->provider_name),
                         "dispatch_state = 2, provider_kind = $7, provider_id = $8, provider_name = $9,"
                         " volunteer_dispatch_id = '', volunteer_version = 0, dispatch_note = '',"
                         " dispatch_attempt = c.dispatch_attempt + 1, dispatch_requested_at = t.at,"
                         " dispatch_answered_at = NULL, dispatch_timed_out = false");
        sf_params_int(&step.params, dispatch->provider_kind);
        sf_params_text(&step.params, dispatch->provider_id);
        sf_params_text(&step.params, dispatch->provider_name);
    } else
        intake_step_init(&step, the_case->id, CASE_ACTION(DISPATCHED), the_case->status, asked.actor, asked.at_ms,
                         *dispatch->note ? dispatch->note : "the volunteer registry is asked for a provider",
                         "dispatch_state = 1, provider_kind = 0, provider_id = '', provider_name = '',"
                         " volunteer_dispatch_id = '', volunteer_version = 0, dispatch_note = '',"
                         " dispatch_attempt = c.dispatch_attempt + 1, dispatch_requested_at = t.at,"
                         " dispatch_answered_at = NULL, dispatch_timed_out = false");
    return intake_step_reply(call, &step, reply_p);
}

sf_status_t
intake_case_dispatch_answer(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseDispatchAnswerRequest *answer = (const Sifang__V1__CaseDispatchAnswerRequest *) request;
    intake_step_case_t asked;
    sf_status_t status = intake_step_begin(call, answer->ref, answer->imported, &asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked.the_case;
    const char *actor = asked.actor;
    int64_t at_ms = asked.at_ms;
    Sifang__V1__CaseDispatch *dispatch = the_case->dispatch;
    Sifang__V1__CaseDispatchState state = dispatch ? dispatch->state : 0;
    if (dispatch && *dispatch->volunteer_dispatch_id)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "the volunteer registry made this offer:"
                              " the provider answers dispatch %s there", dispatch->volunteer_dispatch_id);
    /* The dispatch's state before the note: a dispatch in the wrong state
     * is told so first. */
    if (answer->completed && state != DISPATCH(ACCEPTED))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "completed", "the dispatch is %s; only an accepted"
                              " dispatch is completed", dispatch_state_name(state));
    if (!answer->completed && state != DISPATCH(OFFERED))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "accepted", "the dispatch is %s; only an offered"
                              " dispatch is answered", dispatch_state_name(state));
    if (!sf_call_check_note(call, "note", answer->note, 500, !answer->accepted && !answer->completed))
        return sf_call_status(call);
    intake_step_t step;
    if (answer->completed) {
        const char *resolution = sf_call_printf(call, "served by %s%s%s", dispatch->provider_name,
                                                *answer->note ? ": " : "", answer->note);
        intake_step_init(&step, the_case->id, CASE_ACTION(PROVIDER_COMPLETED), the_case->status, actor, at_ms,
                         resolution,
                         "dispatch_state = 6, dispatch_answered_at = t.at, dispatch_timed_out = false,"
                         " status = CASE WHEN c.status <= 4 THEN 5 ELSE c.status END,"
                         " resolution = CASE WHEN c.status <= 4 THEN $6 ELSE c.resolution END,"
                         " resolved_at = CASE WHEN c.status <= 4 THEN t.at ELSE c.resolved_at END,"
                         " overdue = c.overdue OR (c.status <= 4 AND c.due_at IS NOT NULL AND t.at > c.due_at)");
    } else {
        if (answer->accepted)
            intake_step_init(&step, the_case->id, CASE_ACTION(PROVIDER_ACCEPTED), the_case->status, actor,
                             at_ms, *answer->note ? answer->note
                                                  : sf_call_printf(call, "%s accepted", dispatch->provider_name),
                             "dispatch_state = 3, dispatch_answered_at = t.at, dispatch_timed_out = false,"
                             " status = CASE WHEN c.status IN (2, 3) THEN 4 ELSE c.status END");
        else
            intake_step_init(&step, the_case->id, CASE_ACTION(PROVIDER_DECLINED), the_case->status, actor,
                             at_ms, answer->note,
                             "dispatch_state = 4, dispatch_answered_at = t.at, dispatch_note = $6,"
                             " dispatch_timed_out = false");
    }
    return intake_step_reply(call, &step, reply_p);
}

/* --- the inbox -------------------------------------------------------------------- */

/* Applies the registry's view of a dispatch (its offer's reply or one of
 * its events) to the case. Stale views (an older version of the same
 * dispatch) change nothing. */
static sf_status_t
apply_registry_dispatch(sf_call_t *call, Sifang__V1__Case *the_case, const intake_case_extra_t *extra,
                        const Sifang__V1__VolunteerDispatch *registry, int attempt, const char *event_type)
{
    Sifang__V1__CaseDispatch *dispatch = the_case->dispatch;
    Sifang__V1__CaseDispatchState state = dispatch ? dispatch->state : 0;
    bool same = dispatch && strcmp(dispatch->volunteer_dispatch_id, registry->id) == 0;
    if (same && registry->version <= extra->volunteer_version)
        return SF_OK;
    if (!same && !(state == DISPATCH(REQUESTED) && attempt == dispatch->attempt)) {
        /* An offer for a request since withdrawn or superseded: the case no
         * longer wants it; the registry's dispatch is cancelled. */
        if (registry->status == SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_OFFERED
            || registry->status == SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_ACCEPTED) {
            if (state == DISPATCH(CANCELLING) || state == DISPATCH(CANCELLED) || !intake_status_open(the_case->status)
                || (state != DISPATCH(REQUESTED) && state != 0)) {
                intake_step_t step;
                intake_step_init(&step, the_case->id, CASE_ACTION(DISPATCH_CANCELLED), the_case->status,
                                 REGISTRY_ACTOR, 0, "the registry's late offer is withdrawn: the case no longer needs it",
                                 "dispatch_state = 7, volunteer_dispatch_id = $7, volunteer_version = $8");
                sf_params_text(&step.params, registry->id);
                sf_params_int(&step.params, registry->version);
                Sifang__V1__Case *updated;
                return intake_step_run(call, &step, &updated);
            }
        }
        return SF_OK;
    }
    /* The registry's assignee as the case names its provider: a volunteer,
     * a team, or one of the circle's providers (a business or social
     * organisation: BUSINESS, by its registry id). */
    bool team = registry->assignee_kind == SIFANG__V1__DISPATCH_ASSIGNEE_KIND__DISPATCH_ASSIGNEE_KIND_TEAM;
    bool firm = registry->assignee_kind == SIFANG__V1__DISPATCH_ASSIGNEE_KIND__DISPATCH_ASSIGNEE_KIND_PROVIDER;
    const char *provider_id = firm ? registry->provider_id : team ? registry->team_id : registry->volunteer_id;
    int provider_kind = firm ? SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_BUSINESS
                      : team ? SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_TEAM
                             : SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_VOLUNTEER;
    /* The registry's offer sweep moved the dispatch on: its assignee did
     * not answer in time (the event's payload is the dispatch after it,
     * offered to the next one or back with the desk). */
    bool timed_out = strcmp(event_type, "dispatch.timed_out") == 0;
    intake_step_t step;
    Sifang__V1__Case *updated;
    sf_status_t status;
    switch (registry->status) {
    case SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_OFFERED:
        if (state == DISPATCH(CANCELLING) || state == DISPATCH(CANCELLED))
            return SF_OK;
        if (same && (strcmp(event_type, "dispatch.declined") == 0 || timed_out)) {
            /* Declined, or not answered in time, and offered to the next
             * candidate at once: both are steps of the case. A time-out is
             * no answer: the step says so (dispatch_timed_out, and its note
             * "... did not answer in time"), and so do its notices. */
            intake_step_init(&step, the_case->id, CASE_ACTION(PROVIDER_DECLINED), the_case->status,
                             REGISTRY_ACTOR, 0,
                             timed_out ? sf_call_printf(call, "%s", registry->note)
                                       : sf_call_printf(call, "%s declined%s%s", dispatch->provider_name,
                                                        *registry->note ? ": " : "", registry->note),
                             "dispatch_note = $6, dispatch_answered_at = t.at, dispatch_timed_out = $7");
            sf_params_bool(&step.params, timed_out);
            status = intake_step_run(call, &step, &updated);
            if (status != SF_OK)
                return status;
            the_case->status = updated->status;
        }
        intake_step_init(&step, the_case->id, CASE_ACTION(DISPATCHED), the_case->status, REGISTRY_ACTOR, 0,
                         sf_call_printf(call, "offered to %s by the volunteer registry (dispatch %s, %.1f km%s)",
                                       registry->assignee_name, registry->id, registry->distance_km,
                                       registry->n_declined_by ? ", after a decline" : ""),
                         "dispatch_state = 2, provider_kind = $7, provider_id = $8, provider_name = $9,"
                         " volunteer_dispatch_id = $10, volunteer_version = $11, dispatch_note = '',"
                         " dispatch_answered_at = NULL, dispatch_timed_out = false");
        sf_params_int(&step.params, provider_kind);
        sf_params_text(&step.params, provider_id);
        sf_params_text(&step.params, registry->assignee_name);
        sf_params_text(&step.params, registry->id);
        sf_params_int(&step.params, registry->version);
        return intake_step_run(call, &step, &updated);
    case SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_ACCEPTED:
        if (state == DISPATCH(CANCELLING) || state == DISPATCH(CANCELLED))
            return SF_OK;
        intake_step_init(&step, the_case->id, CASE_ACTION(PROVIDER_ACCEPTED), the_case->status, REGISTRY_ACTOR,
                         0, sf_call_printf(call, "%s accepted dispatch %s", registry->assignee_name, registry->id),
                         "dispatch_state = 3, dispatch_answered_at = t.at, volunteer_version = $7,"
                         " provider_id = $8, provider_name = $9, dispatch_timed_out = false,"
                         " status = CASE WHEN c.status IN (2, 3) THEN 4 ELSE c.status END");
        sf_params_int(&step.params, registry->version);
        sf_params_text(&step.params, provider_id);
        sf_params_text(&step.params, registry->assignee_name);
        return intake_step_run(call, &step, &updated);
    case SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_DECLINED:
        /* Back with the desk: the refusals and time-outs used up the
         * registry's attempts, or no one else could be asked. The step is
         * the case's PROVIDER_DECLINED (dispatch state DECLINED: the desk
         * may dispatch it again), its note saying it came back. */
        intake_step_init(&step, the_case->id, CASE_ACTION(PROVIDER_DECLINED), the_case->status, REGISTRY_ACTOR,
                         0, registry->returned_to_desk
                             ? sf_call_printf(call, "returned to the desk after %zu refusals or time-outs%s%s",
                                              registry->n_declined_by, *registry->note ? "; the last: " : "",
                                              registry->note)
                             : sf_call_printf(call, "declined%s%s; no one else was offered",
                                              *registry->note ? ": " : "", registry->note),
                         "dispatch_state = 4, dispatch_answered_at = t.at, volunteer_version = $7, dispatch_note = $6,"
                         " dispatch_timed_out = $8");
        sf_params_int(&step.params, registry->version);
        sf_params_bool(&step.params, timed_out);
        return intake_step_run(call, &step, &updated);
    case SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_COMPLETED:
        intake_step_init(&step, the_case->id, CASE_ACTION(PROVIDER_COMPLETED), the_case->status, REGISTRY_ACTOR,
                         0, sf_call_printf(call, "served by %s%s%s", registry->assignee_name,
                                          *registry->note ? ": " : "", registry->note),
                         "dispatch_state = 6, dispatch_answered_at = t.at, volunteer_version = $7,"
                         " dispatch_timed_out = false, status = CASE WHEN c.status <= 4 THEN 5 ELSE c.status END,"
                         " resolution = CASE WHEN c.status <= 4 THEN $6 ELSE c.resolution END,"
                         " resolved_at = CASE WHEN c.status <= 4 THEN t.at ELSE c.resolved_at END,"
                         " overdue = c.overdue OR (c.status <= 4 AND c.due_at IS NOT NULL AND t.at > c.due_at)");
        sf_params_int(&step.params, registry->version);
        return intake_step_run(call, &step, &updated);
    case SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_CANCELLED:
        intake_step_init(&step, the_case->id, CASE_ACTION(DISPATCH_CANCELLED), the_case->status, REGISTRY_ACTOR,
                         0, sf_call_printf(call, "dispatch %s cancelled%s%s", registry->id,
                                          *registry->note ? ": " : "", registry->note),
                         "dispatch_state = 8, volunteer_version = $7");
        sf_params_int(&step.params, registry->version);
        return intake_step_run(call, &step, &updated);
    default:
        return SF_OK;
    }
}

/* One inbox row: 1 the registry's dispatch, 2 no provider was found,
 * 3 the registry refused to cancel (its dispatch had ended). */
static sf_status_t
apply_inbox_row(sf_call_t *call, int64_t case_id, int attempt, int kind, const PGresult *result, int row)
{
    Sifang__V1__Case *the_case;
    intake_case_extra_t extra;
    sf_status_t status = intake_case_load_id(call, case_id, true, &the_case, &extra);
    if (status != SF_OK || !the_case)
        return status;
    Sifang__V1__CaseDispatchState state = the_case->dispatch ? the_case->dispatch->state : 0;
    intake_step_t step;
    Sifang__V1__Case *updated;
    if (kind == 1) {
        size_t size = 0;
        unsigned char *bytes = PQunescapeBytea((const unsigned char *) sf_db_text(result, row, 4), &size);
        Sifang__V1__VolunteerDispatch *registry = bytes
            ? sifang__v1__volunteer_dispatch__unpack(NULL, size, bytes) : NULL;
        PQfreemem(bytes);
        if (!registry)
            return sf_call_refuse(call, SF_DATA_LOSS, "dispatch", "the registry's dispatch does not decode");
        status = apply_registry_dispatch(call, the_case, &extra, registry, attempt, sf_db_text(result, row, 5));
        protobuf_c_message_free_unpacked(&registry->base, NULL);
        return status;
    }
    if (kind == 2 && state == DISPATCH(REQUESTED) && the_case->dispatch->attempt == attempt) {
        intake_step_init(&step, case_id, CASE_ACTION(DISPATCH_UNMATCHED), the_case->status, "intake-dispatcher", 0,
                         sf_call_printf(call, "no provider found: %s", sf_db_text(result, row, 5)),
                         "dispatch_state = 5, dispatch_note = $6, dispatch_answered_at = t.at");
        return intake_step_run(call, &step, &updated);
    }
    if (kind == 3 && state == DISPATCH(CANCELLING)) {
        intake_step_init(&step, case_id, CASE_ACTION(DISPATCH_CANCELLED), the_case->status, "intake-dispatcher", 0,
                         sf_call_printf(call, "the registry's dispatch had already ended: %s", sf_db_text(result, row, 5)),
                         "dispatch_state = 8");
        return intake_step_run(call, &step, &updated);
    }
    return SF_OK;
}

/* An inbox row that could not be applied, kept with why
 * (dispatch_inbox_dropped) in the transaction that took it. */
static bool
keep_dropped(sf_call_t *call, const PGresult *rows, int row, sf_status_t status, const char *reason)
{
    sf_params_t *params = SF_PARAMS(sf_db_int(rows, row, 0), sf_db_int(rows, row, 1), sf_db_int(rows, row, 2),
                                    sf_db_int(rows, row, 3));
    if (sf_db_is_null(rows, row, 4))
        sf_params_null(params);
    else
        sf_params_text(params, sf_db_text(rows, row, 4));   /* bytea's text form, as read */
    SF_PARAMS_ADD(params, sf_db_text(rows, row, 5), sf_db_text(rows, row, 6), sf_status_name(status), reason);
    return sf_call_query(call,
        "INSERT INTO dispatch_inbox_dropped (id, case_id, attempt, kind, dispatch, message, received_at, status, reason)"
        " VALUES ($1, $2, $3, $4, $5::bytea, $6, $7::timestamptz, $8, $9)", params) != NULL;
}

int
intake_dispatch_apply_inbox(sf_call_t *call)
{
    if (!sf_server_ready(sf_call_server(call)))
        return -1;
    sf_db_t *db = sf_call_db(call);
    /* Cheap when empty, which is nearly always. */
    PGresult *peek = sf_db_query(db, "SELECT EXISTS (SELECT 1 FROM dispatch_inbox)", NULL);
    bool waiting = sf_db_result_ok(peek) && sf_db_bool(peek, 0, 0);
    PQclear(peek);
    if (!waiting)
        return 0;
    if (!sf_db_begin(db))
        return -1;
    sf_call_act_as(call, REGISTRY_ACTOR);
    /* Applied in the order received. */
    PGresult *rows = sf_call_query(call,
        "WITH taken AS (DELETE FROM dispatch_inbox WHERE id IN (SELECT id FROM dispatch_inbox ORDER BY id LIMIT $1)"
        " RETURNING id, case_id, attempt, kind, dispatch, message, received_at)"
        " SELECT id, case_id, attempt, kind, dispatch, message, received_at FROM taken ORDER BY id",
        SF_PARAMS(INBOX_BATCH));
    bool ok = rows != NULL;
    int n = ok ? PQntuples(rows) : 0;
    for (int row = 0; ok && row < n; row++) {
        /* A row that cannot apply (a bug, a case gone) must not block the
         * ones after it: it rolls back alone and is kept aside with why. */
        size_t events = sf_call_events_mark(call);
        ok = sf_db_command(db, "SAVEPOINT inbox_row");
        sf_call_clear_failure(call);   /* the row before's refusal is not this one's */
        sf_status_t status = ok ? apply_inbox_row(call, sf_db_int(rows, row, 1), (int) sf_db_int(rows, row, 2),
                                                  (int) sf_db_int(rows, row, 3), rows, row)
                                : SF_UNAVAILABLE;
        if (status == SF_OK)
            ok = sf_db_command(db, "RELEASE SAVEPOINT inbox_row");
        else if (status == SF_UNAVAILABLE || !sf_db_is_up(db))
            ok = false;
        else {
            const char *reason = sf_call_strdup(call, sf_call_message(call));
            sf_warn("dispatch inbox row not applied; kept in dispatch_inbox_dropped", "case",
                    sf_db_text(rows, row, 1), "status", sf_status_name(status), "reason", reason);
            ok = sf_db_command(db, "ROLLBACK TO SAVEPOINT inbox_row")
              && sf_db_command(db, "RELEASE SAVEPOINT inbox_row");
            sf_call_events_undo(call, events);   /* the row's steps never happened */
            sf_call_clear_failure(call);
            ok = ok && keep_dropped(call, rows, row, status, reason);
        }
    }
    /* The commit announces the events: followers hear of them now, not at
     * the next batch. */
    int64_t head = -1;
    if (ok && sf_call_commit(call, &head))
        return n;
    sf_db_rollback(db);
    return -1;
}
