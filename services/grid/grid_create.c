/* Creating things alone or a run at a time with the same answers: the
 * requests are checked one by one, then written a statement per stretch of
 * independent requests, so that a run of n costs a few statements instead of
 * several round trips each. */
#include "grid.h"
#include <stdio.h>
#include <string.h>

void
grid_columns_add_double(grid_columns_t *self, int column, const Sifang__V1__GeoPoint *point,
                        bool lat)
{
    if (!point) {
        sf_pgarray_add_text(&self->arrays[column], NULL);
        return;
    }
    /* Enough digits for the text to read back as the same double. */
    char number[32];
    snprintf(number, sizeof number, "%.17g", lat ? point->lat : point->lon);
    sf_pgarray_add_text(&self->arrays[column], number);
}

/* Runs the creator's statement over drafts (with their calls) and answers
 * each call from its row. Returns SF_OK or the statement's failure. */
static sf_status_t
store(const grid_creator_t *creator, sf_call_t **calls, grid_draft_t **drafts,
      ProtobufCMessage **replies, size_t n)
{
    grid_columns_t columns;
    columns.count = creator->columns;
    for (int c = 0; c < columns.count; c++)
        sf_pgarray_init(&columns.arrays[c]);
    for (size_t i = 0; i < n; i++)
        creator->add(&columns, drafts[i]);
    sf_params_t params;
    sf_params_init(&params);
    bool whole = true;
    for (int c = 0; c < columns.count; c++) {
        const char *literal = sf_pgarray_text(&columns.arrays[c]);
        whole = whole && literal;
        sf_params_text(&params, literal);
    }
    PGresult *result = whole ? sf_call_query(calls[0], creator->sql, &params) : NULL;
    for (int c = 0; c < columns.count; c++)
        sf_pgarray_release(&columns.arrays[c]);
    if (!whole)
        return sf_call_fail(calls[0], SF_INTERNAL, "out of memory");
    if (!result)
        return sf_call_status(calls[0]);
    for (int row = 0; row < PQntuples(result); row++) {
        size_t i = (size_t) sf_db_int(result, row, 0) - 1;
        if (i < n)
            creator->answer(calls[i], drafts[i], result, row, &replies[i]);
    }
    return SF_OK;
}

static bool
same_key(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Where the statement that starts at drafts[start] ends. A statement sees the
 * database as it was when it began, so a request that repeats the key of one
 * before it in the statement, or needs what one before it creates, starts the
 * next statement: it then sees what that one wrote, as it would alone. */
static size_t
stretch_end(grid_draft_t **drafts, size_t start, size_t n)
{
    for (size_t i = start + 1; i < n; i++)
        for (size_t j = start; j < i; j++)
            if (same_key(drafts[i]->key, drafts[j]->key) || same_key(drafts[i]->needs, drafts[j]->key))
                return i;
    return n;
}

/* Each request admitted or refused on its own, then the admitted ones
 * stored a stretch at a time. */
static sf_status_t
create_run(const grid_creator_t *creator, sf_call_t **calls, const ProtobufCMessage **requests,
           ProtobufCMessage **replies, size_t n)
{
    /* The admitted requests, packed: their calls, drafts and places in the run. */
    sf_call_t **admitted = sf_call_new_array(calls[0], n, sizeof *admitted);
    grid_draft_t **drafts = sf_call_new_array(calls[0], n, sizeof *drafts);
    ProtobufCMessage **answers = sf_call_new_array(calls[0], n, sizeof *answers);
    size_t *places = sf_call_new_array(calls[0], n, sizeof *places);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        grid_draft_t *draft = sf_call_alloc(calls[i], creator->draft_size);
        draft->request = requests[i];
        if (!creator->admit(calls[i], draft))
            continue;
        admitted[count] = calls[i];
        drafts[count] = draft;
        answers[count] = NULL;
        places[count++] = i;
    }
    for (size_t start = 0; start < count;) {
        size_t end = stretch_end(drafts, start, count);
        sf_status_t status = store(creator, admitted + start, drafts + start, answers + start,
                                   end - start);
        if (status != SF_OK)
            return status;
        start = end;
    }
    for (size_t k = 0; k < count; k++) {
        replies[places[k]] = answers[k];
        if (!answers[k] && sf_call_status(admitted[k]) == SF_OK)
            sf_call_fail(admitted[k], SF_INTERNAL, "the statement gave no answer");
    }
    return SF_OK;
}

static const grid_creator_t *
creator_of(sf_call_t *call)
{
    const grid_creator_t *creators[] = {
        &grid_unit_creator, &grid_household_creator, &grid_resident_creator, &grid_staff_creator,
    };
    for (size_t i = 0; i < sizeof creators / sizeof creators[0]; i++)
        if (strcmp(creators[i]->method, sf_call_method(call)) == 0)
            return creators[i];
    sf_call_fail(call, SF_INTERNAL, "no creator for %s", sf_call_method(call));
    return NULL;
}

sf_status_t
grid_create(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const grid_creator_t *creator = creator_of(call);
    if (!creator)
        return sf_call_status(call);
    ProtobufCMessage *reply = NULL;
    sf_status_t status = create_run(creator, &call, &request, &reply, 1);
    if (status == SF_OK && !reply)
        status = sf_call_status(call);
    if (status == SF_OK)
        *reply_p = reply;
    return status;
}

/* A run holds requests of one method. */
sf_status_t
grid_create_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies, size_t n)
{
    const grid_creator_t *creator = creator_of(calls[0]);
    if (!creator)
        return sf_call_status(calls[0]);
    return create_run(creator, calls, requests, replies, n);
}
