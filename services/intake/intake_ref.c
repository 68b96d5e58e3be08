/* The loop's in-memory copy of grid's reference tables, the catalogue and
 * the calendar (see intake_ref.h): hash tables keyed by code, filled from
 * the database, reloaded when ref_generation moves. */
#include "intake_ref.h"
#include "sf_log.h"
#include "sf_params.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An open-addressing table of 64-bit keys (codes are digits, so a code is
 * its number and its length; 0 is the empty slot) to indexes. */
typedef struct {
    uint64_t *keys;
    uint32_t *values;
    size_t capacity, count;
} index_t;

/* Strings that live as long as a load: blocks freed together. */
typedef struct block_t {
    struct block_t *next;
    size_t used, size;
    char data[];
} block_t;

typedef struct {
    const char *id;
    const char *name;
} staff_t;

struct intake_ref_t {
    char timezone[64];
    int64_t generation;             /* of grid's copy; 0 = not loaded */
    int type_limit[INTAKE_REF_CASE_TYPES];      /* by CaseType: the case type's limit (0: none) */
    int type_limit_unit[INTAKE_REF_CASE_TYPES];
    int64_t catalogue_generation;   /* of the catalogue and the calendar; 0 = not loaded */
    int64_t households_loaded;      /* ref_generation.households at the last full load */
    bool households_ever;
    bool dirty;                     /* the catalogue or calendar changed here */
    /* ref_generation as the batch's probe read it in this transaction
     * (intake_ref_observe); the next refresh uses it instead of asking. */
    bool observed;
    int64_t observed_n, observed_catalogue, observed_households;
    /* Households: code -> the unit index of its zone. They only grow and
     * keep their zone, so they are loaded once and then as seen. */
    index_t household_index;
    uint32_t *household_zone;
    size_t n_households, households_capacity;
    /* Org units (with zones' pairs for routing). */
    index_t unit_index;
    intake_ref_unit_t *units;
    size_t n_units;
    staff_t *staff;                 /* sorted by id */
    size_t n_staff;
    intake_ref_item_t *items;
    size_t n_items;
    /* The calendar: for each day from 2020-01-01, its YYYYMMDD, the instant
     * it starts in the district, and the ordinal of the last working day at
     * or before it; and the instant each working day (by ordinal) ends. */
    int32_t *day_ymd;
    int64_t *day_start_ms;
    int32_t *day_base;
    size_t n_days;
    int64_t *working_end_ms;        /* [ordinal], 1-based */
    size_t n_working;
    block_t *grid_strings;          /* names and ids of the last grid load */
    block_t *catalogue_strings;     /* of the last catalogue load */
    block_t *codes;                 /* unit codes: kept for good */
};

static uint64_t
code_key(const char *code)
{
    uint64_t key = 0;
    size_t length = 0;
    for (const char *c = code ? code : ""; *c; c++, length++) {
        if (*c < '0' || *c > '9' || length >= 18)
            return 0;
        key = key * 10 + (uint64_t) (*c - '0');
    }
    /* The length is part of the key: "370205" and "0370205" differ. */
    return length ? (key << 5 | length) : 0;
}

static size_t
slot_of(const index_t *index, uint64_t key)
{
    uint64_t hash = key * 0x9E3779B97F4A7C15ULL;
    return (size_t) (hash >> 20) & (index->capacity - 1);
}

static bool index_put(index_t *index, uint64_t key, uint32_t value);

static bool
index_grow(index_t *index)
{
    size_t capacity = index->capacity ? index->capacity * 2 : 1024;
    index_t grown = { calloc(capacity, sizeof(uint64_t)), calloc(capacity, sizeof(uint32_t)), capacity, 0 };
    if (!grown.keys || !grown.values) {
        free(grown.keys);
        free(grown.values);
        return false;
    }
    for (size_t i = 0; i < index->capacity; i++)
        if (index->keys[i])
            index_put(&grown, index->keys[i], index->values[i]);
    free(index->keys);
    free(index->values);
    *index = grown;
    return true;
}

