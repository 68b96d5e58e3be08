/* sifang-mirror: a follower of grid's event log for the tests. It keeps a
 * copy of grid's org units and households in its own schema, the way
 * evaluation keeps its aggregates, so a test can stop it mid-stream, start it
 * again and compare its copy with grid's own tables. */
#include "sf_follower.h"
#include "sf_log.h"
#include "sf_server.h"
#include "sifang/v1/grid.pb-c.h"
#include <stdio.h>
#include <string.h>

static const sf_migration_t mirror_migrations[] = {
    { 1, "copies",
      "CREATE TABLE unit (code text PRIMARY KEY, kind int NOT NULL, name text NOT NULL,\n"
      "                   version bigint NOT NULL, events int NOT NULL DEFAULT 1);\n"
      "CREATE TABLE household (code text PRIMARY KEY, address text NOT NULL,\n"
      "                        flags int[] NOT NULL, version bigint NOT NULL);\n" },
    { 0, NULL, NULL },
};

static sf_status_t
apply_unit(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__OrgUnit *unit = sifang__v1__org_unit__unpack(NULL, event->payload.len, event->payload.data);
    if (!unit)
        return SF_DATA_LOSS;   /* recorded and passed over (sf_follower.h) */
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, unit->code);
    sf_params_int(&params, unit->kind);
    sf_params_text(&params, unit->name);
    sf_params_int(&params, unit->version);
    /* events counts how often a unit was applied: a second apply of the same
     * event would show as a count above the unit's changes. */
    PGresult *result = sf_db_query(db,
        "INSERT INTO unit (code, kind, name, version) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, version = EXCLUDED.version,"
        "   events = unit.events + 1", &params);
    sf_status_t status = sf_db_status(result);
    PQclear(result);
    protobuf_c_message_free_unpacked(&unit->base, NULL);
    return status;
}

static sf_status_t
apply_household(sf_db_t *db, const Sifang__V1__Event *event)
{
    Sifang__V1__Household *household = sifang__v1__household__unpack(NULL, event->payload.len,
                                                                      event->payload.data);
    if (!household)
        return SF_DATA_LOSS;   /* recorded and passed over (sf_follower.h) */
    sf_pgarray_t flags;
    sf_pgarray_init(&flags);
    for (size_t i = 0; i < household->n_flags; i++)
        sf_pgarray_add_int(&flags, household->flags[i]);
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, household->code);
    sf_params_text(&params, household->address);
    sf_params_text(&params, sf_pgarray_text(&flags));
    sf_params_int(&params, household->version);
    PGresult *result = sf_db_query(db,
        "INSERT INTO household (code, address, flags, version) VALUES ($1, $2, $3::int[], $4)"
        " ON CONFLICT (code) DO UPDATE SET address = EXCLUDED.address, flags = EXCLUDED.flags,"
        "   version = EXCLUDED.version", &params);
    sf_status_t status = sf_db_status(result);
    PQclear(result);
    sf_pgarray_release(&flags);
    protobuf_c_message_free_unpacked(&household->base, NULL);
    return status;
}

static sf_status_t
apply_grid_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    (void) arg;
    if (strncmp(event->type, "unit.", 5) == 0)
        return apply_unit(db, event);
    if (strncmp(event->type, "household.", 10) == 0)
        return apply_household(db, event);
    return SF_OK;
}

static const sf_setting_t mirror_settings[] = {
    { "SIFANG_MIRROR_POLL_MS", "1000", "how often to poll grid besides its notices" },
    { "SIFANG_MIRROR_PAGE_SIZE", "1000", "events applied per transaction" },
    { "SIFANG_GRID_ENDPOINT", "tcp://127.0.0.1:7101", "grid's ROUTER" },
    { "SIFANG_GRID_PUBLISH", "tcp://127.0.0.1:7102", "grid's PUB" },
    { NULL, NULL, NULL },
};

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        sf_config_help(stdout, "usage: sifang-mirror (a test follower of grid)", NULL);
        sf_settings_help(stdout, sf_server_settings, "mirror");
        sf_settings_help(stdout, sf_process_settings, "mirror");
        sf_config_help(stdout, "", mirror_settings);
        return 0;
    }
    sf_log_init("mirror");
    const sf_service_t service = {
        .service = "mirror", .descriptor = NULL, .methods = NULL, .migrations = mirror_migrations,
    };
    char error[256];
    sf_server_t *server = sf_server_new(&service, error, sizeof error);
    if (!server) {
        sf_error("cannot start", "reason", error);
        return 1;
    }
    int rc = 1;
    sf_follower_t *follower = NULL;
    follower = sf_follower_new_from_env(sf_server_zmq_context(server), sf_server_db(server), "grid",
                                        apply_grid_event, NULL, error, sizeof error);
    if (!follower) {
        sf_error("cannot follow grid", "reason", error);
        goto cleanup;
    }
    sf_follower_set_page_size(follower, (int) sf_env_int("SIFANG_MIRROR_PAGE_SIZE", 1000));
    sf_follower_attach(follower, server, (int) sf_env_int("SIFANG_MIRROR_POLL_MS", 1000));
    rc = sf_server_run(server);
cleanup:
    sf_follower_destroy(&follower);
    sf_server_destroy(&server);
    return rc;
}
