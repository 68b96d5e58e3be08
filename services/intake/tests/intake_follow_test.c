/* The rules that follow a case through, against the real grid and intake
 * daemons: each person's notices (who is told of which step, the inbox
 * unread first and keyset paged, marking read, the notice.* events), rework
 * after an unsatisfactory return visit and a complaint (零误差), the
 * supervision ladder by hand and by the sweep (催办 before and after the
 * deadline once each, 督办, 提级督办 by hand and after three handoffs), the
 * first responder's follow-up within a working day of a missed deadline,
 * the three new meeting kinds, and the calendar: its file loaded by
 * sifang-intake-calendar (a faulty file refused whole) and the warning of a
 * coming year without one. Every reply and event is compared field by field
 * with the rows in SQL; refusals name their field and write nothing. */
#include "intake_test_steps.h"
#include "sf_config.h"
#include "sf_dates.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHANNEL(name) SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_##name
#define STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name
#define SUPERVISE(name) SIFANG__V1__CASE_SUPERVISE_KIND__CASE_SUPERVISE_KIND_##name
#define MS(expr) "coalesce((extract(epoch FROM " expr ") * 1000)::bigint, 0)"

static intake_world_t world;
static sf_client_t *zhao;          /* S00003 赵敏, committee member of T_COMMUNITY_2 */
static char leader_id[32];         /* a district leader, told of the calendar */

/* Messages are compared field by field by intake_test_steps.c's
 * intake_case_compare: of a Case every field up to the hand-off's. */
#define FIRST_FIELD_COMPARED_HERE 50
#define LAST_FIELD_COMPARED_HERE 75

static ProtobufCMessage *
copy_of(const ProtobufCMessage *message)
{
    size_t size = protobuf_c_message_get_packed_size(message);
    uint8_t *bytes = malloc(size ? size : 1);
    protobuf_c_message_pack(message, bytes);
    ProtobufCMessage *copy = protobuf_c_message_unpack(message->descriptor, NULL, size, bytes);
    free(bytes);
    return intake_keep(copy);
}

/* Sets a string field of an unpacked message to a copy of value. */
static char *
text_of(char *old, const char *value)
{
    if (old && old != protobuf_c_empty_string)
        free(old);
    return strdup(value);
}

/* A copy of the message without the requester (the reply shows the
 * station its phone, the event masks it: not this test's matter). */
static ProtobufCMessage *
without_requester(const Sifang__V1__Case *c)
{
    Sifang__V1__Case *copy = (Sifang__V1__Case *) copy_of(&c->base);
    if (copy->requester)
        protobuf_c_message_free_unpacked(&copy->requester->base, NULL);
    copy->requester = NULL;
    return &copy->base;
}

static PGresult *
query(const char *sql)
{
    PGresult *result = PQexec(world.db, sql);
    if (PQresultStatus(result) != PGRES_TUPLES_OK)
        SF_FAIL("%s: %s", sql, PQresultErrorMessage(result));
    return result;
}

/* --- a case's step against SQL ---------------------------------------------- */

/* The reply with every field the follow-through and the step change set
 * from SQL (the case's row and its audit row for seq = version): what the
 * reply and the event must both say. */
static Sifang__V1__Case *
case_in_sql(const Sifang__V1__Case *reply)
{
    Sifang__V1__Case *want = (Sifang__V1__Case *) copy_of(&reply->base);
    char sql[2048];
    snprintf(sql, sizeof sql,
        "SELECT c.status, c.version, coalesce(c.satisfaction, 0), c.rework_count, c.complaint_count, c.handoff_count,"
        "       c.supervision_level, c.supervised_by, c.referred_to, " MS("c.reminded_at") ", " MS("c.missed_at") ","
        "       " MS("c.followed_up_at") ", c.followed_up_in_time::int, " MS("c.due_at") ", " MS("c.resolved_at") ","
        "       " MS("c.closed_at") ", c.overdue::int, c.resolution, c.escalation_level, c.escalated_to,"
        "       coalesce(c.assignee_code, ''), " MS("c.last_at") ","
        "       h.seq, h.action, h.from_status, h.to_status, h.actor_id, h.actor_name, " MS("h.at") ", h.note"
        "  FROM intake.intake_case c JOIN intake.case_history h ON h.case_id = c.id AND h.seq = c.version"
        " WHERE c.id = %lld", (long long) reply->id);
    PGresult *r = query(sql);
    if (PQntuples(r) != 1) {
        PQclear(r);
        SF_FAIL("case %lld not in SQL", (long long) reply->id);
        return want;
    }
    int k = 0;
#define NUM() atoll(PQgetvalue(r, 0, k++))
    want->status = (Sifang__V1__CaseStatus) NUM();
    want->version = NUM();
    want->satisfaction = (int32_t) NUM();
    want->rework_count = (int32_t) NUM();
    want->complaint_count = (int32_t) NUM();
    want->handoff_count = (int32_t) NUM();
    want->supervision_level = (int32_t) NUM();
#define KEEP(field) (field = text_of(field, PQgetvalue(r, 0, k++)))
    KEEP(want->supervised_by);
    KEEP(want->referred_to);
    want->reminded_unix_ms = NUM();
    want->missed_unix_ms = NUM();
    want->followed_up_unix_ms = NUM();
    want->followed_up_in_time = NUM() != 0;
    want->due_unix_ms = NUM();
    want->resolved_unix_ms = NUM();
    want->closed_unix_ms = NUM();
    want->overdue = NUM() != 0;
    KEEP(want->resolution);
    want->escalation_level = (int32_t) NUM();
    KEEP(want->escalated_to);
    if (want->assignee)
        KEEP(want->assignee->code);
    else
        k++;
    want->updated_unix_ms = NUM();
    if (want->last_transition) {
        Sifang__V1__CaseTransition *t = want->last_transition;
        t->seq = (int32_t) NUM();
        t->action = (Sifang__V1__CaseAction) NUM();
        t->from_status = (Sifang__V1__CaseStatus) NUM();
        t->to_status = (Sifang__V1__CaseStatus) NUM();
        KEEP(t->actor_id);
        KEEP(t->actor_name);
        t->at_unix_ms = NUM();
        KEEP(t->note);
    }
    int64_t finished = want->resolved_unix_ms ? want->resolved_unix_ms : want->closed_unix_ms;
    want->resolved_in_time = finished && want->due_unix_ms && finished <= want->due_unix_ms;
#undef NUM
#undef KEEP
    PQclear(r);
    return want;
}

