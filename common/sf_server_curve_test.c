/* The service loop with CURVE on, against the real notebook daemon and a real
 * PostgreSQL (NEEDS_POSTGRES): admitted keys act as their own principal
 * whatever their header claims, only forwarders may name another, and a key
 * that is not admitted, or a plain connection, gets no reply at all. */
#include "sf_client.h"
#include "sf_config.h"
#include "sf_curve.h"
#include "sf_test.h"
#include "notebook.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[256];

static void
make_key(const char *name, sf_keypair_t *keypair)
{
    char path[512], error[256];
    SF_CHECK(sf_keypair_generate(keypair) == 0);
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    SF_CHECK(sf_keypair_save(keypair, path, true, error, sizeof error) == 0);
}

static void
admit(sf_allowlist_t *allowlist, const sf_keypair_t *keypair, const char *principal, const char *role,
      const char *scope)
{
    sf_client_key_t key;
    memset(&key, 0, sizeof key);
    snprintf(key.public_key, sizeof key.public_key, "%s", keypair->public_key);
    snprintf(key.principal_id, sizeof key.principal_id, "%s", principal);
    snprintf(key.role, sizeof key.role, "%s", role);
    snprintf(key.scope, sizeof key.scope, "%s", scope);
    SF_CHECK(sf_allowlist_add(allowlist, &key) == 0);
}

static sf_client_t *
client_with(const char *endpoint, const sf_keypair_t *keypair, const sf_keypair_t *server)
{
    sf_curve_client_t curve;
    memset(&curve, 0, sizeof curve);
    curve.enabled = true;
    curve.keypair = *keypair;
    snprintf(curve.server_public_key, sizeof curve.server_public_key, "%s", server->public_key);
    sf_client_t *client = sf_client_new(endpoint, &curve);
    sf_client_set_timeout(client, 1500);
    sf_client_set_retries(client, 0);
    return client;
}

static sf_status_t
add(sf_client_t *client, const char *key)
{
    Sifang__Test__Note note = SIFANG__TEST__NOTE__INIT;
    note.key = (char *) key;
    sf_reply_info_t info;
    return sf_client_call(client, "NoteAdd", NULL, &note.base, NULL, NULL, &info);
}

static long long
actor_is(PGconn *conn, const char *key, const char *actor)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM mirror.event_log WHERE key = '%s' AND actor = '%s'", key, actor);
    return sf_test_pg_int(conn, sql);
}

