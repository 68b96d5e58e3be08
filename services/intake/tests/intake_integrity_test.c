/* Integrity test of sifang-intake: every case step's reply and event agree,
 * field by field, with the case's row and its latest audit row in SQL (each
 * step method, the sweep's two steps, the station's dispatch and its
 * answers); a closed case asked to close again is told it is closed; two
 * replicas on one database submitting at once never collide on an id or a
 * registration number, and number cases in the order they are registered
 * (across replicas and restarts); and after PostgreSQL crashes (a backend killed:
 * the cluster restarts through crash recovery) new submissions get fresh
 * ids. RUN_SERIAL: the crash takes the shared test cluster down for a
 * moment. */
#include "intake_test_support.h"
#include "intake_test_orders.h"
#include "sf_ids.h"
#include "sifang/v1/sys.pb-c.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHANNEL(name) SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_##name
#define STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name

static intake_world_t world;

/* --- the case as SQL has it ------------------------------------------------ */

/* Written here from intake's tables, independently of intake's own column
 * list: the case row, its item's name, its duplicate's number and the audit
 * row of its latest step (seq = version). */
static const char case_sql[] =
    "SELECT c.id, coalesce(c.registration_number, ''), c.status, c.channel, c.item_code, coalesce(i.name, ''),"
    "       c.category, c.requester, c.unit_code, c.description,"
    "       coalesce(c.first_responder_id, ''), c.first_responder_name, c.assignee_kind,"
    "       coalesce(c.assignee_code, ''), c.assignee_name, c.assignee_route,"
    "       (extract(epoch FROM c.received_at) * 1000)::bigint,"
    "       coalesce((extract(epoch FROM c.accepted_at) * 1000)::bigint, 0),"
    "       coalesce((extract(epoch FROM c.due_at) * 1000)::bigint, 0),"
    "       coalesce((extract(epoch FROM c.resolved_at) * 1000)::bigint, 0),"
    "       coalesce((extract(epoch FROM c.closed_at) * 1000)::bigint, 0),"
    "       c.overdue, c.escalation_level, c.escalated_to, coalesce(c.satisfaction, 0), c.resolution,"
    "       c.reject_reason, c.transferred_to, coalesce(c.duplicate_of, 0), coalesce(d.registration_number, ''),"
    "       coalesce(c.meeting_id, 0), c.dispatch_state, c.provider_kind, c.provider_id, c.provider_name,"
    "       c.volunteer_dispatch_id, c.dispatch_attempt,"
    "       coalesce((extract(epoch FROM c.dispatch_requested_at) * 1000)::bigint, 0),"
    "       coalesce((extract(epoch FROM c.dispatch_answered_at) * 1000)::bigint, 0),"
    "       c.dispatch_note, c.dispatch_timed_out, c.version,"
    "       h.seq, h.action, h.from_status, h.to_status, h.actor_id, h.actor_name,"
    "       (extract(epoch FROM h.at) * 1000)::bigint, h.note"
    "  FROM intake.intake_case c LEFT JOIN intake.service_item i ON i.code = c.item_code"
    "       LEFT JOIN intake.intake_case d ON d.id = c.duplicate_of"
    "       JOIN intake.case_history h ON h.case_id = c.id AND h.seq = c.version"
    " WHERE c.id = $1";

/* The follow-through's columns of the case. */
static const char follow_sql[] =
    "SELECT c.rework_count, c.complaint_count, c.handoff_count, c.supervision_level, c.supervised_by, c.referred_to,"
    "       coalesce((extract(epoch FROM c.reminded_at) * 1000)::bigint, 0),"
    "       coalesce((extract(epoch FROM c.missed_at) * 1000)::bigint, 0),"
    "       coalesce((extract(epoch FROM c.followed_up_at) * 1000)::bigint, 0), c.followed_up_in_time"
    "  FROM intake.intake_case c WHERE c.id = $1";

static PGresult *rows[512];
static size_t n_rows;

static const char *
col(PGresult *r, int *k)
{
    return PQgetvalue(r, 0, (*k)++);
}

