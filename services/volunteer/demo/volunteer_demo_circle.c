/* sifang-volunteer-demo-circle: the year of the 15-minute life service
 * circle's providers in the demo district, through intake as the stations
 * worked it. For each provider of the directory (the volunteer demo loader
 * registered them), one to three convenience cases of its zones over the
 * past year, each imported at its times: registered at the station,
 * dispatched by the desk to the provider named by its directory id (a
 * business), accepted and completed by it, and closed after the return
 * visit with the resident's satisfaction. The volunteer registry follows
 * intake's case.closed events and rates each provider from them, so the
 * directory shows ratings. The loader waits until every rating is in and
 * prints the figures.
 *
 * Then the circle's requests of today, through intake as the stations take
 * them (300 at scale 1): a resident's convenience request registered now,
 * naming the zone's committee member as the principal (believed without
 * CURVE; under CURVE the ops key's own), not imported: the registry's offers
 * are made now, so the case is today's (one dated before today began would
 * be overdue at once). Intake dispatches it itself, the volunteer registry
 * offering it to its best candidate. The providers answer in the
 * registry, in turn: accepted and served, accepted, refused once (the next
 * candidate offered), left unanswered, refused three times (back with the
 * desk). What is left unanswered times out at its item's time (intake's
 * catalogue: 5 to 30 minutes after the load), moves on, and after three is
 * back with the desk too: so the desk's cases show offers accepted,
 * declined, timed out and returned. The loader waits until intake has
 * recorded the answers. Request ids are fixed (the offers' by the district's
 * day): a second run repeats nothing. */
#include "demo_district.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/intake.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DAY_MS (24LL * 3600 * 1000)
#define MINUTE_MS (60LL * 1000)
#define RATING_WAIT_S 120
#define ACTOR "S-station"
/* Today's requests of the circle, at scale 1 (at least OFFERS_LEAST). */
#define OFFERS 300
#define OFFERS_LEAST 10
#define OFFER_WAIT_S 120

static const char usage_text[] =
    "usage: sifang-volunteer-demo-circle [--seed N] [--scale F]\n"
    "\n"
    "A year of the 15-minute circle's providers: convenience cases in each provider's\n"
    "zones, imported through intake (registered, dispatched to the provider named from\n"
    "the directory, accepted, completed, closed with the return visit's satisfaction),\n"
    "then waits for the volunteer registry to rate them. Endpoints from\n"
    "SIFANG_INTAKE_ENDPOINT and SIFANG_VOLUNTEER_ENDPOINT; --seed and --scale as\n"
    "sifang-demo-load's (the same district). Then today's requests of the circle (300 at\n"
    "scale 1), registered by the zones' committee members, dispatched by intake through\n"
    "the registry and answered there by the providers: accepted and served, accepted,\n"
    "refused, left to time out at their item's time, refused until back with the desk.\n"
    "Also needs SIFANG_GRID_ENDPOINT (who answers for each zone).";

/* The convenience item a provider's category serves, and what residents ask. */
static const struct {
    const char *item;
    const char *asked;
    const char *done;
} by_category[] = {
    [SIFANG__V1__PROVIDER_CATEGORY__PROVIDER_CATEGORY_MEALS] = { "elderly-meal-delivery", "老人午餐送餐上门", "已按时送达" },
    [SIFANG__V1__PROVIDER_CATEGORY__PROVIDER_CATEGORY_ELDERLY_CARE] = { "elderly-home-care", "独居老人上门照料", "已上门照料" },
    [SIFANG__V1__PROVIDER_CATEGORY__PROVIDER_CATEGORY_HOUSEKEEPING] = { "housekeeping", "家庭保洁", "已完成保洁" },
    [SIFANG__V1__PROVIDER_CATEGORY__PROVIDER_CATEGORY_REPAIR] = { "appliance-repair", "燃气灶打不着火", "已修复" },
    [SIFANG__V1__PROVIDER_CATEGORY__PROVIDER_CATEGORY_HEALTH_CARE] = { "elderly-home-care", "上门测量血压血糖", "已上门测量并登记" },
};

