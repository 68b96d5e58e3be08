/* A person's duty, as the services are told it: the grants (role, view,
 * write and search scopes: common/sf_roles.h) the gateway forwards for a
 * logged-in account, derived from where the person works in grid and what
 * they answer for there, never typed by hand.
 *
 * For each role of the account, its scopes by default (docs/operations.md,
 * "People and permissions", has the table):
 *   window_clerk, community_staff, street_staff, employment_counsellor:
 *       view and write their staff unit's subtree; search the district
 *       (volunteer_coordinator the same, without search);
 *   zone_cadre: view and write the zones they answer for in grid (zone
 *       cadre or zone committee member), search their staff unit;
 *   department_staff: view the district (their department's cases come
 *       through the department the principal names), write nothing by unit;
 *   appraisal_office: view and write the district; leader: view it;
 *   privacy_officer, administrator: no unit (their methods are role-only).
 * An account role's data scope, when set, replaces view and write: all, the
 * chosen units, own unit ("=" and the unit), own unit and below, or own
 * records only (no unit). A staff record that is missing or inactive
 * reaches no unit.
 *
 * What grid says is cached per staff member and dropped when grid's event
 * log shows a staff or responsibility change (polled from the main loop),
 * and in any case after a minute: a responsibility removed in grid stops
 * reaching its unit within seconds, a minute at worst. */
#ifndef GATEWAY_DUTY_H
#define GATEWAY_DUTY_H

#include <stdint.h>
#include "gateway_accounts.h"
#include "gateway_error.h"
#include "gateway_keys.h"
#include "gateway_upstream.h"

/* How long a person's duty is believed without a word from grid. */
#define GATEWAY_DUTY_MAX_AGE_MS 60000
/* How often the main loop asks grid's event log for changes. */
#define GATEWAY_DUTY_POLL_MS 2000

typedef struct gateway_duty_t gateway_duty_t;

gateway_duty_t *gateway_duty_new(gateway_upstream_t *upstream);
void gateway_duty_destroy(gateway_duty_t **self_p);

/* Fills principal for account: id (the staff id, or "acct:" and the login
 * for an account without one), role (its first role, for logs), account,
 * and the packed Principal with a grant per role (principal->person).
 * 0, or -1 with error (UNAVAILABLE when grid did not answer and nothing is
 * cached; FAILED_PRECONDITION for an account without roles). Thread-safe. */
int gateway_duty_principal(gateway_duty_t *self, const gateway_account_t *account, gateway_principal_t *principal,
                           gateway_error_t *error);

/* Reads grid's events since the last poll when GATEWAY_DUTY_POLL_MS have
 * passed, and forgets what a staff or responsibility change may have
 * changed. Called from the gateway's main loop. */
void gateway_duty_poll(gateway_duty_t *self, int64_t now_ms);

#endif
