/* A case's steps checked against SQL, for the step tests (intake_orders_test,
 * intake_ladder_test, intake_integrity_test): the case as intake's tables
 * have it (written independently of intake's own column lists), every field
 * of a step's reply and of its one event compared with it, a refusal with
 * its field and nothing written, and the small pieces those tests share.
 * Call intake_steps_begin once the world is up and intake_steps_end at the
 * end (it frees the rows and messages read from SQL). */
#ifndef INTAKE_TEST_STEPS_H
#define INTAKE_TEST_STEPS_H

#include "intake_test_support.h"
#include <stdbool.h>
#include <stdint.h>

/* The world the steps are checked in; the Case fields from 50 on that the
 * test compares as its own (first..last; 0, -1 for none: fields 1..49 are
 * always compared, the rest are other features' and their tests'). */
void intake_steps_begin(intake_world_t *world, int first_own_field, int last_own_field);
void intake_steps_end(void);

/* Reading a row of SQL column by column (k advances); memory and results
 * kept until intake_steps_end. */
const char *intake_col(PGresult *r, int *k);
int64_t intake_num(PGresult *r, int *k);
bool intake_yes(PGresult *r, int *k);
void *intake_steps_make(size_t size);
PGresult *intake_steps_keep_result(PGresult *r);

/* The case from SQL, the requester in the clear (a station's reply) or as
 * events carry it (masked). NULL (a failure) when the row is not there. */
Sifang__V1__Case *intake_case_in_sql(int64_t id, bool clear);
/* Every field of got against want (any message; of a Case the fields 1..49
 * and the test's own; of a repeated field its count); the number of
 * differences (each a failure). */
int intake_case_compare(const char *what, const char *path, const ProtobufCMessage *got,
                        const ProtobufCMessage *want);
/* The case.* events of the case after head, in order (kept). */
size_t intake_case_events_after(int64_t head, int64_t id, Sifang__V1__Case **events, char types[][48], size_t max);
/* The reply (phones in the clear) and the step's one event (masked) against SQL. */
void intake_case_check_step(const char *what, int64_t head, const Sifang__V1__Case *reply, int64_t id,
                            const char *event_type);
/* Calls a step method as client; the reply (kept), checked with its event. */
Sifang__V1__Case *intake_case_step(sf_client_t *client, const char *method, const ProtobufCMessage *request,
                                   int64_t id, const char *event_type);
/* A refusal: its status and field (and words in its message), and nothing
 * written (no case, audit row, event or notice, none read). The reply's type
 * is the method's; REFUSED is for the steps, which answer with a Case. */
void intake_refused(sf_client_t *client, const char *method, const ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *reply, sf_status_t want_status, const char *field,
                    const char *words, int line);
#define REFUSED(client, method, request, status, field, words) \
    intake_refused(client, method, &(request)->base, &sifang__v1__case__descriptor, status, field, words, __LINE__)

Sifang__V1__CaseRef *intake_ref_of(int64_t id);
/* SQL with one case id in format (%lld), run as the superuser / counted. */
void intake_sql(const char *format, long long id);
long long intake_sql_count(const char *format, long long id);
/* Intake's deadline sweep, now. */
void intake_sweep_now(void);
/* A station's registration of a type, routed at once to the zone's
 * committee member S00001; checked with its event. */
Sifang__V1__Case *intake_register_case(const char *household, const char *item, Sifang__V1__CaseType type,
                                       const char *description);

#endif
