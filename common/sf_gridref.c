/* Grid's events into a consumer's declared reference tables (see
 * sf_gridref.h): decode, derive by the suite's rules, build the upsert (or
 * the set's insert and delete) from the declared columns, run the hook. */
#include "sf_gridref.h"
#include "sf_codes.h"
#include "sf_params.h"
#include "sf_textbuf.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The kind an event type is about, with created/removed; false for
 * events no reference copy keeps (a department pairing, a privacy note). */
static bool
kind_of(const char *type, sf_grid_kind_t *kind, bool *created, bool *removed)
{
    static const struct {
        const char *prefix;
        sf_grid_kind_t kind;
    } kinds[] = {
        { "unit.", SF_GRID_UNIT }, { "household.", SF_GRID_HOUSEHOLD }, { "resident.", SF_GRID_RESIDENT },
        { "staff.", SF_GRID_STAFF }, { "responsibility.", SF_GRID_RESPONSIBILITY },
        { "department.", SF_GRID_DEPARTMENT },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t length = strlen(kinds[i].prefix);
        if (strncmp(type, kinds[i].prefix, length) != 0)
            continue;
        const char *verb = type + length;
        *kind = kinds[i].kind;
        *created = strcmp(verb, "created") == 0 || strcmp(verb, "assigned") == 0;
        *removed = strcmp(verb, "removed") == 0;
        bool updated = strcmp(verb, "updated") == 0;
        return kinds[i].kind == SF_GRID_RESPONSIBILITY ? *created || *removed : *created || updated;
    }
    return false;
}

static const ProtobufCMessageDescriptor *
descriptor_of(sf_grid_kind_t kind)
{
    switch (kind) {
    case SF_GRID_UNIT: return &sifang__v1__org_unit__descriptor;
    case SF_GRID_HOUSEHOLD: return &sifang__v1__household__descriptor;
    case SF_GRID_RESIDENT: return &sifang__v1__resident__descriptor;
    case SF_GRID_STAFF: return &sifang__v1__staff__descriptor;
    case SF_GRID_RESPONSIBILITY: return &sifang__v1__responsibility__descriptor;
    case SF_GRID_DEPARTMENT: return &sifang__v1__department__descriptor;
    }
    return NULL;
}

/* A real date, as libc's calendar sees it: normalising it changes nothing. */
static bool
date_real(const char *text)
{
    int year, month, day, used = 0;
    if (!text || strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3
        || used != 10)
        return false;
    struct tm tm = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day, .tm_hour = 12 };
    time_t at = timegm(&tm);
    struct tm back;
    return at != (time_t) -1 && gmtime_r(&at, &back)
        && back.tm_year == year - 1900 && back.tm_mon == month - 1 && back.tm_mday == day;
}

