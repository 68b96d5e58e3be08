/* Evaluation schemes: the KPIs a period is scored on, with weights, targets
 * and thresholds, versioned per period until the period is frozen. */
#include "evaluation.h"
#include "sf_row.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

sf_status_t
eval_scheme_load(sf_call_t *call, const char *period, int version, Sifang__V1__EvaluationScheme **scheme_p)
{
    *scheme_p = NULL;
    sf_params_t *params = SF_PARAMS(period, version);
    PGresult *head = sf_call_query(call,
        "SELECT period, version, name, commend_at, attention_at, " EVAL_MS("defined_at") ", defined_by"
        " FROM scheme WHERE period = $1 AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1", params);
    if (!head)
        return sf_call_status(call);
    if (PQntuples(head) == 0)
        return SF_OK;
    Sifang__V1__EvaluationScheme *scheme = (Sifang__V1__EvaluationScheme *)
        sf_call_new_message(call, &sifang__v1__evaluation_scheme__descriptor);
    sf_row_read(head, 0, 0, &scheme->base, "period version name commend_at attention_at defined_unix_ms defined_by");
    params = SF_PARAMS(period, scheme->version);
    PGresult *rows = sf_call_query(call,
        "SELECT kpi_code, weight, target, threshold FROM scheme_item WHERE period = $1 AND version = $2"
        " ORDER BY position", params);
    if (!rows)
        return sf_call_status(call);
    int n = PQntuples(rows);
    scheme->items = sf_call_new_array(call, (size_t) n, sizeof *scheme->items);
    for (int row = 0; row < n; row++) {
        Sifang__V1__SchemeItem *item = (Sifang__V1__SchemeItem *)
            sf_call_new_message(call, &sifang__v1__scheme_item__descriptor);
        sf_row_read(rows, row, 0, &item->base, "kpi_code weight target threshold");
        scheme->items[scheme->n_items++] = item;
    }
    /* The levels' own targets, by level (district, street, community, zone). */
    PGresult *levels = sf_call_query(call,
        "SELECT kpi_code, unit_kind, target, threshold FROM scheme_item_level WHERE period = $1 AND version = $2"
        " ORDER BY kpi_code, unit_kind", params);
    if (!levels)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(levels); row++) {
        Sifang__V1__SchemeItem *item = NULL;
        for (size_t i = 0; i < scheme->n_items && !item; i++)
            if (strcmp(scheme->items[i]->kpi_code, sf_db_text(levels, row, 0)) == 0)
                item = scheme->items[i];
        if (!item)
            continue;
        if (!item->levels)
            item->levels = sf_call_new_array(call, 4, sizeof *item->levels);
        Sifang__V1__SchemeLevelTarget *level = (Sifang__V1__SchemeLevelTarget *)
            sf_call_new_message(call, &sifang__v1__scheme_level_target__descriptor);
        sf_row_read(levels, row, 1, &level->base, "unit_kind target threshold");
        if (item->n_levels < 4)
            item->levels[item->n_levels++] = level;
    }
    *scheme_p = scheme;
    return SF_OK;
}

static bool
same_scheme(const Sifang__V1__EvaluationScheme *a, const Sifang__V1__EvaluationScheme *b)
{
    if (strcmp(a->name, b->name) != 0 || a->commend_at != b->commend_at || a->attention_at != b->attention_at
        || a->n_items != b->n_items)
        return false;
    for (size_t i = 0; i < a->n_items; i++)
        if (strcmp(a->items[i]->kpi_code, b->items[i]->kpi_code) != 0 || a->items[i]->weight != b->items[i]->weight
            || a->items[i]->target != b->items[i]->target || a->items[i]->threshold != b->items[i]->threshold
            || a->items[i]->n_levels != b->items[i]->n_levels)
            return false;
    /* Levels compared as sets: the stored ones come back by level. */
    for (size_t i = 0; i < a->n_items; i++)
        for (size_t l = 0; l < a->items[i]->n_levels; l++) {
            const Sifang__V1__SchemeLevelTarget *x = a->items[i]->levels[l];
            const Sifang__V1__SchemeLevelTarget *y = eval_scheme_level(b->items[i], x->unit_kind);
            if (!y || y->target != x->target || y->threshold != x->threshold)
                return false;
        }
    return true;
}

