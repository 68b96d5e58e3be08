/* sifang-evaluation-demo-load: the demo district's evaluation data through
 * evaluation's own API, deterministic from a seed: the household and phone
 * questionnaires and the half-year scheme (the JSON files in demo/), every community's
 * activity budget for the year (10,000 to 27,000 yuan), a household round
 * and a phone round for the half-year with their stratified samples, and a
 * response for every sampled household. Request ids derive from the seed, so
 * a re-run finishes an interrupted load without writing anything twice. It
 * runs after grid's demo district is loaded and reads the communities from
 * grid's API. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sf_client.h"
#include "sf_codes.h"
#include "sf_config.h"
#include "sf_json.h"
#include "sf_status.h"
#include "sf_text.h"
#include "sifang/v1/evaluation.pb-c.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"

extern const char demo_household_survey_json[];
extern const char demo_phone_survey_json[];
extern const char demo_scheme_json[];

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_TRANSPORT = 3 };

#define WINDOW_DEFAULT 256
#define MAX_ATTEMPTS 6

static const char usage_text[] =
    "usage: sifang-evaluation-demo-load [--seed N] [--period YYYY-Hn] [--household-sample N]\n"
    "                                   [--phone-sample N] [--window N] [--timeout MS] [--wait S]\n"
    "\n"
    "Loads the demo district's evaluation data into evaluation through its API, after\n"
    "grid's demo district (sifang-demo-load) and once evaluation has followed grid:\n"
    "the household and phone questionnaires, the half-year evaluation scheme, each\n"
    "community's activity budget for the year (10,000 to 27,000 yuan), a household\n"
    "round and a phone round with their stratified samples, and a response for every\n"
    "sampled household (most completed, some refused or not reached). The same seed\n"
    "gives the same data and request ids: running it again finishes a load.\n"
    "\n"
    "  --seed N             default SIFANG_DEMO_SEED or 2012\n"
    "  --period P           the half-year (default: the current one, UTC+8)\n"
    "  --household-sample N households per community for the household round (30)\n"
    "  --phone-sample N     households per community for the phone round (20)\n"
    "  --window N           requests in flight (256)\n"
    "  --timeout MS         wait for a reply before resending it (20000)\n"
    "  --wait S             wait up to S seconds for evaluation to follow grid (120)\n"
    "  --help               this text\n"
    "\n"
    "Exit status: 0 loaded; 1 some requests failed; 2 usage; 3 a service did not answer.";

static const sf_setting_t settings[] = {
    { "SIFANG_DEMO_SEED", "2012", "the seed when --seed is not given" },
    { "SIFANG_EVALUATION_ENDPOINT", "tcp://127.0.0.1:7141", "where evaluation answers requests" },
    { "SIFANG_GRID_ENDPOINT", "tcp://127.0.0.1:7101", "where grid answers requests (the communities)" },
    { "SIFANG_EVALUATION_PUBLIC_KEY_FILE, SIFANG_GRID_PUBLIC_KEY_FILE, SIFANG_CURVE_CLIENT_KEY_FILE", NULL,
      "CURVE keys (enable CURVE)" },
    { NULL, NULL, NULL },
};

static struct {
    uint64_t seed;
    char period[16];
    int household_sample, phone_sample, window, timeout_ms, wait_s;
} options;

static void
say(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "sifang-evaluation-demo-load: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
}

/* A deterministic stream per key: splitmix64 over the seed and an FNV hash
 * of the key. */
static uint64_t
mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static double
uniform(const char *key, int salt)
{
    uint64_t hash = 1469598103934665603ULL;
    for (const char *p = key; *p; p++)
        hash = (hash ^ (unsigned char) *p) * 1099511628211ULL;
    return (double) (mix(options.seed ^ mix(hash + (uint64_t) salt)) >> 11) / 9007199254740992.0;
}

/* --- pipelined requests with resends ------------------------------------------- */

typedef struct {
    ProtobufCMessage *request;
    char request_id[128];
    int attempts;
    bool done;
    bool ok;
} item_t;

/* Sends every item, a window at a time; a reply lost or UNAVAILABLE is
 * resent with the same request id (the service answers a repeat with its
 * first reply). Returns the number that failed; -1 when nothing answers. */
