/* sifang-gateway-keys: the administrator's tool for the gateway's API keys
 * (create, list, revoke), working on the gateway's schema directly, so the
 * first administrator key can be made before anyone holds one. A running
 * gateway picks a change up within SIFANG_GATEWAY_KEYS_REFRESH_MS. */
#include "gateway_keys.h"
#include "gateway_tool.h"
#include "sf_json.h"
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: sifang-gateway-keys create --principal ID --role ROLE [--scope CODE] [--name TEXT]\n"
    "                                  [--rate PER_SECOND] [--burst N]\n"
    "       sifang-gateway-keys list [--all]\n"
    "       sifang-gateway-keys revoke KEY_ID\n"
    "\n"
    "  create   makes an API key for a department or external system and prints it\n"
    "           as JSON; \"key\" is the secret, shown this once (only its SHA-256 is\n"
    "           kept). ROLE: admin district street community department gateway\n"
    "           service viewer; CODE: the org unit it may see (default: the whole\n"
    "           district). Rate limit defaults: 50/s, burst 100.\n"
    "  list     the keys in force (--all: revoked ones too), never their secrets\n"
    "  revoke   stops a key (the gateway refuses it within a second)\n";

static const gateway_tool_t tool;

static int
usage(const char *problem)
{
    return gateway_tool_usage(&tool, problem);
}

static void
print_message(const ProtobufCMessage *message)
{
    char *text = sf_json_print_message(message, true);
    if (text) {
        printf("%s\n", text);
        free(text);
    }
}

static int
command_create(int argc, char **argv)
{
    Sifang__Gateway__V1__ApiKey key = SIFANG__GATEWAY__V1__API_KEY__INIT;
    static const struct option options[] = {
        { "principal", required_argument, NULL, 'p' }, { "role", required_argument, NULL, 'r' },
        { "scope", required_argument, NULL, 's' },     { "name", required_argument, NULL, 'n' },
        { "rate", required_argument, NULL, 'R' },      { "burst", required_argument, NULL, 'b' },
        { NULL, 0, NULL, 0 },
    };
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        char *end = NULL;
        switch (option) {
        case 'p': key.principal_id = optarg; break;
        case 'r': key.role = optarg; break;
        case 's': key.scope = optarg; break;
        case 'n': key.name = optarg; break;
        case 'R':
            errno = 0;
            key.rate_per_second = strtod(optarg, &end);
            if (errno || !end || *end)
                return usage("--rate takes a number");
            break;
        case 'b':
            errno = 0;
            key.burst = (int32_t) strtol(optarg, &end, 10);
            if (errno || !end || *end)
                return usage("--burst takes a whole number");
            break;
        default:
            return usage("unknown option");
        }
    }
    if (optind != argc)
        return usage("create takes options only");
    char field[64] = "", error[512] = "";
    if (gateway_key_check(&key, field, sizeof field, error, sizeof error) != 0) {
        fprintf(stderr, "sifang-gateway-keys: --%s: %s\n", strcmp(field, "principal_id") == 0 ? "principal"
                                                           : strcmp(field, "rate_per_second") == 0 ? "rate" : field,
                error);
        return 1;
    }
    sf_db_t *db = gateway_tool_database(&tool);
    if (!db)
        return 1;
    sf_status_t status = gateway_keys_create(db, &key, field, sizeof field, error, sizeof error);
    sf_db_destroy(&db);
    if (status != SF_OK) {
        fprintf(stderr, "sifang-gateway-keys: %s: %s%s%s\n", sf_status_name(status), field, field[0] ? ": " : "",
                error);
        return 1;
    }
    print_message(&key.base);
    fprintf(stderr, "sifang-gateway-keys: key %s made for %s (%s); its secret is shown only now\n", key.id,
            key.principal_id, key.role);
    sodium_memzero(key.key, strlen(key.key));
    free(key.key);
    free(key.id);
    return 0;
}

static int
command_list(int argc, char **argv)
{
    bool all = argc == 2 && strcmp(argv[1], "--all") == 0;
    if (argc > 2 || (argc == 2 && !all))
        return usage("list takes only --all");
    sf_db_t *db = gateway_tool_database(&tool);
    if (!db)
        return 1;
    Sifang__Gateway__V1__KeyListReply reply;
    char error[512];
    sf_status_t status = gateway_keys_list(db, all, &reply, error, sizeof error);
    sf_db_destroy(&db);
    if (status != SF_OK) {
        fprintf(stderr, "sifang-gateway-keys: %s: %s\n", sf_status_name(status), error);
        return 1;
    }
    print_message(&reply.base);
    gateway_key_list_release(&reply);
    return 0;
}

static int
command_revoke(int argc, char **argv)
{
    if (argc != 2)
        return usage("revoke takes one key id");
    sf_db_t *db = gateway_tool_database(&tool);
    if (!db)
        return 1;
    Sifang__Gateway__V1__ApiKey key;
    char error[512];
    sf_status_t status = gateway_keys_revoke(db, argv[1], &key, error, sizeof error);
    sf_db_destroy(&db);
    if (status != SF_OK) {
        fprintf(stderr, "sifang-gateway-keys: %s: %s\n", sf_status_name(status), error);
        return 1;
    }
    print_message(&key.base);
    gateway_key_release(&key);
    return 0;
}

static const gateway_tool_command_t commands[] = {
    { "create", command_create },
    { "list", command_list },
    { "revoke", command_revoke },
    { NULL, NULL },
};

static const gateway_tool_t tool = { "sifang-gateway-keys", usage_text, commands };

int
main(int argc, char **argv)
{
    return gateway_tool_main(&tool, argc, argv);
}
