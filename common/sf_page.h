/* Reading a list method's PageRequest, the same way in every service: the
 * page size (0 = SF_PAGE_DEFAULT, at most SF_PAGE_MAX) and the token the
 * list handed out with the previous page (most lists: the last id shown). A
 * list reads page size + 1 rows to learn whether there is more. */
#ifndef SF_PAGE_H
#define SF_PAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "sifang/v1/grid.pb-c.h"   /* PageRequest */

typedef struct sf_call_t sf_call_t;

#define SF_PAGE_DEFAULT 100
#define SF_PAGE_MAX 1000

typedef struct {
    int size;            /* rows a page shows */
    const char *token;   /* as given, "" for the first page */
} sf_page_t;

/* Reads page (NULL: the first page of SF_PAGE_DEFAULT). A size outside
 * 0..SF_PAGE_MAX is a violation on page.page_size; false then. */
bool sf_page_read(sf_call_t *call, const Sifang__V1__PageRequest *page, sf_page_t *out);
/* sf_page_read for a list's first line, `sf_page_t page = sf_page_of(call,
 * list->page);`: a violation is on the call, for the list's one check of
 * sf_call_has_violations after its other fields. */
sf_page_t sf_page_of(sf_call_t *call, const Sifang__V1__PageRequest *page);
/* The token as a positive id (0 for the first page); a violation on
 * page.page_token, and false, when it is not one. */
bool sf_page_int_token(sf_call_t *call, const sf_page_t *page, int64_t *after);
/* A violation on page.page_token, for a list whose tokens are its own;
 * returns false for the caller to pass on. */
bool sf_page_bad_token(sf_call_t *call);
/* The rows of result the page shows (at most its size), and whether there
 * are more after them. */
int sf_page_rows(const sf_page_t *page, const PGresult *result);
bool sf_page_more(const sf_page_t *page, const PGresult *result);

/* Keyset paging on an integer id, for a list whose token is the id of the
 * last row it showed ("<id>", sf_page_int_token's): the next page is the
 * rows past it, in the list's own order (newer first or older first: the
 * list's WHERE and ORDER BY say which), page size + 1 of them read. */
typedef struct {
    int size;            /* rows a page shows */
    int64_t after;       /* the id the previous page ended on; 0 = first page */
} sf_keyset_t;

/* Reads page (may be NULL) with sf_page_read and sf_page_int_token; false
 * with the violation. */
bool sf_keyset_read(sf_call_t *call, const Sifang__V1__PageRequest *page, sf_keyset_t *out);
/* sf_keyset_read as a value, as sf_page_of is. */
sf_keyset_t sf_keyset_of(sf_call_t *call, const Sifang__V1__PageRequest *page);
/* The rows of result the page shows (at most its size). */
int sf_keyset_rows(const sf_keyset_t *page, const PGresult *result);
/* The next page's token, the id in id_column of the page's last row, when
 * result holds more rows than the page shows; else "" (call memory). */
char *sf_keyset_next(sf_call_t *call, const sf_keyset_t *page, const PGresult *result, int id_column);

#endif
