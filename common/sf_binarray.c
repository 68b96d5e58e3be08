/* Arrays in PostgreSQL's binary form, built value by value and sent as one
 * binary parameter of a set-based statement ($1::text[] ... unnest): the
 * database reads each value as it is, with no array literal to scan and no
 * text to convert, which for employment's import of thousands of records
 * was an eighth of the database's time. */
#include "sf_db.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* One dimension: ndim, flags (has nulls), element type, length, lower bound. */
#define HEADER_BYTES 20
/* No dimension (an empty array): ndim, flags, element type. */
#define EMPTY_HEADER_BYTES 12
/* Days from 1970-01-01 (ours) to 2000-01-01 (PostgreSQL's date epoch). */
#define PG_DATE_EPOCH_DAYS 10957

void
sf_binarray_init(sf_binarray_t *array, uint32_t element_type)
{
    memset(array, 0, sizeof *array);
    array->element_type = element_type;
}

/* Room for size more bytes (the header's first). */
static uint8_t *
reserve(sf_binarray_t *array, size_t size)
{
    if (!array->data)
        array->length = HEADER_BYTES;
    if (array->length + size > array->capacity) {
        size_t capacity = array->capacity ? array->capacity : 1024;
        while (capacity < array->length + size)
            capacity *= 2;
        uint8_t *grown = realloc(array->data, capacity);
        if (!grown)
            abort();
        array->data = grown;
        array->capacity = capacity;
    }
    uint8_t *at = array->data + array->length;
    array->length += size;
    return at;
}

static void
put32(uint8_t *at, uint32_t value)
{
    value = htonl(value);
    memcpy(at, &value, 4);
}

static void
put64(uint8_t *at, uint64_t value)
{
    put32(at, (uint32_t) (value >> 32));
    put32(at + 4, (uint32_t) value);
}

/* An element's length word and room for its bytes. */
static uint8_t *
element(sf_binarray_t *array, size_t size)
{
    uint8_t *at = reserve(array, 4 + size);
    put32(at, (uint32_t) size);
    array->count++;
    return at + 4;
}

void
sf_binarray_null(sf_binarray_t *array)
{
    put32(reserve(array, 4), 0xffffffffu);   /* length -1 */
    array->count++;
    array->has_null = true;
}

void
sf_binarray_text(sf_binarray_t *array, const char *value)
{
    if (!value) {
        sf_binarray_null(array);
        return;
    }
    size_t size = strlen(value);
    memcpy(element(array, size), value, size);
}

void
sf_binarray_bytes(sf_binarray_t *array, const void *data, size_t size)
{
    memcpy(element(array, size), data, size);
}

void
sf_binarray_int8(sf_binarray_t *array, int64_t value)
{
    put64(element(array, 8), (uint64_t) value);
}

void
sf_binarray_int4(sf_binarray_t *array, int32_t value)
{
    put32(element(array, 4), (uint32_t) value);
}

void
sf_binarray_bool(sf_binarray_t *array, bool value)
{
    *element(array, 1) = value ? 1 : 0;
}

void
sf_binarray_date(sf_binarray_t *array, int32_t day)
{
    put32(element(array, 4), (uint32_t) (day - PG_DATE_EPOCH_DAYS));
}

void
sf_binarray_timestamptz(sf_binarray_t *array, int64_t unix_ms)
{
    /* Microseconds since PostgreSQL's epoch, 2000-01-01 00:00 UTC. */
    int64_t micros = (unix_ms - (int64_t) PG_DATE_EPOCH_DAYS * 86400000) * 1000;
    put64(element(array, 8), (uint64_t) micros);
}

void
sf_binarray_float8(sf_binarray_t *array, double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    put64(element(array, 8), bits);
}

void
sf_binarray_param(sf_binarray_t *array, sf_params_t *params)
{
    if (!array->data)
        reserve(array, 0);
    if (array->count == 0) {
        uint8_t *header = array->data + HEADER_BYTES - EMPTY_HEADER_BYTES;
        put32(header, 0);
        put32(header + 4, 0);
        put32(header + 8, array->element_type);
        sf_params_bytes(params, header, EMPTY_HEADER_BYTES);
        return;
    }
    put32(array->data, 1);
    put32(array->data + 4, array->has_null ? 1 : 0);
    put32(array->data + 8, array->element_type);
    put32(array->data + 12, (uint32_t) array->count);
    put32(array->data + 16, 1);
    sf_params_bytes(params, array->data, array->length);
}

void
sf_binarray_release(sf_binarray_t *array)
{
    free(array->data);
    memset(array, 0, sizeof *array);
}
