/* Community funding (社区经费): each community's budget for a year and its
 * sources (district finance, party fees under the district's management,
 * the street, others), what it spent by purpose with each voucher's
 * reference, and the balance; the figures of a street or the district are
 * its communities' summed. Amounts are integer fen, never floating point:
 * a budget's sources add up to it exactly, and a spending never takes the
 * year's balance below zero. */
#include "grid.h"
#include "sf_dates.h"
#include "sf_row.h"
#include <stdlib.h>
#include <string.h>

#define SOURCE(name) SIFANG__V1__FUNDING_SOURCE_KIND__FUNDING_SOURCE_KIND_##name
#define PURPOSE(name) SIFANG__V1__FUNDING_PURPOSE__FUNDING_PURPOSE_##name
#define YEAR_MIN 2000
#define YEAR_MAX 2100
/* A community's year in fen: ten billion yuan is beyond any budget. */
#define AMOUNT_MAX_FEN 1000000000000LL
#define SOURCE_NOTE_MAX 200
#define BUDGET_NOTE_MAX 500
#define VOUCHER_MAX 50
#define DESCRIPTION_MAX 500
/* Today anywhere: grid keeps no time zone of its own, and a day dated
 * after this has not begun in any. */
#define TODAY_ANYWHERE "(now() AT TIME ZONE 'Etc/GMT-14')::date"

/* A spending of alias s that no red entry reversed: only these count in a
 * balance or a figure (migration 013). */
#define NOT_REVERSED(s) " NOT EXISTS (SELECT 1 FROM funding_reversal r WHERE r.spending_serial = " s ".serial)"
#define BUDGET_COLUMNS \
    "b.community_code, b.year, b.budget_fen, b.note, u.name," \
    " (SELECT COALESCE(sum(s.amount_fen), 0) FROM funding_spending s" \
    "   WHERE s.community_code = b.community_code AND s.year = b.year AND" NOT_REVERSED("s") ") AS spent," \
    " b.updated_by, " GRID_MS("b.updated_at") ", b.version AS budget_version"
#define SPENDING_COLUMNS \
    "s.serial, s.community_code, s.purpose, s.amount_fen, to_char(s.spent_on, 'YYYY-MM-DD'), s.voucher," \
    " s.description, u.name, s.recorded_by, " GRID_MS("s.created_at") "," \
    " COALESCE(rv.reason, ''), COALESCE(rv.reversed_by, ''), COALESCE(" GRID_MS("rv.created_at") ", 0)" \
    " AS spending_reversed"
#define SPENDING_SELECT \
    "SELECT " SPENDING_COLUMNS " FROM funding_spending s JOIN org_unit u ON u.code = s.community_code" \
    " LEFT JOIN funding_reversal rv ON rv.spending_serial = s.serial"

static bool
check_year(sf_call_t *call, int32_t year)
{
    if (year >= YEAR_MIN && year <= YEAR_MAX)
        return true;
    sf_call_violation(call, "year", "must be a year from %d to %d", YEAR_MIN, YEAR_MAX);
    return false;
}

static void
check_community(sf_call_t *call, const char *code)
{
    if (!sf_code_of_length(code, SF_CODE_COMMUNITY_LENGTH))
        sf_call_violation(call, "community_code", "must be a community code (%d digits)", SF_CODE_COMMUNITY_LENGTH);
}

/* The community's budget for the year with its sources, or NULL when there
 * is none (the call holds a failure if that was one). */
static Sifang__V1__FundingBudget *
budget_read(sf_call_t *call, const char *community, int32_t year)
{
    sf_params_t *params = SF_PARAMS(community, year);
    PGresult *result = sf_call_query(call,
        "SELECT " BUDGET_COLUMNS " FROM funding_budget b JOIN org_unit u ON u.code = b.community_code"
        " WHERE b.community_code = $1 AND b.year = $2", params);
    if (!result || PQntuples(result) != 1)
        return NULL;
    Sifang__V1__FundingBudget *budget = (Sifang__V1__FundingBudget *)
        sf_call_new_message(call, &sifang__v1__funding_budget__descriptor);
    int next = sf_row_read(result, 0, 0, &budget->base,
                           "community_code year budget_fen note community_name spent_fen updated_by updated_unix_ms"
                           " version");
    if (!grid_columns_end(call, result, next, "budget_version"))
        return NULL;
    budget->balance_fen = budget->budget_fen - budget->spent_fen;
    PGresult *sources = sf_call_query(call, "SELECT kind, amount_fen, note FROM funding_source"
                                      " WHERE community_code = $1 AND year = $2 ORDER BY kind", params);
    if (!sources)
        return NULL;
    int rows = PQntuples(sources);
    budget->sources = sf_call_new_array(call, (size_t) rows, sizeof *budget->sources);
    for (int row = 0; row < rows; row++)
        budget->sources[row] = sf_call_row_message(call, &sifang__v1__funding_source__descriptor, sources, row,
                                                   "kind amount_fen note");
    budget->n_sources = (size_t) rows;
    return budget;
}

