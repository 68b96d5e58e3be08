/* Hand-off between intake instances: the sender's step, the receiver's
 * case, the delivery in the peers thread and the link back in the loop
 * (intake_handoff.h says how exactly once holds). */
#include "intake_handoff.h"
#include "intake_ref.h"
#include "sf_log.h"
#include "sf_config.h"
#include "sf_curve.h"
#include "sf_json.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASE_STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define CASE_ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name
#define HANDOFF(name) SIFANG__V1__HANDOFF_STATE__HANDOFF_STATE_##name

#define REASON_MAX 500
#define DELIVERY_ROUND_MAX 50
#define INBOX_BATCH 100
/* The sender's steps a receiver takes at most (a case has tens). */
#define HISTORY_MAX 1000

/* --- the peers' list ---------------------------------------------------------- */

bool
intake_handoff_peer_listed(const char *list, const char *instance)
{
    size_t wanted = strlen(instance);
    for (const char *at = list; *at;) {
        at += strspn(at, " ,");
        size_t length = strcspn(at, " ,");
        if (!length)
            break;
        if (length == wanted && strncmp(at, instance, length) == 0)
            return true;
        at += length;
    }
    return false;
}

/* SIFANG_HANDOFF_<INSTANCE>_...: the stem sf_service_env_name upper-cases. */
static void
peer_stem(char *stem, size_t size, const char *instance)
{
    size_t i = 0;
    for (const char *p = "handoff_"; *p && i + 1 < size; p++)
        stem[i++] = *p;
    for (const char *p = instance; *p && i + 1 < size; p++)
        stem[i++] = *p == '@' ? '_' : *p;
    stem[i] = '\0';
}

int
intake_handoff_links_open(intake_handoff_links_t *links, void *context, const char *list, const char *self,
                          char *error, size_t error_size)
{
    links->n = 0;
    for (const char *at = list; *at;) {
        at += strspn(at, " ,");
        size_t length = strcspn(at, " ,");
        if (!length)
            break;
        intake_handoff_peer_t *peer = &links->peers[links->n];
        snprintf(peer->instance, sizeof peer->instance, "%.*s", (int) length, at);
        at += length;
        if (strcmp(peer->instance, self) == 0) {
            snprintf(error, error_size, "SIFANG_INTAKE_HANDOFF_PEERS names this instance (%s) itself", self);
            return -1;
        }
        char stem[128], variable[160];
        peer_stem(stem, sizeof stem, peer->instance);
        const char *endpoint = sf_service_endpoint(stem);
        if (!endpoint) {
            snprintf(error, error_size, "hand-off peer %s: set %s", peer->instance,
                     sf_service_env_name(variable, sizeof variable, stem, "ENDPOINT"));
            return -1;
        }
        sf_curve_client_t curve;
        if (sf_curve_client_from_env(&curve, stem, error, error_size) != 0)
            return -1;
        peer->client = sf_client_new_in(context, endpoint, &curve);
        if (!peer->client) {
            snprintf(error, error_size, "cannot open a socket to %s at %s", peer->instance, endpoint);
            return -1;
        }
        /* Short attempts: a receiver that does not answer is asked again
         * in the next round, with the same request id. */
        sf_client_set_timeout(peer->client, 2000);
        sf_client_set_retries(peer->client, 1);
        sf_client_set_principal(peer->client, self, "service", "");
        links->n++;
    }
    return 0;
}

void
intake_handoff_links_close(intake_handoff_links_t *links)
{
    for (size_t i = 0; i < links->n; i++)
        sf_client_destroy(&links->peers[i].client);
    links->n = 0;
}

/* --- the case's column -------------------------------------------------------- */

static void *
call_alloc(void *data, size_t size)
{
    return sf_call_alloc(data, size);
}

static void
call_free(void *data, void *pointer)
{
    (void) data;
    (void) pointer;
}

Sifang__V1__CaseHandoff *
intake_handoff_from_text(sf_call_t *call, const char *text, bool *failed)
{
    *failed = false;
    if (!text || !*text)
        return NULL;
    char field[64], error[160];
    ProtobufCMessage *parsed = sf_json_parse_message(&sifang__v1__case_handoff__descriptor, text, strlen(text),
                                                     field, sizeof field, error, sizeof error);
    if (!parsed) {
        sf_call_fail(call, SF_INTERNAL, "a case's hand-off does not decode");
        sf_warn("case hand-off column does not decode", "field", field, "reason", error);
        *failed = true;
        return NULL;
    }
    /* Into the call's memory: packed and unpacked again. */
    size_t size = protobuf_c_message_get_packed_size(parsed);
    uint8_t *bytes = sf_call_alloc(call, size + 1);
    protobuf_c_message_pack(parsed, bytes);
    protobuf_c_message_free_unpacked(parsed, NULL);
    ProtobufCAllocator allocator = { call_alloc, call_free, call };
    return sifang__v1__case_handoff__unpack(&allocator, size, bytes);
}

/* --- the sender's step ------------------------------------------------------- */

/* Whether a case's hand-off is under way or done (SENDING, LINKED,
 * WITHDRAWING); a refused or cancelled one may be handed again. */
static bool
handoff_live(const Sifang__V1__CaseHandoff *handoff)
{
    return handoff && *handoff->to_instance && handoff->state != HANDOFF(REFUSED)
        && handoff->state != HANDOFF(CANCELLED);
}

