/* Adding to the fact totals: a change counts in the unit it happened in and
 * in each ancestor, for each period kind, in one statement. */
#include "evaluation.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

size_t
eval_code_length(Sifang__V1__UnitKind kind)
{
    switch (kind) {
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT: return 6;
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET: return 9;
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY: return 12;
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE: return 14;
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP: return 15;
    default: return 0;
    }
}

Sifang__V1__UnitKind
eval_code_kind(const char *code)
{
    switch (strlen(code)) {
    case 6: return SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT;
    case 9: return SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET;
    case 12: return SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY;
    case 14: return SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE;
    case 15: return SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP;
    default: return SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED;
    }
}

size_t
eval_unit_ancestors(const char *code, char out[4][16])
{
    /* Grid's codes are hierarchical by contract, so the ancestors are
     * prefixes: this holds even before grid's unit events have arrived. */
    static const size_t lengths[] = { 6, 9, 12, 14 };
    size_t length = code ? strlen(code) : 0;
    if (length < 6 || length > 18)
        return 0;
    for (size_t i = 0; i < length; i++)
        if (!isdigit((unsigned char) code[i]))
            return 0;
    size_t n = 0;
    for (size_t i = 0; i < 4 && lengths[i] <= length; i++) {
        memcpy(out[n], code, lengths[i]);
        out[n][lengths[i]] = '\0';
        n++;
    }
    return n;
}

#define FACTS_ADD \
    "INSERT INTO fact_total AS t (period_kind, period, unit_code, fact, value)" \
    " SELECT p.kind, p.code, u.code, d.fact, d.value" \
    " FROM unnest($1::smallint[], $2::text[]) AS p(kind, code)," \
    "      unnest($3::text[]) AS u(code)," \
    "      unnest($4::text[], $5::float8[]) AS d(fact, value)" \
    " ON CONFLICT (period_kind, unit_code, fact, period) DO UPDATE SET value = t.value + EXCLUDED.value"

sf_status_t
eval_facts_add_periods(sf_db_t *db, const char *unit_code, const eval_period_t *periods, size_t n_periods,
                       const eval_delta_t *deltas, size_t n)
{
    char ancestors[4][16];
    size_t n_units = eval_unit_ancestors(unit_code, ancestors);
    if (n_units == 0 || n == 0 || n_periods == 0)
        return SF_OK;   /* nothing to count it in: the mapping logs what it skips */
    sf_pgarray_t kinds, codes, units, facts, values;
    sf_pgarray_init(&kinds);
    sf_pgarray_init(&codes);
    sf_pgarray_init(&units);
    sf_pgarray_init(&facts);
    sf_pgarray_init(&values);
    for (size_t i = 0; i < n_periods; i++) {
        sf_pgarray_add_int(&kinds, periods[i].kind);
        sf_pgarray_add_text(&codes, periods[i].code);
    }
    for (size_t i = 0; i < n_units; i++)
        sf_pgarray_add_text(&units, ancestors[i]);
    size_t n_deltas = 0;
    for (size_t i = 0; i < n; i++) {
        if (deltas[i].value == 0)
            continue;
        char number[40];
        snprintf(number, sizeof number, "%.17g", deltas[i].value);
        sf_pgarray_add_text(&facts, deltas[i].fact);
        sf_pgarray_add_text(&values, number);
        n_deltas++;
    }
    sf_status_t status = SF_OK;
    if (n_deltas) {
        status = sf_db_run(db, FACTS_ADD,
            SF_PARAMS(sf_pgarray_text(&kinds), sf_pgarray_text(&codes), sf_pgarray_text(&units),
                      sf_pgarray_text(&facts), sf_pgarray_text(&values)), NULL);
    }
    sf_pgarray_release(&kinds);
    sf_pgarray_release(&codes);
    sf_pgarray_release(&units);
    sf_pgarray_release(&facts);
    sf_pgarray_release(&values);
    return status;
}

sf_status_t
eval_facts_add(sf_db_t *db, const char *unit_code, int64_t at_ms,
               const eval_delta_t *deltas, size_t n)
{
    eval_period_t periods[3];
    eval_period_of(at_ms, &periods[0], &periods[1], &periods[2]);
    return eval_facts_add_periods(db, unit_code, periods, 3, deltas, n);
}
