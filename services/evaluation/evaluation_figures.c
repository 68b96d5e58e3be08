/* The figures engine: loads the fact totals, inputs and KPI definitions a
 * question needs in a few statements and computes every KPI for every unit
 * of it in memory. KpiValues, scorecards and reports all go through here. */
#include "evaluation.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KPI_COLUMNS \
    "code, version, name, numerator, denominator, factor, time_aggregation, unit_aggregation, direction," \
    " unit_label, retired"

sf_status_t
eval_kpis_load(sf_call_t *call, char **codes, size_t n_codes, const char *field, eval_kpi_t **kpis_p,
               size_t *n_p)
{
    *kpis_p = NULL;
    *n_p = 0;
    PGresult *result = sf_call_query(call,
        "SELECT DISTINCT ON (code) " KPI_COLUMNS " FROM kpi ORDER BY code, version DESC", NULL);
    if (!result)
        return sf_call_status(call);
    /* Read by position below: the list must end where the reader does. */
    if (PQfnumber(result, "retired") != 10)
        return sf_call_fail(call, SF_INTERNAL, "a KPI row's columns are not those eval_kpis_load reads");
    int rows = PQntuples(result);
    eval_kpi_t *kpis = sf_call_alloc(call, sizeof *kpis * (size_t) (rows + 1));
    size_t n = 0;
    for (size_t i = 0; i < n_codes; i++) {
        bool found = false;
        for (int row = 0; row < rows && !found; row++)
            found = strcmp(codes[i], sf_db_text(result, row, 0)) == 0;
        if (!found)
            sf_call_violation(call, sf_call_printf(call, "%s[%zu]", field, i), "no KPI %s", codes[i]);
    }
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    for (int row = 0; row < rows; row++) {
        const char *code = sf_db_text(result, row, 0);
        bool wanted = n_codes == 0 ? !sf_db_bool(result, row, 10) : false;
        for (size_t i = 0; i < n_codes && !wanted; i++)
            wanted = strcmp(codes[i], code) == 0;
        if (!wanted)
            continue;
        eval_kpi_t *kpi = &kpis[n];
        char error[128];
        snprintf(kpi->code, sizeof kpi->code, "%s", code);
        kpi->version = (int) sf_db_int(result, row, 1);
        kpi->name = sf_call_strdup(call, sf_db_text(result, row, 2));
        /* Stored expressions were checked when defined. */
        if (!eval_expr_parse(sf_db_text(result, row, 3), &kpi->numerator, error, sizeof error)
            || !eval_expr_parse(sf_db_text(result, row, 4), &kpi->denominator, error, sizeof error))
            return sf_call_fail(call, SF_INTERNAL, "KPI %s has a bad stored expression: %s", code, error);
        kpi->factor = sf_db_double(result, row, 5);
        kpi->time_aggregation = (int) sf_db_int(result, row, 6);
        kpi->unit_aggregation = (int) sf_db_int(result, row, 7);
        kpi->direction = (int) sf_db_int(result, row, 8);
        kpi->unit_label = sf_call_strdup(call, sf_db_text(result, row, 9));
        n++;
    }
    *kpis_p = kpis;
    *n_p = n;
    return SF_OK;
}

static void
unit_from_row(sf_call_t *call, eval_unit_t *unit, const PGresult *result, int row)
{
    snprintf(unit->code, sizeof unit->code, "%s", sf_db_text(result, row, 0));
    unit->kind = (int) sf_db_int(result, row, 1);
    unit->name = sf_call_strdup(call, sf_db_text(result, row, 2));
    snprintf(unit->parent, sizeof unit->parent, "%s", sf_db_text(result, row, 3));
}

sf_status_t
eval_units_load(sf_call_t *call, const char *under, int kind, eval_unit_t **units_p, size_t *n_p)
{
    char upper[24];
    eval_subtree_upper(under, upper, sizeof upper);
    sf_params_t *params = SF_PARAMS(under);
    PGresult *result;
    if (kind == 0) {
        result = sf_call_query(call,
            "SELECT code, kind, name, COALESCE(parent_code, '') FROM unit WHERE code = $1", params);
    } else {
        SF_PARAMS_ADD(params, upper, kind);
        result = sf_call_query(call,
            "SELECT code, kind, name, COALESCE(parent_code, '') FROM unit"
            " WHERE kind = $3 AND code >= $1 AND code < $2 ORDER BY code", params);
    }
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    eval_unit_t *units = sf_call_alloc(call, sizeof *units * (size_t) (rows + 1));
    for (int row = 0; row < rows; row++)
        unit_from_row(call, &units[row], result, row);
    size_t n = (size_t) rows;
    if (kind == 0 && rows == 0) {
        /* Not (yet) told of by grid: computed by its code all the same. */
        snprintf(units[0].code, sizeof units[0].code, "%s", under);
        units[0].kind = eval_code_kind(under);
        units[0].name = sf_call_strdup(call, under);
        n = 1;
    }
    *units_p = units;
    *n_p = n;
    return SF_OK;
}

