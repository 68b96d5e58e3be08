/* Browser sessions of personal accounts: the token in the sf_session cookie
 * (32 random bytes, unpadded base64url), stored only as its SHA-256; the
 * CSRF token derived from it; and the session rows with their idle and
 * absolute expiry.
 *
 * The CSRF token is a keyed BLAKE2b of a fixed label under the session
 * token, so it is never stored and cannot be computed by anyone who does not
 * hold the cookie, while GET /v1/session can give it again after a reload.
 * Functions taking an sf_db_t run without locking (see gateway_accounts.h). */
#ifndef GATEWAY_SESSIONS_H
#define GATEWAY_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "sf_db.h"
#include "gateway_accounts.h"
#include "gateway_error.h"

#define GATEWAY_SESSION_COOKIE "sf_session"
#define GATEWAY_SESSION_TOKEN_MAX 48     /* 43 characters and a NUL */
#define GATEWAY_SESSION_HASH_SIZE 32
#define GATEWAY_SESSION_ID_LENGTH 16

typedef struct {
    char id[GATEWAY_SESSION_ID_LENGTH + 1];
    int64_t created_ms;
    int64_t last_seen_ms;
    int64_t idle_expires_ms;
    int64_t expires_ms;
    char address[64];
    char user_agent[320];
    gateway_account_t account;
} gateway_session_t;

/* A new token and its hash. */
void gateway_session_token_new(char token[GATEWAY_SESSION_TOKEN_MAX], uint8_t hash[GATEWAY_SESSION_HASH_SIZE]);
/* The hash of a presented token; -1 when it is not shaped like one. */
int gateway_session_token_hash(const char *token, uint8_t hash[GATEWAY_SESSION_HASH_SIZE]);
/* The CSRF token of a session token. */
void gateway_session_csrf(const char *token, char csrf[GATEWAY_SESSION_TOKEN_MAX]);
/* Whether presented is the CSRF token of token (in constant time). */
bool gateway_session_csrf_matches(const char *token, const char *presented);

/* Starts a session for login, filling session (its account read again). */
sf_status_t gateway_sessions_create(sf_db_t *db, const char *login, const uint8_t hash[GATEWAY_SESSION_HASH_SIZE],
                                    int64_t idle_ms, int64_t max_ms, const char *address, const char *user_agent,
                                    gateway_session_t *session, gateway_error_t *error);

typedef enum {
    GATEWAY_SESSION_ALIVE,
    GATEWAY_SESSION_UNKNOWN,     /* no such token, or ended */
    GATEWAY_SESSION_EXPIRED,     /* idle or absolute expiry passed: ended now */
    GATEWAY_SESSION_UNAVAILABLE, /* the database did not answer */
} gateway_session_state_t;

/* The session of a token hash: alive ones are touched (last seen now, idle
 * expiry moved on but never past the absolute one) and filled in. */
gateway_session_state_t gateway_sessions_resolve(sf_db_t *db, const uint8_t hash[GATEWAY_SESSION_HASH_SIZE],
                                                 int64_t idle_ms, gateway_session_t *session);
/* Ends the alive session of a token hash (a login that presented an old
 * cookie; a logout). */
void gateway_sessions_end_token(sf_db_t *db, const uint8_t hash[GATEWAY_SESSION_HASH_SIZE], const char *reason);
/* Ends one alive session by id; login, when not NULL, must own it.
 * SF_NOT_FOUND when there is no such alive session (of login). */
sf_status_t gateway_sessions_end(sf_db_t *db, const char *id, const char *login, const char *reason,
                                 gateway_error_t *error);
/* Ends every alive session of login except except_id (may be NULL). */
sf_status_t gateway_sessions_end_all(sf_db_t *db, const char *login, const char *except_id, const char *reason,
                                     gateway_error_t *error);
/* Alive sessions as {"sessions": [...]}: login's (current_id marked
 * "current"), or every account's when login is NULL (people online). */
sf_status_t gateway_sessions_list(sf_db_t *db, const char *login, const char *current_id, cJSON **list_p,
                                  gateway_error_t *error);

#endif
