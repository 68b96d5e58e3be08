/* The work-order rules through the real daemons (grid and intake on the test
 * cluster): case types and their limits, direct answers counted apart, the
 * receipt (签收) and first-response deadlines with lateness recorded
 * against the holder at the time, send-backs (退单) within their window and
 * the no-owner case (无头事项) the street assigns by decision, extensions
 * (延期) asked before the deadline, decided by the level above and capped,
 * the resident told, the review (审核) before the return visit, co-handler
 * tasks (协办) that hold the lead's resolution, and escalation moving the
 * case. Every step's reply and its event are compared, field by field,
 * with the case's row and its latest audit row in SQL; every refusal with
 * the field it names, and nothing written by it. */
#include "intake_test_steps.h"
#include "intake_test_orders.h"
#include "sf_ids.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANNEL(name) SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_##name
#define STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define TYPE(name) SIFANG__V1__CASE_TYPE__CASE_TYPE_##name
#define KIND(name) SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_##name

static intake_world_t world;

/* --- case types, limits, direct answers ------------------------------------- */

static void
test_types_and_direct_answers(void)
{
    /* The types as data: the reply is the table. */
    Sifang__V1__CaseTypeListRequest list = SIFANG__V1__CASE_TYPE_LIST_REQUEST__INIT;
    Sifang__V1__CaseTypeListReply *types = NULL;
    SF_CHECK_EQ_INT(intake_call(world.viewer, "CaseTypeList", NULL, &list.base,
                                &sifang__v1__case_type_list_reply__descriptor, &types, NULL), SF_OK);
    if (SF_CHECK(types && types->n_types == 4)) {
        for (size_t i = 0; i < types->n_types; i++) {
            const Sifang__V1__CaseTypeRule *t = types->types[i];
            char text[300];
            snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_type WHERE type = %d AND name = '%s'"
                     " AND time_limit = %d AND time_limit_unit = %d AND receipt_minutes = %d"
                     " AND first_response_minutes = %d AND review_required = %s AND version = %lld", t->type,
                     t->name, t->time_limit, t->time_limit_unit, t->receipt_minutes, t->first_response_minutes,
                     t->review_required ? "true" : "false", (long long) t->version);
            SF_CHECK_EQ_INT(intake_count(&world, text), 1);
        }
        SF_CHECK_EQ_STR(types->types[0]->name, "咨询");
        SF_CHECK_EQ_STR(types->types[2]->name, "投诉");
        SF_CHECK(types->types[2]->review_required);
    }
    /* Only the district changes them; a bad limit names its field. */
    Sifang__V1__CaseTypeRule rule = SIFANG__V1__CASE_TYPE_RULE__INIT;
    rule.type = TYPE(SUGGESTION);
    rule.name = "建议";
    rule.time_limit = 20;
    rule.time_limit_unit = SIFANG__V1__TIME_LIMIT_UNIT__TIME_LIMIT_UNIT_WORKING_DAYS;
    rule.receipt_minutes = 30;
    rule.first_response_minutes = 480;
    sf_reply_info_t info;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseTypePut", NULL, &rule.base,
                                &sifang__v1__case_type_rule__descriptor, NULL, &info), SF_PERMISSION_DENIED);
    rule.receipt_minutes = 0;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseTypePut", NULL, &rule.base,
                                &sifang__v1__case_type_rule__descriptor, NULL, &info), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&info, "receipt_minutes"));
    rule.receipt_minutes = 30;
    Sifang__V1__CaseTypeRule *put = NULL;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseTypePut", NULL, &rule.base,
                                &sifang__v1__case_type_rule__descriptor, &put, NULL), SF_OK);
    SF_CHECK(put && put->time_limit == 20 && put->version == 2);

    /* An item without a limit of its own takes its case type's: a
     * suggestion's 20 working days, a consultation's one. */
    Sifang__V1__Case *suggestion = intake_register_case(T_HOUSEHOLD, "policy-consultation", TYPE(SUGGESTION),
                                                 "建议增设便民座椅");
    Sifang__V1__Case *question = intake_register_case(T_HOUSEHOLD_2, "policy-consultation", TYPE(CONSULTATION),
                                               "咨询医保报销政策");
    if (SF_CHECK(suggestion && question)) {
        SF_CHECK_EQ_INT(suggestion->case_type, TYPE(SUGGESTION));
        SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND due_at ="
                                        " intake.intake_due(received_at, 20, 1::smallint, 'Asia/Shanghai')",
                                        suggestion->id), 1);
        SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND due_at ="
                                        " intake.intake_due(received_at, 1, 1::smallint, 'Asia/Shanghai')",
                                        question->id), 1);
        /* Routed at once: the committee member must sign within 30 working
         * minutes; who must act is named. */
        SF_CHECK(question->stages && question->stages->assignment == 1 && question->stages->receipt_due_unix_ms);
        SF_CHECK(question->waiting_on && strcmp(question->waiting_on->code, "S00001") == 0
                 && strcmp(question->waiting_on->route, "assignee") == 0);
    }
    /* The item's own limit wins: a complaint about a certification keeps
     * the certification's 3 working days. */
    Sifang__V1__Case *complaint = intake_register_case(T_HOUSEHOLD, "pension-certification", TYPE(COMPLAINT), "认证太慢");
    if (SF_CHECK(complaint))
        SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND due_at ="
                                        " intake.intake_due(received_at, 3, 1::smallint, 'Asia/Shanghai')",
                                        complaint->id), 1);

    /* Answered on the spot: registered and closed, two steps, two events. */
    Sifang__V1__CaseSubmitRequest *request = intake_resident_request(T_HOUSEHOLD_2, "policy-consultation",
                                                                     CHANNEL(WINDOW), "问社保卡补办地点");
    request->case_type = TYPE(CONSULTATION);
    request->direct_answer = "社保卡在区政务服务中心二楼补办，带身份证";
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *answered = SUBMIT_OK(world.station, request);
    if (SF_CHECK(answered)) {
        SF_CHECK_EQ_INT(answered->status, STATUS(CLOSED));
        SF_CHECK(answered->direct_answer);
        SF_CHECK_EQ_INT((int) answered->version, 2);
        SF_CHECK_EQ_STR(answered->resolution, request->direct_answer);
        SF_CHECK(answered->waiting_on == NULL);
        Sifang__V1__Case *want = intake_case_in_sql(answered->id, true);
        if (want)
            intake_case_compare("direct answer", "reply", &answered->base, &want->base);
        Sifang__V1__Case *events[4];
        char event_types[4][48];
        if (SF_CHECK_EQ_INT((int) intake_case_events_after(head, answered->id, events, event_types, 4), 2)) {
            SF_CHECK_EQ_STR(event_types[0], "case.accepted");
            SF_CHECK_EQ_STR(event_types[1], "case.direct_answered");
            want = intake_case_in_sql(answered->id, false);
            if (want && events[1])
                intake_case_compare("direct answer event", "event", &events[1]->base, &want->base);
        }
    }
    /* Only a station answers on the spot; a resident's own channel may not. */
    Sifang__V1__CaseSubmitRequest *own = intake_resident_request(T_HOUSEHOLD_2, "policy-consultation",
                                                                 CHANNEL(WEBSITE), "网上咨询");
    own->direct_answer = "已答复";
    sf_reply_info_t refusal;
    SF_CHECK_EQ_INT(intake_call(world.gateway, "CaseSubmit", NULL, &own->base, &sifang__v1__case__descriptor,
                                NULL, &refusal), SF_PERMISSION_DENIED);
    SF_CHECK(intake_has_violation(&refusal, "direct_answer"));
    own->direct_answer = "";
    own->case_type = 9;
    SF_CHECK_EQ_INT(intake_call(world.gateway, "CaseSubmit", NULL, &own->base, &sifang__v1__case__descriptor,
                                NULL, &refusal), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&refusal, "case_type"));

    /* Counted apart: the list filter and the backlog board. */
    Sifang__V1__CaseListRequest filter = SIFANG__V1__CASE_LIST_REQUEST__INIT;
    filter.under = T_COMMUNITY;
    filter.direct_answers_only = true;
    Sifang__V1__CaseListReply *listed = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseList", NULL, &filter.base,
                                &sifang__v1__case_list_reply__descriptor, &listed, NULL), SF_OK);
    SF_CHECK(listed && (long long) listed->n_cases
             == intake_count(&world, "SELECT count(*) FROM intake.intake_case WHERE direct_answer"
                                     " AND unit_code LIKE '" T_COMMUNITY "%'"));
    SF_CHECK(listed && listed->n_cases == 1 && listed->cases[0]->direct_answer);
    Sifang__V1__CaseBacklogRequest board = SIFANG__V1__CASE_BACKLOG_REQUEST__INIT;
    board.under = T_STREET;
    Sifang__V1__CaseBacklogReply *backlog = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseBacklog", NULL, &board.base,
                                &sifang__v1__case_backlog_reply__descriptor, &backlog, NULL), SF_OK);
    SF_CHECK(backlog && backlog->total && backlog->total->direct_answers == 1);
    board.direct_answers_from = "2026-13-01";
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseBacklog", NULL, &board.base,
                                &sifang__v1__case_backlog_reply__descriptor, NULL, &refusal), SF_INVALID_ARGUMENT);
    SF_CHECK(intake_has_violation(&refusal, "direct_answers_from"));
}

