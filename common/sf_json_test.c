/* Unit test of the protobuf <-> JSON codec (sf_json.c) over the test-only
 * messages of testdata/: every type and label, the error paths (each must be
 * leak-free under LeakSanitizer) and a few thousand mutated texts. */
#include "sf_json.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_test.pb-c.h"
#include "codec_test_proto2.pb-c.h"

static int failures;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                          \
        }                                                                        \
    } while (0)

#define CHECK_STR(actual, expected) check_str(__LINE__, #actual, (actual), (expected))

static void
check_str(int line, const char *what, const char *actual, const char *expected)
{
    if (!actual || strcmp(actual, expected) != 0) {
        fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, line, what,
                actual ? actual : "(null)", expected);
        failures++;
    }
}

static char last_field[256], last_error[256];

static ProtobufCMessage *
parse(const ProtobufCMessageDescriptor *descriptor, const char *text)
{
    return sf_json_parse_message(descriptor, text, strlen(text), last_field, sizeof last_field,
                                 last_error, sizeof last_error);
}

/* Text must be refused, on field, for a reason containing reason. */
#define EXPECT_ERROR(descriptor, text, field, reason) expect_error(__LINE__, descriptor, text, field, reason)

static void
expect_error(int line, const ProtobufCMessageDescriptor *descriptor, const char *text, const char *field,
             const char *reason)
{
    ProtobufCMessage *message = parse(descriptor, text);
    if (message) {
        fprintf(stderr, "%s:%d: %s was accepted\n", __FILE__, line, text);
        failures++;
        protobuf_c_message_free_unpacked(message, NULL);
        return;
    }
    if (strcmp(last_field, field) != 0 || !strstr(last_error, reason)) {
        fprintf(stderr, "%s:%d: %s: got field \"%s\" error \"%s\", expected field \"%s\" error ~\"%s\"\n",
                __FILE__, line, text, last_field, last_error, field, reason);
        failures++;
    }
}

/* Text must be accepted; the caller frees the message. */
#define EXPECT_OK(descriptor, text) expect_ok(__LINE__, descriptor, text)

static ProtobufCMessage *
expect_ok(int line, const ProtobufCMessageDescriptor *descriptor, const char *text)
{
    ProtobufCMessage *message = parse(descriptor, text);
    if (!message) {
        fprintf(stderr, "%s:%d: %s refused: field \"%s\": %s\n", __FILE__, line, text, last_field, last_error);
        failures++;
    }
    return message;
}

/* Equal as the wire sees them: the packed forms are byte for byte equal. */
static bool
same_wire(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t size_a = protobuf_c_message_get_packed_size(a);
    size_t size_b = protobuf_c_message_get_packed_size(b);
    if (size_a != size_b)
        return false;
    uint8_t *packed_a = malloc(size_a + 1), *packed_b = malloc(size_b + 1);
    protobuf_c_message_pack(a, packed_a);
    protobuf_c_message_pack(b, packed_b);
    bool same = memcmp(packed_a, packed_b, size_a) == 0;
    free(packed_a);
    free(packed_b);
    return same;
}

/* message -> text -> message and message -> tree -> message must both give
 * the message back. Returns the compact text (free it). */
#define ROUND_TRIP(message) round_trip(__LINE__, (const ProtobufCMessage *) (message))

static char *
round_trip(int line, const ProtobufCMessage *message)
{
    char *text = sf_json_print_message(message, false);
    if (!text) {
        fprintf(stderr, "%s:%d: print failed\n", __FILE__, line);
        failures++;
        return NULL;
    }
    ProtobufCMessage *back = parse(message->descriptor, text);
    if (!back || !same_wire(message, back)) {
        fprintf(stderr, "%s:%d: text round trip failed for %s (%s: %s)\n", __FILE__, line, text, last_field,
                last_error);
        failures++;
    }
    protobuf_c_message_free_unpacked(back, NULL);

    cJSON *tree = sf_json_from_message(message);
    back = sf_json_to_message(message->descriptor, tree, last_field, sizeof last_field, last_error,
                              sizeof last_error);
    if (!back || !same_wire(message, back)) {
        fprintf(stderr, "%s:%d: tree round trip failed for %s (%s: %s)\n", __FILE__, line, text, last_field,
                last_error);
        failures++;
    }
    protobuf_c_message_free_unpacked(back, NULL);
    cJSON_Delete(tree);
    return text;
}

static bool
contains(const char *text, const char *piece)
{
    return text && strstr(text, piece);
}

#define CHECK_CONTAINS(text, piece)                                                          \
    do {                                                                                     \
        if (!contains(text, piece)) {                                                        \
            fprintf(stderr, "%s:%d: \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, text ? text : "(null)", \
                    piece);                                                                  \
            failures++;                                                                      \
        }                                                                                    \
    } while (0)

static const ProtobufCMessageDescriptor *const scalars_type = &sifang__test__scalars__descriptor;
static const ProtobufCMessageDescriptor *const repeated_type = &sifang__test__repeated__descriptor;
static const ProtobufCMessageDescriptor *const zone_type = &sifang__test__zone__descriptor;
static const ProtobufCMessageDescriptor *const node_type = &sifang__test__node__descriptor;
static const ProtobufCMessageDescriptor *const legacy_type = &sifang__test__legacy__descriptor;

/* ------------------------------------------------------------------------ */

static void
test_scalars_round_trip(void)
{
    uint8_t all_bytes[256];
    for (int i = 0; i < 256; i++)
        all_bytes[i] = (uint8_t) i;
    Sifang__Test__Location location = SIFANG__TEST__LOCATION__INIT;
    location.lat = 36.0671;
    location.lng = 120.3826;

    Sifang__Test__Scalars s = SIFANG__TEST__SCALARS__INIT;
    s.f_int32 = INT32_MIN;
    s.f_sint32 = INT32_MAX;
    s.f_sfixed32 = -1;
    s.f_int64 = INT64_MIN;
    s.f_sint64 = INT64_MAX;
    s.f_sfixed64 = -9007199254740993LL;
    s.f_uint32 = UINT32_MAX;
    s.f_fixed32 = 123;
    s.f_uint64 = UINT64_MAX;
    s.f_fixed64 = 9007199254740993ULL;
    s.f_float = 0.1f;
    s.f_double = 0.1 + 0.2;
    s.f_bool = 1;
    s.f_enum = SIFANG__TEST__COLOR__INFRARED;
    s.f_string = "四方区 \"quoted\"\n\t\\ é 😀 \x01";
    s.f_bytes.data = all_bytes;
    s.f_bytes.len = sizeof all_bytes;
    s.f_message = &location;

    char *text = ROUND_TRIP(&s);
    CHECK_CONTAINS(text, "\"f_int32\":-2147483648");
    CHECK_CONTAINS(text, "\"f_sint32\":2147483647");
    CHECK_CONTAINS(text, "\"f_int64\":-9223372036854775808");
    CHECK_CONTAINS(text, "\"f_sint64\":9223372036854775807");
    CHECK_CONTAINS(text, "\"f_sfixed64\":-9007199254740993");
    CHECK_CONTAINS(text, "\"f_uint32\":4294967295");
    CHECK_CONTAINS(text, "\"f_uint64\":18446744073709551615");
    CHECK_CONTAINS(text, "\"f_fixed64\":9007199254740993");
    CHECK_CONTAINS(text, "\"f_float\":0.1,");
    CHECK_CONTAINS(text, "\"f_double\":0.30000000000000004");
    CHECK_CONTAINS(text, "\"f_bool\":true");
    CHECK_CONTAINS(text, "\"f_enum\":\"INFRARED\"");
    CHECK_CONTAINS(text, "\"f_string\":\"四方区 \\\"quoted\\\"\\n\\t\\\\ é 😀 \\u0001\"");
    CHECK_CONTAINS(text, "\"f_bytes\":\"AAECAwQF");
    CHECK_CONTAINS(text, "\"f_message\":{\"lat\":36.0671,\"lng\":120.3826}");
    free(text);

    /* Edge values, each alone so a failure names it. */
    static const double doubles[] = {
        0.0, -0.0, 1.0, -1.5, 0.1, 1e21, 1e22, 123456789012345680000.0, 1.7976931348623157e308,
        2.2250738585072014e-308, 4.9e-324, 9007199254740993.0, 1e15 + 0.3, 3.141592653589793,
        NAN, INFINITY, -INFINITY, 2147483647.0, 2147483648.0, -2147483649.0,
    };
    for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++) {
        Sifang__Test__Scalars one = SIFANG__TEST__SCALARS__INIT;
        one.f_double = doubles[i];
        free(ROUND_TRIP(&one));
    }
    static const float floats[] = {
        0.0f, -0.0f, 0.1f, 1.0f / 3.0f, FLT_MAX, -FLT_MAX, FLT_MIN, 1.4e-45f, 16777217.0f, 3.4e38f, NAN, INFINITY,
        -INFINITY, 1e10f, 123456.789f,
    };
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
        Sifang__Test__Scalars one = SIFANG__TEST__SCALARS__INIT;
        one.f_float = floats[i];
        free(ROUND_TRIP(&one));
    }
    static const int64_t int64s[] = {
        0, 1, -1, INT32_MAX, INT32_MIN, (int64_t) INT32_MAX + 1, 999999999999999LL, 1000000000000001LL,
        9007199254740991LL, 9007199254740992LL, 9007199254740993LL, -9007199254740993LL,
        1234567890123456789LL, INT64_MAX, INT64_MIN, INT64_MIN + 1,
    };
    for (size_t i = 0; i < sizeof int64s / sizeof int64s[0]; i++) {
        Sifang__Test__Scalars one = SIFANG__TEST__SCALARS__INIT;
        one.f_int64 = one.f_sint64 = one.f_sfixed64 = int64s[i];
        one.f_uint64 = one.f_fixed64 = (uint64_t) int64s[i];
        char *printed = ROUND_TRIP(&one);
        char expected[64];
        snprintf(expected, sizeof expected, "\"f_int64\":%" PRId64 ",", int64s[i]);
        CHECK_CONTAINS(printed, expected);
        snprintf(expected, sizeof expected, "\"f_uint64\":%" PRIu64 ",", (uint64_t) int64s[i]);
        CHECK_CONTAINS(printed, expected);
        free(printed);
    }

    /* Special floating values print as proto3 JSON's strings. */
    Sifang__Test__Scalars special = SIFANG__TEST__SCALARS__INIT;
    special.f_double = NAN;
    special.f_float = -INFINITY;
    text = sf_json_print_message(&special.base, false);
    CHECK_CONTAINS(text, "\"f_double\":\"NaN\"");
    CHECK_CONTAINS(text, "\"f_float\":\"-Infinity\"");
    free(text);
    special.f_double = -0.0;
    special.f_float = FLT_MAX;
    text = sf_json_print_message(&special.base, false);
    CHECK_CONTAINS(text, "\"f_double\":-0");
    CHECK_CONTAINS(text, "\"f_float\":3.4028235e+38");
    free(text);

    /* Values come back as numbers, not raw text, where cJSON prints them exactly. */
    Sifang__Test__Scalars plain = SIFANG__TEST__SCALARS__INIT;
    plain.f_int64 = 42;
    plain.f_double = 2.5;
    cJSON *tree = sf_json_from_message(&plain.base);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(tree, "f_int64")));
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(tree, "f_double")));
    CHECK(cJSON_GetObjectItem(tree, "f_double")->valuedouble == 2.5);
    cJSON_Delete(tree);
}

