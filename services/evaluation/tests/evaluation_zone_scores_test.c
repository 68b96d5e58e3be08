/* Zones (网格) scored like with like (issue 19) through the real daemons:
 * grid builds the test district (12 zones, households in difficulty in
 * some), evaluation follows it, and a scheme for the year weighs two KPIs
 * with zone figures (the share of households in
 * difficulty, lower is better, with a zone's own target and threshold;
 * residents per household, with the item's) and two without (departments'
 * visits per pairing, counted in the community; cases per 10,000 yuan, an
 * input). ZoneScorecardGet answers every zone: each item's value equals
 * SQL over grid's own tables, its target and threshold are the zone's or
 * the item's, its score, the composite, the flag, the rank among the
 * community's zones and the district's are recomputed here; the items
 * without zone figures have no value. A community's and a street's zones,
 * a caller whose scope is one community, the cadres of each zone against
 * grid's responsibilities, FactList's in_zones and the refusals. */
#include "evaluation_test_district.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ZONES (TD_STREETS * TD_COMMUNITIES * TD_ZONES)

static char dir[256], year[16];
static PGconn *conn;
static td_district_t district;

typedef struct {
    const char *kpi;
    bool in_zones;
    double weight, target, threshold;
    bool zone_level;            /* the scheme gives zones their own target */
    double zone_target, zone_threshold;
    bool lower_better;
    const char *sql;            /* the zone's value from grid's tables, %1$s the zone's code */
} item_t;

static const item_t items[] = {
    { "zone_difficulty_share", true, 2, 10, 60, true, 15, 30, true,
      "SELECT 100.0 * count(*) FILTER (WHERE cardinality(flags) > 0) / nullif(count(*), 0)"
      " FROM grid.household WHERE left(code, 14) = '%1$s'" },
    { "zone_residents_per_household", true, 1, 1.5, 1, false, 0, 0, false,
      "SELECT 1.0 * (SELECT count(*) FROM grid.resident WHERE left(household_code, 14) = '%1$s')"
      " / nullif((SELECT count(*) FROM grid.household WHERE left(code, 14) = '%1$s'), 0)" },
    { "department_visits_per_pairing", false, 1, 2, 0, true, 1, 0, false, NULL },
    { "cases_per_10k_yuan", false, 1, 5, 0, false, 0, 0, false, NULL },
};
#define N_ITEMS (sizeof items / sizeof *items)

static double
sql_double(const char *format, const char *zone)
{
    char sql[1024];
    snprintf(sql, sizeof sql, format, zone);
    PGresult *result = PQexec(conn, sql);
    double value = NAN;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1 && !PQgetisnull(result, 0, 0))
        value = atof(PQgetvalue(result, 0, 0));
    else if (PQresultStatus(result) != PGRES_TUPLES_OK)
        printf("%s: %s\n", sql, PQresultErrorMessage(result));
    PQclear(result);
    return value;
}

