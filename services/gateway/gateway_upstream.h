/* The gateway's links to the services: common's client (sf_client) per
 * service, endpoints and CURVE keys from the environment as
 * sf_client_for_service reads them.
 *
 * Threads: libmicrohttpd runs a thread per HTTP connection, and a ZeroMQ
 * socket must never be used by two threads at once. Each service has a pool
 * of clients; a request borrows one for its call and gives it back. Borrowing
 * and returning go through a mutex, whose full memory barrier is what ZeroMQ
 * asks for when a socket moves to another thread. So every socket is used by
 * one thread at a time, calls to a service run as concurrently as requests
 * arrive (the service's group commit gathers them), and the pool keeps as
 * many clients as were ever in use at once (a CURVE handshake per client,
 * not per request). All clients share one ZeroMQ context (one I/O thread).
 *
 * A service that just failed to answer is skipped for a moment (the call
 * fails at once with UNAVAILABLE and Retry-After) rather than letting every
 * request wait out the client's timeout and retries. */
#ifndef GATEWAY_UPSTREAM_H
#define GATEWAY_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>
#include "gateway_error.h"
#include "gateway_keys.h"
#include "sf_status.h"

typedef struct gateway_upstream_t gateway_upstream_t;

/* The services and instances of them (a department's intake) one gateway
 * reaches at most: the size of an array of replies for ask_all. */
#define GATEWAY_UPSTREAM_MAX 16

/* services: space-separated names ("grid intake ..."), each a service of
 * sf_registry or an instance of one ("intake@civil-affairs", a department's
 * own intake, found at SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT). timeout_ms per
 * attempt, retries after the first. NULL with error on a bad configuration
 * (unknown service, half-set CURVE). */
gateway_upstream_t *gateway_upstream_new(const char *services, int timeout_ms, int retries,
                                         char *error, size_t error_size);
/* Closes every client; call when no request can be running. */
void gateway_upstream_destroy(gateway_upstream_t **self_p);

/* Whether the gateway is configured to reach service (or instance). */
bool gateway_upstream_serves(const gateway_upstream_t *self, const char *service);
/* The service an instance the gateway reaches is of ("intake" for
 * "intake@civil-affairs" and for "intake"), NULL when it reaches none so
 * named. */
const char *gateway_upstream_service_of(const gateway_upstream_t *self, const char *instance);
size_t gateway_upstream_count(const gateway_upstream_t *self);
const char *gateway_upstream_name(const gateway_upstream_t *self, size_t index);

/* Calls service's method as principal (a write carries request_id; NULL = a
 * fresh one). On SF_OK *reply_p holds the reply (free with
 * protobuf_c_message_free_unpacked). Otherwise error holds the service's
 * status, message and violations, or UNAVAILABLE when it did not answer.
 * Thread-safe. */
sf_status_t gateway_upstream_call(gateway_upstream_t *self, const char *service, const char *method,
                                  const char *request_id, const gateway_principal_t *principal,
                                  const ProtobufCMessage *request, ProtobufCMessage **reply_p,
                                  gateway_error_t *error);

/* Asks every service the same Sys method (Ping, Stats) at once and waits up
 * to timeout_ms for all: replies[i] (free each) is the i-th service's, NULL
 * when it did not answer. */
void gateway_upstream_ask_all(gateway_upstream_t *self, const char *sys_method, int timeout_ms,
                              ProtobufCMessage **replies);

/* Calls made, by service and status, for /metrics: fills counts[service
 * index][status]. */
void gateway_upstream_counts(gateway_upstream_t *self, size_t index, long long counts[SF_STATUS_COUNT]);

#endif
