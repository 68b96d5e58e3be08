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
 * ignored).
 *
 * Details of the mapping:
 * - Numbers are exact both ways. Where cJSON would print a value rounded
 *   (int64s beyond 2^53, many doubles) the output node is a cJSON raw node
 *   holding the exact decimal; a float prints as its shortest decimal (0.1).
 *   NaN and infinities are the strings "NaN", "Infinity", "-Infinity".
 * - Integer fields take a JSON number or a string holding one ("12", "1e3");
 *   anything with a fraction, out of the field's range, or not in JSON's
 *   number grammar is refused. A plain cJSON number node is a double, exact
 *   only below 2^53: larger integers must come as strings, as raw nodes, or
 *   through sf_json_parse_message, which reads number literals exactly.
 * - Enum numbers this build does not know are accepted (proto3 keeps them)
 *   and printed back as numbers.
 * - Bytes print as standard padded base64; input takes the standard or the
 *   URL-safe alphabet, padded or not.
 * - Strings must be valid UTF-8 on input; on output invalid bytes (from a
 *   peer) become U+FFFD so the JSON stays valid.
 * - null for a field means its default (unset); null inside an array, a
 *   field given twice (also as name and json name), two members of one
 *   oneof, and a proto2 required field missing are errors.
 * - Maps are what protobuf-c makes of them, repeated entry messages: an
 *   array of {"key": ..., "value": ...} objects.
 * - Messages nest at most 32 deep, in and out. */
#ifndef SF_JSON_H
#define SF_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>

/* A JSON object for the message; NULL when out of memory or when messages
 * nest deeper than 32. */
cJSON *sf_json_from_message(const ProtobufCMessage *message);

/* A new message of the descriptor's type from a JSON object, allocated with
 * protobuf-c's default allocator: free it with
 * protobuf_c_message_free_unpacked(message, NULL). On error returns NULL and
 * writes the offending field's path (e.g. "zone.location.lat", with [i] for
 * array elements: "members[2].name"; for an unknown key, the key) to field and
 * a reason to error, both cut to fit and always NUL-terminated; either buffer
 * may be NULL. Nothing is leaked on error. */
ProtobufCMessage *sf_json_to_message(const ProtobufCMessageDescriptor *descriptor,
                                     const cJSON *json,
                                     char *field, size_t field_size,
                                     char *error, size_t error_size);

/* Conveniences over text: print returns a malloc'd string (free it). Parse
 * takes length bytes of text (trailing NULs allowed, trailing garbage not)
 * and reads number literals exactly; a text that is not JSON gets an empty
 * field and an error naming the byte offset. */
char *sf_json_print_message(const ProtobufCMessage *message, bool pretty);
ProtobufCMessage *sf_json_parse_message(const ProtobufCMessageDescriptor *descriptor,
                                        const char *text, size_t length,
                                        char *field, size_t field_size,
                                        char *error, size_t error_size);

/* Whether the JSON text holds a string, a value or a key, with "\u0000" in
 * it: cJSON would cut the string there and hand on what is left, so every
 * reader of JSON from outside refuses it first. The path of the first such
 * string goes to field ("requester.name", "items[2].note"; the key's path
 * for a key), cut to fit; "" when the text is not JSON as far as the scan
 * reads it. */
bool sf_json_has_nul(const char *text, size_t length, char *field, size_t field_size);
/* How a NUL is refused, after the field's name. */
#define SF_JSON_NUL_REFUSED "must not hold a NUL character (U+0000)"

#endif
