/* C-simulation test bench: fnrt_upsample2x core (align_corners 0 and 1; float bit-exact,
 * ap_fixed within the LSB) against the reference backend, and the top function. */
#include <string>
#include <vector>

#include "../common/fnrt-hls-tb.h"
#include "../glue/fnrt-glue.h"
#include "fnrt-upsample.h"

using namespace fnrt_hls;
using namespace fnrt_tb;

template <class PR, int P>
static void up_case(const char *pname, int c, int h, int w, int ac, uint64_t seed)
{
    typedef typename PR::act_t T;
    std::string name = "upsample2x c" + std::to_string(c) + " " + std::to_string(h) + "x" +
                       std::to_string(w) + " align_corners=" + std::to_string(ac) + " [" + pname +
                       ", P=" + std::to_string(P) + "]";
    fnrt_op op = op_init(FNRT_OP_UPSAMPLE2X, "up", 1);
    op.in_shape[0] = shape(3, c, h, w);
    op.out_shape = shape(3, c, 2 * h, 2 * w);
    op.p.up.align_corners = ac;
    rng r(seed);
    std::vector<float> x(c * h * w), yref;
    r.fill(x, -2.0f, 2.0f);
    std::vector<float> xq = quantise<T>(x);
    if (!ref_run(op, {&xq}, yref))
        return;
    std::vector<T> xm = to_type<T>(x), ym(4 * c * h * w);
    hls::stream<vec<T, P> > xs, ys;
    tb_mm2s<T, P>(xm, xs, c, h, w, 0, 1, ORDER_PIXEL, 0);
    check(name + " supported", upsample_check<P, 1024>(c, h, w) == 0);
    upsample2x_core<PR, P, 1024>(xs, ys, c, h, w, ac);
    check(name + " consumed its input", xs.empty());
    tb_s2mm<T, P>(ys, ym, c, 2 * h, 2 * w, 0, ORDER_PIXEL, 0);
    if (num<T>::bits == 32)
        check_close(name, to_float(ym), yref, 0.0, 0.0);
    else
        check_close(name, to_float(ym), yref,
                    0.5 * std::ldexp(1.0, -num<T>::frac) + 4 * std::ldexp(1.0, -17), 0.0);
}

#include "../common/fnrt-hls-config.h"
extern "C" void fnrt_upsample2x(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int c, int h,
                                int w, int align_corners);

int main()
{
    up_case<prec_f32, 4>("float", 5, 4, 6, 0, 1);
    up_case<prec_f32, 8>("float", 9, 7, 5, 0, 2);
    up_case<prec_f32, 4>("float", 3, 5, 3, 1, 3);
    up_case<prec_f32, 4>("float", 2, 1, 1, 0, 4);
    up_case<prec_fx16, 4>("ap_fixed<16>", 6, 6, 4, 0, 5);
    up_case<prec_fx8, 8>("ap_fixed<8>", 10, 3, 5, 1, 6);
    { /* top function, build config */
        const int c = 10, h = 5, w = 4;
        rng r(7);
        std::vector<float> x(c * h * w), yref;
        r.fill(x, -1.0f, 1.0f);
        std::vector<float> xq = quantise<act_t>(x);
        fnrt_op op = op_init(FNRT_OP_UPSAMPLE2X, "up", 1);
        op.in_shape[0] = shape(3, c, h, w);
        op.out_shape = shape(3, c, 2 * h, 2 * w);
        if (ref_run(op, {&xq}, yref)) {
            std::vector<act_t> xm = to_type<act_t>(x), ym(4 * c * h * w);
            hls::stream<act_vec> xs, ys;
            hls::stream<act_axis> xa, ya;
            tb_mm2s<act_t, P>(xm, xs, c, h, w, 0, 1, ORDER_PIXEL, 0);
            stream_to_axis<act_t, P>(xs, xa, h * w * fnrt_hls_ceil_div(c, P));
            fnrt_upsample2x(xa, ya, c, h, w, 0);
            axis_to_stream<act_t, P>(ya, ys, (int)ya.size());
            tb_s2mm<act_t, P>(ys, ym, c, 2 * h, 2 * w, 0, ORDER_PIXEL, 0);
            check_close("upsample2x [top function]", to_float(ym), yref, 1e-6, 0.0);
        }
    }
    return finish("tb-upsample");
}
