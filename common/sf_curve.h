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
#include "sf_assert.h"

/* The ZAP domain every Sifang server socket declares. libzmq 4.3 consults a
 * bound ZAP handler for CURVE whatever the domain; the domain matters for
 * NULL sockets, which the handler then refuses. */
#define SF_ZAP_DOMAIN "sifang"

/* The roles a principal can have, for checks and --help texts. */
#define SF_ROLES "admin district street community department gateway service viewer"

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

/* Generates a new keypair. Returns 0, or -1 when libzmq lacks CURVE. */
int sf_keypair_generate(sf_keypair_t *keypair) SF_MUST_USE;
/* Key file format, one "name = value" per line, '#' comments:
 *   public-key = <z85>
 *   secret-key = <z85>      (absent in a public-only file)
 * Returns 0, or -1 with a reason ("path:line: ...") in error.
 *
 * need_secret: the file must hold a secret key that matches its public key
 * (when both are given). Such a file is refused when group or others can
 * write it, and a warning is logged when they can read it (chmod 600).
 * Without need_secret only the public key is read; keypair->secret_key is
 * left empty even if the file has one (and a warning says a secret key file
 * was handed out where a .pub belongs). */
int sf_keypair_load(sf_keypair_t *keypair, const char *path, bool need_secret, char *error, size_t error_size) SF_MUST_USE;
/* Writes atomically (temporary file + rename, replacing any existing file):
 * with_secret gives mode 0600 and both keys, otherwise mode 0644 and the
 * public key only. */
int sf_keypair_save(const sf_keypair_t *keypair, const char *path, bool with_secret, char *error, size_t error_size) SF_MUST_USE;

/* The allowlist: a file of lines "<z85-public-key> <principal-id> <role> [scope]",
 * fields separated by blanks, whole-line '#' comments and blank lines
 * ignored. A principal id is 1-63 characters of [A-Za-z0-9._@-], a role one
 * of SF_ROLES, a scope 0-63 characters of [A-Za-z0-9._-]. A key may appear
 * once; a principal may have several keys (rotation) but one role and scope.
 * Errors read "path:line: reason". */
typedef struct sf_allowlist_t sf_allowlist_t;
sf_allowlist_t *sf_allowlist_load(const char *path, char *error, size_t error_size);
sf_allowlist_t *sf_allowlist_new(void);
/* Checks one entry as the loader does. Returns 0, or -1 with a reason. */
int sf_client_key_check(const sf_client_key_t *key, char *error, size_t error_size) SF_MUST_USE;
/* Adds a copy of key. -1 when the entry is invalid, its key is already
 * listed, or its principal is listed with another role or scope. Not safe
 * while a ZAP handler reads the list: fill it before sf_zap_start. */
int sf_allowlist_add(sf_allowlist_t *self, const sf_client_key_t *key) SF_MUST_USE;
/* Writes the list atomically in the format above (mode 0644). */
int sf_allowlist_save(const sf_allowlist_t *self, const char *path, char *error, size_t error_size) SF_MUST_USE;
void sf_allowlist_destroy(sf_allowlist_t **self_p);
/* The entry for a public key (Z85), or NULL. */
const sf_client_key_t *sf_allowlist_find_key(const sf_allowlist_t *self, const char *public_key);
/* The entry for a principal id (what ZAP put in User-Id), or NULL. */
const sf_client_key_t *sf_allowlist_find_principal(const sf_allowlist_t *self, const char *principal_id);
size_t sf_allowlist_size(const sf_allowlist_t *self);
/* The index-th entry in file order (index < size), or NULL. */
const sf_client_key_t *sf_allowlist_at(const sf_allowlist_t *self, size_t index);

