/* Issue 6's correctness test: evaluation follows real source daemons (grid,
 * and volunteer, employment and intake when this build has them) while they
 * change; it is killed (SIGKILL) while catching up, started, stopped
 * (SIGTERM) mid-stream and started again; afterwards every fact and KPI for
 * the period, for every unit from the district down to the zones, equals the
 * same figure computed by SQL over the sources' own schemas (as the
 * superuser), and no event was applied twice. */
#include "evaluation_test_district.h"
#include "sf_config.h"
#include "sifang/v1/employment.pb-c.h"
#include "sifang/v1/intake.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HAVE_volunteer
#define HAVE_volunteer 0
#endif
#ifndef HAVE_employment
#define HAVE_employment 0
#endif
#ifndef HAVE_intake
#define HAVE_intake 0
#endif

static char dir[256], half[16], half_start[16], half_end[16], today[16];
static PGconn *conn;
static td_district_t district;

typedef struct {
    const char *service;
    char *endpoint, *publish;
    sf_test_daemon_t *daemon;
    sf_client_t *client;
} source_t;

static source_t grid = { .service = "grid" }, volunteer = { .service = "volunteer" },
                employment = { .service = "employment" }, intake = { .service = "intake" };
/* A second intake instance, run by the civil affairs bureau in a schema of
 * its own: evaluation follows it as "intake@civil-affairs". */
static source_t civil = { .service = "intake" };
static char *eval_endpoint, *eval_publish;
static char sources_env[256], env_lines[16][200];
static int n_env;

static void
add_env(const char *format, const char *value)
{
    snprintf(env_lines[n_env++], sizeof env_lines[0], format, value);
}

static sf_test_daemon_t *
start_evaluation(void)
{
    const char *env[20];
    int n = 0;
    for (int i = 0; i < n_env; i++)
        env[n++] = env_lines[i];
    env[n++] = sources_env;
    env[n++] = "SIFANG_EVALUATION_POLL_MS=200";
    env[n++] = "SIFANG_EVALUATION_PAGE_SIZE=20";   /* many small transactions: kills land between them */
    env[n] = NULL;
    return td_start("evaluation", dir, eval_endpoint, eval_publish, env);
}

static void
start_source(source_t *source)
{
    char router_name[64], publish_name[64];
    snprintf(router_name, sizeof router_name, "%s.router", source->service);
    snprintf(publish_name, sizeof publish_name, "%s.pub", source->service);
    source->endpoint = sf_test_ipc_endpoint(dir, router_name);
    source->publish = sf_test_ipc_endpoint(dir, publish_name);
    char grid_e[200], grid_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid.endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid.publish);
    const char *extra[] = { grid_e, grid_p, "SIFANG_VOLUNTEER_GRID_POLL_MS=200", "SIFANG_EMPLOYMENT_GRID_POLL_MS=200",
                            "SIFANG_INTAKE_GRID_POLL_MS=200", "SIFANG_INTAKE_VOLUNTEER=false",
                            /* Its imported cases are whole at once: the sweep may judge them at once. */
                            "SIFANG_INTAKE_IMPORT_GRACE_S=0", NULL };
    source->daemon = td_start(source->service, dir, source->endpoint, source->publish,
                              source == &grid ? NULL : extra);
    source->client = sf_client_new(source->endpoint, NULL);
    sf_client_set_timeout(source->client, 20000);
    char upper[32];
    snprintf(upper, sizeof upper, "%s", source->service);
    for (char *p = upper; *p; p++)
        *p = (char) (*p - 32);
    char line[200];
    snprintf(line, sizeof line, "SIFANG_%s_ENDPOINT=%%s", upper);
    add_env(line, source->endpoint);
    snprintf(line, sizeof line, "SIFANG_%s_PUBLISH=%%s", upper);
    add_env(line, source->publish);
    size_t length = strlen(sources_env);
    snprintf(sources_env + length, sizeof sources_env - length, "%s%s",
             length ? " " : "SIFANG_EVALUATION_SOURCES=", source->service);
}

/* intake@civil-affairs: its own schema, instance name and endpoints, which
 * evaluation finds as SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT and _PUBLISH. */
static void
start_civil_intake(void)
{
    SF_CHECK(sf_test_pg_exec(conn, "CREATE SCHEMA intake_civil AUTHORIZATION sifang_intake") == 0);
    civil.endpoint = sf_test_ipc_endpoint(dir, "intake-civil.router");
    civil.publish = sf_test_ipc_endpoint(dir, "intake-civil.pub");
    char grid_e[200], grid_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid.endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid.publish);
    const char *extra[] = { grid_e, grid_p, "SIFANG_INSTANCE=intake@civil-affairs", "SIFANG_INTAKE_SCHEMA=intake_civil",
                            "SIFANG_INTAKE_GRID_POLL_MS=200", "SIFANG_INTAKE_VOLUNTEER=false",
                            /* Its imported cases are whole at once: the sweep may judge them at once. */
                            "SIFANG_INTAKE_IMPORT_GRACE_S=0", NULL };
    char log_dir[300];
    snprintf(log_dir, sizeof log_dir, "%s/civil", dir);
    mkdir(log_dir, 0700);
    civil.daemon = td_start("intake", log_dir, civil.endpoint, civil.publish, extra);
    civil.client = sf_client_new(civil.endpoint, NULL);
    sf_client_set_timeout(civil.client, 20000);
    add_env("SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT=%s", civil.endpoint);
    add_env("SIFANG_INTAKE_CIVIL_AFFAIRS_PUBLISH=%s", civil.publish);
    size_t length = strlen(sources_env);
    snprintf(sources_env + length, sizeof sources_env - length, " intake@civil-affairs");
}