static void
check_budget(sf_call_t *call, const Sifang__V1__FundingBudget *budget)
{
    check_community(call, budget->community_code);
    check_year(call, budget->year);
    if (budget->budget_fen < 0 || budget->budget_fen > AMOUNT_MAX_FEN)
        sf_call_violation(call, "budget_fen", "must be from 0 to %lld fen", AMOUNT_MAX_FEN);
    sf_call_check_note(call, "note", budget->note, BUDGET_NOTE_MAX, false);
    if (budget->expected_version < 0)
        sf_call_violation(call, "expected_version", "must not be negative");
    if (budget->community_name[0] || budget->spent_fen || budget->balance_fen || budget->updated_by[0]
        || budget->updated_unix_ms || budget->version)
        sf_call_violation(call, "version", "names, figures, times and versions are given by grid; leave them empty");
    if (budget->n_sources == 0 && budget->budget_fen > 0)
        sf_call_violation(call, "sources", "is required: where the budget comes from");
    if (budget->n_sources > 4) {
        sf_call_violation(call, "sources", "at most one per kind (4)");
        return;
    }
    bool seen[SOURCE(OTHER) + 1] = { false };
    long long sum = 0;
    for (size_t i = 0; i < budget->n_sources; i++) {
        const Sifang__V1__FundingSource *source = budget->sources[i];
        if (source->kind < SOURCE(DISTRICT_FINANCE) || source->kind > SOURCE(OTHER))
            sf_call_violation(call, sf_call_printf(call, "sources[%zu].kind", i),
                              "must be DISTRICT_FINANCE, PARTY_FEES, STREET or OTHER");
        else if (seen[source->kind])
            sf_call_violation(call, sf_call_printf(call, "sources[%zu].kind", i), "is given twice");
        else
            seen[source->kind] = true;
        if (source->amount_fen <= 0 || source->amount_fen > AMOUNT_MAX_FEN)
            sf_call_violation(call, sf_call_printf(call, "sources[%zu].amount_fen", i),
                              "must be more than 0 and at most %lld fen", AMOUNT_MAX_FEN);
        else
            sum += source->amount_fen;
        sf_call_check_note(call, sf_call_printf(call, "sources[%zu].note", i), source->note, SOURCE_NOTE_MAX, false);
    }
    if (!sf_call_has_violations(call) && sum != budget->budget_fen)
        sf_call_violation(call, "sources", "add up to %lld fen, not the budget's %lld", sum,
                          (long long) budget->budget_fen);
}

/* Refusals a community's code earns before anything is read for it: not a
 * community grid knows, or outside where the caller may write. */
static sf_status_t
require_community(sf_call_t *call, const char *community)
{
    PGresult *unit = sf_call_query(call, "SELECT kind FROM org_unit WHERE code = $1", SF_PARAMS(community));
    if (!unit)
        return sf_call_status(call);
    if (PQntuples(unit) != 1 || sf_db_int(unit, 0, 0) != 3)
        return sf_call_refuse(call, SF_NOT_FOUND, "community_code", "no community %s", community);
    if (!sf_call_may_write(call, community))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "community %s lies outside where you may write", community);
    return SF_OK;
}

