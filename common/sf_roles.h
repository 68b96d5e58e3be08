/* Roles and scopes: who may call what, and where. The suite's one statement
 * of the roles there are, the sets of roles each duty admits (every
 * service's method table names these sets), and how a principal's scopes
 * are read.
 *
 * Two kinds of principal reach a service (envelope.proto, Principal):
 *   - a key (a system, a department's tool, a daemon): one role of
 *     SF_KEY_ROLES and one scope, an org unit code ("" = whole district);
 *   - a person logged in at the gateway: grants, one per role of
 *     SF_PEOPLE_ROLES, each with unit scopes for viewing, writing and
 *     searching. A unit scope is "*" (the whole district), a code (that unit
 *     and its subtree: codes are hierarchical, a child's code starts with its
 *     parent's) or "=" and a code (that unit only). A person gets the union
 *     of their grants.
 * A key behaves as one grant {role, view = write = search = its scope}.
 * Grants whose role is not a person's role are ignored, so that no forwarded
 * principal can carry a key's powers (admin, gateway, service). */
#ifndef SF_ROLES_H
#define SF_ROLES_H

#include <stdbool.h>
#include "sifang/v1/envelope.pb-c.h"

/* The roles of keys (the CURVE allowlist and the gateway's API keys). */
#define SF_KEY_ROLES "admin district street community department gateway service viewer"

/* The roles of people (the gateway's accounts), by duty. */
#define SF_PEOPLE_ROLES                                                                            \
    "window_clerk zone_cadre community_staff street_staff department_staff employment_counsellor " \
    "volunteer_coordinator appraisal_office leader privacy_officer administrator"

/* --- role sets by duty: method tables and handlers name these ----------- */

/* Everyone who works in the district: people of every role but the privacy
 * officer and the administrator (whose duty is the audit and the accounts,
 * not the district's data), and every key but the anonymous viewer. */
#define SF_ROLES_STAFF                                                                               \
    "district street community department gateway service window_clerk zone_cadre community_staff " \
    "street_staff department_staff employment_counsellor volunteer_coordinator appraisal_office leader"
/* Aggregates, catalogues and public data: the staff and the anonymous
 * viewer. */
#define SF_ROLES_PUBLIC SF_ROLES_STAFF " viewer"
/* Whose duty is residents and households: they register them, and see their
 * names, addresses and difficulties within their scope. */
#define SF_ROLES_RESIDENT_DUTY "district street community window_clerk zone_cadre community_staff street_staff"
/* Who may see people at all, masked where their duty does not reach: the
 * staff; never the anonymous viewer. */
#define SF_ROLES_PERSON_READ SF_ROLES_STAFF
/* Who may take a whole list of residents out (an export, audited). */
#define SF_ROLES_EXPORT "district street community street_staff community_staff"
/* Who reads the audit of reveals and exports. */
#define SF_ROLES_AUDIT "privacy_officer"
/* Cases: who registers them (the window and the zone's people), who handles
 * them (the units' and departments' staff), who leads. */
#define SF_ROLES_CASE_INTAKE                                                                    \
    "district street community department gateway service window_clerk zone_cadre community_staff " \
    "street_staff"
#define SF_ROLES_CASE_HANDLE                                                                        \
    "district street community department window_clerk zone_cadre community_staff street_staff " \
    "department_staff"
/* Employment, volunteers, appraisal: the people of each. */
#define SF_ROLES_EMPLOYMENT_DUTY "district street community department employment_counsellor"
#define SF_ROLES_VOLUNTEER_DUTY "district street community volunteer_coordinator"
#define SF_ROLES_APPRAISAL "district appraisal_office"

/* Which of a grant's scope lists a check reads. */
typedef enum {
    SF_SCOPE_VIEW,
    SF_SCOPE_WRITE,
    SF_SCOPE_SEARCH,
} sf_scope_kind_t;

/* Whether role is a word of roles (space-separated); NULL roles = any. */
bool sf_role_in(const char *role, const char *roles);
/* Whether one unit scope ("*", "C", "=C") reaches unit_code. */
bool sf_unit_scope_covers(const char *scope, const char *unit_code);
/* Whether a unit scope is well formed: "*", or a code of digits, or "="
 * and one. The gateway writes them; services trust but verify. */
bool sf_unit_scope_valid(const char *scope);

/* Whether the principal is a person (has grants) rather than a key. */
bool sf_principal_is_person(const Sifang__V1__Principal *principal);
/* Whether the principal holds a role of roles: a key's role ("admin" is
 * every role), or one of a person's grants. */
bool sf_principal_has_role(const Sifang__V1__Principal *principal, const char *roles);
/* Whether some grant whose role is in roles (NULL: any) reaches unit_code in
 * its kind of scope. A key: its role in roles and its scope covering. */
bool sf_principal_reaches(const Sifang__V1__Principal *principal, sf_scope_kind_t kind, const char *roles,
                          const char *unit_code);
/* The subtree prefixes a list may read in: the view scopes of the grants
 * whose role is in roles (NULL: any), as given ("*" for all, codes; "=C"
 * scopes are left out: a list reads subtrees). Up to max into prefixes;
 * returns how many there are (may be more than max). A key gives its scope
 * ("" for all). */
size_t sf_principal_view_prefixes(const Sifang__V1__Principal *principal, const char *roles,
                                  const char **prefixes, size_t max);

#endif