static int
send_all(sf_client_t *client, const char *method, item_t *items, size_t n, const char *what)
{
    size_t next = 0, done = 0, in_flight = 0, failed = 0;
    int64_t last_progress = 0;
    while (done < n) {
        while (next < n && in_flight < (size_t) options.window) {
            if (!items[next].done) {
                items[next].attempts++;
                if (sf_client_send(client, method, items[next].request_id, items[next].request) != 0)
                    return -1;
                in_flight++;
            }
            next++;
        }
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        int got = sf_client_recv(client, options.timeout_ms, &body, &size, &info);
        free(body);
        if (got < 0)
            return -1;
        if (got == 0) {
            /* Nothing for a while: resend what is outstanding. */
            bool any = false;
            for (size_t i = 0; i < next; i++)
                if (!items[i].done) {
                    if (items[i].attempts >= MAX_ATTEMPTS) {
                        items[i].done = true;
                        done++;
                        failed++;
                        in_flight--;
                        continue;
                    }
                    items[i].attempts++;
                    if (sf_client_send(client, method, items[i].request_id, items[i].request) != 0)
                        return -1;
                    any = true;
                }
            if (!any && next >= n && done < n)
                return -1;
            continue;
        }
        size_t index = n;
        const char *dash = info.request_id ? strrchr(info.request_id, '#') : NULL;
        if (dash)
            index = (size_t) strtoull(dash + 1, NULL, 10);
        if (index >= n || items[index].done || strcmp(items[index].request_id, info.request_id) != 0)
            continue;   /* a late reply to a resent request */
        in_flight--;
        if (info.status == SF_UNAVAILABLE && items[index].attempts < MAX_ATTEMPTS) {
            usleep(200 * 1000);
            items[index].attempts++;
            if (sf_client_send(client, method, items[index].request_id, items[index].request) != 0)
                return -1;
            in_flight++;
            continue;
        }
        items[index].done = true;
        done++;
        /* Already there counts as loaded. */
        items[index].ok = info.status == SF_OK || info.status == SF_ALREADY_EXISTS;
        if (!items[index].ok) {
            if (failed < 10)
                say("%s %s: %s %s", method, items[index].request_id, sf_status_name(info.status),
                    info.message ? info.message : "");
            failed++;
        }
        int64_t now = sf_clock_ms();
        if (now - last_progress > 1000 || done == n) {
            fprintf(stderr, "\r%s: %zu/%zu", what, done, n);
            if (done == n)
                fprintf(stderr, "\n");
            last_progress = now;
        }
    }
    return (int) failed;
}

static void
item_id(item_t *item, size_t index, const char *kind, const char *key)
{
    snprintf(item->request_id, sizeof item->request_id, "evaluation-demo-%llu-%s-%s#%zu",
             (unsigned long long) options.seed, kind, key, index);
}

/* --- the data ----------------------------------------------------------------------- */

static ProtobufCMessage *
from_json(const ProtobufCMessageDescriptor *descriptor, const char *json)
{
    char field[128], error[256];
    ProtobufCMessage *message = sf_json_parse_message(descriptor, json, strlen(json), field, sizeof field,
                                                      error, sizeof error);
    if (!message)
        say("demo data does not parse at %s: %s", field, error);
    return message;
}

static int
define_basics(sf_client_t *evaluation)
{
    int failed = 0;
    const char *questionnaires[] = { demo_household_survey_json, demo_phone_survey_json };
    for (int i = 0; i < 2; i++) {
        ProtobufCMessage *questionnaire = from_json(&sifang__v1__questionnaire__descriptor, questionnaires[i]);
        if (!questionnaire)
            return 1;
        item_t item = { .request = questionnaire };
        item_id(&item, 0, "questionnaire", ((Sifang__V1__Questionnaire *) questionnaire)->code);
        failed += send_all(evaluation, "QuestionnaireDefine", &item, 1, "questionnaires") != 0;
        protobuf_c_message_free_unpacked(questionnaire, NULL);
    }
    Sifang__V1__EvaluationScheme *scheme = (Sifang__V1__EvaluationScheme *)
        from_json(&sifang__v1__evaluation_scheme__descriptor, demo_scheme_json);
    if (!scheme)
        return failed + 1;
    char *json_period = scheme->period;
    scheme->period = options.period;
    item_t item = { .request = &scheme->base };
    item_id(&item, 0, "scheme", options.period);
    failed += send_all(evaluation, "SchemeDefine", &item, 1, "scheme") != 0;
    scheme->period = json_period;
    protobuf_c_message_free_unpacked(&scheme->base, NULL);
    return failed;
}

/* The communities, from grid. */
static char (*communities)[16];
static size_t n_communities;

