/* The work-order rules through the real daemons (grid and intake on the test
 * cluster): case types and their limits, direct answers counted apart, the
 * receipt (签收) and first-response deadlines with lateness recorded
 * against the holder at the time, send-backs (退单) within their window and
 * the no-owner case (无头事项) the street assigns by decision, extensions
 * (延期) asked before the deadline, decided by the level above and capped,
 * the resident told, the review (审核) before the return visit, co-handler
 * tasks (协办) that hold the lead's resolution, and escalation moving the
 * case. Every step's reply and its event are compared, field by field,
 * with the case's row and its latest audit row in SQL; every refusal with
 * the field it names, and nothing written by it. */
#include "intake_test_support.h"
#include "intake_test_orders.h"
#include "sf_ids.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANNEL(name) SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_##name
#define STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define TYPE(name) SIFANG__V1__CASE_TYPE__CASE_TYPE_##name
#define KIND(name) SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_##name

static intake_world_t world;

/* --- the case as SQL has it ------------------------------------------------ */

#define MS(expr) "coalesce((extract(epoch FROM " expr ") * 1000)::bigint, 0)"

/* Written here from intake's tables, independently of intake's own column
 * lists: the case row, its item's name, its duplicate's number and the
 * audit row of its latest step (seq = version); the rules' fields are
 * intake_orders_in_sql's. */
static const char case_sql[] =
    "SELECT c.id, coalesce(c.registration_number, ''), c.status, c.channel, c.item_code, coalesce(i.name, ''),"
    "       c.category, c.requester, c.unit_code, c.description,"
    "       coalesce(c.first_responder_id, ''), c.first_responder_name, c.assignee_kind,"
    "       coalesce(c.assignee_code, ''), c.assignee_name, c.assignee_route,"
    "       " MS("c.received_at") ", " MS("c.accepted_at") ", " MS("c.due_at") ", " MS("c.resolved_at") ","
    "       " MS("c.closed_at") ","
    "       c.overdue, c.escalation_level, c.escalated_to, coalesce(c.satisfaction, 0), c.resolution,"
    "       c.reject_reason, c.transferred_to, coalesce(c.duplicate_of, 0), coalesce(d.registration_number, ''),"
    "       coalesce(c.meeting_id, 0), c.dispatch_state, c.version,"
    "       h.seq, h.action, h.from_status, h.to_status, h.actor_id, h.actor_name, " MS("h.at") ", h.note"
    "  FROM intake.intake_case c LEFT JOIN intake.service_item i ON i.code = c.item_code"
    "       LEFT JOIN intake.intake_case d ON d.id = c.duplicate_of"
    "       JOIN intake.case_history h ON h.case_id = c.id AND h.seq = c.version"
    " WHERE c.id = $1";

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

static bool
yes(PGresult *r, int *k)
{
    return strcmp(col(r, k), "t") == 0;
}

/* Memory of the messages built from SQL, freed at the end. */
static void *kept_memory[4096];
static size_t n_kept_memory;

static void *
make(size_t size)
{
    void *memory = calloc(1, size);
    if (n_kept_memory < sizeof kept_memory / sizeof *kept_memory)
        kept_memory[n_kept_memory++] = memory;
    return memory;
}

/* The case from SQL, the requester in the clear (a station's reply) or as
 * events carry it (masked). NULL (a failure) when the row is not there. */
