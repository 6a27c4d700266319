/* OpenCL backend: op launchers.  Each validates shapes and buffer sizes, picks a kernel,
 * sets its arguments and enqueues it on the context's in-order queue (no waiting). */
#include "backend/opencl/opencl-internal.h"

#include <limits.h>
#include <string.h>

/* Largest im2col scratch buffer the conv uses for narrow outputs (else it runs direct). */
#define FNRT_CL_IM2COL_MAX_BYTES ((uint64_t)64 << 20)

/* ---- argument setting and launching ---- */

typedef struct argset {
    cl_kernel k;
    cl_uint i;
    cl_int err;
    cl_uint err_index;
    size_t local_bytes; /* bytes of __local arguments */
} argset;

static void set_arg(argset *a, size_t size, const void *value)
{
    if (a->err == CL_SUCCESS) {
        a->err = clSetKernelArg(a->k, a->i, size, value);
        a->err_index = a->i;
    }
    a->i++;
}

static void arg_mem(argset *a, cl_mem m)
{
    set_arg(a, sizeof m, &m);
}

static void arg_int(argset *a, int v)
{
    cl_int x = v;
    set_arg(a, sizeof x, &x);
}

static void arg_float(argset *a, float v)
{
    cl_float x = v;
    set_arg(a, sizeof x, &x);
}

static void arg_local(argset *a, size_t n_bytes)
{
    set_arg(a, n_bytes, NULL);
    a->local_bytes += n_bytes;
}

/* Enqueues kernel kid over n_items work-items (rounded up to a multiple of local). */
static fnrt_status launch(fnrt_cl_ctx *ctx, const fnrt_op *op, fnrt_cl_kern kid,
                          const argset *a, size_t n_items, size_t local)
{
    const char *kname = fnrt_cl_kernel_name(kid);
    if (a->err != CL_SUCCESS)
        return fnrt_error(FNRT_ERR_DEVICE, "opencl: %s '%s': clSetKernelArg(%s, %u): %s (%d)",
                          fnrt_op_type_str(op->type), op->name, kname, (unsigned)a->err_index,
                          fnrt_cl_error_name(a->err), (int)a->err);
    if (n_items == 0)
        return FNRT_OK;
    size_t kwg = 0;
    cl_int err = clGetKernelWorkGroupInfo(a->k, ctx->device, CL_KERNEL_WORK_GROUP_SIZE,
                                          sizeof kwg, &kwg, NULL);
    if (err == CL_SUCCESS && local > kwg)
        return fnrt_error(FNRT_ERR_UNSUPPORTED,
                          "opencl: %s '%s': kernel %s allows work-groups of at most %zu, the "
                          "tuning table asks for %zu",
                          fnrt_op_type_str(op->type), op->name, kname, kwg, local);
    if (a->local_bytes) {
        cl_ulong used = 0;
        err = clGetKernelWorkGroupInfo(a->k, ctx->device, CL_KERNEL_LOCAL_MEM_SIZE, sizeof used,
                                       &used, NULL);
        if (err != CL_SUCCESS || used < a->local_bytes)
            used += a->local_bytes;
        if (used > ctx->local_mem_bytes)
            return fnrt_error(FNRT_ERR_UNSUPPORTED,
                              "opencl: %s '%s': kernel %s needs %llu bytes of local memory, the "
                              "device has %llu (CL_DEVICE_LOCAL_MEM_SIZE)",
                              fnrt_op_type_str(op->type), op->name, kname,
                              (unsigned long long)used,
                              (unsigned long long)ctx->local_mem_bytes);
    }
    size_t global = (n_items + local - 1) / local * local;
    err = clEnqueueNDRangeKernel(ctx->queue, a->k, 1, NULL, &global, &local, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return fnrt_error(err == CL_OUT_OF_HOST_MEMORY || err == CL_MEM_OBJECT_ALLOCATION_FAILURE
                              ? FNRT_ERR_NOMEM
                              : FNRT_ERR_DEVICE,
                          "opencl: %s '%s': clEnqueueNDRangeKernel(%s, %zu items): %s (%d)",
                          fnrt_op_type_str(op->type), op->name, kname, global,
                          fnrt_cl_error_name(err), (int)err);
    return FNRT_OK;
}

static fnrt_status get_kernel(fnrt_cl_ctx *ctx, fnrt_cl_kern kid, argset *a)
{
    memset(a, 0, sizeof *a);
    return fnrt_cl_kernel(ctx, kid, &a->k);
}

static void mark_written(fnrt_cl_ctx *ctx, fnrt_buf *y)
{
    y->version = ++ctx->write_counter;
}

/* ---- validation ---- */

static fnrt_status bad_shape(const fnrt_op *op, const char *what)
{
    return fnrt_error(FNRT_ERR_INVALID_ARG, "opencl: %s '%s': %s", fnrt_op_type_str(op->type),
                      op->name, what);
}

/* An activation shape (c,h,w) with positive dims whose element count fits an int index. */
static int act_shape_ok(const fnrt_shape *s)
{
    if (s->ndim != 3)
        return 0;
    int64_t n = 1;
    for (int i = 0; i < 3; i++) {
        if (s->dims[i] < 1 || s->dims[i] > INT_MAX)
            return 0;
        n *= s->dims[i];
        if (n > INT_MAX)
            return 0;
    }
    return 1;
}

static int64_t shape_elems(const fnrt_shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++)
        n *= s->dims[i];
    return s->ndim > 0 ? n : 0;
}

static int buf_ok(const fnrt_buf *b, int64_t n_elems)
{
    return b && n_elems > 0 && (int64_t)b->n_elems == n_elems;
}

static fnrt_status check_buffers(const fnrt_op *op, fnrt_buf *const *args, int n_required)
{
    for (int i = 0; i < n_required; i++)
        if (!args[i])
            return bad_shape(op, "a required buffer is missing");
    if (!args[op->n_in])
        return bad_shape(op, "the output buffer is missing");
    return FNRT_OK;
}

/* ---- conv2d / deconv2d ---- */

/* The slope for the fused act_in ("x >= 0 ? x : slope*x"); 0 when it cannot be fused. */
static int act_in_slope(fnrt_act act, float alpha, float *slope)
{
    switch (act) {
    case FNRT_ACT_NONE: *slope = 1.0f; return 1;
    case FNRT_ACT_RELU: *slope = 0.0f; return 1;
    case FNRT_ACT_LEAKY: *slope = alpha; return 1;
    case FNRT_ACT_TANH: break;
    }
    *slope = 1.0f;
    return 0;
}

