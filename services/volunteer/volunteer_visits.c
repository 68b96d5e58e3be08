/* Household visits by cadres and department staff ("walk every community,
 * visit a thousand households"), recorded like pairing contacts, with the
 * visitor's unit and department as they were that day, so evaluation can
 * count them per unit (VisitCounts, or the "visit.recorded" events), and
 * what followed each (VisitFollowUpAdd: a history, the latest settling it). */
#include "volunteer.h"
#include "sf_row.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VISIT_SKEW_MS (5LL * 60 * 1000)
#define VISIT_BACKDATE_MS (366LL * 24 * 3600 * 1000)

#define VISIT_COLUMNS \
    "w.serial, w.staff_id, COALESCE(s.name, ''), w.staff_unit_code, w.department_code, w.household_code," \
    " w.community_code, w.kind, " VOLUNTEER_MS("w.at") ", w.note, w.help_given, " VOLUNTEER_MS("w.created_at") "," \
    " COALESCE((SELECT f.done FROM visit_follow_up f WHERE f.visit_serial = w.serial ORDER BY f.serial DESC LIMIT 1)," \
    " false)"

/* A follow-up with its visit's visitor and household. */
#define FOLLOW_UP_SELECT \
    "SELECT f.serial, f.visit_serial, f.note, f.done, " VOLUNTEER_MS("f.at") ", f.recorded_by, w.staff_id," \
    " w.household_code, w.community_code, " VOLUNTEER_MS("f.created_at") \
    " FROM visit_follow_up f JOIN visit w ON w.serial = f.visit_serial"

static Sifang__V1__HouseholdVisit *
visit_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__HouseholdVisit *visit = (Sifang__V1__HouseholdVisit *)
        sf_call_new_message(call, &sifang__v1__household_visit__descriptor);
    visit->id = volunteer_id(call, VOLUNTEER_ID_VISIT, sf_db_int(result, row, 0));
    sf_row_read(result, row, 1, &visit->base,
                "staff_id staff_name staff_unit_code department_code household_code community_code kind at_unix_ms note"
                " help_given created_unix_ms done");
    return visit;
}

static Sifang__V1__VisitFollowUp *
follow_up_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__VisitFollowUp *follow_up = (Sifang__V1__VisitFollowUp *)
        sf_call_new_message(call, &sifang__v1__visit_follow_up__descriptor);
    follow_up->id = volunteer_id(call, VOLUNTEER_ID_FOLLOW_UP, sf_db_int(result, row, 0));
    follow_up->visit_id = volunteer_id(call, VOLUNTEER_ID_VISIT, sf_db_int(result, row, 1));
    sf_row_read(result, row, 2, &follow_up->base,
                "note done at_unix_ms recorded_by staff_id household_code community_code created_unix_ms");
    return follow_up;
}

static void
check_visit_fields(sf_call_t *call, const Sifang__V1__HouseholdVisit *visit, int64_t now, int64_t *at)
{
    int64_t serial;
    if (*visit->id)
        sf_call_violation(call, "id", "is assigned by the service; leave it empty");
    if (!*visit->staff_id)
        sf_call_violation(call, "staff_id", "is required");
    else if (!sf_serial_id_parse(visit->staff_id, 'S', &serial))
        sf_call_violation(call, "staff_id", "must be grid's staff id, like S00042");
    if (!sf_code_of_length(visit->household_code, SF_CODE_HOUSEHOLD_LENGTH))
        sf_call_violation(call, "household_code", "must be a household code (%d digits)",
                          SF_CODE_HOUSEHOLD_LENGTH);
    if (visit->kind < SIFANG__V1__CONTACT_KIND__CONTACT_KIND_VISIT
        || visit->kind > SIFANG__V1__CONTACT_KIND__CONTACT_KIND_HELP)
        sf_call_violation(call, "kind", "must be VISIT, CALL or HELP");
    *at = visit->at_unix_ms ? visit->at_unix_ms : now;
    if (*at > now + VISIT_SKEW_MS)
        sf_call_violation(call, "at_unix_ms", "is in the future");
    else if (*at < now - VISIT_BACKDATE_MS)
        sf_call_violation(call, "at_unix_ms", "is more than a year ago");
    sf_call_check_note(call, "note", visit->note, VOLUNTEER_NOTE_MAX, false);
    sf_call_check_text(call, "help_given", visit->help_given, VOLUNTEER_HELP_MAX, false);
}

