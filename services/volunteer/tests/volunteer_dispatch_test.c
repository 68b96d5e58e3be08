/* Dispatch against a real volunteer following a real grid's zones: the
 * candidates for a zone, a skill and a time ranked by distance, skill and
 * load, within the radius; certificates (an expired one keeps its holder
 * out), weekly availability, overlapping dispatches, the load limit and
 * suspension; the life of a dispatch made by a service principal for an
 * intake case (offer, accept by the assignee, decline with a reoffer to the
 * next candidate, complete with hours, cancel); listing a case's
 * dispatches over its attempts; a long description quoted in the service
 * record cut on a character boundary; and refusals that write nothing (no
 * candidate, unknown zones and households, wrong callers). */
#include "volunteer_test_support.h"
#include "sf_config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static vt_world_t world;
static char near[16], next_door[16], farther[16], too_far[16], expired[16], certified[16], monday[16];
static sf_client_t *intake;   /* a service principal, as intake calls */

#define FREE(message) do { if (message) protobuf_c_message_free_unpacked(&(message)->base, NULL); \
                           (message) = NULL; } while (0)

/* The next local (UTC+8) time on weekday (1 = Monday) at hour:minute, at
 * least two hours from now, plus extra_hours. */
static int64_t
local_time(int weekday, int hour, int minute, int extra_hours)
{
    int64_t now = (int64_t) time(NULL);
    int64_t local = now + 8 * 3600;
    int64_t day = local / 86400;
    int today = (int) ((day + 3) % 7) + 1;   /* 1970-01-01 was a Thursday (4) */
    for (int ahead = 0; ahead < 15; ahead++) {
        int wd = (today - 1 + ahead) % 7 + 1;
        int64_t at = (day + ahead) * 86400 + hour * 3600 + minute * 60 - 8 * 3600;
        if (wd == weekday && at > now + 2 * 3600)
            return (at + (int64_t) extra_hours * 3600) * 1000;
    }
    return 0;
}

static sf_status_t
candidates(const char *zone, const char *skill, int64_t at, Sifang__V1__DispatchCandidatesReply **reply_p,
           sf_reply_info_t *info)
{
    Sifang__V1__DispatchCandidatesRequest request = SIFANG__V1__DISPATCH_CANDIDATES_REQUEST__INIT;
    request.zone_code = (char *) zone;
    request.skill = (char *) skill;
    request.at_unix_ms = at;
    return vt_call(&world, intake, "DispatchCandidates", NULL, &request.base,
                   &sifang__v1__dispatch_candidates_reply__descriptor, (ProtobufCMessage **) reply_p, info);
}

static int
rank_of(const Sifang__V1__DispatchCandidatesReply *reply, const char *id)
{
    for (size_t i = 0; reply && i < reply->n_candidates; i++)
        if (strcmp(reply->candidates[i]->volunteer_id, id) == 0 || strcmp(reply->candidates[i]->team_id, id) == 0)
            return reply->candidates[i]->rank;
    return 0;
}

static sf_status_t
offer(sf_client_t *client, const char *zone, const char *skill, int64_t at, const char *volunteer, const char *case_ref,
      Sifang__V1__VolunteerDispatch **reply_p, sf_reply_info_t *info)
{
    Sifang__V1__DispatchOfferRequest request = SIFANG__V1__DISPATCH_OFFER_REQUEST__INIT;
    request.zone_code = (char *) zone;
    request.skill = (char *) skill;
    request.at_unix_ms = at;
    request.volunteer_id = (char *) (volunteer ? volunteer : "");
    request.case_ref = (char *) (case_ref ? case_ref : "");
    request.description = "lunch for an elderly resident living alone";
    return vt_call(&world, client ? client : intake, "DispatchOffer", NULL, &request.base,
                   &sifang__v1__volunteer_dispatch__descriptor, (ProtobufCMessage **) reply_p, info);
}

