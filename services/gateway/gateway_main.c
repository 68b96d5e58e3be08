/* The gateway daemon: its settings, and main, which starts HTTP, keeps the
 * database and the API keys fresh, and on SIGTERM lets the requests in
 * flight finish before it exits 0. */
#include "gateway.h"
#include "sf_log.h"
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ALL_SERVICES "grid intake employment volunteer evaluation"
/* Roles a request without a key may act as: never one that is trusted to
 * act for others, nor an administrator. */
#define ANONYMOUS_ROLES "viewer department community street district"

static const sf_setting_t gateway_settings[] = {
    { "SIFANG_GATEWAY_HTTP", "127.0.0.1:8080", "host:port the HTTP server listens on ([::1]:8080, *:8080; port 0: a free one, said in the serving line)" },
    { "SIFANG_GATEWAY_SERVICES", ALL_SERVICES, "the services the gateway routes to and checks in /readyz" },
    { "SIFANG_<SVC>_ENDPOINT", "tcp://127.0.0.1:71x1", "where each service is (as for every client)" },
    { "SIFANG_CURVE_CLIENT_KEY_FILE", NULL,
      "the gateway's CURVE keypair (its public key has role gateway in the services' allowlists)" },
    { "SIFANG_<SVC>_PUBLIC_KEY_FILE", NULL, "each service's CURVE public key (enables CURVE to it)" },
    { "SIFANG_GATEWAY_DATABASE_URL", NULL, "libpq connection string; else the PG* variables as role sifang_gateway" },
    { "SIFANG_GATEWAY_SCHEMA", "gateway", "the schema the gateway owns (API keys)" },
    { "PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD", NULL, "standard libpq variables" },
    { "SIFANG_GATEWAY_MAX_BODY_BYTES", "1048576", "largest request body accepted (413 above)" },
    { "SIFANG_GATEWAY_MAX_CONNECTIONS", "512", "HTTP connections served at once (a thread each)" },
    { "SIFANG_GATEWAY_TIMEOUT_MS", "2000", "wait per attempt for a service's reply" },
    { "SIFANG_GATEWAY_RETRIES", "1", "attempts after the first (same request id: safe for writes)" },
    { "SIFANG_GATEWAY_KEYS_REFRESH_MS", "1000", "how often API keys are reloaded (and usage written back)" },
    { "SIFANG_GATEWAY_ANONYMOUS", NULL,
      "role[:scope] for requests without a key (e.g. viewer); unset = every API request needs a key" },
    { "SIFANG_GATEWAY_ANONYMOUS_RATE", "20", "requests per second per address without a key" },
    { "SIFANG_GATEWAY_ANONYMOUS_BURST", "40", "burst per address without a key" },
    { "SIFANG_GATEWAY_CORS_ORIGIN", NULL, "Access-Control-Allow-Origin for browser tools on other origins" },
    { "SIFANG_GATEWAY_DASHBOARD_DIR", NULL, "serve the dashboard from this directory instead of the built-in copy" },
    { "SIFANG_GATEWAY_JURISDICTION", "sifang", "Open311 jurisdiction_id" },
    { "SIFANG_GATEWAY_DRAIN_MS", "10000", "on SIGTERM, how long requests in flight may take to finish" },
    { "SIFANG_INSTANCE", "gateway", "instance name in /metrics" },
    { "SIFANG_LOG_LEVEL", "info", "debug, info, warn or error" },
    { NULL, NULL, NULL },
};

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int signal_number)
{
    (void) signal_number;
    stop_requested = 1;
}

static void
copy_setting(char *out, size_t size, const char *name, const char *fallback)
{
    const char *value = sf_env(name, fallback);
    snprintf(out, size, "%s", value ? value : "");
}

static int
configure(gateway_t *gw, char *error, size_t error_size)
{
    copy_setting(gw->http_address, sizeof gw->http_address, "SIFANG_GATEWAY_HTTP", "127.0.0.1:8080");
    gw->max_body = (size_t) sf_env_int("SIFANG_GATEWAY_MAX_BODY_BYTES", 1 << 20);
    gw->max_connections = (int) sf_env_int("SIFANG_GATEWAY_MAX_CONNECTIONS", 512);
    gw->drain_ms = (int) sf_env_int("SIFANG_GATEWAY_DRAIN_MS", 10000);
    if (gw->max_body < 1 || gw->max_connections < 1) {
        snprintf(error, error_size, "SIFANG_GATEWAY_MAX_BODY_BYTES and _MAX_CONNECTIONS must be positive");
        return -1;
    }
    const char *anonymous = sf_env("SIFANG_GATEWAY_ANONYMOUS", NULL);
    if (anonymous) {
        const char *colon = strchr(anonymous, ':');
        snprintf(gw->anonymous_role, sizeof gw->anonymous_role, "%.*s",
                 (int) (colon ? (size_t) (colon - anonymous) : strlen(anonymous)), anonymous);
        snprintf(gw->anonymous_scope, sizeof gw->anonymous_scope, "%s", colon ? colon + 1 : "");
        char padded[40];
        snprintf(padded, sizeof padded, " %s ", gw->anonymous_role);
        if (!gw->anonymous_role[0] || strchr(gw->anonymous_role, ' ') || !strstr(" " ANONYMOUS_ROLES " ", padded)) {
            snprintf(error, error_size, "SIFANG_GATEWAY_ANONYMOUS: role \"%s\" is not one of %s",
                     gw->anonymous_role, ANONYMOUS_ROLES);
            return -1;
        }
        gw->anonymous = true;
    }
    gateway_address_limits_init(&gw->anonymous_limits, (double) sf_env_int("SIFANG_GATEWAY_ANONYMOUS_RATE", 20),
                                (double) sf_env_int("SIFANG_GATEWAY_ANONYMOUS_BURST", 40));
    copy_setting(gw->cors_origin, sizeof gw->cors_origin, "SIFANG_GATEWAY_CORS_ORIGIN", "");
    copy_setting(gw->dashboard_dir, sizeof gw->dashboard_dir, "SIFANG_GATEWAY_DASHBOARD_DIR", "");
    copy_setting(gw->jurisdiction_id, sizeof gw->jurisdiction_id, "SIFANG_GATEWAY_JURISDICTION", "sifang");
    gw->upstream = gateway_upstream_new(sf_env("SIFANG_GATEWAY_SERVICES", ALL_SERVICES),
                                        (int) sf_env_int("SIFANG_GATEWAY_TIMEOUT_MS", 2000),
                                        (int) sf_env_int("SIFANG_GATEWAY_RETRIES", 1), error, error_size);
    if (!gw->upstream)
        return -1;
    gw->keyring = gateway_keyring_new();
    gw->metrics = gateway_metrics_new();
    setenv("PGCONNECT_TIMEOUT", "3", 0);
    char *conninfo = sf_db_conninfo_from_env("gateway");
    char schema[64];
    copy_setting(schema, sizeof schema, "SIFANG_GATEWAY_SCHEMA", "gateway");
    gw->db = conninfo ? sf_db_new(conninfo, schema) : NULL;
    free(conninfo);
    if (!gw->keyring || !gw->metrics || !gw->db) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    pthread_mutex_init(&gw->db_lock, NULL);
    return 0;
}