/* Who may record a visit to a household, or what followed one: any of the
 * caller's write scopes holding the household (a zone cadre's zones, a
 * community's staff), or a department's staff for their own department's
 * visitors (走千人访千户 in the communities it is paired with; they have no
 * write scope of their own). */
static sf_status_t
visit_writer(sf_call_t *call, const char *household_code, const char *department_code)
{
    if (sf_call_may_write(call, household_code))
        return SF_OK;
    const char *mine = sf_call_is_person(call) ? sf_call_principal(call)->department : "";
    if (mine && *mine && strcmp(mine, department_code) == 0)
        return SF_OK;
    return sf_call_fail(call, SF_PERMISSION_DENIED, "the household lies outside your scope");
}

/* One lookup of the visitor and the household, for one visit or a run. */
#define VISIT_FACTS \
    "SELECT s.id IS NOT NULL, COALESCE(s.unit_code, ''), COALESCE(s.department_code, ''), h.code IS NOT NULL," \
    " COALESCE(h.community_code, '')"

static sf_status_t
check_visit_facts(sf_call_t *call, const Sifang__V1__HouseholdVisit *visit, const PGresult *facts, int row)
{
    if (!sf_db_bool(facts, row, 0))
        return sf_call_refuse(call, SF_NOT_FOUND, "staff_id", "no staff member %s known to volunteer",
                              visit->staff_id);
    if (!sf_db_bool(facts, row, 3))
        return sf_call_refuse(call, SF_NOT_FOUND, "household_code", "no household %s known to volunteer",
                              visit->household_code);
    return visit_writer(call, visit->household_code, sf_db_text(facts, row, 2));
}

static void
visit_answer(sf_call_t *call, const PGresult *result, int row, ProtobufCMessage **reply_p)
{
    Sifang__V1__HouseholdVisit *recorded = visit_from_row(call, result, row);
    sf_call_emit(call, "visit.recorded", recorded->community_code, &recorded->base);
    *reply_p = &recorded->base;
}

static PGresult *
insert_visits(sf_call_t *call, sf_pgarray_t columns[9])
{
    sf_params_t params;
    sf_params_init(&params);
    for (int k = 0; k < 9; k++)
        sf_params_text(&params, sf_pgarray_text(&columns[k]));
    return sf_call_query(call,
        "WITH added AS (INSERT INTO visit (staff_id, staff_unit_code, department_code, household_code,"
        " community_code, kind, at, note, help_given) SELECT si, su, dc, hc, cc, k, to_timestamp(a / 1000.0), n, hg"
        " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[],"
        " $8::text[], $9::text[]) WITH ORDINALITY AS r(si, su, dc, hc, cc, k, a, n, hg, o) ORDER BY o RETURNING *)"
        " SELECT " VISIT_COLUMNS " FROM added w LEFT JOIN ref_staff s ON s.id = w.staff_id ORDER BY w.serial",
        &params);
}

static void
add_visit_row(sf_pgarray_t columns[9], const Sifang__V1__HouseholdVisit *visit, const PGresult *facts, int row,
              int64_t at)
{
    sf_pgarray_add_text(&columns[0], visit->staff_id);
    sf_pgarray_add_text(&columns[1], sf_db_text(facts, row, 1));
    sf_pgarray_add_text(&columns[2], sf_db_text(facts, row, 2));
    sf_pgarray_add_text(&columns[3], visit->household_code);
    sf_pgarray_add_text(&columns[4], sf_db_text(facts, row, 4));
    sf_pgarray_add_int(&columns[5], visit->kind);
    sf_pgarray_add_int(&columns[6], at);
    sf_pgarray_add_text(&columns[7], visit->note);
    sf_pgarray_add_text(&columns[8], visit->help_given);
}

