/* sifang-volunteer-demo-load: loads Sifang's volunteer force at its real
 * scale into volunteer through volunteer's own API, after grid's demo
 * district: it reads the district from grid, waits until volunteer has
 * followed grid's events, and sends each part pipelined (a window of
 * requests in flight, which volunteer commits in groups and its batch
 * handlers write a run at a time), with request ids derived from the seed
 * so that a re-run answers from volunteer's store instead of writing twice.
 * This file holds main and the pipeline; volunteer_demo_plan.c what is
 * loaded. */
#include "volunteer_demo.h"
#include "sf_config.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_TRANSPORT = 3 };

#define WINDOW_DEFAULT 512
#define WINDOW_MAX 8192
#define TIMEOUT_DEFAULT_MS 30000
#define MAX_ATTEMPTS 8
#define FAILURES_SHOWN 10

static const char usage_text[] =
    "usage: sifang-volunteer-demo-load [--seed N] [--scale F] [--today YYYY-MM-DD] [--window N]\n"
    "                                  [--timeout MS] [--principal ID:ROLE[:SCOPE]] [--wait S]\n"
    "\n"
    "Loads Sifang District's volunteer force (Qingdao, 2012) into volunteer through its\n"
    "API, after grid's demo district (sifang-demo-load): 53,000 adult volunteers, one\n"
    "resident in seven (every party member of 18 to 80 among them, 1,780 in-service\n"
    "party members), their certificates and\n"
    "trainings, 200 teams with their members (mediation, legal advice, \"365 party\n"
    "member studio\", \"有事找党员\" ...), 5,000 party members paired with 8,600 of the\n"
    "households grid flags in difficulty, their contacts, service hours through the\n"
    "year (approved but for the last week), cadres' household visits, co-building\n"
    "pairs agreed through the year and the 15-minute circle's providers (their cases\n"
    "come through intake: sifang-volunteer-demo-circle), all dated inside the\n"
    "twelve months ending today (Asia/Shanghai). It reads the district from grid\n"
    "and waits for volunteer to have followed grid. The same seed gives the same\n"
    "requests and request ids: a re-run within volunteer's idempotency window\n"
    "(SIFANG_IDEMPOTENCY_TTL_HOURS) finishes an interrupted load without writing\n"
    "anything twice.\n"
    "\n"
    "  --seed N        the seed (default SIFANG_DEMO_SEED or 2012)\n"
    "  --scale F       proportionally fewer (or more) of everything, 0 < F <= 10 (default 1)\n"
    "  --today D       the timeline's today (default: today in Asia/Shanghai)\n"
    "  --window N      requests in flight (default 512)\n"
    "  --timeout MS    wait for a reply before resending it (default 30000)\n"
    "  --principal ID:ROLE[:SCOPE]  act as this principal (without CURVE; default: none,\n"
    "                  which volunteer takes as the local administrator)\n"
    "  --wait S        wait up to S seconds for grid, volunteer and the following (default 600)\n"
    "  --help          this text\n"
    "\n"
    "Exit status: 0 all loaded (already there counts as loaded); 1 some requests failed;\n"
    "2 usage; 3 grid or volunteer did not answer.";

static const sf_setting_t settings[] = {
    { "SIFANG_DEMO_SEED", "2012", "the seed when --seed is not given" },
    { "SIFANG_GRID_ENDPOINT", "tcp://127.0.0.1:7101", "where grid answers requests" },
    { "SIFANG_VOLUNTEER_ENDPOINT", "tcp://127.0.0.1:7131", "where volunteer answers requests" },
    { "SIFANG_GRID_PUBLIC_KEY_FILE", NULL, "grid's CURVE public key (enables CURVE)" },
    { "SIFANG_VOLUNTEER_PUBLIC_KEY_FILE", NULL, "volunteer's CURVE public key (enables CURVE)" },
    { "SIFANG_CURVE_CLIENT_KEY_FILE", NULL, "this client's CURVE keypair (with CURVE)" },
    { NULL, NULL, NULL },
};

/* --- the pipeline ------------------------------------------------------------ */

static size_t
part_done(const vd_part_t *part)
{
    return part->created + part->replayed + part->existed + part->tolerated_count + part->failed;
}

