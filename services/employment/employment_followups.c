/* Follow-up visits (跟踪服务): the practice does not leave a person once
 * placed or once their business is supported. A placement is visited one,
 * three and six months after it started (就业跟踪回访), a start-up three,
 * six and twelve months after the grant (创业跟踪服务): the schedule is the
 * table follow_up_step (migration 003). Visits are scheduled when the
 * placement or grant is recorded; the counsellor records each visit with
 * its outcome; a placement that ends cancels the visits not yet due after
 * it; the list shows what falls due and what is overdue. */
#include "employment.h"
#include "sf_row.h"
#include <stdio.h>
#include <string.h>

/* A visit that fell due more than this many days before the placement or
 * grant is recorded is not scheduled: an old placement recorded late asks
 * no visit long past. */
#define FOLLOW_UP_LATE_DAYS 30

#define FOLLOW_UP_COLUMNS \
    "f.id, f.kind, COALESCE(f.placement_id, 0), COALESCE(f.support_id, 0), p.resident_id, f.home_zone_code," \
    " COALESCE(CASE WHEN f.kind = 1 THEN COALESCE(NULLIF(pl.employer_name, ''), e.name) ELSE su.business_name END," \
    "  '') AS subject, f.step, " EMP_DATE("f.due_on") ", " EMP_DATE("f.visited_on") ", COALESCE(f.outcome, 0)," \
    " f.note, f.visitor_id, f.cancelled, " EMP_MS("f.created_at") ", " EMP_MS("f.updated_at") ", f.version"
#define FOLLOW_UP_FROM \
    "follow_up f JOIN person p ON p.serial = f.person_serial" \
    " LEFT JOIN placement pl ON pl.id = f.placement_id" \
    " LEFT JOIN enterprise e ON e.credit_code = pl.enterprise_credit_code" \
    " LEFT JOIN support su ON su.id = f.support_id"

static Sifang__V1__FollowUp *
follow_up_from_row(sf_call_t *call, const PGresult *result, int row, const char *today)
{
    Sifang__V1__FollowUp *follow_up = sf_call_row_message(call, &sifang__v1__follow_up__descriptor, result, row,
        "id kind placement_id support_id resident_id home_zone_code subject step due_on visited_on outcome note"
        " visitor_id cancelled created_unix_ms updated_unix_ms version");
    if (follow_up)
        follow_up->overdue = !*follow_up->visited_on && !follow_up->cancelled
            && strcmp(follow_up->due_on, today) < 0;
    return follow_up;
}

sf_status_t
emp_follow_ups_schedule(sf_call_t *call, int kind, const char *ids)
{
    char today[11];
    sf_date_format(sf_today(), today);
    sf_params_t *params = SF_PARAMS(ids, today, FOLLOW_UP_LATE_DAYS);
    PGresult *result;
    if (kind == SIFANG__V1__FOLLOW_UP_KIND__FOLLOW_UP_KIND_PLACEMENT)
        /* Not past the placement's end, when it has one already. */
        result = emp_try(call,
            "INSERT INTO follow_up (kind, placement_id, person_serial, home_zone_code, step, due_on)"
            " SELECT 1, pl.id, pl.person_serial, pl.home_zone_code, s.step, d.due"
            " FROM placement pl JOIN follow_up_step s ON s.kind = 1"
            " CROSS JOIN LATERAL (SELECT (pl.start_date + make_interval(months => s.months))::date AS due) d"
            " WHERE pl.id = ANY ($1::bigint[]) AND d.due >= $2::date - $3::int"
            "   AND (pl.end_date IS NULL OR pl.end_date >= d.due)", params);
    else
        result = emp_try(call,
            "INSERT INTO follow_up (kind, support_id, person_serial, home_zone_code, step, due_on)"
            " SELECT 2, su.id, su.person_serial, su.home_zone_code, s.step, d.due"
            " FROM support su JOIN follow_up_step s ON s.kind = 2"
            " CROSS JOIN LATERAL (SELECT (su.granted_on + make_interval(months => s.months))::date AS due) d"
            " WHERE su.id = ANY ($1::bigint[]) AND d.due >= $2::date - $3::int", params);
    if (!result)
        return sf_call_status(call);
    PQclear(result);
    return SF_OK;
}

