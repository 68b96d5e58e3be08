/* Volunteers, credentials, teams, co-building and visits against a real
 * volunteer following a real grid: registration where the resident lives,
 * in-service party members, refusals that write nothing (unknown residents
 * and households and staff, a second registration, a bad skill, another
 * community's resident), a pipelined batch with a bad request inside, a
 * resident's move followed from grid, idempotent repeats and scopes. */
#include "volunteer_test_support.h"
#include "sf_config.h"
#include "sf_test_person.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static vt_world_t world;

#define FREE(message) do { if (message) protobuf_c_message_free_unpacked(&(message)->base, NULL); \
                           (message) = NULL; } while (0)

static void
test_register(void)
{
    /* Household 0's head is a party member in community 1. */
    Sifang__V1__VolunteerProfile profile = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
    Sifang__V1__VolunteerSkillLevel meals = SIFANG__V1__VOLUNTEER_SKILL_LEVEL__INIT;
    Sifang__V1__VolunteerSkillLevel repair = SIFANG__V1__VOLUNTEER_SKILL_LEVEL__INIT;
    Sifang__V1__VolunteerSkillLevel *skills[2] = { &meals, &repair };
    Sifang__V1__VolunteerAvailability window = SIFANG__V1__VOLUNTEER_AVAILABILITY__INIT;
    Sifang__V1__VolunteerAvailability *windows[1] = { &window };
    meals.skill = "meals";
    meals.level = 5;
    repair.skill = "repair";
    window.weekday = 6;
    window.start_minute = 8 * 60;
    window.end_minute = 12 * 60;
    profile.resident_id = world.residents[0];
    profile.community_code = VT_COMMUNITY_1;
    profile.skills = skills;
    profile.n_skills = 2;
    profile.availability = windows;
    profile.n_availability = 1;
    profile.in_service_party_member = true;
    profile.party_organisation = "Qingdao Port Group party committee";
    profile.national_number = "QD-0000001";
    Sifang__V1__VolunteerProfile *created = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerRegister", "reg-0", &profile.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, &info), SF_OK);
    if (!SF_CHECK(created != NULL))
        return;
    SF_CHECK_EQ_STR(created->id, "V000001");
    SF_CHECK_EQ_STR(created->community_code, VT_COMMUNITY_1);
    SF_CHECK_EQ_STR(created->zone_code, VT_ZONE_1);
    SF_CHECK_EQ_STR(created->household_code, world.households[0]);
    SF_CHECK_EQ_STR(created->name, "Resident 00");
    SF_CHECK(created->party_member && created->in_service_party_member);
    SF_CHECK_EQ_INT(created->status, SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_REGISTERED);
    SF_CHECK_EQ_INT(created->n_skills, 2);
    SF_CHECK(created->n_skills == 2 && created->skills[1]->level == 3);
    SF_CHECK(created->n_availability == 1 && created->availability[0]->end_minute == 720);
    SF_CHECK_EQ_STR(created->national_number, "QD-0000001");
    FREE(created);

    /* The same request id again: the first reply, nothing written twice. */
    long long before = vt_domain_rows(&world);
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerRegister", "reg-0", &profile.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, &info), SF_OK);
    SF_CHECK(info.replayed);
    SF_CHECK(created && strcmp(created->id, "V000001") == 0);
    FREE(created);
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);

    /* A second registration of the resident under a new request id. */
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerRegister", NULL, &profile.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, &info),
                    SF_ALREADY_EXISTS);
    SF_CHECK(vt_has_violation(&info, "resident_id"));
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
}

static void
test_register_refusals(void)
{
    long long before = vt_domain_rows(&world);
    Sifang__V1__VolunteerProfile profile = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
    Sifang__V1__VolunteerProfile *created = NULL;
    sf_reply_info_t info;

    /* An unknown resident. */
    profile.resident_id = "R9999999";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerRegister", NULL, &profile.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, &info),
                    SF_NOT_FOUND);
    SF_CHECK(vt_has_violation(&info, "resident_id"));
    SF_CHECK(info.message && strstr(info.message, "R9999999"));

    /* Not a resident id at all; a skill not in the catalogue; a bad window. */
    Sifang__V1__VolunteerSkillLevel bad = SIFANG__V1__VOLUNTEER_SKILL_LEVEL__INIT;
    Sifang__V1__VolunteerSkillLevel *skills[1] = { &bad };
    Sifang__V1__VolunteerAvailability window = SIFANG__V1__VOLUNTEER_AVAILABILITY__INIT;
    Sifang__V1__VolunteerAvailability *windows[1] = { &window };
    bad.skill = "juggling";
    window.weekday = 9;
    profile.resident_id = "someone";
    profile.skills = skills;
    profile.n_skills = 1;
    profile.availability = windows;
    profile.n_availability = 1;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerRegister", NULL, &profile.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, &info),
                    SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "resident_id"));
    SF_CHECK(vt_has_violation(&info, "skills[0].skill"));
    SF_CHECK(vt_has_violation(&info, "availability[0]"));

    /* A registration from the paper register keeps its moment, but not one
     * to come or more than a year back. */
    Sifang__V1__VolunteerProfile dated = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
    dated.resident_id = world.residents[3];
    dated.registered_unix_ms = sf_now_ms() + 3600000;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerRegister", NULL, &dated.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, &info),
                    SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "registered_unix_ms"));
    dated.registered_unix_ms = sf_now_ms() - 400LL * 86400000;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerRegister", NULL, &dated.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, &info),
                    SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "registered_unix_ms"));

    /* Registered where they do not live. */
    Sifang__V1__VolunteerProfile elsewhere = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
    elsewhere.resident_id = world.residents[3];
    elsewhere.community_code = VT_COMMUNITY_2;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerRegister", NULL, &elsewhere.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, &info),
                    SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "community_code"));

    /* An in-service party member who is not a party member in grid. */
    Sifang__V1__VolunteerProfile not_party = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
    not_party.resident_id = world.residents[1];
    not_party.in_service_party_member = true;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerRegister", NULL, &not_party.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, &info),
                    SF_FAILED_PRECONDITION);
    SF_CHECK(vt_has_violation(&info, "in_service_party_member"));

    /* A community principal of community 2 registering a resident of 1. */
    sf_client_t *other = vt_client_as(&world, "station-2", "community", VT_COMMUNITY_2);
    Sifang__V1__VolunteerProfile outside = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
    outside.resident_id = world.residents[2];
    SF_CHECK_EQ_INT(vt_call(&world, other, "VolunteerRegister", NULL, &outside.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, &info),
                    SF_PERMISSION_DENIED);
    /* A viewer may not register at all. */
    sf_client_t *viewer = vt_client_as(&world, "dashboard", "viewer", "");
    SF_CHECK_EQ_INT(vt_call(&world, viewer, "VolunteerRegister", NULL, &outside.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, &info),
                    SF_PERMISSION_DENIED);
    sf_client_destroy(&other);
    sf_client_destroy(&viewer);
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
}