static void
show_failure(vd_loader_t *loader, const vd_part_t *part, const char *request_id, const char *status,
             const char *message, const sf_reply_info_t *info)
{
    if (loader->failures_shown++ >= FAILURES_SHOWN) {
        if (loader->failures_shown == FAILURES_SHOWN + 1)
            fprintf(stderr, "%s(further failures are counted, not shown)\n", loader->tty ? "\n" : "");
        return;
    }
    fprintf(stderr, "%s%s %s: %s: %s", loader->tty ? "\n" : "", part->name, request_id, status, message ? message : "");
    for (size_t v = 0; info && v < info->n_violations; v++)
        fprintf(stderr, "%s%s: %s", v ? "; " : " (", info->violation_fields[v], info->violation_descriptions[v]);
    fprintf(stderr, "%s\n", info && info->n_violations ? ")" : "");
}

static void
request_id_of(const vd_loader_t *loader, const vd_part_t *part, size_t i, char *out, size_t size)
{
    snprintf(out, size, "%s-%s-%zu", loader->prefix, part->tag, i);
}

/* The item a reply's request id names, or -1 when it is not this part's. */
static long
item_of(const vd_loader_t *loader, const vd_part_t *part, const char *request_id)
{
    size_t prefix = strlen(loader->prefix), tag = strlen(part->tag);
    if (!request_id || strncmp(request_id, loader->prefix, prefix) != 0 || request_id[prefix] != '-'
        || strncmp(request_id + prefix + 1, part->tag, tag) != 0 || request_id[prefix + 1 + tag] != '-')
        return -1;
    char *end = NULL;
    long i = strtol(request_id + prefix + tag + 2, &end, 10);
    return end && !*end && i >= 0 && (size_t) i < part->total ? i : -1;
}

static void
show_progress(vd_loader_t *loader, const vd_part_t *part, int64_t started, int64_t *next, bool final)
{
    int64_t now = sf_clock_ms();
    if (!final && now < *next)
        return;
    *next = now + (loader->tty ? 250 : 2000);
    double seconds = (double) (now - started) / 1000.0;
    size_t done = part_done(part);
    fprintf(stderr, "%s%-14s %zu/%zu %.0f/s", loader->tty ? "\r\033[K" : "", part->name, done, part->total,
            seconds > 0 ? (double) done / seconds : 0.0);
    if (part->failed)
        fprintf(stderr, " (%zu failed)", part->failed);
    if (final && part->replayed)
        fprintf(stderr, " (%zu already loaded)", part->replayed + part->existed);
    if (final && part->tolerated_count)
        fprintf(stderr, " (%zu %s)", part->tolerated_count, sf_status_name((sf_status_t) part->tolerated));
    if (!loader->tty || final)
        fputc('\n', stderr);
    fflush(stderr);
}

static void
send_item(vd_loader_t *loader, vd_part_t *part, size_t i, int *in_flight)
{
    char request_id[128];
    request_id_of(loader, part, i, request_id, sizeof request_id);
    part->attempts[i]++;
    int rc = part->send(loader, part, i, request_id);
    if (rc == 2) {
        part->existed++;
        return;
    }
    /* A send that failed waits out its timeout like a lost reply. */
    part->waiting[i] = true;
    part->due_ms[i] = sf_clock_ms() + loader->timeout_ms;
    (*in_flight)++;
}

static bool
transient(sf_status_t status)
{
    return status == SF_UNAVAILABLE || status == SF_DEADLINE_EXCEEDED || status == SF_ABORTED;
}

/* Backs off (100 ms doubling) or gives up after MAX_ATTEMPTS. */
static void
retry_later(vd_loader_t *loader, vd_part_t *part, size_t i, const char *why, const sf_reply_info_t *info)
{
    if (part->attempts[i] >= MAX_ATTEMPTS) {
        char request_id[128];
        request_id_of(loader, part, i, request_id, sizeof request_id);
        part->failed++;
        part->due_ms[i] = 0;
        show_failure(loader, part, request_id, info ? sf_status_name(info->status) : "NO_REPLY", why, info);
        return;
    }
    part->retried++;
    int backoff = 100 << (part->attempts[i] < 6 ? part->attempts[i] - 1 : 5);
    part->due_ms[i] = sf_clock_ms() + backoff;
}