static Sifang__V1__Case *
case_in_sql(int64_t id, bool clear)
{
    char id_text[24];
    snprintf(id_text, sizeof id_text, "%lld", (long long) id);
    const char *values[1] = { id_text };
    PGresult *r = PQexecParams(world.db, case_sql, 1, NULL, values, NULL, NULL, 0);
    if (!SF_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)) {
        fprintf(stderr, "%s", PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    if (n_rows < sizeof rows / sizeof *rows)
        rows[n_rows++] = r;
    Sifang__V1__Case *c = make(sizeof *c);
    sifang__v1__case__init(c);
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
    Sifang__V1__CaseRequester *stored = sifang__v1__case_requester__unpack(NULL, size, bytes);
    PQfreemem(bytes);
    if (!SF_CHECK(stored != NULL))
        return NULL;
    Sifang__V1__CaseRequester *requester = make(sizeof *requester);
    *requester = *stored;
    char *texts = make(512);
    snprintf(texts, 256, "%s", stored->phone);
    snprintf(texts + 256, 256, "%s", stored->name);
    requester->phone = texts;
    requester->name = texts + 256;
    requester->household_code = strcpy(make(strlen(stored->household_code) + 1), stored->household_code);
    requester->resident_id = strcpy(make(strlen(stored->resident_id) + 1), stored->resident_id);
    requester->enterprise_name = strcpy(make(strlen(stored->enterprise_name) + 1), stored->enterprise_name);
    requester->enterprise_credit_code = strcpy(make(strlen(stored->enterprise_credit_code) + 1),
                                               stored->enterprise_credit_code);
    sifang__v1__case_requester__free_unpacked(stored, NULL);
    if (!clear) {
        char mask[SF_MASK_SIZE];
        sf_phone_mask(requester->phone, mask, sizeof mask);
        snprintf(requester->phone, 256, "%s", mask);
        sf_name_mask(requester->name, mask, sizeof mask);
        snprintf(requester->name, 256, "%s", mask);
    }
    c->requester = requester;
    c->unit_code = (char *) col(r, &k);
    size_t length = strlen(c->unit_code);
    c->community_code = make(16);
    c->street_code = make(16);
    if (length >= 12)
        snprintf(c->community_code, 16, "%.12s", c->unit_code);
    snprintf(c->street_code, 16, "%.9s", c->unit_code);
    c->description = (char *) col(r, &k);
    c->first_responder_id = (char *) col(r, &k);
    c->first_responder_name = (char *) col(r, &k);
    Sifang__V1__CaseAssignee *assignee = make(sizeof *assignee);
    sifang__v1__case_assignee__init(assignee);
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
    c->overdue = yes(r, &k);
    c->escalation_level = num(r, &k);
    c->escalated_to = (char *) col(r, &k);
    c->satisfaction = num(r, &k);
    c->resolution = (char *) col(r, &k);
    c->reject_reason = (char *) col(r, &k);
    c->transferred_to = (char *) col(r, &k);
    c->duplicate_of = num(r, &k);
    c->duplicate_of_registration = (char *) col(r, &k);
    c->meeting_id = num(r, &k);
    if (!SF_CHECK_EQ_INT(num(r, &k), 0))   /* no case here is dispatched to a provider */
        return NULL;
    c->version = num(r, &k);
    Sifang__V1__CaseTransition *transition = make(sizeof *transition);
    sifang__v1__case_transition__init(transition);
    transition->seq = num(r, &k);
    transition->action = num(r, &k);
    transition->from_status = num(r, &k);
    transition->to_status = num(r, &k);
    transition->actor_id = (char *) col(r, &k);
    transition->actor_name = (char *) col(r, &k);
    transition->at_unix_ms = num(r, &k);
    transition->note = (char *) col(r, &k);
    c->last_transition = transition;
    c->updated_unix_ms = transition->at_unix_ms;
    int64_t finished = c->resolved_unix_ms ? c->resolved_unix_ms : c->closed_unix_ms;
    c->resolved_in_time = finished && c->due_unix_ms && finished <= c->due_unix_ms;
    if (!SF_CHECK(intake_orders_in_sql(world.db, id, c)))
        return NULL;
    return c;
}

/* --- comparing every field ------------------------------------------------- */

/* Case fields from 50 on are the follow-through's and the registration's
 * (their own tests compare them with SQL); this test compares 1..49. */
#define OTHERS_FIELDS_FROM 50

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
        if (d == &sifang__v1__case__descriptor && field->id >= OTHERS_FIELDS_FROM)
            continue;
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
        case PROTOBUF_C_TYPE_INT64:
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
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_ENUM:
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

/* The case.* events of the case after head, in order (kept). */
static size_t
events_after(int64_t head, int64_t id, Sifang__V1__Case **events, char types[][48], size_t max)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    fetch.limit = 1000;
    Sifang__V1__EventsFetchReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.admin, "Sys.EventsFetch", NULL, &fetch.base,
                                     &sifang__v1__events_fetch_reply__descriptor, &reply, NULL), SF_OK))
        return 0;
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long) id);
    size_t n = 0;
    for (size_t i = 0; reply && i < reply->n_events && n < max; i++) {
        const Sifang__V1__Event *event = reply->events[i];
        if (strcmp(event->key, key) != 0 || strncmp(event->type, "case.", 5) != 0)
            continue;
        events[n] = intake_keep((ProtobufCMessage *) sifang__v1__case__unpack(NULL, event->payload.len,
                                                                              event->payload.data));
        snprintf(types[n], 48, "%s", event->type);
        n++;
    }
    return n;
}

/* The reply (phones in the clear) and the step's one event (masked) against
 * SQL, every field. */
static void
check_step(const char *what, int64_t head, const Sifang__V1__Case *reply, int64_t id, const char *event_type)
{
    if (reply) {
        Sifang__V1__Case *want = case_in_sql(id, true);
        if (want)
            compare(what, "reply", &reply->base, &want->base);
    }
    Sifang__V1__Case *events[8];
    char types[8][48];
    size_t n = events_after(head, id, events, types, 8);
    if (!SF_CHECK_EQ_INT((int) n, 1)) {
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "%s: event %s\n", what, types[i]);
        return;
    }
    Sifang__V1__Case *want = case_in_sql(id, false);
    if (events[0] && want) {
        char name[96];
        snprintf(name, sizeof name, "%s event", what);
        compare(name, "event", &events[0]->base, &want->base);
        SF_CHECK_EQ_STR(types[0], event_type);
    }
}

/* Calls a step method as client; returns the reply (kept) and checks it
 * and its event against SQL. */
static Sifang__V1__Case *
step(sf_client_t *client, const char *method, const ProtobufCMessage *request, int64_t id, const char *event_type)
{
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = intake_call(client, method, NULL, request, &sifang__v1__case__descriptor, &reply, &info);
    if (!SF_CHECK_EQ_INT(status, SF_OK)) {
        fprintf(stderr, "%s: %s\n", method, info.message ? info.message : "");
        return NULL;
    }
    check_step(method, head, reply, id, event_type);
    return reply;
}

/* A refusal: its status and field, and nothing written (no audit row, no
 * event). */
static void
refused(sf_client_t *client, const char *method, const ProtobufCMessage *request, sf_status_t want_status,
        const char *field, const char *words, int line)
{
    long long before = intake_count(&world, "SELECT (SELECT count(*) FROM intake.case_history) * 1000"
                                            " + (SELECT count(*) FROM intake.event_log)");
    sf_reply_info_t info;
    sf_status_t status = intake_call(client, method, NULL, request, &sifang__v1__case__descriptor, NULL, &info);
    if (!SF_CHECK_EQ_INT(status, want_status) || (field && !SF_CHECK(intake_has_violation(&info, field)))
        || (words && !SF_CHECK(info.message && strstr(info.message, words))))
        fprintf(stderr, "line %d: %s: %s %s\n", line, method, sf_status_name(status),
                info.message ? info.message : "");
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT (SELECT count(*) FROM intake.case_history) * 1000"
                                         " + (SELECT count(*) FROM intake.event_log)"), before);
}
#define REFUSED(client, method, request, status, field, words) \
    refused(client, method, &(request)->base, status, field, words, __LINE__)

