/* fnrt_l2norm: FNRT_OP_L2NORM as a Vitis kernel (kernels_cl/elementwise.cl).  x, y:
 * 3-channel pixel-order streams of n_pix pixels. */
#include "fnrt-elementwise.h"

#include "../common/fnrt-hls-config.h"

using namespace fnrt_hls;

static void l2_read(hls::stream<act_axis> &x, hls::stream<act_vec> &xs, int n)
{
    axis_to_stream<act_t, P>(x, xs, n);
}
static void l2_run(hls::stream<act_vec> &xs, hls::stream<act_vec> &ys, int n, int swizzle,
                   float eps)
{
    l2norm_core<prec, P>(xs, ys, n, swizzle, eps);
}
static void l2_write(hls::stream<act_vec> &ys, hls::stream<act_axis> &y, int n)
{
    stream_to_axis<act_t, P>(ys, y, n);
}

extern "C" void fnrt_l2norm(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int n_pix,
                            int swizzle, float eps)
{
#pragma HLS INTERFACE mode = axis port = x
#pragma HLS INTERFACE mode = axis port = y
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS DATAFLOW
    hls::stream<act_vec> xs("l2norm.x"), ys("l2norm.y");
    l2_read(x, xs, n_pix);
    l2_run(xs, ys, n_pix, swizzle, eps);
    l2_write(ys, y, n_pix);
}
