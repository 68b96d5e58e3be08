/* The notebook test service: notes in a table, written through the service
 * loop's batches, with methods that fail or dawdle on purpose. */
#include "notebook_service.h"
#include "sf_log.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

static const sf_migration_t notebook_migrations[] = {
    { 1, "notes",
      "CREATE TABLE note (\n"
      "  key    text PRIMARY KEY,\n"
      "  text   text NOT NULL,\n"
      "  serial bigserial NOT NULL\n"
      ");\n" },
    { 0, NULL, NULL },
};

static sf_status_t
insert_note(sf_call_t *call, const Sifang__Test__Note *note, Sifang__Test__Note **stored_p)
{
    if (!*note->key)
        sf_call_violation(call, "key", "is required");
    else if (strlen(note->key) > 64)
        sf_call_violation(call, "key", "at most 64 characters");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, note->key);
    sf_params_text(&params, note->text);
    PGresult *result = sf_call_query(call, "INSERT INTO note (key, text) VALUES ($1, $2) RETURNING serial", &params);
    if (!result)
        return sf_call_status(call);
    Sifang__Test__Note *stored = (Sifang__Test__Note *)
        sf_call_new_message(call, &sifang__test__note__descriptor);
    stored->key = sf_call_strdup(call, note->key);
    stored->text = sf_call_strdup(call, note->text);
    stored->serial = sf_db_int(result, 0, 0);
    *stored_p = stored;
    return SF_OK;
}

static sf_status_t
note_add(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    Sifang__Test__Note *stored = NULL;
    sf_status_t status = insert_note(call, (const Sifang__Test__Note *) request, &stored);
    if (status != SF_OK)
        return status;
    return sf_call_emit_reply(call, reply_p, "note.added", stored->key, &stored->base);
}

/* The fast path: every valid note of the run in one INSERT. A duplicate key
 * fails the statement, and with it the run: the server then runs each note
 * alone, and only the duplicate is refused. */
static sf_status_t
note_add_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies, size_t n)
{
    sf_pgarray_t keys, texts;
    sf_pgarray_init(&keys);
    sf_pgarray_init(&texts);
    size_t valid = 0;
    for (size_t i = 0; i < n; i++) {
        const Sifang__Test__Note *note = (const Sifang__Test__Note *) requests[i];
        if (!*note->key || strlen(note->key) > 64) {
            sf_call_violation(calls[i], "key", *note->key ? "at most 64 characters" : "is required");
            continue;
        }
        sf_pgarray_add_text(&keys, note->key);
        sf_pgarray_add_text(&texts, note->text);
        valid++;
    }
    sf_status_t status = SF_OK;
    if (valid) {
        sf_params_t params;
        sf_params_init(&params);
        sf_params_text(&params, sf_pgarray_text(&keys));
        sf_params_text(&params, sf_pgarray_text(&texts));
        PGresult *result = sf_call_query(calls[0],
            "INSERT INTO note (key, text) SELECT k, t FROM unnest($1::text[], $2::text[])"
            " WITH ORDINALITY AS r(k, t, o) ORDER BY o RETURNING key, serial", &params);
        if (!result)
            status = sf_call_status(calls[0]);
        for (int row = 0; result && row < PQntuples(result); row++) {
            const char *key = sf_db_text(result, row, 0);
            for (size_t i = 0; i < n; i++) {
                const Sifang__Test__Note *note = (const Sifang__Test__Note *) requests[i];
                if (replies[i] || sf_call_status(calls[i]) != SF_OK || strcmp(note->key, key) != 0)
                    continue;
                Sifang__Test__Note *stored = (Sifang__Test__Note *)
                    sf_call_new_message(calls[i], &sifang__test__note__descriptor);
                stored->key = sf_call_strdup(calls[i], note->key);
                stored->text = sf_call_strdup(calls[i], note->text);
                stored->serial = sf_db_int(result, row, 1);
                sf_call_emit(calls[i], "note.added", stored->key, &stored->base);
                replies[i] = &stored->base;
                break;
            }
        }
    }
    sf_pgarray_release(&keys);
    sf_pgarray_release(&texts);
    return status;
}

static sf_status_t
note_add_then_fail(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    (void) reply_p;
    Sifang__Test__Note *stored = NULL;
    sf_status_t status = insert_note(call, (const Sifang__Test__Note *) request, &stored);
    if (status != SF_OK)
        return status;
    sf_call_emit(call, "note.added", stored->key, &stored->base);
    /* The text echoed whole: a long one shows how a failure's message is cut. */
    return sf_call_fail(call, SF_FAILED_PRECONDITION, "changed its mind after writing \"%s\"", stored->text);
}

