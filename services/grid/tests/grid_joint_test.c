/* The joint mechanisms' member units and their meeting attendance through
 * the real grid daemon: a community's five-party meeting (五方联席会: party
 * organisation, residents' committee, property management company, owners'
 * committee, a resident unit) and two streets' joint meetings (街道党建联席会议),
 * the members added, updated and one leaving, each reply and event against
 * the row in SQL; meetings naming every member unit (attended by the
 * representative or a substitute, absent with leave or without) beside the
 * part-time seats, or alone where a street has no seats; a meeting before a
 * member left expects it, one after does not; the lists and the rates per
 * member unit, mechanism, community or street and kind against SQL; and the
 * refusals, each leaving the tables as they were. */
#include "sf_test.h"
#include "sf_test_person.h"
#include "grid_test_support.h"
#include "sf_client.h"
#include "sifang/v1/grid.pb-c.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FREE(m) do { if (m) protobuf_c_message_free_unpacked(&(m)->base, NULL); (m) = NULL; } while (0)
#define MECH(name) SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_##name
#define KIND(name) SIFANG__V1__JOINT_MEMBER_KIND__JOINT_MEMBER_KIND_##name
#define ATTENDED SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ATTENDED
#define LEAVE SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE
#define ABSENT SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_ABSENT_WITHOUT_LEAVE

static PGconn *db;
static const char *endpoint;
static sf_client_t *admin, *street_1_staff, *street_2_staff, *community_1_staff;
static char january[16], march[16], june[16], today[16], tomorrow[16];

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

static sf_status_t
call(sf_client_t *client, const char *method, const void *request, const ProtobufCMessageDescriptor *descriptor,
     void *reply_p, sf_reply_info_t *info)
{
    sf_reply_info_t local;
    return sf_client_call(client, method, NULL, (const ProtobufCMessage *) request, descriptor,
                          (ProtobufCMessage **) reply_p, info ? info : &local);
}

#define MS(column) "(extract(epoch FROM " column ") * 1000)::bigint::text"
#define STATUSES "(ARRAY['MEETING_ATTENDANCE_STATUS_ATTENDED', 'MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE'," \
    " 'MEETING_ATTENDANCE_STATUS_ABSENT_WITHOUT_LEAVE'])"
#define MECHANISMS "(ARRAY['MEETING_ATTENDANCE_MECHANISM_PART_TIME_COMMITTEE', 'MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY'," \
    " 'MEETING_ATTENDANCE_MECHANISM_STREET_JOINT', 'MEETING_ATTENDANCE_MECHANISM_OTHER_JOINT'])"
#define KINDS "(ARRAY['JOINT_MEMBER_KIND_PARTY_ORGANISATION', 'JOINT_MEMBER_KIND_RESIDENTS_COMMITTEE'," \
    " 'JOINT_MEMBER_KIND_PROPERTY_MANAGEMENT', 'JOINT_MEMBER_KIND_OWNERS_COMMITTEE', 'JOINT_MEMBER_KIND_RESIDENT_UNIT'," \
    " 'JOINT_MEMBER_KIND_DEPARTMENT', 'JOINT_MEMBER_KIND_OTHER'])"
#define MEMBER_ID(serial) "'J' || lpad(" serial "::text, 6, '0')"

/* The member as its row says. */
static Sifang__V1__JointMember *
member_in_sql(const char *id)
{
    return (Sifang__V1__JointMember *) grid_test_message_in_sql(db, &sifang__v1__joint_member__descriptor, sql_of(
        "SELECT jsonb_build_object('id', " MEMBER_ID("j.serial") ", 'unit_code', j.unit_code,"
        " 'mechanism', " MECHANISMS "[j.mechanism], 'kind', " KINDS "[j.kind], 'name', j.name,"
        " 'representative', j.representative, 'representative_post', j.representative_post,"
        " 'active', j.left_on IS NULL, 'joined_on', j.joined_on::text, 'left_on', COALESCE(j.left_on::text, ''),"
        " 'unit_name', u.name, 'updated_unix_ms', " MS("j.updated_at") ")"
        " FROM grid.joint_member j JOIN grid.org_unit u ON u.code = j.unit_code WHERE j.serial = %d", atoi(id + 1)));
}

#define COUNT(table, condition) \
    "(SELECT count(*) FROM grid." table " m WHERE m.attendance_serial = a.serial" condition ")"

