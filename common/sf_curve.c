/* CURVE keys and key files, the allowlist of admitted client keys, the ZAP
 * handler thread that enforces it, and CURVE socket setup from the
 * environment. */
#include "sf_curve.h"
#include "sf_config.h"
#include "sf_log.h"
#include "sf_text.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define KEY_Z85_LEN 40
#define KEY_BIN_LEN 32

static int
fail(char *error, size_t error_size, const char *format, ...)
{
    if (error && error_size) {
        va_list args;
        va_start(args, format);
        sf_text_vformat(error, error_size, format, args);   /* it quotes paths and file text */
        va_end(args);
    }
    return -1;
}

/* ---------------------------------------------------------------- keys -- */

/* A key is valid only in its canonical Z85 form: the ZAP handler encodes the
 * client's binary key and compares text, so a non-canonical spelling in a
 * file would silently never match. */
static bool
z85_key_valid(const char *text)
{
    if (!text || strlen(text) != KEY_Z85_LEN)
        return false;
    uint8_t binary[KEY_BIN_LEN];
    if (!zmq_z85_decode(binary, text))
        return false;
    char again[KEY_Z85_LEN + 1];
    if (!zmq_z85_encode(again, binary, KEY_BIN_LEN))
        return false;
    return memcmp(again, text, KEY_Z85_LEN) == 0;
}

int
sf_keypair_generate(sf_keypair_t *keypair)
{
    memset(keypair, 0, sizeof *keypair);
    return zmq_curve_keypair(keypair->public_key, keypair->secret_key) == 0 ? 0 : -1;
}

static char *
trim(char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    char *end = text + strlen(text);
    while (end > text && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
        *--end = 0;
    return text;
}

int
sf_keypair_load(sf_keypair_t *keypair, const char *path, bool need_secret, char *error, size_t error_size)
{
    memset(keypair, 0, sizeof *keypair);
    FILE *file = fopen(path, "r");
    if (!file)
        return fail(error, error_size, "%s: %s", path, strerror(errno));
    int rc = -1;
    char *line = NULL;
    size_t line_size = 0;
    char public_key[KEY_Z85_LEN + 1] = "";
    char secret_key[KEY_Z85_LEN + 1] = "";
    struct stat st;
    if (fstat(fileno(file), &st) != 0) {
        fail(error, error_size, "%s: %s", path, strerror(errno));
        goto cleanup;
    }
    int number = 0;
    while (getline(&line, &line_size, file) >= 0) {
        number++;
        char *text = trim(line);
        if (!*text || *text == '#')
            continue;
        char *equals = strchr(text, '=');
        if (!equals) {
            fail(error, error_size, "%s:%d: expected \"name = value\"", path, number);
            goto cleanup;
        }
        *equals = 0;
        char *name = trim(text);
        char *value = trim(equals + 1);
        char *slot;
        if (strcmp(name, "public-key") == 0)
            slot = public_key;
        else if (strcmp(name, "secret-key") == 0)
            slot = secret_key;
        else {
            fail(error, error_size, "%s:%d: unknown name \"%.*s\" (expected public-key or secret-key)",
                 path, number, (int) sf_utf8_prefix(name, 40), name);
            goto cleanup;
        }
        if (*slot) {
            fail(error, error_size, "%s:%d: %s given twice", path, number, name);
            goto cleanup;
        }
        if (!z85_key_valid(value)) {
            fail(error, error_size, "%s:%d: %s is not a 40-character Z85 CURVE key", path, number, name);
            goto cleanup;
        }
        memcpy(slot, value, KEY_Z85_LEN + 1);
    }
    if (ferror(file)) {
        fail(error, error_size, "%s: read error", path);
        goto cleanup;
    }
    if (need_secret) {
        if (!*secret_key) {
            fail(error, error_size, "%s: no secret-key (is this a public .pub file?)", path);
            goto cleanup;
        }
        char derived[KEY_Z85_LEN + 1];
        if (zmq_curve_public(derived, secret_key) != 0) {
            fail(error, error_size, "%s: cannot derive the public key (libzmq without CURVE?)", path);
            goto cleanup;
        }
        if (*public_key && strcmp(derived, public_key) != 0) {
            fail(error, error_size, "%s: public-key does not belong to secret-key", path);
            goto cleanup;
        }
        /* Anyone who can write the file can swap this service's identity;
         * readers can impersonate it. Writers are refused, readers only warned
         * about because container secret mounts are often 0644 or 0444. */
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
            fail(error, error_size, "%s: secret key file is writable by group or others (chmod 600 it)", path);
            goto cleanup;
        }
        if (st.st_mode & (S_IRGRP | S_IROTH))
            sf_warn("secret key file is readable by group or others; chmod 600 it", "path", path);
        memcpy(keypair->public_key, derived, sizeof derived);
        memcpy(keypair->secret_key, secret_key, sizeof secret_key);
    } else {
        if (!*public_key) {
            fail(error, error_size, "%s: no public-key", path);
            goto cleanup;
        }
        if (*secret_key)
            sf_warn("a secret key file is used where a public key belongs; give out the .pub file only",
                    "path", path);
        memcpy(keypair->public_key, public_key, sizeof public_key);
    }
    rc = 0;
cleanup:
    explicit_bzero(secret_key, sizeof secret_key);
    if (line) {
        explicit_bzero(line, line_size);
        free(line);
    }
    fclose(file);
    return rc;
}

