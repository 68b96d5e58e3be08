/* The SELECT builder of sf_query.h. */
#include "sf_query.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void
query_vappend(sf_query_t *self, const char *format, va_list args)
{
    size_t room = sizeof self->sql - self->length;
    int written = vsnprintf(self->sql + self->length, room, format, args);
    /* The fragments are fixed in the code: running out of room is a bug to
     * find at once, not a query to run cut short. */
    SF_ASSERT(written >= 0 && (size_t) written < room);
    self->length += (size_t) written;
}

void
sf_query_init(sf_query_t *self, sf_call_t *call, const char *select)
{
    self->call = call;
    self->length = 0;
    self->sql[0] = 0;
    self->has_where = false;
    sf_params_init(&self->params);
    sf_query_append(self, "%s", select);
}

int
sf_query_text(sf_query_t *self, const char *value)
{
    sf_params_text(&self->params, value);
    return self->params.count;
}

int
sf_query_int(sf_query_t *self, int64_t value)
{
    sf_params_int(&self->params, value);
    return self->params.count;
}

int
sf_query_double(sf_query_t *self, double value)
{
    sf_params_double(&self->params, value);
    return self->params.count;
}

void
sf_query_where(sf_query_t *self, const char *format, ...)
{
    sf_query_append(self, self->has_where ? " AND " : " WHERE ");
    self->has_where = true;
    va_list args;
    va_start(args, format);
    query_vappend(self, format, args);
    va_end(args);
}

void
sf_query_append(sf_query_t *self, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    query_vappend(self, format, args);
    va_end(args);
}

void
sf_query_keyset_newest(sf_query_t *self, const sf_keyset_t *page, const char *key_column)
{
    if (page->after)
        sf_query_where(self, "%s < $%d", key_column, sf_query_int(self, page->after));
    sf_query_append(self, " ORDER BY %s DESC LIMIT %d", key_column, page->size + 1);
}

void
sf_query_subtree(sf_query_t *self, const char *column, const char *prefix)
{
    if (!prefix || !*prefix)
        return;
    /* Codes are digits: every code starting with prefix sorts between it
     * and prefix + ':', the character after '9'. */
    int low = sf_query_text(self, prefix);
    int high = sf_query_text(self, sf_call_printf(self->call, "%s:", prefix));
    sf_query_where(self, "%s >= $%d AND %s < $%d", column, low, column, high);
}

PGresult *
sf_query_run(sf_query_t *self)
{
    return sf_call_query(self->call, self->sql, &self->params);
}
