/* OpenCL backend: context, queue, buffers and the op table (fnrt_backend_opencl). */
#include "backend/opencl/opencl-internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static fnrt_status cl_create(const char *device, void **out)
{
    fnrt_status st = FNRT_OK;
    cl_int err;
    *out = NULL;
    fnrt_cl_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return fnrt_error(FNRT_ERR_NOMEM, "opencl: out of memory");

    char sel_buf[1024];
    const char *selector = device;
    st = fnrt_cl_xclbin_parse(ctx, device, &selector, sel_buf, sizeof sel_buf);
    if (st == FNRT_OK)
        st = fnrt_cl_xclbin_sidecar(ctx); /* Xilinx flow: before any OpenCL call */
    if (st == FNRT_OK)
        st = fnrt_cl_select_device(ctx, selector);
    if (st == FNRT_OK)
        st = fnrt_cl_xclbin_check(ctx); /* Xilinx flow: refuses other platforms */
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
    ctx->queues[0] = ctx->queue;
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
    if (ctx->dead)
        return; /* abandoned after a timeout: leaked, the device may still use it */
    for (int q = 0; q < FNRT_BACKEND_MAX_QUEUES; q++)
        if (ctx->queues[q])
            clFinish(ctx->queues[q]);
    fnrt_cl_programs_release(ctx);
    for (int q = 0; q < FNRT_BACKEND_MAX_QUEUES; q++)
        fnrt_cl_free(ctx, ctx->scratch[q], ctx->scratch_n_bytes[q]);
    clReleaseMemObject(ctx->dummy);
    for (int q = 0; q < FNRT_BACKEND_MAX_QUEUES; q++)
        if (ctx->queues[q])
            clReleaseCommandQueue(ctx->queues[q]);
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
    int q = ctx->cur_queue; /* one per queue: kernels of two queues may run concurrently */
    if (ctx->scratch[q] && ctx->scratch_n_bytes[q] >= n_bytes) {
        *out = ctx->scratch[q];
        return FNRT_OK;
    }
    /* released at once; kernels still queued on the old one keep it alive */
    fnrt_cl_free(ctx, ctx->scratch[q], ctx->scratch_n_bytes[q]);
    ctx->scratch[q] = NULL;
    ctx->scratch_n_bytes[q] = 0;
    fnrt_status st = fnrt_cl_alloc(ctx, n_bytes, "the im2col scratch buffer", &ctx->scratch[q]);
    if (st != FNRT_OK)
        return st;
    ctx->scratch_n_bytes[q] = n_bytes;
    *out = ctx->scratch[q];
    return FNRT_OK;
}

static fnrt_status cl_buf_create(void *vctx, const fnrt_shape *shape, fnrt_buf **out)
{
    fnrt_cl_ctx *ctx = vctx;
    *out = NULL;
    if (ctx->dead)
        return fnrt_cl_dead(ctx);
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
    if (ctx->dead) { /* a kernel still running may use it: leak the device memory */
        free(b);
        return;
    }
    if (b->is_view)
        clReleaseMemObject(b->mem);
    else
        fnrt_cl_free(ctx, b->mem, b->n_elems * sizeof(float));
    fnrt_cl_free(ctx, b->packed, b->packed_n_bytes);
    free(b);
}

static fnrt_status cl_buf_write(void *vctx, fnrt_buf *b, const float *src, size_t n_elems)
{
    fnrt_cl_ctx *ctx = vctx;
    if (ctx->dead)
        return fnrt_cl_dead(ctx);
    if (!b || !src || n_elems != b->n_elems)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: write of %zu elements into a buffer "
                          "of %zu", n_elems, b ? b->n_elems : 0);
    if (!b->mem)
        return fnrt_error(FNRT_ERR_INTERNAL, "opencl: write into constant weights that were "
                          "released after packing");
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
    if (ctx->dead)
        return fnrt_cl_dead(ctx);
    if (!b || !dst || n_elems != b->n_elems)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: read of %zu elements from a buffer "
                          "of %zu", n_elems, b ? b->n_elems : 0);
    if (!b->mem)
        return fnrt_error(FNRT_ERR_INTERNAL, "opencl: read of constant weights that were "
                          "released after packing");
    cl_int err = clEnqueueReadBuffer(ctx->queue, b->mem, CL_TRUE, 0, n_elems * sizeof(float),
                                     dst, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return fnrt_cl_fail(err, "clEnqueueReadBuffer");
    return FNRT_OK;
}

static fnrt_status cl_finish(void *vctx)
{
    fnrt_cl_ctx *ctx = vctx;
    if (ctx->dead)
        return fnrt_cl_dead(ctx);
    for (int q = 0; q < FNRT_BACKEND_MAX_QUEUES; q++) {
        if (!ctx->queues[q])
            continue;
        cl_int err = clFinish(ctx->queues[q]);
        if (err != CL_SUCCESS)
            return fnrt_cl_fail(err, "clFinish");
    }
    return FNRT_OK;
}