static Sifang__V1__CaseRef *
ref_of(int64_t id)
{
    static Sifang__V1__CaseRef refs[128];
    static int next;
    Sifang__V1__CaseRef *ref = &refs[next++ % 128];
    sifang__v1__case_ref__init(ref);
    ref->id = id;
    return ref;
}

static void
sql(const char *format, long long id)
{
    char text[400];
    snprintf(text, sizeof text, format, id);
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, text), 0);
}

static long long
sql_count(const char *format, long long id)
{
    char text[400];
    snprintf(text, sizeof text, format, id);
    return intake_count(&world, text);
}

static void
sweep(void)
{
    Sifang__V1__CaseSweepRequest request = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseSweep", NULL, &request.base,
                                &sifang__v1__case_sweep_reply__descriptor, NULL, NULL), SF_OK);
}

/* A station's registration of a type, routed at once to the zone's
 * committee member S00001. */
static Sifang__V1__Case *
register_case(const char *household, const char *item, Sifang__V1__CaseType type, const char *description)
{
    Sifang__V1__CaseSubmitRequest *request = intake_resident_request(household, item, CHANNEL(HOTLINE), description);
    request->case_type = type;
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *c = SUBMIT_OK(world.station, request);
    if (c)
        check_step("CaseSubmit", head, c, c->id, "case.accepted");
    return c;
}

/* --- case types, limits, direct answers ------------------------------------- */

static void
test_types_and_direct_answers(void)
{
    /* The types as data: the reply is the table. */
    Sifang__V1__CaseTypeListRequest list = SIFANG__V1__CASE_TYPE_LIST_REQUEST__INIT;
    Sifang__V1__CaseTypeListReply *types = NULL;
    SF_CHECK_EQ_INT(intake_call(world.viewer, "CaseTypeList", NULL, &list.base,
                                &sifang__v1__case_type_list_reply__descriptor, &types, NULL), SF_OK);
    if (SF_CHECK(types && types->n_types == 4)) {
        for (size_t i = 0; i < types->n_types; i++) {
            const Sifang__V1__CaseTypeRule *t = types->types[i];
            char text[300];
            snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_type WHERE type = %d AND name = '%s'"
                     " AND time_limit = %d AND time_limit_unit = %d AND receipt_minutes = %d"
                     " AND first_response_minutes = %d AND review_required = %s AND version = %lld", t->type,
                     t->name, t->time_limit, t->time_limit_unit, t->receipt_minutes, t->first_response_minutes,
                     t->review_required ? "true" : "false", (long long) t->version);
            SF_CHECK_EQ_INT(intake_count(&world, text), 1);
        }
        SF_CHECK_EQ_STR(types->types[0]->name, "咨询");
        SF_CHECK_EQ_STR(types->types[2]->name, "投诉");
        SF_CHECK(types->types[2]->review_required);
    }
    /* Only the district changes them; a bad limit names its field. */
    Sifang__V1__CaseTypeRule rule = SIFANG__V1__CASE_TYPE_RULE__INIT;
    rule.type = TYPE(SUGGESTION);
    rule.name = "建议";
    rule.time_limit = 20;
    rule.time_limit_unit = SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_WORKING_DAYS;
    rule.receipt_minutes = 30;
    rule.first_response_minutes = 480;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseTypePut", NULL, &rule.base,
                                &sifang__v1__case_type_rule__descriptor, NULL, &info), SF_PERMISSION_DENIED);
    rule.receipt_minutes = 0;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseTypePut", NULL, &rule.base,
                                &sifang__v1__case_type_rule__descriptor, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "receipt_minutes"));
    rule.receipt_minutes = 30;
    Sifang__V1__CaseTypeRule *put = NULL;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseTypePut", NULL, &rule.base,
                                &sifang__v1__case_type_rule__descriptor, &put, NULL), SF_OK);
    SF_CHECK(put && put->time_limit == 20 && put->version == 2);

    /* An item without a limit of its own takes its case type's: a
     * suggestion's 20 working days, a consultation's one. */
    Sifang__V1__Case *suggestion = register_case(T_HOUSEHOLD, "policy-consultation", TYPE(SUGGESTION),
                                                 "建议增设便民座椅");
    Sifang__V1__Case *question = register_case(T_HOUSEHOLD_2, "policy-consultation", TYPE(CONSULTATION),
                                               "咨询医保报销政策");
    if (SF_CHECK(suggestion && question)) {
        SF_CHECK_EQ_INT(suggestion->case_type, TYPE(SUGGESTION));
        SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND due_at ="
                                        " intake.intake_due(received_at, 20, 1::smallint, 'Asia/Shanghai')",
                                        suggestion->id), 1);
        SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND due_at ="
                                        " intake.intake_due(received_at, 1, 1::smallint, 'Asia/Shanghai')",
                                        question->id), 1);
        /* Routed at once: the committee member must sign within 30 working
         * minutes; who must act is named. */
        SF_CHECK(question->stages && question->stages->assignment == 1 && question->stages->receipt_due_unix_ms);
        SF_CHECK(question->waiting_on && strcmp(question->waiting_on->code, "S00001") == 0
                 && strcmp(question->waiting_on->route, "assignee") == 0);
    }
    /* The item's own limit wins: a complaint about a certification keeps
     * the certification's 3 working days. */
    Sifang__V1__Case *complaint = register_case(T_HOUSEHOLD, "pension-certification", TYPE(COMPLAINT), "认证太慢");
    if (SF_CHECK(complaint))
        SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND due_at ="
                                        " intake.intake_due(received_at, 3, 1::smallint, 'Asia/Shanghai')",
                                        complaint->id), 1);

    /* Answered on the spot: registered and closed, two steps, two events. */
    Sifang__V1__CaseSubmitRequest *request = intake_resident_request(T_HOUSEHOLD_2, "policy-consultation",
                                                                     CHANNEL(WINDOW), "问社保卡补办地点");
    request->case_type = TYPE(CONSULTATION);
    request->direct_answer = "社保卡在区政务服务中心二楼补办，带身份证";
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *answered = SUBMIT_OK(world.station, request);
    if (SF_CHECK(answered)) {
        SF_CHECK_EQ_INT(answered->status, STATUS(CLOSED));
        SF_CHECK(answered->direct_answer);
        SF_CHECK_EQ_INT((int) answered->version, 2);
        SF_CHECK_EQ_STR(answered->resolution, request->direct_answer);
        SF_CHECK(answered->waiting_on == NULL);
        Sifang__V1__Case *want = case_in_sql(answered->id, true);
        if (want)
            compare("direct answer", "reply", &answered->base, &want->base);
        Sifang__V1__Case *events[4];
        char event_types[4][48];
        if (SF_CHECK_EQ_INT((int) events_after(head, answered->id, events, event_types, 4), 2)) {
            SF_CHECK_EQ_STR(event_types[0], "case.accepted");
            SF_CHECK_EQ_STR(event_types[1], "case.direct_answered");
            want = case_in_sql(answered->id, false);
            if (want && events[1])
                compare("direct answer event", "event", &events[1]->base, &want->base);
        }
    }
    /* Only a station answers on the spot; a resident's own channel may not. */
    Sifang__V1__CaseSubmitRequest *own = intake_resident_request(T_HOUSEHOLD_2, "policy-consultation",
                                                                 CHANNEL(WEBSITE), "网上咨询");
    own->direct_answer = "已答复";
    sf_reply_info_t refusal;
    SF_CHECK_EQ_INT(intake_call(world.gateway, "CaseSubmit", NULL, &own->base, &sifang__v1__case__descriptor,
                                NULL, &refusal), SF_PERMISSION_DENIED);
    SF_CHECK(intake_has_violation(&refusal, "direct_answer"));
    own->direct_answer = "";
    own->case_type = 9;
    SF_CHECK_EQ_INT(intake_call(world.gateway, "CaseSubmit", NULL, &own->base, &sifang__v1__case__descriptor,
                                NULL, &refusal), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&refusal, "case_type"));

    /* Counted apart: the list filter and the backlog board. */
    Sifang__V1__CaseListRequest filter = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    filter.under = T_COMMUNITY;
    filter.direct_answers_only = true;
    Sifang__V1__CaseListReply *listed = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseList", NULL, &filter.base,
                                &sifang__v1__case_list_reply__descriptor, &listed, NULL), SF_OK);
    SF_CHECK(listed && (long long) listed->n_cases
             == intake_count(&world, "SELECT count(*) FROM intake.intake_case WHERE direct_answer"
                                     " AND unit_code LIKE '" T_COMMUNITY "%'"));
    SF_CHECK(listed && listed->n_cases == 1 && listed->cases[0]->direct_answer);
    Sifang__V1__CaseBacklogRequest board = SIFANG__V1__CASE_BACKLOG_REQUEST__INIT;
    board.under = T_STREET;
    Sifang__V1__CaseBacklogReply *backlog = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseBacklog", NULL, &board.base,
                                &sifang__v1__case_backlog_reply__descriptor, &backlog, NULL), SF_OK);
    SF_CHECK(backlog && backlog->total && backlog->total->direct_answers == 1);
    board.direct_answers_from = "2026-13-01";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseBacklog", NULL, &board.base,
                                &sifang__v1__case_backlog_reply__descriptor, NULL, &refusal), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&refusal, "direct_answers_from"));
}

