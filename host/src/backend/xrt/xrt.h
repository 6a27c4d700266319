/* fnrt — XRT backend (native XRT C API, AMD/Xilinx Alveo): helpers besides the
 * fnrt_backend_xrt op table.  Built only when CMake finds XRT (FNRT_HAVE_XRT).
 *
 * Device string: "path/to/fnrt.xclbin[:N]" (N = XRT device index, default 0); NULL or ""
 * takes the xclbin from the environment variable FNRT_XCLBIN.  The xclbin's JSON sidecar
 * "path/to/fnrt.xclbin.json" (bitstreams/make-sidecar.py) must be next to it: it is checked
 * against the xclbin and gives the design the host packs data for (xrt-sidecar.h).
 *
 * Environment: FNRT_XCLBIN (see above); FNRT_XRT_TIMINGS=1 prints the timings
 * (fnrt_xrt_print_timings) to stderr when the backend is destroyed.
 */
#ifndef FNRT_BACKEND_XRT_H
#define FNRT_BACKEND_XRT_H

#include <stdio.h>

#include "fnrt/fnrt-backend.h"

#ifdef FNRT_HAVE_XRT
extern const fnrt_backend_ops fnrt_backend_xrt;
#endif

/* Reads an xclbin and prints its kernels (arguments with kind, CUs, memory banks of each
 * memory argument) against the expected table (xrt-kernels.c); needs no device.
 * FNRT_OK: every kernel of the table present with the expected arguments;
 * FNRT_ERR_UNSUPPORTED: some op kernels missing (networks using those ops cannot run), all
 * present ones right; FNRT_ERR_FORMAT: unreadable file, a glue kernel (fnrt_mm2s, fnrt_s2mm)
 * missing or a wrong argument list; FNRT_ERR_IO: cannot read the file.  report may be NULL.
 * Always defined: built without XRT it prints why and returns FNRT_ERR_UNSUPPORTED (the
 * other functions below exist only with FNRT_HAVE_XRT). */
fnrt_status fnrt_xrt_check_xclbin(const char *path, FILE *report);

/* Timings of an XRT backend context (the ctx from create()). */
typedef struct fnrt_xrt_stats {
    unsigned n_runs[FNRT_OP_COUNT]; /* ops launched, per op type */
    double run_s[FNRT_OP_COUNT];    /* summed wall time start -> observed completion */
    unsigned n_launches;            /* CU runs started (op kernels + mm2s/s2mm glue) */
    unsigned n_sync_to, n_sync_from;
    double bytes_to, bytes_from;     /* bytes synced host -> device, device -> host */
    double sync_to_s, sync_from_s;   /* wall time in xrtBOSync (+ copy) */
    unsigned n_overlapped_uploads;   /* uploads issued while some op was still running */
    unsigned n_bands;                /* conv/deconv output bands launched (tile_rows each) */
    unsigned n_packs, n_unpacks;     /* host-side layout conversions (xrt-layout.h) */
} fnrt_xrt_stats;

void fnrt_xrt_get_stats(void *ctx, fnrt_xrt_stats *stats);
void fnrt_xrt_print_timings(void *ctx, FILE *out);

/* Checks that the loaded xclbin has a kernel (with the expected arguments) for every op in
 * ops; the error message names every missing kernel with the ops needing it. */
fnrt_status fnrt_xrt_check_ops(void *ctx, const fnrt_op *ops, int n_ops);

#endif
