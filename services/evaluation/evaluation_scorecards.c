/* Scorecards: every street's and community's KPIs scored against the
 * period's scheme, composites, rankings of like with like, the appraisal
 * flags and the cadres who answer for each unit; sign-off per unit
 * (approved, returned, approved again) and freezing, after which the period
 * is answered from the scorecard as frozen; the appraisal list. */
#include "evaluation.h"
#include "sf_row.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double
eval_composite(const Sifang__V1__UnitScore *unit, const double *weights)
{
    double weighted = 0, total = 0;
    for (size_t i = 0; i < unit->n_items; i++) {
        const Sifang__V1__ItemScore *item = unit->items[i];
        if (!item->has_value)
            continue;
        double weight = weights ? weights[i] : item->weight;
        weighted += weight * item->score;
        total += weight;
    }
    return total > 0 ? weighted / total : 0;
}

void
eval_rank(const double *composites, size_t n, int *ranks)
{
    /* Competition ranking; composites within 1e-9 count as equal. */
    for (size_t i = 0; i < n; i++) {
        int better = 0;
        for (size_t j = 0; j < n; j++)
            if (composites[j] > composites[i] + 1e-9)
                better++;
        ranks[i] = better + 1;
    }
}

static double
item_score(double value, double target, double threshold, bool lower_better, bool *below)
{
    double span = target - threshold;
    double progress = span != 0 ? (value - threshold) / span : (value >= target ? 1 : 0);
    *below = lower_better ? value >= threshold : value <= threshold;
    if (progress >= 1)
        return 100;
    if (progress <= 0)
        return 0;
    return 100 * progress;
}

static void
add_reason(sf_call_t *call, Sifang__V1__UnitScore *unit, char *reason)
{
    char **grown = sf_call_new_array(call, unit->n_reasons + 1, sizeof *grown);
    if (unit->n_reasons)
        memcpy(grown, unit->reasons, unit->n_reasons * sizeof *grown);
    grown[unit->n_reasons++] = reason;
    unit->reasons = grown;
}

static int
compare_scores(const void *a, const void *b)
{
    const Sifang__V1__UnitScore *x = *(Sifang__V1__UnitScore *const *) a, *y = *(Sifang__V1__UnitScore *const *) b;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    return strcmp(x->unit_code, y->unit_code);
}

static void
rank_units(Sifang__V1__UnitScore **units, size_t n)
{
    double *composites = calloc(n + 1, sizeof *composites);
    int *ranks = calloc(n + 1, sizeof *ranks);
    if (!composites || !ranks) {
        free(composites);
        free(ranks);
        return;
    }
    for (size_t i = 0; i < n; i++)
        composites[i] = units[i]->composite;
    eval_rank(composites, n, ranks);
    for (size_t i = 0; i < n; i++) {
        units[i]->rank = ranks[i];
        units[i]->ranked = (int32_t) n;
    }
    qsort(units, n, sizeof *units, compare_scores);
    free(composites);
    free(ranks);
}

/* The first row of result (ordered by its first column, bytewise) whose
 * code is at or after code. */
