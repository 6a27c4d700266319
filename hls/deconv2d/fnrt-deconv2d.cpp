/* fnrt_deconv2d: FNRT_OP_DECONV2D (transposed convolution, k % stride == 0) as a Vitis
 * kernel; the OpenCL kernel of the same name is in kernels_cl/deconv.cl.  The engine is
 * the conv engine (hls/conv2d/fnrt-conv2d.h) in gather form over the s*s output phases.
 * x: pixel order in, y: band order out, w: packed weights (fnrt-hls-layout.h).  DATAFLOW
 * region of three processes, each deriving its trip count from the scalar arguments. */
#include "../conv2d/fnrt-conv2d.h"

#include "../common/fnrt-hls-config.h"

namespace fnrt_hls {
typedef vec<wt_t, 512 / num<wt_t>::bits> wword;
const int LB_WORDS = FNRT_HLS_LB_WORDS;
const int MAX_PIX = FNRT_HLS_MAX_PIX;
const int MAX_CO = FNRT_HLS_MAX_CO;

#define DECONV_SCALARS                                                                     \
    int ci, int h, int wd, int co, int k, int stride, int pad, int act_in, int act_out,    \
        float alpha_in, float alpha_out, int tile_rows, int has_bias
#define DECONV_PASS                                                                        \
    ci, h, wd, co, k, stride, pad, act_in, act_out, alpha_in, alpha_out, tile_rows, has_bias

static conv_args deconv_make(DECONV_SCALARS)
{
    conv_args a = {ci, h, wd, co, k, k, stride, pad, 1, act_in, act_out, alpha_in, alpha_out,
                   tile_rows, has_bias, 0};
    return a;
}

static int deconv_count(int out, DECONV_SCALARS)
{
    conv_args a = deconv_make(DECONV_PASS);
    int ho, wo;
    if (conv_check<P, LB_WORDS, MAX_PIX, MAX_CO>(a) != 0)
        return 0;
    conv_out_size(a, &ho, &wo);
    return out ? ho * wo * fnrt_hls_ceil_div(co, P) : h * wd * fnrt_hls_ceil_div(ci, P);
}

static void deconv_read(hls::stream<act_axis> &in, hls::stream<act_vec> &out, DECONV_SCALARS)
{
    axis_to_stream<act_t, P>(in, out, deconv_count(0, DECONV_PASS));
}

static void deconv_write(hls::stream<act_vec> &in, hls::stream<act_axis> &out, DECONV_SCALARS)
{
    stream_to_axis<act_t, P>(in, out, deconv_count(1, DECONV_PASS));
}

static void deconv_run(hls::stream<act_vec> &xs, const wword *w, const float *bias,
                       hls::stream<act_vec> &ys, DECONV_SCALARS)
{
    conv_args a = deconv_make(DECONV_PASS);
    hls::stream<act_vec> no_res("deconv2d.no_res"); /* has_res = 0: never read */
    if (conv_check<P, LB_WORDS, MAX_PIX, MAX_CO>(a) == 0)
        conv_engine<prec, P, LB_WORDS, MAX_PIX, MAX_CO>(xs, w, bias, no_res, ys, a, 0);
}
} // namespace fnrt_hls

using namespace fnrt_hls;

extern "C" void fnrt_deconv2d(hls::stream<act_axis> &x, const wword *w, const float *bias,
                              hls::stream<act_axis> &y, DECONV_SCALARS)
{
#pragma HLS INTERFACE mode = axis port = x
#pragma HLS INTERFACE mode = axis port = y
#pragma HLS INTERFACE mode = m_axi port = w offset = slave bundle = gmem0 max_read_burst_length = 64 num_read_outstanding = 16
#pragma HLS INTERFACE mode = m_axi port = bias offset = slave bundle = gmem1
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS DATAFLOW
    hls::stream<act_vec> xs("deconv2d.x"), ys("deconv2d.y");
#pragma HLS STREAM variable = xs depth = 64
#pragma HLS STREAM variable = ys depth = 64
    deconv_read(x, xs, DECONV_PASS);
    deconv_run(xs, w, bias, ys, DECONV_PASS);
    deconv_write(ys, y, DECONV_PASS);
}
