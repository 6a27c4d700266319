/* The Vitis top functions of the HLS kernels (hls/<family>/fnrt-*.cpp) as a test sees them
 * when it is compiled with the same FNRT_HLS_* design as the kernel sources linked into it
 * (tests/test-hls.cmake).  Include after fnrt-hls-config.h, inside no namespace. */
#ifndef FNRT_TEST_HLS_TOPS_H
#define FNRT_TEST_HLS_TOPS_H

#include "fnrt-hls-config.h"

typedef fnrt_hls::vec<fnrt_hls::wt_t, 512 / fnrt_hls::num<fnrt_hls::wt_t>::bits> wword;

extern "C" void fnrt_conv2d(hls::stream<fnrt_hls::act_axis> &x, const wword *w, const float *bias,
                            hls::stream<fnrt_hls::act_axis> &res,
                            hls::stream<fnrt_hls::act_axis> &y, int ci, int h, int wd, int co,
                            int kh, int kw, int stride, int pad, int act_in, int act_out,
                            float alpha_in, float alpha_out, int tile_rows, int has_bias,
                            int has_res);
extern "C" void fnrt_deconv2d(hls::stream<fnrt_hls::act_axis> &x, const wword *w, const float *bias,
                              hls::stream<fnrt_hls::act_axis> &y, int ci, int h, int wd, int co,
                              int k, int stride, int pad, int act_in, int act_out, float alpha_in,
                              float alpha_out, int tile_rows, int has_bias);
extern "C" void fnrt_maxpool(hls::stream<fnrt_hls::act_axis> &x, hls::stream<fnrt_hls::act_axis> &y,
                             int c, int h, int w, int k, int stride, int pad);
extern "C" void fnrt_upsample2x(hls::stream<fnrt_hls::act_axis> &x,
                                hls::stream<fnrt_hls::act_axis> &y, int c, int h, int w,
                                int align_corners);
extern "C" void fnrt_concat(hls::stream<fnrt_hls::act_axis> &a, hls::stream<fnrt_hls::act_axis> &b,
                            hls::stream<fnrt_hls::act_axis> &y, int ca, int cb, int stride_b,
                            int n_pix);
extern "C" void fnrt_gray(hls::stream<fnrt_hls::act_axis> &x, hls::stream<fnrt_hls::act_axis> &y,
                          int n_pix);
extern "C" void fnrt_l2norm(hls::stream<fnrt_hls::act_axis> &x, hls::stream<fnrt_hls::act_axis> &y,
                            int n_pix, int swizzle, float eps);
extern "C" void fnrt_add(hls::stream<fnrt_hls::act_axis> &a, hls::stream<fnrt_hls::act_axis> &b,
                         hls::stream<fnrt_hls::act_axis> &y, int c, int n_pix, int act,
                         float alpha);
extern "C" void fnrt_maxmerge(hls::stream<fnrt_hls::act_axis> &x,
                              hls::stream<fnrt_hls::act_axis> &skip,
                              hls::stream<fnrt_hls::act_axis> &y, int c, int k, int n_pix);
extern "C" void fnrt_global_avgpool(hls::stream<fnrt_hls::act_axis> &x,
                                    hls::stream<fnrt_hls::act_axis> &y, int c, int h, int w);
extern "C" void fnrt_modulate(const fnrt_hls::vec<float, 16> *w, const fnrt_hls::act_t *s, wword *y,
                              int co, int ci, int k, float scale, float eps);
extern "C" void fnrt_mm2s(const fnrt_hls::act_t *src, hls::stream<fnrt_hls::act_axis> &out, int c,
                          int h, int w, int c_first, int c_step, int order, int tile_rows);
extern "C" void fnrt_s2mm(hls::stream<fnrt_hls::act_axis> &in, fnrt_hls::act_t *dst, int c, int h,
                          int w, int c_base, int order, int tile_rows);

#endif
