/* Intake's integration tests' shared world: grid and intake daemons on the
 * test cluster, a small district loaded through grid, and call helpers. */
#include "intake_test_support.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static ProtobufCMessage *kept[8192];
static size_t n_kept;
/* Requests the helpers made, freed with the replies. */
static void *made[8192];
static size_t n_made;

static void *
made_by_us(void *memory)
{
    if (memory && n_made < sizeof made / sizeof *made)
        made[n_made++] = memory;
    return memory;
}
static const char *const *intake_extra;
static char env_store[12][256];

void *
intake_keep(ProtobufCMessage *message)
{
    if (message && n_kept < sizeof kept / sizeof *kept)
        kept[n_kept++] = message;
    else if (message)
        protobuf_c_message_free_unpacked(message, NULL);
    return message;
}

void
intake_release_kept(void)
{
    for (size_t i = 0; i < n_kept; i++)
        protobuf_c_message_free_unpacked(kept[i], NULL);
    n_kept = 0;
    for (size_t i = 0; i < n_made; i++)
        free(made[i]);
    n_made = 0;
}

sf_status_t
intake_call(sf_client_t *client, const char *method, const char *request_id, const ProtobufCMessage *request,
            const ProtobufCMessageDescriptor *reply_descriptor, void *reply_p, sf_reply_info_t *info)
{
    ProtobufCMessage *reply = NULL;
    sf_reply_info_t local;
    sf_status_t status = sf_client_call(client, method, request_id, request, reply_descriptor, &reply,
                                        info ? info : &local);
    if (status == SF_OK)
        intake_keep(reply);
    if (reply_p)
        *(ProtobufCMessage **) reply_p = status == SF_OK ? reply : NULL;
    return status;
}

bool
intake_has_violation(const sf_reply_info_t *info, const char *field)
{
    for (size_t i = 0; i < info->n_violations; i++)
        if (strcmp(info->violation_fields[i], field) == 0)
            return true;
    return false;
}

Sifang__V1__CaseSubmitRequest *
intake_resident_request(const char *household, const char *item, Sifang__V1__CaseChannel channel,
                        const char *description)
{
    Sifang__V1__CaseRequester *requester = made_by_us(calloc(1, sizeof *requester));
    Sifang__V1__CaseSubmitRequest *request = made_by_us(calloc(1, sizeof *request));
    sifang__v1__case_requester__init(requester);
    sifang__v1__case_submit_request__init(request);
    requester->kind = SIFANG__V1__REQUESTER_KIND__REQUESTER_KIND_RESIDENT;
    requester->household_code = (char *) household;
    requester->name = "张秀英";
    requester->phone = "13812345678";
    request->channel = channel;
    request->item_code = (char *) item;
    request->requester = requester;
    request->description = (char *) description;
    return request;
}

Sifang__V1__Case *
intake_submit_ok(sf_client_t *client, const Sifang__V1__CaseSubmitRequest *request, const char *request_id, int line)
{
    Sifang__V1__Case *the_case = NULL;
    sf_reply_info_t info;
    char id[40];
    if (!request_id) {
        sf_request_id_new(id);
        request_id = id;
    }
    sf_status_t status = intake_call(client, "CaseSubmit", request_id, &request->base, &sifang__v1__case__descriptor,
                                     &the_case, &info);
    if (status != SF_OK)
        SF_FAIL("line %d: CaseSubmit: %s: %s (%s)", line, sf_status_name(status), info.message ? info.message : "",
                info.n_violations ? info.violation_fields[0] : "no field");
    return the_case;
}

long long
intake_count(intake_world_t *world, const char *sql)
{
    return sf_test_pg_int(world->db, sql);
}