/* 30 registrations pipelined (one batch on the server), one of them for an
 * unknown resident and one a repeat of an earlier resident: those two are
 * refused, the rest registered once each; one registered on paper two
 * months ago keeps that moment. */
static void
test_register_batch(void)
{
    enum { N = 30 };
    sf_client_t *client = sf_client_new(world.endpoint, NULL);
    Sifang__V1__VolunteerProfile profiles[N];
    Sifang__V1__VolunteerSkillLevel levels[N];
    Sifang__V1__VolunteerSkillLevel *skill_lists[N][1];
    char ids[N][32];
    int64_t registered = (sf_now_ms() - 61LL * 86400000) / 1000 * 1000;
    for (int i = 0; i < N; i++) {
        sifang__v1__volunteer_profile__init(&profiles[i]);
        sifang__v1__volunteer_skill_level__init(&levels[i]);
        levels[i].skill = i % 2 ? "elderly_care" : "housekeeping";
        levels[i].level = 1 + i % 5;
        skill_lists[i][0] = &levels[i];
        profiles[i].skills = skill_lists[i];
        profiles[i].n_skills = 1;
        /* Households 4..33, except request 10 (unknown) and 20 (= 19's). */
        profiles[i].resident_id = i == 10 ? "R8888888" : world.residents[i == 20 ? 4 + 19 : 4 + i];
        profiles[i].registered_unix_ms = i == 7 ? registered : 0;
        snprintf(ids[i], sizeof ids[i], "batch-%d", i);
    }
    for (int i = 0; i < N; i++)
        SF_CHECK_EQ_INT(sf_client_send(client, "VolunteerRegister", ids[i], &profiles[i].base), 0);
    int ok = 0, not_found = 0, exists = 0;
    for (int i = 0; i < N; i++) {
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        if (!SF_CHECK_EQ_INT(sf_client_recv(client, 10000, &body, &size, &info), 1))
            break;
        free(body);
        if (info.status == SF_OK)
            ok++;
        else if (info.status == SF_NOT_FOUND && strcmp(info.request_id, "batch-10") == 0)
            not_found++;
        else if (info.status == SF_ALREADY_EXISTS && strcmp(info.request_id, "batch-20") == 0)
            exists++;
        else
            SF_FAIL("%s: %s %s", info.request_id, sf_status_name(info.status), info.message);
    }
    SF_CHECK_EQ_INT(ok, N - 2);
    SF_CHECK_EQ_INT(not_found, 1);
    SF_CHECK_EQ_INT(exists, 1);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM volunteer"), 1 + N - 2);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM event_log WHERE type = 'volunteer.registered'"), 1 + N - 2);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM volunteer WHERE registered_at = to_timestamp(%lld / 1000.0)"
             " AND resident_id = '%s'", (long long) registered, profiles[7].resident_id);
    SF_CHECK_EQ_INT(vt_sql_int(&world, sql), 1);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM volunteer WHERE registered_at < now() - interval '1 day'"), 1);
    /* Its reply says so too. */
    Sifang__V1__VolunteerGetRequest get = SIFANG__V1__VOLUNTEER_GET_REQUEST__INIT;
    get.resident_id = (char *) profiles[7].resident_id;
    Sifang__V1__VolunteerProfile *got = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerGet", NULL, &get.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &got, &info), SF_OK);
    SF_CHECK(got && strcmp(got->resident_id, profiles[7].resident_id) == 0 && got->registered_unix_ms == registered);
    FREE(got);
    sf_client_destroy(&client);
}

