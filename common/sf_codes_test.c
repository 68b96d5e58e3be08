/* Unit codes, subtree bounds and scope clipping. */
#include "sf_codes.h"
#include "sf_test.h"
#include <string.h>

int
main(void)
{
    SF_CHECK(sf_code_digits("370205"));
    SF_CHECK(!sf_code_digits(""));
    SF_CHECK(!sf_code_digits(NULL));
    SF_CHECK(!sf_code_digits("37a"));
    SF_CHECK(!sf_code_digits("-370205"));
    SF_CHECK(sf_code_of_length("37020500100101", SF_CODE_ZONE_LENGTH));
    SF_CHECK(!sf_code_of_length("3702050010010", SF_CODE_ZONE_LENGTH));
    SF_CHECK(!sf_code_of_length("3702050010010a", SF_CODE_ZONE_LENGTH));

    /* A subtree filter: empty (the district), or digits up to a household. */
    SF_CHECK(sf_code_prefix_valid(""));
    SF_CHECK(sf_code_prefix_valid(NULL));
    SF_CHECK(sf_code_prefix_valid("3"));
    SF_CHECK(sf_code_prefix_valid("370205001001011001"));
    SF_CHECK(!sf_code_prefix_valid("3702050010010110011"));
    SF_CHECK(!sf_code_prefix_valid("370205 "));

    /* A child's code starts with its parent's. */
    SF_CHECK(sf_code_starts_with("370205001", "370205"));
    SF_CHECK(sf_code_starts_with("370205", ""));
    SF_CHECK(sf_code_starts_with("370205", NULL));
    SF_CHECK(!sf_code_starts_with("370206001", "370205"));
    SF_CHECK(!sf_code_starts_with("370205", "370205001"));
    SF_CHECK(!sf_code_starts_with(NULL, "3"));

    /* The subtree as a range: [prefix, upper). */
    char upper[SF_CODE_SIZE];
    sf_code_subtree_upper("370205", upper, sizeof upper);
    SF_CHECK_EQ_STR(upper, "370206");
    sf_code_subtree_upper("3702059", upper, sizeof upper);
    SF_CHECK_EQ_STR(upper, "370205:");
    SF_CHECK(strcmp("370205999999999999", upper) < 0 && strcmp("3702059", upper) < 0);
    sf_code_subtree_upper("", upper, sizeof upper);
    SF_CHECK_EQ_STR(upper, ":");
    char small[4] = "xyz";
    sf_code_subtree_upper("370205", small, sizeof small);
    SF_CHECK_EQ_STR(small, "");

    /* Clipping: the narrower of scope and request, or nothing. */
    const char *prefix = "unset";
    SF_CHECK(sf_code_clip("370205", "370205001", &prefix) && strcmp(prefix, "370205001") == 0);
    SF_CHECK(sf_code_clip("370205001", "370205", &prefix) && strcmp(prefix, "370205001") == 0);
    SF_CHECK(sf_code_clip("370205001", "", &prefix) && strcmp(prefix, "370205001") == 0);
    SF_CHECK(sf_code_clip("", "370205001", &prefix) && strcmp(prefix, "370205001") == 0);
    SF_CHECK(sf_code_clip(NULL, NULL, &prefix) && strcmp(prefix, "") == 0);
    SF_CHECK(sf_code_clip("370205001", "370205001", &prefix) && strcmp(prefix, "370205001") == 0);
    SF_CHECK(!sf_code_clip("370205001", "370205002", &prefix) && prefix == NULL);
    /* Siblings whose codes share digits are still apart. */
    SF_CHECK(!sf_code_clip("37020500101", "37020500102", &prefix) && prefix == NULL);
    /* A unit's ancestor is a prefix of its code, only when it is digits. */
    SF_CHECK_EQ_INT(sf_code_ancestor("370205001002031123", 14), 14);
    SF_CHECK_EQ_INT(sf_code_ancestor("370205001002031123", 18), 18);
    SF_CHECK_EQ_INT(sf_code_ancestor("370205001002", 12), 12);
    SF_CHECK_EQ_INT(sf_code_ancestor("370205001002", 14), 0);    /* a community has no zone */
    SF_CHECK_EQ_INT(sf_code_ancestor("3702050010四方区", 14), 0);  /* a byte cut would break 区 */
    SF_CHECK_EQ_INT(sf_code_ancestor("3702050010四方区", 9), 9);
    SF_CHECK_EQ_INT(sf_code_ancestor("", 0), 0);
    SF_CHECK_EQ_INT(sf_code_ancestor(NULL, 14), 0);
    return sf_test_done();
}
