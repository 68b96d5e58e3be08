/* The KPI expression parser (shunting-yard into postfix) and evaluator. */
#include "evaluation_expr.h"
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
fail(char *error, size_t error_size, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(error, error_size, format, args);
    va_end(args);
    return false;
}

static int
precedence(eval_token_kind_t kind)
{
    switch (kind) {
    case EVAL_TOKEN_ADD:
    case EVAL_TOKEN_SUB:
        return 1;
    case EVAL_TOKEN_MUL:
    case EVAL_TOKEN_DIV:
        return 2;
    case EVAL_TOKEN_NEG:
        return 3;
    default:
        return 0;
    }
}

/* Operator stack entries: an operator kind, or -1 for "(". */
#define OPEN_PAREN (-1)

static bool
emit(eval_expr_t *expr, eval_token_kind_t kind, double number, const char *name, char *error,
     size_t error_size)
{
    if (expr->n >= EVAL_EXPR_MAX_TOKENS)
        return fail(error, error_size, "too long: at most %d terms and operators", EVAL_EXPR_MAX_TOKENS);
    eval_token_t *token = &expr->tokens[expr->n++];
    token->kind = kind;
    token->number = number;
    snprintf(token->name, sizeof token->name, "%s", name ? name : "");
    return true;
}

bool
eval_expr_parse(const char *text, eval_expr_t *expr, char *error, size_t error_size)
{
    memset(expr, 0, sizeof *expr);
    int stack[EVAL_EXPR_MAX_TOKENS];
    int depth = 0;
    bool expect_operand = true;
    const char *p = text ? text : "";
    while (*p) {
        if (isspace((unsigned char) *p)) {
            p++;
            continue;
        }
        size_t at = (size_t) (p - text);
        if (expect_operand) {
            if (*p == '(') {
                if (depth >= EVAL_EXPR_MAX_TOKENS)
                    return fail(error, error_size, "nested too deeply");
                stack[depth++] = OPEN_PAREN;
                p++;
            } else if (*p == '-') {
                if (depth >= EVAL_EXPR_MAX_TOKENS)
                    return fail(error, error_size, "nested too deeply");
                stack[depth++] = EVAL_TOKEN_NEG;
                p++;
            } else if (isdigit((unsigned char) *p) || *p == '.') {
                char *end;
                double number = strtod(p, &end);
                if (end == p || !isfinite(number))
                    return fail(error, error_size, "bad number at offset %zu", at);
                if (!emit(expr, EVAL_TOKEN_NUMBER, number, NULL, error, error_size))
                    return false;
                p = end;
                expect_operand = false;
            } else if ((p[0] == '#' || p[0] == 'I') && p[1] == '{') {
                bool input = p[0] == 'I';
                const char *start = p + 2, *close = strchr(start, '}');
                size_t length = close ? (size_t) (close - start) : 0;
                if (!close || length == 0 || length >= EVAL_EXPR_NAME_SIZE)
                    return fail(error, error_size, "%s{...} at offset %zu must close and name 1 to %d characters",
                                input ? "I" : "#", at, EVAL_EXPR_NAME_SIZE - 1);
                char name[EVAL_EXPR_NAME_SIZE];
                memcpy(name, start, length);
                name[length] = '\0';
                if (!islower((unsigned char) name[0]))
                    return fail(error, error_size, "name at offset %zu must start with a-z", at);
                for (size_t i = 0; i < length; i++)
                    if (!islower((unsigned char) name[i]) && !isdigit((unsigned char) name[i]) && name[i] != '_')
                        return fail(error, error_size, "name at offset %zu may hold only a-z, 0-9 and _", at);
                if (!emit(expr, input ? EVAL_TOKEN_INPUT : EVAL_TOKEN_FACT, 0, name, error, error_size))
                    return false;
                p = close + 1;
                expect_operand = false;
            } else
                return fail(error, error_size, "expected a number, #{fact}, I{input}, '(' or '-' at offset %zu", at);
            continue;
        }
        eval_token_kind_t op;
        if (*p == ')') {
            while (depth > 0 && stack[depth - 1] != OPEN_PAREN)
                if (!emit(expr, (eval_token_kind_t) stack[--depth], 0, NULL, error, error_size))
                    return false;
            if (depth == 0)
                return fail(error, error_size, "unbalanced ')' at offset %zu", at);
            depth--;
            p++;
            continue;
        }
        switch (*p) {
        case '+': op = EVAL_TOKEN_ADD; break;
        case '-': op = EVAL_TOKEN_SUB; break;
        case '*': op = EVAL_TOKEN_MUL; break;
        case '/': op = EVAL_TOKEN_DIV; break;
        default:
            return fail(error, error_size, "expected an operator or ')' at offset %zu", at);
        }
        /* Left-associative: pop operators of equal or higher precedence. */
        while (depth > 0 && stack[depth - 1] != OPEN_PAREN
               && precedence((eval_token_kind_t) stack[depth - 1]) >= precedence(op))
            if (!emit(expr, (eval_token_kind_t) stack[--depth], 0, NULL, error, error_size))
                return false;
        stack[depth++] = (int) op;
        p++;
        expect_operand = true;
    }
    if (expr->n == 0 && depth == 0)
        return true;   /* empty */
    if (expect_operand)
        return fail(error, error_size, "ends where a term is expected");
    while (depth > 0) {
        if (stack[depth - 1] == OPEN_PAREN)
            return fail(error, error_size, "unbalanced '('");
        if (!emit(expr, (eval_token_kind_t) stack[--depth], 0, NULL, error, error_size))
            return false;
    }
    return true;
}

bool
eval_expr_eval(const eval_expr_t *expr, eval_lookup_fn lookup, void *arg, double *value)
{
    if (expr->n == 0) {
        *value = 1;
        return true;
    }
    double stack[EVAL_EXPR_MAX_TOKENS];
    int depth = 0;
    for (int i = 0; i < expr->n; i++) {
        const eval_token_t *token = &expr->tokens[i];
        double a, b;
        switch (token->kind) {
        case EVAL_TOKEN_NUMBER:
            stack[depth++] = token->number;
            break;
        case EVAL_TOKEN_FACT:
        case EVAL_TOKEN_INPUT:
            stack[depth++] = lookup(arg, token->kind == EVAL_TOKEN_INPUT, token->name);
            break;
        case EVAL_TOKEN_NEG:
            if (depth < 1)
                return false;
            stack[depth - 1] = -stack[depth - 1];
            break;
        default:
            if (depth < 2)
                return false;
            b = stack[--depth];
            a = stack[--depth];
            if (token->kind == EVAL_TOKEN_ADD)
                stack[depth++] = a + b;
            else if (token->kind == EVAL_TOKEN_SUB)
                stack[depth++] = a - b;
            else if (token->kind == EVAL_TOKEN_MUL)
                stack[depth++] = a * b;
            else {
                if (b == 0)
                    return false;
                stack[depth++] = a / b;
            }
        }
    }
    if (depth != 1 || !isfinite(stack[0]))
        return false;
    *value = stack[0];
    return true;
}
