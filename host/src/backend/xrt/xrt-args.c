/* fnrt — XRT backend: scalar kernel arguments of an op, band size, design limits
 * (xrt-args.h).  The limits are the checks of the HLS top functions (conv_check,
 * maxpool_check, upsample_check, ...), which leave their streams untouched when a check
 * fails: on hardware that is a hang, so the host refuses such ops up front. */
#include "backend/xrt/xrt-args.h"

#include <string.h>

#include "../../../../hls/common/fnrt-hls-layout.h"

static int is_conv(const fnrt_op *op)
{
    return op->type == FNRT_OP_CONV2D || op->type == FNRT_OP_DECONV2D;
}

fnrt_status fnrt_xrt_tile_rows(const fnrt_op *op, const fnrt_xrt_design *d, int *tile_rows)
{
    *tile_rows = 0;
    if (!is_conv(op))
        return FNRT_OK;
    const fnrt_conv_params *p = &op->p.conv;
    int tp = op->type == FNRT_OP_DECONV2D;
    int ci = (int)op->in_shape[0].dims[0], w = (int)op->in_shape[0].dims[2];
    int ho = (int)op->out_shape.dims[1], wo = (int)op->out_shape.dims[2];
    int row_words = w * fnrt_hls_ceil_div(ci, d->p);
    int tr = fnrt_hls_tile_rows(ho, wo, row_words, p->kh, p->stride, tp, d->max_pix, d->lb_words);
    if (tr < 1)
        return fnrt_error(FNRT_ERR_UNSUPPORTED, "XRT backend: op '%s' (%s, output %dx%d, input "
                          "row %d words of %d lanes) does not fit the design: one output row "
                          "needs %d accumulator pixels (FNRT_HLS_MAX_PIX %d) and %d line-buffer "
                          "words (FNRT_HLS_LB_WORDS %d)", op->name, fnrt_op_type_str(op->type),
                          ho, wo, row_words, d->p, wo, d->max_pix,
                          fnrt_hls_band_in_rows(1, p->kh, p->stride, tp) * row_words,
                          d->lb_words);
    *tile_rows = tr;
    return FNRT_OK;
}

int fnrt_xrt_n_bands(const fnrt_op *op, const fnrt_xrt_design *d)
{
    int tr;
    if (!is_conv(op) || fnrt_xrt_tile_rows(op, d, &tr) != FNRT_OK || tr < 1)
        return 1;
    return fnrt_hls_ceil_div((int)op->out_shape.dims[1], tr);
}

static fnrt_status too_big(const fnrt_op *op, const char *what, long long v, const char *param,
                           long long lim)
{
    return fnrt_error(FNRT_ERR_UNSUPPORTED, "XRT backend: op '%s' (%s) does not fit the xclbin's "
                      "design: %s %lld > %lld (%s)", op->name, fnrt_op_type_str(op->type), what,
                      v, lim, param);
}

/* A stream the glue moves in pixel order goes through a row buffer of MAX_WC/P words. */
static fnrt_status glue_fits(const fnrt_op *op, const fnrt_xrt_design *d, const fnrt_shape *s)
{
    long long c = s->ndim > 0 ? s->dims[0] : 1, w = s->ndim > 2 ? s->dims[2] : 1;
    long long words = w * fnrt_hls_ceil_div((int)c, d->p);
    if (words > d->max_wc / d->p)
        return too_big(op, "row width x channel groups", words, "FNRT_HLS_MAX_WC / P",
                       d->max_wc / d->p);
    return FNRT_OK;
}

