/* Helpers shared by the per-pixel stream cores of hls/elementwise (fnrt-elementwise.h,
 * fnrt-merge.h): reading one pixel's beats into a channel buffer, and a beat of zeros. */
#ifndef FNRT_HLS_CHANNEL_BUFFER_H
#define FNRT_HLS_CHANNEL_BUFFER_H

#include "../common/fnrt-hls-types.h"

namespace fnrt_hls {

/* The n_groups beats of one pixel from in into buf[0 .. n_groups*P), channel order; buf is
 * partitioned cyclically by P in the caller. */
template <class T, int P> inline void read_pixel_channels(hls::stream<vec<T, P> > &in, T buf[],
                                                          int n_groups)
{
#pragma HLS INLINE
    for (int g = 0; g < n_groups; g++) {
#pragma HLS PIPELINE II = 1
        const vec<T, P> v = in.read();
        for (int l = 0; l < P; l++)
            buf[g * P + l] = v.v[l];
    }
}

/* A beat with every lane zero. */
template <class T, int P> inline vec<T, P> zero_beat()
{
#pragma HLS INLINE
    vec<T, P> y;
    for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
        y.v[l] = T(0);
    }
    return y;
}

} // namespace fnrt_hls
#endif
