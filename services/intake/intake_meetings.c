/* Community affairs: a resident council, party members' discussion day or
 * five-party joint meeting is recorded with the parties present, and each
 * matter it took up, with the meeting's resolution, becomes a case followed
 * like any other (its first responder the one who recorded the meeting). */
#include "intake.h"
#include "sf_row.h"
#include <stdio.h>
#include <string.h>

#define MATTERS_MAX 20
#define ATTENDEES_MAX 30
#define PARTY(name) SIFANG__V1__MEETING_PARTY__MEETING_PARTY_##name
#define KIND(name) SIFANG__V1__MEETING_KIND__MEETING_KIND_##name

#define MEETING_COLUMNS \
    "m.id, m.kind, m.community_code, to_char(m.held_on, 'YYYY-MM-DD'), m.title, m.attendee_party::text," \
    " m.attendee_name, m.attendee_people::text, m.recorded_by, " INTAKE_MS("m.recorded_at")

static bool
date_shape(const char *text)
{
    int year, month, day, used = 0;
    return text && strlen(text) == 10 && sscanf(text, "%4d-%2d-%2d%n", &year, &month, &day, &used) == 3
        && used == 10 && text[4] == '-' && text[7] == '-' && year >= 2020 && month >= 1 && month <= 12
        && day >= 1 && day <= 31;
}

/* Who must be present: a five-party meeting is the party organisation with
 * at least two of the other four; a council hears residents; a discussion
 * day is the party members'. */
static void
check_parties(sf_call_t *call, const Sifang__V1__CommunityMeeting *meeting)
{
    bool present[PARTY(PARTY_MEMBERS) + 1] = { false };
    for (size_t i = 0; i < meeting->n_attendees && i < ATTENDEES_MAX; i++) {
        const Sifang__V1__MeetingAttendee *attendee = meeting->attendees[i];
        if (attendee->party < PARTY(PARTY_ORGANISATION) || attendee->party > PARTY(PARTY_MEMBERS))
            sf_call_violation(call, sf_call_printf(call, "attendees[%zu].party", i), "is not a meeting party");
        else
            present[attendee->party] = true;
        sf_call_check_text(call, sf_call_printf(call, "attendees[%zu].name", i), attendee->name, 100, true);
        if (attendee->people < 0 || attendee->people > 10000)
            sf_call_violation(call, sf_call_printf(call, "attendees[%zu].people", i), "must be 0 to 10000");
    }
    if (sf_call_has_violations(call))
        return;
    if (meeting->kind == KIND(FIVE_PARTY)) {
        int others = present[PARTY(RESIDENTS_COMMITTEE)] + present[PARTY(OWNERS_COMMITTEE)]
                   + present[PARTY(PROPERTY_COMPANY)] + present[PARTY(RESIDENT_UNIT)];
        if (!present[PARTY(PARTY_ORGANISATION)] || others < 2)
            sf_call_violation(call, "attendees", "a five-party meeting needs the community party organisation and"
                              " at least two of the residents' committee, the owners' committee, the property"
                              " company and the resident units");
    } else if (meeting->kind == KIND(RESIDENT_COUNCIL) && !present[PARTY(RESIDENTS)])
        sf_call_violation(call, "attendees", "a resident council needs resident representatives present");
    else if (meeting->kind == KIND(PARTY_DISCUSSION_DAY) && !present[PARTY(PARTY_MEMBERS)])
        sf_call_violation(call, "attendees", "a party members' discussion day needs party members present");
    else if (meeting->kind == KIND(COMMUNITY_TALKS) && (!present[PARTY(RESIDENTS)] || !present[PARTY(RESIDENTS_COMMITTEE)]))
        sf_call_violation(call, "attendees", "community talks (社区恳谈会) need resident representatives and the"
                          " residents' committee present");
    else if (meeting->kind == KIND(PARTY_REP_STUDIO) && !present[PARTY(PARTY_MEMBERS)])
        sf_call_violation(call, "attendees", "a party representative studio (党代表工作室) needs the party"
                          " representatives (party members) present");
    else if (meeting->kind == KIND(STREET_JOINT)
             && (!present[PARTY(PARTY_ORGANISATION)] || !present[PARTY(RESIDENT_UNIT)]))
        sf_call_violation(call, "attendees", "a street joint meeting (街道党建联席会议) needs the party organisation"
                          " and the member units (resident units) present");
}

