/* API keys: text form and hash, the api_key table, and the daemon's keyring. */
#include "gateway_keys.h"
#include "sf_params.h"
#include "sf_text.h"
#include "sf_config.h"
#include "sf_curve.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_PREFIX "sfk_"
#define SECRET_BYTES 32

/* --- text and hash ------------------------------------------------------------ */

static void
hash_text(const char *text, uint8_t hash[GATEWAY_KEY_HASH_SIZE])
{
    crypto_hash_sha256(hash, (const unsigned char *) text, strlen(text));
}

int
gateway_key_generate(char text[GATEWAY_KEY_TEXT_MAX], char id[GATEWAY_KEY_ID_LENGTH + 1],
                     uint8_t hash[GATEWAY_KEY_HASH_SIZE])
{
    unsigned char id_bytes[GATEWAY_KEY_ID_LENGTH / 2], secret[SECRET_BYTES];
    randombytes_buf(id_bytes, sizeof id_bytes);
    randombytes_buf(secret, sizeof secret);
    sodium_bin2hex(id, GATEWAY_KEY_ID_LENGTH + 1, id_bytes, sizeof id_bytes);
    char encoded[sodium_base64_ENCODED_LEN(SECRET_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(encoded, sizeof encoded, secret, sizeof secret, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(secret, sizeof secret);
    int n = snprintf(text, GATEWAY_KEY_TEXT_MAX, KEY_PREFIX "%s_%s", id, encoded);
    sodium_memzero(encoded, sizeof encoded);
    if (n < 0 || n >= GATEWAY_KEY_TEXT_MAX)
        return -1;
    hash_text(text, hash);
    return 0;
}

int
gateway_key_parse(const char *text, char id[GATEWAY_KEY_ID_LENGTH + 1], uint8_t hash[GATEWAY_KEY_HASH_SIZE])
{
    size_t length = strlen(text);
    size_t prefix = strlen(KEY_PREFIX);
    if (length >= GATEWAY_KEY_TEXT_MAX || length < prefix + GATEWAY_KEY_ID_LENGTH + 2
        || strncmp(text, KEY_PREFIX, prefix) != 0 || text[prefix + GATEWAY_KEY_ID_LENGTH] != '_')
        return -1;
    for (size_t i = 0; i < GATEWAY_KEY_ID_LENGTH; i++) {
        char c = text[prefix + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
        id[i] = c;
    }
    id[GATEWAY_KEY_ID_LENGTH] = 0;
    for (const char *c = text + prefix + GATEWAY_KEY_ID_LENGTH + 1; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
              || *c == '-' || *c == '_'))
            return -1;
    hash_text(text, hash);
    return 0;
}

/* --- the table ------------------------------------------------------------------- */

int
gateway_keys_migrate(sf_db_t *db, const char *schema, char *error, size_t error_size)
{
    return sf_migrate(db, schema, "gateway", sifang_gateway_core_migrations, error, error_size);
}

int
gateway_key_check(Sifang__Gateway__V1__ApiKey *key, char *field, size_t field_size, char *error,
                  size_t error_size)
{
    sf_client_key_t probe;
    memset(&probe, 0, sizeof probe);
    /* The allowlist's rules for principals, roles and scopes are the suite's. */
    memset(probe.public_key, 'A', 40);
    if (!key->principal_id || !*key->principal_id) {
        snprintf(field, field_size, "principal_id");
        snprintf(error, error_size, "required: the principal the key stands for (e.g. dept-civil-affairs)");
        return -1;
    }
    if (!key->role || !*key->role) {
        snprintf(field, field_size, "role");
        snprintf(error, error_size, "required: one of %s", SF_ROLES);
        return -1;
    }
    if (strlen(key->principal_id) >= sizeof probe.principal_id || strlen(key->role) >= sizeof probe.role
        || (key->scope && strlen(key->scope) >= sizeof probe.scope)) {
        snprintf(field, field_size, strlen(key->principal_id) >= sizeof probe.principal_id ? "principal_id"
                                    : strlen(key->role) >= sizeof probe.role ? "role" : "scope");
        snprintf(error, error_size, "too long");
        return -1;
    }
    snprintf(probe.principal_id, sizeof probe.principal_id, "%s", key->principal_id);
    snprintf(probe.role, sizeof probe.role, "%s", key->role);
    snprintf(probe.scope, sizeof probe.scope, "%s", key->scope ? key->scope : "");
    char reason[256];
    if (sf_client_key_check(&probe, reason, sizeof reason) != 0) {
        snprintf(field, field_size, strstr(reason, "role") ? "role" : strstr(reason, "scope") ? "scope"
                                                                                               : "principal_id");
        snprintf(error, error_size, "%s", reason);
        return -1;
    }
    if (key->name && strlen(key->name) > 200) {
        snprintf(field, field_size, "name");
        snprintf(error, error_size, "at most 200 characters");
        return -1;
    }
    if (key->rate_per_second == 0)
        key->rate_per_second = GATEWAY_KEY_DEFAULT_RATE;
    if (key->burst == 0)
        key->burst = GATEWAY_KEY_DEFAULT_BURST;
    if (!(key->rate_per_second > 0 && key->rate_per_second <= 100000)) {
        snprintf(field, field_size, "rate_per_second");
        snprintf(error, error_size, "between 0 (exclusive) and 100000");
        return -1;
    }
    if (key->burst < 1 || key->burst > 1000000) {
        snprintf(field, field_size, "burst");
        snprintf(error, error_size, "between 1 and 1000000");
        return -1;
    }
    return 0;
}

#define KEY_COLUMNS \
    "id, name, principal_id, role, scope, rate_per_second, burst," \
    " (extract(epoch FROM created_at) * 1000)::bigint," \
    " coalesce((extract(epoch FROM revoked_at) * 1000)::bigint, 0)," \
    " coalesce((extract(epoch FROM last_used_at) * 1000)::bigint, 0), requests"

static char *
dup_text(const PGresult *result, int row, int column)
{
    return strdup(sf_db_text(result, row, column));
}

static void
key_from_row(Sifang__Gateway__V1__ApiKey *key, const PGresult *result, int row)
{
    sifang__gateway__v1__api_key__init(key);
    key->id = dup_text(result, row, 0);
    key->name = dup_text(result, row, 1);
    key->principal_id = dup_text(result, row, 2);
    key->role = dup_text(result, row, 3);
    key->scope = dup_text(result, row, 4);
    key->rate_per_second = sf_db_double(result, row, 5);
    key->burst = (int32_t) sf_db_int(result, row, 6);
    key->created_unix_ms = sf_db_int(result, row, 7);
    key->revoked_unix_ms = sf_db_int(result, row, 8);
    key->last_used_unix_ms = sf_db_int(result, row, 9);
    key->requests = sf_db_int(result, row, 10);
}

static void
result_error(const PGresult *result, char *error, size_t error_size)
{
    snprintf(error, error_size, "%s", result ? PQresultErrorMessage(result) : "database unavailable");
    size_t length = strlen(error);
    while (length && (error[length - 1] == '\n' || error[length - 1] == ' '))
        error[--length] = 0;
}

sf_status_t
gateway_keys_create(sf_db_t *db, Sifang__Gateway__V1__ApiKey *key, char *field, size_t field_size,
                    char *error, size_t error_size)
{
    field[0] = 0;
    if (gateway_key_check(key, field, field_size, error, error_size) != 0)
        return SF_INVALID_ARGUMENT;
    char text[GATEWAY_KEY_TEXT_MAX], id[GATEWAY_KEY_ID_LENGTH + 1];
    uint8_t hash[GATEWAY_KEY_HASH_SIZE];
    if (gateway_key_generate(text, id, hash) != 0) {
        snprintf(error, error_size, "cannot generate a key");
        return SF_INTERNAL;
    }
    sf_params_t *params = SF_PARAMS(id);
    sf_params_bytes(params, hash, sizeof hash);
    SF_PARAMS_ADD(params, key->name ? key->name : "", key->principal_id, key->role, key->scope ? key->scope : "",
                          sf_param_double(key->rate_per_second), key->burst);
    PGresult *result = sf_db_query(db,
        "INSERT INTO api_key (id, hash, name, principal_id, role, scope, rate_per_second, burst)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " RETURNING (extract(epoch FROM created_at) * 1000)::bigint", params);
    sf_status_t status = SF_OK;
    if (!sf_db_result_ok(result)) {
        status = sf_db_status(result);
        result_error(result, error, error_size);
    } else {
        key->created_unix_ms = sf_db_int(result, 0, 0);
        key->id = strdup(id);
        key->key = strdup(text);
        if (!key->id || !key->key) {
            status = SF_RESOURCE_EXHAUSTED;
            snprintf(error, error_size, "out of memory");
        }
    }
    PQclear(result);
    sodium_memzero(text, sizeof text);
    return status;
}

sf_status_t
gateway_keys_revoke(sf_db_t *db, const char *id, Sifang__Gateway__V1__ApiKey *key, char *error, size_t error_size)
{
    sifang__gateway__v1__api_key__init(key);
    PGresult *result = sf_db_query(db,
        "UPDATE api_key SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING " KEY_COLUMNS,
        SF_PARAMS(id));
    sf_status_t status = SF_OK;
    if (!sf_db_result_ok(result)) {
        status = sf_db_status(result);
        result_error(result, error, error_size);
    } else if (PQntuples(result) == 0) {
        status = SF_NOT_FOUND;
        sf_text_format(error, error_size, "no key %.*s", (int) sf_utf8_prefix(id, 40), id);
    } else
        key_from_row(key, result, 0);
    PQclear(result);
    return status;
}

sf_status_t
gateway_keys_list(sf_db_t *db, bool include_revoked, Sifang__Gateway__V1__KeyListReply *reply, char *error,
                  size_t error_size)
{
    sifang__gateway__v1__key_list_reply__init(reply);
    PGresult *result = sf_db_query(db,
        "SELECT " KEY_COLUMNS " FROM api_key WHERE $1 OR revoked_at IS NULL ORDER BY created_at DESC, id",
        SF_PARAMS(sf_param_bool(include_revoked)));
    if (!sf_db_result_ok(result)) {
        sf_status_t status = sf_db_status(result);
        result_error(result, error, error_size);
        PQclear(result);
        return status;
    }
    int rows = PQntuples(result);
    reply->keys = calloc(rows ? (size_t) rows : 1, sizeof *reply->keys);
    for (int row = 0; reply->keys && row < rows; row++) {
        Sifang__Gateway__V1__ApiKey *key = malloc(sizeof *key);
        if (!key)
            break;
        key_from_row(key, result, row);
        reply->keys[reply->n_keys++] = key;
    }
    PQclear(result);
    return SF_OK;
}

void
gateway_key_release(Sifang__Gateway__V1__ApiKey *key)
{
    char **strings[] = { &key->id, &key->name, &key->principal_id, &key->role, &key->scope, &key->key };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        if (*strings[i] && *strings[i] != (char *) protobuf_c_empty_string) {
            if (strings[i] == &key->key)
                sodium_memzero(*strings[i], strlen(*strings[i]));
            free(*strings[i]);
        }
        *strings[i] = NULL;
    }
    sifang__gateway__v1__api_key__init(key);
}

void
gateway_key_list_release(Sifang__Gateway__V1__KeyListReply *reply)
{
    for (size_t i = 0; i < reply->n_keys; i++) {
        gateway_key_release(reply->keys[i]);
        free(reply->keys[i]);
    }
    free(reply->keys);
    sifang__gateway__v1__key_list_reply__init(reply);
}

/* --- the keyring ----------------------------------------------------------------- */

typedef struct {
    char id[GATEWAY_KEY_ID_LENGTH + 1];
    uint8_t hash[GATEWAY_KEY_HASH_SIZE];
    char principal_id[64];
    char role[32];
    char scope[64];
    double rate;
    double burst;
    bool revoked;
    gateway_bucket_t bucket;
    int64_t uses;              /* since the last write-back */
    int64_t last_used_ms;
} ring_key_t;

struct gateway_keyring_t {
    pthread_mutex_t lock;
    ring_key_t *keys;          /* sorted by id */
    size_t n_keys;
    bool loaded;
};

gateway_keyring_t *
gateway_keyring_new(void)
{
    gateway_keyring_t *self = calloc(1, sizeof *self);
    if (self)
        pthread_mutex_init(&self->lock, NULL);
    return self;
}

void
gateway_keyring_destroy(gateway_keyring_t **self_p)
{
    gateway_keyring_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy(&self->lock);
    if (self->keys)
        sodium_memzero(self->keys, self->n_keys * sizeof *self->keys);
    free(self->keys);
    free(self);
    *self_p = NULL;
}

static int
compare_keys(const void *a, const void *b)
{
    return strcmp(((const ring_key_t *) a)->id, ((const ring_key_t *) b)->id);
}

/* Under the lock. */
static ring_key_t *
find_key(gateway_keyring_t *self, const char *id)
{
    if (!self->n_keys)
        return NULL;
    ring_key_t probe;
    snprintf(probe.id, sizeof probe.id, "%s", id);
    return bsearch(&probe, self->keys, self->n_keys, sizeof *self->keys, compare_keys);
}

/* Writes back how often each key was used since the last time; on failure
 * the counts stay in the ring for the next try. */
typedef struct {
    char id[GATEWAY_KEY_ID_LENGTH + 1];
    int64_t uses;
} usage_t;

static void
write_back_usage(gateway_keyring_t *self, sf_db_t *db)
{
    sf_pgarray_t ids, counts, times;
    sf_pgarray_init(&ids);
    sf_pgarray_init(&counts);
    sf_pgarray_init(&times);
    usage_t *usage = NULL;
    size_t n_usage = 0;
    pthread_mutex_lock(&self->lock);
    usage = calloc(self->n_keys ? self->n_keys : 1, sizeof *usage);
    for (size_t i = 0; usage && i < self->n_keys; i++)
        if (self->keys[i].uses) {
            snprintf(usage[n_usage].id, sizeof usage[n_usage].id, "%s", self->keys[i].id);
            usage[n_usage++].uses = self->keys[i].uses;
            sf_pgarray_add_text(&ids, self->keys[i].id);
            sf_pgarray_add_int(&counts, self->keys[i].uses);
            sf_pgarray_add_int(&times, self->keys[i].last_used_ms);
        }
    pthread_mutex_unlock(&self->lock);
    if (n_usage == 0 || ids.failed || counts.failed || times.failed)
        goto done;
    PGresult *result = sf_db_query(db,
        "UPDATE api_key SET requests = requests + u.uses,"
        " last_used_at = greatest(last_used_at, to_timestamp(u.at / 1000.0))"
        " FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(id, uses, at) WHERE api_key.id = u.id",
        SF_PARAMS(sf_pgarray_text(&ids), sf_pgarray_text(&counts), sf_pgarray_text(&times)));
    bool written = sf_db_result_ok(result);
    PQclear(result);
    if (!written)
        goto done;
    /* Subtract what was written: uses counted meanwhile stay. */
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < n_usage; i++) {
        ring_key_t *key = find_key(self, usage[i].id);
        if (key)
            key->uses -= usage[i].uses;
    }
    pthread_mutex_unlock(&self->lock);
done:
    free(usage);
    sf_pgarray_release(&ids);
    sf_pgarray_release(&counts);
    sf_pgarray_release(&times);
}

int
gateway_keyring_refresh(gateway_keyring_t *self, sf_db_t *db)
{
    write_back_usage(self, db);
    PGresult *result = sf_db_query(db,
        "SELECT id, encode(hash, 'hex'), principal_id, role, scope, rate_per_second, burst,"
        " revoked_at IS NOT NULL FROM api_key ORDER BY id", NULL);
    if (!sf_db_result_ok(result)) {
        PQclear(result);
        return -1;
    }
    int rows = PQntuples(result);
    ring_key_t *keys = calloc(rows ? (size_t) rows : 1, sizeof *keys);
    if (!keys) {
        PQclear(result);
        return -1;
    }
    size_t n = 0;
    for (int row = 0; row < rows; row++) {
        ring_key_t *key = &keys[n];
        size_t hash_length = 0;
        if (sodium_hex2bin(key->hash, sizeof key->hash, sf_db_text(result, row, 1),
                           strlen(sf_db_text(result, row, 1)), NULL, &hash_length, NULL) != 0
            || hash_length != sizeof key->hash)
            continue;
        snprintf(key->id, sizeof key->id, "%s", sf_db_text(result, row, 0));
        snprintf(key->principal_id, sizeof key->principal_id, "%s", sf_db_text(result, row, 2));
        snprintf(key->role, sizeof key->role, "%s", sf_db_text(result, row, 3));
        snprintf(key->scope, sizeof key->scope, "%s", sf_db_text(result, row, 4));
        key->rate = sf_db_double(result, row, 5);
        key->burst = (double) sf_db_int(result, row, 6);
        key->revoked = sf_db_bool(result, row, 7);
        n++;
    }
    PQclear(result);
    qsort(keys, n, sizeof *keys, compare_keys);
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < n; i++) {
        ring_key_t *old = find_key(self, keys[i].id);
        if (old) {
            keys[i].bucket = old->bucket;
            keys[i].uses = old->uses;
            keys[i].last_used_ms = old->last_used_ms;
            /* A revocation made here stands until the table says so too. */
            keys[i].revoked = keys[i].revoked || old->revoked;
        }
    }
    ring_key_t *old_keys = self->keys;
    size_t old_n = self->n_keys;
    self->keys = keys;
    self->n_keys = n;
    self->loaded = true;
    pthread_mutex_unlock(&self->lock);
    if (old_keys)
        sodium_memzero(old_keys, old_n * sizeof *old_keys);
    free(old_keys);
    return 0;
}

bool
gateway_keyring_loaded(gateway_keyring_t *self)
{
    pthread_mutex_lock(&self->lock);
    bool loaded = self->loaded;
    pthread_mutex_unlock(&self->lock);
    return loaded;
}

size_t
gateway_keyring_size(gateway_keyring_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = 0;
    for (size_t i = 0; i < self->n_keys; i++)
        n += !self->keys[i].revoked;
    pthread_mutex_unlock(&self->lock);
    return n;
}

gateway_auth_t
gateway_keyring_check(gateway_keyring_t *self, const char *text, int64_t now_ms,
                      gateway_principal_t *principal, int64_t *retry_after_ms)
{
    char id[GATEWAY_KEY_ID_LENGTH + 1];
    uint8_t hash[GATEWAY_KEY_HASH_SIZE];
    *retry_after_ms = 0;
    if (!text || gateway_key_parse(text, id, hash) != 0)
        return GATEWAY_AUTH_MALFORMED;
    gateway_auth_t outcome;
    pthread_mutex_lock(&self->lock);
    ring_key_t *key = find_key(self, id);
    if (!self->loaded)
        outcome = GATEWAY_AUTH_UNAVAILABLE;
    else if (!key || sodium_memcmp(key->hash, hash, sizeof hash) != 0)
        outcome = GATEWAY_AUTH_UNKNOWN;
    else if (key->revoked)
        outcome = GATEWAY_AUTH_REVOKED;
    else if ((*retry_after_ms = gateway_bucket_take(&key->bucket, key->rate, key->burst, now_ms)) > 0)
        outcome = GATEWAY_AUTH_RATE_LIMITED;
    else {
        outcome = GATEWAY_AUTH_OK;
        key->uses++;
        key->last_used_ms = sf_now_ms();
        snprintf(principal->id, sizeof principal->id, "%s", key->principal_id);
        snprintf(principal->role, sizeof principal->role, "%s", key->role);
        snprintf(principal->scope, sizeof principal->scope, "%s", key->scope);
        snprintf(principal->key_id, sizeof principal->key_id, "%s", key->id);
    }
    pthread_mutex_unlock(&self->lock);
    return outcome;
}

void
gateway_keyring_revoke(gateway_keyring_t *self, const char *id)
{
    pthread_mutex_lock(&self->lock);
    ring_key_t *key = find_key(self, id);
    if (key)
        key->revoked = true;
    pthread_mutex_unlock(&self->lock);
}

const char *
gateway_principal_namespace(const gateway_principal_t *principal, char *out, size_t size)
{
    if (principal->key_id[0])
        snprintf(out, size, "%s", principal->key_id);
    else if (principal->account[0])
        snprintf(out, size, "p-%s", principal->account);
    else
        snprintf(out, size, "anonymous");
    return out;
}
