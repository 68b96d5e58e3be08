/* The city level for 全市排名's browser test (workbench_city.h). Shibei's
 * grid and the city's evaluation run as the suite's own daemons do: each as
 * its service's role, with CURVE on the suite's keys and allowlist (on the
 * test's one machine Shibei's grid serves with grid's key, the city with
 * evaluation's), each in a database of its own on the test cluster. */
#include "workbench_city.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The database named after the suite's with a suffix ("workbench_e2e_a_d_city"). */
static void
database_of(const wb_city_t *city, const char *suffix, char *out, size_t size)
{
    snprintf(out, size, "%s_%s", city->database, suffix);
}

/* Creates (lays out) a database, leaving PGDATABASE the suite's. */
static bool
create_database(const wb_city_t *city, const char *suffix)
{
    char name[96];
    database_of(city, suffix, name, sizeof name);
    bool made = sf_test_pg_env(name) == 0;
    return SF_CHECK(sf_test_pg_env(city->database) == 0) && SF_CHECK(made);
}

static bool
endpoints(const hs_suite_t *suite, const char *name, char *endpoint, char *publish, size_t size)
{
    char socket[64];
    snprintf(socket, sizeof socket, "%s.router", name);
    char *router = sf_test_ipc_endpoint(suite->dir, socket);
    snprintf(socket, sizeof socket, "%s.pub", name);
    char *pub = sf_test_ipc_endpoint(suite->dir, socket);
    bool ok = router && pub;
    if (ok) {
        snprintf(endpoint, size, "%s", router);
        snprintf(publish, size, "%s", pub);
    }
    free(router);
    free(pub);
    return SF_CHECK(ok);
}

static sf_test_daemon_t *
start(const char *service, const char *const env[], const char *log)
{
    char path[512];
    if (!SF_CHECK(sf_test_service_path(path, sizeof path, service) == 0))
        return NULL;
    sf_test_daemon_t *daemon = sf_test_daemon_start(path, env, log);
    if (daemon && sf_test_daemon_wait_ready(daemon, 30000) != 0) {
        SF_FAIL("%s did not start (log %s)", service, log);
        sf_test_daemon_kill(&daemon);
    }
    return daemon;
}

/* Shibei's grid, then its district at the loader's smallest sensible scale
 * (one street, one community, 139 households), by the admin key. */
static bool
start_shibei(wb_city_t *city, hs_suite_t *suite)
{
    char lines[7][600];
    snprintf(lines[0], 600, "PGDATABASE=%s_shibei", city->database);
    snprintf(lines[1], 600, "SIFANG_GRID_DATABASE_URL=user=sifang_grid");
    snprintf(lines[2], 600, "SIFANG_GRID_ENDPOINT=%s", city->grid_endpoint);
    snprintf(lines[3], 600, "SIFANG_GRID_PUBLISH=%s", city->grid_publish);
    snprintf(lines[4], 600, "SIFANG_CURVE_SECRET_KEY_FILE=%s/grid.key", suite->dir);
    snprintf(lines[5], 600, "SIFANG_CURVE_ALLOWLIST=%s/allowlist", suite->dir);
    const char *env[] = { lines[0], lines[1], lines[2], lines[3], lines[4], lines[5], NULL };
    snprintf(city->grid_log, sizeof city->grid_log, "%s/shibei-grid.log", suite->dir);
    if (!(city->grid = start("grid", env, city->grid_log)))
        return false;
    const hs_key_t *admin = hs_key(suite, "admin");
    char key[512], error[256], command[2048];
    snprintf(key, sizeof key, "%s/admin.key", suite->dir);
    if (!SF_CHECK(admin && sf_keypair_save(&admin->keypair, key, true, error, sizeof error) == 0))
        return false;
    snprintf(command, sizeof command,
             "env SIFANG_GRID_ENDPOINT='%s' SIFANG_GRID_PUBLIC_KEY_FILE='%s/grid.pub' SIFANG_CURVE_CLIENT_KEY_FILE='%s'"
             " '%s/tools/sifang-demo-load' --district shibei --scale 0.001 --wait 30 >'%s/shibei-load.log' 2>&1",
             city->grid_endpoint, suite->dir, key, sf_test_binary_dir(), suite->dir);
    if (!SF_CHECK_EQ_INT(system(command), 0)) {
        printf("Shibei's demo load failed (log %s/shibei-load.log)\n", suite->dir);
        return false;
    }
    return true;
}

