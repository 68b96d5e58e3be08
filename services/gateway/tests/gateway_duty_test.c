/* A person's grants from their duty, against a real grid and a real
 * PostgreSQL: each role's default scopes from the staff record and the
 * zones the person answers for, data scope overrides, an unknown or
 * inactive staff record reaching nothing, and a responsibility removed in
 * grid leaving the person's grants at the next poll of grid's events (not a
 * minute later). */
#include "gateway_duty.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sf_json.h"
#include "sf_registry.h"
#include "sf_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STREET "370205001"
#define COMMUNITY "370205001001"
#define ZONE_A "37020500100101"
#define ZONE_B "37020500100102"

static char dir[256];
static sf_client_t *grid_admin;

/* Calls grid's method with a request written as JSON; the reply's JSON
 * text (malloc'd) on SF_OK, else NULL with the check failed. */
static cJSON *
grid_call(const char *method, const char *json, int line)
{
    const ProtobufCMethodDescriptor *rpc = sf_registry_method("grid", method);
    cJSON *parsed = cJSON_Parse(json);
    char field[64] = "", error[256] = "";
    ProtobufCMessage *request = rpc && parsed ? sf_json_to_message(rpc->input, parsed, field, sizeof field,
                                                                   error, sizeof error) : NULL;
    cJSON_Delete(parsed);
    if (!request) {
        SF_FAIL("line %d: %s request does not build: %s %s", line, method, field, error);
        return NULL;
    }
    ProtobufCMessage *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(grid_admin, method, NULL, request, rpc->output, &reply, &info);
    protobuf_c_message_free_unpacked(request, NULL);
    if (status != SF_OK) {
        SF_FAIL("line %d: %s: %s %s", line, method, sf_status_name(status), info.message ? info.message : "");
        return NULL;
    }
    cJSON *out = sf_json_from_message(reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return out;
}
#define GRID(method, json) grid_call(method, json, __LINE__)

/* A staff member's id, made in grid. */
static void
create_staff(const char *name, int kind, const char *unit, const char *department, char id[32])
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"name\":\"%s\",\"kind\":%d,\"unit_code\":\"%s\",\"department_code\":\"%s\",\"phone\":\"13812345678\"}",
             name, kind, unit, department);
    cJSON *staff = GRID("StaffCreate", json);
    const cJSON *got = cJSON_GetObjectItemCaseSensitive(staff, "id");
    snprintf(id, 32, "%s", cJSON_IsString(got) ? got->valuestring : "");
    cJSON_Delete(staff);
}

static void
account_role(gateway_account_t *account, const char *role, const char *data_scope, const char *unit)
{
    gateway_account_role_t *r = &account->roles[account->n_roles++];
    memset(r, 0, sizeof *r);
    snprintf(r->role, sizeof r->role, "%s", role);
    snprintf(r->data_scope, sizeof r->data_scope, "%s", data_scope ? data_scope : "");
    if (unit)
        snprintf(r->units[r->n_units++], sizeof r->units[0], "%s", unit);
}

static void
account_init(gateway_account_t *account, const char *login, const char *staff_id, const char *department)
{
    memset(account, 0, sizeof *account);
    snprintf(account->login, sizeof account->login, "%s", login);
    snprintf(account->staff_id, sizeof account->staff_id, "%s", staff_id);
    snprintf(account->department_code, sizeof account->department_code, "%s", department ? department : "");
    account->enabled = true;
}

/* The scope lists of a grant joined with commas: "view|write|search". */
static void
grant_text(const Sifang__V1__Grant *grant, char *out, size_t size)
{
    size_t at = 0;
    out[0] = 0;
    char **lists[] = { grant->view, grant->write, grant->search };
    size_t counts[] = { grant->n_view, grant->n_write, grant->n_search };
    for (int l = 0; l < 3; l++) {
        for (size_t i = 0; i < counts[l]; i++)
            at += (size_t) snprintf(out + at, size - at, "%s%s", i ? "," : "", lists[l][i]);
        if (l < 2)
            at += (size_t) snprintf(out + at, size - at, "|");
    }
}

/* Resolves account and checks the principal: id, role, account,
 * department, and each grant as "role:view|write|search". */
