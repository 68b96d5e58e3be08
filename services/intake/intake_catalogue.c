/* The service catalogue: the items the agency takes cases for, each with
 * its handling department, time limit and required materials. */
#include "intake.h"
#include "sf_row.h"
#include "intake_ref.h"
#include <stdio.h>
#include <string.h>

#define ITEM_COLUMNS \
    "i.code, i.name, i.category, i.department_code, coalesce(d.name, ''), i.routing, i.time_limit," \
    " i.time_limit_unit, i.required_materials::text, i.enterprise, i.provider_skill, i.active," \
    " i.description, " INTAKE_MS("i.updated_at") ", i.version, i.registration, i.offer_timeout_ms"
#define ITEM_FROM " FROM service_item i LEFT JOIN ref_department d ON d.code = i.department_code"

#define MATERIALS_MAX 20
/* How long an offer for an item's case may wait for the provider's answer
 * (migration 015's bounds). */
#define OFFER_TIMEOUT_MIN_MS 1000
#define OFFER_TIMEOUT_MAX_MS (24LL * 3600 * 1000)

static Sifang__V1__ServiceItem *
item_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__ServiceItem *item = (Sifang__V1__ServiceItem *)
        sf_call_new_message(call, &sifang__v1__service_item__descriptor);
    sf_row_read(result, row, 0, &item->base,
                "code name category department_code department_name routing time_limit time_limit_unit");
    const char *materials = sf_db_text(result, row, 8);
    item->required_materials = sf_call_new_array(call, MATERIALS_MAX + 1, sizeof(char *));
    item->n_required_materials = sf_pgarray_parse(materials, sf_call_alloc(call, strlen(materials) + 1),
                                                  item->required_materials, MATERIALS_MAX + 1);
    sf_row_read(result, row, 9, &item->base,
                "enterprise provider_skill active description updated_unix_ms version registration offer_timeout_ms");
    return item;
}

static bool
code_chars(const char *code, const char *extra)
{
    for (const char *c = code; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr(extra, *c)))
            return false;
    return true;
}

sf_status_t
intake_item_put(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ServiceItem *item = (const Sifang__V1__ServiceItem *) request;
    size_t code_length = strlen(item->code);
    if (!code_length)
        sf_call_violation(call, "code", "is required");
    else if (code_length < 2 || code_length > 48 || !code_chars(item->code, "-") || item->code[0] == '-')
        sf_call_violation(call, "code", "must be 2 to 48 of a-z, 0-9 and '-', not starting with '-'");
    sf_call_check_text(call, "name", item->name, 100, true);
    if (item->category < SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_GOVERNMENT
        || item->category > SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_CONVENIENCE)
        sf_call_violation(call, "category", "must be government, party or convenience");
    if (!*item->department_code)
        sf_call_violation(call, "department_code", "is required: the handling department");
    else if (strlen(item->department_code) > 40 || !code_chars(item->department_code, "-_"))
        sf_call_violation(call, "department_code", "must be a department code (a-z, 0-9, '-', at most 40)");
    if (item->routing < SIFANG__V1__CASE_ROUTING__CASE_ROUTING_DEPARTMENT
        || item->routing > SIFANG__V1__CASE_ROUTING__CASE_ROUTING_PROVIDER)
        sf_call_violation(call, "routing", "must be department, zone or provider");
    if (item->time_limit_unit == SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_WORKING_DAYS) {
        if (item->time_limit < 1 || item->time_limit > 365)
            sf_call_violation(call, "time_limit", "must be 1 to 365 working days");
    } else if (item->time_limit_unit == SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_HOURS) {
        if (item->time_limit < 1 || item->time_limit > 720)
            sf_call_violation(call, "time_limit", "must be 1 to 720 hours");
    } else
        sf_call_violation(call, "time_limit_unit", "must be working days or hours");
    if (item->n_required_materials > MATERIALS_MAX)
        sf_call_violation(call, "required_materials", "at most %d", MATERIALS_MAX);
    for (size_t i = 0; i < item->n_required_materials && i < MATERIALS_MAX; i++)
        sf_call_check_text(call, sf_call_printf(call, "required_materials[%zu]", i), item->required_materials[i],
                           100, true);
    if (item->routing == SIFANG__V1__CASE_ROUTING__CASE_ROUTING_PROVIDER && !*item->provider_skill)
        sf_call_violation(call, "provider_skill", "is required for provider routing: the volunteer skill dispatched");
    else if (strlen(item->provider_skill) > 32 || !code_chars(item->provider_skill, "_"))
        sf_call_violation(call, "provider_skill", "must be a skill code (a-z, 0-9, '_', at most 32)");
    sf_call_check_note(call, "description", item->description, 500, false);
    if (item->offer_timeout_ms && item->routing != SIFANG__V1__CASE_ROUTING__CASE_ROUTING_PROVIDER)
        sf_call_violation(call, "offer_timeout_ms", "only an item dispatched to providers makes offers (give 0)");
    else if (item->offer_timeout_ms && (item->offer_timeout_ms < OFFER_TIMEOUT_MIN_MS
                                        || item->offer_timeout_ms > OFFER_TIMEOUT_MAX_MS))
        sf_call_violation(call, "offer_timeout_ms", "must be between 1 second and 1 day (0 = the registry's for"
                          " the skill)");
    if (item->expected_version < 0)
        sf_call_violation(call, "expected_version", "must not be negative");
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    sf_params_t *params = SF_PARAMS(item->code);
    PGresult *existing = sf_call_query(call, "SELECT version FROM service_item WHERE code = $1 FOR UPDATE", params);
    if (!existing)
        return sf_call_status(call);
    bool exists = PQntuples(existing) == 1;
    if (item->expected_version && !exists)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version", "there is no item %s to update",
                              item->code);
    if (item->expected_version && sf_db_int(existing, 0, 0) != item->expected_version)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version", "the item is at version %lld",
                              (long long) sf_db_int(existing, 0, 0));
    sf_pgarray_t materials;
    sf_pgarray_init(&materials);
    for (size_t i = 0; i < item->n_required_materials; i++)
        sf_pgarray_add_text(&materials, item->required_materials[i]);
    params = SF_PARAMS(item->code, item->name, item->category, item->department_code, item->routing, item->time_limit,
                       item->time_limit_unit, sf_call_strdup(call, sf_pgarray_text(&materials)),
                       sf_param_bool(item->enterprise), item->provider_skill, sf_param_bool(item->active),
                       item->description, item->offer_timeout_ms);
    sf_pgarray_release(&materials);
    PGresult *result = sf_call_query(call,
        "WITH i AS (INSERT INTO service_item AS s (code, name, category, department_code, routing, time_limit,"
        "             time_limit_unit, required_materials, enterprise, provider_skill, active, description,"
        "             offer_timeout_ms)"
        "           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9, $10, $11, $12, $13)"
        "           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category,"
        "             department_code = EXCLUDED.department_code, routing = EXCLUDED.routing,"
        "             time_limit = EXCLUDED.time_limit, time_limit_unit = EXCLUDED.time_limit_unit,"
        "             required_materials = EXCLUDED.required_materials, enterprise = EXCLUDED.enterprise,"
        "             provider_skill = EXCLUDED.provider_skill, active = EXCLUDED.active,"
        "             description = EXCLUDED.description, offer_timeout_ms = EXCLUDED.offer_timeout_ms,"
        "             updated_at = now(), version = s.version + 1"
        "           RETURNING *)"
        " SELECT " ITEM_COLUMNS " FROM i LEFT JOIN ref_department d ON d.code = i.department_code", params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__ServiceItem *stored = item_from_row(call, result, 0);
    /* Submissions look items up in the loop's copy: it reloads. */
    if (!sf_call_query(call, "UPDATE ref_generation SET catalogue = catalogue + 1", NULL))
        return sf_call_status(call);
    intake_ref_mark_dirty(((const intake_t *) sf_call_state(call))->ref);
    return sf_call_emit_reply(call, reply_p, exists ? "item.updated" : "item.created", stored->code, &stored->base);
}