static int
define(sf_client_t *client)
{
    int failures = 0;
    Sifang__V1__Kpi share = SIFANG__V1__KPI__INIT;
    share.code = "zone_difficulty_share";
    share.name = "困难户占比 Households in difficulty";
    share.numerator = "#{households_in_difficulty}";
    share.denominator = "#{households}";
    share.factor = 100;
    share.direction = SIFANG__V1__KPI_DIRECTION__KPI_DIRECTION_LOWER_BETTER;
    failures += td_call(client, "KpiDefine", &share.base, NULL, NULL) != SF_OK;
    Sifang__V1__Kpi residents = SIFANG__V1__KPI__INIT;
    residents.code = "zone_residents_per_household";
    residents.name = "户均人口 Residents per household";
    residents.numerator = "#{residents}";
    residents.denominator = "#{households}";
    failures += td_call(client, "KpiDefine", &residents.base, NULL, NULL) != SF_OK;

    Sifang__V1__SchemeItem scheme_items[N_ITEMS], *listed[N_ITEMS];
    Sifang__V1__SchemeLevelTarget levels[N_ITEMS], *level_of[N_ITEMS];
    for (size_t i = 0; i < N_ITEMS; i++) {
        scheme_items[i] = (Sifang__V1__SchemeItem) SIFANG__V1__SCHEME_ITEM__INIT;
        scheme_items[i].kpi_code = (char *) items[i].kpi;
        scheme_items[i].weight = items[i].weight;
        scheme_items[i].target = items[i].target;
        scheme_items[i].threshold = items[i].threshold;
        if (items[i].zone_level) {
            levels[i] = (Sifang__V1__SchemeLevelTarget) SIFANG__V1__SCHEME_LEVEL_TARGET__INIT;
            levels[i].unit_kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE;
            levels[i].target = items[i].zone_target;
            levels[i].threshold = items[i].zone_threshold;
            level_of[i] = &levels[i];
            scheme_items[i].levels = &level_of[i];
            scheme_items[i].n_levels = 1;
        }
        listed[i] = &scheme_items[i];
    }
    Sifang__V1__EvaluationScheme scheme = SIFANG__V1__EVALUATION_SCHEME__INIT;
    scheme.period = year;
    scheme.name = "网格考核";
    scheme.items = listed;
    scheme.n_items = N_ITEMS;
    scheme.commend_at = 90;
    scheme.attention_at = 50;
    failures += td_call(client, "SchemeDefine", &scheme.base, NULL, NULL) != SF_OK;
    return failures;
}

static Sifang__V1__ZoneScorecard *
zone_card(sf_client_t *client, const char *under, bool with_cadres)
{
    Sifang__V1__ZoneScorecardRequest ask = SIFANG__V1__ZONE_SCORECARD_REQUEST__INIT;
    ask.period = year;
    ask.under = (char *) under;
    ask.with_cadres = with_cadres;
    Sifang__V1__ZoneScorecard *card = NULL;
    if (td_call(client, "ZoneScorecardGet", &ask.base, &sifang__v1__zone_scorecard__descriptor,
                (ProtobufCMessage **) &card) != SF_OK)
        return NULL;
    return card;
}

/* 100 at or beyond target, 0 at or short of threshold, linear between. */
static double
expected_score(double value, double target, double threshold)
{
    double progress = (value - threshold) / (target - threshold);
    return progress <= 0 ? 0 : progress >= 1 ? 100 : 100 * progress;
}

/* Competition rank of composite among the composites (1 = best). */
static int
rank_of(double composite, const double *composites, int n)
{
    int better = 0;
    for (int i = 0; i < n; i++)
        better += composites[i] > composite + 1e-9;
    return better + 1;
}

/* The whole district's card, every zone recomputed; returns the zones
 * compared. */
