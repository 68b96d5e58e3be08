/* The city level through real daemons: two districts, each its own suite in
 * its own database on the test cluster (Sifang 370205 in city_a, Shinan
 * 370203 in city_b: grid and intake each), and a city evaluation in a third
 * (city_c, SIFANG_EVALUATION_LEVEL=city) following the four event logs as
 * "sifang:grid sifang:intake shinan:grid shinan:intake", a cursor each.
 *
 * Both grids number their residents from R0000001 and both intakes their
 * cases from 1: the city keeps each district's apart. CityScorecardGet
 * scores each district against the half-year's scheme and ranks them; every
 * value is compared with the same figure recomputed in SQL from the
 * districts' own databases, and the ranks with the composites. SourceList
 * shows the four cursors at their sources' heads. */
#include "evaluation_test_district.h"
#include "sf_client.h"
#include "sf_test.h"
#include "sifang/v1/intake.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *name;          /* as the city calls it */
    const char *code;          /* its district's unit code */
    const char *database;
    int households[2];         /* per street's one zone */
    int cases;
    char dir[300];
    char *grid_endpoint, *grid_publish, *intake_endpoint, *intake_publish;
    sf_test_daemon_t *grid, *intake;
    sf_client_t *grid_client, *intake_client;
} district_t;

static district_t districts[2] = {
    { .name = "sifang", .code = "370205", .database = "city_a", .households = { 5, 3 }, .cases = 3 },
    { .name = "shinan", .code = "370203", .database = "city_b", .households = { 2, 4 }, .cases = 5 },
};
static char dir[256];

static bool
start_district(district_t *d)
{
    snprintf(d->dir, sizeof d->dir, "%s/%s", dir, d->name);
    if (mkdir(d->dir, 0700) != 0)
        return false;
    d->grid_endpoint = sf_test_ipc_endpoint(d->dir, "grid.router");
    d->grid_publish = sf_test_ipc_endpoint(d->dir, "grid.pub");
    d->intake_endpoint = sf_test_ipc_endpoint(d->dir, "intake.router");
    d->intake_publish = sf_test_ipc_endpoint(d->dir, "intake.pub");
    char database[64], grid_endpoint[300], grid_publish[300];
    snprintf(database, sizeof database, "PGDATABASE=%s", d->database);
    snprintf(grid_endpoint, sizeof grid_endpoint, "SIFANG_GRID_ENDPOINT=%s", d->grid_endpoint);
    snprintf(grid_publish, sizeof grid_publish, "SIFANG_GRID_PUBLISH=%s", d->grid_publish);
    const char *grid_env[] = { database, "SIFANG_GRID_DATABASE_URL=user=sifang_grid", NULL };
    d->grid = td_start("grid", d->dir, d->grid_endpoint, d->grid_publish, grid_env);
    const char *intake_env[] = { database, grid_endpoint, grid_publish, "SIFANG_INTAKE_DATABASE_URL=user=sifang_intake",
                                 "SIFANG_INTAKE_VOLUNTEER=false", "SIFANG_INTAKE_EMPLOYMENT=false",
                                 "SIFANG_INTAKE_GRID_POLL_MS=200", NULL };
    d->intake = td_start("intake", d->dir, d->intake_endpoint, d->intake_publish, intake_env);
    d->grid_client = sf_client_new(d->grid_endpoint, NULL);
    d->intake_client = sf_client_new(d->intake_endpoint, NULL);
    sf_client_set_principal(d->grid_client, "it-admin", "admin", "");
    sf_client_set_principal(d->intake_client, "it-admin", "admin", "");
    sf_client_set_timeout(d->grid_client, 10000);
    sf_client_set_timeout(d->intake_client, 10000);
    return d->grid && d->intake && sf_test_wait_database(d->grid_client, 20000)
        && sf_test_wait_database(d->intake_client, 20000);
}

static bool
unit(district_t *d, const char *code, int kind, const char *parent)
{
    Sifang__V1__OrgUnit u = SIFANG__V1__ORG_UNIT__INIT;
    Sifang__V1__GeoPoint point = SIFANG__V1__GEO_POINT__INIT;
    char name[64];
    snprintf(name, sizeof name, "%s %s", d->name, code);
    u.code = (char *) code;
    u.kind = (Sifang__V1__UnitKind) kind;
    u.name = name;
    u.parent_code = (char *) parent;
    if (kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE) {
        point.lat = 36.1;
        point.lon = 120.4;
        u.location = &point;
    }
    return td_call(d->grid_client, "UnitCreate", &u.base, NULL, NULL) == SF_OK;
}

/* A district, two streets with a community, a zone and a building group
 * each, the households given, a resident in each. */
