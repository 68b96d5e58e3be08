/* Places for Open311 from grid's org units: a case shows its zone's
 * centroid and names (never the household), a point is the nearest zone's,
 * an address is the zone of the building it names. grid's units (some
 * four thousand: streets, communities, zones, building groups) are read
 * as the public viewer, kept in memory and read again every few minutes,
 * or sooner when a unit is missing. */
#include "gateway_open311.h"
#include "sf_text.h"
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REFRESH_MS (5 * 60 * 1000)
#define MISSING_REFRESH_MS (10 * 1000)   /* a new zone is seen within this */
#define MAX_UNITS 100000
#define TRY_MS 1000

typedef struct {
    char code[16];
    char name[320];              /* grid's names: up to 100 characters */
    Sifang__V1__UnitKind kind;
    bool located;
    double lat, lon;
} open311_unit_t;

typedef struct {
    open311_unit_t *units;   /* by code */
    size_t n;
} unit_set_t;

/* One per process, like the gateway's upstream links: every request
 * thread reads it under the lock; a reload builds a new set outside it. */
static struct {
    pthread_mutex_t lock;
    unit_set_t set;
    int64_t loaded_ms;
    int64_t tried_ms;        /* the last attempt, loaded or not */
    bool loading;
} cache = { PTHREAD_MUTEX_INITIALIZER, { NULL, 0 }, 0, 0, false };

static int
unit_order(const void *a, const void *b)
{
    return strcmp(((const open311_unit_t *) a)->code, ((const open311_unit_t *) b)->code);
}

typedef struct {
    unit_set_t *set;
    size_t size;
    bool failed;
} unit_load_t;

static void
units_page(const ProtobufCMessage *reply, void *context)
{
    unit_load_t *load = context;
    unit_set_t *set = load->set;
    const Sifang__V1__UnitListReply *units = (const Sifang__V1__UnitListReply *) reply;
    if (load->failed)
        return;
    if (set->n + units->n_units > load->size) {
        size_t size = (set->n + units->n_units) * 2;
        open311_unit_t *grown = size <= MAX_UNITS ? realloc(set->units, size * sizeof *grown) : NULL;
        if (!grown) {
            load->failed = true;
            return;
        }
        set->units = grown;
        load->size = size;
    }
    for (size_t i = 0; i < units->n_units; i++) {
        const Sifang__V1__OrgUnit *unit = units->units[i];
        open311_unit_t *kept = &set->units[set->n++];
        snprintf(kept->code, sizeof kept->code, "%s", unit->code);
        sf_text_format(kept->name, sizeof kept->name, "%s", unit->name);
        kept->kind = unit->kind;
        kept->located = unit->location && (unit->location->lat != 0 || unit->location->lon != 0);
        kept->lat = unit->location ? unit->location->lat : 0;
        kept->lon = unit->location ? unit->location->lon : 0;
    }
}

/* Every unit of the district from grid's UnitList. */
static bool
units_load(gateway_t *gw, unit_set_t *set)
{
    gateway_principal_t principal;
    gateway_open311_public(&principal);
    set->units = NULL;
    set->n = 0;
    Sifang__V1__UnitListRequest request = SIFANG__V1__UNIT_LIST_REQUEST__INIT;
    Sifang__V1__PageRequest page = SIFANG__V1__PAGE_REQUEST__INIT;
    request.page = &page;
    unit_load_t load = { set, 0, false };
    gateway_error_t error;
    gateway_error_clear(&error);
    if (!gateway_open311_each_page(gw, "grid", "UnitList", &principal, &request.base, &page, units_page, &load,
                                   &error)
        || load.failed) {
        free(set->units);
        set->units = NULL;
        set->n = 0;
        return false;
    }
    qsort(set->units, set->n, sizeof *set->units, unit_order);
    return true;
}

/* Reloads the units when they are older than max_age_ms (one thread at a
 * time; the others go on with what there is). Called without the lock. */
static void
units_refresh(gateway_t *gw, int64_t max_age_ms)
{
    int64_t now = sf_clock_ms();
    pthread_mutex_lock(&cache.lock);
    /* At most one attempt a second: while grid is away, a list of a
     * thousand requests asks once, not for each of them. */
    bool due = !cache.loading && now - cache.tried_ms >= TRY_MS
            && (!cache.loaded_ms || now - cache.loaded_ms >= max_age_ms);
    if (due)
        cache.tried_ms = now;
    if (due)
        cache.loading = true;
    pthread_mutex_unlock(&cache.lock);
    if (!due)
        return;
    unit_set_t fresh;
    bool loaded = units_load(gw, &fresh);
    pthread_mutex_lock(&cache.lock);
    cache.loading = false;
    if (loaded) {
        free(cache.set.units);
        cache.set = fresh;
        cache.loaded_ms = now;
    }
    pthread_mutex_unlock(&cache.lock);
}

/* Under the lock. */
static const open311_unit_t *
unit_find(const char *code)
{
    open311_unit_t key;
    snprintf(key.code, sizeof key.code, "%s", code);
    return cache.set.n ? bsearch(&key, cache.set.units, cache.set.n, sizeof key, unit_order) : NULL;
}

/* The unit's ancestor of the given code length, under the lock. */
static const open311_unit_t *
ancestor(const char *code, size_t length)
{
    char prefix[16];
    if (strlen(code) < length || length >= sizeof prefix)
        return NULL;
    snprintf(prefix, sizeof prefix, "%.*s", (int) length, code);
    return unit_find(prefix);
}

/* Code lengths of grid's levels (grid.proto: 370205001001011). */
enum { STREET_LENGTH = 9, COMMUNITY_LENGTH = 12, ZONE_LENGTH = 14 };

