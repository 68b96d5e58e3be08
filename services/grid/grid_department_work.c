/* Departments' work in the communities they are paired with (帮建对子,
 * 走遍社区): visits of the community, problems taken on for it and resources
 * given (people, money, premises, hours), each with what followed, and the
 * counts per department and per community. A department's household visits
 * are volunteer's (VisitRecord carries the visitor's department). */
#include "grid.h"
#include "sf_row.h"
#include <math.h>
#include <string.h>

#define KIND_VISIT SIFANG__V1__DEPARTMENT_WORK_KIND__DEPARTMENT_WORK_KIND_VISIT
#define KIND_RESOURCE SIFANG__V1__DEPARTMENT_WORK_KIND__DEPARTMENT_WORK_KIND_RESOURCE
#define RESOURCE_HOURS SIFANG__V1__RESOURCE_KIND__RESOURCE_KIND_HOURS

#define WORK_COLUMNS \
    "w.serial, w.department_code, d.name, w.community_code, u.name, w.kind, w.staff_serial, s.name, " \
    GRID_MS("w.at") ", w.people_met, w.content, w.resource_kind, w.amount, w.follow_up, w.done, " \
    GRID_MS("w.followed_up_at") ", " GRID_MS("w.created_at") ", " GRID_MS("w.updated_at") ", w.version AS work_version"
#define WORK_FROM \
    " FROM department_work w JOIN department d ON d.code = w.department_code" \
    " JOIN org_unit u ON u.code = w.community_code JOIN staff s ON s.serial = w.staff_serial"

/* A work record as this caller may see it (people_met shown or masked). */
static Sifang__V1__DepartmentWork *
work_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__DepartmentWork *work = (Sifang__V1__DepartmentWork *)
        sf_call_new_message(call, &sifang__v1__department_work__descriptor);
    work->id = grid_work_id(call, GRID_ID_DEPARTMENT_WORK, sf_db_int(result, row, 0));
    int next = sf_row_read(result, row, 1, &work->base, "department_code department_name community_code community_name kind");
    work->staff_id = grid_staff_id(call, sf_db_int(result, row, next));
    next = sf_row_read(result, row, next + 1, &work->base,
                       "staff_name at_unix_ms people_met content resource_kind amount follow_up done"
                       " followed_up_unix_ms created_unix_ms updated_unix_ms version");
    if (!grid_columns_end(call, result, next, "work_version"))
        return NULL;
    work->people_met = grid_people_met_shown(call, work->community_code, work->staff_id, work->people_met);
    return work;
}

/* Its event: the names met masked. */
static sf_status_t
work_emit_reply(sf_call_t *call, ProtobufCMessage **reply_p, const char *type, Sifang__V1__DepartmentWork *work,
                const char *people_met)
{
    Sifang__V1__DepartmentWork *event = (Sifang__V1__DepartmentWork *)
        sf_call_new_message(call, &sifang__v1__department_work__descriptor);
    *event = *work;
    event->people_met = grid_people_met_masked(call, people_met);
    sf_call_emit(call, type, event->id, &event->base);
    *reply_p = &work->base;
    return SF_OK;
}

