/* The suite's identifiers: the unified social credit code (GB 32100-2015),
 * identity numbers (GB 11643-1999), phones and serial ids. */
#include "sf_ids.h"
#include "sf_dates.h"
#include "sf_test.h"
#include <stdio.h>
#include <string.h>

static void
test_id_numbers(void)
{
    /* The standard's own example, and numbers checked independently. */
    SF_CHECK_EQ_INT(sf_id_number_check_char("11010519491231002"), 'X');
    SF_CHECK_EQ_INT(sf_id_number_check_char("44052418800101001"), '4');
    SF_CHECK_EQ_INT(sf_id_number_check_char("37020519900307123"), '2');
    SF_CHECK_EQ_INT(sf_id_number_check_char("37020520000229456"), '0');

    char out[SF_ID_NUMBER_SIZE];
    SF_CHECK(sf_id_number_normalise("11010519491231002X", out) && strcmp(out, "11010519491231002X") == 0);
    /* A lower-case x is the same number: lookups must hash it the same. */
    SF_CHECK(sf_id_number_normalise("11010519491231002x", out) && strcmp(out, "11010519491231002X") == 0);
    SF_CHECK(sf_id_number_normalise("370205199003071232", out) && strcmp(out, "370205199003071232") == 0);
    SF_CHECK(sf_id_number_normalise("370205200002294560", out));      /* 29 Feb 2000 */
    SF_CHECK(!sf_id_number_normalise("370205199003071233", out) && out[0] == 0);   /* wrong check */
    SF_CHECK(!sf_id_number_normalise("11010519491231002Y", out));
    SF_CHECK(!sf_id_number_normalise("1101051949123100X2", out));
    SF_CHECK(!sf_id_number_normalise("11010519491231002", out));      /* 17 */
    SF_CHECK(!sf_id_number_normalise("11010519491231002XX", out));    /* 19 */
    SF_CHECK(!sf_id_number_normalise("", out) && out[0] == 0);
    SF_CHECK(!sf_id_number_normalise(NULL, out));
    SF_CHECK(!sf_id_number_normalise("440524188001010014", out));     /* born 1880 */
    /* Check characters computed for impossible dates: the date is checked
     * (31 February, 29 February 1900 and 2100, born after tomorrow). */
    const char *bodies[] = { "37020519990231001", "37020519000229001", "37020521000229001", "37020520990101001" };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        char number[SF_ID_NUMBER_SIZE];
        snprintf(number, sizeof number, "%s", bodies[i]);
        number[17] = sf_id_number_check_char(number);
        number[18] = 0;
        SF_CHECK(!sf_id_number_normalise(number, out));
    }
    /* Born today and tomorrow in the district's calendar: taken (a day of
     * slack); the day after: refused. */
    for (int ahead = 0; ahead <= 2; ahead++) {
        char date[11], number[SF_ID_NUMBER_SIZE];
        sf_date_format(sf_today() + ahead, date);
        snprintf(number, sizeof number, "370205%.4s%.2s%.2s001", date, date + 5, date + 8);
        number[17] = sf_id_number_check_char(number);
        number[18] = 0;
        SF_CHECK(sf_id_number_normalise(number, out) == (ahead <= 1));
    }

    char masked[SF_ID_NUMBER_SIZE];
    sf_id_number_mask("370205199003071232", masked);
    SF_CHECK_EQ_STR(masked, "370205********1232");
    sf_id_number_mask("11010519491231002X", masked);
    SF_CHECK_EQ_STR(masked, "110105********002X");
    char date[11];
    sf_id_number_birth_date("370205199003071232", date);
    SF_CHECK_EQ_STR(date, "1990-03-07");
    SF_CHECK(sf_id_number_male("370205199003071232"));    /* 17th digit 3 */
    SF_CHECK(!sf_id_number_male("11010519491231002X"));   /* 17th digit 2 */
}