static int64_t
num(PGresult *r, int *k)
{
    return strtoll(col(r, k), NULL, 10);
}

/* The case from SQL, the requester in the clear (a station's reply) or as
 * events carry it (name and phone masked by the suite's masks). NULL (a
 * failure) when the row is not there. */
static Sifang__V1__Case *
case_in_sql(int64_t id, bool clear_phone)
{
    char id_text[24];
    snprintf(id_text, sizeof id_text, "%lld", (long long) id);
    const char *values[1] = { id_text };
    PGresult *r = PQexecParams(world.db, case_sql, 1, NULL, values, NULL, NULL, 0);
    if (!SF_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)) {
        PQclear(r);
        return NULL;
    }
    if (n_rows < sizeof rows / sizeof *rows)
        rows[n_rows++] = r;
    Sifang__V1__Case *c = calloc(1, sizeof *c);
    Sifang__V1__CaseAssignee *assignee = calloc(1, sizeof *assignee);
    Sifang__V1__CaseDispatch *dispatch = calloc(1, sizeof *dispatch);
    Sifang__V1__CaseTransition *transition = calloc(1, sizeof *transition);
    sifang__v1__case__init(c);
    sifang__v1__case_assignee__init(assignee);
    sifang__v1__case_dispatch__init(dispatch);
    sifang__v1__case_transition__init(transition);
    int k = 0;
    c->id = num(r, &k);
    c->registration_number = (char *) col(r, &k);
    c->status = num(r, &k);
    c->channel = num(r, &k);
    c->item_code = (char *) col(r, &k);
    c->item_name = (char *) col(r, &k);
    c->category = num(r, &k);
    size_t size = 0;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *) col(r, &k), &size);
    c->requester = sifang__v1__case_requester__unpack(NULL, size, bytes);
    PQfreemem(bytes);
    SF_CHECK(c->requester != NULL);
    /* "138****5678" and "张**": masked in place (the strings are the
     * unpacked copy's, and a mask is never longer). */
    if (c->requester && !clear_phone) {
        char mask[SF_MASK_SIZE];
        sf_phone_mask(c->requester->phone, mask, sizeof mask);
        strcpy(c->requester->phone, mask);
        sf_name_mask(c->requester->name, mask, sizeof mask);
        strcpy(c->requester->name, mask);
    }
    c->unit_code = (char *) col(r, &k);
    size_t length = strlen(c->unit_code);
    static char codes[16][16];
    static int next_code;
    c->community_code = length >= 12 ? codes[next_code++ % 16] : "";
    if (length >= 12)
        snprintf(c->community_code, 16, "%.12s", c->unit_code);
    c->street_code = codes[next_code++ % 16];
    snprintf(c->street_code, 16, "%.9s", c->unit_code);
    c->description = (char *) col(r, &k);
    c->first_responder_id = (char *) col(r, &k);
    c->first_responder_name = (char *) col(r, &k);
    assignee->kind = num(r, &k);
    assignee->code = (char *) col(r, &k);
    assignee->name = (char *) col(r, &k);
    assignee->route = (char *) col(r, &k);
    c->assignee = assignee->kind ? assignee : NULL;
    c->received_unix_ms = num(r, &k);
    c->accepted_unix_ms = num(r, &k);
    c->due_unix_ms = num(r, &k);
    c->resolved_unix_ms = num(r, &k);
    c->closed_unix_ms = num(r, &k);
    c->overdue = strcmp(col(r, &k), "t") == 0;
    c->escalation_level = num(r, &k);
    c->escalated_to = (char *) col(r, &k);
    c->satisfaction = num(r, &k);
    c->resolution = (char *) col(r, &k);
    c->reject_reason = (char *) col(r, &k);
    c->transferred_to = (char *) col(r, &k);
    c->duplicate_of = num(r, &k);
    c->duplicate_of_registration = (char *) col(r, &k);
    c->meeting_id = num(r, &k);
    dispatch->state = num(r, &k);
    dispatch->provider_kind = num(r, &k);
    dispatch->provider_id = (char *) col(r, &k);
    dispatch->provider_name = (char *) col(r, &k);
    dispatch->volunteer_dispatch_id = (char *) col(r, &k);
    dispatch->attempt = num(r, &k);
    dispatch->requested_unix_ms = num(r, &k);
    dispatch->answered_unix_ms = num(r, &k);
    dispatch->note = (char *) col(r, &k);
    dispatch->timed_out = strcmp(col(r, &k), "t") == 0;
    c->dispatch = dispatch->state ? dispatch : NULL;
    c->version = num(r, &k);
    transition->seq = num(r, &k);
    transition->action = num(r, &k);
    transition->from_status = num(r, &k);
    transition->to_status = num(r, &k);
    transition->actor_id = (char *) col(r, &k);
    transition->actor_name = (char *) col(r, &k);
    transition->at_unix_ms = num(r, &k);
    transition->note = (char *) col(r, &k);
    c->last_transition = transition;
    c->updated_unix_ms = transition->at_unix_ms;   /* the step just taken is the latest */
    int64_t finished = c->resolved_unix_ms ? c->resolved_unix_ms : c->closed_unix_ms;
    c->resolved_in_time = finished && c->due_unix_ms && finished <= c->due_unix_ms;
    if (!c->assignee)
        free(assignee);
    if (!c->dispatch)
        free(dispatch);
    /* The work-order rules' fields (intake_test_orders.c). */
    SF_CHECK(intake_orders_in_sql(world.db, id, c));
    /* The follow-through's (docs/follow-through.md). */
    PGresult *f = PQexecParams(world.db, follow_sql, 1, NULL, values, NULL, NULL, 0);
    if (SF_CHECK(PQresultStatus(f) == PGRES_TUPLES_OK && PQntuples(f) == 1)) {
        if (n_rows < sizeof rows / sizeof *rows)
            rows[n_rows++] = f;
        k = 0;
        c->rework_count = num(f, &k);
        c->complaint_count = num(f, &k);
        c->handoff_count = num(f, &k);
        c->supervision_level = num(f, &k);
        c->supervised_by = (char *) col(f, &k);
        c->referred_to = (char *) col(f, &k);
        c->reminded_unix_ms = num(f, &k);
        c->missed_unix_ms = num(f, &k);
        c->followed_up_unix_ms = num(f, &k);
        c->followed_up_in_time = strcmp(col(f, &k), "t") == 0;
    } else
        PQclear(f);
    return c;
}

