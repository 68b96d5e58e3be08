/* Start-up incubation bases (创业孵化基地) and their tenants: the enterprises
 * and people a base supports, from the day they move in until the day they
 * leave. A base holds at most its capacity at a time; a business is in a
 * base once at a time. */
#include "employment.h"
#include "sf_row.h"
#include <string.h>

#define CAPACITY_MAX 10000

#define BASE_COLUMNS \
    "b.id, b.name, b.address, b.zone_code, b.operator_name, b.capacity, " EMP_DATE("b.opened_on") "," \
    " (SELECT count(*) FROM incubation_tenant t WHERE t.base_id = b.id AND t.left_on IS NULL)::int AS tenants," \
    " (SELECT count(*) FROM incubation_tenant t WHERE t.base_id = b.id)::int AS tenants_ever," \
    " " EMP_MS("b.created_at") ", b.version"

#define TENANT_COLUMNS \
    "t.id, t.base_id, b.name, t.business_name, COALESCE(t.business_credit_code, ''), COALESCE(p.resident_id, '')," \
    " COALESCE(t.support_id, 0), " EMP_DATE("t.entered_on") ", " EMP_DATE("t.left_on") ", t.left_reason, " \
    EMP_MS("t.created_at") ", " EMP_MS("t.updated_at") ", t.version"
#define TENANT_FROM \
    "incubation_tenant t JOIN incubation_base b ON b.id = t.base_id LEFT JOIN person p ON p.serial = t.person_serial"

static Sifang__V1__IncubationBase *
base_from_row(sf_call_t *call, const PGresult *result, int row)
{
    return sf_call_row_message(call, &sifang__v1__incubation_base__descriptor, result, row,
        "id name address zone_code operator_name capacity opened_on tenants tenants_ever created_unix_ms version");
}

static Sifang__V1__IncubationTenant *
tenant_from_row(sf_call_t *call, const PGresult *result, int row)
{
    return sf_call_row_message(call, &sifang__v1__incubation_tenant__descriptor, result, row,
        "id base_id base_name business_name business_credit_code resident_id support_id entered_on left_on"
        " left_reason created_unix_ms updated_unix_ms version");
}

/* The tenant as stored, for a reply and its event. */
static sf_status_t
tenant_reply(sf_call_t *call, int64_t id, const char *event, ProtobufCMessage **reply_p)
{
    PGresult *result = sf_call_query(call, "SELECT " TENANT_COLUMNS " FROM " TENANT_FROM " WHERE t.id = $1",
                                     SF_PARAMS(id));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__IncubationTenant *stored = PQntuples(result) == 1 ? tenant_from_row(call, result, 0) : NULL;
    if (!stored)
        return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
    return sf_call_emit_reply(call, reply_p, event, sf_call_printf(call, "%lld", (long long) id), &stored->base);
}

sf_status_t
emp_incubation_base_create(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__IncubationBase *base = (const Sifang__V1__IncubationBase *) request;
    sf_call_check_text(call, "name", base->name, EMP_NAME_MAX, true);
    sf_call_check_text(call, "address", base->address, EMP_TEXT_MAX, false);
    sf_call_check_text(call, "operator_name", base->operator_name, EMP_NAME_MAX, false);
    if (!*base->zone_code)
        sf_call_violation(call, "zone_code", "is required");
    else if (!sf_code_of_length(base->zone_code, SF_CODE_ZONE_LENGTH))
        sf_call_violation(call, "zone_code", "must be a zone code (14 digits)");
    if (base->capacity < 1 || base->capacity > CAPACITY_MAX)
        sf_call_violation(call, "capacity", "must be between 1 and %d", CAPACITY_MAX);
    int32_t opened = sf_today();
    if (emp_check_date(call, "opened_on", base->opened_on, &opened) && opened > sf_today())
        sf_call_violation(call, "opened_on", "is in the future");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!emp_may_write(call, base->zone_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "zone %s lies outside your scope", base->zone_code);
    PGresult *zone = sf_call_query(call, "SELECT 1 FROM ref_unit WHERE code = $1 AND kind = 4",
                                   SF_PARAMS(base->zone_code));
    if (!zone)
        return sf_call_status(call);
    if (PQntuples(zone) != 1)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "zone_code", "no zone %s is known from grid",
                              base->zone_code);
    char opened_text[11];
    sf_date_format(opened, opened_text);
    PGresult *result = sf_call_query(call,
        "WITH b AS (INSERT INTO incubation_base (name, address, zone_code, operator_name, capacity, opened_on)"
        "   VALUES ($1, $2, $3, $4, $5, $6::date) ON CONFLICT (name) DO NOTHING RETURNING *)"
        " SELECT b.id, b.name, b.address, b.zone_code, b.operator_name, b.capacity, " EMP_DATE("b.opened_on") ","
        " 0 AS tenants, 0 AS tenants_ever, " EMP_MS("b.created_at") ", b.version FROM b",
        SF_PARAMS(base->name, base->address, base->zone_code, base->operator_name, base->capacity, opened_text));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "name", "an incubation base %s exists already", base->name);
    Sifang__V1__IncubationBase *stored = base_from_row(call, result, 0);
    if (!stored)
        return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
    return sf_call_emit_reply(call, reply_p, "incubation_base.created",
                              sf_call_printf(call, "%lld", (long long) stored->id), &stored->base);
}

