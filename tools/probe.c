/* sifang-probe: the health probe of a Sifang daemon, for Docker HEALTHCHECK,
 * Kubernetes exec probes, systemd and operators. It calls Sys.Ping over the
 * daemon's endpoint (with CURVE when configured) or GETs an HTTP URL (the
 * gateway's /readyz and /healthz), prints one line and exits 0 when healthy,
 * 1 otherwise. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include "sf_client.h"
#include "sf_config.h"
#include "sf_log.h"
#include "sf_text.h"
#include "sifang/v1/sys.pb-c.h"

static const char usage[] =
    "usage: sifang-probe [--live] [--timeout MS] [--wait SECONDS] [--endpoint URL] SERVICE\n"
    "       sifang-probe --http URL [--timeout MS] [--wait SECONDS]\n"
    "\n"
    "Checks that a Sifang daemon is healthy and says why in one line. Exit status\n"
    "0: healthy; 1: anything else (no reply, database down, bad configuration,\n"
    "usage). Usable as a Docker HEALTHCHECK, a Kubernetes exec probe, a systemd\n"
    "ExecStartPost= and by hand.\n"
    "\n"
    "SERVICE (grid, intake, ...): calls Sys.Ping at SIFANG_<SVC>_ENDPOINT (or\n"
    "  --endpoint) and is healthy when the daemon answers with its database up and\n"
    "  its migrations applied (readiness). A wildcard bind address (tcp://*:7101,\n"
    "  tcp://0.0.0.0:7101, tcp://[::]:7101) is probed on the loopback, so the\n"
    "  daemon's own environment works unchanged beside it.\n"
    "  CURVE as for any client: SIFANG_CURVE_CLIENT_KEY_FILE (else\n"
    "  SIFANG_CURVE_SECRET_KEY_FILE) is the probe's key, which must be on the\n"
    "  daemon's allowlist, and SIFANG_<SVC>_PUBLIC_KEY_FILE the daemon's public key;\n"
    "  beside the daemon (its SIFANG_CURVE_SECRET_KEY_FILE set) the latter defaults\n"
    "  to the .pub next to that key file.\n"
    "--live      healthy whenever the daemon answers, database up or not\n"
    "            (liveness: restarting a daemon does not bring a database back)\n"
    "--http URL  GETs http://HOST[:PORT]/PATH instead; healthy on a 2xx status\n"
    "--timeout MS    wait per attempt (default 2000)\n"
    "--wait SECONDS  try again every second until healthy or SECONDS have passed\n"
    "\n"
    "examples:\n"
    "  sifang-probe grid\n"
    "  sifang-probe --live --endpoint tcp://10.0.3.7:7111 intake\n"
    "  sifang-probe --http http://127.0.0.1:8080/readyz\n";

typedef struct {
    bool live;
    int timeout_ms;
    int wait_s;
    const char *endpoint;
    const char *http_url;
    const char *service;
} probe_options_t;

/* --- Sys.Ping ---------------------------------------------------------------- */

/* The address to connect to for a daemon that binds endpoint: a wildcard
 * host becomes the loopback. */
static void
connect_address(const char *endpoint, char *out, size_t size)
{
    static const struct {
        const char *prefix;
        const char *loopback;
    } wildcards[] = {
        { "tcp://*:", "tcp://127.0.0.1:" },
        { "tcp://0.0.0.0:", "tcp://127.0.0.1:" },
        { "tcp://[::]:", "tcp://[::1]:" },
    };
    for (size_t i = 0; i < sizeof wildcards / sizeof wildcards[0]; i++) {
        size_t n = strlen(wildcards[i].prefix);
        if (strncmp(endpoint, wildcards[i].prefix, n) == 0) {
            snprintf(out, size, "%s%s", wildcards[i].loopback, endpoint + n);
            return;
        }
    }
    snprintf(out, size, "%s", endpoint);
}

/* Beside the daemon only its own key is configured: the server key it needs
 * is the public half of that keypair, best read from the .pub next to it. */
static void
default_server_key(const char *service)
{
    char variable[96];
    sf_service_env_name(variable, sizeof variable, service, "PUBLIC_KEY_FILE");
    sf_process_settings_t settings;
    sf_process_settings_read(&settings);
    const char *own_key = settings.curve_secret_key_file;
    if (sf_service_public_key_file(service) || !own_key[0])
        return;
    char pub[4096];
    size_t n = strlen(own_key);
    if (n > 4 && n < sizeof pub && strcmp(own_key + n - 4, ".key") == 0) {
        snprintf(pub, sizeof pub, "%.*s.pub", (int) (n - 4), own_key);
        if (access(pub, R_OK) == 0) {
            setenv(variable, pub, 1);
            return;
        }
    }
    setenv(variable, own_key, 1);   /* its public key is read, the secret ignored */
}

