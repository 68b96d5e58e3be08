/* Request and reply envelopes: the checks on what arrives, the encoding of
 * what leaves. */
#include "sf_envelope.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *
refuse(sf_refusal_t *refusal, sf_status_t status, const char *field, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* Fields and messages of refusals are made of field and message names,
 * numbers and fixed words, never of the text that was refused: ASCII, so
 * the fixed buffers cannot cut a character in two. */
static void *
refuse(sf_refusal_t *refusal, sf_status_t status, const char *field, const char *format, ...)
{
    refusal->status = status;
    snprintf(refusal->field, sizeof refusal->field, "%s", field);
    va_list args;
    va_start(args, format);
    vsnprintf(refusal->message, sizeof refusal->message, format, args);
    va_end(args);
    return NULL;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool
utf8_valid(const unsigned char *text)
{
    while (*text) {
        unsigned char c = *text;
        int follow;
        uint32_t point;
        if (c < 0x80) {
            text++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            follow = 1;
            point = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            follow = 2;
            point = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            follow = 3;
            point = c & 0x07;
        } else
            return false;
        for (int i = 1; i <= follow; i++) {
            if ((text[i] & 0xc0) != 0x80)
                return false;
            point = (point << 6) | (text[i] & 0x3f);
        }
        if ((follow == 2 && point < 0x800) || (follow == 3 && (point < 0x10000 || point > 0x10ffff))
            || (point >= 0xd800 && point <= 0xdfff))
            return false;
        text += follow + 1;
    }
    return true;
}

/* Why a string with U+0000 in it is refused, after its field's name. */
#define NUL_REFUSED "must not hold a NUL character (U+0000)"

static void
path_append(char *path, size_t size, const char *text)
{
    size_t at = strnlen(path, size - 1);
    size_t n = strnlen(text, size - 1 - at);
    memcpy(path + at, text, n);
    path[at + n] = 0;
}

/* Writes a refused field's path: its name, "[i]" when it is repeated, and
 * the path found below it in a nested message ("items[2].note"). */
static void
field_path(char *path, size_t path_size, const ProtobufCFieldDescriptor *field, size_t index, const char *below)
{
    char at[32] = "";
    if (field->label == PROTOBUF_C_LABEL_REPEATED)
        snprintf(at, sizeof at, "[%zu]", index);
    path[0] = 0;
    path_append(path, path_size, field->name);
    path_append(path, path_size, at);
    if (below[0]) {
        path_append(path, path_size, ".");
        path_append(path, path_size, below);
    }
}

/* protobuf-c 1.4 does not check that string fields are UTF-8, as proto3
 * requires: a daemon would otherwise carry bad text into its database, logs
 * and events. Writes the path of the first bad field to path. */
static bool
strings_valid(const ProtobufCMessage *message, char *path, size_t path_size, int depth)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    if (depth > 32)
        return false;
    /* Field number 0 does not exist; protobuf-c keeps it as an unknown field
     * (from an overlong tag) and then cannot read back its own re-pack. */
    for (unsigned u = 0; u < message->n_unknown_fields; u++)
        if (message->unknown_fields[u].tag == 0) {
            path_append(path, path_size, "(field 0)");
            return false;
        }
    for (unsigned f = 0; f < descriptor->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[f];
        const char *member = (const char *) message + field->offset;
        if (field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t chosen = *(const uint32_t *) ((const char *) message + field->quantifier_offset);
            if (chosen != field->id)
                continue;
        }
        size_t count = 1;
        const void *const *items = (const void *const *) member;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *) ((const char *) message + field->quantifier_offset);
            items = *(const void *const *const *) member;
        }
        for (size_t i = 0; i < count; i++) {
            const void *item = items[i];
            if (!item)
                continue;
            bool ok = field->type == PROTOBUF_C_TYPE_STRING
                ? utf8_valid(item)
                : strings_valid(item, path, path_size, depth + 1);
            if (!ok) {
                /* Prefix this field's name to the path found below it;
                 * a path too long for the buffer is cut short. */
                char below[128] = "";
                if (field->type == PROTOBUF_C_TYPE_MESSAGE)
                    memcpy(below, path, strnlen(path, sizeof below - 1));
                field_path(path, path_size, field, i, below);
                return false;
            }
        }
    }
    return true;
}

/* --- NUL in strings --------------------------------------------------------
 * protobuf strings may hold U+0000, but protobuf-c unpacks a string into a C
 * string and C stops at the first NUL: "R\0A" and "R\0B" would be one
 * request id, "370205\0zzz" unit 370205, and whatever follows the NUL
 * (control characters, kilobytes past a length limit) would pass every
 * check unseen. The unpacked message has lost the lengths, so the wire bytes
 * are read again, guided by the message's descriptor: each string field's
 * bytes are searched for 0, each message field is walked in turn, unknown
 * fields are skipped. Runs after protobuf-c has accepted the frame. */

typedef enum { WIRE_OK, WIRE_NUL, WIRE_MALFORMED } wire_result_t;

