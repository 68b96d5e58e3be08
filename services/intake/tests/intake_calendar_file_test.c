/* The holiday arrangement file (intake_calendar_file.h): the shipped 2027
 * file reads, and a file with any fault is refused whole, each fault named
 * with its line. */
#include "intake_calendar_file.h"
#include "sf_dates.h"
#include "sf_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static intake_calendar_file_t file;

static char *
read_file(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[n] = 0;
    return text;
}

/* Refused, with want among the faults. */
static void
refused(const char *text, const char *want, int line)
{
    if (intake_calendar_file_parse(text, &file))
        SF_FAIL("line %d: a file with a fault was read: %s", line, text);
    else if (!strstr(file.errors, want))
        SF_FAIL("line %d: the faults \"%s\" do not say \"%s\"", line, file.errors, want);
}
#define REFUSED(text, want) refused(text, want, __LINE__)

int
main(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/services/intake/calendar/2027.txt", sf_test_source_dir());
    const char *shipped = read_file(path);
    if (SF_CHECK(shipped != NULL) && SF_CHECK(intake_calendar_file_parse(shipped, &file))) {
        SF_CHECK_EQ_INT(file.year, 2027);
        SF_CHECK(file.pattern);   /* says it is the pattern until checked against the notice */
        SF_CHECK_EQ_INT((int) file.n_entries, 13);
        const char *note;
        SF_CHECK(!intake_calendar_file_working(&file, sf_days_from_civil(2027, 10, 1), &note));
        SF_CHECK_EQ_STR(note, "国庆节 National Day");
        SF_CHECK(intake_calendar_file_working(&file, sf_days_from_civil(2027, 10, 4), &note));   /* a Monday */
        SF_CHECK(!intake_calendar_file_working(&file, sf_days_from_civil(2027, 10, 9), &note));  /* a Saturday */
        SF_CHECK_EQ_STR(note, "");
    }

    const char *good = "year 2027\nstatus notice\nsource 国办发明电\nholiday 2027-01-01 元旦\n"
                       "workday 2027-02-20 调休上班  # a Saturday\n\n# done\n";
    if (SF_CHECK(intake_calendar_file_parse(good, &file))) {
        SF_CHECK(!file.pattern);
        SF_CHECK_EQ_INT((int) file.n_entries, 2);
        SF_CHECK_EQ_STR(file.source, "国办发明电");
        SF_CHECK_EQ_STR(file.entries[1].note, "调休上班");
        SF_CHECK_EQ_INT(file.entries[1].line, 5);
    }
    REFUSED("status notice\nholiday 2027-01-01 元旦\n", "line 2: a day before the year line");
    REFUSED("year 2027\nholiday 2027-01-01 元旦\n", "no status line");
    REFUSED("year 2027\nstatus maybe\nholiday 2027-01-01 元旦\n", "line 2: status is notice");
    REFUSED("year 2019\nstatus notice\n", "line 1: the year must be one number from 2020 to 2045");
    REFUSED("year 2027\nyear 2028\nstatus notice\nholiday 2027-01-01 元旦\n", "line 2: a second year line");
    REFUSED("year 2027\nstatus notice\nholiday 2028-01-01 元旦\n", "line 3: 2028-01-01 lies outside 2027");
    REFUSED("year 2027\nstatus notice\nholiday 2027-02-30 元旦\n", "line 3: \"2027-02-30\" is not a date");
    REFUSED("year 2027\nstatus notice\nholiday 2027-01-01 元旦\nholiday 2027-01-01 又一个\n",
            "line 4: 2027-01-01 is given again (line 3)");
    REFUSED("year 2027\nstatus notice\nholiday 2027-01-01 元旦\nworkday 2027-02-22 调休上班\n",
            "line 4: 2027-02-22 is a weekday");
    REFUSED("year 2027\nstatus notice\nholiday 2027-01-01\n", "line 3: the note is required");
    REFUSED("year 2027\nstatus notice\nholiday 2027-01-01 元旦元旦元旦元旦元旦元旦元旦元旦元旦元旦元旦元旦元旦元旦元旦元旦元旦元旦"
            "元旦元旦元旦元旦元旦元旦元旦元旦\n", "line 3: the note must be at most 50 characters");
    REFUSED("year 2027\nstatus notice\nworkday 2027-02-20 调休上班\n", "no holiday");
    REFUSED("year 2027\nstatus notice\nholiday 2027-01-01 元旦\nvacation 2027-01-02 x\n",
            "line 4: \"vacation\" is not year, status, source, holiday or workday");
    /* Several faults are all named. */
    REFUSED("year 2027\nstatus notice\nholiday 2027-13-01 a\nholiday 2026-05-01 b\n", "line 4: 2026-05-01 lies outside");
    SF_CHECK_EQ_INT(file.n_errors, 3);   /* line 3, line 4 and no holiday */
    return sf_test_done();
}
