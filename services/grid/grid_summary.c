/* The grid in figures for a subtree: units by kind, households, residents,
 * active staff, households in difficulty and fully staffed zones. */
#include "grid.h"
#include "sf_row.h"
#include <string.h>

#define SUMMARY_SELECT \
    "SELECT" \
    " (SELECT count(*) FROM org_unit WHERE kind = 2 AND code >= $1 AND code < $2)," \
    " (SELECT count(*) FROM org_unit WHERE kind = 3 AND code >= $1 AND code < $2)," \
    " (SELECT count(*) FROM org_unit WHERE kind = 4 AND code >= $1 AND code < $2)," \
    " (SELECT count(*) FROM org_unit WHERE kind = 5 AND code >= $1 AND code < $2)," \
    " (SELECT count(*) FROM household WHERE code >= $1 AND code < $2)," \
    " (SELECT count(*) FROM resident WHERE household_code >= $1 AND household_code < $2)," \
    " (SELECT count(*) FROM staff WHERE active AND unit_code >= $1 AND unit_code < $2)," \
    " (SELECT count(*) FROM household WHERE cardinality(flags) > 0 AND code >= $1 AND code < $2)," \
    " (SELECT count(*) FROM (SELECT unit_code FROM responsibility" \
    "   WHERE kind IN (1, 2) AND unit_code >= $1 AND unit_code < $2" \
    "   GROUP BY unit_code HAVING count(DISTINCT kind) = 2) staffed)"

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
    PGresult *result = sf_call_query(call, SUMMARY_SELECT, SF_PARAMS(prefix, upper));
    if (!result)
        return sf_call_status(call);
    sf_row_read(result, 0, 0, &reply->base,
                "streets communities zones building_groups households residents staff households_in_difficulty"
                " zones_fully_staffed");
    return SF_OK;
}
