/* Bilinear x2 upsampling (FNRT_OP_UPSAMPLE2X, align_corners 0 or 1) as an HLS stream core.
 * A three-row line buffer holds the input rows the current output row interpolates
 * between; coordinates and weights are computed exactly as the reference does, so the
 * float build matches it bit for bit.  Pixel order in and out. */
#ifndef FNRT_HLS_UPSAMPLE_H
#define FNRT_HLS_UPSAMPLE_H

#include "../common/fnrt-hls-layout.h"
#include "../common/fnrt-hls-types.h"

namespace fnrt_hls {

/* Source samples and weight of destination index d when n samples become 2n. */
inline void up_coord(int d, int n, int align_corners, int *i0, int *i1, float *frac)
{
    float sc;
    if (align_corners)
        sc = n > 1 ? (float)d * (float)(n - 1) / (float)(2 * n - 1) : 0.0f;
    else {
        sc = ((float)d + 0.5f) * 0.5f - 0.5f;
        if (sc < 0.0f)
            sc = 0.0f;
    }
    int lo = (int)sc;
    if (lo > n - 1)
        lo = n - 1;
    *i0 = lo;
    *i1 = lo + 1 < n ? lo + 1 : n - 1;
    *frac = sc - (float)lo;
}

/* a*(1-f) + b*f in the build's arithmetic (post_t for fixed point). */
template <class PR> struct lerp {
    typedef typename PR::act_t T;
    typedef typename PR::post_t Q;
    static Q run(const Q &a, const Q &b, float f)
    {
        ap_fixed<20, 2, AP_RND, AP_SAT> fw(f), gw(1.0f - f);
        return Q(a * gw + b * fw);
    }
    static Q from(const T &x) { return Q(x); }
    static T to(const Q &x) { return T(x); }
};
template <> struct lerp<prec_f32> {
    static float run(float a, float b, float f) { return a * (1.0f - f) + b * f; }
    static float from(float x) { return x; }
    static float to(float x) { return x; }
};

template <int P, int LB_WORDS> inline int upsample_check(int c, int h, int w)
{
    return c >= 1 && h >= 1 && w >= 1 && 3LL * w * fnrt_hls_ceil_div(c, P) <= LB_WORDS ? 0 : -1;
}

template <class PR, int P, int LB_WORDS>
void upsample2x_core(hls::stream<vec<typename PR::act_t, P> > &in,
                     hls::stream<vec<typename PR::act_t, P> > &out, int c, int h, int w,
                     int align_corners)
{
    typedef typename PR::act_t T;
    static vec<T, P> lb[LB_WORDS];
#pragma HLS BIND_STORAGE variable = lb type = ram_s2p impl = uram
    const int ncg = fnrt_hls_ceil_div(c, P), row_words = w * ncg;
    int rows_loaded = 0;
out_rows:
    for (int d = 0; d < 2 * h; d++) {
        int r0, r1;
        float fr;
        up_coord(d, h, align_corners, &r0, &r1, &fr);
    fill:
        for (; rows_loaded <= r1; rows_loaded++) {
            const int base = (rows_loaded % 3) * row_words;
            for (int i = 0; i < row_words; i++) {
#pragma HLS PIPELINE II = 1
                lb[base + i] = in.read();
            }
        }
        const int b0 = (r0 % 3) * row_words, b1 = (r1 % 3) * row_words;
    pixels:
        for (int i = 0; i < 2 * w * ncg; i++) {
#pragma HLS PIPELINE II = 1
            const int q = i / ncg, cg = i % ncg;
            int q0, q1;
            float fq;
            up_coord(q, w, align_corners, &q0, &q1, &fq);
            const vec<T, P> a = lb[b0 + q0 * ncg + cg], b = lb[b0 + q1 * ncg + cg];
            const vec<T, P> e = lb[b1 + q0 * ncg + cg], f = lb[b1 + q1 * ncg + cg];
            vec<T, P> y;
            for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                typedef lerp<PR> L;
                y.v[l] = L::to(L::run(L::run(L::from(a.v[l]), L::from(b.v[l]), fq),
                                      L::run(L::from(e.v[l]), L::from(f.v[l]), fq), fr));
            }
            out.write(y);
        }
    }
}

} // namespace fnrt_hls
#endif
