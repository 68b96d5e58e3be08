/* A year's holiday arrangement as a file, the State Council's notice
 * (国务院办公厅关于 YYYY 年部分节假日安排的通知) written down line by line,
 * read and checked whole before anything is sent (sifang-intake-calendar):
 *
 *   # comments and blank lines are ignored
 *   year 2027
 *   status notice                 (or: pattern, when the notice is not out yet)
 *   source 国办发明电〔2026〕N号  (what the days were taken from; up to 200 characters)
 *   holiday 2027-01-01 元旦
 *   workday 2027-02-20 调休上班   (an adjusted working day: a Saturday or Sunday)
 *
 * Every date lies in the year; no date twice; a workday is a weekend day;
 * a note is 1 to 50 characters of UTF-8 with no control character; at least
 * one holiday. A file with any fault is refused whole, each fault named with
 * its line. */
#ifndef INTAKE_CALENDAR_FILE_H
#define INTAKE_CALENDAR_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INTAKE_CALENDAR_NOTE_MAX 50
#define INTAKE_CALENDAR_SOURCE_MAX 200   /* characters, as intake keeps it */

typedef struct {
    int32_t day;                    /* days since 1970-01-01 */
    bool working;                   /* workday (调休上班) or holiday */
    char note[4 * INTAKE_CALENDAR_NOTE_MAX + 1];
    int line;
} intake_calendar_entry_t;

typedef struct {
    int year;
    bool pattern;                   /* "status pattern": not yet checked against the notice */
    char source[4 * INTAKE_CALENDAR_SOURCE_MAX + 1];
    intake_calendar_entry_t entries[366];
    size_t n_entries;
    char errors[2048];              /* every fault, one a line ("line 7: ..."); "" when none */
    int n_errors;
} intake_calendar_file_t;

/* Reads text (a whole file) into file; false (with file->errors) when any
 * line is at fault. */
bool intake_calendar_file_parse(const char *text, intake_calendar_file_t *file);

/* Whether the year's day is a working day by the file (its entries over the
 * weekday rule), and its note ("" when the file names none). */
bool intake_calendar_file_working(const intake_calendar_file_t *file, int32_t day, const char **note);

/* Sends the year to intake as one CalendarSet of every day of it (the
 * file's days over the weekday rule), so that the year is exactly what the
 * file says. Returns the service's status; on SF_OK *changed and
 * *working_days (the year's, after it) are intake's answer; otherwise
 * message holds intake's words. (sifang-intake-calendar and the demo.) */
typedef struct sf_client_t sf_client_t;
int intake_calendar_file_send(sf_client_t *intake, const intake_calendar_file_t *file, int *changed,
                              int *working_days, char *message, size_t message_size);

#endif