/* The meeting's attendance as its rows say: seats and member units. */
static Sifang__V1__MeetingAttendance *
attendance_in_sql(const char *id)
{
    return (Sifang__V1__MeetingAttendance *) grid_test_message_in_sql(db, &sifang__v1__meeting_attendance__descriptor,
        sql_of(
        "SELECT jsonb_build_object('id', 'A' || lpad(a.serial::text, 6, '0'), 'unit_code', a.unit_code,"
        " 'mechanism', " MECHANISMS "[a.mechanism], 'title', a.title, 'held_on', a.held_on::text,"
        " 'intake_meeting_id', a.intake_meeting_id::text,"
        " 'attendees', (SELECT COALESCE(jsonb_agg(jsonb_build_object('staff_id', 'S' || lpad(m.staff_serial::text, 5, '0'),"
        "   'status', " STATUSES "[m.status], 'note', m.note, 'staff_name', s.name, 'employer', s.employer,"
        "   'seat_code', m.seat_code) ORDER BY m.staff_serial), '[]') FROM grid.meeting_attendee m"
        "   JOIN grid.staff s ON s.serial = m.staff_serial WHERE m.attendance_serial = a.serial),"
        " 'member_units', (SELECT COALESCE(jsonb_agg(jsonb_build_object('member_id', " MEMBER_ID("m.member_serial") ","
        "   'status', " STATUSES "[m.status], 'representative', m.representative, 'note', m.note, 'member_name', j.name,"
        "   'kind', " KINDS "[j.kind], 'substitute', m.substitute) ORDER BY m.member_serial), '[]')"
        "   FROM grid.meeting_member_unit m JOIN grid.joint_member j ON j.serial = m.member_serial"
        "   WHERE m.attendance_serial = a.serial),"
        " 'unit_name', u.name, 'expected', " COUNT("meeting_attendee", "") ","
        " 'attended', " COUNT("meeting_attendee", " AND m.status = 1") ","
        " 'absent_with_leave', " COUNT("meeting_attendee", " AND m.status = 2") ","
        " 'absent_without_leave', " COUNT("meeting_attendee", " AND m.status = 3") ","
        " 'units_expected', " COUNT("meeting_member_unit", "") ","
        " 'units_attended', " COUNT("meeting_member_unit", " AND m.status = 1") ","
        " 'units_absent_with_leave', " COUNT("meeting_member_unit", " AND m.status = 2") ","
        " 'units_absent_without_leave', " COUNT("meeting_member_unit", " AND m.status = 3") ","
        " 'recorded_by', a.recorded_by, 'recorded_unix_ms', " MS("a.recorded_at") ")"
        " FROM grid.meeting_attendance a JOIN grid.org_unit u ON u.code = a.unit_code WHERE a.serial = %d",
        atoi(id + 1)));
}

/* The rates of the member units at meetings under unit (of mechanism, 0
 * any; in the period, "" open) as SQL counts them. */
static Sifang__V1__JointAttendanceRatesReply *
rates_in_sql(const char *under, int mechanism, const char *from, const char *to)
{
    return (Sifang__V1__JointAttendanceRatesReply *) grid_test_message_in_sql(db,
        &sifang__v1__joint_attendance_rates_reply__descriptor, sql_of(
        "WITH m AS (SELECT m.status, j.serial, j.name, j.kind, a.mechanism, a.unit_code, u.name AS unit_name"
        "  FROM grid.meeting_member_unit m JOIN grid.meeting_attendance a ON a.serial = m.attendance_serial"
        "  JOIN grid.joint_member j ON j.serial = m.member_serial JOIN grid.org_unit u ON u.code = a.unit_code"
        "  WHERE a.unit_code LIKE '%s%%' AND (%d = 0 OR a.mechanism = %d)"
        "  AND ('%s' = '' OR a.held_on >= '%s'::text::date) AND ('%s' = '' OR a.held_on <= '%s'::text::date)),"
        " g AS (SELECT 0 AS grouping, '%s' AS key, '' AS name, 0::bigint AS sort, status FROM m"
        "  UNION ALL SELECT 1, " MEMBER_ID("serial") ", name, serial, status FROM m"
        "  UNION ALL SELECT 2, " MECHANISMS "[mechanism], '', mechanism, status FROM m"
        "  UNION ALL SELECT 3, unit_code, unit_name, 0, status FROM m"
        "  UNION ALL SELECT 4, " KINDS "[kind], '', kind, status FROM m),"
        " c AS (SELECT grouping, key, name, sort, count(*) AS expected, count(*) FILTER (WHERE status = 1) AS attended,"
        "  count(*) FILTER (WHERE status = 2) AS leave, count(*) FILTER (WHERE status = 3) AS absent"
        "  FROM g GROUP BY grouping, key, name, sort),"
        " r AS (SELECT grouping, key, sort, jsonb_build_object('key', key, 'name', name, 'expected', expected,"
        "  'attended', attended, 'absent_with_leave', leave, 'absent_without_leave', absent,"
        "  'rate', attended::float8 / expected) AS rate FROM c)"
        " SELECT jsonb_build_object('total', COALESCE((SELECT rate FROM r WHERE grouping = 0),"
        "   jsonb_build_object('key', '%s')),"
        "  'members', (SELECT COALESCE(jsonb_agg(rate ORDER BY sort), '[]') FROM r WHERE grouping = 1),"
        "  'mechanisms', (SELECT COALESCE(jsonb_agg(rate ORDER BY sort), '[]') FROM r WHERE grouping = 2),"
        "  'units', (SELECT COALESCE(jsonb_agg(rate ORDER BY key), '[]') FROM r WHERE grouping = 3),"
        "  'kinds', (SELECT COALESCE(jsonb_agg(rate ORDER BY sort), '[]') FROM r WHERE grouping = 4))",
        under, mechanism, mechanism, from, from, to, to, under, under));
}