static void
test_phones(void)
{
    /* Mobiles: 1, then 3-9, then 9 digits. */
    SF_CHECK(sf_phone_valid("13812345678"));
    SF_CHECK(sf_phone_valid("19912345678"));
    SF_CHECK(sf_phone_mobile("13812345678"));
    SF_CHECK(!sf_phone_valid("12345678901"));       /* no mobile network starts 12 */
    SF_CHECK(!sf_phone_valid("10086123456"));
    SF_CHECK(!sf_phone_valid("1381234567"));        /* a digit short */
    SF_CHECK(!sf_phone_valid("138123456789"));
    SF_CHECK(!sf_phone_valid("1381234567a"));
    SF_CHECK(!sf_phone_valid("138-1234-5678"));
    SF_CHECK(!sf_phone_valid("+8613812345678"));
    /* Landlines with their area code: 0 and 2 or 3 digits, 7 or 8 more,
     * a dash between or not, an extension after a dash. */
    SF_CHECK(sf_phone_valid("0532-88881234"));
    SF_CHECK(sf_phone_valid("053288881234"));
    SF_CHECK(sf_phone_valid("010-12345678"));
    SF_CHECK(sf_phone_valid("01012345678"));
    SF_CHECK(sf_phone_valid("0543-1234567"));
    SF_CHECK(sf_phone_valid("0532-88881234-801"));
    SF_CHECK(sf_phone_valid("010-12345678-123456"));
    SF_CHECK(!sf_phone_mobile("0532-88881234"));
    /* Without an area code, or not one. */
    SF_CHECK(!sf_phone_valid("88881234"));
    SF_CHECK(!sf_phone_valid("1234567"));           /* intake took this as a landline */
    SF_CHECK(!sf_phone_valid("5320-88881234"));
    SF_CHECK(!sf_phone_valid("05-88881234"));
    SF_CHECK(!sf_phone_valid("05321-88881234"));
    SF_CHECK(!sf_phone_valid("0532-888812"));       /* local number too short */
    SF_CHECK(!sf_phone_valid("0532-888812345"));    /* too long */
    SF_CHECK(!sf_phone_valid("0532-8888-1234"));
    SF_CHECK(!sf_phone_valid("0532--88881234"));
    SF_CHECK(!sf_phone_valid("0532-88881234-"));
    SF_CHECK(!sf_phone_valid("0532-88881234-1234567"));
    SF_CHECK(!sf_phone_valid("0532-88881234-80-1"));
    SF_CHECK(!sf_phone_valid("-053288881234"));
    SF_CHECK(!sf_phone_valid("0532 88881234"));
    SF_CHECK(!sf_phone_valid("0"));
    SF_CHECK(!sf_phone_valid("053"));
    SF_CHECK(!sf_phone_valid(""));
    SF_CHECK(!sf_phone_valid(NULL));

    char masked[SF_PHONE_SIZE];
    sf_phone_mask("13812345678", masked, sizeof masked);
    SF_CHECK_EQ_STR(masked, "138****5678");
    sf_phone_mask("0532-88881234", masked, sizeof masked);
    SF_CHECK_EQ_STR(masked, "0532-****1234");
    sf_phone_mask("053288881234", masked, sizeof masked);
    SF_CHECK_EQ_STR(masked, "********1234");
    sf_phone_mask("0532-88881234-801", masked, sizeof masked);
    SF_CHECK_EQ_STR(masked, "0532-*******4-801");
    /* Stored before the rule: a number without its area code keeps its
     * last 4 digits, a short one none. */
    sf_phone_mask("88881234", masked, sizeof masked);
    SF_CHECK_EQ_STR(masked, "****1234");
    sf_phone_mask("12-3456", masked, sizeof masked);
    SF_CHECK_EQ_STR(masked, "**-****");
    sf_phone_mask("", masked, sizeof masked);
    SF_CHECK_EQ_STR(masked, "");
    sf_phone_mask(NULL, masked, sizeof masked);
    SF_CHECK_EQ_STR(masked, "");
    /* A mask masked again (a reply's, then its event's) is the same. */
    const char *phones[] = { "13812345678", "0532-88881234", "053288881234", "0532-88881234-801", "88881234",
                             "12-3456", "12345678901" };
    for (size_t i = 0; i < sizeof phones / sizeof *phones; i++) {
        char again[SF_PHONE_SIZE];
        sf_phone_mask(phones[i], masked, sizeof masked);
        sf_phone_mask(masked, again, sizeof again);
        SF_CHECK_EQ_STR(again, masked);
    }
    sf_phone_mask("12345678901", masked, sizeof masked);   /* stored before the rule */
    SF_CHECK_EQ_STR(masked, "123****8901");
    char small[8] = "xxxxxxx";
    sf_phone_mask("13812345678", small, sizeof small);   /* does not fit: nothing shown */
    SF_CHECK_EQ_STR(small, "");
}

