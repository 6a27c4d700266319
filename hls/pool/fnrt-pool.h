/* Pooling kernels of fnrt as HLS stream cores: max-pool (FNRT_OP_MAXPOOL: k x k window,
 * stride, padding that never wins) over a line buffer, and global average pool
 * (FNRT_OP_GLOBAL_AVGPOOL).  Pixel order in and out (fnrt-hls-layout.h). */
#ifndef FNRT_HLS_POOL_H
#define FNRT_HLS_POOL_H

#include <cfloat>

#include "../common/fnrt-hls-layout.h"
#include "../common/fnrt-hls-types.h"

namespace fnrt_hls {

template <class T> struct lowest;
template <> struct lowest<float> {
    static float value() { return -FLT_MAX; }
};
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N> struct lowest<ap_fixed<W, I, Q, O, N> > {
    static ap_fixed<W, I, Q, O, N> value()
    {
        ap_fixed<W, I, Q, O, N> x;
        x.range(W - 1, 0) = UINT64_C(1) << (W - 1); /* most negative code */
        return x;
    }
};

/* 0 if the core can run the shape (k <= MAX_K, k rows fit the line buffer). */
template <int P, int LB_WORDS, int MAX_K>
inline int maxpool_check(int c, int h, int w, int k, int s, int pad)
{
    if (c < 1 || h < 1 || w < 1 || k < 1 || k > MAX_K || s < 1 || pad < 0 || pad >= k)
        return -1;
    if ((h + 2 * pad - k) / s + 1 < 1 || (w + 2 * pad - k) / s + 1 < 1)
        return -1;
    return (long long)k * w * fnrt_hls_ceil_div(c, P) <= LB_WORDS ? 0 : -1;
}

template <class T, int P, int LB_WORDS, int MAX_K>
void maxpool_core(hls::stream<vec<T, P> > &in, hls::stream<vec<T, P> > &out, int c, int h, int w,
                  int k, int s, int pad)
{
    static vec<T, P> lb[LB_WORDS];
#pragma HLS BIND_STORAGE variable = lb type = ram_s2p impl = uram
    const int ncg = fnrt_hls_ceil_div(c, P), row_words = w * ncg;
    const int cap_rows = LB_WORDS / row_words;
    const int ho = (h + 2 * pad - k) / s + 1, wo = (w + 2 * pad - k) / s + 1;
    int rows_loaded = 0;
out_rows:
    for (int r = 0; r < ho; r++) {
        int hi = r * s - pad + k - 1;
        if (hi > h - 1)
            hi = h - 1;
    fill:
        for (; rows_loaded <= hi; rows_loaded++) {
            const int base = (rows_loaded % cap_rows) * row_words;
            for (int i = 0; i < row_words; i++) {
#pragma HLS PIPELINE II = 1
                lb[base + i] = in.read();
            }
        }
    pixels:
        for (int i = 0; i < wo * ncg; i++) {
#pragma HLS PIPELINE II = 1
            const int q = i / ncg, cg = i % ncg;
            vec<T, P> m;
            for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                m.v[l] = lowest<T>::value();
            }
            for (int u = 0; u < MAX_K; u++) {
#pragma HLS UNROLL
                for (int v = 0; v < MAX_K; v++) {
#pragma HLS UNROLL
                    const int sr = r * s - pad + u, sq = q * s - pad + v;
                    if (u < k && v < k && sr >= 0 && sr < h && sq >= 0 && sq < w) {
                        const vec<T, P> x = lb[(sr % cap_rows) * row_words + sq * ncg + cg];
                        for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                            if (x.v[l] > m.v[l])
                                m.v[l] = x.v[l];
                        }
                    }
                }
            }
            out.write(m);
        }
    }
discard:
    for (; rows_loaded < h; rows_loaded++)
        for (int i = 0; i < row_words; i++) {
#pragma HLS PIPELINE II = 1
            (void)in.read();
        }
}

/* Channel means over H x W.  The running sums are interleaved over 8 slots so that a
 * float adder's latency does not stretch the initiation interval; summed at the end. */
template <class PR, int P, int MAX_C>
void global_avgpool_core(hls::stream<vec<typename PR::act_t, P> > &in,
                         hls::stream<vec<typename PR::act_t, P> > &out, int c, int h, int w)
{
    typedef typename PR::act_t T;
    typedef typename PR::acc_t A;
    const int SLOTS = 8;
    const int ncg = fnrt_hls_ceil_div(c, P);
    static A sums[MAX_C / P][SLOTS][P];
#pragma HLS ARRAY_PARTITION variable = sums dim = 3 complete
    for (int g = 0; g < ncg; g++)
        for (int k = 0; k < SLOTS; k++)
            for (int l = 0; l < P; l++) {
#pragma HLS PIPELINE II = 1
                sums[g][k][l] = A(0);
            }
    const int n = h * w;
accumulate:
    for (int i = 0; i < n * ncg; i++) {
#pragma HLS PIPELINE II = 1
#pragma HLS DEPENDENCE variable = sums inter false
        const int g = i % ncg, slot = (i / ncg) % SLOTS;
        const vec<T, P> x = in.read();
        for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
            sums[g][slot][l] = A(sums[g][slot][l] + A(x.v[l]));
        }
    }
    const float inv = 1.0f / (float)n;
emit:
    for (int g = 0; g < ncg; g++) {
        vec<T, P> y;
        for (int l = 0; l < P; l++) {
            A t = sums[g][0][l];
            for (int k = 1; k < SLOTS; k++)
                t = A(t + sums[g][k][l]);
            y.v[l] = g * P + l < c ? num<T>::from_float(num<A>::to_float(t) * inv) : T(0);
        }
        out.write(y);
    }
}

} // namespace fnrt_hls
#endif