static int
first_row_from(const PGresult *result, int rows, const char *code)
{
    int low = 0, high = rows;
    while (low < high) {
        int middle = low + (high - low) / 2;
        if (strcmp(sf_db_text(result, middle, 0), code) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* Who answers for each unit: for a street its own contacts and the street
 * cadres of its zones; for a community everyone on it or its zones; for a
 * zone everyone on it or its building groups. The rows in code order,
 * bytewise: a unit's subtree is the run of rows from its own code while
 * the code starts with it, found by bisection (each unit against every
 * row grows with units times cadres: ten times the district is a hundred
 * times the work). */
sf_status_t
eval_attach_cadres(sf_call_t *call, Sifang__V1__UnitScore **units, size_t n)
{
    PGresult *result = sf_call_query(call,
        "SELECT r.unit_code, r.kind, r.staff_id, COALESCE(s.name, '') FROM responsibility r"
        " LEFT JOIN staff s ON s.id = r.staff_id ORDER BY r.unit_code COLLATE \"C\", r.kind, r.staff_id", NULL);
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    for (size_t u = 0; u < n; u++) {
        Sifang__V1__UnitScore *unit = units[u];
        size_t length = strlen(unit->unit_code), count = 0;
        bool street = unit->unit_kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET;
        int first = first_row_from(result, rows, unit->unit_code);
        for (int pass = 0; pass < 2; pass++) {
            for (int row = first; row < rows; row++) {
                const char *code = sf_db_text(result, row, 0);
                int kind = (int) sf_db_int(result, row, 1);
                if (strncmp(code, unit->unit_code, length) != 0)
                    break;
                bool own = strlen(code) == length;
                if (street && !own && kind != SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE)
                    continue;
                if (pass == 0) {
                    count++;
                    continue;
                }
                Sifang__V1__ResponsibleCadre *cadre = (Sifang__V1__ResponsibleCadre *)
                    sf_call_new_message(call, &sifang__v1__responsible_cadre__descriptor);
                cadre->staff_id = (char *) sf_db_text(result, row, 2);
                cadre->name = (char *) sf_db_text(result, row, 3);
                cadre->kind = (Sifang__V1__ResponsibilityKind) kind;
                cadre->unit_code = (char *) code;
                unit->cadres[unit->n_cadres++] = cadre;
            }
            if (pass == 0)
                unit->cadres = sf_call_new_array(call, count, sizeof *unit->cadres);
        }
    }
    return SF_OK;
}

static sf_status_t
attach_sign_off(sf_call_t *call, const char *period, Sifang__V1__UnitScore **units, size_t n)
{
    PGresult *result = sf_call_query(call,
        "SELECT DISTINCT ON (unit_code) unit_code, decision, composite FROM sign_off WHERE period = $1"
        " ORDER BY unit_code, serial DESC", SF_PARAMS(period));
    if (!result)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(result); row++)
        for (size_t u = 0; u < n; u++)
            if (strcmp(units[u]->unit_code, sf_db_text(result, row, 0)) == 0) {
                bool approved = sf_db_int(result, row, 1) == SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_APPROVE;
                units[u]->sign_off = approved ? SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_APPROVED
                                              : SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_RETURNED;
                if (approved) {
                    units[u]->approved_composite = sf_db_double(result, row, 2);
                    units[u]->changed_since_approval = fabs(units[u]->approved_composite - units[u]->composite) > 1e-6;
                }
            }
    return SF_OK;
}

static sf_status_t
load_frozen(sf_call_t *call, const char *period, Sifang__V1__Scorecard **card_p)
{
    *card_p = NULL;
    PGresult *result = sf_call_query(call, "SELECT scorecard FROM period_frozen WHERE period = $1",
        SF_PARAMS(period));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return SF_OK;
    /* bytea comes back as text in hex: decode into call memory. */
    size_t size = 0;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *) sf_db_text(result, 0, 0), &size);
    if (!bytes)
        return sf_call_fail(call, SF_INTERNAL, "cannot read the frozen scorecard of %s", period);
    *card_p = sifang__v1__scorecard__unpack(eval_call_allocator(call), size, bytes);
    PQfreemem(bytes);
    if (!*card_p)
        return sf_call_fail(call, SF_DATA_LOSS, "the frozen scorecard of %s does not decode", period);
    return SF_OK;
}

/* One unit's score against the scheme: each item's value, score and
 * reasons, the composite and the appraisal flag (not its rank, which is
 * among its like: eval_rank_scores). values: the unit's, in the scheme's
 * order of items, as ordered. */
