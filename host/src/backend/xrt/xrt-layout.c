/* fnrt — XRT backend: packing buffers into the HLS design's layouts and back (xrt-layout.h).
 * The element orders are those of hls/common/fnrt-hls-layout.h (shared with the kernels,
 * the C-simulation test benches and sim/), so host and kernels cannot drift apart. */
#include "backend/xrt/xrt-layout.h"

#include <math.h>
#include <string.h>

#include "../../../../hls/common/fnrt-hls-layout.h"

void fnrt_xrt_design_default(fnrt_xrt_design *d)
{
    d->prec = FNRT_XRT_PREC_F32;
    d->p = 8;
    d->max_wc = 16384;
    d->max_pix = 2048;
    d->lb_words = 12 * 16384 / 8;
    d->max_co = 512;
    d->max_w = 256;
    d->max_c = 1024;
}

const char *fnrt_xrt_prec_str(fnrt_xrt_prec p)
{
    switch (p) {
    case FNRT_XRT_PREC_F32: return "fp32";
    case FNRT_XRT_PREC_FX16: return "int16";
    case FNRT_XRT_PREC_FX8: return "int8";
    }
    return NULL;
}

/* fnrt-hls-types.h: prec_fx16 act ap_fixed<16,6>, wt <16,3>; prec_fx8 act <8,4>, wt <8,1> */
int fnrt_xrt_act_bits(fnrt_xrt_prec p)
{
    return p == FNRT_XRT_PREC_FX16 ? 16 : p == FNRT_XRT_PREC_FX8 ? 8 : 32;
}
int fnrt_xrt_act_frac(fnrt_xrt_prec p)
{
    return p == FNRT_XRT_PREC_FX16 ? 10 : p == FNRT_XRT_PREC_FX8 ? 4 : 0;
}
int fnrt_xrt_wt_bits(fnrt_xrt_prec p)
{
    return p == FNRT_XRT_PREC_FX16 ? 16 : p == FNRT_XRT_PREC_FX8 ? 8 : 32;
}
int fnrt_xrt_wt_frac(fnrt_xrt_prec p)
{
    return p == FNRT_XRT_PREC_FX16 ? 13 : p == FNRT_XRT_PREC_FX8 ? 7 : 0;
}

int32_t fnrt_xrt_quant(float x, int bits, int frac)
{
    if (x != x)
        return 0;
    double s = floor(ldexp((double)x, frac) + 0.5);
    double hi = ldexp(1.0, bits - 1) - 1.0, lo = -ldexp(1.0, bits - 1);
    return (int32_t)(s > hi ? hi : s < lo ? lo : s);
}

float fnrt_xrt_dequant(int32_t code, int frac)
{
    return (float)ldexp((double)code, -frac);
}

static void put(unsigned char *dst, size_t i, int bits, int frac, float x)
{
    if (bits == 32) {
        memcpy(dst + 4 * i, &x, 4);
        return;
    }
    uint32_t u = (uint32_t)fnrt_xrt_quant(x, bits, frac);
    dst[i * (size_t)(bits / 8)] = (unsigned char)(u & 0xff);
    if (bits == 16)
        dst[2 * i + 1] = (unsigned char)((u >> 8) & 0xff); /* little-endian, as m_axi */
}

static float get(const unsigned char *src, size_t i, int bits, int frac)
{
    if (bits == 32) {
        float x;
        memcpy(&x, src + 4 * i, 4);
        return x;
    }
    int32_t v;
    if (bits == 16)
        v = (int16_t)(uint16_t)(src[2 * i] | (unsigned)src[2 * i + 1] << 8);
    else
        v = (int8_t)src[i];
    return fnrt_xrt_dequant(v, frac);
}

void fnrt_xrt_layout_f32(const fnrt_shape *shape, fnrt_xrt_layout *l)
{
    memset(l, 0, sizeof *l);
    l->kind = FNRT_XRT_LAYOUT_F32;
    l->n_elems = fnrt_shape_elems(shape);
}

