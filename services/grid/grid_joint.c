/* The joint mechanisms' member units (五方联席会: the community's party
 * organisation, residents' committee, property management company, owners'
 * committee, resident units; 街道党建联席会议: the street's party working
 * committee, resident units and departments), who represents each, and their
 * attendance at the mechanism's meetings. A meeting is grid_attendance.c's:
 * a joint meeting names every member unit of its mechanism that was a
 * member on the day held (joined by then, not yet left), each attended (and
 * who came), absent with leave or without; the rates are counted per member
 * unit, per mechanism, per community or street holding it and per kind of
 * member. */
#include "grid.h"
#include "sf_dates.h"
#include "sf_row.h"
#include <string.h>

#define MECHANISM(name) SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_##name
#define STATUS(name) SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_##name
#define KIND_FIRST SIFANG__V1__JOINT_MEMBER_KIND__JOINT_MEMBER_KIND_PARTY_ORGANISATION
#define KIND_LAST SIFANG__V1__JOINT_MEMBER_KIND__JOINT_MEMBER_KIND_OTHER
#define MEMBER_NAME_MAX 100
#define PERSON_MAX 50
#define NOTE_MAX 200
/* Today anywhere (grid keeps no time zone of its own). */
#define TODAY_ANYWHERE "(now() AT TIME ZONE 'Etc/GMT-14')::date"

#define MEMBER_COLUMNS \
    "j.serial, j.unit_code, j.mechanism, j.kind, j.name, j.representative, j.representative_post," \
    " j.left_on IS NULL, to_char(j.joined_on, 'YYYY-MM-DD'), COALESCE(to_char(j.left_on, 'YYYY-MM-DD'), '')," \
    " u.name, " GRID_MS("j.updated_at") " AS member_updated"
#define MEMBER_SELECT "SELECT " MEMBER_COLUMNS " FROM joint_member j JOIN org_unit u ON u.code = j.unit_code"

static Sifang__V1__JointMember *
member_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__JointMember *member = (Sifang__V1__JointMember *)
        sf_call_new_message(call, &sifang__v1__joint_member__descriptor);
    member->id = grid_work_id(call, GRID_ID_JOINT_MEMBER, sf_db_int(result, row, 0));
    int next = sf_row_read(result, row, 1, &member->base,
                           "unit_code mechanism kind name representative representative_post active joined_on left_on"
                           " unit_name updated_unix_ms");
    return grid_columns_end(call, result, next, "member_updated") ? member : NULL;
}

static bool
date_valid(const char *text)
{
    int32_t day;
    return sf_date_parse(text, &day);
}

/* The unit a mechanism is held by, as its meetings are recorded: a
 * street's joint meeting by the street, the others by a community. */
static bool
holder_fits(int mechanism, const char *unit_code)
{
    return sf_code_of_length(unit_code, mechanism == MECHANISM(STREET_JOINT) ? SF_CODE_STREET_LENGTH
                                                                             : SF_CODE_COMMUNITY_LENGTH);
}

static void
check_member(sf_call_t *call, const Sifang__V1__JointMember *member, bool creating)
{
    if (creating) {
        if (member->mechanism < MECHANISM(FIVE_PARTY) || member->mechanism > MECHANISM(OTHER_JOINT))
            sf_call_violation(call, "mechanism", "must be FIVE_PARTY, STREET_JOINT or OTHER_JOINT");
        else if (!holder_fits(member->mechanism, member->unit_code))
            sf_call_violation(call, "unit_code", member->mechanism == MECHANISM(STREET_JOINT)
                              ? "must be a street code (9 digits) for a street joint meeting"
                              : "must be a community code (12 digits)");
        if (!member->active)
            sf_call_violation(call, "active", "a unit joins as a member (true); say it left by updating it");
    }
    if (member->kind < KIND_FIRST || member->kind > KIND_LAST)
        sf_call_violation(call, "kind", "must be one of JointMemberKind's kinds");
    sf_call_check_text(call, "name", member->name, MEMBER_NAME_MAX, true);
    sf_call_check_text(call, "representative", member->representative, PERSON_MAX, true);
    sf_call_check_text(call, "representative_post", member->representative_post, PERSON_MAX, false);
    if (!date_valid(member->joined_on))
        sf_call_violation(call, "joined_on", "must be a date written YYYY-MM-DD");
    if (member->active && *member->left_on)
        sf_call_violation(call, "left_on", "is only for a unit that left (active false)");
    else if (!member->active && !date_valid(member->left_on))
        sf_call_violation(call, "left_on", "must be the day it left, written YYYY-MM-DD");
    if (*member->unit_name || member->updated_unix_ms)
        sf_call_violation(call, "unit_name", "names and times are given by grid; leave them empty");
}