/* The tables a refused call leaves as they were. */
#define TABLES_ROWS \
    "SELECT a::text AS t FROM grid.meeting_attendance a UNION ALL SELECT m::text FROM grid.meeting_attendee m" \
    " UNION ALL SELECT j::text FROM grid.joint_member j UNION ALL SELECT u::text FROM grid.meeting_member_unit u"
#define REFUSED(client, method, request, status, field) \
    grid_test_refused(db, TABLES_ROWS, client, method, request, status, field, __LINE__)

/* --- the district ------------------------------------------------------------ */

static void
unit(const char *code, Sifang__V1__UnitKind kind, const char *name, const char *parent)
{
    Sifang__V1__OrgUnit u = SIFANG__V1__ORG_UNIT__INIT;
    u.code = (char *) code;
    u.kind = kind;
    u.name = (char *) name;
    u.parent_code = (char *) parent;
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

/* A part-time committee member seated in community. */
static void
seat(const char *name, const char *community, char id[16])
{
    Sifang__V1__Staff s = SIFANG__V1__STAFF__INIT;
    s.name = (char *) name;
    s.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_PART_TIME_COMMITTEE;
    s.unit_code = (char *) community;
    s.employer = "四方区人民医院";
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

/* --- members ------------------------------------------------------------------ */

/* Saves member as client, checks the reply and its event against the row
 * and keeps the id in id (when given). */
static void
save(sf_client_t *client, Sifang__V1__JointMember *member, char id[16])
{
    int64_t head = sf_test_event_head(admin);
    Sifang__V1__JointMember *saved = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(call(client, "JointMemberSet", member, &sifang__v1__joint_member__descriptor, &saved, &info),
                         SF_OK)) {
        printf("JointMemberSet %s: %s (%s)\n", member->name, info.message ? info.message : "",
               info.n_violations ? info.violation_fields[0] : "");
        return;
    }
    Sifang__V1__JointMember *want = member_in_sql(saved->id);
    grid_test_same_message("JointMemberSet's reply", &saved->base, want ? &want->base : NULL);
    ProtobufCMessage *event = grid_test_event_after(admin, head, "joint_member.saved", saved->id,
                                                    &sifang__v1__joint_member__descriptor);
    grid_test_same_message("joint_member.saved", event, want ? &want->base : NULL);
    if (event)
        protobuf_c_message_free_unpacked(event, NULL);
    if (id)
        snprintf(id, 16, "%s", saved->id);
    FREE(want);
    FREE(saved);
}

static void
member_init(Sifang__V1__JointMember *m, const char *unit_code, Sifang__V1__MeetingAttendanceMechanism mechanism,
            Sifang__V1__JointMemberKind kind, const char *name, const char *representative, const char *post)
{
    sifang__v1__joint_member__init(m);
    m->unit_code = (char *) unit_code;
    m->mechanism = mechanism;
    m->kind = kind;
    m->name = (char *) name;
    m->representative = (char *) representative;
    m->representative_post = (char *) post;
    m->active = true;
    m->joined_on = january;
}

/* community 1's five-party members 0-4, street 1's joint members 5-7, street 2's 8-9 */
static char members[10][16];
static char seats[2][16];

static void
test_members(void)
{
    static const struct {
        const char *unit;
        Sifang__V1__MeetingAttendanceMechanism mechanism;
        Sifang__V1__JointMemberKind kind;
        const char *name, *representative, *post;
    } joined[10] = {
        { COMMUNITY_1, MECH(FIVE_PARTY), KIND(PARTY_ORGANISATION), "杭州路社区党委", "王淑芬", "党委书记" },
        { COMMUNITY_1, MECH(FIVE_PARTY), KIND(RESIDENTS_COMMITTEE), "杭州路社区居委会", "李红梅", "居委会主任" },
        { COMMUNITY_1, MECH(FIVE_PARTY), KIND(PROPERTY_MANAGEMENT), "青岛海星物业服务有限公司", "张伟", "项目经理" },
        { COMMUNITY_1, MECH(FIVE_PARTY), KIND(OWNERS_COMMITTEE), "杭州花园业主委员会", "赵建华", "业委会主任" },
        { COMMUNITY_1, MECH(FIVE_PARTY), KIND(RESIDENT_UNIT), "青岛啤酒四方分厂", "孙志刚", "党支部书记" },
        { STREET_1, MECH(STREET_JOINT), KIND(PARTY_ORGANISATION), "兴隆路街道党工委", "周敏", "党工委副书记" },
        { STREET_1, MECH(STREET_JOINT), KIND(RESIDENT_UNIT), "四方区人民医院", "吴海燕", "党委副书记" },
        { STREET_1, MECH(STREET_JOINT), KIND(DEPARTMENT), "四方区民政局", "郑强", "" },
        { STREET_2, MECH(STREET_JOINT), KIND(PARTY_ORGANISATION), "四方街道党工委", "冯丽", "党工委书记" },
        { STREET_2, MECH(STREET_JOINT), KIND(RESIDENT_UNIT), "中国银行四方支行", "陈刚", "行长" },
    };
    Sifang__V1__JointMember m;
    for (int i = 0; i < 10; i++) {
        member_init(&m, joined[i].unit, joined[i].mechanism, joined[i].kind, joined[i].name, joined[i].representative,
                    joined[i].post);
        save(i < 5 ? community_1_staff : i < 8 ? street_1_staff : street_2_staff, &m, members[i]);
    }

    /* Refusals, nothing written. */
    member_init(&m, COMMUNITY_1, MECH(FIVE_PARTY), KIND(RESIDENT_UNIT), "青岛啤酒四方分厂", "孙志刚", "");
    REFUSED(community_1_staff, "JointMemberSet", &m, SF_ALREADY_EXISTS, "name");
    m.name = "四方实验小学";
    m.mechanism = MECH(PART_TIME_COMMITTEE);
    REFUSED(community_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "mechanism");
    m.mechanism = MECH(STREET_JOINT);
    REFUSED(community_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "unit_code");
    m.mechanism = MECH(FIVE_PARTY);
    m.kind = 0;
    REFUSED(community_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "kind");
    m.kind = KIND(RESIDENT_UNIT);
    m.representative = "";
    REFUSED(community_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "representative");
    m.representative = "刘洋";
    char long_name[400] = "";
    for (int i = 0; i < 101; i++)
        strcat(long_name, "校");
    m.name = long_name;
    REFUSED(community_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "name");
    m.name = "四方实验小学";
    m.joined_on = tomorrow;
    REFUSED(community_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "joined_on");
    m.joined_on = "2026-02-30";
    REFUSED(community_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "joined_on");
    m.joined_on = january;
    m.active = false;
    REFUSED(community_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "active");
    m.active = true;
    m.left_on = march;
    REFUSED(community_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "left_on");
    m.left_on = "";
    m.unit_name = "杭州路社区";
    REFUSED(community_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "unit_name");
    m.unit_name = "";
    m.unit_code = "370205001099";
    REFUSED(admin, "JointMemberSet", &m, SF_NOT_FOUND, "unit_code");
    m.unit_code = COMMUNITY_1;
    REFUSED(street_2_staff, "JointMemberSet", &m, SF_PERMISSION_DENIED, NULL);
    sf_client_t *viewer = sf_client_new(endpoint, NULL);
    sf_client_set_principal(viewer, "anonymous", "viewer", "");
    REFUSED(viewer, "JointMemberSet", &m, SF_PERMISSION_DENIED, NULL);
    sf_client_destroy(&viewer);

    /* The property company sends another manager from now on. */
    member_init(&m, "", 0, KIND(PROPERTY_MANAGEMENT), "青岛海星物业服务有限公司", "刘洋", "物业经理");
    m.id = members[2];
    save(community_1_staff, &m, NULL);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, sql_of("SELECT count(*) FROM grid.joint_member WHERE serial = %d"
                                              " AND representative = '刘洋'", atoi(members[2] + 1))), 1);
    /* Its holder and mechanism stay; its name stays its own. */
    m.unit_code = COMMUNITY_2;
    REFUSED(admin, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "unit_code");
    m.unit_code = "";
    m.mechanism = MECH(OTHER_JOINT);
    REFUSED(admin, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "mechanism");
    m.mechanism = 0;
    m.name = "杭州花园业主委员会";
    REFUSED(admin, "JointMemberSet", &m, SF_ALREADY_EXISTS, "name");
    m.name = "青岛海星物业服务有限公司";
    m.id = "J999999";
    REFUSED(admin, "JointMemberSet", &m, SF_NOT_FOUND, "id");
    m.id = "S00001";
    REFUSED(admin, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "id");

    /* Street 1's department leaves in June (before, it was a member). */
    member_init(&m, "", 0, KIND(DEPARTMENT), "四方区民政局", "郑强", "");
    m.id = members[7];
    m.active = false;
    m.left_on = "";
    REFUSED(street_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "left_on");
    m.left_on = "2000-01-01";
    REFUSED(street_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "left_on");
    m.left_on = tomorrow;
    REFUSED(street_1_staff, "JointMemberSet", &m, SF_INVALID_ARGUMENT, "left_on");
    m.left_on = june;
    REFUSED(street_2_staff, "JointMemberSet", &m, SF_PERMISSION_DENIED, NULL);
    save(street_1_staff, &m, NULL);
}

