/* Arbitrary-precision types for the fnrt HLS kernels: ap_fixed, ap_uint and ap_axiu.
 *
 * With Vitis HLS (ap_fixed.h, ap_int.h, ap_axi_sdata.h on the include path) these are the
 * real types.  Without them (plain g++; Debian has no Vitis headers) this header defines
 * a small compat subset with the same template signatures, enough for the kernels here:
 *
 * ap_fixed<W, I, Q, O, N>: W-bit two's-complement value, I integer bits (sign included), so
 *   value = raw * 2^(I-W); 1 <= W <= 64, I may be negative or larger than W.  Supported:
 *   Q = AP_TRN  truncation toward minus infinity (floor) when bits are dropped, the default;
 *   Q = AP_RND  round to nearest, ties toward plus infinity (add half an LSB, then floor);
 *   O = AP_WRAP keep the low W bits (two's-complement wrap-around), the default;
 *   O = AP_SAT  clamp to [-2^(I-1), 2^(I-1) - 2^(I-W)].
 *   Other modes and N != 0 are rejected at compile time.  Conversion from float/double
 *   and from other ap_fixed types applies Q then O of the destination.  Products and sums
 *   are exact, with the real library's result types: a*b is ap_fixed<W1+W2, I1+I2>,
 *   a+b and a-b are ap_fixed<max(F1,F2)+max(I1,I2)+1, max(I1,I2)+1> (F = W-I), -a is
 *   ap_fixed<W+1, I+1>; compound assignment (+=, -=, *=) computes exactly and then
 *   converts into the left side's type.  Comparisons between any two ap_fixed are exact.
 *   Members: to_float(), to_double(), to_int() (floor), range(hi, lo) (raw bits, read with
 *   .to_uint64(), assign an unsigned integer).  Result types wider than 64 bits are a
 *   compile error (the kernels never need them).  NaN converts to 0, +-inf saturates or
 *   wraps like the largest finite values.
 * ap_uint<W>: unsigned bit vector (any W) with range(hi, lo) for slices of up to 64 bits,
 *   construction from integers (-1 sets all bits) and to_uint64().  Only what packing
 *   AXI4-Stream words needs; no arithmetic.
 * ap_axiu<D, U, TI, TD>: AXI4-Stream beat with data, keep, strb, user, last, id, dest.
 *
 * Define FNRT_HLS_COMPAT to force the compat types even where the real ones exist. */
#ifndef FNRT_HLS_FIXED_H
#define FNRT_HLS_FIXED_H

#if !defined(FNRT_HLS_COMPAT) && defined(__has_include)
#if __has_include(<ap_fixed.h>) && __has_include(<ap_int.h>) && __has_include(<ap_axi_sdata.h>)
#define FNRT_HLS_REAL_AP 1
#endif
#endif

#ifdef FNRT_HLS_REAL_AP
#include <ap_axi_sdata.h>
#include <ap_fixed.h>
#include <ap_int.h>
#else
#include <cmath>
#include <cstdint>

enum ap_q_mode { AP_RND, AP_RND_ZERO, AP_RND_MIN_INF, AP_RND_INF, AP_RND_CONV, AP_TRN, AP_TRN_ZERO };
enum ap_o_mode { AP_SAT, AP_SAT_ZERO, AP_SAT_SYM, AP_WRAP, AP_WRAP_SM };

namespace fnrt_ap {
__extension__ typedef __int128 wide; /* g++/clang extension; exact 64x64 products */

/* Low w bits of v, sign-extended. */
inline int64_t wrap(wide v, int w)
{
    uint64_t u = (uint64_t)v;
    if (w < 64) {
        uint64_t m = (UINT64_C(1) << w) - 1;
        u &= m;
        if ((u >> (w - 1)) & 1)
            u |= ~m;
    }
    return (int64_t)u;
}

inline int64_t sat(wide v, int w)
{
    wide hi = ((wide)1 << (w - 1)) - 1, lo = -((wide)1 << (w - 1));
    return (int64_t)(v > hi ? hi : v < lo ? lo : v);
}

/* v * 2^-d with the quantisation mode (d > 0 drops bits). */
inline wide qshift(wide v, int d, bool rnd)
{
    if (d <= 0)
        return v * ((wide)1 << -d);
    if (rnd)
        v += (wide)1 << (d - 1);
    return v >> d; /* arithmetic shift: floor */
}

inline uint64_t mask(int n)
{
    return n >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
}

template <int A, int B> struct max_i {
    static const int value = A > B ? A : B;
};
} // namespace fnrt_ap