static sf_status_t
member_reply(sf_call_t *call, int64_t serial, ProtobufCMessage **reply_p)
{
    PGresult *result = sf_call_query(call, MEMBER_SELECT " WHERE j.serial = $1", SF_PARAMS(serial));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__JointMember *saved = member_from_row(call, result, 0);
    if (!saved)
        return sf_call_status(call);
    return sf_call_emit_reply(call, reply_p, "joint_member.saved", saved->id, &saved->base);
}

/* JointMemberSet: without an id a unit joins the mechanism; with one, the
 * member is updated (its name, kind, representative, or that it left or
 * came back); the holder and the mechanism stay as created. */
sf_status_t
grid_joint_member_set(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__JointMember *member = (const Sifang__V1__JointMember *) request;
    bool creating = !*member->id;
    int64_t serial = 0;
    if (!creating && !sf_serial_id_parse(member->id, GRID_ID_JOINT_MEMBER, &serial))
        sf_call_violation(call, "id", "must be a member id like J000012, or empty for a new member");
    check_member(call, member, creating);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const char *unit_code = member->unit_code;
    int mechanism = (int) member->mechanism;
    if (!creating) {
        PGresult *stored = sf_call_query(call,
            "SELECT unit_code, mechanism FROM joint_member WHERE serial = $1 FOR UPDATE", SF_PARAMS(serial));
        if (!stored)
            return sf_call_status(call);
        if (PQntuples(stored) != 1)
            return sf_call_refuse(call, SF_NOT_FOUND, "id", "no member %s", member->id);
        unit_code = sf_db_text(stored, 0, 0);
        if (*member->unit_code && strcmp(member->unit_code, unit_code) != 0)
            sf_call_violation(call, "unit_code", "is fixed once created (%s)", unit_code);
        if (member->mechanism && (int) member->mechanism != (int) sf_db_int(stored, 0, 1))
            sf_call_violation(call, "mechanism", "is fixed once created");
        mechanism = (int) sf_db_int(stored, 0, 1);
        if (sf_call_has_violations(call))
            return sf_call_status(call);
    }
    PGresult *facts = sf_call_query(call,
        "SELECT (SELECT kind FROM org_unit WHERE code = $1), $2::date > " TODAY_ANYWHERE ","
        " COALESCE(NULLIF($3, '')::date > " TODAY_ANYWHERE " OR NULLIF($3, '')::date < $2::date, false),"
        " (SELECT serial FROM joint_member WHERE unit_code = $1 AND mechanism = $4 AND name = $5 AND serial <> $6)",
        SF_PARAMS(unit_code, member->joined_on, member->left_on, mechanism, member->name, serial));
    if (!facts)
        return sf_call_status(call);
    if (sf_db_is_null(facts, 0, 0))
        return sf_call_refuse(call, SF_NOT_FOUND, "unit_code", "no community or street %s", unit_code);
    if (!sf_call_may_write(call, unit_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "%s lies outside where you may write", unit_code);
    if (sf_db_bool(facts, 0, 1))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "joined_on", "is after today");
    if (sf_db_bool(facts, 0, 2))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "left_on", "must lie between the day it joined and today");
    if (!sf_db_is_null(facts, 0, 3))
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "name", "%s is already a member (%s)", member->name,
                              grid_work_id(call, GRID_ID_JOINT_MEMBER, sf_db_int(facts, 0, 3)));
    sf_params_t *params = SF_PARAMS(unit_code, mechanism, (int) member->kind, member->name, member->representative,
                                    member->representative_post, member->joined_on,
                                    sf_param_text_or_null(member->left_on));
    if (!creating)
        SF_PARAMS_ADD(params, serial);
    PGresult *saved = creating
        ? sf_call_query(call,
            "INSERT INTO joint_member (unit_code, mechanism, kind, name, representative, representative_post, joined_on,"
            " left_on) VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8::date) RETURNING serial", params)
        : sf_call_query(call,
            "UPDATE joint_member SET kind = $3, name = $4, representative = $5, representative_post = $6,"
            " joined_on = $7::date, left_on = $8::date, updated_at = now()"
            " WHERE serial = $9 AND unit_code = $1 AND mechanism = $2 RETURNING serial", params);
    if (!saved)
        return sf_call_status(call);
    return member_reply(call, sf_db_int(saved, 0, 0), reply_p);
}

