/* Residents of households: create, update (including a move to another
 * household), get, list, and find by identity number. The identity number is
 * hashed on arrival and never returned; phones are masked for roles that may
 * not see them and always in events. A person sees a resident's name in the
 * clear only where their resident duty reaches, and a birth date or phone
 * only through a reveal (grid_access.c). */
#include "grid.h"
#include <stdio.h>
#include <string.h>

#define RESIDENT_ID_WIDTH 7
#define RESIDENT_COLUMNS GRID_RESIDENT_COLUMNS
/* Residents from arrays, in one statement: each row checked against the
 * registry as it stood before (its household there, its identity number's
 * hash not registered), the good ones numbered in order and written; one row
 * back per request, in order: its place, whether the household was found,
 * and the resident written (NULLs: not). */
#define RESIDENTS_INSERT \
    "WITH request AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]," \
    "   $5::bytea[], $6::text[], $7::text[], $8::bool[], $9::text[]) WITH ORDINALITY" \
    "   AS q(household_code, name, gender, birth_date, id_number_hash, id_number_masked, phone," \
    "   party_member, relation, o))," \
    " checked AS (SELECT q.*," \
    "   (SELECT true FROM household h WHERE h.code = q.household_code) IS NOT NULL" \
    "   AS household_found, (SELECT true FROM resident x" \
    "     WHERE x.id_number_hash = q.id_number_hash) IS NOT NULL AS taken FROM request q)," \
    " numbered AS (SELECT nextval('resident_serial_seq') AS serial, o" \
    "   FROM (SELECT o FROM checked WHERE household_found AND NOT taken ORDER BY o) fresh)," \
    " created AS (INSERT INTO resident AS r (serial, household_code, name, gender, birth_date," \
    "   id_number_hash, id_number_masked, phone, party_member, relation)" \
    "   SELECT n.serial, c.household_code, c.name, c.gender, c.birth_date::date, c.id_number_hash," \
    "   c.id_number_masked, c.phone, c.party_member, c.relation" \
    "   FROM numbered n JOIN checked c USING (o) ORDER BY n.serial" \
    "   ON CONFLICT DO NOTHING RETURNING " RESIDENT_COLUMNS ")" \
    " SELECT c.o, c.household_found, created.* FROM checked c LEFT JOIN numbered n USING (o)" \
    " LEFT JOIN created ON created.serial = n.serial ORDER BY c.o"
#define RESIDENT_UPDATE \
    "UPDATE resident AS r SET household_code = $2, name = $3, phone = $4, party_member = $5," \
    " relation = $6, version = version + 1, updated_at = now() WHERE serial = $1" \
    " RETURNING " RESIDENT_COLUMNS

char *
grid_resident_id(sf_call_t *call, int64_t serial)
{
    char id[32];
    sf_serial_id_format('R', RESIDENT_ID_WIDTH, serial, id, sizeof id);
    return sf_call_strdup(call, id);
}

Sifang__V1__Resident *
grid_resident_from_row(sf_call_t *call, const PGresult *result, int row, int column)
{
    Sifang__V1__Resident *resident =
        (Sifang__V1__Resident *) sf_call_new_message(call, &sifang__v1__resident__descriptor);
    resident->id = grid_resident_id(call, sf_db_int(result, row, column));
    resident->household_code = sf_call_strdup(call, sf_db_text(result, row, column + 1));
    resident->name = sf_call_strdup(call, sf_db_text(result, row, column + 2));
    resident->gender = (Sifang__V1__Gender) sf_db_int(result, row, column + 3);
    resident->birth_date = sf_call_strdup(call, sf_db_text(result, row, column + 4));
    resident->id_number_masked = sf_call_strdup(call, sf_db_text(result, row, column + 5));
    resident->phone = sf_call_strdup(call, sf_db_text(result, row, column + 6));
    resident->party_member = sf_db_bool(result, row, column + 7);
    resident->relation = sf_call_strdup(call, sf_db_text(result, row, column + 8));
    resident->created_unix_ms = sf_db_int(result, row, column + 9);
    resident->updated_unix_ms = sf_db_int(result, row, column + 10);
    resident->version = sf_db_int(result, row, column + 11);
    return resident;
}

