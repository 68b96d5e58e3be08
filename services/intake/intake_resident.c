/* The resident told: messages to the resident, an outbox.
 *
 * A step the resident must hear of writes one message to the requester's
 * phone in the step's own transaction (intake_case_emit calls
 * intake_resident_project, as it does the staff's notices): the extension
 * granted (the RESIDENT_NOTIFIED step), the case closed at the return visit,
 * reopened for rework (an unsatisfactory return visit or a complaint), or
 * rejected. So a message exists exactly when its step committed, once per
 * step (the row's key is the case and step), with nothing to catch up after
 * a crash. Each is the event resident_message.created.
 *
 * The SMS integration (a key of role service) reads the pending messages
 * (ResidentMessageList, oldest first) and acknowledges each
 * (ResidentMessageAck): delivered, or failed with the error. Delivery is
 * at least once: a message not acknowledged is listed again, and an
 * acknowledgement repeated changes nothing (no second event). A failed one
 * may still be delivered later; a delivered one stays delivered. Each change
 * is the event resident_message.delivered or resident_message.failed.
 *
 * The phone is the resident's personal data: events carry it masked, and a
 * list shows it in the clear only to the integration (service, admin) and to
 * the staff registering cases where the case lies (the station with the
 * resident's duty, as a case's requester is shown); everyone else sees it
 * masked. */
#include "intake.h"
#include "sf_codes.h"
#include "sf_row.h"
#include <stdio.h>
#include <string.h>

#define CASE_ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name
#define REASON(name) SIFANG__V1__RESIDENT_MESSAGE_REASON__RESIDENT_MESSAGE_REASON_##name
#define STATE(name) SIFANG__V1__RESIDENT_MESSAGE_STATE__RESIDENT_MESSAGE_STATE_##name
/* A step recorded this long before it was loaded (an earlier system's
 * register) tells the resident nothing now. */
#define RESIDENT_HORIZON_MS (7LL * 24 * 3600 * 1000)
/* Who sends the messages: the integration's key. */
#define ROLES_INTEGRATION "admin service"

#define MESSAGE_COLUMNS \
    "m.id, m.case_id, m.registration_number, m.case_seq, m.reason, m.channel, m.phone, m.body AS text," \
    " m.unit_code, m.state, " INTAKE_MS("m.created_at") " AS created_unix_ms," \
    " coalesce(" INTAKE_MS("m.acked_at") ", 0) AS acked_unix_ms, m.acked_by, m.provider_ref, m.error, m.failures"
#define MESSAGE_FIELDS \
    "id case_id registration_number case_seq reason channel phone text unit_code state created_unix_ms" \
    " acked_unix_ms acked_by provider_ref error failures"

/* What the step tells the resident, as SQL over the case row c and p (the
 * step's note, the district's zone); NULL when nothing. */
static const char *
message_of(Sifang__V1__CaseAction action, int *reason)
{
    switch (action) {
    case CASE_ACTION(RESIDENT_NOTIFIED):
        *reason = REASON(EXTENSION);
        /* The step's note is what the resident is told, for the record. */
        return "'【四方】您的诉求 ' || regexp_replace(p.note, '^已告知诉求人：', '')";
    case CASE_ACTION(CLOSED):
        *reason = REASON(CLOSED);
        return "'【四方】您的诉求 ' || c.registration_number || ' 已办结，感谢您的评价。'";
    case CASE_ACTION(REOPENED):
    case CASE_ACTION(COMPLAINED):
        *reason = REASON(REWORK);
        return "'【四方】您的诉求 ' || c.registration_number || ' 将重新办理，办理期限至 '"
               " || coalesce(to_char(c.due_at AT TIME ZONE p.zone, 'YYYY-MM-DD'), '-') || '。'";
    case CASE_ACTION(REJECTED):
        *reason = REASON(REJECTED);
        return "'【四方】您的诉求 ' || coalesce(c.registration_number, '') || ' 不予受理，原因：' || c.reject_reason";
    default:
        return NULL;
    }
}

