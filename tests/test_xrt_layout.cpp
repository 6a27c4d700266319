/* The XRT backend's host-side data layout against the HLS kernels in C-simulation, without
 * hardware: for an op of every type the XRT backend runs -- conv (bands, residual, padding
 * channels), deconv, max-pool, bilinear upsampling, weight modulation (float-step input,
 * packed-weight output), concat, gray, l2norm, add, max-merge, global average pool -- the host code of host/src/backend/xrt packs every input the way the
 * backend uploads it (xrt-layout.c: blocked P-lane activations, packed and quantised
 * weights, float bias), the kernels' Vitis top functions run on exactly those bytes
 * (fnrt_mm2s -> fnrt_<op> -> fnrt_s2mm over their AXI4-Stream ports, every scalar argument
 * from xrt-args.c as the backend sets it, tile_rows included), the host code unpacks the
 * output bytes, and the result is compared with the plain-C reference backend.
 *
 * Built once per design (FNRT_HLS_PREC / FNRT_HLS_P / FNRT_HLS_MAX_PIX as -D, test-hls.cmake);
 * the design struct the host code gets is filled from the same values, as the backend fills
 * it from the sidecar.  Float: |err| <= 2e-5 + 2e-5|ref|.  Fixed point: against the
 * reference run on the inputs as the device holds them (host pack then unpack), within the
 * kernel's own rounding bound (half an output LSB, post_t roundings, leaky input rounding
 * through the weights); the error against the float reference is reported. */
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fnrt-hls-config.h"
#include "fnrt-hls-tb.h"

#include "backend/xrt/xrt-args.h"
#include "backend/xrt/xrt-layout.h"

using namespace fnrt_hls;
using namespace fnrt_tb;

typedef vec<wt_t, 512 / num<wt_t>::bits> wword;

extern "C" void fnrt_conv2d(hls::stream<act_axis> &x, const wword *w, const float *bias,
                            hls::stream<act_axis> &res, hls::stream<act_axis> &y, int ci, int h,
                            int wd, int co, int kh, int kw, int stride, int pad, int act_in,
                            int act_out, float alpha_in, float alpha_out, int tile_rows,
                            int has_bias, int has_res);
extern "C" void fnrt_deconv2d(hls::stream<act_axis> &x, const wword *w, const float *bias,
                              hls::stream<act_axis> &y, int ci, int h, int wd, int co, int k,
                              int stride, int pad, int act_in, int act_out, float alpha_in,
                              float alpha_out, int tile_rows, int has_bias);
extern "C" void fnrt_maxpool(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int c, int h,
                             int w, int k, int stride, int pad);
extern "C" void fnrt_upsample2x(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int c, int h,
                                int w, int align_corners);
extern "C" void fnrt_concat(hls::stream<act_axis> &a, hls::stream<act_axis> &b,
                            hls::stream<act_axis> &y, int ca, int cb, int stride_b, int n_pix);
extern "C" void fnrt_gray(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int n_pix);
extern "C" void fnrt_l2norm(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int n_pix,
                            int swizzle, float eps);
extern "C" void fnrt_add(hls::stream<act_axis> &a, hls::stream<act_axis> &b,
                         hls::stream<act_axis> &y, int c, int n_pix, int act, float alpha);
extern "C" void fnrt_maxmerge(hls::stream<act_axis> &x, hls::stream<act_axis> &skip,
                              hls::stream<act_axis> &y, int c, int k, int n_pix);
extern "C" void fnrt_global_avgpool(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int c,
                                    int h, int w);
extern "C" void fnrt_modulate(const vec<float, 16> *w, const act_t *s, wword *y, int co, int ci,
                              int k, float scale, float eps);
extern "C" void fnrt_mm2s(const act_t *src, hls::stream<act_axis> &out, int c, int h, int w,
                          int c_first, int c_step, int order, int tile_rows);
extern "C" void fnrt_s2mm(hls::stream<act_axis> &in, act_t *dst, int c, int h, int w, int c_base,
                          int order, int tile_rows);