/* (c, h, w) as the glue kernels see a tensor: missing dims are 1 */
void fnrt_xrt_layout_act(const fnrt_shape *shape, fnrt_xrt_layout *l)
{
    memset(l, 0, sizeof *l);
    l->kind = FNRT_XRT_LAYOUT_ACT;
    l->n_elems = fnrt_shape_elems(shape);
    l->c = shape->ndim > 0 ? (int)shape->dims[0] : 1;
    l->h = shape->ndim > 1 ? (int)shape->dims[1] : 1;
    l->w = shape->ndim > 2 ? (int)shape->dims[2] : 1;
}

void fnrt_xrt_layout_wt(int ci, int co, int kh, int kw, int stride, int transposed, int f32,
                        fnrt_xrt_layout *l)
{
    memset(l, 0, sizeof *l);
    l->kind = f32 ? FNRT_XRT_LAYOUT_WT_F32 : FNRT_XRT_LAYOUT_WT;
    l->n_elems = (size_t)ci * (size_t)co * (size_t)kh * (size_t)kw;
    l->ci = ci;
    l->co = co;
    l->kh = kh;
    l->kw = kw;
    l->stride = transposed ? stride : 1; /* conv packing does not depend on the stride */
    l->transposed = transposed;
}

fnrt_status fnrt_xrt_layout_for_arg(const fnrt_op *op, int k, int is_stream, fnrt_xrt_layout *l)
{
    const fnrt_shape *s = k == op->n_in ? &op->out_shape : &op->in_shape[k];
    if (is_stream) {
        fnrt_xrt_layout_act(s, l);
        return FNRT_OK;
    }
    switch (op->type) {
    case FNRT_OP_CONV2D:
    case FNRT_OP_DECONV2D: {
        int tp = op->type == FNRT_OP_DECONV2D;
        if (k == 1) {
            int ci = (int)op->in_shape[0].dims[0], co = (int)op->out_shape.dims[0];
            fnrt_xrt_layout_wt(ci, co, op->p.conv.kh, op->p.conv.kw, op->p.conv.stride, tp, 0, l);
            return FNRT_OK;
        }
        if (k == 2) {
            fnrt_xrt_layout_f32(s, l);
            return FNRT_OK;
        }
        break;
    }
    case FNRT_OP_MODULATE: {
        const fnrt_shape *w = &op->in_shape[0];
        int co = (int)w->dims[0], ci = (int)w->dims[1], kh = (int)w->dims[2], kw = (int)w->dims[3];
        if (k == 0 || k == 2) {
            /* raw weight in, packed modulated weight out (read by the next fnrt_conv2d) */
            fnrt_xrt_layout_wt(ci, co, kh, kw, 1, 0, k == 0, l);
            return FNRT_OK;
        }
        if (k == 1) {
            fnrt_xrt_layout_act(s, l);
            return FNRT_OK;
        }
        break;
    }
    default:
        break;
    }
    return fnrt_error(FNRT_ERR_INTERNAL, "XRT backend: op %s (%s) has no memory argument %d",
                      op->name, fnrt_op_type_str(op->type), k);
}

int fnrt_xrt_layout_equal(const fnrt_xrt_layout *a, const fnrt_xrt_layout *b)
{
    return a->kind == b->kind && a->n_elems == b->n_elems && a->c == b->c && a->h == b->h &&
           a->w == b->w && a->ci == b->ci && a->co == b->co && a->kh == b->kh && a->kw == b->kw &&
           a->stride == b->stride && a->transposed == b->transposed;
}

static size_t act_elems(const fnrt_xrt_design *d, const fnrt_xrt_layout *l)
{
    return (size_t)fnrt_hls_ceil_div(l->c, d->p) * (size_t)d->p * (size_t)l->h * (size_t)l->w;
}