template <int W, int I, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0> struct ap_fixed {
    static_assert(W >= 1 && W <= 64, "compat ap_fixed: 1 <= W <= 64");
    static_assert(Q == AP_TRN || Q == AP_RND, "compat ap_fixed: only AP_TRN and AP_RND");
    static_assert(O == AP_WRAP || O == AP_SAT, "compat ap_fixed: only AP_WRAP and AP_SAT");
    static_assert(N == 0, "compat ap_fixed: N must be 0");
    static const int width = W;
    static const int iwidth = I;
    static const int fbits = W - I;

    int64_t V; /* raw value: value = V * 2^(I-W) */

    ap_fixed() : V(0) {}
    template <int W2, int I2, ap_q_mode Q2, ap_o_mode O2, int N2>
    ap_fixed(const ap_fixed<W2, I2, Q2, O2, N2> &o)
    {
        set_raw_scaled(o.V, W2 - I2);
    }
    ap_fixed(double x) { set_double(x); }
    ap_fixed(float x) { set_double(x); }
    ap_fixed(int x) { set_raw_scaled(x, 0); }
    ap_fixed(long x) { set_raw_scaled(x, 0); }
    ap_fixed(long long x) { set_raw_scaled(x, 0); }
    ap_fixed(unsigned x) { set_raw_scaled(x, 0); }

    /* raw integer r with f fractional bits, quantised and overflow-handled into this type */
    void set_raw_scaled(fnrt_ap::wide r, int f)
    {
        fnrt_ap::wide v = fnrt_ap::qshift(r, f - fbits, Q == AP_RND);
        V = O == AP_SAT ? fnrt_ap::sat(v, W) : fnrt_ap::wrap(v, W);
    }
    void set_double(double x)
    {
        if (x != x) {
            V = 0;
            return;
        }
        double s = std::ldexp(x, fbits);
        s = Q == AP_RND ? std::floor(s + 0.5) : std::floor(s);
        const double lim = 1e36; /* inside __int128, far outside any W <= 64 */
        s = s > lim ? lim : s < -lim ? -lim : s;
        fnrt_ap::wide v = (fnrt_ap::wide)s;
        V = O == AP_SAT ? fnrt_ap::sat(v, W) : fnrt_ap::wrap(v, W);
    }

    double to_double() const { return std::ldexp((double)V, -fbits); }
    float to_float() const { return (float)to_double(); }
    int to_int() const { return (int)fnrt_ap::qshift(V, fbits, false); }

    struct range_ref {
        ap_fixed *p;
        int hi, lo;
        uint64_t to_uint64() const { return ((uint64_t)p->V >> lo) & fnrt_ap::mask(hi - lo + 1); }
        range_ref &operator=(uint64_t v)
        {
            uint64_t m = fnrt_ap::mask(hi - lo + 1) << lo;
            uint64_t u = ((uint64_t)p->V & ~m) | ((v << lo) & m);
            p->V = fnrt_ap::wrap((fnrt_ap::wide)(int64_t)u, W);
            return *this;
        }
    };
    range_ref range(int hi, int lo) { return range_ref{this, hi, lo}; }
    range_ref range(int hi, int lo) const { return range_ref{const_cast<ap_fixed *>(this), hi, lo}; }

    template <class T> ap_fixed &operator+=(const T &o)
    {
        *this = *this + o;
        return *this;
    }
    template <class T> ap_fixed &operator-=(const T &o)
    {
        *this = *this - o;
        return *this;
    }
    template <class T> ap_fixed &operator*=(const T &o)
    {
        *this = *this * o;
        return *this;
    }
    ap_fixed<(W < 64 ? W + 1 : 64), I + 1> operator-() const
    {
        ap_fixed<(W < 64 ? W + 1 : 64), I + 1> r;
        r.V = -V;
        return r;
    }
};

#define FNRT_AP_T1 int W1, int I1, ap_q_mode Q1, ap_o_mode O1, int N1
#define FNRT_AP_T2 int W2, int I2, ap_q_mode Q2, ap_o_mode O2, int N2
#define FNRT_AP_A ap_fixed<W1, I1, Q1, O1, N1>
#define FNRT_AP_B ap_fixed<W2, I2, Q2, O2, N2>

template <FNRT_AP_T1, FNRT_AP_T2> ap_fixed<W1 + W2, I1 + I2> operator*(const FNRT_AP_A &a, const FNRT_AP_B &b)
{
    ap_fixed<W1 + W2, I1 + I2> r;
    r.V = (int64_t)((fnrt_ap::wide)a.V * b.V);
    return r;
}

template <FNRT_AP_T1, FNRT_AP_T2> struct fnrt_ap_sum {
    static const int F = fnrt_ap::max_i<W1 - I1, W2 - I2>::value;
    static const int IS = fnrt_ap::max_i<I1, I2>::value + 1;
    typedef ap_fixed<F + IS, IS> type;
};

