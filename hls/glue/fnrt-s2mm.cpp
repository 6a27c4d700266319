/* fnrt_s2mm: AXI4-Stream -> global memory (glue behind every streaming kernel).  Writes a
 * pixel-order (order 0) or band-order (order 1) stream of c channels into channels
 * c_base .. c_base+c-1 (c_base % P == 0) of a blocked tensor of H x W maps
 * (hls/glue/fnrt-glue.h). */
#include "fnrt-glue.h"

#include "../common/fnrt-hls-config.h"

using namespace fnrt_hls;

static void s2mm_recv(hls::stream<act_axis> &in, hls::stream<act_vec> &s, int c, int h, int w)
{
    axis_to_stream<act_t, P>(in, s, h * w * fnrt_hls_ceil_div(c, P));
}

static void s2mm_write(hls::stream<act_vec> &s, act_t *dst, int c, int h, int w, int c_base,
                       int order, int tile_rows)
{
    s2mm_core<act_t, P, FNRT_HLS_MAX_WC / FNRT_HLS_P>(s, dst, c, h, w, c_base, order, tile_rows);
}

extern "C" void fnrt_s2mm(hls::stream<act_axis> &in, act_t *dst, int c, int h, int w, int c_base,
                          int order, int tile_rows)
{
#pragma HLS INTERFACE mode = axis port = in
#pragma HLS INTERFACE mode = m_axi port = dst offset = slave bundle = gmem0 max_write_burst_length = 64
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS DATAFLOW
    hls::stream<act_vec> s("s2mm.s");
#pragma HLS STREAM variable = s depth = 64
    s2mm_recv(in, s, c, h, w);
    s2mm_write(s, dst, c, h, w, c_base, order, tile_rows);
}