/* --- stages, lateness by holder, escalation ----------------------------------- */

/* A case whose receipt, first response and completion all fell due since
 * the last sweep (a backlog, an imported case): one sweep records each
 * against the holder of the time, before escalation moves the case on. */
static void
test_all_stages_late_at_once(void)
{
    Sifang__V1__Case *c = intake_register_case(T_HOUSEHOLD, "appliance-repair", TYPE(HELP), "洗衣机漏水");
    if (!SF_CHECK(c))
        return;
    intake_sql("UPDATE intake.intake_case SET receipt_due_at = now() - interval '3 hours',"
        " first_response_due_at = now() - interval '2 hours', due_at = now() - interval '1 hour' WHERE id = %lld",
        c->id);
    intake_sweep_now();
    for (int stage = 1; stage <= 3; stage++) {
        char text[200];
        /* Receipt and first response belong to the assignment (1);
         * completion to the case (assignment 0). */
        snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld AND stage = %d"
                 " AND assignment = %d AND holder_code = 'S00001'", (long long) c->id, stage, stage < 3 ? 1 : 0);
        SF_CHECK_EQ_INT(intake_count(&world, text), 1);
    }
    SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld", c->id), 3);
    SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND overdue"
                                    " AND assignment = 2", c->id), 1);
}