/* The resident as the caller may see them; the identity number is never in
 * a reply (its stored mask is). Keys: the phone by role, the rest whole. A
 * person: the birth date to its year and the phone masked always (in the
 * clear only through ResidentReveal), the name masked too unless a grant
 * whose duty is residents views the household. */
static Sifang__V1__Resident *
resident_for_caller(sf_call_t *call, Sifang__V1__Resident *resident)
{
    resident->id_number = (char *) protobuf_c_empty_string;
    if (!sf_call_is_person(call)) {
        resident->phone = grid_phone_for_caller(call, resident->household_code, resident->phone);
        return resident;
    }
    char masked[SF_MASK_SIZE];
    resident->phone = grid_phone_masked(call, resident->phone);
    sf_birth_date_mask(resident->birth_date, masked, sizeof masked);
    resident->birth_date = sf_call_strdup(call, masked);
    if (!grid_sees_household(call, resident->household_code)) {
        sf_name_mask(resident->name, masked, sizeof masked);
        resident->name = sf_call_strdup(call, masked);
    }
    return resident;
}

/* Emits the change with the phone masked: events carry no personal
 * identifiers, whoever reads the log later. */
static void
resident_emit(sf_call_t *call, const char *type, const Sifang__V1__Resident *resident)
{
    Sifang__V1__Resident event = *resident;
    event.phone = grid_phone_masked(call, resident->phone);
    event.id_number = (char *) protobuf_c_empty_string;
    sf_call_emit(call, type, resident->id, &event.base);
}

static sf_status_t
resident_load(sf_call_t *call, int64_t serial, bool lock, Sifang__V1__Resident **resident_p)
{
    PGresult *result = grid_select_one(call, "SELECT " RESIDENT_COLUMNS " FROM resident r WHERE r.serial = $1", lock,
                                       SF_PARAMS(serial));
    *resident_p = result && PQntuples(result) == 1 ? grid_resident_from_row(call, result, 0, 0) : NULL;
    return result ? SF_OK : sf_call_status(call);
}

static bool
check_household_code(sf_call_t *call, const char *code, bool required)
{
    if (!*code && !required)
        return true;
    if (!*code)
        sf_call_violation(call, "household_code", "is required");
    else if (!grid_household_code_valid(code))
        sf_call_violation(call, "household_code", "must be a household code (%d digits)",
                          GRID_HOUSEHOLD_CODE_LENGTH);
    else
        return true;
    return false;
}

/* Whether the household exists; FAILED_PRECONDITION on household_code when
 * not. */
static sf_status_t
require_household(sf_call_t *call, const char *code)
{
    PGresult *result = sf_call_query(call, "SELECT 1 FROM household WHERE code = $1", SF_PARAMS(code));
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) != 1)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "household_code", "no household %s", code);
    return SF_OK;
}

static bool
check_relation(sf_call_t *call, const char *relation)
{
    return sf_call_check_text(call, "relation", relation, GRID_RELATION_MAX, false);
}

