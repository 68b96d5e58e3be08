/* Tests' people: a person's principal (grants and all) put on a client, as
 * the gateway forwards one after a login (sf_test_person.h). */
#include "sf_test_person.h"
#include "sifang/v1/envelope.pb-c.h"
#include <stdlib.h>
#include <string.h>

#define MAX_SCOPES 16

/* Splits a comma-separated list in place into at most max words. */
static size_t
split(char *list, char **words, size_t max)
{
    size_t n = 0;
    if (!list || !*list)
        return 0;
    for (char *save = NULL, *word = strtok_r(list, ",", &save); word && n < max; word = strtok_r(NULL, ",", &save))
        words[n++] = word;
    return n;
}

int
sf_test_set_person(sf_client_t *client, const char *id, const char *department, const sf_test_grant_t *grants,
                   size_t n_grants)
{
    Sifang__V1__Principal principal = SIFANG__V1__PRINCIPAL__INIT;
    Sifang__V1__Grant grant_messages[SF_TEST_MAX_GRANTS];
    Sifang__V1__Grant *grant_pointers[SF_TEST_MAX_GRANTS];
    char *texts[SF_TEST_MAX_GRANTS][3];
    char *scopes[SF_TEST_MAX_GRANTS][3][MAX_SCOPES];
    if (n_grants > SF_TEST_MAX_GRANTS)
        return -1;
    principal.id = (char *) id;
    principal.role = n_grants ? (char *) grants[0].role : "";
    principal.account = (char *) id;
    principal.department = (char *) (department ? department : "");
    for (size_t i = 0; i < n_grants; i++) {
        Sifang__V1__Grant *g = &grant_messages[i];
        sifang__v1__grant__init(g);
        g->role = (char *) grants[i].role;
        texts[i][0] = strdup(grants[i].view ? grants[i].view : "");
        texts[i][1] = strdup(grants[i].write ? grants[i].write : "");
        texts[i][2] = strdup(grants[i].search ? grants[i].search : "");
        g->n_view = split(texts[i][0], scopes[i][0], MAX_SCOPES);
        g->view = scopes[i][0];
        g->n_write = split(texts[i][1], scopes[i][1], MAX_SCOPES);
        g->write = scopes[i][1];
        g->n_search = split(texts[i][2], scopes[i][2], MAX_SCOPES);
        g->search = scopes[i][2];
        grant_pointers[i] = g;
    }
    principal.n_grants = n_grants;
    principal.grants = grant_pointers;
    size_t size = protobuf_c_message_get_packed_size(&principal.base);
    uint8_t *packed = malloc(size ? size : 1);
    int rc = packed ? 0 : -1;
    if (packed) {
        protobuf_c_message_pack(&principal.base, packed);
        rc = sf_client_set_person(client, packed, size);
    }
    free(packed);
    for (size_t i = 0; i < n_grants; i++)
        for (int k = 0; k < 3; k++)
            free(texts[i][k]);
    return rc;
}
