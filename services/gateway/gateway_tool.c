/* The start, the database and the command lookup of the gateway's
 * administrator tools (gateway_tool.h). */
#include "gateway_tool.h"
#include "gateway_keys.h"
#include "sf_config.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gateway_settings_t gateway_tool_settings;

/* What every tool's usage ends with: where its database is
 * (gateway_tool_database) and what its exit status means. */
static const char usage_footer[] =
    "\n"
    "The database: SIFANG_GATEWAY_DATABASE_URL, else the PG* variables as role\n"
    "sifang_gateway; schema SIFANG_GATEWAY_SCHEMA (default gateway).\n"
    "exit status: 0 done; 1 refused or failed; 2 usage or a bad setting of the gateway's.\n";

int
gateway_tool_usage(const gateway_tool_t *tool, const char *problem)
{
    if (problem)
        fprintf(stderr, "%s: %s\n", tool->name, problem);
    fputs(tool->usage, problem ? stderr : stdout);
    fputs(usage_footer, problem ? stderr : stdout);
    return problem ? 2 : 0;
}

sf_db_t *
gateway_tool_database(const gateway_tool_t *tool)
{
    setenv("PGCONNECT_TIMEOUT", "5", 0);
    char *conninfo = sf_db_conninfo_from_env("gateway");
    const char *schema = gateway_tool_settings.schema;
    sf_db_t *db = conninfo ? sf_db_new(conninfo, schema) : NULL;
    free(conninfo);
    if (!db || !sf_db_connect(db)) {
        fprintf(stderr, "%s: cannot connect to the database (see --help)\n", tool->name);
        sf_db_destroy(&db);
        return NULL;
    }
    char error[512];
    if (gateway_keys_migrate(db, schema, error, sizeof error) != 0) {
        fprintf(stderr, "%s: cannot prepare schema %s: %s\n", tool->name, schema, error);
        sf_db_destroy(&db);
        return NULL;
    }
    return db;
}

int
gateway_tool_main(const gateway_tool_t *tool, int argc, char **argv)
{
    if (argc < 2)
        return gateway_tool_usage(tool, "no command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return gateway_tool_usage(tool, NULL);
    char error[512];
    if (sf_settings_load(gateway_settings, "gateway", &gateway_tool_settings, error, sizeof error) != 0) {
        fprintf(stderr, "%s: bad setting %s\n", tool->name, error);
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "%s: cannot initialise libsodium\n", tool->name);
        return 1;
    }
    for (const gateway_tool_command_t *command = tool->commands; command->name; command++)
        if (strcmp(argv[1], command->name) == 0)
            return command->run(argc - 1, argv + 1);
    return gateway_tool_usage(tool, "unknown command");
}