static bool
build(district_t *d)
{
    bool ok = unit(d, d->code, SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT, "");
    for (int s = 0; s < 2 && ok; s++) {
        /* Room for what -Wformat-truncation cannot rule out. */
        char street[48], community[64], zone[80], group[96];
        snprintf(street, sizeof street, "%.6s%03d", d->code, (s + 1) % 1000);
        snprintf(community, sizeof community, "%s001", street);
        snprintf(zone, sizeof zone, "%s01", community);
        snprintf(group, sizeof group, "%s1", zone);
        ok = unit(d, street, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, d->code)
          && unit(d, community, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, street)
          && unit(d, zone, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, community)
          && unit(d, group, SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, zone);
        for (int h = 0; h < d->households[s] && ok; h++) {
            char code[112];
            snprintf(code, sizeof code, "%s%03d", group, (h + 1) % 1000);
            Sifang__V1__Household household = SIFANG__V1__HOUSEHOLD__INIT;
            household.code = code;
            household.building_group_code = group;
            household.address = "城市测试路";
            Sifang__V1__Resident resident = SIFANG__V1__RESIDENT__INIT;
            resident.household_code = code;
            resident.name = "户主";
            resident.relation = "head";
            resident.birth_date = "1980-05-01";
            resident.gender = SIFANG__V1__GENDER__GENDER_MALE;
            ok = td_call(d->grid_client, "HouseholdCreate", &household.base, NULL, NULL) == SF_OK
              && td_call(d->grid_client, "ResidentCreate", &resident.base, NULL, NULL) == SF_OK;
        }
    }
    return ok;
}

/* A figure from a district's own database, as the superuser. */
static double
in_database(const district_t *d, const char *sql)
{
    const char *before = getenv("PGDATABASE");
    char saved[64];
    snprintf(saved, sizeof saved, "%s", before ? before : "");
    setenv("PGDATABASE", d->database, 1);
    PGconn *conn = sf_test_pg_connect();
    setenv("PGDATABASE", saved, 1);
    double value = -1;
    PGresult *result = conn ? PQexec(conn, sql) : NULL;
    if (result && PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1)
        value = atof(PQgetvalue(result, 0, 0));
    else
        printf("%s in %s: %s\n", sql, d->database, conn ? PQerrorMessage(conn) : "no connection");
    PQclear(result);
    PQfinish(conn);
    return value;
}

static bool
submit_cases(district_t *d)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.ref_household");
    int households = d->households[0] + d->households[1];
    for (int i = 0; i < 200 && in_database(d, sql) < households; i++)
        usleep(100 * 1000);
    bool ok = true;
    for (int i = 0; i < d->cases && ok; i++) {
        char household[48], description[64];
        snprintf(household, sizeof household, "%.6s001001011%03d", d->code, (i % d->households[0] + 1) % 1000);
        snprintf(description, sizeof description, "%s 的第 %d 件", d->name, i + 1);
        Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
        requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
        requester.household_code = household;
        requester.name = "户主";
        Sifang__V1__CaseSubmitRequest request = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
        request.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW;
        request.item_code = "dispute-mediation";
        request.requester = &requester;
        request.description = description;
        ok = td_call(d->intake_client, "CaseSubmit", &request.base, NULL, NULL) == SF_OK;
    }
    return ok;
}

static double
item_score(double value, double target, double threshold)
{
    double progress = (value - threshold) / (target - threshold);
    return progress >= 1 ? 100 : progress <= 0 ? 0 : 100 * progress;
}

static void
define_scheme(sf_client_t *city, const char *half)
{
    Sifang__V1__Kpi residents = SIFANG__V1__KPI__INIT;
    residents.code = "city_residents_per_household";
    residents.name = "每户居民";
    residents.numerator = "#{residents}";
    residents.denominator = "#{households}";
    Sifang__V1__Kpi cases = SIFANG__V1__KPI__INIT;
    cases.code = "city_cases_per_100";
    cases.name = "每百户受理件数";
    cases.numerator = "#{cases_received}";
    cases.denominator = "#{households}";
    cases.factor = 100;
    SF_CHECK(td_call(city, "KpiDefine", &residents.base, NULL, NULL) == SF_OK);
    SF_CHECK(td_call(city, "KpiDefine", &cases.base, NULL, NULL) == SF_OK);
    Sifang__V1__SchemeItem items[2] = { SIFANG__V1__SCHEME_ITEM__INIT, SIFANG__V1__SCHEME_ITEM__INIT };
    items[0].kpi_code = "city_residents_per_household";
    items[0].weight = 1;
    items[0].target = 1;
    items[0].threshold = 0.5;
    items[1].kpi_code = "city_cases_per_100";
    items[1].weight = 2;
    items[1].target = 100;
    items[1].threshold = 0;
    Sifang__V1__SchemeItem *list[2] = { &items[0], &items[1] };
    Sifang__V1__EvaluationScheme scheme = SIFANG__V1__EVALUATION_SCHEME__INIT;
    scheme.period = (char *) half;
    scheme.name = "市级半年考核";
    scheme.items = list;
    scheme.n_items = 2;
    scheme.commend_at = 90;
    scheme.attention_at = 60;
    SF_CHECK(td_call(city, "SchemeDefine", &scheme.base, NULL, NULL) == SF_OK);
}