static bool
index_put(index_t *index, uint64_t key, uint32_t value)
{
    if ((index->count + 1) * 2 > index->capacity && !index_grow(index))
        return false;
    size_t slot = slot_of(index, key);
    while (index->keys[slot] && index->keys[slot] != key)
        slot = (slot + 1) & (index->capacity - 1);
    if (!index->keys[slot])
        index->count++;
    index->keys[slot] = key;
    index->values[slot] = value;
    return true;
}

static bool
index_get(const index_t *index, uint64_t key, uint32_t *value)
{
    if (!key || !index->capacity)
        return false;
    size_t slot = slot_of(index, key);
    while (index->keys[slot]) {
        if (index->keys[slot] == key) {
            *value = index->values[slot];
            return true;
        }
        slot = (slot + 1) & (index->capacity - 1);
    }
    return false;
}

static void
index_clear(index_t *index)
{
    free(index->keys);
    free(index->values);
    memset(index, 0, sizeof *index);
}

static const char *
keep_string(block_t **blocks, const char *text)
{
    size_t length = strlen(text) + 1;
    block_t *block = *blocks;
    if (!block || block->used + length > block->size) {
        size_t size = length > 65536 ? length : 65536;
        block = malloc(sizeof *block + size);
        if (!block)
            abort();
        block->next = *blocks;
        block->used = 0;
        block->size = size;
        *blocks = block;
    }
    char *copy = block->data + block->used;
    memcpy(copy, text, length);
    block->used += length;
    return copy;
}

static void
free_blocks(block_t **blocks)
{
    while (*blocks) {
        block_t *next = (*blocks)->next;
        free(*blocks);
        *blocks = next;
    }
}

intake_ref_t *
intake_ref_new(const char *timezone)
{
    intake_ref_t *self = calloc(1, sizeof *self);
    if (self)
        snprintf(self->timezone, sizeof self->timezone, "%s", timezone);
    return self;
}

static void
clear_catalogue(intake_ref_t *self)
{
    free(self->items);
    free(self->day_ymd);
    free(self->day_start_ms);
    free(self->day_base);
    free(self->working_end_ms);
    self->items = NULL;
    self->day_ymd = NULL;
    self->day_start_ms = NULL;
    self->day_base = NULL;
    self->working_end_ms = NULL;
    self->n_items = self->n_days = self->n_working = 0;
}

void
intake_ref_destroy(intake_ref_t **self_p)
{
    intake_ref_t *self = *self_p;
    if (!self)
        return;
    clear_catalogue(self);
    free(self->staff);
    index_clear(&self->household_index);
    index_clear(&self->unit_index);
    free(self->household_zone);
    free(self->units);
    free_blocks(&self->grid_strings);
    free_blocks(&self->catalogue_strings);
    free_blocks(&self->codes);
    free(self);
    *self_p = NULL;
}

bool
intake_ref_ready(const intake_ref_t *self)
{
    return self->generation != 0 && self->catalogue_generation != 0 && !self->dirty;
}

void
intake_ref_mark_dirty(intake_ref_t *self)
{
    self->dirty = true;
}

static PGresult *
query(sf_db_t *db, const char *sql, const sf_params_t *params)
{
    PGresult *result = sf_db_query(db, sql, params);
    if (!sf_db_result_ok(result)) {
        if (result && sf_db_status(result) != SF_UNAVAILABLE)
            sf_error("reference copy not loaded", "reason", PQresultErrorMessage(result));
        PQclear(result);
        return NULL;
    }
    return result;
}

