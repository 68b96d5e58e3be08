/* Personal accounts: the password policy and hashing, the account and
 * account_role rows and their JSON, and the login and operation logs. */
#include "gateway_accounts.h"
#include "sf_params.h"
#include "sf_text.h"
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS(column) "coalesce((extract(epoch FROM " column ") * 1000)::bigint, 0)"

/* --- passwords ------------------------------------------------------------------ */

static bool
contains_folded(const char *text, const char *part)
{
    size_t length = strlen(part);
    if (!length)
        return false;
    for (const char *at = text; *at; at++)
        if (strncasecmp(at, part, length) == 0)
            return true;
    return false;
}

const char *
gateway_password_problem(const char *password, const char *login, const char *old)
{
    if (!password || !*password)
        return "is required";
    if (strlen(password) > GATEWAY_PASSWORD_MAX_BYTES)
        return "must be at most 256 bytes";
    if (!sf_text_utf8_valid(password) || sf_text_has_control(password, false))
        return "must be UTF-8 text without control characters";
    if (sf_text_length(password) < GATEWAY_PASSWORD_MIN_CHARS)
        return "must be at least 10 characters long";
    bool lower = false, upper = false, digit = false, other = false;
    for (const unsigned char *c = (const unsigned char *) password; *c; c++) {
        if (*c >= 'a' && *c <= 'z')
            lower = true;
        else if (*c >= 'A' && *c <= 'Z')
            upper = true;
        else if (*c >= '0' && *c <= '9')
            digit = true;
        else
            other = true;   /* punctuation, spaces, and every non-ASCII character */
    }
    if (lower + upper + digit + other < 3)
        return "must mix at least three of: lower case letters, upper case letters, digits, other characters";
    if (login && contains_folded(password, login))
        return "must not contain the login name";
    if (old && strcmp(password, old) == 0)
        return "must differ from the old password";
    return NULL;
}

int
gateway_password_hash(const char *password, char hash[GATEWAY_PASSWORD_HASH_SIZE])
{
    return crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0 ? 0 : -1;
}

bool
gateway_password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

bool
gateway_password_needs_rehash(const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

static char dummy_hash[GATEWAY_PASSWORD_HASH_SIZE];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
make_dummy_hash(void)
{
    unsigned char secret[32];
    char text[sizeof secret * 2 + 1];
    randombytes_buf(secret, sizeof secret);
    sodium_bin2hex(text, sizeof text, secret, sizeof secret);
    if (gateway_password_hash(text, dummy_hash) != 0)
        dummy_hash[0] = 0;
    sodium_memzero(text, sizeof text);
}

const char *
gateway_password_dummy_hash(void)
{
    pthread_once(&dummy_once, make_dummy_hash);
    return dummy_hash;
}

void
gateway_password_generate(char out[24])
{
    /* No look-alikes (0 O 1 l I): the password is read off a screen once. */
    static const char lower[] = "abcdefghijkmnopqrstuvwxyz", upper[] = "ABCDEFGHJKLMNPQRSTUVWXYZ",
                      digits[] = "23456789", others[] = "-_.!@#%+=";
    const char *classes[4] = { lower, upper, digits, others };
    for (;;) {
        for (int i = 0; i < 20; i++) {
            /* Each of the first four from its class, then any class. */
            const char *set = classes[i < 4 ? (uint32_t) i : randombytes_uniform(4)];
            out[i] = set[randombytes_uniform((uint32_t) strlen(set))];
        }
        out[20] = 0;
        /* Shuffle so that the classes are not in a fixed place. */
        for (int i = 19; i > 0; i--) {
            int j = (int) randombytes_uniform((uint32_t) i + 1);
            char c = out[i];
            out[i] = out[j];
            out[j] = c;
        }
        if (!gateway_password_problem(out, NULL, NULL))
            return;
    }
}

/* --- the account ---------------------------------------------------------------- */

static bool
word_in(const char *word, const char *words)
{
    size_t length = strlen(word);
    if (!length)
        return false;
    for (const char *at = words; (at = strstr(at, word)) != NULL; at += length)
        if ((at == words || at[-1] == ' ') && (at[length] == 0 || at[length] == ' '))
            return true;
    return false;
}

bool
gateway_people_role_valid(const char *role)
{
    return word_in(role, GATEWAY_PEOPLE_ROLES);
}

bool
gateway_account_has_role(const gateway_account_t *account, const char *role)
{
    for (size_t i = 0; i < account->n_roles; i++)
        if (strcmp(account->roles[i].role, role) == 0)
            return true;
    return false;
}

static bool
code_valid(const char *code, size_t max)
{
    size_t length = strlen(code);
    if (length > max)
        return false;
    for (const char *c = code; *c; c++)
        if (!isalnum((unsigned char) *c) && !strchr("._-", *c))
            return false;
    return true;
}

static bool
login_valid(const char *login)
{
    size_t length = strlen(login);
    if (length < 3 || length > 32)
        return false;
    for (const char *c = login; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("._-", *c)))
            return false;
    return true;
}

