/* The occupational classification (2022 edition) and its ISCO-08 mapping, as
 * data: get one code with its mapping, list a group's children. */
#include "employment.h"
#include "sf_row.h"
#include <string.h>

/* The mappings of the occupations in codes (a text array literal), attached
 * to the occupations in order. */
static sf_status_t
attach_isco(sf_call_t *call, Sifang__V1__Occupation **occupations, size_t n)
{
    if (n == 0)
        return SF_OK;
    sf_pgarray_t codes;
    sf_pgarray_init(&codes);
    for (size_t i = 0; i < n; i++)
        sf_pgarray_add_text(&codes, occupations[i]->code);
    PGresult *result = sf_call_query(call,
        "SELECT occupation_code, isco_code, isco_title, relation FROM occupation_isco"
        " WHERE occupation_code = ANY ($1::text[]) ORDER BY occupation_code, isco_code",
        SF_PARAMS(emp_pgarray_take(call, &codes)));
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    for (size_t i = 0; i < n; i++) {
        Sifang__V1__Occupation *occupation = occupations[i];
        size_t count = 0;
        for (int row = 0; row < rows; row++)
            count += strcmp(sf_db_text(result, row, 0), occupation->code) == 0;
        occupation->isco = sf_call_new_array(call, count, sizeof *occupation->isco);
        for (int row = 0; row < rows; row++) {
            if (strcmp(sf_db_text(result, row, 0), occupation->code) != 0)
                continue;
            Sifang__V1__IscoMapping *mapping = (Sifang__V1__IscoMapping *)
                sf_call_new_message(call, &sifang__v1__isco_mapping__descriptor);
            sf_row_read(result, row, 1, &mapping->base, "isco_code isco_title relation");
            occupation->isco[occupation->n_isco++] = mapping;
        }
    }
    return SF_OK;
}

static Sifang__V1__Occupation *
occupation_from_row(sf_call_t *call, const PGresult *result, int row)
{
    return sf_call_row_message(call, &sifang__v1__occupation__descriptor, result, row,
        "code name level parent_code");
}

sf_status_t
emp_occupation_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__OccupationKey *key = (const Sifang__V1__OccupationKey *) request;
    if (!emp_occupation_level(key->code))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "code", "must be an occupation code such as 4-03-02-01");
    PGresult *result = sf_call_query(call,
        "SELECT code, name, level, COALESCE(parent_code, '') FROM occupation WHERE code = $1", SF_PARAMS(key->code));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_fail(call, SF_NOT_FOUND, "%s is not in the occupational classification", key->code);
    Sifang__V1__Occupation *occupation = occupation_from_row(call, result, 0);
    sf_status_t status = attach_isco(call, &occupation, 1);
    if (status != SF_OK)
        return status;
    *reply_p = &occupation->base;
    return SF_OK;
}

sf_status_t
emp_occupation_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__OccupationListRequest *list = (const Sifang__V1__OccupationListRequest *) request;
    sf_page_t page = sf_page_of(call, list->page);
    if (*list->parent_code && !emp_occupation_level(list->parent_code))
        sf_call_violation(call, "parent_code", "must be an occupation code such as 4-03");
    sf_call_check_text(call, "name_contains", list->name_contains, EMP_NAME_MAX, false);
    if (*list->isco_code && (strlen(list->isco_code) > 4 || strspn(list->isco_code, "0123456789") != strlen(list->isco_code)))
        sf_call_violation(call, "isco_code", "must be an ISCO-08 code of 1 to 4 digits");
    if (*page.token && !emp_occupation_level(page.token))
        sf_page_bad_token(call);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_query_t query;
    sf_query_init(&query, call, "SELECT o.code, o.name, o.level, COALESCE(o.parent_code, '') FROM occupation o");
    bool filtered = *list->name_contains || *list->isco_code;
    if (*list->parent_code)
        sf_query_where(&query, "o.parent_code = $%d", sf_query_text(&query, list->parent_code));
    else if (!filtered)
        sf_query_where(&query, "o.level = 1");
    if (*list->name_contains)
        sf_query_where(&query, "strpos(o.name, $%d) > 0", sf_query_text(&query, list->name_contains));
    if (*list->isco_code)
        sf_query_where(&query, "EXISTS (SELECT 1 FROM occupation_isco m WHERE m.occupation_code = o.code"
                                " AND m.isco_code LIKE $%d || '%%')", sf_query_text(&query, list->isco_code));
    if (*page.token)
        sf_query_where(&query, "o.code > $%d", sf_query_text(&query, page.token));
    sf_query_append(&query, " ORDER BY o.code LIMIT %d", page.size + 1);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__OccupationListReply *reply = (Sifang__V1__OccupationListReply *)
        sf_call_new_message(call, &sifang__v1__occupation_list_reply__descriptor);
    int rows = sf_page_rows(&page, result);
    reply->occupations = sf_call_new_array(call, (size_t) rows, sizeof *reply->occupations);
    for (int row = 0; row < rows; row++)
        reply->occupations[reply->n_occupations++] = occupation_from_row(call, result, row);
    if (sf_page_more(&page, result))
        reply->next_page_token = reply->occupations[rows - 1]->code;
    sf_status_t status = attach_isco(call, reply->occupations, reply->n_occupations);
    if (status != SF_OK)
        return status;
    *reply_p = &reply->base;
    return SF_OK;
}
