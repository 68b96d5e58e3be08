/* What co-building's resident units actually delivered (兑现) against their
 * commitments: each delivery a record with its day and evidence, and each
 * commitment's standing for a year (kept, partly kept, not kept), counted
 * in total, per community and per resident unit. A commitment is a yearly
 * one: it is kept for a year when the deliveries dated in that year reach
 * its quantity. */
#include "volunteer.h"
#include "sf_row.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define EVIDENCE_MAX 200
#define NOTE_MAX 1000
#define REASON_MAX 500
#define YEAR_MIN 2000
#define YEAR_MAX 2100
#define STANDING(name) SIFANG__V1__CO_BUILDING_DELIVERY_STANDING_KIND__CO_BUILDING_DELIVERY_STANDING_KIND_##name

/* A delivery of alias e that no red entry reversed (migration 009): only
 * these count towards a commitment. */
#define NOT_REVERSED(e) \
    " NOT EXISTS (SELECT 1 FROM cobuilding_delivery_reversal r WHERE r.delivery_serial = " e ".serial)"

/* The commitment a delivery answers, as the co-building's JSON holds it. */
#define COMMITMENT_OF(d) "b.commitments -> " d ".commitment"

#define DELIVERY_COLUMNS \
    "d.serial, b.serial AS pair_serial, d.commitment, d.quantity::float8, to_char(d.delivered_on, 'YYYY-MM-DD')," \
    " d.evidence, d.note, COALESCE((" COMMITMENT_OF("d") " ->> 'kind')::int, 0)," \
    " COALESCE(" COMMITMENT_OF("d") " ->> 'unit', ''), b.unit_name, b.community_code, d.recorded_by, " \
    VOLUNTEER_MS("d.created_at") ", COALESCE((" COMMITMENT_OF("d") " ->> 'quantity')::float8, 0)," \
    " (SELECT sum(e.quantity) FROM cobuilding_delivery e WHERE e.cobuilding_serial = d.cobuilding_serial" \
    "    AND e.commitment = d.commitment AND" NOT_REVERSED("e") \
    "    AND date_trunc('year', e.delivered_on) = date_trunc('year', d.delivered_on))::float8 AS delivered_in_year," \
    " COALESCE(rv.reason, ''), COALESCE(rv.reversed_by, ''), " VOLUNTEER_MS("rv.created_at") " AS delivery_reversed"
#define DELIVERY_SELECT \
    "SELECT " DELIVERY_COLUMNS " FROM cobuilding_delivery d JOIN cobuilding b ON b.serial = d.cobuilding_serial" \
    " LEFT JOIN cobuilding_delivery_reversal rv ON rv.delivery_serial = d.serial"

static Sifang__V1__CoBuildingDelivery *
delivery_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__CoBuildingDelivery *delivery = (Sifang__V1__CoBuildingDelivery *)
        sf_call_new_message(call, &sifang__v1__co_building_delivery__descriptor);
    delivery->id = volunteer_id(call, VOLUNTEER_ID_DELIVERY, sf_db_int(result, row, 0));
    delivery->cobuilding_id = volunteer_id(call, VOLUNTEER_ID_COBUILDING, sf_db_int(result, row, 1));
    int end = sf_row_read(result, row, 2, &delivery->base,
                          "commitment quantity delivered_on evidence note kind unit unit_name community_code"
                          " recorded_by created_unix_ms committed delivered_in_year reversal_reason reversed_by"
                          " reversed_unix_ms");
    /* The list ends on delivery_reversed: a column added to it and not
     * here, or the other way round, reads nothing. */
    if (end != PQfnumber(result, "delivery_reversed") + 1) {
        sf_call_fail(call, SF_INTERNAL, "internal error");
        return NULL;
    }
    return delivery;
}

/* The delivery of serial as a reply, or NULL (the call holds the failure). */
static Sifang__V1__CoBuildingDelivery *
delivery_read(sf_call_t *call, int64_t serial)
{
    PGresult *result = sf_call_query(call, DELIVERY_SELECT " WHERE d.serial = $1", SF_PARAMS(serial));
    if (!result)
        return NULL;
    if (PQntuples(result) != 1) {
        sf_call_fail(call, SF_INTERNAL, "internal error");
        return NULL;
    }
    return delivery_from_row(call, result, 0);
}