static void
setup(void)
{
    vt_register(&world, 0, "meals", false, near);          /* zone 1 */
    vt_register(&world, 10, "meals", false, next_door);    /* zone 2, ~0.6 km */
    vt_register(&world, 20, "meals", false, farther);      /* zone 3, ~3.3 km */
    vt_register(&world, 30, "meals", false, too_far);      /* zone 4, ~14 km */
    vt_register(&world, 1, "electrical", false, expired);
    vt_register(&world, 2, "electrical", false, certified);
    /* Household 3's head cooks on Monday mornings only. */
    Sifang__V1__VolunteerProfile profile = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
    Sifang__V1__VolunteerSkillLevel level = SIFANG__V1__VOLUNTEER_SKILL_LEVEL__INIT;
    Sifang__V1__VolunteerSkillLevel *levels[1] = { &level };
    Sifang__V1__VolunteerAvailability window = SIFANG__V1__VOLUNTEER_AVAILABILITY__INIT;
    Sifang__V1__VolunteerAvailability *windows[1] = { &window };
    level.skill = "meals";
    level.level = 5;
    window.weekday = 1;
    window.start_minute = 8 * 60;
    window.end_minute = 9 * 60;
    profile.resident_id = world.residents[3];
    profile.skills = levels;
    profile.n_skills = 1;
    profile.availability = windows;
    profile.n_availability = 1;
    Sifang__V1__VolunteerProfile *created = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerRegister", NULL, &profile.base,
                            &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, NULL), SF_OK);
    if (created)
        snprintf(monday, sizeof monday, "%s", created->id);
    FREE(created);

    const char *holders[2] = { expired, certified };
    const char *expiry[2] = { "2020-12-31", "2099-12-31" };
    for (int i = 0; i < 2; i++) {
        Sifang__V1__VolunteerCredential credential = SIFANG__V1__VOLUNTEER_CREDENTIAL__INIT;
        credential.volunteer_id = (char *) holders[i];
        credential.kind = SIFANG__V1__CREDENTIAL_KIND__CREDENTIAL_KIND_CERTIFICATE;
        credential.skill = "electrical";
        credential.name = "Low-voltage electrician licence";
        credential.issued_on = "2018-01-01";
        credential.expires_on = (char *) expiry[i];
        Sifang__V1__VolunteerCredential *added = NULL;
        SF_CHECK_EQ_INT(vt_call(&world, NULL, "CredentialAdd", NULL, &credential.base,
                                &sifang__v1__volunteer_credential__descriptor, (ProtobufCMessage **) &added, NULL), SF_OK);
        FREE(added);
    }
    /* A community 1 team that does meals. */
    Sifang__V1__VolunteerTeam team = SIFANG__V1__VOLUNTEER_TEAM__INIT;
    char *skills[1] = { "meals" };
    team.name = "Neighbourhood kitchen";
    team.type = SIFANG__V1__VOLUNTEER_TEAM_TYPE__VOLUNTEER_TEAM_TYPE_CONVENIENCE;
    team.community_code = VT_COMMUNITY_1;
    team.leader_id = next_door;
    team.skills = skills;
    team.n_skills = 1;
    Sifang__V1__VolunteerTeam *created_team = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamCreate", NULL, &team.base, &sifang__v1__volunteer_team__descriptor,
                            (ProtobufCMessage **) &created_team, NULL), SF_OK);
    FREE(created_team);
}

