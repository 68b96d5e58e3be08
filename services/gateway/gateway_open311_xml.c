/* Open311's XML format: the same tree the JSON format answers, written as
 * the spec's documents (<services><service>..., <service_requests><request>
 * ..., <errors><error>...), UTF-8 with its declaration. */
#include "gateway_open311.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *text;
    size_t length, size;
    bool failed;
} xml_text_t;

static void
put(xml_text_t *xml, const char *text, size_t length)
{
    if (xml->failed)
        return;
    if (xml->length + length + 1 > xml->size) {
        size_t size = xml->size ? xml->size : 1024;
        while (xml->length + length + 1 > size)
            size *= 2;
        char *grown = realloc(xml->text, size);
        if (!grown) {
            xml->failed = true;
            return;
        }
        xml->text = grown;
        xml->size = size;
    }
    memcpy(xml->text + xml->length, text, length);
    xml->length += length;
    xml->text[xml->length] = 0;
}

static void
put_text(xml_text_t *xml, const char *text)
{
    put(xml, text, strlen(text));
}

/* Character data, escaped; control characters XML 1.0 cannot hold are
 * left out. */
static void
put_escaped(xml_text_t *xml, const char *text)
{
    for (const char *c = text; *c; c++) {
        switch (*c) {
        case '&': put_text(xml, "&amp;"); break;
        case '<': put_text(xml, "&lt;"); break;
        case '>': put_text(xml, "&gt;"); break;
        case '"': put_text(xml, "&quot;"); break;
        case '\'': put_text(xml, "&apos;"); break;
        default:
            if ((unsigned char) *c >= 0x20 || *c == '\t' || *c == '\n' || *c == '\r')
                put(xml, c, 1);
        }
    }
}

static void put_element(xml_text_t *xml, const char *name, const cJSON *value);

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
put_children(xml_text_t *xml, const cJSON *value, const char *item)
{
    const cJSON *child;
    cJSON_ArrayForEach(child, value)
        put_element(xml, cJSON_IsArray(value) ? item : child->string, child);
}

static void
put_element(xml_text_t *xml, const char *name, const cJSON *value)
{
    put_text(xml, "<");
    put_text(xml, name);
    if (cJSON_IsNull(value) || ((cJSON_IsArray(value) || cJSON_IsObject(value)) && !value->child)
        || (cJSON_IsString(value) && !*value->valuestring)) {
        put_text(xml, "/>");
        return;
    }
    put_text(xml, ">");
    if (cJSON_IsObject(value))
        put_children(xml, value, NULL);
    else if (cJSON_IsArray(value)) {
        char member[64];
        member_name(name, member, sizeof member);
        put_children(xml, value, member);
    } else if (cJSON_IsString(value))
        put_escaped(xml, value->valuestring);
    else if (cJSON_IsBool(value))
        put_text(xml, cJSON_IsTrue(value) ? "true" : "false");
    else if (cJSON_IsNumber(value)) {
        char *number = cJSON_PrintUnformatted(value);
        if (number)
            put_text(xml, number);
        else
            xml->failed = true;
        free(number);
    }
    put_text(xml, "</");
    put_text(xml, name);
    put_text(xml, ">");
}

char *
gateway_open311_xml(const cJSON *body, const char *root, const char *item)
{
    xml_text_t xml = { NULL, 0, 0, false };
    put_text(&xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    put_text(&xml, root);
    put_text(&xml, ">");
    put_children(&xml, body, item);
    put_text(&xml, "</");
    put_text(&xml, root);
    put_text(&xml, ">\n");
    if (xml.failed) {
        free(xml.text);
        return NULL;
    }
    return xml.text;
}
