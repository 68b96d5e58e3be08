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
 * the directory itself, its return visit rating it too. Offers time out at
 * their service item's time (two items, 1 s and 3 s): a time-out that moved
 * on is a step of its own (CaseDispatch.timed_out) and tells the assignee
 * and first responder 服务方未答复, a refusal 服务方已答复, a return to the
 * desk 派单未果; reply, events and SQL agree. */
#include "intake_test_support.h"
#include "sf_config.h"
#include "sifang/v1/sys.pb-c.h"
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

static size_t case_events(int64_t head, int64_t id, const char *type, Sifang__V1__Case **out, size_t max);
static int check_offer_times(const char *serial, int64_t timeout_ms, int line);

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
    int64_t head = sf_test_event_head(world.admin);
    registry_call("DispatchDecline", &decline.base);
    /* Declined and offered to the next candidate at once. */
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.intake_case WHERE id = %lld AND provider_id = '%s'",
             (long long) c->id, helpers[1].volunteer_id);
    SF_CHECK_EQ_INT(intake_wait_count(&world, sql, 1, 8000), 1);
    SF_CHECK(has_step(c->id, SIFANG__V1__CASE_ACTION__CASE_ACTION_PROVIDER_DECLINED));
    /* A refusal is an answer (服务方已答复, kind 5), not a time-out. */
    Sifang__V1__Case *refused[2];
    if (SF_CHECK_EQ_INT(case_events(head, c->id, "case.provider_declined", refused, 2), 1)) {
        SF_CHECK(refused[0]->dispatch && !refused[0]->dispatch->timed_out
                 && strstr(refused[0]->dispatch->note, "今天不在家"));
        intake_check_step_notices(&world, head, c->id, refused[0]->last_transition->seq, "S00001:5:assignee",
                                  __LINE__);
    }
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

    /* Appliance repairs now time out after 1 s, the item's own time (the
     * catalogue's is 20 minutes), over the repair skill's 300 ms (its
     * fallback where an item gives none): the next case's offer is not
     * answered, no one else serves the zone, the case is back with the
     * desk (its dispatch DECLINED, the step saying so). */
    Sifang__V1__VolunteerSkill skill = SIFANG__V1__VOLUNTEER_SKILL__INIT;
    skill.code = "repair";
    skill.name = "Household repair";
    skill.offer_timeout_ms = 300;
    Sifang__V1__VolunteerSkill *defined = NULL;
    SF_CHECK_EQ_INT(intake_call(registrar, "SkillDefine", NULL, &skill.base, &sifang__v1__volunteer_skill__descriptor,
                                &defined, NULL), SF_OK);
    Sifang__V1__CodeRequest item_code = SIFANG__V1__CODE_REQUEST__INIT;
    item_code.code = "appliance-repair";
    Sifang__V1__ServiceItem *item = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.admin, "ItemGet", NULL, &item_code.base,
                                     &sifang__v1__service_item__descriptor, &item, NULL), SF_OK))
        return;
    SF_CHECK_EQ_INT(item->offer_timeout_ms, 20 * 60000);
    item->offer_timeout_ms = 1000;
    SF_CHECK_EQ_INT(intake_call(world.admin, "ItemPut", NULL, &item->base, &sifang__v1__service_item__descriptor,
                                NULL, NULL), SF_OK);
    int64_t head = sf_test_event_head(world.admin);
    c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "appliance-repair", CHANNEL(HOTLINE), "空调不制冷"));
    if (!SF_CHECK(c != NULL))
        return;
    SF_CHECK_EQ_INT(wait_dispatch(c->id, DISPATCH(DECLINED)), DISPATCH(DECLINED));
    char serial[24];
    snprintf(sql, sizeof sql, "SELECT serial FROM volunteer.dispatch WHERE case_ref = 'intake/%lld/1'",
             (long long) c->id);
    snprintf(serial, sizeof serial, "%lld", intake_count(&world, sql));
    SF_CHECK_EQ_INT(check_offer_times(serial, 1000, __LINE__), 1);
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

/* --- offers that time out, each item at its own time ------------------------------- */