/* Settles item i with its reply. */
static void
take_reply(vd_loader_t *loader, vd_part_t *part, size_t i, const sf_reply_info_t *info, const void *body,
           size_t size)
{
    part->due_ms[i] = 0;
    if (info->status == SF_OK) {
        if (info->replayed)
            part->replayed++;
        else
            part->created++;
        if (part->take)
            part->take(loader, part, i, body, size);
    } else if (info->status == SF_ALREADY_EXISTS)
        part->existed++;
    else if (part->tolerated && (int) info->status == part->tolerated)
        part->tolerated_count++;
    else if (transient(info->status))
        retry_later(loader, part, i, info->message, info);
    else {
        char request_id[128];
        request_id_of(loader, part, i, request_id, sizeof request_id);
        part->failed++;
        show_failure(loader, part, request_id, sf_status_name(info->status), info->message, info);
    }
}

size_t
vd_load_part(vd_loader_t *loader, vd_part_t *part)
{
    size_t n = part->total ? part->total : 1;
    part->attempts = calloc(n, sizeof *part->attempts);
    part->due_ms = calloc(n, sizeof *part->due_ms);
    part->waiting = calloc(n, sizeof *part->waiting);
    if (!part->attempts || !part->due_ms || !part->waiting) {
        fprintf(stderr, "out of memory\n");
        part->failed = part->total;
        goto done;
    }
    int64_t started = sf_clock_ms(), next_progress = 0, next_scan = 0;
    size_t next = 0;
    int in_flight = 0;
    while (part_done(part) < part->total) {
        while (next < part->total && in_flight < loader->window)
            send_item(loader, part, next++, &in_flight);
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        int got = sf_client_recv(loader->client, 20, &body, &size, &info);
        for (int k = 0; got == 1 && k < 4096; k++) {
            long i = item_of(loader, part, info.request_id);
            /* A late answer to an attempt already settled is dropped. */
            if (i >= 0 && part->waiting[i]) {
                part->waiting[i] = false;
                in_flight--;
                take_reply(loader, part, (size_t) i, &info, body, size);
            }
            free(body);
            body = NULL;
            got = sf_client_recv(loader->client, 0, &body, &size, &info);
        }
        free(body);
        if (got < 0)
            usleep(20000);
        int64_t now = sf_clock_ms();
        if (now >= next_scan) {
            /* Resend what timed out or has finished backing off. */
            for (size_t i = 0; i < next; i++) {
                if (part->due_ms[i] == 0 || part->due_ms[i] > now)
                    continue;
                if (part->waiting[i]) {
                    part->waiting[i] = false;
                    in_flight--;
                    retry_later(loader, part, i, "no reply", NULL);
                } else if (in_flight < loader->window)
                    send_item(loader, part, i, &in_flight);
            }
            next_scan = now + 100;
        }
        show_progress(loader, part, started, &next_progress, false);
    }
    part->seconds = (double) (sf_clock_ms() - started) / 1000.0;
    show_progress(loader, part, started, &next_progress, true);
done:
    free(part->attempts);
    free(part->due_ms);
    free(part->waiting);
    part->attempts = NULL;
    part->due_ms = NULL;
    part->waiting = NULL;
    return part->failed;
}

/* --- waiting for the services -------------------------------------------------- */

/* The service's event head, or -1 when it does not answer with its
 * database up. */
static int64_t
event_head(sf_client_t *client)
{
    Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    sf_status_t status = sf_client_call(client, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                                        &reply, NULL);
    int64_t head = -1;
    if (status == SF_OK && ((Sifang__V1__PingReply *) reply)->database_up)
        head = ((Sifang__V1__PingReply *) reply)->event_head;
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    return head;
}

