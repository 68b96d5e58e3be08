/* Applies a service's numbered migrations once, under an advisory lock, and
 * records them in <schema>.schema_migrations. */
#include "sf_migrate.h"
#include "sf_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The runtime's own tables, in every service's schema. event_head holds the
 * last sequence handed out: taking it with UPDATE locks the row until
 * commit, so sequences are assigned in commit order and a reader taking
 * seq > last never passes over a transaction that commits later. */
const sf_migration_t sf_common_migrations[] = {
    { 1, "event_log",
      "CREATE TABLE event_log (\n"
      "  seq          bigint PRIMARY KEY,\n"
      "  type         text NOT NULL,\n"
      "  key          text NOT NULL,\n"
      "  occurred_at  timestamptz NOT NULL,\n"
      "  payload_type text NOT NULL,\n"
      "  payload      bytea NOT NULL,\n"
      "  actor        text NOT NULL DEFAULT '',\n"
      "  request_id   text NOT NULL DEFAULT ''\n"
      ");\n"
      "CREATE TABLE event_head (\n"
      "  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),\n"
      "  seq      bigint NOT NULL\n"
      ");\n"
      "INSERT INTO event_head (only_row, seq) VALUES (true, 0);\n" },
    { 2, "request_log",
      "CREATE TABLE request_log (\n"
      "  principal    text NOT NULL,\n"
      "  request_id   text NOT NULL,\n"
      "  method       text NOT NULL,\n"
      "  reply_header bytea NOT NULL,\n"
      "  reply_body   bytea NOT NULL,\n"
      "  created_at   timestamptz NOT NULL DEFAULT now(),\n"
      "  PRIMARY KEY (principal, request_id)\n"
      ");\n"
      "CREATE INDEX request_log_created_at ON request_log (created_at);\n" },
    { 3, "event_cursor",
      "CREATE TABLE event_cursor (\n"
      "  source     text PRIMARY KEY,\n"
      "  last_seq   bigint NOT NULL CHECK (last_seq >= 0),\n"
      "  updated_at timestamptz NOT NULL DEFAULT now()\n"
      ");\n" },
    /* A row may hold a group of events (sf_outbox_group): seq is the last of
     * its members' sequence numbers, events how many there are. Groups are
     * tens of kilobytes: lz4 compresses them several times faster than
     * pglz, the default (a server built without lz4 keeps pglz). */
    { 4, "event_groups",
      "ALTER TABLE event_log ADD COLUMN events int NOT NULL DEFAULT 1 CHECK (events >= 1);\n"
      "DO $$ BEGIN\n"
      "  ALTER TABLE event_log ALTER COLUMN payload SET COMPRESSION lz4;\n"
      "EXCEPTION WHEN feature_not_supported THEN NULL;\n"
      "END $$;\n" },
    /* An idempotency key is (principal, request id) bound to what it was
     * first used for: the method (already stored) and a digest of the
     * request body. A reuse for anything else is refused, never answered
     * with a foreign reply. Rows stored before this migration have no
     * digest and are bound by their method alone. */
    { 5, "request_digest",
      "ALTER TABLE request_log ADD COLUMN request_digest bytea;\n" },
    /* A followed source's event that does not decode (its apply said
     * SF_DATA_LOSS): recorded here in the transaction that moves the cursor
     * past it, so it never stalls the follower and is never lost from view
     * (sf_follower.h). */
    { 6, "event_skipped",
      "CREATE TABLE event_skipped (\n"
      "  source     text NOT NULL,\n"
      "  seq        bigint NOT NULL,\n"
      "  type       text NOT NULL,\n"
      "  reason     text NOT NULL,\n"
      "  skipped_at timestamptz NOT NULL DEFAULT now(),\n"
      "  PRIMARY KEY (source, seq)\n"
      ");\n" },
    { 0, NULL, NULL },
};

static int
fail(char *error, size_t error_size, const char *what, PGconn *conn)
{
    snprintf(error, error_size, "%s: %s", what, conn ? PQerrorMessage(conn) : "database down");
    error[strcspn(error, "\n")] = 0;
    return -1;
}

static bool
exec_ok(PGconn *conn, const char *sql)
{
    PGresult *result = PQexec(conn, sql);
    bool ok = sf_db_result_ok(result);
    PQclear(result);
    return ok;
}

int
sf_migrate(sf_db_t *db, const char *schema, const char *component,
           const sf_migration_t *migrations, char *error, size_t error_size)
{
    PGconn *conn = sf_db_conn(db);
    if (!conn)
        return fail(error, error_size, "migrate", NULL);
    char lock_key[160];
    snprintf(lock_key, sizeof lock_key, "sifang.migrate.%s", schema);
    const char *lock_values[1] = { lock_key };
    PGresult *result = PQexecParams(conn, "SELECT pg_advisory_lock(hashtext($1))",
                                    1, NULL, lock_values, NULL, NULL, 0);
    bool locked = sf_db_result_ok(result);
    PQclear(result);
    if (!locked)
        return fail(error, error_size, "advisory lock", conn);

    int rc = 0;
    if (!exec_ok(conn,
                 "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
                 "  component  text NOT NULL,\n"
                 "  version    integer NOT NULL,\n"
                 "  name       text NOT NULL,\n"
                 "  applied_at timestamptz NOT NULL DEFAULT now(),\n"
                 "  PRIMARY KEY (component, version))")) {
        rc = fail(error, error_size, "create schema_migrations", conn);
        goto cleanup;
    }
    for (const sf_migration_t *m = migrations; m && m->sql; m++) {
        char version[16];
        snprintf(version, sizeof version, "%d", m->version);
        const char *values[3] = { component, version, m->name };
        result = PQexecParams(conn,
            "SELECT 1 FROM schema_migrations WHERE component = $1 AND version = $2::integer",
            2, NULL, values, NULL, NULL, 0);
        bool known = sf_db_result_ok(result) && PQntuples(result) == 1;
        bool checked = sf_db_result_ok(result);
        PQclear(result);
        if (!checked) {
            rc = fail(error, error_size, "read schema_migrations", conn);
            goto cleanup;
        }
        if (known)
            continue;
        if (!exec_ok(conn, "BEGIN")) {
            rc = fail(error, error_size, "begin", conn);
            goto cleanup;
        }
        /* Simple query protocol: a migration may hold several statements. */
        result = PQexec(conn, m->sql);
        bool applied = sf_db_result_ok(result);
        PQclear(result);
        if (!applied) {
            char what[128];
            snprintf(what, sizeof what, "migration %s %03d_%s", component, m->version, m->name);
            fail(error, error_size, what, conn);
            exec_ok(conn, "ROLLBACK");
            rc = -1;
            goto cleanup;
        }
        result = PQexecParams(conn,
            "INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2::integer, $3)",
            3, NULL, values, NULL, NULL, 0);
        bool recorded = sf_db_result_ok(result);
        PQclear(result);
        if (!recorded || !exec_ok(conn, "COMMIT")) {
            rc = fail(error, error_size, "record migration", conn);
            exec_ok(conn, "ROLLBACK");
            goto cleanup;
        }
        sf_info("migration applied", "schema", schema, "component", component,
                "version", version, "name", m->name);
    }
cleanup:
    result = PQexecParams(conn, "SELECT pg_advisory_unlock(hashtext($1))",
                          1, NULL, lock_values, NULL, NULL, 0);
    PQclear(result);
    return rc;
}