/* Applies act to x into a fresh temporary (released at once; OpenCL keeps it alive until
 * the queued kernels that use it are done). */
static fnrt_status act_prepass(fnrt_cl_ctx *ctx, const fnrt_op *op, fnrt_buf *x, fnrt_act act,
                               float alpha, cl_mem *tmp)
{
    argset a;
    fnrt_status st = get_kernel(ctx, FNRT_CL_K_ACT, &a);
    if (st != FNRT_OK)
        return st;
    st = fnrt_cl_alloc(ctx, x->n_elems * sizeof(float), "the activated input", tmp);
    if (st != FNRT_OK)
        return st;
    arg_mem(&a, x->mem);
    arg_mem(&a, *tmp);
    arg_int(&a, (int)act);
    arg_float(&a, alpha);
    arg_int(&a, (int)x->n_elems);
    st = launch(ctx, op, FNRT_CL_K_ACT, &a, x->n_elems, (size_t)ctx->tune[FNRT_CL_TUNE_EW_LS]);
    if (st != FNRT_OK) {
        fnrt_cl_free(ctx, *tmp, x->n_elems * sizeof(float));
        *tmp = NULL;
    }
    return st;
}

/* The channel-blocked copy of weight buffer w, re-packed when w was written since:
 *   FNRT_CL_PACK_CONV           w[co][ci][kh][kw] -> [ceil(co/OB)][ci][kh][kw][OB]
 *   FNRT_CL_PACK_DECONV_PHASES  w[ci][co][kh][kw] -> [s*s][ceil(co/OB)][ci][nt][nt][OB]
 * (see kernels_cl/conv.cl and deconv.cl). */
static fnrt_status packed_weights(fnrt_cl_ctx *ctx, const fnrt_op *op, fnrt_buf *w, int kind,
                                  int co, int ci, int kh, int kw, int s, cl_mem *out)
{
    int ob = ctx->tune[FNRT_CL_TUNE_CONV_OB];
    int64_t nob = (co + ob - 1) / ob;
    int nt = ((kh > kw ? kh : kw) + s - 1) / s;
    int64_t n_elems = kind == FNRT_CL_PACK_DECONV_PHASES
                          ? (int64_t)s * s * nob * ci * nt * nt * ob
                          : nob * ci * kh * kw * ob;
    int64_t dims[5] = {co, ci, kh, kw, s};
    if (n_elems > INT_MAX)
        return bad_shape(op, "weight tensor too large for 32-bit indexing");
    if (w->packed && w->packed_kind == kind && w->packed_version == w->version &&
        memcmp(w->packed_dims, dims, sizeof dims) == 0) {
        *out = w->packed;
        return FNRT_OK;
    }
    if (!w->mem)
        return fnrt_error(FNRT_ERR_INTERNAL, "opencl: %s '%s': its constant weights were "
                          "packed for another use and released", fnrt_op_type_str(op->type),
                          op->name);
    size_t n_bytes = (size_t)n_elems * sizeof(float);
    if (w->packed && w->packed_n_bytes != n_bytes) {
        fnrt_cl_free(ctx, w->packed, w->packed_n_bytes);
        w->packed = NULL;
    }
    if (!w->packed) {
        fnrt_status st = fnrt_cl_alloc(ctx, n_bytes, "packed conv weights", &w->packed);
        if (st != FNRT_OK)
            return st;
        w->packed_n_bytes = n_bytes;
    }
    w->packed_kind = FNRT_CL_PACK_NONE;
    fnrt_cl_kern kid =
        kind == FNRT_CL_PACK_CONV ? FNRT_CL_K_CONV_PACK : FNRT_CL_K_DECONV_PACK_PHASES;
    argset a;
    fnrt_status st = get_kernel(ctx, kid, &a);
    if (st != FNRT_OK)
        return st;
    arg_mem(&a, w->mem);
    arg_mem(&a, w->packed);
    arg_int(&a, co);
    arg_int(&a, ci);
    if (kind == FNRT_CL_PACK_DECONV_PHASES) {
        arg_int(&a, kh);
        arg_int(&a, kw);
        arg_int(&a, s);
        arg_int(&a, nt);
    } else {
        arg_int(&a, kh * kw);
    }
    arg_int(&a, (int)n_elems);
    /* one work-item per OB packed weights (n_elems is a multiple of OB) */
    st = launch(ctx, op, kid, &a, (size_t)(n_elems / ob), (size_t)ctx->tune[FNRT_CL_TUNE_EW_LS]);
    if (st != FNRT_OK)
        return st;
    w->packed_kind = kind;
    w->packed_version = w->version;
    memcpy(w->packed_dims, dims, sizeof dims);
    *out = w->packed;
    return FNRT_OK;
}

/* One launch of a conv2d kernel (conv.cl's conv_core): direct, or GEMM over im2col input. */
typedef struct conv_launch {
    cl_mem x, packed;
    int wp_off;
    fnrt_buf *bias, *res, *y;
    int ci, h, w, co, ho, wo, pad;
    float slope;
    int gemm, y_cs, y_off, y_w, y_rs, y_xs; /* output addressing of the GEMM mode */
    /* direct mode, row bands: output rows [p0, p_end); x, y, res keep tensor row r at
     * buffer row r % x_rows (y_rows, r_rows).  All 0: the whole tensors. */
    int p0, p_end, x_rows, y_rows, r_rows;
} conv_launch;