/* Binds one column's value; false when the field is not the kind's. */
static bool
bind(sf_params_t *params, sf_pgarray_t *flags, const sf_gridref_event_t *e, const sf_gridref_column_t *column)
{
    const char *text = NULL;
    switch (column->field) {
    case SF_GRID_CODE:
        text = e->kind == SF_GRID_UNIT ? e->as.unit->code
             : e->kind == SF_GRID_HOUSEHOLD ? e->as.household->code
             : e->kind == SF_GRID_DEPARTMENT ? e->as.department->code : NULL;
        break;
    case SF_GRID_ID:
        text = e->kind == SF_GRID_RESIDENT ? e->as.resident->id : e->kind == SF_GRID_STAFF ? e->as.staff->id : NULL;
        break;
    case SF_GRID_KIND:
        if (e->kind != SF_GRID_UNIT && e->kind != SF_GRID_STAFF && e->kind != SF_GRID_RESPONSIBILITY)
            return false;
        sf_params_int(params, e->kind == SF_GRID_UNIT ? e->as.unit->kind
                            : e->kind == SF_GRID_STAFF ? e->as.staff->kind : e->as.responsibility->kind);
        return true;
    case SF_GRID_NAME:
        text = e->kind == SF_GRID_UNIT ? e->as.unit->name
             : e->kind == SF_GRID_RESIDENT ? e->as.resident->name
             : e->kind == SF_GRID_STAFF ? e->as.staff->name
             : e->kind == SF_GRID_DEPARTMENT ? e->as.department->name : NULL;
        break;
    case SF_GRID_PARENT_CODE:
        text = e->kind == SF_GRID_UNIT ? e->as.unit->parent_code : NULL;
        break;
    case SF_GRID_LAT:
    case SF_GRID_LON:
        if (e->kind != SF_GRID_UNIT)
            return false;
        if (e->as.unit->location)
            sf_params_double(params, column->field == SF_GRID_LAT ? e->as.unit->location->lat
                                                                  : e->as.unit->location->lon);
        else
            sf_params_null(params);
        return true;
    case SF_GRID_VERSION:
        if (e->kind == SF_GRID_RESPONSIBILITY || e->kind == SF_GRID_DEPARTMENT)
            return false;
        sf_params_int(params, e->kind == SF_GRID_UNIT ? e->as.unit->version
                            : e->kind == SF_GRID_HOUSEHOLD ? e->as.household->version
                            : e->kind == SF_GRID_RESIDENT ? e->as.resident->version : e->as.staff->version);
        return true;
    case SF_GRID_ZONE_CODE:
        text = e->kind == SF_GRID_HOUSEHOLD ? e->zone_code : NULL;
        break;
    case SF_GRID_COMMUNITY_CODE:
        text = e->kind == SF_GRID_HOUSEHOLD ? e->community_code : NULL;
        break;
    case SF_GRID_FLAGS:
    case SF_GRID_IN_DIFFICULTY:
        if (e->kind != SF_GRID_HOUSEHOLD)
            return false;
        sf_pgarray_init(flags);
        for (size_t i = 0; i < e->as.household->n_flags; i++)
            if (e->as.household->flags[i] != SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_UNSPECIFIED)
                sf_pgarray_add_int(flags, e->as.household->flags[i]);
        if (column->field == SF_GRID_FLAGS)
            sf_params_text(params, sf_pgarray_text(flags));
        else
            sf_params_bool(params, e->in_difficulty);
        return true;
    case SF_GRID_HOUSEHOLD_CODE:
        text = e->kind == SF_GRID_RESIDENT ? e->as.resident->household_code : NULL;
        break;
    case SF_GRID_GENDER:
        if (e->kind != SF_GRID_RESIDENT)
            return false;
        sf_params_int(params, e->as.resident->gender);
        return true;
    case SF_GRID_BIRTH_DATE:
        if (e->kind != SF_GRID_RESIDENT)
            return false;
        sf_params_text(params, date_real(e->as.resident->birth_date) ? e->as.resident->birth_date : NULL);
        return true;
    case SF_GRID_PARTY_MEMBER:
        if (e->kind != SF_GRID_RESIDENT)
            return false;
        sf_params_bool(params, e->as.resident->party_member);
        return true;
    case SF_GRID_UNIT_CODE:
        text = e->kind == SF_GRID_STAFF ? e->as.staff->unit_code
             : e->kind == SF_GRID_RESPONSIBILITY ? e->as.responsibility->unit_code : NULL;
        break;
    case SF_GRID_DEPARTMENT_CODE:
        text = e->kind == SF_GRID_STAFF ? e->as.staff->department_code : NULL;
        break;
    case SF_GRID_ACTIVE:
        if (e->kind != SF_GRID_STAFF)
            return false;
        sf_params_bool(params, e->as.staff->active);
        return true;
    case SF_GRID_STAFF_ID:
        text = e->kind == SF_GRID_RESPONSIBILITY ? e->as.responsibility->staff_id : NULL;
        break;
    case SF_GRID_SINCE:
        if (e->kind != SF_GRID_RESPONSIBILITY)
            return false;
        sf_params_int(params, e->as.responsibility->since_unix_ms ? e->as.responsibility->since_unix_ms
                                                                  : e->event->occurred_unix_ms);
        return true;
    }
    if (!text)
        return false;
    if (column->flags & SF_GRIDREF_NULL_IF_EMPTY)
        sf_params_text_or_null(params, text);
    else
        sf_params_text(params, text);
    return true;
}

