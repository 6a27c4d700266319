/* fnrt_global_avgpool: FNRT_OP_GLOBAL_AVGPOOL as a Vitis kernel (kernels_cl/pool.cl).
 * x: AXI4-Stream pixel order (H x W pixels), y: one pixel of c channels. */
#include "fnrt-pool.h"

#include "../common/fnrt-hls-config.h"

using namespace fnrt_hls;

static void gap_read(hls::stream<act_axis> &x, hls::stream<act_vec> &xs, int c, int h, int w)
{
    axis_to_stream<act_t, P>(x, xs, c <= FNRT_HLS_MAX_C ? h * w * fnrt_hls_ceil_div(c, P) : 0);
}

static void gap_run(hls::stream<act_vec> &xs, hls::stream<act_vec> &ys, int c, int h, int w)
{
    if (c <= FNRT_HLS_MAX_C)
        global_avgpool_core<prec, P, FNRT_HLS_MAX_C>(xs, ys, c, h, w);
}

static void gap_write(hls::stream<act_vec> &ys, hls::stream<act_axis> &y, int c)
{
    stream_to_axis<act_t, P>(ys, y, c <= FNRT_HLS_MAX_C ? fnrt_hls_ceil_div(c, P) : 0);
}

extern "C" void fnrt_global_avgpool(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int c,
                                    int h, int w)
{
#pragma HLS INTERFACE mode = axis port = x
#pragma HLS INTERFACE mode = axis port = y
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS DATAFLOW
    hls::stream<act_vec> xs("gap.x"), ys("gap.y");
    gap_read(x, xs, c, h, w);
    gap_run(xs, ys, c, h, w);
    gap_write(ys, y, c);
}
