/* The sensitivity report: how the ranking of streets and of communities
 * moves when one item's weight changes by +-change, all else equal. */
#include "evaluation.h"
#include "evaluation_stats.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static Sifang__V1__SensitivityCase *
one_case(sf_call_t *call, Sifang__V1__UnitScore *const *units, size_t n, size_t item, double factor,
         Sifang__V1__UnitKind kind)
{
    Sifang__V1__SensitivityCase *result = (Sifang__V1__SensitivityCase *)
        sf_call_new_message(call, &sifang__v1__sensitivity_case__descriptor);
    result->kpi_code = units[0]->items[item]->kpi_code;
    result->weight_factor = factor;
    result->unit_kind = kind;
    size_t n_items = units[0]->n_items;
    double *weights = sf_call_alloc(call, sizeof *weights * (n_items + 1));
    for (size_t i = 0; i < n_items; i++)
        weights[i] = units[0]->items[i]->weight * (i == item ? factor : 1);
    double *composites = sf_call_alloc(call, sizeof *composites * (n + 1));
    int *before = sf_call_alloc(call, sizeof *before * (n + 1));
    int *after = sf_call_alloc(call, sizeof *after * (n + 1));
    for (size_t u = 0; u < n; u++) {
        composites[u] = eval_composite(units[u], weights);
        before[u] = units[u]->rank;
    }
    eval_rank(composites, n, after);
    result->spearman = eval_spearman(before, after, n);
    result->moves = sf_call_new_array(call, n, sizeof *result->moves);
    for (size_t u = 0; u < n; u++) {
        if (before[u] == after[u])
            continue;
        Sifang__V1__RankMove *move = (Sifang__V1__RankMove *)
            sf_call_new_message(call, &sifang__v1__rank_move__descriptor);
        move->unit_code = units[u]->unit_code;
        move->rank_before = before[u];
        move->rank_after = after[u];
        result->moves[result->n_moves++] = move;
        int distance = abs(before[u] - after[u]);
        if (distance > result->max_move)
            result->max_move = distance;
    }
    result->units_moved = (int32_t) result->n_moves;
    return result;
}

sf_status_t
eval_sensitivity(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__SensitivityRequest *ask = (const Sifang__V1__SensitivityRequest *) request;
    eval_check_period(call, "period", ask->period, 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, NULL);
    double change = ask->change == 0 ? 0.2 : ask->change;
    if (!isfinite(change) || change <= 0 || change > 0.9)
        sf_call_violation(call, "change", "must lie in (0, 0.9]; 0 means 0.2");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__Scorecard *card;
    sf_status_t status = eval_scorecard_build(call, ask->period, false, &card);
    if (status != SF_OK)
        return status;
    Sifang__V1__SensitivityReply *reply = (Sifang__V1__SensitivityReply *)
        sf_call_new_message(call, &sifang__v1__sensitivity_reply__descriptor);
    reply->period = card->period;
    reply->scheme_version = card->scheme_version;
    size_t n_items = card->n_streets ? card->streets[0]->n_items
                   : card->n_communities ? card->communities[0]->n_items : 0;
    reply->cases = sf_call_new_array(call, n_items * 4, sizeof *reply->cases);
    Sifang__V1__UnitScore *const *lists[2] = { card->streets, card->communities };
    size_t counts[2] = { card->n_streets, card->n_communities };
    Sifang__V1__UnitKind kinds[2] = { SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET,
                                      SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY };
    for (int l = 0; l < 2; l++) {
        if (counts[l] == 0)
            continue;
        for (size_t i = 0; i < n_items; i++) {
            /* An indicator (weight 0) moves no one however it is scaled. */
            if (lists[l][0]->items[i]->weight <= 0)
                continue;
            reply->cases[reply->n_cases++] = one_case(call, lists[l], counts[l], i, 1 - change, kinds[l]);
            reply->cases[reply->n_cases++] = one_case(call, lists[l], counts[l], i, 1 + change, kinds[l]);
        }
    }
    *reply_p = &reply->base;
    return SF_OK;
}
