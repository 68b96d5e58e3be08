/* Typed statement parameters (sf_params.h): each value turned into the
 * sf_params_t list that every way of running SQL takes. */
#include "sf_params.h"
#include "sf_assert.h"

sf_param_t
sf_param_text(const char *value)
{
    return (sf_param_t) { .kind = SF_PARAM_TEXT, .value.text = value };
}

sf_param_t
sf_param_text_or_null(const char *value)
{
    return sf_param_text(value && *value ? value : NULL);
}

sf_param_t
sf_param_int(int64_t value)
{
    return (sf_param_t) { .kind = SF_PARAM_INT, .value.integer = value };
}

sf_param_t
sf_param_double(double value)
{
    return (sf_param_t) { .kind = SF_PARAM_DOUBLE, .value.real = value };
}

sf_param_t
sf_param_bool(bool value)
{
    return (sf_param_t) { .kind = SF_PARAM_BOOL, .value.truth = value };
}

sf_param_t
sf_param_same(sf_param_t param)
{
    return param;
}

sf_params_t *
sf_params_append(sf_params_t *params, const sf_param_t *values, size_t n)
{
    /* Checked here as well as in sf_db.c so that the assertion names the
     * statement's own list, not a value in the middle of it. */
    SF_ASSERT(n <= (size_t) (SF_DB_MAX_PARAMS - params->count));
    for (size_t i = 0; i < n; i++) {
        switch (values[i].kind) {
        case SF_PARAM_TEXT:
            sf_params_text(params, values[i].value.text);
            break;
        case SF_PARAM_INT:
            sf_params_int(params, values[i].value.integer);
            break;
        case SF_PARAM_DOUBLE:
            sf_params_double(params, values[i].value.real);
            break;
        case SF_PARAM_BOOL:
            sf_params_bool(params, values[i].value.truth);
            break;
        }
    }
    return params;
}
