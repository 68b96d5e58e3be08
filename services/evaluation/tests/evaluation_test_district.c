/* The shared test district and helpers of evaluation's tests. */
#include "evaluation_test_district.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
td_households_in(int s, int c, int z)
{
    return 8 + (s * 7 + c * 3 + z) % 5;
}

int
td_pipeline(sf_client_t *client, const char *method, ProtobufCMessage **requests, char **request_ids, int n,
            void **replies, size_t *reply_sizes)
{
    int sent = 0, received = 0, ok = 0;
    while (received < n) {
        while (sent < n && sent - received < 256) {
            if (sf_client_send(client, method, request_ids[sent], requests[sent]) != 0)
                break;
            sent++;
        }
        void *body = NULL;
        size_t size = 0;
        sf_reply_info_t info;
        if (sf_client_recv(client, 20000, &body, &size, &info) != 1) {
            printf("%s: no reply after %d of %d\n", method, received, n);
            break;
        }
        received++;
        int index = -1;
        for (int i = 0; i < n && index < 0; i++)
            if (strcmp(request_ids[i], info.request_id) == 0)
                index = i;
        if (info.status == SF_OK) {
            ok++;
            if (replies && index >= 0) {
                replies[index] = body;
                reply_sizes[index] = size;
                body = NULL;
            }
        } else
            printf("%s %s: %s %s\n", method, info.request_id, sf_status_name(info.status), info.message);
        free(body);
    }
    return ok;
}

sf_status_t
td_call(sf_client_t *client, const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *reply_descriptor, ProtobufCMessage **reply_p)
{
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(client, method, NULL, request, reply_descriptor, reply_p, &info);
    if (status != SF_OK) {
        printf("%s: %s %s\n", method, sf_status_name(status), info.message ? info.message : "");
        for (size_t i = 0; i < info.n_violations; i++)
            printf("  %s: %s\n", info.violation_fields[i], info.violation_descriptions[i]);
    }
    return status;
}

bool
td_refused(sf_client_t *client, const char *method, const ProtobufCMessage *request, sf_status_t status,
           const char *field)
{
    sf_reply_info_t info;
    ProtobufCMessage *reply = NULL;
    sf_status_t got = sf_client_call(client, method, NULL, request, NULL, &reply, &info);
    bool named = field == NULL;
    for (size_t i = 0; i < info.n_violations && !named; i++)
        named = strcmp(info.violation_fields[i], field) == 0;
    if (got != status || !named) {
        printf("%s: expected %s on %s, got %s %s\n", method, sf_status_name(status), field ? field : "-",
               sf_status_name(got), info.message ? info.message : "");
        for (size_t i = 0; i < info.n_violations; i++)
            printf("  %s: %s\n", info.violation_fields[i], info.violation_descriptions[i]);
    }
    return got == status && named;
}

