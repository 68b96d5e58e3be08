/* The demo district: Sifang District (Qingdao, 2012) generated from a seed at
 * its real scale, or a proportionally smaller one, as plain data ready to be
 * sent through grid's API. Pure: the same seed and scale give the same
 * district, byte for byte. */
#ifndef DEMO_DISTRICT_H
#define DEMO_DISTRICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sifang/v1/grid.pb-c.h"

#define DEMO_SEED_DEFAULT 2012
#define DEMO_DISTRICT_CODE "370205"
/* Up to ten Sifangs: 1.39 million households, the load test of the
 * services at scale. */
#define DEMO_SCALE_MAX 10.0

/* The figures of the real district (scale 1.0). */
#define DEMO_STREETS 7
#define DEMO_COMMUNITIES 93
#define DEMO_ZONES 1180
#define DEMO_BUILDING_GROUPS 2800
#define DEMO_HOUSEHOLDS 139000
#define DEMO_HOUSEHOLDS_IN_DIFFICULTY 8640
#define DEMO_LEADERS 18
#define DEMO_LEADER_CONTACTS 99
#define DEMO_DEPARTMENTS 52
#define DEMO_PART_TIME_COMMITTEE 264
/* Party members among the residents (about one in thirty, more of them
 * among the old): about a fifth of the volunteers, every one of them
 * volunteering. */
#define DEMO_PARTY_MEMBERS 12500
/* Registered volunteers (volunteer's demo): about one resident in seven. */
#define DEMO_VOLUNTEERS 53000

/* --- The timeline ----------------------------------------------------------
 * Every demo loader dates what it writes inside one timeline anchored to the
 * day of loading, so that the services' data fit together and a district
 * loaded today reads as a living one: twelve months of history ending today
 * in the district's time zone (Asia/Shanghai, UTC+8 all year: China keeps no
 * summer time), the previous half-year complete and the current one in
 * progress. Build it with demo_timeline_today (the clock) or
 * demo_timeline_parse (a loader's --today YYYY-MM-DD, for tests); keep the
 * randomness seeded by the seed alone and draw dates as offsets from it, so
 * that the same seed on the same day gives the same district. Nothing is
 * dated after the moment of loading: what happens "today" happens before
 * the loader runs (a loader that needs a moment today uses
 * demo_timeline_now_ms, no later). Day numbers are sf_dates.h's (days since
 * 1970-01-01). */
#define DEMO_TIME_ZONE "Asia/Shanghai"
#define DEMO_UTC_OFFSET_MS (8LL * 3600 * 1000)
#define DEMO_DAY_MS (24LL * 3600 * 1000)

/* A half-year, as evaluation names its periods. */
typedef struct {
    char code[12];           /* "2026-H1" */
    int32_t first_day;       /* 1 January or 1 July */
    int32_t last_day;        /* 30 June or 31 December, inclusive */
} demo_half_year_t;

typedef struct {
    int32_t today;           /* today in the district */
    char today_text[11];     /* "2026-12-07" */
    int32_t first_day;       /* the history's first day: a year ago tomorrow */
    int32_t n_days;          /* first_day..today inclusive: 365 or 366 */
    demo_half_year_t previous_half;   /* complete, inside the history */
    demo_half_year_t current_half;    /* in progress: holds today */
} demo_timeline_t;

/* The timeline whose today is day (a day number). */
void demo_timeline_on(demo_timeline_t *self, int32_t day);
/* The timeline of today by the clock, in the district's time zone. */
void demo_timeline_today(demo_timeline_t *self);
/* The timeline of a "YYYY-MM-DD" (a --today option); false, self untouched,
 * when text is not a date. */
bool demo_timeline_parse(demo_timeline_t *self, const char *text);
/* Whether day lies in the history (first_day..today). */
bool demo_timeline_holds(const demo_timeline_t *self, int32_t day);
/* The moment midnight starts day in the district, ms since the epoch. */
int64_t demo_day_start_ms(int32_t day);
/* The district's day of a moment (ms since the epoch). */
int32_t demo_day_of_ms(int64_t ms);
/* The latest moment a loader may date: the clock's now when today is the
 * clock's today, else the end of today (a --today in the past). */
int64_t demo_timeline_now_ms(const demo_timeline_t *self);

/* A seeded stream of draws (splitmix64): one 64-bit state, the same
 * sequence on every machine. The district seeds its own generator with it;
 * the services' demo loaders draw from it directly, a stream per item where
 * an item's draws must not depend on the order things are sent in. */
typedef struct {
    uint64_t state;
} demo_stream_t;

uint64_t demo_stream_next(demo_stream_t *self);
/* A draw in [0, n); 0 when n <= 0. */
int demo_stream_below(demo_stream_t *self, int n);
/* A draw in [0, 1). */
double demo_stream_unit(demo_stream_t *self);