/* Stops a source and starts it again on the same endpoints (a restarted
 * peer: evaluation's follower must carry on by itself). */
static void
restart_source(source_t *source)
{
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&source->daemon), 0);
    usleep(300 * 1000);
    char grid_e[200], grid_p[200];
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", grid.endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", grid.publish);
    const char *extra[] = { grid_e, grid_p, "SIFANG_VOLUNTEER_GRID_POLL_MS=200", "SIFANG_EMPLOYMENT_GRID_POLL_MS=200",
                            "SIFANG_INTAKE_GRID_POLL_MS=200", "SIFANG_INTAKE_VOLUNTEER=false",
                            /* Its imported cases are whole at once: the sweep may judge them at once. */
                            "SIFANG_INTAKE_IMPORT_GRACE_S=0", NULL };
    source->daemon = td_start(source->service, dir, source->endpoint, source->publish,
                              source == &grid ? NULL : extra);
}

static void
stop_source(source_t *source)
{
    sf_client_destroy(&source->client);
    if (source->daemon)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&source->daemon), 0);
    free(source->endpoint);
    free(source->publish);
}

/* --- changes in grid -------------------------------------------------------- */

/* Flags every fifth household the other way, and moves a few residents. */
static int
grid_changes(int round)
{
    int failed = 0;
    Sifang__V1__HouseholdFlag flag = SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LAID_OFF;
    for (int i = round; i < district.n_households; i += 5) {
        Sifang__V1__HouseholdUpdateRequest update = SIFANG__V1__HOUSEHOLD_UPDATE_REQUEST__INIT;
        char request_id[64];
        update.code = district.households[i];
        update.set_flags = true;
        update.n_flags = (i + round) % 2;
        update.flags = &flag;
        snprintf(request_id, sizeof request_id, "follow-flags-%d-%d", round, i);
        failed += sf_client_call(grid.client, "HouseholdUpdate", request_id, &update.base, NULL, NULL, NULL) != SF_OK;
    }
    /* Residents employment has registered (every third from the second) are
     * not moved: employment moves a person with their household without an
     * event of its own, so a move that evaluation applies from grid before
     * employment's registration of that person reaches it could not be
     * followed (reported to employment). */
    for (int i = round; i < district.n_residents; i += 17) {
        if (HAVE_employment && i % 3 == 1 && i < 80)
            continue;
        Sifang__V1__ResidentUpdateRequest move = SIFANG__V1__RESIDENT_UPDATE_REQUEST__INIT;
        char request_id[64];
        move.id = district.residents[i];
        move.household_code = district.households[(i * 7 + round * 13) % district.n_households];
        snprintf(request_id, sizeof request_id, "follow-move-%d-%d", round, i);
        sf_reply_info_t info;
        if (sf_client_call(grid.client, "ResidentUpdate", request_id, &move.base, NULL, NULL, &info) != SF_OK) {
            printf("ResidentUpdate: %s\n", info.message);
            failed++;
        }
    }
    return failed;
}

/* --- changes in volunteer ----------------------------------------------------- */

static char pairing_ids[64][16];
static int n_pairings;

