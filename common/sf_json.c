/* The protobuf <-> JSON codec of sf_json.h: walks protobuf-c's descriptors
 * field by field, so every message of every service maps the same way. */
#include "sf_json.h"
#include "sf_text.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* Our schemas nest a few levels; anything deeper is a loop or an attack, and
 * every level costs stack. */
#define SF_JSON_MAX_DEPTH 32

/* Below 2^53 a double holds every integer, so a JSON number read as a double
 * is exact; above it neighbouring integers collapse into one double. */
#define EXACT_DOUBLE_LIMIT 9007199254740992.0

/* Unknown keys and enum names are echoed in errors; cap what a client can
 * make us echo. */
#define ECHO_MAX 64

static const char *const type_names[] = {
    "int32", "sint32", "sfixed32", "int64", "sint64", "sfixed64", "uint32",
    "fixed32", "uint64", "fixed64", "float", "double", "bool", "enum",
    "string", "bytes", "message",
};

static const char *
type_name(ProtobufCType type)
{
    if ((unsigned) type < sizeof type_names / sizeof type_names[0])
        return type_names[type];
    return "value";
}

static void *
member_at(const void *message, unsigned offset)
{
    return (char *) message + offset;
}

/* Bytes a value takes in a message or a repeated array, as protobuf-c lays
 * it out (enums are 4-byte C enums, bools are protobuf_c_boolean). */
static size_t
element_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    }
    return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if it is
 * not one: overlong forms, surrogates and code points above U+10FFFF are
 * invalid, as in every strict decoder our clients use. */
static size_t
utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char lead = s[0], low = 0x80, high = 0xBF;
    size_t length;

    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        length = 2;
    else if (lead == 0xE0)
        length = 3, low = 0xA0;
    else if (lead == 0xED)
        length = 3, high = 0x9F;
    else if (lead >= 0xE1 && lead <= 0xEF)
        length = 3;
    else if (lead == 0xF0)
        length = 4, low = 0x90;
    else if (lead >= 0xF1 && lead <= 0xF3)
        length = 4;
    else if (lead == 0xF4)
        length = 4, high = 0x8F;
    else
        return 0;
    if (n < length || s[1] < low || s[1] > high)
        return 0;
    for (size_t i = 2; i < length; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return length;
}

static bool
utf8_valid(const char *text)
{
    const unsigned char *s = (const unsigned char *) text;
    size_t n = strlen(text);

    while (n > 0) {
        size_t length = utf8_sequence(s, n);
        if (length == 0)
            return false;
        s += length;
        n -= length;
    }
    return true;
}

/* Copies text into a caller's buffer, cut on a character boundary so a
 * truncated path or reason is still valid UTF-8. */
static void
copy_out(char *buffer, size_t size, const char *text)
{
    if (!buffer || size == 0)
        return;
    size_t n = sf_utf8_prefix(text, size - 1);
    memcpy(buffer, text, n);
    buffer[n] = '\0';
}

/* A client's text made safe to echo: at most ECHO_MAX bytes, invalid UTF-8
 * and control characters replaced by '?'. */
static void
echo_text(char *buffer, size_t size, const char *text)
{
    const unsigned char *s = (const unsigned char *) text;
    size_t n = strlen(text), used = 0;

    while (n > 0) {
        size_t length = utf8_sequence(s, n);
        const unsigned char *piece = s;
        size_t piece_length = length;
        if (length == 0 || *s < 0x20 || *s == 0x7F) {
            piece = (const unsigned char *) "?";
            piece_length = 1;
            length = 1;
        }
        if (used + piece_length > ECHO_MAX || used + piece_length >= size) {
            if (used + 3 < size) {
                memcpy(buffer + used, "...", 3);
                used += 3;
            }
            break;
        }
        memcpy(buffer + used, piece, piece_length);
        used += piece_length;
        s += length;
        n -= length;
    }
    buffer[used] = '\0';
}

/* ------------------------------------------------------------------------
 * Message -> JSON
 * ------------------------------------------------------------------------ */

static cJSON *encode_message(const ProtobufCMessage *message, int depth);

/* The shortest "%.*g" text that reads back as exactly value. */
static void
shortest_double(double value, char *buffer, size_t size)
{
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(buffer, size, "%.*g", precision, value);
        if (strtod(buffer, NULL) == value)
            return;
    }
}

/* Converts to float as IEEE rounding does, without the undefined behaviour of
 * casting a double beyond the float range; false when it is out of range. */
static bool
float_from_double(double value, float *out)
{
    /* Halfway between FLT_MAX and 2^128: anything below rounds to FLT_MAX. */
    static const double float_overflow = 0x1.ffffffp+127;

    if (isnan(value) || isinf(value) || fabs(value) <= FLT_MAX) {
        *out = (float) value;
        return true;
    }
    if (fabs(value) < float_overflow) {
        *out = value < 0 ? -FLT_MAX : FLT_MAX;
        return true;
    }
    return false;
}

/* A number node that prints as exactly value. cJSON prints 15 significant
 * digits whenever they are "close enough" to the double, which loses int64s
 * and doubles; such values become raw nodes holding the exact text (text if
 * the caller has it, else the shortest round-trip form). */
static cJSON *
exact_number(double value, const char *text)
{
    char printed[64];

    /* cJSON prints these with %d. */
    if (value == trunc(value) && fabs(value) <= INT_MAX && !(value == 0 && signbit(value)))
        return cJSON_CreateNumber(value);

    cJSON *node = cJSON_CreateNumber(value);
    if (!node)
        return NULL;
    if (cJSON_PrintPreallocated(node, printed, (int) sizeof printed, false)) {
        char *end;
        double back = strtod(printed, &end);
        if (*end == '\0' && back == value && !signbit(back) == !signbit(value))
            return node;
    }
    cJSON_Delete(node);
    if (!text) {
        shortest_double(value, printed, sizeof printed);
        text = printed;
    }
    return cJSON_CreateRaw(text);
}

