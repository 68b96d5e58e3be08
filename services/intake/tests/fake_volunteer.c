/* intake_fake_volunteer: a stand-in for the volunteer registry in intake's
 * dispatch test. A real daemon on the common service loop that answers
 * volunteer.proto's dispatch methods (DispatchOffer, Accept, Decline,
 * Complete, Cancel, Get) the way the contract describes, with the events
 * "dispatch.<offered|accepted|declined|completed|cancelled>" in its own
 * event log, so intake is tested against the contract and not against
 * another engineer's work in progress. Candidates: volunteer V000001, then
 * V000002 on a reoffer; no candidate for the skill in
 * FAKE_VOLUNTEER_NO_CANDIDATE_SKILL. */
#include "sf_log.h"
#include "sf_server.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS(name) SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_##name

static const sf_migration_t fake_migrations[] = {
    { 1, "dispatch",
      "CREATE SEQUENCE fake_dispatch_seq;\n"
      "CREATE TABLE fake_dispatch (id text PRIMARY KEY, case_ref text NOT NULL, body bytea NOT NULL);\n" },
    { 0, NULL, NULL },
};

/* protobuf-c allocates the unpacked dispatch from the call. */
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

static Sifang__V1__VolunteerDispatch *
load(sf_call_t *call, const char *id)
{
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, id);
    PGresult *result = sf_call_query(call, "SELECT body FROM fake_dispatch WHERE id = $1 FOR UPDATE", &params);
    if (!result || PQntuples(result) != 1)
        return NULL;
    size_t size = 0;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *) sf_db_text(result, 0, 0), &size);
    ProtobufCAllocator allocator = { call_alloc, call_free, call };
    Sifang__V1__VolunteerDispatch *dispatch = bytes ? sifang__v1__volunteer_dispatch__unpack(&allocator, size, bytes)
                                                    : NULL;
    PQfreemem(bytes);
    return dispatch;
}

static sf_status_t
store(sf_call_t *call, Sifang__V1__VolunteerDispatch *dispatch, const char *event, ProtobufCMessage **reply_p)
{
    dispatch->updated_unix_ms = sf_now_ms();
    size_t size = sifang__v1__volunteer_dispatch__get_packed_size(dispatch);
    uint8_t *bytes = sf_call_alloc(call, size + 1);
    sifang__v1__volunteer_dispatch__pack(dispatch, bytes);
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, dispatch->id);
    sf_params_text(&params, dispatch->case_ref);
    sf_params_bytes(&params, bytes, size);
    if (!sf_call_query(call, "INSERT INTO fake_dispatch (id, case_ref, body) VALUES ($1, $2, $3)"
                             " ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body", &params))
        return sf_call_status(call);
    sf_call_emit(call, event, dispatch->id, &dispatch->base);
    *reply_p = &dispatch->base;
    return SF_OK;
}

static void
assign(Sifang__V1__VolunteerDispatch *dispatch, const char *volunteer_id, const char *name, double km)
{
    dispatch->assignee_kind = SIFANG__V1__DISPATCH_ASSIGNEE_KIND__DISPATCH_ASSIGNEE_KIND_VOLUNTEER;
    dispatch->volunteer_id = (char *) volunteer_id;
    dispatch->team_id = "";
    dispatch->assignee_name = (char *) name;
    dispatch->distance_km = km;
}

static sf_status_t
dispatch_offer(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DispatchOfferRequest *offer = (const Sifang__V1__DispatchOfferRequest *) request;
    if (!*offer->zone_code && !*offer->household_code)
        sf_call_violation(call, "zone_code", "is required (or household_code)");
    if (!*offer->skill)
        sf_call_violation(call, "skill", "is required");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const char *none = getenv("FAKE_VOLUNTEER_NO_CANDIDATE_SKILL");
    if (none && strcmp(none, offer->skill) == 0)
        return sf_call_fail(call, SF_FAILED_PRECONDITION, "no candidate for %s near %s", offer->skill,
                            offer->zone_code);
    PGresult *serial = sf_call_query(call, "SELECT nextval('fake_dispatch_seq')", NULL);
    if (!serial)
        return sf_call_status(call);
    Sifang__V1__VolunteerDispatch *dispatch = (Sifang__V1__VolunteerDispatch *)
        sf_call_new_message(call, &sifang__v1__volunteer_dispatch__descriptor);
    dispatch->id = sf_call_printf(call, "D%08lld", (long long) sf_db_int(serial, 0, 0));
    dispatch->status = STATUS(OFFERED);
    dispatch->zone_code = *offer->zone_code ? offer->zone_code : sf_call_printf(call, "%.14s", offer->household_code);
    dispatch->skill = offer->skill;
    dispatch->at_unix_ms = offer->at_unix_ms ? offer->at_unix_ms : sf_now_ms();
    dispatch->duration_minutes = offer->duration_minutes ? offer->duration_minutes : 60;
    dispatch->case_ref = offer->case_ref;
    dispatch->household_code = offer->household_code;
    dispatch->description = offer->description;
    assign(dispatch, "V000001", "志愿者小王", 0.8);
    dispatch->attempt = 1;
    dispatch->requested_by = sf_call_strdup(call, sf_call_principal(call)->id);
    dispatch->created_unix_ms = sf_now_ms();
    dispatch->version = 1;
    return store(call, dispatch, "dispatch.offered", reply_p);
}