sf_status_t
volunteer_visit_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HouseholdVisit *visit = (const Sifang__V1__HouseholdVisit *) request;
    int64_t at = 0;
    check_visit_fields(call, visit, sf_now_ms(), &at);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *facts = sf_call_query(call, VISIT_FACTS " FROM (SELECT $1::text AS s, $2::text AS h) k"
                                    " LEFT JOIN ref_staff s ON s.id = k.s LEFT JOIN ref_household h ON h.code = k.h",
                                    SF_PARAMS(visit->staff_id, visit->household_code));
    if (!facts)
        return sf_call_status(call);
    sf_status_t status = check_visit_facts(call, visit, facts, 0);
    if (status != SF_OK)
        return status;
    sf_pgarray_t columns[9];
    for (int k = 0; k < 9; k++)
        sf_pgarray_init(&columns[k]);
    add_visit_row(columns, visit, facts, 0, at);
    PGresult *result = insert_visits(call, columns);
    for (int k = 0; k < 9; k++)
        sf_pgarray_release(&columns[k]);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__HouseholdVisit *recorded = visit_from_row(call, result, 0);
    return sf_call_emit_reply(call, reply_p, "visit.recorded", recorded->community_code, &recorded->base);
}

sf_status_t
volunteer_visit_record_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies, size_t n)
{
    int64_t now = sf_now_ms();
    int64_t *ats = calloc(n, sizeof *ats);
    bool *writing = calloc(n, sizeof *writing);
    sf_status_t status = ats && writing ? SF_OK : SF_INTERNAL;
    sf_pgarray_t staff, households;
    sf_pgarray_init(&staff);
    sf_pgarray_init(&households);
    for (size_t i = 0; status == SF_OK && i < n; i++) {
        const Sifang__V1__HouseholdVisit *visit = (const Sifang__V1__HouseholdVisit *) requests[i];
        check_visit_fields(calls[i], visit, now, &ats[i]);
        sf_pgarray_add_text(&staff, visit->staff_id);
        sf_pgarray_add_text(&households, visit->household_code);
    }
    PGresult *facts = NULL;
    if (status == SF_OK) {
        facts = sf_call_query(calls[0], VISIT_FACTS " FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(s, h, o)"
                              " LEFT JOIN ref_staff s ON s.id = k.s LEFT JOIN ref_household h ON h.code = k.h"
                              " ORDER BY k.o", SF_PARAMS(sf_pgarray_text(&staff), sf_pgarray_text(&households)));
        if (!facts)
            status = sf_call_status(calls[0]);
    }
    sf_pgarray_t columns[9];
    for (int k = 0; k < 9; k++)
        sf_pgarray_init(&columns[k]);
    size_t writes = 0;
    for (size_t i = 0; status == SF_OK && i < n; i++) {
        const Sifang__V1__HouseholdVisit *visit = (const Sifang__V1__HouseholdVisit *) requests[i];
        if (sf_call_has_violations(calls[i]) || check_visit_facts(calls[i], visit, facts, (int) i) != SF_OK)
            continue;
        add_visit_row(columns, visit, facts, (int) i, ats[i]);
        writing[i] = true;
        writes++;
    }
    if (status == SF_OK && writes) {
        PGresult *result = insert_visits(calls[0], columns);
        status = result ? volunteer_batch_answer(calls, writing, n, result, visit_answer, replies)
                        : sf_call_status(calls[0]);
    }
    for (int k = 0; k < 9; k++)
        sf_pgarray_release(&columns[k]);
    sf_pgarray_release(&staff);
    sf_pgarray_release(&households);
    free(ats);
    free(writing);
    return status;
}

/* The filters VisitList and VisitCounts share. */
static bool
visit_filters(sf_call_t *call, sf_query_t *query, const char *under, int64_t from_ms, int64_t to_ms)
{
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", under, &prefix);
    if (from_ms < 0)
        sf_call_violation(call, "from_unix_ms", "must not be negative");
    if (to_ms < 0 || (to_ms && to_ms < from_ms))
        sf_call_violation(call, "to_unix_ms", "must not be before from_unix_ms (0 = no bound)");
    if (sf_call_has_violations(call) || !visible)
        return false;
    sf_query_subtree(query, "w.household_code", prefix);
    if (from_ms)
        sf_query_where(query, "w.at >= to_timestamp($%d::bigint / 1000.0)", sf_query_int(query, from_ms));
    if (to_ms)
        sf_query_where(query, "w.at < to_timestamp($%d::bigint / 1000.0)", sf_query_int(query, to_ms));
    return true;
}

