/* sifang-gateway-accounts: the administrator's tool for personal accounts
 * (create, list, reset-password, disable, enable, unlock, roles), working on
 * the gateway's schema directly like sifang-gateway-keys, so that the first
 * administrator can be made before anyone can log in. A password is read
 * from a file or stdin, or generated and printed once; never taken on the
 * command line (it would stand in ps and the shell's history). */
#include "gateway_accounts.h"
#include "gateway_keys.h"
#include "gateway_sessions.h"
#include "gateway_tool.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: sifang-gateway-accounts create --login NAME --display-name TEXT --role ROLE [--role ROLE]...\n"
    "                                      [--staff-id ID] [--department CODE] [--instance INSTANCE]\n"
    "                                      [--password-file FILE | --password-stdin] [--if-absent]\n"
    "       sifang-gateway-accounts list\n"
    "       sifang-gateway-accounts reset-password NAME [--password-file FILE | --password-stdin]\n"
    "       sifang-gateway-accounts disable NAME\n"
    "       sifang-gateway-accounts enable NAME\n"
    "       sifang-gateway-accounts unlock NAME\n"
    "       sifang-gateway-accounts roles NAME --role ROLE [--role ROLE]...\n"
    "\n"
    "  create          makes a person's account; ROLE: " GATEWAY_PEOPLE_ROLES ";\n"
    "                  every role but administrator and privacy_officer needs --staff-id (the\n"
    "                  grid staff record), department_staff needs --department. The password is\n"
    "                  the first line of FILE or of stdin, or, without either, a generated one\n"
    "                  printed once on stdout; the person must change it at the first login.\n"
    "                  --if-absent: an existing login is left as it is (exit 0). --instance:\n"
    "                  the department's intake the person works at (intake@civil-affairs),\n"
    "                  one the gateway reaches; without it, the district's.\n"
    "  list            every account as JSON (never a password hash)\n"
    "  reset-password  a new password (as for create) that must be changed; ends the sessions\n"
    "  disable         refuses the account's logins and ends its sessions at once\n"
    "  enable, unlock  lets the account in again; unlock clears a lockout after failed logins\n"
    "  roles           replaces the account's roles\n";

static const gateway_tool_t tool;

static int
usage(const char *problem)
{
    return gateway_tool_usage(&tool, problem);
}

static int
refused(const gateway_error_t *error)
{
    fprintf(stderr, "sifang-gateway-accounts: %s", sf_status_name(error->status));
    if (error->message[0])
        fprintf(stderr, ": %s", error->message);
    for (size_t i = 0; i < error->n_violations; i++)
        fprintf(stderr, "%s %s: %s", i || error->message[0] ? ";" : ":", error->fields[i], error->descriptions[i]);
    fputc('\n', stderr);
    return 1;
}

/* The first line of file ("-" = stdin) into out. 0, or -1 said. */
static int
read_password(const char *path, char *out, size_t size)
{
    FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!file) {
        fprintf(stderr, "sifang-gateway-accounts: cannot read the password file %s\n", path);
        return -1;
    }
    bool got = fgets(out, (int) size, file) != NULL;
    if (file != stdin)
        fclose(file);
    if (!got) {
        fprintf(stderr, "sifang-gateway-accounts: no password in %s\n", strcmp(path, "-") == 0 ? "stdin" : path);
        return -1;
    }
    out[strcspn(out, "\r\n")] = 0;
    return 0;
}

typedef struct {
    const char *login;
    const char *display_name;
    const char *staff_id;
    const char *department;
    const char *instance;
    const char *password_file;
    bool if_absent;
    size_t n_roles;
    const char *roles[GATEWAY_ACCOUNT_MAX_ROLES];
} options_t;

/* Options after the command (and its NAME when it takes one). */
static int
parse_options(int argc, char **argv, options_t *options)
{
    static const struct option long_options[] = {
        { "login", required_argument, NULL, 'l' },      { "display-name", required_argument, NULL, 'd' },
        { "role", required_argument, NULL, 'r' },       { "staff-id", required_argument, NULL, 's' },
        { "department", required_argument, NULL, 'D' }, { "password-file", required_argument, NULL, 'p' },
        { "password-stdin", no_argument, NULL, 'P' },   { "if-absent", no_argument, NULL, 'a' },
        { "instance", required_argument, NULL, 'i' },   { NULL, 0, NULL, 0 },
    };
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (option) {
        case 'l': options->login = optarg; break;
        case 'd': options->display_name = optarg; break;
        case 's': options->staff_id = optarg; break;
        case 'D': options->department = optarg; break;
        case 'i': options->instance = optarg; break;
        case 'p': options->password_file = optarg; break;
        case 'P': options->password_file = "-"; break;
        case 'a': options->if_absent = true; break;
        case 'r':
            if (options->n_roles == GATEWAY_ACCOUNT_MAX_ROLES)
                return usage("too many --role");
            options->roles[options->n_roles++] = optarg;
            break;
        default:
            return usage("unknown option");
        }
    }
    if (optind < argc && !options->login)
        options->login = argv[optind++];
    if (optind != argc)
        return usage("unexpected argument");
    return 0;
}