/* --- the in-memory figures ------------------------------------------------ */

typedef struct {
    sf_call_t *call;
    const eval_period_t *period;
    /* Every unit whose facts are loaded, sorted by code. */
    const char **codes;
    size_t n_codes;
    /* Facts referenced, with whether each is a stock. */
    const char **facts;
    bool *stock;
    size_t n_facts;
    /* cells[u * n_facts + f]: flow in the period and stock at its end. */
    double *flow, *level;
    /* Monthly figures when a KPI needs them: [(u * n_facts + f) * months + m]. */
    double *month_flow, *month_level;
    bool monthly;
    /* Inputs: rows of (input, unit, value for the period). */
    size_t n_inputs;
    const char **input_names;
    const char **input_units;
    double *input_values;
} figures_t;

static int
compare_codes(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static long
unit_index(const figures_t *f, const char *code)
{
    const char **found = bsearch(&code, f->codes, f->n_codes, sizeof *f->codes, compare_codes);
    return found ? (long) (found - f->codes) : -1;
}

static long
fact_index(const figures_t *f, const char *fact)
{
    for (size_t i = 0; i < f->n_facts; i++)
        if (strcmp(f->facts[i], fact) == 0)
            return (long) i;
    return -1;
}

static void
add_name(sf_call_t *call, const char ***names, size_t *n, size_t *capacity, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0)
            return;
    if (*n == *capacity) {
        size_t grown = *capacity ? *capacity * 2 : 16;
        const char **bigger = sf_call_alloc(call, grown * sizeof *bigger);
        if (*n)
            memcpy(bigger, *names, *n * sizeof *bigger);
        *names = bigger;
        *capacity = grown;
    }
    (*names)[(*n)++] = sf_call_strdup(call, name);
}

static const char *
text_array(sf_call_t *call, const char *const *names, size_t n)
{
    sf_pgarray_t array;
    sf_pgarray_init(&array);
    for (size_t i = 0; i < n; i++)
        sf_pgarray_add_text(&array, names[i]);
    const char *text = sf_call_strdup(call, sf_pgarray_text(&array));
    sf_pgarray_release(&array);
    return text;
}

/* The cell (unit, fact) a row of fact_total is for, its first columns
 * unit_code and fact; -1 when the figures do not ask for either. */
static long
row_cell(const figures_t *f, const PGresult *result, int row)
{
    long u = unit_index(f, sf_db_text(result, row, 0)), k = fact_index(f, sf_db_text(result, row, 1));
    return u < 0 || k < 0 ? -1 : u * (long) f->n_facts + k;
}

static sf_status_t
load_facts(figures_t *f)
{
    sf_call_t *call = f->call;
    const char *units = text_array(call, f->codes, f->n_codes);
    const char *facts = text_array(call, f->facts, f->n_facts);
    PGresult *result = sf_call_query(call, "SELECT code, stock FROM fact WHERE code = ANY($1::text[])",
                                     SF_PARAMS(facts));
    if (!result)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(result); row++) {
        long index = fact_index(f, sf_db_text(result, row, 0));
        if (index >= 0)
            f->stock[index] = sf_db_bool(result, row, 1);
    }
    result = sf_call_query(call,
        "SELECT unit_code, fact, COALESCE(sum(value) FILTER (WHERE period = $3), 0), sum(value)"
        " FROM fact_total WHERE period_kind = $1 AND unit_code = ANY($2::text[]) AND fact = ANY($4::text[])"
        "   AND period <= $3 GROUP BY unit_code, fact", SF_PARAMS(f->period->kind, units, f->period->code, facts));
    if (!result)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(result); row++) {
        long cell = row_cell(f, result, row);
        if (cell >= 0) {
            f->flow[cell] = sf_db_double(result, row, 2);
            f->level[cell] = sf_db_double(result, row, 3);
        }
    }
    if (!f->monthly)
        return SF_OK;
    int months = f->period->months;
    eval_period_t first, last;
    eval_period_month(f->period, 0, &first);
    eval_period_month(f->period, months - 1, &last);
    /* Month rows of the period, and everything before it as one sum (the
     * level the period starts from). */
    result = sf_call_query(call,
        "SELECT unit_code, fact, CASE WHEN period < $3 THEN '' ELSE period END AS month, sum(value)"
        " FROM fact_total WHERE period_kind = 1 AND unit_code = ANY($1::text[]) AND fact = ANY($2::text[])"
        "   AND period <= $4 GROUP BY 1, 2, 3", SF_PARAMS(units, facts, first.code, last.code));
    if (!result)
        return sf_call_status(call);
    double *opening = sf_call_alloc(call, sizeof *opening * f->n_codes * f->n_facts + 1);
    for (int row = 0; row < PQntuples(result); row++) {
        long cell = row_cell(f, result, row);
        if (cell < 0)
            continue;
        const char *month = sf_db_text(result, row, 2);
        double value = sf_db_double(result, row, 3);
        if (!*month) {
            opening[cell] += value;
            continue;
        }
        eval_period_t parsed;
        if (eval_period_parse(month, &parsed) && eval_period_within(&parsed, f->period))
            f->month_flow[cell * months + (parsed.first_month - f->period->first_month)] += value;
    }
    for (size_t cell = 0; cell < f->n_codes * f->n_facts; cell++) {
        double running = opening[cell];
        for (int m = 0; m < months; m++) {
            running += f->month_flow[cell * (size_t) months + (size_t) m];
            f->month_level[cell * (size_t) months + (size_t) m] = running;
        }
    }
    return SF_OK;
}

