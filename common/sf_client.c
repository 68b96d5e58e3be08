/* A DEALER client with Lazy Pirate retries: same request id on every attempt,
 * a fresh socket after a timeout. */
#include "sf_client.h"
#include "sf_config.h"
#include "sf_envelope.h"
#include "sf_log.h"
#include "sifang/v1/envelope.pb-c.h"
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <zmq.h>

#define MAX_REPLY_VIOLATIONS 64
#define MAX_REQUEST_ID_LENGTH SF_ENVELOPE_MAX_REQUEST_ID

struct sf_client_t {
    void *context;
    bool own_context;
    char *endpoint;
    sf_curve_client_t curve;
    void *socket;
    int timeout_ms;
    int retries;
    int deadline_ms;
    char principal_id[64];
    char principal_role[32];
    char principal_scope[64];
    Sifang__V1__Principal *person;   /* a person the gateway forwards, or NULL */
    /* The last reply's header, kept so sf_reply_info_t can point into it. */
    Sifang__V1__ReplyHeader *last_header;
    const char *violation_fields[MAX_REPLY_VIOLATIONS];
    const char *violation_descriptions[MAX_REPLY_VIOLATIONS];
    char request_id[MAX_REQUEST_ID_LENGTH + 1];
    char message[256];
    _Atomic uint64_t *position;      /* the endpoint's, shared (position_of); NULL when the table is full */
};

/* Read-your-writes. The highest commit position (a write's commit_lsn) any
 * client in this process has seen from each endpoint, sent with every
 * request as read_after_lsn, so that a read served by a hot standby sees
 * every write this process was told of. Per process, not per client: the
 * gateway answers a person's write through one of its clients of a service
 * and their next read through another. The table only grows, by endpoint;
 * each slot's position is an atomic that only rises. */
#define POSITIONS_MAX 64
static struct {
    char *endpoint;
    _Atomic uint64_t lsn;
} positions[POSITIONS_MAX];
static int n_positions;
static pthread_mutex_t positions_lock = PTHREAD_MUTEX_INITIALIZER;

static _Atomic uint64_t *
position_of(const char *endpoint)
{
    _Atomic uint64_t *found = NULL;
    pthread_mutex_lock(&positions_lock);
    for (int i = 0; i < n_positions && !found; i++)
        if (strcmp(positions[i].endpoint, endpoint) == 0)
            found = &positions[i].lsn;
    if (!found && n_positions < POSITIONS_MAX && (positions[n_positions].endpoint = strdup(endpoint)) != NULL)
        found = &positions[n_positions++].lsn;
    pthread_mutex_unlock(&positions_lock);
    return found;
}

static void
position_raise(_Atomic uint64_t *position, uint64_t lsn)
{
    uint64_t seen = position ? atomic_load(position) : 0;
    while (position && lsn > seen && !atomic_compare_exchange_weak(position, &seen, lsn))
        ;
}

void
sf_request_id_new(char out[33])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char random[16];
    if (getrandom(random, sizeof random, 0) != (ssize_t) sizeof random) {
        /* getrandom on Linux does not fail for 16 bytes once the pool is
         * initialised; mix the clock in case it ever does. */
        int64_t now = sf_now_ms() ^ sf_clock_ms();
        memcpy(random, &now, sizeof now);
    }
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[random[i] >> 4];
        out[2 * i + 1] = hex[random[i] & 15];
    }
    out[32] = 0;
}

