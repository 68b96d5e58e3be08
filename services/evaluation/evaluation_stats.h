/* The statistics behind survey results: Wilson score intervals for
 * proportions, Student's t intervals for means, stratified means, and
 * Spearman's rank correlation for the sensitivity report. Pure functions. */
#ifndef EVALUATION_STATS_H
#define EVALUATION_STATS_H

#include <stddef.h>

/* The 95% Wilson score interval of successes out of n (n = 0: 0..1). */
void eval_wilson(double successes, double n, double *low, double *high);
/* The two-sided 97.5% quantile of Student's t with df degrees of freedom
 * (df < 1 gives the normal 1.96 when large, infinity-like 0 handled by the
 * caller). */
double eval_t975(double df);
/* Spearman's rho between two rankings of n items (1 when n < 2). */
double eval_spearman(const int *rank_a, const int *rank_b, size_t n);

/* A running mean and variance (Welford). */
typedef struct {
    double n, mean, m2;
} eval_moments_t;
void eval_moments_add(eval_moments_t *m, double x);
/* Sample variance (n - 1); 0 when n < 2. */
double eval_moments_variance(const eval_moments_t *m);

#endif