/* A person acts for their own department; a key within its scope. */
static sf_status_t
require_department(sf_call_t *call, const char *department_code, const char *community_code)
{
    if (sf_call_is_person(call)) {
        if (strcmp(sf_call_principal(call)->department, department_code) != 0)
            return sf_call_fail(call, SF_PERMISSION_DENIED, "a department's staff record their own department's work");
        return SF_OK;
    }
    if (!sf_call_covers(call, community_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "community %s lies outside your scope", community_code);
    return SF_OK;
}

static void
check_work_fields(sf_call_t *call, const Sifang__V1__DepartmentWork *work, int64_t *staff, int64_t *at)
{
    if (*work->id)
        sf_call_violation(call, "id", "is given by grid; leave it empty");
    if (!*work->department_code)
        sf_call_violation(call, "department_code", "is required");
    else if (!grid_department_code_valid(work->department_code))
        sf_call_violation(call, "department_code", "must be a department code like civil-affairs");
    if (!sf_code_of_length(work->community_code, SF_CODE_COMMUNITY_LENGTH))
        sf_call_violation(call, "community_code", "must be a community code (%d digits)", SF_CODE_COMMUNITY_LENGTH);
    if (work->kind < KIND_VISIT || work->kind > KIND_RESOURCE)
        sf_call_violation(call, "kind", "must be VISIT, PROBLEM or RESOURCE");
    if (!*work->staff_id)
        sf_call_violation(call, "staff_id", "is required");
    else if (!sf_serial_id_parse(work->staff_id, 'S', staff))
        sf_call_violation(call, "staff_id", "must be a staff id like S00042");
    grid_work_time(call, "at_unix_ms", work->at_unix_ms, at);
    sf_call_check_text(call, "people_met", work->people_met, GRID_PEOPLE_MET_MAX, false);
    sf_call_check_note(call, "content", work->content, GRID_WORK_TEXT_MAX, true);
    sf_call_check_note(call, "follow_up", work->follow_up, GRID_WORK_TEXT_MAX, work->done);
    if (work->kind == KIND_RESOURCE) {
        if (work->resource_kind < SIFANG__V1__RESOURCE_KIND__RESOURCE_KIND_PEOPLE
            || work->resource_kind > RESOURCE_HOURS)
            sf_call_violation(call, "resource_kind", "must be PEOPLE, MONEY, PREMISES or HOURS");
        if (!isfinite(work->amount) || work->amount <= 0 || work->amount > GRID_RESOURCE_AMOUNT_MAX)
            sf_call_violation(call, "amount", "must be more than 0 and at most %g", GRID_RESOURCE_AMOUNT_MAX);
    } else {
        if (work->resource_kind)
            sf_call_violation(call, "resource_kind", "is for resources only");
        if (work->amount != 0)
            sf_call_violation(call, "amount", "is for resources only");
    }
    if (work->followed_up_unix_ms || work->created_unix_ms || work->updated_unix_ms || work->version)
        sf_call_violation(call, "version", "times and versions are given by grid; leave them 0");
}

sf_status_t
grid_department_work_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DepartmentWork *work = (const Sifang__V1__DepartmentWork *) request;
    int64_t staff = 0, at = 0;
    check_work_fields(call, work, &staff, &at);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_status_t status = require_department(call, work->department_code, work->community_code);
    if (status != SF_OK)
        return status;

    PGresult *facts = sf_call_query(call,
        "SELECT (SELECT true FROM department WHERE code = $1) IS NOT NULL,"
        " (SELECT COALESCE(department_code, '') FROM staff WHERE serial = $3),"
        " (SELECT true FROM pairing WHERE community_code = $2 AND department_code = $1) IS NOT NULL,"
        " (SELECT " GRID_MS("since") " FROM pairing WHERE community_code = $2 AND department_code = $1)",
        SF_PARAMS(work->department_code, work->community_code, staff));
    if (!facts)
        return sf_call_status(call);
    if (!sf_db_bool(facts, 0, 0))
        return sf_call_refuse(call, SF_NOT_FOUND, "department_code", "no department %s", work->department_code);
    if (sf_db_is_null(facts, 0, 1))
        return sf_call_refuse(call, SF_NOT_FOUND, "staff_id", "no staff member %s", work->staff_id);
    if (strcmp(sf_db_text(facts, 0, 1), work->department_code) != 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "staff_id", "%s is not of department %s",
                              work->staff_id, work->department_code);
    if (!sf_db_bool(facts, 0, 2))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "community_code",
                              "department %s is not paired with community %s", work->department_code,
                              work->community_code);
    /* Work in a paired community is work of the pairing: none before it
     * began (a pairing's day may lie in the past, PairingCreate). */
    if (at < sf_db_int(facts, 0, 3))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "at_unix_ms",
                              "is before the pairing of department %s with community %s began",
                              work->department_code, work->community_code);

    PGresult *result = sf_call_query(call,
        "WITH w AS (INSERT INTO department_work (community_code, department_code, kind, staff_serial, at, people_met,"
        " content, resource_kind, amount, follow_up, done, followed_up_at)"
        " VALUES ($1, $2, $3, $4, to_timestamp($5::bigint / 1000.0), $6, $7, $8, $9, $10, $11,"
        "  CASE WHEN $10 <> '' OR $11 THEN now() END) RETURNING *)"
        " SELECT " WORK_COLUMNS " FROM w JOIN department d ON d.code = w.department_code"
        " JOIN org_unit u ON u.code = w.community_code JOIN staff s ON s.serial = w.staff_serial",
        SF_PARAMS(work->community_code, work->department_code, work->kind, staff, at, work->people_met,
                  work->content, work->resource_kind, work->amount, work->follow_up, sf_param_bool(work->done)));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__DepartmentWork *recorded = work_from_row(call, result, 0);
    if (!recorded)
        return sf_call_status(call);
    return work_emit_reply(call, reply_p, "department_work.recorded", recorded, sf_db_text(result, 0, 9));
}

