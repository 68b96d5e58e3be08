/* Placements in work (就业登记): registering one, a batch of requests or an
 * import run at a time, each filling a position of its vacancy and setting the
 * person's labour status; ending them; listing them. A person never holds two
 * full-time placements over the same days: checked here for a clear answer;
 * the database holds it to one open-ended full-time placement at a time. */
#include "employment.h"
#include "sf_row.h"
#include "sf_log.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Sifang__V1__Placement *
emp_placement_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__Placement *placement = (Sifang__V1__Placement *)
        sf_call_new_message(call, &sifang__v1__placement__descriptor);
    sf_row_read(result, row, 0, &placement->base,
                "id resident_id enterprise_credit_code vacancy_id occupation_code kind source full_time start_date"
                " end_date employer_name home_zone_code external_system external_id created_unix_ms updated_unix_ms"
                " version separation_reason separation_note");
    /* The reader and the list must end together: a column added to one
     * and not the other would shift every field after it. */
    if (PQfnumber(result, "placement_version") != 16 || PQnfields(result) < 19) {
        sf_error("a placement row's columns are not those emp_placement_from_row reads",
                 "method", sf_call_method(call));
        return NULL;
    }
    return placement;
}

/* Open positions per vacancy while a run is checked: a small open-addressing
 * map, so that a run of thousands stays linear. */
typedef struct {
    int64_t *ids;
    int *left;
    size_t capacity;
} positions_t;

static void
positions_init(sf_call_t *call, positions_t *self, size_t n)
{
    self->capacity = 16;
    while (self->capacity < 2 * n)
        self->capacity *= 2;
    self->ids = sf_call_new_array(call, self->capacity, sizeof *self->ids);
    self->left = sf_call_new_array(call, self->capacity, sizeof *self->left);
    memset(self->ids, 0, self->capacity * sizeof *self->ids);
}

/* The slot of id; *fresh says it was not there (its count is then set). */
static int *
positions_slot(positions_t *self, int64_t id, int open, bool *fresh)
{
    size_t at = (size_t) ((uint64_t) id * 11400714819323198485ull) & (self->capacity - 1);
    while (self->ids[at] && self->ids[at] != id)
        at = (at + 1) & (self->capacity - 1);
    *fresh = self->ids[at] == 0;
    if (*fresh) {
        self->ids[at] = id;
        self->left[at] = open;
    }
    return &self->left[at];
}

/* The full-time placements of the run accepted so far, per person: a map
 * from the person to the last one, and a chain back through the others. */
typedef struct {
    positions_t last;             /* serial -> 1 + item index */
    int *previous;                /* item index -> 1 + the person's previous one */
} people_t;

static void
people_init(sf_call_t *call, people_t *self, size_t n)
{
    positions_init(call, &self->last, n);
    self->previous = sf_call_new_array(call, n, sizeof *self->previous);
    memset(self->previous, 0, (n ? n : 1) * sizeof *self->previous);
}

typedef struct {
    int32_t start, end;
    bool has_end;
    char start_text[11];
    int64_t serial;               /* the person's */
    const char *resident_zone;
    int64_t vacancy_id;
    int64_t id;                   /* assigned before the insert */
    int64_t update_id;            /* an imported placement re-sent with a new end date */
    bool full_time;
    int person_status;            /* the person's status and since when, as looked up */
    int32_t person_since;
    int person_event;             /* and what began it, for the period a placement closes */
    const char *person_reason;
} placement_plan_t;

static void
placement_check(sf_call_t *call, const Sifang__V1__Placement *placement, emp_item_t *item, placement_plan_t *plan)
{
    if (!*placement->resident_id)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "resident_id", "is required");
    else if (!emp_ident_valid(placement->resident_id, 32))
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "resident_id", "must be a resident id such as R0000123");
    if (placement->kind == 0)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "kind", "is required");
    else if (placement->kind < 1 || placement->kind > 4)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "kind", "is not a placement kind");
    if (placement->source == 0)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "source", "is required");
    else if (placement->source < 1 || placement->source > 3)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "source", "is not a placement source");
    if (!*placement->start_date)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "start_date", "is required");
    else if (emp_item_date(call, item, "start_date", placement->start_date, &plan->start)
             && plan->start > sf_today() + 366)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "start_date", "is more than a year ahead");
    plan->has_end = *placement->end_date != 0;
    if (emp_item_date(call, item, "end_date", placement->end_date, &plan->end) && plan->has_end
        && *placement->start_date && plan->end < plan->start)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "end_date", "is before start_date");
    sf_date_format(plan->start, plan->start_text);
    if (*placement->enterprise_credit_code && !sf_credit_code_valid(placement->enterprise_credit_code))
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "enterprise_credit_code",
                      "is not a unified social credit code (GB 32100-2015)");
    if (placement->vacancy_id < 0)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "vacancy_id", "must be a vacancy id");
    if (*placement->vacancy_external_id) {
        if (!item->system)
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, "vacancy_external_id", "is for imported records only");
        else if (!emp_ident_valid(placement->vacancy_external_id, EMP_IDENT_MAX))
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, "vacancy_external_id", "is not an external id");
        else if (placement->vacancy_id)
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, "vacancy_external_id", "give vacancy_id or this, not both");
    }
    if (*placement->occupation_code) {
        if (!emp_occupation_level(placement->occupation_code))
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, "occupation_code", "must be an occupation code such as 4-03-02-01");
        else if (!emp_occupation_known(call, placement->occupation_code))
            emp_item_fail(call, item, SF_INVALID_ARGUMENT, "occupation_code", "%s is not in the occupational classification",
                          placement->occupation_code);
    }
    emp_item_text(call, item, "employer_name", placement->employer_name, EMP_NAME_MAX, false);
    bool needs_enterprise = placement->kind == SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_ENTERPRISE
                         || placement->kind == SIFANG__V1__PLACEMENT_KIND__PLACEMENT_KIND_PUBLIC_WELFARE_POST;
    if (needs_enterprise && !*placement->enterprise_credit_code && !placement->vacancy_id
        && !*placement->vacancy_external_id)
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "enterprise_credit_code",
                      "is required for an enterprise or public-welfare placement without a vacancy");
}

/* Whether item i (full-time) overlaps a full-time placement accepted
 * earlier in the run for the same person; if not, it is accepted now. */