static void
test_stages(void)
{
    Sifang__V1__Case *c = intake_register_case(T_HOUSEHOLD, "appliance-repair", TYPE(HELP), "冰箱不制冷");
    if (!SF_CHECK(c))
        return;
    /* The committee member's receipt falls due unmet: the sweep marks it
     * late against them, once. */
    intake_sql("UPDATE intake.intake_case SET receipt_due_at = now() - interval '1 minute' WHERE id = %lld", c->id);
    int64_t head = sf_test_event_head(world.admin);
    intake_sweep_now();
    intake_case_check_step("CaseSweep (receipt late)", head, NULL, c->id, "case.stage_late");
    /* Its holder is told their 签收 is late (已超期). */
    intake_check_step_notices(&world, head, c->id,
                              (int) intake_sql_count("SELECT max(seq) FROM intake.case_history WHERE case_id = %lld"
                                              " AND action = 18", c->id), "S00001:3:assignee", __LINE__);
    SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld AND stage = 1"
                                    " AND assignment = 1 AND holder_kind = 2 AND holder_code = 'S00001'"
                                    " AND holder_unit = (SELECT unit_code FROM intake.ref_staff WHERE id = 'S00001')",
                                    c->id), 1);
    head = sf_test_event_head(world.admin);
    intake_sweep_now();
    Sifang__V1__Case *events[4];
    char types[4][48];
    SF_CHECK_EQ_INT((int) intake_case_events_after(head, c->id, events, types, 4), 0);

    /* Assigned to another: a new assignment, with its own receipt deadline;
     * signed in time, no lateness for the new holder. */
    Sifang__V1__CaseAssignee named = SIFANG__V1__CASE_ASSIGNEE__INIT;
    named.kind = KIND(STAFF);
    named.code = "S00002";
    Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    assign.ref = intake_ref_of(c->id);
    assign.assignee = &named;
    Sifang__V1__Case *moved = intake_case_step(world.station, "CaseAssign", &assign.base, c->id, "case.assigned");
    SF_CHECK(moved && moved->stages && moved->stages->assignment == 2 && !moved->stages->receipt_late);
    Sifang__V1__CaseStepRequest sign = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    sign.ref = intake_ref_of(c->id);
    Sifang__V1__Case *signed_case = intake_case_step(world.street, "CaseSign", &sign.base, c->id, "case.signed");
    SF_CHECK(signed_case && signed_case->stages && signed_case->stages->signed_unix_ms);
    REFUSED(world.street, "CaseSign", &sign, SF_FAILED_PRECONDITION, "ref", "signed for already");
    /* The first response comes late: the start records it against S00002. */
    intake_sql("UPDATE intake.intake_case SET first_response_due_at = now() - interval '1 minute' WHERE id = %lld",
        c->id);
    Sifang__V1__CaseStepRequest start = SIFANG__V1__CASE_STEP_REQUEST__INIT;
    start.ref = intake_ref_of(c->id);
    Sifang__V1__Case *started = intake_case_step(world.street, "CaseStart", &start.base, c->id, "case.started");
    SF_CHECK(started && started->stages && started->stages->first_response_late);
    SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld AND stage = 2"
                                    " AND assignment = 2 AND holder_code = 'S00002'", c->id), 1);
    SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld AND stage = 1",
                                    c->id), 1);

    /* Overdue: escalation moves the case to the community station (a new
     * assignment), and completion is late against S00002, who held it. */
    intake_sql("UPDATE intake.intake_case SET due_at = now() - interval '1 hour' WHERE id = %lld", c->id);
    head = sf_test_event_head(world.admin);
    intake_sweep_now();
    intake_case_check_step("CaseSweep (overdue)", head, NULL, c->id, "case.overdue");
    SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND assignee_kind = 3"
                                    " AND assignee_code = '" T_COMMUNITY "' AND assignment = 3 AND status = 4",
                                    c->id), 1);
    SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld AND stage = 3"
                                    " AND holder_code = 'S00002'", c->id), 1);
    intake_sql("UPDATE intake.intake_case SET escalated_at = now() - interval '25 hours',"
        " receipt_due_at = now() + interval '1 hour', first_response_due_at = now() + interval '1 hour'"
        " WHERE id = %lld", c->id);
    head = sf_test_event_head(world.admin);
    intake_sweep_now();
    intake_case_check_step("CaseSweep (escalated)", head, NULL, c->id, "case.escalated");
    SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.intake_case WHERE id = %lld AND assignee_kind = 3"
                                    " AND assignee_code = '" T_STREET "' AND waiting_code = '" T_STREET "'"
                                    " AND assignment = 4", c->id), 1);

    /* The lateness list: every row, each against its holder. */
    Sifang__V1__CaseStageLateListRequest lates = SIFANG__V1__CASE_STAGE_LATE_LIST_REQUEST__INIT;
    lates.case_id = c->id;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    page.page_size = 2;
    lates.page = &page;
    Sifang__V1__CaseStageLateListReply *first = NULL, *second = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseStageLateList", NULL, &lates.base,
                                &sifang__v1__case_stage_late_list_reply__descriptor, &first, NULL), SF_OK);
    if (SF_CHECK(first && first->n_rows == 2 && *first->next_page_token)) {
        page.page_token = first->next_page_token;
        SF_CHECK_EQ_INT(intake_call(world.station, "CaseStageLateList", NULL, &lates.base,
                                    &sifang__v1__case_stage_late_list_reply__descriptor, &second, NULL), SF_OK);
    }
    if (SF_CHECK(second && second->n_rows == 1 && !*second->next_page_token)) {
        const Sifang__V1__CaseStageLate *all[3] = { first->rows[0], first->rows[1], second->rows[0] };
        for (int i = 0; i < 3; i++) {
            char text[600];
            snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_stage_late WHERE case_id = %lld"
                     " AND stage = %d AND assignment = %d AND holder_kind = %d AND holder_code = '%s'"
                     " AND holder_name = '%s' AND holder_unit = '%s'"
                     " AND (extract(epoch FROM due_at) * 1000)::bigint = %lld"
                     " AND (extract(epoch FROM marked_at) * 1000)::bigint = %lld", (long long) all[i]->case_id,
                     all[i]->stage, all[i]->assignment, all[i]->holder->kind, all[i]->holder->code,
                     all[i]->holder->name, all[i]->holder_unit, (long long) all[i]->due_unix_ms,
                     (long long) all[i]->marked_unix_ms);
            SF_CHECK_EQ_INT(intake_count(&world, text), 1);
        }
        /* Newest key first: completion, first response, receipt. */
        SF_CHECK(all[0]->stage == 3 && all[1]->stage == 2 && all[2]->stage == 1);
    }
}

