/* sifang-keygen: creates the CURVE keys of services and clients in one
 * directory and writes the allowlist that services read, so that an
 * operations team sets up a CURVE deployment with one command. */
#include "sf_curve.h"
#include "sf_log.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: sifang-keygen [--force] [--replace] [--allowlist FILE] DIR ENTRY...\n"
    "       sifang-keygen --check FILE\n"
    "\n"
    "Creates CURVE keys for Sifang services and clients, and the allowlist of\n"
    "client keys that a service admits.\n"
    "\n"
    "ENTRY is NAME, NAME:ROLE or NAME:ROLE:SCOPE.\n"
    "  Every NAME gets DIR/NAME.key (its keypair, mode 0600) and DIR/NAME.pub\n"
    "  (its public key), unless DIR/NAME.key exists: existing keys are kept, so\n"
    "  running the command again is safe (--force makes new ones).\n"
    "  Every ENTRY with a ROLE is a client the services admit: it goes into the\n"
    "  allowlist DIR/allowlist (or FILE) with NAME as its principal id and its\n"
    "  current key. Clients already in that file stay unless named again (then\n"
    "  they get the new role, scope and key); --replace writes the file with the\n"
    "  entries of this command only. To remove one client, edit the file (one\n"
    "  line per client) or use --replace.\n"
    "  NAME: 1-63 characters of A-Z a-z 0-9 . _ @ -\n"
    "  ROLE: " SF_ROLES "\n"
    "  SCOPE: the org unit code the client may see (omit for the whole district)\n"
    "\n"
    "Example, every service admitting the same clients:\n"
    "  sifang-keygen /etc/sifang grid intake employment volunteer evaluation \\\n"
    "      gateway:gateway cli-ops:admin evaluation:service intake:service \\\n"
    "      dept-civil-affairs:department:3702 street-xingdian:street:370203\n"
    "Then run each service with\n"
    "  SIFANG_CURVE_SECRET_KEY_FILE=/etc/sifang/grid.key\n"
    "  SIFANG_CURVE_ALLOWLIST=/etc/sifang/allowlist\n"
    "and each client with its key and the .pub of every service it calls:\n"
    "  SIFANG_CURVE_CLIENT_KEY_FILE=/etc/sifang/gateway.key\n"
    "  SIFANG_GRID_PUBLIC_KEY_FILE=/etc/sifang/grid.pub  (SIFANG_INTAKE_..., ...)\n"
    "A service that calls other services uses its own .key as its client key.\n"
    "\n"
    "Later, one more client for every service (restart the services after):\n"
    "  sifang-keygen /etc/sifang dept-labour:department:3705\n"
    "A stricter allowlist for one service (existing keys are reused):\n"
    "  sifang-keygen --replace --allowlist /etc/sifang/grid.allowlist /etc/sifang \\\n"
    "      gateway:gateway evaluation:service\n"
    "\n"
    "--check FILE   validates an allowlist (errors name the line) and lists it.\n"
    "\n"
    "Hand out .pub files and allowlists freely; a .key file stays on the host\n"
    "that uses it, readable only by the user the daemon runs as (chown it if\n"
    "that is not you).\n";

typedef struct {
    char name[64];
    char role[32];
    char scope[64];
} entry_t;

/* Splits NAME[:ROLE[:SCOPE]] and checks each part as the allowlist will. */
static int
parse_entry(entry_t *entry, const char *text)
{
    memset(entry, 0, sizeof *entry);
    const char *colon = strchr(text, ':');
    size_t name_len = colon ? (size_t) (colon - text) : strlen(text);
    if (name_len == 0 || name_len >= sizeof entry->name || text[0] == '.' || text[0] == '-') {
        fprintf(stderr, "sifang-keygen: %s: NAME must be 1-63 characters and not start with '.' or '-'\n", text);
        return -1;
    }
    memcpy(entry->name, text, name_len);
    if (colon) {
        const char *role = colon + 1;
        const char *second = strchr(role, ':');
        size_t role_len = second ? (size_t) (second - role) : strlen(role);
        if (role_len >= sizeof entry->role || (second && strlen(second + 1) >= sizeof entry->scope)) {
            fprintf(stderr, "sifang-keygen: %s: ROLE or SCOPE too long\n", text);
            return -1;
        }
        memcpy(entry->role, role, role_len);
        if (second)
            strcpy(entry->scope, second + 1);
    }
    /* Checked with a stand-in key (32 zero bytes) before any file is written,
     * so a typo in the last entry does not leave half a deployment behind. */
    sf_client_key_t key;
    memset(&key, 0, sizeof key);
    memset(key.public_key, '0', 40);
    strcpy(key.principal_id, entry->name);
    strcpy(key.role, *entry->role ? entry->role : "viewer");
    strcpy(key.scope, entry->scope);
    char error[200];
    if (sf_client_key_check(&key, error, sizeof error) != 0) {
        fprintf(stderr, "sifang-keygen: %s: %s\n", text, error);
        return -1;
    }
    return 0;
}