/* The events after head, kept. */
static Sifang__V1__EventsFetchReply *
events_after(int64_t head)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    fetch.limit = 1000;
    Sifang__V1__EventsFetchReply *reply = NULL;
    SF_CHECK_EQ_INT(intake_call(world.admin, "Sys.EventsFetch", NULL, &fetch.base,
                                &sifang__v1__events_fetch_reply__descriptor, &reply, NULL), SF_OK);
    return reply;
}

/* The reply and the case.<type> event of the step against SQL. A reply
 * without the step (CaseGet after the sweep) is compared without it. */
static void
check_step(const char *what, int64_t head, const Sifang__V1__Case *reply, const char *type)
{
    if (!SF_CHECK(reply != NULL))
        return;
    Sifang__V1__EventsFetchReply *events = events_after(head);
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long) reply->id);
    const Sifang__V1__Event *found = NULL;
    for (size_t i = 0; events && i < events->n_events; i++)
        if (strcmp(events->events[i]->key, key) == 0 && strncmp(events->events[i]->type, "case.", 5) == 0)
            found = events->events[i];
    if (!found) {
        SF_FAIL("%s: no case event after %lld", what, (long long) head);
        return;
    }
    SF_CHECK_EQ_STR(found->type, type);
    Sifang__V1__Case *event = intake_keep(&sifang__v1__case__unpack(NULL, found->payload.len,
                                                                   found->payload.data)->base);
    if (!SF_CHECK(event != NULL))
        return;
    Sifang__V1__Case *want = case_in_sql((const Sifang__V1__Case *) without_requester(event));
    intake_case_compare(what, "event", without_requester(event), &want->base);
    Sifang__V1__Case *shown = (Sifang__V1__Case *) without_requester(reply);
    if (!shown->last_transition) {
        want = (Sifang__V1__Case *) copy_of(&want->base);
        protobuf_c_message_free_unpacked(&want->last_transition->base, NULL);
        want->last_transition = NULL;
    }
    intake_case_compare(what, "reply", &shown->base, &want->base);
}

/* The notices a step gave, as "recipient:kind:reason" sorted by recipient. */
static void
check_notices(const Sifang__V1__Case *c, const char *want, int line)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(string_agg(recipient_id || ':' || kind || ':' || reason, ' ' ORDER BY recipient_id), '')"
             "  FROM intake.notice WHERE case_id = %lld AND case_seq = %d",
             (long long) c->id, (int) c->version);
    PGresult *r = query(sql);
    if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), want) != 0)
        SF_FAIL("line %d: case %lld's step %d told \"%s\", wanted \"%s\"", line, (long long) c->id,
                (int) c->version, PQgetvalue(r, 0, 0), want);
    PQclear(r);
}
#define NOTICES(c, want) check_notices(c, want, __LINE__)

/* The notice as SQL has it. */
static Sifang__V1__Notice *
notice_in_sql(int64_t id)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT recipient_id, kind, reason, coalesce(case_id, 0), registration_number, case_seq, action, body,"
             "       unit_code, " MS("created_at") ", (read_at IS NOT NULL)::int, " MS("read_at")
             "  FROM intake.notice WHERE id = %lld", (long long) id);
    PGresult *r = query(sql);
    Sifang__V1__Notice *n = intake_keep(&((Sifang__V1__Notice *) calloc(1, sizeof *n))->base);
    sifang__v1__notice__init(n);
    /* Freed by intake_release_kept through protobuf_c_message_free_unpacked:
     * its strings must be malloc'd. */
    if (PQntuples(r) == 1) {
        int k = 0;
        n->id = id;
        n->recipient_id = strdup(PQgetvalue(r, 0, k++));
        n->kind = (Sifang__V1__NoticeKind) atoi(PQgetvalue(r, 0, k++));
        n->reason = strdup(PQgetvalue(r, 0, k++));
        n->case_id = atoll(PQgetvalue(r, 0, k++));
        n->registration_number = strdup(PQgetvalue(r, 0, k++));
        n->case_seq = atoi(PQgetvalue(r, 0, k++));
        n->action = (Sifang__V1__CaseAction) atoi(PQgetvalue(r, 0, k++));
        n->text = strdup(PQgetvalue(r, 0, k++));
        n->unit_code = strdup(PQgetvalue(r, 0, k++));
        n->created_unix_ms = atoll(PQgetvalue(r, 0, k++));
        n->read = atoi(PQgetvalue(r, 0, k++)) != 0;
        n->read_unix_ms = atoll(PQgetvalue(r, 0, k++));
    } else
        SF_FAIL("no notice %lld in SQL", (long long) id);
    PQclear(r);
    return n;
}

/* The notice.<type> event of notice id after head. */
static void
check_notice_event(int64_t head, const Sifang__V1__Notice *want, const char *type)
{
    Sifang__V1__EventsFetchReply *events = events_after(head);
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long) want->id);
    for (size_t i = 0; events && i < events->n_events; i++)
        if (strcmp(events->events[i]->key, key) == 0 && strcmp(events->events[i]->type, type) == 0) {
            Sifang__V1__Notice *event = intake_keep(&sifang__v1__notice__unpack(NULL, events->events[i]->payload.len,
                                                                               events->events[i]->payload.data)->base);
            intake_case_compare(type, "event", &event->base, &want->base);
            return;
        }
    SF_FAIL("no %s event of notice %lld", type, (long long) want->id);
}

/* --- calls --------------------------------------------------------------------- */

static Sifang__V1__Case *
step(sf_client_t *client, const char *method, const ProtobufCMessage *request, int line)
{
    Sifang__V1__Case *reply = NULL;
    sf_reply_info_t info;
    char id[40];
    sf_request_id_new(id);
    sf_status_t status = intake_call(client, method, id, request, &sifang__v1__case__descriptor, &reply, &info);
    if (status != SF_OK)
        SF_FAIL("line %d: %s: %s (%s: %s)", line, method, sf_status_name(status),
                info.n_violations ? info.violation_fields[0] : "", info.message ? info.message : "");
    return reply;
}
#define STEP(client, method, request) step(client, method, &(request)->base, __LINE__)

