/* intake_bench: CaseSubmit through the real daemon against pgbench running
 * the equivalent single-case transaction (a case row and an event row) on
 * the same database at the same concurrency. It makes its own PostgreSQL
 * cluster (scripts/pg.sh init in a temporary directory), starts
 * sifang-intake on it, seeds intake's copy of grid (the district's 7
 * streets, 91 communities, 1,183 zones with their responsible pair, 139,594
 * households), then runs N DEALER clients, each with one submission in
 * flight, for a fixed time; prints cases/s, p50, p99 and the daemon's peak
 * RSS; then pgbench; and last `intake_vs_pgbench=<ratio>`. */
#include "sf_client.h"
#include "sf_config.h"
#include "sf_test.h"
#include "sifang/v1/envelope.pb-c.h"
#include "sifang/v1/intake.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define STREETS 7
#define COMMUNITIES_PER_STREET 13
#define ZONES_PER_COMMUNITY 13
#define GROUPS_PER_ZONE 2
#define HOUSEHOLDS_PER_GROUP 59

static const char usage_text[] =
    "usage: intake_bench [--clients N] [--seconds S] [--warmup S] [--batch-max N] [--keep]\n"
    "\n"
    "Runs CaseSubmit through sifang-intake with N concurrent DEALER clients (one\n"
    "submission in flight each) for S seconds after a warm-up, then pgbench with\n"
    "the equivalent single-case transaction (a case row and an event row, the\n"
    "same tables and indexes) on the same database at the same concurrency.\n"
    "It makes and removes its own PostgreSQL cluster in a temporary directory.\n"
    "\n"
    "  --clients N     concurrent clients for both (default 40)\n"
    "  --seconds S     measured seconds for each (default 20)\n"
    "  --warmup S      seconds of intake load before measuring (default 3)\n"
    "  --batch-max N   the daemon's SIFANG_BATCH_MAX (default: its own)\n"
    "  --keep          keep the cluster and logs (the path is printed)\n"
    "  --tcp           clients reach the daemon over loopback TCP (default: a\n"
    "                  unix socket, as pgbench reaches PostgreSQL)\n"
    "  --endpoint EP   only load a daemon already running at EP (seeded as the\n"
    "                  bench seeds it): no cluster, no pgbench\n"
    "\n"
    "Prints cases/s, p50 and p99 latency and the daemon's peak RSS (VmHWM),\n"
    "pgbench's tps, and last: intake_vs_pgbench=<cases/s / pgbench tps>.";

/* Items a resident asks for (the enterprise ones need an enterprise; the
 * registrations, 就业失业登记, 就业困难人员认定 and 在职党员报到, their person's
 * data). */
static const char *const items[] = {
    "pension-certification", "low-income-allowance", "disability-certificate", "elderly-allowance",
    "medical-assistance", "temporary-assistance", "pension-insurance-enrolment", "birth-registration",
    "residence-certificate", "housing-subsidy", "legal-aid", "party-membership-transfer",
    "mobile-member-registration", "party-member-hardship-aid", "community-affairs", "dispute-mediation",
    "elderly-meal-delivery", "elderly-home-care", "housekeeping", "appliance-repair",
    "plumbing-electrical-repair",
};
#define N_ITEMS (sizeof items / sizeof *items)

static const char *const descriptions[] = {
    "申请办理，材料已带齐，请尽快处理。",
    "老人行动不便，希望上门服务。",
    "家中困难，申请帮助，联系人为本人。",
    "Resident asks for the service; documents checked at the window.",
};

typedef struct {
    char dir[512];
    char pg_dir[600];
    bool keep;
} bench_env_t;

static double
now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static bool
exec_sql(PGconn *conn, const char *sql)
{
    PGresult *result = PQexec(conn, sql);
    bool ok = PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "intake_bench: SQL failed: %s\n", PQerrorMessage(conn));
    PQclear(result);
    return ok;
}

/* Intake's copy of grid, as following grid's events would leave it, at the
 * district's scale: codes built the way grid builds them. */
