/* Integration test of sifang-intake with the real grid: submission and
 * routing through intake's copy of grid, first-responder accountability,
 * deadlines by the working-day calendar, the lifecycle and its audit trail
 * and events, duplicates, idempotency, lists and paging, the backlog board,
 * the overdue sweep (by request and by timer) with escalation, community
 * meetings, enterprises, every kind of bad input (a clear status, the field,
 * nothing written), and intake carrying on while grid is down. */
#include "intake_test_support.h"
#include "sf_config.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHANNEL(name) SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_##name
#define STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name

static intake_world_t world;

/* 2026-09-21 10:00 in Qingdao (Monday), and the end of 2026-10-26 there:
 * 20 working days later across the Mid-Autumn and National Day holidays
 * and the adjusted working day of 10 October. */
#define SEPT_21_10AM 1789956000000LL
#define OCT_26_END 1793030400000LL

static Sifang__V1__CaseRef *
ref_of(int64_t id)
{
    static Sifang__V1__CaseRef refs[64];
    static int next;
    Sifang__V1__CaseRef *ref = &refs[next++ % 64];
    sifang__v1__case_ref__init(ref);
    ref->id = id;
    return ref;
}

/* Counts of what a refused request must not have changed. */
static long long
written(void)
{
    return intake_count(&world, "SELECT (SELECT count(*) FROM intake.intake_case) * 1000000"
                                " + (SELECT count(*) FROM intake.case_history) * 1000"
                                " + (SELECT count(*) FROM intake.event_log)");
}

static void
expect_refused(sf_client_t *client, const char *method, const ProtobufCMessage *request, sf_status_t want,
               const char *field, int line)
{
    long long before = written();
    sf_reply_info_t info;
    char id[40];
    sf_request_id_new(id);
    sf_status_t status = intake_call(client, method, id, request, &sifang__v1__case__descriptor, NULL, &info);
    if (status != want)
        SF_FAIL("line %d: %s gave %s (%s), wanted %s", line, method, sf_status_name(status),
                info.message ? info.message : "", sf_status_name(want));
    if (field && !intake_has_violation(&info, field))
        SF_FAIL("line %d: %s: no violation on %s (%s)", line, method, field,
                info.n_violations ? info.violation_fields[0] : "none");
    if (written() != before)
        SF_FAIL("line %d: %s was refused but wrote something", line, method);
}
#define REFUSED(client, method, request, want, field) \
    expect_refused(client, method, &(request)->base, want, field, __LINE__)

static void
test_submit_and_route(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "low-income-allowance",
                                                                            CHANNEL(WINDOW), "申请最低生活保障"));
    if (!SF_CHECK(c != NULL))
        return;
    SF_CHECK_EQ_INT(c->status, STATUS(ASSIGNED));
    SF_CHECK(strncmp(c->registration_number, "SF20", 4) == 0);
    SF_CHECK_EQ_STR(c->first_responder_id, "S00001");
    SF_CHECK_EQ_STR(c->first_responder_name, "王芳");
    SF_CHECK_EQ_STR(c->unit_code, T_ZONE);
    SF_CHECK_EQ_STR(c->community_code, T_COMMUNITY);
    SF_CHECK_EQ_STR(c->street_code, T_STREET);
    SF_CHECK(c->assignee && c->assignee->kind == SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_DEPARTMENT);
    SF_CHECK_EQ_STR(c->assignee ? c->assignee->name : "", "四方区民政局");
    SF_CHECK(c->due_unix_ms > c->received_unix_ms + 20LL * 86400000);
    SF_CHECK_EQ_STR(c->requester->phone, "13812345678");
    SF_CHECK(c->last_transition && c->last_transition->action == ACTION(ACCEPTED) && c->last_transition->seq == 1);
    SF_CHECK_EQ_INT(c->version, 1);

    Sifang__V1__Case *zone = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "dispute-mediation",
                                                                               CHANNEL(HOTLINE), "楼上漏水"));
    if (SF_CHECK(zone && zone->assignee)) {
        SF_CHECK_EQ_INT(zone->assignee->kind, SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF);
        SF_CHECK_EQ_STR(zone->assignee->code, "S00001");
        SF_CHECK_EQ_STR(zone->assignee->route, "zone committee member");
    }
    /* A zone with no one responsible: the community station. */
    Sifang__V1__Case *station = SUBMIT_OK(world.street, intake_resident_request(T_HOUSEHOLD_B, "dispute-mediation",
                                                                                 CHANNEL(ONE_KEY_CALL), "噪音扰民"));
    if (SF_CHECK(station && station->assignee)) {
        SF_CHECK_EQ_INT(station->assignee->kind, SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT);
        SF_CHECK_EQ_STR(station->assignee->code, T_COMMUNITY_B);
        SF_CHECK_EQ_STR(station->assignee->name, "兴隆二路社区");
        SF_CHECK_EQ_STR(station->first_responder_id, "S00002");
    }

    /* A resident's own channel: received, awaiting acceptance, phone masked. */
    Sifang__V1__Case *web = SUBMIT_OK(world.gateway, intake_resident_request(T_HOUSEHOLD, "housekeeping",
                                                                              CHANNEL(WEBSITE), "每周打扫一次"));
    if (!SF_CHECK(web != NULL))
        return;
    SF_CHECK_EQ_INT(web->status, STATUS(RECEIVED));
    SF_CHECK_EQ_STR(web->registration_number, "");
    SF_CHECK_EQ_STR(web->first_responder_id, "");
    SF_CHECK_EQ_STR(web->requester->phone, "138****5678");
    SF_CHECK(web->due_unix_ms > web->received_unix_ms);
    Sifang__V1__CaseAcceptRequest accept = SIFANG__V1__CASE_ACCEPT_REQUEST__INIT;
    accept.ref = ref_of(web->id);
    Sifang__V1__Case *accepted = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseAccept", "accept-web-1", &accept.base,
                                &sifang__v1__case__descriptor, &accepted, NULL), SF_OK);
    if (SF_CHECK(accepted != NULL)) {
        SF_CHECK_EQ_INT(accepted->status, STATUS(ASSIGNED));
        SF_CHECK_EQ_STR(accepted->first_responder_id, "S00001");
        SF_CHECK(strncmp(accepted->registration_number, "SF", 2) == 0);
        SF_CHECK_EQ_INT(accepted->version, 2);
        SF_CHECK(accepted->last_transition && accepted->last_transition->from_status == STATUS(RECEIVED));
        /* Accepting twice is refused: it is no longer received. */
        REFUSED(world.station, "CaseAccept", &accept, SF_FAILED_PRECONDITION, "ref");

        /* By registration number; a wrong date part names no case. */
        Sifang__V1__CaseRef by_number = SIFANG__V1__CASE_REF__INIT;
        by_number.registration_number = accepted->registration_number;
        Sifang__V1__Case *found = NULL;
        SF_CHECK_EQ_INT(intake_call(world.viewer, "CaseGet", NULL, &by_number.base, &sifang__v1__case__descriptor,
                                    &found, NULL), SF_OK);
        SF_CHECK(found && found->id == accepted->id);
        /* The anonymous viewer sees no requester: its kind alone. */
        if (SF_CHECK(found && found->requester)) {
            SF_CHECK_EQ_INT(found->requester->kind, SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT);
            SF_CHECK_EQ_STR(found->requester->name, "");
            SF_CHECK_EQ_STR(found->requester->phone, "");
            SF_CHECK_EQ_STR(found->requester->household_code, "");
        }
        /* A key that is not a station's: the phone masked. */
        SF_CHECK_EQ_INT(intake_call(world.gateway, "CaseGet", NULL, &by_number.base, &sifang__v1__case__descriptor,
                                    &found, NULL), SF_OK);
        SF_CHECK_EQ_STR(found ? found->requester->phone : "", "138****5678");
        SF_CHECK_EQ_STR(found ? found->requester->name : "", "张秀英");
        char wrong[64];
        snprintf(wrong, sizeof wrong, "SF19990101-%07lld", (long long) accepted->id);
        by_number.registration_number = wrong;
        sf_reply_info_t info;
        SF_CHECK_EQ_INT(intake_call(world.viewer, "CaseGet", NULL, &by_number.base, &sifang__v1__case__descriptor,
                                    NULL, &info), SF_NOT_FOUND);
    }
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.event_log WHERE type = 'case.received'"), 1);
    SF_CHECK(intake_count(&world, "SELECT count(*) FROM intake.event_log WHERE type = 'case.accepted'") >= 4);
    /* Events never carry a phone number in the clear. */
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.event_log"
                                         " WHERE position('\\x3133383132333435363738'::bytea in payload) > 0"), 0);
}

