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
#define INBOX_BATCH 50
/* Who the person's events name as acting: intake's registration. */
#define REGISTRATION_ACTOR "intake-registration"

sf_status_t
emp_intake_apply(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    (void) arg;
    if (strcmp(event->type, "case.resolved") != 0)
        return SF_OK;
    Sifang__V1__Case *the_case = sifang__v1__case__unpack(NULL, event->payload.len, event->payload.data);
    if (!the_case)
        return SF_DATA_LOSS;   /* recorded and passed over (sf_follower.h) */
    sf_status_t status = SF_OK;
    const Sifang__V1__CaseRegistration *registration = the_case->registration;
    if (registration && (registration->kind == KIND(EMPLOYMENT) || registration->kind == KIND(DIFFICULTY))) {
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

/* The case's answer: its link row and its event. */
static sf_status_t
answer(sf_call_t *call, const char *case_ref, int64_t version, const Sifang__V1__CaseRegistration *registration,
       int outcome, const char *refusal, const char *field)
{
    PGresult *result = sf_call_query(call,
        "INSERT INTO case_registration (case_ref, case_version, kind, resident_id, outcome, refusal)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1",
        SF_PARAMS(case_ref, version, registration->kind, registration->resident_id, outcome, refusal));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return SF_OK;   /* answered before: once only */
    Sifang__V1__CaseRegistrationOutcome *reply = (Sifang__V1__CaseRegistrationOutcome *)
        sf_call_new_message(call, &sifang__v1__case_registration_outcome__descriptor);
    reply->case_ref = (char *) case_ref;
    reply->case_version = version;
    reply->kind = registration->kind;
    reply->service = "employment";
    if (outcome == 3) {
        reply->refusal = (char *) refusal;
        reply->field = (char *) field;
    } else {
        reply->linked_id = registration->resident_id;
        reply->created = outcome == 1;
    }
    sf_call_emit(call, outcome == 3 ? "registration.refused" : "registration.linked", case_ref, &reply->base);
    return SF_OK;
}

/* One waiting registration. Its registration runs in a savepoint: refused,
 * it leaves nothing but the refusal. */
static sf_status_t
apply_one(sf_call_t *call, const char *case_ref, int64_t version, const Sifang__V1__Case *the_case)
{
    sf_db_t *db = sf_call_db(call);
    const Sifang__V1__CaseRegistration *registration = the_case->registration;
    size_t events = sf_call_events_mark(call);
    if (!sf_db_command(db, "SAVEPOINT registration"))
        return SF_UNAVAILABLE;
    sf_call_clear_failure(call);
    bool created = false;
    sf_status_t status = register_person(call, case_ref, registration, &created);
    if (status == SF_OK) {
        if (!sf_db_command(db, "RELEASE SAVEPOINT registration"))
            return SF_UNAVAILABLE;
        return answer(call, case_ref, version, registration, created ? 1 : 2, "", "");
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
    return answer(call, case_ref, version, registration, 3, refusal, field);
}

void
emp_registrations_timer(sf_call_t *call, void *arg)
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
    /* Taken in the order intake resolved them (a person's two cases in turn). */
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
        sf_status_t status = apply_one(call, sf_db_text(rows, row, 0), sf_db_int(rows, row, 1), the_case);
        protobuf_c_message_free_unpacked(&the_case->base, NULL);
        ok = status == SF_OK;
    }
    int64_t head = -1;
    if (!ok || !sf_call_commit(call, &head))
        sf_db_rollback(db);
}
