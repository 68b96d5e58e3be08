/* One registration, all services (docs/registrations.md): the part that
 * employment and volunteer share. Intake's resolved cases whose
 * registration a service owns wait in that service's registration_inbox,
 * written with the intake follower's cursor in one transaction
 * (sf_registration_inbox_keep). The loop's timer (sf_registration_inbox_timer)
 * takes them in intake's order. Each case is registered through the
 * service's own handler in a savepoint, and the case's link row and its
 * answer ("registration.linked" or "registration.refused", key the case
 * ref, payload CaseRegistrationOutcome) are written in the same transaction
 * as the registration's own events: each case registers its person once,
 * whatever stops in between. A refusal leaves nothing but the refusal.
 *
 * Each service keeps only what is its own: which kinds it owns, how it
 * registers the person (enrol) and its link row (link). */
#ifndef SF_REGISTRATION_INBOX_H
#define SF_REGISTRATION_INBOX_H

#include <stdbool.h>
#include <stdint.h>
#include "sf_db.h"
#include "sf_server.h"
#include "sifang/v1/intake.pb-c.h"
#include "sifang/v1/sys.pb-c.h"

/* The bit of a CaseRegistrationKind in sf_registration_owner_t.kinds. */
#define SF_REGISTRATION_KIND_BIT(kind) (1u << (kind))

typedef enum {
    SF_REGISTRATION_CREATED = 1,
    SF_REGISTRATION_UPDATED = 2,
    SF_REGISTRATION_REFUSED = 3,
} sf_registration_outcome_t;

typedef struct {
    const char *service;    /* names the answer's sender: "employment", "volunteer" */
    uint32_t kinds;         /* SF_REGISTRATION_KIND_BIT of each kind the service owns */
    /* Registers or updates the person the case's registration names, through
     * the service's own handler and rules. On SF_OK *linked_id (the call's)
     * names what it made or found, *created whether it made it. A refusal
     * is the call's failure (its text and field go back to the case). */
    sf_status_t (*enrol)(sf_call_t *call, const char *case_ref, const Sifang__V1__Case *the_case,
                         const char **linked_id, bool *created);
    /* Writes the case's link row (linked_id "" for a refusal). *fresh false:
     * the case was answered before, and nothing more is said. */
    sf_status_t (*link)(sf_call_t *call, const char *case_ref, int64_t case_version,
                        const Sifang__V1__CaseRegistration *registration, const char *linked_id,
                        sf_registration_outcome_t outcome, const char *refusal, bool *fresh);
} sf_registration_owner_t;

/* The intake follower's part: a "case.resolved" of a kind the owner owns
 * into registration_inbox (once per case version). Any other event is
 * passed over; a payload that does not decode is SF_DATA_LOSS. */
sf_status_t sf_registration_inbox_keep(const sf_registration_owner_t *owner, sf_db_t *db,
                                       const Sifang__V1__Event *event);

/* The loop's timer (arg: the owner): a batch of the inbox in intake's
 * order, in one transaction. Cheap when the inbox is empty, as it nearly
 * always is. */
void sf_registration_inbox_timer(sf_call_t *call, void *owner);

#endif