sf_status_t
volunteer_cobuilding_delivery_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CoBuildingDelivery *delivery = (const Sifang__V1__CoBuildingDelivery *) request;
    const volunteer_config_t *config = volunteer_config(call);
    if (*delivery->id)
        sf_call_violation(call, "id", "is assigned by the service; leave it empty");
    int64_t pair_serial = 0;
    volunteer_check_id(call, "cobuilding_id", delivery->cobuilding_id, VOLUNTEER_ID_COBUILDING, &pair_serial);
    if (delivery->commitment < 0)
        sf_call_violation(call, "commitment", "must be the commitment's position, from 0");
    if (!isfinite(delivery->quantity) || delivery->quantity <= 0 || delivery->quantity > 1e12)
        sf_call_violation(call, "quantity", "must be a number above 0, in the commitment's unit");
    volunteer_check_date(call, "delivered_on", delivery->delivered_on, true);
    sf_call_check_text(call, "evidence", delivery->evidence, EVIDENCE_MAX, true);
    sf_call_check_note(call, "note", delivery->note, NOTE_MAX, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    sf_params_t *params = SF_PARAMS(pair_serial, delivery->delivered_on, config->timezone);
    PGresult *pair = sf_call_query(call,
        "SELECT b.community_code, jsonb_array_length(b.commitments), b.since > $2::date,"
        " $2::date > (now() AT TIME ZONE $3)::date,"
        " NOT b.active AND (b.ended_at IS NULL OR $2::date > (b.ended_at AT TIME ZONE $3)::date)"
        " FROM cobuilding b WHERE b.serial = $1 FOR UPDATE", params);
    if (!pair)
        return sf_call_status(call);
    if (PQntuples(pair) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, "cobuilding_id", "no co-building %s", delivery->cobuilding_id);
    sf_status_t status = volunteer_require_writes(call, sf_db_text(pair, 0, 0), "the community");
    if (status != SF_OK)
        return status;
    if (delivery->commitment >= sf_db_int(pair, 0, 1))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "commitment", "co-building %s has %lld commitments",
                              delivery->cobuilding_id, (long long) sf_db_int(pair, 0, 1));
    if (sf_db_bool(pair, 0, 2))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "delivered_on", "is before the pairing began");
    if (sf_db_bool(pair, 0, 3))
        return sf_call_refuse(call, SF_INVALID_ARGUMENT, "delivered_on", "is after today");
    if (sf_db_bool(pair, 0, 4))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "delivered_on", "co-building %s had ended by then",
                              delivery->cobuilding_id);

    params = SF_PARAMS(pair_serial, delivery->commitment, sf_param_double(delivery->quantity),
                       delivery->delivered_on, delivery->evidence, delivery->note, sf_call_principal(call)->id);
    PGresult *inserted = sf_call_query(call,
        "INSERT INTO cobuilding_delivery (cobuilding_serial, commitment, quantity, delivered_on, evidence, note,"
        " recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING serial", params);
    if (!inserted)
        return sf_call_status(call);
    Sifang__V1__CoBuildingDelivery *recorded = delivery_read(call, sf_db_int(inserted, 0, 0));
    if (!recorded)
        return sf_call_status(call);
    return sf_call_emit_reply(call, reply_p, "cobuilding.delivered", recorded->id, &recorded->base);
}

/* The day in the year of delivery $1 on which its commitment's deliveries
 * not reversed, in the order recorded, first reached the quantity ("" if
 * they have not): where a commitment counts as kept. */
#define KEPT_ON_SQL \
    "SELECT COALESCE((SELECT to_char(k.delivered_on, 'YYYY-MM-DD') FROM (" \
    "  SELECT e.serial, e.delivered_on, sum(e.quantity) OVER (ORDER BY e.serial) AS running" \
    "  FROM cobuilding_delivery e WHERE e.cobuilding_serial = d.cobuilding_serial AND e.commitment = d.commitment" \
    "   AND date_trunc('year', e.delivered_on) = date_trunc('year', d.delivered_on) AND" NOT_REVERSED("e") ") k" \
    "  WHERE k.running >= COALESCE((" COMMITMENT_OF("d") " ->> 'quantity')::numeric, 0) ORDER BY k.serial LIMIT 1), '')" \
    " FROM cobuilding_delivery d JOIN cobuilding b ON b.serial = d.cobuilding_serial WHERE d.serial = $1"

