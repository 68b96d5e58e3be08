/* One PostgreSQL connection owned by a daemon: connect from the environment,
 * notice when it drops (even idle) and reconnect within a second,
 * parameterised statements that are prepared once per connection, and the
 * mapping of SQL errors to statuses. */
#ifndef SF_DB_H
#define SF_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "sf_assert.h"
#include "sf_status.h"

typedef struct sf_db_t sf_db_t;

/* conninfo: a libpq connection string or URL ("" = the PG* variables alone).
 * schema: the service's schema, set as search_path on every connection.
 * Does not connect; call sf_db_connect or sf_db_maintain. */
sf_db_t *sf_db_new(const char *conninfo, const char *schema);
void sf_db_destroy(sf_db_t **self_p);

/* The conninfo for a service from the environment: SIFANG_<SVC>_DATABASE_URL,
 * else "user=sifang_<svc>" over the PG* variables. Returns a malloc'd string. */
char *sf_db_conninfo_from_env(const char *service);

/* Tries to connect now, waiting for the attempt to finish or time out
 * (connect_timeout, else 5 s); true when up. For start-up and for a caller
 * that has nothing to do without the database: a loop uses
 * sf_db_maintain. */
bool sf_db_connect(sf_db_t *self) SF_MUST_USE;
/* For a loop to call every turn (at least once a second): looks at the
 * idle connection every 500 ms at most and marks one that has died down
 * (as sf_db_alive does); when down, starts an attempt once the backoff
 * (100 ms doubling to 1 s) has passed, or takes the one in progress up
 * to 100 ms further. Returns sf_db_is_up. */
bool sf_db_maintain(sf_db_t *self);
/* Whether the connection is usable now, cheap enough for every Ping: when
 * up and idle (no pipeline in flight, no transaction), reads what is
 * waiting without blocking and marks a connection the server closed, or
 * that keepalives found dead, down; when down, tries to reconnect at once
 * if the last attempt began 250 ms ago or more (not waiting for the
 * backoff). Never waits more than 100 ms: attempts are non-blocking and
 * go on at the next call. */
bool sf_db_alive(sf_db_t *self);
/* Whether there is a connection (as last seen: sf_db_alive looks). */
bool sf_db_is_up(const sf_db_t *self);
/* Times the connection was re-established after a loss. */
int64_t sf_db_reconnects(const sf_db_t *self);
/* The raw connection (NULL when down), for COPY or pipeline mode. */
PGconn *sf_db_conn(sf_db_t *self);

/* Parameters for one statement: values are kept as text (or binary for
 * bytes) in the struct itself, so it can live on the stack. */
#define SF_DB_MAX_PARAMS 32
typedef struct {
    int count;
    const char *values[SF_DB_MAX_PARAMS];
    int lengths[SF_DB_MAX_PARAMS];
    int formats[SF_DB_MAX_PARAMS];
    char numbers[SF_DB_MAX_PARAMS][32];
} sf_params_t;

void sf_params_init(sf_params_t *params);
/* Text value; NULL is SQL NULL. The string must outlive the statement. */
void sf_params_text(sf_params_t *params, const char *value);
/* Empty string is SQL NULL (for optional text fields). */
void sf_params_text_or_null(sf_params_t *params, const char *value);
void sf_params_int(sf_params_t *params, int64_t value);
void sf_params_double(sf_params_t *params, double value);
void sf_params_bool(sf_params_t *params, bool value);
void sf_params_bytes(sf_params_t *params, const void *data, size_t size);
void sf_params_null(sf_params_t *params);

/* Why a statement failed, as a value: what sf_db_try fills, and what every
 * way of running SQL above it (sf_call_query, sf_query_run, sf_db_run)
 * passes on. A handler runs SQL with sf_call_query, whose failure becomes
 * the call's (sf_call_fail); code that must go on after a failed statement
 * (an import item that fails alone) or that has no call (a follower, a
 * timer) runs it with sf_db_try and decides itself. */
typedef struct {
    sf_status_t status;        /* SF_OK: nothing failed */
    /* For the caller of the request: the server's primary message for a
     * status the client can act on, "database unavailable", or "internal
     * error" when our SQL is wrong (the server's words are then in detail,
     * for the log only). */
    char message[512];
    char constraint[64];       /* the constraint a violation names, or "" */
    char detail[256];          /* the server's whole error, for the log */
} sf_db_failure_t;

