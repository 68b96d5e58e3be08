/* A result row read into a message's fields: the fields named in the order
 * of the row's columns, each read as its type in the message's descriptor
 * says, so that a reader is the list of what its columns are for instead
 * of one line a column with the column's number and a cast. */
#ifndef SF_ROW_H
#define SF_ROW_H

#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>
#include "sf_server.h"

/* Reads columns column, column + 1, ... of row into the fields of message
 * named in fields, space separated, in that order ("id name created_unix_ms").
 * A string field points into the result (it must live as long as the
 * message: a call's results do); an integer or enum field takes the
 * column's number, a bool "t", a double or float its number; NULL reads as
 * "", 0 or false (sf_db_text ...). Returns the column after the last read,
 * for a reader that goes on by hand (nested messages, repeated fields).
 * A name the message lacks, a field of another kind (a message, bytes, a
 * repeated or optional field) or a column the result lacks is a bug in our
 * code (SF_ASSERT). */
int sf_row_read(const PGresult *result, int row, int column, ProtobufCMessage *message, const char *fields);

/* A message of descriptor's type allocated from the call, with columns 0,
 * 1, ... of row read into fields as sf_row_read does: the whole of a
 * reader whose row is its message. */
void *sf_call_row_message(sf_call_t *call, const ProtobufCMessageDescriptor *descriptor, const PGresult *result,
                          int row, const char *fields);

#endif
