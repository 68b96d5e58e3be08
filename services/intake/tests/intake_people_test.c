/* Integration test of intake with people's principals (the grants the
 * gateway forwards for a logged-in person), against the real grid and
 * intake: for every case read and write, a person in scope, out of scope, a
 * first responder who moved, department staff of the assigned department
 * and of another, roles whose duty is not cases, and the anonymous viewer's
 * key; the status of each, and every requester field compared with the row
 * in SQL (in the clear, masked by the suite's masks, or blank). */
#include "intake_test_support.h"
#include "sf_ids.h"
#include "sf_test_person.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANNEL(name) SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_##name
#define STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name

static intake_world_t world;

/* The people, each on a client of their own. */
static sf_client_t *clerk;          /* S00001, window clerk of T_COMMUNITY */
static sf_client_t *moved;          /* S00001 after moving to T_COMMUNITY_2 */
static sf_client_t *outsider;       /* S00003, community staff of T_COMMUNITY_2 */
static sf_client_t *counsellor;     /* employment counsellor of T_COMMUNITY: views it, no duty to requesters */
static sf_client_t *leader;         /* leader, whole district */
static sf_client_t *civil_staff;    /* department staff of civil-affairs */
static sf_client_t *hr_staff;       /* department staff of human-resources */

static sf_client_t *
person(const char *id, const char *department, const char *role, const char *view, const char *write)
{
    sf_client_t *client = sf_client_new(world.intake_endpoint, NULL);
    sf_test_grant_t grant = { role, view, write, "*" };
    if (!SF_CHECK(client != NULL) || !SF_CHECK_EQ_INT(sf_test_set_person(client, id, department, &grant, 1), 0))
        return NULL;
    return client;
}

/* Counts of what a refused request must not have changed. */
static long long
written(void)
{
    return intake_count(&world, "SELECT (SELECT count(*) FROM intake.intake_case) * 1000000"
                                " + (SELECT count(*) FROM intake.case_history) * 1000"
                                " + (SELECT count(*) FROM intake.event_log)");
}

static void
expect_refused(sf_client_t *client, const char *method, const ProtobufCMessage *request, sf_status_t want,
               int line)
{
    long long before = written();
    sf_reply_info_t info;
    char id[40];
    sf_request_id_new(id);
    sf_status_t status = intake_call(client, method, id, request, &sifang__v1__case__descriptor, NULL, &info);
    if (status != want)
        SF_FAIL("line %d: %s gave %s (%s), wanted %s", line, method, sf_status_name(status),
                info.message ? info.message : "", sf_status_name(want));
    if (written() != before)
        SF_FAIL("line %d: %s was refused but wrote something", line, method);
}

/* Every step of a case asked by client, each refused with want; but
 * accepting, refused to a role that does not register cases (department
 * staff) before the case is looked at, with accept_want. */
static void
steps_refused(sf_client_t *client, int64_t id, sf_status_t want, sf_status_t accept_want, int line)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__CaseAcceptRequest accept = SIFANG__V1__CASE_ACCEPT_REQUEST__INIT;
    accept.ref = &ref;
    Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    assign.ref = &ref;
    Sifang__V1__CaseStepRequest start = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    start.ref = &ref;
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = &ref;
    resolve.resolution = "已办结";
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = &ref;
    close.satisfaction = 5;
    Sifang__V1__CaseRejectRequest reject = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
    reject.ref = &ref;
    reject.reason = "不受理";
    Sifang__V1__CaseTransferRequest transfer = SIFANG__V1__CASE_TRANSFER_REQUEST__INIT;
    transfer.ref = &ref;
    transfer.transferred_to = "四方区人民法院";
    transfer.reason = "移交";
    Sifang__V1__CaseDispatchRequest dispatch = SIFANG__V1__CASE_DISPATCH_REQUEST__INIT;
    dispatch.ref = &ref;
    dispatch.provider_kind = SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_BUSINESS;
    dispatch.provider_id = "M001";
    dispatch.provider_name = "好邻居家政";
    Sifang__V1__CaseDispatchAnswerRequest answer = SIFANG__V1__CASE_DISPATCH_ANSWER_REQUEST__INIT;
    answer.ref = &ref;
    answer.accepted = true;
    const struct {
        const char *method;
        const ProtobufCMessage *request;
    } steps[] = {
        { "CaseAccept", &accept.base }, { "CaseAssign", &assign.base }, { "CaseStart", &start.base },
        { "CaseResolve", &resolve.base }, { "CaseClose", &close.base }, { "CaseReject", &reject.base },
        { "CaseTransfer", &transfer.base }, { "CaseDispatch", &dispatch.base },
        { "CaseDispatchAnswer", &answer.base },
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        expect_refused(client, steps[i].method, steps[i].request, i == 0 ? accept_want : want, line);
}
#define STEPS_REFUSED(client, id, want) steps_refused(client, id, want, want, __LINE__)
#define DEPARTMENT_STEPS_REFUSED(client, id, want) steps_refused(client, id, want, SF_PERMISSION_DENIED, __LINE__)

