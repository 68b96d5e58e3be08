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
    char path[512], endpoint[128], publish[128], grid_e[128], grid_p[128], intake_e[160], intake_p[160];
    char log_path[512];
    sf_test_service_path(path, sizeof path, "volunteer");
    snprintf(endpoint, sizeof endpoint, "SIFANG_VOLUNTEER_ENDPOINT=%s", world->endpoint);
    snprintf(publish, sizeof publish, "SIFANG_VOLUNTEER_PUBLISH=%s", world->publish);
    snprintf(grid_e, sizeof grid_e, "SIFANG_GRID_ENDPOINT=%s", world->grid_endpoint);
    snprintf(grid_p, sizeof grid_p, "SIFANG_GRID_PUBLISH=%s", world->grid_publish);
    snprintf(log_path, sizeof log_path, "%s/volunteer.log", world->dir);
    /* Intake's event log is followed at the world's own socket file: an
     * intake started there (vt_intake_start) is followed, and without one
     * nothing outside the test is. */
    snprintf(intake_e, sizeof intake_e, "SIFANG_INTAKE_ENDPOINT=%s", world->intake_endpoint);
    snprintf(intake_p, sizeof intake_p, "SIFANG_INTAKE_PUBLISH=%s", world->intake_publish);
    const char *env[32] = { endpoint, publish, grid_e, grid_p, "SIFANG_VOLUNTEER_GRID_POLL_MS=200", intake_e, intake_p,
                            "SIFANG_VOLUNTEER_INTAKE_POLL_MS=200" };
    int n = 8;
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
    world->intake_endpoint = sf_test_ipc_endpoint(world->dir, "intake.router");
    world->intake_publish = sf_test_ipc_endpoint(world->dir, "intake.pub");
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
    free(world->intake_endpoint);
    free(world->intake_publish);
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

/* The unit rows whose kept figures differ from the rows counted (0: none). */
#define UNIT_FIGURES_WRONG \
    "WITH counted AS (" \
    "  SELECT code, sum(volunteers) AS volunteers, sum(by_rule) AS by_rule, sum(party) AS party," \
    "   sum(in_service) AS in_service, sum(teams) AS teams, sum(approved) AS approved, sum(pending) AS pending," \
    "   sum(difficulty) AS difficulty, sum(visits) AS visits, sum(cobuildings) AS cobuildings," \
    "   sum(dispatches) AS dispatches FROM (" \
    "  SELECT left(v.community_code, 14) AS code, 1 AS volunteers, (v.manual_status = 1)::int AS by_rule," \
    "   COALESCE(r.party_member, false)::int AS party, v.in_service::int AS in_service, 0 AS teams," \
    "   0::numeric AS approved, 0::numeric AS pending, 0 AS difficulty, 0 AS visits, 0 AS cobuildings," \
    "   0 AS dispatches FROM volunteer v LEFT JOIN ref_resident r ON r.id = v.resident_id" \
    "  UNION ALL SELECT left(community_code, 14), 0, 0, 0, 0, (disbanded_at IS NULL)::int, 0, 0, 0, 0, 0, 0 FROM team" \
    "  UNION ALL SELECT left(community_code, 14), 0, 0, 0, 0, 0, CASE WHEN status = 2 THEN hours ELSE 0 END," \
    "   CASE WHEN status = 1 THEN hours ELSE 0 END, 0, 0, 0, 0 FROM service_record" \
    "  UNION ALL SELECT left(code, 14), 0, 0, 0, 0, 0, 0, 0, in_difficulty::int, 0, 0, 0 FROM ref_household" \
    "  UNION ALL SELECT left(household_code, 14), 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 FROM visit" \
    "  UNION ALL SELECT left(community_code, 14), 0, 0, 0, 0, 0, 0, 0, 0, 0, active::int, 0 FROM cobuilding" \
    "  UNION ALL SELECT left(zone_code, 14), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (status IN (1, 2))::int FROM dispatch" \
    "  ) c GROUP BY code)" \
    " SELECT count(*) FROM unit_figures f FULL JOIN counted c ON c.code = f.code" \
    " WHERE (COALESCE(f.volunteers, 0), COALESCE(f.by_rule, 0), COALESCE(f.party_members, 0)," \
    "        COALESCE(f.in_service, 0), COALESCE(f.teams, 0), COALESCE(f.approved_hours, 0)," \
    "        COALESCE(f.pending_hours, 0), COALESCE(f.households_in_difficulty, 0), COALESCE(f.visits, 0)," \
    "        COALESCE(f.cobuildings, 0), COALESCE(f.open_dispatches, 0))" \
    "  IS DISTINCT FROM (COALESCE(c.volunteers, 0), COALESCE(c.by_rule, 0), COALESCE(c.party, 0)," \
    "        COALESCE(c.in_service, 0), COALESCE(c.teams, 0), COALESCE(c.approved, 0), COALESCE(c.pending, 0)," \
    "        COALESCE(c.difficulty, 0), COALESCE(c.visits, 0), COALESCE(c.cobuildings, 0)," \
    "        COALESCE(c.dispatches, 0))"

