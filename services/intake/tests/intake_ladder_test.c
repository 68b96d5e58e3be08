/* Issue 18's ladder through the real daemons (grid and intake on the test
 * cluster): grid names a community's and a street's head (负责人) and a
 * community's reviewer (审核人), refusing a zone, a cadre of another level
 * and a second head; the deadline sweep escalates an overdue case to the
 * community's head, then the street's, each told alone, and a community
 * without a head keeps the case itself (its staff told, the Sys.Stats
 * warning figure counting it); the reply of a complaint is signed by the
 * named reviewer and refused to the writer, the street and the admin; and
 * the resident is told (the outbox): the rework and the closure each a
 * message in its step's transaction, read by the SMS integration in the
 * clear and by others masked, acknowledged delivered or failed, at least
 * once and idempotently, each change an event. Every reply and event is
 * compared field by field with SQL; every refusal with its field and that
 * it wrote nothing. */
#include "intake_test_steps.h"
#include "intake_test_orders.h"
#include "sf_ids.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS(expr) "coalesce((extract(epoch FROM " expr ") * 1000)::bigint, 0)"
#define CHANNEL(name) SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_##name
#define STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define TYPE(name) SIFANG__V1__CASE_TYPE__CASE_TYPE_##name
#define KIND(name) SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_##name

static intake_world_t world;
#include "sf_test_person.h"

/* --- who answers for a unit, in grid ------------------------------------------ */

static char head_id[16], reviewer_id[16], street_head_id[16];

static bool
make_staff(const char *name, Sifang__V1__StaffKind kind, const char *unit, char id[16])
{
    Sifang__V1__Staff staff = SIFANG__V1__STAFF__INIT;
    staff.name = (char *) name;
    staff.kind = kind;
    staff.unit_code = (char *) unit;
    Sifang__V1__Staff *made = NULL;
    if (!SF_CHECK_EQ_INT(sf_client_call(world.grid_admin, "StaffCreate", NULL, &staff.base,
                                        &sifang__v1__staff__descriptor, (ProtobufCMessage **) &made, NULL), SF_OK))
        return false;
    snprintf(id, 16, "%s", made->id);
    protobuf_c_message_free_unpacked(&made->base, NULL);
    return true;
}

#define DUTY(name) SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_##name

/* Assigns a duty through grid's API; the reply against grid's row. */
static void
assign_duty(const char *staff_id, const char *unit, Sifang__V1__ResponsibilityKind kind, sf_status_t want,
            const char *field)
{
    Sifang__V1__Responsibility duty = SIFANG__V1__RESPONSIBILITY__INIT;
    duty.staff_id = (char *) staff_id;
    duty.unit_code = (char *) unit;
    duty.kind = kind;
    long long before = intake_count(&world, "SELECT count(*) FROM grid.responsibility");
    Sifang__V1__Responsibility *made = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(world.grid_admin, "ResponsibilityAssign", NULL, &duty.base,
                                        &sifang__v1__responsibility__descriptor, (ProtobufCMessage **) &made, &info);
    if (!SF_CHECK_EQ_INT(status, want) || (field && !SF_CHECK(intake_has_violation(&info, field))))
        fprintf(stderr, "ResponsibilityAssign %s %s %d: %s\n", staff_id, unit, kind, info.message ? info.message : "");
    if (want != SF_OK) {
        SF_CHECK_EQ_INT(intake_count(&world, "SELECT count(*) FROM grid.responsibility"), before);
        return;
    }
    if (!SF_CHECK(made))
        return;
    char text[700];
    snprintf(text, sizeof text, "SELECT count(*) FROM grid.responsibility r JOIN grid.staff s ON s.serial ="
             " r.staff_serial JOIN grid.org_unit u ON u.code = r.unit_code WHERE 'S' || lpad(s.serial::text, 5, '0')"
             " = '%s' AND r.unit_code = '%s' AND r.kind = %d AND s.name = '%s' AND u.name = '%s'"
             " AND " MS("r.since") " = %lld", made->staff_id, made->unit_code, made->kind, made->staff_name,
             made->unit_name, (long long) made->since_unix_ms);
    SF_CHECK_EQ_INT(intake_count(&world, text), 1);
    SF_CHECK_EQ_STR(made->staff_id, staff_id);
    protobuf_c_message_free_unpacked(&made->base, NULL);
}