static bool
wait_up(sf_client_t *client, const char *what)
{
    for (int i = 0; i < 300; i++) {
        Sifang__V1__PingRequest ping = SIFANG__V1__PING_REQUEST__INIT;
        Sifang__V1__PingReply *pong = NULL;
        if (sf_client_call(client, "Sys.Ping", NULL, &ping.base, &sifang__v1__ping_reply__descriptor,
                           (ProtobufCMessage **) &pong, NULL) == SF_OK) {
            bool up = pong->database_up;
            protobuf_c_message_free_unpacked(&pong->base, NULL);
            if (up)
                return true;
        }
        sleep(1);
    }
    fprintf(stderr, "%s did not answer with its database up\n", what);
    return false;
}

/* Every provider of the directory (active ones), by id. */
static Sifang__V1__ProviderListReply **
read_providers(sf_client_t *volunteer, size_t *n_pages)
{
    Sifang__V1__ProviderListReply **pages = NULL;
    *n_pages = 0;
    char token[64] = "";
    for (;;) {
        Sifang__V1__ProviderListRequest list = SIFANG__V1__PROVIDER_LIST_REQUEST__INIT;
        Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
        page.page_size = 1000;
        page.page_token = token;
        list.page = &page;
        Sifang__V1__ProviderListReply *reply = NULL;
        sf_reply_info_t info;
        if (sf_client_call(volunteer, "ProviderList", NULL, &list.base, &sifang__v1__provider_list_reply__descriptor,
                           (ProtobufCMessage **) &reply, &info) != SF_OK) {
            fprintf(stderr, "ProviderList: %s\n", info.message ? info.message : "no answer");
            break;
        }
        Sifang__V1__ProviderListReply **more = realloc(pages, (*n_pages + 1) * sizeof *pages);
        if (!more) {
            protobuf_c_message_free_unpacked(&reply->base, NULL);
            break;
        }
        pages = more;
        pages[(*n_pages)++] = reply;
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        if (!token[0])
            break;
    }
    return pages;
}

/* A case step through intake; OK, or the refusal said. */
static bool
step(sf_client_t *intake, const char *method, const char *request_id, const ProtobufCMessage *request,
     int64_t *case_id)
{
    Sifang__V1__Case *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(intake, method, request_id, request, &sifang__v1__case__descriptor,
                                        (ProtobufCMessage **) &reply, &info);
    if (status != SF_OK) {
        fprintf(stderr, "%s %s: %s %s\n", method, request_id, sf_status_name(status), info.message ? info.message : "");
        return false;
    }
    if (case_id)
        *case_id = reply->id;
    protobuf_c_message_free_unpacked(&reply->base, NULL);
    return true;
}

/* One case of provider p in household, k days ago; its satisfaction. */
static bool
serve(sf_client_t *intake, const Sifang__V1__ServiceProvider *p, const char *household, int64_t received_ms,
      int satisfaction, const char *key)
{
    int category = p->category;
    if (category < 1 || category > 5)
        return true;
    char request_id[96];
    Sifang__V1__CaseImport imported = SIFANG__V1__CASE_IMPORT__INIT;
    imported.actor_id = ACTOR;
    Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
    requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    requester.household_code = (char *) household;
    Sifang__V1__CaseSubmitRequest submit = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
    submit.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_HOTLINE;
    submit.item_code = (char *) by_category[category].item;
    submit.requester = &requester;
    submit.description = (char *) by_category[category].asked;
    imported.at_unix_ms = received_ms;
    submit.imported = &imported;
    int64_t case_id = 0;
    snprintf(request_id, sizeof request_id, "%s/submit", key);
    if (!step(intake, "CaseSubmit", request_id, &submit.base, &case_id))
        return false;
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = case_id;
    /* The desk names the provider from the directory. */
    Sifang__V1__CaseDispatchRequest dispatch = SIFANG__V1__CASE_DISPATCH_REQUEST__INIT;
    dispatch.ref = &ref;
    dispatch.provider_kind = SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_BUSINESS;
    dispatch.provider_id = p->id;
    dispatch.provider_name = p->name;
    imported.at_unix_ms = received_ms + 10 * MINUTE_MS;
    dispatch.imported = &imported;
    snprintf(request_id, sizeof request_id, "%s/dispatch", key);
    if (!step(intake, "CaseDispatch", request_id, &dispatch.base, NULL))
        return false;
    Sifang__V1__CaseDispatchAnswerRequest answer = SIFANG__V1__CASE_DISPATCH_ANSWER_REQUEST__INIT;
    answer.ref = &ref;
    answer.accepted = true;
    imported.at_unix_ms = received_ms + 40 * MINUTE_MS;
    answer.imported = &imported;
    snprintf(request_id, sizeof request_id, "%s/accept", key);
    if (!step(intake, "CaseDispatchAnswer", request_id, &answer.base, NULL))
        return false;
    answer.accepted = false;
    answer.completed = true;
    answer.note = (char *) by_category[category].done;
    imported.at_unix_ms = received_ms + 180 * MINUTE_MS;
    snprintf(request_id, sizeof request_id, "%s/complete", key);
    if (!step(intake, "CaseDispatchAnswer", request_id, &answer.base, NULL))
        return false;
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = &ref;
    close.satisfaction = satisfaction;
    imported.at_unix_ms = received_ms + DAY_MS + 120 * MINUTE_MS;
    close.imported = &imported;
    snprintf(request_id, sizeof request_id, "%s/close", key);
    return step(intake, "CaseClose", request_id, &close.base, NULL);
}

