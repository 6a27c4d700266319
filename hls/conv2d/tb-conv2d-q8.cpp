/* C-simulation test bench of the conv engine's requantising int8 build (prec_q8: int8
 * activations with one scale per tensor, int8 weights with one scale per output channel,
 * each output requantised once with m[o] = s_x s_w[o] / s_y) against the reference backend.
 *
 * Scales are calibrated as sim/quant-eval's "int8" scheme does: s_x = max|x| / 127, s_w[o]
 * = max over the channel's weights / 127, s_y from the float reference output (5% headroom).
 * Checked per case:
 *   against the reference run on the dequantised inputs (x^ = code * s_x, w^ = code *
 *   s_w[o], residual at the output scale): only the kernel's own roundings remain, half an
 *   output code plus, with a LeakyReLU input, the rounding of the leaky input codes;
 *   against the float reference within the quantisation bound fan_in * (max|w| s_x / 2 +
 *   max|x| s_w / 2) + one output code (and the residual's half code);
 *   and, on a layer whose output channels differ in weight magnitude by up to 8x, that the
 *   per-channel scales beat the one-binary-point ap_fixed<8> build (prec_fx8) in mean error. */
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../common/fnrt-hls-tb.h"
#include "fnrt-conv2d.h"

using namespace fnrt_hls;
using namespace fnrt_tb;

struct q8_case {
    const char *name;
    int ci, h, w, co, k, stride, pad, transposed, act_in, act_out, has_bias, has_res;
    bool spread; /* output channels' weights scaled by 1, 1/2, 1/4, 1/8 */
};

static double code_of(double x, double s)
{
    double q = std::floor(x / s + 0.5);
    return q > 127 ? 127 : q < -127 ? -127 : q;
}

static double max_abs(const std::vector<float> &v)
{
    double m = 0.0;
    for (float x : v)
        m = std::fmax(m, std::fabs(x));
    return m;
}

/* Output channel of canonical weight element e. */
static int out_channel(const q8_case &c, size_t e)
{
    size_t kk = (size_t)c.k * c.k;
    return c.transposed ? (int)(e / kk % c.co) : (int)(e / (kk * c.ci));
}

/* Runs the engine of precision PR on the given weight codes / values; returns y in float. */
template <class PR, int P, int LB, int MAX_PIX>
static std::vector<float> run_engine(const q8_case &c, const fnrt_op &op,
                                     const std::vector<float> &x_in, const std::vector<float> &w_in,
                                     const std::vector<float> &bias,
                                     const std::vector<float> &res_in,
                                     double s_y, int *n_bands)
{
    typedef typename PR::act_t act_t;
    typedef typename PR::wt_t wt_t;
    const int WV = 512 / num<wt_t>::bits, MAX_CO = 128;
    const int ho = (int)op.out_shape.dims[1], wo = (int)op.out_shape.dims[2];
    size_t n_packed = fnrt_hls_packed_weight_elems(c.ci, c.co, c.k, c.k, P, num<wt_t>::bits);
    std::vector<vec<wt_t, WV> > wmem(n_packed / WV);
    for (size_t e = 0; e < n_packed; e++) {
        long long src = fnrt_hls_packed_weight_src(e, c.ci, c.co, c.k, c.k, c.stride,
                                                   c.transposed, P, num<wt_t>::bits);
        wmem[e / WV].v[e % WV] = src < 0 ? wt_t(0) : num<wt_t>::from_float(w_in[(size_t)src]);
    }
    std::vector<act_t> xm = to_type<act_t>(x_in), rm = to_type<act_t>(res_in),
                       ym(fnrt_shape_elems(&op.out_shape));
    conv_args a = {c.ci, c.h, c.w, c.co, c.k, c.k, c.stride, c.pad, c.transposed, c.act_in,
                   c.act_out, 0.2f, 0.2f, 0, c.has_bias, c.has_res};
    a.tile_rows = fnrt_hls_tile_rows(ho, wo, c.w * fnrt_hls_ceil_div(c.ci, P), c.k, c.stride,
                                     c.transposed, MAX_PIX, LB);
    std::vector<float> y(ym.size(), NAN);
    if (!check(std::string(c.name) + " fits the engine",
               conv_check<P, LB, MAX_PIX, MAX_CO>(a) == 0))
        return y;
    hls::stream<vec<act_t, P> > xs, rs, ys;
    tb_mm2s<act_t, P>(xm, xs, c.ci, c.h, c.w, 0, 1, ORDER_PIXEL, 0);
    if (c.has_res)
        tb_mm2s<act_t, P>(rm, rs, c.co, ho, wo, 0, 1, ORDER_BAND, a.tile_rows);
    conv_stats st;
    conv_engine<PR, P, LB, MAX_PIX, MAX_CO>(xs, wmem.data(), bias.data(), rs, ys, a, &st);
    check(std::string(c.name) + " streams consumed and produced", xs.empty() && rs.empty() &&
          (long long)ys.size() == (long long)ho * wo * fnrt_hls_ceil_div(c.co, P));
    tb_s2mm<act_t, P>(ys, ym, c.co, ho, wo, 0, ORDER_BAND, a.tile_rows);
    y = to_float(ym);
    for (float &v : y)
        v = (float)(v * s_y);
    *n_bands = st.n_bands;
    return y;
}

