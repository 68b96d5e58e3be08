/* Unit tests of the envelope: round trips, and each refusal with its status
 * and field. */
#include "sf_envelope.h"
#include "sf_test.h"
#include "sifang/v1/employment.pb-c.h"
#include "sifang/v1/evaluation.pb-c.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdlib.h>
#include <string.h>

static void
test_request_round_trip(void)
{
    Sifang__V1__Principal principal = SIFANG__V1__PRINCIPAL__INIT;
    principal.id = "cadre-0101";
    principal.role = "community";
    principal.scope = "370205001001";
    size_t size = 0;
    uint8_t *packed = sf_envelope_encode_request("ZoneGet", "req-1", &principal, 1234, "trace-1", 0x16B3748, &size);
    sf_refusal_t refusal;
    Sifang__V1__RequestHeader *header = sf_envelope_decode_header(packed, size, &refusal);
    if (SF_CHECK(header != NULL)) {
        SF_CHECK_EQ_STR(header->method, "ZoneGet");
        SF_CHECK_EQ_STR(header->request_id, "req-1");
        SF_CHECK_EQ_STR(header->trace_id, "trace-1");
        SF_CHECK_EQ_INT(header->deadline_unix_ms, 1234);
        SF_CHECK_EQ_INT(header->read_after_lsn, 0x16B3748);
        SF_CHECK(header->principal && strcmp(header->principal->scope, "370205001001") == 0);
        protobuf_c_message_free_unpacked(&header->base, NULL);
    }
    free(packed);
}