/* The requester as intake stored it (the row's bytea), decoded. */
static Sifang__V1__CaseRequester *
stored_requester(int64_t id)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long) id);
    const char *values[] = { text };
    PGresult *result = PQexecParams(world.db, "SELECT requester FROM intake.intake_case WHERE id = $1::bigint", 1,
                                    NULL, values, NULL, NULL, 1);
    Sifang__V1__CaseRequester *requester = NULL;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1)
        requester = sifang__v1__case_requester__unpack(NULL, (size_t) PQgetlength(result, 0, 0),
                                                       (const uint8_t *) PQgetvalue(result, 0, 0));
    PQclear(result);
    return intake_keep(requester ? &requester->base : NULL);
}

typedef enum { SHOWN_CLEAR, SHOWN_MASKED, SHOWN_PHONE_MASKED, SHOWN_BLANK } shown_t;

/* Every field of a case's requester against the row: as stored, or name
 * and phone masked (a key not a station's: the phone alone), or the kind
 * alone. */
static void
check_requester(const Sifang__V1__Case *c, shown_t shown, int line)
{
    Sifang__V1__CaseRequester *stored = c ? stored_requester(c->id) : NULL;
    if (!c || !c->requester || !stored) {
        SF_FAIL("line %d: no case, requester or row to compare", line);
        return;
    }
    const Sifang__V1__CaseRequester *seen = c->requester;
    char name[SF_MASK_SIZE], phone[SF_MASK_SIZE];
    snprintf(name, sizeof name, "%s", stored->name);
    snprintf(phone, sizeof phone, "%s", stored->phone);
    if (shown == SHOWN_MASKED)
        sf_name_mask(stored->name, name, sizeof name);
    if (shown == SHOWN_MASKED || shown == SHOWN_PHONE_MASKED)
        sf_phone_mask(stored->phone, phone, sizeof phone);
    bool blank = shown == SHOWN_BLANK;
    const struct {
        const char *field, *seen, *want;
    } fields[] = {
        { "name", seen->name, blank ? "" : name },
        { "phone", seen->phone, blank ? "" : phone },
        { "household_code", seen->household_code, blank ? "" : stored->household_code },
        { "resident_id", seen->resident_id, blank ? "" : stored->resident_id },
        { "enterprise_name", seen->enterprise_name, blank ? "" : stored->enterprise_name },
        { "enterprise_credit_code", seen->enterprise_credit_code, blank ? "" : stored->enterprise_credit_code },
    };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (strcmp(fields[i].seen, fields[i].want) != 0)
            SF_FAIL("line %d: case %lld: requester.%s is \"%s\", wanted \"%s\"", line, (long long) c->id,
                    fields[i].field, fields[i].seen, fields[i].want);
    if (seen->kind != stored->kind)
        SF_FAIL("line %d: case %lld: requester.kind %d, stored %d", line, (long long) c->id, seen->kind,
                stored->kind);
    /* The test's requesters have a name and phone: masked is not clear. */
    if (shown == SHOWN_MASKED && strcmp(seen->name, stored->name) == 0)
        SF_FAIL("line %d: case %lld: the name is in the clear", line, (long long) c->id);
}
#define REQUESTER(c, shown) check_requester(c, shown, __LINE__)

static Sifang__V1__CaseRef *
ref_of(int64_t id)
{
    static Sifang__V1__CaseRef refs[64];
    static int next;
    Sifang__V1__CaseRef *ref = &refs[next++ % 64];
    sifang__v1__case_ref__init(ref);
    ref->id = id;
    return ref;
}