void
intake_check_step_notices(intake_world_t *world, int64_t head, int64_t case_id, int seq, const char *want,
                          int line)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(string_agg(recipient_id || ':' || kind || ':' || reason, ' ' ORDER BY recipient_id), '')"
             "  FROM intake.notice WHERE case_id = %lld AND case_seq = %d", (long long) case_id, seq);
    PGresult *told = PQexec(world->db, sql);
    if (PQresultStatus(told) == PGRES_TUPLES_OK && PQntuples(told) == 1) {
        if (strcmp(PQgetvalue(told, 0, 0), want) != 0)
            SF_FAIL("line %d: case %lld's step %d told \"%s\", wanted \"%s\"", line, (long long) case_id, seq,
                    PQgetvalue(told, 0, 0), want);
    } else
        SF_FAIL("line %d: %s", line, PQresultErrorMessage(told));
    PQclear(told);

    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    fetch.limit = 10000;   /* the most one fetch gives: a step's events come soon after head */
    Sifang__V1__EventsFetchReply *events = NULL;
    if (intake_call(world->admin, "Sys.EventsFetch", NULL, &fetch.base, &sifang__v1__events_fetch_reply__descriptor,
                    &events, NULL) != SF_OK) {
        SF_FAIL("line %d: Sys.EventsFetch failed", line);
        return;
    }
    snprintf(sql, sizeof sql,
             "SELECT id, recipient_id, kind, reason, coalesce(case_id, 0), registration_number, case_seq, action,"
             "       body, unit_code, (extract(epoch FROM created_at) * 1000)::bigint, (read_at IS NOT NULL)::int,"
             "       coalesce((extract(epoch FROM read_at) * 1000)::bigint, 0)"
             "  FROM intake.notice WHERE case_id = %lld AND case_seq = %d ORDER BY id", (long long) case_id, seq);
    PGresult *rows = PQexec(world->db, sql);
    if (PQresultStatus(rows) != PGRES_TUPLES_OK) {
        SF_FAIL("line %d: %s", line, PQresultErrorMessage(rows));
        PQclear(rows);
        return;
    }
    for (int row = 0; row < PQntuples(rows); row++) {
        const char *id = PQgetvalue(rows, row, 0);
        const Sifang__V1__Notice *event = NULL;
        for (size_t i = 0; i < events->n_events && !event; i++)
            if (strcmp(events->events[i]->key, id) == 0 && strcmp(events->events[i]->type, "notice.created") == 0)
                event = intake_keep(&sifang__v1__notice__unpack(NULL, events->events[i]->payload.len,
                                                                events->events[i]->payload.data)->base);
        if (!event) {
            SF_FAIL("line %d: no notice.created event of notice %s", line, id);
            continue;
        }
        /* Every field of the event against the row. */
        char got[13][64];
        const char *text[13];
        snprintf(got[0], 64, "%lld", (long long) event->id);
        text[1] = event->recipient_id;
        snprintf(got[2], 64, "%d", (int) event->kind);
        text[3] = event->reason;
        snprintf(got[4], 64, "%lld", (long long) event->case_id);
        text[5] = event->registration_number;
        snprintf(got[6], 64, "%d", (int) event->case_seq);
        snprintf(got[7], 64, "%d", (int) event->action);
        text[8] = event->text;
        text[9] = event->unit_code;
        snprintf(got[10], 64, "%lld", (long long) event->created_unix_ms);
        snprintf(got[11], 64, "%d", event->read ? 1 : 0);
        snprintf(got[12], 64, "%lld", (long long) event->read_unix_ms);
        static const char *const names[13] = { "id", "recipient_id", "kind", "reason", "case_id",
            "registration_number", "case_seq", "action", "text", "unit_code", "created_unix_ms", "read",
            "read_unix_ms" };
        for (int f = 0; f < 13; f++) {
            const char *value = (f == 1 || f == 3 || f == 5 || f == 8 || f == 9) ? text[f] : got[f];
            if (strcmp(value ? value : "", PQgetvalue(rows, row, f)) != 0)
                SF_FAIL("line %d: notice %s's event has %s \"%s\", SQL \"%s\"", line, id, names[f], value,
                        PQgetvalue(rows, row, f));
        }
    }
    PQclear(rows);
}

long long
intake_wait_count(intake_world_t *world, const char *sql, long long want, int timeout_ms)
{
    long long value = -1;
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        value = sf_test_pg_int(world->db, sql);
        if (value >= want)
            break;
        usleep(50000);
    }
    return value;
}

