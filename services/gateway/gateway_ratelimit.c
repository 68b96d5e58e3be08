/* Token buckets per key and per anonymous client address. */
#include "gateway_ratelimit.h"
#include <math.h>
#include <string.h>

int64_t
gateway_bucket_take(gateway_bucket_t *bucket, double rate, double burst, int64_t now_ms)
{
    if (burst < 1)
        burst = 1;
    if (bucket->updated_ms == 0 || now_ms < bucket->updated_ms)
        bucket->tokens = burst;
    else
        bucket->tokens = fmin(burst, bucket->tokens + rate * (double) (now_ms - bucket->updated_ms) / 1000.0);
    bucket->updated_ms = now_ms;
    if (bucket->tokens >= 1.0) {
        bucket->tokens -= 1.0;
        return 0;
    }
    if (rate <= 0)
        return 3600 * 1000;
    int64_t wait = (int64_t) ceil((1.0 - bucket->tokens) * 1000.0 / rate);
    return wait < 1 ? 1 : wait;
}

int
gateway_retry_after_s(int64_t wait_ms)
{
    int64_t seconds = (wait_ms + 999) / 1000;
    return seconds < 1 ? 1 : (int) seconds;
}

void
gateway_address_limits_init(gateway_address_limits_t *self, double rate, double burst)
{
    memset(self, 0, sizeof *self);
    pthread_mutex_init(&self->lock, NULL);
    self->rate = rate;
    self->burst = burst;
}

void
gateway_address_limits_release(gateway_address_limits_t *self)
{
    pthread_mutex_destroy(&self->lock);
}

/* FNV-1a: spreads addresses over the table; 0 is kept for "empty". */
static uint64_t
address_hash(const char *address)
{
    uint64_t hash = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *) address; *p; p++)
        hash = (hash ^ *p) * 1099511628211ull;
    return hash ? hash : 1;
}

int64_t
gateway_address_limits_take(gateway_address_limits_t *self, const char *address, int64_t now_ms)
{
    uint64_t hash = address_hash(address ? address : "");
    size_t slot = (size_t) (hash % GATEWAY_ADDRESS_BUCKETS);
    pthread_mutex_lock(&self->lock);
    if (self->keys[slot] != hash) {
        /* A new address takes the slot over with a full bucket. */
        self->keys[slot] = hash;
        self->buckets[slot].updated_ms = 0;
    }
    int64_t wait = gateway_bucket_take(&self->buckets[slot], self->rate, self->burst, now_ms);
    pthread_mutex_unlock(&self->lock);
    return wait;
}
