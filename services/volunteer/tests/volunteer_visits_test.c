/* 走千人访千户 through the real daemons: a department officer's household
 * visit and what followed it (VisitFollowUpAdd), each follow-up's reply and
 * event against its row in SQL, the visit as VisitList shows it (its
 * follow-ups oldest first, settled or not by the latest) against SQL, a
 * history that is kept when the matter opens again, a repeated request
 * answered once, every refusal naming its field with nothing written, and
 * who may: a department's staff for their own department's visitors (they
 * have no write scope), a zone cadre in their zones, no one else. */
#include "volunteer_test_support.h"
#include "sf_config.h"
#include "sf_json.h"
#include "sf_test_person.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FREE(m) do { if (m) protobuf_c_message_free_unpacked(&(m)->base, NULL); (m) = NULL; } while (0)
#define DAY_MS (24LL * 3600 * 1000)

static vt_world_t world;

static bool
same_message(const char *what, const ProtobufCMessage *got, const ProtobufCMessage *want)
{
    char *a = got ? sf_json_print_message(got, false) : NULL;
    char *b = want ? sf_json_print_message(want, false) : NULL;
    bool same = SF_CHECK(a && b && strcmp(a, b) == 0);
    if (!same)
        printf("%s differs:\n  got  %s\n  want %s\n", what, a ? a : "(none)", b ? b : "(none)");
    free(a);
    free(b);
    return same;
}

/* The message SQL's one row, one column (a JSON object) says. */
static ProtobufCMessage *
message_in_sql(const ProtobufCMessageDescriptor *descriptor, const char *sql)
{
    PGresult *result = PQexec(world.db, sql);
    ProtobufCMessage *message = NULL;
    if (SF_CHECK(PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1)) {
        char field[128], error[256];
        const char *text = PQgetvalue(result, 0, 0);
        message = sf_json_parse_message(descriptor, text, strlen(text), field, sizeof field, error, sizeof error);
        if (!SF_CHECK(message != NULL))
            printf("cannot read %s: %s %s\n", text, field, error);
    } else
        printf("%s: %s\n", sql, PQresultErrorMessage(result));
    PQclear(result);
    return message;
}

#define MS(column) "(extract(epoch FROM " column ") * 1000)::bigint::text"

/* A follow-up as a JSON object, from f (visit_follow_up) and w (visit). */
#define FOLLOW_UP_JSON \
    "jsonb_build_object('id', 'F' || lpad(f.serial::text, 8, '0'), 'visit_id', 'W' || lpad(w.serial::text, 8, '0')," \
    " 'note', f.note, 'done', f.done, 'at_unix_ms', " MS("f.at") ", 'recorded_by', f.recorded_by," \
    " 'staff_id', w.staff_id, 'household_code', w.household_code, 'community_code', w.community_code," \
    " 'created_unix_ms', " MS("f.created_at") ")"

static Sifang__V1__VisitFollowUp *
follow_up_in_sql(const char *id)
{
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT " FOLLOW_UP_JSON " FROM visit_follow_up f JOIN visit w ON w.serial = f.visit_serial"
             " WHERE f.serial = %d", atoi(id + 1));
    return (Sifang__V1__VisitFollowUp *) message_in_sql(&sifang__v1__visit_follow_up__descriptor, sql);
}

/* The visit as its rows say: the visitor's name from the reference copy,
 * its follow-ups oldest first, settled when the latest says so. */
static Sifang__V1__HouseholdVisit *
visit_in_sql(const char *id)
{
    char sql[4096];
    snprintf(sql, sizeof sql,
        "SELECT jsonb_build_object('id', 'W' || lpad(w.serial::text, 8, '0'), 'staff_id', w.staff_id,"
        " 'staff_name', s.name, 'staff_unit_code', w.staff_unit_code, 'department_code', w.department_code,"
        " 'household_code', w.household_code, 'community_code', w.community_code,"
        " 'kind', (ARRAY['CONTACT_KIND_VISIT', 'CONTACT_KIND_CALL', 'CONTACT_KIND_HELP'])[w.kind],"
        " 'at_unix_ms', " MS("w.at") ", 'note', w.note, 'help_given', w.help_given,"
        " 'created_unix_ms', " MS("w.created_at") ","
        " 'follow_ups', COALESCE((SELECT jsonb_agg(" FOLLOW_UP_JSON " ORDER BY f.serial) FROM visit_follow_up f"
        "   WHERE f.visit_serial = w.serial), '[]'::jsonb),"
        " 'done', COALESCE((SELECT f.done FROM visit_follow_up f WHERE f.visit_serial = w.serial"
        "   ORDER BY f.serial DESC LIMIT 1), false))"
        " FROM visit w JOIN ref_staff s ON s.id = w.staff_id WHERE w.serial = %d", atoi(id + 1));
    return (Sifang__V1__HouseholdVisit *) message_in_sql(&sifang__v1__household_visit__descriptor, sql);
}