static bool
grid_write(intake_world_t *world, const char *method, const ProtobufCMessage *request,
           const ProtobufCMessageDescriptor *reply_descriptor)
{
    sf_reply_info_t info;
    ProtobufCMessage *reply = NULL;
    sf_status_t status = sf_client_call(world->grid_admin, method, NULL, request, reply_descriptor, &reply, &info);
    if (status != SF_OK) {
        SF_FAIL("grid %s: %s: %s", method, sf_status_name(status), info.message ? info.message : "");
        return false;
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return true;
}

static bool
unit(intake_world_t *world, const char *code, Sifang__V1__UnitKind kind, const char *name, const char *parent)
{
    Sifang__V1__OrgUnit request = SIFANG__V1__ORG_UNIT__INIT;
    Sifang__V1__GeoPoint location = SIFANG__V1__GEO_POINT__INIT;
    location.lat = 36.1;
    location.lon = 120.38;
    request.code = (char *) code;
    request.kind = kind;
    request.name = (char *) name;
    request.parent_code = (char *) parent;
    if (kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
        request.location = &location;
    return grid_write(world, "UnitCreate", &request.base, &sifang__v1__org_unit__descriptor);
}

static bool
household(intake_world_t *world, const char *code)
{
    Sifang__V1__Household request = SIFANG__V1__HOUSEHOLD__INIT;
    request.code = (char *) code;
    request.address = "1号楼";
    return grid_write(world, "HouseholdCreate", &request.base, &sifang__v1__household__descriptor);
}

static bool
staff(intake_world_t *world, const char *name, Sifang__V1__StaffKind kind, const char *unit_code)
{
    Sifang__V1__Staff request = SIFANG__V1__STAFF__INIT;
    request.name = (char *) name;
    request.kind = kind;
    request.unit_code = (char *) unit_code;
    request.active = true;
    return grid_write(world, "StaffCreate", &request.base, &sifang__v1__staff__descriptor);
}

static bool
responsibility(intake_world_t *world, const char *staff_id, const char *unit_code, Sifang__V1__ResponsibilityKind kind)
{
    Sifang__V1__Responsibility request = SIFANG__V1__RESPONSIBILITY__INIT;
    request.staff_id = (char *) staff_id;
    request.unit_code = (char *) unit_code;
    request.kind = kind;
    return grid_write(world, "ResponsibilityAssign", &request.base, &sifang__v1__responsibility__descriptor);
}

static bool
department(intake_world_t *world, const char *code, const char *name)
{
    Sifang__V1__Department request = SIFANG__V1__DEPARTMENT__INIT;
    request.code = (char *) code;
    request.name = (char *) name;
    return grid_write(world, "DepartmentCreate", &request.base, &sifang__v1__department__descriptor);
}

static bool
load_district(intake_world_t *world)
{
    return unit(world, T_DISTRICT, SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT, "四方区", "")
        && unit(world, T_STREET, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "兴隆路街道", T_DISTRICT)
        && unit(world, T_STREET_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_STREET, "水清沟街道", T_DISTRICT)
        && unit(world, T_COMMUNITY, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "兴隆一路社区", T_STREET)
        && unit(world, T_COMMUNITY_B, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "兴隆二路社区", T_STREET)
        && unit(world, T_COMMUNITY_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_COMMUNITY, "水清沟社区", T_STREET_2)
        && unit(world, T_ZONE, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "第一片区", T_COMMUNITY)
        && unit(world, T_ZONE_B, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "第一片区", T_COMMUNITY_B)
        && unit(world, T_ZONE_2, SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE, "第一片区", T_COMMUNITY_2)
        && unit(world, T_ZONE "1", SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "1号楼组", T_ZONE)
        && unit(world, T_ZONE_B "1", SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "1号楼组", T_ZONE_B)
        && unit(world, T_ZONE_2 "1", SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP, "1号楼组", T_ZONE_2)
        && household(world, T_HOUSEHOLD) && household(world, T_HOUSEHOLD_2)
        && household(world, T_HOUSEHOLD_B) && household(world, T_HOUSEHOLD_OTHER)
        && staff(world, "王芳", SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE, T_COMMUNITY)
        && staff(world, "李强", SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE, T_STREET)
        && staff(world, "赵敏", SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE, T_COMMUNITY_2)
        && responsibility(world, "S00001", T_ZONE, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE)
        && responsibility(world, "S00002", T_ZONE, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE)
        && responsibility(world, "S00003", T_ZONE_2, SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE)
        && department(world, "civil-affairs", "四方区民政局")
        && department(world, "human-resources", "四方区人力资源和社会保障局")
        && department(world, "organization", "四方区委组织部");
}

bool
intake_world_start_intake(intake_world_t *world)
{
    char path[512];
    if (sf_test_service_path(path, sizeof path, "intake") != 0)
        return false;
    const char *env[32];
    size_t n = 0;
    snprintf(env_store[0], sizeof env_store[0], "SIFANG_INTAKE_ENDPOINT=%s", world->intake_endpoint);
    snprintf(env_store[1], sizeof env_store[1], "SIFANG_INTAKE_PUBLISH=%s", world->intake_publish);
    snprintf(env_store[2], sizeof env_store[2], "SIFANG_GRID_ENDPOINT=%s", world->grid_endpoint);
    snprintf(env_store[3], sizeof env_store[3], "SIFANG_GRID_PUBLISH=%s", world->grid_publish);
    snprintf(env_store[4], sizeof env_store[4], "SIFANG_VOLUNTEER_ENDPOINT=%s", world->volunteer_endpoint);
    snprintf(env_store[5], sizeof env_store[5], "SIFANG_VOLUNTEER_PUBLISH=%s", world->volunteer_publish);
    for (int i = 0; i < 6; i++)
        env[n++] = env_store[i];
    env[n++] = "SIFANG_INTAKE_DATABASE_URL=user=sifang_intake";
    env[n++] = "SIFANG_INTAKE_GRID_POLL_MS=200";
    env[n++] = "SIFANG_INTAKE_VOLUNTEER_POLL_MS=200";
    /* Employment's answers to registrations are followed only by the tests
     * that run employment (they say SIFANG_INTAKE_EMPLOYMENT=true): the
     * peers thread would otherwise wait on an absent source every poll. */
    bool employment = false;
    for (size_t i = 0; intake_extra && intake_extra[i]; i++)
        employment = employment || strncmp(intake_extra[i], "SIFANG_INTAKE_EMPLOYMENT=", 25) == 0;
    if (!employment)
        env[n++] = "SIFANG_INTAKE_EMPLOYMENT=false";
    for (size_t i = 0; intake_extra && intake_extra[i] && n < 30; i++)
        env[n++] = intake_extra[i];
    env[n] = NULL;
    world->intake = sf_test_daemon_start(path, env, world->intake_log);
    if (!SF_CHECK(world->intake != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(world->intake, 20000), 0))
        return false;
    return SF_CHECK(sf_test_wait_database(world->admin, 20000));
}

bool
intake_world_restart_intake(intake_world_t *world, const char *const extra[])
{
    if (world->intake)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&world->intake), 0);
    intake_extra = extra;
    return intake_world_start_intake(world);
}