/* The password given (file or stdin) or a generated one; 0 or -1. */
static int
take_password(const options_t *options, const char *login, char *password, size_t size, bool *generated)
{
    *generated = !options->password_file;
    if (*generated) {
        gateway_password_generate(password);
        return 0;
    }
    if (read_password(options->password_file, password, size) != 0)
        return -1;
    const char *problem = gateway_password_problem(password, login, NULL);
    if (problem) {
        fprintf(stderr, "sifang-gateway-accounts: the password %s\n", problem);
        return -1;
    }
    return 0;
}

static int
command_create(int argc, char **argv)
{
    options_t options = { 0 };
    int rc = parse_options(argc, argv, &options);
    if (rc)
        return rc;
    if (!options.login || !options.display_name || !options.n_roles)
        return usage("create needs --login, --display-name and --role");
    gateway_account_t *account = calloc(1, sizeof *account);
    if (!account)
        return 1;
    snprintf(account->login, sizeof account->login, "%s", options.login);
    snprintf(account->display_name, sizeof account->display_name, "%s", options.display_name);
    snprintf(account->staff_id, sizeof account->staff_id, "%s", options.staff_id ? options.staff_id : "");
    snprintf(account->department_code, sizeof account->department_code, "%s",
             options.department ? options.department : "");
    if (options.instance && strlen(options.instance) < sizeof account->instance)
        snprintf(account->instance, sizeof account->instance, "%s", options.instance);
    else if (options.instance)
        snprintf(account->instance, sizeof account->instance, "%s", "-");   /* too long: refused below */
    account->enabled = account->must_change_password = true;
    for (size_t i = 0; i < options.n_roles; i++)
        snprintf(account->roles[account->n_roles++].role, sizeof account->roles[0].role, "%s", options.roles[i]);
    gateway_error_t error;
    gateway_error_clear(&error);
    if (strlen(options.login) >= sizeof account->login || !gateway_account_check(account, &error)) {
        if (strlen(options.login) >= sizeof account->login)
            gateway_error_violation(&error, "login", "3 to 32 characters of a-z 0-9 . _ -");
        free(account);
        return refused(&error);
    }
    sf_db_t *db = gateway_tool_database(&tool);
    if (!db) {
        free(account);
        return 1;
    }
    gateway_account_t *existing = calloc(1, sizeof *existing);
    if (options.if_absent && existing && gateway_accounts_get(db, options.login, existing, NULL, &error) == SF_OK) {
        fprintf(stderr, "sifang-gateway-accounts: %s exists; left as it is\n", options.login);
        free(existing);
        free(account);
        sf_db_destroy(&db);
        return 0;
    }
    free(existing);
    gateway_error_clear(&error);
    char password[GATEWAY_PASSWORD_MAX_BYTES + 2], hash[GATEWAY_PASSWORD_HASH_SIZE];
    bool generated;
    rc = take_password(&options, options.login, password, sizeof password, &generated);
    if (rc == 0 && gateway_password_hash(password, hash) != 0) {
        fprintf(stderr, "sifang-gateway-accounts: cannot hash the password\n");
        rc = 1;
    }
    if (rc == 0 && gateway_accounts_create(db, account, hash, &error) != SF_OK)
        rc = refused(&error);
    if (rc == 0 && gateway_accounts_get(db, options.login, account, NULL, &error) == SF_OK) {
        cJSON *json = gateway_account_json(account);
        if (generated)
            cJSON_AddStringToObject(json, "initial_password", password);
        char *text = cJSON_Print(json);
        if (text)
            printf("%s\n", text);
        free(text);
        cJSON_Delete(json);
        fprintf(stderr, "sifang-gateway-accounts: account %s made%s\n", options.login,
                generated ? "; its initial password is shown only now" : "");
    }
    sodium_memzero(password, sizeof password);
    free(account);
    sf_db_destroy(&db);
    return rc ? 1 : 0;
}

