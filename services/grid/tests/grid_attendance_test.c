/* Meeting attendance of part-time committee members (兼职委员) and the joint
 * mechanisms through the real grid daemon: members seated in two
 * communities of a street, a community's meeting and a street joint meeting
 * recorded with every seat attended, absent with leave or without; every
 * reply and event against the rows in SQL; the list and the rates per
 * person and per community against SQL; and the refusals (a seat left
 * out, someone without a seat, a member twice, an intake meeting recorded
 * twice, a day not yet come, someone else's community, roles), each
 * leaving the tables as they were. */
#include "sf_test.h"
#include "sf_test_person.h"
#include "grid_test_support.h"
#include "sf_client.h"
#include "sf_json.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMUNITY_1B "370205001002"
#define FREE(m) do { if (m) protobuf_c_message_free_unpacked(&(m)->base, NULL); (m) = NULL; } while (0)

static PGconn *db;
static const char *endpoint;
static sf_client_t *admin, *street_1_staff, *street_2_staff, *community_1_staff;
static int year;                   /* this year in the district */

static const char *
sql_of(const char *format, ...) __attribute__((format(printf, 1, 2)));
static const char *
sql_of(const char *format, ...)
{
    static char sql[8192];
    va_list args;
    va_start(args, format);
    vsnprintf(sql, sizeof sql, format, args);
    va_end(args);
    return sql;
}

static bool
same_message(const char *what, const ProtobufCMessage *got, const ProtobufCMessage *want)
{
    char *a = got ? sf_json_print_message(got, false) : NULL;
    char *b = want ? sf_json_print_message(want, false) : NULL;
    bool same = SF_CHECK(a && b && strcmp(a, b) == 0);
    if (!same)
        printf("%s differs:\n  got  %s\n  want %s\n", what, a ? a : "(none)", b ? b : "(none)");
    free(a);
    free(b);
    return same;
}

static ProtobufCMessage *
message_in_sql(const ProtobufCMessageDescriptor *descriptor, const char *sql)
{
    PGresult *result = PQexec(db, sql);
    ProtobufCMessage *message = NULL;
    if (SF_CHECK(PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1)) {
        char field[128], error[256];
        const char *text = PQgetvalue(result, 0, 0);
        message = sf_json_parse_message(descriptor, text, strlen(text), field, sizeof field, error, sizeof error);
        if (!SF_CHECK(message != NULL))
            printf("cannot read %s: %s %s\n", text, field, error);
    } else
        printf("%s: %s\n", sql, PQresultErrorMessage(result));
    PQclear(result);
    return message;
}

#define MS(column) "(extract(epoch FROM " column ") * 1000)::bigint::text"
#define STATUSES "(ARRAY['MEETING_ATTENDANCE_STATUS_ATTENDED', 'MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE'," \
    " 'MEETING_ATTENDANCE_STATUS_ABSENT_WITHOUT_LEAVE'])"
#define MECHANISMS "(ARRAY['MEETING_ATTENDANCE_MECHANISM_PART_TIME_COMMITTEE', 'MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY'," \
    " 'MEETING_ATTENDANCE_MECHANISM_STREET_JOINT', 'MEETING_ATTENDANCE_MECHANISM_OTHER_JOINT'])"

