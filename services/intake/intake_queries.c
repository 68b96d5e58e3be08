/* Reading cases: one by id or registration number, its audit trail, lists
 * with filters and keyset paging (the overdue and due-soon lists among
 * them, and the paging the meeting list shares), and the backlog board by
 * org unit. */
#include "intake.h"
#include "sf_dates.h"
#include "sf_row.h"
#include <stdio.h>
#include <string.h>

sf_status_t
intake_case_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    Sifang__V1__Case *the_case;
    sf_status_t status = intake_case_load(call, "ref", (const Sifang__V1__CaseRef *) request, false, false,
                                          &the_case, NULL);
    if (status != SF_OK)
        return status;
    if (!intake_review_expected(call, the_case))
        return sf_call_status(call);
    *reply_p = &the_case->base;
    return SF_OK;
}

sf_status_t
intake_case_history(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    Sifang__V1__Case *the_case;
    sf_status_t status = intake_case_load(call, "ref", (const Sifang__V1__CaseRef *) request, false, false,
                                          &the_case, NULL);
    if (status != SF_OK)
        return status;
    if (!intake_review_expected(call, the_case))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call,
        "SELECT seq, action, from_status, to_status, actor_id, actor_name, " INTAKE_MS("at") ", note"
        "  FROM case_history WHERE case_id = $1 ORDER BY seq", SF_PARAMS(the_case->id));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__CaseHistoryReply *reply = (Sifang__V1__CaseHistoryReply *)
        sf_call_new_message(call, &sifang__v1__case_history_reply__descriptor);
    reply->current = the_case;
    int rows = PQntuples(result);
    reply->transitions = sf_call_new_array(call, (size_t) rows, sizeof *reply->transitions);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__CaseTransition *transition = (Sifang__V1__CaseTransition *)
            sf_call_new_message(call, &sifang__v1__case_transition__descriptor);
        sf_row_read(result, row, 0, &transition->base,
                    "seq action from_status to_status actor_id actor_name at_unix_ms note");
        reply->transitions[reply->n_transitions++] = transition;
    }
    if (rows)
        the_case->last_transition = reply->transitions[rows - 1];
    *reply_p = &reply->base;
    return SF_OK;
}

static bool
check_code_filter(sf_call_t *call, const char *field, const char *value, size_t max)
{
    return !*value || sf_call_check_text(call, field, value, max, false);
}

