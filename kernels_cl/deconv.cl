/* fnrt - transposed 2-D convolution (FNRT_OP_DECONV2D), semantics in fnrt-backend.h.
 *
 * Gather form split into stride phases: an output pixel (p,q) only receives taps u, v with
 * (p + pad - u) % s == 0 and (q + pad - v) % s == 0, i.e. u = php + s*t for its row phase
 * php = (p + pad) % s (likewise v), reading input pixel ((p+pad-u)/s, (q+pad-v)/s).
 * A work-item takes OB output channels x PW output columns of one row that share the same
 * column phase (q = q0 + s*m), so they use the same taps and read PW consecutive input
 * columns per tap: one vector load, OB vector FMAs with broadcast weights (as conv.cl).
 * Weights are re-packed on the device (fnrt_deconv2d_pack_phases) from PyTorch's
 * (Ci,Co,kh,kw) into one block per stride phase, wp[ph][ceil(Co/OB)][Ci][nt][nt][OB], so a
 * work-item reads only its phase's taps, contiguously.  fnrt_deconv2d_k4s2 has compile-time
 * kernel size and stride; fnrt_deconv2d takes them at run time.  Borders are handled as in
 * conv.cl: per work-item one of three tap loops (no checks inside; masked vector loads near
 * a row end; element-wise otherwise).
 * Narrow outputs (phase width < PW) go another way: per phase, fnrt_deconv2d_im2col gathers
 * the taps of the phase's output sub-grid and conv.cl's fnrt_conv2d_k1s1 runs as a GEMM with
 * the same per-phase packed weights, writing the strided sub-grid.
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
#define PX_LANES (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#define PX_LOAD vload16
#define PX_STORE vstore16
#elif FNRT_CONV_PW == 8
typedef float8 pxvec;
typedef int8 pxivec; /* lane masks */
#define PX_LANES (int8)(0, 1, 2, 3, 4, 5, 6, 7)
#define PX_LOAD vload8
#define PX_STORE vstore8
#elif FNRT_CONV_PW == 4
typedef float4 pxvec;
typedef int4 pxivec; /* lane masks */
#define PX_LANES (int4)(0, 1, 2, 3)
#define PX_LOAD vload4
#define PX_STORE vstore4
#elif FNRT_CONV_PW == 2
typedef float2 pxvec;
typedef int2 pxivec; /* lane masks */
#define PX_LANES (int2)(0, 1)
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
INLINE pxvec deconv_load_px(__global const float *row, int c, int w, const int S)
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

/* act_in fused as "x >= 0 ? x : slope*x" (NONE: slope 1, RELU: 0, LEAKY: alpha). */
INLINE pxvec deconv_act_in(pxvec x, float slope)
{
    return select(x * slope, x, isgreaterequal(x, (pxvec)(0.0f)));
}

INLINE pxvec deconv_act_out(pxvec x, int act, float alpha)
{
    if (act == ACT_RELU)
        return select((pxvec)(0.0f), x, isgreater(x, (pxvec)(0.0f)));
    if (act == ACT_LEAKY)
        return select(x * alpha, x, isgreaterequal(x, (pxvec)(0.0f)));
    if (act == ACT_TANH)
        return tanh(x);
    return x;
}

/* Per-phase packing (both paths): wp[ph][ceil(Co/OB)][Ci][tu][tv][OB] with phase
 * ph = php*s + phq, taps u = php + s*tu, v = phq + s*tv (tu < nt, tv < nt, nt = ceil(k/s));
 * taps past the kernel are zero.  n = s*s*ceil(Co/OB)*Ci*nt*nt*OB elements, one work-item
 * per OB of them. */
__kernel void fnrt_deconv2d_pack_phases(__global const float *w, __global float *wp, int co,
                                        int ci, int kh, int kw, int s, int nt, int n)
{
    int gid = get_global_id(0);
    if (gid >= n / OB)
        return;
    int t = gid;
    int tv = t % nt;
    t /= nt;
    int tu = t % nt;
    t /= nt;
    int i = t % ci;
    t /= ci;
    int nob = (co + OB - 1) / OB;
    int ob = t % nob;
    int ph = t / nob;
    int u = ph / s + s * tu, v = ph % s + s * tv;
    __global float *dst = wp + (size_t)gid * OB;
    for (int k = 0; k < OB; k++) {
        int o = ob * OB + k;
        dst[k] = (o < co && u < kh && v < kw) ? w[(((size_t)i * co + o) * kh + u) * kw + v]
                                              : 0.0f;
    }
}

