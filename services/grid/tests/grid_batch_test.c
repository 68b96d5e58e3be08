/* Integration test of grid's batch handlers: runs of creations pipelined to
 * one daemon so that it takes each run in a single batch (the run queues
 * while a lock holds the batch before it), and the same requests sent one at
 * a time to a second daemon on its own schema. Every answer must be the
 * same: status, message, violations and reply; and so must the rows and the
 * events each daemon wrote. The runs mix good requests with bad ones,
 * duplicates within the run, codes that existed before it, a parent created
 * earlier in the run, requests outside the caller's scope, and a run the
 * database refuses as a whole (the server then runs each request alone). */
#include "sf_test.h"
#include "grid_test_support.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZONE_1B "37020500100102"

/* Valid identity numbers (GB 11643 check characters). */
#define ID_EXISTING "370205200102030124"
#define ID_A "370205198001011231"
#define ID_B "370205197512124567"
#define ID_C "370205196606067896"
#define ID_LEAP "370205199202290016"

#define MAX_STEPS 128

enum { ADMIN, SCOPED };   /* who sends a step: admin, or district scoped to STREET_1 */

/* What a daemon answered. */
typedef struct {
    sf_status_t status;
    char *message;
    char *violations;        /* "field: description; ..." */
    void *body;
    size_t size;
    bool answered;
} answer_t;

typedef struct {
    int who;
    const char *method;
    ProtobufCMessage *request;
    sf_status_t expected;
    const char *field;       /* the violation expected, or NULL */
    answer_t batched, alone;
} step_t;

/* One daemon with its schema and client. */
typedef struct {
    const char *name;
    const char *schema;
    sf_test_daemon_t *daemon;
    char *endpoint, *publish;
    char log_path[512];
    sf_client_t *client;     /* one connection keeps the order of a run */
} side_t;

static side_t batched = { .name = "batched", .schema = "grid" };
static side_t alone = { .name = "alone", .schema = "grid_alone" };
static PGconn *db;           /* superuser: rows, and the lock that holds a batch */
static PGconn *watch;        /* superuser: sees the daemon wait for the lock */
/* Answered OK, by method: UnitCreate, HouseholdCreate, ResidentCreate,
 * StaffCreate, DepartmentCreate. */
static long long ok_by_method[5];

/* --- requests -------------------------------------------------------------- */

/* Each request is one allocation, freed with its step. */
typedef struct {
    Sifang__V1__OrgUnit unit;
    Sifang__V1__GeoPoint location;
} located_unit_t;

static ProtobufCMessage *
unit(const char *code, Sifang__V1__UnitKind kind, const char *name, const char *parent)
{
    located_unit_t *located = calloc(1, sizeof *located);
    if (!located)
        abort();
    Sifang__V1__OrgUnit *unit = &located->unit;
    sifang__v1__org_unit__init(unit);
    unit->code = (char *) code;
    unit->kind = kind;
    unit->name = (char *) name;
    unit->parent_code = (char *) parent;
    if (kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE) {
        sifang__v1__geo_point__init(&located->location);
        located->location.lat = 36.1 + (double) strlen(name) / 1000;
        located->location.lon = 120.37;
        unit->location = &located->location;
    }
    return &unit->base;
}

/* A new message of type, initialised. */
static void *
message_new(const ProtobufCMessageDescriptor *type)
{
    ProtobufCMessage *message = calloc(1, type->sizeof_message);
    if (!message)
        abort();
    type->message_init(message);
    return message;
}

static ProtobufCMessage *
unlocated(ProtobufCMessage *message)
{
    ((Sifang__V1__OrgUnit *) message)->location = NULL;
    return message;
}

static ProtobufCMessage *
household(const char *code, const char *group, const char *address)
{
    Sifang__V1__Household *household = message_new(&sifang__v1__household__descriptor);
    household->code = (char *) code;
    household->building_group_code = (char *) group;
    household->address = (char *) address;
    return &household->base;
}

static Sifang__V1__HouseholdFlag bad_flags[] = { (Sifang__V1__HouseholdFlag) 99 };
static Sifang__V1__HouseholdFlag some_flags[] = {
    SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME,
    SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_DISABLED,
};

static ProtobufCMessage *
flagged(ProtobufCMessage *message, size_t n_flags, Sifang__V1__HouseholdFlag *flags)
{
    Sifang__V1__Household *household = (Sifang__V1__Household *) message;
    household->n_flags = n_flags;
    household->flags = flags;
    return message;
}