fnrt_status fnrt_xrt_op_fits(const fnrt_op *op, const fnrt_xrt_design *d)
{
    const fnrt_shape *x = &op->in_shape[0];
    long long c = x->dims[0], w = x->ndim > 2 ? x->dims[2] : 1;
    long long ncg = fnrt_hls_ceil_div((int)c, d->p);
    fnrt_status st;
    int tr;
    switch (op->type) {
    case FNRT_OP_CONV2D:
    case FNRT_OP_DECONV2D: {
        const fnrt_conv_params *p = &op->p.conv;
        long long co = op->out_shape.dims[0];
        if (op->type == FNRT_OP_DECONV2D && (p->kh != p->kw || p->kh % p->stride))
            return fnrt_error(FNRT_ERR_UNSUPPORTED, "XRT backend: op '%s': fnrt_deconv2d needs a "
                              "square kernel with k %% stride == 0 (k %dx%d, stride %d)", op->name,
                              p->kh, p->kw, p->stride);
        if (fnrt_hls_ceil_div((int)co, d->p) * d->p > d->max_co)
            return too_big(op, "output channels (rounded up to P)",
                           fnrt_hls_ceil_div((int)co, d->p) * d->p, "FNRT_HLS_MAX_CO", d->max_co);
        if ((st = fnrt_xrt_tile_rows(op, d, &tr)) != FNRT_OK)
            return st;
        return glue_fits(op, d, x);
    }
    case FNRT_OP_MAXPOOL:
        if (op->p.pool.k > 3 || op->p.pool.pad >= op->p.pool.k)
            return fnrt_error(FNRT_ERR_UNSUPPORTED, "XRT backend: op '%s': fnrt_maxpool needs "
                              "k <= 3 and pad < k (k %d, pad %d)", op->name, op->p.pool.k,
                              op->p.pool.pad);
        if (op->p.pool.k * w * ncg > 3LL * (d->max_wc / d->p))
            return too_big(op, "line-buffer words", op->p.pool.k * w * ncg,
                           "3 * FNRT_HLS_MAX_WC / P", 3LL * (d->max_wc / d->p));
        return glue_fits(op, d, x);
    case FNRT_OP_UPSAMPLE2X:
        if (3 * w * ncg > 3LL * (d->max_wc / d->p))
            return too_big(op, "line-buffer words", 3 * w * ncg, "3 * FNRT_HLS_MAX_WC / P",
                           3LL * (d->max_wc / d->p));
        return glue_fits(op, d, x);
    case FNRT_OP_CONCAT:
        if (c > d->max_c || op->in_shape[1].dims[0] > d->max_c)
            return too_big(op, "channels", c > d->max_c ? c : op->in_shape[1].dims[0],
                           "FNRT_HLS_MAX_C", d->max_c);
        return glue_fits(op, d, &op->out_shape);
    case FNRT_OP_GLOBAL_AVGPOOL:
    case FNRT_OP_MAXMERGE:
    case FNRT_OP_ADD:
        if (c > d->max_c)
            return too_big(op, "channels", c, "FNRT_HLS_MAX_C", d->max_c);
        if (op->type == FNRT_OP_MAXMERGE && op->p.merge.k >= c)
            return fnrt_error(FNRT_ERR_UNSUPPORTED, "XRT backend: op '%s': fnrt_maxmerge needs "
                              "k < c (k %d, c %lld)", op->name, op->p.merge.k, c);
        return glue_fits(op, d, x);
    case FNRT_OP_GRAY:
    case FNRT_OP_L2NORM:
        if (d->p < 3)
            return too_big(op, "channels per beat needed", 3, "FNRT_HLS_P", d->p);
        return glue_fits(op, d, x);
    case FNRT_OP_MODULATE: {
        long long co = x->dims[0], ci = x->dims[1];
        if (co > d->max_co)
            return too_big(op, "output channels", co, "FNRT_HLS_MAX_CO", d->max_co);
        if (ci > d->max_c)
            return too_big(op, "input channels", ci, "FNRT_HLS_MAX_C", d->max_c);
        return FNRT_OK;
    }
    case FNRT_OP_COUNT:
        break;
    }
    return FNRT_OK;
}