/* The value's expression in VALUES: parameters take the column's type,
 * but a time comes as milliseconds. */
static void
value_sql(char *out, size_t size, const sf_gridref_column_t *column, int n)
{
    if (column->field == SF_GRID_SINCE)
        snprintf(out, size, "to_timestamp($%d::bigint / 1000.0)", n);
    else
        snprintf(out, size, "$%d", n);
}

typedef struct {
    char text[2048];
    size_t length;
} sql_t;

static void
add(sql_t *sql, const char *format, const char *a, const char *b)
{
    if (sql->length < sizeof sql->text)
        sql->length += (size_t) snprintf(sql->text + sql->length, sizeof sql->text - sql->length, format, a, b);
}

/* The statement for the table and event: a set's insert or delete, or an
 * upsert guarded by the version and, with old_row, returning the row as it
 * was. Parameters are the columns' values in declaration order (only the
 * key's for a delete). */
static void add_conflict(sql_t *sql, const sf_gridref_table_t *table);

static void
build(sql_t *sql, const sf_gridref_table_t *table, bool removed)
{
    const sf_gridref_column_t *columns = table->columns;
    sql->length = 0;
    char value[64];
    if (removed) {
        add(sql, "DELETE FROM %s WHERE ", table->table, NULL);
        for (int i = 0, n = 0; i < SF_GRIDREF_MAX_COLUMNS && columns[i].name; i++)
            if (columns[i].flags & SF_GRIDREF_KEY) {
                snprintf(value, sizeof value, "$%d", ++n);
                add(sql, n > 1 ? " AND %s = %s" : "%s = %s", columns[i].name, value);
            }
        return;
    }
    if (table->old_row) {
        add(sql, "WITH old AS (SELECT ", "", NULL);
        for (int i = 0; i < SF_GRIDREF_MAX_COLUMNS && columns[i].name; i++)
            add(sql, i ? ", %s" : "%s", columns[i].name, NULL);
        add(sql, " FROM %s WHERE ", table->table, NULL);
        for (int i = 0, n = 0; i < SF_GRIDREF_MAX_COLUMNS && columns[i].name; i++)
            if (columns[i].flags & SF_GRIDREF_KEY) {
                snprintf(value, sizeof value, "$%d", i + 1);
                add(sql, n++ ? " AND %s = %s" : "%s = %s", columns[i].name, value);
            }
        add(sql, ") ", NULL, NULL);
    }
    add(sql, "INSERT INTO %s AS t (", table->table, NULL);
    for (int i = 0; i < SF_GRIDREF_MAX_COLUMNS && columns[i].name; i++)
        add(sql, i ? ", %s" : "%s", columns[i].name, NULL);
    add(sql, ") VALUES (", NULL, NULL);
    for (int i = 0; i < SF_GRIDREF_MAX_COLUMNS && columns[i].name; i++) {
        value_sql(value, sizeof value, &columns[i], i + 1);
        add(sql, i ? ", %s" : "%s", value, NULL);
    }
    add(sql, ")", NULL, NULL);
    add_conflict(sql, table);
    if (table->old_row) {
        add(sql, " RETURNING ", NULL, NULL);
        for (int i = 0; i < SF_GRIDREF_MAX_COLUMNS && columns[i].name; i++)
            add(sql, "(SELECT %s FROM old), ", columns[i].name, NULL);
        add(sql, "(SELECT count(*) FROM old)", NULL, NULL);
    }
}

/* ON CONFLICT (key) DO UPDATE SET the columns not kept, guarded by the
 * version (DO NOTHING when every column is key or kept). */