/* Writes text to path through a temporary file in the same directory, so a
 * reader sees the old file or the new one, never half of one, and a secret
 * never exists with a wider mode than asked for. */
static int
write_atomically(const char *path, const char *text, mode_t mode, char *error, size_t error_size)
{
    size_t path_len = strlen(path);
    char *temporary = malloc(path_len + 16);
    if (!temporary)
        return fail(error, error_size, "%s: out of memory", path);
    snprintf(temporary, path_len + 16, "%s.tmp.XXXXXX", path);
    int rc = -1;
    int fd = mkstemp(temporary);   /* created 0600 */
    if (fd < 0) {
        fail(error, error_size, "%s: %s", path, strerror(errno));
        free(temporary);
        return -1;
    }
    size_t left = strlen(text);
    const char *at = text;
    while (left > 0) {
        ssize_t written = write(fd, at, left);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0) {
            fail(error, error_size, "%s: %s", path, strerror(errno));
            goto cleanup;
        }
        at += written;
        left -= (size_t) written;
    }
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
        fail(error, error_size, "%s: %s", path, strerror(errno));
        goto cleanup;
    }
    if (close(fd) != 0) {
        fd = -1;
        fail(error, error_size, "%s: %s", path, strerror(errno));
        goto cleanup;
    }
    fd = -1;
    if (rename(temporary, path) != 0) {
        fail(error, error_size, "%s: %s", path, strerror(errno));
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(temporary);
    free(temporary);
    return rc;
}

int
sf_keypair_save(const sf_keypair_t *keypair, const char *path, bool with_secret, char *error, size_t error_size)
{
    if (!z85_key_valid(keypair->public_key))
        return fail(error, error_size, "%s: public key is not a valid Z85 CURVE key", path);
    if (with_secret) {
        char derived[KEY_Z85_LEN + 1];
        if (!z85_key_valid(keypair->secret_key) || zmq_curve_public(derived, keypair->secret_key) != 0
            || strcmp(derived, keypair->public_key) != 0)
            return fail(error, error_size, "%s: secret key is invalid or does not match the public key", path);
    }
    char text[512];
    if (with_secret)
        snprintf(text, sizeof text,
                 "# Sifang CURVE keypair. Keep this file private (mode 0600) on the\n"
                 "# host that uses it; hand out the matching .pub file instead.\n"
                 "public-key = %s\n"
                 "secret-key = %s\n",
                 keypair->public_key, keypair->secret_key);
    else
        snprintf(text, sizeof text,
                 "# Sifang CURVE public key: give it to the clients of this server,\n"
                 "# or use it in the allowlist of the servers this client may call.\n"
                 "public-key = %s\n",
                 keypair->public_key);
    int rc = write_atomically(path, text, with_secret ? 0600 : 0644, error, error_size);
    explicit_bzero(text, sizeof text);
    return rc;
}

/* ----------------------------------------------------------- allowlist -- */

struct sf_allowlist_t {
    sf_client_key_t *entries;
    size_t size;
    size_t capacity;
};

static bool
charset_ok(const char *text, const char *punctuation)
{
    for (const char *c = text; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
              || strchr(punctuation, *c)))
            return false;
    return true;
}

