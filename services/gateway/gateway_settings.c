/* The gateway daemon's settings table: it serves HTTP, not the service loop,
 * so the table holds every setting it reads. */
#include "gateway_settings.h"
#include "sf_text.h"
#include <string.h>

/* role[:scope], the role one a request without a key may take. */
static bool
anonymous_valid(const char *value, char *why, size_t why_size)
{
    size_t role = strcspn(value, ":");
    char padded[48];
    snprintf(padded, sizeof padded, " %.*s ", (int) (role < 40 ? role : 40), value);
    if (role > 0 && role < 32 && !memchr(value, ' ', role) && strstr(" " GATEWAY_ANONYMOUS_ROLES " ", padded)
        && strlen(value + role) < 64)
        return true;
    snprintf(why, why_size, "role \"%.*s\" is not one of %s", (int) sf_utf8_prefix(value, role < 40 ? role : 40),
             value, GATEWAY_ANONYMOUS_ROLES);
    return false;
}

#define T gateway_settings_t
const sf_var_t gateway_settings[] = {
    SF_TEXT("SIFANG_GATEWAY_HTTP", T, http, "127.0.0.1:8080", NULL,
            "host:port the HTTP server listens on ([::1]:8080, *:8080; port 0: a free one, said in the serving line)"),
    SF_TEXT("SIFANG_GATEWAY_SERVICES", T, services, GATEWAY_ALL_SERVICES, NULL,
            "the services the gateway routes to and checks in /readyz, and instances of them (\"intake@civil-affairs\","
            " a department's own intake: its routes under /v1/instances/intake@civil-affairs/, its endpoint"
            " SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT)"),
    { .name = "SIFANG_<PEER>_ENDPOINT", .type = SF_SETTING_ENDPOINT, .fallback_note = "tcp://127.0.0.1:71x1",
      .description = "where each service is (as for every client)" },
    SF_CHECKED("SIFANG_CURVE_CLIENT_KEY_FILE", SF_SETTING_PATH, NULL,
               "the gateway's CURVE keypair (its public key has role gateway in the services' allowlists)"),
    SF_CHECKED("SIFANG_<PEER>_PUBLIC_KEY_FILE", SF_SETTING_PATH, NULL,
               "each service's CURVE public key (enables CURVE to it)"),
    SF_CHECKED("SIFANG_GATEWAY_DATABASE_URL", SF_SETTING_TEXT, NULL,
               "libpq connection string; else the PG* variables as role sifang_gateway"),
    SF_TEXT("SIFANG_GATEWAY_SCHEMA", T, schema, "gateway", sf_schema_name_valid, "the schema the gateway owns (API keys, accounts, sessions, logs)"),
    SF_CHECKED("PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD", SF_SETTING_LIBPQ, NULL, "standard libpq variables"),
    SF_INTEGER("SIFANG_GATEWAY_MAX_BODY_BYTES", T, max_body, "1048576", 1, 64 << 20,
               "largest request body accepted (413 above)"),
    SF_INTEGER("SIFANG_GATEWAY_MAX_CONNECTIONS", T, max_connections, "512", 1, 65536,
               "HTTP connections open at once (kept alive between requests; polled, not a thread each)"),
    SF_INTEGER("SIFANG_GATEWAY_THREADS", T, threads, "256", 1, 4096,
               "requests answered at once: each thread waits on at most one service's reply, and a request "
               "finding them all busy waits its turn"),
    SF_INTEGER("SIFANG_GATEWAY_POLL_THREADS", T, poll_threads, "2", 1, 64,
               "threads reading and writing the connections (epoll), never waiting on a service"),
    SF_DURATION("SIFANG_GATEWAY_TIMEOUT_MS", T, timeout_ms, "2000", "ms", 1, 600000,
                "wait per attempt for a service's reply"),
    SF_INTEGER("SIFANG_GATEWAY_RETRIES", T, retries, "1", 0, 10,
               "attempts after the first (same request id: safe for writes)"),
    SF_DURATION("SIFANG_GATEWAY_KEYS_REFRESH_MS", T, keys_refresh_ms, "1000", "ms", 50, 3600000,
                "how often API keys are reloaded (and usage written back)"),
    SF_TEXT("SIFANG_GATEWAY_ANONYMOUS", T, anonymous, NULL, anonymous_valid,
            "role[:scope] for requests without a key (e.g. viewer); unset = every API request needs a key"),
    SF_INTEGER("SIFANG_GATEWAY_ANONYMOUS_RATE", T, anonymous_rate, "20", 1, 100000,
               "requests per second per address without a key"),
    SF_INTEGER("SIFANG_GATEWAY_ANONYMOUS_BURST", T, anonymous_burst, "40", 1, 100000,
               "burst per address without a key"),
    SF_TEXT("SIFANG_GATEWAY_CORS_ORIGIN", T, cors_origin, NULL, NULL,
            "Access-Control-Allow-Origin for browser tools on other origins"),
    { .name = "SIFANG_GATEWAY_WORKBENCH_DIR", .type = SF_SETTING_PATH,
      .at = offsetof(T, workbench_dir) + 1, .size = sizeof(((T *) 0)->workbench_dir),
      .description = "the staff workbench's build (workbench/, built into <build>/workbench/dist), served at /; unset: / only says so" },
    SF_TEXT("SIFANG_GATEWAY_JURISDICTION", T, jurisdiction_id, "sifang", NULL, "Open311 jurisdiction_id"),
    SF_DURATION("SIFANG_GATEWAY_DRAIN_MS", T, drain_ms, "10000", "ms", 0, 600000,
                "on SIGTERM, how long requests in flight may take to finish"),
    SF_TEXT("SIFANG_INSTANCE", T, instance, "gateway", NULL, "instance name in /metrics"),
    SF_DURATION("SIFANG_GATEWAY_SESSION_IDLE_MS", T, session_idle_ms, "1800000", "ms", 1000, 86400000,
                "a person's session ends after this long without a request"),
    SF_DURATION("SIFANG_GATEWAY_SESSION_MAX_MS", T, session_max_ms, "43200000", "ms", 1000, 604800000,
                "a person's session ends this long after login, however busy"),
    SF_BOOLEAN("SIFANG_GATEWAY_COOKIE_SECURE", T, cookie_secure, "false",
               "mark the session cookie Secure on every reply (the gateway is reached over TLS only)"),
    SF_BOOLEAN("SIFANG_GATEWAY_TRUSTED_PROXY", T, trusted_proxy, "false",
               "a TLS proxy in front sets X-Forwarded-Proto and X-Forwarded-For: believe them"),
    SF_TEXT("SIFANG_GATEWAY_ORIGINS", T, origins, NULL, NULL,
            "origins besides the gateway's own whose pages may write with a session cookie "
            "(space-separated, e.g. https://workbench.example.org)"),
    SF_INTEGER("SIFANG_GATEWAY_LOGIN_FAILURES", T, login_failures, "5", 1, 100,
               "consecutive failed logins that lock an account"),
    SF_DURATION("SIFANG_GATEWAY_LOCKOUT_MS", T, lockout_ms, "900000", "ms", 1000, 86400000,
                "how long a locked account stays locked (an administrator may unlock it sooner)"),
    SF_INTEGER("SIFANG_GATEWAY_LOGIN_ADDRESS_PER_MINUTE", T, login_address_per_minute, "30", 1, 100000,
               "login attempts per minute from one client address"),
    SF_INTEGER("SIFANG_GATEWAY_LOGIN_ADDRESS_BURST", T, login_address_burst, "20", 1, 100000,
               "login attempts at once from one client address"),
    SF_INTEGER("SIFANG_GATEWAY_LOGIN_ACCOUNT_PER_MINUTE", T, login_account_per_minute, "10", 1, 100000,
               "login attempts per minute for one login name"),
    SF_INTEGER("SIFANG_GATEWAY_LOGIN_ACCOUNT_BURST", T, login_account_burst, "10", 1, 100000,
               "login attempts at once for one login name"),
    { .name = "SIFANG_LOG_LEVEL", .type = SF_SETTING_ENUM, .fallback = "info", .choices = "debug info warn error",
      .description = "the least severe level logged" },
    { .name = NULL },
};
