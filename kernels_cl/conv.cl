/* fnrt - 2-D convolution (FNRT_OP_CONV2D), semantics in host/include/fnrt/fnrt-backend.h.
 *
 * Design (aimed at CPUs running PoCL, valid on any OpenCL 1.2 device):
 *   - One work-item computes OB output channels x PW consecutive output pixels of one row.
 *     The PW pixels are one vector (float16 by default) and there are OB vector
 *     accumulators, one per output channel: each tap (i,u,v) is one vector load of PW input
 *     pixels (act_in applied once to the vector) and OB FMAs with a broadcast weight, so
 *     the inner loop is straight vector FMAs rather than a scalar reduction (which PoCL's
 *     work-item loop vectoriser cannot speed up).
 *   - Weights are re-packed on the device (fnrt_conv2d_pack) from the canonical
 *     (Co,Ci,kh,kw) layout into channel blocks wp[ceil(Co/OB)][Ci][kh][kw][OB] (zero past Co),
 *     so the OB weights of one tap are adjacent; the host re-packs whenever the weight
 *     buffer was written (by buf_write or by an op such as modulate).
 *   - The 1-D global index is decoded as (output-channel block fastest, then pixel block,
 *     then row): neighbouring work-items reuse the same input rows from cache.
 *   - Borders cost nothing in the inner loop: each work-item picks one of three tap loops
 *     (conv_taps): no checks at all when its receptive field is inside the input; near a
 *     row end the same vector loads with the lanes outside the row zeroed by a select on a
 *     mask computed once (reads spill into the neighbouring row or channel, so the first and
 *     last input channel take the element-wise loop, keeping every read inside the buffer);
 *     and the element-wise loop for what is left.  act_in NONE gets a loop without the
 *     activation.  (Measured with 64->64 3x3 at 256^2, 512->512 at 32^2 and 16^2: 56/43/33 %
 *     of the FMA peak before, 73/78/83 % after; see the commit message.)
 *   - Kernel sizes the networks use are instantiated with compile-time kh/kw/stride
 *     (fnrt_conv2d_k3s1 etc.) so the tap loops unroll; fnrt_conv2d takes them at run time.
 *   - Outputs narrower than PW would leave lanes idle: the host then gathers the taps once
 *     (fnrt_conv2d_im2col) and runs fnrt_conv2d_k1s1 as a GEMM over the flattened output
 *     plane (also used per stride phase by narrow deconvolutions, see deconv.cl).
 *   - act_in TANH is not fused: the host applies it first (fnrt_act_apply).
 * Compiles on its own with any OpenCL C 1.2 compiler; tunables come in as -D defines.
 */
#ifndef FNRT_CONV_OB
#define FNRT_CONV_OB 16 /* output channels per work-item (accumulators): 1..32 */
#endif
#ifndef FNRT_CONV_PW
#define FNRT_CONV_PW 16 /* output pixels per work-item = vector width: 2, 4, 8 or 16 */
#endif

#if FNRT_CONV_PW == 16
typedef float16 pxvec;
typedef int16 pxivec; /* lane masks */
#define PX_LANES (pxivec)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#define PX_LOAD vload16
#define PX_STORE vstore16
#elif FNRT_CONV_PW == 8
typedef float8 pxvec;
typedef int8 pxivec; /* lane masks */
#define PX_LANES (pxivec)(0, 1, 2, 3, 4, 5, 6, 7)
#define PX_LOAD vload8
#define PX_STORE vstore8
#elif FNRT_CONV_PW == 4
typedef float4 pxvec;
typedef int4 pxivec; /* lane masks */
#define PX_LANES (pxivec)(0, 1, 2, 3)
#define PX_LOAD vload4
#define PX_STORE vstore4
#elif FNRT_CONV_PW == 2
typedef float2 pxvec;
typedef int2 pxivec; /* lane masks */
#define PX_LANES (pxivec)(0, 1)
#define PX_LOAD vload2
#define PX_STORE vstore2
#else
#error "FNRT_CONV_PW must be 2, 4, 8 or 16"
#endif
#if FNRT_CONV_OB < 1 || FNRT_CONV_OB > 32
#error "FNRT_CONV_OB must be 1..32"
#endif

