/* XRT backend: runs each op on a CU of its HLS kernel through the native XRT C API.
 *
 * Flow.  create() reads the xclbin's metadata (xrt-xclbin.c), reads and checks the JSON
 * sidecar next to it (xrt-sidecar.c: sha256, uuid, flow, card, kernels/CUs/ports; a missing
 * sidecar is an error, an OpenCL-flow one is refused with "use -b opencl") which gives the
 * design: precision, lane count P, conv accumulator and line-buffer sizes; checks every
 * kernel it has against the table (xrt-kernels.c) and that the glue kernels fnrt_mm2s /
 * fnrt_s2mm are there; then opens the device and loads the xclbin.  prepare() (once per op at session creation) checks that the op's kernel
 * exists and that the op fits the design (xrt-args.c: line buffers, channel limits), and
 * packs the op's constant memory arguments into every bank a CU of its kernel reads them
 * from.  An op runs on one CU "fnrt_<op>_<n>" of its
 * kernel; each stream input is fed by the CU "mm2s_<op>_<n>_<port>" reading the input's
 * buffer, each stream output drained by "s2mm_<op>_<n>_<port>" (the stream_connect naming of
 * bitstreams/gen-config.py); memory arguments get the buffer itself.
 *
 * Buffers.  A fnrt_buf has a host copy (canonical float (C,H,W)) and up to
 * FNRT_XRT_MAX_BANKS device BOs, one per memory bank and device layout it was used in
 * (xrt-layout.c): blocked P-lane activations of the precision's act_t for stream arguments
 * (moved by the glue kernels), conv/deconv weights packed into the engine's P x P steps and
 * quantised to wt_t, float bias, modulate's raw weight as float steps.  A BO is allocated
 * (xrtBOAlloc with the group id XRT reports for the kernel argument, xrtKernelArgGroupId)
 * when an argument in that bank first uses the buffer, and filled by packing the host copy
 * (itself first unpacked from whichever BO is current); reading a buffer unpacks its
 * current BO.  Activations passed from op to op stay on the device in their layout.
 *
 * Arguments.  xrt-args.c computes every scalar (the C-simulation test uses the same code).
 * Conv/deconv run in bands of tile_rows output rows, tile_rows = fnrt_hls_tile_rows() of
 * the sidecar's FNRT_HLS_MAX_PIX and FNRT_HLS_LB_WORDS; the kernel loops over the bands
 * itself (one run per op: its input streams every row once, rows reused across bands stay
 * in its line buffer), its output s2mm and a conv's residual mm2s use band order with the
 * same tile_rows.  Counted in fnrt_xrt_stats.n_bands.
 *
 * Overlap.  run() starts the op's CUs (xrtRunStart) and returns; an op is waited for
 * (xrtRunWait) only when a later op uses one of its CUs or buffers, when a buffer it uses is
 * written, read or freed, or in finish().  So an upload (buf_write + xrtBOSync) into a buffer
 * no running op touches — e.g. the next image's input — overlaps the ops still running, and
 * ops on different CUs with no common buffer run concurrently; the glue and op CUs of one op
 * run concurrently by construction (streams).  There is no internal double buffering: a
 * write into a buffer a running op reads waits for that op (the session's own ping-pong
 * input buffers avoid that).  Counted in fnrt_xrt_stats.n_overlapped_uploads.
 *
 * Timings (fnrt_xrt_get_stats / fnrt_xrt_print_timings; FNRT_XRT_TIMINGS=1 prints them at
 * destroy): per op type the wall time from xrtRunStart of its first CU to the host seeing
 * all its CUs complete (an upper bound when the op was waited for late), and the time in
 * BO syncs (with the host copies) per direction.
 *
 * Checked without hardware: the host layouts, scalar arguments and band size against the
 * HLS kernels in C-simulation (tests/test_xrt_layout.cpp: pack with this code, run
 * fnrt_mm2s -> kernel -> fnrt_s2mm, unpack, compare with the reference backend; fp32, int16,
 * int8; and whole tiny networks op by op, activations staying in device layout); this file
 * end to end on a C-simulated card (tests/test_xrt_csim.cpp defines the XRT C calls made
 * here and runs the HLS kernels on the BOs' bytes: sessions on xrt vs ref); the flow under
 * XRT's noop shim (tests/test_xrt.c), where kernels compute nothing.
 * Not done yet: no run on a card or in sw_emu/hw_emu (no Vitis here), so XRT's real buffer
 * placement, the HLS struct packing of 512-bit weight words (assumed: element j at bits
 * j*B, little-endian) and timing are unverified; the sidecar's source_sha256 is not compared
 * (the host does not know the hash of the HLS sources a build used); activations are
 * (un)packed on the host on every upload/read (input image, outputs), not on the device. */
#ifdef FNRT_HAVE_XRT
#include "backend/xrt/xrt.h"
#include "backend/xrt/xrt-args.h"
#include "backend/xrt/xrt-internal.h"
#include "backend/xrt/xrt-layout.h"
#include "backend/xrt/xrt-sidecar.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xrt/xrt_bo.h>
#include <xrt/xrt_device.h>
#include <xrt/xrt_kernel.h>