static void
test_ranking(void)
{
    int64_t at = local_time(3, 15, 0, 0);
    Sifang__V1__DispatchCandidatesReply *reply = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(candidates(VT_ZONE_1, "meals", at, &reply, &info), SF_OK))
        return;
    /* Near first; next door, then the team, then farther; too far and
     * Monday's cook (not available on Wednesday) are out. */
    SF_CHECK_EQ_INT(rank_of(reply, near), 1);
    SF_CHECK(rank_of(reply, next_door) > 1 && rank_of(reply, farther) > rank_of(reply, next_door));
    SF_CHECK(rank_of(reply, "T0001") > 1);
    SF_CHECK_EQ_INT(rank_of(reply, too_far), 0);
    SF_CHECK_EQ_INT(rank_of(reply, monday), 0);
    SF_CHECK_EQ_INT(reply->n_candidates, 4);
    for (size_t i = 1; i < reply->n_candidates; i++)
        SF_CHECK(reply->candidates[i]->score >= reply->candidates[i - 1]->score);
    SF_CHECK(reply->candidates[0]->distance_km < 0.01 && reply->candidates[0]->skill_level == 4);
    for (size_t i = 0; i < reply->n_candidates; i++)
        if (strcmp(reply->candidates[i]->volunteer_id, farther) == 0)
            SF_CHECK(reply->candidates[i]->distance_km > 2.5 && reply->candidates[i]->distance_km < 4.5);
    FREE(reply);

    /* Monday 08:15 for 30 minutes: Monday's cook (level 5) is in. */
    Sifang__V1__DispatchCandidatesRequest request = SIFANG__V1__DISPATCH_CANDIDATES_REQUEST__INIT;
    request.zone_code = VT_ZONE_1;
    request.skill = "meals";
    request.at_unix_ms = local_time(1, 8, 15, 0);
    request.duration_minutes = 30;
    request.pool = SIFANG__V1__DISPATCH_POOL__DISPATCH_POOL_VOLUNTEERS;
    SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchCandidates", NULL, &request.base,
                            &sifang__v1__dispatch_candidates_reply__descriptor, (ProtobufCMessage **) &reply, &info),
                    SF_OK);
    SF_CHECK_EQ_INT(rank_of(reply, monday), 1);
    SF_CHECK_EQ_INT(rank_of(reply, "T0001"), 0);
    FREE(reply);
    /* ... but not for 90 minutes, which runs past 09:00. */
    request.duration_minutes = 90;
    SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchCandidates", NULL, &request.base,
                            &sifang__v1__dispatch_candidates_reply__descriptor, (ProtobufCMessage **) &reply, &info),
                    SF_OK);
    SF_CHECK_EQ_INT(rank_of(reply, monday), 0);
    FREE(reply);

    /* The household's zone stands for the zone. */
    request.zone_code = "";
    request.household_code = world.households[12];
    request.duration_minutes = 0;
    request.at_unix_ms = at;
    SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchCandidates", NULL, &request.base,
                            &sifang__v1__dispatch_candidates_reply__descriptor, (ProtobufCMessage **) &reply, &info),
                    SF_OK);
    SF_CHECK(reply && strcmp(reply->zone_code, VT_ZONE_2) == 0 && rank_of(reply, next_door) == 1);
    FREE(reply);
}

static void
test_credentials(void)
{
    Sifang__V1__DispatchCandidatesReply *reply = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(candidates(VT_ZONE_1, "electrical", local_time(3, 15, 0, 0), &reply, &info), SF_OK);
    SF_CHECK(reply && reply->n_candidates == 1 && rank_of(reply, certified) == 1 && rank_of(reply, expired) == 0);
    FREE(reply);
}

static void
test_refusals(void)
{
    long long before = vt_domain_rows(&world);
    Sifang__V1__VolunteerDispatch *dispatch = NULL;
    sf_reply_info_t info;
    int64_t at = local_time(3, 15, 0, 0);
    /* No one has the skill: a clear status, nothing written. */
    SF_CHECK_EQ_INT(offer(NULL, VT_ZONE_1, "tutoring", at, NULL, "C-0009", &dispatch, &info), SF_FAILED_PRECONDITION);
    SF_CHECK(info.message && strstr(info.message, "no candidate"));
    /* A skill that needs a certificate nobody holds. */
    SF_CHECK_EQ_INT(offer(NULL, VT_ZONE_4, "legal_advice", at, NULL, NULL, &dispatch, &info), SF_FAILED_PRECONDITION);
    /* A named volunteer who is too far away. */
    SF_CHECK_EQ_INT(offer(NULL, VT_ZONE_1, "meals", at, too_far, NULL, &dispatch, &info), SF_FAILED_PRECONDITION);
    SF_CHECK(vt_has_violation(&info, "volunteer_id"));
    SF_CHECK_EQ_INT(offer(NULL, VT_ZONE_1, "meals", at, "V000999", NULL, &dispatch, &info), SF_NOT_FOUND);
    /* Unknown zone, malformed zone, unknown skill, past time. */
    SF_CHECK_EQ_INT(offer(NULL, "37020500100109", "meals", at, NULL, NULL, &dispatch, &info), SF_NOT_FOUND);
    SF_CHECK(vt_has_violation(&info, "zone_code"));
    SF_CHECK_EQ_INT(offer(NULL, "3702", "cooking", sf_now_ms() - 3LL * 86400 * 1000, NULL, NULL, &dispatch, &info),
                    SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "zone_code") && vt_has_violation(&info, "skill")
             && vt_has_violation(&info, "at_unix_ms"));
    /* An unknown household. */
    Sifang__V1__DispatchOfferRequest request = SIFANG__V1__DISPATCH_OFFER_REQUEST__INIT;
    request.household_code = "370205001001011999";
    request.skill = "meals";
    SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchOffer", NULL, &request.base, &sifang__v1__volunteer_dispatch__descriptor,
                            (ProtobufCMessage **) &dispatch, &info), SF_NOT_FOUND);
    SF_CHECK(vt_has_violation(&info, "household_code"));
    /* A viewer may look but not dispatch. */
    sf_client_t *viewer = vt_client_as(&world, "dashboard", "viewer", "");
    SF_CHECK_EQ_INT(offer(viewer, VT_ZONE_1, "meals", at, NULL, NULL, &dispatch, &info), SF_PERMISSION_DENIED);
    sf_client_destroy(&viewer);
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
}