static bool
role_known(const char *role)
{
    static const char roles[] = SF_ROLES;
    size_t len = strlen(role);
    if (len == 0)
        return false;
    for (const char *at = roles; (at = strstr(at, role)) != NULL; at += len)
        if ((at == roles || at[-1] == ' ') && (at[len] == ' ' || at[len] == 0))
            return true;
    return false;
}

int
sf_client_key_check(const sf_client_key_t *key, char *error, size_t error_size)
{
    if (strnlen(key->public_key, sizeof key->public_key) != KEY_Z85_LEN || !z85_key_valid(key->public_key))
        return fail(error, error_size, "public key is not a 40-character Z85 CURVE key");
    size_t id_len = strnlen(key->principal_id, sizeof key->principal_id);
    if (id_len == 0 || id_len >= sizeof key->principal_id || !charset_ok(key->principal_id, "._@-"))
        return fail(error, error_size, "principal id must be 1-63 characters of [A-Za-z0-9._@-]");
    if (strnlen(key->role, sizeof key->role) >= sizeof key->role || !role_known(key->role))
        return fail(error, error_size, "role must be one of: %s", SF_ROLES);
    if (strnlen(key->scope, sizeof key->scope) >= sizeof key->scope || !charset_ok(key->scope, "._-"))
        return fail(error, error_size, "scope must be 0-63 characters of [A-Za-z0-9._-]");
    return 0;
}

sf_allowlist_t *
sf_allowlist_new(void)
{
    return calloc(1, sizeof(sf_allowlist_t));
}

void
sf_allowlist_destroy(sf_allowlist_t **self_p)
{
    sf_allowlist_t *self = *self_p;
    if (!self)
        return;
    free(self->entries);
    free(self);
    *self_p = NULL;
}

static int
allowlist_add(sf_allowlist_t *self, const sf_client_key_t *key, char *error, size_t error_size)
{
    if (sf_client_key_check(key, error, error_size) != 0)
        return -1;
    const sf_client_key_t *same_key = sf_allowlist_find_key(self, key->public_key);
    if (same_key)
        return fail(error, error_size, "key already listed for principal %s", same_key->principal_id);
    /* One principal, one set of rights: otherwise what a request may do would
     * depend on which of its keys it happened to use. */
    const sf_client_key_t *same_id = sf_allowlist_find_principal(self, key->principal_id);
    if (same_id && (strcmp(same_id->role, key->role) != 0 || strcmp(same_id->scope, key->scope) != 0))
        return fail(error, error_size, "principal %s already listed with role %s scope \"%s\"",
                    key->principal_id, same_id->role, same_id->scope);
    if (self->size == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 16;
        sf_client_key_t *entries = realloc(self->entries, capacity * sizeof *entries);
        if (!entries)
            return fail(error, error_size, "out of memory");
        self->entries = entries;
        self->capacity = capacity;
    }
    sf_client_key_t *entry = &self->entries[self->size++];
    memset(entry, 0, sizeof *entry);
    memcpy(entry->public_key, key->public_key, KEY_Z85_LEN);
    strcpy(entry->principal_id, key->principal_id);
    strcpy(entry->role, key->role);
    strcpy(entry->scope, key->scope);
    return 0;
}

int
sf_allowlist_add(sf_allowlist_t *self, const sf_client_key_t *key)
{
    return allowlist_add(self, key, NULL, 0);
}

/* Copies a field into a fixed buffer; false when it does not fit. */
static bool
copy_field(char *dest, size_t dest_size, const char *field)
{
    if (strlen(field) >= dest_size)
        return false;
    strcpy(dest, field);
    return true;
}