static bool
probe_service(const probe_options_t *options, char *line, size_t size)
{
    const char *service = options->service;
    const char *endpoint = options->endpoint ? options->endpoint : sf_service_endpoint(service);
    if (!endpoint || !*endpoint) {
        char variable[96];
        sf_text_format(line, size, "%s: no endpoint: set %s or give --endpoint", service,
                       sf_service_env_name(variable, sizeof variable, service, "ENDPOINT"));
        return false;
    }
    char address[512], variable[96];
    connect_address(endpoint, address, sizeof address);
    setenv(sf_service_env_name(variable, sizeof variable, service, "ENDPOINT"), address, 1);
    default_server_key(service);
    bool curve = sf_service_public_key_file(service) != NULL;

    char error[512];
    sf_client_t *client = sf_client_for_service(service, error, sizeof error);
    if (!client) {
        sf_text_format(line, size, "%s: bad configuration: %s", service, error);
        return false;
    }
    sf_client_set_timeout(client, options->timeout_ms);
    sf_client_set_retries(client, 0);
    sf_client_set_principal(client, "sifang-probe", "viewer", "");

    Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
    ProtobufCMessage *reply_message = NULL;
    sf_reply_info_t info;
    memset(&info, 0, sizeof info);
    sf_status_t status = sf_client_call(client, "Sys.Ping", NULL, &ping.base,
                                        &sifang__v1__ping_reply__descriptor, &reply_message, &info);
    bool healthy = false;
    if (info.outcome == SF_REPLY_NONE) {
        sf_text_format(line, size, "%s: no reply from %s within %d ms%s", service, address, options->timeout_ms,
                       curve ? " (CURVE on: is the probe's key on the daemon's allowlist?)" : "");
    } else if (status != SF_OK || !reply_message) {
        /* The daemon's message can quote what someone typed: the line is
         * cut on a character (sf_text_format), never in one. */
        sf_text_format(line, size, "%s: Sys.Ping answered %s: %s", service, sf_status_name(status),
                       info.message && *info.message ? info.message : "(no message)");
    } else {
        const Sifang__V1__PingReply *reply = (const Sifang__V1__PingReply *) reply_message;
        healthy = reply->database_up || options->live;
        sf_text_format(line, size, "%s: %s (instance %s, database %s, event head %lld, up %llds)", service,
                       reply->database_up ? "ok" : options->live ? "alive" : "database down or not migrated",
                       reply->instance, reply->database_up ? "up" : "down", (long long) reply->event_head,
                       (long long) (reply->uptime_ms / 1000));
    }
    if (reply_message)
        protobuf_c_message_free_unpacked(reply_message, NULL);
    sf_client_destroy(&client);
    return healthy;
}

/* --- HTTP GET ------------------------------------------------------------------- */