sf_status_t
intake_item_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CodeRequest *code = (const Sifang__V1__CodeRequest *) request;
    if (!sf_call_check_text(call, "code", code->code, 48, true))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call, "SELECT " ITEM_COLUMNS ITEM_FROM " WHERE i.code = $1",
        SF_PARAMS(code->code));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, "code", "no service item %s", code->code);
    *reply_p = &item_from_row(call, result, 0)->base;
    return SF_OK;
}

sf_status_t
intake_item_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ItemListRequest *list = (const Sifang__V1__ItemListRequest *) request;
    sf_page_t page = sf_page_of(call, list->page);
    int size = page.size;
    const char *after = page.token;   /* this list's tokens are the last item's code */
    if (list->category < 0 || list->category > SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_CONVENIENCE)
        sf_call_violation(call, "category", "is not a service category");
    if (*after && (strlen(after) > 48 || !code_chars(after, "-")))
        sf_page_bad_token(call);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " ITEM_COLUMNS ITEM_FROM);
    if (list->category)
        sf_query_where(&query, "i.category = $%d", sf_query_int(&query, list->category));
    if (!list->include_inactive)
        sf_query_where(&query, "i.active");
    if (list->enterprise_only)
        sf_query_where(&query, "i.enterprise");
    if (*after)
        sf_query_where(&query, "i.code > $%d", sf_query_text(&query, after));
    sf_query_append(&query, " ORDER BY i.code LIMIT %d", size + 1);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__ItemListReply *reply = (Sifang__V1__ItemListReply *)
        sf_call_new_message(call, &sifang__v1__item_list_reply__descriptor);
    int rows = PQntuples(result) > size ? size : PQntuples(result);
    reply->items = sf_call_new_array(call, (size_t) rows, sizeof *reply->items);
    for (int row = 0; row < rows; row++)
        reply->items[reply->n_items++] = item_from_row(call, result, row);
    reply->next_page_token = PQntuples(result) > size ? (char *) sf_db_text(result, size - 1, 0) : "";
    *reply_p = &reply->base;
    return SF_OK;
}