/* JSON has no NaN or infinities; proto3's mapping spells them as strings. */
static cJSON *
special_number(double value)
{
    if (isnan(value))
        return cJSON_CreateString("NaN");
    return cJSON_CreateString(value < 0 ? "-Infinity" : "Infinity");
}

static cJSON *
double_node(double value)
{
    if (!isfinite(value))
        return special_number(value);
    return exact_number(value, NULL);
}

/* Floats print as the shortest decimal that reads back as the same float
 * (0.1f as 0.1, not 0.10000000149011612). */
static cJSON *
float_node(float value)
{
    char text[32];
    double decimal = value;

    if (!isfinite(value))
        return special_number(value);
    for (int precision = 1; precision <= 9; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, (double) value);
        float back;
        decimal = strtod(text, NULL);
        if (float_from_double(decimal, &back) && back == value)
            break;
    }
    return exact_number(decimal, text);
}

static cJSON *
int64_node(int64_t value)
{
    char text[24];

    snprintf(text, sizeof text, "%" PRId64, value);
    if (value > -EXACT_DOUBLE_LIMIT && value < EXACT_DOUBLE_LIMIT)
        return exact_number((double) value, text);
    return cJSON_CreateRaw(text);
}

static cJSON *
uint64_node(uint64_t value)
{
    char text[24];

    snprintf(text, sizeof text, "%" PRIu64, value);
    if (value < EXACT_DOUBLE_LIMIT)
        return exact_number((double) value, text);
    return cJSON_CreateRaw(text);
}

/* A string from a peer is not guaranteed UTF-8; JSON must be, so invalid
 * bytes become U+FFFD rather than failing the whole reply. */
static cJSON *
string_node(const char *text)
{
    if (!text)
        text = "";
    if (utf8_valid(text))
        return cJSON_CreateString(text);

    size_t n = strlen(text);
    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    char *clean = malloc(3 * n + 1);
    if (!clean)
        return NULL;
    const unsigned char *s = (const unsigned char *) text;
    size_t used = 0;
    while (n > 0) {
        size_t length = utf8_sequence(s, n);
        if (length == 0) {
            memcpy(clean + used, "\xEF\xBF\xBD", 3);
            used += 3;
            length = 1;
        } else {
            memcpy(clean + used, s, length);
            used += length;
        }
        s += length;
        n -= length;
    }
    clean[used] = '\0';
    cJSON *node = cJSON_CreateString(clean);
    free(clean);
    return node;
}

static cJSON *
bytes_node(const ProtobufCBinaryData *bytes)
{
    if (bytes->len == 0 || !bytes->data)
        return cJSON_CreateString("");
    if (bytes->len > SIZE_MAX / 2)
        return NULL;
    size_t size = sodium_base64_encoded_len(bytes->len, sodium_base64_VARIANT_ORIGINAL);
    char *text = malloc(size);
    if (!text)
        return NULL;
    sodium_bin2base64(text, size, bytes->data, bytes->len, sodium_base64_VARIANT_ORIGINAL);
    cJSON *node = cJSON_CreateString(text);
    free(text);
    return node;
}

/* One value of field f stored at slot (a message member or an element of a
 * repeated array). */
static cJSON *
encode_value(const ProtobufCFieldDescriptor *f, const void *slot, int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: {
        int32_t value;
        memcpy(&value, slot, sizeof value);
        return cJSON_CreateNumber(value);
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        uint32_t value;
        memcpy(&value, slot, sizeof value);
        return exact_number(value, NULL);
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t value;
        memcpy(&value, slot, sizeof value);
        return int64_node(value);
    }
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t value;
        memcpy(&value, slot, sizeof value);
        return uint64_node(value);
    }
    case PROTOBUF_C_TYPE_FLOAT: {
        float value;
        memcpy(&value, slot, sizeof value);
        return float_node(value);
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        double value;
        memcpy(&value, slot, sizeof value);
        return double_node(value);
    }
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean value;
        memcpy(&value, slot, sizeof value);
        return cJSON_CreateBool(value != 0);
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t value;
        memcpy(&value, slot, sizeof value);
        /* A value this build does not know (a newer peer's) stays a number. */
        const ProtobufCEnumValue *known = protobuf_c_enum_descriptor_get_value(f->descriptor, value);
        return known ? cJSON_CreateString(known->name) : cJSON_CreateNumber(value);
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *value;
        memcpy(&value, slot, sizeof value);
        return string_node(value);
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData value;
        memcpy(&value, slot, sizeof value);
        return bytes_node(&value);
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *value;
        memcpy(&value, slot, sizeof value);
        return value ? encode_message(value, depth + 1) : cJSON_CreateObject();
    }
    }
    return cJSON_CreateNull();
}

/* Whether a singular field is set, decided as protobuf-c's packer decides it,
 * so the JSON shows what the wire would carry. */