/* Adds a unit or updates its kind and name (names in *strings). */
static uint32_t
put_unit(intake_ref_t *self, block_t **strings, const char *code, int kind, const char *name)
{
    uint64_t key = code_key(code);
    uint32_t at;
    if (!index_get(&self->unit_index, key, &at)) {
        intake_ref_unit_t *grown = realloc(self->units, (self->n_units + 1) * sizeof *grown);
        if (!grown)
            abort();
        self->units = grown;
        at = (uint32_t) self->n_units++;
        memset(&self->units[at], 0, sizeof self->units[at]);
        self->units[at].code = keep_string(&self->codes, code);
        self->units[at].committee_id = self->units[at].committee_name = "";
        self->units[at].cadre_id = self->units[at].cadre_name = "";
        if (!index_put(&self->unit_index, key, at))
            abort();
    }
    self->units[at].kind = kind;
    self->units[at].name = keep_string(strings, name);
    return at;
}

static void
put_household(intake_ref_t *self, const char *code, uint32_t zone)
{
    uint64_t key = code_key(code);
    uint32_t existing;
    if (index_get(&self->household_index, key, &existing)) {
        self->household_zone[existing] = zone;
        return;
    }
    if (self->n_households == self->households_capacity) {
        size_t capacity = self->households_capacity ? self->households_capacity * 2 : 4096;
        uint32_t *grown = realloc(self->household_zone, capacity * sizeof *grown);
        if (!grown)
            abort();
        self->household_zone = grown;
        self->households_capacity = capacity;
    }
    self->household_zone[self->n_households] = zone;
    if (!index_put(&self->household_index, key, (uint32_t) self->n_households))
        abort();
    self->n_households++;
}

/* Units (names may change), zones' pairs and staff names. */
static int
load_grid(intake_ref_t *self, sf_db_t *db, int64_t generation)
{
    block_t *strings = NULL;
    int rc = -1;
    PGresult *units = query(db, "SELECT code, kind, name FROM ref_unit", NULL);
    PGresult *pairs = units ? query(db,
        "SELECT DISTINCT ON (x.unit_code, x.kind) x.unit_code, x.kind, s.id, s.name"
        "  FROM ref_responsibility x JOIN ref_staff s ON s.id = x.staff_id AND s.active"
        " WHERE x.kind IN (1, 2) ORDER BY x.unit_code, x.kind, x.since, s.id", NULL) : NULL;
    PGresult *staff = pairs ? query(db, "SELECT id, name FROM ref_staff ORDER BY id", NULL) : NULL;
    staff_t *staff_list = staff ? calloc((size_t) PQntuples(staff) + 1, sizeof *staff_list) : NULL;
    if (!staff_list)
        goto done;
    /* Every name points into the strings about to go: all are set again
     * from this load (units are never removed from grid's copy). */
    for (size_t i = 0; i < self->n_units; i++) {
        self->units[i].name = "";
        self->units[i].committee_id = self->units[i].committee_name = "";
        self->units[i].cadre_id = self->units[i].cadre_name = "";
    }
    for (int row = 0; row < PQntuples(units); row++)
        put_unit(self, &strings, sf_db_text(units, row, 0), (int) sf_db_int(units, row, 1), sf_db_text(units, row, 2));
    for (int row = 0; row < PQntuples(pairs); row++) {
        uint32_t at;
        if (!index_get(&self->unit_index, code_key(sf_db_text(pairs, row, 0)), &at))
            continue;
        const char *id = keep_string(&strings, sf_db_text(pairs, row, 2));
        const char *name = keep_string(&strings, sf_db_text(pairs, row, 3));
        if (sf_db_int(pairs, row, 1) == 2) {
            self->units[at].committee_id = id;
            self->units[at].committee_name = name;
        } else {
            self->units[at].cadre_id = id;
            self->units[at].cadre_name = name;
        }
    }
    for (int row = 0; row < PQntuples(staff); row++) {
        staff_list[row].id = keep_string(&strings, sf_db_text(staff, row, 0));
        staff_list[row].name = keep_string(&strings, sf_db_text(staff, row, 1));
    }
    free(self->staff);
    self->staff = staff_list;
    self->n_staff = (size_t) PQntuples(staff);
    free_blocks(&self->grid_strings);
    self->grid_strings = strings;
    strings = NULL;
    self->generation = generation;
    rc = 0;
done:
    free_blocks(&strings);
    PQclear(units);
    PQclear(pairs);
    PQclear(staff);
    return rc;
}

