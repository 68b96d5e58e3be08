/* Employment's test support: daemons on ipc endpoints in the test's directory, JSON calls, cJSON paths. */
#include "emp_test.h"
#include "sf_json.h"
#include "sf_registry.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
emp_daemons_init(emp_daemons_t *self)
{
    memset(self, 0, sizeof *self);
    if (sf_test_tmpdir(self->dir, sizeof self->dir) != 0)
        return -1;
    self->grid_endpoint = sf_test_ipc_endpoint(self->dir, "grid.router");
    self->grid_publish = sf_test_ipc_endpoint(self->dir, "grid.pub");
    self->employment_endpoint = sf_test_ipc_endpoint(self->dir, "employment.router");
    self->employment_publish = sf_test_ipc_endpoint(self->dir, "employment.pub");
    if (!self->grid_endpoint || !self->grid_publish || !self->employment_endpoint || !self->employment_publish)
        return -1;
    snprintf(self->grid_log, sizeof self->grid_log, "%s/grid.log", self->dir);
    snprintf(self->employment_log, sizeof self->employment_log, "%s/employment.log", self->dir);
    return 0;
}

sf_test_daemon_t *
emp_start_grid(emp_daemons_t *self)
{
    char path[512], endpoint[160], publish[160];
    sf_test_service_path(path, sizeof path, "grid");
    snprintf(endpoint, sizeof endpoint, "SIFANG_GRID_ENDPOINT=%s", self->grid_endpoint);
    snprintf(publish, sizeof publish, "SIFANG_GRID_PUBLISH=%s", self->grid_publish);
    const char *env[] = { endpoint, publish, "SIFANG_GRID_DATABASE_URL=user=sifang_grid", NULL };
    self->grid = sf_test_daemon_start(path, env, self->grid_log);
    if (self->grid && sf_test_daemon_wait_ready(self->grid, 15000) != 0)
        sf_test_daemon_kill(&self->grid);
    return self->grid;
}

sf_test_daemon_t *
emp_start_employment(emp_daemons_t *self, const char *const *extra)
{
    char path[512], endpoint[160], publish[160], grid[160], grid_publish[160];
    sf_test_service_path(path, sizeof path, "employment");
    snprintf(endpoint, sizeof endpoint, "SIFANG_EMPLOYMENT_ENDPOINT=%s", self->employment_endpoint);
    snprintf(publish, sizeof publish, "SIFANG_EMPLOYMENT_PUBLISH=%s", self->employment_publish);
    snprintf(grid, sizeof grid, "SIFANG_GRID_ENDPOINT=%s", self->grid_endpoint);
    snprintf(grid_publish, sizeof grid_publish, "SIFANG_GRID_PUBLISH=%s", self->grid_publish);
    const char *env[32] = { endpoint, publish, grid, grid_publish,
                            "SIFANG_EMPLOYMENT_DATABASE_URL=user=sifang_employment",
                            "SIFANG_EMPLOYMENT_GRID_POLL_MS=200", "SIFANG_CLIENT_TIMEOUT_MS=1000" };
    size_t n = 7;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    self->employment = sf_test_daemon_start(path, env, self->employment_log);
    if (self->employment && sf_test_daemon_wait_ready(self->employment, 15000) != 0)
        sf_test_daemon_kill(&self->employment);
    return self->employment;
}

void
emp_daemons_cleanup(emp_daemons_t *self)
{
    if (self->employment)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&self->employment), 0);
    if (self->grid)
        SF_CHECK_EQ_INT(sf_test_daemon_stop(&self->grid), 0);
    if (sf_test_failures() == 0 && self->dir[0])
        sf_test_rmtree(self->dir);
    else if (self->dir[0])
        fprintf(stderr, "logs kept in %s\n", self->dir);
    free(self->grid_endpoint);
    free(self->grid_publish);
    free(self->employment_endpoint);
    free(self->employment_publish);
}

void
emp_result_release(emp_result_t *result)
{
    if (result && result->reply) {
        cJSON_Delete(result->reply);
        result->reply = NULL;
    }
}

