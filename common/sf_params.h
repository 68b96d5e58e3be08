/* A statement's parameters written where the statement is, from typed values:
 * sf_call_query(call, "... WHERE code = $1 AND version = $2",
 * SF_PARAMS(ask->code, ask->version)) instead of a list declared, started and
 * filled one call a value before it. */
#ifndef SF_PARAMS_H
#define SF_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sf_db.h"

/* One value and how it goes to the server; made by SF_PARAM (by the C type)
 * or by the constructors below where the type does not say it. */
typedef enum {
    SF_PARAM_TEXT,     /* text; NULL is SQL NULL */
    SF_PARAM_INT,      /* a whole number, in decimal */
    SF_PARAM_DOUBLE,   /* a number in "%.17g": it reads back the same */
    SF_PARAM_BOOL      /* "true" or "false" */
} sf_param_kind_t;

typedef struct {
    sf_param_kind_t kind;
    union {
        const char *text;
        int64_t integer;
        double real;
        bool truth;
    } value;
} sf_param_t;

sf_param_t sf_param_text(const char *value);
/* Text where "" means none: the optional text fields of a proto3 message,
 * which cannot tell absent from empty. */
sf_param_t sf_param_text_or_null(const char *value);
sf_param_t sf_param_int(int64_t value);
sf_param_t sf_param_double(double value);
sf_param_t sf_param_bool(bool value);
sf_param_t sf_param_same(sf_param_t param);

/* A value as its C type says: strings (and char arrays) as text, floating
 * point as a double, bool as a boolean, any other integer or enum as an
 * integer (a protobuf_c_boolean is an int, and so are C11's literals true
 * and false: PostgreSQL reads "1" and "0" as booleans too, and
 * sf_param_bool says it where the statement wants words); an sf_param_t
 * as it is. A pointer of another type
 * does not build. */
#define SF_PARAM(x) _Generic((x),                                       \
        char *: sf_param_text, const char *: sf_param_text,             \
        double: sf_param_double, float: sf_param_double,                \
        bool: sf_param_bool, sf_param_t: sf_param_same,                 \
        default: sf_param_int)(x)

/* Appends n values to params in order, after those it holds. More than
 * SF_DB_MAX_PARAMS in all is a bug in our code (SF_ASSERT). Returns params. */
sf_params_t *sf_params_append(sf_params_t *params, const sf_param_t *values, size_t n);

/* The parameters $1, $2 ... of one statement (1 to 32 values), as a pointer
 * to a list that lives until the end of the enclosing block: pass it to
 * the statement at once. Texts are not copied and must outlive the
 * statement, as with sf_params_text. */
#define SF_PARAMS(...)                                                          \
    sf_params_append(&(sf_params_t) { .count = 0 },                             \
                     (const sf_param_t[]) { SF__PARAM_MAP(__VA_ARGS__) },       \
                     sizeof((const sf_param_t[]) { SF__PARAM_MAP(__VA_ARGS__) }) / sizeof(sf_param_t))

/* Appends values to a list made before (by SF_PARAMS or sf_params_init),
 * as SF_PARAMS makes one: for the values after a branch that chose one
 * before them. The values are evaluated together, in no set order. */
#define SF_PARAMS_ADD(params, ...)                                              \
    sf_params_append((params), (const sf_param_t[]) { SF__PARAM_MAP(__VA_ARGS__) }, \
                     sizeof((const sf_param_t[]) { SF__PARAM_MAP(__VA_ARGS__) }) / sizeof(sf_param_t))