static void
test_get_list_update(void)
{
    Sifang__V1__VolunteerGetRequest get = SIFANG__V1__VOLUNTEER_GET_REQUEST__INIT;
    Sifang__V1__VolunteerProfile *profile = NULL;
    sf_reply_info_t info;
    get.national_number = "QD-0000001";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerGet", NULL, &get.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &profile, &info), SF_OK);
    SF_CHECK(profile && strcmp(profile->id, "V000001") == 0);
    FREE(profile);
    get.national_number = "";
    get.resident_id = world.residents[5];
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerGet", NULL, &get.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &profile, &info), SF_OK);
    char volunteer5[16] = "";
    if (profile)
        snprintf(volunteer5, sizeof volunteer5, "%s", profile->id);
    FREE(profile);

    /* Lists: by community subtree and skill, paged; party members only. */
    Sifang__V1__VolunteerListRequest list = SIFANG__V1__VOLUNTEER_LIST_REQUEST__INIT;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    list.under = VT_COMMUNITY_1;
    list.skill = "housekeeping";
    page.page_size = 3;
    list.page = &page;
    int seen = 0;
    for (int pages = 0; pages < 10; pages++) {
        Sifang__V1__VolunteerListReply *reply = NULL;
        if (!SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerList", NULL, &list.base,
                                     &sifang__v1__volunteer_list_reply__descriptor, (ProtobufCMessage **) &reply,
                                     &info), SF_OK))
            break;
        seen += (int) reply->n_volunteers;
        for (size_t i = 0; i < reply->n_volunteers; i++)
            SF_CHECK_EQ_STR(reply->volunteers[i]->community_code, VT_COMMUNITY_1);
        bool more = *reply->next_page_token;
        static char token[32];
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        page.page_token = token;
        FREE(reply);
        if (!more)
            break;
    }
    /* Households 4..19 are in community 1; even requests did housekeeping:
     * households 4, 6, 8, 10, 12, 16, 18 (14 was the unknown resident). */
    SF_CHECK_EQ_INT(seen, 7);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM volunteer WHERE community_code = '" VT_COMMUNITY_1 "'"
                                       " AND skills @> '{housekeeping}'"), 7);

    /* A bad page token and a filter outside the caller's scope. */
    page.page_token = "not-a-token";
    Sifang__V1__VolunteerListReply *reply = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerList", NULL, &list.base, &sifang__v1__volunteer_list_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "page.page_token"));
    page.page_token = "";
    sf_client_t *other = vt_client_as(&world, "station-2", "community", VT_COMMUNITY_2);
    SF_CHECK_EQ_INT(vt_call(&world, other, "VolunteerList", NULL, &list.base,
                            &sifang__v1__volunteer_list_reply__descriptor, (ProtobufCMessage **) &reply, &info), SF_OK);
    SF_CHECK(reply && reply->n_volunteers == 0);
    FREE(reply);
    sf_client_destroy(&other);

    /* Update: suspend, a national number taken by someone else, version. */
    Sifang__V1__VolunteerUpdateRequest update = SIFANG__V1__VOLUNTEER_UPDATE_REQUEST__INIT;
    update.id = volunteer5;
    update.national_number = "QD-0000001";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerUpdate", NULL, &update.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &profile, &info), SF_ALREADY_EXISTS);
    SF_CHECK(vt_has_violation(&info, "national_number"));
    update.national_number = "QD-0000005";
    update.status = SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_ACTIVE;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerUpdate", NULL, &update.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &profile, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "status"));
    update.status = SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_SUSPENDED;
    update.expected_version = 7;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerUpdate", NULL, &update.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &profile, &info), SF_FAILED_PRECONDITION);
    update.expected_version = 1;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerUpdate", NULL, &update.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &profile, &info), SF_OK);
    SF_CHECK(profile && profile->status == SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_SUSPENDED
             && profile->version == 2 && strcmp(profile->national_number, "QD-0000005") == 0);
    FREE(profile);
}

/* Grid moves a volunteer's household: volunteer follows and the
 * registration moves to the new home community. */

static double
district_teams(void)
{
    Sifang__V1__VolunteerSummaryRequest ask = SIFANG__V1__VOLUNTEER_SUMMARY_REQUEST__INIT;
    Sifang__V1__VolunteerSummaryReply *summary = NULL;
    double teams = -1;
    if (SF_CHECK_EQ_INT(vt_call(&world, NULL, "Summary", NULL, &ask.base, &sifang__v1__volunteer_summary_reply__descriptor,
                                (ProtobufCMessage **) &summary, NULL), SF_OK))
        teams = summary->teams;
    if (summary)
        protobuf_c_message_free_unpacked(&summary->base, NULL);
    return teams;
}

/* Summary's replies are kept with the version of the data they were
 * counted from (common/sf_kept.h): a change made behind the daemon's back
 * (no event, no follower's page) is not seen; the checks of every unit
 * against the rows after each later write (vt_check_summary) show that an
 * event makes them counted again. */
static void
check_summary_kept(void)
{
    double teams = district_teams();
    SF_CHECK(teams >= 0);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "WITH moved AS (UPDATE unit_figures SET teams = teams + 1000"
                                       " WHERE code = (SELECT min(code) FROM unit_figures) RETURNING 1)"
                                       " SELECT count(*) FROM moved"), 1);
    SF_CHECK(district_teams() == teams);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "WITH moved AS (UPDATE unit_figures SET teams = teams - 1000"
                                       " WHERE code = (SELECT min(code) FROM unit_figures) RETURNING 1)"
                                       " SELECT count(*) FROM moved"), 1);
}