static bool
overlaps_earlier(people_t *people, const placement_plan_t *plans, size_t i)
{
    const placement_plan_t *plan = &plans[i];
    int32_t end = plan->has_end ? plan->end : INT32_MAX;
    bool fresh = false;
    int *last = positions_slot(&people->last, plan->serial, 0, &fresh);
    for (int at = *last; at > 0; at = people->previous[at - 1]) {
        const placement_plan_t *other = &plans[at - 1];
        int32_t other_end = other->has_end ? other->end : INT32_MAX;
        if (other->start <= end && other_end >= plan->start)
            return true;
    }
    people->previous[i] = *last;
    *last = (int) i + 1;
    return false;
}

static bool
placement_active(const placement_plan_t *plan)
{
    return !plan->has_end || plan->end >= sf_today();
}

static sf_status_t placement_end_core(sf_call_t *call, emp_item_t *item, int64_t id, const char *end_date,
                                      int reason, const char *note,
                                      int next_status, int64_t expected_version, bool *status_changed,
                                      int *new_status, int32_t *effective);

/* --- a run of placements, phase by phase -------------------------------------
 * emp_placement_apply runs the phases below in order over one run: check
 * each record in C; look up what the records name, in one statement; decide
 * each record from what was found; insert the new ones; fill their
 * vacancies' positions and set their people's status; end the placements
 * that re-sent imports end; emit the events, last, so that a statement that
 * fails leaves none behind. A phase that runs SQL returns the call's status
 * on a failure, and the run stops there (the caller rolls back). */

/* What the phases share: the run's records and items, and what each phase
 * leaves for the ones after it. */
typedef struct {
    sf_call_t *call;
    const ProtobufCMessage *const *records;
    emp_item_t *items;
    size_t n;
    placement_plan_t *plans;          /* per record: its checked fields, then what was found */
    size_t *asked;                    /* the records looked up, in the look-up's order */
    size_t n_asked;
    PGresult *found;                  /* the look-up's rows, one per record asked */
    Sifang__V1__Placement **stored;   /* per new record: the placement as it will be stored */
    positions_t latest;               /* person serial -> 1 + index of their latest active placement */
    PGresult *changed;                /* the people whose status the run set: serial, status */
    bool *ended_changed;              /* per re-sent record: whether ending it set a status */
    int *ended_status;
    int32_t *ended_on;
} placement_run_t;

static const Sifang__V1__Placement *
run_record(const placement_run_t *run, size_t i)
{
    return (const Sifang__V1__Placement *) run->records[i];
}

/* Phase 1: each record's fields, in C. */
static void
run_check(placement_run_t *run)
{
    run->plans = sf_call_new_array(run->call, run->n, sizeof *run->plans);
    memset(run->plans, 0, run->n * sizeof *run->plans);
    for (size_t i = 0; i < run->n; i++)
        placement_check(run->call, run_record(run, i), &run->items[i], &run->plans[i]);
}

/* Phase 2: for every record still open, its person, vacancy, enterprise, a
 * placement imported before under its external id, and whether a stored
 * full-time placement overlaps it: one statement for the run. */
static sf_status_t
run_look_up(placement_run_t *run)
{
    sf_call_t *call = run->call;
    static const uint32_t lookup_types[10] = {
        SF_OID_TEXT, SF_OID_INT8, SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT, SF_OID_BYTEA,
        SF_OID_BOOL, SF_OID_DATE, SF_OID_DATE,
    };
    sf_binarray_t lookups[10];
    for (size_t a = 0; a < 10; a++)
        sf_binarray_init(&lookups[a], lookup_types[a]);
    run->asked = sf_call_new_array(call, run->n, sizeof *run->asked);
    run->n_asked = 0;
    for (size_t i = 0; i < run->n; i++) {
        const emp_item_t *item = &run->items[i];
        if (!emp_item_open(item))
            continue;
        const Sifang__V1__Placement *placement = run_record(run, i);
        const placement_plan_t *plan = &run->plans[i];
        sf_binarray_text(&lookups[0], placement->resident_id);
        sf_binarray_int8(&lookups[1], placement->vacancy_id);
        sf_binarray_text(&lookups[2], *placement->vacancy_external_id ? placement->vacancy_external_id : NULL);
        sf_binarray_text(&lookups[3], item->system);
        sf_binarray_text(&lookups[4], *placement->enterprise_credit_code ? placement->enterprise_credit_code : NULL);
        sf_binarray_text(&lookups[5], item->system ? item->external_id : NULL);
        if (item->system)
            sf_binarray_bytes(&lookups[6], item->hash, sizeof item->hash);
        else
            sf_binarray_null(&lookups[6]);
        sf_binarray_bool(&lookups[7], placement->full_time);
        sf_binarray_date(&lookups[8], plan->start);
        if (plan->has_end)
            sf_binarray_date(&lookups[9], plan->end);
        else
            sf_binarray_null(&lookups[9]);
        run->asked[run->n_asked++] = i;
    }
    if (run->n_asked) {
        sf_params_t params;
        sf_params_init(&params);
        for (size_t a = 0; a < 10; a++)
            sf_binarray_param(&lookups[a], &params);
        /* Each look-up a probe of one index, row by row (LATERAL ... LIMIT
         * 1): a run is a few thousand keys against tables of a hundred
         * thousand rows, where the planner would otherwise hash whole tables. */
        run->found = emp_try(call,
            "SELECT k.ord, COALESCE(p.serial, 0), COALESCE(p.home_zone_code, ''),"
            " COALESCE(v.id, 0), COALESCE(v.enterprise_credit_code, ''), COALESCE(v.occupation_code, ''),"
            " COALESCE(v.open_positions, 0), COALESCE(v.status, 0), " EMP_DATE("v.opens_on") ","
            " " EMP_DATE("v.closes_on") ", COALESCE(v.full_time, false),"
            " e.credit_code IS NOT NULL, COALESCE(e.name, ''),"
            " COALESCE(x.id, 0), COALESCE(x.ext_hash = k.hash, false),"
            " COALESCE(x.resident_id, ''), COALESCE(x.kind, 0), " EMP_DATE("x.start_date") ","
            " (k.full_time OR COALESCE(v.full_time, false)) AND EXISTS (SELECT 1 FROM placement o"
            "   WHERE o.person_serial = p.serial AND o.full_time AND o.start_date <= COALESCE(k.end_date, DATE '3000-01-01')"
            "   AND COALESCE(o.end_date, DATE '3000-01-01') >= k.start_date),"
            " COALESCE(p.status, 0), " EMP_DATE("p.status_since") ", COALESCE(p.status_event, 1),"
            " COALESCE(p.status_reason, '')"
            " FROM (SELECT unnest($1::text[]) AS resident, unnest($2::bigint[]) AS vacancy_id,"
            "   unnest($3::text[]) AS vacancy_ext, unnest($4::text[]) AS system, unnest($5::text[]) AS enterprise,"
            "   unnest($6::text[]) AS ext_id, unnest($7::bytea[]) AS hash, unnest($8::bool[]) AS full_time,"
            "   unnest($9::date[]) AS start_date, unnest($10::date[]) AS end_date,"
            "   generate_series(1, cardinality($1::text[])) AS ord) k"
            " LEFT JOIN LATERAL (SELECT serial, home_zone_code, status, status_since, status_event, status_reason FROM person"
            "   WHERE resident_id = k.resident LIMIT 1) p ON true"
            " LEFT JOIN LATERAL ("
            "   SELECT id, enterprise_credit_code, occupation_code, open_positions, status, opens_on, closes_on, full_time"
            "   FROM vacancy WHERE id = k.vacancy_id AND k.vacancy_id <> 0"
            "   UNION ALL"
            "   SELECT id, enterprise_credit_code, occupation_code, open_positions, status, opens_on, closes_on, full_time"
            "   FROM vacancy WHERE ext_system = k.system AND ext_id = k.vacancy_ext AND k.vacancy_id = 0"
            "   LIMIT 1) v ON true"
            " LEFT JOIN LATERAL (SELECT credit_code, name FROM enterprise"
            "   WHERE credit_code = COALESCE(k.enterprise, v.enterprise_credit_code) LIMIT 1) e ON true"
            " LEFT JOIN LATERAL (SELECT x.id, x.ext_hash, x.kind, x.start_date, xp.resident_id"
            "   FROM placement x JOIN person xp ON xp.serial = x.person_serial"
            "   WHERE x.ext_system = k.system AND x.ext_id = k.ext_id LIMIT 1) x ON true"
            " ORDER BY k.ord", &params);
    }
    for (size_t a = 0; a < 10; a++)
        sf_binarray_release(&lookups[a]);
    if (run->n_asked && !run->found)
        return sf_call_status(call);
    return SF_OK;
}