/* The case's events of type after head, oldest first (kept). */
static size_t
case_events(int64_t head, int64_t id, const char *type, Sifang__V1__Case **out, size_t max)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    fetch.limit = 10000;
    Sifang__V1__EventsFetchReply *events = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.admin, "Sys.EventsFetch", NULL, &fetch.base,
                                     &sifang__v1__events_fetch_reply__descriptor, &events, NULL), SF_OK))
        return 0;
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long) id);
    size_t n = 0;
    for (size_t i = 0; i < events->n_events && n < max; i++)
        if (strcmp(events->events[i]->key, key) == 0 && strcmp(events->events[i]->type, type) == 0)
            out[n++] = intake_keep(&sifang__v1__case__unpack(NULL, events->events[i]->payload.len,
                                                             events->events[i]->payload.data)->base);
    return n;
}

/* The step a case message carries (its version, its last transition)
 * against its audit row in SQL. */
static void
check_step_in_sql(const Sifang__V1__Case *c, const char *what, int line)
{
    const Sifang__V1__CaseTransition *t = c ? c->last_transition : NULL;
    if (!t) {
        SF_FAIL("line %d: %s: no case or no step", line, what);
        return;
    }
    char sql[400], got[400];
    snprintf(sql, sizeof sql,
             "SELECT seq || '|' || action || '|' || from_status || '|' || to_status || '|' || actor_id || '|'"
             " || (extract(epoch FROM at) * 1000)::bigint || '|' || note FROM intake.case_history"
             " WHERE case_id = %lld AND seq = %d", (long long) c->id, t->seq);
    PGresult *r = PQexec(world.db, sql);
    snprintf(got, sizeof got, "%d|%d|%d|%d|%s|%lld|%s", t->seq, (int) t->action, (int) t->from_status,
             (int) t->to_status, t->actor_id, (long long) t->at_unix_ms, t->note);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        SF_FAIL("line %d: %s: no audit row %d of case %lld", line, what, t->seq, (long long) c->id);
    else if (strcmp(PQgetvalue(r, 0, 0), got) != 0)
        SF_FAIL("line %d: %s: the step says \"%s\", SQL \"%s\"", line, what, got, PQgetvalue(r, 0, 0));
    PQclear(r);
}

/* Every field of the case's dispatch, and its version, against the case's
 * row in SQL (the case as it is now: the message must be its latest), and
 * the step it carries (a step's reply or event; CaseGet's carries none)
 * against its audit row. */
static void
check_dispatch_in_sql(const Sifang__V1__Case *c, const char *what, int line)
{
    const Sifang__V1__CaseDispatch *d = c ? c->dispatch : NULL;
    if (!d) {
        SF_FAIL("line %d: %s: no case or no dispatch", line, what);
        return;
    }
    char sql[700], got[700];
    snprintf(sql, sizeof sql,
             "SELECT dispatch_state || '|' || provider_kind || '|' || provider_id || '|' || provider_name || '|'"
             " || volunteer_dispatch_id || '|' || dispatch_attempt || '|'"
             " || coalesce((extract(epoch FROM dispatch_requested_at) * 1000)::bigint, 0) || '|'"
             " || coalesce((extract(epoch FROM dispatch_answered_at) * 1000)::bigint, 0) || '|' || dispatch_note"
             " || '|' || dispatch_timed_out || '|' || version FROM intake.intake_case WHERE id = %lld",
             (long long) c->id);
    PGresult *r = PQexec(world.db, sql);
    snprintf(got, sizeof got, "%d|%d|%s|%s|%s|%d|%lld|%lld|%s|%s|%lld", (int) d->state, (int) d->provider_kind,
             d->provider_id, d->provider_name, d->volunteer_dispatch_id, d->attempt, (long long) d->requested_unix_ms,
             (long long) d->answered_unix_ms, d->note, d->timed_out ? "true" : "false", (long long) c->version);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        SF_FAIL("line %d: %s: no case %lld", line, what, (long long) c->id);
    else if (strcmp(PQgetvalue(r, 0, 0), got) != 0)
        SF_FAIL("line %d: %s: the dispatch is \"%s\", SQL \"%s\"", line, what, got, PQgetvalue(r, 0, 0));
    PQclear(r);
    if (c->last_transition)
        check_step_in_sql(c, what, line);
}

/* The registry's events of its dispatch serial, oldest first: every one
 * carries the item's time-out, every offer is due that long after it was
 * made, and every time-out came no sooner than the offer before it was
 * due. Returns how many time-outs there were. */