static ProtobufCMessage *
resident(const char *household_code, const char *name, const char *id_number, const char *phone)
{
    Sifang__V1__Resident *resident = message_new(&sifang__v1__resident__descriptor);
    resident->household_code = (char *) household_code;
    resident->name = (char *) name;
    resident->id_number = (char *) id_number;
    resident->phone = (char *) phone;
    resident->relation = "head";
    resident->party_member = strlen(name) % 2 == 0;
    return &resident->base;
}

static ProtobufCMessage *
born(ProtobufCMessage *message, const char *birth_date)
{
    ((Sifang__V1__Resident *) message)->birth_date = (char *) birth_date;
    return message;
}

static ProtobufCMessage *
staff(const char *name, Sifang__V1__StaffKind kind, const char *unit_code, const char *department,
      const char *employer)
{
    Sifang__V1__Staff *staff = message_new(&sifang__v1__staff__descriptor);
    staff->name = (char *) name;
    staff->kind = kind;
    staff->unit_code = (char *) unit_code;
    staff->department_code = (char *) department;
    staff->employer = (char *) employer;
    staff->phone = "13998765432";
    return &staff->base;
}

static ProtobufCMessage *
department(const char *code, const char *name)
{
    Sifang__V1__Department *department = message_new(&sifang__v1__department__descriptor);
    department->code = (char *) code;
    department->name = (char *) name;
    return &department->base;
}

static const ProtobufCMessageDescriptor *
reply_type(const char *method)
{
    if (strcmp(method, "UnitCreate") == 0)
        return &sifang__v1__org_unit__descriptor;
    if (strcmp(method, "HouseholdCreate") == 0)
        return &sifang__v1__household__descriptor;
    if (strcmp(method, "ResidentCreate") == 0)
        return &sifang__v1__resident__descriptor;
    if (strcmp(method, "StaffCreate") == 0)
        return &sifang__v1__staff__descriptor;
    return &sifang__v1__department__descriptor;
}

/* --- answers ---------------------------------------------------------------- */

static void
answer_take(answer_t *answer, const sf_reply_info_t *info, void *body, size_t size)
{
    answer->answered = true;
    answer->status = info->status;
    answer->message = strdup(info->message ? info->message : "");
    size_t length = 1;
    for (size_t i = 0; i < info->n_violations; i++)
        length += strlen(info->violation_fields[i]) + strlen(info->violation_descriptions[i]) + 4;
    answer->violations = calloc(1, length);
    for (size_t i = 0; answer->violations && i < info->n_violations; i++) {
        strcat(answer->violations, info->violation_fields[i]);
        strcat(answer->violations, ": ");
        strcat(answer->violations, info->violation_descriptions[i]);
        strcat(answer->violations, "; ");
    }
    answer->body = body;
    answer->size = size;
}

static void
answer_release(answer_t *answer)
{
    free(answer->message);
    free(answer->violations);
    free(answer->body);
    memset(answer, 0, sizeof *answer);
}

/* The message packed again with its times zeroed: two daemons write the same
 * thing at different moments. NULL if it does not decode. */
static uint8_t *
timeless(const ProtobufCMessageDescriptor *type, const void *body, size_t size, size_t *out_size)
{
    ProtobufCMessage *message = protobuf_c_message_unpack(type, NULL, size, body);
    if (!message)
        return NULL;
    for (unsigned i = 0; i < type->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &type->fields[i];
        size_t length = strlen(field->name);
        if (field->type == PROTOBUF_C_TYPE_INT64 && field->label != PROTOBUF_C_LABEL_REPEATED
            && length > 8 && strcmp(field->name + length - 8, "_unix_ms") == 0)
            *(int64_t *) ((char *) message + field->offset) = 0;
    }
    *out_size = protobuf_c_message_get_packed_size(message);
    uint8_t *packed = malloc(*out_size ? *out_size : 1);
    if (packed)
        protobuf_c_message_pack(message, packed);
    protobuf_c_message_free_unpacked(message, NULL);
    return packed;
}

static bool
same_message(const ProtobufCMessageDescriptor *type, const void *a, size_t a_size, const void *b,
             size_t b_size)
{
    size_t a_length = 0, b_length = 0;
    uint8_t *a_packed = timeless(type, a, a_size, &a_length);
    uint8_t *b_packed = timeless(type, b, b_size, &b_length);
    bool same = a_packed && b_packed && a_length == b_length
        && memcmp(a_packed, b_packed, a_length) == 0;
    free(a_packed);
    free(b_packed);
    return same;
}