static void
add_conflict(sql_t *sql, const sf_gridref_table_t *table)
{
    const sf_gridref_column_t *columns = table->columns;
    add(sql, " ON CONFLICT (", NULL, NULL);
    for (int i = 0, n = 0; i < SF_GRIDREF_MAX_COLUMNS && columns[i].name; i++)
        if (columns[i].flags & SF_GRIDREF_KEY)
            add(sql, n++ ? ", %s" : "%s", columns[i].name, NULL);
    int updated = 0;
    const char *version = NULL;
    for (int i = 0; i < SF_GRIDREF_MAX_COLUMNS && columns[i].name; i++) {
        if (columns[i].flags & (SF_GRIDREF_KEY | SF_GRIDREF_KEEP))
            continue;
        add(sql, updated++ ? ", " : ") DO UPDATE SET ", NULL, NULL);
        add(sql, "%s = ", columns[i].name, NULL);
        /* An event without a location keeps the one known. */
        if (columns[i].field == SF_GRID_LAT || columns[i].field == SF_GRID_LON)
            add(sql, "COALESCE(EXCLUDED.%s, t.%s)", columns[i].name, columns[i].name);
        else
            add(sql, "EXCLUDED.%s", columns[i].name, NULL);
        if (columns[i].field == SF_GRID_VERSION)
            version = columns[i].name;
    }
    if (!updated)
        add(sql, ") DO NOTHING", NULL, NULL);
    else if (version)
        add(sql, " WHERE t.%s <= EXCLUDED.%s", version, version);
}

static const sf_gridref_table_t *
table_of(const sf_gridref_t *self, sf_grid_kind_t kind)
{
    for (const sf_gridref_table_t *table = self->tables; table && table->table; table++)
        if (table->kind == kind)
            return table;
    return NULL;
}

/* Writes the event's row; with old_row, *old is the row as it was. */
static sf_status_t
write_row(const sf_gridref_table_t *table, sf_db_t *db, const sf_gridref_event_t *e, PGresult **old)
{
    sf_params_t params;
    sf_params_init(&params);
    sf_pgarray_t flags[2];
    int n_flags = 0;
    for (int i = 0; i < SF_GRIDREF_MAX_COLUMNS && table->columns[i].name; i++) {
        if (e->removed && !(table->columns[i].flags & SF_GRIDREF_KEY))
            continue;
        bool is_flags = table->columns[i].field == SF_GRID_FLAGS || table->columns[i].field == SF_GRID_IN_DIFFICULTY;
        if (is_flags && n_flags == 2)
            return SF_INTERNAL;   /* a declaration with more than two: not one we wrote */
        if (!bind(&params, &flags[n_flags], e, &table->columns[i])) {
            for (int f = 0; f < n_flags; f++)
                sf_pgarray_release(&flags[f]);
            return SF_INTERNAL;   /* a field the kind has not: the declaration is wrong */
        }
        n_flags += is_flags;
    }
    sql_t sql;
    build(&sql, table, e->removed);
    sf_status_t status = sql.length < sizeof sql.text
        ? sf_db_run(db, sql.text, &params, table->old_row && !e->removed ? old : NULL) : SF_INTERNAL;
    for (int f = 0; f < n_flags; f++)
        sf_pgarray_release(&flags[f]);
    return status;
}

/* --- created rows a run at a time (batch_created) ---------------------------
 * Held in the follower's thread until the run ends: a JSON array of the
 * rows (every value as the text its parameter would have been, which
 * json_populate_recordset reads by the column's type) and their keys. */

#define BATCH_ROWS_MAX 1000

typedef struct {
    const sf_gridref_table_t *table;
    void *arg;
    sf_textbuf_t rows;
    sf_pgarray_t keys;
    size_t n;
} batch_t;

static _Thread_local batch_t batch;

static void
batch_forget(void)
{
    sf_textbuf_release(&batch.rows);
    if (batch.table)
        sf_pgarray_release(&batch.keys);
    memset(&batch, 0, sizeof batch);
}

/* Whether the event's row may wait for the run's statement. */
static bool
batchable(const sf_gridref_t *self, const sf_gridref_table_t *table, const sf_gridref_event_t *e)
{
    if (!self->batch_created || !e->created || e->removed || table->old_row || (table->hook && !table->created))
        return false;
    int keys = 0;
    for (int i = 0; i < SF_GRIDREF_MAX_COLUMNS && table->columns[i].name; i++) {
        keys += (table->columns[i].flags & SF_GRIDREF_KEY) != 0;
        if (table->columns[i].field == SF_GRID_SINCE)
            return false;
    }
    return keys == 1;
}

