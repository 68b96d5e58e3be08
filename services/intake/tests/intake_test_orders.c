/* The work-order rules' fields of a case (Case 36..45) as SQL has them,
 * written here from intake's tables independently of intake's own column
 * list, for the tests that compare a reply or an event with the row. */
#include "intake_test_orders.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS(expr) "coalesce((extract(epoch FROM " expr ") * 1000)::bigint, 0)"

/* A stage is late when a mark of it exists for the present assignment (the
 * sweep's, or the step's that met it late), or it is still unmet past its
 * due time while the case is with its assignee. */
static const char orders_sql[] =
    "SELECT c.case_type, c.direct_answer, c.waiting_kind, c.waiting_code, c.waiting_name, c.waiting_role,"
    "       c.assignment, " MS("c.assigned_at") ", " MS("c.receipt_due_at") ", " MS("c.signed_at") ","
    "       " MS("c.first_response_due_at") ", " MS("c.first_responded_at") ","
    "       EXISTS (SELECT 1 FROM intake.case_stage_late l WHERE l.case_id = c.id AND l.stage = 1"
    "                  AND l.assignment = c.assignment)"
    "         OR (c.signed_at IS NULL AND c.status IN (3, 4) AND now() > c.receipt_due_at),"
    "       EXISTS (SELECT 1 FROM intake.case_stage_late l WHERE l.case_id = c.id AND l.stage = 2"
    "                  AND l.assignment = c.assignment)"
    "         OR (c.first_responded_at IS NULL AND c.status IN (3, 4) AND now() > c.first_response_due_at),"
    "       c.send_backs, c.no_owner, c.extension_state, c.extension_days, c.extension_reason,"
    "       c.extension_requested_by, " MS("c.extension_requested_at") ", c.extension_approver,"
    "       c.extension_decided_by, " MS("c.extension_decided_at") ", c.extension_note, c.extensions_granted,"
    "       c.extension_days_granted, c.review_state, c.review_resolved_by, c.reviewer_id, c.reviewer_name,"
    "       " MS("c.reviewed_at") ", c.review_note, c.review_refusals,"
    "       (SELECT count(*) FROM intake.case_cohandler k WHERE k.case_id = c.id),"
    "       (SELECT count(*) FROM intake.case_cohandler k WHERE k.case_id = c.id AND NOT k.done)"
    "  FROM intake.intake_case c WHERE c.id = $1";

static void *memory[4096];
static size_t n_memory;
static PGresult *results[1024];
static size_t n_results;

static void *
make(size_t size)
{
    void *block = calloc(1, size);
    if (n_memory < sizeof memory / sizeof *memory)
        memory[n_memory++] = block;
    return block;
}

static const char *
col(PGresult *r, int *k)
{
    return PQgetvalue(r, 0, (*k)++);
}

static int64_t
num(PGresult *r, int *k)
{
    return strtoll(col(r, k), NULL, 10);
}

static bool
yes(PGresult *r, int *k)
{
    return strcmp(col(r, k), "t") == 0;
}

bool
intake_orders_in_sql(PGconn *db, int64_t id, Sifang__V1__Case *c)
{
    char id_text[24];
    snprintf(id_text, sizeof id_text, "%lld", (long long) id);
    const char *values[1] = { id_text };
    PGresult *r = PQexecParams(db, orders_sql, 1, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        fprintf(stderr, "intake_orders_in_sql: %s", PQresultErrorMessage(r));
        PQclear(r);
        return false;
    }
    if (n_results < sizeof results / sizeof *results)
        results[n_results++] = r;
    int k = 0;
    c->case_type = num(r, &k);
    c->direct_answer = yes(r, &k);
    Sifang__V1__CaseAssignee *waiting = make(sizeof *waiting);
    sifang__v1__case_assignee__init(waiting);
    waiting->kind = num(r, &k);
    waiting->code = (char *) col(r, &k);
    waiting->name = (char *) col(r, &k);
    waiting->route = (char *) col(r, &k);
    c->waiting_on = waiting->kind ? waiting : NULL;
    Sifang__V1__CaseStages *stages = make(sizeof *stages);
    sifang__v1__case_stages__init(stages);
    stages->assignment = num(r, &k);
    stages->assigned_unix_ms = num(r, &k);
    stages->receipt_due_unix_ms = num(r, &k);
    stages->signed_unix_ms = num(r, &k);
    stages->first_response_due_unix_ms = num(r, &k);
    stages->first_responded_unix_ms = num(r, &k);
    stages->receipt_late = yes(r, &k);
    stages->first_response_late = yes(r, &k);
    c->stages = stages->assignment ? stages : NULL;
    c->send_backs = num(r, &k);
    c->no_owner = yes(r, &k);
    Sifang__V1__CaseExtension *extension = make(sizeof *extension);
    sifang__v1__case_extension__init(extension);
    extension->state = num(r, &k);
    extension->working_days = num(r, &k);
    extension->reason = (char *) col(r, &k);
    extension->requested_by = (char *) col(r, &k);
    extension->requested_unix_ms = num(r, &k);
    extension->approver_unit = (char *) col(r, &k);
    extension->decided_by = (char *) col(r, &k);
    extension->decided_unix_ms = num(r, &k);
    extension->decision_note = (char *) col(r, &k);
    extension->granted = num(r, &k);
    extension->granted_days = num(r, &k);
    c->extension = extension->state ? extension : NULL;
    Sifang__V1__CaseReview *review = make(sizeof *review);
    sifang__v1__case_review__init(review);
    review->state = num(r, &k);
    review->resolved_by = (char *) col(r, &k);
    review->reviewer_id = (char *) col(r, &k);
    review->reviewer_name = (char *) col(r, &k);
    review->reviewed_unix_ms = num(r, &k);
    review->note = (char *) col(r, &k);
    review->refusals = num(r, &k);
    c->review = review->state ? review : NULL;
    c->cohandler_tasks = num(r, &k);
    c->cohandler_tasks_open = num(r, &k);
    return true;
}

void
intake_orders_sql_release(void)
{
    for (size_t i = 0; i < n_memory; i++)
        free(memory[i]);
    for (size_t i = 0; i < n_results; i++)
        PQclear(results[i]);
    n_memory = n_results = 0;
}
