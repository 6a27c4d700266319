/* fnrt — OpenCL backend internals: the context, buffers, kernel table and the helpers shared
 * by the backend's source files (device selection, program build and cache, op launchers).
 * Private to host/src/backend/opencl/. */
#ifndef FNRT_BACKEND_OPENCL_INTERNAL_H
#define FNRT_BACKEND_OPENCL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "backend/opencl/opencl.h"

/* Tunables: passed to every program as -D<name>=<value>, values from the table in
 * opencl-program.c (per device type), overridable by $FNRT_OPENCL_TUNE. */
typedef enum fnrt_cl_tunable {
    FNRT_CL_TUNE_CONV_OB = 0, /* output channels per conv work-item: 1..32 */
    FNRT_CL_TUNE_CONV_PW,     /* output pixels per conv work-item (vector width): 2,4,8,16 */
    FNRT_CL_TUNE_CONV_LS,     /* local size of the conv/deconv kernels */
    FNRT_CL_TUNE_EW_LS,       /* local size of the element-wise kernels */
    FNRT_CL_TUNE_RED_LS,      /* local size of reductions (power of two) */
    FNRT_CL_TUNE_COUNT
} fnrt_cl_tunable;

/* Program sources: one per kernels_cl/ file. */
typedef enum fnrt_cl_prog {
    FNRT_CL_PROG_CONV = 0,
    FNRT_CL_PROG_DECONV,
    FNRT_CL_PROG_POOL,
    FNRT_CL_PROG_UPSAMPLE,
    FNRT_CL_PROG_MODCONV,
    FNRT_CL_PROG_ELEMENTWISE,
    FNRT_CL_PROG_PEAK,
    FNRT_CL_PROG_COUNT
} fnrt_cl_prog;

/* Kernels, each in one program. */
typedef enum fnrt_cl_kern {
    FNRT_CL_K_CONV_PACK = 0,
    FNRT_CL_K_CONV_IM2COL,
    FNRT_CL_K_CONV,
    FNRT_CL_K_CONV_K1S1,
    FNRT_CL_K_CONV_K3S1,
    FNRT_CL_K_CONV_K4S2,
    FNRT_CL_K_CONV_K5S2,
    FNRT_CL_K_CONV_K7S2,
    FNRT_CL_K_CONV_K3S2,
    FNRT_CL_K_CONV_K1S2,
    FNRT_CL_K_DECONV_PACK_PHASES,
    FNRT_CL_K_DECONV_IM2COL,
    FNRT_CL_K_DECONV,
    FNRT_CL_K_DECONV_K4S2,
    FNRT_CL_K_GLOBAL_AVGPOOL,
    FNRT_CL_K_MODULATE,
    FNRT_CL_K_GRAY,
    FNRT_CL_K_L2NORM,
    FNRT_CL_K_ACT,
    FNRT_CL_K_ADD,
    FNRT_CL_K_MAXMERGE,
    FNRT_CL_K_PEAK_FMA,
    FNRT_CL_K_UPSAMPLE2X,
    FNRT_CL_K_MAXPOOL,
    FNRT_CL_K_CONCAT,
    FNRT_CL_K_COUNT
} fnrt_cl_kern;

