/* fnrt_maxmerge: FNRT_OP_MAXMERGE as a Vitis kernel (kernels_cl/elementwise.cl).  x, y:
 * pixel-order streams of n_pix pixels of c channels, skip: of c - k channels;
 * y = concat(x[:k], max(x[k:], skip)). */
#include "fnrt-merge.h"

#include "../common/fnrt-hls-config.h"

using namespace fnrt_hls;

static int merge_ok(int c, int k)
{
    return c >= 1 && k >= 0 && k < c && c <= FNRT_HLS_MAX_C;
}
/* which = 0: x, 1: skip */
static void merge_read(hls::stream<act_axis> &in, hls::stream<act_vec> &s, int which, int c, int k,
                       int n)
{
    const int groups = fnrt_hls_ceil_div(which ? c - k : c, P);
    axis_to_stream<act_t, P>(in, s, merge_ok(c, k) ? n * groups : 0);
}
static void merge_run(hls::stream<act_vec> &xs, hls::stream<act_vec> &ss, hls::stream<act_vec> &ys,
                      int c, int k, int n)
{
    if (merge_ok(c, k))
        maxmerge_core<act_t, P, FNRT_HLS_MAX_C>(xs, ss, ys, c, k, n);
}
static void merge_write(hls::stream<act_vec> &ys, hls::stream<act_axis> &y, int c, int k, int n)
{
    stream_to_axis<act_t, P>(ys, y, merge_ok(c, k) ? n * fnrt_hls_ceil_div(c, P) : 0);
}

extern "C" void fnrt_maxmerge(hls::stream<act_axis> &x, hls::stream<act_axis> &skip,
                              hls::stream<act_axis> &y, int c, int k, int n_pix)
{
#pragma HLS INTERFACE mode = axis port = x
#pragma HLS INTERFACE mode = axis port = skip
#pragma HLS INTERFACE mode = axis port = y
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS DATAFLOW
    hls::stream<act_vec> xs("maxmerge.x"), ss("maxmerge.skip"), ys("maxmerge.y");
    merge_read(x, xs, 0, c, k, n_pix);
    merge_read(skip, ss, 1, c, k, n_pix);
    merge_run(xs, ss, ys, c, k, n_pix);
    merge_write(ys, y, c, k, n_pix);
}
