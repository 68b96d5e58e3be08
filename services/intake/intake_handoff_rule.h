/* The hand-off rule: which intake instance handles a case, from its item
 * and its place, as data (docs/operations.md, "City level and hand-off").
 *
 * Each instance owns a list of entries, separated by blanks or commas:
 *   - a department's code (civil-affairs): the cases whose item is routed
 *     to that department (ServiceItem.routing DEPARTMENT);
 *   - a unit code prefix (370205): the cases whose place (unit_code) lies
 *     under it; "*" is anywhere.
 * A case belongs to the instance owning its item's department, if its item
 * is routed to a department and one owns it; else to the one owning the
 * longest prefix of its place. So a department's matter goes to the
 * department's own intake, and a community's matter (an item routed to the
 * zone or a provider, or to a department without an intake of its own) to
 * the district's. Two instances owning the same entry is refused at start.
 *
 * This instance's list is SIFANG_INTAKE_OWNS, each peer's
 * SIFANG_HANDOFF_<INSTANCE>_OWNS (deploy/render.py sets both from
 * services.txt's owns=); unset, "intake" owns "*" and "intake@<department>"
 * owns <department>. */
#ifndef INTAKE_HANDOFF_RULE_H
#define INTAKE_HANDOFF_RULE_H

#include "intake_settings.h"
#include "sf_server.h"
#include <stdbool.h>
#include <stddef.h>

#define INTAKE_OWNS_MAX 256

typedef struct {
    char instance[96];
    char owns[INTAKE_OWNS_MAX];
} intake_handoff_owner_t;

/* owners[0] is this instance, then its peers in the list's order. */
typedef struct {
    intake_handoff_owner_t owners[INTAKE_HANDOFF_PEERS_MAX + 1];
    size_t n;
} intake_handoff_rule_t;

/* The rule of self (owning self_owns, "" for its default) and the peers
 * listed in peers (SIFANG_INTAKE_HANDOFF_PEERS), each peer's list from
 * SIFANG_HANDOFF_<INSTANCE>_OWNS. 0, or -1 with the reason in error. */
int intake_handoff_rule_load(intake_handoff_rule_t *rule, const char *self, const char *self_owns,
                             const char *peers, char *error, size_t error_size);

/* The instance the rule names for a case (item routing, the item's
 * department, its unit), or NULL when none; *why (when why is given) says
 * why, Chinese first, in the call's memory. */
const char *intake_handoff_rule_owner(sf_call_t *call, const intake_handoff_rule_t *rule, int routing,
                                      const char *department, const char *unit_code, const char **why);

#endif
