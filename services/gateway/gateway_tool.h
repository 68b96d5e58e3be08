/* What the gateway's administrator tools (sifang-gateway-keys,
 * sifang-gateway-accounts) share: one start (usage and --help, the
 * gateway's own settings table, libsodium), the gateway's database with its
 * schema migrated, and their commands looked up by name. */
#ifndef GATEWAY_TOOL_H
#define GATEWAY_TOOL_H

#include "gateway_settings.h"
#include "sf_db.h"

/* A command: argv[0] is its name, the rest what followed it. Returns the
 * exit status. */
typedef int gateway_tool_command_fn(int argc, char **argv);

typedef struct {
    const char *name;                  /* "revoke" */
    gateway_tool_command_fn *run;
} gateway_tool_command_t;

typedef struct {
    const char *name;                  /* "sifang-gateway-keys": begins every message */
    const char *usage;                 /* what --help prints first (its commands) */
    const gateway_tool_command_t *commands;   /* ends with { NULL, NULL } */
} gateway_tool_t;

/* The gateway's settings, loaded as the gateway itself loads them (its
 * table), so that a tool works on the schema the gateway uses, and a bad
 * value stops it the same way. */
extern gateway_settings_t gateway_tool_settings;

/* Says problem (NULL: --help was asked) and the usage; returns the exit
 * status: 2, or 0 for --help. */
int gateway_tool_usage(const gateway_tool_t *tool, const char *problem);
/* The gateway's database, connected, its schema migrated; NULL when it
 * cannot be (said on stderr). */
sf_db_t *gateway_tool_database(const gateway_tool_t *tool);
/* A tool's main: --help, the settings, libsodium, then the command argv[1]
 * names. Exit status: 0 done; 1 refused or failed; 2 usage or a bad setting
 * of the gateway's. */
int gateway_tool_main(const gateway_tool_t *tool, int argc, char **argv);

#endif
