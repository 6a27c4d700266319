/* fnrt_add: FNRT_OP_ADD as a Vitis kernel (kernels_cl/elementwise.cl).  a, b, y: pixel-order
 * streams of n_pix pixels of c channels; y = act(a + b). */
#include "fnrt-merge.h"

#include "../common/fnrt-hls-config.h"

using namespace fnrt_hls;

static int add_beats(int c, int n_pix)
{
    return c >= 1 && n_pix >= 0 ? n_pix * fnrt_hls_ceil_div(c, P) : 0;
}
static void add_read(hls::stream<act_axis> &x, hls::stream<act_vec> &xs, int n)
{
    axis_to_stream<act_t, P>(x, xs, n);
}
static void add_run(hls::stream<act_vec> &as, hls::stream<act_vec> &bs, hls::stream<act_vec> &ys,
                    int n, int act, float alpha)
{
    add_core<prec, P>(as, bs, ys, n, act, alpha);
}
static void add_write(hls::stream<act_vec> &ys, hls::stream<act_axis> &y, int n)
{
    stream_to_axis<act_t, P>(ys, y, n);
}

extern "C" void fnrt_add(hls::stream<act_axis> &a, hls::stream<act_axis> &b,
                         hls::stream<act_axis> &y, int c, int n_pix, int act, float alpha)
{
#pragma HLS INTERFACE mode = axis port = a
#pragma HLS INTERFACE mode = axis port = b
#pragma HLS INTERFACE mode = axis port = y
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS DATAFLOW
    hls::stream<act_vec> as("add.a"), bs("add.b"), ys("add.y");
    const int n = add_beats(c, n_pix);
    add_read(a, as, n);
    add_read(b, bs, n);
    add_run(as, bs, ys, n, act, alpha);
    add_write(ys, y, n);
}
