/* HTTP serving: libmicrohttpd polls the connections with epoll on a few
 * threads (kept alive between requests) and gathers request bodies up to
 * the limit; a complete request is suspended and handed to a pool of
 * worker threads, so that a handler waiting on a service blocks one worker
 * and never the connections polled beside it; dispatch to health, metrics,
 * the workbench, Open311 and the REST routes, authentication and rate
 * limits, and JSON replies and errors, gzipped for a client that takes it. */
#include "gateway.h"
#include "sf_text.h"
#include "sf_textbuf.h"
#include "sf_client.h"
#include "sf_json.h"
#include "sf_log.h"
#include "sifang/v1/sys.pb-c.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_QUERY_PARAMS 64
/* Idempotency keys become part of the services' request ids (128 at most). */
#define MAX_IDEMPOTENCY_KEY 96

struct gateway_exchange_t {
    gateway_t *gw;
    struct MHD_Connection *connection;
    const char *method;
    int64_t started_ms;
    char name[192];
    sf_textbuf_t body;
    size_t declared_length;      /* Content-Length, when given */
    bool too_large;
    bool answered;
    int http_status;
    sf_status_t status;
    char request_id[40];
    const char *url;
    /* A person's request (authenticated by the session cookie): who, and
     * what the operation log will say of a write. */
    bool has_person;
    gateway_session_t person;
    char action[64];
    char record[256];
    char set_cookie[320];
    /* Answered by a worker while libmicrohttpd holds the connection
     * suspended: the response waits here until the connection resumes. */
    bool deferred;
    bool handed_over;
    struct MHD_Response *response;
    gateway_exchange_t *next_waiting;
};

/* The threads that answer requests, and the requests waiting for one. */
struct gateway_workers_t {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    gateway_exchange_t *first, *last;
    bool stopping;
    int busy;                    /* workers answering a request */
    int waiting;                 /* requests handed over, not yet taken */
    long long queued_total;      /* requests that found no worker free */
    int n_threads;
    pthread_t threads[];
};

/* Replies smaller than this go as they are: gzip's header and the
 * client's work cost more than the bytes saved. */
#define GZIP_MIN_BYTES 1024

/* --- replies ------------------------------------------------------------------ */

static void
add_common_headers(gateway_exchange_t *exchange, struct MHD_Response *response)
{
    gateway_t *gw = exchange->gw;
    if (exchange->request_id[0])
        MHD_add_response_header(response, "X-Request-Id", exchange->request_id);
    if (gw->cors_origin[0]) {
        MHD_add_response_header(response, "Access-Control-Allow-Origin", gw->cors_origin);
        MHD_add_response_header(response, "Vary", "Origin");
    }
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    if (exchange->set_cookie[0])
        MHD_add_response_header(response, MHD_HTTP_HEADER_SET_COOKIE, exchange->set_cookie);
    /* Stopping: no more requests on this connection. */
    if (atomic_load(&gw->stopping))
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
}

static void
queue(gateway_exchange_t *exchange, int http_status, struct MHD_Response *response)
{
    if (!response) {
        sf_error("cannot make a response", "reason", "out of memory");
        return;
    }
    add_common_headers(exchange, response);
    exchange->http_status = http_status;
    exchange->answered = true;
    /* Every write a person made, whatever its outcome (a refusal too),
     * written before the reply leaves: whoever sees the reply finds it. */
    if (exchange->has_person && exchange->action[0]) {
        char address[64], method[16];
        gateway_exchange_address(exchange, address, sizeof address);
        size_t length = strcspn(exchange->name, " ");
        snprintf(method, sizeof method, "%.*s", (int) (length < 15 ? length : 15), exchange->name);
        const char *route = exchange->name[length] ? exchange->name + length + 1 : "";
        gateway_login_log_operation(exchange->gw, &exchange->person, exchange->action, method, route,
                                    exchange->record, http_status, exchange->status, address);
    }
    /* A worker's answer: queued by libmicrohttpd's thread when the
     * connection resumes (on_request). */
    if (exchange->deferred) {
        exchange->response = response;
        return;
    }
    if (MHD_queue_response(exchange->connection, (unsigned) http_status, response) != MHD_YES)
        sf_debug("response not queued", "route", exchange->name);
    MHD_destroy_response(response);
}

/* --- gzip ------------------------------------------------------------------------ */