/* A red entry (冲销) for a delivery recorded wrongly (a wrong quantity,
 * commitment or day): by whoever may write the community's co-building,
 * once. The delivery stays listed, marked reversed, and counts towards
 * nothing; the reply and the event carry the day its commitment was kept
 * in that year before and after, for evaluation's 共建承诺兑现率. */
sf_status_t
volunteer_cobuilding_delivery_reverse(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CoBuildingDeliveryReverseRequest *reverse =
        (const Sifang__V1__CoBuildingDeliveryReverseRequest *) request;
    int64_t serial = 0;
    volunteer_check_id(call, "id", reverse->id, VOLUNTEER_ID_DELIVERY, &serial);
    sf_call_check_note(call, "reason", reverse->reason, REASON_MAX, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    PGresult *found = sf_call_query(call,
        "SELECT b.community_code, EXISTS (SELECT 1 FROM cobuilding_delivery_reversal r WHERE r.delivery_serial = d.serial)"
        " FROM cobuilding_delivery d JOIN cobuilding b ON b.serial = d.cobuilding_serial WHERE d.serial = $1"
        " FOR UPDATE OF b", SF_PARAMS(serial));
    if (!found)
        return sf_call_status(call);
    if (PQntuples(found) != 1)
        return sf_call_refuse(call, SF_NOT_FOUND, "id", "no delivery %s", reverse->id);
    sf_status_t status = volunteer_require_writes(call, sf_db_text(found, 0, 0), "the community");
    if (status != SF_OK)
        return status;
    if (sf_db_bool(found, 0, 1))
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "id", "delivery %s is reversed already", reverse->id);
    /* Deliveries of one commitment are judged in the order recorded: the
     * co-building's row, locked above (and by CoBuildingDeliveryRecord),
     * keeps a reversal and another delivery or reversal of it from judging
     * the same order at once. */
    PGresult *kept_before = sf_call_query(call, KEPT_ON_SQL, SF_PARAMS(serial));
    if (!kept_before
        || !sf_call_query(call, "INSERT INTO cobuilding_delivery_reversal (delivery_serial, reason, reversed_by)"
                                " VALUES ($1, $2, $3)", SF_PARAMS(serial, reverse->reason, sf_call_principal(call)->id)))
        return sf_call_status(call);
    PGresult *kept_after = sf_call_query(call, KEPT_ON_SQL, SF_PARAMS(serial));
    Sifang__V1__CoBuildingDelivery *reversed = kept_after ? delivery_read(call, serial) : NULL;
    if (!reversed)
        return sf_call_status(call);
    reversed->kept_on_before = sf_call_strdup(call, sf_db_text(kept_before, 0, 0));
    reversed->kept_on_after = sf_call_strdup(call, sf_db_text(kept_after, 0, 0));
    return sf_call_emit_reply(call, reply_p, "cobuilding.delivery_reversed", reversed->id, &reversed->base);
}

static bool
check_year(sf_call_t *call, int32_t year, bool required)
{
    if ((!required && year == 0) || (year >= YEAR_MIN && year <= YEAR_MAX))
        return true;
    sf_call_violation(call, "year", "must be a year from %d to %d", YEAR_MIN, YEAR_MAX);
    return false;
}