/* Whether c may stand in an instance's name: a-z 0-9 - _, and '.' in the
 * department's part. */
static bool
instance_char(char c, bool department)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || (department && c == '.');
}

bool
gateway_account_instance_valid(const char *instance)
{
    /* As the table's check: service@department, lower case. */
    if (!*instance)
        return true;
    const char *at = strchr(instance, '@');
    size_t service = at ? (size_t) (at - instance) : 0;
    if (!at || service < 1 || service > 32 || !(*instance >= 'a' && *instance <= 'z') || !at[1]
        || strlen(at + 1) > 63 || at[1] == '-' || at[1] == '_' || at[1] == '.')
        return false;
    for (const char *c = instance; *c; c++)
        if (c != at && !instance_char(*c, c > at))
            return false;
    return true;
}

bool
gateway_account_check(const gateway_account_t *account, gateway_error_t *error)
{
    size_t before = error->n_violations;
    if (!login_valid(account->login))
        gateway_error_violation(error, "login", "3 to 32 characters of a-z 0-9 . _ -");
    char buffer[128];
    const char *problem = sf_text_problem(account->display_name, 64, true, false, buffer, sizeof buffer);
    if (problem)
        gateway_error_violation(error, "display_name", "%s", problem);
    if (!code_valid(account->staff_id, 31))
        gateway_error_violation(error, "staff_id", "a grid staff id (letters, digits . _ -)");
    if (!code_valid(account->department_code, 63))
        gateway_error_violation(error, "department_code", "a department code (letters, digits . _ -)");
    if (!gateway_account_instance_valid(account->instance))
        gateway_error_violation(error, "instance", "\"\" (the district's intake) or a department's instance,"
                                " service@department (\"intake@civil-affairs\")");
    if (account->n_roles == 0)
        gateway_error_violation(error, "roles", "at least one of %s", GATEWAY_PEOPLE_ROLES);
    bool needs_staff = false;
    for (size_t i = 0; i < account->n_roles; i++) {
        const gateway_account_role_t *role = &account->roles[i];
        char field[64];
        snprintf(field, sizeof field, "roles[%zu]", i);
        if (!gateway_people_role_valid(role->role)) {
            gateway_error_violation(error, field, "not a role: one of %s", GATEWAY_PEOPLE_ROLES);
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(account->roles[j].role, role->role) == 0)
                gateway_error_violation(error, field, "role %s is given twice", role->role);
        needs_staff = needs_staff || !word_in(role->role, GATEWAY_ROLES_WITHOUT_STAFF);
        if (role->data_scope[0] && !word_in(role->data_scope, GATEWAY_DATA_SCOPES))
            gateway_error_violation(error, field, "data_scope must be one of %s", GATEWAY_DATA_SCOPES);
        if (strcmp(role->data_scope, "units") == 0 && role->n_units == 0)
            gateway_error_violation(error, field, "data_scope units needs the units chosen");
        if (strcmp(role->data_scope, "units") != 0 && role->n_units > 0)
            gateway_error_violation(error, field, "units are chosen only with data_scope units");
        for (size_t u = 0; u < role->n_units; u++)
            if (!role->units[u][0] || !code_valid(role->units[u], 31))
                gateway_error_violation(error, field, "units: unit codes (letters, digits . _ -)");
        if (strcmp(role->role, "department_staff") == 0 && !account->department_code[0])
            gateway_error_violation(error, "department_code", "required for department_staff");
    }
    if (needs_staff && !account->staff_id[0])
        gateway_error_violation(error, "staff_id",
                                "required: every role but administrator and privacy_officer acts as a grid staff "
                                "record");
    return error->n_violations == before;
}