/* Whether the client takes gzip (Accept-Encoding names it, not with q=0). */
static bool
accepts_gzip(gateway_exchange_t *exchange)
{
    const char *accepted = gateway_exchange_header(exchange, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    for (const char *at = accepted; at && (at = strcasestr(at, "gzip")) != NULL; at += 4) {
        if (at != accepted && at[-1] != ' ' && at[-1] != ',')
            continue;
        const char *rest = at + 4;
        while (*rest == ' ')
            rest++;
        if (*rest != ';')
            return *rest == ',' || *rest == 0;
        const char *q = strstr(rest, "q=");
        return !(q && strtod(q + 2, NULL) <= 0);
    }
    return false;
}

/* Text compresses; images, fonts and archives are compressed already. */
static bool
compressible(const char *content_type)
{
    return strncmp(content_type, "text/", 5) == 0 || strncmp(content_type, "application/json", 16) == 0
        || strncmp(content_type, "application/javascript", 22) == 0 || strncmp(content_type, "image/svg+xml", 13) == 0;
}

bool
gateway_exchange_takes_gzip(gateway_exchange_t *exchange, const char *content_type, size_t size)
{
    return size >= GZIP_MIN_BYTES && compressible(content_type) && accepts_gzip(exchange);
}

bool
gateway_gzip(const void *data, size_t size, char **out, size_t *out_size)
{
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    /* 15 + 16: a gzip wrapper rather than zlib's; level 6, zlib's default
     * balance of time and size. */
    if (deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    size_t bound = deflateBound(&stream, (uLong) size);
    char *packed = malloc(bound);
    bool ok = packed != NULL;
    if (ok) {
        stream.next_in = (Bytef *) data;
        stream.avail_in = (uInt) size;
        stream.next_out = (Bytef *) packed;
        stream.avail_out = (uInt) bound;
        ok = deflate(&stream, Z_FINISH) == Z_STREAM_END && stream.total_out < size;
    }
    deflateEnd(&stream);
    if (!ok) {
        free(packed);
        return false;
    }
    *out = packed;
    *out_size = stream.total_out;
    return true;
}

/* A response of data (copied or kept, as for the buffer calls), gzipped
 * when the client takes it and it shrinks; with Vary: Accept-Encoding on whatever could have
 * been, so that caches keep the two apart. */
static struct MHD_Response *
response_for(gateway_exchange_t *exchange, const char *content_type, const void *data, size_t size,
             enum MHD_ResponseMemoryMode mode)
{
    char *packed = NULL;
    size_t packed_size = 0;
    struct MHD_Response *response;
    if (gateway_exchange_takes_gzip(exchange, content_type, size) && gateway_gzip(data, size, &packed, &packed_size)) {
        response = MHD_create_response_from_buffer(packed_size, packed, MHD_RESPMEM_MUST_FREE);
        if (!response)
            free(packed);
        else
            MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
        if (mode == MHD_RESPMEM_MUST_FREE)
            free((void *) data);
    } else
        response = MHD_create_response_from_buffer(size, (void *) data, mode);
    if (!response) {
        if (mode == MHD_RESPMEM_MUST_FREE && !packed)
            free((void *) data);
        return NULL;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (size >= GZIP_MIN_BYTES && compressible(content_type))
        MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    return response;
}

void
gateway_reply_text(gateway_exchange_t *exchange, int http_status, const char *content_type, const void *data,
                   size_t size, bool copy)
{
    gateway_reply_file(exchange, http_status, content_type, data, size, copy, NULL);
}

void
gateway_reply_file(gateway_exchange_t *exchange, int http_status, const char *content_type, const void *data,
                   size_t size, bool copy, const char *cache_control)
{
    gateway_reply_file_tagged(exchange, http_status, content_type, data, size, copy, cache_control, NULL);
}

void
gateway_reply_file_tagged(gateway_exchange_t *exchange, int http_status, const char *content_type,
                          const void *data, size_t size, bool copy, const char *cache_control, const char *etag)
{
    struct MHD_Response *response = response_for(exchange, content_type, data, size,
                                                 copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    if (response) {
        if (cache_control)
            MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control);
        if (etag)
            MHD_add_response_header(response, MHD_HTTP_HEADER_ETAG, etag);
    }
    queue(exchange, http_status, response);
}

void
gateway_reply_gzipped(gateway_exchange_t *exchange, int http_status, const char *content_type, const void *packed,
                      size_t size, const char *cache_control)
{
    struct MHD_Response *response = MHD_create_response_from_buffer(size, (void *) packed, MHD_RESPMEM_MUST_COPY);
    if (response) {
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
        MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
        if (cache_control)
            MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control);
    }
    queue(exchange, http_status, response);
}

static void
reply_owned(gateway_exchange_t *exchange, int http_status, const char *content_type, char *text, size_t size,
            const gateway_error_t *error)
{
    struct MHD_Response *response = response_for(exchange, content_type, text, size, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        queue(exchange, http_status, NULL);
        return;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (error && error->retry_after_s > 0) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%d", error->retry_after_s);
        MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
    }
    if (error && error->status == SF_UNAUTHENTICATED)
        MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"sifang\"");
    queue(exchange, http_status, response);
}

void
gateway_reply_owned(gateway_exchange_t *exchange, int http_status, const char *content_type, char *text, size_t size,
                    const gateway_error_t *error)
{
    if (error)
        exchange->status = error->status;
    reply_owned(exchange, http_status, content_type, text, size, error);
}

void
gateway_reply_json(gateway_exchange_t *exchange, int http_status, cJSON *json)
{
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;
    cJSON_Delete(json);
    if (!text) {
        static const char failure[] = "{\"error\":{\"status\":\"INTERNAL\",\"message\":\"out of memory\",\"violations\":[]}}";
        exchange->status = SF_INTERNAL;
        gateway_reply_text(exchange, 500, "application/json", failure, sizeof failure - 1, false);
        return;
    }
    reply_owned(exchange, http_status, "application/json; charset=utf-8", text, strlen(text), NULL);
}

void
gateway_reply_error(gateway_exchange_t *exchange, const gateway_error_t *error)
{
    exchange->status = error->status;
    cJSON *json = gateway_error_json(error);
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;
    cJSON_Delete(json);
    int http_status = gateway_error_http(error);
    if (!text) {
        static const char failure[] = "{\"error\":{\"status\":\"INTERNAL\",\"message\":\"out of memory\",\"violations\":[]}}";
        gateway_reply_text(exchange, 500, "application/json", failure, sizeof failure - 1, false);
        return;
    }
    if (http_status >= 500)
        sf_warn("request failed", "route", exchange->name, "status", sf_status_name(error->status),
                "request_id", exchange->request_id, "reason", error->message);
    else
        sf_debug("request refused", "route", exchange->name, "status", sf_status_name(error->status),
                 "request_id", exchange->request_id, "reason", error->message);
    reply_owned(exchange, http_status, "application/json; charset=utf-8", text, strlen(text), error);
}

static void
reply_status(gateway_exchange_t *exchange, sf_status_t status, int http_status, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static void
reply_status(gateway_exchange_t *exchange, sf_status_t status, int http_status, const char *format, ...)
{
    gateway_error_t error;
    gateway_error_clear(&error);
    error.status = status;
    error.http = http_status;
    va_list args;
    va_start(args, format);
    sf_text_vformat(error.message, sizeof error.message, format, args);
    va_end(args);
    gateway_reply_error(exchange, &error);
}

/* --- the exchange ------------------------------------------------------------------- */

const char *
gateway_exchange_header(gateway_exchange_t *exchange, const char *name)
{
    return MHD_lookup_connection_value(exchange->connection, MHD_HEADER_KIND, name);
}

const char *
gateway_exchange_argument(gateway_exchange_t *exchange, const char *name)
{
    return MHD_lookup_connection_value(exchange->connection, MHD_GET_ARGUMENT_KIND, name);
}

const char *
gateway_exchange_body(gateway_exchange_t *exchange, size_t *size_p)
{
    *size_p = exchange->body.length;
    return exchange->body.text ? exchange->body.text : "";
}

bool
gateway_exchange_too_large(gateway_exchange_t *exchange)
{
    return exchange->too_large;
}

void
gateway_exchange_name(gateway_exchange_t *exchange, const char *name)
{
    snprintf(exchange->name, sizeof exchange->name, "%s", name);
}

typedef struct {
    gateway_param_t *params;
    size_t max;
    size_t n;
    bool overflow;
} argument_list_t;

static enum MHD_Result
collect_argument(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void) kind;
    argument_list_t *list = cls;
    if (list->n == list->max) {
        list->overflow = true;
        return MHD_NO;
    }
    list->params[list->n++] = (gateway_param_t) { key ? key : "", value ? value : "" };
    return MHD_YES;
}

int
gateway_exchange_arguments(gateway_exchange_t *exchange, gateway_param_t *params, size_t max)
{
    argument_list_t list = { params, max, 0, false };
    MHD_get_connection_values(exchange->connection, MHD_GET_ARGUMENT_KIND, collect_argument, &list);
    return list.overflow ? -1 : (int) list.n;
}

void
gateway_exchange_set_cookie(gateway_exchange_t *exchange, const char *text)
{
    snprintf(exchange->set_cookie, sizeof exchange->set_cookie, "%s", text);
}

const char *
gateway_exchange_cookie(gateway_exchange_t *exchange, const char *name)
{
    return MHD_lookup_connection_value(exchange->connection, MHD_COOKIE_KIND, name);
}

const gateway_session_t *
gateway_exchange_person(gateway_exchange_t *exchange)
{
    return exchange->has_person ? &exchange->person : NULL;
}

void
gateway_exchange_operation(gateway_exchange_t *exchange, const char *action, const char *record)
{
    char copy[sizeof exchange->action];   /* action may be exchange->action itself */
    snprintf(copy, sizeof copy, "%s", action);
    memcpy(exchange->action, copy, sizeof copy);
    snprintf(exchange->record, sizeof exchange->record, "%.*s", (int) sf_utf8_prefix(record, 255), record);
}

bool
gateway_exchange_tls(gateway_exchange_t *exchange)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(exchange->connection, MHD_CONNECTION_INFO_PROTOCOL);
    if (info && info->protocol)   /* TLS: the gateway itself never does, but libmicrohttpd can */
        return true;
    const char *proto = exchange->gw->trusted_proxy ? gateway_exchange_header(exchange, "X-Forwarded-Proto") : NULL;
    return proto && strcasecmp(proto, "https") == 0;
}