static Sifang__V1__CaseRef *
ref_of(int64_t id)
{
    static Sifang__V1__CaseRef refs[64];
    static int n;
    Sifang__V1__CaseRef *ref = &refs[n++ % 64];
    sifang__v1__case_ref__init(ref);
    ref->id = id;
    return ref;
}

static Sifang__V1__Case *
assign_to(sf_client_t *client, int64_t id, const char *staff)
{
    Sifang__V1__CaseAssignee assignee = SIFANG__V1__CASE_ASSIGNEE__INIT;
    assignee.kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF;
    assignee.code = (char *) staff;
    Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    assign.ref = ref_of(id);
    assign.assignee = &assignee;
    return STEP(client, "CaseAssign", &assign);
}

static Sifang__V1__Case *
resolve(int64_t id, const char *resolution)
{
    Sifang__V1__CaseResolveRequest request = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    request.ref = ref_of(id);
    request.resolution = (char *) resolution;
    return STEP(world.station, "CaseResolve", &request);
}

static void
sweep(void)
{
    Sifang__V1__CaseSweepRequest request = SIFANG__V1__CASE_SWEEP_REQUEST__INIT;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseSweep", NULL, &request.base, &sifang__v1__case_sweep_reply__descriptor,
                                NULL, NULL), SF_OK);
}

static Sifang__V1__Case *
case_now(int64_t id)
{
    Sifang__V1__Case *c = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseGet", NULL, &ref_of(id)->base, &sifang__v1__case__descriptor,
                                &c, NULL), SF_OK);
    return c;
}

static void
sql_run(const char *format, long long id)
{
    char sql[512];
    snprintf(sql, sizeof sql, format, id);
    SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, sql), 0);
}

/* --- notices of assignment, and rework (零误差) -------------------------------- */

static void
test_assignment_and_rework(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "dispute-mediation",
                                                                            CHANNEL(WINDOW), "楼上漏水，协商未果"));
    if (!SF_CHECK(c != NULL))
        return;
    /* The station registered it and is its zone's committee member: routed
     * to itself, it tells no one of its own step. */
    NOTICES(c, "");
    int64_t head = sf_test_event_head(world.admin);
    /* The street hands it to 赵敏: she is told it is hers, its first
     * responder that it moved. The first assignment was routing's: a handoff. */
    Sifang__V1__Case *moved = assign_to(world.street, c->id, "S00003");
    check_step("assigned", head, moved, "case.assigned");
    if (!SF_CHECK(moved != NULL))
        return;
    SF_CHECK_EQ_INT(moved->handoff_count, 1);
    NOTICES(moved, "S00001:9:first_responder S00003:1:assignee");

    /* 赵敏's inbox: her notice, field by field, as SQL and its event have it. */
    Sifang__V1__NoticeListRequest list = SIFANG__V1__NOTICE_LIST_REQUEST__INIT;
    Sifang__V1__NoticeListReply *inbox = NULL;
    SF_CHECK_EQ_INT(intake_call(zhao, "NoticeList", NULL, &list.base, &sifang__v1__notice_list_reply__descriptor,
                                &inbox, NULL), SF_OK);
    if (SF_CHECK(inbox && inbox->n_notices == 1)) {
        SF_CHECK_EQ_INT(inbox->unread, 1);
        Sifang__V1__Notice *want = notice_in_sql(inbox->notices[0]->id);
        intake_case_compare("her notice", "reply", &inbox->notices[0]->base, &want->base);
        check_notice_event(head, want, "notice.created");
        SF_CHECK_EQ_INT(want->kind, SIFANG__V1__NOTICE_KIND__NOTICE_KIND_ASSIGNED);
        SF_CHECK(strstr(want->text, moved->registration_number) && strstr(want->text, "新派工单"));
    }

    /* Resolved, then a return visit of 2: reopened for rework, not closed. */
    Sifang__V1__Case *resolved = resolve(c->id, "已协调维修");
    Sifang__V1__CaseCloseRequest visit = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    visit.ref = ref_of(c->id);
    visit.satisfaction = 2;
    REFUSED(world.station, "CaseClose", &visit, SF_INVALID_ARGUMENT, "note", NULL);   /* dissatisfied: say why */
    visit.note = "居民称仍在漏水";
    head = sf_test_event_head(world.admin);
    Sifang__V1__Case *reopened = STEP(world.station, "CaseClose", &visit);
    check_step("reopened", head, reopened, "case.reopened");
    if (!SF_CHECK(reopened && resolved))
        return;
    SF_CHECK_EQ_INT(reopened->status, STATUS(IN_PROGRESS));
    SF_CHECK_EQ_INT(reopened->rework_count, 1);
    SF_CHECK_EQ_INT(reopened->satisfaction, 2);
    SF_CHECK_EQ_INT(reopened->resolved_unix_ms, 0);
    SF_CHECK_EQ_INT(reopened->closed_unix_ms, 0);
    SF_CHECK(reopened->due_unix_ms > resolved->resolved_unix_ms);   /* a new deadline from the reopening */
    NOTICES(reopened, "S00003:7:assignee");

    /* Done again; the second return visit closes it. */
    resolve(c->id, "已更换管道");
    visit.satisfaction = 4;
    visit.note = "二次回访";
    Sifang__V1__Case *closed = STEP(world.station, "CaseClose", &visit);
    SF_CHECK(closed && closed->status == STATUS(CLOSED) && closed->rework_count == 1 && closed->satisfaction == 4);

    /* The resident complains after all: a closed case reopens. */
    Sifang__V1__CaseComplainRequest complain = SIFANG__V1__CASE_COMPLAIN_REQUEST__INIT;
    complain.ref = ref_of(c->id);
    REFUSED(world.gateway, "CaseComplain", &complain, SF_INVALID_ARGUMENT, "note", NULL);
    complain.note = "管道又坏了";
    head = sf_test_event_head(world.admin);
    Sifang__V1__Case *complained = STEP(world.gateway, "CaseComplain", &complain);
    check_step("complained", head, complained, "case.complained");
    SF_CHECK(complained && complained->status == STATUS(IN_PROGRESS) && complained->complaint_count == 1
             && complained->rework_count == 2 && complained->closed_unix_ms == 0);
    if (complained)
        NOTICES(complained, "S00001:7:first_responder S00003:7:assignee");
    /* An open case is not complained of. */
    REFUSED(world.gateway, "CaseComplain", &complain, SF_FAILED_PRECONDITION, "ref", NULL);
    /* The viewer may not complain for anyone. */
    REFUSED(world.viewer, "CaseComplain", &complain, SF_PERMISSION_DENIED, NULL, NULL);
}