Sifang__V1__UnitScore *
eval_unit_score(sf_call_t *call, const Sifang__V1__EvaluationScheme *scheme, eval_kpi_t *ordered,
                const eval_kpi_value_t *values, eval_unit_t *the_unit)
{
    Sifang__V1__UnitScore *unit = (Sifang__V1__UnitScore *)
        sf_call_new_message(call, &sifang__v1__unit_score__descriptor);
    unit->unit_code = the_unit->code;
    unit->unit_name = the_unit->name;
    unit->unit_kind = (Sifang__V1__UnitKind) the_unit->kind;
    unit->parent_code = the_unit->parent;
    unit->items = sf_call_new_array(call, scheme->n_items, sizeof *unit->items);
    bool any_below = false;
    for (size_t i = 0; i < scheme->n_items; i++) {
        const Sifang__V1__SchemeItem *scheme_item = scheme->items[i];
        const eval_kpi_value_t *value = &values[i];
        Sifang__V1__ItemScore *item = (Sifang__V1__ItemScore *)
            sf_call_new_message(call, &sifang__v1__item_score__descriptor);
        item->kpi_code = ordered[i].code;
        item->kpi_name = ordered[i].name;
        item->weight = scheme_item->weight;
        /* The unit's level's own target when the scheme gives one
         * (a street against the street's, a community against the
         * community's), else the item's. */
        const Sifang__V1__SchemeLevelTarget *level = eval_scheme_level(scheme_item, the_unit->kind);
        item->target = level ? level->target : scheme_item->target;
        item->threshold = level ? level->threshold : scheme_item->threshold;
        item->has_value = value->has_value;
        item->value = value->value;
        if (value->has_value) {
            bool lower = ordered[i].direction == SIFANG__V1__KPI_DIRECTION__KPI_DIRECTION_LOWER_BETTER;
            bool below;
            item->score = item_score(value->value, item->target, item->threshold, lower, &below);
            item->below_threshold = below;
            /* An indicator (weight 0) is shown, below or not: it flags nothing. */
            if (item->below_threshold && item->weight > 0) {
                any_below = true;
                add_reason(call, unit, sf_call_printf(call, "%s %.4g is %s threshold %.4g", item->kpi_code,
                                                      item->value, lower ? "at or above" : "at or below",
                                                      item->threshold));
            }
        }
        unit->items[unit->n_items++] = item;
    }
    unit->composite = eval_composite(unit, NULL);
    if (unit->composite < scheme->attention_at) {
        add_reason(call, unit, sf_call_printf(call, "composite %.1f below %.4g", unit->composite,
                                              scheme->attention_at));
        unit->flag = SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_ATTENTION;
    } else if (any_below)
        unit->flag = SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_ATTENTION;
    else if (unit->composite >= scheme->commend_at) {
        add_reason(call, unit, sf_call_printf(call, "composite %.1f at or above %.4g", unit->composite,
                                              scheme->commend_at));
        unit->flag = SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_COMMENDATION;
    }
    return unit;
}

sf_status_t
eval_scheme_kpis(sf_call_t *call, const Sifang__V1__EvaluationScheme *scheme, eval_kpi_t **ordered_p)
{
    *ordered_p = NULL;
    char **codes = sf_call_new_array(call, scheme->n_items, sizeof *codes);
    for (size_t i = 0; i < scheme->n_items; i++)
        codes[i] = scheme->items[i]->kpi_code;
    eval_kpi_t *kpis;
    size_t n_kpis;
    sf_status_t status = eval_kpis_load(call, codes, scheme->n_items, "items", &kpis, &n_kpis);
    if (status != SF_OK)
        return status;
    /* The same order as the scheme's items. */
    eval_kpi_t *ordered = sf_call_alloc(call, sizeof *ordered * (scheme->n_items + 1));
    for (size_t i = 0; i < scheme->n_items; i++)
        for (size_t k = 0; k < n_kpis; k++)
            if (strcmp(kpis[k].code, codes[i]) == 0)
                ordered[i] = kpis[k];
    *ordered_p = ordered;
    return SF_OK;
}

void
eval_rank_scores(Sifang__V1__UnitScore **units, size_t n)
{
    rank_units(units, n);
}