static void
test_resident_moves(void)
{
    char volunteer[16] = "";
    /* Household 6's head (community 1) was registered by the batch. */
    Sifang__V1__ResidentUpdateRequest move = SIFANG__V1__RESIDENT_UPDATE_REQUEST__INIT;
    move.id = world.residents[6];
    move.household_code = world.households[25];
    Sifang__V1__Resident *moved = NULL;
    SF_CHECK_EQ_INT(sf_client_call(world.grid_client, "ResidentUpdate", NULL, &move.base,
                                   &sifang__v1__resident__descriptor, (ProtobufCMessage **) &moved, NULL), SF_OK);
    FREE(moved);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM volunteer WHERE resident_id = '%s' AND community_code = '%s'"
             " AND zone_code = '%s'", world.residents[6], VT_COMMUNITY_2, VT_ZONE_3);
    int64_t until = sf_clock_ms() + 10000;
    while (sf_clock_ms() < until && vt_sql_int(&world, sql) != 1)
        usleep(100 * 1000);
    SF_CHECK_EQ_INT(vt_sql_int(&world, sql), 1);
    (void) volunteer;

    /* Grid changes the volunteer's party membership: volunteer's copy
     * follows, and with it the party members of the new community. */
    Sifang__V1__ResidentUpdateRequest party = SIFANG__V1__RESIDENT_UPDATE_REQUEST__INIT;
    party.id = world.residents[6];
    party.set_party_member = true;
    party.party_member = !world.party_member[6];
    SF_CHECK_EQ_INT(sf_client_call(world.grid_client, "ResidentUpdate", NULL, &party.base,
                                   &sifang__v1__resident__descriptor, (ProtobufCMessage **) &moved, NULL), SF_OK);
    FREE(moved);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM ref_resident WHERE id = '%s' AND party_member = %s",
             world.residents[6], party.party_member ? "true" : "false");
    until = sf_clock_ms() + 10000;
    while (sf_clock_ms() < until && vt_sql_int(&world, sql) != 1)
        usleep(100 * 1000);
    SF_CHECK_EQ_INT(vt_sql_int(&world, sql), 1);
    vt_check_summary(&world, 4, 90, "after a volunteer moved and changed party membership");
    check_summary_kept();
}

static void
test_credentials(void)
{
    long long before = vt_domain_rows(&world);
    Sifang__V1__VolunteerCredential credential = SIFANG__V1__VOLUNTEER_CREDENTIAL__INIT;
    Sifang__V1__VolunteerCredential *added = NULL;
    sf_reply_info_t info;
    credential.volunteer_id = "V000001";
    credential.kind = SIFANG__V1__CREDENTIAL_KIND__CREDENTIAL_KIND_CERTIFICATE;
    credential.skill = "electrical";
    credential.name = "Electrician licence";
    credential.issued_on = "2020-01-01";
    credential.expires_on = "2019-12-31";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CredentialAdd", NULL, &credential.base,
                            &sifang__v1__volunteer_credential__descriptor, (ProtobufCMessage **) &added, &info),
                    SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "expires_on"));
    credential.volunteer_id = "V009999";
    credential.expires_on = "2021-12-31";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CredentialAdd", NULL, &credential.base,
                            &sifang__v1__volunteer_credential__descriptor, (ProtobufCMessage **) &added, &info),
                    SF_NOT_FOUND);
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
    credential.volunteer_id = "V000001";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CredentialAdd", NULL, &credential.base,
                            &sifang__v1__volunteer_credential__descriptor, (ProtobufCMessage **) &added, &info), SF_OK);
    SF_CHECK(added && added->expired && strcmp(added->id, "C000001") == 0);
    FREE(added);
    Sifang__V1__CredentialListRequest list = SIFANG__V1__CREDENTIAL_LIST_REQUEST__INIT;
    list.expired_only = true;
    Sifang__V1__CredentialListReply *reply = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CredentialList", NULL, &list.base, &sifang__v1__credential_list_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_OK);
    SF_CHECK(reply && reply->n_credentials == 1);
    FREE(reply);

    Sifang__V1__SkillListRequest skills = SIFANG__V1__SKILL_LIST_REQUEST__INIT;
    Sifang__V1__SkillListReply *catalogue = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "SkillList", NULL, &skills.base, &sifang__v1__skill_list_reply__descriptor,
                            (ProtobufCMessage **) &catalogue, &info), SF_OK);
    bool has_meals = false;
    for (size_t i = 0; catalogue && i < catalogue->n_skills; i++)
        has_meals |= strcmp(catalogue->skills[i]->code, "meals") == 0;
    SF_CHECK(has_meals);
    FREE(catalogue);
}

