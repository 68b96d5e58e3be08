/* The daemons' heap: what malloc keeps after a large piece of work is handed
 * back to the system (sf_heap.c says why glibc keeps it). */
#ifndef SF_HEAP_H
#define SF_HEAP_H

#include <stdbool.h>

/* At start-up, before any thread: fixes malloc's thresholds so that a large
 * block is always mapped of its own and unmapped when freed. */
void sf_heap_init(void);

/* Hands back to the system the free memory of every thread's arena, the
 * whole pages inside the heaps too. True when it gave something back. Walks
 * every arena's free lists under its lock: for a timer, not per request. */
bool sf_heap_release(void);

#endif