static void
test_defaults(void)
{
    Sifang__Test__Scalars empty = SIFANG__TEST__SCALARS__INIT;
    char *text = sf_json_print_message(&empty.base, false);
    CHECK_STR(text, "{\"f_int32\":0,\"f_sint32\":0,\"f_sfixed32\":0,\"f_int64\":0,\"f_sint64\":0,"
                    "\"f_sfixed64\":0,\"f_uint32\":0,\"f_fixed32\":0,\"f_uint64\":0,\"f_fixed64\":0,"
                    "\"f_float\":0,\"f_double\":0,\"f_bool\":false,\"f_enum\":\"COLOR_UNSPECIFIED\","
                    "\"f_string\":\"\",\"f_bytes\":\"\"}");
    free(text);

    Sifang__Test__Repeated none = SIFANG__TEST__REPEATED__INIT;
    text = sf_json_print_message(&none.base, false);
    CHECK_STR(text, "{\"r_int32\":[],\"r_sint32\":[],\"r_sfixed32\":[],\"r_int64\":[],\"r_sint64\":[],"
                    "\"r_sfixed64\":[],\"r_uint32\":[],\"r_fixed32\":[],\"r_uint64\":[],\"r_fixed64\":[],"
                    "\"r_float\":[],\"r_double\":[],\"r_bool\":[],\"r_enum\":[],\"r_string\":[],"
                    "\"r_bytes\":[],\"r_message\":[],\"r_unpacked\":[]}");
    free(text);

    Sifang__Test__Scalars *s = (Sifang__Test__Scalars *) EXPECT_OK(scalars_type, "{}");
    if (s) {
        CHECK(s->f_int32 == 0 && s->f_uint64 == 0 && s->f_double == 0 && !s->f_bool);
        CHECK_STR(s->f_string, "");
        CHECK(s->f_bytes.len == 0 && s->f_message == NULL);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    }
    /* null is the default, for every kind of field. */
    s = (Sifang__Test__Scalars *) EXPECT_OK(
        scalars_type, "{\"f_int32\":null,\"f_sint32\":null,\"f_sfixed32\":null,\"f_int64\":null,"
                      "\"f_sint64\":null,\"f_sfixed64\":null,\"f_uint32\":null,\"f_fixed32\":null,"
                      "\"f_uint64\":null,\"f_fixed64\":null,\"f_float\":null,\"f_double\":null,"
                      "\"f_bool\":null,\"f_enum\":null,\"f_string\":null,\"f_bytes\":null,\"f_message\":null}");
    if (s) {
        CHECK(s->f_int32 == 0 && s->f_message == NULL && s->f_bytes.data == NULL);
        CHECK_STR(s->f_string, "");
        protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    }
    Sifang__Test__Repeated *r = (Sifang__Test__Repeated *) EXPECT_OK(repeated_type,
                                                                    "{\"r_int32\":null,\"r_message\":[]}");
    if (r) {
        CHECK(r->n_r_int32 == 0 && r->r_int32 == NULL && r->n_r_message == 0);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) r, NULL);
    }
    /* Empty strings and messages given explicitly are set, and owned. */
    s = (Sifang__Test__Scalars *) EXPECT_OK(scalars_type, "{\"f_string\":\"\",\"f_message\":{},\"f_bytes\":\"\"}");
    if (s) {
        CHECK(s->f_message != NULL && s->f_message->lat == 0);
        CHECK_STR(s->f_string, "");
        free(ROUND_TRIP(s));
        protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    }
}

static void
test_every_type_in(void)
{
    Sifang__Test__Scalars *s = (Sifang__Test__Scalars *) EXPECT_OK(
        scalars_type,
        "{\"f_int32\":-5,\"f_sint32\":\"-6\",\"f_sfixed32\":7e0,\"f_int64\":\"-9223372036854775808\","
        "\"f_sint64\":1e18,\"f_sfixed64\":-12,\"f_uint32\":\"4294967295\",\"f_fixed32\":3.0,"
        "\"f_uint64\":\"18446744073709551615\",\"f_fixed64\":18446744073709551615,"
        "\"f_float\":1.5,\"f_double\":\"-2.25e-3\",\"f_bool\":true,\"f_enum\":\"GREEN\","
        "\"f_string\":\"\\u56db\\u65b9\\ud83d\\ude00\",\"f_bytes\":\"aGVsbG8=\","
        "\"f_message\":{\"lat\":-90,\"lng\":180.5}}");
    if (s) {
        CHECK(s->f_int32 == -5 && s->f_sint32 == -6 && s->f_sfixed32 == 7);
        CHECK(s->f_int64 == INT64_MIN && s->f_sint64 == 1000000000000000000LL && s->f_sfixed64 == -12);
        CHECK(s->f_uint32 == UINT32_MAX && s->f_fixed32 == 3);
        CHECK(s->f_uint64 == UINT64_MAX && s->f_fixed64 == UINT64_MAX);
        CHECK(s->f_float == 1.5f && s->f_double == -2.25e-3 && s->f_bool);
        CHECK(s->f_enum == SIFANG__TEST__COLOR__GREEN);
        CHECK_STR(s->f_string, "四方😀");
        CHECK(s->f_bytes.len == 5 && memcmp(s->f_bytes.data, "hello", 5) == 0);
        CHECK(s->f_message && s->f_message->lat == -90 && s->f_message->lng == 180.5);
        free(ROUND_TRIP(s));
        protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    }

    /* lowerCamelCase json names are accepted too. */
    s = (Sifang__Test__Scalars *) EXPECT_OK(scalars_type, "{\"fInt32\":3,\"fUint64\":4,\"fMessage\":{\"lat\":1}}");
    if (s) {
        CHECK(s->f_int32 == 3 && s->f_uint64 == 4 && s->f_message && s->f_message->lat == 1);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    }
    Sifang__Test__Zone *z = (Sifang__Test__Zone *) EXPECT_OK(
        zone_type, "{\"zoneCode\":\"370203-001\",\"members\":[{\"name\":\"Li\",\"householdCount\":48}]}");
    if (z) {
        CHECK_STR(z->zone_code, "370203-001");
        CHECK(z->n_members == 1 && z->members[0]->household_count == 48);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) z, NULL);
    }
    EXPECT_ERROR(zone_type, "{\"ZoneCode\":\"x\"}", "ZoneCode", "unknown field");
    EXPECT_ERROR(zone_type, "{\"zonecode\":\"x\"}", "zonecode", "unknown field");
    EXPECT_ERROR(zone_type, "{\"zone_code\":\"a\",\"zoneCode\":\"b\"}", "zone_code", "more than once");
    EXPECT_ERROR(scalars_type, "{\"f_int32\":1,\"f_int32\":2}", "f_int32", "more than once");
}

