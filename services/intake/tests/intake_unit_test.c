/* Unit tests of intake's pure parts (credit and unit codes are common's,
 * tested in common/sf_ids_test.c and sf_codes_test.c): registration
 * numbers, the registry's case refs and text lengths, the station's
 * roles against the suite's sets, and the hand-off rule's choices. */
#include "intake.h"
#include "intake_peers.h"
#include "sf_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A station is who both registers and handles cases: INTAKE_ROLES_STATION
 * is written out, so it is checked against the two sets it stands for. */
static void
test_station_roles(void)
{
    const char *all = SF_ROLES_CASE_INTAKE " " SF_ROLES_CASE_HANDLE " " INTAKE_ROLES_STATION;
    char role[64];
    for (const char *at = all; *at;) {
        size_t length = strcspn(at, " ");
        snprintf(role, sizeof role, "%.*s", (int) length, at);
        bool both = sf_role_in(role, SF_ROLES_CASE_INTAKE) && sf_role_in(role, SF_ROLES_CASE_HANDLE);
        if (sf_role_in(role, INTAKE_ROLES_STATION) != both)
            SF_FAIL("role %s: in INTAKE_ROLES_STATION %d, registers and handles %d", role,
                    sf_role_in(role, INTAKE_ROLES_STATION), both);
        at += length;
        at += strspn(at, " ");
    }
}

#define DEPARTMENT SIFANG__V1__CASE_ROUTING__CASE_ROUTING_DEPARTMENT
#define ZONE SIFANG__V1__CASE_ROUTING__CASE_ROUTING_ZONE

/* The hand-off rule (intake_handoff_rule.h): a department's item goes to
 * the instance owning the department, anything else to the longest prefix
 * of its place; defaults by name; an entry owned twice and a bad entry are
 * refused. */
static void
test_handoff_rule(void)
{
    intake_handoff_rule_t rule;
    char error[256] = "";
    setenv("SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_OWNS", "civil-affairs,disabled-persons", 1);
    setenv("SIFANG_HANDOFF_INTAKE_HOUSING_OWNS", "", 1);
    setenv("SIFANG_HANDOFF_INTAKE_OWNS", "370205", 1);
    if (!SF_CHECK_EQ_INT(intake_handoff_rule_load(&rule, "intake@justice", "justice 370205002",
                                                  "intake@civil-affairs intake@housing intake", error, sizeof error), 0))
        fprintf(stderr, "%s\n", error);
    SF_CHECK_EQ_INT((int) rule.n, 4);
    SF_CHECK_EQ_STR(rule.owners[2].owns, "housing");   /* its default: its department */
    /* A department's item, wherever it is. */
    SF_CHECK_EQ_STR(intake_handoff_rule_owner(NULL, &rule, DEPARTMENT, "civil-affairs", "370205001001", NULL),
                    "intake@civil-affairs");
    SF_CHECK_EQ_STR(intake_handoff_rule_owner(NULL, &rule, DEPARTMENT, "disabled-persons", "370205002001", NULL),
                    "intake@civil-affairs");
    SF_CHECK_EQ_STR(intake_handoff_rule_owner(NULL, &rule, DEPARTMENT, "housing", "370205001001", NULL),
                    "intake@housing");
    SF_CHECK_EQ_STR(intake_handoff_rule_owner(NULL, &rule, DEPARTMENT, "justice", "370205001001", NULL),
                    "intake@justice");
    /* The department's item routed to the zone is its place's; so is a
     * department without an instance; the longest prefix wins. */
    SF_CHECK_EQ_STR(intake_handoff_rule_owner(NULL, &rule, ZONE, "civil-affairs", "370205001001", NULL), "intake");
    SF_CHECK_EQ_STR(intake_handoff_rule_owner(NULL, &rule, DEPARTMENT, "organization", "370205001001", NULL),
                    "intake");
    SF_CHECK_EQ_STR(intake_handoff_rule_owner(NULL, &rule, ZONE, "justice", "370205002001", NULL), "intake@justice");
    SF_CHECK(intake_handoff_rule_owner(NULL, &rule, ZONE, "", "370203001001", NULL) == NULL);
    /* Unset everywhere: intake is anywhere, a department's instance its own. */
    unsetenv("SIFANG_HANDOFF_INTAKE_OWNS");
    SF_CHECK_EQ_INT(intake_handoff_rule_load(&rule, "intake@civil-affairs", "", "intake", error, sizeof error), 0);
    SF_CHECK_EQ_STR(intake_handoff_rule_owner(NULL, &rule, ZONE, "", "370203001001", NULL), "intake");
    SF_CHECK_EQ_STR(intake_handoff_rule_owner(NULL, &rule, DEPARTMENT, "civil-affairs", "370203001001", NULL),
                    "intake@civil-affairs");
    /* One entry, two owners; a bad entry. */
    SF_CHECK_EQ_INT(intake_handoff_rule_load(&rule, "intake", "370205 civil-affairs", "intake@civil-affairs", error,
                                             sizeof error), -1);
    SF_CHECK(strstr(error, "\"civil-affairs\" to both intake and intake@civil-affairs") != NULL);
    setenv("SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_OWNS", "Civil_Affairs", 1);
    SF_CHECK_EQ_INT(intake_handoff_rule_load(&rule, "intake", "*", "intake@civil-affairs", error, sizeof error), -1);
    SF_CHECK(strstr(error, "SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_OWNS") != NULL);
    char why[160];
    SF_CHECK(intake_owns_valid("370205, civil-affairs *", why, sizeof why));
    SF_CHECK(!intake_owns_valid("3702050010010110011", why, sizeof why));   /* longer than a household */
    SF_CHECK(!intake_owns_valid("-civil", why, sizeof why));
    SF_CHECK(!intake_owns_valid("**", why, sizeof why));
    unsetenv("SIFANG_HANDOFF_INTAKE_CIVIL_AFFAIRS_OWNS");
    unsetenv("SIFANG_HANDOFF_INTAKE_HOUSING_OWNS");
}

int
main(void)
{
    SF_CHECK_EQ_INT(intake_registration_id("SF20260315-0000123"), 123);
    SF_CHECK_EQ_INT(intake_registration_id("SF20260315-12345678"), 12345678);
    SF_CHECK_EQ_INT(intake_registration_id("SF20260315"), 0);
    SF_CHECK_EQ_INT(intake_registration_id("SF20260315-12a"), 0);
    SF_CHECK_EQ_INT(intake_registration_id("SF20260315-"), 0);
    SF_CHECK_EQ_INT(intake_registration_id(NULL), 0);

    char ref[128];
    int64_t case_id = 0;
    int attempt = 0;
    intake_case_ref_format(ref, sizeof ref, "intake@civil-affairs", 42, 3);
    SF_CHECK_EQ_STR(ref, "intake@civil-affairs/42/3");
    SF_CHECK(intake_case_ref_parse(ref, "intake@civil-affairs", &case_id, &attempt));
    SF_CHECK_EQ_INT(case_id, 42);
    SF_CHECK_EQ_INT(attempt, 3);
    SF_CHECK(!intake_case_ref_parse(ref, "intake", &case_id, &attempt));
    SF_CHECK(!intake_case_ref_parse("intake/42", "intake", &case_id, &attempt));
    SF_CHECK(!intake_case_ref_parse("intake/42/1x", "intake", &case_id, &attempt));
    SF_CHECK(!intake_case_ref_parse("intake/-4/1", "intake", &case_id, &attempt));
    SF_CHECK(!intake_case_ref_parse("", "intake", &case_id, &attempt));

    test_station_roles();
    test_handoff_rule();

    return sf_test_done();
}
