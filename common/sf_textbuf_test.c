/* The growing text: appends of every size, printf past its small buffer,
 * markup escaped for XML and HTML alike, and hand-over. */
#include "sf_textbuf.h"
#include "sf_test.h"
#include <stdlib.h>
#include <string.h>

int
main(void)
{
    sf_textbuf_t text;
    sf_textbuf_init(&text);
    char *empty = sf_textbuf_take(&text, NULL);
    SF_CHECK(empty && strcmp(empty, "") == 0);
    free(empty);

    sf_textbuf_put(&text, "四方");
    sf_textbuf_put(&text, NULL);
    sf_textbuf_append(&text, "区 and more", 3);
    sf_textbuf_printf(&text, " %d/%s", 370205, "zone");
    size_t length = 0;
    char *taken = sf_textbuf_take(&text, &length);
    SF_CHECK_EQ_STR(taken, "四方区 370205/zone");
    SF_CHECK_EQ_INT(length, strlen("四方区 370205/zone"));
    SF_CHECK(text.text == NULL && text.length == 0);
    free(taken);

    /* Longer than printf's first try and than the first allocation. */
    char wide[5000];
    memset(wide, 'x', sizeof wide - 1);
    wide[sizeof wide - 1] = 0;
    sf_textbuf_printf(&text, "<%s>", wide);
    SF_CHECK_EQ_INT(text.length, sizeof wide + 1);
    SF_CHECK(text.text[0] == '<' && text.text[text.length - 1] == '>' && text.text[text.length] == 0);
    sf_textbuf_release(&text);

    sf_textbuf_put_markup(&text, "a<b>&\"c\" 'd' 社区");
    sf_textbuf_put_markup(&text, NULL);
    sf_textbuf_put_markup(&text, "\x01\tx\x1f\n");
    SF_CHECK_EQ_STR(text.text, "a&lt;b&gt;&amp;&quot;c&quot; &#39;d&#39; 社区\tx\n");
    sf_textbuf_release(&text);

    /* Once failed, appends do nothing and take answers NULL. */
    sf_textbuf_put(&text, "kept?");
    text.failed = true;
    sf_textbuf_put(&text, " no");
    SF_CHECK_EQ_STR(text.text, "kept?");
    SF_CHECK(sf_textbuf_take(&text, NULL) == NULL);
    SF_CHECK(text.text == NULL);
    return sf_test_done();
}
