/* The grid in figures for a subtree: units by kind, households, residents,
 * active staff, households in difficulty and fully staffed zones. */
#include "grid.h"
#include "sf_row.h"
#include <string.h>

/* The units and staff are counted (a few thousand rows at most); the
 * households, residents and households in difficulty of a subtree down to a
 * zone are the sum of its zones' rows in zone_figures, which the statements
 * writing households and residents keep (migration 005): counting the
 * district's rows took about 0.3 s a request. Below a zone (a building group
 * or a household) zone_figures is too coarse, and the rows are few: they are
 * counted. */
#define SUMMARY_UNITS_SELECT \
    "SELECT" \
    " (SELECT count(*) FROM org_unit WHERE kind = 2 AND code >= $1 AND code < $2)," \
    " (SELECT count(*) FROM org_unit WHERE kind = 3 AND code >= $1 AND code < $2)," \
    " (SELECT count(*) FROM org_unit WHERE kind = 4 AND code >= $1 AND code < $2)," \
    " (SELECT count(*) FROM org_unit WHERE kind = 5 AND code >= $1 AND code < $2),"
#define SUMMARY_STAFF_SELECT \
    " (SELECT count(*) FROM staff WHERE active AND unit_code >= $1 AND unit_code < $2)," \
    " (SELECT count(*) FROM (SELECT unit_code FROM responsibility" \
    "   WHERE kind IN (1, 2) AND unit_code >= $1 AND unit_code < $2" \
    "   GROUP BY unit_code HAVING count(DISTINCT kind) = 2) staffed)"
#define SUMMARY_SELECT_BY_ZONES \
    SUMMARY_UNITS_SELECT \
    " f.households, f.residents, f.households_in_difficulty," \
    SUMMARY_STAFF_SELECT \
    " FROM (SELECT COALESCE(sum(households), 0) AS households, COALESCE(sum(residents), 0) AS residents," \
    "   COALESCE(sum(households_in_difficulty), 0) AS households_in_difficulty" \
    "   FROM zone_figures WHERE zone_code >= $1 AND zone_code < $2) f"
#define SUMMARY_SELECT_COUNTED \
    SUMMARY_UNITS_SELECT \
    " (SELECT count(*) FROM household WHERE code >= $1 AND code < $2)," \
    " (SELECT count(*) FROM resident WHERE household_code >= $1 AND household_code < $2)," \
    " (SELECT count(*) FROM household WHERE cardinality(flags) > 0 AND code >= $1 AND code < $2)," \
    SUMMARY_STAFF_SELECT

sf_status_t
grid_summary(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__GridSummaryRequest *ask = (const Sifang__V1__GridSummaryRequest *) request;
    Sifang__V1__GridSummaryReply *reply = (Sifang__V1__GridSummaryReply *)
        sf_call_new_message(call, &sifang__v1__grid_summary_reply__descriptor);
    const char *prefix;
    bool visible = sf_call_scope_under(call, "under", ask->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    /* Outside the caller's scope the grid is empty, as lists are. */
    if (!visible)
        return SF_OK;

    /* One statement for every prefix, the whole district included: "" to
     * ":" spans every code, since codes are digits. */
    char upper[GRID_CODE_SIZE];
    sf_code_subtree_upper(prefix, upper, sizeof upper);
    bool by_zones = strlen(prefix) <= SF_CODE_ZONE_LENGTH;
    PGresult *result = sf_call_query(call, by_zones ? SUMMARY_SELECT_BY_ZONES : SUMMARY_SELECT_COUNTED,
                                     SF_PARAMS(prefix, upper));
    if (!result)
        return sf_call_status(call);
    sf_row_read(result, 0, 0, &reply->base,
                "streets communities zones building_groups households residents households_in_difficulty staff"
                " zones_fully_staffed");
    return SF_OK;
}
