/* Per-pixel kernels of fnrt as HLS stream cores (pixel order in and out):
 *   gray     FNRT_OP_GRAY: y = (x0 + x1 + x2) / 3 (one channel out);
 *   l2norm   FNRT_OP_L2NORM: x / max(|x|, eps) over 3 channels, optional (y, -x, z) swizzle,
 *            in float whatever the build (one square root and one division per pixel);
 *   concat   FNRT_OP_CONCAT: channels of a, then every stride_b-th channel of b.
 * Lanes beyond the channel count are zero. */
#ifndef FNRT_HLS_ELEMENTWISE_H
#define FNRT_HLS_ELEMENTWISE_H

#include <cmath>

#include "../common/fnrt-hls-layout.h"
#include "../common/fnrt-hls-types.h"
#include "fnrt-channel-buffer.h"

namespace fnrt_hls {

template <class PR, int P>
void gray_core(hls::stream<vec<typename PR::act_t, P> > &in,
               hls::stream<vec<typename PR::act_t, P> > &out, int n_pix)
{
    typedef typename PR::act_t T;
    static_assert(P >= 3, "gray needs 3 lanes per beat");
    for (int i = 0; i < n_pix; i++) {
#pragma HLS PIPELINE II = 1
        const vec<T, P> x = in.read();
        vec<T, P> y = zero_beat<T, P>();
        y.v[0] = num<T>::from_float((num<T>::to_float(x.v[0]) + num<T>::to_float(x.v[1]) +
                                     num<T>::to_float(x.v[2])) /
                                    3.0f);
        out.write(y);
    }
}

template <class PR, int P>
void l2norm_core(hls::stream<vec<typename PR::act_t, P> > &in,
                 hls::stream<vec<typename PR::act_t, P> > &out, int n_pix, int swizzle, float eps)
{
    typedef typename PR::act_t T;
    static_assert(P >= 3, "l2norm needs 3 lanes per beat");
    for (int i = 0; i < n_pix; i++) {
#pragma HLS PIPELINE II = 1
        const vec<T, P> x = in.read();
        float a = num<T>::to_float(x.v[0]), b = num<T>::to_float(x.v[1]),
              c = num<T>::to_float(x.v[2]);
        float n = std::sqrt(a * a + b * b + c * c);
        float inv = 1.0f / (n > eps ? n : eps);
        a *= inv, b *= inv, c *= inv;
        vec<T, P> y = zero_beat<T, P>();
        y.v[0] = num<T>::from_float(swizzle ? b : a);
        y.v[1] = num<T>::from_float(swizzle ? -a : b);
        y.v[2] = num<T>::from_float(c);
        out.write(y);
    }
}

/* One pixel at a time: the beats of a and of b go into a channel buffer, the output beats
 * are read from it (at most MAX_C channels per input). */
template <class T, int P, int MAX_C>
void concat_core(hls::stream<vec<T, P> > &a, hls::stream<vec<T, P> > &b,
                 hls::stream<vec<T, P> > &out, int ca, int cb, int stride_b, int n_pix)
{
    T ba[MAX_C + P], bb[MAX_C + P];
#pragma HLS ARRAY_PARTITION variable = ba cyclic factor = P
#pragma HLS ARRAY_PARTITION variable = bb cyclic factor = P
    const int nga = fnrt_hls_ceil_div(ca, P), ngb = fnrt_hls_ceil_div(cb, P);
    const int cy = ca + (cb + stride_b - 1) / stride_b, ngy = fnrt_hls_ceil_div(cy, P);
    for (int i = 0; i < n_pix; i++) {
        read_pixel_channels<T, P>(a, ba, nga);
        read_pixel_channels<T, P>(b, bb, ngb);
        for (int g = 0; g < ngy; g++) {
#pragma HLS PIPELINE II = 1
            vec<T, P> y;
            for (int l = 0; l < P; l++) {
                const int k = g * P + l;
                y.v[l] = k < ca ? ba[k] : k < cy ? bb[(k - ca) * stride_b] : T(0);
            }
            out.write(y);
        }
    }
}

} // namespace fnrt_hls
#endif
