/* C-simulation test bench: fnrt_add (residual add, every activation) and fnrt_maxmerge
 * (channel-slice max-merge, K and C not multiples of P, K = 0) against the reference backend,
 * in float and fixed point; top functions.  (The cross-modal network's other ops, 7x7 and
 * 1x1 stride-2 convs, 3x3 stride-2 max-pool with padding and align_corners upsampling, are
 * parameters of the existing fnrt_conv2d, fnrt_maxpool and fnrt_upsample2x kernels.) */
#include <string>
#include <vector>

#include "../common/fnrt-hls-tb.h"
#include "../glue/fnrt-glue.h"
#include "fnrt-merge.h"

using namespace fnrt_hls;
using namespace fnrt_tb;

/* half an LSB of T (0 for float) */
template <class T> static double half_lsb()
{
    return num<T>::bits == 32 ? 0.0 : std::ldexp(0.5, -num<T>::frac);
}

template <class PR, int P>
static void add_case(const char *pname, int c, int h, int w, int act, uint64_t seed)
{
    typedef typename PR::act_t T;
    std::string name = "add C=" + std::to_string(c) + " act=" + std::to_string(act) + " [" +
                       pname + ", P=" + std::to_string(P) + "]";
    fnrt_op op = op_init(FNRT_OP_ADD, "add", 2);
    op.in_shape[0] = op.in_shape[1] = op.out_shape = shape(3, c, h, w);
    op.p.add.act = (fnrt_act)act;
    op.p.add.alpha = 0.2f;
    rng r(seed);
    std::vector<float> a(c * h * w), b(c * h * w), yref;
    r.fill(a, -2.0f, 2.0f);
    r.fill(b, -2.0f, 2.0f);
    std::vector<float> aq = quantise<T>(a), bq = quantise<T>(b);
    if (!ref_run(op, {&aq, &bq}, yref))
        return;
    std::vector<T> am = to_type<T>(a), bm = to_type<T>(b), ym(c * h * w);
    hls::stream<vec<T, P> > as, bs, ys;
    tb_mm2s<T, P>(am, as, c, h, w, 0, 1, ORDER_PIXEL, 0);
    tb_mm2s<T, P>(bm, bs, c, h, w, 0, 1, ORDER_PIXEL, 0);
    add_core<PR, P>(as, bs, ys, h * w * fnrt_hls_ceil_div(c, P), act, 0.2f);
    tb_s2mm<T, P>(ys, ym, c, h, w, 0, ORDER_PIXEL, 0);
    /* float: the same single addition; fixed: the sum rounded once, leaky's product once */
    double atol = act == 3 ? 2e-5 + 4 * half_lsb<T>() : 2 * half_lsb<T>(); /* tanh: a table */
    check_close(name, to_float(ym), yref, atol, act == 3 ? 1e-5 : 0.0);
    check("add streams drained", as.empty() && bs.empty() && ys.empty());
}

template <class T, int P>
static void merge_case(const char *pname, int c, int k, int h, int w, uint64_t seed)
{
    std::string name = "maxmerge C=" + std::to_string(c) + " K=" + std::to_string(k) + " [" +
                       pname + ", P=" + std::to_string(P) + "]";
    fnrt_op op = op_init(FNRT_OP_MAXMERGE, "maxmerge", 2);
    op.in_shape[0] = op.out_shape = shape(3, c, h, w);
    op.in_shape[1] = shape(3, c - k, h, w);
    op.p.merge.k = k;
    rng r(seed);
    std::vector<float> x(c * h * w), s((c - k) * h * w), yref;
    r.fill(x, -1.0f, 1.0f);
    r.fill(s, -1.0f, 1.0f);
    std::vector<float> xq = quantise<T>(x), sq = quantise<T>(s);
    if (!ref_run(op, {&xq, &sq}, yref))
        return;
    std::vector<T> xm = to_type<T>(x), sm = to_type<T>(s), ym(c * h * w);
    hls::stream<vec<T, P> > xs, ss, ys;
    tb_mm2s<T, P>(xm, xs, c, h, w, 0, 1, ORDER_PIXEL, 0);
    tb_mm2s<T, P>(sm, ss, c - k, h, w, 0, 1, ORDER_PIXEL, 0);
    maxmerge_core<T, P, 128>(xs, ss, ys, c, k, h * w);
    tb_s2mm<T, P>(ys, ym, c, h, w, 0, ORDER_PIXEL, 0);
    check_close(name, to_float(ym), yref, 0.0, 0.0); /* it only picks values */
    check("maxmerge streams drained", xs.empty() && ss.empty() && ys.empty());
}

#include "../common/fnrt-hls-config.h"
extern "C" void fnrt_add(hls::stream<act_axis> &a, hls::stream<act_axis> &b,
                         hls::stream<act_axis> &y, int c, int n_pix, int act, float alpha);