sf_status_t
intake_meeting_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CommunityMeeting *meeting = (const Sifang__V1__CommunityMeeting *) request;
    const intake_t *intake = sf_call_state(call);
    if (meeting->kind < KIND(RESIDENT_COUNCIL) || meeting->kind > KIND(STREET_JOINT))
        sf_call_violation(call, "kind", "must be resident council, party discussion day, five-party meeting,"
                          " community talks, party representative studio or street joint meeting");
    /* The street's joint meeting is the street's: its code stands where a
     * community's would. */
    bool street = meeting->kind == KIND(STREET_JOINT);
    size_t code_length = street ? INTAKE_STREET_CODE_LENGTH : INTAKE_COMMUNITY_CODE_LENGTH;
    if (!sf_code_digits(meeting->community_code) || strlen(meeting->community_code) != code_length)
        sf_call_violation(call, "community_code", street ? "must be a street code (9 digits) for a street joint meeting"
                                                         : "must be a community code (12 digits)");
    if (!date_shape(meeting->held_on))
        sf_call_violation(call, "held_on", "must be a date YYYY-MM-DD");
    sf_call_check_text(call, "title", meeting->title, 100, true);
    if (meeting->n_attendees == 0)
        sf_call_violation(call, "attendees", "is required: the parties present");
    else if (meeting->n_attendees > ATTENDEES_MAX)
        sf_call_violation(call, "attendees", "at most %d", ATTENDEES_MAX);
    else
        check_parties(call, meeting);
    if (meeting->n_matters == 0)
        sf_call_violation(call, "matters", "is required: what the meeting took up");
    else if (meeting->n_matters > MATTERS_MAX)
        sf_call_violation(call, "matters", "at most %d", MATTERS_MAX);
    for (size_t i = 0; i < meeting->n_matters && i < MATTERS_MAX; i++) {
        const Sifang__V1__MeetingMatter *matter = meeting->matters[i];
        sf_call_check_note(call, sf_call_printf(call, "matters[%zu].resolution", i), matter->resolution, 1000,
                           true);
        if (*matter->unit_code && strncmp(matter->unit_code, meeting->community_code,
                                          strlen(meeting->community_code)) != 0)
            sf_call_violation(call, sf_call_printf(call, "matters[%zu].unit_code", i),
                              "must lie in the meeting's community");
    }
    int64_t at_ms;
    const char *actor;
    intake_step_time(call, "imported", meeting->imported, &at_ms, &actor);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!sf_call_may_write(call, meeting->community_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "community %s lies outside where you may write",
                            meeting->community_code);

    sf_params_t *params = SF_PARAMS(meeting->community_code, meeting->held_on, intake->config.timezone);
    if (at_ms)
        sf_params_int(params, at_ms);
    else
        sf_params_null(params);
    sf_params_int(params, street ? SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET : SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY);
    PGresult *found = sf_call_query(call,
        "SELECT (SELECT name FROM ref_unit WHERE code = $1 AND kind = $5),"
        "       $2::date <= (coalesce(to_timestamp($4::bigint / 1000.0), now()) AT TIME ZONE $3)::date", params);
    if (!found)
        return sf_call_status(call);
    if (sf_db_is_null(found, 0, 0))
        return sf_call_refuse(call, SF_NOT_FOUND, "community_code", "no %s %s is known from grid",
                              street ? "street" : "community", meeting->community_code);
    if (!sf_db_bool(found, 0, 1))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "held_on", "must not be in the future");

    sf_pgarray_t parties, names, people;
    sf_pgarray_init(&parties);
    sf_pgarray_init(&names);
    sf_pgarray_init(&people);
    for (size_t i = 0; i < meeting->n_attendees; i++) {
        sf_pgarray_add_int(&parties, meeting->attendees[i]->party);
        sf_pgarray_add_text(&names, meeting->attendees[i]->name);
        sf_pgarray_add_int(&people, meeting->attendees[i]->people);
    }
    params = SF_PARAMS(meeting->kind, meeting->community_code, meeting->held_on, meeting->title,
                       sf_call_strdup(call, sf_pgarray_text(&parties)), sf_call_strdup(call, sf_pgarray_text(&names)),
                       sf_call_strdup(call, sf_pgarray_text(&people)), actor);
    if (at_ms)
        sf_params_int(params, at_ms);
    else
        sf_params_null(params);
    sf_pgarray_release(&parties);
    sf_pgarray_release(&names);
    sf_pgarray_release(&people);
    PGresult *inserted = sf_call_query(call,
        "INSERT INTO community_meeting AS m (kind, community_code, held_on, title, attendee_party, attendee_name,"
        "                                  attendee_people, recorded_by, recorded_at)"
        " VALUES ($1, $2, $3::date, $4, $5::smallint[], $6::text[], $7::int[], $8,"
        "         coalesce(to_timestamp($9::bigint / 1000.0), now()))"
        " RETURNING " MEETING_COLUMNS, params);
    if (!inserted)
        return sf_call_status(call);
    int64_t meeting_id = sf_db_int(inserted, 0, 0);

    /* Each matter is a community affair submitted like any case. */
    intake_submission_t submissions[MATTERS_MAX];
    for (size_t i = 0; i < meeting->n_matters; i++) {
        const Sifang__V1__MeetingMatter *matter = meeting->matters[i];
        Sifang__V1__CaseRequester *requester = (Sifang__V1__CaseRequester *)
            sf_call_new_message(call, &sifang__v1__case_requester__descriptor);
        requester->kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_COMMUNITY;
        requester->name = meeting->title;
        Sifang__V1__CaseSubmitRequest *submit = (Sifang__V1__CaseSubmitRequest *)
            sf_call_new_message(call, &sifang__v1__case_submit_request__descriptor);
        submit->channel = meeting->kind == KIND(RESIDENT_COUNCIL)
            ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_RESIDENT_COUNCIL
            : SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_COMMUNITY_MEETING;
        submit->item_code = *matter->item_code ? matter->item_code : "community-affairs";
        submit->requester = requester;
        submit->unit_code = *matter->unit_code ? matter->unit_code : meeting->community_code;
        submit->description = matter->description;
        submit->imported = meeting->imported;
        submissions[i] = (intake_submission_t) {
            .call = call, .request = submit, .field_prefix = sf_call_printf(call, "matters[%zu].", i),
            .meeting_id = meeting_id,
        };
    }
    sf_status_t status = intake_submit_run(submissions, meeting->n_matters);
    if (status == SF_OK && sf_call_status(call) != SF_OK)
        status = sf_call_status(call);
    if (status != SF_OK)
        return status;

    sf_pgarray_t positions, descriptions, resolutions, cases;
    sf_pgarray_init(&positions);
    sf_pgarray_init(&descriptions);
    sf_pgarray_init(&resolutions);
    sf_pgarray_init(&cases);
    for (size_t i = 0; i < meeting->n_matters; i++) {
        sf_pgarray_add_int(&positions, (int64_t) i + 1);
        sf_pgarray_add_text(&descriptions, meeting->matters[i]->description);
        sf_pgarray_add_text(&resolutions, meeting->matters[i]->resolution);
        sf_pgarray_add_int(&cases, submissions[i].the_case->id);
    }
    params = SF_PARAMS(meeting_id, sf_call_strdup(call, sf_pgarray_text(&positions)),
                       sf_call_strdup(call, sf_pgarray_text(&descriptions)),
                       sf_call_strdup(call, sf_pgarray_text(&resolutions)),
                       sf_call_strdup(call, sf_pgarray_text(&cases)));
    sf_pgarray_release(&positions);
    sf_pgarray_release(&descriptions);
    sf_pgarray_release(&resolutions);
    sf_pgarray_release(&cases);
    if (!sf_call_query(call,
            "INSERT INTO meeting_matter (meeting_id, position, description, resolution, case_id)"
            " SELECT $1, p, d, r, c FROM unnest($2::int[], $3::text[], $4::text[], $5::bigint[]) AS m(p, d, r, c)",
            params))
        return sf_call_status(call);

    Sifang__V1__CommunityMeeting *recorded = (Sifang__V1__CommunityMeeting *)
        sf_call_new_message(call, &sifang__v1__community_meeting__descriptor);
    *recorded = *meeting;
    recorded->base.unknown_fields = NULL;
    recorded->base.n_unknown_fields = 0;
    recorded->id = meeting_id;
    recorded->recorded_by = (char *) actor;
    recorded->recorded_unix_ms = sf_db_int(inserted, 0, 9);
    recorded->imported = NULL;
    recorded->matters = sf_call_new_array(call, meeting->n_matters, sizeof *recorded->matters);
    for (size_t i = 0; i < meeting->n_matters; i++) {
        Sifang__V1__MeetingMatter *matter = (Sifang__V1__MeetingMatter *)
            sf_call_new_message(call, &sifang__v1__meeting_matter__descriptor);
        matter->description = meeting->matters[i]->description;
        matter->resolution = meeting->matters[i]->resolution;
        matter->item_code = (char *) submissions[i].request->item_code;
        matter->unit_code = (char *) submissions[i].request->unit_code;
        matter->case_id = submissions[i].the_case->id;
        matter->registration_number = submissions[i].the_case->registration_number;
        recorded->matters[i] = matter;
    }
    return sf_call_emit_reply(call, reply_p, "meeting.recorded", sf_call_printf(call, "%lld", (long long) meeting_id),
                              &recorded->base);
}