/* Phase 3, for record i imported before as placement existing (the
 * look-up's row): unchanged, refused, or to be ended (update_id). */
static void
decide_resent(placement_run_t *run, size_t i, int row, int64_t existing)
{
    const PGresult *found = run->found;
    const Sifang__V1__Placement *placement = run_record(run, i);
    emp_item_t *item = &run->items[i];
    if (sf_db_bool(found, row, 14)) {
        item->outcome = SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UNCHANGED;
        item->key = sf_call_printf(run->call, "%lld", (long long) existing);
    } else if (strcmp(sf_db_text(found, row, 15), placement->resident_id) != 0
               || sf_db_int(found, row, 16) != placement->kind
               || strcmp(sf_db_text(found, row, 17), run->plans[i].start_text) != 0)
        emp_item_fail(run->call, item, SF_FAILED_PRECONDITION, "external_id",
                      "placement %lld was imported with another person, kind or start date;"
                      " only its end date can change", (long long) existing);
    else
        run->plans[i].update_id = existing;
}

/* Phase 3, for new record i whose vacancy the look-up's row found: the
 * vacancy takes it (it is its enterprise's, open on the start date, with
 * a position the run has not given yet: taken now) or it is refused
 * (false). *enterprise becomes the vacancy's. */
static bool
take_position(placement_run_t *run, size_t i, int row, positions_t *positions, const char **enterprise)
{
    sf_call_t *call = run->call;
    const PGresult *found = run->found;
    const Sifang__V1__Placement *placement = run_record(run, i);
    emp_item_t *item = &run->items[i];
    placement_plan_t *plan = &run->plans[i];
    const char *vacancy_field = *placement->vacancy_external_id ? "vacancy_external_id" : "vacancy_id";
    const char *vacancy_enterprise = sf_db_text(found, row, 4);
    if (*enterprise && strcmp(*enterprise, vacancy_enterprise) != 0) {
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "enterprise_credit_code",
                      "is not the enterprise of vacancy %lld", (long long) plan->vacancy_id);
        return false;
    }
    *enterprise = sf_call_strdup(call, vacancy_enterprise);
    if (sf_db_int(found, row, 7) != SIFANG__V1__VACANCY_STATUS__VACANCY_STATUS_OPEN) {
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, vacancy_field, "vacancy %lld is %s",
                      (long long) plan->vacancy_id, sf_db_int(found, row, 7) == 2 ? "filled" : "closed");
        return false;
    }
    int32_t opens = 0, closes = 0;
    if (sf_date_parse(sf_db_text(found, row, 8), &opens) && plan->start < opens) {
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, "start_date", "is before the vacancy opens (%s)",
                      sf_db_text(found, row, 8));
        return false;
    }
    if (sf_date_parse(sf_db_text(found, row, 9), &closes) && plan->start > closes) {
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, "start_date", "is after the vacancy closed (%s)",
                      sf_db_text(found, row, 9));
        return false;
    }
    bool fresh = false;
    int *left = positions_slot(positions, plan->vacancy_id, (int) sf_db_int(found, row, 6), &fresh);
    if (*left <= 0) {
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, vacancy_field,
                      "vacancy %lld has no open positions left", (long long) plan->vacancy_id);
        return false;
    }
    (*left)--;
    plan->full_time = plan->full_time || sf_db_bool(found, row, 10);
    return true;
}

/* Phase 3, for one record: the look-up's row decides it. A placement
 * imported before goes to decide_resent; a new one is refused, or accepted
 * as stored[i], taking a position of its vacancy (positions: what the run
 * has left of each) and, full-time, the person's days (people: the run's
 * accepted full-time placements). */