/* --- meetings ------------------------------------------------------------------ */

static void
record(sf_client_t *client, Sifang__V1__MeetingAttendance *attendance)
{
    int64_t head = sf_test_event_head(admin);
    Sifang__V1__MeetingAttendance *recorded = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(call(client, "MeetingAttendanceRecord", attendance, &sifang__v1__meeting_attendance__descriptor,
                              &recorded, &info), SF_OK)) {
        printf("MeetingAttendanceRecord %s: %s (%s)\n", attendance->title, info.message ? info.message : "",
               info.n_violations ? info.violation_fields[0] : "");
        return;
    }
    Sifang__V1__MeetingAttendance *want = attendance_in_sql(recorded->id);
    grid_test_same_message("MeetingAttendanceRecord's reply", &recorded->base, want ? &want->base : NULL);
    ProtobufCMessage *event = grid_test_event_after(admin, head, "meeting_attendance.recorded", recorded->id,
                                                    &sifang__v1__meeting_attendance__descriptor);
    grid_test_same_message("meeting_attendance.recorded", event, want ? &want->base : NULL);
    if (event)
        protobuf_c_message_free_unpacked(event, NULL);
    FREE(want);
    FREE(recorded);
}

static void
unit_entry(Sifang__V1__MeetingMemberEntry *e, const char *member, Sifang__V1__MeetingAttendanceStatus status,
           const char *representative, const char *note)
{
    sifang__v1__meeting_member_entry__init(e);
    e->member_id = (char *) member;
    e->status = status;
    e->representative = (char *) representative;
    e->note = (char *) note;
}