static int
compare_district(sf_client_t *client)
{
    Sifang__V1__ZoneScorecard *card = zone_card(client, "", true);
    if (!SF_CHECK(card))
        return 0;
    SF_CHECK_EQ_STR(card->period, year);
    SF_CHECK_EQ_STR(card->scheme_name, "网格考核");
    SF_CHECK_EQ_STR(card->under, "");
    SF_CHECK(card->computed_unix_ms > 0 && !card->catching_up);
    SF_CHECK_EQ_INT((int) card->n_zone_kpis, 2);
    SF_CHECK(card->n_zone_kpis == 2 && strcmp(card->zone_kpis[0], items[0].kpi) == 0
             && strcmp(card->zone_kpis[1], items[1].kpi) == 0);
    if (!SF_CHECK_EQ_INT((int) card->n_zones, N_ZONES)) {
        protobuf_c_message_free_unpacked(&card->base, NULL);
        return 0;
    }
    /* The composites recomputed, to rank them. */
    double composites[N_ZONES];
    const Sifang__V1__ZoneScore *by_position[N_ZONES];
    int compared = 0, flagged = 0;
    for (int z = 0; z < N_ZONES; z++) {
        const Sifang__V1__ZoneScore *score = card->zones[z];
        const Sifang__V1__UnitScore *zone = score->zone;
        by_position[z] = score;
        double weighted = 0, weights = 0;
        bool below = false;
        SF_CHECK_EQ_INT(zone->unit_kind, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE);
        SF_CHECK(strlen(zone->unit_code) == 14 && strncmp(zone->parent_code, zone->unit_code, 12) == 0);
        SF_CHECK_EQ_INT((int) zone->n_items, (int) N_ITEMS);
        for (size_t i = 0; i < N_ITEMS && i < zone->n_items; i++) {
            const Sifang__V1__ItemScore *item = zone->items[i];
            SF_CHECK_EQ_STR(item->kpi_code, items[i].kpi);
            SF_CHECK(item->weight == items[i].weight);
            double target = items[i].zone_level ? items[i].zone_target : items[i].target;
            double threshold = items[i].zone_level ? items[i].zone_threshold : items[i].threshold;
            SF_CHECK(item->target == target && item->threshold == threshold);
            if (!items[i].in_zones) {
                /* No zone figure: no value, no score, no weight. */
                SF_CHECK(!item->has_value && item->score == 0 && !item->below_threshold);
                continue;
            }
            double value = sql_double(items[i].sql, zone->unit_code);
            if (!SF_CHECK(item->has_value && fabs(item->value - value) < 1e-9))
                printf("%s %s: evaluation %.10g, grid %.10g\n", zone->unit_code, items[i].kpi, item->value, value);
            double score = expected_score(value, target, threshold);
            bool at_threshold = items[i].lower_better ? value >= threshold : value <= threshold;
            if (!SF_CHECK(fabs(item->score - score) < 1e-6 && item->below_threshold == at_threshold))
                printf("%s %s: score %.6f, expected %.6f\n", zone->unit_code, items[i].kpi, item->score, score);
            weighted += items[i].weight * score;
            weights += items[i].weight;
            below = below || at_threshold;
        }
        double composite = weights > 0 ? weighted / weights : 0;
        composites[z] = composite;
        SF_CHECK(fabs(zone->composite - composite) < 1e-6);
        Sifang__V1__AppraisalFlag flag = composite < 50 || below ? SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_ATTENTION
                                       : composite >= 90 ? SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_COMMENDATION
                                       : SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_NONE;
        SF_CHECK_EQ_INT(zone->flag, flag);
        flagged += flag != SIFANG__V1__APPRAISAL_FLAG__APPRAISAL_FLAG_NONE;
        SF_CHECK_EQ_INT(zone->sign_off, SIFANG__V1__SIGN_OFF_STATE__SIGN_OFF_STATE_PENDING);
        /* The zone's cadres: grid's responsibilities on it or its building
         * groups. */
        char sql[300];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM grid.responsibility WHERE unit_code LIKE '%s%%'",
                 zone->unit_code);
        SF_CHECK_EQ_INT((int) zone->n_cadres, (int) sf_test_pg_int(conn, sql));
        for (size_t c = 0; c < zone->n_cadres; c++)
            SF_CHECK(strncmp(zone->cadres[c]->unit_code, zone->unit_code, 14) == 0 && *zone->cadres[c]->name);
        compared++;
    }
    /* Ranks: among all the district's zones, and among the community's;
     * listed by community, best first within each. */
    for (int z = 0; z < N_ZONES; z++) {
        const Sifang__V1__ZoneScore *score = by_position[z];
        SF_CHECK_EQ_INT(score->district_rank, rank_of(composites[z], composites, N_ZONES));
        SF_CHECK_EQ_INT(score->district_ranked, N_ZONES);
        double in_community[N_ZONES];
        int n = 0, position = -1;
        for (int o = 0; o < N_ZONES; o++)
            if (strncmp(by_position[o]->zone->unit_code, score->zone->unit_code, 12) == 0) {
                if (o == z)
                    position = n;
                in_community[n++] = composites[o];
            }
        SF_CHECK_EQ_INT(n, TD_ZONES);
        SF_CHECK_EQ_INT(score->zone->rank, rank_of(composites[z], in_community, n));
        SF_CHECK_EQ_INT(score->zone->ranked, TD_ZONES);
        /* Its place within its community's run is its rank order. */
        SF_CHECK(position >= 0 && (position == 0 || score->zone->rank >= by_position[z - 1]->zone->rank));
        if (z > 0)
            SF_CHECK(strncmp(by_position[z - 1]->zone->unit_code, score->zone->unit_code, 12) <= 0);
    }
    printf("compared %d zones, %d flagged, composites from %.2f\n", compared, flagged, composites[0]);
    /* The test district's zones differ: not all alike. */
    int distinct = 0;
    for (int z = 1; z < N_ZONES; z++)
        distinct += fabs(composites[z] - composites[0]) > 1e-6;
    SF_CHECK(distinct > 0);
    protobuf_c_message_free_unpacked(&card->base, NULL);
    return compared;
}

