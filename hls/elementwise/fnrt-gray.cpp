/* fnrt_gray: FNRT_OP_GRAY as a Vitis kernel (kernels_cl/elementwise.cl).  x: 3-channel
 * pixel-order stream of n_pix pixels, y: 1-channel stream. */
#include "fnrt-elementwise.h"

#include "../common/fnrt-hls-config.h"

using namespace fnrt_hls;

static void gray_read(hls::stream<act_axis> &x, hls::stream<act_vec> &xs, int n)
{
    axis_to_stream<act_t, P>(x, xs, n);
}
static void gray_run(hls::stream<act_vec> &xs, hls::stream<act_vec> &ys, int n)
{
    gray_core<prec, P>(xs, ys, n);
}
static void gray_write(hls::stream<act_vec> &ys, hls::stream<act_axis> &y, int n)
{
    stream_to_axis<act_t, P>(ys, y, n);
}

extern "C" void fnrt_gray(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int n_pix)
{
#pragma HLS INTERFACE mode = axis port = x
#pragma HLS INTERFACE mode = axis port = y
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS DATAFLOW
    hls::stream<act_vec> xs("gray.x"), ys("gray.y");
    gray_read(x, xs, n_pix);
    gray_run(xs, ys, n_pix);
    gray_write(ys, y, n_pix);
}