/* --- who is told of a co-handler's task ----------------------------------------- */

static void
test_cohandler_told(void)
{
    Sifang__V1__Case *c = intake_register_case(T_HOUSEHOLD_2, "dispute-mediation", TYPE(HELP), "楼道堆物");
    if (!SF_CHECK(c))
        return;
    /* The street co-handles: its own staff (李强, S00002) are given the
     * task (新派工单, as who the case waits on); the station, which asked,
     * is not told of its own step. */
    Sifang__V1__CaseAssignee street = SIFANG__V1__CASE_ASSIGNEE__INIT;
    street.kind = KIND(UNIT);
    street.code = T_STREET;
    Sifang__V1__CaseCoHandlerAddRequest add = SIFANG__V1__CASE_CO_HANDLER_ADD_REQUEST__INIT;
    add.ref = intake_ref_of(c->id);
    add.co_handler = &street;
    add.task = "协调街道城管清理";
    add.working_days = 2;
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *added = intake_case_step(world.station, "CaseCoHandlerAdd", &add.base, c->id, "case.cohandler_added");
    if (SF_CHECK(added && added->waiting_on && strcmp(added->waiting_on->route, "co-handler") == 0))
        intake_check_step_notices(&world, head, c->id, added->version, "S00002:1:co-handler", __LINE__);
}

