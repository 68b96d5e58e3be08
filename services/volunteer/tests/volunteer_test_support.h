/* What volunteer's integration tests share: a real grid and a real
 * volunteer daemon on free ports in the test's own database, a small
 * district created through grid's API (two communities, four zones with
 * coordinates, forty households with a head each, party members, households
 * in difficulty, two staff members) and followed by volunteer, and helpers
 * for calls and SQL checks. */
#ifndef VOLUNTEER_TEST_SUPPORT_H
#define VOLUNTEER_TEST_SUPPORT_H

#include <stdbool.h>
#include <libpq-fe.h>
#include "sf_client.h"
#include "sf_test.h"
#include "sifang/v1/grid.pb-c.h"
#include "sifang/v1/volunteer.pb-c.h"

#define VT_COMMUNITY_1 "370205001001"
#define VT_COMMUNITY_2 "370205001002"
/* Zones 1 and 2 lie in community 1, about 0.6 km apart; zone 3 in
 * community 2 is about 3 km away; zone 4 is 14 km away (beyond the
 * dispatch radius of 5 km). */
#define VT_ZONE_1 "37020500100101"
#define VT_ZONE_2 "37020500100102"
#define VT_ZONE_3 "37020500100201"
#define VT_ZONE_4 "37020500100202"
#define VT_HOUSEHOLDS 40          /* 10 per zone: zone z holds households z*10 .. z*10+9 */

typedef struct {
    char dir[256];
    char *grid_endpoint, *grid_publish, *endpoint, *publish;
    char *intake_endpoint, *intake_publish;  /* where volunteer follows intake (ipc in dir) */
    sf_test_daemon_t *grid;
    sf_test_daemon_t *volunteer;
    sf_client_t *grid_client;
    sf_client_t *client;          /* volunteer, as the local administrator */
    PGconn *db;                   /* superuser, search_path volunteer */
    /* The district as created: household i's code, its head's resident id,
     * whether the head is a party member, whether the household is flagged. */
    char households[VT_HOUSEHOLDS][20];
    char residents[VT_HOUSEHOLDS][16];
    bool party_member[VT_HOUSEHOLDS];
    bool in_difficulty[VT_HOUSEHOLDS];
    char cadre_id[16];            /* a street cadre of street 370205001 */
    char officer_id[16];          /* department staff of "civil-affairs" */
    int request_counter;
} vt_world_t;

/* Creates the database, starts grid and volunteer (extra_env adds to
 * volunteer's environment), builds the district and waits until volunteer
 * has followed all of it. false (with failed checks) when anything fails. */
bool vt_world_start(vt_world_t *world, const char *dbname, const char *const extra_env[]);
/* The same without the district: grid and volunteer empty (for loaders). */
bool vt_world_start_empty(vt_world_t *world, const char *dbname, const char *const extra_env[]);
/* Stops both daemons, checking each exits 0 on SIGTERM, and frees it all. */
void vt_world_stop(vt_world_t *world);
/* (Re)starts volunteer alone (after a stop or kill). */
bool vt_volunteer_start(vt_world_t *world, const char *const extra_env[]);

/* Calls volunteer with a fresh request id (or request_id if given). */
sf_status_t vt_call(vt_world_t *world, sf_client_t *client, const char *method, const char *request_id,
                    const ProtobufCMessage *request, const ProtobufCMessageDescriptor *reply_descriptor,
                    ProtobufCMessage **reply_p, sf_reply_info_t *info);
/* A client of volunteer acting as principal id/role/scope. */
sf_client_t *vt_client_as(vt_world_t *world, const char *id, const char *role, const char *scope);
/* Whether info names a violation on field. */
bool vt_has_violation(const sf_reply_info_t *info, const char *field);
/* The first column of the first row of sql (search_path volunteer); -1 on error. */
long long vt_sql_int(vt_world_t *world, const char *sql);
/* Rows written in the volunteer schema's domain tables (for "nothing written"). */
long long vt_domain_rows(vt_world_t *world);

/* Registers the head of household i as a volunteer with one skill (and
 * level 4); returns the volunteer id in out (size 16) or false. */
bool vt_register(vt_world_t *world, int household, const char *skill, bool in_service, char out[16]);

/* Summary's figures against the rows, after whatever a test wrote: every
 * unit's row of unit_figures against the rows counted in SQL, and Summary
 * of the district, of every unit volunteer knows and of each zone, field by
 * field, against the statement that counted them all before unit_figures
 * (active_hours and active_days the volunteer daemon's rule). when names
 * the moment in failures. */
void vt_check_summary(vt_world_t *world, double active_hours, int active_days, const char *when);
/* Migration 002 on a database with data: volunteer stopped, its figures,
 * their triggers and the migration's record dropped, volunteer started
 * again (with extra_env) builds them from the rows; then vt_check_summary. */
void vt_check_summary_migration(vt_world_t *world, const char *const extra_env[], double active_hours,
                                int active_days);

#endif
