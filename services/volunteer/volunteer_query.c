/* Keyset paging on a serial in a query (the page itself is common's
 * sf_keyset_t; the SELECTs are common's sf_query_t), the rows a batch wrote
 * handed back to its requests, and splitting array text. */
#include "volunteer.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
volunteer_page_apply(sf_query_t *query, const sf_keyset_t *page, const char *serial_column)
{
    if (page->after > 0) {
        int after = sf_query_int(query, page->after);
        sf_query_where(query, "%s > $%d", serial_column, after);
    }
    sf_query_append(query, " ORDER BY %s LIMIT %d", serial_column, page->size + 1);
}

sf_status_t
volunteer_batch_answer(sf_call_t **calls, const bool *writing, size_t n, const PGresult *result,
                       volunteer_answer_fn *answer, ProtobufCMessage **replies)
{
    int row = 0;
    for (size_t i = 0; i < n; i++) {
        if (!writing[i])
            continue;
        if (row >= PQntuples(result))
            return SF_INTERNAL;
        answer(calls[i], result, row++, &replies[i]);
    }
    return SF_OK;
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
