/* evaluation_bench: how long after an intake case is closed evaluation's
 * KPI shows it. It makes its own PostgreSQL cluster (scripts/pg.sh init in a
 * temporary directory), starts grid, intake (following grid) and evaluation
 * (following both), builds a small district in grid, opens and resolves the
 * cases, then closes them at a steady rate while polling evaluation's
 * cases_closed KPI for the district: the k-th close (in reply order) is
 * reflected when the KPI first reaches k. The baseline is intake's own
 * CaseClose round trip in the same run. Prints both and, with --scorecard,
 * the full-period ScorecardGet time of a running (demo) evaluation; last
 * line `evaluation_lag_p99_ms=<n>`. */
#include "evaluation_test_district.h"
#include "sf_config.h"
#include "sifang/v1/intake.pb-c.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: evaluation_bench [--cases N] [--rate R] [--keep] [--scorecard ENDPOINT --period P]\n"
    "\n"
    "Starts grid, intake and evaluation on a PostgreSQL cluster of its own, opens N\n"
    "cases in intake and resolves them, then closes them at R per second while\n"
    "polling evaluation's cases_closed KPI; prints the lag from each close's reply\n"
    "to the KPI showing it (p50, p99, max) against intake's own CaseClose round trip.\n"
    "\n"
    "  --cases N            cases closed (default 2000)\n"
    "  --rate R             closes per second (default 200)\n"
    "  --keep               keep the cluster and the logs (the path is printed)\n"
    "  --scorecard EP       also time ScorecardGet (with cadres) 20 times against a\n"
    "                       running evaluation at EP (the demo district), for --period\n"
    "\n"
    "Last line: evaluation_lag_p99_ms=<n>.";

