/* What employment's tests share: the daemons (grid and employment) on free
 * ports, calls written as JSON (any method, by name, through the real
 * protobuf client), replies read as cJSON, and a small grid district to
 * follow. */
#ifndef EMP_TEST_H
#define EMP_TEST_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "sf_client.h"
#include "sf_test.h"

typedef struct {
    char *grid_endpoint, *grid_publish;
    char *employment_endpoint, *employment_publish;
    char dir[512];
    char grid_log[600], employment_log[600];
    sf_test_daemon_t *grid;
    sf_test_daemon_t *employment;
} emp_daemons_t;

/* A directory for logs and the daemons' ipc endpoints; nothing started. */
int emp_daemons_init(emp_daemons_t *self);
/* extra: NULL-terminated NAME=VALUE for employment (may be NULL). */
sf_test_daemon_t *emp_start_grid(emp_daemons_t *self);
sf_test_daemon_t *emp_start_employment(emp_daemons_t *self, const char *const *extra);
void emp_daemons_cleanup(emp_daemons_t *self);

/* The outcome of a call: status, the first violation's field, the reply as
 * JSON (NULL unless OK; owned here until the next call). */
typedef struct {
    sf_status_t status;
    char field[128];
    char message[512];
    cJSON *reply;
} emp_result_t;

/* Calls service's method with the request written as JSON (printf-style).
 * Returns the status; *out (may be NULL) keeps the rest until the next call
 * with the same out. */
sf_status_t emp_jcall(sf_client_t *client, const char *service, const char *method, emp_result_t *out,
                      const char *format, ...) __attribute__((format(printf, 5, 6)));
void emp_result_release(emp_result_t *result);

/* A value in a reply by a path such as "matches[0].vacancy.id" (NULL, "" or
 * 0 when absent). */
const cJSON *emp_json_at(const cJSON *json, const char *path);
const char *emp_json_str(const cJSON *json, const char *path);
long long emp_json_int(const cJSON *json, const char *path);
double emp_json_num(const cJSON *json, const char *path);
int emp_json_len(const cJSON *json, const char *path);

/* A client with a principal (id, role, scope). */
sf_client_t *emp_client(const char *endpoint, const char *id, const char *role, const char *scope);

/* Waits up to timeout_ms until sql (an integer) reaches want. */
bool emp_wait_for(PGconn *db, const char *sql, long long want, int timeout_ms);

#endif
