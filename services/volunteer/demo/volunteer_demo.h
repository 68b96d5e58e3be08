/* The volunteer demo loader's shared parts: what it reads from grid (and
 * back from volunteer), the pipeline that sends a part's requests with a
 * window in flight, and the parts themselves (volunteers, credentials,
 * teams, members, pairings, contacts, hours, approvals, visits,
 * co-building, the circle's providers). */
#ifndef VOLUNTEER_DEMO_H
#define VOLUNTEER_DEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "demo_district.h"
#include "sf_client.h"

/* --- what grid holds ------------------------------------------------------ */

typedef struct {
    char code[16];
    char name[104];
} vd_community_t;

typedef struct {
    int64_t serial;           /* R0000123 -> 123 */
    char id[16];
    char household[20];
    int community;            /* index into communities, -1 unknown */
    bool party_member;
    int32_t birth;            /* day number (sf_dates.h); 0 when grid has none */
} vd_resident_t;

typedef struct {
    char code[20];
    int community;
} vd_household_t;

typedef struct {
    char id[16];
    int kind;                 /* StaffKind */
    char unit[16];
    char department[40];      /* department staff's department, or "" */
} vd_staff_t;

/* A department paired with a community (帮建对子). */
typedef struct {
    char department[40];
    char community[16];
} vd_pairing_t;

typedef struct {
    vd_community_t *communities; size_t n_communities;
    vd_resident_t *residents;    size_t n_residents;   /* by serial */
    vd_household_t *flagged;     size_t n_flagged;     /* households in difficulty, by code */
    char (*households)[20];      size_t n_households;  /* every household with a resident, by code */
    vd_staff_t *staff;           size_t n_staff;
    vd_pairing_t *pairings;      size_t n_pairings;    /* by department, then community */
} vd_grid_t;

/* Reads communities, residents, households in difficulty and staff from
 * grid, paging through its lists. false with a message on stderr. */
bool vd_grid_read(sf_client_t *grid, vd_grid_t *out);
void vd_grid_release(vd_grid_t *grid);
int vd_community_of(const vd_grid_t *grid, const char *code);
/* The communities paired with a department: *n of them from the returned
 * one (NULL and 0 when none). */
const vd_pairing_t *vd_department_pairings(const vd_grid_t *grid, const char *department, size_t *n);
/* The resident with that id, or -1. */
long vd_resident_find(const vd_grid_t *grid, const char *id);

/* --- the pipeline ----------------------------------------------------------- */

typedef struct vd_loader vd_loader_t;
typedef struct vd_part vd_part_t;

/* Sends item i (0 sent, -1 transport trouble: retried, 2 nothing to send). */
typedef int (*vd_send_fn)(vd_loader_t *loader, vd_part_t *part, size_t i, const char *request_id);
/* Learns from item i's OK reply (ids it needs later). */
typedef void (*vd_take_fn)(vd_loader_t *loader, vd_part_t *part, size_t i, const void *body, size_t size);

struct vd_part {
    const char *name;         /* "volunteers" */
    const char *tag;          /* in request ids: "<prefix>-<tag>-<i>" */
    const char *method;
    size_t total;
    vd_send_fn send;
    vd_take_fn take;
    /* A status that is no failure for this part (0: none). */
    int tolerated;
    size_t created, replayed, existed, tolerated_count, failed, retried;
    double seconds;
    /* Per item: attempts, when to resend, whether a reply is awaited. */
    unsigned char *attempts;
    int64_t *due_ms;
    bool *waiting;
};

struct vd_loader {
    sf_client_t *client;      /* volunteer */
    vd_grid_t grid;
    char prefix[48];          /* "vdemo-2012" */
    uint64_t seed;
    double scale;
    demo_timeline_t timeline; /* everything is dated inside its twelve months */
    int window;
    int timeout_ms;
    bool tty;
    size_t failures_shown;
    void *plan;               /* volunteer_demo_plan.c's state */
};

/* Sends every item of the part with a window in flight and returns once
 * each is settled; prints a progress line. The number that failed. */
size_t vd_load_part(vd_loader_t *loader, vd_part_t *part);

/* --- the plan (volunteer_demo_plan.c) ------------------------------------------ */

/* Decides who volunteers; false when grid holds too little. */
bool vd_plan_new(vd_loader_t *loader);
void vd_plan_destroy(vd_loader_t *loader);
/* Runs the parts in order, reading ids back from volunteer between them.
 * Returns the number of requests that failed. */
size_t vd_plan_load(vd_loader_t *loader);

/* A deterministic generator per (seed, part, item). */
typedef struct { uint64_t state; } vd_rng_t;
vd_rng_t vd_rng(uint64_t seed, const char *tag, uint64_t item);
uint64_t vd_next(vd_rng_t *rng);
/* In [0, n). */
size_t vd_below(vd_rng_t *rng, size_t n);
bool vd_chance(vd_rng_t *rng, double p);

#endif
