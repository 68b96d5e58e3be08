/* The routes of personal accounts: login, logout, who am I, the password
 * change and one's own sessions (/v1/session...), and the administrators'
 * accounts, people online and the two logs (/v1/admin/...). They are served
 * here, before the route table, because they set and read the session
 * cookie; gateway_fixed_routes lists them for the OpenAPI document.
 *
 * Also here: authenticating a request by its session cookie, with the
 * cross-site checks a cookie needs (a browser sends it with any site's
 * request, so a write must come from our own origin and carry the CSRF
 * token), and the operation log's row of a person's write. */
#include "gateway.h"
#include "sf_log.h"
#include "sf_text.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one answer to every failed login, whatever the reason, so that it
 * tells nothing of whether the account exists, is disabled or locked. */
#define LOGIN_REFUSED "login or password is wrong"
#define MUST_CHANGE "password must be changed"

typedef struct {
    gateway_t *gw;
    gateway_exchange_t *exchange;
    gateway_match_t match;
    const gateway_session_t *person;     /* NULL: a key's request */
    gateway_principal_t principal;
    cJSON *body;                         /* parsed, for routes that take one */
    gateway_error_t error;
} request_t;

typedef void handler_fn(request_t *request);

typedef enum { FOR_ANYONE, FOR_PERSON, FOR_ADMIN } audience_t;

typedef struct {
    const char *method;
    const char *path;
    audience_t audience;
    const char *action;      /* the operation log's name of a write */
    bool body;
    handler_fn *handler;
} login_route_t;

/* --- small helpers ------------------------------------------------------------------- */

/* Runs under the database lock; false with error when it is down. */
#define LOCKED(gw, error, ...)                                 \
    do {                                                       \
        pthread_mutex_lock(&(gw)->db_lock);                    \
        if (gateway_database_ready((gw), (error))) {           \
            __VA_ARGS__;                                       \
        }                                                      \
        pthread_mutex_unlock(&(gw)->db_lock);                  \
    } while (0)

static void
reply(request_t *request, int http_status, cJSON *json)
{
    if (request->error.status != SF_OK) {
        cJSON_Delete(json);
        gateway_reply_error(request->exchange, &request->error);
    } else
        gateway_reply_json(request->exchange, http_status, json);
}

static void
cookie_header(gateway_t *gw, gateway_exchange_t *exchange, const char *token, char *out, size_t size)
{
    bool secure = gw->cookie_secure || gateway_exchange_tls(exchange);
    if (token)
        snprintf(out, size, GATEWAY_SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s", token,
                 secure ? "; Secure" : "");
    else
        snprintf(out, size, GATEWAY_SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
                 secure ? "; Secure" : "");
}

/* The person's view of their session (login, GET /v1/session, password):
 * with the intake they work at (instance, "" the district's) and the intake
 * instances this gateway reaches (the workbench names them). */
static cJSON *
session_json(gateway_t *gw, const gateway_session_t *session, const char *token)
{
    const gateway_account_t *account = &session->account;
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "account", account->login);
    cJSON_AddStringToObject(json, "display_name", account->display_name);
    cJSON_AddStringToObject(json, "staff_id", account->staff_id);
    cJSON_AddStringToObject(json, "department_code", account->department_code);
    cJSON_AddStringToObject(json, "instance", account->instance);
    cJSON *instances = cJSON_AddArrayToObject(json, "instances");
    for (size_t i = 0; i < gateway_upstream_count(gw->upstream); i++) {
        const char *name = gateway_upstream_name(gw->upstream, i);
        const char *service = gateway_upstream_service_of(gw->upstream, name);
        if (service && strcmp(service, "intake") == 0)
            cJSON_AddItemToArray(instances, cJSON_CreateString(name));
    }
    cJSON_AddItemToObject(json, "roles", gateway_account_role_names(account));
    cJSON_AddBoolToObject(json, "must_change_password", account->must_change_password);
    char csrf[GATEWAY_SESSION_TOKEN_MAX];
    gateway_session_csrf(token, csrf);
    cJSON_AddStringToObject(json, "csrf_token", csrf);
    cJSON_AddStringToObject(json, "session_id", session->id);
    cJSON_AddNumberToObject(json, "idle_expires_unix_ms", (double) session->idle_expires_ms);
    cJSON_AddNumberToObject(json, "expires_unix_ms", (double) session->expires_ms);
    return json;
}

static const char *
body_string(request_t *request, const char *name, bool required)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(request->body, name);
    if (cJSON_IsString(item))
        return item->valuestring;
    if (item || required)
        gateway_error_violation(&request->error, name, item ? "must be a string" : "required");
    return NULL;
}

