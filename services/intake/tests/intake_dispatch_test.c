/* Integration test of the 15-minute life service circle: intake dispatches
 * convenience cases through the real volunteer registry (sifang-volunteer,
 * following the same grid) and follows the registry's events for the
 * provider's answer: offered to the best-ranked volunteer of the zone,
 * accepted, completed (the case resolved), declined with a reoffer to the
 * next candidate, declined for good, no candidate for the skill, cancelled
 * when the case ends, and the registry down for a while (the case waits,
 * then is offered once, not twice). The station's own dispatch to a
 * business and its answer are recorded too. And the circle's providers: a
 * repair shop the registry ranks for the case, its service completed, the
 * return visit's satisfaction rating it in the registry (which follows
 * intake's case.closed events); an offer not answered in time returning the
 * case to the desk, as the case's own step; the desk naming the shop from
 * the directory itself, its return visit rating it too. */
#include "intake_test_support.h"
#include "sf_config.h"
#include "sifang/v1/volunteer.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHANNEL(name) SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_##name
#define DISPATCH(name) SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_##name
#define STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name

static intake_world_t world;
static sf_test_daemon_t *registry;
static sf_client_t *provider;      /* acts in the registry for volunteers */
static sf_client_t *registrar;     /* the registry's local administrator */
static char registry_log[600];

/* Two volunteers of zone T_ZONE who cook, clean and care for the elderly;
 * no one in the district does repairs. The first ranks ahead (skill level
 * 5 against 4, same zone, no load). */
static struct {
    const char *household, *name;
    int level;
    char resident_id[16], volunteer_id[16];
} helpers[2] = {
    { T_HOUSEHOLD, "王小明", 5, "", "" },
    { T_HOUSEHOLD_2, "李秀英", 4, "", "" },
};

static bool
create_residents(void)
{
    for (int i = 0; i < 2; i++) {
        Sifang__V1__Resident resident = SIFANG__V1__RESIDENT__INIT;
        resident.household_code = (char *) helpers[i].household;
        resident.name = (char *) helpers[i].name;
        resident.relation = "head";
        Sifang__V1__Resident *created = NULL;
        sf_reply_info_t info;
        if (!SF_CHECK_EQ_INT(sf_client_call(world.grid_admin, "ResidentCreate", NULL, &resident.base,
                                            &sifang__v1__resident__descriptor, (ProtobufCMessage **) &created, &info),
                             SF_OK)) {
            printf("grid ResidentCreate: %s\n", info.message ? info.message : "");
            return false;
        }
        snprintf(helpers[i].resident_id, sizeof helpers[i].resident_id, "%s", created->id);
        protobuf_c_message_free_unpacked(&created->base, NULL);
    }
    return true;
}

static bool
start_registry(void)
{
    char path[512], endpoint[160], publish[160], grid_endpoint[160], grid_publish[160], intake_endpoint[160];
    char intake_publish[160];
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "volunteer"), 0))
        return false;
    snprintf(endpoint, sizeof endpoint, "SIFANG_VOLUNTEER_ENDPOINT=%s", world.volunteer_endpoint);
    snprintf(publish, sizeof publish, "SIFANG_VOLUNTEER_PUBLISH=%s", world.volunteer_publish);
    snprintf(grid_endpoint, sizeof grid_endpoint, "SIFANG_GRID_ENDPOINT=%s", world.grid_endpoint);
    snprintf(grid_publish, sizeof grid_publish, "SIFANG_GRID_PUBLISH=%s", world.grid_publish);
    snprintf(intake_endpoint, sizeof intake_endpoint, "SIFANG_INTAKE_ENDPOINT=%s", world.intake_endpoint);
    snprintf(intake_publish, sizeof intake_publish, "SIFANG_INTAKE_PUBLISH=%s", world.intake_publish);
    const char *env[] = { endpoint, publish, grid_endpoint, grid_publish, intake_endpoint, intake_publish,
                          "SIFANG_VOLUNTEER_DATABASE_URL=user=sifang_volunteer",
                          "SIFANG_VOLUNTEER_GRID_POLL_MS=200", "SIFANG_VOLUNTEER_INTAKE_POLL_MS=100",
                          "SIFANG_VOLUNTEER_OFFER_SWEEP_MS=50", NULL };
    registry = sf_test_daemon_start(path, env, registry_log);
    return SF_CHECK(registry != NULL) && SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(registry, 10000), 0)
        && SF_CHECK(sf_test_wait_database(provider, 10000));
}

