/* Issue 18's ladder through the real daemons (grid and intake on the test
 * cluster): grid names a community's and a street's head (负责人) and a
 * community's reviewer (审核人), refusing a zone, a cadre of another level
 * and a second head; the deadline sweep escalates an overdue case to the
 * community's head, then the street's, each told alone, and a community
 * without a head keeps the case itself (its staff told, the Sys.Stats
 * warning figure counting it); the reply of a complaint is signed by the
 * named reviewer and refused to the writer, the street and the admin; and
 * the resident is told (the outbox): the rework and the closure each a
 * message in its step's transaction, read by the SMS integration in the
 * clear and by others masked, acknowledged delivered or failed, at least
 * once and idempotently, each change an event. Every reply and event is
 * compared field by field with SQL; every refusal with its field and that
 * it wrote nothing. */
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
#include "sf_test_person.h"

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
    "       h.seq, h.action, h.from_status, h.to_status, h.actor_id, h.actor_name, " MS("h.at") ", h.note,"
    "       c.escalated_person_id, c.escalated_person_name"
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
    c->escalated_to_person_id = (char *) col(r, &k);
    c->escalated_to_person_name = (char *) col(r, &k);
    c->updated_unix_ms = transition->at_unix_ms;
    int64_t finished = c->resolved_unix_ms ? c->resolved_unix_ms : c->closed_unix_ms;
    c->resolved_in_time = finished && c->due_unix_ms && finished <= c->due_unix_ms;
    if (!SF_CHECK(intake_orders_in_sql(world.db, id, c)))
        return NULL;
    return c;
}

/* --- comparing every field ------------------------------------------------- */

/* Case fields 50-69 and from 75 on are the follow-through's, the
 * registration's and the hand-off's (their own tests compare them with
 * SQL); this test compares 1..49 and its own, 70..74. */
#define OTHERS_FIELDS_FROM 50
#define OWN_FIELDS_FROM 70
#define OWN_FIELDS_TO 74

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
        if (d == &sifang__v1__case__descriptor && field->id >= OTHERS_FIELDS_FROM
            && (field->id < OWN_FIELDS_FROM || field->id > OWN_FIELDS_TO))
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

/* --- who answers for a unit, in grid ------------------------------------------ */

static char head_id[16], reviewer_id[16], street_head_id[16];

static bool
make_staff(const char *name, Sifang__V1__StaffKind kind, const char *unit, char id[16])
{
    Sifang__V1__Staff staff = SIFANG__V1__STAFF__INIT;
    staff.name = (char *) name;
    staff.kind = kind;
    staff.unit_code = (char *) unit;
    Sifang__V1__Staff *made = NULL;
    if (!SF_CHECK_EQ_INT(sf_client_call(world.grid_admin, "StaffCreate", NULL, &staff.base,
                                        &sifang__v1__staff__descriptor, (ProtobufCMessage **) &made, NULL), SF_OK))
        return false;
    snprintf(id, 16, "%s", made->id);
    protobuf_c_message_free_unpacked(&made->base, NULL);
    return true;
}

#define DUTY(name) SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_##name

/* Assigns a duty through grid's API; the reply against grid's row. */
static void
assign_duty(const char *staff_id, const char *unit, Sifang__V1__ResponsibilityKind kind, sf_status_t want,
            const char *field)
{
    Sifang__V1__Responsibility duty = SIFANG__V1__RESPONSIBILITY__INIT;
    duty.staff_id = (char *) staff_id;
    duty.unit_code = (char *) unit;
    duty.kind = kind;
    long long before = intake_count(&world, "SELECT count(*) FROM grid.responsibility");
    Sifang__V1__Responsibility *made = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(world.grid_admin, "ResponsibilityAssign", NULL, &duty.base,
                                        &sifang__v1__responsibility__descriptor, (ProtobufCMessage **) &made, &info);
    if (!SF_CHECK_EQ_INT(status, want) || (field && !SF_CHECK(intake_has_violation(&info, field))))
        fprintf(stderr, "ResponsibilityAssign %s %s %d: %s\n", staff_id, unit, kind, info.message ? info.message : "");
    if (want != SF_OK) {
        SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM grid.responsibility"), before);
        return;
    }
    if (!SF_CHECK(made))
        return;
    char text[700];
    snprintf(text, sizeof text, "SELECT count(*) FROM grid.responsibility r JOIN grid.staff s ON s.serial ="
             " r.staff_serial JOIN grid.org_unit u ON u.code = r.unit_code WHERE 'S' || lpad(s.serial::text, 5, '0')"
             " = '%s' AND r.unit_code = '%s' AND r.kind = %d AND s.name = '%s' AND u.name = '%s'"
             " AND " MS("r.since") " = %lld", made->staff_id, made->unit_code, made->kind, made->staff_name,
             made->unit_name, (long long) made->since_unix_ms);
    SF_CHECK_EQ_INT(intake_count(&world, text), 1);
    SF_CHECK_EQ_STR(made->staff_id, staff_id);
    protobuf_c_message_free_unpacked(&made->base, NULL);
}