static bool
body_only(request_t *request, const char *const *names)
{
    const cJSON *member;
    cJSON_ArrayForEach(member, request->body) {
        bool known = false;
        for (const char *const *name = names; *name && !known; name++)
            known = strcmp(*name, member->string) == 0;
        if (!known)
            gateway_error_violation(&request->error, member->string, "unknown field");
    }
    return request->error.n_violations == 0;
}

static const char *
path_value(request_t *request, size_t i)
{
    return i < request->match.n ? request->match.values[i] : "";
}

/* --- authentication by cookie ------------------------------------------------------------ */

/* Whether text names one of the origins we trust for writes: our own (the
 * scheme the client used and its Host) or one in SIFANG_GATEWAY_ORIGINS.
 * With prefix, text may go on with a path after the origin (a Referer). */
static bool
origin_trusted(gateway_t *gw, gateway_exchange_t *exchange, const char *text, bool prefix)
{
    char own[320];
    const char *host = gateway_exchange_header(exchange, MHD_HTTP_HEADER_HOST);
    snprintf(own, sizeof own, "%s://%s", gateway_exchange_tls(exchange) ? "https" : "http", host ? host : "");
    const char *candidates = gw->origins;
    const char *origin = host ? own : NULL;
    for (;;) {
        if (origin) {
            size_t length = strcspn(origin, " ");
            if (length && strncmp(text, origin, length) == 0
                && (text[length] == 0 || (prefix && text[length] == '/')))
                return true;
        }
        while (*candidates == ' ')
            candidates++;
        if (!*candidates)
            return false;
        origin = candidates;
        candidates += strcspn(candidates, " ");
    }
}

static bool
is_write(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && strcmp(method, "OPTIONS") != 0;
}

bool
gateway_login_session(gateway_t *gw, gateway_exchange_t *exchange, const char *cookie, const char *method,
                      const char *path, gateway_session_t *session, gateway_error_t *error)
{
    uint8_t hash[GATEWAY_SESSION_HASH_SIZE];
    if (gateway_session_token_hash(cookie, hash) != 0) {
        gateway_error_set(error, SF_UNAUTHENTICATED, "the session is not valid; log in again");
        return false;
    }
    gateway_session_state_t state = GATEWAY_SESSION_UNAVAILABLE;
    LOCKED(gw, error, state = gateway_sessions_resolve(gw->db, hash, gw->session_idle_ms, session));
    switch (state) {
    case GATEWAY_SESSION_ALIVE:
        break;
    case GATEWAY_SESSION_EXPIRED:
        gateway_error_set(error, SF_UNAUTHENTICATED, "the session has expired; log in again");
        return false;
    case GATEWAY_SESSION_UNKNOWN:
        gateway_error_set(error, SF_UNAUTHENTICATED, "the session is not valid; log in again");
        return false;
    case GATEWAY_SESSION_UNAVAILABLE:
    default:
        if (error->status == SF_OK)
            gateway_error_set(error, SF_UNAVAILABLE, "the gateway's database is unavailable; retry later");
        return false;
    }
    if (!session->account.enabled) {
        /* Disabling ends the sessions; one begun in between ends here. */
        LOCKED(gw, error, gateway_sessions_end_token(gw->db, hash, "disabled"));
        gateway_error_set(error, SF_UNAUTHENTICATED, "the session is not valid; log in again");
        return false;
    }
    if (is_write(method)) {
        const char *origin = gateway_exchange_header(exchange, "Origin");
        const char *referer = gateway_exchange_header(exchange, "Referer");
        bool same_site = origin ? origin_trusted(gw, exchange, origin, false)
                                : referer && origin_trusted(gw, exchange, referer, true);
        if (!same_site) {
            gateway_error_set(error, SF_PERMISSION_DENIED,
                              "a write with a session cookie must come from the gateway's own pages (Origin)");
            return false;
        }
        if (!gateway_session_csrf_matches(cookie, gateway_exchange_header(exchange, "X-CSRF-Token"))) {
            gateway_error_set(error, SF_PERMISSION_DENIED,
                              "a write with a session cookie needs the session's X-CSRF-Token header");
            return false;
        }
    }
    if (session->account.must_change_password
        && !((strcmp(method, "GET") == 0 && strcmp(path, "/v1/session") == 0)
             || (strcmp(method, "DELETE") == 0 && strcmp(path, "/v1/session") == 0)
             || (strcmp(method, "POST") == 0 && strcmp(path, "/v1/session/password") == 0))) {
        gateway_error_set(error, SF_PERMISSION_DENIED, MUST_CHANGE);
        return false;
    }
    return true;
}

