/* Entrepreneurship support (扶持创业): a start-up subsidy, a guaranteed loan or
 * a place in an incubation base granted to a person for their business. The
 * person becomes an entrepreneur from the day it is granted. */
#include "employment.h"
#include "sf_row.h"
#include <string.h>

#define SUPPORT_COLUMNS \
    "s.id, p.resident_id, s.business_name, COALESCE(s.business_credit_code, ''), s.subsidy_yuan," \
    " s.guaranteed_loan_yuan, s.incubation_base, " EMP_DATE("s.granted_on") ", s.home_zone_code, " \
    EMP_MS("s.created_at")
#define SUPPORT_FROM "support s JOIN person p ON p.serial = s.person_serial"

static Sifang__V1__EntrepreneurshipSupport *
support_from_row(sf_call_t *call, const PGresult *result, int row)
{
    return sf_call_row_message(call, &sifang__v1__entrepreneurship_support__descriptor, result, row,
        "id resident_id business_name business_credit_code subsidy_yuan guaranteed_loan_yuan incubation_base"
        " granted_on home_zone_code created_unix_ms");
}

#define MONEY_MAX 100000000

sf_status_t
emp_support_grant(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__EntrepreneurshipSupport *support = (const Sifang__V1__EntrepreneurshipSupport *) request;
    if (!*support->resident_id)
        sf_call_violation(call, "resident_id", "is required");
    sf_call_check_text(call, "business_name", support->business_name, EMP_NAME_MAX, true);
    if (*support->business_credit_code && !sf_credit_code_valid(support->business_credit_code))
        sf_call_violation(call, "business_credit_code", "is not a unified social credit code (GB 32100-2015)");
    if (support->subsidy_yuan < 0 || support->subsidy_yuan > MONEY_MAX)
        sf_call_violation(call, "subsidy_yuan", "must be between 0 and %d", MONEY_MAX);
    if (support->guaranteed_loan_yuan < 0 || support->guaranteed_loan_yuan > MONEY_MAX)
        sf_call_violation(call, "guaranteed_loan_yuan", "must be between 0 and %d", MONEY_MAX);
    sf_call_check_text(call, "incubation_base", support->incubation_base, EMP_NAME_MAX, false);
    if (support->subsidy_yuan == 0 && support->guaranteed_loan_yuan == 0 && !*support->incubation_base)
        sf_call_violation(call, "subsidy_yuan", "support needs a subsidy, a guaranteed loan or an incubation base");
    int32_t granted = sf_today();
    if (emp_check_date(call, "granted_on", support->granted_on, &granted) && granted > sf_today())
        sf_call_violation(call, "granted_on", "is in the future");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__Person *person = NULL;
    int64_t serial = 0;
    sf_status_t status = emp_person_load(call, support->resident_id, true, &person, &serial);
    if (status != SF_OK)
        return status;   /* said on the call */
    if (!person)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "resident_id", "no person %s is registered",
                              support->resident_id);
    if (!sf_call_covers(call, person->home_zone_code))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "resident_id", "no person %s is registered",
                              support->resident_id);
    if (!emp_may_write(call, person->home_zone_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the person lives outside your scope");
    char granted_text[11];
    sf_date_format(granted, granted_text);
    sf_params_t *params = SF_PARAMS(serial, support->business_name,
                                    sf_param_text_or_null(support->business_credit_code), support->subsidy_yuan,
                                    support->guaranteed_loan_yuan, support->incubation_base, granted_text,
                                    person->home_zone_code);
    PGresult *result = sf_call_query(call,
        "INSERT INTO support (person_serial, business_name, business_credit_code, subsidy_yuan,"
        " guaranteed_loan_yuan, incubation_base, granted_on, home_zone_code)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8) RETURNING id", params);
    if (!result)
        return sf_call_status(call);
    int64_t id = sf_db_int(result, 0, 0);
    bool changed = false;
    status = emp_person_set_status(call, serial, SIFANG__V1__LABOR_STATUS__LABOR_STATUS_ENTREPRENEUR, granted,
                                   SIFANG__V1__STATUS_EVENT__STATUS_EVENT_SUPPORT, "entrepreneurship support", &changed);
    if (status != SF_OK)
        return status;   /* said on the call */
    /* 创业跟踪服务: the visits of the business's first year. */
    status = emp_follow_ups_schedule(call, SIFANG__V1__FOLLOW_UP_KIND__FOLLOW_UP_KIND_STARTUP,
                                     sf_call_printf(call, "{%lld}", (long long) id));
    if (status != SF_OK)
        return status;
    params = SF_PARAMS(id);
    result = sf_call_query(call, "SELECT " SUPPORT_COLUMNS " FROM " SUPPORT_FROM " WHERE s.id = $1", params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__EntrepreneurshipSupport *stored = support_from_row(call, result, 0);
    sf_call_emit(call, "support.granted", sf_call_printf(call, "%lld", (long long) id), &stored->base);
    if (changed)
        emp_emit_status_change(call, person->resident_id, SIFANG__V1__LABOR_STATUS__LABOR_STATUS_ENTREPRENEUR,
                               granted, SIFANG__V1__STATUS_EVENT__STATUS_EVENT_SUPPORT, "entrepreneurship support",
                               false);
    *reply_p = &stored->base;
    return SF_OK;
}

sf_status_t
emp_support_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__SupportListRequest *list = (const Sifang__V1__SupportListRequest *) request;
    const char *prefix = NULL;
    int64_t after = 0;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    sf_page_t page = sf_page_of(call, list->page);
    emp_check_date(call, "granted_from", list->granted_from, NULL);
    emp_check_date(call, "granted_to", list->granted_to, NULL);
    if (!sf_call_has_violations(call))
        sf_page_int_token(call, &page, &after);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__SupportListReply *reply = (Sifang__V1__SupportListReply *)
        sf_call_new_message(call, &sifang__v1__support_list_reply__descriptor);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " SUPPORT_COLUMNS " FROM " SUPPORT_FROM);
    sf_query_subtree(&query, "s.home_zone_code", prefix);
    if (*list->resident_id)
        sf_query_where(&query, "p.resident_id = $%d", sf_query_text(&query, list->resident_id));
    if (*list->granted_from)
        sf_query_where(&query, "s.granted_on >= $%d::date", sf_query_text(&query, list->granted_from));
    if (*list->granted_to)
        sf_query_where(&query, "s.granted_on <= $%d::date", sf_query_text(&query, list->granted_to));
    if (after)
        sf_query_where(&query, "s.id > $%d", sf_query_int(&query, after));
    sf_query_append(&query, " ORDER BY s.id LIMIT %d", page.size + 1);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->supports = sf_call_new_array(call, (size_t) rows, sizeof *reply->supports);
    for (int row = 0; row < rows; row++)
        reply->supports[reply->n_supports++] = support_from_row(call, result, row);
    if (sf_page_more(&page, result))
        reply->next_page_token = sf_call_printf(call, "%lld", (long long) reply->supports[rows - 1]->id);
    return SF_OK;
}
