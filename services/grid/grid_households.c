/* Households in building groups, with the flags that mark difficulty:
 * create, update, get and list. A person whose resident duty does not reach
 * a household sees its address masked and no flags. */
#include "grid.h"
#include <stdio.h>
#include <string.h>

#define HOUSEHOLD_COLUMNS GRID_HOUSEHOLD_COLUMNS
/* Households from arrays, in one statement: each row checked against the
 * registry as it stood before (its building group there, kind 5, its code
 * free), the good ones written; one row back per request, in order: its
 * place, whether the group was found, and the household written (NULLs: not). */
#define HOUSEHOLDS_INSERT \
    "WITH request AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])" \
    "   WITH ORDINALITY AS q(code, building_group_code, address, flags, o))," \
    " checked AS (SELECT q.*, (SELECT true FROM org_unit g" \
    "     WHERE g.code = q.building_group_code AND g.kind = 5) IS NOT NULL AS group_found," \
    "   (SELECT true FROM household x WHERE x.code = q.code) IS NOT NULL AS taken FROM request q)," \
    " created AS (INSERT INTO household AS h (code, building_group_code, address, flags)" \
    "   SELECT code, building_group_code, address, flags::smallint[] FROM checked" \
    "   WHERE group_found AND NOT taken ORDER BY o" \
    "   ON CONFLICT (code) DO NOTHING RETURNING " HOUSEHOLD_COLUMNS ")" \
    " SELECT c.o, c.group_found, created.* FROM checked c" \
    " LEFT JOIN created ON created.code = c.code ORDER BY c.o"
#define HOUSEHOLD_UPDATE \
    "UPDATE household AS h SET address = $2, flags = $3::smallint[], version = version + 1," \
    " updated_at = now() WHERE code = $1 RETURNING " HOUSEHOLD_COLUMNS

#define FLAG_MAX SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_SPECIAL_CARE

/* Flags as a set: present[f] for each flag 1..FLAG_MAX. */
typedef struct {
    bool present[FLAG_MAX + 1];
} flag_set_t;

/* Parses the text of a smallint[] ("{1,3}"). */
static void
flag_set_parse(flag_set_t *set, const char *text)
{
    memset(set, 0, sizeof *set);
    int value = -1;
    for (const char *c = text;; c++) {
        if (*c >= '0' && *c <= '9')
            value = (value < 0 ? 0 : value * 10) + (*c - '0');
        else {
            if (value >= 1 && value <= FLAG_MAX)
                set->present[value] = true;
            value = -1;
            if (!*c)
                break;
        }
    }
}

/* Sorted, distinct flags as a smallint[] literal, in call memory. */
static char *
flag_set_literal(sf_call_t *call, const flag_set_t *set)
{
    char text[4 * FLAG_MAX + 3] = "{";
    for (int flag = 1; flag <= FLAG_MAX; flag++)
        if (set->present[flag]) {
            size_t at = strlen(text);
            snprintf(text + at, sizeof text - at, "%s%d", at > 1 ? "," : "", flag);
        }
    strcat(text, "}");
    return sf_call_strdup(call, text);
}

static bool
flag_set_read(sf_call_t *call, flag_set_t *set, size_t n_flags, const Sifang__V1__HouseholdFlag *flags)
{
    memset(set, 0, sizeof *set);
    bool ok = true;
    for (size_t i = 0; i < n_flags; i++) {
        if (flags[i] < 1 || flags[i] > FLAG_MAX) {
            char field[32];
            snprintf(field, sizeof field, "flags[%zu]", i);
            sf_call_violation(call, field, "is not a household flag");
            ok = false;
        } else
            set->present[flags[i]] = true;
    }
    return ok;
}

Sifang__V1__Household *
grid_household_from_row(sf_call_t *call, const PGresult *result, int row, int column)
{
    Sifang__V1__Household *household =
        (Sifang__V1__Household *) sf_call_new_message(call, &sifang__v1__household__descriptor);
    household->code = sf_call_strdup(call, sf_db_text(result, row, column));
    household->building_group_code = sf_call_strdup(call, sf_db_text(result, row, column + 1));
    /* Codes have fixed lengths per kind: the zone is the building group's
     * code without its last digit. */
    household->zone_code = sf_call_printf(call, "%.*s",
        (int) sf_code_ancestor(household->building_group_code,
                               grid_code_length(SIFANG__V1__UNIT_KIND__UNIT_KIND_ZONE)),
        household->building_group_code);
    household->address = sf_call_strdup(call, sf_db_text(result, row, column + 2));
    flag_set_t set;
    flag_set_parse(&set, sf_db_text(result, row, column + 3));
    household->flags = sf_call_new_array(call, FLAG_MAX, sizeof *household->flags);
    for (int flag = 1; flag <= FLAG_MAX; flag++)
        if (set.present[flag])
            household->flags[household->n_flags++] = (Sifang__V1__HouseholdFlag) flag;
    household->residents = (int32_t) sf_db_int(result, row, column + 4);
    household->created_unix_ms = sf_db_int(result, row, column + 5);
    household->updated_unix_ms = sf_db_int(result, row, column + 6);
    household->version = sf_db_int(result, row, column + 7);
    return household;
}

