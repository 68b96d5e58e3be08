/* The soak: every daemon (grid, intake, employment, volunteer, evaluation,
 * the gateway) under a steady rate of writes and reads for a long while
 * (10 minutes by default), sampling each one's resident memory (VmRSS) as
 * it goes; prints the samples and a verdict on whether memory stayed flat.
 * Run by bench/soak/soak.sh, which makes the PostgreSQL cluster it needs
 * (bench/soak/README.md). */
#include "hard_suite.h"
#include "http_client.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 1024
#define N_PROCESSES (HS_N + 1)

static hs_suite_t suite;
static long rss_kb[MAX_SAMPLES][N_PROCESSES];
static long sent, acknowledged;

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
rss_of(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *status = fopen(path, "r");
    long kb = -1;
    while (status && fgets(line, sizeof line, status))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (status)
        fclose(status);
    return kb;
}

static pid_t
pid_of(int p)
{
    sf_test_daemon_t *daemon = p < HS_N ? suite.daemons[p].daemon : suite.gateway;
    return daemon ? sf_test_daemon_pid(daemon) : 0;
}

static const char *
name_of(int p)
{
    return p < HS_N ? hs_services[p] : "gateway";
}

/* One request of the steady mix: creates in every service, reads, and a
 * case through the gateway. */
static void
one_request(long i, const char *api_key)
{
    const hs_district_t *d = &suite.district;
    const char *household = d->households[i % 2][i % HS_MAX_HOUSEHOLDS];
    char json[1024], text[64];
    snprintf(text, sizeof text, "soak_%ld", i);
    sf_status_t status = SF_OK;
    switch (i % 8) {
    case 0:
        snprintf(json, sizeof json, "{\"household_code\":\"%s\",\"name\":\"%s\",\"relation\":\"child\"}", household, text);
        status = hs_call(suite.admin[HS_GRID], "grid", "ResidentCreate", NULL, json, NULL, NULL);
        break;
    case 1: case 5:
        snprintf(json, sizeof json,
                 "{\"channel\":\"CASE_CHANNEL_WINDOW\",\"item_code\":\"residence-certificate\",\"description\":\"%s\","
                 "\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\",\"household_code\":\"%s\",\"name\":\"x\"}}",
                 text, household);
        status = hs_call(suite.admin[HS_INTAKE], "intake", "CaseSubmit", NULL, json, NULL, NULL);
        break;
    case 2:
        snprintf(json, sizeof json, "{\"staff_id\":\"%s\",\"household_code\":\"%s\",\"kind\":\"CONTACT_KIND_VISIT\","
                 "\"note\":\"%s\"}", d->staff[i % 2], household, text);
        status = hs_call(suite.admin[HS_VOLUNTEER], "volunteer", "VisitRecord", NULL, json, NULL, NULL);
        break;
    case 3:
        snprintf(json, sizeof json, "{\"code\":\"C-%s\",\"title\":\"%s\",\"hours\":8}", text, text);
        status = hs_call(suite.admin[HS_EMPLOYMENT], "employment", "CourseCreate", NULL, json, NULL, NULL);
        break;
    case 4:
        snprintf(json, sizeof json, "{\"under\":\"%s\",\"page\":{\"page_size\":20}}", HS_STREET_1);
        status = hs_call(suite.admin[HS_GRID], "grid", "HouseholdList", NULL, json, NULL, NULL);
        break;
    case 6: {
        char headers[512], path[128];
        snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\n", api_key);
        snprintf(path, sizeof path, "/v1/intake/cases?under=%s&page_size=10", HS_STREET_2);
        http_reply_t reply;
        int http = http_request(suite.http_port, "GET", path, headers, NULL, 0, &reply);
        http_reply_release(&reply);
        status = http == 200 ? SF_OK : SF_UNAVAILABLE;
        break;
    }
    default: {
        char period[16];
        time_t t = time(NULL) + 8 * 3600;
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(period, sizeof period, "%04d-H%d", (tm.tm_year + 1900) % 10000, tm.tm_mon < 6 ? 1 : 2);
        snprintf(json, sizeof json, "{\"period\":\"%s\",\"unit_code\":\"370205\"}", period);
        status = hs_call(suite.admin[HS_EVALUATION], "evaluation", "FactValues", NULL, json, NULL, NULL);
        break;
    }
    }
    sent++;
    acknowledged += status == SF_OK;
}

