/* Backgrounds (flat, gradient, value noise, shapes) and image degradations. */
#include "augment.h"

#include <math.h>
#include <string.h>

#define FG_PI 3.14159265358979323846

static void fg_random_colour(fnrt_fg_rng *rng, float c[3])
{
    for (int k = 0; k < 3; k++)
        c[k] = (float)fnrt_fg_rng_uniform(rng);
    if (fnrt_fg_rng_uniform(rng) < 0.5) { /* many real backgrounds are greyish */
        float g = (c[0] + c[1] + c[2]) / 3.0f;
        float t = (float)fnrt_fg_rng_range(rng, 0.3, 0.9);
        for (int k = 0; k < 3; k++)
            c[k] += (g - c[k]) * t;
    }
}

void fnrt_fg_background_draw(fnrt_fg_rng *rng, fnrt_fg_background *bg)
{
    memset(bg, 0, sizeof *bg);
    bg->kind = fnrt_fg_rng_int(rng, FNRT_FG_BG_KINDS);
    fg_random_colour(rng, bg->col[0]);
    fg_random_colour(rng, bg->col[1]);
    bg->grad_angle = (float)fnrt_fg_rng_range(rng, 0.0, 2.0 * FG_PI);
    if (bg->kind == FNRT_FG_BG_NOISE) {
        bg->grid = 2 + fnrt_fg_rng_int(rng, FNRT_FG_BG_MAX_GRID - 1);
        float spread = (float)fnrt_fg_rng_range(rng, 0.1, 0.5);
        int n = (bg->grid + 1) * (bg->grid + 1);
        for (int i = 0; i < n; i++) {
            float t = (float)fnrt_fg_rng_uniform(rng);
            for (int k = 0; k < 3; k++) {
                float c = bg->col[0][k] + (bg->col[1][k] - bg->col[0][k]) * t +
                          spread * (float)fnrt_fg_rng_range(rng, -0.5, 0.5);
                bg->nodes[i][k] = c < 0.0f ? 0.0f : (c > 1.0f ? 1.0f : c);
            }
        }
    } else if (bg->kind == FNRT_FG_BG_SHAPES) {
        bg->n_shapes = 2 + fnrt_fg_rng_int(rng, FNRT_FG_BG_MAX_SHAPES - 1);
        for (int i = 0; i < bg->n_shapes; i++) {
            fnrt_fg_shape *s = &bg->shapes[i];
            s->ellipse = fnrt_fg_rng_uniform(rng) < 0.5;
            s->cx = (float)fnrt_fg_rng_uniform(rng);
            s->cy = (float)fnrt_fg_rng_uniform(rng);
            s->rx = (float)fnrt_fg_rng_range(rng, 0.04, 0.4);
            s->ry = (float)fnrt_fg_rng_range(rng, 0.04, 0.4);
            s->angle = (float)fnrt_fg_rng_range(rng, 0.0, FG_PI);
            fg_random_colour(rng, s->col);
        }
    }
}

static float fg_hermite(float t)
{
    return t * t * (3.0f - 2.0f * t);
}

