/* C-simulation test bench of the conv engine (fnrt_conv2d, fnrt_deconv2d) against the
 * reference backend: float (P = 4, 8), ap_fixed 16-bit and 8-bit (with two-MACs-per-DSP
 * packing), layer shapes of every kind FNR2R has (k4 s2, k5 s2, k3 s1, k1, transposed
 * k4 s2, 2x2 and 1x1 maps, residual, LeakyReLU/ReLU inputs, tanh outputs), bands forced
 * small so several bands, line-buffer wrap-around and weight re-reads are exercised.
 * Also: the engine's cycle counts equal fnrt_hls_conv_cycles_eval() (the model sim/ uses),
 * and the Vitis top functions run through their AXI4-Stream ports with fnrt_mm2s/fnrt_s2mm.
 *
 * Fixed point is checked twice: against the reference run on the quantised inputs (only
 * the kernel's own roundings remain; bound derived from the type LSBs), and against the
 * float reference (the precision's cost, reported). */
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../common/fnrt-hls-tb.h"
#include "../glue/fnrt-glue.h"
#include "fnrt-conv2d.h"

using namespace fnrt_hls;
using namespace fnrt_tb;

struct conv_case {
    const char *name;
    int ci, h, w, co, k, stride, pad, transposed, act_in, act_out, has_bias, has_res;
};