static int
create_units(sf_client_t *grid, td_district_t *district)
{
    /* Level by level so that parents exist before their children. */
    int failed = 0, communities = 0, zones = 0;
    for (int level = 1; level <= 5; level++) {
        ProtobufCMessage *requests[128];
        char *ids[128];
        Sifang__V1__OrgUnit units[128];
        Sifang__V1__GeoPoint points[128];
        char codes[128][16], parents[128][16], names[128][48], request_ids[128][48];
        int n = 0;
        for (int s = 0; s < (level == 1 ? 1 : TD_STREETS); s++)
            for (int c = 0; c < (level <= 2 ? 1 : TD_COMMUNITIES); c++)
                for (int z = 0; z < (level <= 3 ? 1 : TD_ZONES); z++) {
                    sifang__v1__org_unit__init(&units[n]);
                    sifang__v1__geo_point__init(&points[n]);
                    /* The remainders bound the numbers' widths for the compiler
                     * (the loops never reach them): a code fits in 16. */
                    if (level == 1)
                        snprintf(codes[n], 16, "370205");
                    else if (level == 2)
                        snprintf(codes[n], 16, "370205%03d", (s + 1) % 1000);
                    else if (level == 3)
                        snprintf(codes[n], 16, "370205%03d%03d", (s + 1) % 1000, (c + 1) % 1000);
                    else if (level == 4)
                        snprintf(codes[n], 16, "370205%03d%03d%02d", (s + 1) % 1000, (c + 1) % 1000, (z + 1) % 100);
                    else
                        snprintf(codes[n], 16, "370205%03d%03d%02d1", (s + 1) % 1000, (c + 1) % 1000,
                                 (z + 1) % 100);
                    size_t parent_length = level == 2 ? 6 : level == 3 ? 9 : level == 4 ? 12 : level == 5 ? 14 : 0;
                    snprintf(parents[n], 16, "%.*s", (int) parent_length, codes[n]);
                    snprintf(names[n], sizeof names[n], "unit %s", codes[n]);
                    units[n].code = codes[n];
                    units[n].kind = (Sifang__V1__UnitKind) level;
                    units[n].name = names[n];
                    units[n].parent_code = parents[n];
                    if (level == 4) {
                        points[n].lat = 36.10 + n * 0.001;
                        points[n].lon = 120.36 + n * 0.001;
                        units[n].location = &points[n];
                        snprintf(district->zone_codes[zones++], 16, "%s", codes[n]);
                    }
                    if (level == 3)
                        snprintf(district->community_codes[communities++], 16, "%s", codes[n]);
                    snprintf(request_ids[n], sizeof request_ids[n], "td-unit-%s", codes[n]);
                    requests[n] = &units[n].base;
                    ids[n] = request_ids[n];
                    n++;
                }
        failed += n - td_pipeline(grid, "UnitCreate", requests, ids, n, NULL, NULL);
    }
    return failed;
}

static int
create_households(sf_client_t *grid, td_district_t *district)
{
    int n = 0;
    for (int s = 0; s < TD_STREETS; s++)
        for (int c = 0; c < TD_COMMUNITIES; c++)
            for (int z = 0; z < TD_ZONES; z++)
                for (int h = 0; h < td_households_in(s, c, z); h++)
                    snprintf(district->households[n++], 20, "370205%03d%03d%02d1%03d", (s + 1) % 1000,
                             (c + 1) % 1000, (z + 1) % 100, (h + 1) % 1000);
    district->n_households = n;
    ProtobufCMessage **requests = calloc((size_t) n, sizeof *requests);
    char **ids = calloc((size_t) n, sizeof *ids);
    Sifang__V1__Household *households = calloc((size_t) n, sizeof *households);
    char (*groups)[16] = calloc((size_t) n, sizeof *groups);
    char (*request_ids)[48] = calloc((size_t) n, sizeof *request_ids);
    Sifang__V1__HouseholdFlag flag = SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_LOW_INCOME;
    for (int i = 0; i < n; i++) {
        sifang__v1__household__init(&households[i]);
        households[i].code = district->households[i];
        snprintf(groups[i], 16, "%.15s", district->households[i]);
        households[i].building_group_code = groups[i];
        households[i].address = "test road";
        if (i % 4 == 0) {
            households[i].n_flags = 1;
            households[i].flags = &flag;
        }
        snprintf(request_ids[i], sizeof request_ids[i], "td-household-%s", district->households[i]);
        requests[i] = &households[i].base;
        ids[i] = request_ids[i];
    }
    int failed = n - td_pipeline(grid, "HouseholdCreate", requests, ids, n, NULL, NULL);
    free(requests);
    free(ids);
    free(households);
    free(groups);
    free(request_ids);
    return failed;
}

