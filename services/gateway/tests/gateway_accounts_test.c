/* Personal accounts and sessions over real HTTP on a real gateway and a
 * real PostgreSQL: the first administrator made by sifang-gateway-accounts,
 * login and every refusal answering the same 401, the cookie's flags, the
 * must-change flow and the password policy, CSRF and Origin checks on
 * cookie writes, lockout and unlock, throttling by address, fixation,
 * disabling, one's own sessions, people online and forced logout, logout,
 * idle and absolute expiry (on a second gateway with short settings), and
 * the login and operation logs compared field by field with what was done.
 * Grid is not running: a person's write to a service is refused 503, and
 * the operation log says so. */
#include "http_client.h"
#include "sf_test.h"
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

static char dir[256];
static int port, short_port;
static PGconn *db;
static sf_test_daemon_t *gateway, *short_gateway;

#define ADMIN_PASSWORD "Initial-Passw0rd"
#define OWN_ORIGIN "http://127.0.0.1"

static void
pause_ms(int ms)
{
    struct timespec pause = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

static const char *
json_text(const cJSON *json, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, name);
    return cJSON_IsString(item) ? item->valuestring : "";
}

static bool
json_bool(const cJSON *json, const char *name)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(json, name));
}

/* A person's browser: its cookie token and CSRF token. */
typedef struct {
    char token[64];
    char csrf[64];
    char session_id[32];
} browser_t;

/* POST /v1/session from address; fills browser on 200. Returns the status;
 * the reply is kept for the caller (release it). */
static int
login_at(int at_port, const char *login, const char *password, const char *address, const char *extra,
         browser_t *browser, http_reply_t *reply)
{
    char body[512], headers[512];
    snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", login, password);
    snprintf(headers, sizeof headers, "X-Forwarded-For: %s\r\nUser-Agent: accounts-test/1.0\r\n%s", address,
             extra ? extra : "");
    int status = http_request(at_port, "POST", "/v1/session", headers, body, strlen(body), reply);
    if (status == 200 && browser) {
        char cookie[512];
        memset(browser, 0, sizeof *browser);
        if (http_header(reply, "Set-Cookie", cookie, sizeof cookie) && strncmp(cookie, "sf_session=", 11) == 0)
            snprintf(browser->token, sizeof browser->token, "%.*s", (int) strcspn(cookie + 11, ";"), cookie + 11);
        snprintf(browser->csrf, sizeof browser->csrf, "%s", json_text(reply->json, "csrf_token"));
        snprintf(browser->session_id, sizeof browser->session_id, "%s", json_text(reply->json, "session_id"));
    }
    return status;
}

static int
login(const char *login_name, const char *password, const char *address, browser_t *browser)
{
    http_reply_t reply;
    int status = login_at(port, login_name, password, address, NULL, browser, &reply);
    http_reply_release(&reply);
    return status;
}

/* A request as a browser would send it: the cookie, and for writes our
 * Origin and the CSRF token (origin NULL: none; csrf NULL: the browser's). */
static int
as_at(int at_port, const browser_t *browser, const char *method, const char *path, const char *body,
      const char *origin, const char *csrf, http_reply_t *reply)
{
    char headers[1024];
    snprintf(headers, sizeof headers, "Cookie: sf_session=%s\r\nX-Forwarded-For: 10.0.0.1\r\n", browser->token);
    if (origin)
        snprintf(headers + strlen(headers), sizeof headers - strlen(headers), "Origin: %s\r\n", origin);
    const char *token = csrf ? csrf : browser->csrf;
    if (strcmp(method, "GET") != 0 && token[0])
        snprintf(headers + strlen(headers), sizeof headers - strlen(headers), "X-CSRF-Token: %s\r\n", token);
    return http_request(at_port, method, path, headers, body, body ? strlen(body) : 0, reply);
}

static int
as(const browser_t *browser, const char *method, const char *path, const char *body, http_reply_t *reply)
{
    return as_at(port, browser, method, path, body, OWN_ORIGIN, NULL, reply);
}