static void
seat_entry(Sifang__V1__MeetingAttendanceEntry *e, const char *staff, Sifang__V1__MeetingAttendanceStatus status)
{
    sifang__v1__meeting_attendance_entry__init(e);
    e->staff_id = (char *) staff;
    e->status = status;
}

static void
test_meetings(void)
{
    /* Community 1's five-party meeting in March: its two seats and its
     * five member units; the property company sent a substitute, the
     * owners' committee asked for leave, the resident unit did not come. */
    Sifang__V1__MeetingAttendanceEntry s0, s1;
    seat_entry(&s0, seats[0], ATTENDED);
    seat_entry(&s1, seats[1], LEAVE);
    Sifang__V1__MeetingAttendanceEntry *both_seats[] = { &s0, &s1 };
    Sifang__V1__MeetingMemberEntry u[10];
    unit_entry(&u[0], members[0], ATTENDED, "", "");
    unit_entry(&u[1], members[1], ATTENDED, "李红梅", "");
    unit_entry(&u[2], members[2], ATTENDED, "钱小军", "项目经理出差，派客服主管参会");
    unit_entry(&u[3], members[3], LEAVE, "", "业委会换届中");
    unit_entry(&u[4], members[4], ABSENT, "", "");
    Sifang__V1__MeetingMemberEntry *five[] = { &u[4], &u[0], &u[1], &u[2], &u[3] };
    Sifang__V1__MeetingAttendance a = SIFANG__V1__MEETING_ATTENDANCE__INIT;
    a.unit_code = COMMUNITY_1;
    a.mechanism = MECH(FIVE_PARTY);
    a.title = "三月五方联席会：小区停车难";
    a.held_on = march;
    a.attendees = both_seats;
    a.n_attendees = 2;
    a.member_units = five;
    a.n_member_units = 5;

    /* Refusals first, nothing written. */
    a.n_member_units = 4;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &a, SF_INVALID_ARGUMENT, "member_units");
    Sifang__V1__MeetingMemberEntry stranger = u[0];
    stranger.member_id = members[5];
    Sifang__V1__MeetingMemberEntry *with_stranger[] = { &u[4], &u[0], &u[1], &u[2], &u[3], &stranger };
    a.member_units = with_stranger;
    a.n_member_units = 6;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &a, SF_INVALID_ARGUMENT, "member_units[5].member_id");
    stranger.member_id = members[0];
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &a, SF_INVALID_ARGUMENT, "member_units[5].member_id");
    stranger.member_id = "J12x";
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &a, SF_INVALID_ARGUMENT, "member_units[5].member_id");
    a.member_units = five;
    a.n_member_units = 5;
    u[3].representative = "赵建华";
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &a, SF_INVALID_ARGUMENT, "member_units[4].representative");
    u[3].representative = "";
    u[4].status = 0;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &a, SF_INVALID_ARGUMENT, "member_units[0].status");
    u[4].status = ABSENT;
    u[4].member_name = "青岛啤酒四方分厂";
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &a, SF_INVALID_ARGUMENT, "member_units[0].member_name");
    u[4].member_name = "";
    char long_person[200] = "";
    for (int i = 0; i < 51; i++)
        strcat(long_person, "钱");
    u[2].representative = long_person;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &a, SF_INVALID_ARGUMENT, "member_units[3].representative");
    u[2].representative = "钱小军";
    a.units_expected = 5;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &a, SF_INVALID_ARGUMENT, "expected");
    a.units_expected = 0;
    a.mechanism = MECH(PART_TIME_COMMITTEE);
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &a, SF_INVALID_ARGUMENT, "member_units");
    a.mechanism = MECH(FIVE_PARTY);
    /* The seats are still every seat. */
    a.n_attendees = 1;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &a, SF_INVALID_ARGUMENT, "attendees");
    a.n_attendees = 2;
    record(community_1_staff, &a);

    /* A part-time committee meeting names no member units, as before. */
    Sifang__V1__MeetingAttendance p = SIFANG__V1__MEETING_ATTENDANCE__INIT;
    p.unit_code = COMMUNITY_1;
    p.mechanism = MECH(PART_TIME_COMMITTEE);
    p.title = "三月兼职委员例会";
    p.held_on = march;
    p.attendees = both_seats;
    p.n_attendees = 2;
    record(community_1_staff, &p);

    /* Street 1's joint meeting in March expects its seats and its three
     * members (the department had not left yet); in the days after it
     * left, two members. */
    Sifang__V1__MeetingAttendance s = SIFANG__V1__MEETING_ATTENDANCE__INIT;
    s.unit_code = STREET_1;
    s.mechanism = MECH(STREET_JOINT);
    s.title = "街道党建联席会议（第一季度）";
    s.held_on = march;
    s.attendees = both_seats;
    s.n_attendees = 2;
    unit_entry(&u[5], members[5], ATTENDED, "", "");
    unit_entry(&u[6], members[6], ATTENDED, "", "");
    unit_entry(&u[7], members[7], LEAVE, "", "局务会冲突");
    Sifang__V1__MeetingMemberEntry *street_three[] = { &u[5], &u[6], &u[7] };
    s.member_units = street_three;
    s.n_member_units = 2;
    REFUSED(street_1_staff, "MeetingAttendanceRecord", &s, SF_INVALID_ARGUMENT, "member_units");
    s.n_member_units = 3;
    REFUSED(community_1_staff, "MeetingAttendanceRecord", &s, SF_PERMISSION_DENIED, NULL);
    record(street_1_staff, &s);
    s.held_on = today;
    s.title = "街道党建联席会议（本季度）";
    u[6].status = ABSENT;
    REFUSED(street_1_staff, "MeetingAttendanceRecord", &s, SF_INVALID_ARGUMENT, "member_units[2].member_id");
    s.n_member_units = 2;
    record(street_1_staff, &s);

    /* Street 2 has no part-time seats: its joint meeting expects its
     * member units alone. */
    Sifang__V1__MeetingAttendance t = SIFANG__V1__MEETING_ATTENDANCE__INIT;
    t.unit_code = STREET_2;
    t.mechanism = MECH(STREET_JOINT);
    t.title = "四方街道党建联席会议";
    t.held_on = june;
    unit_entry(&u[8], members[8], ATTENDED, "", "");
    unit_entry(&u[9], members[9], LEAVE, "", "外出学习");
    Sifang__V1__MeetingMemberEntry *street_two[] = { &u[9], &u[8] };
    t.member_units = street_two;
    t.n_member_units = 2;
    record(street_2_staff, &t);
    /* Nor does community 2 have seats or five-party members. */
    Sifang__V1__MeetingAttendance n = SIFANG__V1__MEETING_ATTENDANCE__INIT;
    n.unit_code = COMMUNITY_2;
    n.mechanism = MECH(FIVE_PARTY);
    n.title = "五方联席会";
    n.held_on = june;
    REFUSED(street_2_staff, "MeetingAttendanceRecord", &n, SF_FAILED_PRECONDITION, "unit_code");
}