/* --- send back and the no-owner case -------------------------------------------- */

static void
test_send_back(void)
{
    Sifang__V1__Case *c = intake_register_case(T_HOUSEHOLD_2, "dispute-mediation", TYPE(HELP), "邻里漏水纠纷");
    if (!SF_CHECK(c))
        return;
    Sifang__V1__CaseSendBackRequest back = SIFANG__V1__CASE_SEND_BACK_REQUEST__INIT;
    back.ref = intake_ref_of(c->id);
    REFUSED(world.station, "CaseSendBack", &back, SF_INVALID_ARGUMENT, "reason", NULL);
    back.reason = "不属于本网格职责";
    Sifang__V1__Case *once = intake_case_step(world.station, "CaseSendBack", &back.base, c->id, "case.sent_back");
    if (SF_CHECK(once)) {
        SF_CHECK_EQ_INT(once->status, STATUS(ACCEPTED));
        SF_CHECK(once->assignee == NULL && once->send_backs == 1 && !once->no_owner);
        SF_CHECK(once->waiting_on && strcmp(once->waiting_on->code, T_COMMUNITY) == 0
                 && strcmp(once->waiting_on->route, "dispatcher") == 0);
    }
    /* Not assigned: nothing to send back. */
    REFUSED(world.station, "CaseSendBack", &back, SF_FAILED_PRECONDITION, "ref", "only an assigned case");
    /* The dispatcher re-routes it; sent back again, it has no owner. */
    Sifang__V1__CaseAssignee named = SIFANG__V1__CASE_ASSIGNEE__INIT;
    named.kind = KIND(STAFF);
    named.code = "S00002";
    Sifang__V1__CaseAssignRequest assign = SIFANG__V1__CASE_ASSIGN_REQUEST__INIT;
    assign.ref = intake_ref_of(c->id);
    assign.assignee = &named;
    intake_case_step(world.station, "CaseAssign", &assign.base, c->id, "case.assigned");
    back.reason = "也不属于街道干部职责";
    Sifang__V1__Case *twice = intake_case_step(world.station, "CaseSendBack", &back.base, c->id, "case.sent_back");
    if (SF_CHECK(twice)) {
        SF_CHECK(twice->no_owner && twice->send_backs == 2);
        SF_CHECK(twice->waiting_on && strcmp(twice->waiting_on->code, T_STREET) == 0
                 && strcmp(twice->waiting_on->route, "decides the owner") == 0);
    }
    /* The community may not assign a no-owner case; the street decides. */
    REFUSED(world.station, "CaseAssign", &assign, SF_PERMISSION_DENIED, NULL, "assigns it by decision");
    Sifang__V1__Case *decided = intake_case_step(world.street, "CaseAssign", &assign.base, c->id, "case.assigned");
    SF_CHECK(decided && decided->assignee
             && strcmp(decided->assignee->route, "assigned by decision (no-owner case)") == 0);
    /* A third send-back is refused: it was assigned by decision. */
    REFUSED(world.street, "CaseSendBack", &back, SF_FAILED_PRECONDITION, "ref", "no-owner case");
    SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.case_history WHERE case_id = %lld AND action = 19",
                                    c->id), 2);

    /* Late: only within the working minutes after assignment. */
    Sifang__V1__Case *late = intake_register_case(T_HOUSEHOLD, "plumbing-electrical-repair", TYPE(COMPLAINT), "楼道灯不亮");
    if (!SF_CHECK(late))
        return;
    intake_sql("UPDATE intake.intake_case SET assigned_at = now() - interval '10 days' WHERE id = %lld", late->id);
    back.ref = intake_ref_of(late->id);
    REFUSED(world.station, "CaseSendBack", &back, SF_FAILED_PRECONDITION, "ref", "within 120 working minutes");
}

/* --- extension -------------------------------------------------------------------- */

