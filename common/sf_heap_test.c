/* The heap handed back (sf_heap.c): a large block freed does not raise
 * malloc's mmap threshold, and the free memory under a block still in use
 * leaves the resident set when sf_heap_release runs. */
#include "sf_heap.h"
#include "sf_test.h"
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* AddressSanitizer's allocator is not glibc's: mallopt and malloc_trim do
 * nothing there, and its quarantine keeps what is freed. */
#if !defined(__SANITIZE_ADDRESS__)

/* The process's resident set in bytes (/proc/self/statm's second field). */
static long
resident_bytes(void)
{
    FILE *file = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (!file)
        return -1;
    if (fscanf(file, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(file);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

/* glibc raises the threshold to the size of a mapped block freed: a later
 * block half that size would come from the heap, and stay there. */
static void
test_threshold_kept(void)
{
    char *large = malloc(4 << 20);
    SF_CHECK(large != NULL);
    memset(large, 1, 4 << 20);
    free(large);
    char *half = malloc(2 << 20);
    SF_CHECK(half != NULL);
    SF_CHECK(mallinfo2().hblks >= 1);   /* mapped of its own */
    free(half);
}

/* 32 MB freed below a block still in use: free() cannot hand it back, the
 * release does. */
static void
test_release(void)
{
    enum { BLOCKS = 4096, BLOCK = 8192 };
    static char *blocks[BLOCKS];
    for (int i = 0; i < BLOCKS; i++) {
        blocks[i] = malloc(BLOCK);
        SF_CHECK(blocks[i] != NULL);
        memset(blocks[i], 1, BLOCK);
    }
    char *kept = malloc(64);   /* above them all */
    SF_CHECK(kept != NULL);
    for (int i = 0; i < BLOCKS; i++)
        free(blocks[i]);
    long before = resident_bytes();
    SF_CHECK(sf_heap_release());
    long after = resident_bytes();
    printf("resident %ld KB before the release, %ld KB after\n", before / 1024, after / 1024);
    SF_CHECK(before - after >= 24L << 20);
    free(kept);
}

#endif

int
main(void)
{
#if defined(__SANITIZE_ADDRESS__)
    printf("skipped under AddressSanitizer (not glibc's malloc)\n");
#else
    sf_heap_init();
    test_threshold_kept();
    test_release();
#endif
    return sf_test_done();
}
