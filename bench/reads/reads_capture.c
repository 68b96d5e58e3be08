/* The SQL each read of the mix runs, taken from the database's own log
 * (log_statement = all for the moment of the capture) rather than copied
 * from the handlers: the baseline stays the daemons' SQL when a handler
 * changes. Each read is asked between two marker statements of the
 * bench's own connection; the statements its service's role logged in
 * between, with the parameters of their DETAIL line written in place,
 * become a pgbench script. */
#include "reads_bench.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARK "reads_bench capture "
#define MAX_PARAMS 64
#define MAX_STATEMENTS 256

int
reads_get(int port, const char *key, const char *path)
{
    char headers[512];
    snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\n", key);
    http_reply_t reply;
    int status = http_request(port, "GET", path, headers, NULL, 0, &reply);
    http_reply_release(&reply);
    return status;
}

/* A log entry: its first line's prefix ('%m [%p] %q%u@%d ') taken apart,
 * and the message with its continuation lines. */
typedef struct {
    char user[64];
    long pid;
    char *message;          /* after "LOG:  " or "DETAIL:  " */
    bool detail;
} entry_t;

/* Whether line starts an entry: "2026-12-07 15:00:00.123 UTC [123] ". */
static bool
parse_prefix(const char *line, entry_t *e)
{
    if (!(isdigit((unsigned char) line[0]) && isdigit((unsigned char) line[3]) && line[4] == '-'))
        return false;
    const char *open = strstr(line, " [");
    if (!open)
        return false;
    char *end;
    e->pid = strtol(open + 2, &end, 10);
    if (*end != ']' || end[1] != ' ')
        return false;
    const char *rest = end + 2;
    const char *at = strchr(rest, '@'), *space = strchr(rest, ' ');
    e->user[0] = 0;
    if (at && space && at < space)
        snprintf(e->user, sizeof e->user, "%.*s", (int) (at - rest), rest);
    const char *message;
    if ((message = strstr(rest, "LOG:  ")) != NULL)
        e->detail = false, message += 6;
    else if ((message = strstr(rest, "DETAIL:  ")) != NULL)
        e->detail = true, message += 9;
    else
        message = rest + strlen(rest);
    e->message = strdup(message);
    return true;
}

/* The statement of a "statement: ..." or "execute <name>: ..." message. */
static const char *
statement_of(const char *message)
{
    if (strncmp(message, "statement: ", 11) == 0)
        return message + 11;
    if (strncmp(message, "execute ", 8) == 0) {
        const char *colon = strstr(message, ": ");
        return colon ? colon + 2 : NULL;
    }
    return NULL;
}

/* "parameters: $1 = '370205', $2 = NULL" into values (each a SQL literal,
 * quoted as the log quotes it, or NULL); the number of the highest. */
static int
parse_parameters(const char *detail, char *values[MAX_PARAMS + 1])
{
    if (strncmp(detail, "parameters: ", 12) != 0)
        return 0;
    const char *p = detail + 12;
    int highest = 0;
    while (*p == '$') {
        char *end;
        long k = strtol(p + 1, &end, 10);
        if (strncmp(end, " = ", 3) != 0 || k < 1 || k > MAX_PARAMS)
            return -1;
        p = end + 3;
        const char *start = p;
        if (strncmp(p, "NULL", 4) == 0)
            p += 4;
        else if (*p == '\'') {
            for (p++; *p; p++)
                if (*p == '\'') {
                    if (p[1] != '\'')
                        break;
                    p++;
                }
            if (*p != '\'')
                return -1;
            p++;
        } else
            return -1;
        free(values[k]);
        values[k] = strndup(start, (size_t) (p - start));
        if (k > highest)
            highest = (int) k;
        if (strncmp(p, ", ", 2) == 0)
            p += 2;
    }
    return highest;
}

/* The types PostgreSQL infers for the statement's parameters (as the
 * daemon's own PREPARE did), each "::type" into casts[k]; a parameter whose
 * type cannot be told stays a literal of unknown type. */