/* The follow-ups of a page of visits, oldest first under each. */
static sf_status_t
attach_follow_ups(sf_call_t *call, Sifang__V1__HouseholdVisit **visits, const PGresult *page, int rows)
{
    sf_pgarray_t serials;
    sf_pgarray_init(&serials);
    for (int row = 0; row < rows; row++)
        sf_pgarray_add_int(&serials, sf_db_int(page, row, 0));
    PGresult *result = sf_call_query(call, FOLLOW_UP_SELECT " WHERE f.visit_serial = ANY($1::bigint[])"
                                     " ORDER BY f.visit_serial, f.serial", SF_PARAMS(sf_pgarray_text(&serials)));
    sf_pgarray_release(&serials);
    if (!result)
        return sf_call_status(call);
    int found = PQntuples(result);
    for (int row = 0; row < rows; row++) {
        int64_t serial = sf_db_int(page, row, 0);
        int first = 0;
        while (first < found && sf_db_int(result, first, 1) != serial)
            first++;
        int last = first;
        while (last < found && sf_db_int(result, last, 1) == serial)
            last++;
        if (last == first)
            continue;
        visits[row]->follow_ups = sf_call_new_array(call, (size_t) (last - first), sizeof *visits[row]->follow_ups);
        for (int k = first; k < last; k++)
            visits[row]->follow_ups[k - first] = follow_up_from_row(call, result, k);
        visits[row]->n_follow_ups = (size_t) (last - first);
    }
    return SF_OK;
}

sf_status_t
volunteer_visit_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VisitListRequest *list = (const Sifang__V1__VisitListRequest *) request;
    Sifang__V1__VisitListReply *reply = (Sifang__V1__VisitListReply *)
        sf_call_new_message(call, &sifang__v1__visit_list_reply__descriptor);
    sf_keyset_t page = sf_keyset_of(call, list->page);
    sf_call_check_text(call, "staff_id", list->staff_id, 20, false);
    if (*list->household_code && !sf_code_of_length(list->household_code, SF_CODE_HOUSEHOLD_LENGTH))
        sf_call_violation(call, "household_code", "must be a household code (%d digits)",
                          SF_CODE_HOUSEHOLD_LENGTH);
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " VISIT_COLUMNS " FROM visit w LEFT JOIN ref_staff s ON s.id = w.staff_id");
    bool visible = visit_filters(call, &query, list->under, list->from_unix_ms, list->to_unix_ms);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    if (*list->staff_id)
        sf_query_where(&query, "w.staff_id = $%d", sf_query_text(&query, list->staff_id));
    if (*list->household_code)
        sf_query_where(&query, "w.household_code = $%d", sf_query_text(&query, list->household_code));
    volunteer_page_apply(&query, &page, "w.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->visits = sf_call_new_array(call, (size_t) rows, sizeof *reply->visits);
    for (int row = 0; row < rows; row++)
        reply->visits[row] = visit_from_row(call, result, row);
    reply->n_visits = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    if (rows && attach_follow_ups(call, reply->visits, result, rows) != SF_OK)
        return sf_call_status(call);
    *reply_p = &reply->base;
    return SF_OK;
}

