/* volunteer_dispatch_bench: how long volunteer takes to rank the candidates
 * for a zone, a skill and a time (DispatchCandidates, what intake asks for
 * each convenience case) and to offer a dispatch (DispatchOffer), against a
 * volunteer force loaded by the demo loaders, compared with a primary-key
 * read through the same daemon (VolunteerGet) measured in the same run. It
 * makes its own PostgreSQL cluster (scripts/pg.sh init in a temporary
 * directory, removed afterwards) and runs real grid and volunteer daemons;
 * see bench/volunteer-dispatch/README.md. */
#include "sf_client.h"
#include "sf_config.h"
#include "sf_test.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: volunteer_dispatch_bench [--scale F] [--queries N] [--keep]\n"
    "  --scale F    the demo district and volunteer force at F x Sifang's (default 0.25)\n"
    "  --queries N  DispatchCandidates and VolunteerGet calls timed (default 500)\n"
    "  --keep       keep the temporary directory (cluster, logs)";

/* The zone codes grid holds. */
static size_t
read_zones(sf_client_t *grid, char (**zones_p)[16])
{
    char (*zones)[16] = NULL;
    size_t n = 0, capacity = 0;
    char token[256] = "";
    for (;;) {
        Sifang__V1__UnitListRequest request = SIFANG__V1__UNIT_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        request.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE;
        page.page_size = 1000;
        page.page_token = token;
        request.page = &page;
        ProtobufCMessage *reply = NULL;
        if (sf_client_call(grid, "UnitList", NULL, &request.base, &sifang__v1__unit_list_reply__descriptor, &reply,
                           NULL) != SF_OK)
            break;
        Sifang__V1__UnitListReply *list = (Sifang__V1__UnitListReply *) reply;
        if (n + list->n_units > capacity) {
            capacity = (n + list->n_units) * 2;
            zones = realloc(zones, capacity * sizeof *zones);
        }
        for (size_t i = 0; zones && i < list->n_units; i++)
            snprintf(zones[n++], sizeof zones[0], "%s", list->units[i]->code);
        snprintf(token, sizeof token, "%s", list->next_page_token);
        protobuf_c_message_free_unpacked(reply, NULL);
        if (!token[0])
            break;
    }
    *zones_p = zones;
    return n;
}

static double
elapsed_ms(int64_t since_us)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double) ((int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000 - since_us) / 1000.0;
}

