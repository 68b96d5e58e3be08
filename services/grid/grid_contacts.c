/* Leaders' contact points at work (服务联系点, 一线工作法): a district
 * leader's visits to their points (responsibilities of kind LEADER_CONTACT),
 * the problems found there and whether they were solved or became an intake
 * case, and each point with what was done there. */
#include "grid.h"
#include "sf_row.h"
#include <string.h>

#define KIND_LEADER_CONTACT SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_LEADER_CONTACT
#define STATUS_OPEN SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_OPEN
#define STATUS_SOLVED SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_SOLVED
#define STATUS_CASE SIFANG__V1__CONTACT_PROBLEM_STATUS__CONTACT_PROBLEM_STATUS_CASE

/* The most problems one visit records: more is a meeting's minutes. */
#define CONTACT_PROBLEMS_MAX 20

#define VISIT_COLUMNS \
    "v.serial, v.staff_serial, s.name, v.point_code, pu.name, v.place_code, lu.name, " \
    GRID_MS("v.visited_at") ", v.people_met, v.findings, " GRID_MS("v.created_at") " AS visit_created"
#define VISIT_FROM \
    " FROM contact_visit v JOIN staff s ON s.serial = v.staff_serial" \
    " JOIN org_unit pu ON pu.code = v.point_code JOIN org_unit lu ON lu.code = v.place_code"

#define PROBLEM_COLUMNS \
    "q.serial, q.visit_serial, v.staff_serial, v.point_code, q.description, q.status, q.resolution," \
    " q.case_id, q.case_registration, " GRID_MS("q.closed_at") ", " GRID_MS("q.created_at") ", " \
    GRID_MS("q.updated_at") ", q.version AS problem_version"
#define PROBLEM_FROM " FROM contact_problem q JOIN contact_visit v ON v.serial = q.visit_serial"

char *
grid_work_id(sf_call_t *call, char letter, int64_t serial)
{
    char id[32];
    sf_serial_id_format(letter, GRID_WORK_ID_WIDTH, serial, id, sizeof id);
    return sf_call_strdup(call, id);
}

bool
grid_work_time(sf_call_t *call, const char *field, int64_t given_ms, int64_t *at_ms)
{
    int64_t now = sf_now_ms();
    *at_ms = given_ms ? given_ms : now;
    if (*at_ms > now + GRID_WORK_SKEW_MS)
        sf_call_violation(call, field, "is in the future");
    else if (*at_ms < now - GRID_WORK_BACKDATE_MS)
        sf_call_violation(call, field, "is more than a year ago");
    else
        return true;
    return false;
}

char *
grid_people_met_shown(sf_call_t *call, const char *unit_code, const char *doer_id, const char *people_met)
{
    /* Keys keep what the method table gave them; a person sees the names
     * they wrote themselves, or through a duty to the place's residents. */
    if (!sf_call_is_person(call) || strcmp(sf_call_principal(call)->id, doer_id) == 0
        || sf_call_covers_as(call, SF_ROLES_RESIDENT_DUTY, unit_code))
        return (char *) people_met;
    return grid_people_met_masked(call, people_met);
}

char *
grid_people_met_masked(sf_call_t *call, const char *people_met)
{
    char masked[SF_MASK_SIZE];
    sf_name_mask(people_met, masked, sizeof masked);
    return sf_call_strdup(call, masked);
}

bool
grid_columns_end(sf_call_t *call, const PGresult *result, int next, const char *last)
{
    if (PQfnumber(result, last) + 1 == next)
        return true;
    sf_call_fail(call, SF_INTERNAL, "a reader of %s did not end on its last column", last);
    return false;
}

static Sifang__V1__ContactProblem *
problem_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__ContactProblem *problem = (Sifang__V1__ContactProblem *)
        sf_call_new_message(call, &sifang__v1__contact_problem__descriptor);
    problem->id = grid_work_id(call, GRID_ID_CONTACT_PROBLEM, sf_db_int(result, row, 0));
    problem->visit_id = grid_work_id(call, GRID_ID_CONTACT_VISIT, sf_db_int(result, row, 1));
    problem->staff_id = grid_staff_id(call, sf_db_int(result, row, 2));
    int next = sf_row_read(result, row, 3, &problem->base,
                           "point_code description status resolution case_id case_registration closed_unix_ms"
                           " created_unix_ms updated_unix_ms version");
    return grid_columns_end(call, result, next, "problem_version") ? problem : NULL;
}