static void
json_string(sf_textbuf_t *out, const char *text)
{
    sf_textbuf_put(out, "\"");
    for (const unsigned char *c = (const unsigned char *) text; *c; c++) {
        if (*c == '"' || *c == '\\')
            sf_textbuf_printf(out, "\\%c", *c);
        else if (*c < 0x20)
            sf_textbuf_printf(out, "\\u%04x", *c);
        else
            sf_textbuf_append(out, (const char *) c, 1);
    }
    sf_textbuf_put(out, "\"");
}

/* Writes the run held: its rows in one upsert, then the table's created
 * hook for them. */
static sf_status_t
batch_write(sf_db_t *db)
{
    if (!batch.n) {
        batch_forget();
        return SF_OK;
    }
    const sf_gridref_table_t *table = batch.table;
    const sf_gridref_column_t *columns = table->columns;
    const char *key = NULL, *version = NULL;
    for (int i = 0; i < SF_GRIDREF_MAX_COLUMNS && columns[i].name; i++) {
        if (columns[i].flags & SF_GRIDREF_KEY)
            key = columns[i].name;
        if (columns[i].field == SF_GRID_VERSION)
            version = columns[i].name;
    }
    sql_t sql = { .length = 0 };
    add(&sql, "INSERT INTO %s AS t (", table->table, NULL);
    for (int i = 0; i < SF_GRIDREF_MAX_COLUMNS && columns[i].name; i++)
        add(&sql, i ? ", %s" : "%s", columns[i].name, NULL);
    add(&sql, ") SELECT DISTINCT ON (%s) ", key, NULL);
    for (int i = 0; i < SF_GRIDREF_MAX_COLUMNS && columns[i].name; i++)
        add(&sql, i ? ", %s" : "%s", columns[i].name, NULL);
    add(&sql, " FROM json_populate_recordset(NULL::%s, $1::json) WITH ORDINALITY AS r", table->table, NULL);
    /* A key twice in the run: the row the events one by one would leave,
     * the highest version, the later of equal ones. */
    add(&sql, " ORDER BY %s", key, NULL);
    if (version)
        add(&sql, ", r.%s DESC", version, NULL);
    add(&sql, ", r.ordinality DESC", NULL, NULL);
    add_conflict(&sql, table);
    sf_textbuf_put(&batch.rows, "]");
    sf_status_t status = batch.rows.failed ? SF_RESOURCE_EXHAUSTED   /* the page is tried again */
                       : sql.length < sizeof sql.text ? sf_db_run(db, sql.text, SF_PARAMS(batch.rows.text), NULL)
                       : SF_INTERNAL;
    if (status == SF_OK && table->created)
        status = table->created(db, sf_pgarray_text(&batch.keys), batch.n, batch.arg);
    batch_forget();
    return status;
}

/* Holds the event's row for the run, writing the run first when it is
 * another table's, and after when it is full. */