void
gateway_exchange_address(gateway_exchange_t *exchange, char *out, size_t size)
{
    /* Behind a trusted proxy the client is the last address it appended;
     * the ones before it are whatever the client claimed. */
    const char *forwarded = exchange->gw->trusted_proxy ? gateway_exchange_header(exchange, "X-Forwarded-For") : NULL;
    if (forwarded && *forwarded) {
        const char *last = strrchr(forwarded, ',');
        last = last ? last + 1 : forwarded;
        while (*last == ' ')
            last++;
        size_t length = strcspn(last, " ");
        bool clean = length > 0 && length < 64;
        for (size_t i = 0; clean && i < length; i++)
            clean = strchr("0123456789abcdefABCDEF.:[]", last[i]) != NULL;
        if (clean) {
            snprintf(out, size, "%.*s", (int) length, last);
            return;
        }
    }
    snprintf(out, size, "?");
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(exchange->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return;
    const struct sockaddr *address = info->client_addr;
    if (address->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *) address)->sin_addr, out, (socklen_t) size);
    else if (address->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) address)->sin6_addr, out, (socklen_t) size);
}

/* --- authentication ----------------------------------------------------------------- */

bool
gateway_authenticate(gateway_t *gw, gateway_exchange_t *exchange, const char *api_key,
                     gateway_principal_t *principal, gateway_error_t *error)
{
    memset(principal, 0, sizeof *principal);
    const char *presented = NULL;
    const char *authorization = gateway_exchange_header(exchange, MHD_HTTP_HEADER_AUTHORIZATION);
    if (authorization) {
        if (strncasecmp(authorization, "Bearer ", 7) != 0) {
            gateway_error_set(error, SF_UNAUTHENTICATED, "the Authorization header must read \"Bearer <key>\"");
            gateway_metrics_refused(gw->metrics, "unauthenticated");
            return false;
        }
        presented = authorization + 7;
        while (*presented == ' ')
            presented++;
    } else if ((presented = gateway_exchange_header(exchange, "X-API-Key")) == NULL)
        presented = api_key;
    int64_t now = sf_clock_ms();
    /* A key wins over a cookie: a system's request is never a person's. */
    const char *cookie = MHD_lookup_connection_value(exchange->connection, MHD_COOKIE_KIND, GATEWAY_SESSION_COOKIE);
    if ((!presented || !*presented) && cookie) {
        if (!gateway_login_session(gw, exchange, cookie, exchange->method, exchange->url ? exchange->url : "",
                                   &exchange->person, error)) {
            gateway_metrics_refused(gw->metrics, error->status == SF_UNAUTHENTICATED ? "unauthenticated" : "denied");
            return false;
        }
        exchange->has_person = true;
        /* The gateway's own session and admin routes reach no service: they
         * need no grants, and work while grid is away. */
        const char *url = exchange->url ? exchange->url : "";
        if (strncmp(url, "/v1/session", 11) == 0 || strncmp(url, "/v1/admin/", 10) == 0) {
            const gateway_account_t *account = &exchange->person.account;
            snprintf(principal->id, sizeof principal->id, "%s%s", account->staff_id[0] ? "" : "acct:",
                     account->staff_id[0] ? account->staff_id : account->login);
            snprintf(principal->role, sizeof principal->role, "%s", account->n_roles ? account->roles[0].role : "");
            snprintf(principal->account, sizeof principal->account, "%s", account->login);
            return true;
        }
        /* The services are told the person's grants, from their duty in grid. */
        if (gateway_duty_principal(gw->duty, &exchange->person.account, principal, error) != 0) {
            gateway_metrics_refused(gw->metrics, "denied");
            return false;
        }
        return true;
    }
    if (!presented || !*presented) {
        if (!gw->anonymous) {
            gateway_error_set(error, SF_UNAUTHENTICATED,
                              "an API key is required (Authorization: Bearer <key>, or X-API-Key)");
            gateway_metrics_refused(gw->metrics, "unauthenticated");
            return false;
        }
        char address[64];
        gateway_exchange_address(exchange, address, sizeof address);
        int64_t wait = gateway_address_limits_take(&gw->anonymous_limits, address, now);
        if (wait > 0) {
            gateway_error_set(error, SF_RESOURCE_EXHAUSTED, "too many requests without a key from this address");
            error->http = 429;
            error->retry_after_s = gateway_retry_after_s(wait);
            gateway_metrics_refused(gw->metrics, "rate_limited");
            return false;
        }
        snprintf(principal->id, sizeof principal->id, "anonymous");
        snprintf(principal->role, sizeof principal->role, "%s", gw->anonymous_role);
        snprintf(principal->scope, sizeof principal->scope, "%s", gw->anonymous_scope);
        return true;
    }
    int64_t wait = 0;
    switch (gateway_keyring_check(gw->keyring, presented, now, principal, &wait)) {
    case GATEWAY_AUTH_OK:
        return true;
    case GATEWAY_AUTH_MALFORMED:
    case GATEWAY_AUTH_UNKNOWN:
        gateway_error_set(error, SF_UNAUTHENTICATED, "the API key is not valid");
        gateway_metrics_refused(gw->metrics, "unauthenticated");
        return false;
    case GATEWAY_AUTH_REVOKED:
        gateway_error_set(error, SF_UNAUTHENTICATED, "the API key has been revoked");
        gateway_metrics_refused(gw->metrics, "unauthenticated");
        return false;
    case GATEWAY_AUTH_RATE_LIMITED:
        gateway_error_set(error, SF_RESOURCE_EXHAUSTED, "rate limit of this API key exceeded");
        error->http = 429;
        error->retry_after_s = gateway_retry_after_s(wait);
        gateway_metrics_refused(gw->metrics, "rate_limited");
        return false;
    case GATEWAY_AUTH_UNAVAILABLE:
    default:
        gateway_error_set(error, SF_UNAVAILABLE, "the key store is not available yet; retry shortly");
        error->retry_after_s = 1;
        return false;
    }
}

