/* The world volunteer's integration tests run in: real grid, real
 * volunteer, a small district created through grid's API and followed by
 * volunteer. */
#include "volunteer_test_support.h"
#include "sf_config.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sf_test_daemon_t *
start_grid(vt_world_t *world)
{
    char path[512], endpoint[128], publish[128], log_path[512];
    sf_test_service_path(path, sizeof path, "grid");
    snprintf(endpoint, sizeof endpoint, "SIFANG_GRID_ENDPOINT=%s", world->grid_endpoint);
    snprintf(publish, sizeof publish, "SIFANG_GRID_PUBLISH=%s", world->grid_publish);
    snprintf(log_path, sizeof log_path, "%s/grid.log", world->dir);
    const char *env[] = { endpoint, publish, NULL };
    sf_test_daemon_t *daemon = sf_test_daemon_start(path, env, log_path);
    if (!SF_CHECK(daemon != NULL) || !SF_CHECK(sf_test_daemon_wait_ready(daemon, 15000) == 0))
        return daemon;
    return daemon;
}

bool
vt_volunteer_start(vt_world_t *world, const char *const extra_env[])
{
    char path[512], endpoint[128], publish[128], grid_e[128], grid_p[128], log_path[512];
    sf_test_service_path(path, sizeof path, "volunteer");
    snprintf(endpoint, sizeof endpoint, "SIFANG_VOLUNTEER_ENDPOINT=%s", world->endpoint);
    snprintf(publish, sizeof publish, "SIFANG_VOLUNTEER_PUBLISH=%s", world->publish);
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", world->grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", world->grid_publish);
    snprintf(log_path, sizeof log_path, "%s/volunteer.log", world->dir);
    const char *env[32] = { endpoint, publish, grid_e, grid_p, "SIFANG_VOLUNTEER_GRID_POLL_MS=200" };
    int n = 5;
    for (int i = 0; extra_env && extra_env[i] && n < 31; i++)
        env[n++] = extra_env[i];
    env[n] = NULL;
    world->volunteer = sf_test_daemon_start(path, env, log_path);
    if (!SF_CHECK(world->volunteer != NULL) || !SF_CHECK(sf_test_daemon_wait_ready(world->volunteer, 15000) == 0))
        return false;
    /* Ready means serving; wait for the database and migrations too. */
    return sf_test_wait_database(world->client, 15000) || SF_FAIL("volunteer's database never came up");
}

static sf_status_t
grid_call(vt_world_t *world, const char *method, const ProtobufCMessage *request,
          const ProtobufCMessageDescriptor *reply_descriptor, ProtobufCMessage **reply_p)
{
    char request_id[64];
    snprintf(request_id, sizeof request_id, "vt-grid-%d", ++world->request_counter);
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(world->grid_client, method, request_id, request, reply_descriptor,
                                        reply_p, &info);
    if (status != SF_OK)
        printf("grid %s: %s %s\n", method, sf_status_name(status), info.message ? info.message : "");
    return status;
}

static bool
create_unit(vt_world_t *world, const char *code, int kind, const char *parent, double lat, double lon)
{
    Sifang__V1__OrgUnit unit = SIFANG__V1__ORG_UNIT__INIT;
    Sifang__V1__GeoPoint point = SIFANG__V1__GEO_POINT__INIT;
    char name[64];
    snprintf(name, sizeof name, "unit %s", code);
    unit.code = (char *) code;
    unit.kind = (Sifang__V1__UnitKind) kind;
    unit.name = name;
    unit.parent_code = (char *) parent;
    if (lat != 0) {
        point.lat = lat;
        point.lon = lon;
        unit.location = &point;
    }
    ProtobufCMessage *reply = NULL;
    sf_status_t status = grid_call(world, "UnitCreate", &unit.base, &sifang__v1__org_unit__descriptor, &reply);
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    return SF_CHECK_EQ_INT(status, SF_OK);
}

static bool
create_staff(vt_world_t *world, const char *name, int kind, const char *unit_code, const char *department,
             char out[16])
{
    Sifang__V1__Staff staff = SIFANG__V1__STAFF__INIT;
    staff.name = (char *) name;
    staff.kind = (Sifang__V1__StaffKind) kind;
    staff.unit_code = (char *) unit_code;
    staff.department_code = (char *) department;
    staff.active = true;
    Sifang__V1__Staff *created = NULL;
    sf_status_t status = grid_call(world, "StaffCreate", &staff.base, &sifang__v1__staff__descriptor,
                                   (ProtobufCMessage **) &created);
    if (!SF_CHECK_EQ_INT(status, SF_OK))
        return false;
    snprintf(out, 16, "%s", created->id);
    protobuf_c_message_free_unpacked(&created->base, NULL);
    return true;
}