/* The ZAP handler thread. Start it in the context of the server sockets
 * before they bind; it serves until destroyed. The allowlist must outlive it.
 * Returns NULL (and logs why) when the context already has a ZAP handler or
 * a socket cannot be made.
 *
 * Admits CURVE handshakes whose client key is on the allowlist, with the
 * principal id as User-Id; refuses other keys and every NULL, PLAIN or
 * GSSAPI handshake that consults it (a CURVE service admits only CURVE).
 *
 * The principal of a request: every frame a server socket receives from a
 * CURVE peer carries the User-Id that ZAP gave its connection. Read it from
 * a received data frame (not the routing id frame a ROUTER prepends: it is
 * made locally and carries no metadata), then look up role and scope:
 *
 *     const char *user_id = zmq_msg_gets(&body_frame, "User-Id");
 *     const sf_client_key_t *who = user_id
 *         ? sf_allowlist_find_principal(allowlist, user_id) : NULL;
 *
 * zmq_msg_gets returns NULL (errno EINVAL) on a plain TCP connection, where
 * nobody vouches for the peer; the string lives as long as the frame.
 *
 * Order at shutdown: close the server sockets, then sf_zap_destroy, then
 * zmq_ctx_term. A CURVE server socket whose context has no ZAP handler
 * admits every client key (ZMQ_ZAP_ENFORCE_DOMAIN is a draft option that
 * Debian's libzmq lacks). */
typedef struct sf_zap_t sf_zap_t;
sf_zap_t *sf_zap_start(void *zmq_context, const sf_allowlist_t *allowlist, const char *service_name);
/* Stops the thread and closes its sockets (linger 0), so that a later
 * zmq_ctx_term does not wait on them. */
void sf_zap_destroy(sf_zap_t **self_p);
/* How many handshakes were admitted / refused so far. */
long sf_zap_admitted(const sf_zap_t *self);
long sf_zap_refused(const sf_zap_t *self);

/* Makes a socket a CURVE server with this keypair (and ZAP domain
 * SF_ZAP_DOMAIN). Call before bind. Returns 0, or -1 with errno set. */
int sf_curve_server_setup(void *socket, const sf_keypair_t *server) SF_MUST_USE;
/* Makes a socket a CURVE client of a server whose public key is given.
 * Call before connect. Returns 0, or -1 with errno set. */
int sf_curve_client_setup(void *socket, const sf_keypair_t *client, const char *server_public_key) SF_MUST_USE;

/* Server side from the process settings (sf_process_settings_read, which
 * reads the environment): SIFANG_CURVE_SECRET_KEY_FILE (the
 * service's own keypair) and SIFANG_CURVE_ALLOWLIST (admitted clients).
 * Both unset: *enabled = false and plain TCP. One set without the other is an
 * error. */
typedef struct {
    bool enabled;
    sf_keypair_t keypair;
    sf_allowlist_t *allowlist;
} sf_curve_server_t;
int sf_curve_server_from_env(sf_curve_server_t *config, char *error, size_t error_size) SF_MUST_USE;
/* Frees the allowlist and wipes the secret key. */
void sf_curve_server_release(sf_curve_server_t *config);

/* Client side from the process settings and sf_service_public_key_file:
 * SIFANG_CURVE_CLIENT_KEY_FILE (this
 * client's keypair) and SIFANG_<SERVICE>_PUBLIC_KEY_FILE (the server's public
 * key, e.g. SIFANG_GRID_PUBLIC_KEY_FILE). Unset: *enabled = false.
 * A daemon that is itself a CURVE server needs no SIFANG_CURVE_CLIENT_KEY_FILE:
 * without it, its own SIFANG_CURVE_SECRET_KEY_FILE is its client key (so
 * "intake" in another service's allowlist is intake's own key). One side set
 * without the other is an error: a CURVE deployment is CURVE on every link. */
typedef struct {
    bool enabled;
    sf_keypair_t keypair;
    char server_public_key[41];
} sf_curve_client_t;
int sf_curve_client_from_env(sf_curve_client_t *config, const char *service, char *error, size_t error_size) SF_MUST_USE;

#endif