static bool
role_in(const char *role, const char *roles)
{
    size_t length = strlen(role);
    if (!length)
        return false;
    for (const char *at = roles; (at = strstr(at, role)) != NULL; at += length)
        if ((at == roles || at[-1] == ' ') && (at[length] == 0 || at[length] == ' '))
            return true;
    return false;
}

/* --- the REST routes ------------------------------------------------------------------- */

static bool
idempotency_key_valid(const char *key)
{
    size_t length = strlen(key);
    if (length == 0 || length > MAX_IDEMPOTENCY_KEY)
        return false;
    for (const char *c = key; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
              || strchr("-_.:", *c)))
            return false;
    return true;
}

/* /v1/instances/<instance>/<path>: the route of /v1/<path>, called at that
 * instance of its service (a department's own intake,
 * "intake@civil-affairs"), with the same roles, body and reply. The
 * instance's name into instance and the path without the prefix into
 * routed; false for a path that names no instance and something after it. */
static bool
instance_path(const char *path, char *instance, size_t instance_size, char *routed, size_t routed_size)
{
    const char *name = path + strlen("/v1/instances/");
    size_t length = strcspn(name, "/");
    if (!length || length >= instance_size || !name[length] || strlen(name + length) + 4 > routed_size)
        return false;
    memcpy(instance, name, length);
    instance[length] = '\0';
    snprintf(routed, routed_size, "/v1%s", name + length);
    return true;
}