static sf_status_t
found(sf_call_t *call, const char *id, Sifang__V1__VolunteerDispatch **dispatch_p)
{
    *dispatch_p = load(call, id);
    if (sf_call_status(call) != SF_OK)
        return sf_call_status(call);
    if (!*dispatch_p) {
        sf_call_fail(call, SF_NOT_FOUND, "no dispatch %s", id);
        sf_call_violation(call, "id", "no dispatch %s", id);
        return SF_NOT_FOUND;
    }
    (*dispatch_p)->version++;
    return SF_OK;
}

static sf_status_t
dispatch_accept(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    Sifang__V1__VolunteerDispatch *dispatch;
    sf_status_t status = found(call, ((const Sifang__V1__DispatchAcceptRequest *) request)->id, &dispatch);
    if (status != SF_OK)
        return status;
    if (dispatch->status != STATUS(OFFERED))
        return sf_call_fail(call, SF_FAILED_PRECONDITION, "dispatch %s is not offered", dispatch->id);
    dispatch->status = STATUS(ACCEPTED);
    return store(call, dispatch, "dispatch.accepted", reply_p);
}

static sf_status_t
dispatch_decline(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DispatchDeclineRequest *decline = (const Sifang__V1__DispatchDeclineRequest *) request;
    Sifang__V1__VolunteerDispatch *dispatch;
    sf_status_t status = found(call, decline->id, &dispatch);
    if (status != SF_OK)
        return status;
    if (dispatch->status != STATUS(OFFERED))
        return sf_call_fail(call, SF_FAILED_PRECONDITION, "dispatch %s is not offered", dispatch->id);
    char **declined = sf_call_new_array(call, dispatch->n_declined_by + 1, sizeof *declined);
    for (size_t i = 0; i < dispatch->n_declined_by; i++)
        declined[i] = dispatch->declined_by[i];
    declined[dispatch->n_declined_by++] = dispatch->volunteer_id;
    dispatch->declined_by = declined;
    dispatch->note = decline->reason;
    if (decline->reoffer && dispatch->n_declined_by < 2) {
        assign(dispatch, "V000002", "志愿者小李", 1.6);
        dispatch->attempt++;
    } else
        dispatch->status = STATUS(DECLINED);
    return store(call, dispatch, "dispatch.declined", reply_p);
}

static sf_status_t
dispatch_complete(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DispatchCompleteRequest *complete = (const Sifang__V1__DispatchCompleteRequest *) request;
    Sifang__V1__VolunteerDispatch *dispatch;
    sf_status_t status = found(call, complete->id, &dispatch);
    if (status != SF_OK)
        return status;
    if (dispatch->status != STATUS(ACCEPTED))
        return sf_call_fail(call, SF_FAILED_PRECONDITION, "dispatch %s is not accepted", dispatch->id);
    dispatch->status = STATUS(COMPLETED);
    dispatch->note = complete->note;
    return store(call, dispatch, "dispatch.completed", reply_p);
}

static sf_status_t
dispatch_cancel(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DispatchCancelRequest *cancel = (const Sifang__V1__DispatchCancelRequest *) request;
    Sifang__V1__VolunteerDispatch *dispatch;
    sf_status_t status = found(call, cancel->id, &dispatch);
    if (status != SF_OK)
        return status;
    if (dispatch->status != STATUS(OFFERED) && dispatch->status != STATUS(ACCEPTED))
        return sf_call_fail(call, SF_FAILED_PRECONDITION, "dispatch %s has ended", dispatch->id);
    dispatch->status = STATUS(CANCELLED);
    dispatch->note = cancel->reason;
    return store(call, dispatch, "dispatch.cancelled", reply_p);
}

static sf_status_t
dispatch_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    Sifang__V1__VolunteerDispatch *dispatch = load(call, ((const Sifang__V1__DispatchGetRequest *) request)->id);
    if (!dispatch)
        return sf_call_status(call) != SF_OK ? sf_call_status(call) : sf_call_fail(call, SF_NOT_FOUND, "no dispatch");
    *reply_p = &dispatch->base;
    return SF_OK;
}

static const sf_method_t fake_methods[] = {
    { "DispatchOffer", dispatch_offer, SF_METHOD_WRITE, "admin district street community service", NULL },
    { "DispatchAccept", dispatch_accept, SF_METHOD_WRITE, NULL, NULL },
    { "DispatchDecline", dispatch_decline, SF_METHOD_WRITE, NULL, NULL },
    { "DispatchComplete", dispatch_complete, SF_METHOD_WRITE, NULL, NULL },
    { "DispatchCancel", dispatch_cancel, SF_METHOD_WRITE, "admin district street community service", NULL },
    { "DispatchGet", dispatch_get, SF_METHOD_READ, NULL, NULL },
    { NULL, NULL, SF_METHOD_READ, NULL, NULL },
};

int
main(void)
{
    sf_log_init("volunteer");
    const sf_service_t service = {
        .service = "volunteer",
        .descriptor = &sifang__v1__volunteer__descriptor,
        .methods = fake_methods,
        .migrations = fake_migrations,
    };
    char error[256];
    sf_server_t *server = sf_server_new(&service, error, sizeof error);
    if (!server) {
        sf_error("cannot start", "reason", error);
        return 1;
    }
    int rc = sf_server_run(server);
    sf_server_destroy(&server);
    return rc;
}