static void
decide_one(placement_run_t *run, int row, positions_t *positions, people_t *people)
{
    sf_call_t *call = run->call;
    const PGresult *found = run->found;
    size_t i = run->asked[sf_db_int(found, row, 0) - 1];
    const Sifang__V1__Placement *placement = run_record(run, i);
    emp_item_t *item = &run->items[i];
    placement_plan_t *plan = &run->plans[i];
    int64_t existing = sf_db_int(found, row, 13);
    if (existing) {
        decide_resent(run, i, row, existing);
        return;
    }
    plan->serial = sf_db_int(found, row, 1);
    if (!plan->serial) {
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, "resident_id", "no person %s is registered",
                      placement->resident_id);
        return;
    }
    plan->resident_zone = sf_call_strdup(call, sf_db_text(found, row, 2));
    plan->person_status = (int) sf_db_int(found, row, 19);
    sf_date_parse(sf_db_text(found, row, 20), &plan->person_since);
    plan->person_event = (int) sf_db_int(found, row, 21);
    plan->person_reason = sf_call_strdup(call, sf_db_text(found, row, 22));   /* the look-up is cleared first */
    if (!emp_may_write(emp_item_call(call, item), plan->resident_zone)) {
        emp_item_fail(call, item, SF_PERMISSION_DENIED, "resident_id", "the person lives outside your scope");
        return;
    }
    plan->full_time = placement->full_time;
    plan->vacancy_id = sf_db_int(found, row, 3);
    const char *vacancy_field = *placement->vacancy_external_id ? "vacancy_external_id" : "vacancy_id";
    if ((placement->vacancy_id || *placement->vacancy_external_id) && !plan->vacancy_id) {
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, vacancy_field, "no vacancy %s",
                      placement->vacancy_id ? sf_call_printf(call, "%lld", (long long) placement->vacancy_id)
                                            : placement->vacancy_external_id);
        return;
    }
    const char *enterprise = *placement->enterprise_credit_code ? placement->enterprise_credit_code : NULL;
    if (plan->vacancy_id) {
        if (!take_position(run, i, row, positions, &enterprise))
            return;
    } else if (enterprise && !sf_db_bool(found, row, 11)) {
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, "enterprise_credit_code", "no enterprise %s is registered",
                      enterprise);
        return;
    }
    /* One full-time placement a day: against the stored ones (found
     * above) and those earlier in this run. */
    if (plan->full_time && (sf_db_bool(found, row, 18) || overlaps_earlier(people, run->plans, i))) {
        if (plan->vacancy_id) {
            bool fresh = false;
            (*positions_slot(positions, plan->vacancy_id, 0, &fresh))++;   /* the position stays open */
        }
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, "start_date",
                      "the person already holds a full-time placement over these dates");
        return;
    }
    Sifang__V1__Placement *copy = (Sifang__V1__Placement *)
        sf_call_new_message(call, &sifang__v1__placement__descriptor);
    *copy = *placement;
    copy->enterprise_credit_code = (char *) (enterprise ? enterprise : "");
    copy->vacancy_id = plan->vacancy_id;
    copy->vacancy_external_id = (char *) "";
    copy->occupation_code = *placement->occupation_code ? placement->occupation_code
                          : sf_call_strdup(call, sf_db_text(found, row, 5));
    copy->full_time = plan->full_time;
    copy->start_date = plan->start_text;
    copy->employer_name = *placement->employer_name ? placement->employer_name
                        : sf_call_strdup(call, sf_db_text(found, row, 12));
    copy->home_zone_code = (char *) plan->resident_zone;
    copy->external_system = (char *) (item->system ? item->system : "");
    copy->external_id = (char *) (item->system ? item->external_id : "");
    copy->version = 1;
    run->stored[i] = copy;
}

/* Phase 3: every record looked up, decided in line order (a vacancy's
 * positions and a person's days go to the earlier lines). */
static void
run_decide(placement_run_t *run)
{
    positions_t positions;
    positions_init(run->call, &positions, run->n_asked);
    people_t people;
    people_init(run->call, &people, run->n);
    run->stored = sf_call_new_array(run->call, run->n, sizeof *run->stored);
    for (int row = 0; run->found && row < PQntuples(run->found); row++)
        decide_one(run, row, &positions, &people);
    PQclear(run->found);
    run->found = NULL;
}

/* Whether record i is a new placement still to be written. */
static bool
run_is_new(const placement_run_t *run, size_t i)
{
    return emp_item_open(&run->items[i]) && !run->plans[i].update_id;
}

/* Phase 4's rows: each new record CREATED with its row's id and time.
 * Rows come back in insert order (the checks above leave the unique
 * constraint nothing to refuse; if it did, the statement would fail and
 * each record run alone). */
static void
take_inserted(placement_run_t *run, const PGresult *inserted)
{
    sf_call_t *call = run->call;
    int row = 0, rows = PQntuples(inserted);
    for (size_t i = 0; i < run->n; i++) {
        if (!run_is_new(run, i))
            continue;
        emp_item_t *item = &run->items[i];
        const placement_plan_t *plan = &run->plans[i];
        if (row < rows && sf_db_int(inserted, row, 0) == plan->id) {
            run->stored[i]->id = plan->id;
            run->stored[i]->created_unix_ms = run->stored[i]->updated_unix_ms = sf_db_int(inserted, row, 1);
            item->outcome = SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_CREATED;
            item->key = sf_call_printf(call, "%lld", (long long) plan->id);
            item->stored = &run->stored[i]->base;
            row++;
        } else
            emp_item_fail(call, item, SF_FAILED_PRECONDITION, "start_date",
                          "the person already holds a full-time placement over these dates");
    }
}

/* Phase 4: the accepted new placements, ids taken first so that each row
 * is known by its id, then one INSERT; each becomes CREATED with its row. */