Sifang__V1__Household *
grid_household_for_caller(sf_call_t *call, Sifang__V1__Household *household)
{
    if (grid_sees_household(call, household->code))
        return household;
    char masked[SF_MASK_SIZE];
    sf_address_mask(household->address, masked, sizeof masked);
    household->address = sf_call_strdup(call, masked);
    /* Difficulties are the most personal of all: not even masked. */
    household->n_flags = 0;
    return household;
}

static sf_status_t
household_load(sf_call_t *call, const char *code, bool lock, Sifang__V1__Household **household_p)
{
    PGresult *result = grid_select_one(call, "SELECT " HOUSEHOLD_COLUMNS " FROM household h WHERE h.code = $1", lock,
                                       SF_PARAMS(code));
    *household_p = result && PQntuples(result) == 1 ? grid_household_from_row(call, result, 0, 0) : NULL;
    return result ? SF_OK : sf_call_status(call);
}

typedef struct {
    grid_draft_t base;
    const char *building_group_code;   /* given, or derived from the code */
    const char *flags;                 /* smallint[] literal */
} household_draft_t;

static bool
household_admit(sf_call_t *call, grid_draft_t *draft)
{
    const Sifang__V1__Household *household = (const Sifang__V1__Household *) draft->request;
    size_t group_length = grid_code_length(SIFANG__V1__UNIT_KIND__UNIT_KIND_BUILDING_GROUP);
    const char *group = household->building_group_code;
    bool code_ok = false;
    if (!*household->code)
        sf_call_violation(call, "code", "is required");
    else if (!grid_household_code_valid(household->code))
        sf_call_violation(call, "code", "must be %d digits: the building group's code and 3 more",
                          GRID_HOUSEHOLD_CODE_LENGTH);
    else
        code_ok = true;
    if (!*group && code_ok)
        /* Derived from the code when not given: a household code starts
         * with its building group's. */
        group = sf_call_printf(call, "%.*s", (int) sf_code_ancestor(household->code, group_length), household->code);
    else if (!*group)
        sf_call_violation(call, "building_group_code", "is required");
    else if (!sf_code_digits(group) || strlen(group) != group_length)
        sf_call_violation(call, "building_group_code", "must be a building group code (%zu digits)",
                          group_length);
    else if (code_ok && !sf_code_starts_with(household->code, group))
        sf_call_violation(call, "code", "must start with the building group's code");
    sf_call_check_text(call, "address", household->address, GRID_ADDRESS_MAX, false);
    flag_set_t flags;
    flag_set_read(call, &flags, household->n_flags, household->flags);
    if (sf_call_has_violations(call))
        return false;
    if (!sf_call_may_write(call, group)) {
        sf_call_fail(call, SF_PERMISSION_DENIED, "building group %s lies outside your scope", group);
        return false;
    }
    household_draft_t *new_household = (household_draft_t *) draft;
    new_household->building_group_code = group;
    new_household->flags = flag_set_literal(call, &flags);
    draft->key = household->code;
    return true;
}

static void
household_add(grid_columns_t *columns, const grid_draft_t *draft)
{
    const household_draft_t *new_household = (const household_draft_t *) draft;
    const Sifang__V1__Household *household = (const Sifang__V1__Household *) draft->request;
    sf_pgarray_add_text(&columns->arrays[0], household->code);
    sf_pgarray_add_text(&columns->arrays[1], new_household->building_group_code);
    sf_pgarray_add_text(&columns->arrays[2], household->address);
    sf_pgarray_add_text(&columns->arrays[3], new_household->flags);
}

static void
household_answer(sf_call_t *call, const grid_draft_t *draft, const PGresult *result, int row,
                 ProtobufCMessage **reply_p)
{
    if (!sf_db_bool(result, row, 1))
        sf_call_refuse(call, SF_FAILED_PRECONDITION, "building_group_code", "no building group %s",
                       ((const household_draft_t *) draft)->building_group_code);
    else if (sf_db_is_null(result, row, 2))
        sf_call_refuse(call, SF_ALREADY_EXISTS, "code", "household %s already exists",
                       ((const Sifang__V1__Household *) draft->request)->code);
    else {
        Sifang__V1__Household *created = grid_household_from_row(call, result, row, 2);
        sf_call_emit(call, "household.created", created->code, &created->base);
        *reply_p = &grid_household_for_caller(call, created)->base;
    }
}