sf_allowlist_t *
sf_allowlist_load(const char *path, char *error, size_t error_size)
{
    FILE *file = fopen(path, "r");
    if (!file) {
        fail(error, error_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    sf_allowlist_t *self = sf_allowlist_new();
    char *line = NULL;
    size_t line_size = 0;
    int number = 0;
    bool ok = self != NULL;
    if (!ok)
        fail(error, error_size, "%s: out of memory", path);
    while (ok && getline(&line, &line_size, file) >= 0) {
        number++;
        char *text = trim(line);
        /* Comments are whole lines only: '#' is a Z85 digit, though never
         * the first of a valid key. */
        if (!*text || *text == '#')
            continue;
        char *fields[5];
        int count = 0;
        char *save = NULL;
        for (char *field = strtok_r(text, " \t", &save); field && count < 5;
             field = strtok_r(NULL, " \t", &save))
            fields[count++] = field;
        sf_client_key_t key;
        memset(&key, 0, sizeof key);
        char reason[200];
        if (count < 3) {
            fail(error, error_size, "%s:%d: expected \"<public-key> <principal-id> <role> [scope]\"", path, number);
            ok = false;
        } else if (count > 4) {
            fail(error, error_size, "%s:%d: too many fields (expected \"<public-key> <principal-id> <role> [scope]\")",
                 path, number);
            ok = false;
        } else if (!copy_field(key.public_key, sizeof key.public_key, fields[0])) {
            fail(error, error_size, "%s:%d: public key is not a 40-character Z85 CURVE key", path, number);
            ok = false;
        } else if (!copy_field(key.principal_id, sizeof key.principal_id, fields[1])) {
            fail(error, error_size, "%s:%d: principal id longer than 63 characters", path, number);
            ok = false;
        } else if (!copy_field(key.role, sizeof key.role, fields[2])) {
            fail(error, error_size, "%s:%d: role must be one of: %s", path, number, SF_ROLES);
            ok = false;
        } else if (count == 4 && !copy_field(key.scope, sizeof key.scope, fields[3])) {
            fail(error, error_size, "%s:%d: scope longer than 63 characters", path, number);
            ok = false;
        } else if (allowlist_add(self, &key, reason, sizeof reason) != 0) {
            fail(error, error_size, "%s:%d: %s", path, number, reason);
            ok = false;
        }
    }
    if (ok && ferror(file)) {
        fail(error, error_size, "%s: read error", path);
        ok = false;
    }
    free(line);
    fclose(file);
    if (!ok)
        sf_allowlist_destroy(&self);
    return self;
}

int
sf_allowlist_save(const sf_allowlist_t *self, const char *path, char *error, size_t error_size)
{
    /* Each entry is at most 40 + 63 + 31 + 63 characters and four separators. */
    size_t capacity = 256 + self->size * 208;
    char *text = malloc(capacity);
    if (!text)
        return fail(error, error_size, "%s: out of memory", path);
    size_t at = (size_t) snprintf(text, capacity,
                                  "# Sifang CURVE allowlist: the client keys this service admits.\n"
                                  "# <public-key> <principal-id> <role> [scope]\n");
    for (size_t i = 0; i < self->size; i++) {
        const sf_client_key_t *entry = &self->entries[i];
        at += (size_t) snprintf(text + at, capacity - at, "%s %s %s%s%s\n", entry->public_key,
                                entry->principal_id, entry->role, *entry->scope ? " " : "", entry->scope);
    }
    int rc = write_atomically(path, text, 0644, error, error_size);
    free(text);
    return rc;
}

const sf_client_key_t *
sf_allowlist_find_key(const sf_allowlist_t *self, const char *public_key)
{
    if (!self || !public_key)
        return NULL;
    for (size_t i = 0; i < self->size; i++)
        if (strcmp(self->entries[i].public_key, public_key) == 0)
            return &self->entries[i];
    return NULL;
}

const sf_client_key_t *
sf_allowlist_find_principal(const sf_allowlist_t *self, const char *principal_id)
{
    if (!self || !principal_id)
        return NULL;
    for (size_t i = 0; i < self->size; i++)
        if (strcmp(self->entries[i].principal_id, principal_id) == 0)
            return &self->entries[i];
    return NULL;
}

size_t
sf_allowlist_size(const sf_allowlist_t *self)
{
    return self ? self->size : 0;
}

const sf_client_key_t *
sf_allowlist_at(const sf_allowlist_t *self, size_t index)
{
    return self && index < self->size ? &self->entries[index] : NULL;
}

/* ----------------------------------------------------------------- ZAP -- */

/* A refused client reconnects every 100 ms by default; one log line per
 * attempt would bury everything else, so repeats of a (key, peer) are
 * counted and reported at most once a minute. */
#define REFUSAL_SLOTS 32
#define REFUSAL_LOG_INTERVAL_MS 60000

typedef struct {
    char key[KEY_Z85_LEN + 1];   /* or the mechanism name, for non-CURVE */
    char peer[64];
    int64_t logged_at;
    long repeats;
} refusal_t;

struct sf_zap_t {
    const sf_allowlist_t *allowlist;
    char service[64];
    void *handler;        /* ROUTER on ZAP_ENDPOINT; the thread's alone once started */
    void *control;        /* PAIR, the thread's end of the stop signal */
    void *stop;           /* PAIR, the owner's end */
    pthread_t thread;
    bool thread_started;
    atomic_long admitted;
    atomic_long refused;
    refusal_t refusals[REFUSAL_SLOTS];
};

#define ZAP_MAX_FRAMES 12

static void
close_socket(void **socket_p)
{
    if (*socket_p) {
        int linger = 0;
        zmq_setsockopt(*socket_p, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(*socket_p);
        *socket_p = NULL;
    }
}

/* Copies a frame into a NUL-terminated string, cut to fit. */
static void
frame_text(char *dest, size_t dest_size, zmq_msg_t *frame)
{
    size_t size = zmq_msg_size(frame);
    if (size >= dest_size)
        size = dest_size - 1;
    memcpy(dest, zmq_msg_data(frame), size);
    dest[size] = 0;
}

static bool
frame_is(zmq_msg_t *frame, const char *text)
{
    size_t len = strlen(text);
    return zmq_msg_size(frame) == len && memcmp(zmq_msg_data(frame), text, len) == 0;
}

static void
log_refusal(sf_zap_t *self, const char *why, const char *key, const char *mechanism, const char *peer)
{
    int64_t now = sf_clock_ms();
    refusal_t *slot = NULL;
    for (int i = 0; i < REFUSAL_SLOTS && !slot; i++)
        if (strcmp(self->refusals[i].key, key) == 0 && strcmp(self->refusals[i].peer, peer) == 0)
            slot = &self->refusals[i];
    if (slot && now - slot->logged_at < REFUSAL_LOG_INTERVAL_MS) {
        slot->repeats++;
        return;
    }
    long repeats = slot ? slot->repeats : 0;
    if (!slot) {
        slot = &self->refusals[0];
        for (int i = 1; i < REFUSAL_SLOTS; i++)
            if (self->refusals[i].logged_at < slot->logged_at)
                slot = &self->refusals[i];
        snprintf(slot->key, sizeof slot->key, "%s", key);
        snprintf(slot->peer, sizeof slot->peer, "%s", peer);
    }
    slot->logged_at = now;
    slot->repeats = 0;
    char repeats_text[24];
    snprintf(repeats_text, sizeof repeats_text, "%ld", repeats);
    sf_warn(why, "client_key", *key && strcmp(key, mechanism) != 0 ? key : NULL,
            "mechanism", mechanism, "peer", peer, "zap", self->service,
            "repeats_since_last_line", repeats > 0 ? repeats_text : NULL);
}

static int
send_frame(void *socket, const void *data, size_t size, bool more)
{
    return zmq_send(socket, data, size, more ? ZMQ_SNDMORE : 0) < 0 ? -1 : 0;
}

static void
zap_reply(sf_zap_t *self, zmq_msg_t *routing_id, zmq_msg_t *request_id, const char *status,
          const char *status_text, const char *user_id)
{
    /* A peer that vanished meanwhile is dropped silently by the ROUTER. */
    if (send_frame(self->handler, zmq_msg_data(routing_id), zmq_msg_size(routing_id), true) != 0
        || send_frame(self->handler, "", 0, true) != 0
        || send_frame(self->handler, "1.0", 3, true) != 0
        || send_frame(self->handler, zmq_msg_data(request_id), zmq_msg_size(request_id), true) != 0
        || send_frame(self->handler, status, strlen(status), true) != 0
        || send_frame(self->handler, status_text, strlen(status_text), true) != 0
        || send_frame(self->handler, user_id, strlen(user_id), true) != 0
        || send_frame(self->handler, "", 0, false) != 0)
        sf_debug("zap reply not sent", "error", zmq_strerror(zmq_errno()));
}

/* Frames as the ROUTER delivers them: routing id, empty delimiter, then
 * RFC 27's version, request id, domain, address, identity, mechanism and
 * the mechanism's credentials. */
enum { F_ROUTING, F_DELIMITER, F_VERSION, F_REQUEST_ID, F_DOMAIN, F_ADDRESS, F_IDENTITY, F_MECHANISM,
       F_CREDENTIALS };

static void
zap_answer(sf_zap_t *self, zmq_msg_t *frames, int count)
{
    if (count <= F_REQUEST_ID || zmq_msg_size(&frames[F_DELIMITER]) != 0) {
        atomic_fetch_add(&self->refused, 1);
        sf_warn("zap request without envelope dropped", "zap", self->service);
        return;
    }
    if (count <= F_MECHANISM || !frame_is(&frames[F_VERSION], "1.0")) {
        atomic_fetch_add(&self->refused, 1);
        sf_warn("malformed zap request refused", "zap", self->service);
        zap_reply(self, &frames[F_ROUTING], &frames[F_REQUEST_ID], "500", "Malformed ZAP request", "");
        return;
    }
    char peer[64], mechanism[16];
    frame_text(peer, sizeof peer, &frames[F_ADDRESS]);
    frame_text(mechanism, sizeof mechanism, &frames[F_MECHANISM]);
    if (strcmp(mechanism, "CURVE") != 0) {
        atomic_fetch_add(&self->refused, 1);
        log_refusal(self, "zap refused a handshake that is not CURVE", mechanism, mechanism, peer);
        zap_reply(self, &frames[F_ROUTING], &frames[F_REQUEST_ID], "400", "Only CURVE is accepted", "");
        return;
    }
    if (count != F_CREDENTIALS + 1 || zmq_msg_size(&frames[F_CREDENTIALS]) != KEY_BIN_LEN) {
        atomic_fetch_add(&self->refused, 1);
        sf_warn("malformed zap request refused", "zap", self->service, "peer", peer);
        zap_reply(self, &frames[F_ROUTING], &frames[F_REQUEST_ID], "500", "Malformed ZAP request", "");
        return;
    }
    char client_key[KEY_Z85_LEN + 1];
    zmq_z85_encode(client_key, zmq_msg_data(&frames[F_CREDENTIALS]), KEY_BIN_LEN);
    const sf_client_key_t *entry = sf_allowlist_find_key(self->allowlist, client_key);
    if (!entry) {
        atomic_fetch_add(&self->refused, 1);
        log_refusal(self, "zap refused an unknown client key", client_key, mechanism, peer);
        zap_reply(self, &frames[F_ROUTING], &frames[F_REQUEST_ID], "400", "Unknown client key", "");
        return;
    }
    atomic_fetch_add(&self->admitted, 1);
    sf_debug("zap admitted", "principal", entry->principal_id, "role", entry->role, "peer", peer,
             "zap", self->service);
    zap_reply(self, &frames[F_ROUTING], &frames[F_REQUEST_ID], "200", "OK", entry->principal_id);
}

/* Reads one multipart request (extra frames beyond ZAP_MAX_FRAMES are read
 * and dropped so the next request starts clean) and answers it. */
static int
zap_serve_one(sf_zap_t *self)
{
    zmq_msg_t frames[ZAP_MAX_FRAMES];
    int count = 0;
    bool more = true;
    int rc = 0;
    while (more) {
        zmq_msg_t extra;
        zmq_msg_t *frame = count < ZAP_MAX_FRAMES ? &frames[count] : &extra;
        zmq_msg_init(frame);
        if (zmq_msg_recv(frame, self->handler, 0) < 0) {
            zmq_msg_close(frame);
            rc = -1;
            break;
        }
        more = zmq_msg_more(frame);
        if (frame == &extra)
            zmq_msg_close(frame);
        else
            count++;
    }
    if (rc == 0)
        zap_answer(self, frames, count);
    for (int i = 0; i < count; i++)
        zmq_msg_close(&frames[i]);
    return rc;
}

static void *
zap_run(void *arg)
{
    sf_zap_t *self = arg;
    zmq_pollitem_t items[2] = {
        { self->handler, 0, ZMQ_POLLIN, 0 },
        { self->control, 0, ZMQ_POLLIN, 0 },
    };
    for (;;) {
        if (zmq_poll(items, 2, -1) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            break;   /* ETERM: the context is going away */
        }
        if (items[1].revents & ZMQ_POLLIN)
            break;
        if ((items[0].revents & ZMQ_POLLIN) && zap_serve_one(self) != 0 && zmq_errno() == ETERM)
            break;
    }
    /* The thread closes what it used: ZeroMQ sockets belong to one thread,
     * and zmq_ctx_term waits for every socket to be closed. */
    close_socket(&self->handler);
    close_socket(&self->control);
    return NULL;
}

sf_zap_t *
sf_zap_start(void *zmq_context, const sf_allowlist_t *allowlist, const char *service_name)
{
    if (!zmq_context || !allowlist) {
        sf_error("zap handler needs a context and an allowlist");
        return NULL;
    }
    sf_zap_t *self = calloc(1, sizeof(sf_zap_t));
    if (!self)
        return NULL;
    self->allowlist = allowlist;
    snprintf(self->service, sizeof self->service, "%s", service_name ? service_name : "sifang");
    atomic_init(&self->admitted, 0);
    atomic_init(&self->refused, 0);
    char control_endpoint[64];
    snprintf(control_endpoint, sizeof control_endpoint, "inproc://sifang-zap-control-%p", (void *) self);
    int linger = 0;

    self->handler = zmq_socket(zmq_context, ZMQ_ROUTER);
    if (!self->handler)
        goto failed;
    zmq_setsockopt(self->handler, ZMQ_LINGER, &linger, sizeof linger);
    /* Bound here, not in the thread, so server sockets made after this call
     * returns are sure to find the handler. */
    if (zmq_bind(self->handler, ZAP_ENDPOINT) != 0)
        goto failed;
    self->control = zmq_socket(zmq_context, ZMQ_PAIR);
    self->stop = zmq_socket(zmq_context, ZMQ_PAIR);
    if (!self->control || !self->stop)
        goto failed;
    zmq_setsockopt(self->control, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->stop, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(self->control, control_endpoint) != 0 || zmq_connect(self->stop, control_endpoint) != 0)
        goto failed;

    /* The thread takes no signals, so SIGTERM and SIGINT reach the thread
     * that waits for them and interrupt its poll. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int rc = pthread_create(&self->thread, NULL, zap_run, self);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (rc != 0) {
        errno = rc;
        goto failed;
    }
    self->thread_started = true;
    sf_info("zap handler started", "zap", self->service);
    return self;

failed:
    sf_error("cannot start the zap handler", "zap", self->service, "endpoint", ZAP_ENDPOINT,
             "error", zmq_strerror(zmq_errno()));
    close_socket(&self->handler);
    close_socket(&self->control);
    close_socket(&self->stop);
    free(self);
    return NULL;
}

void
sf_zap_destroy(sf_zap_t **self_p)
{
    sf_zap_t *self = *self_p;
    if (!self)
        return;
    if (self->thread_started) {
        /* If the context is already terminating the send fails, but then the
         * thread's poll fails with ETERM and it ends anyway. */
        zmq_send(self->stop, "STOP", 4, ZMQ_DONTWAIT);
        pthread_join(self->thread, NULL);
    }
    close_socket(&self->stop);
    char admitted[24], refused[24];
    snprintf(admitted, sizeof admitted, "%ld", sf_zap_admitted(self));
    snprintf(refused, sizeof refused, "%ld", sf_zap_refused(self));
    sf_info("zap handler stopped", "zap", self->service, "admitted", admitted, "refused", refused);
    free(self);
    *self_p = NULL;
}

long
sf_zap_admitted(const sf_zap_t *self)
{
    return self ? atomic_load(&((sf_zap_t *) self)->admitted) : 0;
}

long
sf_zap_refused(const sf_zap_t *self)
{
    return self ? atomic_load(&((sf_zap_t *) self)->refused) : 0;
}

/* --------------------------------------------------------------- setup -- */

int
sf_curve_server_setup(void *socket, const sf_keypair_t *server)
{
    if (!socket || !server || !z85_key_valid(server->secret_key)) {
        errno = EINVAL;
        return -1;
    }
    int as_server = 1;
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &as_server, sizeof as_server) != 0
        || zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, server->secret_key, KEY_Z85_LEN + 1) != 0
        || zmq_setsockopt(socket, ZMQ_ZAP_DOMAIN, SF_ZAP_DOMAIN, strlen(SF_ZAP_DOMAIN)) != 0)
        return -1;
    return 0;
}