static void
case_free(Sifang__V1__Case *c)
{
    if (!c)
        return;
    if (c->requester)
        sifang__v1__case_requester__free_unpacked(c->requester, NULL);
    free(c->assignee);
    free(c->dispatch);
    free(c->last_transition);
    free(c);
}

/* --- comparing every field ------------------------------------------------- */

/* Compares two messages of one type field by field (nested messages too),
 * saying each difference with its path. Returns the number of differences. */
static int
compare(const char *what, const char *path, const ProtobufCMessage *got, const ProtobufCMessage *want)
{
    if (!got || !want) {
        if (got == want)
            return 0;
        SF_FAIL("%s: %s is %s, SQL says %s", what, path, got ? "set" : "absent", want ? "set" : "absent");
        return 1;
    }
    const ProtobufCMessageDescriptor *d = want->descriptor;
    int differences = 0;
    for (unsigned f = 0; f < d->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &d->fields[f];
        char name[160];
        snprintf(name, sizeof name, "%s%s%s", path, *path ? "." : "", field->name);
        const char *a = (const char *) got + field->offset, *b = (const char *) want + field->offset;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            SF_FAIL("%s: %s: repeated fields are not compared here", what, name);
            differences++;
            continue;
        }
        switch (field->type) {
        case PROTOBUF_C_TYPE_MESSAGE:
            differences += compare(what, name, *(ProtobufCMessage *const *) a, *(ProtobufCMessage *const *) b);
            break;
        case PROTOBUF_C_TYPE_STRING:
            if (strcmp(*(char *const *) a, *(char *const *) b) != 0) {
                SF_FAIL("%s: %s is \"%s\", SQL says \"%s\"", what, name, *(char *const *) a, *(char *const *) b);
                differences++;
            }
            break;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            if (*(const int64_t *) a != *(const int64_t *) b) {
                SF_FAIL("%s: %s is %lld, SQL says %lld", what, name, (long long) *(const int64_t *) a,
                        (long long) *(const int64_t *) b);
                differences++;
            }
            break;
        case PROTOBUF_C_TYPE_BOOL:
            if (*(const protobuf_c_boolean *) a != *(const protobuf_c_boolean *) b) {
                SF_FAIL("%s: %s is %d, SQL says %d", what, name, *(const protobuf_c_boolean *) a,
                        *(const protobuf_c_boolean *) b);
                differences++;
            }
            break;
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_ENUM:
            if (*(const int32_t *) a != *(const int32_t *) b) {
                SF_FAIL("%s: %s is %d, SQL says %d", what, name, *(const int32_t *) a, *(const int32_t *) b);
                differences++;
            }
            break;
        default:
            SF_FAIL("%s: %s: a field type this test does not compare", what, name);
            differences++;
        }
    }
    return differences;
}