/* The items and the calendar. */
static int
load_catalogue(intake_ref_t *self, sf_db_t *db, int64_t generation)
{
    int rc = -1;
    block_t *strings = NULL;
    PGresult *items = query(db,
        "SELECT i.code, i.name, i.category, i.routing, i.department_code, coalesce(d.name, ''), i.time_limit,"
        "       i.time_limit_unit, i.enterprise, i.active, i.registration"
        "  FROM service_item i LEFT JOIN ref_department d ON d.code = i.department_code", NULL);
    /* Case types' limits: an item without its own takes its case's type's. */
    PGresult *types = items ? query(db, "SELECT type, time_limit, time_limit_unit FROM case_type", NULL) : NULL;
    PGresult *days = types ? query(db,
        "SELECT to_char(d, 'YYYYMMDD')::int, (extract(epoch FROM d::timestamp AT TIME ZONE $1) * 1000)::bigint,"
        "       coalesce(w.ordinal, 0), coalesce(max(w.ordinal) OVER (ORDER BY d), 0)"
        "  FROM generate_series(date '2020-01-01', date '2046-01-01', interval '1 day') AS d"
        "  LEFT JOIN working_day w ON w.day = d::date ORDER BY d", SF_PARAMS(self->timezone)) : NULL;
    if (!days)
        goto done;
    clear_catalogue(self);
    self->n_items = (size_t) PQntuples(items);
    self->items = calloc(self->n_items + 1, sizeof *self->items);
    self->n_days = (size_t) PQntuples(days);
    self->day_ymd = calloc(self->n_days + 1, sizeof *self->day_ymd);
    self->day_start_ms = calloc(self->n_days + 1, sizeof *self->day_start_ms);
    self->day_base = calloc(self->n_days + 1, sizeof *self->day_base);
    self->working_end_ms = calloc(self->n_days + 2, sizeof *self->working_end_ms);
    if (!self->items || !self->day_ymd || !self->day_start_ms || !self->day_base || !self->working_end_ms)
        abort();
    for (size_t i = 0; i < self->n_items; i++) {
        int row = (int) i;
        intake_ref_item_t *item = &self->items[i];
        item->code = keep_string(&strings, sf_db_text(items, row, 0));
        item->name = keep_string(&strings, sf_db_text(items, row, 1));
        item->category = (int) sf_db_int(items, row, 2);
        item->routing = (int) sf_db_int(items, row, 3);
        item->department_code = keep_string(&strings, sf_db_text(items, row, 4));
        item->department_name = keep_string(&strings, sf_db_text(items, row, 5));
        item->time_limit = (int) sf_db_int(items, row, 6);
        item->time_limit_unit = (int) sf_db_int(items, row, 7);
        item->enterprise = sf_db_bool(items, row, 8);
        item->active = sf_db_bool(items, row, 9);
        item->registration = (int) sf_db_int(items, row, 10);
    }
    memset(self->type_limit, 0, sizeof self->type_limit);
    for (int row = 0; row < PQntuples(types); row++) {
        int64_t type = sf_db_int(types, row, 0);
        if (type > 0 && type < INTAKE_REF_CASE_TYPES) {
            self->type_limit[type] = (int) sf_db_int(types, row, 1);
            self->type_limit_unit[type] = (int) sf_db_int(types, row, 2);
        }
    }
    for (size_t i = 0; i < self->n_days; i++) {
        self->day_ymd[i] = (int32_t) sf_db_int(days, (int) i, 0);
        self->day_start_ms[i] = sf_db_int(days, (int) i, 1);
        self->day_base[i] = (int32_t) sf_db_int(days, (int) i, 3);
    }
    /* A working day ends when the next day starts. */
    for (size_t i = 0; i + 1 < self->n_days; i++) {
        int64_t ordinal = sf_db_int(days, (int) i, 2);
        if (ordinal > 0 && (size_t) ordinal <= self->n_days) {
            self->working_end_ms[ordinal] = self->day_start_ms[i + 1];
            if ((size_t) ordinal > self->n_working)
                self->n_working = (size_t) ordinal;
        }
    }
    free_blocks(&self->catalogue_strings);
    self->catalogue_strings = strings;
    strings = NULL;
    self->catalogue_generation = generation;
    self->dirty = false;
    rc = 0;
done:
    free_blocks(&strings);
    PQclear(items);
    PQclear(types);
    PQclear(days);
    return rc;
}