static void
test_grid_duties(void)
{
    if (!SF_CHECK(make_staff("钱立", SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE, T_COMMUNITY, head_id))
        || !SF_CHECK(make_staff("孙审", SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE, T_COMMUNITY,
                                reviewer_id))
        || !SF_CHECK(make_staff("周街", SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE, T_STREET, street_head_id)))
        return;
    assign_duty(head_id, T_COMMUNITY, DUTY(UNIT_HEAD), SF_OK, NULL);
    assign_duty(reviewer_id, T_COMMUNITY, DUTY(UNIT_REVIEWER), SF_OK, NULL);
    assign_duty(street_head_id, T_STREET, DUTY(UNIT_HEAD), SF_OK, NULL);
    /* A zone has no head; a street cadre heads no community; one head per unit. */
    assign_duty(head_id, T_ZONE, DUTY(UNIT_HEAD), SF_FAILED_PRECONDITION, "unit_code");
    assign_duty("S00002", T_COMMUNITY, DUTY(UNIT_REVIEWER), SF_FAILED_PRECONDITION, "staff_id");
    assign_duty("S00001", T_COMMUNITY, DUTY(UNIT_HEAD), SF_ALREADY_EXISTS, "unit_code");
    /* Intake's copy of grid has them (escalation and review read it). */
    SF_CHECK_EQ_INT(intake_wait_count(&world, "SELECT count(*) FROM intake.ref_responsibility WHERE kind IN (5, 6)",
                                      3, 10000), 3);
}

/* --- escalation to the next level's responsible person ------------------------ */

static int
last_seq(int64_t id)
{
    return (int) sql_count("SELECT version FROM intake.intake_case WHERE id = %lld", id);
}

static long long
stats_figure(const char *name)
{
    Sifang__V1__StatsRequest request = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.admin, "Sys.Stats", NULL, &request.base,
                                     &sifang__v1__stats_reply__descriptor, &reply, NULL), SF_OK) || !reply)
        return -1;
    for (size_t i = 0; i < reply->n_followers; i++)
        if (strcmp(reply->followers[i]->status, name) == 0)
            return reply->followers[i]->count;
    return -1;
}