/* --- stages, lateness by holder, escalation ----------------------------------- */

/* A case whose receipt, first response and completion all fell due since
 * the last sweep (a backlog, an imported case): one sweep records each
 * against the holder of the time, before escalation moves the case on. */
static void
test_all_stages_late_at_once(void)
{
    Sifang__V1__Case *c = register_case(T_HOUSEHOLD, "appliance-repair", TYPE(HELP), "洗衣机漏水");
    if (!SF_CHECK(c))
        return;
    sql("UPDATE intake.intake_case SET receipt_due_at = now() - interval '3 hours',"
        " first_response_due_at = now() - interval '2 hours', due_at = now() - interval '1 hour' WHERE id = %lld",
        c->id);
    sweep();
    for (int stage = 1; stage <= 3; stage++) {
        char text[200];
        /* Receipt and first response belong to the assignment (1);
         * completion to the case (assignment 0). */
        snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld AND stage = %d"
                 " AND assignment = %d AND holder_code = 'S00001'", (long long) c->id, stage, stage < 3 ? 1 : 0);
        SF_CHECK_EQ_INT(intake_count(&world, text), 1);
    }
    SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld", c->id), 3);
    SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND overdue"
                                    " AND assignment = 2", c->id), 1);
}

static void
test_stages(void)
{
    Sifang__V1__Case *c = register_case(T_HOUSEHOLD, "appliance-repair", TYPE(HELP), "冰箱不制冷");
    if (!SF_CHECK(c))
        return;
    /* The committee member's receipt falls due unmet: the sweep marks it
     * late against them, once. */
    sql("UPDATE intake.intake_case SET receipt_due_at = now() - interval '1 minute' WHERE id = %lld", c->id);
    int64_t head = sf_test_event_head(world.admin);
    sweep();
    check_step("CaseSweep (receipt late)", head, NULL, c->id, "case.stage_late");
    /* Its holder is told their 签收 is late (已超期). */
    intake_check_step_notices(&world, head, c->id,
                              (int) sql_count("SELECT max(seq) FROM intake.case_history WHERE case_id = %lld"
                                              " AND action = 18", c->id), "S00001:3:assignee", __LINE__);
    SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld AND stage = 1"
                                    " AND assignment = 1 AND holder_kind = 2 AND holder_code = 'S00001'"
                                    " AND holder_unit = (SELECT unit_code FROM intake.ref_staff WHERE id = 'S00001')",
                                    c->id), 1);
    head = sf_test_event_head(world.admin);
    sweep();
    Sifang__V1__Case *events[4];
    char types[4][48];
    SF_CHECK_EQ_INT((int) events_after(head, c->id, events, types, 4), 0);

    /* Assigned to another: a new assignment, with its own receipt deadline;
     * signed in time, no lateness for the new holder. */
    Sifang__V1__CaseAssignee named = SIFANG__V1__CASE_ASSIGNEE__INIT;
    named.kind = KIND(STAFF);
    named.code = "S00002";
    Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    assign.ref = ref_of(c->id);
    assign.assignee = &named;
    Sifang__V1__Case *moved = step(world.station, "CaseAssign", &assign.base, c->id, "case.assigned");
    SF_CHECK(moved && moved->stages && moved->stages->assignment == 2 && !moved->stages->receipt_late);
    Sifang__V1__CaseStepRequest sign = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    sign.ref = ref_of(c->id);
    Sifang__V1__Case *signed_case = step(world.street, "CaseSign", &sign.base, c->id, "case.signed");
    SF_CHECK(signed_case && signed_case->stages && signed_case->stages->signed_unix_ms);
    REFUSED(world.street, "CaseSign", &sign, SF_FAILED_PRECONDITION, "ref", "signed for already");
    /* The first response comes late: the start records it against S00002. */
    sql("UPDATE intake.intake_case SET first_response_due_at = now() - interval '1 minute' WHERE id = %lld",
        c->id);
    Sifang__V1__CaseStepRequest start = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    start.ref = ref_of(c->id);
    Sifang__V1__Case *started = step(world.street, "CaseStart", &start.base, c->id, "case.started");
    SF_CHECK(started && started->stages && started->stages->first_response_late);
    SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld AND stage = 2"
                                    " AND assignment = 2 AND holder_code = 'S00002'", c->id), 1);
    SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld AND stage = 1",
                                    c->id), 1);

    /* Overdue: escalation moves the case to the community station (a new
     * assignment), and completion is late against S00002, who held it. */
    sql("UPDATE intake.intake_case SET due_at = now() - interval '1 hour' WHERE id = %lld", c->id);
    head = sf_test_event_head(world.admin);
    sweep();
    check_step("CaseSweep (overdue)", head, NULL, c->id, "case.overdue");
    SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND assignee_kind = 3"
                                    " AND assignee_code = '" T_COMMUNITY "' AND assignment = 3 AND status = 4",
                                    c->id), 1);
    SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld AND stage = 3"
                                    " AND holder_code = 'S00002'", c->id), 1);
    sql("UPDATE intake.intake_case SET escalated_at = now() - interval '25 hours',"
        " receipt_due_at = now() + interval '1 hour', first_response_due_at = now() + interval '1 hour'"
        " WHERE id = %lld", c->id);
    head = sf_test_event_head(world.admin);
    sweep();
    check_step("CaseSweep (escalated)", head, NULL, c->id, "case.escalated");
    SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND assignee_kind = 3"
                                    " AND assignee_code = '" T_STREET "' AND waiting_code = '" T_STREET "'"
                                    " AND assignment = 4", c->id), 1);

    /* The lateness list: every row, each against its holder. */
    Sifang__V1__CaseStageLateListRequest lates = SIFANG__V1__CASE_STAGE_LATE_LIST_REQUEST__INIT;
    lates.case_id = c->id;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 2;
    lates.page = &page;
    Sifang__V1__CaseStageLateListReply *first = NULL, *second = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseStageLateList", NULL, &lates.base,
                                &sifang__v1__case_stage_late_list_reply__descriptor, &first, NULL), SF_OK);
    if (SF_CHECK(first && first->n_rows == 2 && *first->next_page_token)) {
        page.page_token = first->next_page_token;
        SF_CHECK_EQ_INT(intake_call(world.station, "CaseStageLateList", NULL, &lates.base,
                                    &sifang__v1__case_stage_late_list_reply__descriptor, &second, NULL), SF_OK);
    }
    if (SF_CHECK(second && second->n_rows == 1 && !*second->next_page_token)) {
        const Sifang__V1__CaseStageLate *all[3] = { first->rows[0], first->rows[1], second->rows[0] };
        for (int i = 0; i < 3; i++) {
            char text[600];
            snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld"
                     " AND stage = %d AND assignment = %d AND holder_kind = %d AND holder_code = '%s'"
                     " AND holder_name = '%s' AND holder_unit = '%s'"
                     " AND (extract(epoch FROM due_at) * 1000)::bigint = %lld"
                     " AND (extract(epoch FROM marked_at) * 1000)::bigint = %lld", (long long) all[i]->case_id,
                     all[i]->stage, all[i]->assignment, all[i]->holder->kind, all[i]->holder->code,
                     all[i]->holder->name, all[i]->holder_unit, (long long) all[i]->due_unix_ms,
                     (long long) all[i]->marked_unix_ms);
            SF_CHECK_EQ_INT(intake_count(&world, text), 1);
        }
        /* Newest key first: completion, first response, receipt. */
        SF_CHECK(all[0]->stage == 3 && all[1]->stage == 2 && all[2]->stage == 1);
    }
}