sf_status_t
emp_incubation_base_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__IncubationBaseListRequest *list = (const Sifang__V1__IncubationBaseListRequest *) request;
    const char *prefix = NULL;
    int64_t after = 0;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    sf_page_t page = sf_page_of(call, list->page);
    if (!sf_call_has_violations(call))
        sf_page_int_token(call, &page, &after);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__IncubationBaseListReply *reply = (Sifang__V1__IncubationBaseListReply *)
        sf_call_new_message(call, &sifang__v1__incubation_base_list_reply__descriptor);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " BASE_COLUMNS " FROM incubation_base b");
    sf_query_subtree(&query, "b.zone_code", prefix);
    if (after)
        sf_query_where(&query, "b.id > $%d", sf_query_int(&query, after));
    sf_query_append(&query, " ORDER BY b.id LIMIT %d", page.size + 1);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->bases = sf_call_new_array(call, (size_t) rows, sizeof *reply->bases);
    for (int row = 0; row < rows; row++)
        if (!(reply->bases[reply->n_bases++] = base_from_row(call, result, row)))
            return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
    if (sf_page_more(&page, result))
        reply->next_page_token = sf_call_printf(call, "%lld", (long long) reply->bases[rows - 1]->id);
    return SF_OK;
}

sf_status_t
emp_incubation_tenant_admit(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__IncubationTenant *tenant = (const Sifang__V1__IncubationTenant *) request;
    if (tenant->base_id <= 0)
        sf_call_violation(call, "base_id", "is required");
    sf_call_check_text(call, "business_name", tenant->business_name, EMP_NAME_MAX, true);
    if (*tenant->business_credit_code && !sf_credit_code_valid(tenant->business_credit_code))
        sf_call_violation(call, "business_credit_code", "is not a unified social credit code (GB 32100-2015)");
    if (tenant->support_id < 0)
        sf_call_violation(call, "support_id", "must be a support's id");
    int32_t entered = sf_today();
    if (emp_check_date(call, "entered_on", tenant->entered_on, &entered) && entered > sf_today())
        sf_call_violation(call, "entered_on", "is in the future");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *base = sf_call_query(call,
        "SELECT b.zone_code, b.capacity, " EMP_DATE("b.opened_on") ","
        " (SELECT count(*) FROM incubation_tenant t WHERE t.base_id = b.id AND t.left_on IS NULL),"
        " (SELECT count(*) FROM incubation_tenant t WHERE t.base_id = b.id AND t.left_on IS NULL"
        "   AND (t.business_name = $2 OR t.business_credit_code = NULLIF($3, '')))"
        " FROM incubation_base b WHERE b.id = $1 FOR UPDATE",
        SF_PARAMS(tenant->base_id, tenant->business_name, tenant->business_credit_code));
    if (!base)
        return sf_call_status(call);
    if (PQntuples(base) != 1 || !sf_call_covers(call, sf_db_text(base, 0, 0)))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "base_id", "no incubation base %lld",
                              (long long) tenant->base_id);
    if (!emp_may_write(call, sf_db_text(base, 0, 0)))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the base lies outside your scope");
    int32_t opened = 0;
    sf_date_parse(sf_db_text(base, 0, 2), &opened);
    if (entered < opened)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "entered_on", "is before the base opened (%s)",
                              sf_db_text(base, 0, 2));
    if (sf_db_int(base, 0, 4) > 0)
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "business_name", "%s is in the base already",
                              tenant->business_name);
    if (sf_db_int(base, 0, 3) >= sf_db_int(base, 0, 1))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "base_id", "the base is full: %lld tenants of %lld",
                              (long long) sf_db_int(base, 0, 3), (long long) sf_db_int(base, 0, 1));
    /* The entrepreneur, and the support that placed them, when given. */
    sf_params_t *params = SF_PARAMS(tenant->resident_id, tenant->support_id);
    PGresult *who = sf_call_query(call,
        "SELECT (SELECT serial FROM person WHERE resident_id = $1), (SELECT home_zone_code FROM person"
        "   WHERE resident_id = $1), (SELECT p.resident_id FROM support s JOIN person p ON p.serial = s.person_serial"
        "   WHERE s.id = $2)", params);
    if (!who)
        return sf_call_status(call);
    if (*tenant->resident_id && (sf_db_is_null(who, 0, 0) || !sf_call_covers(call, sf_db_text(who, 0, 1))))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "resident_id", "no person %s is registered",
                              tenant->resident_id);
    if (tenant->support_id && sf_db_is_null(who, 0, 2))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "support_id", "no support %lld",
                              (long long) tenant->support_id);
    if (tenant->support_id && *tenant->resident_id && strcmp(sf_db_text(who, 0, 2), tenant->resident_id) != 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "support_id", "support %lld was granted to %s, not %s",
                              (long long) tenant->support_id, sf_db_text(who, 0, 2), tenant->resident_id);
    char entered_text[11];
    sf_date_format(entered, entered_text);
    PGresult *result = sf_call_query(call,
        "INSERT INTO incubation_tenant (base_id, business_name, business_credit_code, person_serial, support_id,"
        " entered_on) VALUES ($1, $2, NULLIF($3, ''), (SELECT serial FROM person WHERE resident_id = $4),"
        " NULLIF($5, 0), $6::date) RETURNING id",
        SF_PARAMS(tenant->base_id, tenant->business_name, tenant->business_credit_code, tenant->resident_id,
                  tenant->support_id, entered_text));
    if (!result)
        return sf_call_status(call);
    return tenant_reply(call, sf_db_int(result, 0, 0), "incubation_tenant.admitted", reply_p);
}