sf_status_t
eval_scorecard_build(sf_call_t *call, const char *period_code, bool with_cadres, Sifang__V1__Scorecard **card_p)
{
    *card_p = NULL;
    Sifang__V1__Scorecard *card;
    sf_status_t status = load_frozen(call, period_code, &card);
    if (status != SF_OK)
        return status;
    if (card) {
        if (!with_cadres) {
            Sifang__V1__UnitScore **lists[2] = { card->streets, card->communities };
            size_t counts[2] = { card->n_streets, card->n_communities };
            for (int l = 0; l < 2; l++)
                for (size_t i = 0; i < counts[l]; i++)
                    lists[l][i]->n_cadres = 0;
        }
        *card_p = card;
        return SF_OK;
    }
    eval_period_t period;
    eval_period_parse(period_code, &period);
    Sifang__V1__EvaluationScheme *scheme;
    status = eval_scheme_load(call, period_code, 0, &scheme);
    if (status != SF_OK)
        return status;
    if (!scheme)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "period", "no scheme for %s (SchemeDefine)", period_code);
    eval_kpi_t *ordered;
    if ((status = eval_scheme_kpis(call, scheme, &ordered)) != SF_OK)
        return status;
    const char *district = eval_district_code(call);
    if (!district)
        return sf_call_status(call);
    if (!*district)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "period", "no district known yet (grid's units)");
    eval_unit_t *top, *streets, *communities;
    size_t n_top, n_streets, n_communities;
    if ((status = eval_units_load(call, district, 0, &top, &n_top)) != SF_OK
        || (status = eval_units_load(call, district, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, &streets, &n_streets)) != SF_OK
        || (status = eval_units_load(call, district, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, &communities,
                                     &n_communities)) != SF_OK)
        return status;
    size_t n_units = n_top + n_streets + n_communities;
    eval_unit_t *units = sf_call_alloc(call, sizeof *units * (n_units + 1));
    memcpy(units, top, sizeof *units * n_top);
    memcpy(units + n_top, streets, sizeof *units * n_streets);
    memcpy(units + n_top + n_streets, communities, sizeof *units * n_communities);
    eval_kpi_value_t *values;
    status = eval_figures_compute(call, &period, units, n_units, ordered, scheme->n_items, &values);
    if (status != SF_OK)
        return status;

    card = (Sifang__V1__Scorecard *) sf_call_new_message(call, &sifang__v1__scorecard__descriptor);
    card->period = sf_call_strdup(call, period_code);
    card->scheme_version = scheme->version;
    card->scheme_name = scheme->name;
    card->computed_unix_ms = sf_now_ms();
    card->streets = sf_call_new_array(call, n_streets, sizeof *card->streets);
    card->communities = sf_call_new_array(call, n_communities, sizeof *card->communities);
    Sifang__V1__UnitScore **all = sf_call_new_array(call, n_units, sizeof *all);
    for (size_t u = 0; u < n_units; u++) {
        Sifang__V1__UnitScore *unit = eval_unit_score(call, scheme, ordered, &values[u * scheme->n_items], &units[u]);
        all[u] = unit;
        if (u < n_top)
            card->district = unit;
        else if (u < n_top + n_streets)
            card->streets[card->n_streets++] = unit;
        else
            card->communities[card->n_communities++] = unit;
    }
    if ((status = attach_sign_off(call, period_code, all, n_units)) != SF_OK)
        return status;
    if (with_cadres && (status = eval_attach_cadres(call, all + n_top, n_streets + n_communities)) != SF_OK)
        return status;
    rank_units(card->streets, card->n_streets);
    rank_units(card->communities, card->n_communities);
    *card_p = card;
    return SF_OK;
}

sf_status_t
eval_scorecard_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ScorecardRequest *ask = (const Sifang__V1__ScorecardRequest *) request;
    if (!eval_check_period(call, "period", ask->period, 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, NULL))
        return sf_call_status(call);
    /* Kept with the version of everything it reads (evaluation's events
     * and every source's cursor, in this snapshot): given again only while
     * no event, no follower's page and no sign-off has come since, so
     * exactly what building it again gives (but computed_unix_ms, when it
     * was built). */
    evaluation_t *evaluation = sf_call_state(call);
    const char *version = sf_kept_version(call, NULL, NULL);
    if (!version)
        return sf_call_status(call);
    const char *key = sf_call_printf(call, "%s|%d", ask->period, ask->with_cadres ? 1 : 0);
    Sifang__V1__Scorecard *card = (Sifang__V1__Scorecard *)
        sf_kept_get(evaluation->scorecards, call, &sifang__v1__scorecard__descriptor, key, version);
    if (!card) {
        sf_status_t status = eval_scorecard_build(call, ask->period, ask->with_cadres, &card);
        if (status != SF_OK)
            return status;
        sf_kept_put(evaluation->scorecards, key, version, &card->base);
    }
    /* Figures built while the followers catch up are half-loaded: said so,
     * for the workbench's banner. A frozen card is as it was approved. */
    card->catching_up = !card->frozen && eval_sources_catching_up(sf_call_state(call));
    *reply_p = &card->base;
    return SF_OK;
}

/* --- sign-off ------------------------------------------------------------------ */

static sf_status_t
history(sf_call_t *call, const char *period, const char *unit_code, Sifang__V1__SignOffReply *reply)
{
    PGresult *result = sf_call_query(call,
        "SELECT unit_code, decision, composite, note, signed_by, " EVAL_MS("signed_at")
        " FROM sign_off WHERE period = $1 AND unit_code = $2 ORDER BY serial", SF_PARAMS(period, unit_code));
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    reply->unit_code = sf_call_strdup(call, unit_code);
    reply->history = sf_call_new_array(call, (size_t) rows, sizeof *reply->history);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__SignOffEntry *entry = (Sifang__V1__SignOffEntry *)
            sf_call_new_message(call, &sifang__v1__sign_off_entry__descriptor);
        sf_row_read(result, row, 0, &entry->base, "unit_code decision composite note by at_unix_ms");
        reply->history[reply->n_history++] = entry;
        reply->state = entry->decision == SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_APPROVE
                           ? SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_APPROVED
                           : SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_RETURNED;
    }
    return SF_OK;
}

