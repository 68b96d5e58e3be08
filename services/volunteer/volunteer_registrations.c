/* One registration, all services (volunteer's side): intake's resolved
 * cases of 在职党员报到 register the in-service party member as a party
 * member volunteer of the community they report to, through the same paths
 * as VolunteerRegister and VolunteerUpdate (their checks: the member lives
 * in that community, grid's record says party member), and the answer goes
 * back to the case as an event intake follows ("registration.linked" or
 * "registration.refused", key the case ref, payload
 * CaseRegistrationOutcome). docs/registrations.md.
 *
 * Resolution is the approval (the handler's 办结; the return visit after it
 * only measures satisfaction). A resolved case waits in registration_inbox,
 * written with the intake follower's cursor; the loop's timer takes it, the
 * volunteer, the case's link and the answer in one transaction: each case
 * registers its member once, whatever stops in between. */
#include "volunteer.h"
#include "volunteer_registrations.h"
#include "sf_log.h"
#include "sifang/v1/intake.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND_PARTY_MEMBER SIFANG__V1__CASE_REGISTRATION_KIND__CASE_REGISTRATION_KIND_PARTY_MEMBER
#define INBOX_BATCH 50
#define REGISTRATION_ACTOR "intake-registration"

sf_status_t
volunteer_registration_apply(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__Case *the_case = sifang__v1__case__unpack(NULL, event->payload.len, event->payload.data);
    if (!the_case)
        return SF_DATA_LOSS;   /* recorded and passed over (sf_follower.h) */
    sf_status_t status = SF_OK;
    if (the_case->registration && the_case->registration->kind == KIND_PARTY_MEMBER) {
        char case_ref[160];
        snprintf(case_ref, sizeof case_ref, "%s/%lld", event->source, (long long) the_case->id);
        sf_params_t *params = SF_PARAMS(case_ref, the_case->version);
        sf_params_bytes(params, event->payload.data, event->payload.len);
        sf_params_int(params, event->seq);
        status = sf_db_run(db, "INSERT INTO registration_inbox (case_ref, case_version, the_case, source_seq)"
                               " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", params, NULL);
    }
    protobuf_c_message_free_unpacked(&the_case->base, NULL);
    return status;
}

/* The case's member against volunteer's copy of grid's resident. */
static sf_status_t
check_against_grid(sf_call_t *call, const Sifang__V1__CaseRegistration *registration)
{
    PGresult *result = sf_call_query(call, "SELECT name, household_code FROM ref_resident WHERE id = $1",
                                     SF_PARAMS(registration->resident_id));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "resident_id", "no resident %s is known from grid",
                              registration->resident_id);
    if (strcmp(sf_db_text(result, 0, 0), registration->name) != 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "name", "the case gives %s, grid's record of %s gives %s",
                              registration->name, registration->resident_id, sf_db_text(result, 0, 0));
    if (strcmp(sf_db_text(result, 0, 1), registration->household_code) != 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "household_code",
                              "the case gives %s, grid's record of %s gives %s", registration->household_code,
                              registration->resident_id, sf_db_text(result, 0, 1));
    return SF_OK;
}

/* The one call site of the registry's registration for a case: a new
 * volunteer through VolunteerRegister's path (in the community reported
 * to), a volunteer of that community through VolunteerUpdate's (now an
 * in-service member with their organisation); one of another community is
 * refused: a member reports where they live, and is a volunteer there. */
static sf_status_t
register_member(sf_call_t *call, const Sifang__V1__Case *the_case, int64_t *serial, bool *created)
{
    const Sifang__V1__CaseRegistration *registration = the_case->registration;
    sf_status_t status = check_against_grid(call, registration);
    if (status != SF_OK)
        return status;
    PGresult *known = sf_call_query(call, "SELECT serial, community_code FROM volunteer WHERE resident_id = $1",
                                    SF_PARAMS(registration->resident_id));
    if (!known)
        return sf_call_status(call);
    Sifang__V1__VolunteerProfile *reply = NULL;
    *created = PQntuples(known) == 0;
    if (*created) {
        Sifang__V1__VolunteerProfile profile = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
        profile.resident_id = registration->resident_id;
        profile.community_code = the_case->community_code;
        profile.in_service_party_member = true;
        profile.party_organisation = registration->party_organisation;
        status = volunteer_register(call, &profile.base, (ProtobufCMessage **) &reply);
    } else {
        const char *id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(known, 0, 0));
        if (strcmp(sf_db_text(known, 0, 1), the_case->community_code) != 0)
            return sf_call_refuse(call, SF_ALREADY_EXISTS, "resident_id",
                                  "resident %s is already volunteer %s of community %s, not of %s",
                                  registration->resident_id, id, sf_db_text(known, 0, 1), the_case->community_code);
        Sifang__V1__VolunteerUpdateRequest update = SIFANG__V1__VOLUNTEER_UPDATE_REQUEST__INIT;
        update.id = (char *) id;
        update.set_in_service = true;
        update.in_service_party_member = true;
        update.party_organisation = registration->party_organisation;
        status = volunteer_update(call, &update.base, (ProtobufCMessage **) &reply);
    }
    if (status != SF_OK)
        return status;
    /* Registered or not, the party record decides: grid's must say so. */
    if (!reply->party_member)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "resident_id",
                              "resident %s is not a party member in grid's record", registration->resident_id);
    int64_t parsed = 0;
    sf_serial_id_parse(reply->id, VOLUNTEER_ID_VOLUNTEER, &parsed);
    *serial = parsed;
    return SF_OK;
}