static fnrt_status conv_run(fnrt_cl_ctx *ctx, const fnrt_op *op, const conv_launch *c, int kh,
                            int kw, int s)
{
    int obw = ctx->tune[FNRT_CL_TUNE_CONV_OB], pw = ctx->tune[FNRT_CL_TUNE_CONV_PW];
    int p0 = c->p_end > 0 ? c->p0 : 0, p_end = c->p_end > 0 ? c->p_end : c->ho;
    int64_t n_items = (int64_t)((c->co + obw - 1) / obw) * ((c->wo + pw - 1) / pw) *
                      (c->gemm ? c->ho : p_end - p0);
    if (n_items > INT_MAX)
        return bad_shape(op, "output too large for 32-bit indexing");
    fnrt_cl_kern kid = FNRT_CL_K_CONV;
    if (kh == kw) {
        if (kh == 1 && s == 1)
            kid = FNRT_CL_K_CONV_K1S1;
        else if (kh == 3 && s == 1)
            kid = FNRT_CL_K_CONV_K3S1;
        else if (kh == 4 && s == 2)
            kid = FNRT_CL_K_CONV_K4S2;
        else if (kh == 5 && s == 2)
            kid = FNRT_CL_K_CONV_K5S2;
        else if (kh == 7 && s == 2)
            kid = FNRT_CL_K_CONV_K7S2;
        else if (kh == 3 && s == 2)
            kid = FNRT_CL_K_CONV_K3S2;
        else if (kh == 1 && s == 2)
            kid = FNRT_CL_K_CONV_K1S2;
    }
    argset a;
    fnrt_status st = get_kernel(ctx, kid, &a);
    if (st != FNRT_OK)
        return st;
    arg_mem(&a, c->x);
    arg_mem(&a, c->packed);
    arg_int(&a, c->wp_off);
    arg_mem(&a, c->bias ? c->bias->mem : ctx->dummy);
    arg_mem(&a, c->res ? c->res->mem : ctx->dummy);
    arg_mem(&a, c->y->mem);
    arg_int(&a, c->ci);
    arg_int(&a, c->h);
    arg_int(&a, c->w);
    arg_int(&a, c->co);
    arg_int(&a, c->ho);
    arg_int(&a, c->wo);
    arg_int(&a, c->pad);
    arg_float(&a, c->slope);
    arg_int(&a, (int)op->p.conv.act_out);
    arg_float(&a, op->p.conv.alpha_out);
    arg_int(&a, c->bias != NULL);
    arg_int(&a, c->res != NULL);
    arg_int(&a, c->gemm);
    arg_int(&a, c->y_cs);
    arg_int(&a, c->y_off);
    arg_int(&a, c->y_w > 0 ? c->y_w : 1);
    arg_int(&a, c->y_rs);
    arg_int(&a, c->y_xs);
    arg_int(&a, p0);
    arg_int(&a, p_end);
    arg_int(&a, c->x_rows > 0 ? c->x_rows : c->h);
    arg_int(&a, c->y_rows > 0 ? c->y_rows : c->ho);
    arg_int(&a, c->r_rows > 0 ? c->r_rows : c->ho);
    if (kid == FNRT_CL_K_CONV) {
        arg_int(&a, kh);
        arg_int(&a, kw);
        arg_int(&a, s);
    }
    return launch(ctx, op, kid, &a, (size_t)n_items, (size_t)ctx->tune[FNRT_CL_TUNE_CONV_LS]);
}

/* Whether an im2col scratch of col_elems floats is worth using (bounded size). */
static int col_fits(int64_t col_elems)
{
    return col_elems <= INT_MAX && (uint64_t)col_elems * sizeof(float) <= FNRT_CL_IM2COL_MAX_BYTES;
}

static fnrt_status conv2d_impl(fnrt_cl_ctx *ctx, const fnrt_op *op, fnrt_buf *const *args,
                               const fnrt_band *band);

fnrt_status fnrt_cl_conv2d(void *vctx, const fnrt_op *op, fnrt_buf *const *args)
{
    return conv2d_impl(vctx, op, args, NULL);
}

fnrt_status fnrt_cl_conv2d_band(void *vctx, const fnrt_op *op, fnrt_buf *const *args,
                                const fnrt_band *band)
{
    if (op->type != FNRT_OP_CONV2D)
        return fnrt_error(FNRT_ERR_UNSUPPORTED, "opencl: %s '%s': no row-band variant",
                          fnrt_op_type_str(op->type), op->name);
    if (!band)
        return bad_shape(op, "NULL band");
    return conv2d_impl(vctx, op, args, band);
}

/* Elements of an activation buffer holding `rows` rows (0: all) of tensor shape s. */
static int64_t band_elems(const fnrt_shape *s, int rows)
{
    return rows > 0 ? s->dims[0] * rows * s->dims[2] : shape_elems(s);
}

