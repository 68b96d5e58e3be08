/* SQL and control characters in every text field are inert: every string
 * field (nested ones too) of every create method of every service, found
 * from the protobuf descriptors (common/sf_registry.h), is set in turn to
 * SQL, control characters, quotes, backslashes, percent signs and format
 * directives, markup and very long UTF-8, in a request that is otherwise
 * valid (a baseline per method where one is known here, else the empty
 * request). Each answer must be the text stored and returned byte for byte
 * (in the reply and in a later Get, where the method has one) or a clean
 * refusal (INVALID_ARGUMENT naming a field, or NOT_FOUND / FAILED_PRECONDITION
 * / ALREADY_EXISTS for a reference that the text does not name); never
 * INTERNAL, never a dead daemon, never a table dropped. CURVE on.
 *
 * Then each such field is sent once more holding U+0000 ("Wire\0\x07junk",
 * packed by hand: JSON and C strings cannot carry it), as any protobuf
 * library may send it: the answer must be INVALID_ARGUMENT naming that field
 * (violation and message), and no event may be written. Before the envelope
 * refused NUL, protobuf-c cut the string there and "Wire" was stored. */
#include "hard_suite.h"
#include "sf_json.h"
#include "sf_registry.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static hs_suite_t suite;
static int counter = 100;
static char year[8], today[16], volunteer_id[32];

/* Requests that create something, with placeholders: {n} a fresh number,
 * {n3} a fresh 3-digit number, {H1} a household, {R1} a resident, {S1} a
 * staff member of the first street, {V1} a volunteer, {Y} this year, {D}
 * today. */
static const struct { const char *service, *method, *json; } baselines[] = {
    { "grid", "UnitCreate", "{\"code\":\"370205{n3}\",\"kind\":\"UNIT_KIND_STREET\",\"name\":\"街道\",\"parent_code\":\"370205\"}" },
    { "grid", "HouseholdCreate", "{\"code\":\"370205001001011{n3}\",\"address\":\"1号楼\"}" },
    { "grid", "ResidentCreate", "{\"household_code\":\"{H1}\",\"name\":\"住户\",\"relation\":\"child\"}" },
    { "grid", "StaffCreate", "{\"name\":\"员工\",\"kind\":\"STAFF_KIND_PART_TIME_COMMITTEE\",\"unit_code\":\"370205001001\","
                             "\"title\":\"委员\",\"employer\":\"单位\",\"active\":true}" },
    { "grid", "DepartmentCreate", "{\"code\":\"dept-{n}\",\"name\":\"民政局\"}" },
    { "intake", "ItemPut", "{\"code\":\"item-{n}\",\"name\":\"证明\",\"category\":\"SERVICE_CATEGORY_GOVERNMENT\","
                           "\"routing\":\"CASE_ROUTING_ZONE\",\"department_code\":\"civil-affairs\",\"time_limit\":5,\"time_limit_unit\":"
                           "\"TIME_LIMIT_UNIT_WORKING_DAYS\",\"required_materials\":[\"户口本\"],\"active\":true,"
                           "\"description\":\"说明\"}" },
    { "intake", "CaseSubmit", "{\"channel\":\"CASE_CHANNEL_WINDOW\",\"item_code\":\"residence-certificate\","
                              "\"description\":\"办证\",\"requester\":{\"kind\":\"REQUESTER_KIND_RESIDENT\","
                              "\"household_code\":\"{H1}\",\"name\":\"张秀英\",\"phone\":\"13800000000\"}}" },
    { "employment", "CourseCreate", "{\"code\":\"C-{n}\",\"title\":\"中式烹调\",\"hours\":40,\"provider\":\"职校\"}" },
    { "volunteer", "SkillDefine", "{\"code\":\"skill_{n}\",\"name\":\"调解\"}" },
    { "volunteer", "TeamCreate", "{\"name\":\"和事佬\",\"type\":\"VOLUNTEER_TEAM_TYPE_MEDIATION\",\"community_code\":"
                                 "\"370205001001\",\"service_brand\":\"365\",\"leader_id\":\"{V1}\"}" },
    { "volunteer", "ServiceRecordSubmit", "{\"volunteer_id\":\"{V1}\",\"activity\":\"巡逻\",\"served_on\":\"{D}\","
                                          "\"hours\":1}" },
    { "volunteer", "CoBuildingCreate", "{\"unit_name\":\"共建单位{n}\",\"community_code\":\"370205001001\","
                                       "\"contact_name\":\"王\"}" },
    { "volunteer", "ProviderRegister", "{\"name\":\"长者食堂{n}\",\"kind\":\"PROVIDER_KIND_BUSINESS\","
                                       "\"category\":\"PROVIDER_CATEGORY_MEALS\",\"skills\":[\"meals\"],"
                                       "\"community_code\":\"370205001001\",\"zone_codes\":[\"37020500100101\"],"
                                       "\"capacity\":2,\"contact_name\":\"赵\",\"active\":true}" },
    { "volunteer", "VisitRecord", "{\"staff_id\":\"{S1}\",\"household_code\":\"{H1}\",\"kind\":\"CONTACT_KIND_VISIT\","
                                  "\"note\":\"走访\",\"help_given\":\"米面油\"}" },
    /* What followed the suite's first visit (VisitRecord's, made before it). */
    { "volunteer", "VisitFollowUpAdd", "{\"visit_id\":\"W00000001\",\"note\":\"已联系社区跟进\"}" },
    { "evaluation", "KpiDefine", "{\"code\":\"k_{n}\",\"name\":\"指标\",\"numerator\":\"#{households}\","
                                 "\"unit_label\":\"%\",\"description\":\"说明\"}" },
    { "evaluation", "InputRecord", "{\"input\":\"activity_budget\",\"unit_code\":\"370205001001\",\"period\":\"{Y}\","
                                   "\"value\":27000,\"note\":\"预算\"}" },
};