static void
test_repeated(void)
{
    Sifang__Test__Repeated *r = (Sifang__Test__Repeated *) EXPECT_OK(
        repeated_type,
        "{\"r_int32\":[1,-2,2147483647],\"r_sint32\":[-1],\"r_sfixed32\":[0,5],"
        "\"r_int64\":[\"-9223372036854775808\",9223372036854775807],\"r_sint64\":[1],\"r_sfixed64\":[-1],"
        "\"r_uint32\":[4294967295],\"r_fixed32\":[1,2,3],\"r_uint64\":[\"18446744073709551615\"],"
        "\"r_fixed64\":[0],\"r_float\":[0.5,\"NaN\",\"-Infinity\"],\"r_double\":[1e300,-0.0],"
        "\"r_bool\":[true,false,true],\"r_enum\":[\"RED\",2,-7,99],\"r_string\":[\"a\",\"\",\"四\"],"
        "\"r_bytes\":[\"AA==\",\"\",\"_-8\"],\"r_message\":[{\"lat\":1},{},{\"lng\":2}],"
        "\"r_unpacked\":[7,8]}");
    if (r) {
        CHECK(r->n_r_int32 == 3 && r->r_int32[1] == -2 && r->r_int32[2] == INT32_MAX);
        CHECK(r->n_r_int64 == 2 && r->r_int64[0] == INT64_MIN && r->r_int64[1] == INT64_MAX);
        CHECK(r->n_r_uint64 == 1 && r->r_uint64[0] == UINT64_MAX);
        CHECK(r->n_r_float == 3 && r->r_float[0] == 0.5f && isnan(r->r_float[1]) && isinf(r->r_float[2]));
        CHECK(r->n_r_double == 2 && r->r_double[0] == 1e300 && signbit(r->r_double[1]));
        CHECK(r->n_r_bool == 3 && r->r_bool[0] && !r->r_bool[1]);
        CHECK(r->n_r_enum == 4 && r->r_enum[0] == SIFANG__TEST__COLOR__RED && (int) r->r_enum[3] == 99);
        CHECK(r->n_r_string == 3 && strcmp(r->r_string[2], "四") == 0 && r->r_string[1][0] == '\0');
        CHECK(r->n_r_bytes == 3 && r->r_bytes[0].len == 1 && r->r_bytes[1].len == 0 && r->r_bytes[2].len == 2);
        CHECK(r->n_r_message == 3 && r->r_message[0]->lat == 1 && r->r_message[2]->lng == 2);
        CHECK(r->n_r_unpacked == 2 && r->r_unpacked[1] == 8);
        char *text = ROUND_TRIP(r);
        CHECK_CONTAINS(text, "\"r_enum\":[\"RED\",\"GREEN\",\"INFRARED\",99]");
        CHECK_CONTAINS(text, "\"r_float\":[0.5,\"NaN\",\"-Infinity\"]");
        CHECK_CONTAINS(text, "\"r_bytes\":[\"AA==\",\"\",\"/+8=\"]");
        free(text);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) r, NULL);
    }

    /* A long array, built and read back. */
    Sifang__Test__Repeated big = SIFANG__TEST__REPEATED__INIT;
    int64_t numbers[10000];
    for (size_t i = 0; i < 10000; i++)
        numbers[i] = (int64_t) (i * 2654435761u) - 5000000000LL;
    big.n_r_int64 = 10000;
    big.r_int64 = numbers;
    free(ROUND_TRIP(&big));

    EXPECT_ERROR(repeated_type, "{\"r_int32\":[1,null]}", "r_int32[1]", "null is not allowed");
    EXPECT_ERROR(repeated_type, "{\"r_int32\":5}", "r_int32", "expected an array");
    EXPECT_ERROR(repeated_type, "{\"r_int32\":{}}", "r_int32", "expected an array");
    EXPECT_ERROR(repeated_type, "{\"r_int32\":[[1]]}", "r_int32[0]", "expected an integer");
    EXPECT_ERROR(repeated_type, "{\"r_message\":[5]}", "r_message[0]", "expected an object");
    EXPECT_ERROR(repeated_type, "{\"r_message\":[{\"lat\":1},{\"lat\":\"north\"}]}", "r_message[1].lat",
                 "not a number");
    EXPECT_ERROR(repeated_type, "{\"r_string\":[\"a\",\"b\",7]}", "r_string[2]", "expected a string");
    EXPECT_ERROR(repeated_type, "{\"r_bytes\":[\"AA==\",\"A\"]}", "r_bytes[1]", "invalid base64");
    EXPECT_ERROR(repeated_type, "{\"r_enum\":[\"RED\",\"BLUE\"]}", "r_enum[1]", "unknown value \"BLUE\"");
}

static void
test_nested_and_paths(void)
{
    EXPECT_ERROR(zone_type, "{\"location\":{\"lat\":\"x\"}}", "location.lat", "not a number");
    EXPECT_ERROR(zone_type, "{\"location\":{\"altitude\":3}}", "location.altitude", "unknown field");
    EXPECT_ERROR(zone_type, "{\"members\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":5}]}", "members[2].name",
                 "expected a string");
    EXPECT_ERROR(zone_type, "{\"location\":[1,2]}", "location", "expected an object");
    EXPECT_ERROR(zone_type, "{\"location\":\"36,120\"}", "location", "expected an object");

    /* Maps are repeated entry messages on the wire and arrays of them here. */
    Sifang__Test__Zone *z = (Sifang__Test__Zone *) EXPECT_OK(
        zone_type, "{\"zone_code\":\"A\",\"counts\":[{\"key\":\"households\",\"value\":150},{\"key\":\"x\"}]}");
    if (z) {
        CHECK(z->n_counts == 2 && strcmp(z->counts[0]->key, "households") == 0 && z->counts[0]->value == 150);
        char *text = ROUND_TRIP(z);
        CHECK_CONTAINS(text, "\"counts\":[{\"key\":\"households\",\"value\":150},{\"key\":\"x\",\"value\":0}]");
        free(text);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) z, NULL);
    }
    EXPECT_ERROR(zone_type, "{\"counts\":{\"households\":150}}", "counts", "expected an array");

    /* Small caller buffers get a cut but valid path and reason; NULL ones are fine. */
    char field[6], error[8];
    const char *text = "{\"members\":[{\"name\":\"a\"},{\"name\":5}]}";
    CHECK(!sf_json_parse_message(zone_type, text, strlen(text), field, sizeof field, error, sizeof error));
    CHECK_STR(field, "membe");
    CHECK_STR(error, "expecte");
    CHECK(!sf_json_parse_message(zone_type, text, strlen(text), NULL, 0, NULL, 0));
    CHECK(!sf_json_parse_message(zone_type, text, strlen(text), field, 0, error, 0));
}

