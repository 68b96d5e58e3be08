/* Protobuf <-> JSON, driven by protobuf-c's message descriptors, so that the
 * gateway, the sifang CLI and the tools share one mapping.
 *
 * The mapping follows proto3's JSON mapping with proto field names kept as
 * they are (snake_case); on input lowerCamelCase names are accepted too.
 * Enums are their value names (numbers accepted on input), bytes are base64,
 * int64/uint64 are JSON numbers on output (strings accepted on input), repeated
 * fields are arrays, messages are objects. Output includes every scalar field
 * of proto3 (defaults too), omits unset messages and unset optional/oneof
 * fields. Unknown JSON keys are an error (a typo is better reported than
 * ignored). */
#ifndef SF_JSON_H
#define SF_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>

/* A JSON object for the message; NULL only when out of memory. */
cJSON *sf_json_from_message(const ProtobufCMessage *message);

/* A new message of the descriptor's type from a JSON object, allocated with
 * protobuf-c's default allocator: free it with
 * protobuf_c_message_free_unpacked(message, NULL). On error returns NULL and
 * writes the offending field's path (e.g. "zone.location.lat") to field and
 * a reason to error. */
ProtobufCMessage *sf_json_to_message(const ProtobufCMessageDescriptor *descriptor,
                                     const cJSON *json,
                                     char *field, size_t field_size,
                                     char *error, size_t error_size);

/* Conveniences over text: print returns a malloc'd string (free it). */
char *sf_json_print_message(const ProtobufCMessage *message, bool pretty);
ProtobufCMessage *sf_json_parse_message(const ProtobufCMessageDescriptor *descriptor,
                                        const char *text, size_t length,
                                        char *field, size_t field_size,
                                        char *error, size_t error_size);

#endif
