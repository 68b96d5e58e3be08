/* Survey statistics: Wilson and t intervals, moments, rank correlation. */
#include "evaluation_stats.h"
#include <math.h>

#define Z975 1.959963984540054

void
eval_wilson(double successes, double n, double *low, double *high)
{
    if (n <= 0) {
        *low = 0;
        *high = 1;
        return;
    }
    double p = successes / n, z2 = Z975 * Z975;
    double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    double half = Z975 * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
    *low = centre - half < 0 ? 0 : centre - half;
    *high = centre + half > 1 ? 1 : centre + half;
}

double
eval_t975(double df)
{
    /* Exact for small df from the table, then the Cornish-Fisher expansion
     * (error below 1e-4 from df 30 on). */
    static const double table[] = {
        0, 12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
        2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
        2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    };
    if (df < 1)
        return table[1];
    if (df <= 30)
        return table[(int) df];
    double z = Z975, z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
    return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df)
         + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df * df * df);
}

double
eval_spearman(const int *rank_a, const int *rank_b, size_t n)
{
    if (n < 2)
        return 1;
    /* Pearson's correlation of the ranks: right with ties too. */
    double mean_a = 0, mean_b = 0;
    for (size_t i = 0; i < n; i++) {
        mean_a += rank_a[i];
        mean_b += rank_b[i];
    }
    mean_a /= (double) n;
    mean_b /= (double) n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        double a = rank_a[i] - mean_a, b = rank_b[i] - mean_b;
        sab += a * b;
        saa += a * a;
        sbb += b * b;
    }
    if (saa == 0 || sbb == 0)
        return saa == sbb ? 1 : 0;
    return sab / sqrt(saa * sbb);
}

void
eval_moments_add(eval_moments_t *m, double x)
{
    m->n += 1;
    double delta = x - m->mean;
    m->mean += delta / m->n;
    m->m2 += delta * (x - m->mean);
}

double
eval_moments_variance(const eval_moments_t *m)
{
    return m->n < 2 ? 0 : m->m2 / (m->n - 1);
}