static void
test_header_refusals(void)
{
    sf_refusal_t refusal;
    SF_CHECK(sf_envelope_decode_header("\xff\xff\xff\xff\x0f", 5, &refusal) == NULL);
    SF_CHECK_EQ_INT(refusal.status, SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_STR(refusal.field, "header");

    size_t big = SF_ENVELOPE_MAX_HEADER_BYTES + 1;
    uint8_t *oversized = calloc(1, big);
    SF_CHECK(sf_envelope_decode_header(oversized, big, &refusal) == NULL);
    SF_CHECK_EQ_INT(refusal.status, SF_RESOURCE_EXHAUSTED);
    free(oversized);

    char long_id[SF_ENVELOPE_MAX_REQUEST_ID + 2];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;
    size_t size = 0;
    uint8_t *packed = sf_envelope_encode_request("ZoneGet", long_id, NULL, 0, "", 0, &size);
    SF_CHECK(sf_envelope_decode_header(packed, size, &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "header.request_id");
    free(packed);

    packed = sf_envelope_encode_request("", "req", NULL, 0, "", 0, &size);
    SF_CHECK(sf_envelope_decode_header(packed, size, &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "header.method");
    free(packed);

    /* Text in the header must be UTF-8 too; the refusal names the field. */
    packed = sf_envelope_encode_request("Zone\xc3\x28Get", "req", NULL, 0, "", 0, &size);
    SF_CHECK(sf_envelope_decode_header(packed, size, &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "header.method");
    SF_CHECK_EQ_STR(refusal.message, "header.method: not valid UTF-8 text");
    free(packed);

    /* An empty frame is a header with no method. */
    SF_CHECK(sf_envelope_decode_header("", 0, &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "header.method");
}

/* Packs a header whose strings are given with their lengths, as any
 * protobuf library would send them: NUL bytes included. */
static size_t
raw_header(uint8_t *out, const char *method, size_t method_size, const char *request_id, size_t request_id_size,
           const char *scope, size_t scope_size)
{
    size_t at = 0;
    out[at++] = 0x0a;   /* method = 1 */
    out[at++] = (uint8_t) method_size;
    memcpy(out + at, method, method_size);
    at += method_size;
    out[at++] = 0x12;   /* request_id = 2, its length as a varint */
    for (size_t length = request_id_size; ; length >>= 7) {
        out[at++] = (uint8_t) ((length & 0x7f) | (length >= 0x80 ? 0x80 : 0));
        if (length < 0x80)
            break;
    }
    memcpy(out + at, request_id, request_id_size);
    at += request_id_size;
    if (scope) {
        out[at++] = 0x1a;   /* principal = 3 { id = 1, scope = 3 } */
        out[at++] = (uint8_t) (2 + 1 + 2 + scope_size);
        out[at++] = 0x0a;
        out[at++] = 1;
        out[at++] = 'x';
        out[at++] = 0x1a;
        out[at++] = (uint8_t) scope_size;
        memcpy(out + at, scope, scope_size);
        at += scope_size;
    }
    return at;
}

/* A string that holds U+0000 is refused, naming the field: protobuf-c would
 * hand it on cut at the NUL, so "R\0A" and "R\0B" would be one request id
 * and a long id would pass the length check. */
static void
test_header_nul(void)
{
    sf_refusal_t refusal;
    uint8_t packed[16384];
    size_t size = raw_header(packed, "Sys.Ping", 8, "R\0A", 3, NULL, 0);
    SF_CHECK(sf_envelope_decode_header(packed, size, &refusal) == NULL);
    SF_CHECK_EQ_INT(refusal.status, SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_STR(refusal.field, "header.request_id");
    SF_CHECK_EQ_STR(refusal.message, "header.request_id: must not hold a NUL character (U+0000)");

    char long_id[10240];
    memset(long_id, 'a', sizeof long_id);
    long_id[40] = 0;
    size = raw_header(packed, "Sys.Ping", 8, long_id, sizeof long_id, NULL, 0);
    SF_CHECK(sf_envelope_decode_header(packed, size, &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "header.request_id");

    size = raw_header(packed, "Sys.Ping\0junk", 13, "R", 1, NULL, 0);
    SF_CHECK(sf_envelope_decode_header(packed, size, &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "header.method");

    size = raw_header(packed, "Sys.Ping", 8, "R", 1, "370205\0", 7);
    SF_CHECK(sf_envelope_decode_header(packed, size, &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "header.principal.scope");
    SF_CHECK_EQ_STR(refusal.message, "header.principal.scope: must not hold a NUL character (U+0000)");

    /* The same header without the NULs passes. */
    size = raw_header(packed, "Sys.Ping", 8, "R-A", 3, "370205", 6);
    Sifang__V1__RequestHeader *header = sf_envelope_decode_header(packed, size, &refusal);
    if (SF_CHECK(header != NULL)) {
        SF_CHECK_EQ_STR(header->request_id, "R-A");
        SF_CHECK_EQ_STR(header->principal->scope, "370205");
        protobuf_c_message_free_unpacked(&header->base, NULL);
    }
}

/* A body whose string holds U+0000 is refused with the field's path;
 * bytes, packed numbers and unknown fields may hold zeros. */
static void
test_body_nul(void)
{
    sf_refusal_t refusal;
    const uint8_t code[] = { 0x0a, 10, '3', '7', '0', '2', '0', '5', 0, 'z', 'z', 'z' };
    SF_CHECK(sf_envelope_decode_body(&sifang__v1__code_request__descriptor, code, sizeof code, 1024, &refusal)
             == NULL);
    SF_CHECK_EQ_INT(refusal.status, SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_STR(refusal.field, "code");
    SF_CHECK_EQ_STR(refusal.message, "code: must not hold a NUL character (U+0000)");

    /* Nested and repeated: the second household's address. The packed
     * bytes are written with '#' where the NUL goes. */
    Sifang__V1__Household first = SIFANG__V1__HOUSEHOLD__INIT, second = SIFANG__V1__HOUSEHOLD__INIT;
    first.address = "人民路 1 号";
    second.address = "Wire#\x07junk";
    Sifang__V1__Household *households[2] = { &first, &second };
    Sifang__V1__HouseholdListReply list = SIFANG__V1__HOUSEHOLD_LIST_REPLY__INIT;
    list.n_households = 2;
    list.households = households;
    uint8_t packed[256];
    size_t packed_size = sifang__v1__household_list_reply__pack(&list, packed);
    *(uint8_t *) memchr(packed, '#', packed_size) = 0;
    SF_CHECK(sf_envelope_decode_body(&sifang__v1__household_list_reply__descriptor, packed, packed_size, 1024,
                                     &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "households[1].address");
    SF_CHECK_EQ_STR(refusal.message, "households[1].address: must not hold a NUL character (U+0000)");

    /* A repeated string: the third fact; an event's payload (bytes) may
     * hold zeros, its type may not. */
    char *facts[3] = { "a", "b", "c#d" };
    Sifang__V1__FactValuesRequest values = SIFANG__V1__FACT_VALUES_REQUEST__INIT;
    values.n_facts = 3;
    values.facts = facts;
    values.period = "2026-H2";
    packed_size = sifang__v1__fact_values_request__pack(&values, packed);
    *(uint8_t *) memchr(packed, '#', packed_size) = 0;
    SF_CHECK(sf_envelope_decode_body(&sifang__v1__fact_values_request__descriptor, packed, packed_size, 1024,
                                     &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "facts[2]");

    Sifang__V1__Event event = SIFANG__V1__EVENT__INIT;
    event.type = "zone.created";
    uint8_t zeros[4] = { 0, 0, 0, 0 };
    event.payload.data = zeros;
    event.payload.len = sizeof zeros;
    Sifang__V1__Event *events[1] = { &event };
    Sifang__V1__EventsFetchReply fetched = SIFANG__V1__EVENTS_FETCH_REPLY__INIT;
    fetched.n_events = 1;
    fetched.events = events;
    packed_size = sifang__v1__events_fetch_reply__pack(&fetched, packed);
    ProtobufCMessage *body = sf_envelope_decode_body(&sifang__v1__events_fetch_reply__descriptor, packed,
                                                     packed_size, 1024, &refusal);
    SF_CHECK(body != NULL);
    if (body)
        protobuf_c_message_free_unpacked(body, NULL);
    event.type = "zone#created";
    packed_size = sifang__v1__events_fetch_reply__pack(&fetched, packed);
    *(uint8_t *) memchr(packed, '#', packed_size) = 0;
    SF_CHECK(sf_envelope_decode_body(&sifang__v1__events_fetch_reply__descriptor, packed, packed_size, 1024,
                                     &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "events[0].type");

    /* A person: difficulties packed (enum values 0), an unknown field 30
     * holding zeros, then desired_occupations[1] with a NUL. */
    const uint8_t person[] = { 0x0a, 2, 'R', '1',              /* resident_id */
                               0x4a, 3, 0, 0, 1,               /* difficulties, packed */
                               0xf2, 0x01, 2, 0, 0,            /* field 30, unknown */
                               0x72, 2, '4', '1',              /* desired_occupations[0] */
                               0x12, 2, 'W', 'F',              /* name */
                               0x72, 3, '4', 0, '2' };         /* desired_occupations[1] */
    SF_CHECK(sf_envelope_decode_body(&sifang__v1__person__descriptor, person, sizeof person, 1024, &refusal)
             == NULL);
    SF_CHECK_EQ_STR(refusal.field, "desired_occupations[1]");
    body = sf_envelope_decode_body(&sifang__v1__person__descriptor, person, sizeof person - 5, 1024, &refusal);
    if (SF_CHECK(body != NULL)) {
        Sifang__V1__Person *p = (Sifang__V1__Person *) body;
        SF_CHECK_EQ_INT(p->n_difficulties, 3);
        SF_CHECK_EQ_STR(p->name, "WF");
        SF_CHECK_EQ_INT(p->n_desired_occupations, 1);
        protobuf_c_message_free_unpacked(body, NULL);
    }
}

static void
test_body(void)
{
    sf_refusal_t refusal;
    Sifang__V1__CodeRequest request = SIFANG__V1__CODE_REQUEST__INIT;
    request.code = "370205";
    uint8_t buffer[64];
    size_t size = sifang__v1__code_request__pack(&request, buffer);
    ProtobufCMessage *body = sf_envelope_decode_body(&sifang__v1__code_request__descriptor, buffer, size, 1024, &refusal);
    if (SF_CHECK(body != NULL)) {
        SF_CHECK_EQ_STR(((Sifang__V1__CodeRequest *) body)->code, "370205");
        protobuf_c_message_free_unpacked(body, NULL);
    }
    SF_CHECK(sf_envelope_decode_body(&sifang__v1__code_request__descriptor, buffer, size, 4, &refusal) == NULL);
    SF_CHECK_EQ_INT(refusal.status, SF_RESOURCE_EXHAUSTED);
    SF_CHECK_EQ_STR(refusal.field, "body");
    /* A string field that is not valid UTF-8 does not decode. */
    const uint8_t bad_utf8[] = { 0x0a, 0x02, 0xc3, 0x28 };
    SF_CHECK(sf_envelope_decode_body(&sifang__v1__code_request__descriptor, bad_utf8, sizeof bad_utf8, 1024,
                                     &refusal) == NULL);
    SF_CHECK_EQ_INT(refusal.status, SF_INVALID_ARGUMENT);
    SF_CHECK_EQ_STR(refusal.field, "code");
    SF_CHECK_EQ_STR(refusal.message, "code: not valid UTF-8 text");
    /* ... also deep inside: households[1].address of a list reply. */
    Sifang__V1__Household first = SIFANG__V1__HOUSEHOLD__INIT, second = SIFANG__V1__HOUSEHOLD__INIT;
    second.address = "\xed\xa0\x80";   /* an encoded surrogate */
    Sifang__V1__Household *households[2] = { &first, &second };
    Sifang__V1__HouseholdListReply list = SIFANG__V1__HOUSEHOLD_LIST_REPLY__INIT;
    list.n_households = 2;
    list.households = households;
    uint8_t packed[128];
    size_t packed_size = sifang__v1__household_list_reply__pack(&list, packed);
    SF_CHECK(sf_envelope_decode_body(&sifang__v1__household_list_reply__descriptor, packed, packed_size, 1024,
                                     &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "households[1].address");
    second.address = "四方区 ok";
    packed_size = sifang__v1__household_list_reply__pack(&list, packed);
    ProtobufCMessage *fine = sf_envelope_decode_body(&sifang__v1__household_list_reply__descriptor, packed,
                                                     packed_size, 1024, &refusal);
    SF_CHECK(fine != NULL);
    if (fine)
        protobuf_c_message_free_unpacked(fine, NULL);
    /* Field number 0, written as an overlong tag, is refused, not kept. */
    const uint8_t field_zero[] = { 0x80, 0x00, 0x01 };
    SF_CHECK(sf_envelope_decode_body(&sifang__v1__code_request__descriptor, field_zero, sizeof field_zero, 1024,
                                     &refusal) == NULL);
    SF_CHECK_EQ_INT(refusal.status, SF_INVALID_ARGUMENT);
    /* A length running past the end. */
    const uint8_t truncated[] = { 0x0a, 0x7f, 'a' };
    SF_CHECK(sf_envelope_decode_body(&sifang__v1__code_request__descriptor, truncated, sizeof truncated, 1024,
                                     &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "body");
}

static void
test_reply(void)
{
    char *fields[70], *descriptions[70];
    for (int i = 0; i < 70; i++) {
        fields[i] = "code";
        descriptions[i] = "is required";
    }
    sf_reply_header_t reply = { .request_id = "req-9", .status = SF_INVALID_ARGUMENT, .message = "bad",
                                .n_violations = 70, .violation_fields = fields,
                                .violation_descriptions = descriptions, .replayed = true };
    size_t size = 0;
    uint8_t *packed = sf_envelope_encode_reply(&reply, &size);
    Sifang__V1__ReplyHeader *header = sifang__v1__reply_header__unpack(NULL, size, packed);
    if (SF_CHECK(header != NULL)) {
        SF_CHECK_EQ_STR(header->request_id, "req-9");
        SF_CHECK_EQ_INT(header->status, SF_INVALID_ARGUMENT);
        SF_CHECK_EQ_INT(header->n_violations, SF_ENVELOPE_MAX_VIOLATIONS);
        SF_CHECK(header->replayed);
        protobuf_c_message_free_unpacked(&header->base, NULL);
    }
    free(packed);
}

int
main(void)
{
    test_request_round_trip();
    test_header_refusals();
    test_header_nul();
    test_body();
    test_body_nul();
    test_reply();
    return sf_test_done();
}