static int
volunteer_changes(int round)
{
    int failed = 0;
    sf_reply_info_t info;
    char request_id[96];
    if (round == 1) {
        /* Party members (every third household's second resident) pair with
         * households in difficulty and register as volunteers. */
        for (int i = 0, m = 0; i < district.n_households && n_pairings < 24; i += 4, m++) {
            if (m >= district.n_party_members)
                break;
            Sifang__V1__HelpPairing pairing = SIFANG__V1__HELP_PAIRING__INIT;
            pairing.member_resident_id = district.residents[district.party_members[m]];
            pairing.household_code = district.households[i];
            snprintf(request_id, sizeof request_id, "follow-pairing-%d", i);
            Sifang__V1__HelpPairing *created = NULL;
            if (sf_client_call(volunteer.client, "HelpPairingCreate", request_id, &pairing.base,
                               &sifang__v1__help_pairing__descriptor, (ProtobufCMessage **) &created, &info) == SF_OK) {
                snprintf(pairing_ids[n_pairings++], 16, "%s", created->id);
                protobuf_c_message_free_unpacked(&created->base, NULL);
            } else
                printf("HelpPairingCreate %s with %s: %s %s\n", pairing.household_code, pairing.member_resident_id,
                       sf_status_name(info.status), info.message);
        }
        for (int r = 0; r < district.n_residents && r < 40; r += 2) {
            Sifang__V1__VolunteerProfile profile = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
            profile.resident_id = district.residents[r];
            snprintf(request_id, sizeof request_id, "follow-volunteer-%d", r);
            Sifang__V1__VolunteerProfile *registered = NULL;
            if (sf_client_call(volunteer.client, "VolunteerRegister", request_id, &profile.base,
                               &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &registered,
                               &info) != SF_OK) {
                printf("VolunteerRegister: %s %s\n", sf_status_name(info.status), info.message);
                failed++;
                continue;
            }
            for (int k = 0; k < 2; k++) {
                Sifang__V1__VolunteerServiceRecord record = SIFANG__V1__VOLUNTEER_SERVICE_RECORD__INIT;
                record.volunteer_id = registered->id;
                record.activity = "community patrol";
                record.served_on = today;
                record.hours = 0.75 + 0.5 * ((r + k) % 4);
                snprintf(request_id, sizeof request_id, "follow-hours-%d-%d", r, k);
                if (sf_client_call(volunteer.client, "ServiceRecordSubmit", request_id, &record.base, NULL, NULL,
                                   &info) != SF_OK) {
                    printf("ServiceRecordSubmit: %s\n", info.message);
                    failed++;
                }
            }
            protobuf_c_message_free_unpacked(&registered->base, NULL);
        }
    }
    /* Contacts on some pairings, visits by the cadres, hours approved (the
     * first round's by community, so each record counts once on approval). */
    for (int p = round; p < n_pairings; p += 3) {
        if (round == 3 && p % 5 == 0)
            continue;   /* ended in round 2 */
        Sifang__V1__HelpContact contact = SIFANG__V1__HELP_CONTACT__INIT;
        contact.pairing_id = pairing_ids[p];
        contact.kind = SIFANG__V1__CONTACT_KIND__CONTACT_KIND_VISIT;
        snprintf(request_id, sizeof request_id, "follow-contact-%d-%d", round, p);
        if (sf_client_call(volunteer.client, "HelpContactRecord", request_id, &contact.base, NULL, NULL, &info) != SF_OK) {
            printf("HelpContactRecord: %s\n", info.message);
            failed++;
        }
    }
    for (int h = round; h < district.n_households; h += 9) {
        Sifang__V1__HouseholdVisit visit = SIFANG__V1__HOUSEHOLD_VISIT__INIT;
        visit.staff_id = "S00001";
        visit.household_code = district.households[h];
        visit.kind = SIFANG__V1__CONTACT_KIND__CONTACT_KIND_VISIT;
        snprintf(request_id, sizeof request_id, "follow-visit-%d-%d", round, h);
        if (sf_client_call(volunteer.client, "VisitRecord", request_id, &visit.base, NULL, NULL, &info) != SF_OK) {
            printf("VisitRecord: %s\n", info.message);
            failed++;
        }
    }
    if (round == 1) {
        Sifang__V1__ServiceRecordReviewRequest review = SIFANG__V1__SERVICE_RECORD_REVIEW_REQUEST__INIT;
        review.decision = SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_APPROVE;
        review.under = district.community_codes[0];
        review.through = today;
        if (sf_client_call(volunteer.client, "ServiceRecordReview", "follow-review-1", &review.base, NULL, NULL,
                           &info) != SF_OK) {
            printf("ServiceRecordReview: %s\n", info.message);
            failed++;
        }
    }
    if (round == 2) {
        Sifang__V1__ServiceRecordReviewRequest review = SIFANG__V1__SERVICE_RECORD_REVIEW_REQUEST__INIT;
        review.decision = SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_APPROVE;
        review.under = "370205";
        review.through = today;
        if (sf_client_call(volunteer.client, "ServiceRecordReview", "follow-review-2", &review.base, NULL, NULL,
                           &info) != SF_OK) {
            printf("ServiceRecordReview: %s\n", info.message);
            failed++;
        }
        for (int p = 0; p < n_pairings; p += 5) {
            Sifang__V1__HelpPairingEndRequest end = SIFANG__V1__HELP_PAIRING_END_REQUEST__INIT;
            end.id = pairing_ids[p];
            end.reason = "moved away";
            snprintf(request_id, sizeof request_id, "follow-end-%d", p);
            if (sf_client_call(volunteer.client, "HelpPairingEnd", request_id, &end.base, NULL, NULL, &info) != SF_OK) {
                printf("HelpPairingEnd: %s\n", info.message);
                failed++;
            }
        }
    }
    return failed;
}

/* --- changes in employment ------------------------------------------------------ */

static int
employment_changes(int round)
{
    int failed = 0;
    sf_reply_info_t info;
    char request_id[96];
    /* Low income: a category employment takes as recognised (4050 would ask
     * each resident's age, employment_difficulty.c). */
    Sifang__V1__DifficultyCategory difficulty = SIFANG__V1__DIFFICULTY_CATEGORY__DIFFICULTY_CATEGORY_LOW_INCOME;
    for (int r = round; r < district.n_residents && r < 80; r += 3) {
        if (round == 1) {
            Sifang__V1__Person person = SIFANG__V1__PERSON__INIT;
            person.resident_id = district.residents[r];
            person.status = SIFANG__V1__LABOR_STATUS__LABOR_STATUS_UNEMPLOYED;
            person.seeking_work = true;
            if (r % 2) {
                person.n_difficulties = 1;
                person.difficulties = &difficulty;
            }
            snprintf(request_id, sizeof request_id, "follow-person-%d", r);
            if (sf_client_call(employment.client, "PersonRegister", request_id, &person.base, NULL, NULL, &info) != SF_OK) {
                printf("PersonRegister: %s %s\n", sf_status_name(info.status), info.message);
                failed++;
            }
        }
    }
    /* Placements for some of those registered, support for a few. */
    for (int r = 1; r < district.n_residents && r < 80; r += 3) {
        if ((r / 3) % 3 != round - 1)
            continue;
        Sifang__V1__Placement placement = SIFANG__V1__PLACEMENT__INIT;
        placement.resident_id = district.residents[r];
        placement.kind = SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_FLEXIBLE;
        placement.source = SIFANG__V1__PLACEMENT_SOURCE__PLACEMENT_SOURCE_SERVICE_CENTRE;
        placement.start_date = today;
        placement.employer_name = "street canteen";
        snprintf(request_id, sizeof request_id, "follow-placement-%d", r);
        if (sf_client_call(employment.client, "PlacementRegister", request_id, &placement.base, NULL, NULL,
                           &info) != SF_OK) {
            printf("PlacementRegister: %s %s\n", sf_status_name(info.status), info.message);
            failed++;
        }
    }
    for (int r = 1 + 3 * round; r < district.n_residents && r < 80; r += 12) {
        Sifang__V1__EntrepreneurshipSupport support = SIFANG__V1__ENTREPRENEURSHIP_SUPPORT__INIT;
        support.resident_id = district.residents[r];
        support.business_name = "noodle shop";
        support.subsidy_yuan = 5000;
        support.granted_on = today;
        snprintf(request_id, sizeof request_id, "follow-support-%d", r);
        if (sf_client_call(employment.client, "SupportGrant", request_id, &support.base, NULL, NULL, &info) != SF_OK) {
            printf("SupportGrant: %s %s\n", sf_status_name(info.status), info.message);
            failed++;
        }
    }
    return failed;
}

