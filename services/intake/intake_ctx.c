/* Where case code works: a request's call, or the loop's own work between
 * batches with an arena, the loop's connection and an outbox of events. */
#include "intake.h"
#include "sf_eventlog.h"
#include "sf_log.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
intake_ctx_for_call(intake_ctx_t *ctx, sf_call_t *call)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->call = call;
    ctx->db = sf_call_db(call);
    ctx->intake = sf_call_state(call);
    ctx->actor = sf_call_principal(call)->id;
    ctx->clear_phones = sf_call_has_role(call, INTAKE_ROLES_STATION);
}

void
intake_ctx_for_loop(intake_ctx_t *ctx, sf_db_t *db, sf_arena_t *arena, sf_outbox_t *outbox,
                    const intake_t *intake, const char *actor)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->db = db;
    ctx->arena = arena;
    ctx->outbox = outbox;
    ctx->intake = intake;
    ctx->actor = actor;
    ctx->clear_phones = false;
}

void
intake_ctx_release(intake_ctx_t *ctx)
{
    for (size_t i = 0; i < ctx->n_results; i++)
        PQclear(ctx->results[i]);
    free(ctx->results);
    ctx->results = NULL;
    ctx->n_results = ctx->results_capacity = 0;
    if (ctx->arena)
        sf_arena_reset(ctx->arena);
}

void *
intake_alloc(intake_ctx_t *ctx, size_t size)
{
    if (ctx->call)
        return sf_call_alloc(ctx->call, size);
    void *memory = sf_arena_alloc(ctx->arena, size);
    if (!memory) {
        sf_error("out of memory");
        abort();
    }
    return memory;
}

char *
intake_strdup(intake_ctx_t *ctx, const char *text)
{
    if (ctx->call)
        return sf_call_strdup(ctx->call, text);
    char *copy = sf_arena_strdup(ctx->arena, text ? text : "");
    if (!copy) {
        sf_error("out of memory");
        abort();
    }
    return copy;
}

char *
intake_printf(intake_ctx_t *ctx, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *text = ctx->call ? sf_call_vprintf(ctx->call, format, args) : sf_arena_vprintf(ctx->arena, format, args);
    va_end(args);
    if (!text) {
        sf_error("out of memory");
        abort();
    }
    return text;
}

ProtobufCMessage *
intake_new_message(intake_ctx_t *ctx, const ProtobufCMessageDescriptor *descriptor)
{
    ProtobufCMessage *message = intake_alloc(ctx, descriptor->sizeof_message);
    descriptor->message_init(message);
    return message;
}

PGresult *
intake_query(intake_ctx_t *ctx, const char *sql, const sf_params_t *params)
{
    if (ctx->call)
        return sf_call_query(ctx->call, sql, params);
    PGresult *result = sf_db_query(ctx->db, sql, params);
    if (!sf_db_result_ok(result)) {
        sf_status_t status = sf_db_status(result);
        if (ctx->status == SF_OK)
            ctx->status = status;
        if (status != SF_UNAVAILABLE)
            sf_error("statement failed", "actor", ctx->actor, "reason",
                     result ? PQresultErrorMessage(result) : "no result");
        PQclear(result);
        return NULL;
    }
    if (ctx->n_results == ctx->results_capacity) {
        size_t capacity = ctx->results_capacity ? ctx->results_capacity * 2 : 8;
        PGresult **grown = realloc(ctx->results, capacity * sizeof *grown);
        if (!grown)
            abort();
        ctx->results = grown;
        ctx->results_capacity = capacity;
    }
    ctx->results[ctx->n_results++] = result;
    return result;
}

sf_status_t
intake_fail(intake_ctx_t *ctx, sf_status_t status, const char *format, ...)
{
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (ctx->call)
        return sf_call_fail(ctx->call, status, "%s", message);
    if (ctx->status == SF_OK)
        ctx->status = status;
    sf_warn("step refused", "actor", ctx->actor, "reason", message);
    return status;
}

sf_status_t
intake_ctx_status(const intake_ctx_t *ctx)
{
    return ctx->call ? sf_call_status(ctx->call) : ctx->status;
}

void
intake_case_emit(intake_ctx_t *ctx, const Sifang__V1__Case *the_case)
{
    /* Events never carry a phone number in the clear: mask it for the
     * packing (sf_call_emit packs at once) and put the reply's back. */
    Sifang__V1__CaseRequester *requester = the_case->requester;
    char *phone = requester ? requester->phone : NULL;
    if (requester && phone && *phone)
        requester->phone = intake_phone_masked(ctx, phone);
    Sifang__V1__CaseAction action = the_case->last_transition
        ? the_case->last_transition->action : SIFANG__V1__CASE_ACTION__CASE_ACTION_UNSPECIFIED;
    char type[48], key[24];
    snprintf(type, sizeof type, "case.%s", intake_action_name(action));
    snprintf(key, sizeof key, "%lld", (long long) the_case->id);
    if (ctx->call)
        sf_call_emit(ctx->call, type, key, &the_case->base);
    else
        sf_outbox_add(ctx->outbox, type, key, NULL, &the_case->base);
    if (requester)
        requester->phone = phone;
}
