/* Browser sessions: tokens, their hashes and CSRF tokens, and the session
 * rows. */
#include "gateway_sessions.h"
#include "sf_text.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_BYTES 32
#define MS(column) "coalesce((extract(epoch FROM " column ") * 1000)::bigint, 0)"
/* A session's columns, then its account's login. */
#define SESSION_COLUMNS \
    "s.id, " MS("s.created_at") ", " MS("s.last_seen_at") ", " MS("s.idle_expires_at") ", " \
    MS("s.expires_at") ", s.address, s.user_agent, s.login"

/* Runs one of the session statements; a failure is said in error (the
 * database's status and words) and returned. */
static sf_status_t
session_try(sf_db_t *db, const char *sql, const sf_params_t *params, PGresult **result_p, gateway_error_t *error)
{
    sf_db_failure_t failure;
    *result_p = sf_db_try(db, sql, params, &failure);
    if (*result_p)
        return SF_OK;
    gateway_error_set(error, failure.status, "%s", failure.message);
    return failure.status;
}

void
gateway_session_token_new(char token[GATEWAY_SESSION_TOKEN_MAX], uint8_t hash[GATEWAY_SESSION_HASH_SIZE])
{
    unsigned char secret[TOKEN_BYTES];
    randombytes_buf(secret, sizeof secret);
    sodium_bin2base64(token, GATEWAY_SESSION_TOKEN_MAX, secret, sizeof secret,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(secret, sizeof secret);
    crypto_hash_sha256(hash, (const unsigned char *) token, strlen(token));
}

int
gateway_session_token_hash(const char *token, uint8_t hash[GATEWAY_SESSION_HASH_SIZE])
{
    size_t length = strlen(token);
    if (length != sodium_base64_ENCODED_LEN(TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1)
        return -1;
    for (const char *c = token; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'
              || *c == '_'))
            return -1;
    crypto_hash_sha256(hash, (const unsigned char *) token, length);
    return 0;
}

void
gateway_session_csrf(const char *token, char csrf[GATEWAY_SESSION_TOKEN_MAX])
{
    static const char label[] = "sifang csrf token v1";
    unsigned char mac[TOKEN_BYTES];
    size_t key_length = strlen(token);
    if (key_length > crypto_generichash_KEYBYTES_MAX)
        key_length = crypto_generichash_KEYBYTES_MAX;
    crypto_generichash(mac, sizeof mac, (const unsigned char *) label, sizeof label - 1,
                       (const unsigned char *) token, key_length);
    sodium_bin2base64(csrf, GATEWAY_SESSION_TOKEN_MAX, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool
gateway_session_csrf_matches(const char *token, const char *presented)
{
    char expected[GATEWAY_SESSION_TOKEN_MAX];
    gateway_session_csrf(token, expected);
    size_t length = strlen(expected);
    return presented && strlen(presented) == length && sodium_memcmp(expected, presented, length) == 0;
}

static void
session_from_row(gateway_session_t *session, const PGresult *result, int row)
{
    snprintf(session->id, sizeof session->id, "%s", sf_db_text(result, row, 0));
    session->created_ms = sf_db_int(result, row, 1);
    session->last_seen_ms = sf_db_int(result, row, 2);
    session->idle_expires_ms = sf_db_int(result, row, 3);
    session->expires_ms = sf_db_int(result, row, 4);
    snprintf(session->address, sizeof session->address, "%s", sf_db_text(result, row, 5));
    snprintf(session->user_agent, sizeof session->user_agent, "%s", sf_db_text(result, row, 6));
}

sf_status_t
gateway_sessions_create(sf_db_t *db, const char *login, const uint8_t hash[GATEWAY_SESSION_HASH_SIZE],
                        int64_t idle_ms, int64_t max_ms, const char *address, const char *user_agent,
                        gateway_session_t *session, gateway_error_t *error)
{
    memset(session, 0, sizeof *session);
    unsigned char id_bytes[GATEWAY_SESSION_ID_LENGTH / 2];
    char id[GATEWAY_SESSION_ID_LENGTH + 1];
    randombytes_buf(id_bytes, sizeof id_bytes);
    sodium_bin2hex(id, sizeof id, id_bytes, sizeof id_bytes);
    /* An agent may be anything a client sends: kept cut on a character and
     * only when it is clean text. */
    char agent[320];
    snprintf(agent, sizeof agent, "%.*s", (int) sf_utf8_prefix_chars(user_agent ? user_agent : "", 200),
             user_agent ? user_agent : "");
    if (!sf_text_utf8_valid(agent) || sf_text_has_control(agent, false))
        agent[0] = 0;
    sf_params_t *params = SF_PARAMS(id);
    sf_params_bytes(params, hash, GATEWAY_SESSION_HASH_SIZE);
    SF_PARAMS_ADD(params, login, idle_ms, max_ms, address ? address : "", agent);
    PGresult *result;
    sf_status_t status = session_try(db,
        "INSERT INTO session AS s (id, token_hash, login, idle_expires_at, expires_at, address, user_agent)"
        " VALUES ($1, $2, $3, now() + least($4::bigint, $5::bigint) * interval '1 millisecond',"
        "         now() + $5::bigint * interval '1 millisecond', $6, $7)"
        " RETURNING " SESSION_COLUMNS, params, &result, error);
    if (status != SF_OK)
        return status;
    session_from_row(session, result, 0);
    PQclear(result);
    return gateway_accounts_get(db, login, &session->account, NULL, error);
}

gateway_session_state_t
gateway_sessions_resolve(sf_db_t *db, const uint8_t hash[GATEWAY_SESSION_HASH_SIZE], int64_t idle_ms,
                         gateway_session_t *session)
{
    memset(session, 0, sizeof *session);
    sf_params_t params;
    sf_params_init(&params);
    sf_params_bytes(&params, hash, GATEWAY_SESSION_HASH_SIZE);
    sf_params_int(&params, idle_ms);
    /* One statement: an expired session is ended, an alive one touched. */
    PGresult *result = sf_db_query(db,
        "UPDATE session AS s SET"
        " last_seen_at = CASE WHEN alive THEN now() ELSE last_seen_at END,"
        " idle_expires_at = CASE WHEN alive"
        "     THEN least(now() + $2::bigint * interval '1 millisecond', expires_at) ELSE idle_expires_at END,"
        " ended_at = CASE WHEN alive THEN NULL ELSE now() END,"
        " ended_reason = CASE WHEN alive THEN NULL ELSE 'expired' END"
        " FROM (SELECT id, idle_expires_at > now() AND expires_at > now() AS alive FROM session"
        "       WHERE token_hash = $1 AND ended_at IS NULL FOR UPDATE) AS found"
        " WHERE s.id = found.id RETURNING " SESSION_COLUMNS ", found.alive", &params);
    if (!sf_db_result_ok(result)) {
        PQclear(result);
        return GATEWAY_SESSION_UNAVAILABLE;
    }
    if (PQntuples(result) == 0) {
        PQclear(result);
        return GATEWAY_SESSION_UNKNOWN;
    }
    bool alive = sf_db_bool(result, 0, 8);
    session_from_row(session, result, 0);
    char login[64];
    snprintf(login, sizeof login, "%s", sf_db_text(result, 0, 7));
    PQclear(result);
    if (!alive)
        return GATEWAY_SESSION_EXPIRED;
    gateway_error_t error;
    gateway_error_clear(&error);
    sf_status_t status = gateway_accounts_get(db, login, &session->account, NULL, &error);
    if (status == SF_NOT_FOUND)
        return GATEWAY_SESSION_UNKNOWN;
    return status == SF_OK ? GATEWAY_SESSION_ALIVE : GATEWAY_SESSION_UNAVAILABLE;
}

void
gateway_sessions_end_token(sf_db_t *db, const uint8_t hash[GATEWAY_SESSION_HASH_SIZE], const char *reason)
{
    sf_params_t params;
    sf_params_init(&params);
    sf_params_bytes(&params, hash, GATEWAY_SESSION_HASH_SIZE);
    sf_params_text(&params, reason);
    PGresult *result = sf_db_query(db,
        "UPDATE session SET ended_at = now(), ended_reason = $2 WHERE token_hash = $1 AND ended_at IS NULL",
        &params);
    PQclear(result);
}

sf_status_t
gateway_sessions_end(sf_db_t *db, const char *id, const char *login, const char *reason, gateway_error_t *error)
{
    PGresult *result;
    sf_status_t status = session_try(db,
        "UPDATE session SET ended_at = now(), ended_reason = $3"
        " WHERE id = $1 AND ($2 = '' OR login = $2) AND ended_at IS NULL RETURNING id",
        SF_PARAMS(id, login ? login : "", reason), &result, error);
    if (status != SF_OK)
        return status;
    bool ended = PQntuples(result) == 1;
    PQclear(result);
    if (!ended) {
        gateway_error_set(error, SF_NOT_FOUND, "no session %.*s alive", (int) sf_utf8_prefix(id, 40), id);
        return SF_NOT_FOUND;
    }
    return SF_OK;
}

sf_status_t
gateway_sessions_end_all(sf_db_t *db, const char *login, const char *except_id, const char *reason,
                         gateway_error_t *error)
{
    PGresult *result;
    sf_status_t status = session_try(db,
        "UPDATE session SET ended_at = now(), ended_reason = $3 WHERE login = $1 AND id <> $2 AND ended_at IS NULL",
        SF_PARAMS(login, except_id ? except_id : "", reason), &result, error);
    PQclear(result);
    return status;
}

sf_status_t
gateway_sessions_list(sf_db_t *db, const char *login, const char *current_id, cJSON **list_p,
                      gateway_error_t *error)
{
    *list_p = NULL;
    PGresult *result;
    sf_status_t status = session_try(db,
        "SELECT " SESSION_COLUMNS ", a.display_name FROM session s JOIN account a USING (login)"
        " WHERE ($1 = '' OR s.login = $1) AND s.ended_at IS NULL AND s.idle_expires_at > now()"
        " AND s.expires_at > now() ORDER BY s.last_seen_at DESC, s.id", SF_PARAMS(login ? login : ""), &result, error);
    if (status != SF_OK)
        return status;
    cJSON *list = cJSON_CreateObject();
    cJSON *sessions = cJSON_AddArrayToObject(list, "sessions");
    for (int row = 0; sessions && row < PQntuples(result); row++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "id", sf_db_text(result, row, 0));
        if (!login) {
            cJSON_AddStringToObject(item, "account", sf_db_text(result, row, 7));
            cJSON_AddStringToObject(item, "display_name", sf_db_text(result, row, 8));
        }
        cJSON_AddNumberToObject(item, "created_unix_ms", (double) sf_db_int(result, row, 1));
        cJSON_AddNumberToObject(item, "last_seen_unix_ms", (double) sf_db_int(result, row, 2));
        cJSON_AddNumberToObject(item, "idle_expires_unix_ms", (double) sf_db_int(result, row, 3));
        cJSON_AddNumberToObject(item, "expires_unix_ms", (double) sf_db_int(result, row, 4));
        cJSON_AddStringToObject(item, "address", sf_db_text(result, row, 5));
        cJSON_AddStringToObject(item, "user_agent", sf_db_text(result, row, 6));
        if (login)
            cJSON_AddBoolToObject(item, "current", current_id && strcmp(current_id, sf_db_text(result, row, 0)) == 0);
        cJSON_AddItemToArray(sessions, item);
    }
    PQclear(result);
    if (!sessions) {
        cJSON_Delete(list);
        gateway_error_set(error, SF_RESOURCE_EXHAUSTED, "out of memory");
        return SF_RESOURCE_EXHAUSTED;
    }
    *list_p = list;
    return SF_OK;
}