/* --- who is told of a co-handler's task ----------------------------------------- */

static void
test_cohandler_told(void)
{
    Sifang__V1__Case *c = register_case(T_HOUSEHOLD_2, "dispute-mediation", TYPE(HELP), "楼道堆物");
    if (!SF_CHECK(c))
        return;
    /* The street co-handles: its own staff (李强, S00002) are given the
     * task (新派工单, as who the case waits on); the station, which asked,
     * is not told of its own step. */
    Sifang__V1__CaseAssignee street = SIFANG__V1__CASE_ASSIGNEE__INIT;
    street.kind = KIND(UNIT);
    street.code = T_STREET;
    Sifang__V1__CaseCoHandlerAddRequest add = SIFANG__V1__CASE_CO_HANDLER_ADD_REQUEST__INIT;
    add.ref = ref_of(c->id);
    add.co_handler = &street;
    add.task = "协调街道城管清理";
    add.working_days = 2;
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *added = step(world.station, "CaseCoHandlerAdd", &add.base, c->id, "case.cohandler_added");
    if (SF_CHECK(added && added->waiting_on && strcmp(added->waiting_on->route, "co-handler") == 0))
        intake_check_step_notices(&world, head, c->id, added->version, "S00002:1:co-handler", __LINE__);
}

/* --- send back and the no-owner case -------------------------------------------- */

