/* District departments and their pairings with the communities they help
 * build (帮建对子): create and list both. */
#include "grid.h"
#include <string.h>

#define DEPARTMENT_COLUMNS "d.code, d.name, " GRID_MS("d.created_at")

Sifang__V1__Pairing *
grid_pairing_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__Pairing *pairing =
        (Sifang__V1__Pairing *) sf_call_new_message(call, &sifang__v1__pairing__descriptor);
    pairing->department_code = sf_call_strdup(call, sf_db_text(result, row, 0));
    pairing->community_code = sf_call_strdup(call, sf_db_text(result, row, 1));
    pairing->department_name = sf_call_strdup(call, sf_db_text(result, row, 2));
    pairing->community_name = sf_call_strdup(call, sf_db_text(result, row, 3));
    pairing->since_unix_ms = sf_db_int(result, row, 4);
    return pairing;
}

static Sifang__V1__Department *
department_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__Department *department =
        (Sifang__V1__Department *) sf_call_new_message(call, &sifang__v1__department__descriptor);
    department->code = sf_call_strdup(call, sf_db_text(result, row, 0));
    department->name = sf_call_strdup(call, sf_db_text(result, row, 1));
    department->created_unix_ms = sf_db_int(result, row, 2);
    return department;
}

static bool
check_department_code(sf_call_t *call, const char *code)
{
    if (!*code)
        sf_call_violation(call, "department_code", "is required");
    else if (!grid_department_code_valid(code))
        sf_call_violation(call, "department_code", "must be a department code like civil-affairs");
    else
        return true;
    return false;
}

sf_status_t
grid_department_create(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__Department *department = (const Sifang__V1__Department *) request;
    if (!*department->code)
        sf_call_violation(call, "code", "is required");
    else if (!grid_department_code_valid(department->code))
        sf_call_violation(call, "code",
                          "must be lower-case letters, digits and dashes, starting with a letter,"
                          " at most %d characters", GRID_DEPARTMENT_CODE_MAX);
    sf_call_check_text(call, "name", department->name, GRID_NAME_MAX, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call,
        "INSERT INTO department AS d (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING"
        " RETURNING " DEPARTMENT_COLUMNS, SF_PARAMS(department->code, department->name));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "code", "department %s already exists",
                              department->code);
    Sifang__V1__Department *created = department_from_row(call, result, 0);
    return sf_call_emit_reply(call, reply_p, "department.created", created->code, &created->base);
}

sf_status_t
grid_department_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__DepartmentListRequest *list = (const Sifang__V1__DepartmentListRequest *) request;
    Sifang__V1__DepartmentListReply *reply = (Sifang__V1__DepartmentListReply *)
        sf_call_new_message(call, &sifang__v1__department_list_reply__descriptor);
    sf_page_t page = sf_page_of(call, list->page);
    if (*page.token && !grid_department_code_valid(page.token))
        sf_page_bad_token(call);
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    /* Departments serve the whole district: every caller sees them all. */
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " DEPARTMENT_COLUMNS " FROM department d");
    if (*page.token)
        sf_query_where(&query, "d.code > $%d", sf_query_text(&query, page.token));
    sf_query_append(&query, " ORDER BY d.code LIMIT $%d", sf_query_int(&query, page.size + 1));
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->departments = sf_call_new_array(call, (size_t) rows, sizeof *reply->departments);
    for (int row = 0; row < rows; row++)
        reply->departments[reply->n_departments++] = department_from_row(call, result, row);
    if (sf_page_more(&page, result))
        reply->next_page_token = reply->departments[rows - 1]->code;
    *reply_p = &reply->base;
    return SF_OK;
}

