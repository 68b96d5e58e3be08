/* Filtered SELECTs assembled from fixed fragments, keyset paging (newest
 * first, by id) and clipping a subtree filter to the caller's scope. */
#include "intake.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
query_vappend(intake_query_t *self, const char *format, va_list args)
{
    size_t room = sizeof self->sql - self->length;
    int written = vsnprintf(self->sql + self->length, room, format, args);
    /* The fragments are fixed in the code: running out of room is a bug to
     * find at once, not a query to run cut short. */
    if (written < 0 || (size_t) written >= room) {
        fprintf(stderr, "intake_query: statement longer than %d bytes\n", INTAKE_SQL_MAX);
        abort();
    }
    self->length += (size_t) written;
}

void
intake_query_init(intake_query_t *self, sf_call_t *call, const char *select)
{
    self->call = call;
    self->length = 0;
    self->sql[0] = 0;
    self->has_where = false;
    sf_params_init(&self->params);
    intake_query_append(self, "%s", select);
}

int
intake_query_text(intake_query_t *self, const char *value)
{
    sf_params_text(&self->params, value);
    return self->params.count;
}

int
intake_query_int(intake_query_t *self, int64_t value)
{
    sf_params_int(&self->params, value);
    return self->params.count;
}

void
intake_query_where(intake_query_t *self, const char *format, ...)
{
    intake_query_append(self, self->has_where ? " AND " : " WHERE ");
    self->has_where = true;
    va_list args;
    va_start(args, format);
    query_vappend(self, format, args);
    va_end(args);
}

void
intake_query_append(intake_query_t *self, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    query_vappend(self, format, args);
    va_end(args);
}

void
intake_query_subtree(intake_query_t *self, const char *column, const char *prefix)
{
    if (!prefix || !*prefix)
        return;
    /* Codes are digits: every code starting with prefix sorts between it
     * and prefix + ':', the character after '9'. */
    int low = intake_query_text(self, prefix);
    int high = intake_query_text(self, sf_call_printf(self->call, "%s:", prefix));
    intake_query_where(self, "%s >= $%d AND %s < $%d", column, low, column, high);
}

PGresult *
intake_query_run(intake_query_t *self)
{
    return sf_call_query(self->call, self->sql, &self->params);
}

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