/* Runs one case on engine <PR, P, LB_WORDS, MAX_PIX>; tol_abs < 0 means fixed-point bound. */
template <class PR, int P, int LB_WORDS, int MAX_PIX>
static void run_case(const conv_case &c, const char *prec_name, uint64_t seed)
{
    typedef typename PR::act_t act_t;
    typedef typename PR::wt_t wt_t;
    const int MAX_CO = 128;
    const int WV = 512 / num<wt_t>::bits;
    fnrt_op op = conv_layer_op(c);
    const int ho = (int)op.out_shape.dims[1], wo = (int)op.out_shape.dims[2];
    std::string name = std::string(c.name) + " [" + prec_name + ", P=" + std::to_string(P) + "]";

    rng r(seed);
    std::vector<float> x(fnrt_shape_elems(&op.in_shape[0])), w(fnrt_shape_elems(&op.in_shape[1])),
        b(c.co), res(fnrt_shape_elems(&op.out_shape));
    r.fill(x, -1.0f, 1.0f);
    int fan_in = c.transposed ? c.ci * (c.k / c.stride) * (c.k / c.stride) : c.ci * c.k * c.k;
    float ws = 1.5f / std::sqrt((float)fan_in);
    r.fill(w, -ws, ws);
    r.fill(b, -0.3f, 0.3f);
    r.fill(res, -1.0f, 1.0f);

    /* oracle on the float data, and on the data as the kernel's types hold it */
    std::vector<float> xq = quantise<act_t>(x), wq = quantise<wt_t>(w), rq = quantise<act_t>(res);
    std::vector<float> y_ref, y_refq;
    std::vector<const std::vector<float> *> ins = {&x, &w, c.has_bias ? &b : NULL,
                                                   c.has_res ? &res : NULL};
    std::vector<const std::vector<float> *> insq = {&xq, &wq, c.has_bias ? &b : NULL,
                                                    c.has_res ? &rq : NULL};
    if (!ref_run(op, ins, y_ref) || !ref_run(op, insq, y_refq)) {
        check(name + " reference", false);
        return;
    }

    /* kernel inputs: packed weights, tensors in memory as act_t */
    size_t n_packed = fnrt_hls_packed_weight_elems(c.ci, c.co, c.k, c.k, P, num<wt_t>::bits);
    std::vector<vec<wt_t, WV> > wmem(n_packed / WV);
    for (size_t e = 0; e < n_packed; e++) {
        long long src = fnrt_hls_packed_weight_src(e, c.ci, c.co, c.k, c.k, c.stride,
                                                   c.transposed, P, num<wt_t>::bits);
        wmem[e / WV].v[e % WV] = src < 0 ? wt_t(0) : num<wt_t>::from_float(w[(size_t)src]);
    }
    std::vector<act_t> xm = to_type<act_t>(x), rm = to_type<act_t>(res),
                       ym(fnrt_shape_elems(&op.out_shape));

    conv_args a = {c.ci, c.h, c.w, c.co, c.k, c.k, c.stride, c.pad, c.transposed, c.act_in,
                   c.act_out, 0.2f, 0.2f, 0, c.has_bias, c.has_res};
    const int nig = fnrt_hls_ceil_div(c.ci, P);
    a.tile_rows = fnrt_hls_tile_rows(ho, wo, c.w * nig, c.k, c.stride, c.transposed, MAX_PIX,
                                     LB_WORDS);
    if (!check(name + " fits the engine",
               conv_check<P, LB_WORDS, MAX_PIX, MAX_CO>(a) == 0,
               "tile_rows " + std::to_string(a.tile_rows)))
        return;

    hls::stream<vec<act_t, P> > xs("x"), rs("res"), ys("y");
    tb_mm2s<act_t, P>(xm, xs, c.ci, c.h, c.w, 0, 1, ORDER_PIXEL, 0);
    if (c.has_res)
        tb_mm2s<act_t, P>(rm, rs, c.co, ho, wo, 0, 1, ORDER_BAND, a.tile_rows);
    conv_stats st;
    conv_engine<PR, P, LB_WORDS, MAX_PIX, MAX_CO>(xs, wmem.data(), b.data(), rs, ys, a, &st);
    check(name + " consumed its inputs", xs.empty() && rs.empty());
    check(name + " output beats", (long long)ys.size() == (long long)ho * wo * fnrt_hls_ceil_div(c.co, P));
    tb_s2mm<act_t, P>(ys, ym, c.co, ho, wo, 0, ORDER_BAND, a.tile_rows);
    std::vector<float> y = to_float(ym);

    if (num<act_t>::bits == 32) {
        check_close(name, y, y_ref, 1e-4, 1e-4);
    } else {
        /* kernel roundings only: output (half LSB of act_t), bias/act/residual in post_t,
         * the leaky input rounding propagated through the weights, the tanh table */
        double lsb_a = std::ldexp(1.0, -(num<act_t>::frac));
        double lsb_p = std::ldexp(1.0, -(num<typename PR::post_t>::frac));
        double wmax = 0.0;
        for (float v : wq)
            wmax = std::fmax(wmax, std::fabs(v));
        double bound = 0.5 * lsb_a + 4 * lsb_p + 1e-5;
        if (c.act_in == FNRT_ACT_LEAKY)
            bound += fan_in * wmax * 0.5 * lsb_a;
        check_close(name + " vs reference on quantised inputs", y, y_refq, bound, 0.0);
        err e = compare(y, y_ref);
        std::printf("INFO %s vs float reference: max |err| %.4g, mean %.4g (the precision's cost)\n",
                    name.c_str(), e.max_abs, e.mean_abs);
    }

    fnrt_hls_conv_cycles m;
    int rc = fnrt_hls_conv_cycles_eval(c.ci, c.h, c.w, c.co, c.k, c.k, c.stride, c.pad,
                                       c.transposed, P, num<wt_t>::bits, MAX_PIX, LB_WORDS,
                                       PR::loop_depth, 1.0, 1.0, &m);
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "C-sim total %lld (load %lld mac %lld useful %lld overhead %lld words %lld bands %d) "
                  "model total %lld (load %lld mac %lld useful %lld overhead %lld words %lld bands %d)",
                  st.total, st.load, st.mac, st.mac_useful, st.overhead, st.weight_words, st.n_bands,
                  m.total, m.load, m.mac, m.mac_useful, m.overhead, m.weight_words, m.n_bands);
    check(name + " cycles = model", rc == 0 && st.total == m.total && st.load == m.load &&
                                        st.mac == m.mac && st.mac_useful == m.mac_useful &&
                                        st.weight_words == m.weight_words && st.n_bands == m.n_bands,
          buf);
}

/* A thin first layer (c*k*k <= P) through the glue's im2col expansion: the engine runs it
 * as a 1 x 1 conv with c*k*k inputs on the output grid, same OIHW weight memory. */
