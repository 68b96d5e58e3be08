/* Meeting attendance of part-time committee members (兼职委员) at their
 * community's meetings and the joint mechanisms (五方联席会, 街道党建联席会议):
 * who was expected is the part-time committee seats (responsibilities of
 * kind PART_TIME_COMMITTEE) under the unit that held the meeting, as grid
 * knows them when the attendance is recorded; the record names every one of
 * them, no more, each attended, absent with leave or absent without; and
 * the rates per person and per community of the seats. The seats are
 * grid's, so attendance is kept here; a meeting that intake recorded (its
 * matters followed as cases) is named by intake's id, as intake gave it.
 * A joint mechanism's meeting also names its member units (grid_joint.c). */
#include "grid.h"
#include "sf_dates.h"
#include "sf_row.h"
#include <string.h>

#define MECHANISM(name) SIFANG__V1__MEETING_ATTENDANCE_MECHANISM__MEETING_ATTENDANCE_MECHANISM_##name
#define STATUS(name) SIFANG__V1__MEETING_ATTENDANCE_STATUS__MEETING_ATTENDANCE_STATUS_##name
#define ATTENDEES_MAX 200
#define TITLE_MAX 100
#define NOTE_MAX 200
#define SEAT_KIND SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_PART_TIME_COMMITTEE
/* Today anywhere (grid keeps no time zone of its own). */
#define TODAY_ANYWHERE "(now() AT TIME ZONE 'Etc/GMT-14')::date"

#define ATTENDANCE_COLUMNS \
    "a.serial, a.unit_code, a.mechanism, a.title, to_char(a.held_on, 'YYYY-MM-DD'), a.intake_meeting_id, u.name," \
    " (SELECT count(*) FROM meeting_attendee m WHERE m.attendance_serial = a.serial)," \
    " (SELECT count(*) FROM meeting_attendee m WHERE m.attendance_serial = a.serial AND m.status = 1)," \
    " (SELECT count(*) FROM meeting_attendee m WHERE m.attendance_serial = a.serial AND m.status = 2)," \
    " (SELECT count(*) FROM meeting_attendee m WHERE m.attendance_serial = a.serial AND m.status = 3)," \
    " (SELECT count(*) FROM meeting_member_unit m WHERE m.attendance_serial = a.serial)," \
    " (SELECT count(*) FROM meeting_member_unit m WHERE m.attendance_serial = a.serial AND m.status = 1)," \
    " (SELECT count(*) FROM meeting_member_unit m WHERE m.attendance_serial = a.serial AND m.status = 2)," \
    " (SELECT count(*) FROM meeting_member_unit m WHERE m.attendance_serial = a.serial AND m.status = 3)," \
    " a.recorded_by, " GRID_MS("a.recorded_at") " AS attendance_recorded"
#define ATTENDANCE_SELECT \
    "SELECT " ATTENDANCE_COLUMNS " FROM meeting_attendance a JOIN org_unit u ON u.code = a.unit_code"

static Sifang__V1__MeetingAttendance *
attendance_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__MeetingAttendance *attendance = (Sifang__V1__MeetingAttendance *)
        sf_call_new_message(call, &sifang__v1__meeting_attendance__descriptor);
    attendance->id = grid_work_id(call, GRID_ID_MEETING_ATTENDANCE, sf_db_int(result, row, 0));
    int next = sf_row_read(result, row, 1, &attendance->base,
                           "unit_code mechanism title held_on intake_meeting_id unit_name expected attended"
                           " absent_with_leave absent_without_leave units_expected units_attended"
                           " units_absent_with_leave units_absent_without_leave recorded_by recorded_unix_ms");
    return grid_columns_end(call, result, next, "attendance_recorded") ? attendance : NULL;
}

/* The attendees of the n attendances (serials in order), each list ordered
 * by the member's staff id. */
