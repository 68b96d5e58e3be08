/* Kept replies (sf_kept.h): packed bytes under a key and a version. */
#include "sf_kept.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key, *version;
    uint8_t *packed;
    size_t size;
    unsigned long used;   /* the lookup count when last found or kept */
} kept_reply_t;

struct sf_kept_t {
    pthread_mutex_t lock;
    kept_reply_t *replies;
    size_t n, capacity;
    unsigned long lookups, hits;
};

sf_kept_t *
sf_kept_new(size_t capacity)
{
    sf_kept_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->replies = calloc(capacity ? capacity : 1, sizeof *self->replies);
    if (!self->replies) {
        free(self);
        return NULL;
    }
    self->capacity = capacity ? capacity : 1;
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

static void
forget(kept_reply_t *reply)
{
    free(reply->key);
    free(reply->version);
    free(reply->packed);
    memset(reply, 0, sizeof *reply);
}

void
sf_kept_destroy(sf_kept_t **self_p)
{
    sf_kept_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n; i++)
        forget(&self->replies[i]);
    free(self->replies);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

const char *
sf_kept_version(sf_call_t *call, const char *sources, const char *timezone)
{
    PGresult *result = sf_call_query(call,
        "SELECT (SELECT seq FROM event_head)::text || '/' || COALESCE((SELECT string_agg(source || '=' || last_seq,"
        " ',' ORDER BY source) FROM event_cursor WHERE $1::text IS NULL OR source = ANY(string_to_array($1, ' '))),"
        " '') || COALESCE('@' || (now() AT TIME ZONE $2::text)::date, '')", SF_PARAMS(sources, timezone));
    if (!result)
        return NULL;
    return PQntuples(result) == 1 ? sf_db_text(result, 0, 0) : "";
}

static void *
call_alloc(void *data, size_t size)
{
    return sf_call_alloc(data, size ? size : 1);
}

static void
call_free(void *data, void *pointer)
{
    (void) data;
    (void) pointer;   /* freed with the call */
}

ProtobufCMessage *
sf_kept_get(sf_kept_t *self, sf_call_t *call, const ProtobufCMessageDescriptor *descriptor, const char *key,
            const char *version)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    bool found = false;
    pthread_mutex_lock(&self->lock);
    self->lookups++;
    for (size_t i = 0; i < self->n; i++) {
        kept_reply_t *reply = &self->replies[i];
        if (strcmp(reply->key, key) != 0 || strcmp(reply->version, version) != 0)
            continue;
        reply->used = self->lookups;
        size = reply->size;
        bytes = sf_call_alloc(call, size + 1);
        memcpy(bytes, reply->packed, size);
        found = true;
        self->hits++;
        break;
    }
    pthread_mutex_unlock(&self->lock);
    if (!found)
        return NULL;
    ProtobufCAllocator *allocator = sf_call_alloc(call, sizeof *allocator);
    allocator->alloc = call_alloc;
    allocator->free = call_free;
    allocator->allocator_data = call;
    return protobuf_c_message_unpack(descriptor, allocator, size, bytes);
}

void
sf_kept_put(sf_kept_t *self, const char *key, const char *version, const ProtobufCMessage *reply)
{
    size_t size = protobuf_c_message_get_packed_size(reply);
    uint8_t *packed = malloc(size + 1);
    char *key_copy = strdup(key), *version_copy = strdup(version);
    if (!packed || !key_copy || !version_copy) {
        free(packed);
        free(key_copy);
        free(version_copy);
        return;
    }
    protobuf_c_message_pack(reply, packed);
    pthread_mutex_lock(&self->lock);
    /* The key's slot (its older version), else a free one, else the least
     * recently used. */
    size_t slot = self->n;
    for (size_t i = 0; i < self->n; i++)
        if (strcmp(self->replies[i].key, key) == 0) {
            slot = i;
            break;
        }
    if (slot == self->n && self->n == self->capacity) {
        slot = 0;
        for (size_t i = 1; i < self->n; i++)
            if (self->replies[i].used < self->replies[slot].used)
                slot = i;
    }
    if (slot < self->n)
        forget(&self->replies[slot]);
    else
        self->n++;
    self->replies[slot] = (kept_reply_t) { key_copy, version_copy, packed, size, self->lookups };
    pthread_mutex_unlock(&self->lock);
}

void
sf_kept_counts(sf_kept_t *self, unsigned long *hits, unsigned long *lookups)
{
    pthread_mutex_lock(&self->lock);
    *hits = self->hits;
    *lookups = self->lookups;
    pthread_mutex_unlock(&self->lock);
}