bool
intake_world_start(intake_world_t *world, const char *dbname, const char *const extra[])
{
    memset(world, 0, sizeof *world);
    intake_extra = extra;
    if (!SF_CHECK_EQ_INT(sf_test_pg_env(dbname), 0) || !SF_CHECK_EQ_INT(sf_test_tmpdir(world->dir, sizeof world->dir), 0))
        return false;
    world->db = sf_test_pg_connect();
    if (!SF_CHECK(world->db != NULL))
        return false;
    snprintf(world->grid_log, sizeof world->grid_log, "%s/grid.log", world->dir);
    snprintf(world->intake_log, sizeof world->intake_log, "%s/intake.log", world->dir);
    world->grid_endpoint = sf_test_ipc_endpoint(world->dir, "grid.router");
    world->grid_publish = sf_test_ipc_endpoint(world->dir, "grid.pub");
    world->intake_endpoint = sf_test_ipc_endpoint(world->dir, "intake.router");
    world->intake_publish = sf_test_ipc_endpoint(world->dir, "intake.pub");
    world->volunteer_endpoint = sf_test_ipc_endpoint(world->dir, "volunteer.router");
    world->volunteer_publish = sf_test_ipc_endpoint(world->dir, "volunteer.pub");
    if (!SF_CHECK(world->grid_endpoint && world->grid_publish && world->intake_endpoint && world->intake_publish
                  && world->volunteer_endpoint && world->volunteer_publish))
        return false;

    char path[512], grid_endpoint[160], grid_publish[160];
    if (!SF_CHECK_EQ_INT(sf_test_service_path(path, sizeof path, "grid"), 0))
        return false;
    snprintf(grid_endpoint, sizeof grid_endpoint, "SIFANG_GRID_ENDPOINT=%s", world->grid_endpoint);
    snprintf(grid_publish, sizeof grid_publish, "SIFANG_GRID_PUBLISH=%s", world->grid_publish);
    const char *grid_env[] = { grid_endpoint, grid_publish, "SIFANG_GRID_DATABASE_URL=user=sifang_grid", NULL };
    world->grid = sf_test_daemon_start(path, grid_env, world->grid_log);
    if (!SF_CHECK(world->grid != NULL) || !SF_CHECK_EQ_INT(sf_test_daemon_wait_ready(world->grid, 20000), 0))
        return false;
    world->grid_admin = sf_client_new(world->grid_endpoint, NULL);
    world->admin = sf_client_new(world->intake_endpoint, NULL);
    world->station = sf_client_new(world->intake_endpoint, NULL);
    world->street = sf_client_new(world->intake_endpoint, NULL);
    world->gateway = sf_client_new(world->intake_endpoint, NULL);
    world->viewer = sf_client_new(world->intake_endpoint, NULL);
    if (!SF_CHECK(world->grid_admin && world->admin && world->station && world->street && world->gateway
                  && world->viewer))
        return false;
    sf_client_set_principal(world->grid_admin, "it-admin", "admin", "");
    sf_client_set_principal(world->admin, "it-admin", "admin", "");
    sf_client_set_principal(world->station, "S00001", "community", T_COMMUNITY);
    sf_client_set_principal(world->street, "S00002", "street", T_STREET);
    sf_client_set_principal(world->gateway, "web-resident", "gateway", "");
    sf_client_set_principal(world->viewer, "it-viewer", "viewer", "");
    if (!SF_CHECK(sf_test_wait_database(world->grid_admin, 20000)) || !load_district(world))
        return false;
    if (!intake_world_start_intake(world))
        return false;
    /* Intake's copy of grid fills from grid's events. */
    bool copied = SF_CHECK_EQ_INT(intake_wait_count(world,
        "SELECT (SELECT count(*) FROM intake.ref_household) + (SELECT count(*) FROM intake.ref_responsibility)"
        " + (SELECT count(*) FROM intake.ref_department)", 10, 15000), 10);
    return copied;
}

void
intake_world_stop(intake_world_t *world)
{
    intake_release_kept();
    sf_client_destroy(&world->admin);
    sf_client_destroy(&world->station);
    sf_client_destroy(&world->street);
    sf_client_destroy(&world->gateway);
    sf_client_destroy(&world->viewer);
    sf_client_destroy(&world->grid_admin);
    if (world->intake)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&world->intake), 0);
    if (world->grid)
        sf_test_daemon_stop(&world->grid);
    if (world->db)
        PQfinish(world->db);
    free(world->grid_endpoint);
    free(world->grid_publish);
    free(world->intake_endpoint);
    free(world->intake_publish);
    free(world->volunteer_endpoint);
    free(world->volunteer_publish);
    if (sf_test_failures() == 0)
        sf_test_rmtree(world->dir);
    else
        fprintf(stderr, "daemon logs kept in %s\n", world->dir);
}