/* Return visits rated in the registry, summed over the directory. */
static long
ratings_in(sf_client_t *volunteer, double *mean_p, long *rated_p)
{
    size_t n_pages = 0;
    Sifang__V1__ProviderListReply **pages = read_providers(volunteer, &n_pages);
    long ratings = 0, rated = 0;
    double sum = 0;
    for (size_t g = 0; g < n_pages; g++) {
        for (size_t i = 0; i < pages[g]->n_providers; i++) {
            const Sifang__V1__ServiceProvider *p = pages[g]->providers[i];
            ratings += p->ratings;
            rated += p->ratings > 0;
            sum += p->rating * p->ratings;
        }
        protobuf_c_message_free_unpacked(&pages[g]->base, NULL);
    }
    free(pages);
    *mean_p = ratings ? sum / (double) ratings : 0;
    *rated_p = rated;
    return ratings;
}

/* --- today's requests: offers through intake ----------------------------------------- */

/* What the providers make of an offer, in turn, so that each is there. */
enum {
    OFFER_SERVED,             /* accepted and completed: the case resolved */
    OFFER_ACCEPTED,           /* accepted, being served */
    OFFER_REFUSED,            /* refused once: the next candidate offered, who does not answer */
    OFFER_UNANSWERED,         /* left to time out at its item's time, and move on */
    OFFER_REFUSED_TO_DESK,    /* refused until the registry gives it back to the desk */
    OFFER_OUTCOMES
};

static const struct {
    const char *item;
    const char *asked;
} offer_items[] = {
    { "elderly-meal-delivery", "今天午饭送一份软饭" },
    { "elderly-home-care", "独居老人需要上门照料半天" },
    { "housekeeping", "家里需要大扫除" },
    { "appliance-repair", "洗衣机不脱水" },
    { "plumbing-electrical-repair", "厨房水管漏水" },
};
#define OFFER_ITEMS (sizeof offer_items / sizeof *offer_items)

typedef struct {
    int64_t case_id;
    int outcome;
    char dispatch_id[16];     /* the registry's, once offered */
    bool unmatched;           /* no one could take it */
    int recorded;             /* CaseDispatchState intake must come to after the answers (0: any) */
} offer_case_t;