static fnrt_status conv2d_impl(fnrt_cl_ctx *ctx, const fnrt_op *op, fnrt_buf *const *args,
                               const fnrt_band *band)
{
    const fnrt_conv_params *p = &op->p.conv;
    const fnrt_shape *xs = &op->in_shape[0], *ws = &op->in_shape[1], *ys = &op->out_shape;
    if (op->n_in != 4)
        return bad_shape(op, "conv2d takes 4 input slots (x, w, bias, res)");
    fnrt_status st = check_buffers(op, args, 2);
    if (st != FNRT_OK)
        return st;
    if (!act_shape_ok(xs) || !act_shape_ok(ys) || ws->ndim != 4)
        return bad_shape(op, "x and y must be (C,H,W) and w (Co,Ci,kh,kw)");
    int ci = (int)xs->dims[0], h = (int)xs->dims[1], w = (int)xs->dims[2];
    int co = (int)ys->dims[0], ho = (int)ys->dims[1], wo = (int)ys->dims[2];
    int kh = p->kh, kw = p->kw, s = p->stride, pad = p->pad;
    if (kh < 1 || kw < 1 || s < 1 || pad < 0 || ws->dims[0] != co || ws->dims[1] != ci ||
        ws->dims[2] != kh || ws->dims[3] != kw)
        return bad_shape(op, "weight shape does not match (Co,Ci,kh,kw) of the op");
    if ((int64_t)h + 2 * pad < kh || (int64_t)w + 2 * pad < kw ||
        ho != (h + 2 * pad - kh) / s + 1 || wo != (w + 2 * pad - kw) / s + 1)
        return bad_shape(op, "output size does not match (H + 2*pad - k)/stride + 1");
    fnrt_buf *bx = args[0], *bw = args[1], *bb = args[2], *br = args[3], *by = args[4];
    int rx = band ? band->rows[0] : 0, rr = band ? band->rows[3] : 0, ry = band ? band->rows[4] : 0;
    if (band && (band->y0 < 0 || band->n_rows < 1 || band->y0 + band->n_rows > ho ||
                 rx < 0 || rx > h || rr < 0 || rr > ho || ry < 0 || ry > ho ||
                 (rx > 0 && rx < band->n_rows * s + kh - 1) ||
                 (ry > 0 && ry < band->n_rows) || (rr > 0 && rr < band->n_rows)))
        return bad_shape(op, "row band outside the tensor or rings too short for it");
    if (!buf_ok(bx, band_elems(xs, rx)) || !buf_ok(bw, shape_elems(ws)) ||
        !buf_ok(by, band_elems(ys, ry)) || (bb && !buf_ok(bb, co)) ||
        (br && !buf_ok(br, band_elems(ys, rr))))
        return bad_shape(op, "a buffer's size does not match its shape");

    int pw = ctx->tune[FNRT_CL_TUNE_CONV_PW];
    cl_mem packed, x_mem = bx->mem, tmp = NULL;
    st = packed_weights(ctx, op, bw, FNRT_CL_PACK_CONV, co, ci, kh, kw, s, &packed);
    if (st != FNRT_OK)
        return st;
    float slope;
    if (!act_in_slope(p->act_in, p->alpha_in, &slope)) {
        st = act_prepass(ctx, op, bx, p->act_in, p->alpha_in, &tmp);
        if (st != FNRT_OK)
            return st;
        x_mem = tmp;
    }

    /* Outputs narrower than half the pixel vector leave most lanes idle: gather the taps
     * once (im2col) and run the 1x1 kernel as a GEMM over the flattened plane instead.  (At
     * half a vector or more the direct kernel is at least as fast on PoCL/CPU: in the full
     * FNR2R, 512->512 3x3 at 8^2 1.45 ms direct vs 1.75 ms with the gather pass; the k4s2
     * conv to 8^2 3.1 ms either way.) */
    int64_t plane = (int64_t)ho * wo;
    int64_t pp = (plane + pw - 1) / pw * pw;
    int64_t col_elems = (int64_t)ci * kh * kw * pp;
    double lanes_direct = (double)wo / (double)((wo + pw - 1) / pw * pw);
    double lanes_col = (double)plane / (double)pp;
    if (!band && 2 * wo < pw && lanes_col > lanes_direct && col_fits(col_elems)) {
        cl_mem col;
        st = fnrt_cl_scratch(ctx, (size_t)col_elems * sizeof(float), &col);
        argset a;
        if (st == FNRT_OK)
            st = get_kernel(ctx, FNRT_CL_K_CONV_IM2COL, &a);
        if (st == FNRT_OK) {
            arg_mem(&a, x_mem);
            arg_mem(&a, col);
            arg_int(&a, h);
            arg_int(&a, w);
            arg_int(&a, ho);
            arg_int(&a, wo);
            arg_int(&a, kh);
            arg_int(&a, kw);
            arg_int(&a, s);
            arg_int(&a, pad);
            arg_float(&a, slope);
            arg_int(&a, (int)pp);
            arg_int(&a, (int)col_elems);
            st = launch(ctx, op, FNRT_CL_K_CONV_IM2COL, &a, (size_t)col_elems,
                        (size_t)ctx->tune[FNRT_CL_TUNE_EW_LS]);
        }
        if (st == FNRT_OK) {
            /* packed weights [ob][ci][kh][kw][OB] are those of a 1x1 conv over ci*kh*kw */
            conv_launch cl = {.x = col, .packed = packed, .bias = bb, .res = br, .y = by,
                              .ci = ci * kh * kw, .h = 1, .w = (int)pp, .co = co, .ho = 1,
                              .wo = (int)plane, .pad = 0, .slope = 1.0f, .gemm = 1,
                              .y_cs = (int)plane, .y_w = (int)plane, .y_rs = (int)plane,
                              .y_xs = 1};
            st = conv_run(ctx, op, &cl, 1, 1, 1);
        }
    } else {
        conv_launch cl = {.x = x_mem, .packed = packed, .bias = bb, .res = br, .y = by,
                          .ci = ci, .h = h, .w = w, .co = co, .ho = ho, .wo = wo, .pad = pad,
                          .slope = slope};
        if (band) {
            cl.p0 = band->y0;
            cl.p_end = band->y0 + band->n_rows;
            cl.x_rows = rx;
            cl.y_rows = ry;
            cl.r_rows = rr;
        }
        st = conv_run(ctx, op, &cl, kh, kw, s);
    }
    if (tmp)
        fnrt_cl_free(ctx, tmp, bx->n_elems * sizeof(float));
    if (st == FNRT_OK)
        mark_written(ctx, by);
    return st;
}

/* Narrow deconvolution: per stride phase, im2col of the phase's output sub-grid and conv.cl's
 * 1x1 kernel as a GEMM writing that strided sub-grid. */
static fnrt_status deconv_phases(fnrt_cl_ctx *ctx, const fnrt_op *op, cl_mem x_mem,
                                 float slope, cl_mem packed, fnrt_buf *bb, fnrt_buf *by, int ci,
                                 int h, int w, int co, int ho, int wo)
{
    const fnrt_conv_params *p = &op->p.conv;
    int kh = p->kh, kw = p->kw, s = p->stride, pad = p->pad;
    int ob = ctx->tune[FNRT_CL_TUNE_CONV_OB], pw = ctx->tune[FNRT_CL_TUNE_CONV_PW];
    int nt = ((kh > kw ? kh : kw) + s - 1) / s;
    int nob = (co + ob - 1) / ob;
    for (int ph = 0; ph < s * s; ph++) {
        int php = ph / s, phq = ph % s;
        int p0 = ((php - pad) % s + s) % s, q0 = ((phq - pad) % s + s) % s;
        int hs = p0 < ho ? (ho - p0 + s - 1) / s : 0, ws = q0 < wo ? (wo - q0 + s - 1) / s : 0;
        if (hs == 0 || ws == 0)
            continue;
        int64_t plane = (int64_t)hs * ws;
        int64_t pp = (plane + pw - 1) / pw * pw;
        int64_t col_elems = (int64_t)ci * nt * nt * pp;
        cl_mem col;
        fnrt_status st = fnrt_cl_scratch(ctx, (size_t)col_elems * sizeof(float), &col);
        argset a;
        if (st == FNRT_OK)
            st = get_kernel(ctx, FNRT_CL_K_DECONV_IM2COL, &a);
        if (st != FNRT_OK)
            return st;
        arg_mem(&a, x_mem);
        arg_mem(&a, col);
        arg_int(&a, h);
        arg_int(&a, w);
        arg_int(&a, kh);
        arg_int(&a, kw);
        arg_int(&a, s);
        arg_int(&a, pad);
        arg_int(&a, nt);
        arg_int(&a, php);
        arg_int(&a, phq);
        arg_int(&a, p0);
        arg_int(&a, q0);
        arg_int(&a, hs);
        arg_int(&a, ws);
        arg_float(&a, slope);
        arg_int(&a, (int)pp);
        arg_int(&a, (int)col_elems);
        st = launch(ctx, op, FNRT_CL_K_DECONV_IM2COL, &a, (size_t)col_elems,
                    (size_t)ctx->tune[FNRT_CL_TUNE_EW_LS]);
        if (st != FNRT_OK)
            return st;
        conv_launch cl = {.x = col, .packed = packed,
                          .wp_off = ph * nob * ci * nt * nt * ob, .bias = bb, .y = by,
                          .ci = ci * nt * nt, .h = 1, .w = (int)pp, .co = co, .ho = 1,
                          .wo = (int)plane, .pad = 0, .slope = 1.0f, .gemm = 1,
                          .y_cs = ho * wo, .y_off = p0 * wo + q0, .y_w = ws, .y_rs = s * wo,
                          .y_xs = s};
        st = conv_run(ctx, op, &cl, 1, 1, 1);
        if (st != FNRT_OK)
            return st;
    }
    return FNRT_OK;
}