static void
test_due_and_calendar(void)
{
    /* An imported case: registered then, due by the calendar. */
    Sifang__V1__CaseSubmitRequest *request = intake_resident_request(T_HOUSEHOLD_2, "low-income-allowance",
                                                                     CHANNEL(WINDOW), "历史登记");
    Sifang__V1__CaseImport imported = SIFANG__V1__CASE_IMPORT__INIT;
    imported.at_unix_ms = SEPT_21_10AM;
    imported.actor_id = "S00001";
    request->imported = &imported;
    Sifang__V1__Case *c = SUBMIT_OK(world.admin, request);
    if (SF_CHECK(c != NULL)) {
        SF_CHECK_EQ_INT(c->received_unix_ms, SEPT_21_10AM);
        SF_CHECK_EQ_INT(c->due_unix_ms, OCT_26_END);
        SF_CHECK_EQ_STR(c->first_responder_id, "S00001");
        SF_CHECK(strncmp(c->registration_number, "SF20260921-", 11) == 0);
    }
    Sifang__V1__CaseSubmitRequest *meal = intake_resident_request(T_HOUSEHOLD_2, "elderly-meal-delivery",
                                                                  CHANNEL(ONE_KEY_CALL), "午饭送餐");
    meal->imported = &imported;
    Sifang__V1__Case *m = SUBMIT_OK(world.admin, meal);
    SF_CHECK(m && m->due_unix_ms == SEPT_21_10AM + 3 * 3600000LL);
    /* Steps of an import keep their order: none before the last. */
    Sifang__V1__CaseImport before = SIFANG__V1__CASE_IMPORT__INIT;
    before.at_unix_ms = SEPT_21_10AM - 60000;
    before.actor_id = "S00001";
    Sifang__V1__CaseRejectRequest reject = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
    reject.ref = ref_of(m ? m->id : 0);
    reject.reason = "导入测试";
    reject.imported = &before;
    REFUSED(world.admin, "CaseReject", &reject, SF_INVALID_ARGUMENT, "imported.at_unix_ms");
    /* The imported cases end here, past due as they are, so the sweep
     * test below sees only its own. */
    reject.imported = NULL;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseReject", NULL, &reject.base, &sifang__v1__case__descriptor, NULL,
                                NULL), SF_OK);
    reject.ref = ref_of(c ? c->id : 0);
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseReject", NULL, &reject.base, &sifang__v1__case__descriptor, NULL,
                                NULL), SF_OK);
    /* Only the admin imports. */
    request->imported = &imported;
    REFUSED(world.station, "CaseSubmit", request, SF_INVALID_ARGUMENT, "imported");

    /* The day after 30 September is, for working days, 8 October. */
    Sifang__V1__IntakeDueRequest due = SIFANG__V1__INTAKE_DUE_REQUEST__INIT;
    due.time_limit = 1;
    due.time_limit_unit = SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_WORKING_DAYS;
    due.from_unix_ms = 1790733600000LL;   /* 2026-09-30 10:00 Qingdao */
    Sifang__V1__IntakeDueReply *reply = NULL;
    SF_CHECK_EQ_INT(intake_call(world.viewer, "Due", NULL, &due.base, &sifang__v1__intake_due_reply__descriptor,
                                &reply, NULL), SF_OK);
    SF_CHECK_EQ_STR(reply ? reply->due_date : "", "2026-10-08");

    /* A holiday set now moves deadlines; clearing it moves them back. */
    Sifang__V1__IntakeCalendarDay day = SIFANG__V1__INTAKE_CALENDAR_DAY__INIT;
    Sifang__V1__IntakeCalendarDay *days[] = { &day };
    day.date = "2026-12-01";
    day.working = false;
    day.note = "测试假日";
    Sifang__V1__IntakeCalendarSetRequest set = SIFANG__V1__INTAKE_CALENDAR_SET_REQUEST__INIT;
    set.n_days = 1;
    set.days = days;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(world.station, "CalendarSet", NULL, &set.base,
                                &sifang__v1__intake_calendar_set_reply__descriptor, NULL, &info), SF_PERMISSION_DENIED);
    Sifang__V1__IntakeCalendarSetReply *changed = NULL;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CalendarSet", "calendar-1", &set.base,
                                &sifang__v1__intake_calendar_set_reply__descriptor, &changed, NULL), SF_OK);
    SF_CHECK(changed && changed->changed == 1 && changed->working_days_in_year == 247);
    due.from_unix_ms = 1796004000000LL;   /* 2026-11-30 (Monday) 10:00 Qingdao */
    SF_CHECK_EQ_INT(intake_call(world.viewer, "Due", NULL, &due.base, &sifang__v1__intake_due_reply__descriptor,
                                &reply, NULL), SF_OK);
    SF_CHECK_EQ_STR(reply ? reply->due_date : "", "2026-12-02");
    Sifang__V1__IntakeCalendarListRequest list = SIFANG__V1__INTAKE_CALENDAR_LIST_REQUEST__INIT;
    list.from = "2026-12-01";
    list.to = "2026-12-31";
    list.exceptions_only = true;
    Sifang__V1__IntakeCalendarListReply *listed = NULL;
    SF_CHECK_EQ_INT(intake_call(world.viewer, "CalendarList", NULL, &list.base,
                                &sifang__v1__intake_calendar_list_reply__descriptor, &listed, NULL), SF_OK);
    SF_CHECK(listed && listed->n_days == 1 && strcmp(listed->days[0]->note, "测试假日") == 0);
    SF_CHECK(listed && listed->working_days == 22);
    set.clear = true;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CalendarSet", "calendar-2", &set.base,
                                &sifang__v1__intake_calendar_set_reply__descriptor, &changed, NULL), SF_OK);
    SF_CHECK_EQ_INT(intake_call(world.viewer, "Due", NULL, &due.base, &sifang__v1__intake_due_reply__descriptor,
                                &reply, NULL), SF_OK);
    SF_CHECK_EQ_STR(reply ? reply->due_date : "", "2026-12-01");
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.event_log WHERE type = 'calendar.changed'"), 2);
    day.date = "2026-02-30";
    set.clear = false;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CalendarSet", NULL, &set.base,
                                &sifang__v1__intake_calendar_set_reply__descriptor, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "days[0].date"));
}