typedef struct fnrt_cl_ctx {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue; /* the current queue: queues[cur_queue] */
    cl_device_type type;
    /* In-order queues selected by set_queue (the session's stages); [0] is created with
     * the context, the others on first use. */
    cl_command_queue queues[FNRT_BACKEND_MAX_QUEUES];
    int cur_queue;

    char name[1024];     /* device_name(): one line */
    char cache_id[1024]; /* platform + device + version + driver, part of the cache key */
    char cache_dir[1024];
    cl_ulong max_alloc_bytes, global_mem_bytes, local_mem_bytes;
    size_t max_wg_size;

    int tune[FNRT_CL_TUNE_COUNT];
    char build_options[512];

    cl_program programs[FNRT_CL_PROG_COUNT];
    cl_kernel kernels[FNRT_CL_K_COUNT];
    cl_mem dummy; /* bound to absent optional arguments */
    /* Grow-only scratch (im2col), one per queue: reused by consecutive ops, safe on an
     * in-order queue. */
    cl_mem scratch[FNRT_BACKEND_MAX_QUEUES];
    size_t scratch_n_bytes[FNRT_BACKEND_MAX_QUEUES];

    uint64_t write_counter;     /* source of fnrt_buf.version */
    cl_ulong n_bytes_allocated; /* live device allocations made by this context */

    unsigned cache_hits, cache_misses, cache_broken;
    double build_s; /* seconds spent loading or compiling programs */

    /* Xilinx OpenCL flow: programs come from this xclbin (clCreateProgramWithBinary,
     * opencl-xclbin.c) instead of the kernel sources; "" = sources (opencl-program.c). */
    char xclbin[1024];
    /* Its sidecar's tunables (fnrt_cl_xclbin_sidecar; xclbin_tune_set once read), adopted by
     * fnrt_cl_tune_init instead of the table, and its platform. */
    int xclbin_tune[FNRT_CL_TUNE_COUNT];
    int xclbin_tune_set;
    char xclbin_platform[128];
    /* Set when finish_timeout gave up (opencl-timeout.c): the device may still be running
     * work of this context, so nothing may wait on it or release its objects any more. */
    int dead;
} fnrt_cl_ctx;

/* Packed-weight flavours (see kernels_cl/conv.cl, deconv.cl). */
enum {
    FNRT_CL_PACK_NONE = 0,
    FNRT_CL_PACK_CONV,
    FNRT_CL_PACK_DECONV_PHASES
};

struct fnrt_buf {
    cl_mem mem;
    size_t n_elems;
    /* Bumped on every write (buf_write or as an op's output): tells whether `packed` is
     * still a copy of the current contents. */
    uint64_t version;
    /* Channel-blocked copy of the contents when used as conv/deconv weights. */
    cl_mem packed;
    size_t packed_n_bytes;
    uint64_t packed_version;
    int packed_kind;
    int64_t packed_dims[5]; /* co, ci, kh, kw, stride it was packed for */
    int is_view;            /* mem aliases another buffer's (buf_view): not counted */
    int packed_only;        /* constant weights: mem released after prepare packed them */
};

/* A marker on a queue (the backend's queue/event extension); t_end is set by a completion
 * callback (host CLOCK_MONOTONIC seconds) once done is 1. */
struct fnrt_event {
    cl_event ev;
    _Atomic int done;
    double t_end;
};

/* opencl-device.c: picks the device for a selector string (see opencl.h), fills platform,
 * device, type, name, cache_id and the memory limits of ctx. */
fnrt_status fnrt_cl_select_device(fnrt_cl_ctx *ctx, const char *selector);

/* opencl-program.c */
/* Tunables from the table (by device type) and $FNRT_OPENCL_TUNE, or with an xclbin its
 * sidecar's (refused when a local size exceeds the device's maximum), validated; sets
 * build_options.  Needs type and max_wg_size. */
fnrt_status fnrt_cl_tune_init(fnrt_cl_ctx *ctx);
/* Sets cache_dir (created if needed), "" when no usable folder. */
void fnrt_cl_cache_init(fnrt_cl_ctx *ctx);
/* The kernel, building its program on first use. */
fnrt_status fnrt_cl_kernel(fnrt_cl_ctx *ctx, fnrt_cl_kern k, cl_kernel *out);
const char *fnrt_cl_kernel_name(fnrt_cl_kern k);
void fnrt_cl_programs_release(fnrt_cl_ctx *ctx);
/* The tables: the program (kernels_cl file) a kernel is in, its file name ("conv.cl"), the
 * name of a tunable ("FNRT_CONV_OB"); "?" (FNRT_CL_PROG_COUNT) out of range. */
fnrt_cl_prog fnrt_cl_kernel_prog(fnrt_cl_kern k);
const char *fnrt_cl_prog_file(fnrt_cl_prog p);
const char *fnrt_cl_tune_name(fnrt_cl_tunable t);
/* $FNRT_OPENCL_TUNE ("NAME=VALUE,..."): each value it sets into tune[t], and set[t] = 1. */
fnrt_status fnrt_cl_tune_env(int tune[FNRT_CL_TUNE_COUNT], int set[FNRT_CL_TUNE_COUNT]);
/* The ranges the kernels and launchers accept; `from` (may be "") ends the message, naming
 * where the values came from. */