/* Each district's values against SQL over its own database, its composite
 * from them, and the ranks by composite. */
static void
check_scorecard(sf_client_t *city, const char *half)
{
    Sifang__V1__CityScorecardRequest request = SIFANG__V1__CITY_SCORECARD_REQUEST__INIT;
    request.period = (char *) half;
    Sifang__V1__CityScorecard *card = NULL;
    if (!SF_CHECK(td_call(city, "CityScorecardGet", &request.base, &sifang__v1__city_scorecard__descriptor,
                          (ProtobufCMessage **) &card) == SF_OK))
        return;
    SF_CHECK_EQ_STR(card->period, half);
    SF_CHECK_EQ_STR(card->scheme_name, "市级半年考核");
    SF_CHECK(!card->catching_up);
    double composites[2] = { 0, 0 };
    if (SF_CHECK_EQ_INT(card->n_districts, 2)) {
        for (size_t u = 0; u < card->n_districts; u++) {
            const Sifang__V1__UnitScore *score = card->districts[u];
            const district_t *d = strcmp(score->unit_code, districts[0].code) == 0 ? &districts[0] : &districts[1];
            SF_CHECK_EQ_STR(score->unit_code, d->code);
            SF_CHECK_EQ_INT(score->unit_kind, SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT);
            double households = in_database(d, "SELECT count(*) FROM grid.household");
            double residents = in_database(d, "SELECT count(*) FROM grid.resident");
            double cases = in_database(d, "SELECT count(*) FROM intake.intake_case");
            SF_CHECK(households == d->households[0] + d->households[1] && cases == d->cases);
            double want[2] = { residents / households, 100 * cases / households };
            double targets[2][2] = { { 1, 0.5 }, { 100, 0 } };
            double weighted = 0;
            if (!SF_CHECK_EQ_INT(score->n_items, 2))
                continue;
            for (int i = 0; i < 2; i++) {
                const Sifang__V1__ItemScore *item = score->items[i];
                if (!SF_CHECK(item->has_value && fabs(item->value - want[i]) < 1e-9))
                    printf("%s %s: city %.10g, SQL %.10g\n", d->name, item->kpi_code, item->value, want[i]);
                double expected = item_score(want[i], targets[i][0], targets[i][1]);
                SF_CHECK(fabs(item->score - expected) < 1e-9);
                weighted += item->weight * expected;
            }
            double composite = weighted / 3;
            SF_CHECK(fabs(score->composite - composite) < 1e-9);
            composites[d == &districts[0] ? 0 : 1] = composite;
            SF_CHECK_EQ_INT(score->ranked, 2);
        }
        /* Best first, ranked like with like: district against district. */
        int better = composites[1] > composites[0] ? 1 : 0;
        SF_CHECK_EQ_STR(card->districts[0]->unit_code, districts[better].code);
        SF_CHECK_EQ_INT(card->districts[0]->rank, 1);
        SF_CHECK_EQ_INT(card->districts[1]->rank, 2);
    }
    if (SF_CHECK_EQ_INT(card->n_followed, 2)) {
        SF_CHECK_EQ_STR(card->followed[0]->name, "sifang");
        SF_CHECK_EQ_STR(card->followed[1]->name, "shinan");
        SF_CHECK(card->followed[1]->n_sources == 2 && strcmp(card->followed[1]->sources[1], "shinan:intake") == 0);
    }
    protobuf_c_message_free_unpacked(&card->base, NULL);
}