static void
test_escalation(void)
{
    Sifang__V1__Case *c = register_case(T_HOUSEHOLD, "appliance-repair", TYPE(HELP), "楼道灯不亮");
    if (!SF_CHECK(c))
        return;
    char want[200], text[400];
    /* Overdue: the community's head takes it, not its station; only the head
     * (and the first responder) are told. */
    sql("UPDATE intake.intake_case SET due_at = now() - interval '1 hour' WHERE id = %lld", c->id);
    int64_t head = sf_test_event_head(world.admin);
    sweep();
    check_step("CaseSweep (overdue, to the community's head)", head, NULL, c->id, "case.overdue");
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.intake_case WHERE id = %lld AND assignee_kind = 2"
             " AND assignee_code = '%s' AND assignee_name = '钱立' AND waiting_kind = 2 AND waiting_code = '%s'"
             " AND escalated_to = '" T_COMMUNITY "' AND escalated_person_id = '%s'"
             " AND escalated_person_name = '钱立' AND assignment = 2", (long long) c->id, head_id, head_id, head_id);
    SF_CHECK_EQ_INT(intake_count(&world, text), 1);
    snprintf(want, sizeof want, "S00001:3:first_responder %s:4:escalated_to", head_id);
    intake_check_step_notices(&world, head, c->id, last_seq(c->id), want, __LINE__);

    /* Still open: the street's head. */
    sql("UPDATE intake.intake_case SET escalated_at = now() - interval '25 hours',"
        " receipt_due_at = now() + interval '1 hour', first_response_due_at = now() + interval '1 hour'"
        " WHERE id = %lld", c->id);
    head = sf_test_event_head(world.admin);
    sweep();
    check_step("CaseSweep (escalated, to the street's head)", head, NULL, c->id, "case.escalated");
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.intake_case WHERE id = %lld AND assignee_kind = 2"
             " AND assignee_code = '%s' AND escalated_to = '" T_STREET "' AND escalated_person_id = '%s'"
             " AND escalation_level = 2 AND assignment = 3", (long long) c->id, street_head_id, street_head_id);
    SF_CHECK_EQ_INT(intake_count(&world, text), 1);
    snprintf(want, sizeof want, "S00001:4:first_responder %s:4:escalated_to", street_head_id);
    intake_check_step_notices(&world, head, c->id, last_seq(c->id), want, __LINE__);
    SF_CHECK_EQ_INT((int) stats_figure("escalation.units_without_head"), 0);

    /* A community without a head named: its station holds the case, its
     * staff are told, and the figure counts it. */
    Sifang__V1__CaseSubmitRequest *request = intake_resident_request(T_HOUSEHOLD_OTHER, "appliance-repair",
                                                                     CHANNEL(HOTLINE), "水管漏水");
    Sifang__V1__Case *other = SUBMIT_OK(world.admin, request);
    if (!SF_CHECK(other))
        return;
    sql("UPDATE intake.intake_case SET due_at = now() - interval '1 hour', status = 3, assignee_kind = 2,"
        " assignee_code = 'S00003', assignee_name = '赵敏', assignment = 1 WHERE id = %lld", other->id);
    head = sf_test_event_head(world.admin);
    sweep();
    check_step("CaseSweep (overdue, no head named)", head, NULL, other->id, "case.overdue");
    SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND assignee_kind = 3"
                                    " AND assignee_code = '" T_COMMUNITY_2 "' AND escalated_person_id = ''",
                                    other->id), 1);
    intake_check_step_notices(&world, head, other->id, last_seq(other->id), "S00003:4:escalated_to", __LINE__);
    SF_CHECK_EQ_INT((int) stats_figure("escalation.units_without_head"), 1);
}

/* --- 审核 by the unit's reviewer --------------------------------------------- */

static Sifang__V1__Case *
resolve(sf_client_t *as, int64_t id, const char *words)
{
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = ref_of(id);
    resolve.resolution = (char *) words;
    return step(as, "CaseResolve", &resolve.base, id, "case.resolved");
}

static int64_t complaint_id;

/* The read-time review.expected_reviewer of a case as its writer reads it:
 * grid's reviewer of the community while the reply is pending, none after. */
static void
check_expected_reviewer(int64_t id, bool pending)
{
    const Sifang__V1__CaseRef *ref = ref_of(id);
    Sifang__V1__Case *got = NULL;
    Sifang__V1__CaseHistoryReply *history = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.station, "CaseGet", NULL, &ref->base, &sifang__v1__case__descriptor,
                                     &got, NULL), SF_OK)
        || !SF_CHECK_EQ_INT(intake_call(world.station, "CaseHistory", NULL, &ref->base,
                                        &sifang__v1__case_history_reply__descriptor, &history, NULL), SF_OK)
        || !SF_CHECK(got && got->review && history && history->current && history->current->review))
        return;
    const Sifang__V1__CaseAssignee *seen[2] = { got->review->expected_reviewer,
                                                history->current->review->expected_reviewer };
    for (int i = 0; i < 2; i++) {
        if (!pending) {
            SF_CHECK(seen[i] == NULL);
            continue;
        }
        if (!SF_CHECK(seen[i]))
            continue;
        SF_CHECK_EQ_INT(seen[i]->kind, KIND(STAFF));
        SF_CHECK_EQ_STR(seen[i]->code, reviewer_id);
        SF_CHECK_EQ_STR(seen[i]->name, "孙审");
        SF_CHECK_EQ_STR(seen[i]->route, "reviewer");
    }
}