static bool
place_fill(const char *unit_code, open311_place_t *place)
{
    memset(place, 0, sizeof *place);
    const open311_unit_t *unit = unit_find(unit_code);
    if (!unit)
        return false;
    const open311_unit_t *zone = ancestor(unit_code, ZONE_LENGTH);
    const open311_unit_t *community = ancestor(unit_code, COMMUNITY_LENGTH);
    const open311_unit_t *street = ancestor(unit_code, STREET_LENGTH);
    if (zone && zone->kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)
        snprintf(place->zone_code, sizeof place->zone_code, "%s", zone->code);
    const open311_unit_t *levels[] = { zone, community, street };
    size_t used = 0;
    for (size_t i = 0; i < 3; i++)
        if (levels[i] && used < sizeof place->address)
            used += (size_t) sf_text_format(place->address + used, sizeof place->address - used, "%s%s",
                                            used ? ", " : "", levels[i]->name);
    /* The most specific of them with a location stands for the place. */
    for (size_t i = 0; i < 3 && !place->located; i++)
        if (levels[i] && levels[i]->located) {
            place->located = true;
            place->lat = levels[i]->lat;
            place->lon = levels[i]->lon;
        }
    const open311_unit_t *answering = community ? community : street;
    if (answering)
        sf_text_format(place->community_name, sizeof place->community_name, "%s", answering->name);
    return true;
}

bool
gateway_open311_place(gateway_t *gw, const char *unit_code, open311_place_t *place)
{
    units_refresh(gw, REFRESH_MS);
    pthread_mutex_lock(&cache.lock);
    bool found = place_fill(unit_code, place);
    pthread_mutex_unlock(&cache.lock);
    if (!found && *unit_code) {
        units_refresh(gw, MISSING_REFRESH_MS);
        pthread_mutex_lock(&cache.lock);
        found = place_fill(unit_code, place);
        pthread_mutex_unlock(&cache.lock);
    }
    return found;
}

/* Metres between two WGS-84 points (haversine on a sphere: plenty at a
 * district's scale). */
static double
distance_m(double lat1, double lon1, double lat2, double lon2)
{
    const double radius = 6371008.8, to_radians = M_PI / 180.0;
    double dlat = (lat2 - lat1) * to_radians, dlon = (lon2 - lon1) * to_radians;
    double a = sin(dlat / 2) * sin(dlat / 2)
             + cos(lat1 * to_radians) * cos(lat2 * to_radians) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * radius * atan2(sqrt(a), sqrt(1 - a));
}

int
gateway_open311_locate(gateway_t *gw, double lat, double lon, double bound_m, char *zone, size_t zone_size,
                       double *distance_p)
{
    units_refresh(gw, REFRESH_MS);
    pthread_mutex_lock(&cache.lock);
    const open311_unit_t *nearest = NULL;
    double best = INFINITY;
    /* Zones have only a centroid, building groups their building: the
     * nearest of either says which zone the point lies in. */
    for (size_t i = 0; i < cache.set.n; i++) {
        const open311_unit_t *unit = &cache.set.units[i];
        if (!unit->located || (unit->kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE
                               && unit->kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP))
            continue;
        double d = distance_m(lat, lon, unit->lat, unit->lon);
        if (d < best) {
            best = d;
            nearest = unit;
        }
    }
    int result = !cache.loaded_ms ? -1 : !nearest || best > bound_m ? 1 : 0;
    if (nearest)
        snprintf(zone, zone_size, "%.*s", ZONE_LENGTH, nearest->code);
    pthread_mutex_unlock(&cache.lock);
    if (distance_p)
        *distance_p = best;
    return result;
}

static bool
digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Whether text holds name, a name ending in a number not followed by
 * another digit (so that "3号楼1" is not found in "3号楼12"). */
static bool
holds(const char *text, const char *name, size_t length)
{
    if (length == 0)
        return false;
    for (const char *at = strstr(text, name); at; at = strstr(at + 1, name))
        if (!digit(name[length - 1]) || !digit(at[length]))
            return true;
    return false;
}

int
gateway_open311_match_address(gateway_t *gw, const char *text, char *zone, size_t zone_size)
{
    static const char suffix[] = "楼组";
    units_refresh(gw, REFRESH_MS);
    pthread_mutex_lock(&cache.lock);
    if (!cache.loaded_ms) {
        pthread_mutex_unlock(&cache.lock);
        return -1;
    }
    /* The longest name found wins ("兴隆路12号" over "兴隆路"); two zones
     * with names as long are ambiguous. */
    size_t best = 0;
    char found[16] = "";
    bool ambiguous = false;
    for (size_t i = 0; i < cache.set.n; i++) {
        const open311_unit_t *unit = &cache.set.units[i];
        if (unit->kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE
            && unit->kind != SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP)
            continue;
        size_t length = strlen(unit->name);
        bool match = holds(text, unit->name, length);
        if (!match && unit->kind == SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP && length > sizeof suffix - 1
            && strcmp(unit->name + length - (sizeof suffix - 1), suffix) == 0) {
            length -= sizeof suffix - 1;
            char building[320];
            memcpy(building, unit->name, length);
            building[length] = 0;
            match = holds(text, building, length);
        }
        if (!match || length < best)
            continue;
        char unit_zone[16];
        snprintf(unit_zone, sizeof unit_zone, "%.*s", ZONE_LENGTH, unit->code);
        if (length > best) {
            best = length;
            ambiguous = false;
            snprintf(found, sizeof found, "%s", unit_zone);
        } else if (strcmp(found, unit_zone) != 0)
            ambiguous = true;
    }
    pthread_mutex_unlock(&cache.lock);
    if (!best)
        return 1;
    if (ambiguous)
        return 2;
    snprintf(zone, zone_size, "%s", found);
    return 0;
}