static bool
field_present(const ProtobufCMessage *message, const ProtobufCFieldDescriptor *f)
{
    const void *slot = member_at(message, f->offset);
    const void *pointer = NULL;

    if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
        memcpy(&pointer, slot, sizeof pointer);
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t chosen;
        memcpy(&chosen, member_at(message, f->quantifier_offset), sizeof chosen);
        if (chosen != f->id)
            return false;
        return (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) || pointer;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return pointer != NULL;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
        if (f->type == PROTOBUF_C_TYPE_STRING)
            return pointer && pointer != f->default_value;
        protobuf_c_boolean has;
        memcpy(&has, member_at(message, f->quantifier_offset), sizeof has);
        return has != 0;
    }
    /* proto3 scalars and proto2 required fields always show, defaults too. */
    return true;
}

static cJSON *
encode_repeated(const ProtobufCMessage *message, const ProtobufCFieldDescriptor *f, int depth)
{
    size_t count;
    const char *elements;
    size_t size = element_size(f->type);

    memcpy(&count, member_at(message, f->quantifier_offset), sizeof count);
    memcpy(&elements, member_at(message, f->offset), sizeof elements);
    cJSON *array = cJSON_CreateArray();
    if (!array || !elements)
        return array;
    for (size_t i = 0; i < count; i++) {
        const void *slot = elements + i * size;
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            const void *element;
            memcpy(&element, slot, sizeof element);
            if (!element)
                continue;   /* not a valid message; nothing to show */
        }
        cJSON *item = encode_value(f, slot, depth);
        if (!item || !cJSON_AddItemToArray(array, item)) {
            cJSON_Delete(item);
            cJSON_Delete(array);
            return NULL;
        }
    }
    return array;
}

static cJSON *
encode_message(const ProtobufCMessage *message, int depth)
{
    if (depth > SF_JSON_MAX_DEPTH)
        return NULL;
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    cJSON *object = cJSON_CreateObject();
    if (!object)
        return NULL;
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &descriptor->fields[i];
        cJSON *item;
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            item = encode_repeated(message, f, depth);
        else if (field_present(message, f))
            item = encode_value(f, member_at(message, f->offset), depth);
        else
            continue;
        if (!item || !cJSON_AddItemToObject(object, f->name, item)) {
            cJSON_Delete(item);
            cJSON_Delete(object);
            return NULL;
        }
    }
    return object;
}

cJSON *
sf_json_from_message(const ProtobufCMessage *message)
{
    if (!message || !message->descriptor)
        return NULL;
    return encode_message(message, 1);
}

char *
sf_json_print_message(const ProtobufCMessage *message, bool pretty)
{
    cJSON *json = sf_json_from_message(message);
    if (!json)
        return NULL;
    char *text = pretty ? cJSON_Print(json) : cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    return text;
}

/* ------------------------------------------------------------------------
 * JSON -> message
 * ------------------------------------------------------------------------ */

/* Where the decoder stands and, once it failed, where and why. */
typedef struct {
    char path[256];         /* dotted path of the field being decoded */
    size_t path_length;
    char error_path[256];
    char reason[256];
} decoder_t;

/* Appends a piece to the path, whole UTF-8 sequences only, so a truncated
 * path stays valid. Returns the length to restore with path_pop. */
static size_t
path_append(decoder_t *d, const char *piece)
{
    size_t saved = d->path_length;
    size_t n = sf_utf8_prefix(piece, sizeof d->path - 1 - d->path_length);
    memcpy(d->path + d->path_length, piece, n);
    d->path_length += n;
    d->path[d->path_length] = '\0';
    return saved;
}

static size_t
path_push_name(decoder_t *d, const char *name)
{
    size_t saved = d->path_length;
    if (saved > 0)
        path_append(d, ".");
    path_append(d, name);
    return saved;
}

static size_t
path_push_index(decoder_t *d, size_t index)
{
    char piece[32];
    snprintf(piece, sizeof piece, "[%zu]", index);
    return path_append(d, piece);
}

static void
path_pop(decoder_t *d, size_t saved)
{
    d->path_length = saved;
    d->path[saved] = '\0';
}

/* Records the first failure with the current path; always false, so callers
 * can `return fail(...)`. */
static bool __attribute__((format(printf, 2, 3)))
fail(decoder_t *d, const char *format, ...)
{
    va_list args;

    memcpy(d->error_path, d->path, d->path_length + 1);
    va_start(args, format);
    sf_text_vformat(d->reason, sizeof d->reason, format, args);   /* it may echo a value */
    va_end(args);
    return false;
}

/* A string or raw node's text; "" for a hand-built node without one. */
static const char *
text_of(const cJSON *value)
{
    return value->valuestring ? value->valuestring : "";
}

static const char *
json_kind(const cJSON *value)
{
    if (cJSON_IsNull(value))
        return "null";
    if (cJSON_IsBool(value))
        return "a boolean";
    if (cJSON_IsNumber(value) || cJSON_IsRaw(value))
        return "a number";
    if (cJSON_IsString(value))
        return "a string";
    if (cJSON_IsArray(value))
        return "an array";
    if (cJSON_IsObject(value))
        return "an object";
    return "an invalid value";
}

/* Whether key is the lowerCamelCase json_name protoc derives from name:
 * underscores dropped, the character after each one upper-cased. */
static bool
json_name_matches(const char *name, const char *key)
{
    bool upper_next = false;

    for (; *name; name++) {
        char c = *name;
        if (c == '_') {
            upper_next = true;
            continue;
        }
        if (upper_next && c >= 'a' && c <= 'z')
            c = (char) (c - 'a' + 'A');
        upper_next = false;
        if (*key++ != c)
            return false;
    }
    return *key == '\0';
}

static const ProtobufCFieldDescriptor *
find_field(const ProtobufCMessageDescriptor *descriptor, const char *key)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(descriptor, key);
    if (f)
        return f;
    for (unsigned i = 0; i < descriptor->n_fields; i++)
        if (json_name_matches(descriptor->fields[i].name, key))
            return &descriptor->fields[i];
    return NULL;
}