static void
parameter_types(PGconn *db, const char *schema, const char *sql, int highest, char casts[][80])
{
    for (int k = 1; k <= highest; k++)
        casts[k][0] = 0;
    char set[128];
    snprintf(set, sizeof set, "SET search_path = %s", schema);
    PQclear(PQexec(db, set));
    PGresult *prepared = PQprepare(db, "reads_bench_probe", sql, 0, NULL);
    bool ok = PQresultStatus(prepared) == PGRES_COMMAND_OK;
    PQclear(prepared);
    if (ok) {
        PGresult *described = PQdescribePrepared(db, "reads_bench_probe");
        for (int k = 1; k <= highest && k <= PQnparams(described); k++) {
            char query[96];
            snprintf(query, sizeof query, "SELECT format_type(%u, NULL)", PQparamtype(described, k - 1));
            PGresult *type = PQexec(db, query);
            if (PQresultStatus(type) == PGRES_TUPLES_OK && PQntuples(type) == 1)
                snprintf(casts[k], 80, "::%s", PQgetvalue(type, 0, 0));
            PQclear(type);
        }
        PQclear(described);
        PQclear(PQexec(db, "DEALLOCATE reads_bench_probe"));
    }
    PQclear(PQexec(db, "RESET search_path"));
}

/* The statement with $n replaced by its value, cast to its type (outside
 * quoted text). */
static char *
bind_parameters(const char *sql, char *const values[MAX_PARAMS + 1], char casts[][80], int highest)
{
    size_t size = strlen(sql) + 1;
    for (int k = 1; k <= highest; k++)
        size += (values[k] ? strlen(values[k]) : 4) + strlen(casts[k]) + 2;
    size *= 2;
    char *out = malloc(size), *o = out;
    bool quoted = false;
    for (const char *p = sql; *p;) {
        if (*p == '\'')
            quoted = !quoted;
        if (!quoted && *p == '$' && isdigit((unsigned char) p[1])) {
            char *end;
            long k = strtol(p + 1, &end, 10);
            if (k >= 1 && k <= highest) {
                const char *value = values[k] ? values[k] : "NULL";
                size_t n = strlen(value) + strlen(casts[k]) + 2;
                if ((size_t) (o - out) + n + 1 >= size)
                    break;
                o += snprintf(o, n + 1, "(%s%s)", value, casts[k]);
                p = end;
                continue;
            }
        }
        if ((size_t) (o - out) + 2 >= size)
            break;
        *o++ = *p++;
    }
    *o = 0;
    return out;
}

static bool
run_sql(PGconn *db, const char *sql)
{
    return sf_test_pg_exec(db, sql) == 0;
}

static long
file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long) st.st_size : -1;
}

/* The statements logged from offset on, as entries (continuation lines
 * joined to their entry). */
static entry_t *
read_log(const char *path, long offset, int *n_p)
{
    FILE *file = fopen(path, "r");
    if (!file || fseek(file, offset, SEEK_SET) != 0) {
        if (file)
            fclose(file);
        return NULL;
    }
    size_t capacity = 1024;
    int n = 0;
    entry_t *entries = calloc(capacity, sizeof *entries);
    char *line = NULL;
    size_t line_size = 0;
    ssize_t got;
    while ((got = getline(&line, &line_size, file)) > 0) {
        entry_t e;
        if (parse_prefix(line, &e)) {
            if ((size_t) n == capacity)
                entries = realloc(entries, (capacity *= 2) * sizeof *entries);
            e.message[strcspn(e.message, "\n")] = 0;
            entries[n++] = e;
        } else if (n > 0) {
            /* A statement's next line. */
            entry_t *last = &entries[n - 1];
            size_t have = strlen(last->message), more = strlen(line);
            last->message = realloc(last->message, have + more + 2);
            last->message[have] = '\n';
            memcpy(last->message + have + 1, line, more + 1);
            last->message[strcspn(last->message + have + 1, "\n") + have + 1] = 0;
        }
    }
    free(line);
    fclose(file);
    *n_p = n;
    return entries;
}

/* The index of the entry whose message is the marker statement, from
 * index from on; n when none. */
static int
find_marker(const entry_t *entries, int n, int from, const char *marker)
{
    for (int i = from; i < n; i++) {
        const char *sql = entries[i].detail ? NULL : statement_of(entries[i].message);
        if (sql && strstr(sql, marker))
            return i;
    }
    return n;
}

