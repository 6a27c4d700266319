/* C-simulation test bench: fnrt_modulate core against the reference backend, with the
 * output unpacked from the conv engine's weight layout; then the modulated weight drives
 * the conv engine and the result is compared with reference modulate + reference conv
 * (the SDFT path of every FNR2R up-block). */
#include <string>
#include <vector>

#include "../common/fnrt-hls-tb.h"
#include "../conv2d/fnrt-conv2d.h"
#include "../glue/fnrt-glue.h"
#include "fnrt-modulate.h"

using namespace fnrt_hls;
using namespace fnrt_tb;

template <class PR, int P> static void mod_case(const char *pname, int c, uint64_t seed)
{
    typedef typename PR::wt_t wt_t;
    typedef typename PR::act_t act_t;
    const int k = 3, WB = num<wt_t>::bits, WV = 512 / WB;
    std::string name = "modulate " + std::to_string(c) + "x" + std::to_string(c) + "x3x3 [" +
                       pname + ", P=" + std::to_string(P) + "]";
    const float scale = 1.0f / std::sqrt(9.0f * (float)c), eps = 1e-8f;
    fnrt_op op = op_init(FNRT_OP_MODULATE, "mod", 2);
    op.in_shape[0] = shape(4, c, c, k, k);
    op.in_shape[1] = shape(3, c, 1, 1);
    op.out_shape = op.in_shape[0];
    op.p.mod.scale = scale;
    op.p.mod.eps = eps;
    rng r(seed);
    std::vector<float> w(c * c * k * k), s(c), yref;
    r.fill(w, -1.7f, 1.7f);
    r.fill(s, -1.5f, 1.5f);
    std::vector<float> sq = quantise<act_t>(s);
    if (!ref_run(op, {&w, &sq}, yref))
        return;
    size_t n = fnrt_hls_packed_weight_elems(c, c, k, k, P, WB);
    std::vector<fword> wp(n / 16);
    for (size_t e = 0; e < n; e++) {
        long long src = fnrt_hls_packed_weight_src(e, c, c, k, k, 1, 0, P, WB);
        wp[e / 16].v[e % 16] = src < 0 ? 0.0f : w[(size_t)src];
    }
    std::vector<act_t> sm = to_type<act_t>(s);
    std::vector<vec<wt_t, WV> > yp(n / WV);
    modulate_core<PR, P, 256>(wp.data(), sm.data(), yp.data(), c, c, k, scale, eps);
    std::vector<float> y(c * c * k * k, 0.0f);
    bool pad_zero = true;
    for (size_t e = 0; e < n; e++) {
        long long src = fnrt_hls_packed_weight_src(e, c, c, k, k, 1, 0, P, WB);
        float v = num<wt_t>::to_float(yp[e / WV].v[e % WV]);
        if (src >= 0)
            y[(size_t)src] = v;
        else
            pad_zero = pad_zero && v == 0.0f;
    }
    check(name + " padding stays zero", pad_zero);
    check_close(name, y, yref, WB == 32 ? 1e-6 : 0.5 * std::ldexp(1.0, -num<wt_t>::frac) + 1e-6,
                WB == 32 ? 1e-5 : 0.0);

    /* modulated weight -> conv engine (3x3, stride 1, pad 1, residual), as in an up-block */
    const int h = 6, wd = 5;
    fnrt_op oc = op_init(FNRT_OP_CONV2D, "sdft", 4);
    oc.in_shape[0] = shape(3, c, h, wd);
    oc.in_shape[1] = shape(4, c, c, 3, 3);
    oc.in_shape[3] = shape(3, c, h, wd);
    oc.out_shape = shape(3, c, h, wd);
    oc.p.conv.kh = oc.p.conv.kw = 3;
    oc.p.conv.stride = 1;
    oc.p.conv.pad = 1;
    std::vector<float> x(c * h * wd), res(c * h * wd), yc;
    r.fill(x, -1.0f, 1.0f);
    r.fill(res, -1.0f, 1.0f);
    std::vector<float> xq = quantise<act_t>(x), rq = quantise<act_t>(res);
    if (!ref_run(oc, {&xq, &y, NULL, &rq}, yc)) /* y: the kernel's own modulated weight */
        return;
    std::vector<act_t> xm = to_type<act_t>(x), rm = to_type<act_t>(res), ym(c * h * wd);
    conv_args a = {c, h, wd, c, 3, 3, 1, 1, 0, 0, 0, 0.2f, 0.2f, 0, 0, 1};
    a.tile_rows = fnrt_hls_tile_rows(h, wd, wd * fnrt_hls_ceil_div(c, P), 3, 1, 0, 64, 1024);
    hls::stream<vec<act_t, P> > xs, rs, ys;
    tb_mm2s<act_t, P>(xm, xs, c, h, wd, 0, 1, ORDER_PIXEL, 0);
    tb_mm2s<act_t, P>(rm, rs, c, h, wd, 0, 1, ORDER_BAND, a.tile_rows);
    conv_engine<PR, P, 1024, 64, 256>(xs, yp.data(), NULL, rs, ys, a, NULL);
    tb_s2mm<act_t, P>(ys, ym, c, h, wd, 0, ORDER_BAND, a.tile_rows);
    check_close(name + " -> conv2d", to_float(ym), yc,
                WB == 32 ? 1e-4 : 0.5 * std::ldexp(1.0, -num<act_t>::frac) + 1e-4,
                WB == 32 ? 1e-4 : 0.0);
}

#include "../common/fnrt-hls-config.h"
extern "C" void fnrt_modulate(const fword *w, const act_t *s, vec<wt_t, 512 / num<wt_t>::bits> *y,
                              int co, int ci, int k, float scale, float eps);

int main()
{
    mod_case<prec_f32, 4>("float", 6, 1);
    mod_case<prec_f32, 8>("float", 19, 2);
    mod_case<prec_f32, 16>("float", 32, 3);
    mod_case<prec_fx16, 4>("ap_fixed<16>", 10, 4);
    mod_case<prec_fx8, 8>("ap_fixed<8>", 12, 5);
    { /* top function: same packed layout as the core */
        const int c = 9, WV = 512 / num<wt_t>::bits;
        size_t n = fnrt_hls_packed_weight_elems(c, c, 3, 3, P, num<wt_t>::bits);
        std::vector<fword> wp(n / 16);
        std::vector<act_t> s(c);
        rng r(12);
        for (size_t e = 0; e < n; e++) {
            long long src = fnrt_hls_packed_weight_src(e, c, c, 3, 3, 1, 0, P, num<wt_t>::bits);
            wp[e / 16].v[e % 16] = src < 0 ? 0.0f : r.uniform(-1.0f, 1.0f);
        }
        for (int i = 0; i < c; i++)
            s[i] = num<act_t>::from_float(r.uniform(-1.0f, 1.0f));
        std::vector<vec<wt_t, WV> > y1(n / WV), y2(n / WV);
        fnrt_modulate(wp.data(), s.data(), y1.data(), c, c, 3, 0.1f, 1e-8f);
        modulate_core<prec, P, FNRT_HLS_MAX_C>(wp.data(), s.data(), y2.data(), c, c, 3, 0.1f, 1e-8f);
        bool same = true;
        for (size_t e = 0; e < n; e++)
            same = same && num<wt_t>::to_bits(y1[e / WV].v[e % WV]) == num<wt_t>::to_bits(y2[e / WV].v[e % WV]);
        check("modulate [top function] = core", same);
    }
    return finish("tb-modulate");
}
