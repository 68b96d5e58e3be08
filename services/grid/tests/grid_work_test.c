/* Integration test of leaders' contact points and departments' work in
 * sifang-grid (issue 19): the real daemon against the test cluster, called
 * as the district's key and as people logged in at the gateway (two leaders,
 * a community's staff, a street's staff elsewhere, two departments' staff).
 * Every write's reply and its event are compared field by field with the
 * row in SQL (the names met in the clear for the recorder and those whose
 * duty to residents reaches the place, masked for others and in every
 * event); the lists and counts against SQL; and the refusals: bad codes and
 * ids, a visit to a point that is not the leader's, someone else's visit,
 * work outside a department's pairings or by another department, NUL and
 * over-long text, roles that may not write, each leaving the tables as
 * they were. */
#include "sf_test.h"
#include "sf_test_person.h"
#include "grid_test_support.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sf_ids.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONE_1B "37020500100102"
#define PEOPLE_MET "王大爷、李阿姨"

static PGconn *db;
static sf_client_t *admin, *viewer;
/* People, made once the staff exist: the leaders (A's point community 1, B's
 * street 2), community 1's staff, street 2's staff, the civil affairs and
 * housing departments' staff. */
static sf_client_t *leader_a, *leader_b, *community_1_staff, *street_2_staff, *civil_staff, *housing_staff,
    *appraisal;
static char leader_a_id[16], leader_b_id[16], civil_id[16], housing_id[16];
static const char *endpoint;

static ProtobufCMessage *kept[1024];
static size_t n_kept;

static sf_status_t
call(sf_client_t *client, const char *method, const void *request, const ProtobufCMessageDescriptor *descriptor,
     void *reply_p, sf_reply_info_t *info)
{
    ProtobufCMessage *reply = NULL;
    sf_reply_info_t local;
    sf_status_t status = sf_client_call(client, method, NULL, (const ProtobufCMessage *) request, descriptor, &reply,
                                        info ? info : &local);
    if (reply && n_kept < sizeof kept / sizeof kept[0])
        kept[n_kept++] = reply;
    else if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    if (reply_p)
        *(ProtobufCMessage **) reply_p = status == SF_OK ? reply : NULL;
    return status;
}

static long long
count(const char *format, ...) __attribute__((format(printf, 1, 2)));
static long long
count(const char *format, ...)
{
    char sql[2048];
    va_list args;
    va_start(args, format);
    vsnprintf(sql, sizeof sql, format, args);
    va_end(args);
    return sf_test_pg_int(db, sql);
}

static void *
wrote(sf_client_t *client, const char *method, const void *request, const ProtobufCMessageDescriptor *descriptor,
      int line)
{
    void *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = call(client, method, request, descriptor, &reply, &info);
    if (status != SF_OK)
        SF_FAIL("line %d: %s: %s: %s (%s)", line, method, sf_status_name(status), info.message ? info.message : "",
                info.n_violations ? info.violation_fields[0] : "no field");
    return reply;
}
#define WROTE(client, method, request, descriptor) wrote(client, method, request, descriptor, __LINE__)

/* The work tables: a refused call leaves them as they were. */
#define TABLES_ROWS \
    "SELECT v::text AS t FROM grid.contact_visit v UNION ALL SELECT q::text FROM grid.contact_problem q" \
    " UNION ALL SELECT w::text FROM grid.department_work w"
#define REFUSED(client, method, request, status, field) \
    grid_test_refused(db, TABLES_ROWS, client, method, request, status, field, __LINE__)

/* --- every field compared ------------------------------------------------ */

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
            size_t n_a = *(const size_t *) ((const char *) got + field->quantifier_offset);
            size_t n_b = *(const size_t *) ((const char *) want + field->quantifier_offset);
            if (n_a != n_b || field->type != PROTOBUF_C_TYPE_MESSAGE) {
                SF_FAIL("%s: %s has %zu, SQL says %zu", what, name, n_a, n_b);
                differences++;
                continue;
            }
            for (size_t i = 0; i < n_a; i++) {
                char item[200];
                snprintf(item, sizeof item, "%s[%zu]", name, i);
                differences += compare(what, item, (*(ProtobufCMessage *const *const *) a)[i],
                                       (*(ProtobufCMessage *const *const *) b)[i]);
            }
            continue;
        }
        switch (field->type) {
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
        case PROTOBUF_C_TYPE_DOUBLE:
            if (*(const double *) a != *(const double *) b) {
                SF_FAIL("%s: %s is %g, SQL says %g", what, name, *(const double *) a, *(const double *) b);
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

/* A string of a row, malloc'd (protobuf_c_message_free_unpacked frees it). */
static char *
text(PGresult *result, int row, int column)
{
    return strdup(PQgetvalue(result, row, column));
}

static char *
masked(const char *people)
{
    char out[SF_MASK_SIZE];
    sf_name_mask(people, out, sizeof out);
    return strdup(out);
}

static char *
id_of(char letter, const char *serial, int width)
{
    char out[32];
    snprintf(out, sizeof out, "%c%0*lld", letter, width, atoll(serial));
    return strdup(out);
}

#define MS(column) "(extract(epoch FROM " column ") * 1000)::bigint"

static Sifang__V1__ContactProblem *
problem_in_sql(const char *id)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT q.serial, q.visit_serial, v.staff_serial, v.point_code, q.description, q.status, q.resolution,"
             " COALESCE(q.case_id, 0), q.case_registration, COALESCE(" MS("q.closed_at") ", 0), " MS("q.created_at")
             ", " MS("q.updated_at") ", q.version FROM grid.contact_problem q"
             " JOIN grid.contact_visit v ON v.serial = q.visit_serial WHERE q.serial = %lld", atoll(id + 1));
    PGresult *r = PQexec(db, sql);
    Sifang__V1__ContactProblem *p = NULL;
    if (SF_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)) {
        p = malloc(sizeof *p);
        sifang__v1__contact_problem__init(p);
        p->id = id_of('Q', PQgetvalue(r, 0, 0), 6);
        p->visit_id = id_of('L', PQgetvalue(r, 0, 1), 6);
        p->staff_id = id_of('S', PQgetvalue(r, 0, 2), 5);
        p->point_code = text(r, 0, 3);
        p->description = text(r, 0, 4);
        p->status = atoi(PQgetvalue(r, 0, 5));
        p->resolution = text(r, 0, 6);
        p->case_id = atoll(PQgetvalue(r, 0, 7));
        p->case_registration = text(r, 0, 8);
        p->closed_unix_ms = atoll(PQgetvalue(r, 0, 9));
        p->created_unix_ms = atoll(PQgetvalue(r, 0, 10));
        p->updated_unix_ms = atoll(PQgetvalue(r, 0, 11));
        p->version = atoll(PQgetvalue(r, 0, 12));
    }
    PQclear(r);
    return p;
}

/* The visit as SQL has it, with its problems; the names met masked unless
 * clear. */
