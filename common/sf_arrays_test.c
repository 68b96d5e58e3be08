/* The arrays that carry a run of records to PostgreSQL in one statement
 * (NEEDS_POSTGRES): array literals (sf_pgarray: most services' batches) and
 * binary arrays (sf_binarray: the event log's and employment's import),
 * each written and then read back by a real server, awkward values included:
 * NULLs, quotes and backslashes, empty texts and arrays, the extreme
 * integers, zero bytes, dates and fractions. */
#include "sf_db.h"
#include "sf_test.h"
#include <stdint.h>
#include <string.h>

static PGconn *db;

/* Whether the server finds sql (a boolean over $1) true for one parameter. */
static bool
server_agrees(const char *sql, const sf_params_t *params)
{
    PGresult *result = PQexecParams(db, sql, params->count, NULL, params->values, params->lengths, params->formats, 0);
    bool ok = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1
           && strcmp(PQgetvalue(result, 0, 0), "t") == 0;
    if (!ok)
        fprintf(stderr, "  %s: %s%s\n", sql, PQerrorMessage(db),
                PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1 ? PQgetvalue(result, 0, 0) : "");
    PQclear(result);
    return ok;
}

static bool
literal_agrees(const char *sql, const char *literal)
{
    sf_params_t params;
    sf_params_init(&params);
    sf_params_text(&params, literal);
    return server_agrees(sql, &params);
}

static void
test_literals(void)
{
    sf_pgarray_t texts;
    sf_pgarray_init(&texts);
    const char *values[] = { "plain", "with \"quotes\"", "back\\slash\\", "", NULL, "逗号,{} NULL", "\\x00" };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        sf_pgarray_add_text(&texts, values[i]);
    const char *literal = sf_pgarray_text(&texts);
    SF_CHECK_EQ_STR(literal, "{\"plain\",\"with \\\"quotes\\\"\",\"back\\\\slash\\\\\",\"\",NULL,\"逗号,{} NULL\",\"\\\\x00\"}");
    SF_CHECK(literal_agrees("SELECT $1::text[] IS NOT DISTINCT FROM"
                            " ARRAY['plain', 'with \"quotes\"', 'back\\slash\\', '', NULL, '逗号,{} NULL', '\\x00']",
                            literal));
    sf_pgarray_release(&texts);

    sf_pgarray_t numbers;
    sf_pgarray_init(&numbers);
    const int64_t ints[] = { 0, -1, 7, INT64_MIN, INT64_MAX, 1000000 };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        sf_pgarray_add_int(&numbers, ints[i]);
    literal = sf_pgarray_text(&numbers);
    SF_CHECK_EQ_STR(literal, "{0,-1,7,-9223372036854775808,9223372036854775807,1000000}");
    SF_CHECK(literal_agrees("SELECT $1::bigint[] = ARRAY[0, -1, 7, -9223372036854775808, 9223372036854775807, 1000000]",
                            literal));
    sf_pgarray_release(&numbers);

    sf_pgarray_t payloads;
    sf_pgarray_init(&payloads);
    const uint8_t bytes[] = { 0x00, 0xff, 0x10, 0x22, 0x5c };
    sf_pgarray_add_bytes(&payloads, bytes, sizeof bytes);
    sf_pgarray_add_bytes(&payloads, bytes, 0);
    uint8_t large[3000];
    for (size_t i = 0; i < sizeof large; i++)
        large[i] = (uint8_t) (i * 7);
    sf_pgarray_add_bytes(&payloads, large, sizeof large);   /* grows the buffer mid-element */
    literal = sf_pgarray_text(&payloads);
    const char *start = "{\"\\\\x00ff10225c\",\"\\\\x\",\"\\\\x00070e15";
    SF_CHECK(strncmp(literal, start, strlen(start)) == 0);
    SF_CHECK(literal_agrees("SELECT $1::bytea[] = ARRAY['\\x00ff10225c'::bytea, ''::bytea,"
                            " (SELECT string_agg(set_byte('\\x00'::bytea, 0, (i * 7) % 256), '' ORDER BY i)"
                            "  FROM generate_series(0, 2999) i)]", literal));
    sf_pgarray_release(&payloads);

    sf_pgarray_t none;
    sf_pgarray_init(&none);
    SF_CHECK_EQ_STR(sf_pgarray_text(&none), "{}");
    sf_pgarray_release(&none);
}