/* A JSON number's text split into its parts; false unless text is exactly
 * the JSON grammar (no '+', no leading zeros, no spaces, no hex). */
typedef struct {
    bool negative;
    const char *integer;    /* digits before the point */
    size_t integer_length;
    const char *fraction;   /* digits after it */
    size_t fraction_length;
    long long exponent;     /* saturated far beyond any meaningful value */
} number_parts_t;

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
number_split(const char *text, number_parts_t *parts)
{
    const char *p = text;

    memset(parts, 0, sizeof *parts);
    parts->fraction = "";
    if (*p == '-') {
        parts->negative = true;
        p++;
    }
    if (!is_digit(*p) || (*p == '0' && is_digit(p[1])))
        return false;
    parts->integer = p;
    while (is_digit(*p))
        p++;
    parts->integer_length = (size_t) (p - parts->integer);
    if (*p == '.') {
        p++;
        if (!is_digit(*p))
            return false;
        parts->fraction = p;
        while (is_digit(*p))
            p++;
        parts->fraction_length = (size_t) (p - parts->fraction);
    }
    if (*p == 'e' || *p == 'E') {
        bool negative = false;
        p++;
        if (*p == '+' || *p == '-')
            negative = *p++ == '-';
        if (!is_digit(*p))
            return false;
        for (; is_digit(*p); p++)
            if (parts->exponent < 1000000000000000LL)
                parts->exponent = parts->exponent * 10 + (*p - '0');
        if (negative)
            parts->exponent = -parts->exponent;
    }
    return *p == '\0';
}

/* The exact integer a JSON number's text denotes (1e3 and 5.0 are integers,
 * 1.5 is not); NULL on success, else the reason. */