/* The attendance as its rows say. */
static Sifang__V1__MeetingAttendance *
attendance_in_sql(const char *id)
{
    return (Sifang__V1__MeetingAttendance *) message_in_sql(&sifang__v1__meeting_attendance__descriptor, sql_of(
        "SELECT jsonb_build_object('id', 'A' || lpad(a.serial::text, 6, '0'), 'unit_code', a.unit_code,"
        " 'mechanism', " MECHANISMS "[a.mechanism], 'title', a.title, 'held_on', a.held_on::text,"
        " 'intake_meeting_id', a.intake_meeting_id::text,"
        " 'attendees', (SELECT COALESCE(jsonb_agg(jsonb_build_object('staff_id', 'S' || lpad(m.staff_serial::text, 5, '0'),"
        "   'status', " STATUSES "[m.status], 'note', m.note, 'staff_name', s.name, 'employer', s.employer,"
        "   'seat_code', m.seat_code) ORDER BY m.staff_serial), '[]') FROM grid.meeting_attendee m"
        "   JOIN grid.staff s ON s.serial = m.staff_serial WHERE m.attendance_serial = a.serial),"
        " 'unit_name', u.name,"
        " 'expected', (SELECT count(*) FROM grid.meeting_attendee m WHERE m.attendance_serial = a.serial),"
        " 'attended', (SELECT count(*) FROM grid.meeting_attendee m WHERE m.attendance_serial = a.serial AND m.status = 1),"
        " 'absent_with_leave', (SELECT count(*) FROM grid.meeting_attendee m WHERE m.attendance_serial = a.serial"
        "   AND m.status = 2),"
        " 'absent_without_leave', (SELECT count(*) FROM grid.meeting_attendee m WHERE m.attendance_serial = a.serial"
        "   AND m.status = 3),"
        " 'recorded_by', a.recorded_by, 'recorded_unix_ms', " MS("a.recorded_at") ")"
        " FROM grid.meeting_attendance a JOIN grid.org_unit u ON u.code = a.unit_code WHERE a.serial = %d",
        atoi(id + 1)));
}

/* The rates of the seats under unit as SQL counts them. */
static Sifang__V1__MeetingAttendanceRatesReply *
rates_in_sql(const char *under)
{
    return (Sifang__V1__MeetingAttendanceRatesReply *) message_in_sql(
        &sifang__v1__meeting_attendance_rates_reply__descriptor, sql_of(
        "WITH m AS (SELECT m.*, s.name AS staff_name, u.name AS seat_name FROM grid.meeting_attendee m"
        "  JOIN grid.staff s ON s.serial = m.staff_serial JOIN grid.org_unit u ON u.code = m.seat_code"
        "  WHERE m.seat_code LIKE '%s%%'),"
        " g AS (SELECT 1 AS grouping, 'S' || lpad(staff_serial::text, 5, '0') AS key, staff_name AS name, status FROM m"
        "  UNION ALL SELECT 2, seat_code, seat_name, status FROM m UNION ALL SELECT 0, '%s', '', status FROM m),"
        " c AS (SELECT grouping, key, name, count(*) AS expected, count(*) FILTER (WHERE status = 1) AS attended,"
        "  count(*) FILTER (WHERE status = 2) AS absent_with_leave, count(*) FILTER (WHERE status = 3) AS absent_without_leave"
        "  FROM g GROUP BY grouping, key, name),"
        " r AS (SELECT grouping, key, jsonb_build_object('key', key, 'name', name, 'expected', expected, 'attended', attended,"
        "  'absent_with_leave', absent_with_leave, 'absent_without_leave', absent_without_leave,"
        "  'rate', attended::float8 / expected) AS rate FROM c)"
        " SELECT jsonb_build_object('total', COALESCE((SELECT rate FROM r WHERE grouping = 0),"
        "   jsonb_build_object('key', '%s')),"
        "  'people', (SELECT COALESCE(jsonb_agg(rate ORDER BY key), '[]') FROM r WHERE grouping = 1),"
        "  'communities', (SELECT COALESCE(jsonb_agg(rate ORDER BY key), '[]') FROM r WHERE grouping = 2))",
        under, under, under));
}

static sf_status_t
call(sf_client_t *client, const char *method, const void *request, const ProtobufCMessageDescriptor *descriptor,
     void *reply_p, sf_reply_info_t *info)
{
    sf_reply_info_t local;
    return sf_client_call(client, method, NULL, (const ProtobufCMessage *) request, descriptor,
                          (ProtobufCMessage **) reply_p, info ? info : &local);
}

/* The attendance tables: a refused call leaves them as they were. */
#define TABLES_ROWS \
    "SELECT a::text AS t FROM grid.meeting_attendance a UNION ALL SELECT m::text FROM grid.meeting_attendee m"