sf_status_t
emp_incubation_tenant_leave(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__IncubationTenantLeaveRequest *leave = (const Sifang__V1__IncubationTenantLeaveRequest *) request;
    if (leave->id <= 0)
        sf_call_violation(call, "id", "is required");
    sf_call_check_text(call, "reason", leave->reason, EMP_TEXT_MAX, true);
    int32_t left = sf_today();
    if (emp_check_date(call, "left_on", leave->left_on, &left) && left > sf_today())
        sf_call_violation(call, "left_on", "is in the future");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *current = sf_call_query(call,
        "SELECT b.zone_code, t.version, t.left_on IS NOT NULL, " EMP_DATE("t.entered_on")
        " FROM incubation_tenant t JOIN incubation_base b ON b.id = t.base_id WHERE t.id = $1 FOR UPDATE OF t",
        SF_PARAMS(leave->id));
    if (!current)
        return sf_call_status(call);
    if (PQntuples(current) != 1 || !sf_call_covers(call, sf_db_text(current, 0, 0)))
        return sf_call_refuse(call, SF_NOT_FOUND, "id", "no tenant %lld", (long long) leave->id);
    if (!emp_may_write(call, sf_db_text(current, 0, 0)))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the base lies outside your scope");
    if (leave->expected_version && leave->expected_version != sf_db_int(current, 0, 1))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version", "the tenant is at version %lld",
                              (long long) sf_db_int(current, 0, 1));
    if (sf_db_bool(current, 0, 2))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "id", "tenant %lld has left already",
                              (long long) leave->id);
    int32_t entered = 0;
    sf_date_parse(sf_db_text(current, 0, 3), &entered);
    if (left < entered)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "left_on", "is before the tenant moved in (%s)",
                              sf_db_text(current, 0, 3));
    char left_text[11];
    sf_date_format(left, left_text);
    PGresult *result = sf_call_query(call,
        "UPDATE incubation_tenant SET left_on = $2::date, left_reason = $3, version = version + 1,"
        " updated_at = now() WHERE id = $1", SF_PARAMS(leave->id, left_text, leave->reason));
    if (!result)
        return sf_call_status(call);
    return tenant_reply(call, leave->id, "incubation_tenant.left", reply_p);
}

sf_status_t
emp_incubation_tenant_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__IncubationTenantListRequest *list = (const Sifang__V1__IncubationTenantListRequest *) request;
    const char *prefix = NULL;
    int64_t after = 0;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    sf_page_t page = sf_page_of(call, list->page);
    if (list->base_id < 0)
        sf_call_violation(call, "base_id", "must be a base's id");
    if (!sf_call_has_violations(call))
        sf_page_int_token(call, &page, &after);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__IncubationTenantListReply *reply = (Sifang__V1__IncubationTenantListReply *)
        sf_call_new_message(call, &sifang__v1__incubation_tenant_list_reply__descriptor);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " TENANT_COLUMNS " FROM " TENANT_FROM);
    sf_query_subtree(&query, "b.zone_code", prefix);
    if (list->base_id)
        sf_query_where(&query, "t.base_id = $%d", sf_query_int(&query, list->base_id));
    if (list->current_only)
        sf_query_where(&query, "t.left_on IS NULL");
    if (after)
        sf_query_where(&query, "t.id > $%d", sf_query_int(&query, after));
    sf_query_append(&query, " ORDER BY t.id LIMIT %d", page.size + 1);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->tenants = sf_call_new_array(call, (size_t) rows, sizeof *reply->tenants);
    for (int row = 0; row < rows; row++)
        if (!(reply->tenants[reply->n_tenants++] = tenant_from_row(call, result, row)))
            return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
    if (sf_page_more(&page, result))
        reply->next_page_token = sf_call_printf(call, "%lld", (long long) reply->tenants[rows - 1]->id);
    return SF_OK;
}
