/* Intake's events: every "case.<action>" carries the whole case, so each
 * event is compared with what evaluation last knew of the case and counts
 * only the difference. Received on the day received; closed (after the
 * return visit) on the day closed, on time when resolved by the due time, by
 * the first responder when the closing step was theirs (the retired KPI's
 * fact); open and past-due levels rise and fall at the step that changed
 * them; reworks and complaints at the step that reopened the case; missed
 * deadlines and the first responder's follow-up of each within a working
 * day in the period of the miss; each stage's lateness against the tier that
 * held the case when it fell due (evaluation_stages.c); answers given and
 * reopened against the unit of who gave them (evaluation_rework.c). */
#include "evaluation.h"
#include "sf_log.h"
#include "sifang/v1/intake.pb-c.h"
#include <string.h>

bool eval_intake_mapped(void) { return true; }

static bool
status_open(Sifang__V1__CaseStatus status)
{
    return status >= SIFANG__V1__CASE_STATUS__CASE_STATUS_RECEIVED
        && status <= SIFANG__V1__CASE_STATUS__CASE_STATUS_IN_PROGRESS;
}

/* When the step a transition not believed happened, from the case's
 * own times: a step whose status has a time of its own (received, resolved,
 * closed) at that time, any other when the event occurred. The last
 * resort, for a case intake no longer knows. */
static int64_t
step_time_from_case(const Sifang__V1__Case *c, const Sifang__V1__Event *event)
{
    int64_t at = 0;
    switch (c->status) {
    case SIFANG__V1__CASE_STATUS__CASE_STATUS_RECEIVED: at = c->received_unix_ms; break;
    case SIFANG__V1__CASE_STATUS__CASE_STATUS_RESOLVED: at = c->resolved_unix_ms; break;
    case SIFANG__V1__CASE_STATUS__CASE_STATUS_CLOSED: at = c->closed_unix_ms; break;
    default: break;
    }
    if (c->version == 1 && c->received_unix_ms)
        at = c->received_unix_ms;
    return at ? at : event->occurred_unix_ms;
}

/* When the step that produced the event happened. Its transition is the
 * case's latest step only when its seq is the case's version: intake's
 * events written before it read its case columns by name carry a
 * transition read from the wrong columns (seq from the household code, the
 * time 0 or a small number), so such a transition is not believed. The
 * step's time is then asked of intake: its audit row for the case's version
 * (CaseHistory). Neither the case's own times nor the time the event
 * occurred can tell it: a rejection, transfer or start has no time in the
 * case, and an imported (backdated) step occurred when it was imported,
 * months after it happened. A source that does not answer fails the event
 * (UNAVAILABLE: the follower tries the page again later); one that answers
 * without the step (a case it no longer knows, a refusal) leaves the case's
 * own times, with a warning. */
static sf_status_t
step_time(eval_source_t *source, const Sifang__V1__Case *c, const Sifang__V1__Event *event, int64_t *at_p)
{
    const Sifang__V1__CaseTransition *t = c->last_transition;
    if (t && t->seq == c->version && t->at_unix_ms > 0) {
        *at_p = t->at_unix_ms;
        return SF_OK;
    }
    *at_p = step_time_from_case(c, event);
    if (!source->reader)
        return SF_OK;
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = c->id;
    Sifang__V1__CaseHistoryReply *history = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(source->reader, "CaseHistory", NULL, &ref.base,
                                        &sifang__v1__case_history_reply__descriptor, (ProtobufCMessage **) &history,
                                        &info);
    if (status == SF_UNAVAILABLE || status == SF_DEADLINE_EXCEEDED)
        return SF_UNAVAILABLE;
    bool found = false;
    for (size_t i = 0; status == SF_OK && i < history->n_transitions && !found; i++)
        if (history->transitions[i]->seq == c->version) {
            *at_p = history->transitions[i]->at_unix_ms;
            found = true;
        }
    if (!found)
        sf_warn("a case step's time not found in the source's history; the case's own times are used",
                "source", source->name, "key", event->key, "status", sf_status_name(status));
    if (history)
        protobuf_c_message_free_unpacked(&history->base, NULL);
    return SF_OK;
}

