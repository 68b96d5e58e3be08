/* A bump allocator for one request: everything a handler allocates for its
 * reply lives until the reply is packed, then goes at once. */
#ifndef SF_ARENA_H
#define SF_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sf_arena_t sf_arena_t;

sf_arena_t *sf_arena_new(void);
void sf_arena_destroy(sf_arena_t **self_p);
/* Zeroed memory aligned for any type; NULL when out of memory. */
void *sf_arena_alloc(sf_arena_t *self, size_t size);
char *sf_arena_strdup(sf_arena_t *self, const char *text);
/* The formatted text in the arena; NULL when out of memory. */
char *sf_arena_vprintf(sf_arena_t *self, const char *format, va_list args);
/* Frees everything but keeps the first chunk for the next request. */
void sf_arena_reset(sf_arena_t *self);

#endif