static Sifang__V1__ContactVisit *
visit_in_sql(const char *id, bool clear)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT v.serial, v.staff_serial, s.name, v.point_code, pu.name, v.place_code, lu.name, "
             MS("v.visited_at") ", v.people_met, v.findings, " MS("v.created_at")
             " FROM grid.contact_visit v JOIN grid.staff s ON s.serial = v.staff_serial"
             " JOIN grid.org_unit pu ON pu.code = v.point_code JOIN grid.org_unit lu ON lu.code = v.place_code"
             " WHERE v.serial = %lld", atoll(id + 1));
    PGresult *r = PQexec(db, sql);
    Sifang__V1__ContactVisit *v = NULL;
    if (SF_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)) {
        v = malloc(sizeof *v);
        sifang__v1__contact_visit__init(v);
        v->id = id_of('L', PQgetvalue(r, 0, 0), 6);
        v->staff_id = id_of('S', PQgetvalue(r, 0, 1), 5);
        v->staff_name = text(r, 0, 2);
        v->point_code = text(r, 0, 3);
        v->point_name = text(r, 0, 4);
        v->place_code = text(r, 0, 5);
        v->place_name = text(r, 0, 6);
        v->visited_unix_ms = atoll(PQgetvalue(r, 0, 7));
        v->people_met = clear ? text(r, 0, 8) : masked(PQgetvalue(r, 0, 8));
        v->findings = text(r, 0, 9);
        v->created_unix_ms = atoll(PQgetvalue(r, 0, 10));
        snprintf(sql, sizeof sql, "SELECT serial FROM grid.contact_problem WHERE visit_serial = %s ORDER BY serial",
                 PQgetvalue(r, 0, 0));
        PGresult *q = PQexec(db, sql);
        int n = PQresultStatus(q) == PGRES_TUPLES_OK ? PQntuples(q) : 0;
        v->problems = calloc((size_t) n + 1, sizeof *v->problems);
        for (int i = 0; i < n; i++) {
            char problem_id[24];
            snprintf(problem_id, sizeof problem_id, "Q%s", PQgetvalue(q, i, 0));
            if ((v->problems[v->n_problems] = problem_in_sql(problem_id)))
                v->n_problems++;
        }
        PQclear(q);
    }
    PQclear(r);
    return v;
}

static Sifang__V1__DepartmentWork *
work_in_sql(const char *id, bool clear)
{
    char sql[1200];
    snprintf(sql, sizeof sql,
             "SELECT w.serial, w.department_code, d.name, w.community_code, u.name, w.kind, w.staff_serial, s.name, "
             MS("w.at") ", w.people_met, w.content, w.resource_kind, w.amount, w.follow_up, w.done::int,"
             " COALESCE(" MS("w.followed_up_at") ", 0), " MS("w.created_at") ", " MS("w.updated_at") ", w.version"
             " FROM grid.department_work w JOIN grid.department d ON d.code = w.department_code"
             " JOIN grid.org_unit u ON u.code = w.community_code JOIN grid.staff s ON s.serial = w.staff_serial"
             " WHERE w.serial = %lld", atoll(id + 1));
    PGresult *r = PQexec(db, sql);
    Sifang__V1__DepartmentWork *w = NULL;
    if (SF_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)) {
        w = malloc(sizeof *w);
        sifang__v1__department_work__init(w);
        w->id = id_of('D', PQgetvalue(r, 0, 0), 6);
        w->department_code = text(r, 0, 1);
        w->department_name = text(r, 0, 2);
        w->community_code = text(r, 0, 3);
        w->community_name = text(r, 0, 4);
        w->kind = atoi(PQgetvalue(r, 0, 5));
        w->staff_id = id_of('S', PQgetvalue(r, 0, 6), 5);
        w->staff_name = text(r, 0, 7);
        w->at_unix_ms = atoll(PQgetvalue(r, 0, 8));
        w->people_met = clear ? text(r, 0, 9) : masked(PQgetvalue(r, 0, 9));
        w->content = text(r, 0, 10);
        w->resource_kind = atoi(PQgetvalue(r, 0, 11));
        w->amount = atof(PQgetvalue(r, 0, 12));
        w->follow_up = text(r, 0, 13);
        w->done = atoi(PQgetvalue(r, 0, 14));
        w->followed_up_unix_ms = atoll(PQgetvalue(r, 0, 15));
        w->created_unix_ms = atoll(PQgetvalue(r, 0, 16));
        w->updated_unix_ms = atoll(PQgetvalue(r, 0, 17));
        w->version = atoll(PQgetvalue(r, 0, 18));
    }
    PQclear(r);
    return w;
}

/* The event of key and type after head, unpacked as descriptor. */
static ProtobufCMessage *
event_after(int64_t head, const char *type, const char *key, const ProtobufCMessageDescriptor *descriptor)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    Sifang__V1__EventsFetchReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(call(admin, "Sys.EventsFetch", &fetch, &sifang__v1__events_fetch_reply__descriptor, &reply,
                              NULL), SF_OK))
        return NULL;
    ProtobufCMessage *found = NULL;
    for (size_t i = 0; i < reply->n_events; i++) {
        const Sifang__V1__Event *event = reply->events[i];
        if (strcmp(event->type, type) == 0 && strcmp(event->key, key) == 0 && !found)
            found = protobuf_c_message_unpack(descriptor, NULL, event->payload.len, event->payload.data);
    }
    if (!found)
        SF_FAIL("no %s event of %s after %lld", type, key, (long long) head);
    return found;
}

static void
check_visit(const char *what, int64_t head, const Sifang__V1__ContactVisit *reply, bool reply_clear)
{
    if (!SF_CHECK(reply != NULL))
        return;
    Sifang__V1__ContactVisit *want = visit_in_sql(reply->id, reply_clear);
    SF_CHECK_EQ_INT(compare(what, "reply", &reply->base, want ? &want->base : NULL), 0);
    if (want)
        protobuf_c_message_free_unpacked(&want->base, NULL);
    ProtobufCMessage *event = event_after(head, "contact_visit.recorded", reply->id,
                                          &sifang__v1__contact_visit__descriptor);
    want = visit_in_sql(reply->id, false);
    SF_CHECK_EQ_INT(compare(what, "event", event, want ? &want->base : NULL), 0);
    if (want)
        protobuf_c_message_free_unpacked(&want->base, NULL);
    if (event)
        protobuf_c_message_free_unpacked(event, NULL);
}

static void
check_problem(const char *what, int64_t head, const Sifang__V1__ContactProblem *reply)
{
    if (!SF_CHECK(reply != NULL))
        return;
    Sifang__V1__ContactProblem *want = problem_in_sql(reply->id);
    SF_CHECK_EQ_INT(compare(what, "reply", &reply->base, want ? &want->base : NULL), 0);
    ProtobufCMessage *event = event_after(head, "contact_problem.updated", reply->id,
                                          &sifang__v1__contact_problem__descriptor);
    SF_CHECK_EQ_INT(compare(what, "event", event, want ? &want->base : NULL), 0);
    if (want)
        protobuf_c_message_free_unpacked(&want->base, NULL);
    if (event)
        protobuf_c_message_free_unpacked(event, NULL);
}