#define FNRT_XRT_MAX_BANKS 8
#define FNRT_XRT_MAX_PENDING 16
#define FNRT_XRT_MAX_OP_CUS 8 /* op CU + glue CUs of one op */

struct fnrt_buf {
    size_t n_elems;
    fnrt_shape shape;
    float *host;
    int host_valid;
    int n_bo;
    int bank[FNRT_XRT_MAX_BANKS];
    fnrt_xrt_layout layout[FNRT_XRT_MAX_BANKS]; /* of bo[i] (xrt-layout.h) */
    size_t n_bytes[FNRT_XRT_MAX_BANKS];         /* of bo[i] */
    xrtBufferHandle bo[FNRT_XRT_MAX_BANKS];
    unsigned dev_valid; /* bit i: bo[i] holds the current data */
};

typedef struct xrt_cu {
    const fnrt_xrt_kernel_desc *desc;
    char kernel[65], name[65];
    xrtKernelHandle k; /* opened at first use */
    int busy;          /* a pending launch uses it */
} xrt_cu;

typedef struct xrt_launch {
    int used;
    fnrt_op_type type;
    double t_start;
    int n_runs;
    xrtRunHandle runs[FNRT_XRT_MAX_OP_CUS];
    int cus[FNRT_XRT_MAX_OP_CUS];
    int n_bufs;
    fnrt_buf *bufs[FNRT_OP_MAX_IN + 1];
} xrt_launch;

typedef struct xrt_ctx {
    char path[1024];
    fnrt_xrt_sidecar side; /* design parameters: precision, lanes, buffers */
    unsigned dev_index;
    char dev_name[1200];
    fnrt_xclbin *x;
    xrtDeviceHandle dev;
    xuid_t uuid;
    int n_cus;
    xrt_cu *cus;
    int cursor[FNRT_OP_COUNT]; /* round-robin over an op's CUs */
    xrt_launch pending[FNRT_XRT_MAX_PENDING];
    fnrt_xrt_stats st;
    fnrt_buf *dummy; /* bound to absent optional memory arguments */
} xrt_ctx;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static fnrt_status xrt_err(const char *what, int code)
{
    return fnrt_error(FNRT_ERR_DEVICE, "XRT backend: %s failed (XRT code %d, errno %d: %s)",
                      what, code, errno, strerror(errno));
}

/* ---- launches ---- */

static fnrt_status launch_wait(xrt_ctx *c, xrt_launch *l)
{
    fnrt_status st = FNRT_OK;
    for (int i = 0; i < l->n_runs; i++) {
        enum ert_cmd_state s = xrtRunWait(l->runs[i]);
        if (s != ERT_CMD_STATE_COMPLETED && st == FNRT_OK)
            st = fnrt_error(FNRT_ERR_DEVICE, "XRT backend: op %s: CU %s ended in state %d "
                            "(not completed)", fnrt_op_type_str(l->type),
                            c->cus[l->cus[i]].name, (int)s);
        xrtRunClose(l->runs[i]);
        c->cus[l->cus[i]].busy = 0;
    }
    c->st.n_runs[l->type]++;
    c->st.run_s[l->type] += now_s() - l->t_start;
    l->used = 0;
    return st;
}

static int launch_touches(const xrt_launch *l, const fnrt_buf *b)
{
    for (int i = 0; i < l->n_bufs; i++)
        if (l->bufs[i] == b)
            return 1;
    return 0;
}

/* Waits for every pending launch using buffer b (b NULL: all of them). */
static fnrt_status wait_buf(xrt_ctx *c, const fnrt_buf *b)
{
    fnrt_status st = FNRT_OK;
    for (int i = 0; i < FNRT_XRT_MAX_PENDING; i++)
        if (c->pending[i].used && (!b || launch_touches(&c->pending[i], b))) {
            fnrt_status s = launch_wait(c, &c->pending[i]);
            if (st == FNRT_OK)
                st = s;
        }
    return st;
}

static int any_pending(const xrt_ctx *c)
{
    for (int i = 0; i < FNRT_XRT_MAX_PENDING; i++)
        if (c->pending[i].used)
            return 1;
    return 0;
}

/* ---- buffers ---- */

/* The host copy into bo[i], packed into its layout (xrt-layout.h). */
static fnrt_status bo_upload(xrt_ctx *c, fnrt_buf *b, int i)
{
    size_t n_bytes = b->n_bytes[i];
    double t0 = now_s();
    if (any_pending(c))
        c->st.n_overlapped_uploads++;
    const void *src = b->host;
    void *packed = NULL;
    if (b->layout[i].kind != FNRT_XRT_LAYOUT_F32) {
        if (!(packed = malloc(n_bytes)))
            return fnrt_error(FNRT_ERR_NOMEM, "XRT backend: cannot allocate %zu bytes", n_bytes);
        fnrt_xrt_layout_pack(&c->side.design, &b->layout[i], b->host, packed);
        c->st.n_packs++;
        src = packed;
    }
    int e = xrtBOWrite(b->bo[i], src, n_bytes, 0);
    free(packed);
    if (e)
        return xrt_err("xrtBOWrite", e);
    e = xrtBOSync(b->bo[i], XCL_BO_SYNC_BO_TO_DEVICE, n_bytes, 0);
    if (e)
        return xrt_err("xrtBOSync (to device)", e);
    c->st.n_sync_to++;
    c->st.bytes_to += (double)n_bytes;
    c->st.sync_to_s += now_s() - t0;
    b->dev_valid |= 1u << i;
    return FNRT_OK;
}

