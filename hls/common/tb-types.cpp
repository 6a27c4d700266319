/* C-simulation test bench of the type layer: the compat ap_fixed semantics documented in
 * fnrt-hls-fixed.h (rounding, saturation, wrap, exact product/sum types), raw-bit access,
 * AXI4-Stream packing, the table tanh (float and fixed), and the two-MACs-per-DSP packing
 * (mac_pair) against plain products for every pair of 8-bit codes.  With the real Vitis
 * headers on the include path the same checks are meant to hold for them. */
#include <cmath>
#include <cstdio>
#include <string>

#include "fnrt-hls-tb.h"
#include "fnrt-hls-types.h"

using namespace fnrt_hls;
using namespace fnrt_tb;

static bool eq(double a, double b)
{
    return a == b;
}

int main()
{
    typedef ap_fixed<8, 4, AP_RND, AP_SAT> rs8; /* LSB 1/16, range [-8, 7.9375] */
    typedef ap_fixed<8, 4, AP_TRN, AP_WRAP> tw8;
    check("AP_RND rounds half an LSB up", eq(rs8(0.03125).to_double(), 0.0625));
    check("AP_RND ties go toward +inf", eq(rs8(-0.03125).to_double(), 0.0));
    check("AP_RND rounds to nearest", eq(rs8(0.09).to_double(), 0.0625) && eq(rs8(-0.1).to_double(), -0.125));
    check("AP_TRN floors", eq(tw8(-0.01).to_double(), -0.0625) && eq(tw8(0.12).to_double(), 0.0625));
    check("AP_SAT clamps", eq(rs8(100.0).to_double(), 7.9375) && eq(rs8(-100.0).to_double(), -8.0));
    check("AP_WRAP wraps", eq(tw8(8.0).to_double(), -8.0) && eq(tw8(9.5).to_double(), -6.5));
    check("NaN converts to 0", eq(rs8(std::nan("")).to_double(), 0.0));
    {
        ap_fixed<16, 6, AP_RND, AP_SAT> a(1.5), b(-2.25);
        ap_fixed<16, 3, AP_RND, AP_SAT> w(0.375);
        auto p = a * w; /* exact: ap_fixed<32, 9> */
        auto s = a + b; /* ap_fixed<17, 7> */
        check("product is exact", eq(p.to_double(), 0.5625) && decltype(p)::width == 32);
        check("sum is exact", eq(s.to_double(), -0.75) && decltype(s)::width == 17);
        ap_fixed<8, 4, AP_RND, AP_SAT> n(ap_fixed<16, 6>(3.96875));
        check("conversion between types rounds and saturates", eq(n.to_double(), 4.0) &&
                                                                   eq(rs8(ap_fixed<16, 8>(-20.0)).to_double(), -8.0));
        ap_fixed<48, 24> acc(0);
        acc += p;
        acc += p;
        check("compound += keeps the exact sum", eq(acc.to_double(), 1.125));
        check("comparisons across types", ap_fixed<8, 4>(0.5) < ap_fixed<16, 2>(0.53125) &&
                                              ap_fixed<8, 4>(-1.0) == ap_fixed<12, 3>(-1.0));
        check("to_int floors", ap_fixed<16, 8>(-2.5).to_int() == -3 && ap_fixed<16, 8>(2.5).to_int() == 2);
    }
    {
        rs8 x(-1.5);
        check("raw bits", x.range(7, 0).to_uint64() == 0xe8u);
        rs8 y;
        y.range(7, 0) = 0x19u;
        check("raw bit assignment", eq(y.to_double(), 1.5625));
    }
    {
        vec<rs8, 8> v;
        for (int i = 0; i < 8; i++)
            v.v[i] = rs8(-4.0 + 1.25 * i);
        axis<rs8, 8>::type a = to_axis<rs8, 8>(v, true);
        vec<rs8, 8> u = from_axis<rs8, 8>(a);
        bool same = a.last.to_uint64() == 1;
        for (int i = 0; i < 8; i++)
            same = same && u.v[i] == v.v[i];
        vec<float, 16> f;
        for (int i = 0; i < 16; i++)
            f.v[i] = -3.0f + 0.37f * (float)i;
        vec<float, 16> g = from_axis<float, 16>(to_axis<float, 16>(f, false));
        for (int i = 0; i < 16; i++)
            same = same && g.v[i] == f.v[i];
        check("AXI4-Stream pack/unpack round trip (8 x 8-bit, 16 x float)", same);
    }
    {
        double ef = 0.0, e16 = 0.0, e8 = 0.0;
        for (int i = -12000; i <= 12000; i++) {
            double x = i / 1000.0;
            ef = std::fmax(ef, std::fabs(num<float>::tanh((float)x) - std::tanh(x)));
            typedef prec_fx16::post_t q16;
            typedef prec_fx8::post_t q8;
            e16 = std::fmax(e16, std::fabs(num<q16>::tanh(q16(x)).to_double() - std::tanh(q16(x).to_double())));
            e8 = std::fmax(e8, std::fabs(num<q8>::tanh(q8(x)).to_double() - std::tanh(q8(x).to_double())));
        }
        char buf[160];
        std::snprintf(buf, sizeof buf, "max |err| float %.2g, post_t<32,12> %.2g, post_t<24,8> %.2g", ef, e16, e8);
        check("table tanh", ef < 7e-6 && e16 < 7e-6 + std::ldexp(1.0, -20) && e8 < 7e-6 + std::ldexp(1.0, -16), buf);
    }
    {
        typedef prec_fx8::wt_t W;
        typedef prec_fx8::act_t X;
        long long bad = 0, n = 0;
        for (int c0 = -128; c0 < 128; c0++)
            for (int c1 = -128; c1 < 128; c1 += 17)
                for (int cx = -128; cx < 128; cx++) {
                    W w0 = num<W>::from_bits((uint64_t)(c0 & 0xff)), w1 = num<W>::from_bits((uint64_t)(c1 & 0xff));
                    X x = num<X>::from_bits((uint64_t)(cx & 0xff));
                    ap_fixed<16, 5> p0, p1;
                    mac_pair(w0, w1, x, p0, p1);
                    bad += !(p0 == w0 * x) || !(p1 == w1 * x);
                    n++;
                }
        check("mac_pair = two products for all 8-bit codes",
              bad == 0, std::to_string(n) + " triples, " + std::to_string(bad) + " wrong");
    }
    return finish("tb-types");
}