static sf_status_t
load_inputs(figures_t *f, const char *const *inputs, size_t n_inputs)
{
    if (n_inputs == 0)
        return SF_OK;
    sf_call_t *call = f->call;
    eval_period_t year;
    eval_period_year_of(f->period, &year);
    /* A unit's own record for the period, else its share of the year's. */
    PGresult *result = sf_call_query(call,
        "SELECT input, unit_code, COALESCE(sum(value) FILTER (WHERE period = $2),"
        "                                 sum(value) FILTER (WHERE period = $3) * $4)"
        " FROM input_value WHERE input = ANY($1::text[]) AND period IN ($2, $3)"
        " GROUP BY input, unit_code",
        SF_PARAMS(text_array(call, inputs, n_inputs), f->period->code, year.code,
                  sf_param_double(f->period->months / 12.0)));
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    f->input_names = sf_call_alloc(call, sizeof *f->input_names * (size_t) (rows + 1));
    f->input_units = sf_call_alloc(call, sizeof *f->input_units * (size_t) (rows + 1));
    f->input_values = sf_call_alloc(call, sizeof *f->input_values * (size_t) (rows + 1));
    for (int row = 0; row < rows; row++) {
        f->input_names[row] = sf_db_text(result, row, 0);
        f->input_units[row] = sf_db_text(result, row, 1);
        f->input_values[row] = sf_db_double(result, row, 2);
    }
    f->n_inputs = (size_t) rows;
    return SF_OK;
}

typedef struct {
    const figures_t *figures;
    long unit;
    const char *unit_code;
    int time_aggregation;
} lookup_t;

static double
lookup(void *arg, bool input, const char *name)
{
    const lookup_t *at = arg;
    const figures_t *f = at->figures;
    if (input) {
        double sum = 0;
        size_t length = strlen(at->unit_code);
        for (size_t i = 0; i < f->n_inputs; i++)
            if (strcmp(f->input_names[i], name) == 0 && strncmp(f->input_units[i], at->unit_code, length) == 0)
                sum += f->input_values[i];
        return sum;
    }
    long k = fact_index(f, name);
    if (k < 0 || at->unit < 0)
        return 0;
    long cell = at->unit * (long) f->n_facts + k;
    int months = f->period->months;
    switch (at->time_aggregation) {
    case SIFANG__V1__TIME_AGGREGATION__TIME_AGGREGATION_LAST:
        return f->stock[k] ? f->level[cell] : f->month_flow[cell * months + months - 1];
    case SIFANG__V1__TIME_AGGREGATION__TIME_AGGREGATION_AVERAGE: {
        double sum = 0;
        for (int m = 0; m < months; m++)
            sum += f->stock[k] ? f->month_level[cell * months + m] : f->month_flow[cell * months + m];
        return sum / months;
    }
    default:
        return f->stock[k] ? f->level[cell] : f->flow[cell];
    }
}

static eval_kpi_value_t
evaluate(const figures_t *f, const eval_kpi_t *kpi, const char *unit_code)
{
    eval_kpi_value_t value = { 0 };
    lookup_t at = { f, unit_index(f, unit_code), unit_code, kpi->time_aggregation };
    bool numerator_ok = eval_expr_eval(&kpi->numerator, lookup, &at, &value.numerator);
    bool denominator_ok = eval_expr_eval(&kpi->denominator, lookup, &at, &value.denominator);
    if (numerator_ok && denominator_ok && value.denominator != 0) {
        double factor = kpi->factor == 0 ? 1 : kpi->factor;
        value.value = factor * value.numerator / value.denominator;
        value.has_value = isfinite(value.value);
    }
    return value;
}