/* The one event of type "visit.followed_up" after head, unpacked; *n how
 * many there were. */
static Sifang__V1__VisitFollowUp *
follow_up_event_after(int64_t head, int *n)
{
    *n = 0;
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    fetch.limit = 1000;
    Sifang__V1__EventsFetchReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(vt_call(&world, NULL, "Sys.EventsFetch", NULL, &fetch.base,
                                 &sifang__v1__events_fetch_reply__descriptor, (ProtobufCMessage **) &reply, NULL),
                         SF_OK))
        return NULL;
    Sifang__V1__VisitFollowUp *found = NULL;
    for (size_t i = 0; i < reply->n_events; i++) {
        const Sifang__V1__Event *event = reply->events[i];
        if (strcmp(event->type, "visit.followed_up") != 0)
            continue;
        (*n)++;
        FREE(found);
        if (SF_CHECK_EQ_STR(event->key, VT_COMMUNITY_2))
            found = sifang__v1__visit_follow_up__unpack(NULL, event->payload.len, event->payload.data);
    }
    FREE(reply);
    return found;
}

static long long
written(void)
{
    return vt_sql_int(&world, "SELECT (SELECT count(*) FROM visit_follow_up) + (SELECT count(*) FROM visit)"
                              " + (SELECT count(*) FROM event_log)");
}

/* Adds a follow-up as the administrator and checks the reply and its one
 * event against the row. */
static void
follow(const char *visit_id, const char *note, bool done, int64_t at, const char *request_id)
{
    Sifang__V1__VisitFollowUp follow_up = SIFANG__V1__VISIT_FOLLOW_UP__INIT;
    follow_up.visit_id = (char *) visit_id;
    follow_up.note = (char *) note;
    follow_up.done = done;
    follow_up.at_unix_ms = at;
    int64_t head = sf_test_event_head(world.client);
    Sifang__V1__VisitFollowUp *recorded = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(vt_call(&world, NULL, "VisitFollowUpAdd", request_id, &follow_up.base,
                                 &sifang__v1__visit_follow_up__descriptor, (ProtobufCMessage **) &recorded, &info),
                         SF_OK)) {
        printf("VisitFollowUpAdd: %s\n", info.message ? info.message : "");
        return;
    }
    Sifang__V1__VisitFollowUp *row = follow_up_in_sql(recorded->id);
    same_message("VisitFollowUpAdd's reply", &recorded->base, &row->base);
    SF_CHECK_EQ_STR(recorded->note, note);
    SF_CHECK(recorded->done == done);
    if (at)
        SF_CHECK(recorded->at_unix_ms == at);
    int n = 0;
    Sifang__V1__VisitFollowUp *event = follow_up_event_after(head, &n);
    if (SF_CHECK_EQ_INT(n, 1))
        same_message("visit.followed_up", &event->base, &row->base);
    FREE(event);

    /* The same request again: the first reply, nothing written twice. */
    long long before = written();
    Sifang__V1__VisitFollowUp *again = NULL;
    SF_CHECK_EQ_INT(vt_call(&world, NULL, "VisitFollowUpAdd", request_id, &follow_up.base,
                            &sifang__v1__visit_follow_up__descriptor, (ProtobufCMessage **) &again, &info), SF_OK);
    SF_CHECK(info.replayed);
    SF_CHECK(again && strcmp(again->id, recorded->id) == 0);
    SF_CHECK_EQ_INT(written(), before);
    FREE(again);
    FREE(row);
    FREE(recorded);
}

/* Expects the follow-up refused with status, naming field (NULL: none),
 * and nothing written. */
static void
refused(sf_client_t *client, const Sifang__V1__VisitFollowUp *follow_up, sf_status_t status, const char *field)
{
    long long before = written();
    Sifang__V1__VisitFollowUp *recorded = NULL;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(vt_call(&world, client, "VisitFollowUpAdd", NULL, &follow_up->base,
                            &sifang__v1__visit_follow_up__descriptor, (ProtobufCMessage **) &recorded, &info),
                    status);
    if (field && !SF_CHECK(vt_has_violation(&info, field)))
        printf("expected a refusal naming %s: %s\n", field, info.message ? info.message : "");
    SF_CHECK_EQ_INT(written(), before);
    FREE(recorded);
}

