/* Enterprises keyed by their unified social credit code, with the liaison
 * officer (a grid staff member) who handles their hiring, customs and tax
 * refund questions in one stop. */
#include "employment.h"
#include "sf_row.h"
#include <string.h>

#define ENTERPRISE_COLUMNS \
    "e.credit_code, e.name, e.address, COALESCE(e.zone_code, ''), COALESCE(e.liaison_staff_id, '')," \
    " COALESCE(s.name, ''), e.industry," \
    " (SELECT count(*) FROM vacancy v WHERE v.enterprise_credit_code = e.credit_code AND v.status = 1), " \
    EMP_MS("e.created_at") ", " EMP_MS("e.updated_at") ", e.version"
#define ENTERPRISE_FROM "enterprise e LEFT JOIN ref_staff s ON s.id = e.liaison_staff_id"

static Sifang__V1__Enterprise *
enterprise_from_row(sf_call_t *call, const PGresult *result, int row)
{
    return sf_call_row_message(call, &sifang__v1__enterprise__descriptor, result, row,
        "credit_code name address zone_code liaison_staff_id liaison_name industry open_vacancies created_unix_ms"
        " updated_unix_ms version");
}

static Sifang__V1__Enterprise *
enterprise_load(sf_call_t *call, const char *credit_code, bool lock, bool *failed)
{
    PGresult *result = sf_call_query(call, lock
        ? "SELECT " ENTERPRISE_COLUMNS " FROM " ENTERPRISE_FROM " WHERE e.credit_code = $1 FOR UPDATE OF e"
        : "SELECT " ENTERPRISE_COLUMNS " FROM " ENTERPRISE_FROM " WHERE e.credit_code = $1", SF_PARAMS(credit_code));
    *failed = result == NULL;
    return result && PQntuples(result) == 1 ? enterprise_from_row(call, result, 0) : NULL;
}

static void
check_credit_code(sf_call_t *call, const char *field, const char *code)
{
    if (!*code)
        sf_call_violation(call, field, "is required");
    else if (!sf_credit_code_valid(code))
        sf_call_violation(call, field,
                          "is not a unified social credit code (18 characters with the check character"
                          " of GB 32100-2015)");
}

/* Whether the zone and the staff member named exist; a refusal otherwise. */
static sf_status_t
check_references(sf_call_t *call, const char *zone_code, const char *staff_id)
{
    sf_params_t params;
    if (*zone_code) {
        sf_params_init(&params);
        sf_params_text(&params, zone_code);
        PGresult *result = sf_call_query(call, "SELECT 1 FROM ref_unit WHERE code = $1 AND kind = 4", &params);
        if (!result)
            return sf_call_status(call);
        if (PQntuples(result) != 1)
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "zone_code", "no zone %s is known from grid",
                                  zone_code);
    }
    if (*staff_id) {
        sf_params_init(&params);
        sf_params_text(&params, staff_id);
        PGresult *result = sf_call_query(call, "SELECT active FROM ref_staff WHERE id = $1", &params);
        if (!result)
            return sf_call_status(call);
        if (PQntuples(result) != 1)
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "liaison_staff_id",
                                  "no staff member %s is known from grid", staff_id);
        if (!sf_db_bool(result, 0, 0))
            return sf_call_refuse(call, SF_FAILED_PRECONDITION, "liaison_staff_id", "staff member %s is not active",
                                  staff_id);
    }
    return SF_OK;
}

sf_status_t
emp_enterprise_register(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__Enterprise *enterprise = (const Sifang__V1__Enterprise *) request;
    check_credit_code(call, "credit_code", enterprise->credit_code);
    sf_call_check_text(call, "name", enterprise->name, EMP_NAME_MAX, true);
    sf_call_check_text(call, "address", enterprise->address, EMP_TEXT_MAX, false);
    sf_call_check_text(call, "industry", enterprise->industry, 50, false);
    if (*enterprise->zone_code && !sf_code_of_length(enterprise->zone_code, SF_CODE_ZONE_LENGTH))
        sf_call_violation(call, "zone_code", "must be a zone code (14 digits)");
    if (*enterprise->liaison_staff_id && !emp_ident_valid(enterprise->liaison_staff_id, 32))
        sf_call_violation(call, "liaison_staff_id", "must be a staff id such as S00042");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!emp_may_write(call, *enterprise->zone_code ? enterprise->zone_code : NULL))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the enterprise's zone lies outside your scope");
    sf_status_t status = check_references(call, enterprise->zone_code, enterprise->liaison_staff_id);
    if (status != SF_OK)
        return status;
    PGresult *result = sf_call_query(call,
        "INSERT INTO enterprise (credit_code, name, address, zone_code, liaison_staff_id, industry)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING credit_code",
        SF_PARAMS(enterprise->credit_code, enterprise->name, enterprise->address,
                  sf_param_text_or_null(enterprise->zone_code), sf_param_text_or_null(enterprise->liaison_staff_id),
                  enterprise->industry));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return sf_call_refuse(call, SF_ALREADY_EXISTS, "credit_code", "enterprise %s is already registered",
                              enterprise->credit_code);
    bool failed = false;
    Sifang__V1__Enterprise *stored = enterprise_load(call, enterprise->credit_code, false, &failed);
    if (!stored)
        return failed ? sf_call_status(call) : sf_call_fail(call, SF_INTERNAL, "internal error");
    return sf_call_emit_reply(call, reply_p, "enterprise.registered", stored->credit_code, &stored->base);
}