/* Status only. */
static int
as_status(const browser_t *browser, const char *method, const char *path, const char *body)
{
    http_reply_t reply;
    int status = as(browser, method, path, body, &reply);
    http_reply_release(&reply);
    return status;
}

static long long
sql_int(const char *format, ...) __attribute__((format(printf, 1, 2)));
static long long
sql_int(const char *format, ...)
{
    char sql[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(sql, sizeof sql, format, args);
    va_end(args);
    return sf_test_pg_int(db, sql);
}

/* --- the daemons ---------------------------------------------------------------------- */

static sf_test_daemon_t *
start_gateway(const char *name, const char *const extra[], int *port_p)
{
    char path[512], log_path[512], endpoint_env[300];
    sf_test_service_path(path, sizeof path, "gateway");
    snprintf(log_path, sizeof log_path, "%s/%s.log", dir, name);
    /* Nothing listens there: grid is away for the whole test. */
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=ipc://%s/no-grid", dir);
    const char *env[24] = { "SIFANG_GATEWAY_HTTP=" SF_TEST_HTTP_ANY, endpoint_env, "SIFANG_GATEWAY_SERVICES=grid",
                            "SIFANG_GATEWAY_TIMEOUT_MS=300", "SIFANG_GATEWAY_RETRIES=0",
                            "SIFANG_GATEWAY_TRUSTED_PROXY=on", "SIFANG_GATEWAY_ORIGINS=https://workbench.example.org",
                            "SIFANG_GATEWAY_LOGIN_FAILURES=3", "SIFANG_GATEWAY_LOGIN_ADDRESS_BURST=5",
                            "SIFANG_GATEWAY_LOGIN_ADDRESS_PER_MINUTE=1", "SIFANG_GATEWAY_LOGIN_ACCOUNT_BURST=100" };
    size_t n = 11;
    for (size_t i = 0; extra && extra[i]; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    sf_test_daemon_t *daemon = sf_test_daemon_start(path, env, log_path);
    if (!daemon || sf_test_daemon_wait_ready(daemon, 20000) != 0)
        return daemon;
    *port_p = sf_test_daemon_http_port(daemon);
    return daemon;
}

/* Runs sifang-gateway-accounts; its exit status, stdout into out. */
static int
accounts_tool(const char *args, char *out, size_t size)
{
    char command[1024];
    snprintf(command, sizeof command, "%s/services/gateway/sifang-gateway-accounts %s 2>>%s/tool.log",
             sf_test_binary_dir(), args, dir);
    FILE *pipe = popen(command, "r");
    if (!pipe)
        return -1;
    size_t got = fread(out, 1, size - 1, pipe);
    out[got] = 0;
    int rc = pclose(pipe);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* --- the parts ---------------------------------------------------------------------------- */

static browser_t admin;

static void
test_first_administrator(void)
{
    char path[512], args[1024], out[8192];
    snprintf(path, sizeof path, "%s/admin.password", dir);
    FILE *file = fopen(path, "w");
    fprintf(file, ADMIN_PASSWORD "\n");
    fclose(file);
    snprintf(args, sizeof args,
             "create --login root.admin --display-name 'Root Admin' --role administrator --password-file %s", path);
    SF_CHECK_EQ_INT(accounts_tool(args, out, sizeof out), 0);
    SF_CHECK(strstr(out, ADMIN_PASSWORD) == NULL);   /* a given password is never printed */
    SF_CHECK(strstr(out, "\"root.admin\"") != NULL);
    /* Again: refused, or left alone with --if-absent. */
    SF_CHECK_EQ_INT(accounts_tool(args, out, sizeof out), 1);
    strcat(args, " --if-absent");
    SF_CHECK_EQ_INT(accounts_tool(args, out, sizeof out), 0);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.account WHERE login = 'root.admin' AND must_change_password"
                            " AND password_hash LIKE '$argon2id$%%'"), 1);
    /* The tool's other commands, each by its name (gateway_tool.c's table):
     * list, roles and unlock on the account just made; --help and an
     * unknown command as usage says. */
    SF_CHECK_EQ_INT(accounts_tool("list", out, sizeof out), 0);
    SF_CHECK(strstr(out, "\"root.admin\"") != NULL && strstr(out, "argon2") == NULL);
    SF_CHECK_EQ_INT(accounts_tool("roles root.admin --role administrator", out, sizeof out), 0);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.account_role WHERE login = 'root.admin'"
                            " AND role = 'administrator'"), 1);
    SF_CHECK_EQ_INT(accounts_tool("unlock root.admin", out, sizeof out), 0);
    SF_CHECK_EQ_INT(accounts_tool("unlock", out, sizeof out), 2);
    SF_CHECK_EQ_INT(accounts_tool("frobnicate", out, sizeof out), 2);
    SF_CHECK_EQ_INT(accounts_tool("--help", out, sizeof out), 0);
    SF_CHECK(strncmp(out, "usage: sifang-gateway-accounts create", 37) == 0);
    SF_CHECK(strstr(out, "\nThe database: SIFANG_GATEWAY_DATABASE_URL") != NULL);
    SF_CHECK(strstr(out, "exit status: 0 done; 1 refused or failed; 2 usage") != NULL);

    /* The first login: must change the password, and may do nothing else. */
    http_reply_t reply;
    SF_CHECK_EQ_INT(login_at(port, "root.admin", ADMIN_PASSWORD, "10.0.0.1", NULL, &admin, &reply), 200);
    char cookie[512] = "";
    http_header(&reply, "Set-Cookie", cookie, sizeof cookie);
    char expected[256];
    snprintf(expected, sizeof expected, "sf_session=%s; Path=/; HttpOnly; SameSite=Strict", admin.token);
    SF_CHECK_EQ_STR(cookie, expected);   /* no Secure over plain HTTP */
    SF_CHECK_EQ_INT((int) strlen(admin.token), 43);
    SF_CHECK_EQ_STR(json_text(reply.json, "account"), "root.admin");
    SF_CHECK_EQ_STR(json_text(reply.json, "display_name"), "Root Admin");
    SF_CHECK(json_bool(reply.json, "must_change_password"));
    SF_CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(reply.json, "roles")), 1);
    SF_CHECK_EQ_INT((int) strlen(admin.csrf), 43);
    const cJSON *idle = cJSON_GetObjectItemCaseSensitive(reply.json, "idle_expires_unix_ms");
    const cJSON *expires = cJSON_GetObjectItemCaseSensitive(reply.json, "expires_unix_ms");
    SF_CHECK(cJSON_IsNumber(idle) && cJSON_IsNumber(expires) && expires->valuedouble > idle->valuedouble);
    http_reply_release(&reply);
    /* Only the hash of the token is stored. */
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.session WHERE login = 'root.admin'"
                            " AND token_hash = sha256(convert_to('%s', 'UTF8'))", admin.token), 1);

    SF_CHECK_EQ_INT(as(&admin, "GET", "/v1/admin/accounts", NULL, &reply), 403);
    SF_CHECK(strstr(reply.body, "password must be changed") != NULL);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(as_status(&admin, "GET", "/v1/session", NULL), 200);

    /* The policy, each rule. */
    static const char *const weak[][2] = {
        { "Sh0rt-pw", "at least 10 characters" },
        { "长密码长密码长密码1", "three of" },          /* 10 characters, 28 bytes: counted as characters */
        { "alllowercase1234", "three of" },
        { "Root.Admin-2024!x", "login name" },
        { ADMIN_PASSWORD, "differ from the old" },
    };
    for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"old_password\":\"" ADMIN_PASSWORD "\",\"new_password\":\"%s\"}", weak[i][0]);
        SF_CHECK_EQ_INT(as(&admin, "POST", "/v1/session/password", body, &reply), 400);
        SF_CHECK(http_has_violation(&reply, "new_password"));
        if (!strstr(reply.body, weak[i][1]))
            SF_FAIL("%s: %s", weak[i][0], reply.body);
        http_reply_release(&reply);
    }
    /* 10 characters of three classes, Chinese counted as "other". */
    SF_CHECK_EQ_INT(as(&admin, "POST", "/v1/session/password",
                       "{\"old_password\":\"wrong-Passw0rd\",\"new_password\":\"Admin-New-Passw0rd\"}", &reply), 400);
    SF_CHECK(http_has_violation(&reply, "old_password"));
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(as(&admin, "POST", "/v1/session/password",
                       "{\"old_password\":\"" ADMIN_PASSWORD "\",\"new_password\":\"管理员Passw0rd\"}", &reply), 200);
    SF_CHECK(!json_bool(reply.json, "must_change_password"));
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(as_status(&admin, "GET", "/v1/admin/accounts", NULL), 200);
}