/* ---- the optional extension: views, queues, events ---- */

static fnrt_status cl_buf_view(void *vctx, fnrt_buf *base, const fnrt_shape *shape,
                               fnrt_buf **out)
{
    (void)vctx;
    *out = NULL;
    size_t n_elems = fnrt_shape_elems(shape);
    if (!base || !base->mem || n_elems == 0 || n_elems > base->n_elems)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: view of %zu elements on a buffer of "
                          "%zu", n_elems, base ? base->n_elems : 0);
    fnrt_buf *b = calloc(1, sizeof *b);
    if (!b)
        return fnrt_error(FNRT_ERR_NOMEM, "opencl: out of memory");
    cl_int err = clRetainMemObject(base->mem);
    if (err != CL_SUCCESS) {
        free(b);
        return fnrt_cl_fail(err, "clRetainMemObject");
    }
    b->mem = base->mem;
    b->n_elems = n_elems;
    b->is_view = 1;
    *out = b;
    return FNRT_OK;
}

static fnrt_status cl_set_queue(void *vctx, int q)
{
    fnrt_cl_ctx *ctx = vctx;
    if (ctx->dead)
        return fnrt_cl_dead(ctx);
    if (q < 0 || q >= FNRT_BACKEND_MAX_QUEUES)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: queue %d (0..%d)", q,
                          FNRT_BACKEND_MAX_QUEUES - 1);
    if (!ctx->queues[q]) {
        cl_int err;
        ctx->queues[q] = clCreateCommandQueue(ctx->context, ctx->device, 0, &err);
        if (!ctx->queues[q] || err != CL_SUCCESS) {
            ctx->queues[q] = NULL;
            return fnrt_cl_fail(err, "clCreateCommandQueue");
        }
    }
    ctx->cur_queue = q;
    ctx->queue = ctx->queues[q];
    return FNRT_OK;
}

static fnrt_status cl_buf_write_async(void *vctx, fnrt_buf *b, const float *src,
                                      size_t n_elems)
{
    fnrt_cl_ctx *ctx = vctx;
    if (!b || !b->mem || !src || n_elems != b->n_elems)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: write of %zu elements into a buffer "
                          "of %zu", n_elems, b ? b->n_elems : 0);
    cl_int err = clEnqueueWriteBuffer(ctx->queue, b->mem, CL_FALSE, 0, n_elems * sizeof(float),
                                      src, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return fnrt_cl_fail(err, "clEnqueueWriteBuffer");
    b->version = ++ctx->write_counter;
    return FNRT_OK;
}