/* The event of the case after head: the last case.* event keyed by its id. */
static Sifang__V1__Case *
event_after(int64_t head, int64_t id, char *type, size_t type_size)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    fetch.limit = 1000;
    Sifang__V1__EventsFetchReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.admin, "Sys.EventsFetch", NULL, &fetch.base,
                                     &sifang__v1__events_fetch_reply__descriptor, &reply, NULL), SF_OK))
        return NULL;
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long) id);
    Sifang__V1__Case *found = NULL;
    for (size_t i = 0; reply && i < reply->n_events; i++) {
        const Sifang__V1__Event *event = reply->events[i];
        if (strcmp(event->key, key) != 0 || strncmp(event->type, "case.", 5) != 0)
            continue;
        if (found)
            protobuf_c_message_free_unpacked(&found->base, NULL);
        found = sifang__v1__case__unpack(NULL, event->payload.len, event->payload.data);
        snprintf(type, type_size, "%s", event->type);
    }
    SF_CHECK(found != NULL);
    return found;
}

/* The reply (seen by a station: phones in the clear) and the event (phones
 * masked) of a step against SQL, every field. */
static void
check_step(const char *what, int64_t head, const Sifang__V1__Case *reply, int64_t id, const char *event_type)
{
    if (reply) {
        Sifang__V1__Case *want = case_in_sql(id, true);
        if (want)
            compare(what, "reply", &reply->base, &want->base);
        case_free(want);
    }
    char type[64] = "";
    Sifang__V1__Case *event = event_after(head, id, type, sizeof type);
    Sifang__V1__Case *want = case_in_sql(id, false);
    if (event && want) {
        char name[96];
        snprintf(name, sizeof name, "%s event", what);
        compare(name, "event", &event->base, &want->base);
        SF_CHECK_EQ_STR(type, event_type);
    }
    case_free(want);
    if (event)
        protobuf_c_message_free_unpacked(&event->base, NULL);
}

/* Calls a step method as the station; returns the reply (kept) and checks it. */
static Sifang__V1__Case *
step(const char *what, const ProtobufCMessage *request, int64_t id, const char *event_type)
{
    /* "CaseDispatchAnswer (accepted)" calls CaseDispatchAnswer. */
    char method[64];
    snprintf(method, sizeof method, "%.*s", (int) strcspn(what, " "), what);
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = intake_call(world.station, method, NULL, request, &sifang__v1__case__descriptor, &reply,
                                     &info);
    if (!SF_CHECK_EQ_INT(status, SF_OK)) {
        fprintf(stderr, "%s: %s\n", method, info.message ? info.message : "");
        return NULL;
    }
    check_step(what, head, reply, id, event_type);
    return reply;
}

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

