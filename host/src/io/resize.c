/* Antialiased bilinear resize of planar float images.
 *
 * Separable: a horizontal pass into a temporary image, then a vertical pass.  For one axis
 * with scale = src / dst, output sample i is centred at (i + 0.5) * scale in source
 * coordinates (pixel j covers [j, j + 1), i.e. its centre is j + 0.5).  The filter is the
 * triangle 1 - |t| stretched by max(1, scale), so downscaling averages over every source
 * pixel it covers (antialiasing) and upscaling is plain bilinear interpolation.  Taps outside
 * the image are dropped and the remaining weights renormalised (edge clamping).  This is the
 * definition PIL's BILINEAR resample uses. */
#include "io/image.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct rs_axis {
    int ksize;  /* taps per output sample (max) */
    int *first; /* first source index per output sample */
    int *count; /* taps used per output sample */
    double *w;  /* out_size * ksize normalised weights */
};

static void rs_axis_free(struct rs_axis *a)
{
    free(a->first);
    free(a->count);
    free(a->w);
}

static double rs_triangle(double t)
{
    t = t < 0 ? -t : t;
    return t < 1.0 ? 1.0 - t : 0.0;
}

static fnrt_status rs_axis_init(struct rs_axis *a, int in_size, int out_size)
{
    double scale = (double)in_size / (double)out_size;
    double stretch = scale > 1.0 ? scale : 1.0;
    double support = stretch; /* triangle support 1, widened by the downscale factor */

    memset(a, 0, sizeof *a);
    /* taps per output: at most 2 * support + 2, and never more than the source has */
    double taps = floor(support) * 2.0 + 3.0;
    a->ksize = taps > (double)in_size ? in_size : (int)taps;
    if ((size_t)out_size > SIZE_MAX / sizeof(double) / (size_t)a->ksize)
        return fnrt_error(FNRT_ERR_NOMEM, "resize: filter table too large");
    a->first = malloc((size_t)out_size * sizeof *a->first);
    a->count = malloc((size_t)out_size * sizeof *a->count);
    a->w = malloc((size_t)out_size * (size_t)a->ksize * sizeof *a->w);
    if (!a->first || !a->count || !a->w) {
        rs_axis_free(a);
        return fnrt_error(FNRT_ERR_NOMEM, "resize: out of memory for the filter table");
    }
    for (int i = 0; i < out_size; i++) {
        double centre = ((double)i + 0.5) * scale;
        /* source pixels j whose centres j + 0.5 lie within (centre - support, centre + support) */
        double lo_f = centre - support + 0.5, hi_f = centre + support + 0.5;
        int lo = lo_f < 0.0 ? 0 : (int)lo_f;
        int hi = hi_f > (double)in_size ? in_size : (int)hi_f;
        if (hi - lo > a->ksize)
            hi = lo + a->ksize; /* cannot happen; keeps the table in bounds */
        double *w = a->w + (size_t)i * (size_t)a->ksize;
        double sum = 0.0;
        int n = 0;
        for (int j = lo; j < hi; j++, n++) {
            w[n] = rs_triangle(((double)j + 0.5 - centre) / stretch);
            sum += w[n];
        }
        if (sum > 0.0)
            for (int k = 0; k < n; k++)
                w[k] /= sum;
        a->first[i] = lo;
        a->count[i] = n;
    }
    return FNRT_OK;
}

fnrt_status fnrt_image_resize(const fnrt_image *src, fnrt_image *dst)
{
    fnrt_status status = FNRT_OK;
    struct rs_axis ax, ay;
    float *tmp = NULL;
    int have_x = 0, have_y = 0;

    if (!src || !dst || !src->data || !dst->data)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_image_resize: NULL argument");
    if (src->c < 1 || src->h < 1 || src->w < 1 || dst->h < 1 || dst->w < 1)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_image_resize: bad sizes %dx%dx%d -> %dx%dx%d",
                          src->c, src->h, src->w, dst->c, dst->h, dst->w);
    if (dst->c != src->c)
        return fnrt_error(FNRT_ERR_INVALID_ARG,
                          "fnrt_image_resize: channel counts differ (%d vs %d)", src->c, dst->c);

    size_t c = (size_t)src->c, sh = (size_t)src->h, sw = (size_t)src->w;
    size_t dh = (size_t)dst->h, dw = (size_t)dst->w;
    if (sh > SIZE_MAX / c || sw > SIZE_MAX / sizeof(float) / (c * sh) || dh > SIZE_MAX / c ||
        dw > SIZE_MAX / sizeof(float) / (c * dh) || dw > SIZE_MAX / sizeof(float) / (c * sh))
        return fnrt_error(FNRT_ERR_NOMEM, "fnrt_image_resize: image too large");
    /* the images must not overlap (the passes would read their own output) */
    uintptr_t s0 = (uintptr_t)src->data, s1 = s0 + c * sh * sw * sizeof(float);
    uintptr_t d0 = (uintptr_t)dst->data, d1 = d0 + c * dh * dw * sizeof(float);
    if (s0 < d1 && d0 < s1)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_image_resize: src and dst overlap");

    status = rs_axis_init(&ax, src->w, dst->w);
    if (status != FNRT_OK)
        goto cleanup;
    have_x = 1;
    status = rs_axis_init(&ay, src->h, dst->h);
    if (status != FNRT_OK)
        goto cleanup;
    have_y = 1;

    tmp = malloc(c * sh * dw * sizeof *tmp);
    if (!tmp) {
        status = fnrt_error(FNRT_ERR_NOMEM, "fnrt_image_resize: out of memory");
        goto cleanup;
    }

    /* horizontal: (c, sh, sw) -> (c, sh, dw) */
    for (size_t r = 0; r < c * sh; r++) {
        const float *in = src->data + r * sw;
        float *o = tmp + r * dw;
        for (size_t x = 0; x < dw; x++) {
            const double *w = ax.w + x * (size_t)ax.ksize;
            const float *p = in + ax.first[x];
            double acc = 0.0;
            for (int k = 0; k < ax.count[x]; k++)
                acc += (double)p[k] * w[k];
            o[x] = (float)acc;
        }
    }
    /* vertical: (c, sh, dw) -> (c, dh, dw) */
    for (size_t ch = 0; ch < c; ch++) {
        const float *in = tmp + ch * sh * dw;
        float *o = dst->data + ch * dh * dw;
        for (size_t y = 0; y < dh; y++) {
            const double *w = ay.w + y * (size_t)ay.ksize;
            const float *p = in + (size_t)ay.first[y] * dw;
            for (size_t x = 0; x < dw; x++) {
                double acc = 0.0;
                for (int k = 0; k < ay.count[y]; k++)
                    acc += (double)p[(size_t)k * dw + x] * w[k];
                o[y * dw + x] = (float)acc;
            }
        }
    }

cleanup:
    free(tmp);
    if (have_x)
        rs_axis_free(&ax);
    if (have_y)
        rs_axis_free(&ay);
    return status;
}
