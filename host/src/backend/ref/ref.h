/* Plain-C reference backend: the oracle every other backend is tested against.
 * Buffers are host float arrays in the canonical (C,H,W) layout. */
#ifndef FNRT_BACKEND_REF_H
#define FNRT_BACKEND_REF_H

#include <math.h>

#include "fnrt/fnrt-backend.h"

struct fnrt_buf {
    size_t n_elems;
    float *data;
};

/* Op implementations (one file per op family). */
fnrt_status fnrt_ref_conv2d(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_ref_deconv2d(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_ref_maxpool(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_ref_global_avgpool(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_ref_upsample2x(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_ref_concat(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_ref_modulate(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_ref_gray(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_ref_l2norm(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_ref_add(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_ref_maxmerge(void *ctx, const fnrt_op *op, fnrt_buf *const *args);

/* Activation as defined in fnrt-backend.h. */
static inline float fnrt_ref_act(float x, fnrt_act act, float alpha)
{
    switch (act) {
    case FNRT_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case FNRT_ACT_LEAKY: return x >= 0.0f ? x : alpha * x;
    case FNRT_ACT_TANH: return tanhf(x);
    case FNRT_ACT_NONE: break;
    }
    return x;
}

#endif
