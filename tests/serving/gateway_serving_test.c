/* The gateway as an operator and a browser meet it, in front of every real
 * daemon:
 * - /metrics, after calls to every service, passes `promtool check metrics`
 *   (Debian's prometheus) clean: durations in seconds, no head for the
 *   gateway, which keeps no event log;
 * - a list or board under a unit outside a key's scope answers as every
 *   such list does (the backlog board too);
 * - JSON replies and the workbench's assets come gzipped to a client that
 *   accepts it, decoding to the very bytes sent plain; hashed assets are
 *   cached for a year, index.html revalidated by its ETag;
 * - more keep-alive connections than the pool has threads are all
 *   answered, and a few slow upstream reads do not stall the others. */
#include "hard_suite.h"
#include "http_client.h"
#include "sf_config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define STR_(x) #x
#define STR(x) STR_(x)
/* The gateway's workers in this test, and its wait on a service. */
#define POOL_THREADS 4
#define SLOW_MS 1500

static hs_suite_t suite;
static char admin_key[128], street_key[128];

static int
http(const char *method, const char *path, const char *key, const char *headers, http_reply_t *reply)
{
    char lines[1024];
    snprintf(lines, sizeof lines, "%s%s%s%s", key ? "Authorization: Bearer " : "", key ? key : "", key ? "\r\n" : "",
             headers ? headers : "");
    return http_request(atomic_load(&suite.http_port), method, path, lines, NULL, 0, reply);
}

/* --- metrics ------------------------------------------------------------------ */

static void
test_metrics(void)
{
    /* A read of every service, so that each reports methods. */
    static const char *const reads[] = {
        "/v1/grid/summary?under=370205", "/v1/intake/backlog?under=370205",
        "/v1/employment/statistics?under=370205&from=2026-01-01&to=2026-12-31", "/v1/volunteer/summary?under=370205",
        "/v1/evaluation/facts",
    };
    http_reply_t reply;
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        if (!SF_CHECK_EQ_INT(http("GET", reads[i], admin_key, NULL, &reply), 200))
            printf("GET %s: %s\n", reads[i], reply.body ? reply.body : "");
        http_reply_release(&reply);
    }
    if (!SF_CHECK_EQ_INT(http("GET", "/metrics", NULL, NULL, &reply), 200))
        return;
    const char *page = reply.body ? reply.body : "";
    for (size_t s = 0; s < HS_N; s++) {
        char family[128];
        snprintf(family, sizeof family, "sifang_request_duration_seconds_bucket{service=\"%s\"", hs_services[s]);
        if (!SF_CHECK(strstr(page, family)))
            printf("/metrics has no %s...}\n", family);
    }
    SF_CHECK(strstr(page, "sifang_request_duration_seconds_bucket{service=\"gateway\""));
    SF_CHECK(!strstr(page, "milliseconds"));
    SF_CHECK(!strstr(page, "sifang_event_head{service=\"gateway\""));
    SF_CHECK(strstr(page, "sifang_event_head{service=\"grid\""));

    char path[600], command[1400], output[8192];
    snprintf(path, sizeof path, "%s/metrics.txt", suite.dir);
    FILE *file = fopen(path, "wb");
    if (!SF_CHECK(file))
        return;
    fwrite(page, 1, reply.body_size, file);
    fclose(file);
    http_reply_release(&reply);
    snprintf(command, sizeof command, "%s check metrics < '%s' 2>&1", PROMTOOL_PATH, path);
    FILE *pipe = popen(command, "r");
    if (!SF_CHECK(pipe))
        return;
    size_t got = fread(output, 1, sizeof output - 1, pipe);
    output[got] = 0;
    int rc = pclose(pipe);
    if (!SF_CHECK_EQ_INT(rc, 0) || !SF_CHECK_EQ_INT((int) got, 0))
        printf("promtool check metrics (%s):\n%s\n", path, output);
    else
        printf("metrics: promtool check metrics passes clean on the gateway's and %d daemons' figures\n", HS_N);
}

/* --- scope ---------------------------------------------------------------------- */

/* The backlog board under a street outside a street key's scope answers
 * as the other lists under a unit do: 200 and empty, with no figures of
 * the other street, not even a total of zeros that would claim it has no
 * backlog (it answered {"rows":[],"total":{"unit_code":"370205002",
 * "open":0,...}}). Inside the scope the board counts its case. */
