/* What intake takes from the volunteer registry's event log: the
 * dispatch events for intake's own cases, into the dispatch inbox, and the
 * case refs that tie a dispatch to its case. It runs in the peers thread,
 * inside the follower's transaction, and touches nothing else. */
#include "intake_peers.h"
#include "intake_registration.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <stdio.h>
#include <string.h>

void
intake_case_ref_format(char *out, size_t size, const char *instance, int64_t case_id, int attempt)
{
    snprintf(out, size, "%s/%lld/%d", instance, (long long) case_id, attempt);
}

bool
intake_case_ref_parse(const char *case_ref, const char *instance, int64_t *case_id, int *attempt)
{
    size_t length = strlen(instance);
    if (strncmp(case_ref, instance, length) != 0 || case_ref[length] != '/')
        return false;
    long long id = 0, try = 0;
    int used = 0;
    if (sscanf(case_ref + length + 1, "%18lld/%9lld%n", &id, &try, &used) != 2
        || case_ref[length + 1 + used] != 0 || id <= 0 || try <= 0)
        return false;
    *case_id = (int64_t) id;
    *attempt = (int) try;
    return true;
}

sf_status_t
intake_apply_volunteer_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    intake_peers_t *peers = arg;
    if (intake_peers_stopping(peers))
        return SF_UNAVAILABLE;
    /* The registry's answers to 在职党员报到 (intake_registration.c). */
    if (strncmp(event->type, "registration.", 13) == 0)
        return intake_apply_registration_event(db, event, arg);
    if (strncmp(event->type, "dispatch.", 9) != 0)
        return SF_OK;
    Sifang__V1__VolunteerDispatch *dispatch = sifang__v1__volunteer_dispatch__unpack(NULL, event->payload.len,
                                                                                   event->payload.data);
    if (!dispatch)
        return SF_DATA_LOSS;   /* recorded and passed over (sf_follower.h) */
    /* Only dispatches made for this instance's cases ("intake/123/1"). */
    int64_t case_id = 0;
    int attempt = 0;
    sf_status_t status = SF_OK;
    if (intake_case_ref_parse(dispatch->case_ref, intake_peers_instance(peers), &case_id, &attempt)) {
        sf_params_t *params = SF_PARAMS(case_id, attempt);
        sf_params_bytes(params, event->payload.data, event->payload.len);
        sf_params_text(params, event->type);
        status = sf_db_run(db,
            "INSERT INTO dispatch_inbox (case_id, attempt, kind, dispatch, message) VALUES ($1, $2, 1, $3, $4)",
            params, NULL);
    }
    protobuf_c_message_free_unpacked(&dispatch->base, NULL);
    return status;
}