static void
test_review(sf_client_t *reviewer)
{
    Sifang__V1__Case *c = register_case(T_HOUSEHOLD, "appliance-repair", TYPE(COMPLAINT), "投诉维修拖延");
    if (!SF_CHECK(c))
        return;
    complaint_id = c->id;
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *resolved = resolve(world.station, c->id, "已上门维修");
    /* Waiting on the reviewer grid names for the community, told alone. */
    if (SF_CHECK(resolved && resolved->waiting_on)) {
        SF_CHECK_EQ_INT(resolved->waiting_on->kind, KIND(STAFF));
        SF_CHECK_EQ_STR(resolved->waiting_on->code, reviewer_id);
        SF_CHECK_EQ_STR(resolved->waiting_on->route, "reviewer");
    }
    char want[120];
    snprintf(want, sizeof want, "%s:12:reviewer", reviewer_id);
    intake_check_step_notices(&world, head, c->id, last_seq(c->id), want, __LINE__);

    /* Anyone else is refused: the writer, the street, the district's admin. */
    Sifang__V1__CaseReviewRequest review = SIFANG__V1__CASE_REVIEW_REQUEST__INIT;
    review.ref = ref_of(c->id);
    review.approved = true;
    REFUSED(world.station, "CaseReview", &review, SF_PERMISSION_DENIED, NULL, "is yours");
    REFUSED(world.street, "CaseReview", &review, SF_PERMISSION_DENIED, NULL, "审核人");
    REFUSED(world.admin, "CaseReview", &review, SF_PERMISSION_DENIED, NULL, reviewer_id);
    /* Before signing, the case says whom it waits on, by the rule the step
     * checks: CaseGet and CaseHistory (the case page's read), to the writer. */
    check_expected_reviewer(c->id, true);
    /* The reviewer signs: the signature is theirs. */
    review.note = "核实属实，同意";
    Sifang__V1__Case *signed_case = step(reviewer, "CaseReview", &review.base, c->id, "case.review_approved");
    if (SF_CHECK(signed_case && signed_case->review)) {
        SF_CHECK_EQ_STR(signed_case->review->reviewer_id, reviewer_id);
        SF_CHECK_EQ_STR(signed_case->review->reviewer_name, "孙审");
    }
    char text[300];
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.intake_case WHERE id = %lld AND review_state = 2"
             " AND reviewer_id = '%s' AND review_note = '核实属实，同意'", (long long) c->id, reviewer_id);
    SF_CHECK_EQ_INT(intake_count(&world, text), 1);
    check_expected_reviewer(c->id, false);

    /* The return visit finds it unsatisfactory: rework (the resident is
     * told), resolved again, reviewed again, then closed (told again). */
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = ref_of(c->id);
    close.satisfaction = 2;
    close.note = "仍未修好";
    step(world.station, "CaseClose", &close.base, c->id, "case.reopened");
    resolve(world.station, c->id, "更换配件后修复");
    review.note = "";
    step(reviewer, "CaseReview", &review.base, c->id, "case.review_approved");
    close.satisfaction = 5;
    close.note = "";
    step(world.station, "CaseClose", &close.base, c->id, "case.closed");
}

/* --- the resident told ----------------------------------------------------------- */

#define MSTATE(name) SIFANG__V1__RESIDENT_MESSAGE_STATE__RESIDENT_MESSAGE_STATE_##name

/* The message as SQL has it, the phone in the clear or masked. */
static Sifang__V1__ResidentMessage *
message_in_sql(int64_t id, bool clear)
{
    char text[600];
    snprintf(text, sizeof text, "SELECT id, case_id, registration_number, case_seq, reason, channel, phone, body,"
             " unit_code, state, " MS("created_at") ", " MS("acked_at") ", acked_by, provider_ref, error, failures"
             " FROM intake.resident_message WHERE id = %lld", (long long) id);
    PGresult *r = PQexec(world.db, text);
    if (!SF_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)) {
        PQclear(r);
        return NULL;
    }
    if (n_rows < sizeof rows / sizeof *rows)
        rows[n_rows++] = r;
    Sifang__V1__ResidentMessage *m = make(sizeof *m);
    sifang__v1__resident_message__init(m);
    int k = 0;
    m->id = num(r, &k);
    m->case_id = num(r, &k);
    m->registration_number = (char *) col(r, &k);
    m->case_seq = num(r, &k);
    m->reason = num(r, &k);
    m->channel = (char *) col(r, &k);
    m->phone = (char *) col(r, &k);
    if (!clear) {
        char *masked = make(SF_MASK_SIZE);
        sf_phone_mask(m->phone, masked, SF_MASK_SIZE);
        m->phone = masked;
    }
    m->text = (char *) col(r, &k);
    m->unit_code = (char *) col(r, &k);
    m->state = num(r, &k);
    m->created_unix_ms = num(r, &k);
    m->acked_unix_ms = num(r, &k);
    m->acked_by = (char *) col(r, &k);
    m->provider_ref = (char *) col(r, &k);
    m->error = (char *) col(r, &k);
    m->failures = num(r, &k);
    return m;
}

/* The resident_message.* events after head: how many, each against SQL
 * (masked). */