sf_status_t
intake_handoff_case(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HandoffCaseRequest *ask = (const Sifang__V1__HandoffCaseRequest *) request;
    const intake_t *intake = sf_call_state(call);
    intake_step_case_t asked;
    sf_status_t status = intake_step_begin(call, ask->ref, NULL, &asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked.the_case;
    if (!intake_status_open(the_case->status))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is %s: only an open case is handed",
                              (long long) the_case->id, intake_status_name(the_case->status));
    if (handoff_live(the_case->handoff))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld was handed to %s already",
                              (long long) the_case->id, the_case->handoff->to_instance);
    const Sifang__V1__CaseDispatch *dispatch = the_case->dispatch;
    if (dispatch && dispatch->state >= SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_REQUESTED
        && dispatch->state <= SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_ACCEPTED)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref",
                              "case %lld is with a provider (dispatch %s): cancel it first",
                              (long long) the_case->id, dispatch->volunteer_dispatch_id);
    /* The target is the rule's (intake_handoff_rule.h); a caller that names
     * one must name that one. */
    const char *why;
    const char *target = intake_handoff_rule_owner(call, &intake->handoff_rule, asked.extra.item_routing,
                                                   asked.extra.department_code, the_case->unit_code, &why);
    if (*ask->to_instance && (!target || strcmp(ask->to_instance, target) != 0)) {
        if (strcmp(ask->to_instance, intake->instance) != 0
            && !intake_handoff_peer_listed(intake->config.handoff_peers, ask->to_instance))
            sf_call_violation(call, "to_instance", "不是本实例的移交对象：%s (not an instance this one hands cases"
                              " to: SIFANG_INTAKE_HANDOFF_PEERS is \"%s\")", ask->to_instance,
                              intake->config.handoff_peers);
        else if (target)
            sf_call_violation(call, "to_instance", "按移交规则此件应移交 %s，而不是 %s：%s (the hand-off rule"
                              " names %s, not %s)", target, ask->to_instance, why, target, ask->to_instance);
    }
    sf_call_check_text(call, "reason", ask->reason, REASON_MAX, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!target)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "%s", why);
    if (strcmp(target, intake->instance) == 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "按移交规则此件由本实例（%s）办理，不移交：%s"
                              " (under the hand-off rule this instance handles it)", intake->instance, why);
    /* A refused or cancelled hand-off is handed again as the next attempt. */
    PGresult *row = sf_call_query(call,
        "INSERT INTO case_handoff_out AS o (case_id, to_instance, reason, sent_at) VALUES ($1, $2, $3, now())"
        " ON CONFLICT (case_id) DO UPDATE SET to_instance = excluded.to_instance, reason = excluded.reason,"
        "   sent_at = excluded.sent_at, state = 1, attempt = o.attempt + 1, tries = 0, to_case_id = NULL,"
        "   to_registration = '', linked_at = NULL, refusal = '', refused_at = NULL, cancel_reason = '',"
        "   cancelled_by = '', cancel_asked_at = NULL, returned_at = NULL"
        " WHERE o.state IN (4, 6) RETURNING o.attempt",
        SF_PARAMS(the_case->id, target, ask->reason));
    if (!row)
        return sf_call_status(call);
    if (PQntuples(row) != 1)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld was handed already",
                              (long long) the_case->id);
    intake_step_t step;
    intake_step_init(&step, the_case->id, CASE_ACTION(HANDOFF_SENT), the_case->status, asked.actor, 0,
                     sf_call_printf(call, "handed to %s: %s", target, ask->reason),
                     "status = 8, transferred_to = $7");
    SF_PARAMS_ADD(&step.params, target);
    /* No one here must act on it any more. */
    step.set_waiting = true;
    step.waiting = NULL;
    return intake_step_reply(call, &step, reply_p);
}

sf_status_t
intake_handoff_cancel(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HandoffCancelRequest *ask = (const Sifang__V1__HandoffCancelRequest *) request;
    intake_step_case_t asked;
    sf_status_t status = intake_step_begin(call, ask->ref, NULL, &asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked.the_case;
    const Sifang__V1__CaseHandoff *handoff = the_case->handoff;
    long long id = (long long) the_case->id;
    if (!handoff || !*handoff->to_instance)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "案件 %lld 未移交，无可撤回 (case %lld was not"
                              " handed)", id, id);
    switch (handoff->state) {
    case HANDOFF(SENDING):
        break;
    case HANDOFF(LINKED):
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "对方（%s）已收件为案件 %lld，不能撤回 (received"
                              " there already as case %lld)", handoff->to_instance, (long long) handoff->to_case_id,
                              (long long) handoff->to_case_id);
    case HANDOFF(WITHDRAWING):
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "撤回已在进行，等待 %s 确认 (a cancel or refusal"
                              " already waits for %s to confirm)", handoff->to_instance, handoff->to_instance);
    default:
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "移交已退回本处，无需撤回 (the hand-off is back"
                              " at this desk already)");
    }
    sf_call_check_text(call, "reason", ask->reason, REASON_MAX, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    /* Not when the receiver's case is known and waits to be linked. */
    PGresult *row = sf_call_query(call,
        "UPDATE case_handoff_out o SET state = 5, cancel_reason = $2, cancelled_by = $3, cancel_asked_at = now()"
        " WHERE o.case_id = $1 AND o.state = 1"
        "   AND NOT EXISTS (SELECT 1 FROM handoff_inbox b WHERE b.case_id = o.case_id AND b.outcome = 1)"
        " RETURNING o.to_instance", SF_PARAMS(the_case->id, ask->reason, asked.actor));
    if (!row)
        return sf_call_status(call);
    if (PQntuples(row) != 1)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "对方（%s）已收件，正在登记，不能撤回 (received"
                              " there; the link is being recorded)", handoff->to_instance);
    intake_step_t step;
    intake_step_init(&step, the_case->id, CASE_ACTION(HANDOFF_CANCEL_ASKED), the_case->status, asked.actor, 0,
                     sf_call_printf(call, "撤回移交，待 %s 确认：%s (cancel asked; %s to confirm)",
                                    handoff->to_instance, ask->reason, handoff->to_instance),
                     "status = c.status");
    return intake_step_reply(call, &step, reply_p);
}

