/* One registration, all services (employment_registrations.h): intake's
 * resolved cases of 就业失业登记 and 就业困难人员认定 become the person's
 * registration here, through the same paths as PersonRegister and
 * PersonUpdate (their checks, the difficulty categories' rules, their
 * events), and the answer goes back to the case as an event intake follows.
 *
 * Resolution is the approval: the handler's 办结 is the decision on the
 * registration, the return visit after it only measures satisfaction, and
 * intake holds the return visit until the answer is in (a refusal sends the
 * case back to its handler). */
#include "employment_registrations.h"
#include "sf_log.h"
#include "sifang/v1/intake.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND(name) SIFANG__V1__CASE_REGISTRATION_KIND__CASE_REGISTRATION_KIND_##name

/* The case's person against employment's copy of grid's resident: the
 * clerk wrote down what the resident showed, and grid's record is the one
 * the district keeps; a difference is the clerk's to clear up first. */
static sf_status_t
check_against_grid(sf_call_t *call, const Sifang__V1__CaseRegistration *registration)
{
    PGresult *result = sf_call_query(call,
        "SELECT name, gender, " EMP_DATE("birth_date") ", household_code FROM ref_resident WHERE id = $1",
        SF_PARAMS(registration->resident_id));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "resident_id", "no resident %s is known from grid",
                              registration->resident_id);
    struct { const char *field, *theirs, *ours; } facts[] = {
        { "name", sf_db_text(result, 0, 0), registration->name },
        { "birth_date", sf_db_text(result, 0, 2), registration->birth_date },
        { "household_code", sf_db_text(result, 0, 3), registration->household_code },
    };
    for (size_t i = 0; i < sizeof facts / sizeof *facts; i++)
        if (strcmp(facts[i].theirs, facts[i].ours) != 0)
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, facts[i].field,
                                  "the case gives %s, grid's record of %s gives %s", facts[i].ours,
                                  registration->resident_id, facts[i].theirs);
    if (sf_db_int(result, 0, 1) != registration->gender)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "gender", "the case's sex is not grid's record of %s",
                              registration->resident_id);
    return SF_OK;
}

/* The one call site of employment's person registration for a case: a new
 * person through PersonRegister's path, a known one through PersonUpdate's
 * (the status registered; a certification's categories added to those
 * already recognised). *created tells which. */
static sf_status_t
register_person(sf_call_t *call, const char *case_ref, const Sifang__V1__CaseRegistration *registration,
                bool *created)
{
    sf_status_t status = check_against_grid(call, registration);
    if (status != SF_OK)
        return status;
    Sifang__V1__Person *known = NULL;
    if ((status = emp_person_load(call, registration->resident_id, true, &known, NULL)) != SF_OK)
        return status;
    ProtobufCMessage *reply = NULL;
    *created = known == NULL;
    if (!known) {
        Sifang__V1__Person person = SIFANG__V1__PERSON__INIT;
        person.resident_id = registration->resident_id;
        person.status = registration->labor_status;
        person.n_difficulties = registration->n_difficulties;
        person.difficulties = registration->difficulties;
        person.seeking_work = registration->seeking_work;
        person.disability_certificate = registration->disability_certificate;
        return emp_person_register(call, &person.base, &reply);
    }
    Sifang__V1__PersonUpdateRequest update = SIFANG__V1__PERSON_UPDATE_REQUEST__INIT;
    update.resident_id = registration->resident_id;
    update.reason = sf_call_printf(call, "intake case %s", case_ref);
    /* The period it begins is labelled by what the case was. */
    update.event = registration->kind == KIND(DIFFICULTY) ? SIFANG__V1__STATUS_EVENT__STATUS_EVENT_CERTIFICATION
                                                          : SIFANG__V1__STATUS_EVENT__STATUS_EVENT_REGISTRATION;
    if (*registration->disability_certificate) {
        update.set_disability_certificate = true;
        update.disability_certificate = registration->disability_certificate;
    }
    if (registration->labor_status != known->status)
        update.status = registration->labor_status;
    update.set_seeking_work = true;
    update.seeking_work = registration->seeking_work;
    if (registration->kind == KIND(DIFFICULTY)) {
        Sifang__V1__DifficultyCategory *all = sf_call_new_array(call, known->n_difficulties
                                                                     + registration->n_difficulties, sizeof *all);
        size_t n = 0;
        for (size_t i = 0; i < known->n_difficulties; i++)
            all[n++] = known->difficulties[i];
        for (size_t i = 0; i < registration->n_difficulties; i++) {
            bool held = false;
            for (size_t j = 0; j < known->n_difficulties; j++)
                held = held || known->difficulties[j] == registration->difficulties[i];
            if (!held)
                all[n++] = registration->difficulties[i];
        }
        update.set_difficulties = true;
        update.difficulties = all;
        update.n_difficulties = n;
    }
    return emp_person_update(call, &update.base, &reply);
}

/* The case's link row (sf_registration_owner_t.link). */
static sf_status_t
link_case(sf_call_t *call, const char *case_ref, int64_t version, const Sifang__V1__CaseRegistration *registration,
          const char *linked_id, sf_registration_outcome_t outcome, const char *refusal, bool *fresh)
{
    (void) linked_id;   /* the person is the resident the registration names */
    PGresult *result = sf_call_query(call,
        "INSERT INTO case_registration (case_ref, case_version, kind, resident_id, outcome, refusal)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1",
        SF_PARAMS(case_ref, version, registration->kind, registration->resident_id, (int) outcome, refusal));
    if (!result)
        return sf_call_status(call);
    *fresh = PQntuples(result) > 0;
    return SF_OK;
}

/* sf_registration_owner_t.enrol: the person, linked by their resident id. */
static sf_status_t
enrol(sf_call_t *call, const char *case_ref, const Sifang__V1__Case *the_case, const char **linked_id, bool *created)
{
    sf_status_t status = register_person(call, case_ref, the_case->registration, created);
    *linked_id = the_case->registration->resident_id;
    return status;
}

const sf_registration_owner_t emp_registration_owner = {
    .service = "employment",
    .kinds = SF_REGISTRATION_KIND_BIT(KIND(EMPLOYMENT)) | SF_REGISTRATION_KIND_BIT(KIND(DIFFICULTY)),
    .enrol = enrol,
    .link = link_case,
};

sf_status_t
emp_intake_apply(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    (void) arg;
    return sf_registration_inbox_keep(&emp_registration_owner, db, event);
}