/* Makes the host copy current. */
static fnrt_status host_fetch(xrt_ctx *c, fnrt_buf *b)
{
    if (b->host_valid)
        return FNRT_OK;
    for (int i = 0; i < b->n_bo; i++) {
        if (!(b->dev_valid & (1u << i)))
            continue;
        size_t n_bytes = b->n_bytes[i];
        double t0 = now_s();
        int e = xrtBOSync(b->bo[i], XCL_BO_SYNC_BO_FROM_DEVICE, n_bytes, 0);
        if (e)
            return xrt_err("xrtBOSync (from device)", e);
        if (b->layout[i].kind == FNRT_XRT_LAYOUT_F32) {
            e = xrtBORead(b->bo[i], b->host, n_bytes, 0);
        } else {
            void *packed = malloc(n_bytes);
            if (!packed)
                return fnrt_error(FNRT_ERR_NOMEM, "XRT backend: cannot allocate %zu bytes",
                                  n_bytes);
            e = xrtBORead(b->bo[i], packed, n_bytes, 0);
            if (!e) {
                fnrt_xrt_layout_unpack(&c->side.design, &b->layout[i], packed, b->host);
                c->st.n_unpacks++;
            }
            free(packed);
        }
        if (e)
            return xrt_err("xrtBORead", e);
        c->st.n_sync_from++;
        c->st.bytes_from += (double)n_bytes;
        c->st.sync_from_s += now_s() - t0;
        b->host_valid = 1;
        return FNRT_OK;
    }
    b->host_valid = 1; /* never written: zeros */
    return FNRT_OK;
}

/* The BO of b in memory bank `bank` with layout l, allocated and made current as needed
 * (packed from the host copy, which is first fetched from whichever BO is current); for an
 * output (write_only) nothing is copied. */
static fnrt_status buf_bo(xrt_ctx *c, fnrt_buf *b, int bank, const fnrt_xrt_layout *l,
                          int write_only, xrtBufferHandle *out)
{
    int i = 0;
    for (; i < b->n_bo; i++)
        if (b->bank[i] == bank && fnrt_xrt_layout_equal(&b->layout[i], l))
            break;
    if (i == b->n_bo) {
        if (b->n_bo == FNRT_XRT_MAX_BANKS)
            return fnrt_error(FNRT_ERR_LIMIT, "XRT backend: a buffer used in more than %d "
                              "memory banks and layouts", FNRT_XRT_MAX_BANKS);
        if (l->n_elems != b->n_elems)
            return fnrt_error(FNRT_ERR_INTERNAL, "XRT backend: layout of %zu elements for a "
                              "buffer of %zu", l->n_elems, b->n_elems);
        size_t n_bytes = fnrt_xrt_layout_bytes(&c->side.design, l);
        /* whole 4 KiB pages: XRT's shims aligned_alloc(4096, size), which needs a size that
         * is a multiple of the alignment (ASan enforces it) */
        size_t n_alloc = (n_bytes + 4095) / 4096 * 4096;
        xrtBufferHandle h = xrtBOAlloc(c->dev, n_alloc ? n_alloc : 4096, 0, (xrtMemoryGroup)bank);
        if (!h)
            return fnrt_error(FNRT_ERR_DEVICE, "XRT backend: xrtBOAlloc of %zu bytes in memory "
                              "bank %d failed (errno %d: %s)", n_bytes, bank, errno,
                              strerror(errno));
        b->bo[i] = h;
        b->bank[i] = bank;
        b->layout[i] = *l;
        b->n_bytes[i] = n_bytes;
        b->n_bo++;
    }
    if (!write_only && !(b->dev_valid & (1u << i))) {
        fnrt_status st = host_fetch(c, b);
        if (st == FNRT_OK)
            st = bo_upload(c, b, i);
        if (st != FNRT_OK)
            return st;
    }
    if (write_only) {
        b->dev_valid = 1u << i;
        b->host_valid = 0;
    }
    *out = b->bo[i];
    return FNRT_OK;
}

static fnrt_status xrt_buf_create(void *ctx, const fnrt_shape *shape, fnrt_buf **out)
{
    (void)ctx;
    fnrt_buf *b = calloc(1, sizeof *b);
    if (!b)
        return fnrt_error(FNRT_ERR_NOMEM, "XRT backend: out of memory");
    b->shape = *shape;
    b->n_elems = fnrt_shape_elems(shape);
    b->host = calloc(b->n_elems ? b->n_elems : 1, sizeof(float));
    if (!b->host) {
        size_t n_elems = b->n_elems;
        free(b);
        return fnrt_error(FNRT_ERR_NOMEM, "XRT backend: cannot allocate %zu floats", n_elems);
    }
    b->host_valid = 1;
    *out = b;
    return FNRT_OK;
}

