/* Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/):
 * request headers and bodies for the envelope; for every method of every
 * service its empty body and a body with every field filled; for every
 * gateway route a request with its path filled in, and a JSON body where the
 * route takes one. Run by hand after contracts or routes change:
 *     <build>/fuzz/fuzz-seeds fuzz/corpus
 * (the targets index methods and routes by position: new ones shift them). */
#include "gateway_routes.h"
#include "sf_envelope.h"
#include "sf_json.h"
#include "sf_registry.h"
#include "sifang/v1/sys.pb-c.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *root;
static int written;

static void
write_seed(const char *target, const char *name, const void *a, size_t a_size, const void *b, size_t b_size,
           const void *c, size_t c_size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
    FILE *file = fopen(path, "wb");
    if (!file) {
        fprintf(stderr, "fuzz-seeds: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fwrite(a, 1, a_size, file);
    if (b_size)
        fwrite(b, 1, b_size, file);
    if (c_size)
        fwrite(c, 1, c_size, file);
    fclose(file);
    written++;
}

/* A message of descriptor with every field set to something plausible, down
 * to depth 3 (allocated with malloc; freed with free_unpacked). */
static ProtobufCMessage *
filled(const ProtobufCMessageDescriptor *descriptor, int depth)
{
    ProtobufCMessage *message = calloc(1, descriptor->sizeof_message);
    descriptor->message_init(message);
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[i];
        if (field->label == PROTOBUF_C_LABEL_REPEATED || (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;   /* kept simple: singular fields only */
        void *member = (char *) message + field->offset;
        switch (field->type) {
        case PROTOBUF_C_TYPE_STRING:
            *(char **) member = strdup(strstr(field->name, "code") ? "370205001001" : "seed");
            break;
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            *(int32_t *) member = 7;
            break;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            *(int64_t *) member = 1700000000000LL;
            break;
        case PROTOBUF_C_TYPE_BOOL:
            *(protobuf_c_boolean *) member = 1;
            break;
        case PROTOBUF_C_TYPE_DOUBLE:
            *(double *) member = 36.07;
            break;
        case PROTOBUF_C_TYPE_FLOAT:
            *(float *) member = 0.5f;
            break;
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumDescriptor *e = field->descriptor;
            *(int *) member = e->n_values > 1 ? e->values[1].value : 0;
            break;
        }
        case PROTOBUF_C_TYPE_MESSAGE:
            if (depth < 3)
                *(ProtobufCMessage **) member = filled(field->descriptor, depth + 1);
            break;
        default:
            break;
        }
        if (field->quantifier_offset && field->label == PROTOBUF_C_LABEL_OPTIONAL)
            *(protobuf_c_boolean *) ((char *) message + field->quantifier_offset) = 1;
    }
    return message;
}

static uint8_t *
pack(const ProtobufCMessage *message, size_t *size)
{
    *size = protobuf_c_message_get_packed_size(message);
    uint8_t *packed = malloc(*size ? *size : 1);
    protobuf_c_message_pack(message, packed);
    return packed;
}

static void
envelope_seeds(void)
{
    Sifang__V1__Principal principal = SIFANG__V1__PRINCIPAL__INIT;
    principal.id = "dept-civil-affairs";
    principal.role = "department";
    principal.scope = "370205001";
    struct { const char *method, *request_id; Sifang__V1__Principal *principal; int64_t deadline; } headers[] = {
        { "ZoneGet", "", NULL, 0 },
        { "CaseSubmit", "0123456789abcdef0123456789abcdef", &principal, 1700000000000LL },
        { "Sys.EventsFetch", "r1", NULL, 0 },
        { "", "no-method", NULL, 0 },
        { "UnitCreate", "a-request-id-of-130-characters-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", &principal, -1 },
    };
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = 42;
    fetch.limit = 1000;
    size_t body_size;
    uint8_t *body = pack(&fetch.base, &body_size);
    for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) {
        size_t size;
        uint8_t *header = sf_envelope_encode_request(headers[i].method, headers[i].request_id, headers[i].principal,
                                                     headers[i].deadline, "trace-1", 0, &size);
        uint8_t split = size < 255 ? (uint8_t) size : 255;
        char name[64];
        snprintf(name, sizeof name, "header-%zu", i);
        write_seed("envelope", name, &split, 1, header, size, body, body_size);
        free(header);
    }
    free(body);
    /* Strings holding NUL, which the envelope refuses naming the field
     * (written by hand: C strings cannot hold one): in the request id, in
     * the method and the principal's scope; and in an event's type of a
     * fetch reply body, beside a payload (bytes) of zeros. */
    static const uint8_t nul_id[] = { 0x0a, 8, 'S', 'y', 's', '.', 'P', 'i', 'n', 'g', 0x12, 3, 'R', 0, 'A' };
    static const uint8_t nul_method_scope[] = { 0x0a, 13, 'S', 'y', 's', '.', 'P', 'i', 'n', 'g', 0, 'j', 'u', 'n', 'k',
                                                0x12, 1, 'R', 0x1a, 12, 0x0a, 1, 'x', 0x1a, 7, '3', '7', '0', '2', '0',
                                                '5', 0 };
    static const uint8_t nul_body[] = { 0x0a, 4, 'g', 'r', 'i', 'd', 0x12, 10, 0x0a, 4, 'g', 'r', 'i', 'd', 0x3a, 2, 0,
                                        0, 0x12, 7, 0x1a, 5, 'z', 'o', 0, 'n', 'e' };
    uint8_t split = sizeof nul_id;
    write_seed("envelope", "header-nul-request-id", &split, 1, nul_id, sizeof nul_id, nul_body, sizeof nul_body);
    split = sizeof nul_method_scope;
    write_seed("envelope", "header-nul-method-scope", &split, 1, nul_method_scope, sizeof nul_method_scope, nul_body,
               sizeof nul_body);
}

static void
body_seeds(void)
{
    const ProtobufCServiceDescriptor *services[16];
    size_t n_services = 0;
    for (size_t s = 0; sf_registry_names[s]; s++)
        services[n_services++] = sf_registry_service(sf_registry_names[s]);
    services[n_services++] = sf_registry_sys();
    unsigned index = 0;
    for (size_t s = 0; s < n_services; s++) {
        for (unsigned m = 0; services[s] && m < services[s]->n_methods; m++, index++) {
            const ProtobufCMethodDescriptor *method = &services[s]->methods[m];
            uint8_t selector = (uint8_t) index;
            char name[160];
            snprintf(name, sizeof name, "%s.%s-empty", services[s]->short_name, method->name);
            write_seed("bodies", name, &selector, 1, NULL, 0, NULL, 0);
            ProtobufCMessage *message = filled(method->input, 0);
            size_t size;
            uint8_t *packed = pack(message, &size);
            snprintf(name, sizeof name, "%s.%s-filled", services[s]->short_name, method->name);
            write_seed("bodies", name, &selector, 1, packed, size, NULL, 0);
            free(packed);
            protobuf_c_message_free_unpacked(message, NULL);
        }
    }
}

static void
gateway_seeds(void)
{
    for (unsigned r = 0; gateway_routes[r].method; r++) {
        const gateway_route_t *route = &gateway_routes[r];
        char path[512];
        size_t length = 0;
        for (const char *p = route->path; *p && length < sizeof path - 32;) {
            if (*p == '{') {
                const char *end = strchr(p, '}');
                length += (size_t) snprintf(path + length, sizeof path - length, "370205001001");
                p = end ? end + 1 : p + strlen(p);
            } else
                path[length++] = *p++;
        }
        path[length] = 0;
        uint8_t selector = (uint8_t) r;
        const ProtobufCMethodDescriptor *rpc = gateway_route_rpc(route);
        char *body = NULL;
        if (route->body && rpc) {
            ProtobufCMessage *message = filled(rpc->input, 0);
            body = sf_json_print_message(message, false);
            protobuf_c_message_free_unpacked(message, NULL);
        }
        char text[8192];
        snprintf(text, sizeof text, "%s\n%s\n%s", path, route->query ? "page_size=10" : "", body ? body : "");
        char name[64];
        snprintf(name, sizeof name, "route-%03u", r);
        write_seed("gateway", name, &selector, 1, text, strlen(text), NULL, 0);
        free(body);
    }
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz-seeds <corpus directory>\n");
        return 2;
    }
    root = argv[1];
    const char *targets[] = { "envelope", "bodies", "gateway" };
    for (size_t t = 0; t < 3; t++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", root, targets[t]);
        mkdir(root, 0755);
        mkdir(path, 0755);
    }
    envelope_seeds();
    body_seeds();
    gateway_seeds();
    printf("fuzz-seeds: wrote %d seeds under %s\n", written, root);
    return 0;
}
