/* Reference backend: buffers and the op table. */
#include "backend/ref/ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static fnrt_status ref_create(const char *device, void **ctx)
{
    if (device && *device && strcmp(device, "0") != 0 && strcmp(device, "cpu") != 0)
        return fnrt_error(FNRT_ERR_INVALID_ARG,
                          "reference backend: unknown device '%s' (it has one device: 0 or cpu)",
                          device);
    *ctx = NULL;
    return FNRT_OK;
}

static void ref_destroy(void *ctx)
{
    (void)ctx;
}

static const char *ref_device_name(void *ctx)
{
    (void)ctx;
    return "reference (plain C, host CPU, 1 thread)";
}

static fnrt_status ref_buf_create(void *ctx, const fnrt_shape *shape, fnrt_buf **out)
{
    (void)ctx;
    size_t n_elems = fnrt_shape_elems(shape);
    fnrt_buf *b = calloc(1, sizeof *b);
    if (!b)
        return fnrt_error(FNRT_ERR_NOMEM, "reference backend: out of memory");
    b->n_elems = n_elems;
    b->data = calloc(n_elems ? n_elems : 1, sizeof(float));
    if (!b->data) {
        free(b);
        return fnrt_error(FNRT_ERR_NOMEM, "reference backend: cannot allocate %zu floats",
                          n_elems);
    }
    *out = b;
    return FNRT_OK;
}

static void ref_buf_free(void *ctx, fnrt_buf *b)
{
    (void)ctx;
    if (b) {
        free(b->data);
        free(b);
    }
}

static fnrt_status ref_buf_write(void *ctx, fnrt_buf *b, const float *src, size_t n_elems)
{
    (void)ctx;
    if (n_elems != b->n_elems)
        return fnrt_error(FNRT_ERR_INTERNAL, "reference backend: write of %zu elements into a "
                          "buffer of %zu", n_elems, b->n_elems);
    memcpy(b->data, src, n_elems * sizeof(float));
    return FNRT_OK;
}

static fnrt_status ref_buf_read(void *ctx, fnrt_buf *b, float *dst, size_t n_elems)
{
    (void)ctx;
    if (n_elems != b->n_elems)
        return fnrt_error(FNRT_ERR_INTERNAL, "reference backend: read of %zu elements from a "
                          "buffer of %zu", n_elems, b->n_elems);
    memcpy(dst, b->data, n_elems * sizeof(float));
    return FNRT_OK;
}

const fnrt_backend_ops fnrt_backend_ref = {
    .name = "ref",
    .create = ref_create,
    .destroy = ref_destroy,
    .device_name = ref_device_name,
    .buf_create = ref_buf_create,
    .buf_free = ref_buf_free,
    .buf_write = ref_buf_write,
    .buf_read = ref_buf_read,
    .run = {
        [FNRT_OP_CONV2D] = fnrt_ref_conv2d,
        [FNRT_OP_DECONV2D] = fnrt_ref_deconv2d,
        [FNRT_OP_MAXPOOL] = fnrt_ref_maxpool,
        [FNRT_OP_UPSAMPLE2X] = fnrt_ref_upsample2x,
        [FNRT_OP_CONCAT] = fnrt_ref_concat,
        [FNRT_OP_GLOBAL_AVGPOOL] = fnrt_ref_global_avgpool,
        [FNRT_OP_MODULATE] = fnrt_ref_modulate,
        [FNRT_OP_GRAY] = fnrt_ref_gray,
        [FNRT_OP_L2NORM] = fnrt_ref_l2norm,
        [FNRT_OP_ADD] = fnrt_ref_add,
        [FNRT_OP_MAXMERGE] = fnrt_ref_maxmerge,
    },
    .finish = NULL,
};
