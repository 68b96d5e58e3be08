/* The volunteer force in figures for a subtree: volunteers (active, party
 * members, in-service party members), teams, hours, pairings and coverage,
 * visits, co-building and open dispatches. */
#include "volunteer.h"
#include "sf_row.h"
#include <string.h>

#define SUMMARY_FIELDS \
    "volunteers active party_members in_service_party_members teams approved_hours pending_hours pairings" \
    " paired_members paired_households households_in_difficulty visits cobuildings open_dispatches"

/* A subtree down to a zone: the sums are the unit rows' in unit_figures
 * (migration 002: kept by the statements that write the rows, exactly what
 * counting them gives, about 1,300 rows for the district instead of its
 * 53,000 volunteers joined to 360,000 residents, 80,000 service records and
 * the visits). Counted per request: the active volunteers, from the
 * approved records of the window (which moves with the day, so it cannot
 * be kept; its index holds all the statement reads), and the active
 * pairings (distinct members and households do not add up over units; a
 * few thousand rows, from their index). $1..$3 the active rule, $4..$5 the
 * range of codes. When the rule asks for no hours, every volunteer whose
 * status the rule decides is active, records or not. The window's hours are
 * summed in hundredths (exact: numeric(5, 2)) as integers, whose sums take
 * a sixth of numeric's memory (numeric's spilled to disk at the demo's
 * 29,000 volunteers in a window), and each volunteer found is one probe of
 * the primary key (a join read all 53,000 volunteers). */
#define SUMMARY_BY_UNITS_SQL \
    "WITH f AS (SELECT COALESCE(sum(volunteers), 0) AS volunteers, COALESCE(sum(by_rule), 0) AS by_rule," \
    "   COALESCE(sum(party_members), 0) AS party_members, COALESCE(sum(in_service), 0) AS in_service," \
    "   COALESCE(sum(teams), 0) AS teams, COALESCE(sum(approved_hours), 0) AS approved_hours," \
    "   COALESCE(sum(pending_hours), 0) AS pending_hours," \
    "   COALESCE(sum(households_in_difficulty), 0) AS households_in_difficulty," \
    "   COALESCE(sum(visits), 0) AS visits, COALESCE(sum(cobuildings), 0) AS cobuildings," \
    "   COALESCE(sum(open_dispatches), 0) AS open_dispatches" \
    "   FROM unit_figures WHERE code >= $4 AND code < $5)," \
    " p AS (SELECT count(*) AS pairings, count(DISTINCT member_resident_id) AS members," \
    "   count(DISTINCT household_code) AS households" \
    "   FROM help_pairing WHERE active AND household_code >= $4 AND household_code < $5)" \
    " SELECT f.volunteers," \
    "  CASE WHEN $1::numeric > 0 THEN (SELECT count(*) FROM" \
    "    (SELECT r.volunteer_serial FROM service_record r" \
    "      WHERE r.status = 2 AND r.served_on > (now() AT TIME ZONE $3)::date - $2::int" \
    "      AND r.community_code >= $4 AND r.community_code < $5" \
    "      GROUP BY 1 HAVING sum((r.hours * 100)::int) >= $1::numeric * 100) recent" \
    "    CROSS JOIN LATERAL (SELECT FROM volunteer v WHERE v.serial = recent.volunteer_serial" \
    "      AND v.manual_status = 1 AND v.community_code >= $4 AND v.community_code < $5 LIMIT 1) v)" \
    "   ELSE f.by_rule END," \
    "  f.party_members, f.in_service, f.teams, f.approved_hours, f.pending_hours, p.pairings, p.members," \
    "  p.households, f.households_in_difficulty, f.visits, f.cobuildings, f.open_dispatches" \
    " FROM f, p"

/* Below a zone (a building group or a household) the unit rows are too
 * coarse, and the rows few: everything is counted. $1..$3 the active rule,
 * $4 the prefix. */