static int
load_households(intake_ref_t *self, sf_db_t *db)
{
    PGresult *result = query(db, "SELECT code, zone_code FROM ref_household", NULL);
    if (!result)
        return -1;
    for (int row = 0; row < PQntuples(result); row++) {
        uint32_t zone;
        if (index_get(&self->unit_index, code_key(sf_db_text(result, row, 1)), &zone))
            put_household(self, sf_db_text(result, row, 0), zone);
    }
    PQclear(result);
    return 0;
}

/* Households met one by one cost a statement a run until they are in the
 * copy: after this many new ones (a district being loaded into grid), or
 * half as many again as the copy held, the copy takes them all at once (a
 * district of 139,000 households loaded is read a dozen times, not 139). */
#define HOUSEHOLDS_RELOAD_AFTER 1000

const char intake_ref_generation_sql[] = "SELECT n, catalogue, households FROM ref_generation";

void
intake_ref_observe(intake_ref_t *self, const PGresult *generation)
{
    self->observed = PQntuples(generation) == 1;
    if (!self->observed)
        return;
    self->observed_n = sf_db_int(generation, 0, 0);
    self->observed_catalogue = sf_db_int(generation, 0, 1);
    self->observed_households = sf_db_int(generation, 0, 2);
}

/* Brings the copy to ref_generation's n, catalogue and households. */
static int
refresh_to(intake_ref_t *self, sf_db_t *db, int64_t n, int64_t catalogue, int64_t households)
{
    if (n != self->generation && load_grid(self, db, n) != 0)
        return -1;
    if ((catalogue != self->catalogue_generation || self->dirty) && load_catalogue(self, db, catalogue) != 0)
        return -1;
    if (!self->households_ever
        || households - self->households_loaded > HOUSEHOLDS_RELOAD_AFTER + self->households_loaded / 2) {
        if (load_households(self, db) != 0)
            return -1;
        self->households_ever = true;
        self->households_loaded = households;
    }
    return 0;
}

int
intake_ref_refresh(intake_ref_t *self, sf_db_t *db)
{
    self->observed = false;
    PGresult *generation = query(db, intake_ref_generation_sql, NULL);
    if (!generation || PQntuples(generation) != 1) {
        PQclear(generation);
        return -1;
    }
    int64_t n = sf_db_int(generation, 0, 0), catalogue = sf_db_int(generation, 0, 1);
    int64_t households = sf_db_int(generation, 0, 2);
    PQclear(generation);
    return refresh_to(self, db, n, catalogue, households);
}

int
intake_ref_refresh_in_batch(intake_ref_t *self, sf_db_t *db)
{
    if (!self->observed)
        return intake_ref_refresh(self, db);
    self->observed = false;
    return refresh_to(self, db, self->observed_n, self->observed_catalogue, self->observed_households);
}

