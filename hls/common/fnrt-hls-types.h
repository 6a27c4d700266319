/* Data types of the fnrt HLS kernels: lane vectors, the three precisions, activations,
 * multiply-accumulate (with two-MACs-per-DSP packing for 8-bit), AXI4-Stream packing.
 *
 * A precision is a struct of typedefs the kernel templates take as parameter PR:
 *   act_t  activations (line buffers, streams, memory), wt_t weights,
 *   acc_t  accumulator (exact for the products it receives), post_t bias/activation/
 *   residual arithmetic, pack2 = two 8-bit MACs share one DSP (see mac_pair below).
 *   prec_f32   float everywhere.
 *   prec_fx16  ap_fixed<16,6> activations (range +-32, LSB 2^-10), ap_fixed<16,3> weights
 *              (+-4, LSB 2^-13), both AP_RND/AP_SAT; exact 48-bit accumulator.
 *   prec_fx8   ap_fixed<8,4> activations (+-8, LSB 1/16), ap_fixed<8,1> weights (+-1, LSB
 *              1/128), AP_RND/AP_SAT; 32-bit accumulator; pack2.
 *   prec_q8    requantising int8 (conv/deconv engine only): activations and weights are
 *              int8 codes (ap_fixed<8,8>) of symmetric scales chosen by the host, per tensor
 *              for activations (s_x, s_y), per output channel for weights (s_w[o]); exact
 *              32-bit accumulator; pack2; the engine requantises each output once,
 *              y = round(acc * m[o] + b'[o]) with m[o] = s_x s_w[o] / s_y, b' = bias / s_y,
 *              in float (requant = true; the float arrays come in the bias buffer, see
 *              fnrt-conv2d.h).  What sim/quant-eval's "int8" scheme computes.
 * Fixed-point builds use one binary point per type for every layer (what ap_fixed gives
 * directly); sim/quant-eval reports what that costs in accuracy next to scaled integer
 * quantisation. */
#ifndef FNRT_HLS_TYPES_H
#define FNRT_HLS_TYPES_H

#include <cmath>
#include <cstdint>

#include "fnrt-hls-fixed.h"
#include "fnrt-hls-stream.h"
#include "fnrt-hls-tanh-table.h"

