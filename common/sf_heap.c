/* The daemons' heap, handed back after the work that grew it.
 *
 * glibc's malloc keeps what a daemon frees, for later, in three ways that
 * left a daemon holding 50-70 MB after the demo district's load that it no
 * longer used (docs/operations.md, "Memory", has the figures):
 *
 * - The mmap threshold follows the largest block freed. A block of 128 KiB
 *   or more is mapped of its own and unmapped when freed, but freeing one
 *   raises the threshold to its size (up to 32 MiB, and the trim threshold
 *   to twice that): after one large result (libpq's buffer of a big reply,
 *   a page of events, a packed reply) every later one comes from the heap,
 *   and stays there when freed. sf_heap_init fixes both thresholds, which
 *   turns the adjustment off.
 * - free() gives back only what is at the top of a heap: a hole below a
 *   block still in use stays resident however large. malloc_trim(0) gives
 *   back the whole pages of every free block (madvise), in every arena.
 * - Each thread that allocates gets an arena of its own (up to eight per
 *   core): the loop, each read worker (sf_server_reads.c), a follower
 *   thread, the import lanes, ZeroMQ's. malloc_trim walks them all. Their
 *   number is left as it is (no M_ARENA_MAX): after the load each read
 *   worker's arena held 0.1-1.3 MB, mostly free; what they had free, not
 *   how many there are, was the cost.
 *
 * The loop calls sf_heap_release on a timer (sf_server.c): a burst of reads
 * or a follower's catch-up gives its memory back within seconds. */
#include "sf_heap.h"
#include <malloc.h>

/* Blocks this large or larger are mapped of their own: glibc's default
 * starting value, kept from rising. */
#define MMAP_THRESHOLD (128 * 1024)
/* Free memory at the top of a heap beyond this is given back at once. */
#define TRIM_THRESHOLD (512 * 1024)

void
sf_heap_init(void)
{
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
}

bool
sf_heap_release(void)
{
    return malloc_trim(0) != 0;
}
