/* Personal accounts: the rows of account and account_role in the gateway's
 * schema (shared by the daemon and sifang-gateway-accounts), their JSON,
 * the password policy and Argon2id hashing, and the two logs back offices
 * keep (login_log, operation_log).
 *
 * Functions taking an sf_db_t run on it without locking: the daemon holds
 * gw->db_lock around them, the tool has the connection to itself. None of
 * them hashes a password while it holds the database (hashing takes about
 * 0.1 s on purpose). */
#ifndef GATEWAY_ACCOUNTS_H
#define GATEWAY_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <sodium.h>
#include "sf_db.h"
#include "gateway_error.h"

/* The people roles, as the services know them (common/sf_roles.h). */
#define GATEWAY_PEOPLE_ROLES \
    "window_clerk zone_cadre community_staff street_staff department_staff employment_counsellor " \
    "volunteer_coordinator appraisal_office leader privacy_officer administrator"
/* Roles that need no grid staff record: their duty is the system, not a unit. */
#define GATEWAY_ROLES_WITHOUT_STAFF "administrator privacy_officer"
/* A role's data scope override ("" = the role's own). */
#define GATEWAY_DATA_SCOPES "all units own_unit own_unit_and_below own_records"

#define GATEWAY_ACCOUNT_MAX_ROLES 12
#define GATEWAY_ACCOUNT_MAX_UNITS 8
#define GATEWAY_PASSWORD_MIN_CHARS 10
#define GATEWAY_PASSWORD_MAX_BYTES 256
#define GATEWAY_PASSWORD_HASH_SIZE crypto_pwhash_STRBYTES

typedef struct {
    char role[32];
    char data_scope[24];
    size_t n_units;
    char units[GATEWAY_ACCOUNT_MAX_UNITS][32];
} gateway_account_role_t;

typedef struct {
    char login[33];
    char display_name[200];        /* up to 64 characters */
    char staff_id[32];
    char department_code[64];
    char instance[96];             /* the intake worked at: "" the district's, "intake@civil-affairs" */
    bool enabled;
    bool must_change_password;
    int failed_count;
    int64_t locked_until_ms;       /* 0 = not locked */
    int64_t created_ms;
    int64_t updated_ms;
    int64_t last_login_ms;         /* 0 = never */
    size_t n_roles;
    gateway_account_role_t roles[GATEWAY_ACCOUNT_MAX_ROLES];
} gateway_account_t;

/* --- passwords ------------------------------------------------------------------ */

/* What is wrong with password as a new password for login (old: the one it
 * replaces when known, else NULL), in words, or NULL when it is acceptable:
 * at least 10 characters (counted as UTF-8 characters, not bytes), three of
 * the four classes lower case, upper case, digit and other, not containing
 * the login name (in any case), not the old password. */
const char *gateway_password_problem(const char *password, const char *login, const char *old);
/* The Argon2id string of password (OPSLIMIT/MEMLIMIT_INTERACTIVE). 0 or -1. */
int gateway_password_hash(const char *password, char hash[GATEWAY_PASSWORD_HASH_SIZE]);
/* Whether password matches hash (always does the work, whatever the hash). */
bool gateway_password_verify(const char *hash, const char *password);
/* Whether hash was made with other limits than today's (then it is made again
 * at the next successful login). */
bool gateway_password_needs_rehash(const char *hash);
/* A hash that matches no password, made once: an unknown account's login
 * verifies against it so that it takes as long as a known one's. */
const char *gateway_password_dummy_hash(void);
/* A new password that passes the policy (20 characters), for an account
 * made or reset without one. */
void gateway_password_generate(char out[24]);

/* --- the account ---------------------------------------------------------------- */

/* Whether role is one of GATEWAY_PEOPLE_ROLES. */
bool gateway_people_role_valid(const char *role);
/* Checks an account as the table will (login, display name, roles and
 * scopes, a staff record for roles that need one, a department for
 * department_staff); adds field violations to error. true when fine. */
bool gateway_account_check(const gateway_account_t *account, gateway_error_t *error);
/* Whether instance names an intake an account may work at by its form: ""
 * (the district's) or service@department ("intake@civil-affairs"); whether
 * the gateway reaches it is the daemon's to say. */
