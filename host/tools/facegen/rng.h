/* Seeded pseudo-random numbers for the face generator.
 *
 * xoshiro256** (Blackman & Vigna) seeded through splitmix64 from a (seed, stream) pair, so
 * that sample i of a run with seed S draws the same numbers whichever thread or process
 * renders it.  Normal deviates use the polar Box-Muller method. */
#ifndef FNRT_FACEGEN_RNG_H
#define FNRT_FACEGEN_RNG_H

#include <stdint.h>

typedef struct fnrt_fg_rng {
    uint64_t s[4];
    int has_spare;
    double spare;
} fnrt_fg_rng;

/* Independent stream `stream` (e.g. the sample index) of the generator seeded by seed. */
void fnrt_fg_rng_seed(fnrt_fg_rng *r, uint64_t seed, uint64_t stream);
uint64_t fnrt_fg_rng_next(fnrt_fg_rng *r);
/* Uniform in [0,1) with 53 random bits. */
double fnrt_fg_rng_uniform(fnrt_fg_rng *r);
/* Uniform in [lo,hi). */
double fnrt_fg_rng_range(fnrt_fg_rng *r, double lo, double hi);
/* Uniform integer in [0,n); n must be > 0. */
int fnrt_fg_rng_int(fnrt_fg_rng *r, int n);
/* Standard normal deviate N(0,1). */
double fnrt_fg_rng_normal(fnrt_fg_rng *r);
/* Fills n floats with N(0, sigma^2) deviates (float arithmetic; for per-pixel noise). */
void fnrt_fg_rng_normal_fill(fnrt_fg_rng *r, float *dst, int n, float sigma);

#endif