/* The hash as hex, in call memory: a draft's key. */
static const char *
hash_hex(sf_call_t *call, const uint8_t hash[GRID_ID_HASH_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    char *hex = sf_call_alloc(call, 2 * GRID_ID_HASH_SIZE + 1);
    for (size_t i = 0; i < GRID_ID_HASH_SIZE; i++) {
        hex[2 * i] = digits[hash[i] >> 4];
        hex[2 * i + 1] = digits[hash[i] & 15];
    }
    return hex;
}

typedef struct {
    grid_draft_t base;
    Sifang__V1__Gender gender;             /* given, or from the identity number */
    char birth_date[11];                   /* likewise; "" when unknown */
    bool has_id_number;
    uint8_t id_number_hash[GRID_ID_HASH_SIZE];
    char id_number_masked[SF_ID_NUMBER_SIZE];
} resident_draft_t;

static bool
resident_admit(sf_call_t *call, grid_draft_t *draft)
{
    const Sifang__V1__Resident *resident = (const Sifang__V1__Resident *) draft->request;
    check_household_code(call, resident->household_code, true);
    sf_call_check_text(call, "name", resident->name, GRID_NAME_MAX, true);
    if (resident->gender < SIFANG__V1__GENDER__GENDER_UNSPECIFIED
        || resident->gender > SIFANG__V1__GENDER__GENDER_MALE)
        sf_call_violation(call, "gender", "is not a gender");
    bool birth_date_ok = !*resident->birth_date || grid_birth_date_valid(resident->birth_date);
    if (!birth_date_ok)
        sf_call_violation(call, "birth_date", "must be a past date as YYYY-MM-DD");

    /* The identity number holds the birth date and the gender: take them
     * from it when not given, refuse them when they disagree. */
    char id_number[SF_ID_NUMBER_SIZE] = "";
    char id_birth_date[11] = "";
    Sifang__V1__Gender gender = resident->gender;
    const char *birth_date = resident->birth_date;
    if (*resident->id_number) {
        if (!sf_id_number_normalise(resident->id_number, id_number))
            sf_call_violation(call, "id_number",
                              "is not a valid resident identity number (18 characters, GB 11643)");
        else {
            sf_id_number_birth_date(id_number, id_birth_date);
            Sifang__V1__Gender id_gender = sf_id_number_male(id_number) ? SIFANG__V1__GENDER__GENDER_MALE
                                                                      : SIFANG__V1__GENDER__GENDER_FEMALE;
            if (!*birth_date)
                birth_date = id_birth_date;
            else if (birth_date_ok && strcmp(birth_date, id_birth_date) != 0)
                sf_call_violation(call, "birth_date", "does not match the identity number");
            if (gender == SIFANG__V1__GENDER__GENDER_UNSPECIFIED)
                gender = id_gender;
            else if (gender != id_gender)
                sf_call_violation(call, "gender", "does not match the identity number");
        }
    }
    sf_call_check_phone(call, "phone", resident->phone);
    check_relation(call, resident->relation);
    if (sf_call_has_violations(call))
        return false;
    if (!sf_call_may_write(call, resident->household_code)) {
        sf_call_fail(call, SF_PERMISSION_DENIED, "household %s lies outside your scope",
                     resident->household_code);
        return false;
    }

    resident_draft_t *new_resident = (resident_draft_t *) draft;
    new_resident->gender = gender;
    snprintf(new_resident->birth_date, sizeof new_resident->birth_date, "%s", birth_date);
    if (*id_number) {
        grid_t *grid = sf_call_state(call);
        new_resident->has_id_number = true;
        grid_id_number_hash(grid->id_hash_key, id_number, new_resident->id_number_hash);
        sf_id_number_mask(id_number, new_resident->id_number_masked);
        /* Unique among residents: the hash stands for the number. */
        draft->key = hash_hex(call, new_resident->id_number_hash);
    }
    return true;
}

static void
resident_add(grid_columns_t *columns, const grid_draft_t *draft)
{
    const resident_draft_t *new_resident = (const resident_draft_t *) draft;
    const Sifang__V1__Resident *resident = (const Sifang__V1__Resident *) draft->request;
    sf_pgarray_add_text(&columns->arrays[0], resident->household_code);
    sf_pgarray_add_text(&columns->arrays[1], resident->name);
    sf_pgarray_add_int(&columns->arrays[2], new_resident->gender);
    sf_pgarray_add_text(&columns->arrays[3], *new_resident->birth_date ? new_resident->birth_date : NULL);
    if (new_resident->has_id_number)
        sf_pgarray_add_bytes(&columns->arrays[4], new_resident->id_number_hash, GRID_ID_HASH_SIZE);
    else
        sf_pgarray_add_text(&columns->arrays[4], NULL);
    sf_pgarray_add_text(&columns->arrays[5], new_resident->id_number_masked);
    sf_pgarray_add_text(&columns->arrays[6], resident->phone);
    sf_pgarray_add_text(&columns->arrays[7], resident->party_member ? "t" : "f");
    sf_pgarray_add_text(&columns->arrays[8], resident->relation);
}

static void
resident_answer(sf_call_t *call, const grid_draft_t *draft, const PGresult *result, int row,
                ProtobufCMessage **reply_p)
{
    if (!sf_db_bool(result, row, 1))
        sf_call_refuse(call, SF_FAILED_PRECONDITION, "household_code", "no household %s",
                       ((const Sifang__V1__Resident *) draft->request)->household_code);
    else if (sf_db_is_null(result, row, 2))
        sf_call_refuse(call, SF_ALREADY_EXISTS, "id_number",
                       "a resident with this identity number is already registered");
    else {
        Sifang__V1__Resident *created = grid_resident_from_row(call, result, row, 2);
        resident_emit(call, "resident.created", created);
        *reply_p = &resident_for_caller(call, created)->base;
    }
}

const grid_creator_t grid_resident_creator = {
    .method = "ResidentCreate",
    .draft_size = sizeof(resident_draft_t),
    .admit = resident_admit,
    .columns = 9,
    .add = resident_add,
    .sql = RESIDENTS_INSERT,
    .answer = resident_answer,
};

bool
grid_check_resident_id(sf_call_t *call, const char *field, const char *id, int64_t *serial)
{
    if (!*id) {
        sf_call_violation(call, field, "is required");
        return false;
    }
    if (!sf_serial_id_parse(id, 'R', serial)) {
        sf_call_violation(call, field, "must be a resident id like R0000123");
        return false;
    }
    return true;
}

sf_status_t
grid_resident_update(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ResidentUpdateRequest *update =
        (const Sifang__V1__ResidentUpdateRequest *) request;
    int64_t serial = 0;
    grid_check_resident_id(call, "id", update->id, &serial);
    if (*update->name)
        sf_call_check_text(call, "name", update->name, GRID_NAME_MAX, true);
    sf_call_check_phone(call, "phone", update->phone);
    check_household_code(call, update->household_code, false);
    check_relation(call, update->relation);
    if (update->expected_version < 0)
        sf_call_violation(call, "expected_version", "must not be negative");
    if (sf_call_has_violations(call))
        return sf_call_status(call);

    Sifang__V1__Resident *resident;
    sf_status_t status = resident_load(call, serial, true, &resident);
    if (status != SF_OK)
        return status;
    /* The id says nothing of where the resident lives: outside the scope is
     * not found, so ids cannot be probed. */
    if (!resident || !sf_call_covers(call, resident->household_code))
        return sf_call_fail(call, SF_NOT_FOUND, "resident %s not found", update->id);
    /* Seen but not theirs to change: a person's write scopes may be
     * narrower than their view. */
    if (!sf_call_may_write(call, resident->household_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "household %s lies outside your scope",
                            resident->household_code);
    const char *household_code = resident->household_code;
    if (*update->household_code && strcmp(update->household_code, household_code) != 0) {
        if (!sf_call_may_write(call, update->household_code))
            return sf_call_fail(call, SF_PERMISSION_DENIED, "household %s lies outside your scope",
                                update->household_code);
        status = require_household(call, update->household_code);
        if (status != SF_OK)
            return status;
        household_code = update->household_code;
    }
    if (update->expected_version && update->expected_version != resident->version)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "expected_version",
                              "is %lld but resident %s is at version %lld",
                              (long long) update->expected_version, resident->id,
                              (long long) resident->version);

    PGresult *result = sf_call_query(call, RESIDENT_UPDATE,
        SF_PARAMS(serial, household_code, *update->name ? update->name : resident->name,
                  *update->phone ? update->phone : resident->phone,
                  sf_param_bool(update->set_party_member ? update->party_member : resident->party_member),
                  *update->relation ? update->relation : resident->relation));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__Resident *updated = grid_resident_from_row(call, result, 0, 0);
    resident_emit(call, "resident.updated", updated);
    *reply_p = &resident_for_caller(call, updated)->base;
    return SF_OK;
}

sf_status_t
grid_resident_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__IdRequest *get = (const Sifang__V1__IdRequest *) request;
    int64_t serial;
    if (!grid_check_resident_id(call, "id", get->id, &serial))
        return sf_call_status(call);
    Sifang__V1__Resident *resident;
    sf_status_t status = resident_load(call, serial, false, &resident);
    if (status != SF_OK)
        return status;
    if (!resident || !sf_call_covers(call, resident->household_code))
        return sf_call_fail(call, SF_NOT_FOUND, "resident %s not found", get->id);
    *reply_p = &resident_for_caller(call, resident)->base;
    return SF_OK;
}

