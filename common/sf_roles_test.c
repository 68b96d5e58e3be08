/* Roles and unit scopes: a key's one role and scope, a person's grants read
 * as a union, grants that try to carry a key's powers, and the subtrees a
 * list may read. */
#include "sf_roles.h"
#include "sf_test.h"
#include <string.h>

/* A grant of role over the given scopes (NULL-ended), view = write = search
 * unless write/search are given. */
static Sifang__V1__Grant
grant(const char *role, char **view, size_t n_view, char **write, size_t n_write)
{
    Sifang__V1__Grant g = SIFANG__V1__GRANT__INIT;
    g.role = (char *) role;
    g.view = view;
    g.n_view = n_view;
    g.write = write;
    g.n_write = n_write;
    return g;
}

int
main(void)
{
    /* Unit scopes. */
    SF_CHECK(sf_unit_scope_covers("*", "370205001"));
    SF_CHECK(sf_unit_scope_covers("370205", "370205001"));
    SF_CHECK(sf_unit_scope_covers("370205", "370205"));
    SF_CHECK(!sf_unit_scope_covers("370205", "370206001"));
    SF_CHECK(sf_unit_scope_covers("=370205001", "370205001"));
    SF_CHECK(!sf_unit_scope_covers("=370205001", "370205001001"));
    SF_CHECK(!sf_unit_scope_covers("", "370205"));      /* empty is nothing, not everything */
    SF_CHECK(!sf_unit_scope_covers("37a", "37a"));
    SF_CHECK(!sf_unit_scope_valid("="));
    SF_CHECK(!sf_unit_scope_valid("**"));

    /* A key: one role, one scope; admin is every role; "" is the district. */
    Sifang__V1__Principal key = SIFANG__V1__PRINCIPAL__INIT;
    key.id = "dept-tool";
    key.role = "street";
    key.scope = "370205001";
    SF_CHECK(!sf_principal_is_person(&key));
    SF_CHECK(sf_principal_has_role(&key, SF_ROLES_RESIDENT_DUTY));
    SF_CHECK(!sf_principal_has_role(&key, SF_ROLES_AUDIT));
    SF_CHECK(sf_principal_reaches(&key, SF_SCOPE_WRITE, NULL, "370205001002"));
    SF_CHECK(!sf_principal_reaches(&key, SF_SCOPE_VIEW, NULL, "370205002"));
    SF_CHECK(!sf_principal_reaches(&key, SF_SCOPE_VIEW, SF_ROLES_AUDIT, "370205001002"));
    key.role = "admin";
    key.scope = "";
    SF_CHECK(sf_principal_has_role(&key, SF_ROLES_AUDIT));
    SF_CHECK(sf_principal_reaches(&key, SF_SCOPE_SEARCH, SF_ROLES_AUDIT, "370299"));
    const char *prefixes[4];
    SF_CHECK_EQ_INT(sf_principal_view_prefixes(&key, NULL, prefixes, 4), 1);
    SF_CHECK_EQ_STR(prefixes[0], "");

    /* A person's role named without grants (a key never has one) reaches
     * nothing: no forwarder can make a person a key of the district. */
    Sifang__V1__Principal bare = SIFANG__V1__PRINCIPAL__INIT;
    bare.id = "S00042";
    bare.role = "window_clerk";
    bare.scope = "";
    SF_CHECK(!sf_principal_has_role(&bare, SF_ROLES_RESIDENT_DUTY));
    SF_CHECK(!sf_principal_has_role(&bare, NULL));
    SF_CHECK(!sf_principal_reaches(&bare, SF_SCOPE_VIEW, NULL, "370205001"));

    /* A person: a zone cadre for two zones who is also a volunteer
     * coordinator of their street; the union of both, each role within its
     * own scopes. */
    char *zones[] = { "37020500100101", "37020500100102" };
    char *street[] = { "370205001" };
    char *district[] = { "*" };
    Sifang__V1__Grant cadre = grant("zone_cadre", zones, 2, zones, 2);
    cadre.search = street;
    cadre.n_search = 1;
    Sifang__V1__Grant coordinator = grant("volunteer_coordinator", street, 1, street, 1);
    /* A grant claiming a key's role is ignored, whatever its scopes. */
    Sifang__V1__Grant forged = grant("admin", district, 1, district, 1);
    Sifang__V1__Grant *grants[] = { &cadre, &coordinator, &forged };
    Sifang__V1__Principal person = SIFANG__V1__PRINCIPAL__INIT;
    person.id = "S00042";
    person.role = "admin";   /* a person's role field decides nothing */
    person.grants = grants;
    person.n_grants = 3;
    SF_CHECK(sf_principal_is_person(&person));
    SF_CHECK(sf_principal_has_role(&person, SF_ROLES_RESIDENT_DUTY));
    SF_CHECK(sf_principal_has_role(&person, SF_ROLES_VOLUNTEER_DUTY));
    SF_CHECK(!sf_principal_has_role(&person, SF_ROLES_AUDIT));
    SF_CHECK(!sf_principal_has_role(&person, "admin"));
    /* Residents' names: the cadre's zones only, not the coordinator's street. */
    SF_CHECK(sf_principal_reaches(&person, SF_SCOPE_VIEW, SF_ROLES_RESIDENT_DUTY, "37020500100101003"));
    SF_CHECK(!sf_principal_reaches(&person, SF_SCOPE_VIEW, SF_ROLES_RESIDENT_DUTY, "37020500100103003"));
    /* Viewing anything: the union reaches the whole street. */
    SF_CHECK(sf_principal_reaches(&person, SF_SCOPE_VIEW, NULL, "37020500100103003"));
    SF_CHECK(!sf_principal_reaches(&person, SF_SCOPE_VIEW, NULL, "370205002"));
    /* Searching: the cadre's street; the coordinator's grant has no search scope. */
    SF_CHECK(sf_principal_reaches(&person, SF_SCOPE_SEARCH, NULL, "370205001009"));
    SF_CHECK(!sf_principal_reaches(&person, SF_SCOPE_SEARCH, SF_ROLES_VOLUNTEER_DUTY, "370205001009"));
    SF_CHECK(!sf_principal_reaches(&person, SF_SCOPE_WRITE, NULL, "370206"));
    /* The forged grant's "*" is not among the subtrees a list may read. */
    SF_CHECK_EQ_INT(sf_principal_view_prefixes(&person, NULL, prefixes, 4), 3);
    SF_CHECK_EQ_STR(prefixes[0], "37020500100101");
    SF_CHECK_EQ_STR(prefixes[1], "37020500100102");
    SF_CHECK_EQ_STR(prefixes[2], "370205001");
    SF_CHECK_EQ_INT(sf_principal_view_prefixes(&person, SF_ROLES_RESIDENT_DUTY, prefixes, 1), 2);
    return sf_test_done();
}
