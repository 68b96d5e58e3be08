/* The client side of a Sifang service: a DEALER socket with a timeout and
 * retries that resend the same request id (Lazy Pirate: on a timeout the
 * socket is closed and reopened, since a late reply to the old socket must
 * not be taken for the new one). Services, tools and tests all use it. */
#ifndef SF_CLIENT_H
#define SF_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "sf_assert.h"
#include "sf_status.h"
#include "sf_curve.h"

typedef struct sf_client_t sf_client_t;

/* Whether the service answered. A caller tells "the service never
 * answered" (worth a retry, or another exit code) from "the service said
 * UNAVAILABLE" by this, never by the message: a service's own message may
 * say anything, another service's "no reply" included. */
typedef enum {
    SF_REPLY_ANSWERED = 0,    /* status and message are the service's */
    SF_REPLY_NONE,            /* no reply after every attempt: status UNAVAILABLE */
    SF_REPLY_UNDECODABLE,     /* a reply whose body is not the method's output: status INTERNAL */
} sf_reply_outcome_t;

/* What came back besides the body: status, message, violations. Owned by the
 * client and valid until the next call on it. */
typedef struct {
    sf_reply_outcome_t outcome;
    sf_status_t status;
    const char *message;
    size_t n_violations;
    const char *const *violation_fields;
    const char *const *violation_descriptions;
    bool replayed;            /* the service answered a repeat from its store */
    const char *request_id;
    /* A committed write's position in the service's database (0 for reads
     * and refusals). Every client of the process remembers the highest it
     * saw per endpoint and sends it with later requests (read_after_lsn):
     * a read served by a hot standby then sees the writes before it. */
    uint64_t commit_lsn;
} sf_reply_info_t;

/* A client of the service at endpoint. curve may be NULL (plain TCP); its
 * contents are copied. The ZeroMQ context is the client's own unless one is
 * given with sf_client_new_in (for clients inside a daemon). */
sf_client_t *sf_client_new(const char *endpoint, const sf_curve_client_t *curve);
sf_client_t *sf_client_new_in(void *zmq_context, const char *endpoint, const sf_curve_client_t *curve);
/* A client for a named service, from SIFANG_<SVC>_ENDPOINT and the CURVE
 * variables (see sf_curve_client_from_env); NULL with error set on a bad
 * configuration. */
sf_client_t *sf_client_for_service(const char *service, char *error, size_t error_size);
void sf_client_destroy(sf_client_t **self_p);

/* Per attempt timeout (default 3000 ms, SIFANG_CLIENT_TIMEOUT_MS) and the
 * number of attempts after the first (default 2). */
void sf_client_set_timeout(sf_client_t *self, int timeout_ms);
void sf_client_set_retries(sf_client_t *self, int retries);
/* The principal named in every request header (honoured as-is only without
 * CURVE, or when this client's key belongs to a trusted forwarder). */
void sf_client_set_principal(sf_client_t *self, const char *id, const char *role, const char *scope);
/* A person the gateway forwards, whole (grants and all): the packed
 * Principal, copied; size 0 forgets it. Replaced by the next
 * sf_client_set_principal. 0, or -1 when packed does not decode. */
int sf_client_set_person(sf_client_t *self, const uint8_t *packed, size_t size);
/* Deadline sent with each request, relative to the send (0 = none). */
void sf_client_set_deadline(sf_client_t *self, int deadline_ms);

/* Calls method with request and waits for the reply, retrying with the same
 * request id. request_id may be NULL (a fresh one is made). On SF_OK with
 * reply_descriptor set, *reply_p holds the unpacked reply: free it with
 * protobuf_c_message_free_unpacked(*reply_p, NULL). A transport failure after
 * all attempts is SF_UNAVAILABLE with info->outcome SF_REPLY_NONE (the
 * message, "no reply from <endpoint>", is for people); a reply body that
 * does not decode is SF_INTERNAL with SF_REPLY_UNDECODABLE. */
sf_status_t sf_client_call(sf_client_t *self, const char *method, const char *request_id,
                           const ProtobufCMessage *request,
                           const ProtobufCMessageDescriptor *reply_descriptor,
                           ProtobufCMessage **reply_p, sf_reply_info_t *info) SF_MUST_USE;

/* The same with a raw body (already packed); the reply body is returned as a
 * malloc'd buffer in *body_p / *body_size (free it). For tools and tests that
 * send what a codec or fuzzer produced. */
sf_status_t sf_client_call_raw(sf_client_t *self, const char *method, const char *request_id,
                               const void *body, size_t body_size,
                               void **reply_body_p, size_t *reply_size_p, sf_reply_info_t *info) SF_MUST_USE;

/* Pipelining for loaders and benchmarks: send without waiting, then collect
 * replies in any order. send returns 0 or -1; request_id must be unique and
 * is echoed in the reply. recv waits up to timeout_ms (-1 forever) and returns
 * 1 with a reply, 0 on timeout, -1 on error; the body is malloc'd. */
int sf_client_send(sf_client_t *self, const char *method, const char *request_id,
                   const ProtobufCMessage *request) SF_MUST_USE;
int sf_client_recv(sf_client_t *self, int timeout_ms, void **reply_body_p, size_t *reply_size_p,
                   sf_reply_info_t *info) SF_MUST_USE;

/* The DEALER socket, for a caller that polls it in its own loop (an
 * asynchronous follower); NULL after a failed reset. */
void *sf_client_socket(sf_client_t *self);
/* Closes the socket and opens a fresh one (Lazy Pirate, for callers of
 * send/recv who gave up waiting: a late reply must not arrive later).
 * Returns 0 or -1. */
int sf_client_reset(sf_client_t *self) SF_MUST_USE;

/* A fresh request id: 32 hex characters of randomness. */
void sf_request_id_new(char out[33]);

const char *sf_client_endpoint(const sf_client_t *self);
/* The highest commit position any client of this process has seen from
 * this client's endpoint (what its requests send as read_after_lsn). */
uint64_t sf_client_read_after(const sf_client_t *self);

#endif
