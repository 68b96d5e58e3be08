/* SF_ASSERT's failure: the log line that says which precondition broke,
 * then abort() (a core dump where they are on; the supervisor restarts the
 * daemon). */
#include "sf_assert.h"
#include "sf_log.h"
#include <stdio.h>
#include <stdlib.h>

void
sf_assert_fail_(const char *file, int line, const char *condition)
{
    char number[16];
    snprintf(number, sizeof number, "%d", line);
    sf_error("assertion failed", "file", file, "line", number, "condition", condition);
    fflush(stderr);
    abort();
}