/* How far volunteer has followed grid (its follower's cursor), or -1. */
static int64_t
followed(sf_client_t *volunteer)
{
    Sifang__V1__StatsRequest request = SIFANG__V1__STATS_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    sf_status_t status = sf_client_call(volunteer, "Sys.Stats", NULL, &request.base,
                                        &sifang__v1__stats_reply__descriptor, &reply, NULL);
    int64_t cursor = -1;
    if (status == SF_OK) {
        Sifang__V1__StatsReply *stats = (Sifang__V1__StatsReply *) reply;
        for (size_t i = 0; i < stats->n_followers; i++)
            if (strncmp(stats->followers[i]->status, "grid", 4) == 0)
                cursor = stats->followers[i]->count;
        if (cursor < 0)
            cursor = 0;
    }
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    return cursor;
}

static bool
wait_for(sf_client_t *grid, sf_client_t *volunteer, int wait_s, bool tty)
{
    int64_t until = sf_clock_ms() + (int64_t) wait_s * 1000;
    int64_t grid_head = -1;
    while ((grid_head = event_head(grid)) < 0 || event_head(volunteer) < 0) {
        if (sf_clock_ms() >= until) {
            fprintf(stderr, "grid (%s) or volunteer (%s) does not answer with its database up\n",
                    sf_client_endpoint(grid), sf_client_endpoint(volunteer));
            return false;
        }
        sleep(1);
    }
    /* Everything grid had when we looked must be in volunteer's copy. */
    int64_t cursor = 0;
    while ((cursor = followed(volunteer)) < grid_head) {
        fprintf(stderr, "%svolunteer following grid: %lld/%lld events%s", tty ? "\r\033[K" : "",
                (long long) (cursor < 0 ? 0 : cursor), (long long) grid_head, tty ? "" : "\n");
        if (sf_clock_ms() >= until) {
            fprintf(stderr, "\nvolunteer has not followed grid within %d s\n", wait_s);
            return false;
        }
        sleep(1);
    }
    fprintf(stderr, "%svolunteer has followed grid's %lld events\n", tty ? "\r\033[K" : "", (long long) grid_head);
    return true;
}

/* --- main ---------------------------------------------------------------------- */

static bool
parse_principal(const char *text, char *id, size_t id_size, char *role, size_t role_size, char *scope,
                size_t scope_size)
{
    const char *colon = strchr(text, ':');
    if (!colon || colon == text || (size_t) (colon - text) >= id_size)
        return false;
    const char *second = strchr(colon + 1, ':');
    size_t role_length = second ? (size_t) (second - colon - 1) : strlen(colon + 1);
    if (role_length == 0 || role_length >= role_size || (second && strlen(second + 1) >= scope_size))
        return false;
    snprintf(id, id_size, "%.*s", (int) (colon - text), text);
    snprintf(role, role_size, "%.*s", (int) role_length, colon + 1);
    snprintf(scope, scope_size, "%s", second ? second + 1 : "");
    return true;
}

static int
usage_error(const char *format, const char *argument)
{
    fprintf(stderr, "sifang-volunteer-demo-load: ");
    fprintf(stderr, format, argument);
    fprintf(stderr, "\n(sifang-volunteer-demo-load --help for usage)\n");
    return EXIT_USAGE;
}

static bool
parse_long(const char *text, long lo, long hi, long *value)
{
    char *end;
    long parsed = strtol(text, &end, 10);
    if (!*text || *end || parsed < lo || parsed > hi)
        return false;
    *value = parsed;
    return true;
}