static const char *const create_suffixes[] = { "Create", "Register", "Put", "Submit", "Record", "Define", "Post",
                                              "Add", "Grant", "Assign", NULL };

static char long_utf8[6001];
static const char *nasty[] = {
    "'; DROP TABLE household; --",
    "Robert'); DELETE FROM event_log WHERE ('1'='1",
    "tab\there\nnew line\r\x01\x02\x1b[31mred\x7f\x08 bell\x07",
    "\"double\" 'single' `back` \xe2\x80\x9cquoted\xe2\x80\x9d",
    "back\\slash \\' \\\" \\\\ \\x00 \\n E'\\\\'",
    "100% %s %n %d %% _ * ? $1 $$ :name",
    "<script>alert(1)</script>{\"json\":[1,2]}",
    "四方区\xf0\x9f\x8f\xa0 e\xcc\x81 \xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf",
    long_utf8,
};
#define N_NASTY (sizeof nasty / sizeof *nasty)

static const char *
baseline_of(const char *service, const char *method)
{
    for (size_t i = 0; i < sizeof baselines / sizeof *baselines; i++)
        if (strcmp(baselines[i].service, service) == 0 && strcmp(baselines[i].method, method) == 0)
            return baselines[i].json;
    return NULL;
}

/* The baseline with its placeholders filled in. */
static void
fill(const char *template, char *out, size_t size)
{
    size_t length = 0;
    int n = counter++;
    for (const char *p = template; *p && length + 40 < size;) {
        const struct { const char *name; char value[40]; } names[] = {
            { "{n3}", "" }, { "{n}", "" }, { "{H1}", "" }, { "{R1}", "" }, { "{S1}", "" }, { "{Y}", "" },
            { "{V1}", "" }, { "{D}", "" },
        };
        int matched = -1;
        for (int k = 0; k < 8 && matched < 0; k++)
            if (strncmp(p, names[k].name, strlen(names[k].name)) == 0)
                matched = k;
        if (matched < 0) {
            out[length++] = *p++;
            continue;
        }
        p += strlen(names[matched].name);
        const hs_district_t *d = &suite.district;
        switch (matched) {
        case 0: length += (size_t) snprintf(out + length, size - length, "%03d", n % 1000); break;
        case 1: length += (size_t) snprintf(out + length, size - length, "%d", n); break;
        case 2: length += (size_t) snprintf(out + length, size - length, "%s", d->households[0][n % HS_MAX_HOUSEHOLDS]); break;
        case 3: length += (size_t) snprintf(out + length, size - length, "%s", d->residents[0][n % HS_MAX_HOUSEHOLDS]); break;
        case 4: length += (size_t) snprintf(out + length, size - length, "%s", d->staff[0]); break;
        case 5: length += (size_t) snprintf(out + length, size - length, "%s", year); break;
        case 6: length += (size_t) snprintf(out + length, size - length, "%s", volunteer_id); break;
        default: length += (size_t) snprintf(out + length, size - length, "%s", today); break;
        }
    }
    out[length] = 0;
}