template <class PR, int P>
static void run_im2col_case(const conv_case &c, const char *prec_name, uint64_t seed)
{
    typedef typename PR::act_t act_t;
    typedef typename PR::wt_t wt_t;
    const int WV = 512 / num<wt_t>::bits, MAX_PIX = 64, LB = 512, MAX_CO = 128;
    fnrt_op op = conv_layer_op(c);
    const int ho = (int)op.out_shape.dims[1], wo = (int)op.out_shape.dims[2];
    const int cik = c.ci * c.k * c.k;
    std::string name = std::string(c.name) + " via im2col [" + prec_name + ", P=" +
                       std::to_string(P) + "]";
    rng r(seed);
    std::vector<float> x(fnrt_shape_elems(&op.in_shape[0])), w(fnrt_shape_elems(&op.in_shape[1])),
        b(c.co), y_refq;
    r.fill(x, -1.0f, 1.0f);
    r.fill(w, -0.4f, 0.4f);
    r.fill(b, -0.3f, 0.3f);
    std::vector<float> xq = quantise<act_t>(x), wq = quantise<wt_t>(w);
    if (!ref_run(op, {&xq, &wq, c.has_bias ? &b : NULL, NULL}, y_refq))
        return;
    size_t n_packed = fnrt_hls_packed_weight_elems(cik, c.co, 1, 1, P, num<wt_t>::bits);
    std::vector<vec<wt_t, WV> > wmem(n_packed / WV);
    for (size_t e = 0; e < n_packed; e++) {
        long long src = fnrt_hls_packed_weight_src(e, cik, c.co, 1, 1, 1, 0, P, num<wt_t>::bits);
        wmem[e / WV].v[e % WV] = src < 0 ? wt_t(0) : num<wt_t>::from_float(w[(size_t)src]);
    }
    std::vector<act_t> xm = to_type<act_t>(x), ym(fnrt_shape_elems(&op.out_shape));
    conv_args a = {cik, ho, wo, c.co, 1, 1, 1, 0, 0, c.act_in, c.act_out, 0.2f, 0.2f, 0,
                   c.has_bias, 0};
    a.tile_rows = fnrt_hls_tile_rows(ho, wo, wo * fnrt_hls_ceil_div(cik, P), 1, 1, 0, MAX_PIX, LB);
    hls::stream<vec<act_t, P> > xs("x"), rs("res"), ys("y");
    tb_mm2s<act_t, P>(xm, xs, c.ci, c.h, c.w, 0, 1, ORDER_IM2COL,
                      c.k | (c.stride << 8) | (c.pad << 16));
    check(name + " im2col beats", (long long)xs.size() == (long long)ho * wo * fnrt_hls_ceil_div(cik, P));
    conv_engine<PR, P, LB, MAX_PIX, MAX_CO>(xs, wmem.data(), b.data(), rs, ys, a, NULL);
    tb_s2mm<act_t, P>(ys, ym, c.co, ho, wo, 0, ORDER_BAND, a.tile_rows);
    double tol = num<act_t>::bits == 32 ? 1e-4 : 0.5 * std::ldexp(1.0, -num<act_t>::frac) +
                                                     4 * std::ldexp(1.0, -num<typename PR::post_t>::frac) +
                                                     (c.act_in == FNRT_ACT_LEAKY ? cik * 0.4 * 0.5 : 0.0) *
                                                         std::ldexp(1.0, -num<act_t>::frac);
    check_close(name, to_float(ym), y_refq, tol, num<act_t>::bits == 32 ? 1e-4 : 0.0);
}

/* The Vitis top functions of this build (FNRT_HLS_* defaults) end to end through their
 * AXI4-Stream ports: fnrt_mm2s -> fnrt_conv2d / fnrt_deconv2d -> fnrt_s2mm. */
#include "../common/fnrt-hls-config.h"
extern "C" void fnrt_conv2d(hls::stream<act_axis> &x, const vec<wt_t, 512 / num<wt_t>::bits> *w,
                            const float *bias, hls::stream<act_axis> &res,
                            hls::stream<act_axis> &y, int ci, int h, int wd, int co, int kh,
                            int kw, int stride, int pad, int act_in, int act_out, float alpha_in,
                            float alpha_out, int tile_rows, int has_bias, int has_res);
extern "C" void fnrt_deconv2d(hls::stream<act_axis> &x, const vec<wt_t, 512 / num<wt_t>::bits> *w,
                              const float *bias, hls::stream<act_axis> &y, int ci, int h, int wd,
                              int co, int k, int stride, int pad, int act_in, int act_out,
                              float alpha_in, float alpha_out, int tile_rows, int has_bias);