/* The step's two answers: as expected, and the same. */
static void
compare(const char *run, size_t i, const step_t *step)
{
    const answer_t *b = &step->batched, *a = &step->alone;
    if (!b->answered || !a->answered) {
        SF_FAIL("%s[%zu] %s: no answer (batched %d, alone %d)", run, i, step->method,
                b->answered, a->answered);
        return;
    }
    if (b->status != step->expected)
        SF_FAIL("%s[%zu] %s: expected %s, batched %s (%s)", run, i, step->method,
                sf_status_name(step->expected), sf_status_name(b->status), b->message);
    else if (step->field && !strstr(b->violations, step->field))
        SF_FAIL("%s[%zu] %s: %s without a violation on %s (%s)", run, i, step->method,
                sf_status_name(b->status), step->field, b->violations);
    else
        SF_CHECK(true);
    if (b->status != a->status || strcmp(b->message, a->message) != 0
        || strcmp(b->violations, a->violations) != 0)
        SF_FAIL("%s[%zu] %s: batched %s \"%s\" [%s] but alone %s \"%s\" [%s]", run, i, step->method,
                sf_status_name(b->status), b->message, b->violations, sf_status_name(a->status),
                a->message, a->violations);
    else if (b->status == SF_OK
             && !same_message(reply_type(step->method), b->body, b->size, a->body, a->size))
        SF_FAIL("%s[%zu] %s: the replies differ", run, i, step->method);
    else
        SF_CHECK(true);
}

/* --- running ------------------------------------------------------------------ */

/* The principal of the requests the side's client sends next. */
static sf_client_t *
act_as(side_t *side, int who)
{
    if (who == SCOPED)
        sf_client_set_principal(side->client, "bt-scoped", "district", STREET_1);
    else
        sf_client_set_principal(side->client, "bt-admin", "admin", "");
    return side->client;
}

static void
send_alone(side_t *side, int who, const char *method, const ProtobufCMessage *request,
           answer_t *answer)
{
    size_t size = protobuf_c_message_get_packed_size(request);
    uint8_t *packed = malloc(size ? size : 1);
    if (!SF_CHECK(packed != NULL))
        return;
    protobuf_c_message_pack(request, packed);
    void *body = NULL;
    size_t body_size = 0;
    sf_reply_info_t info;
    /* The status is in info, which answer_take keeps. */
    SF_IGNORE(sf_client_call_raw(act_as(side, who), method, NULL, packed, size, &body, &body_size, &info));
    answer_take(answer, &info, body, body_size);
    free(packed);
}

/* Each step alone, waiting for its answer, on either side. */
static void
run_alone(side_t *side, step_t *steps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        send_alone(side, steps[i].who, steps[i].method, steps[i].request,
                   side == &batched ? &steps[i].batched : &steps[i].alone);
}

static int64_t
batches_committed(side_t *side)
{
    Sifang__V1__StatsRequest ask = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *stats = NULL;
    if (sf_client_call(act_as(side, ADMIN), "Sys.Stats", NULL, &ask.base,
                       &sifang__v1__stats_reply__descriptor, (ProtobufCMessage **) &stats,
                       NULL) != SF_OK)
        return -1;
    int64_t batches = stats->batches;
    protobuf_c_message_free_unpacked(&stats->base, NULL);
    return batches;
}

/* Until a backend of this database waits for a lock (the held batch). */
static bool
wait_for_lock_wait(void)
{
    for (int tries = 0; tries < 200; tries++) {
        if (sf_test_pg_int(watch, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                  " AND datname = current_database()") > 0)
            return true;
        usleep(25 * 1000);
    }
    return false;
}

/* The steps as one run on the batched side: a department created first holds
 * its batch on a lock while the steps queue behind it, so that the daemon
 * takes them all in the next batch; then the same on the alone side, one at a
 * time. The department keeps the two sides alike. */
