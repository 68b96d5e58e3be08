/* The text rules every service applies to what people type. */
#include "sf_text.h"
#include "sf_test.h"
#include <string.h>

int
main(void)
{
    SF_CHECK_EQ_INT(sf_text_length("四方区"), 3);
    SF_CHECK_EQ_INT(sf_text_length("四方区abc"), 6);
    SF_CHECK_EQ_INT(sf_text_length(""), 0);
    SF_CHECK_EQ_INT(sf_text_length(NULL), 0);

    SF_CHECK(sf_text_blank(NULL));
    SF_CHECK(sf_text_blank(""));
    SF_CHECK(sf_text_blank(" \t\r\n"));
    SF_CHECK(!sf_text_blank(" 四 "));

    SF_CHECK(sf_text_utf8_valid("人民路 1 号"));
    SF_CHECK(sf_text_utf8_valid("😀"));                 /* four bytes */
    SF_CHECK(!sf_text_utf8_valid("\xe4\xba"));          /* cut short */
    SF_CHECK(!sf_text_utf8_valid("\xc0\xaf"));          /* overlong "/" */
    SF_CHECK(!sf_text_utf8_valid("\xed\xa0\x80"));      /* a surrogate */
    SF_CHECK(!sf_text_utf8_valid("\xf4\x90\x80\x80"));  /* past U+10FFFF */
    SF_CHECK(!sf_text_utf8_valid("a\x80"));             /* a stray continuation */

    SF_CHECK(sf_text_has_control("a\nb", false));
    SF_CHECK(!sf_text_has_control("a\r\n\tb", true));
    SF_CHECK(sf_text_has_control("a\x1b[31mb", true));  /* an escape stays out of notes too */
    SF_CHECK(sf_text_has_control("a\x7f", true));
    SF_CHECK(!sf_text_has_control("365 party member studio", false));

    char buffer[64];
    SF_CHECK(sf_text_problem("王芳", 10, true, false, buffer, sizeof buffer) == NULL);
    SF_CHECK(sf_text_problem(NULL, 10, false, false, buffer, sizeof buffer) == NULL);
    SF_CHECK_EQ_STR(sf_text_problem("  ", 10, true, false, buffer, sizeof buffer), "is required");
    SF_CHECK_EQ_STR(sf_text_problem("\xff", 10, false, false, buffer, sizeof buffer), "must be valid UTF-8");
    SF_CHECK_EQ_STR(sf_text_problem("四方区", 2, false, false, buffer, sizeof buffer), "must be at most 2 characters");
    SF_CHECK(sf_text_problem("四方区", 3, false, false, buffer, sizeof buffer) == NULL);   /* characters, not bytes */
    SF_CHECK_EQ_STR(sf_text_problem("a\nb", 10, false, false, buffer, sizeof buffer),
                    "must be one line without control characters");
    SF_CHECK(sf_text_problem("a\nb", 10, false, true, buffer, sizeof buffer) == NULL);
    SF_CHECK_EQ_STR(sf_text_problem("a\x01", 10, false, true, buffer, sizeof buffer),
                    "must not hold control characters");
    return sf_test_done();
}