static void
expect_principal(gateway_duty_t *duty, const gateway_account_t *account, const char *id, const char *department,
                 const char *const *grants, size_t n_grants, int line)
{
    gateway_principal_t principal;
    gateway_error_t error;
    memset(&error, 0, sizeof error);
    if (gateway_duty_principal(duty, account, &principal, &error) != 0) {
        SF_FAIL("line %d: no principal for %s: %s", line, account->login, error.message);
        return;
    }
    Sifang__V1__Principal *person = sifang__v1__principal__unpack(NULL, principal.person_size, principal.person);
    if (!person) {
        SF_FAIL("line %d: the packed principal does not decode", line);
        return;
    }
    SF_CHECK_EQ_STR(principal.id, id);
    SF_CHECK_EQ_STR(person->id, id);
    SF_CHECK_EQ_STR(person->role, account->roles[0].role);
    SF_CHECK_EQ_STR(person->account, account->login);
    SF_CHECK_EQ_STR(person->department, department);
    SF_CHECK_EQ_STR(person->scope, "");
    if (person->n_grants != n_grants)
        SF_FAIL("line %d: %zu grants, expected %zu", line, person->n_grants, n_grants);
    for (size_t i = 0; i < person->n_grants && i < n_grants; i++) {
        char text[1024], got[1100];
        grant_text(person->grants[i], text, sizeof text);
        snprintf(got, sizeof got, "%s:%s", person->grants[i]->role, text);
        if (strcmp(got, grants[i]) != 0)
            SF_FAIL("line %d: grant %zu is %s, expected %s", line, i, got, grants[i]);
        else
            SF_CHECK(true);
    }
    protobuf_c_message_free_unpacked(&person->base, NULL);
}
#define EXPECT_PRINCIPAL(duty, account, id, department, ...)                                              \
    do {                                                                                                  \
        const char *const expected_[] = { __VA_ARGS__ };                                                  \
        expect_principal(duty, account, id, department, expected_, sizeof expected_ / sizeof expected_[0], \
                         __LINE__);                                                                       \
    } while (0)