static void
test_duplicates_and_idempotency(void)
{
    Sifang__V1__CaseSubmitRequest *request = intake_resident_request(T_HOUSEHOLD_2, "elderly-allowance",
                                                                     CHANNEL(WINDOW), "高龄津贴");
    Sifang__V1__Case *first = SUBMIT_OK(world.station, request);
    Sifang__V1__Case *second = SUBMIT_OK(world.station, request);
    if (!SF_CHECK(first && second))
        return;
    SF_CHECK_EQ_INT(first->duplicate_of, 0);
    SF_CHECK_EQ_INT(second->duplicate_of, first->id);
    SF_CHECK_EQ_STR(second->duplicate_of_registration, first->registration_number);
    request->refuse_duplicate = true;
    REFUSED(world.station, "CaseSubmit", request, SF_ALREADY_EXISTS, "requester.household_code");
    request->refuse_duplicate = false;

    /* The same request id gives the same case, written once. */
    Sifang__V1__CaseSubmitRequest *again = intake_resident_request(T_HOUSEHOLD_2, "legal-aid", CHANNEL(EMAIL),
                                                                   "法律援助");
    long long before = intake_count(&world, "SELECT count(*) FROM intake.intake_case");
    Sifang__V1__Case *once = intake_submit_ok(world.station, again, "same-request-id", __LINE__);
    sf_reply_info_t info;
    Sifang__V1__Case *twice = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseSubmit", "same-request-id", &again->base,
                                &sifang__v1__case__descriptor, &twice, &info), SF_OK);
    SF_CHECK(info.replayed);
    SF_CHECK(once && twice && once->id == twice->id);
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.intake_case"), before + 1);
}

