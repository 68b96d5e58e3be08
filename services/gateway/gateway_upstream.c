/* Pools of service clients shared by the HTTP threads. */
#include "gateway_upstream.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sf_curve.h"
#include "sf_log.h"
#include "sf_registry.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define MAX_SERVICES GATEWAY_UPSTREAM_MAX
/* Clients kept idle per service; more are made while more requests run at
 * once, and closed when given back to a full pool. */
#define MAX_IDLE 128
/* How long a service that did not answer is skipped. */
#define SKIP_MS 1000

typedef struct {
    char name[96];                  /* the instance: "intake", "intake@civil-affairs" */
    char service[32];               /* its service: "intake" */
    char *endpoint;
    sf_curve_client_t curve;
    pthread_mutex_t lock;
    sf_client_t *idle[MAX_IDLE];
    size_t n_idle;
    int64_t skip_until_ms;
    long long counts[SF_STATUS_COUNT];
} service_link_t;

struct gateway_upstream_t {
    void *context;
    int timeout_ms;
    int retries;
    service_link_t links[MAX_SERVICES];
    size_t n_links;
};

/* After the '@': lower case, digits and '-', as the daemons' SIFANG_INSTANCE. */
static bool
instance_valid(const char *name)
{
    const char *at = strchr(name, '@');
    if (!at || !at[1])
        return false;
    for (const char *p = at + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

gateway_upstream_t *
gateway_upstream_new(const char *services, int timeout_ms, int retries, char *error, size_t error_size)
{
    gateway_upstream_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    self->timeout_ms = timeout_ms;
    self->retries = retries;
    self->context = zmq_ctx_new();
    if (!self->context) {
        snprintf(error, error_size, "cannot make a ZeroMQ context");
        goto failed;
    }
    const char *at = services ? services : "";
    while (*at) {
        at += strspn(at, " ,");
        size_t length = strcspn(at, " ,");
        if (!length)
            break;
        char name[96], service[32];
        snprintf(name, sizeof name, "%.*s", (int) (length < sizeof name ? length : sizeof name - 1), at);
        at += length;
        /* "<service>" or an instance of it, "<service>@<department>" (a
         * department's own intake): its link is named after the instance. */
        size_t service_length = strcspn(name, "@");
        snprintf(service, sizeof service, "%.*s", (int) service_length, name);
        if (!sf_registry_service(service) || length >= sizeof name || (name[service_length] && !instance_valid(name))) {
            snprintf(error, error_size, "unknown service \"%s\" in the services to serve (a service, or"
                     " <service>@<department> in lower case, digits and '-')", name);
            goto failed;
        }
        if (gateway_upstream_serves(self, name))
            continue;
        if (self->n_links == MAX_SERVICES) {
            snprintf(error, error_size, "too many services");
            goto failed;
        }
        service_link_t *link = &self->links[self->n_links];
        snprintf(link->name, sizeof link->name, "%s", name);
        snprintf(link->service, sizeof link->service, "%s", service);
        /* An instance's variables: SIFANG_INTAKE_CIVIL_AFFAIRS_ENDPOINT, as
         * evaluation's sources name them; it has no default. */
        char stem[96];
        snprintf(stem, sizeof stem, "%s", name);
        stem[service_length] = name[service_length] ? '_' : '\0';
        const char *endpoint = sf_service_endpoint(stem);
        if (!endpoint) {
            char variable[160];
            snprintf(error, error_size, "no endpoint for %s: set %s", name,
                     sf_service_env_name(variable, sizeof variable, stem, "ENDPOINT"));
            goto failed;
        }
        link->endpoint = strdup(endpoint);
        if (sf_curve_client_from_env(&link->curve, stem, error, error_size) != 0)
            goto failed;
        pthread_mutex_init(&link->lock, NULL);
        self->n_links++;
    }
    return self;
failed:
    gateway_upstream_destroy(&self);
    return NULL;
}

void
gateway_upstream_destroy(gateway_upstream_t **self_p)
{
    gateway_upstream_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n_links; i++) {
        service_link_t *link = &self->links[i];
        for (size_t c = 0; c < link->n_idle; c++)
            sf_client_destroy(&link->idle[c]);
        pthread_mutex_destroy(&link->lock);
    }
    for (size_t i = 0; i < MAX_SERVICES; i++) {
        free(self->links[i].endpoint);
        memset(&self->links[i].curve, 0, sizeof self->links[i].curve);
    }
    if (self->context)
        zmq_ctx_term(self->context);
    free(self);
    *self_p = NULL;
}

static service_link_t *
find_link(const gateway_upstream_t *self, const char *service)
{
    for (size_t i = 0; i < self->n_links; i++)
        if (strcmp(self->links[i].name, service) == 0)
            return (service_link_t *) &self->links[i];
    return NULL;
}

bool gateway_upstream_serves(const gateway_upstream_t *self, const char *service) { return find_link(self, service) != NULL; }
size_t gateway_upstream_count(const gateway_upstream_t *self) { return self->n_links; }

const char *
gateway_upstream_name(const gateway_upstream_t *self, size_t index)
{
    return index < self->n_links ? self->links[index].name : NULL;
}

const char *
gateway_upstream_service_of(const gateway_upstream_t *self, const char *instance)
{
    const service_link_t *link = find_link(self, instance);
    return link ? link->service : NULL;
}

/* A client of the service for this thread's use until given back. */
static sf_client_t *
borrow(gateway_upstream_t *self, service_link_t *link)
{
    sf_client_t *client = NULL;
    pthread_mutex_lock(&link->lock);
    if (link->n_idle)
        client = link->idle[--link->n_idle];
    pthread_mutex_unlock(&link->lock);
    if (client)
        return client;
    client = sf_client_new_in(self->context, link->endpoint, &link->curve);
    if (client) {
        sf_client_set_timeout(client, self->timeout_ms);
        sf_client_set_retries(client, self->retries);
    }
    return client;
}

static void
give_back(service_link_t *link, sf_client_t *client)
{
    pthread_mutex_lock(&link->lock);
    if (link->n_idle < MAX_IDLE) {
        link->idle[link->n_idle++] = client;
        client = NULL;
    }
    pthread_mutex_unlock(&link->lock);
    sf_client_destroy(&client);
}

static void
count(service_link_t *link, sf_status_t status, bool answered)
{
    pthread_mutex_lock(&link->lock);
    link->counts[status >= 0 && status < SF_STATUS_COUNT ? status : SF_UNKNOWN]++;
    if (answered)
        link->skip_until_ms = 0;
    else
        link->skip_until_ms = sf_clock_ms() + SKIP_MS;
    pthread_mutex_unlock(&link->lock);
}

sf_status_t
gateway_upstream_call(gateway_upstream_t *self, const char *service, const char *method,
                      const char *request_id, const gateway_principal_t *principal,
                      const ProtobufCMessage *request, ProtobufCMessage **reply_p, gateway_error_t *error)
{
    *reply_p = NULL;
    service_link_t *link = find_link(self, service);
    if (!link) {
        gateway_error_set(error, SF_UNAVAILABLE, "service %s is not served by this gateway", service);
        return SF_UNAVAILABLE;
    }
    const ProtobufCMethodDescriptor *descriptor = sf_registry_method(link->service, method);
    if (!descriptor) {
        gateway_error_set(error, SF_UNIMPLEMENTED, "service %s has no method %s", service, method);
        return SF_UNIMPLEMENTED;
    }
    pthread_mutex_lock(&link->lock);
    bool skipped = sf_clock_ms() < link->skip_until_ms;
    pthread_mutex_unlock(&link->lock);
    if (skipped) {
        gateway_error_set(error, SF_UNAVAILABLE, "service %s did not answer a moment ago; retry shortly", service);
        error->retry_after_s = 1;
        return SF_UNAVAILABLE;
    }
    sf_client_t *client = borrow(self, link);
    if (!client) {
        gateway_error_set(error, SF_UNAVAILABLE, "cannot open a link to service %s", service);
        return SF_UNAVAILABLE;
    }
    /* Always set anew: the client last spoke for whoever borrowed it before. */
    sf_client_set_principal(client, principal->id, principal->role, principal->scope);
    if (principal->person_size && sf_client_set_person(client, principal->person, principal->person_size) != 0) {
        give_back(link, client);
        gateway_error_set(error, SF_INTERNAL, "a person's principal does not encode");
        return SF_INTERNAL;
    }
    sf_client_set_deadline(client, self->timeout_ms * (self->retries + 1));
    sf_reply_info_t info;
    memset(&info, 0, sizeof info);
    sf_status_t status = sf_client_call(client, method, request_id, request, descriptor->output, reply_p, &info);
    bool answered = info.outcome != SF_REPLY_NONE;
    if (status != SF_OK) {
        if (!answered) {
            gateway_error_set(error, SF_UNAVAILABLE, "service %s did not answer", service);
            error->retry_after_s = 1;
        } else {
            /* Without a message of its own, the first violation says it. */
            if (info.message && *info.message)
                gateway_error_set(error, status, "%s", info.message);
            else if (!info.n_violations)
                gateway_error_set(error, status, "%s", sf_status_name(status));
            for (size_t i = 0; i < info.n_violations; i++)
                gateway_error_violation(error, info.violation_fields[i], "%s", info.violation_descriptions[i]);
            error->status = status;
        }
    }
    give_back(link, client);
    count(link, status, answered);
    return status;
}

void
gateway_upstream_ask_all(gateway_upstream_t *self, const char *sys_method, int timeout_ms,
                         ProtobufCMessage **replies)
{
    sf_client_t *clients[MAX_SERVICES] = { NULL };
    char request_ids[MAX_SERVICES][33];
    const ProtobufCMethodDescriptor *descriptor = sf_registry_method("grid", sys_method);
    for (size_t i = 0; i < self->n_links; i++) {
        replies[i] = NULL;
        if (!descriptor)
            continue;
        clients[i] = borrow(self, &self->links[i]);
        if (!clients[i])
            continue;
        sf_client_set_principal(clients[i], "gateway", "gateway", "");
        sf_client_set_deadline(clients[i], timeout_ms);
        sf_request_id_new(request_ids[i]);
        /* Sys requests are empty messages. */
        if (sf_client_send(clients[i], sys_method, request_ids[i], NULL) != 0)
            sf_client_destroy(&clients[i]);
    }
    /* The requests are all out: waiting on each in turn against one
     * deadline waits for all of them at once. */
    int64_t until = sf_clock_ms() + timeout_ms;
    for (size_t i = 0; i < self->n_links; i++) {
        while (clients[i]) {
            int64_t left = until - sf_clock_ms();
            void *body = NULL;
            size_t size = 0;
            sf_reply_info_t info;
            int got = left > 0 ? sf_client_recv(clients[i], (int) left, &body, &size, &info) : 0;
            if (got <= 0) {
                /* A late reply would wait in this client: close it instead. */
                sf_client_destroy(&clients[i]);
                count(&self->links[i], SF_UNAVAILABLE, false);
                break;
            }
            if (strcmp(info.request_id, request_ids[i]) != 0) {
                free(body);
                continue;
            }
            if (info.status == SF_OK)
                replies[i] = protobuf_c_message_unpack(descriptor->output, NULL, size, body);
            free(body);
            count(&self->links[i], info.status, true);
            give_back(&self->links[i], clients[i]);
            clients[i] = NULL;
        }
    }
}

void
gateway_upstream_counts(gateway_upstream_t *self, size_t index, long long counts[SF_STATUS_COUNT])
{
    if (index >= self->n_links)
        return;
    service_link_t *link = &self->links[index];
    pthread_mutex_lock(&link->lock);
    memcpy(counts, link->counts, sizeof link->counts);
    pthread_mutex_unlock(&link->lock);
}
