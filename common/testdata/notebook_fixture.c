/* The notebook daemon as a test starts it (see notebook_fixture.h). */
#include "notebook_fixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXTRA_ENV_MAX 8

bool
notebook_fixture_start(notebook_fixture_t *self, const char *daemon_path, const char *const extra_env[])
{
    memset(self, 0, sizeof *self);
    if (!SF_CHECK(sf_test_tmpdir(self->dir, sizeof self->dir) == 0))
        return false;
    snprintf(self->log_path, sizeof self->log_path, "%s/notebook.log", self->dir);
    self->endpoint = sf_test_ipc_endpoint(self->dir, "notebook");
    self->publish = sf_test_ipc_endpoint(self->dir, "notebook-pub");
    if (!SF_CHECK(self->endpoint && self->publish))
        return false;
    char endpoint_env[256], publish_env[256];
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_NOTEBOOK_ENDPOINT=%s", self->endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_NOTEBOOK_PUBLISH=%s", self->publish);
    const char *env[4 + EXTRA_ENV_MAX + 1] = {
        endpoint_env, publish_env,
        "SIFANG_NOTEBOOK_SCHEMA=mirror",
        "SIFANG_NOTEBOOK_DATABASE_URL=user=sifang_mirror",
    };
    size_t n = 4;
    for (size_t i = 0; extra_env && extra_env[i]; i++) {
        if (!SF_CHECK(i < EXTRA_ENV_MAX))
            return false;
        env[n++] = extra_env[i];
    }
    self->daemon = sf_test_daemon_start(daemon_path, env, self->log_path);
    self->client = sf_client_new(self->endpoint, NULL);
    return SF_CHECK(self->daemon && self->client) && SF_CHECK(sf_test_daemon_wait_ready(self->daemon, 10000) == 0)
        && SF_CHECK(sf_test_wait_database(self->client, 20000));
}

void
notebook_fixture_finish(notebook_fixture_t *self)
{
    if (sf_test_failures())
        printf("daemon log: %s\n", self->log_path);
    else if (self->dir[0])
        sf_test_rmtree(self->dir);
    sf_client_destroy(&self->client);
    if (self->daemon)
        sf_test_daemon_stop(&self->daemon);
    free(self->endpoint);
    free(self->publish);
    self->endpoint = self->publish = NULL;
}
