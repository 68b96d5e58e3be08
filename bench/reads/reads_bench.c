/* reads_bench: the read path under many readers (bench/reads/README.md).
 * The whole suite (grid, intake, employment, volunteer, evaluation and the
 * gateway, CURVE on, each daemon as its own database role) on a PostgreSQL
 * cluster of its own, the demo district loaded at a scale, then:
 *   1. intake's write stream alone (CaseSubmit over ZeroMQ at R/s): its p99;
 *   2. pgbench running the SQL of the read mix (taken from the database's
 *      log while the gateway answered each read once) with N clients,
 *      beside the write stream, half before and half after 3;
 *   3. N readers through the gateway (wrk, keep-alive) asking the
 *      workbench's reads in turn, beside the write stream.
 * Prints reads/s, p50, p99 and errors, the write stream's p99 alone and
 * beside the readers, pgbench's tps, each daemon's resident memory after the
 * load and after the reads; last line reads_vs_pgbench=<ratio>. */
#include "reads_bench.h"
#include "sf_curve.h"
#include "sifang/v1/evaluation.pb-c.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: reads_bench [--readers N] [--writes R] [--seconds S] [--scale F] [--keep]\n"
    "\n"
    "  --readers N   concurrent HTTP readers through the gateway, and pgbench's\n"
    "                clients (default 50)\n"
    "  --writes R    intake cases submitted per second beside them (default 500)\n"
    "  --seconds S   the readers' run; the write stream alone and pgbench run S/2\n"
    "                each (pgbench twice: before and after the readers) (default 20)\n"
    "  --scale F     the demo district at F x Sifang's, 0 < F <= 10 (default 0.2;\n"
    "                1 and 10 for the figures in the README)\n"
    "  --keep        keep the cluster, the logs and the scripts (the path is printed)\n"
    "\n"
    "Last line: reads_vs_pgbench=<reads/s through the gateway / pgbench's tps>.";

static int readers = 50, seconds_run = 20;
static double writes_per_second = 500, scale = 0.2;
static bool keep;

static hs_suite_t suite;
static char dir[256];

/* ---- Loading the demo district ------------------------------------------- */

static char env_lines[24][600];
static const char *loader_env[25];

/* Every service's endpoints and public key, and the admin's key: the
 * loaders act as the operators' admin, as scripts/up.sh runs them. */
static bool
make_loader_env(void)
{
    const hs_key_t *admin = hs_key(&suite, "admin");
    char path[512], error[256];
    snprintf(path, sizeof path, "%s/admin.key", suite.dir);
    if (!admin || sf_keypair_save(&admin->keypair, path, true, error, sizeof error) != 0) {
        fprintf(stderr, "reads_bench: cannot save the admin's key: %s\n", error);
        return false;
    }
    int n = 0;
    for (int s = 0; s < HS_N; s++) {
        char name[32];
        snprintf(name, sizeof name, "%s", hs_services[s]);
        for (char *p = name; *p; p++)
            *p = (char) (*p - 'a' + 'A');
        snprintf(env_lines[n++], 600, "SIFANG_%s_ENDPOINT=%s", name, suite.daemons[s].endpoint);
        snprintf(env_lines[n++], 600, "SIFANG_%s_PUBLISH=%s", name, suite.daemons[s].publish);
        snprintf(env_lines[n++], 600, "SIFANG_%s_PUBLIC_KEY_FILE=%s/%s.pub", name, suite.dir, hs_services[s]);
    }
    snprintf(env_lines[n++], 600, "SIFANG_CURVE_CLIENT_KEY_FILE=%s", path);
    for (int i = 0; i < n; i++)
        loader_env[i] = env_lines[i];
    loader_env[n] = NULL;
    return true;
}

typedef struct {
    const char *name, *path;
    bool scaled, waits;
    sf_test_daemon_t *process;
    double started;
} loader_t;

