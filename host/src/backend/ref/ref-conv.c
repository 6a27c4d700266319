/* Reference convolution and transposed convolution (semantics in fnrt-backend.h). */
#include "backend/ref/ref.h"

#include <stdlib.h>
#include <string.h>

/* Copies x (C,H,W) into a zero-padded (C,H+2p,W+2p) array with act applied. */
static float *padded_input(const float *x, int c, int h, int w, int pad, fnrt_act act,
                           float alpha)
{
    size_t hp = (size_t)h + 2 * (size_t)pad, wp = (size_t)w + 2 * (size_t)pad;
    float *xp = calloc((size_t)c * hp * wp, sizeof(float));
    if (!xp)
        return NULL;
    for (int i = 0; i < c; i++)
        for (int r = 0; r < h; r++) {
            const float *src = x + ((size_t)i * h + r) * w;
            float *dst = xp + ((size_t)i * hp + r + pad) * wp + pad;
            for (int q = 0; q < w; q++)
                dst[q] = fnrt_ref_act(src[q], act, alpha);
        }
    return xp;
}

fnrt_status fnrt_ref_conv2d(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    (void)ctx;
    const fnrt_conv_params *p = &op->p.conv;
    const fnrt_shape *xs = &op->in_shape[0], *ys = &op->out_shape;
    int ci = (int)xs->dims[0], h = (int)xs->dims[1], w = (int)xs->dims[2];
    int co = (int)ys->dims[0], ho = (int)ys->dims[1], wo = (int)ys->dims[2];
    int kh = p->kh, kw = p->kw, s = p->stride;
    const float *wt = args[1]->data;
    const float *bias = args[2] ? args[2]->data : NULL;
    const float *res = args[3] ? args[3]->data : NULL;
    float *y = args[4]->data;
    int hp = h + 2 * p->pad, wp = w + 2 * p->pad;

    float *xp = padded_input(args[0]->data, ci, h, w, p->pad, p->act_in, p->alpha_in);
    if (!xp)
        return fnrt_error(FNRT_ERR_NOMEM, "reference conv2d %s: out of memory", op->name);

    size_t plane = (size_t)ho * wo;
    for (int o = 0; o < co; o++) {
        float *yo = y + (size_t)o * plane;
        float b = bias ? bias[o] : 0.0f;
        for (size_t k = 0; k < plane; k++)
            yo[k] = 0.0f;
        for (int i = 0; i < ci; i++) {
            const float *xi = xp + (size_t)i * hp * wp;
            const float *wi = wt + ((size_t)o * ci + i) * kh * kw;
            for (int u = 0; u < kh; u++)
                for (int v = 0; v < kw; v++) {
                    float wv = wi[u * kw + v];
                    for (int r = 0; r < ho; r++) {
                        const float *xr = xi + (size_t)(r * s + u) * wp + v;
                        float *yr = yo + (size_t)r * wo;
                        if (s == 1)
                            for (int q = 0; q < wo; q++)
                                yr[q] += wv * xr[q];
                        else
                            for (int q = 0; q < wo; q++)
                                yr[q] += wv * xr[q * s];
                    }
                }
        }
        for (size_t k = 0; k < plane; k++) {
            float v = fnrt_ref_act(yo[k] + b, p->act_out, p->alpha_out);
            yo[k] = res ? v + res[(size_t)o * plane + k] : v;
        }
    }
    free(xp);
    return FNRT_OK;
}

fnrt_status fnrt_ref_deconv2d(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    (void)ctx;
    const fnrt_conv_params *p = &op->p.conv;
    const fnrt_shape *xs = &op->in_shape[0], *ys = &op->out_shape;
    int ci = (int)xs->dims[0], h = (int)xs->dims[1], w = (int)xs->dims[2];
    int co = (int)ys->dims[0], ho = (int)ys->dims[1], wo = (int)ys->dims[2];
    int k = p->kh, s = p->stride, pad = p->pad;
    const float *x = args[0]->data, *wt = args[1]->data;
    const float *bias = args[2] ? args[2]->data : NULL;
    float *y = args[3]->data;
    size_t plane = (size_t)ho * wo;

    float *xa = malloc((size_t)ci * h * w * sizeof(float));
    if (!xa)
        return fnrt_error(FNRT_ERR_NOMEM, "reference deconv2d %s: out of memory", op->name);
    for (size_t j = 0; j < (size_t)ci * h * w; j++)
        xa[j] = fnrt_ref_act(x[j], p->act_in, p->alpha_in);
    memset(y, 0, (size_t)co * plane * sizeof(float));

    /* scatter form: every input pixel adds its k x k footprint to the output */
    for (int i = 0; i < ci; i++)
        for (int o = 0; o < co; o++) {
            const float *wio = wt + ((size_t)i * co + o) * k * k;
            float *yo = y + (size_t)o * plane;
            const float *xi = xa + (size_t)i * h * w;
            for (int r = 0; r < h; r++)
                for (int u = 0; u < k; u++) {
                    int pr = r * s - pad + u;
                    if (pr < 0 || pr >= ho)
                        continue;
                    for (int q = 0; q < w; q++) {
                        float xv = xi[(size_t)r * w + q];
                        for (int v = 0; v < k; v++) {
                            int pq = q * s - pad + v;
                            if (pq >= 0 && pq < wo)
                                yo[(size_t)pr * wo + pq] += wio[u * k + v] * xv;
                        }
                    }
                }
        }
    for (int o = 0; o < co; o++) {
        float b = bias ? bias[o] : 0.0f;
        float *yo = y + (size_t)o * plane;
        for (size_t j = 0; j < plane; j++)
            yo[j] = fnrt_ref_act(yo[j] + b, p->act_out, p->alpha_out);
    }
    free(xa);
    return FNRT_OK;
}