static int
message_events(int64_t head, const char *type)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    fetch.limit = 1000;
    Sifang__V1__EventsFetchReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.admin, "Sys.EventsFetch", NULL, &fetch.base,
                                     &sifang__v1__events_fetch_reply__descriptor, &reply, NULL), SF_OK) || !reply)
        return -1;
    int n = 0;
    for (size_t i = 0; i < reply->n_events; i++) {
        const Sifang__V1__Event *event = reply->events[i];
        if (strncmp(event->type, "resident_message.", 17) != 0)
            continue;
        if (!SF_CHECK_EQ_STR(event->type, type))
            continue;
        Sifang__V1__ResidentMessage *got = intake_keep((ProtobufCMessage *)
            sifang__v1__resident_message__unpack(NULL, event->payload.len, event->payload.data));
        Sifang__V1__ResidentMessage *want = got ? message_in_sql(got->id, false) : NULL;
        if (SF_CHECK(got && want))
            compare(type, "event", &got->base, &want->base);
        n++;
    }
    return n;
}

static Sifang__V1__ResidentMessageListReply *
list_messages(sf_client_t *as, Sifang__V1__ResidentMessageState state)
{
    Sifang__V1__ResidentMessageListRequest list = SIFANG__V1__RESIDENT_MESSAGE_LIST_REQUEST__INIT;
    list.state = state;
    list.case_id = complaint_id;
    Sifang__V1__ResidentMessageListReply *reply = NULL;
    SF_CHECK_EQ_INT(intake_call(as, "ResidentMessageList", NULL, &list.base,
                                &sifang__v1__resident_message_list_reply__descriptor, &reply, NULL), SF_OK);
    return reply;
}

static Sifang__V1__ResidentMessage *
ack(sf_client_t *as, int64_t id, Sifang__V1__ResidentMessageState outcome, const char *ref, const char *error,
    const char *event_type)
{
    Sifang__V1__ResidentMessageAckRequest request = SIFANG__V1__RESIDENT_MESSAGE_ACK_REQUEST__INIT;
    request.id = id;
    request.outcome = outcome;
    request.provider_ref = (char *) ref;
    request.error = (char *) error;
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__ResidentMessage *reply = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(intake_call(as, "ResidentMessageAck", NULL, &request.base,
                                     &sifang__v1__resident_message__descriptor, &reply, &info), SF_OK)) {
        fprintf(stderr, "ResidentMessageAck: %s\n", info.message ? info.message : "");
        return NULL;
    }
    Sifang__V1__ResidentMessage *want = message_in_sql(id, true);
    if (SF_CHECK(reply && want))
        compare("ResidentMessageAck", "reply", &reply->base, &want->base);
    /* A repeated acknowledgement changes nothing and tells no one. */
    SF_CHECK_EQ_INT(message_events(head, event_type ? event_type : "-"), event_type ? 1 : 0);
    return reply;
}