static void
test_send_back(void)
{
    Sifang__V1__Case *c = register_case(T_HOUSEHOLD_2, "dispute-mediation", TYPE(HELP), "邻里漏水纠纷");
    if (!SF_CHECK(c))
        return;
    Sifang__V1__CaseSendBackRequest back = SIFANG__V1__CASE_SEND_BACK_REQUEST__INIT;
    back.ref = ref_of(c->id);
    REFUSED(world.station, "CaseSendBack", &back, SF_INVALID_ARGUMENT, "reason", NULL);
    back.reason = "不属于本网格职责";
    Sifang__V1__Case *once = step(world.station, "CaseSendBack", &back.base, c->id, "case.sent_back");
    if (SF_CHECK(once)) {
        SF_CHECK_EQ_INT(once->status, STATUS(ACCEPTED));
        SF_CHECK(once->assignee == NULL && once->send_backs == 1 && !once->no_owner);
        SF_CHECK(once->waiting_on && strcmp(once->waiting_on->code, T_COMMUNITY) == 0
                 && strcmp(once->waiting_on->route, "dispatcher") == 0);
    }
    /* Not assigned: nothing to send back. */
    REFUSED(world.station, "CaseSendBack", &back, SF_FAILED_PRECONDITION, "ref", "only an assigned case");
    /* The dispatcher re-routes it; sent back again, it has no owner. */
    Sifang__V1__CaseAssignee named = SIFANG__V1__CASE_ASSIGNEE__INIT;
    named.kind = KIND(STAFF);
    named.code = "S00002";
    Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    assign.ref = ref_of(c->id);
    assign.assignee = &named;
    step(world.station, "CaseAssign", &assign.base, c->id, "case.assigned");
    back.reason = "也不属于街道干部职责";
    Sifang__V1__Case *twice = step(world.station, "CaseSendBack", &back.base, c->id, "case.sent_back");
    if (SF_CHECK(twice)) {
        SF_CHECK(twice->no_owner && twice->send_backs == 2);
        SF_CHECK(twice->waiting_on && strcmp(twice->waiting_on->code, T_STREET) == 0
                 && strcmp(twice->waiting_on->route, "decides the owner") == 0);
    }
    /* The community may not assign a no-owner case; the street decides. */
    REFUSED(world.station, "CaseAssign", &assign, SF_PERMISSION_DENIED, NULL, "assigns it by decision");
    Sifang__V1__Case *decided = step(world.street, "CaseAssign", &assign.base, c->id, "case.assigned");
    SF_CHECK(decided && decided->assignee
             && strcmp(decided->assignee->route, "assigned by decision (no-owner case)") == 0);
    /* A third send-back is refused: it was assigned by decision. */
    REFUSED(world.street, "CaseSendBack", &back, SF_FAILED_PRECONDITION, "ref", "no-owner case");
    SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.case_history WHERE case_id = %lld AND action = 19",
                                    c->id), 2);

    /* Late: only within the working minutes after assignment. */
    Sifang__V1__Case *late = register_case(T_HOUSEHOLD, "plumbing-electrical-repair", TYPE(COMPLAINT), "楼道灯不亮");
    if (!SF_CHECK(late))
        return;
    sql("UPDATE intake.intake_case SET assigned_at = now() - interval '10 days' WHERE id = %lld", late->id);
    back.ref = ref_of(late->id);
    REFUSED(world.station, "CaseSendBack", &back, SF_FAILED_PRECONDITION, "ref", "within 120 working minutes");
}

/* --- extension -------------------------------------------------------------------- */