bool
grid_resident_token_parse(const char *token, char household_code[GRID_CODE_SIZE], int64_t *serial)
{
    const char *dot = strchr(token, '.');
    if (!dot || dot - token != GRID_HOUSEHOLD_CODE_LENGTH)
        return false;
    memcpy(household_code, token, GRID_HOUSEHOLD_CODE_LENGTH);
    household_code[GRID_HOUSEHOLD_CODE_LENGTH] = 0;
    char id[32];
    snprintf(id, sizeof id, "R%s", dot + 1);
    return grid_household_code_valid(household_code) && strlen(dot + 1) < 20
        && sf_serial_id_parse(id, 'R', serial);
}

void
grid_resident_page_apply(sf_call_t *call, sf_query_t *query, const sf_page_t *page, const char *after_household,
                         int64_t after_serial)
{
    if (*page->token) {
        int household = sf_query_text(query, sf_call_strdup(call, after_household));
        int serial = sf_query_int(query, after_serial);
        sf_query_where(query, "(r.household_code, r.serial) > ($%d, $%d)", household, serial);
    }
    sf_query_append(query, " ORDER BY r.household_code, r.serial LIMIT $%d", sf_query_int(query, page->size + 1));
}

sf_status_t
grid_resident_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ResidentListRequest *list = (const Sifang__V1__ResidentListRequest *) request;
    Sifang__V1__ResidentListReply *reply = (Sifang__V1__ResidentListReply *)
        sf_call_new_message(call, &sifang__v1__resident_list_reply__descriptor);
    sf_page_t page;
    grid_person_page_read(call, list->page, &page);
    check_household_code(call, list->household_code, false);
    char after_household[GRID_CODE_SIZE] = "";
    int64_t after_serial = 0;
    if (*page.token && !grid_resident_token_parse(page.token, after_household, &after_serial))
        sf_page_bad_token(call);
    const char *prefix;
    bool visible = sf_call_scope_under(call, "under", list->under, &prefix);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    *reply_p = &reply->base;
    if (!visible || (*list->household_code && !sf_code_starts_with(list->household_code, prefix)))
        return SF_OK;

    sf_query_t query;
    sf_query_init(&query, call, "SELECT " RESIDENT_COLUMNS " FROM resident r");
    sf_query_subtree(&query, "r.household_code", prefix);
    if (*list->household_code)
        sf_query_where(&query, "r.household_code = $%d",
                         sf_query_text(&query, list->household_code));
    if (list->party_members_only)
        sf_query_where(&query, "r.party_member");
    grid_resident_page_apply(call, &query, &page, after_household, after_serial);
    PGresult *result = sf_query_run(&query);
    if (!result)
        return sf_call_status(call);
    int rows = sf_page_rows(&page, result);
    reply->residents = sf_call_new_array(call, (size_t) rows, sizeof *reply->residents);
    for (int row = 0; row < rows; row++)
        reply->residents[reply->n_residents++] =
            resident_for_caller(call, grid_resident_from_row(call, result, row, 0));
    if (sf_page_more(&page, result))
        reply->next_page_token = sf_call_printf(call, "%s.%s", sf_db_text(result, rows - 1, 1),
                                                sf_db_text(result, rows - 1, 0));
    return SF_OK;
}