static void
test_teams(void)
{
    Sifang__V1__VolunteerTeam team = SIFANG__V1__VOLUNTEER_TEAM__INIT;
    char *skills[1] = { "mediation" };
    Sifang__V1__VolunteerTeam *created = NULL;
    sf_reply_info_t info;
    team.name = "和事佬 mediation team";
    team.type = SIFANG__V1__VOLUNTEER_TEAM_TYPE__VOLUNTEER_TEAM_TYPE_MEDIATION;
    team.community_code = VT_COMMUNITY_1;
    team.leader_id = "V000001";
    team.service_brand = "有事找党员";
    team.skills = skills;
    team.n_skills = 1;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamCreate", NULL, &team.base, &sifang__v1__volunteer_team__descriptor,
                            (ProtobufCMessage **) &created, &info), SF_OK);
    SF_CHECK(created && strcmp(created->id, "T0001") == 0 && created->members == 1
             && strcmp(created->service_brand, "有事找党员") == 0 && strcmp(created->leader_name, "Resident 00") == 0);
    FREE(created);
    /* The same name in the same community; an unknown leader; an unknown
     * community. */
    long long before = vt_domain_rows(&world);
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamCreate", NULL, &team.base, &sifang__v1__volunteer_team__descriptor,
                            (ProtobufCMessage **) &created, &info), SF_ALREADY_EXISTS);
    team.name = "365 party member studio";
    team.leader_id = "V000999";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamCreate", NULL, &team.base, &sifang__v1__volunteer_team__descriptor,
                            (ProtobufCMessage **) &created, &info), SF_NOT_FOUND);
    SF_CHECK(vt_has_violation(&info, "leader_id"));
    team.leader_id = "V000001";
    team.community_code = "370205001009";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamCreate", NULL, &team.base, &sifang__v1__volunteer_team__descriptor,
                            (ProtobufCMessage **) &created, &info), SF_NOT_FOUND);
    SF_CHECK(vt_has_violation(&info, "community_code"));
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);

    /* Members: add two, one twice; the leader cannot be removed. */
    Sifang__V1__TeamMembership membership = SIFANG__V1__TEAM_MEMBERSHIP__INIT;
    Sifang__V1__TeamMembership *joined = NULL;
    membership.team_id = "T0001";
    membership.volunteer_id = "V000002";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamMemberAdd", NULL, &membership.base,
                            &sifang__v1__team_membership__descriptor, (ProtobufCMessage **) &joined, &info), SF_OK);
    FREE(joined);
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamMemberAdd", NULL, &membership.base,
                            &sifang__v1__team_membership__descriptor, (ProtobufCMessage **) &joined, &info),
                    SF_ALREADY_EXISTS);
    membership.volunteer_id = "V000003";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamMemberAdd", NULL, &membership.base,
                            &sifang__v1__team_membership__descriptor, (ProtobufCMessage **) &joined, &info), SF_OK);
    FREE(joined);
    membership.volunteer_id = "V000001";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamMemberRemove", NULL, &membership.base,
                            &sifang__v1__team_membership__descriptor, (ProtobufCMessage **) &joined, &info),
                    SF_FAILED_PRECONDITION);
    membership.volunteer_id = "V000003";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamMemberRemove", NULL, &membership.base,
                            &sifang__v1__team_membership__descriptor, (ProtobufCMessage **) &joined, &info), SF_OK);
    FREE(joined);
    Sifang__V1__TeamGetRequest get = SIFANG__V1__TEAM_GET_REQUEST__INIT;
    get.id = "T0001";
    Sifang__V1__TeamView *view = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamGet", NULL, &get.base, &sifang__v1__team_view__descriptor,
                            (ProtobufCMessage **) &view, &info), SF_OK);
    SF_CHECK(view && view->team->members == 2 && view->n_members == 2);
    FREE(view);
    Sifang__V1__TeamListRequest list = SIFANG__V1__TEAM_LIST_REQUEST__INIT;
    list.service_brand = "有事找党员";
    Sifang__V1__TeamListReply *teams = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamList", NULL, &list.base, &sifang__v1__team_list_reply__descriptor,
                            (ProtobufCMessage **) &teams, &info), SF_OK);
    SF_CHECK(teams && teams->n_teams == 1);
    FREE(teams);
}

