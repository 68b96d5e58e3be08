/* Kept replies: a read's reply remembered with the version of the data it
 * was computed from, and given again while that version holds.
 *
 * The version is read in the read's own snapshot (sf_kept_version): the
 * service's event head and the positions of the followers named. Every
 * change a service makes commits an event in its transaction (the outbox)
 * and every change a follower applies moves its cursor in its
 * transaction, so two snapshots with the same version hold the same rows
 * and a kept reply is exactly what computing it again would give. A reply
 * that depends on anything else (the clock, the asker beyond the key) must
 * name it in the key or not be kept.
 *
 * Bounded: at most the capacity given, the least recently used dropped
 * first; a newer version replaces an older one of the same key. Safe from
 * every read thread at once (one mutex, held only to copy bytes). */
#ifndef SF_KEPT_H
#define SF_KEPT_H

#include "sf_server.h"
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct sf_kept_t sf_kept_t;

sf_kept_t *sf_kept_new(size_t capacity);
void sf_kept_destroy(sf_kept_t **self_p);

/* The data's version in the call's snapshot: the event head, then each
 * follower's position of the space-separated sources ("grid intake"; ""
 * for none, NULL for every source the service follows), then, for a reply
 * that counts from today, the day in timezone (NULL: none), as the
 * snapshot's now() gives it. NULL when the statement failed (the call's
 * status says why). */
const char *sf_kept_version(sf_call_t *call, const char *sources, const char *timezone);

/* The reply kept for key at version, unpacked into the call's memory, or
 * NULL (none, another version, or it does not decode). */
ProtobufCMessage *sf_kept_get(sf_kept_t *self, sf_call_t *call, const ProtobufCMessageDescriptor *descriptor,
                              const char *key, const char *version);
/* Keeps reply (packed now) for key at version. */
void sf_kept_put(sf_kept_t *self, const char *key, const char *version, const ProtobufCMessage *reply);

/* Lookups that found a reply, and all lookups, since the start. */
void sf_kept_counts(sf_kept_t *self, unsigned long *hits, unsigned long *lookups);

#endif