void fnrt_fg_background_render(const fnrt_fg_background *bg, int size, float *rgb)
{
    const size_t plane = (size_t)size * (size_t)size;
    const float inv = 1.0f / (float)size;
    if (bg->kind == FNRT_FG_BG_GRADIENT || bg->kind == FNRT_FG_BG_SHAPES) {
        /* shapes sit on a gradient (possibly a very gentle one) */
        float ca = cosf(bg->grad_angle), sa = sinf(bg->grad_angle);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                float t = ((x + 0.5f) * inv - 0.5f) * ca + ((y + 0.5f) * inv - 0.5f) * sa + 0.5f;
                t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
                if (bg->kind == FNRT_FG_BG_SHAPES)
                    t *= 0.3f;
                size_t p = (size_t)y * size + x;
                for (int k = 0; k < 3; k++)
                    rgb[k * plane + p] = bg->col[0][k] + (bg->col[1][k] - bg->col[0][k]) * t;
            }
    } else if (bg->kind == FNRT_FG_BG_NOISE) {
        const int g = bg->grid;
        for (int y = 0; y < size; y++) {
            float fy = (y + 0.5f) * inv * g;
            int iy = (int)fy;
            if (iy > g - 1)
                iy = g - 1;
            float ty = fg_hermite(fy - iy);
            for (int x = 0; x < size; x++) {
                float fx = (x + 0.5f) * inv * g;
                int ix = (int)fx;
                if (ix > g - 1)
                    ix = g - 1;
                float tx = fg_hermite(fx - ix);
                const float *n00 = bg->nodes[iy * (g + 1) + ix];
                const float *n01 = bg->nodes[iy * (g + 1) + ix + 1];
                const float *n10 = bg->nodes[(iy + 1) * (g + 1) + ix];
                const float *n11 = bg->nodes[(iy + 1) * (g + 1) + ix + 1];
                size_t p = (size_t)y * size + x;
                for (int k = 0; k < 3; k++) {
                    float a = n00[k] + (n01[k] - n00[k]) * tx;
                    float b = n10[k] + (n11[k] - n10[k]) * tx;
                    rgb[k * plane + p] = a + (b - a) * ty;
                }
            }
        }
    } else {
        for (int k = 0; k < 3; k++)
            for (size_t p = 0; p < plane; p++)
                rgb[k * plane + p] = bg->col[0][k];
    }

    for (int i = 0; i < bg->n_shapes; i++) {
        const fnrt_fg_shape *s = &bg->shapes[i];
        const float cx = s->cx * size, cy = s->cy * size, rx = s->rx * size, ry = s->ry * size;
        const float ca = cosf(s->angle), sa = sinf(s->angle);
        const float reach = (rx > ry ? rx : ry) + 2.0f;
        int x0 = (int)floorf(cx - reach), x1 = (int)ceilf(cx + reach);
        int y0 = (int)floorf(cy - reach), y1 = (int)ceilf(cy + reach);
        if (x0 < 0)
            x0 = 0;
        if (y0 < 0)
            y0 = 0;
        if (x1 > size - 1)
            x1 = size - 1;
        if (y1 > size - 1)
            y1 = size - 1;
        const float rmin = rx < ry ? rx : ry;
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++) {
                float dx = x + 0.5f - cx, dy = y + 0.5f - cy;
                float u = dx * ca + dy * sa, v = -dx * sa + dy * ca;
                float dist; /* approximate signed distance to the outline, pixels */
                if (s->ellipse) {
                    float q = sqrtf((u / rx) * (u / rx) + (v / ry) * (v / ry));
                    dist = (q - 1.0f) * rmin;
                } else {
                    float du = fabsf(u) - rx, dv = fabsf(v) - ry;
                    dist = du > dv ? du : dv;
                }
                float cover = 0.5f - dist;
                if (cover <= 0.0f)
                    continue;
                if (cover > 1.0f)
                    cover = 1.0f;
                size_t p = (size_t)y * size + x;
                for (int k = 0; k < 3; k++) {
                    float *o = rgb + k * plane + p;
                    *o += (s->col[k] - *o) * cover;
                }
            }
    }
}

void fnrt_fg_degrade_draw(fnrt_fg_rng *rng, fnrt_fg_degrade *d)
{
    memset(d, 0, sizeof *d);
    d->gamma = (float)fnrt_fg_rng_range(rng, 0.8, 1.25);
    d->brightness = (float)fnrt_fg_rng_range(rng, 0.85, 1.15);
    d->contrast = (float)fnrt_fg_rng_range(rng, 0.8, 1.2);
    d->saturation = (float)fnrt_fg_rng_range(rng, 0.7, 1.3);
    int blur = fnrt_fg_rng_uniform(rng) < 0.4;
    float sigma = (float)fnrt_fg_rng_range(rng, 0.3, 1.2);
    d->blur_sigma = blur ? sigma : 0.0f;
    d->noise_sigma = (float)fnrt_fg_rng_range(rng, 0.0, 0.03);
    d->noise_seed = fnrt_fg_rng_next(rng);
}