/* Taps of phase (php, phq) for its output sub-grid of hs x ws pixels (rows p0 + s*a, columns
 * q0 + s*b): col[(i*nt + tu)*nt + tv][a*ws + b] = act_in(x[i][(p+pad-u)/s][(q+pad-v)/s]),
 * zero outside the input or the kernel and up to the padded row length pp. */
__kernel void fnrt_deconv2d_im2col(__global const float *x, __global float *col, int h, int w,
                                   int kh, int kw, int s, int pad, int nt, int php, int phq,
                                   int p0, int q0, int hs, int ws, float slope_in, int pp, int n)
{
    int idx = get_global_id(0);
    if (idx >= n)
        return;
    int m = idx % pp;
    int t = idx / pp;
    int tv = t % nt;
    t /= nt;
    int tu = t % nt;
    int i = t / nt;
    float val = 0.0f;
    int u = php + s * tu, v = phq + s * tv;
    if (m < hs * ws && u < kh && v < kw) {
        int p = p0 + s * (m / ws), q = q0 + s * (m % ws);
        int r = (p + pad - u) / s, c = (q + pad - v) / s; /* exact divisions */
        if (r >= 0 && r < h && c >= 0 && c < w) {
            val = x[((size_t)i * h + r) * w + c];
            val = val >= 0.0f ? val : slope_in * val;
        }
    }
    col[idx] = val;
}

/* How deconv_taps reads the PW input values of a tap (as conv.cl's conv_taps): one tap loop
 * per way, chosen per work-item, so most work-items run a loop with no bounds checks. */
#define TAPS_INSIDE 0  /* every span inside its row: plain vector loads */
#define TAPS_EDGE 1    /* a span may leave its row: the same loads, lanes outside zeroed */
#define TAPS_ELEMENT 2 /* element by element, nothing read outside the tensor */
/* TAPS_EDGE reads past a row end into the neighbouring row or channel and zeroes those lanes
 * (select on in[tv], computed once per work-item); only channels with a neighbour channel on
 * both sides use it, so every read stays inside the buffer. */

/* Buffer offset of the input row of phase tap tu, -1 outside the tensor (rb = p + pad - php,
 * so rb - S*tu is a multiple of S). */
INLINE int deconv_row(int rb, int tu, const int S, int h, int w)
{
    int r = (rb - S * tu) / S; /* exact: a multiple of S is divided */
    return (r < 0 || r >= h) ? -1 : r * w;
}

/* acc[k] += taps of input channels i = i0, i0 + istep, ... < i1 for the work-item's pixels:
 * tap (tu, tv) of its phase reads input row roff[tu] (-1: outside; taps past the 8 kept come
 * from deconv_row(rb, ...)) at column cb - tv + lane,
 * weights wb[i][tu][tv][OB] (the phase's packed block; taps past the kernel are zero). */
INLINE void deconv_taps(pxvec *acc, __global const float *x, __global const float *wb, int i0,
                        int i1, int istep, int h, int w, const int *roff, int rb, int cb,
                        const pxivec *in, float slope_in, const int NT, const int S,
                        const int WAY, const int ACT)
{
    for (int i = i0; i < i1; i += istep) {
        __global const float *xi = x + (size_t)i * h * w;
        __global const float *wi = wb + (size_t)i * NT * NT * OB;
#pragma unroll
        for (int tu = 0; tu < NT; tu++) {
            int ro = tu < 8 ? roff[tu] : deconv_row(rb, tu, S, h, w);
            if (WAY != TAPS_INSIDE && ro < 0)
                continue;
            __global const float *row = xi + ro;
#pragma unroll
            for (int tv = 0; tv < NT; tv++) {
                pxvec xv;
                if (WAY == TAPS_INSIDE)
                    xv = PX_LOAD(0, row + cb - tv);
                else if (WAY == TAPS_EDGE)
                    xv = select((pxvec)(0.0f), PX_LOAD(0, row + cb - tv), in[tv & 7]);
                else
                    xv = deconv_load_px(row, cb - tv, w, 1);
                if (ACT)
                    xv = deconv_act_in(xv, slope_in);
                __global const float *wk = wi + (tu * NT + tv) * OB;
#pragma unroll
                for (int k = 0; k < OB; k++)
                    acc[k] = fma((pxvec)(wk[k]), xv, acc[k]);
            }
        }
    }
}

