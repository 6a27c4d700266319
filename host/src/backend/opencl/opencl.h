/* fnrt — OpenCL backend: the helpers other parts of fnrt (the `fnrt devices` command, tests)
 * use besides the fnrt_backend_opencl op table (declared in fnrt/fnrt-backend.h).
 *
 * Device strings accepted by fnrt_backend_opencl.create():
 *   NULL or ""  the first GPU or accelerator of any platform, else the first device;
 *   "N"         the N-th device counted over all platforms in order (as listed below);
 *   "P:N"       device N of platform P;
 *   otherwise   a case-insensitive substring of "<platform name> <device name>".
 *
 * Environment:
 *   FNRT_KERNEL_DIR    read kernels_cl/<file>.cl from this folder instead of the copies
 *                      embedded at build time (development);
 *   FNRT_CACHE_DIR     folder of the compiled-program cache (else $XDG_CACHE_HOME/fnrt,
 *                      else ~/.cache/fnrt);
 *   FNRT_OPENCL_TUNE   "NAME=VALUE,..." overrides of the tuning table (FNRT_CONV_OB,
 *                      FNRT_CONV_PW, FNRT_CONV_LS, FNRT_EW_LS, FNRT_RED_LS).
 */
#ifndef FNRT_BACKEND_OPENCL_H
#define FNRT_BACKEND_OPENCL_H

#include <stdio.h>

#include "fnrt/fnrt-backend.h"

/* Prints every platform and device with its selector ("N" and "P:N"), name, vendor,
 * version, compute units, global memory and maximum allocation. */
fnrt_status fnrt_opencl_list_devices(FILE *out);

/* Name of an OpenCL error code ("CL_OUT_OF_RESOURCES"), "CL_UNKNOWN_ERROR" if unknown. */
const char *fnrt_cl_error_name(int code);

/* Program-cache counters of an OpenCL backend context (the ctx from create()): programs
 * loaded from the on-disk cache, and programs compiled from source (misses, including
 * broken cache entries, which are counted in n_broken as well).  Any pointer may be NULL. */
void fnrt_opencl_cache_stats(void *ctx, unsigned *n_hits, unsigned *n_misses,
                             unsigned *n_broken);

/* Folder of the program cache the context uses ("" if caching is off because no folder
 * could be determined or created). */
const char *fnrt_opencl_cache_dir(void *ctx);

/* Seconds an OpenCL backend context spent loading programs from the cache or compiling
 * them (programs are built at first use). */
double fnrt_opencl_build_seconds(void *ctx);

/* Measures the device's float32 FMA throughput with kernels_cl/peak.cl (best of a few runs
 * of ~0.1 s, after a warm-up that includes code generation): *gflops in GFLOP/s. */
fnrt_status fnrt_opencl_measure_peak(void *ctx, double *gflops);


/* Test hook (opencl-timeout.c): enqueues, on the context's current queue, a single
 * work-item kernel calibrated to run about `seconds` (for the bounded-wait tests) and
 * returns without waiting for it. */
fnrt_status fnrt_opencl_enqueue_test_spin(void *ctx, double seconds);

#endif