/* Whether a statement belongs to another request the daemon served
 * meanwhile: a follower fetching its events (Sys.EventsFetch) or a ping. */
static bool
not_of_the_read(const char *sql)
{
    return strstr(sql, "event_log") || strstr(sql, "event_head");
}

/* Whether a statement writes (or locks to write): a read never does, so a
 * backend that did in the window was the daemon's loop committing
 * something else meanwhile (a follower's page, a timer). */
static bool
writes(const char *sql)
{
    static const char *const verbs[] = { "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "TRUNCATE", NULL };
    while (isspace((unsigned char) *sql))
        sql++;
    for (int v = 0; verbs[v]; v++)
        if (strncasecmp(sql, verbs[v], strlen(verbs[v])) == 0)
            return true;
    return strcasestr(sql, "FOR UPDATE") != NULL || strcasestr(sql, "pg_advisory") != NULL;
}

static bool
opens(const char *sql)
{
    return strncmp(sql, "BEGIN", 5) == 0;
}

static bool
closes(const char *sql)
{
    return strncmp(sql, "ROLLBACK", 8) == 0 || strncmp(sql, "COMMIT", 6) == 0;
}

/* Writes entries[from..to)'s statements of role user as a pgbench script
 * (a backend that wrote left out, a transaction left empty by
 * not_of_the_read dropped whole); the number of statements. */
static int
write_script(PGconn *db, const char *path, const char *schema, const char *user, const entry_t *entries, int from,
             int to)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return -1;
    fprintf(out, "SET search_path = %s;\n", schema);
    int written = 0;
    /* The statements kept, by index, with their backend. */
    int kept[MAX_STATEMENTS], n_kept = 0;
    long writers[MAX_STATEMENTS];
    int n_writers = 0;
    for (int i = from; i < to && n_writers < MAX_STATEMENTS; i++) {
        const char *sql;
        if (!entries[i].detail && strcmp(entries[i].user, user) == 0 && (sql = statement_of(entries[i].message))
            && writes(sql))
            writers[n_writers++] = entries[i].pid;
    }
    for (int i = from; i < to && n_kept < MAX_STATEMENTS; i++) {
        const char *sql;
        bool writer = false;
        for (int w = 0; w < n_writers && !writer; w++)
            writer = writers[w] == entries[i].pid;
        if (!entries[i].detail && !writer && strcmp(entries[i].user, user) == 0
            && (sql = statement_of(entries[i].message)) && !not_of_the_read(sql))
            kept[n_kept++] = i;
    }
    for (int a = 0; a < n_kept; a++) {
        if (kept[a] < 0 || !opens(statement_of(entries[kept[a]].message)))
            continue;
        for (int b = a + 1; b < n_kept; b++) {
            if (kept[b] < 0 || entries[kept[b]].pid != entries[kept[a]].pid)
                continue;
            if (closes(statement_of(entries[kept[b]].message)))
                kept[a] = kept[b] = -1;
            break;
        }
    }
    /* The window cuts other requests' transactions: a BEGIN with nothing
     * after it, or a close with nothing before it, of its backend. */
    for (int a = 0; a < n_kept; a++) {
        if (kept[a] < 0)
            continue;
        const char *sql = statement_of(entries[kept[a]].message);
        bool open = opens(sql), close = closes(sql);
        if (!open && !close)
            continue;
        bool alone = true;
        for (int b = open ? a + 1 : 0; b < (open ? n_kept : a) && alone; b++)
            alone = kept[b] < 0 || entries[kept[b]].pid != entries[kept[a]].pid;
        if (alone)
            kept[a] = -1;
    }
    /* Backends whose transaction is still open at the end get a ROLLBACK
     * (the daemon's came after the read's reply). */
    long open_pids[MAX_STATEMENTS];
    int n_open = 0;
    for (int s = 0; s < n_kept; s++) {
        if (kept[s] < 0)
            continue;
        int i = kept[s];
        const char *sql = statement_of(entries[i].message);
        char *values[MAX_PARAMS + 1] = { 0 };
        int highest = 0;
        /* Its parameters: the next DETAIL of the same backend. */
        for (int j = i + 1; j < to; j++)
            if (entries[j].pid == entries[i].pid) {
                if (entries[j].detail)
                    highest = parse_parameters(entries[j].message, values);
                break;
            }
        if (highest < 0) {
            fprintf(stderr, "reads_bench: cannot read the parameters of \"%.200s\"\n", sql);
            fclose(out);
            return -1;
        }
        static char casts[MAX_PARAMS + 1][80];
        parameter_types(db, schema, sql, highest, casts);
        char *bound = bind_parameters(sql, values, casts, highest);
        size_t length = strlen(bound);
        while (length && (isspace((unsigned char) bound[length - 1]) || bound[length - 1] == ';'))
            bound[--length] = 0;
        fprintf(out, "%s;\n", bound);
        free(bound);
        if (opens(sql) && n_open < MAX_STATEMENTS)
            open_pids[n_open++] = entries[i].pid;
        else if (closes(sql))
            for (int o = 0; o < n_open; o++)
                if (open_pids[o] == entries[i].pid)
                    open_pids[o] = open_pids[--n_open];
        for (int k = 0; k <= MAX_PARAMS; k++)
            free(values[k]);
        written++;
    }
    for (int o = 0; o < n_open; o++, written++)
        fprintf(out, "ROLLBACK;\n");
    fclose(out);
    return written;
}