static char clerk_password[64];

static void
test_csrf_and_create(void)
{
    static const char body[] = "{\"login\":\"wang.clerk\",\"display_name\":\"王小明\",\"staff_id\":\"S00042\","
                               "\"roles\":[\"window_clerk\"]}";
    http_reply_t reply;
    /* No CSRF token; a wrong one; a foreign origin; no Origin nor Referer. */
    SF_CHECK_EQ_INT(as_at(port, &admin, "POST", "/v1/admin/accounts", body, OWN_ORIGIN, "", &reply), 403);
    SF_CHECK(strstr(reply.body, "X-CSRF-Token") != NULL);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(as_at(port, &admin, "POST", "/v1/admin/accounts", body, OWN_ORIGIN,
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &reply), 403);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(as_at(port, &admin, "POST", "/v1/admin/accounts", body, "https://evil.example.com", NULL,
                          &reply), 403);
    SF_CHECK(strstr(reply.body, "Origin") != NULL);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(as_at(port, &admin, "POST", "/v1/admin/accounts", body, NULL, NULL, &reply), 403);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.account WHERE login = 'wang.clerk'"), 0);

    /* Bad accounts: a clerk without a staff record, a weak given password. */
    SF_CHECK_EQ_INT(as(&admin, "POST", "/v1/admin/accounts",
                       "{\"login\":\"no.staff\",\"display_name\":\"x\",\"roles\":[\"window_clerk\"]}", &reply), 400);
    SF_CHECK(http_has_violation(&reply, "staff_id"));
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(as(&admin, "POST", "/v1/admin/accounts",
                       "{\"login\":\"weak.pw\",\"display_name\":\"x\",\"roles\":[\"leader\"],\"staff_id\":\"S1\","
                       "\"password\":\"weak\"}", &reply), 400);
    SF_CHECK(http_has_violation(&reply, "password"));
    http_reply_release(&reply);

    /* From the configured workbench origin, with the token: made, with a
     * generated password shown once. */
    if (!SF_CHECK_EQ_INT(as_at(port, &admin, "POST", "/v1/admin/accounts", body, "https://workbench.example.org",
                               NULL, &reply), 201))
        SF_FAIL("%s", reply.body ? reply.body : "");
    SF_CHECK_EQ_STR(json_text(reply.json, "login"), "wang.clerk");
    SF_CHECK_EQ_STR(json_text(reply.json, "display_name"), "王小明");
    SF_CHECK_EQ_STR(json_text(reply.json, "staff_id"), "S00042");
    SF_CHECK(json_bool(reply.json, "must_change_password") && json_bool(reply.json, "enabled"));
    snprintf(clerk_password, sizeof clerk_password, "%s", json_text(reply.json, "initial_password"));
    SF_CHECK_EQ_INT((int) strlen(clerk_password), 20);
    http_reply_release(&reply);
    /* Never again. */
    SF_CHECK_EQ_INT(as(&admin, "GET", "/v1/admin/accounts/wang.clerk", NULL, &reply), 200);
    SF_CHECK(!cJSON_GetObjectItemCaseSensitive(reply.json, "initial_password"));
    SF_CHECK_EQ_STR(json_text(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(reply.json, "roles"), 0), "role"),
                    "window_clerk");
    http_reply_release(&reply);

    /* The operation log's row, field by field, through the route and SQL. */
    SF_CHECK_EQ_INT(as(&admin, "GET", "/v1/admin/operation-log?account=root.admin&action=AccountCreate", NULL, &reply),
                    200);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(reply.json, "entries");
    /* Newest first: the create, then the refused bad ones (CSRF refusals
     * never reached a route, so they wrote nothing). */
    SF_CHECK_EQ_INT(cJSON_GetArraySize(entries), 3);
    const cJSON *row = cJSON_GetArrayItem(entries, 0);
    SF_CHECK_EQ_STR(json_text(row, "login"), "root.admin");
    SF_CHECK_EQ_STR(json_text(row, "staff_id"), "");
    SF_CHECK_EQ_STR(json_text(row, "action"), "AccountCreate");
    SF_CHECK_EQ_STR(json_text(row, "method"), "POST");
    SF_CHECK_EQ_STR(json_text(row, "route"), "/v1/admin/accounts");
    SF_CHECK_EQ_STR(json_text(row, "record"), "wang.clerk");
    SF_CHECK_EQ_INT((int) cJSON_GetObjectItemCaseSensitive(row, "http_status")->valuedouble, 201);
    SF_CHECK_EQ_STR(json_text(row, "status"), "OK");
    SF_CHECK_EQ_STR(json_text(row, "address"), "10.0.0.1");
    const cJSON *second = cJSON_GetArrayItem(entries, 1);
    SF_CHECK_EQ_STR(json_text(second, "record"), "weak.pw");
    SF_CHECK_EQ_INT((int) cJSON_GetObjectItemCaseSensitive(second, "http_status")->valuedouble, 400);
    SF_CHECK_EQ_STR(json_text(second, "status"), "INVALID_ARGUMENT");
    http_reply_release(&reply);
}