static bool
copy_string(const cJSON *item, const char *field, char *out, size_t size, gateway_error_t *error)
{
    if (!cJSON_IsString(item)) {
        gateway_error_violation(error, field, "must be a string");
        return false;
    }
    if (strlen(item->valuestring) >= size) {
        gateway_error_violation(error, field, "too long");
        return false;
    }
    snprintf(out, size, "%s", item->valuestring);
    return true;
}

static void
role_from_json(const cJSON *item, size_t index, gateway_account_role_t *role, gateway_error_t *error)
{
    char field[64];
    snprintf(field, sizeof field, "roles[%zu]", index);
    memset(role, 0, sizeof *role);
    if (cJSON_IsString(item)) {
        copy_string(item, field, role->role, sizeof role->role, error);
        return;
    }
    if (!cJSON_IsObject(item)) {
        gateway_error_violation(error, field, "a role name or {role, data_scope, units}");
        return;
    }
    const cJSON *member;
    cJSON_ArrayForEach(member, item) {
        char sub[96];
        snprintf(sub, sizeof sub, "%s.%s", field, member->string);
        if (strcmp(member->string, "role") == 0)
            copy_string(member, sub, role->role, sizeof role->role, error);
        else if (strcmp(member->string, "data_scope") == 0)
            copy_string(member, sub, role->data_scope, sizeof role->data_scope, error);
        else if (strcmp(member->string, "units") == 0) {
            if (!cJSON_IsArray(member) || cJSON_GetArraySize(member) > GATEWAY_ACCOUNT_MAX_UNITS) {
                gateway_error_violation(error, sub, "an array of at most %d unit codes", GATEWAY_ACCOUNT_MAX_UNITS);
                continue;
            }
            const cJSON *unit;
            cJSON_ArrayForEach(unit, member)
                copy_string(unit, sub, role->units[role->n_units++], sizeof role->units[0], error);
        } else
            gateway_error_violation(error, sub, "unknown field");
    }
}

bool
gateway_account_from_json(const cJSON *json, bool patch, gateway_account_t *account, char *password,
                          size_t password_size, gateway_error_t *error)
{
    size_t before = error->n_violations;
    if (!cJSON_IsObject(json)) {
        gateway_error_violation(error, "body", "must be a JSON object");
        return false;
    }
    const cJSON *member;
    cJSON_ArrayForEach(member, json) {
        const char *name = member->string;
        if (!patch && strcmp(name, "login") == 0)
            copy_string(member, name, account->login, sizeof account->login, error);
        else if (strcmp(name, "display_name") == 0)
            copy_string(member, name, account->display_name, sizeof account->display_name, error);
        else if (strcmp(name, "staff_id") == 0)
            copy_string(member, name, account->staff_id, sizeof account->staff_id, error);
        else if (strcmp(name, "department_code") == 0)
            copy_string(member, name, account->department_code, sizeof account->department_code, error);
        else if (strcmp(name, "instance") == 0)
            copy_string(member, name, account->instance, sizeof account->instance, error);
        else if (patch && strcmp(name, "enabled") == 0) {
            if (cJSON_IsBool(member))
                account->enabled = cJSON_IsTrue(member);
            else
                gateway_error_violation(error, name, "must be true or false");
        } else if (!patch && strcmp(name, "password") == 0 && password)
            copy_string(member, name, password, password_size, error);
        else if (strcmp(name, "roles") == 0) {
            if (!cJSON_IsArray(member) || cJSON_GetArraySize(member) > GATEWAY_ACCOUNT_MAX_ROLES) {
                gateway_error_violation(error, name, "an array of at most %d roles", GATEWAY_ACCOUNT_MAX_ROLES);
                continue;
            }
            account->n_roles = 0;
            const cJSON *item;
            cJSON_ArrayForEach(item, member) {
                role_from_json(item, account->n_roles, &account->roles[account->n_roles], error);
                account->n_roles++;
            }
        } else
            gateway_error_violation(error, name, "unknown field");
    }
    return error->n_violations == before;
}

cJSON *
gateway_account_role_names(const gateway_account_t *account)
{
    cJSON *names = cJSON_CreateArray();
    for (size_t i = 0; names && i < account->n_roles; i++)
        cJSON_AddItemToArray(names, cJSON_CreateString(account->roles[i].role));
    return names;
}

