/* Settings from the environment: whole numbers, switches, and the shape of
 * a time zone name (the district's calendar). */
#include "sf_config.h"
#include "sf_test.h"
#include <stdlib.h>

int
main(void)
{
    setenv("SIFANG_TEST_NUMBER", "42", 1);
    SF_CHECK_EQ_INT(sf_env_int("SIFANG_TEST_NUMBER", 7), 42);
    setenv("SIFANG_TEST_NUMBER", "4x2", 1);
    SF_CHECK_EQ_INT(sf_env_int("SIFANG_TEST_NUMBER", 7), 7);
    setenv("SIFANG_TEST_NUMBER", "", 1);
    SF_CHECK_EQ_INT(sf_env_int("SIFANG_TEST_NUMBER", 7), 7);
    SF_CHECK_EQ_STR(sf_env("SIFANG_TEST_NUMBER", "fallback"), "fallback");
    unsetenv("SIFANG_TEST_NUMBER");
    SF_CHECK_EQ_INT(sf_env_int("SIFANG_TEST_NUMBER", -3), -3);

    SF_CHECK(sf_zone_name_valid("Asia/Shanghai"));
    SF_CHECK(sf_zone_name_valid("Etc/GMT-14"));
    SF_CHECK(sf_zone_name_valid("America/Port-au-Prince"));
    SF_CHECK(sf_zone_name_valid("+08:00"));
    SF_CHECK(sf_zone_name_valid("UTC"));
    SF_CHECK(!sf_zone_name_valid(""));
    SF_CHECK(!sf_zone_name_valid(NULL));
    SF_CHECK(!sf_zone_name_valid("/etc/localtime"));
    SF_CHECK(!sf_zone_name_valid("../../etc/passwd"));
    SF_CHECK(!sf_zone_name_valid("Asia/../../etc/passwd"));
    SF_CHECK(!sf_zone_name_valid("Asia/Shanghai'; DROP TABLE x"));
    SF_CHECK(!sf_zone_name_valid("Asia Shanghai"));
    SF_CHECK(!sf_zone_name_valid("亚洲/上海"));
    SF_CHECK(sf_zone_name_valid("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));    /* 63 */
    SF_CHECK(!sf_zone_name_valid("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));   /* 64 */
    return sf_test_done();
}