static void
test_life(void)
{
    int64_t at = local_time(3, 15, 0, 0);
    Sifang__V1__VolunteerDispatch *dispatch = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(offer(NULL, VT_ZONE_1, "meals", at, NULL, "C2012-000123", &dispatch, &info), SF_OK))
        return;
    char id[16];
    snprintf(id, sizeof id, "%s", dispatch->id);
    SF_CHECK_EQ_STR(dispatch->volunteer_id, near);
    SF_CHECK_EQ_STR(dispatch->requested_by, "intake");
    SF_CHECK_EQ_STR(dispatch->case_ref, "C2012-000123");
    SF_CHECK_EQ_INT(dispatch->status, SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_OFFERED);
    SF_CHECK_EQ_INT(dispatch->assignee_kind, SIFANG__V1__DISPATCH_ASSIGNEE_KIND__DISPATCH_ASSIGNEE_KIND_VOLUNTEER);
    FREE(dispatch);

    /* Near is busy then: not a candidate for an overlapping time; for a
     * later time it is, carrying its load. */
    Sifang__V1__DispatchCandidatesReply *reply = NULL;
    SF_CHECK_EQ_INT(candidates(VT_ZONE_1, "meals", at + 30 * 60 * 1000, &reply, &info), SF_OK);
    SF_CHECK_EQ_INT(rank_of(reply, near), 0);
    FREE(reply);
    SF_CHECK_EQ_INT(candidates(VT_ZONE_1, "meals", at + 3 * 3600 * 1000, &reply, &info), SF_OK);
    for (size_t i = 0; reply && i < reply->n_candidates; i++)
        if (strcmp(reply->candidates[i]->volunteer_id, near) == 0)
            SF_CHECK(reply->candidates[i]->load == 1 && fabs(reply->candidates[i]->score - 0.75) < 0.01);
    FREE(reply);

    /* Another volunteer cannot accept it; the assignee can. */
    Sifang__V1__DispatchAcceptRequest accept = SIFANG__V1__DISPATCH_ACCEPT_REQUEST__INIT;
    accept.id = id;
    sf_client_t *other = vt_client_as(&world, next_door, "viewer", "");
    SF_CHECK_EQ_INT(vt_call(&world, other, "DispatchAccept", NULL, &accept.base, &sifang__v1__volunteer_dispatch__descriptor,
                            (ProtobufCMessage **) &dispatch, &info), SF_PERMISSION_DENIED);
    sf_client_destroy(&other);
    sf_client_t *assignee = vt_client_as(&world, near, "viewer", "");
    SF_CHECK_EQ_INT(vt_call(&world, assignee, "DispatchAccept", NULL, &accept.base, &sifang__v1__volunteer_dispatch__descriptor,
                            (ProtobufCMessage **) &dispatch, &info), SF_OK);
    SF_CHECK(dispatch && dispatch->status == SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_ACCEPTED);
    FREE(dispatch);
    SF_CHECK_EQ_INT(vt_call(&world, assignee, "DispatchAccept", NULL, &accept.base, &sifang__v1__volunteer_dispatch__descriptor,
                            (ProtobufCMessage **) &dispatch, &info), SF_FAILED_PRECONDITION);
    sf_client_destroy(&assignee);

    /* Complete with 1.5 h: a pending service record for the case. */
    Sifang__V1__DispatchCompleteRequest complete = SIFANG__V1__DISPATCH_COMPLETE_REQUEST__INIT;
    complete.id = id;
    complete.hours = -1;
    SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchComplete", NULL, &complete.base,
                            &sifang__v1__volunteer_dispatch__descriptor, (ProtobufCMessage **) &dispatch, &info),
                    SF_INVALID_ARGUMENT);
    complete.hours = 1.5;
    complete.note = "delivered, resident well";
    SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchComplete", NULL, &complete.base,
                            &sifang__v1__volunteer_dispatch__descriptor, (ProtobufCMessage **) &dispatch, &info), SF_OK);
    SF_CHECK(dispatch && dispatch->status == SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_COMPLETED
             && *dispatch->service_record_id);
    FREE(dispatch);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM service_record WHERE case_ref = 'C2012-000123'"
                                       " AND status = 1 AND hours = 1.5 AND dispatch_serial IS NOT NULL"), 1);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM event_log WHERE type IN ('dispatch.offered',"
                                       " 'dispatch.accepted', 'dispatch.completed', 'service_record.submitted')"), 4);

    /* A second case: near declines, it goes to the next candidate, who
     * declines too, and so on until no one is left. */
    if (!SF_CHECK_EQ_INT(offer(NULL, VT_ZONE_1, "meals", at, NULL, "C2012-000124", &dispatch, &info), SF_OK))
        return;
    snprintf(id, sizeof id, "%s", dispatch->id);
    SF_CHECK_EQ_STR(dispatch->volunteer_id, near);
    FREE(dispatch);
    Sifang__V1__DispatchDeclineRequest decline = SIFANG__V1__DISPATCH_DECLINE_REQUEST__INIT;
    decline.id = id;
    decline.reason = "away that afternoon";
    decline.reoffer = true;
    int attempts = 1;
    char last[16] = "";
    for (int round = 0; round < 6; round++) {
        if (!SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchDecline", NULL, &decline.base,
                                     &sifang__v1__volunteer_dispatch__descriptor, (ProtobufCMessage **) &dispatch, &info),
                             SF_OK))
            break;
        bool offered = dispatch->status == SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_OFFERED;
        if (offered) {
            attempts++;
            SF_CHECK_EQ_INT(dispatch->attempt, attempts);
            SF_CHECK_EQ_INT(dispatch->n_declined_by, (size_t) attempts - 1);
            snprintf(last, sizeof last, "%s", *dispatch->volunteer_id ? dispatch->volunteer_id : dispatch->team_id);
        } else {
            SF_CHECK_EQ_INT(dispatch->status, SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_DECLINED);
            /* No one was left to ask after a refusal that asked for the
             * next: back with the desk. */
            SF_CHECK(dispatch->returned_to_desk);
        }
        FREE(dispatch);
        if (!offered)
            break;
    }
    /* near, next door, the team, farther: four offers, then declined; one
     * event per decline, the reoffers among them carrying the new offer. */
    SF_CHECK_EQ_INT(attempts, 4);
    SF_CHECK_EQ_STR(last, farther);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM event_log WHERE type = 'dispatch.declined'"), 4);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM event_log WHERE type = 'dispatch.offered'"), 2);

    /* Cancel: a third case offered, then withdrawn by intake. */
    if (!SF_CHECK_EQ_INT(offer(NULL, VT_ZONE_2, "meals", at + 6 * 3600 * 1000, NULL, "C2012-000125", &dispatch, &info),
                         SF_OK))
        return;
    snprintf(id, sizeof id, "%s", dispatch->id);
    FREE(dispatch);
    Sifang__V1__DispatchCancelRequest cancel = SIFANG__V1__DISPATCH_CANCEL_REQUEST__INIT;
    cancel.id = id;
    cancel.reason = "the resident's daughter came home";
    SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchCancel", NULL, &cancel.base,
                            &sifang__v1__volunteer_dispatch__descriptor, (ProtobufCMessage **) &dispatch, &info), SF_OK);
    SF_CHECK(dispatch && dispatch->status == SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_CANCELLED);
    FREE(dispatch);
    SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchCancel", NULL, &cancel.base,
                            &sifang__v1__volunteer_dispatch__descriptor, (ProtobufCMessage **) &dispatch, &info),
                    SF_FAILED_PRECONDITION);

    Sifang__V1__DispatchListRequest list = SIFANG__V1__DISPATCH_LIST_REQUEST__INIT;
    list.case_ref = "C2012-000124";
    Sifang__V1__DispatchListReply *dispatches = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchList", NULL, &list.base, &sifang__v1__dispatch_list_reply__descriptor,
                            (ProtobufCMessage **) &dispatches, &info), SF_OK);
    SF_CHECK(dispatches && dispatches->n_dispatches == 1
             && dispatches->dispatches[0]->status == SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_DECLINED);
    FREE(dispatches);
}