static bool
seed_reference(PGconn *conn)
{
    char sql[4096];
    snprintf(sql, sizeof sql,
        "BEGIN;"
        "INSERT INTO intake.ref_unit (code, kind, name, parent_code)"
        "  SELECT '370205' || lpad(s::text, 3, '0'), 2, 'street ' || s, '370205' FROM generate_series(1, %d) s;"
        "INSERT INTO intake.ref_unit (code, kind, name, parent_code)"
        "  SELECT '370205' || lpad(s::text, 3, '0') || lpad(c::text, 3, '0'), 3, 'community ' || s || '-' || c,"
        "         '370205' || lpad(s::text, 3, '0')"
        "    FROM generate_series(1, %d) s, generate_series(1, %d) c;"
        "INSERT INTO intake.ref_unit (code, kind, name, parent_code)"
        "  SELECT u.code || lpad(z::text, 2, '0'), 4, 'zone ' || z, u.code"
        "    FROM intake.ref_unit u, generate_series(1, %d) z WHERE u.kind = 3;"
        "INSERT INTO intake.ref_household (code, zone_code)"
        "  SELECT u.code || g || lpad(h::text, 3, '0'), u.code"
        "    FROM intake.ref_unit u, generate_series(1, %d) g, generate_series(1, %d) h WHERE u.kind = 4;"
        "INSERT INTO intake.ref_staff (id, name, kind, unit_code)"
        "  SELECT 'C' || u.code, 'committee ' || u.code, 2, left(u.code, 12) FROM intake.ref_unit u WHERE u.kind = 4"
        "  UNION ALL"
        "  SELECT 'K' || u.code, 'cadre ' || u.code, 1, left(u.code, 9) FROM intake.ref_unit u WHERE u.kind = 4;"
        "INSERT INTO intake.ref_responsibility (unit_code, kind, staff_id)"
        "  SELECT u.code, 2, 'C' || u.code FROM intake.ref_unit u WHERE u.kind = 4"
        "  UNION ALL SELECT u.code, 1, 'K' || u.code FROM intake.ref_unit u WHERE u.kind = 4;"
        "INSERT INTO intake.ref_department (code, name) VALUES ('civil-affairs', '四方区民政局'),"
        "  ('human-resources', '四方区人力资源和社会保障局'), ('organization', '四方区委组织部');"
        /* What following grid's events does: the daemon reloads its copy. */
        "UPDATE intake.ref_generation SET n = n + 1, households = households + 139594;"
        "COMMIT; ANALYZE;",
        STREETS, STREETS, COMMUNITIES_PER_STREET, ZONES_PER_COMMUNITY, GROUPS_PER_ZONE, HOUSEHOLDS_PER_GROUP);
    return exec_sql(conn, sql);
}

/* A fresh submission per request: a random household of the district, a
 * random item and channel (so open cases of one household and item, the
 * possible duplicates, are as rare as in life). */
typedef struct {
    uint64_t state;
} rng_t;

static uint32_t
rng_next(rng_t *rng)
{
    /* xorshift64*: cheap enough to cost nothing next to a request. */
    rng->state ^= rng->state >> 12;
    rng->state ^= rng->state << 25;
    rng->state ^= rng->state >> 27;
    return (uint32_t) ((rng->state * 2685821657736338717ULL) >> 32);
}

static size_t
make_body(rng_t *rng, uint8_t *buffer, size_t capacity)
{
    int s = 1 + (int) (rng_next(rng) % STREETS), c = 1 + (int) (rng_next(rng) % COMMUNITIES_PER_STREET);
    int z = 1 + (int) (rng_next(rng) % ZONES_PER_COMMUNITY), g = 1 + (int) (rng_next(rng) % GROUPS_PER_ZONE);
    int h = 1 + (int) (rng_next(rng) % HOUSEHOLDS_PER_GROUP);
    char household[32], phone[16];
    snprintf(household, sizeof household, "370205%03d%03d%02d%d%03d", s, c, z, g, h);
    snprintf(phone, sizeof phone, "13%09u", rng_next(rng) % 1000000000u);
    Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
    requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    requester.household_code = household;
    requester.name = "张秀英";
    requester.phone = phone;
    Sifang__V1__CaseSubmitRequest submit = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
    submit.channel = (Sifang__V1__CaseChannel) (1 + rng_next(rng) % 7);
    submit.item_code = (char *) items[rng_next(rng) % N_ITEMS];
    submit.requester = &requester;
    submit.description = (char *) descriptions[rng_next(rng) % (sizeof descriptions / sizeof *descriptions)];
    size_t size = sifang__v1__case_submit_request__get_packed_size(&submit);
    if (size > capacity)
        return 0;
    return sifang__v1__case_submit_request__pack(&submit, buffer);
}

