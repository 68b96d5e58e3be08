/* Facts and KPIs: the fact catalogue and raw fact totals, KPI definitions as
 * data (every version kept), and KPI values for units and a period. */
#include "evaluation.h"
#include "sf_row.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

sf_status_t
eval_fact_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    (void) request;
    PGresult *result = sf_call_query(call,
        "SELECT code, name, stock, source_service, description, in_zones FROM fact ORDER BY source_service, code",
        NULL);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__FactListReply *reply = (Sifang__V1__FactListReply *)
        sf_call_new_message(call, &sifang__v1__fact_list_reply__descriptor);
    int rows = PQntuples(result);
    reply->facts = sf_call_new_array(call, (size_t) rows, sizeof *reply->facts);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__Fact *fact = (Sifang__V1__Fact *) sf_call_new_message(call, &sifang__v1__fact__descriptor);
        sf_row_read(result, row, 0, &fact->base, "code name stock source_service description in_zones");
        reply->facts[reply->n_facts++] = fact;
    }
    *reply_p = &reply->base;
    return SF_OK;
}

/* The unit a read asks about: given, else the caller's scope, else the
 * district; PERMISSION_DENIED outside the caller's scope. Called after the
 * request's other checks: their violations are answered with the unit's. */
static sf_status_t
read_unit(sf_call_t *call, const char *field, const char *given, const char **unit_p)
{
    eval_check_unit(call, field, given, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const char *scope = sf_call_principal(call)->scope;
    const char *unit = *given ? given : *scope ? scope : eval_district_code(call);
    if (!unit)
        return sf_call_status(call);
    if (!*unit)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, field,
                              "no district known yet (grid's units have not arrived): name a unit");
    if (!sf_call_covers(call, unit))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside your scope", unit);
    *unit_p = unit;
    return SF_OK;
}

sf_status_t
eval_fact_values(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__FactValuesRequest *ask = (const Sifang__V1__FactValuesRequest *) request;
    eval_period_t period;
    eval_check_period(call, "period", ask->period, 0xE, &period);
    for (size_t i = 0; i < ask->n_facts; i++)
        eval_check_name(call, sf_call_printf(call, "facts[%zu]", i), ask->facts[i]);
    const char *unit;
    sf_status_t status = read_unit(call, "unit_code", ask->unit_code, &unit);
    if (status != SF_OK)
        return status;
    sf_pgarray_t facts;
    sf_pgarray_init(&facts);
    for (size_t i = 0; i < ask->n_facts; i++)
        sf_pgarray_add_text(&facts, ask->facts[i]);
    const char *wanted = ask->n_facts ? sf_call_strdup(call, sf_pgarray_text(&facts)) : NULL;
    sf_pgarray_release(&facts);
    PGresult *result = sf_call_query(call,
        "SELECT f.code, COALESCE(CASE WHEN f.stock THEN sum(t.value)"
        "                        ELSE sum(t.value) FILTER (WHERE t.period = $3) END, 0)"
        " FROM fact f LEFT JOIN fact_total t ON t.fact = f.code AND t.period_kind = $1 AND t.unit_code = $2"
        "   AND t.period <= $3"
        " WHERE $4::text[] IS NULL OR f.code = ANY($4::text[])"
        " GROUP BY f.code, f.stock ORDER BY f.code",
        SF_PARAMS(period.kind, unit, period.code, wanted));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__FactValuesReply *reply = (Sifang__V1__FactValuesReply *)
        sf_call_new_message(call, &sifang__v1__fact_values_reply__descriptor);
    int rows = PQntuples(result);
    reply->values = sf_call_new_array(call, (size_t) rows, sizeof *reply->values);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__FactValue *value = (Sifang__V1__FactValue *)
            sf_call_new_message(call, &sifang__v1__fact_value__descriptor);
        value->fact = (char *) sf_db_text(result, row, 0);
        value->unit_code = (char *) unit;
        value->period = sf_call_strdup(call, period.code);
        value->value = sf_db_double(result, row, 1);
        reply->values[reply->n_values++] = value;
    }
    *reply_p = &reply->base;
    return SF_OK;
}

/* --- definitions ---------------------------------------------------------- */

#define KPI_SELECT \
    "SELECT code, version, name, numerator, denominator, factor, time_aggregation, unit_aggregation," \
    " direction, unit_label, description, retired, " EVAL_MS("defined_at") ", defined_by FROM kpi"

/* NULL, with INTERNAL recorded, when the row does not end on defined_by
 * where the reader does. */
