/* A NUL-terminated text that grows as it is appended to: replies, pages and
 * documents built piece by piece (the gateway's metrics and replies,
 * Open311's XML, evaluation's printed report). On out of memory it is marked
 * failed and further appends do nothing, so a writer appends without
 * checking and looks once, at sf_textbuf_take. */
#ifndef SF_TEXTBUF_H
#define SF_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *text;         /* NUL-terminated once anything is appended */
    size_t length;
    size_t capacity;
    bool failed;
} sf_textbuf_t;

/* An empty text; a zeroed sf_textbuf_t is one too. */
void sf_textbuf_init(sf_textbuf_t *self);
void sf_textbuf_append(sf_textbuf_t *self, const char *data, size_t length);
/* A NUL-terminated string; NULL appends nothing. */
void sf_textbuf_put(sf_textbuf_t *self, const char *text);
void sf_textbuf_printf(sf_textbuf_t *self, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* Text for XML or HTML, its markup characters as entities (& < > " ' as
 * &amp; &lt; &gt; &quot; &#39;, which both languages read) and the control
 * characters XML 1.0 cannot hold left out (tab, LF and CR stay); NULL is "". */
void sf_textbuf_put_markup(sf_textbuf_t *self, const char *text);
/* Hands the text over (the caller frees it; "" when nothing was appended)
 * and leaves self empty; NULL when an append failed (self released). */
char *sf_textbuf_take(sf_textbuf_t *self, size_t *length_p);
void sf_textbuf_release(sf_textbuf_t *self);

#endif