static int
check_offer_times(const char *serial, int64_t timeout_ms, int line)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.limit = 10000;
    Sifang__V1__EventsFetchReply *events = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(registrar, "Sys.EventsFetch", NULL, &fetch.base,
                                     &sifang__v1__events_fetch_reply__descriptor, &events, NULL), SF_OK))
        return -1;
    char key[24];
    snprintf(key, sizeof key, "D%08lld", atoll(serial));
    int64_t due = 0;
    int timeouts = 0;
    for (size_t i = 0; i < events->n_events; i++) {
        const Sifang__V1__Event *event = events->events[i];
        if (strcmp(event->key, key) != 0)
            continue;
        const Sifang__V1__VolunteerDispatch *d = intake_keep(&sifang__v1__volunteer_dispatch__unpack(
            NULL, event->payload.len, event->payload.data)->base);
        if (strcmp(event->type, "dispatch.timed_out") == 0) {
            timeouts++;
            if (!due || event->occurred_unix_ms < due)
                SF_FAIL("line %d: %s timed out at %lld, before its offer was due (%lld)", line, key,
                        (long long) event->occurred_unix_ms, (long long) due);
        }
        if (d->offer_timeout_ms != timeout_ms)
            SF_FAIL("line %d: %s's %s carries offer_timeout_ms %lld, not %lld", line, key, event->type,
                    (long long) d->offer_timeout_ms, (long long) timeout_ms);
        due = 0;
        if (d->status == SIFANG__V1__DISPATCH_STATUS__DISPATCH_STATUS_OFFERED) {
            due = d->answer_due_unix_ms;
            if (due - d->offered_unix_ms != timeout_ms)
                SF_FAIL("line %d: %s's offer (%s) was due %lld ms after it was made, not %lld", line, key,
                        event->type, (long long) (due - d->offered_unix_ms), (long long) timeout_ms);
        }
    }
    return timeouts;
}

/* A convenience item of the circle's with its own time to answer an offer. */
static bool
put_item(const char *code, const char *name, const char *skill, int64_t offer_timeout_ms)
{
    Sifang__V1__ServiceItem item = SIFANG__V1__SERVICE_ITEM__INIT;
    item.code = (char *) code;
    item.name = (char *) name;
    item.category = SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_CONVENIENCE;
    item.department_code = "civil-affairs";
    item.routing = SIFANG__V1__CASE_ROUTING__CASE_ROUTING_PROVIDER;
    item.time_limit = 4;
    item.time_limit_unit = SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_HOURS;
    item.provider_skill = (char *) skill;
    item.active = true;
    item.offer_timeout_ms = offer_timeout_ms;
    Sifang__V1__ServiceItem *stored = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(intake_call(world.admin, "ItemPut", NULL, &item.base, &sifang__v1__service_item__descriptor,
                                     &stored, &info), SF_OK)) {
        printf("ItemPut %s: %s\n", code, info.message ? info.message : "");
        return false;
    }
    SF_CHECK_EQ_INT(stored->offer_timeout_ms, offer_timeout_ms);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT offer_timeout_ms FROM intake.service_item WHERE code = '%s'", code);
    return SF_CHECK_EQ_INT(intake_count(&world, sql), offer_timeout_ms);
}

/* The registry's dispatch of a case (its first request), by SQL: "" until
 * there is one. */
static const char *
registry_dispatch_of(int64_t case_id, char *out, size_t size)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT coalesce(max(serial), 0) FROM volunteer.dispatch WHERE case_ref = 'intake/%lld/1'",
             (long long) case_id);
    long long serial = intake_count(&world, sql);
    snprintf(out, size, "%lld", serial);
    return serial ? out : "";
}

/* Two items, a hot meal's offers answered within 1 s and a home-care visit's
 * within 3 s (a real catalogue's are minutes: migration 015), each offer
 * timing out at its own item's time. Two cases at once: the meal is offered
 * to the first helper, the visit to the second (the first is busy then).
 * The meal's offer times out first, with no one free to take it: back with
 * the desk. The visit's times out two seconds later and moves on to the
 * first helper (a step of its own: not answered in time, 服务方未答复, its
 * notices saying so), whose offer times out in turn: back with the desk. */