static sf_status_t
attendees_read(sf_call_t *call, Sifang__V1__MeetingAttendance **attendances, const int64_t *serials, size_t n)
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
        "SELECT m.attendance_serial, m.staff_serial, m.status, m.note, s.name, s.employer, m.seat_code"
        " FROM meeting_attendee m JOIN staff s ON s.serial = m.staff_serial"
        " WHERE m.attendance_serial = ANY($1::bigint[]) ORDER BY m.attendance_serial, m.staff_serial", params);
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    for (size_t i = 0; i < n; i++)
        attendances[i]->attendees = sf_call_new_array(call, (size_t) rows, sizeof *attendances[i]->attendees);
    for (int row = 0; row < rows; row++) {
        int64_t serial = sf_db_int(result, row, 0);
        for (size_t i = 0; i < n; i++) {
            if (serials[i] != serial)
                continue;
            Sifang__V1__MeetingAttendanceEntry *entry = (Sifang__V1__MeetingAttendanceEntry *)
                sf_call_new_message(call, &sifang__v1__meeting_attendance_entry__descriptor);
            entry->staff_id = grid_staff_id(call, sf_db_int(result, row, 1));
            sf_row_read(result, row, 2, &entry->base, "status note staff_name employer seat_code");
            attendances[i]->attendees[attendances[i]->n_attendees++] = entry;
            break;
        }
    }
    return SF_OK;
}

static bool
date_valid(const char *text)
{
    int32_t day;
    return sf_date_parse(text, &day);
}

static void
check_attendance(sf_call_t *call, const Sifang__V1__MeetingAttendance *attendance, int64_t *staff)
{
    if (*attendance->id)
        sf_call_violation(call, "id", "is given by grid; leave it empty");
    if (attendance->mechanism < MECHANISM(PART_TIME_COMMITTEE) || attendance->mechanism > MECHANISM(OTHER_JOINT))
        sf_call_violation(call, "mechanism", "must be PART_TIME_COMMITTEE, FIVE_PARTY, STREET_JOINT or OTHER_JOINT");
    else if (attendance->mechanism == MECHANISM(STREET_JOINT)
             ? !sf_code_of_length(attendance->unit_code, SF_CODE_STREET_LENGTH)
             : !sf_code_of_length(attendance->unit_code, SF_CODE_COMMUNITY_LENGTH))
        sf_call_violation(call, "unit_code", attendance->mechanism == MECHANISM(STREET_JOINT)
                          ? "must be a street code (9 digits) for a street joint meeting"
                          : "must be a community code (12 digits)");
    sf_call_check_text(call, "title", attendance->title, TITLE_MAX, true);
    if (!date_valid(attendance->held_on))
        sf_call_violation(call, "held_on", "must be a date written YYYY-MM-DD");
    if (attendance->intake_meeting_id < 0)
        sf_call_violation(call, "intake_meeting_id", "must be intake's meeting id, or 0");
    if (*attendance->unit_name || attendance->expected || attendance->attended || attendance->absent_with_leave
        || attendance->absent_without_leave || *attendance->recorded_by || attendance->recorded_unix_ms
        || attendance->units_expected || attendance->units_attended || attendance->units_absent_with_leave
        || attendance->units_absent_without_leave)
        sf_call_violation(call, "expected", "names, counts and times are given by grid; leave them empty");
    /* A joint meeting may expect member units alone (a street without
     * part-time seats); what it must name is said once the seats and the
     * members are known. */
    if (attendance->n_attendees == 0 && attendance->mechanism == MECHANISM(PART_TIME_COMMITTEE))
        sf_call_violation(call, "attendees", "is required: every part-time committee seat under the unit");
    if (attendance->n_attendees > ATTENDEES_MAX) {
        sf_call_violation(call, "attendees", "at most %d", ATTENDEES_MAX);
        return;
    }
    for (size_t i = 0; i < attendance->n_attendees; i++) {
        const Sifang__V1__MeetingAttendanceEntry *entry = attendance->attendees[i];
        if (!sf_serial_id_parse(entry->staff_id, 'S', &staff[i]))
            sf_call_violation(call, sf_call_printf(call, "attendees[%zu].staff_id", i), "must be a staff id like S00042");
        else
            for (size_t j = 0; j < i; j++)
                if (staff[j] == staff[i])
                    sf_call_violation(call, sf_call_printf(call, "attendees[%zu].staff_id", i), "is given twice");
        if (entry->status < STATUS(ATTENDED) || entry->status > STATUS(ABSENT_WITHOUT_LEAVE))
            sf_call_violation(call, sf_call_printf(call, "attendees[%zu].status", i),
                              "must be ATTENDED, ABSENT_WITH_LEAVE or ABSENT_WITHOUT_LEAVE");
        sf_call_check_note(call, sf_call_printf(call, "attendees[%zu].note", i), entry->note, NOTE_MAX, false);
        if (*entry->staff_name || *entry->employer || *entry->seat_code)
            sf_call_violation(call, sf_call_printf(call, "attendees[%zu].staff_name", i),
                              "names and seats are given by grid; leave them empty");
    }
}