static void
test_serial_ids(void)
{
    int64_t serial = -1;
    SF_CHECK(sf_serial_id_parse("R0000123", 'R', &serial) && serial == 123);
    SF_CHECK(sf_serial_id_parse("S00042", 'S', &serial) && serial == 42);
    SF_CHECK(sf_serial_id_parse("V1", 'V', &serial) && serial == 1);
    SF_CHECK(sf_serial_id_parse("R999999999999999999", 'R', &serial) && serial == 999999999999999999LL);
    serial = -1;
    SF_CHECK(!sf_serial_id_parse("S00042", 'R', &serial) && serial == -1);
    SF_CHECK(!sf_serial_id_parse("R", 'R', &serial));
    SF_CHECK(!sf_serial_id_parse("R0000000", 'R', &serial));
    SF_CHECK(!sf_serial_id_parse("R12a", 'R', &serial));
    SF_CHECK(!sf_serial_id_parse("R-12", 'R', &serial));
    SF_CHECK(!sf_serial_id_parse("R1234567890123456789", 'R', &serial));
    SF_CHECK(!sf_serial_id_parse("", 'R', &serial));
    SF_CHECK(!sf_serial_id_parse(NULL, 'R', &serial));
    char id[32];
    sf_serial_id_format('T', 6, 123456, id, sizeof id);
    SF_CHECK_EQ_STR(id, "T123456");
    sf_serial_id_format('R', 7, 123, id, sizeof id);
    SF_CHECK_EQ_STR(id, "R0000123");
    SF_CHECK(sf_serial_id_parse(id, 'R', &serial) && serial == 123);
}

int
main(void)
{
    test_id_numbers();
    test_phones();
    test_serial_ids();
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

    /* Personal data masked: by characters, never inside one; idempotent. */
    char mask[SF_MASK_SIZE];
    sf_name_mask("张三丰", mask, sizeof mask);
    SF_CHECK_EQ_STR(mask, "张**");
    char twice[SF_MASK_SIZE];
    sf_name_mask(mask, twice, sizeof twice);
    SF_CHECK_EQ_STR(twice, "张**");
    sf_name_mask("Li Lei", mask, sizeof mask);
    SF_CHECK_EQ_STR(mask, "L*****");
    sf_name_mask("", mask, sizeof mask);
    SF_CHECK_EQ_STR(mask, "");
    char tiny[3];
    sf_name_mask("张三", tiny, sizeof tiny);   /* 张 is 3 bytes: it does not fit whole */
    SF_CHECK_EQ_STR(tiny, "");
    sf_birth_date_mask("1980-07-15", mask, sizeof mask);
    SF_CHECK_EQ_STR(mask, "1980-**-**");
    sf_birth_date_mask(mask, twice, sizeof twice);
    SF_CHECK_EQ_STR(twice, "1980-**-**");
    sf_address_mask("山东省青岛市四方区海岸路18号3单元502", mask, sizeof mask);
    SF_CHECK_EQ_STR(mask, "山东省青岛市****");
    char again[SF_MASK_SIZE];
    sf_address_mask(mask, again, sizeof again);
    SF_CHECK_EQ_STR(again, "山东省青岛市****");
    sf_address_mask("海岸路18号", mask, sizeof mask);   /* six characters: none shown */
    SF_CHECK_EQ_STR(mask, "****");
    return sf_test_done();
}