static void xrt_buf_free(void *ctx, fnrt_buf *b)
{
    if (!b)
        return;
    wait_buf(ctx, b);
    for (int i = 0; i < b->n_bo; i++)
        xrtBOFree(b->bo[i]);
    free(b->host);
    free(b);
}

static fnrt_status xrt_buf_write(void *ctx, fnrt_buf *b, const float *src, size_t n_elems)
{
    xrt_ctx *c = ctx;
    if (n_elems != b->n_elems)
        return fnrt_error(FNRT_ERR_INTERNAL, "XRT backend: write of %zu elements into a buffer "
                          "of %zu", n_elems, b->n_elems);
    fnrt_status st = wait_buf(c, b);
    if (st != FNRT_OK)
        return st;
    memcpy(b->host, src, n_elems * sizeof(float));
    b->host_valid = 1;
    b->dev_valid = 0;
    /* eager upload into the banks it is used in: overlaps the ops still running */
    for (int i = 0; i < b->n_bo && st == FNRT_OK; i++)
        st = bo_upload(c, b, i);
    return st;
}

static fnrt_status xrt_buf_read(void *ctx, fnrt_buf *b, float *dst, size_t n_elems)
{
    xrt_ctx *c = ctx;
    if (n_elems != b->n_elems)
        return fnrt_error(FNRT_ERR_INTERNAL, "XRT backend: read of %zu elements from a buffer "
                          "of %zu", n_elems, b->n_elems);
    fnrt_status st = wait_buf(c, b);
    if (st == FNRT_OK)
        st = host_fetch(c, b);
    if (st == FNRT_OK)
        memcpy(dst, b->host, n_elems * sizeof(float));
    return st;
}

/* ---- ops ---- */

static int cu_find(const xrt_ctx *c, const char *name)
{
    for (int i = 0; i < c->n_cus; i++)
        if (strcmp(c->cus[i].name, name) == 0)
            return i;
    return -1;
}

static fnrt_status cu_open(xrt_ctx *c, int i)
{
    xrt_cu *cu = &c->cus[i];
    if (cu->k)
        return FNRT_OK;
    char spec[160];
    snprintf(spec, sizeof spec, "%s:{%s}", cu->kernel, cu->name);
    cu->k = xrtPLKernelOpen(c->dev, c->uuid, spec);
    if (!cu->k)
        return fnrt_error(FNRT_ERR_DEVICE, "XRT backend: xrtPLKernelOpen(%s) failed (errno %d: "
                          "%s)", spec, errno, strerror(errno));
    return FNRT_OK;
}

static fnrt_status set_scalar(xrtRunHandle r, int index, fnrt_xrt_arg_kind kind, int iv,
                              float fv)
{
    /* XRT reads a 4-byte scalar as uint32_t from the va_list: pass floats as their bits */
    uint32_t u;
    if (kind == FNRT_XRT_ARG_FLOAT)
        memcpy(&u, &fv, sizeof u);
    else
        u = (uint32_t)iv;
    int e = xrtRunSetArg(r, index, u);
    return e ? xrt_err("xrtRunSetArg (scalar)", e) : FNRT_OK;
}

static fnrt_status set_mem(xrt_ctx *c, int cu, xrtRunHandle r, int index, fnrt_buf *b,
                           const fnrt_xrt_layout *l, int write_only)
{
    fnrt_status st = cu_open(c, cu);
    if (st != FNRT_OK)
        return st;
    int bank = xrtKernelArgGroupId(c->cus[cu].k, index);
    if (bank < 0)
        return fnrt_error(FNRT_ERR_FORMAT, "XRT backend: CU %s argument %d '%s' is connected "
                          "to no memory bank (CONNECTIVITY)", c->cus[cu].name, index,
                          c->cus[cu].desc->args[index].name);
    xrtBufferHandle bo = NULL;
    st = buf_bo(c, b, bank, l, write_only, &bo);
    if (st != FNRT_OK)
        return st;
    int e = xrtRunSetArg(r, index, bo);
    return e ? xrt_err("xrtRunSetArg (buffer)", e) : FNRT_OK;
}

static fnrt_status add_run(xrt_ctx *c, xrt_launch *l, int cu, xrtRunHandle *r)
{
    fnrt_status st = cu_open(c, cu);
    if (st != FNRT_OK)
        return st;
    if (l->n_runs == FNRT_XRT_MAX_OP_CUS)
        return fnrt_error(FNRT_ERR_INTERNAL, "XRT backend: too many CUs for one op");
    *r = xrtRunOpen(c->cus[cu].k);
    if (!*r)
        return fnrt_error(FNRT_ERR_DEVICE, "XRT backend: xrtRunOpen(%s) failed (errno %d)",
                          c->cus[cu].name, errno);
    l->runs[l->n_runs] = *r;
    l->cus[l->n_runs++] = cu;
    c->cus[cu].busy = 1;
    return FNRT_OK;
}