static fnrt_xrt_design design()
{
    fnrt_xrt_design d;
    fnrt_xrt_design_default(&d);
    d.prec = (fnrt_xrt_prec)FNRT_HLS_PREC;
    d.p = FNRT_HLS_P;
    d.max_pix = FNRT_HLS_MAX_PIX;
    d.lb_words = FNRT_HLS_LB_WORDS;
    d.max_co = FNRT_HLS_MAX_CO;
    d.max_wc = FNRT_HLS_MAX_WC;
    d.max_w = FNRT_HLS_MAX_W;
    d.max_c = FNRT_HLS_MAX_C;
    return d;
}

/* Device bytes <-> the kernel's C types, as an m_axi port reads them: element i of a T
 * array at bytes [i*B/8, (i+1)*B/8), little-endian raw bits. */
template <class T> std::vector<T> from_bytes(const std::vector<unsigned char> &b)
{
    const int nb = num<T>::bits / 8;
    std::vector<T> v(b.size() / nb);
    for (size_t i = 0; i < v.size(); i++) {
        uint64_t u = 0;
        for (int k = 0; k < nb; k++)
            u |= (uint64_t)b[i * nb + k] << (8 * k);
        v[i] = num<T>::from_bits(u);
    }
    return v;
}

template <class T> std::vector<unsigned char> to_bytes(const std::vector<T> &v)
{
    const int nb = num<T>::bits / 8;
    std::vector<unsigned char> b(v.size() * nb);
    for (size_t i = 0; i < v.size(); i++) {
        uint64_t u = num<T>::to_bits(v[i]);
        for (int k = 0; k < nb; k++)
            b[i * nb + k] = (unsigned char)(u >> (8 * k));
    }
    return b;
}

struct dev_buf {
    fnrt_xrt_layout lay;
    std::vector<unsigned char> bytes;
};

/* What the backend uploads for op argument k holding canonical data x. */
static bool upload(const fnrt_op &op, int k, bool is_stream, const std::vector<float> &x,
                   dev_buf &out)
{
    const fnrt_xrt_design d = design();
    if (fnrt_xrt_layout_for_arg(&op, k, is_stream, &out.lay) != FNRT_OK)
        return check(std::string(op.name) + " layout of argument " + std::to_string(k), false,
                     fnrt_last_error());
    out.bytes.assign(fnrt_xrt_layout_bytes(&d, &out.lay), 0xa5);
    if (x.size() != out.lay.n_elems)
        return check(std::string(op.name) + " argument size", false);
    fnrt_xrt_layout_pack(&d, &out.lay, x.data(), out.bytes.data());
    return true;
}

static std::vector<float> download(const dev_buf &b)
{
    const fnrt_xrt_design d = design();
    std::vector<float> y(b.lay.n_elems);
    fnrt_xrt_layout_unpack(&d, &b.lay, b.bytes.data(), y.data());
    return y;
}

/* The inputs as the device holds them, back in float. */
static std::vector<float> device_view(const fnrt_op &op, int k, bool is_stream,
                                      const std::vector<float> &x)
{
    dev_buf b;
    if (!upload(op, k, is_stream, x, b))
        return x;
    return download(b);
}

static int op_scalar(const fnrt_op &op, const char *name, int has_bias = 0, int has_res = 0)
{
    const fnrt_xrt_design d = design();
    int iv;
    float fv;
    if (!fnrt_xrt_op_scalar(&op, &d, has_bias, has_res, name, &iv, &fv))
        check(std::string(op.name) + " has scalar " + name, false);
    return iv;
}

static float op_scalar_f(const fnrt_op &op, const char *name)
{
    const fnrt_xrt_design d = design();
    int iv;
    float fv;
    if (!fnrt_xrt_op_scalar(&op, &d, 0, 0, name, &iv, &fv))
        check(std::string(op.name) + " has scalar " + name, false);
    return fv;
}