static const char *
text_integer(const char *text, bool *negative, uint64_t *magnitude)
{
    number_parts_t parts;

    if (!number_split(text, &parts))
        return "not a number";
    *negative = parts.negative;
    *magnitude = 0;

    /* Value = digits * 10^scale over the integer and fraction digits. */
    size_t total = parts.integer_length + parts.fraction_length;
#define DIGIT(i) ((i) < parts.integer_length ? parts.integer[i] : parts.fraction[(i) - parts.integer_length])
    size_t first = 0, last = total;
    while (first < total && DIGIT(first) == '0')
        first++;
    if (first == total)
        return NULL;    /* zero, whatever the exponent */
    while (DIGIT(last - 1) == '0')
        last--;
    long long scale = parts.exponent - (long long) parts.fraction_length + (long long) (total - last);
    if (scale < 0)
        return "not an integer";
    if ((long long) (last - first) + scale > 20)
        return "out of range";
    uint64_t value = 0;
    for (size_t i = first; i < last; i++) {
        unsigned digit = (unsigned) (DIGIT(i) - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return "out of range";
        value = value * 10 + digit;
    }
#undef DIGIT
    for (long long i = 0; i < scale; i++) {
        if (value > UINT64_MAX / 10)
            return "out of range";
        value *= 10;
    }
    *magnitude = value;
    return NULL;
}

/* Reads an integer field's value: a JSON number, or a decimal string (proto3
 * JSON sends 64-bit integers as strings so that JavaScript keeps them whole).
 * Numbers given as text (raw nodes, see sf_json_parse_message) are exact;
 * plain cJSON numbers are doubles, exact only below 2^53. */
static bool
decode_integer(decoder_t *d, const cJSON *value, ProtobufCType type, bool is_signed, unsigned bits,
               int64_t *signed_out, uint64_t *unsigned_out)
{
    bool negative;
    uint64_t magnitude;
    bool inexact = false;

    if (cJSON_IsString(value) || cJSON_IsRaw(value)) {
        const char *reason = text_integer(text_of(value), &negative, &magnitude);
        if (reason)
            return fail(d, "%s for %s", reason, type_name(type));
    } else if (cJSON_IsNumber(value)) {
        double number = value->valuedouble;
        if (isnan(number))
            return fail(d, "not a number for %s", type_name(type));
        if (isinf(number) || fabs(number) >= 18446744073709551616.0)
            return fail(d, "out of range for %s", type_name(type));
        if (number != trunc(number))
            return fail(d, "not an integer for %s", type_name(type));
        negative = number < 0;
        magnitude = (uint64_t) fabs(number);
        inexact = fabs(number) >= EXACT_DOUBLE_LIMIT;
    } else {
        return fail(d, "expected an integer (%s), got %s", type_name(type), json_kind(value));
    }

    bool in_range;
    if (is_signed) {
        uint64_t limit = (uint64_t) 1 << (bits - 1);
        in_range = negative ? magnitude <= limit : magnitude < limit;
    } else {
        uint64_t limit = bits == 64 ? UINT64_MAX : ((uint64_t) 1 << bits) - 1;
        in_range = (!negative || magnitude == 0) && magnitude <= limit;
    }
    if (!in_range)
        return fail(d, "out of range for %s", type_name(type));
    if (inexact)
        return fail(d, "%s beyond 2^53 is not exact as a JSON number; send it as a string",
                    type_name(type));

    if (is_signed) {
        if (negative)
            *signed_out = magnitude == (uint64_t) 1 << 63 ? INT64_MIN : -(int64_t) magnitude;
        else
            *signed_out = (int64_t) magnitude;
    } else {
        *unsigned_out = magnitude;
    }
    return true;
}

/* Reads a float or double: a number, a numeric string, or "NaN",
 * "Infinity", "-Infinity" as proto3 JSON spells those. */
static bool
decode_floating(decoder_t *d, const cJSON *value, ProtobufCType type, double *out)
{
    double number;

    if (cJSON_IsNumber(value)) {
        number = value->valuedouble;
        /* cJSON turns 1e400 into infinity: the client did not ask for one. */
        if (!isfinite(number))
            return fail(d, "out of range for %s", type_name(type));
    } else if (cJSON_IsString(value) || cJSON_IsRaw(value)) {
        const char *text = text_of(value);
        number_parts_t parts;
        if (cJSON_IsString(value) && strcmp(text, "NaN") == 0)
            number = NAN;
        else if (cJSON_IsString(value) && strcmp(text, "Infinity") == 0)
            number = INFINITY;
        else if (cJSON_IsString(value) && strcmp(text, "-Infinity") == 0)
            number = -INFINITY;
        else if (!number_split(text, &parts))
            return fail(d, "not a number for %s", type_name(type));
        else {
            number = strtod(text, NULL);
            if (isinf(number))
                return fail(d, "out of range for %s", type_name(type));
        }
    } else {
        return fail(d, "expected a number (%s), got %s", type_name(type), json_kind(value));
    }
    if (type == PROTOBUF_C_TYPE_FLOAT) {
        float narrow;
        if (!float_from_double(number, &narrow))
            return fail(d, "out of range for float");
    }
    *out = number;
    return true;
}

/* Bytes from base64, standard or URL-safe alphabet, padded or not. */
static bool
decode_base64(decoder_t *d, const char *text, ProtobufCBinaryData *out)
{
    size_t n = strlen(text), padding = 0;

    while (n > 0 && text[n - 1] == '=' && padding < 2) {
        n--;
        padding++;
    }
    if ((padding > 0 && (n + padding) % 4 != 0) || n % 4 == 1)
        return fail(d, "invalid base64");
    out->len = 0;
    out->data = NULL;
    if (n == 0)
        return true;

    bool url_safe = memchr(text, '-', n) || memchr(text, '_', n);
    int variant = url_safe ? sodium_base64_VARIANT_URLSAFE_NO_PADDING
                           : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    size_t capacity = n / 4 * 3 + 2;
    unsigned char *data = malloc(capacity);
    if (!data)
        return fail(d, "out of memory");
    size_t length = 0;
    /* No b64_end: the whole text must decode, stray characters included. */
    if (sodium_base642bin(data, capacity, text, n, NULL, &length, NULL, variant) != 0) {
        free(data);
        return fail(d, "invalid base64");
    }
    if (length == 0) {
        free(data);
        return true;
    }
    out->data = data;
    out->len = length;
    return true;
}

static ProtobufCMessage *decode_message(decoder_t *d, const ProtobufCMessageDescriptor *descriptor,
                                        const cJSON *object, int depth);

/* Any one value of any field type; large enough for each. */
typedef union {
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    float f;
    double g;
    protobuf_c_boolean b;
    char *string;
    ProtobufCBinaryData bytes;
    ProtobufCMessage *message;
} value_t;

/* Decodes one value of field f into *out. Only on success does *out own
 * anything (a string, bytes data, a message), so a failure leaves nothing to
 * free. */
static bool
decode_value(decoder_t *d, const ProtobufCFieldDescriptor *f, const cJSON *value, value_t *out, int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: {
        int64_t number;
        if (!decode_integer(d, value, f->type, true, 32, &number, NULL))
            return false;
        out->i32 = (int32_t) number;
        return true;
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        uint64_t number;
        if (!decode_integer(d, value, f->type, false, 32, NULL, &number))
            return false;
        out->u32 = (uint32_t) number;
        return true;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return decode_integer(d, value, f->type, true, 64, &out->i64, NULL);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return decode_integer(d, value, f->type, false, 64, NULL, &out->u64);
    case PROTOBUF_C_TYPE_FLOAT: {
        double number;
        if (!decode_floating(d, value, f->type, &number))
            return false;
        return float_from_double(number, &out->f);
    }
    case PROTOBUF_C_TYPE_DOUBLE:
        return decode_floating(d, value, f->type, &out->g);
    case PROTOBUF_C_TYPE_BOOL:
        if (!cJSON_IsBool(value))
            return fail(d, "expected true or false, got %s", json_kind(value));
        out->b = cJSON_IsTrue(value) ? 1 : 0;
        return true;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *type = f->descriptor;
        if (cJSON_IsString(value)) {
            const ProtobufCEnumValue *known =
                protobuf_c_enum_descriptor_get_value_by_name(type, text_of(value));
            if (!known) {
                char echo[ECHO_MAX + 4];
                echo_text(echo, sizeof echo, text_of(value));
                return fail(d, "unknown value \"%s\" of enum %s", echo, type->name);
            }
            out->i32 = known->value;
            return true;
        }
        if (cJSON_IsNumber(value) || cJSON_IsRaw(value)) {
            /* Numbers pass through unchecked, as proto3 keeps values a newer
             * peer added; the output writes them back as numbers. */
            int64_t number;
            if (!decode_integer(d, value, PROTOBUF_C_TYPE_ENUM, true, 32, &number, NULL))
                return false;
            out->i32 = (int32_t) number;
            return true;
        }
        return fail(d, "expected an enum value name of %s, got %s", type->name, json_kind(value));
    }
    case PROTOBUF_C_TYPE_STRING:
        if (!cJSON_IsString(value))
            return fail(d, "expected a string, got %s", json_kind(value));
        if (!utf8_valid(text_of(value)))
            return fail(d, "invalid UTF-8");
        out->string = strdup(text_of(value));
        if (!out->string)
            return fail(d, "out of memory");
        return true;
    case PROTOBUF_C_TYPE_BYTES:
        if (!cJSON_IsString(value))
            return fail(d, "expected a base64 string, got %s", json_kind(value));
        return decode_base64(d, text_of(value), &out->bytes);
    case PROTOBUF_C_TYPE_MESSAGE:
        out->message = decode_message(d, f->descriptor, value, depth + 1);
        return out->message != NULL;
    }
    return fail(d, "unsupported field type");
}