static void
test_cobuilding_and_visits(void)
{
    Sifang__V1__CoBuilding pair = SIFANG__V1__CO_BUILDING__INIT;
    Sifang__V1__CoBuildingCommitment people = SIFANG__V1__CO_BUILDING_COMMITMENT__INIT;
    Sifang__V1__CoBuildingCommitment money = SIFANG__V1__CO_BUILDING_COMMITMENT__INIT;
    Sifang__V1__CoBuildingCommitment *commitments[2] = { &people, &money };
    people.kind = SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_PEOPLE;
    people.description = "volunteers for the summer programme";
    people.quantity = 12;
    people.unit = "people";
    money.kind = SIFANG__V1__COMMITMENT_KIND__COMMITMENT_KIND_MONEY;
    money.description = "activity fund";
    money.quantity = 20000;
    money.unit = "yuan";
    pair.unit_name = "Qingdao Brewery";
    pair.community_code = VT_COMMUNITY_2;
    pair.commitments = commitments;
    pair.n_commitments = 2;
    Sifang__V1__CoBuilding *created = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingCreate", NULL, &pair.base, &sifang__v1__co_building__descriptor,
                            (ProtobufCMessage **) &created, &info), SF_OK);
    SF_CHECK(created && created->n_commitments == 2 && created->commitments[1]->quantity == 20000
             && strcmp(created->commitments[0]->unit, "people") == 0 && created->active && *created->since);
    FREE(created);
    long long before = vt_domain_rows(&world);
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingCreate", NULL, &pair.base, &sifang__v1__co_building__descriptor,
                            (ProtobufCMessage **) &created, &info), SF_ALREADY_EXISTS);
    money.quantity = -5;
    pair.unit_name = "Another unit";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingCreate", NULL, &pair.base, &sifang__v1__co_building__descriptor,
                            (ProtobufCMessage **) &created, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "commitments[1].quantity"));
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
    money.quantity = 20000;

    /* The unit's credit code by the suite's rule (GB 32100-2015, sf_ids.h):
     * 18 capitals and digits with a wrong check character are refused
     * naming the field, nothing written; a code whose check character holds
     * is taken and comes back as given, in the reply and the row. */
    pair.unit_credit_code = "91370200MA3C123456";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingCreate", NULL, &pair.base, &sifang__v1__co_building__descriptor,
                            (ProtobufCMessage **) &created, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "unit_credit_code"));
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
    pair.unit_credit_code = "91350100M000100Y43";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingCreate", NULL, &pair.base, &sifang__v1__co_building__descriptor,
                            (ProtobufCMessage **) &created, &info), SF_OK);
    char another[16] = "";
    if (SF_CHECK(created)) {
        snprintf(another, sizeof another, "%s", created->id);
        SF_CHECK_EQ_STR(created->unit_credit_code, "91350100M000100Y43");
        SF_CHECK_EQ_STR(created->unit_name, "Another unit");
        SF_CHECK_EQ_STR(created->community_code, VT_COMMUNITY_2);
        SF_CHECK_EQ_INT(created->n_commitments, 2);
    }
    FREE(created);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM cobuilding WHERE unit_name = 'Another unit'"
                                       " AND unit_credit_code = '91350100M000100Y43'"), 1);

    /* Ending it (volunteer_end, as a help pairing ends): outside the
     * caller's community, not there, or a malformed id, refused naming why
     * and nothing written; then ended with its reason, in the reply, the
     * row and one event; a second end is refused. */
    Sifang__V1__CoBuildingEndRequest end = SIFANG__V1__CO_BUILDING_END_REQUEST__INIT;
    Sifang__V1__CoBuilding *ended = NULL;
    end.id = another;
    end.reason = "the brewery moved its staff volunteering elsewhere";
    before = vt_domain_rows(&world);
    sf_client_t *neighbour = vt_client_as(&world, "community-1", "community", VT_COMMUNITY_1);
    SF_CHECK_EQ_INT(vt_call(&world, neighbour, "CoBuildingEnd", NULL, &end.base, &sifang__v1__co_building__descriptor,
                            (ProtobufCMessage **) &ended, &info), SF_PERMISSION_DENIED);
    sf_client_destroy(&neighbour);
    end.id = "B999999";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingEnd", NULL, &end.base, &sifang__v1__co_building__descriptor,
                            (ProtobufCMessage **) &ended, &info), SF_NOT_FOUND);
    SF_CHECK(vt_has_violation(&info, "id"));
    end.id = "P0001";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingEnd", NULL, &end.base, &sifang__v1__co_building__descriptor,
                            (ProtobufCMessage **) &ended, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "id"));
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
    end.id = another;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingEnd", NULL, &end.base, &sifang__v1__co_building__descriptor,
                            (ProtobufCMessage **) &ended, &info), SF_OK);
    if (SF_CHECK(ended)) {
        SF_CHECK_EQ_STR(ended->id, another);
        SF_CHECK(!ended->active);
        SF_CHECK_EQ_STR(ended->ended_reason, end.reason);
        SF_CHECK_EQ_STR(ended->unit_name, "Another unit");
        SF_CHECK_EQ_STR(ended->community_code, VT_COMMUNITY_2);
        SF_CHECK_EQ_INT(ended->n_commitments, 2);
        SF_CHECK_EQ_INT(ended->version, 2);
    }
    FREE(ended);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM cobuilding WHERE unit_name = 'Another unit'"
                                       " AND NOT active AND version = 2"
                                       " AND ended_reason = 'the brewery moved its staff volunteering elsewhere'"), 1);
    char event_sql[160];
    snprintf(event_sql, sizeof event_sql, "SELECT count(*) FROM event_log WHERE type = 'cobuilding.ended'"
             " AND key = '%s'", another);
    SF_CHECK_EQ_INT(vt_sql_int(&world, event_sql), 1);
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "CoBuildingEnd", NULL, &end.base, &sifang__v1__co_building__descriptor,
                            (ProtobufCMessage **) &ended, &info), SF_FAILED_PRECONDITION);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM event_log WHERE type = 'cobuilding.ended'"), 1);
    before = vt_domain_rows(&world);

    /* Visits: the cadre twice, the department officer once; an unknown
     * staff member and an unknown household write nothing. */
    Sifang__V1__HouseholdVisit visit = SIFANG__V1__HOUSEHOLD_VISIT__INIT;
    Sifang__V1__HouseholdVisit *recorded = NULL;
    visit.staff_id = "S99999";
    visit.household_code = world.households[1];
    visit.kind = SIFANG__V1__CONTACT_KIND__CONTACT_KIND_VISIT;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VisitRecord", NULL, &visit.base, &sifang__v1__household_visit__descriptor,
                            (ProtobufCMessage **) &recorded, &info), SF_NOT_FOUND);
    SF_CHECK(vt_has_violation(&info, "staff_id"));
    visit.staff_id = world.cadre_id;
    visit.household_code = "370205001001011999";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VisitRecord", NULL, &visit.base, &sifang__v1__household_visit__descriptor,
                            (ProtobufCMessage **) &recorded, &info), SF_NOT_FOUND);
    SF_CHECK(vt_has_violation(&info, "household_code"));
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
    const char *visitors[3] = { world.cadre_id, world.cadre_id, world.officer_id };
    const int households[3] = { 1, 2, 25 };
    for (int i = 0; i < 3; i++) {
        visit.staff_id = (char *) visitors[i];
        visit.household_code = world.households[households[i]];
        visit.note = "asked about heating";
        SF_CHECK_EQ_INT(vt_call(&world, NULL, "VisitRecord", NULL, &visit.base,
                                &sifang__v1__household_visit__descriptor, (ProtobufCMessage **) &recorded, &info), SF_OK);
        if (i == 2)
            SF_CHECK(recorded && strcmp(recorded->department_code, "civil-affairs") == 0
                     && strcmp(recorded->community_code, VT_COMMUNITY_2) == 0);
        FREE(recorded);
    }
    Sifang__V1__VisitCountsRequest counts = SIFANG__V1__VISIT_COUNTS_REQUEST__INIT;
    Sifang__V1__VisitCountsReply *reply = NULL;
    counts.group_by = SIFANG__V1__VISIT_GROUPING__VISIT_GROUPING_STAFF_UNIT;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VisitCounts", NULL, &counts.base, &sifang__v1__visit_counts_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_OK);
    SF_CHECK(reply && reply->n_counts == 2 && reply->visits == 3);
    for (size_t i = 0; reply && i < reply->n_counts; i++)
        if (strcmp(reply->counts[i]->key, "370205001") == 0)
            SF_CHECK(reply->counts[i]->visits == 2 && reply->counts[i]->households == 2 && reply->counts[i]->staff == 1);
    FREE(reply);
    counts.group_by = SIFANG__V1__VISIT_GROUPING__VISIT_GROUPING_DEPARTMENT;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VisitCounts", NULL, &counts.base, &sifang__v1__visit_counts_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_OK);
    SF_CHECK(reply && reply->n_counts == 1 && strcmp(reply->counts[0]->name, "Civil affairs bureau") == 0);
    FREE(reply);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM event_log WHERE type = 'visit.recorded'"), 3);
}

