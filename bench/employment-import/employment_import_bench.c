/* bench/employment-import: the JSON Lines import of the employment service
 * against PostgreSQL's COPY of the same rows, measured in one run on a
 * cluster of its own (scripts/pg.sh init in a temporary directory).
 *
 * It starts sifang-employment, writes the reference copies of grid the
 * records need (zones, households, residents) straight into employment's
 * tables, generates 200,000 records (people, vacancies, placements) as JSON
 * Lines, imports them through ImportBatch with the client of
 * sifang-employment-import (chunks, a window in flight), then copies the
 * rows the import stored into scratch tables with COPY ... FROM STDIN and
 * times that, then COPYs everything the import wrote into tables with its
 * indexes: the floor. It prints import_vs_copy=<import records/s divided by
 * COPY rows/s>, and last import_vs_floor=<import records/s divided by the
 * floor's records/s>: how close the import comes to writing what it must
 * write and nothing else. */
#include "import_client.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sf_dates.h"
#include "sf_ids.h"
#include "sf_test.h"
#include <libpq-fe.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_RECORDS 200000

static bool
exec_ok(PGconn *db, const char *sql)
{
    PGresult *result = PQexec(db, sql);
    bool ok = PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "bench: %s\n  in %.200s\n", PQerrorMessage(db), sql);
    PQclear(result);
    return ok;
}

/* --- the records ------------------------------------------------------------------- */

typedef struct {
    char *text;
    size_t length, capacity;
} buffer_t;