/* Runs sql with params (may be NULL), preparing it on first use on this
 * connection (statements are cached by their text). Returns the result, which
 * the caller PQclear()s, or NULL when the database is down. A result whose
 * status is an error is returned as-is: see sf_db_result_ok / sf_db_status.
 * A lost connection marks the database down (UNAVAILABLE) and starts the
 * backoff. The primitive below the others: a caller wants sf_db_try. */
PGresult *sf_db_query(sf_db_t *self, const char *sql, const sf_params_t *params);
/* The one way to run a statement and learn why it failed: the result of a
 * success (the caller PQclear()s it), or NULL with *failure saying why
 * (failure may be NULL; on success its status is SF_OK). Logs nothing: the
 * caller knows what the statement was for. */
PGresult *sf_db_try(sf_db_t *self, const char *sql, const sf_params_t *params,
                    sf_db_failure_t *failure) SF_MUST_USE;
/* The failure a result stands for (NULL: the database is down); SF_OK for a
 * success. For a result of sf_db_query or a pipeline's. */
void sf_db_failure_of(sf_db_failure_t *failure, const PGresult *result);
/* sf_db_try for a caller that wants only the status: with result_p it also
 * gets the result of a success (and PQclear()s it). */
sf_status_t sf_db_run(sf_db_t *self, const char *sql, const sf_params_t *params,
                      PGresult **result_p) SF_MUST_USE;
/* Runs a statement without parameters that is not worth preparing (BEGIN,
 * SAVEPOINT ...); returns true on success. */
bool sf_db_command(sf_db_t *self, const char *sql) SF_MUST_USE;

/* Statements that need no answer from one another, sent together and
 * answered together (libpq's pipeline mode): one round trip instead of one
 * each. params may be NULL. */
typedef struct {
    const char *sql;
    const sf_params_t *params;
} sf_db_step_t;

#define SF_DB_PIPELINE_MAX 8
/* Runs n (<= SF_DB_PIPELINE_MAX) steps in order; results[i] is step i's
 * result (the caller PQclear()s each; NULL when the step never ran). After
 * a failed step the later ones are not run (their results are NULL), as
 * with one statement after another; inside a transaction it is left
 * aborted for the caller to roll back. true when every step succeeded. A
 * lost connection marks the database down, as sf_db_query does. */
bool sf_db_pipeline(sf_db_t *self, const sf_db_step_t *steps, int n, PGresult **results) SF_MUST_USE;
/* sf_db_pipeline in two halves, so that the caller works while the server
 * does (the service loop sends a batch's BEGIN, then answers the batch
 * before it). _send sends and flushes (false: nothing went; _receive then
 * says why); _receive must be the next use of the connection and gets the
 * n steps' results, as sf_db_pipeline gives them. Meanwhile every other
 * statement is refused. */
bool sf_db_pipeline_send(sf_db_t *self, const sf_db_step_t *steps, int n);
bool sf_db_pipeline_receive(sf_db_t *self, PGresult **results, int n) SF_MUST_USE;
bool sf_db_pipeline_in_flight(const sf_db_t *self);

/* Deferred commands: a command without parameters or rows (SAVEPOINT,
 * SET LOCAL) queued to go out ahead of the next statement, in its round
 * trip (sf_db_query, sf_db_command, sf_db_pipeline, sf_db_commit). A
 * failed command fails that statement: sf_db_query returns the command's
 * result; the others report failure (and it is logged). command is kept
 * by pointer: a literal. A rollback or a lost connection drops the
 * queue. */
#define SF_DB_DEFERRED_MAX 8
void sf_db_defer(sf_db_t *self, const char *command);
/* Takes back the last deferred command if it is command and has not gone
 * out: a savepoint no statement followed needs no rollback. */
bool sf_db_take_back(sf_db_t *self, const char *command);

/* Whether a result is a success (COMMAND_OK or TUPLES_OK). */
bool sf_db_result_ok(const PGresult *result);
/* The status for a failed result: unique violation -> ALREADY_EXISTS, foreign
 * key -> FAILED_PRECONDITION, check/not-null/invalid text -> INVALID_ARGUMENT,
 * serialization/deadlock -> ABORTED, NULL or connection errors -> UNAVAILABLE,
 * anything else INTERNAL. */