#define SUMMARY_COUNTED_SQL \
    "WITH recent AS (SELECT r.volunteer_serial, sum(r.hours) AS hours FROM service_record r" \
    "   WHERE r.status = 2 AND r.served_on > (now() AT TIME ZONE $3)::date - $2::int" \
    "   AND starts_with(r.community_code, $4) GROUP BY 1)," \
    " vs AS (SELECT v.*, COALESCE(p.party_member, false) AS party, COALESCE(rh.hours, 0) AS recent_hours" \
    "   FROM volunteer v LEFT JOIN ref_resident p ON p.id = v.resident_id" \
    "   LEFT JOIN recent rh ON rh.volunteer_serial = v.serial WHERE starts_with(v.community_code, $4))" \
    " SELECT (SELECT count(*) FROM vs)," \
    "  (SELECT count(*) FROM vs WHERE manual_status = 1 AND recent_hours >= $1::numeric)," \
    "  (SELECT count(*) FROM vs WHERE party), (SELECT count(*) FROM vs WHERE in_service)," \
    "  (SELECT count(*) FROM team WHERE disbanded_at IS NULL AND starts_with(community_code, $4))," \
    "  (SELECT COALESCE(sum(hours) FILTER (WHERE status = 2), 0) FROM service_record WHERE starts_with(community_code, $4))," \
    "  (SELECT COALESCE(sum(hours) FILTER (WHERE status = 1), 0) FROM service_record WHERE starts_with(community_code, $4))," \
    "  (SELECT count(*) FROM help_pairing WHERE active AND starts_with(household_code, $4))," \
    "  (SELECT count(DISTINCT member_resident_id) FROM help_pairing WHERE active AND starts_with(household_code, $4))," \
    "  (SELECT count(DISTINCT household_code) FROM help_pairing WHERE active AND starts_with(household_code, $4))," \
    "  (SELECT count(*) FROM ref_household WHERE in_difficulty AND starts_with(code, $4))," \
    "  (SELECT count(*) FROM visit WHERE starts_with(household_code, $4))," \
    "  (SELECT count(*) FROM cobuilding WHERE active AND starts_with(community_code, $4))," \
    "  (SELECT count(*) FROM dispatch WHERE status IN (1, 2) AND starts_with(zone_code, $4))"

sf_status_t
volunteer_summary(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__VolunteerSummaryRequest *ask = (const Sifang__V1__VolunteerSummaryRequest *) request;
    Sifang__V1__VolunteerSummaryReply *reply = (Sifang__V1__VolunteerSummaryReply *)
        sf_call_new_message(call, &sifang__v1__volunteer_summary_reply__descriptor);
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", ask->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    /* Every leader's page asks for the district's and each street's: kept
     * with the version of volunteer's data (its events and its copy of
     * grid) and the day in the district (the active window moves with it),
     * in this snapshot, so given again only while a recount would give the
     * same (common/sf_kept.h). */
    volunteer_t *volunteer = sf_call_state(call);
    const char *version = sf_kept_version(call, "grid", volunteer->config.timezone);
    if (!version)
        return sf_call_status(call);
    Sifang__V1__VolunteerSummaryReply *kept = (Sifang__V1__VolunteerSummaryReply *)
        sf_kept_get(volunteer->summaries, call, &sifang__v1__volunteer_summary_reply__descriptor, prefix, version);
    if (kept) {
        *reply_p = &kept->base;
        return SF_OK;
    }
    sf_params_t params;
    sf_params_init(&params);
    volunteer_select_params(call, &params);
    sf_params_text(&params, prefix);
    bool by_units = strlen(prefix) <= SF_CODE_ZONE_LENGTH;
    char upper[SF_CODE_SIZE];
    if (by_units) {
        sf_code_subtree_upper(prefix, upper, sizeof upper);
        sf_params_text(&params, upper);
    }
    PGresult *result = sf_call_query(call, by_units ? SUMMARY_BY_UNITS_SQL : SUMMARY_COUNTED_SQL, &params);
    if (!result)
        return sf_call_status(call);
    sf_row_read(result, 0, 0, &reply->base, SUMMARY_FIELDS);
    sf_kept_put(volunteer->summaries, prefix, version, &reply->base);
    *reply_p = &reply->base;
    return SF_OK;
}