sf_status_t
grid_meeting_attendance_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__MeetingAttendance *attendance = (const Sifang__V1__MeetingAttendance *) request;
    int64_t staff[ATTENDEES_MAX] = { 0 }, members[GRID_JOINT_MEMBERS_MAX] = { 0 };
    grid_joint_came_t came[GRID_JOINT_MEMBERS_MAX] = { { NULL, false } };
    check_attendance(call, attendance, staff);
    grid_joint_check_entries(call, attendance, members);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    bool street = attendance->mechanism == MECHANISM(STREET_JOINT);
    PGresult *facts = sf_call_query(call,
        "SELECT (SELECT kind FROM org_unit WHERE code = $1), $2::date > " TODAY_ANYWHERE ","
        " (SELECT serial FROM meeting_attendance WHERE intake_meeting_id = $3 AND $3 <> 0)",
        SF_PARAMS(attendance->unit_code, attendance->held_on, attendance->intake_meeting_id));
    if (!facts)
        return sf_call_status(call);
    if (sf_db_is_null(facts, 0, 0) || sf_db_int(facts, 0, 0) != (street ? 2 : 3))
        return sf_call_refuse(call, SF_NOT_FOUND, "unit_code", "no %s %s", street ? "street" : "community",
                              attendance->unit_code);
    if (!sf_call_may_write(call, attendance->unit_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "%s lies outside where you may write", attendance->unit_code);
    if (sf_db_bool(facts, 0, 1))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "held_on", "is after today");
    if (!sf_db_is_null(facts, 0, 2))
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "intake_meeting_id", "meeting %lld's attendance is %s",
                              (long long) attendance->intake_meeting_id,
                              grid_work_id(call, GRID_ID_MEETING_ATTENDANCE, sf_db_int(facts, 0, 2)));

    /* The seats expected: every member seated under the unit, once (a
     * member seated in two of a street's communities counts at the first). */
    PGresult *seats = sf_call_query(call,
        "SELECT DISTINCT ON (r.staff_serial) r.staff_serial, r.unit_code, s.name FROM responsibility r"
        " JOIN staff s ON s.serial = r.staff_serial"
        " WHERE r.kind = $1 AND r.unit_code >= $2 AND r.unit_code < $2 || ':'"
        " ORDER BY r.staff_serial, r.unit_code", SF_PARAMS((int) SEAT_KIND, attendance->unit_code));
    if (!seats)
        return sf_call_status(call);
    int n_seats = PQntuples(seats);
    int n_members = grid_joint_expected(call, attendance, members, came);
    if (n_members < 0)
        return sf_call_status(call);
    if (n_seats == 0 && n_members == 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "unit_code",
                              "%s has no part-time committee seats%s", attendance->unit_code,
                              attendance->mechanism == MECHANISM(PART_TIME_COMMITTEE) ? ""
                              : " nor member units of this mechanism");
    const char *seat_of[ATTENDEES_MAX] = { NULL };
    for (size_t i = 0; i < attendance->n_attendees; i++) {
        for (int row = 0; row < n_seats && !seat_of[i]; row++)
            if (sf_db_int(seats, row, 0) == staff[i])
                seat_of[i] = sf_db_text(seats, row, 1);
        if (!seat_of[i])
            sf_call_violation(call, sf_call_printf(call, "attendees[%zu].staff_id", i),
                              "holds no part-time committee seat under %s", attendance->unit_code);
    }
    for (int row = 0; row < n_seats; row++) {
        bool named = false;
        for (size_t i = 0; i < attendance->n_attendees && !named; i++)
            named = staff[i] == sf_db_int(seats, row, 0);
        if (!named)
            sf_call_violation(call, "attendees", "leaves out %s (%s), seated in %s",
                              grid_staff_id(call, sf_db_int(seats, row, 0)), sf_db_text(seats, row, 2),
                              sf_db_text(seats, row, 1));
    }
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    PGresult *inserted = sf_call_query(call,
        "INSERT INTO meeting_attendance (unit_code, mechanism, title, held_on, intake_meeting_id, recorded_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) RETURNING serial",
        SF_PARAMS(attendance->unit_code, (int) attendance->mechanism, attendance->title, attendance->held_on,
                  attendance->intake_meeting_id, sf_call_principal(call)->id));
    if (!inserted)
        return sf_call_status(call);
    int64_t serial = sf_db_int(inserted, 0, 0);
    sf_pgarray_t staff_list, seat_list, status_list, note_list;
    sf_pgarray_init(&staff_list);
    sf_pgarray_init(&seat_list);
    sf_pgarray_init(&status_list);
    sf_pgarray_init(&note_list);
    for (size_t i = 0; i < attendance->n_attendees; i++) {
        sf_pgarray_add_int(&staff_list, staff[i]);
        sf_pgarray_add_text(&seat_list, seat_of[i]);
        sf_pgarray_add_int(&status_list, attendance->attendees[i]->status);
        sf_pgarray_add_text(&note_list, attendance->attendees[i]->note);
    }
    sf_params_t *params = SF_PARAMS(serial, sf_call_strdup(call, sf_pgarray_text(&staff_list)),
                                    sf_call_strdup(call, sf_pgarray_text(&seat_list)),
                                    sf_call_strdup(call, sf_pgarray_text(&status_list)),
                                    sf_call_strdup(call, sf_pgarray_text(&note_list)));
    sf_pgarray_release(&staff_list);
    sf_pgarray_release(&seat_list);
    sf_pgarray_release(&status_list);
    sf_pgarray_release(&note_list);
    if (!sf_call_query(call,
            "INSERT INTO meeting_attendee (attendance_serial, staff_serial, seat_code, status, note)"
            " SELECT $1, s, c, t, n FROM unnest($2::bigint[], $3::text[], $4::smallint[], $5::text[]) AS x(s, c, t, n)",
            params))
        return sf_call_status(call);
    if (grid_joint_units_insert(call, serial, attendance, members, came) != SF_OK)
        return sf_call_status(call);
    PGresult *result = sf_call_query(call, ATTENDANCE_SELECT " WHERE a.serial = $1", SF_PARAMS(serial));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__MeetingAttendance *recorded = attendance_from_row(call, result, 0);
    sf_status_t status = recorded ? attendees_read(call, &recorded, &serial, 1) : sf_call_status(call);
    if (status == SF_OK)
        status = grid_joint_units_read(call, &recorded, &serial, 1);
    if (status != SF_OK)
        return status;
    return sf_call_emit_reply(call, reply_p, "meeting_attendance.recorded", recorded->id, &recorded->base);
}