/* The glue CU for stream port `port` of op CU `cu` ("fnrt_conv2d_1" -> "mm2s_conv2d_1_x"). */
static int glue_cu(const xrt_ctx *c, int cu, int input, const char *port)
{
    char name[160];
    snprintf(name, sizeof name, "%s_%s_%s", input ? "mm2s" : "s2mm", c->cus[cu].name + 5, port);
    return cu_find(c, name);
}

/* Picks a CU of kernel k: the next idle one round-robin, else waits for the next in turn. */
static fnrt_status pick_cu(xrt_ctx *c, const fnrt_xrt_kernel_desc *k, fnrt_op_type t, int *out)
{
    int n = 0;
    for (int i = 0; i < c->n_cus; i++)
        n += c->cus[i].desc == k;
    if (n == 0)
        return fnrt_error(FNRT_ERR_UNSUPPORTED, "XRT backend: xclbin %s has no CU of kernel %s "
                          "(needed by op %s)", c->path, k->name, fnrt_op_type_str(t));
    int first = -1;
    for (int j = 0; j < n; j++) {
        int want = (c->cursor[t] + j) % n, seen = 0;
        for (int i = 0; i < c->n_cus; i++) {
            if (c->cus[i].desc != k || seen++ != want)
                continue;
            if (j == 0)
                first = i;
            if (!c->cus[i].busy) {
                c->cursor[t] = (c->cursor[t] + j + 1) % n;
                *out = i;
                return FNRT_OK;
            }
        }
    }
    /* all busy: wait for the launch holding the next one in turn */
    for (int j = 0; j < FNRT_XRT_MAX_PENDING; j++) {
        xrt_launch *l = &c->pending[j];
        for (int r = 0; l->used && r < l->n_runs; r++)
            if (l->cus[r] == first) {
                fnrt_status st = launch_wait(c, l);
                if (st != FNRT_OK)
                    return st;
                break;
            }
    }
    c->cursor[t] = (c->cursor[t] + 1) % n;
    *out = first;
    return FNRT_OK;
}

static fnrt_status check_op(xrt_ctx *c, const fnrt_op *op, const fnrt_xrt_kernel_desc **kout)
{
    const fnrt_xrt_kernel_desc *k = fnrt_xrt_kernel_for_op(op->type);
    if (!k || !fnrt_xclbin_find_kernel(c->x, k->name))
        return fnrt_error(FNRT_ERR_UNSUPPORTED, "XRT backend: xclbin %s has no kernel %s, needed "
                          "by op '%s' (%s)", c->path, k ? k->name : "?", op->name,
                          fnrt_op_type_str(op->type));
    *kout = k;
    return FNRT_OK;
}

