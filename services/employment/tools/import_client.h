/* Sending a JSON Lines text to employment's ImportBatch: cut into chunks at
 * line boundaries, a window of chunks in flight, each chunk's request id
 * derived from its content (a re-run of the same file is answered from the
 * service's store or changes nothing), and the per-line results mapped back
 * to the text's own line numbers. Shared by sifang-employment-import and the
 * benchmark. */
#ifndef EMPLOYMENT_IMPORT_CLIENT_H
#define EMPLOYMENT_IMPORT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "sf_client.h"

typedef struct {
    const char *system;        /* the batch default system ("" = lines name it) */
    size_t chunk_bytes;        /* at most this much text per request */
    int chunk_lines;           /* and at most this many lines */
    int window;                /* chunks in flight */
    int timeout_ms;            /* per chunk before resending (same request id) */
    int attempts;              /* sends per chunk before giving up */
    bool errors_only;          /* ask only for the failed lines */
    FILE *results;             /* where to print results as JSON Lines (NULL = nowhere) */
    bool print_all;            /* print every line's result, not only failures */
} emp_import_options_t;

typedef struct {
    long lines, created, updated, unchanged, failed;
    long chunks, resent;
    int status;                /* SF_OK, or the status a chunk failed with */
    char message[256];
} emp_import_totals_t;

void emp_import_options_default(emp_import_options_t *options);

/* Imports text (length bytes). Returns 0 when every chunk was answered (lines
 * may still have failed: see totals), -1 when a chunk got no answer or an
 * error status (totals->status and message say which). */
int emp_import_text(sf_client_t *client, const char *text, size_t length, const emp_import_options_t *options,
                    emp_import_totals_t *totals);

#endif