#define REFUSED(client, method, request, status, field) \
    grid_test_refused(db, TABLES_ROWS, client, method, request, status, field, __LINE__)

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
    Sifang__V1__OrgUnit *created = NULL;
    SF_CHECK_EQ_INT(call(admin, "UnitCreate", &u, &sifang__v1__org_unit__descriptor, &created, NULL), SF_OK);
    FREE(created);
}

static sf_client_t *
person(const char *id, const sf_test_grant_t *grants, size_t n)
{
    sf_client_t *client = sf_client_new(endpoint, NULL);
    if (client && sf_test_set_person(client, id, NULL, grants, n) != 0)
        sf_client_destroy(&client);
    return client;
}

/* --- the test ---------------------------------------------------------------- */

static char members[4][16];   /* 0, 1 seated in community 1; 2 in community 1B; 3 in community 2 */

static void
staff_member(const char *name, const char *community, const char *employer, char id[16])
{
    Sifang__V1__Staff s = SIFANG__V1__STAFF__INIT;
    s.name = (char *) name;
    s.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_PART_TIME_COMMITTEE;
    s.unit_code = (char *) community;
    s.employer = (char *) employer;
    s.active = true;
    Sifang__V1__Staff *created = NULL;
    if (SF_CHECK_EQ_INT(call(admin, "StaffCreate", &s, &sifang__v1__staff__descriptor, &created, NULL), SF_OK))
        snprintf(id, 16, "%s", created->id);
    FREE(created);
    Sifang__V1__Responsibility r = SIFANG__V1__RESPONSIBILITY__INIT;
    r.staff_id = id;
    r.unit_code = (char *) community;
    r.kind = SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_PART_TIME_COMMITTEE;
    Sifang__V1__Responsibility *assigned = NULL;
    SF_CHECK_EQ_INT(call(admin, "ResponsibilityAssign", &r, &sifang__v1__responsibility__descriptor, &assigned, NULL),
                    SF_OK);
    FREE(assigned);
}

/* Records as client and checks the reply and its event against the rows. */
static void
record(sf_client_t *client, Sifang__V1__MeetingAttendance *attendance)
{
    int64_t head = sf_test_event_head(admin);
    Sifang__V1__MeetingAttendance *recorded = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(call(client, "MeetingAttendanceRecord", attendance, &sifang__v1__meeting_attendance__descriptor,
                              &recorded, &info), SF_OK)) {
        printf("MeetingAttendanceRecord: %s (%s)\n", info.message ? info.message : "",
               info.n_violations ? info.violation_fields[0] : "");
        return;
    }
    Sifang__V1__MeetingAttendance *want = attendance_in_sql(recorded->id);
    same_message("MeetingAttendanceRecord's reply", &recorded->base, &want->base);
    ProtobufCMessage *event = grid_test_event_after(admin, head, "meeting_attendance.recorded", recorded->id,
                                                    &sifang__v1__meeting_attendance__descriptor);
    same_message("meeting_attendance.recorded", event, &want->base);
    if (event)
        protobuf_c_message_free_unpacked(event, NULL);
    FREE(want);
    FREE(recorded);
}

static void
entry(Sifang__V1__MeetingAttendanceEntry *e, const char *staff_id, Sifang__V1__MeetingAttendanceStatus status,
      const char *note)
{
    sifang__v1__meeting_attendance_entry__init(e);
    e->staff_id = (char *) staff_id;
    e->status = status;
    e->note = (char *) note;
}

#define ATTENDED SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ATTENDED
#define LEAVE SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE
#define ABSENT SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ABSENT_WITHOUT_LEAVE