/* The registry's copy of grid holds the residents; then the volunteers
 * register there as they would at their community station. */
static bool
register_volunteers(void)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM volunteer.ref_resident WHERE id IN ('%s', '%s')",
             helpers[0].resident_id, helpers[1].resident_id);
    if (!SF_CHECK_EQ_INT(intake_wait_count(&world, sql, 2, 15000), 2))
        return false;
    for (int i = 0; i < 2; i++) {
        static const char *const skills[] = { "meals", "housekeeping", "elderly_care" };
        Sifang__V1__VolunteerSkillLevel levels[3], *level_p[3];
        for (int k = 0; k < 3; k++) {
            sifang__v1__volunteer_skill_level__init(&levels[k]);
            levels[k].skill = (char *) skills[k];
            levels[k].level = helpers[i].level;
            level_p[k] = &levels[k];
        }
        Sifang__V1__VolunteerProfile profile = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
        profile.resident_id = helpers[i].resident_id;
        profile.skills = level_p;
        profile.n_skills = 3;
        Sifang__V1__VolunteerProfile *created = NULL;
        sf_reply_info_t info;
        if (!SF_CHECK_EQ_INT(intake_call(registrar, "VolunteerRegister", NULL, &profile.base,
                                         &sifang__v1__volunteer_profile__descriptor, &created, &info), SF_OK)) {
            printf("VolunteerRegister: %s\n", info.message ? info.message : "");
            return false;
        }
        snprintf(helpers[i].volunteer_id, sizeof helpers[i].volunteer_id, "%s", created->id);
        SF_CHECK_EQ_STR(created->zone_code, T_ZONE);
    }
    return true;
}

/* Waits until the case's dispatch state is want; returns the last seen. */
static long long
wait_dispatch(int64_t id, int want)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT CASE WHEN dispatch_state = %d THEN 1 ELSE 0 END FROM intake.intake_case"
             " WHERE id = %lld", want, (long long) id);
    intake_wait_count(&world, sql, 1, 8000);
    snprintf(sql, sizeof sql, "SELECT dispatch_state FROM intake.intake_case WHERE id = %lld", (long long) id);
    return intake_count(&world, sql);
}

static Sifang__V1__Case *
get_case(int64_t id)
{
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = id;
    Sifang__V1__Case *c = NULL;
    intake_call(world.station, "CaseGet", NULL, &ref.base, &sifang__v1__case__descriptor, &c, NULL);
    return c;
}

static bool
has_step(int64_t id, Sifang__V1__CaseAction action)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.case_history WHERE case_id = %lld AND action = %d",
             (long long) id, action);
    return intake_count(&world, sql) > 0;
}

static sf_status_t
registry_call(const char *method, const ProtobufCMessage *request)
{
    Sifang__V1__VolunteerDispatch *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = intake_call(provider, method, NULL, request, &sifang__v1__volunteer_dispatch__descriptor,
                                     &reply, &info);
    if (status != SF_OK)
        SF_FAIL("registry %s: %s: %s", method, sf_status_name(status), info.message ? info.message : "");
    return status;
}