/* The message with its phone shown as the caller may see it. */
static Sifang__V1__ResidentMessage *
message_from_row(sf_call_t *call, const PGresult *result, int row, bool clear)
{
    Sifang__V1__ResidentMessage *message = (Sifang__V1__ResidentMessage *)
        sf_call_row_message(call, &sifang__v1__resident_message__descriptor, result, row, MESSAGE_FIELDS);
    if (message && !clear)
        message->phone = intake_phone_masked(call, message->phone);
    return message;
}

static void
emit(sf_call_t *call, const char *type, Sifang__V1__ResidentMessage *message)
{
    /* Events never carry the phone in the clear. */
    char *phone = message->phone;
    message->phone = intake_phone_masked(call, phone);
    sf_call_emit(call, type, sf_call_printf(call, "%lld", (long long) message->id), &message->base);
    message->phone = phone;
}

void
intake_resident_project(sf_call_t *call, const Sifang__V1__Case *c, const char *phone)
{
    const Sifang__V1__CaseTransition *step = c->last_transition;
    int reason = 0;
    const char *body = step ? message_of(step->action, &reason) : NULL;
    if (!body || !phone || !*phone || !c->requester
        || c->requester->kind == SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_COMMUNITY)
        return;
    if (step->at_unix_ms && step->at_unix_ms < sf_now_ms() - RESIDENT_HORIZON_MS)
        return;
    const intake_t *intake = sf_call_state(call);
    PGresult *result = sf_call_query(call, sf_call_printf(call,
        "WITH p AS (SELECT $4::text AS note, $5::text AS zone)"
        " INSERT INTO resident_message AS m (case_id, case_seq, registration_number, reason, phone, body, unit_code,"
        "                                    created_at)"
        " SELECT c.id, $2, coalesce(c.registration_number, ''), $3, $6, %s, c.unit_code,"
        "        to_timestamp($7::bigint / 1000.0)"
        "   FROM intake_case c, p WHERE c.id = $1"
        " ON CONFLICT (case_id, case_seq) DO NOTHING RETURNING " MESSAGE_COLUMNS, body),
        SF_PARAMS(c->id, step->seq, reason, step->note ? step->note : "", intake->config.timezone, phone,
                  step->at_unix_ms ? step->at_unix_ms : sf_now_ms()));
    if (!result)
        return;   /* the call has failed: the step's transaction rolls back */
    for (int row = 0; row < PQntuples(result); row++) {
        Sifang__V1__ResidentMessage *message = message_from_row(call, result, row, true);
        if (message)
            emit(call, "resident_message.created", message);
    }
}

/* Whether the caller sees a message's phone in the clear: the integration,
 * or the staff registering cases where it lies (the resident's station). */
static bool
sees_phone(sf_call_t *call, const char *unit_code)
{
    if (!sf_call_is_person(call))
        return sf_call_has_role(call, ROLES_INTEGRATION)
            || (sf_call_has_role(call, INTAKE_ROLES_STATION) && sf_call_may_write(call, unit_code));
    return sf_principal_reaches(sf_call_principal(call), SF_SCOPE_WRITE, SF_ROLES_CASE_INTAKE, unit_code);
}