static void
test_grid_duties(void)
{
    if (!SF_CHECK(make_staff("钱立", SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE, T_COMMUNITY, head_id))
        || !SF_CHECK(make_staff("孙审", SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE, T_COMMUNITY,
                                reviewer_id))
        || !SF_CHECK(make_staff("周街", SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE, T_STREET, street_head_id)))
        return;
    assign_duty(head_id, T_COMMUNITY, DUTY(UNIT_HEAD), SF_OK, NULL);
    assign_duty(reviewer_id, T_COMMUNITY, DUTY(UNIT_REVIEWER), SF_OK, NULL);
    assign_duty(street_head_id, T_STREET, DUTY(UNIT_HEAD), SF_OK, NULL);
    /* A zone has no head; a street cadre heads no community; one head per unit. */
    assign_duty(head_id, T_ZONE, DUTY(UNIT_HEAD), SF_FAILED_PRECONDITION, "unit_code");
    assign_duty("S00002", T_COMMUNITY, DUTY(UNIT_REVIEWER), SF_FAILED_PRECONDITION, "staff_id");
    assign_duty("S00001", T_COMMUNITY, DUTY(UNIT_HEAD), SF_ALREADY_EXISTS, "unit_code");
    /* Intake's copy of grid has them (escalation and review read it). */
    SF_CHECK_EQ_INT(intake_wait_count(&world, "SELECT count(*) FROM intake.ref_responsibility WHERE kind IN (5, 6)",
                                      3, 10000), 3);
}

/* --- escalation to the next level's responsible person ------------------------ */

static int
last_seq(int64_t id)
{
    return (int) intake_sql_count("SELECT version FROM intake.intake_case WHERE id = %lld", id);
}

static long long
stats_figure(const char *name)
{
    Sifang__V1__StatsRequest request = SIFANG__V1__STATS_REQUEST__INIT;
    Sifang__V1__StatsReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.admin, "Sys.Stats", NULL, &request.base,
                                     &sifang__v1__stats_reply__descriptor, &reply, NULL), SF_OK) || !reply)
        return -1;
    for (size_t i = 0; i < reply->n_followers; i++)
        if (strcmp(reply->followers[i]->status, name) == 0)
            return reply->followers[i]->count;
    return -1;
}

static void
test_escalation(void)
{
    Sifang__V1__Case *c = intake_register_case(T_HOUSEHOLD, "appliance-repair", TYPE(HELP), "楼道灯不亮");
    if (!SF_CHECK(c))
        return;
    char want[200], text[400];
    /* Overdue: the community's head takes it, not its station; only the head
     * (and the first responder) are told. */
    intake_sql("UPDATE intake.intake_case SET due_at = now() - interval '1 hour' WHERE id = %lld", c->id);
    int64_t head = sf_test_event_head(world.admin);
    intake_sweep_now();
    intake_case_check_step("CaseSweep (overdue, to the community's head)", head, NULL, c->id, "case.overdue");
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.intake_case WHERE id = %lld AND assignee_kind = 2"
             " AND assignee_code = '%s' AND assignee_name = '钱立' AND waiting_kind = 2 AND waiting_code = '%s'"
             " AND escalated_to = '" T_COMMUNITY "' AND escalated_person_id = '%s'"
             " AND escalated_person_name = '钱立' AND assignment = 2", (long long) c->id, head_id, head_id, head_id);
    SF_CHECK_EQ_INT(intake_count(&world, text), 1);
    snprintf(want, sizeof want, "S00001:3:first_responder %s:4:escalated_to", head_id);
    intake_check_step_notices(&world, head, c->id, last_seq(c->id), want, __LINE__);

    /* Still open: the street's head. */
    intake_sql("UPDATE intake.intake_case SET escalated_at = now() - interval '25 hours',"
        " receipt_due_at = now() + interval '1 hour', first_response_due_at = now() + interval '1 hour'"
        " WHERE id = %lld", c->id);
    head = sf_test_event_head(world.admin);
    intake_sweep_now();
    intake_case_check_step("CaseSweep (escalated, to the street's head)", head, NULL, c->id, "case.escalated");
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.intake_case WHERE id = %lld AND assignee_kind = 2"
             " AND assignee_code = '%s' AND escalated_to = '" T_STREET "' AND escalated_person_id = '%s'"
             " AND escalation_level = 2 AND assignment = 3", (long long) c->id, street_head_id, street_head_id);
    SF_CHECK_EQ_INT(intake_count(&world, text), 1);
    snprintf(want, sizeof want, "S00001:4:first_responder %s:4:escalated_to", street_head_id);
    intake_check_step_notices(&world, head, c->id, last_seq(c->id), want, __LINE__);
    SF_CHECK_EQ_INT((int) stats_figure("escalation.units_without_head"), 0);

    /* A community without a head named: its station holds the case, its
     * staff are told, and the figure counts it. */
    Sifang__V1__CaseSubmitRequest *request = intake_resident_request(T_HOUSEHOLD_OTHER, "appliance-repair",
                                                                     CHANNEL(HOTLINE), "水管漏水");
    Sifang__V1__Case *other = SUBMIT_OK(world.admin, request);
    if (!SF_CHECK(other))
        return;
    intake_sql("UPDATE intake.intake_case SET due_at = now() - interval '1 hour', status = 3, assignee_kind = 2,"
        " assignee_code = 'S00003', assignee_name = '赵敏', assignment = 1 WHERE id = %lld", other->id);
    head = sf_test_event_head(world.admin);
    intake_sweep_now();
    intake_case_check_step("CaseSweep (overdue, no head named)", head, NULL, other->id, "case.overdue");
    SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND assignee_kind = 3"
                                    " AND assignee_code = '" T_COMMUNITY_2 "' AND escalated_person_id = ''",
                                    other->id), 1);
    intake_check_step_notices(&world, head, other->id, last_seq(other->id), "S00003:4:escalated_to", __LINE__);
    SF_CHECK_EQ_INT((int) stats_figure("escalation.units_without_head"), 1);
}