typedef struct {
    void *socket;
    double sent_at;
    bool busy;
    uint64_t serial;
} client_t;

typedef struct {
    double *latencies_ms;
    size_t n, capacity;
    uint64_t ok, failed;
} tally_t;

static int
send_submit(client_t *client, int index, rng_t *rng, uint64_t serial)
{
    uint8_t body[1024];
    size_t body_size = make_body(rng, body, sizeof body);
    char request_id[64];
    snprintf(request_id, sizeof request_id, "bench-%d-%llu", index, (unsigned long long) serial);
    Sifang__V1__Principal principal = SIFANG__V1__PRINCIPAL__INIT;
    principal.id = "S-bench";
    principal.role = "district";
    principal.scope = "";
    Sifang__V1__RequestHeader header = SIFANG__V1__REQUEST_HEADER__INIT;
    header.method = "CaseSubmit";
    header.request_id = request_id;
    header.trace_id = request_id;
    header.principal = &principal;
    uint8_t buffer[512];
    size_t size = sifang__v1__request_header__get_packed_size(&header);
    if (size > sizeof buffer)
        return -1;
    sifang__v1__request_header__pack(&header, buffer);
    client->sent_at = now_seconds();
    client->busy = true;
    if (zmq_send(client->socket, buffer, size, ZMQ_SNDMORE) < 0 || zmq_send(client->socket, body, body_size, 0) < 0)
        return -1;
    return 0;
}

/* Reads one reply; true when it was OK. */
static bool
receive_reply(client_t *client)
{
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    bool ok = false;
    int part = 0;
    for (;;) {
        if (zmq_msg_recv(&frame, client->socket, 0) < 0)
            break;
        if (part == 0) {
            Sifang__V1__ReplyHeader *header = sifang__v1__reply_header__unpack(NULL, zmq_msg_size(&frame),
                                                                               zmq_msg_data(&frame));
            ok = header && header->status == SIFANG__V1__STATUS_CODE__OK;
            if (header && !ok) {
                static int shown;
                if (shown++ < 5)
                    fprintf(stderr, "intake_bench: reply %d: %s\n", header->status, header->message);
            }
            if (header)
                protobuf_c_message_free_unpacked(&header->base, NULL);
        }
        part++;
        if (!zmq_msg_more(&frame))
            break;
    }
    zmq_msg_close(&frame);
    client->busy = false;
    return ok;
}

static void
tally_add(tally_t *tally, double ms)
{
    if (tally->n == tally->capacity) {
        tally->capacity = tally->capacity ? tally->capacity * 2 : 1 << 16;
        tally->latencies_ms = realloc(tally->latencies_ms, tally->capacity * sizeof *tally->latencies_ms);
        if (!tally->latencies_ms)
            abort();
    }
    tally->latencies_ms[tally->n++] = ms;
}

/* The closed loop: each client sends, waits for its reply, sends again. */
static void
run_load(client_t *clients, int n_clients, rng_t *rng, double seconds, tally_t *tally, uint64_t *serial)
{
    zmq_pollitem_t *items_poll = calloc((size_t) n_clients, sizeof *items_poll);
    for (int i = 0; i < n_clients; i++) {
        items_poll[i] = (zmq_pollitem_t) { clients[i].socket, 0, ZMQ_POLLIN, 0 };
        if (!clients[i].busy) {
            uint64_t n = (*serial)++;
            send_submit(&clients[i], i, rng, n);
        }
    }
    double until = now_seconds() + seconds;
    while (now_seconds() < until) {
        int ready = zmq_poll(items_poll, n_clients, 100);
        if (ready <= 0)
            continue;
        for (int i = 0; i < n_clients; i++) {
            if (!(items_poll[i].revents & ZMQ_POLLIN))
                continue;
            double latency = (now_seconds() - clients[i].sent_at) * 1000.0;
            bool ok = receive_reply(&clients[i]);
            if (tally) {
                if (ok) {
                    tally->ok++;
                    tally_add(tally, latency);
                } else
                    tally->failed++;
            }
            if (now_seconds() < until) {
                uint64_t n = (*serial)++;
                send_submit(&clients[i], i, rng, n);
            }
        }
    }
    free(items_poll);
}