/* The server's own text of a text[] (what a query of such a column
 * returns) read back value by value; values past the room given are left
 * out. */
static void
test_parse(void)
{
    PGresult *result = PQexec(db, "SELECT ARRAY['plain', 'with \"quotes\"', 'back\\slash\\', '', '逗号,{} x',"
                                  " 'two words', '4-03-02-01']::text");
    if (!SF_CHECK(PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1)) {
        PQclear(result);
        return;
    }
    const char *literal = PQgetvalue(result, 0, 0);
    const char *expected[] = { "plain", "with \"quotes\"", "back\\slash\\", "", "逗号,{} x", "two words",
                               "4-03-02-01" };
    char buffer[256];
    char *values[8];
    SF_CHECK(strlen(literal) < sizeof buffer);
    size_t n = sf_pgarray_parse(literal, buffer, values, 8);
    SF_CHECK_EQ_INT(n, 7);
    for (size_t i = 0; i < n && i < 7; i++)
        SF_CHECK_EQ_STR(values[i], expected[i]);
    SF_CHECK_EQ_INT(sf_pgarray_parse(literal, buffer, values, 2), 2);
    SF_CHECK_EQ_STR(values[1], "with \"quotes\"");
    SF_CHECK_EQ_INT(sf_pgarray_parse("{}", buffer, values, 8), 0);
    SF_CHECK_EQ_INT(sf_pgarray_parse("", buffer, values, 8), 0);
    PQclear(result);
}