/* Parses "{1,2,3}" of a smallint[] or int[] column into ints. */
static size_t
int_array_parse(const char *text, int *out, size_t max)
{
    size_t n = 0;
    int value = 0;
    bool in_number = false;
    for (const char *c = text;; c++) {
        if (*c >= '0' && *c <= '9') {
            value = value * 10 + (*c - '0');
            in_number = true;
        } else {
            if (in_number && n < max)
                out[n++] = value;
            value = 0;
            in_number = false;
            if (!*c)
                break;
        }
    }
    return n;
}

static Sifang__V1__CommunityMeeting *
meeting_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__CommunityMeeting *meeting = (Sifang__V1__CommunityMeeting *)
        sf_call_new_message(call, &sifang__v1__community_meeting__descriptor);
    sf_row_read(result, row, 0, &meeting->base, "id kind community_code held_on title");
    int parties[ATTENDEES_MAX], people[ATTENDEES_MAX];
    char *names[ATTENDEES_MAX];
    size_t n = int_array_parse(sf_db_text(result, row, 5), parties, ATTENDEES_MAX);
    const char *names_text = sf_db_text(result, row, 6);
    size_t n_names = sf_pgarray_parse(names_text, sf_call_alloc(call, strlen(names_text) + 1), names, ATTENDEES_MAX);
    size_t n_people = int_array_parse(sf_db_text(result, row, 7), people, ATTENDEES_MAX);
    meeting->attendees = sf_call_new_array(call, n, sizeof *meeting->attendees);
    for (size_t i = 0; i < n; i++) {
        Sifang__V1__MeetingAttendee *attendee = (Sifang__V1__MeetingAttendee *)
            sf_call_new_message(call, &sifang__v1__meeting_attendee__descriptor);
        attendee->party = (Sifang__V1__MeetingParty) parties[i];
        attendee->name = i < n_names ? names[i] : "";
        attendee->people = i < n_people ? people[i] : 0;
        meeting->attendees[meeting->n_attendees++] = attendee;
    }
    meeting->recorded_by = (char *) sf_db_text(result, row, 8);
    meeting->recorded_unix_ms = sf_db_int(result, row, 9);
    return meeting;
}