/* Whether a deconvolution runs per stride phase as GEMMs: phase width below half the pixel
 * vector (as for conv2d; 1024->512 k4s2 to 16^2: 6.0 ms direct vs 7.8 ms per phase), and
 * the im2col of phase 0 (the largest) fits. */
static int deconv_uses_phases(const fnrt_cl_ctx *ctx, const fnrt_op *op)
{
    const fnrt_conv_params *p = &op->p.conv;
    int pw = ctx->tune[FNRT_CL_TUNE_CONV_PW];
    int ci = (int)op->in_shape[0].dims[0];
    int ho = (int)op->out_shape.dims[1], wo = (int)op->out_shape.dims[2];
    int s = p->stride > 0 ? p->stride : 1;
    int nt = ((p->kh > p->kw ? p->kh : p->kw) + s - 1) / s;
    int64_t col0 = (int64_t)ci * nt * nt *
                   ((((int64_t)(ho + s - 1) / s) * ((wo + s - 1) / s) + pw - 1) / pw * pw);
    return 2 * ((wo + s - 1) / s) < pw && col_fits(col0);
}

fnrt_status fnrt_cl_deconv2d(void *vctx, const fnrt_op *op, fnrt_buf *const *args)
{
    fnrt_cl_ctx *ctx = vctx;
    const fnrt_conv_params *p = &op->p.conv;
    const fnrt_shape *xs = &op->in_shape[0], *ws = &op->in_shape[1], *ys = &op->out_shape;
    if (op->n_in != 3)
        return bad_shape(op, "deconv2d takes 3 input slots (x, w, bias)");
    fnrt_status st = check_buffers(op, args, 2);
    if (st != FNRT_OK)
        return st;
    if (!act_shape_ok(xs) || !act_shape_ok(ys) || ws->ndim != 4)
        return bad_shape(op, "x and y must be (C,H,W) and w (Ci,Co,kh,kw)");
    int ci = (int)xs->dims[0], h = (int)xs->dims[1], w = (int)xs->dims[2];
    int co = (int)ys->dims[0], ho = (int)ys->dims[1], wo = (int)ys->dims[2];
    int kh = p->kh, kw = p->kw, s = p->stride, pad = p->pad;
    if (kh < 1 || kw < 1 || s < 1 || pad < 0 || ws->dims[0] != ci || ws->dims[1] != co ||
        ws->dims[2] != kh || ws->dims[3] != kw)
        return bad_shape(op, "weight shape does not match (Ci,Co,kh,kw) of the op");
    if (ho != (h - 1) * s - 2 * pad + kh || wo != (w - 1) * s - 2 * pad + kw)
        return bad_shape(op, "output size does not match (H-1)*stride - 2*pad + k");
    fnrt_buf *bx = args[0], *bw = args[1], *bb = args[2], *by = args[3];
    if (!buf_ok(bx, shape_elems(xs)) || !buf_ok(bw, shape_elems(ws)) ||
        !buf_ok(by, shape_elems(ys)) || (bb && !buf_ok(bb, co)))
        return bad_shape(op, "a buffer's size does not match its shape");

    int obw = ctx->tune[FNRT_CL_TUNE_CONV_OB], pw = ctx->tune[FNRT_CL_TUNE_CONV_PW];
    int64_t nqb_ph = ((wo + s - 1) / s + pw - 1) / pw;
    int64_t n_items = (int64_t)((co + obw - 1) / obw) * s * nqb_ph * ho;
    if (n_items > INT_MAX)
        return bad_shape(op, "output too large for 32-bit indexing");

    int phases = deconv_uses_phases(ctx, op);

    cl_mem packed, x_mem = bx->mem, tmp = NULL;
    st = packed_weights(ctx, op, bw, FNRT_CL_PACK_DECONV_PHASES, co, ci, kh, kw, s, &packed);
    if (st != FNRT_OK)
        return st;
    float slope;
    if (!act_in_slope(p->act_in, p->alpha_in, &slope)) {
        st = act_prepass(ctx, op, bx, p->act_in, p->alpha_in, &tmp);
        if (st != FNRT_OK)
            return st;
        x_mem = tmp;
    }
    if (phases) {
        st = deconv_phases(ctx, op, x_mem, slope, packed, bb, by, ci, h, w, co, ho, wo);
    } else {
        fnrt_cl_kern kid =
            (kh == 4 && kw == 4 && s == 2) ? FNRT_CL_K_DECONV_K4S2 : FNRT_CL_K_DECONV;
        argset a;
        st = get_kernel(ctx, kid, &a);
        if (st == FNRT_OK) {
            arg_mem(&a, x_mem);
            arg_mem(&a, packed);
            arg_mem(&a, bb ? bb->mem : ctx->dummy);
            arg_mem(&a, by->mem);
            arg_int(&a, ci);
            arg_int(&a, h);
            arg_int(&a, w);
            arg_int(&a, co);
            arg_int(&a, ho);
            arg_int(&a, wo);
            arg_int(&a, pad);
            arg_float(&a, slope);
            arg_int(&a, (int)p->act_out);
            arg_float(&a, p->alpha_out);
            arg_int(&a, bb != NULL);
            if (kid == FNRT_CL_K_DECONV) {
                arg_int(&a, kh);
                arg_int(&a, kw);
                arg_int(&a, s);
            }
            st = launch(ctx, op, kid, &a, (size_t)n_items,
                        (size_t)ctx->tune[FNRT_CL_TUNE_CONV_LS]);
        }
    }
    if (tmp)
        fnrt_cl_free(ctx, tmp, bx->n_elems * sizeof(float));
    if (st == FNRT_OK)
        mark_written(ctx, by);
    return st;
}