sf_status_t
grid_funding_budget_set(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__FundingBudget *budget = (const Sifang__V1__FundingBudget *) request;
    check_budget(call, budget);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_status_t status = require_community(call, budget->community_code);
    if (status != SF_OK)
        return status;
    sf_params_t *params = SF_PARAMS(budget->community_code, budget->year);
    PGresult *existing = sf_call_query(call,
        "SELECT b.version, (SELECT COALESCE(sum(s.amount_fen), 0) FROM funding_spending s"
        "  WHERE s.community_code = b.community_code AND s.year = b.year AND" NOT_REVERSED("s") ")"
        " FROM funding_budget b WHERE b.community_code = $1 AND b.year = $2 FOR UPDATE", params);
    if (!existing)
        return sf_call_status(call);
    bool found = PQntuples(existing) == 1;
    if (budget->expected_version && (!found || sf_db_int(existing, 0, 0) != budget->expected_version))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version",
                              "the budget is at version %lld, not %lld", found ? (long long) sf_db_int(existing, 0, 0)
                              : 0LL, (long long) budget->expected_version);
    if (found && sf_db_int(existing, 0, 1) > budget->budget_fen)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "budget_fen",
                              "the year has spent %lld fen already, more than %lld",
                              (long long) sf_db_int(existing, 0, 1), (long long) budget->budget_fen);
    SF_PARAMS_ADD(params, budget->budget_fen, budget->note, sf_call_principal(call)->id);
    if (!sf_call_query(call,
            "INSERT INTO funding_budget AS b (community_code, year, budget_fen, note, updated_by)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (community_code, year) DO UPDATE SET"
            " budget_fen = EXCLUDED.budget_fen, note = EXCLUDED.note, updated_by = EXCLUDED.updated_by,"
            " updated_at = now(), version = b.version + 1", params)
        || !sf_call_query(call, "DELETE FROM funding_source WHERE community_code = $1 AND year = $2",
                          SF_PARAMS(budget->community_code, budget->year)))
        return sf_call_status(call);
    for (size_t i = 0; i < budget->n_sources; i++) {
        const Sifang__V1__FundingSource *source = budget->sources[i];
        if (!sf_call_query(call, "INSERT INTO funding_source (community_code, year, kind, amount_fen, note)"
                                 " VALUES ($1, $2, $3, $4, $5)",
                           SF_PARAMS(budget->community_code, budget->year, (int) source->kind, source->amount_fen,
                                     source->note)))
            return sf_call_status(call);
    }
    Sifang__V1__FundingBudget *set = budget_read(call, budget->community_code, budget->year);
    if (!set)
        return sf_call_fail(call, SF_INTERNAL, "internal error");
    return sf_call_emit_reply(call, reply_p, "funding.budget_set",
                              sf_call_printf(call, "%s/%d", set->community_code, set->year), &set->base);
}

sf_status_t
grid_funding_budget_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__FundingBudgetGetRequest *get = (const Sifang__V1__FundingBudgetGetRequest *) request;
    check_community(call, get->community_code);
    check_year(call, get->year);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!sf_call_covers(call, get->community_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "community %s lies outside your scope", get->community_code);
    Sifang__V1__FundingBudget *budget = budget_read(call, get->community_code, get->year);
    if (!budget)
        return sf_call_status(call) != SF_OK ? sf_call_status(call)
             : sf_call_refuse(call, SF_NOT_FOUND, "year", "community %s has no budget for %d", get->community_code,
                              get->year);
    *reply_p = &budget->base;
    return SF_OK;
}

static Sifang__V1__FundingSpending *
spending_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__FundingSpending *spending = (Sifang__V1__FundingSpending *)
        sf_call_new_message(call, &sifang__v1__funding_spending__descriptor);
    spending->id = grid_work_id(call, GRID_ID_FUNDING_SPENDING, sf_db_int(result, row, 0));
    int next = sf_row_read(result, row, 1, &spending->base,
                           "community_code purpose amount_fen spent_on voucher description community_name recorded_by"
                           " created_unix_ms reversal_reason reversed_by reversed_unix_ms");
    return grid_columns_end(call, result, next, "spending_reversed") ? spending : NULL;
}

/* The spending of serial as a reply, or NULL (the call holds the failure). */
static Sifang__V1__FundingSpending *
spending_read(sf_call_t *call, int64_t serial)
{
    PGresult *result = sf_call_query(call, SPENDING_SELECT " WHERE s.serial = $1", SF_PARAMS(serial));
    if (!result)
        return NULL;
    if (PQntuples(result) != 1) {
        sf_call_fail(call, SF_INTERNAL, "internal error");
        return NULL;
    }
    return spending_from_row(call, result, 0);
}

