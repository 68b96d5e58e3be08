/* Per-stage lateness from intake's events (issue 18): each stage of a work
 * order (签收 receipt, first response, 办结 completion) counts against the
 * tier that held the case when the stage fell due, not the unit holding it
 * at the end. A late stage is what intake recorded (case_stage_late: the
 * holder at the time, with the unit answering for it), read back with
 * CaseStageLateList when an event shows a stage may have been recorded late:
 * the step that marks one (STAGE_LATE, OVERDUE) or meets one late (signed,
 * started, resolved). The overdue step moves the case to the community in
 * the same step, so the event alone names the new holder, not the one the
 * completion fell due under. A stage in time is one the event shows met by
 * its due time, against the holder that met it. Each counts once
 * (intake_case.stages_counted, read and written with the case), by the day due; the
 * tier is a staff member's unit, the unit itself, or the district for a
 * department (intake's holder_unit ""). */
#include "evaluation.h"
#include "sf_codes.h"
#include "sf_log.h"
#include "sf_textbuf.h"
#include <stdio.h>
#include <string.h>

static const char *const in_time_facts[4] = { NULL, "receipts_in_time", "first_responses_in_time",
                                              "completions_in_time" };
static const char *const late_facts[4] = { NULL, "receipts_late", "first_responses_late", "completions_late" };

/* Whether key is among the space-separated keys counted so far. */
static bool
counted_before(const sf_textbuf_t *counted, const char *key)
{
    const char *keys = counted->text ? counted->text : "";
    size_t length = strlen(key);
    for (const char *at = strstr(keys, key); at; at = strstr(at + 1, key))
        if ((at == keys || at[-1] == ' ') && (at[length] == ' ' || at[length] == '\0'))
            return true;
    return false;
}

/* Counts the stage once: its key joins the case's (written with the case's
 * row by the caller, whose row lock keeps them right), its fact the unit's. */
static sf_status_t
stage_count(sf_db_t *db, sf_textbuf_t *counted, int stage, int assignment, bool late, const char *unit,
            int64_t due_ms)
{
    char key[48];
    snprintf(key, sizeof key, "%d.%d.%s", stage, assignment, late ? "late" : "in_time");
    if (counted_before(counted, key))
        return SF_OK;
    sf_textbuf_printf(counted, "%s%s", counted->length ? " " : "", key);
    eval_delta_t delta = { late ? late_facts[stage] : in_time_facts[stage], 1 };
    return eval_facts_add(db, unit, due_ms, &delta, 1);
}

/* The unit answering for a holder: a unit itself, a staff member's unit
 * (grid's copy), the case's district for a department or a staff member
 * evaluation does not know. */
static sf_status_t
holder_unit(sf_db_t *db, const Sifang__V1__Case *c, const Sifang__V1__CaseAssignee *holder,
            char *unit, size_t size)
{
    snprintf(unit, size, "%.*s", SF_CODE_DISTRICT_LENGTH, c->unit_code);
    if (holder->kind == SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT && *holder->code) {
        snprintf(unit, size, "%s", holder->code);
        return SF_OK;
    }
    if (holder->kind != SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF)
        return SF_OK;
    PGresult *result = sf_db_query(db, "SELECT unit_code FROM staff WHERE id = $1", SF_PARAMS(holder->code));
    sf_status_t status = sf_db_result_ok(result) ? SF_OK : sf_db_status(result);
    if (status == SF_OK && PQntuples(result) == 1 && *sf_db_text(result, 0, 0))
        snprintf(unit, size, "%s", sf_db_text(result, 0, 0));
    PQclear(result);
    return status;
}

/* The stages the event shows met by their due time, against its holder. */
static sf_status_t
count_in_time(sf_db_t *db, const Sifang__V1__Case *c, sf_textbuf_t *counted)
{
    const Sifang__V1__CaseStages *s = c->stages;
    const Sifang__V1__CaseAssignee *holder = c->assignee;
    if (!holder || holder->kind == SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNSPECIFIED)
        return SF_OK;
    struct { int stage, assignment; int64_t met, due; } met[3] = {
        { 1, s ? s->assignment : 0, s ? s->signed_unix_ms : 0, s ? s->receipt_due_unix_ms : 0 },
        { 2, s ? s->assignment : 0, s ? s->first_responded_unix_ms : 0, s ? s->first_response_due_unix_ms : 0 },
        /* Completion falls due once per case (intake's assignment 0). */
        { 3, 0, c->resolved_unix_ms, c->due_unix_ms },
    };
    char unit[16] = "";
    bool unit_known = false;
    sf_status_t status = SF_OK;
    for (int i = 0; i < 3 && status == SF_OK; i++) {
        if (!met[i].met || !met[i].due || met[i].met > met[i].due || (i < 2 && met[i].assignment <= 0))
            continue;
        char key[48];
        snprintf(key, sizeof key, "%d.%d.in_time", met[i].stage, met[i].assignment);
        if (counted_before(counted, key))
            continue;
        if (!unit_known && (status = holder_unit(db, c, holder, unit, sizeof unit)) != SF_OK)
            break;
        unit_known = true;
        status = stage_count(db, counted, met[i].stage, met[i].assignment, false, unit, met[i].due);
    }
    return status;
}