/* The city's evaluation: Sifang's grid and intake, Shibei's grid. */
static bool
start_evaluation(wb_city_t *city, hs_suite_t *suite)
{
    char lines[20][600];
    int n = 0;
    snprintf(lines[n++], 600, "PGDATABASE=%s_city", city->database);
    snprintf(lines[n++], 600, "SIFANG_EVALUATION_DATABASE_URL=user=sifang_evaluation");
    snprintf(lines[n++], 600, "SIFANG_INSTANCE=evaluation@city");
    snprintf(lines[n++], 600, "SIFANG_EVALUATION_LEVEL=city");
    snprintf(lines[n++], 600, "SIFANG_EVALUATION_POLL_MS=200");
    snprintf(lines[n++], 600, "SIFANG_EVALUATION_ENDPOINT=%s", city->endpoint);
    snprintf(lines[n++], 600, "SIFANG_EVALUATION_PUBLISH=%s", city->publish);
    snprintf(lines[n++], 600, "SIFANG_CURVE_SECRET_KEY_FILE=%s/evaluation.key", suite->dir);
    snprintf(lines[n++], 600, "SIFANG_CURVE_ALLOWLIST=%s/allowlist", suite->dir);
    snprintf(lines[n++], 600, "SIFANG_EVALUATION_SOURCES=sifang:grid sifang:intake shibei:grid");
    const struct {
        const char *stem, *endpoint, *publish, *key;
    } sources[3] = {
        { "SIFANG_SIFANG_GRID", suite->daemons[HS_GRID].endpoint, suite->daemons[HS_GRID].publish, "grid" },
        { "SIFANG_SIFANG_INTAKE", suite->daemons[HS_INTAKE].endpoint, suite->daemons[HS_INTAKE].publish, "intake" },
        { "SIFANG_SHIBEI_GRID", city->grid_endpoint, city->grid_publish, "grid" },
    };
    for (int s = 0; s < 3; s++) {
        snprintf(lines[n++], 600, "%s_ENDPOINT=%s", sources[s].stem, sources[s].endpoint);
        snprintf(lines[n++], 600, "%s_PUBLISH=%s", sources[s].stem, sources[s].publish);
        snprintf(lines[n++], 600, "%s_PUBLIC_KEY_FILE=%s/%s.pub", sources[s].stem, suite->dir, sources[s].key);
    }
    const char *env[21];
    for (int i = 0; i < n; i++)
        env[i] = lines[i];
    env[n] = NULL;
    snprintf(city->log, sizeof city->log, "%s/evaluation-city.log", suite->dir);
    return (city->evaluation = start("evaluation", env, city->log)) != NULL;
}

bool
wb_city_start(wb_city_t *city, hs_suite_t *suite, const char *database)
{
    memset(city, 0, sizeof *city);
    snprintf(city->database, sizeof city->database, "%s", database);
    return create_database(city, "shibei") && create_database(city, "city")
        && endpoints(suite, "shibei-grid", city->grid_endpoint, city->grid_publish, sizeof city->grid_endpoint)
        && endpoints(suite, "evaluation-city", city->endpoint, city->publish, sizeof city->endpoint)
        && start_shibei(city, suite) && start_evaluation(city, suite);
}

int
wb_city_gateway_settings(wb_city_t *city, hs_suite_t *suite, int at)
{
    snprintf(city->settings[0], sizeof city->settings[0],
             "SIFANG_GATEWAY_SERVICES=grid intake employment volunteer evaluation evaluation@city");
    snprintf(city->settings[1], sizeof city->settings[1], "SIFANG_EVALUATION_CITY_ENDPOINT=%s", city->endpoint);
    snprintf(city->settings[2], sizeof city->settings[2], "SIFANG_EVALUATION_CITY_PUBLIC_KEY_FILE=%s/evaluation.pub",
             suite->dir);
    for (int i = 0; i < 3; i++)
        suite->gateway_extra[at++] = city->settings[i];
    return at;
}

/* households, residents, households in difficulty: as grid holds them. */
static bool
figures_of(const char *database, long long out[3])
{
    const char *suite_database = getenv("PGDATABASE");
    char restore[96];
    snprintf(restore, sizeof restore, "%s", suite_database ? suite_database : "");
    setenv("PGDATABASE", database, 1);
    PGconn *conn = sf_test_pg_connect();
    setenv("PGDATABASE", restore, 1);
    if (!SF_CHECK(conn != NULL))
        return false;
    out[0] = sf_test_pg_int(conn, "SELECT count(*) FROM grid.household");
    out[1] = sf_test_pg_int(conn, "SELECT count(*) FROM grid.resident");
    out[2] = sf_test_pg_int(conn, "SELECT count(*) FROM grid.household"
                                  " WHERE EXISTS (SELECT FROM unnest(flags) AS f WHERE f <> 0)");
    PQfinish(conn);
    return SF_CHECK(out[0] > 0 && out[1] > 0 && out[2] >= 0);
}

bool
wb_city_figures(const wb_city_t *city, hs_suite_t *suite, const char *path)
{
    (void) suite;
    char shibei[96];
    database_of(city, "shibei", shibei, sizeof shibei);
    long long sifang_figures[3], shibei_figures[3];
    if (!figures_of(city->database, sifang_figures) || !figures_of(shibei, shibei_figures))
        return false;
    FILE *file = fopen(path, "w");
    if (!SF_CHECK(file != NULL))
        return false;
    const char *keys[3] = { "households", "residents", "households_in_difficulty" };
    fprintf(file, "{\"370205\": {");
    for (int i = 0; i < 3; i++)
        fprintf(file, "%s\"%s\": %lld", i ? ", " : "", keys[i], sifang_figures[i]);
    fprintf(file, "}, \"370203\": {");
    for (int i = 0; i < 3; i++)
        fprintf(file, "%s\"%s\": %lld", i ? ", " : "", keys[i], shibei_figures[i]);
    fprintf(file, "}}\n");
    return SF_CHECK(fclose(file) == 0);
}

void
wb_city_stop(wb_city_t *city)
{
    if (city->evaluation && !SF_CHECK_EQ_INT(sf_test_daemon_stop(&city->evaluation), 0))
        printf("the city's evaluation did not exit 0 on SIGTERM (log %s)\n", city->log);
    if (city->grid && !SF_CHECK_EQ_INT(sf_test_daemon_stop(&city->grid), 0))
        printf("Shibei's grid did not exit 0 on SIGTERM (log %s)\n", city->grid_log);
}
