/* fnrt_maxpool: FNRT_OP_MAXPOOL as a Vitis kernel (kernels_cl/pool.cl has the OpenCL one).
 * x, y: AXI4-Stream, pixel order.  k <= 3. */
#include "fnrt-pool.h"

#include "../common/fnrt-hls-config.h"

using namespace fnrt_hls;

static const int POOL_LB_WORDS = 3 * FNRT_HLS_MAX_WC / FNRT_HLS_P;

static int pool_beats(int out, int c, int h, int w, int k, int s, int pad)
{
    if (maxpool_check<P, POOL_LB_WORDS, 3>(c, h, w, k, s, pad) != 0)
        return 0;
    const int ncg = fnrt_hls_ceil_div(c, P);
    if (!out)
        return h * w * ncg;
    return ((h + 2 * pad - k) / s + 1) * ((w + 2 * pad - k) / s + 1) * ncg;
}

static void pool_read(hls::stream<act_axis> &x, hls::stream<act_vec> &xs, int c, int h, int w,
                      int k, int s, int pad)
{
    axis_to_stream<act_t, P>(x, xs, pool_beats(0, c, h, w, k, s, pad));
}

static void pool_run(hls::stream<act_vec> &xs, hls::stream<act_vec> &ys, int c, int h, int w,
                     int k, int s, int pad)
{
    if (maxpool_check<P, POOL_LB_WORDS, 3>(c, h, w, k, s, pad) == 0)
        maxpool_core<act_t, P, POOL_LB_WORDS, 3>(xs, ys, c, h, w, k, s, pad);
}

static void pool_write(hls::stream<act_vec> &ys, hls::stream<act_axis> &y, int c, int h, int w,
                       int k, int s, int pad)
{
    stream_to_axis<act_t, P>(ys, y, pool_beats(1, c, h, w, k, s, pad));
}

extern "C" void fnrt_maxpool(hls::stream<act_axis> &x, hls::stream<act_axis> &y, int c, int h,
                             int w, int k, int stride, int pad)
{
#pragma HLS INTERFACE mode = axis port = x
#pragma HLS INTERFACE mode = axis port = y
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS DATAFLOW
    hls::stream<act_vec> xs("maxpool.x"), ys("maxpool.y");
    pool_read(x, xs, c, h, w, k, stride, pad);
    pool_run(xs, ys, c, h, w, k, stride, pad);
    pool_write(ys, y, c, h, w, k, stride, pad);
}