sf_status_t
grid_joint_member_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__JointMemberListRequest *list = (const Sifang__V1__JointMemberListRequest *) request;
    Sifang__V1__JointMemberListReply *reply = (Sifang__V1__JointMemberListReply *)
        sf_call_new_message(call, &sifang__v1__joint_member_list_reply__descriptor);
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (list->mechanism && (list->mechanism < MECHANISM(FIVE_PARTY) || list->mechanism > MECHANISM(OTHER_JOINT)))
        sf_call_violation(call, "mechanism", "must be FIVE_PARTY, STREET_JOINT, OTHER_JOINT or none");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    sf_query_t query;
    sf_query_init(&query, call, MEMBER_SELECT);
    sf_query_subtree(&query, "j.unit_code", prefix);
    if (list->mechanism)
        sf_query_where(&query, "j.mechanism = $%d", sf_query_int(&query, list->mechanism));
    if (!list->include_left)
        sf_query_where(&query, "j.left_on IS NULL");
    sf_query_keyset_newest(&query, &page, "j.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->members = sf_call_new_array(call, (size_t) rows, sizeof *reply->members);
    for (int row = 0; row < rows; row++)
        if (!(reply->members[reply->n_members++] = member_from_row(call, result, row)))
            return sf_call_status(call);
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    return SF_OK;
}

/* --- a meeting's member units (for grid_attendance.c) ----------------------------------- */

void
grid_joint_check_entries(sf_call_t *call, const Sifang__V1__MeetingAttendance *attendance, int64_t *members)
{
    if (attendance->mechanism == MECHANISM(PART_TIME_COMMITTEE) && attendance->n_member_units) {
        sf_call_violation(call, "member_units", "are for a joint mechanism's meeting, not the part-time committee's");
        return;
    }
    if (attendance->n_member_units > GRID_JOINT_MEMBERS_MAX) {
        sf_call_violation(call, "member_units", "at most %d", GRID_JOINT_MEMBERS_MAX);
        return;
    }
    for (size_t i = 0; i < attendance->n_member_units; i++) {
        const Sifang__V1__MeetingMemberEntry *entry = attendance->member_units[i];
        const char *field = sf_call_printf(call, "member_units[%zu]", i);
        if (!sf_serial_id_parse(entry->member_id, GRID_ID_JOINT_MEMBER, &members[i]))
            sf_call_violation(call, sf_call_printf(call, "%s.member_id", field), "must be a member id like J000012");
        else
            for (size_t j = 0; j < i; j++)
                if (members[j] == members[i])
                    sf_call_violation(call, sf_call_printf(call, "%s.member_id", field), "is given twice");
        if (entry->status < STATUS(ATTENDED) || entry->status > STATUS(ABSENT_WITHOUT_LEAVE))
            sf_call_violation(call, sf_call_printf(call, "%s.status", field),
                              "must be ATTENDED, ABSENT_WITH_LEAVE or ABSENT_WITHOUT_LEAVE");
        sf_call_check_text(call, sf_call_printf(call, "%s.representative", field), entry->representative,
                           PERSON_MAX, false);
        if (*entry->representative && entry->status != STATUS(ATTENDED))
            sf_call_violation(call, sf_call_printf(call, "%s.representative", field),
                              "names who came: only for a unit that attended");
        sf_call_check_note(call, sf_call_printf(call, "%s.note", field), entry->note, NOTE_MAX, false);
        if (*entry->member_name || entry->kind || entry->substitute)
            sf_call_violation(call, sf_call_printf(call, "%s.member_name", field),
                              "names, kinds and substitutes are given by grid; leave them empty");
    }
}

