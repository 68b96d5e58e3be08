/* Routing: where an accepted case goes. Department items to their handling
 * department; zone and provider items to the zone's community committee
 * member, else its street cadre (grid's ZONE_COMMITTEE and ZONE_CADRE, from
 * intake's copy), else the community station, else the street office. */
#include "intake.h"
#include <string.h>

/* The zone's responsible pair and the names routing shows, for one unit;
 * the batch statement of CaseSubmit joins the same tables. */
#define ROUTE_SQL \
    "SELECT coalesce(cm.id, ''), coalesce(cm.name, ''), coalesce(cd.id, ''), coalesce(cd.name, '')," \
    "       coalesce(dep.name, ''), coalesce(cu.name, ''), coalesce(su.name, '')" \
    "  FROM (SELECT $1::text AS code, $2::text AS department) q" \
    "  LEFT JOIN LATERAL (SELECT s.id, s.name FROM ref_responsibility x" \
    "                       JOIN ref_staff s ON s.id = x.staff_id AND s.active" \
    "                      WHERE x.unit_code = q.code AND x.kind = 2 ORDER BY x.since, s.id LIMIT 1) cm ON true" \
    "  LEFT JOIN LATERAL (SELECT s.id, s.name FROM ref_responsibility x" \
    "                       JOIN ref_staff s ON s.id = x.staff_id AND s.active" \
    "                      WHERE x.unit_code = q.code AND x.kind = 1 ORDER BY x.since, s.id LIMIT 1) cd ON true" \
    "  LEFT JOIN ref_department dep ON dep.code = q.department" \
    "  LEFT JOIN ref_unit cu ON cu.code = left(q.code, 12) AND length(q.code) >= 12" \
    "  LEFT JOIN ref_unit su ON su.code = left(q.code, 9) AND length(q.code) >= 9"

Sifang__V1__CaseAssignee *
intake_route_choose(sf_call_t *call, int routing, const intake_route_facts_t *facts)
{
    Sifang__V1__CaseAssignee *assignee = (Sifang__V1__CaseAssignee *)
        sf_call_new_message(call, &sifang__v1__case_assignee__descriptor);
    /* The case's unit is a street, community or zone: its community and
     * street are prefixes of its code. */
    size_t community = sf_code_ancestor(facts->unit_code, INTAKE_COMMUNITY_CODE_LENGTH);
    size_t street = sf_code_ancestor(facts->unit_code, INTAKE_STREET_CODE_LENGTH);
    if (routing == SIFANG__V1__CASE_ROUTING__CASE_ROUTING_DEPARTMENT) {
        assignee->kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_DEPARTMENT;
        assignee->code = (char *) facts->department_code;
        assignee->name = (char *) (*facts->department_name ? facts->department_name : facts->department_code);
        assignee->route = "item department";
    } else if (routing != SIFANG__V1__CASE_ROUTING__CASE_ROUTING_ZONE
               && routing != SIFANG__V1__CASE_ROUTING__CASE_ROUTING_PROVIDER) {
        return NULL;
    } else if (*facts->committee_id) {
        assignee->kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF;
        assignee->code = (char *) facts->committee_id;
        assignee->name = (char *) facts->committee_name;
        assignee->route = "zone committee member";
    } else if (*facts->cadre_id) {
        assignee->kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_STAFF;
        assignee->code = (char *) facts->cadre_id;
        assignee->name = (char *) facts->cadre_name;
        assignee->route = "zone street cadre";
    } else if (community) {
        assignee->kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT;
        assignee->code = sf_call_printf(call, "%.*s", (int) community, facts->unit_code);
        assignee->name = (char *) facts->community_name;
        assignee->route = "community station";
    } else if (street) {
        assignee->kind = SIFANG__V1__ASSIGNEE_KIND__ASSIGNEE_KIND_UNIT;
        assignee->code = sf_call_printf(call, "%.*s", (int) street, facts->unit_code);
        assignee->name = (char *) facts->street_name;
        assignee->route = "street office";
    } else
        return NULL;
    return assignee;
}

sf_status_t
intake_route(sf_call_t *call, const char *unit_code, int routing, const char *department_code,
             Sifang__V1__CaseAssignee **assignee_p)
{
    *assignee_p = NULL;
    sf_params_t *params = SF_PARAMS(unit_code, department_code ? department_code : "");
    PGresult *result = sf_call_query(call, ROUTE_SQL, params);
    if (!result)
        return sf_call_status(call);
    intake_route_facts_t facts = {
        .unit_code = unit_code,
        .department_code = department_code ? department_code : "",
        .committee_id = sf_db_text(result, 0, 0),
        .committee_name = sf_db_text(result, 0, 1),
        .cadre_id = sf_db_text(result, 0, 2),
        .cadre_name = sf_db_text(result, 0, 3),
        .department_name = sf_db_text(result, 0, 4),
        .community_name = sf_db_text(result, 0, 5),
        .street_name = sf_db_text(result, 0, 6),
    };
    *assignee_p = intake_route_choose(call, routing, &facts);
    return SF_OK;
}