/* VisitList of the officer's visits, the one visit checked against SQL. */
static void
check_listed(const char *visit_id, size_t follow_ups, bool done)
{
    Sifang__V1__VisitListRequest list = SIFANG__V1__VISIT_LIST_REQUEST__INIT;
    list.staff_id = world.officer_id;
    list.from_unix_ms = sf_now_ms() - 10 * DAY_MS;
    Sifang__V1__VisitListReply *reply = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(vt_call(&world, NULL, "VisitList", NULL, &list.base, &sifang__v1__visit_list_reply__descriptor,
                                 (ProtobufCMessage **) &reply, &info), SF_OK))
        return;
    if (SF_CHECK_EQ_INT(reply->n_visits, 2)) {
        const Sifang__V1__HouseholdVisit *listed = NULL;
        for (size_t i = 0; i < reply->n_visits; i++)
            if (strcmp(reply->visits[i]->id, visit_id) == 0)
                listed = reply->visits[i];
            else
                SF_CHECK(reply->visits[i]->n_follow_ups == 0 && !reply->visits[i]->done);
        if (SF_CHECK(listed != NULL)) {
            Sifang__V1__HouseholdVisit *row = visit_in_sql(visit_id);
            same_message("VisitList's visit", &listed->base, &row->base);
            SF_CHECK_EQ_INT(listed->n_follow_ups, follow_ups);
            SF_CHECK(listed->done == done);
            FREE(row);
        }
    }
    FREE(reply);
}

static void
record_visit(const char *household, int64_t at, const char *note, char out[16])
{
    Sifang__V1__HouseholdVisit visit = SIFANG__V1__HOUSEHOLD_VISIT__INIT;
    visit.staff_id = world.officer_id;
    visit.household_code = (char *) household;
    visit.kind = SIFANG__V1__CONTACT_KIND__CONTACT_KIND_VISIT;
    visit.at_unix_ms = at;
    visit.note = (char *) note;
    visit.help_given = "送去米面油";
    Sifang__V1__HouseholdVisit *recorded = NULL;
    sf_reply_info_t info;
    out[0] = '\0';
    if (SF_CHECK_EQ_INT(vt_call(&world, NULL, "VisitRecord", NULL, &visit.base,
                                &sifang__v1__household_visit__descriptor, (ProtobufCMessage **) &recorded, &info),
                        SF_OK)) {
        /* A visit just recorded has nothing after it. */
        Sifang__V1__HouseholdVisit *row = visit_in_sql(recorded->id);
        same_message("VisitRecord's reply", &recorded->base, &row->base);
        SF_CHECK(recorded->n_follow_ups == 0 && !recorded->done);
        snprintf(out, 16, "%s", recorded->id);
        FREE(row);
    }
    FREE(recorded);
}

static sf_client_t *
person(const char *id, const char *department, const char *role, const char *write)
{
    sf_test_grant_t grant = { role, "*", write, NULL };
    sf_client_t *client = vt_client_as(&world, id, "", "");
    SF_CHECK(client && sf_test_set_person(client, id, department, &grant, 1) == 0);
    return client;
}

/* A person's write of a visit or a follow-up: allowed (checked against
 * SQL's count) or refused with nothing written. */
static void
as_person(sf_client_t *client, const char *method, const ProtobufCMessage *request,
          const ProtobufCMessageDescriptor *reply_descriptor, sf_status_t want)
{
    long long before = written();
    ProtobufCMessage *reply = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(vt_call(&world, client, method, NULL, request, reply_descriptor, &reply, &info), want))
        printf("%s: %s\n", method, info.message ? info.message : "");
    if (want == SF_OK)
        SF_CHECK(written() > before);
    else
        SF_CHECK_EQ_INT(written(), before);
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
}

static void
test_who_may(const char *visit_id)
{
    sf_client_t *officer = person("S00801", "civil-affairs", "department_staff", NULL);
    sf_client_t *health = person("S00802", "health", "department_staff", NULL);
    sf_client_t *zone_3 = person("S00803", NULL, "zone_cadre", VT_ZONE_3);
    sf_client_t *zone_1 = person("S00804", NULL, "zone_cadre", VT_ZONE_1);
    Sifang__V1__HouseholdVisit visit = SIFANG__V1__HOUSEHOLD_VISIT__INIT;
    visit.staff_id = world.officer_id;
    visit.household_code = world.households[27];
    visit.kind = SIFANG__V1__CONTACT_KIND__CONTACT_KIND_CALL;
    visit.note = "电话询问近况";
    as_person(health, "VisitRecord", &visit.base, &sifang__v1__household_visit__descriptor, SF_PERMISSION_DENIED);
    as_person(zone_1, "VisitRecord", &visit.base, &sifang__v1__household_visit__descriptor, SF_PERMISSION_DENIED);
    as_person(officer, "VisitRecord", &visit.base, &sifang__v1__household_visit__descriptor, SF_OK);
    Sifang__V1__VisitFollowUp follow_up = SIFANG__V1__VISIT_FOLLOW_UP__INIT;
    follow_up.visit_id = (char *) visit_id;
    follow_up.note = "网格员上门核实";
    as_person(health, "VisitFollowUpAdd", &follow_up.base, &sifang__v1__visit_follow_up__descriptor,
              SF_PERMISSION_DENIED);
    as_person(zone_1, "VisitFollowUpAdd", &follow_up.base, &sifang__v1__visit_follow_up__descriptor,
              SF_PERMISSION_DENIED);
    as_person(zone_3, "VisitFollowUpAdd", &follow_up.base, &sifang__v1__visit_follow_up__descriptor, SF_OK);
    follow_up.note = "部门已协调解决";
    follow_up.done = true;
    as_person(officer, "VisitFollowUpAdd", &follow_up.base, &sifang__v1__visit_follow_up__descriptor, SF_OK);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM visit_follow_up WHERE recorded_by IN ('S00801', 'S00803')"),
                    2);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM visit WHERE kind = 2 AND department_code = 'civil-affairs'"),
                    1);
    sf_client_destroy(&officer);
    sf_client_destroy(&health);
    sf_client_destroy(&zone_3);
    sf_client_destroy(&zone_1);
}