static fnrt_status xrt_run_op(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    xrt_ctx *c = ctx;
    const fnrt_xrt_kernel_desc *k;
    fnrt_status st = check_op(c, op, &k);
    if (st == FNRT_OK)
        st = fnrt_xrt_op_fits(op, &c->side.design);
    if (st != FNRT_OK)
        return st;
    /* the k-th buffer argument (memory or stream) of the kernel is fnrt argument k */
    int n_bufargs = 0;
    for (int a = 0; a < k->n_args; a++)
        n_bufargs += k->args[a].kind <= FNRT_XRT_ARG_STREAM_OUT;
    if (n_bufargs != op->n_in + 1)
        return fnrt_error(FNRT_ERR_INTERNAL, "XRT backend: op %s has %d buffers, kernel %s %d",
                          op->name, op->n_in + 1, k->name, n_bufargs);
    /* wait for launches this one depends on (any common buffer) */
    for (int i = 0; i <= op->n_in; i++)
        if (args[i] && (st = wait_buf(c, args[i])) != FNRT_OK)
            return st;
    int cu = -1;
    if ((st = pick_cu(c, k, op->type, &cu)) != FNRT_OK)
        return st;
    int slot = -1;
    for (int i = 0; i < FNRT_XRT_MAX_PENDING && slot < 0; i++)
        if (!c->pending[i].used)
            slot = i;
    if (slot < 0) {
        slot = 0;
        if ((st = launch_wait(c, &c->pending[0])) != FNRT_OK)
            return st;
    }
    xrt_launch *l = &c->pending[slot];
    memset(l, 0, sizeof *l);
    l->type = op->type;
    xrtRunHandle r;
    if ((st = add_run(c, l, cu, &r)) != FNRT_OK)
        goto fail;
    int bi = 0;
    const fnrt_xrt_design *dz = &c->side.design;
    int has_bias = op->n_in > 2 && args[2] != NULL, has_res = op->n_in > 3 && args[3] != NULL;
    for (int a = 0; a < k->n_args; a++) {
        const fnrt_xrt_arg_desc *d = &k->args[a];
        if (d->kind == FNRT_XRT_ARG_INT || d->kind == FNRT_XRT_ARG_FLOAT) {
            int iv;
            float fv;
            if (!fnrt_xrt_op_scalar(op, dz, has_bias, has_res, d->name, &iv, &fv)) {
                st = fnrt_error(FNRT_ERR_INTERNAL, "XRT backend: no value for argument '%s' of "
                                "%s", d->name, k->name);
                goto fail;
            }
            if ((st = set_scalar(r, a, d->kind, iv, fv)) != FNRT_OK)
                goto fail;
            continue;
        }
        int is_out = bi == op->n_in;
        fnrt_xrt_layout lay;
        if (args[bi])
            st = fnrt_xrt_layout_for_arg(op, bi, d->kind != FNRT_XRT_ARG_MEM, &lay);
        else
            fnrt_xrt_layout_f32(&c->dummy->shape, &lay);
        if (st != FNRT_OK)
            goto fail;
        fnrt_buf *b = args[bi++];
        if (d->kind == FNRT_XRT_ARG_MEM) {
            if ((st = set_mem(c, cu, r, a, b ? b : c->dummy, &lay, is_out)) != FNRT_OK)
                goto fail;
        } else if (b) {
            /* stream: its glue CU moves the buffer */
            int in = d->kind == FNRT_XRT_ARG_STREAM_IN;
            int g = glue_cu(c, cu, in, d->name);
            if (g < 0) {
                st = fnrt_error(FNRT_ERR_FORMAT, "XRT backend: xclbin %s has no %s CU for "
                                "stream %s.%s", c->path, in ? "fnrt_mm2s" : "fnrt_s2mm",
                                c->cus[cu].name, d->name);
                goto fail;
            }
            xrtRunHandle gr;
            if ((st = add_run(c, l, g, &gr)) != FNRT_OK)
                goto fail;
            const fnrt_xrt_kernel_desc *gk = c->cus[g].desc;
            for (int ga = 0; ga < gk->n_args; ga++) {
                const fnrt_xrt_arg_desc *gd = &gk->args[ga];
                int iv = 0;
                if (gd->kind == FNRT_XRT_ARG_MEM) {
                    st = set_mem(c, g, gr, ga, b, &lay, !in);
                } else if (gd->kind == FNRT_XRT_ARG_INT) {
                    if (!fnrt_xrt_glue_scalar(op, dz, in, d->name, &b->shape, gd->name, &iv)) {
                        st = fnrt_error(FNRT_ERR_INTERNAL, "XRT backend: no value for argument "
                                        "'%s' of %s", gd->name, gk->name);
                        goto fail;
                    }
                    st = set_scalar(gr, ga, gd->kind, iv, 0.0f);
                } else {
                    continue;
                }
                if (st != FNRT_OK)
                    goto fail;
            }
        }
        if (b && l->n_bufs < FNRT_OP_MAX_IN + 1)
            l->bufs[l->n_bufs++] = b;
    }
    /* start consumers (s2mm), the op, then producers (mm2s): order does not matter to the
     * hardware, streams block */
    l->t_start = now_s();
    for (int i = l->n_runs - 1; i >= 0; i--) {
        int e = xrtRunStart(l->runs[i]);
        if (e) {
            st = xrt_err("xrtRunStart", e);
            for (int j = l->n_runs - 1; j > i; j--)
                xrtRunWait(l->runs[j]);
            goto fail;
        }
    }
    c->st.n_launches += (unsigned)l->n_runs;
    if (op->type == FNRT_OP_CONV2D || op->type == FNRT_OP_DECONV2D)
        c->st.n_bands += (unsigned)fnrt_xrt_n_bands(op, dz);
    l->used = 1;
    return FNRT_OK;
fail:
    for (int i = 0; i < l->n_runs; i++) {
        xrtRunClose(l->runs[i]);
        c->cus[l->cus[i]].busy = 0;
    }
    memset(l, 0, sizeof *l);
    return st;
}

/* Checks the op against the xclbin and its design, and packs (quantises) the op's constant
 * memory arguments (conv/deconv weights and bias, modulate's raw weight) once into every
 * memory bank a CU of its kernel reads them from. */
static fnrt_status xrt_prepare(void *ctx, const fnrt_op *op, fnrt_buf *const *args)
{
    xrt_ctx *c = ctx;
    const fnrt_xrt_kernel_desc *k;
    fnrt_status st = check_op(c, op, &k);
    if (st == FNRT_OK)
        st = fnrt_xrt_op_fits(op, &c->side.design);
    if (st != FNRT_OK)
        return st;
    int bi = 0;
    for (int a = 0; a < k->n_args && st == FNRT_OK; a++) {
        const fnrt_xrt_arg_desc *d = &k->args[a];
        if (d->kind > FNRT_XRT_ARG_STREAM_OUT)
            continue;
        int i = bi++;
        if (d->kind != FNRT_XRT_ARG_MEM || i >= op->n_in || !args || !args[i])
            continue;
        fnrt_xrt_layout lay;
        if ((st = fnrt_xrt_layout_for_arg(op, i, 0, &lay)) != FNRT_OK)
            break;
        if ((st = wait_buf(c, args[i])) != FNRT_OK)
            break;
        for (int u = 0; u < c->n_cus && st == FNRT_OK; u++) {
            if (c->cus[u].desc != k || (st = cu_open(c, u)) != FNRT_OK)
                continue;
            int bank = xrtKernelArgGroupId(c->cus[u].k, a);
            xrtBufferHandle bo;
            if (bank >= 0)
                st = buf_bo(c, args[i], bank, &lay, 0, &bo);
        }
    }
    return st;
}