static void
append(buffer_t *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void
append(buffer_t *b, const char *format, ...)
{
    va_list args;
    for (;;) {
        va_start(args, format);
        int n = vsnprintf(b->text + b->length, b->capacity - b->length, format, args);
        va_end(args);
        if (n >= 0 && (size_t) n < b->capacity - b->length) {
            b->length += (size_t) n;
            return;
        }
        b->capacity = b->capacity * 2 + (size_t) (n > 0 ? n : 0) + 4096;
        b->text = realloc(b->text, b->capacity);
        if (!b->text)
            abort();
    }
}

static const char *const occupations[] = { "4-03-02-01", "4-03-02-05", "4-01-02-03", "4-07-05-01", "4-10-01-06",
                                           "4-10-01-05", "4-02-07-08", "6-31-01-03", "4-12-01-01", "6-29-01-01" };
static const char *const categories[] = { "DIFFICULTY_CATEGORY_AGED_4050", "DIFFICULTY_CATEGORY_DISABLED",
                                          "DIFFICULTY_CATEGORY_LOW_INCOME", "DIFFICULTY_CATEGORY_LONG_TERM_UNEMPLOYED" };
static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static void
credit_code(long i, char out[19])
{
    static const int weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
    snprintf(out, 19, "91370205%09ld", 200000000 + i * 7919 % 700000000);
    int sum = 0;
    for (int k = 0; k < 17; k++)
        sum += (int) (strchr(alphabet, out[k]) - alphabet) * weights[k];
    int check = 31 - sum % 31;
    out[17] = alphabet[check == 31 ? 0 : check];
    out[18] = 0;
}

/* Person i's difficulty category, as employment's rules take it
 * (employment_difficulty.c): 4050 only for a woman of 40 or a man of 50 when
 * registered (else low income), the disabled with their certificate. The
 * residents the bench writes are born 1965-01-01 + i % 9000 days, women for
 * even i (grid's gender 1), registered in 2012 by the month and day below. */
static void
append_difficulty(buffer_t *out, long i)
{
    const char *category = categories[i % 4];
    int32_t birth = sf_days_from_civil(1965, 1, 1) + (int32_t) (i % 9000);
    int32_t registered = sf_days_from_civil(2012, (int) (1 + i % 6), (int) (1 + i % 28));
    int year, month, day;
    sf_civil_from_days(birth, &year, &month, &day);
    int age = 2012 - year - (sf_days_from_civil(2012, month, day) > registered);
    if (strcmp(category, "DIFFICULTY_CATEGORY_AGED_4050") == 0 && age < (i % 2 == 0 ? 40 : 50))
        category = "DIFFICULTY_CATEGORY_LOW_INCOME";
    append(out, "\"difficulties\":[\"%s\"],", category);
    if (strcmp(category, "DIFFICULTY_CATEGORY_DISABLED") == 0) {
        char first17[32]; /* 17 digits; room for what the compiler cannot rule out */
        snprintf(first17, sizeof first17, "370205%04d%02d%02d%03ld", year, month, day, i % 1000);
        append(out, "\"disability_certificate\":\"%s%c42\",", first17, sf_id_number_check_char(first17));
    }
}

/* people : vacancies : placements = 1/2 : 1/10 : 2/5, in that order, as a
 * labour-market system would export them. */
static void
generate(long records, long *people_p, buffer_t *out)
{
    long people = records / 2, vacancies = records / 10, placements = records - people - vacancies;
    *people_p = people;
    for (long i = 1; i <= people; i++) {
        append(out, "{\"external_id\":\"P-%ld\",\"person\":{\"resident_id\":\"R%07ld\",\"status\":\"LABOR_STATUS_UNEMPLOYED\","
               "\"registered_on\":\"2012-%02ld-%02ld\",", i, i, 1 + i % 6, 1 + i % 28);
        if (i % 10 < 3)
            append_difficulty(out, i);
        append(out, "\"skills\":[{\"occupation_code\":\"%s\",\"grade\":\"SKILL_GRADE_ENTRY\",\"years\":%ld}],"
               "\"seeking_work\":true}}\n", occupations[i % 10], i % 15);
    }
    for (long v = 1; v <= vacancies; v++) {
        char code[19];
        credit_code(v % 2000, code);
        append(out, "{\"external_id\":\"V-%ld\",\"vacancy\":{\"enterprise_credit_code\":\"%s\",", v, code);
        if (v <= 2000)
            append(out, "\"enterprise_name\":\"青岛四方企业%04ld有限公司\",", v);
        append(out, "\"title\":\"岗位%ld\",\"occupation_code\":\"%s\",\"positions\":5,\"full_time\":true,"
               "\"wage_min\":2500,\"wage_max\":4000,\"work_zone_code\":\"370205%03ld%03ld01\",\"opens_on\":\"2011-12-01\"}}\n",
               v, occupations[v % 10], 1 + v % 7, 1 + v % 13);
    }
    for (long p = 1; p <= placements; p++)
        append(out, "{\"external_id\":\"PL-%ld\",\"placement\":{\"resident_id\":\"R%07ld\",\"vacancy_external_id\":\"V-%ld\","
               "\"kind\":\"PLACEMENT_KIND_ENTERPRISE\",\"source\":\"PLACEMENT_SOURCE_ONLINE\",\"start_date\":\"2012-%02ld-%02ld\"}}\n",
               p, p, 1 + (p - 1) % vacancies, 7 + p % 4, 1 + p % 28);
}

/* --- COPY of the same rows ----------------------------------------------------------- */

/* The rows the import stored, as COPY text, from COPY ... TO STDOUT. */
static bool
copy_out(PGconn *db, const char *sql, buffer_t *out, long *rows)
{
    PGresult *result = PQexec(db, sql);
    if (PQresultStatus(result) != PGRES_COPY_OUT) {
        fprintf(stderr, "bench: %s", PQerrorMessage(db));
        PQclear(result);
        return false;
    }
    PQclear(result);
    char *line = NULL;
    int length;
    while ((length = PQgetCopyData(db, &line, 0)) > 0) {
        append(out, "%.*s", length, line);
        (*rows)++;
        PQfreemem(line);
    }
    result = PQgetResult(db);
    bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    return ok;
}

static bool
copy_in(PGconn *db, const char *sql, const buffer_t *data)
{
    PGresult *result = PQexec(db, sql);
    if (PQresultStatus(result) != PGRES_COPY_IN) {
        fprintf(stderr, "bench: %s", PQerrorMessage(db));
        PQclear(result);
        return false;
    }
    PQclear(result);
    /* In pieces of about 64 KB, as psql's \copy sends a file. */
    size_t at = 0;
    while (at < data->length) {
        size_t piece = data->length - at < 65536 ? data->length - at : 65536;
        if (PQputCopyData(db, data->text + at, (int) piece) != 1)
            return false;
        at += piece;
    }
    if (PQputCopyEnd(db, NULL) != 1)
        return false;
    result = PQgetResult(db);
    bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "bench: %s", PQerrorMessage(db));
    PQclear(result);
    return ok;
}