int
sf_curve_client_setup(void *socket, const sf_keypair_t *client, const char *server_public_key)
{
    if (!socket || !client || !z85_key_valid(client->public_key) || !z85_key_valid(client->secret_key)
        || !z85_key_valid(server_public_key)) {
        errno = EINVAL;
        return -1;
    }
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, server_public_key, KEY_Z85_LEN + 1) != 0
        || zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, client->public_key, KEY_Z85_LEN + 1) != 0
        || zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, client->secret_key, KEY_Z85_LEN + 1) != 0)
        return -1;
    return 0;
}

int
sf_curve_server_from_env(sf_curve_server_t *config, char *error, size_t error_size)
{
    memset(config, 0, sizeof *config);
    sf_process_settings_t settings;
    sf_process_settings_read(&settings);
    const char *key_file = settings.curve_secret_key_file[0] ? settings.curve_secret_key_file : NULL;
    const char *allowlist_file = settings.curve_allowlist[0] ? settings.curve_allowlist : NULL;
    if (!key_file && !allowlist_file)
        return 0;
    if (!key_file || !allowlist_file)
        return fail(error, error_size,
                    "%s is set but %s is not: set both for CURVE, neither for plain TCP",
                    key_file ? "SIFANG_CURVE_SECRET_KEY_FILE" : "SIFANG_CURVE_ALLOWLIST",
                    key_file ? "SIFANG_CURVE_ALLOWLIST" : "SIFANG_CURVE_SECRET_KEY_FILE");
    if (!zmq_has("curve"))
        return fail(error, error_size, "CURVE keys are configured but this libzmq has no CURVE support");
    if (sf_keypair_load(&config->keypair, key_file, true, error, error_size) != 0)
        return -1;
    config->allowlist = sf_allowlist_load(allowlist_file, error, error_size);
    if (!config->allowlist) {
        explicit_bzero(&config->keypair, sizeof config->keypair);
        return -1;
    }
    if (sf_allowlist_size(config->allowlist) == 0)
        sf_warn("the CURVE allowlist is empty: no client can connect", "path", allowlist_file);
    config->enabled = true;
    return 0;
}