fnrt_status fnrt_xrt_check_ops(void *ctx, const fnrt_op *ops, int n_ops)
{
    xrt_ctx *c = ctx;
    char msg[1024] = "";
    size_t used = 0;
    int n_missing = 0;
    for (int t = 0; t < FNRT_OP_COUNT; t++) {
        int first = -1;
        for (int i = 0; i < n_ops && first < 0; i++)
            if ((int)ops[i].type == t)
                first = i;
        if (first < 0)
            continue;
        const fnrt_xrt_kernel_desc *k;
        if (check_op(c, &ops[first], &k) == FNRT_OK)
            continue;
        k = fnrt_xrt_kernel_for_op((fnrt_op_type)t);
        n_missing++;
        int n = snprintf(msg + used, sizeof msg - used, "%s%s (op '%s')", used ? ", " : "",
                         k ? k->name : fnrt_op_type_str((fnrt_op_type)t), ops[first].name);
        if (n > 0 && (size_t)n < sizeof msg - used)
            used += (size_t)n;
    }
    if (n_missing)
        return fnrt_error(FNRT_ERR_UNSUPPORTED, "XRT backend: xclbin %s lacks %d kernel%s the "
                          "network needs: %s", c->path, n_missing, n_missing == 1 ? "" : "s", msg);
    /* every op within the design's buffers and limits (sidecar) */
    for (int i = 0; i < n_ops; i++) {
        fnrt_status st = fnrt_xrt_op_fits(&ops[i], &c->side.design);
        if (st != FNRT_OK)
            return st;
    }
    return FNRT_OK;
}

static fnrt_status xrt_finish(void *ctx)
{
    return wait_buf(ctx, NULL);
}

/* ---- create / destroy ---- */

static void xrt_destroy(void *ctx)
{
    xrt_ctx *c = ctx;
    if (!c)
        return;
    if (c->dev)
        wait_buf(c, NULL);
    if (getenv("FNRT_XRT_TIMINGS") && *getenv("FNRT_XRT_TIMINGS") == '1')
        fnrt_xrt_print_timings(c, stderr);
    if (c->dummy) {
        for (int i = 0; i < c->dummy->n_bo; i++)
            xrtBOFree(c->dummy->bo[i]);
        free(c->dummy->host);
        free(c->dummy);
    }
    for (int i = 0; i < c->n_cus; i++)
        if (c->cus[i].k)
            xrtKernelClose(c->cus[i].k);
    if (c->dev)
        xrtDeviceClose(c->dev); /* explicitly: the noop shim crashes at exit otherwise */
    free(c->cus);
    free(c->x);
    free(c);
}

static fnrt_status xrt_create(const char *device, void **out)
{
    fnrt_status st = FNRT_OK;
    char msg[512];
    xrt_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return fnrt_error(FNRT_ERR_NOMEM, "XRT backend: out of memory");
    if (!device || !*device)
        device = getenv("FNRT_XCLBIN");
    if (!device || !*device) {
        st = fnrt_error(FNRT_ERR_INVALID_ARG, "XRT backend: no xclbin: give the device as "
                        "path/to/fnrt.xclbin[:N] (-d) or set FNRT_XCLBIN");
        goto fail;
    }
    if (strlen(device) >= sizeof c->path) {
        st = fnrt_error(FNRT_ERR_INVALID_ARG, "XRT backend: device string too long");
        goto fail;
    }
    snprintf(c->path, sizeof c->path, "%s", device);
    /* trailing ":N" selects the device */
    char *colon = strrchr(c->path, ':');
    if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        c->dev_index = (unsigned)strtoul(colon + 1, NULL, 10);
        *colon = 0;
    }
    c->x = malloc(sizeof *c->x);
    if (!c->x) {
        st = fnrt_error(FNRT_ERR_NOMEM, "XRT backend: out of memory");
        goto fail;
    }
    if ((st = fnrt_xclbin_read(c->path, c->x)) != FNRT_OK)
        goto fail;
    /* the sidecar first: matches the xclbin, gives precision / lanes / buffer sizes, and
     * refuses an OpenCL-flow xclbin ("use -b opencl") before its kernels are compared with
     * the HLS table (which such an xclbin fails at the glue kernels, a less useful message) */
    if ((st = fnrt_xrt_sidecar_load(c->path, c->x, &c->side)) != FNRT_OK)
        goto fail;
    /* every kernel of the table it has must have the expected arguments; glue required */
    for (int i = 0; i < fnrt_xrt_n_kernels; i++) {
        const fnrt_xrt_kernel_desc *want = &fnrt_xrt_kernels[i];
        const fnrt_xclbin_kernel *have = fnrt_xclbin_find_kernel(c->x, want->name);
        if (!have) {
            if (want->op < 0) {
                st = fnrt_error(FNRT_ERR_FORMAT, "XRT backend: xclbin %s has no kernel %s (glue "
                                "kernel needed by every op)", c->path, want->name);
                goto fail;
            }
            continue;
        }
        if (fnrt_xclbin_check_kernel(have, want, msg, sizeof msg) != FNRT_OK) {
            st = fnrt_error(FNRT_ERR_FORMAT, "XRT backend: xclbin %s: %s", c->path, msg);
            goto fail;
        }
    }
    c->cus = calloc((size_t)(c->x->n_cus ? c->x->n_cus : 1), sizeof *c->cus);
    if (!c->cus) {
        st = fnrt_error(FNRT_ERR_NOMEM, "XRT backend: out of memory");
        goto fail;
    }
    for (int i = 0; i < c->x->n_cus; i++) {
        const fnrt_xrt_kernel_desc *d = fnrt_xrt_kernel_find(c->x->cus[i].kernel);
        if (!d)
            continue; /* not ours */
        xrt_cu *cu = &c->cus[c->n_cus++];
        cu->desc = d;
        snprintf(cu->kernel, sizeof cu->kernel, "%s", c->x->cus[i].kernel);
        snprintf(cu->name, sizeof cu->name, "%s", c->x->cus[i].name);
    }
    errno = 0;
    c->dev = xrtDeviceOpen(c->dev_index);
    if (!c->dev) {
        st = fnrt_error(FNRT_ERR_DEVICE, "XRT backend: cannot open XRT device %u (errno %d: %s); "
                        "is an Alveo card with its XRT driver present (xbutil examine)?",
                        c->dev_index, errno, strerror(errno));
        goto fail;
    }
    int e = xrtDeviceLoadXclbinFile(c->dev, c->path);
    if (e) {
        st = fnrt_error(FNRT_ERR_DEVICE, "XRT backend: cannot load xclbin %s on device %u (XRT "
                        "code %d, errno %d: %s)", c->path, c->dev_index, e, errno,
                        strerror(errno));
        goto fail;
    }
    if ((e = xrtDeviceGetXclbinUUID(c->dev, c->uuid)) != 0) {
        st = xrt_err("xrtDeviceGetXclbinUUID", e);
        goto fail;
    }
    fnrt_shape one = { 1, { 16, 0, 0, 0 } };
    if ((st = xrt_buf_create(c, &one, &c->dummy)) != FNRT_OK)
        goto fail;
    snprintf(c->dev_name, sizeof c->dev_name, "XRT device %u, xclbin %s (%d CUs, %s, P=%d, %s)",
             c->dev_index, c->path, c->n_cus, fnrt_xrt_prec_str(c->side.design.prec),
             c->side.design.p, c->side.platform);
    *out = c;
    return FNRT_OK;