static void
test_offer_accept_complete(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "elderly-meal-delivery",
                                                                            CHANNEL(ONE_KEY_CALL), "午餐送一份软饭"));
    if (!SF_CHECK(c && c->dispatch))
        return;
    SF_CHECK_EQ_INT(c->dispatch->state, DISPATCH(REQUESTED));
    SF_CHECK_EQ_INT(c->dispatch->attempt, 1);
    SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(OFFERED)), DISPATCH(OFFERED));
    Sifang__V1__Case *offered = get_case(c->id);
    if (!SF_CHECK(offered && offered->dispatch))
        return;
    SF_CHECK_EQ_STR(offered->dispatch->provider_id, helpers[0].volunteer_id);
    SF_CHECK_EQ_STR(offered->dispatch->provider_name, helpers[0].name);
    SF_CHECK_EQ_INT(offered->dispatch->provider_kind, SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_VOLUNTEER);
    SF_CHECK(strncmp(offered->dispatch->volunteer_dispatch_id, "D", 1) == 0);

    /* The station cannot answer for the registry's offer. */
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = c->id;
    Sifang__V1__CaseDispatchAnswerRequest answer = SIFANG__V1__CASE_DISPATCH_ANSWER_REQUEST__INIT;
    answer.ref = &ref;
    answer.accepted = true;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseDispatchAnswer", NULL, &answer.base, &sifang__v1__case__descriptor,
                                NULL, &info), SF_FAILED_PRECONDITION);

    Sifang__V1__DispatchAcceptRequest accept = SIFANG__V1__DISPATCH_ACCEPT_REQUEST__INIT;
    accept.id = offered->dispatch->volunteer_dispatch_id;
    registry_call("DispatchAccept", &accept.base);
    SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(ACCEPTED)), DISPATCH(ACCEPTED));
    Sifang__V1__Case *accepted = get_case(c->id);
    SF_CHECK(accepted && accepted->status == STATUS(IN_PROGRESS));
    SF_CHECK(has_step(c->id, SIFANG__V1__CASE_ACTION__CASE_ACTION_PROVIDER_ACCEPTED));

    Sifang__V1__DispatchCompleteRequest complete = SIFANG__V1__DISPATCH_COMPLETE_REQUEST__INIT;
    complete.id = offered->dispatch->volunteer_dispatch_id;
    complete.hours = 1;
    complete.note = "已送达";
    registry_call("DispatchComplete", &complete.base);
    SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(COMPLETED)), DISPATCH(COMPLETED));
    Sifang__V1__Case *done = get_case(c->id);
    SF_CHECK(done && done->status == STATUS(RESOLVED));
    char resolution[100];
    snprintf(resolution, sizeof resolution, "served by %s: 已送达", helpers[0].name);
    SF_CHECK_EQ_STR(done ? done->resolution : "", resolution);
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.event_log WHERE type = 'case.provider_completed'"), 1);
}

static void
test_declines(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "housekeeping",
                                                                            CHANNEL(HOTLINE), "大扫除"));
    if (!SF_CHECK(c != NULL) || !SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(OFFERED)), DISPATCH(OFFERED)))
        return;
    Sifang__V1__Case *offered = get_case(c->id);
    Sifang__V1__DispatchDeclineRequest decline = SIFANG__V1__DISPATCH_DECLINE_REQUEST__INIT;
    decline.id = offered->dispatch->volunteer_dispatch_id;
    decline.reason = "今天不在家";
    decline.reoffer = true;
    registry_call("DispatchDecline", &decline.base);
    /* Declined and offered to the next candidate at once. */
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.intake_case WHERE id = %lld AND provider_id = '%s'",
             (long long) c->id, helpers[1].volunteer_id);
    SF_CHECK_EQ_INT(intake_wait_count(&world, sql, 1, 8000), 1);
    SF_CHECK(has_step(c->id, SIFANG__V1__CASE_ACTION__CASE_ACTION_PROVIDER_DECLINED));
    Sifang__V1__Case *again = get_case(c->id);
    SF_CHECK(again && again->dispatch->state == DISPATCH(OFFERED));
    decline.reoffer = false;
    decline.reason = "太远";
    registry_call("DispatchDecline", &decline.base);
    SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(DECLINED)), DISPATCH(DECLINED));
    Sifang__V1__Case *declined = get_case(c->id);
    SF_CHECK(declined && declined->status == STATUS(ASSIGNED) && strstr(declined->dispatch->note, "太远"));

    /* Asked again after the decline: a new request, a new offer. */
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = c->id;
    Sifang__V1__CaseDispatchRequest redo = SIFANG__V1__CASE_DISPATCH_REQUEST__INIT;
    redo.ref = &ref;
    Sifang__V1__Case *redone = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseDispatch", NULL, &redo.base, &sifang__v1__case__descriptor,
                                &redone, NULL), SF_OK);
    SF_CHECK(redone && redone->dispatch->state == DISPATCH(REQUESTED) && redone->dispatch->attempt == 2);
    SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(OFFERED)), DISPATCH(OFFERED));
}