cJSON *
gateway_account_json(const gateway_account_t *account)
{
    cJSON *json = cJSON_CreateObject();
    if (!json)
        return NULL;
    cJSON_AddStringToObject(json, "login", account->login);
    cJSON_AddStringToObject(json, "display_name", account->display_name);
    cJSON_AddStringToObject(json, "staff_id", account->staff_id);
    cJSON_AddStringToObject(json, "department_code", account->department_code);
    cJSON_AddStringToObject(json, "instance", account->instance);
    cJSON_AddBoolToObject(json, "enabled", account->enabled);
    cJSON_AddBoolToObject(json, "must_change_password", account->must_change_password);
    cJSON_AddNumberToObject(json, "failed_count", account->failed_count);
    cJSON_AddNumberToObject(json, "locked_until_unix_ms", (double) account->locked_until_ms);
    cJSON_AddNumberToObject(json, "created_unix_ms", (double) account->created_ms);
    cJSON_AddNumberToObject(json, "updated_unix_ms", (double) account->updated_ms);
    cJSON_AddNumberToObject(json, "last_login_unix_ms", (double) account->last_login_ms);
    cJSON *roles = cJSON_AddArrayToObject(json, "roles");
    for (size_t i = 0; roles && i < account->n_roles; i++) {
        const gateway_account_role_t *role = &account->roles[i];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "role", role->role);
        cJSON_AddStringToObject(item, "data_scope", role->data_scope);
        cJSON *units = cJSON_AddArrayToObject(item, "units");
        for (size_t u = 0; units && u < role->n_units; u++)
            cJSON_AddItemToArray(units, cJSON_CreateString(role->units[u]));
        cJSON_AddItemToArray(roles, item);
    }
    return json;
}

/* --- the table -------------------------------------------------------------------- */

static sf_status_t
failed(const sf_db_failure_t *failure, gateway_error_t *error)
{
    gateway_error_set(error, failure->status, "%s", failure->message);
    return failure->status;
}

/* Replaces the account's roles; inside the caller's transaction. */
static bool
write_roles(sf_db_t *db, const gateway_account_t *account, sf_db_failure_t *failure)
{
    sf_params_t *params = SF_PARAMS(account->login);
    PGresult *result = sf_db_try(db, "DELETE FROM account_role WHERE login = $1", params, failure);
    if (!result)
        return false;
    PQclear(result);
    for (size_t i = 0; i < account->n_roles; i++) {
        const gateway_account_role_t *role = &account->roles[i];
        sf_pgarray_t units;
        sf_pgarray_init(&units);
        for (size_t u = 0; u < role->n_units; u++)
            sf_pgarray_add_text(&units, role->units[u]);
        sf_params_init(params);
        SF_PARAMS_ADD(params, account->login, (int64_t) i, role->role, role->data_scope, sf_pgarray_text(&units));
        result = sf_db_try(db,
            "INSERT INTO account_role (login, position, role, data_scope, units)"
            " VALUES ($1, $2, $3, $4, $5::text[])", params, failure);
        sf_pgarray_release(&units);
        if (!result)
            return false;
        PQclear(result);
    }
    return true;
}

sf_status_t
gateway_accounts_create(sf_db_t *db, const gateway_account_t *account, const char *hash, gateway_error_t *error)
{
    sf_db_failure_t failure;
    if (!sf_db_begin(db)) {
        gateway_error_set(error, SF_UNAVAILABLE, "database unavailable");
        return SF_UNAVAILABLE;
    }
    PGresult *result = sf_db_try(db,
        "INSERT INTO account (login, display_name, staff_id, department_code, password_hash, must_change_password,"
        " instance) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (login) DO NOTHING RETURNING login",
        SF_PARAMS(account->login, account->display_name, account->staff_id, account->department_code, hash,
                  sf_param_bool(account->must_change_password), account->instance), &failure);
    if (!result || !write_roles(db, account, &failure)) {
        PQclear(result);
        sf_db_rollback(db);
        return failed(&failure, error);
    }
    bool made = PQntuples(result) == 1;
    PQclear(result);
    if (!made) {
        sf_db_rollback(db);
        gateway_error_set(error, SF_ALREADY_EXISTS, "the login %s is taken", account->login);
        return SF_ALREADY_EXISTS;
    }
    if (!sf_db_commit(db)) {
        gateway_error_set(error, SF_UNAVAILABLE, "database unavailable");
        return SF_UNAVAILABLE;
    }
    return SF_OK;
}