sf_status_t
volunteer_visit_counts(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VisitCountsRequest *ask = (const Sifang__V1__VisitCountsRequest *) request;
    Sifang__V1__VisitCountsReply *reply = (Sifang__V1__VisitCountsReply *)
        sf_call_new_message(call, &sifang__v1__visit_counts_reply__descriptor);
    const char *select = NULL;
    switch (ask->group_by) {
    case SIFANG__V1__VISIT_GROUPING__VISIT_GROUPING_COMMUNITY:
        select = "SELECT w.community_code, COALESCE(max(u.name), ''), count(*), count(DISTINCT w.household_code),"
                 " count(DISTINCT w.staff_id) FROM visit w LEFT JOIN ref_unit u ON u.code = w.community_code";
        break;
    case SIFANG__V1__VISIT_GROUPING__VISIT_GROUPING_STAFF_UNIT:
        select = "SELECT w.staff_unit_code, COALESCE(max(u.name), ''), count(*), count(DISTINCT w.household_code),"
                 " count(DISTINCT w.staff_id) FROM visit w LEFT JOIN ref_unit u ON u.code = w.staff_unit_code";
        break;
    case SIFANG__V1__VISIT_GROUPING__VISIT_GROUPING_DEPARTMENT:
        select = "SELECT w.department_code, COALESCE(max(dp.name), ''), count(*), count(DISTINCT w.household_code),"
                 " count(DISTINCT w.staff_id) FROM visit w LEFT JOIN ref_department dp ON dp.code = w.department_code";
        break;
    default:
        sf_call_violation(call, "group_by", "must be COMMUNITY, STAFF_UNIT or DEPARTMENT");
    }
    sf_query_t query;
    sf_query_init(&query, call, select ? select : "");
    bool visible = visit_filters(call, &query, ask->under, ask->from_unix_ms, ask->to_unix_ms);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    if (ask->group_by == SIFANG__V1__VISIT_GROUPING__VISIT_GROUPING_DEPARTMENT)
        sf_query_where(&query, "w.department_code <> ''");
    sf_query_append(&query, " GROUP BY 1 ORDER BY 1");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    size_t rows = (size_t) PQntuples(result);
    reply->counts = sf_call_new_array(call, rows, sizeof *reply->counts);
    for (size_t row = 0; row < rows; row++) {
        Sifang__V1__VisitCount *count = (Sifang__V1__VisitCount *)
            sf_call_new_message(call, &sifang__v1__visit_count__descriptor);
        count->key = (char *) sf_db_text(result, (int) row, 0);
        count->name = (char *) sf_db_text(result, (int) row, 1);
        count->visits = (int32_t) sf_db_int(result, (int) row, 2);
        count->households = (int32_t) sf_db_int(result, (int) row, 3);
        count->staff = (int32_t) sf_db_int(result, (int) row, 4);
        reply->visits += count->visits;
        reply->counts[row] = count;
    }
    reply->n_counts = rows;
    *reply_p = &reply->base;
    return SF_OK;
}

sf_status_t
volunteer_visit_follow_up_add(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VisitFollowUp *follow_up = (const Sifang__V1__VisitFollowUp *) request;
    int64_t now = sf_now_ms(), visit_serial = 0;
    if (*follow_up->id)
        sf_call_violation(call, "id", "is assigned by the service; leave it empty");
    volunteer_check_id(call, "visit_id", follow_up->visit_id, VOLUNTEER_ID_VISIT, &visit_serial);
    sf_call_check_note(call, "note", follow_up->note, VOLUNTEER_NOTE_MAX, true);
    int64_t at = follow_up->at_unix_ms ? follow_up->at_unix_ms : now;
    if (at < 0)
        sf_call_violation(call, "at_unix_ms", "must not be negative (0 = now)");
    else if (at > now + VISIT_SKEW_MS)
        sf_call_violation(call, "at_unix_ms", "is in the future");
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    PGresult *visit = sf_call_query(call, "SELECT w.household_code, w.at > to_timestamp($2::bigint / 1000.0),"
                                    " w.department_code FROM visit w WHERE w.serial = $1", SF_PARAMS(visit_serial, at));
    if (!visit)
        return sf_call_status(call);
    if (PQntuples(visit) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, "visit_id", "no household visit %s", follow_up->visit_id);
    /* Whoever may record the visit may say what followed it. */
    sf_status_t status = visit_writer(call, sf_db_text(visit, 0, 0), sf_db_text(visit, 0, 2));
    if (status != SF_OK)
        return status;
    if (sf_db_bool(visit, 0, 1))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "at_unix_ms", "is before the visit it follows");

    PGresult *inserted = sf_call_query(call,
        "INSERT INTO visit_follow_up (visit_serial, note, done, at, recorded_by)"
        " VALUES ($1, $2, $3, to_timestamp($4::bigint / 1000.0), $5) RETURNING serial",
        SF_PARAMS(visit_serial, follow_up->note, (bool) follow_up->done, at, sf_call_principal(call)->id));
    if (!inserted)
        return sf_call_status(call);
    PGresult *result = sf_call_query(call, FOLLOW_UP_SELECT " WHERE f.serial = $1",
                                     SF_PARAMS(sf_db_int(inserted, 0, 0)));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__VisitFollowUp *recorded = follow_up_from_row(call, result, 0);
    return sf_call_emit_reply(call, reply_p, "visit.followed_up", recorded->community_code, &recorded->base);
}
