/* The start-up and teardown every service daemon shares: its command line
 * and --help, its settings table checked and loaded, logging, the server
 * built around its method table, its own start (followers, timers,
 * threads), the loop, and teardown, with one meaning for the exit code:
 * 0 after --help or a clean stop, 2 for a bad argument or a bad setting,
 * 1 when the daemon cannot start. A daemon's main is its sf_daemon_t and
 * one call of sf_daemon_main; what differs between daemons is in the
 * hooks, each optional. */
#ifndef SF_DAEMON_H
#define SF_DAEMON_H

#include <stdbool.h>
#include "sf_server.h"

/* What a hook returns when the daemon cannot go on, having logged why. */
#define SF_DAEMON_CANNOT_START 1   /* out of memory, a peer or thread that will not start */
#define SF_DAEMON_BAD_SETTING 2    /* a value the table's types and bounds cannot judge */

typedef struct {
    /* The suite's name ("grid"): logs, settings, the binary sifang-<service>
     * --help names, and the rpcs, whose descriptor the registry holds
     * (sf_registry_service). */
    const char *service;
    const char *about;                            /* --help's paragraph on the service */
    const sf_var_t *settings;                     /* the daemon's own table */
    void *config;                                 /* the struct the table's values go into */
    const sf_method_t *methods;                   /* ends with { NULL } */
    const sf_migration_t *migrations;             /* the service's own */
    void *state;                                  /* handed to handlers, unless prepare makes it */
    /* As sf_service_t's (intake's reference generation); both or neither. */
    const char *batch_probe_sql;
    void (*batch_probe_fn)(void *state, const PGresult *result);
    /* After the settings are in config, before the server: checks what the
     * table cannot (a zone tzdata must know, a key file's contents) and may
     * build the state into *state_p. Returns 0, or SF_DAEMON_BAD_SETTING /
     * SF_DAEMON_CANNOT_START having logged why (destroy still runs). */
    int (*prepare)(void *config, void **state_p);
    /* Once the server is built, before it runs: followers, timers, threads.
     * Returns false having logged why (the daemon exits 1). */
    bool (*start)(sf_server_t *server, void *state);
    /* After the loop, or after start failed part way, before the server is
     * destroyed (threads and sockets that live in its context go first). */
    void (*stop)(void *state);
    /* Last of all: frees what prepare built (also when it or the server
     * failed). */
    void (*destroy)(void *state);
} sf_daemon_t;

/* Runs the daemon: the command line ("Usage: sifang-<service> [--help]",
 * then about, then every setting), then the settings (sf_server_settings,
 * sf_process_settings and the daemon's, checked by sf_server_command_line,
 * loaded into config), logging, libsodium, prepare, the server, start,
 * sf_server_run, stop, the server's end, destroy. Returns the exit code
 * for main to return. */
int sf_daemon_main(int argc, char **argv, const sf_daemon_t *daemon);

#endif