static bool
wire_varint(const uint8_t **at, const uint8_t *end, uint64_t *value)
{
    *value = 0;
    for (unsigned shift = 0; shift < 64 && *at < end; shift += 7) {
        uint8_t byte = *(*at)++;
        *value |= (uint64_t) (byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

/* Moves *at past one field's value of wire type type; the value of a
 * length-delimited field is returned in value and value_size. */
static bool
wire_skip(const uint8_t **at, const uint8_t *end, unsigned type, const uint8_t **value, size_t *value_size)
{
    uint64_t number;
    switch (type) {
    case 0:   /* varint */
        return wire_varint(at, end, &number);
    case 1:   /* 64-bit */
        if (end - *at < 8)
            return false;
        *at += 8;
        return true;
    case 2:   /* length-delimited */
        if (!wire_varint(at, end, &number) || number > (uint64_t) (end - *at))
            return false;
        *value = *at;
        *value_size = (size_t) number;
        *at += number;
        return true;
    case 5:   /* 32-bit */
        if (end - *at < 4)
            return false;
        *at += 4;
        return true;
    default:  /* groups (3, 4), which protobuf-c does not read either, and 6, 7 */
        return false;
    }
}

/* Which occurrence of field number (0 for the first) starts at offset. */
static size_t
wire_occurrence(const uint8_t *data, const uint8_t *offset, uint32_t number)
{
    size_t before = 0;
    const uint8_t *at = data, *value;
    size_t value_size;
    uint64_t tag;
    while (at < offset && wire_varint(&at, offset, &tag) && wire_skip(&at, offset, (unsigned) (tag & 7), &value, &value_size))
        if (tag >> 3 == number)
            before++;
    return before;
}

/* Walks a message's wire bytes; on WIRE_NUL, path names the string field
 * ("name", "items[2].note"). */
static wire_result_t
wire_strings_nul_free(const ProtobufCMessageDescriptor *descriptor, const uint8_t *data, size_t size,
                      char *path, size_t path_size, int depth)
{
    if (depth > 32)
        return WIRE_MALFORMED;
    const uint8_t *at = data, *end = data + size;
    while (at < end) {
        const uint8_t *start = at, *value = NULL;
        size_t value_size = 0;
        uint64_t tag;
        if (!wire_varint(&at, end, &tag) || tag >> 3 > UINT32_MAX
            || !wire_skip(&at, end, (unsigned) (tag & 7), &value, &value_size))
            return WIRE_MALFORMED;
        const ProtobufCFieldDescriptor *field
            = protobuf_c_message_descriptor_get_field(descriptor, (unsigned) (tag >> 3));
        /* Unknown fields, and packed repeated numbers (length-delimited too),
         * hold no text of this message. */
        if (!field || (tag & 7) != 2
            || (field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE))
            continue;
        wire_result_t result = WIRE_OK;
        char below[128] = "";
        if (field->type == PROTOBUF_C_TYPE_STRING) {
            if (memchr(value, 0, value_size))
                result = WIRE_NUL;
        } else {
            result = wire_strings_nul_free(field->descriptor, value, value_size, below, sizeof below, depth + 1);
        }
        if (result == WIRE_MALFORMED)
            return result;
        if (result == WIRE_NUL) {
            size_t index = field->label == PROTOBUF_C_LABEL_REPEATED ? wire_occurrence(data, start, field->id) : 0;
            field_path(path, path_size, field, index, below);
            return result;
        }
    }
    return WIRE_OK;
}

/* "header." and path into field, a refusal's field. The path is made of
 * field names and indexes, ASCII, so cutting it at a byte is safe. */
static const char *
header_field(char *field, size_t size, const char *path)
{
    snprintf(field, size, "header.%s", path);
    return field;
}

Sifang__V1__RequestHeader *
sf_envelope_decode_header(const void *data, size_t size, sf_refusal_t *refusal)
{
    /* protobuf-c trusts nothing only when the input is bounded first. */
    if (size > SF_ENVELOPE_MAX_HEADER_BYTES)
        return refuse(refusal, SF_RESOURCE_EXHAUSTED, "header", "header frame of %zu bytes exceeds %d",
                      size, SF_ENVELOPE_MAX_HEADER_BYTES);
    Sifang__V1__RequestHeader *header = sifang__v1__request_header__unpack(NULL, size, data);
    if (!header)
        return refuse(refusal, SF_INVALID_ARGUMENT, "header",
                      "header frame does not decode as sifang.v1.RequestHeader");
    char path[128] = "", field[sizeof refusal->field];
    wire_result_t wire = wire_strings_nul_free(&sifang__v1__request_header__descriptor, data, size, path,
                                               sizeof path, 0);
    if (wire != WIRE_OK) {
        protobuf_c_message_free_unpacked(&header->base, NULL);
        if (wire == WIRE_MALFORMED)
            return refuse(refusal, SF_INVALID_ARGUMENT, "header",
                          "header frame does not decode as sifang.v1.RequestHeader");
        return refuse(refusal, SF_INVALID_ARGUMENT, header_field(field, sizeof field, path), "%s: %s", field,
                      NUL_REFUSED);
    }
    if (!strings_valid(&header->base, path, sizeof path, 0)) {
        protobuf_c_message_free_unpacked(&header->base, NULL);
        if (strstr(path, "(field 0)"))
            return refuse(refusal, SF_INVALID_ARGUMENT, "header", "header: field number 0 is not a field");
        return refuse(refusal, SF_INVALID_ARGUMENT, header_field(field, sizeof field, path),
                      "%s: not valid UTF-8 text", field);
    }
    if (strlen(header->request_id) > SF_ENVELOPE_MAX_REQUEST_ID) {
        protobuf_c_message_free_unpacked(&header->base, NULL);
        return refuse(refusal, SF_INVALID_ARGUMENT, "header.request_id",
                      "request id longer than %d characters", SF_ENVELOPE_MAX_REQUEST_ID);
    }
    if (!*header->method) {
        protobuf_c_message_free_unpacked(&header->base, NULL);
        return refuse(refusal, SF_INVALID_ARGUMENT, "header.method", "no method named");
    }
    return header;
}

ProtobufCMessage *
sf_envelope_decode_body(const ProtobufCMessageDescriptor *input, const void *data, size_t size,
                        size_t limit, sf_refusal_t *refusal)
{
    if (size > limit)
        return refuse(refusal, SF_RESOURCE_EXHAUSTED, "body", "body of %zu bytes exceeds the limit of %zu",
                      size, limit);
    ProtobufCMessage *body = protobuf_c_message_unpack(input, NULL, size, data);
    if (!body)
        return refuse(refusal, SF_INVALID_ARGUMENT, "body", "body does not decode as %s", input->name);
    char path[128] = "";
    wire_result_t wire = wire_strings_nul_free(input, data, size, path, sizeof path, 0);
    if (wire != WIRE_OK) {
        protobuf_c_message_free_unpacked(body, NULL);
        if (wire == WIRE_MALFORMED)
            return refuse(refusal, SF_INVALID_ARGUMENT, "body", "body does not decode as %s", input->name);
        return refuse(refusal, SF_INVALID_ARGUMENT, path, "%s: %s", path, NUL_REFUSED);
    }
    if (!strings_valid(body, path, sizeof path, 0)) {
        protobuf_c_message_free_unpacked(body, NULL);
        if (!path[0])
            return refuse(refusal, SF_INVALID_ARGUMENT, "body", "body: nested too deep");
        return refuse(refusal, SF_INVALID_ARGUMENT, path, "%s: %s", path,
                      strstr(path, "(field 0)") ? "field number 0 is not a field" : "not valid UTF-8 text");
    }
    return body;
}

uint8_t *
sf_envelope_encode_reply(const sf_reply_header_t *reply, size_t *size)
{
    Sifang__V1__ReplyHeader header = SIFANG__V1__REPLY_HEADER__INIT;
    header.request_id = (char *) (reply->request_id ? reply->request_id : "");
    header.trace_id = (char *) (reply->trace_id ? reply->trace_id : "");
    header.status = (Sifang__V1__StatusCode) reply->status;
    header.message = (char *) (reply->message ? reply->message : "");
    header.replayed = reply->replayed;
    header.commit_lsn = reply->commit_lsn;
    Sifang__V1__FieldViolation violations[SF_ENVELOPE_MAX_VIOLATIONS];
    Sifang__V1__FieldViolation *pointers[SF_ENVELOPE_MAX_VIOLATIONS];
    size_t n = reply->n_violations < SF_ENVELOPE_MAX_VIOLATIONS ? reply->n_violations : SF_ENVELOPE_MAX_VIOLATIONS;
    for (size_t i = 0; i < n; i++) {
        sifang__v1__field_violation__init(&violations[i]);
        violations[i].field = reply->violation_fields[i];
        violations[i].description = reply->violation_descriptions[i];
        pointers[i] = &violations[i];
    }
    header.n_violations = n;
    header.violations = pointers;
    *size = sifang__v1__reply_header__get_packed_size(&header);
    uint8_t *buffer = malloc(*size ? *size : 1);
    if (buffer)
        sifang__v1__reply_header__pack(&header, buffer);
    return buffer;
}

uint8_t *
sf_envelope_encode_request(const char *method, const char *request_id,
                           const Sifang__V1__Principal *principal, int64_t deadline_unix_ms,
                           const char *trace_id, uint64_t read_after_lsn, size_t *size)
{
    Sifang__V1__RequestHeader header = SIFANG__V1__REQUEST_HEADER__INIT;
    header.method = (char *) (method ? method : "");
    header.request_id = (char *) (request_id ? request_id : "");
    header.principal = (Sifang__V1__Principal *) principal;
    header.deadline_unix_ms = deadline_unix_ms;
    header.trace_id = (char *) (trace_id ? trace_id : "");
    header.read_after_lsn = read_after_lsn;
    *size = sifang__v1__request_header__get_packed_size(&header);
    uint8_t *buffer = malloc(*size ? *size : 1);
    if (buffer)
        sifang__v1__request_header__pack(&header, buffer);
    return buffer;
}