sf_status_t
grid_funding_spending_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__FundingSpending *spending = (const Sifang__V1__FundingSpending *) request;
    if (*spending->id)
        sf_call_violation(call, "id", "is given by grid; leave it empty");
    check_community(call, spending->community_code);
    if (spending->purpose < PURPOSE(ACTIVITIES) || spending->purpose > PURPOSE(OTHER))
        sf_call_violation(call, "purpose", "must be ACTIVITIES, SERVICES, PARTY_BUILDING, OFFICE, TRAINING or OTHER");
    if (spending->amount_fen <= 0 || spending->amount_fen > AMOUNT_MAX_FEN)
        sf_call_violation(call, "amount_fen", "must be more than 0 and at most %lld fen", AMOUNT_MAX_FEN);
    int32_t day = 0;
    if (!sf_date_parse(spending->spent_on, &day))
        sf_call_violation(call, "spent_on", "must be a date written YYYY-MM-DD");
    else
        check_year(call, (int32_t) strtol(spending->spent_on, NULL, 10));
    sf_call_check_text(call, "voucher", spending->voucher, VOUCHER_MAX, true);
    sf_call_check_note(call, "description", spending->description, DESCRIPTION_MAX, true);
    if (spending->community_name[0] || spending->recorded_by[0] || spending->created_unix_ms)
        sf_call_violation(call, "created_unix_ms", "names and times are given by grid; leave them empty");
    if (spending->reversal_reason[0] || spending->reversed_by[0] || spending->reversed_unix_ms)
        sf_call_violation(call, "reversed_unix_ms", "a spending is reversed by FundingSpendingReverse; leave it empty");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_status_t status = require_community(call, spending->community_code);
    if (status != SF_OK)
        return status;
    int32_t year = (int32_t) strtol(spending->spent_on, NULL, 10);
    PGresult *budget = sf_call_query(call,
        "SELECT $3::date > " TODAY_ANYWHERE ", b.budget_fen - (SELECT COALESCE(sum(s.amount_fen), 0)"
        "  FROM funding_spending s WHERE s.community_code = b.community_code AND s.year = b.year"
        "  AND" NOT_REVERSED("s") ")"
        " FROM funding_budget b WHERE b.community_code = $1 AND b.year = $2 FOR UPDATE",
        SF_PARAMS(spending->community_code, year, spending->spent_on));
    if (!budget)
        return sf_call_status(call);
    if (PQntuples(budget) != 1)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "spent_on", "community %s has no budget for %d",
                              spending->community_code, year);
    if (sf_db_bool(budget, 0, 0))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "spent_on", "is after today");
    if (spending->amount_fen > sf_db_int(budget, 0, 1))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "amount_fen", "the %d budget has %lld fen left", year,
                              (long long) sf_db_int(budget, 0, 1));
    PGresult *inserted = sf_call_query(call,
        "INSERT INTO funding_spending (community_code, year, purpose, amount_fen, spent_on, voucher, description,"
        " recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING serial",
        SF_PARAMS(spending->community_code, year, (int) spending->purpose, spending->amount_fen, spending->spent_on,
                  spending->voucher, spending->description, sf_call_principal(call)->id));
    if (!inserted)
        return sf_call_status(call);
    Sifang__V1__FundingSpending *recorded = spending_read(call, sf_db_int(inserted, 0, 0));
    if (!recorded)
        return sf_call_status(call);
    return sf_call_emit_reply(call, reply_p, "funding.spent", recorded->id, &recorded->base);
}

/* A red entry (红字冲销) for a spending recorded wrongly (a wrong amount,
 * purpose or community): by whoever may write the spending's community,
 * once. The spending stays listed, marked reversed; its amount is back in
 * the balance and out of every figure, and the event carries the spending
 * with its reversal, so that evaluation takes it out of the facts of the
 * day it was spent. */