/* As employment's import lanes write: a fork of the call, on a connection
 * of its own, in a transaction of its own committed before the reply. */
static sf_status_t
note_add_elsewhere(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    sf_db_t *db = sf_server_new_db(sf_call_server(call));
    if (!db)
        return sf_call_fail(call, SF_INTERNAL, "out of memory");
    sf_call_group_events(call);
    sf_call_t *fork = sf_call_fork(call, db);
    Sifang__Test__Note *stored = NULL;
    sf_status_t status = SF_UNAVAILABLE;
    int64_t head = -1;
    if (sf_db_connect(db) && sf_db_begin(db)) {
        status = insert_note(fork, (const Sifang__Test__Note *) request, &stored);
        if (status == SF_OK) {
            for (int i = 0; i < 3; i++)
                sf_call_emit(fork, "note.added", stored->key, &stored->base);
            if (!sf_call_commit(fork, &head))
                status = SF_UNAVAILABLE;
        }
        if (status != SF_OK)
            sf_db_rollback(db);
    }
    sf_db_destroy(&db);
    if (status != SF_OK)
        return sf_call_fail(call, status, "not written elsewhere");
    sf_server_note_event_head(sf_call_server(call), head);
    *reply_p = &stored->base;
    return SF_OK;
}

static sf_status_t
note_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__Test__NoteKey *key = (const Sifang__Test__NoteKey *) request;
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, key->key);
    PGresult *result = sf_call_query(call, "SELECT key, text, serial FROM note WHERE key = $1", &params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) == 0)
        return sf_call_fail(call, SF_NOT_FOUND, "no note %s", key->key);
    Sifang__Test__Note *note = (Sifang__Test__Note *) sf_call_new_message(call, &sifang__test__note__descriptor);
    note->key = (char *) sf_db_text(result, 0, 0);
    note->text = (char *) sf_db_text(result, 0, 1);
    note->serial = sf_db_int(result, 0, 2);
    *reply_p = &note->base;
    return SF_OK;
}

static sf_status_t
note_count_all(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__Test__Pause *pause = (const Sifang__Test__Pause *) request;
    if (pause->ms > 0 && !pause->in_database) {
        struct timespec delay = { pause->ms / 1000, (long) (pause->ms % 1000) * 1000000L };
        nanosleep(&delay, NULL);
    }
    /* A query that takes its time on the server: what a deadline cancels. */
    int database_ms = pause->in_database ? pause->ms : pause->then_database_ms;
    PGresult *result = database_ms > 0
        ? sf_call_query(call, "SELECT count(*) FROM note, pg_sleep($1::int / 1000.0)", SF_PARAMS(database_ms))
        : sf_call_query(call, "SELECT count(*) FROM note", NULL);
    if (!result)
        return sf_call_status(call);
    Sifang__Test__NoteCount *count = (Sifang__Test__NoteCount *)
        sf_call_new_message(call, &sifang__test__note_count__descriptor);
    count->count = sf_db_int(result, 0, 0);
    *reply_p = &count->base;
    return SF_OK;
}

static const sf_method_t notebook_methods[] = {
    { "NoteAdd", note_add, SF_METHOD_WRITE, "community", note_add_batch },
    { "NoteAddThenFail", note_add_then_fail, SF_METHOD_WRITE, "community", NULL },
    { "NoteAddElsewhere", note_add_elsewhere, SF_METHOD_WRITE, "community", NULL },
    { "NoteGet", note_get, SF_METHOD_READ, NULL, NULL },
    { "NoteCountAll", note_count_all, SF_METHOD_READ, NULL, NULL },
    { NULL, NULL, SF_METHOD_READ, NULL, NULL },
};

const sf_service_t notebook_service = {
    .service = "notebook",
    .descriptor = &sifang__test__notebook__descriptor,
    .methods = notebook_methods,
    .migrations = notebook_migrations,
    .state = NULL,
};

int
notebook_main(void)
{
    sf_log_init("notebook");
    char error[256];
    sf_server_t *server = sf_server_new(&notebook_service, error, sizeof error);
    if (!server) {
        sf_error("cannot start", "reason", error);
        return 1;
    }
    int rc = sf_server_run(server);
    sf_server_destroy(&server);
    return rc;
}
