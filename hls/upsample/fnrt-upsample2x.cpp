/* fnrt_upsample2x: FNRT_OP_UPSAMPLE2X as a Vitis kernel (kernels_cl/upsample.cl).
 * x: AXI4-Stream pixel order (h x w), y: pixel order (2h x 2w). */
#include "fnrt-upsample.h"

#include "../common/fnrt-hls-config.h"

using namespace fnrt_hls;

static const int UP_LB_WORDS = 3 * FNRT_HLS_MAX_WC / FNRT_HLS_P;

static void up_read(hls::stream<act_axis> &x, hls::stream<act_vec> &xs, int c, int h, int w)
{
    axis_to_stream<act_t, P>(
        x, xs, upsample_check<P, UP_LB_WORDS>(c, h, w) == 0 ? h * w * fnrt_hls_ceil_div(c, P) : 0);
}

static void up_run(hls::stream<act_vec> &xs, hls::stream<act_vec> &ys, int c, int h, int w,
                   int align_corners)
{
    if (upsample_check<P, UP_LB_WORDS>(c, h, w) == 0)
        upsample2x_core<prec, P, UP_LB_WORDS>(xs, ys, c, h, w, align_corners);
}

static void up_write(hls::stream<act_vec> &ys, hls::stream<act_axis> &y, int c, int h, int w)
{
    stream_to_axis<act_t, P>(
        ys, y,
        upsample_check<P, UP_LB_WORDS>(c, h, w) == 0 ? 4 * h * w * fnrt_hls_ceil_div(c, P) : 0);
}

extern "C" void fnrt_upsample2x(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int c, int h,
                                int w, int align_corners)
{
#pragma HLS INTERFACE mode = axis port = x
#pragma HLS INTERFACE mode = axis port = y
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS DATAFLOW
    hls::stream<act_vec> xs("upsample.x"), ys("upsample.y");
    up_read(x, xs, c, h, w);
    up_run(xs, ys, c, h, w, align_corners);
    up_write(ys, y, c, h, w);
}