void
gateway_login_log_operation(gateway_t *gw, const gateway_session_t *session, const char *action, const char *method,
                            const char *route, const char *record, int http_status, sf_status_t status,
                            const char *address)
{
    gateway_operation_t operation = {
        .login = session->account.login, .staff_id = session->account.staff_id, .action = action,
        .method = method, .route = route, .record = record, .http_status = http_status,
        .status = sf_status_name(status), .address = address,
    };
    gateway_error_t error;
    gateway_error_clear(&error);
    LOCKED(gw, &error, gateway_operation_log_write(gw->db, &operation));
    if (error.status != SF_OK)
        sf_warn("operation not logged", "account", session->account.login, "action", action, "reason",
                error.message);
}

/* --- the person's routes ---------------------------------------------------------------- */

static void
login_log(request_t *request, const char *typed, const char *result)
{
    char address[64];
    gateway_exchange_address(request->exchange, address, sizeof address);
    const char *agent = gateway_exchange_header(request->exchange, MHD_HTTP_HEADER_USER_AGENT);
    gateway_error_t error;
    gateway_error_clear(&error);
    LOCKED(request->gw, &error, gateway_login_log_write(request->gw->db, typed, address, agent, result));
}

static void
login(request_t *request)
{
    gateway_t *gw = request->gw;
    static const char *const fields[] = { "login", "password", NULL };
    const char *typed = body_string(request, "login", true);
    const char *password = body_string(request, "password", true);
    if (!body_only(request, fields) || !typed || !password || strlen(password) > GATEWAY_PASSWORD_MAX_BYTES) {
        if (password && strlen(password) > GATEWAY_PASSWORD_MAX_BYTES)
            gateway_error_violation(&request->error, "password", "too long");
        reply(request, 0, NULL);
        return;
    }
    char address[64];
    gateway_exchange_address(request->exchange, address, sizeof address);
    /* Both buckets are taken from whatever the outcome, and the name's bucket
     * is the typed name's whether an account has it or not. */
    char folded[64];
    snprintf(folded, sizeof folded, "%.*s", (int) sf_utf8_prefix(typed, 63), typed);
    for (char *c = folded; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char) (*c - 'A' + 'a');
    int64_t now = sf_clock_ms();
    int64_t wait_address = gateway_address_limits_take(&gw->login_address_limits, address, now);
    int64_t wait_account = gateway_address_limits_take(&gw->login_account_limits, folded, now);
    if (wait_address > 0 || wait_account > 0) {
        login_log(request, typed, "throttled");
        gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "too many login attempts; wait and retry");
        request->error.http = 429;
        request->error.retry_after_s = gateway_retry_after_s(wait_address > wait_account ? wait_address : wait_account);
        reply(request, 0, NULL);
        return;
    }
    /* Fixation: whatever session the browser brought is ended, and the new
     * one has a new token. */
    const char *old_cookie = gateway_exchange_cookie(request->exchange, GATEWAY_SESSION_COOKIE);
    uint8_t old_hash[GATEWAY_SESSION_HASH_SIZE];
    if (old_cookie && gateway_session_token_hash(old_cookie, old_hash) == 0)
        LOCKED(gw, &request->error, gateway_sessions_end_token(gw->db, old_hash, "replaced"));
    gateway_account_t *account = calloc(1, sizeof *account);
    char hash[GATEWAY_PASSWORD_HASH_SIZE] = "";
    sf_status_t found = SF_UNAVAILABLE;
    if (account)
        LOCKED(gw, &request->error, found = gateway_accounts_get(gw->db, typed, account, hash, &request->error));
    if (found != SF_OK && found != SF_NOT_FOUND) {
        free(account);
        reply(request, 0, NULL);
        return;
    }
    gateway_error_clear(&request->error);
    /* An unknown name costs the same hashing as a known one. */
    bool matches = gateway_password_verify(found == SF_OK ? hash : gateway_password_dummy_hash(), password);
    const char *result = "ok";
    if (found != SF_OK)
        result = "bad_credentials";
    else if (!account->enabled)
        result = "disabled";
    else if (account->locked_until_ms > sf_now_ms())
        result = "locked";
    else if (!matches)
        result = "bad_credentials";
    if (strcmp(result, "ok") != 0) {
        if (found == SF_OK && account->enabled && strcmp(result, "bad_credentials") == 0)
            LOCKED(gw, &request->error,
                   gateway_accounts_login_failed(gw->db, account->login, gw->login_failures, gw->lockout_ms));
        gateway_error_clear(&request->error);
        login_log(request, typed, result);
        free(account);
        gateway_error_set(&request->error, SF_UNAUTHENTICATED, LOGIN_REFUSED);
        reply(request, 0, NULL);
        return;
    }
    /* A hash made with weaker limits than today's is made again now, while
     * the password is at hand. */
    char rehashed[GATEWAY_PASSWORD_HASH_SIZE] = "";
    if (gateway_password_needs_rehash(hash) && gateway_password_hash(password, rehashed) != 0)
        rehashed[0] = 0;
    char token[GATEWAY_SESSION_TOKEN_MAX];
    uint8_t token_hash[GATEWAY_SESSION_HASH_SIZE];
    gateway_session_token_new(token, token_hash);
    gateway_session_t *session = calloc(1, sizeof *session);
    sf_status_t made = SF_UNAVAILABLE;
    char address_text[64];
    gateway_exchange_address(request->exchange, address_text, sizeof address_text);
    const char *agent = gateway_exchange_header(request->exchange, MHD_HTTP_HEADER_USER_AGENT);
    if (session)
        LOCKED(gw, &request->error, {
            gateway_accounts_login_succeeded(gw->db, account->login);
            if (rehashed[0])
                SF_IGNORE(gateway_accounts_set_password(gw->db, account->login, rehashed,
                                                        account->must_change_password, &request->error));
            gateway_error_clear(&request->error);
            made = gateway_sessions_create(gw->db, account->login, token_hash, gw->session_idle_ms,
                                           gw->session_max_ms, address_text, agent, session, &request->error);
        });
    if (made == SF_OK) {
        login_log(request, account->login, account->must_change_password ? "must_change" : "ok");
        char cookie[320];
        cookie_header(gw, request->exchange, token, cookie, sizeof cookie);
        gateway_exchange_set_cookie(request->exchange, cookie);
        sf_info("login", "account", account->login, "session", session->id);
        reply(request, 200, session_json(gw, session, token));
    } else {
        if (request->error.status == SF_OK)
            gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "out of memory");
        reply(request, 0, NULL);
    }
    sodium_memzero(token, sizeof token);
    free(session);
    free(account);
}

