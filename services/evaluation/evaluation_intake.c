/* Intake's events: every "case.<action>" carries the whole case, so each
 * event is compared with what evaluation last knew of the case and counts
 * only the difference. Received on the day received; closed (after the
 * return visit) on the day closed, on time when resolved by the due time, by
 * the first responder when the closing step was theirs; open and past-due
 * levels rise and fall at the step that changed them. */
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

/* When the step that produced the event happened. Its transition is the
 * case's latest step only when its seq is the case's version: intake's
 * events written before its column count was fixed carry a transition read
 * from the wrong columns (seq from the household code, the time 0 or a
 * small number), so such a transition is not believed. The time then comes
 * from the case itself, from the time of the status it reached, and for
 * the steps that have none (reject, transfer, the sweep's, which ran live)
 * from when the event occurred. */
static int64_t
step_time(const Sifang__V1__Case *c, const Sifang__V1__Event *event)
{
    const Sifang__V1__CaseTransition *t = c->last_transition;
    if (t && t->seq == c->version && t->at_unix_ms > 0)
        return t->at_unix_ms;
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

sf_status_t
eval_intake_apply(evaluation_t *self, sf_db_t *db, const Sifang__V1__Event *event)
{
    if (strncmp(event->type, "case.", 5) != 0 || strcmp(event->payload_type, "sifang.v1.Case") != 0)
        return SF_OK;
    Sifang__V1__Case *c = sifang__v1__case__unpack(NULL, event->payload.len, event->payload.data);
    if (!c)
        return SF_INVALID_ARGUMENT;
    int64_t at = step_time(c, event);
    bool open = status_open(c->status);
    bool backlog = open && c->overdue;
    bool closed = c->status == SIFANG__V1__CASE_STATUS__CASE_STATUS_CLOSED;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, event->source);
    sf_params_int(&params, c->id);
    PGresult *result = sf_db_query(db,
        "SELECT unit_code, open, backlog, closed FROM intake_case WHERE source = $1 AND id = $2 FOR UPDATE",
        &params);
    sf_status_t status = sf_db_result_ok(result) ? SF_OK : sf_db_status(result);
    bool known = status == SF_OK && PQntuples(result) == 1;
    char unit[20] = "";
    bool was_open = false, was_backlog = false, was_closed = false;
    if (known) {
        snprintf(unit, sizeof unit, "%s", sf_db_text(result, 0, 0));
        was_open = sf_db_bool(result, 0, 1);
        was_backlog = sf_db_bool(result, 0, 2);
        was_closed = sf_db_bool(result, 0, 3);
    }
    PQclear(result);
    if (status != SF_OK)
        goto done;
    if (!known) {
        /* First sight of a case: it was received, whatever step we see. */
        snprintf(unit, sizeof unit, "%s", c->unit_code);
        char ancestors[4][16];
        if (eval_unit_ancestors(unit, ancestors) == 0)
            sf_warn("case with no unit code counted nowhere", "source", event->source, "key", event->key);
        eval_delta_t received = { "cases_received", 1 };
        status = eval_facts_add(self, db, unit, c->received_unix_ms ? c->received_unix_ms : at, &received, 1);
    }
    /* The levels move at the step that moved them, in the case's unit. */
    if (status == SF_OK) {
        eval_delta_t levels[2] = {
            { "cases_open", (open ? 1 : 0) - (was_open ? 1 : 0) },
            { "cases_backlog", (backlog ? 1 : 0) - (was_backlog ? 1 : 0) },
        };
        status = eval_facts_add(self, db, unit, at, levels, 2);
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
        status = eval_facts_add(self, db, unit, c->closed_unix_ms ? c->closed_unix_ms : at, closing, 5);
    }
    if (status == SF_OK) {
        sf_params_init(&params);
        sf_params_text(&params, event->source);
        sf_params_int(&params, c->id);
        sf_params_text(&params, unit);
        sf_params_bool(&params, open);
        sf_params_bool(&params, backlog);
        sf_params_bool(&params, closed || was_closed);
        status = sf_db_run(db,
            "INSERT INTO intake_case (source, id, unit_code, open, backlog, closed) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (source, id) DO UPDATE SET open = EXCLUDED.open, backlog = EXCLUDED.backlog,"
            "   closed = EXCLUDED.closed", &params, NULL);
    }
done:
    protobuf_c_message_free_unpacked(&c->base, NULL);
    return status;
}
