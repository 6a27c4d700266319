/* fnrt_concat: FNRT_OP_CONCAT as a Vitis kernel (kernels_cl/elementwise.cl).  a, b, y:
 * pixel-order streams of n_pix pixels; y = a's ca channels, then b[0::stride_b].  (The
 * runtime can also realise a concat without this kernel: two fnrt_s2mm units writing the
 * two channel ranges of one buffer, and fnrt_mm2s reading b with c_step = stride_b.) */
#include "fnrt-elementwise.h"

#include "../common/fnrt-hls-config.h"

using namespace fnrt_hls;

static int cat_ok(int ca, int cb, int stride_b)
{
    return ca >= 1 && cb >= 1 && stride_b >= 1 && ca <= FNRT_HLS_MAX_C && cb <= FNRT_HLS_MAX_C;
}
/* which = 0: a, 1: b */
static void cat_read(hls::stream<act_axis> &x, hls::stream<act_vec> &xs, int which, int ca,
                     int cb, int stride_b, int n)
{
    const int c = which ? cb : ca;
    axis_to_stream<act_t, P>(x, xs, cat_ok(ca, cb, stride_b) ? n * fnrt_hls_ceil_div(c, P) : 0);
}
static void cat_run(hls::stream<act_vec> &as, hls::stream<act_vec> &bs, hls::stream<act_vec> &ys,
                    int ca, int cb, int stride_b, int n)
{
    if (cat_ok(ca, cb, stride_b))
        concat_core<act_t, P, FNRT_HLS_MAX_C>(as, bs, ys, ca, cb, stride_b, n);
}
static void cat_write(hls::stream<act_vec> &ys, hls::stream<act_axis> &y, int ca, int cb,
                      int stride_b, int n)
{
    int cy = ca + (cb + stride_b - 1) / (stride_b > 0 ? stride_b : 1);
    stream_to_axis<act_t, P>(ys, y, cat_ok(ca, cb, stride_b) ? n * fnrt_hls_ceil_div(cy, P) : 0);
}

extern "C" void fnrt_concat(hls::stream<act_axis> &a, hls::stream<act_axis> &b,
                            hls::stream<act_axis> &y, int ca, int cb, int stride_b, int n_pix)
{
#pragma HLS INTERFACE mode = axis port = a
#pragma HLS INTERFACE mode = axis port = b
#pragma HLS INTERFACE mode = axis port = y
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS DATAFLOW
    hls::stream<act_vec> as("concat.a"), bs("concat.b"), ys("concat.y");
    cat_read(a, as, 0, ca, cb, stride_b, n_pix);
    cat_read(b, bs, 1, ca, cb, stride_b, n_pix);
    cat_run(as, bs, ys, ca, cb, stride_b, n_pix);
    cat_write(ys, y, ca, cb, stride_b, n_pix);
}
