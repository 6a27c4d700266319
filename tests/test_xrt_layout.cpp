/* The XRT backend's host-side data layout against the HLS kernels in C-simulation, without
 * hardware: for an op of every type the XRT backend runs -- conv (bands, residual, padding
 * channels), deconv, max-pool, bilinear upsampling, weight modulation (float-step input,
 * packed-weight output), concat, gray, l2norm, add, max-merge, global average pool -- the
 * host code of host/src/backend/xrt packs every input the way the backend uploads it
 * (xrt-layout.c: blocked P-lane activations, packed and quantised weights, float bias), the
 * kernels' Vitis top functions run on exactly those bytes (fnrt_mm2s -> fnrt_<op> ->
 * fnrt_s2mm over their AXI4-Stream ports, every scalar argument from xrt-args.c as the
 * backend sets it, tile_rows included), the host code unpacks the output bytes, and the
 * result is compared with the plain-C reference backend.
 *
 * Built once per design (FNRT_HLS_PREC / FNRT_HLS_P / FNRT_HLS_MAX_PIX as -D, test-hls.cmake);
 * the design struct the host code gets is filled from the same values, as the backend fills
 * it from the sidecar.  The network builds (FNRT_TEST_NETWORK, default buffers) run the tiny
 * FNR2R and cross-modal networks op by op the same way, activations staying in their device
 * layout between ops, and compare the normals in degrees.
 * Float: |err| <= 2e-5 + 2e-5|ref|.  Fixed point: against the reference run on the inputs as
 * the device holds them (host pack then unpack), within the kernel's own rounding bound (half
 * an output LSB, post_t roundings, leaky input rounding through the weights); the error
 * against the float reference is reported. */
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fnrt-hls-config.h"
#include "fnrt-hls-tb.h"

#include "backend/xrt/xrt-args.h"
#include "backend/xrt/xrt-kernels.h"
#include "backend/xrt/xrt-layout.h"
extern "C" { /* plain C headers without C++ guards */
#include "core/model.h"
#include "io/image.h"
}

using namespace fnrt_hls;
using namespace fnrt_tb;

#ifndef FNRT_TEST_NETWORK
#define FNRT_TEST_NETWORK 0 /* 1: whole networks instead of single ops */
#endif

#include "test-hls-tops.h"

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

/* The op on the "device": the kernel's top function and its glue, on device bytes.
 * args[k] (k <= n_in, as the backend's buffer arguments; NULL = absent optional input) hold
 * their layout's bytes; the output's bytes are overwritten.  The kernel table
 * (xrt-kernels.c) says which arguments are streams, as in the backend. */
