/* C-simulation test bench: fnrt_maxpool and fnrt_global_avgpool cores against the
 * reference backend (float P = 4 and 8, ap_fixed 16 and 8 bit), plus the top functions
 * through their AXI4-Stream ports. */
#include <string>
#include <vector>

#include "../common/fnrt-hls-tb.h"
#include "../glue/fnrt-glue.h"
#include "fnrt-pool.h"

using namespace fnrt_hls;
using namespace fnrt_tb;

template <class PR, int P>
static void maxpool_case(const char *pname, int c, int h, int w, int k, int s, int pad, uint64_t seed)
{
    typedef typename PR::act_t T;
    std::string name = "maxpool c" + std::to_string(c) + " " + std::to_string(h) + "x" +
                       std::to_string(w) + " k" + std::to_string(k) + "s" + std::to_string(s) +
                       "p" + std::to_string(pad) + " [" + pname + ", P=" + std::to_string(P) + "]";
    fnrt_op op = op_init(FNRT_OP_MAXPOOL, "pool", 1);
    int ho = (h + 2 * pad - k) / s + 1, wo = (w + 2 * pad - k) / s + 1;
    op.in_shape[0] = shape(3, c, h, w);
    op.out_shape = shape(3, c, ho, wo);
    op.p.pool.k = k, op.p.pool.stride = s, op.p.pool.pad = pad;
    rng r(seed);
    std::vector<float> x(c * h * w), yref;
    r.fill(x, -2.0f, 2.0f);
    std::vector<float> xq = quantise<T>(x);
    if (!ref_run(op, {&xq}, yref))
        return;
    std::vector<T> xm = to_type<T>(x), ym(c * ho * wo);
    hls::stream<vec<T, P> > xs, ys;
    tb_mm2s<T, P>(xm, xs, c, h, w, 0, 1, ORDER_PIXEL, 0);
    check(name + " supported", maxpool_check<P, 512, 3>(c, h, w, k, s, pad) == 0);
    maxpool_core<T, P, 512, 3>(xs, ys, c, h, w, k, s, pad);
    check(name + " consumed its input", xs.empty());
    tb_s2mm<T, P>(ys, ym, c, ho, wo, 0, ORDER_PIXEL, 0);
    check_close(name, to_float(ym), yref, 0.0, 0.0); /* a max is exact */
}

template <class PR, int P>
static void gap_case(const char *pname, int c, int h, int w, uint64_t seed)
{
    typedef typename PR::act_t T;
    std::string name = "global_avgpool c" + std::to_string(c) + " " + std::to_string(h) + "x" +
                       std::to_string(w) + " [" + pname + ", P=" + std::to_string(P) + "]";
    fnrt_op op = op_init(FNRT_OP_GLOBAL_AVGPOOL, "gap", 1);
    op.in_shape[0] = shape(3, c, h, w);
    op.out_shape = shape(3, c, 1, 1);
    rng r(seed);
    std::vector<float> x(c * h * w), yref;
    r.fill(x, -1.0f, 3.0f);
    std::vector<float> xq = quantise<T>(x);
    if (!ref_run(op, {&xq}, yref))
        return;
    std::vector<T> xm = to_type<T>(x), ym(c);
    hls::stream<vec<T, P> > xs, ys;
    tb_mm2s<T, P>(xm, xs, c, h, w, 0, 1, ORDER_PIXEL, 0);
    global_avgpool_core<PR, P, 64>(xs, ys, c, h, w);
    tb_s2mm<T, P>(ys, ym, c, 1, 1, 0, ORDER_PIXEL, 0);
    double tol = num<T>::bits == 32 ? 1e-5 : std::ldexp(1.0, -num<T>::frac);
    check_close(name, to_float(ym), yref, tol, num<T>::bits == 32 ? 1e-5 : 0.0);
}

#include "../common/fnrt-hls-config.h"
extern "C" void fnrt_maxpool(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int c, int h,
                             int w, int k, int stride, int pad);
extern "C" void fnrt_global_avgpool(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int c,
                                    int h, int w);

static void top_case()
{
    const int c = 11, h = 8, w = 6;
    rng r(9);
    std::vector<float> x(c * h * w), yref, gref;
    r.fill(x, -1.0f, 1.0f);
    std::vector<float> xq = quantise<act_t>(x);
    fnrt_op op = op_init(FNRT_OP_MAXPOOL, "pool", 1);
    op.in_shape[0] = shape(3, c, h, w);
    op.out_shape = shape(3, c, h / 2, w / 2);
    op.p.pool.k = 2, op.p.pool.stride = 2, op.p.pool.pad = 0;
    fnrt_op og = op_init(FNRT_OP_GLOBAL_AVGPOOL, "gap", 1);
    og.in_shape[0] = shape(3, c, h, w);
    og.out_shape = shape(3, c, 1, 1);
    if (!ref_run(op, {&xq}, yref) || !ref_run(og, {&xq}, gref))
        return;
    std::vector<act_t> xm = to_type<act_t>(x), ym(c * h * w / 4), gm(c);
    hls::stream<act_vec> xs, ys;
    hls::stream<act_axis> xa, ya;
    tb_mm2s<act_t, P>(xm, xs, c, h, w, 0, 1, ORDER_PIXEL, 0);
    stream_to_axis<act_t, P>(xs, xa, h * w * fnrt_hls_ceil_div(c, P));
    fnrt_maxpool(xa, ya, c, h, w, 2, 2, 0);
    axis_to_stream<act_t, P>(ya, ys, (int)ya.size());
    tb_s2mm<act_t, P>(ys, ym, c, h / 2, w / 2, 0, ORDER_PIXEL, 0);
    check_close("maxpool [top function]", to_float(ym), yref, 0.0, 0.0);
    tb_mm2s<act_t, P>(xm, xs, c, h, w, 0, 1, ORDER_PIXEL, 0);
    stream_to_axis<act_t, P>(xs, xa, h * w * fnrt_hls_ceil_div(c, P));
    fnrt_global_avgpool(xa, ya, c, h, w);
    axis_to_stream<act_t, P>(ya, ys, (int)ya.size());
    tb_s2mm<act_t, P>(ys, gm, c, 1, 1, 0, ORDER_PIXEL, 0);
    check_close("global_avgpool [top function]", to_float(gm), gref, 1e-5, 1e-5);
}

int main()
{
    maxpool_case<prec_f32, 4>("float", 5, 8, 8, 2, 2, 0, 1);
    maxpool_case<prec_f32, 8>("float", 13, 7, 9, 3, 2, 1, 2);
    maxpool_case<prec_f32, 4>("float", 3, 5, 6, 3, 1, 1, 3);
    maxpool_case<prec_fx16, 4>("ap_fixed<16>", 6, 10, 10, 2, 2, 0, 4);
    maxpool_case<prec_fx8, 8>("ap_fixed<8>", 9, 9, 7, 3, 3, 1, 5);
    gap_case<prec_f32, 4>("float", 7, 9, 8, 6);
    gap_case<prec_f32, 8>("float", 16, 32, 32, 7);
    gap_case<prec_fx16, 4>("ap_fixed<16>", 5, 6, 6, 8);
    gap_case<prec_fx8, 8>("ap_fixed<8>", 12, 5, 4, 9);
    top_case();
    return finish("tb-pool");
}