fnrt_status fnrt_cl_tune_validate(const int tune[FNRT_CL_TUNE_COUNT], const char *from);
/* The sha256 (hex) of a program's source as this runtime would compile it. */
fnrt_status fnrt_cl_source_sha256(fnrt_cl_prog prog, char hex[65]);
/* FNRT_ERR_DEVICE naming file, the error, the build options and the start of the log. */
fnrt_status fnrt_cl_build_failure(fnrt_cl_ctx *ctx, cl_program prog, cl_int err,
                                  const char *file);

/* opencl-xclbin.c */
/* Xilinx flow: a device string "path/to/x.xclbin[:SEL]" names an xclbin (SEL, the usual
 * selector, is returned in *selector, NULL if absent); without one, $FNRT_XCLBIN.  Stores
 * the path in ctx->xclbin.  Then, before any OpenCL call (so that it is testable without the
 * Xilinx platform), fnrt_cl_xclbin_sidecar reads <xclbin>.json (io/xclbin-sidecar.h) and
 * refuses: a missing sidecar or one that does not match the file; an HLS-flow sidecar
 * (FNRT_ERR_UNSUPPORTED, "use -b xrt"); tunables missing, unknown, out of range or
 * contradicted by $FNRT_OPENCL_TUNE; a kernel of the kernel table that the sidecar does not
 * list from the same kernels_cl file; a kernels_cl source whose sha256 differs from this
 * runtime's.  On success it stores the tunables, which fnrt_cl_tune_init adopts.  After
 * device selection fnrt_cl_xclbin_check refuses a non-Xilinx platform or an unreadable
 * file.  All three are no-ops without an xclbin. */
fnrt_status fnrt_cl_xclbin_parse(fnrt_cl_ctx *ctx, const char *device, const char **selector,
                                 char *sel_buf, size_t n_sel_buf);
fnrt_status fnrt_cl_xclbin_sidecar(fnrt_cl_ctx *ctx);
fnrt_status fnrt_cl_xclbin_check(fnrt_cl_ctx *ctx);
/* The xclbin as the program of every kernel (clCreateProgramWithBinary once, then each
 * program slot holds a reference); called by the program build when ctx->xclbin is set. */
fnrt_status fnrt_cl_xclbin_build(fnrt_cl_ctx *ctx, fnrt_cl_prog pi);

/* opencl-backend.c: device allocation with the size checks (max alloc, global memory). */
fnrt_status fnrt_cl_alloc(fnrt_cl_ctx *ctx, size_t n_bytes, const char *what, cl_mem *out);
void fnrt_cl_free(fnrt_cl_ctx *ctx, cl_mem mem, size_t n_bytes);
/* The scratch buffer, grown to at least n_bytes. */
fnrt_status fnrt_cl_scratch(fnrt_cl_ctx *ctx, size_t n_bytes, cl_mem *out);

/* opencl-ops.c: op table entries. */
fnrt_status fnrt_cl_conv2d(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_cl_deconv2d(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_cl_maxpool(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_cl_upsample2x(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_cl_concat(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_cl_global_avgpool(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_cl_modulate(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_cl_gray(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_cl_l2norm(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_cl_add(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
fnrt_status fnrt_cl_maxmerge(void *ctx, const fnrt_op *op, fnrt_buf *const *args);

/* opencl-ops.c: the backend's prepare member (packs constant conv/deconv weights). */
fnrt_status fnrt_cl_prepare(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
/* The backend's run_band member (CONV2D only). */
fnrt_status fnrt_cl_conv2d_band(void *ctx, const fnrt_op *op, fnrt_buf *const *args,
                                const fnrt_band *band);

/* opencl-timeout.c: the backend's finish_timeout member, and the error every call on an
 * abandoned (dead) context returns. */
fnrt_status fnrt_cl_finish_timeout(void *ctx, double seconds);
fnrt_status fnrt_cl_dead(const void *ctx);

/* Error helper: FNRT_ERR_DEVICE (or FNRT_ERR_NOMEM for the out-of-memory codes) with
 * "opencl: <what>: <CL name> (<code>)". */
fnrt_status fnrt_cl_fail(cl_int err, const char *what);

#endif