template <FNRT_AP_T1, FNRT_AP_T2>
typename fnrt_ap_sum<W1, I1, Q1, O1, N1, W2, I2, Q2, O2, N2>::type operator+(const FNRT_AP_A &a,
                                                                             const FNRT_AP_B &b)
{
    typedef fnrt_ap_sum<W1, I1, Q1, O1, N1, W2, I2, Q2, O2, N2> S;
    typename S::type r;
    r.V = (int64_t)(fnrt_ap::qshift(a.V, (W1 - I1) - S::F, false) +
                    fnrt_ap::qshift(b.V, (W2 - I2) - S::F, false));
    return r;
}

template <FNRT_AP_T1, FNRT_AP_T2>
typename fnrt_ap_sum<W1, I1, Q1, O1, N1, W2, I2, Q2, O2, N2>::type operator-(const FNRT_AP_A &a,
                                                                             const FNRT_AP_B &b)
{
    typedef fnrt_ap_sum<W1, I1, Q1, O1, N1, W2, I2, Q2, O2, N2> S;
    typename S::type r;
    r.V = (int64_t)(fnrt_ap::qshift(a.V, (W1 - I1) - S::F, false) -
                    fnrt_ap::qshift(b.V, (W2 - I2) - S::F, false));
    return r;
}

/* exact comparison: align both to the finer binary point */
template <FNRT_AP_T1, FNRT_AP_T2> int fnrt_ap_cmp(const FNRT_AP_A &a, const FNRT_AP_B &b)
{
    const int F = fnrt_ap::max_i<W1 - I1, W2 - I2>::value;
    fnrt_ap::wide x = fnrt_ap::qshift(a.V, (W1 - I1) - F, false);
    fnrt_ap::wide y = fnrt_ap::qshift(b.V, (W2 - I2) - F, false);
    return x < y ? -1 : x > y ? 1 : 0;
}
#define FNRT_AP_CMP(OP)                                                                      \
    template <FNRT_AP_T1, FNRT_AP_T2> bool operator OP(const FNRT_AP_A &a, const FNRT_AP_B &b) \
    {                                                                                        \
        return fnrt_ap_cmp(a, b) OP 0;                                                       \
    }
FNRT_AP_CMP(<)
FNRT_AP_CMP(>)
FNRT_AP_CMP(<=)
FNRT_AP_CMP(>=)
FNRT_AP_CMP(==)
FNRT_AP_CMP(!=)
#undef FNRT_AP_CMP
#undef FNRT_AP_T1
#undef FNRT_AP_T2
#undef FNRT_AP_A
#undef FNRT_AP_B

template <int W> struct ap_uint {
    static const int NW = (W + 63) / 64;
    uint64_t w[NW];

    ap_uint() { set_all(0); }
    ap_uint(long long v) { set_all(v); }
    ap_uint(int v) { set_all(v); }
    ap_uint(unsigned long long v) { set_all((long long)v, false); }

    void set_all(long long v, bool sign_extend = true)
    {
        w[0] = (uint64_t)v;
        for (int i = 1; i < NW; i++)
            w[i] = (sign_extend && v < 0) ? ~UINT64_C(0) : 0;
        if (W % 64)
            w[NW - 1] &= fnrt_ap::mask(W % 64);
    }
    uint64_t get(int hi, int lo) const
    {
        int n = hi - lo + 1, i = lo / 64, s = lo % 64;
        uint64_t u = w[i] >> s;
        if (s && i + 1 < NW)
            u |= w[i + 1] << (64 - s);
        return u & fnrt_ap::mask(n);
    }
    void set(int hi, int lo, uint64_t v)
    {
        int n = hi - lo + 1, i = lo / 64, s = lo % 64;
        v &= fnrt_ap::mask(n);
        uint64_t m = fnrt_ap::mask(n);
        w[i] = (w[i] & ~(m << s)) | (v << s);
        if (s && s + n > 64) {
            w[i + 1] = (w[i + 1] & ~(m >> (64 - s))) | (v >> (64 - s));
        }
    }
    struct range_ref {
        ap_uint *p;
        int hi, lo;
        uint64_t to_uint64() const { return p->get(hi, lo); }
        range_ref &operator=(uint64_t v)
        {
            p->set(hi, lo, v);
            return *this;
        }
    };
    range_ref range(int hi, int lo) { return range_ref{this, hi, lo}; }
    range_ref range(int hi, int lo) const { return range_ref{const_cast<ap_uint *>(this), hi, lo}; }
    uint64_t to_uint64() const { return get(W < 64 ? W - 1 : 63, 0); }
};

template <int D, int U, int TI, int TD> struct ap_axiu {
    ap_uint<D> data;
    ap_uint<(D + 7) / 8> keep;
    ap_uint<(D + 7) / 8> strb;
    ap_uint<(U > 0 ? U : 1)> user;
    ap_uint<1> last;
    ap_uint<(TI > 0 ? TI : 1)> id;
    ap_uint<(TD > 0 ? TD : 1)> dest;
};
#endif
#endif
