/* sifang: the command-line client that calls any method of any Sifang service
 * with JSON in and out, lists a service's methods and describes what a method
 * takes. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "sf_client.h"
#include "sf_config.h"
#include "sf_json.h"
#include "sf_registry.h"
#include "sf_status.h"
#include "sf_text.h"

/* Exit codes: scripts tell a refusal from a mistake from an outage. */
enum {
    EXIT_OK = 0,
    EXIT_STATUS = 1,      /* the service answered with an error status */
    EXIT_USAGE = 2,       /* bad arguments, input or configuration: nothing sent */
    EXIT_TRANSPORT = 3,   /* no reply, or a reply that does not decode */
};

/* Requests larger than this are refused before reading further. */
#define MAX_INPUT_BYTES (64u << 20)

static const char usage_text[] =
    "usage: sifang [options] call SERVICE METHOD [JSON | -]\n"
    "       sifang [options] methods [SERVICE]\n"
    "       sifang [options] describe SERVICE METHOD | MESSAGE\n"
    "\n"
    "  call       sends JSON (the argument, or stdin when it is - or absent; empty\n"
    "             input is {}) as METHOD's input message and prints the reply as\n"
    "             JSON on stdout. METHOD is a service rpc (ZoneGet) or one every\n"
    "             service answers (Sys.Ping, Sys.Stats, Sys.EventsFetch).\n"
    "  methods    lists SERVICE's methods with their input and reply messages\n"
    "             (without SERVICE: the services known).\n"
    "  describe   prints the fields (name, type, label) of METHOD's input message,\n"
    "             or of a message by name (GeoPoint, sifang.v1.GeoPoint).\n"
    "\n"
    "options:\n"
    "  --pretty                    indent JSON output\n"
    "  --timeout MS                wait MS per attempt (two retries, same request id)\n"
    "  --principal ID:ROLE[:SCOPE] act as this principal (honoured without CURVE, or\n"
    "                              for a trusted forwarder's key)\n"
    "  --request-id ID             the request id, so a retry of a write is safe\n"
    "  --help                      this text\n"
    "\n"
    "exit status: 0 OK (reply on stdout); 1 the service answered an error (a JSON\n"
    "object {status, message, violations} on stderr); 2 usage or input error;\n"
    "3 no reply (transport failure).\n"
    "\n"
    "example: sifang call grid ZoneGet '{\"code\":\"37020500100101\"}'";

typedef struct {
    bool pretty;
    int timeout_ms;              /* 0 = the client's default */
    const char *request_id;
    char principal_id[64];
    char principal_role[32];
    char principal_scope[64];
} cli_options_t;

/* --- output ------------------------------------------------------------- */

static void
print_json(FILE *out, cJSON *json, bool pretty)
{
    char *text = pretty ? cJSON_Print(json) : cJSON_PrintUnformatted(json);
    if (text) {
        fprintf(out, "%s\n", text);
        free(text);
    }
}

/* The error object scripts parse: status, message and field violations. */
static void
print_error(bool pretty, const char *status, const char *message, size_t n_violations,
            const char *const *fields, const char *const *descriptions)
{
    cJSON *error = cJSON_CreateObject();
    cJSON_AddStringToObject(error, "status", status);
    cJSON_AddStringToObject(error, "message", message ? message : "");
    cJSON *violations = cJSON_AddArrayToObject(error, "violations");
    for (size_t i = 0; i < n_violations; i++) {
        cJSON *violation = cJSON_CreateObject();
        cJSON_AddStringToObject(violation, "field", fields[i] ? fields[i] : "");
        cJSON_AddStringToObject(violation, "description", descriptions[i] ? descriptions[i] : "");
        cJSON_AddItemToArray(violations, violation);
    }
    print_json(stderr, error, pretty);
    cJSON_Delete(error);
}

static int
usage_error(const char *format, const char *argument)
{
    fprintf(stderr, "sifang: ");
    fprintf(stderr, format, argument);
    fprintf(stderr, "\n(sifang --help for usage)\n");
    return EXIT_USAGE;
}

/* --- input -------------------------------------------------------------- */