static void
test_record(void)
{
    staff_member("刘建国", COMMUNITY_1, "青岛啤酒四方分厂", members[0]);
    staff_member("陈秀兰", COMMUNITY_1, "四方实验小学", members[1]);
    staff_member("赵志强", COMMUNITY_1B, "四方区人民医院", members[2]);
    staff_member("孙丽", COMMUNITY_2, "中国银行四方支行", members[3]);
    char march[16], today[16], later[16];
    snprintf(march, sizeof march, "%04u-03-12", (unsigned) year % 10000u);
    PGresult *result = PQexec(db, "SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),"
                                  " to_char(now() + interval '3 days', 'YYYY-MM-DD')");
    snprintf(today, sizeof today, "%s", PQgetvalue(result, 0, 0));
    snprintf(later, sizeof later, "%s", PQgetvalue(result, 0, 1));
    PQclear(result);

    /* Community 1's five-party meeting, intake's meeting 7: one attended,
     * one on leave. */
    Sifang__V1__MeetingAttendanceEntry e0, e1, e2, e3;
    entry(&e0, members[0], ATTENDED, "");
    entry(&e1, members[1], LEAVE, "外出培训，已书面请假");
    Sifang__V1__MeetingAttendanceEntry *two[] = { &e1, &e0 };
    Sifang__V1__MeetingAttendance attendance = SIFANG__V1__MEETING_ATTENDANCE__INIT;
    attendance.unit_code = COMMUNITY_1;
    attendance.mechanism = SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY;
    attendance.title = "三月五方联席会：小区停车";
    attendance.held_on = march;
    attendance.intake_meeting_id = 7;
    attendance.attendees = two;
    attendance.n_attendees = 2;
    record(community_1_staff, &attendance);

    /* Refusals, nothing written. */
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &attendance, SF_ALREADY_EXISTS, "intake_meeting_id");
    attendance.intake_meeting_id = 0;
    attendance.n_attendees = 1;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &attendance, SF_INVALID_ARGUMENT, "attendees");
    entry(&e2, members[2], ATTENDED, "");
    Sifang__V1__MeetingAttendanceEntry *stranger[] = { &e1, &e0, &e2 };
    attendance.attendees = stranger;
    attendance.n_attendees = 3;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &attendance, SF_INVALID_ARGUMENT, "attendees[2].staff_id");
    Sifang__V1__MeetingAttendanceEntry twice = e0;
    Sifang__V1__MeetingAttendanceEntry *doubled[] = { &e1, &e0, &twice };
    attendance.attendees = doubled;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &attendance, SF_INVALID_ARGUMENT, "attendees[2].staff_id");
    attendance.attendees = two;
    attendance.n_attendees = 2;
    e0.status = 0;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &attendance, SF_INVALID_ARGUMENT, "attendees[1].status");
    e0.status = ATTENDED;
    attendance.held_on = later;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &attendance, SF_INVALID_ARGUMENT, "held_on");
    attendance.held_on = "2026-02-30";
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &attendance, SF_INVALID_ARGUMENT, "held_on");
    attendance.held_on = march;
    attendance.title = "";
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &attendance, SF_INVALID_ARGUMENT, "title");
    attendance.title = "三月兼职委员会议";
    attendance.mechanism = 0;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &attendance, SF_INVALID_ARGUMENT, "mechanism");
    attendance.mechanism = SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_STREET_JOINT;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &attendance, SF_INVALID_ARGUMENT, "unit_code");
    attendance.mechanism = SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_PART_TIME_COMMITTEE;
    attendance.unit_code = "370205001099";
    REFUSED(admin, "MeetingAttendanceRecord", &attendance, SF_NOT_FOUND, "unit_code");
    attendance.unit_code = COMMUNITY_1;
    REFUSED(street_2_staff, "MeetingAttendanceRecord", &attendance, SF_PERMISSION_DENIED, NULL);
    sf_client_t *viewer = sf_client_new(endpoint, NULL);
    sf_client_set_principal(viewer, "anonymous", "viewer", "");
    REFUSED(viewer, "MeetingAttendanceRecord", &attendance, SF_PERMISSION_DENIED, NULL);
    sf_client_destroy(&viewer);
    /* A community without seats has nobody to expect. */
    attendance.unit_code = "370205001003";
    entry(&e3, members[3], ATTENDED, "");
    Sifang__V1__MeetingAttendanceEntry *lone[] = { &e3 };
    attendance.attendees = lone;
    attendance.n_attendees = 1;
    REFUSED(admin, "MeetingAttendanceRecord", &attendance, SF_FAILED_PRECONDITION, "unit_code");

    /* Community 1's part-time committee meeting today: both attended, by
     * the street's staff. */
    attendance.unit_code = COMMUNITY_1;
    attendance.held_on = today;
    attendance.attendees = two;
    attendance.n_attendees = 2;
    e1.status = ATTENDED;
    e1.note = "";
    record(street_1_staff, &attendance);

    /* Street 1's joint meeting expects the seats of both its communities;
     * member 2 was absent without leave. */
    attendance.unit_code = STREET_1;
    attendance.mechanism = SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_STREET_JOINT;
    attendance.title = "街道党建联席会议（第一季度）";
    attendance.held_on = march;
    e2.status = ABSENT;
    e2.note = "未请假";
    Sifang__V1__MeetingAttendanceEntry *three[] = { &e0, &e1, &e2 };
    attendance.attendees = three;
    attendance.n_attendees = 3;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &attendance, SF_PERMISSION_DENIED, NULL);
    record(street_1_staff, &attendance);

    /* Community 2's: its one member on leave. */
    attendance.unit_code = COMMUNITY_2;
    attendance.mechanism = SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_OTHER_JOINT;
    attendance.title = "物业联席会";
    e3.status = LEAVE;
    attendance.attendees = lone;
    attendance.n_attendees = 1;
    record(street_2_staff, &attendance);
}

