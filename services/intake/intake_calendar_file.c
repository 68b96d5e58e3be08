/* The holiday arrangement file (intake_calendar_file.h): read and checked
 * whole, every fault named with its line, so that a typing mistake in one
 * date never loads half a year. */
#include "intake_calendar_file.h"
#include "sf_client.h"
#include "sf_dates.h"
#include "sf_text.h"
#include "sifang/v1/intake.pb-c.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
fault(intake_calendar_file_t *file, int line, const char *format, ...)
{
    char what[256];
    va_list args;
    va_start(args, format);
    vsnprintf(what, sizeof what, format, args);
    va_end(args);
    size_t used = strlen(file->errors);
    if (line)
        snprintf(file->errors + used, sizeof file->errors - used, "line %d: %s\n", line, what);
    else
        snprintf(file->errors + used, sizeof file->errors - used, "%s\n", what);
    file->n_errors++;
}

/* Monday 1 .. Sunday 7 of a day since 1970-01-01 (a Thursday). */
static int
iso_weekday(int32_t day)
{
    int w = (int) (((int64_t) day + 3) % 7);
    if (w < 0)
        w += 7;
    return w + 1;
}

/* The next blank-separated word of *at, NUL-ended in place; NULL at the end. */
static char *
word(char **at)
{
    char *p = *at;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return NULL;
    char *start = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    if (*p)
        *p++ = 0;
    *at = p;
    return start;
}

/* The rest of the line, blanks trimmed at both ends. */
static char *
rest(char *at)
{
    while (*at == ' ' || *at == '\t')
        at++;
    size_t n = strlen(at);
    while (n && (at[n - 1] == ' ' || at[n - 1] == '\t' || at[n - 1] == '\r'))
        at[--n] = 0;
    return at;
}

static void
day_line(intake_calendar_file_t *file, int line, bool working, char *at)
{
    char *date = word(&at);
    char *note = rest(at);
    int32_t day;
    if (!date || !sf_date_parse(date, &day)) {
        fault(file, line, "\"%s\" is not a date YYYY-MM-DD", date ? date : "");
        return;
    }
    int year, month, mday;
    sf_civil_from_days(day, &year, &month, &mday);
    if (file->year == 0) {
        fault(file, line, "a day before the year line");
        return;
    }
    if (year != file->year) {
        fault(file, line, "%s lies outside %d", date, file->year);
        return;
    }
    if (working && iso_weekday(day) < 6)
        fault(file, line, "%s is a weekday: an adjusted working day (调休上班) is a Saturday or Sunday", date);
    const char *problem;
    char why[96];
    if (!sf_text_utf8_valid(note))
        fault(file, line, "the note is not UTF-8");
    else if ((problem = sf_text_problem(note, INTAKE_CALENDAR_NOTE_MAX, true, false, why, sizeof why)) != NULL)
        fault(file, line, "the note %s", problem);
    for (size_t i = 0; i < file->n_entries; i++)
        if (file->entries[i].day == day) {
            fault(file, line, "%s is given again (line %d)", date, file->entries[i].line);
            return;
        }
    if (file->n_entries >= sizeof file->entries / sizeof *file->entries) {
        fault(file, line, "more days than a year has");
        return;
    }
    intake_calendar_entry_t *entry = &file->entries[file->n_entries++];
    entry->day = day;
    entry->working = working;
    entry->line = line;
    snprintf(entry->note, sizeof entry->note, "%s", strlen(note) < sizeof entry->note ? note : "");
}

/* What the days were taken from, kept by intake with the year's status. */
static void
source_line(intake_calendar_file_t *file, int line, const char *source)
{
    const char *problem;
    char why[96];
    if (*file->source)
        fault(file, line, "a second source line");
    else if (!sf_text_utf8_valid(source))
        fault(file, line, "the source is not UTF-8");
    else if ((problem = sf_text_problem(source, INTAKE_CALENDAR_SOURCE_MAX, false, false, why, sizeof why)) != NULL)
        fault(file, line, "the source %s", problem);
    else
        memcpy(file->source, source, strlen(source) + 1);   /* fits: at most 4 bytes a character */
}