/* Every string field path of a message ("requester.name",
 * "required_materials[]"), down to depth 3. */
#define MAX_PATHS 96
static int
string_paths(const ProtobufCMessageDescriptor *descriptor, const char *prefix, char paths[][128], int n, int depth)
{
    for (unsigned i = 0; i < descriptor->n_fields && n < MAX_PATHS; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[i];
        char path[100];
        if (strlen(prefix) + strlen(field->name) + 2 > sizeof path)
            continue;
        snprintf(path, sizeof path, "%.60s%s%.37s", prefix, *prefix ? "." : "", field->name);
        if (field->type == PROTOBUF_C_TYPE_STRING)
            snprintf(paths[n++], 128, "%.100s%s", path, field->label == PROTOBUF_C_LABEL_REPEATED ? "[]" : "");
        else if (field->type == PROTOBUF_C_TYPE_MESSAGE && field->label != PROTOBUF_C_LABEL_REPEATED && depth < 3)
            n = string_paths(field->descriptor, path, paths, n, depth + 1);
    }
    return n;
}

/* Sets the value at path in json, making the objects on the way. */
static void
set_path(cJSON *json, const char *path, const char *value)
{
    char copy[128];
    size_t copied = strnlen(path, sizeof copy - 1);
    memcpy(copy, path, copied);
    copy[copied] = 0;
    char *dot, *name = copy;
    while ((dot = strchr(name, '.'))) {
        *dot = 0;
        cJSON *child = cJSON_GetObjectItemCaseSensitive(json, name);
        if (!cJSON_IsObject(child)) {
            cJSON_DeleteItemFromObjectCaseSensitive(json, name);
            child = cJSON_AddObjectToObject(json, name);
        }
        json = child;
        name = dot + 1;
    }
    size_t length = strlen(name);
    bool repeated = length > 2 && strcmp(name + length - 2, "[]") == 0;
    if (repeated)
        name[length - 2] = 0;
    cJSON_DeleteItemFromObjectCaseSensitive(json, name);
    if (repeated) {
        cJSON *array = cJSON_AddArrayToObject(json, name);
        cJSON_AddItemToArray(array, cJSON_CreateString(value));
    } else
        cJSON_AddStringToObject(json, name, value);
}