/* The world runs with DISPATCH_MAX_LOAD=2: a volunteer with two open
 * dispatches is offered no third; a suspended one none. */
static void
test_load_and_suspension(void)
{
    Sifang__V1__VolunteerDispatch *dispatch = NULL;
    sf_reply_info_t info;
    int64_t at = local_time(5, 9, 0, 0);
    for (int i = 0; i < 2; i++) {
        SF_CHECK_EQ_INT(offer(NULL, VT_ZONE_3, "meals", at + i * 2 * 3600 * 1000, farther, NULL, &dispatch, &info), SF_OK);
        FREE(dispatch);
    }
    Sifang__V1__DispatchCandidatesReply *reply = NULL;
    SF_CHECK_EQ_INT(candidates(VT_ZONE_3, "meals", at + 6 * 3600 * 1000, &reply, &info), SF_OK);
    SF_CHECK_EQ_INT(rank_of(reply, farther), 0);
    SF_CHECK(rank_of(reply, near) > 0);
    FREE(reply);
    Sifang__V1__VolunteerUpdateRequest update = SIFANG__V1__VOLUNTEER_UPDATE_REQUEST__INIT;
    update.id = near;
    update.status = SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_SUSPENDED;
    Sifang__V1__VolunteerProfile *profile = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerUpdate", NULL, &update.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &profile, &info), SF_OK);
    FREE(profile);
    SF_CHECK_EQ_INT(candidates(VT_ZONE_3, "meals", at + 6 * 3600 * 1000, &reply, &info), SF_OK);
    SF_CHECK_EQ_INT(rank_of(reply, near), 0);
    FREE(reply);
}

