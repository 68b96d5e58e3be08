/* The enterprises' side of 招工难 (hard to hire): by industry and by street,
 * the vacancies and positions posted in a period and the placements made
 * at enterprises then; the vacancies open today, and of those the ones with
 * positions still unfilled N days or more after they opened. The difficulty
 * rate is the share of open positions unfilled that long. Vacancies count
 * where the work is (their work zone, else the enterprise's), placements
 * where the enterprise is; both by the enterprise's industry. */
#include "employment.h"
#include "sf_row.h"
#include <string.h>

#define UNFILLED_DAYS_DEFAULT 30
#define UNFILLED_DAYS_MAX 3650

/* $1 from, $2 to, $3 today, $4 unfilled days, $5 the subtree. One row per
 * industry (by_industry = 1), per street (0) and the subtree's (2). */
#define HIRING_SQL \
    "WITH v AS (" \
    "  SELECT e.industry, left(COALESCE(v.work_zone_code, e.zone_code, ''), 9) AS street, v.positions," \
    "   v.open_positions, v.opens_on, v.status = 1 AND v.open_positions > 0" \
    "    AND (v.closes_on IS NULL OR v.closes_on >= $3::date) AS open_now" \
    "  FROM vacancy v JOIN enterprise e ON e.credit_code = v.enterprise_credit_code" \
    "  WHERE starts_with(COALESCE(v.work_zone_code, e.zone_code, ''), $5))," \
    " facts AS (" \
    "  SELECT industry, street, (opens_on BETWEEN $1::date AND $2::date)::int AS posted," \
    "   CASE WHEN opens_on BETWEEN $1::date AND $2::date THEN positions ELSE 0 END AS positions_posted," \
    "   0 AS placed, open_now::int AS open, CASE WHEN open_now THEN open_positions ELSE 0 END AS positions_open," \
    "   (open_now AND opens_on <= $3::date - $4::int)::int AS unfilled," \
    "   CASE WHEN open_now AND opens_on <= $3::date - $4::int THEN open_positions ELSE 0 END AS positions_unfilled" \
    "  FROM v" \
    "  UNION ALL" \
    "  SELECT e.industry, left(COALESCE(e.zone_code, ''), 9), 0, 0, 1, 0, 0, 0, 0" \
    "  FROM placement pl JOIN enterprise e ON e.credit_code = pl.enterprise_credit_code" \
    "  WHERE pl.start_date BETWEEN $1::date AND $2::date AND starts_with(COALESCE(e.zone_code, ''), $5))" \
    " SELECT CASE WHEN GROUPING(industry) = 0 THEN 1 WHEN GROUPING(street) = 0 THEN 0 ELSE 2 END AS grouping," \
    "  COALESCE(industry, street, '') AS key, COALESCE(CASE WHEN GROUPING(street) = 0" \
    "   THEN (SELECT name FROM ref_unit WHERE code = street) ELSE industry END, '') AS name," \
    "  sum(posted)::bigint AS vacancies_posted, sum(positions_posted)::bigint AS positions_posted," \
    "  sum(placed)::bigint AS placements, sum(open)::bigint AS vacancies_open," \
    "  sum(positions_open)::bigint AS positions_open, sum(unfilled)::bigint AS vacancies_unfilled," \
    "  sum(positions_unfilled)::bigint AS positions_unfilled" \
    " FROM facts GROUP BY GROUPING SETS ((industry), (street), ())" \
    " ORDER BY 1, CASE WHEN sum(positions_open) > 0 THEN sum(positions_unfilled)::float8 / sum(positions_open)" \
    "  ELSE 0 END DESC, sum(positions_unfilled) DESC, 2"

static Sifang__V1__HiringRow *
hiring_row(sf_call_t *call, const PGresult *result, int r)
{
    Sifang__V1__HiringRow *row = (Sifang__V1__HiringRow *)
        sf_call_new_message(call, &sifang__v1__hiring_row__descriptor);
    /* Column 0 is the grouping the row belongs to. */
    sf_row_read(result, r, 1, &row->base,
                "key name vacancies_posted positions_posted placements vacancies_open positions_open"
                " vacancies_unfilled positions_unfilled");
    row->difficulty_rate = row->positions_open ? (double) row->positions_unfilled / (double) row->positions_open
                                                   : 0.0;
    return row;
}

sf_status_t
emp_hiring_difficulty(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HiringRequest *hiring = (const Sifang__V1__HiringRequest *) request;
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", hiring->under, &prefix);
    int32_t from = 0, to = 0;
    if (!*hiring->from)
        sf_call_violation(call, "from", "is required");
    if (!*hiring->to)
        sf_call_violation(call, "to", "is required");
    if (emp_check_date(call, "from", hiring->from, &from) && emp_check_date(call, "to", hiring->to, &to)
        && *hiring->from && *hiring->to && to < from)
        sf_call_violation(call, "to", "is before from");
    if (hiring->unfilled_days < 0 || hiring->unfilled_days > UNFILLED_DAYS_MAX)
        sf_call_violation(call, "unfilled_days", "must be between 1 and %d (0 = %d)", UNFILLED_DAYS_MAX,
                          UNFILLED_DAYS_DEFAULT);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__HiringReply *reply = (Sifang__V1__HiringReply *)
        sf_call_new_message(call, &sifang__v1__hiring_reply__descriptor);
    reply->unfilled_days = hiring->unfilled_days ? hiring->unfilled_days : UNFILLED_DAYS_DEFAULT;
    reply->total = (Sifang__V1__HiringRow *) sf_call_new_message(call, &sifang__v1__hiring_row__descriptor);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    char today[11];
    sf_date_format(sf_today(), today);
    PGresult *result = sf_call_query(call, HIRING_SQL,
                                     SF_PARAMS(hiring->from, hiring->to, today, reply->unfilled_days, prefix));
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    reply->by_industry = sf_call_new_array(call, (size_t) rows, sizeof *reply->by_industry);
    reply->by_street = sf_call_new_array(call, (size_t) rows, sizeof *reply->by_street);
    for (int r = 0; r < rows; r++) {
        Sifang__V1__HiringRow *row = hiring_row(call, result, r);
        switch (sf_db_int(result, r, 0)) {
        case 1:
            reply->by_industry[reply->n_by_industry++] = row;
            break;
        case 0:
            reply->by_street[reply->n_by_street++] = row;
            break;
        default:
            row->key = row->name = "";
            reply->total = row;
            break;
        }
    }
    return SF_OK;
}