/* The string at path in json (NULL when absent). */
static const char *
get_path(const cJSON *json, const char *path)
{
    char copy[128];
    size_t copied = strnlen(path, sizeof copy - 1);
    memcpy(copy, path, copied);
    copy[copied] = 0;
    char *dot, *name = copy;
    while (json && (dot = strchr(name, '.'))) {
        *dot = 0;
        json = cJSON_GetObjectItemCaseSensitive(json, name);
        name = dot + 1;
    }
    size_t length = strlen(name);
    bool repeated = length > 2 && strcmp(name + length - 2, "[]") == 0;
    if (repeated)
        name[length - 2] = 0;
    const cJSON *item = json ? cJSON_GetObjectItemCaseSensitive(json, name) : NULL;
    if (repeated)
        item = cJSON_IsArray(item) ? cJSON_GetArrayItem(item, 0) : NULL;
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* The Get method answering the created thing's type, with its request made
 * from the reply's fields of the same names. */
static const ProtobufCMethodDescriptor *
get_for(const ProtobufCServiceDescriptor *service, const ProtobufCMethodDescriptor *create)
{
    for (unsigned i = 0; i < service->n_methods; i++) {
        const ProtobufCMethodDescriptor *m = &service->methods[i];
        size_t length = strlen(m->name);
        if (length > 3 && strcmp(m->name + length - 3, "Get") == 0 && m->output == create->output)
            return m;
    }
    return NULL;
}

static cJSON *
get_request(const ProtobufCMethodDescriptor *get, const cJSON *reply)
{
    cJSON *request = cJSON_CreateObject();
    for (unsigned i = 0; i < get->input->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &get->input->fields[i];
        if (strcmp(field->name, "expected_version") == 0)
            continue;
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(reply, field->name);
        if (value && (cJSON_IsString(value) || cJSON_IsNumber(value) || cJSON_IsRaw(value)))
            cJSON_AddItemToObject(request, field->name, cJSON_Duplicate(value, true));
    }
    return request;
}

static bool
is_phone_or_id_number(const char *path)
{
    const char *last = strrchr(path, '.');
    last = last ? last + 1 : path;
    return strcmp(last, "phone") == 0 || strcmp(last, "id_number") == 0;
}

typedef struct {
    int attempts, echoed, got_back, ignored, refused_invalid, refused_other, failures;
} tally_t;

/* A value that came back other than sent: altered (escaped, cut, mangled:
 * it still carries part of what was sent) or ignored (an output-only field,
 * assigned or derived by the service: nothing of what was sent). */
static bool
altered(const char *sent, const char *back)
{
    if (!*back)
        return false;
    char head[7];
    size_t n = strnlen(sent, 6);
    memcpy(head, sent, n);
    head[n] = 0;
    return strstr(back, head) != NULL || (strlen(back) >= 4 && strstr(sent, back) != NULL);
}

static void
try_value(sf_client_t *client, const char *service, const ProtobufCServiceDescriptor *descriptor,
          const ProtobufCMethodDescriptor *method, const char *template, const char *path, size_t v, tally_t *tally)
{
    char text[4096];
    fill(template, text, sizeof text);
    cJSON *request = cJSON_Parse(text);
    set_path(request, path, nasty[v]);
    char *json = cJSON_PrintUnformatted(request);
    cJSON_Delete(request);
    cJSON *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = hs_call(client, service, method->name, NULL, json, &reply, &info);
    tally->attempts++;
    switch (status) {
    case SF_OK: {
        const char *back = get_path(reply, path);
        if (back && strcmp(back, nasty[v]) == 0)
            tally->echoed++;
        else if (back && !altered(nasty[v], back))
            tally->ignored++;
        else if (back && !is_phone_or_id_number(path)) {
            SF_FAIL("%s.%s %s = value %zu: stored, but the reply has \"%.60s\"", service, method->name, path, v, back);
            tally->failures++;
        }
        const ProtobufCMethodDescriptor *get = get_for(descriptor, method);
        if (get) {
            cJSON *get_json = get_request(get, reply);
            char *get_text = cJSON_PrintUnformatted(get_json);
            cJSON *got = NULL;
            if (hs_call(client, service, get->name, NULL, get_text, &got, &info) == SF_OK) {
                const char *again = get_path(got, path);
                if (again && strcmp(again, nasty[v]) == 0)
                    tally->got_back++;
                else if (again && altered(nasty[v], again) && !is_phone_or_id_number(path)) {
                    SF_FAIL("%s.%s %s = value %zu: %s returns \"%.60s\"", service, method->name, path, v, get->name,
                            again);
                    tally->failures++;
                }
            }
            cJSON_Delete(got);
            free(get_text);
            cJSON_Delete(get_json);
        }
        break;
    }
    case SF_INVALID_ARGUMENT:
        if (info.n_violations == 0) {
            SF_FAIL("%s.%s %s = value %zu: INVALID_ARGUMENT without a field: %s", service, method->name, path, v,
                    info.message);
            tally->failures++;
        } else
            tally->refused_invalid++;
        break;
    case SF_NOT_FOUND: case SF_FAILED_PRECONDITION: case SF_ALREADY_EXISTS: case SF_OUT_OF_RANGE:
        tally->refused_other++;
        break;
    default:
        SF_FAIL("%s.%s %s = value %zu: %s: %s", service, method->name, path, v, sf_status_name(status),
                info.message ? info.message : "");
        tally->failures++;
    }
    cJSON_Delete(reply);
    free(json);
}

/* The NUL the next try sends, written into the JSON as a marker of the same
 * length (JSON, C strings and the codec stop at a real one) and put in
 * place in the packed bytes. */
static const char nul_marker[] = "Wire~\x7fjunk";
static const char nul_value[] = "Wire\0\x07junk";

static long long
events_written(void)
{
    return sf_test_pg_int(suite.db, "SELECT (SELECT count(*) FROM grid.event_log) + (SELECT count(*) FROM "
                                    "intake.event_log) + (SELECT count(*) FROM employment.event_log) + (SELECT "
                                    "count(*) FROM volunteer.event_log) + (SELECT count(*) FROM evaluation.event_log)");
}

static void
try_nul(sf_client_t *client, const char *service, const ProtobufCMethodDescriptor *method, const char *template,
        const char *path, int *refused)
{
    char text[4096];
    fill(template, text, sizeof text);
    cJSON *request = cJSON_Parse(text);
    set_path(request, path, nul_marker);
    char *json = cJSON_PrintUnformatted(request);
    cJSON_Delete(request);
    char field[128], error[256];
    ProtobufCMessage *message = sf_json_parse_message(method->input, json, strlen(json), field, sizeof field, error,
                                                      sizeof error);
    free(json);
    if (!SF_CHECK(message != NULL)) {
        printf("%s.%s %s: %s: %s\n", service, method->name, path, field, error);
        return;
    }
    size_t size = protobuf_c_message_get_packed_size(message);
    uint8_t *packed = malloc(size);
    protobuf_c_message_pack(message, packed);
    protobuf_c_message_free_unpacked(message, NULL);
    uint8_t *at = memmem(packed, size, nul_marker, sizeof nul_marker - 1);
    if (SF_CHECK(at != NULL)) {
        memcpy(at, nul_value, sizeof nul_value - 1);
        /* The field as a refusal names it: "required_materials[0]". */
        char expected[132];
        size_t length = strnlen(path, 127);   /* paths are ASCII field names, under 100 bytes */
        memcpy(expected, path, length);
        expected[length] = 0;
        char *brackets = strstr(expected, "[]");
        if (brackets)
            memcpy(brackets, "[0]", 4);
        void *body = NULL;
        size_t body_size = 0;
        sf_reply_info_t info;
        sf_status_t status = sf_client_call_raw(client, method->name, NULL, packed, size, &body, &body_size, &info);
        bool named = info.n_violations == 1 && strcmp(info.violation_fields[0], expected) == 0
            && strstr(info.message, expected) != NULL;
        if (!SF_CHECK(status == SF_INVALID_ARGUMENT && named))
            printf("%s.%s %s with a NUL: %s %s (%s)\n", service, method->name, expected, sf_status_name(status),
                   info.message ? info.message : "", info.n_violations ? info.violation_fields[0] : "no field");
        else
            (*refused)++;
        free(body);
    }
    free(packed);
}

static bool
is_create(const char *name)
{
    for (size_t i = 0; create_suffixes[i]; i++) {
        size_t a = strlen(name), b = strlen(create_suffixes[i]);
        if (a > b && strcmp(name + a - b, create_suffixes[i]) == 0)
            return true;
    }
    return false;
}

int
main(void)
{
    for (size_t i = 0; i + 6 <= sizeof long_utf8 - 1; i += 6)
        memcpy(long_utf8 + i, "四方", 6);
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(year, sizeof year, "%04d", (tm.tm_year + 1900) % 10000);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    if (!hs_init(&suite, "security_text_test", true, NULL) || !hs_start_all(&suite) || !hs_load_district(&suite))
        goto done;
    /* What the baselines refer to: a department intake knows, a volunteer. */
    HS_MUST(suite.admin[HS_GRID], "grid", "DepartmentCreate", "{\"code\":\"civil-affairs\",\"name\":\"民政局\"}", NULL);
    for (int waited = 0; waited < 10000; waited += 100) {
        if (sf_test_pg_int(suite.db, "SELECT count(*) FROM intake.ref_department") > 0)
            break;
        struct timespec pause = { 0, 100000000L };
        nanosleep(&pause, NULL);
    }
    char json[256];
    cJSON *reply = NULL;
    snprintf(json, sizeof json, "{\"resident_id\":\"%s\"}", suite.district.residents[0][7]);
    if (HS_MUST(suite.admin[HS_VOLUNTEER], "volunteer", "VolunteerRegister", json, &reply) == SF_OK)
        snprintf(volunteer_id, sizeof volunteer_id, "%s", hs_text(reply, "id"));
    cJSON_Delete(reply);
    /* NUL first, while the district's events are settled: nothing may be
     * written. */
    long long events_before = events_written();
    int nul_tries = 0, nul_refused = 0;
    for (int s = 0; s < HS_N; s++) {
        const ProtobufCServiceDescriptor *descriptor = sf_registry_service(hs_services[s]);
        for (unsigned m = 0; descriptor && m < descriptor->n_methods; m++) {
            const ProtobufCMethodDescriptor *method = &descriptor->methods[m];
            if (!is_create(method->name))
                continue;
            const char *baseline = baseline_of(hs_services[s], method->name);
            char paths[MAX_PATHS][128];
            int n_paths = string_paths(method->input, "", paths, 0, 0);
            for (int p = 0; p < n_paths; p++, nul_tries++)
                try_nul(suite.admin[s], hs_services[s], method, baseline ? baseline : "{}", paths[p], &nul_refused);
        }
    }
    SF_CHECK_EQ_INT(events_written(), events_before);
    printf("NUL: %d string fields of create methods, %d refused naming the field, %lld events written\n", nul_tries,
           nul_refused, events_written() - events_before);
    SF_CHECK(nul_tries >= 100 && nul_refused == nul_tries);

    long long households = sf_test_pg_int(suite.db, "SELECT count(*) FROM grid.household");
    int methods = 0, with_baseline = 0, total = 0, echoed = 0;
    printf("%-36s %6s %6s %7s %6s %7s %8s %6s %5s\n", "method", "fields", "tries", "echoed", "got", "ignored",
           "invalid", "other", "fail");
    for (int s = 0; s < HS_N; s++) {
        const ProtobufCServiceDescriptor *descriptor = sf_registry_service(hs_services[s]);
        for (unsigned m = 0; descriptor && m < descriptor->n_methods; m++) {
            const ProtobufCMethodDescriptor *method = &descriptor->methods[m];
            if (!is_create(method->name))
                continue;
            const char *baseline = baseline_of(hs_services[s], method->name);
            char text[4096];
            if (baseline) {
                /* The baseline itself must go through, or the rest proves little. */
                fill(baseline, text, sizeof text);
                sf_reply_info_t info;
                sf_status_t status = hs_call(suite.admin[s], hs_services[s], method->name, NULL, text, NULL, &info);
                if (!SF_CHECK_EQ_INT(status, SF_OK))
                    printf("%s.%s baseline %s: %s %s %s\n", hs_services[s], method->name, text,
                           sf_status_name(status), info.message, info.n_violations ? info.violation_fields[0] : "");
                with_baseline++;
            }
            char paths[MAX_PATHS][128];
            int n_paths = string_paths(method->input, "", paths, 0, 0);
            tally_t tally = { 0 };
            for (int p = 0; p < n_paths; p++)
                for (size_t v = 0; v < N_NASTY; v++)
                    try_value(suite.admin[s], hs_services[s], descriptor, method, baseline ? baseline : "{}", paths[p],
                              v, &tally);
            char name[160];
            snprintf(name, sizeof name, "%s.%s%s", hs_services[s], method->name, baseline ? "" : " (empty)");
            printf("%-36s %6d %6d %7d %6d %7d %8d %6d %5d\n", name, n_paths, tally.attempts, tally.echoed,
                   tally.got_back, tally.ignored, tally.refused_invalid, tally.refused_other, tally.failures);
            methods++;
            total += tally.attempts;
            echoed += tally.echoed;
        }
        if (!SF_CHECK(sf_test_daemon_running(suite.daemons[s].daemon)))
            printf("%s died\n", hs_services[s]);
    }
    /* Nothing was dropped or deleted by the text. */
    SF_CHECK(sf_test_pg_int(suite.db, "SELECT count(*) FROM grid.household") >= households);
    SF_CHECK(sf_test_pg_int(suite.db, "SELECT count(*) FROM grid.event_log") > 0);
    for (int s = 0; s < HS_N; s++)
        SF_CHECK(sf_test_wait_database(suite.admin[s], 5000));
    printf("text: %d create methods (%d with a baseline), %d requests, %d values stored and echoed byte for byte\n",
           methods, with_baseline, total, echoed);
    SF_CHECK(methods >= 30 && echoed > 100);
done:
    hs_finish(&suite);
    return sf_test_done();
}