sf_status_t
gateway_accounts_get(sf_db_t *db, const char *login, gateway_account_t *account,
                     char hash[GATEWAY_PASSWORD_HASH_SIZE], gateway_error_t *error)
{
    char name[64];   /* login may be account->login, cleared next */
    snprintf(name, sizeof name, "%s", login);
    login = name;
    memset(account, 0, sizeof *account);
    sf_db_failure_t failure;
    sf_params_t *params = SF_PARAMS(login);
    PGresult *result = sf_db_try(db,
        "SELECT login, display_name, staff_id, department_code, enabled, must_change_password, failed_count,"
        " " MS("locked_until") ", " MS("created_at") ", " MS("updated_at") ", " MS("last_login_at") ","
        " password_hash, instance FROM account WHERE login = $1", params, &failure);
    if (!result)
        return failed(&failure, error);
    if (PQntuples(result) == 0) {
        PQclear(result);
        gateway_error_set(error, SF_NOT_FOUND, "no account %.*s", (int) sf_utf8_prefix(login, 64), login);
        return SF_NOT_FOUND;
    }
    snprintf(account->login, sizeof account->login, "%s", sf_db_text(result, 0, 0));
    snprintf(account->display_name, sizeof account->display_name, "%s", sf_db_text(result, 0, 1));
    snprintf(account->staff_id, sizeof account->staff_id, "%s", sf_db_text(result, 0, 2));
    snprintf(account->department_code, sizeof account->department_code, "%s", sf_db_text(result, 0, 3));
    account->enabled = sf_db_bool(result, 0, 4);
    account->must_change_password = sf_db_bool(result, 0, 5);
    account->failed_count = (int) sf_db_int(result, 0, 6);
    account->locked_until_ms = sf_db_int(result, 0, 7);
    account->created_ms = sf_db_int(result, 0, 8);
    account->updated_ms = sf_db_int(result, 0, 9);
    account->last_login_ms = sf_db_int(result, 0, 10);
    if (hash)
        snprintf(hash, GATEWAY_PASSWORD_HASH_SIZE, "%s", sf_db_text(result, 0, 11));
    snprintf(account->instance, sizeof account->instance, "%s", sf_db_text(result, 0, 12));
    PQclear(result);
    result = sf_db_try(db,
        "SELECT role, data_scope, array_to_string(units, ' ') FROM account_role WHERE login = $1"
        " ORDER BY position", params, &failure);
    if (!result)
        return failed(&failure, error);
    for (int row = 0; row < PQntuples(result) && account->n_roles < GATEWAY_ACCOUNT_MAX_ROLES; row++) {
        gateway_account_role_t *role = &account->roles[account->n_roles++];
        snprintf(role->role, sizeof role->role, "%s", sf_db_text(result, row, 0));
        snprintf(role->data_scope, sizeof role->data_scope, "%s", sf_db_text(result, row, 1));
        const char *units = sf_db_text(result, row, 2);
        while (*units && role->n_units < GATEWAY_ACCOUNT_MAX_UNITS) {
            size_t length = strcspn(units, " ");
            snprintf(role->units[role->n_units++], sizeof role->units[0], "%.*s", (int) length, units);
            units += length + (units[length] == ' ');
        }
    }
    PQclear(result);
    return SF_OK;
}

sf_status_t
gateway_accounts_list(sf_db_t *db, cJSON **accounts_p, gateway_error_t *error)
{
    *accounts_p = NULL;
    sf_db_failure_t failure;
    PGresult *result = sf_db_try(db, "SELECT login FROM account ORDER BY login", NULL, &failure);
    if (!result)
        return failed(&failure, error);
    cJSON *accounts = cJSON_CreateArray();
    gateway_account_t *account = malloc(sizeof *account);
    sf_status_t status = accounts && account ? SF_OK : SF_RESOURCE_EXHAUSTED;
    for (int row = 0; status == SF_OK && row < PQntuples(result); row++) {
        status = gateway_accounts_get(db, sf_db_text(result, row, 0), account, NULL, error);
        if (status == SF_OK)
            cJSON_AddItemToArray(accounts, gateway_account_json(account));
    }
    PQclear(result);
    free(account);
    if (status != SF_OK) {
        cJSON_Delete(accounts);
        if (error->status == SF_OK)
            gateway_error_set(error, status, "out of memory");
        return status;
    }
    *accounts_p = accounts;
    return SF_OK;
}

