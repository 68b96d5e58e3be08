/* CURVE security for every ZeroMQ link: key files, the ZAP handler that
 * admits only known client keys, and the principal each key maps to.
 *
 * Without keys configured everything runs on plain TCP (development). With
 * keys, a server socket is a CURVE server and a ZAP handler (a thread with a
 * ROUTER on inproc://zeromq.zap.01 in the server's context, started before
 * any server socket binds) answers every handshake: keys on the allowlist get
 * 200 and their principal id as User-Id; any other key gets 400 and a log
 * line. */
#ifndef SF_CURVE_H
#define SF_CURVE_H

#include <stdbool.h>
#include <stddef.h>

/* A keypair as Z85 text (40 characters each, NUL-terminated). */
typedef struct {
    char public_key[41];
    char secret_key[41];
} sf_keypair_t;

/* One admitted client: its public key and the principal it stands for. */
typedef struct {
    char public_key[41];
    char principal_id[64];
    char role[32];
    char scope[64];     /* org unit code; "" = whole district */
} sf_client_key_t;

/* Generates a new keypair. */
int sf_keypair_generate(sf_keypair_t *keypair);
/* Key file format, one "name = value" per line, '#' comments:
 *   public-key = <z85>
 *   secret-key = <z85>      (absent in a public-only file)
 * Returns 0, or -1 with a reason in error. */
int sf_keypair_load(sf_keypair_t *keypair, const char *path, bool need_secret, char *error, size_t error_size);
int sf_keypair_save(const sf_keypair_t *keypair, const char *path, bool with_secret, char *error, size_t error_size);

/* The allowlist: a file of lines "<z85-public-key> <principal-id> <role> [scope]",
 * '#' comments and blank lines ignored. */
typedef struct sf_allowlist_t sf_allowlist_t;
sf_allowlist_t *sf_allowlist_load(const char *path, char *error, size_t error_size);
sf_allowlist_t *sf_allowlist_new(void);
int sf_allowlist_add(sf_allowlist_t *self, const sf_client_key_t *key);
void sf_allowlist_destroy(sf_allowlist_t **self_p);
/* The entry for a public key (Z85), or NULL. */
const sf_client_key_t *sf_allowlist_find_key(const sf_allowlist_t *self, const char *public_key);
/* The entry for a principal id (what ZAP put in User-Id), or NULL. */
const sf_client_key_t *sf_allowlist_find_principal(const sf_allowlist_t *self, const char *principal_id);
size_t sf_allowlist_size(const sf_allowlist_t *self);

/* The ZAP handler thread. Start it in the context of the server sockets
 * before they bind; it serves until destroyed. The allowlist must outlive it. */
typedef struct sf_zap_t sf_zap_t;
sf_zap_t *sf_zap_start(void *zmq_context, const sf_allowlist_t *allowlist, const char *service_name);
void sf_zap_destroy(sf_zap_t **self_p);
/* How many handshakes were admitted / refused so far. */
long sf_zap_admitted(const sf_zap_t *self);
long sf_zap_refused(const sf_zap_t *self);

/* Makes a socket a CURVE server with this keypair (and ZAP domain "sifang"). */
int sf_curve_server_setup(void *socket, const sf_keypair_t *server);
/* Makes a socket a CURVE client of a server whose public key is given. */
int sf_curve_client_setup(void *socket, const sf_keypair_t *client, const char *server_public_key);

/* Server side from the environment: SIFANG_CURVE_SECRET_KEY_FILE (the
 * service's own keypair) and SIFANG_CURVE_ALLOWLIST (admitted clients).
 * Both unset: *enabled = false and plain TCP. One set without the other is an
 * error. */
typedef struct {
    bool enabled;
    sf_keypair_t keypair;
    sf_allowlist_t *allowlist;
} sf_curve_server_t;
int sf_curve_server_from_env(sf_curve_server_t *config, char *error, size_t error_size);
void sf_curve_server_release(sf_curve_server_t *config);

/* Client side from the environment: SIFANG_CURVE_CLIENT_KEY_FILE (this
 * client's keypair) and SIFANG_<SERVICE>_PUBLIC_KEY_FILE (the server's public
 * key, e.g. SIFANG_GRID_PUBLIC_KEY_FILE). Unset: *enabled = false. */
typedef struct {
    bool enabled;
    sf_keypair_t keypair;
    char server_public_key[41];
} sf_curve_client_t;
int sf_curve_client_from_env(sf_curve_client_t *config, const char *service, char *error, size_t error_size);

#endif
