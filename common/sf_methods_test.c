/* sf_methods_check: a method table that does not match its service's
 * descriptor is refused with the first mismatch named, and the daemon then
 * does not start (sf_server_new); the notebook's and the Sys table pass. */
#include "sf_server_private.h"
#include "notebook_service.h"
#include "sf_test.h"
#include <string.h>

/* Tables under test need handlers to point at; none is ever called. */
static sf_status_t
unused(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    (void) request;
    (void) reply_p;
    return sf_call_fail(call, SF_INTERNAL, "not for calling");
}

static sf_status_t
unused_batch(sf_call_t **calls, const ProtobufCMessage **requests, ProtobufCMessage **replies, size_t n)
{
    (void) calls;
    (void) requests;
    (void) replies;
    (void) n;
    return SF_INTERNAL;
}

/* The notebook's rpcs, each once, as a good table lists them. */
#define NOTE_ADD        { "NoteAdd", unused, SF_METHOD_WRITE, "community", unused_batch }
#define NOTE_GET        { "NoteGet", unused, SF_METHOD_READ, NULL, NULL }
#define NOTE_THEN_FAIL  { "NoteAddThenFail", unused, SF_METHOD_WRITE, NULL, NULL }
#define NOTE_COUNT      { "NoteCountAll", unused, SF_METHOD_READ, NULL, NULL }
#define NOTE_ELSEWHERE  { "NoteAddElsewhere", unused, SF_METHOD_WRITE, NULL, NULL }
#define END             { NULL, NULL, SF_METHOD_READ, NULL, NULL }

/* Checks methods against the notebook's descriptor; "" when accepted,
 * else the refusal. */
static const char *
check(const sf_method_t *methods)
{
    static char error[256];
    sf_service_t service = {
        .service = "notebook",
        .descriptor = &sifang__test__notebook__descriptor,
        .methods = methods,
    };
    strcpy(error, "(no message)");
    if (sf_methods_check(&service, error, sizeof error))
        return "";
    return error;
}

int
main(void)
{
    /* Each rpc once, in any order: accepted. */
    static const sf_method_t good[] = {
        NOTE_COUNT, NOTE_ADD, NOTE_GET, NOTE_ELSEWHERE, NOTE_THEN_FAIL, END,
    };
    SF_CHECK_EQ_STR(check(good), "");

    /* An rpc left out would answer UNIMPLEMENTED for a method the proto
     * claims. */
    static const sf_method_t missing[] = {
        NOTE_ADD, NOTE_GET, NOTE_THEN_FAIL, NOTE_ELSEWHERE, END,
    };
    SF_CHECK_EQ_STR(check(missing),
                    "notebook's method table: rpc NoteCountAll of sifang.test.Notebook has no entry");

    /* A name the proto lacks could never be called (a typo, a renamed rpc). */
    static const sf_method_t unknown[] = {
        NOTE_ADD, NOTE_GET, NOTE_THEN_FAIL, NOTE_COUNT, NOTE_ELSEWHERE,
        { "NoteDelete", unused, SF_METHOD_WRITE, NULL, NULL }, END,
    };
    SF_CHECK_EQ_STR(check(unknown),
                    "notebook's method table: \"NoteDelete\" is not an rpc of sifang.test.Notebook");

    /* Listed twice: the second entry's kind and roles would never apply. */
    static const sf_method_t duplicate[] = {
        NOTE_ADD, NOTE_GET, NOTE_THEN_FAIL, NOTE_COUNT, NOTE_ELSEWHERE,
        { "NoteGet", unused, SF_METHOD_WRITE, "admin", NULL }, END,
    };
    SF_CHECK_EQ_STR(check(duplicate), "notebook's method table: NoteGet is listed twice");

    /* Reads run at once, outside any batch: a batch handler there is dead
     * code that looks alive. */
    static const sf_method_t batch_on_read[] = {
        NOTE_ADD, { "NoteGet", unused, SF_METHOD_READ, NULL, unused_batch },
        NOTE_THEN_FAIL, NOTE_COUNT, NOTE_ELSEWHERE, END,
    };
    SF_CHECK_EQ_STR(check(batch_on_read),
                    "notebook's method table: NoteGet has a batch handler but is not a write method");

    /* No handler: the request would crash the loop. */
    static const sf_method_t no_handler[] = {
        NOTE_ADD, NOTE_GET, NOTE_THEN_FAIL, { "NoteCountAll", NULL, SF_METHOD_READ, NULL, NULL },
        NOTE_ELSEWHERE, END,
    };
    SF_CHECK_EQ_STR(check(no_handler), "notebook's method table: NoteCountAll has no handler");

    /* The first mismatch in the table's order is the one named. */
    static const sf_method_t two_wrong[] = {
        { "NoteAdd", NULL, SF_METHOD_WRITE, NULL, NULL }, NOTE_GET, NOTE_THEN_FAIL, NOTE_COUNT,
        NOTE_ELSEWHERE, NOTE_GET, END,
    };
    SF_CHECK_EQ_STR(check(two_wrong), "notebook's method table: NoteAdd has no handler");

    /* An empty table with a descriptor: the descriptor's first rpc. */
    static const sf_method_t empty[] = { END };
    SF_CHECK_EQ_STR(check(empty),
                    "notebook's method table: rpc NoteAdd of sifang.test.Notebook has no entry");

    /* A pure follower (no rpcs of its own, no descriptor) has an empty
     * table; an entry in it could never be called. */
    sf_service_t follower = { .service = "follower", .descriptor = NULL, .methods = empty };
    char error[256] = "";
    SF_CHECK(sf_methods_check(&follower, error, sizeof error));
    follower.methods = good;
    SF_CHECK(!sf_methods_check(&follower, error, sizeof error));
    SF_CHECK_EQ_STR(error, "follower's method table: \"NoteCountAll\" is not an rpc of the service"
                           " (it has no descriptor)");
    follower.methods = NULL;
    SF_CHECK(sf_methods_check(&follower, error, sizeof error));

    /* The real tables: the notebook's, and the Sys methods every daemon
     * serves against sys.proto. (Each daemon's own table is checked by
     * sf_server_new whenever its tests start it.) */
    SF_CHECK(sf_methods_check(&notebook_service, error, sizeof error));
    sf_service_t sys = { .service = "sys", .descriptor = &sifang__v1__sys__descriptor, .methods = sf_sys_methods };
    SF_CHECK(sf_methods_check(&sys, error, sizeof error));

    /* A daemon whose table does not match does not start, and says why. */
    sf_service_t bad = notebook_service;
    bad.methods = duplicate;
    strcpy(error, "");
    sf_server_t *server = sf_server_new(&bad, error, sizeof error);
    SF_CHECK(server == NULL);
    SF_CHECK_EQ_STR(error, "notebook's method table: NoteGet is listed twice");
    sf_server_destroy(&server);
    return sf_test_done();
}