int
grid_joint_expected(sf_call_t *call, const Sifang__V1__MeetingAttendance *attendance, const int64_t *members,
                    grid_joint_came_t *came)
{
    if (attendance->mechanism == MECHANISM(PART_TIME_COMMITTEE))
        return 0;
    PGresult *expected = sf_call_query(call,
        "SELECT serial, name, representative FROM joint_member"
        " WHERE unit_code = $1 AND mechanism = $2 AND joined_on <= $3::date AND (left_on IS NULL OR left_on > $3::date)"
        " ORDER BY serial", SF_PARAMS(attendance->unit_code, (int) attendance->mechanism, attendance->held_on));
    if (!expected)
        return -1;
    int n = PQntuples(expected);
    for (size_t i = 0; i < attendance->n_member_units; i++) {
        const Sifang__V1__MeetingMemberEntry *entry = attendance->member_units[i];
        int found = -1;
        for (int row = 0; row < n && found < 0; row++)
            if (sf_db_int(expected, row, 0) == members[i])
                found = row;
        if (found < 0) {
            sf_call_violation(call, sf_call_printf(call, "member_units[%zu].member_id", i),
                              "is no member of this meeting's mechanism at %s on %s", attendance->unit_code,
                              attendance->held_on);
            continue;
        }
        const char *representative = sf_db_text(expected, found, 2);
        bool attended = entry->status == STATUS(ATTENDED);
        came[i].representative = !attended ? "" : *entry->representative ? entry->representative : representative;
        came[i].substitute = attended && strcmp(came[i].representative, representative) != 0;
    }
    for (int row = 0; row < n; row++) {
        bool named = false;
        for (size_t i = 0; i < attendance->n_member_units && !named; i++)
            named = members[i] == sf_db_int(expected, row, 0);
        if (!named)
            sf_call_violation(call, "member_units", "leaves out %s (%s)",
                              grid_work_id(call, GRID_ID_JOINT_MEMBER, sf_db_int(expected, row, 0)),
                              sf_db_text(expected, row, 1));
    }
    return n;
}

sf_status_t
grid_joint_units_insert(sf_call_t *call, int64_t attendance_serial, const Sifang__V1__MeetingAttendance *attendance,
                        const int64_t *members, const grid_joint_came_t *came)
{
    if (attendance->n_member_units == 0)
        return SF_OK;
    sf_pgarray_t member_list, status_list, came_list, substitute_list, note_list;
    sf_pgarray_init(&member_list);
    sf_pgarray_init(&status_list);
    sf_pgarray_init(&came_list);
    sf_pgarray_init(&substitute_list);
    sf_pgarray_init(&note_list);
    for (size_t i = 0; i < attendance->n_member_units; i++) {
        sf_pgarray_add_int(&member_list, members[i]);
        sf_pgarray_add_int(&status_list, attendance->member_units[i]->status);
        sf_pgarray_add_text(&came_list, came[i].representative);
        sf_pgarray_add_text(&substitute_list, came[i].substitute ? "true" : "false");
        sf_pgarray_add_text(&note_list, attendance->member_units[i]->note);
    }
    sf_params_t *params = SF_PARAMS(attendance_serial, sf_call_strdup(call, sf_pgarray_text(&member_list)),
                                    sf_call_strdup(call, sf_pgarray_text(&status_list)),
                                    sf_call_strdup(call, sf_pgarray_text(&came_list)),
                                    sf_call_strdup(call, sf_pgarray_text(&substitute_list)),
                                    sf_call_strdup(call, sf_pgarray_text(&note_list)));
    sf_pgarray_release(&member_list);
    sf_pgarray_release(&status_list);
    sf_pgarray_release(&came_list);
    sf_pgarray_release(&substitute_list);
    sf_pgarray_release(&note_list);
    if (!sf_call_query(call,
            "INSERT INTO meeting_member_unit (attendance_serial, member_serial, status, representative, substitute, note)"
            " SELECT $1, m, s, r, b, n FROM unnest($2::bigint[], $3::smallint[], $4::text[], $5::boolean[], $6::text[])"
            " AS x(m, s, r, b, n)", params))
        return sf_call_status(call);
    return SF_OK;
}