static Sifang__V1__ContactVisit *
visit_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__ContactVisit *visit = (Sifang__V1__ContactVisit *)
        sf_call_new_message(call, &sifang__v1__contact_visit__descriptor);
    visit->id = grid_work_id(call, GRID_ID_CONTACT_VISIT, sf_db_int(result, row, 0));
    visit->staff_id = grid_staff_id(call, sf_db_int(result, row, 1));
    int next = sf_row_read(result, row, 2, &visit->base,
                           "staff_name point_code point_name place_code place_name visited_unix_ms people_met"
                           " findings created_unix_ms");
    return grid_columns_end(call, result, next, "visit_created") ? visit : NULL;
}

/* The visits of result (rows of VISIT_COLUMNS) with their problems, in
 * order; people_met as this caller may see it. NULL with the call failed. */
static Sifang__V1__ContactVisit **
visits_with_problems(sf_call_t *call, const PGresult *result, int rows)
{
    Sifang__V1__ContactVisit **visits = sf_call_new_array(call, (size_t) (rows ? rows : 1), sizeof *visits);
    int64_t *visit_serials = sf_call_new_array(call, (size_t) (rows ? rows : 1), sizeof *visit_serials);
    sf_pgarray_t serials;
    sf_pgarray_init(&serials);
    for (int row = 0; row < rows; row++) {
        if (!(visits[row] = visit_from_row(call, result, row))) {
            sf_pgarray_release(&serials);
            return NULL;
        }
        visit_serials[row] = sf_db_int(result, row, 0);
        sf_pgarray_add_int(&serials, visit_serials[row]);
        visits[row]->people_met = grid_people_met_shown(call, visits[row]->place_code, visits[row]->staff_id,
                                                        visits[row]->people_met);
    }
    PGresult *problems = rows ? sf_call_query(call, "SELECT " PROBLEM_COLUMNS PROBLEM_FROM
                                              " WHERE q.visit_serial = ANY($1::bigint[]) ORDER BY q.serial",
                                              SF_PARAMS(sf_pgarray_text(&serials))) : NULL;
    sf_pgarray_release(&serials);
    if (rows && !problems)
        return NULL;
    int n_problems = problems ? PQntuples(problems) : 0;
    /* Each problem to its visit (a page holds at most SF_PAGE_MAX visits
     * with a few problems each: a scan per problem is enough), counted
     * first so that each visit's array is its own size. */
    int *visit_of = sf_call_new_array(call, (size_t) (n_problems ? n_problems : 1), sizeof *visit_of);
    size_t *counts = sf_call_new_array(call, (size_t) (rows ? rows : 1), sizeof *counts);
    for (int p = 0; p < n_problems; p++) {
        int64_t visit_serial = sf_db_int(problems, p, 1);
        visit_of[p] = -1;
        for (int row = 0; row < rows && visit_of[p] < 0; row++)
            if (visit_serials[row] == visit_serial)
                visit_of[p] = row;
        if (visit_of[p] >= 0)
            counts[visit_of[p]]++;
    }
    for (int row = 0; row < rows; row++)
        visits[row]->problems = sf_call_new_array(call, counts[row] ? counts[row] : 1, sizeof *visits[row]->problems);
    for (int p = 0; p < n_problems; p++) {
        Sifang__V1__ContactProblem *problem = problem_from_row(call, problems, p);
        if (!problem)
            return NULL;
        if (visit_of[p] >= 0)
            visits[visit_of[p]]->problems[visits[visit_of[p]]->n_problems++] = problem;
    }
    return visits;
}

/* A person records only their own work; a key records anyone's within its
 * scope. */