static void
test_steps_as_sql_has_them(void)
{
    /* Submitted by a resident's own channel (received), then each step. */
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *c = SUBMIT_OK(world.gateway, intake_resident_request(T_HOUSEHOLD, "pension-certification",
                                                                            CHANNEL(WEBSITE), "网上申请认证"));
    if (!SF_CHECK(c != NULL))
        return;
    check_step("CaseSubmit (received)", head, NULL, c->id, "case.received");
    Sifang__V1__CaseAcceptRequest accept = SIFANG__V1__CASE_ACCEPT_REQUEST__INIT;
    accept.ref = ref_of(c->id);
    step("CaseAccept", &accept.base, c->id, "case.accepted");
    Sifang__V1__CaseAssignee named = SIFANG__V1__CASE_ASSIGNEE__INIT;
    named.kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF;
    named.code = "S00002";
    Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    assign.ref = ref_of(c->id);
    assign.assignee = &named;
    assign.note = "请李强跟进";
    step("CaseAssign", &assign.base, c->id, "case.assigned");
    Sifang__V1__CaseStepRequest start = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    start.ref = ref_of(c->id);
    start.note = "材料齐全";
    step("CaseStart", &start.base, c->id, "case.started");
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = ref_of(c->id);
    resolve.resolution = "认证完成";
    step("CaseResolve", &resolve.base, c->id, "case.resolved");
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = ref_of(c->id);
    close.satisfaction = 4;
    step("CaseClose", &close.base, c->id, "case.closed");

    /* Registered at the station (accepted and routed at once), rejected. */
    head = sf_test_event_head(world.admin);
    Sifang__V1__Case *other = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "temporary-assistance",
                                                                                CHANNEL(WINDOW), "临时困难"));
    if (SF_CHECK(other != NULL)) {
        check_step("CaseSubmit (station)", head, other, other->id, "case.accepted");
        Sifang__V1__CaseRejectRequest reject = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
        reject.ref = ref_of(other->id);
        reject.reason = "不符合条件";
        step("CaseReject", &reject.base, other->id, "case.rejected");
    }
    /* A duplicate of nothing open any more, transferred. */
    Sifang__V1__Case *third = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "legal-aid",
                                                                                CHANNEL(HOTLINE), "劳动争议"));
    if (SF_CHECK(third != NULL)) {
        Sifang__V1__CaseTransferRequest transfer = SIFANG__V1__CASE_TRANSFER_REQUEST__INIT;
        transfer.ref = ref_of(third->id);
        transfer.transferred_to = "四方区人民法院";
        transfer.reason = "已进入诉讼程序";
        step("CaseTransfer", &transfer.base, third->id, "case.transferred");
    }
    /* A convenience case dispatched by the station to a business, which
     * accepts and completes it. */
    Sifang__V1__Case *meal = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "elderly-meal-delivery",
                                                                               CHANNEL(HOTLINE), "每日午餐"));
    if (SF_CHECK(meal != NULL)) {
        Sifang__V1__CaseDispatchRequest dispatch = SIFANG__V1__CASE_DISPATCH_REQUEST__INIT;
        dispatch.ref = ref_of(meal->id);
        dispatch.provider_kind = SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_BUSINESS;
        dispatch.provider_name = "兴隆路长者食堂";
        step("CaseDispatch", &dispatch.base, meal->id, "case.dispatched");
        Sifang__V1__CaseDispatchAnswerRequest answer = SIFANG__V1__CASE_DISPATCH_ANSWER_REQUEST__INIT;
        answer.ref = ref_of(meal->id);
        answer.accepted = true;
        step("CaseDispatchAnswer (accepted)", &answer.base, meal->id, "case.provider_accepted");
        answer.completed = true;
        step("CaseDispatchAnswer (completed)", &answer.base, meal->id, "case.provider_completed");
    }
    /* The sweep's two steps: overdue, then escalated to the street. */
    Sifang__V1__Case *late = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "residence-certificate",
                                                                               CHANNEL(WINDOW), "居住证明"));
    if (!SF_CHECK(late != NULL))
        return;
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE intake.intake_case SET due_at = now() - interval '1 hour' WHERE id = %lld",
             (long long) late->id);
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
    Sifang__V1__CaseSweepRequest sweep = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    head = sf_test_event_head(world.admin);
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseSweep", NULL, &sweep.base,
                                &sifang__v1__case_sweep_reply__descriptor, NULL, NULL), SF_OK);
    check_step("CaseSweep (overdue)", head, NULL, late->id, "case.overdue");
    snprintf(sql, sizeof sql, "UPDATE intake.intake_case SET escalated_at = now() - interval '25 hours'"
             " WHERE id = %lld", (long long) late->id);
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
    head = sf_test_event_head(world.admin);
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseSweep", NULL, &sweep.base,
                                &sifang__v1__case_sweep_reply__descriptor, NULL, NULL), SF_OK);
    check_step("CaseSweep (escalated)", head, NULL, late->id, "case.escalated");
}