static void
session_get(request_t *request)
{
    const char *cookie = gateway_exchange_cookie(request->exchange, GATEWAY_SESSION_COOKIE);
    reply(request, 200, session_json(request->gw, request->person, cookie ? cookie : ""));
}

static void
logout(request_t *request)
{
    gateway_t *gw = request->gw;
    LOCKED(gw, &request->error,
           SF_IGNORE(gateway_sessions_end(gw->db, request->person->id, NULL, "logout", &request->error)));
    gateway_exchange_operation(request->exchange, "SessionEnd", request->person->id);
    if (request->error.status == SF_OK || request->error.status == SF_NOT_FOUND) {
        gateway_error_clear(&request->error);
        char cookie[320];
        cookie_header(gw, request->exchange, NULL, cookie, sizeof cookie);
        gateway_exchange_set_cookie(request->exchange, cookie);
        cJSON *json = cJSON_CreateObject();
        cJSON_AddStringToObject(json, "ended", request->person->id);
        reply(request, 200, json);
        return;
    }
    reply(request, 0, NULL);
}

static void
password_change(request_t *request)
{
    gateway_t *gw = request->gw;
    const gateway_account_t *account = &request->person->account;
    static const char *const fields[] = { "old_password", "new_password", NULL };
    const char *old = body_string(request, "old_password", true);
    const char *new_password = body_string(request, "new_password", true);
    if (!body_only(request, fields) || !old || !new_password) {
        reply(request, 0, NULL);
        return;
    }
    const char *problem = gateway_password_problem(new_password, account->login, old);
    if (problem) {
        gateway_error_violation(&request->error, "new_password", "%s", problem);
        reply(request, 0, NULL);
        return;
    }
    gateway_account_t *current = calloc(1, sizeof *current);
    char hash[GATEWAY_PASSWORD_HASH_SIZE] = "";
    if (!current) {
        gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "out of memory");
        reply(request, 0, NULL);
        return;
    }
    LOCKED(gw, &request->error,
           SF_IGNORE(gateway_accounts_get(gw->db, account->login, current, hash, &request->error)));
    free(current);
    if (request->error.status != SF_OK) {
        reply(request, 0, NULL);
        return;
    }
    if (!gateway_password_verify(hash, old)) {
        gateway_error_violation(&request->error, "old_password", "is not the current password");
        reply(request, 0, NULL);
        return;
    }
    char new_hash[GATEWAY_PASSWORD_HASH_SIZE];
    if (gateway_password_hash(new_password, new_hash) != 0) {
        gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "cannot hash the password (out of memory)");
        reply(request, 0, NULL);
        return;
    }
    gateway_session_t *session = calloc(1, sizeof *session);
    if (!session) {
        gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "out of memory");
        reply(request, 0, NULL);
        return;
    }
    *session = *request->person;
    /* The other sessions may be someone who had the old password. */
    LOCKED(gw, &request->error, {
        if (gateway_accounts_set_password(gw->db, account->login, new_hash, false, &request->error) == SF_OK
            && gateway_sessions_end_all(gw->db, account->login, session->id, "password_changed", &request->error)
                   == SF_OK)
            SF_IGNORE(gateway_accounts_get(gw->db, account->login, &session->account, NULL, &request->error));
    });
    const char *cookie = gateway_exchange_cookie(request->exchange, GATEWAY_SESSION_COOKIE);
    if (request->error.status == SF_OK)
        sf_info("password changed", "account", account->login);
    reply(request, 200, request->error.status == SF_OK ? session_json(gw, session, cookie ? cookie : "") : NULL);
    free(session);
}