int
reads_capture(hs_suite_t *suite, const char *log, int port, const char *key, const reads_entry_t *entries, int n,
              const char *dir, bool scripted[])
{
    PGconn *db = suite->db;
    if (!run_sql(db, "ALTER SYSTEM SET log_statement = 'all'") || !run_sql(db, "SELECT pg_reload_conf()"))
        return -1;
    /* The postmaster signals the backends; each reads the new setting
     * after it has read its next message, before running it. */
    usleep(300 * 1000);
    long offset = file_size(log);
    int failed = 0;
    double took[READS_MAX_ENTRIES] = { 0 };
    for (int i = 0; i < n; i++) {
        char marker[128];
        snprintf(marker, sizeof marker, "SELECT '" MARK "%d begin'", i);
        run_sql(db, marker);
        double started = reads_now_ms();
        int status = reads_get(port, key, entries[i].path);
        took[i] = reads_now_ms() - started;
        snprintf(marker, sizeof marker, "SELECT '" MARK "%d end'", i);
        run_sql(db, marker);
        if (status != 200) {
            fprintf(stderr, "reads_bench: GET %s answered %d\n", entries[i].path, status);
            failed++;
        }
    }
    run_sql(db, "ALTER SYSTEM RESET log_statement");
    run_sql(db, "SELECT pg_reload_conf()");
    if (failed || offset < 0)
        return -1;
    int n_log = 0;
    entry_t *logged = read_log(log, offset, &n_log);
    if (!logged) {
        fprintf(stderr, "reads_bench: cannot read %s\n", log);
        return -1;
    }
    int scripts = 0, at = 0;
    for (int i = 0; i < n && scripts >= 0; i++) {
        char begin[64], end[64], path[600], user[64];
        snprintf(begin, sizeof begin, MARK "%d begin", i);
        snprintf(end, sizeof end, MARK "%d end", i);
        int from = find_marker(logged, n_log, at, begin);
        int to = find_marker(logged, n_log, from, end);
        if (to >= n_log) {
            fprintf(stderr, "reads_bench: the log has no markers of read %d\n", i);
            scripts = -1;
            break;
        }
        at = to;
        snprintf(path, sizeof path, "%s/read-%d.sql", dir, i);
        snprintf(user, sizeof user, "sifang_%s", entries[i].service);
        int statements = write_script(db, path, entries[i].service, user, logged, from + 1, to);
        if (statements < 0)
            scripts = -1;
        else if ((scripted[i] = statements > 0))
            scripts++;
        else
            unlink(path);
        printf("  %-10s %2d statement(s) %7.1f ms  GET %s\n", entries[i].service, statements, took[i],
               entries[i].path);
    }
    for (int i = 0; i < n_log; i++)
        free(logged[i].message);
    free(logged);
    return scripts;
}