/* --- 审核 by the unit's reviewer --------------------------------------------- */

static Sifang__V1__Case *
resolve(sf_client_t *as, int64_t id, const char *words)
{
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = intake_ref_of(id);
    resolve.resolution = (char *) words;
    return intake_case_step(as, "CaseResolve", &resolve.base, id, "case.resolved");
}

static int64_t complaint_id;

/* The read-time review.expected_reviewer of a case as its writer reads it:
 * grid's reviewer of the community while the reply is pending, none after. */
static void
check_expected_reviewer(int64_t id, bool pending)
{
    const Sifang__V1__CaseRef *ref = intake_ref_of(id);
    Sifang__V1__Case *got = NULL;
    Sifang__V1__CaseHistoryReply *history = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.station, "CaseGet", NULL, &ref->base, &sifang__v1__case__descriptor,
                                     &got, NULL), SF_OK)
        || !SF_CHECK_EQ_INT(intake_call(world.station, "CaseHistory", NULL, &ref->base,
                                        &sifang__v1__case_history_reply__descriptor, &history, NULL), SF_OK)
        || !SF_CHECK(got && got->review && history && history->current && history->current->review))
        return;
    const Sifang__V1__CaseAssignee *seen[2] = { got->review->expected_reviewer,
                                                history->current->review->expected_reviewer };
    for (int i = 0; i < 2; i++) {
        if (!pending) {
            SF_CHECK(seen[i] == NULL);
            continue;
        }
        if (!SF_CHECK(seen[i]))
            continue;
        SF_CHECK_EQ_INT(seen[i]->kind, KIND(STAFF));
        SF_CHECK_EQ_STR(seen[i]->code, reviewer_id);
        SF_CHECK_EQ_STR(seen[i]->name, "孙审");
        SF_CHECK_EQ_STR(seen[i]->route, "reviewer");
    }
}

