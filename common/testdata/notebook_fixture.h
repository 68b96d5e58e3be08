/* The notebook daemon as a test starts it: its sockets and log in the
 * test's own directory, its schema "mirror", a client, and cleaning up
 * afterwards (the directory kept, and its log named, when a check failed). */
#ifndef NOTEBOOK_FIXTURE_H
#define NOTEBOOK_FIXTURE_H

#include <stdbool.h>
#include "sf_client.h"
#include "sf_test.h"

typedef struct {
    char dir[256];
    char log_path[512];
    char *endpoint;          /* ipc:// in dir */
    char *publish;
    sf_test_daemon_t *daemon;
    sf_client_t *client;
} notebook_fixture_t;

/* Starts the daemon at daemon_path with extra_env (NULL-terminated
 * "NAME=VALUE", may be NULL) and waits until it serves with its database
 * up. False (counted as a failure) when it did not come up. */
bool notebook_fixture_start(notebook_fixture_t *self, const char *daemon_path, const char *const extra_env[]);
/* Stops what is still running and frees the fixture. */
void notebook_fixture_finish(notebook_fixture_t *self);

#endif