/* All of stdin, NUL-terminated; NULL when unreadable or too large. */
static char *
read_stdin(size_t *length_p)
{
    size_t size = 4096, length = 0;
    char *text = malloc(size);
    while (text) {
        if (length + 1 == size) {
            if (size >= MAX_INPUT_BYTES) {
                free(text);
                errno = EFBIG;
                return NULL;
            }
            char *bigger = realloc(text, size * 2);
            if (!bigger)
                break;
            text = bigger;
            size *= 2;
        }
        size_t got = fread(text + length, 1, size - length - 1, stdin);
        length += got;
        if (got == 0) {
            if (ferror(stdin))
                break;
            text[length] = '\0';
            *length_p = length;
            return text;
        }
    }
    free(text);
    return NULL;
}

static bool
blank(const char *text)
{
    for (; *text; text++)
        if (!strchr(" \t\r\n", *text))
            return false;
    return true;
}

static int
parse_principal(const char *text, cli_options_t *options)
{
    const char *colon = strchr(text, ':');
    if (!colon || colon == text)
        return -1;
    const char *role = colon + 1;
    const char *second = strchr(role, ':');
    size_t id_length = (size_t) (colon - text);
    size_t role_length = second ? (size_t) (second - role) : strlen(role);
    const char *scope = second ? second + 1 : "";
    if (role_length == 0 || id_length >= sizeof options->principal_id
        || role_length >= sizeof options->principal_role
        || strlen(scope) >= sizeof options->principal_scope)
        return -1;
    snprintf(options->principal_id, sizeof options->principal_id, "%.*s", (int) id_length, text);
    snprintf(options->principal_role, sizeof options->principal_role, "%.*s", (int) role_length, role);
    snprintf(options->principal_scope, sizeof options->principal_scope, "%s", scope);
    return 0;
}

/* --- commands ----------------------------------------------------------- */

static int
command_call(const cli_options_t *options, const char *service, const char *method_name,
             const char *argument)
{
    if (!sf_registry_service(service))
        return usage_error("unknown service \"%s\" (sifang methods lists them)", service);
    const ProtobufCMethodDescriptor *method = sf_registry_method(service, method_name);
    if (!method)
        return usage_error("unknown method \"%s\" (sifang methods SERVICE lists them)", method_name);

    char *owned = NULL;
    const char *text = argument;
    size_t length = argument ? strlen(argument) : 0;
    if (!argument || strcmp(argument, "-") == 0) {
        owned = read_stdin(&length);
        if (!owned) {
            fprintf(stderr, "sifang: cannot read the request from stdin: %s\n", strerror(errno));
            return EXIT_USAGE;
        }
        text = owned;
    }
    if (blank(text)) {
        text = "{}";
        length = 2;
    }
    char field[256] = "", reason[512] = "";
    ProtobufCMessage *request = sf_json_parse_message(method->input, text, length, field, sizeof field,
                                                      reason, sizeof reason);
    free(owned);
    if (!request) {
        char message[1024];
        sf_text_format(message, sizeof message, "the request is not a valid %s: %s%s%s",
                       method->input->name, field[0] ? field : "", field[0] ? ": " : "", reason);
        const char *fields[1] = { field };
        const char *reasons[1] = { reason };
        print_error(options->pretty, sf_status_name(SF_INVALID_ARGUMENT), message,
                    field[0] ? 1 : 0, fields, reasons);
        return EXIT_USAGE;
    }

    int rc = EXIT_TRANSPORT;
    char error[512] = "";
    sf_client_t *client = sf_client_for_service(service, error, sizeof error);
    if (!client) {
        fprintf(stderr, "sifang: %s\n", error);
        protobuf_c_message_free_unpacked(request, NULL);
        return EXIT_USAGE;
    }
    if (options->timeout_ms > 0)
        sf_client_set_timeout(client, options->timeout_ms);
    if (options->principal_id[0])
        sf_client_set_principal(client, options->principal_id, options->principal_role,
                                options->principal_scope);

    ProtobufCMessage *reply = NULL;
    sf_reply_info_t info;
    memset(&info, 0, sizeof info);
    sf_status_t status = sf_client_call(client, method_name, options->request_id, request,
                                        method->output, &reply, &info);
    if (status == SF_OK) {
        cJSON *json = sf_json_from_message(reply);
        if (json) {
            print_json(stdout, json, options->pretty);
            cJSON_Delete(json);
            rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_TRANSPORT;
        } else
            fprintf(stderr, "sifang: out of memory printing the reply\n");
    } else {
        /* No reply after every attempt, or a reply that does not decode:
         * the service said nothing we can read, whatever the message. */
        bool no_reply = info.outcome != SF_REPLY_ANSWERED;
        print_error(options->pretty, sf_status_name((int) status), info.message, info.n_violations,
                    info.violation_fields, info.violation_descriptions);
        rc = no_reply ? EXIT_TRANSPORT : EXIT_STATUS;
    }
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    protobuf_c_message_free_unpacked(request, NULL);
    sf_client_destroy(&client);
    return rc;
}