static int
load_communities(sf_client_t *grid)
{
    char token[128] = "";
    for (;;) {
        Sifang__V1__UnitListRequest request = SIFANG__V1__UNIT_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        request.kind = SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY;
        page.page_size = 1000;
        page.page_token = token;
        request.page = &page;
        Sifang__V1__UnitListReply *reply = NULL;
        sf_reply_info_t info;
        if (sf_client_call(grid, "UnitList", NULL, &request.base, &sifang__v1__unit_list_reply__descriptor,
                           (ProtobufCMessage **) &reply, &info) != SF_OK) {
            say("grid's UnitList: %s %s", sf_status_name(info.status), info.message ? info.message : "");
            return -1;
        }
        communities = realloc(communities, (n_communities + reply->n_units + 1) * sizeof *communities);
        for (size_t i = 0; i < reply->n_units; i++)
            snprintf(communities[n_communities++], 16, "%s", reply->units[i]->code);
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
        if (!*token)
            return 0;
    }
}

static int
record_budgets(sf_client_t *evaluation)
{
    item_t *items = calloc(n_communities + 1, sizeof *items);
    Sifang__V1__InputValue *inputs = calloc(n_communities + 1, sizeof *inputs);
    char year[8];
    snprintf(year, sizeof year, "%.4s", options.period);   /* its 4 digits: checked with --period */
    for (size_t i = 0; i < n_communities; i++) {
        sifang__v1__input_value__init(&inputs[i]);
        inputs[i].input = "activity_budget";
        inputs[i].unit_code = communities[i];
        inputs[i].period = year;
        /* 10,000 to 27,000 yuan, in 500s. */
        inputs[i].value = 10000 + 500 * floor(uniform(communities[i], 1) * 35);
        inputs[i].note = "community activity budget";
        items[i].request = &inputs[i].base;
        item_id(&items[i], i, "budget", communities[i]);
    }
    int failed = send_all(evaluation, "InputRecord", items, n_communities, "budgets");
    free(items);
    free(inputs);
    return failed;
}

static int
create_round(sf_client_t *evaluation, const char *code, const char *questionnaire, Sifang__V1__SurveyMode mode,
             int per_community)
{
    Sifang__V1__SurveyRound round = SIFANG__V1__SURVEY_ROUND__INIT;
    round.code = (char *) code;
    round.questionnaire_code = (char *) questionnaire;
    round.period = options.period;
    round.mode = mode;
    round.per_community = per_community;
    round.seed = (int64_t) (options.seed & 0x7FFFFFFFFFFFULL);
    item_t item = { .request = &round.base };
    item_id(&item, 0, "round", code);
    return send_all(evaluation, "SurveyRoundCreate", &item, 1, code) != 0;
}

/* Every sampled household's response: a community's quality sets its mean,
 * households scatter around it. */