/* Withdraws a dispatch, so that its assignee's load stays free. */
static void
cancel_dispatch(const char *id)
{
    Sifang__V1__DispatchCancelRequest cancel = SIFANG__V1__DISPATCH_CANCEL_REQUEST__INIT;
    cancel.id = (char *) id;
    Sifang__V1__VolunteerDispatch *dispatch = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchCancel", NULL, &cancel.base,
                            &sifang__v1__volunteer_dispatch__descriptor, (ProtobufCMessage **) &dispatch, NULL), SF_OK);
    FREE(dispatch);
}

/* Intake names each request of a case "intake/<case>/<attempt>": listing by
 * the case ("intake/77") finds every attempt's dispatch, and no other
 * case's ("intake/770/1"); by the attempt's own ref, that one. */
static void
test_list_by_case(void)
{
    const char *refs[3] = { "intake/77/1", "intake/77/2", "intake/770/1" };
    char ids[3][16];
    int64_t at = local_time(6, 10, 0, 0);
    for (int i = 0; i < 3; i++) {
        Sifang__V1__VolunteerDispatch *dispatch = NULL;
        ids[i][0] = 0;
        if (SF_CHECK_EQ_INT(offer(NULL, VT_ZONE_1, "meals", at + i * 3 * 3600 * 1000, NULL, refs[i], &dispatch, NULL),
                            SF_OK))
            snprintf(ids[i], sizeof ids[i], "%s", dispatch->id);
        FREE(dispatch);
        cancel_dispatch(ids[i]);
    }
    const char *filters[3] = { "intake/77", "intake/77/2", "intake/7" };
    size_t expected[3] = { 2, 1, 0 };
    for (int f = 0; f < 3; f++) {
        Sifang__V1__DispatchListRequest list = SIFANG__V1__DISPATCH_LIST_REQUEST__INIT;
        list.case_ref = (char *) filters[f];
        Sifang__V1__DispatchListReply *dispatches = NULL;
        SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchList", NULL, &list.base,
                                &sifang__v1__dispatch_list_reply__descriptor, (ProtobufCMessage **) &dispatches, NULL),
                        SF_OK);
        if (!SF_CHECK(dispatches != NULL) || !SF_CHECK_EQ_INT(dispatches->n_dispatches, expected[f])) {
            FREE(dispatches);
            continue;
        }
        if (f == 0) {
            SF_CHECK_EQ_STR(dispatches->dispatches[0]->id, ids[0]);
            SF_CHECK_EQ_STR(dispatches->dispatches[0]->case_ref, "intake/77/1");
            SF_CHECK_EQ_STR(dispatches->dispatches[1]->id, ids[1]);
            SF_CHECK_EQ_STR(dispatches->dispatches[1]->case_ref, "intake/77/2");
        } else if (f == 1)
            SF_CHECK_EQ_STR(dispatches->dispatches[0]->id, ids[1]);
        FREE(dispatches);
    }
}

