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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int
main(void)
{
    if (!hs_init(&suite, "gateway_serving_test", false, NULL) || !hs_start_all(&suite) || !hs_load_district(&suite))
        goto done;
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
done:
    hs_finish(&suite);
    return sf_test_done();
}
