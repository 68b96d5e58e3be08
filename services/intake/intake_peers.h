/* Inside the peers thread: what its followers apply, and what they ask of
 * the thread. */
#ifndef INTAKE_PEERS_H
#define INTAKE_PEERS_H

#include "intake.h"
#include "sf_follower.h"

/* Whether the thread is asked to stop (an apply gives its page back). */
bool intake_peers_stopping(const intake_peers_t *self);
/* This instance's name: the prefix of its cases' refs in the registry. */
const char *intake_peers_instance(const intake_peers_t *self);

/* Follower apply functions (intake_grid.c, intake_volunteer.c); arg is
 * the peers. */
sf_status_t intake_apply_grid_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg);
sf_status_t intake_apply_volunteer_event(sf_db_t *db, const Sifang__V1__Event *event, void *arg);
/* The end of a page of grid's events: the households it created counted
 * once in ref_generation (intake_grid.c). */
sf_status_t intake_grid_page_end(sf_db_t *db, bool write, void *arg);
/* Households grid created in the page being applied (the peers thread only). */
int64_t *intake_peers_households_new(intake_peers_t *self);

/* A case's ref in the volunteer registry: "<instance>/<case id>/<attempt>",
 * so the registry's dispatches find their case and request. Parsing returns
 * false for a ref of another instance. */
void intake_case_ref_format(char *out, size_t size, const char *instance, int64_t case_id, int attempt);
bool intake_case_ref_parse(const char *case_ref, const char *instance, int64_t *case_id, int *attempt);

#endif
