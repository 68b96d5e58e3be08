/* What grid's integration tests share: the codes of the district they
 * build, a fresh schema, the identity number hash key the daemon is started
 * with, and waiting for its database. */
#ifndef GRID_TEST_SUPPORT_H
#define GRID_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>
#include "sf_client.h"
#include "sf_status.h"
#include <protobuf-c/protobuf-c.h>

#define DISTRICT "370205"
#define STREET_1 "370205001"
#define STREET_2 "370205002"
#define COMMUNITY_1 "370205001001"
#define COMMUNITY_2 "370205002001"
#define ZONE_1 "37020500100101"
#define ZONE_2 "37020500200101"
#define GROUP_1A "370205001001011"
#define GROUP_1B "370205001001012"
#define GROUP_2 "370205002001011"

/* Drops schema if it exists and creates it again for sifang_grid, writes the
 * tests' hash key to dir/id_hash.key and sets key_env to the daemon's
 * SIFANG_GRID_ID_HASH_KEY_FILE=... entry. Returns 0, or -1 with the failure
 * counted. */
int grid_test_prepare(PGconn *db, const char *schema, const char *dir, char *key_env,
                      size_t key_env_size);

/* The event log's length and a digest of the rows that rows_sql selects
 * (one text column t, e.g. "SELECT a::text AS t FROM grid.funding_budget a"),
 * as one string: what a refused call must leave as it was. */
void grid_test_fingerprint(PGconn *db, const char *rows_sql, char *out, size_t size);

/* A refusal: method called as client must fail with expected, naming field
 * among its violations (NULL: any), and leave the event log and the rows of
 * rows_sql (grid_test_fingerprint) unchanged; failures are counted with
 * the caller's line. */
void grid_test_refused(PGconn *db, const char *rows_sql, sf_client_t *client, const char *method,
                       const void *request, sf_status_t expected, const char *field, int line);

/* The one event of type and key after head (asked of admin), unpacked as
 * descriptor (the caller frees it); NULL, and a failure, unless there is
 * exactly one. */
ProtobufCMessage *grid_test_event_after(sf_client_t *admin, int64_t head, const char *type, const char *key,
                                        const ProtobufCMessageDescriptor *descriptor);

/* Whether got and want print the same as JSON (a check; the difference
 * printed, named what). */
bool grid_test_same_message(const char *what, const ProtobufCMessage *got, const ProtobufCMessage *want);

/* The message of descriptor that sql's one row and column (a JSON object)
 * says, or NULL with a failure counted; the caller frees it. */
ProtobufCMessage *grid_test_message_in_sql(PGconn *db, const ProtobufCMessageDescriptor *descriptor, const char *sql);

/* The test's end: removes dir when all passed (else says where the daemon
 * logs are kept) and returns the exit code. */
int grid_test_done(const char *dir);

#endif
