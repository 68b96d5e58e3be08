/* Token buckets: each key (and each anonymous client address) may make
 * `rate` requests a second on average and `burst` at once; an empty bucket
 * answers 429 with Retry-After. State lives in memory: a restart refills
 * every bucket, which errs on the side of serving. */
#ifndef GATEWAY_RATELIMIT_H
#define GATEWAY_RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

typedef struct {
    double tokens;
    int64_t updated_ms;   /* 0 = never used: full */
} gateway_bucket_t;

/* Takes one token at now_ms. Returns 0 when taken, else the milliseconds
 * until a token will be there (at least 1). */
int64_t gateway_bucket_take(gateway_bucket_t *bucket, double rate, double burst, int64_t now_ms);

/* Buckets by client address for requests without a key, in a fixed table
 * (addresses that collide share a bucket: bounded memory whatever the
 * traffic). */
#define GATEWAY_ADDRESS_BUCKETS 4096
typedef struct {
    pthread_mutex_t lock;
    double rate;
    double burst;
    uint64_t keys[GATEWAY_ADDRESS_BUCKETS];
    gateway_bucket_t buckets[GATEWAY_ADDRESS_BUCKETS];
} gateway_address_limits_t;

void gateway_address_limits_init(gateway_address_limits_t *self, double rate, double burst);
void gateway_address_limits_release(gateway_address_limits_t *self);
int64_t gateway_address_limits_take(gateway_address_limits_t *self, const char *address, int64_t now_ms);

/* Seconds for a Retry-After header: the wait rounded up, at least 1. */
int gateway_retry_after_s(int64_t wait_ms);

#endif