sf_status_t
grid_pairing_create(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__Pairing *pairing = (const Sifang__V1__Pairing *) request;
    size_t community_length = grid_code_length(SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY);
    check_department_code(call, pairing->department_code);
    if (!*pairing->community_code)
        sf_call_violation(call, "community_code", "is required");
    else if (!sf_code_digits(pairing->community_code)
             || strlen(pairing->community_code) != community_length)
        sf_call_violation(call, "community_code", "must be a community code (%zu digits)",
                          community_length);
    /* A pairing that began before it was entered (an import, or the
     * demo's history) keeps its day: the department's work and the KPIs
     * over pairings count from it. Never in the future. */
    int64_t now = sf_now_ms(), since = pairing->since_unix_ms ? pairing->since_unix_ms : now;
    if (pairing->since_unix_ms < 0)
        sf_call_violation(call, "since_unix_ms", "must not be negative");
    else if (since > now + GRID_WORK_SKEW_MS)
        sf_call_violation(call, "since_unix_ms", "is in the future");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!sf_call_covers(call, pairing->community_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "community %s lies outside your scope",
                            pairing->community_code);

    /* Both exist? In one round trip: the department, then the community's kind. */
    sf_params_t *params = SF_PARAMS(pairing->department_code, pairing->community_code);
    PGresult *result = sf_call_query(call,
        "SELECT (SELECT true FROM department WHERE code = $1) IS NOT NULL,"
        " COALESCE((SELECT kind FROM org_unit WHERE code = $2), 0)", params);
    if (!result)
        return sf_call_status(call);
    if (!sf_db_bool(result, 0, 0))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "department_code", "no department %s",
                              pairing->department_code);
    if (sf_db_int(result, 0, 1) != SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "community_code", "no community %s",
                              pairing->community_code);

    params = SF_PARAMS(pairing->community_code, pairing->department_code, since);
    result = sf_call_query(call,
        "WITH p AS (INSERT INTO pairing (community_code, department_code, since)"
        " VALUES ($1, $2, to_timestamp($3::bigint / 1000.0))"
        " ON CONFLICT DO NOTHING RETURNING *)"
        " SELECT p.department_code, p.community_code, d.name, u.name, " GRID_MS("p.since")
        " FROM p JOIN department d ON d.code = p.department_code"
        " JOIN org_unit u ON u.code = p.community_code", params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "department_code",
                              "department %s is already paired with community %s",
                              pairing->department_code, pairing->community_code);
    Sifang__V1__Pairing *created = grid_pairing_from_row(call, result, 0);
    return sf_call_emit_reply(call, reply_p, "pairing.created", created->community_code, &created->base);
}

/* A page token: "<community code>.<department code>" of the last listed. */
static bool
parse_token(sf_call_t *call, const char *token, const char **community, const char **department)
{
    const char *dot = strchr(token, '.');
    if (!dot)
        return false;
    /* Split at the ASCII dot, never inside a character; checked below. */
    *community = sf_call_printf(call, "%.*s", (int) (dot - token), token);
    *department = dot + 1;
    return sf_code_digits(*community) && strlen(*community) < GRID_CODE_SIZE
        && grid_department_code_valid(*department);
}

sf_status_t
grid_pairing_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__PairingListRequest *list = (const Sifang__V1__PairingListRequest *) request;
    Sifang__V1__PairingListReply *reply = (Sifang__V1__PairingListReply *)
        sf_call_new_message(call, &sifang__v1__pairing_list_reply__descriptor);
    sf_page_t page = sf_page_of(call, list->page);
    if (*list->department_code)
        check_department_code(call, list->department_code);
    const char *after_community = "", *after_department = "";
    if (*page.token && !parse_token(call, page.token, &after_community, &after_department))
        sf_page_bad_token(call);
    const char *prefix;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;

    sf_query_t query;
    sf_query_init(&query, call, GRID_PAIRING_SELECT);
    sf_query_subtree(&query, "p.community_code", prefix);
    if (*list->department_code)
        sf_query_where(&query, "p.department_code = $%d",
                         sf_query_text(&query, list->department_code));
    if (*page.token) {
        int community = sf_query_text(&query, after_community);
        int department = sf_query_text(&query, after_department);
        sf_query_where(&query, "(p.community_code, p.department_code) > ($%d, $%d)",
                         community, department);
    }
    sf_query_append(&query, " ORDER BY p.community_code, p.department_code LIMIT $%d",
                      sf_query_int(&query, page.size + 1));
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->pairings = sf_call_new_array(call, (size_t) rows, sizeof *reply->pairings);
    for (int row = 0; row < rows; row++)
        reply->pairings[reply->n_pairings++] = grid_pairing_from_row(call, result, row);
    if (sf_page_more(&page, result))
        reply->next_page_token = sf_call_printf(call, "%s.%s", reply->pairings[rows - 1]->community_code,
                                                reply->pairings[rows - 1]->department_code);
    return SF_OK;
}