/* Decodes a repeated field into its n_ count and array. The array is in the
 * message from the start and the count grows with each element decoded, so a
 * failure midway leaves a message protobuf_c_message_free_unpacked frees
 * whole. */
static bool
decode_repeated(decoder_t *d, ProtobufCMessage *message, const ProtobufCFieldDescriptor *f,
                const cJSON *array, int depth)
{
    if (!cJSON_IsArray(array))
        return fail(d, "expected an array, got %s", json_kind(array));
    size_t count = 0;
    for (const cJSON *item = array->child; item; item = item->next)
        count++;
    if (count == 0)
        return true;

    size_t size = element_size(f->type);
    if (size == 0)
        return fail(d, "unsupported field type");
    if (count > SIZE_MAX / size)
        return fail(d, "too many elements");
    char *elements = calloc(count, size);
    if (!elements)
        return fail(d, "out of memory");
    memcpy(member_at(message, f->offset), &elements, sizeof elements);

    size_t decoded = 0;
    for (const cJSON *item = array->child; item; item = item->next) {
        size_t saved = path_push_index(d, decoded);
        value_t value;
        bool ok;
        if (cJSON_IsNull(item))
            ok = fail(d, "null is not allowed in a repeated field");
        else
            ok = decode_value(d, f, item, &value, depth);
        path_pop(d, saved);
        if (!ok)
            return false;
        memcpy(elements + decoded * size, &value, size);
        decoded++;
        memcpy(member_at(message, f->quantifier_offset), &decoded, sizeof decoded);
    }
    return true;
}

static bool
decode_field(decoder_t *d, ProtobufCMessage *message, const ProtobufCFieldDescriptor *f,
             const cJSON *value, int depth)
{
    if (cJSON_IsNull(value)) {
        if (f->label == PROTOBUF_C_LABEL_REQUIRED)
            return fail(d, "required field is null");
        return true;    /* null means the default: leave it as init set it */
    }
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return decode_repeated(d, message, f, value, depth);

    bool oneof = (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
    if (oneof) {
        uint32_t chosen;
        memcpy(&chosen, member_at(message, f->quantifier_offset), sizeof chosen);
        if (chosen != 0) {
            const ProtobufCFieldDescriptor *other =
                protobuf_c_message_descriptor_get_field(message->descriptor, chosen);
            return fail(d, "only one field of the oneof may be set, and %s is set too",
                        other ? other->name : "another");
        }
    }

    value_t decoded;
    if (!decode_value(d, f, value, &decoded, depth))
        return false;
    /* Duplicate keys are refused before this, so the slot holds only init's
     * default, which is not ours to free. */
    memcpy(member_at(message, f->offset), &decoded, element_size(f->type));
    if (oneof) {
        uint32_t chosen = f->id;
        memcpy(member_at(message, f->quantifier_offset), &chosen, sizeof chosen);
    } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING
               && f->type != PROTOBUF_C_TYPE_MESSAGE) {
        protobuf_c_boolean has = 1;
        memcpy(member_at(message, f->quantifier_offset), &has, sizeof has);
    }
    return true;
}

static ProtobufCMessage *
decode_message(decoder_t *d, const ProtobufCMessageDescriptor *descriptor, const cJSON *object, int depth)
{
    unsigned char seen_few[128];
    unsigned char *seen = seen_few;
    ProtobufCMessage *message;

    if (depth > SF_JSON_MAX_DEPTH) {
        fail(d, "nested deeper than %d messages", SF_JSON_MAX_DEPTH);
        return NULL;
    }
    if (!cJSON_IsObject(object)) {
        fail(d, "expected an object (%s), got %s", descriptor->name, json_kind(object));
        return NULL;
    }
    message = malloc(descriptor->sizeof_message);
    if (!message) {
        fail(d, "out of memory");
        return NULL;
    }
    /* From here on the message is whole: free_unpacked can free any state. */
    protobuf_c_message_init(descriptor, message);
    if (descriptor->n_fields > sizeof seen_few)
        seen = calloc(descriptor->n_fields, 1);
    else
        memset(seen_few, 0, sizeof seen_few);
    if (!seen) {
        fail(d, "out of memory");
        goto error;
    }

    for (const cJSON *member = object->child; member; member = member->next) {
        const char *key = member->string ? member->string : "";
        const ProtobufCFieldDescriptor *f = find_field(descriptor, key);
        if (!f) {
            char echo[ECHO_MAX + 4];
            echo_text(echo, sizeof echo, key);
            size_t saved = path_push_name(d, echo);
            fail(d, "unknown field");
            path_pop(d, saved);
            goto error;
        }
        size_t index = (size_t) (f - descriptor->fields);
        size_t saved = path_push_name(d, f->name);
        bool ok;
        if (seen[index])
            ok = fail(d, "given more than once");
        else {
            seen[index] = 1;
            ok = decode_field(d, message, f, member, depth);
        }
        path_pop(d, saved);
        if (!ok)
            goto error;
    }
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        if (descriptor->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && !seen[i]) {
            size_t saved = path_push_name(d, descriptor->fields[i].name);
            fail(d, "required field is missing");
            path_pop(d, saved);
            goto error;
        }
    }
    if (seen != seen_few)
        free(seen);
    return message;