/* ---- pooling, upsampling ---- */

fnrt_status fnrt_cl_maxpool(void *vctx, const fnrt_op *op, fnrt_buf *const *args)
{
    fnrt_cl_ctx *ctx = vctx;
    const fnrt_pool_params *p = &op->p.pool;
    const fnrt_shape *xs = &op->in_shape[0], *ys = &op->out_shape;
    fnrt_status st = check_buffers(op, args, 1);
    if (st != FNRT_OK)
        return st;
    if (!act_shape_ok(xs) || !act_shape_ok(ys))
        return bad_shape(op, "x and y must be (C,H,W)");
    int c = (int)xs->dims[0], h = (int)xs->dims[1], w = (int)xs->dims[2];
    int ho = (int)ys->dims[1], wo = (int)ys->dims[2];
    if (p->k < 1 || p->stride < 1 || p->pad < 0 || (int64_t)h + 2 * p->pad < p->k ||
        (int64_t)w + 2 * p->pad < p->k || ys->dims[0] != c ||
        ho != (h + 2 * p->pad - p->k) / p->stride + 1 ||
        wo != (w + 2 * p->pad - p->k) / p->stride + 1)
        return bad_shape(op, "output size does not match (H + 2*pad - k)/stride + 1");
    fnrt_buf *bx = args[0], *by = args[op->n_in];
    if (!buf_ok(bx, shape_elems(xs)) || !buf_ok(by, shape_elems(ys)))
        return bad_shape(op, "a buffer's size does not match its shape");
    /* 16 outputs of a row per work-item */
    argset a;
    st = get_kernel(ctx, FNRT_CL_K_MAXPOOL, &a);
    if (st != FNRT_OK)
        return st;
    int n = c * ho * ((wo + 15) / 16);
    arg_mem(&a, bx->mem);
    arg_mem(&a, by->mem);
    arg_int(&a, h);
    arg_int(&a, w);
    arg_int(&a, ho);
    arg_int(&a, wo);
    arg_int(&a, p->k);
    arg_int(&a, p->stride);
    arg_int(&a, p->pad);
    arg_int(&a, n);
    st = launch(ctx, op, FNRT_CL_K_MAXPOOL, &a, (size_t)n,
                (size_t)ctx->tune[FNRT_CL_TUNE_EW_LS]);
    if (st == FNRT_OK)
        mark_written(ctx, by);
    return st;
}

fnrt_status fnrt_cl_global_avgpool(void *vctx, const fnrt_op *op, fnrt_buf *const *args)
{
    fnrt_cl_ctx *ctx = vctx;
    const fnrt_shape *xs = &op->in_shape[0], *ys = &op->out_shape;
    fnrt_status st = check_buffers(op, args, 1);
    if (st != FNRT_OK)
        return st;
    if (!act_shape_ok(xs) || shape_elems(ys) != xs->dims[0])
        return bad_shape(op, "x must be (C,H,W) and y (C,1,1)");
    fnrt_buf *bx = args[0], *by = args[op->n_in];
    if (!buf_ok(bx, shape_elems(xs)) || !buf_ok(by, xs->dims[0]))
        return bad_shape(op, "a buffer's size does not match its shape");
    size_t ls = (size_t)ctx->tune[FNRT_CL_TUNE_RED_LS];
    argset a;
    st = get_kernel(ctx, FNRT_CL_K_GLOBAL_AVGPOOL, &a);
    if (st != FNRT_OK)
        return st;
    arg_mem(&a, bx->mem);
    arg_mem(&a, by->mem);
    arg_int(&a, (int)(xs->dims[1] * xs->dims[2]));
    arg_local(&a, ls * sizeof(float));
    /* one work-group per channel */
    st = launch(ctx, op, FNRT_CL_K_GLOBAL_AVGPOOL, &a, (size_t)xs->dims[0] * ls, ls);
    if (st == FNRT_OK)
        mark_written(ctx, by);
    return st;
}

fnrt_status fnrt_cl_upsample2x(void *vctx, const fnrt_op *op, fnrt_buf *const *args)
{
    fnrt_cl_ctx *ctx = vctx;
    const fnrt_shape *xs = &op->in_shape[0], *ys = &op->out_shape;
    fnrt_status st = check_buffers(op, args, 1);
    if (st != FNRT_OK)
        return st;
    if (!act_shape_ok(xs) || !act_shape_ok(ys) || ys->dims[0] != xs->dims[0] ||
        ys->dims[1] != 2 * xs->dims[1] || ys->dims[2] != 2 * xs->dims[2])
        return bad_shape(op, "y must be (C,2H,2W) for x (C,H,W)");
    fnrt_buf *bx = args[0], *by = args[op->n_in];
    if (!buf_ok(bx, shape_elems(xs)) || !buf_ok(by, shape_elems(ys)))
        return bad_shape(op, "a buffer's size does not match its shape");
    /* 16 outputs of a row per work-item */
    argset a;
    st = get_kernel(ctx, FNRT_CL_K_UPSAMPLE2X, &a);
    if (st != FNRT_OK)
        return st;
    int n = (int)(ys->dims[0] * ys->dims[1] * ((ys->dims[2] + 15) / 16));
    arg_mem(&a, bx->mem);
    arg_mem(&a, by->mem);
    arg_int(&a, (int)xs->dims[1]);
    arg_int(&a, (int)xs->dims[2]);
    arg_int(&a, op->p.up.align_corners ? 1 : 0);
    arg_int(&a, n);
    st = launch(ctx, op, FNRT_CL_K_UPSAMPLE2X, &a, (size_t)n,
                (size_t)ctx->tune[FNRT_CL_TUNE_EW_LS]);
    if (st == FNRT_OK)
        mark_written(ctx, by);
    return st;
}

