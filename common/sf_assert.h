/* The suite's checks on its own code, as opposed to its input: SF_ASSERT
 * at a documented precondition, and SF_MUST_USE on a function whose result
 * says whether it worked.
 *
 * A precondition a caller breaks (more parameters than a statement holds, a
 * second pipeline while one is in flight, a fragment longer than a query) is
 * a bug in our code: SF_ASSERT logs file:line and the condition as one JSON
 * line on stderr and aborts, always (not only in debug builds, and never
 * compiled out: the check is one comparison). Bad input is never asserted
 * on: it gets a reply that says what is wrong (docs/protocol.md).
 *
 * SF_MUST_USE goes on the declaration of every function in common/ whose
 * result is a status or a success flag, so that a caller who drops it does
 * not build (-Werror). Where dropping it is right, the caller wraps the
 * call in SF_IGNORE and says why beside it (GCC does not take a cast to
 * void as use). */
#ifndef SF_ASSERT_H
#define SF_ASSERT_H

#define SF_MUST_USE __attribute__((warn_unused_result))
#define SF_IGNORE(call) ((void) !(call))

#define SF_ASSERT(cond) \
    ((cond) ? (void) 0 : sf_assert_fail_(__FILE__, __LINE__, #cond))

/* SF_ASSERT's failure: logs and aborts. */
_Noreturn void sf_assert_fail_(const char *file, int line, const char *condition);

#endif
