/* Unit tests of volunteer's pure rules: codes and scopes, ids, dates,
 * hours, availability windows, skill codes, national numbers and text. */
#include "volunteer_rules.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures, checks;

#define CHECK(cond) do { checks++; if (!(cond)) { failures++; \
    printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)

int
main(void)
{
    /* Codes and scopes. */
    CHECK(volunteer_code_of_length("370205001001", 12));
    CHECK(!volunteer_code_of_length("37020500100", 12));
    CHECK(!volunteer_code_of_length("37020500100a", 12));
    CHECK(volunteer_code_prefix_valid(""));
    CHECK(volunteer_code_prefix_valid("370205001001011001"));
    CHECK(!volunteer_code_prefix_valid("3702050010010110011"));
    CHECK(!volunteer_code_prefix_valid("37-205"));
    const char *prefix = NULL;
    CHECK(volunteer_code_clip("370205001", "", &prefix) && strcmp(prefix, "370205001") == 0);
    CHECK(volunteer_code_clip("370205001", "370205001002", &prefix) && strcmp(prefix, "370205001002") == 0);
    CHECK(volunteer_code_clip("", "370205002", &prefix) && strcmp(prefix, "370205002") == 0);
    CHECK(!volunteer_code_clip("370205001", "370205002", &prefix) && prefix == NULL);

    /* Ids. */
    int64_t serial = 0;
    CHECK(volunteer_id_parse("V000123", 'V', &serial) && serial == 123);
    CHECK(!volunteer_id_parse("T000123", 'V', &serial));
    CHECK(!volunteer_id_parse("V", 'V', &serial));
    CHECK(!volunteer_id_parse("V000000", 'V', &serial));
    CHECK(!volunteer_id_parse("V12x", 'V', &serial));
    CHECK(!volunteer_id_parse("V1234567890123456789", 'V', &serial));
    char id[32];
    volunteer_id_format('D', 8, 42, id, sizeof id);
    CHECK(strcmp(id, "D00000042") == 0);
    volunteer_id_format('T', 4, 123456, id, sizeof id);
    CHECK(strcmp(id, "T123456") == 0 && volunteer_id_parse(id, 'T', &serial) && serial == 123456);

    /* Dates. */
    CHECK(volunteer_date_valid("2024-02-29"));
    CHECK(!volunteer_date_valid("2023-02-29"));
    CHECK(!volunteer_date_valid("1900-02-29"));
    CHECK(volunteer_date_valid("2000-02-29"));
    CHECK(!volunteer_date_valid("2024-13-01"));
    CHECK(!volunteer_date_valid("2024-04-31"));
    CHECK(!volunteer_date_valid("2024-4-30"));
    CHECK(!volunteer_date_valid("24-04-30"));
    CHECK(!volunteer_date_valid(""));

    /* Hours: positive, at most 24 in quarter hours. */
    CHECK(volunteer_hours_valid(0.25));
    CHECK(volunteer_hours_valid(24));
    CHECK(volunteer_hours_valid(7.5));
    CHECK(!volunteer_hours_valid(0));
    CHECK(!volunteer_hours_valid(-1));
    CHECK(!volunteer_hours_valid(24.25));
    CHECK(!volunteer_hours_valid(1.1));
    CHECK(!volunteer_hours_valid(NAN));
    CHECK(volunteer_hours_round(2.5000001) == 2.5);

    /* Availability windows. */
    CHECK(volunteer_window_valid(0, 0, 1440));
    CHECK(volunteer_window_valid(7, 480, 720));
    CHECK(!volunteer_window_valid(8, 480, 720));
    CHECK(!volunteer_window_valid(1, 720, 720));
    CHECK(!volunteer_window_valid(1, 720, 1441));
    CHECK(!volunteer_window_valid(-1, 0, 10));

    /* Skill codes, national numbers, credit codes. */
    CHECK(volunteer_skill_code_valid("elderly_care"));
    CHECK(!volunteer_skill_code_valid("Elderly"));
    CHECK(!volunteer_skill_code_valid(""));
    CHECK(!volunteer_skill_code_valid("a23456789012345678901234567890123"));
    CHECK(volunteer_national_number_valid("QD-2012-000123"));
    CHECK(!volunteer_national_number_valid("QD 2012"));
    CHECK(!volunteer_national_number_valid(""));
    CHECK(volunteer_credit_code_valid("91370200MA3C123456"));
    CHECK(!volunteer_credit_code_valid("91370200ma3c123456"));

    /* Text. */

    printf("volunteer_rules_test: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