#define FG_LUT 1024

/* Separable Gaussian blur of one plane, clamp-to-edge; tmp holds size*size floats. */
static void fg_blur_plane(float *img, float *tmp, int size, const float *kern, int radius)
{
    for (int y = 0; y < size; y++) {
        const float *row = img + (size_t)y * size;
        float *out = tmp + (size_t)y * size;
        for (int x = 0; x < size; x++) {
            float acc = 0.0f;
            for (int k = -radius; k <= radius; k++) {
                int xx = x + k;
                xx = xx < 0 ? 0 : (xx >= size ? size - 1 : xx);
                acc += kern[k + radius] * row[xx];
            }
            out[x] = acc;
        }
    }
    for (int y = 0; y < size; y++) {
        float *out = img + (size_t)y * size;
        for (int x = 0; x < size; x++)
            out[x] = 0.0f;
        for (int k = -radius; k <= radius; k++) {
            int yy = y + k;
            yy = yy < 0 ? 0 : (yy >= size ? size - 1 : yy);
            const float *src = tmp + (size_t)yy * size;
            const float w = kern[k + radius];
            for (int x = 0; x < size; x++)
                out[x] += w * src[x];
        }
    }
}

void fnrt_fg_degrade_apply(const fnrt_fg_degrade *d, int size, float *rgb, float *scratch)
{
    const size_t plane = (size_t)size * (size_t)size;
    float *r = rgb, *g = rgb + plane, *b = rgb + 2 * plane;

    /* gamma through a lookup table (linear interpolation between 1025 nodes) */
    float lut[FG_LUT + 2];
    for (int i = 0; i <= FG_LUT; i++)
        lut[i] = powf((float)i / FG_LUT, d->gamma);
    lut[FG_LUT + 1] = lut[FG_LUT];
    double luma_sum = 0.0;
    for (size_t i = 0; i < 3 * plane; i++) {
        float x = rgb[i];
        x = x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x);
        float f = x * FG_LUT;
        int k = (int)f;
        rgb[i] = lut[k] + (lut[k + 1] - lut[k]) * (f - (float)k);
    }
    for (size_t p = 0; p < plane; p++)
        luma_sum += 0.299f * r[p] + 0.587f * g[p] + 0.114f * b[p];
    const float mean = (float)(luma_sum / (double)plane) * d->brightness;
    for (size_t p = 0; p < plane; p++) {
        float c[3] = {r[p] * d->brightness, g[p] * d->brightness, b[p] * d->brightness};
        float l = 0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2];
        for (int k = 0; k < 3; k++) {
            float x = l + d->saturation * (c[k] - l);
            c[k] = mean + d->contrast * (x - mean);
        }
        r[p] = c[0];
        g[p] = c[1];
        b[p] = c[2];
    }

    if (d->blur_sigma > 0.0f) {
        float kern[2 * 8 + 1];
        int radius = (int)ceilf(3.0f * d->blur_sigma);
        if (radius > 8)
            radius = 8;
        float sum = 0.0f;
        for (int k = -radius; k <= radius; k++) {
            kern[k + radius] = expf(-0.5f * (float)(k * k) / (d->blur_sigma * d->blur_sigma));
            sum += kern[k + radius];
        }
        for (int k = 0; k <= 2 * radius; k++)
            kern[k] /= sum;
        for (int c = 0; c < 3; c++)
            fg_blur_plane(rgb + c * plane, scratch, size, kern, radius);
    }

    if (d->noise_sigma > 0.0f) {
        fnrt_fg_rng rng;
        fnrt_fg_rng_seed(&rng, d->noise_seed, 0);
        fnrt_fg_rng_normal_fill(&rng, scratch, (int)(3 * plane), d->noise_sigma);
        for (size_t i = 0; i < 3 * plane; i++)
            rgb[i] += scratch[i];
    }
    for (size_t i = 0; i < 3 * plane; i++)
        rgb[i] = rgb[i] < 0.0f ? 0.0f : (rgb[i] > 1.0f ? 1.0f : rgb[i]);
}
