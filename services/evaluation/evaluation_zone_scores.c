/* Zones (网格) scored like with like (issue 19): every zone of the district
 * against the period's scheme with the zone's own targets, ranked among its
 * community's zones and among all the district's. An item is scored at a
 * zone only when every fact its KPI names is counted in zones (the
 * catalogue's fact.in_zones, migration 014): the backlog, cases, pairings'
 * contacts and visits are counted where the household lives, a
 * department's visits or a community's funding only in the community, and
 * a zone's zero there would be no figure at all. */
#include "evaluation.h"
#include "sf_codes.h"
#include <stdlib.h>
#include <string.h>

/* Whether the KPI has a zone's figure: no input, every fact in zones. */
static bool
kpi_in_zones(const eval_kpi_t *kpi, const PGresult *zoned)
{
    const eval_expr_t *exprs[2] = { &kpi->numerator, &kpi->denominator };
    for (int e = 0; e < 2; e++)
        for (int t = 0; t < exprs[e]->n; t++) {
            const eval_token_t *token = &exprs[e]->tokens[t];
            if (token->kind == EVAL_TOKEN_INPUT)
                return false;
            if (token->kind != EVAL_TOKEN_FACT)
                continue;
            bool found = false;
            for (int row = 0; row < PQntuples(zoned) && !found; row++)
                found = strcmp(sf_db_text(zoned, row, 0), token->name) == 0;
            if (!found)
                return false;
        }
    return true;
}

static int
compare_in_community(const void *a, const void *b)
{
    const Sifang__V1__ZoneScore *x = *(Sifang__V1__ZoneScore *const *) a, *y = *(Sifang__V1__ZoneScore *const *) b;
    int community = strncmp(x->zone->unit_code, y->zone->unit_code, SF_CODE_COMMUNITY_LENGTH);
    if (community != 0)
        return community;
    if (x->zone->rank != y->zone->rank)
        return x->zone->rank - y->zone->rank;
    return strcmp(x->zone->unit_code, y->zone->unit_code);
}

/* Ranks the n scores among themselves into rank and ranked (ZoneScore's
 * district_rank and district_ranked when district). */
static void
rank_among(sf_call_t *call, Sifang__V1__ZoneScore **scores, size_t n, bool district)
{
    double *composites = sf_call_alloc(call, sizeof *composites * (n + 1));
    int *ranks = sf_call_alloc(call, sizeof *ranks * (n + 1));
    for (size_t i = 0; i < n; i++)
        composites[i] = scores[i]->zone->composite;
    eval_rank(composites, n, ranks);
    for (size_t i = 0; i < n; i++) {
        if (district) {
            scores[i]->district_rank = ranks[i];
            scores[i]->district_ranked = (int32_t) n;
        } else {
            scores[i]->zone->rank = ranks[i];
            scores[i]->zone->ranked = (int32_t) n;
        }
    }
}

sf_status_t
eval_zone_scorecard_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ZoneScorecardRequest *ask = (const Sifang__V1__ZoneScorecardRequest *) request;
    eval_period_t period;
    eval_check_period(call, "period", ask->period, 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, &period);
    eval_check_unit(call, "under", ask->under, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__ZoneScorecard *card = (Sifang__V1__ZoneScorecard *)
        sf_call_new_message(call, &sifang__v1__zone_scorecard__descriptor);
    card->period = sf_call_strdup(call, ask->period);
    /* The narrower of the filter and the caller's view; nothing when they
     * part. Ranks are among every zone all the same. */
    const char *under = NULL;
    if (!sf_call_scope_under(call, "under", ask->under, &under)) {
        if (sf_call_has_violations(call))
            return sf_call_status(call);
        *reply_p = &card->base;
        return SF_OK;
    }
    card->under = sf_call_strdup(call, under ? under : "");
    Sifang__V1__EvaluationScheme *scheme;
    sf_status_t status = eval_scheme_load(call, ask->period, 0, &scheme);
    if (status != SF_OK)
        return status;
    if (!scheme)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "period", "no scheme for %s (SchemeDefine)", ask->period);
    card->scheme_version = scheme->version;
    card->scheme_name = scheme->name;
    eval_kpi_t *ordered;
    if ((status = eval_scheme_kpis(call, scheme, &ordered)) != SF_OK)
        return status;
    PGresult *zoned = sf_call_query(call, "SELECT code FROM fact WHERE in_zones", NULL);
    if (!zoned)
        return sf_call_status(call);
    size_t n_items = scheme->n_items;
    bool *in_zones = sf_call_alloc(call, sizeof *in_zones * (n_items + 1));
    card->zone_kpis = sf_call_new_array(call, n_items, sizeof *card->zone_kpis);
    for (size_t i = 0; i < n_items; i++)
        if ((in_zones[i] = kpi_in_zones(&ordered[i], zoned)))
            card->zone_kpis[card->n_zone_kpis++] = ordered[i].code;
    const char *district = eval_district_code(call);
    if (!district)
        return sf_call_status(call);
    eval_unit_t *zones = NULL;
    size_t n_zones = 0;
    if (*district
        && (status = eval_units_load(call, district, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, &zones, &n_zones)) != SF_OK)
        return status;
    eval_kpi_value_t *values = NULL;
    if (n_zones && (status = eval_figures_compute(call, &period, zones, n_zones, ordered, n_items, &values)) != SF_OK)
        return status;

    /* Every zone scored and ranked district-wide, then within its
     * community (zones come sorted by code: a community's are together). */
    Sifang__V1__ZoneScore **scores = sf_call_new_array(call, n_zones, sizeof *scores);
    for (size_t u = 0; u < n_zones; u++) {
        eval_kpi_value_t *own = &values[u * n_items];
        for (size_t i = 0; i < n_items; i++)
            if (!in_zones[i])
                own[i] = (eval_kpi_value_t) { 0 };
        scores[u] = (Sifang__V1__ZoneScore *) sf_call_new_message(call, &sifang__v1__zone_score__descriptor);
        scores[u]->zone = eval_unit_score(call, scheme, ordered, own, &zones[u]);
    }
    rank_among(call, scores, n_zones, true);
    for (size_t first = 0, next; first < n_zones; first = next) {
        for (next = first + 1;
             next < n_zones && strncmp(zones[next].code, zones[first].code, SF_CODE_COMMUNITY_LENGTH) == 0; next++)
            ;
        rank_among(call, scores + first, next - first, false);
    }
    if (n_zones)
        qsort(scores, n_zones, sizeof *scores, compare_in_community);

    size_t length = strlen(card->under);
    card->zones = sf_call_new_array(call, n_zones, sizeof *card->zones);
    Sifang__V1__UnitScore **listed = sf_call_new_array(call, n_zones, sizeof *listed);
    for (size_t u = 0; u < n_zones; u++)
        if (strncmp(scores[u]->zone->unit_code, card->under, length) == 0) {
            listed[card->n_zones] = scores[u]->zone;
            card->zones[card->n_zones++] = scores[u];
        }
    if (ask->with_cadres && (status = eval_attach_cadres(call, listed, card->n_zones)) != SF_OK)
        return status;
    card->computed_unix_ms = sf_now_ms();
    card->catching_up = eval_sources_catching_up(sf_call_state(call));
    *reply_p = &card->base;
    return SF_OK;
}