static void
test_backlog_scope(void)
{
    static const char *const lists[][2] = {
        { "/v1/grid/units?under=" HS_STREET_2, "{\"units\":[],\"next_page_token\":\"\"}" },
        { "/v1/grid/households?under=" HS_STREET_2, "{\"households\":[],\"next_page_token\":\"\"}" },
        { "/v1/intake/cases?under=" HS_STREET_2, "{\"cases\":[],\"next_page_token\":\"\"}" },
        { "/v1/intake/backlog?under=" HS_STREET_2, "{\"rows\":[]}" },
        { "/v1/intake/backlog?under=" HS_COMMUNITY_2 "&level=UNIT_KIND_ZONE", "{\"rows\":[]}" },
    };
    http_reply_t reply;
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        SF_CHECK_EQ_INT(http("GET", lists[i][0], street_key, NULL, &reply), 200);
        if (!SF_CHECK_EQ_STR(reply.body ? reply.body : "", lists[i][1]))
            printf("street key: GET %s\n", lists[i][0]);
        http_reply_release(&reply);
    }
    if (SF_CHECK_EQ_INT(http("GET", "/v1/intake/backlog?under=" HS_STREET_1, street_key, NULL, &reply), 200)) {
        const cJSON *total = cJSON_GetObjectItemCaseSensitive(reply.json, "total");
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(reply.json, "rows");
        SF_CHECK_EQ_STR(hs_text(total, "unit_code"), HS_STREET_1);
        SF_CHECK_EQ_INT(cJSON_GetObjectItemCaseSensitive(total, "open")->valueint, 1);
        SF_CHECK_EQ_INT(cJSON_GetArraySize(rows), 1);
        SF_CHECK_EQ_STR(hs_text(cJSON_GetArrayItem(rows, 0), "unit_code"), HS_COMMUNITY_1);
    }
    http_reply_release(&reply);
}

/* --- gzip and caching ------------------------------------------------------------ */

/* gzip-decoded bytes of data (malloc'd into *out), or false. */
static bool
gunzip(const char *data, size_t size, char **out, size_t *out_size)
{
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit2(&stream, 15 + 16) != Z_OK)
        return false;
    size_t capacity = size * 8 + 4096;
    char *plain = malloc(capacity);
    int rc = Z_BUF_ERROR;
    stream.next_in = (Bytef *) data;
    stream.avail_in = (uInt) size;
    while (plain) {
        stream.next_out = (Bytef *) plain + stream.total_out;
        stream.avail_out = (uInt) (capacity - stream.total_out);
        rc = inflate(&stream, Z_NO_FLUSH);
        if (rc != Z_OK || stream.avail_out)
            break;
        char *bigger = realloc(plain, capacity * 2);
        if (!bigger)
            break;
        plain = bigger;
        capacity *= 2;
    }
    *out_size = stream.total_out;
    inflateEnd(&stream);
    if (rc != Z_STREAM_END) {
        free(plain);
        return false;
    }
    *out = plain;
    return true;
}

/* GET path plain and with Accept-Encoding: gzip: the second is gzipped,
 * says so and varies by it, and decodes to the very bytes of the first
 * (or of expected, when given). Returns the plain reply's size. */
static size_t
check_gzip(const char *path, const char *key, const char *expected, size_t expected_size)
{
    http_reply_t plain, packed;
    char value[128];
    SF_CHECK_EQ_INT(http("GET", path, key, NULL, &plain), 200);
    SF_CHECK(!http_header(&plain, "Content-Encoding", value, sizeof value));
    SF_CHECK_EQ_INT(http("GET", path, key, "Accept-Encoding: br, gzip;q=0.8, deflate\r\n", &packed), 200);
    SF_CHECK_EQ_STR(http_header(&packed, "Content-Encoding", value, sizeof value) ? value : "", "gzip");
    SF_CHECK_EQ_STR(http_header(&packed, "Vary", value, sizeof value) ? value : "", "Accept-Encoding");
    char *decoded = NULL;
    size_t decoded_size = 0;
    const char *want = expected ? expected : plain.body;
    size_t want_size = expected ? expected_size : plain.body_size;
    if (SF_CHECK(packed.body && gunzip(packed.body, packed.body_size, &decoded, &decoded_size))) {
        SF_CHECK(packed.body_size < want_size / 2);
        if (!SF_CHECK(decoded_size == want_size && memcmp(decoded, want, want_size) == 0))
            printf("GET %s gzipped decodes to %zu bytes, plain %zu\n", path, decoded_size, want_size);
    }
    free(decoded);
    size_t size = plain.body_size;
    http_reply_release(&plain);
    http_reply_release(&packed);
    /* A client that refuses it, or names no encoding, gets it plain. */
    SF_CHECK_EQ_INT(http("GET", path, key, "Accept-Encoding: gzip;q=0, identity\r\n", &packed), 200);
    SF_CHECK(!http_header(&packed, "Content-Encoding", value, sizeof value));
    http_reply_release(&packed);
    return size;
}