/* Waits for the replies still in flight (so the next phase starts clean). */
static void
drain(client_t *clients, int n_clients)
{
    double until = now_seconds() + 10;
    for (int i = 0; i < n_clients; i++)
        while (clients[i].busy && now_seconds() < until) {
            zmq_pollitem_t item = { clients[i].socket, 0, ZMQ_POLLIN, 0 };
            if (zmq_poll(&item, 1, 100) > 0)
                receive_reply(&clients[i]);
        }
}

static long
peak_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen(path, "r");
    long kb = -1;
    while (file && fgets(line, sizeof line, file))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = atol(line + 6);
    if (file)
        fclose(file);
    return kb;
}

static long long
query_int(PGconn *conn, const char *sql)
{
    PGresult *result = PQexec(conn, sql);
    long long value = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) ? atoll(PQgetvalue(result, 0, 0)) : -1;
    PQclear(result);
    return value;
}

static void
hex_literal(FILE *out, size_t bytes, unsigned *seed)
{
    fputs("'\\x", out);
    for (size_t i = 0; i < bytes; i++)
        fprintf(out, "%02x", rand_r(seed) & 0xff);
    fputs("'::bytea", out);
}

/* pgbench's transaction: one case row and one event row, in tables of the
 * same shape and indexes as intake's, with payloads of the sizes intake
 * wrote. */
static bool
write_pgbench_script(const char *path, PGconn *conn)
{
    long long requester = query_int(conn, "SELECT coalesce(avg(length(requester)), 60)::bigint FROM intake.intake_case");
    long long payload = query_int(conn, "SELECT coalesce(avg(length(payload)), 600)::bigint FROM intake.event_log");
    if (!exec_sql(conn,
            "DROP SCHEMA IF EXISTS pgb CASCADE; CREATE SCHEMA pgb;"
            "CREATE TABLE pgb.intake_case (LIKE intake.intake_case INCLUDING ALL);"
            "CREATE TABLE pgb.event_log (LIKE intake.event_log INCLUDING ALL);"
            "CREATE SEQUENCE pgb.case_id_seq; CREATE SEQUENCE pgb.event_seq;"))
        return false;
    FILE *out = fopen(path, "w");
    if (!out)
        return false;
    unsigned seed = 7;
    fprintf(out,
        "\\set h random(1, 139594)\n"
        "\\set item random(1, %zu)\n"
        "BEGIN;\n"
        "INSERT INTO pgb.intake_case (id, registration_number, status, channel, item_code, category,"
        " requester_kind, household_code, requester, unit_code, description, first_responder_id,"
        " first_responder_name, assignee_kind, assignee_code, assignee_name, assignee_route, received_at,"
        " accepted_at, due_at, last_at, origin, request_id) VALUES (nextval('pgb.case_id_seq'),"
        " 'SF20261125-' || lpad(currval('pgb.case_id_seq')::text, 7, '0'), 3, 1, 'item-' || :item, 1, 1,"
        " '370205' || lpad(:h::text, 12, '0'), ", N_ITEMS);
    hex_literal(out, (size_t) requester, &seed);
    fprintf(out,
        ", '37020500100101', '%s', 'S-bench', 'bench', 1, 'civil-affairs', '四方区民政局',"
        " 'item department', now(), now(), now() + interval '20 days', now(), 'S-bench', md5(random()::text));\n"
        "INSERT INTO pgb.event_log (seq, type, key, occurred_at, payload_type, payload, actor, request_id)"
        " VALUES (nextval('pgb.event_seq'), 'case.accepted', currval('pgb.case_id_seq')::text, now(),"
        " 'sifang.v1.Case', ", descriptions[0]);
    hex_literal(out, (size_t) payload, &seed);
    fputs(", 'S-bench', md5(random()::text));\nEND;\n", out);
    fclose(out);
    printf("pgbench transaction: a case row (requester %lld bytes) and an event row (payload %lld bytes)\n",
           requester, payload);
    return true;
}

/* Runs pgbench for seconds and returns its tps (-1 on failure); echo
 * prints its report. */
