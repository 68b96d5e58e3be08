/* One registration, all services (volunteer's side): intake's resolved
 * cases of 在职党员报到 register the member as a party member volunteer of
 * their community (volunteer_registrations.c, docs/registrations.md). */
#ifndef VOLUNTEER_REGISTRATIONS_H
#define VOLUNTEER_REGISTRATIONS_H

#include "sf_follower.h"
#include "sf_registration_inbox.h"
#include "sf_server.h"

/* From the follower of intake, for "case.resolved": a case of 在职党员报到
 * into registration_inbox, in the follower's transaction. */
sf_status_t volunteer_registration_apply(sf_db_t *db, const Sifang__V1__Event *event);

/* What volunteer registers and how, for sf_registration_inbox_timer: each
 * waiting registration through VolunteerRegister's or VolunteerUpdate's
 * path, its link and its answer in one transaction. */
extern const sf_registration_owner_t volunteer_registration_owner;

#endif
