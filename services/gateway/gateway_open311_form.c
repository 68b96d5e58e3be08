/* Open311's submissions are application/x-www-form-urlencoded: their
 * fields decoded, a %00 refused rather than read as the end of a value. */
#include "gateway_open311.h"
#include <stdlib.h>
#include <string.h>

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX and + in place; false on a broken escape. */
static bool
form_decode(char *text)
{
    char *out = text;
    for (char *in = text; *in; in++) {
        if (*in == '+')
            *out++ = ' ';
        else if (*in == '%') {
            int high = hex_value(in[1]), low = high >= 0 ? hex_value(in[2]) : -1;
            if (high < 0 || low < 0)
                return false;
            if (high == 0 && low == 0) {
                /* Not a NUL that would end the value unseen: the mark
                 * form_parse looks for (as the path's, gateway_http.c). */
                memcpy(out, GATEWAY_NUL_MARK, sizeof GATEWAY_NUL_MARK - 1);
                out += sizeof GATEWAY_NUL_MARK - 1;
            } else
                *out++ = (char) (high * 16 + low);
            in += 2;
        } else
            *out++ = *in;
    }
    *out = 0;
    return true;
}

/* Parses an application/x-www-form-urlencoded body; false when broken. */
bool
gateway_open311_form_parse(open311_form_t *form, const char *body, size_t size)
{
    memset(form, 0, sizeof *form);
    form->text = malloc(size + 1);
    if (!form->text)
        return false;
    memcpy(form->text, body, size);
    form->text[size] = 0;
    if (memchr(body, 0, size))
        return false;
    char *save = NULL;
    for (char *pair = strtok_r(form->text, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
        if (form->n == OPEN311_MAX_FORM_FIELDS)
            return false;
        char *equals = strchr(pair, '=');
        if (equals)
            *equals = 0;
        if (!form_decode(pair) || (equals && !form_decode(equals + 1)))
            return false;
        if (strstr(pair, GATEWAY_NUL_MARK) || (equals && strstr(equals + 1, GATEWAY_NUL_MARK))) {
            form->nul_field = strstr(pair, GATEWAY_NUL_MARK) ? "a field name" : pair;
            return false;
        }
        form->names[form->n] = pair;
        form->values[form->n++] = equals ? equals + 1 : pair + strlen(pair);
    }
    return true;
}

const char *
gateway_open311_form_get(const open311_form_t *form, const char *name)
{
    for (size_t i = 0; i < form->n; i++)
        if (strcmp(form->names[i], name) == 0)
            return form->values[i];
    return NULL;
}

void
gateway_open311_form_release(open311_form_t *form)
{
    free(form->text);
    memset(form, 0, sizeof *form);
}
