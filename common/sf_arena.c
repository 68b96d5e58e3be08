/* Chunked bump allocation; large requests get a chunk of their own. */
#include "sf_arena.h"
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE 16384

typedef struct chunk_t {
    struct chunk_t *next;
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char data[];
} chunk_t;

struct sf_arena_t {
    chunk_t *chunks;   /* newest first */
};

static chunk_t *
chunk_new(size_t size)
{
    chunk_t *chunk = malloc(sizeof *chunk + size);
    if (!chunk)
        return NULL;
    chunk->next = NULL;
    chunk->size = size;
    chunk->used = 0;
    return chunk;
}

sf_arena_t *
sf_arena_new(void)
{
    return calloc(1, sizeof(sf_arena_t));
}

void
sf_arena_destroy(sf_arena_t **self_p)
{
    sf_arena_t *self = *self_p;
    if (!self)
        return;
    while (self->chunks) {
        chunk_t *next = self->chunks->next;
        free(self->chunks);
        self->chunks = next;
    }
    free(self);
    *self_p = NULL;
}

void *
sf_arena_alloc(sf_arena_t *self, size_t size)
{
    const size_t align = alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    chunk_t *chunk = self->chunks;
    if (!chunk || chunk->size - chunk->used < size) {
        chunk = chunk_new(size > CHUNK_SIZE / 4 ? size : CHUNK_SIZE);
        if (!chunk)
            return NULL;
        if (size > CHUNK_SIZE / 4 && self->chunks) {
            /* Keep the current chunk in front: it still has room. */
            chunk->next = self->chunks->next;
            self->chunks->next = chunk;
        } else {
            chunk->next = self->chunks;
            self->chunks = chunk;
        }
    }
    void *memory = chunk->data + chunk->used;
    chunk->used += size;
    memset(memory, 0, size);
    return memory;
}

char *
sf_arena_strdup(sf_arena_t *self, const char *text)
{
    if (!text)
        text = "";
    size_t len = strlen(text);
    char *copy = sf_arena_alloc(self, len + 1);
    if (copy)
        memcpy(copy, text, len + 1);
    return copy;
}

char *
sf_arena_vprintf(sf_arena_t *self, const char *format, va_list args)
{
    va_list measure;
    va_copy(measure, args);
    int length = vsnprintf(NULL, 0, format, measure);
    va_end(measure);
    char *text = sf_arena_alloc(self, (size_t) (length > 0 ? length : 0) + 1);
    if (text && length > 0)
        vsnprintf(text, (size_t) length + 1, format, args);
    return text;
}

void
sf_arena_reset(sf_arena_t *self)
{
    chunk_t *keep = NULL;
    while (self->chunks) {
        chunk_t *next = self->chunks->next;
        if (!keep && self->chunks->size == CHUNK_SIZE) {
            keep = self->chunks;
            keep->used = 0;
            keep->next = NULL;
        } else
            free(self->chunks);
        self->chunks = next;
    }
    self->chunks = keep;
}