/* ---- channel ops ---- */

fnrt_status fnrt_cl_concat(void *vctx, const fnrt_op *op, fnrt_buf *const *args)
{
    fnrt_cl_ctx *ctx = vctx;
    const fnrt_shape *as = &op->in_shape[0], *bs = &op->in_shape[1], *ys = &op->out_shape;
    fnrt_status st = check_buffers(op, args, 2);
    if (st != FNRT_OK)
        return st;
    int sb = op->p.cat.stride_b;
    if (!act_shape_ok(as) || !act_shape_ok(bs) || !act_shape_ok(ys) || sb < 1 ||
        bs->dims[1] != as->dims[1] || bs->dims[2] != as->dims[2] ||
        ys->dims[1] != as->dims[1] || ys->dims[2] != as->dims[2] ||
        ys->dims[0] != as->dims[0] + (bs->dims[0] + sb - 1) / sb)
        return bad_shape(op, "y must be (Ca + ceil(Cb/stride_b), H, W)");
    fnrt_buf *ba = args[0], *bb = args[1], *by = args[op->n_in];
    if (!buf_ok(ba, shape_elems(as)) || !buf_ok(bb, shape_elems(bs)) ||
        !buf_ok(by, shape_elems(ys)))
        return bad_shape(op, "a buffer's size does not match its shape");
    /* 16 elements per work-item */
    argset a;
    st = get_kernel(ctx, FNRT_CL_K_CONCAT, &a);
    if (st != FNRT_OK)
        return st;
    int n = (int)by->n_elems;
    arg_mem(&a, ba->mem);
    arg_mem(&a, bb->mem);
    arg_mem(&a, by->mem);
    arg_int(&a, (int)as->dims[0]);
    arg_int(&a, sb);
    arg_int(&a, (int)(as->dims[1] * as->dims[2]));
    arg_int(&a, n);
    st = launch(ctx, op, FNRT_CL_K_CONCAT, &a, (size_t)(n + 15) / 16,
                (size_t)ctx->tune[FNRT_CL_TUNE_EW_LS]);
    if (st == FNRT_OK)
        mark_written(ctx, by);
    return st;
}

fnrt_status fnrt_cl_modulate(void *vctx, const fnrt_op *op, fnrt_buf *const *args)
{
    fnrt_cl_ctx *ctx = vctx;
    const fnrt_shape *ws = &op->in_shape[0], *ss = &op->in_shape[1], *ys = &op->out_shape;
    fnrt_status st = check_buffers(op, args, 2);
    if (st != FNRT_OK)
        return st;
    if (ws->ndim != 4 || ys->ndim != 4 || memcmp(ws->dims, ys->dims, sizeof ws->dims) != 0 ||
        ws->dims[0] < 1 || ws->dims[1] < 1 || ws->dims[2] < 1 || ws->dims[3] < 1 ||
        shape_elems(ws) > INT_MAX || shape_elems(ss) != ws->dims[1])
        return bad_shape(op, "w and y must be (Co,Ci,kh,kw) and s (Ci,1,1)");
    fnrt_buf *bw = args[0], *bs = args[1], *by = args[op->n_in];
    if (!buf_ok(bw, shape_elems(ws)) || !buf_ok(bs, ws->dims[1]) ||
        !buf_ok(by, shape_elems(ys)))
        return bad_shape(op, "a buffer's size does not match its shape");
    argset a;
    st = get_kernel(ctx, FNRT_CL_K_MODULATE, &a);
    if (st != FNRT_OK)
        return st;
    int co = (int)ws->dims[0];
    int kk = (int)(ws->dims[2] * ws->dims[3]);
    arg_mem(&a, bw->mem);
    arg_mem(&a, bs->mem);
    arg_mem(&a, by->mem);
    arg_int(&a, co);
    arg_int(&a, (int)ws->dims[1] * kk);
    arg_int(&a, kk);
    arg_float(&a, op->p.mod.scale);
    arg_float(&a, op->p.mod.eps);
    st = launch(ctx, op, FNRT_CL_K_MODULATE, &a, (size_t)co,
                (size_t)ctx->tune[FNRT_CL_TUNE_CONV_LS]);
    if (st == FNRT_OK)
        mark_written(ctx, by);
    return st;
}

/* Shared by gray and l2norm: x (3,H,W), y (yc,H,W). */
static fnrt_status pixel_op(fnrt_cl_ctx *ctx, const fnrt_op *op, fnrt_buf *const *args,
                            fnrt_cl_kern kid, int yc)
{
    const fnrt_shape *xs = &op->in_shape[0], *ys = &op->out_shape;
    fnrt_status st = check_buffers(op, args, 1);
    if (st != FNRT_OK)
        return st;
    if (!act_shape_ok(xs) || !act_shape_ok(ys) || xs->dims[0] != 3 || ys->dims[0] != yc ||
        ys->dims[1] != xs->dims[1] || ys->dims[2] != xs->dims[2])
        return bad_shape(op, yc == 1 ? "x must be (3,H,W) and y (1,H,W)"
                                     : "x and y must be (3,H,W)");
    fnrt_buf *bx = args[0], *by = args[op->n_in];
    if (!buf_ok(bx, shape_elems(xs)) || !buf_ok(by, shape_elems(ys)))
        return bad_shape(op, "a buffer's size does not match its shape");
    argset a;
    st = get_kernel(ctx, kid, &a);
    if (st != FNRT_OK)
        return st;
    int n = (int)(xs->dims[1] * xs->dims[2]);
    arg_mem(&a, bx->mem);
    arg_mem(&a, by->mem);
    if (kid == FNRT_CL_K_L2NORM) {
        arg_int(&a, op->p.l2.swizzle ? 1 : 0);
        arg_float(&a, op->p.l2.eps);
    }
    arg_int(&a, n);
    st = launch(ctx, op, kid, &a, (size_t)n, (size_t)ctx->tune[FNRT_CL_TUNE_EW_LS]);
    if (st == FNRT_OK)
        mark_written(ctx, by);
    return st;
}