/* A completed dispatch's hours become a service record whose activity
 * quotes the description's first 150 bytes: cut inside a character, the
 * record was refused by PostgreSQL (invalid byte sequence for encoding
 * "UTF8") and the completion failed with it. Cut on a boundary, it is
 * stored and reads back whole characters. */
static void
test_complete_long_description(void)
{
    char description[256] = "a";
    for (int i = 0; i < 60; i++)
        strcat(description, "四");   /* byte 150 falls inside the 50th 四 */
    Sifang__V1__DispatchOfferRequest request = SIFANG__V1__DISPATCH_OFFER_REQUEST__INIT;
    request.zone_code = VT_ZONE_2;
    request.skill = "meals";
    request.at_unix_ms = local_time(7, 10, 0, 0);
    request.volunteer_id = next_door;
    request.case_ref = "intake/78/1";
    request.description = description;
    Sifang__V1__VolunteerDispatch *dispatch = NULL;
    if (!SF_CHECK_EQ_INT(vt_call(&world, intake, "DispatchOffer", NULL, &request.base,
                                 &sifang__v1__volunteer_dispatch__descriptor, (ProtobufCMessage **) &dispatch, NULL),
                         SF_OK))
        return;
    char id[16];
    snprintf(id, sizeof id, "%s", dispatch->id);
    FREE(dispatch);
    Sifang__V1__DispatchAcceptRequest accept = SIFANG__V1__DISPATCH_ACCEPT_REQUEST__INIT;
    accept.id = id;
    sf_client_t *assignee = vt_client_as(&world, next_door, "viewer", "");
    SF_CHECK_EQ_INT(vt_call(&world, assignee, "DispatchAccept", NULL, &accept.base,
                            &sifang__v1__volunteer_dispatch__descriptor, (ProtobufCMessage **) &dispatch, NULL), SF_OK);
    FREE(dispatch);
    sf_client_destroy(&assignee);
    Sifang__V1__DispatchCompleteRequest complete = SIFANG__V1__DISPATCH_COMPLETE_REQUEST__INIT;
    complete.id = id;
    complete.hours = 2;
    sf_reply_info_t info;
    sf_status_t status = vt_call(&world, intake, "DispatchComplete", NULL, &complete.base,
                                 &sifang__v1__volunteer_dispatch__descriptor, (ProtobufCMessage **) &dispatch, &info);
    if (!SF_CHECK_EQ_INT(status, SF_OK))
        printf("DispatchComplete: %s\n", info.message);
    SF_CHECK(dispatch && dispatch->status == SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_COMPLETED
             && *dispatch->service_record_id);
    FREE(dispatch);
    char expected[256];
    snprintf(expected, sizeof expected, "dispatch %s: meals, a", id);
    for (int i = 0; i < 49; i++)
        strcat(expected, "四");
    PGresult *result = PQexec(world.db, "SELECT activity, hours FROM service_record WHERE case_ref = 'intake/78/1'");
    if (SF_CHECK(PQresultStatus(result) == PGRES_TUPLES_OK) && SF_CHECK_EQ_INT(PQntuples(result), 1)) {
        SF_CHECK_EQ_STR(PQgetvalue(result, 0, 0), expected);
        SF_CHECK_EQ_STR(PQgetvalue(result, 0, 1), "2.00");
    }
    PQclear(result);
}

int
main(void)
{
    /* Attempts enough for every candidate to decline (the offers' own
     * limit, time-outs and the return to the desk: volunteer_circle_test). */
    const char *env[] = { "SIFANG_VOLUNTEER_DISPATCH_MAX_LOAD=2", "SIFANG_VOLUNTEER_DISPATCH_RADIUS_KM=5",
                          "SIFANG_VOLUNTEER_OFFER_ATTEMPTS=10", NULL };
    if (vt_world_start(&world, "volunteer_dispatch", env)) {
        intake = vt_client_as(&world, "intake", "service", "");
        setup();
        test_ranking();
        test_credentials();
        test_refusals();
        test_life();
        test_load_and_suspension();
        test_list_by_case();
        test_complete_long_description();
        vt_check_summary(&world, 4, 90, "after the dispatch tests");
        sf_client_destroy(&intake);
    }
    vt_world_stop(&world);
    return sf_test_done();
}