/* --- people: what each duty sees and writes ------------------------------------ */

/* The volunteer's name as SQL holds it, clear or masked as the suite masks
 * (the first character, then a * for each further one). */
static void
expected_name(const char *volunteer, bool clear, char *out, size_t size)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM volunteer.volunteer v JOIN volunteer.ref_resident p ON p.id = v.resident_id"
             " WHERE v.serial = %lld", clear ? "p.name" : "left(p.name, 1) || repeat('*', char_length(p.name) - 1)",
             atoll(volunteer + 1));
    PGresult *result = PQexec(world.db, sql);
    snprintf(out, size, "%s", PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1
                                  ? PQgetvalue(result, 0, 0) : "?");
    PQclear(result);
}

static sf_status_t
get_volunteer(sf_client_t *client, const char *id, Sifang__V1__VolunteerProfile **profile)
{
    Sifang__V1__VolunteerGetRequest get = SIFANG__V1__VOLUNTEER_GET_REQUEST__INIT;
    sf_reply_info_t info;
    get.id = (char *) id;
    return vt_call(&world, client, "VolunteerGet", NULL, &get.base, &sifang__v1__volunteer_profile__descriptor,
                   (ProtobufCMessage **) profile, &info);
}

/* Every volunteer of a list under `under` shown clear or masked. */
static void
check_list(sf_client_t *client, const char *under, long long want, bool clear)
{
    Sifang__V1__VolunteerListRequest list = SIFANG__V1__VOLUNTEER_LIST_REQUEST__INIT;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 100;
    list.page = &page;
    list.under = (char *) under;
    Sifang__V1__VolunteerListReply *reply = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(vt_call(&world, client, "VolunteerList", NULL, &list.base,
                                 &sifang__v1__volunteer_list_reply__descriptor, (ProtobufCMessage **) &reply, &info),
                         SF_OK))
        return;
    SF_CHECK_EQ_INT((long long) reply->n_volunteers, want);
    for (size_t i = 0; i < reply->n_volunteers; i++) {
        char name[128];
        expected_name(reply->volunteers[i]->id, clear, name, sizeof name);
        SF_CHECK_EQ_STR(reply->volunteers[i]->name, name);
    }
    FREE(reply);
}

static sf_client_t *
person(const char *id, const sf_test_grant_t *grants, size_t n)
{
    sf_client_t *client = vt_client_as(&world, id, "", "");
    SF_CHECK(client && sf_test_set_person(client, id, NULL, grants, n) == 0);
    return client;
}

