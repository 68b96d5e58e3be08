/* sifang-intake-demo-registrations: the demo district's registrations that
 * flow from intake into the services that own them (docs/registrations.md).
 * At the window of the demo accounts' community (杭州路社区, the first of
 * the district) residents register: 就业失业登记 of people of working age
 * and one past it (employment refuses him), 就业困难人员认定 of "4050"
 * people and one too young for it (refused by the category's rule), and
 * 在职党员报到 of party members, one of whom lives in another community
 * (the registry refuses: a member reports where they live). Each case is
 * resolved (the approval); the loader waits for every answer, closes the
 * linked cases after their return visit and prints the figures. The people
 * come from the generated district (their ID numbers too, which grid never
 * gives back); request ids are fixed, so a second run repeats nothing. */
#include "demo_district.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sf_dates.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/intake.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KIND(name) SIFANG__V1__CASE_REGISTRATION_KIND__CASE_REGISTRATION_KIND_##name
#define STATE(name) SIFANG__V1__CASE_REGISTRATION_STATE__CASE_REGISTRATION_STATE_##name
#define MAX_CASES 32
#define ANSWER_WAIT_S 120

static const char usage_text[] =
    "usage: sifang-intake-demo-registrations [--seed N] [--scale F]\n"
    "\n"
    "Registers the demo district's 就业失业登记, 就业困难人员认定 and 在职党员报到 at\n"
    "the first community's window, resolves them, waits for employment's and the\n"
    "volunteer registry's answers and closes the linked cases. Endpoints from\n"
    "SIFANG_GRID_ENDPOINT and SIFANG_INTAKE_ENDPOINT; --seed and --scale as\n"
    "sifang-demo-load's (the same district).";

/* One registration the loader makes: who, what, and what should come back. */
typedef struct {
    const demo_resident_t *who;
    const char *reported_at;        /* the household whose community the case is registered in */
    Sifang__V1__CaseRegistrationKind kind;
    bool refused;                   /* the owning service should refuse it */
    char resident_id[16];
    int64_t case_id;
    int state;
} planned_t;

static const char *
item_of(Sifang__V1__CaseRegistrationKind kind)
{
    return kind == KIND(EMPLOYMENT) ? "unemployment-registration"
         : kind == KIND(DIFFICULTY) ? "employment-difficulty-certification" : "in-service-member-registration";
}

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

/* The people, from the first community's households in order: the first
 * that fit each part. */
static size_t
plan(const demo_district_t *d, planned_t *out)
{
    const char *community = d->communities[0].code;
    size_t length = strlen(community), n = 0;
    int employed = 0, too_old = 0, aged = 0, too_young = 0, members = 0;
    const demo_household_t *home = NULL;
    for (size_t h = 0; h < d->n_households && n < MAX_CASES; h++) {
        const demo_household_t *household = &d->households[h];
        bool here = strncmp(household->code, community, length) == 0;
        if (here && !home)
            home = household;
        for (size_t r = 0; r < household->n_residents && n < MAX_CASES; r++) {
            const demo_resident_t *who = &d->residents[household->first_resident + r];
            bool woman = who->gender == SIFANG__V1__GENDER__GENDER_FEMALE;
            planned_t p = { .who = who, .reported_at = household->code };
            if (here && employed < 6 && who->age >= 22 && who->age <= 38 && !who->party_member) {
                p.kind = KIND(EMPLOYMENT);
                employed++;
            } else if (here && too_old < 1 && who->age >= 70) {
                p.kind = KIND(EMPLOYMENT);
                p.refused = true;
                too_old++;
            } else if (here && aged < 3 && !who->party_member
                       && (woman ? who->age >= 41 && who->age <= 48 : who->age >= 51 && who->age <= 58)) {
                p.kind = KIND(DIFFICULTY);
                aged++;
            } else if (here && too_young < 1 && !woman && who->age >= 30 && who->age <= 45 && !who->party_member) {
                p.kind = KIND(DIFFICULTY);
                p.refused = true;
                too_young++;
            } else if (here && members < 4 && who->party_member && who->age >= 25 && who->age <= 55) {
                p.kind = KIND(PARTY_MEMBER);
                members++;
            } else if (!here && home && members >= 4 && members < 5 && who->party_member && who->age >= 25
                       && who->age <= 55) {
                /* A member of another community reporting here. */
                p.kind = KIND(PARTY_MEMBER);
                p.reported_at = home->code;
                p.refused = true;
                members++;
            } else
                continue;
            out[n++] = p;
        }
    }
    return n;
}