sf_status_t
eval_sign_off(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__SignOffRequest *ask = (const Sifang__V1__SignOffRequest *) request;
    eval_check_period(call, "period", ask->period, 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, NULL);
    eval_check_unit(call, "unit_code", ask->unit_code, false);
    bool returning = ask->decision == SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_RETURN;
    if (ask->decision != SIFANG__V1__SIGN_OFF_DECISION__SIGN_OFF_DECISION_APPROVE && !returning)
        sf_call_violation(call, "decision", "must be APPROVE or RETURN");
    sf_call_check_text(call, "note", ask->note, 500, returning);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_params_t *params = SF_PARAMS(ask->unit_code);
    PGresult *result = sf_call_query(call, "SELECT kind FROM unit WHERE code = $1", params);
    if (!result)
        return sf_call_status(call);
    int kind = PQntuples(result) ? (int) sf_db_int(result, 0, 0) : 0;
    if (kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET && kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY)
        return sf_call_refuse(call, SF_NOT_FOUND, "unit_code", "no street or community %s", ask->unit_code);
    /* Communities are signed off by their street or the district, streets by
     * the district. */
    bool allowed = sf_call_has_role(call, SF_ROLES_APPRAISAL)
        || (kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY && sf_call_has_role(call, "street"));
    if (!allowed || !sf_call_may_write(call, ask->unit_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "%s figures are signed off by %s",
                            kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET ? "a street's" : "a community's",
                            kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET ? "the district"
                                                                            : "its street or the district");
    bool frozen;
    sf_status_t status = eval_period_is_frozen(call, ask->period, &frozen);
    if (status != SF_OK)
        return status;
    if (frozen)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "period", "%s is frozen", ask->period);
    Sifang__V1__Scorecard *card;
    status = eval_scorecard_build(call, ask->period, false, &card);
    if (status != SF_OK)
        return status;
    double composite = 0;
    Sifang__V1__UnitScore **lists[2] = { card->streets, card->communities };
    size_t counts[2] = { card->n_streets, card->n_communities };
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++)
            if (strcmp(lists[l][i]->unit_code, ask->unit_code) == 0)
                composite = lists[l][i]->composite;
    params = SF_PARAMS(ask->period, ask->unit_code, ask->decision, sf_param_double(composite), ask->note,
                       sf_call_principal(call)->id);
    result = sf_call_query(call,
        "INSERT INTO sign_off (period, unit_code, decision, composite, note, signed_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) RETURNING " EVAL_MS("signed_at"), params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__SignOffEntry *entry = (Sifang__V1__SignOffEntry *)
        sf_call_new_message(call, &sifang__v1__sign_off_entry__descriptor);
    entry->unit_code = sf_call_strdup(call, ask->unit_code);
    entry->decision = ask->decision;
    entry->composite = composite;
    entry->note = sf_call_strdup(call, ask->note);
    entry->by = sf_call_strdup(call, sf_call_principal(call)->id);
    entry->at_unix_ms = sf_db_int(result, 0, 0);
    sf_call_emit(call, returning ? "scorecard.returned" : "scorecard.approved", ask->unit_code, &entry->base);
    Sifang__V1__SignOffReply *reply = (Sifang__V1__SignOffReply *)
        sf_call_new_message(call, &sifang__v1__sign_off_reply__descriptor);
    if ((status = history(call, ask->period, ask->unit_code, reply)) != SF_OK)
        return status;
    *reply_p = &reply->base;
    return SF_OK;
}