size_t fnrt_xrt_layout_bytes(const fnrt_xrt_design *d, const fnrt_xrt_layout *l)
{
    int wt_bits = fnrt_xrt_wt_bits(d->prec);
    switch (l->kind) {
    case FNRT_XRT_LAYOUT_F32:
        return l->n_elems * sizeof(float);
    case FNRT_XRT_LAYOUT_ACT:
        return act_elems(d, l) * (size_t)(fnrt_xrt_act_bits(d->prec) / 8);
    case FNRT_XRT_LAYOUT_WT:
    case FNRT_XRT_LAYOUT_WT_F32: {
        size_t n_elems = fnrt_hls_packed_weight_elems(l->ci, l->co, l->kh, l->kw, d->p, wt_bits);
        return n_elems * (size_t)(l->kind == FNRT_XRT_LAYOUT_WT ? wt_bits / 8 : 4);
    }
    }
    return 0;
}

void fnrt_xrt_layout_pack(const fnrt_xrt_design *d, const fnrt_xrt_layout *l, const float *src,
                          void *dst_)
{
    unsigned char *dst = dst_;
    memset(dst, 0, fnrt_xrt_layout_bytes(d, l));
    if (l->kind == FNRT_XRT_LAYOUT_F32) {
        memcpy(dst, src, l->n_elems * sizeof(float));
    } else if (l->kind == FNRT_XRT_LAYOUT_ACT) {
        int bits = fnrt_xrt_act_bits(d->prec), frac = fnrt_xrt_act_frac(d->prec);
        size_t plane = (size_t)l->h * (size_t)l->w, e = 0;
        for (int k = 0; k < l->c; k++)
            for (size_t i = 0; i < plane; i++, e++) /* blocked_index of (k, i / w, i % w) */
                put(dst, ((size_t)(k / d->p) * plane + i) * (size_t)d->p + (size_t)(k % d->p),
                    bits, frac, src[e]);
    } else {
        int wt_bits = fnrt_xrt_wt_bits(d->prec);
        int bits = l->kind == FNRT_XRT_LAYOUT_WT ? wt_bits : 32;
        int frac = l->kind == FNRT_XRT_LAYOUT_WT ? fnrt_xrt_wt_frac(d->prec) : 0;
        size_t n = fnrt_hls_packed_weight_elems(l->ci, l->co, l->kh, l->kw, d->p, wt_bits);
        for (size_t e = 0; e < n; e++) {
            long long s = fnrt_hls_packed_weight_src(e, l->ci, l->co, l->kh, l->kw, l->stride,
                                                     l->transposed, d->p, wt_bits);
            if (s >= 0)
                put(dst, e, bits, frac, src[s]);
        }
    }
}

void fnrt_xrt_layout_unpack(const fnrt_xrt_design *d, const fnrt_xrt_layout *l, const void *src_,
                            float *dst)
{
    const unsigned char *src = src_;
    if (l->kind == FNRT_XRT_LAYOUT_F32) {
        memcpy(dst, src, l->n_elems * sizeof(float));
    } else if (l->kind == FNRT_XRT_LAYOUT_ACT) {
        int bits = fnrt_xrt_act_bits(d->prec), frac = fnrt_xrt_act_frac(d->prec);
        size_t plane = (size_t)l->h * (size_t)l->w, e = 0;
        for (int k = 0; k < l->c; k++)
            for (size_t i = 0; i < plane; i++, e++)
                dst[e] = get(src, ((size_t)(k / d->p) * plane + i) * (size_t)d->p +
                                      (size_t)(k % d->p), bits, frac);
    } else {
        int wt_bits = fnrt_xrt_wt_bits(d->prec);
        int bits = l->kind == FNRT_XRT_LAYOUT_WT ? wt_bits : 32;
        int frac = l->kind == FNRT_XRT_LAYOUT_WT ? fnrt_xrt_wt_frac(d->prec) : 0;
        size_t n = fnrt_hls_packed_weight_elems(l->ci, l->co, l->kh, l->kw, d->p, wt_bits);
        for (size_t e = 0; e < n; e++) {
            long long s = fnrt_hls_packed_weight_src(e, l->ci, l->co, l->kh, l->kw, l->stride,
                                                     l->transposed, d->p, wt_bits);
            if (s >= 0)
                dst[s] = get(src, e, bits, frac);
        }
    }
}