/* --- reads ------------------------------------------------------------------- */

static void
test_reads(void)
{
    struct { const char *under; int mechanism; const char *from, *to; } asks[] = {
        { "", 0, "", "" }, { DISTRICT, 0, "", "" }, { STREET_1, 0, "", "" }, { COMMUNITY_1, 0, "", "" },
        { STREET_2, 0, "", "" }, { COMMUNITY_2, 0, "", "" }, { "", MECH(STREET_JOINT), "", "" },
        { "", MECH(FIVE_PARTY), "", "" }, { STREET_1, 0, march, march }, { "", 0, june, "" },
    };
    for (size_t i = 0; i < sizeof asks / sizeof *asks; i++) {
        Sifang__V1__JointAttendanceRatesRequest ask = SIFANG__V1__JOINT_ATTENDANCE_RATES_REQUEST__INIT;
        ask.under = (char *) asks[i].under;
        ask.mechanism = asks[i].mechanism;
        ask.held_from = (char *) asks[i].from;
        ask.held_to = (char *) asks[i].to;
        Sifang__V1__JointAttendanceRatesReply *reply = NULL;
        if (!SF_CHECK_EQ_INT(call(street_1_staff, "JointAttendanceRates", &ask,
                                  &sifang__v1__joint_attendance_rates_reply__descriptor, &reply, NULL), SF_OK))
            continue;
        /* Street 1's staff see only street 1 (scope clipping). */
        const char *seen = *asks[i].under && strncmp(asks[i].under, STREET_1, strlen(asks[i].under)) != 0
                           && strncmp(STREET_1, asks[i].under, strlen(STREET_1)) != 0 ? NULL
                         : strlen(asks[i].under) < strlen(STREET_1) ? STREET_1 : asks[i].under;
        if (seen) {
            Sifang__V1__JointAttendanceRatesReply *want = rates_in_sql(seen, asks[i].mechanism, asks[i].from,
                                                                       asks[i].to);
            grid_test_same_message(sql_of("JointAttendanceRates under '%s' mechanism %d from '%s' to '%s'",
                                          asks[i].under, asks[i].mechanism, asks[i].from, asks[i].to),
                                   &reply->base, want ? &want->base : NULL);
            FREE(want);
        } else
            SF_CHECK(reply->total == NULL && reply->n_members == 0);
        FREE(reply);
        if (!SF_CHECK_EQ_INT(call(admin, "JointAttendanceRates", &ask,
                                  &sifang__v1__joint_attendance_rates_reply__descriptor, &reply, NULL), SF_OK))
            continue;
        Sifang__V1__JointAttendanceRatesReply *want = rates_in_sql(asks[i].under, asks[i].mechanism, asks[i].from,
                                                                   asks[i].to);
        grid_test_same_message(sql_of("JointAttendanceRates (admin) under '%s' mechanism %d", asks[i].under,
                                      asks[i].mechanism), &reply->base, want ? &want->base : NULL);
        FREE(want);
        FREE(reply);
    }
    /* What a reader sees: 12 member units expected in all, 7 attended, 3
     * with leave, 2 without; the property company came by a substitute. */
    Sifang__V1__JointAttendanceRatesRequest ask = SIFANG__V1__JOINT_ATTENDANCE_RATES_REQUEST__INIT;
    Sifang__V1__JointAttendanceRatesReply *reply = NULL;
    if (SF_CHECK_EQ_INT(call(admin, "JointAttendanceRates", &ask, &sifang__v1__joint_attendance_rates_reply__descriptor,
                             &reply, NULL), SF_OK) && SF_CHECK(reply->total != NULL)) {
        SF_CHECK_EQ_INT(reply->total->expected, 12);
        SF_CHECK_EQ_INT(reply->total->attended, 7);
        SF_CHECK_EQ_INT(reply->total->absent_with_leave, 3);
        SF_CHECK_EQ_INT(reply->total->absent_without_leave, 2);
        SF_CHECK_EQ_INT((int) reply->n_members, 10);
        SF_CHECK_EQ_INT((int) reply->n_units, 3);
        SF_CHECK_EQ_INT((int) reply->n_mechanisms, 2);
        SF_CHECK_EQ_INT((int) reply->n_kinds, 6);
    }
    FREE(reply);
    SF_CHECK_EQ_INT(sf_test_pg_int(db, "SELECT count(*) FROM grid.meeting_member_unit WHERE substitute"
                                       " AND representative = '钱小军'"), 1);
    ask.held_from = "March";
    SF_CHECK_EQ_INT(call(admin, "JointAttendanceRates", &ask, &sifang__v1__joint_attendance_rates_reply__descriptor,
                         &reply, NULL), SF_INVALID_ARGUMENT);
    ask.held_from = "";
    ask.mechanism = MECH(PART_TIME_COMMITTEE);
    SF_CHECK_EQ_INT(call(admin, "JointAttendanceRates", &ask, &sifang__v1__joint_attendance_rates_reply__descriptor,
                         &reply, NULL), SF_INVALID_ARGUMENT);

    /* The members, newest first, paged by three: as SQL has them; the
     * department that left only when asked for. */
    for (int include_left = 0; include_left < 2; include_left++) {
        char token[64] = "";
        int seen = 0;
        for (int pages = 0; pages < 10; pages++) {
            Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
            page.page_size = 3;
            page.page_token = token;
            Sifang__V1__JointMemberListRequest list = SIFANG__V1__JOINT_MEMBER_LIST_REQUEST__INIT;
            list.under = STREET_1;
            list.include_left = include_left;
            list.page = &page;
            Sifang__V1__JointMemberListReply *listed = NULL;
            if (!SF_CHECK_EQ_INT(call(community_1_staff, "JointMemberList", &list,
                                      &sifang__v1__joint_member_list_reply__descriptor, &listed, NULL), SF_OK))
                break;
            for (size_t i = 0; i < listed->n_members; i++) {
                Sifang__V1__JointMember *want = member_in_sql(listed->members[i]->id);
                grid_test_same_message("JointMemberList", &listed->members[i]->base, want ? &want->base : NULL);
                FREE(want);
            }
            seen += (int) listed->n_members;
            snprintf(token, sizeof token, "%s", listed->next_page_token);
            FREE(listed);
            if (!*token)
                break;
        }
        /* community 1's staff under street 1: their community's five. */
        SF_CHECK_EQ_INT(seen, 5);
        Sifang__V1__JointMemberListRequest list = SIFANG__V1__JOINT_MEMBER_LIST_REQUEST__INIT;
        list.under = STREET_1;
        list.include_left = include_left;
        list.mechanism = MECH(STREET_JOINT);
        Sifang__V1__JointMemberListReply *listed = NULL;
        if (SF_CHECK_EQ_INT(call(street_1_staff, "JointMemberList", &list, &sifang__v1__joint_member_list_reply__descriptor,
                                 &listed, NULL), SF_OK))
            SF_CHECK_EQ_INT((int) listed->n_members, include_left ? 3 : 2);
        FREE(listed);
    }

    /* The meetings under street 1, each with its member units as SQL has them. */
    Sifang__V1__MeetingAttendanceListRequest list = SIFANG__V1__MEETING_ATTENDANCE_LIST_REQUEST__INIT;
    list.under = STREET_1;
    Sifang__V1__MeetingAttendanceListReply *listed = NULL;
    if (SF_CHECK_EQ_INT(call(street_1_staff, "MeetingAttendanceList", &list,
                             &sifang__v1__meeting_attendance_list_reply__descriptor, &listed, NULL), SF_OK)) {
        SF_CHECK_EQ_INT((int) listed->n_attendances, 4);
        for (size_t i = 0; i < listed->n_attendances; i++) {
            Sifang__V1__MeetingAttendance *want = attendance_in_sql(listed->attendances[i]->id);
            grid_test_same_message("MeetingAttendanceList", &listed->attendances[i]->base, want ? &want->base : NULL);
            FREE(want);
        }
    }
    FREE(listed);
}