/* --- the receiver's case ------------------------------------------------------- */

/* The case already made for (sender, its case), or 0. Taken under a lock
 * of the pair until the transaction ends, so that a HandoffReceive and a
 * HandoffWithdraw of one case at two replicas do not both pass: one makes
 * the case or the promise, the other then sees it. */
static sf_status_t
received_before(sf_call_t *call, const char *from_instance, int64_t from_case_id, int64_t *case_id)
{
    *case_id = 0;
    if (!sf_call_query(call, "SELECT pg_advisory_xact_lock(hashtext('intake.handoff/' || $1 || '/' || $2::text))",
                       SF_PARAMS(from_instance, from_case_id)))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call,
        "SELECT case_id FROM case_handoff_in WHERE from_instance = $1 AND from_case_id = $2",
        SF_PARAMS(from_instance, from_case_id));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 1)
        *case_id = sf_db_int(result, 0, 0);
    return SF_OK;
}

static bool
check_request(sf_call_t *call, const intake_t *intake, const Sifang__V1__HandoffReceiveRequest *ask)
{
    if (!*ask->from_instance)
        sf_call_violation(call, "from_instance", "is required");
    else if (!intake_handoff_peer_listed(intake->config.handoff_peers, ask->from_instance))
        sf_call_violation(call, "from_instance", "is not an instance this one takes cases from"
                          " (SIFANG_INTAKE_HANDOFF_PEERS)");
    if (strcmp(ask->to_instance, intake->instance) != 0)
        sf_call_violation(call, "to_instance", "is not this instance (%s)", intake->instance);
    const Sifang__V1__Case *c = ask->case_;
    if (!c || c->id <= 0) {
        sf_call_violation(call, "case.id", "is required");
        return false;
    }
    if (!c->requester || c->requester->kind < 1 || c->requester->kind > 3)
        sf_call_violation(call, "case.requester.kind", "is required");
    sf_call_check_text(call, "case.item_code", c->item_code, 48, true);
    sf_call_check_text(call, "case.unit_code", c->unit_code, 32, true);
    sf_call_check_text(call, "case.description", c->description, 4000, true);
    sf_call_check_text(call, "case.registration_number", c->registration_number, 64, false);
    if (c->received_unix_ms <= 0)
        sf_call_violation(call, "case.received_unix_ms", "is required");
    if (ask->n_history == 0 || ask->n_history > HISTORY_MAX)
        sf_call_violation(call, "history", "must hold the sender's steps (1 to %d)", HISTORY_MAX);
    for (size_t i = 0; i < ask->n_history && i < HISTORY_MAX; i++) {
        const Sifang__V1__CaseTransition *t = ask->history[i];
        if (t->seq != (int32_t) i + 1 || t->at_unix_ms <= 0) {
            sf_call_violation(call, sf_call_printf(call, "history[%zu]", i), "steps come in order from seq 1,"
                              " each with its time");
            break;
        }
        sf_call_check_text(call, sf_call_printf(call, "history[%zu].note", i), t->note, 4000, false);
        sf_call_check_text(call, sf_call_printf(call, "history[%zu].actor_id", i), t->actor_id, 128, true);
    }
    return !sf_call_has_violations(call);
}

/* The sender's steps as the new case's first ones, in one statement. */
static sf_status_t
copy_history(sf_call_t *call, int64_t case_id, const Sifang__V1__HandoffReceiveRequest *ask)
{
    for (size_t i = 0; i < ask->n_history; i++) {
        const Sifang__V1__CaseTransition *t = ask->history[i];
        if (!sf_call_query(call,
                "INSERT INTO case_history (case_id, seq, action, from_status, to_status, actor_id, actor_name, at,"
                " note) VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::bigint / 1000.0), $9)",
                SF_PARAMS(case_id, t->seq, (int) t->action, (int) t->from_status, (int) t->to_status, t->actor_id,
                          t->actor_name, t->at_unix_ms, t->note)))
            return sf_call_status(call);
    }
    return SF_OK;
}

/* What this instance refuses to take (the sender takes the case back,
 * HANDOFF_REFUSED): an attempt the sender withdrew, an item it does not
 * offer, a case its own hand-off rule gives to another instance. */