bool gateway_account_instance_valid(const char *instance);
/* Fills account (whose other fields stay) from JSON: login (create only),
 * display_name, staff_id, department_code, enabled (patch only), roles (an
 * array of role names or {role, data_scope, units}); password (create only)
 * into password when given. Unknown fields and wrong types are violations.
 * true when nothing was refused. */
bool gateway_account_from_json(const cJSON *json, bool patch, gateway_account_t *account, char *password,
                               size_t password_size, gateway_error_t *error);
/* The account as JSON, never a hash. */
cJSON *gateway_account_json(const gateway_account_t *account);
/* The roles as a JSON array of names. */
cJSON *gateway_account_role_names(const gateway_account_t *account);
bool gateway_account_has_role(const gateway_account_t *account, const char *role);

/* --- the table -------------------------------------------------------------------- */

/* Inserts the account with its roles and password hash. SF_ALREADY_EXISTS
 * when the login is taken. */
sf_status_t gateway_accounts_create(sf_db_t *db, const gateway_account_t *account, const char *hash,
                                    gateway_error_t *error);
/* Reads an account (and its hash into hash when not NULL). SF_NOT_FOUND. */
sf_status_t gateway_accounts_get(sf_db_t *db, const char *login, gateway_account_t *account,
                                 char hash[GATEWAY_PASSWORD_HASH_SIZE], gateway_error_t *error);
/* Every account by login, as a JSON array. */
sf_status_t gateway_accounts_list(sf_db_t *db, cJSON **accounts_p, gateway_error_t *error);
/* Writes display name, staff id, department, enabled and roles back. */
sf_status_t gateway_accounts_update(sf_db_t *db, const gateway_account_t *account, gateway_error_t *error);
/* Sets a new password hash and whether it must be changed at the next
 * login; clears the failures and the lock. */
sf_status_t gateway_accounts_set_password(sf_db_t *db, const char *login, const char *hash, bool must_change,
                                          gateway_error_t *error);
/* Clears the failures and the lock. SF_NOT_FOUND. */
sf_status_t gateway_accounts_unlock(sf_db_t *db, const char *login, gateway_error_t *error);
/* A failed login: counts it and locks the account for lockout_ms once
 * failures reach max_failures. */
void gateway_accounts_login_failed(sf_db_t *db, const char *login, int max_failures, int64_t lockout_ms);
/* A successful login: failures cleared, last login now. */
void gateway_accounts_login_succeeded(sf_db_t *db, const char *login);

/* --- the logs --------------------------------------------------------------------------- */

/* One login attempt; typed is cut to 64 characters on a character
 * boundary. Failures are logged, never fatal. */
void gateway_login_log_write(sf_db_t *db, const char *typed, const char *address, const char *user_agent,
                             const char *result);

typedef struct {
    const char *login;
    const char *staff_id;
    const char *action;        /* "CaseSubmit", "AccountCreate" */
    const char *method;
    const char *route;         /* the path template */
    const char *record;
    int http_status;
    const char *status;        /* the status name ("OK", "PERMISSION_DENIED") */
    const char *address;
} gateway_operation_t;
void gateway_operation_log_write(sf_db_t *db, const gateway_operation_t *operation);

/* A page of a log, newest first, as {"entries": [...], "next_page_token"}:
 * filters by name (login, result / action) and time (since and until in
 * unix ms, 0 = open), page_size (1..500, 0 = 50) and page_token (the last id
 * seen, as text). */
typedef struct {
    const char *login;
    const char *kind;          /* result for the login log, action for the operation log */
    int64_t since_ms;
    int64_t until_ms;
    int page_size;
    int64_t after_id;          /* 0 = from the newest */
} gateway_log_query_t;
sf_status_t gateway_login_log_page(sf_db_t *db, const gateway_log_query_t *query, cJSON **page_p,
                                   gateway_error_t *error);
sf_status_t gateway_operation_log_page(sf_db_t *db, const gateway_log_query_t *query, cJSON **page_p,
                                       gateway_error_t *error);

#endif