int
intake_ref_fetch(intake_ref_t *self, sf_db_t *db, const char *const *households, size_t n_households,
                 const char *const *units, size_t n_units)
{
    sf_pgarray_t household_codes, unit_codes;
    sf_pgarray_init(&household_codes);
    sf_pgarray_init(&unit_codes);
    for (size_t i = 0; i < n_households; i++)
        if (households[i])
            sf_pgarray_add_text(&household_codes, households[i]);
    for (size_t i = 0; i < n_units; i++)
        if (units[i])
            sf_pgarray_add_text(&unit_codes, units[i]);
    /* A household comes with its zone: it is known only with it. */
    PGresult *result = query(db,
        "SELECT 1, h.code, u.code, u.kind, u.name FROM ref_household h JOIN ref_unit u ON u.code = h.zone_code"
        " WHERE h.code = ANY ($1::text[])"
        " UNION ALL SELECT 2, '', u.code, u.kind, u.name FROM ref_unit u WHERE u.code = ANY ($2::text[])",
        SF_PARAMS(sf_pgarray_text(&household_codes), sf_pgarray_text(&unit_codes)));
    sf_pgarray_release(&household_codes);
    sf_pgarray_release(&unit_codes);
    if (!result)
        return -1;
    for (int row = 0; row < PQntuples(result); row++) {
        /* Names of units seen this way last until the next grid load. */
        uint32_t unit = put_unit(self, &self->grid_strings, sf_db_text(result, row, 2),
                                 (int) sf_db_int(result, row, 3), sf_db_text(result, row, 4));
        if (sf_db_int(result, row, 0) == 1)
            put_household(self, sf_db_text(result, row, 1), unit);
    }
    PQclear(result);
    return 0;
}

const char *
intake_ref_household_zone(const intake_ref_t *self, const char *household)
{
    uint32_t at;
    if (!index_get(&self->household_index, code_key(household), &at))
        return NULL;
    return self->units[self->household_zone[at]].code;
}

const intake_ref_unit_t *
intake_ref_unit(const intake_ref_t *self, const char *code)
{
    uint32_t at;
    return index_get(&self->unit_index, code_key(code), &at) ? &self->units[at] : NULL;
}

const intake_ref_item_t *
intake_ref_item(const intake_ref_t *self, const char *code)
{
    for (size_t i = 0; i < self->n_items; i++)
        if (strcmp(self->items[i].code, code) == 0)
            return &self->items[i];
    return NULL;
}

const char *
intake_ref_staff_name(const intake_ref_t *self, const char *id)
{
    size_t lo = 0, hi = self->n_staff;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int order = strcmp(self->staff[mid].id, id);
        if (order == 0)
            return self->staff[mid].name;
        if (order < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return "";
}

/* The day containing at_ms, or -1 outside the span. */
static long
day_of(const intake_ref_t *self, int64_t at_ms)
{
    if (!self->n_days || at_ms < self->day_start_ms[0])
        return -1;
    size_t lo = 0, hi = self->n_days;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (self->day_start_ms[mid] <= at_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* The last day only marks the end of the one before it. */
    return lo >= self->n_days ? -1 : (long) lo - 1;
}

int64_t
intake_ref_due(const intake_ref_t *self, int64_t at_ms, int time_limit, int time_limit_unit)
{
    if (time_limit_unit == 2)
        return at_ms + (int64_t) time_limit * 3600000;
    long day = day_of(self, at_ms);
    if (day < 0)
        return 0;
    size_t ordinal = (size_t) self->day_base[day] + (size_t) time_limit;
    if (ordinal < 1 || ordinal > self->n_working)
        return 0;
    return self->working_end_ms[ordinal];
}

bool
intake_ref_case_type_limit(const intake_ref_t *self, int type, int *time_limit, int *time_limit_unit)
{
    if (type <= 0 || type >= INTAKE_REF_CASE_TYPES || !self->type_limit[type])
        return false;
    *time_limit = self->type_limit[type];
    *time_limit_unit = self->type_limit_unit[type];
    return true;
}

int
intake_ref_local_date(const intake_ref_t *self, int64_t at_ms)
{
    long day = day_of(self, at_ms);
    return day < 0 ? 0 : self->day_ymd[day];
}