static void
test_unmatched_and_business(void)
{
    /* No volunteer does repairs: the station finds a business. */
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "appliance-repair",
                                                                            CHANNEL(HOTLINE), "冰箱不制冷"));
    if (!SF_CHECK(c != NULL) || !SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(UNMATCHED)), DISPATCH(UNMATCHED)))
        return;
    SF_CHECK(has_step(c->id, SIFANG__V1__CASE_ACTION__CASE_ACTION_DISPATCH_UNMATCHED));
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = c->id;
    Sifang__V1__CaseDispatchRequest dispatch = SIFANG__V1__CASE_DISPATCH_REQUEST__INIT;
    dispatch.ref = &ref;
    dispatch.provider_kind = SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_BUSINESS;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseDispatch", NULL, &dispatch.base, &sifang__v1__case__descriptor,
                                NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "provider_name"));
    dispatch.provider_name = "海尔售后四方站";
    Sifang__V1__Case *offered = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseDispatch", NULL, &dispatch.base, &sifang__v1__case__descriptor,
                                &offered, NULL), SF_OK);
    SF_CHECK(offered && offered->dispatch->state == DISPATCH(OFFERED));
    Sifang__V1__CaseDispatchAnswerRequest answer = SIFANG__V1__CASE_DISPATCH_ANSWER_REQUEST__INIT;
    answer.ref = &ref;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseDispatchAnswer", NULL, &answer.base, &sifang__v1__case__descriptor,
                                NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "note"));
    answer.accepted = true;
    Sifang__V1__Case *step = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseDispatchAnswer", NULL, &answer.base, &sifang__v1__case__descriptor,
                                &step, NULL), SF_OK);
    SF_CHECK(step && step->status == STATUS(IN_PROGRESS) && step->dispatch->state == DISPATCH(ACCEPTED));
    answer.accepted = false;
    answer.completed = true;
    answer.note = "更换温控器";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseDispatchAnswer", NULL, &answer.base, &sifang__v1__case__descriptor,
                                &step, NULL), SF_OK);
    SF_CHECK(step && step->status == STATUS(RESOLVED) && step->dispatch->state == DISPATCH(COMPLETED));

    /* Not a convenience item: nothing to dispatch. */
    Sifang__V1__Case *gov = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "pension-certification",
                                                                              CHANNEL(WINDOW), "认证"));
    ref.id = gov ? gov->id : 0;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseDispatch", NULL, &dispatch.base, &sifang__v1__case__descriptor,
                                NULL, &info), SF_FAILED_PRECONDITION);
}