sf_status_t
eval_intake_apply(eval_source_t *source, sf_db_t *db, const Sifang__V1__Event *event)
{
    if (strncmp(event->type, "case.", 5) != 0 || strcmp(event->payload_type, "sifang.v1.Case") != 0)
        return SF_OK;
    /* Decoded before anything is written: one that does not decode is
     * recorded and passed over (sf_follower.h), never retried for ever. */
    Sifang__V1__Case *c = sifang__v1__case__unpack(NULL, event->payload.len, event->payload.data);
    if (!c)
        return SF_DATA_LOSS;
    bool open = status_open(c->status);
    bool backlog = open && c->overdue;
    bool closed = c->status == SIFANG__V1__CASE_STATUS__CASE_STATUS_CLOSED;
    sf_params_t *params = SF_PARAMS(event->source, c->id);
    PGresult *result = sf_db_query(db,
        "SELECT unit_code, open, backlog, closed, reworks, complaints, missed_ms, followed_up,"
        "       array_to_string(stages_counted, ' '), first_responder, received_month, resolver, resolved_ms,"
        "       handled_by, closed_month, handled_on_time, satisfaction, handling_ms"
        "  FROM intake_case WHERE source = $1 AND id = $2 FOR UPDATE",
        params);
    sf_status_t status = sf_db_result_ok(result) ? SF_OK : sf_db_status(result);
    bool known = status == SF_OK && PQntuples(result) == 1;
    char unit[20] = "";
    bool was_open = false, was_backlog = false, was_closed = false;
    /* The follow-through, as last known: reworks and complaints so far, the
     * latest missed deadline and whether it was followed up in time. */
    int64_t was_reworks = 0, was_complaints = 0, was_missed = 0;
    bool was_followed = false;
    /* The stages already counted (evaluation_stages.c), so that an event
     * showing them again costs no statement; written back with the row. */
    sf_textbuf_t stages_counted;
    sf_textbuf_init(&stages_counted);
    /* The people in it (evaluation_people.c): who registered, resolved and
     * handled it. */
    eval_case_people_t people;
    eval_case_people_read(&people, known ? result : NULL, 9);
    if (known) {
        snprintf(unit, sizeof unit, "%s", sf_db_text(result, 0, 0));
        was_open = sf_db_bool(result, 0, 1);
        was_backlog = sf_db_bool(result, 0, 2);
        was_closed = sf_db_bool(result, 0, 3);
        was_reworks = sf_db_int(result, 0, 4);
        was_complaints = sf_db_int(result, 0, 5);
        was_missed = sf_db_int(result, 0, 6);
        was_followed = sf_db_bool(result, 0, 7);
        sf_textbuf_put(&stages_counted, sf_db_text(result, 0, 8));
    }
    PQclear(result);
    /* The step's time, needed only when it moves a level (or a case lacks
     * its own time): asking intake for it costs a round trip. */
    int64_t at = 0;
    bool moves = open != was_open || backlog != was_backlog;
    int64_t reworked = c->rework_count > was_reworks ? c->rework_count - was_reworks : 0;
    int64_t complained = c->complaint_count > was_complaints ? c->complaint_count - was_complaints : 0;
    if (status == SF_OK && (moves || reworked || complained || !c->received_unix_ms || (closed && !was_closed && !c->closed_unix_ms)))
        status = step_time(source, c, event, &at);
    if (status != SF_OK)
        goto done;
    if (!known) {
        /* First sight of a case: it was received, whatever step we see. */
        snprintf(unit, sizeof unit, "%s", c->unit_code);
        char ancestors[4][16];
        if (eval_unit_ancestors(unit, ancestors) == 0)
            sf_warn("case with no unit code counted nowhere", "source", event->source, "key", event->key);
        /* A case handed from another instance was received there, and
         * counted there: here it only moves the levels (its backlog). */
        eval_delta_t received = { "cases_received", c->handoff && *c->handoff->from_instance ? 0 : 1 };
        status = eval_facts_add(db, unit, c->received_unix_ms ? c->received_unix_ms : at, &received, 1);
    }
    /* The levels move at the step that moved them, in the case's unit. */
    if (status == SF_OK && moves) {
        eval_delta_t levels[2] = {
            { "cases_open", (open ? 1 : 0) - (was_open ? 1 : 0) },
            { "cases_backlog", (backlog ? 1 : 0) - (was_backlog ? 1 : 0) },
        };
        status = eval_facts_add(db, unit, at, levels, 2);
    }
    if (status == SF_OK && closed && !was_closed) {
        bool by_first = c->last_transition && *c->first_responder_id
                     && strcmp(c->last_transition->actor_id, c->first_responder_id) == 0;
        bool rated = c->satisfaction >= 1 && c->satisfaction <= 5;
        eval_delta_t closing[5] = {
            { "cases_closed", 1 },
            { "cases_closed_on_time", c->resolved_in_time ? 1 : 0 },
            { "cases_closed_by_first_responder", by_first ? 1 : 0 },
            { "return_visits", rated ? 1 : 0 },
            { "satisfaction_points", rated ? c->satisfaction : 0 },
        };
        status = eval_facts_add(db, unit, c->closed_unix_ms ? c->closed_unix_ms : at, closing, 5);
    }
    /* Rework (零误差) at the step that reopened the case. */
    if (status == SF_OK && (reworked || complained)) {
        eval_delta_t rework[2] = { { "cases_reworked", (double) reworked }, { "case_complaints", (double) complained } };
        status = eval_facts_add(db, unit, at, rework, 2);
    }
    /* 首问负责: a new missed deadline, and its follow-up within a working
     * day (intake judges it), both in the period of the miss. */
    bool new_miss = c->missed_unix_ms && c->missed_unix_ms != was_missed;
    bool followed = c->missed_unix_ms && c->followed_up_in_time;
    if (status == SF_OK && (new_miss || (followed && !was_followed))) {
        eval_delta_t missing[2] = {
            { "deadlines_missed", new_miss ? 1 : 0 },
            { "missed_deadlines_followed_up", followed && (new_miss || !was_followed) ? 1 : 0 },
        };
        status = eval_facts_add(db, unit, c->missed_unix_ms, missing, 2);
    }
    /* Rework by who answered (evaluation_rework.c): the reopened answer's
     * resolver is the row's before the people step names a new one. */
    if (status == SF_OK && (reworked || complained))
        status = eval_rework_reopened(db, c, unit, people.resolver, was_reworks, reworked, complained, at);
    int64_t was_resolved_ms = people.resolved_ms;
    if (status == SF_OK)
        status = eval_case_people_step(source, db, c, event, known, was_closed, reworked, at, &people);
    if (status == SF_OK && people.resolved_ms && people.resolved_ms != was_resolved_ms)
        status = eval_rework_answered(db, c, people.resolver, people.resolved_ms);
    if (status == SF_OK)
        status = eval_intake_stages(source, db, c, event, &stages_counted);
    if (status == SF_OK && stages_counted.failed)
        status = SF_UNAVAILABLE;   /* out of memory: the page is tried again later */
    if (status == SF_OK) {
        sf_params_init(params);
        SF_PARAMS_ADD(params, event->source, c->id, unit, sf_param_bool(open), sf_param_bool(backlog),
                              sf_param_bool(closed || was_closed), c->rework_count > was_reworks ? c->rework_count
                                                                                                 : was_reworks,
                              c->complaint_count > was_complaints ? c->complaint_count : was_complaints,
                              c->missed_unix_ms ? c->missed_unix_ms : was_missed,
                              sf_param_bool(c->missed_unix_ms ? (bool) c->followed_up_in_time : was_followed),
                              (const char *) (stages_counted.text ? stages_counted.text : ""),
                              people.first_responder, people.received_month, people.resolver, people.resolved_ms,
                              people.handled_by, people.closed_month, sf_param_bool(people.handled_on_time),
                              people.satisfaction, people.handling_ms);
        status = sf_db_run(db,
            "INSERT INTO intake_case (source, id, unit_code, open, backlog, closed, reworks, complaints, missed_ms,"
            "                         followed_up, stages_counted, first_responder, received_month, resolver,"
            "                         resolved_ms, handled_by, closed_month, handled_on_time, satisfaction,"
            "                         handling_ms)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, string_to_array($11, ' '), $12, $13, $14, $15, $16,"
            "         $17, $18, $19, $20)"
            " ON CONFLICT (source, id) DO UPDATE SET open = EXCLUDED.open, backlog = EXCLUDED.backlog,"
            "   closed = EXCLUDED.closed, reworks = EXCLUDED.reworks, complaints = EXCLUDED.complaints,"
            "   missed_ms = EXCLUDED.missed_ms, followed_up = EXCLUDED.followed_up,"
            "   stages_counted = EXCLUDED.stages_counted, first_responder = EXCLUDED.first_responder,"
            "   received_month = EXCLUDED.received_month, resolver = EXCLUDED.resolver,"
            "   resolved_ms = EXCLUDED.resolved_ms, handled_by = EXCLUDED.handled_by,"
            "   closed_month = EXCLUDED.closed_month, handled_on_time = EXCLUDED.handled_on_time,"
            "   satisfaction = EXCLUDED.satisfaction, handling_ms = EXCLUDED.handling_ms", params, NULL);
    }
    /* A case seen for the first time: contact problems handed to it count
     * as become cases now (evaluation_district_work.c). */
    if (status == SF_OK && !known)
        status = eval_contact_case_seen(db, event->source, c->id);
done:
    sf_textbuf_release(&stages_counted);
    protobuf_c_message_free_unpacked(&c->base, NULL);
    return status;
}
