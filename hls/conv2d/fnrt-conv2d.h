/* The convolution engine of the fnrt HLS kernels: fnrt_conv2d and fnrt_deconv2d (transposed
 * convolution) are two instances of it.  Semantics: FNRT_OP_CONV2D / FNRT_OP_DECONV2D in
 * host/include/fnrt/fnrt-backend.h; stream orders and the packed weight layout:
 * hls/common/fnrt-hls-layout.h.
 *
 * Structure (weight-stationary P x P MAC array, output tiled in bands of tile_rows rows):
 *   line buffer  the input rows a band needs (act_in applied on the way in), filled from
 *                the pixel-order input stream; rows are reused by the next band;
 *   step         one P x P weight block (group og of P outputs, group ig of P inputs, one
 *                tap), held in registers while every pixel of the band passes (one pixel
 *                per cycle: P x P MACs), the next block is prefetched from memory during
 *                the same loop (512-bit words), so a step costs max(pixels, words);
 *   accumulator  MAX_PIX pixels x P outputs; the first step of a group overwrites it;
 *                for conv the previous group's finished sums leave in that same loop (bias,
 *                act_out, residual, conversion), for deconv after the group (the phases
 *                touch disjoint pixel subsets).
 * Requantising builds (PR::requant, prec_q8): the float array `bias` holds 2*Co+1 values,
 * b'[Co] (the bias over the output scale, read when has_bias), m[Co] (per-output-channel
 * multipliers s_x s_w[o] / s_y) and s_y (the output scale, for tanh); an output is
 * act_out(acc * m[o] + b'[o]) (+ the residual's codes, which must be at the output scale),
 * rounded once to its int8 code; act_in works on the input codes (ReLU and LeakyReLU are
 * scale-free).  The other builds read Co values.
 * Deconv runs in gather form over its s*s phases: each output pixel sees (k/s)^2 taps, so
 * no multiply is spent on the zeros of the strided input.
 * In C-simulation the engine counts cycles with the same rules as
 * fnrt_hls_conv_cycles_eval() (fnrt-hls-layout.h), the model sim/ uses. */
#ifndef FNRT_HLS_CONV2D_H
#define FNRT_HLS_CONV2D_H

#include "../common/fnrt-hls-layout.h"
#include "../common/fnrt-hls-types.h"