static bool device_run(const fnrt_op &op, const std::vector<dev_buf *> &args)
{
    const fnrt_xrt_kernel_desc *k = fnrt_xrt_kernel_for_op(op.type);
    std::string name = op.name;
    if (!check(name + " has a kernel", k != NULL))
        return false;
    const int n_buf = op.n_in + 1;
    std::vector<hls::stream<act_axis> > st(n_buf);
    std::vector<bool> is_stream(n_buf, false);
    std::vector<const char *> port(n_buf, "");
    int bi = 0;
    for (int a = 0; a < k->n_args; a++) {
        fnrt_xrt_arg_kind kind = k->args[a].kind;
        if (kind > FNRT_XRT_ARG_STREAM_OUT)
            continue;
        is_stream[bi] = kind != FNRT_XRT_ARG_MEM;
        port[bi] = k->args[a].name;
        if (kind == FNRT_XRT_ARG_STREAM_IN && args[bi])
            glue_in(op, port[bi], op.in_shape[bi], *args[bi], st[bi]);
        bi++;
    }
    if (!check(name + " buffer arguments", bi == n_buf))
        return false;
    const int has_bias = op.n_in > 2 && args[2], has_res = op.n_in > 3 && args[3];
    const int WV = 512 / num<wt_t>::bits;
    std::vector<float> dummy(16, 0.0f); /* the backend's buffer for an absent bias */
    hls::stream<act_axis> &y = st[op.n_in];
#define S(n) op_scalar(op, n, has_bias, has_res)
#define F(n) op_scalar_f(op, n)
    switch (op.type) {
    case FNRT_OP_CONV2D:
    case FNRT_OP_DECONV2D: {
        std::vector<wt_t> flat = from_bytes<wt_t>(args[1]->bytes);
        std::vector<wword> w(flat.size() / WV);
        for (size_t i = 0; i < flat.size(); i++)
            w[i / WV].v[i % WV] = flat[i];
        std::vector<float> bias = has_bias ? from_bytes<float>(args[2]->bytes) : dummy;
        if (op.type == FNRT_OP_CONV2D)
            fnrt_conv2d(st[0], w.data(), bias.data(), st[3], y, S("ci"), S("h"), S("wd"), S("co"),
                        S("kh"), S("kw"), S("stride"), S("pad"), S("act_in"), S("act_out"),
                        F("alpha_in"), F("alpha_out"), S("tile_rows"), S("has_bias"),
                        S("has_res"));
        else
            fnrt_deconv2d(st[0], w.data(), bias.data(), y, S("ci"), S("h"), S("wd"), S("co"),
                          S("k"), S("stride"), S("pad"), S("act_in"), S("act_out"),
                          F("alpha_in"), F("alpha_out"), S("tile_rows"), S("has_bias"));
        break;
    }
    case FNRT_OP_MAXPOOL:
        fnrt_maxpool(st[0], y, S("c"), S("h"), S("w"), S("k"), S("stride"), S("pad"));
        break;
    case FNRT_OP_UPSAMPLE2X:
        fnrt_upsample2x(st[0], y, S("c"), S("h"), S("w"), S("align_corners"));
        break;
    case FNRT_OP_CONCAT:
        fnrt_concat(st[0], st[1], y, S("ca"), S("cb"), S("stride_b"), S("n_pix"));
        break;
    case FNRT_OP_GLOBAL_AVGPOOL:
        fnrt_global_avgpool(st[0], y, S("c"), S("h"), S("w"));
        break;
    case FNRT_OP_GRAY:
        fnrt_gray(st[0], y, S("n_pix"));
        break;
    case FNRT_OP_L2NORM:
        fnrt_l2norm(st[0], y, S("n_pix"), S("swizzle"), F("eps"));
        break;
    case FNRT_OP_ADD:
        fnrt_add(st[0], st[1], y, S("c"), S("n_pix"), S("act"), F("alpha"));
        break;
    case FNRT_OP_MAXMERGE:
        fnrt_maxmerge(st[0], st[1], y, S("c"), S("k"), S("n_pix"));
        break;
    case FNRT_OP_MODULATE: {
        std::vector<float> wf = from_bytes<float>(args[0]->bytes);
        std::vector<vec<float, 16> > w(wf.size() / 16);
        for (size_t i = 0; i < wf.size(); i++)
            w[i / 16].v[i % 16] = wf[i];
        std::vector<act_t> sv = from_bytes<act_t>(args[1]->bytes);
        std::vector<wword> out(args[2]->bytes.size() / (WV * num<wt_t>::bits / 8));
        fnrt_modulate(w.data(), sv.data(), out.data(), S("co"), S("ci"), S("k"), F("scale"),
                      F("eps"));
        std::vector<wt_t> flat(out.size() * WV);
        for (size_t i = 0; i < flat.size(); i++)
            flat[i] = out[i / WV].v[i % WV];
        args[2]->bytes = to_bytes(flat);
        break;
    }
    default:
        return check(name + " op type known to the test", false);
    }
#undef S
#undef F
    bool ok = true;
    for (int b = 0; b < op.n_in; b++)
        ok = ok && st[b].empty();
    if (!is_stream[op.n_in])
        return check(name + " kernel consumed its input streams", ok);
    ok = check(name + " kernel consumed its input streams and produced its output",
               ok && !y.empty());
    glue_out(op, port[op.n_in], y, *args[op.n_in]);
    return check(name + " s2mm drained the output stream", y.empty()) && ok;
}

