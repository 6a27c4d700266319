/* fnrt — XRT backend: the kernels an xclbin must provide, with their argument lists.
 *
 * One table (xrt-kernels.c) derived from the op set (fnrt-backend.h) and matching the HLS top
 * functions in hls/ (same names as the OpenCL kernels): each op runs on one CU of its kernel,
 * its stream inputs fed by fnrt_mm2s CUs and its stream outputs drained by fnrt_s2mm CUs
 * (bitstreams/gen-config.py: "mm2s_<op>_<n>_<port>" feeds "fnrt_<op>_<n>.<port>",
 * "fnrt_<op>_<n>.<port>" feeds "s2mm_<op>_<n>_<port>").  Plain C, no XRT headers, so that
 * the xclbin writer and tests can use it too. */
#ifndef FNRT_XRT_KERNELS_H
#define FNRT_XRT_KERNELS_H

#include "fnrt/fnrt-backend.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fnrt_xrt_arg_kind {
    FNRT_XRT_ARG_MEM = 0,    /* m_axi pointer (addressQualifier 1) */
    FNRT_XRT_ARG_STREAM_IN,  /* axis input (addressQualifier 4) */
    FNRT_XRT_ARG_STREAM_OUT, /* axis output (addressQualifier 4) */
    FNRT_XRT_ARG_INT,        /* s_axilite int (addressQualifier 0) */
    FNRT_XRT_ARG_FLOAT       /* s_axilite float (addressQualifier 0) */
} fnrt_xrt_arg_kind;

#define FNRT_XRT_MAX_ARGS 24

typedef struct fnrt_xrt_arg_desc {
    const char *name;
    fnrt_xrt_arg_kind kind;
} fnrt_xrt_arg_desc;

typedef struct fnrt_xrt_kernel_desc {
    const char *name;   /* HLS top function = OpenCL kernel name, e.g. "fnrt_conv2d" */
    int op;             /* fnrt_op_type it implements, -1 for the glue kernels */
    int n_args;
    fnrt_xrt_arg_desc args[FNRT_XRT_MAX_ARGS];
} fnrt_xrt_kernel_desc;

extern const fnrt_xrt_kernel_desc fnrt_xrt_kernels[];
extern const int fnrt_xrt_n_kernels;

/* The kernel running op type t (NULL if none). */
const fnrt_xrt_kernel_desc *fnrt_xrt_kernel_for_op(fnrt_op_type t);
/* A kernel of the table by name (NULL if none). */
const fnrt_xrt_kernel_desc *fnrt_xrt_kernel_find(const char *name);
/* "mem", "stream-in", "stream-out", "int", "float". */
const char *fnrt_xrt_arg_kind_str(fnrt_xrt_arg_kind k);

/* Indices into fnrt_xrt_kernels of the glue kernels. */
#define FNRT_XRT_MM2S "fnrt_mm2s"
#define FNRT_XRT_S2MM "fnrt_s2mm"

#ifdef __cplusplus
}
#endif
#endif