static void
test_oneof(void)
{
    Sifang__Test__Location office = SIFANG__TEST__LOCATION__INIT;
    office.lat = 1.25;
    uint8_t badge[] = { 0xfb, 0xff, 0xbf };
    Sifang__Test__Zone z = SIFANG__TEST__ZONE__INIT;
    z.zone_code = "Z1";

    char *text = ROUND_TRIP(&z);
    CHECK(!contains(text, "phone_number") && !contains(text, "hotline_id") && !contains(text, "office"));
    CHECK(!contains(text, "location"));
    free(text);

    z.contact_case = SIFANG__TEST__ZONE__CONTACT_PHONE_NUMBER;
    z.phone_number = "0532-12345";
    text = ROUND_TRIP(&z);
    CHECK_CONTAINS(text, "\"phone_number\":\"0532-12345\"");
    CHECK(!contains(text, "hotline_id"));
    free(text);

    z.contact_case = SIFANG__TEST__ZONE__CONTACT_HOTLINE_ID;
    z.hotline_id = 12345678901234567LL;
    text = ROUND_TRIP(&z);
    CHECK_CONTAINS(text, "\"hotline_id\":12345678901234567");
    free(text);

    z.contact_case = SIFANG__TEST__ZONE__CONTACT_OFFICE;
    z.office = &office;
    text = ROUND_TRIP(&z);
    CHECK_CONTAINS(text, "\"office\":{\"lat\":1.25,\"lng\":0}");
    free(text);

    z.contact_case = SIFANG__TEST__ZONE__CONTACT_SIGNAL_COLOR;
    z.signal_color = SIFANG__TEST__COLOR__COLOR_UNSPECIFIED;
    text = ROUND_TRIP(&z);
    CHECK_CONTAINS(text, "\"signal_color\":\"COLOR_UNSPECIFIED\"");
    free(text);

    z.contact_case = SIFANG__TEST__ZONE__CONTACT_BADGE;
    z.badge.data = badge;
    z.badge.len = sizeof badge;
    text = ROUND_TRIP(&z);
    CHECK_CONTAINS(text, "\"badge\":\"+/+/\"");
    free(text);

    Sifang__Test__Zone *in = (Sifang__Test__Zone *) EXPECT_OK(zone_type, "{\"office\":{\"lng\":2}}");
    if (in) {
        CHECK(in->contact_case == SIFANG__TEST__ZONE__CONTACT_OFFICE && in->office->lng == 2);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) in, NULL);
    }
    in = (Sifang__Test__Zone *) EXPECT_OK(zone_type, "{\"phone_number\":null,\"hotlineId\":\"5\"}");
    if (in) {
        CHECK(in->contact_case == SIFANG__TEST__ZONE__CONTACT_HOTLINE_ID && in->hotline_id == 5);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) in, NULL);
    }
    in = (Sifang__Test__Zone *) EXPECT_OK(zone_type, "{\"phone_number\":\"\"}");
    if (in) {
        CHECK(in->contact_case == SIFANG__TEST__ZONE__CONTACT_PHONE_NUMBER);
        free(ROUND_TRIP(in));
        protobuf_c_message_free_unpacked((ProtobufCMessage *) in, NULL);
    }
    EXPECT_ERROR(zone_type, "{\"phone_number\":\"1\",\"hotline_id\":2}", "hotline_id", "phone_number is set too");
    EXPECT_ERROR(zone_type, "{\"office\":{\"lat\":1},\"badge\":\"AA==\"}", "badge", "office is set too");
    EXPECT_ERROR(zone_type, "{\"badge\":\"AA==\",\"office\":{\"lat\":1}}", "office", "badge is set too");
    EXPECT_ERROR(zone_type, "{\"office\":{\"lat\":\"x\"}}", "office.lat", "not a number");
    EXPECT_ERROR(zone_type, "{\"phone_number\":\"1\",\"phone_number\":\"2\"}", "phone_number", "more than once");
}

static void
test_enums(void)
{
    Sifang__Test__Scalars *s = (Sifang__Test__Scalars *) EXPECT_OK(scalars_type, "{\"f_enum\":2}");
    if (s) {
        CHECK(s->f_enum == SIFANG__TEST__COLOR__GREEN);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    }
    s = (Sifang__Test__Scalars *) EXPECT_OK(scalars_type, "{\"f_enum\":-7}");
    if (s) {
        CHECK(s->f_enum == SIFANG__TEST__COLOR__INFRARED);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    }
    /* A number this build does not know passes through and prints back as one. */
    s = (Sifang__Test__Scalars *) EXPECT_OK(scalars_type, "{\"f_enum\":40}");
    if (s) {
        CHECK((int) s->f_enum == 40);
        char *text = ROUND_TRIP(s);
        CHECK_CONTAINS(text, "\"f_enum\":40");
        free(text);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    }
    EXPECT_ERROR(scalars_type, "{\"f_enum\":\"PURPLE\"}", "f_enum", "unknown value \"PURPLE\" of enum sifang.test.Color");
    EXPECT_ERROR(scalars_type, "{\"f_enum\":\"red\"}", "f_enum", "unknown value");
    EXPECT_ERROR(scalars_type, "{\"f_enum\":\"1\"}", "f_enum", "unknown value");
    EXPECT_ERROR(scalars_type, "{\"f_enum\":1.5}", "f_enum", "not an integer");
    EXPECT_ERROR(scalars_type, "{\"f_enum\":2147483648}", "f_enum", "out of range");
    EXPECT_ERROR(scalars_type, "{\"f_enum\":true}", "f_enum", "expected an enum value name");
    EXPECT_ERROR(scalars_type, "{\"f_enum\":{}}", "f_enum", "expected an enum value name");
    /* A long hostile name is echoed cut short and cleaned. */
    char text[600];
    snprintf(text, sizeof text, "{\"f_enum\":\"%0300d\\u0001\"}", 0);
    CHECK(!parse(scalars_type, text));
    CHECK(strlen(last_error) < 140 && contains(last_error, "..."));
}

