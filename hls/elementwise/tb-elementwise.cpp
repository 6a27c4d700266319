/* C-simulation test bench: fnrt_gray, fnrt_l2norm (with and without swizzle) and
 * fnrt_concat (stride 1 and 4) against the reference backend; top functions. */
#include <string>
#include <vector>

#include "../common/fnrt-hls-tb.h"
#include "../glue/fnrt-glue.h"
#include "fnrt-elementwise.h"

using namespace fnrt_hls;
using namespace fnrt_tb;

template <class PR, int P> static void gray_case(const char *pname, int h, int w, uint64_t seed)
{
    typedef typename PR::act_t T;
    std::string name = std::string("gray [") + pname + ", P=" + std::to_string(P) + "]";
    fnrt_op op = op_init(FNRT_OP_GRAY, "gray", 1);
    op.in_shape[0] = shape(3, 3, h, w);
    op.out_shape = shape(3, 1, h, w);
    rng r(seed);
    std::vector<float> x(3 * h * w), yref;
    r.fill(x, 0.0f, 1.0f);
    std::vector<float> xq = quantise<T>(x);
    if (!ref_run(op, {&xq}, yref))
        return;
    std::vector<T> xm = to_type<T>(x), ym(h * w);
    hls::stream<vec<T, P> > xs, ys;
    tb_mm2s<T, P>(xm, xs, 3, h, w, 0, 1, ORDER_PIXEL, 0);
    gray_core<PR, P>(xs, ys, h * w);
    tb_s2mm<T, P>(ys, ym, 1, h, w, 0, ORDER_PIXEL, 0);
    check_close(name, to_float(ym), yref, num<T>::bits == 32 ? 0.0 : std::ldexp(0.5, -num<T>::frac), 0.0);
}

template <class PR, int P>
static void l2_case(const char *pname, int h, int w, int swizzle, uint64_t seed)
{
    typedef typename PR::act_t T;
    std::string name = std::string("l2norm swizzle=") + std::to_string(swizzle) + " [" + pname +
                       ", P=" + std::to_string(P) + "]";
    fnrt_op op = op_init(FNRT_OP_L2NORM, "l2", 1);
    op.in_shape[0] = shape(3, 3, h, w);
    op.out_shape = shape(3, 3, h, w);
    op.p.l2.swizzle = swizzle;
    op.p.l2.eps = 1e-12f;
    rng r(seed);
    std::vector<float> x(3 * h * w), yref;
    r.fill(x, -1.0f, 1.0f);
    x[0] = x[h * w] = x[2 * h * w] = 0.0f; /* a zero vector: eps path */
    std::vector<float> xq = quantise<T>(x);
    if (!ref_run(op, {&xq}, yref))
        return;
    std::vector<T> xm = to_type<T>(x), ym(3 * h * w);
    hls::stream<vec<T, P> > xs, ys;
    tb_mm2s<T, P>(xm, xs, 3, h, w, 0, 1, ORDER_PIXEL, 0);
    l2norm_core<PR, P>(xs, ys, h * w, swizzle, 1e-12f);
    tb_s2mm<T, P>(ys, ym, 3, h, w, 0, ORDER_PIXEL, 0);
    check_close(name, to_float(ym), yref, num<T>::bits == 32 ? 0.0 : std::ldexp(0.5, -num<T>::frac), 0.0);
}

template <class T, int P>
static void cat_case(const char *pname, int ca, int cb, int stride, int h, int w, uint64_t seed)
{
    std::string name = "concat " + std::to_string(ca) + "+" + std::to_string(cb) + "/" +
                       std::to_string(stride) + " [" + pname + ", P=" + std::to_string(P) + "]";
    int cy = ca + (cb + stride - 1) / stride;
    fnrt_op op = op_init(FNRT_OP_CONCAT, "cat", 2);
    op.in_shape[0] = shape(3, ca, h, w);
    op.in_shape[1] = shape(3, cb, h, w);
    op.out_shape = shape(3, cy, h, w);
    op.p.cat.stride_b = stride;
    rng r(seed);
    std::vector<float> a(ca * h * w), b(cb * h * w), yref;
    r.fill(a, -1.0f, 1.0f);
    r.fill(b, -1.0f, 1.0f);
    std::vector<float> aq = quantise<T>(a), bq = quantise<T>(b);
    if (!ref_run(op, {&aq, &bq}, yref))
        return;
    std::vector<T> am = to_type<T>(a), bm = to_type<T>(b), ym(cy * h * w), ym2(cy * h * w);
    hls::stream<vec<T, P> > as, bs, ys;
    tb_mm2s<T, P>(am, as, ca, h, w, 0, 1, ORDER_PIXEL, 0);
    tb_mm2s<T, P>(bm, bs, cb, h, w, 0, 1, ORDER_PIXEL, 0);
    concat_core<T, P, 64>(as, bs, ys, ca, cb, stride, h * w);
    tb_s2mm<T, P>(ys, ym, cy, h, w, 0, ORDER_PIXEL, 0);
    check_close(name + " kernel", to_float(ym), yref, 0.0, 0.0);
    if (ca % P)
        return; /* s2mm writes whole channel blocks: c_base must be a multiple of P */
    /* the same concat with glue only: two writers into one buffer, strided reader */
    tb_mm2s<T, P>(am, as, ca, h, w, 0, 1, ORDER_PIXEL, 0);
    tb_s2mm<T, P>(as, ym2, ca, h, w, 0, ORDER_PIXEL, 0);
    tb_mm2s<T, P>(bm, bs, cy - ca, h, w, 0, stride, ORDER_PIXEL, 0);
    tb_s2mm<T, P>(bs, ym2, cy - ca, h, w, ca, ORDER_PIXEL, 0);
    check_close(name + " by mm2s/s2mm addressing", to_float(ym2), yref, 0.0, 0.0);
}