static int
command_list(int argc, char **argv)
{
    (void) argv;
    if (argc != 1)
        return usage("list takes no arguments");
    sf_db_t *db = gateway_tool_database(&tool);
    if (!db)
        return 1;
    gateway_error_t error;
    gateway_error_clear(&error);
    cJSON *accounts = NULL;
    int rc = gateway_accounts_list(db, &accounts, &error) == SF_OK ? 0 : refused(&error);
    sf_db_destroy(&db);
    if (rc == 0) {
        char *text = cJSON_Print(accounts);
        if (text)
            printf("%s\n", text);
        free(text);
    }
    cJSON_Delete(accounts);
    return rc;
}

/* reset-password, disable, enable, unlock, roles (argv[0]): NAME and
 * options. */
static int
command_change(int argc, char **argv)
{
    const char *command = argv[0];
    options_t options = { 0 };
    int rc = parse_options(argc, argv, &options);
    if (rc)
        return rc;
    if (!options.login)
        return usage("which account? (NAME)");
    bool roles = strcmp(command, "roles") == 0;
    if (roles != (options.n_roles > 0))
        return usage(roles ? "roles needs --role" : "--role goes with create and roles");
    sf_db_t *db = gateway_tool_database(&tool);
    if (!db)
        return 1;
    gateway_error_t error;
    gateway_error_clear(&error);
    gateway_account_t *account = calloc(1, sizeof *account);
    char old_hash[GATEWAY_PASSWORD_HASH_SIZE];
    if (!account || gateway_accounts_get(db, options.login, account, old_hash, &error) != SF_OK) {
        free(account);
        sf_db_destroy(&db);
        return refused(&error);
    }
    if (strcmp(command, "reset-password") == 0) {
        char password[GATEWAY_PASSWORD_MAX_BYTES + 2], hash[GATEWAY_PASSWORD_HASH_SIZE];
        bool generated;
        rc = take_password(&options, options.login, password, sizeof password, &generated);
        if (rc == 0 && gateway_password_verify(old_hash, password)) {
            fprintf(stderr, "sifang-gateway-accounts: the password must differ from the old password\n");
            rc = 1;
        }
        if (rc == 0 && gateway_password_hash(password, hash) != 0)
            rc = 1;
        if (rc == 0 && (gateway_accounts_set_password(db, options.login, hash, true, &error) != SF_OK
                        || gateway_sessions_end_all(db, options.login, NULL, "password_changed", &error) != SF_OK))
            rc = refused(&error);
        if (rc == 0 && generated)
            printf("{\n\t\"login\":\t\"%s\",\n\t\"initial_password\":\t\"%s\"\n}\n", options.login, password);
        sodium_memzero(password, sizeof password);
    } else if (strcmp(command, "unlock") == 0) {
        if (gateway_accounts_unlock(db, options.login, &error) != SF_OK)
            rc = refused(&error);
    } else {
        if (roles) {
            account->n_roles = 0;
            memset(account->roles, 0, sizeof account->roles);
            for (size_t i = 0; i < options.n_roles; i++)
                snprintf(account->roles[account->n_roles++].role, sizeof account->roles[0].role, "%s",
                         options.roles[i]);
            if (!gateway_account_check(account, &error))
                rc = refused(&error);
        } else
            account->enabled = strcmp(command, "enable") == 0;
        if (rc == 0 && (gateway_accounts_update(db, account, &error) != SF_OK
                        || (!account->enabled
                            && gateway_sessions_end_all(db, options.login, NULL, "disabled", &error) != SF_OK)))
            rc = refused(&error);
    }
    if (rc == 0)
        fprintf(stderr, "sifang-gateway-accounts: %s %s: done\n", command, options.login);
    free(account);
    sf_db_destroy(&db);
    return rc;
}

static const gateway_tool_command_t commands[] = {
    { "create", command_create },
    { "list", command_list },
    { "reset-password", command_change },
    { "disable", command_change },
    { "enable", command_change },
    { "unlock", command_change },
    { "roles", command_change },
    { NULL, NULL },
};

static const gateway_tool_t tool = { "sifang-gateway-accounts", usage_text, commands };

int
main(int argc, char **argv)
{
    return gateway_tool_main(&tool, argc, argv);
}
