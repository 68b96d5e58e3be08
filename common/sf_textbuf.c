/* A text that grows as it is appended to (see sf_textbuf.h). */
#include "sf_textbuf.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
sf_textbuf_init(sf_textbuf_t *self)
{
    memset(self, 0, sizeof *self);
}

/* Room for more bytes and the NUL after them; doubling keeps appends
 * amortised constant. */
static bool
reserve(sf_textbuf_t *self, size_t more)
{
    if (self->failed)
        return false;
    if (self->length + more + 1 <= self->capacity)
        return true;
    size_t capacity = self->capacity ? self->capacity : 1024;
    while (capacity < self->length + more + 1)
        capacity *= 2;
    char *grown = realloc(self->text, capacity);
    if (!grown) {
        self->failed = true;
        return false;
    }
    self->text = grown;
    self->capacity = capacity;
    return true;
}

void
sf_textbuf_append(sf_textbuf_t *self, const char *data, size_t length)
{
    if (!reserve(self, length))
        return;
    memcpy(self->text + self->length, data, length);
    self->length += length;
    self->text[self->length] = 0;
}

void
sf_textbuf_put(sf_textbuf_t *self, const char *text)
{
    if (text)
        sf_textbuf_append(self, text, strlen(text));
}

void
sf_textbuf_printf(sf_textbuf_t *self, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char small[256];
    int needed = vsnprintf(small, sizeof small, format, args);
    va_end(args);
    if (needed < 0) {
        self->failed = true;
        return;
    }
    if ((size_t) needed < sizeof small) {
        sf_textbuf_append(self, small, (size_t) needed);
        return;
    }
    if (!reserve(self, (size_t) needed))
        return;
    va_start(args, format);
    vsnprintf(self->text + self->length, (size_t) needed + 1, format, args);
    va_end(args);
    self->length += (size_t) needed;
}

void
sf_textbuf_put_markup(sf_textbuf_t *self, const char *text)
{
    const char *run = text ? text : "";
    for (const char *p = run; *p; p++) {
        const char *entity = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;"
                           : *p == '"' ? "&quot;" : *p == '\'' ? "&#39;" : NULL;
        bool control = (unsigned char) *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r';
        if (!entity && !control)
            continue;
        sf_textbuf_append(self, run, (size_t) (p - run));
        sf_textbuf_put(self, entity);   /* NULL for a control: left out */
        run = p + 1;
    }
    sf_textbuf_put(self, run);
}

char *
sf_textbuf_take(sf_textbuf_t *self, size_t *length_p)
{
    if (self->failed || !reserve(self, 0)) {
        sf_textbuf_release(self);
        return NULL;
    }
    self->text[self->length] = 0;
    char *taken = self->text;
    if (length_p)
        *length_p = self->length;
    memset(self, 0, sizeof *self);
    return taken;
}

void
sf_textbuf_release(sf_textbuf_t *self)
{
    free(self->text);
    memset(self, 0, sizeof *self);
}