static int
respond(sf_client_t *evaluation, const char *round_code, bool phone)
{
    size_t capacity = 1024, n = 0;
    char (*households)[20] = malloc(capacity * sizeof *households);
    char token[32] = "";
    for (;;) {
        Sifang__V1__SurveySampleRequest request = SIFANG__V1__SURVEY_SAMPLE_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        request.round_code = (char *) round_code;
        page.page_size = 1000;
        page.page_token = token;
        request.page = &page;
        Sifang__V1__SurveySampleReply *reply = NULL;
        sf_reply_info_t info;
        if (sf_client_call(evaluation, "SurveySample", NULL, &request.base,
                           &sifang__v1__survey_sample_reply__descriptor, (ProtobufCMessage **) &reply, &info) != SF_OK) {
            say("SurveySample %s: %s %s", round_code, sf_status_name(info.status), info.message ? info.message : "");
            free(households);
            return 1;
        }
        for (size_t i = 0; i < reply->n_households; i++) {
            if (n == capacity) {
                capacity *= 2;
                households = realloc(households, capacity * sizeof *households);
            }
            snprintf(households[n++], 20, "%s", reply->households[i]->household_code);
        }
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
        if (!*token)
            break;
    }
    item_t *items = calloc(n + 1, sizeof *items);
    Sifang__V1__SurveyResponse *responses = calloc(n + 1, sizeof *responses);
    Sifang__V1__SurveyAnswer (*answers)[4] = calloc(n + 1, sizeof *answers);
    Sifang__V1__SurveyAnswer *(*lists)[4] = calloc(n + 1, sizeof *lists);
    for (size_t i = 0; i < n; i++) {
        const char *code = households[i];
        char community[16];
        snprintf(community, sizeof community, "%.*s", (int) sf_code_ancestor(code, 12), code);
        double quality = 0.55 + 0.4 * uniform(community, 2);
        double draw = uniform(code, phone ? 3 : 4);
        Sifang__V1__SurveyResponse *response = &responses[i];
        sifang__v1__survey_response__init(response);
        response->round_code = (char *) round_code;
        response->household_code = households[i];
        response->mode = phone ? SIFANG__V1__SURVEY_MODE__SURVEY_MODE_PHONE : SIFANG__V1__SURVEY_MODE__SURVEY_MODE_HOUSEHOLD;
        response->interviewer = phone ? "hotline team" : "zone committee member";
        double completed_share = phone ? 0.75 : 0.88;
        if (draw >= completed_share)
            response->outcome = draw < completed_share + (1 - completed_share) / 2
                                    ? SIFANG__V1__RESPONSE_OUTCOME__RESPONSE_OUTCOME_REFUSED
                                    : SIFANG__V1__RESPONSE_OUTCOME__RESPONSE_OUTCOME_NOT_REACHED;
        else {
            response->outcome = SIFANG__V1__RESPONSE_OUTCOME__RESPONSE_OUTCOME_COMPLETED;
            int k = 0;
            const char *scales[] = { "overall", "cadre_service", "case_handling" };
            for (int s = 0; s < (phone ? 1 : 3); s++) {
                double score = quality + 0.35 * (uniform(code, 10 + s) - 0.5);
                int value = 1 + (int) lround(4 * (score < 0 ? 0 : score > 1 ? 1 : score));
                sifang__v1__survey_answer__init(&answers[i][k]);
                answers[i][k].question = (char *) scales[s];
                answers[i][k].value = value;
                lists[i][k] = &answers[i][k];
                k++;
            }
            sifang__v1__survey_answer__init(&answers[i][k]);
            answers[i][k].question = phone ? "visited" : "cadre_known";
            answers[i][k].value = uniform(code, 20) < quality;
            lists[i][k] = &answers[i][k];
            k++;
            response->answers = lists[i];
            response->n_answers = (size_t) k;
        }
        items[i].request = &response->base;
        item_id(&items[i], i, round_code, code);
    }
    int failed = send_all(evaluation, "SurveyResponseRecord", items, n, round_code);
    free(items);
    free(responses);
    free(answers);
    free(lists);
    free(households);
    return failed;
}

/* --- main ------------------------------------------------------------------------- */

static bool
number(const char *text, long long low, long long high, long long *out)
{
    char *end;
    long long value = strtoll(text, &end, 10);
    if (!*text || *end || value < low || value > high)
        return false;
    *out = value;
    return true;
}

static int64_t
head_of(sf_client_t *client)
{
    Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
    Sifang__V1__PingReply *pong = NULL;
    int64_t head = -1;
    if (sf_client_call(client, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                       (ProtobufCMessage **) &pong, NULL) == SF_OK) {
        head = pong->database_up ? pong->event_head : -1;
        protobuf_c_message_free_unpacked(&pong->base, NULL);
    }
    return head;
}

/* Waits until evaluation has applied grid's whole log: the sample frame is
 * its copy of grid's households. */
static bool
wait_for_grid(sf_client_t *evaluation, sf_client_t *grid)
{
    for (int waited = 0; waited <= options.wait_s * 1000; waited += 500) {
        int64_t head = head_of(grid);
        Sifang__V1__SourceListRequest request = SIFANG__V1__SOURCE_LIST_REQUEST__INIT;
        Sifang__V1__SourceListReply *reply = NULL;
        if (head >= 0 && sf_client_call(evaluation, "SourceList", NULL, &request.base,
                                        &sifang__v1__source_list_reply__descriptor, (ProtobufCMessage **) &reply,
                                        NULL) == SF_OK) {
            int64_t cursor = -1;
            for (size_t i = 0; i < reply->n_sources; i++)
                if (strcmp(reply->sources[i]->source, "grid") == 0)
                    cursor = reply->sources[i]->cursor;
            protobuf_c_message_free_unpacked(&reply->base, NULL);
            if (cursor == head && head > 0)
                return true;
            if (waited % 5000 == 0)
                say("waiting for evaluation to follow grid: %lld of %lld events", (long long) cursor, (long long) head);
        }
        usleep(500 * 1000);
    }
    return false;
}