fail:
    xrt_destroy(c);
    return st;
}

static const char *xrt_device_name(void *ctx)
{
    return ((xrt_ctx *)ctx)->dev_name;
}

void fnrt_xrt_get_stats(void *ctx, fnrt_xrt_stats *stats)
{
    *stats = ((xrt_ctx *)ctx)->st;
}

void fnrt_xrt_print_timings(void *ctx, FILE *out)
{
    const fnrt_xrt_stats *s = &((xrt_ctx *)ctx)->st;
    fprintf(out, "xrt timings: %u CU runs, %u conv/deconv bands, %u packs, %u unpacks\n",
            s->n_launches, s->n_bands, s->n_packs, s->n_unpacks);
    for (int t = 0; t < FNRT_OP_COUNT; t++)
        if (s->n_runs[t])
            fprintf(out, "  run  %-16s %5u ops %10.3f ms (%.3f ms/op)\n",
                    fnrt_op_type_str((fnrt_op_type)t), s->n_runs[t], 1e3 * s->run_s[t],
                    1e3 * s->run_s[t] / s->n_runs[t]);
    fprintf(out, "  sync to device   %5u     %10.3f ms %12.0f bytes (%u overlapping a run)\n",
            s->n_sync_to, 1e3 * s->sync_to_s, s->bytes_to, s->n_overlapped_uploads);
    fprintf(out, "  sync from device %5u     %10.3f ms %12.0f bytes\n", s->n_sync_from,
            1e3 * s->sync_from_s, s->bytes_from);
}

const fnrt_backend_ops fnrt_backend_xrt = {
    .name = "xrt",
    .create = xrt_create,
    .destroy = xrt_destroy,
    .device_name = xrt_device_name,
    .buf_create = xrt_buf_create,
    .buf_free = xrt_buf_free,
    .buf_write = xrt_buf_write,
    .buf_read = xrt_buf_read,
    .run = {
        [FNRT_OP_CONV2D] = xrt_run_op,
        [FNRT_OP_DECONV2D] = xrt_run_op,
        [FNRT_OP_MAXPOOL] = xrt_run_op,
        [FNRT_OP_UPSAMPLE2X] = xrt_run_op,
        [FNRT_OP_CONCAT] = xrt_run_op,
        [FNRT_OP_GLOBAL_AVGPOOL] = xrt_run_op,
        [FNRT_OP_MODULATE] = xrt_run_op,
        [FNRT_OP_GRAY] = xrt_run_op,
        [FNRT_OP_L2NORM] = xrt_run_op,
        [FNRT_OP_ADD] = xrt_run_op,
        [FNRT_OP_MAXMERGE] = xrt_run_op,
    },
    .finish = xrt_finish,
    .prepare = xrt_prepare,
};

#else
typedef int fnrt_xrt_backend_unused;
#endif