static void
test_bad_input(void)
{
    Sifang__V1__CaseSubmitRequest *r = intake_resident_request(T_HOUSEHOLD, "pension-certification",
                                                               CHANNEL(WINDOW), "");
    REFUSED(world.station, "CaseSubmit", r, SF_INVALID_ARGUMENT, "description");
    r->description = "认证";
    r->channel = 0;
    REFUSED(world.station, "CaseSubmit", r, SF_INVALID_ARGUMENT, "channel");
    r->channel = CHANNEL(COMMUNITY_MEETING);
    REFUSED(world.station, "CaseSubmit", r, SF_INVALID_ARGUMENT, "channel");
    r->channel = CHANNEL(WINDOW);
    r->requester->household_code = "1234";
    REFUSED(world.station, "CaseSubmit", r, SF_INVALID_ARGUMENT, "requester.household_code");
    r->requester->household_code = T_UNKNOWN_HOUSEHOLD;
    REFUSED(world.station, "CaseSubmit", r, SF_NOT_FOUND, "requester.household_code");
    r->requester->household_code = T_HOUSEHOLD;
    r->item_code = "no-such-item";
    REFUSED(world.station, "CaseSubmit", r, SF_NOT_FOUND, "item_code");
    r->item_code = "Bad Code!";
    REFUSED(world.station, "CaseSubmit", r, SF_INVALID_ARGUMENT, "item_code");
    r->item_code = "enterprise-hiring";
    REFUSED(world.station, "CaseSubmit", r, SF_FAILED_PRECONDITION, "item_code");
    r->item_code = "pension-certification";
    r->unit_code = T_ZONE_B;
    REFUSED(world.station, "CaseSubmit", r, SF_INVALID_ARGUMENT, "unit_code");
    /* A resident reporting a place (Open311 by a point): no household, the
     * zone named; neither is refused. */
    r->requester->household_code = "";
    r->unit_code = T_ZONE;
    Sifang__V1__Case *place = SUBMIT_OK(world.station, r);
    SF_CHECK(place && strcmp(place->unit_code, T_ZONE) == 0 && place->requester
             && strcmp(place->requester->household_code, "") == 0);
    r->unit_code = "";
    REFUSED(world.station, "CaseSubmit", r, SF_INVALID_ARGUMENT, "requester.household_code");
    r->requester->household_code = T_HOUSEHOLD;
    r->requester->phone = "12345";
    REFUSED(world.station, "CaseSubmit", r, SF_INVALID_ARGUMENT, "requester.phone");
    /* The suite's phone rule (sf_ids.h): a "landline" starting with 1, a
     * mobile number no network gives (12...), a number without its area
     * code are refused. */
    const char *not_phones[] = { "1234567", "12345678901", "88881234", "0532-8888-1234" };
    for (size_t i = 0; i < sizeof not_phones / sizeof *not_phones; i++) {
        r->requester->phone = (char *) not_phones[i];
        REFUSED(world.station, "CaseSubmit", r, SF_INVALID_ARGUMENT, "requester.phone");
    }
    /* A landline keeps its area code when masked, as grid masks it. */
    r->requester->phone = "0532-88881234";
    Sifang__V1__Case *landline = SUBMIT_OK(world.station, r);
    if (SF_CHECK(landline && landline->requester)) {
        SF_CHECK_EQ_STR(landline->requester->phone, "0532-88881234");
        Sifang__V1__CaseRef ref = SIFANG__V1__CASE_REF__INIT;
        ref.id = landline->id;
        Sifang__V1__Case *seen = NULL;
        SF_CHECK_EQ_INT(intake_call(world.gateway, "CaseGet", NULL, &ref.base, &sifang__v1__case__descriptor, &seen,
                                    NULL), SF_OK);
        SF_CHECK_EQ_STR(seen && seen->requester ? seen->requester->phone : "", "0532-****1234");
    }
    r->requester->phone = "";
    char long_text[2200];
    memset(long_text, 'x', 2001);
    long_text[2001] = 0;
    r->description = long_text;
    REFUSED(world.station, "CaseSubmit", r, SF_INVALID_ARGUMENT, "description");
    r->description = "\xc3\x28 invalid";
    REFUSED(world.station, "CaseSubmit", r, SF_INVALID_ARGUMENT, "description");
    r->description = "认证";
    r->requester->kind = 9;
    REFUSED(world.station, "CaseSubmit", r, SF_INVALID_ARGUMENT, "requester.kind");
    r->requester->kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    /* Outside the caller's scope, and a role that may not submit. */
    r->requester->household_code = T_HOUSEHOLD_OTHER;
    REFUSED(world.station, "CaseSubmit", r, SF_PERMISSION_DENIED, NULL);
    r->requester->household_code = T_HOUSEHOLD;
    REFUSED(world.viewer, "CaseSubmit", r, SF_PERMISSION_DENIED, NULL);

    /* Enterprises: a valid credit code and a unit. */
    Sifang__V1__CaseRequester enterprise = SIFANG__V1__CASE_REQUESTER__INIT;
    enterprise.kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_ENTERPRISE;
    enterprise.enterprise_name = "青岛四方机车车辆厂";
    enterprise.enterprise_credit_code = "91350100M000100Y44";
    Sifang__V1__CaseSubmitRequest hiring = SIFANG__V1__CASE_SUBMIT_REQUEST__INIT;
    hiring.channel = CHANNEL(WINDOW);
    hiring.item_code = "enterprise-hiring";
    hiring.requester = &enterprise;
    hiring.description = "招聘焊工 30 人";
    REFUSED(world.station, "CaseSubmit", &hiring, SF_INVALID_ARGUMENT, "requester.enterprise_credit_code");
    enterprise.enterprise_credit_code = T_CREDIT_CODE;
    REFUSED(world.station, "CaseSubmit", &hiring, SF_INVALID_ARGUMENT, "unit_code");
    hiring.unit_code = "370205009009";
    REFUSED(world.admin, "CaseSubmit", &hiring, SF_NOT_FOUND, "unit_code");
    hiring.unit_code = T_COMMUNITY;
    Sifang__V1__Case *c = SUBMIT_OK(world.station, &hiring);
    if (SF_CHECK(c && c->assignee)) {
        SF_CHECK_EQ_STR(c->assignee->code, "human-resources");
        SF_CHECK_EQ_STR(c->unit_code, T_COMMUNITY);
        SF_CHECK_EQ_STR(c->requester->enterprise_name, "青岛四方机车车辆厂");
    }

    /* A body that does not decode, and a method that does not exist. */
    long long before = written();
    sf_reply_info_t info;
    void *body = NULL;
    size_t size = 0;
    SF_CHECK_EQ_INT(sf_client_call_raw(world.station, "CaseSubmit", "garbage-1", "\xff\xff\xff\xff", 4, &body, &size,
                                       &info), SF_INVALID_ARGUMENT);
    free(body);
    SF_CHECK_EQ_INT(sf_client_call_raw(world.station, "CaseExplode", "garbage-2", "", 0, &body, &size, &info),
                    SF_UNIMPLEMENTED);
    free(body);
    SF_CHECK_EQ_INT(written(), before);

    /* Reads: an unknown case, a bad token, a bad filter. */
    Sifang__V1__CaseRef missing = SIFANG__V1__CASE_REF__INIT;
    missing.id = 999999;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseGet", NULL, &missing.base, &sifang__v1__case__descriptor, NULL,
                                &info), SF_NOT_FOUND);
    SF_CHECK(intake_has_violation(&info, "ref"));
    missing.id = 0;
    missing.registration_number = "nonsense";
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseGet", NULL, &missing.base, &sifang__v1__case__descriptor, NULL,
                                &info), SF_INVALID_ARGUMENT);
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_token = "abc";
    Sifang__V1__CaseListRequest list = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    list.page = &page;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseList", NULL, &list.base, &sifang__v1__case_list_reply__descriptor,
                                NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "page.page_token"));
    list.page = NULL;
    list.under = "37x";
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseList", NULL, &list.base, &sifang__v1__case_list_reply__descriptor,
                                NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "under"));
}