sf_status_t
eval_figures_compute(sf_call_t *call, const eval_period_t *period, const eval_unit_t *units, size_t n_units,
                     const eval_kpi_t *kpis, size_t n_kpis, eval_kpi_value_t **values_p)
{
    figures_t f = { .call = call, .period = period };
    size_t capacity = 0, fact_capacity = 0, input_capacity = 0, n_inputs = 0;
    const char **inputs = NULL;
    bool averaged = false;
    for (size_t k = 0; k < n_kpis; k++) {
        const eval_expr_t *exprs[2] = { &kpis[k].numerator, &kpis[k].denominator };
        for (int e = 0; e < 2; e++)
            for (int t = 0; t < exprs[e]->n; t++) {
                const eval_token_t *token = &exprs[e]->tokens[t];
                if (token->kind == EVAL_TOKEN_FACT)
                    add_name(call, &f.facts, &f.n_facts, &fact_capacity, token->name);
                else if (token->kind == EVAL_TOKEN_INPUT)
                    add_name(call, &inputs, &n_inputs, &input_capacity, token->name);
            }
        if (kpis[k].time_aggregation == SIFANG__V1__TIME_AGGREGATION__TIME_AGGREGATION_LAST
            || kpis[k].time_aggregation == SIFANG__V1__TIME_AGGREGATION__TIME_AGGREGATION_AVERAGE)
            f.monthly = true;
        if (kpis[k].unit_aggregation == SIFANG__V1__UNIT_AGGREGATION__UNIT_AGGREGATION_AVERAGE)
            averaged = true;
    }
    /* The units asked for, and their children when a KPI averages over them. */
    eval_unit_t **children = sf_call_alloc(call, sizeof *children * (n_units + 1));
    size_t *n_children = sf_call_alloc(call, sizeof *n_children * (n_units + 1));
    for (size_t u = 0; u < n_units; u++) {
        add_name(call, &f.codes, &f.n_codes, &capacity, units[u].code);
        if (!averaged || units[u].kind < 1 || units[u].kind >= SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
            continue;
        sf_status_t status = eval_units_load(call, units[u].code, units[u].kind + 1, &children[u], &n_children[u]);
        if (status != SF_OK)
            return status;
        for (size_t c = 0; c < n_children[u]; c++)
            add_name(call, &f.codes, &f.n_codes, &capacity, children[u][c].code);
    }
    if (f.n_codes)
        qsort(f.codes, f.n_codes, sizeof *f.codes, compare_codes);
    size_t cells = f.n_codes * f.n_facts + 1;
    f.stock = sf_call_alloc(call, sizeof *f.stock * (f.n_facts + 1));
    f.flow = sf_call_alloc(call, sizeof *f.flow * cells);
    f.level = sf_call_alloc(call, sizeof *f.level * cells);
    if (f.monthly) {
        f.month_flow = sf_call_alloc(call, sizeof *f.month_flow * cells * (size_t) period->months);
        f.month_level = sf_call_alloc(call, sizeof *f.month_level * cells * (size_t) period->months);
    }
    if (!f.stock || !f.flow || !f.level || (f.monthly && (!f.month_flow || !f.month_level)))
        return sf_call_fail(call, SF_RESOURCE_EXHAUSTED, "out of memory for %zu units", f.n_codes);
    sf_status_t status = f.n_facts && f.n_codes ? load_facts(&f) : SF_OK;
    if (status == SF_OK)
        status = load_inputs(&f, inputs, n_inputs);
    if (status != SF_OK)
        return status;

    eval_kpi_value_t *values = sf_call_alloc(call, sizeof *values * (n_units * n_kpis + 1));
    for (size_t u = 0; u < n_units; u++)
        for (size_t k = 0; k < n_kpis; k++) {
            eval_kpi_value_t *value = &values[u * n_kpis + k];
            if (kpis[k].unit_aggregation == SIFANG__V1__UNIT_AGGREGATION__UNIT_AGGREGATION_AVERAGE
                && n_children[u] > 0) {
                double sum = 0;
                int counted = 0;
                for (size_t c = 0; c < n_children[u]; c++) {
                    eval_kpi_value_t child = evaluate(&f, &kpis[k], children[u][c].code);
                    if (child.has_value) {
                        sum += child.value;
                        counted++;
                    }
                }
                *value = evaluate(&f, &kpis[k], units[u].code);
                value->has_value = counted > 0;
                value->value = counted ? sum / counted : 0;
            } else
                *value = evaluate(&f, &kpis[k], units[u].code);
        }
    *values_p = values;
    return SF_OK;
}
