/* Service records and hours against a real volunteer: records start
 * pending; negative, implausible and future hours and more than 24 hours in
 * a day (counting what the volunteer already has, also inside one batch)
 * are refused with nothing written; review by the team leader or the
 * community, all or nothing in bulk; totals count approved hours only; the
 * active rule follows the configured window; declined records stay; the
 * export for the national volunteer system is the documented JSON; listing
 * by case finds the records of each of the case's requests. */
#include "volunteer_test_support.h"
#include "sf_config.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static vt_world_t world;
static char today[11], yesterday[11], tomorrow[11], long_ago[11];
static char volunteers[4][16];   /* households 0 (leader), 2, 20 (community 2), 3 */

#define FREE(message) do { if (message) protobuf_c_message_free_unpacked(&(message)->base, NULL); \
                           (message) = NULL; } while (0)

/* Dates in the district's time zone (UTC+8, as the daemon is configured). */
static void
date_at(int days_from_today, char out[11])
{
    time_t now = time(NULL) + 8 * 3600 + (time_t) days_from_today * 86400;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static sf_status_t
submit(const char *volunteer, const char *team, const char *day, double hours, const char *request_id,
       char id_out[16], sf_reply_info_t *info)
{
    Sifang__V1__VolunteerServiceRecord record = SIFANG__V1__VOLUNTEER_SERVICE_RECORD__INIT;
    record.volunteer_id = (char *) (volunteer ? volunteer : "");
    record.team_id = (char *) (team ? team : "");
    record.activity = "meal delivery to elderly neighbours";
    record.served_on = (char *) day;
    record.hours = hours;
    record.household_code = world.households[1];
    Sifang__V1__VolunteerServiceRecord *stored = NULL;
    sf_status_t status = vt_call(&world, NULL, "ServiceRecordSubmit", request_id, &record.base,
                                 &sifang__v1__volunteer_service_record__descriptor, (ProtobufCMessage **) &stored, info);
    if (stored) {
        SF_CHECK_EQ_INT(stored->status, SIFANG__V1__SERVICE_RECORD_STATUS__SERVICE_RECORD_STATUS_PENDING);
        if (id_out)
            snprintf(id_out, 16, "%s", stored->id);
        FREE(stored);
    }
    return status;
}

static void
setup(void)
{
    const int households[4] = { 0, 2, 20, 3 };
    for (int i = 0; i < 4; i++)
        vt_register(&world, households[i], "meals", false, volunteers[i]);
    Sifang__V1__VolunteerTeam team = SIFANG__V1__VOLUNTEER_TEAM__INIT;
    team.name = "365 party member studio";
    team.type = SIFANG__V1__VOLUNTEER_TEAM_TYPE__VOLUNTEER_TEAM_TYPE_PARTY_MEMBER;
    team.community_code = VT_COMMUNITY_1;
    team.leader_id = volunteers[0];
    team.service_brand = "365 party member studio";
    Sifang__V1__VolunteerTeam *created = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamCreate", NULL, &team.base, &sifang__v1__volunteer_team__descriptor,
                            (ProtobufCMessage **) &created, NULL), SF_OK);
    FREE(created);
    Sifang__V1__TeamMembership membership = SIFANG__V1__TEAM_MEMBERSHIP__INIT;
    membership.team_id = "T0001";
    membership.volunteer_id = volunteers[1];
    Sifang__V1__TeamMembership *joined = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "TeamMemberAdd", NULL, &membership.base,
                            &sifang__v1__team_membership__descriptor, (ProtobufCMessage **) &joined, NULL), SF_OK);
    FREE(joined);
}