int
main(int argc, char **argv)
{
    int seconds = 600, rate = 100, sample_s = 30;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--seconds") == 0)
            seconds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rate") == 0)
            rate = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--sample") == 0)
            sample_s = atoi(argv[i + 1]);
    }
    if (seconds < 10 || rate < 1 || sample_s < 1) {
        fprintf(stderr, "usage: sifang-soak [--seconds 600] [--rate 100] [--sample 30]\n");
        return 2;
    }
    char api_key[128];
    if (!hs_init(&suite, "soak", false, NULL) || !hs_start_all(&suite) || !hs_load_district(&suite)
        || !hs_api_key(&suite, "soak", "admin", "", api_key, sizeof api_key) || !hs_start_gateway(&suite)) {
        hs_finish(&suite);
        return 1;
    }
    printf("soak: %d s at %d requests/s, RSS sampled every %d s (MB)\n", seconds, rate, sample_s);
    printf("%7s %9s", "t (s)", "requests");
    for (int p = 0; p < N_PROCESSES; p++)
        printf(" %11s", name_of(p));
    printf("\n");
    double start = now_s(), next_sample = start;
    int samples = 0;
    for (long i = 0;; i++) {
        double due = start + (double) i / rate, t = now_s();
        if (due > t)
            usleep((useconds_t) ((due - t) * 1e6));
        if (now_s() >= next_sample && samples < MAX_SAMPLES) {
            printf("%7.0f %9ld", now_s() - start, sent);
            for (int p = 0; p < N_PROCESSES; p++) {
                rss_kb[samples][p] = rss_of(pid_of(p));
                printf(" %11.1f", rss_kb[samples][p] / 1024.0);
            }
            printf("\n");
            fflush(stdout);
            samples++;
            next_sample += sample_s;
        }
        if (now_s() - start >= seconds)
            break;
        one_request(i, api_key);
    }
    /* Flat: after a warm-up (the first fifth), the mean of the last three
     * samples is within max(4 MB, 5%) of the mean of the first three. */
    int from = samples / 5;
    double worst = 0;
    bool flat = samples - from >= 6;
    printf("\n%-11s %10s %10s %9s %s\n", "daemon", "after warm", "at end", "growth", "verdict");
    for (int p = 0; p < N_PROCESSES && samples - from >= 6; p++) {
        double early = (rss_kb[from][p] + rss_kb[from + 1][p] + rss_kb[from + 2][p]) / 3.0 / 1024;
        double late = (rss_kb[samples - 1][p] + rss_kb[samples - 2][p] + rss_kb[samples - 3][p]) / 3.0 / 1024;
        double allowed = early * 0.05 > 4 ? early * 0.05 : 4;
        bool ok = late - early <= allowed;
        double ratio = early > 0 ? late / early : 0;
        if (ratio > worst)
            worst = ratio;
        flat = flat && ok;
        printf("%-11s %8.1f MB %8.1f MB %+7.1f MB %s\n", name_of(p), early, late, late - early,
               ok ? "flat" : "GROWING");
    }
    if (samples - from < 6)
        printf("too few samples for a verdict: run longer or sample more often\n");
    printf("requests: %ld sent, %ld answered OK (%.1f/s)\n", sent, acknowledged, sent / (now_s() - start));
    printf("verdict: %s\n", flat ? "memory flat in every daemon" : "memory NOT flat (see above)");
    hs_finish(&suite);
    printf("soak=%.3f\n", worst);
    return flat ? 0 : 1;
}
