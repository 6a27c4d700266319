/* OpenCL backend: context, queue, buffers and the op table (fnrt_backend_opencl). */
#include "backend/opencl/opencl-internal.h"

#include <stdlib.h>
#include <string.h>

static fnrt_status cl_create(const char *device, void **out)
{
    fnrt_status st = FNRT_OK;
    cl_int err;
    *out = NULL;
    fnrt_cl_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return fnrt_error(FNRT_ERR_NOMEM, "opencl: out of memory");

    st = fnrt_cl_select_device(ctx, device);
    if (st != FNRT_OK)
        goto fail;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)ctx->platform,
                                     0};
    ctx->context = clCreateContext(props, 1, &ctx->device, NULL, NULL, &err);
    if (!ctx->context || err != CL_SUCCESS) {
        st = fnrt_cl_fail(err, "clCreateContext");
        goto fail;
    }
    /* OpenCL 1.2 API on purpose: oclgrind via the ICD loader spins on the 2.0 variant */
    ctx->queue = clCreateCommandQueue(ctx->context, ctx->device, 0, &err);
    if (!ctx->queue || err != CL_SUCCESS) {
        st = fnrt_cl_fail(err, "clCreateCommandQueue");
        goto fail;
    }
    st = fnrt_cl_tune_init(ctx);
    if (st != FNRT_OK)
        goto fail;
    fnrt_cl_cache_init(ctx);
    ctx->dummy = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, 64, NULL, &err);
    if (!ctx->dummy || err != CL_SUCCESS) {
        st = fnrt_cl_fail(err, "clCreateBuffer(64 bytes)");
        goto fail;
    }
    *out = ctx;
    return FNRT_OK;
fail:
    if (ctx->queue)
        clReleaseCommandQueue(ctx->queue);
    if (ctx->context)
        clReleaseContext(ctx->context);
    free(ctx);
    return st;
}

static void cl_destroy(void *vctx)
{
    fnrt_cl_ctx *ctx = vctx;
    if (!ctx)
        return;
    clFinish(ctx->queue);
    fnrt_cl_programs_release(ctx);
    fnrt_cl_free(ctx, ctx->scratch, ctx->scratch_n_bytes);
    clReleaseMemObject(ctx->dummy);
    clReleaseCommandQueue(ctx->queue);
    clReleaseContext(ctx->context);
    free(ctx);
}

static const char *cl_device_name(void *vctx)
{
    fnrt_cl_ctx *ctx = vctx;
    return ctx ? ctx->name : "opencl (no device)";
}

fnrt_status fnrt_cl_alloc(fnrt_cl_ctx *ctx, size_t n_bytes, const char *what, cl_mem *out)
{
    cl_int err;
    *out = NULL;
    if (n_bytes == 0)
        n_bytes = sizeof(float); /* size 0 is CL_INVALID_BUFFER_SIZE */
    if (ctx->max_alloc_bytes && (cl_ulong)n_bytes > ctx->max_alloc_bytes)
        return fnrt_error(FNRT_ERR_NOMEM,
                          "opencl: %s needs %zu bytes (%.1f MiB), more than the device's maximum "
                          "single allocation CL_DEVICE_MAX_MEM_ALLOC_SIZE = %llu bytes",
                          what, n_bytes, (double)n_bytes / 1048576.0,
                          (unsigned long long)ctx->max_alloc_bytes);
    if (ctx->global_mem_bytes &&
        ctx->n_bytes_allocated + (cl_ulong)n_bytes > ctx->global_mem_bytes)
        return fnrt_error(FNRT_ERR_NOMEM,
                          "opencl: %s needs %zu bytes but %llu of the device's %llu bytes "
                          "(CL_DEVICE_GLOBAL_MEM_SIZE) are already in use",
                          what, n_bytes, (unsigned long long)ctx->n_bytes_allocated,
                          (unsigned long long)ctx->global_mem_bytes);
    cl_mem m = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, n_bytes, NULL, &err);
    if (!m || err != CL_SUCCESS) {
        char msg[160];
        snprintf(msg, sizeof msg, "clCreateBuffer(%zu bytes) for %s", n_bytes, what);
        return fnrt_cl_fail(err, msg);
    }
    ctx->n_bytes_allocated += n_bytes;
    *out = m;
    return FNRT_OK;
}

void fnrt_cl_free(fnrt_cl_ctx *ctx, cl_mem mem, size_t n_bytes)
{
    if (!mem)
        return;
    if (n_bytes == 0)
        n_bytes = sizeof(float);
    clReleaseMemObject(mem);
    ctx->n_bytes_allocated -= n_bytes < ctx->n_bytes_allocated ? n_bytes
                                                                : ctx->n_bytes_allocated;
}

fnrt_status fnrt_cl_scratch(fnrt_cl_ctx *ctx, size_t n_bytes, cl_mem *out)
{
    if (ctx->scratch && ctx->scratch_n_bytes >= n_bytes) {
        *out = ctx->scratch;
        return FNRT_OK;
    }
    /* released at once; kernels still queued on the old one keep it alive */
    fnrt_cl_free(ctx, ctx->scratch, ctx->scratch_n_bytes);
    ctx->scratch = NULL;
    ctx->scratch_n_bytes = 0;
    fnrt_status st = fnrt_cl_alloc(ctx, n_bytes, "the im2col scratch buffer", &ctx->scratch);
    if (st != FNRT_OK)
        return st;
    ctx->scratch_n_bytes = n_bytes;
    *out = ctx->scratch;
    return FNRT_OK;
}