sf_status_t
emp_follow_ups_cancel(sf_call_t *call, int64_t placement_id, const char *end_date)
{
    PGresult *result = emp_try(call,
        "UPDATE follow_up SET cancelled = true, version = version + 1, updated_at = now()"
        " WHERE placement_id = $1 AND visited_on IS NULL AND NOT cancelled AND due_on > $2::date",
        SF_PARAMS(placement_id, end_date));
    if (!result)
        return sf_call_status(call);
    PQclear(result);
    return SF_OK;
}

sf_status_t
emp_follow_up_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__FollowUpListRequest *list = (const Sifang__V1__FollowUpListRequest *) request;
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    sf_page_t page = sf_page_of(call, list->page);
    emp_check_date(call, "due_by", list->due_by, NULL);
    if (list->kind < 0 || list->kind > 2)
        sf_call_violation(call, "kind", "is not a follow-up kind");
    /* The token is the last row shown, by due date then id: "YYYY-MM-DD/id". */
    char after_due[11] = "";
    long long after_id = 0;
    if (*page.token) {
        int used = 0;
        if (sscanf(page.token, "%10[0-9-]/%lld%n", after_due, &after_id, &used) != 2
            || page.token[used] != 0 || !sf_date_parse(after_due, &(int32_t) { 0 }))
            sf_page_bad_token(call);
    }
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__FollowUpListReply *reply = (Sifang__V1__FollowUpListReply *)
        sf_call_new_message(call, &sifang__v1__follow_up_list_reply__descriptor);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    char today[11];
    sf_date_format(sf_today(), today);
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " FOLLOW_UP_COLUMNS " FROM " FOLLOW_UP_FROM);
    sf_query_subtree(&query, "f.home_zone_code", prefix);
    if (*list->resident_id)
        sf_query_where(&query, "p.resident_id = $%d", sf_query_text(&query, list->resident_id));
    if (list->kind)
        sf_query_where(&query, "f.kind = $%d", sf_query_int(&query, list->kind));
    if (list->pending_only || list->overdue_only)
        sf_query_where(&query, "f.visited_on IS NULL AND NOT f.cancelled");
    if (list->overdue_only)
        sf_query_where(&query, "f.due_on < $%d::date", sf_query_text(&query, today));
    if (*list->due_by)
        sf_query_where(&query, "f.due_on <= $%d::date", sf_query_text(&query, list->due_by));
    if (after_id) {
        int due = sf_query_text(&query, after_due);
        sf_query_where(&query, "(f.due_on, f.id) > ($%d::date, $%d)", due, sf_query_int(&query, after_id));
    }
    sf_query_append(&query, " ORDER BY f.due_on, f.id LIMIT %d", page.size + 1);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->follow_ups = sf_call_new_array(call, (size_t) rows, sizeof *reply->follow_ups);
    for (int row = 0; row < rows; row++)
        if (!(reply->follow_ups[reply->n_follow_ups++] = follow_up_from_row(call, result, row, today)))
            return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
    if (sf_page_more(&page, result)) {
        const Sifang__V1__FollowUp *last = reply->follow_ups[rows - 1];
        reply->next_page_token = sf_call_printf(call, "%s/%lld", last->due_on, (long long) last->id);
    }
    return SF_OK;
}