int
main(void)
{
    if (sf_test_pg_env("server_curve_test") != 0)
        return sf_test_done();
    sf_test_tmpdir(dir, sizeof dir);
    sf_keypair_t server, community, gateway, stranger;
    make_key("notebook", &server);
    make_key("community", &community);
    make_key("gateway", &gateway);
    make_key("stranger", &stranger);
    sf_allowlist_t *allowlist = sf_allowlist_new();
    admit(allowlist, &community, "cadre-0101", "community", "370205001001");
    admit(allowlist, &gateway, "gateway", "gateway", "");
    char allowlist_path[512], error[256];
    snprintf(allowlist_path, sizeof allowlist_path, "%s/allowlist", dir);
    SF_CHECK(sf_allowlist_save(allowlist, allowlist_path, error, sizeof error) == 0);
    sf_allowlist_destroy(&allowlist);

    /* CURVE over TCP, as in production: port 0, and the ports the notebook
     * says it got. */
    char *endpoint = NULL, *publish = NULL;
    char endpoint_env[128], publish_env[128], key_env[600], allow_env[600], log_path[512];
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_NOTEBOOK_ENDPOINT=%s", SF_TEST_TCP_ANY);
    snprintf(publish_env, sizeof publish_env, "SIFANG_NOTEBOOK_PUBLISH=%s", SF_TEST_TCP_ANY);
    snprintf(key_env, sizeof key_env, "SIFANG_CURVE_SECRET_KEY_FILE=%s/notebook.key", dir);
    snprintf(allow_env, sizeof allow_env, "SIFANG_CURVE_ALLOWLIST=%s", allowlist_path);
    snprintf(log_path, sizeof log_path, "%s/notebook.log", dir);
    const char *env[] = { endpoint_env, publish_env, key_env, allow_env, "SIFANG_NOTEBOOK_SCHEMA=mirror",
                          "SIFANG_NOTEBOOK_DATABASE_URL=user=sifang_mirror", NULL };
    sf_test_daemon_t *daemon = sf_test_daemon_start(NOTEBOOK_PATH, env, log_path);
    PGconn *conn = sf_test_pg_connect();
    if (!SF_CHECK(daemon && conn && sf_test_daemon_wait_ready(daemon, 10000) == 0))
        goto cleanup;
    endpoint = strdup(sf_test_daemon_endpoint(daemon, "endpoint") ? sf_test_daemon_endpoint(daemon, "endpoint") : "");
    publish = strdup(sf_test_daemon_endpoint(daemon, "publish") ? sf_test_daemon_endpoint(daemon, "publish") : "");
    if (!SF_CHECK(endpoint && publish && strncmp(endpoint, "tcp://127.0.0.1:", 16) == 0))
        goto cleanup;

    /* An admitted key acts as itself, whatever its header claims. */
    sf_client_t *client = client_with(endpoint, &community, &server);
    sf_client_set_timeout(client, 5000);
    SF_CHECK_EQ_INT(add(client, "by-cadre"), SF_OK);
    SF_CHECK_EQ_INT(actor_is(conn, "by-cadre", "cadre-0101"), 1);
    sf_client_set_principal(client, "someone-else", "viewer", "");
    SF_CHECK_EQ_INT(add(client, "claimed-viewer"), SF_OK);
    SF_CHECK_EQ_INT(actor_is(conn, "claimed-viewer", "cadre-0101"), 1);
    sf_client_destroy(&client);

    /* The gateway acts for the principal it names. */
    client = client_with(endpoint, &gateway, &server);
    sf_client_set_timeout(client, 5000);
    sf_client_set_principal(client, "dept-civil-affairs", "viewer", "");
    SF_CHECK_EQ_INT(add(client, "by-viewer"), SF_PERMISSION_DENIED);
    sf_client_set_principal(client, "cadre-0202", "community", "370205002002");
    SF_CHECK_EQ_INT(add(client, "for-cadre"), SF_OK);
    SF_CHECK_EQ_INT(actor_is(conn, "for-cadre", "cadre-0202"), 1);
    sf_client_destroy(&client);

    /* A key not admitted: no reply at all, and nothing written. */
    client = client_with(endpoint, &stranger, &server);
    SF_CHECK_EQ_INT(add(client, "by-stranger"), SF_UNAVAILABLE);
    sf_client_destroy(&client);
    /* A plain connection: nothing either. */
    client = sf_client_new(endpoint, NULL);
    sf_client_set_timeout(client, 1500);
    sf_client_set_retries(client, 0);
    SF_CHECK_EQ_INT(add(client, "by-plain"), SF_UNAVAILABLE);
    sf_client_destroy(&client);
    SF_CHECK_EQ_INT(sf_test_pg_int(conn, "SELECT count(*) FROM mirror.note WHERE key IN ('by-stranger', 'by-plain')"), 0);

    SF_CHECK_EQ_INT(sf_test_daemon_stop(&daemon), 0);
    /* The refusal is in the daemon's log, with the key that was refused. */
    FILE *log = fopen(log_path, "r");
    char line[2048];
    bool logged = false;
    while (log && fgets(line, sizeof line, log))
        logged = logged || strstr(line, stranger.public_key) != NULL;
    if (log)
        fclose(log);
    SF_CHECK(logged);
cleanup:
    if (daemon)
        sf_test_daemon_stop(&daemon);
    if (conn)
        PQfinish(conn);
    if (!sf_test_failures())
        sf_test_rmtree(dir);
    free(endpoint);
    free(publish);
    return sf_test_done();
}
