/* Per-stage deadlines: each assignment's receipt (签收) and first response
 * fall due in working minutes of the case type (intake_step_new_assignment);
 * completion is the case's due time. A stage met late is recorded by the
 * step that meets it (intake_stage_met_late); a stage still unmet past its
 * due time is marked by the sweep here, a step (STAGE_LATE) with its event,
 * once per case, stage and assignment: the row in case_stage_late is the
 * mark, and the sweep takes only the stages without one. Each row names the
 * holder of the case when the stage fell due, so lateness is counted
 * against the tier that held it then, not the one holding it at the end.
 * CaseStageLateList reads them. */
#include "intake.h"
#include "sf_row.h"
#include <stdio.h>
#include <string.h>

#define SWEEP_ACTOR "intake-sweep"
#define SWEEP_LIMIT 1000

/* The unmet stages past due of open assigned cases (stage 1 receipt, 2
 * first response), their marks and their steps, in one statement. A case
 * with both past due gets both marks and a step for each (seq in stage
 * order), so that a sweep which then escalates the case (a new
 * assignment) leaves neither unrecorded. */
static const char stages_sql[] =
    "WITH due AS (SELECT c.id, s.stage, s.due_at FROM intake_case c"
    "               CROSS JOIN LATERAL (VALUES (1::smallint, c.receipt_due_at, c.signed_at),"
    "                                          (2::smallint, c.first_response_due_at, c.first_responded_at))"
    "                                  AS s(stage, due_at, met_at)"
    "              WHERE c.status IN (3, 4) AND c.assignee_kind <> 0 AND s.met_at IS NULL AND s.due_at < now()"
    "                AND (c.imported_at IS NULL OR c.imported_at < now() - make_interval(secs => $3))"
    "                AND NOT EXISTS (SELECT 1 FROM case_stage_late l WHERE l.case_id = c.id"
    "                                   AND l.stage = s.stage AND l.assignment = c.assignment)"
    "              ORDER BY s.due_at LIMIT $2),"
    " locked AS (SELECT c.id FROM intake_case c WHERE c.id IN (SELECT id FROM due) FOR UPDATE OF c SKIP LOCKED),"
    " marks AS (SELECT due.id, due.stage, due.due_at,"
    "                  row_number() OVER (PARTITION BY due.id ORDER BY due.stage) AS k,"
    "                  count(*) OVER (PARTITION BY due.id) AS n"
    "             FROM due WHERE due.id IN (SELECT id FROM locked)),"
    " u AS (UPDATE intake_case c SET version = c.version + m.n, last_at = greatest(c.last_at, now())"
    "       FROM (SELECT DISTINCT id, n FROM marks) m WHERE c.id = m.id RETURNING c.*),"
    " l AS (INSERT INTO case_stage_late (case_id, stage, assignment, holder_kind, holder_code, holder_name,"
    "                                    holder_unit, unit_code, due_at, marked_at)"
    "       SELECT u.id, marks.stage, u.assignment, u.assignee_kind, coalesce(u.assignee_code, ''), u.assignee_name,"
    "              intake_holder_unit(u.assignee_kind, u.assignee_code), u.unit_code, marks.due_at, now()"
    "         FROM u JOIN marks ON marks.id = u.id ON CONFLICT DO NOTHING),"
    " h AS (INSERT INTO case_history (case_id, seq, action, from_status, to_status, actor_id, at, note)"
    "       SELECT u.id, u.version - marks.n + marks.k, 18, u.status, u.status, $1, now(),"
    "              CASE marks.stage WHEN 1 THEN 'receipt (签收)' ELSE 'first response' END || ' late: due '"
    "              || to_char(marks.due_at AT TIME ZONE $4, 'YYYY-MM-DD HH24:MI') || ', held by '"
    "              || u.assignee_name || ' (assignment ' || u.assignment || ')'"
    "         FROM u JOIN marks ON marks.id = u.id RETURNING case_id, seq, at, note)"
    " SELECT " INTAKE_CASE_COLUMNS ", h.seq AS step_seq, " INTAKE_MS("h.at") " AS step_at_ms, h.note AS step_note"
    "   FROM u AS c JOIN h ON h.case_id = c.id LEFT JOIN service_item i ON i.code = c.item_code ORDER BY c.id, h.seq";