static void
test_review(sf_client_t *reviewer)
{
    Sifang__V1__Case *c = intake_register_case(T_HOUSEHOLD, "appliance-repair", TYPE(COMPLAINT), "投诉维修拖延");
    if (!SF_CHECK(c))
        return;
    complaint_id = c->id;
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *resolved = resolve(world.station, c->id, "已上门维修");
    /* Waiting on the reviewer grid names for the community, told alone. */
    if (SF_CHECK(resolved && resolved->waiting_on)) {
        SF_CHECK_EQ_INT(resolved->waiting_on->kind, KIND(STAFF));
        SF_CHECK_EQ_STR(resolved->waiting_on->code, reviewer_id);
        SF_CHECK_EQ_STR(resolved->waiting_on->route, "reviewer");
    }
    char want[120];
    snprintf(want, sizeof want, "%s:12:reviewer", reviewer_id);
    intake_check_step_notices(&world, head, c->id, last_seq(c->id), want, __LINE__);

    /* Anyone else is refused: the writer, the street, the district's admin. */
    Sifang__V1__CaseReviewRequest review = SIFANG__V1__CASE_REVIEW_REQUEST__INIT;
    review.ref = intake_ref_of(c->id);
    review.approved = true;
    REFUSED(world.station, "CaseReview", &review, SF_PERMISSION_DENIED, NULL, "is yours");
    REFUSED(world.street, "CaseReview", &review, SF_PERMISSION_DENIED, NULL, "审核人");
    REFUSED(world.admin, "CaseReview", &review, SF_PERMISSION_DENIED, NULL, reviewer_id);
    /* Before signing, the case says whom it waits on, by the rule the step
     * checks: CaseGet and CaseHistory (the case page's read), to the writer. */
    check_expected_reviewer(c->id, true);
    /* The reviewer signs: the signature is theirs. */
    review.note = "核实属实，同意";
    Sifang__V1__Case *signed_case = intake_case_step(reviewer, "CaseReview", &review.base, c->id, "case.review_approved");
    if (SF_CHECK(signed_case && signed_case->review)) {
        SF_CHECK_EQ_STR(signed_case->review->reviewer_id, reviewer_id);
        SF_CHECK_EQ_STR(signed_case->review->reviewer_name, "孙审");
    }
    char text[300];
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.intake_case WHERE id = %lld AND review_state = 2"
             " AND reviewer_id = '%s' AND review_note = '核实属实，同意'", (long long) c->id, reviewer_id);
    SF_CHECK_EQ_INT(intake_count(&world, text), 1);
    check_expected_reviewer(c->id, false);

    /* The return visit finds it unsatisfactory: rework (the resident is
     * told), resolved again, reviewed again, then closed (told again). */
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = intake_ref_of(c->id);
    close.satisfaction = 2;
    close.note = "仍未修好";
    intake_case_step(world.station, "CaseClose", &close.base, c->id, "case.reopened");
    resolve(world.station, c->id, "更换配件后修复");
    review.note = "";
    intake_case_step(reviewer, "CaseReview", &review.base, c->id, "case.review_approved");
    close.satisfaction = 5;
    close.note = "";
    intake_case_step(world.station, "CaseClose", &close.base, c->id, "case.closed");
}

/* --- the resident told ----------------------------------------------------------- */

#define MSTATE(name) SIFANG__V1__RESIDENT_MESSAGE_STATE__RESIDENT_MESSAGE_STATE_##name

/* The message as SQL has it, the phone in the clear or masked. */
static Sifang__V1__ResidentMessage *
message_in_sql(int64_t id, bool clear)
{
    char text[600];
    snprintf(text, sizeof text, "SELECT id, case_id, registration_number, case_seq, reason, channel, phone, body,"
             " unit_code, state, " MS("created_at") ", " MS("acked_at") ", acked_by, provider_ref, error, failures"
             " FROM intake.resident_message WHERE id = %lld", (long long) id);
    PGresult *r = PQexec(world.db, text);
    if (!SF_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)) {
        PQclear(r);
        return NULL;
    }
    intake_steps_keep_result(r);
    Sifang__V1__ResidentMessage *m = intake_steps_make(sizeof *m);
    sifang__v1__resident_message__init(m);
    int k = 0;
    m->id = intake_num(r, &k);
    m->case_id = intake_num(r, &k);
    m->registration_number = (char *) intake_col(r, &k);
    m->case_seq = intake_num(r, &k);
    m->reason = intake_num(r, &k);
    m->channel = (char *) intake_col(r, &k);
    m->phone = (char *) intake_col(r, &k);
    if (!clear) {
        char *masked = intake_steps_make(SF_MASK_SIZE);
        sf_phone_mask(m->phone, masked, SF_MASK_SIZE);
        m->phone = masked;
    }
    m->text = (char *) intake_col(r, &k);
    m->unit_code = (char *) intake_col(r, &k);
    m->state = intake_num(r, &k);
    m->created_unix_ms = intake_num(r, &k);
    m->acked_unix_ms = intake_num(r, &k);
    m->acked_by = (char *) intake_col(r, &k);
    m->provider_ref = (char *) intake_col(r, &k);
    m->error = (char *) intake_col(r, &k);
    m->failures = intake_num(r, &k);
    return m;
}

/* The resident_message.* events after head: how many, each against SQL
 * (masked). */