const Sifang__V1__SchemeLevelTarget *
eval_scheme_level(const Sifang__V1__SchemeItem *item, int unit_kind)
{
    for (size_t l = 0; l < item->n_levels; l++)
        if ((int) item->levels[l]->unit_kind == unit_kind)
            return item->levels[l];
    return NULL;
}

sf_status_t
eval_scheme_define(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__EvaluationScheme *asked = (const Sifang__V1__EvaluationScheme *) request;
    Sifang__V1__EvaluationScheme scheme = *asked;
    if (scheme.commend_at == 0 && scheme.attention_at == 0) {
        scheme.commend_at = 90;
        scheme.attention_at = 60;
    }
    eval_period_t period;
    eval_check_period(call, "period", scheme.period, 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, &period);
    sf_call_check_text(call, "name", scheme.name, 100, true);
    if (!isfinite(scheme.commend_at) || !isfinite(scheme.attention_at) || scheme.attention_at < 0
        || scheme.commend_at > 100 || scheme.attention_at >= scheme.commend_at)
        sf_call_violation(call, "attention_at", "must satisfy 0 <= attention_at < commend_at <= 100");
    if (scheme.n_items < 1 || scheme.n_items > 50)
        sf_call_violation(call, "items", "must hold 1 to 50 KPIs");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    /* Each item against its KPI's current definition. */
    for (size_t i = 0; i < scheme.n_items; i++) {
        const Sifang__V1__SchemeItem *item = scheme.items[i];
        char *field = sf_call_printf(call, "items[%zu]", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(scheme.items[j]->kpi_code, item->kpi_code) == 0)
                sf_call_violation(call, sf_call_printf(call, "%s.kpi_code", field), "repeats items[%zu]", j);
        /* 0: an indicator (指标), shown for every unit but outside the
         * composite, the flags and the sensitivity (migration 021). */
        if (!isfinite(item->weight) || item->weight < 0)
            sf_call_violation(call, sf_call_printf(call, "%s.weight", field), "must be 0 (an indicator) or more");
        if (!isfinite(item->target) || !isfinite(item->threshold))
            sf_call_violation(call, sf_call_printf(call, "%s.target", field), "target and threshold must be numbers");
        if (!eval_check_name(call, sf_call_printf(call, "%s.kpi_code", field), item->kpi_code))
            continue;
        sf_params_t params;
        sf_params_init(&params);
        sf_params_text(&params, item->kpi_code);
        PGresult *result = sf_call_query(call,
            "SELECT direction, retired FROM kpi WHERE code = $1 ORDER BY version DESC LIMIT 1", &params);
        if (!result)
            return sf_call_status(call);
        if (PQntuples(result) == 0 || sf_db_bool(result, 0, 1)) {
            sf_call_violation(call, sf_call_printf(call, "%s.kpi_code", field), "no current KPI %s", item->kpi_code);
            continue;
        }
        bool lower_better = sf_db_int(result, 0, 0) == SIFANG__V1__KPI_DIRECTION__KPI_DIRECTION_LOWER_BETTER;
        if (lower_better ? item->threshold <= item->target : item->threshold >= item->target)
            sf_call_violation(call, sf_call_printf(call, "%s.threshold", field),
                              "must lie %s target (%s is %s better)", lower_better ? "above" : "below",
                              item->kpi_code, lower_better ? "lower" : "higher");
        /* Each level's own, by the same rule, each level once. */
        if (item->n_levels > 4)
            sf_call_violation(call, sf_call_printf(call, "%s.levels", field), "at most one per level (4)");
        for (size_t l = 0; l < item->n_levels && l < 4; l++) {
            const Sifang__V1__SchemeLevelTarget *level = item->levels[l];
            char *at = sf_call_printf(call, "%s.levels[%zu]", field, l);
            if (level->unit_kind < SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT
                || level->unit_kind > SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
                sf_call_violation(call, sf_call_printf(call, "%s.unit_kind", at),
                                  "must be district, street, community or zone");
            for (size_t k = 0; k < l; k++)
                if (item->levels[k]->unit_kind == level->unit_kind)
                    sf_call_violation(call, sf_call_printf(call, "%s.unit_kind", at), "repeats levels[%zu]", k);
            if (!isfinite(level->target) || !isfinite(level->threshold))
                sf_call_violation(call, sf_call_printf(call, "%s.target", at), "target and threshold must be numbers");
            else if (lower_better ? level->threshold <= level->target : level->threshold >= level->target)
                sf_call_violation(call, sf_call_printf(call, "%s.threshold", at),
                                  "must lie %s target (%s is %s better)", lower_better ? "above" : "below",
                                  item->kpi_code, lower_better ? "lower" : "higher");
        }
    }
    bool weighted = false;
    for (size_t i = 0; i < scheme.n_items; i++)
        weighted |= isfinite(scheme.items[i]->weight) && scheme.items[i]->weight > 0;
    if (!weighted)
        sf_call_violation(call, "items", "must weigh one KPI at least (weight above 0)");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    bool frozen;
    sf_status_t status = eval_period_is_frozen(call, period.code, &frozen);
    if (status != SF_OK)
        return status;
    if (frozen)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "period", "%s is frozen", period.code);

    sf_params_t *params = SF_PARAMS(period.code);
    if (!sf_call_query(call, "SELECT pg_advisory_xact_lock(hashtext('scheme:' || $1))", params))
        return sf_call_status(call);
    Sifang__V1__EvaluationScheme *current;
    status = eval_scheme_load(call, period.code, 0, &current);
    if (status != SF_OK)
        return status;
    if (current && same_scheme(current, &scheme)) {
        *reply_p = &current->base;
        return SF_OK;
    }
    params = SF_PARAMS(period.code, scheme.name, sf_param_double(scheme.commend_at),
                       sf_param_double(scheme.attention_at), sf_call_principal(call)->id);
    PGresult *result = sf_call_query(call,
        "INSERT INTO scheme (period, version, name, commend_at, attention_at, defined_by)"
        " SELECT $1, COALESCE(max(version), 0) + 1, $2, $3, $4, $5 FROM scheme WHERE period = $1 RETURNING version",
        params);
    if (!result)
        return sf_call_status(call);
    int version = (int) sf_db_int(result, 0, 0);
    for (size_t i = 0; i < scheme.n_items; i++) {
        sf_params_init(params);
        SF_PARAMS_ADD(params, period.code, version, (int64_t) i, scheme.items[i]->kpi_code,
                              sf_param_double(scheme.items[i]->weight), sf_param_double(scheme.items[i]->target),
                              sf_param_double(scheme.items[i]->threshold));
        if (!sf_call_query(call,
                "INSERT INTO scheme_item (period, version, position, kpi_code, weight, target, threshold)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)", params))
            return sf_call_status(call);
        for (size_t l = 0; l < scheme.items[i]->n_levels; l++) {
            const Sifang__V1__SchemeLevelTarget *level = scheme.items[i]->levels[l];
            if (!sf_call_query(call,
                    "INSERT INTO scheme_item_level (period, version, kpi_code, unit_kind, target, threshold)"
                    " VALUES ($1, $2, $3, $4, $5, $6)",
                    SF_PARAMS(period.code, version, scheme.items[i]->kpi_code, (int) level->unit_kind,
                              sf_param_double(level->target), sf_param_double(level->threshold))))
                return sf_call_status(call);
        }
    }
    Sifang__V1__EvaluationScheme *defined;
    status = eval_scheme_load(call, period.code, version, &defined);
    if (status != SF_OK || !defined)
        return status != SF_OK ? status : sf_call_fail(call, SF_INTERNAL, "scheme vanished");
    return sf_call_emit_reply(call, reply_p, "scheme.defined", defined->period, &defined->base);
}

sf_status_t
eval_scheme_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__SchemeGetRequest *ask = (const Sifang__V1__SchemeGetRequest *) request;
    eval_check_period(call, "period", ask->period, 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, NULL);
    if (ask->version < 0)
        sf_call_violation(call, "version", "must be 0 (current) or a version");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__EvaluationScheme *scheme;
    sf_status_t status = eval_scheme_load(call, ask->period, ask->version, &scheme);
    if (status != SF_OK)
        return status;
    if (!scheme)
        return sf_call_refuse(call, SF_NOT_FOUND, "period", "no scheme for %s%s", ask->period,
                              ask->version ? sf_call_printf(call, " version %d", ask->version) : "");
    *reply_p = &scheme->base;
    return SF_OK;
}
