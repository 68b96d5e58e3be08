/* One registration, all services (employment's side): intake's cases of
 * 就业失业登记 and 就业困难人员认定 make or update the person here once the
 * case is resolved (docs/registrations.md). */
#ifndef EMPLOYMENT_REGISTRATIONS_H
#define EMPLOYMENT_REGISTRATIONS_H

#include "employment.h"
#include "sf_follower.h"
#include "sf_registration_inbox.h"

/* The follower of intake: a resolved case of a registration employment
 * owns into registration_inbox (the cursor in the same transaction). */
sf_status_t emp_intake_apply(sf_db_t *db, const Sifang__V1__Event *event, void *arg);

/* What employment registers and how, for sf_registration_inbox_timer: each
 * waiting registration through PersonRegister's or PersonUpdate's path,
 * its link and its answer in one transaction. */
extern const sf_registration_owner_t emp_registration_owner;

#endif