/* --- the supervision ladder and the first responder's follow-up ---------------- */

static void
test_supervision_and_follow_up(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "dispute-mediation",
                                                                            CHANNEL(HOTLINE), "噪音扰民"));
    if (!SF_CHECK(c != NULL))
        return;
    assign_to(world.street, c->id, "S00003");
    Sifang__V1__CaseSuperviseRequest supervise = SIFANG__V1__CASE_SUPERVISE_REQUEST__INIT;
    supervise.ref = ref_of(c->id);
    supervise.kind = SUPERVISE(REMIND);
    /* A community station does not supervise; the note is the record. */
    REFUSED(world.station, "CaseSupervise", &supervise, SF_PERMISSION_DENIED, NULL, NULL);
    REFUSED(world.street, "CaseSupervise", &supervise, SF_INVALID_ARGUMENT, "note", NULL);
    supervise.kind = 9;
    supervise.note = "请加快办理";
    REFUSED(world.street, "CaseSupervise", &supervise, SF_INVALID_ARGUMENT, "kind", NULL);
    supervise.kind = SUPERVISE(REMIND);
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *reminded = STEP(world.street, "CaseSupervise", &supervise);
    check_step("reminded", head, reminded, "case.reminded");
    SF_CHECK(reminded && reminded->supervision_level == 1 && reminded->reminded_unix_ms > 0
             && strcmp(reminded->supervised_by, "S00002") == 0);
    if (reminded)   /* a supervisor's 催办: supervision, not "due soon" */
        NOTICES(reminded, "S00001:8:first_responder S00003:8:assignee");
    /* 督办 is for an overdue case; 提级督办 once supervised. */
    supervise.kind = SUPERVISE(SUPERVISE);
    REFUSED(world.street, "CaseSupervise", &supervise, SF_FAILED_PRECONDITION, "kind", NULL);
    supervise.kind = SUPERVISE(REFER_UP);
    REFUSED(world.street, "CaseSupervise", &supervise, SF_FAILED_PRECONDITION, "kind", NULL);

    /* The deadline passes: the sweep marks it overdue, the miss recorded. */
    sql_run("UPDATE intake.intake_case SET due_at = now() - interval '1 minute' WHERE id = %lld", (long long) c->id);
    head = sf_test_event_head(world.admin);
    sweep();
    Sifang__V1__Case *overdue = case_now(c->id);
    if (!SF_CHECK(overdue && overdue->overdue && overdue->missed_unix_ms > 0))
        return;
    check_step("overdue", head, overdue, "case.overdue");
    /* Escalated to its community, whose station now holds it: the station
     * (also its first responder) is told once, as the level escalated to. */
    NOTICES(overdue, "S00001:4:escalated_to");

    /* 首问负责: only the first responder follows it up, with a note. */
    Sifang__V1__CaseFollowUpRequest follow = SIFANG__V1__CASE_FOLLOW_UP_REQUEST__INIT;
    follow.ref = ref_of(c->id);
    follow.note = "已电话联系居民说明进度";
    REFUSED(world.street, "CaseFollowUp", &follow, SF_PERMISSION_DENIED, NULL, NULL);
    follow.note = "";
    REFUSED(world.station, "CaseFollowUp", &follow, SF_INVALID_ARGUMENT, "note", NULL);
    follow.note = "已电话联系居民说明进度";
    head = sf_test_event_head(world.admin);
    Sifang__V1__Case *followed = STEP(world.station, "CaseFollowUp", &follow);
    check_step("followed up", head, followed, "case.followed_up");
    SF_CHECK(followed && followed->followed_up_in_time && followed->followed_up_unix_ms >= followed->missed_unix_ms);
    if (followed)   /* the station holds it and followed it up itself: no one else to tell */
        NOTICES(followed, "");

    supervise.kind = SUPERVISE(SUPERVISE);
    supervise.note = "超期未办结，督办";
    head = sf_test_event_head(world.admin);
    Sifang__V1__Case *supervised = STEP(world.street, "CaseSupervise", &supervise);
    check_step("supervised", head, supervised, "case.supervised");
    SF_CHECK(supervised && supervised->supervision_level == 2);
    if (supervised)
        NOTICES(supervised, "S00001:8:assignee");
    supervise.kind = SUPERVISE(REFER_UP);
    supervise.note = "提请街道提级督办";
    head = sf_test_event_head(world.admin);
    Sifang__V1__Case *referred = STEP(world.street, "CaseSupervise", &supervise);
    check_step("referred up", head, referred, "case.referred_up");
    SF_CHECK(referred && referred->supervision_level == 3 && strcmp(referred->referred_to, T_STREET) == 0);
    /* The street's own cadre referred it: told of nothing he did himself. */
    if (referred)
        NOTICES(referred, "S00001:8:assignee");
    REFUSED(world.street, "CaseSupervise", &supervise, SF_FAILED_PRECONDITION, "kind", NULL);

    /* Past due is overdue before the sweep has marked it: 督办 allowed, and
     * a follow-up in time stands when the sweep later marks the miss. */
    Sifang__V1__Case *unswept = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "dispute-mediation",
                                                                                  CHANNEL(HOTLINE), "路灯不亮"));
    if (!SF_CHECK(unswept != NULL))
        return;
    sql_run("UPDATE intake.intake_case SET due_at = now() - interval '1 hour' WHERE id = %lld", (long long) unswept->id);
    supervise.ref = ref_of(unswept->id);
    supervise.kind = SUPERVISE(SUPERVISE);
    supervise.note = "已过时限，督办";
    Sifang__V1__Case *early = STEP(world.street, "CaseSupervise", &supervise);
    SF_CHECK(early && !early->overdue && early->supervision_level == 2);
    follow.ref = ref_of(unswept->id);
    head = sf_test_event_head(world.admin);
    Sifang__V1__Case *prompt = STEP(world.station, "CaseFollowUp", &follow);
    check_step("followed up before the sweep", head, prompt, "case.followed_up");
    SF_CHECK(prompt && prompt->followed_up_in_time && prompt->missed_unix_ms == prompt->due_unix_ms);
    sweep();
    Sifang__V1__Case *marked = case_now(unswept->id);
    SF_CHECK(marked && marked->overdue && marked->followed_up_in_time && prompt
             && marked->missed_unix_ms == prompt->missed_unix_ms);

    /* A follow-up a working day late is recorded, and not in time. */
    Sifang__V1__Case *late = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "dispute-mediation",
                                                                               CHANNEL(HOTLINE), "停车纠纷"));
    if (!SF_CHECK(late != NULL))
        return;
    sql_run("UPDATE intake.intake_case SET due_at = now() - interval '20 days' WHERE id = %lld", (long long) late->id);
    sweep();
    sql_run("UPDATE intake.intake_case SET missed_at = now() - interval '10 days' WHERE id = %lld",
            (long long) late->id);
    follow.ref = ref_of(late->id);
    head = sf_test_event_head(world.admin);
    Sifang__V1__Case *too_late = STEP(world.station, "CaseFollowUp", &follow);
    check_step("followed up late", head, too_late, "case.followed_up");
    SF_CHECK(too_late && !too_late->followed_up_in_time && too_late->followed_up_unix_ms > 0);
}

