/* Adding to the fact totals: a change counts in the unit it happened in and
 * in each ancestor, for each period kind, in one statement; the followers'
 * thread gathers a page's changes and writes them once at its end. */
#include "evaluation.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
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

/* --- a page's totals, gathered ---------------------------------------------
 * Every event of a bulk load adds to the same few totals (the district's, its
 * streets', for the month, half-year and year): written event by event, a
 * page of 500 updated those rows 500 times each in one transaction, each
 * update a row version the next one walks past, and a follower caught up
 * with grid's half a million events at a few hundred a second, slower and
 * slower. The followers' thread (evaluation_sources.c) gathers a page's
 * changes here by total and writes them in one statement at the page's end,
 * in its transaction, before its cursor: the same totals, each row written
 * once a page. Request handlers (other threads) write as before. */

typedef struct {
    bool used;
    int kind;
    char period[EVAL_PERIOD_SIZE];
    char unit[16];
    char fact[64];
    double value;
} gathered_t;

typedef struct {
    gathered_t *slots;
    size_t capacity, used;
} gathering_t;

/* Adds the used, non-zero rows to their totals in one statement (each key
 * once: a statement may not update a row twice). */
static sf_status_t
totals_write(sf_db_t *db, const gathered_t *rows, size_t n)
{
    sf_pgarray_t kinds, periods, units, facts, values;
    sf_pgarray_init(&kinds);
    sf_pgarray_init(&periods);
    sf_pgarray_init(&units);
    sf_pgarray_init(&facts);
    sf_pgarray_init(&values);
    size_t written = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].used || rows[i].value == 0)
            continue;
        char number[40];
        snprintf(number, sizeof number, "%.17g", rows[i].value);
        sf_pgarray_add_int(&kinds, rows[i].kind);
        sf_pgarray_add_text(&periods, rows[i].period);
        sf_pgarray_add_text(&units, rows[i].unit);
        sf_pgarray_add_text(&facts, rows[i].fact);
        sf_pgarray_add_text(&values, number);
        written++;
    }
    sf_status_t status = SF_OK;
    if (written)
        status = sf_db_run(db,
            "INSERT INTO fact_total AS t (period_kind, period, unit_code, fact, value)"
            " SELECT * FROM unnest($1::smallint[], $2::text[], $3::text[], $4::text[], $5::float8[])"
            " ON CONFLICT (period_kind, unit_code, fact, period) DO UPDATE SET value = t.value + EXCLUDED.value",
            SF_PARAMS(sf_pgarray_text(&kinds), sf_pgarray_text(&periods), sf_pgarray_text(&units),
                      sf_pgarray_text(&facts), sf_pgarray_text(&values)), NULL);
    sf_pgarray_release(&kinds);
    sf_pgarray_release(&periods);
    sf_pgarray_release(&units);
    sf_pgarray_release(&facts);
    sf_pgarray_release(&values);
    return status;
}

static _Thread_local gathering_t *gathering;

static uint64_t
gathered_hash(int kind, const char *period, const char *unit, const char *fact)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t) kind;
    const char *parts[3] = { period, unit, fact };
    for (int p = 0; p < 3; p++) {
        for (const char *c = parts[p]; *c; c++)
            h = (h ^ (unsigned char) *c) * 1099511628211ULL;
        h = (h ^ '|') * 1099511628211ULL;
    }
    return h;
}