sf_status_t
grid_department_work_follow_up(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DepartmentWorkFollowUpRequest *update = (const Sifang__V1__DepartmentWorkFollowUpRequest *) request;
    int64_t serial = 0;
    if (!*update->id)
        sf_call_violation(call, "id", "is required");
    else if (!sf_serial_id_parse(update->id, GRID_ID_DEPARTMENT_WORK, &serial))
        sf_call_violation(call, "id", "must be a department work id like D000123");
    sf_call_check_note(call, "follow_up", update->follow_up, GRID_WORK_TEXT_MAX, true);
    if (update->expected_version < 0)
        sf_call_violation(call, "expected_version", "must not be negative");
    int64_t at = 0;
    grid_work_time(call, "at_unix_ms", update->at_unix_ms, &at);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call,
        "SELECT department_code, community_code, version, " GRID_MS("at") " FROM department_work"
        " WHERE serial = $1 FOR UPDATE",
        SF_PARAMS(serial));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, "id", "no department work %s", update->id);
    sf_status_t status = require_department(call, sf_db_text(result, 0, 0), sf_db_text(result, 0, 1));
    if (status != SF_OK)
        return status;
    if (update->expected_version && update->expected_version != sf_db_int(result, 0, 2))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version", "%s is at version %lld",
                              update->id, (long long) sf_db_int(result, 0, 2));
    if (at < sf_db_int(result, 0, 3))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "at_unix_ms", "is before the work it follows");
    result = sf_call_query(call,
        "WITH w AS (UPDATE department_work SET follow_up = $2, done = $3, followed_up_at = to_timestamp($4::bigint"
        " / 1000.0), updated_at = now(),"
        " version = version + 1 WHERE serial = $1 RETURNING *)"
        " SELECT " WORK_COLUMNS " FROM w JOIN department d ON d.code = w.department_code"
        " JOIN org_unit u ON u.code = w.community_code JOIN staff s ON s.serial = w.staff_serial",
        SF_PARAMS(serial, update->follow_up, sf_param_bool(update->done), at));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__DepartmentWork *updated = work_from_row(call, result, 0);
    if (!updated)
        return sf_call_status(call);
    return work_emit_reply(call, reply_p, "department_work.followed_up", updated, sf_db_text(result, 0, 9));
}

sf_status_t
grid_department_work_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DepartmentWorkListRequest *list = (const Sifang__V1__DepartmentWorkListRequest *) request;
    Sifang__V1__DepartmentWorkListReply *reply = (Sifang__V1__DepartmentWorkListReply *)
        sf_call_new_message(call, &sifang__v1__department_work_list_reply__descriptor);
    sf_keyset_t page = sf_keyset_of(call, list->page);
    if (*list->department_code && !grid_department_code_valid(list->department_code))
        sf_call_violation(call, "department_code", "must be a department code like civil-affairs");
    if (list->kind < 0 || list->kind > KIND_RESOURCE)
        sf_call_violation(call, "kind", "must be VISIT, PROBLEM, RESOURCE or unset");
    const char *prefix;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " WORK_COLUMNS WORK_FROM);
    sf_query_subtree(&query, "w.community_code", prefix);
    if (*list->department_code)
        sf_query_where(&query, "w.department_code = $%d", sf_query_text(&query, list->department_code));
    if (list->kind)
        sf_query_where(&query, "w.kind = $%d", sf_query_int(&query, list->kind));
    sf_query_keyset_newest(&query, &page, "w.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->works = sf_call_new_array(call, (size_t) (rows ? rows : 1), sizeof *reply->works);
    for (int row = 0; row < rows; row++)
        if (!(reply->works[reply->n_works++] = work_from_row(call, result, row)))
            return sf_call_status(call);
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    return SF_OK;
}