INLINE void deconv_core(__global const float *x, __global const float *wp,
                        __global const float *bias, __global float *y, int ci, int h, int w,
                        int co, int ho, int wo, int pad, float slope_in, int act_out,
                        float alpha_out, int has_bias, const int KH, const int KW, const int S)
{
    int gid = get_global_id(0);
    int nob = (co + OB - 1) / OB;
    int nqb_ph = ((wo + S - 1) / S + PW - 1) / PW; /* column blocks per phase */
    int nqb = S * nqb_ph;
    int ob = gid % nob;
    int t = gid / nob;
    int qb = t % nqb;
    int p = t / nqb;
    if (p >= ho)
        return;
    int phq = qb / nqb_ph;
    int m0 = (qb % nqb_ph) * PW;
    int q0 = ((phq - pad) % S + S) % S; /* first output column of this phase */
    int qs = q0 + S * m0;               /* first output column of this work-item */
    if (qs >= wo)
        return;
    int cb = (q0 + pad - phq) / S + m0; /* input column of tap t = 0 for pixel 0 */
    int php = (p + pad) % S;

    pxvec acc[OB];
#pragma unroll
    for (int k = 0; k < OB; k++)
        acc[k] = (pxvec)(0.0f);

    /* taps of this phase: u = php + S*tu (input row r = (p + pad - u)/S), v = phq + S*tv
     * (input column cb - tv for lane 0); roff[tu]: buffer offset of row r, -1 outside */
    const int NT = ((KH > KW ? KH : KW) + S - 1) / S;
    int roff[8];
    int rows_in = NT <= 8;
    int rb = p + pad - php;
#pragma unroll
    for (int tu = 0; tu < 8; tu++) {
        roff[tu] = tu >= NT ? -1 : deconv_row(rb, tu, S, h, w);
        rows_in = rows_in && (tu >= NT || roff[tu] >= 0);
    }
    int way = TAPS_ELEMENT;
    if (rows_in && cb - (NT - 1) >= 0 && cb + PW <= w)
        way = TAPS_INSIDE;
    else if (NT <= 8 && ci > 2 && h * w >= 2 * (PW + NT))
        way = TAPS_EDGE;
    pxivec in[8];
#pragma unroll
    for (int tv = 0; tv < 8; tv++) {
        pxivec col = (pxivec)(cb - tv) + PX_LANES;
        in[tv] = (col >= (pxivec)(0)) & (col < (pxivec)(w));
    }

    /* weights packed per phase (fnrt_deconv2d_pack_phases): wp[ph][nob][ci][NT][NT][OB] */
    __global const float *wb = wp + ((size_t)(php * S + phq) * nob + ob) * ci * NT * NT * OB;
    int act = slope_in != 1.0f;
#define DECONV_TAPS(I0, I1, STEP, WAY, ACT)                                                    \
    deconv_taps(acc, x, wb, I0, I1, STEP, h, w, roff, rb, cb, in, slope_in, NT, S, WAY, ACT)
    /* one call site per loop (each is compiled once) */
    if (way != TAPS_INSIDE)
        DECONV_TAPS(0, ci, way == TAPS_EDGE ? ci - 1 : 1, TAPS_ELEMENT, 1);
    if (way == TAPS_EDGE) {
        if (act)
            DECONV_TAPS(1, ci - 1, 1, TAPS_EDGE, 1);
        else
            DECONV_TAPS(1, ci - 1, 1, TAPS_EDGE, 0);
    } else if (way == TAPS_INSIDE) {
        if (act)
            DECONV_TAPS(0, ci, 1, TAPS_INSIDE, 1);
        else
            DECONV_TAPS(0, ci, 1, TAPS_INSIDE, 0);
    }
#undef DECONV_TAPS

    int nq = min(PW, (wo - qs + S - 1) / S);
#pragma unroll
    for (int k = 0; k < OB; k++) {
        int o = ob * OB + k;
        if (o >= co)
            break;
        pxvec v = deconv_act_out(acc[k] + (has_bias ? bias[o] : 0.0f), act_out, alpha_out);
        __global float *yr = y + ((size_t)o * ho + p) * wo + qs;
        if (S == 1 && nq == PW) {
            PX_STORE(v, 0, yr);
        } else {
            float tv[PW];
            PX_STORE(v, 0, tv);
            for (int j = 0; j < nq; j++)
                yr[j * S] = tv[j];
        }
    }
}

#define DECONV_ARGS                                                                            \
    __global const float *x, __global const float *wp, __global const float *bias,             \
        __global float *y, int ci, int h, int w, int co, int ho, int wo, int pad,              \
        float slope_in, int act_out, float alpha_out, int has_bias
#define DECONV_PASS x, wp, bias, y, ci, h, w, co, ho, wo, pad, slope_in, act_out, alpha_out, \
                    has_bias

__kernel void fnrt_deconv2d(DECONV_ARGS, int kh, int kw, int stride)
{
    deconv_core(DECONV_PASS, kh, kw, stride);
}

__kernel void fnrt_deconv2d_k4s2(DECONV_ARGS)
{
    deconv_core(DECONV_PASS, 4, 4, 2);
}