/* A community's or street's zones are the district card's under it, with
 * the same ranks. */
static void
compare_under(sf_client_t *client, sf_client_t *scoped, const char *community)
{
    Sifang__V1__ZoneScorecard *all = zone_card(client, "", false);
    char street[16];
    snprintf(street, sizeof street, "%.9s", community);
    const char *unders[2] = { community, street };
    int expected[2] = { TD_ZONES, TD_ZONES * TD_COMMUNITIES };
    for (int u = 0; u < 2 && all; u++) {
        Sifang__V1__ZoneScorecard *card = zone_card(client, unders[u], false);
        if (!SF_CHECK(card))
            continue;
        SF_CHECK_EQ_STR(card->under, unders[u]);
        SF_CHECK_EQ_INT((int) card->n_zones, expected[u]);
        for (size_t z = 0; z < card->n_zones; z++) {
            const Sifang__V1__ZoneScore *score = card->zones[z];
            SF_CHECK(strncmp(score->zone->unit_code, unders[u], strlen(unders[u])) == 0);
            SF_CHECK_EQ_INT((int) score->zone->n_cadres, 0);
            bool same = false;
            for (size_t a = 0; a < all->n_zones && !same; a++) {
                const Sifang__V1__ZoneScore *whole = all->zones[a];
                same = strcmp(whole->zone->unit_code, score->zone->unit_code) == 0
                    && whole->district_rank == score->district_rank && whole->zone->rank == score->zone->rank
                    && fabs(whole->zone->composite - score->zone->composite) < 1e-9;
            }
            SF_CHECK(same);
        }
        protobuf_c_message_free_unpacked(&card->base, NULL);
    }
    /* A community's key asking for the district sees its zones only,
     * ranked among the district's all the same. */
    Sifang__V1__ZoneScorecard *mine = zone_card(scoped, "", false);
    if (SF_CHECK(mine)) {
        SF_CHECK_EQ_STR(mine->under, community);
        SF_CHECK_EQ_INT((int) mine->n_zones, TD_ZONES);
        for (size_t z = 0; z < mine->n_zones; z++)
            SF_CHECK(mine->zones[z]->district_ranked == N_ZONES
                     && strncmp(mine->zones[z]->zone->unit_code, community, 12) == 0);
        protobuf_c_message_free_unpacked(&mine->base, NULL);
    }
    if (all)
        protobuf_c_message_free_unpacked(&all->base, NULL);
}