static int
create_residents(sf_client_t *grid, td_district_t *district)
{
    int n = 0;
    int capacity = district->n_households * 2;
    ProtobufCMessage **requests = calloc((size_t) capacity, sizeof *requests);
    char **ids = calloc((size_t) capacity, sizeof *ids);
    Sifang__V1__Resident *residents = calloc((size_t) capacity, sizeof *residents);
    char (*request_ids)[48] = calloc((size_t) capacity, sizeof *request_ids);
    void **replies = calloc((size_t) capacity, sizeof *replies);
    size_t *sizes = calloc((size_t) capacity, sizeof *sizes);
    for (int i = 0; i < district->n_households; i++)
        for (int k = 0; k < (i % 3 == 0 ? 2 : 1); k++) {
            sifang__v1__resident__init(&residents[n]);
            residents[n].household_code = district->households[i];
            residents[n].name = k ? "resident" : "head";
            residents[n].relation = k ? "spouse" : "head";
            residents[n].party_member = k == 1;
            residents[n].birth_date = k ? "1978-03-02" : "1980-05-01";   /* of working age */
            residents[n].gender = k ? SIFANG__V1__GENDER__GENDER_FEMALE : SIFANG__V1__GENDER__GENDER_MALE;   /* members who can pair with households */
            snprintf(request_ids[n], sizeof request_ids[n], "td-resident-%s-%d", district->households[i], k);
            requests[n] = &residents[n].base;
            ids[n] = request_ids[n];
            n++;
        }
    int failed = n - td_pipeline(grid, "ResidentCreate", requests, ids, n, replies, sizes);
    district->n_residents = 0;
    for (int i = 0; i < n; i++) {
        Sifang__V1__Resident *created = replies[i]
            ? sifang__v1__resident__unpack(NULL, sizes[i], replies[i]) : NULL;
        if (created) {
            if (created->party_member)
                district->party_members[district->n_party_members++] = district->n_residents;
            snprintf(district->residents[district->n_residents++], 16, "%s", created->id);
            protobuf_c_message_free_unpacked(&created->base, NULL);
        }
        free(replies[i]);
    }
    free(requests);
    free(ids);
    free(residents);
    free(request_ids);
    free(replies);
    free(sizes);
    return failed;
}

/* A street cadre per street, a committee member per community, and their
 * zones. */
static int
create_staff(sf_client_t *grid)
{
    int failed = 0;
    char cadres[TD_STREETS][16], members[TD_STREETS * TD_COMMUNITIES][16];
    for (int s = 0; s < TD_STREETS; s++) {
        Sifang__V1__Staff staff = SIFANG__V1__STAFF__INIT;
        char unit[16], name[32], request_id[48];
        snprintf(unit, sizeof unit, "370205%03d", s + 1);
        snprintf(name, sizeof name, "cadre %d", s + 1);
        snprintf(request_id, sizeof request_id, "td-staff-cadre-%d", s);
        staff.name = name;
        staff.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_STREET_CADRE;
        staff.unit_code = unit;
        Sifang__V1__Staff *created = NULL;
        if (sf_client_call(grid, "StaffCreate", request_id, &staff.base, &sifang__v1__staff__descriptor,
                           (ProtobufCMessage **) &created, NULL) != SF_OK)
            return 1;
        snprintf(cadres[s], 16, "%s", created->id);
        protobuf_c_message_free_unpacked(&created->base, NULL);
        for (int c = 0; c < TD_COMMUNITIES; c++) {
            Sifang__V1__Staff member = SIFANG__V1__STAFF__INIT;
            snprintf(unit, sizeof unit, "370205%03d%03d", s + 1, c + 1);
            snprintf(name, sizeof name, "member %d-%d", s + 1, c + 1);
            snprintf(request_id, sizeof request_id, "td-staff-member-%d-%d", s, c);
            member.name = name;
            member.kind = SIFANG__V1__STAFF_KIND__STAFF_KIND_COMMUNITY_COMMITTEE;
            member.unit_code = unit;
            if (sf_client_call(grid, "StaffCreate", request_id, &member.base, &sifang__v1__staff__descriptor,
                               (ProtobufCMessage **) &created, NULL) != SF_OK)
                return 1;
            snprintf(members[s * TD_COMMUNITIES + c], 16, "%s", created->id);
            protobuf_c_message_free_unpacked(&created->base, NULL);
        }
    }
    for (int s = 0; s < TD_STREETS; s++)
        for (int c = 0; c < TD_COMMUNITIES; c++)
            for (int z = 0; z < TD_ZONES; z++)
                for (int k = 0; k < 2; k++) {
                    Sifang__V1__Responsibility duty = SIFANG__V1__RESPONSIBILITY__INIT;
                    char zone[16], request_id[64];
                    snprintf(zone, sizeof zone, "370205%03d%03d%02d", s + 1, c + 1, z + 1);
                    snprintf(request_id, sizeof request_id, "td-duty-%s-%d", zone, k);
                    duty.unit_code = zone;
                    duty.staff_id = k ? members[s * TD_COMMUNITIES + c] : cadres[s];
                    duty.kind = k ? SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_COMMITTEE
                                  : SIFANG__V1__RESPONSIBILITY_KIND__RESPONSIBILITY_KIND_ZONE_CADRE;
                    sf_reply_info_t info;
                    if (sf_client_call(grid, "ResponsibilityAssign", request_id, &duty.base, NULL, NULL, &info) != SF_OK) {
                        printf("ResponsibilityAssign %s: %s\n", zone, info.message);
                        failed++;
                    }
                }
    return failed;
}