sf_status_t
grid_resident_find(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__ResidentFindRequest *find = (const Sifang__V1__ResidentFindRequest *) request;
    grid_t *grid = sf_call_state(call);
    char id_number[SF_ID_NUMBER_SIZE];
    if (!*find->id_number) {
        sf_call_violation(call, "id_number", "is required");
        return sf_call_status(call);
    }
    if (!sf_id_number_normalise(find->id_number, id_number)) {
        sf_call_violation(call, "id_number",
                          "is not a valid resident identity number (18 characters, GB 11643)");
        return sf_call_status(call);
    }
    uint8_t hash[GRID_ID_HASH_SIZE];
    grid_id_number_hash(grid->id_hash_key, id_number, hash);
    sf_params_t params;
    sf_params_init(&params);
    sf_params_bytes(&params, hash, sizeof hash);
    PGresult *result = sf_call_query(call,
        "SELECT " RESIDENT_COLUMNS " FROM resident r WHERE r.id_number_hash = $1", &params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__Resident *resident = PQntuples(result) == 1 ? grid_resident_from_row(call, result, 0, 0) : NULL;
    /* Found where the caller may search (a clerk finds a resident who moved
     * out of their street), shown as the caller may see them there. */
    if (!resident || !sf_call_may_search(call, resident->household_code))
        return sf_call_fail(call, SF_NOT_FOUND, "no resident with this identity number");
    *reply_p = &resident_for_caller(call, resident)->base;
    return SF_OK;
}
