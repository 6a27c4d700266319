/* fnrt — the JSON sidecar of an xclbin (<xclbin>.json, format "fnrt-xclbin/1"), the part both
 * FPGA flows share: the XRT backend (HLS kernels, host/src/backend/xrt/xrt-sidecar.c) and the
 * OpenCL backend's Xilinx flow (kernels_cl kernels, host/src/backend/opencl/opencl-xclbin.c).
 * Needs no XRT: the xclbin's sha256 and header uuid are read from the file as bytes.
 *
 * fnrt_sidecar_open checks, in this order, each failure an error naming the field and both
 * values: the sidecar exists (FNRT_ERR_IO otherwise: a missing sidecar is refused by both
 * backends, because without it the runtime cannot know how the kernels were compiled); it is a
 * JSON object; "format" is fnrt-xclbin/1; "xclbin_sha256" is present and equals the file's
 * sha256 (a rebuilt xclbin next to a stale sidecar is refused); "xclbin_uuid", when present,
 * equals the header's; "flow" is "hls" (or absent: sidecars written before the OpenCL flow
 * existed) or "opencl"; "platform" is a non-empty string.  What each flow needs beyond that
 * (HLS design parameters, OpenCL tunables ...) is checked by the backend on s->root. */
#ifndef FNRT_IO_XCLBIN_SIDECAR_H
#define FNRT_IO_XCLBIN_SIDECAR_H

#include <stddef.h>

#include <jansson.h>

#include "fnrt/fnrt-status.h"

/* Which kernels an xclbin holds. */
typedef enum fnrt_xclbin_flow {
    FNRT_XCLBIN_FLOW_HLS = 0, /* hls/ kernels (blocked lanes, packed weights, streams): -b xrt */
    FNRT_XCLBIN_FLOW_OPENCL   /* kernels_cl/ kernels (float CHW buffers): -b opencl */
} fnrt_xclbin_flow;

/* struct axlf (xrt/xclbin.h): "xclbin2\0" magic at 0, m_header.uuid at byte 416. */
#define FNRT_AXLF_UUID_OFFSET 416

typedef struct fnrt_sidecar {
    char path[1100];                /* <xclbin>.json */
    char platform[128], target[16]; /* target "?" when the sidecar gives none */
    fnrt_xclbin_flow flow;
    json_t *root; /* the whole sidecar, owned: fnrt_sidecar_close */
} fnrt_sidecar;

/* The hex sha256 of the file and its axlf header uuid.  FNRT_ERR_IO when it cannot be read,
 * FNRT_ERR_FORMAT when it has no xclbin2 magic or is shorter than the header.  Messages start
 * with who ("opencl", "XRT backend"). */
fnrt_status fnrt_xclbin_file_id(const char *who, const char *xclbin_path, char sha256[65],
                                unsigned char uuid[16]);

/* Reads xclbin_path + ".json" and runs the shared checks above against sha256/uuid (uuid may
 * be NULL: not compared).  missing_hint completes the missing-sidecar message ("without it
 * ..."), naming what is unknown and how to write one.  On success the caller owns out->root;
 * on failure out->root is NULL. */
fnrt_status fnrt_sidecar_open(const char *who, const char *xclbin_path, const char *sha256,
                              const unsigned char *uuid, const char *missing_hint,
                              fnrt_sidecar *out);
void fnrt_sidecar_close(fnrt_sidecar *s);

/* "hls" / "opencl" */
const char *fnrt_xclbin_flow_str(fnrt_xclbin_flow flow);
/* The string value of o[key], NULL when absent or not a string. */
const char *fnrt_sidecar_str(json_t *o, const char *key);

#endif
