/* Result rows read into messages by their fields' names (sf_row.h). */
#include "sf_row.h"
#include "sf_assert.h"
#include "sf_db.h"
#include <string.h>

/* The field's value within the message: protobuf-c keeps each at an offset
 * the descriptor gives. */
static void *
field_at(ProtobufCMessage *message, const ProtobufCFieldDescriptor *field)
{
    return (char *) message + field->offset;
}

static void
read_field(const PGresult *result, int row, int column, ProtobufCMessage *message,
           const ProtobufCFieldDescriptor *field)
{
    /* A repeated, optional or oneof field has a count or a case beside it
     * that a column cannot set. */
    SF_ASSERT(field->label == PROTOBUF_C_LABEL_NONE || field->label == PROTOBUF_C_LABEL_REQUIRED);
    SF_ASSERT(!(field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF));
    void *at = field_at(message, field);
    /* An unsigned field is stored through its signed type, which may alias
     * it: the column's number is the same bits either way. */
    switch (field->type) {
    case PROTOBUF_C_TYPE_STRING:
        *(char **) at = (char *) sf_db_text(result, row, column);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        *(int64_t *) at = sf_db_int(result, row, column);
        break;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        *(int32_t *) at = (int32_t) sf_db_int(result, row, column);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *) at = sf_db_bool(result, row, column);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
    case PROTOBUF_C_TYPE_FLOAT: {
        double value = sf_db_double(result, row, column);
        if (field->type == PROTOBUF_C_TYPE_FLOAT)
            *(float *) at = (float) value;
        else
            *(double *) at = value;
        break;
    }
    default:
        SF_ASSERT(!"a field sf_row_read can read");
    }
}

int
sf_row_read(const PGresult *result, int row, int column, ProtobufCMessage *message, const char *fields)
{
    const char *at = fields;
    while (*at) {
        if (*at == ' ') {
            at++;
            continue;
        }
        size_t length = strcspn(at, " ");
        char name[64];
        SF_ASSERT(length < sizeof name);
        memcpy(name, at, length);
        name[length] = 0;
        at += length;
        const ProtobufCFieldDescriptor *field =
            protobuf_c_message_descriptor_get_field_by_name(message->descriptor, name);
        SF_ASSERT(field != NULL);
        SF_ASSERT(column < PQnfields(result));
        read_field(result, row, column, message, field);
        column++;
    }
    return column;
}

void *
sf_call_row_message(sf_call_t *call, const ProtobufCMessageDescriptor *descriptor, const PGresult *result,
                    int row, const char *fields)
{
    ProtobufCMessage *message = sf_call_new_message(call, descriptor);
    sf_row_read(result, row, 0, message, fields);
    return message;
}