static sf_status_t
require_self(sf_call_t *call, const char *staff_id, const char *unit_code, const char *what)
{
    if (sf_call_is_person(call)) {
        if (strcmp(sf_call_principal(call)->id, staff_id) != 0)
            return sf_call_fail(call, SF_PERMISSION_DENIED, "a leader records and follows up %s of their own", what);
        return SF_OK;
    }
    if (!sf_call_covers(call, unit_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside your scope", unit_code);
    return SF_OK;
}

static void
check_visit_fields(sf_call_t *call, const Sifang__V1__ContactVisit *visit, int64_t *serial, int64_t *at)
{
    if (*visit->id)
        sf_call_violation(call, "id", "is given by grid; leave it empty");
    if (!*visit->staff_id)
        sf_call_violation(call, "staff_id", "is required");
    else if (!sf_serial_id_parse(visit->staff_id, 'S', serial))
        sf_call_violation(call, "staff_id", "must be a staff id like S00042");
    grid_check_code(call, "point_code", visit->point_code);
    if (*visit->place_code && grid_check_code(call, "place_code", visit->place_code)
        && *visit->point_code && !sf_code_starts_with(visit->place_code, visit->point_code))
        sf_call_violation(call, "place_code", "must be the contact point or a unit under it");
    grid_work_time(call, "visited_unix_ms", visit->visited_unix_ms, at);
    sf_call_check_text(call, "people_met", visit->people_met, GRID_PEOPLE_MET_MAX, false);
    sf_call_check_note(call, "findings", visit->findings, GRID_WORK_TEXT_MAX, true);
    if (visit->n_problems > CONTACT_PROBLEMS_MAX)
        sf_call_violation(call, "problems", "at most %d problems a visit", CONTACT_PROBLEMS_MAX);
    for (size_t i = 0; i < visit->n_problems && i < CONTACT_PROBLEMS_MAX; i++) {
        const Sifang__V1__ContactProblem *problem = visit->problems[i];
        char field[48];
        snprintf(field, sizeof field, "problems[%zu].description", i);
        sf_call_check_note(call, field, problem->description, GRID_PROBLEM_TEXT_MAX, true);
        if (*problem->id || problem->case_id || *problem->resolution
            || (problem->status != 0 && problem->status != STATUS_OPEN)) {
            snprintf(field, sizeof field, "problems[%zu]", i);
            sf_call_violation(call, field, "a problem is recorded open, with its description alone;"
                              " ContactProblemUpdate follows it up");
        }
    }
}

sf_status_t
grid_contact_visit_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ContactVisit *visit = (const Sifang__V1__ContactVisit *) request;
    int64_t serial = 0, at = 0;
    check_visit_fields(call, visit, &serial, &at);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const char *place = *visit->place_code ? visit->place_code : visit->point_code;
    sf_status_t status = require_self(call, visit->staff_id, visit->point_code, "visits");
    if (status != SF_OK)
        return status;

    /* The leader, their point and the place, in one round trip. */
    PGresult *facts = sf_call_query(call,
        "SELECT (SELECT s.kind FROM staff s WHERE s.serial = $1),"
        " (SELECT true FROM responsibility r WHERE r.staff_serial = $1 AND r.unit_code = $2 AND r.kind = $4)"
        "  IS NOT NULL, (SELECT true FROM org_unit u WHERE u.code = $3) IS NOT NULL",
        SF_PARAMS(serial, visit->point_code, place, KIND_LEADER_CONTACT));
    if (!facts)
        return sf_call_status(call);
    if (sf_db_is_null(facts, 0, 0))
        return sf_call_refuse(call, SF_NOT_FOUND, "staff_id", "no staff member %s", visit->staff_id);
    if (!sf_db_bool(facts, 0, 1))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "point_code", "%s is not a contact point of %s",
                              visit->point_code, visit->staff_id);
    if (!sf_db_bool(facts, 0, 2))
        return sf_call_refuse(call, SF_NOT_FOUND, "place_code", "no unit %s", place);

    sf_pgarray_t descriptions;
    sf_pgarray_init(&descriptions);
    for (size_t i = 0; i < visit->n_problems; i++)
        sf_pgarray_add_text(&descriptions, visit->problems[i]->description);
    PGresult *result = sf_call_query(call,
        "WITH v AS (INSERT INTO contact_visit (staff_serial, point_code, place_code, visited_at, people_met, findings)"
        " VALUES ($1, $2, $3, to_timestamp($4::bigint / 1000.0), $5, $6) RETURNING serial),"
        " p AS (INSERT INTO contact_problem (visit_serial, description)"
        "  SELECT v.serial, d.text FROM v, unnest($7::text[]) WITH ORDINALITY AS d(text, o) ORDER BY d.o)"
        " SELECT serial FROM v",
        SF_PARAMS(serial, visit->point_code, place, at, visit->people_met, visit->findings,
                  sf_pgarray_text(&descriptions)));
    sf_pgarray_release(&descriptions);
    if (!result)
        return sf_call_status(call);
    int64_t visit_serial = sf_db_int(result, 0, 0);
    /* Read back after the write: the CTE's problems are visible to the next
     * statement of the transaction, not to the one that wrote them. */
    result = sf_call_query(call, "SELECT " VISIT_COLUMNS VISIT_FROM " WHERE v.serial = $1", SF_PARAMS(visit_serial));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_fail(call, SF_INTERNAL, "the visit just recorded is not there");
    Sifang__V1__ContactVisit **recorded = visits_with_problems(call, result, 1);
    if (!recorded)
        return sf_call_status(call);
    /* The event never names people: the names met are masked in it. */
    Sifang__V1__ContactVisit *event = (Sifang__V1__ContactVisit *)
        sf_call_new_message(call, &sifang__v1__contact_visit__descriptor);
    *event = *recorded[0];
    event->people_met = grid_people_met_masked(call, recorded[0]->people_met);
    sf_call_emit(call, "contact_visit.recorded", event->id, &event->base);
    *reply_p = &recorded[0]->base;
    return SF_OK;
}