static void
test_bad_hours(void)
{
    long long before = vt_domain_rows(&world);
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(submit(volunteers[1], NULL, today, -2, NULL, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "hours"));
    SF_CHECK_EQ_INT(submit(volunteers[1], NULL, today, 0, NULL, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_INT(submit(volunteers[1], NULL, today, 25, NULL, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "hours"));
    SF_CHECK_EQ_INT(submit(volunteers[1], NULL, today, NAN, NULL, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_INT(submit(volunteers[1], NULL, today, 1.1, NULL, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_INT(submit(volunteers[1], NULL, tomorrow, 2, NULL, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "served_on"));
    SF_CHECK_EQ_INT(submit(volunteers[1], NULL, long_ago, 2, NULL, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_INT(submit(volunteers[1], NULL, "2024-02-30", 2, NULL, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_INT(submit("V000999", NULL, today, 2, NULL, NULL, &info), SF_NOT_FOUND);
    SF_CHECK(vt_has_violation(&info, "volunteer_id"));
    /* Volunteer 2 (household 20) is not a member of the team. */
    SF_CHECK_EQ_INT(submit(volunteers[2], "T0001", today, 2, NULL, NULL, &info), SF_FAILED_PRECONDITION);
    /* An unknown beneficiary household. */
    Sifang__V1__VolunteerServiceRecord record = SIFANG__V1__VOLUNTEER_SERVICE_RECORD__INIT;
    record.volunteer_id = volunteers[1];
    record.activity = "repair";
    record.served_on = today;
    record.hours = 1;
    record.household_code = "370205001001011999";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "ServiceRecordSubmit", NULL, &record.base,
                            &sifang__v1__volunteer_service_record__descriptor, NULL, &info), SF_NOT_FOUND);
    SF_CHECK(vt_has_violation(&info, "household_code"));
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);

    /* 20 h today, then 5 more: refused, counting what is already there. */
    SF_CHECK_EQ_INT(submit(volunteers[1], NULL, today, 20, NULL, NULL, &info), SF_OK);
    before = vt_domain_rows(&world);
    SF_CHECK_EQ_INT(submit(volunteers[1], NULL, today, 5, NULL, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(vt_has_violation(&info, "hours"));
    SF_CHECK(info.message && strstr(info.message, "over 24"));
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
    SF_CHECK_EQ_INT(submit(volunteers[1], NULL, today, 4, NULL, NULL, &info), SF_OK);
}

/* A pipelined run for volunteer 3 on one day: 10 + 10 + 6 — the third
 * passes 24 inside the run and alone is refused. */
static void
test_batch_day_total(void)
{
    sf_client_t *client = sf_client_new(world.endpoint, NULL);
    Sifang__V1__VolunteerServiceRecord records[3];
    const double hours[3] = { 10, 10, 6 };
    char ids[3][32];
    for (int i = 0; i < 3; i++) {
        sifang__v1__volunteer_service_record__init(&records[i]);
        records[i].volunteer_id = volunteers[3];
        records[i].activity = "patrol";
        records[i].served_on = yesterday;
        records[i].hours = hours[i];
        snprintf(ids[i], sizeof ids[i], "day-total-%d", i);
        SF_CHECK_EQ_INT(sf_client_send(client, "ServiceRecordSubmit", ids[i], &records[i].base), 0);
    }
    for (int i = 0; i < 3; i++) {
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        if (!SF_CHECK_EQ_INT(sf_client_recv(client, 10000, &body, &size, &info), 1))
            break;
        free(body);
        bool third = strcmp(info.request_id, "day-total-2") == 0;
        SF_CHECK_EQ_INT(info.status, third ? SF_INVALID_ARGUMENT : SF_OK);
    }
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT sum(hours)::int FROM service_record WHERE served_on = '%s'"
             " AND volunteer_serial = %d", yesterday, atoi(volunteers[3] + 1));
    SF_CHECK_EQ_INT(vt_sql_int(&world, sql), 20);
    sf_client_destroy(&client);
}

static sf_status_t
review(sf_client_t *client, const char *const *ids, size_t n, int decision, const char *team, const char *under,
       Sifang__V1__ServiceRecordReviewReply **reply_p, sf_reply_info_t *info)
{
    Sifang__V1__ServiceRecordReviewRequest request = SIFANG__V1__SERVICE_RECORD_REVIEW_REQUEST__INIT;
    request.ids = (char **) ids;
    request.n_ids = n;
    request.decision = (Sifang__V1__ReviewDecision) decision;
    request.team_id = (char *) (team ? team : "");
    request.under = (char *) (under ? under : "");
    request.note = "checked with the beneficiary";
    return vt_call(&world, client, "ServiceRecordReview", NULL, &request.base,
                   &sifang__v1__service_record_review_reply__descriptor, (ProtobufCMessage **) reply_p, info);
}

static void
test_review(void)
{
    sf_reply_info_t info;
    char team_record[2][16], own_record[16], other_record[16];
    SF_CHECK_EQ_INT(submit(volunteers[1], "T0001", yesterday, 3, NULL, team_record[0], &info), SF_OK);
    SF_CHECK_EQ_INT(submit(volunteers[0], "T0001", yesterday, 2, NULL, team_record[1], &info), SF_OK);
    SF_CHECK_EQ_INT(submit(volunteers[2], NULL, yesterday, 5, NULL, other_record, &info), SF_OK);
    SF_CHECK_EQ_INT(submit(volunteers[1], NULL, yesterday, 1, NULL, own_record, &info), SF_OK);

    /* The team leader (a principal named by the leader's volunteer id)
     * reviews the team's records, not a record outside the team. */
    sf_client_t *leader = vt_client_as(&world, volunteers[0], "viewer", "");
    Sifang__V1__ServiceRecordReviewReply *reply = NULL;
    const char *mixed[2] = { team_record[0], own_record };
    long long before = vt_domain_rows(&world);
    SF_CHECK_EQ_INT(review(leader, mixed, 2, SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_APPROVE, NULL, NULL, &reply, &info),
                    SF_PERMISSION_DENIED);
    SF_CHECK(vt_has_violation(&info, "ids[1]"));
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
    SF_CHECK_EQ_INT(review(leader, NULL, 0, SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_APPROVE, "T0001", NULL, &reply, &info),
                    SF_OK);
    SF_CHECK(reply && reply->reviewed == 2 && reply->hours == 5);
    FREE(reply);
    /* Another volunteer is not the leader. */
    sf_client_t *member = vt_client_as(&world, volunteers[1], "viewer", "");
    SF_CHECK_EQ_INT(review(member, (const char *const[]) { own_record }, 1,
                           SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_APPROVE, NULL, NULL, &reply, &info),
                    SF_PERMISSION_DENIED);
    sf_client_destroy(&member);
    sf_client_destroy(&leader);

    /* Community 1's station reviews its records; not community 2's. */
    sf_client_t *station = vt_client_as(&world, "station-1", "community", VT_COMMUNITY_1);
    SF_CHECK_EQ_INT(review(station, (const char *const[]) { other_record }, 1,
                           SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_APPROVE, NULL, NULL, &reply, &info),
                    SF_PERMISSION_DENIED);
    /* All or nothing: one already approved in the list refuses it all. */
    before = vt_domain_rows(&world);
    const char *bulk[2] = { own_record, team_record[0] };
    SF_CHECK_EQ_INT(review(station, bulk, 2, SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_DECLINE, NULL, NULL, &reply, &info),
                    SF_FAILED_PRECONDITION);
    SF_CHECK(vt_has_violation(&info, "ids[1]"));
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
    const char *unknown[2] = { own_record, "H09999999" };
    SF_CHECK_EQ_INT(review(station, unknown, 2, SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_DECLINE, NULL, NULL, &reply, &info),
                    SF_NOT_FOUND);
    SF_CHECK_EQ_INT(vt_domain_rows(&world), before);
    SF_CHECK_EQ_INT(review(station, (const char *const[]) { own_record }, 1,
                           SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_DECLINE, NULL, NULL, &reply, &info), SF_OK);
    SF_CHECK(reply && reply->n_records == 1
             && reply->records[0]->status == SIFANG__V1__SERVICE_RECORD_STATUS__SERVICE_RECORD_STATUS_DECLINED
             && strcmp(reply->records[0]->reviewed_by, "station-1") == 0);
    FREE(reply);
    /* Bulk approval of everything pending in community 1 through today. */
    SF_CHECK_EQ_INT(review(station, NULL, 0, SIFANG__V1__REVIEW_DECISION__REVIEW_DECISION_APPROVE, NULL, VT_COMMUNITY_1,
                           &reply, &info), SF_OK);
    /* Volunteer 1: 20 + 4 today; volunteer 3: 10 + 10 yesterday. */
    SF_CHECK(reply && reply->reviewed == 4 && reply->hours == 44);
    FREE(reply);
    sf_client_destroy(&station);
    /* Declined records stay, never deleted; the other community's is pending. */
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM service_record WHERE status = 3"), 1);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM service_record WHERE status = 1"), 1);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM event_log WHERE type = 'service_record.approved'"), 6);
}

static void
test_totals(void)
{
    sf_reply_info_t info;
    Sifang__V1__HoursTotalsRequest request = SIFANG__V1__HOURS_TOTALS_REQUEST__INIT;
    Sifang__V1__HoursTotalsReply *reply = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HoursTotals", NULL, &request.base, &sifang__v1__hours_totals_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_OK);
    /* Approved only: 3 + 2 (team) + 24 + 20; not the declined 1 nor the pending 5. */
    SF_CHECK(reply && reply->hours == 49 && reply->records == 6);
    FREE(reply);
    request.group_by = SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_VOLUNTEER;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HoursTotals", NULL, &request.base, &sifang__v1__hours_totals_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_OK);
    SF_CHECK(reply && reply->n_totals == 3 && strcmp(reply->totals[0]->key, volunteers[1]) == 0
             && reply->totals[0]->hours == 27 && strcmp(reply->totals[0]->name, "Resident 02") == 0);
    FREE(reply);
    request.group_by = SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_TEAM;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HoursTotals", NULL, &request.base, &sifang__v1__hours_totals_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_OK);
    SF_CHECK(reply && reply->n_totals == 1 && reply->totals[0]->hours == 5 && reply->totals[0]->volunteers == 2);
    FREE(reply);
    request.group_by = SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_COMMUNITY;
    request.from = yesterday;
    request.to = yesterday;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HoursTotals", NULL, &request.base, &sifang__v1__hours_totals_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_OK);
    SF_CHECK(reply && reply->n_totals == 1 && reply->totals[0]->hours == 25
             && strcmp(reply->totals[0]->key, VT_COMMUNITY_1) == 0);
    FREE(reply);
    request.group_by = SIFANG__V1__HOURS_GROUPING__HOURS_GROUPING_MONTH;
    request.from = "";
    request.to = "";
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "HoursTotals", NULL, &request.base, &sifang__v1__hours_totals_reply__descriptor,
                            (ProtobufCMessage **) &reply, &info), SF_OK);
    double months = 0;
    for (size_t i = 0; reply && i < reply->n_totals; i++)
        months += reply->totals[i]->hours;
    SF_CHECK(months == 49);
    FREE(reply);
}

/* The world runs with ACTIVE_HOURS=10 within ACTIVE_DAYS=30. */
static void
test_active_rule(void)
{
    sf_reply_info_t info;
    Sifang__V1__VolunteerGetRequest get = SIFANG__V1__VOLUNTEER_GET_REQUEST__INIT;
    Sifang__V1__VolunteerProfile *profile = NULL;
    get.id = volunteers[1];
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerGet", NULL, &get.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &profile, &info), SF_OK);
    SF_CHECK(profile && profile->status == SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_ACTIVE
             && profile->recent_hours == 27 && profile->total_hours == 27);
    FREE(profile);
    /* The leader has 2 approved hours: under 10, a newcomer still. */
    get.id = volunteers[0];
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerGet", NULL, &get.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &profile, &info), SF_OK);
    SF_CHECK(profile && profile->status == SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_REGISTERED);
    FREE(profile);
    /* Registered 40 days ago with hours older than the window: inactive. */
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE volunteer SET registered_at = now() - interval '40 days' WHERE serial = %d",
             atoi(volunteers[0] + 1));
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerGet", NULL, &get.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &profile, &info), SF_OK);
    SF_CHECK(profile && profile->status == SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_INACTIVE);
    FREE(profile);
    snprintf(sql, sizeof sql, "UPDATE service_record SET served_on = served_on - 31 WHERE volunteer_serial = %d",
             atoi(volunteers[1] + 1));
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
    get.id = volunteers[1];
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerGet", NULL, &get.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &profile, &info), SF_OK);
    SF_CHECK(profile && profile->status != SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_ACTIVE
             && profile->recent_hours == 0 && profile->total_hours == 27);
    FREE(profile);
    snprintf(sql, sizeof sql, "UPDATE service_record SET served_on = served_on + 31 WHERE volunteer_serial = %d",
             atoi(volunteers[1] + 1));
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
    Sifang__V1__VolunteerListRequest list = SIFANG__V1__VOLUNTEER_LIST_REQUEST__INIT;
    list.status = SIFANG__V1__VOLUNTEER_STATUS__VOLUNTEER_STATUS_ACTIVE;
    Sifang__V1__VolunteerListReply *active = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerList", NULL, &list.base, &sifang__v1__volunteer_list_reply__descriptor,
                            (ProtobufCMessage **) &active, &info), SF_OK);
    /* Volunteers 1 (27 h) and 3 (20 h). */
    SF_CHECK(active && active->n_volunteers == 2);
    FREE(active);
}

static void
test_export(void)
{
    sf_reply_info_t info;
    Sifang__V1__VolunteerUpdateRequest update = SIFANG__V1__VOLUNTEER_UPDATE_REQUEST__INIT;
    update.id = volunteers[1];
    update.national_number = "QD-2012-000002";
    Sifang__V1__VolunteerProfile *profile = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VolunteerUpdate", NULL, &update.base, &sifang__v1__volunteer_profile__descriptor,
                            (ProtobufCMessage **) &profile, &info), SF_OK);
    FREE(profile);
    Sifang__V1__ServiceRecordExportRequest request = SIFANG__V1__SERVICE_RECORD_EXPORT_REQUEST__INIT;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 4;
    request.page = &page;
    Sifang__V1__ServiceRecordExportReply *reply = NULL;
    int records = 0, pages = 0, with_number = 0;
    for (;;) {
        if (!SF_CHECK_EQ_INT(vt_call(&world, NULL, "ServiceRecordExport", NULL, &request.base,
                                     &sifang__v1__service_record_export_reply__descriptor,
                                     (ProtobufCMessage **) &reply, &info), SF_OK))
            break;
        pages++;
        cJSON *document = cJSON_Parse(reply->json);
        SF_CHECK(document != NULL);
        SF_CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(document, "format")), "sifang.volunteer.export/v1");
        cJSON *items = cJSON_GetObjectItem(document, "records");
        SF_CHECK_EQ_INT(cJSON_GetArraySize(items), reply->records);
        for (int i = 0; i < cJSON_GetArraySize(items); i++) {
            cJSON *item = cJSON_GetArrayItem(items, i);
            SF_CHECK(cJSON_IsNumber(cJSON_GetObjectItem(item, "service_hours")));
            SF_CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(item, "service_date")) != NULL);
            SF_CHECK(cJSON_GetObjectItem(item, "household_code") == NULL);
            const char *number = cJSON_GetStringValue(cJSON_GetObjectItem(item, "national_volunteer_number"));
            if (number && strcmp(number, "QD-2012-000002") == 0)
                with_number++;
        }
        cJSON_Delete(document);
        records += reply->records;
        static char token[32];
        snprintf(token, sizeof token, "%s", reply->next_page_token);
        bool more = *token;
        FREE(reply);
        if (!more || pages > 5)
            break;
        page.page_token = token;
    }
    SF_CHECK_EQ_INT(records, 6);
    SF_CHECK_EQ_INT(pages, 2);
    SF_CHECK_EQ_INT(with_number, 3);
    request.national_number_only = true;
    page.page_token = "";
    page.page_size = 0;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "ServiceRecordExport", NULL, &request.base,
                            &sifang__v1__service_record_export_reply__descriptor, (ProtobufCMessage **) &reply, &info),
                    SF_OK);
    SF_CHECK(reply && reply->records == 3);
    FREE(reply);
}