static void
serve_route(gateway_t *gw, gateway_exchange_t *exchange, const char *method, const char *path)
{
    char instance[96] = "", routed[4096];
    if (strncmp(path, "/v1/instances/", strlen("/v1/instances/")) == 0) {
        if (!instance_path(path, instance, sizeof instance, routed, sizeof routed)) {
            gateway_exchange_name(exchange, "(unknown route)");
            reply_status(exchange, SF_NOT_FOUND, 404, "no route for %s %.*s: /v1/instances/<instance>/<a route's"
                         " path without /v1>", method, (int) sf_utf8_prefix(path, 200), path);
            return;
        }
        path = routed;
    }
    gateway_match_t match;
    bool path_known = false;
    char allowed[64];
    const gateway_route_t *route = gateway_route_find(method, path, &match, &path_known, allowed, sizeof allowed);
    gateway_error_t error;
    gateway_error_clear(&error);
    if (!route) {
        gateway_metrics_refused(gw->metrics, "not_found");
        if (path_known) {
            gateway_exchange_name(exchange, "(method not allowed)");
            gateway_error_set(&error, SF_UNIMPLEMENTED, "%s is not allowed here; allowed: %s", method, allowed);
            error.http = 405;
            exchange->status = error.status;
            cJSON *json = gateway_error_json(&error);
            char *text = json ? cJSON_PrintUnformatted(json) : NULL;
            cJSON_Delete(json);
            struct MHD_Response *response = text ? MHD_create_response_from_buffer(strlen(text), text,
                                                                                    MHD_RESPMEM_MUST_FREE) : NULL;
            if (!response)
                free(text);
            else {
                MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
                MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allowed);
            }
            queue(exchange, 405, response);
            return;
        }
        gateway_exchange_name(exchange, "(unknown route)");
        reply_status(exchange, SF_NOT_FOUND, 404, "no route for %s %.*s (see /openapi.json)", method,
                     (int) sf_utf8_prefix(path, 200), path);
        return;
    }
    char name[192];
    snprintf(name, sizeof name, "%s %s%s", route->method, instance[0] ? "/v1/instances/{instance}" : "",
             instance[0] ? route->path + 3 : route->path);
    gateway_exchange_name(exchange, name);
    /* The instance the route is called at: one this gateway reaches, of the
     * route's service. */
    const char *target = route->service;
    if (instance[0]) {
        const char *service = gateway_upstream_service_of(gw->upstream, instance);
        if (!service) {
            reply_status(exchange, SF_NOT_FOUND, 404, "this gateway reaches no instance %.*s",
                         (int) sf_utf8_prefix(instance, 96), instance);
            return;
        }
        if (strcmp(service, route->service) != 0) {
            reply_status(exchange, SF_NOT_FOUND, 404, "%s is an instance of %s: it has no %s %s", instance, service,
                         route->method, route->path);
            return;
        }
        target = instance;
    }
    if (exchange->too_large) {
        gateway_metrics_refused(gw->metrics, "too_large");
        reply_status(exchange, SF_RESOURCE_EXHAUSTED, 413, "the request body exceeds the limit of %zu bytes",
                     gw->max_body);
        return;
    }
    gateway_principal_t principal;
    bool authenticated = gateway_authenticate(gw, exchange, NULL, &principal, &error);
    /* A person's write is in the operation log whatever its outcome, one
     * refused for want of grants too; its record: the path's values
     * ("370205001/S00042"). */
    if (exchange->has_person && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        char record[256] = "";
        for (size_t i = 0; i < match.n; i++)
            snprintf(record + strlen(record), sizeof record - strlen(record), "%s%s", i ? "/" : "",
                     match.values[i]);
        gateway_exchange_operation(exchange, route->rpc, record);
    }
    if (!authenticated) {
        gateway_reply_error(exchange, &error);
        return;
    }
    /* A person works at one intake: the district's, or the department's
     * instance their account names (an administrator sets it); another
     * intake instance's routes are not theirs. Keys (departments' systems)
     * keep reaching every instance, their roles checked there as here; an
     * instance of another service (the city's evaluation, evaluation@city:
     * 全市排名) is no one's place of work, its routes' roles decide. */
    if (instance[0] && principal.account[0] && strcmp(route->service, "intake") == 0
        && strcmp(principal.instance, instance) != 0) {
        const char *works_at = principal.instance[0] ? principal.instance : "the district's intake";
        reply_status(exchange, SF_PERMISSION_DENIED, 0, "this account works at %s, not %s; an administrator sets"
                     " the intake an account works at", works_at, instance);
        return;
    }
    if (route->roles && !role_in(principal.role, route->roles)) {
        reply_status(exchange, SF_PERMISSION_DENIED, 0, "role \"%s\" may not call %s %s", principal.role,
                     route->method, route->path);
        return;
    }
    const ProtobufCMethodDescriptor *rpc = gateway_route_rpc(route);
    if (!rpc) {
        reply_status(exchange, SF_UNIMPLEMENTED, 0, "%s has no method %s in this build", route->service, route->rpc);
        return;
    }
    gateway_param_t params[MAX_QUERY_PARAMS];
    int n_params = gateway_exchange_arguments(exchange, params, MAX_QUERY_PARAMS);
    if (n_params < 0) {
        gateway_metrics_refused(gw->metrics, "invalid");
        reply_status(exchange, SF_INVALID_ARGUMENT, 0, "more than %d query parameters", MAX_QUERY_PARAMS);
        return;
    }
    const char *idempotency_key = gateway_exchange_header(exchange, "Idempotency-Key");
    if (idempotency_key && !idempotency_key_valid(idempotency_key)) {
        gateway_metrics_refused(gw->metrics, "invalid");
        gateway_error_violation(&error, "Idempotency-Key", "1 to %d characters of A-Z a-z 0-9 - _ . :",
                                MAX_IDEMPOTENCY_KEY);
        gateway_reply_error(exchange, &error);
        return;
    }
    size_t body_size;
    const char *body = gateway_exchange_body(exchange, &body_size);
    ProtobufCMessage *request = gateway_route_request(route, rpc->input, &match, params, (size_t) n_params,
                                                      body, body_size, &error);
    if (!request) {
        gateway_metrics_refused(gw->metrics, "invalid");
        gateway_reply_error(exchange, &error);
        return;
    }
    if (strcmp(route->service, GATEWAY_LOCAL_SERVICE) == 0) {
        cJSON *reply = NULL;
        if (gateway_admin_call(gw, route->rpc, &principal, request, &reply, &error) == SF_OK)
            gateway_reply_json(exchange, route->success, reply);
        else
            gateway_reply_error(exchange, &error);
        protobuf_c_message_free_unpacked(request, NULL);
        return;
    }
    /* Retries of a write with the same Idempotency-Key are answered from the
     * service's store; keys are per API key or person, so two clients never
     * collide. */
    char request_id[160], namespace[48];
    if (idempotency_key)
        snprintf(request_id, sizeof request_id, "%s.%s",
                 gateway_principal_namespace(&principal, namespace, sizeof namespace), idempotency_key);
    else
        sf_request_id_new(request_id);
    /* ASCII only (a key id and an Idempotency-Key of idempotency_key_valid's
     * characters, or hex): a cut at a byte splits no character. */
    snprintf(exchange->request_id, sizeof exchange->request_id, "%.39s", request_id);
    ProtobufCMessage *reply = NULL;
    sf_status_t status = gateway_upstream_call(gw->upstream, target, route->rpc, request_id, &principal,
                                               request, &reply, &error);
    protobuf_c_message_free_unpacked(request, NULL);
    if (status != SF_OK) {
        gateway_reply_error(exchange, &error);
        return;
    }
    cJSON *json = sf_json_from_message(reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    exchange->status = SF_OK;
    /* A create names its record by what it answered with. */
    if (exchange->has_person && exchange->action[0] && !exchange->record[0]) {
        const char *names[] = { "id", "code", "case_id" };
        for (size_t i = 0; i < sizeof names / sizeof names[0] && !exchange->record[0]; i++) {
            const cJSON *value = cJSON_GetObjectItemCaseSensitive(json, names[i]);
            if (cJSON_IsString(value))
                gateway_exchange_operation(exchange, exchange->action, value->valuestring);
            else if (cJSON_IsNumber(value)) {
                char number[32];
                snprintf(number, sizeof number, "%.0f", value->valuedouble);
                gateway_exchange_operation(exchange, exchange->action, number);
            }
        }
    }
    gateway_reply_json(exchange, route->success, json);
}