sf_status_t
intake_case_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseListRequest *list = (const Sifang__V1__CaseListRequest *) request;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    /* A person's own cases (first_responder_id: theirs), and department
     * staff's cases of their department (assignee_code: theirs), wherever
     * those lie: "under" then only narrows them. Any other list reads
     * within the caller's view. */
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    bool person = sf_call_is_person(call);
    bool own = person && *list->first_responder_id && strcmp(list->first_responder_id, principal->id) == 0;
    bool departments = person && !own && *list->assignee_code && *principal->department
                    && strcmp(list->assignee_code, principal->department) == 0
                    && sf_call_has_role(call, INTAKE_ROLE_DEPARTMENT_STAFF);
    const char *prefix = NULL;
    bool visible;
    if (own || departments) {
        visible = sf_code_prefix_valid(list->under);
        if (!visible)
            sf_call_violation(call, "under", "must be an org unit or household code (digits only)");
        prefix = list->under;
    } else
        visible = sf_call_scope_under(call, "under", list->under, &prefix);
    for (size_t i = 0; i < list->n_statuses; i++)
        if (list->statuses[i] < SIFANG__V1__CASE_STATUS__CASE_STATUS_RECEIVED
            || list->statuses[i] > SIFANG__V1__CASE_STATUS__CASE_STATUS_TRANSFERRED)
            sf_call_violation(call, sf_call_printf(call, "statuses[%zu]", i), "is not a case status");
    if (list->n_statuses > 8)
        sf_call_violation(call, "statuses", "at most 8");
    if (list->due_within_hours < 0 || list->due_within_hours > 8760)
        sf_call_violation(call, "due_within_hours", "must be between 0 and 8760");
    if (list->category < 0 || list->category > SIFANG__V1__SERVICE_CATEGORY__SERVICE_CATEGORY_CONVENIENCE)
        sf_call_violation(call, "category", "is not a service category");
    if (list->channel < 0 || list->channel > SIFANG__V1__CASE_CHANNEL__CASE_CHANNEL_COMMUNITY_MEETING)
        sf_call_violation(call, "channel", "is not a channel");
    if (list->escalation_level < 0 || list->escalation_level > 2)
        sf_call_violation(call, "escalation_level", "must be 0, 1 (community) or 2 (street)");
    if (list->dispatch_state < 0 || list->dispatch_state > SIFANG__V1__CASE_DISPATCH_STATE__CASE_DISPATCH_STATE_CANCELLED)
        sf_call_violation(call, "dispatch_state", "is not a dispatch state");
    if (list->received_from_unix_ms < 0 || list->received_to_unix_ms < 0)
        sf_call_violation(call, "received_from_unix_ms", "must not be negative");
    check_code_filter(call, "item_code", list->item_code, 48);
    check_code_filter(call, "first_responder_id", list->first_responder_id, 64);
    check_code_filter(call, "assignee_code", list->assignee_code, 64);
    if (list->case_type < 0 || list->case_type > SIFANG__V1__CASE_TYPE__CASE_TYPE_SUGGESTION)
        sf_call_violation(call, "case_type", "is not a case type");
    if (list->direct_answers_only && list->exclude_direct_answers)
        sf_call_violation(call, "exclude_direct_answers", "contradicts direct_answers_only");
    if (*list->household_code && !sf_code_digits(list->household_code))
        sf_call_violation(call, "household_code", "must be a household code (digits)");
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    Sifang__V1__CaseListReply *reply = (Sifang__V1__CaseListReply *)
        sf_call_new_message(call, &sifang__v1__case_list_reply__descriptor);
    reply->next_page_token = "";
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;

    sf_query_t query;
    sf_query_init(&query, call, "SELECT " INTAKE_CASE_COLUMNS INTAKE_CASE_FROM);
    sf_query_subtree(&query, "c.unit_code", prefix);
    if (list->n_statuses) {
        sf_pgarray_t statuses;
        sf_pgarray_init(&statuses);
        for (size_t i = 0; i < list->n_statuses; i++)
            sf_pgarray_add_int(&statuses, list->statuses[i]);
        int n = sf_query_text(&query, sf_call_strdup(call, sf_pgarray_text(&statuses)));
        sf_pgarray_release(&statuses);
        sf_query_where(&query, "c.status = ANY ($%d::smallint[])", n);
    }
    if (list->open_only || list->overdue_only || list->due_within_hours)
        sf_query_where(&query, "c.status <= 4");
    if (list->overdue_only)
        sf_query_where(&query, "c.due_at < now()");
    if (list->due_within_hours)
        sf_query_where(&query, "c.due_at >= now() AND c.due_at < now() + make_interval(hours => $%d)",
                           sf_query_int(&query, list->due_within_hours));
    if (*list->item_code)
        sf_query_where(&query, "c.item_code = $%d", sf_query_text(&query, list->item_code));
    if (list->category)
        sf_query_where(&query, "c.category = $%d", sf_query_int(&query, list->category));
    if (list->channel)
        sf_query_where(&query, "c.channel = $%d", sf_query_int(&query, list->channel));
    if (*list->first_responder_id)
        sf_query_where(&query, "c.first_responder_id = $%d", sf_query_text(&query, list->first_responder_id));
    if (*list->assignee_code)
        sf_query_where(&query, "c.assignee_code = $%d", sf_query_text(&query, list->assignee_code));
    if (departments)
        sf_query_where(&query, "c.assignee_kind = %d", SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_DEPARTMENT);
    if (*list->household_code)
        sf_query_where(&query, "c.household_code = $%d", sf_query_text(&query, list->household_code));
    if (list->received_from_unix_ms)
        sf_query_where(&query, "c.received_at >= to_timestamp($%d::bigint / 1000.0)",
                           sf_query_int(&query, list->received_from_unix_ms));
    if (list->received_to_unix_ms)
        sf_query_where(&query, "c.received_at < to_timestamp($%d::bigint / 1000.0)",
                           sf_query_int(&query, list->received_to_unix_ms));
    if (list->escalation_level)
        sf_query_where(&query, "c.escalation_level >= $%d", sf_query_int(&query, list->escalation_level));
    if (list->dispatch_state)
        sf_query_where(&query, "c.dispatch_state = $%d", sf_query_int(&query, list->dispatch_state));
    /* The work-order rules: direct answers are counted apart. */
    if (list->case_type)
        sf_query_where(&query, "c.case_type = $%d", sf_query_int(&query, list->case_type));
    if (list->direct_answers_only)
        sf_query_where(&query, "c.direct_answer");
    if (list->exclude_direct_answers)
        sf_query_where(&query, "NOT c.direct_answer");
    if (list->no_owner_only)
        sf_query_where(&query, "c.no_owner AND c.status <= 4");
    sf_query_keyset_newest(&query, &page, "c.id");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->cases = sf_call_new_array(call, (size_t) rows, sizeof *reply->cases);
    for (int row = 0; row < rows; row++)
        if (!(reply->cases[reply->n_cases++] = intake_case_from_row(call, result, row, 0, NULL)))
            return sf_call_status(call);
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    return SF_OK;
}