static bool
start_loader(loader_t *l, const char *scale_text)
{
    char log[512];
    snprintf(log, sizeof log, "%s/demo-%s.log", dir, l->name);
    /* Following grid's district takes minutes at scale 10 (5 million
     * events): every service's loader may wait an hour for it. */
    const char *argv[] = { l->path, "--scale", scale_text, "--wait", "3600", NULL };
    if (!l->scaled)
        argv[1] = "--wait", argv[2] = "3600", argv[3] = NULL;
    else if (!l->waits)
        argv[3] = NULL;
    l->started = reads_now_ms();
    l->process = sf_test_daemon_start_argv(argv, loader_env, log);
    return l->process != NULL;
}

static bool
wait_loader(loader_t *l)
{
    while (sf_test_daemon_running(l->process))
        usleep(200 * 1000);
    int rc = sf_test_daemon_stop(&l->process);
    printf("  %-10s %s in %.0f s\n", l->name, rc == 0 ? "loaded" : "FAILED", (reads_now_ms() - l->started) / 1000);
    if (rc != 0)
        fprintf(stderr, "reads_bench: the demo loader of %s exited %d (log %s/demo-%s.log)\n", l->name, rc, dir,
                l->name);
    return rc == 0;
}

/* grid's district first, then intake's, employment's and volunteer's side
 * by side, then evaluation's, as scripts/up.sh does; then ANALYZE. */
static bool
load_demo(void)
{
    char scale_text[32], grid_path[512], paths[4][512];
    snprintf(scale_text, sizeof scale_text, "%g", scale);
    snprintf(grid_path, sizeof grid_path, "%s/tools/sifang-demo-load", sf_test_binary_dir());
    const char *names[4] = { "intake", "employment", "volunteer", "evaluation" };
    for (int i = 0; i < 4; i++)
        snprintf(paths[i], sizeof paths[i], "%s/services/%s/sifang-%s-demo-load", sf_test_binary_dir(), names[i],
                 names[i]);
    loader_t grid = { "grid", grid_path, true, false, NULL, 0 };
    loader_t services[3] = { { "intake", paths[0], true, true, NULL, 0 },
                             { "employment", paths[1], true, true, NULL, 0 },
                             { "volunteer", paths[2], true, true, NULL, 0 } };
    loader_t evaluation = { "evaluation", paths[3], false, true, NULL, 0 };
    printf("reads_bench: loading the demo district at scale %s\n", scale_text);
    fflush(stdout);
    if (!start_loader(&grid, scale_text) || !wait_loader(&grid))
        return false;
    bool ok = true;
    for (int i = 0; i < 3; i++)
        ok = start_loader(&services[i], scale_text) && ok;
    for (int i = 0; i < 3; i++)
        ok = (!services[i].process || wait_loader(&services[i])) && ok;
    if (!ok || !start_loader(&evaluation, scale_text) || !wait_loader(&evaluation))
        return false;
    return sf_test_pg_exec(suite.db, "ANALYZE") == 0;
}

/* ---- What the reads ask for ---------------------------------------------- */

typedef struct {
    char **streets, **communities, **zones, **households, **items;
    int n_streets, n_communities, n_zones, n_households, n_items;
    char district[32];
} district_t;

static district_t d;

static char **
column(const char *sql, int *n_p)
{
    PGresult *result = PQexec(suite.db, sql);
    *n_p = 0;
    if (PQresultStatus(result) != PGRES_TUPLES_OK) {
        fprintf(stderr, "reads_bench: %s: %s\n", sql, PQresultErrorMessage(result));
        PQclear(result);
        return NULL;
    }
    int n = PQntuples(result);
    char **values = calloc((size_t) n + 1, sizeof *values);
    for (int i = 0; i < n; i++)
        values[i] = strdup(PQgetvalue(result, i, 0));
    PQclear(result);
    *n_p = n;
    return values;
}

static void
free_column(char **values, int n)
{
    for (int i = 0; values && i < n; i++)
        free(values[i]);
    free(values);
}