static void run_case(const q8_case &c, uint64_t seed)
{
    const int P = 8, LB = 512, MAX_PIX = 40;
    fnrt_op op = conv_layer_op(c);
    std::string name = std::string(c.name) + " [requantising int8, P=8]";
    rng r(seed);
    std::vector<float> x(fnrt_shape_elems(&op.in_shape[0])), w(fnrt_shape_elems(&op.in_shape[1])),
        b(c.co), res(fnrt_shape_elems(&op.out_shape));
    r.fill(x, -1.0f, 1.0f);
    int taps = c.transposed ? (c.k / c.stride) * (c.k / c.stride) : c.k * c.k;
    int fan_in = c.ci * taps;
    float ws = 1.5f / std::sqrt((float)fan_in);
    r.fill(w, -ws, ws);
    if (c.spread)
        for (size_t e = 0; e < w.size(); e++)
            w[e] *= std::ldexp(1.0f, -(out_channel(c, e) % 4));
    r.fill(b, -0.3f, 0.3f);
    r.fill(res, -1.0f, 1.0f);

    /* calibration on the float run */
    std::vector<const std::vector<float> *> ins = {&x, &w, c.has_bias ? &b : NULL,
                                                   c.has_res ? &res : NULL};
    ins.resize(op.n_in);
    std::vector<float> y_ref;
    if (!ref_run(op, ins, y_ref)) {
        check(name + " reference", false);
        return;
    }
    const double s_x = max_abs(x) / 127.0, s_y = 1.05 * max_abs(y_ref) / 127.0;
    std::vector<double> s_w(c.co, 0.0);
    for (size_t e = 0; e < w.size(); e++)
        s_w[out_channel(c, e)] = std::fmax(s_w[out_channel(c, e)], std::fabs(w[e]) / 127.0);

    /* codes, the dequantised values, and the bias buffer b' | m | s_y */
    std::vector<float> xc(x.size()), xh(x.size()), wc(w.size()), wh(w.size()), rc(res.size()),
        rh(res.size()), bias(2 * c.co + 1);
    for (size_t i = 0; i < x.size(); i++) {
        xc[i] = (float)code_of(x[i], s_x);
        xh[i] = (float)(xc[i] * s_x);
    }
    for (size_t e = 0; e < w.size(); e++) {
        double s = s_w[out_channel(c, e)];
        wc[e] = (float)code_of(w[e], s);
        wh[e] = (float)(wc[e] * s);
    }
    for (size_t i = 0; i < res.size(); i++) {
        rc[i] = (float)code_of(res[i], s_y);
        rh[i] = (float)(rc[i] * s_y);
    }
    for (int o = 0; o < c.co; o++) {
        bias[o] = (float)(b[o] / s_y);
        bias[c.co + o] = (float)(s_x * s_w[o] / s_y);
    }
    bias[2 * c.co] = (float)s_y;

    int n_bands = 0;
    std::vector<float> y =
        run_engine<prec_q8, P, LB, MAX_PIX>(c, op, xc, wc, bias, rc, s_y, &n_bands);
    const long long out_pix = op.out_shape.dims[1] * op.out_shape.dims[2];
    if (out_pix > MAX_PIX) /* more pixels than the accumulator: bands */
        check(name + " runs in several bands", n_bands > 1, std::to_string(n_bands) + " bands");

    std::vector<const std::vector<float> *> insh = {&xh, &wh, c.has_bias ? &b : NULL,
                                                    c.has_res ? &rh : NULL};
    insh.resize(op.n_in);
    std::vector<float> y_refq;
    if (!ref_run(op, insh, y_refq)) {
        check(name + " reference on dequantised inputs", false);
        return;
    }
    double wmax = max_abs(w), swmax = 0.0;
    for (double s : s_w)
        swmax = std::fmax(swmax, s);
    double leaky = c.act_in == FNRT_ACT_LEAKY ? fan_in * wmax * 0.5 * s_x : 0.0;
    check_close(name + " vs reference on dequantised inputs", y, y_refq,
                0.5 * s_y + leaky + 1e-5, 1e-5);
    double qbound = fan_in * (wmax * 0.5 * s_x + max_abs(x) * 0.5 * swmax) + s_y +
                    (c.has_res ? 0.5 * s_y : 0.0) + leaky;
    check_close(name + " vs float reference within the quantisation bound", y, y_ref, qbound, 0.0);

    if (c.spread) {
        /* the same layer on the one-binary-point 8-bit build */
        std::vector<float> xq = quantise<prec_fx8::act_t>(x), wq = quantise<prec_fx8::wt_t>(w),
                           rq = quantise<prec_fx8::act_t>(res);
        std::vector<float> bias_fx(b);
        int nb = 0;
        std::vector<float> y_fx = run_engine<prec_fx8, P, LB, MAX_PIX>(c, op, xq, wq, bias_fx, rq,
                                                                      1.0, &nb);
        err e_q8 = compare(y, y_ref), e_fx = compare(y_fx, y_ref);
        std::printf("INFO %s vs float: per-channel int8 mean |err| %.4g max %.4g; ap_fixed<8> "
                    "mean %.4g max %.4g\n", c.name, e_q8.mean_abs, e_q8.max_abs, e_fx.mean_abs,
                    e_fx.max_abs);
        check(name + " per-channel scales beat one binary point (ap_fixed<8>) in mean error",
              e_q8.mean_abs < e_fx.mean_abs);
    }
}