static Sifang__V1__Kpi *
kpi_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__Kpi *kpi = (Sifang__V1__Kpi *) sf_call_new_message(call, &sifang__v1__kpi__descriptor);
    sf_row_read(result, row, 0, &kpi->base,
                "code version name numerator denominator factor time_aggregation unit_aggregation direction unit_label"
                " description retired defined_unix_ms defined_by");
    /* The reader and the statement's columns must end together: a column
     * added to one and not the other would shift every field after it. */
    if (PQfnumber(result, "defined_by") != 13) {
        sf_call_fail(call, SF_INTERNAL, "a KPI row's columns are not those kpi_from_row reads");
        return NULL;
    }
    return kpi;
}

/* Checks an expression and that every fact it names exists. */
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
        if (expr.tokens[i].kind != EVAL_TOKEN_FACT)
            continue;
        PGresult *result = sf_call_query(call, "SELECT 1 FROM fact WHERE code = $1", SF_PARAMS(expr.tokens[i].name));
        if (result && PQntuples(result) == 0)
            sf_call_violation(call, field, "no fact %s (FactList names them)", expr.tokens[i].name);
    }
}

sf_status_t
eval_kpi_define(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__Kpi *kpi = (const Sifang__V1__Kpi *) request;
    eval_check_name(call, "code", kpi->code);
    sf_call_check_text(call, "name", kpi->name, 100, true);
    check_expression(call, "numerator", kpi->numerator, true);
    check_expression(call, "denominator", kpi->denominator, false);
    if (!isfinite(kpi->factor))
        sf_call_violation(call, "factor", "must be a finite number");
    if (kpi->time_aggregation < 0 || kpi->time_aggregation > 3)
        sf_call_violation(call, "time_aggregation", "must be DEFAULT, SUM, LAST or AVERAGE");
    if (kpi->unit_aggregation < 0 || kpi->unit_aggregation > 1)
        sf_call_violation(call, "unit_aggregation", "must be SUM or AVERAGE");
    if (kpi->direction < 0 || kpi->direction > 2)
        sf_call_violation(call, "direction", "must be HIGHER_BETTER or LOWER_BETTER");
    sf_call_check_text(call, "unit_label", kpi->unit_label, 40, false);
    sf_call_check_text(call, "description", kpi->description, 500, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    double factor = kpi->factor == 0 ? 1 : kpi->factor;
    int direction = kpi->direction ? kpi->direction : SIFANG__V1__KPI_DIRECTION__KPI_DIRECTION_HIGHER_BETTER;
    sf_params_t *params = SF_PARAMS(kpi->code);
    PGresult *result = sf_call_query(call,
        KPI_SELECT " WHERE code = $1 ORDER BY version DESC LIMIT 1 FOR UPDATE", params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 1) {
        Sifang__V1__Kpi *current = kpi_from_row(call, result, 0);
        if (!current)
            return sf_call_status(call);
        /* The same definition again is no new version. */
        if (strcmp(current->name, kpi->name) == 0 && strcmp(current->numerator, kpi->numerator) == 0
            && strcmp(current->denominator, kpi->denominator) == 0 && current->factor == factor
            && current->time_aggregation == kpi->time_aggregation
            && current->unit_aggregation == kpi->unit_aggregation && (int) current->direction == direction
            && strcmp(current->unit_label, kpi->unit_label) == 0
            && strcmp(current->description, kpi->description) == 0 && current->retired == kpi->retired) {
            *reply_p = &current->base;
            return SF_OK;
        }
    }
    params = SF_PARAMS(kpi->code, kpi->name, kpi->numerator, kpi->denominator, sf_param_double(factor),
                       kpi->time_aggregation, kpi->unit_aggregation, direction, kpi->unit_label, kpi->description,
                       sf_param_bool(kpi->retired), sf_call_principal(call)->id);
    result = sf_call_query(call,
        "INSERT INTO kpi (code, version, name, numerator, denominator, factor, time_aggregation,"
        "                 unit_aggregation, direction, unit_label, description, retired, defined_by)"
        " SELECT $1, COALESCE(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12"
        " FROM kpi WHERE code = $1"
        " RETURNING code, version, name, numerator, denominator, factor, time_aggregation, unit_aggregation,"
        "   direction, unit_label, description, retired, " EVAL_MS("defined_at") ", defined_by", params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__Kpi *defined = kpi_from_row(call, result, 0);
    if (!defined)
        return sf_call_status(call);
    return sf_call_emit_reply(call, reply_p, "kpi.defined", defined->code, &defined->base);
}

sf_status_t
eval_kpi_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__KpiGetRequest *ask = (const Sifang__V1__KpiGetRequest *) request;
    eval_check_name(call, "code", ask->code);
    if (ask->version < 0)
        sf_call_violation(call, "version", "must be 0 (current) or a version");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call,
        KPI_SELECT " WHERE code = $1 AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1",
            SF_PARAMS(ask->code, ask->version));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return sf_call_refuse(call, SF_NOT_FOUND, ask->version ? "version" : "code", "no KPI %s%s", ask->code,
                              ask->version ? sf_call_printf(call, " version %d", ask->version) : "");
    Sifang__V1__Kpi *kpi = kpi_from_row(call, result, 0);
    if (!kpi)
        return sf_call_status(call);
    *reply_p = &kpi->base;
    return SF_OK;
}

