/* The paging rules every list method shares (the SELECTs themselves are
 * common's sf_query_t). */
#include "grid.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
grid_page_read(sf_call_t *call, const Sifang__V1__PageRequest *page, grid_page_t *out)
{
    out->size = GRID_PAGE_DEFAULT;
    out->token = "";
    if (!page)
        return true;
    if (page->page_size < 0 || page->page_size > GRID_PAGE_MAX) {
        sf_call_violation(call, "page.page_size", "must be between 1 and %d (0 = %d)",
                          GRID_PAGE_MAX, GRID_PAGE_DEFAULT);
        return false;
    }
    if (page->page_size > 0)
        out->size = page->page_size;
    out->token = page->page_token ? page->page_token : "";
    return true;
}

bool
grid_page_bad_token(sf_call_t *call)
{
    sf_call_violation(call, "page.page_token", "not a token this list handed out");
    return false;
}

int
grid_page_rows(const grid_page_t *page, const PGresult *result)
{
    int rows = PQntuples(result);
    return rows > page->size ? page->size : rows;
}

bool
grid_page_more(const grid_page_t *page, const PGresult *result)
{
    return PQntuples(result) > page->size;
}