static void
test_reads(void)
{
    const char *unders[] = { "", DISTRICT, STREET_1, COMMUNITY_1, COMMUNITY_1B, COMMUNITY_2 };
    for (size_t i = 0; i < sizeof unders / sizeof unders[0]; i++) {
        Sifang__V1__MeetingAttendanceRatesRequest ask = SIFANG__V1__MEETING_ATTENDANCE_RATES_REQUEST__INIT;
        ask.under = (char *) unders[i];
        Sifang__V1__MeetingAttendanceRatesReply *reply = NULL;
        if (!SF_CHECK_EQ_INT(call(admin, "MeetingAttendanceRates", &ask,
                                  &sifang__v1__meeting_attendance_rates_reply__descriptor, &reply, NULL), SF_OK))
            continue;
        Sifang__V1__MeetingAttendanceRatesReply *want = rates_in_sql(unders[i]);
        same_message(sql_of("MeetingAttendanceRates under '%s'", unders[i]), &reply->base, want ? &want->base : NULL);
        FREE(want);
        FREE(reply);
    }
    /* What a reader sees for member 0: 3 meetings, all attended; member
     * 1: 2 of 3 (one on leave); the district 5 of 8 seats attended. */
    Sifang__V1__MeetingAttendanceRatesRequest ask = SIFANG__V1__MEETING_ATTENDANCE_RATES_REQUEST__INIT;
    Sifang__V1__MeetingAttendanceRatesReply *reply = NULL;
    if (SF_CHECK_EQ_INT(call(admin, "MeetingAttendanceRates", &ask, &sifang__v1__meeting_attendance_rates_reply__descriptor,
                             &reply, NULL), SF_OK) && SF_CHECK(reply->total && reply->n_people == 4)) {
        SF_CHECK_EQ_INT(reply->total->expected, 8);
        SF_CHECK_EQ_INT(reply->total->attended, 5);
        SF_CHECK_EQ_INT(reply->total->absent_with_leave, 2);
        SF_CHECK_EQ_INT(reply->total->absent_without_leave, 1);
        SF_CHECK(reply->people[0]->rate == 1.0);
        SF_CHECK_EQ_STR(reply->people[0]->key, members[0]);
        SF_CHECK_EQ_INT(reply->n_communities, 3);
    }
    FREE(reply);
    /* A period: March only (today's meeting left out, unless today is in March). */
    char from[16], to[16];
    snprintf(from, sizeof from, "%04u-03-01", (unsigned) year % 10000u);
    snprintf(to, sizeof to, "%04u-03-31", (unsigned) year % 10000u);
    ask.held_from = from;
    ask.held_to = to;
    if (SF_CHECK_EQ_INT(call(admin, "MeetingAttendanceRates", &ask, &sifang__v1__meeting_attendance_rates_reply__descriptor,
                             &reply, NULL), SF_OK) && SF_CHECK(reply->total))
        SF_CHECK_EQ_INT(reply->total->expected, sf_test_pg_int(db, sql_of("SELECT count(*) FROM grid.meeting_attendee m"
            " JOIN grid.meeting_attendance a ON a.serial = m.attendance_serial WHERE a.held_on BETWEEN '%s' AND '%s'",
            from, to)));
    FREE(reply);
    ask.held_from = "March";
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(call(admin, "MeetingAttendanceRates", &ask, &sifang__v1__meeting_attendance_rates_reply__descriptor,
                         &reply, &info), SF_INVALID_ARGUMENT);

    /* The list under street 1, newest first, paged by two, each as SQL has it. */
    char token[64] = "";
    int seen = 0;
    for (int pages = 0; pages < 10; pages++) {
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 2;
        page.page_token = token;
        Sifang__V1__MeetingAttendanceListRequest list = SIFANG__V1__MEETING_ATTENDANCE_LIST_REQUEST__INIT;
        list.under = STREET_1;
        list.page = &page;
        Sifang__V1__MeetingAttendanceListReply *listed = NULL;
        if (!SF_CHECK_EQ_INT(call(street_1_staff, "MeetingAttendanceList", &list,
                                  &sifang__v1__meeting_attendance_list_reply__descriptor, &listed, NULL), SF_OK))
            break;
        for (size_t i = 0; i < listed->n_attendances; i++) {
            Sifang__V1__MeetingAttendance *want = attendance_in_sql(listed->attendances[i]->id);
            same_message("MeetingAttendanceList", &listed->attendances[i]->base, &want->base);
            FREE(want);
        }
        seen += (int) listed->n_attendances;
        snprintf(token, sizeof token, "%s", listed->next_page_token);
        FREE(listed);
        if (!*token)
            break;
    }
    SF_CHECK_EQ_INT(seen, 3);
}