static int
check_allowlist(const char *path)
{
    char error[512];
    sf_allowlist_t *allowlist = sf_allowlist_load(path, error, sizeof error);
    if (!allowlist) {
        fprintf(stderr, "sifang-keygen: %s\n", error);
        return 1;
    }
    for (size_t i = 0; i < sf_allowlist_size(allowlist); i++) {
        const sf_client_key_t *key = sf_allowlist_at(allowlist, i);
        printf("%-32s %-10s %-12s %s\n", key->principal_id, key->role, *key->scope ? key->scope : "-",
               key->public_key);
    }
    printf("%s: %zu client key(s), valid\n", path, sf_allowlist_size(allowlist));
    sf_allowlist_destroy(&allowlist);
    return 0;
}

/* Makes sure DIR/NAME.key and DIR/NAME.pub exist and agree; returns the
 * public key in keypair (the secret is wiped before returning). */
static int
ensure_keys(const char *dir, const char *name, bool force, sf_keypair_t *keypair)
{
    char key_path[4200], pub_path[4200], error[512];
    snprintf(key_path, sizeof key_path, "%s/%s.key", dir, name);
    snprintf(pub_path, sizeof pub_path, "%s/%s.pub", dir, name);
    int rc = -1;
    const char *what;
    if (!force && access(key_path, F_OK) == 0) {
        if (sf_keypair_load(keypair, key_path, true, error, sizeof error) != 0) {
            fprintf(stderr, "sifang-keygen: %s\n  (fix the file, or replace it with --force)\n", error);
            goto cleanup;
        }
        what = "kept";
        sf_keypair_t published;
        if (sf_keypair_load(&published, pub_path, false, error, sizeof error) != 0
            || strcmp(published.public_key, keypair->public_key) != 0) {
            if (sf_keypair_save(keypair, pub_path, false, error, sizeof error) != 0) {
                fprintf(stderr, "sifang-keygen: %s\n", error);
                goto cleanup;
            }
            printf("         %s was missing or did not match its .key: rewritten\n", pub_path);
        }
    } else {
        if (sf_keypair_generate(keypair) != 0) {
            fprintf(stderr, "sifang-keygen: this libzmq cannot make CURVE keys\n");
            goto cleanup;
        }
        if (sf_keypair_save(keypair, key_path, true, error, sizeof error) != 0
            || sf_keypair_save(keypair, pub_path, false, error, sizeof error) != 0) {
            fprintf(stderr, "sifang-keygen: %s\n", error);
            goto cleanup;
        }
        what = "created";
    }
    printf("%-8s %s  %s  %s\n", what, key_path, pub_path, keypair->public_key);
    rc = 0;
cleanup:
    explicit_bzero(keypair->secret_key, sizeof keypair->secret_key);
    return rc;
}

/* The allowlist to write: the clients already in the file (unless
 * replacing, or named again by this command), then this command's clients. */
static sf_allowlist_t *
merged_allowlist(const sf_allowlist_t *existing, const sf_allowlist_t *named)
{
    sf_allowlist_t *merged = sf_allowlist_new();
    if (!merged)
        return NULL;
    for (size_t i = 0; i < sf_allowlist_size(existing); i++) {
        const sf_client_key_t *old = sf_allowlist_at(existing, i);
        if (sf_allowlist_find_principal(named, old->principal_id) || sf_allowlist_find_key(named, old->public_key))
            continue;
        if (sf_allowlist_add(merged, old) != 0) {
            fprintf(stderr, "sifang-keygen: cannot keep %s from the allowlist\n", old->principal_id);
            sf_allowlist_destroy(&merged);
            return NULL;
        }
    }
    for (size_t i = 0; i < sf_allowlist_size(named); i++)
        if (sf_allowlist_add(merged, sf_allowlist_at(named, i)) != 0) {
            fprintf(stderr, "sifang-keygen: %s conflicts with the allowlist (same key, other name?)\n",
                    sf_allowlist_at(named, i)->principal_id);
            sf_allowlist_destroy(&merged);
            return NULL;
        }
    return merged;
}