int
main(int argc, char **argv)
{
    long long value;
    options.seed = (uint64_t) sf_env_int("SIFANG_DEMO_SEED", 2012);
    options.household_sample = 30;
    options.phone_sample = 20;
    options.window = 256;
    options.timeout_ms = 20000;
    options.wait_s = 120;
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(options.period, sizeof options.period, "%04d-H%d", (tm.tm_year + 1900) % 10000, tm.tm_mon < 6 ? 1 : 2);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            puts(usage_text);
            sf_config_help(stdout, "", settings);
            return EXIT_OK;
        }
        bool ok = next != NULL;
        if (ok && strcmp(arg, "--seed") == 0)
            ok = number(next, 0, (1LL << 62), &value) && ((options.seed = (uint64_t) value), true);
        else if (ok && strcmp(arg, "--period") == 0)
            ok = strlen(next) == 7 && sf_code_ancestor(next, 4) && next[4] == '-' && next[5] == 'H'
                 && (next[6] == '1' || next[6] == '2')
                 && snprintf(options.period, sizeof options.period, "%s", next) > 0;
        else if (ok && strcmp(arg, "--household-sample") == 0)
            ok = number(next, 1, 1000, &value) && ((options.household_sample = (int) value), true);
        else if (ok && strcmp(arg, "--phone-sample") == 0)
            ok = number(next, 1, 1000, &value) && ((options.phone_sample = (int) value), true);
        else if (ok && strcmp(arg, "--window") == 0)
            ok = number(next, 1, 8192, &value) && ((options.window = (int) value), true);
        else if (ok && strcmp(arg, "--timeout") == 0)
            ok = number(next, 100, 600000, &value) && ((options.timeout_ms = (int) value), true);
        else if (ok && strcmp(arg, "--wait") == 0)
            ok = number(next, 0, 86400, &value) && ((options.wait_s = (int) value), true);
        else
            ok = false;
        if (!ok) {
            fprintf(stderr, "sifang-evaluation-demo-load: bad or unknown option %s\n%s\n", arg, usage_text);
            return EXIT_USAGE;
        }
        i++;
    }
    char error[256];
    sf_client_t *evaluation = sf_client_for_service("evaluation", error, sizeof error);
    sf_client_t *grid = evaluation ? sf_client_for_service("grid", error, sizeof error) : NULL;
    if (!evaluation || !grid) {
        say("%s", error);
        sf_client_destroy(&evaluation);
        return EXIT_USAGE;
    }
    sf_client_set_timeout(evaluation, options.timeout_ms);
    sf_client_set_timeout(grid, options.timeout_ms);
    int rc = EXIT_OK, failed = 0;
    if (!wait_for_grid(evaluation, grid) || load_communities(grid) != 0 || n_communities == 0) {
        say("evaluation has not followed grid's demo district (is sifang-demo-load done, are both running?)");
        rc = EXIT_TRANSPORT;
        goto done;
    }
    say("seed %llu, period %s, %zu communities", (unsigned long long) options.seed, options.period, n_communities);
    char household_round[48], phone_round[48];
    snprintf(household_round, sizeof household_round, "%s-household", options.period);
    snprintf(phone_round, sizeof phone_round, "%s-phone", options.period);
    for (char *p = household_round; *p; p++)
        *p = (char) (*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    for (char *p = phone_round; *p; p++)
        *p = (char) (*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    int steps[] = {
        define_basics(evaluation),
        record_budgets(evaluation),
        create_round(evaluation, household_round, "household_survey", SIFANG__V1__SURVEY_MODE__SURVEY_MODE_HOUSEHOLD,
                     options.household_sample),
        create_round(evaluation, phone_round, "phone_survey", SIFANG__V1__SURVEY_MODE__SURVEY_MODE_PHONE,
                     options.phone_sample),
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        if (steps[i] < 0) {
            rc = EXIT_TRANSPORT;
            goto done;
        }
        failed += steps[i];
    }
    int household = respond(evaluation, household_round, false);
    int phone = household < 0 ? -1 : respond(evaluation, phone_round, true);
    if (household < 0 || phone < 0) {
        rc = EXIT_TRANSPORT;
        goto done;
    }
    failed += household + phone;
    rc = failed ? EXIT_FAILED : EXIT_OK;
    if (failed)
        say("done with %d failed requests", failed);
    else
        say("done");
done:
    sf_client_destroy(&evaluation);
    sf_client_destroy(&grid);
    free(communities);
    return rc;
}