static void
test_lifecycle(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "disability-certificate",
                                                                            CHANNEL(PARTY_MEMBER_CARD), "办理残疾人证"));
    if (!SF_CHECK(c != NULL))
        return;
    Sifang__V1__CaseStepRequest start = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    start.ref = ref_of(c->id);
    start.note = "材料齐全，已送残联";
    Sifang__V1__Case *step = NULL;
    SF_CHECK_EQ_INT(intake_call(world.street, "CaseStart", NULL, &start.base, &sifang__v1__case__descriptor, &step,
                                NULL), SF_OK);
    SF_CHECK(step && step->status == STATUS(IN_PROGRESS));
    /* The first responder stays whoever does the later steps. */
    SF_CHECK_EQ_STR(step ? step->first_responder_id : "", "S00001");
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = ref_of(c->id);
    close.satisfaction = 5;
    REFUSED(world.station, "CaseClose", &close, SF_FAILED_PRECONDITION, "ref");
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = ref_of(c->id);
    REFUSED(world.station, "CaseResolve", &resolve, SF_INVALID_ARGUMENT, "resolution");
    resolve.resolution = "残疾人证已发放";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseResolve", NULL, &resolve.base, &sifang__v1__case__descriptor,
                                &step, NULL), SF_OK);
    SF_CHECK(step && step->status == STATUS(RESOLVED) && step->resolved_in_time);
    close.satisfaction = 7;
    REFUSED(world.station, "CaseClose", &close, SF_INVALID_ARGUMENT, "satisfaction");
    close.satisfaction = 2;
    REFUSED(world.station, "CaseClose", &close, SF_INVALID_ARGUMENT, "note");
    close.satisfaction = 5;
    close.ref->expected_version = 2;
    REFUSED(world.station, "CaseClose", &close, SF_FAILED_PRECONDITION, "ref.expected_version");
    close.ref->expected_version = 3;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseClose", NULL, &close.base, &sifang__v1__case__descriptor, &step,
                                NULL), SF_OK);
    SF_CHECK(step && step->status == STATUS(CLOSED) && step->satisfaction == 5 && step->version == 4);

    Sifang__V1__CaseHistoryReply *history = NULL;
    SF_CHECK_EQ_INT(intake_call(world.viewer, "CaseHistory", NULL, &ref_of(c->id)->base,
                                &sifang__v1__case_history_reply__descriptor, &history, NULL), SF_OK);
    if (SF_CHECK(history && history->n_transitions == 4)) {
        Sifang__V1__CaseAction actions[] = { ACTION(ACCEPTED), ACTION(STARTED), ACTION(RESOLVED), ACTION(CLOSED) };
        const char *actors[] = { "S00001", "S00002", "S00001", "S00001" };
        for (size_t i = 0; i < 4; i++) {
            SF_CHECK_EQ_INT(history->transitions[i]->seq, (int) i + 1);
            SF_CHECK_EQ_INT(history->transitions[i]->action, actions[i]);
            SF_CHECK_EQ_STR(history->transitions[i]->actor_id, actors[i]);
        }
        SF_CHECK_EQ_STR(history->transitions[1]->actor_name, "李强");
        SF_CHECK_EQ_STR(history->transitions[1]->note, "材料齐全，已送残联");
    }
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.event_log WHERE key = '%lld'", (long long) c->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 4);

    /* Reassigned by hand; rejected; transferred. */
    Sifang__V1__Case *other = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "temporary-assistance",
                                                                                CHANNEL(WINDOW), "临时困难"));
    Sifang__V1__CaseAssignee named = SIFANG__V1__CASE_ASSIGNEE__INIT;
    named.kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF;
    named.code = "S09999";
    Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    assign.ref = ref_of(other ? other->id : 0);
    assign.assignee = &named;
    REFUSED(world.station, "CaseAssign", &assign, SF_FAILED_PRECONDITION, "assignee.code");
    named.code = "S00002";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseAssign", NULL, &assign.base, &sifang__v1__case__descriptor,
                                &step, NULL), SF_OK);
    SF_CHECK(step && step->assignee && strcmp(step->assignee->name, "李强") == 0);
    Sifang__V1__CaseRejectRequest reject = SIFANG__V1__CASE_REJECT_REQUEST__INIT;
    reject.ref = ref_of(other ? other->id : 0);
    REFUSED(world.station, "CaseReject", &reject, SF_INVALID_ARGUMENT, "reason");
    reject.reason = "不符合临时救助条件";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseReject", NULL, &reject.base, &sifang__v1__case__descriptor,
                                &step, NULL), SF_OK);
    SF_CHECK(step && step->status == STATUS(REJECTED));
    REFUSED(world.station, "CaseResolve", &resolve, SF_FAILED_PRECONDITION, "ref");

    Sifang__V1__Case *third = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "legal-aid",
                                                                                CHANNEL(WINDOW), "劳动争议"));
    Sifang__V1__CaseTransferRequest transfer = SIFANG__V1__CASE_TRANSFER_REQUEST__INIT;
    transfer.ref = ref_of(third ? third->id : 0);
    transfer.transferred_to = "四方区人民法院";
    REFUSED(world.station, "CaseTransfer", &transfer, SF_INVALID_ARGUMENT, "reason");
    transfer.reason = "已进入诉讼程序";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseTransfer", NULL, &transfer.base, &sifang__v1__case__descriptor,
                                &step, NULL), SF_OK);
    SF_CHECK(step && step->status == STATUS(TRANSFERRED) && strcmp(step->transferred_to, "四方区人民法院") == 0);
}

/* The catalogue's materials say what a resident brings: 二寸照片 are
 * two-inch photographs (migration 009), not three. */
static void
test_catalogue_words(void)
{
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.service_item WHERE code = 'disability-certificate'"
                                         " AND '二寸照片 two-inch photographs' = ANY (required_materials)"), 1);
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.service_item"
                                         " WHERE array_to_string(required_materials, '|') LIKE '%three photographs%'"), 0);
}

