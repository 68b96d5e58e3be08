/* libFuzzer target: the envelope's header and body decoding
 * (common/sf_envelope.h), as the service loop meets every frame that
 * arrives. The first byte splits the input into a header frame and a body
 * frame; the body is decoded as sys.EventsFetchRequest and as the reply
 * header's own message, and whatever decodes is re-encoded and decoded
 * again: the second decoding must agree with the first. */
#include "sf_envelope.h"
#include "fuzz_check.h"
#include "fuzz_unknown.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdlib.h>
#include <string.h>

/* Encodes what a header says as the client would and decodes it back. */
static void
header_round_trip(const Sifang__V1__RequestHeader *header)
{
    size_t size = 0;
    uint8_t *packed = sf_envelope_encode_request(header->method, header->request_id, header->principal,
                                                 header->deadline_unix_ms, header->trace_id,
                                                 header->read_after_lsn, &size);
    FUZZ_CHECK(packed != NULL);
    sf_refusal_t refusal;
    Sifang__V1__RequestHeader *again = sf_envelope_decode_header(packed, size, &refusal);
    FUZZ_CHECK(again != NULL);
    FUZZ_CHECK(strcmp(again->method, header->method) == 0);
    FUZZ_CHECK(strcmp(again->request_id, header->request_id) == 0);
    FUZZ_CHECK(strcmp(again->trace_id, header->trace_id) == 0);
    FUZZ_CHECK(again->deadline_unix_ms == header->deadline_unix_ms);
    FUZZ_CHECK(again->read_after_lsn == header->read_after_lsn);
    FUZZ_CHECK((again->principal == NULL) == (header->principal == NULL));
    if (header->principal) {
        FUZZ_CHECK(strcmp(again->principal->id, header->principal->id) == 0);
        FUZZ_CHECK(strcmp(again->principal->role, header->principal->role) == 0);
        FUZZ_CHECK(strcmp(again->principal->scope, header->principal->scope) == 0);
    }
    protobuf_c_message_free_unpacked(&again->base, NULL);
    free(packed);
}

/* A reply header made of the header's strings packs and unpacks whole. */
static void
reply_round_trip(const Sifang__V1__RequestHeader *header, const sf_refusal_t *refusal)
{
    char *fields[2] = { (char *) refusal->field, header->method };
    char *descriptions[2] = { (char *) refusal->message, header->request_id };
    sf_reply_header_t reply = { .request_id = header->request_id, .trace_id = header->trace_id,
                                .status = refusal->status, .message = header->method,
                                .n_violations = 2, .violation_fields = fields,
                                .violation_descriptions = descriptions, .replayed = true };
    size_t size = 0;
    uint8_t *packed = sf_envelope_encode_reply(&reply, &size);
    FUZZ_CHECK(packed != NULL);
    Sifang__V1__ReplyHeader *again = sifang__v1__reply_header__unpack(NULL, size, packed);
    FUZZ_CHECK(again != NULL);
    FUZZ_CHECK(strcmp(again->request_id, header->request_id) == 0);
    FUZZ_CHECK(again->n_violations == 2);
    FUZZ_CHECK(again->replayed);
    protobuf_c_message_free_unpacked(&again->base, NULL);
    free(packed);
}

static void
body_round_trip(const ProtobufCMessageDescriptor *input, const uint8_t *data, size_t size)
{
    sf_refusal_t refusal;
    memset(&refusal, 0, sizeof refusal);
    ProtobufCMessage *body = sf_envelope_decode_body(input, data, size, 4096, &refusal);
    if (!body) {
        FUZZ_CHECK(refusal.status != SF_OK);
        FUZZ_CHECK(memchr(refusal.field, 0, sizeof refusal.field) != NULL);
        FUZZ_CHECK(memchr(refusal.message, 0, sizeof refusal.message) != NULL);
        return;
    }
    size_t packed_size = protobuf_c_message_get_packed_size(body);
    uint8_t *packed = malloc(packed_size ? packed_size : 1);
    FUZZ_CHECK(packed != NULL);
    FUZZ_CHECK(protobuf_c_message_pack(body, packed) == packed_size);
    if (!fuzz_has_unknown_fields(body)) {
        ProtobufCMessage *again = sf_envelope_decode_body(input, packed, packed_size, 1 << 20, &refusal);
        FUZZ_CHECK(again != NULL);
        FUZZ_CHECK(protobuf_c_message_get_packed_size(again) == packed_size);
        protobuf_c_message_free_unpacked(again, NULL);
    }
    protobuf_c_message_free_unpacked(body, NULL);
    free(packed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t split = data[0] < size - 1 ? data[0] : size - 1;
    const uint8_t *header_data = data + 1, *body_data = data + 1 + split;
    size_t header_size = split, body_size = size - 1 - split;

    sf_refusal_t refusal;
    memset(&refusal, 0, sizeof refusal);
    Sifang__V1__RequestHeader *header = sf_envelope_decode_header(header_data, header_size, &refusal);
    if (header) {
        FUZZ_CHECK(header->method[0] != 0);
        FUZZ_CHECK(strlen(header->request_id) <= SF_ENVELOPE_MAX_REQUEST_ID);
        header_round_trip(header);
        reply_round_trip(header, &refusal);
        protobuf_c_message_free_unpacked(&header->base, NULL);
    } else {
        FUZZ_CHECK(refusal.status != SF_OK);
    }
    /* The whole input as one header frame too: the size check's edge. */
    header = sf_envelope_decode_header(data, size, &refusal);
    if (header)
        protobuf_c_message_free_unpacked(&header->base, NULL);

    body_round_trip(&sifang__v1__events_fetch_request__descriptor, body_data, body_size);
    body_round_trip(&sifang__v1__events_fetch_reply__descriptor, body_data, body_size);
    body_round_trip(&sifang__v1__request_header__descriptor, body_data, body_size);
    return 0;
}
