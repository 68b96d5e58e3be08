/* Reply status codes (the canonical gRPC codes) and their names. */
#ifndef SF_STATUS_H
#define SF_STATUS_H

typedef enum {
    SF_OK = 0,
    SF_CANCELLED = 1,
    SF_UNKNOWN = 2,
    SF_INVALID_ARGUMENT = 3,
    SF_DEADLINE_EXCEEDED = 4,
    SF_NOT_FOUND = 5,
    SF_ALREADY_EXISTS = 6,
    SF_PERMISSION_DENIED = 7,
    SF_RESOURCE_EXHAUSTED = 8,
    SF_FAILED_PRECONDITION = 9,
    SF_ABORTED = 10,
    SF_OUT_OF_RANGE = 11,
    SF_UNIMPLEMENTED = 12,
    SF_INTERNAL = 13,
    SF_UNAVAILABLE = 14,
    SF_DATA_LOSS = 15,
    SF_UNAUTHENTICATED = 16,
} sf_status_t;

#define SF_STATUS_COUNT 17

/* "OK", "INVALID_ARGUMENT", ...; "UNKNOWN" for anything out of range. */
const char *sf_status_name(int status);
/* The reverse; -1 when the name is not a status. */
int sf_status_from_name(const char *name);
/* The HTTP status the gateway answers for a status (200, 400, 404, 409, ...). */
int sf_status_http(int status);

#endif