fnrt_status fnrt_cl_gray(void *vctx, const fnrt_op *op, fnrt_buf *const *args)
{
    return pixel_op(vctx, op, args, FNRT_CL_K_GRAY, 1);
}

fnrt_status fnrt_cl_l2norm(void *vctx, const fnrt_op *op, fnrt_buf *const *args)
{
    return pixel_op(vctx, op, args, FNRT_CL_K_L2NORM, 3);
}

/* ---- merges (cross-modal network) ---- */

/* Work-items of the merge kernels: four elements each (kernels_cl/elementwise.cl). */
static size_t merge_items(int64_t n_elems)
{
    return (size_t)((n_elems + 3) / 4);
}

/* The kernels index with int and step by four: keep the last quad's end in range. */
static int merge_size_ok(int64_t n_elems)
{
    return n_elems <= (int64_t)INT_MAX - 8;
}

fnrt_status fnrt_cl_add(void *vctx, const fnrt_op *op, fnrt_buf *const *args)
{
    fnrt_cl_ctx *ctx = vctx;
    const fnrt_shape *as = &op->in_shape[0], *bs = &op->in_shape[1], *ys = &op->out_shape;
    fnrt_status st = check_buffers(op, args, 2);
    if (st != FNRT_OK)
        return st;
    if (!act_shape_ok(as) || !act_shape_ok(bs) || !act_shape_ok(ys) ||
        memcmp(as->dims, bs->dims, sizeof as->dims) != 0 ||
        memcmp(as->dims, ys->dims, sizeof as->dims) != 0)
        return bad_shape(op, "a, b and y must be (C,H,W) of one shape");
    if ((unsigned)op->p.add.act > (unsigned)FNRT_ACT_TANH)
        return bad_shape(op, "unknown activation");
    fnrt_buf *ba = args[0], *bb = args[1], *by = args[op->n_in];
    int64_t n = shape_elems(ys);
    if (!merge_size_ok(n))
        return bad_shape(op, "tensor too large for 32-bit indexing");
    if (!buf_ok(ba, n) || !buf_ok(bb, n) || !buf_ok(by, n))
        return bad_shape(op, "a buffer's size does not match its shape");
    argset a;
    st = get_kernel(ctx, FNRT_CL_K_ADD, &a);
    if (st != FNRT_OK)
        return st;
    arg_mem(&a, ba->mem);
    arg_mem(&a, bb->mem);
    arg_mem(&a, by->mem);
    arg_int(&a, (int)op->p.add.act);
    arg_float(&a, op->p.add.alpha);
    arg_int(&a, (int)n);
    st = launch(ctx, op, FNRT_CL_K_ADD, &a, merge_items(n), (size_t)ctx->tune[FNRT_CL_TUNE_EW_LS]);
    if (st == FNRT_OK)
        mark_written(ctx, by);
    return st;
}

fnrt_status fnrt_cl_maxmerge(void *vctx, const fnrt_op *op, fnrt_buf *const *args)
{
    fnrt_cl_ctx *ctx = vctx;
    const fnrt_shape *xs = &op->in_shape[0], *ss = &op->in_shape[1], *ys = &op->out_shape;
    fnrt_status st = check_buffers(op, args, 2);
    if (st != FNRT_OK)
        return st;
    int k = op->p.merge.k;
    if (!act_shape_ok(xs) || !act_shape_ok(ss) || !act_shape_ok(ys) ||
        memcmp(xs->dims, ys->dims, sizeof xs->dims) != 0 || ss->dims[1] != xs->dims[1] ||
        ss->dims[2] != xs->dims[2] || k < 0 || (int64_t)k + ss->dims[0] != xs->dims[0])
        return bad_shape(op, "x and y must be (C,H,W) and skip (C-K,H,W)");
    fnrt_buf *bx = args[0], *bs = args[1], *by = args[op->n_in];
    int64_t n = shape_elems(ys);
    if (!merge_size_ok(n))
        return bad_shape(op, "tensor too large for 32-bit indexing");
    if (!buf_ok(bx, n) || !buf_ok(bs, shape_elems(ss)) || !buf_ok(by, n))
        return bad_shape(op, "a buffer's size does not match its shape");
    argset a;
    st = get_kernel(ctx, FNRT_CL_K_MAXMERGE, &a);
    if (st != FNRT_OK)
        return st;
    arg_mem(&a, bx->mem);
    arg_mem(&a, bs->mem);
    arg_mem(&a, by->mem);
    arg_int(&a, (int)((int64_t)k * xs->dims[1] * xs->dims[2]));
    arg_int(&a, (int)n);
    st = launch(ctx, op, FNRT_CL_K_MAXMERGE, &a, merge_items(n),
                (size_t)ctx->tune[FNRT_CL_TUNE_EW_LS]);
    if (st == FNRT_OK)
        mark_written(ctx, by);
    return st;
}

/* ---- preparation at session creation ---- */

fnrt_status fnrt_cl_prepare(void *vctx, const fnrt_op *op, fnrt_buf *const *args)
{
    fnrt_cl_ctx *ctx = vctx;
    fnrt_buf *w = op->n_in > 1 ? args[1] : NULL;
    if ((op->type != FNRT_OP_CONV2D && op->type != FNRT_OP_DECONV2D) || !w || !w->mem)
        return FNRT_OK;
    const fnrt_shape *ws = &op->in_shape[1];
    const fnrt_conv_params *p = &op->p.conv;
    if (ws->ndim != 4 || op->in_shape[0].ndim != 3 || op->out_shape.ndim != 3 ||
        (int64_t)w->n_elems != shape_elems(ws))
        return bad_shape(op, "weight shape");
    int co = (int)op->out_shape.dims[0], ci = (int)op->in_shape[0].dims[0];
    int kind = op->type == FNRT_OP_CONV2D ? FNRT_CL_PACK_CONV : FNRT_CL_PACK_DECONV_PHASES;
    cl_mem packed;
    fnrt_status st = packed_weights(ctx, op, w, kind, co, ci, p->kh, p->kw, p->stride, &packed);
    if (st != FNRT_OK)
        return st;
    /* the canonical copy is never used again: give its memory back (OpenCL keeps it until
     * the queued packing kernel is done) */
    fnrt_cl_free(ctx, w->mem, w->n_elems * sizeof(float));
    w->mem = NULL;
    w->packed_only = 1;
    return FNRT_OK;
}
