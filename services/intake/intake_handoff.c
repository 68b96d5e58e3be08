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
    if (the_case->handoff && *the_case->handoff->to_instance)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld was handed to %s already",
                              (long long) the_case->id, the_case->handoff->to_instance);
    const Sifang__V1__CaseDispatch *dispatch = the_case->dispatch;
    if (dispatch && dispatch->state >= SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_REQUESTED
        && dispatch->state <= SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_ACCEPTED)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref",
                              "case %lld is with a provider (dispatch %s): cancel it first",
                              (long long) the_case->id, dispatch->volunteer_dispatch_id);
    if (!*ask->to_instance)
        sf_call_violation(call, "to_instance", "is required: the instance that handles the case");
    else if (strcmp(ask->to_instance, intake->instance) == 0)
        sf_call_violation(call, "to_instance", "is this instance");
    else if (!intake_handoff_peer_listed(intake->config.handoff_peers, ask->to_instance))
        sf_call_violation(call, "to_instance", "is not an instance this one hands cases to"
                          " (SIFANG_INTAKE_HANDOFF_PEERS: %s)", intake->config.handoff_peers);
    sf_call_check_text(call, "reason", ask->reason, REASON_MAX, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!sf_call_query(call, "INSERT INTO case_handoff_out (case_id, to_instance, reason, sent_at)"
                             " VALUES ($1, $2, $3, now())",
                       SF_PARAMS(the_case->id, ask->to_instance, ask->reason)))
        return sf_call_status(call);
    intake_step_t step;
    intake_step_init(&step, the_case->id, CASE_ACTION(HANDOFF_SENT), the_case->status, asked.actor, 0,
                     sf_call_printf(call, "handed to %s: %s", ask->to_instance, ask->reason),
                     "status = 8, transferred_to = $7");
    SF_PARAMS_ADD(&step.params, ask->to_instance);
    /* No one here must act on it any more. */
    step.set_waiting = true;
    step.waiting = NULL;
    return intake_step_reply(call, &step, reply_p);
}

/* --- the receiver's case ------------------------------------------------------- */

/* The case already made for (sender, its case), or 0. */
static sf_status_t
received_before(sf_call_t *call, const char *from_instance, int64_t from_case_id, int64_t *case_id)
{
    *case_id = 0;
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
            " received_at) VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint / 1000.0), now())",
            SF_PARAMS(case_id, ask->from_instance, c->id, c->registration_number,
                      c->handoff ? c->handoff->reason : "", last->at_unix_ms)))
        return sf_call_status(call);
    intake_step_t step;
    intake_step_init(&step, case_id, CASE_ACTION(HANDOFF_RECEIVED), CASE_STATUS(TRANSFERRED),
                     sf_call_principal(call)->id, 0,
                     sf_call_printf(call, "received from %s, case %lld (%s)", ask->from_instance, (long long) c->id,
                                    c->registration_number),
                     "status = 2, transferred_to = ''");
    return intake_step_reply(call, &step, reply_p);
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

/* The request for one case: the row with its requester as given and its
 * steps. false when the database did not answer. */
static bool
deliver_one(intake_handoff_links_t *links, sf_db_t *db, const char *self, int64_t case_id, const char *to,
            const char *reason, bool *answered)
{
    *answered = false;
    intake_handoff_peer_t *peer = find_peer(links, to);
    if (!peer) {
        /* Handed while the list named it, since taken out: it waits for the
         * list to name it again. */
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long) case_id);
        sf_warn("a case waits for a hand-off peer no longer listed", "case", id, "to", to);
        *answered = true;
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
        /* The same id for every attempt: a retry after any loss is
         * answered with the case the first one made. */
        char request_id[160];
        snprintf(request_id, sizeof request_id, "handoff/%s/%lld", self, (long long) case_id);
        Sifang__V1__Case *received = NULL;
        sf_reply_info_t info;
        sf_status_t status = sf_client_call(peer->client, "HandoffReceive", request_id, &ask.base,
                                            &sifang__v1__case__descriptor, (ProtobufCMessage **) &received, &info);
        *answered = info.outcome != SF_REPLY_NONE;
        if (status == SF_OK) {
            atomic_fetch_add(&links->delivered, 1);
            PGresult *stored = sf_db_query(db,
                "INSERT INTO handoff_inbox (case_id, to_case_id, to_registration) VALUES ($1, $2, $3)"
                " ON CONFLICT (case_id) DO NOTHING",
                SF_PARAMS(case_id, received->id, received->registration_number));
            ok = sf_db_result_ok(stored);
            PQclear(stored);
            protobuf_c_message_free_unpacked(&received->base, NULL);
        } else {
            if (!*answered)
                atomic_fetch_add(&links->failures, 1);
            char id[24];
            snprintf(id, sizeof id, "%lld", (long long) case_id);
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

void
intake_handoff_deliver(intake_handoff_links_t *links, sf_db_t *db, const char *self, const atomic_bool *stop)
{
    if (!links->n)
        return;
    PGresult *result = sf_db_query(db,
        "SELECT o.case_id, o.to_instance, o.reason FROM case_handoff_out o"
        " WHERE o.state = 1 AND NOT EXISTS (SELECT 1 FROM handoff_inbox b WHERE b.case_id = o.case_id)"
        " ORDER BY o.case_id LIMIT $1", SF_PARAMS(DELIVERY_ROUND_MAX));
    for (int row = 0; sf_db_result_ok(result) && row < PQntuples(result) && !atomic_load(stop); row++) {
        bool answered;
        if (!deliver_one(links, db, self, sf_db_int(result, row, 0), sf_db_text(result, row, 1),
                         sf_db_text(result, row, 2), &answered) || !answered)
            break;   /* the database or that peer is away: the next round */
    }
    PQclear(result);
}

/* --- the link back (the loop) ---------------------------------------------------- */

static sf_status_t
link_case(sf_call_t *call, int64_t case_id, int64_t to_case_id, const char *to_registration)
{
    Sifang__V1__Case *the_case;
    sf_status_t status = intake_case_load_id(call, case_id, true, &the_case, NULL);
    if (status != SF_OK || !the_case)
        return status;
    PGresult *result = sf_call_query(call,
        "UPDATE case_handoff_out SET state = 2, to_case_id = $2, to_registration = $3, linked_at = now()"
        " WHERE case_id = $1 AND state = 1 RETURNING to_instance",
        SF_PARAMS(case_id, to_case_id, to_registration));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return SF_OK;   /* linked already */
    const char *to = sf_db_text(result, 0, 0);
    sf_call_act_as(call, to);
    intake_step_t step;
    intake_step_init(&step, case_id, CASE_ACTION(HANDOFF_LINKED), the_case->status, to, 0,
                     sf_call_printf(call, "%s received it as case %lld (%s)", to, (long long) to_case_id,
                                    to_registration),
                     "status = c.status");
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
        " RETURNING case_id, to_case_id, to_registration", SF_PARAMS(INBOX_BATCH));
    bool ok = rows != NULL;
    int n = ok ? PQntuples(rows) : 0;
    for (int row = 0; ok && row < n; row++) {
        /* A row that cannot apply (a case gone) must not block the ones
         * after it: it rolls back alone and is dropped, logged. */
        size_t events = sf_call_events_mark(call);
        ok = sf_db_command(db, "SAVEPOINT handoff_row");
        sf_call_clear_failure(call);
        sf_status_t status = ok ? link_case(call, sf_db_int(rows, row, 0), sf_db_int(rows, row, 1),
                                            sf_db_text(rows, row, 2))
                                : SF_UNAVAILABLE;
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