int
td_build(sf_client_t *grid, td_district_t *district)
{
    memset(district, 0, sizeof *district);
    int failed = create_units(grid, district);
    failed += create_households(grid, district);
    failed += create_residents(grid, district);
    failed += create_staff(grid);
    return failed;
}

sf_test_daemon_t *
td_start(const char *service, const char *dir, const char *endpoint, const char *publish, const char *const *extra)
{
    char path[512], endpoint_env[160], publish_env[160], log_path[512];
    sf_test_service_path(path, sizeof path, service);
    char upper[32];
    size_t i = 0;
    for (; service[i] && i + 1 < sizeof upper; i++)
        upper[i] = (char) (service[i] >= 'a' && service[i] <= 'z' ? service[i] - 32 : service[i]);
    upper[i] = '\0';
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_%s_ENDPOINT=%s", upper, endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_%s_PUBLISH=%s", upper, publish);
    snprintf(log_path, sizeof log_path, "%s/%s.log", dir, service);
    const char *env[24] = { endpoint_env, publish_env };
    int n = 2;
    for (int k = 0; extra && extra[k] && n < 23; k++)
        env[n++] = extra[k];
    env[n] = NULL;
    sf_test_daemon_t *daemon = sf_test_daemon_start(path, env, log_path);
    if (!SF_CHECK(daemon && sf_test_daemon_wait_ready(daemon, 15000) == 0))
        printf("%s did not start: see %s\n", service, log_path);
    return daemon;
}

int64_t
td_head(const char *endpoint)
{
    sf_client_t *client = sf_client_new(endpoint, NULL);
    int64_t head = sf_test_event_head(client);
    sf_client_destroy(&client);
    return head;
}

bool
td_wait_caught_up(sf_client_t *evaluation, const char *source, const char *source_endpoint, int timeout_ms)
{
    return sf_test_wait_caught_up(evaluation, source, td_head(source_endpoint), timeout_ms);
}

void
td_current_period(int kind, char out[16])
{
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    if (kind == 1)
        snprintf(out, 16, "%04d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100);
    else if (kind == 2)
        snprintf(out, 16, "%04d-H%d", (tm.tm_year + 1900) % 10000, tm.tm_mon < 6 ? 1 : 2);
    else
        snprintf(out, 16, "%04d", (tm.tm_year + 1900) % 10000);
}
