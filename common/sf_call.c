/* The call API handlers (and timers) work through: a call's memory,
 * statements, failures and violations, events, forks and their commits,
 * and the principal's roles and scope. */
#include "sf_server_private.h"
#include "sf_roles.h"
#include "sf_log.h"
#include "sf_text.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- calls --------------------------------------------------------------- */

void
sf_call__init(sf_call_t *call, sf_server_t *server, const char *method, const char *request_id,
          const Sifang__V1__Principal *principal, bool writes)
{
    memset(call, 0, sizeof *call);
    call->server = server;
    call->db = server->db;
    call->arena = server->arena;
    call->method = method;
    call->request_id = request_id ? request_id : "";
    call->principal = principal;
    call->writes = writes;
}

/* Frees the call's statement results. */
void
sf_call__release_results(sf_call_t *call)
{
    for (size_t i = 0; i < call->n_results; i++)
        PQclear(call->results[i]);
    free(call->results);
    call->results = NULL;
    call->n_results = 0;
}

/* Frees what the call holds but the events (handed to the batch on success),
 * and the memory its reply was built in. */
void
sf_call__release(sf_call_t *call)
{
    sf_call__release_results(call);
    for (size_t i = 0; i < call->n_forks; i++) {
        sf_call_t *fork = call->forks[i];
        sf_call__release_results(fork);
        sf_outbox_release(&fork->events);
        sf_arena_destroy(&fork->arena);
        free(fork);
    }
    free(call->forks);
    call->forks = NULL;
    call->n_forks = 0;
    sf_arena_reset(call->arena);
}

sf_call_t *
sf_call_fork(sf_call_t *call, sf_db_t *db)
{
    sf_call_t *fork = calloc(1, sizeof *fork);
    sf_call_t **grown = realloc(call->forks, (call->n_forks + 1) * sizeof *grown);
    if (!fork || !grown)
        abort();
    call->forks = grown;
    call->forks[call->n_forks++] = fork;
    fork->server = call->server;
    fork->db = db;
    fork->arena = sf_arena_new();
    if (!fork->arena)
        abort();
    fork->method = call->method;
    fork->request_id = call->request_id;
    fork->principal = call->principal;
    fork->writes = call->writes;
    fork->group_events = call->group_events;
    return fork;
}

bool
sf_call_commit(sf_call_t *fork, int64_t *head_p)
{
    if (fork->group_events)
        sf_outbox_group(&fork->events, 0);
    bool ok = sf_outbox_commit(&fork->events, fork->db, fork->principal->id, fork->request_id, head_p);
    /* A timer runs in the loop's thread: it may announce at once. */
    if (ok && fork->timer && *head_p >= 0)
        sf_server_note_event_head(fork->server, *head_p);
    return ok;
}

/* A timer's call: the server's connection and memory, its own principal,
 * writes allowed (a timer opens and commits its own transactions). */
void
sf_call__init_timer(sf_call_t *call, sf_server_t *server)
{
    memset(call, 0, sizeof *call);
    sifang__v1__principal__init(&call->own);
    call->own.id = server->instance;
    call->own.role = "service";
    call->own.scope = "";
    call->server = server;
    call->db = server->db;
    call->arena = server->arena;
    call->method = "(timer)";
    call->request_id = "";
    call->principal = &call->own;
    call->writes = true;
    call->timer = true;
}

void
sf_call_act_as(sf_call_t *call, const char *id)
{
    if (!call->timer) {
        sf_error("sf_call_act_as outside a timer is ignored", "method", call->method);
        return;
    }
    call->own.id = (char *) (id ? id : "");
}

void
sf_call_clear_failure(sf_call_t *call)
{
    call->status = SF_OK;
    call->message[0] = 0;
    call->constraint[0] = 0;
    call->n_violations = 0;
}

size_t
sf_call_events_mark(const sf_call_t *call)
{
    return call->events.n;
}

void
sf_call_events_undo(sf_call_t *call, size_t mark)
{
    sf_outbox_truncate(&call->events, mark);
}