/* Output buffer of the op in its device layout (filled with junk: every byte is written). */
static dev_buf device_out(const fnrt_op &op)
{
    const fnrt_xrt_design d = design();
    const fnrt_xrt_kernel_desc *k = fnrt_xrt_kernel_for_op(op.type);
    bool is_stream = true;
    for (int a = 0, bi = 0; k && a < k->n_args; a++)
        if (k->args[a].kind <= FNRT_XRT_ARG_STREAM_OUT && bi++ == op.n_in)
            is_stream = k->args[a].kind != FNRT_XRT_ARG_MEM;
    dev_buf y;
    if (fnrt_xrt_layout_for_arg(&op, op.n_in, is_stream, &y.lay) == FNRT_OK)
        y.bytes.assign(fnrt_xrt_layout_bytes(&d, &y.lay), 0x5a);
    return y;
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

/* One op: the inputs uploaded as the backend does, run on the "device", the output
 * unpacked, compared with the reference (float) and the reference on the inputs as the
 * device holds them (fixed point; bound: the kernel's own roundings). */
static void run_case(const fnrt_op &op, const std::vector<std::vector<float> > &in,
                     double fixed_bound)
{
    const fnrt_xrt_design d = design();
    std::string name = op.name;
    if (!check(name + " fits the design", fnrt_xrt_op_fits(&op, &d) == FNRT_OK,
               fnrt_last_error()))
        return;
    const fnrt_xrt_kernel_desc *k = fnrt_xrt_kernel_for_op(op.type);
    std::vector<dev_buf> bufs(op.n_in + 1);
    std::vector<dev_buf *> args(op.n_in + 1, (dev_buf *)NULL);
    std::vector<std::vector<float> > inq(op.n_in);
    std::vector<const std::vector<float> *> ins(op.n_in, NULL), insq(op.n_in, NULL);
    for (int a = 0, bi = 0; a < k->n_args; a++) {
        if (k->args[a].kind > FNRT_XRT_ARG_STREAM_OUT || bi == op.n_in)
            continue;
        int i = bi++;
        if (in[i].empty())
            continue;
        if (!upload(op, i, k->args[a].kind != FNRT_XRT_ARG_MEM, in[i], bufs[i]))
            return;
        args[i] = &bufs[i];
        /* bias stays float; everything else as the device holds it */
        inq[i] = download(bufs[i]);
        ins[i] = &in[i];
        insq[i] = &inq[i];
    }
    bufs[op.n_in] = device_out(op);
    args[op.n_in] = &bufs[op.n_in];
    if (!device_run(op, args))
        return;
    std::vector<float> y = download(bufs[op.n_in]), ref, ref_q;
    if (!ref_run(op, ins, ref) || !ref_run(op, insq, ref_q)) {
        check(name + " reference", false);
        return;
    }
    compare(op, y, ref, ref_q, fixed_bound);
}

static void run_conv(const fnrt_op &op, bool has_bias, uint64_t seed, int want_bands_min)
{
    const fnrt_xrt_design d = design();
    const int tp = op.type == FNRT_OP_DECONV2D;
    const bool has_res = !tp && op.in_shape[3].ndim > 0;
    rng r(seed);
    std::vector<std::vector<float> > in(op.n_in);
    in[0].resize(fnrt_shape_elems(&op.in_shape[0]));
    in[1].resize(fnrt_shape_elems(&op.in_shape[1]));
    r.fill(in[0], -1.5f, 1.5f);
    int k = op.p.conv.kh, s = op.p.conv.stride, ci = (int)op.in_shape[0].dims[0];
    int fan_in = tp ? ci * (k / s) * (k / s) : ci * k * k;
    float ws = 1.5f / std::sqrt((float)fan_in);
    r.fill(in[1], -ws, ws);
    if (has_bias) {
        in[2].resize(fnrt_shape_elems(&op.in_shape[2]));
        r.fill(in[2], -0.3f, 0.3f);
    }
    if (has_res) {
        in[3].resize(fnrt_shape_elems(&op.out_shape));
        r.fill(in[3], -1.0f, 1.0f);
    }
    int n_bands = fnrt_xrt_n_bands(&op, &d);
    check(std::string(op.name) + " runs in bands", n_bands >= want_bands_min,
          "tile_rows " + std::to_string(op_scalar(op, "tile_rows")) + ", " +
              std::to_string(n_bands) + " bands");
    run_case(op, in, conv_bound(op, device_view(op, 1, false, in[1])));
}

static void run_pool_up(const fnrt_op &op, uint64_t seed)
{
    rng r(seed);
    std::vector<std::vector<float> > in(1, std::vector<float>(fnrt_shape_elems(&op.in_shape[0])));
    r.fill(in[0], -3.0f, 3.0f);
    /* max-pool moves values; upsampling rounds once into act_t after post_t arithmetic */
    double lsb_a = FNRT_HLS_PREC ? std::ldexp(1.0, -num<act_t>::frac) : 0.0;
    double lsb_p = FNRT_HLS_PREC ? std::ldexp(1.0, -num<prec::post_t>::frac) : 0.0;
    run_case(op, in, op.type == FNRT_OP_MAXPOOL ? 1e-6 : 0.5 * lsb_a + 8 * lsb_p + 1e-5);
}

/* The per-pixel and merge kernels; lsbs: the kernel's own rounding in output LSBs. */
static void run_stream_op(const fnrt_op &op, uint64_t seed, double lsbs)
{
    rng r(seed);
    std::vector<std::vector<float> > in(op.n_in);
    for (int k = 0; k < op.n_in; k++) {
        in[k].resize(fnrt_shape_elems(&op.in_shape[k]));
        r.fill(in[k], -2.0f, 2.0f);
    }
    double lsb_a = FNRT_HLS_PREC ? std::ldexp(1.0, -num<act_t>::frac) : 0.0;
    run_case(op, in, lsbs * lsb_a + 1e-6);
}

/* Modulate: raw weight packed as float steps (WT_F32), style as act_t, output packed wt_t
 * steps (WT) that the next fnrt_conv2d reads; unpacked by the host and compared. */
static void run_modulate(uint64_t seed)
{
    fnrt_op op = op_init(FNRT_OP_MODULATE, "modulate3x3", 2);
    const int co = 10, ci = 7, k = 3;
    op.in_shape[0] = shape(4, co, ci, k, k);
    op.in_shape[1] = shape(3, ci, 1, 1);
    op.out_shape = shape(4, co, ci, k, k);
    op.p.mod.scale = 1.0f / std::sqrt((float)(ci * k * k));
    op.p.mod.eps = 1e-8f;
    fnrt_xrt_layout lw, ls, ly;
    check("modulate: weight in as float steps, style as act_t, out as packed weight",
          fnrt_xrt_layout_for_arg(&op, 0, 0, &lw) == FNRT_OK && lw.kind == FNRT_XRT_LAYOUT_WT_F32 &&
              fnrt_xrt_layout_for_arg(&op, 1, 0, &ls) == FNRT_OK &&
              ls.kind == FNRT_XRT_LAYOUT_ACT &&
              fnrt_xrt_layout_for_arg(&op, 2, 0, &ly) == FNRT_OK && ly.kind == FNRT_XRT_LAYOUT_WT);
    rng r(seed);
    std::vector<std::vector<float> > in(2);
    in[0].resize(fnrt_shape_elems(&op.in_shape[0]));
    in[1].resize(ci);
    r.fill(in[0], -1.0f, 1.0f);
    r.fill(in[1], 0.2f, 1.8f);
    /* float arithmetic in every build, one rounding into wt_t at the end */
    run_case(op, in, FNRT_HLS_PREC ? 0.5 * std::ldexp(1.0, -num<wt_t>::frac) + 1e-6 : 0.0);
}

/* A whole network on the "device" as the XRT backend runs it: parameters and the input
 * packed by the host when an op first needs them in a layout, activations passed from op to
 * op in their device layout (no host round trip, as BOs stay on the card), the normals
 * unpacked at the end; against the network on the reference backend, in degrees.
 * max_mean_deg < 0: report only. */
static void run_network(const char *model_file, double max_mean_deg, double max_max_deg)
{
    const char *data = std::getenv("FNRT_TEST_DATA");
    if (!data) {
        std::printf("SKIP network %s: FNRT_TEST_DATA not set\n", model_file);
        return;
    }
    std::string name = std::string("network ") + model_file;
    std::string mpath = std::string(data) + "/" + model_file, ipath = std::string(data) +
                                                                 "/face-256.png";
    fnrt_model *m = NULL;
    fnrt_image img = {0, 0, 0, NULL}, rgb = {3, 0, 0, NULL};
    if (!check(name + " loads", fnrt_model_load(mpath.c_str(), &m) == FNRT_OK &&
                                    fnrt_png_read(ipath.c_str(), NULL, &img) == FNRT_OK,
               fnrt_last_error()))
        return;
    const fnrt_graph *g = &m->graph;
    const fnrt_xrt_design d = design();
    rgb.w = rgb.h = g->input_size;
    std::vector<float> rgb_data((size_t)3 * g->input_size * g->input_size);
    rgb.data = rgb_data.data();
    fnrt_image_resize(&img, &rgb);
    fnrt_image_free(&img);

    std::vector<std::vector<float> > ref(g->n_tensors);
    std::vector<std::vector<dev_buf> > dev(g->n_tensors); /* device copies, one per layout */
    ref[g->input] = rgb_data;
    for (int t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].kind == FNRT_TENSOR_PARAM)
            ref[t].assign(g->tensors[t].data,
                          g->tensors[t].data + fnrt_shape_elems(&g->tensors[t].shape));
    bool ok = true;
    int n_fit = 0;
    for (int i = 0; i < g->n_ops && ok; i++) {
        const fnrt_op &op = g->ops[i];
        n_fit += fnrt_xrt_op_fits(&op, &d) == FNRT_OK;
        if (fnrt_xrt_op_fits(&op, &d) != FNRT_OK) {
            ok = check(name + " op " + op.name + " fits the design", false, fnrt_last_error());
            break;
        }
        const fnrt_xrt_kernel_desc *k = fnrt_xrt_kernel_for_op(op.type);
        std::vector<const std::vector<float> *> ins(op.n_in, NULL);
        std::vector<dev_buf *> args(op.n_in + 1, (dev_buf *)NULL);
        for (int a = 0, bi = 0; a < k->n_args; a++) {
            if (k->args[a].kind > FNRT_XRT_ARG_STREAM_OUT || bi == op.n_in)
                continue;
            int j = bi++, t = op.in[j];
            if (t < 0)
                continue;
            ins[j] = &ref[t];
            fnrt_xrt_layout want;
            fnrt_xrt_layout_for_arg(&op, j, k->args[a].kind != FNRT_XRT_ARG_MEM, &want);
            dev_buf *have = NULL;
            for (dev_buf &b : dev[t])
                if (fnrt_xrt_layout_equal(&b.lay, &want))
                    have = &b;
            if (!have) { /* packed from the host copy: the parameter, input, or unpacked */
                std::vector<float> host = g->tensors[t].kind == FNRT_TENSOR_ACT
                                              ? download(dev[t].front()) : ref[t];
                dev[t].push_back(dev_buf());
                have = &dev[t].back();
                ok = ok && upload(op, j, k->args[a].kind != FNRT_XRT_ARG_MEM, host, *have);
            }
            args[j] = have;
        }
        dev[op.out].assign(1, device_out(op));
        args[op.n_in] = &dev[op.out].front();
        ok = ok && device_run(op, args) && ref_run(op, ins, ref[op.out]);
    }
    if (ok) {
        std::vector<float> n = download(dev[g->out_normals].front());
        const std::vector<float> &nr = ref[g->out_normals];
        size_t plane = n.size() / 3;
        double sum = 0.0, worst = 0.0;
        for (size_t p = 0; p < plane; p++) {
            double dot = 0.0, la = 0.0, lb = 0.0;
            for (int c = 0; c < 3; c++) {
                dot += (double)n[c * plane + p] * nr[c * plane + p];
                la += (double)n[c * plane + p] * n[c * plane + p];
                lb += (double)nr[c * plane + p] * nr[c * plane + p];
            }
            double cs = dot / std::sqrt(la * lb + 1e-30);
            double deg = std::acos(cs > 1.0 ? 1.0 : cs < -1.0 ? -1.0 : cs) * 180.0 / M_PI;
            sum += deg;
            worst = std::fmax(worst, deg != deg ? 180.0 : deg);
        }
        double mean = sum / (double)plane;
        char buf[200];
        std::snprintf(buf, sizeof buf, "%d ops, normals vs reference: mean %.4f deg, max %.4f deg",
                      g->n_ops, mean, worst);
        if (max_mean_deg < 0)
            std::printf("INFO %s [%s, P=%d]: %s\n", name.c_str(),
                        fnrt_xrt_prec_str((fnrt_xrt_prec)FNRT_HLS_PREC), FNRT_HLS_P, buf);
        else
            check(name + " [" + fnrt_xrt_prec_str((fnrt_xrt_prec)FNRT_HLS_PREC) + "] host layout "
                  "through every op", mean <= max_mean_deg && worst <= max_max_deg, buf);
        check(name + " normals finite", mean == mean);
    }
    fnrt_model_free(m);
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
    if (FNRT_TEST_NETWORK) {
        /* whole networks (a build with the default, full-size buffers): fp32 must match the
         * reference; fixed point reports what it costs */
        const double mean_deg = FNRT_HLS_PREC == 0 ? 0.01 : FNRT_HLS_PREC == 1 ? 0.5 : -1.0;
        const double max_deg = FNRT_HLS_PREC == 0 ? 0.5 : FNRT_HLS_PREC == 1 ? 20.0 : -1.0;
        run_network("fnr2r-tiny.safetensors", mean_deg, max_deg);
        run_network("crossmodal-tiny.safetensors", mean_deg, max_deg);
        return finish("test_xrt_layout (networks)");
    }
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
