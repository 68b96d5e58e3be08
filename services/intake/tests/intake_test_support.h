/* What intake's integration tests share: the real grid and intake daemons on
 * the test cluster, a small district loaded through grid's API (and so
 * followed into intake's copy), clients acting as the roles that call
 * intake, and helpers for submitting cases and counting rows. */
#ifndef INTAKE_TEST_SUPPORT_H
#define INTAKE_TEST_SUPPORT_H

#include <stdbool.h>
#include "sf_client.h"
#include "sf_test.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/intake.pb-c.h"

/* The district the tests load into grid. */
#define T_DISTRICT "370205"
#define T_STREET "370205001"
#define T_STREET_2 "370205002"
#define T_COMMUNITY "370205001001"
#define T_COMMUNITY_B "370205001002"
#define T_COMMUNITY_2 "370205002001"
#define T_ZONE "37020500100101"      /* committee member S00001 and cadre S00002 */
#define T_ZONE_B "37020500100201"    /* no one responsible yet */
#define T_ZONE_2 "37020500200101"    /* committee member S00003 */
#define T_HOUSEHOLD "370205001001011001"
#define T_HOUSEHOLD_2 "370205001001011002"
#define T_HOUSEHOLD_B "370205001002011001"
#define T_HOUSEHOLD_OTHER "370205002001011001"
#define T_UNKNOWN_HOUSEHOLD "370205001001011999"
#define T_CREDIT_CODE "91350100M000100Y43"

typedef struct {
    char dir[256];
    char grid_log[512];
    char intake_log[512];
    char *grid_endpoint, *grid_publish;
    char *intake_endpoint, *intake_publish;
    char *volunteer_endpoint, *volunteer_publish;
    sf_test_daemon_t *grid;
    sf_test_daemon_t *intake;
    PGconn *db;                     /* superuser, for counting rows */
    sf_client_t *admin;             /* admin, whole district */
    sf_client_t *station;           /* S00001, community, scope T_COMMUNITY */
    sf_client_t *street;            /* S00002, street, scope T_STREET */
    sf_client_t *gateway;           /* web, gateway: a resident's own channel */
    sf_client_t *viewer;            /* viewer, whole district */
    sf_client_t *grid_admin;        /* grid's admin */
} intake_world_t;

/* Makes the database (dbname), starts grid, loads the district, starts
 * intake (extra: NULL-terminated NAME=VALUE entries, may be NULL) and waits
 * until intake's copy holds the district. true when all of it worked. */
bool intake_world_start(intake_world_t *world, const char *dbname, const char *const extra[]);
/* Starts intake again (after a stop or kill) with the same settings, or
 * with other extra settings. */
bool intake_world_start_intake(intake_world_t *world);
bool intake_world_restart_intake(intake_world_t *world, const char *const extra[]);
void intake_world_stop(intake_world_t *world);

/* A reply freed at the end of the test. */
void *intake_keep(ProtobufCMessage *message);
void intake_release_kept(void);

/* Calls method; *reply_p (kept) is set on OK. */
sf_status_t intake_call(sf_client_t *client, const char *method, const char *request_id,
                        const ProtobufCMessage *request, const ProtobufCMessageDescriptor *reply_descriptor,
                        void *reply_p, sf_reply_info_t *info);

/* A resident's submission (household, item, channel, description). */
Sifang__V1__CaseSubmitRequest *intake_resident_request(const char *household, const char *item,
                                                       Sifang__V1__CaseChannel channel, const char *description);
/* Submits and expects OK; NULL (a failure counted) otherwise. */
Sifang__V1__Case *intake_submit_ok(sf_client_t *client, const Sifang__V1__CaseSubmitRequest *request,
                                   const char *request_id, int line);
#define SUBMIT_OK(client, request) intake_submit_ok(client, request, NULL, __LINE__)

/* Whether the reply's violations name field. */
bool intake_has_violation(const sf_reply_info_t *info, const char *field);

/* The first column of the first row of a SQL query on intake's schema. */
long long intake_count(intake_world_t *world, const char *sql);

/* Polls sql until it gives at least want (or timeout); returns the last value. */
long long intake_wait_count(intake_world_t *world, const char *sql, long long want, int timeout_ms);

/* The notices step seq of case_id gave, as SQL has them, against want
 * ("recipient:kind:reason ..." by recipient), and each one's notice.created
 * event after head field by field against its row. A failure names line. */
void intake_check_step_notices(intake_world_t *world, int64_t head, int64_t case_id, int seq, const char *want,
                               int line);

#endif
