/* A service's method table: finding the entry and rpc for a request's
 * method name, and the check at start that the table matches the service's
 * descriptor. */
#include "sf_server_private.h"
#include <stdio.h>
#include <string.h>

const sf_method_t *
sf_methods_find(const sf_service_t *service, const char *name, const ProtobufCMethodDescriptor **descriptor)
{
    const ProtobufCServiceDescriptor *rpcs = service->descriptor;
    const sf_method_t *table = service->methods;
    if (strncmp(name, "Sys.", 4) == 0) {
        rpcs = &sifang__v1__sys__descriptor;
        table = sf_sys_methods;
        name += 4;
    }
    /* A service with no rpcs of its own (a pure follower) has no descriptor. */
    *descriptor = rpcs ? protobuf_c_service_descriptor_get_method_by_name(rpcs, name) : NULL;
    if (!*descriptor)
        return NULL;
    for (const sf_method_t *method = table; method && method->name; method++)
        if (strcmp(method->name, name) == 0)
            return method;
    return NULL;
}

static bool
check_entry(const char *service, const ProtobufCServiceDescriptor *rpcs, const sf_method_t *table,
            const sf_method_t *method, char *error, size_t error_size)
{
    if (!rpcs || !protobuf_c_service_descriptor_get_method_by_name(rpcs, method->name)) {
        snprintf(error, error_size, "%s's method table: \"%s\" is not an rpc of %s", service, method->name,
                 rpcs ? rpcs->name : "the service (it has no descriptor)");
        return false;
    }
    if (!method->handler) {
        snprintf(error, error_size, "%s's method table: %s has no handler", service, method->name);
        return false;
    }
    if (method->batch_handler && method->kind != SF_METHOD_WRITE) {
        snprintf(error, error_size, "%s's method table: %s has a batch handler but is not a write method",
                 service, method->name);
        return false;
    }
    for (const sf_method_t *earlier = table; earlier != method; earlier++)
        if (strcmp(earlier->name, method->name) == 0) {
            snprintf(error, error_size, "%s's method table: %s is listed twice", service, method->name);
            return false;
        }
    return true;
}

/* The table is the service's contract with its proto: a method left out
 * would answer UNIMPLEMENTED for an rpc the service claims, and an entry
 * the proto lacks could never be called. Caught at start, not by a client. */
bool
sf_methods_check(const sf_service_t *service, char *error, size_t error_size)
{
    const ProtobufCServiceDescriptor *rpcs = service->descriptor;
    const sf_method_t *table = service->methods;
    for (const sf_method_t *method = table; method && method->name; method++)
        if (!check_entry(service->service, rpcs, table, method, error, error_size))
            return false;
    for (unsigned i = 0; rpcs && i < rpcs->n_methods; i++) {
        const char *name = rpcs->methods[i].name;
        const sf_method_t *method = table;
        while (method && method->name && strcmp(method->name, name) != 0)
            method++;
        if (!method || !method->name) {
            snprintf(error, error_size, "%s's method table: rpc %s of %s has no entry", service->service,
                     name, rpcs->name);
            return false;
        }
    }
    return true;
}
