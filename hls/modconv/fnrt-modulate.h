/* Weight modulation/demodulation (FNRT_OP_MODULATE, StyleGAN2-style SDFT) as an HLS core
 * that writes its result straight in the packed weight layout of the conv engine
 * (fnrt-hls-layout.h), so the following fnrt_conv2d reads it as it reads any weight:
 *   t[o,i,tap] = scale * w[o,i,tap] * s[i];  y = t / sqrt(sum_{i,tap} t^2 + eps).
 * Input w: the raw weight, packed by the host in the same element order but as float
 * (16 per 512-bit word); s: the style vector (Ci values of act_t).  Two passes over w:
 * sums of squares per output channel (8 interleaved partial sums per channel keep the
 * float adder's latency off the initiation interval), then the scaled weights.  Float
 * arithmetic in every build; the result is rounded to wt_t once. */
#ifndef FNRT_HLS_MODULATE_H
#define FNRT_HLS_MODULATE_H

#include <cmath>

#include "../common/fnrt-hls-layout.h"
#include "../common/fnrt-hls-types.h"

namespace fnrt_hls {

typedef vec<float, 16> fword; /* 512-bit word of floats */

template <class PR, int P, int MAX_C>
void modulate_core(const fword *w, const typename PR::act_t *s,
                   vec<typename PR::wt_t, 512 / num<typename PR::wt_t>::bits> *y, int co, int ci,
                   int k, float scale, float eps)
{
    typedef typename PR::wt_t wt_t;
    typedef typename PR::act_t act_t;
    const int WV = 512 / num<wt_t>::bits;
    const int SLOTS = 8;
    const int STEP = fnrt_hls_step_elems(P, num<wt_t>::bits); /* multiple of 16 */
    const int WPS = STEP / 16;                                 /* input words per step */
    const int nig = fnrt_hls_ceil_div(ci, P), nog = fnrt_hls_ceil_div(co, P);
    const int taps = k * k;
    const long long n_steps = (long long)nog * nig * taps;

    float sv[MAX_C + P];
    static float sums[MAX_C + P][SLOTS];
    float dm[MAX_C + P];
#pragma HLS ARRAY_PARTITION variable = sv cyclic factor = 16
#pragma HLS ARRAY_PARTITION variable = sums dim = 2 complete

style:
    for (int i = 0; i < nig * P; i++) {
#pragma HLS PIPELINE II = 1
        sv[i] = i < ci ? scale * num<act_t>::to_float(s[i]) : 0.0f;
    }
clear:
    for (int o = 0; o < nog * P; o++)
        for (int q = 0; q < SLOTS; q++) {
#pragma HLS PIPELINE II = 1
            sums[o][q] = 0.0f;
        }

    /* pass 1: sums of squares */
    long long word = 0;
    int slot = 0;
sumsq:
    for (long long st = 0; st < n_steps; st++) {
        const int og = (int)(st / ((long long)nig * taps));
        const int ig = (int)((st / taps) % nig);
        for (int wi = 0; wi < WPS; wi++, word++) {
#pragma HLS PIPELINE II = 1
#pragma HLS DEPENDENCE variable = sums inter false
            const fword x = w[word];
            for (int j = 0; j < 16; j++) {
#pragma HLS UNROLL
                const int rem = wi * 16 + j;
                if (rem < P * P) {
                    const int o = og * P + rem / P, i = ig * P + rem % P;
                    const float t = x.v[j] * sv[i];
                    sums[o][slot] += t * t;
                }
            }
            slot = slot + 1 == SLOTS ? 0 : slot + 1;
        }
    }
demod:
    for (int o = 0; o < nog * P; o++) {
#pragma HLS PIPELINE II = 1
        float t = 0.0f;
        for (int q = 0; q < SLOTS; q++)
            t += sums[o][q];
        dm[o] = 1.0f / std::sqrt(t + eps);
    }

    /* pass 2: scaled weights, WV per output word */
    vec<wt_t, WV> out;
    word = 0;
    long long oword = 0;
    int lane = 0;
scale_pass:
    for (long long st = 0; st < n_steps; st++) {
        const int og = (int)(st / ((long long)nig * taps));
        const int ig = (int)((st / taps) % nig);
        for (int wi = 0; wi < WPS; wi++, word++) {
#pragma HLS PIPELINE II = 1
            const fword x = w[word];
            for (int j = 0; j < 16; j++) {
#pragma HLS UNROLL
                const int rem = wi * 16 + j;
                const int o = og * P + rem / P, i = ig * P + rem % P;
                float v = rem < P * P ? x.v[j] * sv[i] * dm[o] : 0.0f;
                out.v[lane + j] = num<wt_t>::from_float(v);
            }
            lane += 16;
            if (lane == WV) {
                y[oword++] = out;
                lane = 0;
            }
        }
    }
}

} // namespace fnrt_hls
#endif
