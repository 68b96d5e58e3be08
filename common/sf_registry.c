/* The table of the suite's services, generated code's descriptors. */
#include "sf_registry.h"
#include <string.h>
#include "sifang/v1/sys.pb-c.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/intake.pb-c.h"
#include "sifang/v1/employment.pb-c.h"
#include "sifang/v1/volunteer.pb-c.h"
#include "sifang/v1/evaluation.pb-c.h"

const char *const sf_registry_names[] = { "grid", "intake", "employment", "volunteer", "evaluation", NULL };

static const struct {
    const char *name;
    const ProtobufCServiceDescriptor *descriptor;
} services[] = {
    { "grid", &sifang__v1__grid__descriptor },
    { "intake", &sifang__v1__intake__descriptor },
    { "employment", &sifang__v1__employment__descriptor },
    { "volunteer", &sifang__v1__volunteer__descriptor },
    { "evaluation", &sifang__v1__evaluation__descriptor },
    { NULL, NULL },
};

const ProtobufCServiceDescriptor *
sf_registry_sys(void)
{
    return &sifang__v1__sys__descriptor;
}

const ProtobufCServiceDescriptor *
sf_registry_service(const char *service)
{
    for (int i = 0; service && services[i].name; i++)
        if (strcmp(services[i].name, service) == 0)
            return services[i].descriptor;
    return NULL;
}

const ProtobufCMethodDescriptor *
sf_registry_method(const char *service, const char *method)
{
    if (!method)
        return NULL;
    if (strncmp(method, "Sys.", 4) == 0)
        return protobuf_c_service_descriptor_get_method_by_name(sf_registry_sys(), method + 4);
    const ProtobufCServiceDescriptor *descriptor = sf_registry_service(service);
    return descriptor ? protobuf_c_service_descriptor_get_method_by_name(descriptor, method) : NULL;
}

const ProtobufCMessageDescriptor *
sf_registry_message(const char *full_name)
{
    if (!full_name)
        return NULL;
    /* Every message a service puts in an event is an input or output of one
     * of the rpcs: search those. */
    const ProtobufCServiceDescriptor *all[16];
    size_t n = 0;
    all[n++] = sf_registry_sys();
    for (int i = 0; services[i].name && n < 16; i++)
        all[n++] = services[i].descriptor;
    for (size_t s = 0; s < n; s++)
        for (unsigned m = 0; m < all[s]->n_methods; m++) {
            const ProtobufCMethodDescriptor *method = &all[s]->methods[m];
            if (strcmp(method->input->name, full_name) == 0)
                return method->input;
            if (strcmp(method->output->name, full_name) == 0)
                return method->output;
        }
    return NULL;
}
