/* sf_client's reply outcome: a caller learns that the service never
 * answered, or answered with a body it cannot read, from info.outcome, and
 * a service's own UNAVAILABLE (whatever its message says, "no reply from"
 * another service included) stays the service's answer. A bare ROUTER in
 * a thread plays the service, answering exactly what each case needs. */
#include "sf_client.h"
#include "sf_test.h"
#include "sifang/v1/envelope.pb-c.h"
#include "sifang/v1/sys.pb-c.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

typedef struct {
    void *router;
    sf_status_t status;        /* what the reply header says */
    const char *message;
    const char *body;          /* the reply body's bytes */
    size_t body_size;
} responder_t;

/* Answers one request with the case's header and body. */
static void *
respond_once(void *arg)
{
    responder_t *self = arg;
    zmq_msg_t frames[3];
    int n = 0;
    for (;;) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, self->router, 0) < 0) {
            zmq_msg_close(&frame);
            return NULL;
        }
        bool more = zmq_msg_more(&frame);
        if (n < 3)
            frames[n++] = frame;
        else
            zmq_msg_close(&frame);
        if (!more)
            break;
    }
    if (n == 3) {
        Sifang__V1__RequestHeader *request = sifang__v1__request_header__unpack(
            NULL, zmq_msg_size(&frames[1]), zmq_msg_data(&frames[1]));
        Sifang__V1__ReplyHeader header = SIFANG__V1__REPLY_HEADER__INIT;
        header.request_id = request ? request->request_id : "";
        header.status = (Sifang__V1__StatusCode) self->status;
        header.message = (char *) self->message;
        uint8_t packed[512];
        size_t size = sifang__v1__reply_header__pack(&header, packed);
        zmq_send(self->router, zmq_msg_data(&frames[0]), zmq_msg_size(&frames[0]), ZMQ_SNDMORE);
        zmq_send(self->router, packed, size, ZMQ_SNDMORE);
        zmq_send(self->router, self->body, self->body_size, 0);
        if (request)
            sifang__v1__request_header__free_unpacked(request, NULL);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&frames[i]);
    return NULL;
}

/* Calls Sys.Ping on endpoint, answered by responder (NULL: nobody). */
static sf_status_t
ping(const char *endpoint, responder_t *responder, sf_reply_info_t *info)
{
    pthread_t thread;
    if (responder)
        pthread_create(&thread, NULL, respond_once, responder);
    sf_client_t *client = sf_client_new(endpoint, NULL);
    sf_client_set_timeout(client, responder ? 3000 : 100);
    sf_client_set_retries(client, responder ? 0 : 1);
    Sifang__V1__PingRequest request = SIFANG__V1__PING_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    sf_status_t status = sf_client_call(client, "Sys.Ping", NULL, &request.base,
                                        &sifang__v1__ping_reply__descriptor, &reply, info);
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    if (responder)
        pthread_join(thread, NULL);
    /* info points into the client, which goes: keep its message. */
    static char message[256];
    snprintf(message, sizeof message, "%s", info->message ? info->message : "(null)");
    info->message = message;
    info->request_id = NULL;
    info->violation_fields = info->violation_descriptions = NULL;
    sf_client_destroy(&client);
    return status;
}

int
main(void)
{
    char dir[256];
    if (!SF_CHECK(sf_test_tmpdir(dir, sizeof dir) == 0))
        return sf_test_done();
    char *nobody = sf_test_ipc_endpoint(dir, "nobody");
    char *endpoint = sf_test_ipc_endpoint(dir, "service");
    void *context = zmq_ctx_new();
    void *router = zmq_socket(context, ZMQ_ROUTER);
    SF_CHECK(zmq_bind(router, endpoint) == 0);
    sf_reply_info_t info;

    /* Nobody there: no reply, said as the outcome. */
    SF_CHECK_EQ_INT(ping(nobody, NULL, &info), SF_UNAVAILABLE);
    SF_CHECK_EQ_INT(info.outcome, SF_REPLY_NONE);
    SF_CHECK_EQ_INT(info.status, SF_UNAVAILABLE);
    SF_CHECK(info.message && strncmp(info.message, "no reply from ipc://", 20) == 0);
    SF_CHECK_EQ_INT(info.n_violations, 0);

    /* The service itself says UNAVAILABLE, in words that read like the
     * client's own (a service passing on a peer's silence): an answer. */
    responder_t relayed = { router, SF_UNAVAILABLE, "no reply from tcp://grid:5555", "", 0 };
    SF_CHECK_EQ_INT(ping(endpoint, &relayed, &info), SF_UNAVAILABLE);
    SF_CHECK_EQ_INT(info.outcome, SF_REPLY_ANSWERED);
    SF_CHECK_EQ_STR(info.message, "no reply from tcp://grid:5555");
    SF_CHECK_EQ_INT(info.replayed, false);

    /* A reply whose body is not a PingReply (a field 1 of wire type 7). */
    responder_t garbled = { router, SF_OK, "", "\x0f\x01", 2 };
    SF_CHECK_EQ_INT(ping(endpoint, &garbled, &info), SF_INTERNAL);
    SF_CHECK_EQ_INT(info.outcome, SF_REPLY_UNDECODABLE);
    SF_CHECK_EQ_STR(info.message, "reply does not decode as sifang.v1.PingReply");

    /* A plain success. */
    responder_t fine = { router, SF_OK, "", "", 0 };
    SF_CHECK_EQ_INT(ping(endpoint, &fine, &info), SF_OK);
    SF_CHECK_EQ_INT(info.outcome, SF_REPLY_ANSWERED);
    SF_CHECK_EQ_STR(info.message, "");

    zmq_close(router);
    zmq_ctx_term(context);
    free(nobody);
    free(endpoint);
    sf_test_rmtree(dir);
    return sf_test_done();
}
