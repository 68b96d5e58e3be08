/* The unified social credit code (GB 32100-2015). */
#include "sf_ids.h"
#include "sf_test.h"

int
main(void)
{
    /* The standard's own example and codes of registered enterprises. */
    SF_CHECK(sf_credit_code_valid("91350100M000100Y43"));
    SF_CHECK(sf_credit_code_valid("91110000600037341L"));
    SF_CHECK(sf_credit_code_valid("91370200163562681G"));
    SF_CHECK_EQ_INT(sf_credit_code_check_char("91350100M000100Y4"), '3');
    /* A check value of 31 - 0 wraps to '0'. */
    SF_CHECK_EQ_INT(sf_credit_code_check_char("00000000000000000"), '0');
    /* One character changed, the check character wrong, the wrong length,
     * letters the code never uses (I O S V Z), a letter in the division
     * code, lower case. */
    SF_CHECK(!sf_credit_code_valid("91350100M000100Y44"));
    SF_CHECK(!sf_credit_code_valid("91350100M000100Z43"));
    SF_CHECK(!sf_credit_code_valid("91350100M000100Y4"));
    SF_CHECK(!sf_credit_code_valid("91350100M000100Y433"));
    SF_CHECK(!sf_credit_code_valid("9135010OM000100Y43"));
    SF_CHECK(!sf_credit_code_valid("91350100I000100Y43"));
    SF_CHECK(!sf_credit_code_valid("91350100S000100Y43"));
    SF_CHECK(!sf_credit_code_valid("91350100V000100Y43"));
    SF_CHECK(!sf_credit_code_valid("913A0100M000100Y43"));
    SF_CHECK(!sf_credit_code_valid("91350100m000100Y43"));
    /* Of the 18 capitals and digits alone (no checksum): refused. */
    SF_CHECK(!sf_credit_code_valid("91370200MA3C123456"));
    SF_CHECK(!sf_credit_code_valid(""));
    SF_CHECK(!sf_credit_code_valid(NULL));
    SF_CHECK_EQ_INT(sf_credit_code_check_char("9135010OM000100Y4"), 0);
    /* Every body gets a check character that makes it valid. */
    char code[19] = "9137020500000000X0";
    for (int i = 0; i < 1000; i++) {
        code[8 + i % 9] = "0123456789ABCDEFGHJKLMNPQRTUWXY"[i % 31];
        code[17] = sf_credit_code_check_char(code);
        SF_CHECK(sf_credit_code_valid(code));
    }
    return sf_test_done();
}