/* helpers must inline, or the accumulators spill around calls */
#define INLINE static inline __attribute__((always_inline))

#define OB FNRT_CONV_OB
#define PW FNRT_CONV_PW

#ifdef __clang__
/* the unroll hints cannot apply to the run-time-sized generic kernel: no warning for it */
#pragma clang diagnostic ignored "-Wpass-failed"
#endif

/* fnrt_act values */
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_LEAKY 2
#define ACT_TANH 3

/* PW input values row[c + j*S], j = 0..PW-1, zero outside [0, w).  One or two vector loads
 * when the span is inside the row (S 1 or 2), element by element near the borders. */
INLINE pxvec conv_load_px(__global const float *row, int c, int w, const int S)
{
    if (c >= 0 && c + PW * S <= w) {
        if (S == 1)
            return PX_LOAD(0, row + c);
        if (S == 2) {
            pxvec lo = PX_LOAD(0, row + c), hi = PX_LOAD(0, row + c + PW);
            return (pxvec)(lo.even, hi.even);
        }
    }
    float t[PW];
#pragma unroll
    for (int j = 0; j < PW; j++) {
        int cc = c + j * S;
        float v = row[clamp(cc, 0, w - 1)];
        t[j] = (cc >= 0 && cc < w) ? v : 0.0f;
    }
    return PX_LOAD(0, t);
}

/* PW input values p[j*S], j = 0..PW-1, all inside the row. */
INLINE pxvec conv_load_in(__global const float *p, const int S)
{
    if (S == 1)
        return PX_LOAD(0, p);
    if (S == 2) {
        pxvec lo = PX_LOAD(0, p), hi = PX_LOAD(0, p + PW);
        return (pxvec)(lo.even, hi.even);
    }
    float t[PW];
#pragma unroll
    for (int j = 0; j < PW; j++)
        t[j] = p[j * S];
    return PX_LOAD(0, t);
}

/* Buffer offset of input row r0 - pad + u (r0 = first input row of the output row), -1
 * outside the tensor: for the rows past the 8 conv_core keeps (generic kernel only). */
INLINE int conv_row(int r0, int u, int pad, int h, int x_rows, int w)
{
    int r = r0 - pad + u;
    return (r < 0 || r >= h) ? -1 : (r % x_rows) * w;
}

/* act_in fused as "x >= 0 ? x : slope*x" (NONE: slope 1, RELU: 0, LEAKY: alpha). */
INLINE pxvec conv_act_in(pxvec x, float slope)
{
    return select(x * slope, x, isgreaterequal(x, (pxvec)(0.0f)));
}

INLINE pxvec conv_act_out(pxvec x, int act, float alpha)
{
    if (act == ACT_RELU)
        return select((pxvec)(0.0f), x, isgreater(x, (pxvec)(0.0f)));
    if (act == ACT_LEAKY)
        return select(x * alpha, x, isgreaterequal(x, (pxvec)(0.0f)));
    if (act == ACT_TANH)
        return tanh(x);
    return x;
}

/* Packs w[Co][Ci][kh][kw] into wp[ceil(Co/OB)][Ci][kh][kw][OB]; one work-item per OB packed
 * elements (the OB weights of one tap: index arithmetic once per OB; n = ceil(Co/OB)*Ci*kh*kw*OB
 * elements, n/OB work-items). */
__kernel void fnrt_conv2d_pack(__global const float *w, __global float *wp, int co, int ci,
                               int khw, int n)
{
    int gid = get_global_id(0);
    if (gid >= n / OB)
        return;
    int per_ob = ci * khw;
    int ob = gid / per_ob, within = gid % per_ob; /* gid = ob*per_ob + (i*kh + u)*kw + v */
    __global float *dst = wp + (size_t)gid * OB;
    for (int k = 0; k < OB; k++) {
        int o = ob * OB + k;
        dst[k] = o < co ? w[(size_t)o * per_ob + within] : 0.0f;
    }
}

/* For outputs narrower than PW (deep layers), the conv runs as a 1x1 conv over the
 * flattened output plane: col[(i*kh + u)*kw + v][pix] = act_in(x[i, p*s-pad+u, q*s-pad+v])
 * for pix = p*wo + q < ho*wo, zero up to the padded row length pp (a multiple of PW).
 * n = ci*kh*kw*pp. */