/* --- health --------------------------------------------------------------------------- */

static void
serve_healthz(gateway_t *gw, gateway_exchange_t *exchange)
{
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "status", "ok");
    cJSON_AddNumberToObject(json, "uptime_ms", (double) (sf_clock_ms() - gw->started_ms));
    gateway_reply_json(exchange, 200, json);
}

static void
serve_readyz(gateway_t *gw, gateway_exchange_t *exchange)
{
    size_t n = gateway_upstream_count(gw->upstream);
    ProtobufCMessage *replies[GATEWAY_UPSTREAM_MAX] = { NULL };
    gateway_upstream_ask_all(gw->upstream, "Sys.Ping", 1000, replies);
    pthread_mutex_lock(&gw->db_lock);
    bool database_up = sf_db_is_up(gw->db) && gw->db_migrated;
    pthread_mutex_unlock(&gw->db_lock);
    bool keys_loaded = gateway_keyring_loaded(gw->keyring);
    bool ready = database_up && keys_loaded;
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "database", database_up ? "up" : "down");
    cJSON_AddBoolToObject(json, "keys_loaded", keys_loaded);
    cJSON *services = cJSON_AddObjectToObject(json, "services");
    for (size_t i = 0; i < n; i++) {
        cJSON *service = cJSON_AddObjectToObject(services, gateway_upstream_name(gw->upstream, i));
        Sifang__V1__PingReply *ping = (Sifang__V1__PingReply *) replies[i];
        cJSON_AddBoolToObject(service, "reachable", ping != NULL);
        if (ping) {
            cJSON_AddStringToObject(service, "instance", ping->instance);
            cJSON_AddBoolToObject(service, "database_up", ping->database_up);
            cJSON_AddNumberToObject(service, "event_head", (double) ping->event_head);
        }
        ready = ready && ping && ping->database_up;
        if (replies[i])
            protobuf_c_message_free_unpacked(replies[i], NULL);
    }
    cJSON_AddBoolToObject(json, "ready", ready);
    exchange->status = ready ? SF_OK : SF_UNAVAILABLE;
    gateway_reply_json(exchange, ready ? 200 : 503, json);
}

static void
serve_metrics(gateway_t *gw, gateway_exchange_t *exchange)
{
    size_t length = 0;
    char *page = gateway_metrics_page(gw, &length);
    if (!page) {
        reply_status(exchange, SF_INTERNAL, 0, "out of memory");
        return;
    }
    exchange->status = SF_OK;
    reply_owned(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", page, length, NULL);
}

static void
serve_preflight(gateway_t *gw, gateway_exchange_t *exchange)
{
    struct MHD_Response *response = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
    if (response && gw->cors_origin[0]) {
        MHD_add_response_header(response, "Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS");
        MHD_add_response_header(response, "Access-Control-Allow-Headers",
                                "Authorization, X-API-Key, Content-Type, Idempotency-Key");
        MHD_add_response_header(response, "Access-Control-Max-Age", "600");
    }
    exchange->status = SF_OK;
    queue(exchange, 204, response);
}

/* --- dispatch ----------------------------------------------------------------------------- */

static void
dispatch(gateway_t *gw, gateway_exchange_t *exchange, const char *url, const char *method)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (strcmp(method, "OPTIONS") == 0 && gw->cors_origin[0]) {
        gateway_exchange_name(exchange, "OPTIONS (preflight)");
        serve_preflight(gw, exchange);
        return;
    }
    if (strncmp(url, "/v1/", 4) == 0) {
        if (gateway_login_serve(gw, exchange, method, url))
            return;
        serve_route(gw, exchange, method, url);
        return;
    }
    if (gateway_open311_serve(gw, exchange, method, url))
        return;
    if (exchange->too_large) {
        reply_status(exchange, SF_RESOURCE_EXHAUSTED, 413, "the request body exceeds the limit of %zu bytes",
                     gw->max_body);
        return;
    }
    if (get && strcmp(url, "/healthz") == 0) {
        gateway_exchange_name(exchange, "GET /healthz");
        serve_healthz(gw, exchange);
        return;
    }
    if (get && strcmp(url, "/readyz") == 0) {
        gateway_exchange_name(exchange, "GET /readyz");
        serve_readyz(gw, exchange);
        return;
    }
    if (get && strcmp(url, "/metrics") == 0) {
        gateway_exchange_name(exchange, "GET /metrics");
        serve_metrics(gw, exchange);
        return;
    }
    if (get && gateway_static_serve(gw, exchange, url))
        return;
    gateway_exchange_name(exchange, "(unknown route)");
    gateway_metrics_refused(gw->metrics, "not_found");
    reply_status(exchange, SF_NOT_FOUND, 404, "nothing at %s %.*s", method, (int) sf_utf8_prefix(url, 200), url);
}

/* --- workers ----------------------------------------------------------------------------- */

/* Each worker answers one request at a time, from the first waiting:
 * whatever it waits on (a service, the database) holds that request
 * alone, while libmicrohttpd keeps reading and writing every other
 * connection. When it has answered, the connection resumes and
 * libmicrohttpd's thread sends the response. */
