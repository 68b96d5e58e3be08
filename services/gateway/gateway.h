/* The gateway daemon's state and the parts of it each file provides: HTTP
 * serving (gateway_http.c), the admin and identity routes (gateway_admin.c),
 * /metrics (gateway_metrics.c), Open311 (gateway_open311.c) and the embedded
 * workbench and OpenAPI document (gateway_static.c). */
#ifndef GATEWAY_H
#define GATEWAY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include "sf_config.h"
#include "sf_db.h"
#include "gateway_accounts.h"
#include "gateway_duty.h"
#include "gateway_error.h"
#include "gateway_keys.h"
#include "gateway_ratelimit.h"
#include "gateway_routes.h"
#include "gateway_sessions.h"
#include "gateway_upstream.h"

typedef struct gateway_metrics_t gateway_metrics_t;
typedef struct gateway_workers_t gateway_workers_t;

typedef struct {
    /* Configuration (gateway_main.c reads it from the environment). */
    char http_address[128];       /* host:port to listen on; once listening, the port it got */
    size_t max_body;              /* largest request body accepted */
    int max_connections;
    int threads;                  /* requests answered at once (gateway_http.c's workers) */
    int poll_threads;             /* libmicrohttpd's epoll threads */
    bool anonymous;               /* requests without a key act as the anonymous principal */
    char anonymous_role[32];
    char anonymous_scope[64];
    char workbench_dir[512];      /* the built workbench (workbench/); "" = none: / says so */
    char cors_origin[256];        /* "" = no CORS headers */
    char jurisdiction_id[128];    /* Open311 */
    int drain_ms;                 /* how long SIGTERM waits for requests in flight */
    char instance[96];            /* SIFANG_INSTANCE: this gateway in /metrics */
    /* Personal accounts and sessions (gateway_login.c). */
    int64_t session_idle_ms;
    int64_t session_max_ms;
    bool cookie_secure;           /* Secure on every session cookie */
    bool trusted_proxy;           /* X-Forwarded-Proto and X-Forwarded-For are believed */
    char origins[512];            /* space-separated origins that may write with a cookie */
    int login_failures;           /* consecutive failures that lock an account */
    int64_t lockout_ms;
    gateway_address_limits_t login_address_limits;   /* login attempts per client address */
    gateway_address_limits_t login_account_limits;   /* ... per login name as typed */

    /* Parts. */
    gateway_upstream_t *upstream;
    gateway_duty_t *duty;         /* people's grants from their duty in grid */
    gateway_keyring_t *keyring;
    sf_db_t *db;                  /* the gateway's schema: keys; guarded by db_lock */
    pthread_mutex_t db_lock;
    bool db_migrated;             /* under db_lock */
    gateway_address_limits_t anonymous_limits;
    gateway_metrics_t *metrics;
    struct MHD_Daemon *daemon;
    gateway_workers_t *workers;   /* gateway_http.c: the threads that answer requests */
    atomic_int in_flight;
    atomic_bool stopping;
    int64_t started_ms;
} gateway_t;

/* --- gateway_http.c ---------------------------------------------------------- */

/* Starts libmicrohttpd on gw->http_address (its epoll threads poll the
 * connections; gw->threads workers answer the requests). 0, or -1 with
 * error. */
int gateway_http_start(gateway_t *gw, char *error, size_t error_size);
/* Stops taking connections, waits up to gw->drain_ms for requests in
 * flight, then closes everything. */
void gateway_http_stop(gateway_t *gw);
/* How the workers are doing, for /metrics: the pool's size, those
 * answering now, requests waiting for one, and how many requests found
 * none free since the start (the pool too small for the load, or held by
 * a slow service). */
typedef struct {
    int threads;
    int busy;
    int waiting;
    long long queued_total;
} gateway_workers_load_t;
void gateway_workers_load(gateway_t *gw, gateway_workers_load_t *load);

/* One HTTP exchange as the handlers see it. */
typedef struct gateway_exchange_t gateway_exchange_t;

/* Who the request acts as, from its key (Authorization: Bearer, X-API-Key,
 * or api_key, the Open311 parameter, when given) or the anonymous principal;
 * takes a token from its rate limit. false with error set (401, 429, 503). */
bool gateway_authenticate(gateway_t *gw, gateway_exchange_t *exchange, const char *api_key,
                          gateway_principal_t *principal, gateway_error_t *error);
/* Answers: JSON (takes json), text, or an error. */
void gateway_reply_json(gateway_exchange_t *exchange, int http_status, cJSON *json);
void gateway_reply_text(gateway_exchange_t *exchange, int http_status, const char *content_type,
                        const void *data, size_t size, bool copy);
/* The same with a Cache-Control header (NULL: none). */
void gateway_reply_file(gateway_exchange_t *exchange, int http_status, const char *content_type,
                        const void *data, size_t size, bool copy, const char *cache_control);
/* Whether a reply of content_type and size goes gzipped to this client
 * (it takes gzip, the type is text, the body 1 KiB or more), and the gzip
 * of data (malloc'd into *out; false when it did not shrink). */
bool gateway_exchange_takes_gzip(gateway_exchange_t *exchange, const char *content_type, size_t size);
bool gateway_gzip(const void *data, size_t size, char **out, size_t *out_size);
/* Answers bytes gzipped already (copied), with Content-Encoding and Vary. */
void gateway_reply_gzipped(gateway_exchange_t *exchange, int http_status, const char *content_type,
                           const void *packed, size_t size, const char *cache_control);
/* The same with an ETag (NULL: none), for a file a client revalidates. */
void gateway_reply_file_tagged(gateway_exchange_t *exchange, int http_status, const char *content_type,
                               const void *data, size_t size, bool copy, const char *cache_control,
                               const char *etag);