int fnrt_xrt_op_scalar(const fnrt_op *op, const fnrt_xrt_design *d, int has_bias, int has_res,
                       const char *name, int *iv, float *fv)
{
    const fnrt_shape *x = &op->in_shape[0], *y = &op->out_shape;
    int c_in = (int)x->dims[0], h = (int)x->dims[1], w = (int)x->dims[2];
    int n_pix = h * w;
    *iv = 0;
    *fv = 0.0f;
#define IS(s) (strcmp(name, s) == 0)
    switch (op->type) {
    case FNRT_OP_CONV2D:
    case FNRT_OP_DECONV2D: {
        const fnrt_conv_params *p = &op->p.conv;
        if (IS("ci")) *iv = c_in;
        else if (IS("h")) *iv = h;
        else if (IS("wd")) *iv = w;
        else if (IS("co")) *iv = (int)y->dims[0];
        else if (IS("kh") || IS("k")) *iv = p->kh;
        else if (IS("kw")) *iv = p->kw;
        else if (IS("stride")) *iv = p->stride;
        else if (IS("pad")) *iv = p->pad;
        else if (IS("act_in")) *iv = (int)p->act_in;
        else if (IS("act_out")) *iv = (int)p->act_out;
        else if (IS("alpha_in")) *fv = p->alpha_in;
        else if (IS("alpha_out")) *fv = p->alpha_out;
        else if (IS("tile_rows")) fnrt_xrt_tile_rows(op, d, iv);
        else if (IS("has_bias")) *iv = has_bias;
        else if (IS("has_res")) *iv = has_res;
        else return 0;
        return 1;
    }
    case FNRT_OP_MAXPOOL:
        if (IS("c")) *iv = c_in;
        else if (IS("h")) *iv = h;
        else if (IS("w")) *iv = w;
        else if (IS("k")) *iv = op->p.pool.k;
        else if (IS("stride")) *iv = op->p.pool.stride;
        else if (IS("pad")) *iv = op->p.pool.pad;
        else return 0;
        return 1;
    case FNRT_OP_UPSAMPLE2X:
    case FNRT_OP_GLOBAL_AVGPOOL:
        if (IS("c")) *iv = c_in;
        else if (IS("h")) *iv = h;
        else if (IS("w")) *iv = w;
        else if (IS("align_corners")) *iv = op->p.up.align_corners;
        else return 0;
        return 1;
    case FNRT_OP_CONCAT:
        if (IS("ca")) *iv = c_in;
        else if (IS("cb")) *iv = (int)op->in_shape[1].dims[0];
        else if (IS("stride_b")) *iv = op->p.cat.stride_b;
        else if (IS("n_pix")) *iv = n_pix;
        else return 0;
        return 1;
    case FNRT_OP_MODULATE: {
        const fnrt_shape *wt = &op->in_shape[0];
        if (IS("co")) *iv = (int)wt->dims[0];
        else if (IS("ci")) *iv = (int)wt->dims[1];
        else if (IS("k")) *iv = (int)wt->dims[2];
        else if (IS("scale")) *fv = op->p.mod.scale;
        else if (IS("eps")) *fv = op->p.mod.eps;
        else return 0;
        return 1;
    }
    case FNRT_OP_GRAY:
    case FNRT_OP_L2NORM:
        if (IS("n_pix")) *iv = n_pix;
        else if (IS("swizzle")) *iv = op->p.l2.swizzle;
        else if (IS("eps")) *fv = op->p.l2.eps;
        else return 0;
        return 1;
    case FNRT_OP_ADD:
        if (IS("c")) *iv = c_in;
        else if (IS("n_pix")) *iv = n_pix;
        else if (IS("act")) *iv = (int)op->p.add.act;
        else if (IS("alpha")) *fv = op->p.add.alpha;
        else return 0;
        return 1;
    case FNRT_OP_MAXMERGE:
        if (IS("c")) *iv = c_in;
        else if (IS("k")) *iv = op->p.merge.k;
        else if (IS("n_pix")) *iv = n_pix;
        else return 0;
        return 1;
    case FNRT_OP_COUNT:
        break;
    }
#undef IS
    return 0;
}

int fnrt_xrt_glue_scalar(const fnrt_op *op, const fnrt_xrt_design *d, int is_input,
                         const char *port, const fnrt_shape *s, const char *name, int *iv)
{
    /* conv/deconv outputs leave, and a conv's residual must arrive, in band order */
    int band = is_conv(op) && (!is_input || strcmp(port, "res") == 0);
    *iv = 0;
    if (strcmp(name, "c") == 0) *iv = s->ndim > 0 ? (int)s->dims[0] : 1;
    else if (strcmp(name, "h") == 0) *iv = s->ndim > 1 ? (int)s->dims[1] : 1;
    else if (strcmp(name, "w") == 0) *iv = s->ndim > 2 ? (int)s->dims[2] : 1;
    else if (strcmp(name, "c_first") == 0 || strcmp(name, "c_base") == 0) *iv = 0;
    else if (strcmp(name, "c_step") == 0) *iv = 1;
    else if (strcmp(name, "order") == 0) *iv = band ? FNRT_XRT_ORDER_BAND : FNRT_XRT_ORDER_PIXEL;
    else if (strcmp(name, "tile_rows") == 0) {
        if (band)
            fnrt_xrt_tile_rows(op, d, iv);
    } else
        return 0;
    return 1;
}
