/* Every case step checks the case's state before the rest of the request:
 * each step (accept, assign, start, resolve, the return visit, reject,
 * transfer, dispatch, a provider's answer) asked of a closed and of a
 * rejected case, with its note, reason or other field missing or wrong, is
 * refused FAILED_PRECONDITION on "ref" naming the case's state (the
 * dispatch's, for an answer), no violation of the field, and nothing is
 * written; asked of a case in the right state, the same request is refused
 * for the field. */
#include "intake_test_support.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANNEL(name) SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_##name

static intake_world_t world;
static char too_long[601];

static long long
written(void)
{
    return intake_count(&world, "SELECT (SELECT count(*) FROM intake.case_history) * 1000"
                                " + (SELECT count(*) FROM intake.event_log)");
}

/* The requests of every step, each lacking a field it needs (or with one
 * out of bounds where the step needs none), for the case id. */
typedef struct {
    const char *method;
    const char *field;            /* the field a case in the right state is told of */
    const char *state_field;      /* where the state refusal points */
    ProtobufCMessage *request;
} bad_step_t;

static Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
static Sifang__V1__CaseAcceptRequest accept = SIFANG__V1__CASE_ACCEPT_REQUEST__INIT;
static Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
static Sifang__V1__CaseStepRequest start = SIFANG__V1__CASE_STEP_REQUEST__INIT;
static Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
static Sifang__V1__CaseCloseRequest close_request = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
static Sifang__V1__CaseRejectRequest reject = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
static Sifang__V1__CaseTransferRequest transfer = SIFANG__V1__CASE_TRANSFER_REQUEST__INIT;
static Sifang__V1__CaseDispatchRequest dispatch = SIFANG__V1__CASE_DISPATCH_REQUEST__INIT;
static Sifang__V1__CaseDispatchAnswerRequest answer = SIFANG__V1__CASE_DISPATCH_ANSWER_REQUEST__INIT;

static bad_step_t steps[] = {
    { "CaseAccept", "note", "ref", &accept.base },
    { "CaseAssign", "note", "ref", &assign.base },
    { "CaseStart", "note", "ref", &start.base },
    { "CaseResolve", "resolution", "ref", &resolve.base },
    { "CaseClose", "note", "ref", &close_request.base },
    { "CaseReject", "reason", "ref", &reject.base },
    { "CaseTransfer", "reason", "ref", &transfer.base },
    { "CaseDispatch", "provider_kind", "ref", &dispatch.base },
    { "CaseDispatchAnswer", "note", "accepted", &answer.base },
};
#define N_STEPS (sizeof steps / sizeof *steps)

static void
bad_requests(void)
{
    memset(too_long, 'x', sizeof too_long - 1);
    accept.ref = &ref;
    accept.item_code = too_long;         /* up to 48 */
    accept.note = too_long;              /* up to 500 */
    assign.ref = &ref;
    assign.note = too_long;
    start.ref = &ref;
    start.note = too_long;
    resolve.ref = &ref;
    resolve.resolution = "";             /* required */
    close_request.ref = &ref;
    close_request.satisfaction = 2;      /* dissatisfied: the note is required */
    close_request.note = "";
    reject.ref = &ref;
    reject.reason = "";                  /* required */
    transfer.ref = &ref;
    transfer.transferred_to = "";        /* required */
    transfer.reason = "";                /* required */
    dispatch.ref = &ref;
    dispatch.provider_kind = 99;         /* no such kind */
    dispatch.note = too_long;
    answer.ref = &ref;
    answer.accepted = false;             /* a decline: its reason is required */
    answer.note = "";
}

/* Each step of a case in a state none of them may be taken from: the state,
 * never the field, and nothing written. */
static void
refused_for_state(int64_t id, const char *state)
{
    ref.id = id;
    long long before = written();
    for (size_t s = 0; s < N_STEPS; s++) {
        sf_reply_info_t info;
        char request_id[64];
        snprintf(request_id, sizeof request_id, "order-%s-%lld", steps[s].method, (long long) id);
        sf_status_t status = intake_call(world.station, steps[s].method, request_id, steps[s].request, NULL, NULL,
                                         &info);
        /* A provider's answer is about the dispatch, which never was. */
        const char *named = strcmp(steps[s].method, "CaseDispatchAnswer") == 0 ? "not dispatched" : state;
        if (!SF_CHECK_EQ_INT(status, SF_FAILED_PRECONDITION)
            || !SF_CHECK(info.message && strstr(info.message, named) != NULL)
            || !SF_CHECK(intake_has_violation(&info, steps[s].state_field))
            || !SF_CHECK(info.n_violations == 1 && !intake_has_violation(&info, steps[s].field)))
            printf("%s of a %s case: %s %s\n", steps[s].method, state, sf_status_name(status),
                   info.message ? info.message : "");
    }
    SF_CHECK_EQ_INT(written(), before);
}

int
main(void)
{
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    if (!intake_world_start(&world, "intake_step_order", extra)) {
        intake_world_stop(&world);
        return sf_test_done();
    }
    bad_requests();
    /* A closed case: resolved, then its return visit. */
    Sifang__V1__Case *closed = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "legal-aid",
                                                                                 CHANNEL(WINDOW), "consultation"));
    Sifang__V1__Case *rejected = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "legal-aid",
                                                                                   CHANNEL(WINDOW), "consultation"));
    Sifang__V1__Case *open = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "residence-certificate",
                                                                               CHANNEL(WINDOW), "certificate"));
    if (!SF_CHECK(closed && rejected && open))
        goto done;
    Sifang__V1__CaseRef target = SIFANG__V1__CASE_REF__INIT;
    Sifang__V1__CaseResolveRequest done_request = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    target.id = closed->id;
    done_request.ref = &target;
    done_request.resolution = "answered";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseResolve", NULL, &done_request.base, NULL, NULL, NULL), SF_OK);
    Sifang__V1__CaseCloseRequest visit = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    visit.ref = &target;
    visit.satisfaction = 5;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseClose", NULL, &visit.base, NULL, NULL, NULL), SF_OK);
    Sifang__V1__CaseRejectRequest no = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
    Sifang__V1__CaseRef rejected_ref = SIFANG__V1__CASE_REF__INIT;
    rejected_ref.id = rejected->id;
    no.ref = &rejected_ref;
    no.reason = "not a matter for the station";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseReject", NULL, &no.base, NULL, NULL, NULL), SF_OK);

    refused_for_state(closed->id, "closed");
    refused_for_state(rejected->id, "rejected");

    /* The same requests of an open case are refused for their fields. */
    ref.id = open->id;
    const char *right_state[] = { "CaseResolve", "CaseReject", "CaseTransfer", "CaseStart", "CaseAssign" };
    for (size_t r = 0; r < sizeof right_state / sizeof *right_state; r++)
        for (size_t s = 0; s < N_STEPS; s++) {
            if (strcmp(steps[s].method, right_state[r]) != 0)
                continue;
            sf_reply_info_t info;
            sf_status_t status = intake_call(world.station, steps[s].method, NULL, steps[s].request, NULL, NULL,
                                             &info);
            if (!SF_CHECK_EQ_INT(status, SF_INVALID_ARGUMENT) || !SF_CHECK(intake_has_violation(&info, steps[s].field)))
                printf("%s of an open case: %s %s\n", steps[s].method, sf_status_name(status),
                       info.message ? info.message : "");
        }
done:
    intake_release_kept();
    intake_world_stop(&world);
    return sf_test_done();
}