/* A closed case asked to close again is told it is closed, whatever else
 * the request lacks, and nothing is written. */
static void
test_close_closed(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "legal-aid",
                                                                            CHANNEL(WINDOW), "咨询"));
    if (!SF_CHECK(c != NULL))
        return;
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = ref_of(c->id);
    resolve.resolution = "已答复";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseResolve", NULL, &resolve.base, &sifang__v1__case__descriptor,
                                NULL, NULL), SF_OK);
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = ref_of(c->id);
    close.satisfaction = 5;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseClose", NULL, &close.base, &sifang__v1__case__descriptor,
                                NULL, NULL), SF_OK);
    long long before = intake_count(&world, "SELECT (SELECT count(*) FROM intake.case_history) * 1000"
                                            " + (SELECT count(*) FROM intake.event_log)");
    /* Dissatisfied without a note: a note would be required, were it open. */
    close.satisfaction = 2;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseClose", NULL, &close.base, &sifang__v1__case__descriptor,
                                NULL, &info), SF_FAILED_PRECONDITION);
    char want[80];
    snprintf(want, sizeof want, "case %lld is already closed", (long long) c->id);
    SF_CHECK(info.message && strstr(info.message, want) != NULL);
    SF_CHECK(intake_has_violation(&info, "ref") && !intake_has_violation(&info, "note"));
    /* Out of range too: still the state first. */
    close.satisfaction = 9;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseClose", NULL, &close.base, &sifang__v1__case__descriptor,
                                NULL, &info), SF_FAILED_PRECONDITION);
    SF_CHECK(!intake_has_violation(&info, "satisfaction"));
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT (SELECT count(*) FROM intake.case_history) * 1000"
                                         " + (SELECT count(*) FROM intake.event_log)"), before);
}

/* --- ids: replicas and a crash --------------------------------------------- */

#define REPLICA_CASES 300

typedef struct {
    const char *endpoint;
    int index;
    int64_t ids[REPLICA_CASES];
    char registrations[REPLICA_CASES][40];
    int ok;
} submitter_t;

static const char *const items[] = { "pension-certification", "elderly-allowance", "legal-aid", "dispute-mediation" };

/* Submits REPLICA_CASES cases to one replica as a station, pipelined a few
 * at a time so that they run in batches. */
static void *
submit_all(void *arg)
{
    submitter_t *self = arg;
    sf_client_t *client = sf_client_new(self->endpoint, NULL);
    if (!client)
        return NULL;
    sf_client_set_principal(client, "S00001", "community", T_COMMUNITY);
    for (int i = 0; i < REPLICA_CASES; i++) {
        Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
        requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
        requester.household_code = i % 2 ? T_HOUSEHOLD : T_HOUSEHOLD_2;
        Sifang__V1__CaseSubmitRequest request = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
        request.channel = CHANNEL(WINDOW);
        request.item_code = (char *) items[(i / 2) % 4];
        request.requester = &requester;
        request.description = "副本并发测试";
        char id[48];
        snprintf(id, sizeof id, "replica-%d-%04d", self->index, i);
        Sifang__V1__Case *reply = NULL;
        sf_reply_info_t info;
        sf_status_t status = sf_client_call(client, "CaseSubmit", id, &request.base, &sifang__v1__case__descriptor,
                                            (ProtobufCMessage **) &reply, &info);
        if (status == SF_OK) {
            self->ids[self->ok] = reply->id;
            snprintf(self->registrations[self->ok], sizeof self->registrations[0], "%s", reply->registration_number);
            self->ok++;
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        } else {
            fprintf(stderr, "replica %d: %s: %s\n", self->index, sf_status_name(status),
                    info.message ? info.message : "");
        }
    }
    sf_client_destroy(&client);
    return NULL;
}