sf_status_t
grid_contact_problem_update(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ContactProblemUpdateRequest *update = (const Sifang__V1__ContactProblemUpdateRequest *) request;
    int64_t serial = 0;
    if (!*update->id)
        sf_call_violation(call, "id", "is required");
    else if (!sf_serial_id_parse(update->id, GRID_ID_CONTACT_PROBLEM, &serial))
        sf_call_violation(call, "id", "must be a problem id like Q000123");
    if (update->status < STATUS_OPEN || update->status > STATUS_CASE)
        sf_call_violation(call, "status", "must be OPEN, SOLVED or CASE");
    sf_call_check_note(call, "resolution", update->resolution, GRID_PROBLEM_TEXT_MAX,
                       update->status == STATUS_SOLVED);
    if (update->case_id < 0)
        sf_call_violation(call, "case_id", "must be intake's case id, a positive number");
    else if (update->status == STATUS_CASE && update->case_id == 0)
        sf_call_violation(call, "case_id", "is required when the problem became a case");
    if (sf_call_check_text(call, "case_registration", update->case_registration, GRID_CASE_REGISTRATION_MAX, false))
        for (const char *c = update->case_registration; *c; c++)
            if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-')) {
                sf_call_violation(call, "case_registration",
                                  "must be intake's registration number, like SF20260315-0000123");
                break;
            }
    if (update->expected_version < 0)
        sf_call_violation(call, "expected_version", "must not be negative");
    int64_t at = 0;
    grid_work_time(call, "at_unix_ms", update->at_unix_ms, &at);
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    PGresult *result = sf_call_query(call,
        "SELECT v.staff_serial, v.point_code, q.version, " GRID_MS("v.visited_at") " FROM contact_problem q"
        " JOIN contact_visit v ON v.serial = q.visit_serial WHERE q.serial = $1 FOR UPDATE OF q", SF_PARAMS(serial));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, "id", "no problem %s", update->id);
    sf_status_t status = require_self(call, grid_staff_id(call, sf_db_int(result, 0, 0)), sf_db_text(result, 0, 1),
                                      "problems");
    if (status != SF_OK)
        return status;
    if (update->expected_version && update->expected_version != sf_db_int(result, 0, 2))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version",
                              "problem %s is at version %lld", update->id, (long long) sf_db_int(result, 0, 2));
    if (at < sf_db_int(result, 0, 3))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "at_unix_ms", "is before the visit that found the problem");
    result = sf_call_query(call,
        "WITH q AS (UPDATE contact_problem SET status = $2::smallint, resolution = $3,"
        " case_id = CASE WHEN $4::bigint > 0 THEN $4::bigint ELSE case_id END,"
        " case_registration = CASE WHEN $5 <> '' THEN $5 ELSE case_registration END,"
        " closed_at = CASE WHEN $2::smallint = 1 THEN NULL WHEN status = $2::smallint THEN closed_at"
        "  ELSE to_timestamp($6::bigint / 1000.0) END,"
        " updated_at = now(), version = version + 1 WHERE serial = $1 RETURNING *)"
        " SELECT " PROBLEM_COLUMNS " FROM q JOIN contact_visit v ON v.serial = q.visit_serial",
        SF_PARAMS(serial, update->status, update->resolution, update->case_id, update->case_registration, at));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__ContactProblem *updated = problem_from_row(call, result, 0);
    if (!updated)
        return sf_call_status(call);
    return sf_call_emit_reply(call, reply_p, "contact_problem.updated", updated->id, &updated->base);
}