static void
test_offers_time_out_per_item(void)
{
    /* What ItemPut refuses: an offer time under a second, or on an item
     * that makes no offers. */
    Sifang__V1__ServiceItem bad = SIFANG__V1__SERVICE_ITEM__INIT;
    bad.code = "hot-meal-delivery";
    bad.name = "热餐送达 Hot meal delivery";
    bad.category = SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_CONVENIENCE;
    bad.department_code = "civil-affairs";
    bad.routing = SIFANG__V1__CASE_ROUTING__CASE_ROUTING_PROVIDER;
    bad.time_limit = 4;
    bad.time_limit_unit = SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_HOURS;
    bad.provider_skill = "meals";
    bad.offer_timeout_ms = 500;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(world.admin, "ItemPut", NULL, &bad.base, &sifang__v1__service_item__descriptor, NULL,
                                &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "offer_timeout_ms"));
    bad.routing = SIFANG__V1__CASE_ROUTING__CASE_ROUTING_ZONE;
    bad.offer_timeout_ms = 60000;
    SF_CHECK_EQ_INT(intake_call(world.admin, "ItemPut", NULL, &bad.base, &sifang__v1__service_item__descriptor, NULL,
                                &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "offer_timeout_ms"));
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.service_item WHERE code = 'hot-meal-delivery'"), 0);
    if (!put_item("hot-meal-delivery", "热餐送达 Hot meal delivery", "meals", 1000)
        || !put_item("home-care-visit", "上门照护 Home care visit", "elderly_care", 3000))
        return;

    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *meal = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "hot-meal-delivery",
                                                                               CHANNEL(ONE_KEY_CALL), "午饭送一份热饭"));
    Sifang__V1__Case *visit = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "home-care-visit",
                                                                                CHANNEL(ONE_KEY_CALL), "上门照护老人"));
    if (!SF_CHECK(meal && visit))
        return;
    char meal_serial[24], visit_serial[24], sql[400];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM volunteer.dispatch WHERE case_ref IN ('intake/%lld/1',"
             " 'intake/%lld/1')", (long long) meal->id, (long long) visit->id);
    if (!SF_CHECK_EQ_INT(intake_wait_count(&world, sql, 2, 8000), 2))
        return;
    registry_dispatch_of(meal->id, meal_serial, sizeof meal_serial);
    registry_dispatch_of(visit->id, visit_serial, sizeof visit_serial);
    /* Each dispatch keeps its item's time, and its offer is due after it. */
    snprintf(sql, sizeof sql, "SELECT offer_timeout_ms * 1000000 + (extract(epoch FROM answer_due_at - offered_at)"
             " * 1000)::bigint FROM volunteer.dispatch WHERE serial = %s", meal_serial);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1000 * 1000000LL + 1000);
    snprintf(sql, sizeof sql, "SELECT offer_timeout_ms * 1000000 + (extract(epoch FROM answer_due_at - offered_at)"
             " * 1000)::bigint FROM volunteer.dispatch WHERE serial = %s", visit_serial);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 3000 * 1000000LL + 3000);
    snprintf(sql, sizeof sql, "SELECT (volunteer_serial = (SELECT serial FROM volunteer.volunteer WHERE resident_id"
             " = '%s'))::int FROM volunteer.dispatch WHERE serial = %s", helpers[0].resident_id, meal_serial);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);

    /* The meal's offer times out first. */
    snprintf(sql, sizeof sql, "SELECT timeouts FROM volunteer.dispatch WHERE serial = %s", meal_serial);
    SF_CHECK_EQ_INT(intake_wait_count(&world, sql, 1, 8000), 1);
    /* Then the visit's: moved on to the first helper, offered for its own
     * 3 s again. */
    snprintf(sql, sizeof sql, "SELECT timeouts FROM volunteer.dispatch WHERE serial = %s", visit_serial);
    SF_CHECK_EQ_INT(intake_wait_count(&world, sql, 1, 8000), 1);
    snprintf(sql, sizeof sql, "SELECT CASE WHEN status = 1 THEN (extract(epoch FROM answer_due_at - offered_at) * 1000)"
             "::bigint ELSE status END FROM volunteer.dispatch WHERE serial = %s", visit_serial);
    long long again = intake_count(&world, sql);
    SF_CHECK(again == 3000 || again == 3);   /* 3: it had timed out again already (a slow machine) */
    /* Both end back with the desk: no one else to ask. */
    SF_CHECK_EQ_INT(wait_dispatch(meal->id, DISPATCH(DECLINED)), DISPATCH(DECLINED));
    SF_CHECK_EQ_INT(wait_dispatch(visit->id, DISPATCH(DECLINED)), DISPATCH(DECLINED));
    /* Each offer was due its item's time after it was made, and each
     * time-out came no sooner (the registry's own events): the meal's once
     * after 1 s, the visit's twice after 3 s. */
    SF_CHECK_EQ_INT(check_offer_times(meal_serial, 1000, __LINE__), 1);
    SF_CHECK_EQ_INT(check_offer_times(visit_serial, 3000, __LINE__), 2);
    /* Offered together, the meal's timed out before the visit's first
     * (the registry's log in the order the sweep moved them). */
    snprintf(sql, sizeof sql,
             "SELECT ((SELECT min(seq) FROM volunteer.event_log WHERE type = 'dispatch.timed_out' AND key = 'D%08lld')"
             "     < (SELECT min(seq) FROM volunteer.event_log WHERE type = 'dispatch.timed_out' AND key = 'D%08lld'))::int",
             atoll(meal_serial), atoll(visit_serial));
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM volunteer.dispatch WHERE serial IN (%s, %s) AND status = 3"
             " AND returned_to_desk AND answer_due_at IS NULL", meal_serial, visit_serial);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 2);
    snprintf(sql, sizeof sql, "SELECT timeouts FROM volunteer.dispatch WHERE serial = %s", visit_serial);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 2);

    /* The visit's first time-out, as intake recorded it: a step of its own
     * that says it was not answered (timed_out), its dispatch still
     * OFFERED, then the offer to the first helper; its notices are 服务方未答复
     * (kind 14), not 服务方已答复 (5). */
    Sifang__V1__Case *declined[4], *offered[4];
    size_t n_declined = case_events(head, visit->id, "case.provider_declined", declined, 4);
    size_t n_offered = case_events(head, visit->id, "case.dispatched", offered, 4);
    if (n_declined != 2 || n_offered != 2) {
        snprintf(sql, sizeof sql, "SELECT string_agg(seq || ':' || action || ':' || actor_id || ':' || note, E'\n'"
                 " ORDER BY seq) FROM intake.case_history WHERE case_id = %lld", (long long) visit->id);
        PGresult *r = PQexec(world.db, sql);
        printf("the visit's steps:\n%s\n", PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "?");
        PQclear(r);
    }
    if (SF_CHECK_EQ_INT(n_declined, 2) && SF_CHECK_EQ_INT(n_offered, 2)) {
        const Sifang__V1__Case *moved = declined[0], *next = offered[1], *back = declined[1];
        SF_CHECK(moved->dispatch && moved->dispatch->state == DISPATCH(OFFERED) && moved->dispatch->timed_out);
        char note[120];
        snprintf(note, sizeof note, "%s did not answer in time", helpers[1].name);
        SF_CHECK_EQ_STR(moved->dispatch ? moved->dispatch->note : "", note);
        SF_CHECK_EQ_STR(moved->dispatch ? moved->dispatch->provider_id : "", helpers[1].volunteer_id);
        SF_CHECK_EQ_STR(moved->last_transition ? moved->last_transition->note : "", note);
        SF_CHECK(moved->last_transition && moved->dispatch
                 && moved->dispatch->answered_unix_ms == moved->last_transition->at_unix_ms);
        check_step_in_sql(moved, "the visit's first time-out", __LINE__);
        intake_check_step_notices(&world, head, visit->id, moved->last_transition ? moved->last_transition->seq : 0,
                                  "S00001:14:assignee", __LINE__);
        /* The next offer: a step after it, the time-out cleared. */
        SF_CHECK(next->dispatch && next->dispatch->state == DISPATCH(OFFERED) && !next->dispatch->timed_out);
        SF_CHECK_EQ_STR(next->dispatch ? next->dispatch->provider_id : "", helpers[0].volunteer_id);
        SF_CHECK(next->last_transition && moved->last_transition
                 && next->last_transition->seq == moved->last_transition->seq + 1);
        check_step_in_sql(next, "the visit's next offer", __LINE__);
        /* Back with the desk after its second time-out: the event and the
         * case as CaseGet gives it agree with SQL, the time-out said. */
        SF_CHECK(back->dispatch && back->dispatch->state == DISPATCH(DECLINED) && back->dispatch->timed_out);
        check_dispatch_in_sql(back, "the visit back with the desk (event)", __LINE__);
        check_dispatch_in_sql(get_case(visit->id), "the visit back with the desk (CaseGet)", __LINE__);
        intake_check_step_notices(&world, head, visit->id, back->last_transition ? back->last_transition->seq : 0,
                                  "S00001:6:assignee", __LINE__);
    }
    /* The meal's one time-out sent it straight back: told as such (6). */
    n_declined = case_events(head, meal->id, "case.provider_declined", declined, 4);
    if (SF_CHECK_EQ_INT(n_declined, 1)) {
        SF_CHECK(declined[0]->dispatch && declined[0]->dispatch->timed_out
                 && declined[0]->dispatch->state == DISPATCH(DECLINED));
        check_dispatch_in_sql(declined[0], "the meal back with the desk (event)", __LINE__);
        check_dispatch_in_sql(get_case(meal->id), "the meal back with the desk (CaseGet)", __LINE__);
        intake_check_step_notices(&world, head, meal->id,
                                  declined[0]->last_transition ? declined[0]->last_transition->seq : 0,
                                  "S00001:6:assignee", __LINE__);
    }
    /* Every notice of these steps: none says the provider answered. */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.notice WHERE case_id IN (%lld, %lld) AND kind = 5",
             (long long) meal->id, (long long) visit->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 0);
    /* The desk asks again: a new request, the time-out cleared; offered
     * (both helpers are free now), then withdrawn (the resident ate at the
     * canteen), so the tests after this one find the helpers free. */
    Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
    ref.id = meal->id;
    Sifang__V1__CaseDispatchRequest redo = SIFANG__V1__CASE_DISPATCH_REQUEST__INIT;
    redo.ref = &ref;
    Sifang__V1__Case *redone = NULL;
    if (SF_CHECK_EQ_INT(intake_call(world.station, "CaseDispatch", NULL, &redo.base, &sifang__v1__case__descriptor,
                                    &redone, NULL), SF_OK)) {
        SF_CHECK(redone->dispatch && !redone->dispatch->timed_out && redone->dispatch->attempt == 2);
        check_dispatch_in_sql(redone, "the meal asked again", __LINE__);
    }
    SF_CHECK_EQ_INT(wait_dispatch(meal->id, DISPATCH(OFFERED)), DISPATCH(OFFERED));
    Sifang__V1__CaseRejectRequest reject = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
    reject.ref = &ref;
    reject.reason = "已到长者食堂就餐";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseReject", NULL, &reject.base, &sifang__v1__case__descriptor, NULL,
                                NULL), SF_OK);
    SF_CHECK_EQ_INT(wait_dispatch(meal->id, DISPATCH(CANCELLED)), DISPATCH(CANCELLED));
    snprintf(sql, sizeof sql, "SELECT count(*) FROM volunteer.dispatch WHERE case_ref LIKE 'intake/%lld/%%'"
             " AND status IN (1, 2)", (long long) meal->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 0);
}

