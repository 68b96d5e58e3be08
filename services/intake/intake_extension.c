/* Extension (延期) and review (审核), two of the work-order rules.
 *
 * Extension: the holder asks for more working days, with a reason, before
 * the case falls due; the level above the holder (the street for a
 * community's case, the district for a street's or a department's)
 * approves or refuses it; extensions are capped in number and in working
 * days (SIFANG_INTAKE_EXTENSION_MAX_COUNT, _MAX_DAYS). An approval moves the
 * due time and is followed by a step that records what the resident is told
 * (RESIDENT_NOTIFIED), for the resident-notice side to send.
 *
 * Review: a reply of a type that needs one (case_type.review_required)
 * waits, resolved, for the unit's reviewer, the person grid names for it
 * (intake_reviewer_of), who is not the one who wrote it; approved, it goes
 * to the return visit; refused, back to the handler. */
#include "intake.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CASE_STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define CASE_ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name
#define EXTENSION(name) SIFANG__V1__CASE_EXTENSION_STATE__CASE_EXTENSION_STATE_##name
#define REVIEW(name) SIFANG__V1__CASE_REVIEW_STATE__CASE_REVIEW_STATE_##name

static bool
in_hand(const Sifang__V1__Case *the_case)
{
    return the_case->status == CASE_STATUS(ASSIGNED) || the_case->status == CASE_STATUS(IN_PROGRESS);
}

static Sifang__V1__CaseAssignee *
holder_waiting(sf_call_t *call, const Sifang__V1__Case *the_case)
{
    const Sifang__V1__CaseAssignee *holder = the_case->assignee;
    return holder ? intake_waiting(call, holder->kind, holder->code, holder->name, "assignee") : NULL;
}

sf_status_t
intake_case_extension_ask(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseExtensionAskRequest *ask = (const Sifang__V1__CaseExtensionAskRequest *) request;
    const intake_t *intake = sf_call_state(call);
    intake_step_case_t asked;
    sf_status_t status = intake_step_begin(call, ask->ref, ask->imported, &asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked.the_case;
    if (!in_hand(the_case))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is %s; only a case being handled"
                              " is extended", (long long) the_case->id, intake_status_name(the_case->status));
    if (!intake_caller_holds(call, the_case))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "case %lld is assigned to %s, not to you",
                            (long long) the_case->id, the_case->assignee->name);
    const Sifang__V1__CaseExtension *extension = the_case->extension;
    if (extension && extension->state == EXTENSION(PENDING))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld has an extension awaiting its"
                              " decision", (long long) the_case->id);
    int64_t at_ms = asked.at_ms ? asked.at_ms : sf_now_ms();
    if (the_case->due_unix_ms && at_ms >= the_case->due_unix_ms)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld fell due already: an extension is"
                              " asked before the deadline", (long long) the_case->id);
    int granted = extension ? extension->granted : 0, granted_days = extension ? extension->granted_days : 0;
    if (granted >= intake->config.extension_max_count)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld was extended %d times, the most"
                              " allowed", (long long) the_case->id, granted);
    if (ask->working_days < 1 || ask->working_days > intake->config.extension_max_days - granted_days)
        sf_call_violation(call, "working_days", "must be 1 to %d (at most %d working days in all, %d granted)",
                          intake->config.extension_max_days - granted_days, intake->config.extension_max_days,
                          granted_days);
    sf_call_check_note(call, "reason", ask->reason, 500, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    const char *approver = intake_level_above(call, the_case);
    intake_step_t step;
    intake_step_init(&step, the_case->id, CASE_ACTION(EXTENSION_REQUESTED), the_case->status, asked.actor,
                     asked.at_ms, sf_call_printf(call, "%d working days asked of %s: %s", ask->working_days,
                                                 approver, ask->reason),
                     "extension_state = 1, extension_days = $7, extension_reason = $8, extension_requested_by = $4,"
                     " extension_requested_at = t.at, extension_approver = $9, extension_decided_by = '',"
                     " extension_decided_at = NULL, extension_note = ''");
    SF_PARAMS_ADD(&step.params, ask->working_days, ask->reason, approver);
    PGresult *name = sf_call_query(call, "SELECT name FROM ref_unit WHERE code = $1", SF_PARAMS(approver));
    if (!name)
        return sf_call_status(call);
    step.set_waiting = true;
    step.waiting = intake_waiting(call, SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT, approver,
                                  PQntuples(name) ? sf_db_text(name, 0, 0) : "", "approver");
    return intake_step_reply(call, &step, reply_p);
}

