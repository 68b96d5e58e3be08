/* Whether a decoded message (or one inside it) kept unknown fields.
 * protobuf-c keeps them to re-pack them as they came, and accepts some that
 * it then cannot read back (field number 0 in an overlong tag, 80 00): the
 * targets check the re-pack round trip only for messages without any. */
#ifndef FUZZ_UNKNOWN_H
#define FUZZ_UNKNOWN_H

#include <stdbool.h>
#include <protobuf-c/protobuf-c.h>

static inline bool
fuzz_has_unknown_fields(const ProtobufCMessage *message)
{
    if (!message)
        return false;
    if (message->n_unknown_fields)
        return true;
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[i];
        if (field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        const char *member = (const char *) message + field->offset;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *) ((const char *) message + field->quantifier_offset);
            ProtobufCMessage *const *items = *(ProtobufCMessage *const *const *) member;
            for (size_t k = 0; k < n; k++)
                if (fuzz_has_unknown_fields(items[k]))
                    return true;
        } else if (fuzz_has_unknown_fields(*(ProtobufCMessage *const *) member)) {
            return true;
        }
    }
    return false;
}

#endif
