/* Numbered SQL migrations per service, applied at start under an advisory
 * lock and recorded in the service's own schema. */
#ifndef SF_MIGRATE_H
#define SF_MIGRATE_H

#include "sf_db.h"

/* One migration: version from the NNN_ prefix of its file, the rest of the
 * name, and the SQL (may hold several statements). A table ends with
 * { 0, NULL, NULL }. CMake's sifang_embed_migrations() generates
 * <target>_migrations[] from a directory of .sql files. */
typedef struct {
    int version;
    const char *name;
    const char *sql;
} sf_migration_t;

/* The common runtime's own tables (event log, idempotency store, follower
 * cursors), applied as component "common" before the service's. */
extern const sf_migration_t sf_common_migrations[];

/* Applies every migration of component not yet recorded in
 * <schema>.schema_migrations, each in its own transaction, all under an
 * advisory lock keyed by the schema (so replicas starting together apply each
 * once). Returns 0, or -1 with a reason in error. */
int sf_migrate(sf_db_t *db, const char *schema, const char *component,
               const sf_migration_t *migrations, char *error, size_t error_size) SF_MUST_USE;

#endif