/* The slot of the key (found or free); NULL when out of memory. */
static gathered_t *
gathered_slot(gathering_t *g, int kind, const char *period, const char *unit, const char *fact)
{
    if ((g->used + 1) * 2 > g->capacity) {
        size_t capacity = g->capacity ? g->capacity * 2 : 4096;
        gathered_t *slots = calloc(capacity, sizeof *slots);
        if (!slots)
            return NULL;
        for (size_t i = 0; i < g->capacity; i++) {
            if (!g->slots[i].used)
                continue;
            const gathered_t *old = &g->slots[i];
            size_t at = gathered_hash(old->kind, old->period, old->unit, old->fact) & (capacity - 1);
            while (slots[at].used)
                at = (at + 1) & (capacity - 1);
            slots[at] = *old;
        }
        free(g->slots);
        g->slots = slots;
        g->capacity = capacity;
    }
    size_t at = gathered_hash(kind, period, unit, fact) & (g->capacity - 1);
    for (;; at = (at + 1) & (g->capacity - 1)) {
        gathered_t *slot = &g->slots[at];
        if (!slot->used) {
            slot->used = true;
            slot->kind = kind;
            snprintf(slot->period, sizeof slot->period, "%s", period);
            snprintf(slot->unit, sizeof slot->unit, "%s", unit);
            snprintf(slot->fact, sizeof slot->fact, "%s", fact);
            slot->value = 0;
            g->used++;
            return slot;
        }
        if (slot->kind == kind && strcmp(slot->period, period) == 0 && strcmp(slot->unit, unit) == 0
            && strcmp(slot->fact, fact) == 0)
            return slot;
    }
}

void
eval_facts_gather(bool on)
{
    if (on && !gathering)
        gathering = calloc(1, sizeof *gathering);
    else if (!on && gathering) {
        free(gathering->slots);
        free(gathering);
        gathering = NULL;
    }
}

sf_status_t
eval_facts_page_end(sf_db_t *db, bool write, void *arg)
{
    (void) arg;
    gathering_t *g = gathering;
    if (!g || !g->used)
        return SF_OK;
    sf_status_t status = write ? totals_write(db, g->slots, g->capacity) : SF_OK;
    /* Written or rolled back: the next page starts from nothing. */
    memset(g->slots, 0, g->capacity * sizeof *g->slots);
    g->used = 0;
    return status;
}

sf_status_t
eval_facts_add_periods(sf_db_t *db, const char *unit_code, const eval_period_t *periods, size_t n_periods,
                       const eval_delta_t *deltas, size_t n)
{
    char ancestors[4][16];
    size_t n_units = eval_unit_ancestors(unit_code, ancestors);
    if (n_units == 0 || n == 0 || n_periods == 0)
        return SF_OK;   /* nothing to count it in: the mapping logs what it skips */
    /* Fact names are the mappings' own constants, all short. */
    for (size_t i = 0; i < n; i++)
        if (strlen(deltas[i].fact) >= sizeof ((gathered_t *) NULL)->fact)
            return SF_INTERNAL;
    if (gathering) {
        for (size_t p = 0; p < n_periods; p++)
            for (size_t u = 0; u < n_units; u++)
                for (size_t i = 0; i < n; i++) {
                    if (deltas[i].value == 0)
                        continue;
                    gathered_t *slot = gathered_slot(gathering, periods[p].kind, periods[p].code, ancestors[u],
                                                     deltas[i].fact);
                    if (!slot)
                        return SF_RESOURCE_EXHAUSTED;   /* the page is rolled back and tried again */
                    slot->value += deltas[i].value;
                }
        return SF_OK;
    }
    /* Another thread: written now, a row a (period, unit, fact). */
    size_t n_rows = n_periods * n_units * n, r = 0;
    gathered_t *rows = calloc(n_rows, sizeof *rows);
    if (!rows)
        return SF_RESOURCE_EXHAUSTED;
    for (size_t p = 0; p < n_periods; p++)
        for (size_t u = 0; u < n_units; u++)
            for (size_t i = 0; i < n; i++, r++) {
                gathered_t *row = &rows[r];
                row->used = true;
                row->kind = periods[p].kind;
                snprintf(row->period, sizeof row->period, "%s", periods[p].code);
                snprintf(row->unit, sizeof row->unit, "%s", ancestors[u]);
                snprintf(row->fact, sizeof row->fact, "%s", deltas[i].fact);
                row->value = deltas[i].value;
            }
    sf_status_t status = totals_write(db, rows, n_rows);
    free(rows);
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