static double
seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* cases_closed for the district this half-year, or -1. */
static int64_t
closed_kpi(sf_client_t *evaluation, const char *half)
{
    Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
    char *codes[1] = { "cases_closed_count" };
    request.kpi_codes = codes;
    request.n_kpi_codes = 1;
    request.period = (char *) half;
    request.unit_code = "370205";
    Sifang__V1__KpiValuesReply *reply = NULL;
    int64_t value = -1;
    if (sf_client_call(evaluation, "KpiValues", NULL, &request.base, &sifang__v1__kpi_values_reply__descriptor,
                       (ProtobufCMessage **) &reply, NULL) == SF_OK) {
        if (reply->n_values == 1)
            value = llround(reply->values[0]->value);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
    return value;
}

/* Submits and resolves n cases, pipelined; returns their ids. */
static int64_t *
open_cases(sf_client_t *intake, const td_district_t *district, int n)
{
    int64_t *ids = calloc((size_t) n, sizeof *ids);
    ProtobufCMessage **requests = calloc((size_t) n, sizeof *requests);
    char **request_ids = calloc((size_t) n, sizeof *request_ids);
    Sifang__V1__CaseSubmitRequest *submits = calloc((size_t) n, sizeof *submits);
    Sifang__V1__CaseRequester *requesters = calloc((size_t) n, sizeof *requesters);
    void **replies = calloc((size_t) n, sizeof *replies);
    size_t *sizes = calloc((size_t) n, sizeof *sizes);
    for (int i = 0; i < n; i++) {
        sifang__v1__case_submit_request__init(&submits[i]);
        sifang__v1__case_requester__init(&requesters[i]);
        requesters[i].kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
        requesters[i].household_code = (char *) district->households[i % district->n_households];
        requesters[i].name = "resident";
        submits[i].channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW;
        submits[i].item_code = "residence-certificate";
        submits[i].requester = &requesters[i];
        submits[i].description = "bench case";
        requests[i] = &submits[i].base;
        request_ids[i] = malloc(48);
        snprintf(request_ids[i], 48, "bench-submit-%d", i);
    }
    int ok = td_pipeline(intake, "CaseSubmit", requests, request_ids, n, replies, sizes);
    printf("submitted %d of %d cases\n", ok, n);
    for (int i = 0; i < n; i++) {
        Sifang__V1__Case *c = replies[i] ? sifang__v1__case__unpack(NULL, sizes[i], replies[i]) : NULL;
        if (c) {
            ids[i] = c->id;
            protobuf_c_message_free_unpacked(&c->base, NULL);
        }
        free(replies[i]);
        replies[i] = NULL;
    }
    Sifang__V1__CaseResolveRequest *resolves = calloc((size_t) n, sizeof *resolves);
    Sifang__V1__CaseRef *refs = calloc((size_t) n, sizeof *refs);
    for (int i = 0; i < n; i++) {
        sifang__v1__case_resolve_request__init(&resolves[i]);
        sifang__v1__case_ref__init(&refs[i]);
        refs[i].id = ids[i];
        resolves[i].ref = &refs[i];
        resolves[i].resolution = "certificate issued";
        requests[i] = &resolves[i].base;
        snprintf(request_ids[i], 48, "bench-resolve-%d", i);
    }
    ok = td_pipeline(intake, "CaseResolve", requests, request_ids, n, NULL, NULL);
    printf("resolved %d of %d cases\n", ok, n);
    for (int i = 0; i < n; i++)
        free(request_ids[i]);
    free(requests);
    free(request_ids);
    free(submits);
    free(requesters);
    free(replies);
    free(sizes);
    free(resolves);
    free(refs);
    return ids;
}

static void
time_scorecard(const char *endpoint, const char *period)
{
    sf_client_t *client = sf_client_new(endpoint, NULL);
    sf_client_set_timeout(client, 20000);
    double times[20];
    int n = 0;
    for (int i = 0; i < 20; i++) {
        Sifang__V1__ScorecardRequest request = SIFANG__V1__SCORECARD_REQUEST__INIT;
        request.period = (char *) period;
        request.with_cadres = true;
        Sifang__V1__Scorecard *card = NULL;
        double started = seconds();
        sf_reply_info_t info;
        if (sf_client_call(client, "ScorecardGet", NULL, &request.base, &sifang__v1__scorecard__descriptor,
                           (ProtobufCMessage **) &card, &info) != SF_OK) {
            printf("ScorecardGet: %s %s\n", sf_status_name(info.status), info.message);
            break;
        }
        times[n++] = (seconds() - started) * 1000;
        if (i == 0)
            printf("scorecard %s: %zu streets, %zu communities\n", period, card->n_streets, card->n_communities);
        protobuf_c_message_free_unpacked(&card->base, NULL);
    }
    if (n)
        printf("scorecard_get_ms p50=%.1f p99=%.1f (target < 200)\n", sf_test_percentile(times, (size_t) n, 0.5),
               sf_test_percentile(times, (size_t) n, 0.99));
    sf_client_destroy(&client);
}

int
main(int argc, char **argv)
{
    int cases = 2000;
    double rate = 200;
    bool keep = false;
    const char *scorecard_endpoint = NULL, *scorecard_period = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cases") == 0 && i + 1 < argc)
            cases = atoi(argv[++i]);
        else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
            rate = atof(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else if (strcmp(argv[i], "--scorecard") == 0 && i + 1 < argc)
            scorecard_endpoint = argv[++i];
        else if (strcmp(argv[i], "--period") == 0 && i + 1 < argc)
            scorecard_period = argv[++i];
        else {
            puts(usage_text);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (cases < 1 || cases > 100000 || rate <= 0 || (scorecard_endpoint && !scorecard_period)) {
        puts(usage_text);
        return 2;
    }
    if (scorecard_endpoint)
        time_scorecard(scorecard_endpoint, scorecard_period);

    char dir[512], pg_dir[600];
    if (sf_test_tmpdir(dir, sizeof dir) != 0)
        return 1;
    snprintf(pg_dir, sizeof pg_dir, "%s/pg", dir);
    if (sf_test_pg_own_cluster(pg_dir) != 0 || sf_test_pg_env("bench") != 0) {
        fprintf(stderr, "evaluation_bench: cannot make a PostgreSQL cluster in %s\n", pg_dir);
        return 1;
    }
    /* TCP, as in production, on port 0: each daemon says the ports it got,
     * which the ones started after it are told (env[] is rewritten). */
    char env[8][600];
    snprintf(env[0], sizeof env[0], "SIFANG_GRID_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(env[1], sizeof env[1], "SIFANG_GRID_PUBLISH=%s", SF_TEST_TCP_ANY);
    snprintf(env[2], sizeof env[2], "SIFANG_INTAKE_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(env[3], sizeof env[3], "SIFANG_INTAKE_PUBLISH=%s", SF_TEST_TCP_ANY);
    snprintf(env[4], sizeof env[4], "SIFANG_EVALUATION_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(env[5], sizeof env[5], "SIFANG_EVALUATION_PUBLISH=%s", SF_TEST_TCP_ANY);
    const char *daemon_env[] = { env[0], env[1], env[2], env[3], env[4], env[5],
                                 "SIFANG_EVALUATION_SOURCES=grid intake",
                                 "SIFANG_INTAKE_VOLUNTEER=false", "SIFANG_INTAKE_GRID_POLL_MS=200", NULL };
    const char *grid_e = "", *intake_e = "", *eval_e = "";
    sf_test_daemon_t *grid = sf_test_service_start("grid", dir, daemon_env, 30000);
    if (grid && sf_test_daemon_endpoint(grid, "publish")) {
        grid_e = sf_test_daemon_endpoint(grid, "endpoint");
        snprintf(env[0], sizeof env[0], "SIFANG_GRID_ENDPOINT=%s", grid_e);
        snprintf(env[1], sizeof env[1], "SIFANG_GRID_PUBLISH=%s", sf_test_daemon_endpoint(grid, "publish"));
    }
    sf_test_daemon_t *intake = grid ? sf_test_service_start("intake", dir, daemon_env, 30000) : NULL;
    if (intake && sf_test_daemon_endpoint(intake, "publish")) {
        intake_e = sf_test_daemon_endpoint(intake, "endpoint");
        snprintf(env[2], sizeof env[2], "SIFANG_INTAKE_ENDPOINT=%s", intake_e);
        snprintf(env[3], sizeof env[3], "SIFANG_INTAKE_PUBLISH=%s", sf_test_daemon_endpoint(intake, "publish"));
    }
    sf_test_daemon_t *evaluation = intake ? sf_test_service_start("evaluation", dir, daemon_env, 30000) : NULL;
    if (evaluation && sf_test_daemon_endpoint(evaluation, "endpoint"))
        eval_e = sf_test_daemon_endpoint(evaluation, "endpoint");
    int rc = 1;
    sf_client_t *grid_client = sf_client_new(grid_e, NULL), *intake_client = sf_client_new(intake_e, NULL),
                *closer = sf_client_new(intake_e, NULL), *eval_client = sf_client_new(eval_e, NULL);
    sf_client_set_timeout(grid_client, 30000);
    sf_client_set_timeout(intake_client, 30000);
    sf_client_set_timeout(eval_client, 30000);
    /* A station principal: its cases are accepted at registration. */
    sf_client_set_principal(intake_client, "bench-station", "community", "");
    sf_client_set_principal(closer, "bench-station", "community", "");
    td_district_t *district = calloc(1, sizeof *district);
    int64_t *ids = NULL;
    double *close_sent = NULL, *close_done = NULL, *lags = NULL, *round_trips = NULL;
    if (!evaluation)
        goto done;
    if (td_build(grid_client, district) != 0) {
        fprintf(stderr, "evaluation_bench: the district did not build\n");
        goto done;
    }
    /* Intake and evaluation follow grid before cases refer to its households. */
    if (!td_wait_caught_up(eval_client, "grid", grid_e, 60000))
        goto done;
    sleep(1);
    char half[16];
    td_current_period(2, half);
    Sifang__V1__Kpi kpi = SIFANG__V1__KPI__INIT;
    kpi.code = "cases_closed_count";
    kpi.name = "Cases closed";
    kpi.numerator = "#{cases_closed}";
    if (td_call(eval_client, "KpiDefine", &kpi.base, NULL, NULL) != SF_OK)
        goto done;
    ids = open_cases(intake_client, district, cases);
    if (!td_wait_caught_up(eval_client, "intake", intake_e, 120000))
        goto done;
    int64_t base = closed_kpi(eval_client, half);

    /* Close at the rate, poll the KPI in between. */
    close_sent = calloc((size_t) cases, sizeof *close_sent);
    close_done = calloc((size_t) cases, sizeof *close_done);
    lags = calloc((size_t) cases, sizeof *lags);
    round_trips = calloc((size_t) cases, sizeof *round_trips);
    int *order = calloc((size_t) cases, sizeof *order);
    int sent = 0, replied = 0, failed = 0, reflected = 0;
    double started = seconds(), interval = 1.0 / rate, deadline = started + cases / rate + 60;
    Sifang__V1__CaseCloseRequest *closes = calloc((size_t) cases, sizeof *closes);
    Sifang__V1__CaseRef *refs = calloc((size_t) cases, sizeof *refs);
    char request_id[48];
    while ((replied < cases || reflected < replied - failed) && seconds() < deadline) {
        double now = seconds();
        while (sent < cases && now >= started + sent * interval) {
            sifang__v1__case_close_request__init(&closes[sent]);
            sifang__v1__case_ref__init(&refs[sent]);
            refs[sent].id = ids[sent];
            closes[sent].ref = &refs[sent];
            closes[sent].satisfaction = 1 + sent % 5;
            closes[sent].note = closes[sent].satisfaction <= 2 ? "resident unhappy with waiting" : "";
            snprintf(request_id, sizeof request_id, "bench-close-%d", sent);
            close_sent[sent] = seconds();
            if (sf_client_send(closer, "CaseClose", request_id, &closes[sent].base) != 0)
                break;
            sent++;
        }
        for (;;) {
            void *body = NULL;
            size_t size = 0;
            sf_reply_info_t info;
            if (sf_client_recv(closer, 0, &body, &size, &info) != 1)
                break;
            free(body);
            int index = atoi(info.request_id + strlen("bench-close-"));
            if (info.status != SF_OK) {
                if (failed++ < 5)
                    printf("CaseClose: %s %s\n", sf_status_name(info.status), info.message);
                replied++;
                continue;
            }
            close_done[index] = seconds();
            round_trips[replied - failed] = (close_done[index] - close_sent[index]) * 1000;
            order[replied - failed] = index;
            replied++;
        }
        int64_t value = closed_kpi(eval_client, half);
        double seen = seconds();
        /* The KPI counts closes in commit order, which replies follow. */
        while (value >= 0 && reflected < replied - failed && base + reflected < value) {
            lags[reflected] = (seen - close_done[order[reflected]]) * 1000;
            reflected++;
        }
        usleep(2000);
    }
    double elapsed = seconds() - started;
    int measured = reflected;
    printf("closed %d cases in %.1f s (%.0f/s), %d failed, %d reflected in the KPI\n", replied - failed, elapsed,
           (replied - failed) / elapsed, failed, measured);
    if (measured == 0)
        goto done;
    double rt50 = sf_test_percentile(round_trips, (size_t) (replied - failed), 0.5);
    double rt99 = sf_test_percentile(round_trips, (size_t) (replied - failed), 0.99);
    double p50 = sf_test_percentile(lags, (size_t) measured, 0.5);
    double p99 = sf_test_percentile(lags, (size_t) measured, 0.99);
    double max = sf_test_percentile(lags, (size_t) measured, 1.0);
    printf("baseline: intake CaseClose round trip p50=%.1f ms p99=%.1f ms\n", rt50, rt99);
    printf("lag from close to KPI: p50=%.1f ms p99=%.1f ms max=%.1f ms (target p99 <= 500)\n", p50, p99, max);
    printf("evaluation_lag_p99_ms=%ld\n", lround(p99));
    rc = measured == replied - failed ? 0 : 1;
    free(order);
    free(closes);
    free(refs);
done:
    sf_client_destroy(&grid_client);
    sf_client_destroy(&intake_client);
    sf_client_destroy(&closer);
    sf_client_destroy(&eval_client);
    if (evaluation)
        sf_test_daemon_stop(&evaluation);
    if (intake)
        sf_test_daemon_stop(&intake);
    if (grid)
        sf_test_daemon_stop(&grid);
    if (!keep) {
        sf_test_pg_run("destroy");
        sf_test_rmtree(dir);
    } else
        printf("kept %s\n", dir);
    free(district);
    free(ids);
    free(close_sent);
    free(close_done);
    free(lags);
    free(round_trips);
    return rc;
}