int main()
{
    const int R = FNRT_ACT_RELU, L = FNRT_ACT_LEAKY, T = FNRT_ACT_TANH, N = FNRT_ACT_NONE;
    /* name, ci, h, w, co, k, s, pad, transposed, act_in, act_out, bias, res, spread */
    const q8_case cases[] = {
        {"conv k3s1 leaky-in relu-out residual", 5, 9, 11, 7, 3, 1, 1, 0, L, R, 1, 1, false},
        {"conv k4s2 (coarse encoder)", 3, 16, 16, 6, 4, 2, 1, 0, L, N, 1, 0, false},
        {"conv k1 tanh (head)", 9, 6, 6, 3, 1, 1, 0, 0, N, T, 1, 0, false},
        {"conv k3s1 no bias, channel magnitudes 1..1/8", 6, 10, 7, 12, 3, 1, 1, 0, N, N, 0, 0,
         true},
        {"deconv k4s2 relu-in tanh-out (coarse decoder)", 6, 5, 7, 5, 4, 2, 1, 1, R, T, 1, 0,
         false},
        {"deconv k2s2 leaky-out, channel magnitudes 1..1/8", 4, 4, 3, 9, 2, 2, 0, 1, N, L, 1, 0,
         true},
    };
    uint64_t seed = 11;
    for (const q8_case &c : cases)
        run_case(c, seed++);
    return finish("tb-conv2d-q8");
}
