/* The envelope every request and reply travels in: a header frame and a body
 * frame. Decoding and checking what arrives (sizes, protobuf, request id)
 * and encoding what leaves, shared by the service loop, the client and the
 * fuzzers, so that every refusal is decided in one place. */
#ifndef SF_ENVELOPE_H
#define SF_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "sf_status.h"
#include "sifang/v1/envelope.pb-c.h"

#define SF_ENVELOPE_MAX_HEADER_BYTES 65536
#define SF_ENVELOPE_MAX_REQUEST_ID 128
#define SF_ENVELOPE_MAX_VIOLATIONS 64

/* Why a frame was refused: the status, the field it concerns ("header",
 * "body", "header.request_id") and a sentence for the caller. */
typedef struct {
    sf_status_t status;
    char field[64];
    char message[256];
} sf_refusal_t;

/* Decodes a request's header frame and checks it. NULL with the refusal
 * filled in; else free with protobuf_c_message_free_unpacked(header, NULL). */
Sifang__V1__RequestHeader *sf_envelope_decode_header(const void *data, size_t size, sf_refusal_t *refusal);

/* Decodes a body frame as the method's input message, refusing one over
 * limit bytes. NULL with the refusal filled in. */
ProtobufCMessage *sf_envelope_decode_body(const ProtobufCMessageDescriptor *input, const void *data,
                                          size_t size, size_t limit, sf_refusal_t *refusal);

/* What a reply header says. Violations are parallel arrays; past
 * SF_ENVELOPE_MAX_VIOLATIONS the rest are dropped. */
typedef struct {
    const char *request_id;
    const char *trace_id;
    sf_status_t status;
    const char *message;
    size_t n_violations;
    char *const *violation_fields;
    char *const *violation_descriptions;
    bool replayed;
    uint64_t commit_lsn;      /* a committed write's position, else 0 */
} sf_reply_header_t;

/* The packed reply header, malloc'd (free it); NULL when out of memory. */
uint8_t *sf_envelope_encode_reply(const sf_reply_header_t *reply, size_t *size);

/* The packed request header, malloc'd (free it). principal may be NULL;
 * deadline_unix_ms 0 = none; read_after_lsn 0 = none. */
uint8_t *sf_envelope_encode_request(const char *method, const char *request_id,
                                    const Sifang__V1__Principal *principal, int64_t deadline_unix_ms,
                                    const char *trace_id, uint64_t read_after_lsn, size_t *size);

#endif