static int
open_socket(sf_client_t *self)
{
    self->socket = zmq_socket(self->context, ZMQ_DEALER);
    if (!self->socket)
        return -1;
    int linger = 0;
    zmq_setsockopt(self->socket, ZMQ_LINGER, &linger, sizeof linger);
    int hwm = 100000;
    zmq_setsockopt(self->socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(self->socket, ZMQ_RCVHWM, &hwm, sizeof hwm);
    /* Never block forever on a send to a peer that is not there. */
    zmq_setsockopt(self->socket, ZMQ_SNDTIMEO, &self->timeout_ms, sizeof self->timeout_ms);
    if (self->curve.enabled
        && sf_curve_client_setup(self->socket, &self->curve.keypair, self->curve.server_public_key) != 0)
        goto failed;
    if (zmq_connect(self->socket, self->endpoint) != 0)
        goto failed;
    return 0;
failed:
    zmq_close(self->socket);
    self->socket = NULL;
    return -1;
}

sf_client_t *
sf_client_new_in(void *zmq_context, const char *endpoint, const sf_curve_client_t *curve)
{
    sf_client_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->context = zmq_context;
    if (!self->context) {
        self->context = zmq_ctx_new();
        self->own_context = true;
    }
    self->endpoint = strdup(endpoint ? endpoint : "");
    self->position = self->endpoint ? position_of(self->endpoint) : NULL;
    if (curve)
        self->curve = *curve;
    sf_process_settings_t settings;   /* SIFANG_CLIENT_TIMEOUT_MS */
    sf_process_settings_read(&settings);
    self->timeout_ms = settings.client_timeout_ms;
    self->retries = 2;
    if (!self->context || !self->endpoint || open_socket(self) != 0) {
        sf_client_destroy(&self);
        return NULL;
    }
    return self;
}

sf_client_t *
sf_client_new(const char *endpoint, const sf_curve_client_t *curve)
{
    return sf_client_new_in(NULL, endpoint, curve);
}

sf_client_t *
sf_client_for_service(const char *service, char *error, size_t error_size)
{
    const char *endpoint = sf_service_endpoint(service);
    if (!endpoint) {
        char name[96];
        snprintf(error, error_size, "no endpoint for service %s: set %s", service,
                 sf_service_env_name(name, sizeof name, service, "ENDPOINT"));
        return NULL;
    }
    sf_curve_client_t curve;
    if (sf_curve_client_from_env(&curve, service, error, error_size) != 0)
        return NULL;
    sf_client_t *client = sf_client_new(endpoint, &curve);
    if (!client)
        snprintf(error, error_size, "cannot open a socket to %s", endpoint);
    return client;
}

void
sf_client_destroy(sf_client_t **self_p)
{
    sf_client_t *self = *self_p;
    if (!self)
        return;
    if (self->person)
        protobuf_c_message_free_unpacked(&self->person->base, NULL);
    if (self->socket)
        zmq_close(self->socket);
    if (self->own_context && self->context)
        zmq_ctx_term(self->context);
    if (self->last_header)
        protobuf_c_message_free_unpacked(&self->last_header->base, NULL);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

void
sf_client_set_timeout(sf_client_t *self, int timeout_ms)
{
    self->timeout_ms = timeout_ms;
    if (self->socket)
        zmq_setsockopt(self->socket, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
}

void *sf_client_socket(sf_client_t *self) { return self->socket; }

int
sf_client_reset(sf_client_t *self)
{
    if (self->socket)
        zmq_close(self->socket);
    self->socket = NULL;
    return open_socket(self);
}

void sf_client_set_retries(sf_client_t *self, int retries) { self->retries = retries < 0 ? 0 : retries; }
void sf_client_set_deadline(sf_client_t *self, int deadline_ms) { self->deadline_ms = deadline_ms; }
const char *sf_client_endpoint(const sf_client_t *self) { return self->endpoint; }

void
sf_client_set_principal(sf_client_t *self, const char *id, const char *role, const char *scope)
{
    snprintf(self->principal_id, sizeof self->principal_id, "%s", id ? id : "");
    snprintf(self->principal_role, sizeof self->principal_role, "%s", role ? role : "");
    snprintf(self->principal_scope, sizeof self->principal_scope, "%s", scope ? scope : "");
    if (self->person)
        protobuf_c_message_free_unpacked(&self->person->base, NULL);
    self->person = NULL;
}

int
sf_client_set_person(sf_client_t *self, const uint8_t *packed, size_t size)
{
    Sifang__V1__Principal *person = size ? sifang__v1__principal__unpack(NULL, size, packed) : NULL;
    if (size && !person)
        return -1;
    sf_client_set_principal(self, person ? person->id : NULL, person ? person->role : NULL,
                            person ? person->scope : NULL);
    self->person = person;
    return 0;
}

/* Sends header and body frames; 0 or -1. */
static int
send_request(sf_client_t *self, const char *method, const char *request_id, const void *body, size_t body_size)
{
    Sifang__V1__Principal principal = SIFANG__V1__PRINCIPAL__INIT;
    if (self->principal_id[0]) {
        principal.id = self->principal_id;
        principal.role = self->principal_role;
        principal.scope = self->principal_scope;
    }
    const Sifang__V1__Principal *named = self->person ? self->person : self->principal_id[0] ? &principal : NULL;
    size_t header_size = 0;
    uint8_t *header = sf_envelope_encode_request(method, request_id, named,
                                                 self->deadline_ms > 0 ? sf_now_ms() + self->deadline_ms : 0,
                                                 request_id, self->position ? atomic_load(self->position) : 0,
                                                 &header_size);
    if (!header)
        return -1;
    int rc = zmq_send(self->socket, header, header_size, ZMQ_SNDMORE) < 0
          || zmq_send(self->socket, body ? body : "", body ? body_size : 0, 0) < 0 ? -1 : 0;
    free(header);
    return rc;
}

/* Receives one reply: header into the client, body malloc'd. 1 with a reply,
 * 0 on timeout, -1 on a malformed reply or socket error. */
static int
receive_reply(sf_client_t *self, int timeout_ms, void **body_p, size_t *body_size_p, sf_reply_info_t *info)
{
    zmq_pollitem_t item = { self->socket, 0, ZMQ_POLLIN, 0 };
    int ready = zmq_poll(&item, 1, timeout_ms);
    if (ready <= 0)
        return ready < 0 && errno != EINTR ? -1 : 0;
    zmq_msg_t frames[2];
    int n_frames = 0;
    for (;;) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, self->socket, 0) < 0) {
            zmq_msg_close(&frame);
            break;
        }
        bool more = zmq_msg_more(&frame);
        if (n_frames < 2)
            frames[n_frames++] = frame;
        else
            zmq_msg_close(&frame);
        if (!more)
            break;
    }
    int rc = -1;
    if (n_frames == 2) {
        Sifang__V1__ReplyHeader *header = sifang__v1__reply_header__unpack(
            NULL, zmq_msg_size(&frames[0]), zmq_msg_data(&frames[0]));
        if (header) {
            if (self->last_header)
                protobuf_c_message_free_unpacked(&self->last_header->base, NULL);
            self->last_header = header;
            position_raise(self->position, header->commit_lsn);
            size_t size = zmq_msg_size(&frames[1]);
            void *body = malloc(size ? size : 1);
            if (body) {
                memcpy(body, zmq_msg_data(&frames[1]), size);
                *body_p = body;
                *body_size_p = size;
                rc = 1;
            }
        }
    }
    for (int i = 0; i < n_frames; i++)
        zmq_msg_close(&frames[i]);
    if (rc == 1 && info) {
        Sifang__V1__ReplyHeader *header = self->last_header;
        info->outcome = SF_REPLY_ANSWERED;
        info->status = (sf_status_t) header->status;
        info->message = header->message;
        info->replayed = header->replayed;
        info->commit_lsn = header->commit_lsn;
        info->request_id = header->request_id;
        size_t n = header->n_violations < MAX_REPLY_VIOLATIONS ? header->n_violations : MAX_REPLY_VIOLATIONS;
        for (size_t i = 0; i < n; i++) {
            self->violation_fields[i] = header->violations[i]->field;
            self->violation_descriptions[i] = header->violations[i]->description;
        }
        info->n_violations = n;
        info->violation_fields = self->violation_fields;
        info->violation_descriptions = self->violation_descriptions;
    }
    return rc;
}