static char workbench_dir[512];
static char asset_text[24200], page_text[4000];

/* A workbench build as Vite leaves it: index.html naming a hashed asset. */
static bool
make_workbench(void)
{
    snprintf(workbench_dir, sizeof workbench_dir, "%s/dist", suite.dir);
    char path[600];
    snprintf(path, sizeof path, "%s/assets", workbench_dir);
    if (mkdir(workbench_dir, 0700) != 0 || mkdir(path, 0700) != 0)
        return false;
    char *at = asset_text;
    for (int i = 0; i < 300; i++)
        at += sprintf(at, "export const panel%03d = () => \"四方工作台 panel %d\";\n", i, i);
    at = page_text + sprintf(page_text, "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                                         "<script type=\"module\" src=\"/assets/index-B9x3kQ7a.js\"></script>");
    for (int i = 0; i < 40; i++)
        at += sprintf(at, "<link rel=\"modulepreload\" href=\"/assets/chunk-%02d.js\">", i);
    sprintf(at, "</head><body><div id=\"app\"></div></body></html>\n");
    snprintf(path, sizeof path, "%s/assets/index-B9x3kQ7a.js", workbench_dir);
    FILE *file = fopen(path, "wb");
    bool ok = file && fputs(asset_text, file) >= 0;
    if (file)
        fclose(file);
    snprintf(path, sizeof path, "%s/index.html", workbench_dir);
    file = fopen(path, "wb");
    ok = ok && file && fputs(page_text, file) >= 0;
    if (file)
        fclose(file);
    return ok;
}

static void
test_gzip_and_caching(void)
{
    /* JSON replies: a list, and the metrics page's text. */
    size_t size = check_gzip("/v1/grid/units?under=370205", admin_key, NULL, 0);
    SF_CHECK(size > 1024);
    check_gzip("/openapi.json", NULL, NULL, 0);
    /* A small reply goes plain: not worth the header. */
    http_reply_t reply;
    char value[160], etag[160];
    SF_CHECK_EQ_INT(http("GET", "/healthz", NULL, "Accept-Encoding: gzip\r\n", &reply), 200);
    SF_CHECK(!http_header(&reply, "Content-Encoding", value, sizeof value));
    http_reply_release(&reply);

    /* The workbench: a hashed asset is the file's bytes, cached a year;
     * gzipped once and kept (the second time from the gateway's cache),
     * packed again when the file is rebuilt in place. */
    check_gzip("/assets/index-B9x3kQ7a.js", NULL, asset_text, strlen(asset_text));
    check_gzip("/assets/index-B9x3kQ7a.js", NULL, asset_text, strlen(asset_text));
    char asset_path[600];
    snprintf(asset_path, sizeof asset_path, "%s/assets/index-B9x3kQ7a.js", workbench_dir);
    FILE *asset = fopen(asset_path, "ab");
    const char *rebuilt = "export const rebuilt = \"重新构建\";\n";
    if (SF_CHECK(asset)) {
        fputs(rebuilt, asset);
        fclose(asset);
        strcat(asset_text, rebuilt);
    }
    check_gzip("/assets/index-B9x3kQ7a.js", NULL, asset_text, strlen(asset_text));
    SF_CHECK_EQ_INT(http("GET", "/assets/index-B9x3kQ7a.js", NULL, "Accept-Encoding: gzip\r\n", &reply), 200);
    SF_CHECK_EQ_STR(http_header(&reply, "Cache-Control", value, sizeof value) ? value : "",
                    "public, max-age=31536000, immutable");
    SF_CHECK_EQ_STR(http_header(&reply, "Content-Type", value, sizeof value) ? value : "",
                    "text/javascript; charset=utf-8");
    http_reply_release(&reply);
    /* The page: asked again at every load, 304 while its ETag holds. */
    check_gzip("/", NULL, page_text, strlen(page_text));
    SF_CHECK_EQ_INT(http("GET", "/", NULL, NULL, &reply), 200);
    SF_CHECK_EQ_STR(http_header(&reply, "Cache-Control", value, sizeof value) ? value : "", "no-cache");
    if (!SF_CHECK(http_header(&reply, "ETag", etag, sizeof etag) && strncmp(etag, "W/\"", 3) == 0))
        etag[0] = 0;
    http_reply_release(&reply);
    char revalidate[256];
    snprintf(revalidate, sizeof revalidate, "If-None-Match: %s\r\nAccept-Encoding: gzip\r\n", etag);
    SF_CHECK_EQ_INT(http("GET", "/", NULL, revalidate, &reply), 304);
    SF_CHECK_EQ_INT((int) reply.body_size, 0);
    SF_CHECK_EQ_STR(http_header(&reply, "ETag", value, sizeof value) ? value : "", etag);
    SF_CHECK_EQ_STR(http_header(&reply, "Cache-Control", value, sizeof value) ? value : "", "no-cache");
    http_reply_release(&reply);
    /* A new build: the old tag no longer holds. */
    char path[600];
    snprintf(path, sizeof path, "%s/index.html", workbench_dir);
    FILE *file = fopen(path, "ab");
    if (SF_CHECK(file)) {
        fputs("<!-- rebuilt -->\n", file);
        fclose(file);
    }
    SF_CHECK_EQ_INT(http("GET", "/", NULL, revalidate, &reply), 200);
    SF_CHECK(http_header(&reply, "ETag", value, sizeof value) && strcmp(value, etag) != 0);
    http_reply_release(&reply);
    printf("gzip: JSON, the OpenAPI document and the workbench's files decode to the bytes sent plain; "
           "assets immutable for a year, index.html revalidated by ETag\n");
}