static void
test_extension(void)
{
    Sifang__V1__Case *c = register_case(T_HOUSEHOLD, "housing-subsidy", TYPE(HELP), "申请住房补贴");
    if (!SF_CHECK(c))
        return;
    Sifang__V1__CaseExtensionAskRequest ask = SIFANG__V1__CASE_EXTENSION_ASK_REQUEST__INIT;
    ask.ref = ref_of(c->id);
    ask.reason = "需住建部门核实房产";
    ask.working_days = 16;
    REFUSED(world.station, "CaseExtensionAsk", &ask, SF_INVALID_ARGUMENT, "working_days", NULL);
    ask.working_days = 5;
    Sifang__V1__Case *asked = step(world.station, "CaseExtensionAsk", &ask.base, c->id, "case.extension_requested");
    /* Held by the housing department: the district above it decides. */
    if (SF_CHECK(asked && asked->extension)) {
        SF_CHECK_EQ_STR(asked->extension->approver_unit, T_DISTRICT);
        SF_CHECK(asked->waiting_on && strcmp(asked->waiting_on->route, "approver") == 0
                 && strcmp(asked->waiting_on->code, T_DISTRICT) == 0);
    }
    REFUSED(world.station, "CaseExtensionAsk", &ask, SF_FAILED_PRECONDITION, "ref", "awaiting its decision");
    /* The level above decides, not the community nor the street. */
    Sifang__V1__CaseExtensionDecideRequest decide = SIFANG__V1__CASE_EXTENSION_DECIDE_REQUEST__INIT;
    decide.ref = ref_of(c->id);
    decide.approved = true;
    REFUSED(world.station, "CaseExtensionDecide", &decide, SF_PERMISSION_DENIED, NULL, "for " T_DISTRICT);
    REFUSED(world.street, "CaseExtensionDecide", &decide, SF_PERMISSION_DENIED, NULL, "for " T_DISTRICT);
    int64_t due_before = c->due_unix_ms;
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *notified = NULL;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseExtensionDecide", NULL, &decide.base,
                                &sifang__v1__case__descriptor, &notified, NULL), SF_OK);
    /* Two steps: approved (the due time moved), then the resident told. */
    Sifang__V1__Case *events[4];
    char types[4][48];
    if (SF_CHECK_EQ_INT((int) events_after(head, c->id, events, types, 4), 2)) {
        SF_CHECK_EQ_STR(types[0], "case.extension_approved");
        SF_CHECK_EQ_STR(types[1], "case.resident_notified");
        SF_CHECK(events[0]->due_unix_ms > due_before && events[0]->extension
                 && events[0]->extension->granted == 1 && events[0]->extension->granted_days == 5);
        Sifang__V1__Case *want = case_in_sql(c->id, false);
        if (want && events[1])
            compare("resident notified event", "event", &events[1]->base, &want->base);
        SF_CHECK(events[1]->last_transition && strstr(events[1]->last_transition->note, "已告知诉求人"));
    }
    Sifang__V1__Case *want = case_in_sql(c->id, true);
    if (notified && want)
        compare("CaseExtensionDecide", "reply", &notified->base, &want->base);
    char moved[300];
    snprintf(moved, sizeof moved, "SELECT count(*) FROM intake.intake_case WHERE id = %lld AND due_at ="
             " intake.intake_due(to_timestamp(%lld / 1000.0), 5, 1::smallint, 'Asia/Shanghai')"
             " AND extension_days_granted = 5", (long long) c->id, (long long) due_before);
    SF_CHECK_EQ_INT(intake_count(&world, moved), 1);
    /* A refusal needs its reason; refused, the due time stays. */
    ask.working_days = 10;
    step(world.station, "CaseExtensionAsk", &ask.base, c->id, "case.extension_requested");
    decide.approved = false;
    REFUSED(world.admin, "CaseExtensionDecide", &decide, SF_INVALID_ARGUMENT, "note", NULL);
    decide.note = "理由不充分";
    Sifang__V1__Case *refused_case = step(world.admin, "CaseExtensionDecide", &decide.base, c->id,
                                          "case.extension_refused");
    SF_CHECK(refused_case && refused_case->extension && refused_case->extension->granted == 1);
    /* Over the cap: 10 more days would make 15 (allowed); then a third
     * extension is over the count. */
    step(world.station, "CaseExtensionAsk", &ask.base, c->id, "case.extension_requested");
    decide.approved = true;
    decide.note = "";
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseExtensionDecide", NULL, &decide.base,
                                &sifang__v1__case__descriptor, NULL, NULL), SF_OK);
    ask.working_days = 1;
    REFUSED(world.station, "CaseExtensionAsk", &ask, SF_FAILED_PRECONDITION, "ref", "the most allowed");
    /* After the deadline: too late to ask. */
    Sifang__V1__Case *late = register_case(T_HOUSEHOLD_2, "housing-subsidy", TYPE(HELP), "补贴材料");
    if (!SF_CHECK(late))
        return;
    sql("UPDATE intake.intake_case SET due_at = now() - interval '1 minute' WHERE id = %lld", late->id);
    ask.ref = ref_of(late->id);
    REFUSED(world.station, "CaseExtensionAsk", &ask, SF_FAILED_PRECONDITION, "ref", "before the deadline");
}

/* --- review and co-handlers ---------------------------------------------------------- */