extern "C" void fnrt_maxmerge(hls::stream<act_axis> &x, hls::stream<act_axis> &skip,
                              hls::stream<act_axis> &y, int c, int k, int n_pix);

static void top_cases()
{
    const int c = 11, k = 6, h = 3, w = 4, n = h * w;
    const int gx = fnrt_hls_ceil_div(c, P), gs = fnrt_hls_ceil_div(c - k, P);
    rng r(41);
    std::vector<float> a(c * n), b(c * n), s((c - k) * n), ya, ym;
    r.fill(a, -1.0f, 1.0f);
    r.fill(b, -1.0f, 1.0f);
    r.fill(s, -1.0f, 1.0f);
    std::vector<float> aq = quantise<act_t>(a), bq = quantise<act_t>(b), sq = quantise<act_t>(s);
    fnrt_op oa = op_init(FNRT_OP_ADD, "add", 2), om = op_init(FNRT_OP_MAXMERGE, "maxmerge", 2);
    oa.in_shape[0] = oa.in_shape[1] = oa.out_shape = shape(3, c, h, w);
    oa.p.add.act = FNRT_ACT_RELU;
    om.in_shape[0] = om.out_shape = shape(3, c, h, w);
    om.in_shape[1] = shape(3, c - k, h, w);
    om.p.merge.k = k;
    if (!ref_run(oa, {&aq, &bq}, ya) || !ref_run(om, {&aq, &sq}, ym))
        return;
    std::vector<act_t> am = to_type<act_t>(a), bm = to_type<act_t>(b), sm = to_type<act_t>(s),
                       yam(c * n), ymm(c * n);
    hls::stream<act_vec> v, t;
    hls::stream<act_axis> x1, x2, y;
    tb_mm2s<act_t, P>(am, v, c, h, w, 0, 1, ORDER_PIXEL, 0);
    stream_to_axis<act_t, P>(v, x1, n * gx);
    tb_mm2s<act_t, P>(bm, v, c, h, w, 0, 1, ORDER_PIXEL, 0);
    stream_to_axis<act_t, P>(v, x2, n * gx);
    fnrt_add(x1, x2, y, c, n, FNRT_ACT_RELU, 0.2f);
    axis_to_stream<act_t, P>(y, t, n * gx);
    tb_s2mm<act_t, P>(t, yam, c, h, w, 0, ORDER_PIXEL, 0);
    check_close("add [top function]", to_float(yam), ya, 2 * half_lsb<act_t>(), 0.0);
    tb_mm2s<act_t, P>(am, v, c, h, w, 0, 1, ORDER_PIXEL, 0);
    stream_to_axis<act_t, P>(v, x1, n * gx);
    tb_mm2s<act_t, P>(sm, v, c - k, h, w, 0, 1, ORDER_PIXEL, 0);
    stream_to_axis<act_t, P>(v, x2, n * gs);
    fnrt_maxmerge(x1, x2, y, c, k, n);
    axis_to_stream<act_t, P>(y, t, n * gx);
    tb_s2mm<act_t, P>(t, ymm, c, h, w, 0, ORDER_PIXEL, 0);
    check_close("maxmerge [top function]", to_float(ymm), ym, 0.0, 0.0);
    check("top-function streams drained", x1.empty() && x2.empty() && y.empty());
}

int main()
{
    for (int act = 0; act <= 3; act++) {
        add_case<prec_f32, 4>("float", 7, 5, 3, act, 10 + act);
        add_case<prec_f32, 8>("float", 16, 4, 4, act, 20 + act);
    }
    add_case<prec_fx16, 8>("ap_fixed<16>", 13, 3, 5, FNRT_ACT_RELU, 30);
    add_case<prec_fx16, 4>("ap_fixed<16>", 8, 4, 3, FNRT_ACT_NONE, 31);
    add_case<prec_fx8, 8>("ap_fixed<8>", 9, 3, 3, FNRT_ACT_RELU, 32);
    merge_case<float, 4>("float", 12, 8, 3, 5, 40);  /* merge3 of the reduced model / 8 */
    merge_case<float, 8>("float", 24, 16, 4, 4, 41); /* merge_original */
    merge_case<float, 8>("float", 11, 6, 3, 3, 42);  /* K and C - K not multiples of P */
    merge_case<float, 4>("float", 5, 0, 2, 3, 43);   /* K = 0 */
    merge_case<float, 4>("float", 5, 4, 2, 3, 44);   /* K = C - 1 */
    merge_case<prec_fx16::act_t, 8>("ap_fixed<16>", 40, 32, 2, 3, 45);
    merge_case<prec_fx8::act_t, 8>("ap_fixed<8>", 19, 3, 2, 2, 46);
    top_cases();
    return finish("tb-merge");
}