static double
run_pgbench(const char *script, const char *output, int clients, int seconds, bool echo)
{
    char c[16], t[16], j[16];
    snprintf(c, sizeof c, "%d", clients);
    snprintf(t, sizeof t, "%d", seconds);
    snprintf(j, sizeof j, "%d", clients < 2 ? 1 : 2);
    const char *argv[] = { "pgbench", "-n", "-M", "prepared", "-U", sf_test_pg_superuser(), "-c", c, "-j", j,
                           "-T", t, "-f", script, NULL };
    if (sf_test_run(argv, output) != 0)
        return -1;
    FILE *file = fopen(output, "r");
    double tps = -1, latency = -1;
    char line[512];
    while (file && fgets(line, sizeof line, file)) {
        if (echo) {
            fputs("  ", stdout);
            fputs(line, stdout);
        }
        if (strncmp(line, "tps = ", 6) == 0 && tps < 0)
            tps = atof(line + 6);
        if (strncmp(line, "latency average = ", 18) == 0)
            latency = atof(line + 18);
    }
    if (file)
        fclose(file);
    (void) latency;
    return tps;
}

/* --endpoint: load a daemon that is already running (and seeded); no
 * cluster, no pgbench. For looking at the daemon under load. */
static int
load_only(const char *endpoint, int n_clients, int seconds, int warmup)
{
    rng_t rng = { (uint64_t) time(NULL) * 2654435761u + 1 };
    client_t *clients = calloc((size_t) n_clients, sizeof *clients);
    void *context = zmq_ctx_new();
    tally_t tally = { 0 };
    if (!clients || !context)
        return 1;
    for (int i = 0; i < n_clients; i++) {
        clients[i].socket = zmq_socket(context, ZMQ_DEALER);
        int linger = 0;
        zmq_setsockopt(clients[i].socket, ZMQ_LINGER, &linger, sizeof linger);
        zmq_connect(clients[i].socket, endpoint);
    }
    uint64_t serial = (uint64_t) time(NULL) * 1000;
    if (warmup)
        run_load(clients, n_clients, &rng, warmup, NULL, &serial);
    double started = now_seconds();
    run_load(clients, n_clients, &rng, seconds, &tally, &serial);
    double elapsed = now_seconds() - started;
    drain(clients, n_clients);
    printf("intake: cases=%llu failed=%llu cases/s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
           (unsigned long long) tally.ok, (unsigned long long) tally.failed, (double) tally.ok / elapsed,
           sf_test_percentile(tally.latencies_ms, tally.n, 0.5),
           sf_test_percentile(tally.latencies_ms, tally.n, 0.99));
    for (int i = 0; i < n_clients; i++)
        zmq_close(clients[i].socket);
    zmq_ctx_term(context);
    free(clients);
    free(tally.latencies_ms);
    return 0;
}