static void
list_methods(const char *prefix, const ProtobufCServiceDescriptor *service)
{
    for (unsigned i = 0; i < service->n_methods; i++) {
        const ProtobufCMethodDescriptor *method = &service->methods[i];
        char name[96];
        snprintf(name, sizeof name, "%s%s", prefix, method->name);
        printf("%-24s %s -> %s\n", name, method->input->name, method->output->name);
    }
}

static int
command_methods(const char *service)
{
    if (!service) {
        for (int i = 0; sf_registry_names[i]; i++)
            printf("%-12s %s\n", sf_registry_names[i], sf_registry_service(sf_registry_names[i])->name);
        return EXIT_OK;
    }
    const ProtobufCServiceDescriptor *descriptor = sf_registry_service(service);
    if (!descriptor)
        return usage_error("unknown service \"%s\" (sifang methods lists them)", service);
    list_methods("", descriptor);
    list_methods("Sys.", sf_registry_sys());
    return EXIT_OK;
}

static const char *
type_name(const ProtobufCFieldDescriptor *field, char *buf, size_t size)
{
    static const char *const scalars[] = {
        [PROTOBUF_C_TYPE_INT32] = "int32",     [PROTOBUF_C_TYPE_SINT32] = "sint32",
        [PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
        [PROTOBUF_C_TYPE_SINT64] = "sint64",   [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
        [PROTOBUF_C_TYPE_UINT32] = "uint32",   [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
        [PROTOBUF_C_TYPE_UINT64] = "uint64",   [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
        [PROTOBUF_C_TYPE_FLOAT] = "float",     [PROTOBUF_C_TYPE_DOUBLE] = "double",
        [PROTOBUF_C_TYPE_BOOL] = "bool",       [PROTOBUF_C_TYPE_ENUM] = "enum",
        [PROTOBUF_C_TYPE_STRING] = "string",   [PROTOBUF_C_TYPE_BYTES] = "bytes",
        [PROTOBUF_C_TYPE_MESSAGE] = "message",
    };
    if (field->type == PROTOBUF_C_TYPE_ENUM)
        snprintf(buf, size, "enum %s", ((const ProtobufCEnumDescriptor *) field->descriptor)->name);
    else if (field->type == PROTOBUF_C_TYPE_MESSAGE)
        snprintf(buf, size, "%s", ((const ProtobufCMessageDescriptor *) field->descriptor)->name);
    else
        snprintf(buf, size, "%s", (size_t) field->type < sizeof scalars / sizeof scalars[0]
                                      && scalars[field->type] ? scalars[field->type] : "?");
    return buf;
}

static const char *
label_name(const ProtobufCFieldDescriptor *field)
{
    switch (field->label) {
    case PROTOBUF_C_LABEL_REQUIRED: return "required";
    case PROTOBUF_C_LABEL_OPTIONAL: return "optional";
    case PROTOBUF_C_LABEL_REPEATED: return "repeated";
    default: return "singular";
    }
}

#define DESCRIBE_MAX_DEPTH 6

/* Prints a message's fields, nested messages indented below their field;
 * a message already being printed further up is named, not expanded. */
static void
describe_message(const ProtobufCMessageDescriptor *message, int depth,
                 const ProtobufCMessageDescriptor **path)
{
    path[depth] = message;
    for (unsigned i = 0; i < message->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &message->fields[i];
        char type[160];
        int indent = 2 * depth + 2;
        printf("%*s%-*s %-40s %s\n", indent, "", 26 - indent > 8 ? 26 - indent : 8, field->name,
               type_name(field, type, sizeof type), label_name(field));
        if (field->type == PROTOBUF_C_TYPE_ENUM) {
            const ProtobufCEnumDescriptor *kind = field->descriptor;
            printf("%*s  values:", indent, "");
            for (unsigned v = 0; v < kind->n_values; v++)
                printf("%s %s", v ? "," : "", kind->values[v].name);
            printf("\n");
        } else if (field->type == PROTOBUF_C_TYPE_MESSAGE && depth + 1 < DESCRIBE_MAX_DEPTH) {
            const ProtobufCMessageDescriptor *nested = field->descriptor;
            bool recursive = false;
            for (int d = 0; d <= depth; d++)
                recursive = recursive || path[d] == nested;
            if (!recursive)
                describe_message(nested, depth + 1, path);
        }
    }
}

/* A message by full or short name among those a message reaches through
 * its fields (sf_registry_message knows only the rpcs' own messages). */
static const ProtobufCMessageDescriptor *
find_nested(const ProtobufCMessageDescriptor *message, const char *name, int depth)
{
    if (strcmp(message->name, name) == 0 || strcmp(message->short_name, name) == 0)
        return message;
    if (depth >= DESCRIBE_MAX_DEPTH)
        return NULL;
    for (unsigned i = 0; i < message->n_fields; i++)
        if (message->fields[i].type == PROTOBUF_C_TYPE_MESSAGE) {
            const ProtobufCMessageDescriptor *found =
                find_nested(message->fields[i].descriptor, name, depth + 1);
            if (found)
                return found;
        }
    return NULL;
}

static const ProtobufCMessageDescriptor *
find_message(const char *service, const char *name)
{
    const ProtobufCServiceDescriptor *services[2] = { sf_registry_service(service), sf_registry_sys() };
    for (int s = 0; s < 2; s++)
        for (unsigned m = 0; services[s] && m < services[s]->n_methods; m++) {
            const ProtobufCMethodDescriptor *method = &services[s]->methods[m];
            const ProtobufCMessageDescriptor *found = find_nested(method->input, name, 0);
            if (!found)
                found = find_nested(method->output, name, 0);
            if (found)
                return found;
        }
    return NULL;
}

static int
command_describe(const char *service, const char *name)
{
    if (!sf_registry_service(service))
        return usage_error("unknown service \"%s\" (sifang methods lists them)", service);
    const ProtobufCMessageDescriptor *path[DESCRIBE_MAX_DEPTH];
    const ProtobufCMethodDescriptor *method = sf_registry_method(service, name);
    if (method) {
        printf("%s %s\ninput %s, reply %s\n\n", service, name, method->input->name, method->output->name);
        printf("  %-24s %-40s %s\n", "field", "type", "label");
        describe_message(method->input, 0, path);
        return EXIT_OK;
    }
    const ProtobufCMessageDescriptor *message = find_message(service, name);
    if (!message)
        return usage_error("\"%s\" is neither a method nor a message of the service", name);
    printf("%s\n\n  %-24s %-40s %s\n", message->name, "field", "type", "label");
    describe_message(message, 0, path);
    return EXIT_OK;
}

/* --help: the usage and every variable the client reads. */
static void
print_help(void)
{
    enum { MAX_SETTINGS = 32 };
    static char names[MAX_SETTINGS][96];
    static char endpoints[MAX_SETTINGS][96];
    sf_setting_t settings[MAX_SETTINGS + 4];
    size_t n = 0;
    for (int i = 0; sf_registry_names[i] && n + 2 < MAX_SETTINGS; i++) {
        const char *service = sf_registry_names[i];
        sf_service_env_name(names[n], sizeof names[n], service, "ENDPOINT");
        snprintf(endpoints[n], sizeof endpoints[n], "%s", sf_default_endpoint(service)
                 ? sf_default_endpoint(service) : "");
        settings[n] = (sf_setting_t) { names[n], endpoints[n], "where the service answers requests" };
        n++;
        sf_service_env_name(names[n], sizeof names[n], service, "PUBLIC_KEY_FILE");
        settings[n] = (sf_setting_t) { names[n], NULL, "the service's CURVE public key (enables CURVE)" };
        n++;
    }
    settings[n++] = (sf_setting_t) { "SIFANG_CURVE_CLIENT_KEY_FILE", NULL,
                                     "this client's CURVE keypair (with CURVE)" };
    settings[n++] = (sf_setting_t) { "SIFANG_CLIENT_TIMEOUT_MS", "3000",
                                     "wait per attempt when --timeout is not given" };
    settings[n++] = (sf_setting_t) { "SIFANG_LOG_LEVEL", "info", "debug shows the client's retries" };
    settings[n] = (sf_setting_t) { NULL, NULL, NULL };
    sf_config_help(stdout, usage_text, settings);
}

/* Applies one option (value NULL for flags). Returns -1 after printing a
 * usage error, 1 when the program should stop with success (--help). */
static int
apply_option(cli_options_t *options, const char *name, const char *value)
{
    if (strcmp(name, "pretty") == 0)
        options->pretty = true;
    else if (strcmp(name, "help") == 0) {
        print_help();
        return 1;
    } else if (strcmp(name, "timeout") == 0) {
        char *end;
        long ms = strtol(value, &end, 10);
        if (!*value || *end || ms <= 0 || ms > 3600000) {
            usage_error("--timeout takes milliseconds (1..3600000), not \"%s\"", value);
            return -1;
        }
        options->timeout_ms = (int) ms;
    } else if (strcmp(name, "principal") == 0) {
        if (parse_principal(value, options) != 0) {
            usage_error("--principal takes ID:ROLE[:SCOPE], not \"%s\"", value);
            return -1;
        }
    } else if (strcmp(name, "request-id") == 0) {
        if (!*value || strlen(value) > 128) {
            usage_error("--request-id takes 1 to 128 characters, not \"%s\"", value);
            return -1;
        }
        options->request_id = value;
    }
    return 0;
}

static bool
option_takes_value(const char *name)
{
    return strcmp(name, "timeout") == 0 || strcmp(name, "principal") == 0
        || strcmp(name, "request-id") == 0;
}

static bool
option_known(const char *name)
{
    return option_takes_value(name) || strcmp(name, "pretty") == 0 || strcmp(name, "help") == 0;
}

int
main(int argc, char **argv)
{
    cli_options_t options;
    memset(&options, 0, sizeof options);
    /* Options go anywhere (before or after the command); "--" ends them, and
     * "-" alone is an argument (stdin). */
    char *args[8];
    int n_args = 0;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && strncmp(arg, "--", 2) == 0) {
            char name[32];
            const char *equals = strchr(arg, '=');
            size_t length = equals ? (size_t) (equals - arg - 2) : strlen(arg + 2);
            snprintf(name, sizeof name, "%.*s", (int) (length < sizeof name ? length : 0), arg + 2);
            if (!option_known(name))
                return usage_error("unknown option %s", arg);
            const char *value = NULL;
            if (option_takes_value(name)) {
                if (equals)
                    value = equals + 1;
                else if (i + 1 < argc)
                    value = argv[++i];
                else
                    return usage_error("%s needs a value", arg);
            } else if (equals)
                return usage_error("%s takes no value", arg);
            int rc = apply_option(&options, name, value);
            if (rc != 0)
                return rc < 0 ? EXIT_USAGE : EXIT_OK;
            continue;
        }
        if (!options_done && arg[0] == '-' && arg[1] && arg[1] != '-') {
            if (strcmp(arg, "-h") == 0) {
                print_help();
                return EXIT_OK;
            }
            return usage_error("unknown option %s", arg);
        }
        if (n_args == (int) (sizeof args / sizeof args[0]))
            return usage_error("too many arguments (from \"%s\")", arg);
        args[n_args++] = arg;
    }
    if (n_args == 0) {
        fprintf(stderr, "%s\n", usage_text);
        return EXIT_USAGE;
    }
    const char *command = args[0];
    if (strcmp(command, "call") == 0) {
        if (n_args < 3 || n_args > 4)
            return usage_error("%s", "call takes SERVICE METHOD [JSON | -]");
        return command_call(&options, args[1], args[2], n_args == 4 ? args[3] : NULL);
    }
    if (strcmp(command, "methods") == 0) {
        if (n_args > 2)
            return usage_error("%s", "methods takes at most SERVICE");
        return command_methods(n_args == 2 ? args[1] : NULL);
    }
    if (strcmp(command, "describe") == 0) {
        if (n_args != 3)
            return usage_error("%s", "describe takes SERVICE METHOD | MESSAGE");
        return command_describe(args[1], args[2]);
    }
    return usage_error("unknown command \"%s\" (call, methods or describe)", command);
}