static void
test_follow_ups(void)
{
    int64_t now = sf_now_ms();
    char visit[16], other[16];
    record_visit(world.households[25], now - 5 * DAY_MS, "独居老人，冬季取暖费用有困难", visit);
    record_visit(world.households[26], now - 4 * DAY_MS, "询问就业需求，暂无困难", other);
    if (!visit[0] || !other[0])
        return;

    Sifang__V1__VisitFollowUp follow_up = SIFANG__V1__VISIT_FOLLOW_UP__INIT;
    follow_up.visit_id = visit;
    follow_up.note = "已联系街道申请临时救助";
    /* Each field wrong alone, then the facts: nothing is written. */
    follow_up.id = "F00000001";
    refused(NULL, &follow_up, SF_INVALID_ARGUMENT, "id");
    follow_up.id = "";
    follow_up.note = " ";
    refused(NULL, &follow_up, SF_INVALID_ARGUMENT, "note");
    follow_up.note = "已联系街道申请临时救助";
    follow_up.visit_id = "K00000001";
    refused(NULL, &follow_up, SF_INVALID_ARGUMENT, "visit_id");
    follow_up.visit_id = "";
    refused(NULL, &follow_up, SF_INVALID_ARGUMENT, "visit_id");
    follow_up.visit_id = "W99999999";
    refused(NULL, &follow_up, SF_NOT_FOUND, "visit_id");
    follow_up.visit_id = visit;
    follow_up.at_unix_ms = now + DAY_MS;
    refused(NULL, &follow_up, SF_INVALID_ARGUMENT, "at_unix_ms");
    follow_up.at_unix_ms = now - 6 * DAY_MS;
    refused(NULL, &follow_up, SF_INVALID_ARGUMENT, "at_unix_ms");
    follow_up.at_unix_ms = 0;
    /* A community's staff of another community may not. */
    sf_client_t *neighbour = vt_client_as(&world, "community-1", "community", VT_COMMUNITY_1);
    refused(neighbour, &follow_up, SF_PERMISSION_DENIED, NULL);
    sf_client_destroy(&neighbour);
    char long_note[502];
    memset(long_note, 'x', 501);
    long_note[501] = '\0';
    follow_up.note = long_note;
    refused(NULL, &follow_up, SF_INVALID_ARGUMENT, "note");
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM visit_follow_up"), 0);
    check_listed(visit, 0, false);

    /* What followed, over days: applied, then granted (settled). */
    follow(visit, "已联系街道申请临时救助", false, now - 3 * DAY_MS, "follow-1");
    check_listed(visit, 1, false);
    follow(visit, "临时救助800元已发放，老人表示满意", true, 0, "follow-2");
    check_listed(visit, 2, true);
    /* The matter opens again; the history stays as it was written. */
    follow(visit, "回访发现暖气不热，已报物业维修", false, 0, "follow-3");
    check_listed(visit, 3, false);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM visit_follow_up WHERE note = '已联系街道申请临时救助'"
                                       " AND NOT done"), 1);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM visit_follow_up WHERE done"), 1);
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM event_log WHERE type = 'visit.followed_up'"), 3);
    /* Exactly 500 characters (Chinese) is whole. */
    char chinese[1501] = "";
    for (int i = 0; i < 500; i++)
        strcat(chinese, "访");
    follow(other, chinese, true, 0, "follow-4");
    SF_CHECK_EQ_INT(vt_sql_int(&world, "SELECT count(*) FROM visit_follow_up WHERE char_length(note) = 500"), 1);
    test_who_may(visit);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (vt_world_start(&world, "volunteer_visits", NULL))
        test_follow_ups();
    vt_world_stop(&world);
    return sf_test_done();
}
