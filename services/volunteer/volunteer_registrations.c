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

/* The case's link row (sf_registration_owner_t.link): the volunteer's serial. */
static sf_status_t
link_case(sf_call_t *call, const char *case_ref, int64_t version, const Sifang__V1__CaseRegistration *registration,
          const char *linked_id, sf_registration_outcome_t outcome, const char *refusal, bool *fresh)
{
    int64_t serial = 0;
    sf_params_t *params = SF_PARAMS(case_ref, version, registration->resident_id);
    if (*linked_id && sf_serial_id_parse(linked_id, VOLUNTEER_ID_VOLUNTEER, &serial))
        sf_params_int(params, serial);
    else
        sf_params_null(params);
    SF_PARAMS_ADD(params, (int) outcome, refusal);
    PGresult *result = sf_call_query(call,
        "INSERT INTO case_registration (case_ref, case_version, resident_id, volunteer_serial, outcome, refusal)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1", params);
    if (!result)
        return sf_call_status(call);
    *fresh = PQntuples(result) > 0;
    return SF_OK;
}

/* sf_registration_owner_t.enrol: the member, linked by their volunteer id. */
static sf_status_t
enrol(sf_call_t *call, const char *case_ref, const Sifang__V1__Case *the_case, const char **linked_id, bool *created)
{
    (void) case_ref;
    int64_t serial = 0;
    sf_status_t status = register_member(call, the_case, &serial, created);
    if (status == SF_OK)
        *linked_id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, serial);
    return status;
}

const sf_registration_owner_t volunteer_registration_owner = {
    .service = "volunteer",
    .kinds = SF_REGISTRATION_KIND_BIT(KIND_PARTY_MEMBER),
    .enrol = enrol,
    .link = link_case,
};

sf_status_t
volunteer_registration_apply(sf_db_t *db, const Sifang__V1__Event *event)
{
    return sf_registration_inbox_keep(&volunteer_registration_owner, db, event);
}