__kernel void fnrt_conv2d_im2col(__global const float *x, __global float *col, int h, int w,
                                 int ho, int wo, int kh, int kw, int stride, int pad,
                                 float slope_in, int pp, int n)
{
    int idx = get_global_id(0);
    if (idx >= n)
        return;
    int pix = idx % pp;
    int t = idx / pp;
    int v = t % kw;
    t /= kw;
    int u = t % kh;
    int i = t / kh;
    float val = 0.0f;
    if (pix < ho * wo) {
        int r = (pix / wo) * stride - pad + u, c = (pix % wo) * stride - pad + v;
        if (r >= 0 && r < h && c >= 0 && c < w) {
            val = x[((size_t)i * h + r) * w + c];
            val = val >= 0.0f ? val : slope_in * val;
        }
    }
    col[idx] = val;
}

/* How conv_taps reads the PW input values of a tap; one tap loop per way, chosen per
 * work-item, so that the loop of most work-items has no bounds checks. */
#define TAPS_INSIDE 0  /* every span inside its row: plain vector loads */
#define TAPS_EDGE 1    /* a span may leave its row: the same loads, lanes outside zeroed */
#define TAPS_ELEMENT 2 /* element by element, nothing read outside the tensor */
/* TAPS_EDGE reads past a row end into the neighbouring row (or channel) and zeroes those lanes
 * with a select on a mask computed once per work-item (in[v]); it is used only for channels
 * that have a neighbour channel on that side, so every read stays inside the buffer: the
 * first and last channel go through TAPS_ELEMENT. */

/* The KW taps of input row u (buffer offset from roff, or conv_row(r0, ...) past the 8 kept;
 * -1: zero padding, skipped) of input channel xi; wu: the row's weights [KW][OB]. */
INLINE void conv_row_taps(pxvec *acc, __global const float *xi, __global const float *wu,
                          int u, const int *roff, int r0, int pad, int h, int x_rows, int w,
                          int c0, const pxivec *in, float slope_in, const int KW, const int S,
                          const int WAY, const int ACT)
{
    int ro = u < 8 ? roff[u] : conv_row(r0, u, pad, h, x_rows, w);
    if (WAY != TAPS_INSIDE && ro < 0)
        return;
    __global const float *row = xi + ro;
#pragma unroll
    for (int v = 0; v < KW; v++) {
        pxvec xv;
        if (WAY == TAPS_INSIDE)
            xv = conv_load_in(row + c0 + v, S);
        else if (WAY == TAPS_EDGE)
            xv = select((pxvec)(0.0f), conv_load_in(row + c0 + v, S), in[v & 7]);
        else
            xv = conv_load_px(row, c0 + v, w, S);
        if (ACT)
            xv = conv_act_in(xv, slope_in);
        __global const float *wk = wu + v * OB;
#pragma unroll
        for (int k = 0; k < OB; k++)
            acc[k] = fma((pxvec)(wk[k]), xv, acc[k]);
    }
}

/* acc[k] += sum over input channels i = i0, i0 + istep, ... < i1 and taps of w * act_in(x)
 * for the work-item's pixels.  roff: buffer offsets of the first 8 input rows (-1: zero
 * padding; further rows come from conv_row(r0, ...)); c0: input column of tap 0 of lane 0;
 * in[v]: lanes of tap column v inside the row (TAPS_EDGE).  ACT: act_in is not the
 * identity. */
INLINE void conv_taps(pxvec *acc, __global const float *x, __global const float *wb, int i0,
                      int i1, int istep, size_t plane, const int *roff, int r0, int pad, int h,
                      int x_rows, int w, int c0, const pxivec *in, float slope_in,
                      const int KH, const int KW, const int S, const int WAY, const int ACT)
{
    for (int i = i0; i < i1; i += istep) {
        __global const float *xi = x + i * plane;
        __global const float *wi = wb + (size_t)i * KH * KW * OB;
#define CONV_ROW_TAPS                                                                          \
    conv_row_taps(acc, xi, wi + u * KW * OB, u, roff, r0, pad, h, x_rows, w, c0, in, slope_in,  \
                  KW, S, WAY, ACT)
        if (S == 1) {
#pragma unroll
            for (int u = 0; u < KH; u++)
                CONV_ROW_TAPS;
        } else {
            /* not unrolled: unrolled, the compiler hoists every row's pair of loads per
             * tap ahead of the FMAs and spills accumulators */
#pragma unroll 1
            for (int u = 0; u < KH; u++)
                CONV_ROW_TAPS;
        }
#undef CONV_ROW_TAPS
    }
}

