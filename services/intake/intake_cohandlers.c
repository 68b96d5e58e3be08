/* Lead and co-handlers (牵头/协办): one case, several units. The assignee
 * leads and answers for the case; the lead (or the station that gave it
 * out) asks other units or departments for a part, each a task with its
 * own deadline that the co-handler completes with its answer. The case is
 * not resolved while a task is open: the lead's answer is the whole
 * answer, so it waits for every part. A department asked to co-handle
 * reads the case from then on (assigned_departments). */
#include "intake.h"
#include "sf_row.h"
#include <stdio.h>
#include <string.h>

#define CASE_STATUS(name) SIFANG__V1__CASE_STATUS__CASE_STATUS_##name
#define CASE_ACTION(name) SIFANG__V1__CASE_ACTION__CASE_ACTION_##name
#define ASSIGNEE(name) SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_##name

#define TASK_COLUMNS \
    "seq, kind, code, name, task, " INTAKE_MS("due_at") ", done, reply, added_by, " INTAKE_MS("added_at") "," \
    " done_by, coalesce(" INTAKE_MS("done_at") ", 0)"

static Sifang__V1__CaseCoHandlerTask *
task_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__CaseCoHandlerTask *task = (Sifang__V1__CaseCoHandlerTask *)
        sf_call_new_message(call, &sifang__v1__case_co_handler_task__descriptor);
    Sifang__V1__CaseAssignee *co = (Sifang__V1__CaseAssignee *)
        sf_call_new_message(call, &sifang__v1__case_assignee__descriptor);
    task->seq = (int32_t) sf_db_int(result, row, 0);
    co->kind = (Sifang__V1__AssigneeKind) sf_db_int(result, row, 1);
    co->code = (char *) sf_db_text(result, row, 2);
    co->name = (char *) sf_db_text(result, row, 3);
    co->route = "co-handler";
    task->co_handler = co;
    sf_row_read(result, row, 4, &task->base,
                "task due_unix_ms done reply added_by added_unix_ms done_by done_unix_ms");
    return task;
}

sf_status_t
intake_case_cohandler_add(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseCoHandlerAddRequest *add = (const Sifang__V1__CaseCoHandlerAddRequest *) request;
    const intake_t *intake = sf_call_state(call);
    intake_step_case_t asked;
    sf_status_t status = intake_step_begin(call, add->ref, add->imported, &asked);
    if (status != SF_OK)
        return status;
    const Sifang__V1__Case *the_case = asked.the_case;
    if (the_case->status != CASE_STATUS(ASSIGNED) && the_case->status != CASE_STATUS(IN_PROGRESS))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is %s; co-handlers join a case"
                              " being handled", (long long) the_case->id, intake_status_name(the_case->status));
    if (!intake_caller_holds(call, the_case))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "case %lld is led by %s: its lead asks for co-handlers",
                            (long long) the_case->id, the_case->assignee->name);
    const Sifang__V1__CaseAssignee *co = add->co_handler;
    const char *lookup = NULL;
    if (!co || (co->kind != ASSIGNEE(DEPARTMENT) && co->kind != ASSIGNEE(UNIT)))
        sf_call_violation(call, "co_handler.kind", "must be a department or an org unit");
    else if (sf_call_check_text(call, "co_handler.code", co->code, 64, true))
        lookup = co->kind == ASSIGNEE(DEPARTMENT) ? "SELECT name FROM ref_department WHERE code = $1"
                                                  : "SELECT name FROM ref_unit WHERE code = $1";
    sf_call_check_note(call, "task", add->task, 500, true);
    if (add->working_days < 1 || add->working_days > 365)
        sf_call_violation(call, "working_days", "must be 1 to 365");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (the_case->assignee->kind == co->kind && strcmp(the_case->assignee->code, co->code) == 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "co_handler.code", "%s leads the case already",
                              co->code);
    PGresult *found = sf_call_query(call, lookup, SF_PARAMS(co->code));
    if (!found)
        return sf_call_status(call);
    if (PQntuples(found) != 1)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "co_handler.code", "%s is not known from grid",
                              co->code);
    const char *name = sf_db_text(found, 0, 0);
    /* Its deadline, in working days from now, never after the case's. */
    PGresult *due = sf_call_query(call,
        "SELECT coalesce(" INTAKE_MS("intake_due(coalesce(to_timestamp($1::bigint / 1000.0), now()), $2, 1::smallint,"
        " $3)") ", 0)", SF_PARAMS(asked.at_ms ? sf_param_int(asked.at_ms) : sf_param_text_or_null(""),
                                  add->working_days, intake->config.timezone));
    if (!due)
        return sf_call_status(call);
    int64_t due_ms = sf_db_int(due, 0, 0);
    if (!due_ms || (the_case->due_unix_ms && due_ms > the_case->due_unix_ms))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "working_days", "the task would fall due after the"
                              " case does; the lead answers for the whole case by its due time");
    intake_step_t step;
    intake_step_init(&step, the_case->id, CASE_ACTION(COHANDLER_ADDED), the_case->status, asked.actor, asked.at_ms,
                     sf_call_printf(call, "协办 %s: %s", name, add->task),
                     "cohandler_tasks = c.cohandler_tasks + 1, cohandler_tasks_open = c.cohandler_tasks_open + 1,"
                     " assigned_departments = CASE WHEN $7::smallint = 1 AND NOT ($8 = ANY (c.assigned_departments))"
                     "   THEN c.assigned_departments || $8::text ELSE c.assigned_departments END");
    SF_PARAMS_ADD(&step.params, co->kind, co->code, name, add->task, due_ms);
    step.also = " l AS (INSERT INTO case_cohandler (case_id, seq, kind, code, name, task, due_at, added_by, added_at)"
                " SELECT u.id, u.cohandler_tasks, $7, $8, $9, $10, to_timestamp($11::bigint / 1000.0), $4, u.last_at"
                " FROM u),";
    step.set_waiting = true;
    step.waiting = intake_waiting(call, co->kind, co->code, name, "co-handler");
    return intake_step_reply(call, &step, reply_p);
}