sf_status_t
volunteer_cobuilding_delivery_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CoBuildingDeliveryListRequest *list = (const Sifang__V1__CoBuildingDeliveryListRequest *) request;
    Sifang__V1__CoBuildingDeliveryListReply *reply = (Sifang__V1__CoBuildingDeliveryListReply *)
        sf_call_new_message(call, &sifang__v1__co_building_delivery_list_reply__descriptor);
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, list->page);
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    int64_t pair_serial = 0;
    if (*list->cobuilding_id)
        volunteer_check_id(call, "cobuilding_id", list->cobuilding_id, VOLUNTEER_ID_COBUILDING, &pair_serial);
    check_year(call, list->year, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    sf_query_t query;
    sf_query_init(&query, call, DELIVERY_SELECT);
    sf_query_subtree(&query, "b.community_code", prefix);
    if (pair_serial)
        sf_query_where(&query, "b.serial = $%d", sf_query_int(&query, pair_serial));
    if (list->year)
        sf_query_where(&query, "extract(year FROM d.delivered_on) = $%d", sf_query_int(&query, list->year));
    volunteer_page_apply(&query, &page, "d.serial");
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_keyset_rows(&page, result);
    reply->deliveries = sf_call_new_array(call, (size_t) rows, sizeof *reply->deliveries);
    for (int row = 0; row < rows; row++)
        if (!(reply->deliveries[row] = delivery_from_row(call, result, row)))
            return sf_call_status(call);
    reply->n_deliveries = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}

/* Each commitment of the co-buildings paired during some part of the year
 * (begun by its end, and still going or ended after it began), with what
 * was delivered in the year and its standing: $1 the year, $2 the district's
 * time zone; the caller adds the subtree. Ordered by co-building and
 * position; "commitment_key" is the page's key (serial * 1000 + position). */
#define STANDING_SQL \
    "WITH year AS (SELECT make_date($1, 1, 1) AS first, make_date($1, 12, 31) AS last)," \
    " commitment AS (" \
    "  SELECT b.serial, b.unit_name, b.community_code, COALESCE(u.name, '') AS community_name," \
    "   (c.position - 1)::int AS position, COALESCE((c.item ->> 'kind')::int, 0) AS kind," \
    "   COALESCE(c.item ->> 'description', '') AS description, COALESCE(c.item ->> 'unit', '') AS unit," \
    "   COALESCE((c.item ->> 'quantity')::float8, 0) AS committed" \
    "  FROM cobuilding b CROSS JOIN year y LEFT JOIN ref_unit u ON u.code = b.community_code" \
    "  CROSS JOIN LATERAL jsonb_array_elements(b.commitments) WITH ORDINALITY AS c(item, position)" \
    "  WHERE b.since <= y.last AND (b.active OR (b.ended_at AT TIME ZONE $2)::date >= y.first) %s)," \
    " standing AS (" \
    "  SELECT c.*, COALESCE(sum(d.quantity), 0)::float8 AS delivered, count(d.serial)::int AS deliveries" \
    "  FROM commitment c CROSS JOIN year y LEFT JOIN cobuilding_delivery d ON d.cobuilding_serial = c.serial" \
    "   AND d.commitment = c.position AND d.delivered_on BETWEEN y.first AND y.last AND" NOT_REVERSED("d") \
    "  GROUP BY c.serial, c.unit_name, c.community_code, c.community_name, c.position, c.kind, c.description," \
    "   c.unit, c.committed)," \
    " judged AS (" \
    "  SELECT s.*, CASE WHEN s.deliveries = 0 THEN 3 WHEN s.delivered >= s.committed THEN 1 ELSE 2 END AS standing" \
    "  FROM standing s)"

/* The counts by standing of judged grouped by key_sql (and name_sql). */
#define COUNT_COLUMNS \
    "count(*)::int, count(*) FILTER (WHERE standing = 1)::int, count(*) FILTER (WHERE standing = 2)::int," \
    " count(*) FILTER (WHERE standing = 3)::int"

static Sifang__V1__CoBuildingDeliveryCount *
count_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__CoBuildingDeliveryCount *count = (Sifang__V1__CoBuildingDeliveryCount *)
        sf_call_new_message(call, &sifang__v1__co_building_delivery_count__descriptor);
    /* Column 0 is the grouping the row belongs to. */
    sf_row_read(result, row, 1, &count->base, "key name commitments kept partly_kept not_kept");
    return count;
}

