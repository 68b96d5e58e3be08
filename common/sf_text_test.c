/* The text rules every service applies to what people type. */
#include "sf_text.h"
#include "sf_test.h"
#include <stdint.h>
#include <stdio.h>
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

    /* Cuts fall on character boundaries: 四 is 3 bytes, 😀 is 4. */
    SF_CHECK_EQ_INT(sf_utf8_prefix("四方区", 9), 9);
    SF_CHECK_EQ_INT(sf_utf8_prefix("四方区", 100), 9);
    SF_CHECK_EQ_INT(sf_utf8_prefix("四方区", 8), 6);
    SF_CHECK_EQ_INT(sf_utf8_prefix("四方区", 7), 6);
    SF_CHECK_EQ_INT(sf_utf8_prefix("四方区", 6), 6);
    SF_CHECK_EQ_INT(sf_utf8_prefix("四方区", 2), 0);
    SF_CHECK_EQ_INT(sf_utf8_prefix("a😀b", 4), 1);
    SF_CHECK_EQ_INT(sf_utf8_prefix("a😀b", 5), 5);
    SF_CHECK_EQ_INT(sf_utf8_prefix("ab", 0), 0);
    SF_CHECK_EQ_INT(sf_utf8_prefix(NULL, 5), 0);
    SF_CHECK_EQ_INT(sf_utf8_prefix("abc", SIZE_MAX), 3);
    /* Invalid input is cut too, never past max_bytes: stray continuations,
     * a lead byte without its continuations, a lone 0xff. */
    SF_CHECK_EQ_INT(sf_utf8_prefix("\x80\x80\x80\x80", 3), 3);
    SF_CHECK_EQ_INT(sf_utf8_prefix("\xe4\xbaX\xe4\xba", 4), 4);
    SF_CHECK_EQ_INT(sf_utf8_prefix("\xff\xff\xff", 2), 2);
    SF_CHECK_EQ_INT(sf_utf8_prefix("ab\xe4\xba\x8c", 4), 2);   /* a whole 二 after ab, cut before it */
    /* Every cut of a valid text is valid, and as long as it can be. */
    const char *mixed = "人民路 1 号😀é北";
    for (size_t max = 0; max <= strlen(mixed) + 1; max++) {
        size_t prefix = sf_utf8_prefix(mixed, max);
        char cut[64];
        snprintf(cut, sizeof cut, "%s", mixed);
        SF_CHECK_EQ_INT(strlen(sf_utf8_cut(cut, max)), prefix);
        SF_CHECK(prefix <= max);
        SF_CHECK(sf_text_utf8_valid(cut));
        SF_CHECK(prefix == strlen(mixed) || max - prefix < 4);
    }

    /* A format that does not fit is cut on a boundary and says so. */
    char small[10];
    SF_CHECK_EQ_INT(sf_text_format(small, sizeof small, "%s", "四方区"), 9);
    SF_CHECK_EQ_STR(small, "四方区");
    SF_CHECK_EQ_INT(sf_text_format(small, sizeof small, "%s!", "四方区"), 10);
    SF_CHECK_EQ_STR(small, "四方…");
    SF_CHECK_EQ_INT(sf_text_format(small, sizeof small, "ab%s", "四方区"), 11);
    SF_CHECK_EQ_STR(small, "ab四…");          /* 2 + 3 + 3 bytes */
    char tiny[4];
    SF_CHECK_EQ_INT(sf_text_format(tiny, sizeof tiny, "%s", "四方"), 6);
    SF_CHECK_EQ_STR(tiny, "四");               /* no room for … beside text */
    SF_CHECK_EQ_INT(sf_text_format(tiny, sizeof tiny, "a%s", "😀"), 5);
    SF_CHECK_EQ_STR(tiny, "a");                /* the cut 😀 is dropped whole */
    char two[3];
    sf_text_format(two, sizeof two, "%s", "四方");
    SF_CHECK_EQ_STR(two, "");
    SF_CHECK_EQ_INT(sf_text_format(NULL, 0, "%s", "四方"), 6);
    char reason[600];
    memset(reason, 'x', sizeof reason);
    reason[0] = 'a';
    for (size_t i = 1; i + 3 < sizeof reason; i += 3)
        memcpy(reason + i, "区", 3);
    reason[sizeof reason - 1] = '\0';
    char message[512];
    sf_text_format(message, sizeof message, "%s", reason);
    SF_CHECK(sf_text_utf8_valid(message));
    SF_CHECK(strlen(message) <= sizeof message - 1);

    /* A cut by characters: 四 is 3 bytes, 😀 4, é 2. */
    SF_CHECK_EQ_INT(sf_utf8_prefix_chars("四方区", 2), 6);
    SF_CHECK_EQ_INT(sf_utf8_prefix_chars("四方区", 3), 9);
    SF_CHECK_EQ_INT(sf_utf8_prefix_chars("四方区", 500), 9);
    SF_CHECK_EQ_INT(sf_utf8_prefix_chars("a😀é北", 3), 7);
    SF_CHECK_EQ_INT(sf_utf8_prefix_chars("abc", 0), 0);
    SF_CHECK_EQ_INT(sf_utf8_prefix_chars("", 3), 0);
    SF_CHECK_EQ_INT(sf_utf8_prefix_chars(NULL, 3), 0);
    /* Invalid bytes are a character each, and a sequence the end
     * interrupts never reads past the terminating zero. */
    SF_CHECK_EQ_INT(sf_utf8_prefix_chars("\x80\x80\x80", 2), 2);
    SF_CHECK_EQ_INT(sf_utf8_prefix_chars("a\xe4\xba", 5), 3);
    SF_CHECK_EQ_INT(sf_utf8_prefix_chars("\xe4\xbaX", 2), 2);
    /* Every cut of a valid text is valid and holds as many characters as
     * asked, or all of them. */
    for (size_t max = 0; max <= sf_text_length(mixed) + 1; max++) {
        size_t prefix = sf_utf8_prefix_chars(mixed, max);
        char cut[64];
        snprintf(cut, sizeof cut, "%.*s", (int) prefix, mixed);
        SF_CHECK(sf_text_utf8_valid(cut));
        SF_CHECK_EQ_INT(sf_text_length(cut), max < sf_text_length(mixed) ? max : sf_text_length(mixed));
    }

    return sf_test_done();
}