/* CaseGet and CaseHistory of a case by client: want, and the requester as
 * shown (both replies). */
static void
read_case(sf_client_t *client, int64_t id, sf_status_t want, shown_t shown, int line)
{
    Sifang__V1__Case *c = NULL;
    sf_reply_info_t info;
    sf_status_t status = intake_call(client, "CaseGet", NULL, &ref_of(id)->base, &sifang__v1__case__descriptor, &c,
                                     &info);
    if (status != want)
        SF_FAIL("line %d: CaseGet %lld gave %s (%s), wanted %s", line, (long long) id, sf_status_name(status),
                info.message ? info.message : "", sf_status_name(want));
    if (status == SF_OK && want == SF_OK)
        check_requester(c, shown, line);
    Sifang__V1__CaseHistoryReply *history = NULL;
    status = intake_call(client, "CaseHistory", NULL, &ref_of(id)->base, &sifang__v1__case_history_reply__descriptor,
                         &history, &info);
    if (status != want)
        SF_FAIL("line %d: CaseHistory %lld gave %s (%s), wanted %s", line, (long long) id, sf_status_name(status),
                info.message ? info.message : "", sf_status_name(want));
    if (status == SF_OK && want == SF_OK) {
        check_requester(history->current, shown, line);
        if ((long long) history->n_transitions != history->current->version)
            SF_FAIL("line %d: case %lld: %zu transitions at version %lld", line, (long long) id,
                    history->n_transitions, (long long) history->current->version);
    }
}
#define READ_CASE(client, id, want, shown) read_case(client, id, want, shown, __LINE__)

/* A list by client: its cases' ids must be those sql selects (newest
 * first), each requester shown so. */
static void
list_cases(sf_client_t *client, const Sifang__V1__CaseListRequest *list, const char *sql, shown_t shown, int line)
{
    Sifang__V1__CaseListReply *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = intake_call(client, "CaseList", NULL, &list->base, &sifang__v1__case_list_reply__descriptor,
                                     &reply, &info);
    if (status != SF_OK) {
        SF_FAIL("line %d: CaseList gave %s (%s)", line, sf_status_name(status), info.message ? info.message : "");
        return;
    }
    PGresult *result = PQexec(world.db, sql);
    if (PQresultStatus(result) != PGRES_TUPLES_OK) {
        SF_FAIL("line %d: %s: %s", line, sql, PQerrorMessage(world.db));
        PQclear(result);
        return;
    }
    if ((size_t) PQntuples(result) != reply->n_cases)
        SF_FAIL("line %d: CaseList gave %zu cases, SQL %d", line, reply->n_cases, PQntuples(result));
    for (size_t i = 0; i < reply->n_cases && i < (size_t) PQntuples(result); i++) {
        if (reply->cases[i]->id != atoll(PQgetvalue(result, (int) i, 0)))
            SF_FAIL("line %d: case %zu is %lld, SQL %s", line, i, (long long) reply->cases[i]->id,
                    PQgetvalue(result, (int) i, 0));
        check_requester(reply->cases[i], shown, line);
    }
    PQclear(result);
}
#define LIST_CASES(client, list, sql, shown) list_cases(client, list, sql, shown, __LINE__)

static Sifang__V1__Case *
step_ok(sf_client_t *client, const char *method, const ProtobufCMessage *request, int line)
{
    Sifang__V1__Case *c = NULL;
    sf_reply_info_t info;
    sf_status_t status = intake_call(client, method, NULL, request, &sifang__v1__case__descriptor, &c, &info);
    if (status != SF_OK)
        SF_FAIL("line %d: %s gave %s (%s)", line, method, sf_status_name(status), info.message ? info.message : "");
    return c;
}
#define STEP_OK(client, method, request) step_ok(client, method, &(request)->base, __LINE__)