/* fnrt_mm2s / fnrt_s2mm for a stream port, scalars as the backend sets them. */
static void glue_in(const fnrt_op &op, const char *port, const fnrt_shape &s, const dev_buf &b,
                    hls::stream<act_axis> &out)
{
    const fnrt_xrt_design d = design();
    int v[7];
    const char *names[7] = {"c", "h", "w", "c_first", "c_step", "order", "tile_rows"};
    for (int i = 0; i < 7; i++)
        if (!fnrt_xrt_glue_scalar(&op, &d, 1, port, &s, names[i], &v[i]))
            check(std::string("mm2s scalar ") + names[i], false);
    std::vector<act_t> mem = from_bytes<act_t>(b.bytes);
    fnrt_mm2s(mem.data(), out, v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
}

static void glue_out(const fnrt_op &op, const char *port, hls::stream<act_axis> &in, dev_buf &b)
{
    const fnrt_xrt_design d = design();
    int v[6];
    const char *names[6] = {"c", "h", "w", "c_base", "order", "tile_rows"};
    for (int i = 0; i < 6; i++)
        if (!fnrt_xrt_glue_scalar(&op, &d, 0, port, &op.out_shape, names[i], &v[i]))
            check(std::string("s2mm scalar ") + names[i], false);
    std::vector<act_t> mem = from_bytes<act_t>(b.bytes);
    fnrt_s2mm(in, mem.data(), v[0], v[1], v[2], v[3], v[4], v[5]);
    b.bytes = to_bytes(mem);
}

static fnrt_op conv_op(const char *name, int transposed, int ci, int h, int w, int co, int k,
                       int s, int pad, fnrt_act act_in, fnrt_act act_out, bool res)
{
    fnrt_op op = op_init(transposed ? FNRT_OP_DECONV2D : FNRT_OP_CONV2D, name, transposed ? 3 : 4);
    int ho = transposed ? (h - 1) * s - 2 * pad + k : (h + 2 * pad - k) / s + 1;
    int wo = transposed ? (w - 1) * s - 2 * pad + k : (w + 2 * pad - k) / s + 1;
    op.in_shape[0] = shape(3, ci, h, w);
    op.in_shape[1] = transposed ? shape(4, ci, co, k, k) : shape(4, co, ci, k, k);
    op.in_shape[2] = shape(1, co);
    if (!transposed)
        op.in_shape[3] = res ? shape(3, co, ho, wo) : shape(0, 0);
    op.out_shape = shape(3, co, ho, wo);
    op.p.conv.kh = op.p.conv.kw = k;
    op.p.conv.stride = s;
    op.p.conv.pad = pad;
    op.p.conv.act_in = act_in;
    op.p.conv.act_out = act_out;
    op.p.conv.alpha_in = 0.2f;
    op.p.conv.alpha_out = 0.1f;
    return op;
}

static void compare(const fnrt_op &op, const std::vector<float> &y, const std::vector<float> &ref,
                    const std::vector<float> &ref_q, double fixed_bound)
{
    std::string name = std::string(op.name) + " [" +
                       fnrt_xrt_prec_str((fnrt_xrt_prec)FNRT_HLS_PREC) + ", P=" +
                       std::to_string(FNRT_HLS_P) + "]";
    if (FNRT_HLS_PREC == 0) {
        check_close(name + " host pack -> kernels -> host unpack vs reference", y, ref, 2e-5, 2e-5);
    } else {
        check_close(name + " host pack -> kernels -> host unpack vs reference on device inputs",
                    y, ref_q, fixed_bound, 0.0);
        err e = fnrt_tb::compare(y, ref);
        std::printf("INFO %s vs float reference: max |err| %.4g, mean %.4g (the precision's "
                    "cost)\n", name.c_str(), e.max_abs, e.mean_abs);
    }
}

/* Kernel rounding bound on top of the reference on quantised inputs (as tb-conv2d.cpp). */
static double conv_bound(const fnrt_op &op, const std::vector<float> &wq)
{
    double lsb_a = std::ldexp(1.0, -num<act_t>::frac);
    double lsb_p = std::ldexp(1.0, -num<prec::post_t>::frac);
    double wmax = 0.0;
    for (float v : wq)
        wmax = std::fmax(wmax, std::fabs(v));
    double bound = 0.5 * lsb_a + 4 * lsb_p + 1e-5;
    int k = op.p.conv.kh, s = op.p.conv.stride, ci = (int)op.in_shape[0].dims[0];
    int fan_in = op.type == FNRT_OP_DECONV2D ? ci * (k / s) * (k / s) : ci * k * k;
    if (op.p.conv.act_in == FNRT_ACT_LEAKY)
        bound += fan_in * wmax * 0.5 * lsb_a;
    return bound;
}

static void run_conv(const fnrt_op &op, bool has_bias, uint64_t seed, int want_bands_min)
{
    const fnrt_xrt_design d = design();
    const int tp = op.type == FNRT_OP_DECONV2D;
    const bool has_res = !tp && op.in_shape[3].ndim > 0;
    rng r(seed);
    std::vector<float> x(fnrt_shape_elems(&op.in_shape[0])), w(fnrt_shape_elems(&op.in_shape[1])),
        b(fnrt_shape_elems(&op.in_shape[2])), res(fnrt_shape_elems(&op.out_shape));
    r.fill(x, -1.5f, 1.5f);
    int k = op.p.conv.kh, s = op.p.conv.stride, ci = (int)op.in_shape[0].dims[0];
    int fan_in = tp ? ci * (k / s) * (k / s) : ci * k * k;
    float ws = 1.5f / std::sqrt((float)fan_in);
    r.fill(w, -ws, ws);
    r.fill(b, -0.3f, 0.3f);
    r.fill(res, -1.0f, 1.0f);

    std::string name = op.name;
    if (!check(name + " fits the design", fnrt_xrt_op_fits(&op, &d) == FNRT_OK,
               fnrt_last_error()))
        return;
    int n_bands = fnrt_xrt_n_bands(&op, &d);
    check(name + " runs in bands", n_bands >= want_bands_min,
          "tile_rows " + std::to_string(op_scalar(op, "tile_rows")) + ", " +
              std::to_string(n_bands) + " bands");

    /* the backend's uploads: x and res streams, w and bias memory */
    dev_buf xb, wb, bb, rb, yb;
    if (!upload(op, 0, true, x, xb) || !upload(op, 1, false, w, wb) || !upload(op, 2, false, b, bb))
        return;
    if (has_res && !upload(op, 3, true, res, rb))
        return;
    yb.lay = fnrt_xrt_layout();
    if (fnrt_xrt_layout_for_arg(&op, op.n_in, true, &yb.lay) != FNRT_OK)
        return;
    yb.bytes.assign(fnrt_xrt_layout_bytes(&d, &yb.lay), 0x5a);

    std::vector<wword> wmem;
    {
        std::vector<wt_t> flat = from_bytes<wt_t>(wb.bytes);
        const int WV = 512 / num<wt_t>::bits;
        if (!check(name + " packed weights are whole 512-bit words", flat.size() % WV == 0))
            return;
        wmem.resize(flat.size() / WV);
        for (size_t i = 0; i < flat.size(); i++)
            wmem[i / WV].v[i % WV] = flat[i];
    }
    std::vector<float> bias(bb.lay.n_elems);
    std::memcpy(bias.data(), bb.bytes.data(), bias.size() * sizeof(float));

    hls::stream<act_axis> xa("x"), ra("res"), ya("y");
    glue_in(op, "x", op.in_shape[0], xb, xa);
    if (has_res)
        glue_in(op, "res", op.out_shape, rb, ra);
    if (!tp)
        fnrt_conv2d(xa, wmem.data(), bias.data(), ra, ya, op_scalar(op, "ci"), op_scalar(op, "h"),
                    op_scalar(op, "wd"), op_scalar(op, "co"), op_scalar(op, "kh"),
                    op_scalar(op, "kw"), op_scalar(op, "stride"), op_scalar(op, "pad"),
                    op_scalar(op, "act_in"), op_scalar(op, "act_out"),
                    op_scalar_f(op, "alpha_in"), op_scalar_f(op, "alpha_out"),
                    op_scalar(op, "tile_rows"), op_scalar(op, "has_bias", has_bias, has_res),
                    op_scalar(op, "has_res", has_bias, has_res));
    else
        fnrt_deconv2d(xa, wmem.data(), bias.data(), ya, op_scalar(op, "ci"), op_scalar(op, "h"),
                      op_scalar(op, "wd"), op_scalar(op, "co"), op_scalar(op, "k"),
                      op_scalar(op, "stride"), op_scalar(op, "pad"), op_scalar(op, "act_in"),
                      op_scalar(op, "act_out"), op_scalar_f(op, "alpha_in"),
                      op_scalar_f(op, "alpha_out"), op_scalar(op, "tile_rows"),
                      op_scalar(op, "has_bias", has_bias, 0));
    check(name + " kernel consumed its input streams and produced its output",
          xa.empty() && ra.empty() && !ya.empty());
    glue_out(op, "y", ya, yb);
    check(name + " s2mm drained the output stream", ya.empty());
    std::vector<float> y = download(yb);

    std::vector<float> ref, ref_q;
    std::vector<float> xq = device_view(op, 0, true, x), wq = device_view(op, 1, false, w);
    std::vector<float> rq = has_res ? device_view(op, 3, true, res) : res;
    std::vector<const std::vector<float> *> ins = {&x, &w, has_bias ? &b : NULL,
                                                   has_res ? &res : NULL};
    std::vector<const std::vector<float> *> insq = {&xq, &wq, has_bias ? &b : NULL,
                                                    has_res ? &rq : NULL};
    ins.resize(op.n_in);
    insq.resize(op.n_in);
    if (!ref_run(op, ins, ref) || !ref_run(op, insq, ref_q)) {
        check(name + " reference", false);
        return;
    }
    compare(op, y, ref, ref_q, conv_bound(op, wq));
}

static void run_pool_up(const fnrt_op &op, uint64_t seed)
{
    rng r(seed);
    std::vector<float> x(fnrt_shape_elems(&op.in_shape[0]));
    r.fill(x, -3.0f, 3.0f);
    const fnrt_xrt_design d = design();
    std::string name = op.name;
    if (!check(name + " fits the design", fnrt_xrt_op_fits(&op, &d) == FNRT_OK,
               fnrt_last_error()))
        return;
    dev_buf xb, yb;
    if (!upload(op, 0, true, x, xb))
        return;
    if (fnrt_xrt_layout_for_arg(&op, op.n_in, true, &yb.lay) != FNRT_OK)
        return;
    yb.bytes.assign(fnrt_xrt_layout_bytes(&d, &yb.lay), 0x5a);
    hls::stream<act_axis> xa("x"), ya("y");
    glue_in(op, "x", op.in_shape[0], xb, xa);
    if (op.type == FNRT_OP_MAXPOOL)
        fnrt_maxpool(xa, ya, op_scalar(op, "c"), op_scalar(op, "h"), op_scalar(op, "w"),
                     op_scalar(op, "k"), op_scalar(op, "stride"), op_scalar(op, "pad"));
    else
        fnrt_upsample2x(xa, ya, op_scalar(op, "c"), op_scalar(op, "h"), op_scalar(op, "w"),
                        op_scalar(op, "align_corners"));
    check(name + " kernel consumed its input and produced its output", xa.empty() && !ya.empty());
    glue_out(op, "y", ya, yb);
    check(name + " s2mm drained the output stream", ya.empty());
    std::vector<float> y = download(yb);
    std::vector<float> ref, ref_q, xq = device_view(op, 0, true, x);
    if (!ref_run(op, {&x}, ref) || !ref_run(op, {&xq}, ref_q)) {
        check(name + " reference", false);
        return;
    }
    /* max-pool moves values; upsampling rounds once into act_t after post_t arithmetic */
    double lsb_a = FNRT_HLS_PREC ? std::ldexp(1.0, -num<act_t>::frac) : 0.0;
    double lsb_p = FNRT_HLS_PREC ? std::ldexp(1.0, -num<prec::post_t>::frac) : 0.0;
    double bound = op.type == FNRT_OP_MAXPOOL ? 1e-6 : 0.5 * lsb_a + 8 * lsb_p + 1e-5;
    compare(op, y, ref, ref_q, bound);
}

/* The per-pixel and merge kernels (all stream ports): one or two inputs through fnrt_mm2s,
 * the output through fnrt_s2mm.  lsbs: the kernel's own rounding in output LSBs. */
static void run_stream_op(const fnrt_op &op, uint64_t seed, double lsbs)
{
    const fnrt_xrt_design d = design();
    std::string name = op.name;
    if (!check(name + " fits the design", fnrt_xrt_op_fits(&op, &d) == FNRT_OK, fnrt_last_error()))
        return;
    rng r(seed);
    std::vector<std::vector<float> > in(op.n_in), inq(op.n_in);
    std::vector<dev_buf> ib(op.n_in);
    const char *p0 = op.type == FNRT_OP_ADD || op.type == FNRT_OP_CONCAT ? "a" : "x";
    const char *p1 = op.type == FNRT_OP_MAXMERGE ? "skip" : "b";
    hls::stream<act_axis> a0("in0"), a1("in1"), ya("y");
    for (int k = 0; k < op.n_in; k++) {
        in[k].resize(fnrt_shape_elems(&op.in_shape[k]));
        r.fill(in[k], -2.0f, 2.0f);
        if (!upload(op, k, true, in[k], ib[k]))
            return;
        inq[k] = download(ib[k]);
        glue_in(op, k ? p1 : p0, op.in_shape[k], ib[k], k ? a1 : a0);
    }
    dev_buf yb;
    if (fnrt_xrt_layout_for_arg(&op, op.n_in, true, &yb.lay) != FNRT_OK)
        return;
    yb.bytes.assign(fnrt_xrt_layout_bytes(&d, &yb.lay), 0x5a);
    switch (op.type) {
    case FNRT_OP_CONCAT:
        fnrt_concat(a0, a1, ya, op_scalar(op, "ca"), op_scalar(op, "cb"), op_scalar(op, "stride_b"),
                    op_scalar(op, "n_pix"));
        break;
    case FNRT_OP_GRAY:
        fnrt_gray(a0, ya, op_scalar(op, "n_pix"));
        break;
    case FNRT_OP_L2NORM:
        fnrt_l2norm(a0, ya, op_scalar(op, "n_pix"), op_scalar(op, "swizzle"), op_scalar_f(op, "eps"));
        break;
    case FNRT_OP_ADD:
        fnrt_add(a0, a1, ya, op_scalar(op, "c"), op_scalar(op, "n_pix"), op_scalar(op, "act"),
                 op_scalar_f(op, "alpha"));
        break;
    case FNRT_OP_MAXMERGE:
        fnrt_maxmerge(a0, a1, ya, op_scalar(op, "c"), op_scalar(op, "k"), op_scalar(op, "n_pix"));
        break;
    case FNRT_OP_GLOBAL_AVGPOOL:
        fnrt_global_avgpool(a0, ya, op_scalar(op, "c"), op_scalar(op, "h"), op_scalar(op, "w"));
        break;
    default:
        check(name + " is a stream op of this test", false);
        return;
    }
    check(name + " kernel consumed its inputs and produced its output",
          a0.empty() && a1.empty() && !ya.empty());
    glue_out(op, "y", ya, yb);
    check(name + " s2mm drained the output stream", ya.empty());
    std::vector<float> y = download(yb), ref, ref_q;
    std::vector<const std::vector<float> *> ins, insq;
    for (int k = 0; k < op.n_in; k++) {
        ins.push_back(&in[k]);
        insq.push_back(&inq[k]);
    }
    if (!ref_run(op, ins, ref) || !ref_run(op, insq, ref_q)) {
        check(name + " reference", false);
        return;
    }
    double lsb_a = FNRT_HLS_PREC ? std::ldexp(1.0, -num<act_t>::frac) : 0.0;
    compare(op, y, ref, ref_q, lsbs * lsb_a + 1e-6);
}

/* Modulate: raw weight packed as float steps (WT_F32), style as act_t, output packed wt_t
 * steps (WT) that the next fnrt_conv2d reads; unpacked by the host and compared. */
static void run_modulate(uint64_t seed)
{
    const fnrt_xrt_design d = design();
    fnrt_op op = op_init(FNRT_OP_MODULATE, "modulate3x3", 2);
    const int co = 10, ci = 7, k = 3;
    op.in_shape[0] = shape(4, co, ci, k, k);
    op.in_shape[1] = shape(3, ci, 1, 1);
    op.out_shape = shape(4, co, ci, k, k);
    op.p.mod.scale = 1.0f / std::sqrt((float)(ci * k * k));
    op.p.mod.eps = 1e-8f;
    rng r(seed);
    std::vector<float> w(fnrt_shape_elems(&op.in_shape[0])), st(ci);
    r.fill(w, -1.0f, 1.0f);
    r.fill(st, 0.2f, 1.8f);
    std::string name = op.name;
    if (!check(name + " fits the design", fnrt_xrt_op_fits(&op, &d) == FNRT_OK, fnrt_last_error()))
        return;
    dev_buf wb, sb, yb;
    if (!upload(op, 0, false, w, wb) || !upload(op, 1, false, st, sb))
        return;
    if (!check(name + " weight in as float steps, style as act_t, out as packed weight",
               wb.lay.kind == FNRT_XRT_LAYOUT_WT_F32 && sb.lay.kind == FNRT_XRT_LAYOUT_ACT &&
                   fnrt_xrt_layout_for_arg(&op, 2, false, &yb.lay) == FNRT_OK &&
                   yb.lay.kind == FNRT_XRT_LAYOUT_WT))
        return;
    yb.bytes.assign(fnrt_xrt_layout_bytes(&d, &yb.lay), 0x5a);
    std::vector<float> wf = from_bytes<float>(wb.bytes);
    std::vector<vec<float, 16> > wmem(wf.size() / 16);
    for (size_t i = 0; i < wf.size(); i++)
        wmem[i / 16].v[i % 16] = wf[i];
    std::vector<act_t> smem = from_bytes<act_t>(sb.bytes);
    const int WV = 512 / num<wt_t>::bits;
    std::vector<wword> ymem(yb.bytes.size() / (WV * num<wt_t>::bits / 8));
    fnrt_modulate(wmem.data(), smem.data(), ymem.data(), op_scalar(op, "co"), op_scalar(op, "ci"),
                  op_scalar(op, "k"), op_scalar_f(op, "scale"), op_scalar_f(op, "eps"));
    std::vector<wt_t> flat(ymem.size() * WV);
    for (size_t i = 0; i < flat.size(); i++)
        flat[i] = ymem[i / WV].v[i % WV];
    yb.bytes = to_bytes(flat);
    std::vector<float> y = download(yb), ref, ref_q, sq = device_view(op, 1, false, st);
    if (!ref_run(op, {&w, &st}, ref) || !ref_run(op, {&w, &sq}, ref_q)) {
        check(name + " reference", false);
        return;
    }
    /* float arithmetic in every build, one rounding into wt_t at the end */
    double bound = FNRT_HLS_PREC ? 0.5 * std::ldexp(1.0, -num<wt_t>::frac) + 1e-6 : 0.0;
    compare(op, y, ref, ref_q, bound);
}

/* The host's quantisation is ap_fixed's: same codes as the kernels' types for a sweep of
 * values (ties, saturation, NaN). */
static void check_quant()
{
    if (FNRT_HLS_PREC == 0)
        return;
    int bad = 0;
    for (int i = -40000; i <= 40000 && bad < 5; i++) {
        float x = (float)i * 0.00137f;
        if (i % 1000 == 0)
            x = (float)i / 256.0f; /* exact ties for 8-bit codes */
        uint64_t ka = num<act_t>::to_bits(num<act_t>::from_float(x));
        uint64_t kw = num<wt_t>::to_bits(num<wt_t>::from_float(x));
        uint32_t ha = (uint32_t)fnrt_xrt_quant(x, num<act_t>::bits, num<act_t>::frac);
        uint32_t hw = (uint32_t)fnrt_xrt_quant(x, num<wt_t>::bits, num<wt_t>::frac);
        uint64_t ma = (num<act_t>::bits == 64) ? ~0ull : ((1ull << num<act_t>::bits) - 1);
        uint64_t mw = (1ull << num<wt_t>::bits) - 1;
        if ((ka & ma) != (ha & ma) || (kw & mw) != (hw & mw)) {
            std::printf("  x = %.9g: act code kernel %llx host %llx, weight code kernel %llx "
                        "host %llx\n", x, (unsigned long long)(ka & ma),
                        (unsigned long long)(ha & ma), (unsigned long long)(kw & mw),
                        (unsigned long long)(hw & mw));
            bad++;
        }
    }
    check("host quantisation gives the kernels' ap_fixed codes (AP_RND, AP_SAT)", bad == 0);
    check("host quantisation of NaN is 0", fnrt_xrt_quant(NAN, 8, 4) == 0);
    check("host act/weight formats are the kernels' types",
          fnrt_xrt_act_bits((fnrt_xrt_prec)FNRT_HLS_PREC) == num<act_t>::bits &&
              fnrt_xrt_act_frac((fnrt_xrt_prec)FNRT_HLS_PREC) == num<act_t>::frac &&
              fnrt_xrt_wt_bits((fnrt_xrt_prec)FNRT_HLS_PREC) == num<wt_t>::bits &&
              fnrt_xrt_wt_frac((fnrt_xrt_prec)FNRT_HLS_PREC) == num<wt_t>::frac);
}

int main()
{
    check_quant();
    /* conv: channel counts off the lane multiple, several bands (FNRT_HLS_MAX_PIX is small
     * in these builds), leaky input, residual (band order), bias */
    run_conv(conv_op("conv3x3_res", 0, 5, 9, 7, 11, 3, 1, 1, FNRT_ACT_LEAKY, FNRT_ACT_RELU, true),
             true, 1, 3);
    run_conv(conv_op("conv4x4_s2", 0, 10, 12, 10, 6, 4, 2, 1, FNRT_ACT_RELU, FNRT_ACT_TANH, false),
             false, 2, 2);
    run_conv(conv_op("conv1x1", 0, 12, 6, 5, 3, 1, 1, 0, FNRT_ACT_NONE, FNRT_ACT_NONE, true),
             true, 3, 2);
    run_conv(conv_op("deconv4x4_s2", 1, 6, 5, 4, 9, 4, 2, 1, FNRT_ACT_LEAKY, FNRT_ACT_NONE, false),
             true, 4, 2);

    fnrt_op mp = op_init(FNRT_OP_MAXPOOL, "maxpool3_s2", 1);
    mp.in_shape[0] = shape(3, 10, 9, 8);
    mp.out_shape = shape(3, 10, 5, 4);
    mp.p.pool.k = 3;
    mp.p.pool.stride = 2;
    mp.p.pool.pad = 1;
    run_pool_up(mp, 5);
    for (int ac = 0; ac <= 1; ac++) {
        fnrt_op up = op_init(FNRT_OP_UPSAMPLE2X, ac ? "upsample2x_ac" : "upsample2x", 1);
        up.in_shape[0] = shape(3, 9, 4, 5);
        up.out_shape = shape(3, 9, 8, 10);
        up.p.up.align_corners = ac;
        run_pool_up(up, 6 + ac);
    }
    run_modulate(8);

    fnrt_op cat = op_init(FNRT_OP_CONCAT, "concat_stride4", 2);
    cat.in_shape[0] = shape(3, 5, 3, 4);
    cat.in_shape[1] = shape(3, 10, 3, 4);
    cat.out_shape = shape(3, 8, 3, 4);
    cat.p.cat.stride_b = 4;
    run_stream_op(cat, 9, 0.0);
    fnrt_op gray = op_init(FNRT_OP_GRAY, "gray", 1);
    gray.in_shape[0] = shape(3, 3, 4, 5);
    gray.out_shape = shape(3, 1, 4, 5);
    run_stream_op(gray, 10, 1.0);
    fnrt_op l2 = op_init(FNRT_OP_L2NORM, "l2norm_swizzle", 1);
    l2.in_shape[0] = l2.out_shape = shape(3, 3, 4, 5);
    l2.p.l2.swizzle = 1;
    l2.p.l2.eps = 1e-6f;
    run_stream_op(l2, 11, 0.5);
    fnrt_op add = op_init(FNRT_OP_ADD, "add_leaky", 2);
    add.in_shape[0] = add.in_shape[1] = add.out_shape = shape(3, 11, 3, 4);
    add.p.add.act = FNRT_ACT_LEAKY;
    add.p.add.alpha = 0.1f;
    run_stream_op(add, 12, 1.0);
    fnrt_op mm = op_init(FNRT_OP_MAXMERGE, "maxmerge", 2);
    mm.in_shape[0] = mm.out_shape = shape(3, 12, 3, 4);
    mm.in_shape[1] = shape(3, 7, 3, 4);
    mm.p.merge.k = 5;
    run_stream_op(mm, 13, 0.0);
    fnrt_op gap = op_init(FNRT_OP_GLOBAL_AVGPOOL, "global_avgpool", 1);
    gap.in_shape[0] = shape(3, 10, 5, 6);
    gap.out_shape = shape(3, 10, 1, 1);
    run_stream_op(gap, 14, 1.0);
    return finish("test_xrt_layout");
}