/* Connects to host:port within timeout_ms; returns the socket or -1. */
static int
connect_within(const char *host, const char *port, int timeout_ms, char *why, size_t why_size)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *addresses = NULL;
    int rc = getaddrinfo(host, port, &hints, &addresses);
    if (rc != 0) {
        snprintf(why, why_size, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    snprintf(why, why_size, "cannot connect to %s:%s", host, port);
    for (struct addrinfo *a = addresses; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            struct pollfd item = { .fd = fd, .events = POLLOUT };
            int error = 0;
            socklen_t length = sizeof error;
            if (poll(&item, 1, timeout_ms) == 1
                && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0)
                break;
            snprintf(why, why_size, "cannot connect to %s:%s: %s", host, port,
                     error ? strerror(error) : "timed out");
        } else
            snprintf(why, why_size, "cannot connect to %s:%s: %s", host, port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(addresses);
    return fd;
}

static bool
probe_http(const probe_options_t *options, char *line, size_t size)
{
    const char *url = options->http_url;
    char host[256] = "", port[16] = "80", why[640];
    const char *path = "/";
    if (strncmp(url, "http://", 7) != 0) {
        sf_text_format(line, size, "%s: only http:// URLs are supported", url);
        return false;
    }
    const char *authority = url + 7;
    const char *slash = strchr(authority, '/');
    size_t authority_len = slash ? (size_t) (slash - authority) : strlen(authority);
    if (slash)
        path = slash;
    const char *colon = memchr(authority, ':', authority_len);
    if (authority[0] == '[') {   /* [v6]:port */
        const char *close_bracket = memchr(authority, ']', authority_len);
        if (!close_bracket) {
            sf_text_format(line, size, "%s: malformed host", url);
            return false;
        }
        snprintf(host, sizeof host, "%.*s", (int) (close_bracket - authority - 1), authority + 1);
        colon = close_bracket + 1 < authority + authority_len && close_bracket[1] == ':' ? close_bracket + 1 : NULL;
    } else
        snprintf(host, sizeof host, "%.*s", (int) (colon ? (size_t) (colon - authority) : authority_len), authority);
    if (colon)
        snprintf(port, sizeof port, "%.*s", (int) (authority + authority_len - colon - 1), colon + 1);
    if (!*host || !*port || strspn(port, "0123456789") != strlen(port)) {
        sf_text_format(line, size, "%s: malformed host or port", url);
        return false;
    }

    int fd = connect_within(host, port, options->timeout_ms, why, sizeof why);
    if (fd < 0) {
        sf_text_format(line, size, "%s: %s", url, why);
        return false;
    }
    char request[1024];
    int length = snprintf(request, sizeof request,
                          "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: sifang-probe\r\nConnection: close\r\n\r\n",
                          path, host);
    char response[2048];
    size_t got = 0;
    bool sent = length > 0 && (size_t) length < sizeof request && send(fd, request, (size_t) length, MSG_NOSIGNAL) == length;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (sent && got < sizeof response - 1) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        struct pollfd item = { .fd = fd, .events = POLLIN };
        if (elapsed >= options->timeout_ms || poll(&item, 1, (int) (options->timeout_ms - elapsed)) != 1)
            break;
        ssize_t n = recv(fd, response + got, sizeof response - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t) n;
    }
    close(fd);
    response[got] = 0;
    int code = 0;
    if (!sent || sscanf(response, "HTTP/%*d.%*d %d", &code) != 1) {
        sf_text_format(line, size, "%s: %s", url,
                       !sent ? "cannot send the request" : got ? "not an HTTP reply" : "no reply");
        return false;
    }
    /* The body's start, on one line, says why a readiness check failed. */
    const char *body = strstr(response, "\r\n\r\n");
    char excerpt[161] = "";
    if (body) {
        /* Up to 160 bytes ending on a character: the body may be Chinese. */
        const char *text = body + 4;
        size_t length = sf_utf8_prefix(text, sizeof excerpt - 1);
        for (size_t n = 0; n < length; n++)
            excerpt[n] = (text[n] == '\n' || text[n] == '\r' || text[n] == '\t') ? ' ' : text[n];
        excerpt[length] = 0;
    }
    sf_text_format(line, size, "%s: HTTP %d%s%s", url, code, *excerpt ? " " : "", excerpt);
    return code >= 200 && code < 300;
}

/* --- main -------------------------------------------------------------------------- */

static int
parse_options(probe_options_t *options, int argc, char **argv)
{
    *options = (probe_options_t) { .timeout_ms = 2000 };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        } else if (strcmp(arg, "--live") == 0)
            options->live = true;
        else if (strcmp(arg, "--timeout") == 0 && has_value)
            options->timeout_ms = atoi(argv[++i]);
        else if (strcmp(arg, "--wait") == 0 && has_value)
            options->wait_s = atoi(argv[++i]);
        else if (strcmp(arg, "--endpoint") == 0 && has_value)
            options->endpoint = argv[++i];
        else if (strcmp(arg, "--http") == 0 && has_value)
            options->http_url = argv[++i];
        else if (arg[0] == '-') {
            fprintf(stderr, "sifang-probe: unknown option %s (or missing value; see --help)\n", arg);
            return -1;
        } else if (!options->service)
            options->service = arg;
        else {
            fprintf(stderr, "sifang-probe: one SERVICE only (see --help)\n");
            return -1;
        }
    }
    if (options->timeout_ms <= 0 || options->wait_s < 0) {
        fprintf(stderr, "sifang-probe: --timeout and --wait take positive numbers\n");
        return -1;
    }
    if (!options->service == !options->http_url) {
        fprintf(stderr, "sifang-probe: give a SERVICE or --http URL (see --help)\n");
        return -1;
    }
    if (options->service && strspn(options->service, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(options->service)) {
        fprintf(stderr, "sifang-probe: %s: a service name is lower-case letters, digits, - and _\n", options->service);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    probe_options_t options;
    if (parse_options(&options, argc, argv) != 0)
        return 1;
    /* The probe's line is the report; library warnings would only blur it. */
    sf_log_init("sifang-probe");
    sf_log_set_level(SF_LOG_ERROR);

    char line[1024];
    int64_t give_up = sf_clock_ms() + (int64_t) options.wait_s * 1000;
    for (;;) {
        int64_t attempt_started = sf_clock_ms();
        bool healthy = options.http_url ? probe_http(&options, line, sizeof line)
                                        : probe_service(&options, line, sizeof line);
        if (healthy) {
            printf("%s\n", line);
            return 0;
        }
        if (sf_clock_ms() >= give_up) {
            fprintf(stderr, "%s\n", line);
            return 1;
        }
        int64_t pause = attempt_started + 1000 - sf_clock_ms();
        if (pause > 0)
            usleep((useconds_t) pause * 1000);
    }
}