sf_status_t
intake_resident_message_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ResidentMessageListRequest *list = (const Sifang__V1__ResidentMessageListRequest *) request;
    sf_page_t page = sf_page_of(call, list->page);
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (list->state < 0 || list->state > STATE(FAILED))
        sf_call_violation(call, "state", "must be pending, delivered or failed (or 0 for all)");
    if (list->case_id < 0)
        sf_call_violation(call, "case_id", "must not be negative");
    long long after = 0;
    char tail = 0;
    if (*page.token && (sscanf(page.token, "%lld%c", &after, &tail) != 1 || after <= 0))
        sf_page_bad_token(call);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__ResidentMessageListReply *reply = (Sifang__V1__ResidentMessageListReply *)
        sf_call_new_message(call, &sifang__v1__resident_message_list_reply__descriptor);
    reply->next_page_token = "";
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    char upper[64];
    sf_code_subtree_upper(prefix, upper, sizeof upper);
    PGresult *result = sf_call_query(call,
        "SELECT " MESSAGE_COLUMNS " FROM resident_message m"
        " WHERE ($1 = '' OR (m.unit_code >= $1 AND m.unit_code < $2)) AND ($3::int = 0 OR m.state = $3::int)"
        "   AND ($4::bigint = 0 OR m.case_id = $4::bigint) AND m.id > $5::bigint"
        " ORDER BY m.id LIMIT $6",
        SF_PARAMS(prefix, (const char *) upper, list->state, list->case_id, after, page.size + 1));
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->messages = sf_call_new_array(call, (size_t) rows, sizeof *reply->messages);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__ResidentMessage *message = message_from_row(call, result, row, true);
        if (!message)
            return sf_call_status(call);
        if (!sees_phone(call, message->unit_code))
            message->phone = intake_phone_masked(call, message->phone);
        reply->messages[reply->n_messages++] = message;
    }
    if (sf_page_more(&page, result) && rows > 0)
        reply->next_page_token = sf_call_printf(call, "%lld", (long long) reply->messages[rows - 1]->id);
    return SF_OK;
}

sf_status_t
intake_resident_message_ack(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ResidentMessageAckRequest *ack = (const Sifang__V1__ResidentMessageAckRequest *) request;
    bool delivered = ack->outcome == STATE(DELIVERED);
    if (ack->id <= 0)
        sf_call_violation(call, "id", "is required");
    if (!delivered && ack->outcome != STATE(FAILED))
        sf_call_violation(call, "outcome", "must be delivered or failed");
    sf_call_check_text(call, "provider_ref", ack->provider_ref, 100, false);
    sf_call_check_note(call, "error", ack->error, 500, ack->outcome == STATE(FAILED));
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const char *actor = sf_call_principal(call) && sf_call_principal(call)->id ? sf_call_principal(call)->id : "";
    PGresult *found = sf_call_query(call, "SELECT " MESSAGE_COLUMNS " FROM resident_message m WHERE m.id = $1"
                                          " FOR UPDATE", SF_PARAMS(ack->id));
    if (!found)
        return sf_call_status(call);
    if (PQntuples(found) != 1 || !sf_call_covers(call, sf_db_text(found, 0, 8)))
        return sf_call_refuse(call, SF_NOT_FOUND, "id", "no resident message %lld", (long long) ack->id);
    Sifang__V1__ResidentMessage *now = message_from_row(call, found, 0, true);
    if (!now)
        return sf_call_status(call);
    /* At least once: the same acknowledgement again changes nothing. */
    bool repeat = now->state == ack->outcome
        && (delivered || (strcmp(now->error, ack->error) == 0 && strcmp(now->provider_ref, ack->provider_ref) == 0));
    if (repeat) {
        *reply_p = &now->base;
        return SF_OK;
    }
    if (now->state == STATE(DELIVERED))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "outcome", "resident message %lld was delivered"
                              " already", (long long) now->id);
    PGresult *result = sf_call_query(call,
        "UPDATE resident_message AS m SET state = $2::smallint, acked_at = now(), acked_by = $3,"
        "       provider_ref = CASE WHEN $4 = '' THEN m.provider_ref ELSE $4 END,"
        "       error = CASE WHEN $2::smallint = 3 THEN $5 ELSE m.error END,"
        "       failures = m.failures + CASE WHEN $2::smallint = 3 THEN 1 ELSE 0 END"
        " WHERE m.id = $1 RETURNING " MESSAGE_COLUMNS,
        SF_PARAMS(ack->id, ack->outcome, actor, ack->provider_ref, ack->error));
    if (!result || PQntuples(result) != 1)
        return sf_call_status(call);
    Sifang__V1__ResidentMessage *changed = message_from_row(call, result, 0, true);
    if (!changed)
        return sf_call_status(call);
    emit(call, delivered ? "resident_message.delivered" : "resident_message.failed", changed);
    *reply_p = &changed->base;
    return SF_OK;
}
