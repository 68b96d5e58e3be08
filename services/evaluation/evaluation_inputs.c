/* Inputs recorded by hand per unit and period (a community's activity
 * budget, say), for KPIs that read figures per yuan. */
#include "evaluation.h"
#include "sf_row.h"
#include "sf_codes.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define INPUT_COLUMNS "input, unit_code, period, value, note, " EVAL_MS("recorded_at") ", recorded_by"

/* NULL, with INTERNAL recorded, when the row does not end on recorded_by
 * where the reader does. */
static Sifang__V1__InputValue *
input_from_row(sf_call_t *call, const PGresult *result, int row)
{
    Sifang__V1__InputValue *input = (Sifang__V1__InputValue *)
        sf_call_new_message(call, &sifang__v1__input_value__descriptor);
    sf_row_read(result, row, 0, &input->base, "input unit_code period value note recorded_unix_ms recorded_by");
    /* The reader and the statement's columns must end together: a column
     * added to one and not the other would shift every field after it. */
    if (PQfnumber(result, "recorded_by") != 6) {
        sf_call_fail(call, SF_INTERNAL, "a recorded input row's columns are not those input_from_row reads");
        return NULL;
    }
    return input;
}

sf_status_t
eval_input_record(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__InputValue *input = (const Sifang__V1__InputValue *) request;
    eval_period_t period;
    eval_check_name(call, "input", input->input);
    eval_check_unit(call, "unit_code", input->unit_code, false);
    eval_check_period(call, "period", input->period, 0xE, &period);
    if (!isfinite(input->value) || input->value < 0)
        sf_call_violation(call, "value", "must be a number of at least 0");
    sf_call_check_text(call, "note", input->note, 200, false);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    if (!sf_call_may_write(call, input->unit_code))
        return sf_call_fail(call, SF_PERMISSION_DENIED, "unit %s lies outside your scope", input->unit_code);
    /* Frozen figures stay as approved: no input may change under them. */
    eval_period_t half, year;
    eval_period_year_of(&period, &year);
    half = period;
    if (period.kind == EVAL_PERIOD_MONTH)
        snprintf(half.code, sizeof half.code, "%04d-H%d", period.year, period.first_month <= 6 ? 1 : 2);
    sf_params_t *params = SF_PARAMS(period.code, half.code, year.code);
    PGresult *result = sf_call_query(call, "SELECT period FROM period_frozen WHERE period IN ($1, $2, $3)", params);
    if (!result)
        return sf_call_status(call);
    if (PQntuples(result) > 0)
        return sf_call_refuse(call, SF_FAILED_PRECONDITION, "period", "%s is frozen", sf_db_text(result, 0, 0));
    params = SF_PARAMS(input->input, input->unit_code, period.code, sf_param_double(input->value), input->note,
                       sf_call_principal(call)->id);
    result = sf_call_query(call,
        "INSERT INTO input_value (input, unit_code, period, value, note, recorded_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (input, unit_code, period) DO UPDATE SET"
        " value = EXCLUDED.value, note = EXCLUDED.note, recorded_by = EXCLUDED.recorded_by, recorded_at = now()"
        " RETURNING " INPUT_COLUMNS, params);
    if (!result)
        return sf_call_status(call);
    Sifang__V1__InputValue *recorded = input_from_row(call, result, 0);
    if (!recorded)
        return sf_call_status(call);
    return sf_call_emit_reply(call, reply_p, "input.recorded", recorded->unit_code, &recorded->base);
}

sf_status_t
eval_input_list(sf_call_t *call, const ProtobufCMessage *request, ProtobufCMessage **reply_p)
{
    const Sifang__V1__InputListRequest *ask = (const Sifang__V1__InputListRequest *) request;
    if (*ask->input)
        eval_check_name(call, "input", ask->input);
    if (*ask->period)
        eval_check_period(call, "period", ask->period, 0xE, NULL);
    eval_check_unit(call, "under", ask->under, true);
    if (sf_call_has_violations(call))
        return sf_call_status(call);
    /* The narrower of the filter and the caller's view (a key's scope or a
     * person's grants); nothing when they part. */
    const char *under = NULL;
    if (!sf_call_scope_under(call, "under", ask->under, &under)) {
        if (sf_call_has_violations(call))
            return sf_call_status(call);
        *reply_p = sf_call_new_message(call, &sifang__v1__input_list_reply__descriptor);
        return SF_OK;
    }
    char upper[24];
    eval_subtree_upper(under, upper, sizeof upper);
    PGresult *result = sf_call_query(call,
        "SELECT " INPUT_COLUMNS " FROM input_value WHERE ($1 = '' OR input = $1) AND ($2 = '' OR period = $2)"
        " AND unit_code >= $3 AND unit_code < $4 ORDER BY input, period, unit_code LIMIT 10000",
        SF_PARAMS(ask->input, ask->period, under, upper));
    if (!result)
        return sf_call_status(call);
    Sifang__V1__InputListReply *reply = (Sifang__V1__InputListReply *)
        sf_call_new_message(call, &sifang__v1__input_list_reply__descriptor);
    int rows = PQntuples(result);
    reply->inputs = sf_call_new_array(call, (size_t) rows, sizeof *reply->inputs);
    for (int row = 0; row < rows; row++)
        if (!(reply->inputs[reply->n_inputs++] = input_from_row(call, result, row)))
            return sf_call_status(call);
    *reply_p = &reply->base;
    return SF_OK;
}