/* --- changes in intake ------------------------------------------------------------ */

#define CASES_PER_ROUND 30
static int64_t case_ids[8 * CASES_PER_ROUND];
static int n_cases;

static sf_status_t
case_step(sf_client_t *client, const char *method, const ProtobufCMessage *request, const char *request_id)
{
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(client, method, request_id, request, NULL, NULL, &info);
    if (status != SF_OK)
        printf("%s %s: %s %s\n", method, request_id, sf_status_name(status), info.message);
    return status;
}

/* Cases registered by two stations (their first responders), some imported
 * ten days back so that the sweep finds them past due; resolved, closed
 * with satisfaction by their first responder or the other station,
 * rejected, transferred. */
static int
intake_changes_at(source_t *instance, int round)
{
    int failed = 0;
    char request_id[96];
    sf_client_t *station[2] = { sf_client_new(instance->endpoint, NULL), sf_client_new(instance->endpoint, NULL) };
    sf_client_set_principal(station[0], "S00001", "community", "");
    sf_client_set_principal(station[1], "S00002", "community", "");
    sf_client_set_timeout(station[0], 20000);
    sf_client_set_timeout(station[1], 20000);
    int64_t now = sf_now_ms();
    int first = n_cases;
    for (int i = 0; i < CASES_PER_ROUND; i++) {
        Sifang__V1__CaseSubmitRequest submit = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
        Sifang__V1__CaseRequester requester = SIFANG__V1__CASE_REQUESTER__INIT;
        Sifang__V1__CaseImport imported = SIFANG__V1__CASE_IMPORT__INIT;
        requester.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
        requester.household_code = district.households[(round * 37 + i * 11) % district.n_households];
        requester.name = "resident";
        submit.channel = SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_WINDOW;
        submit.item_code = i % 2 ? "residence-certificate" : "pension-certification";
        submit.requester = &requester;
        submit.description = "follow test case";
        sf_client_t *client = station[i % 2];
        if (i % 5 == 0) {
            /* Imported ten days back by the local administrator: past due. */
            imported.at_unix_ms = now - 10LL * 86400 * 1000;
            imported.actor_id = "S00001";
            submit.imported = &imported;
            client = instance->client;
        }
        snprintf(request_id, sizeof request_id, "follow-case-%d-%d", round, i);
        Sifang__V1__Case *created = NULL;
        sf_reply_info_t info;
        if (sf_client_call(client, "CaseSubmit", request_id, &submit.base, &sifang__v1__case__descriptor,
                           (ProtobufCMessage **) &created, &info) != SF_OK) {
            printf("CaseSubmit: %s %s\n", sf_status_name(info.status), info.message);
            failed++;
            continue;
        }
        case_ids[n_cases++] = created->id;
        protobuf_c_message_free_unpacked(&created->base, NULL);
    }
    Sifang__V1__CaseSweepRequest sweep = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    snprintf(request_id, sizeof request_id, "follow-sweep-%d", round);
    failed += case_step(instance->client, "CaseSweep", &sweep.base, request_id) != SF_OK;
    for (int k = first; k < n_cases; k++) {
        int i = k - first;
        Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
        ref.id = case_ids[k];
        if (i % 6 == 5) {
            Sifang__V1__CaseRejectRequest reject = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
            reject.ref = &ref;
            reject.reason = "not a matter for the station";
            snprintf(request_id, sizeof request_id, "follow-reject-%d-%d", round, i);
            failed += case_step(station[i % 2], "CaseReject", &reject.base, request_id) != SF_OK;
            continue;
        }
        if (i % 4 == 3)
            continue;   /* stays open */
        Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
        resolve.ref = &ref;
        resolve.resolution = "done";
        snprintf(request_id, sizeof request_id, "follow-resolve-%d-%d", round, i);
        failed += case_step(station[i % 2], "CaseResolve", &resolve.base, request_id) != SF_OK;
        if (i % 3 == 2)
            continue;   /* awaiting its return visit */
        Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
        close.ref = &ref;
        close.satisfaction = 1 + (i + round) % 5;
        close.note = close.satisfaction <= 2 ? "slow" : "";
        snprintf(request_id, sizeof request_id, "follow-close-%d-%d", round, i);
        /* Every fourth closed by the other station: not its first responder. */
        failed += case_step(station[(i + (i % 4 == 1)) % 2], "CaseClose", &close.base, request_id) != SF_OK;
    }
    sf_client_destroy(&station[0]);
    sf_client_destroy(&station[1]);
    return failed;
}

static int
intake_changes(int round)
{
    return intake_changes_at(&intake, round) + intake_changes_at(&civil, round);
}

/* --- events that do not decode ----------------------------------------------------- */

/* An event a broken writer left in a source's log (schema): a payload that
 * does not decode as its type says, written as the superuser between the
 * source's own events (the head row's lock keeps the sequence dense).
 * Evaluation must record it in its event_skipped and go on with the events
 * after it (sf_follower.h), not stall on it. */
typedef struct {
    const char *source, *schema, *type, *key, *payload_type;
    bool present;
    long long seq;
} broken_t;