/* The matters the meetings took up, each with the case that follows it, in
 * the order each meeting took them up: one statement for a page of
 * meetings (a list shows what each meeting took up, as MeetingGet does). */
static sf_status_t
meetings_add_matters(sf_call_t *call, Sifang__V1__CommunityMeeting **meetings, size_t n)
{
    if (n == 0)
        return SF_OK;
    sf_pgarray_t ids;
    sf_pgarray_init(&ids);
    for (size_t i = 0; i < n; i++)
        sf_pgarray_add_int(&ids, meetings[i]->id);
    const char *id_array = sf_call_strdup(call, sf_pgarray_text(&ids));
    sf_pgarray_release(&ids);
    PGresult *matters = sf_call_query(call,
        "SELECT x.meeting_id, x.description, x.resolution, c.item_code, c.unit_code, x.case_id,"
        "       coalesce(c.registration_number, '')"
        "  FROM meeting_matter x LEFT JOIN intake_case c ON c.id = x.case_id"
        " WHERE x.meeting_id = ANY($1::bigint[]) ORDER BY x.meeting_id, x.position", SF_PARAMS(id_array));
    if (!matters)
        return sf_call_status(call);
    int rows = PQntuples(matters);
    /* Rows come in runs of one meeting each: a run is that meeting's matters. */
    for (int start = 0, end; start < rows; start = end) {
        int64_t meeting_id = sf_db_int(matters, start, 0);
        for (end = start + 1; end < rows && sf_db_int(matters, end, 0) == meeting_id; end++)
            ;
        Sifang__V1__CommunityMeeting *meeting = NULL;
        for (size_t i = 0; i < n && !meeting; i++)
            if (meetings[i]->id == meeting_id)
                meeting = meetings[i];
        if (!meeting)
            continue;
        meeting->matters = sf_call_new_array(call, (size_t) (end - start), sizeof *meeting->matters);
        for (int row = start; row < end; row++) {
            Sifang__V1__MeetingMatter *matter = (Sifang__V1__MeetingMatter *)
                sf_call_new_message(call, &sifang__v1__meeting_matter__descriptor);
            sf_row_read(matters, row, 1, &matter->base,
                        "description resolution item_code unit_code case_id registration_number");
            meeting->matters[meeting->n_matters++] = matter;
        }
    }
    return SF_OK;
}