error:
    protobuf_c_message_free_unpacked(message, NULL);
    if (seen != seen_few)
        free(seen);
    return NULL;
}

ProtobufCMessage *
sf_json_to_message(const ProtobufCMessageDescriptor *descriptor, const cJSON *json,
                   char *field, size_t field_size, char *error, size_t error_size)
{
    decoder_t d;
    ProtobufCMessage *message = NULL;

    d.path[0] = d.error_path[0] = d.reason[0] = '\0';
    d.path_length = 0;
    copy_out(field, field_size, "");
    copy_out(error, error_size, "");
    if (!descriptor || descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
        fail(&d, "no message descriptor");
    else if (!json)
        fail(&d, "no JSON value");
    else
        message = decode_message(&d, descriptor, json, 1);
    if (!message) {
        copy_out(field, field_size, d.error_path);
        copy_out(error, error_size, d.reason);
    }
    return message;
}

/* ------------------------------------------------------------------------
 * JSON text -> message
 * ------------------------------------------------------------------------ */

/* Finds number literals in JSON text in document order, which is the order
 * of number nodes in a pre-order walk of the tree cJSON built from it. */
typedef struct {
    const char *at;
    const char *end;
    bool lost;      /* text and tree disagreed: stop pairing them */
} number_scan_t;

static bool
scan_next_number(number_scan_t *scan, const char **start, size_t *length)
{
    const char *p = scan->at;

    while (p < scan->end) {
        if (*p == '"') {
            for (p++; p < scan->end && *p != '"'; p += *p == '\\' ? 2 : 1)
                ;
            p++;
        } else if (*p == '-' || is_digit(*p)) {
            *start = p;
            while (p < scan->end && *p && strchr("0123456789+-eE.", *p))
                p++;
            *length = (size_t) (p - *start);
            scan->at = p;
            return true;
        } else {
            p++;
        }
    }
    scan->at = scan->end;
    return false;
}

/* cJSON keeps numbers only as doubles, and takes what strtod takes (01,
 * 1.). Literals outside JSON's grammar are refused here; where the double
 * may not be what the client wrote (more than 15 digits, or a point or
 * exponent behind an integral value: 1.0000000000000001), the node becomes a
 * raw node holding the literal, which the decoder reads exactly. */
typedef enum { KEEP_OK, KEEP_NO_MEMORY, KEEP_BAD_NUMBER } keep_result_t;

static keep_result_t
keep_number_text(cJSON *node, number_scan_t *scan, const char **bad)
{
    for (; node && !scan->lost; node = node->next) {
        if (cJSON_IsNumber(node)) {
            const char *start;
            size_t length;
            char literal[64];
            number_parts_t parts;
            if (!scan_next_number(scan, &start, &length)) {
                scan->lost = true;
                return KEEP_OK;
            }
            /* cJSON reads at most 63 characters of a number. */
            if (length >= sizeof literal)
                length = sizeof literal - 1;
            memcpy(literal, start, length);
            literal[length] = '\0';
            if (!number_split(literal, &parts)) {
                *bad = start;
                return KEEP_BAD_NUMBER;
            }
            double value = node->valuedouble;
            if (strtod(literal, NULL) != value) {
                scan->lost = true;
                return KEEP_OK;
            }
            bool integral = isfinite(value) && value == trunc(value);
            bool literal_needed = length > 15 || strpbrk(literal, ".eE");
            if (!integral || !literal_needed)
                continue;
            char *text = cJSON_malloc(length + 1);
            if (!text)
                return KEEP_NO_MEMORY;
            memcpy(text, literal, length + 1);
            node->type = cJSON_Raw;
            node->valuestring = text;
        } else if (node->child) {
            keep_result_t result = keep_number_text(node->child, scan, bad);
            if (result != KEEP_OK)
                return result;
        }
    }
    return KEEP_OK;
}

/* cJSON ends a string at \u0000, silently truncating it; refuse instead.
 * Any "\u0000" escape inside a string, for a text the scan below could not
 * follow. */
static bool
has_escaped_nul(const char *text, size_t length)
{
    const char *p = text, *end = text + length;

    while (p < end) {
        if (*p++ != '"')
            continue;
        while (p < end && *p != '"') {
            if (*p == '\\') {
                if (end - p >= 6 && memcmp(p, "\\u0000", 6) == 0)
                    return true;
                p += 2;
            } else {
                p++;
            }
        }
        p++;
    }
    return false;
}

/* A walk over JSON text that keeps the path of the value it is in, to name
 * the string holding \u0000. */
typedef struct {
    const char *p, *end;
    char path[256];
    size_t length;
} nul_scan_t;

typedef enum { SCAN_CLEAN, SCAN_NUL, SCAN_MALFORMED } scan_result_t;

static void
scan_space(nul_scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
        s->p++;
}

/* Appends to the path, cut on a character boundary when it does not fit. */
static void
scan_push(nul_scan_t *s, const char *text, size_t length)
{
    size_t room = sizeof s->path - 1 - s->length;
    char piece[sizeof s->path];
    length = length < room ? length : room;
    memcpy(piece, text, length);
    piece[length] = 0;
    length = sf_utf8_prefix(piece, length);
    memcpy(s->path + s->length, piece, length);
    s->length += length;
    s->path[s->length] = 0;
}

/* A string at s->p; its raw text (escapes as written) in start/length. */
static scan_result_t
scan_string(nul_scan_t *s, const char **start, size_t *length)
{
    if (s->p >= s->end || *s->p != '"')
        return SCAN_MALFORMED;
    *start = ++s->p;
    bool nul = false;
    while (s->p < s->end && *s->p != '"') {
        if (*s->p == '\\') {
            if (s->end - s->p >= 6 && memcmp(s->p, "\\u0000", 6) == 0)
                nul = true;
            s->p += 2;
        } else
            s->p++;
    }
    if (s->p >= s->end)
        return SCAN_MALFORMED;
    *length = (size_t) (s->p - *start);
    s->p++;
    return nul ? SCAN_NUL : SCAN_CLEAN;
}

static scan_result_t
scan_value(nul_scan_t *s, int depth)
{
    scan_space(s);
    if (s->p >= s->end || depth > 64)
        return SCAN_MALFORMED;
    const char *start;
    size_t length, saved = s->length;
    scan_result_t result;
    if (*s->p == '"')
        return scan_string(s, &start, &length);
    if (*s->p == '{' || *s->p == '[') {
        bool object = *s->p++ == '{';
        scan_space(s);
        if (s->p < s->end && *s->p == (object ? '}' : ']')) {
            s->p++;
            return SCAN_CLEAN;
        }
        for (size_t index = 0;; index++) {
            if (object) {
                scan_space(s);
                result = scan_string(s, &start, &length);
                if (result == SCAN_MALFORMED)
                    return result;
                if (saved)
                    scan_push(s, ".", 1);
                scan_push(s, start, length);
                if (result != SCAN_CLEAN)
                    return result;   /* the key itself holds the NUL */
                scan_space(s);
                if (s->p >= s->end || *s->p++ != ':')
                    return SCAN_MALFORMED;
            } else {
                char at[32];
                int n = snprintf(at, sizeof at, "[%zu]", index);
                scan_push(s, at, (size_t) n);
            }
            if ((result = scan_value(s, depth + 1)) != SCAN_CLEAN)
                return result;
            s->length = saved;
            s->path[saved] = 0;
            scan_space(s);
            if (s->p >= s->end)
                return SCAN_MALFORMED;
            if (*s->p == ',') {
                s->p++;
                continue;
            }
            if (*s->p++ != (object ? '}' : ']'))
                return SCAN_MALFORMED;
            return SCAN_CLEAN;
        }
    }
    start = s->p;
    while (s->p < s->end && !strchr(",]} \t\r\n", *s->p))
        s->p++;
    return s->p > start ? SCAN_CLEAN : SCAN_MALFORMED;
}

bool
sf_json_has_nul(const char *text, size_t length, char *field, size_t field_size)
{
    nul_scan_t scan = { .p = text, .end = text + length, .length = 0 };
    scan.path[0] = 0;
    switch (scan_value(&scan, 0)) {
    case SCAN_NUL:
        copy_out(field, field_size, scan.path);
        return true;
    case SCAN_MALFORMED:
        /* Not JSON as far as the scan reads it: any \u0000 in it, unnamed. */
        copy_out(field, field_size, "");
        return has_escaped_nul(text, length);
    default:
        return false;
    }
}

static ProtobufCMessage *
text_failure(const char *reason, size_t offset, char *field, size_t field_size, char *error, size_t error_size)
{
    char message[128];

    snprintf(message, sizeof message, "%s at byte %zu", reason, offset);
    copy_out(field, field_size, "");
    copy_out(error, error_size, message);
    return NULL;
}

ProtobufCMessage *
sf_json_parse_message(const ProtobufCMessageDescriptor *descriptor, const char *text, size_t length,
                      char *field, size_t field_size, char *error, size_t error_size)
{
    if (!text)
        return text_failure("no JSON text", 0, field, field_size, error, error_size);

    /* A NUL ends the text (callers may pass a whole zeroed buffer); one
     * followed by more text would hide it from cJSON. */
    const char *nul = memchr(text, '\0', length);
    if (nul) {
        for (const char *p = nul; p < text + length; p++)
            if (*p)
                return text_failure("NUL byte in JSON text", (size_t) (nul - text), field, field_size,
                                    error, error_size);
        length = (size_t) (nul - text);
    }
    char nul_field[256];
    if (sf_json_has_nul(text, length, nul_field, sizeof nul_field)) {
        if (!nul_field[0])
            return text_failure("\\u0000 in a string is not supported", 0, field, field_size, error, error_size);
        copy_out(field, field_size, nul_field);
        copy_out(error, error_size, SF_JSON_NUL_REFUSED);
        return NULL;
    }

    const char *end = text;
    cJSON *json = cJSON_ParseWithLengthOpts(text, length, &end, false);
    if (!json)
        return text_failure("invalid JSON", end ? (size_t) (end - text) : 0, field, field_size, error,
                            error_size);
    for (const char *p = end; p < text + length; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(json);
            return text_failure("unexpected text after the JSON value", (size_t) (p - text), field,
                                field_size, error, error_size);
        }
    }

    number_scan_t scan = { text, text + length, false };
    const char *bad = text;
    ProtobufCMessage *message = NULL;
    switch (keep_number_text(json, &scan, &bad)) {
    case KEEP_OK:
        message = sf_json_to_message(descriptor, json, field, field_size, error, error_size);
        break;
    case KEEP_NO_MEMORY:
        text_failure("out of memory", 0, field, field_size, error, error_size);
        break;
    case KEEP_BAD_NUMBER:
        text_failure("invalid number", (size_t) (bad - text), field, field_size, error, error_size);
        break;
    }
    cJSON_Delete(json);
    return message;
}