static void
info_transport_failure(sf_client_t *self, sf_reply_info_t *info, const char *request_id)
{
    snprintf(self->message, sizeof self->message, "no reply from %s", self->endpoint);
    if (info) {
        memset(info, 0, sizeof *info);
        info->outcome = SF_REPLY_NONE;
        info->status = SF_UNAVAILABLE;
        info->message = self->message;
        info->request_id = request_id;
    }
}

sf_status_t
sf_client_call_raw(sf_client_t *self, const char *method, const char *request_id,
                   const void *body, size_t body_size,
                   void **reply_body_p, size_t *reply_size_p, sf_reply_info_t *info)
{
    if (reply_body_p)
        *reply_body_p = NULL;
    if (reply_size_p)
        *reply_size_p = 0;
    if (request_id)
        snprintf(self->request_id, sizeof self->request_id, "%s", request_id);
    else
        sf_request_id_new(self->request_id);
    for (int attempt = 0; attempt <= self->retries; attempt++) {
        if (!self->socket && open_socket(self) != 0)
            break;
        if (send_request(self, method, self->request_id, body, body_size) == 0) {
            int64_t until = sf_clock_ms() + self->timeout_ms;
            for (;;) {
                int64_t left = until - sf_clock_ms();
                if (left <= 0)
                    break;
                void *reply_body = NULL;
                size_t reply_size = 0;
                sf_reply_info_t local;
                sf_reply_info_t *use = info ? info : &local;
                int got = receive_reply(self, (int) left, &reply_body, &reply_size, use);
                if (got <= 0)
                    break;
                /* A late reply to an earlier pipelined send: not ours. */
                if (strcmp(use->request_id, self->request_id) != 0) {
                    free(reply_body);
                    continue;
                }
                if (reply_body_p) {
                    *reply_body_p = reply_body;
                    *reply_size_p = reply_size;
                } else
                    free(reply_body);
                return use->status;
            }
        }
        /* Lazy Pirate: the old socket may still deliver a stale reply, so it
         * goes, and the retry carries the same request id. */
        zmq_close(self->socket);
        self->socket = NULL;
        sf_debug("no reply; retrying", "endpoint", self->endpoint, "method", method,
                 "request_id", self->request_id);
    }
    info_transport_failure(self, info, self->request_id);
    return SF_UNAVAILABLE;
}