static void *
worker_run(void *arg)
{
    gateway_t *gw = arg;
    gateway_workers_t *workers = gw->workers;
    for (;;) {
        pthread_mutex_lock(&workers->lock);
        while (!workers->first && !workers->stopping)
            pthread_cond_wait(&workers->wake, &workers->lock);
        gateway_exchange_t *exchange = workers->first;
        if (!exchange) {   /* stopping, and nothing left waiting */
            pthread_mutex_unlock(&workers->lock);
            return NULL;
        }
        workers->first = exchange->next_waiting;
        if (!workers->first)
            workers->last = NULL;
        workers->waiting--;
        workers->busy++;
        pthread_mutex_unlock(&workers->lock);
        exchange->deferred = true;
        dispatch(gw, exchange, exchange->url, exchange->method);
        MHD_resume_connection(exchange->connection);
        pthread_mutex_lock(&workers->lock);
        workers->busy--;
        pthread_mutex_unlock(&workers->lock);
    }
}

/* false once the workers are stopping: the caller answers itself. */
static bool
workers_hand_over(gateway_workers_t *workers, gateway_exchange_t *exchange)
{
    pthread_mutex_lock(&workers->lock);
    if (workers->stopping) {
        pthread_mutex_unlock(&workers->lock);
        return false;
    }
    if (workers->busy + workers->waiting >= workers->n_threads)
        workers->queued_total++;
    workers->waiting++;
    exchange->next_waiting = NULL;
    if (workers->last)
        workers->last->next_waiting = exchange;
    else
        workers->first = exchange;
    workers->last = exchange;
    pthread_cond_signal(&workers->wake);
    pthread_mutex_unlock(&workers->lock);
    return true;
}

static int
workers_start(gateway_t *gw, char *error, size_t error_size)
{
    gateway_workers_t *workers = calloc(1, sizeof *workers + (size_t) gw->threads * sizeof(pthread_t));
    if (!workers) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    pthread_mutex_init(&workers->lock, NULL);
    pthread_cond_init(&workers->wake, NULL);
    gw->workers = workers;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    /* As libmicrohttpd's threads had: handlers keep buffers on the stack. */
    pthread_attr_setstacksize(&attributes, (size_t) 1024 * 1024);
    for (int i = 0; i < gw->threads; i++) {
        if (pthread_create(&workers->threads[i], &attributes, worker_run, gw) != 0) {
            snprintf(error, error_size, "cannot start worker thread %d of %d", i + 1, gw->threads);
            break;
        }
        workers->n_threads++;
    }
    pthread_attr_destroy(&attributes);
    return workers->n_threads == gw->threads ? 0 : -1;
}

void
gateway_workers_load(gateway_t *gw, gateway_workers_load_t *load)
{
    gateway_workers_t *workers = gw->workers;
    memset(load, 0, sizeof *load);
    if (!workers)
        return;
    pthread_mutex_lock(&workers->lock);
    load->threads = workers->n_threads;
    load->busy = workers->busy;
    load->waiting = workers->waiting;
    load->queued_total = workers->queued_total;
    pthread_mutex_unlock(&workers->lock);
}

/* Lets the workers answer what is waiting, then ends them; requests
 * after that are answered by libmicrohttpd's threads (on_request) until
 * the daemon stops, so the pool is freed only after it (workers_free). */
static void
workers_stop(gateway_t *gw)
{
    gateway_workers_t *workers = gw->workers;
    if (!workers)
        return;
    pthread_mutex_lock(&workers->lock);
    workers->stopping = true;
    pthread_cond_broadcast(&workers->wake);
    pthread_mutex_unlock(&workers->lock);
    for (int i = 0; i < workers->n_threads; i++)
        pthread_join(workers->threads[i], NULL);
    workers->n_threads = 0;
}

