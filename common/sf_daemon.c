/* The shared main of the service daemons: start-up in one order, one
 * meaning for the exit code, and teardown in the reverse order. */
#include "sf_daemon.h"
#include "sf_heap.h"
#include "sf_log.h"
#include "sf_registry.h"
#include <sodium.h>
#include <stdio.h>

int
sf_daemon_main(int argc, char **argv, const sf_daemon_t *daemon)
{
    char usage[2048];
    snprintf(usage, sizeof usage, "Usage: sifang-%s [--help]\n\n%s", daemon->service, daemon->about);
    int exit_code = sf_server_command_line(argc, argv, daemon->service, usage, daemon->settings);
    if (exit_code >= 0)
        return exit_code;
    sf_log_init(daemon->service);
    sf_heap_init();   /* before any thread has an arena */
    /* Before any hook: grid's identity key and employment's import digests
     * use it ahead of the server, which would otherwise start it. */
    if (sodium_init() < 0) {
        sf_error("cannot initialise libsodium");
        return SF_DAEMON_CANNOT_START;
    }
    char error[512];
    if (sf_settings_load(daemon->settings, daemon->service, daemon->config, error, sizeof error) != 0) {
        sf_error("bad setting", "reason", error);   /* checked by the command line: not reached */
        return SF_DAEMON_BAD_SETTING;
    }
    void *state = daemon->state;
    sf_server_t *server = NULL;
    int rc = daemon->prepare ? daemon->prepare(daemon->config, &state) : 0;
    if (rc != 0)
        goto destroy;
    sf_service_t service = {
        .service = daemon->service,
        .descriptor = sf_registry_service(daemon->service),
        .methods = daemon->methods,
        .migrations = daemon->migrations,
        .state = state,
        .batch_probe_sql = daemon->batch_probe_sql,
        .batch_probe_fn = daemon->batch_probe_fn,
    };
    rc = SF_DAEMON_CANNOT_START;
    server = sf_server_new(&service, error, sizeof error);
    if (!server) {
        sf_error("cannot start", "reason", error);
        goto destroy;
    }
    if (!daemon->start || daemon->start(server, state))
        rc = sf_server_run(server);
    if (daemon->stop)
        daemon->stop(state);
    sf_server_destroy(&server);
destroy:
    if (daemon->destroy)
        daemon->destroy(state);
    return rc;
}