void gateway_reply_error(gateway_exchange_t *exchange, const gateway_error_t *error);
/* Answers text (malloc'd, taken) of content_type; with error, its status
 * for the metrics and its Retry-After and WWW-Authenticate headers. */
void gateway_reply_owned(gateway_exchange_t *exchange, int http_status, const char *content_type, char *text,
                         size_t size, const gateway_error_t *error);
/* The exchange's request header, query argument (first of the name), body. */
const char *gateway_exchange_header(gateway_exchange_t *exchange, const char *name);
const char *gateway_exchange_argument(gateway_exchange_t *exchange, const char *name);
const char *gateway_exchange_body(gateway_exchange_t *exchange, size_t *size_p);
/* Every query argument (up to max) into params; the count, or -1 when there
 * are more. */
int gateway_exchange_arguments(gateway_exchange_t *exchange, gateway_param_t *params, size_t max);
/* Whether the body went over the limit (and was dropped). */
bool gateway_exchange_too_large(gateway_exchange_t *exchange);
/* Names the exchange for the metrics ("GET /v1/grid/zones/{code}"). */
void gateway_exchange_name(gateway_exchange_t *exchange, const char *name);

/* The client's address: the peer's, or with a trusted proxy the last
 * address of X-Forwarded-For. */
void gateway_exchange_address(gateway_exchange_t *exchange, char *out, size_t size);
/* Whether the client reached us over TLS (a trusted proxy's
 * X-Forwarded-Proto: https). */
bool gateway_exchange_tls(gateway_exchange_t *exchange);
/* The request's cookie of that name, or NULL. */
const char *gateway_exchange_cookie(gateway_exchange_t *exchange, const char *name);
/* A Set-Cookie header for the reply (text is copied). */
void gateway_exchange_set_cookie(gateway_exchange_t *exchange, const char *text);
/* The person's session the request was authenticated with (by
 * gateway_authenticate), or NULL for a key or anonymous request. */
const gateway_session_t *gateway_exchange_person(gateway_exchange_t *exchange);
/* What the operation log says a person's write did: the action (an rpc's
 * name) and the record it touched; set by whoever serves the route. */
void gateway_exchange_operation(gateway_exchange_t *exchange, const char *action, const char *record);

/* --- gateway_login.c ---------------------------------------------------------------- */

/* Serves the session and account routes (/v1/session..., /v1/admin/accounts...,
 * /v1/admin/online..., the two logs): false when path is none of them. */
bool gateway_login_serve(gateway_t *gw, gateway_exchange_t *exchange, const char *method, const char *path);
/* Authenticates a request by its sf_session cookie: true with the session
 * filled, or false with error (401 for an unknown, ended or expired
 * session; 403 for a write without the CSRF token or from a foreign
 * origin, and for anything but the password change while the password
 * must be changed). */
bool gateway_login_session(gateway_t *gw, gateway_exchange_t *exchange, const char *cookie, const char *method,
                           const char *path, gateway_session_t *session, gateway_error_t *error);
/* Writes the operation log's row for a person's write once it is answered. */
void gateway_login_log_operation(gateway_t *gw, const gateway_session_t *session, const char *action,
                                 const char *method, const char *route, const char *record, int http_status,
                                 sf_status_t status, const char *address);

/* --- gateway_admin.c ------------------------------------------------------------ */

/* Runs one of the gateway's own rpcs (KeyCreate, KeyList, KeyRevoke, WhoAmI)
 * for principal; on SF_OK *reply_p is the reply as JSON. */
sf_status_t gateway_admin_call(gateway_t *gw, const char *rpc, const gateway_principal_t *principal,
                               const ProtobufCMessage *request, cJSON **reply_p, gateway_error_t *error);
/* Reloads the keys now (under db_lock); logs a failure. */
void gateway_keys_reload(gateway_t *gw);
/* Whether the gateway's database may be used now (under db_lock): false
 * with error UNAVAILABLE and a Retry-After of a second when it is down or
 * not yet migrated. The admin and the login routes both ask it. */
bool gateway_database_ready(gateway_t *gw, gateway_error_t *error);

/* --- gateway_metrics.c ------------------------------------------------------------- */

gateway_metrics_t *gateway_metrics_new(void);
void gateway_metrics_destroy(gateway_metrics_t **self_p);
/* One HTTP request: the route's name, HTTP status, the status it stood for
 * and its latency. Thread-safe. */
void gateway_metrics_record(gateway_metrics_t *self, const char *route, int http_status, sf_status_t status,
                            double latency_ms);
/* Counts a request refused before it reached a service, by reason
 * ("unauthenticated", "rate_limited", "invalid", "too_large", "not_found"). */
void gateway_metrics_refused(gateway_metrics_t *self, const char *reason);
/* The whole /metrics page: every service's Sys.Stats and the gateway's own
 * counters. Returns a malloc'd text. */
char *gateway_metrics_page(gateway_t *gw, size_t *length_p);

/* --- gateway_static.c ------------------------------------------------------------------ */

/* Serves /openapi.json, or the workbench (/ and its files, when
 * SIFANG_GATEWAY_WORKBENCH_DIR names its build; else / is a short page
 * saying how to set it); false when there is no such file. */
bool gateway_static_serve(gateway_t *gw, gateway_exchange_t *exchange, const char *path);

/* --- gateway_open311.c ------------------------------------------------------------------ */

/* Serves /open311/v2/... and /open311/discovery.{json,xml}: false when the
 * path is not Open311's (gateway_open311.h has its parts). */
bool gateway_open311_serve(gateway_t *gw, gateway_exchange_t *exchange, const char *method, const char *path);

#endif