static void
test_people(void)
{
    sf_test_grant_t coordinate_1[] = { { "volunteer_coordinator", VT_COMMUNITY_1, VT_COMMUNITY_1, NULL } };
    sf_test_grant_t lead[] = { { "leader", "*", NULL, NULL } };
    sf_test_grant_t lead_coordinate_2[] = { { "leader", "*", NULL, NULL },
                                            { "volunteer_coordinator", VT_COMMUNITY_2, VT_COMMUNITY_2, NULL } };
    sf_client_t *coordinator = person("S00901", coordinate_1, 1);
    sf_client_t *leader = person("S00902", lead, 1);
    sf_client_t *both = person("S00903", lead_coordinate_2, 2);
    sf_client_t *viewer = vt_client_as(&world, "dashboard", "viewer", "");
    char in_1[16], in_2[16], name[128];
    snprintf(in_1, sizeof in_1, "V%06lld", vt_sql_int(&world, "SELECT min(serial) FROM volunteer"
                                                             " WHERE community_code = '" VT_COMMUNITY_1 "'"));
    snprintf(in_2, sizeof in_2, "V%06lld", vt_sql_int(&world, "SELECT min(serial) FROM volunteer"
                                                             " WHERE community_code = '" VT_COMMUNITY_2 "'"));
    Sifang__V1__VolunteerProfile *profile = NULL;

    /* One volunteer: the name in clear to the coordinator of their
     * community, masked to a leader, not there outside the view. */
    if (SF_CHECK_EQ_INT(get_volunteer(coordinator, in_1, &profile), SF_OK)) {
        expected_name(in_1, true, name, sizeof name);
        SF_CHECK_EQ_STR(profile->name, name);
        SF_CHECK_EQ_STR(profile->community_code, VT_COMMUNITY_1);
    }
    FREE(profile);
    SF_CHECK_EQ_INT(get_volunteer(coordinator, in_2, &profile), SF_NOT_FOUND);
    FREE(profile);
    SF_CHECK_EQ_INT(get_volunteer(coordinator, "V999999", &profile), SF_NOT_FOUND);
    FREE(profile);
    if (SF_CHECK_EQ_INT(get_volunteer(leader, in_1, &profile), SF_OK)) {
        expected_name(in_1, false, name, sizeof name);
        SF_CHECK_EQ_STR(profile->name, name);
    }
    FREE(profile);
    if (SF_CHECK_EQ_INT(get_volunteer(both, in_2, &profile), SF_OK)) {
        expected_name(in_2, true, name, sizeof name);
        SF_CHECK_EQ_STR(profile->name, name);
    }
    FREE(profile);
    SF_CHECK_EQ_INT(get_volunteer(viewer, in_1, &profile), SF_PERMISSION_DENIED);
    FREE(profile);

    /* Lists: the caller's view, names as the caller may see them; a scope
     * widened in the request gives nothing; never to the viewer. */
    long long in_community_1 = vt_sql_int(&world, "SELECT count(*) FROM volunteer WHERE community_code = '"
                                                  VT_COMMUNITY_1 "'");
    long long in_community_2 = vt_sql_int(&world, "SELECT count(*) FROM volunteer WHERE community_code = '"
                                                  VT_COMMUNITY_2 "'");
    check_list(coordinator, "", in_community_1, true);
    check_list(coordinator, VT_COMMUNITY_2, 0, true);
    check_list(leader, VT_COMMUNITY_1, in_community_1, false);
    check_list(both, VT_COMMUNITY_2, in_community_2, true);
    Sifang__V1__VolunteerListRequest list = SIFANG__V1__VOLUNTEER_LIST_REQUEST__INIT;
    Sifang__V1__VolunteerListReply *reply = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(vt_call(&world, viewer, "VolunteerList", NULL, &list.base,
                            &sifang__v1__volunteer_list_reply__descriptor, (ProtobufCMessage **) &reply, &info),
                    SF_PERMISSION_DENIED);
    FREE(reply);
    Sifang__V1__SkillListRequest skills = SIFANG__V1__SKILL_LIST_REQUEST__INIT;
    Sifang__V1__SkillListReply *skill_list = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, viewer, "SkillList", NULL, &skills.base, &sifang__v1__skill_list_reply__descriptor,
                            (ProtobufCMessage **) &skill_list, &info), SF_OK);
    FREE(skill_list);

    /* Writes: the coordinator within their write scope; a leader's view
     * of the district writes nothing. */
    long long before = vt_domain_rows(&world);
    Sifang__V1__VolunteerUpdateRequest update = SIFANG__V1__VOLUNTEER_UPDATE_REQUEST__INIT;
    update.id = in_1;
    update.national_number = "QD-0000901";
    SF_CHECK_EQ_INT(vt_call(&world, leader, "VolunteerUpdate", NULL, &update.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &profile, &info),
                    SF_PERMISSION_DENIED);
    FREE(profile);
    SF_CHECK_EQ_INT(vt_call(&world, both, "VolunteerUpdate", NULL, &update.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &profile, &info),
                    SF_PERMISSION_DENIED);
    FREE(profile);
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
    SF_CHECK_EQ_INT(vt_call(&world, coordinator, "VolunteerUpdate", NULL, &update.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &profile, &info),
                    SF_OK);
    FREE(profile);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM volunteer WHERE national_number = 'QD-0000901'"), 1);
    sf_client_destroy(&coordinator);
    sf_client_destroy(&leader);
    sf_client_destroy(&both);
    sf_client_destroy(&viewer);
}

int
main(void)
{
    if (vt_world_start(&world, "volunteer_registry", NULL)) {
        test_register();
        test_register_refusals();
        test_register_batch();
        test_get_list_update();
        test_resident_moves();
        test_credentials();
        test_teams();
        test_cobuilding_and_visits();
        test_people();
        vt_check_summary(&world, 4, 90, "after the registry tests");
        vt_check_summary_migration(&world, NULL, 4, 90);
    }
    vt_world_stop(&world);
    return sf_test_done();
}