static void
run(const char *name, step_t *steps, size_t n)
{
    char blocker_code[64], blocker_id[96];
    snprintf(blocker_code, sizeof blocker_code, "held-%s", name);
    ProtobufCMessage *blocker = department(blocker_code, "排队部");
    answer_t blocker_batched = { 0 }, blocker_alone = { 0 };

    int64_t before = batches_committed(&batched);
    char lock[128];
    snprintf(lock, sizeof lock, "LOCK TABLE %s.request_log IN EXCLUSIVE MODE", batched.schema);
    SF_CHECK_EQ_INT(sf_test_pg_exec(db, "BEGIN"), 0);
    SF_CHECK_EQ_INT(sf_test_pg_exec(db, lock), 0);
    snprintf(blocker_id, sizeof blocker_id, "%s-held", name);
    SF_CHECK_EQ_INT(sf_client_send(act_as(&batched, ADMIN), "DepartmentCreate", blocker_id, blocker), 0);
    SF_CHECK(wait_for_lock_wait());
    for (size_t i = 0; i < n; i++) {
        char id[96];
        snprintf(id, sizeof id, "%s-%zu", name, i);
        SF_CHECK_EQ_INT(sf_client_send(act_as(&batched, steps[i].who), steps[i].method, id,
                                       steps[i].request), 0);
    }
    usleep(300 * 1000);   /* all queued at the daemon */
    SF_CHECK_EQ_INT(sf_test_pg_exec(db, "COMMIT"), 0);

    size_t pending = n + 1;
    int64_t until = sf_clock_ms() + 20000;
    while (pending && sf_clock_ms() < until) {
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        if (sf_client_recv(batched.client, 100, &body, &size, &info) != 1)
            continue;
        answer_t *answer = NULL;
        size_t length = strlen(name);
        if (strcmp(info.request_id, blocker_id) == 0)
            answer = &blocker_batched;
        else if (strncmp(info.request_id, name, length) == 0 && info.request_id[length] == '-') {
            size_t i = strtoul(info.request_id + length + 1, NULL, 10);
            answer = i < n ? &steps[i].batched : NULL;
        }
        if (answer && !answer->answered) {
            answer_take(answer, &info, body, size);
            pending--;
        } else
            free(body);
    }
    SF_CHECK_EQ_INT(pending, 0);
    if (SF_CHECK_EQ_INT(blocker_batched.status, SF_OK))
        ok_by_method[4]++;
    /* The held batch, then the whole run in one. */
    SF_CHECK_EQ_INT(batches_committed(&batched) - before, 2);

    send_alone(&alone, ADMIN, "DepartmentCreate", blocker, &blocker_alone);
    SF_CHECK_EQ_INT(blocker_alone.status, SF_OK);
    run_alone(&alone, steps, n);
    for (size_t i = 0; i < n; i++)
        compare(name, i, &steps[i]);
    answer_release(&blocker_batched);
    answer_release(&blocker_alone);
    free(blocker);
}

/* --- what is compared after the runs -------------------------------------------- */

static int
method_index(const char *method)
{
    const char *methods[] = { "UnitCreate", "HouseholdCreate", "ResidentCreate", "StaffCreate" };
    for (int i = 0; i < 4; i++)
        if (strcmp(method, methods[i]) == 0)
            return i;
    return 4;
}

/* The steps as one run (name NULL: one at a time on both sides), compared;
 * then their successes counted and the steps freed. */
static void
run_steps(const char *name, step_t *steps, size_t n)
{
    if (name)
        run(name, steps, n);
    else {
        run_alone(&batched, steps, n);
        run_alone(&alone, steps, n);
        for (size_t i = 0; i < n; i++)
            compare("setup", i, &steps[i]);
    }
    for (size_t i = 0; i < n; i++) {
        if (steps[i].batched.answered && steps[i].batched.status == SF_OK)
            ok_by_method[method_index(steps[i].method)]++;
        answer_release(&steps[i].batched);
        answer_release(&steps[i].alone);
        free(steps[i].request);
    }
}

/* Every row of a schema but its times, as one digest. */
static void
rows_digest(const char *schema, char *out, size_t size)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
        "SELECT md5(string_agg(t, ';' ORDER BY t)) FROM ("
        " SELECT 'u' || (code, kind, name, parent_code, lat, lon, version)::text t FROM %1$s.org_unit"
        " UNION ALL SELECT 'h' || (code, building_group_code, address, flags, version)::text"
        "   FROM %1$s.household"
        " UNION ALL SELECT 'r' || (serial, household_code, name, gender, birth_date, id_number_hash,"
        "   id_number_masked, phone, party_member, relation, version)::text FROM %1$s.resident"
        " UNION ALL SELECT 's' || (serial, name, kind, unit_code, department_code, employer, title,"
        "   phone, active, version)::text FROM %1$s.staff"
        " UNION ALL SELECT 'd' || (code, name)::text FROM %1$s.department) rows", schema);
    PGresult *result = PQexec(db, sql);
    snprintf(out, size, "%s", PQresultStatus(result) == PGRES_TUPLES_OK ? PQgetvalue(result, 0, 0) : "?");
    PQclear(result);
}

static Sifang__V1__EventsFetchReply *
events_of(side_t *side)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.limit = 10000;
    Sifang__V1__EventsFetchReply *reply = NULL;
    if (sf_client_call(act_as(side, ADMIN), "Sys.EventsFetch", NULL, &fetch.base,
                       &sifang__v1__events_fetch_reply__descriptor, (ProtobufCMessage **) &reply,
                       NULL) != SF_OK)
        return NULL;
    return reply;
}