static sf_status_t
answer(sf_call_t *call, const char *case_ref, int64_t version, const Sifang__V1__CaseRegistration *registration,
       int64_t serial, int outcome, const char *refusal, const char *field)
{
    sf_params_t *params = SF_PARAMS(case_ref, version, registration->resident_id);
    if (serial)
        sf_params_int(params, serial);
    else
        sf_params_null(params);
    SF_PARAMS_ADD(params, outcome, refusal);
    PGresult *result = sf_call_query(call,
        "INSERT INTO case_registration (case_ref, case_version, resident_id, volunteer_serial, outcome, refusal)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1", params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return SF_OK;   /* answered before: once only */
    Sifang__V1__CaseRegistrationOutcome *reply = (Sifang__V1__CaseRegistrationOutcome *)
        sf_call_new_message(call, &sifang__v1__case_registration_outcome__descriptor);
    reply->case_ref = (char *) case_ref;
    reply->case_version = version;
    reply->kind = registration->kind;
    reply->service = "volunteer";
    if (outcome == 3) {
        reply->refusal = (char *) refusal;
        reply->field = (char *) field;
    } else {
        reply->linked_id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, serial);
        reply->created = outcome == 1;
    }
    sf_call_emit(call, outcome == 3 ? "registration.refused" : "registration.linked", case_ref, &reply->base);
    return SF_OK;
}

/* One waiting registration, in a savepoint: refused, it leaves nothing but
 * the refusal. */
static sf_status_t
apply_one(sf_call_t *call, const char *case_ref, int64_t version, const Sifang__V1__Case *the_case)
{
    sf_db_t *db = sf_call_db(call);
    size_t events = sf_call_events_mark(call);
    if (!sf_db_command(db, "SAVEPOINT registration"))
        return SF_UNAVAILABLE;
    sf_call_clear_failure(call);
    int64_t serial = 0;
    bool created = false;
    sf_status_t status = register_member(call, the_case, &serial, &created);
    if (status == SF_OK) {
        if (!sf_db_command(db, "RELEASE SAVEPOINT registration"))
            return SF_UNAVAILABLE;
        return answer(call, case_ref, version, the_case->registration, serial, created ? 1 : 2, "", "");
    }
    if (status == SF_UNAVAILABLE || !sf_db_is_up(db))
        return SF_UNAVAILABLE;
    const char *refusal = sf_call_strdup(call, sf_call_failure_text(call));
    const char *field = sf_call_strdup(call, sf_call_violation_field(call));
    sf_call_events_undo(call, events);
    if (!sf_db_command(db, "ROLLBACK TO SAVEPOINT registration") || !sf_db_command(db, "RELEASE SAVEPOINT registration"))
        return SF_UNAVAILABLE;
    sf_call_clear_failure(call);
    sf_info("registration refused", "case", case_ref, "reason", refusal);
    return answer(call, case_ref, version, the_case->registration, 0, 3, refusal, field);
}

void
volunteer_registrations_timer(sf_call_t *call, void *arg)
{
    (void) arg;
    if (!sf_server_ready(sf_call_server(call)))
        return;
    sf_db_t *db = sf_call_db(call);
    /* Cheap when empty, which is nearly always. */
    PGresult *peek = sf_db_query(db, "SELECT EXISTS (SELECT 1 FROM registration_inbox)", NULL);
    bool waiting = sf_db_result_ok(peek) && sf_db_bool(peek, 0, 0);
    PQclear(peek);
    if (!waiting || !sf_db_begin(db))
        return;
    sf_call_act_as(call, REGISTRATION_ACTOR);
    /* Taken in the order intake resolved them. */
    PGresult *rows = sf_call_query(call,
        "WITH taken AS (DELETE FROM registration_inbox WHERE (case_ref, case_version) IN"
        " (SELECT case_ref, case_version FROM registration_inbox ORDER BY source_seq LIMIT $1)"
        " RETURNING case_ref, case_version, the_case, source_seq)"
        " SELECT case_ref, case_version, the_case FROM taken ORDER BY source_seq", SF_PARAMS(INBOX_BATCH));
    bool ok = rows != NULL;
    int n = ok ? PQntuples(rows) : 0;
    for (int row = 0; ok && row < n; row++) {
        size_t size = 0;
        unsigned char *bytes = PQunescapeBytea((const unsigned char *) sf_db_text(rows, row, 2), &size);
        Sifang__V1__Case *the_case = bytes ? sifang__v1__case__unpack(NULL, size, bytes) : NULL;
        PQfreemem(bytes);
        if (!the_case || !the_case->registration) {
            sf_warn("registration inbox row does not decode; dropped", "case", sf_db_text(rows, row, 0));
            if (the_case)
                protobuf_c_message_free_unpacked(&the_case->base, NULL);
            continue;
        }
        ok = apply_one(call, sf_db_text(rows, row, 0), sf_db_int(rows, row, 1), the_case) == SF_OK;
        protobuf_c_message_free_unpacked(&the_case->base, NULL);
    }
    int64_t head = -1;
    if (!ok || !sf_call_commit(call, &head))
        sf_db_rollback(db);
}