static void
check_work(const char *what, int64_t head, const char *type, const Sifang__V1__DepartmentWork *reply, bool clear)
{
    if (!SF_CHECK(reply != NULL))
        return;
    Sifang__V1__DepartmentWork *want = work_in_sql(reply->id, clear);
    SF_CHECK_EQ_INT(compare(what, "reply", &reply->base, want ? &want->base : NULL), 0);
    if (want)
        protobuf_c_message_free_unpacked(&want->base, NULL);
    ProtobufCMessage *event = event_after(head, type, reply->id, &sifang__v1__department_work__descriptor);
    want = work_in_sql(reply->id, false);
    SF_CHECK_EQ_INT(compare(what, "event", event, want ? &want->base : NULL), 0);
    if (want)
        protobuf_c_message_free_unpacked(&want->base, NULL);
    if (event)
        protobuf_c_message_free_unpacked(event, NULL);
}

/* --- the district ------------------------------------------------------------ */

static void
unit(const char *code, Sifang__V1__UnitKind kind, const char *name, const char *parent)
{
    Sifang__V1__OrgUnit u = SIFANG__V1__ORG_UNIT__INIT;
    Sifang__V1__GeoPoint location = SIFANG__V1__GEO_POINT__INIT;
    location.lat = 36.1;
    location.lon = 120.37;
    u.code = (char *) code;
    u.kind = kind;
    u.name = (char *) name;
    u.parent_code = (char *) parent;
    if (kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
        u.location = &location;
    SF_CHECK(WROTE(admin, "UnitCreate", &u, &sifang__v1__org_unit__descriptor) != NULL);
}

static void
staff(const char *name, Sifang__V1__StaffKind kind, const char *department, char id[16])
{
    Sifang__V1__Staff s = SIFANG__V1__STAFF__INIT;
    s.name = (char *) name;
    s.kind = kind;
    s.unit_code = DISTRICT;
    s.department_code = (char *) department;
    s.active = true;
    Sifang__V1__Staff *created = WROTE(admin, "StaffCreate", &s, &sifang__v1__staff__descriptor);
    snprintf(id, 16, "%s", created ? created->id : "S?");
}

static void
build_district(void)
{
    unit(DISTRICT, SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT, "四方区", "");
    unit(STREET_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "兴隆路街道", DISTRICT);
    unit(STREET_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "四方街道", DISTRICT);
    unit(COMMUNITY_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "杭州路社区", STREET_1);
    unit(COMMUNITY_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "嘉定路社区", STREET_2);
    unit(ZONE_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "一网格", COMMUNITY_1);
    unit(ZONE_1B, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "二网格", COMMUNITY_1);
    unit(ZONE_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "一网格", COMMUNITY_2);
    const char *departments[][2] = { { "civil-affairs", "民政局" }, { "housing", "住建局" } };
    for (int i = 0; i < 2; i++) {
        Sifang__V1__Department d = SIFANG__V1__DEPARTMENT__INIT;
        d.code = (char *) departments[i][0];
        d.name = (char *) departments[i][1];
        SF_CHECK(WROTE(admin, "DepartmentCreate", &d, &sifang__v1__department__descriptor) != NULL);
    }
    /* Civil affairs builds community 1 since a month ago, housing both
     * from today. */
    const char *pairs[][2] = { { "civil-affairs", COMMUNITY_1 }, { "housing", COMMUNITY_1 }, { "housing", COMMUNITY_2 } };
    for (int i = 0; i < 3; i++) {
        Sifang__V1__Pairing p = SIFANG__V1__PAIRING__INIT;
        p.department_code = (char *) pairs[i][0];
        p.community_code = (char *) pairs[i][1];
        p.since_unix_ms = i == 0 ? sf_now_ms() - 30LL * 24 * 3600 * 1000 : 0;
        int64_t head = sf_test_event_head(admin);
        Sifang__V1__Pairing *paired = WROTE(admin, "PairingCreate", &p, &sifang__v1__pairing__descriptor);
        if (!SF_CHECK(paired != NULL))
            continue;
        /* The day asked for, or now: the reply, the row and the event. */
        if (i == 0)
            SF_CHECK_EQ_INT(paired->since_unix_ms, p.since_unix_ms);
        else
            SF_CHECK(llabs(paired->since_unix_ms - sf_now_ms()) < 60 * 1000);
        SF_CHECK_EQ_INT(paired->since_unix_ms,
                        count("SELECT " MS("since") " FROM grid.pairing WHERE department_code = '%s'"
                              " AND community_code = '%s'", pairs[i][0], pairs[i][1]));
        ProtobufCMessage *event = grid_test_event_after(admin, head, "pairing.created", pairs[i][1],
                                                        &sifang__v1__pairing__descriptor);
        SF_CHECK(grid_test_same_message("pairing.created", event, &paired->base));
        if (event)
            protobuf_c_message_free_unpacked(event, NULL);
    }
    /* A pairing does not begin in the future (nor before 1970). */
    Sifang__V1__Pairing later = SIFANG__V1__PAIRING__INIT;
    later.department_code = "civil-affairs";
    later.community_code = COMMUNITY_2;
    later.since_unix_ms = sf_now_ms() + 2LL * 24 * 3600 * 1000;
    const char *pairing_rows = "SELECT p::text AS t FROM grid.pairing p";
    grid_test_refused(db, pairing_rows, admin, "PairingCreate", &later.base, SF_INVALID_ARGUMENT, "since_unix_ms",
                      __LINE__);
    later.since_unix_ms = -1;
    grid_test_refused(db, pairing_rows, admin, "PairingCreate", &later.base, SF_INVALID_ARGUMENT, "since_unix_ms",
                      __LINE__);
    staff("吴区长", SIFANG__V1__STAFF_KIND__STAFF_KIND_DISTRICT_LEADER, "", leader_a_id);
    staff("郑副区长", SIFANG__V1__STAFF_KIND__STAFF_KIND_DISTRICT_LEADER, "", leader_b_id);
    staff("民政干部", SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF, "civil-affairs", civil_id);
    staff("住建干部", SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF, "housing", housing_id);
    const struct { const char *staff, *unit; } points[] = { { leader_a_id, COMMUNITY_1 }, { leader_b_id, STREET_2 } };
    for (int i = 0; i < 2; i++) {
        Sifang__V1__Responsibility r = SIFANG__V1__RESPONSIBILITY__INIT;
        r.staff_id = (char *) points[i].staff;
        r.unit_code = (char *) points[i].unit;
        r.kind = SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_LEADER_CONTACT;
        SF_CHECK(WROTE(admin, "ResponsibilityAssign", &r, &sifang__v1__responsibility__descriptor) != NULL);
    }
}

static sf_client_t *
person(const char *id, const char *department, const sf_test_grant_t *grants, size_t n)
{
    sf_client_t *client = sf_client_new(endpoint, NULL);
    if (client && sf_test_set_person(client, id, department, grants, n) != 0)
        sf_client_destroy(&client);
    return client;
}

/* --- contact points ------------------------------------------------------- */

static char visit_1[16], problem_1[16], problem_2[16];

static void
test_contact_visits(void)
{
    Sifang__V1__ContactProblem p1 = SIFANG__V1__CONTACT_PROBLEM__INIT, p2 = SIFANG__V1__CONTACT_PROBLEM__INIT;
    p1.description = "3号楼楼道灯坏了三个月";
    p2.description = "老年人助餐点离得太远";
    Sifang__V1__ContactProblem *problems[] = { &p1, &p2 };
    Sifang__V1__ContactVisit visit = SIFANG__V1__CONTACT_VISIT__INIT;
    visit.staff_id = leader_a_id;
    visit.point_code = COMMUNITY_1;
    visit.place_code = ZONE_1;
    visit.visited_unix_ms = sf_now_ms() - 3LL * 24 * 3600 * 1000;
    visit.people_met = PEOPLE_MET;
    visit.findings = "走访一网格，居民反映楼道照明和助餐问题";
    visit.n_problems = 2;
    visit.problems = problems;

    /* The leader records their own visit: they see the names they wrote. */
    int64_t head = sf_test_event_head(admin);
    Sifang__V1__ContactVisit *recorded = WROTE(leader_a, "ContactVisitRecord", &visit,
                                               &sifang__v1__contact_visit__descriptor);
    check_visit("the leader's visit", head, recorded, true);
    if (recorded && SF_CHECK_EQ_INT(recorded->n_problems, 2)) {
        snprintf(visit_1, sizeof visit_1, "%s", recorded->id);
        snprintf(problem_1, sizeof problem_1, "%s", recorded->problems[0]->id);
        snprintf(problem_2, sizeof problem_2, "%s", recorded->problems[1]->id);
        SF_CHECK_EQ_STR(recorded->people_met, PEOPLE_MET);
        SF_CHECK_EQ_STR(recorded->place_name, "一网格");
        SF_CHECK_EQ_INT(recorded->problems[0]->status, SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_OPEN);
    }

    /* The district's key records for leader B, at the point itself, no problems. */
    Sifang__V1__ContactVisit second = SIFANG__V1__CONTACT_VISIT__INIT;
    second.staff_id = leader_b_id;
    second.point_code = STREET_2;
    second.people_met = "街道党工委书记";
    second.findings = "听取街道工作汇报";
    head = sf_test_event_head(admin);
    recorded = WROTE(admin, "ContactVisitRecord", &second, &sifang__v1__contact_visit__descriptor);
    check_visit("the key's visit", head, recorded, true);
    if (recorded) {
        SF_CHECK_EQ_STR(recorded->place_code, STREET_2);
        SF_CHECK_EQ_INT(recorded->n_problems, 0);
    }

    /* Refusals, each leaving the tables alone. */
    Sifang__V1__ContactVisit bad = visit;
    bad.point_code = STREET_2;     /* B's point, not A's */
    bad.place_code = "";
    REFUSED(leader_a, "ContactVisitRecord", &bad, SF_FAILED_PRECONDITION, "point_code");
    bad = visit;
    bad.staff_id = leader_b_id;    /* someone else's visit */
    REFUSED(leader_a, "ContactVisitRecord", &bad, SF_PERMISSION_DENIED, NULL);
    bad = visit;
    bad.place_code = ZONE_2;       /* not under the point */
    REFUSED(leader_a, "ContactVisitRecord", &bad, SF_INVALID_ARGUMENT, "place_code");
    bad = visit;
    bad.point_code = "37020500x001";
    REFUSED(leader_a, "ContactVisitRecord", &bad, SF_INVALID_ARGUMENT, "point_code");
    bad = visit;
    bad.staff_id = "X12";
    REFUSED(admin, "ContactVisitRecord", &bad, SF_INVALID_ARGUMENT, "staff_id");
    bad = visit;
    bad.staff_id = "S99999";
    REFUSED(admin, "ContactVisitRecord", &bad, SF_NOT_FOUND, "staff_id");
    bad = visit;
    bad.visited_unix_ms = sf_now_ms() + 3600 * 1000;
    REFUSED(leader_a, "ContactVisitRecord", &bad, SF_INVALID_ARGUMENT, "visited_unix_ms");
    bad = visit;
    bad.findings = "";
    REFUSED(leader_a, "ContactVisitRecord", &bad, SF_INVALID_ARGUMENT, "findings");
    static char long_text[3 * 2001 + 1];
    for (int i = 0; i < 2001; i++)
        memcpy(long_text + 3 * i, "问", 3);
    bad = visit;
    bad.findings = long_text;      /* 2001 characters: one too many */
    REFUSED(leader_a, "ContactVisitRecord", &bad, SF_INVALID_ARGUMENT, "findings");
    Sifang__V1__ContactProblem solved = SIFANG__V1__CONTACT_PROBLEM__INIT;
    solved.description = "已解决的问题";
    solved.status = SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED;
    Sifang__V1__ContactProblem *not_open[] = { &p1, &solved };
    bad = visit;
    bad.problems = not_open;
    REFUSED(leader_a, "ContactVisitRecord", &bad, SF_INVALID_ARGUMENT, "problems[1]");
    /* Roles that may not record: a community's staff, the viewer. */
    REFUSED(community_1_staff, "ContactVisitRecord", &visit, SF_PERMISSION_DENIED, NULL);
    REFUSED(viewer, "ContactVisitRecord", &visit, SF_PERMISSION_DENIED, NULL);

    /* A NUL inside findings, packed by hand (C strings stop at one). */
    Sifang__V1__ContactVisit nul = visit;
    nul.findings = "Wire~\x7fjunk";
    size_t size = protobuf_c_message_get_packed_size(&nul.base);
    uint8_t *packed = malloc(size);
    protobuf_c_message_pack(&nul.base, packed);
    uint8_t *at = memmem(packed, size, "Wire~\x7fjunk", 10);
    if (SF_CHECK(at != NULL)) {
        memcpy(at, "Wire\0\x07junk", 10);
        char before[128], after[128];
        grid_test_fingerprint(db, TABLES_ROWS, before, sizeof before);
        void *body = NULL;
        size_t body_size = 0;
        sf_reply_info_t info;
        sf_status_t status = sf_client_call_raw(leader_a, "ContactVisitRecord", NULL, packed, size, &body, &body_size,
                                                &info);
        SF_CHECK_EQ_INT(status, SF_INVALID_ARGUMENT);
        SF_CHECK(info.n_violations == 1 && strcmp(info.violation_fields[0], "findings") == 0);
        grid_test_fingerprint(db, TABLES_ROWS, after, sizeof after);
        SF_CHECK_EQ_STR(after, before);
        free(body);
    }
    free(packed);
}

static void
test_contact_problems(void)
{
    Sifang__V1__ContactProblemUpdateRequest update = SIFANG__V1__CONTACT_PROBLEM_UPDATE_REQUEST__INIT;
    update.id = problem_1;
    update.status = SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED;
    update.resolution = "物业已更换楼道灯";
    update.expected_version = 1;
    int64_t head = sf_test_event_head(admin);
    Sifang__V1__ContactProblem *solved = WROTE(leader_a, "ContactProblemUpdate", &update,
                                               &sifang__v1__contact_problem__descriptor);
    check_problem("solved", head, solved);
    if (solved) {
        SF_CHECK_EQ_INT(solved->version, 2);
        SF_CHECK(solved->closed_unix_ms > 0);
    }

    Sifang__V1__ContactProblemUpdateRequest to_case = SIFANG__V1__CONTACT_PROBLEM_UPDATE_REQUEST__INIT;
    to_case.id = problem_2;
    to_case.status = SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_CASE;
    to_case.resolution = "转社区受理中心办理";
    to_case.case_id = 4711;
    to_case.case_registration = "SF20261201-0004711";
    to_case.at_unix_ms = sf_now_ms() - 2LL * 24 * 3600 * 1000;
    head = sf_test_event_head(admin);
    Sifang__V1__ContactProblem *became = WROTE(admin, "ContactProblemUpdate", &to_case,
                                               &sifang__v1__contact_problem__descriptor);
    check_problem("became a case", head, became);
    if (became) {
        SF_CHECK_EQ_INT(became->case_id, 4711);
        SF_CHECK_EQ_INT(became->closed_unix_ms, to_case.at_unix_ms);
    }

    /* Refusals. */
    Sifang__V1__ContactProblemUpdateRequest bad = update;
    bad.expected_version = 1;      /* it is at 2 now */
    REFUSED(leader_a, "ContactProblemUpdate", &bad, SF_FAILED_PRECONDITION, "expected_version");
    bad = update;
    bad.resolution = "";
    bad.expected_version = 0;
    REFUSED(leader_a, "ContactProblemUpdate", &bad, SF_INVALID_ARGUMENT, "resolution");
    bad = to_case;
    bad.case_id = 0;
    REFUSED(leader_a, "ContactProblemUpdate", &bad, SF_INVALID_ARGUMENT, "case_id");
    bad = to_case;
    bad.case_registration = "sf'; drop";
    REFUSED(leader_a, "ContactProblemUpdate", &bad, SF_INVALID_ARGUMENT, "case_registration");
    bad = update;
    bad.expected_version = 0;
    bad.at_unix_ms = sf_now_ms() - 10LL * 24 * 3600 * 1000;   /* before the visit three days ago */
    REFUSED(leader_a, "ContactProblemUpdate", &bad, SF_INVALID_ARGUMENT, "at_unix_ms");
    bad = update;
    bad.id = "Q999999";
    REFUSED(leader_a, "ContactProblemUpdate", &bad, SF_NOT_FOUND, "id");
    bad = update;
    bad.id = "L000001";
    REFUSED(leader_a, "ContactProblemUpdate", &bad, SF_INVALID_ARGUMENT, "id");
    bad = update;
    bad.expected_version = 0;
    REFUSED(leader_b, "ContactProblemUpdate", &bad, SF_PERMISSION_DENIED, NULL);   /* A's problem */
    REFUSED(street_2_staff, "ContactProblemUpdate", &bad, SF_PERMISSION_DENIED, NULL);
}

/* Who sees the names met: the leader and community 1's staff in the clear;
 * the appraisal office and the other leader masked; street 2's staff not
 * at all (community 1 lies outside their scope). Lists against SQL. */
static void
test_contact_reads(void)
{
    struct { sf_client_t *client; bool clear; const char *who; } readers[] = {
        { leader_a, true, "the leader" }, { community_1_staff, true, "community 1's staff" },
        { appraisal, false, "the appraisal office" }, { leader_b, false, "another leader" },
        { admin, true, "the admin key" },
    };
    for (size_t i = 0; i < sizeof readers / sizeof *readers; i++) {
        Sifang__V1__ContactVisitListRequest list = SIFANG__V1__CONTACT_VISIT_LIST_REQUEST__INIT;
        list.point_code = COMMUNITY_1;
        Sifang__V1__ContactVisitListReply *reply = NULL;
        if (!SF_CHECK_EQ_INT(call(readers[i].client, "ContactVisitList", &list,
                                  &sifang__v1__contact_visit_list_reply__descriptor, &reply, NULL), SF_OK))
            continue;
        if (!SF_CHECK_EQ_INT(reply->n_visits, 1))
            continue;
        Sifang__V1__ContactVisit *want = visit_in_sql(visit_1, readers[i].clear);
        if (compare(readers[i].who, "visit", &reply->visits[0]->base, want ? &want->base : NULL) != 0)
            SF_FAIL("%s sees the visit otherwise than SQL says", readers[i].who);
        if (want)
            protobuf_c_message_free_unpacked(&want->base, NULL);
    }
    Sifang__V1__ContactVisitListRequest outside = SIFANG__V1__CONTACT_VISIT_LIST_REQUEST__INIT;
    outside.point_code = COMMUNITY_1;
    Sifang__V1__ContactVisitListReply *none = NULL;
    if (SF_CHECK_EQ_INT(call(street_2_staff, "ContactVisitList", &outside,
                             &sifang__v1__contact_visit_list_reply__descriptor, &none, NULL), SF_OK))
        SF_CHECK_EQ_INT(none->n_visits, 0);
    /* Every visit, newest first, paged one at a time. */
    Sifang__V1__ContactVisitListRequest all = SIFANG__V1__CONTACT_VISIT_LIST_REQUEST__INIT;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 1;
    all.page = &page;
    int seen = 0;
    char last[16] = "L999999";
    do {
        Sifang__V1__ContactVisitListReply *reply = NULL;
        if (!SF_CHECK_EQ_INT(call(admin, "ContactVisitList", &all, &sifang__v1__contact_visit_list_reply__descriptor,
                                  &reply, NULL), SF_OK))
            break;
        for (size_t i = 0; i < reply->n_visits; i++, seen++) {
            SF_CHECK(strcmp(reply->visits[i]->id, last) < 0);
            snprintf(last, sizeof last, "%s", reply->visits[i]->id);
        }
        page.page_token = reply->next_page_token;
    } while (*page.page_token && seen < 10);
    SF_CHECK_EQ_INT(seen, count("SELECT count(*) FROM grid.contact_visit"));

    /* Problems by status. */
    Sifang__V1__ContactProblemListRequest problems = SIFANG__V1__CONTACT_PROBLEM_LIST_REQUEST__INIT;
    problems.status = SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_CASE;
    Sifang__V1__ContactProblemListReply *problem_reply = NULL;
    if (SF_CHECK_EQ_INT(call(leader_b, "ContactProblemList", &problems,
                             &sifang__v1__contact_problem_list_reply__descriptor, &problem_reply, NULL), SF_OK)
        && SF_CHECK_EQ_INT(problem_reply->n_problems, 1)) {
        Sifang__V1__ContactProblem *want = problem_in_sql(problem_2);
        SF_CHECK_EQ_INT(compare("problem list", "problem", &problem_reply->problems[0]->base,
                                want ? &want->base : NULL), 0);
        if (want)
            protobuf_c_message_free_unpacked(&want->base, NULL);
    }

    /* The points with their counts, for everyone (the viewer too). */
    Sifang__V1__ContactPointListRequest points = SIFANG__V1__CONTACT_POINT_LIST_REQUEST__INIT;
    Sifang__V1__ContactPointListReply *point_reply = NULL;
    if (SF_CHECK_EQ_INT(call(viewer, "ContactPointList", &points, &sifang__v1__contact_point_list_reply__descriptor,
                             &point_reply, NULL), SF_OK)
        && SF_CHECK_EQ_INT(point_reply->n_points, 2)) {
        for (size_t i = 0; i < point_reply->n_points; i++) {
            const Sifang__V1__ContactPoint *p = point_reply->points[i];
            long long serial = atoll(p->staff_id + 1);
            char where[128];
            snprintf(where, sizeof where, "v.staff_serial = %lld AND v.point_code = '%s'", serial, p->unit_code);
            SF_CHECK_EQ_INT(p->visits, count("SELECT count(*) FROM grid.contact_visit v WHERE %s", where));
            SF_CHECK_EQ_INT(p->problems, count("SELECT count(*) FROM grid.contact_problem q JOIN grid.contact_visit v"
                                               " ON v.serial = q.visit_serial WHERE %s", where));
            for (int status = 1; status <= 3; status++)
                SF_CHECK_EQ_INT(status == 1 ? p->problems_open : status == 2 ? p->problems_solved : p->problems_case,
                                count("SELECT count(*) FROM grid.contact_problem q JOIN grid.contact_visit v"
                                      " ON v.serial = q.visit_serial WHERE %s AND q.status = %d", where, status));
            SF_CHECK_EQ_INT(p->last_visit_unix_ms,
                            count("SELECT COALESCE(max(" MS("v.visited_at") "), 0) FROM grid.contact_visit v WHERE %s",
                                  where));
        }
        SF_CHECK_EQ_STR(point_reply->points[0]->staff_id, leader_a_id);
        SF_CHECK_EQ_STR(point_reply->points[0]->unit_name, "杭州路社区");
        SF_CHECK_EQ_INT(point_reply->points[0]->unit_kind, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY);
        SF_CHECK_EQ_INT(point_reply->points[0]->problems_solved, 1);
        SF_CHECK_EQ_INT(point_reply->points[0]->problems_case, 1);
    }
    /* For a period (a half-year's appraisal asks so; bounds are int64
     * milliseconds): the visits in it as SQL counts them, then none in a
     * year long past. */
    long long now_ms = count("SELECT " MS("now()"));
    points.from_unix_ms = now_ms - 40LL * 86400 * 1000;
    points.to_unix_ms = now_ms + 86400LL * 1000;
    if (SF_CHECK_EQ_INT(call(viewer, "ContactPointList", &points, &sifang__v1__contact_point_list_reply__descriptor,
                             &point_reply, NULL), SF_OK)
        && SF_CHECK_EQ_INT(point_reply->n_points, 2)) {
        for (size_t i = 0; i < point_reply->n_points; i++) {
            const Sifang__V1__ContactPoint *p = point_reply->points[i];
            SF_CHECK_EQ_INT(p->visits, count("SELECT count(*) FROM grid.contact_visit v WHERE v.staff_serial = %lld"
                                             " AND v.point_code = '%s' AND v.visited_at >= to_timestamp(%lld / 1000.0)"
                                             " AND v.visited_at < to_timestamp(%lld / 1000.0)", atoll(p->staff_id + 1),
                                             p->unit_code, (long long) points.from_unix_ms,
                                             (long long) points.to_unix_ms));
        }
    }
    points.from_unix_ms = 946684800000LL;   /* 2000 */
    points.to_unix_ms = 978307200000LL;     /* 2001 */
    if (SF_CHECK_EQ_INT(call(viewer, "ContactPointList", &points, &sifang__v1__contact_point_list_reply__descriptor,
                             &point_reply, NULL), SF_OK)
        && SF_CHECK_EQ_INT(point_reply->n_points, 2))
        SF_CHECK(point_reply->points[0]->visits == 0 && point_reply->points[1]->visits == 0);
    points.from_unix_ms = points.to_unix_ms = 0;
    /* The viewer sees no visits (they name people). */
    Sifang__V1__ContactVisitListRequest list = SIFANG__V1__CONTACT_VISIT_LIST_REQUEST__INIT;
    REFUSED(viewer, "ContactVisitList", &list, SF_PERMISSION_DENIED, NULL);
    list.staff_id = "leader";
    REFUSED(admin, "ContactVisitList", &list, SF_INVALID_ARGUMENT, "staff_id");
}

/* --- departments' work ------------------------------------------------------ */

static void
test_department_work(void)
{
    Sifang__V1__DepartmentWork visit = SIFANG__V1__DEPARTMENT_WORK__INIT;
    visit.department_code = "civil-affairs";
    visit.community_code = COMMUNITY_1;
    visit.kind = SIFANG__V1__DEPARTMENT_WORK_KIND__DEPARTMENT_WORK_KIND_VISIT;
    visit.staff_id = civil_id;
    visit.at_unix_ms = sf_now_ms() - 24LL * 3600 * 1000;
    visit.people_met = "社区书记张敏";
    visit.content = "走访社区，了解低保户情况";
    int64_t head = sf_test_event_head(admin);
    Sifang__V1__DepartmentWork *recorded = WROTE(civil_staff, "DepartmentWorkRecord", &visit,
                                                 &sifang__v1__department_work__descriptor);
    check_work("a department's visit", head, "department_work.recorded", recorded, true);
    char visit_id[16] = "";
    if (recorded)
        snprintf(visit_id, sizeof visit_id, "%s", recorded->id);

    Sifang__V1__DepartmentWork resource = SIFANG__V1__DEPARTMENT_WORK__INIT;
    resource.department_code = "housing";
    resource.community_code = COMMUNITY_2;
    resource.kind = SIFANG__V1__DEPARTMENT_WORK_KIND__DEPARTMENT_WORK_KIND_RESOURCE;
    resource.staff_id = housing_id;
    resource.content = "资助社区活动室改造";
    resource.resource_kind = SIFANG__V1__RESOURCE_KIND__RESOURCE_KIND_MONEY;
    resource.amount = 20000.5;
    resource.follow_up = "资金已拨付";
    resource.done = true;
    head = sf_test_event_head(admin);
    recorded = WROTE(housing_staff, "DepartmentWorkRecord", &resource, &sifang__v1__department_work__descriptor);
    check_work("a resource", head, "department_work.recorded", recorded, true);

    Sifang__V1__DepartmentWork problem = SIFANG__V1__DEPARTMENT_WORK__INIT;
    problem.department_code = "housing";
    problem.community_code = COMMUNITY_1;
    problem.kind = SIFANG__V1__DEPARTMENT_WORK_KIND__DEPARTMENT_WORK_KIND_PROBLEM;
    problem.staff_id = housing_id;
    problem.content = "老旧小区屋面漏水";
    /* Housing was paired with community 1 today: no work of the pairing
     * yesterday (civil affairs' visit yesterday lies in its month-old one). */
    problem.at_unix_ms = sf_now_ms() - 24LL * 3600 * 1000;
    REFUSED(housing_staff, "DepartmentWorkRecord", &problem, SF_FAILED_PRECONDITION, "at_unix_ms");
    problem.at_unix_ms = 0;
    head = sf_test_event_head(admin);
    Sifang__V1__DepartmentWork *taken = WROTE(admin, "DepartmentWorkRecord", &problem,
                                              &sifang__v1__department_work__descriptor);
    check_work("a problem taken on", head, "department_work.recorded", taken, true);

    /* What followed the problem. */
    if (taken) {
        Sifang__V1__DepartmentWorkFollowUpRequest follow = SIFANG__V1__DEPARTMENT_WORK_FOLLOW_UP_REQUEST__INIT;
        follow.id = taken->id;
        follow.follow_up = "已列入维修计划并完工";
        follow.done = true;
        follow.expected_version = 1;
        head = sf_test_event_head(admin);
        Sifang__V1__DepartmentWork *followed = WROTE(housing_staff, "DepartmentWorkFollowUp", &follow,
                                                     &sifang__v1__department_work__descriptor);
        check_work("a follow-up", head, "department_work.followed_up", followed, true);
        if (followed)
            SF_CHECK(followed->done && followed->version == 2 && followed->followed_up_unix_ms > 0);
        REFUSED(housing_staff, "DepartmentWorkFollowUp", &follow, SF_FAILED_PRECONDITION, "expected_version");
        follow.expected_version = 0;
        follow.at_unix_ms = sf_now_ms() - 30LL * 24 * 3600 * 1000;
        REFUSED(housing_staff, "DepartmentWorkFollowUp", &follow, SF_INVALID_ARGUMENT, "at_unix_ms");
        follow.at_unix_ms = 0;
        REFUSED(civil_staff, "DepartmentWorkFollowUp", &follow, SF_PERMISSION_DENIED, NULL);   /* housing's work */
        follow.follow_up = "";
        REFUSED(housing_staff, "DepartmentWorkFollowUp", &follow, SF_INVALID_ARGUMENT, "follow_up");
    }

    /* Refusals. */
    Sifang__V1__DepartmentWork bad = visit;
    bad.community_code = COMMUNITY_2;  /* civil affairs is not paired with it */
    REFUSED(admin, "DepartmentWorkRecord", &bad, SF_FAILED_PRECONDITION, "community_code");
    bad = visit;
    bad.staff_id = housing_id;         /* not of civil affairs */
    REFUSED(admin, "DepartmentWorkRecord", &bad, SF_FAILED_PRECONDITION, "staff_id");
    bad = visit;
    bad.department_code = "housing";   /* another department's work */
    bad.staff_id = housing_id;
    REFUSED(civil_staff, "DepartmentWorkRecord", &bad, SF_PERMISSION_DENIED, NULL);
    bad = visit;
    bad.department_code = "Civil Affairs";
    REFUSED(admin, "DepartmentWorkRecord", &bad, SF_INVALID_ARGUMENT, "department_code");
    bad = visit;
    bad.department_code = "transport";
    REFUSED(admin, "DepartmentWorkRecord", &bad, SF_NOT_FOUND, "department_code");
    bad = visit;
    bad.community_code = ZONE_1;
    REFUSED(admin, "DepartmentWorkRecord", &bad, SF_INVALID_ARGUMENT, "community_code");
    bad = visit;
    bad.resource_kind = SIFANG__V1__RESOURCE_KIND__RESOURCE_KIND_HOURS;
    REFUSED(admin, "DepartmentWorkRecord", &bad, SF_INVALID_ARGUMENT, "resource_kind");
    bad = resource;
    bad.amount = 0;
    REFUSED(admin, "DepartmentWorkRecord", &bad, SF_INVALID_ARGUMENT, "amount");
    bad = resource;
    bad.resource_kind = 0;
    REFUSED(admin, "DepartmentWorkRecord", &bad, SF_INVALID_ARGUMENT, "resource_kind");
    bad = visit;
    bad.kind = 0;
    REFUSED(admin, "DepartmentWorkRecord", &bad, SF_INVALID_ARGUMENT, "kind");
    static char long_people[3 * 201 + 1];
    for (int i = 0; i < 201; i++)
        memcpy(long_people + 3 * i, "张", 3);
    bad = visit;
    bad.people_met = long_people;
    REFUSED(admin, "DepartmentWorkRecord", &bad, SF_INVALID_ARGUMENT, "people_met");
    bad = visit;
    bad.content = "";
    REFUSED(admin, "DepartmentWorkRecord", &bad, SF_INVALID_ARGUMENT, "content");
    REFUSED(leader_a, "DepartmentWorkRecord", &visit, SF_PERMISSION_DENIED, NULL);
    REFUSED(community_1_staff, "DepartmentWorkRecord", &visit, SF_PERMISSION_DENIED, NULL);

    /* Who sees the names met of the civil affairs visit. */
    struct { sf_client_t *client; bool clear; } readers[] = {
        { civil_staff, true }, { community_1_staff, true }, { appraisal, false }, { housing_staff, false },
    };
    for (size_t i = 0; i < sizeof readers / sizeof *readers; i++) {
        Sifang__V1__DepartmentWorkListRequest list = SIFANG__V1__DEPARTMENT_WORK_LIST_REQUEST__INIT;
        list.department_code = "civil-affairs";
        Sifang__V1__DepartmentWorkListReply *reply = NULL;
        if (SF_CHECK_EQ_INT(call(readers[i].client, "DepartmentWorkList", &list,
                                 &sifang__v1__department_work_list_reply__descriptor, &reply, NULL), SF_OK)
            && SF_CHECK_EQ_INT(reply->n_works, 1)) {
            Sifang__V1__DepartmentWork *want = work_in_sql(visit_id, readers[i].clear);
            SF_CHECK_EQ_INT(compare("work list", "work", &reply->works[0]->base, want ? &want->base : NULL), 0);
            if (want)
                protobuf_c_message_free_unpacked(&want->base, NULL);
        }
    }

    /* Counts per department and per community, against SQL. */
    for (int grouping = 1; grouping <= 2; grouping++) {
        Sifang__V1__DepartmentWorkCountsRequest ask = SIFANG__V1__DEPARTMENT_WORK_COUNTS_REQUEST__INIT;
        ask.group_by = grouping;
        Sifang__V1__DepartmentWorkCountsReply *reply = NULL;
        if (!SF_CHECK_EQ_INT(call(viewer, "DepartmentWorkCounts", &ask,
                                  &sifang__v1__department_work_counts_reply__descriptor, &reply, NULL), SF_OK))
            continue;
        const char *column = grouping == 1 ? "department_code" : "community_code";
        SF_CHECK_EQ_INT(reply->n_counts, count("SELECT count(DISTINCT %s) FROM grid.pairing", column));
        for (size_t i = 0; i < reply->n_counts; i++) {
            const Sifang__V1__DepartmentWorkCount *c = reply->counts[i];
            char where[96];
            snprintf(where, sizeof where, "%s = '%s'", column, c->key);
            SF_CHECK_EQ_INT(c->pairings, count("SELECT count(*) FROM grid.pairing WHERE %s", where));
            SF_CHECK_EQ_INT(c->visits, count("SELECT count(*) FROM grid.department_work WHERE kind = 1 AND %s", where));
            SF_CHECK_EQ_INT(c->communities_visited, count("SELECT count(DISTINCT community_code) FROM"
                                                          " grid.department_work WHERE kind = 1 AND %s", where));
            SF_CHECK_EQ_INT(c->problems, count("SELECT count(*) FROM grid.department_work WHERE kind = 2 AND %s", where));
            SF_CHECK_EQ_INT(c->problems_done, count("SELECT count(*) FROM grid.department_work WHERE kind = 2 AND done"
                                                    " AND %s", where));
            SF_CHECK_EQ_INT(c->resources, count("SELECT count(*) FROM grid.department_work WHERE kind = 3 AND %s", where));
            const double sums[] = { c->people, c->money_yuan, c->premises_m2, c->hours };
            for (int kind = 1; kind <= 4; kind++)
                SF_CHECK_EQ_INT((long long) (sums[kind - 1] * 10),
                                count("SELECT COALESCE(sum(amount) * 10, 0)::bigint FROM grid.department_work"
                                      " WHERE resource_kind = %d AND %s", kind, where));
            SF_CHECK_EQ_INT(strcmp(c->name, grouping == 1 ? (strcmp(c->key, "housing") == 0 ? "住建局" : "民政局")
                                   : (strcmp(c->key, COMMUNITY_1) == 0 ? "杭州路社区" : "嘉定路社区")), 0);
        }
    }
    Sifang__V1__DepartmentWorkCountsRequest bad_ask = SIFANG__V1__DEPARTMENT_WORK_COUNTS_REQUEST__INIT;
    REFUSED(viewer, "DepartmentWorkCounts", &bad_ask, SF_INVALID_ARGUMENT, "group_by");
}

int
main(void)
{
    char dir[256], path[512], endpoint_env[128], publish_env[128], key_env[600], log_path[600];
    sf_test_daemon_t *daemon = NULL;
    char *endpoint_copy = NULL;
    if (!SF_CHECK_EQ_INT(sf_test_pg_env("grid_work"), 0) || !SF_CHECK_EQ_INT(sf_test_tmpdir(dir, sizeof dir), 0))
        return sf_test_done();
    db = sf_test_pg_connect();
    if (!SF_CHECK(db != NULL) || grid_test_prepare(db, "grid", dir, key_env, sizeof key_env) != 0)
        goto cleanup;
    snprintf(log_path, sizeof log_path, "%s/grid.log", dir);
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "grid"), 0))
        goto cleanup;
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=%s", SF_TEST_TCP_ANY);
    const char *env[] = { endpoint_env, publish_env, key_env, "SIFANG_GRID_DATABASE_URL=user=sifang_grid", NULL };
    daemon = sf_test_daemon_start(path, env, log_path);
    if (!SF_CHECK(daemon != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(daemon, 10000), 0))
        goto cleanup;
    endpoint_copy = strdup(sf_test_daemon_endpoint(daemon, "endpoint") ? sf_test_daemon_endpoint(daemon, "endpoint")
                                                                        : "");
    endpoint = endpoint_copy;
    admin = sf_client_new(endpoint, NULL);
    viewer = sf_client_new(endpoint, NULL);
    if (!SF_CHECK(admin && viewer))
        goto cleanup;
    sf_client_set_principal(admin, "grid-work-admin", "admin", "");
    sf_client_set_principal(viewer, "anonymous", "viewer", "");
    if (!SF_CHECK(sf_test_wait_database(admin, 20000)))
        goto cleanup;
    build_district();
    const sf_test_grant_t leader_grant[] = { { "leader", "*", NULL, NULL } };
    const sf_test_grant_t community_grant[] = { { "community_staff", COMMUNITY_1, COMMUNITY_1, "*" } };
    const sf_test_grant_t street_grant[] = { { "street_staff", STREET_2, STREET_2, "*" } };
    const sf_test_grant_t department_grant[] = { { "department_staff", "*", NULL, NULL } };
    const sf_test_grant_t appraisal_grant[] = { { "appraisal_office", "*", NULL, NULL } };
    leader_a = person(leader_a_id, NULL, leader_grant, 1);
    leader_b = person(leader_b_id, NULL, leader_grant, 1);
    community_1_staff = person("S00901", NULL, community_grant, 1);
    street_2_staff = person("S00902", NULL, street_grant, 1);
    civil_staff = person(civil_id, "civil-affairs", department_grant, 1);
    housing_staff = person(housing_id, "housing", department_grant, 1);
    appraisal = person("S00903", NULL, appraisal_grant, 1);
    if (!SF_CHECK(leader_a && leader_b && community_1_staff && street_2_staff && civil_staff && housing_staff
                  && appraisal))
        goto cleanup;

    test_contact_visits();
    test_contact_problems();
    test_contact_reads();
    test_department_work();

cleanup:
    for (size_t i = 0; i < n_kept; i++)
        protobuf_c_message_free_unpacked(kept[i], NULL);
    sf_client_t **clients[] = { &admin, &viewer, &leader_a, &leader_b, &community_1_staff, &street_2_staff,
                                &civil_staff, &housing_staff, &appraisal };
    for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++)
        sf_client_destroy(clients[i]);
    if (daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemon), 0);
    free(endpoint_copy);
    if (db)
        PQfinish(db);
    return grid_test_done(dir);
}
