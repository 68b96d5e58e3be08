/* The gateway daemon: its settings, and main, which starts HTTP, keeps the
 * database and the API keys fresh, and on SIGTERM lets the requests in
 * flight finish before it exits 0. */
#include "gateway.h"
#include "gateway_settings.h"
#include "sf_heap.h"
#include "sf_log.h"
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How often the free memory of the workers' arenas is given back. */
#define HEAP_RELEASE_MS 5000

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int signal_number)
{
    (void) signal_number;
    stop_requested = 1;
}

static int
configure(gateway_t *gw, const gateway_settings_t *settings, char *error, size_t error_size)
{
    snprintf(gw->http_address, sizeof gw->http_address, "%s", settings->http);
    gw->max_body = (size_t) settings->max_body;
    gw->max_connections = settings->max_connections;
    gw->threads = settings->threads;
    gw->poll_threads = settings->poll_threads;
    gw->drain_ms = settings->drain_ms;
    snprintf(gw->instance, sizeof gw->instance, "%s", settings->instance);
    if (settings->anonymous[0]) {   /* the role is checked by the table */
        const char *colon = strchr(settings->anonymous, ':');
        snprintf(gw->anonymous_role, sizeof gw->anonymous_role, "%.*s",
                 (int) (colon ? (size_t) (colon - settings->anonymous) : strlen(settings->anonymous)),
                 settings->anonymous);
        snprintf(gw->anonymous_scope, sizeof gw->anonymous_scope, "%s", colon ? colon + 1 : "");
        gw->anonymous = true;
    }
    gateway_address_limits_init(&gw->anonymous_limits, settings->anonymous_rate, settings->anonymous_burst);
    snprintf(gw->cors_origin, sizeof gw->cors_origin, "%s", settings->cors_origin);
    gw->session_idle_ms = settings->session_idle_ms;
    gw->session_max_ms = settings->session_max_ms;
    gw->cookie_secure = settings->cookie_secure;
    gw->trusted_proxy = settings->trusted_proxy;
    snprintf(gw->origins, sizeof gw->origins, "%s", settings->origins);
    gw->login_failures = settings->login_failures;
    gw->lockout_ms = settings->lockout_ms;
    gateway_address_limits_init(&gw->login_address_limits, settings->login_address_per_minute / 60.0,
                                settings->login_address_burst);
    gateway_address_limits_init(&gw->login_account_limits, settings->login_account_per_minute / 60.0,
                                settings->login_account_burst);
    snprintf(gw->workbench_dir, sizeof gw->workbench_dir, "%s", settings->workbench_dir);
    snprintf(gw->jurisdiction_id, sizeof gw->jurisdiction_id, "%s", settings->jurisdiction_id);
    gw->upstream = gateway_upstream_new(settings->services, settings->timeout_ms, settings->retries,
                                        error, error_size);
    if (!gw->upstream)
        return -1;
    gw->duty = gateway_duty_new(gw->upstream);
    if (!gw->duty) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    gw->keyring = gateway_keyring_new();
    gw->metrics = gateway_metrics_new();
    setenv("PGCONNECT_TIMEOUT", "3", 0);
    char *conninfo = sf_db_conninfo_from_env("gateway");
    gw->db = conninfo ? sf_db_new(conninfo, settings->schema) : NULL;
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
maintain(gateway_t *gw, const char *schema, int64_t *next_refresh_ms, int refresh_ms)
{
    pthread_mutex_lock(&gw->db_lock);
    bool up = sf_db_maintain(gw->db);
    if (up && !gw->db_migrated) {
        char error[512];
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
    gateway_duty_destroy(&gw->duty);
    gateway_upstream_destroy(&gw->upstream);
    gateway_keyring_destroy(&gw->keyring);
    gateway_metrics_destroy(&gw->metrics);
    sf_db_destroy(&gw->db);
    gateway_address_limits_release(&gw->anonymous_limits);
    gateway_address_limits_release(&gw->login_address_limits);
    gateway_address_limits_release(&gw->login_account_limits);
    pthread_mutex_destroy(&gw->db_lock);
}

int
main(int argc, char **argv)
{
    const sf_var_t *const tables[] = { gateway_settings, NULL };
    int exit_code = sf_settings_start(argc, argv, "gateway",
                                      "Usage: sifang-gateway [--help]\n\n"
                                      "The HTTP/JSON gateway: REST routes for every service's methods (/openapi.json),\n"
                                      "Open311 GeoReport v2 on intake, API keys with rate limits, /healthz, /readyz,\n"
                                      "/metrics, and the staff workbench at / (SIFANG_GATEWAY_WORKBENCH_DIR). Keys: sifang-gateway-keys.",
                                      tables);
    if (exit_code >= 0)
        return exit_code;
    sf_log_init("gateway");
    sf_heap_init();   /* before the workers have arenas (common/sf_heap.c) */
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
    static gateway_settings_t settings;
    if (sf_settings_load(gateway_settings, "gateway", &settings, error, sizeof error) != 0) {
        sf_error("bad setting", "reason", error);   /* checked at start: not reached */
        return 2;
    }
    if (configure(&gw, &settings, error, sizeof error) != 0) {
        sf_error("cannot start", "reason", error);
        release(&gw);
        return 1;
    }
    int refresh_ms = settings.keys_refresh_ms;
    int64_t next_refresh_ms = 0;
    pthread_mutex_lock(&gw.db_lock);
    /* Down now is no reason not to serve: maintain() retries. */
    SF_IGNORE(sf_db_connect(gw.db));
    pthread_mutex_unlock(&gw.db_lock);
    maintain(&gw, settings.schema, &next_refresh_ms, refresh_ms);
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
    /* The workers' replies (a zone backlog is 360 KB of JSON) leave their
     * arenas' memory free after a burst of reads: given back every few
     * seconds, as the daemons' loops do. */
    int64_t next_heap_release_ms = sf_clock_ms() + HEAP_RELEASE_MS;
    while (!stop_requested) {
        struct timespec pause = { 0, 50 * 1000 * 1000 };
        nanosleep(&pause, NULL);
        maintain(&gw, settings.schema, &next_refresh_ms, refresh_ms);
        gateway_duty_poll(gw.duty, sf_clock_ms());
        if (sf_clock_ms() >= next_heap_release_ms) {
            sf_heap_release();
            next_heap_release_ms = sf_clock_ms() + HEAP_RELEASE_MS;
        }
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