/* Integers: numbers or decimal strings, exact, in range, whole. */
static void
test_integers(void)
{
    static const struct {
        const char *json;
        bool ok;
        int64_t value;
    } int64_cases[] = {
        { "\"9223372036854775807\"", true, INT64_MAX },
        { "\"-9223372036854775808\"", true, INT64_MIN },
        { "\"9223372036854775808\"", false, 0 },
        { "\"-9223372036854775809\"", false, 0 },
        { "\"99999999999999999999999\"", false, 0 },
        { "9223372036854775807", true, INT64_MAX },
        { "-9223372036854775808", true, INT64_MIN },
        { "9223372036854775808", false, 0 },
        { "9007199254740993", true, 9007199254740993LL },
        { "-9007199254740993", true, -9007199254740993LL },
        { "\"1e3\"", true, 1000 },
        { "1e3", true, 1000 },
        { "1.5e1", true, 15 },
        { "\"2.000\"", true, 2 },
        { "1E+2", true, 100 },
        { "-0", true, 0 },
        { "\"-0\"", true, 0 },
        { "0e99999999999999999999", true, 0 },
        { "1.0000000000000001", false, 0 },
        { "\"1.5\"", false, 0 },
        { "1.5", false, 0 },
        { "1e-1", false, 0 },
        { "1e400", false, 0 },
        { "1e99999999999999999999", false, 0 },
        { "\" 1\"", false, 0 },
        { "\"1 \"", false, 0 },
        { "\"\"", false, 0 },
        { "\"+1\"", false, 0 },
        { "\"01\"", false, 0 },
        { "\"0x10\"", false, 0 },
        { "\"1e\"", false, 0 },
        { "\"-\"", false, 0 },
        { "\".5\"", false, 0 },
        { "\"NaN\"", false, 0 },
        { "\"Infinity\"", false, 0 },
        { "true", false, 0 },
        { "[]", false, 0 },
    };
    for (size_t i = 0; i < sizeof int64_cases / sizeof int64_cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "{\"f_int64\":%s}", int64_cases[i].json);
        Sifang__Test__Scalars *s = (Sifang__Test__Scalars *) parse(scalars_type, text);
        if (int64_cases[i].ok) {
            CHECK(s && s->f_int64 == int64_cases[i].value);
            if (!s)
                fprintf(stderr, "  case %s: %s\n", text, last_error);
        } else {
            CHECK(!s && strcmp(last_field, "f_int64") == 0);
            if (s)
                fprintf(stderr, "  case %s accepted\n", text);
        }
        protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    }

    static const struct {
        const char *field;
        const char *json;
        const char *reason;     /* NULL: accepted */
    } range_cases[] = {
        { "f_int32", "2147483647", NULL },
        { "f_int32", "-2147483648", NULL },
        { "f_int32", "2147483648", "out of range for int32" },
        { "f_int32", "-2147483649", "out of range for int32" },
        { "f_sint32", "\"2147483648\"", "out of range for sint32" },
        { "f_sfixed32", "1e10", "out of range for sfixed32" },
        { "f_uint32", "4294967295", NULL },
        { "f_uint32", "4294967296", "out of range for uint32" },
        { "f_uint32", "-1", "out of range for uint32" },
        { "f_fixed32", "\"-1\"", "out of range for fixed32" },
        { "f_uint64", "18446744073709551615", NULL },
        { "f_uint64", "\"18446744073709551616\"", "out of range for uint64" },
        { "f_uint64", "-1", "out of range for uint64" },
        { "f_fixed64", "1e20", "out of range for fixed64" },
        { "f_uint64", "\"1844674407370955161e1\"", NULL },
        { "f_uint64", "\"1844674407370955162e1\"", "out of range for uint64" },
        { "f_uint64", "\"184467440737095516150e-1\"", NULL },
        { "f_int32", "1.5", "not an integer" },
        { "f_int32", "\"abc\"", "not a number" },
        { "f_int32", "true", "expected an integer" },
        { "f_int32", "{}", "expected an integer" },
        { "f_double", "1e400", "out of range for double" },
        { "f_double", "\"1e400\"", "out of range for double" },
        { "f_double", "\"nan\"", "not a number" },
        { "f_double", "\"Infinity \"", "not a number" },
        { "f_double", "\"0x1p3\"", "not a number" },
        { "f_double", "true", "expected a number" },
        { "f_double", "\"NaN\"", NULL },
        { "f_double", "\"-Infinity\"", NULL },
        { "f_double", "\"-1.5e-3\"", NULL },
        { "f_float", "1e39", "out of range for float" },
        { "f_float", "-3.5e38", "out of range for float" },
        { "f_float", "3.4028235e38", NULL },
        { "f_float", "\"Infinity\"", NULL },
        { "f_float", "1e-50", NULL },
        { "f_bool", "1", "expected true or false" },
        { "f_bool", "\"true\"", "expected true or false" },
        { "f_string", "5", "expected a string" },
        { "f_string", "{}", "expected a string" },
        { "f_bytes", "5", "expected a base64 string" },
        { "f_message", "5", "expected an object" },
        { "f_message", "[]", "expected an object" },
        { "f_message", "\"\"", "expected an object" },
    };
    for (size_t i = 0; i < sizeof range_cases / sizeof range_cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "{\"%s\":%s}", range_cases[i].field, range_cases[i].json);
        if (range_cases[i].reason)
            expect_error(__LINE__, scalars_type, text, range_cases[i].field, range_cases[i].reason);
        else
            protobuf_c_message_free_unpacked(expect_ok(__LINE__, scalars_type, text), NULL);
    }

    /* Exactness: a JSON number beyond 2^53 is exact from text (the parser
     * keeps its literal) but not from a tree cJSON built, where it is
     * already a rounded double. */
    Sifang__Test__Scalars *s = (Sifang__Test__Scalars *) EXPECT_OK(
        scalars_type, "{\"f_int64\":9007199254740993,\"f_uint64\":18446744073709551615,\"f_double\":9007199254740993}");
    if (s) {
        CHECK(s->f_int64 == 9007199254740993LL && s->f_uint64 == UINT64_MAX);
        CHECK(s->f_double == 9007199254740992.0);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    }
    cJSON *tree = cJSON_Parse("{\"f_int64\":9007199254740993}");
    CHECK(!sf_json_to_message(scalars_type, tree, last_field, sizeof last_field, last_error, sizeof last_error));
    CHECK_STR(last_field, "f_int64");
    CHECK(contains(last_error, "send it as a string"));
    cJSON_Delete(tree);
    tree = cJSON_Parse("{\"f_int64\":4503599627370497,\"f_uint32\":4294967295}");
    s = (Sifang__Test__Scalars *) sf_json_to_message(scalars_type, tree, last_field, sizeof last_field, last_error,
                                                      sizeof last_error);
    CHECK(s && s->f_int64 == 4503599627370497LL && s->f_uint32 == UINT32_MAX);
    protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    cJSON_Delete(tree);
    /* A uint32 field out of range as a tree double is out of range, not inexact. */
    tree = cJSON_Parse("{\"f_uint32\":1e17}");
    CHECK(!sf_json_to_message(scalars_type, tree, last_field, sizeof last_field, last_error, sizeof last_error));
    CHECK(contains(last_error, "out of range for uint32"));
    cJSON_Delete(tree);
}

static void
test_base64(void)
{
    static const struct {
        const char *text;
        const char *bytes;  /* NULL: refused */
        size_t length;
    } cases[] = {
        { "+/+/", "\xfb\xff\xbf", 3 },
        { "-_-_", "\xfb\xff\xbf", 3 },
        { "+/8=", "\xfb\xff", 2 },
        { "+/8", "\xfb\xff", 2 },
        { "-_8=", "\xfb\xff", 2 },
        { "-_8", "\xfb\xff", 2 },
        { "+w==", "\xfb", 1 },
        { "+w", "\xfb", 1 },
        { "-w==", "\xfb", 1 },
        { "aGVsbG8gd29ybGQ=", "hello world", 11 },
        { "aGVsbG8gd29ybGQ", "hello world", 11 },
        { "", "", 0 },
        { "+w=", NULL, 0 },
        { "+w===", NULL, 0 },
        { "==", NULL, 0 },
        { "a", NULL, 0 },
        { "abcde", NULL, 0 },
        { "ab!c", NULL, 0 },
        { "+_8=", NULL, 0 },
        { " +w==", NULL, 0 },
        { "+w==\\n", NULL, 0 },
        { "+w==+w==", NULL, 0 },
        { "四方", NULL, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "{\"f_bytes\":\"%s\"}", cases[i].text);
        Sifang__Test__Scalars *s = (Sifang__Test__Scalars *) parse(scalars_type, text);
        if (cases[i].bytes) {
            CHECK(s && s->f_bytes.len == cases[i].length
                  && (cases[i].length == 0 || memcmp(s->f_bytes.data, cases[i].bytes, cases[i].length) == 0));
            if (!s)
                fprintf(stderr, "  case %s: %s\n", text, last_error);
        } else {
            CHECK(!s && strcmp(last_field, "f_bytes") == 0 && contains(last_error, "base64"));
            if (s)
                fprintf(stderr, "  case %s accepted\n", text);
        }
        protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    }
}

static void
test_utf8(void)
{
    static const char *const bad[] = {
        "a\xff", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
        "\xe4\xb8", "\x80", "ok\xe5\x9b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "{\"f_string\":\"%s\"}", bad[i]);
        EXPECT_ERROR(scalars_type, text, "f_string", "invalid UTF-8");
        snprintf(text, sizeof text, "{\"r_string\":[\"ok\",\"%s\"]}", bad[i]);
        EXPECT_ERROR(repeated_type, text, "r_string[1]", "invalid UTF-8");
        snprintf(text, sizeof text, "{\"members\":[{\"name\":\"%s\"}]}", bad[i]);
        EXPECT_ERROR(zone_type, text, "members[0].name", "invalid UTF-8");
    }
    Sifang__Test__Scalars *s = (Sifang__Test__Scalars *) EXPECT_OK(
        scalars_type, "{\"f_string\":\"\xe5\x9b\x9b\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xef\xbf\xbf\xf1\x80\x80\x80\"}");
    protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    /* Escapes cJSON cannot turn into UTF-8 are refused by the parser. */
    CHECK(!parse(scalars_type, "{\"f_string\":\"\\ud800\"}"));
    CHECK(!parse(scalars_type, "{\"f_string\":\"\\udc00x\"}"));
    /* \u0000 would cut the string short: refused rather than truncated. */
    EXPECT_ERROR(scalars_type, "{\"f_string\":\"a\\u0000b\"}", "f_string", "must not hold a NUL character");
    EXPECT_ERROR(repeated_type, "{\"r_string\":[\"ok\", \"x\",\"\\u0000\"]}", "r_string[2]", "must not hold a NUL");
    EXPECT_ERROR(zone_type, "{\"code\":\"\\\\u0000\", \"members\":[{\"name\":\"a\"},{\"n\":[1,{}],\"name\":\"Wire\\u0000\\u0007junk\"}]}",
                 "members[1].name", "must not hold a NUL");
    /* The scan by itself: a key holding it is named, escaped backslashes
     * are not escapes, text that is not JSON is still refused. */
    char nul_field[64];
#define SCAN(text) sf_json_has_nul(text, strlen(text), nul_field, sizeof nul_field)
    CHECK(SCAN("{\"a\":{\"b\\u0000\":1}}"));
    CHECK_STR(nul_field, "a.b\\u0000");
    CHECK(!SCAN("{\"a\":\"\\\\u0000\", \"b\":[true, null, -1.5e3]}"));
    CHECK(SCAN("[\"\\u0000"));
    CHECK_STR(nul_field, "");
    CHECK(SCAN("[1,[2,\"x\\u0000\"]]"));
    CHECK_STR(nul_field, "[1][1]");
    s = (Sifang__Test__Scalars *) EXPECT_OK(scalars_type, "{\"f_string\":\"a\\\\u0000b\"}");
    if (s) {
        CHECK_STR(s->f_string, "a\\u0000b");
        protobuf_c_message_free_unpacked((ProtobufCMessage *) s, NULL);
    }

    /* Invalid UTF-8 from a peer prints as U+FFFD, keeping the JSON valid. */
    Sifang__Test__Scalars out = SIFANG__TEST__SCALARS__INIT;
    out.f_string = "a\xff" "b\xe5\x9b";
    char *text = sf_json_print_message(&out.base, false);
    CHECK_CONTAINS(text, "\"f_string\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\"");
    free(text);

    /* Unknown keys are echoed cleaned. */
    EXPECT_ERROR(scalars_type, "{\"bad\xffkey\":1}", "bad?key", "unknown field");
    EXPECT_ERROR(scalars_type, "{\"\":1}", "", "unknown field");
}

