/* Integration test of the tools against a real grid and PostgreSQL: the
 * demo loader at scale 0.02 (then again, which must write nothing twice) and
 * the sifang CLI's output and exit codes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "demo_district.h"
#include "sf_test.h"

#define SCALE "0.02"

static char tools_dir[512];
static char work_dir[256];

/* Runs a shell command line; its stdout into *out (malloc'd, may be NULL),
 * stderr into the file err_path. Returns the exit code, -1 when it did not
 * run. */
static int
run(char **out, const char *err_path, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int
run(char **out, const char *err_path, const char *format, ...)
{
    char command[2048], line[2200];
    va_list args;
    va_start(args, format);
    vsnprintf(command, sizeof command, format, args);
    va_end(args);
    snprintf(line, sizeof line, "%s 2>'%s'", command, err_path);
    FILE *pipe = popen(line, "r");
    if (!pipe)
        return -1;
    size_t size = 0;
    char *text = NULL;
    FILE *capture = open_memstream(&text, &size);
    char buffer[4096];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0)
        fwrite(buffer, 1, got, capture);
    fclose(capture);
    int status = pclose(pipe);
    if (out)
        *out = text;
    else
        free(text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *
slurp(const char *path)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return strdup("");
    char *text = calloc(1, 1 << 20);
    size_t got = text ? fread(text, 1, (1 << 20) - 1, file) : 0;
    (void) got;
    fclose(file);
    return text;
}

static cJSON *
call_json(const char *method, const char *request, int *rc_p)
{
    char err_path[512];
    snprintf(err_path, sizeof err_path, "%s/cli.err", work_dir);
    char *out = NULL;
    int rc = run(&out, err_path, "'%s/sifang' call grid %s '%s'", tools_dir, method, request);
    if (rc_p)
        *rc_p = rc;
    cJSON *json = out ? cJSON_Parse(out) : NULL;
    free(out);
    return json;
}

static long
json_int(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsNumber(item) ? (long) item->valuedouble : -1;
}

static void
check_summary(const demo_district_t *d)
{
    int rc;
    cJSON *summary = call_json("Summary", "{}", &rc);
    if (!SF_CHECK_EQ_INT(rc, 0) || !SF_CHECK(summary != NULL))
        goto cleanup;
    SF_CHECK_EQ_INT(json_int(summary, "streets"), (long) d->n_streets);
    SF_CHECK_EQ_INT(json_int(summary, "communities"), (long) d->n_communities);
    SF_CHECK_EQ_INT(json_int(summary, "zones"), (long) d->n_zones);
    SF_CHECK_EQ_INT(json_int(summary, "building_groups"), (long) d->n_building_groups);
    SF_CHECK_EQ_INT(json_int(summary, "households"), (long) d->n_households);
    SF_CHECK_EQ_INT(json_int(summary, "residents"), (long) d->n_residents);
    SF_CHECK_EQ_INT(json_int(summary, "staff"), (long) d->n_staff);
    SF_CHECK_EQ_INT(json_int(summary, "households_in_difficulty"), (long) d->n_households_in_difficulty);
    SF_CHECK_EQ_INT(json_int(summary, "zones_fully_staffed"), (long) d->n_zones);
cleanup:
    cJSON_Delete(summary);
}

static void
test_loader(const demo_district_t *d)
{
    char err_path[512];
    snprintf(err_path, sizeof err_path, "%s/load.err", work_dir);
    int rc = run(NULL, err_path, "'%s/sifang-demo-load' --scale " SCALE " --window 64", tools_dir);
    if (!SF_CHECK_EQ_INT(rc, 0)) {
        char *log = slurp(err_path);
        fprintf(stderr, "--- loader ---\n%s\n", log);
        free(log);
        return;
    }
    check_summary(d);

    /* Again: every request is answered from grid's store, nothing new. */
    snprintf(err_path, sizeof err_path, "%s/reload.err", work_dir);
    rc = run(NULL, err_path, "'%s/sifang-demo-load' --scale " SCALE, tools_dir);
    char *log = slurp(err_path);
    if (!SF_CHECK_EQ_INT(rc, 0))
        fprintf(stderr, "--- loader again ---\n%s\n", log);
    /* The summary table: the households line shows 0 created. */
    const char *table = strstr(log, "created repeated");
    const char *line = table ? strstr(table, "\nhouseholds ") : NULL;
    long total = -1, created = -1;
    if (SF_CHECK(line != NULL))
        SF_CHECK(sscanf(line, "\nhouseholds %ld %ld", &total, &created) == 2);
    SF_CHECK_EQ_INT(total, (long) d->n_households);
    SF_CHECK_EQ_INT(created, 0);
    free(log);
    check_summary(d);
}

static void
test_cli(const demo_district_t *d)
{
    char request[256], err_path[512];
    snprintf(err_path, sizeof err_path, "%s/cli.err", work_dir);
    int rc;

    /* OK: the reply on stdout. */
    snprintf(request, sizeof request, "{\"code\":\"%s\"}", d->zones[0].code);
    cJSON *view = call_json("ZoneGet", request, &rc);
    SF_CHECK_EQ_INT(rc, 0);
    const cJSON *zone = cJSON_GetObjectItemCaseSensitive(view, "zone");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(zone, "code");
    SF_CHECK(cJSON_IsString(code) && strcmp(code->valuestring, d->zones[0].code) == 0);
    cJSON_Delete(view);

    cJSON *stats = call_json("Sys.Stats", "{}", &rc);
    SF_CHECK_EQ_INT(rc, 0);
    SF_CHECK(cJSON_GetObjectItemCaseSensitive(stats, "methods") != NULL);
    cJSON_Delete(stats);

    /* An error status: exit 1, the error object on stderr. */
    cJSON *missing = call_json("ZoneGet", "{\"code\":\"37020599999999\"}", &rc);
    SF_CHECK_EQ_INT(rc, 1);
    SF_CHECK(missing == NULL);
    char *err = slurp(err_path);
    cJSON *error = cJSON_Parse(err);
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(error, "status");
    SF_CHECK(cJSON_IsString(status) && strcmp(status->valuestring, "NOT_FOUND") == 0);
    SF_CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(error, "violations")));
    cJSON_Delete(error);
    free(err);

    /* Violations name the field. */
    call_json("UnitCreate", "{\"code\":\"12\",\"kind\":\"UNIT_KIND_ZONE\",\"name\":\"x\"}", &rc);
    SF_CHECK_EQ_INT(rc, 1);
    err = slurp(err_path);
    SF_CHECK(strstr(err, "INVALID_ARGUMENT") && strstr(err, "\"field\""));
    free(err);

    /* JSON from stdin; the same request id twice writes once. */
    char *out = NULL;
    snprintf(request, sizeof request,
             "{\"code\":\"%s9\",\"kind\":\"UNIT_KIND_BUILDING_GROUP\",\"name\":\"测试楼组\","
             "\"parent_code\":\"%s\"}", d->zones[0].code, d->zones[0].code);
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = run(&out, err_path, "echo '%s' | '%s/sifang' --request-id cli-test-unit call grid UnitCreate -",
                 request, tools_dir);
        SF_CHECK_EQ_INT(rc, 0);
        SF_CHECK(out && strstr(out, "测试楼组"));
        free(out);
        out = NULL;
    }

    /* Usage errors: 2; no service: 3. */
    SF_CHECK_EQ_INT(run(NULL, err_path, "'%s/sifang' call grid NoSuchMethod '{}'", tools_dir), 2);
    SF_CHECK_EQ_INT(run(NULL, err_path, "'%s/sifang' call grid ZoneGet '{\"nope\":1}'", tools_dir), 2);
    SF_CHECK_EQ_INT(run(NULL, err_path, "'%s/sifang' call grid ZoneGet '{'", tools_dir), 2);
    SF_CHECK_EQ_INT(run(NULL, err_path, "'%s/sifang' --principal nobody call grid Sys.Ping", tools_dir), 2);
    /* A socket path in the test's directory that nothing binds: no service. */
    SF_CHECK_EQ_INT(run(NULL, err_path, "SIFANG_GRID_ENDPOINT=ipc://%s/nothing.ipc '%s/sifang' "
                                        "--timeout 200 call grid Sys.Ping '{}'", work_dir, tools_dir), 3);
    SF_CHECK_EQ_INT(run(&out, err_path, "'%s/sifang' describe grid UnitCreate", tools_dir), 0);
    SF_CHECK(out && strstr(out, "parent_code") && strstr(out, "UNIT_KIND_ZONE"));
    free(out);
    SF_CHECK_EQ_INT(run(&out, err_path, "'%s/sifang' describe grid GeoPoint", tools_dir), 0);
    SF_CHECK(out && strstr(out, "lat") && strstr(out, "double"));
    free(out);
    SF_CHECK_EQ_INT(run(&out, err_path, "'%s/sifang' methods grid", tools_dir), 0);
    SF_CHECK(out && strstr(out, "Sys.Stats") && strstr(out, "HouseholdCreate"));
    free(out);
}

