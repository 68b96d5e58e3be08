/* One registration, all services: the inbox employment and volunteer share
 * (sf_registration_inbox.h). */
#include "sf_registration_inbox.h"
#include "sf_log.h"
#include "sf_params.h"
#include <stdio.h>
#include <string.h>

#define INBOX_BATCH 50
/* Who the registration's events name as acting: intake's registration. */
#define REGISTRATION_ACTOR "intake-registration"

sf_status_t
sf_registration_inbox_keep(const sf_registration_owner_t *owner, sf_db_t *db, const Sifang__V1__Event *event)
{
    if (strcmp(event->type, "case.resolved") != 0)
        return SF_OK;
    Sifang__V1__Case *the_case = sifang__v1__case__unpack(NULL, event->payload.len, event->payload.data);
    if (!the_case)
        return SF_DATA_LOSS;   /* recorded and passed over (sf_follower.h) */
    sf_status_t status = SF_OK;
    const Sifang__V1__CaseRegistration *registration = the_case->registration;
    if (registration && registration->kind > 0 && registration->kind < 32
        && (owner->kinds & SF_REGISTRATION_KIND_BIT(registration->kind))) {
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

/* The case's answer: its link row and, the first time, its event. */
static sf_status_t
answer(const sf_registration_owner_t *owner, sf_call_t *call, const char *case_ref, int64_t version,
       const Sifang__V1__CaseRegistration *registration, const char *linked_id, sf_registration_outcome_t outcome,
       const char *refusal, const char *field)
{
    bool fresh = false;
    sf_status_t status = owner->link(call, case_ref, version, registration, linked_id, outcome, refusal, &fresh);
    if (status != SF_OK || !fresh)
        return status;   /* answered before: once only */
    Sifang__V1__CaseRegistrationOutcome *reply = (Sifang__V1__CaseRegistrationOutcome *)
        sf_call_new_message(call, &sifang__v1__case_registration_outcome__descriptor);
    reply->case_ref = (char *) case_ref;
    reply->case_version = version;
    reply->kind = registration->kind;
    reply->service = (char *) owner->service;
    if (outcome == SF_REGISTRATION_REFUSED) {
        reply->refusal = (char *) refusal;
        reply->field = (char *) field;
    } else {
        reply->linked_id = (char *) linked_id;
        reply->created = outcome == SF_REGISTRATION_CREATED;
    }
    sf_call_emit(call, outcome == SF_REGISTRATION_REFUSED ? "registration.refused" : "registration.linked",
                 case_ref, &reply->base);
    return SF_OK;
}

/* One waiting registration. The registration runs in a savepoint: refused,
 * it leaves nothing but the refusal. */
static sf_status_t
apply_one(const sf_registration_owner_t *owner, sf_call_t *call, const char *case_ref, int64_t version,
          const Sifang__V1__Case *the_case)
{
    sf_db_t *db = sf_call_db(call);
    const Sifang__V1__CaseRegistration *registration = the_case->registration;
    size_t events = sf_call_events_mark(call);
    if (!sf_db_command(db, "SAVEPOINT registration"))
        return SF_UNAVAILABLE;
    sf_call_clear_failure(call);
    const char *linked_id = "";
    bool created = false;
    sf_status_t status = owner->enrol(call, case_ref, the_case, &linked_id, &created);
    if (status == SF_OK) {
        if (!sf_db_command(db, "RELEASE SAVEPOINT registration"))
            return SF_UNAVAILABLE;
        return answer(owner, call, case_ref, version, registration, linked_id,
                      created ? SF_REGISTRATION_CREATED : SF_REGISTRATION_UPDATED, "", "");
    }
    if (status == SF_UNAVAILABLE || !sf_db_is_up(db))
        return SF_UNAVAILABLE;
    const char *refusal = sf_call_strdup(call, sf_call_failure_text(call));
    const char *field = sf_call_strdup(call, sf_call_violation_field(call));
    sf_call_events_undo(call, events);
    if (!sf_db_command(db, "ROLLBACK TO SAVEPOINT registration") || !sf_db_command(db, "RELEASE SAVEPOINT registration"))
        return SF_UNAVAILABLE;
    sf_call_clear_failure(call);
    sf_info("registration refused", "service", owner->service, "case", case_ref, "reason", refusal);
    return answer(owner, call, case_ref, version, registration, "", SF_REGISTRATION_REFUSED, refusal, field);
}

void
sf_registration_inbox_timer(sf_call_t *call, void *arg)
{
    const sf_registration_owner_t *owner = arg;
    if (!sf_server_ready(sf_call_server(call)))
        return;
    sf_db_t *db = sf_call_db(call);
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
            sf_warn("registration inbox row does not decode; dropped", "service", owner->service,
                    "case", sf_db_text(rows, row, 0));
            if (the_case)
                protobuf_c_message_free_unpacked(&the_case->base, NULL);
            continue;
        }
        ok = apply_one(owner, call, sf_db_text(rows, row, 0), sf_db_int(rows, row, 1), the_case) == SF_OK;
        protobuf_c_message_free_unpacked(&the_case->base, NULL);
    }
    int64_t head = -1;
    if (!ok || !sf_call_commit(call, &head))
        sf_db_rollback(db);
}
