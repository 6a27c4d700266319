/* Reference pooling ops. */
#include "backend/ref/ref.h"

#include <float.h>

fnrt_status fnrt_ref_maxpool(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    (void)ctx;
    const fnrt_pool_params *p = &op->p.pool;
    int c = (int)op->in_shape[0].dims[0], h = (int)op->in_shape[0].dims[1],
        w = (int)op->in_shape[0].dims[2];
    int ho = (int)op->out_shape.dims[1], wo = (int)op->out_shape.dims[2];
    const float *x = args[0]->data;
    float *y = args[1]->data;
    for (int ch = 0; ch < c; ch++)
        for (int r = 0; r < ho; r++)
            for (int q = 0; q < wo; q++) {
                float m = -FLT_MAX;
                for (int u = 0; u < p->k; u++) {
                    int sr = r * p->stride - p->pad + u;
                    if (sr < 0 || sr >= h)
                        continue;
                    for (int v = 0; v < p->k; v++) {
                        int sq = q * p->stride - p->pad + v;
                        if (sq < 0 || sq >= w)
                            continue;
                        float xv = x[((size_t)ch * h + sr) * w + sq];
                        if (xv > m)
                            m = xv;
                    }
                }
                y[((size_t)ch * ho + r) * wo + q] = m;
            }
    return FNRT_OK;
}

fnrt_status fnrt_ref_global_avgpool(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    (void)ctx;
    int c = (int)op->in_shape[0].dims[0];
    size_t plane = (size_t)op->in_shape[0].dims[1] * (size_t)op->in_shape[0].dims[2];
    const float *x = args[0]->data;
    float *y = args[1]->data;
    for (int ch = 0; ch < c; ch++) {
        double sum = 0.0;
        for (size_t j = 0; j < plane; j++)
            sum += x[(size_t)ch * plane + j];
        y[ch] = (float)(sum / (double)plane);
    }
    return FNRT_OK;
}