static sf_status_t
may_receive(sf_call_t *call, const intake_t *intake, const char *from_instance, const Sifang__V1__Case *c,
            int attempt)
{
    PGresult *result = sf_call_query(call,
        "SELECT EXISTS (SELECT 1 FROM handoff_withdrawn WHERE from_instance = $1 AND from_case_id = $2"
        "   AND attempt = $3),"
        " (SELECT routing FROM service_item WHERE code = $4 AND active),"
        " (SELECT department_code FROM service_item WHERE code = $4 AND active)",
        SF_PARAMS(from_instance, c->id, attempt, c->item_code));
    if (!result)
        return sf_call_status(call);
    if (sf_db_bool(result, 0, 0))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "attempt", "发送方（%s）已撤回此次移交（第 %d 次）(the"
                              " sender withdrew attempt %d)", from_instance, attempt, attempt);
    if (PQgetisnull(result, 0, 1))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "case.item_code", "本实例（%s）未开办事项 %s (%s does"
                              " not offer the item %s)", intake->instance, c->item_code, intake->instance,
                              c->item_code);
    const char *why;
    const char *owner = intake_handoff_rule_owner(call, &intake->handoff_rule, (int) sf_db_int(result, 0, 1),
                                                  sf_db_text(result, 0, 2), c->unit_code, &why);
    if (!owner || strcmp(owner, intake->instance) != 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "to_instance", "按本实例（%s）的移交规则，此件不由本实例"
                              "办理：%s (this instance's hand-off rule does not give it the case)", intake->instance,
                              why);
    return SF_OK;
}

sf_status_t
intake_handoff_receive(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HandoffReceiveRequest *ask = (const Sifang__V1__HandoffReceiveRequest *) request;
    const intake_t *intake = sf_call_state(call);
    if (!check_request(call, intake, ask))
        return sf_call_status(call);
    const Sifang__V1__Case *c = ask->case_;
    int64_t existing;
    sf_status_t status = received_before(call, ask->from_instance, c->id, &existing);
    if (status != SF_OK)
        return status;
    if (existing) {
        /* A repeat past the idempotency store's retention: the same case,
         * nothing written. */
        Sifang__V1__Case *found;
        status = intake_case_load_id(call, existing, false, &found, NULL);
        if (status == SF_OK && !found)
            return sf_call_fail(call, SF_INTERNAL, "case %lld received before is gone", (long long) existing);
        if (status == SF_OK)
            *reply_p = &found->base;
        return status;
    }
    int attempt = ask->attempt > 0 ? ask->attempt : 1;
    if ((status = may_receive(call, intake, ask->from_instance, c, attempt)) != SF_OK)
        return status;
    const Sifang__V1__CaseTransition *last = ask->history[ask->n_history - 1];
    size_t size = protobuf_c_message_get_packed_size(&c->requester->base);
    uint8_t *packed = sf_call_alloc(call, size ? size : 1);
    protobuf_c_message_pack(&c->requester->base, packed);
    const char *prefix = sf_call_printf(call, "%s%08d", intake->config.registration_prefix,
                                        intake_ref_local_date(intake->ref, sf_now_ms()));
    sf_params_t *params = SF_PARAMS(prefix, (int) c->channel, c->item_code, (int) c->category,
                                    (int) c->requester->kind, sf_param_text_or_null(c->requester->household_code));
    sf_params_bytes(params, packed, size);
    SF_PARAMS_ADD(params, c->unit_code, c->description, c->received_unix_ms, c->accepted_unix_ms, c->due_unix_ms,
                  last->at_unix_ms, (int64_t) ask->n_history);
    /* TRANSFERRED with the sender's steps, as the sender's last step left
     * it; the step HANDOFF_RECEIVED below takes it on from there. */
    PGresult *result = sf_call_query(call,
        "WITH n AS (SELECT nextval('case_id_seq') AS id)"
        " INSERT INTO intake_case (id, registration_number, status, channel, item_code, category, requester_kind,"
        "   household_code, requester, unit_code, description, received_at, accepted_at, due_at, last_at, version)"
        " SELECT n.id, $1 || '-' || lpad(n.id::text, greatest(7, length(n.id::text)), '0'), 8, $2, $3, $4, $5,"
        "   $6, $7, $8, $9, to_timestamp($10::bigint / 1000.0), to_timestamp(nullif($11::bigint, 0) / 1000.0),"
        "   to_timestamp(nullif($12::bigint, 0) / 1000.0), to_timestamp($13::bigint / 1000.0), $14"
        "   FROM n RETURNING id, registration_number", params);
    if (!result)
        return sf_call_status(call);
    int64_t case_id = sf_db_int(result, 0, 0);
    if ((status = copy_history(call, case_id, ask)) != SF_OK)
        return status;
    if (!sf_call_query(call,
            "INSERT INTO case_handoff_in (case_id, from_instance, from_case_id, from_registration, reason, sent_at,"
            " received_at, attempt) VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint / 1000.0), now(), $7)",
            SF_PARAMS(case_id, ask->from_instance, c->id, c->registration_number,
                      c->handoff ? c->handoff->reason : "", last->at_unix_ms, attempt)))
        return sf_call_status(call);
    intake_step_t step;
    intake_step_init(&step, case_id, CASE_ACTION(HANDOFF_RECEIVED), CASE_STATUS(TRANSFERRED),
                     sf_call_principal(call)->id, 0,
                     sf_call_printf(call, "received from %s, case %lld (%s)", ask->from_instance, (long long) c->id,
                                    c->registration_number),
                     "status = 2, transferred_to = ''");
    return intake_step_reply(call, &step, reply_p);
}

/* The promise asked after a refusal or a cancel: no case for the attempt,
 * now or later (HandoffReceive refuses it from then on), or the case made
 * for it already. Any listed or not, a sender may ask it: it only ever
 * stops a case or names one. */