static fnrt_status cl_buf_create(void *vctx, const fnrt_shape *shape, fnrt_buf **out)
{
    fnrt_cl_ctx *ctx = vctx;
    *out = NULL;
    if (!shape || shape->ndim < 1 || shape->ndim > 4)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: buffer shape with %d dims",
                          shape ? shape->ndim : -1);
    size_t n_elems = 1;
    for (int i = 0; i < shape->ndim; i++) {
        if (shape->dims[i] < 1 || (uint64_t)shape->dims[i] > SIZE_MAX / sizeof(float) / n_elems)
            return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: buffer dim %d is %lld", i,
                              (long long)shape->dims[i]);
        n_elems *= (size_t)shape->dims[i];
    }
    fnrt_buf *b = calloc(1, sizeof *b);
    if (!b)
        return fnrt_error(FNRT_ERR_NOMEM, "opencl: out of memory");
    char what[96];
    snprintf(what, sizeof what, "a buffer of %zu floats", n_elems);
    fnrt_status st = fnrt_cl_alloc(ctx, n_elems * sizeof(float), what, &b->mem);
    if (st != FNRT_OK) {
        free(b);
        return st;
    }
    b->n_elems = n_elems;
    *out = b;
    return FNRT_OK;
}

static void cl_buf_free(void *vctx, fnrt_buf *b)
{
    fnrt_cl_ctx *ctx = vctx;
    if (!b)
        return;
    fnrt_cl_free(ctx, b->mem, b->n_elems * sizeof(float));
    fnrt_cl_free(ctx, b->packed, b->packed_n_bytes);
    free(b);
}

static fnrt_status cl_buf_write(void *vctx, fnrt_buf *b, const float *src, size_t n_elems)
{
    fnrt_cl_ctx *ctx = vctx;
    if (!b || !src || n_elems != b->n_elems)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: write of %zu elements into a buffer "
                          "of %zu", n_elems, b ? b->n_elems : 0);
    cl_int err = clEnqueueWriteBuffer(ctx->queue, b->mem, CL_TRUE, 0, n_elems * sizeof(float),
                                      src, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return fnrt_cl_fail(err, "clEnqueueWriteBuffer");
    b->version = ++ctx->write_counter;
    return FNRT_OK;
}

static fnrt_status cl_buf_read(void *vctx, fnrt_buf *b, float *dst, size_t n_elems)
{
    fnrt_cl_ctx *ctx = vctx;
    if (!b || !dst || n_elems != b->n_elems)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: read of %zu elements from a buffer "
                          "of %zu", n_elems, b ? b->n_elems : 0);
    cl_int err = clEnqueueReadBuffer(ctx->queue, b->mem, CL_TRUE, 0, n_elems * sizeof(float),
                                     dst, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return fnrt_cl_fail(err, "clEnqueueReadBuffer");
    return FNRT_OK;
}

static fnrt_status cl_finish(void *vctx)
{
    fnrt_cl_ctx *ctx = vctx;
    cl_int err = clFinish(ctx->queue);
    if (err != CL_SUCCESS)
        return fnrt_cl_fail(err, "clFinish");
    return FNRT_OK;
}

void fnrt_opencl_cache_stats(void *vctx, unsigned *n_hits, unsigned *n_misses,
                             unsigned *n_broken)
{
    const fnrt_cl_ctx *ctx = vctx;
    if (n_hits)
        *n_hits = ctx ? ctx->cache_hits : 0;
    if (n_misses)
        *n_misses = ctx ? ctx->cache_misses : 0;
    if (n_broken)
        *n_broken = ctx ? ctx->cache_broken : 0;
}

const char *fnrt_opencl_cache_dir(void *vctx)
{
    const fnrt_cl_ctx *ctx = vctx;
    return ctx ? ctx->cache_dir : "";
}

const fnrt_backend_ops fnrt_backend_opencl = {
    .name = "opencl",
    .create = cl_create,
    .destroy = cl_destroy,
    .device_name = cl_device_name,
    .buf_create = cl_buf_create,
    .buf_free = cl_buf_free,
    .buf_write = cl_buf_write,
    .buf_read = cl_buf_read,
    .run = {
        [FNRT_OP_CONV2D] = fnrt_cl_conv2d,
        [FNRT_OP_DECONV2D] = fnrt_cl_deconv2d,
        [FNRT_OP_MAXPOOL] = fnrt_cl_maxpool,
        [FNRT_OP_UPSAMPLE2X] = fnrt_cl_upsample2x,
        [FNRT_OP_CONCAT] = fnrt_cl_concat,
        [FNRT_OP_GLOBAL_AVGPOOL] = fnrt_cl_global_avgpool,
        [FNRT_OP_MODULATE] = fnrt_cl_modulate,
        [FNRT_OP_GRAY] = fnrt_cl_gray,
        [FNRT_OP_L2NORM] = fnrt_cl_l2norm,
    },
    .finish = cl_finish,
};