sf_status_t
emp_jcall(sf_client_t *client, const char *service, const char *method, emp_result_t *out, const char *format, ...)
{
    emp_result_t local;
    memset(&local, 0, sizeof local);
    emp_result_t *result = out ? out : &local;
    emp_result_release(result);
    result->field[0] = result->message[0] = 0;
    char *json = NULL;
    va_list args;
    va_start(args, format);
    int length = vasprintf(&json, format, args);
    va_end(args);
    if (length < 0)
        return SF_INTERNAL;
    const ProtobufCMethodDescriptor *descriptor = sf_registry_method(service, method);
    if (!descriptor) {
        free(json);
        SF_FAIL("no method %s.%s", service, method);
        return result->status = SF_INTERNAL;
    }
    char field[128] = "", error[256] = "";
    ProtobufCMessage *request = sf_json_parse_message(descriptor->input, json, (size_t) length, field,
                                                      sizeof field, error, sizeof error);
    if (!request) {
        SF_FAIL("%s: the test's JSON does not parse: %s: %s in %s", method, field, error, json);
        free(json);
        return result->status = SF_INTERNAL;
    }
    free(json);
    ProtobufCMessage *reply = NULL;
    sf_reply_info_t info;
    sf_status_t status = sf_client_call(client, method, NULL, request, descriptor->output, &reply, &info);
    protobuf_c_message_free_unpacked(request, NULL);
    result->status = status;
    snprintf(result->message, sizeof result->message, "%s", info.message ? info.message : "");
    if (info.n_violations)
        snprintf(result->field, sizeof result->field, "%s", info.violation_fields[0]);
    if (status == SF_OK && reply) {
        result->reply = sf_json_from_message(reply);
        protobuf_c_message_free_unpacked(reply, NULL);
    }
    if (!out)
        emp_result_release(&local);
    return status;
}

const cJSON *
emp_json_at(const cJSON *json, const char *path)
{
    char name[128];
    const char *p = path;
    while (json && *p) {
        size_t n = strcspn(p, ".[");
        if (n >= sizeof name)
            return NULL;
        memcpy(name, p, n);
        name[n] = 0;
        p += n;
        if (n)
            json = cJSON_GetObjectItemCaseSensitive(json, name);
        while (json && *p == '[') {
            int index = atoi(p + 1);
            json = cJSON_GetArrayItem(json, index);
            p = strchr(p, ']');
            if (!p)
                return NULL;
            p++;
        }
        if (*p == '.')
            p++;
    }
    return json;
}

const char *
emp_json_str(const cJSON *json, const char *path)
{
    const cJSON *value = emp_json_at(json, path);
    return cJSON_IsString(value) ? value->valuestring : "";
}

long long
emp_json_int(const cJSON *json, const char *path)
{
    const cJSON *value = emp_json_at(json, path);
    if (cJSON_IsNumber(value))
        return (long long) value->valuedouble;
    if (cJSON_IsRaw(value) || cJSON_IsString(value))
        return atoll(value->valuestring);
    return 0;
}

double
emp_json_num(const cJSON *json, const char *path)
{
    const cJSON *value = emp_json_at(json, path);
    if (cJSON_IsNumber(value))
        return value->valuedouble;
    if (cJSON_IsRaw(value))
        return atof(value->valuestring);
    return 0;
}

int
emp_json_len(const cJSON *json, const char *path)
{
    const cJSON *value = emp_json_at(json, path);
    return cJSON_IsArray(value) ? cJSON_GetArraySize(value) : 0;
}

sf_client_t *
emp_client(const char *endpoint, const char *id, const char *role, const char *scope)
{
    sf_client_t *client = sf_client_new(endpoint, NULL);
    if (client) {
        sf_client_set_principal(client, id, role, scope ? scope : "");
        sf_client_set_timeout(client, 20000);
        sf_client_set_retries(client, 1);
    }
    return client;
}

bool
emp_wait_for(PGconn *db, const char *sql, long long want, int timeout_ms)
{
    long long got = -1;
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        got = sf_test_pg_int(db, sql);
        if (got == want)
            return true;
        usleep(50000);
    }
    SF_FAIL("waited %d ms for %s = %lld, still %lld", timeout_ms, sql, want, got);
    return false;
}