static void
test_extension(void)
{
    Sifang__V1__Case *c = intake_register_case(T_HOUSEHOLD, "housing-subsidy", TYPE(HELP), "申请住房补贴");
    if (!SF_CHECK(c))
        return;
    Sifang__V1__CaseExtensionAskRequest ask = SIFANG__V1__CASE_EXTENSION_ASK_REQUEST__INIT;
    ask.ref = intake_ref_of(c->id);
    ask.reason = "需住建部门核实房产";
    ask.working_days = 16;
    REFUSED(world.station, "CaseExtensionAsk", &ask, SF_INVALID_ARGUMENT, "working_days", NULL);
    ask.working_days = 5;
    Sifang__V1__Case *asked = intake_case_step(world.station, "CaseExtensionAsk", &ask.base, c->id, "case.extension_requested");
    /* Held by the housing department: the district above it decides. */
    if (SF_CHECK(asked && asked->extension)) {
        SF_CHECK_EQ_STR(asked->extension->approver_unit, T_DISTRICT);
        SF_CHECK(asked->waiting_on && strcmp(asked->waiting_on->route, "approver") == 0
                 && strcmp(asked->waiting_on->code, T_DISTRICT) == 0);
    }
    REFUSED(world.station, "CaseExtensionAsk", &ask, SF_FAILED_PRECONDITION, "ref", "awaiting its decision");
    /* The level above decides, not the community nor the street. */
    Sifang__V1__CaseExtensionDecideRequest decide = SIFANG__V1__CASE_EXTENSION_DECIDE_REQUEST__INIT;
    decide.ref = intake_ref_of(c->id);
    decide.approved = true;
    REFUSED(world.station, "CaseExtensionDecide", &decide, SF_PERMISSION_DENIED, NULL, "for " T_DISTRICT);
    REFUSED(world.street, "CaseExtensionDecide", &decide, SF_PERMISSION_DENIED, NULL, "for " T_DISTRICT);
    int64_t due_before = c->due_unix_ms;
    int64_t head = sf_test_event_head(world.admin);
    Sifang__V1__Case *notified = NULL;
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseExtensionDecide", NULL, &decide.base,
                                &sifang__v1__case__descriptor, &notified, NULL), SF_OK);
    /* Two steps: approved (the due time moved), then the resident told. */
    Sifang__V1__Case *events[4];
    char types[4][48];
    if (SF_CHECK_EQ_INT((int) intake_case_events_after(head, c->id, events, types, 4), 2)) {
        SF_CHECK_EQ_STR(types[0], "case.extension_approved");
        SF_CHECK_EQ_STR(types[1], "case.resident_notified");
        SF_CHECK(events[0]->due_unix_ms > due_before && events[0]->extension
                 && events[0]->extension->granted == 1 && events[0]->extension->granted_days == 5);
        Sifang__V1__Case *want = intake_case_in_sql(c->id, false);
        if (want && events[1])
            intake_case_compare("resident notified event", "event", &events[1]->base, &want->base);
        SF_CHECK(events[1]->last_transition && strstr(events[1]->last_transition->note, "已告知诉求人"));
    }
    Sifang__V1__Case *want = intake_case_in_sql(c->id, true);
    if (notified && want)
        intake_case_compare("CaseExtensionDecide", "reply", &notified->base, &want->base);
    char moved[300];
    snprintf(moved, sizeof moved, "SELECT count(*) FROM intake.intake_case WHERE id = %lld AND due_at ="
             " intake.intake_due(to_timestamp(%lld / 1000.0), 5, 1::smallint, 'Asia/Shanghai')"
             " AND extension_days_granted = 5", (long long) c->id, (long long) due_before);
    SF_CHECK_EQ_INT(intake_count(&world, moved), 1);
    /* A refusal needs its reason; refused, the due time stays. */
    ask.working_days = 10;
    intake_case_step(world.station, "CaseExtensionAsk", &ask.base, c->id, "case.extension_requested");
    decide.approved = false;
    REFUSED(world.admin, "CaseExtensionDecide", &decide, SF_INVALID_ARGUMENT, "note", NULL);
    decide.note = "理由不充分";
    Sifang__V1__Case *refused_case = intake_case_step(world.admin, "CaseExtensionDecide", &decide.base, c->id,
                                          "case.extension_refused");
    SF_CHECK(refused_case && refused_case->extension && refused_case->extension->granted == 1);
    /* Over the cap: 10 more days would make 15 (allowed); then a third
     * extension is over the count. */
    intake_case_step(world.station, "CaseExtensionAsk", &ask.base, c->id, "case.extension_requested");
    decide.approved = true;
    decide.note = "";
    SF_CHECK_EQ_INT(intake_call(world.admin, "CaseExtensionDecide", NULL, &decide.base,
                                &sifang__v1__case__descriptor, NULL, NULL), SF_OK);
    ask.working_days = 1;
    REFUSED(world.station, "CaseExtensionAsk", &ask, SF_FAILED_PRECONDITION, "ref", "the most allowed");
    /* After the deadline: too late to ask. */
    Sifang__V1__Case *late = intake_register_case(T_HOUSEHOLD_2, "housing-subsidy", TYPE(HELP), "补贴材料");
    if (!SF_CHECK(late))
        return;
    intake_sql("UPDATE intake.intake_case SET due_at = now() - interval '1 minute' WHERE id = %lld", late->id);
    ask.ref = intake_ref_of(late->id);
    REFUSED(world.station, "CaseExtensionAsk", &ask, SF_FAILED_PRECONDITION, "ref", "before the deadline");
}