static bool
build_district(vt_world_t *world)
{
    static const struct { const char *code; double lat, lon; } zones[4] = {
        { VT_ZONE_1, 36.1000, 120.3800 }, { VT_ZONE_2, 36.1050, 120.3820 },
        { VT_ZONE_3, 36.1200, 120.4050 }, { VT_ZONE_4, 36.2100, 120.4800 },
    };
    bool ok = create_unit(world, "370205", 1, "", 0, 0)
           && create_unit(world, "370205001", 2, "370205", 0, 0)
           && create_unit(world, VT_COMMUNITY_1, 3, "370205001", 0, 0)
           && create_unit(world, VT_COMMUNITY_2, 3, "370205001", 0, 0);
    for (int z = 0; ok && z < 4; z++) {
        char group[20];
        snprintf(group, sizeof group, "%s1", zones[z].code);
        ok = create_unit(world, zones[z].code, 4, z < 2 ? VT_COMMUNITY_1 : VT_COMMUNITY_2, zones[z].lat, zones[z].lon)
          && create_unit(world, group, 5, zones[z].code, 0, 0);
    }
    for (int i = 0; ok && i < VT_HOUSEHOLDS; i++) {
        int z = i / 10;
        snprintf(world->households[i], sizeof world->households[i], "%s1%03d", zones[z].code, i % 10 + 1);
        world->in_difficulty[i] = i % 4 == 1;
        Sifang__V1__Household household = SIFANG__V1__HOUSEHOLD__INIT;
        char group[20];
        snprintf(group, sizeof group, "%s1", zones[z].code);
        household.code = world->households[i];
        household.building_group_code = group;
        Sifang__V1__HouseholdFlag flags[1] = { SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME };
        if (world->in_difficulty[i]) {
            household.flags = flags;
            household.n_flags = 1;
        }
        ProtobufCMessage *reply = NULL;
        ok = SF_CHECK_EQ_INT(grid_call(world, "HouseholdCreate", &household.base, &sifang__v1__household__descriptor,
                                       &reply), SF_OK);
        if (reply)
            protobuf_c_message_free_unpacked(reply, NULL);
        world->party_member[i] = i % 3 == 0;
        Sifang__V1__Resident resident = SIFANG__V1__RESIDENT__INIT;
        char name[32];
        snprintf(name, sizeof name, "Resident %02d", i);
        resident.household_code = world->households[i];
        resident.name = name;
        resident.party_member = world->party_member[i];
        resident.relation = "head";
        Sifang__V1__Resident *created = NULL;
        ok = ok && SF_CHECK_EQ_INT(grid_call(world, "ResidentCreate", &resident.base, &sifang__v1__resident__descriptor,
                                             (ProtobufCMessage **) &created), SF_OK);
        if (created) {
            snprintf(world->residents[i], sizeof world->residents[i], "%s", created->id);
            protobuf_c_message_free_unpacked(&created->base, NULL);
        }
    }
    Sifang__V1__Department department = SIFANG__V1__DEPARTMENT__INIT;
    department.code = "civil-affairs";
    department.name = "Civil affairs bureau";
    ProtobufCMessage *reply = NULL;
    ok = ok && SF_CHECK_EQ_INT(grid_call(world, "DepartmentCreate", &department.base, &sifang__v1__department__descriptor,
                                         &reply), SF_OK);
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    ok = ok && create_staff(world, "Cadre Wang", SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE, "370205001", "",
                            world->cadre_id)
            && create_staff(world, "Officer Li", SIFANG__V1__STAFF_KIND__STAFF_KIND_DEPARTMENT_STAFF, "370205",
                            "civil-affairs", world->officer_id);
    return ok;
}

/* Volunteer has followed the whole district once its copy holds it all. */
static bool
wait_followed(vt_world_t *world)
{
    int64_t until = sf_clock_ms() + 20000;
    while (sf_clock_ms() < until) {
        long long n = vt_sql_int(world, "SELECT (SELECT count(*) FROM ref_unit) + (SELECT count(*) FROM ref_household)"
                                        " + (SELECT count(*) FROM ref_resident) + (SELECT count(*) FROM ref_staff)"
                                        " + (SELECT count(*) FROM ref_department)");
        if (n == 12 + VT_HOUSEHOLDS * 2 + 2 + 1)
            return true;
        usleep(100 * 1000);
    }
    return SF_FAIL("volunteer did not follow grid's district within 20 s");
}

bool
vt_world_start_empty(vt_world_t *world, const char *dbname, const char *const extra_env[])
{
    memset(world, 0, sizeof *world);
    if (!SF_CHECK(sf_test_tmpdir(world->dir, sizeof world->dir) == 0)
        || !SF_CHECK(sf_test_pg_env(dbname) == 0))
        return false;
    world->grid_endpoint = sf_test_ipc_endpoint(world->dir, "grid.router");
    world->grid_publish = sf_test_ipc_endpoint(world->dir, "grid.pub");
    world->endpoint = sf_test_ipc_endpoint(world->dir, "volunteer.router");
    world->publish = sf_test_ipc_endpoint(world->dir, "volunteer.pub");
    world->grid_client = sf_client_new(world->grid_endpoint, NULL);
    world->client = sf_client_new(world->endpoint, NULL);
    if (!SF_CHECK(world->grid_client && world->client))
        return false;
    sf_client_set_timeout(world->grid_client, 5000);
    sf_client_set_timeout(world->client, 5000);
    world->db = sf_test_pg_connect();
    if (!SF_CHECK(world->db != NULL))
        return false;
    sf_test_pg_exec(world->db, "SET search_path TO volunteer");
    world->grid = start_grid(world);
    return world->grid && vt_volunteer_start(world, extra_env);
}