static sf_status_t
run_insert(placement_run_t *run)
{
    sf_call_t *call = run->call;
    size_t n_new = 0;
    for (size_t i = 0; i < run->n; i++)
        if (run_is_new(run, i))
            n_new++;
    if (!n_new)
        return SF_OK;
    sf_params_t *params = SF_PARAMS((int64_t) n_new);
    PGresult *ids = emp_try(call, "SELECT nextval('placement_id_seq') FROM generate_series(1, $1)", params);
    if (!ids)
        return sf_call_status(call);
    size_t next = 0;
    static const uint32_t column_types[15] = {
        SF_OID_INT8, SF_OID_INT8, SF_OID_TEXT, SF_OID_INT8, SF_OID_TEXT, SF_OID_INT4, SF_OID_INT4,
        SF_OID_BOOL, SF_OID_DATE, SF_OID_DATE, SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT,
        SF_OID_BYTEA,
    };
    sf_binarray_t columns[15];
    for (size_t a = 0; a < 15; a++)
        sf_binarray_init(&columns[a], column_types[a]);
    for (size_t i = 0; i < run->n; i++) {
        if (!run_is_new(run, i))
            continue;
        const Sifang__V1__Placement *placement = run->stored[i];
        placement_plan_t *plan = &run->plans[i];
        const emp_item_t *item = &run->items[i];
        plan->id = sf_db_int(ids, (int) next++, 0);
        sf_binarray_int8(&columns[0], plan->id);
        sf_binarray_int8(&columns[1], plan->serial);
        sf_binarray_text(&columns[2], *placement->enterprise_credit_code ? placement->enterprise_credit_code : NULL);
        if (plan->vacancy_id)
            sf_binarray_int8(&columns[3], plan->vacancy_id);
        else
            sf_binarray_null(&columns[3]);
        sf_binarray_text(&columns[4], *placement->occupation_code ? placement->occupation_code : NULL);
        sf_binarray_int4(&columns[5], placement->kind);
        sf_binarray_int4(&columns[6], placement->source);
        sf_binarray_bool(&columns[7], placement->full_time);
        sf_binarray_date(&columns[8], plan->start);
        if (plan->has_end)
            sf_binarray_date(&columns[9], plan->end);
        else
            sf_binarray_null(&columns[9]);
        sf_binarray_text(&columns[10], placement->employer_name);
        sf_binarray_text(&columns[11], placement->home_zone_code);
        sf_binarray_text(&columns[12], item->system);
        sf_binarray_text(&columns[13], item->system ? item->external_id : NULL);
        if (item->system)
            sf_binarray_bytes(&columns[14], item->hash, sizeof item->hash);
        else
            sf_binarray_null(&columns[14]);
    }
    PQclear(ids);
    sf_params_init(params);
    for (size_t a = 0; a < 15; a++)
        sf_binarray_param(&columns[a], params);
    /* The arrays in the target list (see emp_person_apply). */
    PGresult *inserted = emp_try(call,
        "INSERT INTO placement (id, person_serial, enterprise_credit_code, vacancy_id, occupation_code, kind,"
        " source, full_time, start_date, end_date, employer_name, home_zone_code, ext_system, ext_id, ext_hash)"
        " SELECT unnest($1::bigint[]), unnest($2::bigint[]), unnest($3::text[]), unnest($4::bigint[]),"
        "  unnest($5::text[]), unnest($6::int[]), unnest($7::int[]), unnest($8::bool[]), unnest($9::date[]),"
        "  unnest($10::date[]), unnest($11::text[]), unnest($12::text[]), unnest($13::text[]), unnest($14::text[]),"
        "  unnest($15::bytea[])"
        " RETURNING id, " EMP_MS("created_at"), params);
    for (size_t a = 0; a < 15; a++)
        sf_binarray_release(&columns[a]);
    if (!inserted)
        return sf_call_status(call);
    take_inserted(run, inserted);
    PQclear(inserted);
    return SF_OK;
}

/* Phase 5a: each vacancy loses the positions the run's new placements
 * took, and is filled when none is left. */
static sf_status_t
run_fill_vacancies(placement_run_t *run)
{
    sf_binarray_t filled_ids;
    sf_binarray_init(&filled_ids, SF_OID_INT8);
    size_t n_filled = 0;
    for (size_t i = 0; i < run->n; i++)
        if (run->items[i].outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_CREATED && run->plans[i].vacancy_id) {
            sf_binarray_int8(&filled_ids, run->plans[i].vacancy_id);
            n_filled++;
        }
    sf_status_t status = SF_OK;
    if (n_filled) {
        sf_params_t params;
        sf_params_init(&params);
        sf_binarray_param(&filled_ids, &params);
        PGresult *result = emp_try(run->call,
            "UPDATE vacancy v SET open_positions = v.open_positions - k.n,"
            " status = CASE WHEN v.open_positions - k.n = 0 THEN 2 ELSE v.status END,"
            " version = v.version + 1, updated_at = now()"
            " FROM (SELECT id, count(*)::int AS n FROM unnest($1::bigint[]) AS f(id) GROUP BY id) k"
            " WHERE v.id = k.id", &params);
        if (!result)
            status = sf_call_status(run->call);
        PQclear(result);
    }
    sf_binarray_release(&filled_ids);
    return status;
}

/* Phase 5b: the follow-up visits of the new placements (employment_followups.c). */
static sf_status_t
run_schedule_follow_ups(placement_run_t *run)
{
    sf_pgarray_t ids;
    sf_pgarray_init(&ids);
    size_t n_new = 0;
    for (size_t i = 0; i < run->n; i++)
        if (run->items[i].outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_CREATED) {
            sf_pgarray_add_int(&ids, run->plans[i].id);
            n_new++;
        }
    const char *literal = emp_pgarray_take(run->call, &ids);
    return n_new ? emp_follow_ups_schedule(run->call, SIFANG__V1__FOLLOW_UP_KIND__FOLLOW_UP_KIND_PLACEMENT, literal)
                 : SF_OK;
}

static bool
run_created_active(const placement_run_t *run, size_t i)
{
    return run->items[i].outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_CREATED
        && placement_active(&run->plans[i]);
}

/* Phase 5b: the status each placed person takes, from their latest active
 * placement of the run (not when the same, nor when the current status
 * began later), with the status it replaces as the look-up found it; then
 * one statement for them all. The look-up was in this transaction; should
 * a person have changed since, the run goes record by record. */