static broken_t broken[] = {
    { "intake", "intake", "case.resolved", "1", "sifang.v1.Case", HAVE_intake, 0 },
    { "volunteer", "volunteer", "visit.recorded", "370205001001001001", "sifang.v1.HouseholdVisit",
      HAVE_volunteer, 0 },
    { "employment", "employment", "placement.registered", "1", "sifang.v1.Placement", HAVE_employment, 0 },
};
#define N_BROKEN (sizeof broken / sizeof *broken)

static void
break_sources(void)
{
    for (size_t b = 0; b < N_BROKEN; b++) {
        if (!broken[b].present)
            continue;
        char sql[600];
        snprintf(sql, sizeof sql,
                 "WITH head AS (UPDATE %1$s.event_head SET seq = seq + 1 RETURNING seq)"
                 " INSERT INTO %1$s.event_log (seq, type, key, occurred_at, payload_type, payload)"
                 " SELECT seq, '%2$s', '%3$s', now(), '%4$s', '\\xff'::bytea FROM head RETURNING seq",
                 broken[b].schema, broken[b].type, broken[b].key, broken[b].payload_type);
        broken[b].seq = sf_test_pg_int(conn, sql);
        SF_CHECK(broken[b].seq > 0);
    }
}

/* Each broken event is in evaluation's event_skipped with its reason, and
 * nothing else is; Sys.Stats counts it for its source, 0 for the others. */
static void
check_skipped(sf_client_t *evaluation)
{
    long long expected = 0;
    for (size_t b = 0; b < N_BROKEN; b++) {
        if (!broken[b].present)
            continue;
        char sql[400];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM evaluation.event_skipped WHERE source = '%s' AND seq = %lld AND type = '%s'"
                 " AND reason = 'payload does not decode as %s'",
                 broken[b].source, broken[b].seq, broken[b].type, broken[b].payload_type);
        if (!SF_CHECK_EQ_INT(sf_test_pg_int(conn, sql), 1))
            printf("not recorded: %s\n", sql);
        expected++;
    }
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM evaluation.event_skipped"), expected);
    Sifang__V1__StatsRequest request = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *stats = NULL;
    if (!SF_CHECK(td_call(evaluation, "Sys.Stats", &request.base, &sifang__v1__stats_reply__descriptor,
                          (ProtobufCMessage **) &stats) == SF_OK))
        return;
    int sources = 1 + HAVE_volunteer + HAVE_employment + 2 * HAVE_intake;
    SF_CHECK_EQ_INT(stats->n_skipped, sources);
    for (size_t i = 0; i < stats->n_skipped; i++) {
        long long count = 0;
        for (size_t b = 0; b < N_BROKEN; b++)
            count += broken[b].present && strcmp(broken[b].source, stats->skipped[i]->status) == 0;
        if (!SF_CHECK_EQ_INT(stats->skipped[i]->count, count))
            printf("Sys.Stats skipped for %s\n", stats->skipped[i]->status);
    }
    protobuf_c_message_free_unpacked(&stats->base, NULL);
}

/* --- the comparison --------------------------------------------------------------- */

typedef struct {
    const char *fact;
    const char *sql;          /* %1$s = unit prefix; periods as $-free literals below */
    bool present;
} check_t;

static check_t checks[] = {
    { "households", "SELECT count(*) FROM grid.household WHERE code LIKE '%1$s%%'", true },
    { "residents", "SELECT count(*) FROM grid.resident WHERE household_code LIKE '%1$s%%'", true },
    { "households_in_difficulty",
      "SELECT count(*) FROM grid.household WHERE cardinality(flags) > 0 AND code LIKE '%1$s%%'", true },
    { "volunteer_hours",
      "SELECT COALESCE(sum(hours), 0) FROM volunteer.service_record WHERE status = 2"
      " AND community_code LIKE '%1$s%%' AND served_on BETWEEN '%2$s' AND '%3$s'", HAVE_volunteer },
    { "help_pairings_active",
      "SELECT count(*) FROM volunteer.help_pairing WHERE active AND household_code LIKE '%1$s%%'", HAVE_volunteer },
    { "households_paired",
      "SELECT count(DISTINCT household_code) FROM volunteer.help_pairing WHERE active"
      " AND household_code LIKE '%1$s%%'", HAVE_volunteer },
    { "help_contacts",
      "SELECT count(*) FROM volunteer.help_contact c JOIN volunteer.help_pairing p ON p.serial = c.pairing_serial"
      " WHERE p.household_code LIKE '%1$s%%'"
      " AND (c.at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN '%2$s' AND '%3$s'", HAVE_volunteer },
    { "pairings_contacted",
      "SELECT count(DISTINCT c.pairing_serial) FROM volunteer.help_contact c"
      " JOIN volunteer.help_pairing p ON p.serial = c.pairing_serial WHERE p.household_code LIKE '%1$s%%'"
      " AND (c.at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN '%2$s' AND '%3$s'", HAVE_volunteer },
    { "cadre_visits",
      "SELECT count(*) FROM volunteer.visit WHERE household_code LIKE '%1$s%%'"
      " AND (at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN '%2$s' AND '%3$s'", HAVE_volunteer },
    { "difficulty_people",
      "SELECT count(*) FROM employment.person WHERE cardinality(difficulties) > 0"
      " AND home_zone_code LIKE '%1$s%%'", HAVE_employment },
    { "difficulty_employed",
      "SELECT count(*) FROM employment.person WHERE cardinality(difficulties) > 0 AND status IN (1, 3, 4)"
      " AND home_zone_code LIKE '%1$s%%'", HAVE_employment },
    { "people_placed",
      "SELECT count(*) FROM employment.placement WHERE home_zone_code LIKE '%1$s%%'"
      " AND start_date BETWEEN '%2$s' AND '%3$s'", HAVE_employment },
    { "entrepreneurs_supported",
      "SELECT count(*) FROM employment.support WHERE home_zone_code LIKE '%1$s%%'"
      " AND granted_on BETWEEN '%2$s' AND '%3$s'", HAVE_employment },
    { "cases_received",
      "SELECT count(*) FROM follow_test.intake_case WHERE unit_code LIKE '%1$s%%'"
      " AND (received_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN '%2$s' AND '%3$s'", HAVE_intake },
    { "cases_open", "SELECT count(*) FROM follow_test.intake_case WHERE status <= 4 AND unit_code LIKE '%1$s%%'",
      HAVE_intake },
    { "cases_backlog",
      "SELECT count(*) FROM follow_test.intake_case WHERE status <= 4 AND overdue AND unit_code LIKE '%1$s%%'",
      HAVE_intake },
    { "cases_closed",
      "SELECT count(*) FROM follow_test.intake_case WHERE status = 6 AND unit_code LIKE '%1$s%%'"
      " AND (closed_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN '%2$s' AND '%3$s'", HAVE_intake },
    { "cases_closed_on_time",
      "SELECT count(*) FROM follow_test.intake_case WHERE status = 6 AND unit_code LIKE '%1$s%%'"
      " AND COALESCE(resolved_at, closed_at) <= due_at"
      " AND (closed_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN '%2$s' AND '%3$s'", HAVE_intake },
    { "cases_closed_by_first_responder",
      "SELECT count(*) FROM follow_test.intake_case c WHERE status = 6 AND unit_code LIKE '%1$s%%'"
      " AND (closed_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN '%2$s' AND '%3$s'"
      " AND first_responder_id = (SELECT actor_id FROM follow_test.case_history h WHERE h.case_id = c.id"
      "   AND h.instance = c.instance AND h.to_status = 6 ORDER BY seq DESC LIMIT 1)", HAVE_intake },
    { "return_visits",
      "SELECT count(satisfaction) FROM follow_test.intake_case WHERE status = 6 AND unit_code LIKE '%1$s%%'"
      " AND (closed_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN '%2$s' AND '%3$s'", HAVE_intake },
    { "satisfaction_points",
      "SELECT COALESCE(sum(satisfaction), 0) FROM follow_test.intake_case WHERE status = 6 AND unit_code LIKE '%1$s%%'"
      " AND (closed_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN '%2$s' AND '%3$s'", HAVE_intake },
};
#define N_CHECKS (sizeof checks / sizeof *checks)