static void
test_top_level(void)
{
    EXPECT_ERROR(scalars_type, "[]", "", "expected an object");
    EXPECT_ERROR(scalars_type, "5", "", "expected an object");
    EXPECT_ERROR(scalars_type, "null", "", "expected an object");
    EXPECT_ERROR(scalars_type, "\"{}\"", "", "expected an object");
    EXPECT_ERROR(scalars_type, "", "", "invalid JSON");
    EXPECT_ERROR(scalars_type, "   ", "", "invalid JSON");
    EXPECT_ERROR(scalars_type, "{", "", "invalid JSON");
    EXPECT_ERROR(scalars_type, "{\"f_int32\":}", "", "invalid JSON");
    EXPECT_ERROR(scalars_type, "{\"f_int32\":01}", "", "invalid number at byte 11");
    EXPECT_ERROR(scalars_type, "{\"f_double\":1.}", "", "invalid number");
    EXPECT_ERROR(scalars_type, "{\"r_double\":[1,-01]}", "", "invalid number");
    EXPECT_ERROR(scalars_type, "{\"f_int32\":+1}", "", "invalid JSON");
    EXPECT_ERROR(scalars_type, "{\"f_int32\":0x10}", "", "invalid JSON");
    EXPECT_ERROR(scalars_type, "{} x", "", "unexpected text");
    EXPECT_ERROR(scalars_type, "{}{}", "", "unexpected text");
    EXPECT_ERROR(scalars_type, "{\"f_int32\":1}\n,", "", "unexpected text");
    EXPECT_ERROR(scalars_type, "{\"bogus\":{\"deep\":[1,2,3]}}", "bogus", "unknown field");

    ProtobufCMessage *m = EXPECT_OK(scalars_type, " \r\n\t{ \"f_int32\" : 3 } \n");
    protobuf_c_message_free_unpacked(m, NULL);
    m = EXPECT_OK(scalars_type, "\xef\xbb\xbf{}");
    protobuf_c_message_free_unpacked(m, NULL);

    /* Length bounds the text; NULs may pad it but not hide text. */
    const char padded[] = "{\"f_int32\":7}\0\0\0";
    m = sf_json_parse_message(scalars_type, padded, sizeof padded, last_field, sizeof last_field, last_error,
                              sizeof last_error);
    CHECK(m && ((Sifang__Test__Scalars *) m)->f_int32 == 7);
    protobuf_c_message_free_unpacked(m, NULL);
    const char hidden[] = "{\"f_int32\":7}\0{\"x\":1}";
    CHECK(!sf_json_parse_message(scalars_type, hidden, sizeof hidden - 1, last_field, sizeof last_field,
                                 last_error, sizeof last_error));
    CHECK(contains(last_error, "NUL"));
    const char cut[] = "{\"f_int32\":7}garbage";
    m = sf_json_parse_message(scalars_type, cut, 13, last_field, sizeof last_field, last_error, sizeof last_error);
    CHECK(m && ((Sifang__Test__Scalars *) m)->f_int32 == 7);
    protobuf_c_message_free_unpacked(m, NULL);
    CHECK(!sf_json_parse_message(scalars_type, cut, 12, last_field, sizeof last_field, last_error, sizeof last_error));

    CHECK(!sf_json_parse_message(scalars_type, NULL, 0, last_field, sizeof last_field, last_error, sizeof last_error));
    CHECK(!sf_json_parse_message(NULL, "{}", 2, last_field, sizeof last_field, last_error, sizeof last_error));
    CHECK(!sf_json_to_message(scalars_type, NULL, last_field, sizeof last_field, last_error, sizeof last_error));
    CHECK(!sf_json_to_message(NULL, NULL, NULL, 0, NULL, 0));
    CHECK(sf_json_from_message(NULL) == NULL);
    CHECK(sf_json_print_message(NULL, true) == NULL);

    /* Trees built by hand: a key-less member, a number given as a double. */
    cJSON *tree = cJSON_CreateObject();
    cJSON_AddNumberToObject(tree, "f_double", 0.5);
    cJSON_AddItemToObject(tree, "f_uint64", cJSON_CreateRaw("18446744073709551615"));
    cJSON_AddItemToObject(tree, "f_int32", cJSON_CreateRaw("-0"));
    m = sf_json_to_message(scalars_type, tree, last_field, sizeof last_field, last_error, sizeof last_error);
    CHECK(m && ((Sifang__Test__Scalars *) m)->f_double == 0.5 && ((Sifang__Test__Scalars *) m)->f_uint64 == UINT64_MAX);
    protobuf_c_message_free_unpacked(m, NULL);
    cJSON_AddItemToObject(tree, "f_sint32", cJSON_CreateRaw("true"));
    CHECK(!sf_json_to_message(scalars_type, tree, last_field, sizeof last_field, last_error, sizeof last_error));
    CHECK_STR(last_field, "f_sint32");
    cJSON_Delete(tree);
    tree = cJSON_CreateObject();
    cJSON_AddNumberToObject(tree, "f_int32", NAN);
    CHECK(!sf_json_to_message(scalars_type, tree, last_field, sizeof last_field, last_error, sizeof last_error));
    CHECK(contains(last_error, "not a number"));
    cJSON_Delete(tree);

    /* A NULL element of a repeated message field (invalid) is left out. */
    Sifang__Test__Location place = SIFANG__TEST__LOCATION__INIT;
    Sifang__Test__Location *places[] = { NULL, &place };
    Sifang__Test__Repeated holes = SIFANG__TEST__REPEATED__INIT;
    holes.n_r_message = 2;
    holes.r_message = places;
    char *printed = sf_json_print_message((ProtobufCMessage *) &holes, false);
    CHECK_CONTAINS(printed, "\"r_message\":[{\"lat\":0,\"lng\":0}]");
    free(printed);

    /* Pretty printing is still the same JSON. */
    Sifang__Test__Zone z = SIFANG__TEST__ZONE__INIT;
    z.zone_code = "A";
    char *pretty = sf_json_print_message(&z.base, true);
    CHECK_CONTAINS(pretty, "\n");
    m = EXPECT_OK(zone_type, pretty);
    CHECK(m && same_wire(m, &z.base));
    protobuf_c_message_free_unpacked(m, NULL);
    free(pretty);
}

static char *
nested_nodes(int levels, bool through_array)
{
    size_t size = (size_t) levels * 20 + 32;
    char *text = malloc(size), *p = text;
    for (int i = 1; i < levels; i++)
        p += sprintf(p, through_array ? "{\"children\":[" : "{\"child\":");
    p += sprintf(p, "{\"value\":%d}", levels);
    for (int i = 1; i < levels; i++)
        p += sprintf(p, through_array ? "]}" : "}");
    return text;
}