sf_status_t
intake_handoff_withdraw(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HandoffWithdrawRequest *ask = (const Sifang__V1__HandoffWithdrawRequest *) request;
    const intake_t *intake = sf_call_state(call);
    sf_call_check_text(call, "from_instance", ask->from_instance, 96, true);
    if (strcmp(ask->to_instance, intake->instance) != 0)
        sf_call_violation(call, "to_instance", "is not this instance (%s)", intake->instance);
    if (ask->from_case_id <= 0)
        sf_call_violation(call, "from_case_id", "is required");
    if (ask->attempt < 0)
        sf_call_violation(call, "attempt", "must not be negative");
    sf_call_check_text(call, "reason", ask->reason, 1000, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__HandoffWithdrawReply *reply = (Sifang__V1__HandoffWithdrawReply *)
        sf_call_new_message(call, &sifang__v1__handoff_withdraw_reply__descriptor);
    int64_t existing;
    sf_status_t status = received_before(call, ask->from_instance, ask->from_case_id, &existing);
    if (status != SF_OK)
        return status;
    if (existing) {
        status = intake_case_load_id(call, existing, false, &reply->case_, NULL);
        if (status == SF_OK && !reply->case_)
            return sf_call_fail(call, SF_INTERNAL, "case %lld received before is gone", (long long) existing);
    } else {
        reply->withdrawn = true;
        if (!sf_call_query(call,
                "INSERT INTO handoff_withdrawn (from_instance, from_case_id, attempt, reason) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT DO NOTHING",
                SF_PARAMS(ask->from_instance, ask->from_case_id, ask->attempt > 0 ? ask->attempt : 1, ask->reason)))
            return sf_call_status(call);
    }
    if (status == SF_OK)
        *reply_p = &reply->base;
    return status;
}

/* --- delivery (the peers thread) ------------------------------------------------ */

static intake_handoff_peer_t *
find_peer(intake_handoff_links_t *links, const char *instance)
{
    for (size_t i = 0; i < links->n; i++)
        if (strcmp(links->peers[i].instance, instance) == 0)
            return &links->peers[i];
    return NULL;
}

/* The receiver's answer for the loop: its case (linked), or none
 * (withdrawn: the case comes back). */
static bool
to_inbox(sf_db_t *db, int64_t case_id, int attempt, const Sifang__V1__Case *received)
{
    PGresult *stored = sf_db_query(db,
        "INSERT INTO handoff_inbox (case_id, attempt, outcome, to_case_id, to_registration)"
        " VALUES ($1, $2, $3, nullif($4::bigint, 0), $5) ON CONFLICT (case_id) DO NOTHING",
        SF_PARAMS(case_id, attempt, received ? 1 : 2, received ? received->id : 0,
                  received ? received->registration_number : ""));
    bool ok = sf_db_result_ok(stored);
    PQclear(stored);
    return ok;
}

/* Whether a receiver's answer is its no, not a failure to retry: what it
 * said of the request or the case, not of itself. */
static bool
refused(sf_status_t status)
{
    return status == SF_INVALID_ARGUMENT || status == SF_FAILED_PRECONDITION || status == SF_PERMISSION_DENIED
        || status == SF_NOT_FOUND || status == SF_ALREADY_EXISTS || status == SF_OUT_OF_RANGE;
}

/* The request for one case: the row with its requester as given and its
 * steps. false when the database did not answer. */
static bool
deliver_one(intake_handoff_links_t *links, sf_db_t *db, const char *self, int64_t case_id, const char *to,
            const char *reason, int attempt, bool *answered)
{
    *answered = false;
    intake_handoff_peer_t *peer = find_peer(links, to);
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long) case_id);
    if (!peer) {
        /* Handed while the list named it, since taken out: it waits for the
         * list to name it again (or a cancel). */
        sf_warn("a case waits for a hand-off peer no longer listed", "case", id, "to", to);
        *answered = true;
        return true;
    }
    /* Counted before it is sent, and only while still SENDING: a cancel
     * that finds no try counted knows the receiver never saw it. */
    PGresult *counted = sf_db_query(db,
        "UPDATE case_handoff_out SET tries = tries + 1 WHERE case_id = $1 AND attempt = $2 AND state = 1"
        " RETURNING tries", SF_PARAMS(case_id, attempt));
    bool sending = sf_db_result_ok(counted) && PQntuples(counted) == 1;
    bool counted_ok = sf_db_result_ok(counted);
    PQclear(counted);
    if (!counted_ok)
        return false;
    if (!sending) {
        *answered = true;   /* cancelled meanwhile: the next round withdraws it */
        return true;
    }
    PGresult *row = sf_db_query(db,
        "SELECT coalesce(registration_number, ''), status, channel, item_code, category, requester, unit_code,"
        "       description, " INTAKE_MS("received_at") ", coalesce(" INTAKE_MS("accepted_at") ", 0),"
        "       coalesce(" INTAKE_MS("due_at") ", 0)"
        "  FROM intake_case WHERE id = $1", SF_PARAMS(case_id));
    PGresult *steps = sf_db_query(db,
        "SELECT seq, action, from_status, to_status, actor_id, actor_name, " INTAKE_MS("at") ", note"
        "  FROM case_history WHERE case_id = $1 ORDER BY seq", SF_PARAMS(case_id));
    bool ok = sf_db_result_ok(row) && sf_db_result_ok(steps) && PQntuples(row) == 1;
    if (!ok) {
        PQclear(row);
        PQclear(steps);
        return false;
    }
    Sifang__V1__CaseRequester *requester = NULL;
    size_t size = 0;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *) sf_db_text(row, 0, 5), &size);
    if (bytes)
        requester = sifang__v1__case_requester__unpack(NULL, size, bytes);
    PQfreemem(bytes);
    Sifang__V1__CaseHandoff handoff = SIFANG__V1__CASE_HANDOFF__INIT;
    handoff.state = HANDOFF(SENDING);
    handoff.to_instance = (char *) to;
    handoff.reason = (char *) reason;
    /* A first attempt is asked as before attempts were counted: the same
     * body under the same request id as a sender of before. */
    handoff.attempt = attempt > 1 ? attempt : 0;
    Sifang__V1__Case c = SIFANG__V1__CASE__INIT;
    c.id = case_id;
    c.registration_number = (char *) sf_db_text(row, 0, 0);
    c.status = (Sifang__V1__CaseStatus) sf_db_int(row, 0, 1);
    c.channel = (Sifang__V1__CaseChannel) sf_db_int(row, 0, 2);
    c.item_code = (char *) sf_db_text(row, 0, 3);
    c.category = (Sifang__V1__ServiceCategory) sf_db_int(row, 0, 4);
    c.requester = requester;
    c.unit_code = (char *) sf_db_text(row, 0, 6);
    c.description = (char *) sf_db_text(row, 0, 7);
    c.received_unix_ms = sf_db_int(row, 0, 8);
    c.accepted_unix_ms = sf_db_int(row, 0, 9);
    c.due_unix_ms = sf_db_int(row, 0, 10);
    c.handoff = &handoff;
    int n = PQntuples(steps);
    Sifang__V1__CaseTransition *transitions = calloc((size_t) (n ? n : 1), sizeof *transitions);
    Sifang__V1__CaseTransition **history = calloc((size_t) (n ? n : 1), sizeof *history);
    for (int i = 0; transitions && history && i < n; i++) {
        Sifang__V1__CaseTransition *t = &transitions[i];
        sifang__v1__case_transition__init(t);
        t->seq = (int32_t) sf_db_int(steps, i, 0);
        t->action = (Sifang__V1__CaseAction) sf_db_int(steps, i, 1);
        t->from_status = (Sifang__V1__CaseStatus) sf_db_int(steps, i, 2);
        t->to_status = (Sifang__V1__CaseStatus) sf_db_int(steps, i, 3);
        t->actor_id = (char *) sf_db_text(steps, i, 4);
        t->actor_name = (char *) sf_db_text(steps, i, 5);
        t->at_unix_ms = sf_db_int(steps, i, 6);
        t->note = (char *) sf_db_text(steps, i, 7);
        history[i] = t;
    }
    ok = requester && transitions && history;
    if (ok) {
        Sifang__V1__HandoffReceiveRequest ask = SIFANG__V1__HANDOFF_RECEIVE_REQUEST__INIT;
        ask.from_instance = (char *) self;
        ask.to_instance = (char *) to;
        ask.case_ = &c;
        ask.history = history;
        ask.n_history = (size_t) n;
        ask.attempt = attempt > 1 ? attempt : 0;
        /* The same id for every try of an attempt: a retry after any loss
         * is answered with the case the first one made. */
        char request_id[160];
        if (attempt > 1)
            snprintf(request_id, sizeof request_id, "handoff/%s/%lld/%d", self, (long long) case_id, attempt);
        else
            snprintf(request_id, sizeof request_id, "handoff/%s/%lld", self, (long long) case_id);
        Sifang__V1__Case *received = NULL;
        sf_reply_info_t info;
        sf_status_t status = sf_client_call(peer->client, "HandoffReceive", request_id, &ask.base,
                                            &sifang__v1__case__descriptor, (ProtobufCMessage **) &received, &info);
        *answered = info.outcome != SF_REPLY_NONE;
        if (status == SF_OK) {
            atomic_fetch_add(&links->delivered, 1);
            ok = to_inbox(db, case_id, attempt, received);
            protobuf_c_message_free_unpacked(&received->base, NULL);
        } else if (*answered && refused(status)) {
            /* The receiver's no: the case comes back once it has promised
             * to make none for this attempt (WITHDRAWING, below). */
            sf_warn("the hand-off was refused; withdrawing it", "case", id, "to", to,
                    "status", sf_status_name(status), "reason", info.message ? info.message : "");
            PGresult *marked = sf_db_query(db,
                "UPDATE case_handoff_out SET state = 5, refusal = $3, refused_at = now()"
                " WHERE case_id = $1 AND attempt = $2 AND state IN (1, 5)",
                SF_PARAMS(case_id, attempt, info.message && *info.message ? info.message : sf_status_name(status)));
            ok = sf_db_result_ok(marked);
            PQclear(marked);
        } else {
            if (!*answered)
                atomic_fetch_add(&links->failures, 1);
            sf_warn("the hand-off was not taken; will ask again", "case", id, "to", to,
                    "status", sf_status_name(status), "reason", info.message ? info.message : "");
        }
    } else if (!requester)
        sf_warn("a handed case's requester does not decode; not delivered", "to", to);
    if (requester)
        sifang__v1__case_requester__free_unpacked(requester, NULL);
    free(transitions);
    free(history);
    PQclear(row);
    PQclear(steps);
    return ok;
}

