/* Open311's XML format: the same tree the JSON format answers, written as
 * the spec's documents (<services><service>..., <service_requests><request>
 * ..., <errors><error>...), UTF-8 with its declaration. */
#include "gateway_open311.h"
#include "sf_textbuf.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_element(sf_textbuf_t *xml, const char *name, const cJSON *value);

/* The element name of an array's members: its own name less the plural s. */
static void
member_name(const char *array_name, char *out, size_t size)
{
    size_t length = strlen(array_name);
    if (length > 1 && array_name[length - 1] == 's')
        length--;
    snprintf(out, size, "%.*s", (int) length, array_name);
}

static void
put_children(sf_textbuf_t *xml, const cJSON *value, const char *item)
{
    const cJSON *child;
    cJSON_ArrayForEach(child, value)
        put_element(xml, cJSON_IsArray(value) ? item : child->string, child);
}

static void
put_element(sf_textbuf_t *xml, const char *name, const cJSON *value)
{
    sf_textbuf_put(xml, "<");
    sf_textbuf_put(xml, name);
    if (cJSON_IsNull(value) || ((cJSON_IsArray(value) || cJSON_IsObject(value)) && !value->child)
        || (cJSON_IsString(value) && !*value->valuestring)) {
        sf_textbuf_put(xml, "/>");
        return;
    }
    sf_textbuf_put(xml, ">");
    if (cJSON_IsObject(value))
        put_children(xml, value, NULL);
    else if (cJSON_IsArray(value)) {
        char member[64];
        member_name(name, member, sizeof member);
        put_children(xml, value, member);
    } else if (cJSON_IsString(value))
        sf_textbuf_put_markup(xml, value->valuestring);
    else if (cJSON_IsBool(value))
        sf_textbuf_put(xml, cJSON_IsTrue(value) ? "true" : "false");
    else if (cJSON_IsNumber(value)) {
        char *number = cJSON_PrintUnformatted(value);
        if (number)
            sf_textbuf_put(xml, number);
        else
            xml->failed = true;
        free(number);
    }
    sf_textbuf_put(xml, "</");
    sf_textbuf_put(xml, name);
    sf_textbuf_put(xml, ">");
}

char *
gateway_open311_xml(const cJSON *body, const char *root, const char *item)
{
    sf_textbuf_t xml;
    sf_textbuf_init(&xml);
    sf_textbuf_put(&xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    sf_textbuf_put(&xml, root);
    sf_textbuf_put(&xml, ">");
    put_children(&xml, body, item);
    sf_textbuf_put(&xml, "</");
    sf_textbuf_put(&xml, root);
    sf_textbuf_put(&xml, ">\n");
    return sf_textbuf_take(&xml, NULL);
}
