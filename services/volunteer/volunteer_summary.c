/* The volunteer force in figures for a subtree: volunteers (active, party
 * members, in-service party members), teams, hours, pairings and coverage,
 * visits, co-building and open dispatches. */
#include "volunteer.h"
#include "sf_row.h"

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
    /* $1..$3 the active rule, $4 the prefix ("" = everything). */
    sf_params_t params;
    sf_params_init(&params);
    volunteer_select_params(call, &params);
    sf_params_text(&params, prefix);
    PGresult *result = sf_call_query(call,
        "WITH recent AS (SELECT r.volunteer_serial, sum(r.hours) AS hours FROM service_record r"
        "   WHERE r.status = 2 AND r.served_on > (now() AT TIME ZONE $3)::date - $2::int"
        "   AND starts_with(r.community_code, $4) GROUP BY 1),"
        " vs AS (SELECT v.*, COALESCE(p.party_member, false) AS party, COALESCE(rh.hours, 0) AS recent_hours"
        "   FROM volunteer v LEFT JOIN ref_resident p ON p.id = v.resident_id"
        "   LEFT JOIN recent rh ON rh.volunteer_serial = v.serial WHERE starts_with(v.community_code, $4))"
        " SELECT (SELECT count(*) FROM vs),"
        "  (SELECT count(*) FROM vs WHERE manual_status = 1 AND recent_hours >= $1::numeric),"
        "  (SELECT count(*) FROM vs WHERE party), (SELECT count(*) FROM vs WHERE in_service),"
        "  (SELECT count(*) FROM team WHERE disbanded_at IS NULL AND starts_with(community_code, $4)),"
        "  (SELECT COALESCE(sum(hours) FILTER (WHERE status = 2), 0) FROM service_record WHERE starts_with(community_code, $4)),"
        "  (SELECT COALESCE(sum(hours) FILTER (WHERE status = 1), 0) FROM service_record WHERE starts_with(community_code, $4)),"
        "  (SELECT count(*) FROM help_pairing WHERE active AND starts_with(household_code, $4)),"
        "  (SELECT count(DISTINCT member_resident_id) FROM help_pairing WHERE active AND starts_with(household_code, $4)),"
        "  (SELECT count(DISTINCT household_code) FROM help_pairing WHERE active AND starts_with(household_code, $4)),"
        "  (SELECT count(*) FROM ref_household WHERE in_difficulty AND starts_with(code, $4)),"
        "  (SELECT count(*) FROM visit WHERE starts_with(household_code, $4)),"
        "  (SELECT count(*) FROM cobuilding WHERE active AND starts_with(community_code, $4)),"
        "  (SELECT count(*) FROM dispatch WHERE status IN (1, 2) AND starts_with(zone_code, $4))", &params);
    if (!result)
        return sf_call_status(call);
    sf_row_read(result, 0, 0, &reply->base,
                "volunteers active party_members in_service_party_members teams approved_hours pending_hours pairings"
                " paired_members paired_households households_in_difficulty visits cobuildings open_dispatches");
    *reply_p = &reply->base;
    return SF_OK;
}
