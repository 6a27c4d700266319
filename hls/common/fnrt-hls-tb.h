/* Helpers for the g++ C-simulation test benches of the fnrt HLS kernels (not synthesised):
 * random data, the plain-C reference backend as oracle (fnrt_backend_ref through the public
 * backend table), quantisation to a kernel's types, comparison with a reported error. */
#ifndef FNRT_HLS_TB_H
#define FNRT_HLS_TB_H

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fnrt/fnrt-backend.h"

#include "fnrt-hls-types.h"
#include "../glue/fnrt-glue.h"

namespace fnrt_tb {

inline int &failures()
{
    static int n = 0;
    return n;
}

/* xorshift64*, uniform in [lo, hi) */
struct rng {
    uint64_t s;
    explicit rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
    float uniform(float lo, float hi)
    {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        uint64_t v = s * 0x2545F4914F6CDD1Dull;
        return lo + (hi - lo) * (float)((v >> 40) * (1.0 / 16777216.0));
    }
    void fill(std::vector<float> &x, float lo, float hi)
    {
        for (float &v : x)
            v = uniform(lo, hi);
    }
};

inline fnrt_shape shape(int ndim, int64_t a, int64_t b = 0, int64_t c = 0, int64_t d = 0)
{
    fnrt_shape s;
    s.ndim = ndim;
    s.dims[0] = a, s.dims[1] = b, s.dims[2] = c, s.dims[3] = d;
    return s;
}

/* Runs one op on the reference backend.  ins[k] may be NULL for an absent optional input. */
inline bool ref_run(const fnrt_op &op, const std::vector<const std::vector<float> *> &ins,
                    std::vector<float> &out)
{
    const fnrt_backend_ops *be = &fnrt_backend_ref;
    void *ctx = NULL;
    if (be->create(NULL, &ctx) != FNRT_OK)
        return false;
    std::vector<fnrt_buf *> bufs(op.n_in + 1, (fnrt_buf *)NULL);
    bool ok = true;
    for (int k = 0; k < op.n_in && ok; k++) {
        if (k < (int)ins.size() && ins[k]) {
            ok = be->buf_create(ctx, &op.in_shape[k], &bufs[k]) == FNRT_OK &&
                 be->buf_write(ctx, bufs[k], ins[k]->data(), ins[k]->size()) == FNRT_OK;
        }
    }
    ok = ok && be->buf_create(ctx, &op.out_shape, &bufs[op.n_in]) == FNRT_OK;
    ok = ok && be->run[op.type](ctx, &op, bufs.data()) == FNRT_OK;
    if (ok) {
        out.assign(fnrt_shape_elems(&op.out_shape), 0.0f);
        ok = be->buf_read(ctx, bufs[op.n_in], out.data(), out.size()) == FNRT_OK;
    }
    for (fnrt_buf *b : bufs)
        if (b)
            be->buf_free(ctx, b);
    be->destroy(ctx);
    if (!ok)
        std::fprintf(stderr, "reference backend failed: %s\n", fnrt_last_error());
    return ok;
}

inline fnrt_op op_init(fnrt_op_type type, const char *name, int n_in)
{
    fnrt_op op;
    std::memset(&op, 0, sizeof op);
    op.type = type;
    std::snprintf(op.name, sizeof op.name, "%s", name);
    op.n_in = n_in;
    for (int k = 0; k < FNRT_OP_MAX_IN; k++)
        op.in[k] = -1;
    return op;
}

/* The conv2d/deconv2d op of a test-bench layer case C (fields name, ci, h, w, co, k, stride,
 * pad, transposed, act_in, act_out; LeakyReLU slopes 0.2): 4 input slots (x, w,
 * bias, res) for a conv, 3 for a transposed conv. */
template <class C> fnrt_op conv_layer_op(const C &c)
{
    fnrt_op op = op_init(c.transposed ? FNRT_OP_DECONV2D : FNRT_OP_CONV2D, c.name,
                         c.transposed ? 3 : 4);
    int ho, wo;
    if (!c.transposed) {
        ho = (c.h + 2 * c.pad - c.k) / c.stride + 1;
        wo = (c.w + 2 * c.pad - c.k) / c.stride + 1;
        op.in_shape[1] = shape(4, c.co, c.ci, c.k, c.k);
        op.in_shape[3] = shape(3, c.co, ho, wo);
    } else {
        ho = (c.h - 1) * c.stride - 2 * c.pad + c.k;
        wo = (c.w - 1) * c.stride - 2 * c.pad + c.k;
        op.in_shape[1] = shape(4, c.ci, c.co, c.k, c.k);
    }
    op.in_shape[0] = shape(3, c.ci, c.h, c.w);
    op.in_shape[2] = shape(1, c.co);
    op.out_shape = shape(3, c.co, ho, wo);
    op.p.conv.kh = op.p.conv.kw = c.k;
    op.p.conv.stride = c.stride;
    op.p.conv.pad = c.pad;
    op.p.conv.act_in = (fnrt_act)c.act_in;
    op.p.conv.act_out = (fnrt_act)c.act_out;
    op.p.conv.alpha_in = op.p.conv.alpha_out = 0.2f;
    return op;
}

/* Values as the kernel type T sees them, back in float (identity for float). */
template <class T> std::vector<float> quantise(const std::vector<float> &x)
{
    std::vector<float> q(x.size());
    for (size_t i = 0; i < x.size(); i++)
        q[i] = fnrt_hls::num<T>::to_float(fnrt_hls::num<T>::from_float(x[i]));
    return q;
}

template <class T> std::vector<T> to_type(const std::vector<float> &x)
{
    std::vector<T> q(x.size());
    for (size_t i = 0; i < x.size(); i++)
        q[i] = fnrt_hls::num<T>::from_float(x[i]);
    return q;
}

template <class T> std::vector<float> to_float(const std::vector<T> &x)
{
    std::vector<float> f(x.size());
    for (size_t i = 0; i < x.size(); i++)
        f[i] = fnrt_hls::num<T>::to_float(x[i]);
    return f;
}

struct err {
    double max_abs, mean_abs;
};

inline err compare(const std::vector<float> &a, const std::vector<float> &b)
{
    err e = {0.0, 0.0};
    for (size_t i = 0; i < a.size(); i++) {
        double d = std::fabs((double)a[i] - (double)b[i]);
        if (!(d <= e.max_abs)) /* NaN counts as the worst */
            e.max_abs = d != d ? INFINITY : d;
        e.mean_abs += d;
    }
    if (!a.empty())
        e.mean_abs /= (double)a.size();
    return e;
}

/* Pass when every |a-b| <= atol + rtol*|b|. */
inline bool check_close(const std::string &what, const std::vector<float> &got,
                        const std::vector<float> &want, double atol, double rtol)
{
    double worst = 0.0;
    size_t wi = 0;
    bool ok = got.size() == want.size();
    for (size_t i = 0; ok && i < got.size(); i++) {
        double d = std::fabs((double)got[i] - (double)want[i]);
        double t = atol + rtol * std::fabs((double)want[i]);
        double r = d <= t ? (t > 0.0 ? d / t : 0.0) : (t > 0.0 ? d / t : INFINITY);
        if (!(r <= worst)) {
            worst = r != r ? INFINITY : r;
            wi = i;
        }
    }
    ok = ok && worst <= 1.0;
    err e = compare(got, want);
    std::printf("%s %s: max |err| %.3g, mean %.3g (tolerance %.2g + %.2g*|ref|)", ok ? "PASS" : "FAIL",
                what.c_str(), e.max_abs, e.mean_abs, atol, rtol);
    if (!ok && wi < got.size() && got.size() == want.size())
        std::printf("  worst at %zu: got %g want %g", wi, got[wi], want[wi]);
    std::printf("\n");
    if (!ok)
        failures()++;
    return ok;
}

inline bool check(const std::string &what, bool cond, const std::string &detail = "")
{
    std::printf("%s %s%s%s\n", cond ? "PASS" : "FAIL", what.c_str(), detail.empty() ? "" : ": ",
                detail.c_str());
    if (!cond)
        failures()++;
    return cond;
}

/* Planar (C,H,W) <-> the blocked layout of P lanes the glue kernels use. */
template <class T>
std::vector<T> blocked(const std::vector<T> &chw, int c, int h, int w, int p)
{
    std::vector<T> b((size_t)fnrt_hls_ceil_div(c, p) * p * h * w, T(0));
    for (int k = 0; k < c; k++)
        for (int r = 0; r < h; r++)
            for (int q = 0; q < w; q++)
                b[(size_t)fnrt_hls::blocked_index(k, r, q, h, w, p)] = chw[((size_t)k * h + r) * w + q];
    return b;
}

template <class T>
void unblock(const std::vector<T> &b, std::vector<T> &chw, int c, int h, int w, int p)
{
    for (int k = 0; k < c; k++)
        for (int r = 0; r < h; r++)
            for (int q = 0; q < w; q++)
                chw[((size_t)k * h + r) * w + q] = b[(size_t)fnrt_hls::blocked_index(k, r, q, h, w, p)];
}

/* mm2s/s2mm on planar test data: the tensor goes through the blocked layout. */
template <class T, int P>
void tb_mm2s(const std::vector<T> &chw, hls::stream<fnrt_hls::vec<T, P> > &s, int c, int h, int w,
             int c_first, int c_step, int order, int tile_rows)
{
    const int c_src = (int)(chw.size() / ((size_t)h * w));
    std::vector<T> b = blocked(chw, c_src, h, w, P);
    fnrt_hls::mm2s_core<T, P, 4096>(b.data(), s, c, h, w, c_first, c_step, order, tile_rows);
}

template <class T, int P>
void tb_s2mm(hls::stream<fnrt_hls::vec<T, P> > &s, std::vector<T> &chw, int c, int h, int w,
             int c_base, int order, int tile_rows)
{
    const int c_dst = (int)(chw.size() / ((size_t)h * w));
    std::vector<T> b = blocked(chw, c_dst, h, w, P);
    fnrt_hls::s2mm_core<T, P, 4096>(s, b.data(), c, h, w, c_base, order, tile_rows);
    unblock(b, chw, c_dst, h, w, P);
}

inline int finish(const char *name)
{
    std::printf("%s: %d failure(s)\n", name, failures());
    return failures() ? 1 : 0;
}

} // namespace fnrt_tb
#endif