static void
check_period(sf_call_t *call, const char *from, const char *to)
{
    if (*from && !date_valid(from))
        sf_call_violation(call, "held_from", "must be a date written YYYY-MM-DD");
    if (*to && !date_valid(to))
        sf_call_violation(call, "held_to", "must be a date written YYYY-MM-DD");
}

sf_status_t
grid_meeting_attendance_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__MeetingAttendanceListRequest *list = (const Sifang__V1__MeetingAttendanceListRequest *) request;
    Sifang__V1__MeetingAttendanceListReply *reply = (Sifang__V1__MeetingAttendanceListReply *)
        sf_call_new_message(call, &sifang__v1__meeting_attendance_list_reply__descriptor);
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    check_period(call, list->held_from, list->held_to);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    sf_query_t query;
    sf_query_init(&query, call, ATTENDANCE_SELECT);
    sf_query_subtree(&query, "a.unit_code", prefix);
    if (*list->held_from)
        sf_query_where(&query, "a.held_on >= $%d::date", sf_query_text(&query, list->held_from));
    if (*list->held_to)
        sf_query_where(&query, "a.held_on <= $%d::date", sf_query_text(&query, list->held_to));
    sf_query_keyset_newest(&query, &page, "a.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->attendances = sf_call_new_array(call, (size_t) rows, sizeof *reply->attendances);
    int64_t *serials = sf_call_new_array(call, (size_t) rows, sizeof *serials);
    for (int row = 0; row < rows; row++) {
        if (!(reply->attendances[row] = attendance_from_row(call, result, row)))
            return sf_call_status(call);
        serials[row] = sf_db_int(result, row, 0);
    }
    reply->n_attendances = (size_t) rows;
    sf_status_t status = attendees_read(call, reply->attendances, serials, (size_t) rows);
    if (status == SF_OK)
        status = grid_joint_units_read(call, reply->attendances, serials, (size_t) rows);
    if (status != SF_OK)
        return status;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}