sf_status_t
emp_follow_up_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__FollowUpRecordRequest *visit = (const Sifang__V1__FollowUpRecordRequest *) request;
    if (visit->id <= 0)
        sf_call_violation(call, "id", "is required");
    if (visit->outcome == 0)
        sf_call_violation(call, "outcome", "is required");
    else if (visit->outcome < 1 || visit->outcome > 6)
        sf_call_violation(call, "outcome", "is not a follow-up outcome");
    sf_call_check_text(call, "note", visit->note, EMP_TEXT_MAX, false);
    int32_t visited = sf_today();
    if (emp_check_date(call, "visited_on", visit->visited_on, &visited) && visited > sf_today())
        sf_call_violation(call, "visited_on", "is in the future");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *result = sf_call_query(call,
        "SELECT f.home_zone_code, f.version, f.visited_on IS NOT NULL, f.cancelled, f.kind,"
        " " EMP_DATE("COALESCE(pl.start_date, su.granted_on)") " FROM follow_up f"
        " LEFT JOIN placement pl ON pl.id = f.placement_id LEFT JOIN support su ON su.id = f.support_id"
        " WHERE f.id = $1 FOR UPDATE OF f", SF_PARAMS(visit->id));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1 || !sf_call_covers(call, sf_db_text(result, 0, 0)))
        return sf_call_refuse(call, SF_NOT_FOUND, "id", "no follow-up %lld", (long long) visit->id);
    if (!emp_may_write(call, sf_db_text(result, 0, 0)))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "the person lives outside your scope");
    if (visit->expected_version && visit->expected_version != sf_db_int(result, 0, 1))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version", "the follow-up is at version %lld",
                              (long long) sf_db_int(result, 0, 1));
    if (sf_db_bool(result, 0, 2))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "id", "follow-up %lld is recorded already",
                              (long long) visit->id);
    if (sf_db_bool(result, 0, 3))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "id",
                              "follow-up %lld was cancelled: the placement ended before it fell due",
                              (long long) visit->id);
    int kind = (int) sf_db_int(result, 0, 4);
    bool for_job = visit->outcome == SIFANG__V1__FOLLOW_UP_OUTCOME__FOLLOW_UP_OUTCOME_STILL_EMPLOYED
        || visit->outcome == SIFANG__V1__FOLLOW_UP_OUTCOME__FOLLOW_UP_OUTCOME_LEFT_JOB;
    bool for_business = visit->outcome == SIFANG__V1__FOLLOW_UP_OUTCOME__FOLLOW_UP_OUTCOME_BUSINESS_OPERATING
        || visit->outcome == SIFANG__V1__FOLLOW_UP_OUTCOME__FOLLOW_UP_OUTCOME_BUSINESS_CLOSED;
    if ((kind == SIFANG__V1__FOLLOW_UP_KIND__FOLLOW_UP_KIND_PLACEMENT && for_business)
        || (kind == SIFANG__V1__FOLLOW_UP_KIND__FOLLOW_UP_KIND_STARTUP && for_job))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "outcome", "is not an outcome of a %s follow-up",
                              kind == SIFANG__V1__FOLLOW_UP_KIND__FOLLOW_UP_KIND_PLACEMENT ? "placement's"
                                                                                            : "start-up's");
    int32_t began = 0;
    sf_date_parse(sf_db_text(result, 0, 5), &began);
    if (visited < began)
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "visited_on", "is before the %s (%s)",
                              kind == SIFANG__V1__FOLLOW_UP_KIND__FOLLOW_UP_KIND_PLACEMENT ? "placement began"
                                                                                            : "support was granted",
                              sf_db_text(result, 0, 5));
    char visited_text[11];
    sf_date_format(visited, visited_text);
    const Sifang__V1__Principal *principal = sf_call_principal(call);
    const char *visitor = principal && principal->id ? principal->id : "";
    result = sf_call_query(call,
        "WITH u AS (UPDATE follow_up SET visited_on = $2::date, outcome = $3, note = $4, visitor_id = $5,"
        "   version = version + 1, updated_at = now() WHERE id = $1 RETURNING *)"
        " SELECT " FOLLOW_UP_COLUMNS " FROM u f JOIN person p ON p.serial = f.person_serial"
        " LEFT JOIN placement pl ON pl.id = f.placement_id"
        " LEFT JOIN enterprise e ON e.credit_code = pl.enterprise_credit_code"
        " LEFT JOIN support su ON su.id = f.support_id",
        SF_PARAMS(visit->id, visited_text, visit->outcome, visit->note, visitor));
    if (!result)
        return sf_call_status(call);
    char today[11];
    sf_date_format(sf_today(), today);
    Sifang__V1__FollowUp *stored = follow_up_from_row(call, result, 0, today);
    if (!stored)
        return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
    return sf_call_emit_reply(call, reply_p, "follow_up.recorded", sf_call_printf(call, "%lld", (long long) stored->id),
                              &stored->base);
}