static int
compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

/* Every id and registration number given out is one case's. */
static void
check_distinct(submitter_t *submitters, int n)
{
    int64_t all[2 * REPLICA_CASES];
    int count = 0;
    for (int s = 0; s < n; s++)
        for (int i = 0; i < submitters[s].ok; i++)
            all[count++] = submitters[s].ids[i];
    qsort(all, (size_t) count, sizeof *all, compare_ids);
    int repeats = 0;
    for (int i = 1; i < count; i++)
        repeats += all[i] == all[i - 1];
    SF_CHECK_EQ_INT(repeats, 0);
    for (int s = 0; s < n; s++)
        for (int i = 0; i < submitters[s].ok; i++) {
            char sql[200];
            snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.intake_case WHERE id = %lld"
                     " AND registration_number = '%s' AND request_id = 'replica-%d-%04d'",
                     (long long) submitters[s].ids[i], submitters[s].registrations[i], s, i);
            if (intake_count(&world, sql) != 1) {
                SF_FAIL("replica %d's case %lld (%s) is not the row it was acknowledged as", s,
                        (long long) submitters[s].ids[i], submitters[s].registrations[i]);
                return;
            }
        }
}

static void
test_two_replicas(void)
{
    /* A second intake daemon on the same database: another replica. */
    char *endpoint = sf_test_ipc_endpoint(world.dir, "replica.router");
    char *publish = sf_test_ipc_endpoint(world.dir, "replica.pub");
    char log[600];
    snprintf(log, sizeof log, "%s/replica.log", world.dir);
    if (!SF_CHECK(endpoint && publish))
        return;
    char endpoint_env[200], publish_env[200], grid_env[200], grid_publish_env[200];
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_INTAKE_ENDPOINT=%s", endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_INTAKE_PUBLISH=%s", publish);
    snprintf(grid_env, sizeof grid_env, "SIFANG_GRID_ENDPOINT=%s", world.grid_endpoint);
    snprintf(grid_publish_env, sizeof grid_publish_env, "SIFANG_GRID_PUBLISH=%s", world.grid_publish);
    const char *env[] = { endpoint_env, publish_env, grid_env, grid_publish_env,
                          "SIFANG_INTAKE_DATABASE_URL=user=sifang_intake", "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    char path[512];
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "intake"), 0))
        return;
    sf_test_daemon_t *replica = sf_test_daemon_start(path, env, log);
    if (!SF_CHECK(replica != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(replica, 20000), 0))
        return;
    sf_client_t *probe = sf_client_new(endpoint, NULL);
    sf_client_set_principal(probe, "it-admin", "admin", "");
    SF_CHECK(sf_test_wait_database(probe, 20000));
    sf_client_destroy(&probe);

    static submitter_t submitters[2];
    memset(submitters, 0, sizeof submitters);
    submitters[0] = (submitter_t) { .endpoint = world.intake_endpoint, .index = 0 };
    submitters[1] = (submitter_t) { .endpoint = endpoint, .index = 1 };
    pthread_t threads[2];
    for (int s = 0; s < 2; s++)
        pthread_create(&threads[s], NULL, submit_all, &submitters[s]);
    for (int s = 0; s < 2; s++)
        pthread_join(threads[s], NULL);
    SF_CHECK_EQ_INT(submitters[0].ok, REPLICA_CASES);
    SF_CHECK_EQ_INT(submitters[1].ok, REPLICA_CASES);
    check_distinct(submitters, 2);

    /* Taken in the writing transaction, ids (and so registration numbers)
     * follow the order of registration whichever replica registers: the
     * register lists a later case after an earlier one. */
    sf_client_t *other = sf_client_new(endpoint, NULL);
    sf_client_set_principal(other, "S00001", "community", T_COMMUNITY);
    int64_t last = 0;
    for (int i = 0; i < 6; i++) {
        Sifang__V1__Case *c = SUBMIT_OK(i % 2 ? other : world.station,
                                        intake_resident_request(T_HOUSEHOLD_2, items[i % 4], CHANNEL(WINDOW), "轮流登记"));
        if (c && !SF_CHECK(c->id > last))
            fprintf(stderr, "case %d of the alternation got id %lld after %lld\n", i, (long long) c->id,
                    (long long) last);
        last = c ? c->id : last;
    }
    sf_client_destroy(&other);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&replica), 0);

    /* And a restart of intake leaves no hole in the register: the next
     * case is numbered right after the last one written. */
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    if (SF_CHECK(intake_world_restart_intake(&world, extra))) {
        long long max_id = intake_count(&world, "SELECT max(id) FROM intake.intake_case");
        Sifang__V1__Case *next = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, items[1],
                                                                                   CHANNEL(WINDOW), "重启之后"));
        SF_CHECK(next != NULL && next->id == max_id + 1);
    }
    free(endpoint);
    free(publish);
}