static void
test_people(void)
{
    /* A window clerk registers for their community: accepted at once,
     * theirs, the requester in the clear. */
    Sifang__V1__Case *civil = SUBMIT_OK(clerk, intake_resident_request(T_HOUSEHOLD, "low-income-allowance",
                                                                        CHANNEL(WINDOW), "申请低保"));
    Sifang__V1__Case *pension = SUBMIT_OK(clerk, intake_resident_request(T_HOUSEHOLD_2, "pension-certification",
                                                                          CHANNEL(WINDOW), "养老认证"));
    /* Elsewhere, by the district's key: the civil-affairs department's too. */
    Sifang__V1__Case *other = SUBMIT_OK(world.admin, intake_resident_request(T_HOUSEHOLD_OTHER,
                                                                              "low-income-allowance", CHANNEL(HOTLINE),
                                                                              "申请低保"));
    /* From residents' own channel, waiting for a station. */
    Sifang__V1__Case *web = SUBMIT_OK(world.gateway, intake_resident_request(T_HOUSEHOLD, "housekeeping",
                                                                              CHANNEL(WEBSITE), "打扫"));
    Sifang__V1__Case *web_other = SUBMIT_OK(world.gateway, intake_resident_request(T_HOUSEHOLD_OTHER, "housekeeping",
                                                                                    CHANNEL(WEBSITE), "打扫"));
    if (!SF_CHECK(civil && pension && other && web && web_other))
        return;
    SF_CHECK_EQ_INT(civil->status, STATUS(ASSIGNED));
    SF_CHECK_EQ_STR(civil->first_responder_id, "S00001");
    SF_CHECK(civil->assignee && strcmp(civil->assignee->code, "civil-affairs") == 0);
    SF_CHECK(pension->assignee && strcmp(pension->assignee->code, "human-resources") == 0);
    REQUESTER(civil, SHOWN_CLEAR);
    REQUESTER(web, SHOWN_PHONE_MASKED);   /* the gateway's key: the phone masked, as always */

    /* Registering outside where they may write; roles that do not register. */
    Sifang__V1__CaseSubmitRequest *elsewhere = intake_resident_request(T_HOUSEHOLD_OTHER, "legal-aid",
                                                                       CHANNEL(WINDOW), "法律援助");
    expect_refused(clerk, "CaseSubmit", &elsewhere->base, SF_PERMISSION_DENIED, __LINE__);
    Sifang__V1__CaseSubmitRequest *here = intake_resident_request(T_HOUSEHOLD, "legal-aid", CHANNEL(WINDOW),
                                                                  "法律援助");
    expect_refused(moved, "CaseSubmit", &here->base, SF_PERMISSION_DENIED, __LINE__);
    expect_refused(leader, "CaseSubmit", &here->base, SF_PERMISSION_DENIED, __LINE__);
    expect_refused(counsellor, "CaseSubmit", &here->base, SF_PERMISSION_DENIED, __LINE__);
    expect_refused(civil_staff, "CaseSubmit", &here->base, SF_PERMISSION_DENIED, __LINE__);
    expect_refused(world.viewer, "CaseSubmit", &here->base, SF_PERMISSION_DENIED, __LINE__);

    /* Accepting: the clerk's community only; the first responder is them. */
    Sifang__V1__CaseAcceptRequest accept = SIFANG__V1__CASE_ACCEPT_REQUEST__INIT;
    accept.ref = ref_of(web_other->id);
    expect_refused(clerk, "CaseAccept", &accept.base, SF_NOT_FOUND, __LINE__);
    expect_refused(civil_staff, "CaseAccept", &accept.base, SF_PERMISSION_DENIED, __LINE__);
    accept.ref = ref_of(web->id);
    Sifang__V1__Case *accepted = STEP_OK(clerk, "CaseAccept", &accept);
    if (SF_CHECK(accepted != NULL)) {
        SF_CHECK_EQ_STR(accepted->first_responder_id, "S00001");
        REQUESTER(accepted, SHOWN_CLEAR);
    }

    /* Reads, one case: in scope in the clear; out of scope not found;
     * viewing without the duty masked; the viewer's key the kind alone. */
    READ_CASE(clerk, civil->id, SF_OK, SHOWN_CLEAR);
    READ_CASE(clerk, other->id, SF_NOT_FOUND, SHOWN_CLEAR);
    READ_CASE(outsider, civil->id, SF_NOT_FOUND, SHOWN_CLEAR);
    READ_CASE(outsider, other->id, SF_OK, SHOWN_CLEAR);
    READ_CASE(counsellor, civil->id, SF_OK, SHOWN_MASKED);
    READ_CASE(leader, civil->id, SF_OK, SHOWN_MASKED);
    READ_CASE(leader, other->id, SF_OK, SHOWN_MASKED);
    READ_CASE(world.viewer, civil->id, SF_OK, SHOWN_BLANK);
    READ_CASE(world.station, civil->id, SF_OK, SHOWN_CLEAR);   /* a station's key, as always */
    /* Department staff: their department's cases, wherever they lie. */
    READ_CASE(civil_staff, civil->id, SF_OK, SHOWN_CLEAR);
    READ_CASE(civil_staff, other->id, SF_OK, SHOWN_CLEAR);
    READ_CASE(civil_staff, pension->id, SF_NOT_FOUND, SHOWN_CLEAR);
    READ_CASE(hr_staff, civil->id, SF_NOT_FOUND, SHOWN_CLEAR);
    READ_CASE(hr_staff, pension->id, SF_OK, SHOWN_CLEAR);
    /* The clerk who moved keeps their own cases, in the clear. */
    READ_CASE(moved, civil->id, SF_OK, SHOWN_CLEAR);
    READ_CASE(moved, web->id, SF_OK, SHOWN_CLEAR);

    /* Lists: within the view; own cases and the department's wherever. */
    Sifang__V1__CaseListRequest list = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    LIST_CASES(clerk, &list, "SELECT id FROM intake.intake_case WHERE unit_code LIKE '" T_COMMUNITY "%'"
                             " ORDER BY id DESC", SHOWN_CLEAR);
    LIST_CASES(counsellor, &list, "SELECT id FROM intake.intake_case WHERE unit_code LIKE '" T_COMMUNITY "%'"
                                  " ORDER BY id DESC", SHOWN_MASKED);
    LIST_CASES(leader, &list, "SELECT id FROM intake.intake_case ORDER BY id DESC", SHOWN_MASKED);
    LIST_CASES(world.viewer, &list, "SELECT id FROM intake.intake_case ORDER BY id DESC", SHOWN_BLANK);
    LIST_CASES(civil_staff, &list, "SELECT id FROM intake.intake_case WHERE false", SHOWN_CLEAR);
    list.under = T_COMMUNITY_2;   /* a scope widened in the request: nothing */
    LIST_CASES(clerk, &list, "SELECT id FROM intake.intake_case WHERE false", SHOWN_CLEAR);
    list.under = T_STREET;        /* wider than the view: the view */
    LIST_CASES(clerk, &list, "SELECT id FROM intake.intake_case WHERE unit_code LIKE '" T_COMMUNITY "%'"
                             " ORDER BY id DESC", SHOWN_CLEAR);
    list.under = "";
    list.first_responder_id = "S00001";
    LIST_CASES(moved, &list, "SELECT id FROM intake.intake_case WHERE first_responder_id = 'S00001'"
                             " ORDER BY id DESC", SHOWN_CLEAR);
    list.first_responder_id = "S00002";   /* someone else's: within the view only */
    LIST_CASES(moved, &list, "SELECT id FROM intake.intake_case WHERE first_responder_id = 'S00002'"
                             " AND unit_code LIKE '" T_COMMUNITY_2 "%' ORDER BY id DESC", SHOWN_CLEAR);
    list.first_responder_id = "";
    list.assignee_code = "civil-affairs";
    LIST_CASES(civil_staff, &list, "SELECT id FROM intake.intake_case WHERE assignee_kind = 1"
                                   " AND assignee_code = 'civil-affairs' ORDER BY id DESC", SHOWN_CLEAR);
    LIST_CASES(hr_staff, &list, "SELECT id FROM intake.intake_case WHERE false", SHOWN_CLEAR);
    list.under = T_COMMUNITY_2;
    LIST_CASES(civil_staff, &list, "SELECT id FROM intake.intake_case WHERE assignee_kind = 1"
                                   " AND assignee_code = 'civil-affairs' AND unit_code LIKE '" T_COMMUNITY_2 "%'"
                                   " ORDER BY id DESC", SHOWN_CLEAR);

    /* Writes: every step refused out of view (not found), to the clerk
     * who moved (theirs to read, not to handle), to roles that do not
     * handle cases and to the viewer. */
    STEPS_REFUSED(outsider, civil->id, SF_NOT_FOUND);
    DEPARTMENT_STEPS_REFUSED(hr_staff, civil->id, SF_NOT_FOUND);
    STEPS_REFUSED(moved, civil->id, SF_PERMISSION_DENIED);
    STEPS_REFUSED(leader, civil->id, SF_PERMISSION_DENIED);
    STEPS_REFUSED(counsellor, civil->id, SF_PERMISSION_DENIED);
    STEPS_REFUSED(world.viewer, civil->id, SF_PERMISSION_DENIED);
    /* The clerk starts it; the department resolves it; the clerk closes. */
    Sifang__V1__CaseStepRequest start = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    start.ref = ref_of(civil->id);
    Sifang__V1__Case *step = STEP_OK(clerk, "CaseStart", &start);
    SF_CHECK(step && step->status == STATUS(IN_PROGRESS));
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = ref_of(civil->id);
    resolve.resolution = "低保已批准";
    step = STEP_OK(civil_staff, "CaseResolve", &resolve);
    if (SF_CHECK(step && step->status == STATUS(RESOLVED))) {
        REQUESTER(step, SHOWN_CLEAR);
        SF_CHECK(step->last_transition && strcmp(step->last_transition->actor_id, "D00001") == 0);
    }
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = ref_of(civil->id);
    close.satisfaction = 5;
    step = STEP_OK(clerk, "CaseClose", &close);
    SF_CHECK(step && step->status == STATUS(CLOSED));
    /* Department staff handle their department's cases only. */
    DEPARTMENT_STEPS_REFUSED(civil_staff, pension->id, SF_NOT_FOUND);

    /* A case reassigned away from the department: its staff still read it
     * (their department handled it), masked, and no longer handle it. */
    Sifang__V1__CaseAssignee named = SIFANG__V1__CASE_ASSIGNEE__INIT;
    named.kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF;
    named.code = "S00003";
    Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    assign.ref = ref_of(other->id);
    assign.assignee = &named;
    step = STEP_OK(world.admin, "CaseAssign", &assign);
    SF_CHECK(step && step->assignee && strcmp(step->assignee->code, "S00003") == 0);
    READ_CASE(civil_staff, other->id, SF_OK, SHOWN_MASKED);
    READ_CASE(hr_staff, other->id, SF_NOT_FOUND, SHOWN_CLEAR);
    DEPARTMENT_STEPS_REFUSED(civil_staff, other->id, SF_PERMISSION_DENIED);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.intake_case WHERE id = %lld"
             " AND assigned_departments = '{civil-affairs}'", (long long) other->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);

    /* Events: other services read them; no requester's name or phone in
     * the clear, the masked name instead. */
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.event_log"
                                         " WHERE position(convert_to('张秀英', 'UTF8') in payload) > 0"
                                         " OR position(convert_to('13812345678', 'UTF8') in payload) > 0"), 0);
    SF_CHECK(intake_count(&world, "SELECT count(*) FROM intake.event_log"
                                  " WHERE position(convert_to('张**', 'UTF8') in payload) > 0") > 0);
}

int
main(void)
{
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    if (intake_world_start(&world, "intake_people", extra)) {
        clerk = person("S00001", NULL, "window_clerk", T_COMMUNITY, T_COMMUNITY);
        moved = person("S00001", NULL, "window_clerk", T_COMMUNITY_2, T_COMMUNITY_2);
        outsider = person("S00003", NULL, "community_staff", T_COMMUNITY_2, T_COMMUNITY_2);
        counsellor = person("S00009", NULL, "employment_counsellor", T_COMMUNITY, T_COMMUNITY);
        leader = person("L00001", NULL, "leader", "*", NULL);
        civil_staff = person("D00001", "civil-affairs", "department_staff", NULL, NULL);
        hr_staff = person("D00002", "human-resources", "department_staff", NULL, NULL);
        if (clerk && moved && outsider && counsellor && leader && civil_staff && hr_staff)
            test_people();
    }
    sf_client_t **people[] = { &clerk, &moved, &outsider, &counsellor, &leader, &civil_staff, &hr_staff };
    intake_release_kept();
    for (size_t i = 0; i < sizeof people / sizeof *people; i++)
        sf_client_destroy(people[i]);
    intake_world_stop(&world);
    return sf_test_done();
}