/* The zone's committee member (who takes its residents' calls), or "". */
static const char *
clerk_of(sf_client_t *grid, const char *zone, char (*cache)[2][16], size_t *n_cache, size_t max)
{
    for (size_t i = 0; i < *n_cache; i++)
        if (strcmp(cache[i][0], zone) == 0)
            return cache[i][1];
    Sifang__V1__ResponsibilityListRequest list = SIFANG__V1__RESPONSIBILITY_LIST_REQUEST__INIT;
    list.unit_code = (char *) zone;
    list.kind = SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE;
    Sifang__V1__ResponsibilityListReply *reply = NULL;
    const char *found = "";
    if (sf_client_call(grid, "ResponsibilityList", NULL, &list.base, &sifang__v1__responsibility_list_reply__descriptor,
                       (ProtobufCMessage **) &reply, NULL) == SF_OK) {
        for (size_t i = 0; i < reply->n_responsibilities && !*found; i++)
            if (strcmp(reply->responsibilities[i]->unit_code, zone) == 0 && *n_cache < max) {
                snprintf(cache[*n_cache][0], 16, "%s", zone);
                snprintf(cache[*n_cache][1], 16, "%s", reply->responsibilities[i]->staff_id);
                found = cache[(*n_cache)++][1];
            }
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
    return found;
}

/* The case as intake has it now (NULL when it cannot be read). */
static Sifang__V1__Case *
case_now(sf_client_t *intake, int64_t id)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__Case *c = NULL;
    if (sf_client_call(intake, "CaseGet", NULL, &ref.base, &sifang__v1__case__descriptor, (ProtobufCMessage **) &c,
                       NULL) != SF_OK)
        return NULL;
    return c;
}

/* An answer in the registry; the dispatch after it, or NULL: refused when
 * the offer had already moved on or ended (a slow load against a short
 * time-out), which is said and not a failure. */
static Sifang__V1__VolunteerDispatch *
answer(sf_client_t *volunteer, const char *method, const char *request_id, const ProtobufCMessage *request,
       bool *failed)
{
    Sifang__V1__VolunteerDispatch *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(volunteer, method, request_id, request,
                                        &sifang__v1__volunteer_dispatch__descriptor, (ProtobufCMessage **) &reply,
                                        &info);
    if (status == SF_FAILED_PRECONDITION)
        fprintf(stderr, "%s %s: %s (the offer had moved on)\n", method, request_id, info.message ? info.message : "");
    else if (status != SF_OK) {
        fprintf(stderr, "%s %s: %s %s\n", method, request_id, sf_status_name(status), info.message ? info.message : "");
        *failed = true;
    }
    return status == SF_OK ? reply : NULL;
}

/* The providers' answers to one offer, by its outcome. */
static bool
answer_offer(sf_client_t *volunteer, offer_case_t *o, const char *key, size_t *served)
{
    bool failed = false;
    char request_id[128];
    Sifang__V1__VolunteerDispatch *d = NULL;
    if (o->outcome == OFFER_SERVED || o->outcome == OFFER_ACCEPTED) {
        Sifang__V1__DispatchAcceptRequest accept = SIFANG__V1__DISPATCH_ACCEPT_REQUEST__INIT;
        accept.id = (char *) o->dispatch_id;
        snprintf(request_id, sizeof request_id, "%s/accept", key);
        d = answer(volunteer, "DispatchAccept", request_id, &accept.base, &failed);
        if (d)
            o->recorded = SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_ACCEPTED;
        if (d && o->outcome == OFFER_SERVED) {
            Sifang__V1__DispatchCompleteRequest complete = SIFANG__V1__DISPATCH_COMPLETE_REQUEST__INIT;
            complete.id = (char *) o->dispatch_id;
            /* A volunteer's hour becomes a pending service record; a
             * provider's service is not volunteer hours. */
            complete.hours = d->assignee_kind == SIFANG__V1__DISPATCH_ASSIGNEE_KIND__DISPATCH_ASSIGNEE_KIND_PROVIDER ? 0 : 1;
            complete.note = "已上门服务，居民满意";
            snprintf(request_id, sizeof request_id, "%s/complete", key);
            protobuf_c_message_free_unpacked(&d->base, NULL);
            d = answer(volunteer, "DispatchComplete", request_id, &complete.base, &failed);
            *served += d != NULL;
            if (d)
                o->recorded = SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_COMPLETED;
        }
    } else if (o->outcome == OFFER_REFUSED || o->outcome == OFFER_REFUSED_TO_DESK) {
        static const char *const reasons[] = { "这个时段没空", "人手不足，今天排不开", "不在服务范围内" };
        int times = o->outcome == OFFER_REFUSED ? 1 : 3;
        bool open = true;
        for (int i = 0; i < times && open && !failed; i++) {
            Sifang__V1__DispatchDeclineRequest decline = SIFANG__V1__DISPATCH_DECLINE_REQUEST__INIT;
            decline.id = (char *) o->dispatch_id;
            decline.reason = (char *) reasons[i];
            decline.reoffer = true;
            snprintf(request_id, sizeof request_id, "%s/decline/%d", key, i + 1);
            if (d)
                protobuf_c_message_free_unpacked(&d->base, NULL);
            d = answer(volunteer, "DispatchDecline", request_id, &decline.base, &failed);
            open = d && d->status == SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_OFFERED;
            if (d && !open)
                o->recorded = SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_DECLINED;
        }
    }
    if (d)
        protobuf_c_message_free_unpacked(&d->base, NULL);
    return !failed;
}