/* Code length of each grouping level. */
static int
level_length(Sifang__V1__UnitKind kind)
{
    switch (kind) {
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET: return INTAKE_STREET_CODE_LENGTH;
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY: return INTAKE_COMMUNITY_CODE_LENGTH;
    case SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE: return INTAKE_ZONE_CODE_LENGTH;
    default: return 0;
    }
}

static Sifang__V1__UnitKind
level_below(size_t under_length)
{
    if (under_length < INTAKE_STREET_CODE_LENGTH)
        return SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET;
    if (under_length < INTAKE_COMMUNITY_CODE_LENGTH)
        return SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY;
    return SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE;
}

sf_status_t
intake_case_backlog(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CaseBacklogRequest *backlog = (const Sifang__V1__CaseBacklogRequest *) request;
    const intake_t *intake = sf_call_state(call);
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", backlog->under, &prefix);
    Sifang__V1__UnitKind level = backlog->level;
    if (level == SIFANG__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED)
        level = level_below(strlen(visible ? prefix : backlog->under));
    int length = level_length(level);
    if (!length)
        sf_call_violation(call, "level", "must be street, community or zone");
    else if ((size_t) length < strlen(backlog->under))
        sf_call_violation(call, "level", "must lie at or below the unit of under");
    if (backlog->due_within_hours < 0 || backlog->due_within_hours > 8760)
        sf_call_violation(call, "due_within_hours", "must be between 0 and 8760");
    if (*backlog->direct_answers_from && !sf_date_parse(backlog->direct_answers_from, NULL))
        sf_call_violation(call, "direct_answers_from", "must be a date YYYY-MM-DD");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__CaseBacklogReply *reply = (Sifang__V1__CaseBacklogReply *)
        sf_call_new_message(call, &sifang__v1__case_backlog_reply__descriptor);
    *reply_p = &reply->base;
    /* Outside the caller's scope the board is empty, as every list under a
     * unit is: no rows and no total, since a total of zeros would say that
     * a unit the caller may not see has no backlog. */
    if (!visible)
        return SF_OK;
    Sifang__V1__CaseBacklogRow *total = (Sifang__V1__CaseBacklogRow *)
        sf_call_new_message(call, &sifang__v1__case_backlog_row__descriptor);
    total->unit_code = (char *) prefix;
    reply->total = total;
    if ((size_t) length < strlen(prefix))
        length = (int) strlen(prefix);

    /* Every unit of the level under the prefix (grid's copy), zero backlog
     * included, with its open cases' counts. */
    sf_params_t *params = SF_PARAMS(length,
                                    backlog->due_within_hours ? backlog->due_within_hours : intake->config.due_soon_hours,
                                    prefix, sf_call_printf(call, "%s:", prefix), level,
                                    sf_param_text_or_null(backlog->direct_answers_from), intake->config.timezone);
    PGresult *result = sf_call_query(call,
        "WITH g AS (SELECT left(c.unit_code, $1::int) AS unit, count(*) AS open,"
        "                  count(*) FILTER (WHERE c.status = 1) AS unaccepted,"
        "                  count(*) FILTER (WHERE c.status = 2) AS unassigned,"
        "                  count(*) FILTER (WHERE c.due_at < now()) AS overdue,"
        "                  count(*) FILTER (WHERE c.due_at >= now()"
        "                                     AND c.due_at < now() + make_interval(hours => $2::int)) AS due_soon,"
        "                  count(*) FILTER (WHERE c.escalation_level = 1) AS community,"
        "                  count(*) FILTER (WHERE c.escalation_level >= 2) AS street,"
        "                  min(c.received_at) AS oldest,"
        "                  count(*) FILTER (WHERE c.no_owner) AS no_owner,"
        "                  count(*) FILTER (WHERE c.extension_state = 1) AS extension_pending,"
        "                  count(*) FILTER (WHERE c.status = 3 AND c.assignment > 0 AND c.signed_at IS NULL) AS unsigned"
        "             FROM intake_case c"
        "            WHERE c.status <= 4 AND ($3 = '' OR (c.unit_code >= $3 AND c.unit_code < $4))"
        "            GROUP BY 1),"
        /* Closed ones counted apart: answered on the spot since the date
         * (default the month's first), and replies awaiting review. */
        "     d AS (SELECT left(c.unit_code, $1::int) AS unit,"
        "                  count(*) FILTER (WHERE c.direct_answer) AS direct,"
        "                  count(*) FILTER (WHERE c.status = 5 AND c.review_state = 1) AS review"
        "             FROM intake_case c"
        "            WHERE ((c.direct_answer AND c.received_at >= coalesce($6::date,"
        "                      date_trunc('month', now() AT TIME ZONE $7)::date)::timestamp AT TIME ZONE $7)"
        "                   OR (c.status = 5 AND c.review_state = 1))"
        "              AND ($3 = '' OR (c.unit_code >= $3 AND c.unit_code < $4))"
        "            GROUP BY 1),"
        "     u AS (SELECT code, name FROM ref_unit"
        "            WHERE kind = $5::smallint AND ($3 = '' OR (code >= $3 AND code < $4))),"
        "     k AS (SELECT unit FROM g UNION SELECT unit FROM d UNION SELECT code FROM u)"
        " SELECT k.unit, coalesce(u.name, ''), coalesce(g.open, 0), coalesce(g.unaccepted, 0),"
        "        coalesce(g.unassigned, 0), coalesce(g.overdue, 0), coalesce(g.due_soon, 0),"
        "        coalesce(g.community, 0), coalesce(g.street, 0), coalesce(" INTAKE_MS("g.oldest") ", 0),"
        "        coalesce(d.direct, 0), coalesce(g.no_owner, 0), coalesce(d.review, 0),"
        "        coalesce(g.extension_pending, 0), coalesce(g.unsigned, 0)"
        "   FROM k LEFT JOIN g ON g.unit = k.unit LEFT JOIN d ON d.unit = k.unit LEFT JOIN u ON u.code = k.unit"
        "  ORDER BY 1", params);
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    reply->rows = sf_call_new_array(call, (size_t) rows, sizeof *reply->rows);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__CaseBacklogRow *line = (Sifang__V1__CaseBacklogRow *)
            sf_call_new_message(call, &sifang__v1__case_backlog_row__descriptor);
        sf_row_read(result, row, 0, &line->base,
                    "unit_code unit_name open unaccepted unassigned overdue due_soon escalated_community escalated_street"
                    " oldest_open_unix_ms direct_answers no_owner awaiting_review extension_pending unsigned_cases");
        total->open += line->open;
        total->unaccepted += line->unaccepted;
        total->unassigned += line->unassigned;
        total->overdue += line->overdue;
        total->due_soon += line->due_soon;
        total->escalated_community += line->escalated_community;
        total->escalated_street += line->escalated_street;
        total->direct_answers += line->direct_answers;
        total->no_owner += line->no_owner;
        total->awaiting_review += line->awaiting_review;
        total->extension_pending += line->extension_pending;
        total->unsigned_cases += line->unsigned_cases;
        if (line->oldest_open_unix_ms
            && (!total->oldest_open_unix_ms || line->oldest_open_unix_ms < total->oldest_open_unix_ms))
            total->oldest_open_unix_ms = line->oldest_open_unix_ms;
        reply->rows[reply->n_rows++] = line;
    }
    return SF_OK;
}