int
main(void)
{
    snprintf(tools_dir, sizeof tools_dir, "%s/tools", sf_test_binary_dir());
    sf_test_daemon_t *grid = NULL;
    demo_district_t *district = demo_district_new(DEMO_SEED_DEFAULT, atof(SCALE));
    char *endpoint = NULL, *publish = NULL;
    /* A database of its own each run: the loader's second pass must find
     * only its own first pass. */
    char dbname[64];
    snprintf(dbname, sizeof dbname, "tools_demo_load_%ld", (long) getpid());
    if (!SF_CHECK(district != NULL)
        || !SF_CHECK_EQ_INT(sf_test_tmpdir(work_dir, sizeof work_dir), 0)
        || !SF_CHECK_EQ_INT(sf_test_pg_env(dbname), 0))
        goto cleanup;
    /* ipc in the test's directory: grid, the loader and the CLI find it by
     * the same SIFANG_GRID_ENDPOINT. */
    endpoint = sf_test_ipc_endpoint(work_dir, "grid.router");
    publish = sf_test_ipc_endpoint(work_dir, "grid.pub");
    if (!SF_CHECK(endpoint && publish))
        goto cleanup;
    setenv("SIFANG_GRID_ENDPOINT", endpoint, 1);
    setenv("SIFANG_GRID_PUBLISH", publish, 1);

    char path[512], log_path[512];
    snprintf(log_path, sizeof log_path, "%s/grid.log", work_dir);
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "grid"), 0))
        goto cleanup;
    grid = sf_test_daemon_start(path, NULL, log_path);
    if (!SF_CHECK(grid != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(grid, 30000), 0))
        goto cleanup;

    test_loader(district);
    test_cli(district);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&grid), 0);

cleanup:
    if (grid)
        sf_test_daemon_kill(&grid);
    if (work_dir[0] && sf_test_failures() == 0)
        sf_test_rmtree(work_dir);
    else if (work_dir[0])
        fprintf(stderr, "logs kept in %s\n", work_dir);
    free(endpoint);
    free(publish);
    demo_district_destroy(&district);
    return sf_test_done();
}
