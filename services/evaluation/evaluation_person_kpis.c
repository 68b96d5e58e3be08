/* What a person is measured on, as data (issue 19, migration 015): KPIs over
 * a person's facts (person_fact names them; evaluation_people.c counts
 * them), every version kept, defined by the appraisal office, evaluated for
 * each person's figures as the units' KPIs are for a unit (numerator /
 * denominator * factor; no value when the denominator is 0). */
#include "evaluation.h"
#include "evaluation_expr.h"
#include "sf_row.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define PERSON_KPI_COLUMNS \
    "code, version, name, numerator, denominator, factor, direction, unit_label, description, retired, " \
    EVAL_MS("defined_at") ", defined_by"
#define PERSON_KPI_FIELDS \
    "code version name numerator denominator factor direction unit_label description retired defined_unix_ms defined_by"

/* A numerator or denominator: #{fact} arithmetic over person_fact's codes;
 * a unit's input (I{...}) has no meaning for a person. */
static void
check_expression(sf_call_t *call, const char *field, const char *text, bool required)
{
    if (required && !*text) {
        sf_call_violation(call, field, "is required");
        return;
    }
    if (!sf_call_check_text(call, field, text, 500, false))
        return;
    eval_expr_t expr;
    char error[160];
    if (!eval_expr_parse(text, &expr, error, sizeof error)) {
        sf_call_violation(call, field, "%s", error);
        return;
    }
    for (int i = 0; i < expr.n; i++) {
        if (expr.tokens[i].kind == EVAL_TOKEN_INPUT) {
            sf_call_violation(call, field, "I{%s}: a person's KPI names facts only", expr.tokens[i].name);
            continue;
        }
        if (expr.tokens[i].kind != EVAL_TOKEN_FACT)
            continue;
        PGresult *r = sf_call_query(call, "SELECT 1 FROM person_fact WHERE code = $1",
                                    SF_PARAMS(expr.tokens[i].name));
        if (r && PQntuples(r) == 0)
            sf_call_violation(call, field, "no person fact %s (PersonKpiList names them)", expr.tokens[i].name);
    }
}

static bool
same_definition(const Sifang__V1__PersonKpi *a, const Sifang__V1__PersonKpi *b, double factor, int direction)
{
    return strcmp(a->name, b->name) == 0 && strcmp(a->numerator, b->numerator) == 0
        && strcmp(a->denominator, b->denominator) == 0 && a->factor == factor && (int) a->direction == direction
        && strcmp(a->unit_label, b->unit_label) == 0 && strcmp(a->description, b->description) == 0
        && a->retired == b->retired;
}

sf_status_t
eval_person_kpi_define(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__PersonKpi *kpi = (const Sifang__V1__PersonKpi *) request;
    eval_check_name(call, "code", kpi->code);
    sf_call_check_text(call, "name", kpi->name, 100, true);
    check_expression(call, "numerator", kpi->numerator, true);
    check_expression(call, "denominator", kpi->denominator, false);
    if (!isfinite(kpi->factor))
        sf_call_violation(call, "factor", "must be a finite number");
    if (kpi->direction < 0 || kpi->direction > 2)
        sf_call_violation(call, "direction", "must be HIGHER_BETTER or LOWER_BETTER");
    sf_call_check_text(call, "unit_label", kpi->unit_label, 40, false);
    sf_call_check_text(call, "description", kpi->description, 500, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    double factor = kpi->factor == 0 ? 1 : kpi->factor;
    int direction = kpi->direction ? kpi->direction : SIFANG__V1__KPI_DIRECTION__KPI_DIRECTION_HIGHER_BETTER;
    PGresult *rows = sf_call_query(call,
        "SELECT " PERSON_KPI_COLUMNS " FROM person_kpi WHERE code = $1 ORDER BY version DESC LIMIT 1 FOR UPDATE",
        SF_PARAMS(kpi->code));
    if (!rows)
        return sf_call_status(call);
    if (PQntuples(rows) == 1) {
        Sifang__V1__PersonKpi *current = sf_call_row_message(call, &sifang__v1__person_kpi__descriptor, rows, 0,
                                                             PERSON_KPI_FIELDS);
        /* The same definition again is no new version. */
        if (same_definition(current, kpi, factor, direction)) {
            *reply_p = &current->base;
            return SF_OK;
        }
    }
    rows = sf_call_query(call,
        "INSERT INTO person_kpi (code, version, name, numerator, denominator, factor, direction, unit_label,"
        "                        description, retired, defined_by)"
        " SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM person_kpi WHERE code = $1"
        " RETURNING " PERSON_KPI_COLUMNS,
        SF_PARAMS(kpi->code, kpi->name, kpi->numerator, kpi->denominator, sf_param_double(factor), direction,
                  kpi->unit_label, kpi->description, sf_param_bool(kpi->retired), sf_call_principal(call)->id));
    if (!rows)
        return sf_call_status(call);
    Sifang__V1__PersonKpi *defined = sf_call_row_message(call, &sifang__v1__person_kpi__descriptor, rows, 0,
                                                         PERSON_KPI_FIELDS);
    return sf_call_emit_reply(call, reply_p, "person_kpi.defined", defined->code, &defined->base);
}

sf_status_t
eval_person_kpi_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__PersonKpiListRequest *ask = (const Sifang__V1__PersonKpiListRequest *) request;
    Sifang__V1__PersonKpiListReply *reply = (Sifang__V1__PersonKpiListReply *)
        sf_call_new_message(call, &sifang__v1__person_kpi_list_reply__descriptor);
    *reply_p = &reply->base;
    /* Every version, or the current one of each code; retired codes only
     * when asked for. */
    PGresult *rows = sf_call_query(call,
        "SELECT " PERSON_KPI_COLUMNS " FROM person_kpi k"
        " WHERE ($2 OR version = (SELECT max(version) FROM person_kpi m WHERE m.code = k.code))"
        "   AND ($1 OR NOT (SELECT retired FROM person_kpi c WHERE c.code = k.code ORDER BY version DESC LIMIT 1))"
        " ORDER BY code, version",
        SF_PARAMS(sf_param_bool(ask->include_retired), sf_param_bool(ask->all_versions)));
    if (!rows)
        return sf_call_status(call);
    int n = PQntuples(rows);
    reply->kpis = sf_call_new_array(call, (size_t) n, sizeof *reply->kpis);
    for (int row = 0; row < n; row++)
        reply->kpis[reply->n_kpis++] = sf_call_row_message(call, &sifang__v1__person_kpi__descriptor, rows, row,
                                                           PERSON_KPI_FIELDS);
    rows = sf_call_query(call, "SELECT code, name, description FROM person_fact ORDER BY code", NULL);
    if (!rows)
        return sf_call_status(call);
    n = PQntuples(rows);
    reply->facts = sf_call_new_array(call, (size_t) n, sizeof *reply->facts);
    for (int row = 0; row < n; row++)
        reply->facts[reply->n_facts++] = sf_call_row_message(call, &sifang__v1__person_fact__descriptor, rows, row,
                                                             "code name description");
    return SF_OK;
}