int
main(void)
{
    /* The districts' databases, then the city's (PGDATABASE stays city_c). */
    if (!SF_CHECK_EQ_INT(sf_test_pg_env("city_a"), 0) || !SF_CHECK_EQ_INT(sf_test_pg_env("city_b"), 0)
        || !SF_CHECK_EQ_INT(sf_test_pg_env("city_c"), 0) || !SF_CHECK_EQ_INT(sf_test_tmpdir(dir, sizeof dir), 0))
        return sf_test_done();
    sf_test_daemon_t *evaluation = NULL;
    sf_client_t *city = NULL;
    char *city_endpoint = sf_test_ipc_endpoint(dir, "city.router"), *city_publish = sf_test_ipc_endpoint(dir, "city.pub");
    if (SF_CHECK(start_district(&districts[0])) && SF_CHECK(start_district(&districts[1]))
        && SF_CHECK(build(&districts[0])) && SF_CHECK(build(&districts[1]))
        && SF_CHECK(submit_cases(&districts[0])) && SF_CHECK(submit_cases(&districts[1]))) {
        /* Both grids numbered their residents alike: the ids collide. */
        SF_CHECK(in_database(&districts[0], "SELECT count(*) FROM grid.resident WHERE serial = 1") == 1);
        SF_CHECK(in_database(&districts[1], "SELECT count(*) FROM grid.resident WHERE serial = 1") == 1);
        char env[8][300];
        const char *names[4] = { "SIFANG_SIFANG_GRID", "SIFANG_SIFANG_INTAKE", "SIFANG_SHINAN_GRID",
                                 "SIFANG_SHINAN_INTAKE" };
        const char *where[4][2] = { { districts[0].grid_endpoint, districts[0].grid_publish },
                                    { districts[0].intake_endpoint, districts[0].intake_publish },
                                    { districts[1].grid_endpoint, districts[1].grid_publish },
                                    { districts[1].intake_endpoint, districts[1].intake_publish } };
        const char *extra[16];
        int n = 0;
        for (int i = 0; i < 4; i++) {
            snprintf(env[2 * i], sizeof env[2 * i], "%s_ENDPOINT=%s", names[i], where[i][0]);
            snprintf(env[2 * i + 1], sizeof env[2 * i + 1], "%s_PUBLISH=%s", names[i], where[i][1]);
            extra[n++] = env[2 * i];
            extra[n++] = env[2 * i + 1];
        }
        extra[n++] = "SIFANG_EVALUATION_LEVEL=city";
        extra[n++] = "SIFANG_EVALUATION_SOURCES=sifang:grid sifang:intake shinan:grid shinan:intake";
        extra[n++] = "SIFANG_EVALUATION_DATABASE_URL=user=sifang_evaluation";
        extra[n++] = "SIFANG_EVALUATION_POLL_MS=100";
        extra[n] = NULL;
        evaluation = td_start("evaluation", dir, city_endpoint, city_publish, extra);
        city = sf_client_new(city_endpoint, NULL);
        sf_client_set_principal(city, "city-admin", "admin", "");
        sf_client_set_timeout(city, 10000);
        const char *sources[4] = { "sifang:grid", "sifang:intake", "shinan:grid", "shinan:intake" };
        for (int i = 0; i < 4; i++)
            SF_CHECK(td_wait_caught_up(city, sources[i], where[i][0], 20000));
        /* A cursor per district instance, and each one's state, under its
         * district's name for it; grid's people under their district's ids. */
        PGconn *conn = sf_test_pg_connect();
        SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.event_cursor WHERE source IN"
                                             " ('sifang:grid', 'sifang:intake', 'shinan:grid', 'shinan:intake')"), 4);
        SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.event_cursor"), 4);
        SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.intake_case WHERE source = 'sifang:intake'"),
                        districts[0].cases);
        SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.intake_case WHERE source = 'shinan:intake'"),
                        districts[1].cases);
        SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.resident WHERE id LIKE 'sifang/R%'"),
                        districts[0].households[0] + districts[0].households[1]);
        SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.resident WHERE id LIKE 'shinan/R%'"),
                        districts[1].households[0] + districts[1].households[1]);
        PQfinish(conn);
        char half[16];
        td_current_period(2, half);
        define_scheme(city, half);
        check_scorecard(city, half);
        /* The city's own scorecard of one district is not the question here. */
        Sifang__V1__CityScorecardRequest bad = SIFANG__V1__CITY_SCORECARD_REQUEST__INIT;
        bad.period = "2026-13";
        SF_CHECK(td_refused(city, "CityScorecardGet", &bad.base, SF_INVALID_ARGUMENT, "period"));
    }
    sf_client_destroy(&city);
    if (evaluation)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    for (int i = 0; i < 2; i++) {
        sf_client_destroy(&districts[i].grid_client);
        sf_client_destroy(&districts[i].intake_client);
        if (districts[i].intake)
            SF_CHECK_EQ_INT(sf_test_daemon_stop(&districts[i].intake), 0);
        if (districts[i].grid)
            SF_CHECK_EQ_INT(sf_test_daemon_stop(&districts[i].grid), 0);
        free(districts[i].grid_endpoint);
        free(districts[i].grid_publish);
        free(districts[i].intake_endpoint);
        free(districts[i].intake_publish);
    }
    free(city_endpoint);
    free(city_publish);
    return sf_test_done();
}