/* A withdrawal (state 5, after a refusal or a cancel): the receiver's
 * promise that it makes no case for the attempt, or the case it made. One
 * never tried needs no promise. */
static bool
withdraw_one(intake_handoff_links_t *links, sf_db_t *db, const char *self, int64_t case_id, const char *to,
             int attempt, int tries, const char *why, bool *answered)
{
    *answered = true;
    if (tries == 0)
        return to_inbox(db, case_id, attempt, NULL);
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long) case_id);
    intake_handoff_peer_t *peer = find_peer(links, to);
    if (!peer) {
        sf_warn("a withdrawal waits for a hand-off peer no longer listed", "case", id, "to", to);
        return true;
    }
    Sifang__V1__HandoffWithdrawRequest ask = SIFANG__V1__HANDOFF_WITHDRAW_REQUEST__INIT;
    ask.from_instance = (char *) self;
    ask.from_case_id = case_id;
    ask.attempt = attempt;
    ask.to_instance = (char *) to;
    ask.reason = (char *) why;
    char request_id[160];
    snprintf(request_id, sizeof request_id, "handoff-withdraw/%s/%lld/%d", self, (long long) case_id, attempt);
    Sifang__V1__HandoffWithdrawReply *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(peer->client, "HandoffWithdraw", request_id, &ask.base,
                                        &sifang__v1__handoff_withdraw_reply__descriptor,
                                        (ProtobufCMessage **) &reply, &info);
    *answered = info.outcome != SF_REPLY_NONE;
    if (status != SF_OK) {
        if (!*answered)
            atomic_fetch_add(&links->failures, 1);
        sf_warn("the hand-off's withdrawal was not answered; will ask again", "case", id, "to", to,
                "status", sf_status_name(status), "reason", info.message ? info.message : "");
        return true;
    }
    bool ok = to_inbox(db, case_id, attempt, reply->withdrawn ? NULL : reply->case_);
    protobuf_c_message_free_unpacked(&reply->base, NULL);
    return ok;
}

