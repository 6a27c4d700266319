/* The merges of the cross-modal network (Abrevaya et al. 2020) as HLS stream cores, pixel
 * order in and out (ceil(C/P) beats per pixel, lanes past the channel count zero):
 *   add       FNRT_OP_ADD: y = act(a + b), the residual add of a ResNet BasicBlock (the
 *             activation after the sum); one beat of a and one of b per output beat; sum and
 *             activation in the precision's post type (the sum is exact, float or fixed
 *             point), rounded to act_t once;
 *   maxmerge  FNRT_OP_MAXMERGE: per pixel the beats of x (C channels) and of the skip (C-K
 *             channels) go into channel buffers, then y[k] = x[k] for k < K and
 *             max(x[k], skip[k-K]) for K <= k < C (a NaN loses, as fmax).  A deactivated skip
 *             is no kernel at all: the x stream goes on to the next layer.
 * Semantics: host/include/fnrt/fnrt-backend.h; OpenCL versions in kernels_cl/elementwise.cl. */
#ifndef FNRT_HLS_MERGE_H
#define FNRT_HLS_MERGE_H

#include "../common/fnrt-hls-layout.h"
#include "../common/fnrt-hls-types.h"
#include "fnrt-channel-buffer.h"

namespace fnrt_hls {

template <class PR, int P>
void add_core(hls::stream<vec<typename PR::act_t, P> > &a,
              hls::stream<vec<typename PR::act_t, P> > &b,
              hls::stream<vec<typename PR::act_t, P> > &out, int n_beats, int act, float alpha)
{
    typedef typename PR::act_t T;
    typedef typename PR::post_t S;
    for (int i = 0; i < n_beats; i++) {
#pragma HLS PIPELINE II = 1
        const vec<T, P> x = a.read(), z = b.read();
        vec<T, P> y;
        for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
            y.v[l] = T(apply_act<S>(S(x.v[l]) + S(z.v[l]), act, alpha));
        }
        out.write(y);
    }
}

/* max with fmax's NaN rule (a NaN loses to a number); for fixed point s != s is false */
template <class T> inline T merge_max(const T &x, const T &s)
{
    if (x != x)
        return s;
    return s > x ? s : x;
}

template <class T, int P, int MAX_C>
void maxmerge_core(hls::stream<vec<T, P> > &x, hls::stream<vec<T, P> > &skip,
                   hls::stream<vec<T, P> > &out, int c, int k, int n_pix)
{
    T bx[MAX_C + P], bs[MAX_C + P];
#pragma HLS ARRAY_PARTITION variable = bx cyclic factor = P
#pragma HLS ARRAY_PARTITION variable = bs cyclic factor = P
    const int ngx = fnrt_hls_ceil_div(c, P), ngs = fnrt_hls_ceil_div(c - k, P);
    for (int i = 0; i < n_pix; i++) {
        read_pixel_channels<T, P>(x, bx, ngx);
        read_pixel_channels<T, P>(skip, bs, ngs);
        for (int g = 0; g < ngx; g++) {
#pragma HLS PIPELINE II = 1
            vec<T, P> y;
            for (int l = 0; l < P; l++) {
                const int ch = g * P + l;
                y.v[l] = ch < k ? bx[ch] : ch < c ? merge_max<T>(bx[ch], bs[ch - k]) : T(0);
            }
            out.write(y);
        }
    }
}

} // namespace fnrt_hls
#endif
