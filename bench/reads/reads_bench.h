/* bench/reads: what the read benchmark's parts share (README.md). */
#ifndef READS_BENCH_H
#define READS_BENCH_H

#include "hard_suite.h"
#include <stdbool.h>

/* One read of the workbench's mix: a GET through the gateway, answered by
 * one service. */
typedef struct {
    const char *service;        /* "grid" ... the service (and schema) that answers it */
    char path[512];             /* the path and query string, as the workbench asks it */
} reads_entry_t;

#define READS_MAX_ENTRIES 96

/* ---- The write stream: intake's CaseSubmit over ZeroMQ at a steady rate -- */

typedef struct {
    long sent, replied, failed;
    double rate;                /* replies per second over the run */
    double p50_ms, p99_ms, max_ms;
} reads_writes_t;

typedef struct reads_writer reads_writer_t;

/* Starts a thread that submits rate cases a second to intake (as the
 * suite's admin, over CURVE) for seconds, each by a household of
 * households[] and an item of items[] in turn; request ids begin at first
 * (each run its own). NULL when the thread could not start. */
reads_writer_t *reads_writer_start(const hs_suite_t *suite, char *const *households, int n_households,
                                   char *const *items, int n_items, double rate, int seconds, long first);
/* Waits for the thread to end (the replies in flight arrive or time out)
 * and fills out. */
void reads_writer_join(reads_writer_t *writer, reads_writes_t *out);

/* ---- The SQL behind each read, for pgbench ------------------------------- */

/* With log_statement = all for a moment, asks the gateway each read of
 * entries (Bearer key) once, between markers, and writes for each read that
 * ran SQL a pgbench script of the statements its service's role ran,
 * parameters written in place and cast to their types, into
 * dir/read-<i>.sql (after a SET of the service's search_path). log is the
 * cluster's log file. scripted[i] tells which entries have a script.
 * Returns the number of scripts, or -1. */
int reads_capture(hs_suite_t *suite, const char *log, int port, const char *key, const reads_entry_t *entries,
                  int n, const char *dir, bool scripted[]);

/* A GET through the gateway as the key's principal, keep-alive off: the
 * HTTP status (0: no answer). */
int reads_get(int port, const char *key, const char *path);

double reads_now_ms(void);

#endif