/* Whether the caller answers for a co-handler: its department's staff, the
 * staff of its unit, or a key whose scope covers the unit or the case. */
static bool
caller_co_handles(sf_call_t *call, const Sifang__V1__Case *the_case, int kind, const char *code)
{
    if (!sf_call_is_person(call))
        return sf_call_covers(call, kind == ASSIGNEE(UNIT) ? code : the_case->unit_code);
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    if (kind == ASSIGNEE(DEPARTMENT))
        return strcmp(principal->department, code) == 0 && sf_call_has_role(call, INTAKE_ROLE_DEPARTMENT_STAFF);
    return sf_call_may_write(call, code);
}

sf_status_t
intake_case_cohandler_complete(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseCoHandlerCompleteRequest *done = (const Sifang__V1__CaseCoHandlerCompleteRequest *) request;
    /* The co-handler may not handle the case itself: it is loaded by id and
     * the caller checked against the task. */
    int64_t id = intake_case_ref_id(call, "ref", done->ref);
    int64_t at_ms;
    const char *actor;
    intake_step_time(call, "imported", done->imported, &at_ms, &actor);
    if (done->task_seq < 1)
        sf_call_violation(call, "task_seq", "must be a task's number (1, 2 ...)");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__Case *the_case;
    intake_case_extra_t extra;
    sf_status_t status = intake_case_load_id(call, id, true, &the_case, &extra);
    if (status != SF_OK)
        return status;
    PGresult *task = the_case ? sf_call_query(call, "SELECT kind, code, done FROM case_cohandler"
                                              " WHERE case_id = $1 AND seq = $2",
                                              SF_PARAMS(the_case->id, done->task_seq)) : NULL;
    if (the_case && !task)
        return sf_call_status(call);
    if (!the_case || PQntuples(task) != 1
        || !caller_co_handles(call, the_case, (int) sf_db_int(task, 0, 0), sf_db_text(task, 0, 1)))
        return sf_call_refuse(call, SF_NOT_FOUND, "task_seq", "no co-handler task %d of case %lld is yours",
                              done->task_seq, (long long) id);
    if (done->ref->expected_version && done->ref->expected_version != the_case->version)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref.expected_version", "the case is at version %lld,"
                              " not %lld", (long long) the_case->version, (long long) done->ref->expected_version);
    if (!intake_step_after(call, "imported", at_ms, &extra))
        return sf_call_status(call);
    if (sf_db_bool(task, 0, 2))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "task_seq", "task %d was completed already",
                              done->task_seq);
    if (the_case->status != CASE_STATUS(ASSIGNED) && the_case->status != CASE_STATUS(IN_PROGRESS))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "ref", "case %lld is %s", (long long) the_case->id,
                              intake_status_name(the_case->status));
    if (!sf_call_check_note(call, "reply", done->reply, 1000, true))
        return sf_call_status(call);
    intake_step_t step;
    intake_step_init(&step, the_case->id, CASE_ACTION(COHANDLER_COMPLETED), the_case->status, actor, at_ms,
                     sf_call_printf(call, "协办 %d: %s", done->task_seq, done->reply),
                     "cohandler_tasks_open = c.cohandler_tasks_open - 1");
    SF_PARAMS_ADD(&step.params, done->task_seq, done->reply);
    step.also = " l AS (UPDATE case_cohandler k SET done = true, reply = $8, done_by = $4, done_at = u.last_at"
                " FROM u WHERE k.case_id = u.id AND k.seq = $7::int),";
    const Sifang__V1__CaseAssignee *lead = the_case->assignee;
    step.set_waiting = lead != NULL;
    step.waiting = lead ? intake_waiting(call, lead->kind, lead->code, lead->name, "assignee") : NULL;
    return intake_step_reply(call, &step, reply_p);
}

sf_status_t
intake_case_cohandler_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    Sifang__V1__Case *the_case;
    sf_status_t status = intake_case_load(call, "ref", (const Sifang__V1__CaseRef *) request, false, false,
                                          &the_case, NULL);
    if (status != SF_OK)
        return status;
    PGresult *result = sf_call_query(call, "SELECT " TASK_COLUMNS " FROM case_cohandler WHERE case_id = $1"
                                     " ORDER BY seq", SF_PARAMS(the_case->id));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__CaseCoHandlerListReply *reply = (Sifang__V1__CaseCoHandlerListReply *)
        sf_call_new_message(call, &sifang__v1__case_co_handler_list_reply__descriptor);
    int rows = PQntuples(result);
    reply->tasks = sf_call_new_array(call, (size_t) rows, sizeof *reply->tasks);
    for (int row = 0; row < rows; row++)
        reply->tasks[reply->n_tasks++] = task_from_row(call, result, row);
    *reply_p = &reply->base;
    return SF_OK;
}