static bool
find_district(void)
{
    int n = 0;
    char **district = column("SELECT code FROM grid.org_unit WHERE kind = 1 ORDER BY code LIMIT 1", &n);
    if (n != 1)
        return false;
    snprintf(d.district, sizeof d.district, "%s", district[0]);
    free_column(district, n);
    d.streets = column("SELECT code FROM grid.org_unit WHERE kind = 2 ORDER BY code", &d.n_streets);
    /* A community of each of four streets; a zone of each of those
     * communities with the most households. */
    d.communities = column("SELECT min(code) FROM grid.org_unit WHERE kind = 3 GROUP BY left(code, 9)"
                           " ORDER BY 1 LIMIT 4", &d.n_communities);
    d.zones = column("SELECT DISTINCT ON (left(z.code, 12)) z.code FROM grid.org_unit z"
                     " JOIN grid.household h ON h.code >= z.code AND h.code < z.code || ':'"
                     " WHERE z.kind = 4 AND left(z.code, 12) IN (SELECT min(code) FROM grid.org_unit WHERE kind = 3"
                     "   GROUP BY left(code, 9) ORDER BY 1 LIMIT 4)"
                     " GROUP BY z.code ORDER BY left(z.code, 12), count(*) DESC", &d.n_zones);
    d.households = column("SELECT code FROM grid.household ORDER BY md5(code)", &d.n_households);
    /* Residents' items routed to a department or a zone (volunteer's
     * dispatch is off in the suite). */
    /* Residents' items a case is submitted for as it is: not the
     * registrations, whose data (CaseRegistration) go to another service. */
    d.items = column("SELECT code FROM intake.service_item WHERE active AND NOT enterprise AND routing <> 3"
                     " AND registration = 0 ORDER BY code", &d.n_items);
    printf("reads_bench: district %s: %d streets, %d households; %d items for the write stream\n", d.district,
           d.n_streets, d.n_households, d.n_items);
    return d.n_streets > 0 && d.n_communities > 0 && d.n_zones > 0 && d.n_households > 0 && d.n_items > 0;
}

static reads_entry_t mix[READS_MAX_ENTRIES];
static int n_mix;

static void
add(const char *service, const char *format, const char *a, const char *b, const char *c)
{
    if (n_mix >= READS_MAX_ENTRIES)
        return;
    mix[n_mix].service = service;
    snprintf(mix[n_mix].path, sizeof mix[n_mix].path, format, a, b, c);
    n_mix++;
}

/* The half-years "YYYY-H1|H2" now and before, in the district's time
 * (UTC+8), and the days employment's figures span for each. */