static bool
find_resident(sf_client_t *grid, planned_t *p)
{
    Sifang__V1__ResidentFindRequest find = SIFANG__V1__RESIDENT_FIND_REQUEST__INIT;
    find.id_number = (char *) p->who->id_number;
    Sifang__V1__Resident *found = NULL;
    sf_reply_info_t info;
    if (sf_client_call(grid, "ResidentFind", NULL, &find.base, &sifang__v1__resident__descriptor,
                       (ProtobufCMessage **) &found, &info) != SF_OK) {
        fprintf(stderr, "grid ResidentFind %s: %s\n", p->who->name, info.message ? info.message : "");
        return false;
    }
    snprintf(p->resident_id, sizeof p->resident_id, "%s", found->id);
    protobuf_c_message_free_unpacked(&found->base, NULL);
    return true;
}

static const Sifang__V1__Case *
call_case(sf_client_t *intake, const char *method, const char *request_id, const ProtobufCMessage *request,
          sf_reply_info_t *info)
{
    Sifang__V1__Case *reply = NULL;
    if (sf_client_call(intake, method, request_id, request, &sifang__v1__case__descriptor,
                       (ProtobufCMessage **) &reply, info) != SF_OK)
        return NULL;
    return reply;
}

/* The case registered at the window and resolved (the approval). */
static bool
submit_and_resolve(sf_client_t *intake, const demo_district_t *d, planned_t *p, size_t index)
{
    static Sifang__V1__DifficultyCategory aged[] = { SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_AGED_4050 };
    const demo_resident_t *who = p->who;
    Sifang__V1__CaseRegistration registration = SIFANG__V1__CASE_REGISTRATION__INIT;
    registration.resident_id = p->resident_id;
    registration.id_number = (char *) who->id_number;
    registration.name = (char *) who->name;
    registration.birth_date = (char *) who->birth_date;
    registration.gender = who->gender;
    registration.phone = (char *) who->phone;
    registration.household_code = (char *) d->households[who->household].code;
    if (p->kind == KIND(PARTY_MEMBER)) {
        registration.party_organisation = "青岛港集团党委";
    } else {
        registration.labor_status = SIFANG__V1__LABOR_STATUS__LABOR_STATUS_UNEMPLOYED;
        registration.seeking_work = true;
        if (p->kind == KIND(DIFFICULTY)) {
            registration.difficulties = aged;
            registration.n_difficulties = 1;
        }
    }
    Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
    requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    requester.household_code = (char *) p->reported_at;
    requester.name = (char *) who->name;
    requester.phone = (char *) who->phone;
    Sifang__V1__CaseSubmitRequest submit = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
    submit.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW;
    submit.item_code = (char *) item_of(p->kind);
    submit.requester = &requester;
    submit.description = p->kind == KIND(PARTY_MEMBER) ? "在职党员到居住地社区报到，认领服务岗位"
                       : p->kind == KIND(DIFFICULTY) ? "大龄失业人员申请就业困难人员认定" : "办理失业登记，申请求职服务";
    submit.registration = &registration;
    char request_id[64];
    snprintf(request_id, sizeof request_id, "demo-registration/%zu/submit", index);
    sf_reply_info_t info;
    const Sifang__V1__Case *submitted = call_case(intake, "CaseSubmit", request_id, &submit.base, &info);
    if (!submitted) {
        fprintf(stderr, "CaseSubmit %s for %s: %s\n", submit.item_code, who->name, info.message ? info.message : "");
        return false;
    }
    p->case_id = submitted->id;
    protobuf_c_message_free_unpacked((ProtobufCMessage *) &submitted->base, NULL);
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = p->case_id;
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = &ref;
    resolve.resolution = "材料齐全，准予登记";
    snprintf(request_id, sizeof request_id, "demo-registration/%zu/resolve", index);
    const Sifang__V1__Case *resolved = call_case(intake, "CaseResolve", request_id, &resolve.base, &info);
    if (!resolved && info.status != SF_FAILED_PRECONDITION) {   /* resolved by an earlier run: fine */
        fprintf(stderr, "CaseResolve %lld: %s\n", (long long) p->case_id, info.message ? info.message : "");
        return false;
    }
    if (resolved)
        protobuf_c_message_free_unpacked((ProtobufCMessage *) &resolved->base, NULL);
    return true;
}

