/* The city level (SIFANG_EVALUATION_LEVEL=city): one evaluation follows
 * several districts' event logs with the same followers as a district's,
 * a cursor per district instance ("sifang:grid", "shinan:intake"), and
 * ranks the districts like with like.
 *
 * Unit codes are the country's (370205 Sifang, 370203 Shinan): a district's
 * facts land under its own codes, and the district units are what the city
 * ranks. What is not unique across districts is kept under the district:
 * each source's remembered state by its configured name (two districts'
 * intakes both call themselves "intake", and their case ids overlap), and
 * grid's people by "<district>/<id>" (every district's grid numbers its
 * residents and staff from R0000001 and S00001). */
#include "evaluation.h"
#include "sf_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "<district>/<id>" in place of *id (protobuf-c's default allocator owns
 * the strings: the new one is malloc'd, the old one freed). */
static bool
qualify_id(char **id, const char *district)
{
    size_t size = strlen(district) + strlen(*id) + 2;
    char *qualified = malloc(size);
    if (!qualified)
        return false;
    snprintf(qualified, size, "%s/%s", district, *id);
    free(*id);
    *id = qualified;
    return true;
}

static sf_status_t
repack(const ProtobufCMessage *message, Sifang__V1__Event *qualified, uint8_t **repacked)
{
    size_t size = protobuf_c_message_get_packed_size(message);
    *repacked = malloc(size ? size : 1);
    if (!*repacked)
        return SF_UNAVAILABLE;
    protobuf_c_message_pack(message, *repacked);
    qualified->payload.data = *repacked;
    qualified->payload.len = size;
    return SF_OK;
}

sf_status_t
eval_city_qualify(const eval_source_t *source, const Sifang__V1__Event *event, Sifang__V1__Event *qualified,
                  uint8_t **repacked)
{
    *qualified = *event;
    qualified->source = (char *) source->name;
    *repacked = NULL;
    if (strcmp(source->service, "grid") != 0)
        return SF_OK;
    const ProtobufCBinaryData *payload = &event->payload;
    sf_status_t status = SF_OK;
    if (strncmp(event->type, "resident.", 9) == 0) {
        Sifang__V1__Resident *resident = sifang__v1__resident__unpack(NULL, payload->len, payload->data);
        if (!resident)
            return SF_DATA_LOSS;   /* recorded and passed over (sf_follower.h) */
        status = qualify_id(&resident->id, source->district) ? repack(&resident->base, qualified, repacked)
                                                              : SF_UNAVAILABLE;
        sifang__v1__resident__free_unpacked(resident, NULL);
    } else if (strncmp(event->type, "staff.", 6) == 0) {
        Sifang__V1__Staff *staff = sifang__v1__staff__unpack(NULL, payload->len, payload->data);
        if (!staff)
            return SF_DATA_LOSS;
        status = qualify_id(&staff->id, source->district) ? repack(&staff->base, qualified, repacked)
                                                           : SF_UNAVAILABLE;
        sifang__v1__staff__free_unpacked(staff, NULL);
    } else if (strncmp(event->type, "responsibility.", 15) == 0) {
        Sifang__V1__Responsibility *duty = sifang__v1__responsibility__unpack(NULL, payload->len, payload->data);
        if (!duty)
            return SF_DATA_LOSS;
        status = qualify_id(&duty->staff_id, source->district) ? repack(&duty->base, qualified, repacked)
                                                                : SF_UNAVAILABLE;
        sifang__v1__responsibility__free_unpacked(duty, NULL);
    }
    return status;
}

/* The districts followed, by the name their sources give them, in the
 * order of SIFANG_EVALUATION_SOURCES. */
static void
add_followed(sf_call_t *call, const evaluation_t *self, Sifang__V1__CityScorecard *card)
{
    card->followed = sf_call_new_array(call, self->n_sources, sizeof *card->followed);
    for (size_t i = 0; i < self->n_sources; i++) {
        const eval_source_t *source = &self->sources[i];
        Sifang__V1__CityDistrict *district = NULL;
        for (size_t d = 0; d < card->n_followed; d++)
            if (strcmp(card->followed[d]->name, source->district) == 0)
                district = card->followed[d];
        if (!district) {
            district = (Sifang__V1__CityDistrict *) sf_call_new_message(call, &sifang__v1__city_district__descriptor);
            district->name = (char *) source->district;
            district->sources = sf_call_new_array(call, self->n_sources, sizeof *district->sources);
            card->followed[card->n_followed++] = district;
        }
        district->sources[district->n_sources++] = (char *) source->name;
    }
}

sf_status_t
eval_city_scorecard_get(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__CityScorecardRequest *ask = (const Sifang__V1__CityScorecardRequest *) request;
    evaluation_t *self = sf_call_state(call);
    if (!eval_check_period(call, "period", ask->period, 1u << EVAL_PERIOD_HALF_YEAR | 1u << EVAL_PERIOD_YEAR, NULL))
        return sf_call_status(call);
    if (!self->city)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "period",
                              "this evaluation is a district's (SIFANG_EVALUATION_LEVEL=district): ask the city's");
    Sifang__V1__EvaluationScheme *scheme;
    sf_status_t status = eval_scheme_load(call, ask->period, 0, &scheme);
    if (status != SF_OK)
        return status;
    if (!scheme)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "period", "no scheme for %s (SchemeDefine)", ask->period);
    char **codes = sf_call_new_array(call, scheme->n_items, sizeof *codes);
    for (size_t i = 0; i < scheme->n_items; i++)
        codes[i] = scheme->items[i]->kpi_code;
    eval_kpi_t *kpis;
    size_t n_kpis;
    if ((status = eval_kpis_load(call, codes, scheme->n_items, "items", &kpis, &n_kpis)) != SF_OK)
        return status;
    /* The same order as the scheme's items. */
    eval_kpi_t *ordered = sf_call_alloc(call, sizeof *ordered * (scheme->n_items + 1));
    for (size_t i = 0; i < scheme->n_items; i++)
        for (size_t k = 0; k < n_kpis; k++)
            if (strcmp(kpis[k].code, codes[i]) == 0)
                ordered[i] = kpis[k];
    /* Every district the followed grids told of: like with like. */
    eval_unit_t *districts;
    size_t n_districts;
    if ((status = eval_units_load(call, "", SIFANG__V1__UNIT_KIND__UNIT_KIND_DISTRICT, &districts, &n_districts))
        != SF_OK)
        return status;
    eval_period_t period;
    eval_period_parse(ask->period, &period);
    eval_kpi_value_t *values;
    if ((status = eval_figures_compute(call, &period, districts, n_districts, ordered, scheme->n_items, &values))
        != SF_OK)
        return status;
    Sifang__V1__CityScorecard *card = (Sifang__V1__CityScorecard *)
        sf_call_new_message(call, &sifang__v1__city_scorecard__descriptor);
    card->period = sf_call_strdup(call, ask->period);
    card->scheme_version = scheme->version;
    card->scheme_name = scheme->name;
    card->computed_unix_ms = sf_now_ms();
    card->districts = sf_call_new_array(call, n_districts, sizeof *card->districts);
    for (size_t d = 0; d < n_districts; d++)
        card->districts[card->n_districts++] = eval_unit_score(call, scheme, ordered, &values[d * scheme->n_items],
                                                               &districts[d]);
    eval_rank_scores(card->districts, card->n_districts);
    add_followed(call, self, card);
    card->catching_up = eval_sources_catching_up(self);
    *reply_p = &card->base;
    return SF_OK;
}