static sf_status_t
run_set_statuses(placement_run_t *run)
{
    sf_call_t *call = run->call;
    positions_init(call, &run->latest, run->n);
    for (size_t i = 0; i < run->n; i++) {
        if (!run_created_active(run, i))
            continue;
        bool fresh = false;
        int *at = positions_slot(&run->latest, run->plans[i].serial, (int) i + 1, &fresh);
        if (!fresh && run->plans[i].start >= run->plans[*at - 1].start)
            *at = (int) i + 1;
    }
    sf_binarray_t persons, statuses, sinces, old_statuses, old_sinces, reasons, old_events, old_reasons;
    sf_binarray_init(&reasons, SF_OID_TEXT);
    sf_binarray_init(&old_events, SF_OID_INT4);
    sf_binarray_init(&old_reasons, SF_OID_TEXT);
    sf_binarray_init(&persons, SF_OID_INT8);
    sf_binarray_init(&statuses, SF_OID_INT4);
    sf_binarray_init(&sinces, SF_OID_DATE);
    sf_binarray_init(&old_statuses, SF_OID_INT4);
    sf_binarray_init(&old_sinces, SF_OID_DATE);
    size_t n_statuses = 0;
    for (size_t i = 0; i < run->n; i++) {
        if (!run_created_active(run, i))
            continue;
        const placement_plan_t *plan = &run->plans[i];
        bool fresh = false;
        if (*positions_slot(&run->latest, plan->serial, 0, &fresh) != (int) i + 1)
            continue;
        int next = emp_status_of_placement(run->stored[i]->kind);
        if (next == plan->person_status || plan->person_since > plan->start)
            continue;
        sf_binarray_int8(&persons, plan->serial);
        sf_binarray_int4(&statuses, next);
        sf_binarray_date(&sinces, plan->start);
        sf_binarray_int4(&old_statuses, plan->person_status);
        sf_binarray_date(&old_sinces, plan->person_since);
        sf_binarray_text(&reasons, sf_call_printf(call, "placement %lld", (long long) plan->id));
        sf_binarray_int4(&old_events, plan->person_event);
        sf_binarray_text(&old_reasons, plan->person_reason);
        n_statuses++;
    }
    sf_status_t status = SF_OK;
    if (n_statuses) {
        sf_params_t params;
        sf_params_init(&params);
        sf_binarray_param(&persons, &params);
        sf_binarray_param(&statuses, &params);
        sf_binarray_param(&sinces, &params);
        sf_binarray_param(&old_statuses, &params);
        sf_binarray_param(&old_sinces, &params);
        sf_binarray_param(&reasons, &params);
        sf_binarray_param(&old_events, &params);
        sf_binarray_param(&old_reasons, &params);
        /* The status the look-up found becomes a closed period ending the
         * day before (unless it began that same day): one probe of the
         * person's index for the update (= ANY, not a hash of the whole
         * table), which leaves the indexes alone (HOT: the table keeps room
         * for it). A row changed since is not updated. */
        run->changed = emp_try(call,
            "WITH k AS (SELECT unnest($1::bigint[]) AS serial, unnest($2::int[]) AS status, unnest($3::date[]) AS since,"
            "   unnest($4::int[]) AS old_status, unnest($5::date[]) AS old_since, unnest($6::text[]) AS reason,"
            "   unnest($7::int[]) AS old_event, unnest($8::text[]) AS old_reason),"
            /* The period it closes keeps what began it, as the look-up found
             * it (it changes only with the status, which the update checks);
             * a placement ends the search for work. */
            " u AS (UPDATE person p SET status = k.status, status_since = k.since, status_event = 2,"
            "   status_reason = k.reason, seeking_work = false, version = p.version + 1, updated_at = now()"
            "   FROM k WHERE p.serial = k.serial AND p.serial = ANY ($1::bigint[])"
            "   AND p.status = k.old_status AND p.status_since = k.old_since"
            "   RETURNING p.serial, p.status, k.old_status, k.old_since, k.since, k.old_event, k.old_reason),"
            " closed AS (INSERT INTO status_period (person_serial, status, since, until, reason, event)"
            "   SELECT serial, old_status, old_since, since - 1, old_reason, old_event FROM u WHERE old_since < since)"
            " SELECT serial, status FROM u", &params);
        if (run->changed && PQntuples(run->changed) != (int) n_statuses) {
            PQclear(run->changed);
            run->changed = NULL;
            sf_call_fail(call, SF_ABORTED, "a person changed while the run was applied");
        }
        if (!run->changed)
            status = sf_call_status(call);
    }
    sf_binarray_release(&persons);
    sf_binarray_release(&statuses);
    sf_binarray_release(&sinces);
    sf_binarray_release(&old_statuses);
    sf_binarray_release(&old_sinces);
    sf_binarray_release(&reasons);
    sf_binarray_release(&old_events);
    sf_binarray_release(&old_reasons);
    return status;
}

/* Phase 6: re-sent imports that end a placement, one at a time. */
static sf_status_t
run_end_resent(placement_run_t *run)
{
    run->ended_changed = sf_call_new_array(run->call, run->n, sizeof *run->ended_changed);
    run->ended_status = sf_call_new_array(run->call, run->n, sizeof *run->ended_status);
    run->ended_on = sf_call_new_array(run->call, run->n, sizeof *run->ended_on);
    for (size_t i = 0; i < run->n; i++) {
        run->ended_changed[i] = false;
        if (!emp_item_open(&run->items[i]) || !run->plans[i].update_id)
            continue;
        sf_status_t status = placement_end_core(run->call, &run->items[i], run->plans[i].update_id,
                                                run_record(run, i)->end_date, 0, "", 0, 0, &run->ended_changed[i],
                                                &run->ended_status[i], &run->ended_on[i]);
        if (status != SF_OK)
            return status;
    }
    return SF_OK;
}

/* Phase 7: the events, each on its item's call, once every statement went
 * through. */
static void
run_emit(placement_run_t *run)
{
    sf_call_t *call = run->call;
    for (size_t i = 0; i < run->n; i++) {
        emp_item_t *item = &run->items[i];
        sf_call_t *item_call = emp_item_call(call, item);
        if (item->outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_CREATED)
            sf_call_emit(item_call, "placement.registered", item->key, item->stored);
        else if (item->outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UPDATED) {
            sf_call_emit(item_call, "placement.ended", item->key, item->stored);
            if (run->ended_changed[i])
                emp_emit_status_change(item_call, ((Sifang__V1__Placement *) item->stored)->resident_id,
                                       run->ended_status[i], run->ended_on[i],
                                       SIFANG__V1__STATUS_EVENT__STATUS_EVENT_SEPARATION,
                                       sf_call_printf(call, "placement %lld ended", (long long) run->plans[i].update_id),
                                       emp_seeks_work_in(run->ended_status[i]));
        }
    }
    for (int r = 0; run->changed && r < PQntuples(run->changed); r++) {
        bool fresh = false;
        int at = *positions_slot(&run->latest, sf_db_int(run->changed, r, 0), 0, &fresh);
        if (fresh || at <= 0)
            continue;
        size_t i = (size_t) at - 1;
        emp_emit_status_change(emp_item_call(call, &run->items[i]), run->stored[i]->resident_id,
                               (int) sf_db_int(run->changed, r, 1), run->plans[i].start,
                               SIFANG__V1__STATUS_EVENT__STATUS_EVENT_PLACEMENT,
                               sf_call_printf(call, "placement %lld", (long long) run->plans[i].id), false);
    }
}

