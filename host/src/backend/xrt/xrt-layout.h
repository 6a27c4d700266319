/* fnrt — XRT backend: host-side data layout of the HLS design (hls/common/fnrt-hls-layout.h).
 *
 * fnrt buffers hold canonical float (C,H,W) tensors; the FPGA kernels read and write other
 * layouts in device memory.  A device copy (BO) of a buffer has one of these layouts:
 *   F32     plain float, element for element (conv/deconv bias);
 *   ACT     activations: blocked by the design's lane count P (channel block, rows, pixels,
 *           P lanes; channels padded to a multiple of P with zeros), element type act_t of
 *           the precision: float, or the raw 16/8-bit ap_fixed codes (little-endian);
 *           every stream argument (through fnrt_mm2s / fnrt_s2mm) and modulate's style;
 *   WT      conv/deconv weights packed into the engine's steps (P x P blocks, 512-bit
 *           words), element type wt_t: float or raw ap_fixed codes;
 *   WT_F32  the same element positions as WT but float values (fnrt_modulate's input).
 * The precision and P come from the xclbin's sidecar (xrt-sidecar.c).  Quantisation is
 * ap_fixed's AP_RND / AP_SAT: round to nearest with ties toward plus infinity, saturate;
 * NaN becomes 0.  Plain C without XRT headers: the C-simulation test (tests/
 * test_xrt_layout.cpp) packs with this code, runs the HLS kernels and unpacks again. */
#ifndef FNRT_XRT_LAYOUT_H
#define FNRT_XRT_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "fnrt/fnrt-backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* FNRT_HLS_PREC values (hls/common/fnrt-hls-config.h). */
typedef enum fnrt_xrt_prec {
    FNRT_XRT_PREC_F32 = 0,  /* float everywhere ("fp32") */
    FNRT_XRT_PREC_FX16 = 1, /* act ap_fixed<16,6>, weights ap_fixed<16,3> ("int16") */
    FNRT_XRT_PREC_FX8 = 2   /* act ap_fixed<8,4>, weights ap_fixed<8,1> ("int8") */
} fnrt_xrt_prec;

/* The compile-time parameters of an xclbin's kernels (FNRT_HLS_* of its sidecar). */
typedef struct fnrt_xrt_design {
    fnrt_xrt_prec prec;
    int p;        /* lanes */
    int max_pix;  /* conv accumulator depth in pixels */
    int lb_words; /* conv line buffer in words of P lanes */
    int max_co, max_wc, max_w, max_c;
} fnrt_xrt_design;

/* The defaults of hls/common/fnrt-hls-config.h (a small float design, P = 8). */
void fnrt_xrt_design_default(fnrt_xrt_design *d);
/* "fp32" / "int16" / "int8" (the sidecar's "precision"); NULL for an invalid value. */
const char *fnrt_xrt_prec_str(fnrt_xrt_prec p);

/* Number formats: bits per element and fractional bits (0 for float). */
int fnrt_xrt_act_bits(fnrt_xrt_prec p);
int fnrt_xrt_act_frac(fnrt_xrt_prec p);
int fnrt_xrt_wt_bits(fnrt_xrt_prec p);
int fnrt_xrt_wt_frac(fnrt_xrt_prec p);
/* x as a (bits, frac) ap_fixed code with AP_RND/AP_SAT, and back. */
int32_t fnrt_xrt_quant(float x, int bits, int frac);
float fnrt_xrt_dequant(int32_t code, int frac);

typedef enum fnrt_xrt_layout_kind {
    FNRT_XRT_LAYOUT_F32 = 0,
    FNRT_XRT_LAYOUT_ACT,
    FNRT_XRT_LAYOUT_WT,
    FNRT_XRT_LAYOUT_WT_F32
} fnrt_xrt_layout_kind;

typedef struct fnrt_xrt_layout {
    fnrt_xrt_layout_kind kind;
    size_t n_elems;                /* canonical float elements */
    int c, h, w;                   /* ACT */
    int ci, co, kh, kw, stride, transposed; /* WT, WT_F32 (stride 1 when not transposed) */
} fnrt_xrt_layout;

/* Layouts of the three kinds of buffer (shape: the canonical tensor). */
void fnrt_xrt_layout_f32(const fnrt_shape *shape, fnrt_xrt_layout *l);
void fnrt_xrt_layout_act(const fnrt_shape *shape, fnrt_xrt_layout *l);
/* Weights of a conv (OIHW, transposed 0) or deconv (IOHW, transposed 1). */
void fnrt_xrt_layout_wt(int ci, int co, int kh, int kw, int stride, int transposed, int f32,
                        fnrt_xrt_layout *l);
/* The layout op's buffer argument k (0..n_in-1 inputs, n_in the output) has on the device;
 * is_stream: the kernel argument is an AXI4-Stream (moved by the glue kernels).
 * FNRT_ERR_INTERNAL for a combination no kernel has. */
fnrt_status fnrt_xrt_layout_for_arg(const fnrt_op *op, int k, int is_stream,
                                    fnrt_xrt_layout *l);
int fnrt_xrt_layout_equal(const fnrt_xrt_layout *a, const fnrt_xrt_layout *b);

/* Bytes of the device copy. */
size_t fnrt_xrt_layout_bytes(const fnrt_xrt_design *d, const fnrt_xrt_layout *l);
/* Canonical floats (l->n_elems) -> device bytes (fnrt_xrt_layout_bytes; padding zeroed). */
void fnrt_xrt_layout_pack(const fnrt_xrt_design *d, const fnrt_xrt_layout *l, const float *src,
                          void *dst);
/* Device bytes -> canonical floats (l->n_elems; padding ignored). */
void fnrt_xrt_layout_unpack(const fnrt_xrt_design *d, const fnrt_xrt_layout *l, const void *src,
                            float *dst);

#ifdef __cplusplus
}
#endif
#endif
