/* What the hardening tests (tests/security, tests/faults) share: the whole
 * suite of real daemons (grid, intake, employment, volunteer, evaluation and
 * the gateway) on the test cluster, on ipc sockets in the suite's directory
 * (the gateway on HTTP port 0), with CURVE and an allowlist of named
 * principals or without; calls written as JSON through the registry
 * (common/sf_registry.h, common/sf_json.h); a small two-street district
 * loaded through grid's API; and scanning the daemons' logs. */
#ifndef HARD_SUITE_H
#define HARD_SUITE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <cjson/cJSON.h>
#include "sf_client.h"
#include "sf_curve.h"
#include "sf_test.h"
#include "http_client.h"

enum { HS_GRID, HS_INTAKE, HS_EMPLOYMENT, HS_VOLUNTEER, HS_EVALUATION, HS_N };
extern const char *const hs_services[HS_N];

#define HS_MAX_KEYS 16
#define HS_MAX_HOUSEHOLDS 8

/* A principal of the allowlist (or, with admitted false, a key nobody
 * admitted). */
typedef struct {
    char id[64];
    char role[32];
    char scope[64];
    bool admitted;
    sf_keypair_t keypair;
} hs_key_t;

typedef struct {
    const char *service;
    char endpoint[128], publish[128];   /* ipc:// in the suite's directory (the netns test: tcp) */
    char log[512];
    sf_keypair_t keypair;
    sf_test_daemon_t *daemon;
    const char *extra[8];       /* settings of this daemon's own (NULL-terminated) */
    const char *wrapper[8];     /* argv before the daemon's path (ip netns exec ...), NULL-terminated */
} hs_daemon_t;

/* The district hs_load_district builds: two streets with a community, a
 * zone and a building group each, HS_MAX_HOUSEHOLDS households per building
 * group, a head of household with an identity number and a phone in each. */
typedef struct {
    char households[2][HS_MAX_HOUSEHOLDS][20];
    char residents[2][HS_MAX_HOUSEHOLDS][16];
    char id_numbers[2][HS_MAX_HOUSEHOLDS][19];
    char phones[2][HS_MAX_HOUSEHOLDS][12];
    char staff[2][16];          /* a community committee member per community */
} hs_district_t;

#define HS_STREET_1 "370205001"
#define HS_STREET_2 "370205002"
#define HS_COMMUNITY_1 "370205001001"
#define HS_COMMUNITY_2 "370205002001"
#define HS_ZONE_1 "37020500100101"
#define HS_ZONE_2 "37020500200101"

/* People: one personal account per people role, for the tests that go
 * through the gateway as a person would (session cookie, CSRF token). */
enum {
    P_CLERK, P_CADRE, P_COMMUNITY, P_STREET, P_DEPARTMENT, P_COUNSELLOR, P_COORDINATOR, P_APPRAISAL, P_LEADER,
    P_PRIVACY, P_ADMIN, P_N,
};

typedef struct {
    const char *login;
    const char *role;
    const char *staff_kind;    /* NULL: no staff record (the cadre: the district's zone member) */
    const char *unit;
    const char *department;
    char staff_id[16];
    char password[64];         /* after the first login's change */
    char cookie[96];           /* the session's token */
    char csrf[96];
} hs_person_t;

/* The origin the people's pages write from (SIFANG_GATEWAY_ORIGINS). */
#define HS_ORIGIN "http://sifang.test"

typedef struct {
    char dir[256];
    bool curve;
    hs_daemon_t daemons[HS_N];
    hs_key_t keys[HS_MAX_KEYS];
    int n_keys;
    sf_test_daemon_t *gateway;
    const char *gateway_extra[8];   /* the gateway's own settings, before the defaults (NULL-terminated) */
    atomic_int http_port;        /* the gateway's, as it said it; each start gets another */
    char gateway_log[512];
    sf_keypair_t gateway_keypair;
    PGconn *db;                  /* the superuser, for checking rows */
    sf_client_t *admin[HS_N];    /* a client of each service acting as admin */
    hs_district_t district;
    hs_person_t people[P_N];     /* after hs_make_people */
} hs_suite_t;

/* Prepares the database (dbname), the keys and the settings; with curve,
 * an allowlist of the services, the gateway, "admin" (admin, whole
 * district) and the principals given (NULL-terminated "id role [scope]"
 * lines; a line starting with '!' makes a key that is not admitted). */
bool hs_init(hs_suite_t *suite, const char *dbname, bool curve, const char *const principals[]);
/* Starts the daemons (grid first) and waits until each serves with its
 * database up; the admin clients are made. */
bool hs_start_all(hs_suite_t *suite);
bool hs_start(hs_suite_t *suite, int service);
/* SIGTERM (expect exit 0) or SIGKILL. */
bool hs_stop(hs_suite_t *suite, int service);
void hs_kill(hs_suite_t *suite, int service);
/* The gateway in front of every service (over CURVE when the suite is). */
bool hs_start_gateway(hs_suite_t *suite);
/* Stops everything; removes the directory unless a check failed. */
void hs_finish(hs_suite_t *suite);

/* A key by principal id (NULL when none). */
const hs_key_t *hs_key(const hs_suite_t *suite, const char *id);
/* A client of service acting as the key's principal (CURVE), or naming
 * principal id/role/scope in its headers (plain TCP). timeout_ms per try,
 * retries after the first. */
sf_client_t *hs_client(const hs_suite_t *suite, int service, const char *principal, int timeout_ms, int retries);

/* Calls service's method with the request as JSON (request_id NULL: fresh).
 * On SF_OK and reply given, *reply is the reply as JSON (cJSON_Delete it). */
sf_status_t hs_call(sf_client_t *client, const char *service, const char *method, const char *request_id,
                    const char *json, cJSON **reply, sf_reply_info_t *info);
/* The same, printing what failed and counting it as a test failure when
 * the status is not OK. */
sf_status_t hs_must(sf_client_t *client, const char *service, const char *method, const char *json,
                    cJSON **reply, int line);
#define HS_MUST(client, service, method, json, reply) hs_must(client, service, method, json, reply, __LINE__)

/* A JSON string member ("" when absent). */
const char *hs_text(const cJSON *json, const char *name);

/* Builds the district in grid as admin and waits until intake, employment
 * and volunteer have its households in their copies. */
bool hs_load_district(hs_suite_t *suite);
/* A valid 18-character identity number for a birth date and serial. */
void hs_id_number(char out[19], int serial);


/* After hs_load_district and hs_start_gateway: one staff record in grid
 * and one account (sifang-gateway-accounts) per people role, in street 1
 * (community 1; the zone cadre is the district's member of zone 1; the
 * department staff and the appraisal office in civil-affairs; the privacy
 * officer and the administrator without a record), each logged in, its
 * initial password changed. The gateway must have been started with
 * SIFANG_GATEWAY_ORIGINS=HS_ORIGIN (hs_start_gateway sets it). */
bool hs_make_people(hs_suite_t *suite);
/* A request to the gateway as person p: the session cookie, and for a
 * write its Origin and CSRF token. The reply's status (0: no answer). */
int hs_person_call(hs_suite_t *suite, const hs_person_t *p, const char *method, const char *path, const char *body,
                   http_reply_t *reply);

/* Whether a daemon's log (or the gateway's, service -1) holds text. */
bool hs_log_contains(const hs_suite_t *suite, int service, const char *text);
/* Runs sifang-gateway-keys create for a principal; the key into out. */
bool hs_api_key(hs_suite_t *suite, const char *principal, const char *role, const char *scope, char *out,
                size_t size);

#endif
