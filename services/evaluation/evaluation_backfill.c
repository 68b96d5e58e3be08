/* Grid's records read again from its first event (migration 013): leaders'
 * contact visits and problems, departments' work and pairings, which
 * migration 011 began to count while followers already past those events
 * went on from their cursors. A second follower of the same grid instance,
 * with a cursor of its own ("<source>#records"), reads grid's log and
 * applies only those records (eval_grid_records_apply), each counted once
 * however often it is read (counted_record, contact_problem_state by grid's
 * version); households and residents, which count the change from the copy
 * evaluation keeps, are not read again. The ordinary follower of that grid
 * waits meanwhile: a problem updated after the backfill was asked for must
 * find the state its earlier visit left, so the records are read in grid's
 * order, first the backfill up to where the ordinary follower stood, then
 * the ordinary follower on from there. */
#include "evaluation.h"
#include "sf_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sf_status_t
backfill_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    eval_source_t *source = arg;
    /* As the ordinary follower: the event of the configured instance only,
     * and at the city level kept under its district's names. */
    if (event->source && *event->source && strcmp(event->source, source->instance) != 0) {
        sf_error("source names itself differently from its configuration; not applied",
                 "configured", source->instance, "source", event->source);
        return SF_FAILED_PRECONDITION;
    }
    Sifang__V1__Event qualified;
    uint8_t *repacked = NULL;
    if (source->district[0]) {
        sf_status_t status = eval_city_qualify(source, event, &qualified, &repacked);
        if (status != SF_OK)
            return status;
        event = &qualified;
    }
    bool handled = false;
    sf_status_t status = eval_grid_records_apply(db, event, &handled);
    free(repacked);
    return status;
}

int
eval_backfill_new(eval_source_t *source, void *zmq_context, const sf_curve_client_t *curve, char *error,
                  size_t error_size)
{
    source->backfill = NULL;
    if (strcmp(source->service, "grid") != 0)
        return 0;
    char key[sizeof source->name + 16];
    snprintf(key, sizeof key, "%s#records", source->name);
    /* The follower keeps keys of fewer than 96 bytes: a cut one could be
     * another source's. */
    if (strlen(key) >= 96) {
        snprintf(error, error_size, "source %s: the name is too long for its records' cursor (%s)", source->name,
                 key);
        return -1;
    }
    source->backfill = sf_follower_new(zmq_context, source->evaluation->follower_db, source->instance,
                                       source->endpoint, source->publish, curve, backfill_event, source);
    if (!source->backfill) {
        snprintf(error, error_size, "cannot open sockets to %s at %s", source->name, source->endpoint);
        return -1;
    }
    sf_follower_set_cursor_key(source->backfill, key);
    sf_follower_set_page_size(source->backfill, source->evaluation->page_size);
    sf_follower_set_page_end(source->backfill, eval_facts_page_end, NULL);
    return 0;
}

bool
eval_backfill_load(evaluation_t *self)
{
    PGresult *result = sf_db_query(self->follower_db, "SELECT source, until_seq FROM source_backfill", NULL);
    if (!sf_db_result_ok(result)) {
        PQclear(result);
        return false;
    }
    for (size_t i = 0; i < self->n_sources; i++) {
        eval_source_t *source = &self->sources[i];
        if (!source->backfill)
            continue;
        bool asked = false;
        for (int row = 0; row < PQntuples(result) && !asked; row++)
            if (strcmp(sf_db_text(result, row, 0), source->name) == 0) {
                asked = true;
                source->backfill_until = sf_db_int(result, row, 1);
            }
        if (asked) {
            char until[32];
            snprintf(until, sizeof until, "%lld", (long long) source->backfill_until);
            sf_info("reading grid's records again before following on", "source", source->name, "until", until);
        } else
            sf_follower_destroy(&source->backfill);
    }
    PQclear(result);
    return true;
}

int
eval_backfill_step(eval_source_t *source)
{
    int applied = sf_follower_sync(source->backfill);
    if (applied < 0)
        return -1;
    /* Read to where the ordinary follower stood, or to grid's head when
     * its log is shorter (a grid made again): the ordinary follower goes on
     * from its own cursor. */
    int64_t cursor = sf_follower_cursor(source->backfill), head = sf_follower_head(source->backfill);
    if (cursor < source->backfill_until && cursor < head)
        return applied;
    sf_params_t *params = SF_PARAMS(source->name);
    PGresult *result = sf_db_query(source->evaluation->follower_db, "DELETE FROM source_backfill WHERE source = $1",
                                   params);
    bool removed = sf_db_result_ok(result);
    PQclear(result);
    if (!removed)
        return -1;
    char read[32];
    snprintf(read, sizeof read, "%lld", (long long) cursor);
    sf_info("grid's records read again; following on", "source", source->name, "read", read);
    sf_follower_destroy(&source->backfill);
    return applied;
}