sf_status_t
eval_kpi_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__KpiListRequest *ask = (const Sifang__V1__KpiListRequest *) request;
    PGresult *result = sf_call_query(call, ask->all_versions
        ? KPI_SELECT " k WHERE $1 OR NOT EXISTS (SELECT 1 FROM kpi c WHERE c.code = k.code AND c.retired"
          "   AND c.version = (SELECT max(version) FROM kpi m WHERE m.code = k.code)) ORDER BY code, version"
        : "SELECT * FROM (SELECT DISTINCT ON (code) code, version, name, numerator, denominator, factor,"
          " time_aggregation, unit_aggregation, direction, unit_label, description, retired, "
          EVAL_MS("defined_at") ", defined_by FROM kpi ORDER BY code, version DESC) current"
          " WHERE $1 OR NOT retired ORDER BY code", SF_PARAMS(sf_param_bool(ask->include_retired)));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__KpiListReply *reply = (Sifang__V1__KpiListReply *)
        sf_call_new_message(call, &sifang__v1__kpi_list_reply__descriptor);
    int rows = PQntuples(result);
    reply->kpis = sf_call_new_array(call, (size_t) rows, sizeof *reply->kpis);
    for (int row = 0; row < rows; row++)
        if (!(reply->kpis[reply->n_kpis++] = kpi_from_row(call, result, row)))
            return sf_call_status(call);
    *reply_p = &reply->base;
    return SF_OK;
}

sf_status_t
eval_kpi_values(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__KpiValuesRequest *ask = (const Sifang__V1__KpiValuesRequest *) request;
    eval_period_t period;
    eval_check_period(call, "period", ask->period, 0xE, &period);
    if (ask->kind < 0 || ask->kind > SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
        sf_call_violation(call, "kind", "must be unset, DISTRICT, STREET, COMMUNITY or ZONE");
    const char *unit;
    sf_status_t status = read_unit(call, "unit_code", ask->unit_code, &unit);
    if (status != SF_OK)
        return status;
    eval_kpi_t *kpis;
    size_t n_kpis;
    status = eval_kpis_load(call, ask->kpi_codes, ask->n_kpi_codes, "kpi_codes", &kpis, &n_kpis);
    if (status != SF_OK)
        return status;
    eval_unit_t *units;
    size_t n_units;
    status = eval_units_load(call, unit, ask->kind, &units, &n_units);
    if (status != SF_OK)
        return status;
    eval_kpi_value_t *values;
    status = eval_figures_compute(call, &period, units, n_units, kpis, n_kpis, &values);
    if (status != SF_OK)
        return status;
    Sifang__V1__KpiValuesReply *reply = (Sifang__V1__KpiValuesReply *)
        sf_call_new_message(call, &sifang__v1__kpi_values_reply__descriptor);
    reply->values = sf_call_new_array(call, n_units * n_kpis, sizeof *reply->values);
    char *period_code = sf_call_strdup(call, period.code);
    for (size_t u = 0; u < n_units; u++)
        for (size_t k = 0; k < n_kpis; k++) {
            const eval_kpi_value_t *computed = &values[u * n_kpis + k];
            Sifang__V1__KpiValue *value = (Sifang__V1__KpiValue *)
                sf_call_new_message(call, &sifang__v1__kpi_value__descriptor);
            value->kpi_code = kpis[k].code;
            value->kpi_version = kpis[k].version;
            value->unit_code = units[u].code;
            value->unit_name = units[u].name;
            value->unit_kind = (Sifang__V1__UnitKind) units[u].kind;
            value->period = period_code;
            value->has_value = computed->has_value;
            value->value = computed->value;
            value->numerator = computed->numerator;
            value->denominator = computed->denominator;
            reply->values[reply->n_values++] = value;
        }
    reply->sources = eval_sources_states(call, &reply->n_sources);
    *reply_p = &reply->base;
    return SF_OK;
}