/* --- the sweep's ladder: reminders once each, referral after three handoffs ----- */

static void
test_sweep_ladder(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "dispute-mediation",
                                                                            CHANNEL(WINDOW), "楼道堆物"));
    if (!SF_CHECK(c != NULL))
        return;
    assign_to(world.street, c->id, "S00003");
    sql_run("UPDATE intake.intake_case SET due_at = now() + interval '1 hour' WHERE id = %lld", (long long) c->id);
    int64_t head = sf_test_event_head(world.admin);
    sweep();
    Sifang__V1__Case *reminded = case_now(c->id);
    check_step("reminded before due", head, reminded, "case.reminded");
    if (reminded) {
        SF_CHECK(reminded->supervision_level == 1 && strcmp(reminded->supervised_by, "intake-sweep") == 0);
        NOTICES(reminded, "S00001:2:first_responder S00003:2:assignee");
    }
    sweep();   /* once per due time */
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.case_history WHERE case_id = %lld AND action = 30",
             (long long) c->id);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);
    /* Past due more than the hours after: reminded again, once. */
    sql_run("UPDATE intake.intake_case SET due_at = now() - interval '5 hours' WHERE id = %lld", (long long) c->id);
    sweep();
    sweep();
    SF_CHECK_EQ_INT(intake_count(&world, sql), 2);
    /* After the deadline the reminder is supervision (to the community's
     * station, which the overdue step escalated it to). */
    snprintf(sql, sizeof sql, "SELECT string_agg(n.recipient_id || ':' || n.kind, ' ') FROM intake.notice n"
             " JOIN intake.case_history h ON h.case_id = n.case_id AND h.seq = n.case_seq"
             " WHERE n.case_id = %lld AND h.action = 30 AND h.seq = (SELECT max(seq) FROM intake.case_history"
             " WHERE case_id = %lld AND action = 30)", (long long) c->id, (long long) c->id);
    PGresult *told = query(sql);
    SF_CHECK_EQ_STR(PQntuples(told) ? PQgetvalue(told, 0, 0) : "", "S00001:8");
    PQclear(told);

    /* Three handoffs: the sweep refers it up to the street. */
    Sifang__V1__Case *bounced = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD, "dispute-mediation",
                                                                                  CHANNEL(WINDOW), "绿化带被占"));
    if (!SF_CHECK(bounced != NULL))
        return;
    assign_to(world.street, bounced->id, "S00003");
    assign_to(world.street, bounced->id, "S00002");
    Sifang__V1__Case *third = assign_to(world.street, bounced->id, "S00003");
    SF_CHECK(third && third->handoff_count == 3);
    head = sf_test_event_head(world.admin);
    sweep();
    Sifang__V1__Case *referred = case_now(bounced->id);
    check_step("referred up by the sweep", head, referred, "case.referred_up");
    if (referred) {
        SF_CHECK(referred->supervision_level == 3 && strcmp(referred->referred_to, T_STREET) == 0);
        NOTICES(referred, "S00001:8:first_responder S00002:4:referred_to S00003:8:assignee");
    }
}

/* --- the work-order rules' steps tell whoever must act next ------------------------ */

static void
test_work_order_notices(void)
{
    Sifang__V1__Case *c = SUBMIT_OK(world.station, intake_resident_request(T_HOUSEHOLD_2, "dispute-mediation",
                                                                            CHANNEL(WINDOW), "下水道堵塞"));
    if (!SF_CHECK(c != NULL))
        return;
    assign_to(world.station, c->id, "S00002");
    /* 退单: the community's dispatcher (its station: 王芳, also the first
     * responder) is told, as the dispatcher. */
    Sifang__V1__CaseSendBackRequest back = SIFANG__V1__CASE_SEND_BACK_REQUEST__INIT;
    back.ref = ref_of(c->id);
    back.reason = "不属于街道干部职责";
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *sent = STEP(world.street, "CaseSendBack", &back);
    check_step("sent back", head, sent, "case.sent_back");
    if (sent)
        NOTICES(sent, "S00001:10:dispatcher");
}

/* --- the inbox: unread first, paged, marked read --------------------------------- */