/* The counts of a group's rows (key, name, expected, attended, leave,
 * without) as a rate. */
static Sifang__V1__MeetingAttendanceRate *
rate_from_row(sf_call_t *call, const PGresult *result, int row, bool staff_key)
{
    Sifang__V1__MeetingAttendanceRate *rate = (Sifang__V1__MeetingAttendanceRate *)
        sf_call_new_message(call, &sifang__v1__meeting_attendance_rate__descriptor);
    sf_row_read(result, row, 1, &rate->base, "key name expected attended absent_with_leave absent_without_leave");
    if (staff_key)
        rate->key = grid_staff_id(call, sf_db_int(result, row, 1));
    rate->rate = rate->expected ? (double) rate->attended / rate->expected : 0;
    return rate;
}

#define RATE_COUNTS \
    "count(*)::int, count(*) FILTER (WHERE m.status = 1)::int, count(*) FILTER (WHERE m.status = 2)::int," \
    " count(*) FILTER (WHERE m.status = 3)::int"

sf_status_t
grid_meeting_attendance_rates(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__MeetingAttendanceRatesRequest *ask = (const Sifang__V1__MeetingAttendanceRatesRequest *) request;
    Sifang__V1__MeetingAttendanceRatesReply *reply = (Sifang__V1__MeetingAttendanceRatesReply *)
        sf_call_new_message(call, &sifang__v1__meeting_attendance_rates_reply__descriptor);
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", ask->under, &prefix);
    check_period(call, ask->held_from, ask->held_to);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    const char *under = prefix ? prefix : "";
    /* $1 the subtree of the seats, $2 and $3 the period ('' for open). */
    sf_params_t *params = SF_PARAMS(under, ask->held_from, ask->held_to);
#define RATES_FROM \
    " FROM meeting_attendee m JOIN meeting_attendance a ON a.serial = m.attendance_serial" \
    " JOIN staff s ON s.serial = m.staff_serial JOIN org_unit u ON u.code = m.seat_code" \
    " WHERE m.seat_code >= $1 AND m.seat_code < $1 || ':'" \
    " AND ($2 = '' OR a.held_on >= $2::date) AND ($3 = '' OR a.held_on <= $3::date)"
    PGresult *total = sf_call_query(call, "SELECT 0, $1::text, ''::text, " RATE_COUNTS RATES_FROM, params);
    PGresult *people = total ? sf_call_query(call,
        "SELECT 0, m.staff_serial, s.name, " RATE_COUNTS RATES_FROM
        " GROUP BY m.staff_serial, s.name ORDER BY m.staff_serial", params) : NULL;
    PGresult *communities = people ? sf_call_query(call,
        "SELECT 0, m.seat_code, u.name, " RATE_COUNTS RATES_FROM
        " GROUP BY m.seat_code, u.name ORDER BY m.seat_code", params) : NULL;
#undef RATES_FROM
    if (!communities)
        return sf_call_status(call);
    reply->total = rate_from_row(call, total, 0, false);
    int rows = PQntuples(people);
    reply->people = sf_call_new_array(call, (size_t) rows, sizeof *reply->people);
    for (int row = 0; row < rows; row++)
        reply->people[reply->n_people++] = rate_from_row(call, people, row, true);
    rows = PQntuples(communities);
    reply->communities = sf_call_new_array(call, (size_t) rows, sizeof *reply->communities);
    for (int row = 0; row < rows; row++)
        reply->communities[reply->n_communities++] = rate_from_row(call, communities, row, false);
    return SF_OK;
}