static const ProtobufCMessageDescriptor *
payload_type(const char *name)
{
    const ProtobufCMessageDescriptor *types[] = {
        &sifang__v1__org_unit__descriptor, &sifang__v1__household__descriptor,
        &sifang__v1__resident__descriptor, &sifang__v1__staff__descriptor,
        &sifang__v1__department__descriptor,
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i]->name, name) == 0)
            return types[i];
    return NULL;
}

static void
test_rows_and_events(void)
{
    char batched_rows[64], alone_rows[64];
    rows_digest(batched.schema, batched_rows, sizeof batched_rows);
    rows_digest(alone.schema, alone_rows, sizeof alone_rows);
    SF_CHECK(strcmp(batched_rows, "?") != 0);
    SF_CHECK_EQ_STR(batched_rows, alone_rows);

    /* Nothing but what was answered OK was written. */
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM grid.org_unit"), ok_by_method[0]);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM grid.household"), ok_by_method[1]);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM grid.resident"), ok_by_method[2]);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM grid.staff"), ok_by_method[3]);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM grid.department"), ok_by_method[4]);

    Sifang__V1__EventsFetchReply *b = events_of(&batched), *a = events_of(&alone);
    if (SF_CHECK(b != NULL && a != NULL)) {
        long long total = 0;
        for (int m = 0; m < 5; m++)
            total += ok_by_method[m];
        /* One event per thing created, dense. */
        SF_CHECK_EQ_INT(b->n_events, total);
        SF_CHECK_EQ_INT(a->n_events, total);
        long long by_type[5] = { 0 };
        const char *types[] = { "unit.created", "household.created", "resident.created",
                                "staff.created", "department.created" };
        for (size_t i = 0; i < b->n_events; i++) {
            Sifang__V1__Event *event = b->events[i];
            SF_CHECK_EQ_INT(event->seq, (long long) i + 1);
            for (int t = 0; t < 5; t++)
                by_type[t] += strcmp(event->type, types[t]) == 0;
            if (strcmp(event->type, "resident.created") == 0) {
                Sifang__V1__Resident *payload =
                    sifang__v1__resident__unpack(NULL, event->payload.len, event->payload.data);
                if (SF_CHECK(payload != NULL)) {
                    SF_CHECK_EQ_STR(payload->id_number, "");
                    SF_CHECK(*payload->phone == 0 || strchr(payload->phone, '*') != NULL);
                    sifang__v1__resident__free_unpacked(payload, NULL);
                }
            }
            if (i >= a->n_events)
                continue;
            Sifang__V1__Event *other = a->events[i];
            const ProtobufCMessageDescriptor *type = payload_type(event->payload_type);
            if (strcmp(event->type, other->type) != 0 || strcmp(event->key, other->key) != 0
                || strcmp(event->actor, other->actor) != 0 || !type
                || !same_message(type, event->payload.data, event->payload.len,
                                 other->payload.data, other->payload.len))
                SF_FAIL("event %zu: batched %s %s, alone %s %s, or their payloads differ", i,
                        event->type, event->key, other->type, other->key);
        }
        for (int t = 0; t < 5; t++)
            SF_CHECK_EQ_INT(by_type[t], ok_by_method[t]);
        SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT max(seq) - min(seq) + 1 - count(*) FROM grid.event_log"), 0);
    }
    if (b)
        protobuf_c_message_free_unpacked(&b->base, NULL);
    if (a)
        protobuf_c_message_free_unpacked(&a->base, NULL);
}

/* --- the runs --------------------------------------------------------------------- */

#define STEP(who, method, request, status, field) \
    { (who), (method), (request), (status), (field), { 0 }, { 0 } }
#define OK(who, method, request) STEP(who, method, request, SF_OK, NULL)

static void
test_setup(void)
{
    step_t steps[] = {
        OK(ADMIN, "UnitCreate", unit(DISTRICT, SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT, "四方区", "")),
        OK(ADMIN, "UnitCreate", unit(STREET_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "兴隆路街道", DISTRICT)),
        OK(ADMIN, "UnitCreate", unit(STREET_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "洛阳路街道", DISTRICT)),
        OK(ADMIN, "UnitCreate", unit(COMMUNITY_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "福寿社区", STREET_1)),
        OK(ADMIN, "UnitCreate", unit(ZONE_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "一片区", COMMUNITY_1)),
        OK(ADMIN, "UnitCreate", unit(GROUP_1A, SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "一楼组", ZONE_1)),
        OK(ADMIN, "DepartmentCreate", department("civil-affairs", "区民政局")),
        OK(ADMIN, "HouseholdCreate", household(GROUP_1A "001", GROUP_1A, "人民路 1 号")),
        OK(ADMIN, "ResidentCreate", resident(GROUP_1A "001", "张三", ID_EXISTING, "13812345678")),
    };
    run_steps(NULL, steps, sizeof steps / sizeof steps[0]);
}