static void
test_lists(void)
{
    long long total = intake_count(&world, "SELECT count(*) FROM intake.intake_case");
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 3;
    Sifang__V1__CaseListRequest list = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    list.page = &page;
    long long seen = 0, last = 1LL << 62;
    bool ordered = true;
    for (int pages = 0; pages < 100; pages++) {
        Sifang__V1__CaseListReply *reply = NULL;
        if (!SF_CHECK_EQ_INT(intake_call(world.admin, "CaseList", NULL, &list.base,
                                         &sifang__v1__case_list_reply__descriptor, &reply, NULL), SF_OK))
            break;
        for (size_t i = 0; i < reply->n_cases; i++) {
            ordered = ordered && reply->cases[i]->id < last;
            last = reply->cases[i]->id;
            seen++;
        }
        if (!*reply->next_page_token)
            break;
        page.page_token = reply->next_page_token;
    }
    SF_CHECK(ordered);
    SF_CHECK_EQ_INT(seen, total);

    /* The station sees only its community. */
    Sifang__V1__CaseListRequest mine = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    Sifang__V1__CaseListReply *reply = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseList", NULL, &mine.base, &sifang__v1__case_list_reply__descriptor,
                                &reply, NULL), SF_OK);
    bool scoped = reply && reply->n_cases > 0;
    for (size_t i = 0; reply && i < reply->n_cases; i++)
        scoped = scoped && strncmp(reply->cases[i]->unit_code, T_COMMUNITY, strlen(T_COMMUNITY)) == 0;
    SF_CHECK(scoped);
    mine.under = T_COMMUNITY_2;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseList", NULL, &mine.base, &sifang__v1__case_list_reply__descriptor,
                                &reply, NULL), SF_OK);
    SF_CHECK(reply && reply->n_cases == 0);

    /* Filters: first responder (accountability), status, item, unit. */
    Sifang__V1__CaseListRequest filtered = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    filtered.first_responder_id = "S00002";
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseList", NULL, &filtered.base,
                                &sifang__v1__case_list_reply__descriptor, &reply, NULL), SF_OK);
    SF_CHECK(reply && (long long) reply->n_cases == intake_count(&world,
             "SELECT count(*) FROM intake.intake_case WHERE first_responder_id = 'S00002'"));
    Sifang__V1__CaseStatus closed[] = { STATUS(CLOSED) };
    Sifang__V1__CaseListRequest by_status = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    by_status.n_statuses = 1;
    by_status.statuses = closed;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseList", NULL, &by_status.base,
                                &sifang__v1__case_list_reply__descriptor, &reply, NULL), SF_OK);
    SF_CHECK(reply && reply->n_cases == 1 && reply->cases[0]->status == STATUS(CLOSED));
    Sifang__V1__CaseListRequest by_unit = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    by_unit.under = T_COMMUNITY_B;
    by_unit.item_code = "dispute-mediation";
    by_unit.open_only = true;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseList", NULL, &by_unit.base,
                                &sifang__v1__case_list_reply__descriptor, &reply, NULL), SF_OK);
    SF_CHECK(reply && reply->n_cases == 1);
}

static void
test_sweep_and_backlog(void)
{
    Sifang__V1__Case *late = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "residence-certificate",
                                                                               CHANNEL(WINDOW), "居住证明"));
    Sifang__V1__Case *soon = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "residence-certificate",
                                                                               CHANNEL(WINDOW), "居住证明"));
    if (!SF_CHECK(late && soon))
        return;
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE intake.intake_case SET due_at = now() - interval '1 hour' WHERE id = %lld",
             (long long) late->id);
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
    snprintf(sql, sizeof sql, "UPDATE intake.intake_case SET due_at = now() + interval '2 hours' WHERE id = %lld",
             (long long) soon->id);
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
    Sifang__V1__CaseSweepRequest sweep = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    Sifang__V1__CaseSweepReply *swept = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseSweep", NULL, &sweep.base, &sifang__v1__case_sweep_reply__descriptor,
                                NULL, &info), SF_PERMISSION_DENIED);
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseSweep", NULL, &sweep.base, &sifang__v1__case_sweep_reply__descriptor,
                                &swept, NULL), SF_OK);
    SF_CHECK(swept && swept->overdue == 1 && swept->escalated == 0);
    Sifang__V1__Case *now = NULL;
    SF_CHECK_EQ_INT(intake_call(world.viewer, "CaseGet", NULL, &ref_of(late->id)->base, &sifang__v1__case__descriptor,
                                &now, NULL), SF_OK);
    SF_CHECK(now && now->overdue && now->escalation_level == 1 && strcmp(now->escalated_to, T_COMMUNITY) == 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.event_log WHERE type = 'case.overdue' AND key = '%lld'",
             (long long) late->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);
    /* A day later still open: the street. */
    snprintf(sql, sizeof sql, "UPDATE intake.intake_case SET escalated_at = now() - interval '25 hours' WHERE id = %lld",
             (long long) late->id);
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseSweep", NULL, &sweep.base, &sifang__v1__case_sweep_reply__descriptor,
                                &swept, NULL), SF_OK);
    SF_CHECK(swept && swept->overdue == 0 && swept->escalated == 1);
    SF_CHECK_EQ_INT(intake_call(world.viewer, "CaseGet", NULL, &ref_of(late->id)->base, &sifang__v1__case__descriptor,
                                &now, NULL), SF_OK);
    SF_CHECK(now && now->escalation_level == 2 && strcmp(now->escalated_to, T_STREET) == 0);

    Sifang__V1__CaseListRequest overdue = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    overdue.overdue_only = true;
    Sifang__V1__CaseListReply *listed = NULL;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseList", NULL, &overdue.base, &sifang__v1__case_list_reply__descriptor,
                                &listed, NULL), SF_OK);
    SF_CHECK(listed && listed->n_cases == 1 && listed->cases[0]->id == late->id);
    Sifang__V1__CaseListRequest due_soon = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    due_soon.due_within_hours = 3;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseList", NULL, &due_soon.base,
                                &sifang__v1__case_list_reply__descriptor, &listed, NULL), SF_OK);
    SF_CHECK(listed && listed->n_cases == 1 && listed->cases[0]->id == soon->id);

    Sifang__V1__CaseBacklogRequest backlog = SIFANG__V1__CASE_BACKLOG_REQUEST__INIT;
    backlog.under = T_STREET;
    Sifang__V1__CaseBacklogReply *board = NULL;
    SF_CHECK_EQ_INT(intake_call(world.viewer, "CaseBacklog", NULL, &backlog.base,
                                &sifang__v1__case_backlog_reply__descriptor, &board, NULL), SF_OK);
    if (SF_CHECK(board && board->n_rows == 2)) {
        SF_CHECK_EQ_STR(board->rows[0]->unit_code, T_COMMUNITY);
        SF_CHECK_EQ_STR(board->rows[0]->unit_name, "兴隆一路社区");
        SF_CHECK_EQ_INT(board->rows[0]->overdue, 1);
        SF_CHECK_EQ_INT(board->rows[0]->due_soon, 1);
        SF_CHECK_EQ_INT(board->rows[0]->escalated_street, 1);
        SF_CHECK_EQ_INT(board->rows[0]->open, intake_count(&world,
            "SELECT count(*) FROM intake.intake_case WHERE status <= 4 AND unit_code LIKE '370205001001%'"));
        SF_CHECK_EQ_STR(board->rows[1]->unit_code, T_COMMUNITY_B);
        SF_CHECK_EQ_INT(board->total->open, board->rows[0]->open + board->rows[1]->open);
    }
    /* The whole district by street: every street listed, zero backlog too. */
    backlog.under = "";
    SF_CHECK_EQ_INT(intake_call(world.viewer, "CaseBacklog", NULL, &backlog.base,
                                &sifang__v1__case_backlog_reply__descriptor, &board, NULL), SF_OK);
    SF_CHECK(board && board->n_rows == 2 && strcmp(board->rows[1]->unit_code, T_STREET_2) == 0
             && board->rows[1]->open == 0);
}