sf_status_t
gateway_accounts_update(sf_db_t *db, const gateway_account_t *account, gateway_error_t *error)
{
    sf_db_failure_t failure;
    if (!sf_db_begin(db)) {
        gateway_error_set(error, SF_UNAVAILABLE, "database unavailable");
        return SF_UNAVAILABLE;
    }
    PGresult *result = sf_db_try(db,
        "UPDATE account SET display_name = $2, staff_id = $3, department_code = $4, enabled = $5, instance = $6,"
        " updated_at = now() WHERE login = $1",
        SF_PARAMS(account->login, account->display_name, account->staff_id, account->department_code,
                  sf_param_bool(account->enabled), account->instance), &failure);
    if (!result || !write_roles(db, account, &failure)) {
        PQclear(result);
        sf_db_rollback(db);
        return failed(&failure, error);
    }
    PQclear(result);
    if (!sf_db_commit(db)) {
        gateway_error_set(error, SF_UNAVAILABLE, "database unavailable");
        return SF_UNAVAILABLE;
    }
    return SF_OK;
}

static sf_status_t
update_one(sf_db_t *db, const char *sql, const sf_params_t *params, const char *login, gateway_error_t *error)
{
    sf_db_failure_t failure;
    PGresult *result = sf_db_try(db, sql, params, &failure);
    if (!result)
        return failed(&failure, error);
    bool found = PQntuples(result) == 1;
    PQclear(result);
    if (!found) {
        gateway_error_set(error, SF_NOT_FOUND, "no account %.*s", (int) sf_utf8_prefix(login, 64), login);
        return SF_NOT_FOUND;
    }
    return SF_OK;
}

sf_status_t
gateway_accounts_set_password(sf_db_t *db, const char *login, const char *hash, bool must_change,
                              gateway_error_t *error)
{
    return update_one(db,
        "UPDATE account SET password_hash = $2, must_change_password = $3, failed_count = 0, locked_until = NULL,"
        " updated_at = now() WHERE login = $1 RETURNING login",
        SF_PARAMS(login, hash, sf_param_bool(must_change)), login, error);
}

sf_status_t
gateway_accounts_unlock(sf_db_t *db, const char *login, gateway_error_t *error)
{
    return update_one(db,
        "UPDATE account SET failed_count = 0, locked_until = NULL, updated_at = now() WHERE login = $1"
        " RETURNING login", SF_PARAMS(login), login, error);
}

void
gateway_accounts_login_failed(sf_db_t *db, const char *login, int max_failures, int64_t lockout_ms)
{
    /* The count starts again once a lock has run out: each lock is earned by
     * max_failures new failures. */
    PGresult *result = sf_db_query(db,
        "UPDATE account SET"
        " failed_count = CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1"
        "                     ELSE failed_count + 1 END,"
        " locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN NULL"
        "                     WHEN failed_count + 1 >= $2 THEN now() + $3::bigint * interval '1 millisecond'"
        "                     ELSE locked_until END"
        " WHERE login = $1", SF_PARAMS(login, max_failures, lockout_ms));
    PQclear(result);
}

void
gateway_accounts_login_succeeded(sf_db_t *db, const char *login)
{
    PGresult *result = sf_db_query(db,
        "UPDATE account SET failed_count = 0, locked_until = NULL, last_login_at = now() WHERE login = $1",
        SF_PARAMS(login));
    PQclear(result);
}

/* --- the logs --------------------------------------------------------------------------- */

void
gateway_login_log_write(sf_db_t *db, const char *typed, const char *address, const char *user_agent,
                        const char *result_name)
{
    /* What was typed may be anything: cut on a character, and a byte that is
     * not UTF-8 would be refused by the database, so it is kept as '?'. */
    char login[256], agent[512];
    snprintf(login, sizeof login, "%.*s", (int) sf_utf8_prefix_chars(typed ? typed : "", 64), typed ? typed : "");
    snprintf(agent, sizeof agent, "%.*s", (int) sf_utf8_prefix(user_agent ? user_agent : "", 300),
             user_agent ? user_agent : "");
    char *texts[] = { login, agent };
    for (size_t t = 0; t < 2; t++)
        if (!sf_text_utf8_valid(texts[t]) || sf_text_has_control(texts[t], false))
            for (unsigned char *c = (unsigned char *) texts[t]; *c; c++)
                if (*c < 0x20 || *c >= 0x7f)
                    *c = '?';
    sf_params_t *params = SF_PARAMS(login, address ? address : "", agent, result_name);
    PGresult *result = sf_db_query(db,
        "INSERT INTO login_log (login, address, user_agent, result) VALUES ($1, $2, $3, $4)", params);
    PQclear(result);
}