int
main(void)
{
    char dir[256], path[512], endpoint_env[128], publish_env[128], key_env[600], log_path[600];
    sf_test_daemon_t *daemon = NULL;
    char *endpoint_copy = NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!SF_CHECK_EQ_INT(sf_test_pg_env("grid_joint"), 0) || !SF_CHECK_EQ_INT(sf_test_tmpdir(dir, sizeof dir), 0))
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
    sf_client_set_principal(admin, "grid-joint-admin", "admin", "");
    if (!SF_CHECK(sf_test_wait_database(admin, 20000)))
        goto cleanup;
    /* The days of the year the meetings are held: January, March, June
     * (of last year while this year has not reached June), today. */
    PGresult *result = PQexec(db,
        "WITH t AS (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS today),"
        " y AS (SELECT CASE WHEN extract(month FROM today) >= 6 THEN extract(year FROM today)"
        "  ELSE extract(year FROM today) - 1 END::int AS year, today FROM t)"
        " SELECT make_date(year, 1, 10)::text, make_date(year, 3, 12)::text, make_date(year, 6, 1)::text, today::text,"
        " (today + 2)::text FROM y");
    if (!SF_CHECK(PQresultStatus(result) == PGRES_TUPLES_OK)) {
        PQclear(result);
        goto cleanup;
    }
    snprintf(january, sizeof january, "%s", PQgetvalue(result, 0, 0));
    snprintf(march, sizeof march, "%s", PQgetvalue(result, 0, 1));
    snprintf(june, sizeof june, "%s", PQgetvalue(result, 0, 2));
    snprintf(today, sizeof today, "%s", PQgetvalue(result, 0, 3));
    snprintf(tomorrow, sizeof tomorrow, "%s", PQgetvalue(result, 0, 4));
    PQclear(result);
    unit(DISTRICT, SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT, "四方区", "");
    unit(STREET_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "兴隆路街道", DISTRICT);
    unit(STREET_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "四方街道", DISTRICT);
    unit(COMMUNITY_1, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "杭州路社区", STREET_1);
    unit(COMMUNITY_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "嘉定路社区", STREET_2);
    const sf_test_grant_t street_1_grant[] = { { "street_staff", STREET_1, STREET_1, "*" } };
    const sf_test_grant_t street_2_grant[] = { { "street_staff", STREET_2, STREET_2, "*" } };
    const sf_test_grant_t community_grant[] = { { "community_staff", COMMUNITY_1, COMMUNITY_1, "*" } };
    street_1_staff = person("S00901", street_1_grant, 1);
    street_2_staff = person("S00902", street_2_grant, 1);
    community_1_staff = person("S00903", community_grant, 1);
    if (!SF_CHECK(street_1_staff && street_2_staff && community_1_staff))
        goto cleanup;
    seat("刘建国", COMMUNITY_1, seats[0]);
    seat("陈秀兰", COMMUNITY_1, seats[1]);
    test_members();
    test_meetings();
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
