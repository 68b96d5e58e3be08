/* The parts of Open311 GeoReport v2 (gateway_open311*.c) as they call each
 * other: the two formats and the spec's errors (gateway_open311.c), the
 * XML writer (gateway_open311_xml.c), form bodies (gateway_open311_form.c),
 * service requests read (gateway_open311_requests.c) and submitted
 * (gateway_open311_submit.c), places
 * from grid's org units (gateway_open311_location.c) and the routes'
 * OpenAPI description (gateway_open311_openapi.c). */
#ifndef GATEWAY_OPEN311_H
#define GATEWAY_OPEN311_H

#include "gateway.h"
#include "sifang/v1/intake.pb-c.h"

/* The format a client asked for by the resource's extension. */
typedef enum {
    OPEN311_JSON,
    OPEN311_XML,
} open311_format_t;

/* --- gateway_open311.c --------------------------------------------------------------- */

/* Answers body (taken) in the format: JSON as it is; XML under root, each
 * element of a top-level array named item. */
void gateway_open311_reply(gateway_exchange_t *exchange, open311_format_t format, int http_status, cJSON *body,
                           const char *root, const char *item);
/* Answers the spec's error list, one {code, description} per violation. */
void gateway_open311_error(gateway_exchange_t *exchange, open311_format_t format, const gateway_error_t *error);
void gateway_open311_fail(gateway_exchange_t *exchange, open311_format_t format, sf_status_t status,
                          const char *description);
/* Whether the catalogue's item has questions a submission answers (the
 * materials to bring); its service definition's attributes, into
 * attributes when not NULL. */
bool gateway_open311_item_attributes(const Sifang__V1__ServiceItem *item, cJSON *attributes);
/* The principal public reads act as: the anonymous viewer of the whole
 * district, whatever key came (what Open311 shows is public). */
void gateway_open311_public(gateway_principal_t *principal);
/* Calls a list rpc page by page (page is request's, its size and token set
 * here), each reply to each; false with error set. */
bool gateway_open311_each_page(gateway_t *gw, const char *service, const char *rpc,
                               const gateway_principal_t *principal, ProtobufCMessage *request,
                               Sifang__V1__PageRequest *page,
                               void (*each)(const ProtobufCMessage *reply, void *context), void *context,
                               gateway_error_t *error);
/* A w3 date-time (2026-03-15T08:00:00Z) of unix_ms, or null when 0. */
void gateway_open311_add_time(cJSON *object, const char *name, int64_t unix_ms);

/* --- gateway_open311_xml.c ---------------------------------------------------------- */

/* The XML document of body: root element root; an array's elements are
 * named item at the top, and by the array's name without its plural s
 * below (attributes/attribute, values/value, endpoints/endpoint,
 * formats/format); null is an empty element. malloc'd, NULL when out of
 * memory. */
char *gateway_open311_xml(const cJSON *body, const char *root, const char *item);

/* --- gateway_open311_form.c ---------------------------------------------------------- */

#define OPEN311_MAX_FORM_FIELDS 64

/* An application/x-www-form-urlencoded body, decoded. */
typedef struct {
    size_t n;
    char *names[OPEN311_MAX_FORM_FIELDS];
    char *values[OPEN311_MAX_FORM_FIELDS];
    char *text;              /* owns the strings */
    const char *nul_field;   /* a field whose value held %00, refused */
} open311_form_t;

/* Parses body; false when broken (form->nul_field says when for a NUL). */
bool gateway_open311_form_parse(open311_form_t *form, const char *body, size_t size);
/* The first value of the field, or NULL. */
const char *gateway_open311_form_get(const open311_form_t *form, const char *name);
void gateway_open311_form_release(open311_form_t *form);

/* --- gateway_open311_requests.c ------------------------------------------------------- */

/* GET requests.{format}: every filter of the spec, each with its comma
 * form; the 90-day window, at most 1,000, newest first. */
void gateway_open311_requests(gateway_t *gw, gateway_exchange_t *exchange, open311_format_t format);
/* GET requests/{id}.{format} and tokens/{token}.{format}. */
void gateway_open311_request(gateway_t *gw, gateway_exchange_t *exchange, open311_format_t format, const char *id,
                             bool token);
/* text, or null when it is NULL or empty. */
void gateway_open311_add_text(cJSON *object, const char *name, const char *text);
/* Splits a comma-delimited parameter into at most max trimmed, non-empty
 * parts (pointing into copy); -1 when there are more. */
int gateway_open311_split_commas(const char *text, char *copy, size_t copy_size, char **parts, int max);

/* --- gateway_open311_submit.c ---------------------------------------------------------- */

/* POST requests.{format} for principal, the form's fields. */
void gateway_open311_submit(gateway_t *gw, gateway_exchange_t *exchange, open311_format_t format,
                            const gateway_principal_t *principal, const open311_form_t *form);

/* --- gateway_open311_location.c ------------------------------------------------------ */

/* Where a case is, as Open311 shows it: never the household, only its zone
 * (the zone's centroid and names) or the community or street it lies in. */
typedef struct {
    char zone_code[16];          /* "" when the unit is above a zone */
    char address[1024];          /* "zone, community, street" names */
    bool located;
    double lat, lon;
    char community_name[320];    /* the community (or street) answering for it */
} open311_place_t;

/* The place of unit_code (a zone, community or street). false when grid's
 * units are not known (grid away) or the unit is not among them. */
bool gateway_open311_place(gateway_t *gw, const char *unit_code, open311_place_t *place);
/* The zone whose centroid (or one of whose building groups) is nearest to
 * the point, if within bound_m: 0 with zone filled; 1 when the point is
 * farther than bound_m from every zone (*distance_m the nearest); -1 when
 * grid's units are not known. */
int gateway_open311_locate(gateway_t *gw, double lat, double lon, double bound_m, char *zone, size_t zone_size,
                           double *distance_m);
/* The zone named by an address: a zone's or a building group's name, or a
 * building's address ("<road><number>号", the group's name without 楼组)
 * that the text holds (the longest such name wins). 0
 * with zone filled; 1 when nothing matches, 2 when several zones do; -1
 * when grid's units are not known. */
int gateway_open311_match_address(gateway_t *gw, const char *text, char *zone, size_t zone_size);

/* --- gateway_open311_openapi.c --------------------------------------------------------- */

/* Adds the Open311 routes of the fixed route table to the OpenAPI
 * document's paths, with their parameters, both formats, the spec's
 * schemas and the api_key scheme (into components). */
void gateway_open311_openapi(cJSON *paths, cJSON *components);

#endif