static fnrt_status cl_buf_read_async(void *vctx, fnrt_buf *b, float *dst, size_t n_elems)
{
    fnrt_cl_ctx *ctx = vctx;
    if (!b || !b->mem || !dst || n_elems != b->n_elems)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: read of %zu elements from a buffer "
                          "of %zu", n_elems, b ? b->n_elems : 0);
    cl_int err = clEnqueueReadBuffer(ctx->queue, b->mem, CL_FALSE, 0, n_elems * sizeof(float),
                                     dst, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return fnrt_cl_fail(err, "clEnqueueReadBuffer");
    return FNRT_OK;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void CL_CALLBACK event_done(cl_event e, cl_int status, void *user)
{
    (void)e;
    (void)status;
    fnrt_event *ev = user;
    ev->t_end = mono_now();
    atomic_store(&ev->done, 1);
}

static fnrt_status cl_event_record(void *vctx, fnrt_event **out)
{
    fnrt_cl_ctx *ctx = vctx;
    *out = NULL;
    fnrt_event *ev = calloc(1, sizeof *ev);
    if (!ev)
        return fnrt_error(FNRT_ERR_NOMEM, "opencl: out of memory");
    cl_int err = clEnqueueMarkerWithWaitList(ctx->queue, 0, NULL, &ev->ev);
    if (err != CL_SUCCESS) {
        free(ev);
        return fnrt_cl_fail(err, "clEnqueueMarkerWithWaitList");
    }
    /* the time is a convenience (traces): without the callback, event_sync's own time */
    if (clSetEventCallback(ev->ev, CL_COMPLETE, event_done, ev) != CL_SUCCESS)
        atomic_store(&ev->done, -1);
    clFlush(ctx->queue);
    *out = ev;
    return FNRT_OK;
}

static fnrt_status cl_event_wait(void *vctx, fnrt_event *ev)
{
    fnrt_cl_ctx *ctx = vctx;
    if (!ev)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: event_wait(NULL)");
    cl_int err = clEnqueueBarrierWithWaitList(ctx->queue, 1, &ev->ev, NULL);
    if (err != CL_SUCCESS)
        return fnrt_cl_fail(err, "clEnqueueBarrierWithWaitList");
    return FNRT_OK;
}

static fnrt_status cl_event_sync(void *vctx, fnrt_event *ev, double *t_end)
{
    if (((fnrt_cl_ctx *)vctx)->dead)
        return fnrt_cl_dead(vctx);
    if (!ev)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: event_sync(NULL)");
    cl_int err = clWaitForEvents(1, &ev->ev);
    if (err != CL_SUCCESS)
        return fnrt_cl_fail(err, "clWaitForEvents");
    double t = mono_now();
    if (t_end) {
        /* the callback may still be on its way: wait for it briefly */
        for (int i = 0; i < 100000 && atomic_load(&ev->done) == 0; i++)
            ;
        *t_end = atomic_load(&ev->done) == 1 && ev->t_end <= t ? ev->t_end : t;
    }
    return FNRT_OK;
}

static void cl_event_free(void *vctx, fnrt_event *ev)
{
    if (!ev || ((fnrt_cl_ctx *)vctx)->dead)
        return; /* abandoned context: its events may never complete, leak them */
    /* the callback writes into ev: it must have run before ev goes */
    clWaitForEvents(1, &ev->ev);
    for (long i = 0; atomic_load(&ev->done) == 0; i++)
        if (i > 100000000L)
            break; /* a callback that never comes (driver bug): leak rather than hang */
    if (atomic_load(&ev->done) == 0)
        return;
    clReleaseEvent(ev->ev);
    free(ev);
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

double fnrt_opencl_build_seconds(void *vctx)
{
    const fnrt_cl_ctx *ctx = vctx;
    return ctx ? ctx->build_s : 0.0;
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
        [FNRT_OP_ADD] = fnrt_cl_add,
        [FNRT_OP_MAXMERGE] = fnrt_cl_maxmerge,
    },
    .finish = cl_finish,
    .buf_view = cl_buf_view,
    .prepare = fnrt_cl_prepare,
    .set_queue = cl_set_queue,
    .buf_write_async = cl_buf_write_async,
    .buf_read_async = cl_buf_read_async,
    .event_record = cl_event_record,
    .event_wait = cl_event_wait,
    .event_sync = cl_event_sync,
    .event_free = cl_event_free,
    .run_band = fnrt_cl_conv2d_band,
    .finish_timeout = fnrt_cl_finish_timeout,
};

/* ---- FMA peak (kernels_cl/peak.cl) ---- */

fnrt_status fnrt_opencl_measure_peak(void *vctx, double *gflops)
{
    fnrt_cl_ctx *ctx = vctx;
    /* FNRT_TEST_SMALL (tests, oclgrind): a token launch that only checks the kernel runs */
    const int small = getenv("FNRT_TEST_SMALL") != NULL;
    const size_t n_items = small ? 64 : 4096, local = 8;
    cl_kernel k;
    cl_mem out = NULL;
    fnrt_status st;
    *gflops = 0.0;
    if ((st = fnrt_cl_kernel(ctx, FNRT_CL_K_PEAK_FMA, &k)) != FNRT_OK)
        return st;
    if ((st = fnrt_cl_alloc(ctx, n_items * sizeof(float), "the peak benchmark", &out)) !=
        FNRT_OK)
        return st;
    cl_int n_iter = small ? 2 : 200, err = CL_SUCCESS;
    cl_float a = 0.999f, b = 0.001f;
    double best = 0.0;
    for (int rep = 0; rep < (small ? 3 : 6) && err == CL_SUCCESS; rep++) {
        err = clSetKernelArg(k, 0, sizeof out, &out);
        err |= clSetKernelArg(k, 1, sizeof n_iter, &n_iter);
        err |= clSetKernelArg(k, 2, sizeof a, &a);
        err |= clSetKernelArg(k, 3, sizeof b, &b);
        if (err != CL_SUCCESS)
            break;
        double t0 = mono_now();
        err = clEnqueueNDRangeKernel(ctx->queue, k, 1, NULL, &n_items, &local, 0, NULL, NULL);
        if (err == CL_SUCCESS)
            err = clFinish(ctx->queue);
        double dt = mono_now() - t0;
        double gf = (double)n_items * n_iter * 12.0 * 16.0 * 2.0 * 1e-9;
        if (rep >= 2 && gf / dt > best)
            best = gf / dt;
        if (!small && rep >= 1 && dt < 0.08) /* the first run includes code generation */
            n_iter = (cl_int)(n_iter * (0.1 / (dt > 1e-4 ? dt : 1e-4)));
    }
    fnrt_cl_free(ctx, out, n_items * sizeof(float));
    if (err != CL_SUCCESS)
        return fnrt_cl_fail(err, "the peak benchmark");
    *gflops = best;
    return FNRT_OK;
}