sf_status_t
emp_placement_apply(sf_call_t *call, const ProtobufCMessage *const *records, emp_item_t *items, size_t n)
{
    placement_run_t run = { .call = call, .records = records, .items = items, .n = n };
    run_check(&run);
    sf_status_t status = run_look_up(&run);
    if (status == SF_OK) {
        run_decide(&run);
        status = run_insert(&run);
    }
    if (status == SF_OK)
        status = run_fill_vacancies(&run);
    if (status == SF_OK)
        status = run_schedule_follow_ups(&run);
    if (status == SF_OK)
        status = run_set_statuses(&run);
    if (status == SF_OK)
        status = run_end_resent(&run);
    if (status == SF_OK)
        run_emit(&run);
    PQclear(run.changed);
    return status;
}

sf_status_t
emp_placement_register(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    return emp_apply_one(call, emp_placement_apply, request, reply_p);
}

/* Many PlacementRegister requests in one go (a loader's window). */
sf_status_t
emp_placement_register_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies,
                             size_t n)
{
    return emp_apply_batch(emp_placement_apply, calls, requests, replies, n);
}

/* --- ending ---------------------------------------------------------------------- */

static sf_status_t
placement_end_core(sf_call_t *call, emp_item_t *item, int64_t id, const char *end_date, int reason,
                   const char *note, int next_status,
                   int64_t expected_version, bool *status_changed, int *new_status, int32_t *effective)
{
    *status_changed = false;
    sf_params_t *params = SF_PARAMS(id);
    PGresult *result = emp_try(call,
        "SELECT pl.person_serial, p.resident_id, " EMP_DATE("pl.start_date") ", " EMP_DATE("pl.end_date") ","
        " pl.version, p.home_zone_code FROM placement pl JOIN person p ON p.serial = pl.person_serial"
        " WHERE pl.id = $1 FOR UPDATE OF pl", params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1) {
        PQclear(result);
        emp_item_fail(call, item, SF_NOT_FOUND, "id", "no placement %lld", (long long) id);
        return SF_OK;
    }
    int64_t serial = sf_db_int(result, 0, 0);
    int32_t start = 0, end = 0, old_end = 0;
    sf_date_parse(sf_db_text(result, 0, 2), &start);
    bool had_end = sf_date_parse(sf_db_text(result, 0, 3), &old_end);
    int64_t version = sf_db_int(result, 0, 4);
    bool seen = sf_call_covers(emp_item_call(call, item), sf_db_text(result, 0, 5));
    bool covered = emp_may_write(emp_item_call(call, item), sf_db_text(result, 0, 5));
    PQclear(result);
    if (!seen) {
        /* Outside the caller's view: as if there were none. */
        emp_item_fail(call, item, SF_NOT_FOUND, "id", "no placement %lld", (long long) id);
        return SF_OK;
    }
    if (!covered) {
        emp_item_fail(call, item, SF_PERMISSION_DENIED, "id", "the person lives outside your scope");
        return SF_OK;
    }
    if (expected_version && expected_version != version) {
        emp_item_fail(call, item, SF_FAILED_PRECONDITION, "expected_version", "the placement is at version %lld",
                      (long long) version);
        return SF_OK;
    }
    if (!*end_date) {
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "end_date", "is required");
        return SF_OK;
    }
    if (!emp_item_date(call, item, "end_date", end_date, &end))
        return SF_OK;
    if (end < start) {
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "end_date", "is before start_date");
        return SF_OK;
    }
    if (end > sf_today() + 366) {
        emp_item_fail(call, item, SF_INVALID_ARGUMENT, "end_date", "is more than a year ahead");
        return SF_OK;
    }
    if (!had_end || old_end != end || reason) {
        sf_params_init(params);
        SF_PARAMS_ADD(params, id, end_date);
        sf_params_bytes(params, item->hash, sizeof item->hash);
        sf_params_bool(params, item->system != NULL);
        SF_PARAMS_ADD(params, reason, note);
        /* A separation's reason (PlacementEnd) stands until another is
         * given; an import's new end date leaves it. */
        result = emp_try(call,
            "UPDATE placement SET end_date = $2::date, version = version + 1, updated_at = now(),"
            " ext_hash = CASE WHEN $4 THEN $3 ELSE ext_hash END,"
            " separation_reason = CASE WHEN $5 > 0 THEN $5 ELSE separation_reason END,"
            " separation_note = CASE WHEN $5 > 0 THEN $6 ELSE separation_note END WHERE id = $1", params);
        if (!result)
            return sf_call_status(call);
        PQclear(result);
        sf_status_t status = emp_follow_ups_cancel(call, id, end_date);
        if (status != SF_OK)
            return status;
    }
    /* Out of work once it ends, unless another placement goes on. */
    if (end < sf_today()) {
        sf_params_init(params);
        SF_PARAMS_ADD(params, serial, id);
        char today[11];
        sf_date_format(sf_today(), today);
        sf_params_text(params, today);
        result = emp_try(call,
            "SELECT count(*) FROM placement WHERE person_serial = $1 AND id <> $2"
            " AND (end_date IS NULL OR end_date >= $3::date)", params);
        if (!result)
            return sf_call_status(call);
        bool others = sf_db_int(result, 0, 0) > 0;
        PQclear(result);
        if (!others) {
            *new_status = next_status ? next_status : SIFANG__V1__LABOR_STATUS__LABOR_STATUS_UNEMPLOYED;
            *effective = end + 1;
            sf_status_t status = emp_person_set_status(call, serial, *new_status, *effective,
                                                       SIFANG__V1__STATUS_EVENT__STATUS_EVENT_SEPARATION,
                                                       sf_call_printf(call, "placement %lld ended", (long long) id),
                                                       status_changed);
            if (status != SF_OK)
                return status;
        }
    }
    params = SF_PARAMS(id);
    result = emp_try(call, "SELECT " EMP_PLACEMENT_COLUMNS " FROM " EMP_PLACEMENT_FROM " WHERE pl.id = $1", params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__Placement *row = emp_placement_from_row(call, result, 0);
    if (!row) {
        PQclear(result);
        return sf_call_fail(call, SF_INTERNAL, "internal error");   /* logged by the reader */
    }
    Sifang__V1__Placement *stored = (Sifang__V1__Placement *) sf_call_new_message(call, &sifang__v1__placement__descriptor);
    *stored = *row;
    stored->resident_id = sf_call_strdup(call, row->resident_id);
    stored->enterprise_credit_code = sf_call_strdup(call, row->enterprise_credit_code);
    stored->occupation_code = sf_call_strdup(call, row->occupation_code);
    stored->start_date = sf_call_strdup(call, row->start_date);
    stored->end_date = sf_call_strdup(call, row->end_date);
    stored->employer_name = sf_call_strdup(call, row->employer_name);
    stored->home_zone_code = sf_call_strdup(call, row->home_zone_code);
    stored->external_system = sf_call_strdup(call, row->external_system);
    stored->external_id = sf_call_strdup(call, row->external_id);
    stored->separation_note = sf_call_strdup(call, row->separation_note);
    PQclear(result);
    item->outcome = SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UPDATED;
    item->key = sf_call_printf(call, "%lld", (long long) id);
    item->stored = &stored->base;
    return SF_OK;
}