/* Reconnects with backoff, applies the migrations once the database is
 * there, and reloads the keys when due. Runs on the main thread. */
static void
maintain(gateway_t *gw, int64_t *next_refresh_ms, int refresh_ms)
{
    pthread_mutex_lock(&gw->db_lock);
    bool up = sf_db_maintain(gw->db);
    if (up && !gw->db_migrated) {
        char schema[64], error[512];
        copy_setting(schema, sizeof schema, "SIFANG_GATEWAY_SCHEMA", "gateway");
        if (gateway_keys_migrate(gw->db, schema, error, sizeof error) == 0) {
            gw->db_migrated = true;
            sf_info("database ready", "schema", schema);
        } else {
            sf_error("migrations failed; retrying", "schema", schema, "reason", error);
            *next_refresh_ms = sf_clock_ms() + 5000;
        }
    }
    pthread_mutex_unlock(&gw->db_lock);
    if (gw->db_migrated && up && sf_clock_ms() >= *next_refresh_ms) {
        gateway_keys_reload(gw);
        *next_refresh_ms = sf_clock_ms() + refresh_ms;
    }
}

static void
release(gateway_t *gw)
{
    gateway_upstream_destroy(&gw->upstream);
    gateway_keyring_destroy(&gw->keyring);
    gateway_metrics_destroy(&gw->metrics);
    sf_db_destroy(&gw->db);
    gateway_address_limits_release(&gw->anonymous_limits);
    pthread_mutex_destroy(&gw->db_lock);
}

int
main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        sf_config_help(stdout,
                       "Usage: sifang-gateway [--help]\n\n"
                       "The HTTP/JSON gateway: REST routes for every service's methods (/openapi.json),\n"
                       "Open311 GeoReport v2 on intake, API keys with rate limits, /healthz, /readyz,\n"
                       "/metrics, and the district dashboard at /. Keys: sifang-gateway-keys.",
                       gateway_settings);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "sifang-gateway: unknown argument %s (see --help)\n", argv[1]);
        return 2;
    }
    sf_log_init("gateway");
    if (sodium_init() < 0) {
        sf_error("cannot initialise libsodium");
        return 1;
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    static gateway_t gw;
    gw.started_ms = sf_clock_ms();
    char error[512];
    if (configure(&gw, error, sizeof error) != 0) {
        sf_error("cannot start", "reason", error);
        release(&gw);
        return 1;
    }
    int refresh_ms = (int) sf_env_int("SIFANG_GATEWAY_KEYS_REFRESH_MS", 1000);
    if (refresh_ms < 50)
        refresh_ms = 50;
    int64_t next_refresh_ms = 0;
    pthread_mutex_lock(&gw.db_lock);
    sf_db_connect(gw.db);
    pthread_mutex_unlock(&gw.db_lock);
    maintain(&gw, &next_refresh_ms, refresh_ms);
    if (gateway_http_start(&gw, error, sizeof error) != 0) {
        sf_error("cannot start", "reason", error);
        release(&gw);
        return 1;
    }
    char services[256] = "";
    for (size_t i = 0; i < gateway_upstream_count(gw.upstream); i++)
        snprintf(services + strlen(services), sizeof services - strlen(services), "%s%s", i ? " " : "",
                 gateway_upstream_name(gw.upstream, i));
    sf_info("serving", "http", gw.http_address, "services", services,
            "keys", gateway_keyring_loaded(gw.keyring) ? "loaded" : "not yet loaded",
            "anonymous", gw.anonymous ? gw.anonymous_role : "off");
    while (!stop_requested) {
        struct timespec pause = { 0, 50 * 1000 * 1000 };
        nanosleep(&pause, NULL);
        maintain(&gw, &next_refresh_ms, refresh_ms);
    }
    sf_info("stopping", "in_flight", atomic_load(&gw.in_flight) ? "yes" : "none");
    gateway_http_stop(&gw);
    /* Usage counted since the last refresh is written back. */
    if (gw.db_migrated)
        gateway_keys_reload(&gw);
    release(&gw);
    sf_info("stopped");
    return 0;
}