static void
test_review_and_cohandlers(void)
{
    Sifang__V1__Case *c = register_case(T_HOUSEHOLD, "dispute-mediation", TYPE(COMPLAINT), "物业不作为");
    if (!SF_CHECK(c))
        return;
    /* The lead asks the neighbouring community and a department for parts. */
    Sifang__V1__CaseAssignee unit = SIFANG__V1__CASE_ASSIGNEE__INIT;
    unit.kind = KIND(UNIT);
    unit.code = T_COMMUNITY_B;
    Sifang__V1__CaseCoHandlerAddRequest add = SIFANG__V1__CASE_CO_HANDLER_ADD_REQUEST__INIT;
    add.ref = ref_of(c->id);
    add.co_handler = &unit;
    add.task = "核实相邻小区物业情况";
    add.working_days = 400;
    REFUSED(world.station, "CaseCoHandlerAdd", &add, SF_INVALID_ARGUMENT, "working_days", NULL);
    add.working_days = 30;
    REFUSED(world.station, "CaseCoHandlerAdd", &add, SF_FAILED_PRECONDITION, "working_days", "after the case");
    add.working_days = 2;
    Sifang__V1__Case *added = step(world.station, "CaseCoHandlerAdd", &add.base, c->id, "case.cohandler_added");
    SF_CHECK(added && added->cohandler_tasks == 1 && added->cohandler_tasks_open == 1 && added->waiting_on
             && strcmp(added->waiting_on->code, T_COMMUNITY_B) == 0
             && strcmp(added->waiting_on->route, "co-handler") == 0);
    /* Resolving with a task open is refused: the lead answers for all. */
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = ref_of(c->id);
    resolve.resolution = "已协调物业整改";
    REFUSED(world.station, "CaseResolve", &resolve, SF_FAILED_PRECONDITION, "ref", "co-handler task still open");
    /* Only the co-handler completes its task: not the station of another
     * community (NOT_FOUND: not theirs), but the street over both. */
    Sifang__V1__CaseCoHandlerCompleteRequest done = SIFANG__V1__CASE_CO_HANDLER_COMPLETE_REQUEST__INIT;
    done.ref = ref_of(c->id);
    done.task_seq = 1;
    done.reply = "相邻小区物业已整改";
    REFUSED(world.station, "CaseCoHandlerComplete", &done, SF_NOT_FOUND, "task_seq", NULL);
    Sifang__V1__Case *completed = step(world.street, "CaseCoHandlerComplete", &done.base, c->id,
                                       "case.cohandler_completed");
    SF_CHECK(completed && completed->cohandler_tasks_open == 0);
    REFUSED(world.street, "CaseCoHandlerComplete", &done, SF_FAILED_PRECONDITION, "task_seq", "completed already");
    Sifang__V1__CaseRef list_ref = SIFANG__V1__CASE_REF__INIT;
    list_ref.id = c->id;
    Sifang__V1__CaseCoHandlerListReply *tasks = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseCoHandlerList", NULL, &list_ref.base,
                                &sifang__v1__case_co_handler_list_reply__descriptor, &tasks, NULL), SF_OK);
    if (SF_CHECK(tasks && tasks->n_tasks == 1)) {
        const Sifang__V1__CaseCoHandlerTask *t = tasks->tasks[0];
        char text[700];
        snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_cohandler WHERE case_id = %lld AND seq = %d"
                 " AND kind = %d AND code = '%s' AND name = '%s' AND task = '%s'"
                 " AND (extract(epoch FROM due_at) * 1000)::bigint = %lld AND done = %s AND reply = '%s'"
                 " AND added_by = '%s' AND (extract(epoch FROM added_at) * 1000)::bigint = %lld"
                 " AND done_by = '%s' AND (extract(epoch FROM done_at) * 1000)::bigint = %lld",
                 (long long) c->id, t->seq, t->co_handler->kind, t->co_handler->code, t->co_handler->name, t->task,
                 (long long) t->due_unix_ms, t->done ? "true" : "false", t->reply, t->added_by,
                 (long long) t->added_unix_ms, t->done_by, (long long) t->done_unix_ms);
        SF_CHECK_EQ_INT(intake_count(&world, text), 1);
        SF_CHECK(t->done && strcmp(t->done_by, "S00002") == 0 && strcmp(t->added_by, "S00001") == 0);
    }

    /* A complaint's reply waits for the unit's reviewer. */
    Sifang__V1__Case *resolved = step(world.station, "CaseResolve", &resolve.base, c->id, "case.resolved");
    SF_CHECK(resolved && resolved->review && resolved->review->state == SIFANG__V1__CASE_REVIEW_STATE__CASE_REVIEW_STATE_PENDING
             && resolved->waiting_on && strcmp(resolved->waiting_on->route, "reviewer") == 0);
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = ref_of(c->id);
    close.satisfaction = 5;
    REFUSED(world.station, "CaseClose", &close, SF_FAILED_PRECONDITION, "ref", "awaits its review");
    /* Not by the handler who wrote it; refused, back to the handler. */
    Sifang__V1__CaseReviewRequest review = SIFANG__V1__CASE_REVIEW_REQUEST__INIT;
    review.ref = ref_of(c->id);
    review.approved = true;
    REFUSED(world.station, "CaseReview", &review, SF_PERMISSION_DENIED, NULL, "another of the unit");
    review.approved = false;
    REFUSED(world.street, "CaseReview", &review, SF_INVALID_ARGUMENT, "note", NULL);
    review.note = "答复未说明整改期限";
    Sifang__V1__Case *back = step(world.street, "CaseReview", &review.base, c->id, "case.review_refused");
    SF_CHECK(back && back->status == STATUS(IN_PROGRESS) && back->review && back->review->refusals == 1
             && back->waiting_on && strcmp(back->waiting_on->route, "assignee") == 0);
    resolve.resolution = "已协调物业整改，限期十日";
    step(world.station, "CaseResolve", &resolve.base, c->id, "case.resolved");
    review.approved = true;
    review.note = "";
    Sifang__V1__Case *signed_reply = step(world.street, "CaseReview", &review.base, c->id, "case.review_approved");
    SF_CHECK(signed_reply && signed_reply->waiting_on
             && strcmp(signed_reply->waiting_on->route, "return visit") == 0);
    REFUSED(world.street, "CaseReview", &review, SF_FAILED_PRECONDITION, "ref", "no reply awaiting review");
    Sifang__V1__Case *closed = step(world.station, "CaseClose", &close.base, c->id, "case.closed");
    /* The audit trail is honest: the version is the number of steps. */
    if (SF_CHECK(closed))
        SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.case_history WHERE case_id = %lld", c->id),
                        (int) closed->version);
}

int
main(void)
{
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", "SIFANG_INTAKE_SWEEP_MS=86400000",
                            "SIFANG_INTAKE_IMPORT_GRACE_S=0", NULL };
    if (intake_world_start(&world, "intake_orders", extra)
        && SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, "SET search_path TO intake, public"), 0)) {
        test_types_and_direct_answers();
        test_stages();
        test_all_stages_late_at_once();
        test_send_back();
        test_extension();
        test_review_and_cohandlers();
        test_cohandler_told();
    }
    for (size_t i = 0; i < n_rows; i++)
        PQclear(rows[i]);
    for (size_t i = 0; i < n_kept_memory; i++)
        free(kept_memory[i]);
    intake_release_kept();
    intake_orders_sql_release();
    intake_world_stop(&world);
    return sf_test_done();
}