static void
test_binary(void)
{
    sf_binarray_t texts, longs, ints, flags, days, reals, blobs, empty, instants;
    sf_binarray_init(&texts, SF_OID_TEXT);
    sf_binarray_init(&longs, SF_OID_INT8);
    sf_binarray_init(&ints, SF_OID_INT4);
    sf_binarray_init(&flags, SF_OID_BOOL);
    sf_binarray_init(&days, SF_OID_DATE);
    sf_binarray_init(&reals, SF_OID_FLOAT8);
    sf_binarray_init(&blobs, SF_OID_BYTEA);
    sf_binarray_init(&empty, SF_OID_TEXT);
    sf_binarray_init(&instants, SF_OID_TIMESTAMPTZ);

    sf_binarray_text(&texts, "四方");
    sf_binarray_text(&texts, NULL);
    sf_binarray_text(&texts, "");
    sf_binarray_text(&texts, "with \"quotes\" and \\");
    sf_binarray_int8(&longs, INT64_MIN);
    sf_binarray_int8(&longs, -1);
    sf_binarray_int8(&longs, INT64_MAX);
    sf_binarray_null(&longs);
    sf_binarray_int4(&ints, INT32_MIN);
    sf_binarray_int4(&ints, 42);
    sf_binarray_bool(&flags, true);
    sf_binarray_bool(&flags, false);
    int32_t leap = 15399, old = -25567;   /* 2012-02-29 and 1900-01-01, days from 1970-01-01 */
    sf_binarray_date(&days, leap);
    sf_binarray_date(&days, old);
    sf_binarray_timestamptz(&instants, 1796212800123);   /* 2026-12-02 12:00:00.123 UTC */
    sf_binarray_timestamptz(&instants, 0);
    sf_binarray_timestamptz(&instants, -2208988800000);  /* 1900-01-01, before both epochs */
    sf_binarray_float8(&reals, 36.08);
    sf_binarray_float8(&reals, -120.3456789012);
    const uint8_t bytes[] = { 0x00, 0xff, 0x00 };
    sf_binarray_bytes(&blobs, bytes, sizeof bytes);
    sf_binarray_bytes(&blobs, bytes, 0);
    for (int i = 0; i < 3000; i++)    /* past the first buffer */
        sf_binarray_null(&blobs);

    sf_params_t params;
    sf_params_init(&params);
    sf_binarray_param(&texts, &params);
    SF_CHECK(server_agrees("SELECT $1::text[] IS NOT DISTINCT FROM ARRAY['四方', NULL, '', 'with \"quotes\" and \\']",
                           &params));
    sf_params_init(&params);
    sf_binarray_param(&longs, &params);
    SF_CHECK(server_agrees("SELECT $1::bigint[] IS NOT DISTINCT FROM"
                           " ARRAY[-9223372036854775808, -1, 9223372036854775807, NULL]", &params));
    sf_params_init(&params);
    sf_binarray_param(&ints, &params);
    SF_CHECK(server_agrees("SELECT $1::int[] = ARRAY[-2147483648, 42]", &params));
    sf_params_init(&params);
    sf_binarray_param(&flags, &params);
    SF_CHECK(server_agrees("SELECT $1::bool[] = ARRAY[true, false]", &params));
    sf_params_init(&params);
    sf_binarray_param(&days, &params);
    SF_CHECK(server_agrees("SELECT $1::date[] = ARRAY[DATE '2012-02-29', DATE '1900-01-01']", &params));
    sf_params_init(&params);
    sf_binarray_param(&instants, &params);
    SF_CHECK(server_agrees("SELECT $1::timestamptz[] = ARRAY[timestamptz '2026-12-02 12:00:00.123+00',"
                           " timestamptz '1970-01-01 00:00+00', timestamptz '1900-01-01 00:00+00']", &params));
    sf_params_init(&params);
    sf_binarray_param(&reals, &params);
    SF_CHECK(server_agrees("SELECT $1::float8[] = ARRAY[36.08::float8, -120.3456789012::float8]", &params));
    sf_params_init(&params);
    sf_binarray_param(&blobs, &params);
    SF_CHECK(server_agrees("SELECT cardinality($1::bytea[]) = 3002 AND ($1::bytea[])[1] = '\\x00ff00'::bytea"
                           " AND ($1::bytea[])[2] = ''::bytea AND ($1::bytea[])[3002] IS NULL", &params));
    sf_params_init(&params);
    sf_binarray_param(&empty, &params);
    SF_CHECK(server_agrees("SELECT $1::text[] = '{}'::text[] AND cardinality($1::text[]) = 0", &params));
    /* In the target list, as the import's statements use them: in step,
     * row by row. */
    sf_params_init(&params);
    sf_binarray_param(&flags, &params);
    sf_binarray_param(&days, &params);
    SF_CHECK(server_agrees("SELECT array_agg(f || ' ' || d ORDER BY o) = ARRAY['true 2012-02-29', 'false 1900-01-01']"
                           " FROM (SELECT unnest($1::bool[]) AS f, unnest($2::date[]) AS d,"
                           " generate_series(1, cardinality($1::bool[])) AS o) k", &params));
    /* The wrong element type is refused, not misread. */
    sf_params_init(&params);
    sf_binarray_param(&ints, &params);
    PGresult *result = PQexecParams(db, "SELECT $1::bigint[]", params.count, NULL, params.values, params.lengths,
                                    params.formats, 0);
    SF_CHECK(PQresultStatus(result) == PGRES_FATAL_ERROR);
    PQclear(result);

    sf_binarray_release(&texts);
    sf_binarray_release(&longs);
    sf_binarray_release(&ints);
    sf_binarray_release(&flags);
    sf_binarray_release(&days);
    sf_binarray_release(&reals);
    sf_binarray_release(&blobs);
    sf_binarray_release(&empty);
    sf_binarray_release(&instants);
}

int
main(void)
{
    if (sf_test_pg_env("sf_arrays") != 0)
        return sf_test_done();
    db = sf_test_pg_connect();
    if (SF_CHECK(db != NULL)) {
        test_literals();
        test_parse();
        test_binary();
    }
    if (db)
        PQfinish(db);
    return sf_test_done();
}