/* PostgreSQL crashes (a backend killed with SIGKILL: the postmaster ends
 * every session and replays its WAL), intake restarts, and submissions go
 * on with ids no committed case has. */
static void
test_crash(void)
{
    long long before = intake_count(&world, "SELECT count(*) FROM intake.intake_case");
    long long max_before = intake_count(&world, "SELECT max(id) FROM intake.intake_case");
    /* Submissions right before the crash, so that the crash finds what
     * intake took for them fresh. */
    for (int i = 0; i < 5; i++)
        SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, items[i % 4], CHANNEL(WINDOW), "崩溃之前"));
    long long pid = intake_count(&world, "SELECT pg_backend_pid()");
    PGconn *victim = sf_test_pg_connect();
    long long victim_pid = victim ? sf_test_pg_int(victim, "SELECT pg_backend_pid()") : -1;
    (void) pid;
    if (!SF_CHECK(victim_pid > 0))
        return;
    SF_CHECK_EQ_INT(kill((pid_t) victim_pid, SIGKILL), 0);
    PQfinish(victim);
    /* Crash recovery: every session ends; wait until the cluster answers.
     * On a loaded machine recovery can take tens of seconds, and the tests
     * after this one (RUN_SERIAL) need the cluster back: wait long. */
    bool back = false;
    for (int waited = 0; waited < 180000 && !back; waited += 200) {
        usleep(200000);
        PQreset(world.db);
        back = PQstatus(world.db) == CONNECTION_OK && sf_test_pg_int(world.db, "SELECT 1") == 1;
    }
    if (!SF_CHECK(back))
        return;
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    if (!SF_CHECK(intake_world_restart_intake(&world, extra)))
        return;
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.intake_case"), before + 5);
    for (int i = 0; i < 20; i++) {
        Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(i % 2 ? T_HOUSEHOLD : T_HOUSEHOLD_2,
                                                                                items[i % 4], CHANNEL(WINDOW),
                                                                                "崩溃之后"));
        SF_CHECK(c && c->id > max_before);
    }
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.intake_case"), before + 25);
}

int
main(void)
{
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    if (intake_world_start(&world, "intake_integrity", extra)) {
        test_steps_as_sql_has_them();
        test_close_closed();
        test_two_replicas();
        test_crash();
    }
    for (size_t i = 0; i < n_rows; i++)
        PQclear(rows[i]);
    intake_orders_sql_release();
    intake_world_stop(&world);
    return sf_test_done();
}