static int
message_events(int64_t head, const char *type)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    fetch.limit = 1000;
    Sifang__V1__EventsFetchReply *reply = NULL;
    if (!SF_CHECK_EQ_INT(intake_call(world.admin, "Sys.EventsFetch", NULL, &fetch.base,
                                     &sifang__v1__events_fetch_reply__descriptor, &reply, NULL), SF_OK) || !reply)
        return -1;
    int n = 0;
    for (size_t i = 0; i < reply->n_events; i++) {
        const Sifang__V1__Event *event = reply->events[i];
        if (strncmp(event->type, "resident_message.", 17) != 0)
            continue;
        if (!SF_CHECK_EQ_STR(event->type, type))
            continue;
        Sifang__V1__ResidentMessage *got = intake_keep((ProtobufCMessage *)
            sifang__v1__resident_message__unpack(NULL, event->payload.len, event->payload.data));
        Sifang__V1__ResidentMessage *want = got ? message_in_sql(got->id, false) : NULL;
        if (SF_CHECK(got && want))
            intake_case_compare(type, "event", &got->base, &want->base);
        n++;
    }
    return n;
}

static Sifang__V1__ResidentMessageListReply *
list_messages(sf_client_t *as, Sifang__V1__ResidentMessageState state)
{
    Sifang__V1__ResidentMessageListRequest list = SIFANG__V1__RESIDENT_MESSAGE_LIST_REQUEST__INIT;
    list.state = state;
    list.case_id = complaint_id;
    Sifang__V1__ResidentMessageListReply *reply = NULL;
    SF_CHECK_EQ_INT(intake_call(as, "ResidentMessageList", NULL, &list.base,
                                &sifang__v1__resident_message_list_reply__descriptor, &reply, NULL), SF_OK);
    return reply;
}

static Sifang__V1__ResidentMessage *
ack(sf_client_t *as, int64_t id, Sifang__V1__ResidentMessageState outcome, const char *ref, const char *error,
    const char *event_type)
{
    Sifang__V1__ResidentMessageAckRequest request = SIFANG__V1__RESIDENT_MESSAGE_ACK_REQUEST__INIT;
    request.id = id;
    request.outcome = outcome;
    request.provider_ref = (char *) ref;
    request.error = (char *) error;
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__ResidentMessage *reply = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(intake_call(as, "ResidentMessageAck", NULL, &request.base,
                                     &sifang__v1__resident_message__descriptor, &reply, &info), SF_OK)) {
        fprintf(stderr, "ResidentMessageAck: %s\n", info.message ? info.message : "");
        return NULL;
    }
    Sifang__V1__ResidentMessage *want = message_in_sql(id, true);
    if (SF_CHECK(reply && want))
        intake_case_compare("ResidentMessageAck", "reply", &reply->base, &want->base);
    /* A repeated acknowledgement changes nothing and tells no one. */
    SF_CHECK_EQ_INT(message_events(head, event_type ? event_type : "-"), event_type ? 1 : 0);
    return reply;
}

