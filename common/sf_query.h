/* A filtered SELECT assembled from fixed fragments of a method's code, with
 * its parameters numbered as they are added: what every list method of
 * every service builds before it runs on the call's transaction. */
#ifndef SF_QUERY_H
#define SF_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sf_db.h"
#include "sf_page.h"
#include "sf_server.h"

#define SF_QUERY_SQL_MAX 8192

typedef struct {
    sf_call_t *call;
    char sql[SF_QUERY_SQL_MAX];
    size_t length;
    bool has_where;
    sf_params_t params;
} sf_query_t;

/* Starts the statement with select ("SELECT ... FROM ..."). */
void sf_query_init(sf_query_t *self, sf_call_t *call, const char *select);
/* Adds a parameter and returns its number, for "$%d" in a fragment. The
 * value must outlive the query (call memory or the request). */
int sf_query_text(sf_query_t *self, const char *value);
int sf_query_int(sf_query_t *self, int64_t value);
int sf_query_double(sf_query_t *self, double value);
/* Appends a condition, with WHERE before the first and AND before others. */
void sf_query_where(sf_query_t *self, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Appends a fragment as it is. */
void sf_query_append(sf_query_t *self, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Restricts column to the org unit codes starting with prefix (nothing for
 * NULL or ""): a range, so that the column's btree index serves it. */
void sf_query_subtree(sf_query_t *self, const char *column, const char *prefix);
/* Ends the statement with a keyset page of it, newest first: the rows
 * whose key column (a serial or id, unique) is below the page's after,
 * ordered by it descending, one more than the page's size (so that
 * sf_keyset_rows and sf_keyset_next can tell whether a next page exists).
 * The last fragment before sf_query_run. */
void sf_query_keyset_newest(sf_query_t *self, const sf_keyset_t *page, const char *key_column);
/* Runs the statement on the call (NULL on failure, the call's status set). */
PGresult *sf_query_run(sf_query_t *self);

#endif