sf_status_t sf_db_status(const PGresult *result);
/* The constraint a failed result names, or "" (for field violations). */
const char *sf_db_constraint(const PGresult *result);

/* Transactions. begin/commit/rollback return true on success. */
bool sf_db_begin(sf_db_t *self) SF_MUST_USE;
bool sf_db_commit(sf_db_t *self) SF_MUST_USE;
void sf_db_rollback(sf_db_t *self);

/* Value helpers over a result row (NULL -> "" / 0 / false). */
const char *sf_db_text(const PGresult *result, int row, int column);
int64_t sf_db_int(const PGresult *result, int row, int column);
double sf_db_double(const PGresult *result, int row, int column);
bool sf_db_bool(const PGresult *result, int row, int column);
bool sf_db_is_null(const PGresult *result, int row, int column);

/* A PostgreSQL array literal built up value by value, so that one statement
 * can carry a whole batch (INSERT ... SELECT FROM unnest($1::text[], ...)). */
typedef struct {
    char *text;
    size_t length;
    size_t capacity;
    size_t count;
    bool failed;              /* out of memory: the literal is unusable */
} sf_pgarray_t;

void sf_pgarray_init(sf_pgarray_t *array);
void sf_pgarray_add_text(sf_pgarray_t *array, const char *value);   /* NULL -> NULL */
void sf_pgarray_add_int(sf_pgarray_t *array, int64_t value);
void sf_pgarray_add_bytes(sf_pgarray_t *array, const void *data, size_t size);
/* The literal "{...}", valid until release; NULL when out of memory. */
const char *sf_pgarray_text(sf_pgarray_t *array);
void sf_pgarray_release(sf_pgarray_t *array);

/* Reads a one-level text[] as the server writes it ("{a,\"b c\",\"\"}":
 * a value quoted, with backslash escapes, when it is empty or holds a comma,
 * brace, quote, backslash or blank) into out[0 .. max): each value unquoted
 * into buffer, which holds strlen(literal) + 1 bytes; values past max are
 * left out. A NULL element reads as the text NULL (the columns read so are
 * never NULL inside). Returns how many values it read. */
size_t sf_pgarray_parse(const char *literal, char *buffer, char **out, size_t max);

/* An array in PostgreSQL's binary form, for one binary parameter of a
 * set-based statement ("$1::bigint[]", unnested in the target list): the
 * server reads each value as it is, with no literal to scan and no text to
 * convert (sf_binarray.c). The element type is given by its oid. NULL texts
 * are NULL elements; dates are days since 1970-01-01. */
#define SF_OID_BOOL 16
#define SF_OID_BYTEA 17
#define SF_OID_INT8 20
#define SF_OID_INT4 23
#define SF_OID_TEXT 25
#define SF_OID_FLOAT8 701
#define SF_OID_DATE 1082
#define SF_OID_TIMESTAMPTZ 1184
typedef struct {
    uint8_t *data;
    size_t length, capacity;
    uint32_t element_type;
    int32_t count;
    bool has_null;
} sf_binarray_t;
void sf_binarray_init(sf_binarray_t *array, uint32_t element_type);
void sf_binarray_null(sf_binarray_t *array);
void sf_binarray_text(sf_binarray_t *array, const char *value);
void sf_binarray_bytes(sf_binarray_t *array, const void *data, size_t size);
void sf_binarray_int8(sf_binarray_t *array, int64_t value);
void sf_binarray_int4(sf_binarray_t *array, int32_t value);
void sf_binarray_bool(sf_binarray_t *array, bool value);
void sf_binarray_date(sf_binarray_t *array, int32_t day);
void sf_binarray_float8(sf_binarray_t *array, double value);
/* An instant given in milliseconds since 1970-01-01 UTC. */
void sf_binarray_timestamptz(sf_binarray_t *array, int64_t unix_ms);
/* Adds the array as the next (binary) parameter; it must outlive the
 * statement. */
void sf_binarray_param(sf_binarray_t *array, sf_params_t *params);
void sf_binarray_release(sf_binarray_t *array);

#endif
