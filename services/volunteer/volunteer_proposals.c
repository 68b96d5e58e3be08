/* Pairing proposals (相邻就近): for each household in difficulty that has
 * no active pairing, the party members living nearest, with the pairings
 * they already hold. The rule, in order: the same building group (楼组, the
 * first 15 digits of the household code), then the same zone, then the same
 * community; within each, the member holding fewest active pairings first,
 * then by resident id. A member of the household itself is not proposed.
 * Accepting one is HelpPairingCreate with its member and household: the one
 * path every pairing takes, with its checks and its event. */
#include "volunteer.h"
#include "sf_row.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROPOSALS_PER_HOUSEHOLD_DEFAULT 3
#define PROPOSALS_PER_HOUSEHOLD_MAX 10

/* $1 $2 the households' code range, $3 the household after which the page
 * starts ("" for the first), $4 households a page + 1, $5 proposals per
 * household. A community is the first 12 digits of a household code, so
 * its party members are one range of ref_resident_party_household. */
static const char proposals_sql[] =
    "WITH hh AS (SELECT h.code, h.zone_code, h.community_code, h.flags FROM ref_household h"
    "   WHERE h.in_difficulty AND h.code >= $1 AND h.code < $2 AND h.code > $3"
    "   AND NOT EXISTS (SELECT 1 FROM help_pairing hp WHERE hp.household_code = h.code AND hp.active)"
    "   ORDER BY h.code LIMIT $4)"
    " SELECT hh.code, array_to_string(hh.flags, ','), m.id, m.name, mv.serial, m.proximity, m.load, m.rank"
    " FROM hh LEFT JOIN LATERAL (SELECT c.*, row_number() OVER (ORDER BY c.proximity, c.load, c.id)::int AS rank"
    "   FROM (SELECT r.id, r.name,"
    "     CASE WHEN left(r.household_code, 15) = left(hh.code, 15) THEN 1"
    "       WHEN left(r.household_code, 14) = hh.zone_code THEN 2 ELSE 3 END AS proximity,"
    "     (SELECT count(*) FROM help_pairing p WHERE p.member_resident_id = r.id AND p.active)::int AS load"
    "     FROM ref_resident r WHERE r.party_member AND r.household_code >= hh.community_code"
    "     AND r.household_code < hh.community_code || ':' AND r.household_code <> hh.code) c"
    "   ORDER BY c.proximity, c.load, c.id LIMIT $5) m ON true"
    " LEFT JOIN volunteer mv ON mv.resident_id = m.id"
    " ORDER BY hh.code, m.rank";

sf_status_t
volunteer_pairing_proposals(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__PairingProposalsRequest *ask = (const Sifang__V1__PairingProposalsRequest *) request;
    Sifang__V1__PairingProposalsReply *reply = (Sifang__V1__PairingProposalsReply *)
        sf_call_new_message(call, &sifang__v1__pairing_proposals_reply__descriptor);
    sf_page_t page = sf_page_of(call, ask->page);
    int64_t after = 0;
    if (*page.token)
        sf_page_int_token(call, &page, &after);
    if (!*ask->under && !*ask->household_code)
        sf_call_violation(call, "under", "give the community (or zone ...) or the household");
    if (*ask->household_code && !sf_code_of_length(ask->household_code, SF_CODE_HOUSEHOLD_LENGTH))
        sf_call_violation(call, "household_code", "must be a household code (%d digits)", SF_CODE_HOUSEHOLD_LENGTH);
    if (ask->per_household < 0 || ask->per_household > PROPOSALS_PER_HOUSEHOLD_MAX)
        sf_call_violation(call, "per_household", "must be between 1 and %d (0 = %d)", PROPOSALS_PER_HOUSEHOLD_MAX,
                          PROPOSALS_PER_HOUSEHOLD_DEFAULT);
    const char *prefix = NULL;
    bool visible = sf_call_scope_under(call, "under", *ask->household_code ? ask->household_code : ask->under,
                                       &prefix);
    if (*ask->household_code && *ask->under && !sf_code_starts_with(ask->household_code, ask->under))
        sf_call_violation(call, "household_code", "lies outside %s", ask->under);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!visible) {
        *reply_p = &reply->base;
        return SF_OK;
    }
    char high[SF_CODE_HOUSEHOLD_LENGTH + 2];
    sf_code_subtree_upper(prefix ? prefix : "", high, sizeof high);
    int per = ask->per_household ? ask->per_household : PROPOSALS_PER_HOUSEHOLD_DEFAULT;
    PGresult *result = sf_call_query(call, proposals_sql,
        SF_PARAMS(prefix ? prefix : "", high, after ? sf_call_printf(call, "%lld", (long long) after) : "",
                  page.size + 1, per));
    if (!result)
        return sf_call_status(call);
    int rows = PQntuples(result);
    reply->proposals = sf_call_new_array(call, (size_t) rows, sizeof *reply->proposals);
    const char *last = NULL;
    int households = 0;
    for (int row = 0; row < rows; row++) {
        const char *code = sf_db_text(result, row, 0);
        if (!last || strcmp(last, code) != 0) {
            if (households == page.size) {
                /* One household more than the page: there is a next page. */
                reply->next_page_token = (char *) last;
                break;
            }
            households++;
            last = code;
        }
        if (sf_db_is_null(result, row, 2))
            continue;   /* no party member in its community */
        Sifang__V1__PairingProposal *proposal = (Sifang__V1__PairingProposal *)
            sf_call_new_message(call, &sifang__v1__pairing_proposal__descriptor);
        proposal->household_code = (char *) code;
        char **flags;
        size_t n_flags = volunteer_split(call, sf_db_text(result, row, 1), &flags);
        if (n_flags) {
            proposal->flags = sf_call_new_array(call, n_flags, sizeof *proposal->flags);
            for (size_t i = 0; i < n_flags; i++)
                proposal->flags[i] = (Sifang__V1__HouseholdFlag) atoi(flags[i]);
            proposal->n_flags = n_flags;
        }
        proposal->member_resident_id = (char *) sf_db_text(result, row, 2);
        proposal->member_name = volunteer_name_shown(call, sf_db_text(result, row, 3), code);
        if (!sf_db_is_null(result, row, 4))
            proposal->volunteer_id = volunteer_id(call, VOLUNTEER_ID_VOLUNTEER, sf_db_int(result, row, 4));
        sf_row_read(result, row, 5, &proposal->base, "proximity load rank");
        reply->proposals[reply->n_proposals++] = proposal;
    }
    reply->households = households;
    *reply_p = &reply->base;
    return SF_OK;
}
