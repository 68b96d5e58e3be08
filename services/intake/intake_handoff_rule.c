/* The hand-off rule (intake_handoff_rule.h): which instance handles a case. */
#include "intake_handoff_rule.h"
#include "sf_config.h"
#include "sifang/v1/intake.pb-c.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_MAX 64

/* The next entry of a list from *cursor on: its start and length; false
 * at the end. Entries are separated by blanks or commas. */
static bool
next_entry(const char **cursor, const char **entry, size_t *length)
{
    const char *at = *cursor + strspn(*cursor, " ,");
    if (!*at)
        return false;
    *entry = at;
    *length = strcspn(at, " ,");
    *cursor = at + *length;
    return true;
}

/* The default list of an instance: its department, or anywhere. */
static void
default_owns(char *owns, size_t size, const char *instance)
{
    const char *at = strchr(instance, '@');
    snprintf(owns, size, "%s", at ? at + 1 : "*");
}

/* Whether two lists share an entry; the entry in shared. */
static bool
lists_share(const char *a, const char *b, char *shared, size_t size)
{
    const char *x, *y;
    size_t x_length, y_length;
    for (const char *cursor_a = a; next_entry(&cursor_a, &x, &x_length);) {
        for (const char *cursor_b = b; next_entry(&cursor_b, &y, &y_length);) {
            if (x_length == y_length && strncmp(x, y, x_length) == 0) {
                snprintf(shared, size, "%.*s", (int) x_length, x);
                return true;
            }
        }
    }
    return false;
}

int
intake_handoff_rule_load(intake_handoff_rule_t *rule, const char *self, const char *self_owns,
                         const char *peers, char *error, size_t error_size)
{
    rule->n = 0;
    intake_handoff_owner_t *own = &rule->owners[rule->n++];
    snprintf(own->instance, sizeof own->instance, "%s", self);
    if (*self_owns)
        snprintf(own->owns, sizeof own->owns, "%s", self_owns);
    else
        default_owns(own->owns, sizeof own->owns, self);
    const char *at;
    size_t length;
    for (const char *cursor = peers; next_entry(&cursor, &at, &length);) {
        if (rule->n > INTAKE_HANDOFF_PEERS_MAX)
            break;
        intake_handoff_owner_t *peer = &rule->owners[rule->n++];
        snprintf(peer->instance, sizeof peer->instance, "%.*s", (int) length, at);
        char stem[128], variable[160], why[160];
        size_t i = 0;
        for (const char *p = "handoff_"; *p; p++)
            stem[i++] = *p;
        for (const char *p = peer->instance; *p && i + 1 < sizeof stem; p++)
            stem[i++] = *p == '@' ? '_' : *p;
        stem[i] = '\0';
        sf_service_env_name(variable, sizeof variable, stem, "OWNS");   /* named in errors */
        const char *value = sf_service_owns(stem);
        if (value && *value) {
            if (strlen(value) >= sizeof peer->owns) {
                snprintf(error, error_size, "%s is longer than %d bytes", variable, INTAKE_OWNS_MAX - 1);
                return -1;
            }
            if (!intake_owns_valid(value, why, sizeof why)) {
                snprintf(error, error_size, "%s: %s", variable, why);
                return -1;
            }
            snprintf(peer->owns, sizeof peer->owns, "%s", value);
        } else
            default_owns(peer->owns, sizeof peer->owns, peer->instance);
    }
    /* One owner per entry: otherwise two instances could each hand a case
     * to the other. */
    for (size_t a = 0; a < rule->n; a++)
        for (size_t b = a + 1; b < rule->n; b++) {
            char shared[ENTRY_MAX];
            if (lists_share(rule->owners[a].owns, rule->owners[b].owns, shared, sizeof shared)) {
                snprintf(error, error_size, "the hand-off rule gives \"%s\" to both %s and %s"
                         " (SIFANG_INTAKE_OWNS, SIFANG_HANDOFF_<INSTANCE>_OWNS)", shared,
                         rule->owners[a].instance, rule->owners[b].instance);
                return -1;
            }
        }
    return 0;
}

const char *
intake_handoff_rule_owner(sf_call_t *call, const intake_handoff_rule_t *rule, int routing,
                          const char *department, const char *unit_code, const char **why)
{
    if (routing == SIFANG__V1__CASE_ROUTING__CASE_ROUTING_DEPARTMENT && department && *department) {
        size_t wanted = strlen(department);
        for (size_t i = 0; i < rule->n; i++) {
            const char *at;
            size_t length;
            for (const char *cursor = rule->owners[i].owns; next_entry(&cursor, &at, &length);) {
                if (length == wanted && strncmp(at, department, length) == 0) {
                    if (why)
                        *why = sf_call_printf(call, "事项由 %s 部门办理，该部门的受理实例是 %s"
                                              " (the item is the %s department's, whose intake is %s)",
                                              department, rule->owners[i].instance, department,
                                              rule->owners[i].instance);
                    return rule->owners[i].instance;
                }
            }
        }
    }
    const intake_handoff_owner_t *best = NULL;
    const char *best_entry = "";
    size_t best_length = 0;
    for (size_t i = 0; i < rule->n; i++) {
        const char *at;
        size_t length;
        for (const char *cursor = rule->owners[i].owns; next_entry(&cursor, &at, &length);) {
            int kind = intake_owns_entry_kind(at, length);
            size_t matched = kind == 3 ? 0 : length;
            bool covers = kind == 3 || (kind == 2 && strncmp(unit_code, at, length) == 0);
            if (covers && (!best || matched > best_length)) {
                best = &rule->owners[i];
                best_entry = at;
                best_length = matched;
            }
        }
    }
    if (best && why) {
        const char *entry = best_length ? sf_call_printf(call, "%.*s", (int) best_length, best_entry) : "*";
        *why = sf_call_printf(call, "事项属所在地办理，地点 %s 归 %s（%s）受理"
                              " (a matter of its place: %s is under %s's \"%s\")", unit_code, best->instance,
                              entry, unit_code, best->instance, entry);
    }
    else if (why)
        *why = sf_call_printf(call, "移交规则中没有实例承办部门 %s 的事项或地点 %s"
                              " (no instance owns the department %s or the place %s)", department, unit_code,
                              department, unit_code);
    return best ? best->instance : NULL;
}