static void
test_depth(void)
{
    char *text = nested_nodes(32, false);
    ProtobufCMessage *m = EXPECT_OK(node_type, text);
    if (m) {
        free(ROUND_TRIP(m));
        protobuf_c_message_free_unpacked(m, NULL);
    }
    free(text);
    text = nested_nodes(33, false);
    CHECK(!parse(node_type, text) && contains(last_error, "nested deeper than 32"));
    CHECK(strncmp(last_field, "child.child.", 12) == 0);
    free(text);
    text = nested_nodes(32, true);
    m = EXPECT_OK(node_type, text);
    protobuf_c_message_free_unpacked(m, NULL);
    free(text);
    text = nested_nodes(33, true);
    CHECK(!parse(node_type, text) && contains(last_error, "nested deeper"));
    CHECK(strncmp(last_field, "children[0].children[0].", 24) == 0);
    free(text);
    /* A path longer than the buffer is cut, still valid UTF-8. */
    char *long_path = nested_nodes(32, true);
    char *leaf = strstr(long_path, "{\"value\"");
    size_t prefix = (size_t) (leaf - long_path);
    char *with_key = malloc(strlen(long_path) + 100);
    memcpy(with_key, long_path, prefix);
    strcpy(with_key + prefix, "{\"\xe5\x9b\x9b\xe5\x9b\x9b\xe5\x9b\x9b\":1,");
    strcat(with_key, leaf + 1);
    CHECK(!parse(node_type, with_key) && contains(last_error, "unknown field"));
    CHECK(strlen(last_field) >= 250 && strlen(last_field) < 256);
    CHECK(strncmp(last_field, "children[0].children[0].", 24) == 0);
    free(with_key);
    free(long_path);

    text = nested_nodes(5000, false);
    CHECK(!parse(node_type, text));
    free(text);

    /* Deep JSON where a scalar is expected is refused at once. */
    char deep[2100];
    memset(deep, '[', 900);
    sprintf(deep + 900, "%s", "");
    char wrapped[2200];
    snprintf(wrapped, sizeof wrapped, "{\"value\":%s", deep);
    size_t n = strlen(wrapped);
    memset(wrapped + n, ']', 900);
    wrapped[n + 900] = '}';
    wrapped[n + 901] = '\0';
    EXPECT_ERROR(node_type, wrapped, "value", "expected an integer");

    /* Output refuses to go deeper than input would accept. */
    Sifang__Test__Node nodes[40];
    for (int i = 0; i < 40; i++) {
        sifang__test__node__init(&nodes[i]);
        nodes[i].value = i;
        nodes[i].child = i + 1 < 40 ? &nodes[i + 1] : NULL;
    }
    cJSON *json = sf_json_from_message(&nodes[8].base);     /* 32 levels */
    CHECK(json != NULL);
    cJSON_Delete(json);
    CHECK(sf_json_from_message(&nodes[7].base) == NULL);    /* 33 levels */
}

static void
test_proto2(void)
{
    Sifang__Test__Legacy *l = (Sifang__Test__Legacy *) EXPECT_OK(legacy_type, "{\"id\":1,\"title\":\"t\"}");
    if (l) {
        CHECK(l->id == 1 && !l->has_count && l->count == 7 && strcmp(l->note, "none") == 0);
        CHECK(!l->has_blob && l->blob.len == 2 && !l->has_level && l->level == SIFANG__TEST__LEVEL__HIGH);
        CHECK(l->plain == NULL && l->part == NULL);
        char *text = ROUND_TRIP(l);
        CHECK_STR(text, "{\"id\":1,\"title\":\"t\",\"tags\":[],\"packed_numbers\":[]}");
        free(text);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) l, NULL);
    }
    l = (Sifang__Test__Legacy *) EXPECT_OK(
        legacy_type, "{\"id\":2,\"title\":\"\",\"count\":0,\"note\":\"n\",\"blob\":\"\",\"level\":\"LOW\","
                     "\"plain\":\"p\",\"part\":{\"n\":3},\"tags\":[\"a\",\"b\"],\"choiceNumber\":4,"
                     "\"ratio\":0.5,\"flag\":false,\"big\":\"18446744073709551615\",\"packed_numbers\":[1,2]}");
    if (l) {
        CHECK(l->has_count && l->count == 0 && strcmp(l->note, "n") == 0);
        CHECK(l->has_blob && l->blob.len == 0 && l->has_level && l->level == SIFANG__TEST__LEVEL__LOW);
        CHECK(l->part && l->part->n == 3 && l->n_tags == 2);
        CHECK(l->choice_case == SIFANG__TEST__LEGACY__CHOICE_CHOICE_NUMBER && l->choice_number == 4);
        CHECK(l->has_ratio && l->has_flag && !l->flag && l->has_big && l->big == UINT64_MAX);
        char *text = ROUND_TRIP(l);
        CHECK_CONTAINS(text, "\"count\":0,\"note\":\"n\",\"blob\":\"\",\"level\":\"LOW\",\"plain\":\"p\"");
        CHECK_CONTAINS(text, "\"choice_number\":4");
        free(text);
        protobuf_c_message_free_unpacked((ProtobufCMessage *) l, NULL);
    }
    /* Unset optionals are left out, the default string is not freed. */
    Sifang__Test__Legacy built = SIFANG__TEST__LEGACY__INIT;
    built.id = 5;
    built.title = "x";
    built.choice_case = SIFANG__TEST__LEGACY__CHOICE_CHOICE_TEXT;
    built.choice_text = "c";
    char *text = ROUND_TRIP(&built);
    CHECK_STR(text, "{\"id\":5,\"title\":\"x\",\"tags\":[],\"choice_text\":\"c\",\"packed_numbers\":[]}");
    free(text);

    EXPECT_ERROR(legacy_type, "{\"id\":1}", "title", "required field is missing");
    EXPECT_ERROR(legacy_type, "{\"title\":\"t\"}", "id", "required field is missing");
    EXPECT_ERROR(legacy_type, "{\"id\":1,\"title\":null}", "title", "required field is null");
    EXPECT_ERROR(legacy_type, "{\"id\":1,\"title\":\"t\",\"part\":{}}", "part.n", "required field is missing");
    EXPECT_ERROR(legacy_type, "{\"id\":1,\"title\":\"t\",\"level\":\"MEDIUM\"}", "level", "unknown value");
    EXPECT_ERROR(legacy_type, "{\"choice_text\":\"a\",\"choice_number\":1,\"id\":1,\"title\":\"t\"}",
                 "choice_number", "choice_text is set too");
    /* Errors after owned values were set: all freed (LeakSanitizer checks). */
    EXPECT_ERROR(legacy_type, "{\"note\":\"n\",\"blob\":\"AAAA\",\"plain\":\"p\",\"part\":{\"n\":1},"
                              "\"tags\":[\"a\"],\"choice_text\":\"c\",\"id\":\"x\"}", "id", "not a number");
    EXPECT_ERROR(legacy_type, "{\"note\":\"n\",\"choice_text\":\"c\",\"id\":1}", "title", "required field is missing");
}

/* Every error raised after something was allocated: LeakSanitizer would flag
 * anything left behind at exit. */
static void
test_error_paths_free(void)
{
    EXPECT_ERROR(scalars_type, "{\"f_string\":\"abc\",\"f_bytes\":\"AAAA\",\"f_message\":{\"lat\":1},\"f_int32\":\"x\"}",
                 "f_int32", "not a number");
    EXPECT_ERROR(scalars_type, "{\"f_string\":\"abc\",\"f_message\":{\"lat\":1,\"x\":2}}", "f_message.x",
                 "unknown field");
    EXPECT_ERROR(repeated_type, "{\"r_string\":[\"a\",\"b\"],\"r_bytes\":[\"AAAA\",\"AA\"],"
                                "\"r_message\":[{},{}],\"r_int64\":[1,2],\"r_enum\":[\"RED\",\"NOPE\"]}",
                 "r_enum[1]", "unknown value");
    EXPECT_ERROR(repeated_type, "{\"r_message\":[{\"lat\":1},{\"lat\":2,\"lng\":\"w\"}]}", "r_message[1].lng",
                 "not a number");
    EXPECT_ERROR(zone_type, "{\"zone_code\":\"a\",\"members\":[{\"name\":\"a\"}],\"office\":{\"lat\":1},"
                            "\"counts\":[{\"key\":\"a\",\"value\":\"x\"}]}", "counts[0].value", "not a number");
    EXPECT_ERROR(zone_type, "{\"badge\":\"AAAA\",\"phone_number\":\"1\"}", "phone_number", "badge is set too");
    EXPECT_ERROR(zone_type, "{\"phone_number\":\"1\",\"members\":[{\"name\":\"a\"},{\"bad\":1}]}", "members[1].bad",
                 "unknown field");
    char *text = nested_nodes(33, true);
    CHECK(!parse(node_type, text));
    free(text);
}