/* Whether intake's case shows what the registry did with its answers. */
static bool
case_recorded(const Sifang__V1__Case *c, const offer_case_t *o)
{
    int state = c && c->dispatch ? (int) c->dispatch->state : 0;
    return o->recorded ? state == o->recorded
                       : state != SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_REQUESTED;
}

/* Today's requests of the circle through intake; false on a failure. */
static bool
offer_today(sf_client_t *intake, sf_client_t *clerk, sf_client_t *volunteer, sf_client_t *grid,
            const demo_district_t *district, uint64_t seed, double scale, int64_t midnight)
{
    size_t n = (size_t) (OFFERS * scale + 0.5);
    if (n < OFFERS_LEAST)
        n = OFFERS_LEAST;
    offer_case_t *cases = calloc(n, sizeof *cases);
    char (*clerks)[2][16] = calloc(n, sizeof *clerks);
    size_t n_clerks = 0;
    bool ok = cases && clerks && district->n_households > 0;
    long long day = (long long) ((midnight + 8 * 3600 * 1000LL) / DAY_MS);
    /* Registered now by each zone's committee member, as the station does. */
    for (size_t k = 0; ok && k < n; k++) {
        demo_stream_t rng = { seed ^ 0x6f66666572u ^ ((uint64_t) (k + 1) * 0x9E3779B97F4A7C15ULL) };
        const demo_household_t *h = &district->households[demo_stream_below(&rng, (int) district->n_households)];
        cases[k].outcome = (int) (k % OFFER_OUTCOMES);
        size_t item = (k + k / OFFER_OUTCOMES) % OFFER_ITEMS;
        char zone[16], community[16], request_id[128];
        snprintf(zone, sizeof zone, "%.14s", h->code);
        snprintf(community, sizeof community, "%.12s", h->code);
        const char *staff = clerk_of(grid, zone, clerks, &n_clerks, n);
        if (*staff)
            sf_client_set_principal(clerk, staff, "community", community);
        else
            sf_client_set_principal(clerk, "volunteer-demo-circle", "admin", "");
        Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
        requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
        requester.household_code = (char *) h->code;
        Sifang__V1__CaseSubmitRequest submit = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
        submit.channel = k % 2 ? SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_ONE_KEY_CALL
                               : SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_HOTLINE;
        submit.item_code = (char *) offer_items[item].item;
        submit.requester = &requester;
        submit.description = (char *) offer_items[item].asked;
        snprintf(request_id, sizeof request_id, "demo-circle/%llu/offers/%lld/%zu/submit", (unsigned long long) seed,
                 day, k);
        ok = step(clerk, "CaseSubmit", request_id, &submit.base, &cases[k].case_id);
    }
    /* Intake asks the registry; its offer comes back to the case. */
    int64_t until = sf_clock_ms() + OFFER_WAIT_S * 1000LL;
    for (size_t waiting = n; ok && waiting > 0 && sf_clock_ms() < until;) {
        waiting = 0;
        for (size_t k = 0; k < n; k++) {
            if (cases[k].dispatch_id[0] || cases[k].unmatched)
                continue;
            Sifang__V1__Case *c = case_now(intake, cases[k].case_id);
            int state = c && c->dispatch ? (int) c->dispatch->state : 0;
            if (c && c->dispatch && *c->dispatch->volunteer_dispatch_id)
                snprintf(cases[k].dispatch_id, sizeof cases[k].dispatch_id, "%s", c->dispatch->volunteer_dispatch_id);
            else if (state == SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_UNMATCHED || (c && !c->dispatch))
                cases[k].unmatched = true;
            else
                waiting++;
            if (c)
                protobuf_c_message_free_unpacked(&c->base, NULL);
        }
        if (waiting)
            usleep(200 * 1000);
    }
    size_t offered = 0, unmatched = 0, served = 0, counts[OFFER_OUTCOMES] = { 0 };
    for (size_t k = 0; ok && k < n; k++) {
        if (!cases[k].dispatch_id[0]) {
            unmatched += cases[k].unmatched;
            if (!cases[k].unmatched) {
                fprintf(stderr, "case %lld was not offered within %d s (is intake using the registry?)\n",
                        (long long) cases[k].case_id, OFFER_WAIT_S);
                ok = false;
            }
            continue;
        }
        offered++;
        counts[cases[k].outcome]++;
        char key[96];
        snprintf(key, sizeof key, "demo-circle/%llu/offers/%lld/%zu", (unsigned long long) seed, day, k);
        ok = answer_offer(volunteer, &cases[k], key, &served);
    }
    /* Intake records the registry's answers as the cases' steps. */
    for (size_t k = 0; ok && k < n; k++) {
        if (!cases[k].dispatch_id[0])
            continue;
        bool recorded = false;
        while (!recorded && sf_clock_ms() < until) {
            Sifang__V1__Case *c = case_now(intake, cases[k].case_id);
            recorded = case_recorded(c, &cases[k]);
            if (c)
                protobuf_c_message_free_unpacked(&c->base, NULL);
            if (!recorded)
                usleep(200 * 1000);
        }
        if (!recorded) {
            fprintf(stderr, "intake did not record the registry's answers to case %lld within %d s\n",
                    (long long) cases[k].case_id, OFFER_WAIT_S);
            ok = false;
        }
    }
    if (ok)
        printf("offers: %zu of today's requests through intake, %zu offered by the registry (%zu accepted, %zu of"
               " them served; %zu refused once; %zu left to time out at their item's time; %zu refused back to the"
               " desk), %zu found no one\n", n, offered, counts[OFFER_SERVED] + counts[OFFER_ACCEPTED], served,
               counts[OFFER_REFUSED], counts[OFFER_UNANSWERED], counts[OFFER_REFUSED_TO_DESK], unmatched);
    free(cases);
    free(clerks);
    return ok;
}