sf_status_t
emp_placement_end(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__PlacementEndRequest *end = (const Sifang__V1__PlacementEndRequest *) request;
    if (end->id <= 0)
        sf_call_violation(call, "id", "is required");
    if (end->next_status < 0 || end->next_status > 6)
        sf_call_violation(call, "next_status", "is not a labour status");
    if (end->reason == 0)
        sf_call_violation(call, "reason", "is required: why the placement ended");
    else if (end->reason < 1 || end->reason > 6)
        sf_call_violation(call, "reason", "is not a separation reason");
    sf_call_check_text(call, "note", end->note, EMP_TEXT_MAX, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    emp_item_t item;
    emp_item_init(&item);
    bool changed = false;
    int new_status = 0;
    int32_t effective = 0;
    sf_status_t status = placement_end_core(call, &item, end->id, end->end_date, end->reason, end->note,
                                            end->next_status,
                                            end->expected_version, &changed, &new_status, &effective);
    if (status != SF_OK)
        emp_item_fail_sql(call, &item);
    if (item.outcome == SIFANG__V1__IMPORT_OUTCOME__IMPORT_OUTCOME_UPDATED) {
        sf_call_emit(call, "placement.ended", item.key, item.stored);
        if (changed)
            emp_emit_status_change(call, ((Sifang__V1__Placement *) item.stored)->resident_id, new_status, effective,
                                   SIFANG__V1__STATUS_EVENT__STATUS_EVENT_SEPARATION,
                                   sf_call_printf(call, "placement %lld ended", (long long) end->id),
                                   emp_seeks_work_in(new_status));
    }
    return emp_item_reply(call, &item, reply_p);
}

sf_status_t
emp_placement_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__PlacementListRequest *list = (const Sifang__V1__PlacementListRequest *) request;
    const char *prefix = NULL;
    int64_t after = 0;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    sf_page_t page = sf_page_of(call, list->page);
    emp_check_date(call, "started_from", list->started_from, NULL);
    emp_check_date(call, "started_to", list->started_to, NULL);
    emp_check_date(call, "ended_from", list->ended_from, NULL);
    emp_check_date(call, "ended_to", list->ended_to, NULL);
    if (*list->enterprise_credit_code && !sf_credit_code_valid(list->enterprise_credit_code))
        sf_call_violation(call, "enterprise_credit_code", "is not a unified social credit code");
    if (!sf_call_has_violations(call))
        sf_page_int_token(call, &page, &after);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    Sifang__V1__PlacementListReply *reply = (Sifang__V1__PlacementListReply *)
        sf_call_new_message(call, &sifang__v1__placement_list_reply__descriptor);
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;
    sf_query_t query;
    sf_query_init(&query, call, "SELECT " EMP_PLACEMENT_COLUMNS " FROM " EMP_PLACEMENT_FROM);
    sf_query_subtree(&query, "pl.home_zone_code", prefix);
    if (*list->resident_id)
        sf_query_where(&query, "p.resident_id = $%d", sf_query_text(&query, list->resident_id));
    if (*list->enterprise_credit_code)
        sf_query_where(&query, "pl.enterprise_credit_code = $%d", sf_query_text(&query, list->enterprise_credit_code));
    if (*list->started_from)
        sf_query_where(&query, "pl.start_date >= $%d::date", sf_query_text(&query, list->started_from));
    if (*list->started_to)
        sf_query_where(&query, "pl.start_date <= $%d::date", sf_query_text(&query, list->started_to));
    if (*list->ended_from)
        sf_query_where(&query, "pl.end_date >= $%d::date", sf_query_text(&query, list->ended_from));
    if (*list->ended_to)
        sf_query_where(&query, "pl.end_date <= $%d::date", sf_query_text(&query, list->ended_to));
    char today[11];   /* the query holds on to it until it runs */
    if (list->active_only) {
        sf_date_format(sf_today(), today);
        sf_query_where(&query, "(pl.end_date IS NULL OR pl.end_date >= $%d::date)", sf_query_text(&query, today));
    }
    if (after)
        sf_query_where(&query, "pl.id > $%d", sf_query_int(&query, after));
    sf_query_append(&query, " ORDER BY pl.id LIMIT %d", page.size + 1);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->placements = sf_call_new_array(call, (size_t) rows, sizeof *reply->placements);
    for (int row = 0; row < rows; row++)
        if (!(reply->placements[reply->n_placements++] = emp_placement_from_row(call, result, row)))
            return sf_call_fail(call, SF_INTERNAL, "a row's columns are not those its reader reads");
    if (sf_page_more(&page, result))
        reply->next_page_token = sf_call_printf(call, "%lld", (long long) reply->placements[rows - 1]->id);
    return SF_OK;
}