/* ------------------------------------------------------------------------
 * Fuzz-ish: mutated texts must never crash, and whatever is accepted must
 * print and parse back to the same message.
 * ------------------------------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t) (rng_state >> 11);
}

static int accepted_count;

static void
check_any_text(const ProtobufCMessageDescriptor *descriptor, const char *text, size_t length)
{
    char field[64], error[64];
    ProtobufCMessage *m = sf_json_parse_message(descriptor, text, length, field, sizeof field, error, sizeof error);
    if (!m)
        return;
    accepted_count++;
    char *printed = sf_json_print_message(m, false);
    CHECK(printed != NULL);
    if (printed) {
        ProtobufCMessage *back = sf_json_parse_message(descriptor, printed, strlen(printed), field, sizeof field,
                                                       error, sizeof error);
        if (!back || !same_wire(m, back)) {
            fprintf(stderr, "fuzz: %.*s printed as %s did not come back (%s: %s)\n", (int) length, text, printed,
                    field, error);
            failures++;
        }
        protobuf_c_message_free_unpacked(back, NULL);
        free(printed);
    }
    protobuf_c_message_free_unpacked(m, NULL);
}

static const char *const fuzz_pieces[] = {
    "{", "}", "[", "]", "\"", ":", ",", "\\", "-", "0", "1", "9", "e", "E", ".", "+", "null", "true", "false",
    "\"NaN\"", "\"Infinity\"", "1e400", "9223372036854775808", "18446744073709551615", "-9007199254740993",
    "\\u0000", "\\ud800", "\xff", "\xc0\xaf", "\xe5\x9b\x9b", "\"AA==\"", "\"-_\"", "{}", "[]", "\"RED\"",
    "\"f_int64\":", "\"r_message\":[{", "\"child\":{", "\"office\":{", "\"phone_number\":\"1\",", " ", "\n",
    "\"value\":", "\"members\":[{\"name\":", "\"zoneCode\":", "1.0000000000000001", "\"id\":1,\"title\":\"t\"",
};

static const char *const fuzz_seeds[] = {
    "{\"f_int32\":-5,\"f_sint32\":\"-6\",\"f_sfixed32\":7,\"f_int64\":\"-9223372036854775808\",\"f_sint64\":1e18,"
    "\"f_uint32\":4294967295,\"f_uint64\":18446744073709551615,\"f_float\":1.5,\"f_double\":\"NaN\","
    "\"f_bool\":true,\"f_enum\":\"GREEN\",\"f_string\":\"四方\",\"f_bytes\":\"aGVsbG8=\",\"f_message\":{\"lat\":-90}}",
    "{\"r_int32\":[1,-2],\"r_int64\":[\"5\",6],\"r_float\":[0.5,\"-Infinity\"],\"r_bool\":[true],"
    "\"r_enum\":[\"RED\",2],\"r_string\":[\"a\",\"\"],\"r_bytes\":[\"AA==\",\"_-8\"],\"r_message\":[{\"lat\":1},{}]}",
    "{\"zone_code\":\"370203\",\"location\":{\"lat\":36.07,\"lng\":120.38},\"members\":[{\"name\":\"Li\","
    "\"household_count\":48},{\"name\":\"Wang\"}],\"office\":{\"lat\":1},\"counts\":[{\"key\":\"a\",\"value\":1}]}",
    "{\"child\":{\"child\":{\"value\":3,\"children\":[{\"value\":1},{\"child\":{}}]}},\"value\":1}",
    "{\"id\":2,\"title\":\"\",\"count\":0,\"note\":\"n\",\"blob\":\"\",\"level\":\"LOW\",\"part\":{\"n\":3},"
    "\"tags\":[\"a\"],\"choiceText\":\"x\",\"ratio\":0.5,\"flag\":false,\"big\":\"18446744073709551615\"}",
};

static void
test_fuzz(void)
{
    const ProtobufCMessageDescriptor *types[] = { scalars_type, repeated_type, zone_type, node_type, legacy_type };
    const size_t n_types = sizeof types / sizeof types[0];
    char text[4096];

    for (size_t s = 0; s < sizeof fuzz_seeds / sizeof fuzz_seeds[0]; s++)
        for (size_t t = 0; t < n_types; t++)
            check_any_text(types[t], fuzz_seeds[s], strlen(fuzz_seeds[s]));

    for (int round = 0; round < 6000; round++) {
        const char *seed = fuzz_seeds[rng() % (sizeof fuzz_seeds / sizeof fuzz_seeds[0])];
        size_t length = strlen(seed);
        memcpy(text, seed, length);
        int mutations = 1 + (int) (rng() % 4);
        for (int m = 0; m < mutations && length > 0; m++) {
            size_t at = rng() % (length + 1);
            switch (rng() % 5) {
            case 0:     /* replace a byte */
                if (at < length)
                    text[at] = (char) (rng() % 4 ? " {}[]\":,\\-0123456789eE.ntf"[rng() % 27] : (int) (rng() & 0xFF));
                break;
            case 1:     /* delete a run */
            {
                size_t run = 1 + rng() % 8;
                if (at + run > length)
                    run = length - at;
                memmove(text + at, text + at + run, length - at - run);
                length -= run;
                break;
            }
            case 2:     /* insert a piece */
            {
                const char *piece = fuzz_pieces[rng() % (sizeof fuzz_pieces / sizeof fuzz_pieces[0])];
                size_t n = strlen(piece);
                if (length + n >= sizeof text)
                    break;
                memmove(text + at + n, text + at, length - at);
                memcpy(text + at, piece, n);
                length += n;
                break;
            }
            case 3:     /* truncate */
                length = at;
                break;
            default:    /* duplicate a run */
            {
                size_t run = 1 + rng() % 32;
                if (at + run > length)
                    run = length - at;
                if (length + run >= sizeof text)
                    break;
                memmove(text + at + run, text + at, length - at);
                length += run;
                break;
            }
            }
        }
        /* Not NUL-terminated on purpose: the length must be respected. */
        check_any_text(types[rng() % n_types], text, length);
    }

    /* Random trees of the right keys with values of random kinds. */
    static const char *const values[] = {
        "0", "-1", "1.5", "1e3", "\"7\"", "\"RED\"", "\"GREEN\"", "2", "true", "false", "null", "\"\"", "\"AA==\"",
        "\"NaN\"", "{}", "[]", "[1,2]", "[\"a\"]", "[{}]", "{\"lat\":1}", "{\"n\":1}", "\"x\"", "-0", "4294967295",
        "9223372036854775807", "[true]", "[\"RED\",-7]", "[{\"key\":\"k\",\"value\":1}]", "{\"value\":1}",
    };
    for (int round = 0; round < 3000; round++) {
        const ProtobufCMessageDescriptor *type = types[rng() % n_types];
        size_t length = (size_t) sprintf(text, "{");
        int n_keys = (int) (rng() % 5);
        for (int k = 0; k < n_keys; k++) {
            const char *key = type->fields[rng() % type->n_fields].name;
            const char *value = values[rng() % (sizeof values / sizeof values[0])];
            length += (size_t) sprintf(text + length, "%s\"%s\":%s", k ? "," : "", key, value);
        }
        length += (size_t) sprintf(text + length, "}");
        check_any_text(type, text, length);
    }
    CHECK(accepted_count > 500);
    fprintf(stderr, "fuzz: %d texts accepted and round-tripped\n", accepted_count);
}

int
main(void)
{
    test_scalars_round_trip();
    test_defaults();
    test_every_type_in();
    test_repeated();
    test_nested_and_paths();
    test_oneof();
    test_enums();
    test_integers();
    test_base64();
    test_utf8();
    test_top_level();
    test_depth();
    test_proto2();
    test_error_paths_free();
    test_fuzz();
    if (failures) {
        fprintf(stderr, "sf_json_test: %d failures\n", failures);
        return 1;
    }
    fprintf(stderr, "sf_json_test: all passed\n");
    return 0;
}
