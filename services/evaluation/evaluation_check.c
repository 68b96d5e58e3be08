/* The checks and helpers evaluation's handlers share: field violations,
 * names, periods and unit codes, the district's code, frozen periods, and an
 * allocator over a call's memory. */
#include "evaluation.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

bool
eval_check_name(sf_call_t *call, const char *field, const char *value)
{
    size_t length = value ? strlen(value) : 0;
    bool ok = length >= 1 && length <= 40 && islower((unsigned char) value[0]);
    for (size_t i = 0; ok && i < length; i++)
        ok = islower((unsigned char) value[i]) || isdigit((unsigned char) value[i]) || value[i] == '_';
    if (!ok)
        sf_call_violation(call, field, length ? "must match [a-z][a-z0-9_]{0,39}" : "is required");
    return ok;
}

bool
eval_check_period(sf_call_t *call, const char *field, const char *code, unsigned kinds, eval_period_t *period)
{
    eval_period_t parsed;
    if (!code || !*code) {
        sf_call_violation(call, field, "is required");
        return false;
    }
    if (!eval_period_parse(code, &parsed)) {
        sf_call_violation(call, field, "must be a month (2026-11), a half-year (2026-H2) or a year (2026)");
        return false;
    }
    if (!(kinds & (1u << parsed.kind))) {
        sf_call_violation(call, field, "must be %s",
                          kinds == (1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR)
                              ? "a half-year (2026-H2) or a year (2026)"
                          : kinds == 1u << EVAL_PERIOD_HALF_YEAR ? "a half-year (2026-H2)"
                                                                 : "a period of another kind");
        return false;
    }
    if (period)
        *period = parsed;
    return true;
}

bool
eval_check_unit(sf_call_t *call, const char *field, const char *code, bool optional)
{
    size_t length = code ? strlen(code) : 0;
    if (length == 0) {
        if (!optional)
            sf_call_violation(call, field, "is required");
        return optional;
    }
    bool ok = length >= 6 && length <= 18;
    for (size_t i = 0; ok && i < length; i++)
        ok = isdigit((unsigned char) code[i]);
    if (!ok)
        sf_call_violation(call, field, "must be an org unit code (6 to 18 digits)");
    return ok;
}

const char *
eval_district_code(sf_call_t *call)
{
    PGresult *result = sf_call_query(call, "SELECT code FROM unit WHERE kind = 1 ORDER BY code LIMIT 1", NULL);
    if (!result)
        return NULL;
    return PQntuples(result) == 1 ? sf_db_text(result, 0, 0) : "";
}

sf_status_t
eval_period_is_frozen(sf_call_t *call, const char *period, bool *frozen)
{
    PGresult *result = sf_call_query(call, "SELECT 1 FROM period_frozen WHERE period = $1", SF_PARAMS(period));
    if (!result)
        return sf_call_status(call);
    *frozen = PQntuples(result) > 0;
    return SF_OK;
}

static void *
call_alloc(void *data, size_t size)
{
    return sf_call_alloc(data, size ? size : 1);
}

static void
call_free(void *data, void *pointer)
{
    (void) data;
    (void) pointer;   /* freed with the call */
}

ProtobufCAllocator *
eval_call_allocator(sf_call_t *call)
{
    ProtobufCAllocator *allocator = sf_call_alloc(call, sizeof *allocator);
    allocator->alloc = call_alloc;
    allocator->free = call_free;
    allocator->allocator_data = call;
    return allocator;
}

void
eval_subtree_upper(const char *prefix, char *out, size_t size)
{
    /* Codes are digits: the prefix with its last digit incremented bounds the
     * subtree ("3702059" < ... < "370206"); "" spans everything up to ":". */
    size_t length = strlen(prefix);
    if (length == 0 || length + 1 > size) {
        snprintf(out, size, ":");
        return;
    }
    memcpy(out, prefix, length + 1);
    out[length - 1] = (char) (out[length - 1] + 1);   /* '9' + 1 = ':' sorts after every digit */
}