static void
sessions_mine(request_t *request)
{
    cJSON *list = NULL;
    LOCKED(request->gw, &request->error,
           SF_IGNORE(gateway_sessions_list(request->gw->db, request->person->account.login, request->person->id,
                                           &list, &request->error)));
    reply(request, 200, list);
}

static void
session_end_mine(request_t *request)
{
    const char *id = path_value(request, 0);
    gateway_exchange_operation(request->exchange, "SessionEnd", id);
    LOCKED(request->gw, &request->error,
           SF_IGNORE(gateway_sessions_end(request->gw->db, id, request->person->account.login, "logout",
                                          &request->error)));
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "ended", id);
    reply(request, 200, json);
}

/* --- the administrators' routes ------------------------------------------------------------ */

static const char *
by_whom(const request_t *request)
{
    return request->person ? request->person->account.login : request->principal.id;
}

/* An account's instance is an intake this gateway reaches: its people work
 * its cases through /v1/instances/<instance>/. */
static void
instance_reached(request_t *request, const gateway_account_t *account)
{
    const char *service = account->instance[0] ? gateway_upstream_service_of(request->gw->upstream, account->instance)
                                               : "intake";
    if (!service || strcmp(service, "intake") != 0)
        gateway_error_violation(&request->error, "instance", "this gateway reaches no intake instance %s"
                                " (SIFANG_GATEWAY_SERVICES)", account->instance);
}

static void
account_create(request_t *request)
{
    gateway_t *gw = request->gw;
    gateway_account_t *account = calloc(1, sizeof *account);
    char password[GATEWAY_PASSWORD_MAX_BYTES + 1] = "";
    if (!account) {
        gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "out of memory");
        reply(request, 0, NULL);
        return;
    }
    account->enabled = true;
    account->must_change_password = true;
    if (gateway_account_from_json(request->body, false, account, password, sizeof password, &request->error)
        && gateway_account_check(account, &request->error))
        instance_reached(request, account);
    gateway_exchange_operation(request->exchange, "AccountCreate", account->login);
    bool generated = !password[0];
    const char *problem = NULL;
    if (generated)
        gateway_password_generate(password);
    else if ((problem = gateway_password_problem(password, account->login, NULL)) != NULL)
        gateway_error_violation(&request->error, "password", "%s", problem);
    char hash[GATEWAY_PASSWORD_HASH_SIZE];
    if (request->error.status == SF_OK && gateway_password_hash(password, hash) != 0)
        gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "cannot hash the password (out of memory)");
    if (request->error.status == SF_OK)
        LOCKED(gw, &request->error, {
            if (gateway_accounts_create(gw->db, account, hash, &request->error) == SF_OK)
                SF_IGNORE(gateway_accounts_get(gw->db, account->login, account, NULL, &request->error));
        });
    cJSON *json = NULL;
    if (request->error.status == SF_OK) {
        sf_info("account created", "account", account->login, "by", by_whom(request));
        json = gateway_account_json(account);
        /* Shown this once; the person must change it at the first login. */
        if (generated)
            cJSON_AddStringToObject(json, "initial_password", password);
    }
    sodium_memzero(password, sizeof password);
    free(account);
    reply(request, 201, json);
}