const grid_creator_t grid_household_creator = {
    .method = "HouseholdCreate",
    .draft_size = sizeof(household_draft_t),
    .admit = household_admit,
    .columns = 4,
    .add = household_add,
    .sql = HOUSEHOLDS_INSERT,
    .answer = household_answer,
};

sf_status_t
grid_household_update(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HouseholdUpdateRequest *update =
        (const Sifang__V1__HouseholdUpdateRequest *) request;
    grid_check_code(call, "code", update->code);
    if (*update->address)
        sf_call_check_text(call, "address", update->address, GRID_ADDRESS_MAX, true);
    flag_set_t flags;
    flag_set_read(call, &flags, update->n_flags, update->flags);
    if (update->n_flags && !update->set_flags)
        sf_call_violation(call, "set_flags", "must be true to replace the flags");
    if (update->expected_version < 0)
        sf_call_violation(call, "expected_version", "must not be negative");
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!sf_call_may_write(call, update->code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "household %s lies outside your scope",
                            update->code);

    Sifang__V1__Household *household;
    sf_status_t status = household_load(call, update->code, true, &household);
    if (status != SF_OK)
        return status;
    if (!household)
        return sf_call_fail(call, SF_NOT_FOUND, "household %s not found", update->code);
    if (update->expected_version && update->expected_version != household->version)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version",
                              "is %lld but household %s is at version %lld",
                              (long long) update->expected_version, household->code,
                              (long long) household->version);
    if (!update->set_flags)
        flag_set_read(call, &flags, household->n_flags, household->flags);

    PGresult *result = sf_call_query(call, HOUSEHOLD_UPDATE,
        SF_PARAMS(household->code, *update->address ? update->address : household->address,
                  flag_set_literal(call, &flags)));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__Household *updated = grid_household_from_row(call, result, 0, 0);
    sf_call_emit(call, "household.updated", updated->code, &updated->base);
    *reply_p = &grid_household_for_caller(call, updated)->base;
    return SF_OK;
}

sf_status_t
grid_household_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CodeRequest *get = (const Sifang__V1__CodeRequest *) request;
    if (!grid_check_code(call, "code", get->code))
        return sf_call_status(call);
    Sifang__V1__Household *household = NULL;
    if (sf_call_covers(call, get->code)) {
        sf_status_t status = household_load(call, get->code, false, &household);
        if (status != SF_OK)
            return status;
    }
    if (!household)
        return sf_call_fail(call, SF_NOT_FOUND, "household %s not found", get->code);
    *reply_p = &grid_household_for_caller(call, household)->base;
    return SF_OK;
}

sf_status_t
grid_household_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__HouseholdListRequest *list = (const Sifang__V1__HouseholdListRequest *) request;
    Sifang__V1__HouseholdListReply *reply = (Sifang__V1__HouseholdListReply *)
        sf_call_new_message(call, &sifang__v1__household_list_reply__descriptor);
    sf_page_t page;
    grid_person_page_read(call, list->page, &page);
    if (list->flag < 0 || list->flag > FLAG_MAX)
        sf_call_violation(call, "flag", "is not a household flag");
    if (*page.token && !grid_household_code_valid(page.token))
        sf_page_bad_token(call);
    const char *prefix;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    /* Filtering by a flag tells the flag: a person filters only where their
     * resident duty shows flags, the whole subtree read. */
    if (visible && list->flag && sf_call_is_person(call)
        && !sf_call_covers_as(call, SF_ROLES_RESIDENT_DUTY, prefix))
        return sf_call_refuse(call, SF_PERMISSION_DENIED, "flag",
                              "households' flags are for those whose duty is residents, in their units:"
                              " name one in under");
    *reply_p = &reply->base;
    if (!visible)
        return SF_OK;

    sf_query_t query;
    sf_query_init(&query, call, "SELECT " HOUSEHOLD_COLUMNS " FROM household h");
    sf_query_subtree(&query, "h.code", prefix);
    if (list->flag)
        sf_query_where(&query, "h.flags @> ARRAY[$%d::smallint]", sf_query_int(&query, list->flag));
    if (*page.token)
        sf_query_where(&query, "h.code > $%d", sf_query_text(&query, page.token));
    sf_query_append(&query, " ORDER BY h.code LIMIT $%d", sf_query_int(&query, page.size + 1));
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->households = sf_call_new_array(call, (size_t) rows, sizeof *reply->households);
    for (int row = 0; row < rows; row++)
        reply->households[reply->n_households++] =
            grid_household_for_caller(call, grid_household_from_row(call, result, row, 0));
    if (sf_page_more(&page, result))
        reply->next_page_token = reply->households[rows - 1]->code;
    return SF_OK;
}
