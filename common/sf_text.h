/* The rules for text that people type into Sifang, the same in every
 * service: well-formed UTF-8, a length counted in characters (a name in
 * Chinese is as long as its characters, not its bytes), and one line
 * without control characters unless the field is a note. With the checks
 * that turn a broken rule into the call's field violation. */
#ifndef SF_TEXT_H
#define SF_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include "sf_server.h"

/* Characters (UTF-8 code points) in text; NULL is 0. */
size_t sf_text_length(const char *text);
/* NULL, empty, or only spaces, tabs and line breaks. */
bool sf_text_blank(const char *text);
/* Well-formed UTF-8: no stray or missing continuation bytes, overlongs or
 * surrogates, so that what is stored and sent back decodes everywhere. */
bool sf_text_utf8_valid(const char *text);
/* A control character (below 0x20, or DEL); a note admits tabs and line
 * breaks. */
bool sf_text_has_control(const char *text, bool note);

/* Shortening text. Never cut text with "%.Ns" or by writing it into a
 * fixed buffer: a byte count cuts a Chinese character in the middle, and
 * the broken sequence left at the end is refused by PostgreSQL ("invalid
 * byte sequence for encoding UTF8") and by every JSON reader. Cut with these
 * instead; in a format, "%.*s" with (int) sf_utf8_prefix(text, N). */

/* The byte length of the longest prefix of text that is at most max_bytes
 * long and ends on a character boundary: a multi-byte sequence is kept
 * whole or left out whole. A byte that starts no well-formed sequence
 * counts as one character, so invalid input is cut too, never past
 * max_bytes. NULL is 0. */
size_t sf_utf8_prefix(const char *text, size_t max_bytes);
/* Cuts text in place to sf_utf8_prefix(text, max_bytes) and returns it. */
char *sf_utf8_cut(char *text, size_t max_bytes);
/* vsnprintf into buffer; when the result does not fit, it is cut further to
 * a character boundary and ends with "…" (U+2026, 3 bytes) if size leaves
 * room for it, so a reader sees that something is missing. Returns what
 * vsnprintf returns (the length the whole text would have had). */
int sf_text_vformat(char *buffer, size_t size, const char *format, va_list args)
    __attribute__((format(printf, 3, 0)));
int sf_text_format(char *buffer, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* The byte length of the first max_chars characters of text (all of it
 * when it has fewer): the cut for a limit counted in characters, as the
 * text rules count them, where sf_utf8_prefix is for a buffer's bytes. A
 * byte that starts no well-formed sequence counts as one character, as in
 * sf_utf8_prefix. NULL is 0. */
size_t sf_utf8_prefix_chars(const char *text, size_t max_chars);

/* A unit code's ancestor (its zone, community ...) is cut with
 * sf_code_ancestor, in sf_codes.h with the other unit code rules. */

/* What is wrong with value as a field's text, in words ("is required",
 * "must be at most 80 characters", ...), or NULL when nothing is. buffer is
 * where a message with a number is written. */
const char *sf_text_problem(const char *value, size_t max, bool required, bool note, char *buffer, size_t size);

/* sf_text_problem as the call's violation of field; true when value
 * passes. A text is one line; a note may hold line breaks. */
bool sf_call_check_text(sf_call_t *call, const char *field, const char *value, size_t max, bool required);
bool sf_call_check_note(sf_call_t *call, const char *field, const char *value, size_t max, bool required);

/* Fails the call with status (not INVALID_ARGUMENT alone, as a violation
 * would make it) and a violation of field saying why, and returns status:
 * `return sf_call_refuse(call, SF_NOT_FOUND, "zone_code", "no zone %s", code);` */
sf_status_t sf_call_refuse(sf_call_t *call, sf_status_t status, const char *field, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

#endif