sf_status_t
grid_funding_spending_reverse(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__FundingSpendingReverseRequest *reverse =
        (const Sifang__V1__FundingSpendingReverseRequest *) request;
    int64_t serial = 0;
    if (!sf_serial_id_parse(reverse->id, GRID_ID_FUNDING_SPENDING, &serial))
        sf_call_violation(call, "id", "must be a spending's id (F and digits)");
    sf_call_check_note(call, "reason", reverse->reason, DESCRIPTION_MAX, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *original = sf_call_query(call,
        "SELECT s.community_code, EXISTS (SELECT 1 FROM funding_reversal r WHERE r.spending_serial = s.serial)"
        " FROM funding_spending s WHERE s.serial = $1 FOR UPDATE", SF_PARAMS(serial));
    if (!original)
        return sf_call_status(call);
    if (PQntuples(original) != 1 || !sf_call_covers(call, sf_db_text(original, 0, 0)))
        return sf_call_refuse(call, SF_NOT_FOUND, "id", "no spending %s", reverse->id);
    sf_status_t status = require_community(call, sf_db_text(original, 0, 0));
    if (status != SF_OK)
        return status;
    if (sf_db_bool(original, 0, 1))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "id", "spending %s is reversed already", reverse->id);
    if (!sf_call_query(call, "INSERT INTO funding_reversal (spending_serial, reason, reversed_by) VALUES ($1, $2, $3)",
                       SF_PARAMS(serial, reverse->reason, sf_call_principal(call)->id)))
        return sf_call_status(call);
    Sifang__V1__FundingSpending *reversed = spending_read(call, serial);
    if (!reversed)
        return sf_call_status(call);
    return sf_call_emit_reply(call, reply_p, "funding.spending_reversed", reversed->id, &reversed->base);
}

sf_status_t
grid_funding_spending_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__FundingSpendingListRequest *list = (const Sifang__V1__FundingSpendingListRequest *) request;
    Sifang__V1__FundingSpendingListReply *reply = (Sifang__V1__FundingSpendingListReply *)
        sf_call_new_message(call, &sifang__v1__funding_spending_list_reply__descriptor);
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (list->year)
        check_year(call, list->year);
    if (list->purpose && (list->purpose < PURPOSE(ACTIVITIES) || list->purpose > PURPOSE(OTHER)))
        sf_call_violation(call, "purpose", "is not a funding purpose");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    sf_query_t query;
    sf_query_init(&query, call, SPENDING_SELECT);
    sf_query_subtree(&query, "s.community_code", prefix);
    if (list->year)
        sf_query_where(&query, "s.year = $%d", sf_query_int(&query, list->year));
    if (list->purpose)
        sf_query_where(&query, "s.purpose = $%d", sf_query_int(&query, list->purpose));
    sf_query_keyset_newest(&query, &page, "s.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->spendings = sf_call_new_array(call, (size_t) rows, sizeof *reply->spendings);
    for (int row = 0; row < rows; row++)
        if (!(reply->spendings[row] = spending_from_row(call, result, row)))
            return sf_call_status(call);
    reply->n_spendings = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}

/* --- figures ---------------------------------------------------------------- */

static Sifang__V1__FundingFigure *
figure_of(Sifang__V1__FundingFiguresReply *reply, const char *key)
{
    if (strcmp(reply->total->unit_code, key) == 0)
        return reply->total;
    for (size_t i = 0; i < reply->n_children; i++)
        if (strcmp(reply->children[i]->unit_code, key) == 0)
            return reply->children[i];
    return NULL;
}

/* The budgets, sources and spending of the year under total, summed for
 * total and for each child (whose codes are child_length long): $1 the
 * year, $2 and $3 the subtree's bounds, $4 the lengths. */
#define FIGURES_UNDER \
    " CROSS JOIN unnest($4::int[]) AS n(length)" \
    " WHERE x.year = $1 AND x.community_code >= $2 AND x.community_code < $3"