static char refused_body[512];

static void
expect_refused(const char *login_name, const char *password, const char *address, const char *why)
{
    http_reply_t reply;
    int status = login_at(port, login_name, password, address, NULL, NULL, &reply);
    if (status != 401 || strcmp(reply.body ? reply.body : "", refused_body) != 0)
        SF_FAIL("%s (%s): %d %s", login_name, why, status, reply.body ? reply.body : "");
    else
        SF_CHECK(true);
    http_reply_release(&reply);
}

static void
test_refusals_and_lockout(void)
{
    http_reply_t reply;
    SF_CHECK_EQ_INT(login_at(port, "wang.clerk", "Wrong-Passw0rd", "10.1.0.1", NULL, NULL, &reply), 401);
    snprintf(refused_body, sizeof refused_body, "%s", reply.body ? reply.body : "");
    SF_CHECK_EQ_STR(refused_body,
                    "{\"error\":{\"status\":\"UNAUTHENTICATED\",\"message\":\"login or password is wrong\","
                    "\"violations\":[]}}");
    http_reply_release(&reply);
    expect_refused("nobody.here", "Wrong-Passw0rd", "10.1.0.2", "unknown");
    /* Three failures in a row lock it: the right password is refused the
     * same way. */
    expect_refused("wang.clerk", "Wrong-Passw0rd", "10.1.0.3", "second failure");
    expect_refused("wang.clerk", "Wrong-Passw0rd", "10.1.0.4", "third failure");
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.account WHERE login = 'wang.clerk' AND failed_count = 3"
                            " AND locked_until > now() + interval '10 minutes'"), 1);
    expect_refused("wang.clerk", clerk_password, "10.1.0.5", "locked");
    /* The login log: each attempt as it was, never a password. */
    SF_CHECK_EQ_INT(as(&admin, "GET", "/v1/admin/login-log?page_size=3", NULL, &reply), 200);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(reply.json, "entries");
    SF_CHECK_EQ_INT(cJSON_GetArraySize(entries), 3);
    const cJSON *row = cJSON_GetArrayItem(entries, 0);
    SF_CHECK_EQ_STR(json_text(row, "login"), "wang.clerk");
    SF_CHECK_EQ_STR(json_text(row, "address"), "10.1.0.5");
    SF_CHECK_EQ_STR(json_text(row, "user_agent"), "accounts-test/1.0");
    SF_CHECK_EQ_STR(json_text(row, "result"), "locked");
    SF_CHECK_EQ_STR(json_text(cJSON_GetArrayItem(entries, 1), "result"), "bad_credentials");
    SF_CHECK(json_text(reply.json, "next_page_token")[0] != 0);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.login_log WHERE login = 'nobody.here'"
                            " AND result = 'bad_credentials' AND address = '10.1.0.2'"), 1);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.login_log WHERE position('%s' in login) > 0"
                            " OR position('Wrong-Passw0rd' in login || user_agent) > 0", clerk_password), 0);

    /* Unlocked by the administrator: in, and must change the password. */
    SF_CHECK_EQ_INT(as_status(&admin, "POST", "/v1/admin/accounts/wang.clerk/unlock", NULL), 200);
    browser_t clerk;
    SF_CHECK_EQ_INT(login("wang.clerk", clerk_password, "10.1.0.6", &clerk), 200);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.login_log WHERE login = 'wang.clerk'"
                            " AND address = '10.1.0.6' AND result = 'must_change'"), 1);
    SF_CHECK_EQ_INT(as_status(&clerk, "GET", "/v1/session/list", NULL), 403);
    char body[256];
    snprintf(body, sizeof body, "{\"old_password\":\"%s\",\"new_password\":\"Clerk-Passw0rd-1\"}", clerk_password);
    SF_CHECK_EQ_INT(as_status(&clerk, "POST", "/v1/session/password", body), 200);

    /* Throttling by address: a burst of 5, then 429 (and logged). */
    int statuses[7];
    for (int i = 0; i < 7; i++)
        statuses[i] = login("nobody.here", "Wrong-Passw0rd", "10.2.0.1", NULL);
    SF_CHECK_EQ_INT(statuses[4], 401);
    SF_CHECK_EQ_INT(statuses[5], 429);
    SF_CHECK_EQ_INT(statuses[6], 429);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.login_log WHERE address = '10.2.0.1' AND result = 'throttled'"),
                    2);
    /* Another address is not held back. */
    SF_CHECK_EQ_INT(login("wang.clerk", "Clerk-Passw0rd-1", "10.2.0.2", NULL), 200);
}

