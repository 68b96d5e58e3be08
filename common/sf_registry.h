/* The suite's services by name and their methods, so that generic tools (the
 * sifang CLI, the gateway, the loaders) can call any method knowing only its
 * name: "Sys.*" methods are the ones every service answers, the rest are the
 * service's own rpcs. */
#ifndef SF_REGISTRY_H
#define SF_REGISTRY_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

/* The domain descriptor of a service ("grid"), or NULL when unknown. */
const ProtobufCServiceDescriptor *sf_registry_service(const char *service);

/* The method of a service: "ZoneGet" or "Sys.Stats". NULL when unknown. */
const ProtobufCMethodDescriptor *sf_registry_method(const char *service, const char *method);

/* The methods every service answers (Sys.Ping, Sys.Stats, Sys.EventsFetch). */
const ProtobufCServiceDescriptor *sf_registry_sys(void);

/* Service names, NULL-terminated. */
extern const char *const sf_registry_names[];

/* A message descriptor by its full protobuf name ("sifang.v1.Zone"), for
 * decoding event payloads; NULL when unknown. */
const ProtobufCMessageDescriptor *sf_registry_message(const char *full_name);

#endif