sf_status_t
grid_department_work_counts(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DepartmentWorkCountsRequest *ask = (const Sifang__V1__DepartmentWorkCountsRequest *) request;
    Sifang__V1__DepartmentWorkCountsReply *reply = (Sifang__V1__DepartmentWorkCountsReply *)
        sf_call_new_message(call, &sifang__v1__department_work_counts_reply__descriptor);
    bool by_department = ask->group_by == SIFANG__V1__DEPARTMENT_WORK_GROUPING__DEPARTMENT_WORK_GROUPING_DEPARTMENT;
    if (!by_department && ask->group_by != SIFANG__V1__DEPARTMENT_WORK_GROUPING__DEPARTMENT_WORK_GROUPING_COMMUNITY)
        sf_call_violation(call, "group_by", "must be DEPARTMENT or COMMUNITY");
    if (*ask->department_code && !grid_department_code_valid(ask->department_code))
        sf_call_violation(call, "department_code", "must be a department code like civil-affairs");
    if (ask->from_unix_ms < 0)
        sf_call_violation(call, "from_unix_ms", "must not be negative");
    if (ask->to_unix_ms < 0 || (ask->to_unix_ms && ask->to_unix_ms < ask->from_unix_ms))
        sf_call_violation(call, "to_unix_ms", "must not be before from_unix_ms (0 = no bound)");
    const char *prefix;
    bool visible = sf_call_scope_under(call, "under", ask->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    /* Groups are the pairings' (a department or community with no work
     * yet shows with zeros): the pairings in the subtree, their work in the
     * period summed over each group. */
    const char *key = by_department ? "p.department_code" : "p.community_code";
    const char *name = by_department ? "(SELECT name FROM department WHERE code = p.department_code)"
                                     : "(SELECT name FROM org_unit WHERE code = p.community_code)";
    sf_query_t query;
    sf_query_init(&query, call, "");
    sf_query_append(&query,
        "SELECT %s, min(%s), sum(w.visits), count(DISTINCT p.community_code) FILTER (WHERE w.visits > 0),"
        " sum(w.problems), sum(w.problems_done), sum(w.resources), sum(w.people), sum(w.money), sum(w.premises),"
        " sum(w.hours), count(*) AS pairings FROM pairing p CROSS JOIN LATERAL (SELECT"
        "  count(*) FILTER (WHERE x.kind = 1) AS visits, count(*) FILTER (WHERE x.kind = 2) AS problems,"
        "  count(*) FILTER (WHERE x.kind = 2 AND x.done) AS problems_done, count(*) FILTER (WHERE x.kind = 3) AS resources,"
        "  COALESCE(sum(x.amount) FILTER (WHERE x.resource_kind = 1), 0) AS people,"
        "  COALESCE(sum(x.amount) FILTER (WHERE x.resource_kind = 2), 0) AS money,"
        "  COALESCE(sum(x.amount) FILTER (WHERE x.resource_kind = 3), 0) AS premises,"
        "  COALESCE(sum(x.amount) FILTER (WHERE x.resource_kind = 4), 0) AS hours"
        "  FROM department_work x WHERE x.community_code = p.community_code AND x.department_code = p.department_code",
        key, name);
    if (ask->from_unix_ms)
        sf_query_append(&query, " AND x.at >= to_timestamp($%d::bigint / 1000.0)",
                        sf_query_int(&query, ask->from_unix_ms));
    if (ask->to_unix_ms)
        sf_query_append(&query, " AND x.at < to_timestamp($%d::bigint / 1000.0)", sf_query_int(&query, ask->to_unix_ms));
    sf_query_append(&query, ") w");
    sf_query_subtree(&query, "p.community_code", prefix);
    if (*ask->department_code)
        sf_query_where(&query, "p.department_code = $%d", sf_query_text(&query, ask->department_code));
    sf_query_append(&query, " GROUP BY 1 ORDER BY 1");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    reply->counts = sf_call_new_array(call, (size_t) (rows ? rows : 1), sizeof *reply->counts);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__DepartmentWorkCount *count = (Sifang__V1__DepartmentWorkCount *)
            sf_call_new_message(call, &sifang__v1__department_work_count__descriptor);
        int next = sf_row_read(result, row, 0, &count->base,
                               "key name visits communities_visited problems problems_done resources people money_yuan"
                               " premises_m2 hours pairings");
        if (!grid_columns_end(call, result, next, "pairings"))
            return sf_call_status(call);
        reply->counts[reply->n_counts++] = count;
    }
    return SF_OK;
}