/* --- evaluated for people's figures ---------------------------------------------- */

typedef struct {
    const eval_person_facts_t *facts;
} lookup_t;

static double
lookup(void *arg, bool input, const char *name)
{
    const lookup_t *at = arg;
    if (input)
        return 0;
    for (int k = 0; k < EVAL_PERSON_FACTS; k++)
        if (strcmp(eval_person_fact_codes[k], name) == 0)
            return at->facts->values[k];
    return 0;   /* a fact the catalogue names and this build does not count */
}

/* A figure StaffFigures names, read from the KPI of the same code. */
static void
named_figure(Sifang__V1__StaffFigures *f, const Sifang__V1__PersonKpiValue *value)
{
    double v = value->has_value ? value->value : 0;
    if (strcmp(value->code, "on_time_rate") == 0)
        f->on_time_rate = v;
    else if (strcmp(value->code, "satisfaction") == 0)
        f->satisfaction = v;
    else if (strcmp(value->code, "average_handling_hours") == 0)
        f->average_handling_hours = v;
    else if (strcmp(value->code, "contact_rate") == 0)
        f->contact_rate = v;
}

sf_status_t
eval_person_kpis_apply(sf_call_t *call, Sifang__V1__StaffFigures *const *figures, const eval_person_facts_t *facts,
                       size_t n)
{
    PGresult *rows = sf_call_query(call,
        "SELECT * FROM (SELECT DISTINCT ON (code) code, version, name, direction, unit_label, numerator, denominator,"
        "                      factor, retired FROM person_kpi ORDER BY code, version DESC) current"
        " WHERE NOT retired ORDER BY code", NULL);
    if (!rows)
        return sf_call_status(call);
    size_t n_kpis = (size_t) PQntuples(rows);
    eval_expr_t *numerators = sf_call_new_array(call, n_kpis + 1, sizeof *numerators);
    eval_expr_t *denominators = sf_call_new_array(call, n_kpis + 1, sizeof *denominators);
    for (size_t k = 0; k < n_kpis; k++) {
        char error[160];
        /* Checked when defined: one that no longer parses is a bug here. */
        if (!eval_expr_parse(sf_db_text(rows, (int) k, 5), &numerators[k], error, sizeof error)
            || !eval_expr_parse(sf_db_text(rows, (int) k, 6), &denominators[k], error, sizeof error))
            return sf_call_fail(call, SF_INTERNAL, "person KPI %s does not parse: %s", sf_db_text(rows, (int) k, 0),
                                error);
    }
    for (size_t i = 0; i < n; i++) {
        Sifang__V1__StaffFigures *f = figures[i];
        f->kpis = sf_call_new_array(call, n_kpis + 1, sizeof *f->kpis);
        lookup_t at = { &facts[i] };
        for (size_t k = 0; k < n_kpis; k++) {
            Sifang__V1__PersonKpiValue *value = sf_call_row_message(call, &sifang__v1__person_kpi_value__descriptor,
                                                                    rows, (int) k,
                                                                    "code version name direction unit_label");
            double factor = sf_db_double(rows, (int) k, 7);
            bool numerator_ok = eval_expr_eval(&numerators[k], lookup, &at, &value->numerator);
            bool denominator_ok = eval_expr_eval(&denominators[k], lookup, &at, &value->denominator);
            if (numerator_ok && denominator_ok && value->denominator != 0) {
                /* factor * numerator / denominator, in this order: the
                 * figures StaffFigures named before came out so. */
                value->value = (factor == 0 ? 1 : factor) * value->numerator / value->denominator;
                value->has_value = isfinite(value->value);
                if (!value->has_value)
                    value->value = 0;
            }
            f->kpis[f->n_kpis++] = value;
            named_figure(f, value);
        }
    }
    return SF_OK;
}
