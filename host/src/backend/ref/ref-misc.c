/* Reference channel ops: concat, weight modulation, gray, per-pixel L2 normalisation. */
#include "backend/ref/ref.h"

#include <math.h>
#include <string.h>

fnrt_status fnrt_ref_concat(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    (void)ctx;
    const fnrt_shape *as = &op->in_shape[0], *bs = &op->in_shape[1];
    size_t plane = (size_t)as->dims[1] * (size_t)as->dims[2];
    int ca = (int)as->dims[0], cb = (int)bs->dims[0], st = op->p.cat.stride_b;
    float *y = args[2]->data;
    memcpy(y, args[0]->data, (size_t)ca * plane * sizeof(float));
    int oc = ca;
    for (int ch = 0; ch < cb; ch += st, oc++)
        memcpy(y + (size_t)oc * plane, args[1]->data + (size_t)ch * plane, plane * sizeof(float));
    return FNRT_OK;
}

fnrt_status fnrt_ref_modulate(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    (void)ctx;
    const fnrt_shape *ws = &op->in_shape[0];
    int co = (int)ws->dims[0], ci = (int)ws->dims[1];
    size_t kk = (size_t)ws->dims[2] * (size_t)ws->dims[3];
    const float *w = args[0]->data, *s = args[1]->data;
    float *y = args[2]->data;
    for (int o = 0; o < co; o++) {
        double sumsq = 0.0;
        for (int i = 0; i < ci; i++)
            for (size_t k = 0; k < kk; k++) {
                size_t j = ((size_t)o * ci + i) * kk + k;
                float t = op->p.mod.scale * w[j] * s[i];
                y[j] = t;
                sumsq += (double)t * t;
            }
        float d = (float)(1.0 / sqrt(sumsq + op->p.mod.eps));
        for (size_t j = (size_t)o * ci * kk; j < (size_t)(o + 1) * ci * kk; j++)
            y[j] *= d;
    }
    return FNRT_OK;
}

fnrt_status fnrt_ref_gray(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    (void)ctx;
    size_t plane = (size_t)op->in_shape[0].dims[1] * (size_t)op->in_shape[0].dims[2];
    const float *x = args[0]->data;
    float *y = args[1]->data;
    for (size_t j = 0; j < plane; j++)
        y[j] = (x[j] + x[plane + j] + x[2 * plane + j]) / 3.0f;
    return FNRT_OK;
}

fnrt_status fnrt_ref_l2norm(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    (void)ctx;
    size_t plane = (size_t)op->in_shape[0].dims[1] * (size_t)op->in_shape[0].dims[2];
    const float *x = args[0]->data;
    float *y = args[1]->data;
    for (size_t j = 0; j < plane; j++) {
        float a = x[j], b = x[plane + j], c = x[2 * plane + j];
        float n = sqrtf(a * a + b * b + c * c);
        float inv = 1.0f / fmaxf(n, op->p.l2.eps);
        a *= inv, b *= inv, c *= inv;
        if (op->p.l2.swizzle) {
            y[j] = b;
            y[plane + j] = -a;
        } else {
            y[j] = a;
            y[plane + j] = b;
        }
        y[2 * plane + j] = c;
    }
    return FNRT_OK;
}