void
intake_handoff_deliver(intake_handoff_links_t *links, sf_db_t *db, const char *self, const atomic_bool *stop)
{
    if (!links->n)
        return;
    PGresult *result = sf_db_query(db,
        "SELECT o.case_id, o.to_instance, o.reason, o.state, o.attempt, o.tries,"
        "       CASE WHEN o.cancel_reason <> '' THEN o.cancel_reason ELSE o.refusal END"
        "  FROM case_handoff_out o"
        " WHERE o.state IN (1, 5) AND NOT EXISTS (SELECT 1 FROM handoff_inbox b WHERE b.case_id = o.case_id)"
        " ORDER BY o.case_id LIMIT $1", SF_PARAMS(DELIVERY_ROUND_MAX));
    for (int row = 0; sf_db_result_ok(result) && row < PQntuples(result) && !atomic_load(stop); row++) {
        bool answered, ok;
        int64_t case_id = sf_db_int(result, row, 0);
        const char *to = sf_db_text(result, row, 1);
        int attempt = (int) sf_db_int(result, row, 4);
        if (sf_db_int(result, row, 3) == 1)
            ok = deliver_one(links, db, self, case_id, to, sf_db_text(result, row, 2), attempt, &answered);
        else
            ok = withdraw_one(links, db, self, case_id, to, attempt, (int) sf_db_int(result, row, 5),
                              sf_db_text(result, row, 6), &answered);
        if (!ok || !answered)
            break;   /* the database or that peer is away: the next round */
    }
    PQclear(result);
}

/* --- the link back (the loop) ---------------------------------------------------- */

/* The receiver made its case: LINKED, even when a cancel or a refusal
 * was on its way (the receiver's case stands). */
static sf_status_t
link_case(sf_call_t *call, int64_t case_id, int attempt, int64_t to_case_id, const char *to_registration)
{
    Sifang__V1__Case *the_case;
    sf_status_t status = intake_case_load_id(call, case_id, true, &the_case, NULL);
    if (status != SF_OK || !the_case)
        return status;
    PGresult *result = sf_call_query(call,
        "UPDATE case_handoff_out o SET state = 2, to_case_id = $2, to_registration = $3, linked_at = now()"
        " FROM (SELECT state FROM case_handoff_out WHERE case_id = $1) before"
        " WHERE o.case_id = $1 AND o.attempt = $4 AND o.state IN (1, 5) RETURNING o.to_instance, before.state",
        SF_PARAMS(case_id, to_case_id, to_registration, attempt));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return SF_OK;   /* linked already */
    const char *to = sf_db_text(result, 0, 0);
    bool withdrawing = sf_db_int(result, 0, 1) == 5;
    sf_call_act_as(call, to);
    intake_step_t step;
    intake_step_init(&step, case_id, CASE_ACTION(HANDOFF_LINKED), the_case->status, to, 0,
                     withdrawing ? sf_call_printf(call, "撤回未成，%s 已收件为案件 %lld (%s) (%s had received it"
                                                  " before the withdrawal)", to, (long long) to_case_id,
                                                  to_registration, to)
                                 : sf_call_printf(call, "%s received it as case %lld (%s)", to,
                                                  (long long) to_case_id, to_registration),
                     "status = c.status");
    Sifang__V1__Case *updated;
    return intake_step_run(call, &step, &updated);
}

