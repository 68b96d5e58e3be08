/* Unit tests of CURVE key files, allowlists, configuration from the
 * environment, and the ZAP handler over real loopback TCP with real sockets. */
#include "sf_curve.h"
#include "sf_log.h"
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* Plain C checks so this test depends on nothing but sifang_common. */
static int failures;
#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
            failures++;                                                               \
        }                                                                             \
    } while (0)
#define CHECK_CONTAINS(text, part)                                                    \
    do {                                                                              \
        if (!strstr((text), (part))) {                                                \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__,      \
                    __LINE__, (text), (part));                                        \
            failures++;                                                               \
        }                                                                             \
    } while (0)

static char scratch[64];

static const char *
in_scratch(const char *name)
{
    static char paths[8][256];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, sizeof paths[0], "%s/%s", scratch, name);
    return path;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    FILE *file = fopen(path, "w");
    if (!file) {
        perror(path);
        exit(2);
    }
    fputs(text, file);
    fclose(file);
    chmod(path, mode);
}

static void
remove_scratch(void)
{
    DIR *dir = opendir(scratch);
    if (!dir)
        return;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            unlink(in_scratch(entry->d_name));
    closedir(dir);
    rmdir(scratch);
}

static void
sleep_ms(int ms)
{
    struct timespec pause = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

/* ---------------------------------------------------------- key files -- */

static void
test_keypair_files(void)
{
    char error[256] = "";
    sf_keypair_t pair, loaded;
    CHECK(sf_keypair_generate(&pair) == 0);
    CHECK(strlen(pair.public_key) == 40 && strlen(pair.secret_key) == 40);

    const char *key_path = in_scratch("grid.key");
    const char *pub_path = in_scratch("grid.pub");
    CHECK(sf_keypair_save(&pair, key_path, true, error, sizeof error) == 0);
    CHECK(sf_keypair_save(&pair, pub_path, false, error, sizeof error) == 0);
    struct stat st;
    CHECK(stat(key_path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(pub_path, &st) == 0 && (st.st_mode & 0777) == 0644);

    CHECK(sf_keypair_load(&loaded, key_path, true, error, sizeof error) == 0);
    CHECK(strcmp(loaded.public_key, pair.public_key) == 0);
    CHECK(strcmp(loaded.secret_key, pair.secret_key) == 0);

    /* A public file gives the public key only, and is no keypair. */
    CHECK(sf_keypair_load(&loaded, pub_path, false, error, sizeof error) == 0);
    CHECK(strcmp(loaded.public_key, pair.public_key) == 0 && loaded.secret_key[0] == 0);
    CHECK(sf_keypair_load(&loaded, pub_path, true, error, sizeof error) == -1);
    CHECK_CONTAINS(error, "no secret-key");
    /* Loading a keypair file for its public key never hands out the secret. */
    CHECK(sf_keypair_load(&loaded, key_path, false, error, sizeof error) == 0);
    CHECK(strcmp(loaded.public_key, pair.public_key) == 0 && loaded.secret_key[0] == 0);

    /* Saving again replaces the file atomically and keeps the mode. */
    sf_keypair_t other;
    CHECK(sf_keypair_generate(&other) == 0);
    CHECK(sf_keypair_save(&other, key_path, true, error, sizeof error) == 0);
    CHECK(stat(key_path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(sf_keypair_load(&loaded, key_path, true, error, sizeof error) == 0);
    CHECK(strcmp(loaded.secret_key, other.secret_key) == 0);

    /* Permissions: readable by others loads (with a warning), writable is refused. */
    chmod(key_path, 0644);
    CHECK(sf_keypair_load(&loaded, key_path, true, error, sizeof error) == 0);
    chmod(key_path, 0620);
    CHECK(sf_keypair_load(&loaded, key_path, true, error, sizeof error) == -1);
    CHECK_CONTAINS(error, "writable");
    chmod(key_path, 0600);

    /* A secret key alone is enough: the public key is derived. */
    char text[512];
    snprintf(text, sizeof text, "# only the secret\nsecret-key = %s\n", pair.secret_key);
    write_file(in_scratch("secret-only.key"), text, 0600);
    CHECK(sf_keypair_load(&loaded, in_scratch("secret-only.key"), true, error, sizeof error) == 0);
    CHECK(strcmp(loaded.public_key, pair.public_key) == 0);

    /* Mismatched halves, bad keys, unknown names, missing files. */
    snprintf(text, sizeof text, "public-key = %s\nsecret-key = %s\n", pair.public_key, other.secret_key);
    write_file(in_scratch("mixed.key"), text, 0600);
    CHECK(sf_keypair_load(&loaded, in_scratch("mixed.key"), true, error, sizeof error) == -1);
    CHECK_CONTAINS(error, "does not belong");

    write_file(in_scratch("short.key"), "# comment\n\npublic-key = abc\n", 0600);
    CHECK(sf_keypair_load(&loaded, in_scratch("short.key"), false, error, sizeof error) == -1);
    CHECK_CONTAINS(error, "short.key:3:");

    snprintf(text, sizeof text, "public-key = %s\nsecret_key = %s\n", pair.public_key, pair.secret_key);
    write_file(in_scratch("typo.key"), text, 0600);
    CHECK(sf_keypair_load(&loaded, in_scratch("typo.key"), true, error, sizeof error) == -1);
    CHECK_CONTAINS(error, "typo.key:2: unknown name");

    CHECK(sf_keypair_load(&loaded, in_scratch("absent.key"), true, error, sizeof error) == -1);
    CHECK_CONTAINS(error, "absent.key");

    sf_keypair_t bad = pair;
    bad.secret_key[0] = bad.secret_key[0] == 'a' ? 'b' : 'a';
    CHECK(sf_keypair_save(&bad, in_scratch("bad.key"), true, error, sizeof error) == -1);
}

/* ---------------------------------------------------------- allowlist -- */

static void
test_allowlist(void)
{
    char error[256] = "";
    sf_keypair_t a, b, c;
    CHECK(sf_keypair_generate(&a) == 0);
    CHECK(sf_keypair_generate(&b) == 0);
    CHECK(sf_keypair_generate(&c) == 0);
    char text[1024];
    snprintf(text, sizeof text,
             "# clients of grid\n"
             "\n"
             "%s gateway gateway\n"
             "  %s\tdept.civil-affairs@sifang department 3702030   \n"
             "%s gateway gateway\n",
             a.public_key, b.public_key, c.public_key);
    write_file(in_scratch("good.allow"), text, 0644);
    sf_allowlist_t *list = sf_allowlist_load(in_scratch("good.allow"), error, sizeof error);
    CHECK(list != NULL);
    if (!list) {
        fprintf(stderr, "  %s\n", error);
        return;
    }
    CHECK(sf_allowlist_size(list) == 3);
    const sf_client_key_t *entry = sf_allowlist_find_key(list, b.public_key);
    CHECK(entry && strcmp(entry->principal_id, "dept.civil-affairs@sifang") == 0
          && strcmp(entry->role, "department") == 0 && strcmp(entry->scope, "3702030") == 0);
    entry = sf_allowlist_find_principal(list, "gateway");
    CHECK(entry && strcmp(entry->public_key, a.public_key) == 0 && entry->scope[0] == 0);
    CHECK(sf_allowlist_find_key(list, "not-a-key") == NULL);
    CHECK(sf_allowlist_find_principal(list, "nobody") == NULL);
    CHECK(sf_allowlist_at(list, 2) && strcmp(sf_allowlist_at(list, 2)->public_key, c.public_key) == 0);
    CHECK(sf_allowlist_at(list, 3) == NULL);

    /* Round trip through save. */
    CHECK(sf_allowlist_save(list, in_scratch("saved.allow"), error, sizeof error) == 0);
    sf_allowlist_t *again = sf_allowlist_load(in_scratch("saved.allow"), error, sizeof error);
    CHECK(again && sf_allowlist_size(again) == 3);
    if (again)
        for (size_t i = 0; i < 3; i++)
            CHECK(memcmp(sf_allowlist_at(again, i), sf_allowlist_at(list, i), sizeof(sf_client_key_t)) == 0);
    sf_allowlist_destroy(&again);
    CHECK(again == NULL);

    /* add: the same checks as the loader. */
    sf_client_key_t key = { "", "viewer-1", "viewer", "" };
    memcpy(key.public_key, a.public_key, 41);
    CHECK(sf_allowlist_add(list, &key) == -1);                 /* key already listed */
    sf_keypair_t d;
    CHECK(sf_keypair_generate(&d) == 0);
    memcpy(key.public_key, d.public_key, 41);
    CHECK(sf_allowlist_add(list, &key) == 0);
    CHECK(sf_allowlist_size(list) == 4);
    strcpy(key.role, "root");
    CHECK(sf_client_key_check(&key, error, sizeof error) == -1);
    CHECK_CONTAINS(error, "role must be one of");
    sf_allowlist_destroy(&list);
    sf_allowlist_destroy(&list);   /* idempotent */

    /* Each bad line is named by its number. */
    char bad_char_key[41];
    memcpy(bad_char_key, a.public_key, 41);
    bad_char_key[5] = '~';
    struct {
        const char *name;
        char line[300];
        const char *expect;
    } cases[] = {
        { "short-key", "", "short-key:3: public key" },
        { "bad-char", "", "bad-char:3: public key" },
        { "principal", "", "principal:3: principal id" },
        { "role", "", "role:3: role must be one of" },
        { "fields", "", "fields:3: too many fields" },
        { "missing", "", "missing:3: expected" },
        { "duplicate", "", "duplicate:3: key already listed" },
        { "conflict", "", "conflict:3: principal gateway already listed" },
        { "scope", "", "scope:3: scope" },
    };
    snprintf(cases[0].line, sizeof cases[0].line, "%.39s gateway gateway", b.public_key);
    snprintf(cases[1].line, sizeof cases[1].line, "%s other gateway", bad_char_key);
    snprintf(cases[2].line, sizeof cases[2].line, "%s gate/way gateway", b.public_key);
    snprintf(cases[3].line, sizeof cases[3].line, "%s other root", b.public_key);
    snprintf(cases[4].line, sizeof cases[4].line, "%s other viewer 37 extra", b.public_key);
    snprintf(cases[5].line, sizeof cases[5].line, "%s other", b.public_key);
    snprintf(cases[6].line, sizeof cases[6].line, "%s other viewer", a.public_key);
    snprintf(cases[7].line, sizeof cases[7].line, "%s gateway admin", b.public_key);
    snprintf(cases[8].line, sizeof cases[8].line, "%s other viewer 37/02", b.public_key);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "# line 1\n%s gateway gateway\n%s\n", a.public_key, cases[i].line);
        write_file(in_scratch(cases[i].name), text, 0644);
        error[0] = 0;
        list = sf_allowlist_load(in_scratch(cases[i].name), error, sizeof error);
        CHECK(list == NULL);
        CHECK_CONTAINS(error, cases[i].expect);
        sf_allowlist_destroy(&list);
    }
    CHECK(sf_allowlist_load(in_scratch("absent.allow"), error, sizeof error) == NULL);
    CHECK_CONTAINS(error, "absent.allow");
}

/* -------------------------------------------------------- environment -- */

static void
test_from_env(void)
{
    char error[256] = "";
    sf_keypair_t service, client;
    CHECK(sf_keypair_generate(&service) == 0);
    CHECK(sf_keypair_generate(&client) == 0);
    char key_path[256], pub_path[256], client_path[256], allow_path[256];
    snprintf(key_path, sizeof key_path, "%s", in_scratch("env-grid.key"));
    snprintf(pub_path, sizeof pub_path, "%s", in_scratch("env-grid.pub"));
    snprintf(client_path, sizeof client_path, "%s", in_scratch("env-gateway.key"));
    snprintf(allow_path, sizeof allow_path, "%s", in_scratch("env.allow"));
    CHECK(sf_keypair_save(&service, key_path, true, error, sizeof error) == 0);
    CHECK(sf_keypair_save(&service, pub_path, false, error, sizeof error) == 0);
    CHECK(sf_keypair_save(&client, client_path, true, error, sizeof error) == 0);
    char text[256];
    snprintf(text, sizeof text, "%s gateway gateway\n", client.public_key);
    write_file(allow_path, text, 0644);

    unsetenv("SIFANG_CURVE_SECRET_KEY_FILE");
    unsetenv("SIFANG_CURVE_ALLOWLIST");
    unsetenv("SIFANG_CURVE_CLIENT_KEY_FILE");
    unsetenv("SIFANG_GRID_PUBLIC_KEY_FILE");

    /* Server: neither, one, the other, both. */
    sf_curve_server_t server;
    CHECK(sf_curve_server_from_env(&server, error, sizeof error) == 0 && !server.enabled);
    sf_curve_server_release(&server);
    setenv("SIFANG_CURVE_SECRET_KEY_FILE", key_path, 1);
    CHECK(sf_curve_server_from_env(&server, error, sizeof error) == -1);
    CHECK_CONTAINS(error, "SIFANG_CURVE_ALLOWLIST is not");
    unsetenv("SIFANG_CURVE_SECRET_KEY_FILE");
    setenv("SIFANG_CURVE_ALLOWLIST", allow_path, 1);
    CHECK(sf_curve_server_from_env(&server, error, sizeof error) == -1);
    CHECK_CONTAINS(error, "SIFANG_CURVE_SECRET_KEY_FILE is not");
    setenv("SIFANG_CURVE_SECRET_KEY_FILE", key_path, 1);
    CHECK(sf_curve_server_from_env(&server, error, sizeof error) == 0 && server.enabled);
    CHECK(strcmp(server.keypair.secret_key, service.secret_key) == 0);
    CHECK(sf_allowlist_size(server.allowlist) == 1);
    sf_curve_server_release(&server);
    CHECK(server.allowlist == NULL && server.keypair.secret_key[0] == 0);
    setenv("SIFANG_CURVE_ALLOWLIST", in_scratch("absent.allow"), 1);
    CHECK(sf_curve_server_from_env(&server, error, sizeof error) == -1);
    CHECK(server.keypair.secret_key[0] == 0);
    unsetenv("SIFANG_CURVE_SECRET_KEY_FILE");
    unsetenv("SIFANG_CURVE_ALLOWLIST");

    /* Client: neither, one, the other, both. */
    sf_curve_client_t curve;
    CHECK(sf_curve_client_from_env(&curve, "grid", error, sizeof error) == 0 && !curve.enabled);
    setenv("SIFANG_CURVE_CLIENT_KEY_FILE", client_path, 1);
    CHECK(sf_curve_client_from_env(&curve, "grid", error, sizeof error) == -1);
    CHECK_CONTAINS(error, "SIFANG_GRID_PUBLIC_KEY_FILE is not");
    unsetenv("SIFANG_CURVE_CLIENT_KEY_FILE");
    setenv("SIFANG_GRID_PUBLIC_KEY_FILE", pub_path, 1);
    CHECK(sf_curve_client_from_env(&curve, "grid", error, sizeof error) == -1);
    CHECK_CONTAINS(error, "SIFANG_CURVE_CLIENT_KEY_FILE is not");
    setenv("SIFANG_CURVE_CLIENT_KEY_FILE", client_path, 1);
    CHECK(sf_curve_client_from_env(&curve, "grid", error, sizeof error) == 0 && curve.enabled);
    CHECK(strcmp(curve.keypair.public_key, client.public_key) == 0);
    CHECK(strcmp(curve.keypair.secret_key, client.secret_key) == 0);
    CHECK(strcmp(curve.server_public_key, service.public_key) == 0);
    /* Another service's key is its own variable. */
    CHECK(sf_curve_client_from_env(&curve, "intake", error, sizeof error) == -1);
    CHECK_CONTAINS(error, "SIFANG_INTAKE_PUBLIC_KEY_FILE");
    /* A daemon with its own key uses it as its client key. */
    unsetenv("SIFANG_CURVE_CLIENT_KEY_FILE");
    setenv("SIFANG_CURVE_SECRET_KEY_FILE", key_path, 1);
    CHECK(sf_curve_client_from_env(&curve, "grid", error, sizeof error) == 0 && curve.enabled);
    CHECK(strcmp(curve.keypair.public_key, service.public_key) == 0);
    unsetenv("SIFANG_CURVE_SECRET_KEY_FILE");
    unsetenv("SIFANG_GRID_PUBLIC_KEY_FILE");
}

/* ---------------------------------------------------------------- ZAP -- */

static void *
socket_in(void *context, int type)
{
    void *socket = zmq_socket(context, type);
    int linger = 0;
    zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
    return socket;
}

static bool
readable(void *socket, int timeout_ms)
{
    zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
    return zmq_poll(&item, 1, timeout_ms) == 1;
}

static void
bind_any(void *socket, char *endpoint, size_t size)
{
    CHECK(zmq_bind(socket, "tcp://127.0.0.1:*") == 0);
    CHECK(zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, endpoint, &size) == 0);
}

/* Waits until the refusal counter passes before (a handshake takes a moment). */
static bool
refused_after(sf_zap_t *zap, long before)
{
    for (int i = 0; i < 100; i++) {
        if (sf_zap_refused(zap) > before)
            return true;
        sleep_ms(20);
    }
    return false;
}

/* Receives one request on a ROUTER, checks its principal, answers "pong". */
static void
serve_one(void *server, const char *expect_principal)
{
    zmq_msg_t routing_id, body;
    zmq_msg_init(&routing_id);
    zmq_msg_init(&body);
    CHECK(zmq_msg_recv(&routing_id, server, 0) >= 0);
    CHECK(zmq_msg_more(&routing_id));
    CHECK(zmq_msg_recv(&body, server, 0) == 4);
    CHECK(memcmp(zmq_msg_data(&body), "ping", 4) == 0);
    const char *user_id = zmq_msg_gets(&body, "User-Id");
    if (expect_principal)
        CHECK(user_id && strcmp(user_id, expect_principal) == 0);
    else
        CHECK(user_id == NULL);
    /* As the header says: the ROUTER's routing id frame carries no metadata. */
    CHECK(zmq_msg_gets(&routing_id, "User-Id") == NULL);
    CHECK(zmq_msg_send(&routing_id, server, ZMQ_SNDMORE) >= 0);
    CHECK(zmq_send(server, "pong", 4, 0) == 4);
    zmq_msg_close(&body);
}

static bool
ping(void *client, int timeout_ms)
{
    CHECK(zmq_send(client, "ping", 4, 0) == 4);
    if (!readable(client, timeout_ms))
        return false;
    char reply[8] = "";
    return zmq_recv(client, reply, sizeof reply, 0) == 4 && memcmp(reply, "pong", 4) == 0;
}

static void
test_zap_over_tcp(void)
{
    sf_keypair_t service, gateway, stranger;
    CHECK(sf_keypair_generate(&service) == 0);
    CHECK(sf_keypair_generate(&gateway) == 0);
    CHECK(sf_keypair_generate(&stranger) == 0);
    sf_allowlist_t *allowlist = sf_allowlist_new();
    sf_client_key_t entry = { "", "gateway", "gateway", "" };
    memcpy(entry.public_key, gateway.public_key, 41);
    CHECK(sf_allowlist_add(allowlist, &entry) == 0);

    void *context = zmq_ctx_new();
    void *client_context = zmq_ctx_new();   /* clients as if in another process */
    sf_zap_t *zap = sf_zap_start(context, allowlist, "test");
    CHECK(zap != NULL);
    if (!zap)
        return;
    /* One handler per context. */
    CHECK(sf_zap_start(context, allowlist, "second") == NULL);

    void *server = socket_in(context, ZMQ_ROUTER);
    CHECK(sf_curve_server_setup(server, &service) == 0);
    char endpoint[128];
    bind_any(server, endpoint, sizeof endpoint);

    /* An admitted client gets its answer; the server sees its principal. */
    void *admitted = socket_in(client_context, ZMQ_DEALER);
    CHECK(sf_curve_client_setup(admitted, &gateway, service.public_key) == 0);
    CHECK(zmq_connect(admitted, endpoint) == 0);
    CHECK(zmq_send(admitted, "ping", 4, 0) == 4);
    CHECK(readable(server, 5000));
    serve_one(server, "gateway");
    CHECK(readable(admitted, 5000));
    char reply[8] = "";
    CHECK(zmq_recv(admitted, reply, sizeof reply, 0) == 4 && memcmp(reply, "pong", 4) == 0);
    CHECK(sf_zap_admitted(zap) == 1);
    CHECK(sf_zap_refused(zap) == 0);

    /* A key not on the list: no delivery, no reply, one more refusal. */
    long before = sf_zap_refused(zap);
    void *unknown = socket_in(client_context, ZMQ_DEALER);
    CHECK(sf_curve_client_setup(unknown, &stranger, service.public_key) == 0);
    CHECK(zmq_connect(unknown, endpoint) == 0);
    CHECK(!ping(unknown, 500));
    CHECK(!readable(server, 100));
    CHECK(refused_after(zap, before));

    /* A plain client cannot even start a handshake with a CURVE server. */
    void *plain = socket_in(client_context, ZMQ_DEALER);
    CHECK(zmq_connect(plain, endpoint) == 0);
    CHECK(!ping(plain, 500));
    CHECK(!readable(server, 100));

    /* A client that knows the wrong server key never gets through either. */
    void *misled = socket_in(client_context, ZMQ_DEALER);
    CHECK(sf_curve_client_setup(misled, &gateway, stranger.public_key) == 0);
    CHECK(zmq_connect(misled, endpoint) == 0);
    CHECK(!ping(misled, 500));
    CHECK(!readable(server, 100));

    /* A NULL-mechanism socket that names a ZAP domain asks the handler,
     * which admits only CURVE. */
    void *plain_server = socket_in(context, ZMQ_ROUTER);
    CHECK(zmq_setsockopt(plain_server, ZMQ_ZAP_DOMAIN, SF_ZAP_DOMAIN, strlen(SF_ZAP_DOMAIN)) == 0);
    char plain_endpoint[128];
    bind_any(plain_server, plain_endpoint, sizeof plain_endpoint);
    void *plain_client = socket_in(client_context, ZMQ_DEALER);
    /* Counted before connecting: the handshake, and its refusal, may come
     * before the next line runs. */
    before = sf_zap_refused(zap);
    CHECK(zmq_connect(plain_client, plain_endpoint) == 0);
    CHECK(zmq_send(plain_client, "ping", 4, 0) == 4);
    CHECK(!readable(plain_server, 500));
    CHECK(refused_after(zap, before));

    /* A NULL socket without a ZAP domain is never checked, handler or not:
     * in a CURVE deployment every socket that takes connections must be a
     * CURVE server (the PUB socket too). */
    void *open_server = socket_in(context, ZMQ_ROUTER);
    char open_endpoint[128];
    bind_any(open_server, open_endpoint, sizeof open_endpoint);
    void *open_client = socket_in(client_context, ZMQ_DEALER);
    CHECK(zmq_connect(open_client, open_endpoint) == 0);
    CHECK(zmq_send(open_client, "ping", 4, 0) == 4);
    CHECK(readable(open_server, 5000));
    serve_one(open_server, NULL);
    CHECK(readable(open_client, 5000) && zmq_recv(open_client, reply, sizeof reply, 0) == 4);

    /* The admitted client still works, and its connection was admitted once. */
    CHECK(zmq_send(admitted, "ping", 4, 0) == 4);
    CHECK(readable(server, 5000));
    serve_one(server, "gateway");
    CHECK(readable(admitted, 5000) && zmq_recv(admitted, reply, sizeof reply, 0) == 4);
    CHECK(sf_zap_admitted(zap) == 1);

    void *sockets[] = { admitted, unknown, plain, misled, plain_client, open_client };
    for (size_t i = 0; i < sizeof sockets / sizeof sockets[0]; i++)
        zmq_close(sockets[i]);
    zmq_close(open_server);
    zmq_close(plain_server);
    zmq_close(server);
    sf_zap_destroy(&zap);
    CHECK(zap == NULL);
    sf_zap_destroy(&zap);
    /* A hang here is a socket left open: the alarm turns it into a failure. */
    alarm(20);
    CHECK(zmq_ctx_term(context) == 0);
    CHECK(zmq_ctx_term(client_context) == 0);
    alarm(0);
    sf_allowlist_destroy(&allowlist);
}

/* Talks RFC 27 to the handler directly, to check the reply frames and the
 * answers to requests libzmq would never send. */
static int
zap_request(void *dealer, const char *version, const char *mechanism, const void *credentials,
            size_t credentials_size, char frames[7][64])
{
    zmq_send(dealer, "", 0, ZMQ_SNDMORE);
    zmq_send(dealer, version, strlen(version), ZMQ_SNDMORE);
    zmq_send(dealer, "42", 2, ZMQ_SNDMORE);
    zmq_send(dealer, SF_ZAP_DOMAIN, strlen(SF_ZAP_DOMAIN), ZMQ_SNDMORE);
    zmq_send(dealer, "192.0.2.7", 9, ZMQ_SNDMORE);
    zmq_send(dealer, "", 0, ZMQ_SNDMORE);
    zmq_send(dealer, mechanism, strlen(mechanism), credentials ? ZMQ_SNDMORE : 0);
    if (credentials)
        zmq_send(dealer, credentials, credentials_size, 0);
    if (!readable(dealer, 2000))
        return 0;
    int count = 0;
    int more = 1;
    while (more) {
        char frame[64];
        int size = zmq_recv(dealer, frame, sizeof frame - 1, 0);
        if (size < 0)
            break;
        frame[size < 63 ? size : 63] = 0;
        if (count < 7)
            memcpy(frames[count], frame, sizeof frame);
        count++;
        size_t more_size = sizeof more;
        zmq_getsockopt(dealer, ZMQ_RCVMORE, &more, &more_size);
    }
    return count;
}

static void
test_zap_protocol(void)
{
    sf_keypair_t gateway, stranger;
    CHECK(sf_keypair_generate(&gateway) == 0);
    CHECK(sf_keypair_generate(&stranger) == 0);
    sf_allowlist_t *allowlist = sf_allowlist_new();
    sf_client_key_t entry = { "", "district-office", "district", "37" };
    memcpy(entry.public_key, gateway.public_key, 41);
    CHECK(sf_allowlist_add(allowlist, &entry) == 0);
    void *context = zmq_ctx_new();
    sf_zap_t *zap = sf_zap_start(context, allowlist, "protocol");
    CHECK(zap != NULL);
    if (!zap)
        return;
    void *dealer = socket_in(context, ZMQ_DEALER);
    CHECK(zmq_connect(dealer, "inproc://zeromq.zap.01") == 0);

    uint8_t key[32];
    char frames[7][64];
    zmq_z85_decode(key, gateway.public_key);
    CHECK(zap_request(dealer, "1.0", "CURVE", key, 32, frames) == 7);
    CHECK(frames[0][0] == 0 && strcmp(frames[1], "1.0") == 0 && strcmp(frames[2], "42") == 0);
    CHECK(strcmp(frames[3], "200") == 0 && strcmp(frames[5], "district-office") == 0);
    CHECK(frames[6][0] == 0);

    zmq_z85_decode(key, stranger.public_key);
    CHECK(zap_request(dealer, "1.0", "CURVE", key, 32, frames) == 7);
    CHECK(strcmp(frames[3], "400") == 0 && frames[5][0] == 0);

    CHECK(zap_request(dealer, "1.0", "NULL", NULL, 0, frames) == 7);
    CHECK(strcmp(frames[3], "400") == 0);
    CHECK(zap_request(dealer, "1.0", "PLAIN", "admin", 5, frames) == 7);
    CHECK(strcmp(frames[3], "400") == 0);
    CHECK(zap_request(dealer, "1.0", "CURVE", key, 31, frames) == 7);
    CHECK(strcmp(frames[3], "500") == 0);
    CHECK(zap_request(dealer, "2.0", "CURVE", key, 32, frames) == 7);
    CHECK(strcmp(frames[1], "1.0") == 0 && strcmp(frames[3], "500") == 0);
    CHECK(sf_zap_admitted(zap) == 1);
    CHECK(sf_zap_refused(zap) == 5);

    zmq_close(dealer);
    sf_zap_destroy(&zap);
    alarm(20);
    CHECK(zmq_ctx_term(context) == 0);
    alarm(0);
    sf_allowlist_destroy(&allowlist);
}

/* The trap the header warns about: without a ZAP handler in its context a
 * CURVE server admits any key, and messages carry no User-Id. */
static void
test_no_handler_admits_anyone(void)
{
    sf_keypair_t service, stranger;
    CHECK(sf_keypair_generate(&service) == 0);
    CHECK(sf_keypair_generate(&stranger) == 0);
    void *context = zmq_ctx_new();
    void *server = socket_in(context, ZMQ_ROUTER);
    CHECK(sf_curve_server_setup(server, &service) == 0);
    char endpoint[128];
    bind_any(server, endpoint, sizeof endpoint);
    void *client = socket_in(context, ZMQ_DEALER);
    CHECK(sf_curve_client_setup(client, &stranger, service.public_key) == 0);
    CHECK(zmq_connect(client, endpoint) == 0);
    CHECK(zmq_send(client, "ping", 4, 0) == 4);
    CHECK(readable(server, 5000));
    serve_one(server, NULL);
    CHECK(readable(client, 5000));
    zmq_close(client);
    zmq_close(server);
    alarm(20);
    CHECK(zmq_ctx_term(context) == 0);
    alarm(0);
}

/* Start and stop with nothing in between, many times: no thread or socket
 * is left behind to hold up zmq_ctx_term. */
static void
test_zap_start_stop(void)
{
    sf_allowlist_t *allowlist = sf_allowlist_new();
    sf_log_set_level(SF_LOG_WARN);
    for (int i = 0; i < 20; i++) {
        void *context = zmq_ctx_new();
        sf_zap_t *zap = sf_zap_start(context, allowlist, "cycle");
        CHECK(zap != NULL);
        sf_zap_destroy(&zap);
        alarm(20);
        CHECK(zmq_ctx_term(context) == 0);
        alarm(0);
    }
    sf_log_set_level(SF_LOG_INFO);
    CHECK(sf_zap_start(NULL, allowlist, "none") == NULL);
    sf_allowlist_destroy(&allowlist);
}

int
main(void)
{
    sf_log_init("sf_curve_test");
    if (!zmq_has("curve")) {
        fprintf(stderr, "libzmq without CURVE: skipped\n");
        return 0;
    }
    snprintf(scratch, sizeof scratch, "/tmp/sf_curve_test.XXXXXX");
    if (!mkdtemp(scratch)) {
        perror("mkdtemp");
        return 2;
    }
    test_keypair_files();
    test_allowlist();
    test_from_env();
    test_zap_protocol();
    test_zap_start_stop();
    test_zap_over_tcp();
    test_no_handler_admits_anyone();
    remove_scratch();
    if (failures) {
        fprintf(stderr, "sf_curve_test: %d failure(s)\n", failures);
        return 1;
    }
    fprintf(stderr, "sf_curve_test: all passed\n");
    return 0;
}