/* Summary's figures as it counted them before unit_figures ($1..$3 the
 * active rule, $4 the prefix). */
#define SUMMARY_COUNTED \
    "WITH recent AS (SELECT r.volunteer_serial, sum(r.hours) AS hours FROM service_record r" \
    "   WHERE r.status = 2 AND r.served_on > (now() AT TIME ZONE $3)::date - $2::int" \
    "   AND starts_with(r.community_code, $4) GROUP BY 1)," \
    " vs AS (SELECT v.*, COALESCE(p.party_member, false) AS party, COALESCE(rh.hours, 0) AS recent_hours" \
    "   FROM volunteer v LEFT JOIN ref_resident p ON p.id = v.resident_id" \
    "   LEFT JOIN recent rh ON rh.volunteer_serial = v.serial WHERE starts_with(v.community_code, $4))" \
    " SELECT (SELECT count(*) FROM vs)," \
    "  (SELECT count(*) FROM vs WHERE manual_status = 1 AND recent_hours >= $1::numeric)," \
    "  (SELECT count(*) FROM vs WHERE party), (SELECT count(*) FROM vs WHERE in_service)," \
    "  (SELECT count(*) FROM team WHERE disbanded_at IS NULL AND starts_with(community_code, $4))," \
    "  (SELECT COALESCE(sum(hours) FILTER (WHERE status = 2), 0) FROM service_record WHERE starts_with(community_code, $4))," \
    "  (SELECT COALESCE(sum(hours) FILTER (WHERE status = 1), 0) FROM service_record WHERE starts_with(community_code, $4))," \
    "  (SELECT count(*) FROM help_pairing WHERE active AND starts_with(household_code, $4))," \
    "  (SELECT count(DISTINCT member_resident_id) FROM help_pairing WHERE active AND starts_with(household_code, $4))," \
    "  (SELECT count(DISTINCT household_code) FROM help_pairing WHERE active AND starts_with(household_code, $4))," \
    "  (SELECT count(*) FROM ref_household WHERE in_difficulty AND starts_with(code, $4))," \
    "  (SELECT count(*) FROM visit WHERE starts_with(household_code, $4))," \
    "  (SELECT count(*) FROM cobuilding WHERE active AND starts_with(community_code, $4))," \
    "  (SELECT count(*) FROM dispatch WHERE status IN (1, 2) AND starts_with(zone_code, $4))"