sf_status_t
eval_sign_off_history(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__SignOffHistoryRequest *ask = (const Sifang__V1__SignOffHistoryRequest *) request;
    eval_check_period(call, "period", ask->period, 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, NULL);
    eval_check_unit(call, "unit_code", ask->unit_code, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__SignOffReply *reply = (Sifang__V1__SignOffReply *)
        sf_call_new_message(call, &sifang__v1__sign_off_reply__descriptor);
    sf_status_t status = history(call, ask->period, ask->unit_code, reply);
    if (status != SF_OK)
        return status;
    *reply_p = &reply->base;
    return SF_OK;
}

/* --- freezing and appraisal --------------------------------------------------- */

static Sifang__V1__AppraisalReply *
appraisal_of(sf_call_t *call, const Sifang__V1__Scorecard *card)
{
    Sifang__V1__AppraisalReply *reply = (Sifang__V1__AppraisalReply *)
        sf_call_new_message(call, &sifang__v1__appraisal_reply__descriptor);
    reply->period = card->period;
    reply->entries = sf_call_new_array(call, card->n_streets + card->n_communities, sizeof *reply->entries);
    Sifang__V1__UnitScore *const *lists[2] = { card->streets, card->communities };
    size_t counts[2] = { card->n_streets, card->n_communities };
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            const Sifang__V1__UnitScore *unit = lists[l][i];
            if (unit->flag == SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_NONE)
                continue;
            Sifang__V1__AppraisalEntry *entry = (Sifang__V1__AppraisalEntry *)
                sf_call_new_message(call, &sifang__v1__appraisal_entry__descriptor);
            entry->unit_code = unit->unit_code;
            entry->unit_name = unit->unit_name;
            entry->unit_kind = unit->unit_kind;
            entry->composite = unit->composite;
            entry->rank = unit->rank;
            entry->flag = unit->flag;
            entry->n_reasons = unit->n_reasons;
            entry->reasons = unit->reasons;
            entry->n_cadres = unit->n_cadres;
            entry->cadres = unit->cadres;
            reply->entries[reply->n_entries++] = entry;
        }
    return reply;
}

sf_status_t
eval_period_freeze(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__PeriodFreezeRequest *ask = (const Sifang__V1__PeriodFreezeRequest *) request;
    if (!eval_check_period(call, "period", ask->period, 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, NULL))
        return sf_call_status(call);
    sf_params_t *params = SF_PARAMS(ask->period);
    if (!sf_call_query(call, "SELECT pg_advisory_xact_lock(hashtext('freeze:' || $1))", params))
        return sf_call_status(call);
    Sifang__V1__Scorecard *card;
    sf_status_t status = eval_scorecard_build(call, ask->period, true, &card);
    if (status != SF_OK)
        return status;
    if (card->frozen) {
        *reply_p = &card->base;   /* frozen already: the same answer again */
        return SF_OK;
    }
    size_t pending = 0, changed = 0;
    Sifang__V1__UnitScore **lists[2] = { card->streets, card->communities };
    size_t counts[2] = { card->n_streets, card->n_communities };
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            const Sifang__V1__UnitScore *unit = lists[l][i];
            if (unit->sign_off != SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_APPROVED) {
                if (pending++ < 5)
                    sf_call_violation(call, "period", "%s %s is not approved", unit->unit_code, unit->unit_name);
            } else if (unit->changed_since_approval) {
                if (changed++ < 5)
                    sf_call_violation(call, "period", "%s's figures changed since its approval: approve again",
                                      unit->unit_code);
            }
        }
    if (pending || changed)
        return sf_call_fail(call, SF_FAILED_PRECONDITION,
                            "%s cannot be frozen: %zu units not approved, %zu changed since approval", ask->period,
                            pending, changed);
    card->frozen = true;
    card->frozen_unix_ms = sf_now_ms();
    size_t size = protobuf_c_message_get_packed_size(&card->base);
    uint8_t *packed = sf_call_alloc(call, size + 1);
    protobuf_c_message_pack(&card->base, packed);
    params = SF_PARAMS(ask->period, card->scheme_version);
    sf_params_bytes(params, packed, size);
    sf_params_text(params, sf_call_principal(call)->id);
    if (!sf_call_query(call,
            "INSERT INTO period_frozen (period, scheme_version, scorecard, frozen_by) VALUES ($1, $2, $3, $4)",
            params))
        return sf_call_status(call);
    sf_call_emit(call, "period.frozen", ask->period, &appraisal_of(call, card)->base);
    *reply_p = &card->base;
    return SF_OK;
}

sf_status_t
eval_appraisal_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__AppraisalRequest *ask = (const Sifang__V1__AppraisalRequest *) request;
    if (!eval_check_period(call, "period", ask->period, 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, NULL))
        return sf_call_status(call);
    Sifang__V1__Scorecard *card;
    sf_status_t status = load_frozen(call, ask->period, &card);
    if (status != SF_OK)
        return status;
    if (!card)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "period",
                              "%s is not frozen: only signed-off, frozen figures feed appraisal", ask->period);
    *reply_p = &appraisal_of(call, card)->base;
    return SF_OK;
}