sf_status_t
sf_client_call(sf_client_t *self, const char *method, const char *request_id,
               const ProtobufCMessage *request,
               const ProtobufCMessageDescriptor *reply_descriptor,
               ProtobufCMessage **reply_p, sf_reply_info_t *info)
{
    if (reply_p)
        *reply_p = NULL;
    size_t size = request ? protobuf_c_message_get_packed_size(request) : 0;
    uint8_t *body = malloc(size ? size : 1);
    if (!body)
        return SF_RESOURCE_EXHAUSTED;
    if (request)
        protobuf_c_message_pack(request, body);
    void *reply_body = NULL;
    size_t reply_size = 0;
    sf_reply_info_t local;
    sf_reply_info_t *use = info ? info : &local;
    sf_status_t status = sf_client_call_raw(self, method, request_id, body, size, &reply_body, &reply_size, use);
    free(body);
    if (status == SF_OK && reply_descriptor && reply_p) {
        *reply_p = protobuf_c_message_unpack(reply_descriptor, NULL, reply_size, reply_body);
        if (!*reply_p) {
            snprintf(self->message, sizeof self->message, "reply does not decode as %s", reply_descriptor->name);
            use->outcome = SF_REPLY_UNDECODABLE;
            use->status = status = SF_INTERNAL;
            use->message = self->message;
        }
    }
    free(reply_body);
    return status;
}

int
sf_client_send(sf_client_t *self, const char *method, const char *request_id, const ProtobufCMessage *request)
{
    if (!self->socket && open_socket(self) != 0)
        return -1;
    size_t size = request ? protobuf_c_message_get_packed_size(request) : 0;
    uint8_t stack_buffer[4096];
    uint8_t *body = size <= sizeof stack_buffer ? stack_buffer : malloc(size);
    if (!body)
        return -1;
    if (request)
        protobuf_c_message_pack(request, body);
    int rc = send_request(self, method, request_id, body, size);
    if (body != stack_buffer)
        free(body);
    return rc;
}

int
sf_client_recv(sf_client_t *self, int timeout_ms, void **reply_body_p, size_t *reply_size_p,
               sf_reply_info_t *info)
{
    if (!self->socket)
        return -1;
    *reply_body_p = NULL;
    *reply_size_p = 0;
    sf_reply_info_t local;
    return receive_reply(self, timeout_ms, reply_body_p, reply_size_p, info ? info : &local);
}

uint64_t
sf_client_read_after(const sf_client_t *self)
{
    return self->position ? atomic_load(self->position) : 0;
}
