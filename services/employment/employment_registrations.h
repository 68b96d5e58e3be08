/* One registration, all services (employment's side): intake's cases of
 * 就业失业登记 and 就业困难人员认定 make or update the person here once the
 * case is resolved (docs/registrations.md). */
#ifndef EMPLOYMENT_REGISTRATIONS_H
#define EMPLOYMENT_REGISTRATIONS_H

#include "employment.h"
#include "sf_follower.h"

/* The follower of intake: a resolved case of a registration employment
 * owns into registration_inbox (the cursor in the same transaction). */
sf_status_t emp_intake_apply(sf_db_t *db, const Sifang__V1__Event *event, void *arg);

/* The loop's timer: each waiting registration through PersonRegister's or
 * PersonUpdate's path, its link and its answer ("registration.linked" or
 * "registration.refused", key the case ref, payload
 * CaseRegistrationOutcome) in one transaction. */
void emp_registrations_timer(sf_call_t *call, void *arg);

#endif
