/* sifang-employment-import: sends a JSON Lines file of people, placements and
 * vacancies to employment's ImportBatch and prints the lines that failed. */
#include "import_client.h"
#include "sf_client.h"
#include "sf_config.h"
#include "sf_status.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_TRANSPORT = 3 };

#define MAX_FILE_BYTES (1u << 30)

static const char usage_text[] =
    "usage: sifang-employment-import [options] FILE\n"
    "\n"
    "Imports FILE (JSON Lines, one ExchangeRecord a line; - for stdin) into the\n"
    "employment service with ImportBatch, in chunks at line boundaries. Each\n"
    "record is applied wholly or not at all; a record already imported with the\n"
    "same content changes nothing, so running the same file again is safe.\n"
    "Failed lines are printed on stdout as JSON Lines (ImportLineResult, with\n"
    "FILE's line numbers); a summary goes to stderr.\n"
    "\n"
    "  --system S       the external system of lines that name none\n"
    "  --all            print every line's result, not only failures\n"
    "  --chunk-bytes N  text per request (default 900000; the service takes at\n"
    "                   most SIFANG_EMPLOYMENT_IMPORT_MAX_BYTES)\n"
    "  --chunk-lines N  lines per request (default 5000)\n"
    "  --window N       requests in flight (default 3)\n"
    "  --timeout MS     wait per request before resending it (default 60000)\n"
    "  --principal ID:ROLE[:SCOPE]  act as this principal (without CURVE)\n"
    "  --help           this text\n"
    "\n"
    "exit status: 0 every line applied; 1 some lines failed; 2 usage or input;\n"
    "3 the service did not answer or refused a whole chunk.";

static const sf_setting_t settings[] = {
    { "SIFANG_EMPLOYMENT_ENDPOINT", "tcp://127.0.0.1:7121", "where employment answers requests" },
    { "SIFANG_EMPLOYMENT_PUBLIC_KEY_FILE", NULL, "employment's CURVE public key (enables CURVE)" },
    { "SIFANG_CURVE_CLIENT_KEY_FILE", NULL, "this client's CURVE keypair (with CURVE)" },
    { NULL, NULL, NULL },
};

static char *
read_all(const char *path, size_t *length)
{
    FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!file)
        return NULL;
    size_t capacity = 1 << 16, size = 0;
    char *text = malloc(capacity);
    while (text) {
        if (size == capacity) {
            if (capacity >= MAX_FILE_BYTES) {
                free(text);
                text = NULL;
                break;
            }
            capacity *= 2;
            char *grown = realloc(text, capacity);
            if (!grown) {
                free(text);
                text = NULL;
                break;
            }
            text = grown;
        }
        size_t got = fread(text + size, 1, capacity - size, file);
        size += got;
        if (got == 0)
            break;
    }
    if (file != stdin)
        fclose(file);
    *length = size;
    return text;
}

static bool
number_arg(const char *text, long lo, long hi, long *out)
{
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (!end || *end || value < lo || value > hi)
        return false;
    *out = value;
    return true;
}

int
main(int argc, char **argv)
{
    emp_import_options_t options;
    emp_import_options_default(&options);
    options.results = stdout;
    const char *path = NULL, *principal = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        long value = 0;
        bool has_value = i + 1 < argc;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            sf_config_help(stdout, usage_text, settings);
            return EXIT_OK;
        } else if (strcmp(arg, "--all") == 0)
            options.print_all = true;
        else if (strcmp(arg, "--system") == 0 && has_value)
            options.system = argv[++i];
        else if (strcmp(arg, "--chunk-bytes") == 0 && has_value && number_arg(argv[i + 1], 1000, 64 << 20, &value)) {
            options.chunk_bytes = (size_t) value;
            i++;
        } else if (strcmp(arg, "--chunk-lines") == 0 && has_value && number_arg(argv[i + 1], 1, 100000, &value)) {
            options.chunk_lines = (int) value;
            i++;
        } else if (strcmp(arg, "--window") == 0 && has_value && number_arg(argv[i + 1], 1, 64, &value)) {
            options.window = (int) value;
            i++;
        } else if (strcmp(arg, "--timeout") == 0 && has_value && number_arg(argv[i + 1], 100, 3600000, &value)) {
            options.timeout_ms = (int) value;
            i++;
        } else if (strcmp(arg, "--principal") == 0 && has_value)
            principal = argv[++i];
        else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "sifang-employment-import: bad option %s (see --help)\n", arg);
            return EXIT_USAGE;
        } else if (!path)
            path = arg;
        else {
            fprintf(stderr, "sifang-employment-import: one FILE only (see --help)\n");
            return EXIT_USAGE;
        }
    }
    /* Only the failures are printed unless --all: ask only for them. */
    options.errors_only = !options.print_all;
    if (!path) {
        fprintf(stderr, "%s\n", usage_text);
        return EXIT_USAGE;
    }
    if (sodium_init() < 0)
        return EXIT_USAGE;
    size_t length = 0;
    char *text = read_all(path, &length);
    if (!text) {
        fprintf(stderr, "sifang-employment-import: cannot read %s\n", path);
        return EXIT_USAGE;
    }
    char error[256];
    sf_client_t *client = sf_client_for_service("employment", error, sizeof error);
    if (!client) {
        fprintf(stderr, "sifang-employment-import: %s\n", error);
        free(text);
        return EXIT_USAGE;
    }
    if (principal) {
        char id[64] = "", role[32] = "", scope[64] = "";
        if (sscanf(principal, "%63[^:]:%31[^:]:%63s", id, role, scope) < 2) {
            fprintf(stderr, "sifang-employment-import: --principal takes ID:ROLE[:SCOPE]\n");
            sf_client_destroy(&client);
            free(text);
            return EXIT_USAGE;
        }
        sf_client_set_principal(client, id, role, scope);
    }
    int64_t started = sf_clock_ms();
    emp_import_totals_t totals;
    int rc = emp_import_text(client, text, length, &options, &totals);
    double seconds = (double) (sf_clock_ms() - started) / 1000.0;
    fprintf(stderr,
            "sifang-employment-import: %ld lines: %ld created, %ld updated, %ld unchanged, %ld failed"
            " (%ld requests, %.1f s, %.0f lines/s)\n",
            totals.lines, totals.created, totals.updated, totals.unchanged, totals.failed, totals.chunks, seconds,
            seconds > 0 ? (double) totals.lines / seconds : 0.0);
    if (rc != 0)
        fprintf(stderr, "sifang-employment-import: stopped: %s\n", totals.message);
    sf_client_destroy(&client);
    free(text);
    if (rc != 0)
        return EXIT_TRANSPORT;
    return totals.failed ? EXIT_FAILED : EXIT_OK;
}
