/* API keys: their text form and hash, their rows in the gateway's schema
 * (shared by the daemon and sifang-gateway-keys), and the keyring, the
 * daemon's in-memory copy that authenticates requests and holds each key's
 * token bucket.
 *
 * A key reads "sfk_<id>_<secret>": id is 12 hex digits, public, naming the
 * key in logs and listings; secret is 32 random bytes in unpadded base64url.
 * Only the SHA-256 of the whole text is stored, so a stolen table grants
 * nothing; the text is shown once, when the key is made. */
#ifndef GATEWAY_KEYS_H
#define GATEWAY_KEYS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sf_db.h"
#include "sf_migrate.h"
#include "gateway_admin.pb-c.h"
#include "gateway_ratelimit.h"

#define GATEWAY_KEY_ID_LENGTH 12
#define GATEWAY_KEY_TEXT_MAX 80
#define GATEWAY_KEY_HASH_SIZE 32

/* Defaults for a key made without its own limits. */
#define GATEWAY_KEY_DEFAULT_RATE 50.0
#define GATEWAY_KEY_DEFAULT_BURST 100

/* Generated from migrations/ by sifang_embed_migrations(). */
extern const sf_migration_t sifang_gateway_core_migrations[];

/* Room for a person's packed Principal: a grant per role with its scopes. */
#define GATEWAY_PERSON_MAX 4096

/* Who a request acts as: the key's principal, the anonymous one, or a
 * person logged in (gateway_duty.h fills person: their grants, which the
 * services read instead of role and scope). */
typedef struct {
    char id[64];
    char role[32];
    char scope[64];
    char key_id[GATEWAY_KEY_ID_LENGTH + 1];   /* "" = anonymous or a person */
    char account[33];                         /* a person's login; "" for keys */
    char instance[96];                        /* a person's intake instance ("" the district's) */
    size_t person_size;                       /* 0 for keys */
    uint8_t person[GATEWAY_PERSON_MAX];       /* a person's packed sifang.v1.Principal */
} gateway_principal_t;

/* Whose idempotency keys a request's Idempotency-Key belongs to, the prefix
 * of the request id the services store it under: the API key's id, "p-"
 * and a person's login (never their staff id alone: two accounts may serve
 * one staff record), or "anonymous". ASCII, at most 40 characters. */
const char *gateway_principal_namespace(const gateway_principal_t *principal, char *out, size_t size);

/* A new key: its text (NUL-terminated) and hash. Returns 0 or -1. */
int gateway_key_generate(char text[GATEWAY_KEY_TEXT_MAX], char id[GATEWAY_KEY_ID_LENGTH + 1],
                         uint8_t hash[GATEWAY_KEY_HASH_SIZE]);
/* Splits a presented key: its id and the hash of its text. Returns 0, or -1
 * when it is not shaped like a key. */
int gateway_key_parse(const char *text, char id[GATEWAY_KEY_ID_LENGTH + 1], uint8_t hash[GATEWAY_KEY_HASH_SIZE]);

/* --- the table (daemon and CLI) ------------------------------------------- */

/* Applies the gateway's migrations to schema. 0, or -1 with error. */
int gateway_keys_migrate(sf_db_t *db, const char *schema, char *error, size_t error_size);
/* Checks a key's fields as the table will (principal id, role, scope,
 * limits), filling defaults for zero limits; 0, or -1 with field and error. */
int gateway_key_check(Sifang__Gateway__V1__ApiKey *key, char *field, size_t field_size, char *error,
                      size_t error_size);
/* Makes a key for the principal in key (checked first): fills key->id,
 * key->key (malloc'd: the caller frees it) and created_unix_ms. Returns
 * SF_OK or a status with field and error. */
sf_status_t gateway_keys_create(sf_db_t *db, Sifang__Gateway__V1__ApiKey *key, char *field, size_t field_size,
                                char *error, size_t error_size);
/* Marks a key revoked (idempotent); fills *key from its row (strings
 * malloc'd: release with gateway_key_release). SF_NOT_FOUND when unknown. */
sf_status_t gateway_keys_revoke(sf_db_t *db, const char *id, Sifang__Gateway__V1__ApiKey *key, char *error,
                                size_t error_size);
/* Every key (revoked ones too when asked), newest first, into a reply whose
 * contents are malloc'd: release with gateway_key_list_release. */
sf_status_t gateway_keys_list(sf_db_t *db, bool include_revoked, Sifang__Gateway__V1__KeyListReply *reply,
                              char *error, size_t error_size);
void gateway_key_release(Sifang__Gateway__V1__ApiKey *key);
void gateway_key_list_release(Sifang__Gateway__V1__KeyListReply *reply);

/* --- the keyring (daemon) -------------------------------------------------- */

typedef enum {
    GATEWAY_AUTH_OK,
    GATEWAY_AUTH_MALFORMED,      /* not shaped like a key */
    GATEWAY_AUTH_UNKNOWN,        /* no such key, or the secret does not match */
    GATEWAY_AUTH_REVOKED,
    GATEWAY_AUTH_RATE_LIMITED,   /* *retry_after_ms says when a token is back */
    GATEWAY_AUTH_UNAVAILABLE,    /* the keys were never loaded (database down since start) */
} gateway_auth_t;

typedef struct gateway_keyring_t gateway_keyring_t;

gateway_keyring_t *gateway_keyring_new(void);
void gateway_keyring_destroy(gateway_keyring_t **self_p);
/* Reloads every key from the table, keeping each key's bucket and writing
 * back usage counted since the last refresh. 0, or -1 (the old keys stay). */
int gateway_keyring_refresh(gateway_keyring_t *self, sf_db_t *db);
bool gateway_keyring_loaded(gateway_keyring_t *self);
size_t gateway_keyring_size(gateway_keyring_t *self);
/* Authenticates a presented key and takes a token from its bucket.
 * Thread-safe. */
gateway_auth_t gateway_keyring_check(gateway_keyring_t *self, const char *text, int64_t now_ms,
                                     gateway_principal_t *principal, int64_t *retry_after_ms);
/* Marks a key revoked at once (the admin route does not wait for a refresh). */
void gateway_keyring_revoke(gateway_keyring_t *self, const char *id);

#endif