sf_status_t
intake_meeting_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__MeetingGetRequest *get = (const Sifang__V1__MeetingGetRequest *) request;
    if (get->id <= 0)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "id", "is required (a meeting id)");
    sf_params_t *params = SF_PARAMS(get->id);
    PGresult *result = sf_call_query(call, "SELECT " MEETING_COLUMNS " FROM community_meeting m WHERE m.id = $1",
                                     params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, "id", "no meeting %lld", (long long) get->id);
    Sifang__V1__CommunityMeeting *meeting = meeting_from_row(call, result, 0);
    if (!sf_call_covers(call, meeting->community_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "meeting %lld lies outside your scope", (long long) get->id);
    sf_status_t status = meetings_add_matters(call, &meeting, 1);
    if (status != SF_OK)
        return status;
    *reply_p = &meeting->base;
    return SF_OK;
}

sf_status_t
intake_meeting_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__MeetingListRequest *list = (const Sifang__V1__MeetingListRequest *) request;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (list->kind < 0 || list->kind > KIND(STREET_JOINT))
        sf_call_violation(call, "kind", "is not a meeting kind");
    if (*list->held_from && !date_shape(list->held_from))
        sf_call_violation(call, "held_from", "must be a date YYYY-MM-DD");
    if (*list->held_to && !date_shape(list->held_to))
        sf_call_violation(call, "held_to", "must be a date YYYY-MM-DD");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__MeetingListReply *reply = (Sifang__V1__MeetingListReply *)
        sf_call_new_message(call, &sifang__v1__meeting_list_reply__descriptor);
    reply->next_page_token = "";
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " MEETING_COLUMNS " FROM community_meeting m");
    sf_query_subtree(&query, "m.community_code", prefix);
    if (list->kind)
        sf_query_where(&query, "m.kind = $%d", sf_query_int(&query, list->kind));
    if (*list->held_from)
        sf_query_where(&query, "m.held_on >= $%d::date", sf_query_text(&query, list->held_from));
    if (*list->held_to)
        sf_query_where(&query, "m.held_on <= $%d::date", sf_query_text(&query, list->held_to));
    sf_query_keyset_newest(&query, &page, "m.id");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->meetings = sf_call_new_array(call, (size_t) rows, sizeof *reply->meetings);
    for (int row = 0; row < rows; row++)
        reply->meetings[reply->n_meetings++] = meeting_from_row(call, result, row);
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    return meetings_add_matters(call, reply->meetings, reply->n_meetings);
}