static void
test_resident_told(sf_client_t *integration, sf_client_t *outsider)
{
    /* The complaint's rework and closure, each a message in its step's
     * transaction: the step's seq, what was said, to which phone. */
    char text[700];
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.resident_message m JOIN intake.case_history h"
             " ON h.case_id = m.case_id AND h.seq = m.case_seq WHERE m.case_id = %lld"
             " AND ((h.action = 33 AND m.reason = 3 AND m.body LIKE '%%将重新办理%%')"
             "   OR (h.action = 6 AND m.reason = 2 AND m.body LIKE '%%已办结%%'))"
             " AND " MS("m.created_at") " = " MS("h.at") " AND m.phone = '13812345678' AND m.state = 1"
             " AND m.unit_code = '" T_ZONE "'", (long long) complaint_id);
    SF_CHECK_EQ_INT(intake_count(&world, text), 2);
    /* The integration reads them in the clear, oldest first. */
    Sifang__V1__ResidentMessageListReply *pending = list_messages(integration, MSTATE(PENDING));
    if (!SF_CHECK(pending && pending->n_messages == 2))
        return;
    for (size_t i = 0; i < 2; i++) {
        Sifang__V1__ResidentMessage *want = message_in_sql(pending->messages[i]->id, true);
        if (SF_CHECK(want))
            compare("ResidentMessageList (integration)", "message", &pending->messages[i]->base, &want->base);
    }
    SF_CHECK(pending->messages[0]->id < pending->messages[1]->id);
    int64_t rework = pending->messages[0]->id, closed = pending->messages[1]->id;
    /* Staff without the case's duty see the phone masked. */
    Sifang__V1__ResidentMessageListReply *seen = list_messages(outsider, 0);
    if (SF_CHECK(seen && seen->n_messages == 2)) {
        Sifang__V1__ResidentMessage *want = message_in_sql(seen->messages[0]->id, false);
        if (SF_CHECK(want))
            compare("ResidentMessageList (outsider)", "message", &seen->messages[0]->base, &want->base);
    }
    /* The events of their creation, masked: two, from the steps. */
    SF_CHECK_EQ_INT((int) sql_count("SELECT count(*) FROM intake.event_log WHERE type = 'resident_message.created'"
                                    " AND key IN (SELECT id::text FROM intake.resident_message WHERE case_id = %lld)",
                                    complaint_id), 2);

    /* Acknowledged: delivered, then the same again (nothing changes);
     * failed (the error required), then delivered on a retry. */
    ack(integration, rework, MSTATE(DELIVERED), "SMS-0001", "", "resident_message.delivered");
    ack(integration, rework, MSTATE(DELIVERED), "SMS-0001", "", NULL);
    Sifang__V1__ResidentMessageAckRequest bad = SIFANG__V1__RESIDENT_MESSAGE_ACK_REQUEST__INIT;
    bad.id = closed;
    bad.outcome = MSTATE(FAILED);
    REFUSED(integration, "ResidentMessageAck", &bad, SF_INVALID_ARGUMENT, "error", NULL);
    bad.outcome = MSTATE(PENDING);
    REFUSED(integration, "ResidentMessageAck", &bad, SF_INVALID_ARGUMENT, "outcome", NULL);
    Sifang__V1__ResidentMessage *failed = ack(integration, closed, MSTATE(FAILED), "", "号码停机",
                                              "resident_message.failed");
    SF_CHECK(failed && failed->failures == 1 && failed->state == MSTATE(FAILED));
    ack(integration, closed, MSTATE(FAILED), "", "号码停机", NULL);
    Sifang__V1__ResidentMessage *delivered = ack(integration, closed, MSTATE(DELIVERED), "SMS-0002", "",
                                                 "resident_message.delivered");
    SF_CHECK(delivered && delivered->failures == 1 && strcmp(delivered->acked_by, "sms-gateway") == 0);
    /* Delivered stays delivered; only the integration acknowledges; an
     * unknown message is not found. */
    bad.id = rework;
    bad.outcome = MSTATE(FAILED);
    bad.error = "late failure";
    REFUSED(integration, "ResidentMessageAck", &bad, SF_FAILED_PRECONDITION, "outcome", "delivered already");
    REFUSED(world.station, "ResidentMessageAck", &bad, SF_PERMISSION_DENIED, NULL, NULL);
    bad.id = 999999;
    REFUSED(integration, "ResidentMessageAck", &bad, SF_NOT_FOUND, "id", NULL);
    pending = list_messages(integration, MSTATE(PENDING));
    SF_CHECK(pending && pending->n_messages == 0);
}

int
main(void)
{
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", "SIFANG_INTAKE_SWEEP_MS=86400000",
                            "SIFANG_INTAKE_IMPORT_GRACE_S=0", NULL };
    sf_client_t *reviewer = NULL, *integration = NULL, *outsider = NULL;
    if (intake_world_start(&world, "intake_ladder", extra)
        && SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, "SET search_path TO intake, public"), 0)) {
        test_grid_duties();
        reviewer = sf_client_new(world.intake_endpoint, NULL);
        sf_client_set_principal(reviewer, reviewer_id, "community", T_COMMUNITY);
        integration = sf_client_new(world.intake_endpoint, NULL);
        sf_client_set_principal(integration, "sms-gateway", "service", "");
        outsider = sf_client_new(world.intake_endpoint, NULL);
        const sf_test_grant_t grants[] = { { "street_staff", T_DISTRICT, T_STREET_2, NULL } };
        SF_CHECK_EQ_INT(sf_test_set_person(outsider, "S00003", NULL, grants, 1), 0);
        test_escalation();
        test_review(reviewer);
        test_resident_told(integration, outsider);
    }
    sf_client_destroy(&reviewer);
    sf_client_destroy(&integration);
    sf_client_destroy(&outsider);
    for (size_t i = 0; i < n_rows; i++)
        PQclear(rows[i]);
    for (size_t i = 0; i < n_kept_memory; i++)
        free(kept_memory[i]);
    intake_release_kept();
    intake_orders_sql_release();
    intake_world_stop(&world);
    return sf_test_done();
}