static void
test_meetings(void)
{
    Sifang__V1__MeetingAttendee party = SIFANG__V1__MEETING_ATTENDEE__INIT;
    party.party = SIFANG__V1__MEETING_PARTY__MEETING_PARTY_PARTY_ORGANISATION;
    party.name = "兴隆一路社区党委";
    Sifang__V1__MeetingAttendee owners = SIFANG__V1__MEETING_ATTENDEE__INIT;
    owners.party = SIFANG__V1__MEETING_PARTY__MEETING_PARTY_OWNERS_COMMITTEE;
    owners.name = "业主委员会";
    Sifang__V1__MeetingAttendee property = SIFANG__V1__MEETING_ATTENDEE__INIT;
    property.party = SIFANG__V1__MEETING_PARTY__MEETING_PARTY_PROPERTY_COMPANY;
    /* Quoted in the text[] column as PostgreSQL writes it: read back whole. */
    property.name = "海信物业 (\"Hisense\", 2 staff)";
    property.people = 2;
    Sifang__V1__MeetingAttendee *attendees[] = { &party, &owners, &property };
    Sifang__V1__MeetingMatter parking = SIFANG__V1__MEETING_MATTER__INIT;
    parking.description = "小区停车位不足";
    parking.resolution = "划定临时停车位，物业负责管理";
    Sifang__V1__MeetingMatter lights = SIFANG__V1__MEETING_MATTER__INIT;
    lights.description = "3号楼楼道灯损坏";
    lights.resolution = "物业一周内修复";
    lights.unit_code = T_ZONE;
    Sifang__V1__MeetingMatter *matters[] = { &parking, &lights };
    Sifang__V1__CommunityMeeting meeting = SIFANG__V1__COMMUNITY_MEETING__INIT;
    meeting.kind = SIFANG__V1__MEETING_KIND__MEETING_KIND_FIVE_PARTY;
    meeting.community_code = T_COMMUNITY;
    meeting.held_on = "2026-11-20";
    meeting.title = "11月五方联席会";
    meeting.n_attendees = 2;
    meeting.attendees = attendees;
    meeting.n_matters = 2;
    meeting.matters = matters;
    long long before = written();
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(world.station, "MeetingRecord", NULL, &meeting.base,
                                &sifang__v1__community_meeting__descriptor, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "attendees"));
    meeting.n_attendees = 3;
    lights.resolution = "";
    SF_CHECK_EQ_INT(intake_call(world.station, "MeetingRecord", NULL, &meeting.base,
                                &sifang__v1__community_meeting__descriptor, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "matters[1].resolution"));
    lights.resolution = "物业一周内修复";
    lights.item_code = "no-such-item";
    SF_CHECK_EQ_INT(intake_call(world.station, "MeetingRecord", NULL, &meeting.base,
                                &sifang__v1__community_meeting__descriptor, NULL, &info), SF_NOT_FOUND);
    SF_CHECK(intake_has_violation(&info, "matters[1].item_code"));
    SF_CHECK_EQ_INT(written(), before);
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.community_meeting"), 0);
    lights.item_code = "";
    Sifang__V1__CommunityMeeting *recorded = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "MeetingRecord", "meeting-1", &meeting.base,
                                &sifang__v1__community_meeting__descriptor, &recorded, NULL), SF_OK);
    if (!SF_CHECK(recorded && recorded->n_matters == 2))
        return;
    SF_CHECK(recorded->id > 0 && recorded->matters[0]->case_id > 0);
    Sifang__V1__Case *c = NULL;
    SF_CHECK_EQ_INT(intake_call(world.viewer, "CaseGet", NULL, &ref_of(recorded->matters[1]->case_id)->base,
                                &sifang__v1__case__descriptor, &c, NULL), SF_OK);
    if (SF_CHECK(c != NULL)) {
        SF_CHECK_EQ_INT(c->meeting_id, recorded->id);
        SF_CHECK_EQ_INT(c->channel, CHANNEL(COMMUNITY_MEETING));
        SF_CHECK_EQ_STR(c->item_code, "community-affairs");
        SF_CHECK_EQ_STR(c->unit_code, T_ZONE);
        SF_CHECK_EQ_INT(c->requester->kind, SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_COMMUNITY);
        SF_CHECK_EQ_STR(c->first_responder_id, "S00001");
        SF_CHECK(c->assignee && strcmp(c->assignee->code, "S00001") == 0);
    }
    Sifang__V1__MeetingGetRequest get = SIFANG__V1__MEETING_GET_REQUEST__INIT;
    get.id = recorded->id;
    Sifang__V1__CommunityMeeting *got = NULL;
    SF_CHECK_EQ_INT(intake_call(world.viewer, "MeetingGet", NULL, &get.base, &sifang__v1__community_meeting__descriptor,
                                &got, NULL), SF_OK);
    SF_CHECK(got && got->n_attendees == 3 && got->attendees[2]->people == 2 && got->n_matters == 2
             && strcmp(got->matters[0]->resolution, "划定临时停车位，物业负责管理") == 0
             && got->matters[1]->case_id == recorded->matters[1]->case_id);
    for (size_t i = 0; got && i < got->n_attendees && i < 3; i++) {
        SF_CHECK_EQ_STR(got->attendees[i]->name, attendees[i]->name);
        SF_CHECK_EQ_INT(got->attendees[i]->party, attendees[i]->party);
    }
    Sifang__V1__MeetingListRequest list = SIFANG__V1__MEETING_LIST_REQUEST__INIT;
    list.under = T_STREET;
    Sifang__V1__MeetingListReply *listed = NULL;
    SF_CHECK_EQ_INT(intake_call(world.viewer, "MeetingList", NULL, &list.base, &sifang__v1__meeting_list_reply__descriptor,
                                &listed, NULL), SF_OK);
    SF_CHECK(listed && listed->n_meetings == 1);
    /* The list shows what each meeting took up, as MeetingGet does, and
     * each matter's case as intake holds it. */
    if (got && listed && listed->n_meetings == 1 && SF_CHECK_EQ_INT(listed->meetings[0]->n_matters, got->n_matters)) {
        const Sifang__V1__CommunityMeeting *m = listed->meetings[0];
        for (size_t i = 0; i < m->n_matters; i++) {
            const Sifang__V1__MeetingMatter *a = m->matters[i], *b = got->matters[i];
            SF_CHECK_EQ_STR(a->description, b->description);
            SF_CHECK_EQ_STR(a->resolution, b->resolution);
            SF_CHECK_EQ_STR(a->item_code, b->item_code);
            SF_CHECK_EQ_STR(a->unit_code, b->unit_code);
            SF_CHECK_EQ_INT(a->case_id, b->case_id);
            SF_CHECK_EQ_STR(a->registration_number, b->registration_number);
            char sql[1024];
            snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.intake_case c JOIN intake.meeting_matter x"
                     " ON x.case_id = c.id WHERE x.meeting_id = %lld AND x.position = %zu AND c.id = %lld"
                     " AND c.registration_number = '%s' AND c.unit_code = '%s' AND c.item_code = '%s'"
                     " AND x.description = '%s' AND x.resolution = '%s'",
                     (long long) m->id, i + 1, (long long) a->case_id, a->registration_number, a->unit_code,
                     a->item_code, a->description, a->resolution);
            SF_CHECK_EQ_INT(intake_count(&world, sql), 1);
        }
        SF_CHECK_EQ_STR(m->matters[1]->unit_code, T_ZONE);
        SF_CHECK_EQ_STR(m->matters[0]->unit_code, T_COMMUNITY);
    }
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.event_log WHERE type = 'meeting.recorded'"), 1);
}