void
sf_curve_server_release(sf_curve_server_t *config)
{
    if (!config)
        return;
    sf_allowlist_destroy(&config->allowlist);
    explicit_bzero(&config->keypair, sizeof config->keypair);
    config->enabled = false;
}

int
sf_curve_client_from_env(sf_curve_client_t *config, const char *service, char *error, size_t error_size)
{
    memset(config, 0, sizeof *config);
    char server_variable[96];
    sf_service_env_name(server_variable, sizeof server_variable, service, "PUBLIC_KEY_FILE");
    sf_process_settings_t settings;
    sf_process_settings_read(&settings);
    const char *client_variable = "SIFANG_CURVE_CLIENT_KEY_FILE";
    const char *client_file = settings.curve_client_key_file;
    if (!client_file[0]) {
        client_variable = "SIFANG_CURVE_SECRET_KEY_FILE";
        client_file = settings.curve_secret_key_file;
    }
    if (!client_file[0])
        client_file = NULL;
    const char *server_file = sf_service_public_key_file(service);
    if (!client_file && !server_file)
        return 0;
    if (!server_file)
        return fail(error, error_size, "%s is set but %s is not: give it %s's .pub file, or unset both for plain TCP",
                    client_variable, server_variable, service);
    if (!client_file)
        return fail(error, error_size,
                    "%s is set but SIFANG_CURVE_CLIENT_KEY_FILE is not: give it this client's .key file, "
                    "or unset both for plain TCP", server_variable);
    if (!zmq_has("curve"))
        return fail(error, error_size, "CURVE keys are configured but this libzmq has no CURVE support");
    sf_keypair_t server;
    if (sf_keypair_load(&config->keypair, client_file, true, error, error_size) != 0
        || sf_keypair_load(&server, server_file, false, error, error_size) != 0) {
        explicit_bzero(&config->keypair, sizeof config->keypair);
        return -1;
    }
    memcpy(config->server_public_key, server.public_key, sizeof config->server_public_key);
    config->enabled = true;
    return 0;
}