sf_status_t
volunteer_cobuilding_delivery_standing(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CoBuildingDeliveryStandingRequest *ask =
        (const Sifang__V1__CoBuildingDeliveryStandingRequest *) request;
    const volunteer_config_t *config = volunteer_config(call);
    Sifang__V1__CoBuildingDeliveryStandingReply *reply = (Sifang__V1__CoBuildingDeliveryStandingReply *)
        sf_call_new_message(call, &sifang__v1__co_building_delivery_standing_reply__descriptor);
    const char *prefix = NULL;
    sf_keyset_t page = sf_keyset_of(call, ask->page);
    bool visible = sf_call_scope_under(call, "under", ask->under, &prefix);
    check_year(call, ask->year, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    reply->year = ask->year;
    reply->total = (Sifang__V1__CoBuildingDeliveryCount *)
        sf_call_new_message(call, &sifang__v1__co_building_delivery_count__descriptor);
    reply->total->key = (char *) (prefix ? prefix : "");
    sf_params_t *params = SF_PARAMS(ask->year, config->timezone);
    PGresult *over = sf_call_query(call, "SELECT (now() AT TIME ZONE $2)::date > make_date($1, 12, 31)", params);
    if (!over)
        return sf_call_status(call);
    reply->year_over = sf_db_bool(over, 0, 0);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    /* The subtree: codes are digits, so every code under prefix sorts
     * between it and prefix + ':' (as sf_query_subtree says). */
    const char *subtree = "";
    if (prefix && *prefix) {
        sf_params_text(params, prefix);
        sf_params_text(params, sf_call_printf(call, "%s:", prefix));
        subtree = " AND b.community_code >= $3 AND b.community_code < $4";
    }
    const char *with = sf_call_printf(call, STANDING_SQL, subtree);
    PGresult *counts = sf_call_query(call, sf_call_printf(call,
        "%s SELECT 0 AS grouping, '' COLLATE \"C\" AS key, '' AS name, " COUNT_COLUMNS " FROM judged"
        " UNION ALL SELECT 1, community_code, community_name, " COUNT_COLUMNS " FROM judged"
        "  GROUP BY community_code, community_name"
        " UNION ALL SELECT 2, unit_name COLLATE \"C\", unit_name, " COUNT_COLUMNS " FROM judged GROUP BY unit_name"
        " ORDER BY grouping, key", with), params);
    if (!counts)
        return sf_call_status(call);
    int rows = PQntuples(counts), communities = 0, units = 0;
    reply->communities = sf_call_new_array(call, (size_t) rows, sizeof *reply->communities);
    reply->units = sf_call_new_array(call, (size_t) rows, sizeof *reply->units);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__CoBuildingDeliveryCount *count = count_from_row(call, counts, row);
        switch (sf_db_int(counts, row, 0)) {
        case 0:
            count->key = reply->total->key;
            reply->total = count;
            break;
        case 1:
            reply->communities[communities++] = count;
            break;
        default:
            reply->units[units++] = count;
            break;
        }
    }
    reply->n_communities = (size_t) communities;
    reply->n_units = (size_t) units;

    sf_params_int(params, page.after);
    sf_params_int(params, page.size + 1);
    int after = prefix && *prefix ? 5 : 3;
    PGresult *result = sf_call_query(call, sf_call_printf(call,
        "%s SELECT serial * 1000 + position AS commitment_key, serial, unit_name, community_code, community_name,"
        " position, kind, description, unit, committed, delivered, deliveries, standing FROM judged"
        " WHERE serial * 1000 + position > $%d ORDER BY 1 LIMIT $%d", with, after, after + 1), params);
    if (!result)
        return sf_call_status(call);
    rows = sf_keyset_rows(&page, result);
    reply->commitments = sf_call_new_array(call, (size_t) rows, sizeof *reply->commitments);
    for (int row = 0; row < rows; row++) {
        Sifang__V1__CoBuildingDeliveryCommitment *commitment = (Sifang__V1__CoBuildingDeliveryCommitment *)
            sf_call_new_message(call, &sifang__v1__co_building_delivery_commitment__descriptor);
        commitment->cobuilding_id = volunteer_id(call, VOLUNTEER_ID_COBUILDING, sf_db_int(result, row, 1));
        sf_row_read(result, row, 2, &commitment->base,
                    "unit_name community_code community_name commitment kind description unit committed delivered"
                    " deliveries standing");
        reply->commitments[row] = commitment;
    }
    reply->n_commitments = (size_t) rows;
    reply->next_page_token = sf_keyset_next(call, &page, result, 0);
    *reply_p = &reply->base;
    return SF_OK;
}