static void
test_follow_grid(void)
{
    /* grid moves the zone's committee member away: routing follows. */
    Sifang__V1__Responsibility removed = SIFANG__V1__RESPONSIBILITY__INIT;
    removed.staff_id = "S00001";
    removed.unit_code = T_ZONE;
    removed.kind = SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE;
    Sifang__V1__Responsibility *reply = NULL;
    SF_CHECK_EQ_INT(sf_client_call(world.grid_admin, "ResponsibilityRemove", NULL, &removed.base,
                                   &sifang__v1__responsibility__descriptor, (ProtobufCMessage **) &reply, NULL), SF_OK);
    if (reply)
        protobuf_c_message_free_unpacked(&reply->base, NULL);
    SF_CHECK_EQ_INT(intake_wait_count(&world, "SELECT 3 - count(*) FROM intake.ref_responsibility", 1, 10000), 1);
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "plumbing-electrical-repair",
                                                                            CHANNEL(HOTLINE), "水管爆裂"));
    SF_CHECK(c && c->assignee && strcmp(c->assignee->code, "S00002") == 0
             && strcmp(c->assignee->route, "zone street cadre") == 0);
    /* A new household in grid can ask once intake's copy has it. */
    Sifang__V1__Household household = SIFANG__V1__HOUSEHOLD__INIT;
    household.code = "370205001001011077";
    Sifang__V1__Household *created = NULL;
    SF_CHECK_EQ_INT(sf_client_call(world.grid_admin, "HouseholdCreate", NULL, &household.base,
                                   &sifang__v1__household__descriptor, (ProtobufCMessage **) &created, NULL), SF_OK);
    if (created)
        protobuf_c_message_free_unpacked(&created->base, NULL);
    SF_CHECK_EQ_INT(intake_wait_count(&world, "SELECT count(*) FROM intake.ref_household"
                                              " WHERE code = '370205001001011077'", 1, 10000), 1);
    SUBMIT_OK(world.station, intake_resident_request("370205001001011077", "pension-certification", CHANNEL(WINDOW),
                                                     "新住户"));

    /* grid goes down: intake carries on with its copy. */
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&world.grid), 0);
    int64_t started = sf_clock_ms();
    Sifang__V1__Case *without_grid = SUBMIT_OK(world.station, intake_resident_request(
        T_HOUSEHOLD_2, "pension-insurance-enrolment", CHANNEL(WINDOW), "参保"));
    SF_CHECK(without_grid && without_grid->status == STATUS(ASSIGNED));
    SF_CHECK(sf_clock_ms() - started < 1000);
    Sifang__V1__CaseSubmitRequest *unknown = intake_resident_request(T_UNKNOWN_HOUSEHOLD, "pension-certification",
                                                                     CHANNEL(WINDOW), "未知住户");
    REFUSED(world.station, "CaseSubmit", unknown, SF_NOT_FOUND, "requester.household_code");
}

/* The loop's own sweep, on its timer, after a restart with a short one. */
static void
test_sweep_timer(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "birth-registration",
                                                                            CHANNEL(WINDOW), "生育登记"));
    if (!SF_CHECK(c != NULL))
        return;
    const char *extra[] = { "SIFANG_INTAKE_SWEEP_MS=300", "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&world.intake), 0);
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE intake.intake_case SET due_at = now() - interval '1 minute' WHERE id = %lld",
             (long long) c->id);
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
    if (!SF_CHECK(intake_world_restart_intake(&world, extra)))
        return;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.intake_case WHERE overdue AND id = %lld",
             (long long) c->id);
    SF_CHECK_EQ_INT(intake_wait_count(&world, sql, 1, 5000), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.event_log WHERE type = 'case.overdue' AND key = '%lld'"
             " AND actor = 'intake-sweep'", (long long) c->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);
}

int
main(void)
{
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", NULL };
    if (intake_world_start(&world, "intake_cases", extra)) {
        test_submit_and_route();
        test_due_and_calendar();
        test_duplicates_and_idempotency();
        test_bad_input();
        test_lifecycle();
        test_lists();
        test_catalogue_words();
        test_sweep_and_backlog();
        test_sweep_timer();
        test_meetings();
        test_follow_grid();
    }
    intake_world_stop(&world);
    return sf_test_done();
}