bool
vt_world_start(vt_world_t *world, const char *dbname, const char *const extra_env[])
{
    return vt_world_start_empty(world, dbname, extra_env) && build_district(world) && wait_followed(world);
}

void
vt_world_stop(vt_world_t *world)
{
    if (world->volunteer)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&world->volunteer), 0);
    if (world->grid)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&world->grid), 0);
    sf_client_destroy(&world->client);
    sf_client_destroy(&world->grid_client);
    if (world->db)
        PQfinish(world->db);
    free(world->grid_endpoint);
    free(world->grid_publish);
    free(world->endpoint);
    free(world->publish);
    if (sf_test_failures() == 0 && world->dir[0])
        sf_test_rmtree(world->dir);
    else if (world->dir[0])
        printf("logs kept in %s\n", world->dir);
}

sf_status_t
vt_call(vt_world_t *world, sf_client_t *client, const char *method, const char *request_id,
        const ProtobufCMessage *request, const ProtobufCMessageDescriptor *reply_descriptor,
        ProtobufCMessage **reply_p, sf_reply_info_t *info)
{
    char fresh[64];
    if (!request_id) {
        snprintf(fresh, sizeof fresh, "vt-%d-%d", (int) getpid(), ++world->request_counter);
        request_id = fresh;
    }
    sf_reply_info_t local;
    return sf_client_call(client ? client : world->client, method, request_id, request, reply_descriptor, reply_p,
                          info ? info : &local);
}

sf_client_t *
vt_client_as(vt_world_t *world, const char *id, const char *role, const char *scope)
{
    sf_client_t *client = sf_client_new(world->endpoint, NULL);
    if (client) {
        sf_client_set_timeout(client, 5000);
        sf_client_set_principal(client, id, role, scope);
    }
    return client;
}

bool
vt_has_violation(const sf_reply_info_t *info, const char *field)
{
    for (size_t i = 0; i < info->n_violations; i++)
        if (strcmp(info->violation_fields[i], field) == 0)
            return true;
    return false;
}

long long
vt_sql_int(vt_world_t *world, const char *sql)
{
    return sf_test_pg_int(world->db, sql);
}

long long
vt_domain_rows(vt_world_t *world)
{
    return vt_sql_int(world,
        "SELECT (SELECT count(*) FROM volunteer) + (SELECT count(*) FROM credential) + (SELECT count(*) FROM team)"
        " + (SELECT count(*) FROM team_member) + (SELECT count(*) FROM service_record)"
        " + (SELECT count(*) FROM help_pairing) + (SELECT count(*) FROM help_contact) + (SELECT count(*) FROM visit)"
        " + (SELECT count(*) FROM cobuilding) + (SELECT count(*) FROM dispatch) + (SELECT count(*) FROM event_log)"
        " + (SELECT COALESCE(sum(version), 0) FROM volunteer) + (SELECT COALESCE(sum(version), 0) FROM service_record)"
        " + (SELECT COALESCE(sum(version), 0) FROM dispatch) + (SELECT COALESCE(sum(version), 0) FROM help_pairing)");
}

bool
vt_register(vt_world_t *world, int household, const char *skill, bool in_service, char out[16])
{
    Sifang__V1__VolunteerProfile profile = SIFANG__V1__VOLUNTEER_PROFILE__INIT;
    Sifang__V1__VolunteerSkillLevel level = SIFANG__V1__VOLUNTEER_SKILL_LEVEL__INIT;
    Sifang__V1__VolunteerSkillLevel *levels[1] = { &level };
    profile.resident_id = world->residents[household];
    if (skill) {
        level.skill = (char *) skill;
        level.level = 4;
        profile.skills = levels;
        profile.n_skills = 1;
    }
    profile.in_service_party_member = in_service;
    Sifang__V1__VolunteerProfile *created = NULL;
    sf_reply_info_t info;
    sf_status_t status = vt_call(world, NULL, "VolunteerRegister", NULL, &profile.base,
                                 &sifang__v1__volunteer_profile__descriptor, (ProtobufCMessage **) &created, &info);
    if (!SF_CHECK_EQ_INT(status, SF_OK)) {
        printf("register %d: %s\n", household, info.message);
        return false;
    }
    snprintf(out, 16, "%s", created->id);
    protobuf_c_message_free_unpacked(&created->base, NULL);
    return true;
}
