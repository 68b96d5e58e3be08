/* What the fault tests share: concurrent writes to every service (and
 * through the gateway) while a fault is injected, each request's fate
 * recorded (acknowledged, refused, or unknown after the client gave up), and
 * the reckoning afterwards: every acknowledged write present exactly once,
 * nothing unacknowledged half-written (its row, its event and its
 * idempotency record all there or all absent), evaluation's figures
 * converging to those computed from the sources' own tables; and the
 * summary table (fault, sent, acknowledged, found, duplicates, lost). */
#ifndef FAULT_LOAD_H
#define FAULT_LOAD_H

#include <stdbool.h>
#include "hard_suite.h"

/* The kinds of write, one thread each. */
enum { FL_RESIDENT, FL_CASE, FL_VISIT, FL_COURSE, FL_KPI, FL_GATEWAY_CASE, FL_KINDS };

typedef struct fl_load_t fl_load_t;

/* Starts the writers for fault name (lower-case letters and _; it prefixes
 * every request id and the text that identifies the row). kinds: bit mask
 * of (1 << FL_*); the gateway's only when the suite's gateway runs. */
fl_load_t *fl_start(hs_suite_t *suite, const char *fault, unsigned kinds);
/* Stops the writers (each finishes its request in hand, retrying as its
 * client does), waits until nothing is in flight, counts and checks; adds
 * a row to the summary. Frees the load. */
void fl_finish(fl_load_t **load_p);
/* The API key the gateway's writer uses. */
void fl_set_gateway_key(const char *key);
/* How many requests were acknowledged so far (all kinds). */
long fl_acknowledged(const fl_load_t *load);

/* Waits until evaluation's figures for the district (households,
 * residents, cases received, cadre visits) equal those computed by SQL
 * from the sources' schemas; true when they did within timeout_ms. */
bool fl_converged(hs_suite_t *suite, int timeout_ms);

/* Prints the summary table of every fault so far; returns the number of
 * faults that lost or duplicated anything. */
int fl_summary(void);

/* Pauses the calling thread. */
void fl_pause_ms(int ms);

#endif
