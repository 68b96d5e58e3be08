/* Keyset paging on a serial (the page size and token read by common's
 * sf_page_read; the SELECTs themselves are common's sf_query_t), and
 * splitting array text. */
#include "volunteer.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
volunteer_page_read(sf_call_t *call, const Sifang__V1__PageRequest *page, volunteer_page_t *out)
{
    sf_page_t read;
    out->after = 0;
    bool ok = sf_page_read(call, page, &read);
    out->size = read.size;
    return ok && sf_page_int_token(call, &read, &out->after);
}

void
volunteer_page_apply(sf_query_t *query, const volunteer_page_t *page, const char *serial_column)
{
    if (page->after > 0) {
        int after = sf_query_int(query, page->after);
        sf_query_where(query, "%s > $%d", serial_column, after);
    }
    sf_query_append(query, " ORDER BY %s LIMIT %d", serial_column, page->size + 1);
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
