/* The gateway's own rpcs: who a key stands for, and the API keys that
 * administrators create, list and revoke. Keys live in the gateway's schema;
 * the daemon's keyring is reloaded at once after a change so that a new key
 * works and a revoked one stops working with the very next request. */
#include "gateway.h"
#include "sf_json.h"
#include "sf_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
gateway_keys_reload(gateway_t *gw)
{
    pthread_mutex_lock(&gw->db_lock);
    if (gw->db_migrated && sf_db_is_up(gw->db) && gateway_keyring_refresh(gw->keyring, gw->db) != 0)
        sf_warn("cannot reload the API keys; the keys loaded before stay in force");
    pthread_mutex_unlock(&gw->db_lock);
}

bool
gateway_database_ready(gateway_t *gw, gateway_error_t *error)
{
    if (gw->db_migrated && sf_db_is_up(gw->db))
        return true;
    gateway_error_set(error, SF_UNAVAILABLE, "the gateway's database is unavailable; retry later");
    error->retry_after_s = 1;
    return false;
}

/* What the key store said, as the route's error: its reason, unless the
 * database was found down before it was asked (gateway_database_ready has
 * said so). */
static sf_status_t
store_refusal(gateway_error_t *error, sf_status_t status, const char *reason)
{
    if (status != SF_UNAVAILABLE || !error->message[0])
        gateway_error_set(error, status, "%s", reason);
    return status;
}

static sf_status_t
key_create(gateway_t *gw, const gateway_principal_t *principal, const Sifang__Gateway__V1__ApiKey *request,
           cJSON **reply_p, gateway_error_t *error)
{
    Sifang__Gateway__V1__ApiKey key = *request;
    key.id = NULL;
    key.key = NULL;
    key.created_unix_ms = key.revoked_unix_ms = key.last_used_unix_ms = key.requests = 0;
    char field[64] = "", reason[512] = "";
    pthread_mutex_lock(&gw->db_lock);
    sf_status_t status = gateway_database_ready(gw, error)
                       ? gateway_keys_create(gw->db, &key, field, sizeof field, reason, sizeof reason)
                       : SF_UNAVAILABLE;
    pthread_mutex_unlock(&gw->db_lock);
    if (status == SF_OK) {
        sf_info("api key created", "key_id", key.id, "principal", key.principal_id, "role", key.role,
                "scope", key.scope, "by", principal->id);
        gateway_keys_reload(gw);
        *reply_p = sf_json_from_message(&key.base);
        if (!*reply_p)
            gateway_error_set(error, status = SF_INTERNAL, "out of memory");
    } else if (status == SF_INVALID_ARGUMENT && field[0])
        gateway_error_violation(error, field, "%s", reason);
    else
        store_refusal(error, status, reason);
    /* Only the strings the store allocated are ours to free. */
    if (key.key) {
        memset(key.key, 0, strlen(key.key));
        free(key.key);
    }
    free(key.id);
    return status;
}

static sf_status_t
key_revoke(gateway_t *gw, const gateway_principal_t *principal, const Sifang__Gateway__V1__KeyIdRequest *request,
           cJSON **reply_p, gateway_error_t *error)
{
    if (!request->id[0]) {
        gateway_error_violation(error, "id", "required");
        return SF_INVALID_ARGUMENT;
    }
    Sifang__Gateway__V1__ApiKey key;
    char reason[512] = "";
    pthread_mutex_lock(&gw->db_lock);
    sf_status_t status = gateway_database_ready(gw, error)
                       ? gateway_keys_revoke(gw->db, request->id, &key, reason, sizeof reason)
                       : SF_UNAVAILABLE;
    pthread_mutex_unlock(&gw->db_lock);
    if (status != SF_OK)
        return store_refusal(error, status, reason);
    gateway_keyring_revoke(gw->keyring, request->id);
    sf_info("api key revoked", "key_id", request->id, "by", principal->id);
    *reply_p = sf_json_from_message(&key.base);
    gateway_key_release(&key);
    return SF_OK;
}

static sf_status_t
key_list(gateway_t *gw, const Sifang__Gateway__V1__KeyListRequest *request, cJSON **reply_p,
         gateway_error_t *error)
{
    Sifang__Gateway__V1__KeyListReply reply;
    char reason[512] = "";
    pthread_mutex_lock(&gw->db_lock);
    sf_status_t status = gateway_database_ready(gw, error)
                       ? gateway_keys_list(gw->db, request->include_revoked, &reply, reason, sizeof reason)
                       : SF_UNAVAILABLE;
    pthread_mutex_unlock(&gw->db_lock);
    if (status != SF_OK)
        return store_refusal(error, status, reason);
    *reply_p = sf_json_from_message(&reply.base);
    gateway_key_list_release(&reply);
    return SF_OK;
}

sf_status_t
gateway_admin_call(gateway_t *gw, const char *rpc, const gateway_principal_t *principal,
                   const ProtobufCMessage *request, cJSON **reply_p, gateway_error_t *error)
{
    *reply_p = NULL;
    sf_status_t status;
    if (strcmp(rpc, "WhoAmI") == 0) {
        Sifang__V1__Principal who = SIFANG__V1__PRINCIPAL__INIT;
        who.id = (char *) principal->id;
        who.role = (char *) principal->role;
        who.scope = (char *) principal->scope;
        *reply_p = sf_json_from_message(&who.base);
        status = *reply_p ? SF_OK : SF_INTERNAL;
    } else if (strcmp(rpc, "KeyCreate") == 0)
        status = key_create(gw, principal, (const Sifang__Gateway__V1__ApiKey *) request, reply_p, error);
    else if (strcmp(rpc, "KeyRevoke") == 0)
        status = key_revoke(gw, principal, (const Sifang__Gateway__V1__KeyIdRequest *) request, reply_p, error);
    else if (strcmp(rpc, "KeyList") == 0)
        status = key_list(gw, (const Sifang__Gateway__V1__KeyListRequest *) request, reply_p, error);
    else {
        gateway_error_set(error, SF_UNIMPLEMENTED, "the gateway has no method %s", rpc);
        return SF_UNIMPLEMENTED;
    }
    if (status == SF_OK && !*reply_p) {
        gateway_error_set(error, SF_INTERNAL, "out of memory");
        return SF_INTERNAL;
    }
    if (status != SF_OK && error->status == SF_OK)
        gateway_error_set(error, status, "%s", sf_status_name(status));
    return status;
}
