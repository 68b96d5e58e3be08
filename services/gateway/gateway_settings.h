/* The gateway daemon's settings: what it reads from the environment,
 * declared in gateway_settings (the table --help and the docs come from). */
#ifndef GATEWAY_SETTINGS_H
#define GATEWAY_SETTINGS_H

#include "sf_config.h"
#include <stdbool.h>

#define GATEWAY_ALL_SERVICES "grid intake employment volunteer evaluation"
/* Roles a request without a key may act as: never one that is trusted to
 * act for others, nor an administrator. */
#define GATEWAY_ANONYMOUS_ROLES "viewer department community street district"

typedef struct {
    char http[128];
    char services[256];
    char schema[64];
    int max_body;
    int max_connections;
    int threads;
    int poll_threads;
    int timeout_ms;
    int retries;
    int keys_refresh_ms;
    char anonymous[128];
    int anonymous_rate;
    int anonymous_burst;
    char cors_origin[256];
    char workbench_dir[512];
    char jurisdiction_id[128];
    int drain_ms;
    char instance[96];
    /* Personal accounts and their sessions (gateway_login.c). */
    int session_idle_ms;
    int session_max_ms;
    bool cookie_secure;
    bool trusted_proxy;
    char origins[512];
    int login_failures;
    int lockout_ms;
    int login_address_per_minute;
    int login_address_burst;
    int login_account_per_minute;
    int login_account_burst;
} gateway_settings_t;

extern const sf_var_t gateway_settings[];

#endif