/* The period filters a list or a count takes; false with a violation. */
static bool
check_period(sf_call_t *call, int64_t from_ms, int64_t to_ms)
{
    if (from_ms < 0)
        sf_call_violation(call, "from_unix_ms", "must not be negative");
    if (to_ms < 0 || (to_ms && to_ms < from_ms))
        sf_call_violation(call, "to_unix_ms", "must not be before from_unix_ms (0 = no bound)");
    return !sf_call_has_violations(call);
}

static bool
check_staff_filter(sf_call_t *call, const char *staff_id, int64_t *serial)
{
    *serial = 0;
    if (*staff_id && !sf_serial_id_parse(staff_id, 'S', serial)) {
        sf_call_violation(call, "staff_id", "must be a staff id like S00042");
        return false;
    }
    return true;
}

sf_status_t
grid_contact_visit_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ContactVisitListRequest *list = (const Sifang__V1__ContactVisitListRequest *) request;
    Sifang__V1__ContactVisitListReply *reply = (Sifang__V1__ContactVisitListReply *)
        sf_call_new_message(call, &sifang__v1__contact_visit_list_reply__descriptor);
    sf_keyset_t page = sf_keyset_of(call, list->page);
    int64_t staff = 0;
    check_staff_filter(call, list->staff_id, &staff);
    if (*list->point_code)
        grid_check_code(call, "point_code", list->point_code);
    check_period(call, list->from_unix_ms, list->to_unix_ms);
    const char *prefix;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " VISIT_COLUMNS VISIT_FROM);
    sf_query_subtree(&query, "v.point_code", prefix);
    if (staff)
        sf_query_where(&query, "v.staff_serial = $%d", sf_query_int(&query, staff));
    if (*list->point_code)
        sf_query_where(&query, "v.point_code = $%d", sf_query_text(&query, list->point_code));
    if (list->from_unix_ms)
        sf_query_where(&query, "v.visited_at >= to_timestamp($%d::bigint / 1000.0)",
                       sf_query_int(&query, list->from_unix_ms));
    if (list->to_unix_ms)
        sf_query_where(&query, "v.visited_at < to_timestamp($%d::bigint / 1000.0)",
                       sf_query_int(&query, list->to_unix_ms));
    sf_query_keyset_newest(&query, &page, "v.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->visits = visits_with_problems(call, result, rows);
    if (!reply->visits)
        return sf_call_status(call);
    reply->n_visits = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    return SF_OK;
}