static void
account_list(request_t *request)
{
    cJSON *accounts = NULL;
    LOCKED(request->gw, &request->error,
           SF_IGNORE(gateway_accounts_list(request->gw->db, &accounts, &request->error)));
    cJSON *json = NULL;
    if (accounts) {
        json = cJSON_CreateObject();
        cJSON_AddItemToObject(json, "accounts", accounts);
    }
    reply(request, 200, json);
}

static void
account_get(request_t *request)
{
    gateway_account_t *account = calloc(1, sizeof *account);
    if (account)
        LOCKED(request->gw, &request->error,
               SF_IGNORE(gateway_accounts_get(request->gw->db, path_value(request, 0), account, NULL,
                                              &request->error)));
    else
        gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "out of memory");
    reply(request, 200, request->error.status == SF_OK ? gateway_account_json(account) : NULL);
    free(account);
}

static void
account_update(request_t *request)
{
    gateway_t *gw = request->gw;
    const char *login = path_value(request, 0);
    gateway_exchange_operation(request->exchange, "AccountUpdate", login);
    gateway_account_t *account = calloc(1, sizeof *account);
    if (!account) {
        gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "out of memory");
        reply(request, 0, NULL);
        return;
    }
    LOCKED(gw, &request->error, SF_IGNORE(gateway_accounts_get(gw->db, login, account, NULL, &request->error)));
    bool was_enabled = account->enabled;
    if (request->error.status == SF_OK
        && gateway_account_from_json(request->body, true, account, NULL, 0, &request->error)
        && gateway_account_check(account, &request->error))
        instance_reached(request, account);
    if (request->error.status == SF_OK)
        LOCKED(gw, &request->error, {
            /* Disabling ends every session at once, in the same breath. */
            if (gateway_accounts_update(gw->db, account, &request->error) == SF_OK
                && (account->enabled
                    || gateway_sessions_end_all(gw->db, login, NULL, "disabled", &request->error) == SF_OK))
                SF_IGNORE(gateway_accounts_get(gw->db, login, account, NULL, &request->error));
        });
    if (request->error.status == SF_OK && was_enabled != account->enabled)
        sf_info(account->enabled ? "account enabled" : "account disabled", "account", login, "by",
                by_whom(request));
    reply(request, 200, request->error.status == SF_OK ? gateway_account_json(account) : NULL);
    free(account);
}

static void
account_password_reset(request_t *request)
{
    gateway_t *gw = request->gw;
    const char *login = path_value(request, 0);
    gateway_exchange_operation(request->exchange, "AccountPasswordReset", login);
    static const char *const fields[] = { "password", NULL };
    char password[GATEWAY_PASSWORD_MAX_BYTES + 1] = "";
    const char *given = request->body ? body_string(request, "password", false) : NULL;
    if (request->body)
        body_only(request, fields);
    if (given && strlen(given) > GATEWAY_PASSWORD_MAX_BYTES)
        gateway_error_violation(&request->error, "password", "too long");
    if (request->error.status != SF_OK) {
        reply(request, 0, NULL);
        return;
    }
    gateway_account_t *account = calloc(1, sizeof *account);
    char old_hash[GATEWAY_PASSWORD_HASH_SIZE] = "";
    if (!account) {
        gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "out of memory");
        reply(request, 0, NULL);
        return;
    }
    LOCKED(gw, &request->error, SF_IGNORE(gateway_accounts_get(gw->db, login, account, old_hash, &request->error)));
    free(account);
    if (request->error.status != SF_OK) {
        reply(request, 0, NULL);
        return;
    }
    if (given) {
        snprintf(password, sizeof password, "%s", given);
        const char *problem = gateway_password_problem(password, login, NULL);
        if (!problem && gateway_password_verify(old_hash, password))
            problem = "must differ from the old password";
        if (problem)
            gateway_error_violation(&request->error, "password", "%s", problem);
    } else
        gateway_password_generate(password);
    char hash[GATEWAY_PASSWORD_HASH_SIZE];
    if (request->error.status == SF_OK && gateway_password_hash(password, hash) != 0)
        gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "cannot hash the password (out of memory)");
    if (request->error.status == SF_OK)
        LOCKED(gw, &request->error, {
            if (gateway_accounts_set_password(gw->db, login, hash, true, &request->error) == SF_OK)
                SF_IGNORE(gateway_sessions_end_all(gw->db, login, NULL, "password_changed", &request->error));
        });
    cJSON *json = NULL;
    if (request->error.status == SF_OK) {
        sf_info("password reset", "account", login, "by", by_whom(request));
        json = cJSON_CreateObject();
        cJSON_AddStringToObject(json, "login", login);
        cJSON_AddBoolToObject(json, "must_change_password", true);
        if (!given)
            cJSON_AddStringToObject(json, "initial_password", password);
    }
    sodium_memzero(password, sizeof password);
    reply(request, 200, json);
}