int
main(void)
{
    char dir[256], path[512], endpoint_env[128], publish_env[128], key_env[600], log_path[600];
    sf_test_daemon_t *daemon = NULL;
    char *endpoint_copy = NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!SF_CHECK_EQ_INT(sf_test_pg_env("grid_attendance"), 0) || !SF_CHECK_EQ_INT(sf_test_tmpdir(dir, sizeof dir), 0))
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
    if (!SF_CHECK(admin != NULL))
        goto cleanup;
    sf_client_set_principal(admin, "grid-attendance-admin", "admin", "");
    if (!SF_CHECK(sf_test_wait_database(admin, 20000)))
        goto cleanup;
    year = (int) sf_test_pg_int(db, "SELECT extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')");
    unit(DISTRICT, SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT, "四方区", "");
    unit(STREET_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "兴隆路街道", DISTRICT);
    unit(STREET_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "四方街道", DISTRICT);
    unit(COMMUNITY_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "杭州路社区", STREET_1);
    unit(COMMUNITY_1B, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "洛阳路社区", STREET_1);
    unit(COMMUNITY_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "嘉定路社区", STREET_2);
    unit("370205001003", SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "无委员社区", STREET_1);
    const sf_test_grant_t street_1_grant[] = { { "street_staff", STREET_1, STREET_1, "*" } };
    const sf_test_grant_t street_2_grant[] = { { "street_staff", STREET_2, STREET_2, "*" } };
    const sf_test_grant_t community_grant[] = { { "community_staff", COMMUNITY_1, COMMUNITY_1, "*" } };
    street_1_staff = person("S00901", street_1_grant, 1);
    street_2_staff = person("S00902", street_2_grant, 1);
    community_1_staff = person("S00903", community_grant, 1);
    if (!SF_CHECK(street_1_staff && street_2_staff && community_1_staff))
        goto cleanup;
    test_record();
    test_reads();

cleanup:
    sf_client_destroy(&admin);
    sf_client_destroy(&street_1_staff);
    sf_client_destroy(&street_2_staff);
    sf_client_destroy(&community_1_staff);
    if (daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemon), 0);
    free(endpoint_copy);
    if (db)
        PQfinish(db);
    return grid_test_done(dir);
}