extern "C" void fnrt_mm2s(const act_t *src, hls::stream<act_axis> &out, int c, int h, int w,
                          int c_first, int c_step, int order, int tile_rows);
extern "C" void fnrt_s2mm(hls::stream<act_axis> &in, act_t *dst, int c, int h, int w, int c_base,
                          int order, int tile_rows);

static void run_top(const conv_case &c, uint64_t seed)
{
    const int WV = 512 / num<wt_t>::bits;
    fnrt_op op = conv_layer_op(c);
    const int ho = (int)op.out_shape.dims[1], wo = (int)op.out_shape.dims[2];
    std::string name = std::string(c.name) + " [top functions, build config]";
    rng r(seed);
    std::vector<float> x(fnrt_shape_elems(&op.in_shape[0])), w(fnrt_shape_elems(&op.in_shape[1])),
        b(c.co), res(fnrt_shape_elems(&op.out_shape)), y_ref;
    r.fill(x, -1.0f, 1.0f);
    r.fill(w, -0.2f, 0.2f);
    r.fill(b, -0.3f, 0.3f);
    r.fill(res, -1.0f, 1.0f);
    std::vector<float> xq = quantise<act_t>(x), wq = quantise<wt_t>(w), rq = quantise<act_t>(res);
    std::vector<const std::vector<float> *> ins = {&xq, &wq, c.has_bias ? &b : NULL,
                                                   c.has_res ? &rq : NULL};
    if (!ref_run(op, ins, y_ref))
        return;
    size_t n_packed = fnrt_hls_packed_weight_elems(c.ci, c.co, c.k, c.k, P, num<wt_t>::bits);
    std::vector<vec<wt_t, WV> > wmem(n_packed / WV);
    for (size_t e = 0; e < n_packed; e++) {
        long long src = fnrt_hls_packed_weight_src(e, c.ci, c.co, c.k, c.k, c.stride,
                                                   c.transposed, P, num<wt_t>::bits);
        wmem[e / WV].v[e % WV] = src < 0 ? wt_t(0) : num<wt_t>::from_float(w[(size_t)src]);
    }
    std::vector<act_t> xm = to_type<act_t>(x), rm = to_type<act_t>(res),
                       ym(fnrt_shape_elems(&op.out_shape));
    int tr = fnrt_hls_tile_rows(ho, wo, c.w * fnrt_hls_ceil_div(c.ci, P), c.k, c.stride,
                                c.transposed, FNRT_HLS_MAX_PIX, FNRT_HLS_LB_WORDS);
    hls::stream<act_axis> xa, ra, ya;
    std::vector<act_t> xb = blocked(xm, c.ci, c.h, c.w, P), rb = blocked(rm, c.co, ho, wo, P),
                       yb = blocked(ym, c.co, ho, wo, P);
    fnrt_mm2s(xb.data(), xa, c.ci, c.h, c.w, 0, 1, ORDER_PIXEL, 0);
    if (c.has_res)
        fnrt_mm2s(rb.data(), ra, c.co, ho, wo, 0, 1, ORDER_BAND, tr);
    if (!c.transposed)
        fnrt_conv2d(xa, wmem.data(), b.data(), ra, ya, c.ci, c.h, c.w, c.co, c.k, c.k, c.stride,
                    c.pad, c.act_in, c.act_out, 0.2f, 0.2f, tr, c.has_bias, c.has_res);
    else
        fnrt_deconv2d(xa, wmem.data(), b.data(), ya, c.ci, c.h, c.w, c.co, c.k, c.stride, c.pad,
                      c.act_in, c.act_out, 0.2f, 0.2f, tr, c.has_bias);
    long long n_beats = (long long)ho * wo * fnrt_hls_ceil_div(c.co, P);
    bool last_ok = true;
    { /* TLAST on the final beat only */
        std::vector<act_axis> beats;
        while (!ya.empty())
            beats.push_back(ya.read());
        check(name + " output beats", (long long)beats.size() == n_beats);
        for (size_t i = 0; i < beats.size(); i++)
            last_ok = last_ok && (beats[i].last.to_uint64() == (i + 1 == beats.size() ? 1u : 0u));
        for (auto &bt : beats)
            ya.write(bt);
    }
    check(name + " TLAST marks the last beat", last_ok);
    fnrt_s2mm(ya, yb.data(), c.co, ho, wo, 0, ORDER_BAND, tr);
    unblock(yb, ym, c.co, ho, wo, P);
    check(name + " streams drained", xa.empty() && ra.empty() && ya.empty());
    double tol = num<act_t>::bits == 32 ? 1e-4 : std::ldexp(1.0, -num<act_t>::frac) + 1e-4;
    check_close(name, to_float(ym), y_ref, tol, num<act_t>::bits == 32 ? 1e-4 : 0.0);
}