void
gateway_operation_log_write(sf_db_t *db, const gateway_operation_t *operation)
{
    PGresult *result = sf_db_query(db,
        "INSERT INTO operation_log (login, staff_id, action, method, route, record, http_status, status, address)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        SF_PARAMS(operation->login, operation->staff_id, operation->action, operation->method, operation->route,
                  operation->record, operation->http_status, operation->status, operation->address));
    PQclear(result);
}

static sf_status_t
log_page(sf_db_t *db, const char *sql, const char **columns, size_t n_columns, const gateway_log_query_t *query,
         cJSON **page_p, gateway_error_t *error)
{
    *page_p = NULL;
    int page_size = query->page_size > 0 ? query->page_size : 50;
    sf_params_t *params = SF_PARAMS(query->login ? query->login : "", query->kind ? query->kind : "", query->since_ms,
                                    query->until_ms, query->after_id, page_size + 1);
    sf_db_failure_t failure;
    PGresult *result = sf_db_try(db, sql, params, &failure);
    if (!result)
        return failed(&failure, error);
    cJSON *page = cJSON_CreateObject();
    cJSON *entries = cJSON_AddArrayToObject(page, "entries");
    int rows = PQntuples(result);
    for (int row = 0; entries && row < rows && row < page_size; row++) {
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddNumberToObject(entry, "id", (double) sf_db_int(result, row, 0));
        cJSON_AddNumberToObject(entry, "at_unix_ms", (double) sf_db_int(result, row, 1));
        for (size_t c = 0; c < n_columns; c++) {
            if (strcmp(columns[c], "http_status") == 0)
                cJSON_AddNumberToObject(entry, columns[c], (double) sf_db_int(result, row, (int) c + 2));
            else
                cJSON_AddStringToObject(entry, columns[c], sf_db_text(result, row, (int) c + 2));
        }
        cJSON_AddItemToArray(entries, entry);
    }
    char token[32] = "";
    if (rows > page_size)
        snprintf(token, sizeof token, "%lld", (long long) sf_db_int(result, page_size - 1, 0));
    cJSON_AddStringToObject(page, "next_page_token", token);
    PQclear(result);
    if (!entries) {
        cJSON_Delete(page);
        gateway_error_set(error, SF_RESOURCE_EXHAUSTED, "out of memory");
        return SF_RESOURCE_EXHAUSTED;
    }
    *page_p = page;
    return SF_OK;
}

#define LOG_FILTERS \
    " WHERE ($1 = '' OR login = $1) AND ($3::bigint = 0 OR at >= to_timestamp($3::bigint / 1000.0))" \
    " AND ($4::bigint = 0 OR at < to_timestamp($4::bigint / 1000.0)) AND ($5::bigint = 0 OR id < $5::bigint)"

sf_status_t
gateway_login_log_page(sf_db_t *db, const gateway_log_query_t *query, cJSON **page_p, gateway_error_t *error)
{
    static const char *columns[] = { "login", "address", "user_agent", "result" };
    return log_page(db,
        "SELECT id, " MS("at") ", login, address, user_agent, result FROM login_log" LOG_FILTERS
        " AND ($2 = '' OR result = $2) ORDER BY id DESC LIMIT $6", columns, 4, query, page_p, error);
}

sf_status_t
gateway_operation_log_page(sf_db_t *db, const gateway_log_query_t *query, cJSON **page_p, gateway_error_t *error)
{
    static const char *columns[] = { "login", "staff_id", "action", "method", "route", "record", "http_status",
                                     "status", "address" };
    return log_page(db,
        "SELECT id, " MS("at") ", login, staff_id, action, method, route, record, http_status, status, address"
        " FROM operation_log" LOG_FILTERS " AND ($2 = '' OR action = $2) ORDER BY id DESC LIMIT $6",
        columns, 9, query, page_p, error);
}