/* CPU seconds a process has used (user + system), from /proc; -1 if unknown.
 * The machine is shared: CPU time says what the work cost when the wall
 * clock also counts the waits for a core. */
static double
process_cpu_s(long pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    size_t length = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[length] = 0;
    const char *after = strrchr(text, ')');    /* the name may hold spaces */
    unsigned long long utime = 0, stime = 0;
    if (!after || sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -1;
    return (double) (utime + stime) / (double) sysconf(_SC_CLK_TCK);
}

/* The CPU the daemon's server processes (by its role: the service loop's
 * and the import lanes', which connect at the first import) have used:
 * taken before and after, the difference is what the import cost them. */
#define BACKENDS_MAX 32
typedef struct {
    long pids[BACKENDS_MAX];
    double cpu_s[BACKENDS_MAX];
    size_t n;
} backends_t;

static void
backends_sample(PGconn *db, backends_t *backends)
{
    backends->n = 0;
    PGresult *result = PQexec(db, "SELECT pid FROM pg_stat_activity WHERE usename = 'sifang_employment'"
                                  " AND backend_type = 'client backend'");
    for (int r = 0; PQresultStatus(result) == PGRES_TUPLES_OK && r < PQntuples(result) && r < BACKENDS_MAX; r++) {
        backends->pids[backends->n] = atol(PQgetvalue(result, r, 0));
        backends->cpu_s[backends->n] = process_cpu_s(backends->pids[backends->n]);
        backends->n++;
    }
    PQclear(result);
}

static double
backends_used_s(const backends_t *before, const backends_t *after)
{
    double used = 0;
    for (size_t a = 0; a < after->n; a++) {
        double earlier = 0;
        for (size_t b = 0; b < before->n; b++)
            if (before->pids[b] == after->pids[a])
                earlier = before->cpu_s[b];
        used += after->cpu_s[a] - earlier;
    }
    return used;
}

/* The server process of a connection: ours. */
static long
backend_pid(PGconn *db, const char *sql)
{
    PGresult *result = PQexec(db, sql);
    long pid = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1 ? atol(PQgetvalue(result, 0, 0)) : 0;
    PQclear(result);
    return pid;
}

/* --statements: pg_stat_statements on the bench's own cluster, to see where
 * the import's database time goes (it costs a little: not for the figures). */
static bool
enable_statements(void)
{
    PGconn *db = sf_test_pg_connect();
    bool ok = PQstatus(db) == CONNECTION_OK
           && exec_ok(db, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements', 'auto_explain'");
    PQfinish(db);
    if (!ok || sf_test_pg_run("restart") != 0)
        return false;
    db = sf_test_pg_connect();
    ok = PQstatus(db) == CONNECTION_OK && exec_ok(db, "CREATE EXTENSION pg_stat_statements");
    /* The plans of the slow statements, with their timings, in the server's log. */
    if (ok && getenv("BENCH_EXPLAIN"))
        ok = exec_ok(db, "ALTER SYSTEM SET auto_explain.log_min_duration = '30ms'")
          && exec_ok(db, "ALTER SYSTEM SET auto_explain.log_analyze = on")
          && exec_ok(db, "ALTER SYSTEM SET auto_explain.log_buffers = on")
          && exec_ok(db, "SELECT pg_reload_conf()");
    PQfinish(db);
    return ok;
}

static void
print_statements(PGconn *db)
{
    PGresult *result = PQexec(db,
        "SELECT round(total_exec_time)::bigint, calls, rows, round(total_exec_time * 1000 / greatest(rows, 1))::bigint,"
        " left(regexp_replace(query, '\\s+', ' ', 'g'), 150)"
        " FROM pg_stat_statements WHERE query NOT LIKE 'COPY%' ORDER BY total_exec_time DESC LIMIT 25");
    if (PQresultStatus(result) == PGRES_TUPLES_OK) {
        printf("statements: total ms, calls, rows, us/row, query\n");
        for (int r = 0; r < PQntuples(result); r++)
            printf("%8s %7s %8s %6s  %s\n", PQgetvalue(result, r, 0), PQgetvalue(result, r, 1),
                   PQgetvalue(result, r, 2), PQgetvalue(result, r, 3), PQgetvalue(result, r, 4));
    }
    PQclear(result);
}

int
main(int argc, char **argv)
{
    long records = DEFAULT_RECORDS;
    /* As sifang-employment-import asks by default: only the failed lines. */
    bool keep = false, errors_only = true, statements = false, again = false;
    const char *daemon_path = EMPLOYMENT_BENCH_DAEMON;   /* another build's, to compare */
    int window = 3;
    size_t chunk_lines = 5000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
            records = atol(argv[++i]);
        else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc)
            window = atoi(argv[++i]);
        else if (strcmp(argv[i], "--chunk-lines") == 0 && i + 1 < argc)
            chunk_lines = (size_t) atol(argv[++i]);
        else if (strcmp(argv[i], "--errors-only") == 0)
            errors_only = true;
        else if (strcmp(argv[i], "--all-results") == 0)
            errors_only = false;
        else if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else if (strcmp(argv[i], "--statements") == 0)
            statements = true;
        else if (strcmp(argv[i], "--again") == 0)
            again = true;
        else if (strcmp(argv[i], "--daemon") == 0 && i + 1 < argc)
            daemon_path = argv[++i];
        else if (strcmp(argv[i], "--write") == 0 && i + 1 < argc) {
            /* Only the records, for sifang-employment-import by hand. */
            buffer_t text = { 0 };
            long people = 0;
            generate(records, &people, &text);
            FILE *file = fopen(argv[++i], "w");
            if (!file || fwrite(text.text, 1, text.length, file) != text.length)
                return 1;
            fclose(file);
            free(text.text);
            return 0;
        }
        else {
            fprintf(stderr, "usage: employment_import_bench [--records N] [--window N] [--chunk-lines N]"
                            " [--errors-only | --all-results] [--keep]\n"
                            "                               [--statements] [--again] [--daemon PATH]\n"
                            "       employment_import_bench [--records N] --write FILE\n");
            return 2;
        }
    }
    if (records < 100 || window < 1 || chunk_lines < 1 || sodium_init() < 0)
        return 2;
    char dir[512], pg_dir[600];
    if (sf_test_tmpdir(dir, sizeof dir) != 0)
        return 1;
    snprintf(pg_dir, sizeof pg_dir, "%s/pg", dir);
    printf("employment-import: cluster in %s\n", pg_dir);
    fflush(stdout);
    if (sf_test_pg_own_cluster(pg_dir) != 0 || sf_test_pg_env("bench") != 0) {
        fprintf(stderr, "bench: could not make the cluster\n");
        return 1;
    }
    if (statements && !enable_statements()) {
        fprintf(stderr, "bench: could not load pg_stat_statements\n");
        sf_test_pg_run("destroy");
        return 1;
    }
    int rc = 1;
    sf_test_daemon_t *daemon = NULL;
    sf_client_t *client = NULL;
    PGconn *db = NULL;
    buffer_t jsonl = { 0 }, rows_person = { 0 }, rows_vacancy = { 0 }, rows_placement = { 0 };
    /* TCP, as in production, on port 0: the daemon says the port it got. */
    const char *endpoint = NULL;
    char endpoint_env[128], publish_env[128], log_path[700], grid_env[700], grid_publish_env[700];
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_EMPLOYMENT_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(publish_env, sizeof publish_env, "SIFANG_EMPLOYMENT_PUBLISH=%s", SF_TEST_TCP_ANY);
    snprintf(log_path, sizeof log_path, "%s/employment.log", dir);
    /* Grid is not running: its endpoints are socket paths nothing binds, the
     * follower idles. */
    snprintf(grid_env, sizeof grid_env, "SIFANG_GRID_ENDPOINT=ipc://%s/grid.router.ipc", dir);
    snprintf(grid_publish_env, sizeof grid_publish_env, "SIFANG_GRID_PUBLISH=ipc://%s/grid.pub.ipc", dir);
    const char *daemon_env[] = { endpoint_env, publish_env, grid_env,
                                 grid_publish_env, "SIFANG_EMPLOYMENT_GRID_POLL_MS=60000",
                                 "SIFANG_EMPLOYMENT_DATABASE_URL=user=sifang_employment",
                                 "SIFANG_MAX_MESSAGE_BYTES=4194304", "SIFANG_EMPLOYMENT_IMPORT_MAX_BYTES=4000000",
                                 NULL };
    daemon = sf_test_daemon_start(daemon_path, daemon_env, log_path);
    if (!daemon || sf_test_daemon_wait_ready(daemon, 30000) != 0
        || !(endpoint = sf_test_daemon_endpoint(daemon, "endpoint")))
        goto cleanup;
    printf("employment-import: daemon pid %ld\n", (long) sf_test_daemon_pid(daemon));
    db = sf_test_pg_connect();
    if (PQstatus(db) != CONNECTION_OK) {
        fprintf(stderr, "bench: %s", PQerrorMessage(db));
        goto cleanup;
    }
    long people = 0;
    /* What grid would have told employment: 7 streets x 13 communities of
     * one zone each, a household and a resident of working age per person. */
    char sql[2048];
    snprintf(sql, sizeof sql,
        "INSERT INTO employment.ref_unit (code, kind, name, parent_code, lat, lon, version)"
        " SELECT '370205' || lpad(s::text, 3, '0') || lpad(c::text, 3, '0') || '01', 4, 'zone', NULL,"
        "  36.08 + s * 0.01, 120.35 + c * 0.005, 1 FROM generate_series(1, 7) s, generate_series(1, 13) c;"
        "INSERT INTO employment.ref_household (code, zone_code, version)"
        " SELECT '370205' || lpad((1 + i %% 7)::text, 3, '0') || lpad((1 + i %% 13)::text, 3, '0') || '011'"
        "  || lpad(i::text, 7, '0'), '370205' || lpad((1 + i %% 7)::text, 3, '0') || lpad((1 + i %% 13)::text, 3, '0') || '01', 1"
        " FROM generate_series(1, %ld) i;"
        "INSERT INTO employment.ref_resident (id, household_code, name, gender, birth_date, version)"
        " SELECT 'R' || lpad(i::text, 7, '0'), '370205' || lpad((1 + i %% 7)::text, 3, '0') || lpad((1 + i %% 13)::text, 3, '0')"
        "  || '011' || lpad(i::text, 7, '0'), '居民', 1 + i %% 2, DATE '1965-01-01' + (i %% 9000), 1"
        " FROM generate_series(1, %ld) i; ANALYZE",
        records / 2, records / 2);
    if (!exec_ok(db, sql))
        goto cleanup;

    generate(records, &people, &jsonl);
    printf("employment-import: %ld records, %.1f MB of JSON Lines\n", records, (double) jsonl.length / 1e6);
    client = sf_client_new(endpoint, NULL);
    sf_client_set_principal(client, "qd-labour", "service", "");
    emp_import_options_t options;
    emp_import_options_default(&options);
    options.system = "qd-labour";
    options.window = window;
    options.chunk_lines = (int) chunk_lines;
    options.chunk_bytes = 3900000;
    options.errors_only = errors_only;
    options.results = stderr;      /* failures, if any, are shown */
    emp_import_totals_t totals;
    long daemon_pid = (long) sf_test_daemon_pid(daemon);
    backends_t backends_before, backends_after;
    backends_sample(db, &backends_before);
    double daemon_cpu = process_cpu_s(daemon_pid);
    int64_t started = sf_clock_ms();
    int import_rc = emp_import_text(client, jsonl.text, jsonl.length, &options, &totals);
    double import_s = (double) (sf_clock_ms() - started) / 1000.0;
    if (import_rc != 0 || totals.created != records) {
        fprintf(stderr, "bench: import: %s (%ld created, %ld failed of %ld)\n", totals.message, totals.created,
                totals.failed, records);
        goto cleanup;
    }
    daemon_cpu = process_cpu_s(daemon_pid) - daemon_cpu;
    backends_sample(db, &backends_after);
    double database_cpu = backends_used_s(&backends_before, &backends_after);
    double import_rate = (double) records / import_s;
    if (statements)
        print_statements(db);
    printf("import: %ld records in %.2f s = %.0f records/s (%ld requests of up to %zu lines, window %d%s)\n", records,
           import_s, import_rate, totals.chunks, chunk_lines, window, errors_only ? ", failures only in the replies" : ", every line's result in the replies");

    if (again) {
        /* The same records once more, cut into chunks a line shorter (other
         * request ids: not a replay of the stored replies): every one
         * unchanged, no write, no event. */
        long long head = sf_test_pg_int(db, "SELECT seq FROM employment.event_head");
        if (options.chunk_lines > 1)
            options.chunk_lines--;
        else
            options.errors_only = !options.errors_only;
        emp_import_totals_t repeat;
        started = sf_clock_ms();
        int again_rc = emp_import_text(client, jsonl.text, jsonl.length, &options, &repeat);
        double again_s = (double) (sf_clock_ms() - started) / 1000.0;
        if (again_rc != 0 || repeat.unchanged != records
            || sf_test_pg_int(db, "SELECT seq FROM employment.event_head") != head) {
            fprintf(stderr, "bench: again: %s (%ld unchanged, %ld failed of %ld)\n", repeat.message, repeat.unchanged,
                    repeat.failed, records);
            goto cleanup;
        }
        printf("again:  %ld records in %.2f s = %.0f records/s, every one unchanged and no event (idempotent)\n",
               records, again_s, (double) records / again_s);
    }

    /* The same rows, by COPY into scratch tables of the same columns. */
    long rows = 0;
    if (!copy_out(db, "COPY employment.person TO STDOUT", &rows_person, &rows)
        || !copy_out(db, "COPY employment.vacancy TO STDOUT", &rows_vacancy, &rows)
        || !copy_out(db, "COPY employment.placement TO STDOUT", &rows_placement, &rows))
        goto cleanup;
    if (!exec_ok(db, "CREATE SCHEMA scratch;"
                     " CREATE TABLE scratch.person (LIKE employment.person);"
                     " CREATE TABLE scratch.vacancy (LIKE employment.vacancy);"
                     " CREATE TABLE scratch.placement (LIKE employment.placement);"
                     " CHECKPOINT"))
        goto cleanup;
    long copy_backend = backend_pid(db, "SELECT pg_backend_pid()");
    double copy_cpu = process_cpu_s(copy_backend);
    started = sf_clock_ms();
    if (!copy_in(db, "COPY scratch.person FROM STDIN", &rows_person)
        || !copy_in(db, "COPY scratch.vacancy FROM STDIN", &rows_vacancy)
        || !copy_in(db, "COPY scratch.placement FROM STDIN", &rows_placement))
        goto cleanup;
    double copy_s = (double) (sf_clock_ms() - started) / 1000.0;
    copy_cpu = process_cpu_s(copy_backend) - copy_cpu;
    double copy_rate = (double) rows / copy_s;
    printf("copy:   %ld rows in %.2f s = %.0f rows/s (COPY text into unindexed scratch tables)\n", rows, copy_s,
           copy_rate);

    /* Not a baseline but a floor: everything the import wrote (its rows,
     * the status history and the events) by COPY into tables with the
     * import's indexes and checks, with nothing looked up or decided. No way
     * of importing that writes the same can take less. */
    static const char *const written[] = { "person", "vacancy", "placement", "enterprise", "status_period",
                                           "event_log" };
    enum { N_WRITTEN = sizeof written / sizeof written[0] };
    buffer_t floor_rows[N_WRITTEN];
    memset(floor_rows, 0, sizeof floor_rows);
    long n_floor = 0;
    bool floor_ok = exec_ok(db, "CREATE SCHEMA floor");
    for (int t = 0; t < N_WRITTEN && floor_ok; t++) {
        char sql[256];
        snprintf(sql, sizeof sql, "COPY employment.%s TO STDOUT", written[t]);
        floor_ok = copy_out(db, sql, &floor_rows[t], &n_floor);
        snprintf(sql, sizeof sql, "CREATE TABLE floor.%s (LIKE employment.%s INCLUDING ALL)", written[t], written[t]);
        floor_ok = floor_ok && exec_ok(db, sql);
    }
    floor_ok = floor_ok && exec_ok(db, "CHECKPOINT");
    started = sf_clock_ms();
    char floor_tables[512] = "";   /* "person 0.41 s, ..." */
    for (int t = 0; t < N_WRITTEN && floor_ok; t++) {
        char sql[256];
        snprintf(sql, sizeof sql, "COPY floor.%s FROM STDIN", written[t]);
        int64_t table_started = sf_clock_ms();
        floor_ok = copy_in(db, sql, &floor_rows[t]);
        size_t used = strlen(floor_tables);
        snprintf(floor_tables + used, sizeof floor_tables - used, "%s%s %.2f s", t ? ", " : "", written[t],
                 (double) (sf_clock_ms() - table_started) / 1000.0);
    }
    double floor_s = (double) (sf_clock_ms() - started) / 1000.0;
    for (int t = 0; t < N_WRITTEN; t++)
        free(floor_rows[t].text);
    if (!floor_ok)
        goto cleanup;
    printf("floor:  %ld rows in %.2f s: all the import writes (rows, status history, events) by COPY into"
           " tables with its indexes; %.0f records/s = %.3f of COPY\n", n_floor, floor_s,
           (double) records / floor_s, (double) records / floor_s / copy_rate);
    printf("floor:  %s\n", floor_tables);
    double load[3] = { 0, 0, 0 };
    if (getloadavg(load, 3) < 0)
        load[0] = -1;
    printf("cpu:    import %.2f s in the database + %.2f s in the daemon; COPY %.2f s in the database"
           " (load average %.2f)\n", database_cpu, daemon_cpu, copy_cpu, load[0]);
    printf("import_vs_copy=%.3f\n", import_rate / copy_rate);
    printf("import_vs_floor=%.3f\n", import_rate / ((double) records / floor_s));
    rc = 0;
cleanup:
    if (rc != 0)
        fprintf(stderr, "bench: failed; the daemon's log is %s\n", log_path);
    sf_client_destroy(&client);
    if (db)
        PQfinish(db);
    if (daemon)
        sf_test_daemon_stop(&daemon);
    if (!keep) {
        sf_test_pg_run("destroy");
        if (rc == 0)
            sf_test_rmtree(dir);
    }
    free(jsonl.text);
    free(rows_person.text);
    free(rows_vacancy.text);
    free(rows_placement.text);
    return rc;
}
