/* fnrt_mm2s: global memory -> AXI4-Stream (glue in front of every streaming kernel).
 * Reads channels c_first + k*c_step (k < c) of a blocked tensor of H x W maps
 * (hls/glue/fnrt-glue.h) and emits them in pixel order (order 0), band order with
 * tile_rows-row bands (order 1; c_first % P == 0, c_step == 1), or as the im2col expansion
 * of a thin input for a k x k conv (order 2, c <= P; tile_rows = k | stride << 8 | pad << 16;
 * the stream then has ho*wo pixels of ceil(c*k*k/P) beats). */
#include "fnrt-glue.h"

#include "../common/fnrt-hls-config.h"

using namespace fnrt_hls;

static void mm2s_read(const act_t *src, hls::stream<act_vec> &s, int c, int h, int w,
                      int c_first, int c_step, int order, int tile_rows)
{
    mm2s_core<act_t, P, FNRT_HLS_MAX_WC / FNRT_HLS_P>(
        src, s, c, h, w, c_first, c_step, order, tile_rows);
}

static void mm2s_send(hls::stream<act_vec> &s, hls::stream<act_axis> &out, int c, int h, int w,
                      int order, int tile_rows)
{
    int n = h * w * fnrt_hls_ceil_div(c, P);
    if (order == ORDER_IM2COL) {
        const int k = tile_rows & 255, st = (tile_rows >> 8) & 255, pad = (tile_rows >> 16) & 255;
        n = ((h + 2 * pad - k) / st + 1) * ((w + 2 * pad - k) / st + 1) *
            fnrt_hls_ceil_div(c * k * k, P);
    }
    stream_to_axis<act_t, P>(s, out, n);
}

extern "C" void fnrt_mm2s(const act_t *src, hls::stream<act_axis> &out, int c, int h, int w,
                          int c_first, int c_step, int order, int tile_rows)
{
#pragma HLS INTERFACE mode = m_axi port = src offset = slave bundle = gmem0 max_read_burst_length = 64
#pragma HLS INTERFACE mode = axis port = out
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS DATAFLOW
    hls::stream<act_vec> s("mm2s.s");
#pragma HLS STREAM variable = s depth = 64
    mm2s_read(src, s, c, h, w, c_first, c_step, order, tile_rows);
    mm2s_send(s, out, c, h, w, order, tile_rows);
}