/* Waits for every answer; closes the linked cases after their return
 * visit. */
static bool
answers(sf_client_t *intake, planned_t *planned, size_t n)
{
    size_t waiting = n;
    for (int second = 0; waiting && second < ANSWER_WAIT_S; second++) {
        waiting = 0;
        for (size_t i = 0; i < n; i++) {
            planned_t *p = &planned[i];
            if (p->state == STATE(LINKED) || p->state == STATE(REFUSED))
                continue;
            Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
            ref.id = p->case_id;
            sf_reply_info_t info;
            const Sifang__V1__Case *c = call_case(intake, "CaseGet", NULL, &ref.base, &info);
            p->state = c && c->registration ? (int) c->registration->state : 0;
            bool closed = c && c->status == SIFANG__V1__CASE_STATUS__CASE_STATUS_CLOSED;
            if (c)
                protobuf_c_message_free_unpacked((ProtobufCMessage *) &c->base, NULL);
            if (p->state != STATE(LINKED) && p->state != STATE(REFUSED)) {
                waiting++;
                continue;
            }
            if (p->state == STATE(LINKED) && !closed) {
                Sifang__V1__CaseCloseRequest visit = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
                visit.ref = &ref;
                visit.satisfaction = 5;
                char request_id[64];
                snprintf(request_id, sizeof request_id, "demo-registration/%zu/close", i);
                const Sifang__V1__Case *done = call_case(intake, "CaseClose", request_id, &visit.base, &info);
                if (done)
                    protobuf_c_message_free_unpacked((ProtobufCMessage *) &done->base, NULL);
            }
        }
        if (waiting)
            sleep(1);
    }
    if (waiting)
        fprintf(stderr, "%zu registrations got no answer within %d s (are employment and volunteer up, and"
                        " intake following them?)\n", waiting, ANSWER_WAIT_S);
    return waiting == 0;
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
    sf_client_t *grid = sf_client_for_service("grid", error, sizeof error);
    sf_client_t *intake = grid ? sf_client_for_service("intake", error, sizeof error) : NULL;
    int rc = 1;
    planned_t planned[MAX_CASES];
    size_t n = 0;
    if (!grid || !intake) {
        fprintf(stderr, "%s\n", error);
        goto done;
    }
    sf_client_set_timeout(intake, 10000);
    sf_client_set_principal(grid, "intake-demo-registrations", "admin", "");
    /* The district's window: a station registers and handles at once. */
    sf_client_set_principal(intake, "intake-demo-registrations", "district", "");
    if (!wait_up(grid, "grid") || !wait_up(intake, "intake"))
        goto done;
    memset(planned, 0, sizeof planned);
    n = plan(district, planned);
    for (size_t i = 0; i < n; i++)
        if (!find_resident(grid, &planned[i]) || !submit_and_resolve(intake, district, &planned[i], i))
            goto done;
    if (!answers(intake, planned, n))
        goto done;
    int linked[4] = { 0 }, refused[4] = { 0 }, unexpected = 0;
    for (size_t i = 0; i < n; i++) {
        bool no = planned[i].state == STATE(REFUSED);
        (no ? refused : linked)[planned[i].kind]++;
        unexpected += no != planned[i].refused;
    }
    printf("registrations %zu: 就业失业登记 %d linked %d refused, 就业困难人员认定 %d linked %d refused,"
           " 在职党员报到 %d linked %d refused%s\n", n, linked[KIND(EMPLOYMENT)], refused[KIND(EMPLOYMENT)],
           linked[KIND(DIFFICULTY)], refused[KIND(DIFFICULTY)], linked[KIND(PARTY_MEMBER)],
           refused[KIND(PARTY_MEMBER)], unexpected ? " (some answered otherwise than planned)" : "");
    rc = 0;
done:
    sf_client_destroy(&grid);
    sf_client_destroy(&intake);
    demo_district_destroy(&district);
    return rc;
}