/* Below: SF__PARAM_MAP(a, b, ...) is SF_PARAM(a), SF_PARAM(b), ... */
#define SF__PARAM_ARGC(...) SF__PARAM_ARGC_(__VA_ARGS__, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
#define SF__PARAM_ARGC_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, n, ...) n
#define SF__PARAM_CAT(a, b) SF__PARAM_CAT_(a, b)
#define SF__PARAM_CAT_(a, b) a##b
#define SF__PARAM_MAP(...) SF__PARAM_CAT(SF__PARAM_MAP_, SF__PARAM_ARGC(__VA_ARGS__))(__VA_ARGS__)
#define SF__PARAM_MAP_1(a) SF_PARAM(a)
#define SF__PARAM_MAP_2(a, ...) SF_PARAM(a), SF__PARAM_MAP_1(__VA_ARGS__)
#define SF__PARAM_MAP_3(a, ...) SF_PARAM(a), SF__PARAM_MAP_2(__VA_ARGS__)
#define SF__PARAM_MAP_4(a, ...) SF_PARAM(a), SF__PARAM_MAP_3(__VA_ARGS__)
#define SF__PARAM_MAP_5(a, ...) SF_PARAM(a), SF__PARAM_MAP_4(__VA_ARGS__)
#define SF__PARAM_MAP_6(a, ...) SF_PARAM(a), SF__PARAM_MAP_5(__VA_ARGS__)
#define SF__PARAM_MAP_7(a, ...) SF_PARAM(a), SF__PARAM_MAP_6(__VA_ARGS__)
#define SF__PARAM_MAP_8(a, ...) SF_PARAM(a), SF__PARAM_MAP_7(__VA_ARGS__)
#define SF__PARAM_MAP_9(a, ...) SF_PARAM(a), SF__PARAM_MAP_8(__VA_ARGS__)
#define SF__PARAM_MAP_10(a, ...) SF_PARAM(a), SF__PARAM_MAP_9(__VA_ARGS__)
#define SF__PARAM_MAP_11(a, ...) SF_PARAM(a), SF__PARAM_MAP_10(__VA_ARGS__)
#define SF__PARAM_MAP_12(a, ...) SF_PARAM(a), SF__PARAM_MAP_11(__VA_ARGS__)
#define SF__PARAM_MAP_13(a, ...) SF_PARAM(a), SF__PARAM_MAP_12(__VA_ARGS__)
#define SF__PARAM_MAP_14(a, ...) SF_PARAM(a), SF__PARAM_MAP_13(__VA_ARGS__)
#define SF__PARAM_MAP_15(a, ...) SF_PARAM(a), SF__PARAM_MAP_14(__VA_ARGS__)
#define SF__PARAM_MAP_16(a, ...) SF_PARAM(a), SF__PARAM_MAP_15(__VA_ARGS__)
#define SF__PARAM_MAP_17(a, ...) SF_PARAM(a), SF__PARAM_MAP_16(__VA_ARGS__)
#define SF__PARAM_MAP_18(a, ...) SF_PARAM(a), SF__PARAM_MAP_17(__VA_ARGS__)
#define SF__PARAM_MAP_19(a, ...) SF_PARAM(a), SF__PARAM_MAP_18(__VA_ARGS__)
#define SF__PARAM_MAP_20(a, ...) SF_PARAM(a), SF__PARAM_MAP_19(__VA_ARGS__)
#define SF__PARAM_MAP_21(a, ...) SF_PARAM(a), SF__PARAM_MAP_20(__VA_ARGS__)
#define SF__PARAM_MAP_22(a, ...) SF_PARAM(a), SF__PARAM_MAP_21(__VA_ARGS__)
#define SF__PARAM_MAP_23(a, ...) SF_PARAM(a), SF__PARAM_MAP_22(__VA_ARGS__)
#define SF__PARAM_MAP_24(a, ...) SF_PARAM(a), SF__PARAM_MAP_23(__VA_ARGS__)
#define SF__PARAM_MAP_25(a, ...) SF_PARAM(a), SF__PARAM_MAP_24(__VA_ARGS__)
#define SF__PARAM_MAP_26(a, ...) SF_PARAM(a), SF__PARAM_MAP_25(__VA_ARGS__)
#define SF__PARAM_MAP_27(a, ...) SF_PARAM(a), SF__PARAM_MAP_26(__VA_ARGS__)
#define SF__PARAM_MAP_28(a, ...) SF_PARAM(a), SF__PARAM_MAP_27(__VA_ARGS__)
#define SF__PARAM_MAP_29(a, ...) SF_PARAM(a), SF__PARAM_MAP_28(__VA_ARGS__)
#define SF__PARAM_MAP_30(a, ...) SF_PARAM(a), SF__PARAM_MAP_29(__VA_ARGS__)
#define SF__PARAM_MAP_31(a, ...) SF_PARAM(a), SF__PARAM_MAP_30(__VA_ARGS__)
#define SF__PARAM_MAP_32(a, ...) SF_PARAM(a), SF__PARAM_MAP_31(__VA_ARGS__)

#endif
