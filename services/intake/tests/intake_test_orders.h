/* The work-order rules' fields of a case as SQL has them (tests). */
#ifndef INTAKE_TEST_ORDERS_H
#define INTAKE_TEST_ORDERS_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "sifang/v1/intake.pb-c.h"

/* Fills c's fields 36..45 (case_type .. cohandler_tasks_open) from intake's
 * tables on db (a superuser's connection); the nested messages and texts
 * live until intake_orders_sql_release. false (said on stderr) when the
 * case is not there. */
bool intake_orders_in_sql(PGconn *db, int64_t id, Sifang__V1__Case *c);
void intake_orders_sql_release(void);

#endif
