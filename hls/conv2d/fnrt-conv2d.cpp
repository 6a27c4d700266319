/* fnrt_conv2d: FNRT_OP_CONV2D as a Vitis kernel (the OpenCL kernel of the same name in
 * kernels_cl/conv.cl runs the same op).  x, res, y: AXI4-Stream kernel-to-kernel ports
 * (connected to fnrt_mm2s / fnrt_s2mm compute units by bitstreams/<platform>/link.cfg);
 * w: packed weights, bias: float[Co] (fnrt-hls-layout.h).  x arrives in pixel order; y
 * leaves, and res must arrive, in band order.  The host picks tile_rows with
 * fnrt_hls_tile_rows(); arguments this build cannot run leave the streams untouched.
 * The body is a DATAFLOW region of four processes (read x, read res, engine, write y);
 * each derives its trip count from the scalar arguments, as canonical dataflow wants. */
#include "fnrt-conv2d.h"

#include "../common/fnrt-hls-config.h"

namespace fnrt_hls {
typedef vec<wt_t, 512 / num<wt_t>::bits> wword;
const int LB_WORDS = FNRT_HLS_LB_WORDS;
const int MAX_PIX = FNRT_HLS_MAX_PIX;
const int MAX_CO = FNRT_HLS_MAX_CO;

#define CONV_SCALARS                                                                          \
    int ci, int h, int wd, int co, int kh, int kw, int stride, int pad, int act_in, int act_out, \
        float alpha_in, float alpha_out, int tile_rows, int has_bias, int has_res
#define CONV_PASS                                                                             \
    ci, h, wd, co, kh, kw, stride, pad, act_in, act_out, alpha_in, alpha_out, tile_rows,      \
        has_bias, has_res

static conv_args conv_make(CONV_SCALARS)
{
    conv_args a = {ci, h, wd, co, kh, kw, stride, pad, 0, act_in, act_out, alpha_in, alpha_out,
                   tile_rows, has_bias, has_res};
    return a;
}

/* which = 0: input beats, 1: residual beats, 2: output beats; 0 if the layer cannot run */
static int conv_count(int which, CONV_SCALARS)
{
    conv_args a = conv_make(CONV_PASS);
    int ho, wo;
    if (conv_check<P, LB_WORDS, MAX_PIX, MAX_CO>(a) != 0)
        return 0;
    conv_out_size(a, &ho, &wo);
    if (which == 0)
        return h * wd * fnrt_hls_ceil_div(ci, P);
    if (which == 1 && !has_res)
        return 0;
    return ho * wo * fnrt_hls_ceil_div(co, P);
}

static void conv_read(hls::stream<act_axis> &in, hls::stream<act_vec> &out, int which,
                      CONV_SCALARS)
{
    axis_to_stream<act_t, P>(in, out, conv_count(which, CONV_PASS));
}

static void conv_write(hls::stream<act_vec> &in, hls::stream<act_axis> &out, CONV_SCALARS)
{
    stream_to_axis<act_t, P>(in, out, conv_count(2, CONV_PASS));
}

static void conv_run(hls::stream<act_vec> &xs, const wword *w, const float *bias,
                     hls::stream<act_vec> &rs, hls::stream<act_vec> &ys, CONV_SCALARS)
{
    conv_args a = conv_make(CONV_PASS);
    if (conv_check<P, LB_WORDS, MAX_PIX, MAX_CO>(a) == 0)
        conv_engine<prec, P, LB_WORDS, MAX_PIX, MAX_CO>(xs, w, bias, rs, ys, a, 0);
}
} // namespace fnrt_hls

using namespace fnrt_hls;

extern "C" void fnrt_conv2d(hls::stream<act_axis> &x, const wword *w, const float *bias,
                            hls::stream<act_axis> &res, hls::stream<act_axis> &y, CONV_SCALARS)
{
#pragma HLS INTERFACE mode = axis port = x
#pragma HLS INTERFACE mode = axis port = res
#pragma HLS INTERFACE mode = axis port = y
#pragma HLS INTERFACE mode = m_axi port = w offset = slave bundle = gmem0 max_read_burst_length = 64 num_read_outstanding = 16
#pragma HLS INTERFACE mode = m_axi port = bias offset = slave bundle = gmem1
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS DATAFLOW
    hls::stream<act_vec> xs("conv2d.x"), rs("conv2d.res"), ys("conv2d.y");
#pragma HLS STREAM variable = xs depth = 64
#pragma HLS STREAM variable = rs depth = 64
#pragma HLS STREAM variable = ys depth = 64
    conv_read(x, xs, 0, CONV_PASS);
    conv_read(res, rs, 1, CONV_PASS);
    conv_run(xs, w, bias, rs, ys, CONV_PASS);
    conv_write(ys, y, CONV_PASS);
}
