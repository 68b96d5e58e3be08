/* Filtered, keyset-paged SELECTs assembled from fixed fragments, and the
 * paging rules every list method shares. */
#include "volunteer.h"
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
query_vappend(volunteer_query_t *self, const char *format, va_list args)
{
    size_t room = sizeof self->sql - self->length;
    int written = vsnprintf(self->sql + self->length, room, format, args);
    /* The fragments are fixed in the code: running out of room is a bug to
     * find at once, not a query to run cut short. */
    if (written < 0 || (size_t) written >= room) {
        fprintf(stderr, "volunteer_query: statement longer than %d bytes\n", VOLUNTEER_SQL_MAX);
        abort();
    }
    self->length += (size_t) written;
}

void
volunteer_query_init(volunteer_query_t *self, sf_call_t *call, const char *select)
{
    self->call = call;
    self->length = 0;
    self->sql[0] = 0;
    self->has_where = false;
    sf_params_init(&self->params);
    volunteer_query_append(self, "%s", select);
}

int
volunteer_query_text(volunteer_query_t *self, const char *value)
{
    sf_params_text(&self->params, value);
    return self->params.count;
}

int
volunteer_query_int(volunteer_query_t *self, int64_t value)
{
    sf_params_int(&self->params, value);
    return self->params.count;
}

int
volunteer_query_double(volunteer_query_t *self, double value)
{
    sf_params_double(&self->params, value);
    return self->params.count;
}

void
volunteer_query_where(volunteer_query_t *self, const char *format, ...)
{
    volunteer_query_append(self, self->has_where ? " AND " : " WHERE ");
    self->has_where = true;
    va_list args;
    va_start(args, format);
    query_vappend(self, format, args);
    va_end(args);
}

void
volunteer_query_append(volunteer_query_t *self, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    query_vappend(self, format, args);
    va_end(args);
}

void
volunteer_query_subtree(volunteer_query_t *self, const char *column, const char *prefix)
{
    if (!prefix || !*prefix)
        return;
    size_t size = strlen(prefix) + 2;
    char *upper = sf_call_alloc(self->call, size);
    volunteer_code_subtree_upper(prefix, upper, size);
    int low = volunteer_query_text(self, prefix);
    int high = volunteer_query_text(self, upper);
    volunteer_query_where(self, "%s >= $%d AND %s < $%d", column, low, column, high);
}

PGresult *
volunteer_query_run(volunteer_query_t *self)
{
    return sf_call_query(self->call, self->sql, &self->params);
}

bool
volunteer_page_read(sf_call_t *call, const Sifang__V1__PageRequest *page, volunteer_page_t *out)
{
    out->size = VOLUNTEER_PAGE_DEFAULT;
    out->after = 0;
    if (!page)
        return true;
    if (page->page_size < 0 || page->page_size > VOLUNTEER_PAGE_MAX) {
        sf_call_violation(call, "page.page_size", "must be between 1 and %d (0 = %d)",
                          VOLUNTEER_PAGE_MAX, VOLUNTEER_PAGE_DEFAULT);
        return false;
    }
    if (page->page_size > 0)
        out->size = page->page_size;
    const char *token = page->page_token ? page->page_token : "";
    if (*token) {
        /* Tokens are the last serial shown: digits, positive, not too long. */
        if (!volunteer_code_digits(token) || strlen(token) > 18) {
            sf_call_violation(call, "page.page_token", "not a token this list handed out");
            return false;
        }
        out->after = strtoll(token, NULL, 10);
    }
    return true;
}

void
volunteer_page_apply(volunteer_query_t *query, const volunteer_page_t *page, const char *serial_column)
{
    if (page->after > 0) {
        int after = volunteer_query_int(query, page->after);
        volunteer_query_where(query, "%s > $%d", serial_column, after);
    }
    volunteer_query_append(query, " ORDER BY %s LIMIT %d", serial_column, page->size + 1);
}

int
volunteer_page_rows(const volunteer_page_t *page, const PGresult *result)
{
    int rows = PQntuples(result);
    return rows > page->size ? page->size : rows;
}

char *
volunteer_page_next(sf_call_t *call, const volunteer_page_t *page, const PGresult *result,
                    int serial_column)
{
    if (PQntuples(result) <= page->size)
        return (char *) protobuf_c_empty_string;
    return sf_call_printf(call, "%" PRId64, sf_db_int(result, page->size - 1, serial_column));
}

size_t
volunteer_split(sf_call_t *call, const char *list, char ***items_p)
{
    *items_p = NULL;
    if (!list || !*list)
        return 0;
    size_t n = 1;
    for (const char *c = list; *c; c++)
        if (*c == ',')
            n++;
    char **items = sf_call_new_array(call, n, sizeof *items);
    char *copy = sf_call_strdup(call, list);
    size_t at = 0;
    for (char *start = copy;;) {
        char *comma = strchr(start, ',');
        if (comma)
            *comma = 0;
        items[at++] = start;
        if (!comma)
            break;
        start = comma + 1;
    }
    *items_p = items;
    return at;
}