bool
intake_calendar_file_parse(const char *text, intake_calendar_file_t *file)
{
    memset(file, 0, sizeof *file);
    char *copy = strdup(text ? text : "");
    if (!copy) {
        fault(file, 0, "out of memory");
        return false;
    }
    bool has_status = false;
    int line = 0;
    for (char *next = copy, *at; next; ) {
        at = next;
        next = strchr(at, '\n');
        if (next)
            *next++ = 0;
        line++;
        char *hash = strchr(at, '#');
        if (hash)
            *hash = 0;
        char *directive = word(&at);
        if (!directive)
            continue;
        if (strcmp(directive, "year") == 0) {
            char *value = word(&at), *end = NULL;
            long year = value ? strtol(value, &end, 10) : 0;
            if (file->year)
                fault(file, line, "a second year line");
            else if (!value || *end || *rest(at) || year < 2020 || year > 2045)
                fault(file, line, "the year must be one number from 2020 to 2045 (the calendar's span)");
            else
                file->year = (int) year;
        } else if (strcmp(directive, "status") == 0) {
            char *value = word(&at);
            if (has_status)
                fault(file, line, "a second status line");
            else if (!value || *rest(at) || (strcmp(value, "notice") != 0 && strcmp(value, "pattern") != 0))
                fault(file, line, "status is notice (the State Council's notice) or pattern (not yet checked"
                      " against it)");
            else
                file->pattern = strcmp(value, "pattern") == 0;
            has_status = true;
        } else if (strcmp(directive, "source") == 0)
            source_line(file, line, rest(at));
        else if (strcmp(directive, "holiday") == 0 || strcmp(directive, "workday") == 0)
            day_line(file, line, directive[0] == 'w', at);
        else
            fault(file, line, "\"%s\" is not year, status, source, holiday or workday", directive);
    }
    free(copy);
    if (!file->year)
        fault(file, 0, "no year line");
    if (!has_status)
        fault(file, 0, "no status line (notice or pattern)");
    bool any_holiday = false;
    for (size_t i = 0; i < file->n_entries; i++)
        any_holiday |= !file->entries[i].working;
    if (file->year && !any_holiday)
        fault(file, 0, "no holiday: every year has public holidays");
    return file->n_errors == 0;
}

bool
intake_calendar_file_working(const intake_calendar_file_t *file, int32_t day, const char **note)
{
    for (size_t i = 0; i < file->n_entries; i++)
        if (file->entries[i].day == day) {
            *note = file->entries[i].note;
            return file->entries[i].working;
        }
    *note = "";
    return iso_weekday(day) < 6;
}

int
intake_calendar_file_send(sf_client_t *intake, const intake_calendar_file_t *file, int *changed, int *working_days,
                          char *message, size_t message_size)
{
    int32_t first = sf_days_from_civil(file->year, 1, 1), last = sf_days_from_civil(file->year, 12, 31);
    size_t n = (size_t) (last - first + 1);
    Sifang__V1__IntakeCalendarDay *days = calloc(n, sizeof *days);
    Sifang__V1__IntakeCalendarDay **list = calloc(n, sizeof *list);
    char (*dates)[11] = calloc(n, sizeof *dates);
    sf_status_t status = SF_RESOURCE_EXHAUSTED;
    snprintf(message, message_size, "out of memory");
    if (days && list && dates) {
        for (size_t i = 0; i < n; i++) {
            sifang__v1__intake_calendar_day__init(&days[i]);
            sf_date_format(first + (int32_t) i, dates[i]);
            const char *note;
            days[i].working = intake_calendar_file_working(file, first + (int32_t) i, &note);
            days[i].date = dates[i];
            days[i].note = (char *) note;
            list[i] = &days[i];
        }
        Sifang__V1__IntakeCalendarSetRequest request = SIFANG__V1__INTAKE_CALENDAR_SET_REQUEST__INIT;
        request.days = list;
        request.n_days = n;
        request.year_status = file->pattern ? SIFANG__V1__CALENDAR_YEAR_STATUS__CALENDAR_YEAR_STATUS_PATTERN
                                            : SIFANG__V1__CALENDAR_YEAR_STATUS__CALENDAR_YEAR_STATUS_NOTICE;
        request.year_source = (char *) file->source;
        char request_id[40];
        sf_request_id_new(request_id);
        Sifang__V1__IntakeCalendarSetReply *reply = NULL;
        sf_reply_info_t info;
        status = sf_client_call(intake, "CalendarSet", request_id, &request.base,
                                &sifang__v1__intake_calendar_set_reply__descriptor, (ProtobufCMessage **) &reply, &info);
        if (status == SF_OK) {
            *changed = reply->changed;
            *working_days = reply->working_days_in_year;
            snprintf(message, message_size, "loaded");
            protobuf_c_message_free_unpacked(&reply->base, NULL);
        } else
            snprintf(message, message_size, "%s", info.message ? info.message : sf_status_name(status));
    }
    free(days);
    free(list);
    free(dates);
    return status;
}