namespace fnrt_hls {

/* N lanes travelling together (one stream beat, one line-buffer word). */
template <class T, int N> struct vec {
    T v[N];
};

/* Activation codes: the values of enum fnrt_act (fnrt-backend.h). */
enum { ACT_NONE = 0, ACT_RELU = 1, ACT_LEAKY = 2, ACT_TANH = 3 };

/* Per-type helpers: conversion, raw bits, activations. */
template <class T> struct num;

template <> struct num<float> {
    static const int bits = 32;
    static const int frac = 0; /* not fixed point */
    static float to_float(float x) { return x; }
    static float from_float(float x) { return x; }
    static float zero() { return 0.0f; }
    static uint64_t to_bits(float x)
    {
        union {
            float f;
            uint32_t u;
        } c;
        c.f = x;
        return c.u;
    }
    static float from_bits(uint64_t b)
    {
        union {
            float f;
            uint32_t u;
        } c;
        c.u = (uint32_t)b;
        return c.f;
    }
    static float leaky(float x, float alpha) { return x >= 0.0f ? x : x * alpha; }
    static float relu(float x) { return x > 0.0f ? x : 0.0f; }
    /* table + linear interpolation, |error| < 6e-6 (gen-tanh-table.py) */
    static float tanh(float x)
    {
        float a = x < 0.0f ? -x : x;
        float r;
        if (a >= (float)(FNRT_HLS_TANH_N / FNRT_HLS_TANH_STEPS_PER_UNIT)) {
            r = 1.0f;
        } else {
            float s = a * (float)FNRT_HLS_TANH_STEPS_PER_UNIT;
            int i = (int)s;
            float f = s - (float)i;
            float t0 = fnrt_hls_tanh_table[i], t1 = fnrt_hls_tanh_table[i + 1];
            r = t0 + (t1 - t0) * f;
        }
        return x < 0.0f ? -r : r;
    }
};

template <int W, int I, ap_q_mode Q, ap_o_mode O, int N> struct num<ap_fixed<W, I, Q, O, N> > {
    typedef ap_fixed<W, I, Q, O, N> T;
    static const int bits = W;
    static const int frac = W - I;
    static float to_float(const T &x) { return x.to_float(); }
    static T from_float(float x) { return T(x); }
    static T zero() { return T(0); }
    static uint64_t to_bits(const T &x) { return x.range(W - 1, 0).to_uint64(); }
    static T from_bits(uint64_t b)
    {
        T x;
        x.range(W - 1, 0) = b;
        return x;
    }
    static T relu(const T &x) { return x > T(0) ? x : T(0); }
    static T leaky(const T &x, float alpha)
    {
        ap_fixed<20, 1, AP_RND, AP_SAT> a(alpha);
        return x >= T(0) ? x : T(x * a);
    }
    /* Same table as the float version, as Q2.30 raw integers; the index and the fraction
     * are bit fields of |x| (needs at least 7 fractional bits). */
    static T tanh(const T &x)
    {
        static_assert(W - I >= 7 && W - I <= 30, "fixed tanh: 7..30 fractional bits");
        const int FB = W - I - 7; /* fraction bits below the table step */
        bool neg = x < T(0);
        ap_fixed<W + 1, I + 1> ax = neg ? ap_fixed<W + 1, I + 1>(-x) : ap_fixed<W + 1, I + 1>(x);
        uint64_t raw = ax.range(W, 0).to_uint64();
        uint64_t idx = raw >> FB;
        T r;
        if (idx >= (uint64_t)FNRT_HLS_TANH_N) {
            r = T(1);
        } else {
            ap_fixed<32, 2> t0, t1;
            t0.range(31, 0) = (uint64_t)(uint32_t)fnrt_hls_tanh_table_q30[idx];
            t1.range(31, 0) = (uint64_t)(uint32_t)fnrt_hls_tanh_table_q30[idx + 1];
            ap_fixed<(FB > 0 ? FB : 1) + 1, 1> f; /* in [0, 1) */
            f.range(FB > 0 ? FB : 0, 0) = FB > 0 ? (raw & ((UINT64_C(1) << FB) - 1)) : 0;
            r = T(t0 + (t1 - t0) * f);
        }
        return neg ? T(-r) : r;
    }
};

template <class T> inline T apply_act(const T &x, int act, float alpha)
{
    if (act == ACT_RELU)
        return num<T>::relu(x);
    if (act == ACT_LEAKY)
        return num<T>::leaky(x, alpha);
    if (act == ACT_TANH)
        return num<T>::tanh(x);
    return x;
}

struct prec_f32 {
    typedef float act_t;
    typedef float wt_t;
    typedef float acc_t;
    typedef float post_t;
    static const bool pack2 = false;
    static const bool requant = false; /* one scale for every layer (see prec_q8) */
    static const int loop_depth = 32;  /* MAC-loop pipeline depth (fp32 adder tree) */
};

struct prec_fx16 {
    typedef ap_fixed<16, 6, AP_RND, AP_SAT> act_t;
    typedef ap_fixed<16, 3, AP_RND, AP_SAT> wt_t;
    typedef ap_fixed<48, 24> acc_t;
    typedef ap_fixed<32, 12, AP_RND, AP_SAT> post_t;
    static const bool pack2 = false;
    static const bool requant = false;
    static const int loop_depth = 12;
};

struct prec_fx8 {
    typedef ap_fixed<8, 4, AP_RND, AP_SAT> act_t;
    typedef ap_fixed<8, 1, AP_RND, AP_SAT> wt_t;
    typedef ap_fixed<32, 20> acc_t;
    typedef ap_fixed<24, 8, AP_RND, AP_SAT> post_t;
    static const bool pack2 = true;
    static const bool requant = false;
    static const int loop_depth = 12;
};

struct prec_q8 {
    typedef ap_fixed<8, 8, AP_RND, AP_SAT> act_t; /* int8 code of x / s */
    typedef ap_fixed<8, 8, AP_RND, AP_SAT> wt_t;  /* int8 code of w / s_w[o] */
    typedef ap_fixed<32, 32> acc_t;
    typedef float post_t; /* requantisation: P multiply-adds per output beat */
    static const bool pack2 = true;
    static const bool requant = true;
    static const int loop_depth = 12;
};

/* Two 8-bit products with one shared operand in one multiplier (one DSP48E2, 27x18):
 * (w1 * 2^18 + w0) * x = w1*x * 2^18 + w0*x; w0*x fits in 18 signed bits, so the low 18
 * bits sign-extended are w0*x and the rest is w1*x.  Exact for all 8-bit codes
 * (|w*x| <= 2^14).  p0/p1 receive w0*x and w1*x at their exact fixed-point scale. */
template <int WW, int WI, ap_q_mode WQ, ap_o_mode WO, int XW, int XI, ap_q_mode XQ, ap_o_mode XO>
inline void mac_pair(const ap_fixed<WW, WI, WQ, WO, 0> &w0, const ap_fixed<WW, WI, WQ, WO, 0> &w1,
                     const ap_fixed<XW, XI, XQ, XO, 0> &x, ap_fixed<WW + XW, WI + XI> &p0,
                     ap_fixed<WW + XW, WI + XI> &p1)
{
    static_assert(WW <= 8 && XW <= 8, "mac_pair: 8-bit operands");
    ap_fixed<8, 8> c0, c1, cx; /* the raw codes as integers */
    c0.range(7, 0) = w0.range(WW - 1, 0).to_uint64() | ((w0 < ap_fixed<WW, WI>(0)) ? (0xffu << WW) & 0xffu : 0u);
    c1.range(7, 0) = w1.range(WW - 1, 0).to_uint64() | ((w1 < ap_fixed<WW, WI>(0)) ? (0xffu << WW) & 0xffu : 0u);
    cx.range(7, 0) = x.range(XW - 1, 0).to_uint64() | ((x < ap_fixed<XW, XI>(0)) ? (0xffu << XW) & 0xffu : 0u);
    ap_fixed<27, 27> packed = ap_fixed<27, 27>(c1 * ap_fixed<20, 20>(262144)) + c0;
    ap_fixed<35, 35> prod = packed * cx;        /* the one multiplier */
    ap_fixed<18, 18> lo = prod;                 /* wrap: low 18 bits, sign-extended */
    ap_fixed<18, 18> hi = (prod - lo) * ap_fixed<2, -16>(1.0 / 262144.0); /* exact */
    p0.range(WW + XW - 1, 0) = lo.range(17, 0).to_uint64() & ((UINT64_C(1) << (WW + XW)) - 1);
    p1.range(WW + XW - 1, 0) = hi.range(17, 0).to_uint64() & ((UINT64_C(1) << (WW + XW)) - 1);
}

/* Cycle statistics exist only in C-simulation (no counters in hardware). */
#ifdef __SYNTHESIS__
#define FNRT_HLS_STAT(x) ((void)0)
#else
#define FNRT_HLS_STAT(x) ((void)(x))
#endif

/* Sum of N values as a balanced tree (short pipeline for float accumulation). */
template <class A, int N> struct tree {
    static A sum(const A *v)
    {
        return A(tree<A, N / 2>::sum(v) + tree<A, N - N / 2>::sum(v + N / 2));
    }
};
template <class A> struct tree<A, 1> {
    static A sum(const A *v) { return v[0]; }
};

/* out[po] = sum_pi w[po][pi] * x[pi] for P outputs, in the accumulator type. */
template <class PR, int P, bool PACK = PR::pack2> struct mac_array {
    typedef typename PR::acc_t acc_t;
    static void run(const typename PR::wt_t w[P][P], const typename PR::act_t x[P], acc_t out[P])
    {
#pragma HLS INLINE
        for (int po = 0; po < P; po++) {
#pragma HLS UNROLL
            acc_t prod[P];
#pragma HLS ARRAY_PARTITION variable = prod complete
            for (int pi = 0; pi < P; pi++) {
#pragma HLS UNROLL
                prod[pi] = acc_t(w[po][pi] * x[pi]);
            }
            out[po] = tree<acc_t, P>::sum(prod);
        }
    }
};

template <class PR, int P> struct mac_array<PR, P, true> {
    typedef typename PR::acc_t acc_t;
    typedef typename PR::wt_t wt_t;
    typedef typename PR::act_t act_t;
    static void run(const wt_t w[P][P], const act_t x[P], acc_t out[P])
    {
#pragma HLS INLINE
        static_assert(P % 2 == 0, "pack2 needs an even lane count");
        for (int j = 0; j < P / 2; j++) {
#pragma HLS UNROLL
            acc_t s0[P], s1[P];
#pragma HLS ARRAY_PARTITION variable = s0 complete
#pragma HLS ARRAY_PARTITION variable = s1 complete
            for (int pi = 0; pi < P; pi++) {
#pragma HLS UNROLL
                ap_fixed<num<wt_t>::bits + num<act_t>::bits,
                         num<wt_t>::bits - num<wt_t>::frac + num<act_t>::bits - num<act_t>::frac>
                    p0, p1;
                mac_pair(w[2 * j][pi], w[2 * j + 1][pi], x[pi], p0, p1);
                s0[pi] = acc_t(p0);
                s1[pi] = acc_t(p1);
            }
            out[2 * j] = tree<acc_t, P>::sum(s0);
            out[2 * j + 1] = tree<acc_t, P>::sum(s1);
        }
    }
};

/* AXI4-Stream beat carrying N lanes of T (kernel-to-kernel ports, v++ stream_connect). */
template <class T, int N> struct axis {
    typedef ap_axiu<N * num<T>::bits, 0, 0, 0> type;
};

template <class T, int N> inline typename axis<T, N>::type to_axis(const vec<T, N> &v, bool last)
{
#pragma HLS INLINE
    typename axis<T, N>::type a;
    const int B = num<T>::bits;
    for (int i = 0; i < N; i++) {
#pragma HLS UNROLL
        a.data.range(i * B + B - 1, i * B) = num<T>::to_bits(v.v[i]);
    }
    a.keep = -1;
    a.strb = -1;
    a.last = last ? 1 : 0;
    return a;
}

template <class T, int N> inline vec<T, N> from_axis(const typename axis<T, N>::type &a)
{
#pragma HLS INLINE
    vec<T, N> v;
    const int B = num<T>::bits;
    for (int i = 0; i < N; i++) {
#pragma HLS UNROLL
        v.v[i] = num<T>::from_bits(a.data.range(i * B + B - 1, i * B).to_uint64());
    }
    return v;
}

/* Internal stream <-> AXI4-Stream port adapters (dataflow processes). */
template <class T, int N>
void axis_to_stream(hls::stream<typename axis<T, N>::type> &in, hls::stream<vec<T, N> > &out, int n)
{
    for (int i = 0; i < n; i++) {
#pragma HLS PIPELINE II = 1
        out.write(from_axis<T, N>(in.read()));
    }
}

template <class T, int N>
void stream_to_axis(hls::stream<vec<T, N> > &in, hls::stream<typename axis<T, N>::type> &out, int n)
{
    for (int i = 0; i < n; i++) {
#pragma HLS PIPELINE II = 1
        out.write(to_axis<T, N>(in.read(), i == n - 1));
    }
}

} // namespace fnrt_hls
#endif
