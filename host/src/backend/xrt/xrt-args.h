/* fnrt — XRT backend: the scalar arguments of the HLS kernels for an op, and whether an op
 * fits a design at all.
 *
 * Values follow the top functions in hls/ (xrt-kernels.c lists them).  The conv/deconv band
 * height (tile_rows) is fnrt_hls_tile_rows() of the design's accumulator (max_pix) and line
 * buffer (lb_words): the kernel and its fnrt_s2mm (and a conv's residual fnrt_mm2s) then
 * run the op in bands of that many output rows, all in one run of the CUs.  Plain C without
 * XRT headers, so that the C-simulation test drives the HLS kernels with exactly the values
 * the backend sets. */
#ifndef FNRT_XRT_ARGS_H
#define FNRT_XRT_ARGS_H

#include "backend/xrt/xrt-layout.h"
#include "fnrt/fnrt-backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Glue stream orders (hls/glue/fnrt-glue.h). */
enum { FNRT_XRT_ORDER_PIXEL = 0, FNRT_XRT_ORDER_BAND = 1 };

/* Output rows per band of a conv/deconv op on design d (0 for other ops).  FNRT_ERR_UNSUPPORTED
 * naming the op and the limit when not even one row fits. */
fnrt_status fnrt_xrt_tile_rows(const fnrt_op *op, const fnrt_xrt_design *d, int *tile_rows);
/* Bands the op runs in (1 for ops that are not conv/deconv). */
int fnrt_xrt_n_bands(const fnrt_op *op, const fnrt_xrt_design *d);

/* FNRT_OK if every kernel of the op can run the op's shapes with design d's buffers (lane
 * count, line buffers, accumulator, channel limits); else FNRT_ERR_UNSUPPORTED with a message
 * naming the op, the value and the FNRT_HLS_* parameter it exceeds. */
fnrt_status fnrt_xrt_op_fits(const fnrt_op *op, const fnrt_xrt_design *d);

/* Value of scalar argument `name` of the op's kernel; has_bias / has_res: the optional
 * inputs are present.  0 if the kernel has no such argument. */
int fnrt_xrt_op_scalar(const fnrt_op *op, const fnrt_xrt_design *d, int has_bias, int has_res,
                       const char *name, int *iv, float *fv);

/* Value of scalar argument `name` of the fnrt_mm2s (is_input) or fnrt_s2mm CU that moves
 * one of the op's buffers (shape s) through kernel port `port`.  0 if unknown. */
int fnrt_xrt_glue_scalar(const fnrt_op *op, const fnrt_xrt_design *d, int is_input,
                         const char *port, const fnrt_shape *s, const char *name, int *iv);

#ifdef __cplusplus
}
#endif
#endif
