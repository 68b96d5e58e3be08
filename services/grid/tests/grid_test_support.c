/* What grid's integration tests share: a fresh schema, the identity number
 * hash key the daemon is started with, and waiting for its database. */
#include "grid_test_support.h"
#include "sf_test.h"
#include "sf_config.h"
#include "sf_json.h"
#include "sifang/v1/sys.pb-c.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
grid_test_prepare(PGconn *db, const char *schema, const char *dir, char *key_env,
                  size_t key_env_size)
{
    char sql[256], key_path[512];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    sf_test_pg_exec(db, sql);
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s AUTHORIZATION sifang_grid", schema);
    if (!SF_CHECK_EQ_INT(sf_test_pg_exec(db, sql), 0))
        return -1;
    snprintf(key_path, sizeof key_path, "%s/id_hash.key", dir);
    FILE *key = fopen(key_path, "w");
    if (!SF_CHECK(key != NULL))
        return -1;
    fputs("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", key);
    fclose(key);
    snprintf(key_env, key_env_size, "SIFANG_GRID_ID_HASH_KEY_FILE=%s", key_path);
    return 0;
}

int
grid_test_done(const char *dir)
{
    if (sf_test_failures() == 0)
        sf_test_rmtree(dir);
    else
        fprintf(stderr, "daemon logs kept in %s\n", dir);
    return sf_test_done();
}

void
grid_test_fingerprint(PGconn *db, const char *rows_sql, char *out, size_t size)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM grid.event_log) || ',' || COALESCE((SELECT"
             " md5(string_agg(t, ';' ORDER BY t)) FROM (%s) rows), '')", rows_sql);
    PGresult *result = PQexec(db, sql);
    snprintf(out, size, "%s", PQresultStatus(result) == PGRES_TUPLES_OK ? PQgetvalue(result, 0, 0) : "?");
    PQclear(result);
}

void
grid_test_refused(PGconn *db, const char *rows_sql, sf_client_t *client, const char *method, const void *request,
                  sf_status_t expected, const char *field, int line)
{
    char before[128], after[128];
    grid_test_fingerprint(db, rows_sql, before, sizeof before);
    sf_reply_info_t info;
    ProtobufCMessage *reply = NULL;
    sf_status_t status = sf_client_call(client, method, NULL, (const ProtobufCMessage *) request, NULL, &reply,
                                        &info);
    bool named = !field;
    for (size_t i = 0; field && i < info.n_violations; i++)
        named = named || strcmp(info.violation_fields[i], field) == 0;
    if (status != expected || !named)
        SF_FAIL("line %d: %s: expected %s on %s, got %s (%s, first field %s)", line, method,
                sf_status_name(expected), field ? field : "no field", sf_status_name(status),
                info.message ? info.message : "", info.n_violations ? info.violation_fields[0] : "none");
    else
        SF_CHECK(true);
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    grid_test_fingerprint(db, rows_sql, after, sizeof after);
    if (strcmp(before, after) != 0)
        SF_FAIL("line %d: %s was refused but the tables changed", line, method);
}

ProtobufCMessage *
grid_test_event_after(sf_client_t *admin, int64_t head, const char *type, const char *key,
                      const ProtobufCMessageDescriptor *descriptor)
{
    Sifang__V1__EventsFetchRequest fetch = SIFANG__V1__EVENTS_FETCH_REQUEST__INIT;
    fetch.after = head;
    Sifang__V1__EventsFetchReply *reply = NULL;
    sf_reply_info_t info;
    if (!SF_CHECK_EQ_INT(sf_client_call(admin, "Sys.EventsFetch", NULL, &fetch.base,
                                        &sifang__v1__events_fetch_reply__descriptor, (ProtobufCMessage **) &reply,
                                        &info), SF_OK))
        return NULL;
    ProtobufCMessage *found = NULL;
    int n = 0;
    for (size_t i = 0; i < reply->n_events; i++) {
        const Sifang__V1__Event *event = reply->events[i];
        if (strcmp(event->type, type) == 0 && strcmp(event->key, key) == 0 && n++ == 0)
            found = protobuf_c_message_unpack(descriptor, NULL, event->payload.len, event->payload.data);
    }
    SF_CHECK_EQ_INT(n, 1);
    protobuf_c_message_free_unpacked(&reply->base, NULL);
    return found;
}

bool
grid_test_same_message(const char *what, const ProtobufCMessage *got, const ProtobufCMessage *want)
{
    char *a = got ? sf_json_print_message(got, false) : NULL;
    char *b = want ? sf_json_print_message(want, false) : NULL;
    bool same = SF_CHECK(a && b && strcmp(a, b) == 0);
    if (!same)
        printf("%s differs:\n  got  %s\n  want %s\n", what, a ? a : "(none)", b ? b : "(none)");
    free(a);
    free(b);
    return same;
}

ProtobufCMessage *
grid_test_message_in_sql(PGconn *db, const ProtobufCMessageDescriptor *descriptor, const char *sql)
{
    PGresult *result = PQexec(db, sql);
    ProtobufCMessage *message = NULL;
    if (SF_CHECK(PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1)) {
        char field[128], error[256];
        const char *text = PQgetvalue(result, 0, 0);
        message = sf_json_parse_message(descriptor, text, strlen(text), field, sizeof field, error, sizeof error);
        if (!SF_CHECK(message != NULL))
            printf("cannot read %s: %s %s\n", text, field, error);
    } else
        printf("%s: %s\n", sql, PQresultErrorMessage(result));
    PQclear(result);
    return message;
}
