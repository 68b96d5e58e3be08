/* libFuzzer target: every request body decoder of every service. The first
 * byte picks a method among all of them (common/sf_registry.h: each
 * service's rpcs, then Sys.*), the rest is its body frame. What the envelope
 * accepts must print as JSON (common/sf_json.h), read back from that JSON to
 * the same JSON, and re-pack to bytes that decode to the same bytes again. */
#include "sf_envelope.h"
#include "sf_json.h"
#include "sf_registry.h"
#include "fuzz_check.h"
#include "fuzz_unknown.h"
#include <stdlib.h>
#include <string.h>

#define MAX_METHODS 512

static const ProtobufCMethodDescriptor *methods[MAX_METHODS];
static size_t n_methods;

static void
add_service(const ProtobufCServiceDescriptor *service)
{
    for (unsigned i = 0; service && i < service->n_methods && n_methods < MAX_METHODS; i++)
        methods[n_methods++] = &service->methods[i];
}

static void
collect_methods(void)
{
    for (size_t s = 0; sf_registry_names[s]; s++)
        add_service(sf_registry_service(sf_registry_names[s]));
    add_service(sf_registry_sys());
    FUZZ_CHECK(n_methods > 0 && n_methods < 256);
}

static uint8_t *
pack(const ProtobufCMessage *message, size_t *size)
{
    *size = protobuf_c_message_get_packed_size(message);
    uint8_t *packed = malloc(*size ? *size : 1);
    FUZZ_CHECK(packed != NULL);
    FUZZ_CHECK(protobuf_c_message_pack(message, packed) == *size);
    return packed;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!n_methods)
        collect_methods();
    if (size < 1)
        return 0;
    const ProtobufCMessageDescriptor *input = methods[data[0] % n_methods]->input;
    sf_refusal_t refusal;
    ProtobufCMessage *body = sf_envelope_decode_body(input, data + 1, size - 1, 1 << 20, &refusal);
    if (!body) {
        FUZZ_CHECK(refusal.status == SF_INVALID_ARGUMENT || refusal.status == SF_RESOURCE_EXHAUSTED);
        return 0;
    }

    /* JSON: print, read back, print again: the same text. */
    char *json = sf_json_print_message(body, false);
    FUZZ_CHECK(json != NULL);
    char field[128], error[256];
    ProtobufCMessage *parsed = sf_json_parse_message(input, json, strlen(json), field, sizeof field,
                                                     error, sizeof error);
    if (!parsed)
        fprintf(stderr, "JSON of %s does not read back: %s: %s\n%s\n", input->name, field, error, json);
    FUZZ_CHECK(parsed != NULL);
    char *again = sf_json_print_message(parsed, false);
    FUZZ_CHECK(again != NULL);
    if (strcmp(json, again) != 0)
        fprintf(stderr, "JSON of %s changed:\n%s\n%s\n", input->name, json, again);
    FUZZ_CHECK(strcmp(json, again) == 0);

    /* Protobuf: re-pack, decode, re-pack: the same bytes. */
    size_t first_size, second_size = 0;
    uint8_t *first = pack(body, &first_size), *second = NULL;
    ProtobufCMessage *decoded = NULL;
    if (!fuzz_has_unknown_fields(body)) {
        decoded = sf_envelope_decode_body(input, first, first_size, 1 << 20, &refusal);
        FUZZ_CHECK(decoded != NULL);
        second = pack(decoded, &second_size);
        FUZZ_CHECK(first_size == second_size && memcmp(first, second, first_size) == 0);
    }

    /* What came from JSON packs and decodes too. */
    size_t parsed_size;
    uint8_t *from_json = pack(parsed, &parsed_size);
    ProtobufCMessage *from_json_decoded = sf_envelope_decode_body(input, from_json, parsed_size, 1 << 20, &refusal);
    FUZZ_CHECK(from_json_decoded != NULL);

    protobuf_c_message_free_unpacked(from_json_decoded, NULL);
    free(from_json);
    free(second);
    if (decoded)
        protobuf_c_message_free_unpacked(decoded, NULL);
    free(first);
    free(again);
    protobuf_c_message_free_unpacked(parsed, NULL);
    free(json);
    protobuf_c_message_free_unpacked(body, NULL);
    return 0;
}