namespace fnrt_hls {

struct conv_args {
    int ci, h, w, co, kh, kw, stride, pad, transposed;
    int act_in, act_out;
    float alpha_in, alpha_out;
    int tile_rows, has_bias, has_res;
};

struct conv_stats {
    long long load, mac, mac_useful, overhead, weight_words, total;
    int n_bands;
};

inline void conv_out_size(const conv_args &a, int *ho, int *wo)
{
    if (!a.transposed) {
        *ho = (a.h + 2 * a.pad - a.kh) / a.stride + 1;
        *wo = (a.w + 2 * a.pad - a.kw) / a.stride + 1;
    } else {
        *ho = (a.h - 1) * a.stride - 2 * a.pad + a.kh;
        *wo = (a.w - 1) * a.stride - 2 * a.pad + a.kw;
    }
}

/* 0 if an engine with these buffers can run the layer with a.tile_rows, else -1. */
template <int P, int LB_WORDS, int MAX_PIX, int MAX_CO> inline int conv_check(const conv_args &a)
{
    int ho, wo;
    if (a.ci < 1 || a.co < 1 || a.h < 1 || a.w < 1 || a.kh < 1 || a.kw < 1 || a.stride < 1 ||
        a.pad < 0)
        return -1;
    if (a.transposed && (a.kh != a.kw || a.kh % a.stride))
        return -1;
    conv_out_size(a, &ho, &wo);
    if (ho < 1 || wo < 1 || a.tile_rows < 1 || a.tile_rows > ho ||
        (long long)a.tile_rows * wo > MAX_PIX || fnrt_hls_ceil_div(a.co, P) * P > MAX_CO)
        return -1;
    long long rw = (long long)a.w * fnrt_hls_ceil_div(a.ci, P);
    if (fnrt_hls_band_in_rows(a.tile_rows, a.kh, a.stride, a.transposed) * rw > LB_WORDS)
        return -1;
    return 0;
}

/* One output value: bias, act_out, residual (r: its code), conversion to act_t. */
template <class PR, bool RQ = PR::requant> struct conv_out_value {
    typedef typename PR::post_t post_t;
    typedef typename PR::act_t act_t;
    static act_t run(const typename PR::acc_t &a, const post_t &b, const post_t &m, float s_out,
                     const act_t &r, const conv_args &args)
    {
        (void)m;
        (void)s_out;
        post_t v = post_t(post_t(a) + b);
        v = apply_act(v, args.act_out, args.alpha_out);
        if (args.has_res)
            v = post_t(v + post_t(r));
        return act_t(v);
    }
};

/* Requantising: in output code units, y = act_out(acc * m[o] + b'[o]) (+ residual code);
 * tanh needs the real value, tanh(v * s_y) / s_y. */
template <class PR> struct conv_out_value<PR, true> {
    typedef typename PR::act_t act_t;
    static act_t run(const typename PR::acc_t &a, float b, float m, float s_out, const act_t &r,
                     const conv_args &args)
    {
        float v = num<typename PR::acc_t>::to_float(a) * m + b;
        if (args.act_out == ACT_TANH)
            v = num<float>::tanh(v * s_out) / s_out;
        else
            v = apply_act(v, args.act_out, args.alpha_out);
        if (args.has_res)
            v += num<act_t>::to_float(r);
        return num<act_t>::from_float(v);
    }
};

/* bias + act_out + residual for one pixel of group og -> one output beat. */
template <class PR, int P, int MAX_CO>
inline vec<typename PR::act_t, P> conv_post(const typename PR::acc_t a[P],
                                            const typename PR::post_t bbuf[MAX_CO],
                                            const typename PR::post_t mbuf[MAX_CO], float s_out,
                                            int og, hls::stream<vec<typename PR::act_t, P> > &res,
                                            const conv_args &args)
{
#pragma HLS INLINE
    typedef typename PR::act_t act_t;
    vec<act_t, P> r, rv;
    if (args.has_res)
        rv = res.read();
    else
        for (int po = 0; po < P; po++) {
#pragma HLS UNROLL
            rv.v[po] = act_t(0);
        }
    for (int po = 0; po < P; po++) {
#pragma HLS UNROLL
        int o = og * P + po;
        act_t y = conv_out_value<PR>::run(a[po], bbuf[o], mbuf[o], s_out, rv.v[po], args);
        r.v[po] = o < args.co ? y : act_t(0);
    }
    return r;
}

template <class PR, int P, int LB_WORDS, int MAX_PIX, int MAX_CO>
void conv_engine(hls::stream<vec<typename PR::act_t, P> > &xin,
                 const vec<typename PR::wt_t, 512 / num<typename PR::wt_t>::bits> *wmem,
                 const float *bias, hls::stream<vec<typename PR::act_t, P> > &res,
                 hls::stream<vec<typename PR::act_t, P> > &yout, const conv_args &a,
                 conv_stats *st)
{
    typedef typename PR::act_t act_t;
    typedef typename PR::wt_t wt_t;
    typedef typename PR::acc_t acc_t;
    typedef typename PR::post_t post_t;
    typedef vec<act_t, P> avec;
    const int WV = 512 / num<wt_t>::bits;
    const int WL = (P * P + WV - 1) / WV; /* weight words per step */
    const int D = FNRT_HLS_SHORT_DEPTH;

    static avec lb[LB_WORDS];
#pragma HLS BIND_STORAGE variable = lb type = ram_2p impl = uram
    static acc_t acc[MAX_PIX][P];
#pragma HLS ARRAY_PARTITION variable = acc dim = 2 complete
    static post_t bbuf[MAX_CO], mbuf[MAX_CO];
#pragma HLS ARRAY_PARTITION variable = bbuf cyclic factor = P
#pragma HLS ARRAY_PARTITION variable = mbuf cyclic factor = P
    float s_out = 1.0f;
    wt_t wcur[P][P], wnext[P][P];
#pragma HLS ARRAY_PARTITION variable = wcur complete dim = 0
#pragma HLS ARRAY_PARTITION variable = wnext complete dim = 0

    conv_stats cs = {0, 0, 0, 0, 0, 0, 0};
    const int s = a.stride, pad = a.pad, kh = a.kh, kw = a.kw, tp = a.transposed;
    int ho, wo;
    conv_out_size(a, &ho, &wo);
    const int nig = fnrt_hls_ceil_div(a.ci, P), nog = fnrt_hls_ceil_div(a.co, P);
    const int phases = tp ? s * s : 1, kk = tp ? kh / s : 0;
    const int taps = tp ? kk * kk : kh * kw, sstep = tp ? s : 1;
    const int row_words = a.w * nig;
    const int cap_rows = LB_WORDS / row_words;
    const int tr = a.tile_rows;
    const long long steps_band = (long long)nog * phases * nig * taps;

bias_load:
    for (int o = 0; o < nog * P; o++) {
#pragma HLS PIPELINE II = 1
        bbuf[o] = (a.has_bias && o < a.co) ? post_t(bias[o]) : post_t(0);
        if (PR::requant)
            mbuf[o] = o < a.co ? post_t(bias[a.co + o]) : post_t(0);
    }
    if (PR::requant)
        s_out = bias[2 * a.co];
    FNRT_HLS_STAT(cs.overhead += nog * P + D);

weight_prologue:
    for (int i = 0; i < WL; i++) {
#pragma HLS PIPELINE II = 1
        vec<wt_t, WV> word = wmem[i];
        for (int j = 0; j < WV; j++) {
#pragma HLS UNROLL
            int lin = i * WV + j;
            if (lin < P * P)
                wcur[lin / P][lin % P] = word.v[j];
        }
    }
    FNRT_HLS_STAT(cs.overhead += WL + D);
    FNRT_HLS_STAT(cs.weight_words += WL);

    int rows_loaded = 0;
bands:
    for (int r0 = 0; r0 < ho; r0 += tr) {
        const int t = ho - r0 < tr ? ho - r0 : tr;
        const bool last_band = r0 + t >= ho;
        int lo, hi;
        if (!tp) {
            lo = r0 * s - pad;
            hi = (r0 + t - 1) * s - pad + kh - 1;
        } else {
            int num_lo = r0 + pad - (kh - 1); /* ceil(num_lo / s) */
            lo = num_lo >= 0 ? (num_lo + s - 1) / s : -((-num_lo) / s);
            hi = (r0 + t - 1 + pad) / s;
        }
        if (lo < 0)
            lo = 0;
        if (hi > a.h - 1)
            hi = a.h - 1;
        FNRT_HLS_STAT(cs.n_bands++);

    fill:
        for (; rows_loaded <= hi; rows_loaded++) {
            const int base = (rows_loaded % cap_rows) * row_words;
        fill_row:
            for (int k = 0; k < row_words; k++) {
#pragma HLS PIPELINE II = 1
                avec x = xin.read();
                for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                    x.v[l] = a.act_in == ACT_RELU    ? num<act_t>::relu(x.v[l])
                             : a.act_in == ACT_LEAKY ? num<act_t>::leaky(x.v[l], a.alpha_in)
                                                     : x.v[l];
                }
                lb[base + k] = x;
            }
            FNRT_HLS_STAT(cs.load += row_words + D);
        }
        const int lo_slot = lo % cap_rows;

        long long step = 0;
    groups:
        for (int og = 0; og < nog; og++) {
        phase_loop:
            for (int ph = 0; ph < phases; ph++) {
                const int ar = tp ? ph / s : 0, aq = tp ? ph % s : 0;
                int fr = 0, fq = 0, nr = t, nq = wo;
                if (tp) {
                    fr = ((ar - (r0 + pad)) % s + s) % s;
                    fq = ((aq - pad) % s + s) % s;
                    nr = fr < t ? (t - fr + s - 1) / s : 0;
                    nq = fq < wo ? (wo - fq + s - 1) / s : 0;
                }
                const int npix = nr * nq;
                const int n_iter = npix > WL ? npix : WL;
            in_groups:
                for (int ig = 0; ig < nig; ig++) {
                taps_loop:
                    for (int tap = 0; tap < taps; tap++) {
                        int u, v;
                        if (!tp) {
                            u = tap / kw;
                            v = tap % kw;
                        } else {
                            u = ar + s * (tap / kk);
                            v = aq + s * (tap % kk);
                        }
                        const bool first = ig == 0 && tap == 0;
                        const bool emit_prev = !tp && first && og > 0;
                        const long long nstep =
                            step + 1 < steps_band ? step + 1 : (last_band ? -1 : 0);
                        int pr = 0, pq = 0;
                    mac_loop:
                        for (int i = 0; i < n_iter; i++) {
#pragma HLS PIPELINE II = 1
#pragma HLS DEPENDENCE variable = acc inter false
                            if (nstep >= 0 && i < WL) {
                                vec<wt_t, WV> word = wmem[nstep * WL + i];
                                for (int j = 0; j < WV; j++) {
#pragma HLS UNROLL
                                    int lin = i * WV + j;
                                    if (lin < P * P)
                                        wnext[lin / P][lin % P] = word.v[j];
                                }
                            }
                            if (i < npix) {
                                const int p = r0 + fr + pr * sstep, q = fq + pq * sstep;
                                int hr, wc;
                                if (!tp) {
                                    hr = p * s - pad + u;
                                    wc = q * s - pad + v;
                                } else {
                                    hr = (p + pad - u) / s; /* exact: the phase makes it so */
                                    wc = (q + pad - v) / s;
                                    if (p + pad - u < 0)
                                        hr = -1;
                                    if (q + pad - v < 0)
                                        wc = -1;
                                }
                                avec xv;
                                if (hr >= 0 && hr < a.h && wc >= 0 && wc < a.w) {
                                    int slot = lo_slot + (hr - lo);
                                    if (slot >= cap_rows)
                                        slot -= cap_rows;
                                    xv = lb[slot * row_words + wc * nig + ig];
                                } else {
                                    for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                                        xv.v[l] = act_t(0);
                                    }
                                }
                                acc_t prod[P], old[P];
#pragma HLS ARRAY_PARTITION variable = prod complete
#pragma HLS ARRAY_PARTITION variable = old complete
                                mac_array<PR, P>::run(wcur, xv.v, prod);
                                const int px = (p - r0) * wo + q;
                                for (int po = 0; po < P; po++) {
#pragma HLS UNROLL
                                    old[po] = acc[px][po];
                                    acc[px][po] = first ? prod[po] : acc_t(old[po] + prod[po]);
                                }
                                if (emit_prev)
                                    yout.write(conv_post<PR, P, MAX_CO>(old, bbuf, mbuf, s_out,
                                                                        og - 1, res, a));
                                if (++pq == nq) {
                                    pq = 0;
                                    pr++;
                                }
                            }
                        }
                        if (nstep >= 0) {
                            for (int po = 0; po < P; po++) {
#pragma HLS UNROLL
                                for (int pi = 0; pi < P; pi++) {
#pragma HLS UNROLL
                                    wcur[po][pi] = wnext[po][pi];
                                }
                            }
                            FNRT_HLS_STAT(cs.weight_words += WL);
                        }
                        FNRT_HLS_STAT(cs.mac += n_iter);
                        FNRT_HLS_STAT(cs.mac_useful += npix);
                        FNRT_HLS_STAT(cs.overhead += PR::loop_depth);
                        step++;
                    }
                }
            }
            if (tp || og == nog - 1) {
            drain:
                for (int px = 0; px < t * wo; px++) {
#pragma HLS PIPELINE II = 1
                    yout.write(conv_post<PR, P, MAX_CO>(acc[px], bbuf, mbuf, s_out, og, res, a));
                }
                FNRT_HLS_STAT(cs.overhead += t * wo + D);
            }
        }
    }
discard:
    for (; rows_loaded < a.h; rows_loaded++) {
        for (int k = 0; k < row_words; k++) {
#pragma HLS PIPELINE II = 1
            (void)xin.read();
        }
        FNRT_HLS_STAT(cs.load += row_words + D);
    }
    FNRT_HLS_STAT(cs.total = cs.load + cs.mac + cs.overhead);
#ifndef __SYNTHESIS__
    if (st)
        *st = cs;
#else
    (void)st;
#endif
}

} // namespace fnrt_hls
#endif