sf_status_t
grid_contact_problem_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ContactProblemListRequest *list = (const Sifang__V1__ContactProblemListRequest *) request;
    Sifang__V1__ContactProblemListReply *reply = (Sifang__V1__ContactProblemListReply *)
        sf_call_new_message(call, &sifang__v1__contact_problem_list_reply__descriptor);
    sf_keyset_t page = sf_keyset_of(call, list->page);
    int64_t staff = 0;
    check_staff_filter(call, list->staff_id, &staff);
    if (list->status < 0 || list->status > STATUS_CASE)
        sf_call_violation(call, "status", "must be OPEN, SOLVED, CASE or unset");
    const char *prefix;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " PROBLEM_COLUMNS PROBLEM_FROM);
    sf_query_subtree(&query, "v.point_code", prefix);
    if (staff)
        sf_query_where(&query, "v.staff_serial = $%d", sf_query_int(&query, staff));
    if (list->status)
        sf_query_where(&query, "q.status = $%d", sf_query_int(&query, list->status));
    sf_query_keyset_newest(&query, &page, "q.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->problems = sf_call_new_array(call, (size_t) (rows ? rows : 1), sizeof *reply->problems);
    for (int row = 0; row < rows; row++)
        if (!(reply->problems[reply->n_problems++] = problem_from_row(call, result, row)))
            return sf_call_status(call);
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    return SF_OK;
}

sf_status_t
grid_contact_point_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ContactPointListRequest *list = (const Sifang__V1__ContactPointListRequest *) request;
    Sifang__V1__ContactPointListReply *reply = (Sifang__V1__ContactPointListReply *)
        sf_call_new_message(call, &sifang__v1__contact_point_list_reply__descriptor);
    int64_t staff = 0;
    check_staff_filter(call, list->staff_id, &staff);
    check_period(call, list->from_unix_ms, list->to_unix_ms);
    const char *prefix;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    /* $1, $2: the period (0 = no bound), the same for visits and problems
     * (a problem counts in the period of the visit that found it). */
    sf_query_t query;
    sf_query_init(&query, call, "");
    int from = sf_query_int(&query, list->from_unix_ms), to = sf_query_int(&query, list->to_unix_ms);
    sf_query_append(&query,
        "SELECT r.staff_serial, s.name, r.unit_code, u.name, u.kind, w.visits, " GRID_MS("w.last") ","
        " w.problems, w.open, w.solved, w.cases AS point_cases"
        " FROM responsibility r JOIN staff s ON s.serial = r.staff_serial JOIN org_unit u ON u.code = r.unit_code"
        " CROSS JOIN LATERAL (SELECT count(DISTINCT v.serial) AS visits, max(v.visited_at) AS last,"
        "  count(q.serial) AS problems, count(q.serial) FILTER (WHERE q.status = 1) AS open,"
        "  count(q.serial) FILTER (WHERE q.status = 2) AS solved, count(q.serial) FILTER (WHERE q.status = 3) AS cases"
        "  FROM contact_visit v LEFT JOIN contact_problem q ON q.visit_serial = v.serial"
        "  WHERE v.staff_serial = r.staff_serial AND v.point_code = r.unit_code"
        "  AND ($%d::bigint = 0 OR v.visited_at >= to_timestamp($%d::bigint / 1000.0))"
        "  AND ($%d::bigint = 0 OR v.visited_at < to_timestamp($%d::bigint / 1000.0))) w", from, from, to, to);
    sf_query_where(&query, "r.kind = $%d", sf_query_int(&query, KIND_LEADER_CONTACT));
    sf_query_subtree(&query, "r.unit_code", prefix);
    if (staff)
        sf_query_where(&query, "r.staff_serial = $%d", sf_query_int(&query, staff));
    sf_query_append(&query, " ORDER BY r.staff_serial, r.unit_code");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    reply->points = sf_call_new_array(call, (size_t) (rows ? rows : 1), sizeof *reply->points);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__ContactPoint *point = (Sifang__V1__ContactPoint *)
            sf_call_new_message(call, &sifang__v1__contact_point__descriptor);
        point->staff_id = grid_staff_id(call, sf_db_int(result, row, 0));
        int next = sf_row_read(result, row, 1, &point->base,
                               "staff_name unit_code unit_name unit_kind visits last_visit_unix_ms problems"
                               " problems_open problems_solved problems_case");
        if (!grid_columns_end(call, result, next, "point_cases"))
            return sf_call_status(call);
        reply->points[reply->n_points++] = point;
    }
    return SF_OK;
}
