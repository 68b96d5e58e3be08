/* Unit tests of the envelope: round trips, and each refusal with its status
 * and field. */
#include "sf_envelope.h"
#include "sf_test.h"
#include "sifang/v1/grid.pb-c.h"
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
    uint8_t *packed = sf_envelope_encode_request("ZoneGet", "req-1", &principal, 1234, "trace-1", &size);
    sf_refusal_t refusal;
    Sifang__V1__RequestHeader *header = sf_envelope_decode_header(packed, size, &refusal);
    if (SF_CHECK(header != NULL)) {
        SF_CHECK_EQ_STR(header->method, "ZoneGet");
        SF_CHECK_EQ_STR(header->request_id, "req-1");
        SF_CHECK_EQ_STR(header->trace_id, "trace-1");
        SF_CHECK_EQ_INT(header->deadline_unix_ms, 1234);
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
    uint8_t *packed = sf_envelope_encode_request("ZoneGet", long_id, NULL, 0, "", &size);
    SF_CHECK(sf_envelope_decode_header(packed, size, &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "header.request_id");
    free(packed);

    packed = sf_envelope_encode_request("", "req", NULL, 0, "", &size);
    SF_CHECK(sf_envelope_decode_header(packed, size, &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "header.method");
    free(packed);

    /* Text in the header must be UTF-8 too. */
    packed = sf_envelope_encode_request("Zone\xc3\x28Get", "req", NULL, 0, "", &size);
    SF_CHECK(sf_envelope_decode_header(packed, size, &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "header");
    free(packed);

    /* An empty frame is a header with no method. */
    SF_CHECK(sf_envelope_decode_header("", 0, &refusal) == NULL);
    SF_CHECK_EQ_STR(refusal.field, "header.method");
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
    test_body();
    test_reply();
    return sf_test_done();
}