static void
test_inbox(void)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.notice WHERE recipient_id = 'S00001'");
    long long all = intake_count(&world, sql);
    SF_CHECK(all >= 6);
    /* Mark the newest read: it goes after every unread one. */
    long long newest = intake_count(&world, "SELECT max(id) FROM intake.notice WHERE recipient_id = 'S00001'");
    Sifang__V1__NoticeReadRequest mark = SIFANG__V1__NOTICE_READ_REQUEST__INIT;
    int64_t ids[1] = { newest };
    mark.ids = ids;
    mark.n_ids = 1;
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__NoticeReadReply *marked = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "NoticeRead", NULL, &mark.base, &sifang__v1__notice_read_reply__descriptor,
                                &marked, NULL), SF_OK);
    SF_CHECK(marked && marked->marked == 1 && marked->unread == all - 1);
    check_notice_event(head, notice_in_sql(newest), "notice.read");
    /* Someone else's notice is none of hers; nothing named is a violation. */
    int64_t hers = intake_count(&world, "SELECT min(id) FROM intake.notice WHERE recipient_id = 'S00003'");
    ids[0] = hers;
    intake_refused(world.station, "NoticeRead", &mark.base, &sifang__v1__notice_read_reply__descriptor, SF_NOT_FOUND,
                   "ids", NULL, __LINE__);
    mark.n_ids = 0;
    intake_refused(world.station, "NoticeRead", &mark.base, &sifang__v1__notice_read_reply__descriptor,
                   SF_INVALID_ARGUMENT, "ids", NULL, __LINE__);

    /* Pages of two: unread newest first, then the read one; every notice once. */
    Sifang__V1__NoticeListRequest list = SIFANG__V1__NOTICE_LIST_REQUEST__INIT;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 2;
    list.page = &page;
    int64_t seen[256];
    int n_seen = 0, pages = 0;
    bool read_seen = false;
    do {
        Sifang__V1__NoticeListReply *reply = NULL;
        if (!SF_CHECK_EQ_INT(intake_call(world.station, "NoticeList", NULL, &list.base,
                                         &sifang__v1__notice_list_reply__descriptor, &reply, NULL), SF_OK))
            return;
        SF_CHECK_EQ_INT(reply->unread, all - 1);
        for (size_t i = 0; i < reply->n_notices && n_seen < 256; i++) {
            const Sifang__V1__Notice *n = reply->notices[i];
            intake_case_compare("inbox", "notice", &n->base, &notice_in_sql(n->id)->base);
            if (n->read)
                read_seen = true;
            else if (read_seen)
                SF_FAIL("unread notice %lld after a read one", (long long) n->id);
            if (n_seen && n->id > seen[n_seen - 1] && !n->read)
                SF_FAIL("unread notices not newest first");
            seen[n_seen++] = n->id;
        }
        page.page_token = reply->next_page_token;
        pages++;
    } while (*page.page_token && pages < 100);
    SF_CHECK_EQ_INT(n_seen, all);
    SF_CHECK(read_seen && seen[n_seen - 1] == newest);
    page.page_token = "x12";
    intake_refused(world.station, "NoticeList", &list.base, &sifang__v1__notice_list_reply__descriptor,
                   SF_INVALID_ARGUMENT, "page.page_token", NULL, __LINE__);
    page.page_token = "";
    list.unread_only = true;
    page.page_size = 100;
    Sifang__V1__NoticeListReply *unread = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "NoticeList", NULL, &list.base, &sifang__v1__notice_list_reply__descriptor,
                                &unread, NULL), SF_OK);
    SF_CHECK(unread && (long long) unread->n_notices == all - 1);
    /* All read at once. */
    mark.all = true;
    SF_CHECK_EQ_INT(intake_call(world.station, "NoticeRead", NULL, &mark.base, &sifang__v1__notice_read_reply__descriptor,
                                &marked, NULL), SF_OK);
    SF_CHECK(marked && marked->marked == all - 1 && marked->unread == 0);
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.notice WHERE recipient_id = 'S00001'"
                                         " AND read_at IS NULL"), 0);
}

/* --- the new meeting kinds ------------------------------------------------------- */

static void
test_meetings(void)
{
    Sifang__V1__MeetingAttendee residents = SIFANG__V1__MEETING_ATTENDEE__INIT, committee = residents,
                                party = residents, units = residents, members = residents;
    residents.party = SIFANG__V1__MEETING_PARTY__MEETING_PARTY_RESIDENTS;
    residents.name = "居民代表";
    committee.party = SIFANG__V1__MEETING_PARTY__MEETING_PARTY_RESIDENTS_COMMITTEE;
    committee.name = "居委会";
    party.party = SIFANG__V1__MEETING_PARTY__MEETING_PARTY_PARTY_ORGANISATION;
    party.name = "街道党工委";
    units.party = SIFANG__V1__MEETING_PARTY__MEETING_PARTY_RESIDENT_UNIT;
    units.name = "驻区单位";
    members.party = SIFANG__V1__MEETING_PARTY__MEETING_PARTY_PARTY_MEMBERS;
    members.name = "区党代表";
    Sifang__V1__MeetingMatter matter = SIFANG__V1__MEETING_MATTER__INIT;
    matter.description = "小区停车难";
    matter.resolution = "协调共享车位";
    Sifang__V1__MeetingMatter *matters[] = { &matter };
    Sifang__V1__CommunityMeeting meeting = SIFANG__V1__COMMUNITY_MEETING__INIT;
    meeting.community_code = T_COMMUNITY;
    meeting.title = "社区恳谈会";
    meeting.matters = matters;
    meeting.n_matters = 1;
    char today[11];
    sf_date_format(sf_today(), today);
    meeting.held_on = today;
    Sifang__V1__MeetingAttendee *talks[] = { &residents, &committee };
    meeting.kind = SIFANG__V1__MEETING_KIND__MEETING_KIND_COMMUNITY_TALKS;
    meeting.attendees = talks;
    meeting.n_attendees = 1;
    intake_refused(world.station, "MeetingRecord", &meeting.base, &sifang__v1__community_meeting__descriptor,
                   SF_INVALID_ARGUMENT, "attendees", NULL, __LINE__);
    meeting.n_attendees = 2;
    Sifang__V1__CommunityMeeting *held = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "MeetingRecord", NULL, &meeting.base,
                                &sifang__v1__community_meeting__descriptor, &held, NULL), SF_OK);
    SF_CHECK(held && held->kind == SIFANG__V1__MEETING_KIND__MEETING_KIND_COMMUNITY_TALKS && held->n_matters == 1
             && held->matters[0]->case_id > 0);

    Sifang__V1__MeetingAttendee *studio[] = { &members, &residents };
    meeting.kind = SIFANG__V1__MEETING_KIND__MEETING_KIND_PARTY_REP_STUDIO;
    meeting.title = "党代表工作室接待日";
    meeting.attendees = studio;
    meeting.n_attendees = 1;
    SF_CHECK_EQ_INT(intake_call(world.station, "MeetingRecord", NULL, &meeting.base,
                                &sifang__v1__community_meeting__descriptor, &held, NULL), SF_OK);
    SF_CHECK(held && held->kind == SIFANG__V1__MEETING_KIND__MEETING_KIND_PARTY_REP_STUDIO);

    /* The street's joint meeting is held by the street, under its code. */
    Sifang__V1__MeetingAttendee *joint[] = { &party, &units };
    meeting.kind = SIFANG__V1__MEETING_KIND__MEETING_KIND_STREET_JOINT;
    meeting.title = "街道党建联席会议";
    meeting.attendees = joint;
    meeting.n_attendees = 2;
    intake_refused(world.street, "MeetingRecord", &meeting.base, &sifang__v1__community_meeting__descriptor,
                   SF_INVALID_ARGUMENT, "community_code", NULL, __LINE__);
    meeting.community_code = T_STREET;
    meeting.n_attendees = 1;
    intake_refused(world.street, "MeetingRecord", &meeting.base, &sifang__v1__community_meeting__descriptor,
                   SF_INVALID_ARGUMENT, "attendees", NULL, __LINE__);
    meeting.n_attendees = 2;
    SF_CHECK_EQ_INT(intake_call(world.street, "MeetingRecord", NULL, &meeting.base,
                                &sifang__v1__community_meeting__descriptor, &held, NULL), SF_OK);
    if (SF_CHECK(held != NULL)) {
        SF_CHECK_EQ_INT(held->kind, SIFANG__V1__MEETING_KIND__MEETING_KIND_STREET_JOINT);
        SF_CHECK_EQ_STR(held->community_code, T_STREET);
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.community_meeting WHERE id = %lld AND kind = 6"
                 " AND community_code = '" T_STREET "'", (long long) held->id);
        SF_CHECK_EQ_INT(intake_count(&world, sql), 1);
    }
}

