/* KPI expressions: arithmetic over facts #{code} and inputs I{code}, parsed
 * once into postfix and evaluated against whatever figures the caller looks
 * up. Pure functions, unit-tested. */
#ifndef EVALUATION_EXPR_H
#define EVALUATION_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#define EVAL_EXPR_MAX_TOKENS 96
#define EVAL_EXPR_NAME_SIZE 41

typedef enum {
    EVAL_TOKEN_NUMBER,
    EVAL_TOKEN_FACT,
    EVAL_TOKEN_INPUT,
    EVAL_TOKEN_ADD,
    EVAL_TOKEN_SUB,
    EVAL_TOKEN_MUL,
    EVAL_TOKEN_DIV,
    EVAL_TOKEN_NEG,
} eval_token_kind_t;

typedef struct {
    eval_token_kind_t kind;
    double number;
    char name[EVAL_EXPR_NAME_SIZE];
} eval_token_t;

/* An expression in postfix order; empty (n == 0) stands for 1. */
typedef struct {
    eval_token_t tokens[EVAL_EXPR_MAX_TOKENS];
    int n;
} eval_expr_t;

/* Parses text ("" = empty). Returns false with a reason in error. */
bool eval_expr_parse(const char *text, eval_expr_t *expr, char *error, size_t error_size);

/* The value of a fact (input false) or an input (true) named name. */
typedef double (*eval_lookup_fn)(void *arg, bool input, const char *name);

/* Evaluates; false when a division by zero (or a non-finite value) leaves it
 * without a value. An empty expression is 1. */
bool eval_expr_eval(const eval_expr_t *expr, eval_lookup_fn lookup, void *arg, double *value);

#endif
