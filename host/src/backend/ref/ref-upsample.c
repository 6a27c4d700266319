/* Reference bilinear x2 upsampling (align_corners False or True). */
#include "backend/ref/ref.h"

/* Source coordinate of destination index d (upscale by 2 from n to 2n samples). */
static void src_coord(int d, int n, int align_corners, int *i0, int *i1, float *frac)
{
    float sc;
    if (align_corners)
        sc = n > 1 ? (float)d * (float)(n - 1) / (float)(2 * n - 1) : 0.0f;
    else {
        sc = ((float)d + 0.5f) * 0.5f - 0.5f;
        if (sc < 0.0f)
            sc = 0.0f;
    }
    int lo = (int)sc;
    if (lo > n - 1)
        lo = n - 1;
    *i0 = lo;
    *i1 = lo + 1 < n ? lo + 1 : n - 1;
    *frac = sc - (float)lo;
}

fnrt_status fnrt_ref_upsample2x(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    (void)ctx;
    int c = (int)op->in_shape[0].dims[0], h = (int)op->in_shape[0].dims[1],
        w = (int)op->in_shape[0].dims[2];
    int ho = 2 * h, wo = 2 * w, ac = op->p.up.align_corners;
    const float *x = args[0]->data;
    float *y = args[1]->data;
    for (int ch = 0; ch < c; ch++) {
        const float *xc = x + (size_t)ch * h * w;
        for (int r = 0; r < ho; r++) {
            int r0, r1;
            float fr;
            src_coord(r, h, ac, &r0, &r1, &fr);
            for (int q = 0; q < wo; q++) {
                int q0, q1;
                float fq;
                src_coord(q, w, ac, &q0, &q1, &fq);
                float top = xc[(size_t)r0 * w + q0] * (1.0f - fq) + xc[(size_t)r0 * w + q1] * fq;
                float bot = xc[(size_t)r1 * w + q0] * (1.0f - fq) + xc[(size_t)r1 * w + q1] * fq;
                y[((size_t)ch * ho + r) * wo + q] = top * (1.0f - fr) + bot * fr;
            }
        }
    }
    return FNRT_OK;
}