/* An org unit: the district, a street, community, zone or building group. */
typedef struct {
    char code[16];            /* hierarchical: starts with parent_code */
    char parent_code[16];
    char name[72];
    Sifang__V1__UnitKind kind;
    double lat, lon;
} demo_unit_t;

/* The oldest resident's age. */
#define DEMO_AGE_MAX 100

/* A resident of a household. Ages fit what a person is: the head an adult,
 * a spouse of marriage age, children born when their mother was 20 or
 * older, the head's parents 18 or more years older than the head; phones
 * from twelve, party members from eighteen. */
typedef struct {
    char name[16];
    Sifang__V1__Gender gender;
    char birth_date[11];      /* YYYY-MM-DD */
    char id_number[19];       /* GB 11643: the place's code + birth date + order + check */
    char phone[12];           /* "" for children under twelve, some of the very old */
    bool party_member;
    char relation[8];         /* to the head: head, spouse, child, parent */
    int age;                  /* full years on the timeline's today (people are born
                               * as the first of January of its year has them) */
    size_t household;         /* index into households */
    unsigned member;          /* 0 for the head, then in the household's order */
} demo_resident_t;

#define DEMO_MAX_FLAGS 2

typedef struct {
    char code[19];            /* building group code + 3 digits */
    size_t building_group;    /* index into building_groups */
    char address[80];
    Sifang__V1__HouseholdFlag flags[DEMO_MAX_FLAGS];
    size_t n_flags;           /* > 0: a household in difficulty */
    size_t first_resident;    /* index into residents: the head */
    size_t n_residents;       /* 1-6 */
} demo_household_t;

typedef struct {
    char key[44];             /* stable name for request ids: "cadre-370205001-03" */
    char name[16];
    Sifang__V1__StaffKind kind;
    char unit_code[16];
    char department_code[40]; /* department staff: their department */
    char employer[80];        /* part-time committee members' resident unit */
    char title[48];
    char phone[12];
} demo_staff_t;

typedef struct {
    size_t staff;             /* index into staff */
    char unit_code[16];
    Sifang__V1__ResponsibilityKind kind;
} demo_responsibility_t;

typedef struct {
    char code[40];            /* "civil-affairs" */
    char name[64];
} demo_department_t;

typedef struct {
    size_t department;        /* index into departments */
    size_t community;         /* index into communities */
} demo_pairing_t;

/* A street of a place: its name and rough centre. */
typedef struct {
    const char *name;
    double lat, lon;
} demo_street_t;

/* Which district is generated: Sifang (the default), or its neighbour
 * Shibei, the second district of the city-level demo (scripts/up.sh). The
 * same generator and figures (scaled), under the place's codes and names. */
typedef struct {
    const char *key;               /* "sifang": as the city level names it */
    const char *code;              /* "370205": the unit code, the ID numbers' first six */
    const char *name;              /* "四方区" */
    double lat, lon;
    const demo_street_t *streets;  /* DEMO_STREETS of them */
} demo_place_t;

/* The place of that key ("sifang", "shibei"); NULL for any other. */
const demo_place_t *demo_place_find(const char *key);

/* The generated district. Arrays are owned by it; read them freely. */
typedef struct {
    const demo_place_t *place;
    uint64_t seed;
    double scale;
    demo_timeline_t timeline;      /* ages are on its today */
    demo_unit_t district;
    demo_unit_t *streets;          size_t n_streets;
    demo_unit_t *communities;      size_t n_communities;
    demo_unit_t *zones;            size_t n_zones;
    demo_unit_t *building_groups;  size_t n_building_groups;
    demo_household_t *households;  size_t n_households;
    demo_resident_t *residents;    size_t n_residents;    /* by household */
    size_t n_households_in_difficulty;
    demo_staff_t *staff;           size_t n_staff;
    demo_responsibility_t *responsibilities; size_t n_responsibilities;
    demo_department_t *departments; size_t n_departments;
    demo_pairing_t *pairings;      size_t n_pairings;
} demo_district_t;

/* Generates the district on today's timeline (demo_timeline_today); scale
 * in (0, DEMO_SCALE_MAX] (1.0 = the real figures; every level keeps at least
 * one unit). NULL on a bad scale or when out of memory. */
demo_district_t *demo_district_new(uint64_t seed, double scale);
/* The same on a given timeline (people's ages are on its today). */
demo_district_t *demo_district_new_on(uint64_t seed, double scale, const demo_timeline_t *timeline);
/* The same for a place of demo_place_find (NULL: Sifang). */
demo_district_t *demo_district_new_at(uint64_t seed, double scale, const demo_timeline_t *timeline,
                                      const demo_place_t *place);
void demo_district_destroy(demo_district_t **self_p);

/* Whether a household is in difficulty for that reason. */
bool demo_household_has_flag(const demo_household_t *household, Sifang__V1__HouseholdFlag flag);

#endif