sf_status_t
grid_joint_units_read(sf_call_t *call, Sifang__V1__MeetingAttendance **attendances, const int64_t *serials, size_t n)
{
    if (n == 0)
        return SF_OK;
    sf_pgarray_t list;
    sf_pgarray_init(&list);
    for (size_t i = 0; i < n; i++)
        sf_pgarray_add_int(&list, serials[i]);
    sf_params_t *params = SF_PARAMS(sf_call_strdup(call, sf_pgarray_text(&list)));
    sf_pgarray_release(&list);
    PGresult *result = sf_call_query(call,
        "SELECT m.attendance_serial, m.member_serial, m.status, m.representative, m.note, j.name, j.kind, m.substitute"
        " FROM meeting_member_unit m JOIN joint_member j ON j.serial = m.member_serial"
        " WHERE m.attendance_serial = ANY($1::bigint[]) ORDER BY m.attendance_serial, m.member_serial", params);
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    for (size_t i = 0; i < n; i++)
        attendances[i]->member_units = sf_call_new_array(call, (size_t) rows, sizeof *attendances[i]->member_units);
    for (int row = 0; row < rows; row++) {
        int64_t serial = sf_db_int(result, row, 0);
        for (size_t i = 0; i < n; i++) {
            if (serials[i] != serial)
                continue;
            Sifang__V1__MeetingMemberEntry *entry = (Sifang__V1__MeetingMemberEntry *)
                sf_call_new_message(call, &sifang__v1__meeting_member_entry__descriptor);
            entry->member_id = grid_work_id(call, GRID_ID_JOINT_MEMBER, sf_db_int(result, row, 1));
            sf_row_read(result, row, 2, &entry->base, "status representative note member_name kind substitute");
            attendances[i]->member_units[attendances[i]->n_member_units++] = entry;
            break;
        }
    }
    return SF_OK;
}

/* --- the rates ------------------------------------------------------------------------ */

/* The name of value in an enum, for a rate's key. */
static const char *
enum_name(const ProtobufCEnumDescriptor *descriptor, int value)
{
    const ProtobufCEnumValue *found = protobuf_c_enum_descriptor_get_value(descriptor, value);
    return found ? found->name : "";
}

typedef enum { KEY_AS_IS, KEY_MEMBER, KEY_MECHANISM, KEY_KIND } rate_key_t;

/* A group's counts (key, name, expected, attended, leave, without) as a rate. */
static Sifang__V1__MeetingAttendanceRate *
rate_from_row(sf_call_t *call, const PGresult *result, int row, rate_key_t key)
{
    Sifang__V1__MeetingAttendanceRate *rate = (Sifang__V1__MeetingAttendanceRate *)
        sf_call_new_message(call, &sifang__v1__meeting_attendance_rate__descriptor);
    sf_row_read(result, row, 1, &rate->base, "name expected attended absent_with_leave absent_without_leave");
    int64_t number = key == KEY_AS_IS ? 0 : sf_db_int(result, row, 0);
    rate->key = key == KEY_MEMBER ? grid_work_id(call, GRID_ID_JOINT_MEMBER, number)
              : key == KEY_MECHANISM ? (char *) enum_name(&sifang__v1__meeting_attendance_mechanism__descriptor, (int) number)
              : key == KEY_KIND ? (char *) enum_name(&sifang__v1__joint_member_kind__descriptor, (int) number)
              : sf_call_strdup(call, sf_db_text(result, row, 0));
    rate->rate = rate->expected ? (double) rate->attended / rate->expected : 0;
    return rate;
}