/* --- review and co-handlers ---------------------------------------------------------- */

static void
test_review_and_cohandlers(void)
{
    Sifang__V1__Case *c = intake_register_case(T_HOUSEHOLD, "dispute-mediation", TYPE(COMPLAINT), "物业不作为");
    if (!SF_CHECK(c))
        return;
    /* The lead asks the neighbouring community and a department for parts. */
    Sifang__V1__CaseAssignee unit = SIFANG__V1__CASE_ASSIGNEE__INIT;
    unit.kind = KIND(UNIT);
    unit.code = T_COMMUNITY_B;
    Sifang__V1__CaseCoHandlerAddRequest add = SIFANG__V1__CASE_CO_HANDLER_ADD_REQUEST__INIT;
    add.ref = intake_ref_of(c->id);
    add.co_handler = &unit;
    add.task = "核实相邻小区物业情况";
    add.working_days = 400;
    REFUSED(world.station, "CaseCoHandlerAdd", &add, SF_INVALID_ARGUMENT, "working_days", NULL);
    add.working_days = 30;
    REFUSED(world.station, "CaseCoHandlerAdd", &add, SF_FAILED_PRECONDITION, "working_days", "after the case");
    add.working_days = 2;
    Sifang__V1__Case *added = intake_case_step(world.station, "CaseCoHandlerAdd", &add.base, c->id, "case.cohandler_added");
    SF_CHECK(added && added->cohandler_tasks == 1 && added->cohandler_tasks_open == 1 && added->waiting_on
             && strcmp(added->waiting_on->code, T_COMMUNITY_B) == 0
             && strcmp(added->waiting_on->route, "co-handler") == 0);
    /* Resolving with a task open is refused: the lead answers for all. */
    Sifang__V1__CaseResolveRequest resolve = SIFANG__V1__CASE_RESOLVE_REQUEST__INIT;
    resolve.ref = intake_ref_of(c->id);
    resolve.resolution = "已协调物业整改";
    REFUSED(world.station, "CaseResolve", &resolve, SF_FAILED_PRECONDITION, "ref", "co-handler task still open");
    /* Only the co-handler completes its task: not the station of another
     * community (NOT_FOUND: not theirs), but the street over both. */
    Sifang__V1__CaseCoHandlerCompleteRequest done = SIFANG__V1__CASE_CO_HANDLER_COMPLETE_REQUEST__INIT;
    done.ref = intake_ref_of(c->id);
    done.task_seq = 1;
    done.reply = "相邻小区物业已整改";
    REFUSED(world.station, "CaseCoHandlerComplete", &done, SF_NOT_FOUND, "task_seq", NULL);
    Sifang__V1__Case *completed = intake_case_step(world.street, "CaseCoHandlerComplete", &done.base, c->id,
                                       "case.cohandler_completed");
    SF_CHECK(completed && completed->cohandler_tasks_open == 0);
    REFUSED(world.street, "CaseCoHandlerComplete", &done, SF_FAILED_PRECONDITION, "task_seq", "completed already");
    Sifang__V1__CaseRef list_ref = SIFANG__V1__CASE_REF__INIT;
    list_ref.id = c->id;
    Sifang__V1__CaseCoHandlerListReply *tasks = NULL;
    SF_CHECK_EQ_INT(intake_call(world.station, "CaseCoHandlerList", NULL, &list_ref.base,
                                &sifang__v1__case_co_handler_list_reply__descriptor, &tasks, NULL), SF_OK);
    if (SF_CHECK(tasks && tasks->n_tasks == 1)) {
        const Sifang__V1__CaseCoHandlerTask *t = tasks->tasks[0];
        char text[700];
        snprintf(text, sizeof text, "SELECT count(*) FROM intake.case_cohandler WHERE case_id = %lld AND seq = %d"
                 " AND kind = %d AND code = '%s' AND name = '%s' AND task = '%s'"
                 " AND (extract(epoch FROM due_at) * 1000)::bigint = %lld AND done = %s AND reply = '%s'"
                 " AND added_by = '%s' AND (extract(epoch FROM added_at) * 1000)::bigint = %lld"
                 " AND done_by = '%s' AND (extract(epoch FROM done_at) * 1000)::bigint = %lld",
                 (long long) c->id, t->seq, t->co_handler->kind, t->co_handler->code, t->co_handler->name, t->task,
                 (long long) t->due_unix_ms, t->done ? "true" : "false", t->reply, t->added_by,
                 (long long) t->added_unix_ms, t->done_by, (long long) t->done_unix_ms);
        SF_CHECK_EQ_INT(intake_count(&world, text), 1);
        SF_CHECK(t->done && strcmp(t->done_by, "S00002") == 0 && strcmp(t->added_by, "S00001") == 0);
    }

    /* A complaint's reply waits for the unit's reviewer. */
    Sifang__V1__Case *resolved = intake_case_step(world.station, "CaseResolve", &resolve.base, c->id, "case.resolved");
    SF_CHECK(resolved && resolved->review && resolved->review->state == SIFANG__V1__CASE_REVIEW_STATE__CASE_REVIEW_STATE_PENDING
             && resolved->waiting_on && strcmp(resolved->waiting_on->route, "reviewer") == 0);
    Sifang__V1__CaseCloseRequest close = SIFANG__V1__CASE_CLOSE_REQUEST__INIT;
    close.ref = intake_ref_of(c->id);
    close.satisfaction = 5;
    REFUSED(world.station, "CaseClose", &close, SF_FAILED_PRECONDITION, "ref", "awaits its review");
    /* Not by the handler who wrote it; refused, back to the handler. */
    Sifang__V1__CaseReviewRequest review = SIFANG__V1__CASE_REVIEW_REQUEST__INIT;
    review.ref = intake_ref_of(c->id);
    review.approved = true;
    REFUSED(world.station, "CaseReview", &review, SF_PERMISSION_DENIED, NULL, "another of the unit");
    review.approved = false;
    REFUSED(world.street, "CaseReview", &review, SF_INVALID_ARGUMENT, "note", NULL);
    review.note = "答复未说明整改期限";
    Sifang__V1__Case *back = intake_case_step(world.street, "CaseReview", &review.base, c->id, "case.review_refused");
    SF_CHECK(back && back->status == STATUS(IN_PROGRESS) && back->review && back->review->refusals == 1
             && back->waiting_on && strcmp(back->waiting_on->route, "assignee") == 0);
    resolve.resolution = "已协调物业整改，限期十日";
    intake_case_step(world.station, "CaseResolve", &resolve.base, c->id, "case.resolved");
    review.approved = true;
    review.note = "";
    Sifang__V1__Case *signed_reply = intake_case_step(world.street, "CaseReview", &review.base, c->id, "case.review_approved");
    SF_CHECK(signed_reply && signed_reply->waiting_on
             && strcmp(signed_reply->waiting_on->route, "return visit") == 0);
    REFUSED(world.street, "CaseReview", &review, SF_FAILED_PRECONDITION, "ref", "no reply awaiting review");
    Sifang__V1__Case *closed = intake_case_step(world.station, "CaseClose", &close.base, c->id, "case.closed");
    /* The audit trail is honest: the version is the number of steps. */
    if (SF_CHECK(closed))
        SF_CHECK_EQ_INT((int) intake_sql_count("SELECT count(*) FROM intake.case_history WHERE case_id = %lld", c->id),
                        (int) closed->version);
}

int
main(void)
{
    const char *extra[] = { "SIFANG_INTAKE_VOLUNTEER=false", "SIFANG_INTAKE_SWEEP_MS=86400000",
                            "SIFANG_INTAKE_IMPORT_GRACE_S=0", NULL };
    if (intake_world_start(&world, "intake_orders", extra)
        && SF_CHECK_EQ_INT(sf_test_pg_exec(world.db, "SET search_path TO intake, public"), 0)) {
        /* Of the Case fields from 50 on, none is this test's own. */
        intake_steps_begin(&world, 0, -1);
        test_types_and_direct_answers();
        test_stages();
        test_all_stages_late_at_once();
        test_send_back();
        test_extension();
        test_review_and_cohandlers();
        test_cohandler_told();
    }
    intake_steps_end();
    intake_release_kept();
    intake_orders_sql_release();
    intake_world_stop(&world);
    return sf_test_done();
}
