/* One registration, all services: the cases of items that are themselves
 * registrations (就业失业登记, 就业困难人员认定: the person in employment;
 * 在职党员报到: a party member volunteer of the community). The case carries
 * the registration's data (case_registration, migration 014); resolving the
 * case is the approval and sends it (state SENT: the owning service follows
 * intake's "case.resolved"); the owning service's answer comes back through
 * the peers thread (registration_inbox) and the loop records it as a step
 * with the link or the refusal. docs/registrations.md says it in full. */
#ifndef INTAKE_REGISTRATION_H
#define INTAKE_REGISTRATION_H

#include "intake.h"
#include "sf_follower.h"

/* The case's registration is read from INTAKE_REGISTRATION_COLUMN (intake.h). */

/* The registration a row's column holds (NULL for none), in the call's
 * memory; NULL with INTERNAL recorded when the text does not decode. */
Sifang__V1__CaseRegistration *intake_registration_from_text(sf_call_t *call, const char *text, bool *failed);

/* The registration as the caller may see it, by the rule of the requester
 * (intake_requester_shown, applied before: requester_name is the name it
 * had): in the clear where the requester's name is, masked (name, phone,
 * birth date) where it was masked, and only what it is (kind, state,
 * service) for the anonymous viewer. */
void intake_registration_shown(sf_call_t *call, Sifang__V1__Case *the_case, const char *requester_name);

/* The owning service of a kind: "employment" or "volunteer" ("" for none). */
const char *intake_registration_service(int kind);

/* Submission: the form of a registration (violations under field), with
 * no database. true when it passes. */
bool intake_registration_check(sf_call_t *call, const char *field, const Sifang__V1__CaseRegistration *given);
/* Submission: whether the item (its kind, 0 when it is no registration)
 * takes the registration given (or none), with violations under field. */
bool intake_registration_fits(sf_call_t *call, const char *field, const char *item_code, int kind,
                              const Sifang__V1__CaseRegistration *given);
/* Submission, after the case is written: stores its registration and puts
 * it on the case (the reply and the event). */
sf_status_t intake_registration_write(sf_call_t *call, Sifang__V1__Case *the_case, int kind,
                                      const Sifang__V1__CaseRegistration *given);

/* Acceptance under another item: a registration item only for a case that
 * carries its kind of registration, and a case that carries one only under
 * its kind's item (the registration is taken down at submission):
 * FAILED_PRECONDITION on "item_code" otherwise. */
sf_status_t intake_registration_may_accept(sf_call_t *call, const Sifang__V1__Case *the_case, const char *item_code);

/* Resolution is the approval: a case's registration (waiting, or refused
 * before) is sent with the version the resolving step gives the case. */
sf_status_t intake_registration_send(sf_call_t *call, const Sifang__V1__Case *the_case);
/* The return visit waits for the owning service's answer: FAILED_PRECONDITION
 * while the registration is sent and unanswered. */
sf_status_t intake_registration_may_close(sf_call_t *call, const Sifang__V1__Case *the_case);

/* The peers thread: the owning services' "registration.*" events for this
 * instance's cases into registration_inbox (arg is the peers). */
sf_status_t intake_apply_registration_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg);
/* The loop: the answers waiting in registration_inbox, each a step of its
 * case with the link or the refusal, in one transaction. Returns the rows
 * applied or -1. */
int intake_registration_apply_inbox(sf_call_t *call);

#endif