static void
workers_free(gateway_t *gw)
{
    gateway_workers_t *workers = gw->workers;
    if (!workers)
        return;
    pthread_cond_destroy(&workers->wake);
    pthread_mutex_destroy(&workers->lock);
    free(workers);
    gw->workers = NULL;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) version;
    gateway_t *gw = cls;
    gateway_exchange_t *exchange = *con_cls;
    if (!exchange) {
        exchange = calloc(1, sizeof *exchange);
        if (!exchange)
            return MHD_NO;
        exchange->gw = gw;
        exchange->connection = connection;
        exchange->method = method;
        exchange->url = url;
        exchange->started_ms = sf_clock_ms();
        exchange->status = SF_OK;
        snprintf(exchange->name, sizeof exchange->name, "(unknown route)");
        sf_textbuf_init(&exchange->body);
        atomic_fetch_add(&gw->in_flight, 1);
        *con_cls = exchange;
        const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length) {
            char *end = NULL;
            errno = 0;
            unsigned long long declared = strtoull(length, &end, 10);
            if (errno == 0 && end && !*end && declared > gw->max_body)
                exchange->too_large = true;
        }
        /* A body declared too large is refused before it is read (and
         * before a "100 Continue" would invite it). */
        if (exchange->too_large) {
            dispatch(gw, exchange, url, method);
            return MHD_YES;
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!exchange->too_large) {
            if (exchange->body.length + *upload_data_size > gw->max_body) {
                exchange->too_large = true;
                sf_textbuf_release(&exchange->body);
            } else
                sf_textbuf_append(&exchange->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* Back from a worker: its response, or none (close the connection). */
    if (exchange->handed_over) {
        struct MHD_Response *response = exchange->response;
        exchange->response = NULL;
        exchange->deferred = false;
        if (!response)
            return MHD_NO;
        enum MHD_Result queued = MHD_queue_response(connection, (unsigned) exchange->http_status, response);
        MHD_destroy_response(response);
        if (queued != MHD_YES)
            sf_debug("response not queued", "route", exchange->name);
        return queued;
    }
    if (exchange->answered)
        return MHD_YES;
    if (exchange->body.failed) {
        reply_status(exchange, SF_RESOURCE_EXHAUSTED, 503, "out of memory reading the request");
        return MHD_YES;
    }
    exchange->handed_over = true;
    MHD_suspend_connection(connection);
    if (!workers_hand_over(gw->workers, exchange)) {
        /* Stopping: the workers are gone, this thread answers as one. */
        exchange->deferred = true;
        dispatch(gw, exchange, url, method);
        MHD_resume_connection(connection);
    }
    return MHD_YES;
}

static void
on_completed(void *cls, struct MHD_Connection *connection, void **con_cls, enum MHD_RequestTerminationCode code)
{
    (void) connection;
    gateway_t *gw = cls;
    gateway_exchange_t *exchange = *con_cls;
    if (!exchange)
        return;
    if (exchange->response)   /* answered, but the connection went first */
        MHD_destroy_response(exchange->response);
    if (exchange->answered)
        gateway_metrics_record(gw->metrics, exchange->name, exchange->http_status, exchange->status,
                               (double) (sf_clock_ms() - exchange->started_ms));

    else if (code != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        sf_debug("request not completed", "route", exchange->name);
    sf_textbuf_release(&exchange->body);
    free(exchange);
    *con_cls = NULL;
    atomic_fetch_sub(&gw->in_flight, 1);
}

static void
on_mhd_log(void *cls, const char *format, va_list args)
{
    (void) cls;
    char text[512];
    sf_text_vformat(text, sizeof text, format, args);   /* it may quote a request's URL */
    size_t length = strlen(text);
    while (length && (text[length - 1] == '\n' || text[length - 1] == ' '))
        text[--length] = 0;
    sf_debug("libmicrohttpd", "detail", text);
}

/* --- start and stop ---------------------------------------------------------------------------- */

static int
hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes %HH in the path and the query as libmicrohttpd would, except
 * that %00 becomes GATEWAY_NUL_MARK instead of a NUL byte: a NUL would end
 * the C string there ("/units/370205%00zzz" would read unit 370205), the
 * mark stays visible to gateway_route_request, which refuses it naming the
 * parameter. Never longer than what it decodes, as the option requires. */
static size_t
unescape_keeping_nul(void *cls, struct MHD_Connection *connection, char *text)
{
    (void) cls;
    (void) connection;
    char *out = text;
    for (const char *in = text; *in; in++) {
        int high, low;
        if (*in == '%' && (high = hex_digit(in[1])) >= 0 && (low = hex_digit(in[2])) >= 0) {
            char byte = (char) (high * 16 + low);
            if (byte == 0) {
                memcpy(out, GATEWAY_NUL_MARK, sizeof GATEWAY_NUL_MARK - 1);
                out += sizeof GATEWAY_NUL_MARK - 1;
            } else
                *out++ = byte;
            in += 2;
        } else
            *out++ = *in;
    }
    *out = 0;
    return (size_t) (out - text);
}

static int
resolve_address(const char *address, struct sockaddr_storage *out, char *error, size_t error_size)
{
    char host[128];
    const char *colon = strrchr(address, ':');
    if (!colon || colon == address || !colon[1]) {
        snprintf(error, error_size, "the HTTP address must read host:port, not \"%s\"", address);
        return -1;
    }
    const char *host_start = address;
    size_t host_length = (size_t) (colon - address);
    if (host_start[0] == '[' && host_length >= 2 && host_start[host_length - 1] == ']') {
        host_start++;
        host_length -= 2;
    }
    snprintf(host, sizeof host, "%.*s", (int) host_length, host_start);
    struct addrinfo hints, *found = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    int rc = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, colon + 1, &hints, &found);
    if (rc != 0 || !found) {
        snprintf(error, error_size, "cannot resolve %s: %s", address, gai_strerror(rc));
        return -1;
    }
    memset(out, 0, sizeof *out);
    memcpy(out, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    return 0;
}

int
gateway_http_start(gateway_t *gw, char *error, size_t error_size)
{
    struct sockaddr_storage address;
    if (resolve_address(gw->http_address, &address, error, error_size) != 0)
        return -1;
    if (workers_start(gw, error, error_size) != 0) {
        workers_stop(gw);
        workers_free(gw);
        return -1;
    }
    /* epoll on a few threads of libmicrohttpd's own, each polling its share
     * of the connections; requests are answered by the workers, with the
     * connection suspended meanwhile. */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (address.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    uint16_t port = address.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *) &address)->sin6_port)
                                                  : ntohs(((struct sockaddr_in *) &address)->sin_port);
    gw->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, gw,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &address,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, gw,
                                  MHD_OPTION_THREAD_POOL_SIZE, (unsigned) gw->poll_threads,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned) gw->max_connections,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 60,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 64 * 1024,
                                  MHD_OPTION_THREAD_STACK_SIZE, (size_t) 1024 * 1024,
                                  MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned) 1024,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                  MHD_OPTION_UNESCAPE_CALLBACK, unescape_keeping_nul, NULL,
                                  MHD_OPTION_END);
    if (!gw->daemon) {
        snprintf(error, error_size, "cannot listen on %s (in use, or not an address of this host)",
                 gw->http_address);
        workers_stop(gw);
        workers_free(gw);
        return -1;
    }
    /* Port 0 binds a port the kernel chooses: the address then names it, so
     * that the "serving" line says where the gateway really listens (tests
     * bind port 0 and read it there instead of picking a port that another
     * process can take first). */
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(gw->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info && info->port != 0 && info->port != port) {
        const char *colon = strrchr(gw->http_address, ':');
        char bound[sizeof gw->http_address];
        snprintf(bound, sizeof bound, "%.*s:%u", (int) (colon - gw->http_address), gw->http_address,
                 (unsigned) info->port);
        snprintf(gw->http_address, sizeof gw->http_address, "%s", bound);
    }
    return 0;
}

void
gateway_http_stop(gateway_t *gw)
{
    if (!gw->daemon)
        return;
    atomic_store(&gw->stopping, true);
    MHD_socket listener = MHD_quiesce_daemon(gw->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    int64_t until = sf_clock_ms() + gw->drain_ms;
    while (atomic_load(&gw->in_flight) > 0 && sf_clock_ms() < until) {
        struct timespec pause = { 0, 10 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    int left = atomic_load(&gw->in_flight);
    if (left > 0) {
        char count[16];
        snprintf(count, sizeof count, "%d", left);
        sf_warn("requests still in flight at the end of the drain; closing them", "requests", count);
    }
    /* The workers finish what they hold while the connections still exist. */
    workers_stop(gw);
    MHD_stop_daemon(gw->daemon);
    gw->daemon = NULL;
    workers_free(gw);
}