static void
facts_in_zones(sf_client_t *client)
{
    Sifang__V1__FactListRequest ask = SIFANG__V1__FACT_LIST_REQUEST__INIT;
    Sifang__V1__FactListReply *reply = NULL;
    if (!SF_CHECK(td_call(client, "FactList", &ask.base, &sifang__v1__fact_list_reply__descriptor,
                          (ProtobufCMessage **) &reply) == SF_OK))
        return;
    int zoned = 0;
    for (size_t f = 0; f < reply->n_facts; f++) {
        const Sifang__V1__Fact *fact = reply->facts[f];
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM evaluation.fact WHERE code = '%s' AND in_zones", fact->code);
        SF_CHECK_EQ_INT(fact->in_zones, (int) sf_test_pg_int(conn, sql));
        zoned += fact->in_zones;
        if (strcmp(fact->code, "cases_backlog") == 0 || strcmp(fact->code, "pairings_contacted") == 0
            || strcmp(fact->code, "cadre_visits") == 0 || strcmp(fact->code, "households") == 0)
            SF_CHECK(fact->in_zones);
        if (strcmp(fact->code, "department_visits") == 0 || strcmp(fact->code, "volunteer_hours") == 0
            || strcmp(fact->code, "answers_given") == 0)
            SF_CHECK(!fact->in_zones);
    }
    SF_CHECK(zoned >= 29);
    protobuf_c_message_free_unpacked(&reply->base, NULL);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (sf_test_pg_env("evaluation_zone_scores_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    /* The households are counted this year, the stocks at its end. */
    td_current_period(3, year);
    conn = sf_test_pg_connect();
    char *grid_endpoint = sf_test_ipc_endpoint(dir, "grid.router"), *grid_publish = sf_test_ipc_endpoint(dir, "grid.pub");
    char *eval_endpoint = sf_test_ipc_endpoint(dir, "evaluation.router");
    char *eval_publish = sf_test_ipc_endpoint(dir, "evaluation.pub");
    char grid_e[200], grid_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid_publish);
    const char *env[] = { grid_e, grid_p, "SIFANG_EVALUATION_SOURCES=grid", "SIFANG_EVALUATION_POLL_MS=100", NULL };
    sf_test_daemon_t *grid_daemon = td_start("grid", dir, grid_endpoint, grid_publish, NULL);
    sf_test_daemon_t *evaluation = td_start("evaluation", dir, eval_endpoint, eval_publish, env);
    sf_client_t *grid = sf_client_new(grid_endpoint, NULL), *client = sf_client_new(eval_endpoint, NULL);
    sf_client_t *scoped = sf_client_new(eval_endpoint, NULL);
    if (!SF_CHECK(conn && grid_daemon && evaluation && grid && client && scoped))
        goto cleanup;
    sf_client_set_timeout(grid, 20000);
    sf_client_set_timeout(client, 20000);
    SF_CHECK_EQ_INT(td_build(grid, &district), 0);
    sf_client_set_principal(scoped, "community-key", "community", district.community_codes[1]);
    if (!SF_CHECK(td_wait_caught_up(client, "grid", grid_endpoint, 30000)))
        goto cleanup;
    SF_CHECK_EQ_INT(define(client), 0);
    SF_CHECK_EQ_INT(compare_district(client), N_ZONES);
    compare_under(client, scoped, district.community_codes[1]);
    facts_in_zones(client);

    /* Refusals: a month is no scorecard's period, under must be a code. */
    Sifang__V1__ZoneScorecardRequest bad = SIFANG__V1__ZONE_SCORECARD_REQUEST__INIT;
    char month[16];
    td_current_period(1, month);
    bad.period = month;
    SF_CHECK(td_refused(client, "ZoneScorecardGet", &bad.base, SF_INVALID_ARGUMENT, "period"));
    bad.period = year;
    bad.under = "37020x";
    SF_CHECK(td_refused(client, "ZoneScorecardGet", &bad.base, SF_INVALID_ARGUMENT, "under"));
    /* A year without a scheme. */
    char last_year[16];
    snprintf(last_year, sizeof last_year, "%04d", (atoi(year) - 1) % 10000);
    bad.under = "";
    bad.period = last_year;
    SF_CHECK(td_refused(client, "ZoneScorecardGet", &bad.base, SF_FAILED_PRECONDITION, "period"));

cleanup:
    if (evaluation)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    if (grid_daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid_daemon), 0);
    sf_client_destroy(&scoped);
    sf_client_destroy(&client);
    sf_client_destroy(&grid);
    if (conn)
        PQfinish(conn);
    free(grid_endpoint);
    free(grid_publish);
    free(eval_endpoint);
    free(eval_publish);
    return sf_test_done();
}