int
main(int argc, char **argv)
{
    sf_log_init("sifang-keygen");
    bool force = false, replace = false;
    const char *allowlist_path = NULL;
    int at = 1;
    for (; at < argc && argv[at][0] == '-'; at++) {
        if (strcmp(argv[at], "--help") == 0 || strcmp(argv[at], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(argv[at], "--check") == 0 && at + 2 == argc) {
            return check_allowlist(argv[at + 1]);
        } else if (strcmp(argv[at], "--force") == 0) {
            force = true;
        } else if (strcmp(argv[at], "--replace") == 0) {
            replace = true;
        } else if (strcmp(argv[at], "--allowlist") == 0 && at + 1 < argc) {
            allowlist_path = argv[++at];
        } else {
            fprintf(stderr, "sifang-keygen: unknown option or missing argument: %s\n\n%s", argv[at], usage);
            return 2;
        }
    }
    if (argc - at < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *dir = argv[at++];
    int count = argc - at;
    entry_t *entries = calloc((size_t) count, sizeof *entries);
    sf_allowlist_t *named = sf_allowlist_new();
    sf_allowlist_t *existing = NULL;
    sf_allowlist_t *merged = NULL;
    char default_path[4200], error[512];
    int rc = 1;
    if (!entries || !named) {
        fprintf(stderr, "sifang-keygen: out of memory\n");
        goto cleanup;
    }

    /* Everything is checked before the first file is written. */
    bool any_client = false;
    for (int i = 0; i < count; i++) {
        if (parse_entry(&entries[i], argv[at + i]) != 0)
            goto cleanup;
        for (int j = 0; j < i; j++)
            if (strcmp(entries[j].name, entries[i].name) == 0 && *entries[j].role && *entries[i].role
                && (strcmp(entries[j].role, entries[i].role) != 0 || strcmp(entries[j].scope, entries[i].scope) != 0)) {
                fprintf(stderr, "sifang-keygen: %s is given two roles or scopes; a principal has one\n",
                        entries[i].name);
                goto cleanup;
            }
        any_client = any_client || *entries[i].role;
    }
    if ((allowlist_path || replace) && !any_client) {
        fprintf(stderr, "sifang-keygen: --allowlist or --replace given but no ENTRY has a ROLE: nothing to admit\n");
        goto cleanup;
    }
    if (!allowlist_path) {
        snprintf(default_path, sizeof default_path, "%s/allowlist", dir);
        allowlist_path = default_path;
    }
    if (any_client && !replace && access(allowlist_path, F_OK) == 0) {
        existing = sf_allowlist_load(allowlist_path, error, sizeof error);
        if (!existing) {
            fprintf(stderr, "sifang-keygen: %s\n  (fix the file, or rewrite it with --replace)\n", error);
            goto cleanup;
        }
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "sifang-keygen: %s: %s\n", dir, strerror(errno));
        goto cleanup;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "sifang-keygen: %s is not a directory\n", dir);
        goto cleanup;
    }

    for (int i = 0; i < count; i++) {
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(entries[j].name, entries[i].name) == 0;
        sf_keypair_t keypair;
        memset(&keypair, 0, sizeof keypair);
        if (!seen && ensure_keys(dir, entries[i].name, force, &keypair) != 0)
            goto cleanup;
        if (!*entries[i].role)
            continue;
        if (seen) {
            /* The key was made or read for the first mention of this name. */
            char pub_path[4200];
            snprintf(pub_path, sizeof pub_path, "%s/%s.pub", dir, entries[i].name);
            if (sf_keypair_load(&keypair, pub_path, false, error, sizeof error) != 0) {
                fprintf(stderr, "sifang-keygen: %s\n", error);
                goto cleanup;
            }
        }
        sf_client_key_t key;
        memset(&key, 0, sizeof key);
        memcpy(key.public_key, keypair.public_key, sizeof key.public_key);
        strcpy(key.principal_id, entries[i].name);
        strcpy(key.role, entries[i].role);
        strcpy(key.scope, entries[i].scope);
        if (!sf_allowlist_find_principal(named, key.principal_id) && sf_allowlist_add(named, &key) != 0) {
            fprintf(stderr, "sifang-keygen: cannot add %s to the allowlist\n", entries[i].name);
            goto cleanup;
        }
    }

    if (any_client) {
        merged = merged_allowlist(existing, named);
        if (!merged)
            goto cleanup;
        if (sf_allowlist_save(merged, allowlist_path, error, sizeof error) != 0) {
            fprintf(stderr, "sifang-keygen: %s\n", error);
            goto cleanup;
        }
        size_t kept = sf_allowlist_size(merged) - sf_allowlist_size(named);
        printf("wrote    %s  (%zu client key(s): %zu from this command, %zu kept from the file)\n",
               allowlist_path, sf_allowlist_size(merged), sf_allowlist_size(named), kept);
    }
    rc = 0;
cleanup:
    sf_allowlist_destroy(&merged);
    sf_allowlist_destroy(&existing);
    sf_allowlist_destroy(&named);
    free(entries);
    return rc;
}