void *sf_call_state(sf_call_t *call) { return call->server->service->state; }
const Sifang__V1__Principal *sf_call_principal(const sf_call_t *call) { return call->principal; }
const char *sf_call_request_id(const sf_call_t *call) { return call->request_id; }
const char *sf_call_method(const sf_call_t *call) { return call->method; }
sf_db_t *sf_call_db(sf_call_t *call) { return call->db; }
sf_server_t *sf_call_server(sf_call_t *call) { return call->server; }

void *
sf_call_alloc(sf_call_t *call, size_t size)
{
    void *memory = sf_arena_alloc(call->arena, size);
    if (!memory) {
        sf_error("out of memory in a handler", "method", call->method);
        abort();
    }
    return memory;
}

char *
sf_call_strdup(sf_call_t *call, const char *text)
{
    char *copy = sf_arena_strdup(call->arena, text);
    if (!copy) {
        sf_error("out of memory in a handler", "method", call->method);
        abort();
    }
    return copy;
}

char *
sf_call_vprintf(sf_call_t *call, const char *format, va_list args)
{
    char *text = sf_arena_vprintf(call->arena, format, args);
    if (!text) {
        sf_error("out of memory in a handler", "method", call->method);
        abort();
    }
    return text;
}

char *
sf_call_printf(sf_call_t *call, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *text = sf_call_vprintf(call, format, args);
    va_end(args);
    return text;
}

ProtobufCMessage *
sf_call_new_message(sf_call_t *call, const ProtobufCMessageDescriptor *descriptor)
{
    ProtobufCMessage *message = sf_call_alloc(call, descriptor->sizeof_message);
    descriptor->message_init(message);
    return message;
}

void *
sf_call_new_array(sf_call_t *call, size_t n, size_t element_size)
{
    return sf_call_alloc(call, (n ? n : 1) * element_size);
}

static void
call_keep_result(sf_call_t *call, PGresult *result)
{
    if (call->n_results == call->results_capacity) {
        size_t capacity = call->results_capacity ? call->results_capacity * 2 : 8;
        PGresult **grown = realloc(call->results, capacity * sizeof *grown);
        if (!grown) {
            sf_error("out of memory in a handler", "method", call->method);
            abort();
        }
        call->results = grown;
        call->results_capacity = capacity;
    }
    call->results[call->n_results++] = result;
}

PGresult *
sf_call_query(sf_call_t *call, const char *sql, const sf_params_t *params)
{
    sf_db_failure_t failure;
    PGresult *result = sf_db_try(call->db, sql, params, &failure);
    if (result) {
        call_keep_result(call, result);
        return result;
    }
    sf_call_fail_statement(call, &failure);
    return NULL;
}

sf_status_t
sf_call_fail_statement(sf_call_t *call, const sf_db_failure_t *failure)
{
    /* Our SQL is wrong: the details are for the log, not the caller. */
    if (failure->status == SF_INTERNAL)
        sf_error("statement failed", "method", call->method, "request_id", call->request_id,
                 "reason", failure->detail);
    bool first = call->status == SF_OK || !call->message[0];
    sf_status_t status = sf_call_fail(call, failure->status, "%s", failure->message);
    if (first)
        sf_text_format(call->constraint, sizeof call->constraint, "%s", failure->constraint);
    return status;
}

sf_status_t
sf_call_fail(sf_call_t *call, sf_status_t status, const char *format, ...)
{
    /* The first failure is the one that explains; later ones are its echoes. */
    if (call->status != SF_OK && call->message[0])
        return call->status;
    call->status = status;
    va_list args;
    va_start(args, format);
    sf_text_vformat(call->message, sizeof call->message, format, args);
    va_end(args);
    return status;
}