sf_status_t
emp_enterprise_update(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__EnterpriseUpdateRequest *update = (const Sifang__V1__EnterpriseUpdateRequest *) request;
    check_credit_code(call, "credit_code", update->credit_code);
    sf_call_check_text(call, "name", update->name, EMP_NAME_MAX, false);
    sf_call_check_text(call, "address", update->address, EMP_TEXT_MAX, false);
    sf_call_check_text(call, "industry", update->industry, 50, false);
    if (*update->zone_code && !sf_code_of_length(update->zone_code, SF_CODE_ZONE_LENGTH))
        sf_call_violation(call, "zone_code", "must be a zone code (14 digits)");
    if (*update->liaison_staff_id && update->clear_liaison)
        sf_call_violation(call, "clear_liaison", "cannot clear and set the liaison officer at once");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    bool failed = false;
    Sifang__V1__Enterprise *current = enterprise_load(call, update->credit_code, true, &failed);
    if (failed)
        return sf_call_status(call);
    if (!current)
        return sf_call_fail(call, SF_NOT_FOUND, "no enterprise %s", update->credit_code);
    if (!emp_may_write(call, *current->zone_code ? current->zone_code : NULL)
        || (*update->zone_code && !emp_may_write(call, update->zone_code)))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the enterprise's zone lies outside your scope");
    if (update->expected_version && update->expected_version != current->version)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version", "the enterprise is at version %lld",
                              (long long) current->version);
    sf_status_t status = check_references(call, update->zone_code, update->liaison_staff_id);
    if (status != SF_OK)
        return status;
    PGresult *result = sf_call_query(call,
        "UPDATE enterprise SET name = COALESCE($2, name), address = COALESCE($3, address),"
        " zone_code = COALESCE($4, zone_code),"
        " liaison_staff_id = CASE WHEN $6 THEN NULL ELSE COALESCE($5, liaison_staff_id) END,"
        " industry = COALESCE($7, industry), version = version + 1, updated_at = now()"
        " WHERE credit_code = $1",
        SF_PARAMS(update->credit_code, sf_param_text_or_null(update->name), sf_param_text_or_null(update->address),
                  sf_param_text_or_null(update->zone_code), sf_param_text_or_null(update->liaison_staff_id),
                  sf_param_bool(update->clear_liaison), sf_param_text_or_null(update->industry)));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__Enterprise *stored = enterprise_load(call, update->credit_code, false, &failed);
    if (!stored)
        return failed ? sf_call_status(call) : sf_call_fail(call, SF_INTERNAL, "internal error");
    return sf_call_emit_reply(call, reply_p, "enterprise.updated", stored->credit_code, &stored->base);
}

sf_status_t
emp_enterprise_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__EnterpriseKey *key = (const Sifang__V1__EnterpriseKey *) request;
    check_credit_code(call, "credit_code", key->credit_code);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    bool failed = false;
    Sifang__V1__Enterprise *enterprise = enterprise_load(call, key->credit_code, false, &failed);
    if (failed)
        return sf_call_status(call);
    if (!enterprise)
        return sf_call_fail(call, SF_NOT_FOUND, "no enterprise %s", key->credit_code);
    *reply_p = &enterprise->base;
    return SF_OK;
}

sf_status_t
emp_enterprise_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__EnterpriseListRequest *list = (const Sifang__V1__EnterpriseListRequest *) request;
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    sf_page_t page = sf_page_of(call, list->page);
    sf_call_check_text(call, "name_contains", list->name_contains, EMP_NAME_MAX, false);
    if (*page.token && !sf_credit_code_valid(page.token))
        sf_page_bad_token(call);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__EnterpriseListReply *reply = (Sifang__V1__EnterpriseListReply *)
        sf_call_new_message(call, &sifang__v1__enterprise_list_reply__descriptor);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " ENTERPRISE_COLUMNS " FROM " ENTERPRISE_FROM);
    sf_query_subtree(&query, "e.zone_code", prefix);
    if (*list->liaison_staff_id)
        sf_query_where(&query, "e.liaison_staff_id = $%d", sf_query_text(&query, list->liaison_staff_id));
    if (*list->name_contains)
        sf_query_where(&query, "strpos(e.name, $%d) > 0", sf_query_text(&query, list->name_contains));
    if (*page.token)
        sf_query_where(&query, "e.credit_code > $%d", sf_query_text(&query, page.token));
    sf_query_append(&query, " ORDER BY e.credit_code LIMIT %d", page.size + 1);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->enterprises = sf_call_new_array(call, (size_t) rows, sizeof *reply->enterprises);
    for (int row = 0; row < rows; row++)
        reply->enterprises[reply->n_enterprises++] = enterprise_from_row(call, result, row);
    if (sf_page_more(&page, result))
        reply->next_page_token = reply->enterprises[rows - 1]->credit_code;
    return SF_OK;
}