static double
sql_value(const char *format, const char *unit)
{
    char sql[1024];
    snprintf(sql, sizeof sql, format, unit, half_start, half_end);
    PGresult *result = PQexec(conn, sql);
    double value = NAN;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1)
        value = atof(PQgetvalue(result, 0, 0));
    else
        printf("%s: %s\n", sql, PQresultErrorMessage(result));
    PQclear(result);
    return value;
}

/* One KPI per fact ("f_<fact>" = #{fact}), defined as data, for every unit
 * from the district to the zones, against the sources' own tables. */
static int
compare(sf_client_t *evaluation)
{
    int compared = 0;
    for (size_t c = 0; c < N_CHECKS; c++) {
        if (!checks[c].present)
            continue;
        char code[48], numerator[64];
        snprintf(code, sizeof code, "f_%s", checks[c].fact);
        snprintf(numerator, sizeof numerator, "#{%s}", checks[c].fact);
        Sifang__V1__Kpi kpi = SIFANG__V1__KPI__INIT;
        kpi.code = code;
        kpi.name = code;
        kpi.numerator = numerator;
        SF_CHECK(td_call(evaluation, "KpiDefine", &kpi.base, NULL, NULL) == SF_OK);
        for (int kind = 1; kind <= 4; kind++) {
            Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
            char *codes[1] = { code };
            request.kpi_codes = codes;
            request.n_kpi_codes = 1;
            request.period = half;
            request.kind = (Sifang__V1__UnitKind) kind;
            Sifang__V1__KpiValuesReply *reply = NULL;
            if (!SF_CHECK(td_call(evaluation, "KpiValues", &request.base, &sifang__v1__kpi_values_reply__descriptor,
                                  (ProtobufCMessage **) &reply) == SF_OK))
                continue;
            for (size_t i = 0; i < reply->n_values; i++) {
                const Sifang__V1__KpiValue *value = reply->values[i];
                double expected = sql_value(checks[c].sql, value->unit_code);
                if (!SF_CHECK(value->has_value && fabs(value->value - expected) < 1e-9))
                    printf("%s at %s: evaluation %.10g, source %.10g\n", checks[c].fact, value->unit_code,
                           value->value, expected);
                compared++;
            }
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        }
    }
    return compared;
}

/* The catalogue's composite KPIs at the district, from the sources too. */
static void
compare_catalogue(sf_client_t *evaluation)
{
    struct { const char *kpi; const char *sql; bool present; } kpis[] = {
        { "pairing_coverage",
          "SELECT 100.0 * (SELECT count(DISTINCT household_code) FROM volunteer.help_pairing WHERE active)"
          " / (SELECT count(*) FROM grid.household WHERE cardinality(flags) > 0)", HAVE_volunteer },
        { "volunteer_hours_per_1000",
          "SELECT 1000.0 * (SELECT sum(hours) FROM volunteer.service_record WHERE status = 2)"
          " / (SELECT count(*) FROM grid.resident)", HAVE_volunteer },
        { "difficulty_employment_rate",
          "SELECT 100.0 * count(*) FILTER (WHERE status IN (1, 3, 4)) / count(*) FROM employment.person"
          " WHERE cardinality(difficulties) > 0", HAVE_employment },
    };
    for (size_t k = 0; k < sizeof kpis / sizeof *kpis; k++) {
        if (!kpis[k].present)
            continue;
        Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
        char *codes[1] = { (char *) kpis[k].kpi };
        request.kpi_codes = codes;
        request.n_kpi_codes = 1;
        request.period = half;
        Sifang__V1__KpiValuesReply *reply = NULL;
        if (!SF_CHECK(td_call(evaluation, "KpiValues", &request.base, &sifang__v1__kpi_values_reply__descriptor,
                              (ProtobufCMessage **) &reply) == SF_OK))
            continue;
        double expected = sql_value(kpis[k].sql, "");
        if (!SF_CHECK(reply->n_values == 1 && reply->values[0]->has_value
                      && fabs(reply->values[0]->value - expected) < 1e-9))
            printf("%s: evaluation %.10g, sources %.10g\n", kpis[k].kpi,
                   reply->n_values ? reply->values[0]->value : NAN, expected);
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    }
}

