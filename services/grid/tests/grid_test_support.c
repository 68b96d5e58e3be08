/* What grid's integration tests share: a fresh schema, the identity number
 * hash key the daemon is started with, and waiting for its database. */
#include "grid_test_support.h"
#include "sf_test.h"
#include "sf_config.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <unistd.h>

int
grid_test_prepare(PGconn *db, const char *schema, const char *dir, char *key_env,
                  size_t key_env_size)
{
    char sql[256], key_path[512];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    sf_test_pg_exec(db, sql);
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s AUTHORIZATION sifang_grid", schema);
    if (!SF_CHECK_EQ_INT(sf_test_pg_exec(db, sql), 0))
        return -1;
    snprintf(key_path, sizeof key_path, "%s/id_hash.key", dir);
    FILE *key = fopen(key_path, "w");
    if (!SF_CHECK(key != NULL))
        return -1;
    fputs("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", key);
    fclose(key);
    snprintf(key_env, key_env_size, "SIFANG_GRID_ID_HASH_KEY_FILE=%s", key_path);
    return 0;
}

int
grid_test_done(const char *dir)
{
    if (sf_test_failures() == 0)
        sf_test_rmtree(dir);
    else
        fprintf(stderr, "daemon logs kept in %s\n", dir);
    return sf_test_done();
}