/* Whether the event's step is one that may have recorded a stage late. */
static bool
may_have_marked(const Sifang__V1__Case *c)
{
    const Sifang__V1__CaseTransition *t = c->last_transition;
    if (!t)
        return false;
    const Sifang__V1__CaseStages *s = c->stages;
    bool stage_late = s && (s->receipt_late || s->first_response_late);
    switch (t->action) {
    case SIFANG__V1__CASE_ACTION__CASE_ACTION_STAGE_LATE:
    case SIFANG__V1__CASE_ACTION__CASE_ACTION_OVERDUE:
        return true;
    case SIFANG__V1__CASE_ACTION__CASE_ACTION_SIGNED:
    case SIFANG__V1__CASE_ACTION__CASE_ACTION_STARTED:
        return stage_late;
    case SIFANG__V1__CASE_ACTION__CASE_ACTION_RESOLVED:
        return stage_late || (c->resolved_unix_ms && c->due_unix_ms && c->resolved_unix_ms > c->due_unix_ms);
    default:
        return false;
    }
}

/* The late stages intake recorded for the case, each counted once. A
 * source that does not answer fails the event (the follower tries again). */
static sf_status_t
count_late(eval_source_t *source, sf_db_t *db, const Sifang__V1__Case *c, const Sifang__V1__Event *event,
           sf_textbuf_t *counted)
{
    if (!source->reader)
        return SF_OK;
    char token[64] = "";
    sf_status_t status = SF_OK;
    do {
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_token = token;
        Sifang__V1__CaseStageLateListRequest request = SIFANG__V1__CASE_STAGE_LATE_LIST_REQUEST__INIT;
        request.case_id = c->id;
        request.page = &page;
        Sifang__V1__CaseStageLateListReply *reply = NULL;
        sf_reply_info_t info;
        status = sf_client_call(source->reader, "CaseStageLateList", NULL, &request.base,
                                &sifang__v1__case_stage_late_list_reply__descriptor, (ProtobufCMessage **) &reply,
                                &info);
        if (status == SF_DEADLINE_EXCEEDED)
            status = SF_UNAVAILABLE;
        if (status != SF_OK) {
            if (status != SF_UNAVAILABLE) {
                /* Refused (an intake without the work-order rules): the
                 * stages are not counted, the event is not held up. */
                sf_warn("intake's late stages not read; the case's are not counted", "source", source->name,
                        "key", event->key, "status", sf_status_name(status));
                status = SF_OK;
            }
            break;
        }
        for (size_t i = 0; i < reply->n_rows && status == SF_OK; i++) {
            const Sifang__V1__CaseStageLate *row = reply->rows[i];
            if (row->stage < SIFANG__V1__CASE_STAGE__CASE_STAGE_RECEIPT
                || row->stage > SIFANG__V1__CASE_STAGE__CASE_STAGE_COMPLETION)
                continue;
            char key[48];
            snprintf(key, sizeof key, "%d.%d.late", row->stage, row->assignment);
            if (counted_before(counted, key))
                continue;
            char unit[16];
            snprintf(unit, sizeof unit, "%.*s", SF_CODE_DISTRICT_LENGTH, c->unit_code);
            if (*row->holder_unit)
                snprintf(unit, sizeof unit, "%s", row->holder_unit);
            status = stage_count(db, counted, row->stage, row->assignment, true, unit, row->due_unix_ms);
        }
        snprintf(token, sizeof token, "%s", reply->next_page_token ? reply->next_page_token : "");
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    } while (status == SF_OK && *token);
    return status;
}

sf_status_t
eval_intake_stages(eval_source_t *source, sf_db_t *db, const Sifang__V1__Case *c, const Sifang__V1__Event *event,
                   sf_textbuf_t *counted)
{
    sf_status_t status = count_in_time(db, c, counted);
    if (status == SF_OK && may_have_marked(c))
        status = count_late(source, db, c, event, counted);
    return status;
}
