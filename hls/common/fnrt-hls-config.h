/* Compile-time design parameters of the fnrt HLS kernels.  One table for all kernels; the
 * v++ compile step (bitstreams/Makefile) passes the values chosen for a platform with
 * -D, defaults here are a small float design for C-simulation.  sim/ (fnrt-sim) models
 * exactly these parameters; its "design" command prints the -D line for a design it
 * predicts.
 *
 *   FNRT_HLS_PREC      0 = float, 1 = ap_fixed 16-bit, 2 = ap_fixed 8-bit, 3 = requantising
 *                      int8 with per-output-channel weight scales (fnrt-hls-types.h; so far
 *                      only the conv/deconv engine and its bench, tb-conv2d-q8.cpp, use 3)
 *   FNRT_HLS_P         lanes: channels per stream beat; the conv engine is a P x P MAC array
 *   FNRT_HLS_MAX_WC    longest input row: width x channels (channels rounded up to P)
 *   FNRT_HLS_MAX_PIX   conv accumulator depth in pixels: the band (tile) size; a layer of
 *                      output width wo runs in bands of min(ho, MAX_PIX / wo) rows
 *   FNRT_HLS_LB_WORDS  conv line buffer in words of P lanes (a band's input rows must fit)
 *   FNRT_HLS_MAX_CO    most output channels (bias buffer)
 *   FNRT_HLS_MAX_W     widest map for pool/upsample/elementwise kernels
 *   FNRT_HLS_MAX_C     most channels for pool/upsample/modulate */
#ifndef FNRT_HLS_CONFIG_H
#define FNRT_HLS_CONFIG_H

#ifndef FNRT_HLS_PREC
#define FNRT_HLS_PREC 0
#endif
#ifndef FNRT_HLS_P
#define FNRT_HLS_P 8
#endif
#ifndef FNRT_HLS_MAX_WC
#define FNRT_HLS_MAX_WC 16384
#endif
#ifndef FNRT_HLS_MAX_PIX
#define FNRT_HLS_MAX_PIX 2048
#endif
#ifndef FNRT_HLS_LB_WORDS
#define FNRT_HLS_LB_WORDS (12 * FNRT_HLS_MAX_WC / FNRT_HLS_P)
#endif
#ifndef FNRT_HLS_MAX_CO
#define FNRT_HLS_MAX_CO 512
#endif
#ifndef FNRT_HLS_MAX_W
#define FNRT_HLS_MAX_W 256
#endif
#ifndef FNRT_HLS_MAX_C
#define FNRT_HLS_MAX_C 1024
#endif

#include "fnrt-hls-types.h"

namespace fnrt_hls {
#if FNRT_HLS_PREC == 0
typedef prec_f32 prec;
#elif FNRT_HLS_PREC == 1
typedef prec_fx16 prec;
#elif FNRT_HLS_PREC == 2
typedef prec_fx8 prec;
#elif FNRT_HLS_PREC == 3
typedef prec_q8 prec;
#else
#error "FNRT_HLS_PREC must be 0, 1, 2 or 3"
#endif
const int P = FNRT_HLS_P;
typedef prec::act_t act_t;
typedef prec::wt_t wt_t;
typedef vec<act_t, FNRT_HLS_P> act_vec;
typedef axis<act_t, FNRT_HLS_P>::type act_axis; /* kernel-to-kernel stream beat */
} // namespace fnrt_hls

#endif