static void
test_resident_told(sf_client_t *integration, sf_client_t *outsider)
{
    /* The complaint's rework and closure, each a message in its step's
     * transaction: the step's seq, what was said, to which phone. */
    char text[700];
    snprintf(text, sizeof text, "SELECT count(*) FROM intake.resident_message m JOIN intake.case_history h"
             " ON h.case_id = m.case_id AND h.seq = m.case_seq WHERE m.case_id = %lld"
             " AND ((h.action = 33 AND m.reason = 3 AND m.body LIKE '%%将重新办理%%')"
             "   OR (h.action = 6 AND m.reason = 2 AND m.body LIKE '%%已办结%%'))"
             " AND " MS("m.created_at") " = " MS("h.at") " AND m.phone = '13812345678' AND m.state = 1"
             " AND m.unit_code = '" T_ZONE "'", (long long) complaint_id);
    SF_CHECK_EQ_INT(intake_count(&world, text), 2);
    /* The integration reads them in the clear, oldest first. */
    Sifang__V1__ResidentMessageListReply *pending = list_messages(integration, MSTATE(PENDING));
    if (!SF_CHECK(pending && pending->n_messages == 2))
        return;
    for (size_t i = 0; i < 2; i++) {
        Sifang__V1__ResidentMessage *want = message_in_sql(pending->messages[i]->id, true);
        if (SF_CHECK(want))
            intake_case_compare("ResidentMessageList (integration)", "message", &pending->messages[i]->base, &want->base);
    }
    SF_CHECK(pending->messages[0]->id < pending->messages[1]->id);
    int64_t rework = pending->messages[0]->id, closed = pending->messages[1]->id;
    /* Staff without the case's duty see the phone masked. */
    Sifang__V1__ResidentMessageListReply *seen = list_messages(outsider, 0);
    if (SF_CHECK(seen && seen->n_messages == 2)) {
        Sifang__V1__ResidentMessage *want = message_in_sql(seen->messages[0]->id, false);
        if (SF_CHECK(want))
            intake_case_compare("ResidentMessageList (outsider)", "message", &seen->messages[0]->base, &want->base);
    }
    /* The events of their creation, masked: two, from the steps. */
    SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.event_log WHERE type = 'resident_message.created'"
                                    " AND key IN (SELECT id::text FROM intake.resident_message WHERE case_id = %lld)",
                                    complaint_id), 2);

    /* Acknowledged: delivered, then the same again (nothing changes);
     * failed (the error required), then delivered on a retry. */
    ack(integration, rework, MSTATE(DELIVERED), "SMS-0001", "", "resident_message.delivered");
    ack(integration, rework, MSTATE(DELIVERED), "SMS-0001", "", NULL);
    Sifang__V1__ResidentMessageAckRequest bad = SIFANG__V1__RESIDENT_MESSAGE_ACK_REQUEST__INIT;
    bad.id = closed;
    bad.outcome = MSTATE(FAILED);
    REFUSED(integration, "ResidentMessageAck", &bad, SF_INVALID_ARGUMENT, "error", NULL);
    bad.outcome = MSTATE(PENDING);
    REFUSED(integration, "ResidentMessageAck", &bad, SF_INVALID_ARGUMENT, "outcome", NULL);
    Sifang__V1__ResidentMessage *failed = ack(integration, closed, MSTATE(FAILED), "", "号码停机",
                                              "resident_message.failed");
    SF_CHECK(failed && failed->failures == 1 && failed->state == MSTATE(FAILED));
    ack(integration, closed, MSTATE(FAILED), "", "号码停机", NULL);
    Sifang__V1__ResidentMessage *delivered = ack(integration, closed, MSTATE(DELIVERED), "SMS-0002", "",
                                                 "resident_message.delivered");
    SF_CHECK(delivered && delivered->failures == 1 && strcmp(delivered->acked_by, "sms-gateway") == 0);
    /* Delivered stays delivered; only the integration acknowledges; an
     * unknown message is not found. */
    bad.id = rework;
    bad.outcome = MSTATE(FAILED);
    bad.error = "late failure";
    REFUSED(integration, "ResidentMessageAck", &bad, SF_FAILED_PRECONDITION, "outcome", "delivered already");
    REFUSED(world.station, "ResidentMessageAck", &bad, SF_PERMISSION_DENIED, NULL, NULL);
    bad.id = 999999;
    REFUSED(integration, "ResidentMessageAck", &bad, SF_NOT_FOUND, "id", NULL);
    pending = list_messages(integration, MSTATE(PENDING));
    SF_CHECK(pending && pending->n_messages == 0);
}

int
main(void)
{
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", "SIFANG_INTAKE_SWEEP_MS=86400000",
                            "SIFANG_INTAKE_IMPORT_GRACE_S=0", NULL };
    sf_client_t *reviewer = NULL, *integration = NULL, *outsider = NULL;
    if (intake_world_start(&world, "intake_ladder", extra)
        && SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, "SET search_path TO intake, public"), 0)) {
        /* Case fields 70..74 (the escalation's person) are this test's own. */
        intake_steps_begin(&world, 70, 74);
        test_grid_duties();
        reviewer = sf_client_new(world.intake_endpoint, NULL);
        sf_client_set_principal(reviewer, reviewer_id, "community", T_COMMUNITY);
        integration = sf_client_new(world.intake_endpoint, NULL);
        sf_client_set_principal(integration, "sms-gateway", "service", "");
        outsider = sf_client_new(world.intake_endpoint, NULL);
        const sf_test_grant_t grants[] = { { "street_staff", T_DISTRICT, T_STREET_2, NULL } };
        SF_CHECK_EQ_INT(sf_test_set_person(outsider, "S00003", NULL, grants, 1), 0);
        test_escalation();
        test_review(reviewer);
        test_resident_told(integration, outsider);
    }
    sf_client_destroy(&reviewer);
    sf_client_destroy(&integration);
    sf_client_destroy(&outsider);
    intake_steps_end();
    intake_release_kept();
    intake_orders_sql_release();
    intake_world_stop(&world);
    return sf_test_done();
}