static int64_t
now_us(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

int
main(int argc, char **argv)
{
    double scale = 0.25;
    int queries = 500;
    bool keep = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc)
            scale = atof(argv[++i]);
        else if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc)
            queries = atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else {
            puts(usage_text);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (!(scale > 0 && scale <= 4) || queries < 10 || queries > 100000) {
        puts(usage_text);
        return 2;
    }
    char dir[512], pg_dir[600];
    if (sf_test_tmpdir(dir, sizeof dir) != 0)
        return 1;
    snprintf(pg_dir, sizeof pg_dir, "%s/pg", dir);
    if (sf_test_pg_own_cluster(pg_dir) != 0 || sf_test_pg_env("bench") != 0) {
        fprintf(stderr, "volunteer_dispatch_bench: cannot make a PostgreSQL cluster in %s\n", pg_dir);
        return 1;
    }
    /* TCP, as in production, on port 0: each daemon says the ports it got,
     * which env[] (also the environment of the loaders run below) then
     * names. */
    static char env[4][600];
    snprintf(env[0], sizeof env[0], "SIFANG_GRID_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(env[1], sizeof env[1], "SIFANG_GRID_PUBLISH=%s", SF_TEST_TCP_ANY);
    snprintf(env[2], sizeof env[2], "SIFANG_VOLUNTEER_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(env[3], sizeof env[3], "SIFANG_VOLUNTEER_PUBLISH=%s", SF_TEST_TCP_ANY);
    const char *daemon_env[] = { env[0], env[1], env[2], env[3], NULL };
    for (int k = 0; k < 4; k++)
        putenv(env[k]);
    int rc = 1;
    const char *grid_e = "", *vol_e = "";
    sf_test_daemon_t *grid = sf_test_service_start("grid", dir, daemon_env, 30000);
    if (grid && sf_test_daemon_endpoint(grid, "publish")) {
        grid_e = sf_test_daemon_endpoint(grid, "endpoint");
        snprintf(env[0], sizeof env[0], "SIFANG_GRID_ENDPOINT=%s", grid_e);
        snprintf(env[1], sizeof env[1], "SIFANG_GRID_PUBLISH=%s", sf_test_daemon_endpoint(grid, "publish"));
    }
    sf_test_daemon_t *volunteer = grid ? sf_test_service_start("volunteer", dir, daemon_env, 30000) : NULL;
    if (volunteer && sf_test_daemon_endpoint(volunteer, "publish")) {
        vol_e = sf_test_daemon_endpoint(volunteer, "endpoint");
        snprintf(env[2], sizeof env[2], "SIFANG_VOLUNTEER_ENDPOINT=%s", vol_e);
        snprintf(env[3], sizeof env[3], "SIFANG_VOLUNTEER_PUBLISH=%s", sf_test_daemon_endpoint(volunteer, "publish"));
    }
    sf_client_t *grid_client = sf_client_new(grid_e, NULL), *client = sf_client_new(vol_e, NULL);
    sf_client_set_timeout(grid_client, 30000);
    sf_client_set_timeout(client, 30000);
    char (*zones)[16] = NULL;
    double *candidates_ms = calloc((size_t) queries, sizeof *candidates_ms);
    double *get_ms = calloc((size_t) queries, sizeof *get_ms);
    double *offer_ms = calloc((size_t) queries, sizeof *offer_ms);
    if (!volunteer || !candidates_ms || !get_ms || !offer_ms)
        goto done;

    char scale_text[32], grid_loader[600], volunteer_loader[600];
    snprintf(scale_text, sizeof scale_text, "%g", scale);
    snprintf(grid_loader, sizeof grid_loader, "%s/tools/sifang-demo-load", sf_test_binary_dir());
    snprintf(volunteer_loader, sizeof volunteer_loader, "%s/services/volunteer/sifang-volunteer-demo-load",
             sf_test_binary_dir());
    const char *load_grid[] = { grid_loader, "--scale", scale_text, NULL };
    const char *load_volunteer[] = { volunteer_loader, "--scale", scale_text, NULL };
    fprintf(stderr, "loading grid's demo district and the volunteer force at scale %s\n", scale_text);
    if (sf_test_run(load_grid, NULL) != 0 || sf_test_run(load_volunteer, NULL) != 0) {
        fprintf(stderr, "volunteer_dispatch_bench: the demo loaders failed\n");
        goto done;
    }
    size_t n_zones = read_zones(grid_client, &zones);
    if (!n_zones)
        goto done;
    Sifang__V1__VolunteerSummaryRequest summary_request = SIFANG__V1__VOLUNTEER_SUMMARY_REQUEST__INIT;
    Sifang__V1__VolunteerSummaryReply *summary = NULL;
    if (sf_client_call(client, "Summary", NULL, &summary_request.base, &sifang__v1__volunteer_summary_reply__descriptor,
                       (ProtobufCMessage **) &summary, NULL) != SF_OK)
        goto done;
    int volunteers = summary->volunteers;
    printf("volunteer force: %d volunteers, %d teams, %d zones, %d open dispatches\n", summary->volunteers,
           summary->teams, (int) n_zones, summary->open_dispatches);
    protobuf_c_message_free_unpacked(&summary->base, NULL);

    /* Baseline: a volunteer by id, through the same daemon and transport. */
    srand(2012);
    for (int i = 0; i < queries; i++) {
        Sifang__V1__VolunteerGetRequest get = SIFANG__V1__VOLUNTEER_GET_REQUEST__INIT;
        char id[16];
        snprintf(id, sizeof id, "V%06d", 1 + rand() % volunteers);
        get.id = id;
        int64_t t0 = now_us();
        ProtobufCMessage *reply = NULL;
        if (sf_client_call(client, "VolunteerGet", NULL, &get.base, &sifang__v1__volunteer_profile__descriptor, &reply,
                           NULL) != SF_OK)
            goto done;
        get_ms[i] = elapsed_ms(t0);
        protobuf_c_message_free_unpacked(reply, NULL);
    }
    /* Candidates for a random zone, convenience skill and time. */
    static const char *const skills[] = { "meals", "elderly_care", "housekeeping", "repair" };
    int64_t now = sf_now_ms(), found = 0;
    for (int i = 0; i < queries; i++) {
        Sifang__V1__DispatchCandidatesRequest request = SIFANG__V1__DISPATCH_CANDIDATES_REQUEST__INIT;
        request.zone_code = zones[(size_t) rand() % n_zones];
        request.skill = (char *) skills[rand() % 4];
        request.at_unix_ms = now + (int64_t) (1 + rand() % 72) * 3600 * 1000;
        int64_t t0 = now_us();
        Sifang__V1__DispatchCandidatesReply *reply = NULL;
        if (sf_client_call(client, "DispatchCandidates", NULL, &request.base,
                           &sifang__v1__dispatch_candidates_reply__descriptor, (ProtobufCMessage **) &reply,
                           NULL) != SF_OK)
            goto done;
        candidates_ms[i] = elapsed_ms(t0);
        found += (int64_t) reply->n_candidates;
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
    /* Offers, one at a time as intake makes them (a write: group commit). */
    int offers = queries < 200 ? queries : 200, offered = 0;
    for (int i = 0; i < offers; i++) {
        Sifang__V1__DispatchOfferRequest request = SIFANG__V1__DISPATCH_OFFER_REQUEST__INIT;
        char case_ref[32];
        snprintf(case_ref, sizeof case_ref, "BENCH-%d", i);
        request.zone_code = zones[(size_t) rand() % n_zones];
        request.skill = (char *) skills[rand() % 4];
        request.at_unix_ms = now + (int64_t) (1 + rand() % 72) * 3600 * 1000;
        request.case_ref = case_ref;
        int64_t t0 = now_us();
        sf_reply_info_t info;
        sf_status_t status = sf_client_call(client, "DispatchOffer", NULL, &request.base,
                                            &sifang__v1__volunteer_dispatch__descriptor, NULL, &info);
        offer_ms[i] = elapsed_ms(t0);
        offered += status == SF_OK;
    }
    double get50 = sf_test_percentile(get_ms, (size_t) queries, 0.5);
    double get99 = sf_test_percentile(get_ms, (size_t) queries, 0.99);
    double c50 = sf_test_percentile(candidates_ms, (size_t) queries, 0.5);
    double c99 = sf_test_percentile(candidates_ms, (size_t) queries, 0.99);
    double o50 = sf_test_percentile(offer_ms, (size_t) offers, 0.5);
    double o99 = sf_test_percentile(offer_ms, (size_t) offers, 0.99);
    printf("baseline: VolunteerGet round trip p50=%.2f ms p99=%.2f ms\n", get50, get99);
    printf("DispatchCandidates p50=%.2f ms p99=%.2f ms (%.1f candidates a query)\n", c50, c99,
           (double) found / queries);
    printf("DispatchOffer one at a time p50=%.2f ms p99=%.2f ms (%d of %d offered)\n", o50, o99, offered, offers);
    printf("volunteer_dispatch=%.2f\n", get50 > 0 ? c50 / get50 : 0.0);
    rc = 0;
done:
    sf_client_destroy(&grid_client);
    sf_client_destroy(&client);
    if (volunteer)
        sf_test_daemon_stop(&volunteer);
    if (grid)
        sf_test_daemon_stop(&grid);
    sf_test_pg_run("destroy");
    if (!keep)
        sf_test_rmtree(dir);
    else
        fprintf(stderr, "kept %s\n", dir);
    free(zones);
    free(candidates_ms);
    free(get_ms);
    free(offer_ms);
    return rc;
}