/* --- the calendar: the warning, and a year's file -------------------------------- */

static long long
days_until_stat(void)
{
    Sifang__V1__StatsRequest request = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *stats = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.admin, "Sys.Stats", NULL, &request.base, &sifang__v1__stats_reply__descriptor,
                                     &stats, NULL), SF_OK))
        return -100;
    for (size_t i = 0; i < stats->n_followers; i++)
        if (strcmp(stats->followers[i]->status, "calendar.days_until_year_without_calendar") == 0)
            return stats->followers[i]->count;
    SF_FAIL("Sys.Stats has no calendar figure");
    return -100;
}

static int
run_tool(const char *file, char *output, size_t size)
{
    char path[512], out_path[512];
    snprintf(path, sizeof path, "%s/services/intake/sifang-intake-calendar", sf_test_binary_dir());
    snprintf(out_path, sizeof out_path, "%s/calendar.out", world.dir);
    setenv("SIFANG_INTAKE_ENDPOINT", world.intake_endpoint, 1);
    /* Its faults and warnings are on stderr: both are read. */
    const char *argv[] = { "/bin/sh", "-c", "exec \"$0\" \"$1\" 2>&1", path, file, NULL };
    int status = sf_test_run(argv, out_path);
    FILE *in = fopen(out_path, "r");
    size_t n = in ? fread(output, 1, size - 1, in) : 0;
    output[n] = 0;
    if (in)
        fclose(in);
    return status;
}