/* Output addressing.  Direct mode (gemm = 0): y[o][p][q].  GEMM mode (gemm = 1, set by the
 * host for im2col input, where h = ho = 1): output pixel m of channel o goes to
 * y[o*y_cs + y_off + (m / y_w)*y_rs + (m % y_w)*y_xs], which lets a deconvolution phase write
 * its strided sub-grid; work-items sharing weights are then adjacent.
 * Row bands (direct mode; the session's tiled chains): only output rows p0 <= p < p_end are
 * computed, and x, y and res keep row r of their tensor at row r % x_rows (y_rows, r_rows)
 * of the buffer: a ring of rows (a line buffer), or the whole tensor when that is its
 * height.  The arithmetic per output element is the same either way. */
INLINE void conv_core(__global const float *x, __global const float *wp,
                      __global const float *bias, __global const float *res,
                      __global float *y, int ci, int h, int w, int co, int ho, int wo, int pad,
                      float slope_in, int act_out, float alpha_out, int has_bias, int has_res,
                      int gemm, int y_cs, int y_off, int y_w, int y_rs, int y_xs, int p0,
                      int p_end, int x_rows, int y_rows, int r_rows, const int KH,
                      const int KW, const int S)
{
    int gid = get_global_id(0);
    int nob = (co + OB - 1) / OB, nqb = (wo + PW - 1) / PW;
    int ob, qb, p;
    if (gemm) {
        qb = gid % nqb;
        ob = gid / nqb;
        p = ob >= nob ? ho : 0;
    } else { /* direct: work-items sharing input rows are adjacent */
        ob = gid % nob;
        int t = gid / nob;
        qb = t % nqb;
        p = p0 + t / nqb;
    }
    if (p >= ho || p >= p_end)
        return;
    int q0 = qb * PW;
    int c0 = q0 * S - pad;

    pxvec acc[OB];
#pragma unroll
    for (int k = 0; k < OB; k++)
        acc[k] = (pxvec)(0.0f);

    int roff[8];
    int rows_in = KH <= 8;
#pragma unroll
    for (int u = 0; u < 8; u++) {
        int r = p * S - pad + u;
        roff[u] = (u >= KH || r < 0 || r >= h) ? -1 : (r % x_rows) * w;
        rows_in = rows_in && (u >= KH || roff[u] >= 0);
    }
    int way = TAPS_ELEMENT;
    if (rows_in && c0 >= 0 && c0 + (KW - 1) + PW * S <= w)
        way = TAPS_INSIDE;
    else if ((S == 1 || S == 2) && KW <= 8 && ci > 2 &&
             (long)x_rows * w >= 2 * (PW * S + KW + pad))
        way = TAPS_EDGE;
    pxivec in[8];
#pragma unroll
    for (int v = 0; v < 8; v++) {
        pxivec col = (pxivec)(c0 + v) + PX_LANES * (pxivec)(S);
        in[v] = (col >= (pxivec)(0)) & (col < (pxivec)(w));
    }

    __global const float *wb = wp + (size_t)ob * ci * KH * KW * OB;
    size_t plane = (size_t)x_rows * w;
    int r0 = p * S, act = slope_in != 1.0f;
#define CONV_TAPS(I0, I1, STEP, WAY, ACT)                                                      \
    conv_taps(acc, x, wb, I0, I1, STEP, plane, roff, r0, pad, h, x_rows, w, c0, in, slope_in,   \
              KH, KW, S, WAY, ACT)
    /* one call site per loop (each is compiled once): element-wise for every channel, or
     * for the first and last one of an edge work-item */
    if (way != TAPS_INSIDE)
        CONV_TAPS(0, ci, way == TAPS_EDGE ? ci - 1 : 1, TAPS_ELEMENT, 1);
    if (way == TAPS_EDGE) {
        if (act)
            CONV_TAPS(1, ci - 1, 1, TAPS_EDGE, 1);
        else
            CONV_TAPS(1, ci - 1, 1, TAPS_EDGE, 0);
    } else if (way == TAPS_INSIDE) {
        if (act)
            CONV_TAPS(0, ci, 1, TAPS_INSIDE, 1);
        else
            CONV_TAPS(0, ci, 1, TAPS_INSIDE, 0);
    }
#undef CONV_TAPS

    int nq = min(PW, wo - q0);
#pragma unroll
    for (int k = 0; k < OB; k++) {
        int o = ob * OB + k;
        if (o >= co)
            break;
        pxvec v = conv_act_out(acc[k] + (has_bias ? bias[o] : 0.0f), act_out, alpha_out);
        size_t base = gemm ? (size_t)o * y_cs + y_off : ((size_t)o * y_rows + p % y_rows) * wo;
        size_t rbase = gemm ? base : ((size_t)o * r_rows + p % r_rows) * wo;
        int contiguous = !gemm || (y_xs == 1 && y_rs == y_w);
        if (contiguous && nq == PW) {
            if (has_res)
                v += PX_LOAD(0, res + rbase + q0);
            PX_STORE(v, 0, y + base + q0);
        } else {
            float tv[PW];
            PX_STORE(v, 0, tv);
            for (int j = 0; j < nq; j++) {
                int m = q0 + j;
                size_t off = contiguous ? (size_t)m
                                        : (size_t)(m / y_w) * y_rs + (size_t)(m % y_w) * y_xs;
                y[base + off] = has_res ? tv[j] + res[rbase + off] : tv[j];
            }
        }
    }
}