sf_status_t
grid_funding_figures(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__FundingFiguresRequest *ask = (const Sifang__V1__FundingFiguresRequest *) request;
    Sifang__V1__FundingFiguresReply *reply = (Sifang__V1__FundingFiguresReply *)
        sf_call_new_message(call, &sifang__v1__funding_figures_reply__descriptor);
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", ask->under, &prefix);
    check_year(call, ask->year);
    size_t length = prefix ? strlen(prefix) : 0;
    if (length && length != SF_CODE_DISTRICT_LENGTH && length != SF_CODE_STREET_LENGTH
        && length != SF_CODE_COMMUNITY_LENGTH)
        sf_call_violation(call, "under", "must be the district, a street or a community");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    reply->year = ask->year;
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    /* The unit and its children (a community's children are zones: none). */
    PGresult *units = sf_call_query(call,
        "SELECT code, name, kind FROM org_unit WHERE CASE WHEN $1 = '' THEN kind = 1 ELSE code = $1 END"
        " UNION ALL SELECT c.code, c.name, c.kind FROM org_unit c JOIN org_unit p ON p.code = c.parent_code"
        "  WHERE CASE WHEN $1 = '' THEN p.kind = 1 ELSE p.code = $1 END AND p.kind < 3"
        " ORDER BY kind, code", SF_PARAMS(prefix ? prefix : ""));
    if (!units)
        return sf_call_status(call);
    int rows = PQntuples(units);
    if (rows == 0 || sf_db_int(units, 0, 2) > 3) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    reply->total = sf_call_row_message(call, &sifang__v1__funding_figure__descriptor, units, 0, "unit_code unit_name");
    reply->children = sf_call_new_array(call, (size_t) rows, sizeof *reply->children);
    for (int row = 1; row < rows; row++)
        reply->children[reply->n_children++] =
            sf_call_row_message(call, &sifang__v1__funding_figure__descriptor, units, row, "unit_code unit_name");
    const char *total = reply->total->unit_code;
    const char *lengths = reply->n_children
        ? sf_call_printf(call, "{%zu,%zu}", strlen(total), strlen(reply->children[0]->unit_code))
        : sf_call_printf(call, "{%zu}", strlen(total));
    sf_params_t *params = SF_PARAMS(ask->year, total, sf_call_printf(call, "%s:", total), lengths);

    PGresult *budgets = sf_call_query(call,
        "SELECT left(x.community_code, n.length), count(*), sum(x.budget_fen)::bigint FROM funding_budget x"
        FIGURES_UNDER " GROUP BY 1", params);
    PGresult *sources = budgets ? sf_call_query(call,
        "SELECT left(x.community_code, n.length), x.kind, sum(x.amount_fen)::bigint FROM funding_source x"
        FIGURES_UNDER " GROUP BY 1, 2 ORDER BY 1, 2", params) : NULL;
    PGresult *spent = sources ? sf_call_query(call,
        "SELECT left(x.community_code, n.length), x.purpose, sum(x.amount_fen)::bigint, count(*) FROM funding_spending x"
        FIGURES_UNDER " AND" NOT_REVERSED("x") " GROUP BY 1, 2 ORDER BY 1, 2", params) : NULL;
    if (!spent)
        return sf_call_status(call);
    for (int row = 0; row < PQntuples(budgets); row++) {
        Sifang__V1__FundingFigure *figure = figure_of(reply, sf_db_text(budgets, row, 0));
        if (figure) {
            figure->communities = (int32_t) sf_db_int(budgets, row, 1);
            figure->budget_fen = sf_db_int(budgets, row, 2);
        }
    }
    /* Rows come ordered by key, so a unit's sources (and its purposes) are
     * consecutive: each is given an array as long as all the rows. */
    for (int row = 0; row < PQntuples(sources); row++) {
        Sifang__V1__FundingFigure *figure = figure_of(reply, sf_db_text(sources, row, 0));
        if (!figure)
            continue;
        if (!figure->sources)
            figure->sources = sf_call_new_array(call, (size_t) PQntuples(sources), sizeof *figure->sources);
        Sifang__V1__FundingSource *source = (Sifang__V1__FundingSource *)
            sf_call_new_message(call, &sifang__v1__funding_source__descriptor);
        sf_row_read(sources, row, 1, &source->base, "kind amount_fen");
        figure->sources[figure->n_sources++] = source;
    }
    for (int row = 0; row < PQntuples(spent); row++) {
        Sifang__V1__FundingFigure *figure = figure_of(reply, sf_db_text(spent, row, 0));
        if (!figure)
            continue;
        if (!figure->spent)
            figure->spent = sf_call_new_array(call, (size_t) PQntuples(spent), sizeof *figure->spent);
        Sifang__V1__FundingPurposeAmount *amount = (Sifang__V1__FundingPurposeAmount *)
            sf_call_new_message(call, &sifang__v1__funding_purpose_amount__descriptor);
        sf_row_read(spent, row, 1, &amount->base, "purpose amount_fen spendings");
        figure->spent[figure->n_spent++] = amount;
        figure->spent_fen += amount->amount_fen;
        if (amount->purpose == PURPOSE(ACTIVITIES) || amount->purpose == PURPOSE(SERVICES))
            figure->for_residents_fen += amount->amount_fen;
    }
    for (size_t i = 0; i <= reply->n_children; i++) {
        Sifang__V1__FundingFigure *figure = i == 0 ? reply->total : reply->children[i - 1];
        figure->balance_fen = figure->budget_fen - figure->spent_fen;
    }
    *reply_p = &reply->base;
    return SF_OK;
}