static void
account_unlock(request_t *request)
{
    const char *login = path_value(request, 0);
    gateway_exchange_operation(request->exchange, "AccountUnlock", login);
    gateway_account_t *account = calloc(1, sizeof *account);
    if (!account) {
        gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "out of memory");
        reply(request, 0, NULL);
        return;
    }
    LOCKED(request->gw, &request->error, {
        if (gateway_accounts_unlock(request->gw->db, login, &request->error) == SF_OK)
            SF_IGNORE(gateway_accounts_get(request->gw->db, login, account, NULL, &request->error));
    });
    reply(request, 200, request->error.status == SF_OK ? gateway_account_json(account) : NULL);
    free(account);
}

static void
online(request_t *request)
{
    cJSON *list = NULL;
    LOCKED(request->gw, &request->error,
           SF_IGNORE(gateway_sessions_list(request->gw->db, NULL, NULL, &list, &request->error)));
    reply(request, 200, list);
}

static void
online_end(request_t *request)
{
    const char *id = path_value(request, 0);
    gateway_exchange_operation(request->exchange, "SessionForceEnd", id);
    LOCKED(request->gw, &request->error,
           SF_IGNORE(gateway_sessions_end(request->gw->db, id, NULL, "forced", &request->error)));
    if (request->error.status == SF_OK)
        sf_info("session ended by an administrator", "session", id, "by", by_whom(request));
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "ended", id);
    reply(request, 200, json);
}

/* Reads a log's query: account, result or action (kind), since_unix_ms,
 * until_unix_ms, page_size, page_token. */
static bool
log_query(request_t *request, const char *kind_name, gateway_log_query_t *query)
{
    memset(query, 0, sizeof *query);
    gateway_param_t params[16];
    int n = gateway_exchange_arguments(request->exchange, params, 16);
    if (n < 0) {
        gateway_error_set(&request->error, SF_INVALID_ARGUMENT, "too many query parameters");
        return false;
    }
    for (int i = 0; i < n; i++) {
        const char *name = params[i].name, *value = params[i].value;
        int64_t *number = NULL;
        if (strcmp(name, "account") == 0)
            query->login = value;
        else if (strcmp(name, kind_name) == 0)
            query->kind = value;
        else if (strcmp(name, "since_unix_ms") == 0)
            number = &query->since_ms;
        else if (strcmp(name, "until_unix_ms") == 0)
            number = &query->until_ms;
        else if (strcmp(name, "page_token") == 0)
            number = &query->after_id;
        else if (strcmp(name, "page_size") == 0) {
            char *end = NULL;
            errno = 0;
            long size = strtol(value, &end, 10);
            if (errno || !end || *end || size < 1 || size > 500)
                gateway_error_violation(&request->error, name, "a whole number from 1 to 500");
            else
                query->page_size = (int) size;
        } else
            gateway_error_violation(&request->error, name, "unknown query parameter");
        if (number && *value) {
            char *end = NULL;
            errno = 0;
            long long parsed = strtoll(value, &end, 10);
            if (errno || !end || *end || parsed < 0)
                gateway_error_violation(&request->error, name, "a whole number");
            else
                *number = parsed;
        }
    }
    return request->error.status == SF_OK;
}

static void
login_log_page(request_t *request)
{
    gateway_log_query_t query;
    cJSON *page = NULL;
    if (log_query(request, "result", &query))
        LOCKED(request->gw, &request->error,
               SF_IGNORE(gateway_login_log_page(request->gw->db, &query, &page, &request->error)));
    reply(request, 200, page);
}

static void
operation_log_page(request_t *request)
{
    gateway_log_query_t query;
    cJSON *page = NULL;
    if (log_query(request, "action", &query))
        LOCKED(request->gw, &request->error,
               SF_IGNORE(gateway_operation_log_page(request->gw->db, &query, &page, &request->error)));
    reply(request, 200, page);
}

/* --- dispatch ------------------------------------------------------------------------------- */