/* Arguments shared by every conv2d kernel: x, packed w (from element wp_off on), bias, res, y
 * (bias/res are dummies when has_bias/has_res are 0), the shapes, the fused activations and
 * the output addressing of conv_core. */
#define CONV_ARGS                                                                              \
    __global const float *x, __global const float *wp, int wp_off,                             \
        __global const float *bias, __global const float *res, __global float *y, int ci,      \
        int h, int w, int co, int ho, int wo, int pad, float slope_in, int act_out,            \
        float alpha_out, int has_bias, int has_res, int gemm, int y_cs, int y_off, int y_w,    \
        int y_rs, int y_xs, int p0, int p_end, int x_rows, int y_rows, int r_rows
#define CONV_PASS                                                                              \
    x, wp + wp_off, bias, res, y, ci, h, w, co, ho, wo, pad, slope_in, act_out, alpha_out,     \
        has_bias, has_res, gemm, y_cs, y_off, y_w, y_rs, y_xs, p0, p_end, x_rows, y_rows,      \
        r_rows

__kernel void fnrt_conv2d(CONV_ARGS, int kh, int kw, int stride)
{
    conv_core(CONV_PASS, kh, kw, stride);
}

__kernel void fnrt_conv2d_k1s1(CONV_ARGS)
{
    conv_core(CONV_PASS, 1, 1, 1);
}

__kernel void fnrt_conv2d_k3s1(CONV_ARGS)
{
    conv_core(CONV_PASS, 3, 3, 1);
}

__kernel void fnrt_conv2d_k4s2(CONV_ARGS)
{
    conv_core(CONV_PASS, 4, 4, 2);
}

__kernel void fnrt_conv2d_k5s2(CONV_ARGS)
{
    conv_core(CONV_PASS, 5, 5, 2);
}

/* The cross-modal network's ResNet-18 encoder: 7x7 stride-2 stem, 3x3 stride-2 first convs
 * of layer2..4 and their 1x1 stride-2 downsample shortcuts. */
__kernel void fnrt_conv2d_k7s2(CONV_ARGS)
{
    conv_core(CONV_PASS, 7, 7, 2);
}

__kernel void fnrt_conv2d_k3s2(CONV_ARGS)
{
    conv_core(CONV_PASS, 3, 3, 2);
}

__kernel void fnrt_conv2d_k1s2(CONV_ARGS)
{
    conv_core(CONV_PASS, 1, 1, 2);
}