sf_status_t
intake_case_extension_decide(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseExtensionDecideRequest *decide = (const Sifang__V1__CaseExtensionDecideRequest *) request;
    const intake_t *intake = sf_call_state(call);
    intake_step_case_t asked;
    sf_status_t status = intake_step_begin(call, decide->ref, decide->imported, &asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked.the_case;
    const Sifang__V1__CaseExtension *extension = the_case->extension;
    if (!in_hand(the_case) || !extension || extension->state != EXTENSION(PENDING))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld has no extension awaiting a"
                              " decision", (long long) the_case->id);
    /* The level above decides: a holder does not extend their own case. */
    if (!sf_call_may_write(call, extension->approver_unit))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the extension of case %lld is for %s to decide",
                            (long long) the_case->id, extension->approver_unit);
    if (!sf_call_check_note(call, "note", decide->note, 500, !decide->approved))
        return sf_call_status(call);
    intake_step_t step;
    if (!decide->approved) {
        intake_step_init(&step, the_case->id, CASE_ACTION(EXTENSION_REFUSED), the_case->status, asked.actor,
                         asked.at_ms, decide->note,
                         "extension_state = 3, extension_decided_by = $4, extension_decided_at = t.at,"
                         " extension_note = $6");
        step.set_waiting = true;
        step.waiting = holder_waiting(call, the_case);
        return intake_step_reply(call, &step, reply_p);
    }
    intake_step_init(&step, the_case->id, CASE_ACTION(EXTENSION_APPROVED), the_case->status, asked.actor,
                     asked.at_ms, *decide->note ? decide->note
                                                : sf_call_printf(call, "%d working days granted",
                                                                 extension->working_days),
                     "extension_state = 2, extension_decided_by = $4, extension_decided_at = t.at,"
                     " extension_note = $6, extensions_granted = c.extensions_granted + 1,"
                     " extension_days_granted = c.extension_days_granted + c.extension_days,"
                     " due_at = intake_due(c.due_at, c.extension_days, 1::smallint, $7), overdue = false");
    SF_PARAMS_ADD(&step.params, intake->config.timezone);
    step.set_waiting = true;
    step.waiting = holder_waiting(call, the_case);
    Sifang__V1__Case *approved;
    status = intake_step_run(call, &step, &approved);
    if (status != SF_OK)
        return status;
    /* The resident is told: a step of its own, which the notice side sends. */
    char due[32] = "";
    time_t due_s = (time_t) (approved->due_unix_ms / 1000);
    struct tm local;
    if (localtime_r(&due_s, &local))
        strftime(due, sizeof due, "%Y-%m-%d", &local);
    intake_step_t notice;
    intake_step_init(&notice, approved->id, CASE_ACTION(RESIDENT_NOTIFIED), approved->status, asked.actor,
                     asked.at_ms,
                     sf_call_printf(call, "已告知诉求人：%s 办理期限延长 %d 个工作日，至 %s；原因：%s",
                                    approved->registration_number, extension->working_days, due,
                                    extension->reason),
                     "extension_note = c.extension_note");
    return intake_step_reply(call, &notice, reply_p);
}

sf_status_t
intake_case_review(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseReviewRequest *review = (const Sifang__V1__CaseReviewRequest *) request;
    intake_step_case_t asked;
    sf_status_t status = intake_step_begin(call, review->ref, review->imported, &asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked.the_case;
    if (the_case->status != CASE_STATUS(RESOLVED) || !the_case->review
        || the_case->review->state != REVIEW(PENDING))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld has no reply awaiting review",
                              (long long) the_case->id);
    /* Four eyes: the reviewer signs someone else's reply. */
    if (strcmp(asked.actor, the_case->review->resolved_by) == 0)
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the reply of case %lld is yours: another of the unit"
                            " reviews it", (long long) the_case->id);
    /* The unit's reviewer signs: the person grid names (审核人, else the
     * head), as grid says now; anyone of the unit only when grid names
     * nobody. An earlier system's register keeps who reviewed then. */
    const char *unit;
    const Sifang__V1__CaseAssignee *reviewer = intake_reviewer_of(call, the_case, the_case->review->resolved_by,
                                                                  &unit);
    if (!reviewer)
        return sf_call_status(call);
    if (!asked.at_ms && reviewer->kind == SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF
        && strcmp(asked.actor, reviewer->code) != 0)
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the reply of case %lld is checked and signed by the"
                            " reviewer of %s (审核人), %s (%s), not by you", (long long) the_case->id, unit,
                            reviewer->name, reviewer->code);
    if (!asked.at_ms && reviewer->kind == SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_DEPARTMENT
        && sf_call_is_person(call) && strcmp(sf_call_principal(call)->department, unit) != 0)
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the reply of case %lld is reviewed within department"
                            " %s, not by you", (long long) the_case->id, unit);
    if (!asked.at_ms && reviewer->kind == SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT
        && !sf_call_may_write(call, unit))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the reply of case %lld is reviewed at %s (grid names"
                            " no reviewer there), not by you", (long long) the_case->id, unit);
    if (!sf_call_check_note(call, "note", review->note, 500, !review->approved))
        return sf_call_status(call);
    intake_step_t step;
    if (review->approved) {
        intake_step_init(&step, the_case->id, CASE_ACTION(REVIEW_APPROVED), the_case->status, asked.actor,
                         asked.at_ms, *review->note ? review->note : "reply reviewed and signed",
                         "review_state = 2, reviewer_id = $4,"
                         " reviewer_name = coalesce((SELECT s.name FROM ref_staff s WHERE s.id = $4), ''),"
                         " reviewed_at = t.at, review_note = $6");
        step.set_waiting = true;
        step.waiting = intake_return_visitor(call, the_case);
    } else {
        intake_step_init(&step, the_case->id, CASE_ACTION(REVIEW_REFUSED), the_case->status, asked.actor,
                         asked.at_ms, review->note,
                         "status = 4, resolved_at = NULL, review_state = 3, reviewer_id = $4,"
                         " reviewer_name = coalesce((SELECT s.name FROM ref_staff s WHERE s.id = $4), ''),"
                         " reviewed_at = t.at, review_note = $6, review_refusals = c.review_refusals + 1");
        step.set_waiting = true;
        step.waiting = holder_waiting(call, the_case);
    }
    return intake_step_reply(call, &step, reply_p);
}