static int64_t
total_head(void)
{
    int64_t total = td_head(grid.endpoint);
    if (HAVE_volunteer)
        total += td_head(volunteer.endpoint);
    if (HAVE_employment)
        total += td_head(employment.endpoint);
    if (HAVE_intake)
        total += td_head(intake.endpoint) + td_head(civil.endpoint);
    return total;
}

static bool
caught_up(sf_client_t *evaluation, int timeout_ms)
{
    bool ok = td_wait_caught_up(evaluation, "grid", grid.endpoint, timeout_ms);
    if (HAVE_volunteer)
        ok = td_wait_caught_up(evaluation, "volunteer", volunteer.endpoint, timeout_ms) && ok;
    if (HAVE_employment)
        ok = td_wait_caught_up(evaluation, "employment", employment.endpoint, timeout_ms) && ok;
    if (HAVE_intake) {
        ok = td_wait_caught_up(evaluation, "intake", intake.endpoint, timeout_ms) && ok;
        ok = td_wait_caught_up(evaluation, "intake@civil-affairs", civil.endpoint, timeout_ms) && ok;
    }
    return ok;
}

int
main(void)
{
    if (sf_test_pg_env("evaluation_follow_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    td_current_period(2, half);
    int year = atoi(half);
    snprintf(half_start, sizeof half_start, "%04d-%s", year % 10000, half[6] == '1' ? "01-01" : "07-01");
    snprintf(half_end, sizeof half_end, "%04d-%s", year % 10000, half[6] == '1' ? "06-30" : "12-31");
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    eval_endpoint = sf_test_ipc_endpoint(dir, "evaluation.router");
    eval_publish = sf_test_ipc_endpoint(dir, "evaluation.pub");
    conn = sf_test_pg_connect();
    start_source(&grid);
    if (HAVE_volunteer)
        start_source(&volunteer);
    if (HAVE_employment)
        start_source(&employment);
    if (HAVE_intake) {
        start_source(&intake);
        start_civil_intake();
    }
    printf("sources: %s\n", sources_env);
    sf_client_t *client = sf_client_new(eval_endpoint, NULL);
    sf_client_set_timeout(client, 20000);
    sf_test_daemon_t *evaluation = NULL;
    if (!SF_CHECK(conn && grid.daemon && client))
        goto cleanup;

    /* The district lands while evaluation is away. */
    SF_CHECK_EQ_INT(td_build(grid.client, &district), 0);
    /* The sources follow grid: give them the district before using it. */
    for (int i = 0; i < 200; i++) {
        bool ready = true;
        if (HAVE_volunteer)
            ready = sf_test_pg_int(conn, "SELECT count(*) FROM volunteer.ref_resident") == district.n_residents;
        if (HAVE_employment && ready)
            ready = sf_test_pg_int(conn, "SELECT count(*) FROM employment.ref_resident") == district.n_residents;
        if (HAVE_intake && ready)
            ready = sf_test_pg_int(conn, "SELECT count(*) FROM intake.ref_household") == district.n_households
                 && sf_test_pg_int(conn, "SELECT count(*) FROM intake_civil.ref_household") == district.n_households;
        if (ready)
            break;
        usleep(50 * 1000);
    }
    if (HAVE_volunteer)
        SF_CHECK_EQ_INT(volunteer_changes(1), 0);
    if (HAVE_employment)
        SF_CHECK_EQ_INT(employment_changes(1), 0);
    if (HAVE_intake)
        SF_CHECK_EQ_INT(intake_changes(1), 0);

    /* Killed while catching up, between two of its pages. */
    int64_t head = total_head();
    evaluation = start_evaluation();
    int64_t cursor = -1;
    /* The cursor as committed, read in SQL: SourceList answers only once the
     * daemon serves, and by then the follower may have applied every page. */
    for (int i = 0; i < 4000; i++) {
        cursor = sf_test_pg_int(conn, "SELECT COALESCE((SELECT last_seq FROM evaluation.event_cursor"
                                      " WHERE source = 'grid'), -1)");
        if (cursor > 0)
            break;
        usleep(1000);
    }
    SF_CHECK_EQ_INT(sf_test_daemon_kill(&evaluation), 128 + 9);
    printf("evaluation killed at grid cursor %lld (heads total %lld)\n", (long long) cursor, (long long) head);
    SF_CHECK(cursor > 0 && cursor < td_head(grid.endpoint));

    /* Changes while it is down; started, stopped cleanly mid-stream. */
    SF_CHECK_EQ_INT(grid_changes(1), 0);
    if (HAVE_volunteer)
        SF_CHECK_EQ_INT(volunteer_changes(2), 0);
    if (HAVE_employment)
        SF_CHECK_EQ_INT(employment_changes(2), 0);
    if (HAVE_intake)
        SF_CHECK_EQ_INT(intake_changes(2), 0);
    evaluation = start_evaluation();
    usleep(150 * 1000);
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    /* A broken event in each source's log, good ones after it. */
    break_sources();
    SF_CHECK_EQ_INT(grid_changes(2), 0);
    if (HAVE_employment)
        SF_CHECK_EQ_INT(employment_changes(3), 0);

    /* Started for good, with changes still arriving. */
    evaluation = start_evaluation();
    SF_CHECK_EQ_INT(grid_changes(3), 0);
    /* A restarted peer: grid goes away under the follower and comes back. */
    restart_source(&grid);
    SF_CHECK_EQ_INT(grid_changes(4), 0);
    if (HAVE_volunteer)
        SF_CHECK_EQ_INT(volunteer_changes(3), 0);
    if (HAVE_intake)
        SF_CHECK_EQ_INT(intake_changes(3), 0);
    if (!SF_CHECK(caught_up(client, 60000)))
        goto cleanup;
    if (HAVE_intake)
        SF_CHECK(sf_test_pg_exec(conn,
            "CREATE SCHEMA follow_test;"
            " CREATE VIEW follow_test.intake_case AS SELECT 'intake' AS instance, * FROM intake.intake_case"
            "   UNION ALL SELECT 'intake@civil-affairs', * FROM intake_civil.intake_case;"
            " CREATE VIEW follow_test.case_history AS SELECT 'intake' AS instance, * FROM intake.case_history"
            "   UNION ALL SELECT 'intake@civil-affairs', * FROM intake_civil.case_history") == 0);
    int compared = compare(client);
    printf("compared %d figures (fact x unit) with the sources' own tables\n", compared);
    SF_CHECK(compared >= 3 * (1 + TD_STREETS + TD_STREETS * TD_COMMUNITIES * (1 + TD_ZONES)));
    compare_catalogue(client);
    check_skipped(client);
    /* The run exercised what it compares: none of these may be zero. */
    const char *exercised[] = {
        "SELECT count(*) FROM grid.household WHERE version > 1",
        HAVE_volunteer ? "SELECT count(*) FROM volunteer.service_record WHERE status = 2" : NULL,
        HAVE_volunteer ? "SELECT count(*) FROM volunteer.help_pairing WHERE NOT active" : NULL,
        HAVE_volunteer ? "SELECT count(*) FROM volunteer.help_contact" : NULL,
        HAVE_employment ? "SELECT count(*) FROM employment.placement" : NULL,
        HAVE_employment ? "SELECT count(*) FROM employment.person WHERE cardinality(difficulties) > 0"
                          " AND status IN (1, 3, 4)" : NULL,
        HAVE_intake ? "SELECT count(*) FROM follow_test.intake_case WHERE status <= 4 AND overdue" : NULL,
        HAVE_intake ? "SELECT count(*) FROM follow_test.intake_case WHERE status = 6" : NULL,
        HAVE_intake ? "SELECT count(*) FROM follow_test.intake_case WHERE status = 7" : NULL,
        HAVE_intake ? "SELECT count(*) FROM intake.intake_case c WHERE status = 6 AND first_responder_id <>"
                      " (SELECT actor_id FROM intake.case_history h WHERE h.case_id = c.id AND h.to_status = 6)"
                    : NULL,
    };
    for (size_t i = 0; i < sizeof exercised / sizeof *exercised; i++)
        if (exercised[i] && !SF_CHECK(sf_test_pg_int(conn, exercised[i]) > 0))
            printf("not exercised: %s\n", exercised[i]);
    /* Every grid event applied once: the cursor equals grid's head and the
     * household count per zone equals grid's (already compared) after
     * updates that would double-count. */
    SF_CHECK_EQ_INT(sf_test_source_cursor(client, "grid"), td_head(grid.endpoint));

    /* The database goes away: evaluation answers UNAVAILABLE, never exits,
     * and once it is back carries on from its stored cursors. */
    if (SF_CHECK(sf_test_pg_run("stop") == 0)) {
        Sifang__V1__KpiValuesRequest request = SIFANG__V1__KPI_VALUES_REQUEST__INIT;
        request.period = half;
        sf_reply_info_t info;
        SF_CHECK_EQ_INT(sf_client_call(client, "KpiValues", NULL, &request.base, NULL, NULL, &info), SF_UNAVAILABLE);
        SF_CHECK(sf_test_daemon_running(evaluation));
        SF_CHECK(sf_test_pg_run("start") == 0);
        PQreset(conn);
        sf_status_t status = SF_UNAVAILABLE;
        for (int i = 0; i < 200 && status != SF_OK; i++) {
            usleep(100 * 1000);
            status = sf_client_call(client, "KpiValues", NULL, &request.base, NULL, NULL, &info);
        }
        SF_CHECK_EQ_INT(status, SF_OK);
        int failed = 0;
        for (int i = 0; i < 100; i++) {
            failed = grid_changes(5);
            if (failed == 0)
                break;
            usleep(100 * 1000);   /* grid reconnecting */
        }
        SF_CHECK_EQ_INT(failed, 0);
        if (SF_CHECK(caught_up(client, 60000)))
            SF_CHECK_EQ_INT(compare(client), compared);
    }

cleanup:
    sf_client_destroy(&client);
    if (evaluation)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&evaluation), 0);
    if (HAVE_intake) {
        stop_source(&civil);
        stop_source(&intake);
    }
    if (HAVE_employment)
        stop_source(&employment);
    if (HAVE_volunteer)
        stop_source(&volunteer);
    stop_source(&grid);
    if (conn)
        PQfinish(conn);
    if (!sf_test_failures())
        sf_test_rmtree(dir);
    else
        printf("logs in %s\n", dir);
    free(eval_endpoint);
    free(eval_publish);
    return sf_test_done();
}