static void
test_calendar(void)
{
    /* The next year has no calendar yet (the test runs with a warning of a
     * year's days): the district's staff are told, once; Sys.Stats says
     * how many days are left. */
    char year[8];
    PGresult *r = query("SELECT to_char(date_trunc('year', (now() AT TIME ZONE 'Asia/Shanghai')::date + 366), 'YYYY'),"
                        " (date_trunc('year', (now() AT TIME ZONE 'Asia/Shanghai')::date + 366)::date"
                        "  - (now() AT TIME ZONE 'Asia/Shanghai')::date)");
    snprintf(year, sizeof year, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    long long days = PQntuples(r) ? atoll(PQgetvalue(r, 0, 1)) : -1;
    PQclear(r);
    sweep();
    sweep();
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.notice WHERE recipient_id = '%s' AND kind = 13"
             " AND topic = 'calendar:%s' AND reason = 'admin' AND body LIKE '%%%s%%'", leader_id, year, year);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);
    SF_CHECK_EQ_INT(days_until_stat(), days);

    /* A faulty file is refused whole: nothing of it is loaded. */
    char file[512], output[4096];
    snprintf(file, sizeof file, "%s/bad.txt", world.dir);
    FILE *out = fopen(file, "w");
    if (!SF_CHECK(out != NULL))
        return;
    fputs("year 2027\nstatus notice\nholiday 2027-01-01 元旦\nworkday 2027-01-04 调休上班\n", out);
    fclose(out);
    SF_CHECK_EQ_INT(run_tool(file, output, sizeof output), 1);
    SF_CHECK(strstr(output, "line 4: 2027-01-04 is a weekday") != NULL);
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.calendar_exception"
                                         " WHERE day BETWEEN '2027-01-01' AND '2027-12-31'"), 0);
    /* The shipped 2027 file: its weekday holidays become the year's
     * exceptions (holidays on a weekend are rest days anyway). */
    snprintf(file, sizeof file, "%s/services/intake/calendar/2027.txt", sf_test_source_dir());
    SF_CHECK_EQ_INT(run_tool(file, output, sizeof output), 0);
    SF_CHECK(strstr(output, "status pattern") != NULL);   /* it says it is the pattern */
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.calendar_exception"
                                         " WHERE day BETWEEN '2027-01-01' AND '2027-12-31' AND NOT working"), 7);
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.working_day"
                                         " WHERE day BETWEEN '2027-01-01' AND '2027-12-31'"), 261 - 7);
    /* Loaded again: nothing changes. */
    SF_CHECK_EQ_INT(run_tool(file, output, sizeof output), 0);
    SF_CHECK(strstr(output, "0 days changed") != NULL);
    SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM intake.calendar_year WHERE year = 2027 AND status = 2"
                                         " AND source LIKE '全国年节及纪念日放假办法%'"), 1);
    /* The pattern is not the calendar: while the coming year has only its
     * pattern the warning goes on. */
    sweep();
    if (strcmp(year, "2027") == 0)
        SF_CHECK_EQ_INT(days_until_stat(), days);
    /* Days set one by one leave the year's status as it is. */
    Sifang__V1__IntakeCalendarDay day = SIFANG__V1__INTAKE_CALENDAR_DAY__INIT;
    char date[16];
    snprintf(date, sizeof date, "%s-01-01", year);
    day.date = date;
    day.note = "元旦";
    Sifang__V1__IntakeCalendarDay *list[] = { &day };
    Sifang__V1__IntakeCalendarSetRequest set = SIFANG__V1__INTAKE_CALENDAR_SET_REQUEST__INIT;
    set.days = list;
    set.n_days = 1;
    Sifang__V1__IntakeCalendarSetReply *set_reply = NULL;
    if (SF_CHECK_EQ_INT(intake_call(world.admin, "CalendarSet", NULL, &set.base,
                                    &sifang__v1__intake_calendar_set_reply__descriptor, &set_reply, NULL), SF_OK)) {
        SF_CHECK_EQ_INT(set_reply->year->year, atoi(year));
    }
    /* A status with less than the whole year is refused. */
    set.year_status = SIFANG__V1__CALENDAR_YEAR_STATUS__CALENDAR_YEAR_STATUS_NOTICE;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CalendarSet", NULL, &set.base,
                                &sifang__v1__intake_calendar_set_reply__descriptor, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(info.message && strstr(info.message, "every day of one year") != NULL);
    sweep();
    SF_CHECK_EQ_INT(days_until_stat(), days);
    /* With the coming year's notice in, the warning is over. */
    snprintf(file, sizeof file, "%s/notice.txt", world.dir);
    out = fopen(file, "w");
    if (!SF_CHECK(out != NULL))
        return;
    fprintf(out, "year %s\nstatus notice\nsource 国办发明电〔%d〕9号\nholiday %s-01-01 元旦\n", year, atoi(year) - 1, year);
    fclose(out);
    SF_CHECK_EQ_INT(run_tool(file, output, sizeof output), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.calendar_year WHERE year = %s AND status = 1"
             " AND source = '国办发明电〔%d〕9号'", year, atoi(year) - 1);
    SF_CHECK_EQ_INT(intake_count(&world, sql), 1);
    /* CalendarList names the year's status with its days. */
    Sifang__V1__IntakeCalendarListRequest list_request = SIFANG__V1__INTAKE_CALENDAR_LIST_REQUEST__INIT;
    char from[16], to[16];
    snprintf(from, sizeof from, "%s-01-01", year);
    snprintf(to, sizeof to, "%s-01-31", year);
    list_request.from = from;
    list_request.to = to;
    Sifang__V1__IntakeCalendarListReply *listed = NULL;
    if (SF_CHECK_EQ_INT(intake_call(world.admin, "CalendarList", NULL, &list_request.base,
                                    &sifang__v1__intake_calendar_list_reply__descriptor, &listed, NULL), SF_OK)) {
        if (SF_CHECK_EQ_INT(listed->n_years, 1)) {
            SF_CHECK_EQ_INT(listed->years[0]->year, atoi(year));
            SF_CHECK_EQ_INT(listed->years[0]->status, SIFANG__V1__CALENDAR_YEAR_STATUS__CALENDAR_YEAR_STATUS_NOTICE);
            char want[64];
            snprintf(want, sizeof want, "国办发明电〔%d〕9号", atoi(year) - 1);
            SF_CHECK_EQ_STR(listed->years[0]->source, want);
            snprintf(sql, sizeof sql, "SELECT (extract(epoch FROM loaded_at) * 1000)::bigint FROM intake.calendar_year"
                     " WHERE year = %s", year);
            SF_CHECK_EQ_INT(listed->years[0]->loaded_unix_ms, intake_count(&world, sql));
        }
    }
    sweep();
    SF_CHECK_EQ_INT(days_until_stat(), -1);
}

/* A district leader in grid, followed into intake's copy. */
static bool
add_leader(void)
{
    Sifang__V1__Staff staff = SIFANG__V1__STAFF__INIT;
    staff.name = "孙伟";
    staff.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_DISTRICT_LEADER;
    staff.unit_code = T_DISTRICT;
    Sifang__V1__Staff *made = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(sf_client_call(world.grid_admin, "StaffCreate", NULL, &staff.base, &sifang__v1__staff__descriptor,
                                        (ProtobufCMessage **) &made, &info), SF_OK))
        return false;
    snprintf(leader_id, sizeof leader_id, "%s", made->id);
    protobuf_c_message_free_unpacked(&made->base, NULL);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.ref_staff WHERE id = '%s'", leader_id);
    return SF_CHECK_EQ_INT(intake_wait_count(&world, sql, 1, 10000), 1);
}

int
main(void)
{
    /* The timer's sweep stays out of the way (CaseSweep runs it when the
     * test says); a year's warning always covers the next year. */
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", "SIFANG_INTAKE_SWEEP_MS=86400000",
                            "SIFANG_INTAKE_CALENDAR_WARN_DAYS=366", NULL };
    if (intake_world_start(&world, "intake_follow", extra) && add_leader()) {
        intake_steps_begin(&world, FIRST_FIELD_COMPARED_HERE, LAST_FIELD_COMPARED_HERE);
        zhao = sf_client_new(world.intake_endpoint, NULL);
        sf_client_set_principal(zhao, "S00003", "community", T_COMMUNITY_2);
        test_assignment_and_rework();
        test_supervision_and_follow_up();
        test_sweep_ladder();
        test_work_order_notices();
        test_inbox();
        test_meetings();
        test_calendar();
        sf_client_destroy(&zhao);
    }
    intake_steps_end();
    intake_world_stop(&world);
    return sf_test_done();
}
