/* Reference merge ops: residual add (FNRT_OP_ADD) and the channel-slice max-merge of the
 * cross-modal decoder (FNRT_OP_MAXMERGE).  Semantics in fnrt-backend.h. */
#include "backend/ref/ref.h"

#include <math.h>
#include <string.h>

fnrt_status fnrt_ref_add(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    (void)ctx;
    size_t n_elems = fnrt_shape_elems(&op->out_shape);
    const float *a = args[0]->data, *b = args[1]->data;
    float *y = args[2]->data;
    for (size_t j = 0; j < n_elems; j++)
        y[j] = fnrt_ref_act(a[j] + b[j], op->p.add.act, op->p.add.alpha);
    return FNRT_OK;
}

fnrt_status fnrt_ref_maxmerge(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    (void)ctx;
    const fnrt_shape *xs = &op->in_shape[0];
    size_t plane = (size_t)xs->dims[1] * (size_t)xs->dims[2];
    size_t n_kept = (size_t)op->p.merge.k * plane;
    size_t n_elems = (size_t)xs->dims[0] * plane;
    const float *x = args[0]->data, *skip = args[1]->data;
    float *y = args[2]->data;
    memcpy(y, x, n_kept * sizeof(float));
    for (size_t j = n_kept; j < n_elems; j++)
        y[j] = fmaxf(x[j], skip[j - n_kept]);
    return FNRT_OK;
}