static void
test_sessions(void)
{
    browser_t first, second;
    http_reply_t reply;
    SF_CHECK_EQ_INT(login("wang.clerk", "Clerk-Passw0rd-1", "10.3.0.1", &first), 200);
    /* Fixation: a login that brings a cookie gets a new token; the old
     * session is ended. */
    char extra[128];
    snprintf(extra, sizeof extra, "Cookie: sf_session=%s\r\n", first.token);
    SF_CHECK_EQ_INT(login_at(port, "wang.clerk", "Clerk-Passw0rd-1", "10.3.0.2", extra, &second, &reply), 200);
    http_reply_release(&reply);
    SF_CHECK(strcmp(first.token, second.token) != 0);
    SF_CHECK_EQ_INT(as_status(&first, "GET", "/v1/session", NULL), 401);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.session WHERE id = '%s' AND ended_reason = 'replaced'",
                            first.session_id), 1);
    /* A forged token. */
    browser_t forged = second;
    forged.token[0] = forged.token[0] == 'A' ? 'B' : 'A';
    SF_CHECK_EQ_INT(as_status(&forged, "GET", "/v1/session", NULL), 401);

    /* My sessions: two alive, one current; ending the other one. */
    browser_t third;
    SF_CHECK_EQ_INT(login("wang.clerk", "Clerk-Passw0rd-1", "10.3.0.3", &third), 200);
    SF_CHECK_EQ_INT(as(&second, "GET", "/v1/session/list", NULL, &reply), 200);
    const cJSON *sessions = cJSON_GetObjectItemCaseSensitive(reply.json, "sessions");
    int alive = cJSON_GetArraySize(sessions), current = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, sessions) {
        if (json_bool(item, "current")) {
            current++;
            SF_CHECK_EQ_STR(json_text(item, "id"), second.session_id);
            SF_CHECK_EQ_STR(json_text(item, "address"), "10.3.0.2");
            SF_CHECK_EQ_STR(json_text(item, "user_agent"), "accounts-test/1.0");
        }
    }
    SF_CHECK_EQ_INT(current, 1);
    SF_CHECK(alive >= 2);
    http_reply_release(&reply);
    char path[128];
    snprintf(path, sizeof path, "/v1/session/list/%s", third.session_id);
    SF_CHECK_EQ_INT(as_status(&second, "DELETE", path, NULL), 200);
    SF_CHECK_EQ_INT(as_status(&third, "GET", "/v1/session", NULL), 401);
    /* Someone else's session is not mine to end. */
    snprintf(path, sizeof path, "/v1/session/list/%s", admin.session_id);
    SF_CHECK_EQ_INT(as_status(&second, "DELETE", path, NULL), 404);

    /* A non-administrator granting a role: refused, and only logged. */
    SF_CHECK_EQ_INT(as_status(&second, "PATCH", "/v1/admin/accounts/wang.clerk", "{\"roles\":[\"administrator\"]}"),
                    403);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.account_role WHERE login = 'wang.clerk'"
                            " AND role = 'administrator'"), 0);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.operation_log WHERE login = 'wang.clerk'"
                            " AND staff_id = 'S00042' AND action = 'AccountUpdate' AND method = 'PATCH'"
                            " AND route = '/v1/admin/accounts/{login}' AND record = 'wang.clerk'"
                            " AND http_status = 403 AND status = 'PERMISSION_DENIED' AND address = '10.0.0.1'"), 1);
    /* A person's write to a service is logged with its outcome (grid is away). */
    int status = as_status(&second, "POST", "/v1/grid/units", "{\"code\":\"370205001\",\"name\":\"x\"}");
    SF_CHECK(status == 503 || status == 504);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.operation_log WHERE login = 'wang.clerk'"
                            " AND action = 'UnitCreate' AND method = 'POST' AND route = '/v1/grid/units'"
                            " AND record = '' AND http_status = %d AND status IN ('UNAVAILABLE', 'DEADLINE_EXCEEDED')",
                            status), 1);

    /* People online, and a forced logout. */
    SF_CHECK_EQ_INT(as(&admin, "GET", "/v1/admin/online", NULL, &reply), 200);
    bool seen = false;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(reply.json, "sessions"))
        if (strcmp(json_text(item, "id"), second.session_id) == 0)
            seen = strcmp(json_text(item, "account"), "wang.clerk") == 0
                && strcmp(json_text(item, "display_name"), "王小明") == 0;
    SF_CHECK(seen);
    http_reply_release(&reply);
    snprintf(path, sizeof path, "/v1/admin/online/%s", second.session_id);
    SF_CHECK_EQ_INT(as_status(&admin, "DELETE", path, NULL), 200);
    SF_CHECK_EQ_INT(as_status(&second, "GET", "/v1/session", NULL), 401);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.session WHERE id = '%s' AND ended_reason = 'forced'",
                            second.session_id), 1);

    /* Disabling ends the sessions at once; its logins are refused as any. */
    browser_t fourth;
    SF_CHECK_EQ_INT(login("wang.clerk", "Clerk-Passw0rd-1", "10.3.0.4", &fourth), 200);
    SF_CHECK_EQ_INT(as_status(&admin, "PATCH", "/v1/admin/accounts/wang.clerk", "{\"enabled\":false}"), 200);
    SF_CHECK_EQ_INT(as_status(&fourth, "GET", "/v1/session", NULL), 401);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.session WHERE login = 'wang.clerk' AND ended_at IS NULL"), 0);
    expect_refused("wang.clerk", "Clerk-Passw0rd-1", "10.3.0.5", "disabled");
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.login_log WHERE address = '10.3.0.5' AND result = 'disabled'"),
                    1);

    /* Secure behind a TLS proxy; logout clears the cookie. */
    browser_t tls;
    SF_CHECK_EQ_INT(login_at(port, "root.admin", "管理员Passw0rd", "10.3.0.6", "X-Forwarded-Proto: https\r\n", &tls,
                             &reply), 200);
    char cookie[512] = "";
    http_header(&reply, "Set-Cookie", cookie, sizeof cookie);
    http_reply_release(&reply);
    char expected[256];
    snprintf(expected, sizeof expected, "sf_session=%s; Path=/; HttpOnly; SameSite=Strict; Secure", tls.token);
    SF_CHECK_EQ_STR(cookie, expected);
    SF_CHECK_EQ_INT(as(&tls, "DELETE", "/v1/session", NULL, &reply), 200);
    http_header(&reply, "Set-Cookie", cookie, sizeof cookie);
    SF_CHECK_EQ_STR(cookie, "sf_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(as_status(&tls, "GET", "/v1/session", NULL), 401);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.session WHERE id = '%s' AND ended_reason = 'logout'",
                            tls.session_id), 1);
}