#include "../common/fnrt-hls-config.h"
extern "C" void fnrt_gray(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int n_pix);
extern "C" void fnrt_l2norm(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int n_pix,
                            int swizzle, float eps);
extern "C" void fnrt_concat(hls::stream<act_axis> &a, hls::stream<act_axis> &b,
                            hls::stream<act_axis> &y, int ca, int cb, int stride_b, int n_pix);

static void top_cases()
{
    const int h = 4, w = 5, n = h * w;
    rng r(3);
    std::vector<float> x(3 * n), g, l, c;
    r.fill(x, -1.0f, 1.0f);
    std::vector<float> xq = quantise<act_t>(x);
    fnrt_op og = op_init(FNRT_OP_GRAY, "gray", 1), ol = op_init(FNRT_OP_L2NORM, "l2", 1),
            oc = op_init(FNRT_OP_CONCAT, "cat", 2);
    og.in_shape[0] = ol.in_shape[0] = shape(3, 3, h, w);
    og.out_shape = shape(3, 1, h, w);
    ol.out_shape = shape(3, 3, h, w);
    ol.p.l2.swizzle = 1;
    ol.p.l2.eps = 1e-12f;
    oc.in_shape[0] = oc.in_shape[1] = shape(3, 3, h, w);
    oc.out_shape = shape(3, 4, h, w);
    oc.p.cat.stride_b = 4;
    if (!ref_run(og, {&xq}, g) || !ref_run(ol, {&xq}, l) || !ref_run(oc, {&xq, &xq}, c))
        return;
    std::vector<act_t> xm = to_type<act_t>(x), gm(n), lm(3 * n), cm(4 * n);
    hls::stream<act_vec> s, t;
    hls::stream<act_axis> a, b, y;
    tb_mm2s<act_t, P>(xm, s, 3, h, w, 0, 1, ORDER_PIXEL, 0);
    stream_to_axis<act_t, P>(s, a, n);
    fnrt_gray(a, y, n);
    axis_to_stream<act_t, P>(y, t, n);
    tb_s2mm<act_t, P>(t, gm, 1, h, w, 0, ORDER_PIXEL, 0);
    check_close("gray [top function]", to_float(gm), g, 1e-6, 0.0);
    tb_mm2s<act_t, P>(xm, s, 3, h, w, 0, 1, ORDER_PIXEL, 0);
    stream_to_axis<act_t, P>(s, a, n);
    fnrt_l2norm(a, y, n, 1, 1e-12f);
    axis_to_stream<act_t, P>(y, t, n);
    tb_s2mm<act_t, P>(t, lm, 3, h, w, 0, ORDER_PIXEL, 0);
    check_close("l2norm [top function]", to_float(lm), l, 1e-6, 0.0);
    tb_mm2s<act_t, P>(xm, s, 3, h, w, 0, 1, ORDER_PIXEL, 0);
    stream_to_axis<act_t, P>(s, a, n);
    tb_mm2s<act_t, P>(xm, s, 3, h, w, 0, 1, ORDER_PIXEL, 0);
    stream_to_axis<act_t, P>(s, b, n);
    fnrt_concat(a, b, y, 3, 3, 4, n);
    axis_to_stream<act_t, P>(y, t, n);
    tb_s2mm<act_t, P>(t, cm, 4, h, w, 0, ORDER_PIXEL, 0);
    check_close("concat [top function]", to_float(cm), c, 0.0, 0.0);
    check("top-function streams drained", a.empty() && b.empty() && y.empty());
}

int main()
{
    gray_case<prec_f32, 4>("float", 7, 9, 1);
    gray_case<prec_fx16, 4>("ap_fixed<16>", 5, 5, 2);
    gray_case<prec_fx8, 8>("ap_fixed<8>", 3, 7, 3);
    l2_case<prec_f32, 4>("float", 6, 5, 0, 4);
    l2_case<prec_f32, 8>("float", 4, 7, 1, 5);
    l2_case<prec_fx16, 4>("ap_fixed<16>", 5, 5, 1, 6);
    l2_case<prec_fx8, 8>("ap_fixed<8>", 5, 3, 0, 7);
    cat_case<float, 4>("float", 5, 8, 1, 3, 4, 8);
    cat_case<float, 4>("float", 8, 7, 1, 3, 4, 8);
    cat_case<float, 4>("float", 8, 16, 4, 4, 3, 9);
    cat_case<float, 8>("float", 3, 13, 4, 2, 5, 10);
    cat_case<float, 8>("float", 16, 29, 4, 2, 5, 10);
    cat_case<prec_fx16::act_t, 4>("ap_fixed<16>", 4, 12, 4, 3, 3, 11);
    top_cases();
    return finish("tb-elementwise");
}