static void
test_unit_run(void)
{
    step_t steps[] = {
        OK(ADMIN, "UnitCreate", unit(COMMUNITY_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "洛阳社区", STREET_2)),
        /* Its parent is created just before, in the same run; and its child after it. */
        OK(ADMIN, "UnitCreate", unit(ZONE_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "二片区", COMMUNITY_2)),
        OK(ADMIN, "UnitCreate", unit(GROUP_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "三楼组", ZONE_2)),
        OK(ADMIN, "UnitCreate", unit(GROUP_1B, SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "二楼组", ZONE_1)),
        STEP(ADMIN, "UnitCreate", unit("370205001001013", SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "", ZONE_1),
             SF_INVALID_ARGUMENT, "name"),
        /* The same code twice in the run: the first wins. */
        STEP(ADMIN, "UnitCreate", unit(GROUP_1B, SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "又一楼组", ZONE_1),
             SF_ALREADY_EXISTS, "code"),
        /* Existed before the run. */
        STEP(ADMIN, "UnitCreate", unit(STREET_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "again", DISTRICT),
             SF_ALREADY_EXISTS, "code"),
        STEP(ADMIN, "UnitCreate", unit("37020500100902", SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "x", "370205001009"),
             SF_FAILED_PRECONDITION, "parent_code"),
        /* Its parent comes later in the run: not there yet. */
        STEP(ADMIN, "UnitCreate", unit("370205001001021", SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "早到", ZONE_1B),
             SF_FAILED_PRECONDITION, "parent_code"),
        OK(ADMIN, "UnitCreate", unit(ZONE_1B, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "三片区", COMMUNITY_1)),
        STEP(SCOPED, "UnitCreate", unit("370205002001012", SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "外", ZONE_2),
             SF_PERMISSION_DENIED, NULL),
        OK(SCOPED, "UnitCreate", unit("370205001001014", SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "内", ZONE_1)),
        STEP(ADMIN, "UnitCreate", unlocated(unit("37020500100103", SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "无位", COMMUNITY_1)),
             SF_INVALID_ARGUMENT, "location"),
        OK(ADMIN, "UnitCreate", unit("370205001001015", SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "五楼组", ZONE_1)),
    };
    run_steps("units", steps, sizeof steps / sizeof steps[0]);
}

static void
test_household_run(void)
{
    step_t steps[MAX_STEPS];
    size_t n = 0;
    static char codes[40][24];
    for (int i = 0; i < 36; i++)
        snprintf(codes[i], sizeof codes[i], "%s%03d", GROUP_1A, i + 2);
    for (int i = 0; i < 30; i++) {
        steps[n++] = (step_t) OK(ADMIN, "HouseholdCreate", household(codes[i], GROUP_1A, "人民路"));
        if (i == 3)
            steps[n++] = (step_t) STEP(ADMIN, "HouseholdCreate",
                household(GROUP_1A "01", GROUP_1A, ""), SF_INVALID_ARGUMENT, "code");
        if (i == 5)
            steps[n++] = (step_t) OK(ADMIN, "HouseholdCreate",
                flagged(household(GROUP_1B "001", GROUP_1B, "同一户"), 2, some_flags));
        if (i == 9)
            /* The same code again in the run: the first wins. */
            steps[n++] = (step_t) STEP(ADMIN, "HouseholdCreate",
                household(GROUP_1B "001", GROUP_1B, "同一户又来"), SF_ALREADY_EXISTS, "code");
        if (i == 12)
            steps[n++] = (step_t) STEP(ADMIN, "HouseholdCreate",
                household(GROUP_1A "001", GROUP_1A, "早已有"), SF_ALREADY_EXISTS, "code");
        if (i == 15)
            steps[n++] = (step_t) STEP(ADMIN, "HouseholdCreate",
                household("370205001001019001", "370205001001019", ""), SF_FAILED_PRECONDITION,
                "building_group_code");
        if (i == 18)
            steps[n++] = (step_t) OK(ADMIN, "HouseholdCreate", household(GROUP_2 "001", "", "由码得组"));
        if (i == 20)
            steps[n++] = (step_t) STEP(SCOPED, "HouseholdCreate", household(GROUP_2 "002", GROUP_2, ""),
                                       SF_PERMISSION_DENIED, NULL);
        if (i == 22)
            steps[n++] = (step_t) OK(SCOPED, "HouseholdCreate", household(GROUP_1B "002", GROUP_1B, ""));
        if (i == 25)
            steps[n++] = (step_t) STEP(ADMIN, "HouseholdCreate",
                flagged(household(GROUP_1B "003", GROUP_1B, ""), 1, bad_flags), SF_INVALID_ARGUMENT,
                "flags[0]");
    }
    run_steps("households", steps, n);
}