int
main(int argc, char **argv)
{
    uint64_t seed = (uint64_t) sf_env_int("SIFANG_DEMO_SEED", DEMO_SEED_DEFAULT);
    double scale = 1.0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0) {
            puts(usage_text);
            return 0;
        } else if (strcmp(arg, "--seed") == 0 && value) {
            seed = strtoull(value, NULL, 10);
            i++;
        } else if (strcmp(arg, "--scale") == 0 && value) {
            char *end = NULL;
            scale = strtod(value, &end);
            if (!*value || *end || !(scale > 0 && scale <= DEMO_SCALE_MAX)) {
                fprintf(stderr, "--scale takes a number in (0, %g], not \"%s\"\n", DEMO_SCALE_MAX, value);
                return 2;
            }
            i++;
        } else {
            fprintf(stderr, "%s\n", usage_text);
            return 2;
        }
    }
    demo_district_t *district = demo_district_new(seed, scale);
    if (!district) {
        fprintf(stderr, "cannot generate the district\n");
        return 1;
    }
    char error[256];
    sf_client_t *intake = sf_client_for_service("intake", error, sizeof error);
    sf_client_t *clerk = intake ? sf_client_for_service("intake", error, sizeof error) : NULL;
    sf_client_t *volunteer = clerk ? sf_client_for_service("volunteer", error, sizeof error) : NULL;
    sf_client_t *grid = volunteer ? sf_client_for_service("grid", error, sizeof error) : NULL;
    int rc = 1;
    Sifang__V1__ProviderListReply **pages = NULL;
    size_t n_pages = 0;
    if (!intake || !clerk || !volunteer || !grid) {
        fprintf(stderr, "%s\n", error);
        goto done;
    }
    sf_client_set_timeout(intake, 10000);
    sf_client_set_timeout(clerk, 10000);
    sf_client_set_timeout(volunteer, 10000);
    sf_client_set_timeout(grid, 10000);
    /* Imported steps are the admin's (each on behalf of the station); today's
     * requests are the clerk's (the zone's committee member). */
    sf_client_set_principal(intake, "volunteer-demo-circle", "admin", "");
    sf_client_set_principal(volunteer, "volunteer-demo-circle", "admin", "");
    sf_client_set_principal(grid, "volunteer-demo-circle", "admin", "");
    if (!wait_up(intake, "intake") || !wait_up(volunteer, "volunteer"))
        goto done;
    pages = read_providers(volunteer, &n_pages);
    double mean_before;
    long rated_before;
    long before = ratings_in(volunteer, &mean_before, &rated_before);
    /* Dated from the district's midnight today, so that a second run on the
     * same day sends the same requests. */
    int64_t midnight = ((int64_t) time(NULL) + 8 * 3600) / 86400 * DAY_MS - 8 * 3600 * 1000LL;
    size_t served = 0;
    long closed = 0;
    for (size_t g = 0; g < n_pages; g++)
        for (size_t i = 0; i < pages[g]->n_providers; i++) {
            const Sifang__V1__ServiceProvider *p = pages[g]->providers[i];
            /* A stream per provider: its draws do not depend on the others. */
            uint64_t serial = strtoull(p->id + 1, NULL, 10);
            demo_stream_t rng = { seed ^ 0x63697263u ^ (serial * 0x9E3779B97F4A7C15ULL) };
            int cases = 1 + demo_stream_below(&rng, 3);
            for (int k = 0; k < cases; k++) {
                /* A household of one of its zones, the first there in the district. */
                const char *zone = p->n_zone_codes ? p->zone_codes[demo_stream_below(&rng, (int) p->n_zone_codes)] : "";
                const char *household = NULL;
                for (size_t h = 0; *zone && h < district->n_households && !household; h++)
                    if (strncmp(district->households[h].code, zone, strlen(zone)) == 0)
                        household = district->households[h].code;
                if (!household)
                    continue;
                /* Mostly satisfied: 5 half the time, 4 a third, else 3. */
                int draw = demo_stream_below(&rng, 12);
                int satisfaction = draw < 6 ? 5 : draw < 10 ? 4 : 3;
                int64_t received = midnight - (int64_t) (3 + demo_stream_below(&rng, 330)) * DAY_MS
                                 + (int64_t) (8 * 60 + demo_stream_below(&rng, 9 * 60)) * MINUTE_MS;
                char key[80];
                snprintf(key, sizeof key, "demo-circle/%llu/%s/%d", (unsigned long long) seed, p->id, k);
                if (!serve(intake, p, household, received, satisfaction, key))
                    goto done;
                served++;
            }
        }
    /* The registry rates them as it follows intake's case.closed events. */
    double mean = 0;
    long rated = 0;
    for (int second = 0; second < RATING_WAIT_S; second++) {
        closed = ratings_in(volunteer, &mean, &rated);
        if (closed >= before + (long) served || closed >= (long) served)
            break;
        sleep(1);
    }
    if (closed < (long) served && closed < before + (long) served) {
        fprintf(stderr, "the registry holds %ld return visits of %zu within %d s (is volunteer following intake?)\n",
                closed, served, RATING_WAIT_S);
        goto done;
    }
    printf("circle: %zu provider cases served and visited; the directory holds %ld return visits over %ld"
           " providers, mean satisfaction %.2f\n", served, closed, rated, mean);
    if (!offer_today(intake, clerk, volunteer, grid, district, seed, scale, midnight))
        goto done;
    rc = 0;
done:
    for (size_t g = 0; g < n_pages; g++)
        protobuf_c_message_free_unpacked(&pages[g]->base, NULL);
    free(pages);
    sf_client_destroy(&intake);
    sf_client_destroy(&clerk);
    sf_client_destroy(&volunteer);
    sf_client_destroy(&grid);
    demo_district_destroy(&district);
    return rc;
}