static void
test_expiry(void)
{
    const char *extra[] = { "SIFANG_GATEWAY_SESSION_IDLE_MS=1000", "SIFANG_GATEWAY_SESSION_MAX_MS=2500", NULL };
    short_gateway = start_gateway("short", extra, &short_port);
    if (!SF_CHECK(short_gateway && short_port > 0))
        return;
    browser_t idle, busy;
    http_reply_t reply;
    SF_CHECK_EQ_INT(login_at(short_port, "root.admin", "管理员Passw0rd", "10.4.0.1", NULL, &idle, &reply), 200);
    http_reply_release(&reply);
    /* Idle: alive while used within the second, ended after a second idle. */
    pause_ms(500);
    SF_CHECK_EQ_INT(as_at(short_port, &idle, "GET", "/v1/session", NULL, NULL, NULL, &reply), 200);
    http_reply_release(&reply);
    pause_ms(1300);
    SF_CHECK_EQ_INT(as_at(short_port, &idle, "GET", "/v1/session", NULL, NULL, NULL, &reply), 401);
    SF_CHECK(strstr(reply.body, "expired") != NULL);
    http_reply_release(&reply);
    SF_CHECK_EQ_INT(sql_int("SELECT count(*) FROM gateway.session WHERE id = '%s' AND ended_reason = 'expired'",
                            idle.session_id), 1);
    /* Absolute: however busy, ended 2.5 s after login. */
    SF_CHECK_EQ_INT(login_at(short_port, "root.admin", "管理员Passw0rd", "10.4.0.2", NULL, &busy, &reply), 200);
    http_reply_release(&reply);
    int last = 0;
    for (int i = 0; i < 8 && (last = as_at(short_port, &busy, "GET", "/v1/session", NULL, NULL, NULL, &reply)) == 200;
         i++) {
        http_reply_release(&reply);
        pause_ms(400);
    }
    if (last != 200)
        http_reply_release(&reply);
    SF_CHECK_EQ_INT(last, 401);
    long long lived_ms = sql_int("SELECT (extract(epoch FROM ended_at - created_at) * 1000)::bigint"
                                 " FROM gateway.session WHERE id = '%s' AND ended_reason = 'expired'", busy.session_id);
    if (!SF_CHECK(lived_ms >= 2500 && lived_ms < 3500))
        SF_FAIL("the busy session lived %lld ms", lived_ms);
}

int
main(void)
{
    if (sf_test_pg_env("gateway_accounts_test") != 0 || sf_test_tmpdir(dir, sizeof dir) != 0)
        return sf_test_done();
    signal(SIGPIPE, SIG_IGN);
    db = sf_test_pg_connect();
    if (!SF_CHECK(db))
        goto cleanup;
    gateway = start_gateway("gateway", NULL, &port);
    if (!SF_CHECK(gateway && port > 0))
        goto cleanup;
    test_first_administrator();
    test_csrf_and_create();
    test_refusals_and_lockout();
    test_sessions();
    test_expiry();
cleanup:
    if (gateway)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&gateway), 0);
    if (short_gateway)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&short_gateway), 0);
    if (db)
        PQfinish(db);
    if (!sf_test_failures())
        sf_test_rmtree(dir);
    else
        fprintf(stderr, "logs kept in %s\n", dir);
    return sf_test_done();
}
