/* fnrt — XRT backend: the JSON sidecar of an xclbin (bitstreams/make-sidecar.py writes it as
 * <xclbin>.json; format "fnrt-xclbin/1") and its check against the xclbin at load.
 *
 * Checked, each mismatch an error naming the field and both values: "format"; "xclbin_sha256"
 * equals the sha256 of the xclbin file (required: a sidecar that cannot vouch for its xclbin
 * is refused); "xclbin_uuid" (optional, hex) equals the xclbin header's uuid (these three and
 * the missing-sidecar refusal are shared with the OpenCL backend: io/xclbin-sidecar.c);
 * "flow" is "hls" or absent (an "opencl" sidecar, `make FLOW=opencl`, holds the kernels_cl
 * kernels: FNRT_ERR_UNSUPPORTED, "use -b opencl"); "platform"
 * names the same card as the xclbin's platform VBNV (the first two '_'-separated words,
 * e.g. "xilinx_u250", since v++ writes the shell's VBNV there, not the .xpfm name);
 * "precision" agrees with hls.FNRT_HLS_PREC; "hls" gives FNRT_HLS_PREC and FNRT_HLS_P (the
 * other FNRT_HLS_* default as in hls/common/fnrt-hls-config.h) with sane values; "layout"
 * is blocked activations with lanes = FNRT_HLS_P and "packed-steps" weights; "kernels"
 * lists exactly the xclbin's kernels, each with exactly its CUs, each named port with the
 * kind (axis / m_axi / scalar) the xclbin gives it.  Not checked: "source_sha256" (the host
 * does not know the hash of the HLS sources a build used; the layout check stands for it),
 * "streams", "memory", "predicted".
 *
 * FNRT_HLS_PREC 3 (requantising int8, hls/common/fnrt-hls-types.h prec_q8) is refused with
 * FNRT_ERR_UNSUPPORTED: the host has no per-tensor activation scales to give it yet.
 * A missing sidecar is an error: without it the runtime cannot know the precision and lane
 * count the kernels were compiled with, and would silently produce wrong results.  Write
 * one with `python3 bitstreams/make-sidecar.py` (bitstreams/README.md). */
#ifndef FNRT_XRT_SIDECAR_H
#define FNRT_XRT_SIDECAR_H

#include <stddef.h>

#include "backend/xrt/xrt-internal.h"
#include "backend/xrt/xrt-layout.h"

typedef struct fnrt_xrt_sidecar {
    char path[1100];
    char platform[128], target[16];
    fnrt_xrt_design design;
} fnrt_xrt_sidecar;

/* Reads xclbin_path + ".json" and checks it against x (the parsed xclbin).  FNRT_ERR_IO when
 * it is missing or unreadable, FNRT_ERR_FORMAT when it is not valid JSON of the format or
 * does not match the xclbin. */
fnrt_status fnrt_xrt_sidecar_load(const char *xclbin_path, const fnrt_xclbin *x,
                                  fnrt_xrt_sidecar *out);

#endif