int
main(int argc, char **argv)
{
    int n_clients = 40, seconds = 20, warmup = 3, batch_max = 0;
    const char *running = NULL;
    bool tcp = false;
    bench_env_t env = { .keep = false };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
            n_clients = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
            warmup = atoi(argv[++i]);
        else if (strcmp(argv[i], "--batch-max") == 0 && i + 1 < argc)
            batch_max = atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            env.keep = true;
        else if (strcmp(argv[i], "--endpoint") == 0 && i + 1 < argc)
            running = argv[++i];
        else if (strcmp(argv[i], "--tcp") == 0)
            tcp = true;
        else {
            puts(usage_text);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    /* pgbench takes a connection per client; pg.sh's clusters allow 200. */
    if (n_clients < 1 || n_clients > (running ? 1000 : 190) || seconds < 1 || warmup < 0) {
        fprintf(stderr, "intake_bench: --clients 1..190 (1..1000 with --endpoint), --seconds >= 1, --warmup >= 0\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (running)
        return load_only(running, n_clients, seconds, warmup);
    if (sf_test_tmpdir(env.dir, sizeof env.dir) != 0)
        return 1;
    snprintf(env.pg_dir, sizeof env.pg_dir, "%s/pg", env.dir);
    int rc = 1;
    sf_test_daemon_t *daemon = NULL;
    PGconn *conn = NULL;
    void *context = NULL;
    client_t *clients = NULL;
    rng_t rng = { 2026 };
    char *endpoint = NULL, *publish = NULL;
    tally_t tally = { 0 };

    printf("intake_bench: cluster in %s\n", env.pg_dir);
    fflush(stdout);
    if (sf_test_pg_own_cluster(env.pg_dir) != 0 || sf_test_pg_env("bench") != 0) {
        fprintf(stderr, "intake_bench: cannot make the cluster\n");
        goto done;
    }

    /* The daemon's ROUTER on a unix socket, as pgbench reaches PostgreSQL
     * on one: both sides of the comparison use the machine's local
     * transport (--tcp: loopback TCP, as between machines, on port 0: the
     * daemon says the port it got). Its PUB, which nothing here follows,
     * beside it. */
    char ipc_endpoint[640];
    snprintf(ipc_endpoint, sizeof ipc_endpoint, "ipc://%s/intake.sock", env.dir);
    endpoint = strdup(tcp ? SF_TEST_TCP_ANY : ipc_endpoint);
    snprintf(ipc_endpoint, sizeof ipc_endpoint, "ipc://%s/intake.pub.ipc", env.dir);
    publish = strdup(ipc_endpoint);
    if (!endpoint || !publish)
        goto done;
    char endpoint_env[700], publish_env[700], batch_env[64], log_path[700];
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_INTAKE_ENDPOINT=%s", endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_INTAKE_PUBLISH=%s", publish);
    snprintf(batch_env, sizeof batch_env, "SIFANG_BATCH_MAX=%d", batch_max);
    snprintf(log_path, sizeof log_path, "%s/intake.log", env.dir);
    const char *daemon_env[] = { endpoint_env, publish_env, "SIFANG_INTAKE_FOLLOW_GRID=false",
                                 "SIFANG_INTAKE_DATABASE_URL=user=sifang_intake",
                                 "SIFANG_INTAKE_VOLUNTEER=false", batch_max ? batch_env : NULL, NULL };
    daemon = sf_test_daemon_start(INTAKE_BENCH_DAEMON, daemon_env, log_path);
    if (!daemon || sf_test_daemon_wait_ready(daemon, 30000) != 0 || !sf_test_daemon_endpoint(daemon, "endpoint"))
        goto done;
    free(endpoint);
    endpoint = strdup(sf_test_daemon_endpoint(daemon, "endpoint"));
    if (!endpoint)
        goto done;
    /* Ready means serving; the database may still be migrating. */
    sf_client_t *probe = sf_client_new(endpoint, NULL);
    if (!sf_test_wait_database(probe, 10000)) {
        fprintf(stderr, "intake_bench: the daemon's database never came up (see %s)\n", log_path);
        sf_client_destroy(&probe);
        goto done;
    }
    conn = sf_test_pg_connect();
    if (PQstatus(conn) != CONNECTION_OK || !seed_reference(conn)) {
        fprintf(stderr, "intake_bench: cannot seed: %s\n", PQerrorMessage(conn));
        sf_client_destroy(&probe);
        goto done;
    }
    printf("seeded intake's copy of grid: %lld zones, %lld households\n",
           query_int(conn, "SELECT count(*) FROM intake.ref_unit WHERE kind = 4"),
           query_int(conn, "SELECT count(*) FROM intake.ref_household"));

    clients = calloc((size_t) n_clients, sizeof *clients);
    context = zmq_ctx_new();
    if (!clients || !context)
        goto done;
    for (int i = 0; i < n_clients; i++) {
        clients[i].socket = zmq_socket(context, ZMQ_DEALER);
        int linger = 0;
        zmq_setsockopt(clients[i].socket, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_connect(clients[i].socket, endpoint) != 0)
            goto done;
    }
    uint64_t serial = 0;
    printf("intake: %d clients over %s, %d s warm-up, %d s measured\n", n_clients, tcp ? "loopback TCP" : "a unix socket",
           warmup, seconds);
    fflush(stdout);
    if (warmup)
        run_load(clients, n_clients, &rng, warmup, NULL, &serial);
    /* The daemon's statements are prepared once and planned on the
     * statistics there are: at its start, those of empty tables, so that a
     * probe of request_log or of the open cases is planned as a scan of
     * them. On a running district autovacuum's ANALYZE (within a minute of
     * the tables filling) invalidates those plans; the measurement is of
     * that steady state, not of the first minute of a new database. */
    if (!exec_sql(conn, "ANALYZE intake.intake_case, intake.case_history, intake.request_log, intake.event_log"))
        goto done;
    double started = now_seconds();
    run_load(clients, n_clients, &rng, seconds, &tally, &serial);
    double elapsed = now_seconds() - started;
    drain(clients, n_clients);

    Sifang__V1__StatsRequest stats_request = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *stats = NULL;
    long long batches = 0, batched = 0;
    if (sf_client_call(probe, "Sys.Stats", NULL, &stats_request.base, &sifang__v1__stats_reply__descriptor,
                       (ProtobufCMessage **) &stats, NULL) == SF_OK) {
        batches = stats->batches;
        batched = stats->batched_requests;
        protobuf_c_message_free_unpacked(&stats->base, NULL);
    }
    sf_client_destroy(&probe);
    long rss_kb = peak_rss_kb(sf_test_daemon_pid(daemon));
    int stopped = sf_test_daemon_stop(&daemon);

    double rate = (double) tally.ok / elapsed;
    double p50 = sf_test_percentile(tally.latencies_ms, tally.n, 0.50);
    double p99 = sf_test_percentile(tally.latencies_ms, tally.n, 0.99);
    printf("intake: cases=%llu failed=%llu seconds=%.1f cases/s=%.0f p50_ms=%.2f p99_ms=%.2f"
           " max_ms=%.2f daemon_peak_rss_mb=%.1f batches=%lld requests_per_batch=%.1f daemon_exit=%d\n",
           (unsigned long long) tally.ok, (unsigned long long) tally.failed, elapsed, rate, p50, p99,
           tally.n ? tally.latencies_ms[tally.n - 1] : 0.0, rss_kb / 1024.0, batches,
           batches ? (double) batched / (double) batches : 0.0, stopped);
    printf("intake rows: %lld cases, %lld audit rows, %lld events\n",
           query_int(conn, "SELECT count(*) FROM intake.intake_case"),
           query_int(conn, "SELECT count(*) FROM intake.case_history"),
           query_int(conn, "SELECT count(*) FROM intake.event_log"));
    fflush(stdout);

    char script[700], output[700];
    snprintf(script, sizeof script, "%s/case.sql", env.dir);
    snprintf(output, sizeof output, "%s/pgbench.out", env.dir);
    if (!write_pgbench_script(script, conn))
        goto done;
    exec_sql(conn, "CHECKPOINT");
    /* The same warm-up and ANALYZE as intake had: pgbench's tables start
     * empty, and its first seconds (relation extension, index splits, a
     * full-page image for every page first touched after the checkpoint)
     * run well below its steady rate; a short run without a warm-up
     * flattered the ratio (2.6 at 5 s against 1.6 at 20 s, 2026-12-06). */
    if (warmup) {
        printf("pgbench: %d clients, %d s warm-up\n", n_clients, warmup);
        fflush(stdout);
        if (run_pgbench(script, output, n_clients, warmup, false) <= 0) {
            fprintf(stderr, "intake_bench: pgbench failed (see %s)\n", output);
            goto done;
        }
        if (!exec_sql(conn, "ANALYZE pgb.intake_case, pgb.event_log"))
            goto done;
    }
    printf("pgbench: %d clients, %d s\n", n_clients, seconds);
    fflush(stdout);
    double tps = run_pgbench(script, output, n_clients, seconds, true);
    if (tps <= 0) {
        fprintf(stderr, "intake_bench: pgbench failed (see %s)\n", output);
        goto done;
    }
    printf("pgbench: clients=%d tps=%.0f\n", n_clients, tps);
    printf("intake_vs_pgbench=%.2f\n", rate / tps);
    rc = 0;
done:
    fflush(stdout);
    if (daemon)
        sf_test_daemon_stop(&daemon);
    for (int i = 0; clients && i < n_clients; i++)
        if (clients[i].socket)
            zmq_close(clients[i].socket);
    if (context)
        zmq_ctx_term(context);
    free(clients);
    free(tally.latencies_ms);
    free(endpoint);
    free(publish);
    if (conn)
        PQfinish(conn);
    if (env.keep)
        fprintf(stderr, "intake_bench: kept %s (stop the cluster with: bash %s stop %s)\n", env.dir,
                INTAKE_BENCH_PG_SH, env.pg_dir);
    else {
        sf_test_pg_run("destroy");
        sf_test_rmtree(env.dir);
    }
    return rc;
}