/* --- many connections ------------------------------------------------------------- */

/* A kept-alive connection: connect once, then requests one after another. */
static int
connect_gateway(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t) atomic_load(&suite.http_port)),
                                   .sin_addr = { htonl(INADDR_LOOPBACK) } };
    struct timeval wait = { 10, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    if (fd >= 0 && connect(fd, (struct sockaddr *) &address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool
send_get(int fd, const char *path, const char *key)
{
    char request[512];
    int length = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: sifang.test\r\n%s%s%s\r\n", path,
                          key ? "Authorization: Bearer " : "", key ? key : "", key ? "\r\n" : "");
    return send(fd, request, (size_t) length, MSG_NOSIGNAL) == length;
}

/* One reply off a kept-alive connection: its status (0: none), the body
 * read by its Content-Length, the connection left open for the next. */
static int
read_one(int fd)
{
    char head[8192];
    size_t got = 0;
    while (got < sizeof head - 1) {
        ssize_t n = recv(fd, head + got, 1, 0);
        if (n <= 0)
            return 0;
        got += (size_t) n;
        head[got] = 0;
        if (got >= 4 && memcmp(head + got - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    int status = 0;
    if (sscanf(head, "HTTP/1.1 %d", &status) != 1 || strcasestr(head, "\r\nConnection: close"))
        return 0;
    const char *length = strcasestr(head, "\r\nContent-Length:");
    long remaining = length ? strtol(length + 17, NULL, 10) : 0;
    char body[4096];
    while (remaining > 0) {
        ssize_t n = recv(fd, body, remaining < (long) sizeof body ? (size_t) remaining : sizeof body, 0);
        if (n <= 0)
            return 0;
        remaining -= n;
    }
    return status;
}

typedef struct {
    pthread_t thread;
    int status;
    int64_t took_ms;
} slow_read_t;

static void *
slow_read(void *arg)
{
    slow_read_t *read = arg;
    int64_t started = sf_clock_ms();
    http_reply_t reply;
    read->status = http("GET", "/v1/volunteer/summary?under=370205", admin_key, NULL, &reply);
    http_reply_release(&reply);
    read->took_ms = sf_clock_ms() - started;
    return NULL;
}

/* Three times as many kept-alive connections as the pool has workers,
 * each asking three times: every request answered on its connection.
 * Then, with all but one worker held by reads of a service that does not
 * answer (stopped), every connection is still answered at once. */
static void
test_many_connections(void)
{
    enum { N = 3 * POOL_THREADS };
    int fds[N];
    int answered = 0;
    for (int i = 0; i < N; i++)
        SF_CHECK((fds[i] = connect_gateway()) >= 0);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++)
            SF_CHECK(fds[i] >= 0 && send_get(fds[i], round == 1 ? "/v1/grid/summary?under=370205" : "/healthz",
                                             round == 1 ? admin_key : NULL));
        for (int i = 0; i < N; i++)
            answered += fds[i] >= 0 && read_one(fds[i]) == 200;
    }
    SF_CHECK_EQ_INT(answered, 3 * N);

    pid_t volunteer = sf_test_daemon_pid(suite.daemons[HS_VOLUNTEER].daemon);
    if (!SF_CHECK(volunteer > 0 && kill(volunteer, SIGSTOP) == 0))
        goto close;
    slow_read_t reads[POOL_THREADS - 1];
    for (int r = 0; r < POOL_THREADS - 1; r++)
        pthread_create(&reads[r].thread, NULL, slow_read, &reads[r]);
    struct timespec settle = { 0, 300 * 1000000L };   /* the slow reads are in the workers' hands */
    nanosleep(&settle, NULL);
    int64_t started = sf_clock_ms();
    answered = 0;
    for (int i = 0; i < N; i++)
        SF_CHECK(fds[i] >= 0 && send_get(fds[i], "/v1/grid/summary?under=370205", admin_key));
    for (int i = 0; i < N; i++)
        answered += fds[i] >= 0 && read_one(fds[i]) == 200;
    int64_t took = sf_clock_ms() - started;
    SF_CHECK_EQ_INT(answered, N);
    if (!SF_CHECK(took < SLOW_MS - 500))
        printf("%d requests beside %d slow reads took %lld ms\n", N, POOL_THREADS - 1, (long long) took);
    for (int r = 0; r < POOL_THREADS - 1; r++) {
        pthread_join(reads[r].thread, NULL);
        /* The stopped service: 503 after the wait, never a hang. */
        SF_CHECK_EQ_INT(reads[r].status, 503);
        SF_CHECK(reads[r].took_ms >= SLOW_MS - 100);
    }
    kill(volunteer, SIGCONT);
    /* /metrics says so: requests waited for a worker; now only the one
     * answering /metrics is busy. */
    http_reply_t reply;
    if (SF_CHECK_EQ_INT(http("GET", "/metrics", NULL, NULL, &reply), 200)) {
        const char *page = reply.body ? reply.body : "";
        SF_CHECK(strstr(page, "\nsifang_gateway_workers " STR(POOL_THREADS) "\n"));
        SF_CHECK(strstr(page, "\nsifang_gateway_workers_busy 1\n"));
        SF_CHECK(strstr(page, "\nsifang_gateway_requests_waiting 0\n"));
        const char *queued = strstr(page, "\nsifang_gateway_requests_queued_total ");
        if (!SF_CHECK(queued && atoll(queued + 38) > 0))
            printf("%.200s\n", queued ? queued : "no sifang_gateway_requests_queued_total");
    }
    http_reply_release(&reply);
    printf("pool: %d kept-alive connections on %d workers answered 3 times each; beside %d reads waiting on a "
           "stopped service, %d requests answered in %lld ms\n", N, POOL_THREADS, POOL_THREADS - 1, N,
           (long long) took);
close:
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

int
main(void)
{
    if (!hs_init(&suite, "gateway_serving_test", false, NULL) || !hs_start_all(&suite) || !hs_load_district(&suite))
        goto done;
    /* A small pool, so that more connections than its threads are open
     * at once; a short wait on a service, so that a slow one is seen. */
    char workbench_setting[600];
    if (!SF_CHECK(make_workbench()))
        goto done;
    snprintf(workbench_setting, sizeof workbench_setting, "SIFANG_GATEWAY_WORKBENCH_DIR=%s", workbench_dir);
    suite.gateway_extra[0] = workbench_setting;
    suite.gateway_extra[1] = "SIFANG_GATEWAY_THREADS=" STR(POOL_THREADS);
    suite.gateway_extra[2] = "SIFANG_GATEWAY_POLL_THREADS=2";
    suite.gateway_extra[3] = "SIFANG_GATEWAY_TIMEOUT_MS=" STR(SLOW_MS);
    suite.gateway_extra[4] = "SIFANG_GATEWAY_RETRIES=0";
    if (!SF_CHECK(hs_api_key(&suite, "serving-admin", "admin", "", admin_key, sizeof admin_key)
                  && hs_api_key(&suite, "serving-street", "street", HS_STREET_1, street_key, sizeof street_key)
                  && hs_start_gateway(&suite)))
        goto done;
    /* A case in each street, so that the boards have figures to show. */
    for (int s = 0; s < 2; s++) {
        char json[1024];
        snprintf(json, sizeof json,
                 "{\"channel\":\"CASE_CHANNEL_HOTLINE\",\"item_code\":\"residence-certificate\",\"description\":"
                 "\"serving %d\",\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":\"%s\","
                 "\"name\":\"张秀英\"}}", s, suite.district.households[s][0]);
        HS_MUST(suite.admin[HS_INTAKE], "intake", "CaseSubmit", json, NULL);
    }
    test_metrics();
    test_backlog_scope();
    test_gzip_and_caching();
    test_many_connections();
done:
    hs_finish(&suite);
    return sf_test_done();
}