static const login_route_t login_routes[] = {
    { "POST", "/v1/session", FOR_ANYONE, NULL, true, login },
    { "GET", "/v1/session", FOR_PERSON, NULL, false, session_get },
    { "DELETE", "/v1/session", FOR_PERSON, "SessionEnd", false, logout },
    { "POST", "/v1/session/password", FOR_PERSON, "PasswordChange", true, password_change },
    { "GET", "/v1/session/list", FOR_PERSON, NULL, false, sessions_mine },
    { "DELETE", "/v1/session/list/{id}", FOR_PERSON, "SessionEnd", false, session_end_mine },
    { "POST", "/v1/admin/accounts", FOR_ADMIN, "AccountCreate", true, account_create },
    { "GET", "/v1/admin/accounts", FOR_ADMIN, NULL, false, account_list },
    { "GET", "/v1/admin/accounts/{login}", FOR_ADMIN, NULL, false, account_get },
    { "PATCH", "/v1/admin/accounts/{login}", FOR_ADMIN, "AccountUpdate", true, account_update },
    { "POST", "/v1/admin/accounts/{login}/password", FOR_ADMIN, "AccountPasswordReset", true,
      account_password_reset },
    { "POST", "/v1/admin/accounts/{login}/unlock", FOR_ADMIN, "AccountUnlock", false, account_unlock },
    { "GET", "/v1/admin/online", FOR_ADMIN, NULL, false, online },
    { "DELETE", "/v1/admin/online/{session_id}", FOR_ADMIN, "SessionForceEnd", false, online_end },
    { "GET", "/v1/admin/login-log", FOR_ADMIN, NULL, false, login_log_page },
    { "GET", "/v1/admin/operation-log", FOR_ADMIN, NULL, false, operation_log_page },
    { NULL, NULL, FOR_ANYONE, NULL, false, NULL },
};

bool
gateway_login_serve(gateway_t *gw, gateway_exchange_t *exchange, const char *method, const char *path)
{
    request_t *request = calloc(1, sizeof *request);
    if (!request)
        return false;
    request->gw = gw;
    request->exchange = exchange;
    gateway_error_clear(&request->error);
    const login_route_t *route = NULL;
    char allowed[64] = "";
    for (const login_route_t *r = login_routes; r->method && !route; r++) {
        if (!gateway_path_match(r->path, path, &request->match))
            continue;
        if (strcmp(r->method, method) == 0)
            route = r;
        else
            snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s", allowed[0] ? ", " : "",
                     r->method);
    }
    if (!route && !allowed[0]) {
        free(request);
        return false;
    }
    if (!route) {
        gateway_exchange_name(exchange, "(method not allowed)");
        gateway_error_set(&request->error, SF_UNIMPLEMENTED, "%s is not allowed here; allowed: %s", method, allowed);
        request->error.http = 405;
        reply(request, 0, NULL);
        free(request);
        return true;
    }
    char name[192];
    snprintf(name, sizeof name, "%s %s", route->method, route->path);
    gateway_exchange_name(exchange, name);
    if (gateway_exchange_too_large(exchange)) {
        gateway_error_set(&request->error, SF_RESOURCE_EXHAUSTED, "the request body exceeds the limit of %zu bytes",
                          gw->max_body);
        request->error.http = 413;
        reply(request, 0, NULL);
        free(request);
        return true;
    }
    if (route->audience != FOR_ANYONE) {
        if (!gateway_authenticate(gw, exchange, NULL, &request->principal, &request->error)) {
            reply(request, 0, NULL);
            free(request);
            return true;
        }
        request->person = gateway_exchange_person(exchange);
        /* Every write a person makes is logged, a refused one too. */
        if (request->person && route->action)
            gateway_exchange_operation(exchange, route->action, request->match.n ? request->match.values[0] : "");
        if (route->audience == FOR_PERSON && !request->person)
            gateway_error_set(&request->error, SF_UNAUTHENTICATED, "no session: log in with POST /v1/session");
        else if (route->audience == FOR_ADMIN
                 && !(request->person ? gateway_account_has_role(&request->person->account, "administrator")
                                      : strcmp(request->principal.role, "admin") == 0))
            gateway_error_set(&request->error, SF_PERMISSION_DENIED, "%s %s is for administrators", route->method,
                              route->path);
        if (request->error.status != SF_OK) {
            reply(request, 0, NULL);
            free(request);
            return true;
        }
    }
    size_t body_size = 0;
    const char *body = gateway_exchange_body(exchange, &body_size);
    if (route->body && body_size) {
        request->body = cJSON_ParseWithLength(body, body_size);
        if (!cJSON_IsObject(request->body))
            gateway_error_violation(&request->error, "body", "must be a JSON object");
    } else if (route->body && route->handler != account_password_reset)
        gateway_error_violation(&request->error, "body", "required: a JSON object");
    else if (!route->body && body_size)
        gateway_error_violation(&request->error, "body", "this route takes no body");
    if (request->error.status == SF_OK)
        route->handler(request);
    else
        reply(request, 0, NULL);
    cJSON_Delete(request->body);
    free(request);
    return true;
}
