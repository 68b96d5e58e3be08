/* Tests' people: what the gateway forwards for a logged-in person, put on a
 * test's client, so a test can call a daemon as a window clerk of one
 * community or a zone cadre of two zones without a gateway in between. The
 * daemon believes it without CURVE, as it believes the gateway with it. */
#ifndef SF_TEST_PERSON_H
#define SF_TEST_PERSON_H

#include <stddef.h>
#include "sf_client.h"

#define SF_TEST_MAX_GRANTS 8

/* One role and its unit scopes, each a comma-separated list ("*" the
 * district, a code its subtree, "=code" that unit only; NULL or "" none). */
typedef struct {
    const char *role;
    const char *view;
    const char *write;
    const char *search;
} sf_test_grant_t;

/* Makes client's requests come from the person id (their staff id; also
 * their account name) of department (NULL: none) holding grants. 0 or -1. */
int sf_test_set_person(sf_client_t *client, const char *id, const char *department, const sf_test_grant_t *grants,
                       size_t n_grants);

#endif