/* A dispatch's record carries the dispatch's ref, which intake makes
 * "intake/<case>/<attempt>": listing by the case ("intake/77") finds its own
 * record and every attempt's, and no other case's ("intake/770/1"); by an
 * attempt's ref, that one; by a ref that is only the start of another
 * ("intake/7"), none. */
static void
test_list_by_case(void)
{
    const char *refs[4] = { "intake/77", "intake/77/1", "intake/77/2", "intake/770/1" };
    char ids[4][16];
    for (int i = 0; i < 4; i++) {
        Sifang__V1__VolunteerServiceRecord record = SIFANG__V1__VOLUNTEER_SERVICE_RECORD__INIT;
        record.volunteer_id = volunteers[2];
        record.activity = "meal delivery";
        record.case_ref = (char *) refs[i];
        record.served_on = yesterday;
        record.hours = 1;
        Sifang__V1__VolunteerServiceRecord *stored = NULL;
        ids[i][0] = 0;
        if (SF_CHECK_EQ_INT(vt_call(&world, NULL, "ServiceRecordSubmit", NULL, &record.base,
                                    &sifang__v1__volunteer_service_record__descriptor,
                                    (ProtobufCMessage **) &stored, NULL), SF_OK))
            snprintf(ids[i], sizeof ids[i], "%s", stored->id);
        FREE(stored);
    }
    const char *filters[3] = { "intake/77", "intake/77/2", "intake/7" };
    const int found[3][4] = { { 0, 1, 2, -1 }, { 2, -1 }, { -1 } };
    for (int f = 0; f < 3; f++) {
        Sifang__V1__ServiceRecordListRequest list = SIFANG__V1__SERVICE_RECORD_LIST_REQUEST__INIT;
        list.case_ref = (char *) filters[f];
        Sifang__V1__ServiceRecordListReply *reply = NULL;
        SF_CHECK_EQ_INT(vt_call(&world, NULL, "ServiceRecordList", NULL, &list.base,
                                &sifang__v1__service_record_list_reply__descriptor, (ProtobufCMessage **) &reply, NULL),
                        SF_OK);
        size_t expected = 0;
        while (found[f][expected] >= 0)
            expected++;
        if (SF_CHECK(reply != NULL) && SF_CHECK_EQ_INT(reply->n_records, expected)) {
            for (size_t k = 0; k < expected; k++) {
                const Sifang__V1__VolunteerServiceRecord *record = reply->records[k];
                SF_CHECK_EQ_STR(record->id, ids[found[f][k]]);
                SF_CHECK_EQ_STR(record->case_ref, refs[found[f][k]]);
                SF_CHECK_EQ_STR(record->volunteer_id, volunteers[2]);
                SF_CHECK_EQ_STR(record->activity, "meal delivery");
                SF_CHECK_EQ_STR(record->served_on, yesterday);
                SF_CHECK(record->hours == 1);
                SF_CHECK_EQ_INT(record->status, SIFANG__V1__SERVICE_RECORD_STATUS__SERVICE_RECORD_STATUS_PENDING);
            }
            SF_CHECK_EQ_STR(reply->next_page_token, "");
        }
        FREE(reply);
    }
}

int
main(void)
{
    date_at(0, today);
    date_at(-1, yesterday);
    date_at(1, tomorrow);
    date_at(-400, long_ago);
    const char *env[] = { "SIFANG_VOLUNTEER_ACTIVE_HOURS=10", "SIFANG_VOLUNTEER_ACTIVE_DAYS=30",
                          "SIFANG_VOLUNTEER_TIMEZONE=Asia/Shanghai", NULL };
    if (vt_world_start(&world, "volunteer_hours", env)) {
        setup();
        test_bad_hours();
        test_batch_day_total();
        test_review();
        test_totals();
        test_active_rule();
        test_export();
        test_list_by_case();
        vt_check_summary(&world, 10, 30, "after the hours tests");
    }
    vt_world_stop(&world);
    return sf_test_done();
}
