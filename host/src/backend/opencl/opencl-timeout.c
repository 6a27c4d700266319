/* OpenCL backend: bounded waits (finish_timeout) and the test hook that makes a device
 * busy on purpose (fnrt_opencl_enqueue_test_spin).
 *
 * finish_timeout enqueues a marker on every queue in use and polls the markers' execution
 * status with short sleeps.  OpenCL (and PoCL) cannot cancel a kernel that is running, so
 * on timeout the context is marked dead and abandoned: every later call fails fast with
 * FNRT_ERR_TIMEOUT, and destroy/buf_free leak the context's device objects rather than
 * release them under a kernel that may still be using them (or block in clFinish).  A
 * process that keeps creating sessions after timeouts leaks one context per timeout. */
#include "backend/opencl/opencl-internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

fnrt_status fnrt_cl_dead(const void *ctx)
{
    (void)ctx;
    return fnrt_error(FNRT_ERR_TIMEOUT, "opencl: session abandoned after a timeout (the device "
                      "may still be running its work); create a new one");
}

fnrt_status fnrt_cl_finish_timeout(void *vctx, double seconds)
{
    fnrt_cl_ctx *ctx = vctx;
    cl_event marks[FNRT_BACKEND_MAX_QUEUES] = {0};
    fnrt_status st = FNRT_OK;
    if (ctx->dead)
        return fnrt_cl_dead(ctx);
    if (!(seconds > 0.0))
        return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: wait bound %g s (must be > 0)",
                          seconds);
    double t_end = mono_now() + seconds;
    for (int q = 0; q < FNRT_BACKEND_MAX_QUEUES; q++) {
        if (!ctx->queues[q])
            continue;
        cl_int err = clEnqueueMarkerWithWaitList(ctx->queues[q], 0, NULL, &marks[q]);
        if (err == CL_SUCCESS)
            err = clFlush(ctx->queues[q]);
        if (err != CL_SUCCESS) {
            st = fnrt_cl_fail(err, "clEnqueueMarkerWithWaitList (bounded wait)");
            goto done;
        }
    }
    double nap = 50e-6;
    for (;;) {
        int pending = 0;
        for (int q = 0; q < FNRT_BACKEND_MAX_QUEUES; q++) {
            if (!marks[q])
                continue;
            cl_int status = CL_QUEUED;
            cl_int err = clGetEventInfo(marks[q], CL_EVENT_COMMAND_EXECUTION_STATUS,
                                        sizeof status, &status, NULL);
            if (err != CL_SUCCESS) {
                st = fnrt_cl_fail(err, "clGetEventInfo (bounded wait)");
                goto done;
            }
            if (status < 0) {
                st = fnrt_cl_fail(status, "a command on the device failed");
                goto done;
            }
            if (status != CL_COMPLETE)
                pending = 1;
        }
        if (!pending)
            break;
        double now = mono_now();
        if (now >= t_end) {
            ctx->dead = 1;
            st = fnrt_error(FNRT_ERR_TIMEOUT, "opencl: device work did not finish within "
                            "%.3g s on %s; abandoned (a running kernel cannot be cancelled, "
                            "it may go on in the background); this session refuses further "
                            "work: create a new one", seconds, ctx->name);
            goto done;
        }
        sleep_s(nap < t_end - now ? nap : t_end - now);
        if (nap < 2e-3)
            nap *= 2.0;
    }
done:
    for (int q = 0; q < FNRT_BACKEND_MAX_QUEUES; q++)
        if (marks[q])
            clReleaseEvent(marks[q]); /* an incomplete event may be released: refcounted */
    return st;
}

/* ---- test hook: a deliberately slow kernel ---- */

static const char *spin_src =
    "__kernel void fnrt_test_spin(__global float *out, int n, float a, float b)\n"
    "{\n"
    "    float x = out[0];\n"
    "    for (int i = 0; i < n; i++)\n"
    "        x = x * a + b;\n"
    "    out[0] = x;\n"
    "}\n";

fnrt_status fnrt_opencl_enqueue_test_spin(void *vctx, double seconds)
{
    fnrt_cl_ctx *ctx = vctx;
    cl_int err;
    if (ctx->dead)
        return fnrt_cl_dead(ctx);
    cl_program prog = clCreateProgramWithSource(ctx->context, 1, &spin_src, NULL, &err);
    if (!prog || err != CL_SUCCESS)
        return fnrt_cl_fail(err, "clCreateProgramWithSource (test spin)");
    if ((err = clBuildProgram(prog, 1, &ctx->device, "", NULL, NULL)) != CL_SUCCESS)
        return fnrt_cl_fail(err, "clBuildProgram (test spin)");
    cl_kernel k = clCreateKernel(prog, "fnrt_test_spin", &err);
    if (!k || err != CL_SUCCESS)
        return fnrt_cl_fail(err, "clCreateKernel (test spin)");
    cl_mem out = NULL;
    fnrt_status st = fnrt_cl_alloc(ctx, 64, "the test spin kernel", &out);
    if (st != FNRT_OK)
        return st;
    cl_float a = 0.999999f, b = 1e-6f, zero = 0.0f;
    if ((err = clEnqueueWriteBuffer(ctx->queue, out, CL_TRUE, 0, sizeof zero, &zero, 0, NULL,
                                    NULL)) != CL_SUCCESS)
        return fnrt_cl_fail(err, "clEnqueueWriteBuffer (test spin)");
    /* calibrate: time a short run (the first one includes code generation) */
    size_t one = 1;
    cl_int n = 1 << 16;
    double dt = 0.0;
    for (int rep = 0; rep < 8; rep++) {
        err = clSetKernelArg(k, 0, sizeof out, &out);
        err |= clSetKernelArg(k, 1, sizeof n, &n);
        err |= clSetKernelArg(k, 2, sizeof a, &a);
        err |= clSetKernelArg(k, 3, sizeof b, &b);
        double t0 = mono_now();
        if (err == CL_SUCCESS)
            err = clEnqueueNDRangeKernel(ctx->queue, k, 1, NULL, &one, &one, 0, NULL, NULL);
        if (err == CL_SUCCESS)
            err = clFinish(ctx->queue);
        if (err != CL_SUCCESS)
            return fnrt_cl_fail(err, "the test spin kernel (calibration)");
        dt = mono_now() - t0;
        if (rep >= 1 && dt > 0.02)
            break;
        if (rep >= 1 && n < (1 << 28))
            n *= 4;
    }
    double per_iter = dt / (double)n;
    double want = seconds / (per_iter > 1e-12 ? per_iter : 1e-12);
    cl_int n_run = want > 2e9 ? 2000000000 : (cl_int)want;
    err = clSetKernelArg(k, 1, sizeof n_run, &n_run);
    if (err == CL_SUCCESS)
        err = clEnqueueNDRangeKernel(ctx->queue, k, 1, NULL, &one, &one, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clFlush(ctx->queue);
    if (err != CL_SUCCESS)
        return fnrt_cl_fail(err, "clEnqueueNDRangeKernel (test spin)");
    /* the kernel, program and buffer stay alive as long as the command needs them
     * (OpenCL reference counting); ours are dropped now */
    clReleaseKernel(k);
    clReleaseProgram(prog);
    fnrt_cl_free(ctx, out, 64);
    return FNRT_OK;
}
