/* Filtered, keyset-paged SELECTs assembled from fixed fragments, and the
 * paging rules every list method shares. */
#include "grid.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
query_vappend(grid_query_t *self, const char *format, va_list args)
{
    size_t room = sizeof self->sql - self->length;
    int written = vsnprintf(self->sql + self->length, room, format, args);
    /* The fragments are fixed in the code: running out of room is a bug to
     * find at once, not a query to run cut short. */
    if (written < 0 || (size_t) written >= room) {
        fprintf(stderr, "grid_query: statement longer than %d bytes\n", GRID_SQL_MAX);
        abort();
    }
    self->length += (size_t) written;
}

void
grid_query_init(grid_query_t *self, sf_call_t *call, const char *select)
{
    self->call = call;
    self->length = 0;
    self->sql[0] = 0;
    self->has_where = false;
    sf_params_init(&self->params);
    grid_query_append(self, "%s", select);
}

int
grid_query_text(grid_query_t *self, const char *value)
{
    sf_params_text(&self->params, value);
    return self->params.count;
}

int
grid_query_int(grid_query_t *self, int64_t value)
{
    sf_params_int(&self->params, value);
    return self->params.count;
}

void
grid_query_where(grid_query_t *self, const char *format, ...)
{
    grid_query_append(self, self->has_where ? " AND " : " WHERE ");
    self->has_where = true;
    va_list args;
    va_start(args, format);
    query_vappend(self, format, args);
    va_end(args);
}

void
grid_query_append(grid_query_t *self, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    query_vappend(self, format, args);
    va_end(args);
}

void
grid_query_subtree(grid_query_t *self, const char *column, const char *prefix)
{
    if (!prefix || !*prefix)
        return;
    size_t size = strlen(prefix) + 2;
    char *upper = sf_call_alloc(self->call, size);
    grid_code_subtree_upper(prefix, upper, size);
    int low = grid_query_text(self, prefix);
    int high = grid_query_text(self, upper);
    grid_query_where(self, "%s >= $%d AND %s < $%d", column, low, column, high);
}

PGresult *
grid_query_run(grid_query_t *self)
{
    return sf_call_query(self->call, self->sql, &self->params);
}

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
