/* xoshiro256** seeded by splitmix64; polar Box-Muller normal deviates. */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void fnrt_fg_rng_seed(fnrt_fg_rng *r, uint64_t seed, uint64_t stream)
{
    /* Mix seed and stream through two splitmix64 rounds so that neighbouring seeds and
     * neighbouring streams give unrelated states. */
    uint64_t x = seed;
    uint64_t h = splitmix64(&x);
    x = h ^ (stream * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1; /* the all-zero state is the one fixed point */
    r->has_spare = 0;
    r->spare = 0.0;
}

uint64_t fnrt_fg_rng_next(fnrt_fg_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double fnrt_fg_rng_uniform(fnrt_fg_rng *r)
{
    return (double)(fnrt_fg_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double fnrt_fg_rng_range(fnrt_fg_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * fnrt_fg_rng_uniform(r);
}

int fnrt_fg_rng_int(fnrt_fg_rng *r, int n)
{
    if (n <= 1)
        return 0;
    /* multiply-shift: bias below 2^-32 for the small n used here */
    return (int)(((fnrt_fg_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double fnrt_fg_rng_normal(fnrt_fg_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, q;
    do {
        u = 2.0 * fnrt_fg_rng_uniform(r) - 1.0;
        v = 2.0 * fnrt_fg_rng_uniform(r) - 1.0;
        q = u * u + v * v;
    } while (q >= 1.0 || q == 0.0);
    double m = sqrt(-2.0 * log(q) / q);
    r->spare = v * m;
    r->has_spare = 1;
    return u * m;
}

void fnrt_fg_rng_normal_fill(fnrt_fg_rng *r, float *dst, int n, float sigma)
{
    int i = 0;
    while (i < n) {
        uint64_t b = fnrt_fg_rng_next(r);
        /* two 24-bit uniforms in (-1,1) from one 64-bit draw */
        float u = (float)(b >> 40) * (2.0f / 16777216.0f) - 1.0f;
        float v = (float)((b >> 16) & 0xFFFFFF) * (2.0f / 16777216.0f) - 1.0f;
        float q = u * u + v * v;
        if (q >= 1.0f || q == 0.0f)
            continue;
        float m = sigma * sqrtf(-2.0f * logf(q) / q);
        dst[i++] = u * m;
        if (i < n)
            dst[i++] = v * m;
    }
}