static Sifang__V1__MeetingAttendanceRate **
rates_of(sf_call_t *call, const PGresult *result, rate_key_t key, size_t *n)
{
    int rows = PQntuples(result);
    Sifang__V1__MeetingAttendanceRate **rates = sf_call_new_array(call, (size_t) rows, sizeof *rates);
    for (int row = 0; row < rows; row++)
        rates[row] = rate_from_row(call, result, row, key);
    *n = (size_t) rows;
    return rates;
}

sf_status_t
grid_joint_attendance_rates(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__JointAttendanceRatesRequest *ask = (const Sifang__V1__JointAttendanceRatesRequest *) request;
    Sifang__V1__JointAttendanceRatesReply *reply = (Sifang__V1__JointAttendanceRatesReply *)
        sf_call_new_message(call, &sifang__v1__joint_attendance_rates_reply__descriptor);
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", ask->under, &prefix);
    if (ask->mechanism && (ask->mechanism < MECHANISM(FIVE_PARTY) || ask->mechanism > MECHANISM(OTHER_JOINT)))
        sf_call_violation(call, "mechanism", "must be FIVE_PARTY, STREET_JOINT, OTHER_JOINT or none");
    if (*ask->held_from && !date_valid(ask->held_from))
        sf_call_violation(call, "held_from", "must be a date written YYYY-MM-DD");
    if (*ask->held_to && !date_valid(ask->held_to))
        sf_call_violation(call, "held_to", "must be a date written YYYY-MM-DD");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    const char *under = prefix ? prefix : "";
    /* $1 the subtree of the meetings' holders, $2 the mechanism (0 any),
     * $3 and $4 the period ('' for open). */
    sf_params_t *params = SF_PARAMS(under, (int) ask->mechanism, ask->held_from, ask->held_to);
#define COUNTS \
    " count(*)::int, count(*) FILTER (WHERE m.status = 1)::int, count(*) FILTER (WHERE m.status = 2)::int," \
    " count(*) FILTER (WHERE m.status = 3)::int"
#define FROM \
    " FROM meeting_member_unit m JOIN meeting_attendance a ON a.serial = m.attendance_serial" \
    " JOIN joint_member j ON j.serial = m.member_serial JOIN org_unit u ON u.code = a.unit_code" \
    " WHERE a.unit_code >= $1 AND a.unit_code < $1 || ':' AND ($2 = 0 OR a.mechanism = $2)" \
    " AND ($3 = '' OR a.held_on >= $3::date) AND ($4 = '' OR a.held_on <= $4::date)"
    PGresult *total = sf_call_query(call, "SELECT $1::text, ''::text," COUNTS FROM, params);
    PGresult *members = total ? sf_call_query(call,
        "SELECT j.serial, j.name," COUNTS FROM " GROUP BY j.serial, j.name ORDER BY j.serial", params) : NULL;
    PGresult *mechanisms = members ? sf_call_query(call,
        "SELECT a.mechanism, ''::text," COUNTS FROM " GROUP BY a.mechanism ORDER BY a.mechanism", params) : NULL;
    PGresult *units = mechanisms ? sf_call_query(call,
        "SELECT a.unit_code, u.name," COUNTS FROM " GROUP BY a.unit_code, u.name ORDER BY a.unit_code", params) : NULL;
    PGresult *kinds = units ? sf_call_query(call,
        "SELECT j.kind, ''::text," COUNTS FROM " GROUP BY j.kind ORDER BY j.kind", params) : NULL;
#undef FROM
#undef COUNTS
    if (!kinds)
        return sf_call_status(call);
    reply->total = rate_from_row(call, total, 0, KEY_AS_IS);
    reply->members = rates_of(call, members, KEY_MEMBER, &reply->n_members);
    reply->mechanisms = rates_of(call, mechanisms, KEY_MECHANISM, &reply->n_mechanisms);
    reply->units = rates_of(call, units, KEY_AS_IS, &reply->n_units);
    reply->kinds = rates_of(call, kinds, KEY_KIND, &reply->n_kinds);
    return SF_OK;
}