static void
half_years(char current[16], char last[16], char current_from[16], char today[16], char last_from[16],
           char last_to[16])
{
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    int year = (tm.tm_year + 1900) % 10000, half = tm.tm_mon < 6 ? 1 : 2;
    snprintf(current, 16, "%04d-H%d", year, half);
    snprintf(last, 16, "%04d-H%d", half == 2 ? year : year - 1, half == 2 ? 1 : 2);
    snprintf(current_from, 16, "%04d-%s", year, half == 1 ? "01-01" : "07-01");
    snprintf(today, 16, "%04d-%02d-%02d", year, (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
    snprintf(last_from, 16, "%04d-%s", half == 2 ? year : year - 1, half == 2 ? "01-01" : "07-01");
    snprintf(last_to, 16, "%04d-%s", half == 2 ? year : year - 1, half == 2 ? "06-30" : "12-31");
}

/* The workbench's reads (workbench/src/workflows): the leaders' view of
 * the district (every service's summary of the district and of each street,
 * the backlog, the overdue cases, employment's two half-years, the two
 * scorecards), the case desk's queues of four communities, and the zone
 * page of four zones. */
static void
build_mix(void)
{
    char current[16], last[16], current_from[16], today[16], last_from[16], last_to[16];
    half_years(current, last, current_from, today, last_from, last_to);
    const char *district = d.district;
    add("grid", "/v1/grid/summary?under=%s", district, NULL, NULL);
    add("volunteer", "/v1/volunteer/summary?under=%s", district, NULL, NULL);
    for (int s = 0; s < d.n_streets; s++) {
        add("grid", "/v1/grid/summary?under=%s", d.streets[s], NULL, NULL);
        add("volunteer", "/v1/volunteer/summary?under=%s", d.streets[s], NULL, NULL);
    }
    add("intake", "/v1/intake/backlog?under=%s", district, NULL, NULL);
    add("intake", "/v1/intake/backlog?under=%s&level=UNIT_KIND_ZONE", district, NULL, NULL);
    add("intake", "/v1/intake/cases?under=%s&overdue_only=true&page_size=20", district, NULL, NULL);
    add("employment", "/v1/employment/statistics?under=%s&from=%s&to=%s&group_by=STATISTICS_GROUPING_STREET",
        district, current_from, today);
    add("employment", "/v1/employment/statistics?under=%s&from=%s&to=%s&group_by=STATISTICS_GROUPING_STREET",
        district, last_from, last_to);
    add("evaluation", "/v1/evaluation/scorecards/%s", current, NULL, NULL);
    add("evaluation", "/v1/evaluation/scorecards/%s", last, NULL, NULL);
    for (int c = 0; c < d.n_communities; c++) {
        add("intake", "/v1/intake/cases?under=%s&open_only=true&page_size=100", d.communities[c], NULL, NULL);
        add("intake", "/v1/intake/cases?under=%s&statuses=CASE_STATUS_RESOLVED&page_size=100", d.communities[c],
            NULL, NULL);
    }
    for (int z = 0; z < d.n_zones; z++) {
        add("grid", "/v1/grid/zones/%s", d.zones[z], NULL, NULL);
        add("grid", "/v1/grid/units/%s/responsible", d.zones[z], NULL, NULL);
        add("grid", "/v1/grid/households?under=%s&page_size=50", d.zones[z], NULL, NULL);
        add("grid", "/v1/grid/residents?under=%s&page_size=50", d.zones[z], NULL, NULL);
    }
}

/* evaluation's scorecard benchmark (bench/evaluation --scorecard) on the
 * district loaded: 20 ScorecardGet with cadres of each half-year, one at a
 * time, over ZeroMQ as the admin, before any reader or write. */
static void
time_scorecards(void)
{
    char periods[2][16], unused[4][16];
    half_years(periods[0], periods[1], unused[0], unused[1], unused[2], unused[3]);
    sf_client_t *client = suite.admin[HS_EVALUATION];
    sf_client_set_timeout(client, 60000);
    for (int p = 0; p < 2; p++) {
        double times[20];
        int n = 0;
        size_t streets = 0, communities = 0;
        for (int i = 0; i < 20; i++) {
            Sifang__V1__ScorecardRequest request = SIFANG__V1__SCORECARD_REQUEST__INIT;
            request.period = periods[p];
            request.with_cadres = true;
            Sifang__V1__Scorecard *card = NULL;
            sf_reply_info_t info;
            double started = reads_now_ms();
            if (sf_client_call(client, "ScorecardGet", NULL, &request.base, &sifang__v1__scorecard__descriptor,
                               (ProtobufCMessage **) &card, &info) != SF_OK) {
                printf("reads_bench: ScorecardGet %s: %s %s\n", periods[p], sf_status_name(info.status),
                       info.message);
                break;
            }
            times[n++] = reads_now_ms() - started;
            streets = card->n_streets, communities = card->n_communities;
            protobuf_c_message_free_unpacked(&card->base, NULL);
        }
        if (n)
            printf("reads_bench: scorecard %s (%zu streets, %zu communities), %d calls: p50 %.1f ms, p99 %.1f ms,"
                   " first %.1f ms (goal at scale 10: <= 500 ms)\n", periods[p], streets, communities, n,
                   sf_test_percentile(times, (size_t) n, 0.5), sf_test_percentile(times, (size_t) n, 0.99),
                   times[0]);
    }
}

/* ---- The gateway's readers (wrk) and pgbench ------------------------------ */

static bool
make_key(char *key, size_t size)
{
    char command[1024];
    snprintf(command, sizeof command,
             "SIFANG_GATEWAY_DATABASE_URL=user=sifang_gateway %s/services/gateway/sifang-gateway-keys create"
             " --principal reads-bench --role admin --rate 100000 --burst 1000000 2>>%s/keys.log"
             " | sed -n 's/.*\"key\":[[:space:]]*\"\\(sfk_[^\"]*\\)\".*/\\1/p'", sf_test_binary_dir(), dir);
    FILE *pipe = popen(command, "r");
    key[0] = 0;
    if (!pipe)
        return false;
    if (!fgets(key, (int) size, pipe))
        key[0] = 0;
    pclose(pipe);
    key[strcspn(key, "\n")] = 0;
    return key[0] != 0;
}

/* wrk's script: each connection's requests go through the mix in turn,
 * each connection from its own place in it; gzip accepted as a browser
 * does. */
static bool
write_wrk_script(const char *path, const char *key)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return false;
    fprintf(out, "local paths = {\n");
    for (int i = 0; i < n_mix; i++)
        fprintf(out, "  \"%s\",\n", mix[i].path);
    fprintf(out, "}\n"
            "wrk.headers[\"Authorization\"] = \"Bearer %s\"\n"
            "wrk.headers[\"Accept-Encoding\"] = \"gzip\"\n"
            "local threads = 0\n"
            "local n = 0\n"
            "function request()\n"
            "  n = n + 1\n"
            "  return wrk.format(\"GET\", paths[(slot * 17 + n) %% #paths + 1])\n"
            "end\n"
            "statuses = {}\n"
            "function response(status, headers, body)\n"
            "  if status ~= 200 then statuses[status] = (statuses[status] or 0) + 1 end\n"
            "end\n"
            "local all = {}\n"
            "function setup(thread) thread:set(\"slot\", threads); threads = threads + 1; table.insert(all, thread) end\n"
            "function done(summary, latency, requests)\n"
            "  local seen = {}\n"
            "  for _, thread in ipairs(all) do\n"
            "    for status, count in pairs(thread:get(\"statuses\")) do seen[status] = (seen[status] or 0) + count end\n"
            "  end\n"
            "  local text = \"\"\n"
            "  for status, count in pairs(seen) do text = text .. string.format(\" %%d:%%d\", status, count) end\n"
            "  io.write(string.format(\"wrk_summary requests=%%d errors=%%d p50_ms=%%.2f p99_ms=%%.2f max_ms=%%.2f\\n\","
            " summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read"
            " + summary.errors.write + summary.errors.timeout, latency:percentile(50) / 1000,"
            " latency:percentile(99) / 1000, latency.max / 1000))\n"
            "  io.write(string.format(\"wrk_failures timeouts=%%d connect=%%d read=%%d statuses=%%s\\n\","
            " summary.errors.timeout, summary.errors.connect, summary.errors.read, text))\n"
            "end\n", key);
    return fclose(out) == 0;
}

typedef struct {
    double rps, p50, p99, max;
    long requests, errors;
    char failures[512];         /* wrk's kinds of failure, and the statuses other than 200 */
} http_figures_t;

static bool
run_wrk(const char *script, int port, int seconds, http_figures_t *f)
{
    char command[2048], output[600];
    snprintf(output, sizeof output, "%s/wrk.txt", dir);
    snprintf(command, sizeof command,
             "wrk -t2 -c%d -d%ds --timeout 10s --latency -s '%s' http://127.0.0.1:%d/ >'%s' 2>&1", readers,
             seconds, script, port, output);
    memset(f, 0, sizeof *f);
    if (system(command) != 0) {
        fprintf(stderr, "reads_bench: wrk failed (%s)\n", output);
        return false;
    }
    FILE *in = fopen(output, "r");
    char line[512];
    while (in && fgets(line, sizeof line, in)) {
        sscanf(line, "Requests/sec: %lf", &f->rps);
        sscanf(line, "wrk_summary requests=%ld errors=%ld p50_ms=%lf p99_ms=%lf max_ms=%lf", &f->requests,
               &f->errors, &f->p50, &f->p99, &f->max);
        if (strncmp(line, "wrk_failures ", 13) == 0) {
            snprintf(f->failures, sizeof f->failures, "%s", line + 13);
            f->failures[strcspn(f->failures, "\n")] = 0;
        }
    }
    if (in)
        fclose(in);
    return f->requests > 0;
}

/* pgbench's options for the scripts: every captured read once, equally
 * weighted, as wrk goes through them. */
static char pgbench_files[READS_MAX_ENTRIES * 640];
static const char *pgbench_mode = "prepared";

static int
pgbench(const char *files, int clients, const char *run, const char *output)
{
    char command[sizeof pgbench_files + 1024];
    snprintf(command, sizeof command, "pgbench -n -U '%s' -M %s -c %d -j 2 %s %s >'%s' 2>&1",
             sf_test_pg_superuser(), pgbench_mode, clients, run, files, output);
    return system(command);
}

/* pgbench's error for a script that failed (its first ERROR line). */
static void
print_pgbench_error(int i, const char *output)
{
    FILE *in = fopen(output, "r");
    char line[1024];
    bool shown = false;
    while (in && !shown && fgets(line, sizeof line, in))
        if ((shown = strstr(line, "ERROR:") != NULL))
            printf("  read %d (GET %s): %s", i, mix[i].path, strstr(line, "ERROR:"));
    /* Else pgbench's own complaint (an unfinished transaction ...). */
    if (in && !shown) {
        rewind(in);
        while (!shown && fgets(line, sizeof line, in))
            if ((shown = strstr(line, "error:") != NULL))
                printf("  read %d (GET %s): %s", i, mix[i].path, strstr(line, "error:"));
    }
    if (in)
        fclose(in);
}

/* Runs each script once on its own, in mode; those that fail are marked in
 * failed[] (their error printed when report). The number that failed. */
static int
try_scripts(const bool scripted[], bool failed[], bool report)
{
    char output[600], files[700];
    snprintf(output, sizeof output, "%s/pgbench-check.txt", dir);
    int n_failed = 0;
    for (int i = 0; i < n_mix; i++) {
        failed[i] = false;
        if (!scripted[i])
            continue;
        snprintf(files, sizeof files, "-f '%s/read-%d.sql'", dir, i);
        if (pgbench(files, 1, "-t 1", output) != 0) {
            failed[i] = true;
            n_failed++;
            if (report)
                print_pgbench_error(i, output);
        }
    }
    return n_failed;
}

/* Each script once on its own first, so that a statement that does not run
 * outside its daemon shows now, not as an aborted run. pgbench's simple
 * protocol when the prepared one cannot take a script (a ':' in a literal
 * reads as one of pgbench's variables); a script that runs in neither is
 * left out of the mix, its error printed. The number of scripts in the
 * mix. */
static int
check_scripts(bool scripted[])
{
    static bool failed[READS_MAX_ENTRIES];
    if (try_scripts(scripted, failed, false) > 0) {
        pgbench_mode = "simple";
        if (try_scripts(scripted, failed, false) > 0) {
            /* The same in either mode: keep the prepared one. */
            pgbench_mode = "prepared";
            printf("reads_bench: pgbench cannot run the SQL of these reads (left out of its mix):\n");
            try_scripts(scripted, failed, true);
        }
    }
    size_t used = 0;
    int n = 0;
    pgbench_files[0] = 0;
    for (int i = 0; i < n_mix; i++) {
        scripted[i] = scripted[i] && !failed[i];
        if (scripted[i]) {
            used += (size_t) snprintf(pgbench_files + used, sizeof pgbench_files - used, " -f '%s/read-%d.sql@1'",
                                      dir, i);
            n++;
        }
    }
    return n;
}

typedef struct {
    double tps, latency_ms;
} pg_figures_t;

static bool
run_pgbench(int seconds, pg_figures_t *f)
{
    char output[600], run[32];
    snprintf(output, sizeof output, "%s/pgbench.txt", dir);
    snprintf(run, sizeof run, "-T %d", seconds);
    memset(f, 0, sizeof *f);
    int rc = pgbench(pgbench_files, readers, run, output);
    FILE *in = fopen(output, "r");
    char line[512];
    while (in && fgets(line, sizeof line, in)) {
        sscanf(line, "tps = %lf", &f->tps);
        sscanf(line, "latency average = %lf", &f->latency_ms);
    }
    if (in)
        fclose(in);
    if (rc != 0)
        fprintf(stderr, "reads_bench: pgbench exited %d (see %s)\n", rc, output);
    return rc == 0 && f->tps > 0;
}

/* ---- The run --------------------------------------------------------------- */

static long next_case;

static reads_writer_t *
writes_start(int seconds)
{
    reads_writer_t *w = reads_writer_start(&suite, d.households, d.n_households, d.items, d.n_items,
                                           writes_per_second, seconds, next_case);
    next_case += (long) (writes_per_second * seconds) + 16;
    return w;
}

static void
print_writes(const char *when, const reads_writes_t *w)
{
    printf("  write stream %-22s %6.0f cases/s, p50 %6.2f ms, p99 %7.2f ms, max %7.1f ms, %ld failed\n", when,
           w->rate, w->p50_ms, w->p99_ms, w->max_ms, w->failed);
}

/* The three runs, with the write stream beside each; 0 when every read and
 * write succeeded. */
/* A daemon's resident set in MB (/proc/PID/status, VmRSS), or -1. */
static double
resident_mb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen(path, "r");
    double mb = -1;
    long kb;
    while (file && fgets(line, sizeof line, file))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            mb = kb / 1024.0;
    if (file)
        fclose(file);
    return mb;
}

