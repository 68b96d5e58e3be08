/* Text rules and the call checks built on them (see sf_text.h). */
#include "sf_text.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t
sf_text_length(const char *text)
{
    size_t length = 0;
    for (const unsigned char *c = (const unsigned char *) text; c && *c; c++)
        if ((*c & 0xC0) != 0x80)
            length++;
    return length;
}

bool
sf_text_blank(const char *text)
{
    for (const char *c = text; c && *c; c++)
        if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r')
            return false;
    return true;
}

bool
sf_text_utf8_valid(const char *text)
{
    const unsigned char *c = (const unsigned char *) (text ? text : "");
    while (*c) {
        int extra;
        uint32_t code;
        if (*c < 0x80) {
            c++;
            continue;
        } else if ((*c & 0xE0) == 0xC0) {
            extra = 1;
            code = *c & 0x1F;
        } else if ((*c & 0xF0) == 0xE0) {
            extra = 2;
            code = *c & 0x0F;
        } else if ((*c & 0xF8) == 0xF0) {
            extra = 3;
            code = *c & 0x07;
        } else
            return false;
        c++;
        for (int i = 0; i < extra; i++, c++) {
            if ((*c & 0xC0) != 0x80)   /* also stops at the terminating zero */
                return false;
            code = (code << 6) | (*c & 0x3F);
        }
        if ((extra == 1 && code < 0x80) || (extra == 2 && code < 0x800)
            || (extra == 3 && (code < 0x10000 || code > 0x10FFFF))
            || (code >= 0xD800 && code <= 0xDFFF))
            return false;
    }
    return true;
}

bool
sf_text_has_control(const char *text, bool note)
{
    for (const unsigned char *c = (const unsigned char *) text; c && *c; c++)
        if ((*c < 0x20 || *c == 0x7F) && !(note && (*c == '\n' || *c == '\r' || *c == '\t')))
            return true;
    return false;
}

/* How many bytes the character at c takes: its sequence's length when the
 * lead byte is followed by that many continuation bytes, 0 when the text
 * ends inside the sequence, else 1 (a stray or broken byte is a character
 * of its own, so a cut may fall after it). */
static size_t
character_bytes(const unsigned char *c)
{
    size_t bytes = *c < 0x80 ? 1 : (*c & 0xE0) == 0xC0 ? 2 : (*c & 0xF0) == 0xE0 ? 3 : (*c & 0xF8) == 0xF0 ? 4 : 1;
    for (size_t i = 1; i < bytes; i++)
        if ((c[i] & 0xC0) != 0x80)
            return c[i] == '\0' ? 0 : 1;
    return bytes;
}

/* The boundary at or before max_bytes, walking character by character.
 * cut_tail: the text itself was cut (vsnprintf's output), so a sequence
 * that the end of the text interrupts is dropped, not kept as broken. */
static size_t
boundary(const char *text, size_t max_bytes, bool cut_tail)
{
    const unsigned char *c = (const unsigned char *) text;
    size_t at = 0;
    while (at < max_bytes && c[at]) {
        size_t bytes = character_bytes(c + at);
        if (bytes == 0) {
            if (cut_tail)
                break;
            bytes = 1;
        }
        if (at + bytes > max_bytes)
            break;
        at += bytes;
    }
    return at;
}

size_t
sf_utf8_prefix(const char *text, size_t max_bytes)
{
    if (!text)
        return 0;
    size_t length = max_bytes < SIZE_MAX ? strnlen(text, max_bytes + 1) : strlen(text);
    return length <= max_bytes ? length : boundary(text, max_bytes, false);
}

char *
sf_utf8_cut(char *text, size_t max_bytes)
{
    if (text)
        text[sf_utf8_prefix(text, max_bytes)] = '\0';
    return text;
}

int
sf_text_vformat(char *buffer, size_t size, const char *format, va_list args)
{
    int length = vsnprintf(buffer, size, format, args);
    if (size == 0)
        return length;
    if (length < 0) {
        buffer[0] = '\0';
        return length;
    }
    if ((size_t) length >= size) {
        static const char ellipsis[] = "\xe2\x80\xa6";   /* U+2026 */
        size_t room = size - 1;
        if (room >= sizeof ellipsis - 1 + 1) {   /* at least one byte of text beside it */
            size_t kept = boundary(buffer, room - (sizeof ellipsis - 1), true);
            memcpy(buffer + kept, ellipsis, sizeof ellipsis);
        } else
            buffer[boundary(buffer, room, true)] = '\0';
    }
    return length;
}

int
sf_text_format(char *buffer, size_t size, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int length = sf_text_vformat(buffer, size, format, args);
    va_end(args);
    return length;
}

size_t
sf_utf8_prefix_chars(const char *text, size_t max_chars)
{
    const unsigned char *c = (const unsigned char *) text;
    size_t at = 0;
    for (size_t characters = 0; c && c[at] && characters < max_chars; characters++) {
        size_t bytes = character_bytes(c + at);
        at += bytes ? bytes : 1;   /* a sequence the end interrupts: one byte at a time */
    }
    return at;
}

const char *
sf_text_problem(const char *value, size_t max, bool required, bool note, char *buffer, size_t size)
{
    value = value ? value : "";
    if (required && sf_text_blank(value))
        return "is required";
    if (!sf_text_utf8_valid(value))
        return "must be valid UTF-8";
    if (sf_text_length(value) > max) {
        snprintf(buffer, size, "must be at most %zu characters", max);
        return buffer;
    }
    if (sf_text_has_control(value, note))
        return note ? "must not hold control characters" : "must be one line without control characters";
    return NULL;
}

static bool
check(sf_call_t *call, const char *field, const char *value, size_t max, bool required, bool note)
{
    char buffer[64];
    const char *problem = sf_text_problem(value, max, required, note, buffer, sizeof buffer);
    if (problem)
        sf_call_violation(call, field, "%s", problem);
    return problem == NULL;
}

bool
sf_call_check_text(sf_call_t *call, const char *field, const char *value, size_t max, bool required)
{
    return check(call, field, value, max, required, false);
}

bool
sf_call_check_note(sf_call_t *call, const char *field, const char *value, size_t max, bool required)
{
    return check(call, field, value, max, required, true);
}

sf_status_t
sf_call_refuse(sf_call_t *call, sf_status_t status, const char *field, const char *format, ...)
{
    char reason[512];
    va_list args;
    va_start(args, format);
    sf_text_vformat(reason, sizeof reason, format, args);
    va_end(args);
    /* The status first: a violation alone would make it INVALID_ARGUMENT. */
    sf_call_fail(call, status, "%s: %s", field, reason);
    sf_call_violation(call, field, "%s", reason);
    return status;
}
