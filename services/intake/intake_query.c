/* Keyset paging (newest first, by id) and clipping a subtree filter to the
 * caller's scope, for the lists (their SELECTs are common's sf_query_t). */
#include "intake.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
intake_page_read(sf_call_t *call, const Sifang__V1__PageRequest *page, intake_page_t *out)
{
    out->size = INTAKE_PAGE_DEFAULT;
    out->after = 0;
    out->token = "";
    if (!page)
        return true;
    if (page->page_size < 0 || page->page_size > INTAKE_PAGE_MAX) {
        sf_call_violation(call, "page.page_size", "must be between 1 and %d (0 = %d)", INTAKE_PAGE_MAX,
                          INTAKE_PAGE_DEFAULT);
        return false;
    }
    if (page->page_size > 0)
        out->size = page->page_size;
    out->token = page->page_token ? page->page_token : "";
    if (*out->token) {
        if (!intake_digits(out->token) || strlen(out->token) > 18 || atoll(out->token) <= 0) {
            sf_call_violation(call, "page.page_token", "not a token this list handed out");
            return false;
        }
        out->after = atoll(out->token);
    }
    return true;
}

int
intake_page_rows(const intake_page_t *page, const PGresult *result)
{
    int rows = PQntuples(result);
    return rows > page->size ? page->size : rows;
}

char *
intake_page_next(sf_call_t *call, const intake_page_t *page, const PGresult *result, int id_column)
{
    if (PQntuples(result) <= page->size)
        return "";
    return sf_call_strdup(call, sf_db_text(result, page->size - 1, id_column));
}

bool
intake_scope_under(sf_call_t *call, const char *field, const char *under, const char **prefix)
{
    const char *scope = sf_call_principal(call)->scope;
    *prefix = NULL;
    under = under ? under : "";
    if (!intake_unit_prefix_valid(under)) {
        sf_call_violation(call, field, "must be an org unit code (digits only)");
        return false;
    }
    if (!scope || !*scope || strncmp(under, scope, strlen(scope)) == 0) {
        *prefix = under;
        return true;
    }
    if (strncmp(scope, under, strlen(under)) == 0) {
        *prefix = scope;
        return true;
    }
    return false;
}