static sf_status_t
batch_add(const sf_gridref_table_t *table, sf_db_t *db, const sf_gridref_event_t *e, void *arg)
{
    sf_status_t status = SF_OK;
    if (batch.n && (batch.table != table || batch.arg != arg) && (status = batch_write(db)) != SF_OK)
        return status;
    sf_params_t params;
    sf_params_init(&params);
    sf_pgarray_t flags[2];
    int n_flags = 0;
    const sf_gridref_column_t *columns = table->columns;
    for (int i = 0; i < SF_GRIDREF_MAX_COLUMNS && columns[i].name; i++) {
        bool is_flags = columns[i].field == SF_GRID_FLAGS || columns[i].field == SF_GRID_IN_DIFFICULTY;
        if ((is_flags && n_flags == 2) || !bind(&params, &flags[n_flags], e, &columns[i])) {
            for (int f = 0; f < n_flags; f++)
                sf_pgarray_release(&flags[f]);
            return SF_INTERNAL;   /* the declaration is wrong, as in write_row */
        }
        n_flags += is_flags;
    }
    if (!batch.table) {
        sf_textbuf_init(&batch.rows);
        sf_pgarray_init(&batch.keys);
        batch.table = table;
        batch.arg = arg;
    }
    sf_textbuf_put(&batch.rows, batch.n ? ",{" : "[{");
    for (int i = 0; i < params.count; i++) {
        if (i)
            sf_textbuf_put(&batch.rows, ",");
        json_string(&batch.rows, columns[i].name);
        sf_textbuf_put(&batch.rows, ":");
        if (params.values[i])
            json_string(&batch.rows, params.values[i]);
        else
            sf_textbuf_put(&batch.rows, "null");
        if (columns[i].flags & SF_GRIDREF_KEY)
            sf_pgarray_add_text(&batch.keys, params.values[i]);
    }
    sf_textbuf_put(&batch.rows, "}");
    batch.n++;
    for (int f = 0; f < n_flags; f++)
        sf_pgarray_release(&flags[f]);
    return batch.n >= BATCH_ROWS_MAX ? batch_write(db) : SF_OK;
}

sf_status_t
sf_gridref_page_end(sf_db_t *db, bool write, void *arg)
{
    (void) arg;
    if (!write) {
        batch_forget();
        return SF_OK;
    }
    return batch_write(db);
}

sf_status_t
sf_gridref_apply(const sf_gridref_t *self, sf_db_t *db, const Sifang__V1__Event *event, void *arg)
{
    sf_gridref_event_t e;
    memset(&e, 0, sizeof e);
    e.event = event;
    const sf_gridref_table_t *table;
    if (!kind_of(event->type, &e.kind, &e.created, &e.removed) || !(table = table_of(self, e.kind)))
        return SF_OK;
    ProtobufCMessage *message = protobuf_c_message_unpack(descriptor_of(e.kind), NULL, event->payload.len,
                                                          event->payload.data);
    if (!message)
        return SF_DATA_LOSS;
    e.as.unit = (const Sifang__V1__OrgUnit *) message;
    if (e.kind == SF_GRID_HOUSEHOLD) {
        const char *code = e.as.household->code;
        if (*e.as.household->zone_code)
            snprintf(e.zone_code, sizeof e.zone_code, "%s", e.as.household->zone_code);
        else
            snprintf(e.zone_code, sizeof e.zone_code, "%.*s", (int) sf_code_ancestor(code, SF_CODE_ZONE_LENGTH), code);
        snprintf(e.community_code, sizeof e.community_code, "%.*s",
                 (int) sf_code_ancestor(code, SF_CODE_COMMUNITY_LENGTH), code);
        for (size_t i = 0; i < e.as.household->n_flags; i++)
            e.in_difficulty |= e.as.household->flags[i] != SIFANG__V1__HOUSEHOLD_FLAG__HOUSEHOLD_FLAG_UNSPECIFIED;
        /* Without a zone the household belongs nowhere: as unreadable as a
         * payload that does not decode. */
        if (!*e.zone_code || !*e.community_code) {
            protobuf_c_message_free_unpacked(message, NULL);
            return SF_DATA_LOSS;
        }
    }
    if (batchable(self, table, &e)) {
        sf_status_t status = batch_add(table, db, &e, arg);
        protobuf_c_message_free_unpacked(message, NULL);
        return status;
    }
    /* Anything else is written in order: the run held before it first. */
    sf_status_t held = batch.n ? batch_write(db) : SF_OK;
    if (held != SF_OK) {
        protobuf_c_message_free_unpacked(message, NULL);
        return held;
    }
    PGresult *old = NULL;
    sf_status_t status = write_row(table, db, &e, &old);
    e.old = old;
    if (status == SF_OK && table->hook)
        status = table->hook(db, &e, arg);
    PQclear(old);
    protobuf_c_message_free_unpacked(message, NULL);
    return status;
}
