/* fnrt_modulate: FNRT_OP_MODULATE as a Vitis kernel (kernels_cl/modconv.cl), writing the
 * modulated weight in the packed layout fnrt_conv2d reads (hls/modconv/fnrt-modulate.h).
 * w: raw weight packed as float words, s: style (act_t[ci]), y: packed wt_t words. */
#include "fnrt-modulate.h"

#include "../common/fnrt-hls-config.h"

using namespace fnrt_hls;

extern "C" void fnrt_modulate(const fword *w, const act_t *s, vec<wt_t, 512 / num<wt_t>::bits> *y,
                              int co, int ci, int k, float scale, float eps)
{
#pragma HLS INTERFACE mode = m_axi port = w offset = slave bundle = gmem0 max_read_burst_length = 64
#pragma HLS INTERFACE mode = m_axi port = s offset = slave bundle = gmem1
#pragma HLS INTERFACE mode = m_axi port = y offset = slave bundle = gmem2 max_write_burst_length = 64
#pragma HLS INTERFACE mode = s_axilite port = return
    if (co < 1 || ci < 1 || k < 1 || co > FNRT_HLS_MAX_CO || ci > FNRT_HLS_MAX_C)
        return;
    modulate_core<prec, P, FNRT_HLS_MAX_C>(w, s, y, co, ci, k, scale, eps);
}
