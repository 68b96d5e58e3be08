/* sifang-intake-calendar: loads a year's holiday arrangement (the State
 * Council's notice, as a file: intake_calendar_file.h) into intake's
 * working-day calendar with one CalendarSet of every day of that year, so
 * that the year is exactly what the file says (days it does not name follow
 * the weekday rule; an exception loaded before and not in the file goes).
 * A file with any fault is refused whole and nothing is sent. */
#include "intake_calendar_file.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sf_dates.h"
#include "sifang/v1/intake.pb-c.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_OK 0
#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_TRANSPORT 3

static const char usage_text[] =
    "usage: sifang-intake-calendar [--check] FILE\n"
    "\n"
    "Loads a year's holiday arrangement (国务院办公厅关于 YYYY 年部分节假日安排的通知)\n"
    "from FILE into intake's working-day calendar: every day of the year in one\n"
    "CalendarSet. The file is checked whole first; any fault refuses all of it.\n"
    "  --check   check the file and print the year; send nothing\n"
    "\n"
    "Acts as the admin principal \"intake-calendar\". Exit status: 0 loaded (or\n"
    "checked); 1 the file or intake refused it; 2 usage; 3 intake did not answer.\n"
    "A file whose status is \"pattern\" (not yet checked against the notice) is\n"
    "loaded with a warning.";

static const sf_setting_t settings[] = {
    { "SIFANG_INTAKE_ENDPOINT", "tcp://127.0.0.1:7111", "where intake answers requests" },
    { "SIFANG_INTAKE_PUBLIC_KEY_FILE", NULL, "intake's CURVE public key" },
    { "SIFANG_CURVE_CLIENT_KEY_FILE", NULL, "this tool's CURVE keypair (with CURVE)" },
    { NULL, NULL, NULL },
};

static char *
read_all(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    size_t size = 0, capacity = 65536;
    char *text = malloc(capacity + 1);
    size_t got;
    while (text && (got = fread(text + size, 1, capacity - size, in)) > 0) {
        size += got;
        if (size == capacity) {
            char *grown = capacity < (1u << 22) ? realloc(text, 2 * capacity + 1) : NULL;
            if (!grown) {
                free(text);
                text = NULL;
                break;
            }
            text = grown;
            capacity *= 2;
        }
    }
    fclose(in);
    if (text)
        text[size] = 0;
    if (text && strlen(text) != size) {   /* a NUL inside: not a text file */
        free(text);
        return NULL;
    }
    return text;
}

int
main(int argc, char **argv)
{
    bool check_only = false;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            puts(usage_text);
            sf_config_help(stdout, "", settings);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--check") == 0)
            check_only = true;
        else if (!path && argv[i][0] != '-')
            path = argv[i];
        else {
            fprintf(stderr, "%s\n", usage_text);
            return EXIT_USAGE;
        }
    }
    if (!path) {
        fprintf(stderr, "%s\n", usage_text);
        return EXIT_USAGE;
    }
    char *text = read_all(path);
    if (!text) {
        fprintf(stderr, "%s: cannot read it as text\n", path);
        return EXIT_USAGE;
    }
    static intake_calendar_file_t file;
    bool valid = intake_calendar_file_parse(text, &file);
    free(text);
    if (!valid) {
        fprintf(stderr, "%s: refused whole, nothing loaded:\n%s", path, file.errors);
        return EXIT_REFUSED;
    }
    int holidays = 0, workdays = 0;
    for (size_t i = 0; i < file.n_entries; i++)
        file.entries[i].working ? workdays++ : holidays++;
    if (file.pattern)
        fprintf(stderr, "warning: %s is the statutory pattern, not yet checked against the State Council's"
                " notice for %d (status pattern)\n", path, file.year);
    if (check_only) {
        printf("%s: %d, %d holidays, %d adjusted working days, status %s\n", path, file.year, holidays, workdays,
               file.pattern ? "pattern" : "notice");
        return EXIT_OK;
    }
    char error[512];
    sf_client_t *intake = sf_client_for_service("intake", error, sizeof error);
    if (!intake) {
        fprintf(stderr, "%s\n", error);
        return EXIT_USAGE;
    }
    sf_client_set_principal(intake, "intake-calendar", "admin", "");
    int changed = 0, working_days = 0;
    char message[512];
    sf_status_t answer = intake_calendar_file_send(intake, &file, &changed, &working_days, message, sizeof message);
    int status = EXIT_OK;
    if (answer == SF_OK)
        printf("%s: %d loaded: %d days changed, %d working days in the year (%d holidays, %d adjusted working"
               " days)\n", path, file.year, changed, working_days, holidays, workdays);
    else {
        fprintf(stderr, "%s: intake answered %s: %s\n", path, sf_status_name(answer), message);
        status = answer == SF_UNAVAILABLE || answer == SF_DEADLINE_EXCEEDED ? EXIT_TRANSPORT : EXIT_REFUSED;
    }
    sf_client_destroy(&intake);
    return status;
}