/* A registry answer that cannot be applied (here its dispatch does not
 * decode) is not lost without a trace: the loop keeps it aside in
 * dispatch_inbox_dropped with why, the case is untouched, and the inbox
 * goes on. */
static void
test_inbox_row_kept_aside(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "pension-certification",
                                                                            CHANNEL(WINDOW), "认证"));
    if (!SF_CHECK(c != NULL))
        return;
    char sql[600];
    snprintf(sql, sizeof sql, "SELECT version FROM intake.intake_case WHERE id = %lld", (long long) c->id);
    long long version = intake_count(&world, sql);
    snprintf(sql, sizeof sql, "INSERT INTO intake.dispatch_inbox (case_id, attempt, kind, dispatch, message)"
             " VALUES (%lld, 1, 1, '\\x00ff', 'dispatch.accepted') RETURNING id", (long long) c->id);
    long long id = intake_count(&world, sql);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.dispatch_inbox_dropped d"
             " WHERE d.id = %lld AND d.case_id = %lld AND d.attempt = 1 AND d.kind = 1"
             " AND d.dispatch = '\\x00ff' AND d.message = 'dispatch.accepted' AND d.status = 'DATA_LOSS'"
             " AND d.reason LIKE '%%does not decode%%' AND d.dropped_at >= d.received_at", id, (long long) c->id);
    long long kept = 0;
    for (int i = 0; i < 100 && kept == 0; i++) {
        kept = intake_count(&world, sql);
        if (!kept)
            usleep(50 * 1000);
    }
    SF_CHECK_EQ_INT(kept, 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.dispatch_inbox WHERE id = %lld", id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 0);
    snprintf(sql, sizeof sql, "SELECT version FROM intake.intake_case WHERE id = %lld", (long long) c->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), version);
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
            test_offers_time_out_per_item();
            test_offer_accept_complete();
            test_declines();
            test_unmatched_and_business();
            test_cancel_when_the_case_ends();
            test_registry_down();
            test_provider_rated_and_returned();
            test_inbox_row_kept_aside();
        }
    }
    if (registry)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&registry), 0);
    sf_client_destroy(&provider);
    sf_client_destroy(&registrar);
    intake_world_stop(&world);
    return sf_test_done();
}