static void
test_cancel_when_the_case_ends(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "elderly-home-care",
                                                                            CHANNEL(ONE_KEY_CALL), "陪护"));
    if (!SF_CHECK(c != NULL) || !SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(OFFERED)), DISPATCH(OFFERED)))
        return;
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = c->id;
    Sifang__V1__CaseRejectRequest reject = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
    reject.ref = &ref;
    reject.reason = "家属已安排";
    Sifang__V1__Case *rejected = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseReject", NULL, &reject.base, &sifang__v1__case__descriptor,
                                &rejected, NULL), SF_OK);
    SF_CHECK(rejected && rejected->dispatch->state == DISPATCH(CANCELLING));
    SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(CANCELLED)), DISPATCH(CANCELLED));
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM volunteer.dispatch WHERE case_ref LIKE 'intake/%lld/%%'",
             (long long) c->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);
}

static void
test_registry_down(void)
{
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&registry), 0);
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "elderly-meal-delivery",
                                                                            CHANNEL(ONE_KEY_CALL), "晚餐"));
    if (!SF_CHECK(c != NULL))
        return;
    usleep(1500000);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT dispatch_state FROM intake.intake_case WHERE id = %lld", (long long) c->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), DISPATCH(REQUESTED));
    /* Intake answers at once meanwhile. */
    int64_t started = sf_clock_ms();
    SF_CHECK(get_case(c->id) != NULL);
    SF_CHECK(sf_clock_ms() - started < 500);
    if (!start_registry())
        return;
    SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(OFFERED)), DISPATCH(OFFERED));
    /* Retried with the same request id: one dispatch in the registry. */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM volunteer.dispatch WHERE case_ref LIKE 'intake/%lld/%%'",
             (long long) c->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.dispatch_inbox"), 0);
}

/* The circle's provider: a repair shop serving T_ZONE (no volunteer does
 * repairs), ranked for an appliance repair by the registry. */