int
main(int argc, char **argv)
{
    long seed = sf_env_int("SIFANG_DEMO_SEED", 2012);
    double scale = 1.0;
    demo_timeline_t timeline;
    demo_timeline_today(&timeline);
    long window = WINDOW_DEFAULT, timeout_ms = TIMEOUT_DEFAULT_MS, wait_s = 600;
    char principal_id[64] = "", principal_role[32] = "", principal_scope[64] = "";
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        const char *value = a + 1 < argc ? argv[a + 1] : NULL;
        bool takes_value = strcmp(arg, "--seed") == 0 || strcmp(arg, "--scale") == 0 || strcmp(arg, "--window") == 0
                        || strcmp(arg, "--timeout") == 0 || strcmp(arg, "--principal") == 0
                        || strcmp(arg, "--wait") == 0 || strcmp(arg, "--today") == 0;
        if (takes_value && !value)
            return usage_error("%s needs a value", arg);
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            sf_config_help(stdout, usage_text, settings);
            return EXIT_OK;
        } else if (strcmp(arg, "--seed") == 0) {
            if (!parse_long(value, 0, 0x7fffffffL, &seed))
                return usage_error("--seed takes a whole number >= 0, not \"%s\"", value);
        } else if (strcmp(arg, "--scale") == 0) {
            char *end;
            scale = strtod(value, &end);
            if (!*value || *end || !(scale > 0 && scale <= DEMO_SCALE_MAX))
                return usage_error("--scale takes a number in (0, 10], not \"%s\"", value);
        } else if (strcmp(arg, "--today") == 0) {
            if (!demo_timeline_parse(&timeline, value))
                return usage_error("--today takes a date YYYY-MM-DD, not \"%s\"", value);
        } else if (strcmp(arg, "--window") == 0) {
            if (!parse_long(value, 1, WINDOW_MAX, &window))
                return usage_error("--window takes 1..8192, not \"%s\"", value);
        } else if (strcmp(arg, "--timeout") == 0) {
            if (!parse_long(value, 1, 3600000, &timeout_ms))
                return usage_error("--timeout takes milliseconds, not \"%s\"", value);
        } else if (strcmp(arg, "--wait") == 0) {
            if (!parse_long(value, 0, 86400, &wait_s))
                return usage_error("--wait takes seconds, not \"%s\"", value);
        } else if (strcmp(arg, "--principal") == 0) {
            if (!parse_principal(value, principal_id, sizeof principal_id, principal_role, sizeof principal_role,
                                 principal_scope, sizeof principal_scope))
                return usage_error("--principal takes ID:ROLE[:SCOPE], not \"%s\"", value);
        } else
            return usage_error("unknown argument \"%s\"", arg);
        if (takes_value)
            a++;
    }
    if (seed < 0)
        return usage_error("SIFANG_DEMO_SEED must be a whole number >= 0, not \"%s\"", getenv("SIFANG_DEMO_SEED"));

    char error[256];
    sf_client_t *grid = sf_client_for_service("grid", error, sizeof error);
    sf_client_t *volunteer = grid ? sf_client_for_service("volunteer", error, sizeof error) : NULL;
    if (!grid || !volunteer) {
        fprintf(stderr, "sifang-volunteer-demo-load: %s\n", error);
        sf_client_destroy(&grid);
        return EXIT_USAGE;
    }
    if (*principal_id) {
        sf_client_set_principal(grid, principal_id, principal_role, principal_scope);
        sf_client_set_principal(volunteer, principal_id, principal_role, principal_scope);
    }
    sf_client_set_timeout(grid, 30000);
    sf_client_set_timeout(volunteer, (int) timeout_ms);
    int rc = EXIT_OK;
    int64_t started = sf_clock_ms();
    vd_loader_t loader;
    memset(&loader, 0, sizeof loader);
    loader.client = volunteer;
    loader.seed = (uint64_t) seed;
    loader.scale = scale;
    loader.timeline = timeline;
    loader.window = (int) window;
    loader.timeout_ms = (int) timeout_ms;
    loader.tty = isatty(STDERR_FILENO);
    if (scale == 1.0)
        snprintf(loader.prefix, sizeof loader.prefix, "vdemo-%ld", seed);
    else
        snprintf(loader.prefix, sizeof loader.prefix, "vdemo-%lds%g", seed, scale);
    if (!wait_for(grid, volunteer, (int) wait_s, loader.tty)) {
        rc = EXIT_TRANSPORT;
        goto done;
    }
    if (!vd_grid_read(grid, &loader.grid)) {
        rc = EXIT_TRANSPORT;
        goto done;
    }
    if (!vd_plan_new(&loader)) {
        rc = EXIT_FAILED;
        goto done;
    }
    size_t failed = vd_plan_load(&loader);
    fprintf(stderr, "volunteer demo loaded in %.1f s%s\n", (double) (sf_clock_ms() - started) / 1000.0,
            failed ? " with failures" : "");
    if (failed)
        rc = EXIT_FAILED;
done:
    vd_plan_destroy(&loader);
    vd_grid_release(&loader.grid);
    sf_client_destroy(&grid);
    sf_client_destroy(&volunteer);
    return rc;
}
