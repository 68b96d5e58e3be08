/* Names and HTTP equivalents of the reply status codes. */
#include "sf_status.h"
#include <string.h>

static const char *const status_names[SF_STATUS_COUNT] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
    "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
};

const char *
sf_status_name(int status)
{
    if (status < 0 || status >= SF_STATUS_COUNT)
        return "UNKNOWN";
    return status_names[status];
}

int
sf_status_from_name(const char *name)
{
    for (int i = 0; name && i < SF_STATUS_COUNT; i++)
        if (strcmp(status_names[i], name) == 0)
            return i;
    return -1;
}

/* The mapping grpc-gateway uses, so HTTP clients see familiar codes. */
int
sf_status_http(int status)
{
    switch (status) {
    case SF_OK: return 200;
    case SF_CANCELLED: return 499;
    case SF_INVALID_ARGUMENT: return 400;
    case SF_OUT_OF_RANGE: return 400;
    case SF_FAILED_PRECONDITION: return 400;
    case SF_DEADLINE_EXCEEDED: return 504;
    case SF_NOT_FOUND: return 404;
    case SF_ALREADY_EXISTS: return 409;
    case SF_ABORTED: return 409;
    case SF_PERMISSION_DENIED: return 403;
    case SF_UNAUTHENTICATED: return 401;
    case SF_RESOURCE_EXHAUSTED: return 429;
    case SF_UNIMPLEMENTED: return 501;
    case SF_UNAVAILABLE: return 503;
    default: return 500;
    }
}