void
sf_call_violation(sf_call_t *call, const char *field, const char *format, ...)
{
    if (call->status == SF_OK)
        call->status = SF_INVALID_ARGUMENT;
    if (call->n_violations >= MAX_VIOLATIONS)
        return;
    va_list args;
    va_start(args, format);
    int length = vsnprintf(NULL, 0, format, args);
    va_end(args);
    char *description = sf_call_alloc(call, (size_t) (length > 0 ? length : 0) + 1);
    va_start(args, format);
    vsnprintf(description, (size_t) length + 1, format, args);
    va_end(args);
    call->violation_fields[call->n_violations] = sf_call_strdup(call, field);
    call->violation_descriptions[call->n_violations] = description;
    call->n_violations++;
}

/* The sentence a failed call's reply carries. A handler that only noted
 * violations gets the first one said in words ("name: is required"), so
 * that a client reading only the message learns what to fix. */
const char *
sf_call__failure_message(sf_call_t *call, sf_status_t status)
{
    if (!call->message[0] && call->n_violations == 1)
        sf_text_format(call->message, sizeof call->message, "%s: %s", call->violation_fields[0],
                       call->violation_descriptions[0]);
    else if (!call->message[0] && call->n_violations > 1)
        sf_text_format(call->message, sizeof call->message, "%s: %s (and %zu more)", call->violation_fields[0],
                       call->violation_descriptions[0], call->n_violations - 1);
    return call->message[0] ? call->message : sf_status_name(status);
}

bool sf_call_has_violations(const sf_call_t *call) { return call->n_violations > 0; }
sf_status_t sf_call_status(const sf_call_t *call) { return call->status; }
const char *sf_call_message(const sf_call_t *call) { return call->message; }
const char *sf_call_constraint(const sf_call_t *call) { return call->constraint; }

const char *
sf_call_failure_text(sf_call_t *call)
{
    return sf_call__failure_message(call, call->status);
}

const char *
sf_call_violation_field(const sf_call_t *call)
{
    return call->n_violations ? call->violation_fields[0] : "";
}

void
sf_call_group_events(sf_call_t *call)
{
    call->group_events = true;
}

void
sf_call_emit(sf_call_t *call, const char *type, const char *key, const ProtobufCMessage *payload)
{
    if (!call->writes) {
        sf_error("event emitted by a read method is dropped", "method", call->method, "type", type);
        return;
    }
    sf_outbox_add(&call->events, type, key, NULL, payload);
}

sf_status_t
sf_call_emit_reply(sf_call_t *call, ProtobufCMessage **reply_p, const char *type, const char *key,
                   ProtobufCMessage *record)
{
    sf_call_emit(call, type, key, record);
    *reply_p = record;
    return SF_OK;
}

bool
sf_call_has_role(const sf_call_t *call, const char *roles)
{
    return sf_principal_has_role(call->principal, roles);
}

bool
sf_call_covers(const sf_call_t *call, const char *unit_code)
{
    return sf_principal_reaches(call->principal, SF_SCOPE_VIEW, NULL, unit_code);
}

bool
sf_call_covers_as(const sf_call_t *call, const char *roles, const char *unit_code)
{
    return sf_principal_reaches(call->principal, SF_SCOPE_VIEW, roles, unit_code);
}

bool
sf_call_may_write(const sf_call_t *call, const char *unit_code)
{
    return sf_principal_reaches(call->principal, SF_SCOPE_WRITE, NULL, unit_code);
}

bool
sf_call_may_search(const sf_call_t *call, const char *unit_code)
{
    return sf_principal_reaches(call->principal, SF_SCOPE_SEARCH, NULL, unit_code);
}

bool
sf_call_is_person(const sf_call_t *call)
{
    return sf_principal_is_person(call->principal);
}

/* Packs a handler's reply into malloc'd memory. */
uint8_t *
sf_call__pack_reply(const ProtobufCMessage *reply, size_t *size)
{
    *size = reply ? protobuf_c_message_get_packed_size(reply) : 0;
    uint8_t *body = malloc(*size ? *size : 1);
    if (body && reply)
        protobuf_c_message_pack(reply, body);
    return body;
}