static void
test_provider_rated_and_returned(void)
{
    char *repair[] = { "repair" };
    char *zones[] = { T_ZONE };
    Sifang__V1__ServiceProvider shop = SIFANG__V1__SERVICE_PROVIDER__INIT;
    shop.name = "社区便民维修点";
    shop.kind = SIFANG__V1__PROVIDER_KIND__PROVIDER_KIND_BUSINESS;
    shop.category = SIFANG__V1__PROVIDER_CATEGORY__PROVIDER_CATEGORY_REPAIR;
    shop.skills = repair;
    shop.n_skills = 1;
    shop.community_code = T_COMMUNITY;
    shop.zone_codes = zones;
    shop.n_zone_codes = 1;
    shop.capacity = 3;
    shop.contact_phone = "0532-88881234";
    shop.active = true;
    Sifang__V1__ServiceProvider *registered = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(intake_call(registrar, "ProviderRegister", NULL, &shop.base,
                                     &sifang__v1__service_provider__descriptor, &registered, &info), SF_OK)) {
        printf("ProviderRegister: %s\n", info.message ? info.message : "");
        return;
    }
    char shop_id[16];
    snprintf(shop_id, sizeof shop_id, "%s", registered->id);

    /* Offered to the shop, which the case names as a business by its
     * registry id; completed (no volunteer hours); the case resolved. */
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "appliance-repair",
                                                                            CHANNEL(HOTLINE), "洗衣机漏水"));
    if (!SF_CHECK(c != NULL) || !SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(OFFERED)), DISPATCH(OFFERED)))
        return;
    Sifang__V1__Case *offered = get_case(c->id);
    if (!SF_CHECK(offered && offered->dispatch))
        return;
    SF_CHECK_EQ_INT(offered->dispatch->provider_kind, SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_BUSINESS);
    SF_CHECK_EQ_STR(offered->dispatch->provider_id, shop_id);
    SF_CHECK_EQ_STR(offered->dispatch->provider_name, "社区便民维修点");
    char dispatch_id[16];
    snprintf(dispatch_id, sizeof dispatch_id, "%s", offered->dispatch->volunteer_dispatch_id);
    Sifang__V1__DispatchAcceptRequest accept = SIFANG__V1__DISPATCH_ACCEPT_REQUEST__INIT;
    accept.id = dispatch_id;
    registry_call("DispatchAccept", &accept.base);
    Sifang__V1__DispatchCompleteRequest complete = SIFANG__V1__DISPATCH_COMPLETE_REQUEST__INIT;
    complete.id = dispatch_id;
    complete.note = "更换进水阀";
    registry_call("DispatchComplete", &complete.base);
    SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(COMPLETED)), DISPATCH(COMPLETED));

    /* The return visit: satisfaction 4. The registry follows case.closed
     * and rates the dispatch and the shop, once. */
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = c->id;
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = &ref;
    close.satisfaction = 4;
    Sifang__V1__Case *closed = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.station, "CaseClose", NULL, &close.base, &sifang__v1__case__descriptor,
                                     &closed, &info), SF_OK))
        printf("CaseClose: %s\n", info.message ? info.message : "");
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM volunteer.provider WHERE serial = %d AND rating_sum = 4"
             " AND rating_count = 1", atoi(shop_id + 1));
    SF_CHECK_EQ_INT(intake_wait_count(&world, sql, 1, 8000), 1);
    snprintf(sql, sizeof sql, "SELECT satisfaction FROM volunteer.dispatch WHERE serial = %d", atoi(dispatch_id + 1));
    SF_CHECK_EQ_INT(intake_count(&world, sql), 4);
    Sifang__V1__ProviderGetRequest get = SIFANG__V1__PROVIDER_GET_REQUEST__INIT;
    get.id = shop_id;
    Sifang__V1__ServiceProvider *rated = NULL;
    if (SF_CHECK_EQ_INT(intake_call(registrar, "ProviderGet", NULL, &get.base, &sifang__v1__service_provider__descriptor,
                                    &rated, NULL), SF_OK)) {
        SF_CHECK(rated->rating == 4 && rated->ratings == 1);
        SF_CHECK_EQ_INT(rated->version, registered->version + 1);
    }
    /* Exactly once: volunteer restarted, intake's log followed again from
     * its cursor, nothing counted twice. */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&registry), 0);
    if (!start_registry())
        return;
    usleep(500 * 1000);
    snprintf(sql, sizeof sql, "SELECT rating_count FROM volunteer.provider WHERE serial = %d", atoi(shop_id + 1));
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);

    /* Repairs now time out after 300 ms: the next case's offer is not
     * answered, no one else serves the zone, the case is back with the
     * desk (its dispatch DECLINED, the step saying so). */
    Sifang__V1__VolunteerSkill skill = SIFANG__V1__VOLUNTEER_SKILL__INIT;
    skill.code = "repair";
    skill.name = "Household repair";
    skill.offer_timeout_ms = 300;
    Sifang__V1__VolunteerSkill *defined = NULL;
    SF_CHECK_EQ_INT(intake_call(registrar, "SkillDefine", NULL, &skill.base, &sifang__v1__volunteer_skill__descriptor,
                                &defined, NULL), SF_OK);
    int64_t head = sf_test_event_head(world.admin);
    c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "appliance-repair", CHANNEL(HOTLINE), "空调不制冷"));
    if (!SF_CHECK(c != NULL))
        return;
    SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(DECLINED)), DISPATCH(DECLINED));
    /* Back on the desk: whoever holds the case and its first responder are
     * told it must be dispatched again (派单未果, kind 6), not that a
     * provider answered (kind 5). Its one PROVIDER_DECLINED step: */
    snprintf(sql, sizeof sql, "SELECT count(*) * 1000 + max(seq) FROM intake.case_history WHERE case_id = %lld"
             " AND action = %d", (long long) c->id, SIFANG__V1__CASE_ACTION__CASE_ACTION_PROVIDER_DECLINED);
    long long declined = intake_count(&world, sql);
    SF_CHECK_EQ_INT(declined / 1000, 1);
    intake_check_step_notices(&world, head, c->id, (int) (declined % 1000), "S00001:6:assignee", __LINE__);
    Sifang__V1__Case *back = get_case(c->id);
    if (SF_CHECK(back && back->dispatch)) {
        SF_CHECK(strstr(back->dispatch->note, "returned to the desk after 1 refusals or time-outs") != NULL);
        SF_CHECK(strstr(back->dispatch->note, "did not answer in time") != NULL);
    }
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.case_history WHERE case_id = %lld AND action = %d"
             " AND note LIKE 'returned to the desk%%'", (long long) c->id,
             SIFANG__V1__CASE_ACTION__CASE_ACTION_PROVIDER_DECLINED);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM volunteer.dispatch WHERE case_ref LIKE 'intake/%lld/%%'"
             " AND status = 3 AND returned_to_desk AND timeouts = 1", (long long) c->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);

    /* The desk then names the shop from the directory itself (a business
     * by its registry id), records its answers, and the return visit rates
     * it in the registry too: 4 and 5, a mean of 4.5 over 2. */
    ref.id = c->id;
    Sifang__V1__CaseDispatchRequest named = SIFANG__V1__CASE_DISPATCH_REQUEST__INIT;
    named.ref = &ref;
    named.provider_kind = SIFANG__V1__CASE_PROVIDER_KIND__CASE_PROVIDER_KIND_BUSINESS;
    named.provider_id = shop_id;
    named.provider_name = "社区便民维修点";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseDispatch", NULL, &named.base, &sifang__v1__case__descriptor,
                                NULL, &info), SF_OK);
    Sifang__V1__CaseDispatchAnswerRequest answer = SIFANG__V1__CASE_DISPATCH_ANSWER_REQUEST__INIT;
    answer.ref = &ref;
    answer.accepted = true;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseDispatchAnswer", NULL, &answer.base, &sifang__v1__case__descriptor,
                                NULL, &info), SF_OK);
    answer.accepted = false;
    answer.completed = true;
    answer.note = "已修好";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseDispatchAnswer", NULL, &answer.base, &sifang__v1__case__descriptor,
                                NULL, &info), SF_OK);
    close.satisfaction = 5;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseClose", NULL, &close.base, &sifang__v1__case__descriptor,
                                &closed, &info), SF_OK);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM volunteer.provider WHERE serial = %d AND rating_sum = 9"
             " AND rating_count = 2", atoi(shop_id + 1));
    SF_CHECK_EQ_INT(intake_wait_count(&world, sql, 1, 8000), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM volunteer.case_rating WHERE case_id = %lld AND satisfaction = 5"
             " AND source = 'intake'", (long long) c->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);
    if (SF_CHECK_EQ_INT(intake_call(registrar, "ProviderGet", NULL, &get.base, &sifang__v1__service_provider__descriptor,
                                    &rated, NULL), SF_OK))
        SF_CHECK(rated->rating == 4.5 && rated->ratings == 2);
}

int
main(void)
{
    const char *extra[] = { NULL };
    provider = registrar = NULL;
    if (intake_world_start(&world, "intake_dispatch", extra) && create_residents()) {
        snprintf(registry_log, sizeof registry_log, "%s/volunteer.log", world.dir);
        /* The community station answers in the registry for its volunteers. */
        provider = sf_client_new(world.volunteer_endpoint, NULL);
        sf_client_set_principal(provider, "S00001", "community", T_COMMUNITY);
        registrar = sf_client_new(world.volunteer_endpoint, NULL);
        if (start_registry() && register_volunteers()) {
            test_offer_accept_complete();
            test_declines();
            test_unmatched_and_business();
            test_cancel_when_the_case_ends();
            test_registry_down();
            test_provider_rated_and_returned();
        }
    }
    if (registry)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&registry), 0);
    sf_client_destroy(&provider);
    sf_client_destroy(&registrar);
    intake_world_stop(&world);
    return sf_test_done();
}