static void
test_resident_run(void)
{
    step_t steps[] = {
        OK(ADMIN, "ResidentCreate", resident(GROUP_1A "002", "李一", "", "")),
        OK(ADMIN, "ResidentCreate", born(resident(GROUP_1A "002", "李二", "", "0532-88881234"), "1991-05-01")),
        /* The number's first request fails on its household; the next one registers it. */
        STEP(ADMIN, "ResidentCreate", resident(GROUP_1A "099", "无户", ID_A, ""), SF_FAILED_PRECONDITION,
             "household_code"),
        OK(ADMIN, "ResidentCreate", resident(GROUP_1A "003", "王甲", ID_A, "13900001111")),
        OK(ADMIN, "ResidentCreate", resident(GROUP_1A "004", "王乙", ID_B, "")),
        OK(ADMIN, "ResidentCreate", resident(GROUP_1A "004", "李三", "", "")),
        /* The same number again in the run: the first wins; a missing household
         * is still said first. */
        STEP(ADMIN, "ResidentCreate", resident(GROUP_1A "005", "王乙二", ID_B, ""), SF_ALREADY_EXISTS,
             "id_number"),
        STEP(ADMIN, "ResidentCreate", resident(GROUP_1A "098", "王乙三", ID_B, ""), SF_FAILED_PRECONDITION,
             "household_code"),
        /* Registered before the run. */
        STEP(ADMIN, "ResidentCreate", resident(GROUP_1A "005", "张三二", ID_EXISTING, ""), SF_ALREADY_EXISTS,
             "id_number"),
        STEP(ADMIN, "ResidentCreate", resident(GROUP_1A "005", "错号", "", "1381234567"), SF_INVALID_ARGUMENT,
             "phone"),
        STEP(ADMIN, "ResidentCreate", born(resident(GROUP_1A "005", "错日", ID_LEAP, ""), "1992-03-01"),
             SF_INVALID_ARGUMENT, "birth_date"),
        STEP(SCOPED, "ResidentCreate", resident(GROUP_2 "001", "外人", "", ""), SF_PERMISSION_DENIED, NULL),
        OK(SCOPED, "ResidentCreate", resident(GROUP_1B "001", "内人", ID_C, "13700002222")),
        OK(ADMIN, "ResidentCreate", resident(GROUP_2 "001", "赵四", "", "")),
        OK(ADMIN, "ResidentCreate", resident(GROUP_1A "006", "赵五", ID_LEAP, "")),
    };
    /* Numbered in the order of the run, as one at a time (R0000001 is the
     * setup's). */
    run_steps("residents", steps, sizeof steps / sizeof steps[0]);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT serial FROM grid.resident WHERE name = '李一'"), 2);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT serial FROM grid.resident WHERE name = '赵五'"), 9);
}

static void
test_staff_run(void)
{
    step_t steps[] = {
        OK(ADMIN, "StaffCreate", staff("刘一", SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE, STREET_1, "", "")),
        OK(ADMIN, "StaffCreate", staff("刘二", SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE, COMMUNITY_1, "", "")),
        STEP(ADMIN, "StaffCreate", staff("刘三", SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE, COMMUNITY_1, "", ""),
             SF_FAILED_PRECONDITION, "unit_code"),
        STEP(ADMIN, "StaffCreate", staff("刘四", SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE, "370205009", "", ""),
             SF_FAILED_PRECONDITION, "unit_code"),
        STEP(ADMIN, "StaffCreate", staff("刘五", SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF, DISTRICT, "nowhere", ""),
             SF_FAILED_PRECONDITION, "department_code"),
        OK(ADMIN, "StaffCreate", staff("刘六", SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF, DISTRICT, "civil-affairs", "")),
        STEP(ADMIN, "StaffCreate", staff("刘七", SIFANG__V1__STAFF_KIND__STAFF_KIND_UNSPECIFIED, DISTRICT, "", ""),
             SF_INVALID_ARGUMENT, "kind"),
        STEP(SCOPED, "StaffCreate", staff("刘八", SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE, STREET_2, "", ""),
             SF_PERMISSION_DENIED, NULL),
        STEP(SCOPED, "StaffCreate", staff("刘九", SIFANG__V1__STAFF_KIND__STAFF_KIND_PART_TIME_COMMITTEE, COMMUNITY_1, "", ""),
             SF_INVALID_ARGUMENT, "employer"),
        OK(SCOPED, "StaffCreate", staff("刘十", SIFANG__V1__STAFF_KIND__STAFF_KIND_PART_TIME_COMMITTEE, COMMUNITY_1, "", "四方机厂")),
    };
    run_steps("staff", steps, sizeof steps / sizeof steps[0]);
}