/* Who must act on a case back at this desk: its assignee, else its first
 * responder, else its unit's staff. */
static Sifang__V1__CaseAssignee *
back_at_desk(sf_call_t *call, const Sifang__V1__Case *the_case)
{
    const Sifang__V1__CaseAssignee *holder = the_case->assignee;
    if (holder && *holder->code)
        return intake_waiting(call, holder->kind, holder->code, holder->name, "handoff");
    if (*the_case->first_responder_id)
        return intake_waiting(call, SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF, the_case->first_responder_id,
                              the_case->first_responder_name, "handoff");
    return intake_waiting(call, SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT, the_case->unit_code, "", "handoff");
}

/* The receiver promised no case for the attempt: the case comes back to
 * this desk in the status it was handed from (REFUSED, or CANCELLED when a
 * cancel was asked), waiting for its holder. */
static sf_status_t
return_case(sf_call_t *call, int64_t case_id, int attempt)
{
    Sifang__V1__Case *the_case;
    sf_status_t status = intake_case_load_id(call, case_id, true, &the_case, NULL);
    if (status != SF_OK || !the_case)
        return status;
    PGresult *result = sf_call_query(call,
        "UPDATE case_handoff_out SET state = CASE WHEN cancel_reason <> '' THEN 6 ELSE 4 END, returned_at = now()"
        " WHERE case_id = $1 AND attempt = $2 AND state = 5"
        " RETURNING state, to_instance, refusal, cancel_reason, cancelled_by", SF_PARAMS(case_id, attempt));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return SF_OK;   /* back already */
    bool cancelled = sf_db_int(result, 0, 0) == 6;
    const char *to = sf_db_text(result, 0, 1);
    const char *actor = cancelled && *sf_db_text(result, 0, 4) ? sf_db_text(result, 0, 4) : to;
    sf_call_act_as(call, actor);
    intake_step_t step;
    intake_step_init(&step, case_id, cancelled ? CASE_ACTION(HANDOFF_CANCELLED) : CASE_ACTION(HANDOFF_REFUSED),
                     the_case->status, actor, 0,
                     cancelled ? sf_call_printf(call, "移交已撤回，%s 确认未收件：%s (cancelled; %s confirmed it"
                                                " holds no case)", to, sf_db_text(result, 0, 3), to)
                               : sf_call_printf(call, "%s 拒收，退回本处：%s (refused by %s)", to,
                                                sf_db_text(result, 0, 2), to),
                     "status = coalesce((SELECT h.from_status FROM case_history h WHERE h.case_id = c.id"
                     " AND h.action = 55 ORDER BY h.seq DESC LIMIT 1), 2), transferred_to = ''");
    step.set_waiting = true;
    step.waiting = back_at_desk(call, the_case);
    Sifang__V1__Case *updated;
    return intake_step_run(call, &step, &updated);
}

int
intake_handoff_apply_inbox(sf_call_t *call)
{
    if (!sf_server_ready(sf_call_server(call)))
        return -1;
    sf_db_t *db = sf_call_db(call);
    /* Cheap when empty, which is nearly always. */
    PGresult *peek = sf_db_query(db, "SELECT EXISTS (SELECT 1 FROM handoff_inbox)", NULL);
    bool waiting = sf_db_result_ok(peek) && sf_db_bool(peek, 0, 0);
    PQclear(peek);
    if (!waiting)
        return 0;
    if (!sf_db_begin(db))
        return -1;
    PGresult *rows = sf_call_query(call,
        "DELETE FROM handoff_inbox WHERE case_id IN (SELECT case_id FROM handoff_inbox ORDER BY case_id LIMIT $1)"
        " RETURNING case_id, attempt, outcome, coalesce(to_case_id, 0), to_registration", SF_PARAMS(INBOX_BATCH));
    bool ok = rows != NULL;
    int n = ok ? PQntuples(rows) : 0;
    for (int row = 0; ok && row < n; row++) {
        /* A row that cannot apply (a case gone) must not block the ones
         * after it: it rolls back alone and is dropped, logged. */
        size_t events = sf_call_events_mark(call);
        ok = sf_db_command(db, "SAVEPOINT handoff_row");
        sf_call_clear_failure(call);
        int64_t case_id = sf_db_int(rows, row, 0);
        int attempt = (int) sf_db_int(rows, row, 1);
        sf_status_t status = !ok ? SF_UNAVAILABLE
                           : sf_db_int(rows, row, 2) == 1 ? link_case(call, case_id, attempt, sf_db_int(rows, row, 3),
                                                                      sf_db_text(rows, row, 4))
                           : return_case(call, case_id, attempt);
        if (status == SF_OK)
            ok = sf_db_command(db, "RELEASE SAVEPOINT handoff_row");
        else if (status == SF_UNAVAILABLE || !sf_db_is_up(db))
            ok = false;
        else {
            sf_warn("hand-off answer not applied; dropped", "case", sf_db_text(rows, row, 0),
                    "status", sf_status_name(status), "reason", sf_call_message(call));
            ok = sf_db_command(db, "ROLLBACK TO SAVEPOINT handoff_row")
              && sf_db_command(db, "RELEASE SAVEPOINT handoff_row");
            sf_call_events_undo(call, events);
        }
    }
    int64_t head = -1;
    if (ok && sf_call_commit(call, &head))
        return n;
    sf_db_rollback(db);
    return -1;
}