/* Each daemon's resident memory, once the work before has settled: the
 * daemons give back what a burst left free a few seconds after it
 * (common/sf_heap.c), so this is what they keep, not their peak. */
static void
print_resident(const char *when)
{
    sleep(7);
    printf("reads_bench: resident memory %s (MB):", when);
    for (int s = 0; s < HS_N; s++)
        if (suite.daemons[s].daemon)
            printf(" %s %.1f", hs_services[s], resident_mb(sf_test_daemon_pid(suite.daemons[s].daemon)));
    if (suite.gateway)
        printf(" gateway %.1f", resident_mb(sf_test_daemon_pid(suite.gateway)));
    printf("\n");
}

static int
measure(const char *log, int port, const char *key)
{
    int half = seconds_run / 2 > 0 ? seconds_run / 2 : 1;
    static bool scripted[READS_MAX_ENTRIES];
    printf("reads_bench: %d reads in the mix; the SQL each ran (from the database's log):\n", n_mix);
    int scripts = reads_capture(&suite, log, port, key, mix, n_mix, dir, scripted);
    if (scripts < 0)
        return 1;
    if (scripts < n_mix)
        printf("reads_bench: %d of %d reads ran no SQL (answered from the daemon's memory)\n", n_mix - scripts,
               n_mix);
    scripts = check_scripts(scripted);
    if (scripts == 0)
        return 1;
    char wrk_script[600];
    snprintf(wrk_script, sizeof wrk_script, "%s/reads.lua", dir);
    if (!write_wrk_script(wrk_script, key))
        return 1;

    reads_writes_t alone, beside_pgbench[2], beside_readers;
    printf("reads_bench: 1. the write stream alone, %.0f CaseSubmit/s for %d s\n", writes_per_second, half);
    fflush(stdout);
    reads_writer_join(writes_start(half), &alone);

    pg_figures_t pg[2];
    http_figures_t http;
    bool ok = true;
    printf("reads_bench: 2. pgbench, %d clients (-M %s), the same SQL, %d s, beside the write stream\n", readers,
           pgbench_mode, half);
    fflush(stdout);
    reads_writer_t *w = writes_start(half);
    ok = run_pgbench(half, &pg[0]) && ok;
    reads_writer_join(w, &beside_pgbench[0]);

    printf("reads_bench: 3. %d readers through the gateway (wrk, keep-alive), %d s, beside the write stream\n",
           readers, seconds_run);
    fflush(stdout);
    w = writes_start(seconds_run);
    ok = run_wrk(wrk_script, port, seconds_run, &http) && ok;
    reads_writer_join(w, &beside_readers);

    printf("reads_bench: 4. pgbench again, %d s, beside the write stream\n", half);
    fflush(stdout);
    w = writes_start(half);
    ok = run_pgbench(half, &pg[1]) && ok;
    reads_writer_join(w, &beside_pgbench[1]);

    double tps = (pg[0].tps + pg[1].tps) / 2;
    printf("\nreads through the gateway: %.0f reads/s, p50 %.2f ms, p99 %.2f ms, max %.1f ms, %ld reads,"
           " %ld errors (goal: p99 <= 250 ms, 0 errors)\n", http.rps, http.p50, http.p99, http.max, http.requests,
           http.errors);
    if (http.errors)
        printf("  the errors: %s (HTTP statuses as status:count)\n", http.failures);
    printf("pgbench, the same SQL (%d of %d reads), %d clients: %.0f tps (%.0f before, %.0f after),"
           " latency average %.2f ms\n", scripts, n_mix, readers, tps, pg[0].tps, pg[1].tps,
           (pg[0].latency_ms + pg[1].latency_ms) / 2);
    print_writes("alone:", &alone);
    print_writes("beside pgbench (1st):", &beside_pgbench[0]);
    print_writes("beside the readers:", &beside_readers);
    print_writes("beside pgbench (2nd):", &beside_pgbench[1]);
    printf("write p99 beside the readers / alone: %.2f (goal: within 20%%, <= 1.20)\n",
           alone.p99_ms > 0 ? beside_readers.p99_ms / alone.p99_ms : 0);
    print_resident("after the reads and writes");
    printf("reads_vs_pgbench=%.3f\n", tps > 0 ? http.rps / tps : 0);
    long write_failures = alone.failed + beside_pgbench[0].failed + beside_readers.failed + beside_pgbench[1].failed;
    return ok && http.errors == 0 && write_failures == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--readers") == 0 && i + 1 < argc)
            readers = atoi(argv[++i]);
        else if (strcmp(argv[i], "--writes") == 0 && i + 1 < argc)
            writes_per_second = atof(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds_run = atoi(argv[++i]);
        else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc)
            scale = atof(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else {
            puts(usage_text);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (readers < 1 || readers > 1000 || writes_per_second <= 0 || seconds_run < 2 || !(scale > 0 && scale <= 10)) {
        puts(usage_text);
        return 2;
    }
    if (system("command -v wrk >/dev/null && command -v pgbench >/dev/null") != 0) {
        fprintf(stderr, "reads_bench: wrk and pgbench are needed (apt-get install wrk postgresql-contrib)\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Progress lines show as they come when the output is a file. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    char pg_dir[300], log[400];
    if (sf_test_tmpdir(dir, sizeof dir) != 0)
        return 1;
    /* The cluster's owner (not root) reaches its directory. */
    chmod(dir, 0755);
    snprintf(pg_dir, sizeof pg_dir, "%s/pg", dir);
    snprintf(log, sizeof log, "%s/postgresql.log", pg_dir);
    printf("reads_bench: PostgreSQL cluster and logs in %s\n", dir);
    fflush(stdout);
    if (sf_test_pg_own_cluster(pg_dir) != 0)
        return 1;
    int rc = 1;
    double started = reads_now_ms();
    if (!hs_init(&suite, "bench", true, NULL) || !make_loader_env() || !hs_start_all(&suite)
        || !hs_start_gateway(&suite)) {
        fprintf(stderr, "reads_bench: the suite did not start (logs in %s)\n", suite.dir);
        goto done;
    }
    if (!load_demo() || !find_district())
        goto done;
    printf("reads_bench: the suite up and the district loaded in %.0f s\n", (reads_now_ms() - started) / 1000);
    print_resident("after the load");
    time_scorecards();
    build_mix();
    char key[160];
    if (!make_key(key, sizeof key)) {
        fprintf(stderr, "reads_bench: cannot make an API key (%s/keys.log)\n", dir);
        goto done;
    }
    rc = measure(log, atomic_load(&suite.http_port), key);
done:
    free_column(d.streets, d.n_streets);
    free_column(d.communities, d.n_communities);
    free_column(d.zones, d.n_zones);
    free_column(d.households, d.n_households);
    free_column(d.items, d.n_items);
    if (keep) {
        /* hs_finish would remove the daemons' logs. */
        if (suite.gateway)
            sf_test_daemon_stop(&suite.gateway);
        for (int s = HS_N - 1; s >= 0; s--) {
            sf_client_destroy(&suite.admin[s]);
            if (suite.daemons[s].daemon)
                sf_test_daemon_stop(&suite.daemons[s].daemon);
        }
        PQfinish(suite.db);
        sf_test_pg_run("stop");
        printf("reads_bench: kept %s and the daemons' logs in %s (the cluster stopped)\n", dir, suite.dir);
    } else {
        hs_finish(&suite);
        if (sf_test_pg_run("destroy") == 0)
            sf_test_rmtree(dir);
    }
    return rc;
}