int
intake_stages_sweep(sf_call_t *call)
{
    const intake_t *intake = sf_call_state(call);
    PGresult *result = sf_call_query(call, stages_sql, SF_PARAMS(SWEEP_ACTOR, SWEEP_LIMIT,
                                                                 intake->config.import_grace_s,
                                                                 intake->config.timezone));
    if (!result)
        return -1;
    int seq_column = intake_column(call, result, "step_seq");
    int at_column = intake_column(call, result, "step_at_ms");
    int note_column = intake_column(call, result, "step_note");
    if (seq_column < 0 || at_column < 0 || note_column < 0)
        return -1;
    int rows = PQntuples(result);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__Case *the_case = intake_case_from_row(call, result, row, 0, NULL);
        if (!the_case)
            return -1;
        Sifang__V1__CaseTransition *transition = (Sifang__V1__CaseTransition *)
            sf_call_new_message(call, &sifang__v1__case_transition__descriptor);
        transition->seq = (int32_t) sf_db_int(result, row, seq_column);
        transition->action = SIFANG__V1__CASE_ACTION__CASE_ACTION_STAGE_LATE;
        transition->from_status = the_case->status;
        transition->to_status = the_case->status;
        transition->actor_id = SWEEP_ACTOR;
        transition->actor_name = "";
        transition->at_unix_ms = sf_db_int(result, row, at_column);
        transition->note = (char *) sf_db_text(result, row, note_column);
        the_case->last_transition = transition;
        the_case->updated_unix_ms = transition->at_unix_ms;
        the_case->version = transition->seq;   /* a case with two marks: each event its own step's version */
        intake_case_emit(call, the_case);
    }
    return rows;
}

sf_status_t
intake_case_stage_late_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseStageLateListRequest *list = (const Sifang__V1__CaseStageLateListRequest *) request;
    sf_page_t page = sf_page_of(call, list->page);
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (list->stage < 0 || list->stage > SIFANG__V1__CASE_STAGE__CASE_STAGE_COMPLETION)
        sf_call_violation(call, "stage", "must be receipt, first response or completion");
    if (list->case_id < 0)
        sf_call_violation(call, "case_id", "must not be negative");
    /* The page token is the last row's key: case, stage, assignment. */
    long long after_case = 0;
    int after_stage = 0, after_assignment = 0;
    const char *token = page.token ? page.token : "";
    if (*token && sscanf(token, "%lld.%d.%d", &after_case, &after_stage, &after_assignment) != 3)
        sf_call_violation(call, "page.page_token", "is not a token this list handed out");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__CaseStageLateListReply *reply = (Sifang__V1__CaseStageLateListReply *)
        sf_call_new_message(call, &sifang__v1__case_stage_late_list_reply__descriptor);
    reply->next_page_token = "";
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    char upper[64];
    sf_code_subtree_upper(prefix, upper, sizeof upper);
    PGresult *result = sf_call_query(call,
        "SELECT case_id, stage, assignment, holder_kind, holder_code, holder_name, holder_unit,"
        "       " INTAKE_MS("due_at") ", " INTAKE_MS("marked_at")
        "  FROM case_stage_late"
        " WHERE ($1 = '' OR (unit_code >= $1 AND unit_code < $2)) AND ($3::int = 0 OR stage = $3::int)"
        "   AND ($4::bigint = 0 OR case_id = $4::bigint)"
        "   AND ($5::bigint = 0 OR (case_id, stage, assignment) < ($5::bigint, $6::int, $7::int))"
        " ORDER BY case_id DESC, stage DESC, assignment DESC LIMIT $8",
        SF_PARAMS(prefix, (const char *) upper, list->stage, list->case_id, after_case,
                  after_stage, after_assignment, page.size + 1));
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    bool more = rows > page.size;
    if (more)
        rows = page.size;
    reply->rows = sf_call_new_array(call, (size_t) rows, sizeof *reply->rows);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__CaseStageLate *late = (Sifang__V1__CaseStageLate *)
            sf_call_new_message(call, &sifang__v1__case_stage_late__descriptor);
        Sifang__V1__CaseAssignee *holder = (Sifang__V1__CaseAssignee *)
            sf_call_new_message(call, &sifang__v1__case_assignee__descriptor);
        late->case_id = sf_db_int(result, row, 0);
        late->stage = (Sifang__V1__CaseStage) sf_db_int(result, row, 1);
        late->assignment = (int32_t) sf_db_int(result, row, 2);
        holder->kind = (Sifang__V1__AssigneeKind) sf_db_int(result, row, 3);
        holder->code = (char *) sf_db_text(result, row, 4);
        holder->name = (char *) sf_db_text(result, row, 5);
        holder->route = "holder";
        late->holder = holder;
        late->holder_unit = (char *) sf_db_text(result, row, 6);
        late->due_unix_ms = sf_db_int(result, row, 7);
        late->marked_unix_ms = sf_db_int(result, row, 8);
        reply->rows[reply->n_rows++] = late;
    }
    if (more)
        reply->next_page_token = sf_call_printf(call, "%lld.%d.%d", (long long) reply->rows[rows - 1]->case_id,
                                                reply->rows[rows - 1]->stage, reply->rows[rows - 1]->assignment);
    return SF_OK;
}