/* A run the database refuses as a whole: a check the service does not make
 * (added here on both schemas) fails the run's statement, the server rolls
 * the run back and runs each request alone, and only the offending one is
 * refused. */
static void
test_fallback_run(void)
{
    const char *refused_address = "数据库不收";
    char sql[512];
    for (int s = 0; s < 2; s++) {
        snprintf(sql, sizeof sql, "ALTER TABLE %s.household ADD CONSTRAINT test_refused"
                 " CHECK (address <> '%s')", s ? alone.schema : batched.schema, refused_address);
        SF_CHECK_EQ_INT(sf_test_pg_exec(db, sql), 0);
    }
    step_t steps[] = {
        OK(ADMIN, "HouseholdCreate", household(GROUP_1B "010", GROUP_1B, "好")),
        STEP(ADMIN, "HouseholdCreate", household(GROUP_1B "011", GROUP_1B, refused_address),
             SF_INVALID_ARGUMENT, NULL),
        OK(ADMIN, "HouseholdCreate", household(GROUP_1B "012", GROUP_1B, "也好")),
        STEP(ADMIN, "HouseholdCreate", household(GROUP_1B "010", GROUP_1B, "重"), SF_ALREADY_EXISTS, "code"),
    };
    run_steps("fallback", steps, sizeof steps / sizeof steps[0]);
    for (int s = 0; s < 2; s++) {
        snprintf(sql, sizeof sql, "ALTER TABLE %s.household DROP CONSTRAINT test_refused",
                 s ? alone.schema : batched.schema);
        SF_CHECK_EQ_INT(sf_test_pg_exec(db, sql), 0);
    }
}

/* --- main ------------------------------------------------------------------------- */

static bool
side_start(side_t *side, const char *dir, const char *key_env)
{
    char path[512], endpoint_env[128], publish_env[128], schema_env[128];
    char router_name[64], publish_name[64];
    snprintf(router_name, sizeof router_name, "grid-%s.router", side->name);
    snprintf(publish_name, sizeof publish_name, "grid-%s.pub", side->name);
    side->endpoint = sf_test_ipc_endpoint(dir, router_name);
    side->publish = sf_test_ipc_endpoint(dir, publish_name);
    if (!SF_CHECK(side->endpoint && side->publish)
        || !SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "grid"), 0))
        return false;
    snprintf(side->log_path, sizeof side->log_path, "%s/grid-%s.log", dir, side->name);
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=%s", side->endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=%s", side->publish);
    snprintf(schema_env, sizeof schema_env, "SIFANG_GRID_SCHEMA=%s", side->schema);
    const char *env[] = {
        endpoint_env, publish_env, schema_env, key_env,
        "SIFANG_GRID_DATABASE_URL=user=sifang_grid",
        NULL,
    };
    side->daemon = sf_test_daemon_start(path, env, side->log_path);
    if (!SF_CHECK(side->daemon != NULL)
        || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(side->daemon, 10000), 0))
        return false;
    side->client = sf_client_new(side->endpoint, NULL);
    if (!SF_CHECK(side->client != NULL))
        return false;
    return SF_CHECK(sf_test_wait_database(act_as(side, ADMIN), 20000));
}

static void
side_stop(side_t *side)
{
    sf_client_destroy(&side->client);
    if (side->daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&side->daemon), 0);
    free(side->endpoint);
    free(side->publish);
}

int
main(void)
{
    char dir[256], key_env[600];
    if (!SF_CHECK_EQ_INT(sf_test_pg_env("grid_batch"), 0) || !SF_CHECK_EQ_INT(sf_test_tmpdir(dir, sizeof dir), 0))
        return sf_test_done();
    db = sf_test_pg_connect();
    watch = sf_test_pg_connect();
    if (!SF_CHECK(db != NULL && watch != NULL))
        goto cleanup;
    /* Each run starts from empty schemas. */
    if (grid_test_prepare(db, alone.schema, dir, key_env, sizeof key_env) != 0
        || grid_test_prepare(db, batched.schema, dir, key_env, sizeof key_env) != 0)
        goto cleanup;
    if (!side_start(&batched, dir, key_env) || !side_start(&alone, dir, key_env))
        goto cleanup;

    test_setup();
    test_unit_run();
    test_household_run();
    test_resident_run();
    test_staff_run();
    test_fallback_run();
    test_rows_and_events();

cleanup:
    side_stop(&batched);
    side_stop(&alone);
    if (db)
        PQfinish(db);
    if (watch)
        PQfinish(watch);
    return grid_test_done(dir);
}
