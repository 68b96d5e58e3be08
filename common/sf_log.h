/* JSON-lines logging on stderr: one object per line with time, level,
 * service, msg and any key/value fields the caller adds. */
#ifndef SF_LOG_H
#define SF_LOG_H

typedef enum { SF_LOG_DEBUG, SF_LOG_INFO, SF_LOG_WARN, SF_LOG_ERROR } sf_log_level_t;

/* Names the service on every line; the level comes from SIFANG_LOG_LEVEL
 * (debug, info, warn, error; default info). */
void sf_log_init(const char *service);
void sf_log_set_level(sf_log_level_t level);

/* Fields are NULL-terminated pairs of strings: key, value, key, value, NULL.
 * A NULL value is skipped. Values are escaped; never pass ID numbers or
 * phone numbers here. */
void sf_log(sf_log_level_t level, const char *msg, ...);
#define sf_debug(...) sf_log(SF_LOG_DEBUG, __VA_ARGS__, (const char *) NULL)
#define sf_info(...)  sf_log(SF_LOG_INFO, __VA_ARGS__, (const char *) NULL)
#define sf_warn(...)  sf_log(SF_LOG_WARN, __VA_ARGS__, (const char *) NULL)
#define sf_error(...) sf_log(SF_LOG_ERROR, __VA_ARGS__, (const char *) NULL)

#endif