void
vt_check_summary(vt_world_t *world, double active_hours, int active_days, const char *when)
{
    long long wrong = vt_sql_int(world, UNIT_FIGURES_WRONG);
    if (wrong != 0)
        SF_FAIL("%s: %lld units' kept figures differ from the rows", when, wrong);
    /* The district, every unit known, and a household's code (below a
     * zone: counted). */
    PGresult *units = PQexec(world->db,
        "SELECT '' UNION SELECT code FROM ref_unit UNION SELECT min(code) FROM ref_household ORDER BY 1");
    if (!SF_CHECK(PQresultStatus(units) == PGRES_TUPLES_OK) || !SF_CHECK(PQntuples(units) > 8)) {
        PQclear(units);
        return;
    }
    char hours[32], days[16];
    snprintf(hours, sizeof hours, "%g", active_hours);
    snprintf(days, sizeof days, "%d", active_days);
    int nonzero = 0;
    for (int u = 0; u < PQntuples(units); u++) {
        const char *code = PQgetvalue(units, u, 0);
        const char *params[4] = { hours, days, "Asia/Shanghai", code };
        PGresult *counted = PQexecParams(world->db, SUMMARY_COUNTED, 4, NULL, params, NULL, NULL, 0);
        Sifang__V1__VolunteerSummaryRequest ask = SIFANG__V1__VOLUNTEER_SUMMARY_REQUEST__INIT;
        ask.under = (char *) code;
        Sifang__V1__VolunteerSummaryReply *summary = NULL;
        if (SF_CHECK(PQresultStatus(counted) == PGRES_TUPLES_OK)
            && SF_CHECK_EQ_INT(vt_call(world, NULL, "Summary", NULL, &ask.base,
                                       &sifang__v1__volunteer_summary_reply__descriptor,
                                       (ProtobufCMessage **) &summary, NULL), SF_OK)) {
            struct { const char *name; double got; } fields[] = {
                { "volunteers", summary->volunteers }, { "active", summary->active },
                { "party_members", summary->party_members },
                { "in_service_party_members", summary->in_service_party_members }, { "teams", summary->teams },
                { "approved_hours", summary->approved_hours }, { "pending_hours", summary->pending_hours },
                { "pairings", summary->pairings }, { "paired_members", summary->paired_members },
                { "paired_households", summary->paired_households },
                { "households_in_difficulty", summary->households_in_difficulty }, { "visits", summary->visits },
                { "cobuildings", summary->cobuildings }, { "open_dispatches", summary->open_dispatches },
            };
            for (int f = 0; f < (int) (sizeof fields / sizeof fields[0]); f++) {
                double want = strtod(PQgetvalue(counted, 0, f), NULL);
                nonzero += want != 0;
                if (fields[f].got != want)
                    SF_FAIL("%s: Summary of \"%s\": %s is %g, the rows say %g", when, code, fields[f].name,
                            fields[f].got, want);
            }
        }
        if (summary)
            protobuf_c_message_free_unpacked(&summary->base, NULL);
        PQclear(counted);
    }
    PQclear(units);
    SF_CHECK(nonzero > 0);
}

void
vt_check_summary_migration(vt_world_t *world, const char *const extra_env[], double active_hours, int active_days)
{
    SF_CHECK_EQ_INT(sf_test_daemon_stop(&world->volunteer), 0);
    SF_CHECK(sf_test_pg_exec(world->db,
        "DO $$ DECLARE t record; BEGIN"
        "  FOR t IN SELECT g.tgname, c.relname AS tab FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid"
        "   WHERE c.relnamespace = 'volunteer'::regnamespace AND g.tgname LIKE '%\\_figures\\_%' LOOP"
        "    EXECUTE format('DROP TRIGGER %I ON %I', t.tgname, t.tab);"
        "    EXECUTE format('DROP FUNCTION %I()', t.tgname);"
        "  END LOOP; END $$;"
        " DROP TABLE unit_figures CASCADE;"
        " DROP INDEX service_record_approved, help_pairing_household_member;"
        " DELETE FROM schema_migrations WHERE component = 'volunteer' AND version = 2") == 0);
    SF_CHECK_EQ_INT(vt_sql_int(world, "SELECT count(*) FROM pg_proc WHERE pronamespace = 'volunteer'::regnamespace"
                                      " AND (proname LIKE 'unit\\_figures%' OR proname LIKE '%\\_figures\\_%')"), 0);
    if (!vt_volunteer_start(world, extra_env))
        return;
    SF_CHECK_EQ_INT(vt_sql_int(world, "SELECT count(*) FROM schema_migrations"
                                      " WHERE component = 'volunteer' AND version = 2"), 1);
    SF_CHECK(vt_sql_int(world, "SELECT count(*) FROM unit_figures") > 2);
    vt_check_summary(world, active_hours, active_days, "after migration 002");
}