int main()
{
    const int R = FNRT_ACT_RELU, L = FNRT_ACT_LEAKY, T = FNRT_ACT_TANH, N = FNRT_ACT_NONE;
    /* name, ci, h, w, co, k, s, pad, transposed, act_in, act_out, bias, res */
    const conv_case cases[] = {
        {"conv k3s1 leaky-in relu-out residual", 5, 9, 11, 7, 3, 1, 1, 0, L, R, 1, 1},
        {"conv k4s2 (coarse encoder)", 3, 16, 16, 6, 4, 2, 1, 0, L, N, 1, 0},
        {"conv k4s2 2x2 -> 1x1 (coarse conv8)", 9, 2, 2, 5, 4, 2, 1, 0, L, N, 0, 0},
        {"conv k5s2 (guide)", 4, 13, 13, 4, 5, 2, 2, 0, N, R, 1, 0},
        {"conv k1 tanh (head)", 9, 6, 6, 3, 1, 1, 0, 0, N, T, 1, 0},
        {"conv k3s1 no pad, unused last rows", 6, 10, 7, 9, 3, 2, 0, 0, R, N, 1, 0},
        {"deconv k4s2 relu-in tanh-out (coarse decoder)", 6, 5, 7, 5, 4, 2, 1, 1, R, T, 1, 0},
        {"deconv k4s2 1x1 -> 2x2 (coarse deconv1)", 10, 1, 1, 6, 4, 2, 1, 1, R, N, 1, 0},
        {"deconv k2s2 pad 0", 4, 4, 3, 4, 2, 2, 0, 1, N, L, 0, 0},
        /* the cross-modal network's ResNet-18 encoder */
        {"conv k7s2 p3 (cross-modal stem)", 4, 14, 8, 5, 7, 2, 3, 0, N, R, 0, 0},
        {"conv k3s2 p1 (ResNet stride-2 block)", 6, 9, 9, 7, 3, 2, 1, 0, N, R, 0, 0},
        {"conv k1s2 (ResNet downsample)", 6, 9, 9, 7, 1, 2, 0, 0, N, N, 0, 0},
    };
    uint64_t seed = 1;
    for (const conv_case &c : cases) {
        /* tiny buffers: several bands, line-buffer wrap-around, weight re-reads */
        run_case<prec_f32, 4, 256, 24>(c, "float", seed);
        run_case<prec_f32, 8, 512, 64>(c, "float", seed + 100);
        run_case<prec_fx16, 4, 256, 24>(c, "ap_fixed<16>", seed + 200);
        run_case<prec_fx8, 8, 512, 40>(c, "ap_fixed<8> packed", seed + 300);
        seed++;
    }
    /* thin first layers: guide.conv0.0 / refiner.block1.0 (3 ch, 3x3) and coarse.conv1
     * (1 ch, 4x4 s2) */
    const conv_case thin[] = {
        {"conv k3s1 3 ch (first VGG layer)", 3, 12, 10, 6, 3, 1, 1, 0, N, R, 1, 0},
        {"conv k4s2 1 ch (coarse conv1)", 1, 16, 14, 5, 4, 2, 1, 0, N, N, 1, 0},
        {"conv k5s2 2 ch leaky-in", 2, 11, 9, 4, 5, 2, 2, 0, L, T, 0, 0},
    };
    for (const conv_case &c : thin) {
        run_im2col_case<prec_f32, 32>(c, "float", seed++);
        run_im2col_case<prec_f32, 16>(c, "float", seed++);
        run_im2col_case<prec_fx16, 32>(c, "ap_fixed<16>", seed++);
        run_im2col_case<prec_fx8, 32>(c, "ap_fixed<8> packed", seed++);
    }
    run_top(cases[0], 77);
    run_top(cases[6], 78);
    return finish("tb-conv2d");
}
