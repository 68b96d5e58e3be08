/* Typed statement parameters: SF_PARAMS gives the same list as the calls
 * one value at a time, each value in the form its C type says. */
#include "sf_params.h"
#include "sf_test.h"
#include <stdint.h>
#include <string.h>

typedef enum { COLOUR_RED = 1, COLOUR_GREEN = 7 } colour_t;

static void
check_same(const sf_params_t *got, const sf_params_t *want)
{
    SF_CHECK_EQ_INT(got->count, want->count);
    for (int i = 0; i < want->count && i < got->count; i++) {
        if (!want->values[i])
            SF_CHECK(got->values[i] == NULL);
        else
            SF_CHECK_EQ_STR(got->values[i], want->values[i]);
        SF_CHECK_EQ_INT(got->lengths[i], want->lengths[i]);
        SF_CHECK_EQ_INT(got->formats[i], want->formats[i]);
    }
}

int
main(void)
{
    const char *code = "370202001";
    char date[11] = "2026-03-01";
    int32_t small = -42;
    int64_t large = INT64_C(9007199254740993);
    colour_t colour = COLOUR_GREEN;
    double share = 0.1;
    bool flag = true;
    int protobuf_boolean = 1;      /* protobuf_c_boolean is an int */

    sf_params_t want;
    sf_params_init(&want);
    sf_params_text(&want, code);
    sf_params_text(&want, date);
    sf_params_int(&want, small);
    sf_params_int(&want, large);
    sf_params_int(&want, colour);
    sf_params_double(&want, share);
    sf_params_bool(&want, flag);
    sf_params_int(&want, protobuf_boolean);
    sf_params_text(&want, NULL);
    sf_params_text_or_null(&want, "");
    sf_params_text_or_null(&want, "note");
    check_same(SF_PARAMS(code, date, small, large, colour, share, flag, protobuf_boolean, (const char *) NULL,
                         sf_param_text_or_null(""), sf_param_text_or_null("note")),
               &want);

    /* The values as the server gets them. C11's true and false are the
     * ints 1 and 0 (stdbool.h), so a literal goes as a number unless named. */
    const sf_params_t *one = SF_PARAMS(large, share, sf_param_bool(false), COLOUR_RED, true);
    SF_CHECK_EQ_STR(one->values[0], "9007199254740993");
    SF_CHECK_EQ_STR(one->values[1], "0.10000000000000001");
    SF_CHECK_EQ_STR(one->values[2], "false");
    SF_CHECK_EQ_STR(one->values[3], "1");
    SF_CHECK_EQ_STR(one->values[4], "1");

    /* Appending after values already held numbers on from them. */
    sf_params_t list;
    sf_params_init(&list);
    sf_params_text(&list, "a");
    sf_param_t more[] = { sf_param_int(5), sf_param_text("b") };
    SF_CHECK(sf_params_append(&list, more, 2) == &list);
    SF_CHECK_EQ_INT(list.count, 3);
    SF_CHECK_EQ_STR(list.values[1], "5");
    SF_CHECK_EQ_STR(list.values[2], "b");

    /* Values added after a branch go on from those the list holds. */
    sf_params_t *grown = SF_PARAMS(code);
    if (small < 0)
        sf_params_null(grown);
    SF_PARAMS_ADD(grown, share, sf_param_text_or_null(""), colour);
    SF_CHECK_EQ_INT(grown->count, 5);
    SF_CHECK(grown->values[1] == NULL);
    SF_CHECK_EQ_STR(grown->values[2], "0.10000000000000001");
    SF_CHECK(grown->values[3] == NULL);
    SF_CHECK_EQ_STR(grown->values[4], "7");

    /* The most a statement takes. */
    const sf_params_t *full = SF_PARAMS(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32);
    SF_CHECK_EQ_INT(full->count, 32);
    SF_CHECK_EQ_STR(full->values[31], "32");
    return sf_test_done();
}
