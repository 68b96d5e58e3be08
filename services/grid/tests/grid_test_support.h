/* What grid's integration tests share: the codes of the district they
 * build, a fresh schema, the identity number hash key the daemon is started
 * with, and waiting for its database. */
#ifndef GRID_TEST_SUPPORT_H
#define GRID_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>
#include "sf_client.h"

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

/* The test's end: removes dir when all passed (else says where the daemon
 * logs are kept) and returns the exit code. */
int grid_test_done(const char *dir);

#endif
