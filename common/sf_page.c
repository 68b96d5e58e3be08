/* The page size and token rules every list method shares. */
#include "sf_page.h"
#include "sf_codes.h"
#include "sf_server.h"
#include <string.h>

bool
sf_page_read(sf_call_t *call, const Sifang__V1__PageRequest *page, sf_page_t *out)
{
    out->size = SF_PAGE_DEFAULT;
    out->token = "";
    if (!page)
        return true;
    if (page->page_size < 0 || page->page_size > SF_PAGE_MAX) {
        sf_call_violation(call, "page.page_size", "must be between 1 and %d (0 = %d)", SF_PAGE_MAX,
                          SF_PAGE_DEFAULT);
        return false;
    }
    if (page->page_size > 0)
        out->size = page->page_size;
    out->token = page->page_token ? page->page_token : "";
    return true;
}

bool
sf_page_bad_token(sf_call_t *call)
{
    sf_call_violation(call, "page.page_token", "not a token this list handed out");
    return false;
}

bool
sf_page_int_token(sf_call_t *call, const sf_page_t *page, int64_t *after)
{
    *after = 0;
    if (!*page->token)
        return true;
    /* Digits only, so that no sign, space or overflow slips through. */
    if (!sf_code_digits(page->token) || strlen(page->token) > 18)
        return sf_page_bad_token(call);
    int64_t value = 0;
    for (const char *c = page->token; *c; c++)
        value = value * 10 + (*c - '0');
    if (value <= 0)
        return sf_page_bad_token(call);
    *after = value;
    return true;
}

int
sf_page_rows(const sf_page_t *page, const PGresult *result)
{
    int rows = PQntuples(result);
    return rows > page->size ? page->size : rows;
}

bool
sf_page_more(const sf_page_t *page, const PGresult *result)
{
    return PQntuples(result) > page->size;
}

sf_page_t
sf_page_of(sf_call_t *call, const Sifang__V1__PageRequest *page)
{
    sf_page_t read;
    sf_page_read(call, page, &read);   /* a violation is the call's */
    return read;
}

sf_keyset_t
sf_keyset_of(sf_call_t *call, const Sifang__V1__PageRequest *page)
{
    sf_keyset_t read;
    sf_keyset_read(call, page, &read);   /* a violation is the call's */
    return read;
}

bool
sf_keyset_read(sf_call_t *call, const Sifang__V1__PageRequest *page, sf_keyset_t *out)
{
    sf_page_t read;
    out->after = 0;
    bool ok = sf_page_read(call, page, &read);
    out->size = read.size;
    return ok && sf_page_int_token(call, &read, &out->after);
}

int
sf_keyset_rows(const sf_keyset_t *page, const PGresult *result)
{
    int rows = PQntuples(result);
    return rows > page->size ? page->size : rows;
}

char *
sf_keyset_next(sf_call_t *call, const sf_keyset_t *page, const PGresult *result, int id_column)
{
    if (PQntuples(result) <= page->size)
        return (char *) protobuf_c_empty_string;
    return sf_call_strdup(call, sf_db_text(result, page->size - 1, id_column));
}