static void
pause_ms(int ms)
{
    struct timespec pause = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

int
main(void)
{
    if (sf_test_pg_env("gateway_duty_test") != 0 || sf_test_tmpdir(dir, sizeof dir) != 0)
        return sf_test_done();
    char *endpoint = sf_test_ipc_endpoint(dir, "grid");
    char *publish = sf_test_ipc_endpoint(dir, "grid-events");
    char endpoint_env[200], publish_env[200];
    snprintf(endpoint_env, sizeof endpoint_env, "SIFANG_GRID_ENDPOINT=%s", endpoint);
    snprintf(publish_env, sizeof publish_env, "SIFANG_GRID_PUBLISH=%s", publish);
    const char *env[] = { endpoint_env, publish_env, NULL };
    sf_test_daemon_t *grid = sf_test_service_start("grid", dir, env, 20000);
    setenv("SIFANG_GRID_ENDPOINT", endpoint, 1);
    grid_admin = sf_client_new(endpoint, NULL);
    if (!grid || !sf_test_wait_database(grid_admin, 20000)) {
        SF_FAIL("grid did not come up");
        goto done;
    }
    char error_text[256];
    gateway_upstream_t *upstream = gateway_upstream_new("grid", 2000, 1, error_text, sizeof error_text);
    gateway_duty_t *duty = upstream ? gateway_duty_new(upstream) : NULL;
    SF_CHECK(duty != NULL);
    if (!duty)
        goto done;
    gateway_duty_poll(duty, sf_clock_ms());   /* placed at grid's head */

    /* The grid: a street, a community, two zones; a department. */
    cJSON_Delete(GRID("UnitCreate", "{\"code\":\"370205\",\"kind\":1,\"name\":\"四方区\"}"));
    cJSON_Delete(GRID("UnitCreate", "{\"code\":\"" STREET "\",\"kind\":2,\"name\":\"海岸路街道\",\"parent_code\":\"370205\"}"));
    cJSON_Delete(GRID("UnitCreate", "{\"code\":\"" COMMUNITY "\",\"kind\":3,\"name\":\"海岸社区\",\"parent_code\":\"" STREET "\"}"));
    cJSON_Delete(GRID("UnitCreate", "{\"code\":\"" ZONE_A "\",\"kind\":4,\"name\":\"一网格\",\"parent_code\":\"" COMMUNITY
                      "\",\"location\":{\"lat\":36.1,\"lon\":120.37}}"));
    cJSON_Delete(GRID("UnitCreate", "{\"code\":\"" ZONE_B "\",\"kind\":4,\"name\":\"二网格\",\"parent_code\":\"" COMMUNITY
                      "\",\"location\":{\"lat\":36.1,\"lon\":120.38}}"));
    cJSON_Delete(GRID("DepartmentCreate", "{\"code\":\"civil-affairs\",\"name\":\"民政局\"}"));
    char cadre[32], clerk[32], official[32];
    create_staff("王网格", 1, STREET, "", cadre);
    create_staff("李窗口", 2, COMMUNITY, "", clerk);
    create_staff("赵科员", 4, "370205", "civil-affairs", official);
    char json[256];
    snprintf(json, sizeof json, "{\"staff_id\":\"%s\",\"unit_code\":\"" ZONE_A "\",\"kind\":1}", cadre);
    cJSON_Delete(GRID("ResponsibilityAssign", json));
    snprintf(json, sizeof json, "{\"staff_id\":\"%s\",\"unit_code\":\"" ZONE_B "\",\"kind\":1}", cadre);
    cJSON_Delete(GRID("ResponsibilityAssign", json));

    /* Each role's default scopes. */
    gateway_account_t account;
    account_init(&account, "wang.cadre", cadre, NULL);
    account_role(&account, "zone_cadre", NULL, NULL);
    account_role(&account, "volunteer_coordinator", NULL, NULL);
    EXPECT_PRINCIPAL(duty, &account, cadre, "",
                     "zone_cadre:" ZONE_A "," ZONE_B "|" ZONE_A "," ZONE_B "|" STREET,
                     "volunteer_coordinator:" STREET "|" STREET "|");
    account_init(&account, "li.clerk", clerk, NULL);
    account_role(&account, "window_clerk", NULL, NULL);
    account_role(&account, "employment_counsellor", NULL, NULL);
    account_role(&account, "leader", NULL, NULL);
    EXPECT_PRINCIPAL(duty, &account, clerk, "",
                     "window_clerk:" COMMUNITY "|" COMMUNITY "|*",
                     "employment_counsellor:" COMMUNITY "|" COMMUNITY "|*",
                     "leader:*||");
    /* The department comes from the staff record when the account has none. */
    account_init(&account, "zhao.dept", official, NULL);
    account_role(&account, "department_staff", NULL, NULL);
    account_role(&account, "appraisal_office", NULL, NULL);
    EXPECT_PRINCIPAL(duty, &account, official, "civil-affairs", "department_staff:*||", "appraisal_office:*|*|");
    /* No staff record: the administrator and the privacy officer reach no unit. */
    account_init(&account, "root", "", NULL);
    account_role(&account, "administrator", NULL, NULL);
    account_role(&account, "privacy_officer", NULL, NULL);
    EXPECT_PRINCIPAL(duty, &account, "acct:root", "", "administrator:||", "privacy_officer:||");
    /* A staff id grid does not know reaches nothing, whatever the role. */
    account_init(&account, "ghost", "S99999", NULL);
    account_role(&account, "street_staff", NULL, NULL);
    EXPECT_PRINCIPAL(duty, &account, "S99999", "", "street_staff:||");

    /* Data scope overrides replace view and write. */
    account_init(&account, "li.clerk", clerk, NULL);
    account_role(&account, "window_clerk", "own_records", NULL);
    account_role(&account, "community_staff", "own_unit", NULL);
    account_role(&account, "street_staff", "units", ZONE_B);
    account_role(&account, "employment_counsellor", "all", NULL);
    EXPECT_PRINCIPAL(duty, &account, clerk, "", "window_clerk:||*", "community_staff:=" COMMUNITY "|=" COMMUNITY "|*",
                     "street_staff:" ZONE_B "|" ZONE_B "|*", "employment_counsellor:*|*|*");

    /* An account without roles has no principal. */
    account_init(&account, "empty", clerk, NULL);
    gateway_principal_t principal;
    gateway_error_t error;
    memset(&error, 0, sizeof error);
    SF_CHECK(gateway_duty_principal(duty, &account, &principal, &error) == -1);
    SF_CHECK_EQ_INT(error.status, SF_FAILED_PRECONDITION);

    /* Grid removes a zone from the cadre: the cached duty goes at the next
     * poll of grid's events, well within a minute. */
    account_init(&account, "wang.cadre", cadre, NULL);
    account_role(&account, "zone_cadre", NULL, NULL);
    EXPECT_PRINCIPAL(duty, &account, cadre, "", "zone_cadre:" ZONE_A "," ZONE_B "|" ZONE_A "," ZONE_B "|" STREET);
    snprintf(json, sizeof json, "{\"staff_id\":\"%s\",\"unit_code\":\"" ZONE_A "\",\"kind\":1}", cadre);
    cJSON_Delete(GRID("ResponsibilityRemove", json));
    /* Before the poll the cache still holds (this is what the poll is for). */
    EXPECT_PRINCIPAL(duty, &account, cadre, "", "zone_cadre:" ZONE_A "," ZONE_B "|" ZONE_A "," ZONE_B "|" STREET);
    pause_ms(10);
    gateway_duty_poll(duty, sf_clock_ms() + GATEWAY_DUTY_POLL_MS);
    EXPECT_PRINCIPAL(duty, &account, cadre, "", "zone_cadre:" ZONE_B "|" ZONE_B "|" STREET);
    /* The last zone removed and the staff record made inactive: nothing
     * reached any more, not even the search of their street. */
    snprintf(json, sizeof json, "{\"staff_id\":\"%s\",\"unit_code\":\"" ZONE_B "\",\"kind\":1}", cadre);
    cJSON_Delete(GRID("ResponsibilityRemove", json));
    snprintf(json, sizeof json, "{\"id\":\"%s\",\"set_active\":true,\"active\":false}", cadre);
    cJSON_Delete(GRID("StaffUpdate", json));
    gateway_duty_poll(duty, sf_clock_ms() + 2 * GATEWAY_DUTY_POLL_MS);
    EXPECT_PRINCIPAL(duty, &account, cadre, "", "zone_cadre:||");

    gateway_duty_destroy(&duty);
    gateway_upstream_destroy(&upstream);
done:
    sf_client_destroy(&grid_admin);
    sf_test_daemon_stop(&grid);
    free(endpoint);
    free(publish);
    if (sf_test_failures() == 0)
        sf_test_rmtree(dir);
    else
        fprintf(stderr, "gateway_duty_test: logs kept in %s\n", dir);
    return sf_test_done();
}
